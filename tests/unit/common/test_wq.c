/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_wq.c - work queue: exactly-once done, back-pressure,
 * submit_wait, cancellation at destroy, done on the loop thread. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/wq.h"
#include "tests.h"

#define NITEMS 500

/* A gate that blocks fn until opened. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool open;
};

struct ctx {
	atomic_int ran[NITEMS];
	atomic_int done[NITEMS];
	int status[NITEMS];
	atomic_int ndone;
	atomic_int wrong_thread;
	pthread_t loop_thread;
	bool check_thread;
	struct gate gate;
	struct wq *wq; /* for done callbacks that destroy */
};

struct item {
	struct ctx *ctx;
	int idx;
};

static struct item items[NITEMS];

static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->open = false;
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->lock);
}

static void gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_fini(struct gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->lock);
}

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	gate_init(&c->gate);
	for (int i = 0; i < NITEMS; i++)
		items[i] = (struct item){ c, i };
	return c;
}

static void ctx_free(struct ctx *c)
{
	gate_fini(&c->gate);
	free(c);
}

static int fn_plain(void *arg)
{
	struct item *it = arg;

	atomic_fetch_add(&it->ctx->ran[it->idx], 1);
	return it->idx;
}

static int fn_gated(void *arg)
{
	struct item *it = arg;

	gate_pass(&it->ctx->gate);
	return fn_plain(arg);
}

static void done_record(int status, void *arg)
{
	struct item *it = arg;
	struct ctx *c = it->ctx;

	if (c->check_thread && !pthread_equal(pthread_self(), c->loop_thread))
		atomic_fetch_add(&c->wrong_thread, 1);
	c->status[it->idx] = status;
	atomic_fetch_add(&c->done[it->idx], 1);
	atomic_fetch_add(&c->ndone, 1);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits (bounded) until n items are running. */
static void wait_running(struct wq *wq, unsigned n)
{
	for (int i = 0; i < 2000 && wq_running(wq) != n; i++)
		sleep_ms(1);
	assert_int_equal(wq_running(wq), n);
}

static void test_wq_bad_args(void **state)
{
	struct wq *wq = (struct wq *)0x1;

	(void)state;
	assert_int_equal(wq_create("x", 0, 4, NULL, &wq), -EINVAL);
	assert_int_equal(wq_create("x", 1, 0, NULL, &wq), -EINVAL);
	assert_int_equal(wq_create(NULL, 1, 4, NULL, &wq), -EINVAL);
	assert_ptr_equal(wq, (struct wq *)0x1); /* untouched on error */
	wq_destroy(NULL);
}

/* No loop: many items through submit_wait, each fn and done exactly once. */
static void test_wq_exactly_once(void **state)
{
	struct ctx *c = ctx_new();
	struct wq *wq;

	(void)state;
	assert_int_equal(wq_create("t-once", 3, 8, NULL, &wq), 0);
	for (int i = 0; i < NITEMS; i++)
		assert_int_equal(wq_submit_wait(wq, fn_plain, done_record, &items[i]), 0);
	for (int i = 0; i < 5000 && atomic_load(&c->ndone) < NITEMS; i++)
		sleep_ms(1);
	wq_destroy(wq);
	assert_int_equal(atomic_load(&c->ndone), NITEMS);
	for (int i = 0; i < NITEMS; i++) {
		assert_int_equal(atomic_load(&c->ran[i]), 1);
		assert_int_equal(atomic_load(&c->done[i]), 1);
		assert_int_equal(c->status[i], i);
	}
	ctx_free(c);
}

/* With a loop: done runs on the loop's thread, once per item. */
static void test_wq_done_on_loop(void **state)
{
	struct ctx *c = ctx_new();
	uv_loop_t loop;
	struct wq *wq;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	c->loop_thread = pthread_self();
	c->check_thread = true;
	assert_int_equal(wq_create("t-loop", 2, NITEMS, &loop, &wq), 0);
	for (int i = 0; i < NITEMS; i++)
		assert_int_equal(wq_submit(wq, fn_plain, done_record, &items[i]), 0);
	while (atomic_load(&c->ndone) < NITEMS)
		uv_run(&loop, UV_RUN_ONCE);
	wq_destroy(wq);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(atomic_load(&c->wrong_thread), 0);
	for (int i = 0; i < NITEMS; i++) {
		assert_int_equal(atomic_load(&c->done[i]), 1);
		assert_int_equal(c->status[i], i);
	}
	ctx_free(c);
}

/* One worker held by the gate, queue_max 2: the fourth submit is -EAGAIN. */
static void test_wq_backpressure(void **state)
{
	struct ctx *c = ctx_new();
	struct wq *wq;

	(void)state;
	assert_int_equal(wq_create("t-bp", 1, 2, NULL, &wq), 0);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[0]), 0);
	wait_running(wq, 1);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[1]), 0);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[2]), 0);
	assert_int_equal(wq_queued(wq), 2);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[3]), -EAGAIN);
	gate_open(&c->gate);
	for (int i = 0; i < 5000 && atomic_load(&c->ndone) < 3; i++)
		sleep_ms(1);
	wq_destroy(wq);
	assert_int_equal(atomic_load(&c->ndone), 3);
	assert_int_equal(atomic_load(&c->done[3]), 0); /* refused: done never runs */
	assert_int_equal(atomic_load(&c->ran[3]), 0);
	ctx_free(c);
}

