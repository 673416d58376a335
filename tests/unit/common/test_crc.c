/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_crc.c - crc32c: the standard check value, Ceph's
 * convention, and agreement with a bit-by-bit reference on random data. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/crc.h"
#include "tests.h"

/* Bitwise reflected CRC-32C register update, no inversion (reference). */
static uint32_t slow_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return crc;
}

static void test_check_value(void **state)
{
	(void)state;
	assert_int_equal(~crc_crc32c(~0u, "123456789", 9), 0xe3069283u);
	assert_int_equal(crc_crc32c(0, "123456789", 9),
	                 slow_crc32c(0, (const uint8_t *)"123456789", 9));
}

static void test_random_and_chaining(void **state)
{
	uint8_t buf[5000];

	(void)state;
	srand(42);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t len = 0; len < sizeof(buf); len += 97) {
		uint32_t seed = (uint32_t)rand();
		uint32_t whole = crc_crc32c(seed, buf, len);

		assert_int_equal(whole, slow_crc32c(seed, buf, len));
		assert_int_equal(whole, crc_crc32c(crc_crc32c(seed, buf, len / 3), buf + len / 3,
		                                   len - len / 3));
	}
}

static void test_null_is_zeros(void **state)
{
	uint8_t z[10000];

	(void)state;
	memset(z, 0, sizeof(z));
	assert_int_equal(crc_crc32c(7, NULL, sizeof(z)), crc_crc32c(7, z, sizeof(z)));
}

int test_crc_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_value),
		cmocka_unit_test(test_random_and_chaining),
		cmocka_unit_test(test_null_is_zeros),
	};
	return cmocka_run_group_tests_name("crc", tests, NULL, NULL);
}
