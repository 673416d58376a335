/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_exec.c - the op interpreter: reads from the store, writes into one
 * transaction with the new object info.
 *
 * DESIGN
 * State of one request (struct osd_exec): the object before (existed, oi)
 * and the running view (exists, size, reset, the xattr overlay attrs[]).
 * Invariants: X1 the transaction only holds ops the store will accept at
 * queue time (non-creating ops are emitted only while the object exists in
 * the running view; zero never extends); X2 size always equals the size the
 * store object will have after the transaction; X3 nothing reaches the
 * store until the caller queues the transaction, so a failed request leaves
 * no trace. User xattrs live under OSD_UATTR_PREFIX so that they never
 * collide with the OSD's own ("_oi", "_oh"). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "osd/osd_exec.h"

#define MAX_ERRNO 4095

/* --- helpers ----------------------------------------------------------------- */

int osd_uattr_name(const char *name, char *buf, size_t n)
{
	size_t len = name ? strlen(name) : 0;

	if (!name)
		return -EINVAL;
	if (len + sizeof(OSD_UATTR_PREFIX) > n || len + 3 > STORE_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, OSD_UATTR_PREFIX, 3);
	memcpy(buf + 3, name, len + 1);
	return 0;
}

/* A new buf holding the bytes of e (copied: small metadata only). */
static int enc_to_buf(struct enc *e, struct buf **out)
{
	struct buf *b;
	int rc = enc_error(e);

	if (rc == 0)
		rc = buf_create(&b);
	if (rc == 0 && e->len && (rc = buf_append(b, e->data, e->len)) < 0)
		buf_put(b);
	if (rc == 0)
		*out = b;
	enc_fini(e);
	return rc;
}

static int need_txn(struct osd_exec *x)
{
	return x->txn ? 0 : store_txn_create(&x->txn);
}

static int check_extent(const struct osd_exec *x, uint64_t off, uint64_t len)
{
	if (off + len < off || off + len > x->lim->max_object_size)
		return -EFBIG;
	return 0;
}

/* Reads [off, off+len) of the object as the request sees it (holes and
 * anything past the stored data read as zeros). */
static int read_range(struct osd_exec *x, uint64_t off, uint64_t len, struct buf **out)
{
	struct buf *b = NULL;
	ssize_t n = 0;
	int rc;

	if (x->existed && !x->reset && len) {
		n = store_read(x->st, x->cid, &x->oid, off, len, &b);
		if (n == -ENOENT)
			n = 0;
		if (n < 0)
			return (int)n;
	}
	if (!b && (rc = buf_create(&b)) < 0)
		return rc;
	if ((uint64_t)n < len && (rc = buf_append_zero(b, (size_t)(len - (uint64_t)n))) < 0) {
		buf_put(b);
		return rc;
	}
	*out = b;
	return 0;
}

/* --- xattrs -------------------------------------------------------------------- */

static struct osd_exec_attr *attr_find(struct osd_exec *x, const char *name)
{
	for (size_t i = 0; i < x->nattrs; i++)
		if (strcmp(x->attrs[i].name, name) == 0)
			return &x->attrs[i];
	return NULL;
}

/* Records name = val (NULL: removed) in the overlay; takes a ref on val. */
static int attr_set(struct osd_exec *x, const char *name, struct buf *val)
{
	struct osd_exec_attr *a = attr_find(x, name);

	if (!a) {
		if (mem_grow(&x->attrs, sizeof(*x->attrs), &x->cap_attrs, x->nattrs + 1) < 0)
			return -ENOMEM;
		a = &x->attrs[x->nattrs];
		a->name = mem_strdup(name);
		if (!a->name)
			return -ENOMEM;
		a->val = NULL;
		x->nattrs++;
	}
	buf_put(a->val);
	a->val = val ? buf_get(val) : NULL;
	return 0;
}

static void attrs_clear(struct osd_exec *x)
{
	for (size_t i = 0; i < x->nattrs; i++) {
		mem_free(x->attrs[i].name);
		buf_put(x->attrs[i].val);
	}
	x->nattrs = 0;
}

