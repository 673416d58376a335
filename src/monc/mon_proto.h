/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monc/mon_proto.h - the messages between monitors and everyone else:
 * commands, map subscriptions and map delivery, OSD boot, beacons and
 * failure reports. Each type is declared once (struct + msg_type_ops) and
 * registered with mon_proto_register().
 * Threads: plain data; see msg/msg.h for ownership of messages.
 *
 * Message type numbers are assigned per module: msg 1-15, monitor
 * protocol 16-47 (this file; 40-47 are internal to the monitors), OSD
 * protocol 64-127, MDS protocol 128-191. */
#ifndef SEPIA_MONC_MON_PROTO_H
#define SEPIA_MONC_MON_PROTO_H
#include <stdbool.h>
#include <stdint.h>

#include "msg/msg.h"

struct msg_registry;

enum mon_proto_type {
	MON_MSG_COMMAND = 16,
	MON_MSG_COMMAND_REPLY = 17,
	MON_MSG_SUBSCRIBE = 18,
	MON_MSG_MAP = 19,
	MON_MSG_OSD_BOOT = 20,
	MON_MSG_OSD_BEACON = 21,
	MON_MSG_OSD_FAILURE = 22,
	MON_MSG_PG_STATS = 23,
	MON_MSG_OSD_ALIVE = 24,  /* OSD -> leader: record up_thru >= want (Ceph MOSDAlive) */
	MON_MSG_OSD_PGTEMP = 25, /* OSD -> leader: set/remove pg_temp entries (MOSDPGTemp) */
};

#define MON_CMD_MAX      (64 * 1024) /* command JSON text */
#define MON_DATA_MAX     (64u << 20) /* command input/output data */
#define MON_SUB_MAX      8           /* subscriptions per message */
#define MON_MAP_INCS_MAX 1024        /* incrementals per map message */

/* A command: JSON text {"cmd": ["osd", "pool", "create", "rbd", "32"],
 * "format": "plain" | "json" | "json-pretty"} — the user's words as they
 * are; the monitor picks the longest command prefix it knows and parses the
 * rest — plus optional input data (a CRUSH map for `osd setcrushmap`). */
struct mon_msg_command {
	struct msg m;
	uint64_t tid; /* client's id; the reply carries it back */
	char *cmd;    /* owned, NUL-terminated JSON text */
	uint8_t *in;  /* owned, may be NULL */
	uint32_t in_len;
};

struct mon_msg_command_reply {
	struct msg m;
	uint64_t tid;
	int32_t rc;   /* 0 or -errno */
	char *status; /* owned: a human sentence ("pool 'rbd' created") */
	uint8_t *out; /* owned: output data (JSON or text), may be NULL */
	uint32_t out_len;
	uint32_t leader; /* rank that executed it; UINT32_MAX if unknown */
};

enum mon_map_kind { MON_MAP_MONMAP = 1, MON_MAP_OSDMAP = 2, MON_MAP_FSMAP = 3 };

struct mon_sub {
	uint8_t kind;   /* enum mon_map_kind */
	uint32_t start; /* send maps with epoch >= start (0: the latest) */
	bool onetime;   /* forget the subscription after one delivery */
};

struct mon_msg_subscribe {
	struct msg m;
	struct mon_sub subs[MON_SUB_MAX];
	uint32_t n;
};

/* Maps of one kind: an optional full map of epoch full_epoch, then
 * incrementals for full_epoch+1 .. last (OSD map only; others are full). */
struct mon_msg_map {
	struct msg m;
	uint8_t kind;
	uint32_t full_epoch; /* 0: no full map */
	uint8_t *full;       /* owned encoded map */
	uint32_t full_len;
	uint32_t first_inc, ninc; /* incrementals for first_inc .. first_inc+ninc-1 */
	uint8_t **incs;           /* owned array of owned encoded incrementals */
	uint32_t *inc_lens;
	uint32_t newest; /* the newest epoch the monitor has */
};

struct mon_msg_osd_boot {
	struct msg m;
	int32_t osd;
	uint8_t fsid[16];
	struct msg_addr addr;
	uint64_t nonce;
	uint32_t epoch;          /* the newest map the OSD has */
	double weight;           /* initial CRUSH weight if it must be added */
	char host[64];           /* CRUSH host bucket to place it under */
	struct msg_addr hb_addr; /* v2: its heartbeat messenger (family 0: none) */
};

struct mon_msg_osd_beacon {
	struct msg m;
	int32_t osd;
	uint32_t epoch;
};

struct mon_msg_osd_alive {
	struct msg m;
	int32_t osd;
	uint32_t epoch;        /* the sender's map epoch */
	uint32_t want_up_thru; /* record up_thru >= this */
};

#define MON_PGTEMP_MAX 64 /* entries per PGTEMP message */
struct mon_pgtemp_ent {
	int64_t pool;
	uint32_t ps;
	uint8_t n; /* 0: remove the entry; at most MON_PG_SIZE_MAX (16) */
	int32_t osds[16];
};
struct mon_msg_osd_pgtemp {
	struct msg m;
	int32_t osd;
	uint32_t epoch;
	uint32_t n;
	struct mon_pgtemp_ent ents[MON_PGTEMP_MAX];
};

