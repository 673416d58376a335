/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/mon/sim_run.c - one seeded schedule: the event loop (fsyncs,
 * deliveries, ticks, chaos), client proposals and reads, faults, membership
 * changes, then a quiet phase that must elect a leader and commit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define TICK_MS 5

static int leader_node(struct sim *s)
{
	int best = -1;
	for (uint32_t id = 0; id < s->n_ids; id++) {
		struct sim_node *nd = &s->nodes[id];
		if (nd->up && mon_raft_role(nd->r) == MON_RAFT_LEADER &&
		    (best < 0 || mon_raft_term(nd->r) > mon_raft_term(s->nodes[best].r)))
			best = (int)id;
	}
	return best;
}

static int random_node(struct sim *s, bool up)
{
	uint32_t start = (uint32_t)sim_rand(s, s->n_ids);
	for (uint32_t i = 0; i < s->n_ids; i++) {
		uint32_t id = (start + i) % s->n_ids;
		if (s->nodes[id].exists && s->nodes[id].up == up)
			return (int)id;
	}
	return -1;
}

/* A client proposes value v at node id; returns the index or an error. */
static int64_t propose(struct sim *s, uint32_t id)
{
	struct mon_raft_actions a;
	uint64_t v = ++s->next_value;
	size_t n1 = s->n_props, n2 = s->n_props;

	if (sim_grow(&s->prop_index, sizeof(*s->prop_index), &n1, v + 1) < 0 ||
	    sim_grow(&s->prop_node, sizeof(*s->prop_node), &n2, v + 1) < 0)
		abort();
	s->n_props = n1;
	mon_raft_actions_init(&a);
	int64_t idx = mon_raft_propose(s->nodes[id].r, &v, sizeof(v), &a);
	if (idx > 0) {
		s->prop_index[v] = (uint64_t)idx;
		s->prop_node[v] = id;
	} else if (idx != -EAGAIN && idx != -ENOTCONN) {
		sim_fail(s, "mon.%u propose: %lld", id, (long long)idx);
	}
	sim_node_submit(s, id, &a);
	return idx;
}

/* Any node that believes it leads: stale leaders are the interesting readers. */
static int some_leader(struct sim *s)
{
	uint32_t start = (uint32_t)sim_rand(s, s->n_ids);
	for (uint32_t i = 0; i < s->n_ids; i++) {
		uint32_t id = (start + i) % s->n_ids;
		if (s->nodes[id].up && mon_raft_role(s->nodes[id].r) == MON_RAFT_LEADER)
			return (int)id;
	}
	return -1;
}

static void client_op(struct sim *s, bool write)
{
	int id = write ? leader_node(s) : some_leader(s);
	if (id < 0 || sim_rand(s, 4) < (write ? 1u : 2u))
		id = random_node(s, true);
	if (id < 0)
		return;
	if (write)
		propose(s, (uint32_t)id);
	else
		sim_check_read(s, (uint32_t)id);
}

static void change_membership(struct sim *s)
{
	struct mon_raft_actions a;
	int l = leader_node(s);
	if (l < 0)
		return;
	struct mon_raft *r = s->nodes[l].r;
	uint64_t conf = mon_raft_conf(r);
	int members = __builtin_popcountll(conf);
	bool add = s->n_ids < SIM_MAX_NODES && s->n_ids < s->o.nodes + 2 &&
	           (members <= 3 || sim_rand(s, 2));
	uint32_t id = add ? s->n_ids : (uint32_t)sim_rand(s, s->n_ids);
	if (!add && (members <= 3 || !mon_raft_conf_has(conf, id)))
		return;
	mon_raft_actions_init(&a);
	int64_t rc = mon_raft_propose_conf(r, add, id, &a);
	sim_node_submit(s, (uint32_t)l, &a);
	if (rc > 0 && add) {
		s->n_ids++;
		sim_node_add(s, id, 0); /* joins empty; learns the conf from the log */
	}
	if (s->o.verbose && rc > 0)
		fprintf(stderr, "t=%llu mon.%d proposes %s mon.%u\n", (unsigned long long)s->now, l,
		        add ? "add" : "remove", id);
}

static void partition(struct sim *s)
{
	uint64_t groups = 2 + sim_rand(s, 2);
	for (uint32_t id = 0; id < SIM_MAX_NODES; id++)
		s->group[id] = (uint8_t)sim_rand(s, groups);
}

/* dice is in [65, 100): 2% crash, 8% restart, 3% partition, 2% heal,
 * 4% new drop/duplicate/delay rates, 6% membership, 10% nothing. */
static void fault(struct sim *s, uint64_t dice)
{
	int id;
	if (dice < 67) {
		id = random_node(s, true);
		if (id >= 0)
			sim_node_crash(s, (uint32_t)id);
	} else if (dice < 75) {
		id = random_node(s, false);
		if (id >= 0)
			sim_node_start(s, (uint32_t)id);
	} else if (dice < 78) {
		partition(s);
	} else if (dice < 80) {
		memset(s->group, 0, sizeof(s->group));
	} else if (dice < 84) {
		s->drop_pct = (uint32_t)sim_rand(s, 30);
		s->dup_pct = (uint32_t)sim_rand(s, 20);
		s->slow_pct = (uint32_t)sim_rand(s, 20);
	} else if (dice < 90 && s->o.membership) {
		change_membership(s);
	}
}

