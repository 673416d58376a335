/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/raft.c - the consensus core's roles: lifecycle, pre-vote and vote,
 * check-quorum, heartbeats, proposals, read safety and queries. Replication,
 * commit and snapshots live in raft_log.c, the wire codec in raft_msg.c.
 *
 * DESIGN
 *
 * Invariants (assert_raft_state):
 *   I1 base_index <= applied <= commit <= last index; base_index <= commit.
 *   I2 log[i].index == base_index + 1 + i; log terms never decrease and are
 *      <= term; base_term <= the first entry's term.
 *   I3 role LEADER => leader == self and vote == self; role CANDIDATE =>
 *      leader == NONE.
 *   I4 conf == the conf of the last CONF entry in the log, else base_conf.
 *   I5 a follower's read lease belongs to the current term: it is cleared on
 *      every term change and never read in another role.
 *   I6 broken != 0 => every entry point fails with it; nothing else changes.
 *
 * Safety rules beyond Raft (README "leases"):
 *   R1 a voter ignores vote requests for election_ms after it last heard from
 *      a leader of its term (or after it started): no new leader can be
 *      elected before that, so a leader whose appends sent at T were answered
 *      by a majority leads alone until T + election_ms (quorum lease).
 *   R2 a follower lease ends at (its own clock when it sent the ack the grant
 *      echoes) + lease_ms, and the leader caps lease_ms so it ends before its
 *      quorum lease: old leases die before any newer leader can commit.
 *   R3 a leader commits N only when every peer whose lease may still be valid
 *      has acked N; a follower reads only if commit >= the grant's commit and
 *      it holds no entry whose commit it has not learned.
 *
 * States and edges:
 *
 *              timeout & member           majority pre-votes
 *   FOLLOWER ------------------> CANDIDATE(pre) -----------> CANDIDATE(vote)
 *      ^  ^                           |  ^ timeout                |
 *      |  +---- append/snap of term, -+  +------------------------+ majority
 *      |        higher term seen                                  v votes
 *      +------ higher term / no quorum lease / removed ------- LEADER
 *
 *   edge                                   function
 *   FOLLOWER -> CANDIDATE(pre)             tick -> campaign(pre = true)
 *   CANDIDATE(pre) -> CANDIDATE(vote)      on_vote_resp -> campaign(false)
 *   CANDIDATE(vote) -> LEADER              on_vote_resp -> become_leader
 *   CANDIDATE -> CANDIDATE(pre)            tick -> campaign(pre = true)
 *   any -> FOLLOWER (term or append)       mon_raft_become_follower
 *   LEADER -> FOLLOWER (quorum lost)       tick_leader -> become_follower
 *   LEADER -> FOLLOWER (removed)           tick_leader -> become_follower
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "mon/raft_int.h"

static uint64_t quorum_lease_until(const struct mon_raft *r);

static void assert_raft_state(const struct mon_raft *r)
{
#ifndef NDEBUG
	uint64_t last = mon_raft_log_last(r);
	assert(r->base_index <= r->applied && r->applied <= r->commit);
	assert(r->commit <= last);
	for (size_t i = 0; i < r->n_log; i++) {
		assert(r->log[i].index == r->base_index + 1 + i);
		assert(r->log[i].term <= r->term);
		assert(r->log[i].term >= (i ? r->log[i - 1].term : r->base_term));
	}
	if (r->role == MON_RAFT_LEADER)
		assert(r->leader == r->self && r->vote == r->self);
	if (r->role == MON_RAFT_CANDIDATE)
		assert(r->leader == MON_RAFT_NONE);
	assert(r->conf == mon_raft_log_conf_at(r, last));
#else
	(void)r;
#endif
}

uint32_t mon_raft_quorum(uint64_t conf)
{
	return (uint32_t)__builtin_popcountll(conf) / 2 + 1;
}

