/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_perf.c - perf counters: exact concurrent sums,
 * histogram bucket edges, dump and schema JSON, reset, NULL collection,
 * registration errors. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/perf.h"
#include "tests.h"

enum { T_OPS, T_QUEUE, T_LAT, T_BYTES, T_SIZE, T_COUNT };

static const struct perf_def defs[T_COUNT] = {
	[T_OPS] = { "ops", PERF_COUNTER, 0, "operations" },
	[T_QUEUE] = { "queue", PERF_GAUGE, 0, "queued now" },
	[T_LAT] = { "lat", PERF_AVG, PERF_F_TIME, "latency" },
	[T_BYTES] = { "bytes", PERF_AVG, 0, "bytes per op" },
	[T_SIZE] = { "size", PERF_HIST, 0, "op sizes" },
};

struct fixture {
	struct perf_reg *reg;
	struct perf_coll *pc;
};

static int setup(void **state)
{
	static struct fixture f;

	if (perf_reg_create(&f.reg) != 0)
		return -1;
	if (perf_coll_create(f.reg, "test", defs, T_COUNT, &f.pc) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	perf_coll_destroy(f->pc);
	perf_reg_destroy(f->reg);
	return 0;
}

static json_int_t dump_int(struct perf_reg *reg, const char *coll, const char *name)
{
	json_t *d = perf_dump_json(reg, coll);
	json_int_t v;

	assert_non_null(d);
	v = json_integer_value(json_object_get(json_object_get(d, coll), name));
	json_decref(d);
	return v;
}

static void test_perf_register_errors(void **state)
{
	struct fixture *f = *state;
	static const struct perf_def dup[2] = { { "a", PERF_COUNTER, 0, "" },
		                                { "a", PERF_GAUGE, 0, "" } };
	struct perf_coll *pc = (struct perf_coll *)0x1, *again;

	assert_int_equal(perf_coll_create(f->reg, "test", defs, T_COUNT, &pc), -EEXIST);
	assert_int_equal(perf_coll_create(f->reg, "x", defs, 0, &pc), -EINVAL);
	assert_int_equal(perf_coll_create(f->reg, "", defs, T_COUNT, &pc), -EINVAL);
	assert_int_equal(perf_coll_create(f->reg, "x", dup, 2, &pc), -EINVAL);
	assert_ptr_equal(pc, (struct perf_coll *)0x1);
	/* destroy unregisters: the name is free again */
	assert_int_equal(perf_coll_create(f->reg, "other", defs, T_COUNT, &pc), 0);
	perf_coll_destroy(pc);
	assert_int_equal(perf_coll_create(f->reg, "other", defs, T_COUNT, &again), 0);
	perf_coll_destroy(again);
	perf_coll_destroy(NULL);
	perf_reg_destroy(NULL);
}

#define NTHREADS 4
#define NITER    50000

static void *hammer(void *p)
{
	struct perf_coll *pc = p;

	for (uint64_t i = 0; i < NITER; i++) {
		perf_inc(pc, T_OPS, 1);
		perf_avg_add(pc, T_BYTES, 3);
		perf_hist_add(pc, T_SIZE, i);
	}
	return NULL;
}

static void test_perf_concurrent(void **state)
{
	struct fixture *f = *state;
	pthread_t th[NTHREADS];
	json_t *d, *bytes;

	perf_reset(f->reg, NULL);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, f->pc), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(perf_get(f->pc, T_OPS), NTHREADS * NITER);
	assert_int_equal(perf_get(f->pc, T_BYTES), NTHREADS * NITER);
	assert_int_equal(perf_get(f->pc, T_SIZE), NTHREADS * NITER);
	d = perf_dump_json(f->reg, NULL);
	bytes = json_object_get(json_object_get(d, "test"), "bytes");
	assert_int_equal(json_integer_value(json_object_get(bytes, "sum")), 3 * NTHREADS * NITER);
	assert_int_equal(json_integer_value(json_object_get(bytes, "avgcount")), NTHREADS * NITER);
	json_decref(d);
}

static void test_perf_hist_edges(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t v;
		unsigned bucket;
	} cases[] = { { 0, 0 },     { 1, 1 },           { 2, 2 },          { 3, 2 },
		      { 4, 3 },     { 7, 3 },           { 8, 4 },          { 1023, 10 },
		      { 1024, 11 }, { 1ull << 62, 63 }, { UINT64_MAX, 63 } };
	json_t *d, *buckets;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		perf_reset(f->reg, "test");
		perf_hist_add(f->pc, T_SIZE, cases[i].v);
		d = perf_dump_json(f->reg, "test");
		buckets =
		    json_object_get(json_object_get(json_object_get(d, "test"), "size"), "buckets");
		assert_int_equal(json_array_size(buckets), PERF_HIST_BUCKETS);
		for (unsigned b = 0; b < PERF_HIST_BUCKETS; b++)
			assert_int_equal(json_integer_value(json_array_get(buckets, b)),
			                 b == cases[i].bucket ? 1 : 0);
		json_decref(d);
	}
}

