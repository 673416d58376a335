/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/raft_int.h - private declarations of the consensus core: the instance,
 * the wire messages and the functions shared by raft.c, raft_log.c, raft_msg.c.
 * Threads: as raft.h. Tests and the fuzz target include it; the daemon does not. */
#ifndef SEPIA_MON_RAFT_INT_H
#define SEPIA_MON_RAFT_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mon/raft.h"

struct enc;

#define MON_RAFT_MSG_V     1           /* struct_v of every message */
#define MON_RAFT_MAX_ENTRY (64u << 20) /* largest proposal, bytes */

enum mon_raft_msg_type {
	MON_RAFT_MSG_VOTE_REQ = 1,
	MON_RAFT_MSG_VOTE_RESP = 2,
	MON_RAFT_MSG_APPEND = 3,
	MON_RAFT_MSG_APPEND_RESP = 4,
	MON_RAFT_MSG_SNAP = 5,
};

/* One decoded message. Fields are used per type (README "wire format");
 * decoded entries and snapshot bytes point into the input buffer. */
struct mon_raft_msg {
	uint8_t type;
	bool prevote; /* VOTE_REQ, VOTE_RESP */
	uint32_t from, to;
	uint64_t term;
	uint64_t last_index, last_term;         /* VOTE_REQ */
	bool granted;                           /* VOTE_RESP */
	uint64_t prev_index, prev_term, commit; /* APPEND */
	uint64_t leader_ts;                     /* APPEND, SNAP: leader's clock at send */
	uint64_t echo_ts;      /* APPEND: follower_ts echoed; RESP: leader_ts echoed */
	uint32_t lease_ms;     /* APPEND: lease length from echo_ts, 0 = none */
	uint64_t lease_commit; /* APPEND: serve reads only at commit >= this */
	uint32_t n_entries;
	struct mon_raft_entry *entries; /* APPEND: index = prev_index + 1 + i */
	bool success;                   /* APPEND_RESP */
	uint64_t match;                 /* APPEND_RESP: matched index, or hint on failure */
	uint64_t follower_ts;           /* APPEND_RESP: follower's clock at send */
	uint64_t snap_index, snap_term, snap_conf; /* SNAP */
	const uint8_t *snap_data;
	uint32_t snap_len;
};

struct mon_raft_peer {
	uint64_t next, match;  /* replication progress */
	uint64_t ack_ts;       /* largest leader_ts it echoed this term */
	uint64_t peer_ts;      /* its latest follower_ts, to echo in a grant */
	uint64_t lease_bound;  /* on our clock: its lease ends before this */
	uint64_t snap_sent_at; /* last snapshot request or send */
};

struct mon_raft {
	uint32_t self;
	struct mon_raft_timing t;
	enum mon_raft_role role;
	bool prevote; /* candidate in its pre-vote phase */
	uint32_t leader;
	uint64_t term;
	uint32_t vote;
	uint64_t votes;             /* mask of grants in this (pre)vote */
	struct mon_raft_entry *log; /* log[i] has index base_index + 1 + i */
	size_t n_log, cap_log;
	uint64_t base_index, base_term, base_conf;
	uint64_t commit, applied, conf;
	uint64_t now, created, heard; /* heard: last contact with a leader */
	uint64_t election_deadline, next_heartbeat;
	uint64_t became_leader, valid_until; /* leader's quorum lease */
	uint64_t lease_expire, lease_commit; /* follower's read lease */
	uint64_t rng;
	int broken; /* first -ENOMEM: the instance must be recreated */
	struct mon_raft_peer peers[MON_RAFT_MAX_ID];
};

/* raft_msg.c: codec and action helpers. */
int mon_raft_msg_encode(const struct mon_raft_msg *m, struct enc *e);
int mon_raft_msg_decode(const void *p, size_t n, struct mon_raft_msg *m);
void mon_raft_msg_fini(struct mon_raft_msg *m);
void mon_raft_act_send(struct mon_raft_actions *a, const struct mon_raft_msg *m);
struct mon_raft_op *mon_raft_act_op(struct mon_raft_actions *a, enum mon_raft_op_kind kind);
void mon_raft_act_entry(struct mon_raft_actions *a, const struct mon_raft_entry *e);
void mon_raft_act_apply(struct mon_raft_actions *a, const struct mon_raft_entry *e);
int mon_raft_entry_copy(struct mon_raft_entry *dst, const struct mon_raft_entry *src);

/* raft_log.c: the in-memory log, replication, commit and snapshots. */
uint64_t mon_raft_log_last(const struct mon_raft *r);
uint64_t mon_raft_log_term(const struct mon_raft *r, uint64_t index); /* 0 if unknown */
uint64_t mon_raft_log_conf_at(const struct mon_raft *r, uint64_t index);
int mon_raft_log_append(struct mon_raft *r, const struct mon_raft_entry *e,
                        struct mon_raft_actions *a);
void mon_raft_log_free(struct mon_raft *r);
void mon_raft_send_append(struct mon_raft *r, uint32_t peer, struct mon_raft_actions *a);
void mon_raft_broadcast(struct mon_raft *r, struct mon_raft_actions *a);
void mon_raft_maybe_commit(struct mon_raft *r, struct mon_raft_actions *a);
void mon_raft_set_commit(struct mon_raft *r, uint64_t commit, struct mon_raft_actions *a);
void mon_raft_on_append(struct mon_raft *r, const struct mon_raft_msg *m,
                        struct mon_raft_actions *a);
void mon_raft_on_append_resp(struct mon_raft *r, const struct mon_raft_msg *m,
                             struct mon_raft_actions *a);
void mon_raft_on_snap(struct mon_raft *r, const struct mon_raft_msg *m, struct mon_raft_actions *a);
void mon_raft_apply_committed(struct mon_raft *r, struct mon_raft_actions *a);
void mon_raft_maybe_trim(struct mon_raft *r, struct mon_raft_actions *a);

/* raft.c: shared helpers. */
uint32_t mon_raft_quorum(uint64_t conf);
void mon_raft_become_follower(struct mon_raft *r, uint64_t term, uint32_t leader,
                              struct mon_raft_actions *a);
void mon_raft_update_conf(struct mon_raft *r, struct mon_raft_actions *a);
void mon_raft_reply(struct mon_raft *r, struct mon_raft_msg *m, uint32_t to, uint8_t type,
                    struct mon_raft_actions *a);

#endif /* SEPIA_MON_RAFT_INT_H */
