/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/msg_test_util.h - endpoints for messenger tests: a
 * messenger plus a dispatcher that checks per-source ordering of pings. */
#ifndef SEPIA_TESTS_MSG_UTIL_H
#define SEPIA_TESTS_MSG_UTIL_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "msg/msg.h"

#define TEP_MAX_SRC 64

struct tep {
	struct msg_messenger *m;
	struct msg_registry *reg;
	struct msg_addr addr;
	bool fast;                              /* fast dispatch on the worker */
	bool reply;                             /* echo every ping back */
	atomic_uint_fast64_t next[TEP_MAX_SRC]; /* next counter expected per src */
	atomic_uint_fast64_t recv, errors, connects, accepts, resets, remote_resets;
	atomic_uint_fast64_t data_bytes;
	unsigned sleep_us; /* slow handler, for throttle tests */
};

/* Creates and starts an endpoint named name, listening on 127.0.0.1:port
 * (0 = any) unless listen is false. opts NULL = test defaults. */
int tep_start(struct tep *t, const char *name, const struct msg_opts *opts, bool listen,
              uint16_t port);
void tep_stop(struct tep *t);
void tep_test_opts(struct msg_opts *o);
/* Polls cond every millisecond for up to ms; true if it came true. */
bool tep_wait(bool (*cond)(void *), void *arg, unsigned ms);
bool tep_wait_count(atomic_uint_fast64_t *v, uint64_t want, unsigned ms);
int tep_send_ping(struct msg_conn *c, uint32_t src, uint64_t counter);

#endif
