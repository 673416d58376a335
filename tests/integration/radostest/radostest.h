/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/integration/radostest/radostest.h - what the radostest command
 * files share: the open cluster and pool, and the checks that end the
 * program with a message naming the line that failed. */
#ifndef SEPIA_TESTS_RADOSTEST_H
#define SEPIA_TESTS_RADOSTEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rados/librados.h"

struct rtest {
	rados_t cluster;
	rados_ioctx_t io;
	const char *pool;
	const char *conf;
};

/* A command: argv[0] is its name. Returns 0; failed checks exit(1). */
typedef int rtest_cmd_fn(struct rtest *t, int argc, char **argv);

/* Ends the program with "radostest: FAILED line N: what: detail". */
void rtest_fail(int line, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void rtest_check_rc(int line, const char *what, long got, long want);

#define CHECK(cond)                                              \
	do {                                                     \
		if (!(cond))                                     \
			rtest_fail(__LINE__, #cond, "not true"); \
	} while (0)
#define CHECK_RC(expr, want) rtest_check_rc(__LINE__, #expr, (long)(expr), (long)(want))

/* Deterministic bytes for (seed, i): what a writer wrote, for a reader. */
void rtest_fill(char *buf, size_t len, uint32_t seed);
/* Reads the whole object (up to cap bytes, caller frees); size in *len. */
int rtest_read_all(rados_ioctx_t io, const char *oid, char **out, size_t *len);

rtest_cmd_fn rtest_cmd_sync, rtest_cmd_aio;        /* radostest.c */
rtest_cmd_fn rtest_cmd_compound, rtest_cmd_atomic; /* radostest_ops.c */
rtest_cmd_fn rtest_cmd_concurrent, rtest_cmd_list; /* radostest_ops.c */
rtest_cmd_fn rtest_cmd_appender, rtest_cmd_limits; /* radostest_ops.c */
rtest_cmd_fn rtest_cmd_serve;                      /* radostest_serve.c */

#endif /* SEPIA_TESTS_RADOSTEST_H */
