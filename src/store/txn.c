/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/txn.c - transaction building (owned copies of every argument) and
 * the validation both implementations run before applying a transaction. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "store/store_int.h"

int store_txn_create(struct store_txn **out)
{
	struct store_txn *t = mem_calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	*out = t;
	return 0;
}

static void kv_free(struct store_kv *kv, unsigned n)
{
	for (unsigned i = 0; kv && i < n; i++) {
		mem_free((void *)kv[i].key);
		mem_free((void *)kv[i].val);
	}
	mem_free(kv);
}

static void op_fini(struct store_op *op)
{
	mem_free(op->cid);
	mem_free(op->cid2);
	store_oid_own_clear(&op->oid);
	store_oid_own_clear(&op->oid2);
	buf_put(op->data);
	kv_free(op->kv, op->nkv);
	mem_free(op->key);
	mem_free(op->key2);
}

void store_txn_destroy(struct store_txn *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nops; i++)
		op_fini(&t->ops[i]);
	mem_free(t->ops);
	mem_free(t);
}

unsigned store_txn_count(const struct store_txn *t)
{
	return (unsigned)t->nops;
}

/* Starts an op with its collection and object copied; the caller fills the
 * rest and calls push() or op_fini(). */
static int op_begin(struct store_op *op, enum store_op_type type, const char *cid,
                    const struct store_oid *oid)
{
	memset(op, 0, sizeof(*op));
	op->type = type;
	if (!store_name_is_valid(cid) || (oid && !store_oid_is_valid(oid)))
		return -EINVAL;
	op->cid = mem_strdup(cid);
	if (!op->cid)
		return -ENOMEM;
	if (oid && store_oid_own_set(&op->oid, oid) < 0) {
		op_fini(op);
		return -ENOMEM;
	}
	return 0;
}

static int push(struct store_txn *t, struct store_op *op)
{
	if (mem_grow(&t->ops, sizeof(*op), &t->cap, t->nops + 1) < 0) {
		op_fini(op);
		return -ENOMEM;
	}
	t->ops[t->nops++] = *op;
	return 0;
}

static int simple(struct store_txn *t, enum store_op_type type, const char *cid,
                  const struct store_oid *oid, uint64_t off, uint64_t len)
{
	struct store_op op;
	int rc = op_begin(&op, type, cid, oid);

	if (rc < 0)
		return rc;
	op.off = off;
	op.len = len;
	return push(t, &op);
}

int store_txn_coll_create(struct store_txn *t, const char *cid)
{
	return simple(t, STORE_OP_COLL_CREATE, cid, NULL, 0, 0);
}

int store_txn_coll_remove(struct store_txn *t, const char *cid)
{
	return simple(t, STORE_OP_COLL_REMOVE, cid, NULL, 0, 0);
}

int store_txn_touch(struct store_txn *t, const char *cid, const struct store_oid *oid)
{
	return simple(t, STORE_OP_TOUCH, cid, oid, 0, 0);
}

int store_txn_write(struct store_txn *t, const char *cid, const struct store_oid *oid, uint64_t off,
                    struct buf *data)
{
	struct store_op op;
	int rc;

	if (!data || off + buf_len(data) < off)
		return -EINVAL;
	rc = op_begin(&op, STORE_OP_WRITE, cid, oid);
	if (rc < 0)
		return rc;
	op.off = off;
	op.len = buf_len(data);
	op.data = buf_get(data);
	rc = push(t, &op);
	if (rc == 0)
		t->bytes += op.len;
	return rc;
}

int store_txn_zero(struct store_txn *t, const char *cid, const struct store_oid *oid, uint64_t off,
                   uint64_t len)
{
	if (off + len < off)
		return -EINVAL;
	return simple(t, STORE_OP_ZERO, cid, oid, off, len);
}

int store_txn_truncate(struct store_txn *t, const char *cid, const struct store_oid *oid,
                       uint64_t size)
{
	return simple(t, STORE_OP_TRUNCATE, cid, oid, size, 0);
}

int store_txn_remove(struct store_txn *t, const char *cid, const struct store_oid *oid)
{
	return simple(t, STORE_OP_REMOVE, cid, oid, 0, 0);
}

static int two(struct store_txn *t, enum store_op_type type, const char *cid,
               const struct store_oid *src, const char *cid2, const struct store_oid *dst,
               struct store_op *op)
{
	int rc = op_begin(op, type, cid, src);

	if (rc < 0)
		return rc;
	if (!store_oid_is_valid(dst) || !store_name_is_valid(cid2)) {
		op_fini(op);
		return -EINVAL;
	}
	op->cid2 = mem_strdup(cid2);
	if (!op->cid2 || store_oid_own_set(&op->oid2, dst) < 0) {
		op_fini(op);
		return -ENOMEM;
	}
	(void)t;
	return 0;
}

