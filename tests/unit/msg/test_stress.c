/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_stress.c - the stress run in its small mode (fast
 * under ASan): 2 and 5 endpoints, injected socket failures, lossy clients. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "stress_core.h"
#include "tests.h"

static void run(unsigned endpoints, uint64_t total)
{
	struct stress_cfg cfg = { .endpoints = endpoints,
		                  .total = total,
		                  .inject = 50,
		                  .window = 64,
		                  .lossy_clients = 1,
		                  .timeout_s = 60,
		                  .seed = 7 };
	struct stress_result r;
	int rc = stress_run(&cfg, &r);

	fprintf(stderr,
	        "stress small: %u endpoints, %llu delivered, %llu injected failures, "
	        "%llu reconnects, %llu dups dropped, %llu lossy resets, %llu order errors, %llu "
	        "remote resets, %.1f s\n",
	        endpoints, (unsigned long long)r.delivered, (unsigned long long)r.injected,
	        (unsigned long long)r.reconnects, (unsigned long long)r.dups,
	        (unsigned long long)r.lossy_resets, (unsigned long long)r.order_errors,
	        (unsigned long long)r.remote_resets, r.seconds);
	assert_int_equal(rc, 0);
	assert_true(r.injected > 0);
}

static void test_stress_two(void **state)
{
	(void)state;
	run(2, 20000);
}

static void test_stress_five(void **state)
{
	(void)state;
	run(5, 20000);
}

int test_stress_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_two),
		cmocka_unit_test(test_stress_five),
	};

	return cmocka_run_group_tests_name("msg_stress_small", tests, NULL, NULL);
}
