/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/sim_run.c - one seeded run: the event loop (commits,
 * deliveries, ticks, map delivery, monitor events, chaos), clients writing
 * and reading through the primaries, faults (crash, restart, out, in,
 * network), then a healing phase that must end with every PG active+clean. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define HEAL_LIMIT_MS 300000

static void deliver_peer(struct sim *s, struct sim_msg *m)
{
	struct sim_osd *od = &s->osd[m->to];
	struct pg_peer_msg pm;
	if (!od->alive)
		return;
	int rc = pg_peer_msg_decode(m->data, m->len, &pm);
	if (rc < 0) {
		sim_fail(s, "osd.%d: peering message does not decode: %d", m->to, rc);
		return;
	}
	if (pm.epoch > od->epoch)
		sim_osd_catch_up(s, m->to); /* the sender shares its map first */
	if (s->o.verbose && pm.type != PG_PEER_MSG_PUSH && pm.type != PG_PEER_MSG_PUSH_ACK)
		fprintf(
		    stderr,
		    "t=%llu pg %d msg %u osd.%d->%d e%u i%u les %u lu %u.%llu tail %u.%llu bf %d\n",
		    (unsigned long long)s->now, m->pg, pm.type, m->from, m->to, pm.epoch,
		    pm.interval, pm.info.last_epoch_started, pm.info.last_update.epoch,
		    (unsigned long long)pm.info.last_update.v, pm.info.log_tail.epoch,
		    (unsigned long long)pm.info.log_tail.v, pm.info.backfill_complete);
	struct sim_batch *b = sim_batch_new(m->pg);
	b->content = m->content;
	if (!od->pg[m->pg]) {
		/* not held here: a query gets an empty answer, the rest is dropped */
		if (pm.type == PG_PEER_MSG_QUERY &&
		    pg_peer_reply_absent(m->to, od->epoch, &pm, &b->a) < 0)
			sim_fail(s, "osd.%d pg %d: reply_absent failed", m->to, m->pg);
		sim_submit(s, m->to, b);
		pg_peer_msg_fini(&pm);
		return;
	}
	sim_arm(s);
	rc = pg_peer_handle(od->pg[m->pg], &pm, &b->a);
	rc = sim_disarm(s, m->to, m->pg, rc);
	if (rc < 0 && rc != -ESTALE)
		sim_fail(s, "osd.%d pg %d: handle type %u from osd.%d: %d", m->to, m->pg, pm.type,
		         m->from, rc);
	sim_submit(s, m->to, b);
	pg_peer_msg_fini(&pm);
}

static void deliver_repop(struct sim *s, struct sim_msg *m)
{
	struct sim_osd *od = &s->osd[m->to];
	if (!od->alive)
		return;
	if (m->epoch > od->epoch)
		sim_osd_catch_up(s, m->to);
	if (!od->pg[m->pg])
		return; /* not held: no ack */
	struct sim_batch *b = sim_batch_new(m->pg);
	sim_arm(s);
	int rc = pg_peer_replica_write(od->pg[m->pg], m->interval, &m->entry, m->trim_to, &b->a);
	rc = sim_disarm(s, m->to, m->pg, rc);
	if (s->doomed[m->to])
		rc = -ESTALE;
	if (rc == 0) {
		size_t n;
		const struct pg_peer_missing_item *miss = pg_peer_get_missing(od->pg[m->pg], &n);
		for (size_t i = 0; i < n && m->with_data; i++)
			if (!strcmp(miss[i].key, m->entry.key))
				sim_fail(s, "osd.%d pg %d: write to %s, which it lacks", m->to,
				         m->pg, m->entry.key);
		b->obj = m->with_data;
		snprintf(b->key, SIM_KEY_LEN, "%s", m->entry.key);
		b->v = m->entry.version;
		b->content = m->content;
		b->del = m->entry.op == PG_PEER_LOG_DELETE;
		b->ack_wid = m->wid;
		b->ack_to = m->from;
		b->ack_interval = m->interval;
	} else if (rc != -ESTALE && rc != -EALREADY) {
		sim_fail(s, "osd.%d pg %d: replica write: %d", m->to, m->pg, rc);
	}
	sim_submit(s, m->to, b);
}

