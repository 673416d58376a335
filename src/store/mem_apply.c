/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/mem_apply.c - MemStore: applying validated ops to objects and pages.
 * Callers hold memstore.lock for writing (see mem.c for the invariants). */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "store/mem_int.h"

static int pages_reserve(struct mobj *o, size_t n)
{
	uint8_t **p;

	if (n <= o->npages)
		return 0;
	p = mem_realloc(o->pages, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + o->npages, 0, (n - o->npages) * sizeof(*p));
	o->pages = p;
	o->npages = n;
	return 0;
}

/* Copies n bytes (NULL: zeros) to the object at off, allocating pages. */
static int obj_put(struct mobj *o, uint64_t off, const struct buf *b, size_t boff, uint64_t n)
{
	int rc = pages_reserve(o, (size_t)((off + n + MEM_PAGE - 1) / MEM_PAGE));

	while (rc == 0 && n > 0) {
		size_t pg = (size_t)(off / MEM_PAGE), in = (size_t)(off % MEM_PAGE);
		size_t k = MEM_PAGE - in < n ? MEM_PAGE - in : (size_t)n;

		if (!o->pages[pg] && !b) {
			/* writing zeros into a hole: nothing to do */
		} else {
			if (!o->pages[pg] && !(o->pages[pg] = mem_calloc(1, MEM_PAGE)))
				return -ENOMEM;
			if (b)
				buf_copy_out(b, boff, k, o->pages[pg] + in);
			else
				memset(o->pages[pg] + in, 0, k);
		}
		off += k;
		boff += k;
		n -= k;
	}
	return rc;
}

/* Drops whole pages in [first, last) pages. */
static void pages_drop(struct mobj *o, size_t first, size_t last)
{
	for (size_t i = first; i < last && i < o->npages; i++) {
		mem_free(o->pages[i]);
		o->pages[i] = NULL;
	}
}

static int obj_zero(struct mobj *o, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	size_t first = (size_t)((off + MEM_PAGE - 1) / MEM_PAGE);
	size_t last = (size_t)(end / MEM_PAGE);
	int rc;

	if (first < last) {
		pages_drop(o, first, last);
		rc = obj_put(o, off, NULL, 0, (uint64_t)first * MEM_PAGE - off);
		if (rc == 0)
			rc = obj_put(o, (uint64_t)last * MEM_PAGE, NULL, 0,
			             end - (uint64_t)last * MEM_PAGE);
	} else {
		rc = obj_put(o, off, NULL, 0, len);
	}
	if (rc == 0 && end > o->size)
		o->size = end;
	return rc;
}

static int obj_truncate(struct mobj *o, uint64_t size)
{
	if (size < o->size) {
		size_t keep = (size_t)((size + MEM_PAGE - 1) / MEM_PAGE);

		pages_drop(o, keep, o->npages);
		if (size % MEM_PAGE && keep - 1 < o->npages && o->pages[keep - 1])
			memset(o->pages[keep - 1] + size % MEM_PAGE, 0,
			       MEM_PAGE - size % MEM_PAGE); /* I1 */
	}
	o->size = size;
	return 0;
}

ssize_t store_mem_obj_read(const struct mobj *o, uint64_t off, uint64_t len, struct buf **out)
{
	struct buf *b;
	uint64_t end;
	int rc;

	if (off >= o->size)
		len = 0;
	else if (len == 0 || off + len > o->size || off + len < off)
		len = o->size - off;
	if (buf_create(&b) < 0)
		return -ENOMEM;
	for (end = off + len; off < end;) {
		size_t pg = (size_t)(off / MEM_PAGE), in = (size_t)(off % MEM_PAGE);
		size_t k = MEM_PAGE - in < end - off ? MEM_PAGE - in : (size_t)(end - off);

		if (pg < o->npages && o->pages[pg])
			rc = buf_append(b, o->pages[pg] + in, k);
		else
			rc = buf_append_zero(b, k);
		if (rc < 0) {
			buf_put(b);
			return rc;
		}
		off += k;
	}
	*out = b;
	return (ssize_t)len;
}

static struct mobj *obj_get(struct memstore *m, const char *cid, const struct store_oid_own *id,
                            bool create)
{
	struct mcoll *c = store_mem_coll_find(m, cid);
	struct store_oid v = store_oid_view(id);
	struct mobj *o = c ? store_mem_obj_find(c, &v) : NULL;

	if (o || !create || !c)
		return o;
	o = mem_calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	if (store_oid_own_set(&o->oid, &v) < 0 || store_mem_obj_insert(c, o) < 0) {
		store_mem_obj_free(o);
		return NULL;
	}
	return o;
}

static int obj_remove(struct memstore *m, const char *cid, const struct store_oid_own *id)
{
	struct store_oid v = store_oid_view(id);
	struct mcoll *c = store_mem_coll_find(m, cid);

	if (c)
		store_mem_obj_free(store_mem_obj_detach(c, &v));
	return 0;
}

