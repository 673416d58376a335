/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/main.c - sepia-mon: the monitor daemon's entry point, an init table
 * of named steps undone in reverse (common/daemon.h). */
#include <stdio.h>

#include "common/daemon.h"
#include "common/perf.h"
#include "mon/mon.h"

static const struct perf_def mon_counters[MON_P_COUNT] = {
	[MON_P_PROPOSALS] = { "proposals", PERF_COUNTER, 0,
	                      "log entries this monitor proposed as leader" },
	[MON_P_APPLIED] = { "applied", PERF_COUNTER, 0, "committed log entries applied" },
	[MON_P_COMMANDS] = { "commands", PERF_COUNTER, 0, "commands executed" },
	[MON_P_FORWARDED] = { "forwarded", PERF_COUNTER, 0, "commands forwarded to the leader" },
	[MON_P_BATCHES] = { "batches", PERF_COUNTER, 0, "synced store batches" },
	[MON_P_ELECTIONS] = { "elections_won", PERF_COUNTER, 0,
	                      "times this monitor became leader" },
};

/* The monitor's perf counters ("mon" in `perf dump`). */
static int mon_step_counters(struct daemon *d)
{
	struct mon *m = mon_of(d);

	return perf_coll_create(d->perf, "mon", mon_counters, MON_P_COUNT, &m->pc);
}

static void mon_unstep_counters(struct daemon *d)
{
	struct mon *m = mon_of(d);

	perf_coll_destroy(m->pc);
	m->pc = NULL;
}

static void mon_usage(const char *prog)
{
	printf("\n%s keeps the cluster maps consistent across 1, 3 or 5 monitors.\n"
	       "  --mkfs          create the monitor store in mon_data from fsid and\n"
	       "                  mon_host / mon_initial_members, then exit\n"
	       "  --monmap FILE   with --mkfs: join an existing cluster whose MonMap\n"
	       "                  (sepia mon add, then sepia mon getmap -o FILE) names us\n"
	       "Example: %s --mkfs -i a -c /etc/sepia/sepia.conf && %s -i a -c ...\n",
	       prog, prog, prog);
}

int main(int argc, char **argv)
{
	static const struct daemon_step steps[] = {
		{ "event loop", daemon_step_loop, daemon_unstep_loop },
		{ "configuration", daemon_step_config, daemon_unstep_config },
		{ "arguments", mon_step_args, NULL },
		{ "logging", daemon_step_log, daemon_unstep_log },
		{ "pid file", daemon_step_pidfile, daemon_unstep_pidfile },
		{ "store", mon_step_store, mon_unstep_store },
		{ "perf counters", daemon_step_perf, daemon_unstep_perf },
		{ "mon counters", mon_step_counters, mon_unstep_counters },
		{ "admin socket", daemon_step_asok, daemon_unstep_asok },
		{ "consensus", mon_step_consensus, mon_unstep_consensus },
		{ "messenger", mon_step_net, mon_unstep_net },
		{ "monitor commands", mon_step_asok, mon_unstep_asok },
		{ "signals", daemon_step_signals, daemon_unstep_signals },
	};
	struct mon mon = {
		.d = { .prog = "sepia-mon",
		       .type = CFG_D_MON,
		       .default_id = "a",
		       .usage = mon_usage },
	};

	mon.d.argc = argc;
	mon.d.argv = argv;
	return daemon_main(&mon.d, steps, sizeof(steps) / sizeof(steps[0]));
}
