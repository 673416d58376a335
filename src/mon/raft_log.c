/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/raft_log.c - the consensus core's log: append and truncate, replication
 * to followers, the commit rule with read leases, applying, trimming and
 * snapshot install for monitors that fell behind the trimmed log.
 *
 * DESIGN (roles and the instance-wide invariants are in raft.c)
 *
 * Invariants (assert_log_state):
 *   L1 an entry at index <= commit is never truncated or changed; a TRUNCATE
 *      is emitted only above commit.
 *   L2 trimming keeps keep_versions entries behind applied and never passes
 *      the applied index of an earlier batch (the caller made it durable).
 *   L3 leader: for every peer, match < next <= last + 1, and
 *      match <= last (so the commit count is over real entries).
 *   L4 leader: commit advances to N only if term(N) == term, a quorum of the
 *      conf holds N, and every peer with lease_bound > now holds N (R3).
 *
 * A log index moves through:
 *
 *   (absent) --append--> UNCOMMITTED --commit--> COMMITTED --apply--> APPLIED
 *                            |                                          |
 *                            +--truncate (conflict)--> (absent)         +--trim--> TRIMMED
 *   (absent) ------------- snapshot install -----------------------------------> TRIMMED
 *
 *   edge                      function
 *   append                    mon_raft_log_append (leader), on_append (follower)
 *   truncate                  log_truncate <- on_append, on_snap
 *   commit                    mon_raft_maybe_commit (leader), on_append (follower)
 *   apply                     mon_raft_apply_committed
 *   trim                      mon_raft_maybe_trim
 *   snapshot install          mon_raft_on_snap
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "mon/raft_int.h"

static void assert_log_state(const struct mon_raft *r)
{
#ifndef NDEBUG
	uint64_t last = mon_raft_log_last(r);
	assert(r->commit <= last && r->base_index <= r->applied);
	if (r->role != MON_RAFT_LEADER)
		return;
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++) {
		if (p == r->self)
			continue;
		assert(r->peers[p].match <= last);
		assert(r->peers[p].next > r->peers[p].match && r->peers[p].next <= last + 1);
	}
#else
	(void)r;
#endif
}

uint64_t mon_raft_log_last(const struct mon_raft *r)
{
	return r->base_index + r->n_log;
}

uint64_t mon_raft_log_term(const struct mon_raft *r, uint64_t index)
{
	if (index == r->base_index)
		return r->base_term;
	if (index < r->base_index || index > mon_raft_log_last(r))
		return 0;
	return r->log[index - r->base_index - 1].term;
}

static uint64_t conf_decode(const struct mon_raft_entry *e)
{
	uint64_t c = 0;
	for (int i = 7; i >= 0; i--)
		c = c << 8 | e->data[i];
	return c;
}

uint64_t mon_raft_log_conf_at(const struct mon_raft *r, uint64_t index)
{
	uint64_t last = mon_raft_log_last(r);
	for (uint64_t i = index < last ? index : last; i > r->base_index; i--) {
		const struct mon_raft_entry *e = &r->log[i - r->base_index - 1];
		if (e->type == MON_RAFT_ENTRY_CONF)
			return conf_decode(e);
	}
	return r->base_conf;
}

void mon_raft_update_conf(struct mon_raft *r, struct mon_raft_actions *a)
{
	uint64_t conf = mon_raft_log_conf_at(r, mon_raft_log_last(r));
	if (conf == r->conf)
		return;
	uint64_t added = conf & ~r->conf;
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++)
		if ((added >> p) & 1u) {
			memset(&r->peers[p], 0, sizeof(r->peers[p]));
			r->peers[p].next = mon_raft_log_last(r) + 1;
		}
	r->conf = conf;
	a->conf_changed = true;
}

int mon_raft_log_append(struct mon_raft *r, const struct mon_raft_entry *e,
                        struct mon_raft_actions *a)
{
	int rc = mem_grow(&r->log, sizeof(*r->log), &r->cap_log, r->n_log + 1);
	if (rc == 0)
		rc = mon_raft_entry_copy(&r->log[r->n_log], e);
	if (rc < 0) {
		a->err = a->err ? a->err : rc;
		return rc;
	}
	r->n_log++;
	mon_raft_act_entry(a, e);
	if (e->type == MON_RAFT_ENTRY_CONF)
		mon_raft_update_conf(r, a);
	return a->err;
}

