/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_scrub_map.c - what scrub reads from the local store: the scrub map
 * of a range of a PG's objects (object info, store size, digests of user
 * xattrs and omap, and for a deep scrub the data checksum through the
 * store, whose per-block crcs turn a flipped byte into -EIO), the
 * transaction that recreates an object from this copy (repair), and the
 * PG's persisted scrub record. Only store calls: usable on any thread and
 * against a MemStore in unit tests. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/enc.h"
#include "common/mem.h"
#include "osd/osd_codec.h"
#include "osd/pg_scrub.h"
#include "store/store.h"

#define LIST_BATCH 64

/* --- listing a range ---------------------------------------------------------- */

struct range_ctx {
	const struct osd_list_cursor *end;
	unsigned max;
	char **ns, **names; /* collected ids, owned */
	size_t n, cap, ncap;
	bool past_end;
	int err;
};

static int collect(const struct store_oid *oid, void *arg)
{
	struct range_ctx *c = arg;
	const char *ns = oid->nspace ? oid->nspace : "";

	if (c->end->valid && osd_scrub_name_cmp(ns, oid->name, c->end->nspace, c->end->oid) > 0) {
		c->past_end = true;
		return 1;
	}
	if (!ns[0] && !oid->name[0])
		return 0; /* the pgmeta object */
	if (oid->snap != STORE_SNAP_HEAD)
		return 0; /* clones: not scrubbed yet */
	if (c->n >= c->max)
		return 1;
	if (mem_grow(&c->ns, sizeof(*c->ns), &c->cap, c->n + 1) < 0 ||
	    mem_grow(&c->names, sizeof(*c->names), &c->ncap, c->n + 1) < 0) {
		c->err = -ENOMEM;
		return 1;
	}
	c->ns[c->n] = mem_strdup(ns);
	c->names[c->n] = mem_strdup(oid->name);
	c->n++;
	if (!c->ns[c->n - 1] || !c->names[c->n - 1])
		c->err = -ENOMEM;
	return c->err;
}

static void range_fini(struct range_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		mem_free(c->ns[i]);
		mem_free(c->names[i]);
	}
	mem_free(c->ns);
	mem_free(c->names);
}

/* Object ids in (start, end] but pgmeta, at most c->max. */
static int list_range(struct store *st, const char *cid, const struct osd_list_cursor *start,
                      struct range_ctx *c)
{
	struct store_oid after = { "", "", STORE_SNAP_HEAD };
	bool from_start = !start->valid;

	if (start->valid) {
		after.nspace = start->nspace;
		after.name = start->oid;
	}
	for (;;) {
		size_t before = c->n;
		int rc = store_list(st, cid, from_start ? NULL : &after, LIST_BATCH, collect, c);

		if (rc < 0)
			return rc;
		if (c->err < 0)
			return c->err;
		if (c->past_end || c->n >= c->max || rc < LIST_BATCH)
			return 0;
		if (c->n == before)
			return 0; /* a batch of nothing we keep: cannot happen, but never spin */
		after.nspace = c->ns[c->n - 1];
		after.name = c->names[c->n - 1];
		after.snap = STORE_SNAP_HEAD;
		from_start = false;
	}
}

/* --- one object ----------------------------------------------------------------- */

static uint32_t crc_len_bytes(uint32_t crc, const void *p, size_t n)
{
	uint32_t len = (uint32_t)n;

	crc = crc_crc32c(crc, &len, sizeof(len));
	return n ? crc_crc32c(crc, p, n) : crc;
}

static int omap_digest(const char *key, const void *val, size_t len, void *arg)
{
	uint32_t *crc = arg;

	*crc = crc_len_bytes(*crc, key, strlen(key));
	*crc = crc_len_bytes(*crc, val, len);
	return 0;
}

/* User xattrs only: the OSD's own (_oi, _oh) are compared field by field. */
static int attr_digest(const char *key, const void *val, size_t len, void *arg)
{
	if (strncmp(key, OSD_UATTR_PREFIX, strlen(OSD_UATTR_PREFIX)) != 0)
		return 0;
	return omap_digest(key, val, len, arg);
}

