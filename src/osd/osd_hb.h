/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_hb.h - heartbeats between OSDs: the pure core that chooses the
 * peers and decides when to report one failed or alive again (osd_hb_core.c,
 * no I/O, no clock, no locks: unit-tested in tests/unit/osd/test_hb.c), and
 * the daemon side (osd_hb.c): the heartbeat messenger, pings, replies,
 * failure reports and the clean-shutdown "mark me down".
 * Threads: the core functions are pure. The daemon side runs on the main
 * loop (osd_hb_tick, the steps) and the heartbeat messenger's dispatch
 * thread (pings, replies, resets); see osd_hb.c. */
#ifndef SEPIA_OSD_OSD_HB_H
#define SEPIA_OSD_OSD_HB_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg/msg.h"

struct daemon;
struct osd;

/* What we know about one heartbeat peer (one incarnation of it). */
struct osd_hb_peer {
	int osd;
	uint32_t up_from;        /* the incarnation: its up_from in our map */
	struct msg_addr hb_addr; /* where its heartbeat messenger listens */
	uint64_t first_tx_ns;    /* first ping to this incarnation (0: none yet) */
	uint64_t last_tx_ns;     /* latest ping sent */
	uint64_t last_rx_ns;     /* latest reply to one of our pings (0: none) */
	uint64_t last_report_ns; /* latest failure report sent about it */
	bool reported;           /* the monitors have our report, not withdrawn */
	struct msg_conn *conn;   /* daemon side: lossy, ref held; NULL if none */
};

struct osd_hb_timing {
	uint64_t interval_ns; /* osd_heartbeat_interval: pings, report resends */
	uint64_t grace_ns;    /* osd_heartbeat_grace: silence before a report */
};

enum osd_hb_action {
	OSD_HB_NONE,
	OSD_HB_REPORT,      /* tell the monitors it failed (failed_for seconds) */
	OSD_HB_STILL_ALIVE, /* withdraw our report: it answers again */
};

/* --- the pure core (osd_hb_core.c) --- */

/* The heartbeat peers of OSD whoami, ascending, at most cap of them, into
 * out: every OSD of pg_peers (the up and acting sets of our PGs; duplicates,
 * ourself and ids out of range are ignored) that is eligible (eligible[i]:
 * up in the map with a heartbeat address), and, when min_peers > 0, the
 * next and the previous eligible OSD by id (wrapping: a ring, so every OSD
 * is watched by someone) and then further eligible OSDs above whoami
 * (wrapping) until there are min_peers. Returns the count. */
size_t osd_hb_select(int whoami, const bool *eligible, int max_osd, const int *pg_peers, size_t npg,
                     unsigned min_peers, int *out, size_t cap);

/* Decides, at now, what to tell the monitors about p and updates p's
 * report state: REPORT when p has been silent for more than the grace
 * (since its last reply, or since our first ping if it never answered),
 * again every interval while it stays silent; STILL_ALIVE once when it
 * answers again after a report. *failed_for gets the silence in seconds. */
enum osd_hb_action osd_hb_check(struct osd_hb_peer *p, uint64_t now_ns,
                                const struct osd_hb_timing *t, uint32_t *failed_for);

/* True if the gap since the previous check (prev_ns; 0: none, e.g. we were
 * not active) is so long that we, not the peers, were stalled (SIGSTOP, a
 * frozen VM): more than half the grace. */
bool osd_hb_was_stalled(uint64_t prev_ns, uint64_t now_ns, const struct osd_hb_timing *t);

/* After a stall: every peer gets a fresh grace from now (their silence was
 * ours). Report state is kept, so a peer we reported and that answers gets
 * its still-alive. */
void osd_hb_restart_clocks(struct osd_hb_peer *peers, size_t n, uint64_t now_ns);

/* A reply from peer p carrying our ping's stamp arrived at now: counts only
 * for pings sent to this incarnation (stamp >= first_tx_ns). */
void osd_hb_got_reply(struct osd_hb_peer *p, uint64_t stamp, uint64_t now_ns);

/* --- the daemon side (osd_hb.c) --- */

/* Creates, binds (osd_heartbeat_addr, else ms_bind_addr; a port of
 * ms_bind_port_min..max) and starts the heartbeat messenger; sets
 * o->hb_addr for the boot message. Before the boot step. */
int osd_step_hb(struct daemon *d);
void osd_unstep_hb(struct daemon *d); /* stops it if still running, frees */
/* Init does nothing; fini is the clean shutdown: marks us stopping, asks the
 * monitors to mark us down, waits up to OSD_HB_STOP_WAIT_MS for a map
 * showing it (running the main loop), then stops heartbeats. */
int osd_step_stop_notify(struct daemon *d);
void osd_unstep_stop_notify(struct daemon *d);
#define OSD_HB_STOP_WAIT_MS 1000
/* Main loop, every tick: refreshes peers (new epoch, or every interval),
 * pings every interval, reports failures and recoveries. */
void osd_hb_tick(struct osd *o);
/* The peers and their state, for `status` (any thread). New ref or NULL. */
json_t *osd_hb_dump(struct osd *o);

/* Any thread: a connection to osd.id was refused (nothing listens at its
 * address): an immediate failure report, unless the map shows it down. */
void osd_hb_refused(struct osd *o, int id);

#endif /* SEPIA_OSD_OSD_HB_H */