static void test_perf_dump_shape(void **state)
{
	struct fixture *f = *state;
	struct perf_coll *pc2;
	json_t *d, *t, *lat;

	perf_reset(f->reg, NULL);
	perf_inc(f->pc, T_OPS, 7);
	perf_set(f->pc, T_QUEUE, 10);
	perf_dec(f->pc, T_QUEUE, 3);
	perf_inc(f->pc, T_QUEUE, 1);
	perf_avg_add(f->pc, T_LAT, 1500000000ull); /* 1.5 s */
	assert_int_equal(perf_coll_create(f->reg, "second", defs, T_COUNT, &pc2), 0);
	d = perf_dump_json(f->reg, NULL);
	assert_int_equal(json_object_size(d), 2);
	t = json_object_get(d, "test");
	assert_int_equal(json_object_size(t), T_COUNT);
	assert_int_equal(json_integer_value(json_object_get(t, "ops")), 7);
	assert_int_equal(json_integer_value(json_object_get(t, "queue")), 8);
	lat = json_object_get(t, "lat");
	assert_int_equal(json_integer_value(json_object_get(lat, "avgcount")), 1);
	assert_true(json_is_real(json_object_get(lat, "sum")));
	assert_true(json_real_value(json_object_get(lat, "sum")) > 1.49);
	assert_true(json_real_value(json_object_get(lat, "sum")) < 1.51);
	assert_true(json_is_integer(json_object_get(json_object_get(t, "bytes"), "sum")));
	json_decref(d);
	d = perf_dump_json(f->reg, "second"); /* filter */
	assert_int_equal(json_object_size(d), 1);
	assert_non_null(json_object_get(d, "second"));
	json_decref(d);
	d = perf_dump_json(f->reg, "nosuch");
	assert_int_equal(json_object_size(d), 0);
	json_decref(d);
	perf_coll_destroy(pc2);
	perf_dec(f->pc, T_QUEUE, 100); /* gauges saturate at 0 */
	assert_int_equal(perf_get(f->pc, T_QUEUE), 0);
}

static void test_perf_schema(void **state)
{
	struct fixture *f = *state;
	json_t *s = perf_schema_json(f->reg);
	json_t *t = json_object_get(s, "test");
	static const char *const types[T_COUNT] = { "counter", "gauge", "avg", "avg", "histogram" };

	assert_int_equal(json_object_size(t), T_COUNT);
	for (int i = 0; i < T_COUNT; i++) {
		json_t *e = json_object_get(t, defs[i].name);

		assert_string_equal(json_string_value(json_object_get(e, "type")), types[i]);
		assert_string_equal(json_string_value(json_object_get(e, "description")),
		                    defs[i].desc);
		assert_int_equal(json_integer_value(json_object_get(e, "flags")), defs[i].flags);
	}
	json_decref(s);
}

static void test_perf_reset(void **state)
{
	struct fixture *f = *state;
	struct perf_coll *pc2;

	assert_int_equal(perf_coll_create(f->reg, "keep", defs, T_COUNT, &pc2), 0);
	perf_inc(f->pc, T_OPS, 5);
	perf_set(f->pc, T_QUEUE, 4);
	perf_avg_add(f->pc, T_LAT, 9);
	perf_hist_add(f->pc, T_SIZE, 9);
	perf_inc(pc2, T_OPS, 2);
	perf_reset(f->reg, "test");
	assert_int_equal(perf_get(f->pc, T_OPS), 0);
	assert_int_equal(perf_get(f->pc, T_LAT), 0);
	assert_int_equal(perf_get(f->pc, T_SIZE), 0);
	assert_int_equal(perf_get(f->pc, T_QUEUE), 4);        /* gauges keep their state */
	assert_int_equal(dump_int(f->reg, "keep", "ops"), 2); /* other collection kept */
	perf_reset(f->reg, NULL);
	assert_int_equal(perf_get(pc2, T_OPS), 0);
	perf_coll_destroy(pc2);
}

static void test_perf_null_coll(void **state)
{
	(void)state;
	perf_inc(NULL, T_OPS, 1);
	perf_dec(NULL, T_QUEUE, 1);
	perf_set(NULL, T_QUEUE, 1);
	perf_avg_add(NULL, T_LAT, 1);
	perf_hist_add(NULL, T_SIZE, 1);
	assert_int_equal(perf_get(NULL, T_OPS), 0);
}

int test_perf_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perf_register_errors), cmocka_unit_test(test_perf_concurrent),
		cmocka_unit_test(test_perf_hist_edges),      cmocka_unit_test(test_perf_dump_shape),
		cmocka_unit_test(test_perf_schema),          cmocka_unit_test(test_perf_reset),
		cmocka_unit_test(test_perf_null_coll),
	};

	return cmocka_run_group_tests_name("perf", tests, setup, teardown);
}
