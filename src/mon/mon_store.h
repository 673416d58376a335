/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_store.h - the monitor's durable state on RocksDB: consensus
 * metadata, log entries by index, and the application key/value space of
 * the map services, changed together in atomic, fsync'd batches.
 * Threads: RocksDB calls block; call from a work-queue thread (wq_submit).
 * One store may be used from one thread at a time.
 *
 * Keys: "m/<name>" metadata (term, vote, commit, applied, base), "l/<be64
 * index>" log entries, "a/<prefix>\0<key>" application values. A snapshot is
 * the whole application space plus its applied index (README "snapshots"). */
#ifndef SEPIA_MON_MON_STORE_H
#define SEPIA_MON_MON_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mon_raft_op;
struct mon_raft_state;
struct mon_store;       /* opaque */
struct mon_store_batch; /* opaque */

/* Opens (creating if create) the database at path. 0, -ENOENT (missing and
 * !create), -EIO (RocksDB error, logged), -ENOMEM; *out untouched on error. */
int mon_store_open(const char *path, bool create, struct mon_store **out);
void mon_store_close(struct mon_store *st); /* NULL is a no-op */

/* Fills *out from the store for mon_raft_create. A store never written gives
 * term 0, vote MON_RAFT_NONE and base conf `bootstrap_conf`. Caller frees with
 * mon_store_state_free. 0, -EIO (store corrupt: not contiguous, bad entry), -ENOMEM. */
int mon_store_load(struct mon_store *st, uint64_t bootstrap_conf, struct mon_raft_state *out);
void mon_store_state_free(struct mon_raft_state *s);

/* A batch collects changes; commit writes them atomically with sync=true. */
int mon_store_batch_create(struct mon_store *st, struct mon_store_batch **out);
void mon_store_batch_destroy(struct mon_store_batch *b); /* uncommitted: dropped */
/* Records the persistence ops of one consensus batch, in order. A SNAPSHOT
 * op replaces the whole application space with its data (the format of
 * mon_store_snapshot_build). 0, -EBADMSG (bad snapshot data), -ENOMEM. */
int mon_store_batch_ops(struct mon_store_batch *b, const struct mon_raft_op *ops, size_t n);
/* Application space: prefix is a map service name without NUL. */
void mon_store_batch_put(struct mon_store_batch *b, const char *prefix, const void *key,
                         size_t klen, const void *val, size_t vlen);
void mon_store_batch_del(struct mon_store_batch *b, const char *prefix, const void *key,
                         size_t klen);
/* Records that entries up to index are applied, in the same batch as the
 * application changes they made. */
void mon_store_batch_applied(struct mon_store_batch *b, uint64_t index);
/* Writes and fsyncs; the batch stays valid (empty) for reuse. 0, -EIO, -ENOMEM. */
int mon_store_batch_commit(struct mon_store_batch *b);

/* Reads an application value (caller owns *val, mem_free). 0, -ENOENT, -EIO, -ENOMEM. */
int mon_store_get(struct mon_store *st, const char *prefix, const void *key, size_t klen,
                  void **val, size_t *vlen);
typedef int mon_store_iter_fn(const void *key, size_t klen, const void *val, size_t vlen,
                              void *arg);
/* Calls fn for every key under prefix in key order; a non-zero return stops
 * and is returned. */
int mon_store_iterate(struct mon_store *st, const char *prefix, mon_store_iter_fn *fn, void *arg);
uint64_t mon_store_applied(struct mon_store *st); /* last committed applied index */

/* Snapshot of the application space at the applied index, from one
 * consistent RocksDB snapshot: *data (caller owns, mem_free) for
 * mon_raft_send_snapshot, *index its version. 0, -EIO, -ENOMEM. */
int mon_store_snapshot_build(struct mon_store *st, uint8_t **data, size_t *len, uint64_t *index);
/* Checks snapshot data without applying it (the fuzz target's entry point):
 * 0 or -EBADMSG / -EPROTONOSUPPORT. */
int mon_store_snapshot_check(const void *data, size_t len);

#endif /* SEPIA_MON_MON_STORE_H */
