/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monc/monc.c - the monitor client: hunting, commands, subscriptions.
 *
 * DESIGN
 * State (all under mc->lock, a leaf lock: callbacks and messenger calls
 * that may call back are made with it released, except msg_connect and
 * msg_send, which never call back synchronously):
 *   cur      the lossy connection to monitor cur_rank, or NULL
 *   cmds     pending commands, each sent (again) on every new connection
 *   subs     wanted subscriptions; have[] the newest epoch per map kind
 * Edges:
 *   start / reset of cur / tick finding a stale command -> hunt(): pick a
 *   random other rank, connect, resend cmds and subs.
 *   COMMAND_REPLY with a pending tid -> remove it, run its callback.
 *   MAP -> update have[kind] (and the monmap), run the map callback. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/enc.h"
#include "common/list.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "monc/monc.h"

#define HUNT_DEFAULT_MS 3000
#define KINDS           4 /* index by enum mon_map_kind */

struct monc_cmd {
	struct list_node node;
	uint64_t tid;
	char *cmd;
	uint8_t *in;
	size_t in_len;
	uint64_t sent_ns;
	monc_command_fn *cb;
	void *arg;
};

struct monc {
	pthread_mutex_t lock; /* see DESIGN */
	struct msg_messenger *msgr;
	struct monmap mons;
	struct msg_conn *cur;
	int cur_rank;
	uint64_t hunt_ns, last_hunt_ns;
	uint64_t next_tid;
	struct list_node cmds;
	bool want[KINDS], onetime[KINDS];
	uint32_t start[KINDS], have[KINDS];
	monc_map_fn *map_cb;
	void *map_arg;
	unsigned rng;
};

int monc_create(struct msg_messenger *msgr, const struct monmap *mons, struct monc **out)
{
	struct monc *mc;

	if (!mons || mons->n == 0)
		return -EINVAL;
	mc = mem_calloc(1, sizeof(*mc));
	if (!mc)
		return -ENOMEM;
	pthread_mutex_init(&mc->lock, NULL);
	mc->msgr = msgr;
	mc->mons = *mons;
	mc->cur_rank = -1;
	mc->hunt_ns = HUNT_DEFAULT_MS * 1000000ull;
	mc->next_tid = 1;
	mc->rng = (unsigned)tmr_now_ns() ^ (unsigned)(uintptr_t)mc;
	list_init(&mc->cmds);
	*out = mc;
	return 0;
}

static void cmd_free(struct monc_cmd *c)
{
	mem_free(c->cmd);
	mem_free(c->in);
	mem_free(c);
}

void monc_destroy(struct monc *mc)
{
	struct list_node *n;

	if (!mc)
		return;
	pthread_mutex_lock(&mc->lock);
	if (mc->cur)
		msg_conn_mark_down(mc->cur);
	msg_conn_put(mc->cur);
	mc->cur = NULL;
	pthread_mutex_unlock(&mc->lock);
	while ((n = list_pop_front(&mc->cmds))) {
		struct monc_cmd *c = LIST_CONTAINER(n, struct monc_cmd, node);

		c->cb(-ECANCELED, "monitor client shut down", NULL, 0, c->arg);
		cmd_free(c);
	}
	pthread_mutex_destroy(&mc->lock);
	mem_free(mc);
}

void monc_set_hunt_interval(struct monc *mc, unsigned ms)
{
	pthread_mutex_lock(&mc->lock);
	mc->hunt_ns = (uint64_t)ms * 1000000ull;
	pthread_mutex_unlock(&mc->lock);
}

void monc_set_map_cb(struct monc *mc, monc_map_fn *fn, void *arg)
{
	pthread_mutex_lock(&mc->lock);
	mc->map_cb = fn;
	mc->map_arg = arg;
	pthread_mutex_unlock(&mc->lock);
}

/* --- sending (lock held) -------------------------------------------------- */

static void send_cmd_locked(struct monc *mc, struct monc_cmd *c)
{
	struct mon_msg_command *m;

	c->sent_ns = tmr_now_ns();
	if (!mc->cur || mon_command_create(c->tid, c->cmd, c->in, (uint32_t)c->in_len, &m) < 0)
		return; /* resent by the next hunt */
	msg_send(mc->cur, &m->m);
}

static void send_subs_locked(struct monc *mc)
{
	struct mon_msg_subscribe *s;
	struct msg *m;

	if (!mc->cur || msg_create_typed(&mon_subscribe_ops, &m) < 0)
		return;
	s = (struct mon_msg_subscribe *)(void *)m;
	for (uint8_t k = 1; k < KINDS; k++) {
		if (!mc->want[k])
			continue;
		s->subs[s->n].kind = k;
		s->subs[s->n].start = mc->have[k] ? mc->have[k] + 1 : mc->start[k];
		s->subs[s->n++].onetime = mc->onetime[k];
	}
	if (s->n == 0) {
		msg_put(m);
		return;
	}
	msg_send(mc->cur, m);
}

