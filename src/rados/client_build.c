/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_build.c - op vectors: the builders behind rados_write_op_*,
 * rados_read_op_* and the simple calls. Building is pure: it encodes the
 * ops' arguments (copying user data into bufs, or sharing it for the
 * synchronous calls) and records where each op's reply must go. A failure
 * is remembered in the vector (v->err) and reported by operate, as
 * librados' void builders cannot return one. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "rados/client_int.h"

void radosc_opv_init(struct radosc_opv *v)
{
	memset(v, 0, sizeof(*v));
	v->ret_op = -1;
}

void radosc_opv_fini(struct radosc_opv *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		osd_op_fini(&v->ops[i]);
	mem_free(v->ops);
	mem_free(v->outs);
	radosc_opv_init(v);
}

void radosc_opv_move(struct radosc_opv *dst, struct radosc_opv *src)
{
	*dst = *src;
	radosc_opv_init(src);
}

bool radosc_opv_has_write(const struct radosc_opv *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (osd_op_is_write(v->ops[i].code))
			return true;
	return false;
}

bool radosc_opv_has_read(const struct radosc_opv *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (!osd_op_is_write(v->ops[i].code))
			return true;
	return false;
}

uint64_t radosc_opv_bytes(const struct radosc_opv *v)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < v->n; i++) {
		if (v->ops[i].indata)
			n += buf_len(v->ops[i].indata);
		if (v->ops[i].code == OSD_OP_READ || v->ops[i].code == OSD_OP_SPARSE_READ)
			n += v->ops[i].len;
	}
	return n;
}

static void set_err(struct radosc_opv *v, int rc)
{
	if (rc < 0 && v->err == 0)
		v->err = rc;
}

struct osd_op *radosc_opv_add(struct radosc_opv *v, uint16_t code, struct radosc_out **out)
{
	size_t cap = v->cap;

	if (v->n >= OSD_OPS_MAX) {
		set_err(v, -E2BIG);
		return NULL;
	}
	if (v->n == v->cap) {
		size_t cap2 = cap;

		if (mem_grow(&v->ops, sizeof(*v->ops), &cap, v->n + 1) < 0 ||
		    mem_grow(&v->outs, sizeof(*v->outs), &cap2, v->n + 1) < 0) {
			set_err(v, -ENOMEM);
			return NULL;
		}
		v->cap = (uint32_t)(cap < cap2 ? cap : cap2);
	}
	memset(&v->ops[v->n], 0, sizeof(v->ops[0]));
	memset(&v->outs[v->n], 0, sizeof(v->outs[0]));
	v->ops[v->n].code = code;
	if (out)
		*out = &v->outs[v->n];
	return &v->ops[v->n++];
}

/* A copy of s[0, n) as an op name: -EINVAL for NUL bytes, -ENAMETOOLONG. */
static int dup_name(const char *s, size_t n, char **out)
{
	if (!s)
		return -EINVAL;
	if (n > OSD_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(s, '\0', n))
		return -EINVAL;
	*out = mem_strndup(s, n);
	return *out ? 0 : -ENOMEM;
}

/* A buf holding a copy of data[0, len); NULL stays NULL for len 0. */
static int copy_buf(const void *data, size_t len, struct buf **out)
{
	struct buf *b;
	int rc;

	*out = NULL;
	if (len == 0)
		return 0;
	if (!data)
		return -EINVAL;
	rc = buf_create(&b);
	if (rc == 0 && (rc = buf_append(b, data, len)) < 0)
		buf_put(b);
	if (rc == 0)
		*out = b;
	return rc;
}

/* Hands an encoder's bytes to a new buf without copying them. */
static int enc_buf(struct enc *e, struct buf **out)
{
	struct buf *b;
	uint8_t *p;
	size_t n;
	int rc = enc_error(e);

	if (rc == 0)
		rc = buf_create(&b);
	if (rc < 0) {
		enc_fini(e);
		return rc;
	}
	p = enc_take(e, &n);
	rc = buf_append_ext(b, p, n, NULL, NULL);
	if (rc < 0) {
		mem_free(p);
		buf_put(b);
		return rc;
	}
	*out = b;
	return 0;
}

void radosc_opv_write(struct radosc_opv *v, uint16_t code, const char *data, size_t len,
                      uint64_t off)
{
	struct osd_op *o = radosc_opv_add(v, code, NULL);

	if (!o)
		return;
	o->off = off;
	o->len = len;
	set_err(v, copy_buf(data, len, &o->indata));
}

