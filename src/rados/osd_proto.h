/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/osd_proto.h - the OSD protocol: client ops and their replies,
 * replication between a PG's primary and its replicas, and the small
 * encodings carried inside op payloads (key/value lists, extents, listing
 * cursors, PG log entries). Shared by sepia-osd and the object client.
 * Threads: plain data; see msg/msg.h for ownership of messages.
 *
 * Type numbers 64-127 belong to this protocol (see monc/mon_proto.h). Map
 * sharing between OSDs and clients reuses MON_MSG_MAP (monc/mon_proto.h):
 * an OSD that sees a peer with an older epoch sends it the incrementals it
 * lacks, with `newest` set to the last epoch included.
 *
 * Payload layout. Each op of a request carries its input bytes (`indata`):
 * write data, an xattr value, an encoded key/value list. On the wire all
 * ops' input bytes are concatenated in the message's data segment and the
 * front records each op's length, so object data is never copied; the
 * decoder gives every op a slice of the data segment. Replies carry output
 * bytes (`outdata`) the same way. */
#ifndef SEPIA_RADOS_OSD_PROTO_H
#define SEPIA_RADOS_OSD_PROTO_H
#include <stdbool.h>
#include <stdint.h>

#include "msg/msg.h"

struct buf;
struct enc;
struct dec;
struct msg_registry;

enum osd_proto_type {
	OSD_MSG_OP = 64,          /* client -> primary */
	OSD_MSG_OPREPLY = 65,     /* primary -> client */
	OSD_MSG_REPOP = 66,       /* primary -> replica: apply this transaction */
	OSD_MSG_REPOP_REPLY = 67, /* replica -> primary: applied / committed */
	OSD_MSG_PING = 68,        /* OSD -> peer OSD's heartbeat messenger */
	OSD_MSG_PING_REPLY = 69,  /* the answer, on the same connection */
	OSD_MSG_PEERING = 70,     /* OSD -> OSD: a peering core message (not PUSH) */
	OSD_MSG_PUSH = 71,        /* OSD -> OSD: a core PUSH + the object (data segment) */
	                          /* 72-75: scrub (osd_scrub_proto.h); 76-127: later */
};

#define OSD_OPS_MAX   64          /* ops in one request */
#define OSD_NAME_MAX  2048        /* object name, namespace, xattr name, omap key */
#define OSD_KV_MAX    100000      /* entries in one key/value list */
#define OSD_SNAPS_MAX 1024        /* snaps in a snap context */
#define OSD_TXN_MAX   (1u << 30)  /* bytes of an encoded replicated transaction */
#define OSD_SNAP_HEAD UINT64_MAX  /* the writable head (= STORE_SNAP_HEAD) */
#define OSD_LIST_MAX  1024        /* entries in one listing reply */
#define OSD_PEER_MAX  (64u << 20) /* bytes of an encoded peering core message */
#define OSD_OMAP_MAX  1024        /* omap entries in one read reply */

/* Who asked: the client entity, its instance (messenger nonce) and its own
 * request number. Equal reqids mean "the same request, resent". */
struct osd_reqid {
	struct msg_entity name;
	uint64_t inc;
	uint64_t tid;
};

/* A PG's version counter: the epoch of the primary's map and a number that
 * grows by one with every update of the PG. Ordered by (epoch, v). */
struct osd_eversion {
	uint32_t epoch;
	uint64_t v;
};