static uint64_t rng_next(struct mon_raft *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void reset_election_timer(struct mon_raft *r)
{
	r->election_deadline = r->now + r->t.election_ms + rng_next(r) % r->t.election_ms;
}

static void persist_hard_state(struct mon_raft *r, struct mon_raft_actions *a)
{
	struct mon_raft_op *op = mon_raft_act_op(a, MON_RAFT_OP_HARD_STATE);
	op->term = r->term;
	op->vote = r->vote;
}

/* Fills the common header of a message to `to` and sends it. */
void mon_raft_reply(struct mon_raft *r, struct mon_raft_msg *m, uint32_t to, uint8_t type,
                    struct mon_raft_actions *a)
{
	m->type = type;
	m->from = r->self;
	m->to = to;
	if (!m->term)
		m->term = r->term;
	mon_raft_act_send(a, m);
}

void mon_raft_become_follower(struct mon_raft *r, uint64_t term, uint32_t leader,
                              struct mon_raft_actions *a)
{
	if (term > r->term) {
		r->term = term;
		r->vote = MON_RAFT_NONE;
		r->lease_expire = r->lease_commit = 0;
		persist_hard_state(r, a);
		a->role_changed = true;
	}
	if (r->role == MON_RAFT_LEADER)
		r->heard = r->now; /* R1: we led until now */
	if (r->role != MON_RAFT_FOLLOWER || r->leader != leader)
		a->role_changed = true;
	if (r->role != MON_RAFT_FOLLOWER)
		log_info(paxos, "mon.%u: follower in term %llu", r->self,
		         (unsigned long long)r->term);
	r->role = MON_RAFT_FOLLOWER;
	r->prevote = false;
	r->leader = leader;
	r->valid_until = 0;
	reset_election_timer(r);
}

static void become_leader(struct mon_raft *r, struct mon_raft_actions *a)
{
	uint64_t last = mon_raft_log_last(r);
	struct mon_raft_entry noop = {
		.index = last + 1,
		.term = r->term,
		.type = MON_RAFT_ENTRY_NOOP,
	};

	log_info(paxos, "mon.%u: leader in term %llu", r->self, (unsigned long long)r->term);
	r->role = MON_RAFT_LEADER;
	r->leader = r->self;
	r->became_leader = r->now;
	r->next_heartbeat = r->now + r->t.heartbeat_ms;
	a->role_changed = true;
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++) {
		memset(&r->peers[p], 0, sizeof(r->peers[p]));
		r->peers[p].next = last + 1;
	}
	r->valid_until = quorum_lease_until(r);
	if (mon_raft_log_append(r, &noop, a) < 0)
		return;
	mon_raft_broadcast(r, a);
	mon_raft_maybe_commit(r, a);
}

static void send_vote_requests(struct mon_raft *r, struct mon_raft_actions *a)
{
	uint64_t last = mon_raft_log_last(r);
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++) {
		if (p == r->self || !mon_raft_conf_has(r->conf, p))
			continue;
		struct mon_raft_msg m = {
			.term = r->prevote ? r->term + 1 : r->term,
			.prevote = r->prevote,
			.last_index = last,
			.last_term = mon_raft_log_term(r, last),
		};
		mon_raft_reply(r, &m, p, MON_RAFT_MSG_VOTE_REQ, a);
	}
}

static bool won(const struct mon_raft *r)
{
	return (uint32_t)__builtin_popcountll(r->votes & r->conf) >= mon_raft_quorum(r->conf);
}

/* Starts a pre-vote (pre) or a real election; recursion is bounded: a
 * pre-vote that wins at once starts a real vote, which then leads. */
