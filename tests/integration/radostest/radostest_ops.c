/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/integration/radostest/radostest_ops.c - the radostest commands
 * beyond plain I/O: compound write and read ops with their compares and
 * asserts, atomicity of a failed compound op, concurrent appenders, listing
 * across PGs and namespaces, the appender that pytest restarts an OSD
 * under, and requests the cluster must refuse. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "radostest.h"

/* ---- compound ops ---- */

static void omap_set1(rados_write_op_t w, const char *k, const char *v)
{
	size_t len = strlen(v);

	rados_write_op_omap_set(w, &k, &v, &len, 1);
}

/* Runs a fresh write op built by the caller on oid; returns its result. */
static int run_w(struct rtest *t, rados_write_op_t w, const char *oid)
{
	int rc = rados_write_op_operate(w, t->io, oid, NULL, 0);

	rados_release_write_op(w);
	return rc;
}

static void compound_create(struct rtest *t)
{
	rados_write_op_t w;
	char buf[16];

	w = rados_create_write_op();
	rados_write_op_create(w, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rados_write_op_write_full(w, "first", 5);
	CHECK_RC(run_w(t, w, "c-obj"), 0);
	w = rados_create_write_op();
	rados_write_op_create(w, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	CHECK_RC(run_w(t, w, "c-obj"), -EEXIST);
	w = rados_create_write_op();
	rados_write_op_create(w, LIBRADOS_CREATE_IDEMPOTENT, NULL);
	CHECK_RC(run_w(t, w, "c-obj"), 0);
	CHECK_RC(rados_read(t->io, "c-obj", buf, sizeof(buf), 0), 5);
	w = rados_create_write_op();
	rados_write_op_assert_exists(w);
	rados_write_op_write_full(w, "x", 1);
	CHECK_RC(run_w(t, w, "c-missing"), -ENOENT);
	CHECK_RC(rados_read(t->io, "c-missing", buf, sizeof(buf), 0), -ENOENT);
}

static void compound_write_read(struct rtest *t)
{
	rados_write_op_t w = rados_create_write_op();
	rados_read_op_t r = rados_create_read_op();
	rados_xattrs_iter_t xi;
	rados_omap_iter_t ki, vi, bi;
	const char *keys[] = { "k1", "k2", "k3" }, *vals[] = { "v1", "v2", "v3" };
	size_t lens[] = { 2, 2, 2 }, got = 0;
	uint64_t size = 0;
	time_t mtime;
	char buf[32], *k, *v;
	unsigned char more = 1;
	int pr[6] = { 1, 1, 1, 1, 1, 1 }, n = 0;

	rados_write_op_write_full(w, "0123456789", 10);
	rados_write_op_write(w, "ab", 2, 2);
	rados_write_op_append(w, "!!", 2);
	rados_write_op_setxattr(w, "x1", "one", 3);
	rados_write_op_omap_set(w, keys, vals, lens, 3);
	CHECK_RC(run_w(t, w, "c-rw"), 0);
	rados_read_op_stat(r, &size, &mtime, &pr[0]);
	rados_read_op_read(r, 0, sizeof(buf), buf, &got, &pr[1]);
	rados_read_op_getxattrs(r, &xi, &pr[2]);
	rados_read_op_omap_get_keys2(r, "", 10, &ki, &more, &pr[3]);
	rados_read_op_omap_get_vals2(r, "k1", "k", 10, &vi, NULL, &pr[4]);
	rados_read_op_omap_get_vals_by_keys(r, &keys[1], 1, &bi, &pr[5]);
	CHECK_RC(rados_read_op_operate(r, t->io, "c-rw", 0), 0);
	rados_release_read_op(r);
	for (int i = 0; i < 6; i++)
		CHECK_RC(pr[i], 0);
	CHECK(size == 12 && got == 12 && memcmp(buf, "01ab456789!!", 12) == 0);
	CHECK(rados_getxattrs_next(xi, (const char **)&k, (const char **)&v, &got) == 0 && k &&
	      !strcmp(k, "x1") && got == 3);
	rados_getxattrs_end(xi);
	CHECK(rados_omap_iter_size(ki) == 3 && more == 0);
	while (rados_omap_get_next(ki, &k, &v, &got) == 0 && k)
		CHECK(!strcmp(k, keys[n++]));
	CHECK(n == 3);
	rados_omap_get_end(ki);
	CHECK(rados_omap_iter_size(vi) == 2); /* after k1: k2, k3 */
	CHECK(rados_omap_get_next(vi, &k, &v, &got) == 0 && !strcmp(k, "k2") && got == 2 &&
	      !memcmp(v, "v2", 2));
	rados_omap_get_end(vi);
	CHECK(rados_omap_iter_size(bi) == 1);
	rados_omap_get_end(bi);
}

static void compound_omap_edit(struct rtest *t)
{
	rados_write_op_t w = rados_create_write_op();
	rados_read_op_t r;
	rados_omap_iter_t it;
	const char *rm = "k1";
	char *k, *v;
	size_t len;
	int pr = 1;

	rados_write_op_omap_rm_keys(w, &rm, 1);
	rados_write_op_omap_rm_range2(w, "k3", 2, "k4", 2);
	CHECK_RC(run_w(t, w, "c-rw"), 0);
	r = rados_create_read_op();
	rados_read_op_omap_get_vals2(r, NULL, NULL, 100, &it, NULL, &pr);
	CHECK_RC(rados_read_op_operate(r, t->io, "c-rw", 0), 0);
	rados_release_read_op(r);
	CHECK_RC(pr, 0);
	CHECK(rados_omap_iter_size(it) == 1);
	CHECK(rados_omap_get_next(it, &k, &v, &len) == 0 && k && !strcmp(k, "k2"));
	rados_omap_get_end(it);
	w = rados_create_write_op();
	rados_write_op_omap_clear(w);
	rados_write_op_truncate(w, 4);
	rados_write_op_zero(w, 0, 2);
	rados_write_op_rmxattr(w, "x1");
	CHECK_RC(run_w(t, w, "c-rw"), 0);
	r = rados_create_read_op();
	rados_read_op_omap_get_keys2(r, NULL, 100, &it, NULL, &pr);
	CHECK_RC(rados_read_op_operate(r, t->io, "c-rw", 0), 0);
	rados_release_read_op(r);
	CHECK(rados_omap_iter_size(it) == 0);
	rados_omap_get_end(it);
	{
		char buf[8];

		CHECK_RC(rados_read(t->io, "c-rw", buf, sizeof(buf), 0), 4);
		CHECK(memcmp(buf, "\0\0ab", 4) == 0);
		CHECK_RC(rados_getxattr(t->io, "c-rw", "x1", buf, sizeof(buf)), -ENODATA);
	}
}

/* As in Ceph: cmpxattr tests OPERAND op STORED, omap_cmp STORED op OPERAND. */
static void compound_compares(struct rtest *t)
{
	static const struct {
		uint8_t op;
		const char *val;
		int want;
	} cases[] = {
		{ LIBRADOS_CMPXATTR_OP_EQ, "bbb", 0 },
		{ LIBRADOS_CMPXATTR_OP_EQ, "bba", -ECANCELED },
		{ LIBRADOS_CMPXATTR_OP_NE, "aaa", 0 },
		{ LIBRADOS_CMPXATTR_OP_NE, "bbb", -ECANCELED },
		{ LIBRADOS_CMPXATTR_OP_GT, "ccc", 0 },
		{ LIBRADOS_CMPXATTR_OP_GT, "aaa", -ECANCELED },
		{ LIBRADOS_CMPXATTR_OP_GTE, "bbb", 0 },
		{ LIBRADOS_CMPXATTR_OP_LT, "aaa", 0 },
		{ LIBRADOS_CMPXATTR_OP_LT, "ccc", -ECANCELED },
		{ LIBRADOS_CMPXATTR_OP_LTE, "bbb", 0 },
	};
	rados_write_op_t w;
	rados_read_op_t r;
	int pr;

	CHECK_RC(rados_setxattr(t->io, "c-cmp", "attr", "bbb", 3), 0);
	w = rados_create_write_op();
	omap_set1(w, "key", "val");
	CHECK_RC(run_w(t, w, "c-cmp"), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = rados_create_write_op();
		rados_write_op_cmpxattr(w, "attr", cases[i].op, cases[i].val, 3);
		CHECK_RC(run_w(t, w, "c-cmp"), cases[i].want);
		r = rados_create_read_op();
		rados_read_op_cmpxattr(r, "attr", cases[i].op, cases[i].val, 3);
		CHECK_RC(rados_read_op_operate(r, t->io, "c-cmp", 0), cases[i].want);
		rados_release_read_op(r);
	}
	w = rados_create_write_op();
	rados_write_op_omap_cmp(w, "key", LIBRADOS_CMPXATTR_OP_EQ, "val", 3, &pr);
	CHECK_RC(run_w(t, w, "c-cmp"), 0);
	CHECK_RC(pr, 0);
	r = rados_create_read_op();
	rados_read_op_omap_cmp(r, "key", LIBRADOS_CMPXATTR_OP_EQ, "xxx", 3, &pr);
	CHECK_RC(rados_read_op_operate(r, t->io, "c-cmp", 0), -ECANCELED);
	rados_release_read_op(r);
}

static void compound_versions(struct rtest *t)
{
	rados_write_op_t w;
	rados_read_op_t r;
	uint64_t v;
	int pr = 1;

	CHECK_RC(rados_write_full(t->io, "c-ver", "v", 1), 0);
	v = rados_get_last_version(t->io);
	w = rados_create_write_op();
	rados_write_op_assert_version(w, v);
	rados_write_op_append(w, "w", 1);
	CHECK_RC(run_w(t, w, "c-ver"), 0);
	CHECK(rados_get_last_version(t->io) > v);
	w = rados_create_write_op();
	rados_write_op_assert_version(w, v); /* older than the object now */
	rados_write_op_append(w, "X", 1);
	CHECK_RC(run_w(t, w, "c-ver"), -ERANGE);
	w = rados_create_write_op();
	rados_write_op_assert_version(w, v + 100);
	CHECK_RC(run_w(t, w, "c-ver"), -EOVERFLOW);
	r = rados_create_read_op();
	rados_read_op_assert_exists(r);
	CHECK_RC(rados_read_op_operate(r, t->io, "c-nope", 0), -ENOENT);
	rados_release_read_op(r);
	w = rados_create_write_op();
	rados_write_op_cmpext(w, "vw", 2, 0, &pr);
	rados_write_op_append(w, "!", 1);
	CHECK_RC(run_w(t, w, "c-ver"), 0);
	CHECK_RC(pr, 0);
	w = rados_create_write_op();
	rados_write_op_remove(w);
	CHECK_RC(run_w(t, w, "c-ver"), 0);
	CHECK_RC(rados_remove(t->io, "c-ver"), -ENOENT);
}

int rtest_cmd_compound(struct rtest *t, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	compound_create(t);
	compound_write_read(t);
	compound_omap_edit(t);
	compound_compares(t);
	compound_versions(t);
	return 0;
}

/* ---- atomic: a failing compare aborts the writes ---- */

/* The object's data, xattr "v" and omap "k" are still what setup wrote. */
static void check_untouched(struct rtest *t, uint64_t ver)
{
	rados_read_op_t r = rados_create_read_op();
	rados_omap_iter_t it;
	char buf[32], *k, *v;
	size_t len;
	int pr = 1;

	CHECK_RC(rados_read(t->io, "t-atomic", buf, sizeof(buf), 0), 8);
	CHECK(memcmp(buf, "original", 8) == 0);
	CHECK_RC(rados_getxattr(t->io, "t-atomic", "v", buf, sizeof(buf)), 1);
	CHECK(buf[0] == '1');
	CHECK_RC(rados_getxattr(t->io, "t-atomic", "new", buf, sizeof(buf)), -ENODATA);
	rados_read_op_omap_get_vals2(r, NULL, NULL, 10, &it, NULL, &pr);
	CHECK_RC(rados_read_op_operate(r, t->io, "t-atomic", 0), 0);
	rados_release_read_op(r);
	CHECK(rados_omap_iter_size(it) == 1);
	CHECK(rados_omap_get_next(it, &k, &v, &len) == 0 && !strcmp(k, "k") && len == 1 &&
	      v[0] == '1');
	rados_omap_get_end(it);
	CHECK(ver == rados_get_last_version(t->io));
}

/* A guard of kind g that fails on the object before and after the writes. */
static void add_guard(rados_write_op_t w, int g, uint64_t ver, int *pr)
{
	if (g == 0)
		rados_write_op_cmpxattr(w, "v", LIBRADOS_CMPXATTR_OP_EQ, "9", 1);
	else if (g == 1)
		rados_write_op_omap_cmp(w, "k", LIBRADOS_CMPXATTR_OP_EQ, "9", 1, pr);
	else if (g == 2)
		rados_write_op_assert_version(w, ver + 7);
	else if (g == 3)
		rados_write_op_cmpext(w, "orig!", 5, 0, pr);
	else
		rados_write_op_create(w, LIBRADOS_CREATE_EXCLUSIVE, NULL);
}

/* Every kind of write, with a failing guard of kind g first or last. */
static rados_write_op_t doomed_op(int g, bool guard_last, uint64_t ver, int *pr)
{
	rados_write_op_t w = rados_create_write_op();

	if (!guard_last)
		add_guard(w, g, ver, pr);
	rados_write_op_write_full(w, "REPLACED", 8);
	rados_write_op_append(w, "+appended", 9);
	rados_write_op_setxattr(w, "v", "2", 1);
	rados_write_op_setxattr(w, "new", "x", 1);
	omap_set1(w, "k", "2");
	omap_set1(w, "k2", "x");
	if (guard_last)
		add_guard(w, g, ver, pr);
	return w;
}

int rtest_cmd_atomic(struct rtest *t, int argc, char **argv)
{
	rados_read_op_t r;
	uint64_t ver;
	int pr, rc;

	(void)argc;
	(void)argv;
	CHECK_RC(rados_write_full(t->io, "t-atomic", "original", 8), 0);
	CHECK_RC(rados_setxattr(t->io, "t-atomic", "v", "1", 1), 0);
	rados_write_op_t w = rados_create_write_op();

	omap_set1(w, "k", "1");
	CHECK_RC(run_w(t, w, "t-atomic"), 0);
	r = rados_create_read_op();
	rados_read_op_assert_exists(r);
	CHECK_RC(rados_read_op_operate(r, t->io, "t-atomic", 0), 0);
	rados_release_read_op(r);
	ver = rados_get_last_version(t->io);
	for (int g = 0; g < 5; g++) {
		for (int last = 0; last < 2; last++) {
			rc = run_w(t, doomed_op(g, last, ver, &pr), "t-atomic");
			if (rc == 0)
				rtest_fail(__LINE__, "doomed op", "guard %d (%s) succeeded", g,
				           last ? "last" : "first");
			check_untouched(t, ver);
		}
	}
	return 0;
}

/* ---- concurrent appenders to one object ---- */

struct appender {
	struct rtest *t;
	int id, records;
	size_t size;
	int rc;
};

static void make_record(char *buf, size_t size, int thread, int rec)
{
	rtest_fill(buf, size, (uint32_t)(thread * 1000003 + rec));
	snprintf(buf, size, "T%04dR%08d|", thread, rec);
}

static void *append_records(void *arg)
{
	struct appender *a = arg;
	char *buf = malloc(a->size);

	for (int r = 0; buf && r < a->records && a->rc == 0; r++) {
		make_record(buf, a->size, a->id, r);
		a->rc = rados_append(a->t->io, "t-concurrent", buf, a->size);
	}
	free(buf);
	return NULL;
}

/* Every record intact, each (thread, record) once, each thread's in order. */
static void check_records(const char *data, size_t len, int threads, int records, size_t size)
{
	int *next = calloc((size_t)threads, sizeof(int));
	char *want = malloc(size);

	CHECK(next && want);
	CHECK(len == (size_t)threads * (size_t)records * size);
	for (size_t off = 0; off < len; off += size) {
		int th = -1, rec = -1;

		if (sscanf(data + off, "T%4dR%8d|", &th, &rec) != 2 || th < 0 || th >= threads)
			rtest_fail(__LINE__, "record", "garbage at offset %zu", off);
		if (rec != next[th])
			rtest_fail(__LINE__, "record", "thread %d: record %d where %d was due", th,
			           rec, next[th]);
		make_record(want, size, th, rec);
		if (memcmp(want, data + off, size) != 0)
			rtest_fail(__LINE__, "record", "thread %d record %d damaged", th, rec);
		next[th]++;
	}
	free(next);
	free(want);
}

int rtest_cmd_concurrent(struct rtest *t, int argc, char **argv)
{
	int threads = atoi(argv[1]), records = atoi(argv[2]);
	size_t size = (size_t)atol(argv[3]), len;
	struct appender *a = calloc((size_t)threads, sizeof(*a));
	pthread_t *th = calloc((size_t)threads, sizeof(*th));
	char *data;

	(void)argc;
	CHECK(a && th && threads > 0 && records > 0 && size >= 16);
	rados_remove(t->io, "t-concurrent");
	for (int i = 0; i < threads; i++) {
		a[i] = (struct appender){ .t = t, .id = i, .records = records, .size = size };
		CHECK(pthread_create(&th[i], NULL, append_records, &a[i]) == 0);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		CHECK_RC(a[i].rc, 0);
	}
	CHECK_RC(rtest_read_all(t->io, "t-concurrent", &data, &len), 0);
	check_records(data, len, threads, records, size);
	printf("%d threads x %d records of %zu bytes: %zu bytes intact\n", threads, records, size,
	       len);
	free(data);
	free(a);
	free(th);
	return 0;
}

/* ---- listing across PGs and namespaces ---- */

/* Lists the ioctx's current namespace setting; counts[i] counts "o-<i>". */
static int list_count(struct rtest *t, int *counts, int nobj, int nns, bool check_ns)
{
	rados_list_ctx_t ctx;
	const char *e, *k, *ns;
	int n = 0, i, j;

	CHECK_RC(rados_nobjects_list_open(t->io, &ctx), 0);
	while (rados_nobjects_list_next(ctx, &e, &k, &ns) == 0) {
		CHECK(sscanf(e, "o-%d", &i) == 1 && i >= 0 && i < nobj);
		j = i % nns;
		if (check_ns)
			CHECK(j == 0 ? (!ns || !ns[0]) : (ns && atoi(ns + 2) == j));
		counts[i]++;
		n++;
	}
	rados_nobjects_list_close(ctx);
	return n;
}

int rtest_cmd_list(struct rtest *t, int argc, char **argv)
{
	int nobj = atoi(argv[1]), nns = atoi(argv[2]);
	int *counts = calloc((size_t)nobj, sizeof(int));
	char name[32], ns[16];
	rados_completion_t *c = calloc((size_t)nobj, sizeof(*c));

	(void)argc;
	CHECK(counts && c && nobj > 0 && nns > 0);
	for (int i = 0; i < nobj; i++) { /* object i lives in namespace i % nns ("" for 0) */
		snprintf(name, sizeof(name), "o-%d", i);
		snprintf(ns, sizeof(ns), "ns%d", i % nns);
		rados_ioctx_set_namespace(t->io, i % nns ? ns : "");
		CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c[i]), 0);
		CHECK_RC(rados_aio_write_full(t->io, name, c[i], name, strlen(name)), 0);
	}
	CHECK_RC(rados_aio_flush(t->io), 0);
	for (int i = 0; i < nobj; i++) {
		CHECK_RC(rados_aio_get_return_value(c[i]), 0);
		rados_aio_release(c[i]);
	}
	for (int j = 0; j < nns; j++) {
		snprintf(ns, sizeof(ns), "ns%d", j);
		rados_ioctx_set_namespace(t->io, j ? ns : "");
		memset(counts, 0, (size_t)nobj * sizeof(int));
		int n = list_count(t, counts, nobj, nns, false);

		CHECK(n == (nobj - j + nns - 1) / nns);
		for (int i = j; i < nobj; i += nns)
			CHECK(counts[i] == 1);
	}
	rados_ioctx_set_namespace(t->io, LIBRADOS_ALL_NSPACES);
	memset(counts, 0, (size_t)nobj * sizeof(int));
	CHECK(list_count(t, counts, nobj, nns, true) == nobj);
	for (int i = 0; i < nobj; i++)
		if (counts[i] != 1)
			rtest_fail(__LINE__, "list all", "o-%d listed %d times", i, counts[i]);
	printf("listed %d objects in %d namespaces\n", nobj, nns);
	free(counts);
	free(c);
	return 0;
}

