/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_recovery.c - the active primary: client writes (log
 * append, repop targets, trimming), log-based recovery (pull to the primary
 * with one read at the source fanning out to every replica that lacks the
 * object; push from the primary otherwise), the clean check and the state
 * bits. Backfill lives in pg_peer_backfill.c.
 *
 * Recovery order: objects the primary lacks are pulled first (their PULL
 * names the replicas that lack them too, so the source reads once); objects
 * only replicas lack are pushed by the primary, one read per object for all
 * of them; backfill starts when nothing is missing; clean when backfill is
 * done and acting == up with size members. Writes to an object wait while
 * any copy in acting (or a backfill range in flight) lacks it. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "osd/peering/peering_int.h"

void pg_peer_recs_fini(struct pg_peer *p)
{
	for (size_t i = 0; i < p->n_recs; i++)
		mem_free(p->recs[i].key);
	mem_free(p->recs);
	p->recs = NULL;
	p->n_recs = p->cap_recs = 0;
}

static struct pg_peer_rec *rec_find(const struct pg_peer *p, const char *key)
{
	for (size_t i = 0; i < p->n_recs; i++)
		if (!strcmp(p->recs[i].key, key))
			return &p->recs[i];
	return NULL;
}

static void rec_del(struct pg_peer *p, struct pg_peer_rec *r)
{
	mem_free(r->key);
	*r = p->recs[--p->n_recs];
}

static struct pg_peer_rec *rec_add(struct pg_peer *p, const struct pg_peer_missing_item *it,
                                   uint64_t pending, int src)
{
	if (mem_grow(&p->recs, sizeof(*p->recs), &p->cap_recs, p->n_recs + 1) < 0)
		return NULL;
	char *k = mem_strdup(it->key);
	if (!k)
		return NULL;
	struct pg_peer_rec *r = &p->recs[p->n_recs++];
	*r = (struct pg_peer_rec){
		.key = k, .v = it->need, .deleted = it->deleted, .pending = pending, .src = src
	};
	return r;
}

/* A copy that holds key at the auth version (not the primary). */
static int pick_source(const struct pg_peer *p, const char *key)
{
	for (size_t j = 1; j < p->n_peers; j++) {
		const struct pg_peer_peer *pe = &p->peers[j];
		if (pe->candidate && pe->up && pe->responded && pe->role != ROLE_BACKFILL &&
		    !pg_peer_mset_find(&pe->missing, key))
			return (int)j;
	}
	return -1;
}

/* Acting replicas that lack it->key at the same version. */
static uint64_t lacking(const struct pg_peer *p, const struct pg_peer_missing_item *it,
                        int32_t *osds, uint8_t *n)
{
	uint64_t mask = 0;
	for (size_t j = 1; j < p->n_peers; j++) {
		const struct pg_peer_peer *pe = &p->peers[j];
		const struct pg_peer_missing_item *m = pg_peer_mset_find(&pe->missing, it->key);
		if (pe->role != ROLE_ACTING || !m || pg_peer_ev_cmp(m->need, it->need) ||
		    m->deleted != it->deleted || *n >= PG_PEER_MAX_SIZE)
			continue;
		mask |= 1ull << j;
		osds[(*n)++] = pe->osd;
	}
	return mask;
}

/* A PUSH work item from the primary itself. */
struct pg_peer_work *pg_peer_push_work(struct pg_peer *p, const char *key,
                                       struct pg_peer_eversion v, bool deleted, bool backfill,
                                       struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	struct enc e;
	struct pg_peer_work *w = pg_peer_act_work(a, PG_PEER_WORK_PUSH);
	if (!w)
		return NULL;
	pg_peer_msg_header(p, &m, PG_PEER_MSG_PUSH);
	m.key = (char *)key;
	m.version = v;
	m.deleted = deleted;
	m.backfill = backfill;
	m.primary = p->whoami;
	enc_init(&e);
	pg_peer_msg_encode(&e, &m);
	w->msg = enc_take(&e, &w->len);
	enc_fini(&e);
	w->key = mem_strdup(key);
	if (!w->msg || !w->key) {
		pg_peer_fail(p, a);
		return NULL;
	}
	w->version = v;
	w->deleted = deleted;
	return w;
}

static void send_pull(struct pg_peer *p, struct pg_peer_rec *r, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	pg_peer_msg_header(p, &m, PG_PEER_MSG_PULL);
	m.key = r->key;
	m.version = r->v;
	m.deleted = r->deleted;
	m.targets[m.n_targets++] = p->whoami;
	for (size_t j = 1; j < p->n_peers; j++)
		if (r->pending & (1ull << j))
			m.targets[m.n_targets++] = p->peers[j].osd;
	pg_peer_act_send(a, p->peers[r->src].osd, &m);
	r->age = 0;
}

