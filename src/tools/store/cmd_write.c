/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/store/cmd_write.c - the sepia-store-tool commands that make or
 * change stores (mkfs, put, import) and export, which streams a collection
 * out through store/export.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/export.h"
#include "store_tool.h"

/* ---- mkfs ---- */

int tool_cmd_mkfs(const struct tool_args *a)
{
	struct store_opts o;
	int rc;

	store_opts_default(&o);
	if (a->size)
		o.data_size = a->size;
	if (a->block_size)
		o.block_size = (uint32_t)a->block_size;
	rc = store_bs_mkfs(a->path, &o);
	if (rc == -EEXIST)
		tool_err("%s already holds a store", a->path);
	else if (rc == -EINVAL)
		tool_err("bad geometry: block size %u (a power of two >= 512), data size %llu "
		         "(at least 16 blocks)",
		         o.block_size, (unsigned long long)o.data_size);
	else if (rc < 0)
		tool_err("mkfs %s: %s", a->path, strerror(-rc));
	if (rc < 0)
		return TOOL_FAIL;
	printf("created store %s: data %llu bytes, block size %u\n", a->path,
	       (unsigned long long)o.data_size, o.block_size);
	return TOOL_OK;
}

/* ---- put ---- */

/* Adds "KEY=VALUE" items as xattrs or omap keys. */
static int put_kvs(struct store_txn *t, const struct tool_args *a, const struct store_oid *oid,
                   const char *const *v, unsigned n, bool omap)
{
	char key[STORE_NAME_MAX + 1];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < n; i++) {
		const char *eq = strchr(v[i], '=');
		size_t kl = (size_t)(eq - v[i]);
		struct store_kv kv = { .key = key, .val = eq + 1, .len = strlen(eq + 1) };

		if (kl > STORE_NAME_MAX)
			return -EINVAL;
		memcpy(key, v[i], kl);
		key[kl] = '\0';
		rc = omap ? store_txn_omap_setkeys(t, a->coll, oid, &kv, 1)
		          : store_txn_setattr(t, a->coll, oid, key, kv.val, kv.len);
	}
	return rc;
}

/* Builds and applies the put; clears *tp once it is handed to the store
 * (store_apply_transaction always consumes it). */
static int put_txn(struct store *st, const struct tool_args *a, struct store_txn **tp,
                   struct buf *data)
{
	struct store_txn *t = *tp;
	struct store_oid oid = tool_oid(a);
	int rc = 0;

	if (!store_coll_exists(st, a->coll)) {
		if (!a->create_coll) {
			tool_err("no collection '%s' (use --create-collection)", a->coll);
			return -ENOENT;
		}
		rc = store_txn_coll_create(t, a->coll);
	}
	if (rc == 0)
		rc = store_txn_truncate(t, a->coll, &oid, 0);
	if (rc == 0 && buf_len(data))
		rc = store_txn_write(t, a->coll, &oid, 0, data);
	if (rc == 0)
		rc = put_kvs(t, a, &oid, a->xattr, a->nxattr, false);
	if (rc == 0)
		rc = put_kvs(t, a, &oid, a->omap, a->nomap, true);
	if (rc == 0) {
		*tp = NULL;
		rc = store_apply_transaction(st, t);
	}
	if (rc < 0 && rc != -ENOENT)
		tool_err("put %s: %s", a->object, strerror(-rc));
	return rc;
}

int tool_cmd_put(const struct tool_args *a)
{
	struct store_txn *t = NULL;
	struct buf *data = NULL;
	struct store *st;
	size_t n = 0;
	void *p = NULL;
	int rc = tool_map(a->in, &p, &n);

	if (rc < 0) {
		tool_err("%s: %s", a->in, strerror(-rc));
		return TOOL_FAIL;
	}
	rc = buf_create(&data);
	if (rc == 0)
		rc = buf_append(data, p, n);
	tool_unmap(a->in, p, n);
	if (rc == 0)
		rc = store_txn_create(&t);
	if (rc < 0)
		goto out_put;
	rc = tool_open(a, true, &st);
	if (rc == 0) {
		rc = put_txn(st, a, &t, data);
		store_close(st);
	}
	store_txn_destroy(t);
out_put:
	buf_put(data);
	return rc < 0 ? TOOL_FAIL : TOOL_OK;
}

