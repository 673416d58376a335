/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/timer.c - one-shot and periodic timers over uv_timer_t, plus the
 * monotonic and wall clocks.
 *
 * DESIGN
 * A struct tmr embeds its uv_timer_t, so it lives exactly as long as the
 * handle: tmr_destroy stops the handle and calls uv_close; the memory is
 * released in close_cb on a later loop iteration. That is what makes
 * tmr_destroy safe inside the timer's own callback: fire_cb does not touch
 * the timer after the user callback returns.
 *
 * States:   IDLE --tmr_start--> ACTIVE --(one-shot fires | tmr_stop)--> IDLE
 *           IDLE|ACTIVE --tmr_destroy--> CLOSING --close_cb--> freed
 * Invariant: fn != NULL whenever the handle is active; closing is set once
 * and no call but the close callback touches a closing timer.
 *
 *   edge                       function
 *   IDLE/ACTIVE -> ACTIVE      tmr_start
 *   ACTIVE -> IDLE             tmr_stop, fire_cb (one-shot)
 *   any -> CLOSING             tmr_destroy
 *   CLOSING -> freed           close_cb
 *
 * Threads: everything runs on the loop's thread (libuv handles are not
 * thread-safe); there is no lock. */
#include "common/timer.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"

struct tmr {
	uv_timer_t handle; /* handle.data == this timer */
	tmr_fn *fn;        /* set by tmr_start */
	void *arg;
	bool closing; /* tmr_destroy ran; freed by close_cb */
};

static void assert_timer_state(const struct tmr *t)
{
	assert(t->handle.data == t);
	assert(!t->closing);
	assert(!uv_is_active((const uv_handle_t *)&t->handle) || t->fn != NULL);
	(void)t;
}

static void close_cb(uv_handle_t *h)
{
	mem_free(h->data);
}

static void fire_cb(uv_timer_t *h)
{
	struct tmr *t = h->data;

	assert_timer_state(t);
	/* The callback may restart, stop or destroy t: do not touch t after it. */
	t->fn(t, t->arg);
}

int tmr_create(uv_loop_t *loop, struct tmr **out)
{
	struct tmr *t;
	int rc;

	if (loop == NULL || out == NULL)
		return -EINVAL;
	t = mem_calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	rc = uv_timer_init(loop, &t->handle);
	if (rc < 0) {
		log_err(common, "timer: uv_timer_init: %s", uv_strerror(rc));
		goto out_free;
	}
	t->handle.data = t;
	*out = t;
	return 0;

out_free:
	mem_free(t);
	return rc;
}

void tmr_destroy(struct tmr *t)
{
	if (t == NULL)
		return;
	assert_timer_state(t);
	uv_timer_stop(&t->handle);
	t->closing = true;
	t->fn = NULL;
	uv_close((uv_handle_t *)&t->handle, close_cb);
}

int tmr_start(struct tmr *t, uint64_t delay_ms, uint64_t repeat_ms, tmr_fn *fn, void *arg)
{
	int rc;

	if (t == NULL || fn == NULL)
		return -EINVAL;
	assert_timer_state(t);
	t->fn = fn;
	t->arg = arg;
	/* uv_timer_start replaces the schedule of an active timer. */
	rc = uv_timer_start(&t->handle, fire_cb, delay_ms, repeat_ms);
	if (rc < 0)
		log_err(common, "timer: uv_timer_start: %s", uv_strerror(rc));
	return rc;
}

void tmr_stop(struct tmr *t)
{
	if (t == NULL)
		return;
	assert_timer_state(t);
	uv_timer_stop(&t->handle);
}

int tmr_is_active(const struct tmr *t)
{
	if (t == NULL || t->closing)
		return 0;
	return uv_is_active((const uv_handle_t *)&t->handle) != 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for the clocks used here. */
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t tmr_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t tmr_wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
