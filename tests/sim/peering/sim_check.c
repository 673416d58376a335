/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/sim_check.c - the invariants:
 *   after every step: at most one active primary per PG and epoch; an active
 *     PG has >= min_size acting members and its last_update is >= every
 *     acknowledged write of the PG;
 *   after every commit, on that OSD's store: every object holds the data of
 *     the write that made its version, and (unless backfill is incomplete)
 *     every key of the log that is not missing is at its newest log version;
 *   every read: never older than a version acknowledged or read before;
 *   every trim of a primary's log: not past what an acting replica durably
 *     logged;
 *   at the end: every PG active+clean, every acting copy identical to the
 *     primary's, every acknowledged write present (or overwritten later). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "sim.h"

bool sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	if (s->failure[0])
		return false;
	va_start(ap, fmt);
	vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
	va_end(ap);
	return false;
}

int sim_grow(void *arr, size_t elem, size_t *cap, size_t want)
{
	void **p = arr;
	if (want <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < want)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

int sim_key_index(const char *key)
{
	return atoi(key + 1);
}

static const struct sim_rec *rec_of(const struct sim *s, int pg, struct pg_peer_eversion v)
{
	for (size_t i = s->n_recs; i-- > 0;)
		if (s->recs[i].pg == pg && !pg_peer_ev_cmp(s->recs[i].v, v))
			return &s->recs[i];
	return NULL;
}

/* Was a delete of key issued with a version newer than v? */
static bool later_delete(const struct sim *s, int pg, const char *key, struct pg_peer_eversion v)
{
	for (size_t i = 0; i < s->n_recs; i++)
		if (s->recs[i].pg == pg && s->recs[i].del && !strcmp(s->recs[i].key, key) &&
		    pg_peer_ev_cmp(s->recs[i].v, v) > 0)
			return true;
	return false;
}

static void check_obj(struct sim *s, int osd, int pg, const struct sim_obj *o)
{
	const struct sim_rec *r = rec_of(s, pg, o->v);
	if (!r || r->del || strcmp(r->key, o->key) || r->content != o->content)
		sim_fail(s, "osd.%d pg %d: %s@%u.%llu holds data no write of that version made",
		         osd, pg, o->key, o->v.epoch, (unsigned long long)o->v.v);
}

static bool is_missing(const struct sim_pgstore *st, const char *key)
{
	for (size_t i = 0; i < st->n_miss; i++)
		if (!strcmp(st->miss[i].key, key))
			return true;
	return false;
}

static bool backfill_complete(struct sim *s, const struct sim_pgstore *st)
{
	struct pg_peer_info info;
	struct dec d;
	if (!st->info)
		return true;
	dec_init(&d, st->info, st->info_len);
	if (pg_peer_info_decode(&d, &info) < 0)
		return !sim_fail(s, "stored info does not decode");
	bool done = info.backfill_complete;
	pg_peer_info_fini(&info);
	return done;
}

/* The store of one copy agrees with its own log and missing set. */
void sim_check_store(struct sim *s, int osd, int pg)
{
	struct sim_pgstore *st = &s->osd[osd].st[pg];
	for (size_t i = 0; i < st->n_objs; i++)
		check_obj(s, osd, pg, &st->objs[i]);
	if (!backfill_complete(s, st))
		return;
	for (size_t i = st->n_log; i-- > 0 && !s->failure[0];) {
		const struct pg_peer_entry *e = &st->log[i];
		bool newer = false;
		for (size_t j = i + 1; j < st->n_log && !newer; j++)
			newer = !strcmp(st->log[j].key, e->key);
		if (newer || is_missing(st, e->key))
			continue;
		struct sim_obj *o = sim_obj_find(st, e->key);
		bool ok = e->op == PG_PEER_LOG_DELETE ? !o : o && !pg_peer_ev_cmp(o->v, e->version);
		if (!ok)
			sim_fail(s,
			         "osd.%d pg %d: %s should be %s %u.%llu (log) but the store has %s",
			         osd, pg, e->key, e->op == PG_PEER_LOG_DELETE ? "deleted at" : "at",
			         e->version.epoch, (unsigned long long)e->version.v,
			         o ? "another version" : "nothing");
	}
}

/* A primary trims its log to `to` (a client write): every acting replica
 * must have durably logged at least that far, or a crash that loses its
 * uncommitted tail leaves it without overlap with the primary's log (seed
 * 2822 at 20000 steps waited undersized for ever). */
void sim_check_trim(struct sim *s, int osd, int pg, struct pg_peer_eversion to)
{
	const struct pg_peer_mapping *m = pg_peer_get_mapping(s->osd[osd].pg[pg]);
	for (uint8_t i = 0; i < m->n_acting && !s->failure[0]; i++) {
		const struct sim_pgstore *st = &s->osd[m->acting[i]].st[pg];
		struct pg_peer_info info;
		struct dec d;
		if (m->acting[i] == osd)
			continue;
		dec_init(&d, st->info, st->info_len);
		if (!st->info || pg_peer_info_decode(&d, &info) < 0) {
			sim_fail(s, "pg %d: osd.%d has no stored info", pg, m->acting[i]);
			return;
		}
		if (pg_peer_ev_cmp(info.last_update, to) < 0)
			sim_fail(s, "osd.%d pg %d: trimmed to %u.%llu, osd.%d logged only %u.%llu",
			         osd, pg, to.epoch, (unsigned long long)to.v, m->acting[i],
			         info.last_update.epoch, (unsigned long long)info.last_update.v);
		pg_peer_info_fini(&info);
	}
}

void sim_note_ack(struct sim *s, const struct sim_write *w)
{
	struct sim_known *k = &s->known[w->pg][sim_key_index(w->key)];
	s->stats_acks++;
	if (!k->set || pg_peer_ev_cmp(w->v, k->v) > 0)
		*k = (struct sim_known){ .v = w->v, .del = w->del, .set = true };
	if (pg_peer_ev_cmp(w->v, s->acked_max[w->pg]) > 0)
		s->acked_max[w->pg] = w->v;
}

void sim_check_read(struct sim *s, int pg, const char *key, const struct sim_obj *o)
{
	struct sim_known *k = &s->known[pg][sim_key_index(key)];
	if (!o) {
		if (k->set && !k->del && !later_delete(s, pg, key, k->v))
			sim_fail(s, "pg %d: read of %s found nothing; %u.%llu was committed", pg,
			         key, k->v.epoch, (unsigned long long)k->v.v);
		return;
	}
	if (k->set && pg_peer_ev_cmp(o->v, k->v) < 0)
		sim_fail(s, "pg %d: read of %s returned %u.%llu, older than %u.%llu", pg, key,
		         o->v.epoch, (unsigned long long)o->v.v, k->v.epoch,
		         (unsigned long long)k->v.v);
	else if (k->set && !pg_peer_ev_cmp(o->v, k->v) && k->del)
		sim_fail(s, "pg %d: read of %s returned a deleted version", pg, key);
	else
		*k = (struct sim_known){ .v = o->v, .set = true };
}

/* Counts how often the history of new copies is learned (statistics). */
static void note_history(struct sim *s, int o, int pg)
{
	const struct pg_peer *p = s->osd[o].pg[pg];
	const struct pg_peer_info *info = pg_peer_get_info(p);
	const char *why = pg_peer_reason(p, NULL);
	bool probe = why && !strncmp(why, "no copy that answered knows", 27);
	if (info->past_from < s->seen_from[pg][o])
		s->stats_learned++;
	s->seen_from[pg][o] = info->past_from;
	if (probe && !s->seen_probe[pg][o])
		s->stats_probes++;
	s->seen_probe[pg][o] = probe;
}

void sim_check_step(struct sim *s)
{
	for (int pg = 0; pg < s->n_pgs; pg++) {
		int first = -1;
		for (int o = 0; o < s->n_osds; o++) {
			struct pg_peer *p = s->osd[o].pg[pg];
			if (s->osd[o].alive && p)
				note_history(s, o, pg);
			if (!s->osd[o].alive || !p || !pg_peer_is_active(p))
				continue;
			const struct pg_peer_mapping *m = pg_peer_get_mapping(p);
			const struct pg_peer_info *info = pg_peer_get_info(p);
			if (!pg_peer_is_primary(p) || m->n_acting < m->min_size)
				sim_fail(s, "osd.%d pg %d: active with %u acting (min %u)", o, pg,
				         m->n_acting, m->min_size);
			size_t n;
			const struct pg_peer_entry *log = pg_peer_get_log(p, &n);
			struct pg_peer_eversion lu = n ? log[n - 1].version : info->log_tail;
			if (pg_peer_ev_cmp(lu, s->acked_max[pg]) < 0)
				sim_fail(s, "osd.%d pg %d: active at %u.%llu, below acked %u.%llu",
				         o, pg, lu.epoch, (unsigned long long)lu.v,
				         s->acked_max[pg].epoch,
				         (unsigned long long)s->acked_max[pg].v);
			if (first >= 0 && pg_peer_epoch(s->osd[first].pg[pg]) == pg_peer_epoch(p))
				sim_fail(
				    s, "pg %d: osd.%d and osd.%d both active primaries in epoch %u",
				    pg, first, o, pg_peer_epoch(p));
			first = o;
		}
	}
}

static void same_store(struct sim *s, int pg, int a, int b)
{
	struct sim_pgstore *x = &s->osd[a].st[pg], *y = &s->osd[b].st[pg];
	if (x->n_objs != y->n_objs) {
		sim_fail(s, "pg %d: osd.%d holds %zu objects, osd.%d %zu", pg, a, x->n_objs, b,
		         y->n_objs);
		return;
	}
	for (size_t i = 0; i < x->n_objs; i++)
		if (strcmp(x->objs[i].key, y->objs[i].key) ||
		    pg_peer_ev_cmp(x->objs[i].v, y->objs[i].v) ||
		    x->objs[i].content != y->objs[i].content)
			sim_fail(s, "pg %d: osd.%d and osd.%d differ at %s", pg, a, b,
			         x->objs[i].key);
	if (y->n_miss)
		sim_fail(s, "pg %d: osd.%d still misses %s", pg, b, y->miss[0].key);
}

void sim_check_final(struct sim *s)
{
	const struct sim_map *m = sim_latest(s);
	for (int pg = 0; pg < s->n_pgs && !s->failure[0]; pg++) {
		const struct pg_peer_mapping *pm = &m->m[pg];
		int prim = pm->acting[0];
		if (pm->n_acting != pm->size)
			sim_fail(s, "pg %d: %u acting at the end", pg, pm->n_acting);
		for (uint8_t i = 0; i < pm->n_acting; i++)
			same_store(s, pg, prim, pm->acting[i]);
		for (int k = 0; k < s->n_keys; k++) {
			char key[SIM_KEY_LEN];
			snprintf(key, sizeof(key), "k%02d", k);
			sim_check_read(s, pg, key, sim_obj_find(&s->osd[prim].st[pg], key));
		}
	}
}
