/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/mon/sim.c - the simulated world: nodes running consensus cores,
 * simulated fsync (batches become durable in order, after a delay; a crash
 * loses the rest), a network that drops, duplicates, delays, reorders and
 * partitions, clients proposing and reading, membership changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TICK_MS 5

uint64_t sim_rand(struct sim *s, uint64_t n)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return n ? z % n : 0;
}

static void trace(struct sim *s, const char *what, uint32_t id)
{
	if (s->o.verbose)
		fprintf(stderr, "t=%llu step=%llu mon.%u %s\n", (unsigned long long)s->now,
		        (unsigned long long)s->steps, id, what);
}

/* --- network --- */

static void net_push(struct sim *s, uint32_t from, uint32_t to, const uint8_t *data, size_t len,
                     uint64_t delay)
{
	size_t cap = s->cap_msgs;
	if (sim_grow(&s->msgs, sizeof(*s->msgs), &cap, s->n_msgs + 1) < 0)
		abort();
	s->cap_msgs = cap;
	struct sim_msg *m = &s->msgs[s->n_msgs++];
	m->at = s->now + delay;
	m->from = from;
	m->to = to;
	m->len = len;
	m->data = malloc(len ? len : 1);
	if (len)
		memcpy(m->data, data, len);
}

static uint64_t net_delay(struct sim *s)
{
	if (s->faults && sim_rand(s, 100) < s->slow_pct)
		return 1 + sim_rand(s, 150);
	return 1 + sim_rand(s, 8);
}

static void net_send(struct sim *s, uint32_t from, const struct mon_raft_msg_out *o)
{
	if (o->to >= SIM_MAX_NODES || s->group[from] != s->group[o->to])
		return;
	if (s->faults && sim_rand(s, 100) < s->drop_pct)
		return;
	net_push(s, from, o->to, o->data, o->len, net_delay(s));
	if (s->faults && sim_rand(s, 100) < s->dup_pct)
		net_push(s, from, o->to, o->data, o->len, net_delay(s));
}

/* --- durable state --- */

static void log_drop_upto(struct sim_node *nd, uint64_t index)
{
	size_t n = index > nd->base_index ? index - nd->base_index : 0;
	if (n > nd->n_log)
		n = nd->n_log;
	for (size_t i = 0; i < n; i++)
		free(nd->log[i].data);
	if (n)
		memmove(nd->log, nd->log + n, (nd->n_log - n) * sizeof(*nd->log));
	nd->n_log -= n;
}

static void log_truncate_from(struct sim_node *nd, uint64_t index)
{
	while (nd->n_log && nd->base_index + nd->n_log >= index)
		free(nd->log[--nd->n_log].data);
}

static bool durable_entry(struct sim *s, uint32_t id, const struct mon_raft_entry *e)
{
	struct sim_node *nd = &s->nodes[id];
	if (e->index != nd->base_index + nd->n_log + 1)
		return sim_fail(s, "mon.%u persists entry %llu out of order", id,
		                (unsigned long long)e->index);
	size_t cap = nd->cap_log;
	if (sim_grow(&nd->log, sizeof(*nd->log), &cap, nd->n_log + 1) < 0)
		abort();
	nd->cap_log = cap;
	struct mon_raft_entry *d = &nd->log[nd->n_log++];
	*d = *e;
	d->data = malloc(e->len ? e->len : 1);
	if (e->len)
		memcpy(d->data, e->data, e->len);
	return true;
}

static void set_base(struct sim_node *nd, const struct mon_raft_op *op)
{
	nd->base_index = op->index;
	nd->base_term = op->term;
	nd->base_conf = op->conf;
}

static bool durable_snapshot(struct sim *s, uint32_t id, const struct mon_raft_op *op)
{
	struct sim_node *nd = &s->nodes[id];
	uint64_t idx, hash;
	if (op->len != 16)
		return sim_fail(s, "mon.%u: snapshot of %zu bytes", id, op->len);
	memcpy(&idx, op->data, 8);
	memcpy(&hash, op->data + 8, 8);
	if (idx != op->index || !sim_check_snapshot(s, id, idx, hash))
		return sim_fail(s, "mon.%u: snapshot index mismatch", id);
	log_drop_upto(nd, op->index);
	set_base(nd, op);
	nd->applied = idx;
	nd->app_hash = hash;
	if (nd->commit < idx)
		nd->commit = idx;
	return true;
}

static bool durable_op(struct sim *s, uint32_t id, const struct mon_raft_op *op)
{
	struct sim_node *nd = &s->nodes[id];
	switch (op->kind) {
	case MON_RAFT_OP_HARD_STATE:
		nd->term = op->term;
		nd->vote = op->vote;
		return true;
	case MON_RAFT_OP_TRUNCATE:
		log_truncate_from(nd, op->index);
		return true;
	case MON_RAFT_OP_ENTRY:
		return durable_entry(s, id, &op->entry);
	case MON_RAFT_OP_COMMIT:
		nd->commit = op->index;
		return true;
	case MON_RAFT_OP_TRIM:
		if (op->index > nd->applied)
			return sim_fail(s, "mon.%u trims %llu beyond applied %llu", id,
			                (unsigned long long)op->index,
			                (unsigned long long)nd->applied);
		log_drop_upto(nd, op->index);
		set_base(nd, op);
		return true;
	case MON_RAFT_OP_SNAPSHOT:
		return durable_snapshot(s, id, op);
	}
	return sim_fail(s, "unknown op");
}

