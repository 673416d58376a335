/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/peering_int.h - private declarations of the peering core: the
 * instance, the in-memory log and missing set, and the functions shared by
 * pg_peer.c (lifecycle, maps, dispatch), pg_peer_log.c (log, missing, log
 * merge), pg_peer_msg.c (codecs, actions), pg_peer_primary.c (gather,
 * decide, activate) and pg_peer_recovery.c (write path, recovery, backfill).
 * Threads: as peering.h. Tests and the fuzz target may include it. */
#ifndef SEPIA_OSD_PEERING_PEERING_INT_H
#define SEPIA_OSD_PEERING_PEERING_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"

#define PG_PEER_MSG_V  1  /* struct_v of every message */
#define PG_PEER_INFO_V 2  /* 2: created, past_from */
#define PG_PEER_SELF   63 /* bit of the primary itself in a recovery's pending mask */

/* The log in memory: entries in version order; tail is the newest trimmed
 * version, head the newest entry (or tail when empty). */
struct pg_peer_log {
	struct pg_peer_entry *e;
	size_t n, cap;
	struct pg_peer_eversion tail, head;
};

/* A missing set, sorted by key. */
struct pg_peer_mset {
	struct pg_peer_missing_item *it;
	size_t n, cap;
};

/* Primary phases (README "states"). */
enum pg_peer_phase {
	PH_IDLE = 0,     /* not primary: replica, stray, or the PG has no OSD */
	PH_GETINFO,      /* waiting for info from the up OSDs of the query set */
	PH_WAIT_ACTING,  /* asked for a temporary acting set; waiting for the map */
	PH_DOWN,         /* a past interval that may have gone rw has no survivor */
	PH_INCOMPLETE,   /* no usable log, or objects without any source */
	PH_WAIT_MIN,     /* fewer usable OSDs than min_size */
	PH_WAIT_UP_THRU, /* asked the monitors for up_thru >= same_interval_since */
	PH_ACTIVATING,   /* activate sent, waiting for every ack */
	PH_ACTIVE,
};

enum bf_phase { BF_IDLE = 0, BF_LISTING, BF_PUSHING, BF_PROGRESS, BF_DONE };

/* Backfill of one target, driven by the primary. */
struct pg_peer_bf {
	enum bf_phase ph;
	char *cursor; /* owned; every key <= cursor is done (NULL: none) */
	uint64_t tag; /* current round */
	bool have_own, have_tgt, own_end, tgt_end;
	bool all;                        /* the last range is pushed: every key is settled */
	struct pg_peer_eversion settled; /* our head when the range was settled */
	struct pg_peer_obj *own, *tgt;   /* owned listings of this round */
	size_t n_own, n_tgt;
	struct pg_peer_mset dirty;   /* keys written during the listing (deleted = removed) */
	char *hi;                    /* owned: end of the range being pushed (NULL = no end) */
	struct pg_peer_mset pushing; /* pushes and removes not acked yet */
};

/* One OSD the primary deals with in this interval. peers[0] is the primary
 * itself: its info, log and missing are the instance's own. */
enum peer_role { ROLE_STRAY = 0, ROLE_ACTING, ROLE_BACKFILL };
struct pg_peer_peer {
	int32_t osd;
	bool up, responded, candidate, acked;
	enum peer_role role;
	struct pg_peer_info info;     /* as reported (past intervals dropped) */
	struct pg_peer_log log;       /* as reported; freed at activation */
	struct pg_peer_mset reported; /* its own missing set, as reported */
	struct pg_peer_mset missing;  /* what it lacks vs the auth log (merged) */
	struct pg_peer_eversion div;  /* divergence point vs the auth log */
	/* replica or backfill target: its log is durable up to here (the
	 * activation point, then pg_peer_committed); acting replicas bound the
	 * trim point */
	struct pg_peer_eversion committed;
	uint8_t *act_msg; /* encoded ACTIVATE, kept for resends */
	size_t act_len;
	struct pg_peer_bf bf;
};

