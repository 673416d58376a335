/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_osd.c - OSD liveness at the leader: boot (mark up with its
 * address, add it to CRUSH under its host), beacons, failure reports from
 * peers (down after mon_osd_min_down_reporters distinct reporters), missed
 * beacons (down after mon_osd_report_timeout) and down -> out after
 * mon_osd_down_out_interval.
 *
 * DESIGN
 * The bookkeeping (struct mon_osd_track per OSD id) lives only at the
 * leader and only in memory: a new leader starts every clock afresh
 * (osd_leader_init), which delays but never hastens a mark-down.
 * Invariants: K1 only the leader proposes liveness changes, against its
 * pending view, one incremental per event or tick; K2 reporters of an OSD
 * are cleared when it boots or is marked down; K3 down_since_ms is 0 while
 * the OSD is up or out.
 * Edges: BOOT -> up (+ exists, in, CRUSH item when new, heartbeat address);
 * FAILURE reports >= min -> down; FAILURE with target == reporter (mark me
 * down, sent by an OSD stopping cleanly) -> down at once unless nodown; tick: beacon older than timeout -> down; down for longer
 * than the interval, in, no noout -> out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "crush/builder.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "monc/mon_proto.h"
#include "mon/mon.h"

static struct mon_osd_track *track(struct mon *m, int osd)
{
	if (osd < 0 || osd >= OSDMAP_MAX_OSD)
		return NULL;
	if ((size_t)osd >= m->n_otrack) {
		size_t cap = m->n_otrack, want = (size_t)osd + 1;

		if (mem_grow(&m->otrack, sizeof(*m->otrack), &cap, want) < 0)
			return NULL;
		memset(m->otrack + m->n_otrack, 0, (cap - m->n_otrack) * sizeof(*m->otrack));
		m->n_otrack = cap;
	}
	return &m->otrack[osd];
}

static int propose(struct mon *m, struct osdmap_inc *inc, const char *why)
{
	struct mon_txn tx;
	int rc;

	mon_txn_init(&tx);
	rc = mon_svc_propose_inc(m, inc, &tx);
	if (rc == 0 && (rc = mon_consensus_queue(m, &tx)) < 0)
		mon_svc_drop_pending(m);
	mon_txn_fini(&tx);
	if (rc < 0)
		log_warn(mon, "cannot propose %s: %s", why, strerror(-rc));
	else
		log_info(mon, "proposed %s (osdmap e%u)", why, mon_svc_osdmap_view(m)->epoch);
	return rc;
}

/* Adds osd under host=<host>, root=default in a copy of the CRUSH map. */
static int crush_place(const struct osdmap *o, int osd, const char *host, double weight,
                       struct osdmap_inc *inc)
{
	struct crush_map *cm = NULL;
	uint8_t *p = NULL;
	size_t n = 0;
	int32_t root, hb;
	char name[32];
	int rc = crush_encode(o->crush, &p, &n);

	if (rc == 0)
		rc = crush_decode(p, n, &cm);
	free(p);
	if (rc < 0)
		return rc;
	snprintf(name, sizeof(name), "osd.%d", osd);
	rc = mon_crush_ensure_bucket(cm, "default", "root", 0, &root);
	if (rc == 0)
		rc = mon_crush_ensure_bucket(cm, host[0] ? host : "localhost", "host", root, &hb);
	if (rc == 0)
		rc = crush_bucket_add_item(cm, hb, osd, (uint32_t)(weight * 65536.0 + 0.5));
	if (rc == 0)
		rc = crush_names_set(&cm->item_names, osd, name);
	if (rc == 0) {
		crush_finalize(cm);
		rc = osdmap_inc_set_crush(inc, cm);
	}
	crush_map_destroy(cm);
	return rc;
}

static bool in_crush(const struct crush_map *cm, int osd)
{
	for (int32_t s = 0; s < cm->max_buckets; s++)
		for (uint32_t i = 0; cm->buckets[s] && i < cm->buckets[s]->size; i++)
			if (cm->buckets[s]->items[i] == osd)
				return true;
	return false;
}

/* The OSD entry of a boot: up at its address; exists and in when new. */
static int boot_inc(const struct osdmap *o, const struct mon_msg_osd_boot *b,
                    struct osdmap_inc *inc)
{
	struct osdmap_inc_osd *d;