/* ---- export ---- */

static int write_fd(const void *p, size_t n, void *arg)
{
	return tool_write_all(*(int *)arg, p, n);
}

static int print_stats(const struct tool_args *a, const char *verb,
                       const struct store_export_stats *s)
{
	if (a->json)
		return tool_json_print(json_pack(
		    "{s:s, s:s, s:I, s:I, s:I, s:I}", "action", verb, "collection", s->cid,
		    "objects", (json_int_t)s->objects, "data_bytes", (json_int_t)s->data_bytes,
		    "xattrs", (json_int_t)s->xattrs, "omap_keys", (json_int_t)s->omap_keys));
	printf("%s collection %s: %llu objects, %llu data bytes, %llu xattrs, %llu omap keys\n",
	       verb, s->cid, (unsigned long long)s->objects, (unsigned long long)s->data_bytes,
	       (unsigned long long)s->xattrs, (unsigned long long)s->omap_keys);
	return TOOL_OK;
}

int tool_cmd_export(const struct tool_args *a)
{
	struct store_export_stats s;
	struct store *st;
	int fd, rc;

	if (tool_open(a, false, &st) < 0)
		return TOOL_FAIL;
	fd = tool_create(a->out);
	if (fd < 0) {
		tool_err("%s: %s", a->out, strerror(-fd));
		store_close(st);
		return TOOL_FAIL;
	}
	rc = store_export_coll(st, a->coll, write_fd, &fd, &s);
	if (fd != 1 && (fsync(fd) < 0 || close(fd) < 0) && rc == 0)
		rc = -errno;
	store_close(st);
	if (rc < 0) {
		tool_err("export %s: %s%s", a->coll, strerror(-rc),
		         rc == -EIO ? " (an object's block does not match its checksum)" : "");
		if (fd != 1)
			unlink(a->out);
		return TOOL_FAIL;
	}
	return fd == 1 ? TOOL_OK : print_stats(a, "exported", &s);
}

/* ---- import ---- */

static void import_err(const struct tool_args *a, int rc, const struct store_export_stats *s)
{
	if (rc == -EEXIST)
		tool_err("collection %s already exists in %s (use --force to replace it)", s->cid,
		         a->path);
	else if (rc == -EBADMSG)
		tool_err("%s is not a valid export or is damaged (bad record, checksum or "
		         "truncated); nothing was imported",
		         a->in);
	else if (rc == -EPROTONOSUPPORT)
		tool_err("%s was written by a newer version of the export format", a->in);
	else
		tool_err("import %s: %s; collection %s may be partial (re-run with --force)", a->in,
		         strerror(-rc), s->cid);
}

int tool_cmd_import(const struct tool_args *a)
{
	struct store_import_opts o = { .flags = a->force ? STORE_IMPORT_FORCE : 0 };
	struct store_export_stats s = { .cid = "?" };
	struct store *st;
	size_t n = 0;
	void *p = NULL;
	int rc = tool_map(a->in, &p, &n);

	if (rc < 0) {
		tool_err("%s: %s", a->in, strerror(-rc));
		return TOOL_FAIL;
	}
	rc = tool_open(a, true, &st);
	if (rc == 0) {
		rc = store_import(st, p, n, &o, &s);
		store_close(st);
		if (rc < 0)
			import_err(a, rc, &s);
	}
	tool_unmap(a->in, p, n);
	return rc < 0 ? TOOL_FAIL : print_stats(a, "imported", &s);
}