static void campaign(struct mon_raft *r, bool pre, struct mon_raft_actions *a)
{
	if (r->role != MON_RAFT_CANDIDATE || r->leader != MON_RAFT_NONE)
		a->role_changed = true;
	r->role = MON_RAFT_CANDIDATE;
	r->leader = MON_RAFT_NONE;
	r->prevote = pre;
	r->votes = 1ull << r->self;
	if (!pre) {
		r->term++;
		r->vote = r->self;
		r->lease_expire = r->lease_commit = 0;
		persist_hard_state(r, a);
	}
	reset_election_timer(r);
	send_vote_requests(r, a);
	if (won(r)) {
		if (pre)
			campaign(r, false, a);
		else
			become_leader(r, a);
	}
}

static bool log_is_up_to_date(const struct mon_raft *r, const struct mon_raft_msg *m)
{
	uint64_t last = mon_raft_log_last(r);
	uint64_t last_term = mon_raft_log_term(r, last);
	return m->last_term > last_term || (m->last_term == last_term && m->last_index >= last);
}

static void on_vote_req(struct mon_raft *r, const struct mon_raft_msg *m,
                        struct mon_raft_actions *a)
{
	struct mon_raft_msg resp = { .prevote = m->prevote };

	/* Votes do not consult our conf (a joiner may not know it yet); removed
	 * members cannot disrupt a live leader because of R1. */
	if (r->role == MON_RAFT_LEADER || r->now < r->heard + r->t.election_ms)
		return; /* R1 */
	if (m->prevote) {
		resp.granted = m->term > r->term && log_is_up_to_date(r, m);
		resp.term = resp.granted ? m->term : r->term;
		mon_raft_reply(r, &resp, m->from, MON_RAFT_MSG_VOTE_RESP, a);
		return;
	}
	if (m->term > r->term)
		mon_raft_become_follower(r, m->term, MON_RAFT_NONE, a);
	if (m->term == r->term && (r->vote == MON_RAFT_NONE || r->vote == m->from) &&
	    log_is_up_to_date(r, m)) {
		r->vote = m->from;
		persist_hard_state(r, a); /* durable before the reply leaves */
		reset_election_timer(r);
		resp.granted = true;
	}
	mon_raft_reply(r, &resp, m->from, MON_RAFT_MSG_VOTE_RESP, a);
}

static void on_vote_resp(struct mon_raft *r, const struct mon_raft_msg *m,
                         struct mon_raft_actions *a)
{
	if (m->term > r->term && !(m->prevote && m->granted)) {
		mon_raft_become_follower(r, m->term, MON_RAFT_NONE, a);
		return;
	}
	if (r->role != MON_RAFT_CANDIDATE || m->prevote != r->prevote || !m->granted)
		return;
	if (m->term != (r->prevote ? r->term + 1 : r->term))
		return;
	r->votes |= 1ull << m->from;
	if (!won(r))
		return;
	if (r->prevote)
		campaign(r, false, a);
	else
		become_leader(r, a);
}

/* Leader: end of the quorum lease = the quorum-th most recent leader_ts
 * echoed by members (our own clock counts for us) + 90% of election_ms; the
 * 10% margin absorbs clock-rate drift between monitors. */
static uint64_t quorum_lease_until(const struct mon_raft *r)
{
	uint64_t ts[MON_RAFT_MAX_ID];
	uint32_t n = 0, q = mon_raft_quorum(r->conf);

	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++)
		if (mon_raft_conf_has(r->conf, p))
			ts[n++] = p == r->self ? r->now : r->peers[p].ack_ts;
	if (n < q)
		return 0;
	for (uint32_t i = 0; i < q; i++) /* partial selection sort, n <= 64 */
		for (uint32_t j = i + 1; j < n; j++)
			if (ts[j] > ts[i]) {
				uint64_t x = ts[i];
				ts[i] = ts[j];
				ts[j] = x;
			}
	if (!ts[q - 1])
		return 0;
	return ts[q - 1] + r->t.election_ms - r->t.election_ms / 10;
}

/* Exposed to raft_log.c through the instance: recomputed on use. */
static void refresh_valid_until(struct mon_raft *r)
{
	r->valid_until = quorum_lease_until(r);
}

