/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_backfill.c - backfill of targets whose log does not
 * overlap the authoritative log (new OSD, long absence, remap).
 *
 * Per target, rounds over the key space (README "backfill"):
 *   IDLE -> LISTING   WORK_LIST of our objects after cursor + SCAN to the target
 *   LISTING -> PUSHING both listings in: the range (cursor, hi] is settled by
 *                     pushing what differs and removing what we do not have
 *   PUSHING -> PROGRESS every push acked: cursor = hi, PROGRESS to the target
 *   PROGRESS -> IDLE | DONE  PROGRESS_ACK (DONE when both listings ended)
 * Writes meanwhile: keys <= cursor go to the target with data, keys beyond
 * with the log entry only; writes during LISTING are remembered (dirty) so
 * the range uses their versions; writes into (cursor, hi] wait in PUSHING.
 * A range may be settled with versions whose log entries have not reached
 * the target yet, so PROGRESS carries our head and the target takes it only
 * once its log got there (the repops are ordered; PROGRESS is resent). */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "osd/peering/peering_int.h"

static void objs_free(struct pg_peer_obj **o, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		mem_free((*o)[i].key);
	mem_free(*o);
	*o = NULL;
	*n = 0;
}

static void bf_round_reset(struct pg_peer_bf *bf)
{
	objs_free(&bf->own, &bf->n_own);
	objs_free(&bf->tgt, &bf->n_tgt);
	pg_peer_mset_fini(&bf->dirty);
	pg_peer_mset_fini(&bf->pushing);
	mem_free(bf->hi);
	bf->hi = NULL;
	bf->have_own = bf->have_tgt = bf->own_end = bf->tgt_end = false;
}

void pg_peer_bf_fini(struct pg_peer_bf *bf)
{
	bf_round_reset(bf);
	mem_free(bf->cursor);
	bf->cursor = NULL;
	bf->ph = BF_IDLE;
	bf->all = false;
}

static void send_scan(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	pg_peer_msg_header(p, &m, PG_PEER_MSG_SCAN);
	m.key = pe->bf.cursor;
	m.max = p->cfg.scan_max;
	m.tag = pe->bf.tag;
	pg_peer_act_send(a, pe->osd, &m);
}

static void send_progress(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	pg_peer_msg_header(p, &m, PG_PEER_MSG_PROGRESS);
	m.key = pe->bf.cursor;
	m.tag = pe->bf.tag;
	m.done = pe->bf.hi == NULL;
	m.version = pe->bf.settled;
	pg_peer_act_send(a, pe->osd, &m);
}

static void start_round(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_bf *bf = &pe->bf;
	bf_round_reset(bf);
	bf->tag = ++p->next_tag;
	bf->ph = BF_LISTING;
	struct pg_peer_work *w = pg_peer_act_work(a, PG_PEER_WORK_LIST);
	if (!w || (bf->cursor && !(w->after = mem_strdup(bf->cursor)))) {
		pg_peer_fail(p, a);
		return;
	}
	w->max = p->cfg.scan_max;
	w->tag = bf->tag;
	send_scan(p, pe, a);
}

void pg_peer_backfill(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (size_t j = 1; j < p->n_peers && !a->err; j++)
		if (p->peers[j].role == ROLE_BACKFILL && p->peers[j].bf.ph == BF_IDLE)
			start_round(p, &p->peers[j], a);
}

static void resend_pushes(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	for (size_t i = 0; i < pe->bf.pushing.n; i++) {
		const struct pg_peer_missing_item *it = &pe->bf.pushing.it[i];
		struct pg_peer_work *w =
		    pg_peer_push_work(p, it->key, it->need, it->deleted, true, a);
		if (w)
			w->targets[w->n_targets++] = pe->osd;
	}
}

void pg_peer_backfill_tick(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (p->idle_ticks + 1 < p->cfg.resend_ticks)
		return;
	for (size_t j = 1; j < p->n_peers; j++) {
		struct pg_peer_peer *pe = &p->peers[j];
		if (pe->role != ROLE_BACKFILL)
			continue;
		if (pe->bf.ph == BF_LISTING && !pe->bf.have_tgt)
			send_scan(p, pe, a);
		else if (pe->bf.ph == BF_PUSHING)
			resend_pushes(p, pe, a);
		else if (pe->bf.ph == BF_PROGRESS)
			send_progress(p, pe, a);
	}
}

static int copy_objs(struct pg_peer_obj **dst, size_t *n, const struct pg_peer_obj *src, size_t cnt)
{
	*dst = cnt ? mem_calloc(cnt, sizeof(**dst)) : NULL;
	*n = 0;
	if (cnt && !*dst)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		if (!src[i].key || (i && strcmp(src[i - 1].key, src[i].key) >= 0))
			return -EINVAL;
		if (!((*dst)[i].key = mem_strdup(src[i].key)))
			return -ENOMEM;
		(*dst)[i].version = src[i].version;
		(*n)++;
	}
	return 0;
}

