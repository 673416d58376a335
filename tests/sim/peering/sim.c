/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/sim.c - the simulated cluster: the monitor (maps with a
 * CRUSH stand-in, pg_temp, marking OSDs down and up), OSD crashes and
 * restarts (cores rebuilt from what the store committed, maps replayed), map
 * delivery to OSDs, and transaction submission. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "sim.h"

uint64_t sim_rand(struct sim *s, uint64_t n)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return n ? z % n : 0;
}

const struct sim_map *sim_latest(const struct sim *s)
{
	return &s->maps[s->n_maps - 1];
}

/* up: the first `size` in-OSDs in the PG's preference order that are up;
 * acting: pg_temp's up members if any, else up. */
static void compute_mapping(const struct sim *s, struct sim_map *m, int pg)
{
	struct pg_peer_mapping *pm = &m->m[pg];
	int picked = 0;
	memset(pm, 0, sizeof(*pm));
	pm->size = 3;
	pm->min_size = 2;
	for (int i = 0; i < s->n_osds && picked < pm->size; i++) {
		int o = s->perm[pg][i];
		if (!m->in[o])
			continue;
		picked++;
		if (m->up[o])
			pm->up[pm->n_up++] = o;
	}
	for (uint8_t i = 0; i < m->n_temp[pg]; i++)
		if (m->up[m->temp[pg][i]])
			pm->acting[pm->n_acting++] = m->temp[pg][i];
	if (!pm->n_acting) {
		pm->n_acting = pm->n_up;
		memcpy(pm->acting, pm->up, sizeof(pm->up));
	}
}

/* Publishes m as the next epoch; alive OSDs will learn it soon. */
void sim_publish(struct sim *s, struct sim_map *m)
{
	m->epoch = (uint32_t)s->n_maps;
	m->n_up_osds = 0;
	for (int o = 0; o < s->n_osds; o++)
		if (m->up[o])
			m->up_osds[m->n_up_osds++] = o;
	for (int pg = 0; pg < s->n_pgs; pg++)
		compute_mapping(s, m, pg);
	if (sim_grow(&s->maps, sizeof(*s->maps), &s->cap_maps, s->n_maps + 1) < 0)
		abort();
	s->maps[s->n_maps++] = *m;
	s->stats_epochs++;
	for (int o = 0; o < s->n_osds; o++)
		if (s->osd[o].alive && !s->osd[o].map_at)
			s->osd[o].map_at = s->now + 1 + sim_rand(s, s->max_delay + 1);
	if (s->o.verbose) {
		fprintf(stderr, "t=%llu epoch %u:", (unsigned long long)s->now, m->epoch);
		for (int pg = 0; pg < s->n_pgs; pg++) {
			fprintf(stderr, " pg%d[", pg);
			for (int i = 0; i < m->m[pg].n_acting; i++)
				fprintf(stderr, "%s%d", i ? "," : "", m->m[pg].acting[i]);
			fprintf(stderr, "/%d]", m->m[pg].n_up);
		}
		fprintf(stderr, "\n");
	}
}

static void perm_init(struct sim *s)
{
	for (int pg = 0; pg < s->n_pgs; pg++) {
		uint64_t w[SIM_MAX_OSDS];
		for (int o = 0; o < s->n_osds; o++) {
			s->perm[pg][o] = o;
			w[o] = sim_rand(s, 1u << 30);
		}
		for (int i = 1; i < s->n_osds; i++)
			for (int j = i; j > 0 && w[s->perm[pg][j - 1]] > w[s->perm[pg][j]]; j--) {
				int t = s->perm[pg][j];
				s->perm[pg][j] = s->perm[pg][j - 1];
				s->perm[pg][j - 1] = t;
			}
	}
}

