/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon.h - the monitor daemon's context and the interfaces between its
 * subsystems: transport (mon_net.c), consensus driver (mon_consensus.c), map
 * services (mon_svc.c, mon_svc_store.c), commands (mon_cmd*.c),
 * subscriptions (mon_sub.c), OSD liveness (mon_osd.c), mkfs (mon_mkfs.c).
 * Threads: everything here belongs to the daemon's main loop (d.loop) except
 * the inbound queue, which the messenger's dispatch thread fills under
 * q_lock, and the status copy the admin socket thread reads under
 * status_lock (never held together; README "Monitor daemon"). */
#ifndef SEPIA_MON_MON_H
#define SEPIA_MON_MON_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "common/daemon.h"
#include "common/enc.h"
#include "common/list.h"
#include "maps/fsmap.h"
#include "maps/monmap.h"
#include "maps/osdmap.h"
#include "monc/mon_proto.h"
#include "mon/raft.h"

struct mon_store;
struct mon_store_batch;
struct msg_conn;
struct msg_messenger;
struct msg_registry;
struct mon_msg_command;
struct perf_coll;
struct tmr;
struct wq;

/* Internal message types between monitors (40-47, see monc/mon_proto.h). */
enum mon_int_type {
	MON_MSG_RAFT = 40,      /* one consensus message (raft_msg.c bytes) */
	MON_MSG_FWD = 41,       /* a peon forwards a client's message to the leader */
	MON_MSG_FWD_REPLY = 42, /* the leader's answer to a forwarded command */
};

/* Log entry payload: a sequence of service operations (mon_txn). */
enum mon_svc_op {
	MON_OP_OSDMAP = 1, /* an encoded osdmap_inc */
	MON_OP_FSMAP = 2,  /* an encoded fsmap of epoch current + 1 */
	MON_OP_MONMAP = 3, /* an encoded monmap of epoch current + 1 */
	MON_OP_KV_PUT = 4, /* key, value strings */
	MON_OP_KV_DEL = 5, /* key string */
};

#define MON_TXN_MAX_OPS 64 /* operations in one log entry */

/* A proposal being built: n envelopes of (op, payload) in e. */
struct mon_txn {
	struct enc e;
	uint32_t n;
};

/* Map services. Committed state is what has been applied and made durable;
 * the pending views (leader only) add what this leader proposed but has not
 * applied yet, so that one command sees the effect of the previous one. */
struct mon_svc {
	struct monmap monmap;
	struct osdmap *osdmap;  /* committed; never NULL once loaded */
	struct osdmap *pending; /* leader: committed + proposed, NULL = same */
	struct fsmap fsmap;
	struct fsmap fs_pending;
	bool fs_has_pending;
	json_t *kv; /* committed key -> string */
	/* encoded OSD map incrementals inc_first .. inc_first + n_incs - 1 */
	uint8_t **incs;
	uint32_t *inc_lens;
	uint32_t inc_first, n_incs, cap_incs;
	uint32_t kept; /* mon_min_versions_kept */
};

/* A command or proposal waiting for something (mon_cmd.c). */
enum mon_wait_kind {
	MON_WAIT_COMMIT,  /* leader: the proposal at (index, term) */
	MON_WAIT_FORWARD, /* peon: the leader's FWD_REPLY for fwd_tid */
	MON_WAIT_RETRY,   /* parked: no leader or no read lease yet */
};

struct mon_waiter {
	struct list_node node;
	enum mon_wait_kind kind;
	struct msg_conn *conn;       /* reply here (ref held) */
	uint64_t tid;                /* the client's tid, or the peon's fwd_tid */
	bool reply_fwd;              /* conn is a peon: answer with FWD_REPLY */
	uint64_t index, term;        /* MON_WAIT_COMMIT */
	uint64_t fwd_tid;            /* MON_WAIT_FORWARD */
	struct mon_msg_command *cmd; /* MON_WAIT_RETRY / FORWARD: the command */
	int rc;
	char *status, *out; /* MON_WAIT_COMMIT: the answer once committed */
	size_t out_len;
	uint64_t deadline_ms;
};

/* Per-OSD liveness bookkeeping, leader only (mon_osd.c). */
struct mon_osd_track {
	uint64_t last_beacon_ms;
	uint64_t down_since_ms;
	uint64_t reporters; /* bitmask of reporters < 64, counted distinct */
	uint32_t nreporters;
};

/* The PG map at the leader (mon_pg.c): soft state from OSD reports. */
struct mon_pg_entry {
	struct mon_pg_stat st;
	int osd; /* the reporting primary */
	uint64_t recv_ms;
};
struct mon_pg_osd {
	bool have;
	uint64_t recv_ms;
	uint64_t total, used, avail, objects;
};
struct mon_pgmap {
	struct mon_pg_entry *pgs; /* sorted by (pool, ps) */
	size_t n, cap;
	struct mon_pg_osd *osd; /* by OSD id */
	size_t nosd;
};

