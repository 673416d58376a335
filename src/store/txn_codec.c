/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/txn_codec.c - a transaction as bytes, for replication: the primary
 * OSD encodes the transaction it applied and its replicas decode and apply
 * the same one.
 *
 * Layout: u32 meta_len, meta (a versioned envelope holding the op list),
 * then the data of every write op concatenated in op order. The data is
 * shared with the transaction's bufs when encoding and sliced out of the
 * input when decoding: object bytes are never copied. Decoding rebuilds the
 * transaction through the public builders, so every name and size is
 * checked exactly as for a locally built transaction. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "store/store_int.h"

#define TXN_CODEC_V 1
#define TXN_OPS_MAX (1u << 20)

static void enc_oid(struct enc *e, const struct store_oid_own *o)
{
	enc_str(e, o->nspace);
	enc_str(e, o->name);
	enc_u64(e, o->snap);
}

static void enc_op(struct enc *e, const struct store_op *op)
{
	enc_u8(e, (uint8_t)op->type);
	enc_str(e, op->cid);
	switch (op->type) {
	case STORE_OP_COLL_CREATE:
	case STORE_OP_COLL_REMOVE:
		return;
	default:
		break;
	}
	enc_oid(e, &op->oid);
	switch (op->type) {
	case STORE_OP_WRITE:
	case STORE_OP_ZERO:
	case STORE_OP_TRUNCATE:
		enc_u64(e, op->off);
		enc_u64(e, op->len);
		break;
	case STORE_OP_CLONE:
	case STORE_OP_CLONE_RANGE:
	case STORE_OP_MOVE_RENAME:
		enc_str(e, op->cid2 ? op->cid2 : op->cid);
		enc_oid(e, &op->oid2);
		enc_u64(e, op->off);
		enc_u64(e, op->len);
		enc_u64(e, op->off2);
		break;
	case STORE_OP_SETATTRS:
	case STORE_OP_OMAP_SETKEYS:
	case STORE_OP_RMATTR:
	case STORE_OP_OMAP_RMKEYS:
		enc_u32(e, op->nkv);
		for (unsigned i = 0; i < op->nkv; i++) {
			enc_str(e, op->kv[i].key);
			if (op->type == STORE_OP_SETATTRS || op->type == STORE_OP_OMAP_SETKEYS)
				enc_blob(e, op->kv[i].val, op->kv[i].len);
		}
		break;
	case STORE_OP_OMAP_RMKEYRANGE:
		enc_str(e, op->key);
		enc_str(e, op->key2);
		break;
	default:
		break;
	}
}

int store_txn_encode(const struct store_txn *t, struct buf **out)
{
	struct enc e;
	struct buf *b = NULL;
	uint8_t *meta;
	size_t len, pos;
	uint32_t mlen;
	int rc;

	enc_init(&e);
	pos = enc_begin(&e, TXN_CODEC_V, 1);
	enc_u32(&e, (uint32_t)t->nops);
	for (size_t i = 0; i < t->nops; i++)
		enc_op(&e, &t->ops[i]);
	enc_end(&e, pos);
	rc = enc_error(&e);
	meta = enc_take(&e, &len);
	enc_fini(&e);
	if (rc == 0 && len > UINT32_MAX)
		rc = -EINVAL;
	if (rc == 0)
		rc = buf_create(&b);
	mlen = (uint32_t)len;
	if (rc == 0)
		rc = buf_append(b, (uint8_t[4]){ mlen, mlen >> 8, mlen >> 16, mlen >> 24 }, 4);
	if (rc == 0)
		rc = buf_append(b, meta, len);
	for (size_t i = 0; rc == 0 && i < t->nops; i++)
		if (t->ops[i].type == STORE_OP_WRITE && t->ops[i].data)
			rc = buf_append_buf(b, t->ops[i].data, 0, buf_len(t->ops[i].data));
	mem_free(meta);
	if (rc < 0) {
		buf_put(b);
		return rc;
	}
	*out = b;
	return 0;
}

struct dec_oid {
	char *nspace, *name;
	uint64_t snap;
};