/* A repop reply of the primary's current interval tells the core what the
 * replica committed (it bounds the log trim point), acked write or not. */
static void note_committed(struct sim *s, const struct sim_msg *m)
{
	struct pg_peer *core = s->osd[m->to].pg[m->pg];
	if (!core || pg_peer_interval(core) != m->interval)
		return;
	int rc = pg_peer_committed(core, m->from, m->committed);
	if (rc < 0 && rc != -ESTALE && !(rc == -ENOMEM && s->doomed[m->to]))
		sim_fail(s, "osd.%d pg %d: committed %u.%llu from osd.%d: %d", m->to, m->pg,
		         m->committed.epoch, (unsigned long long)m->committed.v, m->from, rc);
}

static void deliver_ack(struct sim *s, struct sim_msg *m)
{
	if (!s->osd[m->to].alive)
		return;
	note_committed(s, m);
	for (size_t i = 0; i < s->n_writes; i++) {
		struct sim_write *w = &s->writes[i];
		if (w->wid != m->wid || w->interval != m->interval)
			continue;
		w->waiting &= ~(1u << m->from);
		if (!w->waiting && w->committed) {
			sim_note_ack(s, w);
			s->writes[i] = s->writes[--s->n_writes];
		}
		return;
	}
}

void sim_deliver(struct sim *s, size_t i)
{
	struct sim_msg m = s->msgs[i];
	s->msgs[i] = s->msgs[--s->n_msgs];
	if (m.kind == SM_PEER)
		deliver_peer(s, &m);
	else if (m.kind == SM_REPOP)
		deliver_repop(s, &m);
	else
		deliver_ack(s, &m);
	free(m.data);
	pg_peer_entry_fini(&m.entry);
}

static bool write_in_flight(const struct sim *s, int pg, const char *key, int primary)
{
	for (size_t i = 0; i < s->n_writes; i++)
		if (s->writes[i].pg == pg && s->writes[i].primary == primary &&
		    !strcmp(s->writes[i].key, key))
			return true;
	return false;
}

static void send_repops(struct sim *s, const struct sim_write *w, const struct pg_peer_entry *e,
                        const struct pg_peer_actions *a, uint32_t epoch)
{
	for (uint8_t i = 0; i < a->n_targets; i++) {
		struct sim_msg m = { .kind = SM_REPOP,
			             .from = w->primary,
			             .to = a->targets[i].osd,
			             .pg = w->pg,
			             .content = w->content,
			             .epoch = epoch,
			             .interval = w->interval,
			             .trim_to = a->trim_to,
			             .with_data = a->targets[i].with_data,
			             .wid = w->wid };
		if (pg_peer_entry_copy(&m.entry, e) < 0)
			abort();
		sim_send(s, &m, false);
	}
}

/* The object's current version as the OSD would see it: its store with
 * the transactions not yet committed applied (a push the core already
 * counted as recovered may still be on its way to the disk). Returns
 * whether the object exists. */
static bool pending_version(const struct sim_osd *od, int pg, const char *key,
                            struct pg_peer_eversion *v, bool exists)
{
	for (const struct sim_batch *b = od->pend; b; b = b->next) {
		if (b->pg != pg)
			continue;
		for (size_t i = 0; i < b->a.n_ops; i++) {
			const struct pg_peer_op *op = &b->a.ops[i];
			bool put = op->kind == PG_PEER_OP_OBJ_WRITE;
			if ((put || op->kind == PG_PEER_OP_OBJ_REMOVE) && !strcmp(op->key, key)) {
				exists = put;
				*v = put ? op->version : (struct pg_peer_eversion){ 0, 0 };
			}
		}
		if (b->obj && !strcmp(b->key, key)) {
			exists = !b->del;
			*v = b->del ? (struct pg_peer_eversion){ 0, 0 } : b->v;
		}
	}
	return exists;
}

