/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/tests.h - the groups of unit_common; each test_<name>.c
 * defines int test_<name>_run(void) returning cmocka's failure count. */
#ifndef SEPIA_TESTS_UNIT_COMMON_H
#define SEPIA_TESTS_UNIT_COMMON_H

#define COMMON_TEST_GROUPS(X) \
	X(mem) X(hash) X(crc) X(log) X(enc) X(buf) X(cfg) X(wq) X(timer) X(perf) X(asok)

#define COMMON_TEST_DECL(name) int test_##name##_run(void);
COMMON_TEST_GROUPS(COMMON_TEST_DECL)
#undef COMMON_TEST_DECL

#endif