void radosc_opv_write_ext(struct radosc_opv *v, uint16_t code, const char *data, size_t len,
                          uint64_t off, buf_free_fn *release, void *arg)
{
	struct osd_op *o = radosc_opv_add(v, code, NULL);
	struct buf *b;
	int rc;

	if (!o || len == 0) {
		if (release)
			release((void *)data, len, arg);
		return;
	}
	o->off = off;
	o->len = len;
	rc = buf_create(&b);
	if (rc == 0 && (rc = buf_append_ext(b, (void *)data, len, release, arg)) < 0)
		buf_put(b);
	if (rc < 0) {
		release((void *)data, len, arg);
		set_err(v, rc);
		return;
	}
	o->indata = b;
}

void radosc_opv_read(struct radosc_opv *v, uint64_t off, size_t len, char *buf, size_t *plen,
                     int *prval)
{
	struct radosc_out *out;
	struct osd_op *o = radosc_opv_add(v, OSD_OP_READ, &out);

	if (!o)
		return;
	o->off = off;
	o->len = len;
	out->kind = RADOSC_OUT_READ;
	out->buf = buf;
	out->len = len;
	out->plen = plen;
	out->prval = prval;
}

void radosc_opv_sparse_read(struct radosc_opv *v, uint64_t off, size_t len, char *buf, size_t *plen,
                            int *prval)
{
	struct radosc_out *out;
	struct osd_op *o = radosc_opv_add(v, OSD_OP_SPARSE_READ, &out);

	if (!o)
		return;
	o->off = off;
	o->len = len;
	out->kind = RADOSC_OUT_SPARSE;
	out->buf = buf;
	out->len = len;
	out->plen = plen;
	out->prval = prval;
	out->sparse_off = off;
}

void radosc_opv_stat(struct radosc_opv *v, uint64_t *psize, time_t *pmtime, uint64_t *pmtime_ns,
                     int *prval)
{
	struct radosc_out *out;

	if (!radosc_opv_add(v, OSD_OP_STAT, &out))
		return;
	out->kind = RADOSC_OUT_STAT;
	out->psize = psize;
	out->pmtime = pmtime;
	out->pmtime_ns = pmtime_ns;
	out->prval = prval;
}

void radosc_opv_named(struct radosc_opv *v, uint16_t code, const char *name, size_t name_len,
                      const char *name2, size_t name2_len)
{
	struct osd_op *o = radosc_opv_add(v, code, NULL);

	if (!o)
		return;
	if (name)
		set_err(v, dup_name(name, name_len, &o->name));
	if (name2)
		set_err(v, dup_name(name2, name2_len, &o->name2));
}

void radosc_opv_getxattr(struct radosc_opv *v, const char *name, char *buf, size_t len)
{
	uint32_t at = v->n;

	if (!name) {
		set_err(v, -EINVAL);
		return;
	}
	radosc_opv_named(v, OSD_OP_GETXATTR, name, strlen(name), NULL, 0);
	if (v->n == at)
		return;
	v->outs[at].kind = RADOSC_OUT_GETXATTR;
	v->outs[at].buf = buf;
	v->outs[at].len = len;
}

void radosc_opv_setxattr(struct radosc_opv *v, const char *name, const char *val, size_t len)
{
	uint32_t at = v->n;

	if (!name) {
		set_err(v, -EINVAL);
		return;
	}
	radosc_opv_named(v, OSD_OP_SETXATTR, name, strlen(name), NULL, 0);
	if (v->n > at)
		set_err(v, copy_buf(val, len, &v->ops[at].indata));
}

static bool cmp_op_is_valid(uint8_t op)
{
	return op >= LIBRADOS_CMPXATTR_OP_EQ && op <= LIBRADOS_CMPXATTR_OP_LTE;
}

void radosc_opv_cmpxattr(struct radosc_opv *v, const char *name, uint8_t op, const char *val,
                         size_t len)
{
	uint32_t at = v->n;

	if (!name || !cmp_op_is_valid(op)) {
		set_err(v, -EINVAL);
		return;
	}
	radosc_opv_named(v, OSD_OP_CMPXATTR, name, strlen(name), NULL, 0);
	if (v->n == at)
		return;
	v->ops[at].arg = (uint64_t)op | ((uint64_t)OSD_CMP_MODE_STRING << 8);
	set_err(v, copy_buf(val, len, &v->ops[at].indata));
}

void radosc_opv_cmpext(struct radosc_opv *v, const char *cmp, size_t len, uint64_t off, int *prval)
{
	struct radosc_out *out;
	struct osd_op *o = radosc_opv_add(v, OSD_OP_CMPEXT, &out);

	if (!o)
		return;
	o->off = off;
	o->len = len;
	out->prval = prval;
	set_err(v, copy_buf(cmp, len, &o->indata));
}