void sim_client_write(struct sim *s, int pg, const char *key, int osd, bool del)
{
	struct pg_peer *core = s->osd[osd].pg[pg];
	struct sim_obj *o = sim_obj_find(&s->osd[osd].st[pg], key);
	struct pg_peer_eversion prior = o ? o->v : (struct pg_peer_eversion){ 0, 0 };
	bool exists = pending_version(&s->osd[osd], pg, key, &prior, o != NULL);
	uint64_t content = del ? 0 : s->next_content++;
	struct pg_peer_entry e = { .op = del ? PG_PEER_LOG_DELETE : PG_PEER_LOG_MODIFY,
		                   .key = (char *)key,
		                   .aux = (uint8_t *)&content,
		                   .aux_len = sizeof(content),
		                   .prior_version = prior };
	if (del && !exists)
		return;
	struct sim_batch *b = sim_batch_new(pg);
	sim_arm(s);
	int rc = pg_peer_write(core, &e, &b->a);
	rc = sim_disarm(s, osd, pg, rc);
	if (s->doomed[osd])
		rc = -EAGAIN;
	if (rc < 0) {
		if (rc != -EAGAIN)
			sim_fail(s, "osd.%d pg %d write: %d", osd, pg, rc);
		sim_batch_free(b);
		return;
	}
	struct sim_write w = { .wid = s->next_wid++,
		               .pg = pg,
		               .primary = osd,
		               .interval = pg_peer_interval(core),
		               .v = e.version,
		               .content = content,
		               .del = del };
	snprintf(w.key, SIM_KEY_LEN, "%s", key);
	for (uint8_t i = 0; i < b->a.n_targets; i++)
		w.waiting |= 1u << b->a.targets[i].osd;
	struct sim_rec r = { .pg = pg, .v = e.version, .content = content, .del = del };
	snprintf(r.key, SIM_KEY_LEN, "%s", key);
	if (sim_grow(&s->recs, sizeof(*s->recs), &s->cap_recs, s->n_recs + 1) < 0 ||
	    sim_grow(&s->writes, sizeof(*s->writes), &s->cap_writes, s->n_writes + 1) < 0)
		abort();
	s->recs[s->n_recs++] = r;
	s->writes[s->n_writes++] = w;
	send_repops(s, &w, &e, &b->a, pg_peer_epoch(core));
	if (b->a.trim_to.epoch || b->a.trim_to.v) {
		s->stats_trims++;
		s->stats_trims_cur += b->a.trim_to.epoch >= w.interval;
		sim_check_trim(s, osd, pg, b->a.trim_to);
	}
	b->obj = true;
	snprintf(b->key, SIM_KEY_LEN, "%s", key);
	b->v = e.version;
	b->content = content;
	b->del = del;
	b->commit_wid = w.wid;
	sim_submit(s, osd, b);
}

static void client_op(struct sim *s)
{
	const struct sim_map *m = sim_latest(s);
	int pg = (int)sim_rand(s, (uint64_t)s->n_pgs);
	char key[SIM_KEY_LEN];
	snprintf(key, sizeof(key), "k%02d", (int)sim_rand(s, (uint64_t)s->n_keys));
	if (!m->m[pg].n_acting)
		return;
	int osd = m->m[pg].acting[0];
	struct sim_osd *od = &s->osd[osd];
	if (!od->alive || !od->pg[pg] || write_in_flight(s, pg, key, osd))
		return;
	uint64_t dice = sim_rand(s, 100);
	if (dice < 30) {
		if (od->pend || !pg_peer_can_read(od->pg[pg], key))
			return; /* serve reads from committed state only */
		sim_check_read(s, pg, key, sim_obj_find(&od->st[pg], key));
		s->stats_reads++;
		return;
	}
	sim_client_write(s, pg, key, osd, dice < 38);
}

static int pick_osd(struct sim *s, bool alive)
{
	int start = (int)sim_rand(s, (uint64_t)s->n_osds);
	for (int i = 0; i < s->n_osds; i++) {
		int o = (start + i) % s->n_osds;
		if (s->osd[o].alive == alive && (alive || !sim_latest(s)->up[o]))
			return o;
	}
	return -1;
}

static void set_in(struct sim *s, bool in)
{
	struct sim_map m = *sim_latest(s);
	int n_in = 0, start = (int)sim_rand(s, (uint64_t)s->n_osds);
	for (int o = 0; o < s->n_osds; o++)
		n_in += m.in[o];
	if (!in && n_in <= 4)
		return;
	for (int i = 0; i < s->n_osds; i++) {
		int o = (start + i) % s->n_osds;
		if (m.in[o] != in) {
			m.in[o] = in;
			sim_publish(s, &m);
			return;
		}
	}
}