/* The end of the range both listings cover; NULL when both ended. */
static const char *range_end(const struct pg_peer_bf *bf)
{
	const char *own = bf->n_own ? bf->own[bf->n_own - 1].key : NULL;
	const char *tgt = bf->n_tgt ? bf->tgt[bf->n_tgt - 1].key : NULL;
	if (bf->own_end && bf->tgt_end)
		return NULL;
	if (bf->own_end)
		return tgt ? tgt : bf->cursor;
	if (bf->tgt_end)
		return own ? own : bf->cursor;
	return pg_peer_str_cmp(own, tgt) < 0 ? own : tgt;
}

static bool in_range(const struct pg_peer_bf *bf, const char *key)
{
	return !bf->all && pg_peer_str_cmp(key, bf->cursor) > 0 &&
	       (!bf->hi || strcmp(key, bf->hi) <= 0);
}

/* Our objects in the range: the listing, corrected by writes since. */
static int own_view(const struct pg_peer_bf *bf, struct pg_peer_mset *own)
{
	for (size_t i = 0; i < bf->n_own; i++)
		if (in_range(bf, bf->own[i].key) &&
		    pg_peer_mset_set(own, bf->own[i].key, bf->own[i].version, false) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < bf->dirty.n; i++) {
		const struct pg_peer_missing_item *d = &bf->dirty.it[i];
		if (!in_range(bf, d->key))
			continue;
		if (d->deleted)
			pg_peer_mset_del(own, d->key);
		else if (pg_peer_mset_set(own, d->key, d->need, false) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int bf_push(struct pg_peer *p, struct pg_peer_peer *pe, const char *key,
                   struct pg_peer_eversion v, bool deleted, struct pg_peer_actions *a)
{
	struct pg_peer_work *w = pg_peer_push_work(p, key, v, deleted, true, a);
	if (!w)
		return -ENOMEM;
	w->targets[w->n_targets++] = pe->osd;
	return pg_peer_mset_set(&pe->bf.pushing, key, v, deleted);
}

static void bf_advance(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_bf *bf = &pe->bf;
	if (bf->hi) {
		char *c = mem_strdup(bf->hi);
		if (!c) {
			pg_peer_fail(p, a);
			return;
		}
		mem_free(bf->cursor);
		bf->cursor = c;
	} else {
		bf->all = true; /* every key is settled */
	}
	bf->ph = BF_PROGRESS;
	bf->settled = p->log.head;
	send_progress(p, pe, a);
}

/* Settles (cursor, hi]: push what differs, remove what we do not have. */
static int bf_process(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_bf *bf = &pe->bf;
	struct pg_peer_mset own = { 0 };
	const char *hi = range_end(bf);
	int rc = -ENOMEM;
	if (hi && !(bf->hi = mem_strdup(hi)))
		return -ENOMEM;
	if (own_view(bf, &own) < 0)
		goto out;
	for (size_t i = 0; i < own.n; i++) {
		const struct pg_peer_missing_item *o = &own.it[i];
		const struct pg_peer_obj *t = NULL;
		for (size_t k = 0; k < bf->n_tgt && !t; k++)
			t = strcmp(bf->tgt[k].key, o->key) ? NULL : &bf->tgt[k];
		if ((!t || pg_peer_ev_cmp(t->version, o->need)) &&
		    bf_push(p, pe, o->key, o->need, false, a) < 0)
			goto out;
	}
	for (size_t k = 0; k < bf->n_tgt; k++) {
		const struct pg_peer_obj *t = &bf->tgt[k];
		const struct pg_peer_entry *le = pg_peer_log_latest(&p->log, t->key);
		/* the removal carries our newest version of the key, so that the
		 * target can tell it from a stale one */
		if (in_range(bf, t->key) && !pg_peer_mset_find(&own, t->key) &&
		    bf_push(p, pe, t->key, le ? le->version : t->version, true, a) < 0)
			goto out;
	}
	bf->ph = BF_PUSHING;
	if (!bf->pushing.n)
		bf_advance(p, pe, a);
	rc = 0;
out:
	pg_peer_mset_fini(&own);
	return rc;
}

static void maybe_process(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	if (pe->bf.have_own && pe->bf.have_tgt && bf_process(p, pe, a) < 0)
		pg_peer_fail(p, a);
	pg_peer_update_state(p, a);
}

static struct pg_peer_peer *bf_target(struct pg_peer *p, int32_t osd, uint64_t tag,
                                      enum bf_phase ph)
{
	struct pg_peer_peer *pe = pg_peer_find_peer(p, osd, NULL);
	if (p->phase != PH_ACTIVE || !pe || pe->role != ROLE_BACKFILL || pe->bf.ph != ph ||
	    pe->bf.tag != tag)
		return NULL;
	return pe;
}

int pg_peer_on_scan_reply(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	struct pg_peer_peer *pe = bf_target(p, m->from, m->tag, BF_LISTING);
	if (!pe || pe->bf.have_tgt)
		return -ESTALE;
	int rc = copy_objs(&pe->bf.tgt, &pe->bf.n_tgt, m->objs, m->n_objs);
	if (rc == -ENOMEM)
		return pg_peer_fail(p, a);
	if (rc < 0) {
		objs_free(&pe->bf.tgt, &pe->bf.n_tgt);
		return -EBADMSG;
	}
	pe->bf.have_tgt = true;
	pe->bf.tgt_end = m->done;
	p->idle_ticks = 0;
	maybe_process(p, pe, a);
	return 0;
}

int pg_peer_bf_list_done(struct pg_peer *p, uint64_t tag, const struct pg_peer_obj *objs, size_t n,
                         bool end, struct pg_peer_actions *a)
{
	struct pg_peer_peer *pe = NULL;
	for (size_t j = 1; j < p->n_peers && !pe; j++)
		pe = bf_target(p, p->peers[j].osd, tag, BF_LISTING);
	if (!pe || pe->bf.have_own)
		return -ESTALE;
	int rc = copy_objs(&pe->bf.own, &pe->bf.n_own, objs, n);
	if (rc == -ENOMEM)
		return pg_peer_fail(p, a);
	if (rc < 0) {
		objs_free(&pe->bf.own, &pe->bf.n_own);
		return rc;
	}
	pe->bf.have_own = true;
	pe->bf.own_end = end;
	maybe_process(p, pe, a);
	return 0;
}

int pg_peer_bf_acked(struct pg_peer *p, int32_t osd, const char *key, struct pg_peer_eversion v,
                     struct pg_peer_actions *a)
{
	struct pg_peer_peer *pe = pg_peer_find_peer(p, osd, NULL);
	if (!pe || pe->role != ROLE_BACKFILL || pe->bf.ph != BF_PUSHING)
		return -ESTALE;
	const struct pg_peer_missing_item *it = pg_peer_mset_find(&pe->bf.pushing, key);
	if (!it || pg_peer_ev_cmp(it->need, v))
		return -ESTALE;
	pg_peer_mset_del(&pe->bf.pushing, key);
	p->idle_ticks = 0;
	if (!pe->bf.pushing.n)
		bf_advance(p, pe, a);
	pg_peer_update_state(p, a);
	return 0;
}

int pg_peer_on_progress_ack(struct pg_peer *p, const struct pg_peer_msg *m,
                            struct pg_peer_actions *a)
{
	struct pg_peer_peer *pe = bf_target(p, m->from, m->tag, BF_PROGRESS);
	if (!pe || m->done != (pe->bf.hi == NULL))
		return -ESTALE;
	pe->bf.ph = m->done ? BF_DONE : BF_IDLE;
	if (m->done)
		pe->candidate = false; /* complete now, but not a source until re-peered */
	bf_round_reset(&pe->bf);
	p->idle_ticks = 0;
	pg_peer_recover(p, a);
	return 0;
}

void pg_peer_bf_note_write(struct pg_peer *p, const struct pg_peer_entry *e)
{
	for (size_t j = 1; j < p->n_peers; j++) {
		struct pg_peer_bf *bf = &p->peers[j].bf;
		if (p->peers[j].role != ROLE_BACKFILL || bf->ph != BF_LISTING ||
		    pg_peer_str_cmp(e->key, bf->cursor) <= 0)
			continue;
		if (pg_peer_mset_set(&bf->dirty, e->key, e->version, e->op == PG_PEER_LOG_DELETE) <
		    0)
			p->broken = -ENOMEM;
	}
}

bool pg_peer_bf_blocks(const struct pg_peer *p, const char *key)
{
	for (size_t j = 1; j < p->n_peers; j++) {
		const struct pg_peer_bf *bf = &p->peers[j].bf;
		if (p->peers[j].role == ROLE_BACKFILL && bf->ph == BF_PUSHING && in_range(bf, key))
			return true;
	}
	return false;
}

bool pg_peer_bf_with_data(const struct pg_peer_peer *pe, const char *key)
{
	return pe->bf.ph == BF_DONE || pe->bf.all || pg_peer_str_cmp(key, pe->bf.cursor) <= 0;
}
