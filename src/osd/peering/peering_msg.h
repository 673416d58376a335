/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/peering_msg.h - the peering messages as C structs, and the
 * codecs of every peering record (messages, the stored PG info, log entries,
 * missing entries): enc envelopes, decoders that check every bound and
 * return -EBADMSG (-EPROTONOSUPPORT for a newer incompatible encoding).
 * Threads: plain data and pure functions. */
#ifndef SEPIA_OSD_PEERING_PEERING_MSG_H
#define SEPIA_OSD_PEERING_PEERING_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "osd/peering/peering.h"

/* ---- messages: every one names the PG, its sender and the sender's map
 * epoch; requests carry the primary's interval (same_interval_since) and
 * replies echo it, so that anything from another interval is dropped. ---- */
enum pg_peer_msg_type {
	PG_PEER_MSG_QUERY = 1,        /* primary -> peer: send info, log, missing */
	PG_PEER_MSG_INFO = 2,         /* peer -> primary: info, log, missing */
	PG_PEER_MSG_ACTIVATE = 3,     /* primary -> replica: take log and missing */
	PG_PEER_MSG_ACTIVATE_ACK = 4, /* replica -> primary: persisted */
	PG_PEER_MSG_PULL = 5,         /* primary -> source: push key@version to targets */
	PG_PEER_MSG_PUSH = 6,         /* source -> target: key@version (data beside it) */
	PG_PEER_MSG_PUSH_ACK = 7,     /* target -> primary: key@version persisted */
	PG_PEER_MSG_SCAN = 8,         /* primary -> backfill target: list after cursor */
	PG_PEER_MSG_SCAN_REPLY = 9,   /* target -> primary: objects and versions */
	PG_PEER_MSG_PROGRESS = 10,    /* primary -> target: backfilled up to cursor */
	PG_PEER_MSG_PROGRESS_ACK = 11,
	PG_PEER_MSG_CLEAN = 12, /* primary -> replicas: clean since epoch */
	PG_PEER_MSG_TYPE_MAX = 12,
};

struct pg_peer_obj {
	char *key; /* owned in messages, borrowed in pg_peer_list_done */
	struct pg_peer_eversion version;
};

/* A decoded message: fields are used per type (README "messages"). */
struct pg_peer_msg {
	uint8_t type;
	int64_t pool;
	uint32_t ps;
	int32_t from;
	uint32_t epoch;                /* sender's map epoch */
	uint32_t interval;             /* the primary's same_interval_since */
	struct pg_peer_info info;      /* INFO, ACTIVATE */
	struct pg_peer_entry *entries; /* INFO: whole log; ACTIVATE: to append */
	uint32_t n_entries;
	struct pg_peer_missing_item *missing; /* INFO: sender's; ACTIVATE: new set */
	uint32_t n_missing;
	bool backfill;                    /* ACTIVATE, PUSH, PUSH_ACK */
	struct pg_peer_eversion truncate; /* ACTIVATE: drop entries after it */
	char *key;                        /* PULL, PUSH, PUSH_ACK; SCAN*, PROGRESS*: cursor */
	struct pg_peer_eversion version;  /* PULL, PUSH, PUSH_ACK; PROGRESS: primary's head */
	bool deleted;                     /* PULL, PUSH: the object must not exist */
	bool done;                        /* SCAN_REPLY: listing ended; PROGRESS*: complete */
	int32_t primary;                  /* PUSH: who gets the ack */
	uint8_t n_targets;                /* PULL */
	int32_t targets[PG_PEER_MAX_SIZE + 1];
	uint32_t max;             /* SCAN */
	uint64_t tag;             /* SCAN, SCAN_REPLY: the primary's round */
	struct pg_peer_obj *objs; /* SCAN_REPLY */
	uint32_t n_objs;
};

/* Encodes m (the fields of its type) in a versioned envelope. */
void pg_peer_msg_encode(struct enc *e, const struct pg_peer_msg *m);
/* 0, -EBADMSG, -EPROTONOSUPPORT, -ENOMEM; *m is initialised either way
 * and must be freed with pg_peer_msg_fini. */
int pg_peer_msg_decode(const void *p, size_t n, struct pg_peer_msg *m);
void pg_peer_msg_fini(struct pg_peer_msg *m); /* frees the owned members */

/* Codecs of the persistent records (the caller's store keeps them). */
void pg_peer_info_encode(struct enc *e, const struct pg_peer_info *i);
int pg_peer_info_decode(struct dec *d, struct pg_peer_info *i); /* as msg_decode */
void pg_peer_info_fini(struct pg_peer_info *i);
int pg_peer_info_copy(struct pg_peer_info *dst, const struct pg_peer_info *src);
void pg_peer_entry_encode(struct enc *e, const struct pg_peer_entry *le);
int pg_peer_entry_decode(struct dec *d, struct pg_peer_entry *le);
void pg_peer_entry_fini(struct pg_peer_entry *le);
int pg_peer_entry_copy(struct pg_peer_entry *dst, const struct pg_peer_entry *src);
void pg_peer_missing_encode(struct enc *e, const struct pg_peer_missing_item *m);
int pg_peer_missing_decode(struct dec *d, struct pg_peer_missing_item *m);

#endif /* SEPIA_OSD_PEERING_PEERING_MSG_H */
