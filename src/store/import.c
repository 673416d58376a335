/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/import.c - reads the export format (export.h) into a store.
 *
 * DESIGN
 * Two passes over the same bytes through one walker: pass 1 (verify) checks
 * every record's envelope and crc, the grammar, names, sizes and ordering
 * and changes nothing; pass 2 (apply) walks again and builds transactions.
 * So a damaged or truncated stream is refused before anything is written,
 * and apply can fail only for resources (-ENOSPC, -EIO, -ENOMEM).
 * Walker states: want HEADER -> between objects -> in object -> ... ->
 * after TRAILER (only the end of input may follow). A transaction is
 * committed whenever it carries TXN_BYTES of data or TXN_OPS ops, so memory
 * stays bounded for objects of any size. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/mem.h"
#include "store/export_int.h"

#define TXN_BYTES (8u << 20)
#define TXN_OPS   512u
#define NAMEBUF   (STORE_NAME_MAX + 1)

enum wstate { W_HEADER, W_BETWEEN, W_OBJECT, W_DONE };

struct imp {
	struct store *st;
	const struct store_import_opts *o;
	bool apply;
	enum wstate ws;
	struct store_export_stats *stats;
	char cid[NAMEBUF];
	char ns[NAMEBUF], name[NAMEBUF]; /* current object */
	uint64_t snap, size, data_end;
	uint32_t ndata, nomap;
	char pns[NAMEBUF], pname[NAMEBUF]; /* previous object */
	uint64_t psnap;
	bool has_prev;
	char key[NAMEBUF], pkey[NAMEBUF]; /* xattr / omap key order */
	bool has_pkey;
	struct store_txn *t;
	uint64_t tbytes;
};

static struct store_oid cur_oid(const struct imp *im)
{
	return (struct store_oid){ .nspace = im->ns, .name = im->name, .snap = im->snap };
}

/* Commits the open transaction (apply pass) when full or when forced. */
static int txn_flush(struct imp *im, bool force)
{
	int rc;

	if (!im->apply || !store_txn_count(im->t))
		return 0;
	if (!force && im->tbytes < TXN_BYTES && store_txn_count(im->t) < TXN_OPS)
		return 0;
	rc = store_apply_transaction(im->st, im->t);
	im->t = NULL;
	im->tbytes = 0;
	return rc < 0 ? rc : store_txn_create(&im->t);
}

/* Next record: envelope, crc over it, type byte. */
static int rec_next(struct dec *d, uint8_t *type, struct dec *body)
{
	const uint8_t *start = d->p;
	uint32_t crc;
	uint8_t v;
	int rc = dec_begin(d, EXP_V, &v, body);

	if (rc < 0)
		return rc;
	if (dec_u32(d, &crc) < 0 ||
	    crc != crc_crc32c(UINT32_MAX, start, (size_t)(d->p - 4 - start)))
		return -EBADMSG;
	return dec_u8(body, type) < 0 ? -EBADMSG : 0;
}

/* A key/value pair of an xattr or omap list; keys strictly ascending. */
static int kv_next(struct imp *im, struct dec *d, const void **val, uint32_t *len)
{
	if (dec_str_buf(d, im->key, sizeof(im->key)) < 0 || dec_blob_ref(d, val, len) < 0)
		return -EBADMSG;
	if (*len > STORE_VALUE_MAX || (im->has_pkey && strcmp(im->pkey, im->key) >= 0))
		return -EBADMSG;
	memcpy(im->pkey, im->key, strlen(im->key) + 1);
	im->has_pkey = true;
	return 0;
}

static int on_header(struct imp *im, struct dec *d)
{
	const void *kind;
	uint64_t magic;
	uint32_t klen;

	if (im->ws != W_HEADER || dec_u64(d, &magic) < 0 || magic != STORE_EXPORT_MAGIC ||
	    dec_str_buf(d, im->cid, sizeof(im->cid)) < 0 || dec_blob_ref(d, &kind, &klen) < 0)
		return -EBADMSG;
	snprintf(im->stats->cid, sizeof(im->stats->cid), "%s", im->cid);
	im->ws = W_BETWEEN;
	return 0;
}

