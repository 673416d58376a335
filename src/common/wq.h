/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/wq.h - bounded work queue over a pool of threads.
 * Threads: wq_submit* may be called from any thread. fn runs on a worker;
 * done runs on the owning libuv loop when the wq has one (posted through
 * uv_async), else on the worker right after fn.
 *
 * Back-pressure: at most queue_max items wait; wq_submit returns -EAGAIN when
 * full (for loop threads, which must not block), wq_submit_wait blocks until
 * there is room (for other threads). Shutdown (wq_destroy) is clean: no new
 * work is accepted, items not yet started complete with status -ECANCELED
 * (fn does not run, done does), running items finish, workers are joined. */
#ifndef SEPIA_COMMON_WQ_H
#define SEPIA_COMMON_WQ_H
#include <uv.h>

struct wq; /* opaque */
/* Runs on a worker; returns a status passed to done. */
typedef int wq_fn(void *arg);
/* Runs exactly once per accepted item: status is fn's result or -ECANCELED. */
typedef void wq_done_fn(int status, void *arg);

/* name labels threads and logs (<= 15 chars shown). loop may be NULL. When
 * loop is given, wq_create and wq_destroy must run on that loop's thread and
 * the loop must be running for done callbacks to arrive. 0, -EINVAL, -ENOMEM,
 * or -errno from thread creation; *out untouched on error. */
int wq_create(const char *name, unsigned nthreads, unsigned queue_max, uv_loop_t *loop,
              struct wq **out);
/* Cancels queued items, waits for running ones, delivers every pending done
 * (on the calling thread when the wq has a loop), joins workers and frees.
 * NULL is a no-op. */
void wq_destroy(struct wq *wq);

/* 0, -EAGAIN (full), -ESHUTDOWN (stopping). On error done never runs. */
int wq_submit(struct wq *wq, wq_fn *fn, wq_done_fn *done, void *arg);
/* Like wq_submit but waits for room; 0 or -ESHUTDOWN. Never call it from a
 * worker of the same wq or from its loop thread. */
int wq_submit_wait(struct wq *wq, wq_fn *fn, wq_done_fn *done, void *arg);

unsigned wq_queued(struct wq *wq); /* waiting, not yet running */
unsigned wq_running(struct wq *wq);

#endif /* SEPIA_COMMON_WQ_H */