/* The user xattr as the request sees it: 0 with *out (caller owns), -ENODATA. */
static int attr_get(struct osd_exec *x, const char *name, struct buf **out)
{
	struct osd_exec_attr *a = attr_find(x, name);
	char key[STORE_NAME_MAX + 1];
	void *v = NULL;
	size_t n = 0;
	int rc;

	if (a) {
		if (!a->val)
			return -ENODATA;
		*out = buf_get(a->val);
		return 0;
	}
	if (!x->existed || x->reset)
		return -ENODATA;
	if ((rc = osd_uattr_name(name, key, sizeof(key))) < 0)
		return rc;
	rc = store_getattr(x->st, x->cid, &x->oid, key, &v, &n);
	if (rc == 0 && (rc = buf_create(out)) == 0 && n && (rc = buf_append(*out, v, n)) < 0)
		buf_put(*out);
	mem_free(v);
	return rc == -ENOENT ? -ENODATA : rc;
}

struct kvs {
	struct osd_kv *kv;
	size_t n, cap;
	int rc;
};

static int kvs_add(struct kvs *s, const char *key, const void *val, size_t len)
{
	struct osd_kv *k;

	if (mem_grow(&s->kv, sizeof(*s->kv), &s->cap, s->n + 1) < 0)
		return -ENOMEM;
	k = &s->kv[s->n];
	k->key = mem_strdup(key);
	k->val = mem_malloc(len ? len : 1);
	k->len = (uint32_t)len;
	if (!k->key || !k->val) {
		mem_free(k->key);
		mem_free(k->val);
		return -ENOMEM;
	}
	if (len)
		memcpy(k->val, val, len);
	s->n++;
	return 0;
}

static int collect_uattr(const char *key, const void *val, size_t len, void *arg)
{
	struct kvs *s = arg;

	if (strncmp(key, OSD_UATTR_PREFIX, 3) != 0)
		return 0;
	s->rc = kvs_add(s, key + 3, val, len);
	return s->rc ? 1 : 0;
}

static int op_getxattrs(struct osd_exec *x, struct osd_op *op)
{
	struct kvs s = { 0 };
	struct enc e;
	int rc = 0;

	if (x->existed && !x->reset)
		rc = store_getattrs(x->st, x->cid, &x->oid, collect_uattr, &s);
	if (rc == 0)
		rc = s.rc;
	/* overlay: drop overridden names, add the overlay's live values */
	for (size_t i = 0; rc == 0 && i < x->nattrs; i++) {
		struct osd_exec_attr *a = &x->attrs[i];
		size_t len = a->val ? buf_len(a->val) : 0;
		void *tmp;

		for (size_t j = 0; j < s.n; j++)
			if (strcmp(s.kv[j].key, a->name) == 0) {
				mem_free(s.kv[j].key);
				mem_free(s.kv[j].val);
				s.kv[j] = s.kv[--s.n];
				break;
			}
		if (!a->val)
			continue;
		tmp = mem_malloc(len ? len : 1);
		if (!tmp || buf_copy_out(a->val, 0, len, tmp) < 0)
			rc = -ENOMEM;
		if (rc == 0)
			rc = kvs_add(&s, a->name, tmp, len);
		mem_free(tmp);
	}
	if (rc == 0) {
		enc_init(&e);
		osd_kv_encode(&e, s.kv, (uint32_t)s.n, true);
		rc = enc_to_buf(&e, &op->outdata);
	}
	osd_kv_free(s.kv, (uint32_t)s.n);
	return rc;
}

/* "operand OP stored" as Ceph and librados define cmpxattr / omap_cmp. */
static int cmp_result(int cmp, uint64_t op)
{
	switch (op) {
	case OSD_CMP_EQ:
		return cmp == 0;
	case OSD_CMP_NE:
		return cmp != 0;
	case OSD_CMP_GT:
		return cmp > 0;
	case OSD_CMP_GTE:
		return cmp >= 0;
	case OSD_CMP_LT:
		return cmp < 0;
	case OSD_CMP_LTE:
		return cmp <= 0;
	default:
		return -EINVAL;
	}
}

