/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/export.h - the collection export format: a versioned, checksummed
 * stream that carries one collection's objects (data, xattrs, omap) from one
 * store to another (sepia-store-tool export / import).
 * Threads: one call at a time per stream; the store calls are thread-safe.
 *
 * Format (version 1). A stream is a sequence of records; each record is a
 * common/enc.h envelope (u8 struct_v, u8 compat_v, u32 len, body) followed
 * by a u32 crc32c(-1) of the envelope's bytes. The body starts with a u8
 * record type:
 *   1 HEADER      u64 magic STORE_EXPORT_MAGIC, str cid, str source kind
 *   2 OBJECT      str nspace, str name, u64 snap, u64 size,
 *                 u32 n x (str key, blob value)          xattrs, sorted
 *   3 DATA        u64 off, blob bytes (<= STORE_EXPORT_CHUNK; all-zero
 *                 ranges are omitted and read back as holes)
 *   4 OMAP        u32 n x (str key, blob value)          sorted, batched
 *   5 OBJECT_END  u32 data records, u32 omap keys        (cross-checks)
 *   6 TRAILER     u64 objects, u64 records before it
 * Grammar: HEADER (OBJECT (DATA | OMAP)* OBJECT_END)* TRAILER, nothing
 * after it; objects in listing order (no duplicates), DATA ascending and
 * inside the object's size, OMAP keys ascending across the object. */
#ifndef SEPIA_STORE_EXPORT_H
#define SEPIA_STORE_EXPORT_H
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_EXPORT_MAGIC 0x3176505845504553ull /* bytes "SEPEXPv1" */
#define STORE_EXPORT_CHUNK (1u << 20)            /* data bytes per DATA record */

/* Receives the next bytes of the stream. 0 or -errno (stops the export). */
typedef int store_export_write_fn(const void *p, size_t n, void *arg);

struct store_export_stats {
	char cid[STORE_NAME_MAX + 1];
	uint64_t objects, data_bytes, xattrs, omap_keys, records;
};

enum store_import_flags {
	STORE_IMPORT_FORCE = 1 << 0,  /* replace an existing collection's objects */
	STORE_IMPORT_VERIFY = 1 << 1, /* check the stream only; change nothing */
};

struct store_import_opts {
	unsigned flags;      /* enum store_import_flags */
	uint64_t max_object; /* refuse objects larger than this (0: no limit) */
};

/* Writes collection cid of st to fn. 0, -ENOENT (no such collection), -EIO
 * (a read failed: checksum mismatch), -ENOMEM or fn's error. stats may be
 * NULL. */
int store_export_coll(struct store *st, const char *cid, store_export_write_fn *fn, void *arg,
                      struct store_export_stats *stats);

/* Checks the whole stream p[0, n) first (framing, checksums, grammar,
 * names), then creates its collection in st and its objects. 0, -EBADMSG
 * (malformed or damaged stream), -EPROTONOSUPPORT (newer format), -EEXIST
 * (the collection exists and no FORCE), -EFBIG (max_object), or the store's
 * -ENOSPC, -EIO, -ENOMEM. If applying fails half way the collection is
 * partial; an import with FORCE replaces it. stats may be NULL. */
int store_import(struct store *st, const void *p, size_t n, const struct store_import_opts *o,
                 struct store_export_stats *stats);

#endif /* SEPIA_STORE_EXPORT_H */
