/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd.h - the OSD daemon's context and the interfaces between its
 * subsystems: arguments, mkfs and the store (osd_mkfs.c), maps and boot
 * (osd_map.c), transport and timers (osd_net.c), the sharded op queue
 * (osd_shard.c), PGs (pg.c, pg_op.c, pg_rep.c), admin commands, counters
 * and PG statistics (osd_admin.c), heartbeats (osd_hb.h), the network
 * command channel (osd_cmd.c).
 * Threads (README "Threads and locks"):
 *   main loop (d.loop)  map handling, boot, beacons, stats, monc ticks
 *   dispatch thread     monitor messages -> monc -> inq -> main loop
 *   messenger workers   fast dispatch of OSD messages -> shard queues
 *   shard threads       everything about the PGs of their shard
 *   store commit thread transaction callbacks -> shard queues
 *   admin socket thread status / dump commands (read snapshots under locks)
 *   heartbeat messenger pings and replies (osd_hb.c)
 * Locks (never nested, none held across a store call, a send or a
 * callback): map_lock (map, incs, state, map_wanted), peer_lock (peers),
 * q_lock (inq), each shard's lock (its queue, PG table, ops list, PG
 * snapshots). */
#ifndef SEPIA_OSD_OSD_H
#define SEPIA_OSD_OSD_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/daemon.h"
#include "common/list.h"
#include "common/refcnt.h"
#include "maps/osdmap.h"
#include "msg/msg.h"
#include "osd/osd_codec.h"
#include "osd/osd_exec.h"

struct monc;
struct mon_pgtemp_ent;
struct mon_msg_map;
struct perf_coll;
struct store;
struct tmr;
struct osd_shard;
struct osd_hb;
struct osd_cmds;

/* Boot state of the daemon (map_lock). */
enum osd_state {
	OSD_ST_BOOTING, /* sent a boot, waiting for a map showing us up */
	OSD_ST_ACTIVE,  /* the newest map shows us up with our address and nonce */
	OSD_ST_STOPPING,
};
const char *osd_state_name(enum osd_state s);

/* A published OSD map: immutable, shared by refcount between threads. */
struct osd_mapref {
	struct refcnt ref;
	struct osdmap *map; /* owned */
};
struct osd_mapref *osd_mapref_get(struct osd_mapref *r);
void osd_mapref_put(struct osd_mapref *r); /* NULL is a no-op */
/* Takes ownership of map. NULL on -ENOMEM (map freed). */
struct osd_mapref *osd_mapref_create(struct osdmap *map);

/* Encoded incrementals first .. first + n - 1, for sharing (map_lock). */
struct osd_inc_cache {
	uint8_t **incs;
	uint32_t *lens;
	uint32_t first, n, cap;
};

/* What we know about a peer OSD's session (peer_lock). */
struct osd_peer {
	struct msg_conn *conn; /* lossless, ref held; NULL if never used */
	uint64_t nonce;        /* the incarnation conn talks to */
};

/* Perf counters ("osd" in perf dump). */
enum {
	OSD_P_OP,
	OSD_P_OP_R,
	OSD_P_OP_W,
	OSD_P_OP_IN_BYTES,
	OSD_P_OP_OUT_BYTES,
	OSD_P_OP_LAT,
	OSD_P_OP_R_LAT,
	OSD_P_OP_W_LAT,
	OSD_P_OP_DUP,
	OSD_P_OP_RETRY,
	OSD_P_SUBOP,
	OSD_P_SUBOP_IN_BYTES,
	OSD_P_SUBOP_LAT,
	OSD_P_MAP_EPOCHS,
	OSD_P_NUMPG,
	OSD_P_COUNT
};