static int bytes_cmp(const struct buf *a, const struct buf *b)
{
	size_t la = a ? buf_len(a) : 0, lb = b ? buf_len(b) : 0;
	uint8_t ca, cb;

	for (size_t i = 0; i < la && i < lb; i++) {
		buf_copy_out(a, i, 1, &ca);
		buf_copy_out(b, i, 1, &cb);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return la == lb ? 0 : (la < lb ? -1 : 1);
}

/* A u64 operand in decimal text; empty is 0. */
static int parse_u64(const struct buf *b, uint64_t *out)
{
	char tmp[32];
	size_t n = b ? buf_len(b) : 0;
	char *end;

	if (n >= sizeof(tmp))
		return -EINVAL;
	if (n && buf_copy_out(b, 0, n, tmp) < 0)
		return -EINVAL;
	tmp[n] = 0;
	if (n == 0) {
		*out = 0;
		return 0;
	}
	*out = strtoull(tmp, &end, 10);
	return *end ? -EINVAL : 0;
}

static int op_cmpxattr(struct osd_exec *x, struct osd_op *op)
{
	struct buf *val = NULL;
	uint64_t mode = (op->arg >> 8) & 0xff, a = 0, b = 0;
	int rc = attr_get(x, op->name, &val), cmp = 0;

	if (rc == -ENODATA)
		rc = 0; /* a missing xattr compares as empty */
	if (rc < 0)
		return rc;
	if (mode == OSD_CMP_MODE_U64) {
		rc = parse_u64(op->indata, &a);
		if (rc == 0)
			rc = parse_u64(val, &b);
		cmp = a < b ? -1 : a > b;
	} else if (mode == OSD_CMP_MODE_STRING || mode == 0) {
		cmp = bytes_cmp(op->indata, val);
	} else {
		rc = -EINVAL;
	}
	buf_put(val);
	if (rc == 0)
		rc = cmp_result(cmp, op->arg & 0xff);
	return rc < 0 ? rc : (rc ? 0 : -ECANCELED);
}

/* --- omap reads ------------------------------------------------------------------ */

struct omap_scan {
	struct kvs s;
	const char *after;  /* skip this key */
	const char *prefix; /* stop at the first key without it */
	size_t max;
	bool more, values;
};

static int omap_scan_one(const char *key, const void *val, size_t len, void *arg)
{
	struct omap_scan *o = arg;

	if (o->after && strcmp(key, o->after) <= 0)
		return 0;
	if (o->prefix && strncmp(key, o->prefix, strlen(o->prefix)) != 0)
		return 1;
	if (o->s.n >= o->max) {
		o->more = true;
		return 1;
	}
	o->s.rc = kvs_add(&o->s, key, o->values ? val : NULL, o->values ? len : 0);
	return o->s.rc ? 1 : 0;
}

/* omap-get-keys / omap-get-vals: start after name, prefix name2, at most arg. */
static int op_omap_get(struct osd_exec *x, struct osd_op *op, bool values)
{
	struct omap_scan o = {
		.after = op->name && op->name[0] ? op->name : NULL,
		.prefix = values && op->name2 && op->name2[0] ? op->name2 : NULL,
		.values = values,
	};
	const char *start = o.after;
	struct enc e;
	int rc = 0;

	o.max = op->arg && op->arg < OSD_OMAP_MAX ? (size_t)op->arg : OSD_OMAP_MAX;
	if (o.prefix && (!start || strcmp(o.prefix, start) > 0))
		start = o.prefix;
	if (!x->exists)
		return -ENOENT;
	if (x->existed && !x->reset)
		rc = store_omap_iterate(x->st, x->cid, &x->oid, start, 0, omap_scan_one, &o);
	if (rc >= 0)
		rc = o.s.rc;
	if (rc == 0) {
		enc_init(&e);
		osd_kv_encode(&e, o.s.kv, (uint32_t)o.s.n, values);
		enc_u8(&e, o.more);
		rc = enc_to_buf(&e, &op->outdata);
	}
	osd_kv_free(o.s.kv, (uint32_t)o.s.n);
	return rc;
}

/* The omap value of key as the request sees it; -ENODATA if missing. */
static int omap_value(struct osd_exec *x, const char *key, void **val, size_t *len)
{
	int rc;

	if (!x->existed || x->reset)
		return -ENODATA;
	rc = store_omap_get(x->st, x->cid, &x->oid, key, val, len);
	return rc == -ENOENT ? -ENODATA : rc;
}

static int op_omap_by_keys(struct osd_exec *x, struct osd_op *op)
{
	struct osd_kv *keys = NULL;
	struct kvs s = { 0 };
	uint32_t n = 0;
	struct dec d;
	struct enc e;
	const void *p = NULL;
	void *scratch = NULL;
	size_t inlen = op->indata ? buf_len(op->indata) : 0;
	int rc;

	if (!x->exists)
		return -ENOENT;
	scratch = mem_malloc(inlen ? inlen : 1);
	if (!scratch)
		return -ENOMEM;
	rc = inlen ? buf_peek(op->indata, 0, inlen, scratch, &p) : 0;
	dec_init(&d, p, inlen);
	if (rc == 0)
		rc = osd_kv_decode(&d, false, &keys, &n) < 0 ? -EINVAL : 0;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		void *v = NULL;
		size_t len = 0;

		rc = omap_value(x, keys[i].key, &v, &len);
		if (rc == 0)
			rc = kvs_add(&s, keys[i].key, v, len);
		else if (rc == -ENODATA)
			rc = 0;
		mem_free(v);
	}
	if (rc == 0) {
		enc_init(&e);
		osd_kv_encode(&e, s.kv, (uint32_t)s.n, true);
		rc = enc_to_buf(&e, &op->outdata);
	}
	osd_kv_free(s.kv, (uint32_t)s.n);
	osd_kv_free(keys, n);
	mem_free(scratch);
	return rc;
}

