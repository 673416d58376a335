/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/refcnt.h - atomic reference counts for shared objects (x_get / x_put).
 * Threads: any thread. Underflow is an invariant violation and asserts. */
#ifndef SEPIA_COMMON_REFCNT_H
#define SEPIA_COMMON_REFCNT_H
#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>

struct refcnt {
	atomic_uint n;
};

static inline void refcnt_init(struct refcnt *r, unsigned n)
{
	atomic_init(&r->n, n);
}

static inline void refcnt_inc(struct refcnt *r)
{
	unsigned old = atomic_fetch_add_explicit(&r->n, 1, memory_order_relaxed);

	assert(old > 0);
	(void)old;
}

/* Drops one reference; true when it was the last, and the caller frees. */
static inline bool refcnt_dec_is_last(struct refcnt *r)
{
	unsigned old = atomic_fetch_sub_explicit(&r->n, 1, memory_order_acq_rel);

	assert(old > 0);
	return old == 1;
}

static inline unsigned refcnt_read(struct refcnt *r)
{
	return atomic_load_explicit(&r->n, memory_order_acquire);
}

#endif /* SEPIA_COMMON_REFCNT_H */
