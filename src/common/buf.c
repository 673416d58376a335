/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/buf.c - reference-counted segmented buffers.
 *
 * DESIGN
 * A raw block is memory with a refcount, a capacity and `used`: the number
 * of leading bytes some segment has claimed. Bytes past `used` belong to
 * nobody, so whichever buf owns the segment ending exactly at `used` may
 * extend it in place by advancing `used` with a compare-and-swap; any other
 * buf sharing the block cannot see the new bytes, because its segments'
 * lengths are fixed. External blocks (buf_append_ext) are never extended.
 *
 * Invariants (assert_buf): len == sum of segment lengths; every segment
 * lies inside [0, raw->used); a buf being modified has refcount 1. */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/mem.h"
#include "common/refcnt.h"

#define RAW_MIN 4096

struct buf_raw {
	struct refcnt ref;
	size_t cap;
	_Atomic size_t used;
	buf_free_fn *free_fn; /* external memory only */
	void *free_arg;
	uint8_t *data;
	uint8_t inline_data[];
};

struct buf_seg {
	struct buf_raw *raw;
	size_t off, len;
};

struct buf {
	struct refcnt ref;
	struct buf_seg *segs;
	size_t nseg, cap;
	size_t len;
};

static void assert_buf(const struct buf *b)
{
#ifndef NDEBUG
	size_t sum = 0;

	for (size_t i = 0; i < b->nseg; i++) {
		assert(b->segs[i].off + b->segs[i].len <= atomic_load(&b->segs[i].raw->used));
		sum += b->segs[i].len;
	}
	assert(sum == b->len);
#else
	(void)b;
#endif
}

static struct buf_raw *raw_create(size_t cap)
{
	struct buf_raw *r;

	if (cap > SIZE_MAX - sizeof(*r))
		return NULL;
	r = mem_malloc(sizeof(*r) + cap);
	if (!r)
		return NULL;
	refcnt_init(&r->ref, 1);
	r->cap = cap;
	atomic_init(&r->used, 0);
	r->free_fn = NULL;
	r->free_arg = NULL;
	r->data = r->inline_data;
	return r;
}

static void raw_put(struct buf_raw *r)
{
	if (!refcnt_dec_is_last(&r->ref))
		return;
	if (r->data != r->inline_data) {
		if (r->free_fn)
			r->free_fn(r->data, r->cap, r->free_arg);
		else
			mem_free(r->data);
	}
	mem_free(r);
}

int buf_create(struct buf **out)
{
	struct buf *b = mem_calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	refcnt_init(&b->ref, 1);
	*out = b;
	return 0;
}

struct buf *buf_get(struct buf *b)
{
	refcnt_inc(&b->ref);
	return b;
}

void buf_put(struct buf *b)
{
	if (!b || !refcnt_dec_is_last(&b->ref))
		return;
	for (size_t i = 0; i < b->nseg; i++)
		raw_put(b->segs[i].raw);
	mem_free(b->segs);
	mem_free(b);
}

size_t buf_len(const struct buf *b)
{
	return b->len;
}

unsigned buf_nseg(const struct buf *b)
{
	return (unsigned)b->nseg;
}

static void assert_mutable(struct buf *b)
{
	assert(refcnt_read(&b->ref) == 1);
	(void)b;
}

/* Claims up to want bytes of room after the last segment, extending it in
 * place; returns the pointer and how many bytes were claimed (0: none). */
static uint8_t *claim_tail(struct buf *b, size_t want, size_t *got, bool all_or_nothing)
{
	struct buf_seg *s;
	size_t end, room, n;

	*got = 0;
	if (b->nseg == 0)
		return NULL;
	s = &b->segs[b->nseg - 1];
	if (s->raw->free_fn || s->raw->data != s->raw->inline_data)
		return NULL;
	end = s->off + s->len;
	room = s->raw->cap - end;
	n = want < room ? want : room;
	if (n == 0 || (all_or_nothing && n < want))
		return NULL;
	if (!atomic_compare_exchange_strong(&s->raw->used, &end, end + n))
		return NULL;
	s->len += n;
	b->len += n;
	*got = n;
	return s->raw->data + end;
}