static void read_info(struct store *st, const char *cid, const struct store_oid *oid,
                      struct osd_scrub_obj *o)
{
	struct osd_obj_info oi;
	void *v = NULL;
	size_t n = 0;

	if (store_getattr(st, cid, oid, OSD_OI_ATTR, &v, &n) == 0 &&
	    osd_obj_info_decode(v, n, &oi) == 0) {
		o->version = oi.version;
		o->oi_size = oi.size;
	} else {
		o->flags |= OSD_SCRUB_O_OI_BAD;
	}
	mem_free(v);
}

/* The omap header (an xattr) and the omap pairs. */
static int read_omap(struct store *st, const char *cid, const struct store_oid *oid, uint32_t *crc)
{
	void *v = NULL;
	size_t n = 0;
	int rc = store_getattr(st, cid, oid, OSD_OMAPHDR_ATTR, &v, &n);

	if (rc == -ENODATA)
		rc = 0;
	*crc = crc_len_bytes(UINT32_MAX, v, rc == 0 ? n : 0);
	mem_free(v);
	if (rc == 0)
		rc = store_omap_iterate(st, cid, oid, NULL, 0, omap_digest, crc);
	return rc < 0 ? rc : 0;
}

/* 0, or -ENOENT when the object went away since it was listed. */
static int scrub_one(struct store *st, const char *cid, const struct store_oid *oid, bool deep,
                     struct osd_scrub_obj *o)
{
	struct store_stat ss;
	int rc = store_stat(st, cid, oid, &ss);

	if (rc == -ENOENT)
		return rc;
	o->size = ss.size;
	if (rc < 0)
		o->flags |= OSD_SCRUB_O_STAT_ERR;
	read_info(st, cid, oid, o);
	o->attrs_digest = UINT32_MAX;
	if (store_getattrs(st, cid, oid, attr_digest, &o->attrs_digest) < 0 ||
	    read_omap(st, cid, oid, &o->omap_digest) < 0)
		o->flags |= OSD_SCRUB_O_STAT_ERR;
	if (!deep)
		return 0;
	rc = store_scrub_object(st, cid, oid, &o->data_digest);
	if (rc == -ENOENT)
		return rc;
	o->flags |= rc == 0 ? OSD_SCRUB_O_DIGEST : OSD_SCRUB_O_READ_ERR;
	return 0;
}

int pg_scrub_build_map(struct store *st, const char *cid, const struct osd_list_cursor *start,
                       const struct osd_list_cursor *end, bool deep, unsigned max,
                       struct osd_scrub_map *out, bool *more)
{
	struct range_ctx c = { .end = end, .max = max ? max : OSD_SCRUB_OBJS_MAX };
	int rc;

	if (c.max < OSD_SCRUB_OBJS_MAX)
		c.max++; /* one more tells whether more follow */
	*more = false;
	rc = list_range(st, cid, start, &c);
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		struct store_oid oid = { c.ns[i], c.names[i], STORE_SNAP_HEAD };
		struct osd_scrub_obj o = { .nspace = c.ns[i], .name = c.names[i] };
		int r;

		if (max && i >= max) {
			*more = true;
			break;
		}
		r = scrub_one(st, cid, &oid, deep, &o);
		if (r == 0)
			rc = osd_scrub_map_push(out, &o);
	}
	range_fini(&c);
	return rc;
}

/* --- repair ------------------------------------------------------------------------ */

struct kv_copy {
	struct store_kv *kv; /* keys and values owned */
	size_t n, cap;
	int err;
};

static int copy_kv(const char *key, const void *val, size_t len, void *arg)
{
	struct kv_copy *c = arg;
	char *k = mem_strdup(key);
	void *v = mem_malloc(len ? len : 1);

	if (!k || !v || mem_grow(&c->kv, sizeof(*c->kv), &c->cap, c->n + 1) < 0) {
		mem_free(k);
		mem_free(v);
		c->err = -ENOMEM;
		return 1;
	}
	if (len)
		memcpy(v, val, len);
	c->kv[c->n++] = (struct store_kv){ k, v, len };
	return 0;
}