struct osd {
	struct daemon d; /* first: steps get &osd.d */
	bool mkfs;
	int whoami;
	struct osd_super super;
	struct store *store;
	struct perf_coll *pc;
	struct osd_exec_limits lim;
	size_t log_min, log_max; /* PG log entries */
	/* maps and boot (map_lock) */
	pthread_mutex_t map_lock;
	struct osd_mapref *map; /* newest applied and persisted map */
	struct osd_inc_cache incs;
	enum osd_state state;
	uint32_t map_wanted; /* we asked the monitors for maps up to at least this */
	uint32_t boot_epoch; /* epoch at which we last became active */
	/* main loop only */
	uint64_t last_boot_ns, last_beacon_ns, last_stats_ns, last_resub_ns, last_shard_tick_ns;
	uint32_t newest_seen; /* newest epoch a monitor told us of */
	struct tmr *tick;
	atomic_bool stats_dirty;
	/* transport */
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	struct monc *monc;
	struct msg_addr addr;
	uint64_t nonce;
	uv_async_t wake;
	bool wake_init;
	pthread_mutex_t q_lock; /* guards inq */
	struct list_node inq;   /* struct osd_inev from the dispatch thread */
	pthread_mutex_t peer_lock;
	struct osd_peer *peers;
	size_t npeers;
	/* heartbeats (osd_hb.c) and the network command channel (osd_cmd.c) */
	struct osd_hb *hb;
	struct msg_addr hb_addr; /* the heartbeat messenger's, sent at boot */
	struct osd_cmds *cmds;
	/* shards */
	struct osd_shard **shards;
	unsigned nshards;
	atomic_bool shards_ready;    /* shards may take messages (fast dispatch) */
	pthread_mutex_t early_lock;  /* guards early and the shards_ready switch */
	struct list_node early;      /* osd_items of messages that came before */
	atomic_bool stopping;        /* no new client ops */
	atomic_long txn_inflight;    /* queued transactions not yet committed */
	atomic_int scrubs_active;    /* PG scrubs running (osd_max_scrubs; pg_scrub.c) */
	atomic_int backfills_active; /* PGs holding a backfill slot (osd_max_backfills) */
	/* peering: the newest up_thru asked of the monitors, and when */
	_Atomic uint32_t alive_asked;
	_Atomic uint64_t alive_asked_ns;
};

static inline struct osd *osd_of(struct daemon *d)
{
	return (struct osd *)(void *)d;
}

uint64_t osd_now_ns(void);

/* osd_mkfs.c */
int osd_step_args(struct daemon *d);
int osd_step_store(struct daemon *d); /* --mkfs, or open + superblock + stored maps */
void osd_unstep_store(struct daemon *d);
/* One transaction persisting map m (its encoded incremental inc/inc_len
 * may be NULL) as the current epoch, trimming old map objects. Queued,
 * not waited for. 0 or -errno. */
int osd_store_map(struct osd *o, const struct osdmap *m, const uint8_t *inc, size_t inc_len);
/* Any thread: the stored full map of epoch e (*out caller owns). 0,
 * -ENOENT (trimmed or never held), -EBADMSG, -ENOMEM. */
int osd_map_load(struct osd *o, uint32_t e, struct osdmap **out);

/* osd_map.c: runs on the main loop except where noted. */
/* Handles a map message (takes a ref: msg_put when done). */
void osd_map_handle(struct osd *o, struct mon_msg_map *mm);
/* The newest map (a new ref), any thread. */
struct osd_mapref *osd_map_current(struct osd *o);
/* Any thread: asks the monitors for maps newer than ours if epoch > ours. */
void osd_map_want(struct osd *o, uint32_t epoch);
/* Any thread: builds a map message bringing a peer from epoch `from` to
 * `to` (incrementals when cached, else the full map m of epoch to). NULL on
 * -ENOMEM. */
struct mon_msg_map *osd_map_share_msg(struct osd *o, uint32_t from, const struct osdmap *m);
/* Any thread: sends c the maps it lacks if its epoch is older than m's,
 * once per connection and epoch. */
void osd_map_share(struct osd *o, struct msg_conn *c, uint32_t peer_epoch, const struct osdmap *m);
void osd_inc_cache_fini(struct osd_inc_cache *c);
int osd_inc_cache_add(struct osd_inc_cache *c, uint32_t epoch, const uint8_t *p, uint32_t len,
                      uint32_t keep);
