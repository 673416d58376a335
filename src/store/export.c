/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/export.c - writes one collection in the export format (export.h):
 * objects in listing order, each as OBJECT, DATA and OMAP records and an
 * OBJECT_END, between a HEADER and a TRAILER. Reads go through store.h only,
 * so any store can be exported; a read error (bad checksum) stops it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/mem.h"
#include "store/export_int.h"

#define LIST_BATCH 256

struct xw {
	struct store *st;
	const char *cid;
	store_export_write_fn *fn;
	void *arg;
	struct enc e;
	size_t env;     /* envelope start in e */
	size_t cnt_pos; /* position of the count of the record being filled */
	uint32_t cnt;
	uint32_t ndata, nomap; /* of the current object */
	int rc;                /* a write error inside a callback */
	struct store_export_stats *stats;
	uint8_t *chunk; /* STORE_EXPORT_CHUNK bytes */
};

static void rec_begin(struct xw *w, enum exp_rec type)
{
	enc_init(&w->e);
	w->env = enc_begin(&w->e, EXP_V, EXP_V);
	enc_u8(&w->e, (uint8_t)type);
}

/* Closes the record, appends its crc and hands it to the writer. */
static int rec_end(struct xw *w)
{
	int rc;

	enc_end(&w->e, w->env);
	enc_u32(&w->e, crc_crc32c(UINT32_MAX, w->e.data, w->e.len));
	rc = enc_error(&w->e);
	if (rc == 0)
		rc = w->fn(w->e.data, w->e.len, w->arg);
	enc_fini(&w->e);
	if (rc == 0)
		w->stats->records++;
	return rc;
}

static int attr_one(const char *key, const void *val, size_t len, void *arg)
{
	struct xw *w = arg;

	enc_str(&w->e, key);
	enc_blob(&w->e, val, len);
	w->cnt++;
	return 0;
}

static int put_object(struct xw *w, const struct store_oid *oid, uint64_t size)
{
	int rc;

	rec_begin(w, EXP_OBJECT);
	enc_str(&w->e, oid->nspace);
	enc_str(&w->e, oid->name);
	enc_u64(&w->e, oid->snap);
	enc_u64(&w->e, size);
	w->cnt_pos = w->e.len;
	w->cnt = 0;
	enc_u32(&w->e, 0);
	rc = store_getattrs(w->st, w->cid, oid, attr_one, w);
	if (rc < 0) {
		enc_fini(&w->e);
		return rc;
	}
	enc_patch_u32(&w->e, w->cnt_pos, w->cnt);
	w->stats->xattrs += w->cnt;
	return rec_end(w);
}

static bool is_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static int put_chunk(struct xw *w, const struct store_oid *oid, uint64_t off, size_t *got)
{
	struct buf *b;
	ssize_t n = store_read(w->st, w->cid, oid, off, STORE_EXPORT_CHUNK, &b);
	int rc = 0;

	if (n < 0)
		return (int)n;
	*got = (size_t)n;
	if (buf_copy_out(b, 0, (size_t)n, w->chunk) == 0 && !is_zero(w->chunk, (size_t)n)) {
		rec_begin(w, EXP_DATA);
		enc_u64(&w->e, off);
		enc_blob(&w->e, w->chunk, (size_t)n);
		rc = rec_end(w);
		w->ndata++;
		w->stats->data_bytes += (uint64_t)n;
	}
	buf_put(b);
	return rc;
}

static int put_data(struct xw *w, const struct store_oid *oid, uint64_t size)
{
	uint64_t off = 0;
	size_t got = 0;
	int rc;

	while (off < size) {
		rc = put_chunk(w, oid, off, &got);
		if (rc < 0)
			return rc;
		if (got == 0)
			break;
		off += got;
	}
	return 0;
}

static int omap_one(const char *key, const void *val, size_t len, void *arg)
{
	struct xw *w = arg;

	if (w->cnt && w->e.len + strlen(key) + len > STORE_EXPORT_CHUNK) {
		enc_patch_u32(&w->e, w->cnt_pos, w->cnt);
		w->rc = rec_end(w);
		if (w->rc < 0)
			return 1;
		w->cnt = 0;
	}
	if (w->cnt == 0) {
		rec_begin(w, EXP_OMAP);
		w->cnt_pos = w->e.len;
		enc_u32(&w->e, 0);
	}
	enc_str(&w->e, key);
	enc_blob(&w->e, val, len);
	w->cnt++;
	w->nomap++;
	return 0;
}

