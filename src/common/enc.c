/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/enc.c - little-endian encoder with sticky errors; bounds-checked
 * decoder; the (struct_v, compat_v, u32 length) envelope. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"

#define ENVELOPE_HEAD 6 /* u8 struct_v, u8 compat_v, u32 length */

void enc_init(struct enc *e)
{
	memset(e, 0, sizeof(*e));
}

void enc_fini(struct enc *e)
{
	mem_free(e->data);
	enc_init(e);
}

uint8_t *enc_take(struct enc *e, size_t *len)
{
	uint8_t *d = e->data;

	*len = e->len;
	enc_init(e);
	return d;
}

/* Reserves n bytes at the end; NULL (error recorded) when that fails. */
static uint8_t *reserve(struct enc *e, size_t n)
{
	uint8_t *p;

	if (e->err)
		return NULL;
	if (n > SIZE_MAX - e->len) {
		e->err = -EOVERFLOW;
		return NULL;
	}
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 64;

		while (cap < e->len + n)
			cap = cap > SIZE_MAX / 2 ? e->len + n : cap * 2;
		p = mem_realloc(e->data, cap);
		if (!p) {
			e->err = -ENOMEM;
			return NULL;
		}
		e->data = p;
		e->cap = cap;
	}
	p = e->data + e->len;
	e->len += n;
	return p;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void enc_le(struct enc *e, uint64_t v, unsigned n)
{
	uint8_t *p = reserve(e, n);

	if (p)
		put_le(p, v, n);
}

void enc_u8(struct enc *e, uint8_t v)
{
	enc_le(e, v, 1);
}
void enc_u16(struct enc *e, uint16_t v)
{
	enc_le(e, v, 2);
}
void enc_u32(struct enc *e, uint32_t v)
{
	enc_le(e, v, 4);
}
void enc_u64(struct enc *e, uint64_t v)
{
	enc_le(e, v, 8);
}
void enc_s32(struct enc *e, int32_t v)
{
	enc_le(e, (uint32_t)v, 4);
}
void enc_s64(struct enc *e, int64_t v)
{
	enc_le(e, (uint64_t)v, 8);
}
void enc_bool(struct enc *e, bool v)
{
	enc_le(e, v ? 1 : 0, 1);
}

void enc_double(struct enc *e, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	enc_le(e, bits, 8);
}

void enc_raw(struct enc *e, const void *src, size_t n)
{
	uint8_t *p = reserve(e, n);

	if (p && n)
		memcpy(p, src, n);
}

void enc_blob(struct enc *e, const void *src, size_t n)
{
	if (n > UINT32_MAX) {
		if (!e->err)
			e->err = -EOVERFLOW;
		return;
	}
	enc_u32(e, (uint32_t)n);
	enc_raw(e, src, n);
}

void enc_str(struct enc *e, const char *s)
{
	enc_blob(e, s ? s : "", s ? strlen(s) : 0);
}

size_t enc_begin(struct enc *e, uint8_t struct_v, uint8_t compat_v)
{
	size_t at = e->len;

	enc_u8(e, struct_v);
	enc_u8(e, compat_v);
	enc_u32(e, 0);
	return at;
}

void enc_end(struct enc *e, size_t begin)
{
	size_t body;

	if (e->err)
		return;
	body = e->len - begin - ENVELOPE_HEAD;
	if (body > UINT32_MAX) {
		e->err = -EOVERFLOW;
		return;
	}
	put_le(e->data + begin + 2, body, 4);
}

void enc_patch_u32(struct enc *e, size_t pos, uint32_t v)
{
	if (!e->err && pos + 4 <= e->len)
		put_le(e->data + pos, v, 4);
}

static int dec_le(struct dec *d, unsigned n, uint64_t *v)
{
	uint64_t x = 0;

	if (dec_left(d) < n)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++)
		x |= (uint64_t)d->p[i] << (8 * i);
	d->p += n;
	*v = x;
	return 0;
}

int dec_u8(struct dec *d, uint8_t *v)
{
	uint64_t x;
	int rc = dec_le(d, 1, &x);

	if (rc == 0)
		*v = (uint8_t)x;
	return rc;
}

int dec_u16(struct dec *d, uint16_t *v)
{
	uint64_t x;
	int rc = dec_le(d, 2, &x);

	if (rc == 0)
		*v = (uint16_t)x;
	return rc;
}