enum {
	MON_P_PROPOSALS,
	MON_P_APPLIED,
	MON_P_COMMANDS,
	MON_P_FORWARDED,
	MON_P_BATCHES,
	MON_P_ELECTIONS,
	MON_P_COUNT
};

/* The daemon. */
struct mon {
	struct daemon d; /* first: steps get &mon.d */
	bool mkfs;       /* --mkfs: create the store and exit */
	const char *name;
	const char *monmap_file; /* --mkfs --monmap FILE: join an existing cluster */
	uint32_t rank;           /* index in the committed MonMap (changes) */
	uint32_t id;             /* consensus member id (stable, monmap.h) */
	bool in_monmap;          /* false once a committed MonMap removed us */
	uint8_t fsid[16];
	struct perf_coll *pc;
	/* persistence */
	struct mon_store *store;
	struct wq *wq;
	struct mon_store_batch *batch; /* in flight while busy */
	/* consensus */
	struct mon_raft *raft;
	struct mon_raft_actions act;
	bool busy;        /* a batch is being made durable */
	bool tick_due;    /* a tick arrived while busy */
	uint64_t applied; /* last applied (and durable once !busy) index */
	uint64_t applied_term;
	uint32_t leader; /* member id; MON_RAFT_NONE if unknown */
	uint64_t term;
	struct tmr *tick;
	uint64_t last_tick_ms;
	uint64_t peer_seen_ms[MONMAP_MAX_ID]; /* by member id */
	uint64_t leader_since_ms;             /* when the current leadership began (quorum) */
	bool reload;                          /* a snapshot replaced the store: reload services */
	uint64_t snap_want;                   /* peers waiting for a snapshot */
	bool init_proposed;                   /* this leader proposed the first maps */
	bool write_ready;      /* leader that has applied everything before its term */
	uint64_t monmap_index; /* leader: index of a MonMap change not applied yet */
	bool group_solo;       /* the group holds a MonMap change: nothing joins it */
	struct mon_txn group;  /* leader: changes queued for the next proposal */
	/* transport (mon_net.c); q_lock guards inq only */
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	struct msg_conn *peers[MONMAP_MAX_ID]; /* by member id */
	uv_async_t wake;
	bool wake_init;
	pthread_mutex_t q_lock;
	struct list_node inq;
	/* services, commands, subscriptions, OSDs */
	struct mon_svc svc;
	struct list_node waiters;
	uint64_t next_fwd_tid;
	struct list_node subs;
	struct mon_osd_track *otrack;
	size_t n_otrack;
	bool osd_leader_init;
	struct mon_pgmap pgmap;
	/* status for the admin socket thread; status_lock guards status_snap */
	pthread_mutex_t status_lock;
	json_t *status_snap;
};

static inline struct mon *mon_of(struct daemon *d)
{
	return (struct mon *)(void *)d;
}

uint64_t mon_now_ms(void);

/* mon_mkfs.c: --mkfs, opening and loading the store. */
int mon_step_args(struct daemon *d);
int mon_step_store(struct daemon *d);
void mon_unstep_store(struct daemon *d);
int mon_initial_monmap(struct mon *m, struct monmap *out);

/* mon_net.c: messenger, inbound queue, internal messages. */
int mon_step_net(struct daemon *d);
void mon_unstep_net(struct daemon *d);
/* Registers the monitor protocol and the monitors' own types (40-42). */
int mon_net_register(struct msg_registry *reg);
int mon_net_send_id(struct mon *m, uint32_t id, struct msg *msg); /* takes msg */
int mon_net_send_raft(struct mon *m, uint32_t to, const uint8_t *p, size_t len);
int mon_net_forward(struct mon *m, uint64_t fwd_tid, const struct msg *orig);
int mon_net_fwd_reply(struct msg_conn *c, uint64_t fwd_tid, int rc, const char *status,
                      const char *out, size_t out_len);
int mon_net_reply(struct msg_conn *c, uint64_t tid, int rc, const char *status, const char *out,
                  size_t out_len, uint32_t leader);
void mon_net_drain(struct mon *m); /* handles queued events while idle */

/* mon_consensus.c: drives raft: persistence, then sends, then applies. */
int mon_step_consensus(struct daemon *d);
void mon_unstep_consensus(struct daemon *d);
void mon_consensus_step(struct mon *m, const void *p, size_t len);
/* Group commit: queues tx's operations (copied) for the next proposal; the
 * group is proposed as one log entry by mon_consensus_flush (end of every
 * drain and tick), or now if it is full. A tx holding a MonMap change is
 * proposed alone in its entry (a joining monitor skips the MonMap changes
 * its store already has; README "Adding and removing monitors").
 * 0, -EAGAIN (not idle), -ENOMEM. */