/* Connects to a random monitor other than the current one. */
static int hunt_locked(struct monc *mc)
{
	struct msg_entity peer;
	struct msg_conn *c;
	struct list_node *n;
	int rank = (int)(rand_r(&mc->rng) % mc->mons.n), rc;

	if (mc->mons.n > 1 && rank == mc->cur_rank)
		rank = (rank + 1 + (int)(rand_r(&mc->rng) % (mc->mons.n - 1))) % (int)mc->mons.n;
	if (mc->cur) {
		msg_conn_mark_down(mc->cur);
		msg_conn_put(mc->cur);
		mc->cur = NULL;
	}
	mc->last_hunt_ns = tmr_now_ns();
	rc = msg_entity_set(&peer, MSG_ENTITY_MON, mc->mons.mons[rank].name);
	if (rc == 0)
		rc = msg_connect(mc->msgr, &peer, &mc->mons.mons[rank].addr, MSG_POLICY_LOSSY, &c);
	if (rc < 0)
		return rc;
	log_debug(rados, "monc: hunting: trying mon.%s", mc->mons.mons[rank].name);
	mc->cur = c;
	mc->cur_rank = rank;
	LIST_FOR_EACH(n, &mc->cmds)
	send_cmd_locked(mc, LIST_CONTAINER(n, struct monc_cmd, node));
	send_subs_locked(mc);
	return 0;
}

int monc_start(struct monc *mc)
{
	int rc;

	pthread_mutex_lock(&mc->lock);
	rc = mc->cur ? 0 : hunt_locked(mc);
	pthread_mutex_unlock(&mc->lock);
	return rc;
}

int monc_current(struct monc *mc)
{
	int r;

	pthread_mutex_lock(&mc->lock);
	r = mc->cur ? mc->cur_rank : -1;
	pthread_mutex_unlock(&mc->lock);
	return r;
}

void monc_tick(struct monc *mc)
{
	uint64_t now = tmr_now_ns();
	bool stale = false;
	struct list_node *n;

	pthread_mutex_lock(&mc->lock);
	LIST_FOR_EACH(n, &mc->cmds)
	if (now - LIST_CONTAINER(n, struct monc_cmd, node)->sent_ns > mc->hunt_ns)
		stale = true;
	/* Do not spin on a dead cluster: one hunt per 100 ms at most. */
	if ((stale || !mc->cur) && now - mc->last_hunt_ns > 100000000ull)
		hunt_locked(mc);
	pthread_mutex_unlock(&mc->lock);
}

void monc_handle_reset(struct monc *mc, struct msg_conn *c)
{
	pthread_mutex_lock(&mc->lock);
	if (c == mc->cur) {
		log_debug(rados, "monc: lost mon.%s", mc->mons.mons[mc->cur_rank].name);
		msg_conn_put(mc->cur);
		mc->cur = NULL;
		if (tmr_now_ns() - mc->last_hunt_ns > 100000000ull)
			hunt_locked(mc);
	}
	pthread_mutex_unlock(&mc->lock);
}

/* --- receiving ------------------------------------------------------------ */

static void handle_reply(struct monc *mc, struct mon_msg_command_reply *r)
{
	struct monc_cmd *found = NULL;
	struct list_node *n;

	pthread_mutex_lock(&mc->lock);
	LIST_FOR_EACH(n, &mc->cmds)
	{
		struct monc_cmd *c = LIST_CONTAINER(n, struct monc_cmd, node);

		if (c->tid == r->tid) {
			list_remove(&c->node);
			found = c;
			break;
		}
	}
	pthread_mutex_unlock(&mc->lock);
	if (!found)
		return; /* answered already, through another monitor */
	found->cb(r->rc, r->status, r->out, r->out_len, found->arg);
	cmd_free(found);
}

static void handle_map(struct monc *mc, const struct mon_msg_map *m)
{
	uint32_t newest = m->ninc ? m->first_inc + m->ninc - 1 : m->full_epoch;
	monc_map_fn *cb;
	void *arg;

	pthread_mutex_lock(&mc->lock);
	if (m->kind == MON_MAP_MONMAP && m->full) {
		struct monmap mm;
		struct dec d;

		dec_init(&d, m->full, m->full_len);
		if (monmap_decode(&d, &mm) == 0 && mm.n > 0 && mm.epoch >= mc->mons.epoch)
			mc->mons = mm;
	}
	if (newest > mc->have[m->kind])
		mc->have[m->kind] = newest;
	if (mc->onetime[m->kind])
		mc->want[m->kind] = false;
	cb = mc->map_cb;
	arg = mc->map_arg;
	pthread_mutex_unlock(&mc->lock);
	if (cb)
		cb(m, arg);
}