static void tick_leader(struct mon_raft *r, struct mon_raft_actions *a)
{
	r->heard = r->now;
	refresh_valid_until(r);
	if (r->now >= r->next_heartbeat) {
		r->next_heartbeat = r->now + r->t.heartbeat_ms;
		mon_raft_broadcast(r, a);
	}
	mon_raft_maybe_commit(r, a); /* expired leases may unblock a commit */
	bool removed =
	    !mon_raft_conf_has(r->conf, r->self) && mon_raft_log_conf_at(r, r->commit) == r->conf;
	bool lost = r->now >= r->became_leader + r->t.election_ms && r->now >= r->valid_until;
	if (removed || lost) {
		log_warn(paxos, "mon.%u: leader steps down in term %llu (%s)", r->self,
		         (unsigned long long)r->term, removed ? "removed" : "no quorum");
		mon_raft_become_follower(r, r->term, MON_RAFT_NONE, a);
	}
}

static int finish(struct mon_raft *r, struct mon_raft_actions *a, int rc)
{
	if (a->err) {
		r->broken = a->err;
		log_err(paxos, "mon.%u: consensus state lost: %s", r->self, strerror(-a->err));
		return a->err;
	}
	assert_raft_state(r);
	return rc;
}

int mon_raft_tick(struct mon_raft *r, uint64_t now_ms, struct mon_raft_actions *a)
{
	if (r->broken)
		return r->broken;
	if (now_ms > r->now)
		r->now = now_ms;
	mon_raft_maybe_trim(r, a);
	mon_raft_apply_committed(r, a); /* left over from before a restart */
	if (r->role == MON_RAFT_LEADER)
		tick_leader(r, a);
	else if (r->now >= r->election_deadline) {
		if (mon_raft_conf_has(r->conf, r->self))
			campaign(r, true, a);
		else
			reset_election_timer(r);
	}
	return finish(r, a, 0);
}

static void dispatch_log_msg(struct mon_raft *r, const struct mon_raft_msg *m,
                             struct mon_raft_actions *a)
{
	bool from_leader = m->type != MON_RAFT_MSG_APPEND_RESP;

	if (m->term > r->term)
		mon_raft_become_follower(r, m->term, from_leader ? m->from : MON_RAFT_NONE, a);
	if (m->term < r->term) {
		if (from_leader) { /* tell the stale leader about our term */
			struct mon_raft_msg resp = { .match = mon_raft_log_last(r) };
			mon_raft_reply(r, &resp, m->from, MON_RAFT_MSG_APPEND_RESP, a);
		}
		return;
	}
	if (!from_leader) {
		if (r->role == MON_RAFT_LEADER)
			mon_raft_on_append_resp(r, m, a);
		return;
	}
	if (r->role == MON_RAFT_LEADER) {
		log_err(paxos, "mon.%u: second leader mon.%u in term %llu ignored", r->self,
		        m->from, (unsigned long long)r->term);
		return;
	}
	if (r->role != MON_RAFT_FOLLOWER || r->leader != m->from)
		mon_raft_become_follower(r, r->term, m->from, a);
	r->heard = r->now;
	reset_election_timer(r);
	if (m->type == MON_RAFT_MSG_APPEND)
		mon_raft_on_append(r, m, a);
	else
		mon_raft_on_snap(r, m, a);
}

int mon_raft_step(struct mon_raft *r, const void *msg, size_t len, uint64_t now_ms,
                  struct mon_raft_actions *a)
{
	struct mon_raft_msg m;
	int rc;

