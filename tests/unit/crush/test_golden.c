/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/test_golden.c - every mapping of every golden case (100 000
 * inputs each, recorded with crushtool; see tests/data/crush/generate.py)
 * must come out identical from crush_do_rule on our compile of the map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "crush/crush.h"
#include "crush/mapper.h"
#include "util.h"

#define MAX_CASES 64

struct golden_case {
	char name[64];
	char map[64];
	int rule;
	int num_rep;
	int min_x;
	int max_x;
	char weights[512]; /* "dev:w dev:w ..." as given to crushtool */
};

/* Applies "dev:w" pairs the way crushtool --weight does. */
static void apply_weights(const struct crush_map *map, uint32_t *w, const char *spec)
{
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int dev = atoi(tok), v;
		char *colon = strchr(tok, ':');

		assert_non_null(colon);
		v = (int)(strtof(colon + 1, NULL) * (float)0x10000);
		if (dev < map->max_devices)
			w[dev] = v < 0 ? 0 : v > 0x10000 ? 0x10000 : (uint32_t)v;
	}
}

static void run_case(void **state)
{
	const struct golden_case *c = *state;
	struct crush_map *map = test_load_map(c->map);
	uint32_t *w = test_weights(map);
	void *work = malloc(crush_work_size(map, c->num_rep));
	const struct crush_choose_arg *args = crush_choose_args_get(map, 0); /* as crushtool */
	char rel[128], line[1024], got[1024];
	int out[64], x, n, bad = 0;
	gzFile gz;

	assert_non_null(work);
	apply_weights(map, w, c->weights);
	crush_work_init(map, work, c->num_rep);
	snprintf(rel, sizeof(rel), "cases/%s.gz", c->name);
	gz = gzopen(test_data_path(rel), "rb");
	assert_non_null(gz);
	for (x = c->min_x; x <= c->max_x; x++) {
		assert_non_null(gzgets(gz, line, sizeof(line)));
		line[strcspn(line, "\n")] = '\0';
		n = crush_do_rule(map, c->rule, x, out, c->num_rep, w, map->max_devices, work,
		                  args);
		test_format_vec(got, sizeof(got), out, n);
		if (strcmp(got, line) && bad++ < 5)
			print_error("%s x %d: crushtool [%s] sepia [%s]\n", c->name, x, line, got);
	}
	gzclose(gz);
	free(work);
	free(w);
	crush_map_destroy(map);
	assert_int_equal(bad, 0);
}

static int load_manifest(struct golden_case *cases, int max)
{
	size_t len;
	char *text = test_read_file(test_data_path("manifest.txt"), &len), *save = NULL, *ln;
	int n = 0;

	if (!text)
		return -1;
	for (ln = strtok_r(text, "\n", &save); ln && n < max; ln = strtok_r(NULL, "\n", &save)) {
		struct golden_case *c = &cases[n];
		int used = 0;

		if (ln[0] == '#')
			continue;
		if (sscanf(ln, "%63s %63s %d %d %d %d %n", c->name, c->map, &c->rule, &c->num_rep,
		           &c->min_x, &c->max_x, &used) < 6)
			continue;
		snprintf(c->weights, sizeof(c->weights), "%s", ln + used);
		n++;
	}
	free(text);
	return n;
}

int test_golden_run(void)
{
	static struct golden_case cases[MAX_CASES];
	struct CMUnitTest tests[MAX_CASES];
	int n = load_manifest(cases, MAX_CASES), i;

	if (n <= 0) {
		fprintf(stderr, "golden manifest missing under %s\n", test_data_path(""));
		return 1;
	}
	for (i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ cases[i].name, run_case, NULL, NULL, &cases[i] };
	return _cmocka_run_group_tests("crush_golden", tests, (size_t)n, NULL, NULL);
}