static void chaos(struct sim *s)
{
	uint64_t dice = sim_rand(s, 100);
	s->next_chaos = s->now + 1 + sim_rand(s, 12);
	if (dice < s->write_pct)
		client_op(s, true);
	else if (dice < 65)
		client_op(s, false);
	else if (s->faults)
		fault(s, dice);
}

static void deliver(struct sim *s, size_t i)
{
	struct sim_msg m = s->msgs[i];
	struct mon_raft_actions a;
	s->msgs[i] = s->msgs[--s->n_msgs];
	struct sim_node *nd = &s->nodes[m.to];
	if (nd->up && s->group[m.from] == s->group[m.to]) {
		mon_raft_actions_init(&a);
		int rc = mon_raft_step(nd->r, m.data, m.len, s->now, &a);
		if (rc < 0)
			sim_fail(s, "mon.%u step: %d", m.to, rc);
		sim_node_submit(s, m.to, &a);
	}
	free(m.data);
}

static void tick(struct sim *s, uint32_t id)
{
	struct sim_node *nd = &s->nodes[id];
	struct mon_raft_actions a;
	mon_raft_actions_init(&a);
	nd->next_tick = s->now + TICK_MS;
	int rc = mon_raft_tick(nd->r, s->now, &a);
	if (rc < 0)
		sim_fail(s, "mon.%u tick: %d", id, rc);
	sim_node_submit(s, id, &a);
}

/* Runs the earliest pending event; false when none is due before `until`. */
static bool step(struct sim *s, uint64_t until)
{
	uint64_t t = s->next_chaos;
	int kind = 0, who = 0;
	for (uint32_t id = 0; id < s->n_ids; id++) {
		struct sim_node *nd = &s->nodes[id];
		if (nd->pend && nd->pend->durable_at <= t)
			t = nd->pend->durable_at, kind = 1, who = (int)id;
	}
	for (size_t i = 0; i < s->n_msgs; i++)
		if (s->msgs[i].at < t)
			t = s->msgs[i].at, kind = 2, who = (int)i;
	for (uint32_t id = 0; id < s->n_ids; id++)
		if (s->nodes[id].up && s->nodes[id].next_tick < t)
			t = s->nodes[id].next_tick, kind = 3, who = (int)id;
	if (t > until)
		return false;
	s->now = t;
	s->steps++;
	if (kind == 1) {
		struct sim_node *nd = &s->nodes[who];
		struct sim_batch *b = nd->pend;
		nd->pend = b->next;
		if (!nd->pend)
			nd->pend_tail = NULL;
		sim_batch_done(s, (uint32_t)who, b);
	} else if (kind == 2) {
		deliver(s, (size_t)who);
	} else if (kind == 3) {
		tick(s, (uint32_t)who);
	} else {
		chaos(s);
	}
	return true;
}

/* Faults stop: everything heals and restarts; a leader must emerge and a
 * new proposal must reach every member within quiet_ms. */
static void quiet_phase(struct sim *s)
{
	uint64_t deadline = s->now + s->o.quiet_ms,
	         probe_at = 0; /* retry a refused probe after 20 ms */
	int64_t probe = 0;

	s->faults = false;
	memset(s->group, 0, sizeof(s->group));
	for (uint32_t id = 0; id < s->n_ids; id++)
		if (s->nodes[id].exists && !s->nodes[id].up)
			sim_node_start(s, id);
	while (!s->failure[0] && s->now < deadline) {
		int l = leader_node(s);
		if (l >= 0 && s->now >= probe_at + (probe > 0 ? 1000 : 20)) {
			probe = propose(s, (uint32_t)l);
			probe_at = s->now;
		}
		if (probe > 0 && s->max_acked >= (uint64_t)probe && l >= 0) {
			uint64_t conf = mon_raft_conf(s->nodes[l].r);
			bool all = true;
			for (uint32_t id = 0; id < s->n_ids; id++)
				if (mon_raft_conf_has(conf, id) &&
				    s->nodes[id].applied < (uint64_t)probe)
					all = false;
			if (all)
				return;
		}
		if (!step(s, deadline))
			break;
	}
	if (!s->failure[0])
		sim_fail(s,
		         "liveness: no commit reached every member %llu ms after faults stopped"
		         " (leader %d, probe %lld, acked %llu)",
		         (unsigned long long)s->o.quiet_ms, leader_node(s), (long long)probe,
		         (unsigned long long)s->max_acked);
}

int sim_run(uint64_t seed, const struct sim_opts *o, struct sim *s)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->seed = s->rng = seed;
	s->timing = (struct mon_raft_timing){
		.election_ms = 100,
		.heartbeat_ms = 25,
		.lease_ms = 200,
		.keep_versions = 12,
		.max_batch = 8,
		.seed = seed,
	};
	s->faults = true;
	s->write_pct = (uint32_t)(sim_rand(s, 3) == 0 ? 3 : 40); /* some schedules mostly read */
	s->n_ids = o->nodes;
	s->drop_pct = 5;
	s->dup_pct = 5;
	s->slow_pct = 5;
	uint64_t conf = (1ull << o->nodes) - 1;
	for (uint32_t id = 0; id < o->nodes; id++)
		sim_node_add(s, id, conf);
	while (!s->failure[0] && step(s, o->fault_ms))
		;
	if (!s->failure[0])
		quiet_phase(s);
	return s->failure[0] ? -1 : 0;
}