static bool follows_prev(const struct imp *im)
{
	struct store_oid a = { .nspace = im->pns, .name = im->pname, .snap = im->psnap };
	struct store_oid b = cur_oid(im);

	return !im->has_prev || store_oid_cmp(&a, &b) < 0;
}

static int on_object(struct imp *im, struct dec *d)
{
	struct store_oid oid;
	const void *val;
	uint32_t n, len;
	int rc = 0;

	if (im->ws != W_BETWEEN || dec_str_buf(d, im->ns, sizeof(im->ns)) < 0 ||
	    dec_str_buf(d, im->name, sizeof(im->name)) < 0 || dec_u64(d, &im->snap) < 0 ||
	    dec_u64(d, &im->size) < 0 || dec_count(d, 8, &n) < 0 || !follows_prev(im))
		return -EBADMSG;
	if (im->o->max_object && im->size > im->o->max_object)
		return -EFBIG;
	oid = cur_oid(im);
	if (im->apply)
		rc = store_txn_touch(im->t, im->cid, &oid);
	if (rc == 0 && im->apply)
		rc = store_txn_truncate(im->t, im->cid, &oid, im->size);
	im->has_pkey = false;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		rc = kv_next(im, d, &val, &len);
		if (rc == 0 && im->apply)
			rc = store_txn_setattr(im->t, im->cid, &oid, im->key, val, len);
	}
	im->stats->xattrs += n;
	im->ws = W_OBJECT;
	im->data_end = 0;
	im->ndata = im->nomap = 0;
	im->has_pkey = false; /* omap keys start over */
	return rc;
}

static int on_data(struct imp *im, struct dec *d)
{
	struct store_oid oid = cur_oid(im);
	struct buf *b;
	const void *p;
	uint64_t off;
	uint32_t len;
	int rc;

	if (im->ws != W_OBJECT || dec_u64(d, &off) < 0 || dec_blob_ref(d, &p, &len) < 0 ||
	    len == 0 || len > STORE_EXPORT_CHUNK || off < im->data_end || len > im->size ||
	    off > im->size - len)
		return -EBADMSG;
	im->data_end = off + len;
	im->ndata++;
	im->stats->data_bytes += len;
	if (!im->apply)
		return 0;
	rc = buf_create(&b);
	if (rc < 0)
		return rc;
	rc = buf_append(b, p, len);
	if (rc == 0)
		rc = store_txn_write(im->t, im->cid, &oid, off, b);
	buf_put(b);
	im->tbytes += len;
	return rc < 0 ? rc : txn_flush(im, false);
}

static int on_omap(struct imp *im, struct dec *d)
{
	struct store_oid oid = cur_oid(im);
	struct store_kv kv;
	uint32_t n, len;
	int rc = 0;

	if (im->ws != W_OBJECT || dec_count(d, 8, &n) < 0 || n == 0)
		return -EBADMSG;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		rc = kv_next(im, d, &kv.val, &len);
		kv.key = im->key;
		kv.len = len;
		if (rc == 0 && im->apply)
			rc = store_txn_omap_setkeys(im->t, im->cid, &oid, &kv, 1);
		im->tbytes += len;
	}
	im->nomap += n;
	return rc < 0 ? rc : txn_flush(im, false);
}

static int on_object_end(struct imp *im, struct dec *d)
{
	uint32_t ndata, nomap;

	if (im->ws != W_OBJECT || dec_u32(d, &ndata) < 0 || dec_u32(d, &nomap) < 0 ||
	    ndata != im->ndata || nomap != im->nomap)
		return -EBADMSG;
	memcpy(im->pns, im->ns, sizeof(im->ns));
	memcpy(im->pname, im->name, sizeof(im->name));
	im->psnap = im->snap;
	im->has_prev = true;
	im->stats->objects++;
	im->stats->omap_keys += nomap;
	im->ws = W_BETWEEN;
	return txn_flush(im, false);
}

