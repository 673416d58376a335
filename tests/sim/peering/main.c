/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/main.c - runs seeded peering simulations and prints the
 * seed of any that breaks an invariant, with its replay line.
 *
 *   sim_peering [--seeds N] [--first SEED] [--seed SEED] [--steps M] [--verbose]
 *               [--full-history] (old model: every OSD holds every PG since its
 *                                 creation and replays maps from there)
 *               [--short-log]    (log_max 2..5, log_keep 1: trims nearly every write)
 *               [--corpus DIR]   (writes one message of each type: fuzz seeds)
 *   sim_peering --scenario NAME|all [--verbose]   (scripted runs: sim_scenario.c)
 * SEPIA_SIM_SEED=SEED replays one seed, like --seed. Without --first or
 * --seed the seeds start at a value derived from the clock (printed first):
 * manual runs only, ctest always passes a fixed range. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

struct args {
	uint64_t seeds, first;
	bool one;
	const char *scenario; /* a name, or "all" */
	struct sim_opts o;
};

static int usage(void)
{
	fprintf(stderr, "usage: sim_peering [--seeds N] [--first SEED] [--seed SEED]"
	                " [--steps M] [--verbose] [--full-history] [--short-log]\n"
	                "       [--corpus DIR]\n"
	                "       sim_peering --scenario NAME|all [--verbose]\n");
	return 2;
}

static int parse(int argc, char **argv, struct args *a)
{
	const char *env = getenv("SEPIA_SIM_SEED");
	a->seeds = 100;
	a->first = (uint64_t)time(NULL) * 1000003u;
	a->o = (struct sim_opts){ .steps = 4000 };
	if (env && *env) {
		a->first = strtoull(env, NULL, 0);
		a->one = true;
	}
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--verbose")) {
			a->o.verbose = true;
		} else if (!strcmp(argv[i], "--full-history")) {
			a->o.full_history = true;
		} else if (!strcmp(argv[i], "--short-log")) {
			a->o.short_log = true;
		} else if (!v) {
			return -1;
		} else if (!strcmp(argv[i], "--seeds")) {
			a->seeds = strtoull(v, NULL, 0), i++;
		} else if (!strcmp(argv[i], "--first")) {
			a->first = strtoull(v, NULL, 0), i++;
		} else if (!strcmp(argv[i], "--seed")) {
			a->first = strtoull(v, NULL, 0), a->one = true, i++;
		} else if (!strcmp(argv[i], "--scenario")) {
			a->scenario = v, i++;
		} else if (!strcmp(argv[i], "--corpus")) {
			a->o.corpus = v, i++;
		} else if (!strcmp(argv[i], "--steps")) {
			a->o.steps = strtoull(v, NULL, 0), i++;
		} else {
			return -1;
		}
	}
	if (a->one)
		a->seeds = 1;
	return 0;
}

static int run_scenarios(const struct args *a)
{
	int failed = 0;
	for (size_t i = 0; sim_scenarios[i]; i++) {
		struct sim s;
		const char *name = sim_scenarios[i];
		if (strcmp(a->scenario, "all") && strcmp(a->scenario, name))
			continue;
		int rc = sim_scenario(name, &a->o, &s);
		printf("sim_peering: scenario %s: %s at t=%" PRIu64 " ms, %" PRIu64
		       " steps, %" PRIu64 " acked writes, %" PRIu64 " histories learned%s%s\n",
		       name, rc < 0 ? "FAIL" : "ok", s.now, s.steps, s.stats_acks, s.stats_learned,
		       rc < 0 ? ": " : "", rc < 0 ? s.failure : "");
		failed += rc < 0;
		sim_fini(&s);
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	uint64_t totals[11] = { 0 };
	int failed = 0;
	clock_t t0 = clock();

	if (parse(argc, argv, &a) < 0)
		return usage();
	if (a.scenario)
		return run_scenarios(&a);
	printf("sim_peering: %" PRIu64 " seed(s) from %" PRIu64 ", %" PRIu64
	       " faulty steps each (replay one: --seed S --steps M)\n",
	       a.seeds, a.first, a.o.steps);
	fflush(stdout);
	for (uint64_t i = 0; i < a.seeds; i++) {
		uint64_t seed = a.first + i;
		struct sim s;
		if (sim_run(seed, &a.o, &s) < 0) {
			failed++;
			printf("sim_peering: FAIL seed %" PRIu64 " at t=%" PRIu64
			       " ms step %" PRIu64 ": %s\n  replay: sim_peering --seed %" PRIu64
			       " --steps %" PRIu64 "%s%s --verbose\n",
			       seed, s.now, s.steps, s.failure, seed, a.o.steps,
			       a.o.full_history ? " --full-history" : "",
			       a.o.short_log ? " --short-log" : "");
			fflush(stdout);
		}
		totals[0] += s.steps;
		totals[1] += s.stats_acks;
		totals[2] += s.stats_reads;
		totals[3] += s.stats_pushes;
		totals[4] += s.stats_crashes;
		totals[5] += s.stats_epochs;
		totals[6] += s.stats_enomem;
		totals[7] += s.stats_learned;
		totals[8] += s.stats_probes;
		totals[9] += s.stats_trims;
		totals[10] += s.stats_trims_cur;
		sim_fini(&s);
	}
	printf("sim_peering: %d failed; %" PRIu64 " steps, %" PRIu64 " acked writes, %" PRIu64
	       " reads, %" PRIu64 " pushes, %" PRIu64 " crashes, %" PRIu64 " map epochs, %" PRIu64
	       " injected ENOMEM, %" PRIu64 " histories learned, %" PRIu64
	       " asked every up OSD, %" PRIu64 " log trims (%" PRIu64
	       " into the interval), %.1f s cpu\n",
	       failed, totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6],
	       totals[7], totals[8], totals[9], totals[10],
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	return failed ? 1 : 0;
}
