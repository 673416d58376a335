/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/tests.h - the groups of unit_msg; each test_<name>.c
 * defines int test_<name>_run(void) returning cmocka's failure count. */
#ifndef SEPIA_TESTS_UNIT_MSG_H
#define SEPIA_TESTS_UNIT_MSG_H

#define MSG_TEST_GROUPS(X) X(entity) X(wire) X(parser) X(session) X(registry) X(loop) X(stress)

#define MSG_TEST_DECL(name) int test_##name##_run(void);
MSG_TEST_GROUPS(MSG_TEST_DECL)
#undef MSG_TEST_DECL

#endif