static void send_push(struct pg_peer *p, struct pg_peer_rec *r, struct pg_peer_actions *a)
{
	struct pg_peer_work *w = pg_peer_push_work(p, r->key, r->v, r->deleted, false, a);
	if (!w)
		return;
	for (size_t j = 1; j < p->n_peers; j++)
		if (r->pending & (1ull << j))
			w->targets[w->n_targets++] = p->peers[j].osd;
	r->age = 0;
}

/* Starts recovery of objects the primary lacks; returns how many lack a source. */
static size_t start_pulls(struct pg_peer *p, struct pg_peer_actions *a)
{
	size_t unfound = 0;
	for (size_t i = 0; i < p->missing.n && !a->err; i++) {
		const struct pg_peer_missing_item *it = &p->missing.it[i];
		int32_t osds[PG_PEER_MAX_SIZE];
		uint8_t n = 0;
		if (rec_find(p, it->key))
			continue;
		int src = pick_source(p, it->key);
		if (src < 0) {
			unfound++;
			continue;
		}
		if (p->n_recs >= p->cfg.recovery_max)
			continue;
		uint64_t mask = lacking(p, it, osds, &n) | (1ull << PG_PEER_SELF);
		struct pg_peer_rec *r = rec_add(p, it, mask, src);
		if (!r) {
			pg_peer_fail(p, a);
			break;
		}
		send_pull(p, r, a);
	}
	return unfound;
}

/* Pushes what only replicas lack, one read per object for all of them. */
static void start_pushes(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (size_t j = 1; j < p->n_peers && !a->err; j++) {
		struct pg_peer_peer *pe = &p->peers[j];
		for (size_t i = 0; pe->role == ROLE_ACTING && i < pe->missing.n; i++) {
			const struct pg_peer_missing_item *it = &pe->missing.it[i];
			int32_t osds[PG_PEER_MAX_SIZE];
			uint8_t n = 0;
			if (p->n_recs >= p->cfg.recovery_max)
				return;
			if (pg_peer_mset_find(&p->missing, it->key) || rec_find(p, it->key))
				continue;
			struct pg_peer_rec *r = rec_add(p, it, lacking(p, it, osds, &n), 0);
			if (!r) {
				pg_peer_fail(p, a);
				return;
			}
			send_push(p, r, a);
		}
	}
}

/* Recoveries whose source went away start over from another one. */
static void drop_lost_sources(struct pg_peer *p)
{
	for (size_t i = p->n_recs; i-- > 0;) {
		struct pg_peer_rec *r = &p->recs[i];
		if (r->src > 0 && !p->peers[r->src].up)
			rec_del(p, r);
	}
}

static bool recovery_pending(const struct pg_peer *p)
{
	if (p->missing.n || p->n_recs)
		return true;
	for (size_t j = 1; j < p->n_peers; j++)
		if (p->peers[j].role == ROLE_ACTING && p->peers[j].missing.n)
			return true;
	return false;
}

static bool backfill_pending(const struct pg_peer *p)
{
	for (size_t j = 1; j < p->n_peers; j++)
		if (p->peers[j].role == ROLE_BACKFILL && p->peers[j].bf.ph != BF_DONE)
			return true;
	return false;
}

static void send_clean(struct pg_peer *p, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	p->info.last_epoch_clean = p->info.same_interval_since;
	pg_peer_prune_past(&p->info);
	pg_peer_act_info(p, a);
	pg_peer_msg_header(p, &m, PG_PEER_MSG_CLEAN);
	for (size_t j = 1; j < p->n_peers; j++)
		if (p->peers[j].role == ROLE_ACTING)
			pg_peer_act_send(a, p->peers[j].osd, &m);
	p->clean_sent = true;
}

/* Everything recovered and backfilled: drop pg_temp, or become clean. */
static void maybe_clean(struct pg_peer *p, struct pg_peer_actions *a)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	if (recovery_pending(p) || backfill_pending(p))
		return;
	if (!pg_peer_same_set(c->acting, c->n_acting, c->up, c->n_up)) {
		if (c->n_up == c->size && !p->want_temp)
			pg_peer_ask_temp(p, NULL, 0, a);
		return;
	}
	if (c->n_acting == c->size && !p->clean_sent)
		send_clean(p, a);
}