void radosc_opv_pgls(struct radosc_opv *v, const char *nspace_filter,
                     const struct osd_list_cursor *cursor, uint32_t max, struct buf **pbuf)
{
	struct radosc_out *out;
	struct osd_op *o = radosc_opv_add(v, OSD_OP_PGLS, &out);
	struct enc e;

	if (!o)
		return;
	o->arg = max;
	if (nspace_filter)
		set_err(v, dup_name(nspace_filter, strlen(nspace_filter), &o->name));
	out->kind = RADOSC_OUT_BUF;
	out->pbuf = pbuf;
	enc_init(&e);
	osd_list_cursor_encode(&e, cursor);
	set_err(v, enc_buf(&e, &o->indata));
}

/* Encodes a key or kv list from the user's arrays (lens NULL: strlen). */
static int kv_buf(char const *const *keys, const size_t *key_lens, char const *const *vals,
                  const size_t *val_lens, size_t num, struct buf **out)
{
	struct osd_kv *kv;
	struct enc e;
	int rc = 0;

	if (num > OSD_KV_MAX)
		return -E2BIG;
	if (num && !keys)
		return -EINVAL;
	kv = mem_calloc(num ? num : 1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < num; i++) {
		rc = dup_name(keys[i], key_lens ? key_lens[i] : (keys[i] ? strlen(keys[i]) : 0),
		              &kv[i].key);
		if (rc == 0 && vals) {
			if (val_lens[i] > UINT32_MAX || (val_lens[i] && !vals[i]))
				rc = -EINVAL;
			kv[i].val = (uint8_t *)(uintptr_t)vals[i];
			kv[i].len = (uint32_t)val_lens[i];
		}
	}
	if (rc == 0) {
		enc_init(&e);
		osd_kv_encode(&e, kv, (uint32_t)num, vals != NULL);
		rc = enc_buf(&e, out);
	}
	for (size_t i = 0; i < num; i++)
		mem_free(kv[i].key);
	mem_free(kv);
	return rc;
}

/* ---- rados_write_op_t ------------------------------------------------------ */

rados_write_op_t rados_create_write_op(void)
{
	struct radosc_opv *v = mem_malloc(sizeof(*v));

	if (v)
		radosc_opv_init(v);
	return v;
}

void rados_release_write_op(rados_write_op_t write_op)
{
	if (!write_op)
		return;
	radosc_opv_fini(write_op);
	mem_free(write_op);
}

static void set_flags(struct radosc_opv *v, int flags)
{
	struct osd_op *o;

	if (!v || v->n == 0)
		return;
	o = &v->ops[v->n - 1];
	if (flags & LIBRADOS_OP_FLAG_FAILOK)
		o->flags |= OSD_OP_F_FAILOK;
	if ((flags & LIBRADOS_OP_FLAG_EXCL) && o->code == OSD_OP_CREATE)
		o->arg = 1;
}

void rados_write_op_set_flags(rados_write_op_t write_op, int flags)
{
	set_flags(write_op, flags);
}

void rados_write_op_assert_exists(rados_write_op_t write_op)
{
	radosc_opv_add(write_op, OSD_OP_ASSERT_EXISTS, NULL);
}

void rados_write_op_assert_version(rados_write_op_t write_op, uint64_t ver)
{
	struct osd_op *o = radosc_opv_add(write_op, OSD_OP_ASSERT_VERSION, NULL);

	if (o)
		o->arg = ver;
}

void rados_write_op_cmpext(rados_write_op_t write_op, const char *cmp_buf, size_t cmp_len,
                           uint64_t off, int *prval)
{
	radosc_opv_cmpext(write_op, cmp_buf, cmp_len, off, prval);
}

void rados_write_op_cmpxattr(rados_write_op_t write_op, const char *name,
                             uint8_t comparison_operator, const char *value, size_t value_len)
{
	radosc_opv_cmpxattr(write_op, name, comparison_operator, value, value_len);
}

static void omap_cmp(struct radosc_opv *v, const char *key, uint8_t op, const char *val, size_t len,
                     int *prval)
{
	uint32_t at = v->n;

	if (!key || !cmp_op_is_valid(op)) {
		set_err(v, -EINVAL);
		return;
	}
	radosc_opv_named(v, OSD_OP_OMAP_CMP, key, strlen(key), NULL, 0);
	if (v->n == at)
		return;
	v->ops[at].arg = op;
	v->outs[at].prval = prval;
	set_err(v, copy_buf(val, len, &v->ops[at].indata));
}

