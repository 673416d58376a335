/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/mon/sim.h - a seeded simulator of N monitors' consensus cores on
 * a faulty network with crashes that lose what was not fsync'd yet. */
#ifndef SEPIA_TESTS_SIM_MON_SIM_H
#define SEPIA_TESTS_SIM_MON_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mon/raft.h"

#define SIM_MAX_NODES 8

/* One consensus batch waiting for its simulated fsync. */
struct sim_batch {
	uint64_t durable_at;
	struct mon_raft_actions acts;
	struct sim_batch *next;
};

struct sim_node {
	bool exists, up;
	struct mon_raft *r;
	uint64_t next_tick;
	struct sim_batch *pend, *pend_tail; /* FIFO: fsyncs complete in order */
	uint64_t last_durable_at;
	/* what survives a crash */
	uint64_t term, commit, base_index, base_term, base_conf;
	uint32_t vote;
	struct mon_raft_entry *log; /* base_index + 1 ... */
	size_t n_log, cap_log;
	uint64_t applied, app_hash; /* the application state: a hash chain */
	uint64_t checked_commit;    /* committed entries verified up to here */
};

struct sim_msg {
	uint64_t at;
	uint32_t from, to;
	uint8_t *data;
	size_t len;
};

struct sim_opts {
	uint32_t nodes;    /* initial members: 3 or 5 */
	uint64_t fault_ms; /* length of the faulty phase */
	uint64_t quiet_ms; /* bound for liveness after faults stop */
	bool membership;   /* add and remove members */
	bool verbose;
};

struct sim {
	struct sim_opts o;
	uint64_t seed, rng, now, steps;
	struct mon_raft_timing timing;
	struct sim_node nodes[SIM_MAX_NODES];
	uint32_t n_ids;               /* ids in use: 0 .. n_ids - 1 */
	uint8_t group[SIM_MAX_NODES]; /* partitions: same group talks */
	uint32_t drop_pct, dup_pct, slow_pct;
	uint32_t write_pct; /* chaos events that are proposals */
	bool faults;        /* false once the quiet phase starts */
	struct sim_msg *msgs;
	size_t n_msgs, cap_msgs;
	uint64_t next_chaos;
	/* global history for the checks */
	uint64_t *leader_of; /* by term: leader id + 1, 0 = none seen */
	size_t n_leader_of;
	uint64_t *committed; /* by index: hash of the committed entry, 0 = unknown */
	uint64_t *chain;     /* by index: hash chain of applied history */
	size_t n_hist;
	uint64_t next_value;  /* proposal values are 1, 2, ... */
	uint64_t *prop_index; /* by value: index it was proposed at (0: refused) */
	uint32_t *prop_node;
	size_t n_props;
	uint64_t max_acked; /* highest index acknowledged to a client */
	uint64_t stats_reads, stats_acks, stats_elections;
	char failure[256]; /* first invariant broken, "" if none */
};

/* sim.c */
int sim_run(uint64_t seed, const struct sim_opts *o, struct sim *s);
void sim_fini(struct sim *s);
uint64_t sim_rand(struct sim *s, uint64_t n); /* uniform in [0, n) */

/* sim.c: nodes and their simulated disks */
void sim_node_start(struct sim *s, uint32_t id);
void sim_node_crash(struct sim *s, uint32_t id);
void sim_node_add(struct sim *s, uint32_t id, uint64_t conf);
void sim_node_submit(struct sim *s, uint32_t id, struct mon_raft_actions *a);
void sim_batch_done(struct sim *s, uint32_t id, struct sim_batch *b);

/* sim_check.c: invariants; each returns false and fills s->failure. */
bool sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t sim_entry_hash(const struct mon_raft_entry *e);
bool sim_check_node(struct sim *s, uint32_t id);
bool sim_check_apply(struct sim *s, uint32_t id, const struct mon_raft_entry *e);
bool sim_check_snapshot(struct sim *s, uint32_t id, uint64_t index, uint64_t hash);
bool sim_check_read(struct sim *s, uint32_t id);
int sim_grow(void *arr, size_t elem, size_t *n, size_t want);

#endif /* SEPIA_TESTS_SIM_MON_SIM_H */