void pg_peer_recover(struct pg_peer *p, struct pg_peer_actions *a)
{
	size_t unfound = 0;
	if (p->phase == PH_ACTIVE) {
		drop_lost_sources(p);
		unfound = start_pulls(p, a);
		start_pushes(p, a);
		if (!recovery_pending(p))
			pg_peer_backfill(p, a);
		maybe_clean(p, a);
	}
	p->unfound = unfound > 0;
	p->reason = unfound ? "objects without any complete copy" : NULL;
	pg_peer_update_state(p, a);
}

/* Ticks of the active primary: resend recoveries that made no progress. */
void pg_peer_recovery_tick(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (size_t i = 0; i < p->n_recs; i++) {
		struct pg_peer_rec *r = &p->recs[i];
		if (++r->age < p->cfg.resend_ticks)
			continue;
		if (r->src > 0)
			send_pull(p, r, a);
		else
			send_push(p, r, a);
	}
	pg_peer_backfill_tick(p, a);
	pg_peer_recover(p, a);
}

static int recovered(struct pg_peer *p, int32_t osd, const char *key, struct pg_peer_eversion v,
                     struct pg_peer_actions *a)
{
	size_t idx = 0;
	struct pg_peer_rec *r = rec_find(p, key);
	if (osd != p->whoami && !pg_peer_find_peer(p, osd, &idx))
		return -ESTALE;
	unsigned bit = osd == p->whoami ? PG_PEER_SELF : (unsigned)idx;
	if (!r || pg_peer_ev_cmp(r->v, v) || !(r->pending & (1ull << bit)))
		return -ESTALE;
	r->pending &= ~(1ull << bit);
	if (bit != PG_PEER_SELF)
		pg_peer_mset_del(&p->peers[idx].missing, key);
	if (!r->pending)
		rec_del(p, r);
	pg_peer_recover(p, a);
	return 0;
}

int pg_peer_recovered(struct pg_peer *p, int32_t osd, const char *key, struct pg_peer_eversion v,
                      bool backfill, struct pg_peer_actions *a)
{
	if (p->broken)
		return p->broken;
	if (p->phase != PH_ACTIVE || !key)
		return -ESTALE;
	int rc = backfill ? pg_peer_bf_acked(p, osd, key, v, a) : recovered(p, osd, key, v, a);
	return pg_peer_finish(p, a, rc);
}

/* ---- client writes ---- */

bool pg_peer_can_read(const struct pg_peer *p, const char *key)
{
	return p->phase == PH_ACTIVE && p->info.cur.n_acting >= p->info.cur.min_size && key &&
	       !pg_peer_mset_find(&p->missing, key);
}

bool pg_peer_can_write(const struct pg_peer *p, const char *key)
{
	if (!pg_peer_can_read(p, key) || rec_find(p, key) || pg_peer_bf_blocks(p, key))
		return false;
	for (size_t j = 1; j < p->n_peers; j++)
		if (p->peers[j].role != ROLE_STRAY && pg_peer_mset_find(&p->peers[j].missing, key))
			return false;
	return true;
}

/* The newest version every acting replica has durably logged: the log is
 * never trimmed past it, so a replica that loses its uncommitted tail in a
 * crash still overlaps the primary's log. Backfill targets do not count
 * (they are backfilled from listings, not from the log). */
static struct pg_peer_eversion trim_bound(const struct pg_peer *p)
{
	struct pg_peer_eversion b = p->log.head;
	for (size_t j = 1; j < p->n_peers; j++) {
		const struct pg_peer_peer *pe = &p->peers[j];
		if (pe->role == ROLE_ACTING && pg_peer_ev_cmp(pe->committed, b) < 0)
			b = pe->committed;
	}
	return b;
}

/* Trims the log once it is long and every copy is complete, down to
 * log_keep entries but never past trim_bound. */
static void maybe_trim(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (p->log.n <= p->cfg.log_max || recovery_pending(p) || backfill_pending(p))
		return;
	struct pg_peer_eversion bound = trim_bound(p);
	size_t k = p->log.n - p->cfg.log_keep; /* entries [0, k) may go */
	while (k > 0 && pg_peer_ev_cmp(p->log.e[k - 1].version, bound) > 0)
		k--;
	if (!k)
		return;
	struct pg_peer_eversion to = p->log.e[k - 1].version;
	pg_peer_log_trim(&p->log, to);
	pg_peer_act_key(a, PG_PEER_OP_LOG_TRIM, NULL, to);
	a->trim_to = to;
}

/* Versions written before this interval are covered by the activation
 * point; a report of one (a late reply) changes nothing. */
