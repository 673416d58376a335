/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_reply.c - delivering an op reply to the user: data copied
 * once from the reply's buffer into the user's buffer, stat results,
 * xattr and omap iterators that own their decoded data, sparse extents,
 * per-op return values. Pure: no locks, no I/O. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "rados/client_int.h"

int radosc_buf_view(const struct buf *b, void **scratch, const void **p)
{
	size_t n = b ? buf_len(b) : 0;

	*scratch = NULL;
	if (n == 0) {
		*p = "";
		return 0;
	}
	if (buf_nseg(b) > 1) {
		*scratch = mem_malloc(n);
		if (!*scratch)
			return -ENOMEM;
	}
	return buf_peek(b, 0, n, *scratch, p);
}

/* ---- iterators ------------------------------------------------------------- */

int radosc_iter_create(bool values, struct radosc_iter **out)
{
	struct radosc_iter *it = mem_calloc(1, sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->values = values;
	*out = it;
	return 0;
}

void radosc_iter_destroy(struct radosc_iter *it)
{
	if (!it)
		return;
	osd_kv_free(it->kv, it->n);
	mem_free(it);
}

int radosc_iter_fill(struct radosc_iter *it, const void *p, size_t n, bool has_more,
                     unsigned char *pmore)
{
	struct osd_kv *kv;
	uint32_t cnt;
	uint8_t more = 0;
	struct dec d;
	int rc;

	dec_init(&d, p, n);
	rc = osd_kv_decode(&d, it->values, &kv, &cnt);
	if (rc < 0)
		return rc;
	if (has_more && dec_left(&d) > 0 && (dec_u8(&d, &more) < 0 || more > 1)) {
		osd_kv_free(kv, cnt);
		return -EBADMSG;
	}
	osd_kv_free(it->kv, it->n);
	it->kv = kv;
	it->n = cnt;
	it->pos = 0;
	if (pmore)
		*pmore = more;
	return 0;
}

int rados_omap_get_next2(rados_omap_iter_t iter, char **key, char **val, size_t *key_len,
                         size_t *val_len)
{
	struct radosc_iter *it = iter;
	struct osd_kv *kv;

	if (!it)
		return -EINVAL;
	if (it->pos >= it->n) {
		if (key)
			*key = NULL;
		if (val)
			*val = NULL;
		if (key_len)
			*key_len = 0;
		if (val_len)
			*val_len = 0;
		return 0;
	}
	kv = &it->kv[it->pos++];
	if (key)
		*key = kv->key;
	if (val)
		*val = (char *)kv->val;
	if (key_len)
		*key_len = strlen(kv->key);
	if (val_len)
		*val_len = kv->len;
	return 0;
}

int rados_omap_get_next(rados_omap_iter_t iter, char **key, char **val, size_t *len)
{
	return rados_omap_get_next2(iter, key, val, NULL, len);
}

unsigned int rados_omap_iter_size(rados_omap_iter_t iter)
{
	return iter ? ((struct radosc_iter *)iter)->n : 0;
}

void rados_omap_get_end(rados_omap_iter_t iter)
{
	radosc_iter_destroy(iter);
}

int rados_getxattrs_next(rados_xattrs_iter_t iter, const char **name, const char **val, size_t *len)
{
	char *k, *v;
	int rc = rados_omap_get_next2(iter, &k, &v, NULL, len);

	if (rc == 0) {
		*name = k;
		*val = v;
	}
	return rc;
}

void rados_getxattrs_end(rados_xattrs_iter_t iter)
{
	radosc_iter_destroy(iter);
}

/* ---- sparse reads ---------------------------------------------------------- */

int radosc_sparse_decode(const void *p, size_t n, struct radosc_extent **ext, uint32_t *next,
                         const void **data, size_t *dlen)
{
	struct radosc_extent *e = NULL;
	uint64_t sum = 0;
	const void *bytes;
	uint32_t cnt, blen;
	struct dec d;
	int rc;

	dec_init(&d, p, n);
	rc = dec_array(&d, 16, sizeof(*e), (void **)&e, &cnt);
	for (uint32_t i = 0; rc == 0 && i < cnt; i++) {
		rc = dec_u64(&d, &e[i].off);
		if (rc == 0)
			rc = dec_u64(&d, &e[i].len);
		if (rc == 0 && (e[i].len > UINT64_MAX - sum || e[i].off > UINT64_MAX - e[i].len))
			rc = -EBADMSG;
		if (rc == 0)
			sum += e[i].len;
	}
	if (rc == 0)
		rc = dec_blob_ref(&d, &bytes, &blen);
	if (rc == 0 && sum != blen)
		rc = -EBADMSG;
	if (rc < 0) {
		mem_free(e);
		return rc;
	}
	*ext = e;
	*next = cnt;
	*data = bytes;
	*dlen = blen;
	return 0;
}

size_t radosc_sparse_place(const struct radosc_extent *ext, uint32_t next, const void *data,
                           uint64_t base, char *buf, size_t len)
{
	const uint8_t *src = data;
	size_t end = 0;

	memset(buf, 0, len);
	for (uint32_t i = 0; i < next; src += ext[i].len, i++) {
		uint64_t from, to;

		if (ext[i].off + ext[i].len <= base || ext[i].off >= base + len)
			continue;
		from = ext[i].off > base ? ext[i].off - base : 0;
		to = ext[i].off + ext[i].len - base;
		if (to > len)
			to = len;
		memcpy(buf + from, src + (from + base - ext[i].off), (size_t)(to - from));
		if (to > end)
			end = (size_t)to;
	}
	return end;
}

/* ---- delivery -------------------------------------------------------------- */

static int deliver_stat(struct radosc_out *o, const struct buf *b)
{
	uint8_t raw[16];
	uint64_t size, mtime;
	struct dec d;

	if (!b || buf_len(b) < sizeof(raw) || buf_copy_out(b, 0, sizeof(raw), raw) < 0)
		return -EBADMSG;
	dec_init(&d, raw, sizeof(raw));
	dec_u64(&d, &size);
	dec_u64(&d, &mtime);
	if (o->psize)
		*o->psize = size;
	if (o->pmtime)
		*o->pmtime = (time_t)(mtime / 1000000000ull);
	if (o->pmtime_ns)
		*o->pmtime_ns = mtime;
	return 0;
}

static int deliver_view(struct radosc_out *o, const struct buf *b)
{
	struct radosc_extent *ext;
	const void *p, *data;
	void *scratch;
	uint32_t n;
	size_t dlen;
	int rc = radosc_buf_view(b, &scratch, &p);

	if (rc < 0)
		return rc;
	if (o->kind == RADOSC_OUT_SPARSE) {
		rc = radosc_sparse_decode(p, b ? buf_len(b) : 0, &ext, &n, &data, &dlen);
		if (rc == 0) {
			size_t got =
			    radosc_sparse_place(ext, n, data, o->sparse_off, o->buf, o->len);

			if (o->plen)
				*o->plen = got;
			rc = (int)(got > INT32_MAX ? INT32_MAX : got);
			mem_free(ext);
		}
	} else {
		rc = radosc_iter_fill(o->iter, p, b ? buf_len(b) : 0, o->has_more, o->pmore);
	}
	mem_free(scratch);
	return rc;
}

/* One op's output; returns its value (bytes, length, 0) or -errno. */
static int deliver_one(struct radosc_out *o, int rval, const struct buf *b)
{
	size_t have = b ? buf_len(b) : 0, n;

	if (rval < 0)
		return rval;
	switch (o->kind) {
	case RADOSC_OUT_READ:
		n = have < o->len ? have : o->len;
		if (n && buf_copy_out(b, 0, n, o->buf) < 0)
			return -EBADMSG;
		if (o->plen)
			*o->plen = n;
		return (int)(n > INT32_MAX ? INT32_MAX : n);
	case RADOSC_OUT_STAT:
		return deliver_stat(o, b);
	case RADOSC_OUT_GETXATTR:
		if (have > o->len)
			return -ERANGE;
		if (have && buf_copy_out(b, 0, have, o->buf) < 0)
			return -EBADMSG;
		return (int)have;
	case RADOSC_OUT_SPARSE:
	case RADOSC_OUT_KV:
	case RADOSC_OUT_KEYS:
		return deliver_view(o, b);
	case RADOSC_OUT_BUF:
		if (o->pbuf)
			*o->pbuf = b ? buf_get((struct buf *)b) : NULL;
		return 0;
	default:
		return rval;
	}
}

int radosc_opv_deliver(struct radosc_opv *v, int result, const struct osd_op *rops, uint32_t nr)
{
	int ret = result;

	for (uint32_t i = 0; i < v->n; i++) {
		struct radosc_out *o = &v->outs[i];
		int rval = rops && i < nr ? rops[i].rval : (result < 0 ? result : 0), val;

		if (!rops) {
			if (o->plen)
				*o->plen = 0;
			if (o->prval)
				*o->prval = result;
			continue;
		}
		if (result < 0 && (i >= nr || !rops[i].outdata)) {
			if (o->plen)
				*o->plen = 0;
			val = rval; /* not run, or nothing to take */
		} else {
			val = deliver_one(o, rval, i < nr ? rops[i].outdata : NULL);
		}
		if (o->prval)
			*o->prval = val < 0 ? val : rval;
		if (val < 0 && rval >= 0 && ret >= 0)
			ret = val; /* an output we could not take (bad reply, -ERANGE) */
		if ((int)i == v->ret_op && ret >= 0)
			ret = val;
	}
	return ret;
}