	if (r->broken)
		return r->broken;
	rc = mon_raft_msg_decode(msg, len, &m);
	if (rc < 0)
		return rc == -ENOMEM ? finish(r, a, rc) : rc;
	if (now_ms > r->now)
		r->now = now_ms;
	if (m.to != r->self || m.from == r->self) {
		mon_raft_msg_fini(&m);
		return -EINVAL;
	}
	if (r->role == MON_RAFT_LEADER)
		refresh_valid_until(r);
	if (m.type == MON_RAFT_MSG_VOTE_REQ)
		on_vote_req(r, &m, a);
	else if (m.type == MON_RAFT_MSG_VOTE_RESP)
		on_vote_resp(r, &m, a);
	else
		dispatch_log_msg(r, &m, a);
	mon_raft_msg_fini(&m);
	return finish(r, a, 0);
}

static int can_propose(struct mon_raft *r)
{
	if (r->broken)
		return r->broken;
	if (r->role != MON_RAFT_LEADER)
		return -EAGAIN;
	refresh_valid_until(r);
	if (r->now >= r->valid_until && r->now >= r->became_leader + r->t.election_ms)
		return -ENOTCONN;
	return 0;
}

static int64_t append_new(struct mon_raft *r, uint8_t type, const void *data, size_t len,
                          struct mon_raft_actions *a)
{
	struct mon_raft_entry e = {
		.index = mon_raft_log_last(r) + 1,
		.term = r->term,
		.type = type,
		.len = (uint32_t)len,
		.data = (uint8_t *)data,
	};
	if (mon_raft_log_append(r, &e, a) < 0)
		return finish(r, a, a->err ? a->err : -ENOMEM);
	for (uint32_t p = 0; p < MON_RAFT_MAX_ID; p++)
		if (p != r->self && mon_raft_conf_has(r->conf, p) && r->peers[p].next == e.index)
			mon_raft_send_append(r, p, a);
	mon_raft_maybe_commit(r, a);
	int rc = finish(r, a, 0);
	return rc < 0 ? rc : (int64_t)e.index;
}

int64_t mon_raft_propose(struct mon_raft *r, const void *data, size_t len,
                         struct mon_raft_actions *a)
{
	int rc = can_propose(r);
	if (rc < 0)
		return rc;
	if (len > MON_RAFT_MAX_ENTRY)
		return -EMSGSIZE;
	return append_new(r, MON_RAFT_ENTRY_DATA, data, len, a);
}

int64_t mon_raft_propose_conf(struct mon_raft *r, bool add, uint32_t id, struct mon_raft_actions *a)
{
	uint8_t buf[8];
	int rc = can_propose(r);
	if (rc < 0)
		return rc;
	if (id >= MON_RAFT_MAX_ID)
		return -EINVAL;
	/* One change at a time, and only after this leader committed in its term
	 * (single-server changes are only safe then). */
	if (mon_raft_log_conf_at(r, r->commit) != r->conf ||
	    mon_raft_log_term(r, r->commit) != r->term)
		return -EBUSY;
	uint64_t conf = add ? r->conf | (1ull << id) : r->conf & ~(1ull << id);
	if (conf == r->conf)
		return -EALREADY;
	if (!conf)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(conf >> (8 * i));
	return append_new(r, MON_RAFT_ENTRY_CONF, buf, sizeof(buf), a);
}

bool mon_raft_read_is_safe(const struct mon_raft *r, uint64_t now_ms, uint64_t *version)
{
	if (r->broken)
		return false;
	if (r->role == MON_RAFT_LEADER) {
		if (now_ms >= quorum_lease_until(r) || now_ms < r->now ||
		    mon_raft_log_term(r, r->commit) != r->term)
			return false;
	} else if (r->role != MON_RAFT_FOLLOWER || r->leader == MON_RAFT_NONE ||
	           now_ms >= r->lease_expire || r->commit < r->lease_commit ||
	           mon_raft_log_last(r) != r->commit) {
		return false;
	}
	*version = r->commit;
	return true;
}

/* --- lifecycle and queries --- */

