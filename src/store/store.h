/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/store.h - the local object store interface: collections, objects,
 * compound transactions, reads, fsck and statfs, over an ops table with two
 * implementations (MemStore and the persistent BlockStore).
 * Threads: every call is thread-safe. queue_transaction callbacks run on a
 * store thread (the commit worker), never inside queue_transaction; they must
 * not block and must not queue transactions synchronously on the same store.
 *
 * Model. A store holds collections (one per PG, named by a string). A
 * collection holds objects named by (namespace, name, snap). An object has
 * sparse byte data (holes read as zeros), xattrs (name -> bytes) and an
 * ordered omap (key -> bytes). Objects of a collection list in a stable order:
 * namespace, then name, then snap (bytewise), which is also the cursor order.
 *
 * Transactions. A store_txn batches mutations; store_queue_transaction()
 * validates and applies it atomically: either every op takes effect or none
 * (the call then fails and no callback runs). on_applied runs once the change
 * is visible to every read; on_commit once it survives power loss. Both run
 * exactly once for an accepted transaction, on_applied first; at a failure
 * after acceptance on_commit gets -EIO and the store turns failed. */
#ifndef SEPIA_STORE_STORE_H
#define SEPIA_STORE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct cfg;
struct store;     /* opaque: one open store */
struct store_txn; /* opaque: a transaction being built */

#define STORE_SNAP_HEAD UINT64_MAX  /* the writable head of an object */
#define STORE_NAME_MAX  2048        /* bytes of a name, namespace, key or cid */
#define STORE_VALUE_MAX (16u << 20) /* bytes of one xattr or omap value */

/* Object id. Strings are borrowed for the duration of a call, must not
 * contain NUL bytes and are at most STORE_NAME_MAX bytes. */
struct store_oid {
	const char *nspace; /* "" = default namespace; NULL is taken as "" */
	const char *name;
	uint64_t snap; /* STORE_SNAP_HEAD or a snapshot id */
};

/* One key/value pair for setattrs and omap_setkeys (borrowed). */
struct store_kv {
	const char *key;
	const void *val;
	size_t len;
};

struct store_stat {
	uint64_t size;      /* logical size in bytes */
	uint64_t allocated; /* bytes of backing blocks (holes excluded) */
	uint32_t nattrs;
};

struct store_statfs {
	uint64_t total;     /* bytes of data space */
	uint64_t available; /* bytes free for new data */
	uint64_t allocated; /* bytes in use by object data */
	uint64_t objects;
};

/* Persistent-store options (see store_opts_from_cfg for the cfg mapping). */
struct store_opts {
	uint32_t block_size;   /* allocation unit and checksum block */
	uint64_t data_size;    /* bytes of the data file made by mkfs */
	uint64_t deferred_max; /* writes up to this go through the KV WAL */
	unsigned commit_threads;
	uint64_t cache_size; /* KV block cache */
	bool read_only;      /* open without replay or writes (tools, fsck) */
	bool faulty;         /* route data-file I/O through store/faulty.c */
	bool direct_io;      /* O_DIRECT data file (buffered if refused) */
};

enum store_fsck_flags {
	STORE_FSCK_DEEP = 1 << 0, /* also read every block and check its crc */
};

/* Callbacks. status is 0, or -EIO when the store failed before durability. */
typedef void store_txn_fn(int status, void *arg);
/* One object of a listing; oid is valid during the call. Nonzero stops. */
typedef int store_list_fn(const struct store_oid *oid, void *arg);
typedef int store_coll_fn(const char *cid, void *arg);
/* One xattr or omap pair; valid during the call. Nonzero stops. */
typedef int store_kv_fn(const char *key, const void *val, size_t len, void *arg);
/* One fsck finding (already logged); valid during the call. */
typedef void store_fsck_fn(const char *what, void *arg);

/* ---- lifecycle ---- */
void store_opts_default(struct store_opts *o);
/* Fills o from the store_* options of c. */
void store_opts_from_cfg(struct store_opts *o, const struct cfg *c);
/* An in-memory store. 0 or -ENOMEM; *out untouched on error. */
int store_mem_create(struct store **out);
/* Makes a new persistent store in directory path (created if missing; must
 * not hold a store already: -EEXIST). 0 or -errno. */
