/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/enc.h - versioned little-endian encoding and bounds-checked decoding.
 * Threads: an enc or a dec belongs to one thread at a time.
 *
 * Wire and disk formats are built from these primitives only:
 *   integers   little-endian u8/u16/u32/u64 (signed as two's complement)
 *   blob       u32 length + bytes            (enc_blob / dec_blob)
 *   string     u32 length + bytes, no NUL    (enc_str / dec_str*)
 *   list, map  u32 count + items             (enc_u32 + items / dec_count)
 *   envelope   u8 struct_v, u8 compat_v, u32 length + body
 *
 * The envelope is what lets a newer daemon read older data and an older one
 * skip what it does not know: a decoder that understands version V rejects
 * data whose compat_v > V (-EPROTONOSUPPORT: the writer said an older reader
 * cannot make sense of it), otherwise reads the fields it knows, and
 * dec_end() skips the unknown tail. Fields added later are read only when
 * struct_v says they are there.
 *
 * Encoding errors (allocation) are sticky: the encoder records the first one
 * and enc_error() reports it once at the end, so encode functions need no
 * checks per field. Decoders return 0 or -EBADMSG (truncated, lengths out of
 * bounds, malformed), never read past the input, and never allocate more than
 * the input could describe. */
#ifndef SEPIA_COMMON_ENC_H
#define SEPIA_COMMON_ENC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct enc {
	uint8_t *data; /* caller owns after enc_take(); else freed by enc_fini() */
	size_t len, cap;
	int err; /* first error (-ENOMEM, -EOVERFLOW), sticky */
};

void enc_init(struct enc *e);
void enc_fini(struct enc *e);
/* Hands the bytes to the caller (free with mem_free); the encoder is reset. */
uint8_t *enc_take(struct enc *e, size_t *len);
static inline int enc_error(const struct enc *e)
{
	return e->err;
}

void enc_u8(struct enc *e, uint8_t v);
void enc_u16(struct enc *e, uint16_t v);
void enc_u32(struct enc *e, uint32_t v);
void enc_u64(struct enc *e, uint64_t v);
void enc_s32(struct enc *e, int32_t v);
void enc_s64(struct enc *e, int64_t v);
void enc_bool(struct enc *e, bool v);
void enc_double(struct enc *e, double v);             /* IEEE 754 binary64, LE */
void enc_raw(struct enc *e, const void *p, size_t n); /* no length prefix */
void enc_blob(struct enc *e, const void *p, size_t n);
void enc_str(struct enc *e, const char *s); /* NULL encodes as "" */
/* Opens an envelope; returns the position to pass to enc_end(). */
size_t enc_begin(struct enc *e, uint8_t struct_v, uint8_t compat_v);
void enc_end(struct enc *e, size_t begin); /* patches the length */
/* Overwrites a u32 at pos (for counts known only at the end). */
void enc_patch_u32(struct enc *e, size_t pos, uint32_t v);

struct dec {
	const uint8_t *p, *end;
};

static inline void dec_init(struct dec *d, const void *p, size_t n)
{
	d->p = p;
	d->end = d->p + n;
}
static inline size_t dec_left(const struct dec *d)
{
	return (size_t)(d->end - d->p);
}

int dec_u8(struct dec *d, uint8_t *v);
int dec_u16(struct dec *d, uint16_t *v);
int dec_u32(struct dec *d, uint32_t *v);
int dec_u64(struct dec *d, uint64_t *v);
int dec_s32(struct dec *d, int32_t *v);
int dec_s64(struct dec *d, int64_t *v);
int dec_bool(struct dec *d, bool *v); /* only 0 or 1 is valid */
int dec_double(struct dec *d, double *v);
int dec_raw(struct dec *d, void *out, size_t n);
int dec_skip(struct dec *d, size_t n);
/* Points *p at n bytes of the input without copying (valid as the input is). */
int dec_ref(struct dec *d, size_t n, const void **p);
/* A blob or string by reference: *p and *n describe bytes of the input. */
int dec_blob_ref(struct dec *d, const void **p, uint32_t *n);
/* A string copied into out (NUL-terminated); -EBADMSG if it does not fit in
 * cap - 1 bytes or contains a NUL. */
int dec_str_buf(struct dec *d, char *out, size_t cap);
/* A blob copied into a new allocation of len + 1 bytes (the extra byte is
 * NUL, so text blobs can be used as strings; never NULL on success; caller
 * frees with mem_free). -EBADMSG if longer than max, -ENOMEM. */
int dec_blob_dup(struct dec *d, uint32_t max, uint8_t **out, uint32_t *len);
/* A string copied into a new allocation (caller owns, mem_free); max bounds
 * its length. -EBADMSG, -ENOMEM. */
int dec_str_dup(struct dec *d, size_t max, char **out);
/* A list or map count; fails unless count * min_item bytes could remain, so
 * a forged count cannot drive a huge allocation. min_item >= 1. */
int dec_count(struct dec *d, size_t min_item, uint32_t *count);
/* dec_count, then a zeroed array of that many elem-byte elements for the
 * caller to fill (NULL when the count is 0; the caller frees it with
 * mem_free). 0, -EBADMSG, -ENOMEM; on error *arr and *count are untouched. */
int dec_array(struct dec *d, size_t min_item, size_t elem, void **arr, uint32_t *count);

/* Opens an envelope: reads struct_v, compat_v and the length, checks that
 * compat_v <= supported_v (else -EPROTONOSUPPORT) and that the body fits
 * (else -EBADMSG). *body is a cursor over the body only; *struct_v tells the
 * caller which optional fields to expect. */
int dec_begin(struct dec *d, uint8_t supported_v, uint8_t *struct_v, struct dec *body);
/* Closes it: d moves past the whole body, skipping any unknown tail. */
void dec_end(struct dec *d, const struct dec *body);

#endif /* SEPIA_COMMON_ENC_H */