static int push_seg(struct buf *b, struct buf_raw *raw, size_t off, size_t len)
{
	int rc = mem_grow(&b->segs, sizeof(*b->segs), &b->cap, b->nseg + 1);

	if (rc < 0)
		return rc;
	b->segs[b->nseg++] = (struct buf_seg){ .raw = raw, .off = off, .len = len };
	b->len += len;
	return 0;
}

/* A new owned block of at least n bytes holding one segment [0, n). */
static uint8_t *push_new_raw(struct buf *b, size_t n)
{
	struct buf_raw *r = raw_create(n < RAW_MIN ? RAW_MIN : n);

	if (!r)
		return NULL;
	atomic_store(&r->used, n);
	if (push_seg(b, r, 0, n) < 0) {
		raw_put(r);
		return NULL;
	}
	return r->data;
}

int buf_append_space(struct buf *b, size_t n, void **p)
{
	size_t got;
	uint8_t *dst;

	assert_mutable(b);
	if (n == 0) {
		*p = NULL;
		return 0;
	}
	dst = claim_tail(b, n, &got, true);
	if (!dst)
		dst = push_new_raw(b, n);
	if (!dst)
		return -ENOMEM;
	*p = dst;
	assert_buf(b);
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	size_t got;
	uint8_t *dst;

	assert_mutable(b);
	dst = claim_tail(b, n, &got, false);
	if (got)
		memcpy(dst, data, got);
	if (got < n) {
		dst = push_new_raw(b, n - got);
		if (!dst) {
			buf_trim_tail(b, got);
			return -ENOMEM;
		}
		memcpy(dst, (const uint8_t *)data + got, n - got);
	}
	assert_buf(b);
	return 0;
}

int buf_append_zero(struct buf *b, size_t n)
{
	void *p;
	int rc = buf_append_space(b, n, &p);

	if (rc == 0 && n)
		memset(p, 0, n);
	return rc;
}

void buf_trim_tail(struct buf *b, size_t n)
{
	assert_mutable(b);
	while (n > 0 && b->nseg > 0) {
		struct buf_seg *s = &b->segs[b->nseg - 1];
		size_t cut = n < s->len ? n : s->len;
		size_t end = s->off + s->len;

		/* Give the room back to the block if nobody claimed past us. */
		atomic_compare_exchange_strong(&s->raw->used, &end, end - cut);
		s->len -= cut;
		b->len -= cut;
		n -= cut;
		if (s->len == 0) {
			raw_put(s->raw);
			b->nseg--;
		}
	}
	assert_buf(b);
}

int buf_append_ext(struct buf *b, void *data, size_t n, buf_free_fn *fn, void *arg)
{
	struct buf_raw *r = raw_create(0);

	assert_mutable(b);
	if (!r)
		return -ENOMEM;
	r->data = data;
	r->cap = n;
	atomic_store(&r->used, n);
	r->free_fn = fn;
	r->free_arg = arg;
	if (push_seg(b, r, 0, n) < 0) {
		r->data = r->inline_data; /* the caller keeps ownership */
		raw_put(r);
		return -ENOMEM;
	}
	return 0;
}

/* Finds the segment holding byte off; *inner is off's position inside it. */
static size_t seg_at(const struct buf *b, size_t off, size_t *inner)
{
	size_t i = 0;

	while (i < b->nseg && off >= b->segs[i].len) {
		off -= b->segs[i].len;
		i++;
	}
	*inner = off;
	return i;
}

static bool range_is_valid(const struct buf *b, size_t off, size_t n)
{
	return off <= b->len && n <= b->len - off;
}

int buf_append_buf(struct buf *b, const struct buf *src, size_t off, size_t n)
{
	size_t inner, i, nseg0 = b->nseg, len0 = b->len;

	assert_mutable(b);
	if (!range_is_valid(src, off, n))
		return -EINVAL;
	for (i = seg_at(src, off, &inner); n > 0; i++, inner = 0) {
		const struct buf_seg *s = &src->segs[i];
		size_t take = s->len - inner < n ? s->len - inner : n;

		refcnt_inc(&s->raw->ref);
		if (push_seg(b, s->raw, s->off + inner, take) < 0) {
			raw_put(s->raw);
			goto out_undo;
		}
		n -= take;
	}
	assert_buf(b);
	return 0;
out_undo:
	while (b->nseg > nseg0)
		raw_put(b->segs[--b->nseg].raw);
	b->len = len0;
	return -ENOMEM;
}