static void fault(struct sim *s)
{
	uint64_t dice = sim_rand(s, 100);
	int dead = 0, o;
	for (int i = 0; i < s->n_osds; i++)
		dead += !s->osd[i].alive;
	if (dice < 22) {
		if (dead < 3 && (o = pick_osd(s, true)) >= 0)
			sim_osd_crash(s, o);
	} else if (dice < 45) {
		if ((o = pick_osd(s, false)) >= 0)
			sim_osd_restart(s, o);
	} else if (dice < 57) {
		set_in(s, false);
	} else if (dice < 69) {
		set_in(s, true);
	} else if (dice < 78) {
		s->drop_pct = (uint32_t)sim_rand(s, 20);
		s->dup_pct = (uint32_t)sim_rand(s, 10);
		s->max_delay = 5 + (uint32_t)sim_rand(s, 40);
	}
}

static bool all_clean(struct sim *s)
{
	const struct sim_map *m = sim_latest(s);
	if (s->n_msgs || s->n_mon)
		return false;
	for (int o = 0; o < s->n_osds; o++)
		if (!s->osd[o].alive || !m->up[o] || !m->in[o] || s->osd[o].pend ||
		    s->osd[o].epoch + 1 != s->n_maps)
			return false;
	for (int pg = 0; pg < s->n_pgs; pg++) {
		if (!m->m[pg].n_acting)
			return false;
		struct pg_peer *p = s->osd[m->m[pg].acting[0]].pg[pg];
		if (!p || pg_peer_state(p) != (PG_PEER_ST_ACTIVE | PG_PEER_ST_CLEAN))
			return false;
	}
	return true;
}

/* Healing: every OSD restarts and comes back in; no more faults. */
static void heal(struct sim *s)
{
	struct sim_map m = *sim_latest(s);
	bool changed = false;
	for (int o = 0; o < s->n_osds; o++) {
		if (!s->osd[o].alive && !m.up[o])
			sim_osd_restart(s, o);
		if (!m.in[o])
			m.in[o] = changed = true;
	}
	if (changed)
		sim_publish(s, &m);
}

static void chaos(struct sim *s)
{
	if (s->scripted) {
		s->next_chaos = s->now + 1000;
	} else if (s->faults) {
		s->next_chaos = s->now + 1 + sim_rand(s, 10);
		if (sim_rand(s, 100) < 8)
			fault(s);
		else if (s->clients)
			client_op(s);
	} else {
		s->next_chaos = s->now + 100;
		heal(s);
	}
}

static void tick(struct sim *s, int osd)
{
	struct sim_osd *od = &s->osd[osd];
	od->next_tick = s->now + SIM_TICK_MS;
	for (int pg = 0; pg < s->n_pgs; pg++) {
		if (!od->pg[pg])
			continue;
		struct sim_batch *b = sim_batch_new(pg);
		sim_arm(s);
		int rc = pg_peer_tick(od->pg[pg], &b->a);
		rc = sim_disarm(s, osd, pg, rc);
		if (rc < 0)
			sim_fail(s, "osd.%d pg %d tick: %d", osd, pg, rc);
		sim_submit(s, osd, b);
	}
}

/* Runs the earliest event. */
void sim_step(struct sim *s)
{
	uint64_t t = s->next_chaos;
	int kind = 0, who = 0;
	for (int o = 0; o < s->n_osds; o++) {
		struct sim_osd *od = &s->osd[o];
		if (od->pend && od->pend->at < t)
			t = od->pend->at, kind = 1, who = o;
		if (od->alive && od->next_tick < t)
			t = od->next_tick, kind = 2, who = o;
		if (od->alive && od->map_at && od->map_at < t)
			t = od->map_at, kind = 3, who = o;
	}
	for (size_t i = 0; i < s->n_msgs; i++)
		if (s->msgs[i].at < t ||
		    (s->msgs[i].at == t && kind == 4 && s->msgs[i].seq < s->msgs[who].seq))
			t = s->msgs[i].at, kind = 4, who = (int)i;
	for (size_t i = 0; i < s->n_mon; i++)
		if (s->mon[i].at < t)
			t = s->mon[i].at, kind = 5, who = (int)i;
	s->now = t;
	s->steps++;
	switch (kind) {
	case 0:
		chaos(s);
		break;
	case 1:
		sim_commit(s, who);
		break;
	case 2:
		tick(s, who);
		break;
	case 3:
		sim_osd_catch_up(s, who);
		break;
	case 4:
		sim_deliver(s, (size_t)who);
		break;
	default:
		sim_mon_apply(s, (size_t)who);
		break;
	}
	for (int o = 0; o < s->n_osds; o++) {
		if (s->doomed[o]) {
			s->doomed[o] = false;
			sim_osd_crash(s, o);
		}
	}
	if (!s->failure[0])
		sim_check_step(s);
}

