/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/wq.c - bounded work queue over a pool of pthreads; done callbacks
 * are posted back to the owner's libuv loop through a uv_async_t.
 *
 * DESIGN
 * An accepted item moves   queue --worker pops--> running --fn returns-->
 * done list (loop wq) --async_cb--> done() and freed; without a loop the
 * worker calls done() itself right after fn. wq_destroy moves every queued
 * item straight to "cancelled" and calls done(-ECANCELED) for it.
 *
 * Invariants (under wq->lock):
 *   nqueued == length(queue) <= queue_max
 *   nrunning == items between pop and the end of fn
 *   stopping => no item is ever added to queue again
 *   nwaiters == threads inside wq_submit_wait; destroy waits for 0
 *
 * Lifetime of the async handle: it is heap-allocated apart from the wq and
 * freed in its close callback, which may run after wq_destroy has freed the
 * wq; async->data is the wq until destroy sets it to NULL, which also lets a
 * done callback call wq_destroy safely (async_cb re-reads data per item).
 *
 *   edge                          function
 *   submit -> queue               enqueue (wq_submit, wq_submit_wait)
 *   queue -> running -> done      worker_main, finish_item
 *   done list -> done()           async_cb, deliver_one
 *   queue -> done(-ECANCELED)     wq_destroy
 *
 * Locking: one mutex, wq->lock, a leaf: never held across fn, done or any
 * libuv call except uv_async_send (which is thread-safe and does not call
 * back). */
#include "common/wq.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/list.h"
#include "common/log.h"
#include "common/mem.h"

struct wq_item {
	struct list_node node; /* in wq->queue or wq->done, or in nothing */
	wq_fn *fn;
	wq_done_fn *done;
	void *arg;
	int status;
};

struct wq {
	char name[16];
	uv_loop_t *loop;    /* NULL: done runs on the worker */
	uv_async_t *async;  /* loop wq only; freed in its close callback */
	pthread_t *threads; /* nthreads of them, joined by destroy */
	unsigned nthreads;
	unsigned queue_max;
	/* wq->lock guards every field below; a leaf lock. */
	pthread_mutex_t lock;
	pthread_cond_t work_cv;  /* queue non-empty or stopping: workers */
	pthread_cond_t room_cv;  /* queue has room or stopping: submit_wait */
	pthread_cond_t drain_cv; /* nwaiters reached 0: destroy */
	struct list_node queue;  /* struct wq_item, not yet started */
	struct list_node done;   /* struct wq_item, finished, for async_cb */
	unsigned nqueued;
	unsigned nrunning;
	unsigned nwaiters;
	bool stopping;
};

static void assert_wq_locked_state(struct wq *wq)
{
	assert(wq->nqueued <= wq->queue_max);
	assert(wq->nrunning <= wq->nthreads);
	assert(!wq->stopping || wq->nqueued == 0);
	assert(list_is_empty(&wq->queue) == (wq->nqueued == 0));
	(void)wq;
}

/* Delivers one finished item; false when there is none. Pops one at a time
 * so that a done callback may submit more work or destroy the wq. */
static bool deliver_one(struct wq *wq)
{
	struct list_node *n;
	struct wq_item *it;

	pthread_mutex_lock(&wq->lock);
	n = list_pop_front(&wq->done);
	pthread_mutex_unlock(&wq->lock);
	if (n == NULL)
		return false;
	it = LIST_CONTAINER(n, struct wq_item, node);
	it->done(it->status, it->arg);
	mem_free(it);
	return true;
}

static void async_cb(uv_async_t *h)
{
	struct wq *wq;

	/* h->data turns NULL when a done callback destroyed the wq. */
	while ((wq = h->data) != NULL && deliver_one(wq))
		;
}

static void async_close_cb(uv_handle_t *h)
{
	mem_free(h);
}

static void finish_item(struct wq *wq, struct wq_item *it)
{
	if (wq->loop == NULL) {
		it->done(it->status, it->arg);
		mem_free(it);
		pthread_mutex_lock(&wq->lock);
		wq->nrunning--;
		pthread_mutex_unlock(&wq->lock);
		return;
	}
	pthread_mutex_lock(&wq->lock);
	wq->nrunning--;
	list_push_back(&wq->done, &it->node);
	pthread_mutex_unlock(&wq->lock);
	uv_async_send(wq->async);
}

