/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/sim.h - a seeded simulator of OSDs running the peering
 * core (src/osd/peering) for a few PGs: simulated stores whose transactions
 * commit late (a crash loses what was not committed), a monitor publishing
 * maps (down/up/out/in, pg_temp), a network that delays, reorders, drops and
 * duplicates peering messages, and clients writing and reading through the
 * primaries. Invariants are checked after every step (sim_check.c). */
#ifndef SEPIA_TESTS_SIM_PEERING_SIM_H
#define SEPIA_TESTS_SIM_PEERING_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"

#define SIM_MAX_OSDS 8
#define SIM_MAX_PGS  8
#define SIM_KEY_LEN  16
#define SIM_TICK_MS  50

struct sim_obj {
	char key[SIM_KEY_LEN];
	struct pg_peer_eversion v;
	uint64_t content;
};

/* What one OSD's store durably holds for one PG. */
struct sim_pgstore {
	struct sim_obj *objs; /* sorted by key */
	size_t n_objs, cap_objs;
	uint8_t *info; /* encoded pg_peer_info, NULL before the first write */
	size_t info_len;
	struct pg_peer_entry *log;
	size_t n_log, cap_log;
	struct pg_peer_missing_item *miss; /* sorted by key */
	size_t n_miss, cap_miss;
};

enum sim_msg_kind { SM_PEER = 1, SM_REPOP, SM_REPOP_ACK };

struct sim_msg {
	uint64_t at, seq;
	enum sim_msg_kind kind;
	int from, to, pg;
	uint8_t *data; /* SM_PEER: encoded pg_peer_msg */
	size_t len;
	uint64_t content; /* SM_PEER push, SM_REPOP: the object's data */
	uint32_t epoch;   /* SM_REPOP: the primary's epoch */
	uint32_t interval;
	struct pg_peer_entry entry; /* SM_REPOP */
	struct pg_peer_eversion trim_to;
	struct pg_peer_eversion committed; /* SM_REPOP_ACK: the replica logged up to it */
	bool with_data;
	uint64_t wid; /* SM_REPOP, SM_REPOP_ACK */
};

/* One transaction waiting for its commit. */
struct sim_batch {
	uint64_t at;
	int pg;
	struct pg_peer_actions a;
	bool obj; /* also write (or remove) one object */
	char key[SIM_KEY_LEN];
	struct pg_peer_eversion v;
	uint64_t content; /* also the data an OBJ_WRITE op stores */
	bool del;
	uint64_t ack_wid; /* replica: send a repop ack to ack_to at commit */
	int ack_to;
	uint32_t ack_interval;
	uint64_t commit_wid; /* primary: its own part of write commit_wid */
	uint32_t done_epoch; /* the OSD had fully processed this map when it was made */
	struct sim_batch *next;
};

/* od->pg[pg] is NULL while the OSD does not hold the PG: by default an OSD
 * creates its copy when a map first puts it in the PG's up or acting set,
 * and that copy sees maps from that epoch on only (no history before it). */
struct sim_osd {
	bool alive;
	uint32_t epoch;      /* maps processed (the one being processed, in catch-up) */
	uint32_t done_epoch; /* maps fully processed */
	uint32_t sb_epoch;   /* durable: every copy created up to this epoch is stored */
	uint64_t map_at;     /* catch up with the monitor then (0: nothing to do) */
	uint64_t next_tick;
	struct pg_peer *pg[SIM_MAX_PGS];
	struct sim_pgstore st[SIM_MAX_PGS];
	struct sim_batch *pend, *pend_tail;
};

struct sim_map {
	uint32_t epoch;
	bool up[SIM_MAX_OSDS], in[SIM_MAX_OSDS];
	uint32_t up_thru[SIM_MAX_OSDS];
	uint8_t n_temp[SIM_MAX_PGS];
	int32_t temp[SIM_MAX_PGS][PG_PEER_MAX_SIZE];
	struct pg_peer_mapping m[SIM_MAX_PGS];
	int32_t up_osds[SIM_MAX_OSDS];
	uint32_t n_up_osds;
};

enum sim_mon_kind { MON_MARK_DOWN = 1, MON_MARK_UP, MON_PG_TEMP, MON_UP_THRU };
struct sim_mon_ev {
	uint64_t at;
	enum sim_mon_kind kind;
	int osd, pg;
	uint32_t epoch; /* MON_UP_THRU */
	uint8_t n;
	int32_t osds[PG_PEER_MAX_SIZE];
};

/* A client write on its way. */
struct sim_write {
	uint64_t wid;
	int pg, primary;
	uint32_t interval;
	char key[SIM_KEY_LEN];
	struct pg_peer_eversion v;
	uint64_t content;
	bool del;
	uint32_t waiting; /* mask of replicas that have not acked */
	bool committed;   /* the primary's own transaction */
};

/* Every write ever issued, to check what reads return. */
struct sim_rec {
	int pg;
	char key[SIM_KEY_LEN];
	struct pg_peer_eversion v;
	uint64_t content;
	bool del;
};

/* The newest version of a key known to be committed (acked or read). */
struct sim_known {
	struct pg_peer_eversion v;
	bool del, set;
};

