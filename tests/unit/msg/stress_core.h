/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/stress_core.h - the messenger stress run, shared by the
 * stress executable (a million messages) and unit_msg (a small count). */
#ifndef SEPIA_TESTS_MSG_STRESS_H
#define SEPIA_TESTS_MSG_STRESS_H
#include <stdint.h>

struct stress_cfg {
	unsigned endpoints;     /* lossless peers, all-to-all */
	uint64_t total;         /* numbered messages over all ordered pairs */
	int64_t inject;         /* ms_inject_socket_failures */
	unsigned window;        /* unacked messages per connection */
	unsigned lossy_clients; /* lossy clients that must see resets */
	unsigned timeout_s;
	uint64_t seed;
};

struct stress_result {
	uint64_t delivered, order_errors, injected, reconnects, dups, lossy_resets;
	uint64_t lossy_sent, remote_resets;
	double seconds;
};

/* 0 when every lossless message arrived exactly once and in order (and
 * lossy clients saw failures when injection is on), else -EIO/-ETIMEDOUT. */
int stress_run(const struct stress_cfg *cfg, struct stress_result *res);

#endif