static int dec_oid(struct dec *d, struct dec_oid *o)
{
	int rc = dec_str_dup(d, STORE_NAME_MAX, &o->nspace);

	if (rc == 0)
		rc = dec_str_dup(d, STORE_NAME_MAX, &o->name);
	if (rc == 0)
		rc = dec_u64(d, &o->snap);
	return rc;
}

static void dec_oid_fini(struct dec_oid *o)
{
	mem_free(o->nspace);
	mem_free(o->name);
}

static struct store_oid view(const struct dec_oid *o)
{
	struct store_oid v = { .nspace = o->nspace, .name = o->name, .snap = o->snap };

	return v;
}

/* Key/value pairs of one attr/omap op, then the builder call. */
static int dec_kv_op(struct dec *d, struct store_txn *t, uint8_t type, const char *cid,
                     const struct store_oid *oid)
{
	bool vals = type == STORE_OP_SETATTRS || type == STORE_OP_OMAP_SETKEYS;
	struct store_kv *kv = NULL;
	const char **keys = NULL;
	uint32_t n = 0, got = 0;
	int rc = dec_count(d, vals ? 8 : 4, &n);

	if (rc == 0 && (n == 0 || (type == STORE_OP_RMATTR && n != 1)))
		rc = -EBADMSG;
	if (rc == 0) {
		kv = mem_calloc(n, sizeof(*kv));
		keys = mem_calloc(n, sizeof(*keys));
		if (!kv || !keys)
			rc = -ENOMEM;
	}
	for (; rc == 0 && got < n; got++) {
		char *k = NULL;
		const void *p = NULL;
		uint32_t len = 0;

		rc = dec_str_dup(d, STORE_NAME_MAX, &k);
		if (rc == 0 && vals)
			rc = dec_blob_ref(d, &p, &len);
		if (rc == 0 && len > STORE_VALUE_MAX)
			rc = -EBADMSG;
		if (rc < 0) {
			mem_free(k);
			break;
		}
		kv[got].key = k;
		kv[got].val = p;
		kv[got].len = len;
		keys[got] = k;
	}
	if (rc == 0) {
		switch (type) {
		case STORE_OP_SETATTRS:
			rc = store_txn_setattrs(t, cid, oid, kv, n);
			break;
		case STORE_OP_OMAP_SETKEYS:
			rc = store_txn_omap_setkeys(t, cid, oid, kv, n);
			break;
		case STORE_OP_RMATTR:
			rc = store_txn_rmattr(t, cid, oid, keys[0]);
			break;
		default:
			rc = store_txn_omap_rmkeys(t, cid, oid, keys, n);
			break;
		}
	}
	for (uint32_t i = 0; kv && i < got; i++)
		mem_free((void *)kv[i].key);
	mem_free(kv);
	mem_free(keys);
	return rc == -EINVAL ? -EBADMSG : rc;
}

