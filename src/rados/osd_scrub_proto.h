/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/osd_scrub_proto.h - the OSD-to-OSD messages of scrub and repair
 * (types 72-75 of the OSD protocol, registered by osd_proto_register) and
 * the scrub map they carry: one entry per object of a chunk, with what a
 * copy says about the object (object info version and size, the store's
 * size, digests of user xattrs, omap and, for a deep scrub, data).
 * Threads: plain data; see msg/msg.h for ownership of messages.
 *
 * Flow (src/osd/README.md "Scrub"): the primary sends OSD_MSG_SCRUB for a
 * chunk (start, end] of the PG's objects in store order to every other
 * acting OSD, which answers OSD_MSG_SCRUB_MAP with its map of that range.
 * Repair: OSD_MSG_REPAIR PUSH carries a store transaction (store_txn_encode,
 * as the data segment) that recreates one object; PULL asks for such a
 * transaction built from the receiver's copy. OSD_MSG_REPAIR_REPLY answers
 * both (a PULL's transaction as its data segment). */
#ifndef SEPIA_RADOS_OSD_SCRUB_PROTO_H
#define SEPIA_RADOS_OSD_SCRUB_PROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rados/osd_proto.h"

struct enc;
struct dec;

enum osd_scrub_proto_type {
	OSD_MSG_SCRUB = 72,        /* primary -> replica: build a scrub map of a chunk */
	OSD_MSG_SCRUB_MAP = 73,    /* replica -> primary: the map */
	OSD_MSG_REPAIR = 74,       /* primary -> replica: push or pull one object */
	OSD_MSG_REPAIR_REPLY = 75, /* replica -> primary: applied, or the pulled object */
};

#define OSD_SCRUB_OBJS_MAX 100000 /* entries in one scrub map */

/* The routing header of every scrub message (read before the body). */
struct osd_scrub_hdr {
	int64_t pool;
	uint32_t ps;
	int32_t from;   /* the sender's OSD id */
	uint32_t epoch; /* the sender's map epoch */
	uint64_t tid;   /* the primary's id of the request; replies echo it */
};

/* OSD_MSG_SCRUB: objects in (start, end] (store order; a cursor that is not
 * valid means "from the first" / "to the last"). */
struct osd_msg_scrub {
	struct msg m;
	struct osd_scrub_hdr h;
	bool deep;
	struct osd_list_cursor start, end; /* owned strings */
};

enum osd_scrub_obj_flags {
	OSD_SCRUB_O_OI_BAD = 1 << 0,   /* object info missing or undecodable */
	OSD_SCRUB_O_STAT_ERR = 1 << 1, /* size, xattrs or omap could not be read */
	OSD_SCRUB_O_DIGEST = 1 << 2,   /* data_digest is valid (deep scrub) */
	OSD_SCRUB_O_READ_ERR = 1 << 3, /* deep: the data read failed (-EIO: checksum) */
	OSD_SCRUB_O_ALL = (1 << 4) - 1,
};

/* One object as one copy holds it. */
struct osd_scrub_obj {
	char *nspace, *name;         /* owned */
	uint32_t flags;              /* enum osd_scrub_obj_flags */
	struct osd_eversion version; /* object info */
	uint64_t oi_size;            /* object info's size */
	uint64_t size;               /* the store's size */
	uint32_t attrs_digest;       /* crc32c of the user xattrs (name, value), by name */
	uint32_t omap_digest;        /* crc32c of the omap header and (key, value) pairs */
	uint32_t data_digest;        /* crc32c(-1) of the data (OSD_SCRUB_O_DIGEST) */
};

/* A copy's objects of one chunk, in store order (nspace, name). */
struct osd_scrub_map {
	struct osd_scrub_obj *objs; /* owned */
	uint32_t n;
	size_t cap;
};

/* OSD_MSG_SCRUB_MAP */
struct osd_msg_scrub_map {
	struct msg m;
	struct osd_scrub_hdr h;
	int32_t result; /* 0, or -errno: no map */
	struct osd_scrub_map map;
};

enum osd_repair_op {
	OSD_REPAIR_PUSH = 1, /* apply the transaction in the data segment */
	OSD_REPAIR_PULL = 2, /* answer with a transaction recreating (nspace, name) */
};

/* OSD_MSG_REPAIR */
struct osd_msg_repair {
	struct msg m;
	struct osd_scrub_hdr h;
	uint8_t op;          /* enum osd_repair_op */
	char *nspace, *name; /* owned: the object */
};

/* OSD_MSG_REPAIR_REPLY (a PULL's transaction in the data segment) */
struct osd_msg_repair_reply {
	struct msg m;
	struct osd_scrub_hdr h;
	int32_t result;
};

extern const struct msg_type_ops osd_scrub_ops, osd_scrub_map_ops, osd_repair_ops,
    osd_repair_reply_ops;

/* Registers the four types (osd_proto_register calls it). 0, -EEXIST, -ENOMEM. */
int osd_scrub_proto_register(struct msg_registry *reg);
/* The header of a scrub message (types 72-75), NULL for any other type. */
const struct osd_scrub_hdr *osd_scrub_msg_hdr(const struct msg *m);

/* Scrub maps. push copies obj's strings: 0, -ENOMEM. */
int osd_scrub_map_push(struct osd_scrub_map *sm, const struct osd_scrub_obj *obj);
void osd_scrub_map_fini(struct osd_scrub_map *sm);
void osd_scrub_obj_encode(struct enc *e, const struct osd_scrub_obj *o);
int osd_scrub_obj_decode(struct dec *d, struct osd_scrub_obj *o); /* 0, -EBADMSG, -ENOMEM */
void osd_scrub_obj_fini(struct osd_scrub_obj *o);
void osd_scrub_map_encode(struct enc *e, const struct osd_scrub_map *sm);
/* Entries must be in strictly increasing (nspace, name) order (-EBADMSG). */
int osd_scrub_map_decode(struct dec *d, struct osd_scrub_map *sm);
/* Store order of (nspace, name): <0, 0, >0. */
int osd_scrub_name_cmp(const char *ns_a, const char *a, const char *ns_b, const char *b);

#endif /* SEPIA_RADOS_OSD_SCRUB_PROTO_H */
