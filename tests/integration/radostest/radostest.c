/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/integration/radostest/radostest.c - checks of the librados C API
 * against a running cluster, driven by tests/integration/test_rados.py:
 *
 *   radostest -c CONF -p POOL COMMAND [ARGS...]
 *
 * Each command runs its checks and exits 0, or prints the first failed
 * check ("radostest: FAILED line N: ...") and exits 1. This file has the
 * driver, the helpers and the `sync` and `aio` commands; radostest_ops.c
 * has compound ops, atomicity, concurrency, listing, the appender and the
 * limits. Only the public librados.h API is used. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "radostest.h"

void rtest_fail(int line, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "radostest: FAILED line %d: %s: ", line, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

void rtest_check_rc(int line, const char *what, long got, long want)
{
	if (got != want)
		rtest_fail(line, what, "returned %ld (%s), expected %ld (%s)", got,
		           got < 0 ? strerror((int)-got) : "ok", want,
		           want < 0 ? strerror((int)-want) : "ok");
}

void rtest_fill(char *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (char)(x >> 24);
	}
}

int rtest_read_all(rados_ioctx_t io, const char *oid, char **out, size_t *len)
{
	uint64_t size;
	time_t mtime;
	char *buf;
	int rc = rados_stat(io, oid, &size, &mtime), n = 0;

	if (rc < 0)
		return rc;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	for (uint64_t off = 0; off < size; off += (uint64_t)n) {
		n = rados_read(io, oid, buf + off, size - off, off);
		if (n <= 0) {
			free(buf);
			return n < 0 ? n : -EIO;
		}
	}
	*out = buf;
	*len = size;
	return 0;
}

/* ---- sync: every synchronous call ---- */

static void sync_cluster(struct rtest *t)
{
	char buf[256], fsid[64];
	int64_t id = rados_pool_lookup(t->cluster, t->pool);
	rados_ioctx_t io;
	int n, maj, min, extra;
	bool found = false;

	rados_version(&maj, &min, &extra);
	CHECK(maj == LIBRADOS_VER_MAJOR);
	CHECK_RC(rados_cluster_fsid(t->cluster, fsid, sizeof(fsid)), 36);
	CHECK(rados_get_instance_id(t->cluster) != 0);
	CHECK_RC(rados_wait_for_latest_osdmap(t->cluster), 0);
	CHECK(id >= 0);
	CHECK_RC(rados_pool_reverse_lookup(t->cluster, id, buf, sizeof(buf)),
	         (long)strlen(t->pool));
	CHECK(strcmp(buf, t->pool) == 0);
	CHECK_RC(rados_pool_lookup(t->cluster, "no-such-pool"), -ENOENT);
	CHECK_RC(rados_ioctx_create(t->cluster, "no-such-pool", &io), -ENOENT);
	n = rados_pool_list(t->cluster, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n <= sizeof(buf));
	for (const char *p = buf; *p; p += strlen(p) + 1)
		found |= strcmp(p, t->pool) == 0;
	CHECK(found);
	CHECK(rados_ioctx_get_id(t->io) == id);
	CHECK(rados_ioctx_get_cluster(t->io) == t->cluster);
	CHECK(rados_ioctx_get_pool_name(t->io, buf, sizeof(buf)) > 0 && !strcmp(buf, t->pool));
	CHECK(rados_conf_get(t->cluster, "mon_host", buf, sizeof(buf)) == 0 && buf[0]);
}