static int op_omap_cmp(struct osd_exec *x, struct osd_op *op)
{
	void *v = NULL;
	size_t len = 0;
	struct buf *b = NULL;
	int rc, cmp;

	if (!x->exists)
		return -ENOENT;
	if (!op->name)
		return -EINVAL;
	rc = omap_value(x, op->name, &v, &len);
	if (rc == -ENODATA)
		rc = 0;
	if (rc == 0 && (rc = buf_create(&b)) == 0 && len)
		rc = buf_append(b, v, len);
	mem_free(v);
	if (rc == 0) {
		cmp = bytes_cmp(op->indata, b);
		rc = cmp_result(cmp, op->arg);
		rc = rc < 0 ? rc : (rc ? 0 : -ECANCELED);
	}
	buf_put(b);
	return rc;
}

/* --- data reads ----------------------------------------------------------------- */

static int op_read(struct osd_exec *x, struct osd_op *op, bool sparse)
{
	uint64_t len = op->len, off = op->off;
	struct buf *data = NULL, *out = NULL;
	struct enc e;
	int rc;

	if (!x->exists)
		return -ENOENT;
	if (off >= x->size)
		len = 0;
	else if (len == 0 || len > x->size - off)
		len = x->size - off;
	if ((rc = read_range(x, off, len, &data)) < 0)
		return rc;
	x->rd_bytes += len;
	if (!sparse) {
		op->outdata = data;
		return 0;
	}
	/* one extent [off, len) holding the data, holes as zeros */
	enc_init(&e);
	enc_u32(&e, len ? 1 : 0);
	if (len) {
		enc_u64(&e, off);
		enc_u64(&e, len);
	}
	enc_u32(&e, (uint32_t)len);
	rc = enc_to_buf(&e, &out);
	if (rc == 0 && len)
		rc = buf_append_buf(out, data, 0, (size_t)len);
	buf_put(data);
	if (rc < 0) {
		buf_put(out);
		return rc;
	}
	op->outdata = out;
	return 0;
}

static int op_cmpext(struct osd_exec *x, struct osd_op *op)
{
	size_t n = op->indata ? buf_len(op->indata) : 0;
	struct buf *data = NULL;
	uint64_t avail = x->exists && op->off < x->size ? x->size - op->off : 0;
	int rc = read_range(x, op->off, avail < n ? avail : n, &data);

	if (rc < 0)
		return rc;
	if (buf_len(data) < n && (rc = buf_append_zero(data, n - buf_len(data))) < 0) {
		buf_put(data);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t a, b;

		buf_copy_out(op->indata, i, 1, &a);
		buf_copy_out(data, i, 1, &b);
		if (a != b) {
			buf_put(data);
			return -(MAX_ERRNO + (int)i);
		}
	}
	buf_put(data);
	return 0;
}

static int op_stat(struct osd_exec *x, struct osd_op *op)
{
	struct enc e;

	if (!x->exists)
		return -ENOENT;
	enc_init(&e);
	enc_u64(&e, x->size);
	enc_u64(&e, x->modified ? x->mtime_ns : x->oi.mtime_ns);
	return enc_to_buf(&e, &op->outdata);
}

static int op_getxattr(struct osd_exec *x, struct osd_op *op)
{
	if (!x->exists)
		return -ENOENT;
	if (!op->name)
		return -EINVAL;
	return attr_get(x, op->name, &op->outdata);
}

