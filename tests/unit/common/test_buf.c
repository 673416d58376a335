/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_buf.c - segmented buffers: sharing without copies,
 * slices, iovecs, crc across segments, external memory, failure injection. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/mem.h"
#include "tests.h"

static struct buf *make(const char *s)
{
	struct buf *b;

	assert_int_equal(buf_create(&b), 0);
	assert_int_equal(buf_append(b, s, strlen(s)), 0);
	return b;
}

static void assert_contents(const struct buf *b, const char *s)
{
	char out[8192];

	assert_int_equal(buf_len(b), strlen(s));
	assert_int_equal(buf_copy_out(b, 0, buf_len(b), out), 0);
	assert_memory_equal(out, s, strlen(s));
}

static void test_append_and_copy(void **state)
{
	struct buf *b = make("hello ");
	char out[5];

	(void)state;
	assert_int_equal(buf_append(b, "world", 5), 0);
	assert_int_equal(buf_nseg(b), 1); /* small appends fill one block */
	assert_contents(b, "hello world");
	assert_int_equal(buf_copy_out(b, 6, 5, out), 0);
	assert_memory_equal(out, "world", 5);
	assert_int_equal(buf_copy_out(b, 7, 5, out), -EINVAL);
	assert_int_equal(buf_copy_out(b, SIZE_MAX, 2, out), -EINVAL);
	buf_put(b);
	buf_put(NULL);
}

static void test_share_without_copy(void **state)
{
	struct buf *a = make("0123456789"), *b, *s;
	struct iovec iov[4];
	const void *p;

	(void)state;
	assert_int_equal(buf_create(&b), 0);
	assert_int_equal(buf_append_buf(b, a, 2, 5), 0);
	assert_contents(b, "23456");
	assert_int_equal(buf_iov(a, 0, 10, iov, 4), 1);
	assert_int_equal(buf_peek(b, 0, 5, NULL, &p), 0);
	assert_ptr_equal(p, (char *)iov[0].iov_base + 2); /* same memory */
	/* appending to b must not overwrite what a still holds past b's window */
	assert_int_equal(buf_append(b, "XY", 2), 0);
	assert_contents(a, "0123456789");
	assert_contents(b, "23456XY");
	assert_int_equal(buf_slice(b, 3, 4, &s), 0);
	assert_contents(s, "56XY");
	assert_int_equal(buf_slice(b, 3, 5, &s), -EINVAL);
	buf_put(a);
	buf_put(b);
	assert_contents(s, "56XY"); /* slices keep the memory alive */
	buf_put(s);
}

static void test_tail_claim_by_two(void **state)
{
	struct buf *a = make("abc"), *b, *c;

	(void)state;
	/* b and c both end where a ends: only the first may extend in place */
	assert_int_equal(buf_slice(a, 0, 3, &b), 0);
	assert_int_equal(buf_slice(a, 0, 3, &c), 0);
	buf_put(a);
	assert_int_equal(buf_append(b, "B", 1), 0);
	assert_int_equal(buf_append(c, "C", 1), 0);
	assert_contents(b, "abcB");
	assert_contents(c, "abcC");
	buf_put(b);
	buf_put(c);
}

static void test_iov_and_crc_across_segments(void **state)
{
	static char big[3 * 5000];
	struct buf *b;
	struct iovec iov[8];
	void *p;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	assert_int_equal(buf_create(&b), 0);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(buf_append_space(b, 5000, &p), 0);
		memcpy(p, big + 5000 * k, 5000);
	}
	assert_int_equal(buf_nseg(b), 3);
	n = buf_iov(b, 100, 10000, iov, 8);
	assert_int_equal(n, 3);
	assert_int_equal(iov[0].iov_len + iov[1].iov_len + iov[2].iov_len, 10000);
	assert_int_equal(buf_iov(b, 0, 15000, iov, 1), 3); /* tells how many it needs */
	assert_int_equal(buf_crc32c(b, 10, 14000, 5), crc_crc32c(5, big + 10, 14000));
	assert_non_null(buf_flatten(b));
	assert_int_equal(buf_nseg(b), 1);
	assert_memory_equal(buf_flatten(b), big, sizeof(big));
	buf_trim_tail(b, 15000 - 3);
	assert_int_equal(buf_len(b), 3);
	buf_put(b);
}

static int freed;
static void count_free(void *data, size_t len, void *arg)
{
	assert_int_equal(len, 6);
	assert_ptr_equal(arg, &freed);
	mem_free(data);
	freed++;
}

static void test_external_memory(void **state)
{
	struct buf *a, *s;
	char *m = mem_strdup("extern");

	(void)state;
	freed = 0;
	assert_int_equal(buf_create(&a), 0);
	assert_int_equal(buf_append_ext(a, m, 6, count_free, &freed), 0);
	assert_int_equal(buf_append(a, "!", 1), 0); /* never written into m */
	assert_int_equal(buf_nseg(a), 2);
	assert_int_equal(buf_slice(a, 1, 3, &s), 0);
	buf_put(a);
	assert_int_equal(freed, 0);
	assert_contents(s, "xte");
	buf_put(s);
	assert_int_equal(freed, 1);
}

static void test_cmp(void **state)
{
	struct buf *a = make("abc"), *b = make("abd"), *c = make("ab");

	(void)state;
	assert_true(buf_cmp(a, b) < 0);
	assert_true(buf_cmp(a, c) > 0);
	assert_int_equal(buf_cmp(a, a), 0);
	buf_put(a);
	buf_put(b);
	buf_put(c);
}

/* Every allocation of a composite operation may fail; each failure must
 * leave the buffers as they were and leak nothing (ASan checks leaks). */
static void test_enomem_everywhere(void **state)
{
	(void)state;
	for (long nth = 1; nth < 20; nth++) {
		struct buf *a = make("0123456789"), *b = make("x"), *s = NULL;
		int rc;

		mem_fail_at(nth);
		rc = buf_append(a, "more than fits in the first block? no", 37);
		if (rc == 0)
			rc = buf_append_buf(b, a, 0, buf_len(a));
		if (rc == 0)
			rc = buf_slice(a, 1, 5, &s);
		if (rc == 0)
			rc = buf_append_space(b, 100000, &(void *){ NULL });
		mem_fail_at(0);
		assert_true(rc == 0 || rc == -ENOMEM);
		assert_true(buf_len(a) == 10 || buf_len(a) == 47);
		assert_true(buf_len(b) == 1 || buf_len(b) >= 48);
		buf_put(s);
		buf_put(a);
		buf_put(b);
	}
}

int test_buf_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_copy),
		cmocka_unit_test(test_share_without_copy),
		cmocka_unit_test(test_tail_claim_by_two),
		cmocka_unit_test(test_iov_and_crc_across_segments),
		cmocka_unit_test(test_external_memory),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_enomem_everywhere),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
