/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/store/cmd_read.c - the sepia-store-tool commands that only read:
 * fsck, list-collections, list, dump, get and statfs. Each opens the store
 * read-only (no replay written, no RocksDB lock taken). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "store_tool.h"

#define GET_CHUNK (4u << 20)

/* ---- fsck ---- */

static void fsck_one(const char *what, void *arg)
{
	json_t *errs = arg;

	if (errs)
		json_array_append_new(errs, json_string(what));
	else
		printf("error: %s\n", what);
}

int tool_cmd_fsck(const struct tool_args *a)
{
	json_t *errs = a->json ? json_array() : NULL;
	struct store *st;
	int n;

	if (tool_open(a, false, &st) < 0) {
		json_decref(errs);
		return TOOL_FAIL;
	}
	n = store_fsck(st, a->deep ? STORE_FSCK_DEEP : 0, fsck_one, errs);
	store_close(st);
	if (n < 0) {
		tool_err("fsck of %s could not run: %s", a->path, strerror(-n));
		json_decref(errs);
		return TOOL_FAIL;
	}
	if (errs)
		tool_json_print(json_pack("{s:s, s:b, s:i, s:o}", "path", a->path, "deep", a->deep,
		                          "errors", n, "findings", errs));
	else
		printf("fsck%s of %s: %s (%d error%s)\n", a->deep ? " --deep" : "", a->path,
		       n ? "ERRORS FOUND" : "clean", n, n == 1 ? "" : "s");
	return n ? TOOL_FAIL : TOOL_OK;
}

/* ---- list-collections ---- */

static int coll_one(const char *cid, void *arg)
{
	json_t *arr = arg;

	if (arr)
		return json_array_append_new(arr, json_string(cid));
	printf("%s\n", cid);
	return 0;
}

int tool_cmd_list_colls(const struct tool_args *a)
{
	json_t *arr = a->json ? json_array() : NULL;
	struct store *st;
	int rc;

	if (tool_open(a, false, &st) < 0) {
		json_decref(arr);
		return TOOL_FAIL;
	}
	rc = store_list_colls(st, coll_one, arr);
	store_close(st);
	if (rc < 0) {
		tool_err("listing collections: %s", strerror(-rc));
		json_decref(arr);
		return TOOL_FAIL;
	}
	return arr ? tool_json_print(arr) : TOOL_OK;
}

/* ---- list ---- */

struct list_ctx {
	struct store *st;
	const char *cid;
	json_t *arr;
};

static int obj_one(const struct store_oid *oid, void *arg)
{
	struct list_ctx *l = arg;
	char snap[32] = "head";

	if (l->arr)
		return json_array_append_new(
		    l->arr, json_pack("{s:s, s:s, s:s, s:o}", "collection", l->cid, "namespace",
		                      oid->nspace ? oid->nspace : "", "name", oid->name, "snap",
		                      tool_json_snap(oid->snap)));
	if (oid->snap != STORE_SNAP_HEAD)
		snprintf(snap, sizeof(snap), "%llu", (unsigned long long)oid->snap);
	printf("%s\t%s\t%s\t%s\n", l->cid, oid->nspace ? oid->nspace : "", oid->name, snap);
	return 0;
}

static int list_coll(const char *cid, void *arg)
{
	struct list_ctx *l = arg;
	int rc;

	l->cid = cid;
	rc = store_list(l->st, cid, NULL, 0, obj_one, l);
	if (rc < 0)
		tool_err("listing %s: %s", cid, strerror(-rc));
	return rc < 0 ? rc : 0;
}

int tool_cmd_list(const struct tool_args *a)
{
	struct list_ctx l = { .arr = a->json ? json_array() : NULL };
	int rc;

	if (tool_open(a, false, &l.st) < 0) {
		json_decref(l.arr);
		return TOOL_FAIL;
	}
	if (a->coll && !store_coll_exists(l.st, a->coll)) {
		tool_err("no collection '%s' in %s", a->coll, a->path);
		rc = -ENOENT;
	} else if (a->coll) {
		rc = list_coll(a->coll, &l);
	} else {
		rc = store_list_colls(l.st, list_coll, &l);
	}
	store_close(l.st);
	if (rc < 0) {
		json_decref(l.arr);
		return TOOL_FAIL;
	}
	return l.arr ? tool_json_print(l.arr) : TOOL_OK;
}

