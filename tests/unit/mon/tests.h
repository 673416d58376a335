/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mon/tests.h - the cmocka groups of unit_mon, one per file. */
#ifndef SEPIA_TESTS_UNIT_MON_TESTS_H
#define SEPIA_TESTS_UNIT_MON_TESTS_H

#define MON_TEST_GROUPS(X) X(raft) X(raft_msg) X(mon_store)

#define MON_TEST_DECL(name) int test_##name##_run(void);
MON_TEST_GROUPS(MON_TEST_DECL)
#undef MON_TEST_DECL

#endif /* SEPIA_TESTS_UNIT_MON_TESTS_H */
