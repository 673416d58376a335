/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_scrub.h - scrub, deep scrub and repair of PGs (README "Scrub"):
 * the pure comparison of scrub maps (pg_scrub_cmp.c), scrub maps and repair
 * transactions built from the store (pg_scrub_map.c), and the daemon side
 * (pg_scrub.c: the primary's chunked scrub, scheduling, replica answers,
 * repair; pg_scrub_cmd.c: commands and JSON).
 * Threads: the compare and store functions are pure or take only the
 * store; the daemon side runs on the PG's shard thread except the command
 * handlers (main loop), which read published state under the shard lock. */
#ifndef SEPIA_OSD_PG_SCRUB_H
#define SEPIA_OSD_PG_SCRUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monc/mon_proto.h"
#include "rados/osd_scrub_proto.h"

struct enc;
struct store;
struct store_txn;
struct osd;
struct osd_shard;
struct osd_item;
struct buf;
struct msg;
struct osd_cmd_req;
struct daemon;
struct json_t;

/* What is wrong with one copy of an object (bits). The first five are the
 * copy's own faults; the others are differences from the authoritative copy. */
enum pg_scrub_err {
	PG_SCRUB_E_MISSING = 1 << 0,   /* the copy lacks the object */
	PG_SCRUB_E_INFO = 1 << 1,      /* object info missing or undecodable */
	PG_SCRUB_E_STAT = 1 << 2,      /* size, xattrs or omap unreadable */
	PG_SCRUB_E_READ = 1 << 3,      /* data unreadable (checksum mismatch) */
	PG_SCRUB_E_SIZE_INFO = 1 << 4, /* the store's size is not the info's */
	PG_SCRUB_E_VERSION = 1 << 5,
	PG_SCRUB_E_SIZE = 1 << 6,
	PG_SCRUB_E_ATTRS = 1 << 7,
	PG_SCRUB_E_OMAP = 1 << 8,
	PG_SCRUB_E_DATA = 1 << 9,
	PG_SCRUB_E_COUNT = 10,
};
/* "missing", "info_corrupted", ..., "data_digest_mismatch"; NULL past the last. */
const char *pg_scrub_err_name(unsigned bit);

#define PG_SCRUB_COPIES_MAX MON_PG_SIZE_MAX

/* One copy's scrub map of a chunk (borrowed). */
struct pg_scrub_copy {
	int osd;
	const struct osd_scrub_map *map;
};

/* One copy of an inconsistent object, as scrubbed. */
struct pg_scrub_shard {
	int osd;
	uint32_t errs;            /* enum pg_scrub_err */
	struct osd_scrub_obj obj; /* strings not set; zero if missing */
};

/* One inconsistent object. */
struct pg_scrub_incons {
	char *nspace, *name; /* owned */
	int auth;            /* index into shards of the authoritative copy, -1: none */
	uint32_t errs;       /* union of the shards' errors */
	unsigned nshards;
	struct pg_scrub_shard shards[PG_SCRUB_COPIES_MAX];
};

struct pg_scrub_result {
	struct pg_scrub_incons *v; /* owned */
	size_t n, cap;
};
void pg_scrub_result_fini(struct pg_scrub_result *r);
/* Moves src's entries to the end of dst (src emptied). 0 or -ENOMEM. */
int pg_scrub_result_move(struct pg_scrub_result *dst, struct pg_scrub_result *src);
/* Removes entry i (freeing it), keeping order. */
void pg_scrub_result_remove(struct pg_scrub_result *r, size_t i);

/* Compares n (1..PG_SCRUB_COPIES_MAX) copies' maps of the same chunk
 * (copy 0 is the primary's) and appends every object that is not the same
 * on all of them to out, with the authoritative copy: among the copies
 * that have the object and read without error (info, stat, data; info size
 * equal to the store's), the newest version, then the largest group of
 * equal (size, xattrs, omap, data) digests, then the lowest index (the
 * primary first). deep: compare data digests. 0, -EINVAL, -ENOMEM. */