static bool durable_apply(struct sim *s, uint32_t id, const struct mon_raft_entry *e)
{
	uint64_t v;
	if (!sim_check_apply(s, id, e))
		return false;
	if (e->type != MON_RAFT_ENTRY_DATA || e->len != 8)
		return true;
	memcpy(&v, e->data, 8);
	if (v < s->n_props && s->prop_node[v] == id && s->prop_index[v] == e->index) {
		if (e->index > s->max_acked)
			s->max_acked = e->index; /* acknowledged to the client now */
		s->stats_acks++;
	}
	return true;
}

static void serve_snapshots(struct sim *s, uint32_t id, uint64_t peers)
{
	struct sim_node *nd = &s->nodes[id];
	uint8_t data[16];
	struct mon_raft_actions a;

	memcpy(data, &nd->applied, 8);
	memcpy(data + 8, &nd->app_hash, 8);
	for (uint32_t p = 0; p < SIM_MAX_NODES; p++) {
		if (!((peers >> p) & 1u))
			continue;
		mon_raft_actions_init(&a);
		int rc = mon_raft_send_snapshot(nd->r, p, data, sizeof(data), nd->applied, &a);
		if (rc < 0 && rc != -ESTALE && rc != -EAGAIN)
			sim_fail(s, "mon.%u send_snapshot: %d", id, rc);
		sim_node_submit(s, id, &a);
	}
}

/* The batch is on disk: its messages leave, its entries are applied. */
void sim_batch_done(struct sim *s, uint32_t id, struct sim_batch *b)
{
	struct mon_raft_actions *a = &b->acts;
	for (size_t i = 0; i < a->n_ops && !s->failure[0]; i++)
		durable_op(s, id, &a->ops[i]);
	for (size_t i = 0; i < a->n_apply && !s->failure[0]; i++)
		durable_apply(s, id, &a->apply[i]);
	for (size_t i = 0; i < a->n_msgs; i++)
		net_send(s, id, &a->msgs[i]);
	if (a->snap_peers && s->nodes[id].up)
		serve_snapshots(s, id, a->snap_peers);
	mon_raft_actions_fini(a);
	free(b);
}

/* Queues the actions of one call as a batch behind the node's earlier ones. */
void sim_node_submit(struct sim *s, uint32_t id, struct mon_raft_actions *a)
{
	struct sim_node *nd = &s->nodes[id];
	if (!a->n_ops && !a->n_msgs && !a->n_apply && !a->snap_peers) {
		mon_raft_actions_fini(a);
		sim_check_node(s, id);
		return;
	}
	struct sim_batch *b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->acts = *a;
	uint64_t at = s->now + (a->n_ops ? sim_rand(s, 4) : 0);
	b->durable_at = at > nd->last_durable_at ? at : nd->last_durable_at;
	nd->last_durable_at = b->durable_at;
	if (nd->pend_tail)
		nd->pend_tail->next = b;
	else
		nd->pend = b;
	nd->pend_tail = b;
	sim_check_node(s, id);
}

/* --- nodes --- */

void sim_node_start(struct sim *s, uint32_t id)
{
	struct sim_node *nd = &s->nodes[id];
	struct mon_raft_state st = {
		.term = nd->term,
		.vote = nd->vote,
		.commit = nd->commit,
		.applied = nd->applied,
		.snap_index = nd->base_index,
		.snap_term = nd->base_term,
		.snap_conf = nd->base_conf,
		.entries = nd->log,
		.n_entries = nd->n_log,
	};
	int rc = mon_raft_create(id, &s->timing, &st, s->now, &nd->r);
	if (rc < 0) {
		sim_fail(s, "mon.%u restart from its durable state: %d", id, rc);
		return;
	}
	nd->up = true;
	nd->checked_commit = 0;
	nd->next_tick = s->now + 1 + sim_rand(s, TICK_MS);
	trace(s, "starts", id);
}

void sim_node_crash(struct sim *s, uint32_t id)
{
	struct sim_node *nd = &s->nodes[id];
	while (nd->pend) { /* not fsync'd: lost with everything it would send */
		struct sim_batch *b = nd->pend;
		nd->pend = b->next;
		mon_raft_actions_fini(&b->acts);
		free(b);
	}
	nd->pend_tail = NULL;
	nd->last_durable_at = 0;
	mon_raft_destroy(nd->r);
	nd->r = NULL;
	nd->up = false;
	trace(s, "crashes", id);
}

void sim_node_add(struct sim *s, uint32_t id, uint64_t conf)
{
	struct sim_node *nd = &s->nodes[id];
	memset(nd, 0, sizeof(*nd));
	nd->exists = true;
	nd->vote = MON_RAFT_NONE;
	nd->base_conf = conf;
	sim_node_start(s, id);
}

void sim_fini(struct sim *s)
{
	for (uint32_t id = 0; id < SIM_MAX_NODES; id++) {
		struct sim_node *nd = &s->nodes[id];
		if (nd->up)
			sim_node_crash(s, id);
		for (size_t i = 0; i < nd->n_log; i++)
			free(nd->log[i].data);
		free(nd->log);
	}
	for (size_t i = 0; i < s->n_msgs; i++)
		free(s->msgs[i].data);
	free(s->msgs);
	free(s->leader_of);
	free(s->committed);
	free(s->chain);
	free(s->prop_index);
	free(s->prop_node);
	memset(s, 0, sizeof(*s));
}
