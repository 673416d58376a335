/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/raft.h - the monitors' consensus core: Raft with pre-vote, check-quorum,
 * leader and follower read leases, as a pure state machine.
 * Threads: an instance belongs to one thread at a time. No clock, no I/O, no
 * sockets: messages and ticks go in (time as now_ms), actions come out.
 *
 * The caller's loop, for every call that takes a struct mon_raft_actions:
 *   1. call mon_raft_step / tick / propose / propose_conf / send_snapshot;
 *   2. make a->ops durable, in order, in one atomic fsync'd batch;
 *   3. only then send a->msgs and apply a->apply in order (applying entry i
 *      and recording "applied = i" atomically), then serve a->snap_peers;
 *   4. mon_raft_actions_reset(a) before the next call.
 * Calls must not overlap with an unfinished batch: step 2 of one call
 * happens-before step 1 of the next (src/mon/README.md, "persistence"). */
#ifndef SEPIA_MON_RAFT_H
#define SEPIA_MON_RAFT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mon_raft; /* opaque */

#define MON_RAFT_MAX_ID 64u        /* member ids are 0..63: a conf is a u64 mask */
#define MON_RAFT_NONE   UINT32_MAX /* no vote, no leader */

enum mon_raft_role {
	MON_RAFT_FOLLOWER = 0,
	MON_RAFT_CANDIDATE = 1, /* pre-vote or vote phase */
	MON_RAFT_LEADER = 2,
};

enum mon_raft_entry_type {
	MON_RAFT_ENTRY_NOOP = 0, /* appended by each new leader */
	MON_RAFT_ENTRY_DATA = 1, /* a proposal: opaque bytes for the caller */
	MON_RAFT_ENTRY_CONF = 2, /* membership: data is the u64 mask, LE */
};

struct mon_raft_entry {
	uint64_t index, term;
	uint8_t type; /* enum mon_raft_entry_type */
	uint32_t len;
	uint8_t *data; /* owned by whoever holds the entry (see each use) */
};

/* Timing in milliseconds and other tunables. */
struct mon_raft_timing {
	uint32_t election_ms;   /* base E: timeouts are drawn from [E, 2E) */
	uint32_t heartbeat_ms;  /* leader's append/lease-renewal interval, < E */
	uint32_t lease_ms;      /* longest read lease granted to a follower */
	uint32_t keep_versions; /* committed entries kept behind applied (>= 1) */
	uint32_t max_batch;     /* entries per append message (>= 1) */
	uint64_t seed;          /* seeds the election-jitter RNG */
};

/* What the store holds, loaded at start. entries are borrowed (copied by
 * create) and must be contiguous from snap_index + 1. A fresh bootstrap
 * member passes snap_index 0 with snap_conf = the initial members; a monitor
 * joining an existing cluster passes snap_conf 0 and waits to be contacted. */
struct mon_raft_state {
	uint64_t term;
	uint32_t vote;    /* MON_RAFT_NONE if none in term */
	uint64_t commit;  /* last durable commit index (may lag the truth) */
	uint64_t applied; /* the caller's durably applied index, >= snap_index */
	uint64_t snap_index, snap_term, snap_conf;
	const struct mon_raft_entry *entries;
	size_t n_entries;
};

/* Persistence actions, executed in order in one atomic, fsync'd batch. */
enum mon_raft_op_kind {
	MON_RAFT_OP_HARD_STATE, /* term, vote */
	MON_RAFT_OP_TRUNCATE,   /* delete log entries >= index */
	MON_RAFT_OP_ENTRY,      /* put entry (entry.data owned by the actions) */
	MON_RAFT_OP_COMMIT,     /* index is committed (lazy: may be batched) */
	MON_RAFT_OP_TRIM,       /* delete entries <= index; base = (index, term, conf) */
	MON_RAFT_OP_SNAPSHOT,   /* replace the applied state with data, which is at
				 * index; delete entries <= index; base and applied =
				 * (index, term, conf) */
};

struct mon_raft_op {
	enum mon_raft_op_kind kind;
	uint64_t index, term;
	uint32_t vote;
	uint64_t conf;
	struct mon_raft_entry entry;
	uint8_t *data; /* SNAPSHOT bytes, owned by the actions */
	size_t len;
};

struct mon_raft_msg_out {
	uint32_t to;
	uint8_t *data; /* encoded message, owned by the actions */
	size_t len;
};

/* Filled by every call; the caller drains it (see the top of this file).
 * Arrays grow with mem_*; on -ENOMEM the call fails and the instance is
 * broken (mon_raft_is_broken): destroy it and recreate it from the store. */