/* ---- appender: numbered records, one op in flight, until stdin closes ---- */

static atomic_bool stop_appending;

static void *watch_stdin(void *arg)
{
	char buf[64];

	(void)arg;
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	atomic_store(&stop_appending, true);
	return NULL;
}

int rtest_cmd_appender(struct rtest *t, int argc, char **argv)
{
	pthread_t th;
	char rec[17];
	int n = 0, rc;

	(void)argc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK(pthread_create(&th, NULL, watch_stdin, NULL) == 0);
	pthread_detach(th);
	while (!atomic_load(&stop_appending)) {
		snprintf(rec, sizeof(rec), "%015d\n", n);
		rc = rados_append(t->io, argv[1], rec, 16);
		if (rc < 0)
			rtest_fail(__LINE__, "rados_append", "record %d: %s", n, strerror(-rc));
		if (++n % 10 == 0)
			printf("appended %d\n", n);
	}
	printf("done %d\n", n);
	return 0;
}

/* ---- limits: requests the cluster refuses ---- */

/* "128M", "134217728" -> bytes (0 on junk). */
static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'K':
		return v << 10;
	case 'M':
		return v << 20;
	case 'G':
		return v << 30;
	default:
		return *end ? 0 : v;
	}
}

int rtest_cmd_limits(struct rtest *t, int argc, char **argv)
{
	char name[2100], buf[16], val[128];
	uint64_t max;
	int n;

	(void)argc;
	(void)argv;
	memset(name, 'n', sizeof(name));
	name[2048] = '\0';
	CHECK_RC(rados_write_full(t->io, name, "ok", 2), 0); /* 2048 bytes: the longest */
	CHECK_RC(rados_read(t->io, name, buf, sizeof(buf), 0), 2);
	CHECK_RC(rados_remove(t->io, name), 0);
	name[2048] = 'n';
	name[2049] = '\0';
	CHECK_RC(rados_write_full(t->io, name, "no", 2), -ENAMETOOLONG);
	CHECK_RC(rados_read(t->io, name, buf, sizeof(buf), 0), -ENAMETOOLONG);
	CHECK_RC(rados_conf_get(t->cluster, "osd_max_object_size", val, sizeof(val)), 0);
	max = parse_size(val);
	CHECK(max > 0);
	CHECK_RC(rados_write(t->io, "l-obj", "x", 1, max), -EFBIG);
	CHECK_RC(rados_write(t->io, "l-obj", "xy", 2, max - 1), -EFBIG);
	CHECK_RC(rados_trunc(t->io, "l-obj", max + 1), -EFBIG);
	CHECK_RC(rados_write(t->io, "l-obj", "x", 1, UINT64_MAX - 1), -EFBIG);
	CHECK_RC(rados_read(t->io, "l-obj", buf, sizeof(buf), 0), -ENOENT); /* nothing made */
	CHECK_RC(rados_write(t->io, "l-obj", "x", 1, max - 1), 0);          /* the last byte */
	n = rados_read(t->io, "l-obj", buf, sizeof(buf), max + 4096);
	if (n != -EFBIG && n != 0)
		rtest_fail(__LINE__, "read beyond the largest object", "returned %d", n);
	CHECK_RC(rados_read(t->io, "l-obj", buf, sizeof(buf), max - 1), 1);
	CHECK_RC(rados_remove(t->io, "l-obj"), 0);
	printf("read beyond the largest object: %s\n", n ? strerror(-n) : "0 bytes");
	return 0;
}
