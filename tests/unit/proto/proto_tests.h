/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/proto/proto_tests.h - the test groups of unit_proto. */
#ifndef SEPIA_TESTS_PROTO_TESTS_H
#define SEPIA_TESTS_PROTO_TESTS_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

int run_osd_proto_tests(void);
int run_txn_codec_tests(void);

#endif