static void sync_data(struct rtest *t)
{
	char buf[128];
	uint64_t size, v1;
	time_t mtime, now = time(NULL);

	CHECK_RC(rados_read(t->io, "s-data", buf, sizeof(buf), 0), -ENOENT);
	CHECK_RC(rados_stat(t->io, "s-data", &size, &mtime), -ENOENT);
	CHECK_RC(rados_write_full(t->io, "s-data", "hello world", 11), 0);
	v1 = rados_get_last_version(t->io);
	CHECK(v1 > 0);
	CHECK_RC(rados_read(t->io, "s-data", buf, sizeof(buf), 0), 11);
	CHECK(memcmp(buf, "hello world", 11) == 0);
	CHECK_RC(rados_read(t->io, "s-data", buf, 5, 6), 5);
	CHECK(memcmp(buf, "world", 5) == 0);
	CHECK_RC(rados_write(t->io, "s-data", "XY", 2, 20), 0);
	CHECK(rados_get_last_version(t->io) > v1);
	CHECK_RC(rados_read(t->io, "s-data", buf, sizeof(buf), 0), 22);
	CHECK(memcmp(buf + 11, "\0\0\0\0\0\0\0\0\0XY", 11) == 0);
	CHECK_RC(rados_append(t->io, "s-data", "++", 2), 0);
	CHECK_RC(rados_stat(t->io, "s-data", &size, &mtime), 0);
	CHECK(size == 24 && mtime >= now - 120 && mtime <= now + 120);
	CHECK_RC(rados_trunc(t->io, "s-data", 5), 0);
	CHECK_RC(rados_read(t->io, "s-data", buf, sizeof(buf), 0), 5);
	CHECK_RC(rados_trunc(t->io, "s-data", 100), 0);
	CHECK_RC(rados_read(t->io, "s-data", buf, sizeof(buf), 0), 100);
	CHECK(memcmp(buf, "hello", 5) == 0 && buf[5] == 0 && buf[99] == 0);
	CHECK_RC(rados_read(t->io, "s-data", buf, sizeof(buf), 1000), 0);
	CHECK_RC(rados_write_full(t->io, "s-data", "short", 5), 0);
	CHECK_RC(rados_stat(t->io, "s-data", &size, &mtime), 0);
	CHECK(size == 5);
	CHECK_RC(rados_cmpext(t->io, "s-data", "sho", 3, 0), 0);
	CHECK_RC(rados_cmpext(t->io, "s-data", "shX", 3, 0), -4095 - 2);
	CHECK_RC(rados_remove(t->io, "s-data"), 0);
	CHECK_RC(rados_remove(t->io, "s-data"), -ENOENT);
	CHECK_RC(rados_stat(t->io, "s-data", &size, &mtime), -ENOENT);
	CHECK_RC(rados_write_full(t->io, "s-empty", "", 0), 0);
	CHECK_RC(rados_stat(t->io, "s-empty", &size, &mtime), 0);
	CHECK(size == 0);
}

static void sync_big(struct rtest *t)
{
	size_t len = (5u << 20) + 12345;
	char *w = malloc(len), *r;
	size_t got;

	CHECK(w != NULL);
	rtest_fill(w, len, 7);
	CHECK_RC(rados_write_full(t->io, "s-big", w, len), 0);
	CHECK_RC(rtest_read_all(t->io, "s-big", &r, &got), 0);
	CHECK(got == len && memcmp(w, r, len) == 0);
	free(r);
	CHECK_RC(rados_write(t->io, "s-big", "middle", 6, 3u << 20), 0);
	memcpy(w + (3u << 20), "middle", 6);
	CHECK_RC(rtest_read_all(t->io, "s-big", &r, &got), 0);
	CHECK(got == len && memcmp(w, r, len) == 0);
	free(r);
	free(w);
}

static void sync_xattrs(struct rtest *t)
{
	char buf[64];
	rados_xattrs_iter_t it;
	const char *name, *val;
	size_t len;
	int n = 0;

	CHECK_RC(rados_setxattr(t->io, "s-x", "a", "1", 1), 0); /* creates the object */
	CHECK_RC(rados_setxattr(t->io, "s-x", "bin", "x\0y", 3), 0);
	CHECK_RC(rados_getxattr(t->io, "s-x", "a", buf, sizeof(buf)), 1);
	CHECK_RC(rados_getxattr(t->io, "s-x", "bin", buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "x\0y", 3) == 0);
	CHECK_RC(rados_getxattr(t->io, "s-x", "missing", buf, sizeof(buf)), -ENODATA);
	CHECK_RC(rados_getxattr(t->io, "s-nope", "a", buf, sizeof(buf)), -ENOENT);
	CHECK_RC(rados_getxattrs(t->io, "s-x", &it), 0);
	while (rados_getxattrs_next(it, &name, &val, &len) == 0 && name) {
		CHECK((!strcmp(name, "a") && len == 1) || (!strcmp(name, "bin") && len == 3));
		n++;
	}
	rados_getxattrs_end(it);
	CHECK(n == 2);
	CHECK_RC(rados_rmxattr(t->io, "s-x", "a"), 0);
	CHECK_RC(rados_getxattr(t->io, "s-x", "a", buf, sizeof(buf)), -ENODATA);
}

static void sync_namespaces(struct rtest *t)
{
	char buf[64];

	rados_ioctx_set_namespace(t->io, "ns1");
	CHECK_RC(rados_ioctx_get_namespace(t->io, buf, sizeof(buf)), 3);
	CHECK(strcmp(buf, "ns1") == 0);
	CHECK_RC(rados_write_full(t->io, "s-ns", "in ns1", 6), 0);
	rados_ioctx_set_namespace(t->io, "");
	CHECK_RC(rados_read(t->io, "s-ns", buf, sizeof(buf), 0), -ENOENT);
	CHECK_RC(rados_write_full(t->io, "s-ns", "default", 7), 0);
	rados_ioctx_set_namespace(t->io, "ns1");
	CHECK_RC(rados_read(t->io, "s-ns", buf, sizeof(buf), 0), 6);
	CHECK(memcmp(buf, "in ns1", 6) == 0);
	rados_ioctx_set_namespace(t->io, NULL);
	CHECK_RC(rados_read(t->io, "s-ns", buf, sizeof(buf), 0), 7);
}