/* Drops entries >= from (all above commit, L1). */
static void log_truncate(struct mon_raft *r, uint64_t from, struct mon_raft_actions *a)
{
	assert(from > r->commit && from > r->base_index);
	for (uint64_t i = from; i <= mon_raft_log_last(r); i++)
		mem_free(r->log[i - r->base_index - 1].data);
	r->n_log = from - r->base_index - 1;
	mon_raft_act_op(a, MON_RAFT_OP_TRUNCATE)->index = from;
	mon_raft_update_conf(r, a);
}

/* Removes entries <= upto from memory (they are trimmed or snapshotted). */
static void log_drop_prefix(struct mon_raft *r, uint64_t upto)
{
	size_t n = upto - r->base_index;
	for (size_t i = 0; i < n; i++)
		mem_free(r->log[i].data);
	if (n && r->n_log > n)
		memmove(r->log, r->log + n, (r->n_log - n) * sizeof(*r->log));
	r->n_log -= n;
}

void mon_raft_log_free(struct mon_raft *r)
{
	for (size_t i = 0; i < r->n_log; i++)
		mem_free(r->log[i].data);
	mem_free(r->log);
	r->log = NULL;
	r->n_log = r->cap_log = 0;
}

/* --- leader side --- */

/* R2: a grant rides on an append that brings a confirmed peer to our last
 * entry; it lasts lease_ms from the peer's own echoed clock, capped so that
 * it ends before our quorum lease does. */
static void add_lease(struct mon_raft *r, uint32_t p, struct mon_raft_msg *m)
{
	struct mon_raft_peer *peer = &r->peers[p];
	if (!peer->peer_ts || peer->match < m->prev_index ||
	    m->prev_index + m->n_entries != mon_raft_log_last(r) || r->valid_until <= r->now + 1)
		return;
	uint64_t dur = r->valid_until - r->now;
	m->lease_ms = (uint32_t)(dur < r->t.lease_ms ? dur : r->t.lease_ms);
	m->echo_ts = peer->peer_ts;
	m->lease_commit = r->commit;
	if (peer->lease_bound < r->now + m->lease_ms)
		peer->lease_bound = r->now + m->lease_ms;
}

static void request_snapshot(struct mon_raft *r, uint32_t p, struct mon_raft_actions *a)
{
	struct mon_raft_peer *peer = &r->peers[p];
	if (!peer->snap_sent_at || r->now >= peer->snap_sent_at + r->t.election_ms) {
		a->snap_peers |= 1ull << p;
		peer->snap_sent_at = r->now;
	}
}

void mon_raft_send_append(struct mon_raft *r, uint32_t p, struct mon_raft_actions *a)
{
	struct mon_raft_peer *peer = &r->peers[p];
	uint64_t last = mon_raft_log_last(r);
	struct mon_raft_msg m = { .commit = r->commit, .leader_ts = r->now };

	if (peer->next <= r->base_index) {
		request_snapshot(r, p, a);
		peer->next = r->base_index + 1; /* heartbeat from our base meanwhile */
	}
	m.prev_index = peer->next - 1;
	m.prev_term = mon_raft_log_term(r, m.prev_index);
	uint64_t n = last - m.prev_index;
	m.n_entries = (uint32_t)(n < r->t.max_batch ? n : r->t.max_batch);
	m.entries = m.n_entries ? &r->log[m.prev_index - r->base_index] : NULL;
	add_lease(r, p, &m);
	mon_raft_reply(r, &m, p, MON_RAFT_MSG_APPEND, a);
	peer->next = m.prev_index + m.n_entries + 1;
}

void mon_raft_broadcast(struct mon_raft *r, struct mon_raft_actions *a)
{
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++)
		if (p != r->self && mon_raft_conf_has(r->conf, p))
			mon_raft_send_append(r, p, a);
}

static bool has_quorum_for(const struct mon_raft *r, uint64_t n)
{
	uint32_t count = 0;
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++) {
		if (!mon_raft_conf_has(r->conf, p))
			continue;
		if (p == r->self || r->peers[p].match >= n)
			count++;
	}
	if (count < mon_raft_quorum(r->conf))
		return false;
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++) /* R3 */
		if (p != r->self && r->peers[p].lease_bound > r->now && r->peers[p].match < n)
			return false;
	return true;
}

void mon_raft_maybe_commit(struct mon_raft *r, struct mon_raft_actions *a)
{
	for (uint64_t n = mon_raft_log_last(r); n > r->commit; n--) {
		if (mon_raft_log_term(r, n) != r->term)
			return; /* older terms commit only under ours (Raft §5.4.2) */
		if (has_quorum_for(r, n)) {
			mon_raft_set_commit(r, n, a);
			return;
		}
	}
}