int store_txn_clone(struct store_txn *t, const char *cid, const struct store_oid *src,
                    const struct store_oid *dst)
{
	struct store_op op;
	int rc = two(t, STORE_OP_CLONE, cid, src, cid, dst, &op);

	return rc < 0 ? rc : push(t, &op);
}

int store_txn_clone_range(struct store_txn *t, const char *cid, const struct store_oid *src,
                          const struct store_oid *dst, uint64_t srcoff, uint64_t len,
                          uint64_t dstoff)
{
	struct store_op op;
	int rc;

	if (srcoff + len < srcoff || dstoff + len < dstoff)
		return -EINVAL;
	rc = two(t, STORE_OP_CLONE_RANGE, cid, src, cid, dst, &op);
	if (rc < 0)
		return rc;
	op.off = srcoff;
	op.len = len;
	op.off2 = dstoff;
	return push(t, &op);
}

int store_txn_move_rename(struct store_txn *t, const char *src_cid, const struct store_oid *src,
                          const char *dst_cid, const struct store_oid *dst)
{
	struct store_op op;
	int rc = two(t, STORE_OP_MOVE_RENAME, src_cid, src, dst_cid, dst, &op);

	return rc < 0 ? rc : push(t, &op);
}

/* Copies n pairs (values optional) into op->kv. */
static int copy_kv(struct store_op *op, const struct store_kv *kv, const char *const *keys,
                   unsigned n)
{
	op->kv = mem_calloc(n ? n : 1, sizeof(*op->kv));
	if (!op->kv)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++, op->nkv++) {
		const char *k = kv ? kv[i].key : keys[i];

		if (!store_name_is_valid(k) || (kv && kv[i].len > STORE_VALUE_MAX) ||
		    (kv && kv[i].len && !kv[i].val))
			return -EINVAL;
		op->kv[i].key = mem_strdup(k);
		op->kv[i].len = kv ? kv[i].len : 0;
		op->kv[i].val = mem_malloc(op->kv[i].len ? op->kv[i].len : 1);
		if (!op->kv[i].key || !op->kv[i].val) {
			op->nkv++;
			return -ENOMEM;
		}
		if (op->kv[i].len)
			memcpy((void *)op->kv[i].val, kv[i].val, kv[i].len);
	}
	return 0;
}

static int kv_op(struct store_txn *t, enum store_op_type type, const char *cid,
                 const struct store_oid *oid, const struct store_kv *kv, const char *const *keys,
                 unsigned n)
{
	struct store_op op;
	int rc = op_begin(&op, type, cid, oid);

	if (rc < 0)
		return rc;
	rc = copy_kv(&op, kv, keys, n);
	if (rc < 0) {
		op_fini(&op);
		return rc;
	}
	return push(t, &op);
}

int store_txn_setattr(struct store_txn *t, const char *cid, const struct store_oid *oid,
                      const char *name, const void *val, size_t len)
{
	struct store_kv kv = { .key = name, .val = val, .len = len };

	return kv_op(t, STORE_OP_SETATTRS, cid, oid, &kv, NULL, 1);
}

int store_txn_setattrs(struct store_txn *t, const char *cid, const struct store_oid *oid,
                       const struct store_kv *kv, unsigned n)
{
	return kv_op(t, STORE_OP_SETATTRS, cid, oid, kv, NULL, n);
}

int store_txn_rmattr(struct store_txn *t, const char *cid, const struct store_oid *oid,
                     const char *name)
{
	return kv_op(t, STORE_OP_RMATTR, cid, oid, NULL, &name, 1);
}

int store_txn_omap_setkeys(struct store_txn *t, const char *cid, const struct store_oid *oid,
                           const struct store_kv *kv, unsigned n)
{
	return kv_op(t, STORE_OP_OMAP_SETKEYS, cid, oid, kv, NULL, n);
}

int store_txn_omap_rmkeys(struct store_txn *t, const char *cid, const struct store_oid *oid,
                          const char *const *keys, unsigned n)
{
	return kv_op(t, STORE_OP_OMAP_RMKEYS, cid, oid, NULL, keys, n);
}

int store_txn_omap_rmkeyrange(struct store_txn *t, const char *cid, const struct store_oid *oid,
                              const char *first, const char *last)
{
	struct store_op op;
	int rc;

	if (!store_name_is_valid(first) || !store_name_is_valid(last))
		return -EINVAL;
	rc = op_begin(&op, STORE_OP_OMAP_RMKEYRANGE, cid, oid);
	if (rc < 0)
		return rc;
	op.key = mem_strdup(first);
	op.key2 = mem_strdup(last);
	if (!op.key || !op.key2) {
		op_fini(&op);
		return -ENOMEM;
	}
	return push(t, &op);
}

int store_txn_omap_clear(struct store_txn *t, const char *cid, const struct store_oid *oid)
{
	return simple(t, STORE_OP_OMAP_CLEAR, cid, oid, 0, 0);
}
