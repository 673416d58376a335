/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg.h - the op queue shards and the placement groups they own.
 * Threads: a PG is created, changed and freed only by the thread of its
 * shard (osd_pg_shard(pool, ps)), so PG state needs no lock; each shard's
 * `lock` guards only its queue, its PG table's membership, its list of
 * client ops (for dump_ops_in_flight) and the PGs' `snap` copies that other
 * threads read. Debug builds assert the owner (PG_ASSERT_OWNER). */
#ifndef SEPIA_OSD_PG_H
#define SEPIA_OSD_PG_H
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/list.h"
#include "maps/osdmap.h"
#include "monc/mon_proto.h"
#include "osd/osd.h"
#include "osd/pg_log.h"
#include "rados/osd_proto.h"

struct buf;
struct pg_peer;

/* The shard a PG belongs to: pure and stable for a given shard count. */
unsigned osd_pg_shard(int64_t pool, uint32_t ps, unsigned nshards);

/* Work for a shard thread. */
enum osd_item_kind {
	OSD_IT_OP,        /* a client op (struct osd_opreq) */
	OSD_IT_MSG,       /* a repop or repop reply (msg) */
	OSD_IT_MAP,       /* advance to map */
	OSD_IT_APPLIED,   /* a transaction of pgid became readable */
	OSD_IT_COMMITTED, /* ... became durable */
	OSD_IT_TICK,      /* tick the PGs' peering cores and scrubs */
};

struct osd_item {
	struct list_node node; /* shard queue, or one waiting list at a time */
	enum osd_item_kind kind;
	struct msg *msg;        /* OSD_IT_MSG (owned) */
	struct osd_mapref *map; /* OSD_IT_MAP (ref) */
	/* OSD_IT_APPLIED / OSD_IT_COMMITTED */
	struct osdmap_pg pgid;
	uint64_t tid;       /* repop tid (primary) or replica update id; 0: none */
	uint64_t seq;       /* the PG's transaction number (pg->txn_queued) */
	uint32_t msg_epoch; /* OSD_IT_MSG parked on waiting_map: the epoch it needs */
	int status;
	bool replica;
};

/* One client request inside the OSD, from arrival to its last reply. */
struct osd_opreq {
	struct osd_item it;   /* kind OSD_IT_OP */
	struct list_node all; /* shard->ops (under shard->lock) */
	struct osd_msg_op *m; /* owned */
	uint64_t start_ns;
	_Atomic(const char *) wait; /* what it waits for (dump_ops_in_flight) */
};

/* Transaction callbacks of one queued transaction (both items travel to
 * the shard; the memory is freed after the committed one). */
struct osd_txn_cb {
	struct osd *osd;
	struct osd_shard *shard;
	struct osd_item applied, committed;
};

enum pg_state {
	PG_ST_ACTIVE,  /* in the up set: primary or replica, serving */
	PG_ST_STRAY,   /* kept, but no longer in the up set (recovery: next issue) */
	PG_ST_REMOVED, /* pool deleted: objects and collection being removed */
};
const char *pg_state_name(enum pg_state s);

/* What other threads may read about a PG (under the shard's lock). */
struct pg_snap {
	enum pg_state state;
	bool primary;
	uint32_t mon_state; /* enum mon_pg_state bits when primary */
	uint8_t nup, nacting;
	int32_t up[MON_PG_SIZE_MAX], acting[MON_PG_SIZE_MAX];
	struct osd_eversion last_update, last_complete;
	uint32_t same_interval_since;
	uint64_t num_objects, num_bytes;
	uint64_t num_rd, num_rd_bytes, num_wr, num_wr_bytes;
	size_t log_len;
	/* the peering core's view (recovery_state of pg query) */
	uint32_t core_state; /* enum pg_peer_state_bit, primary only */
	const char *reason;  /* static: why peering or recovery waits, or NULL */
	int32_t reason_osd;  /* the OSD it waits for, or -1 */
	uint32_t les, lec;   /* last_epoch_started, last_epoch_clean */
	uint32_t n_missing, n_past;
	uint64_t degraded, misplaced, bytes_recovering; /* recovery progress (primary) */
	struct osd_eversion log_tail;
	uint32_t epoch_created;
};

/* Writes in flight on one object: later ops on it wait (per-object order). */
struct pg_obj {
	struct pg_obj *hnext;
	char *key; /* nspace '\0' name, klen bytes */
	size_t klen;
	unsigned writing;         /* updates queued but not yet applied locally */
	struct list_node waiters; /* struct osd_opreq via it.node, in arrival order */
};