int mon_consensus_queue(struct mon *m, const struct mon_txn *tx);
void mon_consensus_flush(struct mon *m);
bool mon_is_leader(const struct mon *m);
/* True if a read of committed state is safe now (lease held, caught up). */
bool mon_can_read(const struct mon *m);
/* True if this monitor is the leader and may accept writes now. */
bool mon_can_write(const struct mon *m);
/* Mask of the RANKS (in the committed MonMap) in the quorum. */
uint64_t mon_quorum_mask(const struct mon *m);
/* The committed MonMap changed (applied or reloaded): rank, peers. */
void mon_monmap_changed(struct mon *m);
/* Name of member id (the committed MonMap), "" if unknown. */
const char *mon_id_name(const struct mon *m, uint32_t id);
/* True while a MonMap change is proposed or the consensus configuration
 * differs from the MonMap's ids (leader). */
bool mon_change_in_progress(const struct mon *m);

/* mon_svc.c: map services. */
void mon_txn_init(struct mon_txn *tx);
void mon_txn_fini(struct mon_txn *tx);
void mon_txn_add(struct mon_txn *tx, enum mon_svc_op op, const void *p, size_t len);
void mon_txn_kv(struct mon_txn *tx, const char *key, const char *val); /* NULL val: del */
int mon_svc_load(struct mon *m);
void mon_svc_fini(struct mon_svc *s);
/* Applies one committed entry; puts the changes into b. 0, or -ESTALE if an
 * operation no longer applied (its proposal raced another), -EBADMSG. */
int mon_svc_apply(struct mon *m, const uint8_t *p, size_t len, struct mon_store_batch *b);
/* One operation of a log entry; p points into the entry. */
struct mon_svc_opref {
	uint8_t op; /* enum mon_svc_op */
	const void *p;
	uint32_t len;
};
/* Splits an entry into at most MON_TXN_MAX_OPS operations. 0 or -EBADMSG. */
int mon_svc_split(const uint8_t *p, size_t len, struct mon_svc_opref *ops, size_t *n);
/* The epoch a versioned operation produces (0 if unversioned), -EBADMSG. */
int64_t mon_svc_op_epoch(const struct mon_svc_opref *o);
const struct osdmap *mon_svc_osdmap_view(const struct mon *m); /* pending or committed */
const struct fsmap *mon_svc_fsmap_view(const struct mon *m);
/* Leader: queue an incremental (consumed) into tx and the pending view. */
int mon_svc_propose_inc(struct mon *m, struct osdmap_inc *inc, struct mon_txn *tx);
int mon_svc_propose_fsmap(struct mon *m, const struct fsmap *fs, struct mon_txn *tx);
void mon_svc_drop_pending(struct mon *m);
int mon_svc_initial_txn(struct mon *m, struct mon_txn *tx);
/* The encoded incremental of epoch e, NULL if not kept. */
const uint8_t *mon_svc_inc(const struct mon *m, uint32_t e, uint32_t *len);

/* mon_cmd.c: command dispatch, waiters, forwarding. */
void mon_cmd_handle(struct mon *m, struct mon_msg_command *cmd, struct msg_conn *reply_to,
                    bool reply_fwd);
void mon_cmd_fwd_reply(struct mon *m, uint64_t fwd_tid, int rc, const char *status, const char *out,
                       size_t out_len);
void mon_cmd_applied(struct mon *m, uint64_t index, uint64_t term, int rc);
/* The queued group became proposal index in term (or failed: index < 0). */
void mon_cmd_proposed(struct mon *m, int64_t index, uint64_t term);
void mon_cmd_tick(struct mon *m, uint64_t now);
void mon_cmd_fini(struct mon *m);
int mon_step_asok(struct daemon *d);
void mon_unstep_asok(struct daemon *d);
json_t *mon_status_json(struct mon *m);
void mon_status_publish(struct mon *m); /* refresh the admin socket's copy */

/* mon_sub.c: subscriptions and map publishing. */
void mon_sub_handle(struct mon *m, struct msg *msg); /* takes msg */
void mon_sub_publish(struct mon *m);                 /* after a batch applied maps */
void mon_sub_conn_reset(struct mon *m, struct msg_conn *c);
void mon_sub_fini(struct mon *m);

/* mon_osd.c: OSD boot, beacons, failure reports, down -> out. */
void mon_osd_handle(struct mon *m, struct msg *msg); /* leader; takes msg */
void mon_osd_tick(struct mon *m, uint64_t now);
void mon_osd_fini(struct mon *m);

/* mon_pg.c: PG statistics at the leader. */
struct mon_cmd_ctx;
void mon_pg_handle(struct mon *m, struct msg *msg); /* leader; takes msg */
void mon_pg_fini(struct mon *m);
void mon_pg_health(const struct mon *m, json_t *checks);
void mon_pg_status_text(struct mon_cmd_ctx *c);
json_t *mon_pg_status_json(const struct mon *m);
/* CRUSH edits shared with the commands: ensures bucket `name` of type
 * `type` exists under `parent` (created if missing). */
int mon_crush_ensure_bucket(struct crush_map *c, const char *name, const char *type, int32_t parent,
                            int32_t *id);

#endif /* SEPIA_MON_MON_H */