struct mon_raft_actions {
	struct mon_raft_op *ops;
	size_t n_ops, cap_ops;
	struct mon_raft_msg_out *msgs;
	size_t n_msgs, cap_msgs;
	struct mon_raft_entry *apply; /* committed, in order; data owned here */
	size_t n_apply, cap_apply;
	uint64_t snap_peers; /* mask: peers that need mon_raft_send_snapshot */
	bool role_changed;   /* role, leader or term changed; see queries */
	bool conf_changed;   /* mon_raft_conf() changed */
	int err;             /* first allocation error, sticky */
};

void mon_raft_actions_init(struct mon_raft_actions *a);
void mon_raft_actions_reset(struct mon_raft_actions *a); /* frees contents */
void mon_raft_actions_fini(struct mon_raft_actions *a);

/* Creates the instance for member self from the durable state. 0, -EINVAL
 * (bad timing, self >= MON_RAFT_MAX_ID, non-contiguous entries), -ENOMEM;
 * *out untouched on error. */
int mon_raft_create(uint32_t self, const struct mon_raft_timing *t, const struct mon_raft_state *st,
                    uint64_t now_ms, struct mon_raft **out);
void mon_raft_destroy(struct mon_raft *r); /* NULL is a no-op */

/* A message received from the network (borrowed). 0, -EBADMSG (malformed:
 * dropped, state unchanged), -EPROTONOSUPPORT, -EINVAL (not addressed to
 * us: dropped), -ENOMEM (broken). */
int mon_raft_step(struct mon_raft *r, const void *msg, size_t len, uint64_t now_ms,
                  struct mon_raft_actions *a);
/* Timers: elections, heartbeats, lease expiry, check-quorum, trimming.
 * Call every few milliseconds up to heartbeat_ms / 2. 0 or -ENOMEM. */
int mon_raft_tick(struct mon_raft *r, uint64_t now_ms, struct mon_raft_actions *a);
/* Appends a DATA entry (bytes copied). Returns its index (> 0): it is
 * committed when it appears in a->apply of some later batch with the same
 * index and term (mon_raft_term() now). -EAGAIN: not the leader (ask
 * mon_raft_leader()); -ENOTCONN: leader without a quorum; -EMSGSIZE; -ENOMEM. */
int64_t mon_raft_propose(struct mon_raft *r, const void *data, size_t len,
                         struct mon_raft_actions *a);
/* Adds (add = true) or removes one member through a CONF entry; as propose.
 * -EBUSY: another change is uncommitted or this leader has not committed
 * in its term yet; -EALREADY: no change; -EINVAL: id out of range or the
 * removal would leave no member. */
int64_t mon_raft_propose_conf(struct mon_raft *r, bool add, uint32_t id,
                              struct mon_raft_actions *a);
/* Answers a->snap_peers: data (copied) is the caller's applied state at
 * index (its durably applied version). 0, -EAGAIN (not leader), -ESTALE
 * (index older than the leader's log base: take a fresh one), -EINVAL. */
int mon_raft_send_snapshot(struct mon_raft *r, uint32_t peer, const void *data, size_t len,
                           uint64_t index, struct mon_raft_actions *a);

/* True if this monitor may serve a read now: every write acknowledged
 * (applied by the leader) before now is in version *version (the commit
 * index). The caller serves from its state once it has applied *version.
 * False on a follower without a valid lease or with entries whose commit it
 * has not learned yet (retry after the next batch), on a leader without a
 * quorum lease or before it committed in its term. */
bool mon_raft_read_is_safe(const struct mon_raft *r, uint64_t now_ms, uint64_t *version);

/* Queries. */
enum mon_raft_role mon_raft_role(const struct mon_raft *r);
uint32_t mon_raft_leader(const struct mon_raft *r); /* MON_RAFT_NONE if unknown */
uint64_t mon_raft_term(const struct mon_raft *r);
uint64_t mon_raft_commit(const struct mon_raft *r);
uint64_t mon_raft_last_index(const struct mon_raft *r);
uint64_t mon_raft_first_index(const struct mon_raft *r); /* base + 1 */
uint64_t mon_raft_conf(const struct mon_raft *r);        /* latest, maybe uncommitted */
bool mon_raft_is_broken(const struct mon_raft *r);
/* The log entry at index, valid until the next call; NULL if trimmed or absent. */
const struct mon_raft_entry *mon_raft_entry_at(const struct mon_raft *r, uint64_t index);

static inline bool mon_raft_conf_has(uint64_t conf, uint32_t id)
{
	return id < MON_RAFT_MAX_ID && (conf >> id) & 1u;
}

#endif /* SEPIA_MON_RAFT_H */