	if (b->osd >= o->max_osd)
		inc->new_max_osd = b->osd + 1;
	d = osdmap_inc_osd(inc, b->osd);
	if (!d)
		return -ENOMEM;
	if (!osdmap_osd_exists(o, b->osd)) {
		d->set |= OSDMAP_INC_EXISTS | OSDMAP_INC_WEIGHT | OSDMAP_INC_AFFINITY;
		d->exists = true;
		d->weight = (o->flags & OSDMAP_F_NOIN) ? 0 : OSDMAP_WEIGHT_IN;
		d->primary_affinity = OSDMAP_WEIGHT_IN;
	}
	d->set |= OSDMAP_INC_UP;
	d->up = true;
	d->addr = b->addr;
	d->nonce = b->nonce;
	d->hb_addr = b->hb_addr; /* family 0 from an OSD without heartbeats */
	return 0;
}

static void mark(struct mon *m, const int *ids, size_t n, bool out, const char *why);

static void handle_boot(struct mon *m, const struct mon_msg_osd_boot *b)
{
	log_debug(mon, "boot of osd.%d", b->osd);
	const struct osdmap *o = mon_svc_osdmap_view(m);
	struct mon_osd_track *t = track(m, b->osd);
	struct osdmap_inc inc;
	char host[65];
	int rc;

	if (!t || memcmp(b->fsid, m->fsid, 16) != 0) {
		log_warn(mon, "ignoring boot of osd.%d: bad id or foreign fsid", b->osd);
		return;
	}
	t->last_beacon_ms = mon_now_ms();
	t->down_since_ms = 0;
	t->reporters = 0;
	t->nreporters = 0;
	if (osdmap_osd_is_up(o, b->osd) && o->osds[b->osd].nonce == b->nonce)
		return; /* already up in this incarnation */
	if (osdmap_osd_is_up(o, b->osd)) {
		int id = b->osd;

		/* a new incarnation of an OSD the map shows up (even with nodown):
		 * the old one goes down in an epoch of its own so that its PGs see
		 * a new interval; the OSD's next boot message brings it up */
		mark(m, &id, 1, false, "a new incarnation booted");
		return;
	}
	if (o->flags & OSDMAP_F_NOUP)
		return;
	osdmap_inc_init(&inc, o);
	rc = boot_inc(o, b, &inc);
	snprintf(host, sizeof(host), "%.*s", (int)sizeof(b->host), b->host);
	if (rc == 0 && !in_crush(o->crush, b->osd))
		rc = crush_place(o, b->osd, host, b->weight > 0 ? b->weight : 1.0, &inc);
	if (rc == 0)
		propose(m, &inc, "osd boot");
	osdmap_inc_fini(&inc);
}

/* Proposes marking the OSDs in mask-like list ids[] down (or out). */
static void mark(struct mon *m, const int *ids, size_t n, bool out, const char *why)
{
	struct osdmap_inc inc;
	struct osdmap_inc_osd *d;
	int rc = 0;

	if (n == 0)
		return;
	osdmap_inc_init(&inc, mon_svc_osdmap_view(m));
	for (size_t i = 0; rc == 0 && i < n; i++) {
		d = osdmap_inc_osd(&inc, ids[i]);
		if (!d) {
			rc = -ENOMEM;
			break;
		}
		d->set |= out ? OSDMAP_INC_WEIGHT : OSDMAP_INC_UP;
		d->up = false;
		d->weight = 0;
		log_info(mon, "marking osd.%d %s: %s", ids[i], out ? "out" : "down", why);
	}
	if (rc == 0)
		propose(m, &inc, why);
	osdmap_inc_fini(&inc);
}

/* "Mark me down" (target == reporter, not still_alive): a clean shutdown.
 * Honours nodown; ignores a request older than the target's incarnation. */
static void handle_mark_me_down(struct mon *m, const struct mon_msg_osd_failure *f)
{
	const struct osdmap *o = mon_svc_osdmap_view(m);
	struct mon_osd_track *t = track(m, f->target);

	if (!t || f->still_alive || !osdmap_osd_is_up(o, f->target) ||
	    f->epoch < o->osds[f->target].up_from)
		return;
	if (o->flags & OSDMAP_F_NODOWN) {
		log_info(mon, "osd.%d asks to be marked down, but nodown is set", f->target);
		return;
	}
	t->reporters = 0;
	t->nreporters = 0;
	mark(m, &f->target, 1, false, "it is shutting down (marked itself down)");
}

