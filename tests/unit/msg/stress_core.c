/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/stress_core.c - N lossless endpoints exchange numbered
 * pings all-to-all from one sender thread each, under injected socket
 * failures; receivers check that each source's numbers arrive exactly once
 * and in order (even endpoints dispatch inline, odd ones through the
 * dispatch queue). Lossy clients hammer endpoint 0 meanwhile and must be
 * told about their failed connections, then reconnect. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg_test_util.h"
#include "stress_core.h"

struct sender {
	pthread_t th;
	const struct stress_cfg *cfg;
	struct tep *eps;
	unsigned idx;
	uint64_t per_pair;
	int rc;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	unsigned n = s->cfg->endpoints;
	struct msg_conn *conns[TEP_MAX_SRC] = { 0 };
	char name[32];

	for (unsigned j = 0; j < n; j++) {
		struct msg_entity e;

		if (j == s->idx)
			continue;
		snprintf(name, sizeof(name), "osd.%u", j);
		msg_entity_parse(name, &e);
		if ((s->rc = msg_connect(s->eps[s->idx].m, &e, &s->eps[j].addr,
		                         MSG_POLICY_LOSSLESS_PEER, &conns[j])))
			return NULL;
	}
	for (uint64_t k = 0; k < s->per_pair; k++) {
		for (unsigned j = 0; j < n; j++) {
			if (j == s->idx)
				continue;
			while (msg_conn_queued(conns[j]) >= s->cfg->window)
				usleep(50);
			if ((s->rc = tep_send_ping(conns[j], s->idx, k)))
				goto out;
		}
	}
out:
	for (unsigned j = 0; j < n; j++)
		msg_conn_put(conns[j]);
	return NULL;
}

struct lossy {
	pthread_t th;
	struct tep cli;
	struct tep *target;
	atomic_bool stop;
	uint64_t sent;
	unsigned idx;
};

/* Lossy traffic is not ordered across reconnects: flag 1 exempts it. */
static int lossy_ping(struct msg_conn *c, uint64_t counter)
{
	struct msg_ping *p;
	int rc = msg_ping_create(0, counter, &p);

	if (rc)
		return rc;
	p->flags = 1;
	return msg_send(c, &p->m);
}

static void *lossy_main(void *arg)
{
	struct lossy *l = arg;
	struct msg_entity e;
	struct msg_conn *c = NULL;

	msg_entity_parse("osd.0", &e);
	while (!atomic_load(&l->stop)) {
		if (!c && msg_connect(l->cli.m, &e, &l->target->addr, MSG_POLICY_LOSSY, &c))
			break;
		if (msg_conn_queued(c) < 64 && lossy_ping(c, l->sent) == -ENOTCONN) {
			msg_conn_put(c); /* failed: the owner was told; dial again */
			c = NULL;
			continue;
		}
		l->sent++;
		usleep(20);
	}
	msg_conn_put(c);
	return NULL;
}

static uint64_t sum_recv(struct tep *eps, unsigned n)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < n; i++)
		s += atomic_load(&eps[i].recv);
	return s;
}

static int start_all(const struct stress_cfg *cfg, struct tep *eps, struct lossy *ls)
{
	struct msg_opts o;
	char name[32];
	int rc;

	tep_test_opts(&o);
	o.inject_socket_failures = cfg->inject;
	o.seed = cfg->seed;
	o.workers = 2;
	for (unsigned i = 0; i < cfg->endpoints; i++) {
		snprintf(name, sizeof(name), "osd.%u", i);
		eps[i].fast = (i % 2) == 0;
		if ((rc = tep_start(&eps[i], name, &o, true, 0)))
			return rc;
	}
	o.workers = 1;
	for (unsigned i = 0; i < cfg->lossy_clients; i++) {
		snprintf(name, sizeof(name), "client.%u", 1000 + i);
		ls[i].target = &eps[0];
		if ((rc = tep_start(&ls[i].cli, name, &o, false, 0)))
			return rc;
		pthread_create(&ls[i].th, NULL, lossy_main, &ls[i]);
	}
	return 0;
}

static void collect(const struct stress_cfg *cfg, struct tep *eps, struct lossy *ls,
                    struct stress_result *r)
{
	struct msg_stats st;

	for (unsigned i = 0; i < cfg->endpoints; i++) {
		msg_messenger_stats(eps[i].m, &st);
		r->injected += st.injected_failures;
		r->reconnects += st.reconnects;
		r->dups += st.dup_dropped;
		r->order_errors += atomic_load(&eps[i].errors);
		r->remote_resets += atomic_load(&eps[i].remote_resets);
	}
	for (unsigned i = 0; i < cfg->lossy_clients; i++) {
		msg_messenger_stats(ls[i].cli.m, &st);
		r->injected += st.injected_failures;
		r->lossy_resets += atomic_load(&ls[i].cli.resets);
		r->lossy_sent += ls[i].sent;
	}
	r->delivered = sum_recv(eps, cfg->endpoints);
}

int stress_run(const struct stress_cfg *cfg, struct stress_result *res)
{
	static struct tep eps[TEP_MAX_SRC];
	static struct lossy ls[8];
	struct sender snd[TEP_MAX_SRC];
	unsigned n = cfg->endpoints;
	uint64_t pairs = (uint64_t)n * (n - 1), want;
	double t0 = now_s();
	int rc;

	if (n < 2 || n > TEP_MAX_SRC || cfg->lossy_clients > 8)
		return -EINVAL;
	memset(eps, 0, sizeof(eps));
	memset(ls, 0, sizeof(ls));
	memset(res, 0, sizeof(*res));
	want = (cfg->total + pairs - 1) / pairs * pairs;
	rc = start_all(cfg, eps, ls);
	for (unsigned i = 0; i < n && !rc; i++) {
		snd[i] =
		    (struct sender){ .cfg = cfg, .eps = eps, .idx = i, .per_pair = want / pairs };
		pthread_create(&snd[i].th, NULL, sender_main, &snd[i]);
	}
	while (!rc && sum_recv(eps, n) < want && now_s() - t0 < cfg->timeout_s)
		usleep(10000);
	res->seconds = now_s() - t0;
	for (unsigned i = 0; i < n && !rc; i++) {
		pthread_join(snd[i].th, NULL);
		rc = snd[i].rc;
	}
	for (unsigned i = 0; i < cfg->lossy_clients; i++) {
		atomic_store(&ls[i].stop, true);
		if (ls[i].cli.m)
			pthread_join(ls[i].th, NULL);
	}
	usleep(100000); /* let stragglers (duplicates would show up here) arrive */
	collect(cfg, eps, ls, res);
	for (unsigned i = 0; i < cfg->lossy_clients; i++)
		if (ls[i].cli.m)
			tep_stop(&ls[i].cli);
	for (unsigned i = 0; i < n; i++)
		if (eps[i].m)
			tep_stop(&eps[i]);
	if (rc)
		return rc;
	if (res->delivered != want)
		return res->delivered < want ? -ETIMEDOUT : -EIO;
	if (res->order_errors || res->remote_resets)
		return -EIO;
	if (cfg->inject && cfg->lossy_clients && res->lossy_resets == 0)
		return -EIO;
	return 0;
}