static void sync_stats(struct rtest *t)
{
	struct rados_cluster_stat_t cs;
	struct rados_pool_stat_t ps;
	const char *cmd = "{\"cmd\": [\"osd\", \"pool\", \"ls\"], \"format\": \"json\"}";
	char *out = NULL, *outs = NULL;
	size_t outlen = 0, outslen = 0;

	CHECK_RC(rados_cluster_stat(t->cluster, &cs), 0);
	CHECK(cs.kb > 0 && cs.kb_avail <= cs.kb);
	CHECK_RC(rados_ioctx_pool_stat(t->io, &ps), 0);
	CHECK_RC(rados_mon_command(t->cluster, &cmd, 1, "", 0, &out, &outlen, &outs, &outslen), 0);
	CHECK(out && outlen > 0 && strstr(out, t->pool));
	rados_buffer_free(out);
	rados_buffer_free(outs);
}

int rtest_cmd_sync(struct rtest *t, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sync_cluster(t);
	sync_data(t);
	sync_big(t);
	sync_xattrs(t);
	sync_namespaces(t);
	sync_stats(t);
	return 0;
}

/* ---- aio: asynchronous calls and completions ---- */

struct aio_counts {
	atomic_int complete, safe;
};

static void on_complete(rados_completion_t c, void *arg)
{
	struct aio_counts *n = arg;

	(void)c;
	atomic_fetch_add(&n->complete, 1);
}

static void on_safe(rados_completion_t c, void *arg)
{
	struct aio_counts *n = arg;

	(void)c;
	atomic_fetch_add(&n->safe, 1);
}

/* Waits for c with its callbacks run; returns its value and releases it. */
static int finish(rados_completion_t c)
{
	int rc;

	CHECK_RC(rados_aio_wait_for_complete_and_cb(c), 0);
	CHECK_RC(rados_aio_wait_for_safe_and_cb(c), 0);
	CHECK(rados_aio_is_complete(c) && rados_aio_is_safe(c));
	CHECK(rados_aio_is_complete_and_cb(c) && rados_aio_is_safe_and_cb(c));
	rc = rados_aio_get_return_value(c);
	rados_aio_release(c);
	return rc;
}

static void aio_basic(struct rtest *t)
{
	struct aio_counts n = { 0 };
	rados_completion_t c;
	char buf[64];
	uint64_t size;
	time_t mtime;

	CHECK_RC(rados_aio_create_completion(&n, on_complete, on_safe, &c), 0);
	CHECK_RC(rados_aio_write_full(t->io, "a-obj", c, "0123456789", 10), 0);
	CHECK_RC(rados_aio_wait_for_complete_and_cb(c), 0);
	CHECK(rados_aio_get_version(c) > 0);
	CHECK_RC(finish(c), 0);
	CHECK(atomic_load(&n.complete) == 1 && atomic_load(&n.safe) == 1);
	CHECK_RC(rados_aio_create_completion(&n, on_complete, on_safe, &c), 0);
	CHECK_RC(rados_aio_append(t->io, "a-obj", c, "AB", 2), 0);
	CHECK_RC(finish(c), 0);
	CHECK_RC(rados_aio_create_completion(&n, on_complete, NULL, &c), 0);
	CHECK_RC(rados_aio_write(t->io, "a-obj", c, "xx", 2, 4), 0);
	CHECK_RC(finish(c), 0);
	CHECK(atomic_load(&n.complete) == 3 && atomic_load(&n.safe) == 2);
	CHECK_RC(rados_aio_create_completion2(&n, on_complete, &c), 0);
	CHECK_RC(rados_aio_read(t->io, "a-obj", c, buf, sizeof(buf), 0), 0);
	CHECK_RC(finish(c), 12);
	CHECK(memcmp(buf, "0123xx6789AB", 12) == 0);
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c), 0);
	CHECK_RC(rados_aio_stat(t->io, "a-obj", c, &size, &mtime), 0);
	CHECK_RC(finish(c), 0);
	CHECK(size == 12);
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c), 0);
	CHECK_RC(rados_aio_remove(t->io, "a-obj", c), 0);
	CHECK_RC(finish(c), 0);
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c), 0);
	CHECK_RC(rados_aio_read(t->io, "a-obj", c, buf, sizeof(buf), 0), 0);
	CHECK_RC(finish(c), -ENOENT);
}