static int op_omap_header(struct osd_exec *x, struct osd_op *op)
{
	void *v = NULL;
	size_t n = 0;
	int rc;

	if (!x->exists)
		return -ENOENT;
	rc = x->existed && !x->reset
	         ? store_getattr(x->st, x->cid, &x->oid, OSD_OMAPHDR_ATTR, &v, &n)
	         : -ENODATA;
	if (rc == -ENODATA)
		rc = 0;
	if (rc == 0 && (rc = buf_create(&op->outdata)) == 0 && n)
		rc = buf_append(op->outdata, v, n);
	mem_free(v);
	return rc;
}

static int run_read(struct osd_exec *x, struct osd_op *op)
{
	switch (op->code) {
	case OSD_OP_READ:
		return op_read(x, op, false);
	case OSD_OP_SPARSE_READ:
		return op_read(x, op, true);
	case OSD_OP_STAT:
		return op_stat(x, op);
	case OSD_OP_GETXATTR:
		return op_getxattr(x, op);
	case OSD_OP_GETXATTRS:
		return x->exists ? op_getxattrs(x, op) : -ENOENT;
	case OSD_OP_CMPXATTR:
		return !x->exists ? -ENOENT : (op->name ? op_cmpxattr(x, op) : -EINVAL);
	case OSD_OP_ASSERT_EXISTS:
		return x->exists ? 0 : -ENOENT;
	case OSD_OP_ASSERT_VERSION:
		/* librados: object newer than asserted -ERANGE, older -EOVERFLOW */
		if (op->arg == 0)
			return -EINVAL;
		if (x->oi.user_version > op->arg)
			return -ERANGE;
		return x->oi.user_version < op->arg ? -EOVERFLOW : 0;
	case OSD_OP_OMAP_GET_KEYS:
		return op_omap_get(x, op, false);
	case OSD_OP_OMAP_GET_VALS:
		return op_omap_get(x, op, true);
	case OSD_OP_OMAP_GET_VALS_BY_KEYS:
		return op_omap_by_keys(x, op);
	case OSD_OP_OMAP_GET_HEADER:
		return op_omap_header(x, op);
	case OSD_OP_CMPEXT:
		return op_cmpext(x, op);
	case OSD_OP_OMAP_CMP:
		return op_omap_cmp(x, op);
	default:
		return -EOPNOTSUPP; /* PGLS is a PG op, handled by osd_exec_pgls */
	}
}

/* --- writes -------------------------------------------------------------------- */

/* Makes sure the object exists in the running view (touch if not). */
static int ensure_exists(struct osd_exec *x)
{
	int rc;

	if (x->exists)
		return 0;
	if ((rc = store_txn_touch(x->txn, x->cid, &x->oid)) < 0)
		return rc;
	x->exists = true;
	x->size = 0;
	return 0;
}

static int op_write(struct osd_exec *x, struct osd_op *op, uint64_t off)
{
	size_t n = op->indata ? buf_len(op->indata) : 0;
	int rc = check_extent(x, off, n);

	if (rc == 0)
		rc = ensure_exists(x);
	if (rc == 0 && n)
		rc = store_txn_write(x->txn, x->cid, &x->oid, off, op->indata);
	if (rc == 0 && n && off + n > x->size)
		x->size = off + n;
	x->wr_bytes += n;
	return rc;
}

static int op_truncate(struct osd_exec *x, uint64_t size)
{
	int rc = check_extent(x, size, 0);

	if (rc == 0)
		rc = ensure_exists(x);
	if (rc == 0)
		rc = store_txn_truncate(x->txn, x->cid, &x->oid, size);
	if (rc == 0)
		x->size = size;
	return rc;
}

static int op_zero(struct osd_exec *x, struct osd_op *op)
{
	uint64_t end;
	int rc = check_extent(x, op->off, op->len);

	if (rc < 0 || !x->exists || op->off >= x->size || op->len == 0)
		return rc; /* zeroing past the end (or a missing object) is a no-op */
	end = op->off + op->len < x->size ? op->off + op->len : x->size;
	return store_txn_zero(x->txn, x->cid, &x->oid, op->off, end - op->off);
}

static int op_remove(struct osd_exec *x)
{
	int rc;

	if (!x->exists)
		return -ENOENT;
	if ((rc = store_txn_remove(x->txn, x->cid, &x->oid)) < 0)
		return rc;
	x->exists = false;
	x->reset = true;
	x->size = 0;
	attrs_clear(x);
	return 0;
}