static void *worker_main(void *p)
{
	struct wq *wq = p;
	struct list_node *n;
	struct wq_item *it;

	pthread_setname_np(pthread_self(), wq->name);
	for (;;) {
		pthread_mutex_lock(&wq->lock);
		while (!wq->stopping && list_is_empty(&wq->queue))
			pthread_cond_wait(&wq->work_cv, &wq->lock);
		n = list_pop_front(&wq->queue);
		if (n == NULL) { /* stopping and nothing left */
			pthread_mutex_unlock(&wq->lock);
			return NULL;
		}
		wq->nqueued--;
		wq->nrunning++;
		pthread_cond_signal(&wq->room_cv);
		pthread_mutex_unlock(&wq->lock);
		it = LIST_CONTAINER(n, struct wq_item, node);
		it->status = it->fn(it->arg);
		finish_item(wq, it);
	}
}

static void stop_workers(struct wq *wq, unsigned n)
{
	pthread_mutex_lock(&wq->lock);
	wq->stopping = true;
	pthread_cond_broadcast(&wq->work_cv);
	pthread_mutex_unlock(&wq->lock);
	for (unsigned i = 0; i < n; i++)
		pthread_join(wq->threads[i], NULL);
}

static int start_workers(struct wq *wq)
{
	int rc;

	for (unsigned i = 0; i < wq->nthreads; i++) {
		rc = pthread_create(&wq->threads[i], NULL, worker_main, wq);
		if (rc != 0) {
			log_err(wq, "wq %s: cannot start worker %u: %s", wq->name, i, strerror(rc));
			stop_workers(wq, i);
			return -rc;
		}
	}
	return 0;
}

static int init_sync(struct wq *wq)
{
	if (pthread_mutex_init(&wq->lock, NULL) != 0)
		return -ENOMEM;
	pthread_cond_init(&wq->work_cv, NULL);
	pthread_cond_init(&wq->room_cv, NULL);
	pthread_cond_init(&wq->drain_cv, NULL);
	list_init(&wq->queue);
	list_init(&wq->done);
	return 0;
}

static void fini_sync(struct wq *wq)
{
	pthread_cond_destroy(&wq->drain_cv);
	pthread_cond_destroy(&wq->room_cv);
	pthread_cond_destroy(&wq->work_cv);
	pthread_mutex_destroy(&wq->lock);
}

static int init_async(struct wq *wq)
{
	int rc;

	if (wq->loop == NULL)
		return 0;
	wq->async = mem_malloc(sizeof(*wq->async));
	if (wq->async == NULL)
		return -ENOMEM;
	rc = uv_async_init(wq->loop, wq->async, async_cb);
	if (rc < 0) {
		mem_free(wq->async);
		wq->async = NULL;
		return rc;
	}
	wq->async->data = wq;
	return 0;
}

static void fini_async(struct wq *wq)
{
	if (wq->async == NULL)
		return;
	wq->async->data = NULL;
	uv_close((uv_handle_t *)wq->async, async_close_cb);
	wq->async = NULL;
}

static struct wq *alloc_wq(const char *name, unsigned nthreads, unsigned queue_max, uv_loop_t *loop)
{
	struct wq *wq = mem_calloc(1, sizeof(*wq));

	if (wq == NULL)
		return NULL;
	wq->threads = mem_calloc(nthreads, sizeof(*wq->threads));
	if (wq->threads == NULL) {
		mem_free(wq);
		return NULL;
	}
	snprintf(wq->name, sizeof(wq->name), "%s", name);
	wq->nthreads = nthreads;
	wq->queue_max = queue_max;
	wq->loop = loop;
	return wq;
}

int wq_create(const char *name, unsigned nthreads, unsigned queue_max, uv_loop_t *loop,
              struct wq **out)
{
	struct wq *wq;
	int rc;