static void kv_copy_fini(struct kv_copy *c)
{
	for (size_t i = 0; i < c->n; i++) {
		mem_free((void *)c->kv[i].key);
		mem_free((void *)c->kv[i].val);
	}
	mem_free(c->kv);
}

/* Batches of at most 4096 pairs per op (the op's own count limit). */
static int add_kvs(struct store_txn *t, const char *cid, const struct store_oid *oid,
                   const struct kv_copy *c, bool omap)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < c->n; i += 4096) {
		unsigned k = (unsigned)(c->n - i < 4096 ? c->n - i : 4096);

		rc = omap ? store_txn_omap_setkeys(t, cid, oid, c->kv + i, k)
		          : store_txn_setattrs(t, cid, oid, c->kv + i, k);
	}
	return rc;
}

/* touch + remove + touch: the object is new whether or not it existed. */
static int fill_repair(struct store_txn *t, const char *cid, const struct store_oid *oid,
                       struct buf *data, uint64_t size, const struct kv_copy *attrs,
                       const struct kv_copy *omap)
{
	int rc = store_txn_touch(t, cid, oid);

	if (rc == 0)
		rc = store_txn_remove(t, cid, oid);
	if (rc == 0)
		rc = store_txn_touch(t, cid, oid);
	if (rc == 0 && size)
		rc = store_txn_write(t, cid, oid, 0, data);
	if (rc == 0)
		rc = store_txn_truncate(t, cid, oid, size);
	if (rc == 0)
		rc = add_kvs(t, cid, oid, attrs, false);
	if (rc == 0)
		rc = add_kvs(t, cid, oid, omap, true);
	return rc;
}

int pg_scrub_repair_txn(struct store *st, const char *cid, const char *nspace, const char *name,
                        struct store_txn **out)
{
	struct store_oid oid = { nspace, name, STORE_SNAP_HEAD };
	struct kv_copy attrs = { 0 }, omap = { 0 };
	struct store_txn *t = NULL;
	struct buf *data = NULL;
	ssize_t n = store_read(st, cid, &oid, 0, 0, &data);
	int rc = n < 0 ? (int)n : 0;

	if (rc == 0)
		rc = store_getattrs(st, cid, &oid, copy_kv, &attrs);
	if (rc == 0)
		rc = attrs.err;
	if (rc == 0) {
		int r = store_omap_iterate(st, cid, &oid, NULL, 0, copy_kv, &omap);

		rc = r < 0 ? r : omap.err;
	}
	if (rc == 0)
		rc = store_txn_create(&t);
	if (rc == 0)
		rc = fill_repair(t, cid, &oid, data, (uint64_t)n, &attrs, &omap);
	if (rc == 0) {
		*out = t;
		t = NULL;
	}
	store_txn_destroy(t);
	kv_copy_fini(&omap);
	kv_copy_fini(&attrs);
	buf_put(data);
	return rc;
}

/* --- the scrub record ------------------------------------------------------------------ */

void pg_scrub_rec_encode(struct enc *e, const struct pg_scrub_rec *r)
{
	size_t pos = enc_begin(e, 1, 1);

	enc_u64(e, r->last_scrub_ns);
	enc_u64(e, r->last_deep_scrub_ns);
	enc_u32(e, r->errors);
	enc_end(e, pos);
}

int pg_scrub_rec_decode(const void *p, size_t n, struct pg_scrub_rec *out)
{
	struct pg_scrub_rec r = { 0 };
	struct dec d, body;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, 1, &v, &body);
	if (rc == 0)
		rc = dec_u64(&body, &r.last_scrub_ns);
	if (rc == 0)
		rc = dec_u64(&body, &r.last_deep_scrub_ns);
	if (rc == 0)
		rc = dec_u32(&body, &r.errors);
	if (rc == 0)
		*out = r;
	return rc;
}