/* Many writes in flight, then flush: every one is readable. */
static void aio_many(struct rtest *t)
{
	enum { N = 64, LEN = 8192 };
	rados_completion_t c[N], fc;
	char *data = malloc((size_t)N * LEN), buf[LEN], name[32];

	CHECK(data != NULL);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "a-many-%d", i);
		rtest_fill(data + (size_t)i * LEN, LEN, (uint32_t)i + 100);
		CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c[i]), 0);
		CHECK_RC(rados_aio_write_full(t->io, name, c[i], data + (size_t)i * LEN, LEN), 0);
	}
	CHECK_RC(rados_aio_flush(t->io), 0);
	for (int i = 0; i < N; i++) {
		CHECK(rados_aio_is_safe(c[i]));
		CHECK_RC(rados_aio_get_return_value(c[i]), 0);
		rados_aio_release(c[i]);
		snprintf(name, sizeof(name), "a-many-%d", i);
		CHECK_RC(rados_read(t->io, name, buf, LEN, 0), LEN);
		CHECK(memcmp(buf, data + (size_t)i * LEN, LEN) == 0);
	}
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c[0]), 0);
	CHECK_RC(rados_aio_append(t->io, "a-many-0", c[0], "tail", 4), 0);
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &fc), 0);
	CHECK_RC(rados_aio_flush_async(t->io, fc), 0);
	CHECK_RC(rados_aio_wait_for_complete(fc), 0);
	CHECK(rados_aio_is_safe(c[0]));
	rados_aio_release(fc);
	CHECK_RC(finish(c[0]), 0);
	free(data);
}

static void aio_ops(struct rtest *t)
{
	rados_write_op_t w = rados_create_write_op();
	rados_read_op_t r = rados_create_read_op();
	rados_completion_t c;
	char buf[16];
	size_t got = 0;
	int prval = -1;

	rados_write_op_write_full(w, "compound", 8);
	rados_write_op_setxattr(w, "k", "v", 1);
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c), 0);
	CHECK_RC(rados_aio_write_op_operate(w, t->io, c, "a-op", NULL, 0), 0);
	CHECK_RC(finish(c), 0);
	rados_release_write_op(w);
	rados_read_op_read(r, 0, sizeof(buf), buf, &got, &prval);
	CHECK_RC(rados_aio_create_completion(NULL, NULL, NULL, &c), 0);
	CHECK_RC(rados_aio_read_op_operate(r, t->io, c, "a-op", 0), 0);
	CHECK_RC(finish(c), 0);
	rados_release_read_op(r);
	CHECK(prval == 0 && got == 8 && memcmp(buf, "compound", 8) == 0);
}

int rtest_cmd_aio(struct rtest *t, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	aio_basic(t);
	aio_many(t);
	aio_ops(t);
	return 0;
}

/* ---- the driver ---- */

struct rtest_cmd {
	const char *name;
	rtest_cmd_fn *fn;
	int nargs;
	const char *args;
};

static const struct rtest_cmd cmds[] = {
	{ "sync", rtest_cmd_sync, 0, "" },
	{ "aio", rtest_cmd_aio, 0, "" },
	{ "compound", rtest_cmd_compound, 0, "" },
	{ "atomic", rtest_cmd_atomic, 0, "" },
	{ "concurrent", rtest_cmd_concurrent, 3, "THREADS RECORDS SIZE" },
	{ "list", rtest_cmd_list, 2, "OBJECTS NAMESPACES" },
	{ "appender", rtest_cmd_appender, 1, "OBJ  (until stdin closes)" },
	{ "limits", rtest_cmd_limits, 0, "" },
	{ "serve", rtest_cmd_serve, 1, "OP_TIMEOUT  (ops from stdin, one a line)" },
};

static int usage(void)
{
	fprintf(stderr, "usage: radostest -c CONF -p POOL COMMAND [ARGS]\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %s %s\n", cmds[i].name, cmds[i].args);
	return 2;
}

static void open_cluster(struct rtest *t)
{
	CHECK_RC(rados_create(&t->cluster, NULL), 0);
	CHECK_RC(rados_conf_read_file(t->cluster, t->conf), 0);
	CHECK_RC(rados_connect(t->cluster), 0);
	CHECK_RC(rados_ioctx_create(t->cluster, t->pool, &t->io), 0);
}

int main(int argc, char **argv)
{
	struct rtest t = { 0 };
	int i = 1, rc;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-c") == 0)
			t.conf = argv[i + 1];
		else if (strcmp(argv[i], "-p") == 0)
			t.pool = argv[i + 1];
		else
			return usage();
	}
	if (!t.conf || !t.pool || i >= argc)
		return usage();
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(argv[i], cmds[k].name) != 0)
			continue;
		if (argc - i - 1 != cmds[k].nargs)
			return usage();
		open_cluster(&t);
		rc = cmds[k].fn(&t, argc - i, argv + i);
		rados_ioctx_destroy(t.io);
		rados_shutdown(t.cluster);
		if (rc == 0)
			printf("radostest %s: ok\n", argv[i]);
		return rc;
	}
	return usage();
}