	if (name == NULL || nthreads == 0 || queue_max == 0 || out == NULL)
		return -EINVAL;
	wq = alloc_wq(name, nthreads, queue_max, loop);
	if (wq == NULL)
		return -ENOMEM;
	rc = init_sync(wq);
	if (rc < 0)
		goto out_free;
	rc = init_async(wq);
	if (rc < 0)
		goto out_fini_sync;
	rc = start_workers(wq);
	if (rc < 0)
		goto out_fini_async;
	log_debug(wq, "wq %s: %u threads, queue_max %u", wq->name, nthreads, queue_max);
	*out = wq;
	return 0;

out_fini_async:
	fini_async(wq);
out_fini_sync:
	fini_sync(wq);
out_free:
	mem_free(wq->threads);
	mem_free(wq);
	return rc;
}

static void cancel_items(struct list_node *cancelled)
{
	struct list_node *n;
	struct wq_item *it;

	while ((n = list_pop_front(cancelled)) != NULL) {
		it = LIST_CONTAINER(n, struct wq_item, node);
		it->done(-ECANCELED, it->arg);
		mem_free(it);
	}
}

void wq_destroy(struct wq *wq)
{
	struct list_node cancelled;

	if (wq == NULL)
		return;
	list_init(&cancelled);
	pthread_mutex_lock(&wq->lock);
	list_splice_back(&cancelled, &wq->queue);
	wq->nqueued = 0;
	wq->stopping = true;
	pthread_cond_broadcast(&wq->room_cv);
	while (wq->nwaiters > 0)
		pthread_cond_wait(&wq->drain_cv, &wq->lock);
	pthread_mutex_unlock(&wq->lock);
	stop_workers(wq, wq->nthreads);
	fini_async(wq);
	while (deliver_one(wq)) /* finished before the join, not delivered */
		;
	cancel_items(&cancelled);
	log_debug(wq, "wq %s: destroyed", wq->name);
	fini_sync(wq);
	mem_free(wq->threads);
	mem_free(wq);
}

static struct wq_item *item_new(wq_fn *fn, wq_done_fn *done, void *arg)
{
	struct wq_item *it = mem_malloc(sizeof(*it));

	if (it == NULL)
		return NULL;
	list_init(&it->node);
	it->fn = fn;
	it->done = done;
	it->arg = arg;
	it->status = 0;
	return it;
}

/* Caller holds wq->lock and has checked for room. */
static void enqueue_locked(struct wq *wq, struct wq_item *it)
{
	list_push_back(&wq->queue, &it->node);
	wq->nqueued++;
	assert_wq_locked_state(wq);
	pthread_cond_signal(&wq->work_cv);
}

int wq_submit(struct wq *wq, wq_fn *fn, wq_done_fn *done, void *arg)
{
	struct wq_item *it;
	int rc = 0;

	if (wq == NULL || fn == NULL || done == NULL)
		return -EINVAL;
	it = item_new(fn, done, arg);
	if (it == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&wq->lock);
	if (wq->stopping)
		rc = -ESHUTDOWN;
	else if (wq->nqueued >= wq->queue_max)
		rc = -EAGAIN;
	else
		enqueue_locked(wq, it);
	pthread_mutex_unlock(&wq->lock);
	if (rc < 0)
		mem_free(it);
	return rc;
}

int wq_submit_wait(struct wq *wq, wq_fn *fn, wq_done_fn *done, void *arg)
{
	struct wq_item *it;
	int rc = 0;

	if (wq == NULL || fn == NULL || done == NULL)
		return -EINVAL;
	it = item_new(fn, done, arg);
	if (it == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&wq->lock);
	wq->nwaiters++;
	while (!wq->stopping && wq->nqueued >= wq->queue_max)
		pthread_cond_wait(&wq->room_cv, &wq->lock);
	if (wq->stopping)
		rc = -ESHUTDOWN;
	else
		enqueue_locked(wq, it);
	if (--wq->nwaiters == 0 && wq->stopping)
		pthread_cond_signal(&wq->drain_cv);
	pthread_mutex_unlock(&wq->lock);
	if (rc < 0)
		mem_free(it);
	return rc;
}

unsigned wq_queued(struct wq *wq)
{
	unsigned n;

	pthread_mutex_lock(&wq->lock);
	n = wq->nqueued;
	pthread_mutex_unlock(&wq->lock);
	return n;
}

unsigned wq_running(struct wq *wq)
{
	unsigned n;

	pthread_mutex_lock(&wq->lock);
	n = wq->nrunning;
	pthread_mutex_unlock(&wq->lock);
	return n;
}
