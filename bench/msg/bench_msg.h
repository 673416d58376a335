/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/msg/bench_msg.h - shared pieces of the messenger benchmark. */
#ifndef SEPIA_BENCH_MSG_H
#define SEPIA_BENCH_MSG_H
#include <stdint.h>

#define BULK_SIZE      (4u << 20)
#define SMALL_SIZE     64
#define SMALL_INFLIGHT 16

double bench_now(void);
/* Plain blocking-socket anchors over loopback. Each returns its figure:
 * bulk MB/s; small round trips/s with `inflight` outstanding; latency us. */
double plain_bulk(double seconds);
double plain_pingpong(double seconds, unsigned inflight);

#endif