bool monc_handle_message(struct monc *mc, struct msg *m)
{
	switch (m->type) {
	case MON_MSG_COMMAND_REPLY:
		handle_reply(mc, (struct mon_msg_command_reply *)(void *)m);
		break;
	case MON_MSG_MAP:
		handle_map(mc, (struct mon_msg_map *)(void *)m);
		break;
	default:
		return false;
	}
	msg_put(m);
	return true;
}

/* --- API ------------------------------------------------------------------ */

int monc_command(struct monc *mc, const char *cmd, const void *in, size_t in_len,
                 monc_command_fn *cb, void *arg)
{
	struct monc_cmd *c;

	if (!cmd || strlen(cmd) > MON_CMD_MAX || in_len > MON_DATA_MAX || !cb)
		return -EINVAL;
	c = mem_calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cmd = mem_strdup(cmd);
	c->in = in_len ? mem_malloc(in_len) : NULL;
	if (!c->cmd || (in_len && !c->in)) {
		cmd_free(c);
		return -ENOMEM;
	}
	if (in_len)
		memcpy(c->in, in, in_len);
	c->in_len = in_len;
	c->cb = cb;
	c->arg = arg;
	pthread_mutex_lock(&mc->lock);
	c->tid = mc->next_tid++;
	list_push_back(&mc->cmds, &c->node);
	send_cmd_locked(mc, c);
	pthread_mutex_unlock(&mc->lock);
	return 0;
}

struct sync_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	struct monc_reply *reply;
	int err;
};

static void sync_done(int rc, const char *status, const void *out, size_t out_len, void *arg)
{
	struct sync_wait *w = arg;
	struct monc_reply *r = w->reply;

	r->rc = rc;
	r->status = mem_strdup(status ? status : "");
	r->out = out_len ? mem_malloc(out_len) : NULL;
	if (out_len && r->out)
		memcpy(r->out, out, out_len);
	r->out_len = r->out ? out_len : 0;
	pthread_mutex_lock(&w->lock);
	w->err = !r->status || (out_len && !r->out) ? -ENOMEM : 0;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Removes a command that never got its reply; false if it is gone already
 * (its callback ran or is running). */
static bool cancel_cmd(struct monc *mc, struct sync_wait *w)
{
	struct list_node *n, *t;
	bool found = false;

	pthread_mutex_lock(&mc->lock);
	LIST_FOR_EACH_SAFE(n, t, &mc->cmds)
	{
		struct monc_cmd *c = LIST_CONTAINER(n, struct monc_cmd, node);

		if (c->arg == w) {
			list_remove(&c->node);
			cmd_free(c);
			found = true;
		}
	}
	pthread_mutex_unlock(&mc->lock);
	return found;
}

int monc_command_sync(struct monc *mc, const char *cmd, const void *in, size_t in_len,
                      int timeout_ms, struct monc_reply *reply)
{
	struct sync_wait w = { .lock = PTHREAD_MUTEX_INITIALIZER,
		               .cond = PTHREAD_COND_INITIALIZER,
		               .reply = reply };
	uint64_t deadline = tmr_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	int rc;

	memset(reply, 0, sizeof(*reply));
	rc = monc_command(mc, cmd, in, in_len, sync_done, &w);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&w.lock);
	while (!w.done && tmr_now_ns() < deadline) {
		struct timespec ts;

		pthread_mutex_unlock(&w.lock);
		monc_tick(mc);
		pthread_mutex_lock(&w.lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		if (!w.done)
			pthread_cond_timedwait(&w.cond, &w.lock, &ts);
	}
	pthread_mutex_unlock(&w.lock);
	if (!w.done && cancel_cmd(mc, &w))
		return -ETIMEDOUT;
	/* Either it completed, or its callback is running right now: wait. */
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	return w.err;
}

int monc_subscribe(struct monc *mc, uint8_t kind, uint32_t start, bool onetime)
{
	if (kind < MON_MAP_MONMAP || kind > MON_MAP_FSMAP)
		return -EINVAL;
	pthread_mutex_lock(&mc->lock);
	mc->want[kind] = true;
	mc->onetime[kind] = onetime;
	mc->start[kind] = start;
	if (start && mc->have[kind] >= start)
		mc->have[kind] = start - 1;
	send_subs_locked(mc);
	pthread_mutex_unlock(&mc->lock);
	return 0;
}

uint32_t monc_have(struct monc *mc, uint8_t kind)
{
	uint32_t v;

	pthread_mutex_lock(&mc->lock);
	v = kind < KINDS ? mc->have[kind] : 0;
	pthread_mutex_unlock(&mc->lock);
	return v;
}

int monc_send(struct monc *mc, struct msg *m)
{
	int rc = -ENOTCONN;

	pthread_mutex_lock(&mc->lock);
	if (mc->cur) {
		rc = msg_send(mc->cur, m);
		m = NULL;
	}
	pthread_mutex_unlock(&mc->lock);
	msg_put(m);
	return rc;
}