/* Op codes (numbers are wire format; never reuse one). */
enum osd_op_code {
	/* reads: no change to the object */
	OSD_OP_READ = 1,                   /* off, len (0: to the end) -> bytes */
	OSD_OP_SPARSE_READ = 2,            /* off, len -> osd_extents + bytes */
	OSD_OP_STAT = 3,                   /* -> u64 size, u64 mtime_ns */
	OSD_OP_GETXATTR = 4,               /* name -> value */
	OSD_OP_GETXATTRS = 5,              /* -> kv list */
	OSD_OP_CMPXATTR = 6,               /* name, arg = enum osd_cmp | mode << 8, indata =
	                                  * operand; -ECANCELED if false */
	OSD_OP_ASSERT_EXISTS = 7,          /* -ENOENT if missing */
	OSD_OP_ASSERT_VERSION = 8,         /* arg = user version; object newer: -ERANGE,
	                                    * older: -EOVERFLOW (as librados) */
	OSD_OP_OMAP_GET_KEYS = 9,          /* name = start after, arg = max -> key list */
	OSD_OP_OMAP_GET_VALS = 10,         /* name = start after, name2 = prefix, arg = max -> kv */
	OSD_OP_OMAP_GET_VALS_BY_KEYS = 11, /* indata = key list -> kv list */
	OSD_OP_OMAP_GET_HEADER = 12,       /* -> bytes */
	OSD_OP_CMPEXT = 13,                /* off, indata; mismatch at byte i of indata:
	                                  * rval -4095 - i (librados' -MAX_ERRNO - i) */
	OSD_OP_PGLS = 14,                  /* PG op: list objects, see osd_list_* */
	OSD_OP_OMAP_CMP = 15,              /* name = key, arg = enum osd_cmp, indata =
	                                  * operand; bytewise; -ECANCELED if false */
	/* writes */
	OSD_OP_CREATE = 32,          /* arg = 1: exclusive (-EEXIST if present) */
	OSD_OP_WRITE = 33,           /* off, indata */
	OSD_OP_WRITE_FULL = 34,      /* indata replaces all data */
	OSD_OP_APPEND = 35,          /* indata at the current end */
	OSD_OP_TRUNCATE = 36,        /* off = new size */
	OSD_OP_ZERO = 37,            /* off, len */
	OSD_OP_REMOVE = 38,          /* -ENOENT if missing */
	OSD_OP_SETXATTR = 39,        /* name, indata = value */
	OSD_OP_RMXATTR = 40,         /* name */
	OSD_OP_OMAP_SET = 41,        /* indata = kv list */
	OSD_OP_OMAP_RM_KEYS = 42,    /* indata = key list */
	OSD_OP_OMAP_CLEAR = 43,      /* */
	OSD_OP_OMAP_RM_RANGE = 44,   /* name = first, name2 = last: [first, last) */
	OSD_OP_OMAP_SET_HEADER = 45, /* indata */
};
bool osd_op_is_write(uint16_t code);
bool osd_op_is_valid(uint16_t code);
const char *osd_op_name(uint16_t code); /* "write", "omap-set"; "?" if unknown */

/* cmpxattr / omap compare operators (librados LIBRADOS_CMPXATTR_OP_*). */
enum osd_cmp {
	OSD_CMP_EQ = 1,
	OSD_CMP_NE = 2,
	OSD_CMP_GT = 3,
	OSD_CMP_GTE = 4,
	OSD_CMP_LT = 5,
	OSD_CMP_LTE = 6,
};
/* cmpxattr operand mode, in osd_op.arg bits 8..15. */
enum osd_cmp_mode { OSD_CMP_MODE_STRING = 1, OSD_CMP_MODE_U64 = 2 };

enum osd_op_flags {
	OSD_OP_F_FAILOK = 1 << 0, /* this op's failure does not abort the request */
};

/* One op of a request (and, filled in by the OSD, of its reply). */
struct osd_op {
	uint16_t code;  /* enum osd_op_code */
	uint16_t flags; /* enum osd_op_flags */
	uint64_t off, len;
	uint64_t arg;       /* op-specific, see the codes */
	char *name;         /* owned, may be NULL: xattr name, omap start/first */
	char *name2;        /* owned, may be NULL: omap prefix/last */
	struct buf *indata; /* owned, may be NULL */
	/* reply */
	int32_t rval;        /* this op's result: 0, a count or -errno */
	struct buf *outdata; /* owned, may be NULL */
};

/* Request flags. */
enum osd_req_flags {
	OSD_F_READ = 1 << 0,    /* has read ops */
	OSD_F_WRITE = 1 << 1,   /* has write ops */
	OSD_F_ACK = 1 << 2,     /* request: wants the applied reply; reply: this is it */
	OSD_F_ONDISK = 1 << 3,  /* request: wants the committed reply; reply: this is it */
	OSD_F_PGOP = 1 << 4,    /* an op on the PG (listing), not on one object */
	OSD_F_RETRY = 1 << 5,   /* request: a resend; reply: not mine at reply->epoch,
	                        * get that map and resend */
	OSD_F_BALANCE = 1 << 6, /* reserved: reads from replicas */
};