int buf_slice(const struct buf *b, size_t off, size_t n, struct buf **out)
{
	struct buf *s;
	int rc;

	if (!range_is_valid(b, off, n))
		return -EINVAL;
	rc = buf_create(&s);
	if (rc < 0)
		return rc;
	rc = buf_append_buf(s, b, off, n);
	if (rc < 0) {
		buf_put(s);
		return rc;
	}
	*out = s;
	return 0;
}

int buf_copy_out(const struct buf *b, size_t off, size_t n, void *dst)
{
	uint8_t *d = dst;
	size_t inner, i;

	if (!range_is_valid(b, off, n))
		return -EINVAL;
	for (i = seg_at(b, off, &inner); n > 0; i++, inner = 0) {
		const struct buf_seg *s = &b->segs[i];
		size_t take = s->len - inner < n ? s->len - inner : n;

		memcpy(d, s->raw->data + s->off + inner, take);
		d += take;
		n -= take;
	}
	return 0;
}

int buf_peek(const struct buf *b, size_t off, size_t n, void *scratch, const void **p)
{
	size_t inner, i;

	if (!range_is_valid(b, off, n))
		return -EINVAL;
	i = seg_at(b, off, &inner);
	if (n == 0 || (i < b->nseg && b->segs[i].len - inner >= n)) {
		*p = n ? b->segs[i].raw->data + b->segs[i].off + inner : scratch;
		return 0;
	}
	*p = scratch;
	return buf_copy_out(b, off, n, scratch);
}

const void *buf_flatten(struct buf *b)
{
	static const uint8_t empty[1];
	struct buf_raw *r;

	assert_mutable(b);
	if (b->nseg == 0)
		return empty;
	if (b->nseg == 1)
		return b->segs[0].raw->data + b->segs[0].off;
	r = raw_create(b->len);
	if (!r)
		return NULL;
	buf_copy_out(b, 0, b->len, r->data);
	atomic_store(&r->used, b->len);
	for (size_t i = 0; i < b->nseg; i++)
		raw_put(b->segs[i].raw);
	b->segs[0] = (struct buf_seg){ .raw = r, .off = 0, .len = b->len };
	b->nseg = 1;
	assert_buf(b);
	return r->data;
}

int buf_iov(const struct buf *b, size_t off, size_t n, struct iovec *iov, int max)
{
	size_t inner, i;
	int k = 0;

	if (!range_is_valid(b, off, n))
		return -EINVAL;
	for (i = seg_at(b, off, &inner); n > 0; i++, inner = 0, k++) {
		const struct buf_seg *s = &b->segs[i];
		size_t take = s->len - inner < n ? s->len - inner : n;

		if (k < max) {
			iov[k].iov_base = s->raw->data + s->off + inner;
			iov[k].iov_len = take;
		}
		n -= take;
	}
	return k;
}

uint32_t buf_crc32c(const struct buf *b, size_t off, size_t n, uint32_t crc)
{
	size_t inner, i;

	if (!range_is_valid(b, off, n))
		return crc;
	for (i = seg_at(b, off, &inner); n > 0; i++, inner = 0) {
		const struct buf_seg *s = &b->segs[i];
		size_t take = s->len - inner < n ? s->len - inner : n;

		crc = crc_crc32c(crc, s->raw->data + s->off + inner, take);
		n -= take;
	}
	return crc;
}

int buf_cmp(const struct buf *a, const struct buf *b)
{
	size_t off = 0, n = a->len < b->len ? a->len : b->len;
	uint8_t x[256], y[256];

	while (off < n) {
		size_t k = n - off < sizeof(x) ? n - off : sizeof(x);
		int c;

		buf_copy_out(a, off, k, x);
		buf_copy_out(b, off, k, y);
		c = memcmp(x, y, k);
		if (c)
			return c;
		off += k;
	}
	return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}