int pg_scrub_compare(const struct pg_scrub_copy *c, unsigned n, bool deep,
                     struct pg_scrub_result *out);

/* pg_scrub_map.c: building from a store. */
/* Appends to out the map of the objects of collection cid in (start, end]
 * (store order; a cursor that is not valid is open), skipping the pgmeta
 * object, at most max (0: OSD_SCRUB_OBJS_MAX). *more: stopped at max with
 * objects left. 0, -ENOENT (no collection), -errno. */
int pg_scrub_build_map(struct store *st, const char *cid, const struct osd_list_cursor *start,
                       const struct osd_list_cursor *end, bool deep, unsigned max,
                       struct osd_scrub_map *out, bool *more);
/* A transaction that makes (nspace, name) of cid on another store what it
 * is on st: removed and rewritten with st's data, xattrs and omap. *out
 * caller owns. 0, -ENOENT, -EIO (unreadable), -ENOMEM. */
int pg_scrub_repair_txn(struct store *st, const char *cid, const char *nspace, const char *name,
                        struct store_txn **out);

/* The persisted scrub record of a PG: pgmeta xattr "_scrub" (v1). */
#define PG_SCRUB_ATTR "_scrub"
struct pg_scrub_rec {
	uint64_t last_scrub_ns, last_deep_scrub_ns; /* wall clock, 0 never */
	uint32_t errors;                            /* inconsistent objects found */
};
void pg_scrub_rec_encode(struct enc *e, const struct pg_scrub_rec *r);
int pg_scrub_rec_decode(const void *p, size_t n, struct pg_scrub_rec *out); /* 0, -EBADMSG */

/* pg_scrub.c: the daemon side (shard thread). */
/* OSD_IT_TICK: schedules and drives the shard's scrubs, takes requests. */
void pg_scrub_tick(struct osd_shard *sh);
/* Takes it (kind OSD_IT_MSG) and its scrub message (types 72-75). */
void pg_scrub_handle_msg(struct osd_shard *sh, struct osd_item *it);
/* pg_scrub_rep.c: OSD_MSG_SCRUB / OSD_MSG_REPAIR at a replica (m borrowed). */
void pg_scrub_replica_msg(struct osd_shard *sh, struct msg *m);
/* Applies an encoded repair transaction to the local store and waits for
 * its commit. 0, -EBADMSG, -errno. */
int pg_scrub_apply(struct osd_shard *sh, struct buf *txn);
/* Frees the shard's scrub state (shard teardown, no thread running). */
void pg_scrub_shard_fini(struct osd_shard *sh);
/* Any thread: asks the shard of pgid to scrub it at its next tick. 0,
 * -ENOMEM. */
enum pg_scrub_kind { PG_SCRUB_SHALLOW = 1, PG_SCRUB_DEEP = 2, PG_SCRUB_REPAIR = 3 };
int pg_scrub_request(struct osd_shard *sh, int64_t pool, uint32_t ps, enum pg_scrub_kind kind);
/* Under sh->lock: the inconsistent-object list of the last scrub as JSON
 * text (NULL: none yet); valid while the lock is held. */
const char *pg_scrub_incons_json_locked(struct osd_shard *sh, int64_t pool, uint32_t ps);
/* The JSON array of a result (new reference or NULL). */
struct json_t *pg_scrub_result_json(const struct pg_scrub_result *r);

/* pg_scrub_cmd.c: "pg scrub|deep-scrub|repair|list-inconsistent" (main
 * thread, after the command step), and the "scrub" part of "pg query". */
int osd_step_scrub_cmds(struct daemon *d);
/* {"last_scrub", "last_deep_scrub", "errors", "inconsistents", ...} of the
 * PG, or NULL if this OSD does not hold it (new reference). */
struct json_t *pg_scrub_query_json(struct osd *o, int64_t pool, uint32_t ps);

#endif /* SEPIA_OSD_PG_SCRUB_H */