static void dump_pg(struct sim *s, int pg)
{
	for (int o = 0; o < s->n_osds; o++) {
		struct sim_pgstore *st = &s->osd[o].st[pg];
		size_t n;
		if (!s->osd[o].pg[pg])
			continue;
		const struct pg_peer_missing_item *mi = pg_peer_get_missing(s->osd[o].pg[pg], &n);
		const struct pg_peer_info *i = pg_peer_get_info(s->osd[o].pg[pg]);
		fprintf(stderr, "  osd.%d lu %u.%llu tail %u.%llu bf %d les %u objs:", o,
		        i->last_update.epoch, (unsigned long long)i->last_update.v,
		        i->log_tail.epoch, (unsigned long long)i->log_tail.v, i->backfill_complete,
		        i->last_epoch_started);
		for (size_t k = 0; k < st->n_objs; k++)
			fprintf(stderr, " %s@%u.%llu", st->objs[k].key, st->objs[k].v.epoch,
			        (unsigned long long)st->objs[k].v.v);
		fprintf(stderr, " missing:");
		for (size_t k = 0; k < n; k++)
			fprintf(stderr, " %s@%u.%llu%s", mi[k].key, mi[k].need.epoch,
			        (unsigned long long)mi[k].need.v, mi[k].deleted ? "(del)" : "");
		fprintf(stderr, "\n");
	}
}

void sim_dump(struct sim *s)
{
	for (int o = 0; o < s->n_osds; o++) {
		for (int pg = 0; pg < s->n_pgs && s->osd[o].alive; pg++) {
			if (!s->osd[o].pg[pg])
				continue;
			const struct pg_peer_info *i = pg_peer_get_info(s->osd[o].pg[pg]);
			char buf[128];
			int32_t who;
			const char *why = pg_peer_reason(s->osd[o].pg[pg], &who);
			if (why)
				fprintf(stderr, "osd.%d pg %d blocked (osd.%d): %s\n", o, pg, who,
				        why);
			if (why)
				dump_pg(s, pg);
			fprintf(
			    stderr, "osd.%d pg %d %s les %u hles %u lec %u sis %u past:", o, pg,
			    pg_peer_state_str(pg_peer_state(s->osd[o].pg[pg]), buf, sizeof(buf)),
			    i->last_epoch_started, i->history_les, i->last_epoch_clean,
			    i->same_interval_since);
			for (uint32_t k = 0; k < i->n_past; k++) {
				fprintf(stderr, " [%u-%u%s", i->past[k].first, i->past[k].last,
				        i->past[k].maybe_went_rw ? " rw" : "");
				for (uint8_t j = 0; j < i->past[k].n_acting; j++)
					fprintf(stderr, " %d", i->past[k].acting[j]);
				fprintf(stderr, "]");
			}
			fprintf(stderr, "\n");
		}
	}
}

int sim_run(uint64_t seed, const struct sim_opts *o, struct sim *s)
{
	sim_init(s, seed, o);
	while (s->steps < o->steps && !s->failure[0])
		sim_step(s);
	s->faults = s->clients = false;
	uint64_t deadline = s->now + HEAL_LIMIT_MS;
	while (!s->failure[0] && !all_clean(s)) {
		if (s->now > deadline) {
			sim_fail(s, "not active+clean %d s after the faults stopped",
			         HEAL_LIMIT_MS / 1000);
			break;
		}
		sim_step(s);
	}
	if (!s->failure[0])
		sim_check_final(s);
	if (s->failure[0] && o->verbose)
		sim_dump(s);
	return s->failure[0] ? -1 : 0;
}
