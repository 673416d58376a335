/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/integration/testd/sepia_testd.c - a tiny daemon for integration
 * tests of the daemon frame: config, logging, pid file, perf counters,
 * admin socket with two commands of its own, a tick timer, signals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/asok.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/perf.h"
#include "common/timer.h"

enum { TESTD_TICKS, TESTD_COUNTER, TESTD_NCOUNTERS };

static const struct perf_def testd_counters[TESTD_NCOUNTERS] = {
	[TESTD_TICKS] = { "ticks", PERF_COUNTER, 0, "timer ticks since start" },
	[TESTD_COUNTER] = { "counter", PERF_COUNTER, 0, "sum of 'counter inc' amounts" },
};

struct testd {
	struct daemon d; /* first: steps get &testd.d */
	struct perf_coll *pc;
	struct tmr *tick;
};

static struct testd *testd_of(struct daemon *d)
{
	return (struct testd *)(void *)d;
}

static int cmd_echo(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)arg;
	(void)req;
	*result = json_deep_copy(args);
	return *result ? 0 : -ENOMEM;
}

static int cmd_counter_inc(void *arg, json_t *args, json_t *req, json_t **result)
{
	struct testd *t = arg;
	const char *word = json_string_value(json_array_get(args, 0));
	char *end;
	long long n;

	(void)req;
	if (!word || json_array_size(args) != 1) {
		*result = json_string("usage: counter inc N");
		return -EINVAL;
	}
	n = strtoll(word, &end, 10);
	if (*end || n < 0) {
		*result = json_string("N must be a non-negative integer");
		return -EINVAL;
	}
	perf_inc(t->pc, TESTD_COUNTER, (uint64_t)n);
	*result = json_pack("{s:I}", "counter", (json_int_t)perf_get(t->pc, TESTD_COUNTER));
	return 0;
}

static void on_tick(struct tmr *tm, void *arg)
{
	struct testd *t = arg;

	(void)tm;
	perf_inc(t->pc, TESTD_TICKS, 1);
	log_debug(test, "tick %llu", (unsigned long long)perf_get(t->pc, TESTD_TICKS));
}

static int testd_start(struct daemon *d)
{
	struct testd *t = testd_of(d);
	int rc;

	rc = perf_coll_create(d->perf, "testd", testd_counters, TESTD_NCOUNTERS, &t->pc);
	if (rc == 0 && d->asok)
		rc =
		    asok_register(d->asok, "echo", "echo WORDS...: returns the words", cmd_echo, t);
	if (rc == 0 && d->asok)
		rc = asok_register(d->asok, "counter inc", "counter inc N: add N to 'counter'",
		                   cmd_counter_inc, t);
	if (rc == 0)
		rc = tmr_create(&d->loop, &t->tick);
	if (rc == 0)
		rc = tmr_start(t->tick, 100, 100, on_tick, t);
	if (rc == 0)
		log_info(test, "testd ready");
	return rc;
}

static void testd_stop(struct daemon *d)
{
	struct testd *t = testd_of(d);

	tmr_destroy(t->tick);
	if (d->asok) {
		asok_unregister(d->asok, "echo");
		asok_unregister(d->asok, "counter inc");
	}
	perf_coll_destroy(t->pc);
}

static void testd_usage(const char *prog)
{
	(void)prog;
	printf("\nsepia-testd answers 'echo WORDS...' and 'counter inc N' on its admin\n"
	       "socket and counts timer ticks in perf counter testd.ticks.\n");
}

int main(int argc, char **argv)
{
	static const struct daemon_step steps[] = {
		{ "event loop", daemon_step_loop, daemon_unstep_loop },
		{ "configuration", daemon_step_config, daemon_unstep_config },
		{ "logging", daemon_step_log, daemon_unstep_log },
		{ "pid file", daemon_step_pidfile, daemon_unstep_pidfile },
		{ "perf counters", daemon_step_perf, daemon_unstep_perf },
		{ "admin socket", daemon_step_asok, daemon_unstep_asok },
		{ "signals", daemon_step_signals, daemon_unstep_signals },
		{ "testd", testd_start, testd_stop },
	};
	struct testd t = {
		.d = { .prog = "sepia-testd",
		       .type = CFG_D_CLIENT,
		       .default_id = "testd",
		       .usage = testd_usage,
		       .argc = argc,
		       .argv = argv },
	};

	return daemon_main(&t.d, steps, sizeof(steps) / sizeof(steps[0]));
}