void mon_raft_on_append_resp(struct mon_raft *r, const struct mon_raft_msg *m,
                             struct mon_raft_actions *a)
{
	struct mon_raft_peer *peer = &r->peers[m->from];
	uint64_t last = mon_raft_log_last(r);

	if (m->echo_ts <= r->now && m->echo_ts > peer->ack_ts)
		peer->ack_ts = m->echo_ts;
	if (m->follower_ts > peer->peer_ts)
		peer->peer_ts = m->follower_ts;
	if (m->success && m->match <= last) {
		if (m->match > peer->match)
			peer->match = m->match;
		if (peer->next <= peer->match)
			peer->next = peer->match + 1;
		mon_raft_maybe_commit(r, a);
		if (peer->next <= last && mon_raft_conf_has(r->conf, m->from))
			mon_raft_send_append(r, m->from, a);
	} else if (!m->success) {
		uint64_t next = m->match + 1 < peer->next ? m->match + 1 : peer->next;
		peer->next = next > peer->match ? next : peer->match + 1;
		/* Behind our base it needs a snapshot: asked for in send_append;
		 * resending here would ping-pong until it arrives. */
		if (mon_raft_conf_has(r->conf, m->from) && peer->next > r->base_index)
			mon_raft_send_append(r, m->from, a);
		else if (peer->next <= r->base_index)
			request_snapshot(r, m->from, a);
	}
	assert_log_state(r);
}

int mon_raft_send_snapshot(struct mon_raft *r, uint32_t peer, const void *data, size_t len,
                           uint64_t index, struct mon_raft_actions *a)
{
	if (r->broken)
		return r->broken;
	if (r->role != MON_RAFT_LEADER)
		return -EAGAIN;
	if (peer >= MON_RAFT_MAX_ID || peer == r->self || index > r->commit || len > UINT32_MAX)
		return -EINVAL;
	if (index < r->base_index)
		return -ESTALE;
	struct mon_raft_msg m = {
		.snap_index = index,
		.snap_term = mon_raft_log_term(r, index),
		.snap_conf = mon_raft_log_conf_at(r, index),
		.leader_ts = r->now,
		.snap_data = data,
		.snap_len = (uint32_t)len,
	};
	mon_raft_reply(r, &m, peer, MON_RAFT_MSG_SNAP, a);
	r->peers[peer].snap_sent_at = r->now;
	if (r->peers[peer].next <= index)
		r->peers[peer].next = index + 1;
	if (a->err)
		r->broken = a->err;
	return a->err;
}

/* --- both sides --- */

void mon_raft_apply_committed(struct mon_raft *r, struct mon_raft_actions *a)
{
	while (r->applied < r->commit) {
		mon_raft_act_apply(a, mon_raft_entry_at(r, r->applied + 1));
		r->applied++;
	}
}

void mon_raft_set_commit(struct mon_raft *r, uint64_t commit, struct mon_raft_actions *a)
{
	if (commit <= r->commit)
		return;
	r->commit = commit;
	mon_raft_act_op(a, MON_RAFT_OP_COMMIT)->index = commit;
	mon_raft_apply_committed(r, a);
}

void mon_raft_maybe_trim(struct mon_raft *r, struct mon_raft_actions *a)
{
	uint64_t keep = r->t.keep_versions, slack = keep / 4 + 1;
	if (r->applied < r->base_index + keep + slack)
		return;
	uint64_t upto = r->applied - keep; /* L2: applied was made durable */
	struct mon_raft_op *op = mon_raft_act_op(a, MON_RAFT_OP_TRIM);
	op->index = upto;
	op->term = mon_raft_log_term(r, upto);
	op->conf = mon_raft_log_conf_at(r, upto);
	r->base_conf = op->conf;
	r->base_term = op->term;
	log_drop_prefix(r, upto);
	r->base_index = upto;
}

/* --- follower side --- */

static void lease_from(struct mon_raft *r, const struct mon_raft_msg *m)
{
	if (!m->lease_ms || m->echo_ts < r->created || m->echo_ts > r->now)
		return; /* a grant echoing a clock we never sent is ignored */
	if (m->echo_ts + m->lease_ms > r->lease_expire)
		r->lease_expire = m->echo_ts + m->lease_ms;
	if (m->lease_commit > r->lease_commit)
		r->lease_commit = m->lease_commit;
}

static void ack(struct mon_raft *r, const struct mon_raft_msg *m, bool ok, uint64_t match,
                struct mon_raft_actions *a)
{
	struct mon_raft_msg resp = {
		.success = ok,
		.match = match,
		.echo_ts = m->leader_ts,
		.follower_ts = r->now,
	};
	mon_raft_reply(r, &resp, m->from, MON_RAFT_MSG_APPEND_RESP, a);
}

