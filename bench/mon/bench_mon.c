/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/mon/bench_mon.c - load generator for the monitors: sends --ops
 * commands through the monitor client, --depth of them in flight, and
 * prints one JSON line with the rate and latency percentiles.
 *   sepia-bench-mon -c CONF --ops N --depth D --kind write|read|pool
 * write: `config set global mon_lease X` (one committed key/value update
 * each); pool: `osd pool set bench min_size 1|2` (one OSD map epoch each;
 * the pool must exist); read: `osd stat` (served under a read lease). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/timer.h"
#include "monc/monc.h"

struct bench {
	struct cfg *cfg;
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	struct monc *monc;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;
	long ops, sent, done, errors, depth;
	const char *kind;
	uint64_t *lat_ns, *start_ns;
};

static void on_message(struct msg *m, void *arg)
{
	struct bench *b = arg;

	if (!b->monc || !monc_handle_message(b->monc, m))
		msg_put(m);
}

static void on_reset(struct msg_conn *c, void *arg)
{
	struct bench *b = arg;

	if (b->monc)
		monc_handle_reset(b->monc, c);
}

static void issue(struct bench *b);

static void on_reply(int rc, const char *status, const void *out, size_t out_len, void *arg)
{
	struct bench *b = *(struct bench **)arg;
	long i = (long)((void **)arg)[1];

	(void)status;
	(void)out;
	(void)out_len;
	free(arg);
	pthread_mutex_lock(&b->lock);
	b->lat_ns[i] = tmr_now_ns() - b->start_ns[i];
	b->done++;
	b->errors += rc != 0;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* Sends the next command; call with lock held. */
static void issue(struct bench *b)
{
	char cmd[256];
	long i = b->sent++;
	void **arg = malloc(2 * sizeof(void *));

	if (strcmp(b->kind, "read") == 0)
		snprintf(cmd, sizeof(cmd), "{\"cmd\": [\"osd\", \"stat\"], \"format\": \"json\"}");
	else if (strcmp(b->kind, "pool") == 0)
		snprintf(cmd, sizeof(cmd),
		         "{\"cmd\": [\"osd\", \"pool\", \"set\", \"bench\", "
		         "\"min_size\", \"%ld\"], \"format\": \"plain\"}",
		         1 + (i % 2));
	else
		snprintf(cmd, sizeof(cmd),
		         "{\"cmd\": [\"config\", \"set\", \"global\", "
		         "\"mon_lease\", \"%ld\"], \"format\": \"plain\"}",
		         5 + (i % 50));
	arg[0] = b;
	arg[1] = (void *)i;
	b->start_ns[i] = tmr_now_ns();
	pthread_mutex_unlock(&b->lock);
	if (monc_command(b->monc, cmd, NULL, 0, on_reply, arg) < 0) {
		free(arg);
		pthread_mutex_lock(&b->lock);
		b->done++;
		b->errors++;
		return;
	}
	pthread_mutex_lock(&b->lock);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return a < c ? -1 : a > c;
}

static int start(struct bench *b, int argc, char **argv)
{
	struct msg_dispatcher d = { .dispatch = on_message, .handle_reset = on_reset, .arg = b };
	static const uint8_t nofsid[16];
	struct msg_entity me;
	struct msg_opts o;
	struct monmap mons;
	int rc = cfg_create(CFG_D_CLIENT, "bench", &b->cfg);

	if (rc == 0)
		rc = cfg_parse_argv(b->cfg, &argc, argv);
	if (rc == 0)
		rc = cfg_load(b->cfg);
	monmap_init(&mons, nofsid);
	if (rc == 0)
		rc = monmap_parse_hosts(&mons, cfg_str(b->cfg, CFG_KEY_mon_host));
	if (rc == 0)
		rc = msg_entity_set(&me, MSG_ENTITY_CLIENT, "4242");
	if (rc == 0)
		rc = msg_opts_load(b->cfg, &o);
	if (rc == 0)
		rc = msg_registry_create(&b->reg);
	if (rc == 0)
		rc = mon_proto_register(b->reg);
	if (rc == 0)
		rc = msg_messenger_create(&me, &o, b->reg, &d, &b->msgr);
	if (rc == 0)
		rc = msg_messenger_start(b->msgr);
	if (rc == 0)
		rc = monc_create(b->msgr, &mons, &b->monc);
	return rc == 0 ? monc_start(b->monc) : rc;
}

static void parse_opts(struct bench *b, int *argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (i + 1 < *argc && strcmp(argv[i], "--ops") == 0)
			b->ops = atol(argv[++i]);
		else if (i + 1 < *argc && strcmp(argv[i], "--depth") == 0)
			b->depth = atol(argv[++i]);
		else if (i + 1 < *argc && strcmp(argv[i], "--kind") == 0)
			b->kind = argv[++i];
		else
			argv[out++] = argv[i];
	}
	*argc = out;
}

int main(int argc, char **argv)
{
	struct bench b = { .ops = 1000, .depth = 1, .kind = "write" };
	uint64_t t0, t1;

	parse_opts(&b, &argc, argv);
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	b.lat_ns = calloc((size_t)b.ops, sizeof(uint64_t));
	b.start_ns = calloc((size_t)b.ops, sizeof(uint64_t));
	log_set_level(LOG_SUB_msg, LOG_LVL_NONE);
	if (!b.lat_ns || !b.start_ns || start(&b, argc, argv) < 0) {
		fprintf(stderr, "sepia-bench-mon: cannot start\n");
		return 1;
	}
	t0 = tmr_now_ns();
	pthread_mutex_lock(&b.lock);
	while (b.done < b.ops) {
		while (b.sent < b.ops && b.sent - b.done < b.depth)
			issue(&b);
		pthread_cond_wait(&b.cond, &b.lock);
	}
	pthread_mutex_unlock(&b.lock);
	t1 = tmr_now_ns();
	qsort(b.lat_ns, (size_t)b.ops, sizeof(uint64_t), cmp_u64);
	printf("{\"kind\": \"%s\", \"ops\": %ld, \"depth\": %ld, \"errors\": %ld, \"secs\": %.3f, "
	       "\"ops_per_sec\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
	       b.kind, b.ops, b.depth, b.errors, (t1 - t0) / 1e9, b.ops / ((t1 - t0) / 1e9),
	       b.lat_ns[b.ops / 2] / 1e6, b.lat_ns[b.ops * 99 / 100] / 1e6);
	msg_messenger_destroy(b.msgr);
	monc_destroy(b.monc);
	msg_registry_destroy(b.reg);
	cfg_destroy(b.cfg);
	return b.errors ? 2 : 0;
}
