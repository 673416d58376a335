/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_codec.h - the OSD's own on-disk records: the superblock (object
 * "osd_superblock" in collection "meta"), the object info kept as an xattr
 * of every user object, and the PG info kept as an xattr of each PG's
 * pgmeta object. All are enc envelopes (v1); see src/osd/README.md.
 * Threads: pure functions. Decoders check every bound and return -EBADMSG
 * (or -EPROTONOSUPPORT for a newer incompatible record), never crash. */
#ifndef SEPIA_OSD_OSD_CODEC_H
#define SEPIA_OSD_OSD_CODEC_H
#include <stddef.h>
#include <stdint.h>

#include "rados/osd_proto.h"

struct enc;

#define OSD_META_CID     "meta"           /* collection of the superblock and maps */
#define OSD_SUPER_OBJ    "osd_superblock" /* object holding the superblock */
#define OSD_SUPER_ATTR   "sb"             /* its xattr */
#define OSD_OI_ATTR      "_oi"            /* object info xattr of user objects */
#define OSD_OMAPHDR_ATTR "_oh"            /* omap header of user objects */
#define OSD_UATTR_PREFIX "_u."            /* user xattrs are stored under it */
#define OSD_PGINFO_ATTR  "_info"          /* PG info xattr of the pgmeta object */
#define OSD_SUPER_MAGIC  0x5345504f534455ull

struct osd_super {
	uint8_t fsid[16];       /* the cluster's */
	int32_t whoami;         /* our OSD id */
	uint8_t uuid[16];       /* this OSD's uuid */
	uint32_t current_epoch; /* newest OSD map stored in meta (0: none) */
	uint32_t oldest_epoch;  /* oldest map objects still stored (0: none) */
};

/* What the OSD knows about one object, beyond the store's own metadata. */
struct osd_obj_info {
	struct osd_eversion version;       /* the PG version of the last update */
	struct osd_eversion prior_version; /* the one before it */
	uint64_t user_version;             /* = version.v of the last update */
	uint64_t size;                     /* logical size */
	uint64_t mtime_ns;                 /* client's (or OSD's) clock at the last write */
};

/* A PG's persistent summary (dissertation §6.3.3: last_update, last_complete). */
struct pg_info {
	int64_t pool;
	uint32_t ps;
	struct osd_eversion last_update;   /* newest log entry */
	struct osd_eversion last_complete; /* every update up to it is committed */
	struct osd_eversion log_tail;      /* entries <= tail were trimmed */
	uint32_t epoch_created;
	uint32_t same_interval_since; /* epoch the acting set last changed */
};

void osd_super_encode(struct enc *e, const struct osd_super *s);
/* 0, -EBADMSG, -EPROTONOSUPPORT. */
int osd_super_decode(const void *p, size_t n, struct osd_super *out);

void osd_obj_info_encode(struct enc *e, const struct osd_obj_info *oi);
int osd_obj_info_decode(const void *p, size_t n, struct osd_obj_info *out);

void pg_info_encode(struct enc *e, const struct pg_info *pi);
int pg_info_decode(const void *p, size_t n, struct pg_info *out);

/* The omap key of a log entry: "EEEEEEEEEE.VVVVVVVVVVVVVVVVVVVV" (zero-
 * padded decimal, so keys sort like versions). buf >= PG_LOG_KEY_LEN. */
#define PG_LOG_KEY_LEN 32
const char *pg_log_key(struct osd_eversion v, char *buf);
/* Parses such a key; 0 or -EINVAL. */
int pg_log_key_parse(const char *key, struct osd_eversion *out);

#endif /* SEPIA_OSD_OSD_CODEC_H */
