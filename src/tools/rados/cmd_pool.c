/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/cmd_pool.c - sepia-rados pool commands: lspools, mkpool,
 * rmpool and df (per-pool statistics from rados_ioctx_pool_stat, totals
 * from rados_cluster_stat, laid out like `rados df`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rados_tool.h"

/* The pool names as one NUL-separated list ending with an empty name
 * (caller frees), or NULL with *rc set. */
static char *pool_names(struct rt *rt, int *rc)
{
	size_t cap = 4096;
	char *buf = NULL;

	for (int tries = 0; tries < 8; tries++) {
		char *nb = realloc(buf, cap);
		int n;

		if (!nb) {
			*rc = -ENOMEM;
			break;
		}
		buf = nb;
		n = rados_pool_list(rt->cluster, buf, cap);
		if (n < 0) {
			*rc = n;
			break;
		}
		if ((size_t)n <= cap)
			return buf;
		cap = (size_t)n + 1024;
	}
	free(buf);
	return NULL;
}

int rt_cmd_lspools(struct rt *rt, int argc, char **argv)
{
	json_t *arr = rt_is_json(rt) ? json_array() : NULL;
	int rc = 0;
	char *names = pool_names(rt, &rc);

	(void)argc;
	(void)argv;
	if (!names) {
		json_decref(arr);
		return rt_fail(rc, "listing pools");
	}
	for (const char *p = names; *p; p += strlen(p) + 1) {
		if (arr)
			json_array_append_new(arr, json_string(p));
		else
			printf("%s\n", p);
	}
	if (arr)
		rt_print_json(rt, arr);
	free(names);
	return 0;
}

int rt_cmd_mkpool(struct rt *rt, int argc, char **argv)
{
	int rc = rados_pool_create(rt->cluster, argv[1]);

	(void)argc;
	if (rc < 0)
		return rt_fail(rc, "creating pool %s", argv[1]);
	printf("successfully created pool %s\n", argv[1]);
	return 0;
}

int rt_cmd_rmpool(struct rt *rt, int argc, char **argv)
{
	int rc;

	(void)argc;
	if (strcmp(argv[1], argv[2]) != 0 || !rt->yes_really) {
		fprintf(stderr,
		        "WARNING:\n  This will PERMANENTLY DESTROY all data stored in pool %s.\n"
		        "  If you are ABSOLUTELY CERTAIN that is what you want, pass the pool\n"
		        "  name twice, followed by --yes-i-really-really-mean-it.\n",
		        argv[1]);
		return EPERM;
	}
	rc = rados_pool_delete(rt->cluster, argv[1]);
	if (rc < 0)
		return rt_fail(rc, "removing pool %s", argv[1]);
	printf("successfully deleted pool %s\n", argv[1]);
	return 0;
}

/* Ceph's byte_u_t layout: "0 B", "4 KiB", "1.5 MiB". */
static const char *human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0 || d >= 100 || d == (double)(uint64_t)d)
		snprintf(buf, len, "%.0f %s", d, units[u]);
	else
		snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

struct df_row {
	char name[256];
	int64_t id;
	struct rados_pool_stat_t st;
};

static int pool_row(struct rt *rt, const char *name, struct df_row *row)
{
	rados_ioctx_t io;
	int rc = rados_ioctx_create(rt->cluster, name, &io);

	if (rc < 0)
		return rc;
	snprintf(row->name, sizeof(row->name), "%s", name);
	row->id = rados_ioctx_get_id(io);
	memset(&row->st, 0, sizeof(row->st));
	rc = rados_ioctx_pool_stat(io, &row->st);
	rados_ioctx_destroy(io);
	return rc;
}

static json_t *row_json(const struct df_row *r)
{
	const struct rados_pool_stat_t *s = &r->st;

	return json_pack(
	    "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
	    r->name, "id", (json_int_t)r->id, "size_bytes", (json_int_t)s->num_bytes, "size_kb",
	    (json_int_t)s->num_kb, "num_objects", (json_int_t)s->num_objects, "num_object_clones",
	    (json_int_t)s->num_object_clones, "num_object_copies", (json_int_t)s->num_object_copies,
	    "num_objects_missing_on_primary", (json_int_t)s->num_objects_missing_on_primary,
	    "num_objects_unfound", (json_int_t)s->num_objects_unfound, "num_objects_degraded",
	    (json_int_t)s->num_objects_degraded, "read_ops", (json_int_t)s->num_rd, "read_bytes",
	    (json_int_t)(s->num_rd_kb * 1024), "write_ops", (json_int_t)s->num_wr, "write_bytes",
	    (json_int_t)(s->num_wr_kb * 1024));
}