static int put_omap(struct xw *w, const struct store_oid *oid)
{
	int rc;

	w->cnt = 0;
	w->rc = 0;
	rc = store_omap_iterate(w->st, w->cid, oid, NULL, 0, omap_one, w);
	if (rc >= 0)
		rc = w->rc;
	if (rc == 0 && w->cnt) {
		enc_patch_u32(&w->e, w->cnt_pos, w->cnt);
		return rec_end(w);
	}
	if (w->cnt && w->rc == 0)
		enc_fini(&w->e); /* stopped half way */
	return rc;
}

static int put_one(struct xw *w, const struct store_oid *oid)
{
	struct store_stat s;
	int rc = store_stat(w->st, w->cid, oid, &s);

	w->ndata = w->nomap = 0;
	if (rc == 0)
		rc = put_object(w, oid, s.size);
	if (rc == 0)
		rc = put_data(w, oid, s.size);
	if (rc == 0)
		rc = put_omap(w, oid);
	if (rc < 0)
		return rc;
	w->stats->omap_keys += w->nomap;
	rec_begin(w, EXP_OBJECT_END);
	enc_u32(&w->e, w->ndata);
	enc_u32(&w->e, w->nomap);
	w->stats->objects++;
	return rec_end(w);
}

struct oid_batch {
	struct store_oid_own v[LIST_BATCH];
	unsigned n;
};

static int batch_add(const struct store_oid *oid, void *arg)
{
	struct oid_batch *b = arg;

	if (store_oid_own_set(&b->v[b->n], oid) < 0)
		return -ENOMEM;
	b->n++;
	return 0;
}

static void batch_clear(struct oid_batch *b, struct store_oid_own *last)
{
	store_oid_own_clear(last);
	if (b->n) {
		*last = b->v[b->n - 1];
		b->n--;
	}
	for (unsigned i = 0; i < b->n; i++)
		store_oid_own_clear(&b->v[i]);
	b->n = 0;
}

/* Lists in batches (the listing callback must not read the store). */
static int put_all(struct xw *w)
{
	struct oid_batch *b = mem_calloc(1, sizeof(*b));
	struct store_oid_own last = { 0 };
	struct store_oid lv;
	int rc = b ? 0 : -ENOMEM;

	while (rc == 0) {
		lv = store_oid_view(&last);
		rc = store_list(w->st, w->cid, last.name ? &lv : NULL, LIST_BATCH, batch_add, b);
		if (rc <= 0)
			break;
		rc = 0;
		for (unsigned i = 0; rc == 0 && i < b->n; i++) {
			lv = store_oid_view(&b->v[i]);
			rc = put_one(w, &lv);
		}
		batch_clear(b, &last);
	}
	if (b)
		batch_clear(b, &last);
	store_oid_own_clear(&last);
	mem_free(b);
	return rc;
}

int store_export_coll(struct store *st, const char *cid, store_export_write_fn *fn, void *arg,
                      struct store_export_stats *stats)
{
	struct store_export_stats dummy;
	struct xw w = { .st = st, .cid = cid, .fn = fn, .arg = arg };
	int rc;

	w.stats = stats ? stats : &dummy;
	memset(w.stats, 0, sizeof(*w.stats));
	if (!store_coll_exists(st, cid))
		return -ENOENT;
	snprintf(w.stats->cid, sizeof(w.stats->cid), "%s", cid);
	w.chunk = mem_malloc(STORE_EXPORT_CHUNK);
	if (!w.chunk)
		return -ENOMEM;
	rec_begin(&w, EXP_HEADER);
	enc_u64(&w.e, STORE_EXPORT_MAGIC);
	enc_str(&w.e, cid);
	enc_str(&w.e, store_kind(st));
	rc = rec_end(&w);
	if (rc == 0)
		rc = put_all(&w);
	if (rc == 0) {
		rec_begin(&w, EXP_TRAILER);
		enc_u64(&w.e, w.stats->objects);
		enc_u64(&w.e, w.stats->records);
		rc = rec_end(&w);
	}
	mem_free(w.chunk);
	return rc;
}