/* Network input is checked, never asserted: terms must not decrease, must
 * follow prev_term and must not exceed the sender's term. */
static bool entries_are_sane(const struct mon_raft *r, const struct mon_raft_msg *m)
{
	uint64_t prev = m->prev_term;
	for (uint32_t i = 0; i < m->n_entries; i++) {
		if (m->entries[i].term < prev || m->entries[i].term > r->term)
			return false;
		prev = m->entries[i].term;
	}
	return true;
}

/* Appends what we do not hold yet; -EPROTO if the leader would rewrite a
 * committed entry (a protocol violation: the rest is dropped). */
static int merge_entries(struct mon_raft *r, const struct mon_raft_msg *m,
                         struct mon_raft_actions *a)
{
	for (uint32_t i = 0; i < m->n_entries; i++) {
		const struct mon_raft_entry *e = &m->entries[i];
		if (e->index <= r->base_index)
			continue; /* committed and trimmed here: it matches */
		if (e->index <= mon_raft_log_last(r)) {
			if (mon_raft_log_term(r, e->index) == e->term)
				continue;
			if (e->index <= r->commit)
				return -EPROTO;
			log_truncate(r, e->index, a);
		}
		if (mon_raft_log_append(r, e, a) < 0)
			return -ENOMEM;
	}
	return 0;
}

void mon_raft_on_append(struct mon_raft *r, const struct mon_raft_msg *m,
                        struct mon_raft_actions *a)
{
	uint64_t last = mon_raft_log_last(r);

	if (m->prev_index > last) {
		ack(r, m, false, last, a);
		return;
	}
	if (m->prev_index >= r->base_index && mon_raft_log_term(r, m->prev_index) != m->prev_term) {
		ack(r, m, false, r->commit, a);
		return;
	}
	if (!entries_are_sane(r, m) || merge_entries(r, m, a) < 0) {
		log_err(paxos, "mon.%u: append from mon.%u rewrites committed entries", r->self,
		        m->from);
		return;
	}
	uint64_t last_new = m->prev_index + m->n_entries;
	uint64_t c = m->commit < last_new ? m->commit : last_new;
	if (c > mon_raft_log_last(r))
		c = mon_raft_log_last(r);
	mon_raft_set_commit(r, c, a);
	lease_from(r, m);
	ack(r, m, true, last_new > r->commit ? last_new : r->commit, a);
}

static void install_snapshot(struct mon_raft *r, const struct mon_raft_msg *m,
                             struct mon_raft_actions *a)
{
	bool keep = m->snap_index <= mon_raft_log_last(r) &&
	            mon_raft_log_term(r, m->snap_index) == m->snap_term;
	if (keep) {
		log_drop_prefix(r, m->snap_index);
	} else { /* the snapshot replaces the whole log, committed part included */
		for (size_t i = 0; i < r->n_log; i++)
			mem_free(r->log[i].data);
		r->n_log = 0;
		mon_raft_act_op(a, MON_RAFT_OP_TRUNCATE)->index = m->snap_index + 1;
	}
	r->base_index = m->snap_index;
	r->base_term = m->snap_term;
	r->base_conf = m->snap_conf;
	r->commit = r->applied = m->snap_index;
	struct mon_raft_op *op = mon_raft_act_op(a, MON_RAFT_OP_SNAPSHOT);
	op->index = m->snap_index;
	op->term = m->snap_term;
	op->conf = m->snap_conf;
	op->len = m->snap_len;
	if (m->snap_len && !a->err) {
		op->data = mem_malloc(m->snap_len);
		if (!op->data)
			a->err = -ENOMEM;
		else
			memcpy(op->data, m->snap_data, m->snap_len);
	}
	mon_raft_update_conf(r, a);
}

void mon_raft_on_snap(struct mon_raft *r, const struct mon_raft_msg *m, struct mon_raft_actions *a)
{
	struct mon_raft_msg hdr = { .leader_ts = m->leader_ts, .from = m->from };

	if (m->snap_index > r->commit) {
		if (m->snap_term == 0 || m->snap_term > r->term) {
			log_err(paxos, "mon.%u: bad snapshot from mon.%u", r->self, m->from);
			return;
		}
		log_info(paxos, "mon.%u: installing snapshot at %llu from mon.%u", r->self,
		         (unsigned long long)m->snap_index, m->from);
		install_snapshot(r, m, a);
	}
	ack(r, &hdr, true, r->commit, a);
}
