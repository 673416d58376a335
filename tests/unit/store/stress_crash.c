/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/stress_crash.c - stress_store_crash: hundreds of SIGKILLs
 * of a child running random transactions, each followed by reopen, full
 * verification and a deep fsck. Usage: stress_store_crash [kills [seed]]. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "util.h"

int main(int argc, char **argv)
{
	unsigned kills = argc > 1 ? (unsigned)atoi(argv[1]) : 300;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	char dir[] = "/tmp/sepia-store-XXXXXX";
	uint64_t checked = 0;
	int rc;

	log_set_level(LOG_SUB_store, LOG_LVL_WARN); /* replay notices are expected */
	if (!mkdtemp(dir))
		return 1;
	rm_rf(dir);
	crash_mkfs(dir);
	printf("stress_store_crash: %u kills, seed %llu\n", kills, (unsigned long long)seed);
	rc = crash_loop(dir, kills, seed, &checked);
	printf("stress_store_crash: %s, %u kills, %llu transaction states verified\n",
	       rc == 0 ? "ok" : "FAILED", kills, (unsigned long long)checked);
	rm_rf(dir);
	return rc == 0 ? 0 : 1;
}