int store_bs_mkfs(const char *path, const struct store_opts *o);
/* Opens (mounts) it: replays deferred writes unless read-only. 0, -ENOENT,
 * -EBADMSG (damaged metadata), -EIO, -ENOMEM; *out untouched on error. */
int store_bs_open(const char *path, const struct store_opts *o, struct store **out);
/* Waits for every queued transaction, then closes. NULL is a no-op. */
void store_close(struct store *st);
const char *store_kind(const struct store *st); /* "memstore", "blockstore" */
/* Read-only or failed stores refuse transactions with -EROFS / -EIO. */
bool store_is_failed(const struct store *st);

/* ---- transactions ---- */
int store_txn_create(struct store_txn **out); /* 0, -ENOMEM */
void store_txn_destroy(struct store_txn *t);  /* NULL is a no-op */
unsigned store_txn_count(const struct store_txn *t);
/* Each builder returns 0, -EINVAL (bad name, size) or -ENOMEM, and then
 * leaves t unchanged. Ops apply in order; later ops see earlier ones.
 * Creating ops (touch write zero truncate setattr(s) omap_setkeys, the
 * destination of clone/clone_range) make a missing object; the others need
 * it (-ENOENT at queue time). */
int store_txn_coll_create(struct store_txn *t, const char *cid);
int store_txn_coll_remove(struct store_txn *t, const char *cid); /* must be empty */
int store_txn_touch(struct store_txn *t, const char *cid, const struct store_oid *oid);
/* Takes a reference on data; copies nothing. */
int store_txn_write(struct store_txn *t, const char *cid, const struct store_oid *oid, uint64_t off,
                    struct buf *data);
int store_txn_zero(struct store_txn *t, const char *cid, const struct store_oid *oid, uint64_t off,
                   uint64_t len);
int store_txn_truncate(struct store_txn *t, const char *cid, const struct store_oid *oid,
                       uint64_t size);
int store_txn_remove(struct store_txn *t, const char *cid, const struct store_oid *oid);
/* dst becomes a copy of src (data, xattrs, omap), replacing any old dst. */
int store_txn_clone(struct store_txn *t, const char *cid, const struct store_oid *src,
                    const struct store_oid *dst);
int store_txn_clone_range(struct store_txn *t, const char *cid, const struct store_oid *src,
                          const struct store_oid *dst, uint64_t srcoff, uint64_t len,
                          uint64_t dstoff);
int store_txn_setattr(struct store_txn *t, const char *cid, const struct store_oid *oid,
                      const char *name, const void *val, size_t len);
int store_txn_setattrs(struct store_txn *t, const char *cid, const struct store_oid *oid,
                       const struct store_kv *kv, unsigned n);
/* Removing a missing xattr or omap key is not an error. */
int store_txn_rmattr(struct store_txn *t, const char *cid, const struct store_oid *oid,
                     const char *name);
int store_txn_omap_setkeys(struct store_txn *t, const char *cid, const struct store_oid *oid,
                           const struct store_kv *kv, unsigned n);
int store_txn_omap_rmkeys(struct store_txn *t, const char *cid, const struct store_oid *oid,
                          const char *const *keys, unsigned n);
/* Removes keys in [first, last). */
int store_txn_omap_rmkeyrange(struct store_txn *t, const char *cid, const struct store_oid *oid,
                              const char *first, const char *last);
int store_txn_omap_clear(struct store_txn *t, const char *cid, const struct store_oid *oid);
/* Moves an object, keeping data, xattrs and omap; dst must not exist
 * (-EEXIST at queue time). Collections may be equal. */
int store_txn_move_rename(struct store_txn *t, const char *src_cid, const struct store_oid *src,
                          const char *dst_cid, const struct store_oid *dst);

/* Takes ownership of t on success. 0; on error (t still the caller's, no
 * callback runs): -ENOENT, -EEXIST, -ENOTEMPTY (validation), -ENOSPC, -EROFS,
 * -EIO (failed store), -ENOMEM. Callbacks may be NULL. */
int store_queue_transaction(struct store *st, struct store_txn *t, store_txn_fn *on_applied,
                            store_txn_fn *on_commit, void *arg);