/* An object being recovered: pulled to the primary and/or pushed out. */
struct pg_peer_rec {
	char *key;
	struct pg_peer_eversion v;
	bool deleted;
	uint64_t pending; /* bit i: peers[i]; PG_PEER_SELF: the primary */
	int src;          /* peer index pulled from; 0: pushed by the primary */
	uint32_t age;     /* ticks since (re)sent */
};

struct pg_peer {
	int32_t whoami;
	struct pg_peer_config cfg;
	struct pg_peer_info info; /* persistent part, with past intervals */
	struct pg_peer_log log;
	struct pg_peer_mset missing;
	uint32_t epoch;
	int32_t *up_osds; /* ascending */
	size_t n_up_osds, cap_up_osds;
	/* replica */
	uint32_t activated;     /* interval we were activated in (0: none) */
	uint64_t scan_tag;      /* a SCAN being answered: its tag ... */
	int32_t scan_from;      /* ... and who asked (PG_PEER_NONE: none) */
	uint64_t scan_list_tag; /* the WORK_LIST tag that answers it */
	/* primary */
	enum pg_peer_phase phase;
	uint32_t state;
	struct pg_peer_peer *peers;
	size_t n_peers;
	size_t auth; /* peer index of the authoritative log */
	struct pg_peer_rec *recs;
	size_t n_recs, cap_recs;
	uint64_t next_tag;
	uint32_t idle_ticks;
	bool want_temp; /* a pg_temp request is outstanding */
	uint8_t n_want;
	int32_t want[PG_PEER_MAX_SIZE];
	bool clean_sent;
	bool unfound; /* some object the primary lacks has no source */
	const char *reason;
	int32_t reason_osd;
	int broken; /* first -ENOMEM: the instance must be recreated */
};

/* pg_peer_log.c */
void pg_peer_log_fini(struct pg_peer_log *l);
int pg_peer_log_append(struct pg_peer_log *l, const struct pg_peer_entry *e);
void pg_peer_log_truncate(struct pg_peer_log *l, struct pg_peer_eversion after);
void pg_peer_log_trim(struct pg_peer_log *l, struct pg_peer_eversion to);
int pg_peer_log_copy(struct pg_peer_log *dst, const struct pg_peer_log *src);
bool pg_peer_log_has(const struct pg_peer_log *l, struct pg_peer_eversion v);
const struct pg_peer_entry *pg_peer_log_latest(const struct pg_peer_log *l, const char *key);
void pg_peer_mset_fini(struct pg_peer_mset *m);
struct pg_peer_missing_item *pg_peer_mset_find(const struct pg_peer_mset *m, const char *key);
int pg_peer_mset_set(struct pg_peer_mset *m, const char *key, struct pg_peer_eversion need,
                     bool deleted);
bool pg_peer_mset_del(struct pg_peer_mset *m, const char *key);
int pg_peer_mset_copy(struct pg_peer_mset *dst, const struct pg_peer_mset *src);
int pg_peer_merge(const struct pg_peer_log *auth, const struct pg_peer_log *peer,
                  const struct pg_peer_mset *pmiss, struct pg_peer_eversion *div,
                  struct pg_peer_mset *out);
int pg_peer_str_cmp(const char *a, const char *b); /* NULL sorts before everything */

