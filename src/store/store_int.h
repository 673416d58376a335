/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/store_int.h - module-private declarations: the ops table every
 * implementation fills, the transaction representation, validation, object
 * key encoding and the sorted key/value vector.
 * Threads: a transaction belongs to one thread until queued; kvvec has no
 * locking (its owner serializes). */
#ifndef SEPIA_STORE_STORE_INT_H
#define SEPIA_STORE_STORE_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enc.h"
#include "store/store.h"

/* The interface: one table per implementation. The OSD sees only store.h. */
struct store_ops {
	const char *kind;
	void (*close)(struct store *st);
	int (*queue)(struct store *st, struct store_txn *t, store_txn_fn *applied,
	             store_txn_fn *commit, void *arg);
	ssize_t (*read)(struct store *st, const char *cid, const struct store_oid *oid,
	                uint64_t off, uint64_t len, struct buf **out);
	int (*stat)(struct store *st, const char *cid, const struct store_oid *oid,
	            struct store_stat *out);
	int (*getattrs)(struct store *st, const char *cid, const struct store_oid *oid,
	                const char *only, store_kv_fn *fn, void *arg);
	int (*omap_iterate)(struct store *st, const char *cid, const struct store_oid *oid,
	                    const char *start, bool exact, unsigned max, store_kv_fn *fn,
	                    void *arg);
	int (*list)(struct store *st, const char *cid, const struct store_oid *after, unsigned max,
	            store_list_fn *fn, void *arg);
	int (*list_colls)(struct store *st, store_coll_fn *fn, void *arg);
	int (*scrub)(struct store *st, const char *cid, const struct store_oid *oid,
	             uint32_t *digest);
	int (*fsck)(struct store *st, unsigned flags, store_fsck_fn *fn, void *arg);
	int (*statfs)(struct store *st, struct store_statfs *out);
	bool (*is_failed)(const struct store *st);
};

/* Embedded first in every implementation's store struct. */
struct store {
	const struct store_ops *ops;
};

enum store_op_type {
	STORE_OP_COLL_CREATE,
	STORE_OP_COLL_REMOVE,
	STORE_OP_TOUCH,
	STORE_OP_WRITE,
	STORE_OP_ZERO,
	STORE_OP_TRUNCATE,
	STORE_OP_REMOVE,
	STORE_OP_CLONE,
	STORE_OP_CLONE_RANGE,
	STORE_OP_SETATTRS,
	STORE_OP_RMATTR,
	STORE_OP_OMAP_SETKEYS,
	STORE_OP_OMAP_RMKEYS,
	STORE_OP_OMAP_RMKEYRANGE,
	STORE_OP_OMAP_CLEAR,
	STORE_OP_MOVE_RENAME,
};

/* An owned object id (strings are mem_strdup'ed). */
struct store_oid_own {
	char *nspace, *name;
	uint64_t snap;
};

/* One op. Which fields matter depends on type: oid2/cid2 for clone,
 * clone_range and move_rename; kv for setattrs, rmattr (key only), omap
 * setkeys and rmkeys (keys only); key/key2 for omap_rmkeyrange. */
struct store_op {
	enum store_op_type type;
	char *cid, *cid2;
	struct store_oid_own oid, oid2;
	uint64_t off, len, off2;
	struct buf *data;
	struct store_kv *kv; /* owned copies */
	unsigned nkv;
	char *key, *key2;
};

struct store_txn {
	struct store_op *ops;
	size_t nops, cap;
	uint64_t bytes; /* data bytes carried */
};

/* Borrowed view of an owned oid. */
static inline struct store_oid store_oid_view(const struct store_oid_own *o)
{
	struct store_oid v = { .nspace = o->nspace, .name = o->name, .snap = o->snap };

	return v;
}

/* What validation needs to know about the state before the transaction. */
struct store_view {
	bool (*coll_exists)(void *ctx, const char *cid);
	bool (*obj_exists)(void *ctx, const char *cid, const struct store_oid *oid);
	/* Number of objects of an existing collection (or at least "any"). */
	uint64_t (*coll_count)(void *ctx, const char *cid);
	void *ctx;
};

/* Checks that every op of t can apply in order to the state seen through v:
 * 0, -ENOENT, -EEXIST, -ENOTEMPTY, -ENOMEM. Applying a validated transaction
 * can then fail only for resources (-ENOSPC, -ENOMEM, -EIO). */
int store_txn_validate(const struct store_txn *t, const struct store_view *v);

/* Object keys: nspace NUL name NUL snap(be64). Bytewise order of keys is
 * the listing order. Decoding returns -EBADMSG on malformed keys; the
 * returned oid points into the key (strings are not NUL terminated there,
 * so they are copied into the caller's scratch of cap bytes each). */
void store_oid_encode_key(struct enc *e, const struct store_oid *oid);
int store_oid_decode_key(const void *key, size_t n, char *nspace, char *name, size_t cap,
                         uint64_t *snap);
int store_oid_own_set(struct store_oid_own *o, const struct store_oid *src);
void store_oid_own_clear(struct store_oid_own *o);
bool store_name_is_valid(const char *s);

/* kvvec: a sorted vector of owned (key, value) pairs; strcmp order. */
struct store_kvent {
	char *key;
	void *val;
	size_t len;
};
struct store_kvvec {
	struct store_kvent *v;
	size_t n, cap;
	uint64_t bytes; /* sum of key and value lengths */
};
void store_kvvec_init(struct store_kvvec *kv);
void store_kvvec_fini(struct store_kvvec *kv);
/* Index of the first entry with key >= k. */
size_t store_kvvec_lower(const struct store_kvvec *kv, const char *k);
struct store_kvent *store_kvvec_find(const struct store_kvvec *kv, const char *k);
/* Copies key and value. 0 or -ENOMEM (kv unchanged). */
int store_kvvec_set(struct store_kvvec *kv, const char *k, const void *val, size_t len);
void store_kvvec_remove(struct store_kvvec *kv, const char *k);
/* Removes keys in [first, last) (last NULL: to the end). */
void store_kvvec_remove_range(struct store_kvvec *kv, const char *first, const char *last);
void store_kvvec_clear(struct store_kvvec *kv);
int store_kvvec_copy(struct store_kvvec *dst, const struct store_kvvec *src);
/* Visits entries from start (exact: only that key), at most max (0: all). */
int store_kvvec_visit(const struct store_kvvec *kv, const char *start, bool exact, unsigned max,
                      store_kv_fn *fn, void *arg);

#endif /* SEPIA_STORE_STORE_INT_H */
