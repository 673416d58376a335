/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/test_place.c - object -> PG -> OSDs against osdmaptool
 * (--test-map-pgs-dump for every PG, --test-map-object for 310 names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/hash.h"
#include "crush/crush.h"
#include "crush/mapper.h"
#include "crush/place.h"
#include "util.h"

struct place_env {
	struct crush_map *map;
	struct crush_pool pool;
	struct crush_osd_state st;
	uint32_t *weight;
	bool *exists;
	void *work;
};

static void env_init(struct place_env *e, const char *line)
{
	char name[64], map[64];
	int pg, pgp, size, used = 0, out;
	long long pool;
	const char *p;
	int32_t i;

	assert_true(sscanf(line, "%63s %63s %lld %d %d %d %n", name, map, &pool, &pg, &pgp, &size,
	                   &used) >= 6);
	e->map = test_load_map(map);
	e->pool = (struct crush_pool){ .id = pool,
		                       .pg_num = (uint32_t)pg,
		                       .pgp_num = (uint32_t)pgp,
		                       .size = (uint32_t)size,
		                       .rule = 0,
		                       .object_hash = HASH_STR_RJENKINS,
		                       .hashpspool = true };
	e->weight = calloc((size_t)e->map->max_devices, sizeof(*e->weight));
	e->exists = calloc((size_t)e->map->max_devices, sizeof(*e->exists));
	assert_non_null(e->weight);
	assert_non_null(e->exists);
	for (i = 0; i < e->map->max_devices; i++) {
		e->weight[i] = CRUSH_WEIGHT_ONE;
		e->exists[i] = true;
	}
	for (p = line + used; sscanf(p, "%d%n", &out, &used) == 1; p += used)
		e->weight[out] = 0;
	e->st = (struct crush_osd_state){ e->weight, e->exists, e->exists, e->map->max_devices };
	e->work = malloc(crush_work_size(e->map, size));
	assert_non_null(e->work);
	crush_work_init(e->map, e->work, size);
}

static void env_fini(struct place_env *e)
{
	free(e->work);
	free(e->exists);
	free(e->weight);
	crush_map_destroy(e->map);
}

/* "1.2a\t[a,b,c]\tP" */
static int check_pg(struct place_env *e, const char *line)
{
	char want[256], got[320];
	int up[16], n, primary;
	unsigned int ps;

	assert_int_equal(sscanf(line, "1.%x\t", &ps), 1);
	n = crush_pg_to_up(e->map, &e->pool, &e->st, ps, up, &primary, e->work);
	test_format_vec(want, sizeof(want), up, n);
	snprintf(got, sizeof(got), "1.%x\t[%s]\t%d", ps, want, primary);
	if (strcmp(got, line)) {
		print_error("osdmaptool '%s' sepia '%s'\n", line, got);
		return 1;
	}
	return 0;
}

/* " object 'NAME' -> 1.ps -> [a,b,c]" */
static int check_object(struct place_env *e, const char *line)
{
	const char *name = line + 9, *end = strchr(name, '\'');
	char vec[256], got[512];
	int up[16], n, primary;
	uint32_t ps;

	assert_non_null(end);
	ps = crush_pool_pg(&e->pool, crush_object_hash(&e->pool, NULL, name, (size_t)(end - name)));
	n = crush_pg_to_up(e->map, &e->pool, &e->st, ps, up, &primary, e->work);
	test_format_vec(vec, sizeof(vec), up, n);
	snprintf(got, sizeof(got), " object '%.*s' -> 1.%x -> [%s]", (int)(end - name), name, ps,
	         vec);
	if (strcmp(got, line)) {
		print_error("osdmaptool '%s' sepia '%s'\n", line, got);
		return 1;
	}
	return 0;
}

static void test_osdmaptool_cases(void **state)
{
	size_t len;
	char *text = test_read_file(test_data_path("place/manifest.txt"), &len), *save = NULL, *ln;
	int bad = 0, pgs = 0, objs = 0;

	(void)state;
	assert_non_null(text);
	for (ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
		struct place_env e;
		char rel[128], line[1024], name[64];
		gzFile gz;

		if (ln[0] == '#')
			continue;
		env_init(&e, ln);
		sscanf(ln, "%63s", name);
		snprintf(rel, sizeof(rel), "place/%s.gz", name);
		gz = gzopen(test_data_path(rel), "rb");
		assert_non_null(gz);
		while (gzgets(gz, line, sizeof(line))) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '1') {
				bad += check_pg(&e, line);
				pgs++;
			} else {
				bad += check_object(&e, line);
				objs++;
			}
		}
		gzclose(gz);
		env_fini(&e);
	}
	free(text);
	assert_int_equal(bad, 0);
	assert_true(pgs >= 4000);
	assert_true(objs >= 1000);
}

/* stable_mod keeps PGs of the old count in place when pg_num grows. */
static void test_pg_split_stability(void **state)
{
	struct crush_pool a = { .pg_num = 12 }, b = { .pg_num = 13 };
	uint32_t x, moved = 0;

	(void)state;
	for (x = 0; x < 100000; x++) {
		uint32_t pa = crush_pool_pg(&a, x), pb = crush_pool_pg(&b, x);

		assert_true(pa < 12 && pb < 13);
		if (pa != pb) {
			assert_int_equal(pb, 12); /* only the new PG gains */
			moved++;
		}
	}
	assert_true(moved > 0 && moved < 100000 / 8);
}

int test_place_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_osdmaptool_cases),
		cmocka_unit_test(test_pg_split_stability),
	};

	return cmocka_run_group_tests_name("crush_place", tests, NULL, NULL);
}