int dec_u32(struct dec *d, uint32_t *v)
{
	uint64_t x;
	int rc = dec_le(d, 4, &x);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

int dec_u64(struct dec *d, uint64_t *v)
{
	uint64_t x;
	int rc = dec_le(d, 8, &x);

	if (rc == 0)
		*v = (uint64_t)x;
	return rc;
}

int dec_s32(struct dec *d, int32_t *v)
{
	uint64_t x;
	int rc = dec_le(d, 4, &x);

	if (rc == 0)
		*v = (int32_t)x;
	return rc;
}

int dec_s64(struct dec *d, int64_t *v)
{
	uint64_t x;
	int rc = dec_le(d, 8, &x);

	if (rc == 0)
		*v = (int64_t)x;
	return rc;
}

int dec_bool(struct dec *d, bool *v)
{
	uint64_t x;
	int rc = dec_le(d, 1, &x);

	if (rc == 0 && x > 1)
		rc = -EBADMSG;
	if (rc == 0)
		*v = x == 1;
	return rc;
}

int dec_double(struct dec *d, double *v)
{
	uint64_t x;
	int rc = dec_le(d, 8, &x);

	if (rc == 0)
		memcpy(v, &x, sizeof(*v));
	return rc;
}

int dec_ref(struct dec *d, size_t n, const void **p)
{
	if (dec_left(d) < n)
		return -EBADMSG;
	*p = d->p;
	d->p += n;
	return 0;
}

int dec_raw(struct dec *d, void *out, size_t n)
{
	const void *p;
	int rc = dec_ref(d, n, &p);

	if (rc == 0 && n)
		memcpy(out, p, n);
	return rc;
}

int dec_skip(struct dec *d, size_t n)
{
	const void *p;

	return dec_ref(d, n, &p);
}

int dec_blob_ref(struct dec *d, const void **p, uint32_t *n)
{
	struct dec save = *d;
	uint32_t len;
	int rc = dec_u32(d, &len);

	if (rc == 0)
		rc = dec_ref(d, len, p);
	if (rc < 0) {
		*d = save;
		return rc;
	}
	*n = len;
	return 0;
}

int dec_blob_dup(struct dec *d, uint32_t max, uint8_t **out, uint32_t *len)
{
	struct dec save = *d;
	const void *p;
	uint32_t n;
	uint8_t *c = NULL;
	int rc = dec_blob_ref(d, &p, &n);

	if (rc == 0 && n > max)
		rc = -EBADMSG;
	if (rc == 0 && !(c = mem_malloc((size_t)n + 1)))
		rc = -ENOMEM;
	if (rc < 0) {
		*d = save;
		return rc;
	}
	memcpy(c, p, n);
	c[n] = 0;
	*out = c;
	*len = n;
	return 0;
}

int dec_str_buf(struct dec *d, char *out, size_t cap)
{
	struct dec save = *d;
	const void *p;
	uint32_t n;
	int rc = dec_blob_ref(d, &p, &n);

	if (rc == 0 && (cap == 0 || n > cap - 1 || memchr(p, '\0', n)))
		rc = -EBADMSG;
	if (rc < 0) {
		*d = save;
		return rc;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int dec_str_dup(struct dec *d, size_t max, char **out)
{
	struct dec save = *d;
	const void *p;
	uint32_t n;
	char *s;
	int rc = dec_blob_ref(d, &p, &n);

	if (rc == 0 && (n > max || memchr(p, '\0', n)))
		rc = -EBADMSG;
	if (rc < 0)
		goto out_restore;
	s = mem_strndup(p, n);
	if (!s) {
		rc = -ENOMEM;
		goto out_restore;
	}
	*out = s;
	return 0;
out_restore:
	*d = save;
	return rc;
}

int dec_count(struct dec *d, size_t min_item, uint32_t *count)
{
	struct dec save = *d;
	uint32_t n;
	int rc = dec_u32(d, &n);

	if (rc == 0 && min_item && n > dec_left(d) / min_item)
		rc = -EBADMSG;
	if (rc < 0) {
		*d = save;
		return rc;
	}
	*count = n;
	return 0;
}

int dec_array(struct dec *d, size_t min_item, size_t elem, void **arr, uint32_t *count)
{
	struct dec save = *d;
	uint32_t n;
	void *a = NULL;
	int rc = dec_count(d, min_item, &n);

	if (rc < 0)
		return rc;
	if (n > 0 && !(a = mem_calloc(n, elem))) {
		*d = save;
		return -ENOMEM;
	}
	*arr = a;
	*count = n;
	return 0;
}

int dec_begin(struct dec *d, uint8_t supported_v, uint8_t *struct_v, struct dec *body)
{
	struct dec save = *d;
	uint8_t v, compat;
	uint32_t len;
	const void *p;
	int rc;

	rc = dec_u8(d, &v);
	if (rc == 0)
		rc = dec_u8(d, &compat);
	if (rc == 0)
		rc = dec_u32(d, &len);
	if (rc == 0 && compat > v)
		rc = -EBADMSG;
	if (rc == 0 && compat > supported_v)
		rc = -EPROTONOSUPPORT;
	if (rc == 0)
		rc = dec_ref(d, len, &p);
	if (rc < 0) {
		*d = save;
		return rc;
	}
	dec_init(body, p, len);
	*struct_v = v;
	return 0;
}

void dec_end(struct dec *d, const struct dec *body)
{
	/* d already stands past the whole body (dec_begin consumed it); the
	 * body cursor may stop anywhere inside, and what it left is the
	 * unknown tail of a newer version. */
	(void)d;
	(void)body;
}
