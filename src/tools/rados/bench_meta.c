/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/bench_meta.c - what a write bench leaves behind and how it
 * goes away: the metadata object that seq and rand read (rados' fields:
 * object size, op count, pid, op size; then our object prefix), removing a
 * run's objects with removes in flight, and `sepia-rados cleanup`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rados_tool.h"

#define BENCH_META   "benchmark_last_metadata"
#define BENCH_PREFIX "benchmark_data"
#define META_MAX     (28 + sizeof(((struct rt_bench_meta *)0)->prefix))

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

const char *rt_bench_meta_name(const struct rt *rt)
{
	return rt->bench.run_name ? rt->bench.run_name : BENCH_META;
}

void rt_bench_prefix(struct rt_bench_meta *m, int pid)
{
	char host[64] = "localhost";

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(m->prefix, sizeof(m->prefix), "%s_%s_%d", BENCH_PREFIX, host, pid);
}

/* Layout: u64 object_size, i32 ops, i32 pid, u64 op_size (rados' fields,
 * little-endian), then u32 length + the object prefix. */
int rt_bench_meta_write(struct rt *rt, const struct rt_bench_meta *m)
{
	unsigned char buf[META_MAX];
	size_t plen = strlen(m->prefix);

	put_le(buf, m->object_size, 8);
	put_le(buf + 8, (uint64_t)m->num_ops, 4);
	put_le(buf + 12, (uint64_t)m->pid, 4);
	put_le(buf + 16, m->op_size, 8);
	put_le(buf + 24, plen, 4);
	memcpy(buf + 28, m->prefix, plen);
	return rados_write_full(rt->io, rt_bench_meta_name(rt), (const char *)buf, 28 + plen);
}

int rt_bench_meta_read(struct rt *rt, struct rt_bench_meta *m)
{
	unsigned char buf[META_MAX];
	int n = rados_read(rt->io, rt_bench_meta_name(rt), (char *)buf, sizeof(buf), 0);
	uint64_t plen;

	if (n < 24)
		return n < 0 ? n : -ENOENT; /* empty: as if missing, like rados */
	m->object_size = get_le(buf, 8);
	m->num_ops = (int64_t)(int32_t)get_le(buf + 8, 4);
	m->pid = (int)(int32_t)get_le(buf + 12, 4);
	m->op_size = get_le(buf + 16, 8);
	plen = n >= 28 ? get_le(buf + 24, 4) : 0;
	if (plen > 0 && plen < sizeof(m->prefix) && 28 + plen <= (uint64_t)n)
		snprintf(m->prefix, sizeof(m->prefix), "%.*s", (int)plen, (const char *)buf + 28);
	else
		rt_bench_prefix(m, m->pid); /* written by rados: this host's name */
	if (m->op_size == 0 || m->object_size < m->op_size || m->num_ops < 0)
		return -EINVAL;
	return 0;
}

int64_t rt_bench_remove(struct rt *rt, const char *prefix, int64_t n, int conc)
{
	rados_completion_t *c = calloc((size_t)conc, sizeof(*c));
	int64_t removed = 0;
	int rc = 0;

	if (!c)
		return -ENOMEM;
	for (int64_t i = 0; i < n + conc; i++) {
		rados_completion_t *slot = &c[i % conc];
		char name[256];

		if (*slot) {
			int r = rados_aio_wait_for_complete(*slot);

			r = r < 0 ? r : rados_aio_get_return_value(*slot);
			rados_aio_release(*slot);
			*slot = NULL;
			if (r == 0)
				removed++;
			else if (r != -ENOENT && !rc)
				rc = r;
		}
		if (i >= n || rc)
			continue;
		snprintf(name, sizeof(name), "%s_object%lld", prefix, (long long)i);
		rc = rados_aio_create_completion(NULL, NULL, NULL, slot);
		if (rc == 0 && (rc = rados_aio_remove(rt->io, name, *slot)) < 0) {
			rados_aio_release(*slot);
			*slot = NULL;
		}
	}
	free(c);
	return rc < 0 ? rc : removed;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Removes every object whose name starts with prefix (listing the pool). */
static int64_t remove_listed(struct rt *rt, const char *prefix)
{
	rados_list_ctx_t ctx;
	const char *entry, *key, *ns;
	int64_t n = 0;
	int rc = rados_nobjects_list_open(rt->io, &ctx);

	if (rc < 0)
		return rc;
	while ((rc = rados_nobjects_list_next(ctx, &entry, &key, &ns)) == 0) {
		if (!has_prefix(entry, prefix))
			continue;
		rc = rados_remove(rt->io, entry);
		if (rc < 0 && rc != -ENOENT)
			break;
		n++;
	}
	rados_nobjects_list_close(ctx);
	return rc == -ENOENT || rc == 0 ? n : rc;
}

/* Removes the objects the metadata object names, then the object itself;
 * objects removed, or minus the exit code (the failure is printed). */
static int64_t remove_run(struct rt *rt)
{
	struct rt_bench_meta m;
	int64_t wpo, n;
	int rc = rt_bench_meta_read(rt, &m);

	if (rc == -ENOENT || rc == -EINVAL)
		return 0;
	if (rc < 0)
		return rt_fail(rc, "reading %s", rt_bench_meta_name(rt));
	wpo = (int64_t)(m.object_size / m.op_size);
	n = rt_bench_remove(rt, m.prefix, (m.num_ops + wpo - 1) / wpo, rt->bench.concurrency);
	if (n < 0)
		return -rt_fail((int)n, "removing the objects of %s", m.prefix);
	rados_remove(rt->io, rt_bench_meta_name(rt));
	return n;
}

int rt_cmd_cleanup(struct rt *rt, int argc, char **argv)
{
	int64_t n = 0, m = 0;

	(void)argc;
	(void)argv;
	if (!rt->bench.prefix && (n = remove_run(rt)) < 0)
		return (int)-n;
	if (rt->bench.prefix || !rt->bench.run_name) {
		m = remove_listed(rt, rt->bench.prefix ? rt->bench.prefix : BENCH_PREFIX);
		if (m < 0)
			return rt_fail((int)m, "removing objects");
	}
	/* objects the metadata named were removed first, so the scan found the rest */
	printf("Removed %lld object%s\n", (long long)(n + m), n + m == 1 ? "" : "s");
	return 0;
}