static int op_setxattr(struct osd_exec *x, struct osd_op *op)
{
	char key[STORE_NAME_MAX + 1];
	size_t n = op->indata ? buf_len(op->indata) : 0;
	void *v = NULL;
	const void *p = NULL;
	struct buf *empty = NULL;
	int rc = osd_uattr_name(op->name, key, sizeof(key));

	if (rc == 0 && n > x->lim->max_attr_size)
		rc = -EFBIG;
	if (rc == 0)
		rc = ensure_exists(x);
	if (rc == 0 && n) {
		v = mem_malloc(n);
		rc = v ? buf_peek(op->indata, 0, n, v, &p) : -ENOMEM;
	}
	if (rc == 0)
		rc = store_txn_setattr(x->txn, x->cid, &x->oid, key, n ? p : "", n);
	if (rc == 0 && !op->indata && (rc = buf_create(&empty)) == 0)
		rc = attr_set(x, op->name, empty);
	else if (rc == 0)
		rc = attr_set(x, op->name, op->indata);
	buf_put(empty);
	mem_free(v);
	return rc;
}

static int op_rmxattr(struct osd_exec *x, struct osd_op *op)
{
	char key[STORE_NAME_MAX + 1];
	int rc = osd_uattr_name(op->name, key, sizeof(key));

	if (rc == 0 && !x->exists)
		rc = -ENOENT;
	if (rc == 0)
		rc = store_txn_rmattr(x->txn, x->cid, &x->oid, key);
	return rc ? rc : attr_set(x, op->name, NULL);
}

/* Decodes a key or kv list from indata into *kv; -EINVAL when malformed. */
static int decode_list(const struct osd_op *op, bool values, struct osd_kv **kv, uint32_t *n)
{
	size_t len = op->indata ? buf_len(op->indata) : 0;
	void *scratch = mem_malloc(len ? len : 1);
	const void *p = NULL;
	struct dec d;
	int rc = scratch ? 0 : -ENOMEM;

	if (rc == 0 && len)
		rc = buf_peek(op->indata, 0, len, scratch, &p);
	dec_init(&d, p, len);
	if (rc == 0)
		rc = osd_kv_decode(&d, values, kv, n);
	if (rc == -EBADMSG)
		rc = -EINVAL;
	mem_free(scratch);
	return rc;
}

static int op_omap_set(struct osd_exec *x, struct osd_op *op)
{
	struct osd_kv *kv = NULL;
	struct store_kv *skv = NULL;
	uint32_t n = 0;
	int rc = decode_list(op, true, &kv, &n);

	if (rc == 0)
		rc = ensure_exists(x);
	if (rc == 0 && n) {
		skv = mem_calloc(n, sizeof(*skv));
		rc = skv ? 0 : -ENOMEM;
	}
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		skv[i] = (struct store_kv){ kv[i].key, kv[i].val, kv[i].len };
	if (rc == 0 && n)
		rc = store_txn_omap_setkeys(x->txn, x->cid, &x->oid, skv, n);
	mem_free(skv);
	osd_kv_free(kv, n);
	return rc;
}

static int op_omap_rm_keys(struct osd_exec *x, struct osd_op *op)
{
	struct osd_kv *kv = NULL;
	const char **keys = NULL;
	uint32_t n = 0;
	int rc = x->exists ? decode_list(op, false, &kv, &n) : -ENOENT;

	if (rc == 0 && n) {
		keys = mem_calloc(n, sizeof(*keys));
		rc = keys ? 0 : -ENOMEM;
	}
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		keys[i] = kv[i].key;
	if (rc == 0 && n)
		rc = store_txn_omap_rmkeys(x->txn, x->cid, &x->oid, keys, n);
	mem_free(keys);
	osd_kv_free(kv, n);
	return rc;
}

static int op_omap_header_set(struct osd_exec *x, struct osd_op *op)
{
	size_t n = op->indata ? buf_len(op->indata) : 0;
	void *v = mem_malloc(n ? n : 1);
	const void *p = NULL;
	int rc = v ? 0 : -ENOMEM;

	if (rc == 0 && n > STORE_VALUE_MAX)
		rc = -EFBIG;
	if (rc == 0 && n)
		rc = buf_peek(op->indata, 0, n, v, &p);
	if (rc == 0)
		rc = ensure_exists(x);
	if (rc == 0)
		rc = store_txn_setattr(x->txn, x->cid, &x->oid, OSD_OMAPHDR_ATTR, n ? p : "", n);
	mem_free(v);
	return rc;
}