/* client -> primary */
struct osd_msg_op {
	struct msg m;
	uint64_t tid; /* the client's op id; replies carry it back */
	struct osd_reqid reqid;
	uint32_t epoch; /* the client's OSD map epoch */
	uint32_t flags; /* enum osd_req_flags */
	int64_t pool;
	uint32_t ps;       /* the PG seed the client computed: pg = (pool, ps) */
	uint32_t hash;     /* the object's full name hash (listing order) */
	char *nspace;      /* owned, "" for the default namespace */
	char *oid;         /* owned, "" for PG ops */
	uint64_t snapid;   /* read: OSD_SNAP_HEAD or a snap */
	uint64_t snap_seq; /* write: snap context (later issues) */
	uint64_t *snaps;   /* owned, nsnaps entries, newest first */
	uint32_t nsnaps;
	uint64_t mtime_ns; /* client's clock for writes */
	uint32_t nops;
	struct osd_op *ops; /* owned array of nops */
};

/* primary -> client; sent once for reads, once or twice for writes
 * (OSD_F_ACK and/or OSD_F_ONDISK as requested; an error answers once). */
struct osd_msg_opreply {
	struct msg m;
	uint64_t tid;
	int32_t result; /* 0 or the first failing op's -errno */
	uint32_t flags; /* OSD_F_ACK / OSD_F_ONDISK / OSD_F_RETRY */
	uint32_t epoch; /* the OSD's map epoch */
	int64_t pool;
	uint32_t ps;
	struct osd_eversion version; /* writes: assigned; reads: the object's */
	uint64_t user_version;       /* the object's version as users see it */
	uint32_t nops;
	struct osd_op *ops; /* owned: rval and outdata (code echoed) */
};

/* One PG log entry: the object-level result of one update. */
enum osd_log_op { OSD_LOG_MODIFY = 1, OSD_LOG_DELETE = 2 };
struct osd_log_entry {
	uint8_t op; /* enum osd_log_op */
	struct osd_eversion version, prior_version;
	struct osd_reqid reqid;
	uint64_t user_version;
	uint64_t mtime_ns;
	int32_t result; /* recorded for duplicate replies */
	char *nspace;   /* owned */
	char *oid;      /* owned */
};

/* primary -> replica: apply the transaction (encoded by store_txn_encode,
 * carried as the message's data segment m.data) which already contains the
 * PG log update. */
struct osd_msg_repop {
	struct msg m;
	uint64_t tid; /* the primary's id for this repop */
	uint32_t epoch;
	int64_t pool;
	uint32_t ps;
	int32_t from; /* the primary's OSD id */
	struct osd_log_entry entry;
	struct osd_eversion pg_trim_to; /* replicas may trim their log up to it */
	uint32_t interval;              /* the primary's same_interval_since */
	/* Replies wanted (v3): OSD_F_ONDISK alone skips the applied reply (the
	 * client asked for the commit only); a v2 sender wants both. */
	uint32_t flags;
	/* m.data: the object part of the update as an encoded store transaction
	 * (each copy adds its own PG log and info); none: the log entry only */
};

/* replica -> primary */
struct osd_msg_repop_reply {
	struct msg m;
	uint64_t tid;
	uint32_t epoch;
	int64_t pool;
	uint32_t ps;
	int32_t from;   /* the replica's OSD id */
	int32_t result; /* 0 or -errno */
	uint32_t flags; /* OSD_F_ACK (applied) and/or OSD_F_ONDISK (committed) */
	struct osd_eversion last_complete_ondisk;
};

/* OSD_MSG_PING and OSD_MSG_PING_REPLY (one struct): heartbeats between
 * OSDs sharing PGs, on their dedicated heartbeat messengers (lossy). The
 * reply echoes stamp so the pinger matches it to its ping. */
struct osd_msg_ping {
	struct msg m;
	int32_t from;   /* the sender's OSD id */
	uint32_t epoch; /* the sender's OSD map epoch */
	uint64_t stamp; /* ping: the pinger's monotonic clock (ns); reply: echoed */
};

/* OSD_MSG_PEERING and OSD_MSG_PUSH (one struct): the routing header (the
 * PG, sender, epoch: read without decoding the body) + the core's message
 * as pg_peer_msg_encode bytes, decoded on the PG's shard. A PUSH's object
 * (an encoded store transaction) is the data segment m.data; none when the
 * object is deleted. */
