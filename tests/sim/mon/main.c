/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/mon/main.c - runs seeded consensus schedules for 3 and 5 monitors
 * and prints the seed of any that breaks an invariant, with its replay line.
 *
 *   sim_mon [--seeds N] [--first SEED] [--seed SEED] [--nodes 3|5]
 *           [--fault-ms MS] [--no-membership] [--verbose]
 * SEPIA_SIM_SEED=SEED replays one seed, like --seed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "sim.h"

struct args {
	uint64_t seeds, first;
	bool one;
	uint32_t nodes; /* 0: both 3 and 5 */
	struct sim_opts o;
};

static int usage(void)
{
	fprintf(stderr, "usage: sim_mon [--seeds N] [--first SEED] [--seed SEED] [--nodes 3|5]"
	                " [--fault-ms MS] [--no-membership] [--verbose]\n");
	return 2;
}

static int parse(int argc, char **argv, struct args *a)
{
	const char *env = getenv("SEPIA_SIM_SEED");
	a->seeds = 1000;
	a->first = (uint64_t)time(NULL) * 1000003u;
	a->o = (struct sim_opts){ .fault_ms = 2000, .quiet_ms = 3000, .membership = true };
	if (env && *env) {
		a->first = strtoull(env, NULL, 0);
		a->one = true;
	}
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--verbose")) {
			a->o.verbose = true;
		} else if (!strcmp(argv[i], "--no-membership")) {
			a->o.membership = false;
		} else if (!v) {
			return -1;
		} else if (!strcmp(argv[i], "--seeds")) {
			a->seeds = strtoull(v, NULL, 0), i++;
		} else if (!strcmp(argv[i], "--first")) {
			a->first = strtoull(v, NULL, 0), i++;
		} else if (!strcmp(argv[i], "--seed")) {
			a->first = strtoull(v, NULL, 0), a->one = true, i++;
		} else if (!strcmp(argv[i], "--nodes")) {
			a->nodes = (uint32_t)strtoul(v, NULL, 0), i++;
		} else if (!strcmp(argv[i], "--fault-ms")) {
			a->o.fault_ms = strtoull(v, NULL, 0), i++;
		} else {
			return -1;
		}
	}
	if (a->one)
		a->seeds = 1;
	return a->nodes == 0 || a->nodes == 3 || a->nodes == 5 ? 0 : -1;
}

static int run_one(struct args *a, uint64_t seed, uint32_t nodes, uint64_t totals[4])
{
	struct sim s;
	a->o.nodes = nodes;
	int rc = sim_run(seed, &a->o, &s);
	if (rc < 0) {
		printf("sim_mon: FAIL seed %" PRIu64 " nodes %u at t=%" PRIu64 " ms step %" PRIu64
		       ": %s\n  replay: sim_mon --nodes %u --seed %" PRIu64 "%s --verbose\n",
		       seed, nodes, s.now, s.steps, s.failure, nodes, seed,
		       a->o.membership ? "" : " --no-membership");
	}
	totals[0] += s.steps;
	totals[1] += s.stats_acks;
	totals[2] += s.stats_reads;
	totals[3] += s.stats_elections;
	sim_fini(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	uint64_t totals[4] = { 0 };
	int failed = 0;
	clock_t t0 = clock();

	if (parse(argc, argv, &a) < 0)
		return usage();
	log_set_all_levels(a.o.verbose ? LOG_LVL_INFO : LOG_LVL_NONE);
	printf("sim_mon: %" PRIu64 " seed(s) from %" PRIu64 " (replay one: --seed S)\n", a.seeds,
	       a.first);
	fflush(stdout);
	for (uint64_t i = 0; i < a.seeds; i++) {
		uint64_t seed = a.first + i;
		if (a.nodes != 5 && run_one(&a, seed, 3, totals) < 0)
			failed++;
		if (a.nodes != 3 && run_one(&a, seed, 5, totals) < 0)
			failed++;
	}
	printf("sim_mon: %d failed; %" PRIu64 " steps, %" PRIu64 " acked writes, %" PRIu64
	       " lease reads, %" PRIu64 " elections, %.1f s cpu\n",
	       failed, totals[0], totals[1], totals[2], totals[3],
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	return failed ? 1 : 0;
}
