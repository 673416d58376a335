/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_mem.c - allocation wrappers and failure injection. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/mem.h"
#include "tests.h"

static void test_fail_nth(void **state)
{
	void *a, *b, *c;

	(void)state;
	mem_fail_at(2);
	assert_true(mem_fail_pending());
	a = mem_malloc(8);
	b = mem_malloc(8);
	assert_false(mem_fail_pending());
	c = mem_malloc(8);
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c);
	mem_free(a);
	mem_free(c);
}

static void test_calloc_overflow(void **state)
{
	(void)state;
	assert_null(mem_calloc(SIZE_MAX / 2, 4));
}

static void test_grow(void **state)
{
	int *arr = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(mem_grow(&arr, sizeof(*arr), &cap, 100), 0);
	assert_true(cap >= 100);
	arr[99] = 7;
	mem_fail_at(1);
	assert_int_equal(mem_grow(&arr, sizeof(*arr), &cap, cap + 1), -ENOMEM);
	assert_int_equal(arr[99], 7); /* untouched on failure */
	assert_int_equal(mem_grow(&arr, sizeof(*arr), &cap, SIZE_MAX / 2), -ENOMEM);
	mem_free(arr);
}

static void test_strdup(void **state)
{
	char *s;

	(void)state;
	s = mem_strndup("hello world", 5);
	assert_string_equal(s, "hello");
	mem_free(s);
	mem_fail_at(1);
	assert_null(mem_strdup("x"));
}

int test_mem_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_nth),
		cmocka_unit_test(test_calloc_overflow),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_strdup),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
