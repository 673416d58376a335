/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/timer.h - one-shot and periodic timers on a libuv loop.
 * Threads: every call runs on the loop's thread; callbacks run there too.
 * The prefix is tmr_ because POSIX owns timer_ (timer_create and friends). */
#ifndef SEPIA_COMMON_TIMER_H
#define SEPIA_COMMON_TIMER_H
#include <stdint.h>
#include <uv.h>

struct tmr; /* opaque */
typedef void tmr_fn(struct tmr *t, void *arg);

/* 0, -ENOMEM, or a libuv error as -errno. */
int tmr_create(uv_loop_t *loop, struct tmr **out);
/* Stops the timer and frees it from the handle's close callback; the
 * callback never runs after this. NULL is a no-op. */
void tmr_destroy(struct tmr *t);
/* Fires after delay_ms, then every repeat_ms if repeat_ms > 0. Restarting a
 * running timer replaces its schedule. 0 or -errno. */
int tmr_start(struct tmr *t, uint64_t delay_ms, uint64_t repeat_ms, tmr_fn *fn, void *arg);
void tmr_stop(struct tmr *t);
int tmr_is_active(const struct tmr *t);

/* Monotonic clock in nanoseconds, and wall clock in nanoseconds since 1970. */
uint64_t tmr_now_ns(void);
uint64_t tmr_wall_ns(void);

#endif /* SEPIA_COMMON_TIMER_H */