static int on_trailer(struct imp *im, struct dec *d)
{
	uint64_t objects, records;

	if (im->ws != W_BETWEEN || dec_u64(d, &objects) < 0 || dec_u64(d, &records) < 0 ||
	    objects != im->stats->objects || records != im->stats->records)
		return -EBADMSG;
	im->ws = W_DONE;
	return txn_flush(im, true);
}

static int on_record(struct imp *im, uint8_t type, struct dec *body)
{
	switch (type) {
	case EXP_HEADER:
		return on_header(im, body);
	case EXP_OBJECT:
		return on_object(im, body);
	case EXP_DATA:
		return on_data(im, body);
	case EXP_OMAP:
		return on_omap(im, body);
	case EXP_OBJECT_END:
		return on_object_end(im, body);
	case EXP_TRAILER:
		return on_trailer(im, body);
	default:
		return -EBADMSG;
	}
}

static int walk(struct imp *im, const void *p, size_t n)
{
	struct dec d, body;
	uint8_t type;
	int rc = 0;

	dec_init(&d, p, n);
	memset(im->stats, 0, sizeof(*im->stats));
	im->ws = W_HEADER;
	im->has_prev = false;
	while (rc == 0 && im->ws != W_DONE) {
		rc = rec_next(&d, &type, &body);
		if (rc == 0)
			rc = on_record(im, type, &body);
		if (rc == 0 && im->ws != W_DONE)
			im->stats->records++;
	}
	if (rc == 0 && dec_left(&d))
		rc = -EBADMSG; /* bytes after the trailer */
	return rc;
}

static int add_oid(const struct store_oid *oid, void *arg)
{
	struct store_txn *t = ((void **)arg)[0];
	const char *cid = ((void **)arg)[1];

	return store_txn_remove(t, cid, oid);
}

/* Removes every object of cid (FORCE), a batch per transaction. */
static int clear_coll(struct store *st, const char *cid)
{
	struct store_txn *t;
	void *ctx[2];
	int rc;

	for (;;) {
		rc = store_txn_create(&t);
		if (rc < 0)
			return rc;
		ctx[0] = t;
		ctx[1] = (void *)cid;
		rc = store_list(st, cid, NULL, TXN_OPS, add_oid, ctx);
		if (rc <= 0) {
			store_txn_destroy(t);
			return rc;
		}
		rc = store_apply_transaction(st, t);
		if (rc < 0)
			return rc;
	}
}

/* Apply pass, first step: an empty collection to fill. */
static int prepare_coll(struct imp *im)
{
	struct store_txn *t;
	int rc;

	if (store_coll_exists(im->st, im->cid))
		return clear_coll(im->st, im->cid);
	rc = store_txn_create(&t);
	if (rc == 0)
		rc = store_txn_coll_create(t, im->cid);
	if (rc == 0)
		rc = store_apply_transaction(im->st, t);
	else
		store_txn_destroy(t);
	return rc;
}

int store_import(struct store *st, const void *p, size_t n, const struct store_import_opts *o,
                 struct store_export_stats *stats)
{
	struct store_export_stats dummy;
	struct imp *im = mem_calloc(1, sizeof(*im));
	int rc;

	if (!im)
		return -ENOMEM;
	im->st = st;
	im->o = o;
	im->stats = stats ? stats : &dummy;
	rc = walk(im, p, n);
	if (rc == 0 && !(o->flags & STORE_IMPORT_FORCE) && store_coll_exists(st, im->cid))
		rc = -EEXIST;
	if (rc < 0 || (o->flags & STORE_IMPORT_VERIFY))
		goto out_free;
	im->apply = true;
	rc = prepare_coll(im);
	if (rc == 0)
		rc = store_txn_create(&im->t);
	if (rc == 0)
		rc = walk(im, p, n);
	store_txn_destroy(im->t);
out_free:
	mem_free(im);
	return rc;
}
