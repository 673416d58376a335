/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_hb_core.c - the pure part of heartbeats: which OSDs to ping and
 * when a silent peer is reported to the monitors or withdrawn again. Time
 * comes in as arguments; nothing here locks, allocates or sends.
 *
 * DESIGN
 * Per peer (one incarnation, identified by its up_from):
 *   QUIET --no reply for grace--> REPORTED (report sent)
 *   REPORTED --interval passes, still silent--> REPORTED (report re-sent)
 *   REPORTED --a reply to a ping of this incarnation--> QUIET (still alive)
 * The silence is measured from the latest reply, or from our first ping if
 * the peer never answered: a peer we could never reach is reported too.
 * A peer that leaves the map's up set is dropped by the caller (the
 * monitors forget reports about an OSD they mark down); when it comes back
 * it is a new incarnation with fresh clocks. */
#include <stdlib.h>

#include "osd/osd_hb.h"

static bool has(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool is_candidate(int id, int whoami, const bool *eligible, int max_osd)
{
	return id >= 0 && id < max_osd && id != whoami && eligible[id];
}

/* Appends id if it is a new candidate and there is room. */
static void add(int id, int whoami, const bool *eligible, int max_osd, int *out, size_t *n,
                size_t cap)
{
	if (*n < cap && is_candidate(id, whoami, eligible, max_osd) && !has(out, *n, id))
		out[(*n)++] = id;
}

/* The next eligible OSD after from going by step (+1 or -1, wrapping), or
 * -1 if there is none but whoami. */
static int next_eligible(int from, int step, int whoami, const bool *eligible, int max_osd)
{
	int id = from;

	for (int k = 0; k < max_osd; k++) {
		id = (id + step + max_osd) % max_osd;
		if (id == whoami)
			return -1;
		if (eligible[id])
			return id;
	}
	return -1;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

size_t osd_hb_select(int whoami, const bool *eligible, int max_osd, const int *pg_peers, size_t npg,
                     unsigned min_peers, int *out, size_t cap)
{
	size_t n = 0;
	int id;

	if (max_osd <= 0 || whoami < 0 || whoami >= max_osd)
		return 0;
	for (size_t i = 0; i < npg; i++)
		add(pg_peers[i], whoami, eligible, max_osd, out, &n, cap);
	if (min_peers > 0) {
		add(next_eligible(whoami, 1, whoami, eligible, max_osd), whoami, eligible, max_osd,
		    out, &n, cap);
		add(next_eligible(whoami, -1, whoami, eligible, max_osd), whoami, eligible, max_osd,
		    out, &n, cap);
	}
	for (id = next_eligible(whoami, 1, whoami, eligible, max_osd); id >= 0 && n < min_peers;
	     id = next_eligible(id, 1, whoami, eligible, max_osd))
		add(id, whoami, eligible, max_osd, out, &n, cap);
	qsort(out, n, sizeof(*out), cmp_int);
	return n;
}

enum osd_hb_action osd_hb_check(struct osd_hb_peer *p, uint64_t now_ns,
                                const struct osd_hb_timing *t, uint32_t *failed_for)
{
	uint64_t since = p->last_rx_ns ? p->last_rx_ns : p->first_tx_ns;
	uint64_t silent = since && now_ns > since ? now_ns - since : 0;

	*failed_for = (uint32_t)(silent / 1000000000ull);
	if (!since)
		return OSD_HB_NONE; /* never pinged yet */
	if (silent > t->grace_ns) {
		if (p->reported && now_ns - p->last_report_ns < t->interval_ns)
			return OSD_HB_NONE;
		p->reported = true;
		p->last_report_ns = now_ns;
		return OSD_HB_REPORT;
	}
	if (p->reported) {
		p->reported = false;
		return OSD_HB_STILL_ALIVE;
	}
	return OSD_HB_NONE;
}

bool osd_hb_was_stalled(uint64_t prev_ns, uint64_t now_ns, const struct osd_hb_timing *t)
{
	return !prev_ns || (now_ns > prev_ns && now_ns - prev_ns > t->grace_ns / 2);
}

void osd_hb_restart_clocks(struct osd_hb_peer *peers, size_t n, uint64_t now_ns)
{
	for (size_t i = 0; i < n; i++) {
		if (peers[i].first_tx_ns)
			peers[i].first_tx_ns = now_ns;
		if (peers[i].last_rx_ns)
			peers[i].last_rx_ns = now_ns;
	}
}

void osd_hb_got_reply(struct osd_hb_peer *p, uint64_t stamp, uint64_t now_ns)
{
	if (p->first_tx_ns && stamp >= p->first_tx_ns && now_ns > p->last_rx_ns)
		p->last_rx_ns = now_ns;
}