struct waiter {
	struct wq *wq;
	struct item *it;
	atomic_int returned;
	int rc;
};

static void *waiter_main(void *p)
{
	struct waiter *w = p;

	w->rc = wq_submit_wait(w->wq, fn_gated, done_record, w->it);
	atomic_store(&w->returned, 1);
	return NULL;
}

/* submit_wait blocks while the queue is full and proceeds when it drains. */
static void test_wq_submit_wait_blocks(void **state)
{
	struct ctx *c = ctx_new();
	struct waiter w = { .it = &items[2] };
	pthread_t th;
	struct wq *wq;

	(void)state;
	assert_int_equal(wq_create("t-wait", 1, 1, NULL, &wq), 0);
	w.wq = wq;
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[0]), 0);
	wait_running(wq, 1);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[1]), 0);
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	sleep_ms(50);
	assert_int_equal(atomic_load(&w.returned), 0); /* still waiting for room */
	gate_open(&c->gate);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, 0);
	for (int i = 0; i < 5000 && atomic_load(&c->ndone) < 3; i++)
		sleep_ms(1);
	wq_destroy(wq);
	for (int i = 0; i < 3; i++)
		assert_int_equal(atomic_load(&c->done[i]), 1);
	ctx_free(c);
}

static void *open_later(void *p)
{
	sleep_ms(50);
	gate_open(p);
	return NULL;
}

/* destroy: the running item finishes, queued ones get -ECANCELED without
 * running, a blocked submit_wait returns -ESHUTDOWN and its done never runs. */
static void test_wq_destroy_cancels(void **state)
{
	struct ctx *c = ctx_new();
	struct waiter w = { .it = &items[3] };
	pthread_t opener, th;
	struct wq *wq;

	(void)state;
	assert_int_equal(wq_create("t-cancel", 1, 2, NULL, &wq), 0);
	w.wq = wq;
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[0]), 0);
	wait_running(wq, 1);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[1]), 0);
	assert_int_equal(wq_submit(wq, fn_gated, done_record, &items[2]), 0);
	assert_int_equal(pthread_create(&th, NULL, waiter_main, &w), 0);
	sleep_ms(20); /* let the waiter block */
	assert_int_equal(pthread_create(&opener, NULL, open_later, &c->gate), 0);
	wq_destroy(wq);
	pthread_join(th, NULL);
	pthread_join(opener, NULL);
	assert_int_equal(w.rc, -ESHUTDOWN);
	assert_int_equal(c->status[0], 0);
	assert_int_equal(atomic_load(&c->ran[0]), 1);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(atomic_load(&c->ran[i]), 0);
		assert_int_equal(atomic_load(&c->done[i]), 1);
		assert_int_equal(c->status[i], -ECANCELED);
	}
	assert_int_equal(atomic_load(&c->done[3]), 0);
	ctx_free(c);
}

static void done_destroying(int status, void *arg)
{
	struct item *it = arg;

	done_record(status, arg);
	if (it->idx == 0) {
		wq_destroy(it->ctx->wq);
		it->ctx->wq = NULL;
	}
}

/* A loop wq destroyed from its own done callback: the queued items are
 * cancelled on the loop thread, nothing is used after free (ASan). */
static void test_wq_destroy_from_done(void **state)
{
	struct ctx *c = ctx_new();
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	c->loop_thread = pthread_self();
	c->check_thread = true;
	assert_int_equal(wq_create("t-self", 1, 4, &loop, &c->wq), 0);
	assert_int_equal(wq_submit(c->wq, fn_plain, done_destroying, &items[0]), 0);
	wait_running(c->wq, 0);
	assert_int_equal(wq_submit(c->wq, fn_gated, done_record, &items[1]), 0);
	assert_int_equal(wq_submit(c->wq, fn_gated, done_record, &items[2]), 0);
	gate_open(&c->gate); /* items may run or be cancelled; done once either way */
	while (c->wq != NULL)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(atomic_load(&c->ndone), 3);
	assert_int_equal(atomic_load(&c->wrong_thread), 0);
	ctx_free(c);
}

int test_wq_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wq_bad_args),
		cmocka_unit_test(test_wq_exactly_once),
		cmocka_unit_test(test_wq_done_on_loop),
		cmocka_unit_test(test_wq_backpressure),
		cmocka_unit_test(test_wq_submit_wait_blocks),
		cmocka_unit_test(test_wq_destroy_cancels),
		cmocka_unit_test(test_wq_destroy_from_done),
	};

	return cmocka_run_group_tests_name("wq", tests, NULL, NULL);
}
