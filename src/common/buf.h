/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/buf.h - reference-counted segmented buffers: the currency of messages
 * and object data.
 * Threads: a buf may be passed between threads; get/put are atomic. A buf is
 * mutable (append) only while its holder has the only reference; once shared
 * it is read-only. Reading a shared buf from several threads is safe.
 *
 * A buf is a list of segments, each a window [off, off+len) into a raw
 * memory block. Raw blocks are themselves reference counted, so slicing and
 * appending one buf to another share memory instead of copying it. Appending
 * bytes fills the spare room of the last raw block when no other buf has
 * claimed it, else starts a new block. buf_iov() exports the segments for
 * writev/readv. */
#ifndef SEPIA_COMMON_BUF_H
#define SEPIA_COMMON_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct buf; /* opaque */

/* Frees external memory handed to buf_append_ext(). */
typedef void buf_free_fn(void *data, size_t len, void *arg);

/* 0 or -ENOMEM; *out untouched on error. */
int buf_create(struct buf **out);
struct buf *buf_get(struct buf *b); /* returns b */
void buf_put(struct buf *b);        /* NULL is a no-op; last put frees */

size_t buf_len(const struct buf *b);
unsigned buf_nseg(const struct buf *b);

/* Copies n bytes in. 0 or -ENOMEM (b unchanged). */
int buf_append(struct buf *b, const void *data, size_t n);
/* Appends n zero bytes. 0 or -ENOMEM. */
int buf_append_zero(struct buf *b, size_t n);
/* Appends n uninitialised contiguous bytes and points *p at them, for reading
 * straight from a socket or file into the buffer. 0 or -ENOMEM. */
int buf_append_space(struct buf *b, size_t n, void **p);
/* Gives back the last n bytes obtained with buf_append_space (n <= that). */
void buf_trim_tail(struct buf *b, size_t n);
/* Appends n bytes of external memory without copying; takes ownership of data
 * (fn(data, n, arg) runs when the last reference goes; fn NULL = mem_free).
 * On -ENOMEM the caller keeps ownership. */
int buf_append_ext(struct buf *b, void *data, size_t n, buf_free_fn *fn, void *arg);
/* Appends src[off, off+n) by sharing its memory. 0, -EINVAL (range), -ENOMEM. */
int buf_append_buf(struct buf *b, const struct buf *src, size_t off, size_t n);

/* A new buf sharing b[off, off+n). 0, -EINVAL, -ENOMEM; *out untouched on error. */
int buf_slice(const struct buf *b, size_t off, size_t n, struct buf **out);
/* Copies b[off, off+n) to dst. 0 or -EINVAL (range). */
int buf_copy_out(const struct buf *b, size_t off, size_t n, void *dst);
/* Points *p at b[off, off+n) if that range lies in one segment, else copies
 * it to scratch (n bytes) and points *p there. 0 or -EINVAL. */
int buf_peek(const struct buf *b, size_t off, size_t n, void *scratch, const void **p);
/* Makes b one segment (copying if it has several) and returns its bytes;
 * valid until b changes. Requires the only reference. NULL on -ENOMEM. */
const void *buf_flatten(struct buf *b);
/* Fills up to max iovecs covering b[off, off+n); returns how many were
 * needed (which may exceed max: then only max were filled) or -EINVAL. */
int buf_iov(const struct buf *b, size_t off, size_t n, struct iovec *iov, int max);
/* crc32c of b[off, off+n), continuing from crc (common/crc.h convention). */
uint32_t buf_crc32c(const struct buf *b, size_t off, size_t n, uint32_t crc);
/* 0 if equal contents, else the memcmp-style sign. */
int buf_cmp(const struct buf *a, const struct buf *b);

#endif /* SEPIA_COMMON_BUF_H */