/* A replica's answer state for one peer of a repop. */
struct pg_repop_peer {
	int osd;
	bool with_data; /* false: a backfill target beyond its cursor (log only) */
	bool sent;
	uint64_t nonce; /* the incarnation we sent to */
	bool acked, committed;
};

/* An update in flight at the primary. */
struct pg_repop {
	struct list_node node; /* pg->repops, version order */
	uint64_t tid;
	struct osd_log_entry entry;
	struct buf *txn; /* encoded object transaction, for (re)sends; NULL if no peers */
	struct osd_eversion trim_to;
	uint32_t epoch, interval;
	struct pg_repop_peer peers[MON_PG_SIZE_MAX];
	unsigned npeers;
	bool local_applied, local_committed;
	bool ack_sent, done;
	int32_t error;              /* first replica failure: the client gets it, not success */
	struct pg_obj *obj;         /* writing count held until local_applied */
	struct osd_opreq *op;       /* the request (NULL once answered) */
	struct list_node dups;      /* resends of it waiting for the commit */
	int64_t d_objects, d_bytes; /* stats deltas, applied at completion */
	uint64_t in_bytes;
};

/* An update in flight at a replica. */
struct pg_repwait {
	uint64_t tid;          /* the primary's repop tid */
	bool want_ack;         /* the repop's OSD_F_ACK: an applied reply too */
	struct msg_conn *conn; /* ref */
	struct pg_repwait *next;
};
struct pg_repin {
	struct list_node node; /* pg->repins, version order */
	uint64_t id;           /* our txn id */
	struct osd_eversion version;
	bool applied;
	struct pg_repwait *waiters; /* primary (and resends) to answer */
};

/* A PG's scrub state as other threads read it (shard->lock; pg_scrub.c). */
struct pg_scrub_pub {
	uint64_t last_scrub_ns, last_deep_scrub_ns; /* wall clock, 0 never */
	uint32_t errors;                            /* inconsistent objects */
	uint32_t state;                             /* MON_PG_SCRUBBING/DEEP/REPAIR/INCONSISTENT */
};

struct pg {
	struct osdmap_pg id;
	char name[32];    /* "1.1f" */
	char cid[40];     /* "1.1f_head" */
	struct pg *hnext; /* shard table chain */
	struct osd_shard *shard;
	enum pg_state state;
	struct pg_info info;
	struct pg_log log;
	int up[MON_PG_SIZE_MAX], acting[MON_PG_SIZE_MAX];
	int nup, nacting, primary;
	uint64_t acting_nonce[MON_PG_SIZE_MAX];
	uint32_t pool_size;
	bool is_primary;
	bool counted; /* num_objects/num_bytes are valid */
	uint64_t num_objects, num_bytes;
	uint64_t num_rd, num_rd_bytes, num_wr, num_wr_bytes;
	/* primary */
	struct list_node repops;
	struct pg_obj **objs;
	size_t nobj_buckets;
	/* replica */
	struct list_node repins;
	uint64_t next_repin;
	/* peering (pg_peer_drive.c) */
	struct pg_peer *core;          /* NULL only while broken (recreated at the next tick) */
	uint64_t txn_queued;           /* transactions queued for this PG ... */
	uint64_t txn_committed;        /* ... and committed (they commit in queue order) */
	struct list_node peer_pending; /* struct pg_peer_batch: actions waiting for a commit */
	struct list_node waiting_peer; /* client ops waiting for activation or recovery */
	struct list_node recov_held;   /* objects written by recovery, until applied */
	bool kicking;                  /* pg_core_kick is running */
	uint64_t bf_left;              /* objects after the backfill cursor (counted on tick) */
	bool bf_slot;                  /* holds one of the OSD's osd_max_backfills slots */
	struct pg_peer_work *bf_wait;  /* a backfill listing waiting for a slot (owned) */
	struct pg_snap snap;           /* shard->lock */
	struct pg_scrub_pub scrub_pub; /* shard->lock; written by pg_scrub.c only */
};

struct osd_shard {
	struct osd *osd;
	unsigned idx;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* q, stopping, pg table membership, ops, pg->snap */
	pthread_cond_t cond;
	struct list_node q;
	bool stopping;
	struct list_node ops; /* struct osd_opreq.all: client ops in the OSD */
	struct pg **pgs;      /* hash table */
	size_t npg_buckets, npgs;
	/* shard thread only */
	struct osd_mapref *map;
	struct list_node waiting_map; /* items for a newer map (it.node) */
	uint64_t next_tid;
	int32_t *up_osds; /* the up OSDs of map up_epoch, ascending (peering) */
	uint32_t n_up_osds, up_epoch;
	char wbuf[64];
	struct pg_scrubs *scrubs; /* pg_scrub.c: its table under lock, the rest shard thread */
};