/* Serialises t for replication (the primary sends it, replicas apply it):
 * the op list, then the write data shared with t's bufs, not copied. *out
 * is a new buf (caller owns). 0 or -ENOMEM. */
int store_txn_encode(const struct store_txn *t, struct buf **out);
/* Rebuilds a transaction from store_txn_encode's output; write data slices
 * b (no copy). Names and sizes are checked as by the builders. 0, -EBADMSG,
 * -ENOMEM; *out untouched on error. */
int store_txn_decode(const struct buf *b, struct store_txn **out);
/* Queues t and waits for on_commit; returns its status. Always consumes t:
 * a transaction refused at queueing (validation, -EROFS) is destroyed too. */
int store_apply_transaction(struct store *st, struct store_txn *t);

/* ---- reads: see every applied transaction ---- */
/* Reads up to len bytes at off (len 0 = to the end) into a new buf (caller
 * owns). Returns the bytes read (short at the end), -ENOENT, -EIO (checksum
 * mismatch, logged), -ENOMEM. */
ssize_t store_read(struct store *st, const char *cid, const struct store_oid *oid, uint64_t off,
                   uint64_t len, struct buf **out);
int store_stat(struct store *st, const char *cid, const struct store_oid *oid,
               struct store_stat *out);
/* *val (caller owns, mem_free) and *len. -ENOENT (object), -ENODATA (attr). */
int store_getattr(struct store *st, const char *cid, const struct store_oid *oid, const char *name,
                  void **val, size_t *len);
int store_getattrs(struct store *st, const char *cid, const struct store_oid *oid, store_kv_fn *fn,
                   void *arg);
int store_omap_get(struct store *st, const char *cid, const struct store_oid *oid, const char *key,
                   void **val, size_t *len);
/* Calls fn for keys >= start (NULL: first) in order, at most max (0: all).
 * Returns the number of pairs visited or -errno. */
int store_omap_iterate(struct store *st, const char *cid, const struct store_oid *oid,
                       const char *start, unsigned max, store_kv_fn *fn, void *arg);
/* Lists objects strictly after `after` (NULL: from the start), at most max
 * (0: all). Returns the number listed, -ENOENT (collection) or -errno. */
int store_list(struct store *st, const char *cid, const struct store_oid *after, unsigned max,
               store_list_fn *fn, void *arg);
int store_list_colls(struct store *st, store_coll_fn *fn, void *arg);
bool store_coll_exists(struct store *st, const char *cid);
/* Verifies every block of one object against its checksums (deep scrub);
 * *digest = crc32c(-1) of the object's bytes. 0, -ENOENT, -EIO (logged). */
int store_scrub_object(struct store *st, const char *cid, const struct store_oid *oid,
                       uint32_t *digest);
/* Checks consistency; returns the number of errors found (each reported to
 * fn, may be NULL) or -errno when the check itself could not run. */
int store_fsck(struct store *st, unsigned flags, store_fsck_fn *fn, void *arg);
int store_statfs(struct store *st, struct store_statfs *out);

/* ---- BlockStore introspection (offline tools) ---- */
/* One extent of an object: logical bytes [off, off+len) stored at byte
 * file_off of the data file, one crc32c(-1) per block of block_size bytes. */
struct store_extent {
	uint64_t off, len, file_off;
	uint32_t block_size, nblocks;
	const uint32_t *crc; /* nblocks entries, valid during the call */
};
typedef int store_extent_fn(const struct store_extent *x, void *arg);
/* Visits the extents of one object in logical order (nonzero from fn stops
 * and is returned). 0, -ENOENT, -EBADMSG, -ENOMEM, -EOPNOTSUPP (not a
 * BlockStore). */
int store_extents(struct store *st, const char *cid, const struct store_oid *oid,
                  store_extent_fn *fn, void *arg);

/* ---- object ids ---- */
int store_oid_cmp(const struct store_oid *a, const struct store_oid *b);
/* Whether oid's strings are valid names (non-NULL name, lengths). */
bool store_oid_is_valid(const struct store_oid *oid);

#endif /* SEPIA_STORE_STORE_H */