/* ---- dump ---- */

static bool is_text(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (!isprint(c[i]))
			return false;
	return true;
}

static json_t *hex(const void *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", ((const unsigned char *)p)[i]);
	s[2 * n] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static int ext_one(const struct store_extent *x, void *arg)
{
	json_t *crcs = json_array();

	for (uint32_t i = 0; i < x->nblocks; i++)
		json_array_append_new(crcs, json_integer(x->crc[i]));
	return json_array_append_new(
	    arg, json_pack("{s:I, s:I, s:I, s:i, s:i, s:o}", "offset", (json_int_t)x->off, "length",
	                   (json_int_t)x->len, "file_offset", (json_int_t)x->file_off, "block_size",
	                   (int)x->block_size, "blocks", (int)x->nblocks, "crc32c", crcs));
}

static int kv_one(const char *key, const void *val, size_t len, void *arg)
{
	json_t *e = json_pack("{s:s, s:I}", "key", key, "length", (json_int_t)len);

	json_object_set_new(e, is_text(val, len) ? "value" : "value_hex",
	                    is_text(val, len) ? json_stringn(val, len) : hex(val, len));
	return json_array_append_new(arg, e);
}

/* The object's metadata as JSON (NULL and an error printed on failure). */
static json_t *dump_obj(struct store *st, const struct tool_args *a)
{
	struct store_oid oid = tool_oid(a);
	json_t *ext = json_array(), *xa = json_array(), *om = json_array();
	struct store_stat s;
	int rc = store_stat(st, a->coll, &oid, &s);

	if (rc == 0)
		rc = store_extents(st, a->coll, &oid, ext_one, ext);
	if (rc == 0)
		rc = store_getattrs(st, a->coll, &oid, kv_one, xa);
	if (rc == 0)
		rc = store_omap_iterate(st, a->coll, &oid, NULL, 0, kv_one, om);
	if (rc < 0) {
		char b[3 * STORE_NAME_MAX];

		tool_err("dump %s: %s", tool_oid_str(a->coll, &oid, b, sizeof(b)), strerror(-rc));
		json_decref(ext), json_decref(xa), json_decref(om);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:o, s:o, s:o}", "collection", a->coll,
	                 "namespace", oid.nspace, "name", oid.name, "snap",
	                 tool_json_snap(oid.snap), "size", (json_int_t)s.size, "allocated",
	                 (json_int_t)s.allocated, "extents", ext, "xattrs", xa, "omap", om);
}

static void print_kvs(const char *title, json_t *arr)
{
	size_t i;
	json_t *e;

	printf("%-10s %zu\n", title, json_array_size(arr));
	json_array_foreach(arr, i, e)
	{
		json_t *v = json_object_get(e, "value");

		printf("  %s (%lld bytes)%s%s%s\n", json_string_value(json_object_get(e, "key")),
		       (long long)json_integer_value(json_object_get(e, "length")),
		       v ? " = \"" : "", v ? json_string_value(v) : "", v ? "\"" : "");
	}
}