static struct pg_peer *load_core(struct sim *s, int osd, int pg)
{
	struct sim_pgstore *st = &s->osd[osd].st[pg];
	/* a new copy: the PG was created in epoch 1 (full_history: the old
	 * contract, created 0, the copy replays every map since then) */
	struct pg_peer_info info = { .pool = 1,
		                     .ps = (uint32_t)pg,
		                     .backfill_complete = true,
		                     .created = s->o.full_history ? 0 : 1 };
	struct pg_peer_state ps = { .info = &info,
		                    .log = st->log,
		                    .n_log = st->n_log,
		                    .missing = st->miss,
		                    .n_missing = st->n_miss };
	struct pg_peer *p = NULL;
	if (st->info) {
		struct dec d;
		dec_init(&d, st->info, st->info_len);
		if (pg_peer_info_decode(&d, &info) < 0) {
			sim_fail(s, "osd.%d pg %d: stored info does not decode", osd, pg);
			return NULL;
		}
	}
	int rc = pg_peer_create(osd, &s->cfg, &ps, &p);
	if (st->info)
		pg_peer_info_fini(&info);
	if (rc < 0)
		sim_fail(s, "osd.%d pg %d: create: %d", osd, pg, rc);
	return p;
}

static void drop_pending(struct sim_osd *od)
{
	while (od->pend) {
		struct sim_batch *b = od->pend;
		od->pend = b->next;
		sim_batch_free(b);
	}
	od->pend_tail = NULL;
}

void sim_osd_crash(struct sim *s, int osd)
{
	struct sim_osd *od = &s->osd[osd];
	struct sim_mon_ev ev = { .at = s->now + 5 + sim_rand(s, 60),
		                 .kind = MON_MARK_DOWN,
		                 .osd = osd };
	od->alive = false;
	od->map_at = 0;
	drop_pending(od);
	for (int pg = 0; pg < s->n_pgs; pg++) {
		pg_peer_destroy(od->pg[pg]);
		od->pg[pg] = NULL;
	}
	for (size_t i = s->n_writes; i-- > 0;)
		if (s->writes[i].primary == osd)
			s->writes[i] = s->writes[--s->n_writes];
	sim_mon_push(s, &ev);
	s->stats_crashes++;
	if (s->o.verbose)
		fprintf(stderr, "t=%llu osd.%d crashes\n", (unsigned long long)s->now, osd);
}

void sim_osd_restart(struct sim *s, int osd)
{
	struct sim_osd *od = &s->osd[osd];
	struct sim_mon_ev ev = { .at = s->now + 5 + sim_rand(s, 40),
		                 .kind = MON_MARK_UP,
		                 .osd = osd };
	od->alive = true;
	od->epoch = s->o.full_history ? UINT32_MAX : od->sb_epoch;
	for (int pg = 0; pg < s->n_pgs; pg++) {
		if (!s->o.full_history && !od->st[pg].info)
			continue; /* not held: created again if a replayed map maps it here */
		od->pg[pg] = load_core(s, osd, pg);
		if (!od->pg[pg])
			return;
		if (pg_peer_epoch(od->pg[pg]) < od->epoch)
			od->epoch = pg_peer_epoch(od->pg[pg]);
	}
	od->done_epoch = od->epoch;
	od->next_tick = s->now + SIM_TICK_MS;
	sim_osd_catch_up(s, osd);
	sim_mon_push(s, &ev);
	if (s->o.verbose)
		fprintf(stderr, "t=%llu osd.%d restarts\n", (unsigned long long)s->now, osd);
}

/* A primary whose interval changed drops the writes it had in flight. */
static void abandon_writes(struct sim *s, int osd, int pg)
{
	uint32_t interval = pg_peer_interval(s->osd[osd].pg[pg]);
	for (size_t i = s->n_writes; i-- > 0;) {
		struct sim_write *w = &s->writes[i];
		if (w->primary == osd && w->pg == pg && w->interval != interval)
			s->writes[i] = s->writes[--s->n_writes];
	}
}

static bool is_mapped(const struct pg_peer_mapping *m, int osd)
{
	for (uint8_t i = 0; i < m->n_up; i++)
		if (m->up[i] == osd)
			return true;
	for (uint8_t i = 0; i < m->n_acting; i++)
		if (m->acting[i] == osd)
			return true;
	return false;
}

/* Delivers every map the OSD has not processed. A PG it does not hold is
 * created at the first epoch that maps it here (unless full_history: then
 * every copy exists from the PG's creation). */