static void row_plain(const struct df_row *r, int w)
{
	const struct rados_pool_stat_t *s = &r->st;
	char used[32], rd[32], wr[32];

	printf("%-*s %9s %8llu %7llu %7llu %19llu %8llu %9llu %7llu %9s %7llu %9s\n", w, r->name,
	       human(s->num_bytes, used, sizeof(used)), (unsigned long long)s->num_objects,
	       (unsigned long long)s->num_object_clones, (unsigned long long)s->num_object_copies,
	       (unsigned long long)s->num_objects_missing_on_primary,
	       (unsigned long long)s->num_objects_unfound,
	       (unsigned long long)s->num_objects_degraded, (unsigned long long)s->num_rd,
	       human(s->num_rd_kb * 1024, rd, sizeof(rd)), (unsigned long long)s->num_wr,
	       human(s->num_wr_kb * 1024, wr, sizeof(wr)));
}

static void print_totals(const struct rt *rt, json_t *j, const struct rados_cluster_stat_t *c)
{
	char b[32];

	if (j) {
		json_object_set_new(j, "total_objects", json_integer((json_int_t)c->num_objects));
		json_object_set_new(j, "total_used", json_integer((json_int_t)c->kb_used));
		json_object_set_new(j, "total_avail", json_integer((json_int_t)c->kb_avail));
		json_object_set_new(j, "total_space", json_integer((json_int_t)c->kb));
		rt_print_json(rt, j);
		return;
	}
	printf("\ntotal_objects    %llu\n", (unsigned long long)c->num_objects);
	printf("total_used       %s\n", human(c->kb_used * 1024, b, sizeof(b)));
	printf("total_avail      %s\n", human(c->kb_avail * 1024, b, sizeof(b)));
	printf("total_space      %s\n", human(c->kb * 1024, b, sizeof(b)));
}

/* Rows of every pool (or of -p POOL); *n rows, caller frees. */
static int df_rows(struct rt *rt, struct df_row **out, size_t *n)
{
	int rc = 0;
	char *names = rt->pool ? NULL : pool_names(rt, &rc);
	size_t count = 0, i = 0;
	struct df_row *rows;

	if (!rt->pool && !names)
		return rt_fail(rc, "listing pools");
	for (const char *p = names; p && *p; p += strlen(p) + 1)
		count++;
	rows = calloc(rt->pool ? 1 : count + 1, sizeof(*rows));
	if (!rows)
		rc = rt_fail(-ENOMEM, "listing pools");
	for (const char *p = rt->pool ? rt->pool : names; rc == 0 && p && *p; i++) {
		int r = pool_row(rt, p, &rows[i]);

		if (r < 0)
			rc = rt_fail(r, "getting statistics of pool %s", p);
		p = rt->pool ? NULL : p + strlen(p) + 1;
	}
	free(names);
	if (rc) {
		free(rows);
		return rc;
	}
	*out = rows;
	*n = i;
	return 0;
}

int rt_cmd_df(struct rt *rt, int argc, char **argv)
{
	struct rados_cluster_stat_t cs;
	struct df_row *rows = NULL;
	json_t *j = NULL, *arr = NULL;
	size_t n = 0;
	int w = 9, rc = df_rows(rt, &rows, &n);

	(void)argc;
	(void)argv;
	if (rc)
		return rc;
	rc = rados_cluster_stat(rt->cluster, &cs);
	if (rc < 0) {
		free(rows);
		return rt_fail(rc, "getting cluster statistics");
	}
	if (rt_is_json(rt)) {
		j = json_object();
		arr = json_array();
		json_object_set_new(j, "pools", arr);
	}
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(rows[i].name) > w)
			w = (int)strlen(rows[i].name);
	if (!j)
		printf("%-*s %9s %8s %7s %7s %19s %8s %9s %7s %9s %7s %9s\n", w, "POOL_NAME",
		       "USED", "OBJECTS", "CLONES", "COPIES", "MISSING_ON_PRIMARY", "UNFOUND",
		       "DEGRADED", "RD_OPS", "RD", "WR_OPS", "WR");
	for (size_t i = 0; i < n; i++) {
		if (arr)
			json_array_append_new(arr, row_json(&rows[i]));
		else
			row_plain(&rows[i], w);
	}
	print_totals(rt, j, &cs);
	free(rows);
	return 0;
}
