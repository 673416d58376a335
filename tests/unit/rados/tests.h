/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/rados/tests.h - groups of unit_rados and shared helpers. */
#ifndef SEPIA_TESTS_UNIT_RADOS_H
#define SEPIA_TESTS_UNIT_RADOS_H
#include <stddef.h>

struct buf;

int test_build_run(void);
int test_reply_run(void);
int test_objecter_run(void);
int test_client_run(void);

/* A new buf holding a copy of p[0, n). */
struct buf *test_buf(const void *p, size_t n);
/* A buf's contents as a NUL-terminated heap string (free with mem_free). */
char *test_buf_str(const struct buf *b);

#endif