static int check_args(uint32_t self, const struct mon_raft_timing *t,
                      const struct mon_raft_state *st)
{
	if (self >= MON_RAFT_MAX_ID || t->election_ms < 2 || !t->heartbeat_ms ||
	    t->heartbeat_ms >= t->election_ms || !t->keep_versions || !t->max_batch)
		return -EINVAL;
	uint64_t prev_term = st->snap_term;
	for (size_t i = 0; i < st->n_entries; i++) {
		const struct mon_raft_entry *e = &st->entries[i];
		if (e->index != st->snap_index + 1 + i || e->term < prev_term ||
		    e->term > st->term || e->type > MON_RAFT_ENTRY_CONF ||
		    (e->type == MON_RAFT_ENTRY_CONF && e->len != 8))
			return -EINVAL;
		prev_term = e->term;
	}
	if (st->applied < st->snap_index || st->applied > st->snap_index + st->n_entries ||
	    st->snap_term > st->term)
		return -EINVAL;
	return 0;
}

static int load_log(struct mon_raft *r, const struct mon_raft_state *st)
{
	if (!st->n_entries)
		return 0;
	r->log = mem_calloc(st->n_entries, sizeof(*r->log));
	if (!r->log)
		return -ENOMEM;
	r->cap_log = st->n_entries;
	for (size_t i = 0; i < st->n_entries; i++, r->n_log++)
		if (mon_raft_entry_copy(&r->log[i], &st->entries[i]) < 0)
			return -ENOMEM;
	return 0;
}

int mon_raft_create(uint32_t self, const struct mon_raft_timing *t, const struct mon_raft_state *st,
                    uint64_t now_ms, struct mon_raft **out)
{
	struct mon_raft *r;
	int rc = check_args(self, t, st);

	if (rc < 0)
		return rc;
	r = mem_calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = load_log(r, st);
	if (rc < 0) {
		mon_raft_destroy(r);
		return rc;
	}
	r->self = self;
	r->t = *t;
	r->rng = t->seed ^ ((uint64_t)self << 32);
	r->role = MON_RAFT_FOLLOWER;
	r->leader = MON_RAFT_NONE;
	r->term = st->term;
	r->vote = st->vote;
	r->base_index = st->snap_index;
	r->base_term = st->snap_term;
	r->base_conf = st->snap_conf;
	r->applied = st->applied;
	r->commit = st->commit > st->applied ? st->commit : st->applied;
	if (r->commit > mon_raft_log_last(r))
		r->commit = mon_raft_log_last(r);
	r->conf = mon_raft_log_conf_at(r, mon_raft_log_last(r));
	r->now = r->created = r->heard = now_ms; /* R1 also holds across restarts */
	reset_election_timer(r);
	assert_raft_state(r);
	*out = r;
	return 0;
}

void mon_raft_destroy(struct mon_raft *r)
{
	if (!r)
		return;
	mon_raft_log_free(r);
	mem_free(r);
}

enum mon_raft_role mon_raft_role(const struct mon_raft *r)
{
	return r->role;
}

uint32_t mon_raft_leader(const struct mon_raft *r)
{
	return r->leader;
}

uint64_t mon_raft_term(const struct mon_raft *r)
{
	return r->term;
}

uint64_t mon_raft_commit(const struct mon_raft *r)
{
	return r->commit;
}

uint64_t mon_raft_last_index(const struct mon_raft *r)
{
	return mon_raft_log_last(r);
}

uint64_t mon_raft_first_index(const struct mon_raft *r)
{
	return r->base_index + 1;
}

uint64_t mon_raft_conf(const struct mon_raft *r)
{
	return r->conf;
}

bool mon_raft_is_broken(const struct mon_raft *r)
{
	return r->broken != 0;
}

const struct mon_raft_entry *mon_raft_entry_at(const struct mon_raft *r, uint64_t index)
{
	if (index <= r->base_index || index > mon_raft_log_last(r))
		return NULL;
	return &r->log[index - r->base_index - 1];
}