struct sim_opts {
	uint64_t steps; /* events in the faulty phase */
	bool verbose;
	bool full_history;  /* the old model: every OSD holds every PG from its creation */
	bool short_log;     /* log_max 2..5, log_keep 1: trims on almost every write */
	const char *corpus; /* write one message of each type there (fuzz seeds) */
};

struct sim {
	struct sim_opts o;
	uint64_t seed, rng, now, steps, seq;
	int n_osds, n_pgs, n_keys;
	int perm[SIM_MAX_PGS][SIM_MAX_OSDS]; /* CRUSH stand-in: preference order */
	struct pg_peer_config cfg;
	struct sim_osd osd[SIM_MAX_OSDS];
	struct sim_map *maps; /* by epoch, maps[0] unused */
	size_t n_maps, cap_maps;
	uint32_t last_in[SIM_MAX_OSDS];
	struct sim_msg *msgs;
	size_t n_msgs, cap_msgs;
	uint64_t chan_at[SIM_MAX_OSDS][SIM_MAX_OSDS]; /* repops are FIFO per channel */
	struct sim_mon_ev *mon;
	size_t n_mon, cap_mon;
	struct sim_write *writes;
	size_t n_writes, cap_writes;
	struct sim_rec *recs;
	size_t n_recs, cap_recs;
	struct sim_known known[SIM_MAX_PGS][32];
	struct pg_peer_eversion acked_max[SIM_MAX_PGS];
	uint32_t active_epoch[SIM_MAX_PGS][SIM_MAX_OSDS]; /* last epoch seen active */
	uint32_t drop_pct, dup_pct, max_delay;
	uint32_t enomem_pct;       /* core calls that get an allocation failure */
	bool armed;                /* one is armed for the current call */
	bool doomed[SIM_MAX_OSDS]; /* a core broke: the OSD restarts after this step */
	uint64_t stats_enomem;
	bool faults, clients;
	bool scripted; /* sim_scenario.c drives faults and clients itself */
	uint64_t next_chaos, next_wid, next_content;
	uint32_t dumped; /* message types written to o.corpus */
	uint64_t stats_acks, stats_reads, stats_pushes, stats_crashes, stats_epochs;
	/* client writes that trimmed the primary's log, and those that trimmed
	 * entries of the current interval (only pg_peer_committed allows it) */
	uint64_t stats_trims, stats_trims_cur;
	/* history: copies that learned older intervals from a peer, primaries
	 * that had to ask every up OSD for it */
	uint64_t stats_learned, stats_probes;
	uint32_t seen_from[SIM_MAX_PGS][SIM_MAX_OSDS]; /* past_from last seen */
	bool seen_probe[SIM_MAX_PGS][SIM_MAX_OSDS];
	char failure[512];
};

/* sim.c: cluster, monitor, OSD lifecycle */
uint64_t sim_rand(struct sim *s, uint64_t n);
void sim_init(struct sim *s, uint64_t seed, const struct sim_opts *o);
void sim_start(struct sim *s);
void sim_fini(struct sim *s);
const struct sim_map *sim_latest(const struct sim *s);
void sim_publish(struct sim *s, struct sim_map *m);
void sim_osd_crash(struct sim *s, int osd);
void sim_osd_restart(struct sim *s, int osd);
void sim_osd_catch_up(struct sim *s, int osd);
void sim_submit(struct sim *s, int osd, struct sim_batch *b);
struct sim_batch *sim_batch_new(int pg);
void sim_batch_free(struct sim_batch *b);
void sim_mon_push(struct sim *s, const struct sim_mon_ev *ev);
void sim_mon_apply(struct sim *s, size_t i);
void sim_arm(struct sim *s);
int sim_disarm(struct sim *s, int osd, int pg, int rc);

/* sim_store.c: committing transactions */
void sim_commit(struct sim *s, int osd);
struct sim_obj *sim_obj_find(struct sim_pgstore *st, const char *key);
void sim_store_fini(struct sim_pgstore *st);
void sim_send(struct sim *s, struct sim_msg *m, bool lossy);
void sim_dump_seed(struct sim *s, uint8_t mode, const char *name, const void *p, size_t n);

/* sim_run.c */
int sim_run(uint64_t seed, const struct sim_opts *o, struct sim *s);
void sim_deliver(struct sim *s, size_t i);
void sim_step(struct sim *s);
void sim_client_write(struct sim *s, int pg, const char *key, int osd, bool del);
void sim_dump(struct sim *s);

/* sim_scenario.c: scripted runs of situations the random runs rarely reach */
int sim_scenario(const char *name, const struct sim_opts *o, struct sim *s);
extern const char *const sim_scenarios[];

/* sim_check.c */
bool sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_check_step(struct sim *s);
void sim_check_store(struct sim *s, int osd, int pg);
void sim_check_read(struct sim *s, int pg, const char *key, const struct sim_obj *o);
void sim_check_trim(struct sim *s, int osd, int pg, struct pg_peer_eversion to);
void sim_note_ack(struct sim *s, const struct sim_write *w);
void sim_check_final(struct sim *s);
int sim_key_index(const char *key);
int sim_grow(void *arr, size_t elem, size_t *cap, size_t want);

#endif /* SEPIA_TESTS_SIM_PEERING_SIM_H */