static void handle_failure(struct mon *m, const struct mon_msg_osd_failure *f)
{
	const struct osdmap *o = mon_svc_osdmap_view(m);
	struct mon_osd_track *t = track(m, f->target);
	uint64_t bit = f->reporter >= 0 && f->reporter < 64 ? 1ull << f->reporter : 0;
	int64_t need = cfg_int(m->d.cfg, CFG_KEY_mon_osd_min_down_reporters);

	if (f->target == f->reporter) {
		handle_mark_me_down(m, f);
		return;
	}
	if (!t || !bit || !osdmap_osd_is_up(o, f->target) || !osdmap_osd_is_up(o, f->reporter))
		return;
	if (!f->still_alive && f->epoch < o->osds[f->target].up_from)
		return; /* about an earlier incarnation of the target */
	if (f->immediate && !f->still_alive) {
		/* Ceph's immediate failure: nothing listens at its address */
		if (!(o->flags & OSDMAP_F_NODOWN))
			mark(m, &f->target, 1, false, "its address refuses connections");
		return;
	}
	if (f->still_alive)
		t->reporters &= ~bit;
	else
		t->reporters |= bit;
	t->nreporters = (uint32_t)__builtin_popcountll(t->reporters);
	log_debug(mon, "osd.%d reported %s by osd.%d (%u reporters)", f->target,
	          f->still_alive ? "alive" : "failed", f->reporter, t->nreporters);
	if (t->nreporters < need || (o->flags & OSDMAP_F_NODOWN))
		return;
	t->reporters = 0;
	t->nreporters = 0;
	mark(m, &f->target, 1, false, "failure reports from peers");
}

/* up_thru: recorded as the current epoch + 1 (the map that records it) so
 * one request covers every interval the OSD started so far (Ceph). */
static void handle_alive(struct mon *m, const struct mon_msg_osd_alive *a)
{
	const struct osdmap *o = mon_svc_osdmap_view(m);
	struct osdmap_inc inc;
	struct osdmap_inc_osd *d;

	if (!osdmap_osd_is_up(o, a->osd) || a->epoch < o->osds[a->osd].up_from ||
	    o->osds[a->osd].up_thru >= a->want_up_thru)
		return; /* stale, or already recorded: the OSD sees it in its next map */
	osdmap_inc_init(&inc, o);
	d = osdmap_inc_osd(&inc, a->osd);
	if (d) {
		d->set |= OSDMAP_INC_UP_THRU;
		d->up_thru = inc.epoch > a->want_up_thru ? inc.epoch : a->want_up_thru;
		propose(m, &inc, "osd up_thru");
	}
	osdmap_inc_fini(&inc);
}

/* One pg_temp entry: members must exist, at most the pool's size; an entry
 * equal to the map's is a no-op. -EINVAL: skip it. */
static int pgtemp_check(const struct osdmap *o, const struct mon_pgtemp_ent *x)
{
	const struct osdmap_pool *p = osdmap_pool(o, x->pool);
	const struct osdmap_pg_temp *cur;

	if (!p || x->ps >= p->place.pg_num || x->n > p->place.size)
		return -EINVAL;
	for (uint8_t k = 0; k < x->n; k++)
		if (!osdmap_osd_exists(o, x->osds[k]))
			return -EINVAL;
	cur = osdmap_pg_temp_get(o, (struct osdmap_pg){ x->pool, x->ps });
	if (!cur && x->n == 0)
		return -EALREADY;
	if (cur && cur->n == x->n && memcmp(cur->osds, x->osds, x->n * sizeof(x->osds[0])) == 0)
		return -EALREADY;
	return 0;
}

/* Whether x asks for exactly the PG's up set (down members dropped), which
 * makes the entry pointless: it is then a removal (Ceph does the same). */
static bool pgtemp_is_up_set(const struct osdmap *o, const struct mon_pgtemp_ent *x)
{
	int up[MON_PG_SIZE_MAX], n, primary, k = 0;

	n = osdmap_pg_up(o, (struct osdmap_pg){ x->pool, x->ps }, up, MON_PG_SIZE_MAX, &primary);
	for (int i = 0; i < n; i++)
		if (up[i] >= 0 && osdmap_osd_is_up(o, up[i]))
			up[k++] = up[i];
	if (n < 0 || k != x->n)
		return false;
	for (int i = 0; i < k; i++)
		if (up[i] != x->osds[i])
			return false;
	return true;
}