void rados_write_op_omap_cmp(rados_write_op_t write_op, const char *key,
                             uint8_t comparison_operator, const char *val, size_t val_len,
                             int *prval)
{
	omap_cmp(write_op, key, comparison_operator, val, val_len, prval);
}

void rados_write_op_setxattr(rados_write_op_t write_op, const char *name, const char *value,
                             size_t value_len)
{
	radosc_opv_setxattr(write_op, name, value, value_len);
}

void rados_write_op_rmxattr(rados_write_op_t write_op, const char *name)
{
	if (!name)
		set_err(write_op, -EINVAL);
	else
		radosc_opv_named(write_op, OSD_OP_RMXATTR, name, strlen(name), NULL, 0);
}

void rados_write_op_create(rados_write_op_t write_op, int exclusive, const char *category)
{
	struct osd_op *o = radosc_opv_add(write_op, OSD_OP_CREATE, NULL);

	(void)category; /* pool categories do not exist in Sepia */
	if (o)
		o->arg = exclusive == LIBRADOS_CREATE_EXCLUSIVE;
}

void rados_write_op_write(rados_write_op_t write_op, const char *buffer, size_t len,
                          uint64_t offset)
{
	radosc_opv_write(write_op, OSD_OP_WRITE, buffer, len, offset);
}

void rados_write_op_write_full(rados_write_op_t write_op, const char *buffer, size_t len)
{
	radosc_opv_write(write_op, OSD_OP_WRITE_FULL, buffer, len, 0);
}

void rados_write_op_append(rados_write_op_t write_op, const char *buffer, size_t len)
{
	radosc_opv_write(write_op, OSD_OP_APPEND, buffer, len, 0);
}

void rados_write_op_remove(rados_write_op_t write_op)
{
	radosc_opv_add(write_op, OSD_OP_REMOVE, NULL);
}

void rados_write_op_truncate(rados_write_op_t write_op, uint64_t offset)
{
	struct osd_op *o = radosc_opv_add(write_op, OSD_OP_TRUNCATE, NULL);

	if (o)
		o->off = offset;
}

void rados_write_op_zero(rados_write_op_t write_op, uint64_t offset, uint64_t len)
{
	struct osd_op *o = radosc_opv_add(write_op, OSD_OP_ZERO, NULL);

	if (o) {
		o->off = offset;
		o->len = len;
	}
}

static void omap_set(struct radosc_opv *v, char const *const *keys, const size_t *key_lens,
                     char const *const *vals, const size_t *val_lens, size_t num)
{
	struct osd_op *o;

	if (num && (!vals || !val_lens)) {
		set_err(v, -EINVAL);
		return;
	}
	o = radosc_opv_add(v, OSD_OP_OMAP_SET, NULL);
	if (o)
		set_err(v, kv_buf(keys, key_lens, vals, val_lens, num, &o->indata));
}

void rados_write_op_omap_set(rados_write_op_t write_op, char const *const *keys,
                             char const *const *vals, const size_t *lens, size_t num)
{
	omap_set(write_op, keys, NULL, vals, lens, num);
}

void rados_write_op_omap_set2(rados_write_op_t write_op, char const *const *keys,
                              char const *const *vals, const size_t *key_lens,
                              const size_t *val_lens, size_t num)
{
	if (num && !key_lens)
		set_err(write_op, -EINVAL);
	else
		omap_set(write_op, keys, key_lens, vals, val_lens, num);
}

void rados_write_op_omap_rm_keys(rados_write_op_t write_op, char const *const *keys,
                                 size_t keys_len)
{
	struct osd_op *o = radosc_opv_add(write_op, OSD_OP_OMAP_RM_KEYS, NULL);

	if (o)
		set_err(write_op, kv_buf(keys, NULL, NULL, NULL, keys_len, &o->indata));
}

void rados_write_op_omap_rm_range2(rados_write_op_t write_op, const char *key_begin,
                                   size_t key_begin_len, const char *key_end, size_t key_end_len)
{
	if (!key_begin || !key_end)
		set_err(write_op, -EINVAL);
	else
		radosc_opv_named(write_op, OSD_OP_OMAP_RM_RANGE, key_begin, key_begin_len, key_end,
		                 key_end_len);
}

void rados_write_op_omap_clear(rados_write_op_t write_op)
{
	radosc_opv_add(write_op, OSD_OP_OMAP_CLEAR, NULL);
}

/* ---- rados_read_op_t ------------------------------------------------------- */

rados_read_op_t rados_create_read_op(void)
{
	return rados_create_write_op();
}

void rados_release_read_op(rados_read_op_t read_op)
{
	rados_release_write_op(read_op);
}