/* One op from d; write data is sliced from b at *data_off. */
static int dec_op(struct dec *d, const struct buf *b, size_t *data_off, struct store_txn *t)
{
	struct dec_oid o = { 0 }, o2 = { 0 };
	struct store_oid v, v2;
	char *cid = NULL, *cid2 = NULL, *k1 = NULL, *k2 = NULL;
	uint64_t off = 0, len = 0, off2 = 0;
	struct buf *data = NULL;
	uint8_t type;
	int rc = dec_u8(d, &type);

	if (rc == 0)
		rc = dec_str_dup(d, STORE_NAME_MAX, &cid);
	if (rc < 0)
		goto out;
	if (type == STORE_OP_COLL_CREATE) {
		rc = store_txn_coll_create(t, cid);
		goto out;
	}
	if (type == STORE_OP_COLL_REMOVE) {
		rc = store_txn_coll_remove(t, cid);
		goto out;
	}
	rc = dec_oid(d, &o);
	if (rc < 0)
		goto out;
	v = view(&o);
	switch (type) {
	case STORE_OP_TOUCH:
		rc = store_txn_touch(t, cid, &v);
		break;
	case STORE_OP_REMOVE:
		rc = store_txn_remove(t, cid, &v);
		break;
	case STORE_OP_OMAP_CLEAR:
		rc = store_txn_omap_clear(t, cid, &v);
		break;
	case STORE_OP_WRITE:
	case STORE_OP_ZERO:
	case STORE_OP_TRUNCATE:
		rc = dec_u64(d, &off);
		if (rc == 0)
			rc = dec_u64(d, &len);
		if (rc < 0)
			break;
		if (type == STORE_OP_ZERO) {
			rc = store_txn_zero(t, cid, &v, off, len);
		} else if (type == STORE_OP_TRUNCATE) {
			rc = store_txn_truncate(t, cid, &v, off);
		} else {
			if (len > buf_len(b) - *data_off) {
				rc = -EBADMSG;
				break;
			}
			rc = buf_slice(b, *data_off, (size_t)len, &data);
			if (rc == 0)
				rc = store_txn_write(t, cid, &v, off, data);
			*data_off += (size_t)len;
		}
		break;
	case STORE_OP_CLONE:
	case STORE_OP_CLONE_RANGE:
	case STORE_OP_MOVE_RENAME:
		rc = dec_str_dup(d, STORE_NAME_MAX, &cid2);
		if (rc == 0)
			rc = dec_oid(d, &o2);
		if (rc == 0)
			rc = dec_u64(d, &off);
		if (rc == 0)
			rc = dec_u64(d, &len);
		if (rc == 0)
			rc = dec_u64(d, &off2);
		if (rc < 0)
			break;
		v2 = view(&o2);
		if (type == STORE_OP_MOVE_RENAME)
			rc = store_txn_move_rename(t, cid, &v, cid2, &v2);
		else if (strcmp(cid, cid2) != 0)
			rc = -EBADMSG;
		else if (type == STORE_OP_CLONE)
			rc = store_txn_clone(t, cid, &v, &v2);
		else
			rc = store_txn_clone_range(t, cid, &v, &v2, off, len, off2);
		break;
	case STORE_OP_SETATTRS:
	case STORE_OP_OMAP_SETKEYS:
	case STORE_OP_RMATTR:
	case STORE_OP_OMAP_RMKEYS:
		rc = dec_kv_op(d, t, type, cid, &v);
		break;
	case STORE_OP_OMAP_RMKEYRANGE:
		rc = dec_str_dup(d, STORE_NAME_MAX, &k1);
		if (rc == 0)
			rc = dec_str_dup(d, STORE_NAME_MAX, &k2);
		if (rc == 0)
			rc = store_txn_omap_rmkeyrange(t, cid, &v, k1, k2);
		break;
	default:
		rc = -EBADMSG;
		break;
	}
out:
	buf_put(data);
	dec_oid_fini(&o);
	dec_oid_fini(&o2);
	mem_free(cid);
	mem_free(cid2);
	mem_free(k1);
	mem_free(k2);
	return rc == -EINVAL ? -EBADMSG : rc;
}

int store_txn_decode(const struct buf *b, struct store_txn **out)
{
	struct store_txn *t = NULL;
	struct dec d, body;
	const void *p;
	void *copy = NULL;
	uint8_t le[4];
	uint32_t mlen, n;
	size_t data_off;
	uint8_t v;
	int rc;

	if (buf_len(b) < sizeof(le) || buf_copy_out(b, 0, sizeof(le), le) < 0)
		return -EBADMSG;
	mlen = le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
	if (mlen > buf_len(b) - sizeof(le))
		return -EBADMSG;
	copy = mem_malloc(mlen ? mlen : 1);
	if (!copy)
		return -ENOMEM;
	rc = buf_peek(b, sizeof(mlen), mlen, copy, &p);
	if (rc == 0)
		rc = store_txn_create(&t);
	if (rc < 0)
		goto out_free;
	dec_init(&d, p, mlen);
	rc = dec_begin(&d, TXN_CODEC_V, &v, &body);
	if (rc == 0)
		rc = dec_count(&body, 6, &n);
	if (rc == 0 && n > TXN_OPS_MAX)
		rc = -EBADMSG;
	data_off = sizeof(mlen) + mlen;
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		rc = dec_op(&body, b, &data_off, t);
	if (rc == 0 && (dec_left(&body) != 0 || data_off != buf_len(b)))
		rc = -EBADMSG;
	if (rc == 0) {
		dec_end(&d, &body);
		*out = t;
		t = NULL;
	}
out_free:
	store_txn_destroy(t);
	mem_free(copy);
	return rc;
}
