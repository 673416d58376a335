/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/mon/sim_check.c - the invariants the simulator checks after every
 * step: one leader per term, committed entries never change, applied
 * histories are prefixes of one history, lease reads are not stale. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

bool sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	if (s->failure[0])
		return false;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
	va_end(ap);
	return false;
}

int sim_grow(void *arr, size_t elem, size_t *n, size_t want)
{
	void **p = arr;
	if (want <= *n)
		return 0;
	size_t cap = *n ? *n : 64;
	while (cap < want)
		cap *= 2;
	void *q = realloc(*p, cap * elem);
	if (!q)
		return -1;
	memset((char *)q + *n * elem, 0, (cap - *n) * elem);
	*p = q;
	*n = cap;
	return 0;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

uint64_t sim_entry_hash(const struct mon_raft_entry *e)
{
	uint64_t h = mix(mix(mix(1, e->index), e->term), e->type);
	for (uint32_t i = 0; i < e->len; i++)
		h = mix(h, e->data[i]);
	return h | 1; /* never 0: 0 means unknown */
}

static bool check_leader(struct sim *s, uint32_t id)
{
	struct mon_raft *r = s->nodes[id].r;
	if (mon_raft_role(r) != MON_RAFT_LEADER)
		return true;
	uint64_t t = mon_raft_term(r);
	size_t n = s->n_leader_of;
	if (sim_grow(&s->leader_of, sizeof(*s->leader_of), &n, t + 1) < 0)
		return sim_fail(s, "out of memory");
	s->n_leader_of = n;
	if (s->leader_of[t] && s->leader_of[t] != id + 1u)
		return sim_fail(s, "two leaders in term %llu: mon.%llu and mon.%u",
		                (unsigned long long)t, (unsigned long long)s->leader_of[t] - 1, id);
	if (!s->leader_of[t])
		s->stats_elections++;
	s->leader_of[t] = id + 1u;
	return true;
}

static bool hist_room(struct sim *s, uint64_t index)
{
	size_t n1 = s->n_hist, n2 = s->n_hist;
	if (sim_grow(&s->committed, sizeof(*s->committed), &n1, index + 1) < 0 ||
	    sim_grow(&s->chain, sizeof(*s->chain), &n2, index + 1) < 0)
		return sim_fail(s, "out of memory");
	s->n_hist = n1;
	return true;
}

static bool check_committed_entry(struct sim *s, uint32_t id, const struct mon_raft_entry *e)
{
	uint64_t h = sim_entry_hash(e);
	if (!hist_room(s, e->index))
		return false;
	if (s->committed[e->index] && s->committed[e->index] != h)
		return sim_fail(s, "committed entry %llu changed (seen on mon.%u, term %llu)",
		                (unsigned long long)e->index, id, (unsigned long long)e->term);
	s->committed[e->index] = h;
	return true;
}

/* After every step of node id. */
bool sim_check_node(struct sim *s, uint32_t id)
{
	struct sim_node *nd = &s->nodes[id];
	if (!check_leader(s, id))
		return false;
	uint64_t commit = mon_raft_commit(nd->r);
	if (nd->checked_commit < mon_raft_first_index(nd->r) - 1)
		nd->checked_commit = mon_raft_first_index(nd->r) - 1;
	for (uint64_t i = nd->checked_commit + 1; i <= commit; i++) {
		const struct mon_raft_entry *e = mon_raft_entry_at(nd->r, i);
		if (e && !check_committed_entry(s, id, e))
			return false;
	}
	if (commit > nd->checked_commit)
		nd->checked_commit = commit;
	return true;
}

/* Node id durably applies e: it must extend the one global history. */
bool sim_check_apply(struct sim *s, uint32_t id, const struct mon_raft_entry *e)
{
	struct sim_node *nd = &s->nodes[id];
	if (e->index != nd->applied + 1)
		return sim_fail(s, "mon.%u applies %llu after %llu", id,
		                (unsigned long long)e->index, (unsigned long long)nd->applied);
	if (!check_committed_entry(s, id, e))
		return false;
	uint64_t h = mix(nd->app_hash, sim_entry_hash(e));
	if (s->chain[e->index] && s->chain[e->index] != h)
		return sim_fail(s, "mon.%u applied history diverges at %llu", id,
		                (unsigned long long)e->index);
	s->chain[e->index] = h;
	nd->applied = e->index;
	nd->app_hash = h;
	return true;
}

bool sim_check_snapshot(struct sim *s, uint32_t id, uint64_t index, uint64_t hash)
{
	if (!hist_room(s, index))
		return false;
	if (index && s->chain[index] != hash)
		return sim_fail(s, "mon.%u installs a snapshot at %llu not in the history", id,
		                (unsigned long long)index);
	return true;
}

/* A read served by node id now: never older than an acknowledged write. */
bool sim_check_read(struct sim *s, uint32_t id)
{
	struct sim_node *nd = &s->nodes[id];
	uint64_t v;
	if (!mon_raft_read_is_safe(nd->r, s->now, &v) || nd->applied < v)
		return true; /* refused, or waits for its apply */
	s->stats_reads++;
	if (nd->applied < s->max_acked)
		return sim_fail(s, "stale read on mon.%u (%s): version %llu < acked %llu", id,
		                mon_raft_role(nd->r) == MON_RAFT_LEADER ? "leader" : "follower",
		                (unsigned long long)nd->applied, (unsigned long long)s->max_acked);
	return true;
}
