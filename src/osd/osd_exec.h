/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_exec.h - executes the ops of one client request against one
 * object of a store: reads straight from the store, writes into ONE store
 * transaction that also carries the new object info. Pure: no messages, no
 * PG state; the caller adds the PG log entry and sends the transaction.
 * Threads: an osd_exec belongs to the calling thread (a shard thread).
 *
 * Semantics (see rados/osd_proto.h for each op code): every op sees the
 * effect of the earlier ops of the request on the object's existence,
 * size and xattrs; reads of data and omap inside a request that also
 * writes see the object as it was before the request (README "Ops").
 * A failing op (without OSD_OP_F_FAILOK) fails the whole request: its
 * rval becomes the request's result and nothing is applied. */
#ifndef SEPIA_OSD_OSD_EXEC_H
#define SEPIA_OSD_OSD_EXEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "osd/osd_codec.h"
#include "rados/osd_proto.h"
#include "store/store.h"

struct buf;

struct osd_exec_limits {
	uint64_t max_object_size; /* -EFBIG beyond */
	uint32_t max_name_len;    /* -ENAMETOOLONG beyond */
	uint64_t max_attr_size;   /* -EFBIG beyond */
};

struct osd_exec_attr {
	char *name;      /* user name (without OSD_UATTR_PREFIX), owned */
	struct buf *val; /* owned; NULL: removed */
};

struct osd_exec {
	/* in */
	struct store *st;
	const char *cid;
	struct store_oid oid;
	const struct osd_exec_limits *lim;
	uint64_t mtime_ns;
	/* the object before the request */
	bool existed;
	struct osd_obj_info oi;
	/* running state */
	bool exists;
	bool reset; /* removed during the request: the store's old state is gone */
	uint64_t size;
	bool modified;         /* some write op changed the object */
	struct store_txn *txn; /* writes, created on the first one */
	struct osd_exec_attr *attrs;
	size_t nattrs, cap_attrs;
	/* out */
	int result; /* 0 or the failing op's rval */
	uint64_t rd_bytes, wr_bytes;
};

/* Loads the object's info. nspace/name are borrowed for x's lifetime.
 * 0, -EBADMSG (damaged object info), -EIO, -ENOMEM. */
int osd_exec_init(struct osd_exec *x, struct store *st, const char *cid, const char *nspace,
                  const char *name, const struct osd_exec_limits *lim, uint64_t mtime_ns);
void osd_exec_fini(struct osd_exec *x);

/* Runs ops[0..nops) in order, filling each op's rval and outdata. Returns
 * the request's result (0 or -errno). */
int osd_exec_run(struct osd_exec *x, struct osd_op *ops, uint32_t nops);

/* After a successful run with writes: the object's new info (version,
 * user_version = version.v, size, mtime) is added to the transaction,
 * which is handed to the caller (*txn, caller owns). *deleted tells
 * whether the object is gone afterwards. 0, -ENOMEM. */
int osd_exec_finish(struct osd_exec *x, struct osd_eversion version, struct osd_obj_info *oi,
                    bool *deleted, struct store_txn **txn);

/* Lists the user objects of a PG collection (PGLS): op->arg = max entries,
 * op->name = namespace filter (NULL: "", OSD_LIST_ALL_NSPACES: all),
 * op->indata = cursor. Sets op->outdata / op->rval; returns 0 or -errno. */
int osd_exec_pgls(struct store *st, const char *cid, struct osd_op *op);

/* Which xattr name a user attribute is stored under; -ENAMETOOLONG. */
int osd_uattr_name(const char *name, char *buf, size_t n);

#endif /* SEPIA_OSD_OSD_EXEC_H */