struct osd_msg_peering {
	struct msg m;
	int64_t pool;
	uint32_t ps;
	int32_t from;   /* the sender's OSD id */
	uint32_t epoch; /* the sender's map epoch */
	uint8_t *body;  /* owned: pg_peer_msg_encode bytes */
	uint32_t body_len;
};

extern const struct msg_type_ops osd_op_ops, osd_opreply_ops, osd_repop_ops, osd_repop_reply_ops,
    osd_ping_ops, osd_ping_reply_ops, osd_peering_ops, osd_push_ops;

/* Registers every type above. 0, -EEXIST, -ENOMEM. */
int osd_proto_register(struct msg_registry *reg);

/* ---- building and freeing ---- */
/* An empty op request / reply with room for nops ops (zeroed). 0, -EINVAL
 * (nops > OSD_OPS_MAX), -ENOMEM. */
int osd_op_msg_create(uint32_t nops, struct osd_msg_op **out);
int osd_opreply_msg_create(uint32_t nops, struct osd_msg_opreply **out);
/* Collects every op's indata (outdata for a reply) into the message's data
 * segment, sharing the bytes; call once, after filling the ops and before
 * msg_send. 0 or -ENOMEM. Decoding slices the data segment back into the
 * ops, so a received message has both. */
int osd_op_msg_seal(struct osd_msg_op *m);
int osd_opreply_msg_seal(struct osd_msg_opreply *m);
/* Frees the owned members of one op (not op itself). */
void osd_op_fini(struct osd_op *op);

void osd_reqid_encode(struct enc *e, const struct osd_reqid *r);
int osd_reqid_decode(struct dec *d, struct osd_reqid *r);
bool osd_reqid_eq(const struct osd_reqid *a, const struct osd_reqid *b);
int osd_eversion_cmp(struct osd_eversion a, struct osd_eversion b);

/* Log entries (also the on-disk form in the PG's log). */
void osd_log_entry_encode(struct enc *e, const struct osd_log_entry *le);
int osd_log_entry_decode(struct dec *d, struct osd_log_entry *le); /* 0, -EBADMSG, -ENOMEM */
void osd_log_entry_fini(struct osd_log_entry *le);
int osd_log_entry_copy(struct osd_log_entry *dst, const struct osd_log_entry *src);

/* ---- payload encodings (inside indata/outdata) ----
 * key list:   u32 n, then n str
 * kv list:    u32 n, then n (str key, blob value)
 * omap reply: a key or kv list followed by u8 more (1: truncated by max)
 * extents:    u32 n, then n (u64 off, u64 len), then blob bytes (the extents'
 *             data concatenated) -- the sparse_read reply
 * stat reply: u64 size, u64 mtime_ns
 * PGLS:       request arg = max entries; name = nspace filter (NULL: the
 *             default namespace, "\001" = every namespace); indata = cursor.
 *             reply outdata = u32 n, n (str nspace, str oid), cursor, u8 end
 *             cursor = u8 valid, str nspace, str oid (list strictly after)
 * Decoders below check bounds (-EBADMSG); strings they return are owned by
 * the caller (mem_free), arrays freed with osd_kv_free. */
#define OSD_LIST_ALL_NSPACES "\001"

struct osd_kv {
	char *key;
	uint8_t *val; /* NULL for key lists */
	uint32_t len;
};
void osd_kv_encode(struct enc *e, const struct osd_kv *kv, uint32_t n, bool with_values);
int osd_kv_decode(struct dec *d, bool with_values, struct osd_kv **out, uint32_t *n);
void osd_kv_free(struct osd_kv *kv, uint32_t n);

struct osd_list_entry {
	char *nspace, *oid;
};
struct osd_list_cursor {
	bool valid; /* false: from the start of the PG */
	char *nspace, *oid;
};
void osd_list_cursor_encode(struct enc *e, const struct osd_list_cursor *c);
int osd_list_cursor_decode(struct dec *d, struct osd_list_cursor *c);
void osd_list_cursor_fini(struct osd_list_cursor *c);
void osd_list_reply_encode(struct enc *e, const struct osd_list_entry *ents, uint32_t n,
                           const struct osd_list_cursor *next, bool end);
int osd_list_reply_decode(struct dec *d, struct osd_list_entry **ents, uint32_t *n,
                          struct osd_list_cursor *next, bool *end);
void osd_list_entries_free(struct osd_list_entry *ents, uint32_t n);

#endif /* SEPIA_RADOS_OSD_PROTO_H */
