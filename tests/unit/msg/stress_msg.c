/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/stress_msg.c - the messenger stress test: a million
 * numbered lossless messages with 2 and with 10 endpoints under
 * ms_inject_socket_failures, plus lossy clients that must see resets.
 * Usage: stress_msg [--messages N] [--inject N] [--endpoints a,b] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "stress_core.h"

int main(int argc, char **argv)
{
	struct stress_cfg cfg = { .total = 1000000,
		                  .inject = 300,
		                  .window = 256,
		                  .lossy_clients = 2,
		                  .timeout_s = 280,
		                  .seed = 42 };
	unsigned eps[2] = { 2, 10 };
	int failed = 0;

	log_set_all_levels(LOG_LVL_ERR);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--messages"))
			cfg.total = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--inject"))
			cfg.inject = strtoll(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--endpoints"))
			sscanf(argv[i + 1], "%u,%u", &eps[0], &eps[1]);
	}
	for (int k = 0; k < 2; k++) {
		struct stress_result r;
		int rc;

		cfg.endpoints = eps[k];
		rc = stress_run(&cfg, &r);
		printf("stress_msg: %u endpoints: %s: %llu/%llu lossless messages delivered "
		       "exactly once in order, %llu injected socket failures, %llu reconnects, "
		       "%llu duplicates discarded, %llu lossy resets reported (%llu lossy sent), "
		       "%.1f s (%.0f msg/s)\n",
		       cfg.endpoints, rc ? "FAIL" : "ok", (unsigned long long)r.delivered,
		       (unsigned long long)cfg.total, (unsigned long long)r.injected,
		       (unsigned long long)r.reconnects, (unsigned long long)r.dups,
		       (unsigned long long)r.lossy_resets, (unsigned long long)r.lossy_sent,
		       r.seconds, r.delivered / r.seconds);
		fflush(stdout);
		failed |= rc != 0;
	}
	return failed;
}