static void print_dump(json_t *j)
{
	json_t *e, *c;
	size_t i, k;

	json_t *snap = json_object_get(j, "snap");

	printf("object     %s/%s (namespace \"%s\", snap ",
	       json_string_value(json_object_get(j, "collection")),
	       json_string_value(json_object_get(j, "name")),
	       json_string_value(json_object_get(j, "namespace")));
	if (json_is_string(snap))
		printf("head)\n");
	else
		printf("%lld)\n", (long long)json_integer_value(snap));
	printf("size       %lld\nallocated  %lld\nextents    %zu\n",
	       (long long)json_integer_value(json_object_get(j, "size")),
	       (long long)json_integer_value(json_object_get(j, "allocated")),
	       json_array_size(json_object_get(j, "extents")));
	json_array_foreach(json_object_get(j, "extents"), i, e)
	{
		long long off = json_integer_value(json_object_get(e, "offset"));

		json_t *crcs = json_object_get(e, "crc32c");

		printf("  [%lld, %lld) at file offset %lld, %zu blocks, crc32c", off,
		       off + json_integer_value(json_object_get(e, "length")),
		       (long long)json_integer_value(json_object_get(e, "file_offset")),
		       json_array_size(crcs));
		json_array_foreach(crcs, k, c)
		{
			if (k == 8) {
				printf(" ... (--format json lists all)");
				break;
			}
			printf(" %08llx", (long long)json_integer_value(c));
		}
		printf("\n");
	}
	print_kvs("xattrs", json_object_get(j, "xattrs"));
	print_kvs("omap keys", json_object_get(j, "omap"));
}

int tool_cmd_dump(const struct tool_args *a)
{
	struct store *st;
	json_t *j;

	if (tool_open(a, false, &st) < 0)
		return TOOL_FAIL;
	j = dump_obj(st, a);
	store_close(st);
	if (!j)
		return TOOL_FAIL;
	if (a->json)
		return tool_json_print(j);
	print_dump(j);
	json_decref(j);
	return TOOL_OK;
}

/* ---- get ---- */

static int copy_out(struct store *st, const struct tool_args *a, int fd)
{
	struct store_oid oid = tool_oid(a);
	char name[3 * STORE_NAME_MAX];
	uint64_t off = 0;
	struct buf *b;
	ssize_t n;
	int rc = 0;

	tool_oid_str(a->coll, &oid, name, sizeof(name));
	for (;;) {
		n = store_read(st, a->coll, &oid, off, GET_CHUNK, &b);
		if (n < 0) {
			tool_err("get %s: read at offset %llu failed: %s%s", name,
			         (unsigned long long)off, strerror((int)-n),
			         n == -EIO ? " (a block does not match its checksum)" : "");
			return (int)n;
		}
		if (n > 0)
			rc = tool_write_all(fd, buf_flatten(b), (size_t)n);
		buf_put(b);
		if (rc < 0) {
			tool_err("get %s: writing %s: %s", name, a->out ? a->out : "stdout",
			         strerror(-rc));
			return rc;
		}
		if (n < (ssize_t)GET_CHUNK)
			return 0;
		off += (uint64_t)n;
	}
}

int tool_cmd_get(const struct tool_args *a)
{
	const char *out = a->out ? a->out : "-";
	struct store *st;
	int fd, rc;

	if (tool_open(a, false, &st) < 0)
		return TOOL_FAIL;
	fd = tool_create(out);
	if (fd < 0) {
		tool_err("%s: %s", out, strerror(-fd));
		store_close(st);
		return TOOL_FAIL;
	}
	rc = copy_out(st, a, fd);
	if (fd != 1 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0 && fd != 1)
		unlink(out); /* no partial output */
	store_close(st);
	return rc < 0 ? TOOL_FAIL : TOOL_OK;
}

/* ---- statfs ---- */

int tool_cmd_statfs(const struct tool_args *a)
{
	struct store_statfs s;
	struct store *st;
	int rc;

	if (tool_open(a, false, &st) < 0)
		return TOOL_FAIL;
	rc = store_statfs(st, &s);
	store_close(st);
	if (rc < 0) {
		tool_err("statfs: %s", strerror(-rc));
		return TOOL_FAIL;
	}
	if (a->json)
		return tool_json_print(
		    json_pack("{s:I, s:I, s:I, s:I}", "total", (json_int_t)s.total, "available",
		              (json_int_t)s.available, "allocated", (json_int_t)s.allocated,
		              "objects", (json_int_t)s.objects));
	printf("total      %llu\navailable  %llu\nallocated  %llu\nobjects    %llu\n",
	       (unsigned long long)s.total, (unsigned long long)s.available,
	       (unsigned long long)s.allocated, (unsigned long long)s.objects);
	return TOOL_OK;
}