void sim_osd_catch_up(struct sim *s, int osd)
{
	struct sim_osd *od = &s->osd[osd];
	od->map_at = 0;
	while (od->alive && od->epoch + 1 < s->n_maps && !s->failure[0]) {
		const struct sim_map *m = &s->maps[++od->epoch];
		for (int pg = 0; pg < s->n_pgs && !s->failure[0]; pg++) {
			if (!od->pg[pg] && is_mapped(&m->m[pg], osd))
				od->pg[pg] =
				    load_core(s, osd, pg); /* a new copy, from this epoch */
			if (!od->pg[pg])
				continue;
			struct pg_peer_map pm = { .epoch = m->epoch,
				                  .m = m->m[pg],
				                  .up_osds = m->up_osds,
				                  .n_up_osds = m->n_up_osds };
			if (m->m[pg].n_acting)
				pm.primary_up_thru = m->up_thru[m->m[pg].acting[0]];
			struct sim_batch *b = sim_batch_new(pg);
			sim_arm(s);
			int rc = pg_peer_advance_map(od->pg[pg], &pm, &b->a);
			rc = sim_disarm(s, osd, pg, rc);
			if (rc < 0)
				sim_fail(s, "osd.%d pg %d advance to %u: %d", osd, pg, m->epoch,
				         rc);
			sim_submit(s, osd, b);
			abandon_writes(s, osd, pg);
		}
		od->done_epoch = od->epoch;
	}
}

/* Allocation failures: sometimes the next core call gets one (fault phase). */
void sim_arm(struct sim *s)
{
	if (s->faults && s->enomem_pct && sim_rand(s, 100) < s->enomem_pct) {
		mem_fail_at(1 + (long)sim_rand(s, 40));
		s->armed = true;
	}
}

/* After a core call: an injected failure must surface as -ENOMEM and break
 * the core; the OSD then restarts from its store (the contract). Returns rc,
 * or 0 when the failure was handled that way. */
int sim_disarm(struct sim *s, int osd, int pg, int rc)
{
	bool fired = s->armed && !mem_fail_pending();
	struct pg_peer *p = s->osd[osd].pg[pg];
	if (s->armed)
		mem_fail_at(0);
	s->armed = false;
	if (s->doomed[osd] && pg_peer_is_broken(p))
		return 0; /* broken earlier in this step */
	if (!fired)
		return rc;
	if (!pg_peer_is_broken(p) || rc != -ENOMEM) {
		if (!pg_peer_is_broken(p) && rc >= 0)
			return rc; /* the failure hit nothing the call needed? must not happen */
		sim_fail(s, "osd.%d pg %d: allocation failure reported as %d", osd, pg, rc);
		return rc;
	}
	s->doomed[osd] = true;
	s->stats_enomem++;
	return 0;
}

struct sim_batch *sim_batch_new(int pg)
{
	struct sim_batch *b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->pg = pg;
	b->ack_to = -1;
	pg_peer_actions_init(&b->a);
	return b;
}

void sim_batch_free(struct sim_batch *b)
{
	pg_peer_actions_fini(&b->a);
	free(b);
}

static bool batch_is_empty(const struct sim_batch *b)
{
	return !b->a.n_ops && !b->a.n_msgs && !b->a.n_work && !b->a.pg_temp && !b->obj &&
	       !b->a.need_up_thru && !b->ack_wid && !b->commit_wid;
}

/* Queues b as the OSD's next transaction; it commits in order, later. */
void sim_submit(struct sim *s, int osd, struct sim_batch *b)
{
	struct sim_osd *od = &s->osd[osd];
	if (b->a.err && !s->doomed[osd])
		sim_fail(s, "osd.%d: actions error %d", osd, b->a.err);
	if (!od->alive || s->doomed[osd] || batch_is_empty(b)) {
		sim_batch_free(b);
		return;
	}
	b->done_epoch = od->done_epoch;
	b->at = s->now + sim_rand(s, 8);
	if (od->pend_tail && od->pend_tail->at > b->at)
		b->at = od->pend_tail->at;
	if (od->pend_tail)
		od->pend_tail->next = b;
	else
		od->pend = b;
	od->pend_tail = b;
}

void sim_mon_push(struct sim *s, const struct sim_mon_ev *ev)
{
	if (sim_grow(&s->mon, sizeof(*s->mon), &s->cap_mon, s->n_mon + 1) < 0)
		abort();
	s->mon[s->n_mon++] = *ev;
}