#ifndef NDEBUG
#define PG_ASSERT_OWNER(sh) assert(pthread_equal(pthread_self(), (sh)->thread) || !(sh)->started)
#else
#define PG_ASSERT_OWNER(sh) ((void)(sh))
#endif

/* osd_shard.c */
int osd_step_shards(struct daemon *d);
void osd_unstep_shards(struct daemon *d); /* drains and stops the threads */
/* Frees the shards once no messenger thread can reach them. */
void osd_shards_free(struct osd *o);
/* Stops new work and waits (bounded) for queued transactions to commit. */
void osd_shards_drain(struct osd *o);
/* Queues it on shard sh (any thread, never blocks for long). */
void osd_shard_push(struct osd_shard *sh, struct osd_item *it);
struct osd_shard *osd_shard_of(struct osd *o, int64_t pool, uint32_t ps);
/* Publishes a new map to every shard. */
void osd_shards_map(struct osd *o, struct osd_mapref *r);
void osd_shards_tick(struct osd *o); /* main loop: one OSD_IT_TICK per shard */
/* Queues t for pg with callbacks that come back to sh as APPLIED and
 * COMMITTED items for (pg, tid), numbered with ++pg->txn_queued. Takes t on
 * success. 0 or -errno. */
int osd_shard_queue_txn(struct osd_shard *sh, struct pg *pg, struct store_txn *t, uint64_t tid,
                        bool replica);
void osd_opreq_wait(struct osd_opreq *op, const char *what);
/* Ends a client op's life in the OSD (after its last reply). */
void osd_opreq_done(struct osd_shard *sh, struct osd_opreq *op);

/* pg.c */
struct pg *pg_lookup(struct osd_shard *sh, struct osdmap_pg id);
/* Loads the PGs found in the store into their shards (startup). */
int pg_load_all(struct osd *o);
/* Brings every PG of sh to map r: creates, updates, removes. */
void pg_advance_map(struct osd_shard *sh, const struct osdmap *m);
void pg_free(struct pg *pg);
void pg_publish(struct pg *pg); /* refreshes pg->snap */
void pg_recount(struct pg *pg); /* num_objects/num_bytes from the store (primary) */
struct pg_obj *pg_obj_get(struct pg *pg, const char *nspace, const char *name);
/* Drops the object tracker if nothing uses it any more. */
void pg_obj_release(struct pg *pg, struct pg_obj *o);

/* pg_op.c: client ops at the primary. */
struct pg_peer_entry;
/* The core's log entry for e (aux = e encoded). 0 or -ENOMEM. */
int pg_entry_of(const struct osd_log_entry *e, struct pg_peer_entry *pe);
void pg_handle_op(struct osd_shard *sh, struct osd_opreq *op, bool ordered);
void pg_op_reply_error(struct osd_shard *sh, struct osd_opreq *op, int result, uint32_t flags);
void pg_requeue_waiters(struct osd_shard *sh, struct pg *pg, struct pg_obj *o);
/* Answers a write (flags ACK and/or ONDISK) from its repop; last: this is
 * the op's final reply (it is freed). */
void pg_op_reply_write(struct osd_shard *sh, struct osd_opreq *op, const struct pg_repop *r,
                       uint32_t flags, bool last);

/* pg_rep.c: replication. */
/* Takes it (kind OSD_IT_MSG) and its message. */
void pg_handle_repop(struct osd_shard *sh, struct osd_item *it);
void pg_handle_repop_reply(struct osd_shard *sh, struct msg *m);
void pg_txn_event(struct osd_shard *sh, struct osd_item *it);

/* pg_rep.c */
/* Primary: sends the repop to every peer in acting it has not reached. */
void pg_repop_send(struct osd_shard *sh, struct pg *pg, struct pg_repop *r);
/* Primary: peers changed incarnation: resend to them. */
void pg_repops_resend(struct osd_shard *sh, struct pg *pg);
/* A new interval: drops every update in flight without answering (the
 * clients resend; the log answers those that survived peering). */
void pg_repops_drop(struct osd_shard *sh, struct pg *pg);
void pg_repop_check(struct osd_shard *sh, struct pg *pg, struct pg_repop *r);
void pg_repops_fini(struct osd_shard *sh, struct pg *pg);

#endif /* SEPIA_OSD_PG_H */