static int copy_range(struct mobj *dst, const struct mobj *src, uint64_t soff, uint64_t len,
                      uint64_t doff)
{
	struct buf *b = NULL;
	ssize_t n = store_mem_obj_read(src, soff, len, &b);
	int rc;

	if (n < 0)
		return (int)n;
	rc = obj_put(dst, doff, b, 0, (uint64_t)n);
	if (rc == 0 && (uint64_t)n < len)
		rc = obj_zero(dst, doff + (uint64_t)n, len - (uint64_t)n);
	if (rc == 0 && doff + len > dst->size)
		dst->size = doff + len;
	buf_put(b);
	return rc;
}

static int do_clone(struct memstore *m, const struct store_op *op)
{
	struct mobj *src = obj_get(m, op->cid, &op->oid, false);
	struct mobj *dst;
	int rc;

	if (src == obj_get(m, op->cid2, &op->oid2, false))
		return 0; /* cloning onto itself */
	obj_remove(m, op->cid2, &op->oid2);
	dst = obj_get(m, op->cid2, &op->oid2, true);
	if (!src || !dst)
		return -ENOMEM;
	rc = store_kvvec_copy(&dst->attrs, &src->attrs);
	if (rc == 0)
		rc = store_kvvec_copy(&dst->omap, &src->omap);
	if (rc == 0)
		rc = copy_range(dst, src, 0, src->size, 0);
	return rc;
}

static int do_move(struct memstore *m, const struct store_op *op)
{
	struct store_oid v = store_oid_view(&op->oid), v2 = store_oid_view(&op->oid2);
	struct mcoll *c = store_mem_coll_find(m, op->cid);
	struct mcoll *c2 = store_mem_coll_find(m, op->cid2);
	struct mobj *o;
	struct store_oid_own id = { 0 };

	if (store_oid_own_set(&id, &v2) < 0)
		return -ENOMEM;
	o = store_mem_obj_detach(c, &v);
	store_oid_own_clear(&o->oid);
	o->oid = id;
	if (store_mem_obj_insert(c2, o) < 0) {
		store_mem_obj_free(o);
		return -ENOMEM;
	}
	return 0;
}

static int kv_apply(struct store_kvvec *kv, const struct store_op *op, bool set)
{
	for (unsigned i = 0; i < op->nkv; i++) {
		if (!set)
			store_kvvec_remove(kv, op->kv[i].key);
		else if (store_kvvec_set(kv, op->kv[i].key, op->kv[i].val, op->kv[i].len) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int apply_obj(struct mobj *o, const struct store_op *op)
{
	switch (op->type) {
	case STORE_OP_WRITE: {
		int rc = obj_put(o, op->off, op->data, 0, op->len);

		if (rc == 0 && op->off + op->len > o->size)
			o->size = op->off + op->len;
		return rc;
	}
	case STORE_OP_ZERO:
		return obj_zero(o, op->off, op->len);
	case STORE_OP_TRUNCATE:
		return obj_truncate(o, op->off);
	case STORE_OP_SETATTRS:
		return kv_apply(&o->attrs, op, true);
	case STORE_OP_RMATTR:
		return kv_apply(&o->attrs, op, false);
	case STORE_OP_OMAP_SETKEYS:
		return kv_apply(&o->omap, op, true);
	case STORE_OP_OMAP_RMKEYS:
		return kv_apply(&o->omap, op, false);
	case STORE_OP_OMAP_RMKEYRANGE:
		store_kvvec_remove_range(&o->omap, op->key, op->key2);
		return 0;
	case STORE_OP_OMAP_CLEAR:
		store_kvvec_clear(&o->omap);
		return 0;
	default:
		return 0; /* touch */
	}
}

int store_mem_apply_op(struct memstore *m, const struct store_op *op)
{
	struct mobj *o, *d;

	switch (op->type) {
	case STORE_OP_COLL_CREATE:
		return store_mem_coll_add(m, op->cid);
	case STORE_OP_COLL_REMOVE:
		store_mem_coll_del(m, op->cid);
		return 0;
	case STORE_OP_REMOVE:
		return obj_remove(m, op->cid, &op->oid);
	case STORE_OP_CLONE:
		return do_clone(m, op);
	case STORE_OP_MOVE_RENAME:
		return do_move(m, op);
	case STORE_OP_CLONE_RANGE:
		o = obj_get(m, op->cid, &op->oid, false);
		d = obj_get(m, op->cid2, &op->oid2, true);
		return o && d ? copy_range(d, o, op->off, op->len, op->off2) : -ENOMEM;
	default:
		o = obj_get(m, op->cid, &op->oid, true);
		return o ? apply_obj(o, op) : -ENOMEM;
	}
}