int pg_peer_committed(struct pg_peer *p, int32_t osd, struct pg_peer_eversion v)
{
	size_t idx = 0;
	if (p->broken)
		return p->broken;
	struct pg_peer_peer *pe = p->phase == PH_ACTIVE ? pg_peer_find_peer(p, osd, &idx) : NULL;
	if (!pe || !idx || pe->role == ROLE_STRAY)
		return -ESTALE;
	if (v.epoch < p->info.same_interval_since)
		return 0;
	if (pg_peer_ev_cmp(v, p->log.head) > 0)
		return -EINVAL;
	if (pg_peer_ev_cmp(v, pe->committed) > 0)
		pe->committed = v;
	return 0;
}

int pg_peer_write(struct pg_peer *p, struct pg_peer_entry *e, struct pg_peer_actions *a)
{
	if (p->broken)
		return p->broken;
	if (!e->key || !*e->key || strlen(e->key) > PG_PEER_KEY_MAX ||
	    e->aux_len > PG_PEER_AUX_MAX ||
	    (e->op != PG_PEER_LOG_MODIFY && e->op != PG_PEER_LOG_DELETE))
		return -EINVAL;
	if (!pg_peer_can_write(p, e->key))
		return -EAGAIN;
	e->version = (struct pg_peer_eversion){ p->epoch, p->log.head.v + 1 };
	struct pg_peer_op *op = pg_peer_act_op(a, PG_PEER_OP_LOG_APPEND);
	if (pg_peer_log_append(&p->log, e) < 0 || !op || pg_peer_entry_copy(&op->entry, e) < 0)
		return pg_peer_fail(p, a);
	pg_peer_bf_note_write(p, e);
	a->n_targets = 0;
	for (size_t j = 1; j < p->n_peers; j++) {
		const struct pg_peer_peer *pe = &p->peers[j];
		if (pe->role == ROLE_STRAY)
			continue;
		a->targets[a->n_targets++] = (struct pg_peer_target){
			.osd = pe->osd,
			.with_data = pe->role == ROLE_ACTING || pg_peer_bf_with_data(pe, e->key),
		};
	}
	maybe_trim(p, a);
	pg_peer_act_info(p, a);
	return pg_peer_finish(p, a, 0);
}

/* ---- state ---- */

static uint32_t active_state(const struct pg_peer *p)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	uint32_t st = PG_PEER_ST_ACTIVE;
	if (c->n_acting < c->size)
		st |= PG_PEER_ST_UNDERSIZED | PG_PEER_ST_DEGRADED;
	if (!pg_peer_same_set(c->acting, c->n_acting, c->up, c->n_up))
		st |= PG_PEER_ST_REMAPPED;
	if (recovery_pending(p))
		st |= PG_PEER_ST_DEGRADED |
		      (p->n_recs ? PG_PEER_ST_RECOVERING : PG_PEER_ST_RECOVERY_WAIT);
	for (size_t j = 1; j < p->n_peers; j++) {
		enum bf_phase ph = p->peers[j].bf.ph;
		if (p->peers[j].role != ROLE_BACKFILL || ph == BF_DONE)
			continue;
		st |= ph == BF_IDLE ? PG_PEER_ST_BACKFILL_WAIT : PG_PEER_ST_BACKFILLING;
	}
	if (p->unfound)
		st |= PG_PEER_ST_UNFOUND;
	if (p->clean_sent)
		st |= PG_PEER_ST_CLEAN;
	return st;
}

void pg_peer_update_state(struct pg_peer *p, struct pg_peer_actions *a)
{
	uint32_t st = 0;
	switch (p->phase) {
	case PH_IDLE:
		break;
	case PH_GETINFO:
	case PH_WAIT_ACTING:
	case PH_WAIT_UP_THRU:
		st = PG_PEER_ST_PEERING;
		break;
	case PH_DOWN:
		st = PG_PEER_ST_PEERING | PG_PEER_ST_DOWN;
		break;
	case PH_INCOMPLETE:
		st = PG_PEER_ST_PEERING | PG_PEER_ST_INCOMPLETE;
		break;
	case PH_WAIT_MIN:
		st = PG_PEER_ST_PEERING | PG_PEER_ST_UNDERSIZED | PG_PEER_ST_DEGRADED;
		break;
	case PH_ACTIVATING:
		st = PG_PEER_ST_ACTIVATING;
		break;
	case PH_ACTIVE:
		st = active_state(p);
		break;
	}
	pg_peer_set_state(p, st, a);
}