/* pg_peer_msg.c: actions */
struct pg_peer_op *pg_peer_act_op(struct pg_peer_actions *a, enum pg_peer_op_kind kind);
void pg_peer_act_info(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_act_send(struct pg_peer_actions *a, int32_t to, const struct pg_peer_msg *m);
struct pg_peer_work *pg_peer_act_work(struct pg_peer_actions *a, enum pg_peer_work_kind kind);
void pg_peer_act_missing(struct pg_peer_actions *a, const struct pg_peer_missing_item *it);
void pg_peer_act_key(struct pg_peer_actions *a, enum pg_peer_op_kind kind, const char *key,
                     struct pg_peer_eversion v);
void pg_peer_msg_init(struct pg_peer_msg *m);

/* pg_peer.c */
void pg_peer_msg_header(const struct pg_peer *p, struct pg_peer_msg *m, uint8_t type);
bool pg_peer_osd_is_up(const struct pg_peer *p, int32_t osd);
void pg_peer_set_state(struct pg_peer *p, uint32_t state, struct pg_peer_actions *a);
void pg_peer_block(struct pg_peer *p, enum pg_peer_phase ph, const char *why, int32_t osd,
                   struct pg_peer_actions *a);
struct pg_peer_peer *pg_peer_find_peer(struct pg_peer *p, int32_t osd, size_t *idx);
bool pg_peer_history_is_complete(const struct pg_peer_info *i);
int pg_peer_learn_past(struct pg_peer_info *i, const struct pg_peer_info *from);
bool pg_peer_in_acting(const struct pg_peer *p, int32_t osd);
bool pg_peer_in_up(const struct pg_peer *p, int32_t osd);
int pg_peer_fail(struct pg_peer *p, struct pg_peer_actions *a);
int pg_peer_finish(struct pg_peer *p, struct pg_peer_actions *a, int rc);

/* pg_peer_primary.c */
void pg_peer_start_peering(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_map_changed(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_on_info(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
void pg_peer_on_activate_ack(struct pg_peer *p, const struct pg_peer_msg *m,
                             struct pg_peer_actions *a);
void pg_peer_primary_tick(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_peers_fini(struct pg_peer *p);
void pg_peer_update_state(struct pg_peer *p, struct pg_peer_actions *a);
bool pg_peer_same_set(const int32_t *x, uint8_t nx, const int32_t *y, uint8_t ny);
const struct pg_peer_log *pg_peer_peer_log(const struct pg_peer *p, size_t i);
void pg_peer_ask_temp(struct pg_peer *p, const int32_t *osds, uint8_t n, struct pg_peer_actions *a);
void pg_peer_resend_activate(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a);

/* pg_peer_replica.c */
void pg_peer_on_query(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
int pg_peer_on_activate(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
int pg_peer_on_pull(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
int pg_peer_on_push(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
int pg_peer_on_scan(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
int pg_peer_on_progress(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
int pg_peer_on_clean(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a);
void pg_peer_prune_past(struct pg_peer_info *i);

/* pg_peer_recovery.c */
void pg_peer_recover(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_recovery_tick(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_recs_fini(struct pg_peer *p);
struct pg_peer_work *pg_peer_push_work(struct pg_peer *p, const char *key,
                                       struct pg_peer_eversion v, bool deleted, bool backfill,
                                       struct pg_peer_actions *a);

/* pg_peer_backfill.c */
void pg_peer_bf_fini(struct pg_peer_bf *bf);
void pg_peer_backfill(struct pg_peer *p, struct pg_peer_actions *a);
void pg_peer_backfill_tick(struct pg_peer *p, struct pg_peer_actions *a);
int pg_peer_bf_acked(struct pg_peer *p, int32_t osd, const char *key, struct pg_peer_eversion v,
                     struct pg_peer_actions *a);
int pg_peer_on_scan_reply(struct pg_peer *p, const struct pg_peer_msg *m,
                          struct pg_peer_actions *a);
int pg_peer_on_progress_ack(struct pg_peer *p, const struct pg_peer_msg *m,
                            struct pg_peer_actions *a);
int pg_peer_bf_list_done(struct pg_peer *p, uint64_t tag, const struct pg_peer_obj *objs, size_t n,
                         bool end, struct pg_peer_actions *a);
void pg_peer_bf_note_write(struct pg_peer *p, const struct pg_peer_entry *e);
bool pg_peer_bf_blocks(const struct pg_peer *p, const char *key);
bool pg_peer_bf_with_data(const struct pg_peer_peer *pe, const char *key);

#endif /* SEPIA_OSD_PEERING_PEERING_INT_H */