static bool temp_eq(const struct sim_map *m, const struct sim_mon_ev *ev)
{
	return m->n_temp[ev->pg] == ev->n &&
	       !memcmp(m->temp[ev->pg], ev->osds, ev->n * sizeof(ev->osds[0]));
}

/* The monitor handles one of its pending events. */
void sim_mon_apply(struct sim *s, size_t i)
{
	struct sim_mon_ev ev = s->mon[i];
	struct sim_map m = *sim_latest(s);
	s->mon[i] = s->mon[--s->n_mon];
	switch (ev.kind) {
	case MON_MARK_DOWN:
		if (!m.up[ev.osd] || s->osd[ev.osd].alive)
			return;
		m.up[ev.osd] = false;
		break;
	case MON_MARK_UP:
		if (m.up[ev.osd] || !s->osd[ev.osd].alive)
			return;
		m.up[ev.osd] = true;
		break;
	case MON_PG_TEMP:
		/* only from the current primary, like the monitors' check */
		if (!m.m[ev.pg].n_acting || m.m[ev.pg].acting[0] != ev.osd || temp_eq(&m, &ev))
			return;
		m.n_temp[ev.pg] = ev.n;
		memcpy(m.temp[ev.pg], ev.osds, ev.n * sizeof(ev.osds[0]));
		break;
	case MON_UP_THRU:
		if (!m.up[ev.osd] || m.up_thru[ev.osd] >= ev.epoch)
			return;
		m.up_thru[ev.osd] = (uint32_t)s->n_maps; /* the epoch being published */
		break;
	}
	sim_publish(s, &m);
}

void sim_init(struct sim *s, uint64_t seed, const struct sim_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->seed = s->rng = seed;
	s->n_osds = 6 + (int)sim_rand(s, 3);
	s->n_pgs = 3 + (int)sim_rand(s, 3);
	s->n_keys = 6 + (int)sim_rand(s, 10);
	s->cfg = (struct pg_peer_config){ .resend_ticks = 3,
		                          .log_max = o->short_log ? 2 + (uint32_t)sim_rand(s, 4)
		                                                  : 12 + (uint32_t)sim_rand(s, 20),
		                          .log_keep = o->short_log ? 1 : 6,
		                          .recovery_max = 1 + (uint32_t)sim_rand(s, 4),
		                          .scan_max = 1 + (uint32_t)sim_rand(s, 5) };
	s->max_delay = 5 + (uint32_t)sim_rand(s, 40);
	s->enomem_pct = sim_rand(s, 2) ? (uint32_t)sim_rand(s, 3) : 0;
	s->faults = s->clients = true;
	perm_init(s);
	sim_start(s);
}

/* Epoch 1: the PGs are created, every OSD up and in. */
void sim_start(struct sim *s)
{
	struct sim_map m;
	s->next_wid = s->next_content = 1;
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < s->n_osds; i++)
		m.up[i] = m.in[i] = true;
	if (sim_grow(&s->maps, sizeof(*s->maps), &s->cap_maps, 1) < 0)
		abort();
	s->n_maps = 1; /* epoch 0 is never published */
	sim_publish(s, &m);
	for (int i = 0; i < s->n_osds; i++) {
		s->osd[i].epoch = 0;
		s->osd[i].alive = true;
		s->osd[i].next_tick = 1 + sim_rand(s, SIM_TICK_MS);
		for (int pg = 0; pg < s->n_pgs && s->o.full_history; pg++)
			s->osd[i].pg[pg] = load_core(s, i, pg);
		sim_osd_catch_up(s, i);
	}
}

void sim_fini(struct sim *s)
{
	for (int i = 0; i < SIM_MAX_OSDS; i++) {
		drop_pending(&s->osd[i]);
		for (int pg = 0; pg < SIM_MAX_PGS; pg++) {
			pg_peer_destroy(s->osd[i].pg[pg]);
			sim_store_fini(&s->osd[i].st[pg]);
		}
	}
	for (size_t i = 0; i < s->n_msgs; i++) {
		free(s->msgs[i].data);
		pg_peer_entry_fini(&s->msgs[i].entry);
	}
	free(s->msgs);
	free(s->maps);
	free(s->mon);
	free(s->writes);
	free(s->recs);
}