void osd_send_boot(struct osd *o);
void osd_boot_tick(struct osd *o); /* resend boot, beacons */
void osd_map_tick(struct osd *o);  /* catch up if the monitors have newer maps */
/* Any thread (peering, PEERING_INTEGRATION.md §4): asks the monitors to
 * record up_thru >= want (MON_MSG_OSD_ALIVE), and to set (n_osds > 0) or
 * remove (n_osds == 0) pg_temp entries (MON_MSG_OSD_PGTEMP, at most
 * MON_PGTEMP_MAX). Fire and forget: the caller re-asks on a later tick if
 * the map does not show it. 0, -EINVAL, -ENOMEM, -ENOTCONN. */
int osd_send_alive(struct osd *o, uint32_t want_up_thru);
int osd_send_pgtemp(struct osd *o, const struct mon_pgtemp_ent *ents, uint32_t n);
/* Any thread: a PG needs up_thru >= want; asks the monitors unless an
 * ask for as much went out in the last second. */
void osd_want_up_thru(struct osd *o, uint32_t want);

/* osd_net.c */
int osd_step_net(struct daemon *d);
void osd_unstep_net(struct daemon *d);
int osd_step_boot(struct daemon *d); /* monc start, subscribe, timers */
void osd_unstep_boot(struct daemon *d);
/* The lossless connection to peer OSD `id` as map m knows it (a new ref),
 * replacing a session with an older incarnation. NULL if it is not up. */
struct msg_conn *osd_peer_conn(struct osd *o, int id, const struct osdmap *m);
/* Any thread: closes the sessions of peers m shows down or reborn (their
 * lossless sessions would otherwise sit in reconnect backoff). */
void osd_peers_map(struct osd *o, const struct osdmap *m);

/* osd_admin.c */
int osd_step_counters(struct daemon *d);
void osd_unstep_counters(struct daemon *d);
int osd_step_asok(struct daemon *d);
void osd_unstep_asok(struct daemon *d);
void osd_send_pg_stats(struct osd *o); /* main loop */

/* osd_cmd.c: commands sent to this OSD over the network (`sepia tell osd.N
 * ...`, `sepia pg PGID query`): MON_MSG_COMMAND from a client, answered with
 * MON_MSG_COMMAND_REPLY on the same connection. Handlers run on the main
 * loop. "pg PGID VERB ARGS" is looked up as "pg VERB" with req->pgid set. */
#define OSD_CMD_MAX_WORDS 32
struct osd_cmd_req {
	const char *args[OSD_CMD_MAX_WORDS]; /* the words after the prefix (borrowed) */
	size_t nargs;
	struct osdmap_pg pgid; /* "pg PGID ..." commands */
	bool has_pgid;
};
/* Returns 0 or -errno; may set *out (a new JSON ref: the output) and a
 * status sentence (shown on stderr by the CLI). */
typedef int osd_cmd_fn(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                       size_t status_len);
/* Adds or replaces a command (prefix: words, "pg scrub"); main thread only,
 * after the command step (so scrub and peering can take over "pg scrub",
 * "pg query"). 0, -EINVAL, -ENOMEM. */
int osd_cmd_register(struct osd *o, const char *prefix, const char *help, osd_cmd_fn *fn);
int osd_step_cmd(struct daemon *d); /* before the messenger: it routes commands here */
void osd_unstep_cmd(struct daemon *d);
/* Messenger dispatch thread: takes a MON_MSG_COMMAND to run on the main loop. */
void osd_cmd_handle(struct osd *o, struct msg *m);

/* osd_admin.c: {"num_ops", "ops": [...]} of the client ops in flight (for
 * the admin socket and `sepia tell osd.N dump_ops_in_flight`). New
 * reference or NULL. */
json_t *osd_ops_in_flight_json(struct osd *o);

/* osd_net.c: hands the messages that arrived before the shards were ready
 * to them; call right after setting shards_ready. */
void osd_net_release_early(struct osd *o);

#endif /* SEPIA_OSD_OSD_H */