/* A peer's failure report, or its cancellation (still_alive). With target
 * == reporter and still_alive false it is a "mark me down": an OSD shutting
 * down cleanly asks to be marked down at once (the monitor honours nodown
 * and ignores it if epoch is older than the target's up_from, i.e. from an
 * earlier incarnation). */
struct mon_msg_osd_failure {
	struct msg m;
	int32_t target;
	int32_t reporter;
	uint32_t epoch;      /* the reporter's OSD map epoch */
	uint32_t failed_for; /* seconds without a heartbeat reply */
	bool still_alive;    /* cancels the reporter's earlier report */
	bool immediate;      /* v2: its address refuses connections: down at once */
};

/* PG states (Ceph's names, joined with '+': "active+clean"). */
enum mon_pg_state {
	MON_PG_CREATING = 1 << 0,
	MON_PG_ACTIVE = 1 << 1,
	MON_PG_CLEAN = 1 << 2,
	MON_PG_DOWN = 1 << 3,
	MON_PG_PEERING = 1 << 4,
	MON_PG_DEGRADED = 1 << 5,
	MON_PG_UNDERSIZED = 1 << 6,
	MON_PG_REMAPPED = 1 << 7,
	MON_PG_RECOVERING = 1 << 8,
	MON_PG_RECOVERY_WAIT = 1 << 9,
	MON_PG_BACKFILLING = 1 << 10,
	MON_PG_BACKFILL_WAIT = 1 << 11,
	MON_PG_INCOMPLETE = 1 << 12,
	MON_PG_STALE = 1 << 13,
	MON_PG_SCRUBBING = 1 << 14,
	MON_PG_DEEP = 1 << 15,
	MON_PG_INCONSISTENT = 1 << 16,
	MON_PG_REPAIR = 1 << 17,
	MON_PG_ACTIVATING = 1 << 18,
	MON_PG_STATE_ALL = (1 << 19) - 1,
};
/* Writes "active+clean" (or "unknown" for 0) into buf; returns buf. */
const char *mon_pg_state_str(uint32_t state, char *buf, size_t n);

#define MON_PG_SIZE_MAX  16    /* OSDs in an up or acting set */
#define MON_PG_STATS_MAX 65536 /* PGs in one report */

/* One PG as its primary sees it. */
struct mon_pg_stat {
	int64_t pool;
	uint32_t ps;
	uint32_t state;          /* enum mon_pg_state */
	uint32_t reported_epoch; /* the primary's map epoch */
	uint8_t nup, nacting;
	int32_t up[MON_PG_SIZE_MAX], acting[MON_PG_SIZE_MAX];
	uint32_t last_update_epoch;
	uint64_t last_update_v;
	uint64_t num_objects, num_bytes; /* logical, one copy */
	uint64_t num_objects_degraded, num_objects_misplaced, num_objects_unfound;
	uint64_t num_bytes_recovering; /* bytes still to recover or backfill */
	uint64_t num_rd, num_rd_bytes, num_wr, num_wr_bytes; /* client ops served */
	uint64_t last_scrub_ns, last_deep_scrub_ns;          /* wall clock, 0 never */
	uint32_t num_scrub_errors; /* v2: inconsistent objects the last scrub found */
};

/* An OSD's periodic report: its store usage and its primary PGs. */
struct mon_msg_pg_stats {
	struct msg m;
	int32_t osd;
	uint32_t epoch;
	uint64_t stamp_ns;                                          /* wall clock */
	uint64_t total_bytes, used_bytes, avail_bytes, num_objects; /* statfs */
	uint32_t npgs;
	struct mon_pg_stat *pgs; /* owned array */
};

extern const struct msg_type_ops mon_command_ops, mon_command_reply_ops, mon_subscribe_ops,
    mon_map_ops, mon_osd_boot_ops, mon_osd_beacon_ops, mon_osd_failure_ops, mon_pg_stats_ops,
    mon_osd_alive_ops, mon_osd_pgtemp_ops;

/* Registers every type above. 0, -EEXIST, -ENOMEM. */
int mon_proto_register(struct msg_registry *reg);

/* Constructors: 0 or -ENOMEM; the strings/bytes are copied. */
int mon_command_create(uint64_t tid, const char *cmd, const void *in, uint32_t in_len,
                       struct mon_msg_command **out);
int mon_command_reply_create(uint64_t tid, int32_t rc, const char *status, const void *out_data,
                             uint32_t out_len, struct mon_msg_command_reply **out);
/* An empty map message; add the full map and incrementals with the helpers. */
int mon_map_create(uint8_t kind, uint32_t newest, struct mon_msg_map **out);
int mon_map_set_full(struct mon_msg_map *m, uint32_t epoch, const void *p, uint32_t len);
int mon_map_add_inc(struct mon_msg_map *m, uint32_t epoch, const void *p, uint32_t len);
/* An empty report with room for npgs (zeroed) PG entries. 0, -EINVAL, -ENOMEM. */
int mon_pg_stats_create(uint32_t npgs, struct mon_msg_pg_stats **out);

#endif /* SEPIA_MONC_MON_PROTO_H */