static int run_write(struct osd_exec *x, struct osd_op *op)
{
	int rc = need_txn(x);

	if (rc < 0)
		return rc;
	x->modified = true;
	switch (op->code) {
	case OSD_OP_CREATE:
		if (x->exists && op->arg == 1)
			return -EEXIST;
		return ensure_exists(x);
	case OSD_OP_WRITE:
		return op_write(x, op, op->off);
	case OSD_OP_WRITE_FULL:
		rc = check_extent(x, 0, op->indata ? buf_len(op->indata) : 0);
		if (rc == 0)
			rc = op_truncate(x, 0);
		return rc ? rc : op_write(x, op, 0);
	case OSD_OP_APPEND:
		return op_write(x, op, x->exists ? x->size : 0);
	case OSD_OP_TRUNCATE:
		return op_truncate(x, op->off);
	case OSD_OP_ZERO:
		return op_zero(x, op);
	case OSD_OP_REMOVE:
		return op_remove(x);
	case OSD_OP_SETXATTR:
		return op_setxattr(x, op);
	case OSD_OP_RMXATTR:
		return op_rmxattr(x, op);
	case OSD_OP_OMAP_SET:
		return op_omap_set(x, op);
	case OSD_OP_OMAP_RM_KEYS:
		return op_omap_rm_keys(x, op);
	case OSD_OP_OMAP_CLEAR:
		if (!x->exists)
			return -ENOENT;
		rc = store_txn_omap_clear(x->txn, x->cid, &x->oid);
		return rc ? rc : store_txn_rmattr(x->txn, x->cid, &x->oid, OSD_OMAPHDR_ATTR);
	case OSD_OP_OMAP_RM_RANGE:
		if (!x->exists)
			return -ENOENT;
		if (!op->name || !op->name2)
			return -EINVAL;
		return store_txn_omap_rmkeyrange(x->txn, x->cid, &x->oid, op->name, op->name2);
	case OSD_OP_OMAP_SET_HEADER:
		return op_omap_header_set(x, op);
	default:
		return -EOPNOTSUPP;
	}
}

/* --- requests ------------------------------------------------------------------- */

int osd_exec_init(struct osd_exec *x, struct store *st, const char *cid, const char *nspace,
                  const char *name, const struct osd_exec_limits *lim, uint64_t mtime_ns)
{
	void *v = NULL;
	size_t n = 0;
	int rc;

	memset(x, 0, sizeof(*x));
	x->st = st;
	x->cid = cid;
	x->oid = (struct store_oid){ .nspace = nspace, .name = name, .snap = STORE_SNAP_HEAD };
	x->lim = lim;
	x->mtime_ns = mtime_ns;
	rc = store_getattr(st, cid, &x->oid, OSD_OI_ATTR, &v, &n);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = osd_obj_info_decode(v, n, &x->oi);
	else if (rc == -ENODATA)
		rc = -EBADMSG;
	mem_free(v);
	if (rc < 0)
		return rc;
	x->existed = x->exists = true;
	x->size = x->oi.size;
	return 0;
}

void osd_exec_fini(struct osd_exec *x)
{
	attrs_clear(x);
	mem_free(x->attrs);
	x->attrs = NULL;
	store_txn_destroy(x->txn);
	x->txn = NULL;
}

int osd_exec_run(struct osd_exec *x, struct osd_op *ops, uint32_t nops)
{
	for (uint32_t i = 0; i < nops; i++) {
		struct osd_op *op = &ops[i];
		int rc;

		buf_put(op->outdata);
		op->outdata = NULL;
		if (!osd_op_is_valid(op->code) || op->code == OSD_OP_PGLS)
			rc = -EOPNOTSUPP;
		else if (osd_op_is_write(op->code))
			rc = run_write(x, op);
		else
			rc = run_read(x, op);
		op->rval = rc;
		if (rc < 0 && !(op->flags & OSD_OP_F_FAILOK)) {
			x->result = rc;
			return rc;
		}
	}
	return 0;
}

