/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_hash.c - object-name hashing checked end to end
 * against Ceph's osdmaptool (tests/data/hash/object_pgs.txt). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/hash.h"
#include "tests.h"

static int unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	if (n > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

static void test_object_pgs_match_ceph(void **state)
{
	const char *dir = getenv("SEPIA_TEST_DATA");
	char path[4096], line[512], hex[300];
	unsigned pg_num, pg, rows = 0;
	uint8_t name[150];
	FILE *f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/hash/object_pgs.txt", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		int n;

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%u %x %299s", &pg_num, &pg, hex), 3);
		n = unhex(hex, name, sizeof(name));
		assert_true(n > 0);
		uint32_t ps = hash_rjenkins_str(name, (size_t)n);
		uint32_t got = hash_stable_mod(ps, pg_num, hash_mask_for(pg_num));
		if (got != pg)
			fail_msg("object %.*s: pg %x, ceph says %x", n, (char *)name, got, pg);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, 1000);
}

static void test_stable_mod(void **state)
{
	(void)state;
	assert_int_equal(hash_mask_for(1), 0);
	assert_int_equal(hash_mask_for(8), 7);
	assert_int_equal(hash_mask_for(9), 15);
	assert_int_equal(hash_mask_for(384), 511);
	/* growing b from 12 to 13 moves only values that now land on 12 */
	for (uint32_t x = 0; x < 4096; x++) {
		uint32_t a = hash_stable_mod(x, 12, 15), b = hash_stable_mod(x, 13, 15);

		assert_true(a < 12 && b < 13);
		assert_true(a == b || b == 12);
	}
}

static void test_linux_and_dispatch(void **state)
{
	(void)state;
	assert_int_equal(hash_linux_str("", 0), 0);
	/* h = ((0 + ('a' << 4) + ('a' >> 4)) * 11) for a single 'a' (0x61) */
	assert_int_equal(hash_linux_str("a", 1), (0x610u + 0x6u) * 11u);
	assert_int_equal(hash_str(HASH_STR_LINUX, "abc", 3), hash_linux_str("abc", 3));
	assert_int_equal(hash_str(HASH_STR_RJENKINS, "abc", 3), hash_rjenkins_str("abc", 3));
}

static void test_rjenkins1_distinct(void **state)
{
	/* The CRUSH hashes are verified bit for bit by the CRUSH golden tests;
	 * here: they depend on every argument. */
	(void)state;
	assert_int_not_equal(hash_rjenkins1_2(1, 2), hash_rjenkins1_2(2, 1));
	assert_int_not_equal(hash_rjenkins1_3(1, 2, 3), hash_rjenkins1_3(1, 2, 4));
	assert_int_not_equal(hash_rjenkins1_4(1, 2, 3, 4), hash_rjenkins1_4(1, 2, 3, 5));
	assert_int_not_equal(hash_rjenkins1_5(1, 2, 3, 4, 5), hash_rjenkins1_5(1, 2, 3, 4, 6));
	assert_int_not_equal(hash_rjenkins1_1(1), hash_rjenkins1_1(2));
}

int test_hash_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_pgs_match_ceph),
		cmocka_unit_test(test_stable_mod),
		cmocka_unit_test(test_linux_and_dispatch),
		cmocka_unit_test(test_rjenkins1_distinct),
	};
	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
