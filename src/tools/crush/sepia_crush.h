/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/crush/sepia_crush.h - shared state of the sepia-crush command parts. */
#ifndef SEPIA_TOOLS_CRUSH_H
#define SEPIA_TOOLS_CRUSH_H
#include <stdbool.h>
#include <stdint.h>

struct crush_map;

#define TOOL_MAX_WEIGHTS 256

/* Options of --test (crushtool --test compatible). */
struct test_opts {
	int rule;    /* -1 = all */
	int num_rep; /* -1 = rule's min_size..max_size */
	int min_x;
	int max_x;
	bool show_mappings;
	bool show_statistics;
	bool show_utilization;
	bool show_utilization_all;
	bool show_bad_mappings;
	bool json;
	int threads; /* mapping workers for plain output */
	int nweights;
	int weight_dev[TOOL_MAX_WEIGHTS];
	float weight_val[TOOL_MAX_WEIGHTS];
};

/* Options of the object / PG placement commands (osdmaptool compatible). */
struct place_opts {
	const char *object; /* --test-map-object NAME */
	bool pgs_dump;      /* --test-map-pgs-dump */
	long long pool;
	int pg_num;
	int pgp_num;
	int size;
	int rule;
	bool erasure;
	int nout;
	int out_osds[TOOL_MAX_WEIGHTS];
};

int tool_test(const struct crush_map *map, const struct test_opts *o);
int tool_place(const struct crush_map *map, const struct place_opts *o);
/* --build --num_osds N (name alg size)...; argv holds the layer triples. */
int tool_build(int num_osds, int argc, char **argv, struct crush_map **out);

#endif /* SEPIA_TOOLS_CRUSH_H */