void rados_read_op_set_flags(rados_read_op_t read_op, int flags)
{
	set_flags(read_op, flags);
}

void rados_read_op_assert_exists(rados_read_op_t read_op)
{
	radosc_opv_add(read_op, OSD_OP_ASSERT_EXISTS, NULL);
}

void rados_read_op_assert_version(rados_read_op_t read_op, uint64_t ver)
{
	rados_write_op_assert_version(read_op, ver);
}

void rados_read_op_cmpext(rados_read_op_t read_op, const char *cmp_buf, size_t cmp_len,
                          uint64_t off, int *prval)
{
	radosc_opv_cmpext(read_op, cmp_buf, cmp_len, off, prval);
}

void rados_read_op_cmpxattr(rados_read_op_t read_op, const char *name, uint8_t comparison_operator,
                            const char *value, size_t value_len)
{
	radosc_opv_cmpxattr(read_op, name, comparison_operator, value, value_len);
}

/* An op whose reply fills an iterator the caller gets right away (as in
 * librados: the caller ends it whether or not the op ran or succeeded). */
static struct osd_op *iter_op(struct radosc_opv *v, uint16_t code, uint8_t kind,
                              rados_omap_iter_t *iter, int *prval)
{
	struct radosc_iter *it = NULL;
	struct radosc_out *out;
	struct osd_op *o;
	int rc = radosc_iter_create(kind == RADOSC_OUT_KV, &it);

	if (iter)
		*iter = it;
	if (rc < 0) {
		set_err(v, rc);
		return NULL;
	}
	o = radosc_opv_add(v, code, &out);
	if (!o)
		return NULL;
	out->kind = kind;
	out->iter = it;
	out->prval = prval;
	return o;
}

void rados_read_op_getxattrs(rados_read_op_t read_op, rados_xattrs_iter_t *iter, int *prval)
{
	iter_op(read_op, OSD_OP_GETXATTRS, RADOSC_OUT_KV, iter, prval);
}

void rados_read_op_omap_cmp(rados_read_op_t read_op, const char *key, uint8_t comparison_operator,
                            const char *val, size_t val_len, int *prval)
{
	omap_cmp(read_op, key, comparison_operator, val, val_len, prval);
}

void rados_read_op_stat(rados_read_op_t read_op, uint64_t *psize, time_t *pmtime, int *prval)
{
	radosc_opv_stat(read_op, psize, pmtime, NULL, prval);
}

void rados_read_op_read(rados_read_op_t read_op, uint64_t offset, size_t len, char *buffer,
                        size_t *bytes_read, int *prval)
{
	radosc_opv_read(read_op, offset, len, buffer, bytes_read, prval);
}

static void omap_list(struct radosc_opv *v, uint16_t code, uint8_t kind, const char *start_after,
                      const char *prefix, uint64_t max, rados_omap_iter_t *iter,
                      unsigned char *pmore, int *prval)
{
	struct osd_op *o = iter_op(v, code, kind, iter, prval);

	if (!o)
		return;
	o->arg = max;
	v->outs[v->n - 1].has_more = true;
	v->outs[v->n - 1].pmore = pmore;
	if (start_after && start_after[0])
		set_err(v, dup_name(start_after, strlen(start_after), &o->name));
	if (prefix && prefix[0])
		set_err(v, dup_name(prefix, strlen(prefix), &o->name2));
}

void rados_read_op_omap_get_vals2(rados_read_op_t read_op, const char *start_after,
                                  const char *filter_prefix, uint64_t max_return,
                                  rados_omap_iter_t *iter, unsigned char *pmore, int *prval)
{
	omap_list(read_op, OSD_OP_OMAP_GET_VALS, RADOSC_OUT_KV, start_after, filter_prefix,
	          max_return, iter, pmore, prval);
}

void rados_read_op_omap_get_keys2(rados_read_op_t read_op, const char *start_after,
                                  uint64_t max_return, rados_omap_iter_t *iter,
                                  unsigned char *pmore, int *prval)
{
	omap_list(read_op, OSD_OP_OMAP_GET_KEYS, RADOSC_OUT_KEYS, start_after, NULL, max_return,
	          iter, pmore, prval);
}

void rados_read_op_omap_get_vals_by_keys(rados_read_op_t read_op, char const *const *keys,
                                         size_t keys_len, rados_omap_iter_t *iter, int *prval)
{
	struct osd_op *o =
	    iter_op(read_op, OSD_OP_OMAP_GET_VALS_BY_KEYS, RADOSC_OUT_KV, iter, prval);

	if (o)
		set_err(read_op, kv_buf(keys, NULL, NULL, NULL, keys_len, &o->indata));
}