static void handle_pgtemp(struct mon *m, const struct mon_msg_osd_pgtemp *t)
{
	const struct osdmap *o = mon_svc_osdmap_view(m);
	struct osdmap_inc inc;
	int rc = 0;

	if (!osdmap_osd_is_up(o, t->osd) || t->epoch < o->osds[t->osd].up_from)
		return;
	osdmap_inc_init(&inc, o);
	for (uint32_t i = 0; rc == 0 && i < t->n; i++) {
		struct mon_pgtemp_ent x = t->ents[i];

		if (x.n > 0 && osdmap_pool(o, x.pool) && pgtemp_is_up_set(o, &x))
			x.n = 0;
		if (pgtemp_check(o, &x) == 0)
			rc = osdmap_inc_set_pg_temp(&inc, x.pool, x.ps, x.osds, x.n);
	}
	if (rc == 0 && !osdmap_inc_is_empty(&inc))
		propose(m, &inc, "pg_temp");
	osdmap_inc_fini(&inc);
}

void mon_osd_handle(struct mon *m, struct msg *msg)
{
	if (!mon_can_write(m) || m->svc.osdmap->epoch == 0) {
		log_debug(mon, "dropping OSD message type %u: no writable map yet", msg->type);
		msg_put(msg); /* the OSD resends: boot retries, beacons repeat */
		return;
	}
	switch (msg->type) {
	case MON_MSG_OSD_BOOT:
		handle_boot(m, (const void *)msg);
		break;
	case MON_MSG_OSD_BEACON: {
		struct mon_osd_track *t = track(m, ((struct mon_msg_osd_beacon *)(void *)msg)->osd);

		if (t)
			t->last_beacon_ms = mon_now_ms();
		break;
	}
	case MON_MSG_OSD_FAILURE:
		handle_failure(m, (const void *)msg);
		break;
	case MON_MSG_OSD_ALIVE:
		handle_alive(m, (const void *)msg);
		break;
	case MON_MSG_OSD_PGTEMP:
		handle_pgtemp(m, (const void *)msg);
		break;
	default:
		break;
	}
	msg_put(msg);
}

static void leader_init(struct mon *m, uint64_t now)
{
	const struct osdmap *o = m->svc.osdmap;

	for (int i = 0; i < o->max_osd; i++) {
		struct mon_osd_track *t = track(m, i);

		if (!t)
			return;
		*t = (struct mon_osd_track){ .last_beacon_ms = now };
	}
	m->osd_leader_init = true;
}

void mon_osd_tick(struct mon *m, uint64_t now)
{
	const struct osdmap *o = mon_svc_osdmap_view(m);
	uint64_t timeout = (uint64_t)(cfg_double(m->d.cfg, CFG_KEY_mon_osd_report_timeout) * 1000);
	uint64_t out_ms =
	    (uint64_t)(cfg_double(m->d.cfg, CFG_KEY_mon_osd_down_out_interval) * 1000);
	int down[64], out[64];
	size_t nd = 0, no = 0;

	if (!m->osd_leader_init)
		leader_init(m, now);
	for (int i = 0; i < o->max_osd && nd < 64 && no < 64; i++) {
		struct mon_osd_track *t = track(m, i);

		if (!t || !o->osds[i].exists)
			continue;
		if (o->osds[i].up) {
			t->down_since_ms = 0;
			if (t->last_beacon_ms && now - t->last_beacon_ms > timeout &&
			    !(o->flags & OSDMAP_F_NODOWN))
				down[nd++] = i;
			continue;
		}
		if (!o->osds[i].weight) {
			t->down_since_ms = 0;
			continue;
		}
		if (!t->down_since_ms)
			t->down_since_ms = now;
		if (out_ms && now - t->down_since_ms > out_ms && !(o->flags & OSDMAP_F_NOOUT))
			out[no++] = i;
	}
	if (nd)
		mark(m, down, nd, false, "no beacon within mon_osd_report_timeout");
	else if (no)
		mark(m, out, no, true, "down longer than mon_osd_down_out_interval");
}

void mon_osd_fini(struct mon *m)
{
	mem_free(m->otrack);
	m->otrack = NULL;
	m->n_otrack = 0;
}
