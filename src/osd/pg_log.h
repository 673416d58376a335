/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_log.h - a PG's log in memory: the recent updates in version order
 * and an index reqid -> entry for duplicate detection (a resent request is
 * answered from its entry instead of being applied twice), plus the helpers
 * that put the log into a store transaction and load it back.
 * Threads: a pg_log belongs to its PG's shard thread. */
#ifndef SEPIA_OSD_PG_LOG_H
#define SEPIA_OSD_PG_LOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/list.h"
#include "osd/osd_codec.h"
#include "rados/osd_proto.h"

struct store;
struct store_txn;

struct pg_log_ent {
	struct list_node node;    /* in pg_log.entries, oldest first */
	struct pg_log_ent *hnext; /* reqid hash chain */
	struct osd_log_entry e;   /* owned strings */
};

struct pg_log {
	struct list_node entries; /* oldest first */
	size_t n;
	struct pg_log_ent **buckets; /* reqid index, nbuckets a power of two */
	size_t nbuckets;
	struct osd_eversion head; /* newest entry's version (or the tail) */
	struct osd_eversion tail; /* entries <= tail are gone */
};

void pg_log_init(struct pg_log *l);
void pg_log_fini(struct pg_log *l);
/* Appends a copy of e (its version must be newer than head: -EINVAL). 0,
 * -EINVAL, -ENOMEM. */
int pg_log_append(struct pg_log *l, const struct osd_log_entry *e);
/* The entry of reqid, or NULL; valid until the log changes. */
const struct osd_log_entry *pg_log_find(const struct pg_log *l, const struct osd_reqid *r);
/* The oldest entry newer than v, or NULL. */
const struct osd_log_entry *pg_log_next(const struct pg_log *l, struct osd_eversion v);
/* Drops entries with version <= to; tail becomes to (if newer). Returns how
 * many were dropped. */
size_t pg_log_trim(struct pg_log *l, struct osd_eversion to);
/* Where to trim before appending one more entry: once the log would exceed
 * max entries, back to min, never past limit (last_complete: entries of
 * updates still in flight stay). Returns false when nothing is to trim. */
bool pg_log_trim_point(const struct pg_log *l, size_t min, size_t max, struct osd_eversion limit,
                       struct osd_eversion *to);

/* The pgmeta object of a PG collection (name "" in the default namespace,
 * never listed to clients). */
extern const struct store_oid pg_meta_oid;

/* Adds to t: the entry as an omap key of pgmeta, the removal of log keys
 * <= trim_to (when trim is true), and info as pgmeta's info xattr. 0,
 * -EINVAL, -ENOMEM. */
int pg_log_txn(struct store_txn *t, const char *cid, const struct pg_info *info,
               const struct osd_log_entry *e, bool trim, struct osd_eversion trim_to);
/* Adds info alone. */
int pg_info_txn(struct store_txn *t, const char *cid, const struct pg_info *info);
/* Reads a PG's info and log from the store into *info and l (initialised
 * by the caller). 0, -ENOENT (no pgmeta), -EBADMSG (damaged), -ENOMEM. */
int pg_log_load(struct store *st, const char *cid, struct pg_info *info, struct pg_log *l);

#endif /* SEPIA_OSD_PG_LOG_H */
