/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_timer.c - timers: one-shot, repeat, stop, destroy
 * (also from the timer's own callback), restart, the clocks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "common/timer.h"
#include "tests.h"

struct tctx {
	int fired;
	int stop_at;    /* repeat: stop after this many */
	int destroy_at; /* destroy from the callback at this count */
	uint64_t first_ns;
};

static void on_fire(struct tmr *t, void *arg)
{
	struct tctx *x = arg;

	if (x->fired++ == 0)
		x->first_ns = tmr_now_ns();
	if (x->stop_at > 0 && x->fired == x->stop_at)
		tmr_stop(t);
	if (x->destroy_at > 0 && x->fired == x->destroy_at)
		tmr_destroy(t);
}

static void loop_fini(uv_loop_t *loop)
{
	assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(loop), 0); /* every handle closed and freed */
}

static void test_timer_bad_args(void **state)
{
	struct tmr *t = NULL;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(tmr_create(NULL, &t), -EINVAL);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(tmr_create(&loop, &t), 0);
	assert_int_equal(tmr_start(t, 1, 0, NULL, NULL), -EINVAL);
	assert_int_equal(tmr_is_active(t), 0);
	tmr_destroy(t);
	tmr_destroy(NULL);
	loop_fini(&loop);
}

static void test_timer_one_shot(void **state)
{
	struct tctx x = { 0 };
	struct tmr *t;
	uv_loop_t loop;
	uint64_t t0;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(tmr_create(&loop, &t), 0);
	t0 = tmr_now_ns();
	assert_int_equal(tmr_start(t, 20, 0, on_fire, &x), 0);
	assert_true(tmr_is_active(t));
	uv_run(&loop, UV_RUN_DEFAULT); /* returns once the timer went idle */
	assert_int_equal(x.fired, 1);
	assert_true(x.first_ns - t0 >= 19000000ull);
	assert_false(tmr_is_active(t));
	tmr_destroy(t);
	loop_fini(&loop);
}

static void test_timer_repeat(void **state)
{
	struct tctx x = { .stop_at = 5 };
	struct tmr *t;
	uv_loop_t loop;
	uint64_t t0;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(tmr_create(&loop, &t), 0);
	t0 = tmr_now_ns();
	assert_int_equal(tmr_start(t, 1, 5, on_fire, &x), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(x.fired, 5);
	assert_true(tmr_now_ns() - t0 >= 20000000ull); /* 1 + 4 * 5 ms */
	assert_false(tmr_is_active(t));
	tmr_destroy(t);
	loop_fini(&loop);
}

/* Stopped and destroyed timers never fire; a later timer shows time passed. */
static void test_timer_stop_destroy(void **state)
{
	struct tctx stopped = { 0 }, destroyed = { 0 }, witness = { 0 };
	struct tmr *a, *b, *w;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(tmr_create(&loop, &a), 0);
	assert_int_equal(tmr_create(&loop, &b), 0);
	assert_int_equal(tmr_create(&loop, &w), 0);
	assert_int_equal(tmr_start(a, 5, 5, on_fire, &stopped), 0);
	assert_int_equal(tmr_start(b, 5, 0, on_fire, &destroyed), 0);
	assert_int_equal(tmr_start(w, 30, 0, on_fire, &witness), 0);
	tmr_stop(a);
	tmr_destroy(b);
	assert_false(tmr_is_active(a));
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(witness.fired, 1);
	assert_int_equal(stopped.fired, 0);
	assert_int_equal(destroyed.fired, 0);
	tmr_destroy(a);
	tmr_destroy(w);
	loop_fini(&loop);
}

/* A periodic timer destroyed inside its own callback fires exactly once and
 * its memory is released from the close callback (ASan sees no misuse). */
static void test_timer_destroy_in_callback(void **state)
{
	struct tctx x = { .destroy_at = 1 };
	struct tmr *t;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(tmr_create(&loop, &t), 0);
	assert_int_equal(tmr_start(t, 1, 1, on_fire, &x), 0);
	loop_fini(&loop);
	assert_int_equal(x.fired, 1);
}

/* Restarting replaces the schedule: a 10 s timer restarted at 5 ms fires soon. */
static void test_timer_restart(void **state)
{
	struct tctx x = { 0 };
	struct tmr *t;
	uv_loop_t loop;
	uint64_t t0;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(tmr_create(&loop, &t), 0);
	t0 = tmr_now_ns();
	assert_int_equal(tmr_start(t, 10000, 0, on_fire, &x), 0);
	assert_int_equal(tmr_start(t, 5, 0, on_fire, &x), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(x.fired, 1);
	assert_true(tmr_now_ns() - t0 < 5000000000ull);
	tmr_destroy(t);
	loop_fini(&loop);
}

static void test_timer_clocks(void **state)
{
	struct timespec ts = { 0, 10000000L };
	uint64_t a, b, wall;

	(void)state;
	a = tmr_now_ns();
	nanosleep(&ts, NULL);
	b = tmr_now_ns();
	assert_true(b - a >= 10000000ull);
	assert_true(b - a < 5000000000ull);
	wall = tmr_wall_ns();
	assert_true(wall / 1000000000ull >= (uint64_t)time(NULL) - 1);
	assert_true(wall / 1000000000ull <= (uint64_t)time(NULL) + 1);
}

int test_timer_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_bad_args),
		cmocka_unit_test(test_timer_one_shot),
		cmocka_unit_test(test_timer_repeat),
		cmocka_unit_test(test_timer_stop_destroy),
		cmocka_unit_test(test_timer_destroy_in_callback),
		cmocka_unit_test(test_timer_restart),
		cmocka_unit_test(test_timer_clocks),
	};

	return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