int osd_exec_finish(struct osd_exec *x, struct osd_eversion version, struct osd_obj_info *oi,
                    bool *deleted, struct store_txn **txn)
{
	struct enc e;
	int rc = need_txn(x);

	if (rc < 0)
		return rc;
	*oi = (struct osd_obj_info){
		.version = version,
		.prior_version = x->oi.version,
		.user_version = version.v,
		.size = x->size,
		.mtime_ns = x->mtime_ns,
	};
	if (x->exists) {
		enc_init(&e);
		osd_obj_info_encode(&e, oi);
		rc = enc_error(&e);
		if (rc == 0)
			rc = store_txn_setattr(x->txn, x->cid, &x->oid, OSD_OI_ATTR, e.data, e.len);
		enc_fini(&e);
		if (rc < 0)
			return rc;
	}
	*deleted = !x->exists;
	*txn = x->txn;
	x->txn = NULL;
	return 0;
}

/* --- PGLS ----------------------------------------------------------------------- */

struct pgls {
	const char *filter; /* NULL: every namespace */
	struct osd_list_entry *ents;
	size_t n, cap, max;
	char *last_ns, *last_oid; /* last object visited */
	size_t visited;
	int rc;
};

static int pgls_one(const struct store_oid *oid, void *arg)
{
	struct pgls *l = arg;
	const char *ns = oid->nspace ? oid->nspace : "";
	struct osd_list_entry *e;

	l->visited++;
	mem_free(l->last_ns);
	mem_free(l->last_oid);
	l->last_ns = mem_strdup(ns);
	l->last_oid = mem_strdup(oid->name);
	if (!l->last_ns || !l->last_oid) {
		l->rc = -ENOMEM;
		return 1;
	}
	if (!oid->name[0] || oid->snap != STORE_SNAP_HEAD || (l->filter && strcmp(ns, l->filter)))
		return 0; /* pgmeta, clones, other namespaces */
	if (mem_grow(&l->ents, sizeof(*l->ents), &l->cap, l->n + 1) < 0) {
		l->rc = -ENOMEM;
		return 1;
	}
	e = &l->ents[l->n];
	e->nspace = mem_strdup(ns);
	e->oid = mem_strdup(oid->name);
	if (!e->nspace || !e->oid) {
		mem_free(e->nspace);
		mem_free(e->oid);
		l->rc = -ENOMEM;
		return 1;
	}
	l->n++;
	return l->n >= l->max ? 1 : 0;
}

static int pgls_cursor(const struct osd_op *op, struct osd_list_cursor *c)
{
	size_t len = op->indata ? buf_len(op->indata) : 0;
	void *scratch;
	const void *p = NULL;
	struct dec d;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!len)
		return 0;
	scratch = mem_malloc(len);
	if (!scratch)
		return -ENOMEM;
	rc = buf_peek(op->indata, 0, len, scratch, &p);
	dec_init(&d, p, len);
	if (rc == 0)
		rc = osd_list_cursor_decode(&d, c) < 0 ? -EINVAL : 0;
	mem_free(scratch);
	return rc;
}

int osd_exec_pgls(struct store *st, const char *cid, struct osd_op *op)
{
	struct pgls l = { .max =
		              op->arg && op->arg < OSD_LIST_MAX ? (size_t)op->arg : OSD_LIST_MAX };
	struct osd_list_cursor c, next = { 0 };
	struct store_oid after;
	bool end = false;
	struct enc e;
	int rc = pgls_cursor(op, &c);

	if (rc < 0)
		return op->rval = rc;
	l.filter = !op->name ? "" : strcmp(op->name, OSD_LIST_ALL_NSPACES) == 0 ? NULL : op->name;
	after = (struct store_oid){ c.nspace, c.oid, STORE_SNAP_HEAD };
	while (rc == 0 && l.n < l.max && !end) {
		size_t before = l.visited;

		rc = store_list(st, cid, c.valid || l.last_oid ? &after : NULL, 256, pgls_one, &l);
		rc = rc < 0 ? rc : l.rc;
		end = l.visited - before < 256 && l.n < l.max;
		if (l.last_oid)
			after = (struct store_oid){ l.last_ns, l.last_oid, STORE_SNAP_HEAD };
	}
	if (rc == 0) {
		next.valid = l.last_oid != NULL || c.valid;
		next.nspace = l.last_oid ? l.last_ns : c.nspace;
		next.oid = l.last_oid ? l.last_oid : c.oid;
		enc_init(&e);
		osd_list_reply_encode(&e, l.ents, (uint32_t)l.n, &next, end);
		rc = enc_to_buf(&e, &op->outdata);
	}
	osd_list_entries_free(l.ents, (uint32_t)l.n);
	mem_free(l.last_ns);
	mem_free(l.last_oid);
	osd_list_cursor_fini(&c);
	return op->rval = rc;
}
