/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/peering.h - peering, recovery and backfill of one placement
 * group on one OSD, as a pure state machine (dissertation §6.3.5).
 * Threads: an instance belongs to one thread at a time (the PG's shard). No
 * clock, no I/O, no logging: map changes, messages, ticks and write-path
 * calls go in; persistence ops, messages, work items and states come out.
 *
 * The caller's loop, for every call that takes a struct pg_peer_actions:
 *   1. call advance_map / handle / tick / write / replica_write / list_done;
 *   2. put a->ops, in order, into ONE store transaction (with the object data
 *      of the write or push being handled) and commit it;
 *   3. only after it is durable (and after every earlier transaction is):
 *      send a->msgs, run a->work, forward a->pg_temp to the monitors;
 *   4. pg_peer_actions_reset(a) before the next call.
 * Transactions commit in call order. Names are pg_peer_* (not pg_info and
 * pg_log) because src/osd already owns those; the messages and the codecs
 * are in peering_msg.h; README.md has the full contract, the algorithm and
 * the invariants. */
#ifndef SEPIA_OSD_PEERING_PEERING_H
#define SEPIA_OSD_PEERING_PEERING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct enc;
struct dec;
struct pg_peer;     /* opaque */
struct pg_peer_msg; /* peering_msg.h */
struct pg_peer_obj; /* peering_msg.h */

#define PG_PEER_MAX_SIZE  16     /* members of an up or acting set */
#define PG_PEER_MAX_PEERS 64     /* distinct OSDs a primary tracks in one interval */
#define PG_PEER_KEY_MAX   4096   /* bytes of an object key */
#define PG_PEER_AUX_MAX   65536  /* bytes of an entry's caller data */
#define PG_PEER_LIST_MAX  100000 /* entries of one log, missing set or listing */
#define PG_PEER_NONE      (-1)   /* no OSD */

/* A PG version (Ceph eversion): the writer's map epoch, then a counter that
 * grows by one per update of the PG. Ordered by (epoch, v); (0, 0) = none. */
struct pg_peer_eversion {
	uint32_t epoch;
	uint64_t v;
};

static inline int pg_peer_ev_cmp(struct pg_peer_eversion a, struct pg_peer_eversion b)
{
	if (a.epoch != b.epoch)
		return a.epoch < b.epoch ? -1 : 1;
	return a.v < b.v ? -1 : a.v > b.v;
}

/* One PG log entry. key orders objects bytewise (strcmp): the caller's store
 * must list objects in the same order (backfill compares listings). aux is
 * the caller's own bytes (reqid, user version, mtime...), carried verbatim. */
enum pg_peer_log_op { PG_PEER_LOG_MODIFY = 1, PG_PEER_LOG_DELETE = 2 };
struct pg_peer_entry {
	uint8_t op; /* enum pg_peer_log_op */
	struct pg_peer_eversion version, prior_version;
	char *key;    /* owned, non-empty */
	uint8_t *aux; /* owned, may be NULL */
	uint32_t aux_len;
};

/* An object this copy lacks: it must become key@need (or be deleted). */
struct pg_peer_missing_item {
	char *key; /* owned */
	struct pg_peer_eversion need;
	bool deleted;
};

/* An interval of the past: epochs [first, last] with one acting set. */
struct pg_peer_interval {
	uint32_t first, last;
	uint8_t n_acting;
	int32_t acting[PG_PEER_MAX_SIZE];
	bool maybe_went_rw; /* acting >= min_size and the primary's up_thru reached
	                     * first: writes may have been acknowledged */
};

/* The PG's placement in one map: sets in CRUSH order, primary first. */
struct pg_peer_mapping {
	uint8_t n_up, n_acting, size, min_size;
	int32_t up[PG_PEER_MAX_SIZE], acting[PG_PEER_MAX_SIZE];
};

/* The persistent summary of one copy (written by PG_PEER_OP_INFO). */
struct pg_peer_info {
	int64_t pool;
	uint32_t ps;
	uint32_t epoch; /* newest map processed when written */
	struct pg_peer_eversion last_update, last_complete, log_tail;
	uint32_t last_epoch_started; /* this copy was activated in that interval */
	uint32_t history_les;        /* newest last_epoch_started known for the PG */
	uint32_t last_epoch_clean;   /* past intervals before it are forgotten */
	uint32_t same_interval_since;
	uint32_t up_thru;              /* the current primary's up_thru, newest map */
	bool backfill_complete;        /* false: objects after last_backfill are not trusted */
	char *last_backfill;           /* owned; NULL: nothing backfilled yet */
	struct pg_peer_mapping cur;    /* the mapping at same_interval_since */
	struct pg_peer_interval *past; /* owned, oldest first */
	uint32_t n_past;
	uint32_t created;   /* the PG's creation epoch; 0: maps are replayed from it */
	uint32_t past_from; /* past and cur cover every epoch since; 0: since created */
};

/* One map, as the OSD sees it: the PG's mapping, the up_thru the monitors
 * recorded for its acting primary, and the OSDs that are up. */
struct pg_peer_map {
	uint32_t epoch;
	struct pg_peer_mapping m;
	uint32_t primary_up_thru;
	const int32_t *up_osds; /* borrowed; every OSD up in this map, ascending */
	uint32_t n_up_osds;
};

struct pg_peer_config {
	uint32_t resend_ticks; /* resend unanswered requests after this many ticks */
	uint32_t log_max;      /* trim the log once it is longer ... */
	uint32_t log_keep;     /* ... down to this many entries (< log_max) */
	uint32_t recovery_max; /* objects being recovered at once */
	uint32_t scan_max;     /* objects per backfill listing */
};

/* ---- actions ---- */
enum pg_peer_op_kind {
	PG_PEER_OP_INFO = 1,     /* store data/len as the PG's info */
	PG_PEER_OP_LOG_APPEND,   /* store entry */
	PG_PEER_OP_LOG_TRIM,     /* delete entries <= version */
	PG_PEER_OP_LOG_TRUNCATE, /* delete entries > version (divergent) */
	PG_PEER_OP_LOG_CLEAR,    /* delete every entry (appends follow) */
	PG_PEER_OP_MISSING_ADD,  /* key needs version (deleted: must not exist) */
	PG_PEER_OP_MISSING_DEL,  /* key */
	PG_PEER_OP_MISSING_CLEAR,
	PG_PEER_OP_OBJ_REMOVE, /* remove object key (no error if absent) */
	PG_PEER_OP_OBJ_WRITE,  /* store the pushed data as key@version */
};

struct pg_peer_op {
	enum pg_peer_op_kind kind;
	struct pg_peer_entry entry; /* LOG_APPEND, owned */
	struct pg_peer_eversion version;
	char *key; /* owned */
	bool deleted;
	uint8_t *data; /* INFO: encoded pg_peer_info, owned */
	size_t len;
};

struct pg_peer_msg_out {
	int32_t to;
	uint8_t *data; /* encoded pg_peer_msg, owned */
	size_t len;
};

enum pg_peer_work_kind {
	/* Read key locally (it must be at version) once and send msg (a PUSH
	 * header) with the object's data to every target; deleted: send msg
	 * without data, read nothing. */
	PG_PEER_WORK_PUSH = 1,
	/* List at most max local objects with key > after (NULL: from the
	 * first), in key order, then call pg_peer_list_done(tag, ...). */
	PG_PEER_WORK_LIST = 2,
};

struct pg_peer_work {
	enum pg_peer_work_kind kind;
	char *key; /* PUSH: owned */
	struct pg_peer_eversion version;
	bool deleted;
	uint8_t n_targets;
	int32_t targets[PG_PEER_MAX_SIZE + 1];
	uint8_t *msg; /* PUSH: owned */
	size_t len;
	char *after; /* LIST: owned, may be NULL */
	uint32_t max;
	uint64_t tag;
};

/* A replica of a client write: with_data false means "log entry only" (a
 * backfill target beyond its cursor). */
struct pg_peer_target {
	int32_t osd;
	bool with_data;
};

/* States, with Ceph's names (pg_peer_state_str joins them with '+'). */
enum pg_peer_state_bit {
	PG_PEER_ST_ACTIVE = 1u << 0,
	PG_PEER_ST_CLEAN = 1u << 1,
	PG_PEER_ST_PEERING = 1u << 2,
	PG_PEER_ST_ACTIVATING = 1u << 3,
	PG_PEER_ST_DOWN = 1u << 4,
	PG_PEER_ST_INCOMPLETE = 1u << 5,
	PG_PEER_ST_DEGRADED = 1u << 6,
	PG_PEER_ST_UNDERSIZED = 1u << 7,
	PG_PEER_ST_REMAPPED = 1u << 8,
	PG_PEER_ST_RECOVERING = 1u << 9,
	PG_PEER_ST_RECOVERY_WAIT = 1u << 10,
	PG_PEER_ST_BACKFILLING = 1u << 11,
	PG_PEER_ST_BACKFILL_WAIT = 1u << 12,
	PG_PEER_ST_STALE = 1u << 13, /* set by the monitor, never by the core */
	PG_PEER_ST_UNFOUND = 1u << 14,
};

struct pg_peer_actions {
	struct pg_peer_op *ops;
	size_t n_ops, cap_ops;
	struct pg_peer_msg_out *msgs;
	size_t n_msgs, cap_msgs;
	struct pg_peer_work *work;
	size_t n_work, cap_work;
	/* pg_peer_write: where the repop goes, and the trim point to send */
	struct pg_peer_target targets[2 * PG_PEER_MAX_SIZE];
	uint8_t n_targets;
	struct pg_peer_eversion trim_to;
	/* ask the monitors to record up_thru >= need_up_thru for this OSD (0: no) */
	uint32_t need_up_thru;
	/* ask the monitors for a temporary acting set (n_pg_temp 0: remove it) */
	bool pg_temp;
	uint8_t n_pg_temp;
	int32_t pg_temp_osds[PG_PEER_MAX_SIZE];
	bool state_changed; /* pg_peer_state() changed */
	const char *reason; /* why peering is blocked, static; NULL if it is not */
	int32_t reason_osd; /* the OSD it waits for, or PG_PEER_NONE */
	int err;            /* first allocation error, sticky */
};

void pg_peer_actions_init(struct pg_peer_actions *a);
void pg_peer_actions_reset(struct pg_peer_actions *a); /* frees contents */
void pg_peer_actions_fini(struct pg_peer_actions *a);

/* ---- lifecycle ---- */
/* What the store holds for this copy (borrowed, copied by create). A copy
 * that never existed passes info with only pool, ps, created (the PG's
 * creation epoch) and backfill_complete (an empty history is complete) set,
 * no log, no missing, and gets maps from any epoch on (the first one it is
 * mapped in); intervals before it are learned from peers (README). */
struct pg_peer_state {
	const struct pg_peer_info *info;
	const struct pg_peer_entry *log; /* version order */
	size_t n_log;
	const struct pg_peer_missing_item *missing;
	size_t n_missing;
};

/* 0, -EINVAL (bad config or state), -ENOMEM; *out untouched on error. */
int pg_peer_create(int32_t whoami, const struct pg_peer_config *cfg, const struct pg_peer_state *st,
                   struct pg_peer **out);
void pg_peer_destroy(struct pg_peer *p); /* NULL is a no-op */

/* ---- entry points: 0 or -errno; -ENOMEM breaks the instance (recreate it
 * from the store), other errors leave it unchanged ---- */
/* Every map epoch in order, including those that do not move the PG (an
 * epoch at or below the last one processed is ignored). */
int pg_peer_advance_map(struct pg_peer *p, const struct pg_peer_map *map,
                        struct pg_peer_actions *a);
/* A message for this PG. -EAGAIN: sent from a newer epoch than ours; advance
 * the map to m->epoch, then call again. -ESTALE: from another interval or
 * not expected any more (dropped). -EINVAL: not this PG. */
int pg_peer_handle(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
/* Timers (resends); call about once a second. */
int pg_peer_tick(struct pg_peer *p, struct pg_peer_actions *a);
/* The answer to a WORK_LIST item (objs borrowed; end: nothing after them). */
int pg_peer_list_done(struct pg_peer *p, uint64_t tag, const struct pg_peer_obj *objs, size_t n,
                      bool end, struct pg_peer_actions *a);
/* The answer to a QUERY for a PG this OSD does not hold. */
int pg_peer_reply_absent(int32_t whoami, uint32_t epoch, const struct pg_peer_msg *query,
                         struct pg_peer_actions *a);

/* ---- write path ---- */
/* Primary: may a client read (write) key now? False until active with at
 * least min_size members, while key is missing here (or, for writes, on any
 * replica or being recovered or backfilled): the op waits and is retried
 * after the next call that changes state. */
bool pg_peer_can_read(const struct pg_peer *p, const char *key);
bool pg_peer_can_write(const struct pg_peer *p, const char *key);
/* Primary: e->op, key, prior_version (the object's current version) and aux
 * from the caller; fills e->version, appends to the log (a->ops) and fills
 * a->targets and a->trim_to for the repops. 0, -EAGAIN (can_write false),
 * -EINVAL, -ENOMEM. */
int pg_peer_write(struct pg_peer *p, struct pg_peer_entry *e, struct pg_peer_actions *a);
/* Replica: a repop from the primary of interval. -ESTALE: not our interval
 * or not activated (reject it), -EALREADY: already logged (ack it again).
 * The caller applies the data (if with_data) in the same transaction. */
int pg_peer_replica_write(struct pg_peer *p, uint32_t interval, const struct pg_peer_entry *e,
                          struct pg_peer_eversion trim_to, struct pg_peer_actions *a);
/* Primary: replica osd durably logged every entry up to v in this interval
 * (a repop reply). The log is never trimmed past the oldest such v of the
 * acting replicas (activation counts: README "Trimming"); v from an earlier
 * interval is ignored. 0, -ESTALE (not active primary, osd no repop target),
 * -EINVAL (v newer than the log). No actions: the next write trims. */
int pg_peer_committed(struct pg_peer *p, int32_t osd, struct pg_peer_eversion v);
/* Primary: osd now holds key@v (what a PUSH_ACK says; -ESTALE if not expected). */
int pg_peer_recovered(struct pg_peer *p, int32_t osd, const char *key, struct pg_peer_eversion v,
                      bool backfill, struct pg_peer_actions *a);

/* ---- queries ---- */
uint32_t pg_peer_state(const struct pg_peer *p); /* enum pg_peer_state_bit; 0 unless primary */
const char *pg_peer_state_str(uint32_t state, char *buf, size_t cap); /* "active+clean" */
bool pg_peer_is_primary(const struct pg_peer *p);
bool pg_peer_is_active(const struct pg_peer *p); /* primary, ACTIVE */
bool pg_peer_is_broken(const struct pg_peer *p);
/* Why peering or recovery is blocked (static text), NULL if it is not; *osd
 * (if not NULL) gets the OSD it waits for, or PG_PEER_NONE. */
const char *pg_peer_reason(const struct pg_peer *p, int32_t *osd);
uint32_t pg_peer_epoch(const struct pg_peer *p);
uint32_t pg_peer_interval(const struct pg_peer *p); /* same_interval_since */
const struct pg_peer_info *pg_peer_get_info(const struct pg_peer *p);
const struct pg_peer_entry *pg_peer_get_log(const struct pg_peer *p, size_t *n);
const struct pg_peer_missing_item *pg_peer_get_missing(const struct pg_peer *p, size_t *n);
const struct pg_peer_mapping *pg_peer_get_mapping(const struct pg_peer *p);

/* Recovery progress at the primary (zeroes elsewhere): object copies the
 * acting set lacks (log recovery; ours included), objects being recovered
 * now, and the backfill targets not done with the smallest cursor among
 * them (every key <= cursor is backfilled; borrowed until the next call;
 * from_start: one of them has no cursor yet). */
struct pg_peer_progress {
	uint64_t degraded, missing_here, recovering;
	uint32_t backfill_targets;
	const char *backfill_cursor;
	bool backfill_from_start;
};
void pg_peer_progress(const struct pg_peer *p, struct pg_peer_progress *out);

#endif /* SEPIA_OSD_PEERING_PEERING_H */
