/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_primary.c - the primary's peering: the query set, info
 * gathering, the down check on past intervals, the authoritative log, the
 * wanted acting set (pg_temp), the unfound check and activation (README
 * "algorithm"). Recovery and backfill continue in pg_peer_recovery.c. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "osd/peering/peering_int.h"

static const char WHY_DOWN[] = "a past interval that may have gone read-write has no survivor";
static const char WHY_HISTORY[] = "no copy that answered knows the PG's history back far enough";
static const char WHY_NOLOG[] = "no complete copy that the log can bring up to date";
static const char WHY_UNFOUND[] = "objects without any complete copy";
static const char WHY_MIN[] = "fewer usable copies than min_size";
static const char WHY_TEMP[] = "waiting for the temporary acting set";
static const char WHY_UP_THRU[] = "waiting for the monitors to record up_thru";

static void peer_fini(struct pg_peer_peer *pe)
{
	pg_peer_info_fini(&pe->info);
	pg_peer_log_fini(&pe->log);
	pg_peer_mset_fini(&pe->missing);
	pg_peer_mset_fini(&pe->reported);
	mem_free(pe->act_msg);
	pg_peer_bf_fini(&pe->bf);
}

void pg_peer_peers_fini(struct pg_peer *p)
{
	for (size_t i = 0; i < p->n_peers; i++)
		peer_fini(&p->peers[i]);
	mem_free(p->peers);
	p->peers = NULL;
	p->n_peers = 0;
}

const struct pg_peer_log *pg_peer_peer_log(const struct pg_peer *p, size_t i)
{
	return i ? &p->peers[i].log : &p->log;
}

static const struct pg_peer_info *peer_info(const struct pg_peer *p, size_t i)
{
	return i ? &p->peers[i].info : &p->info;
}

static const struct pg_peer_mset *peer_reported(const struct pg_peer *p, size_t i)
{
	return i ? &p->peers[i].reported : &p->missing;
}

static bool usable(const struct pg_peer *p, size_t i)
{
	const struct pg_peer_peer *pe = &p->peers[i];
	return pe->responded && (i == 0 || pe->up);
}

static void add_peer(struct pg_peer *p, int32_t osd)
{
	if (pg_peer_find_peer(p, osd, NULL) || p->n_peers >= PG_PEER_MAX_PEERS)
		return;
	struct pg_peer_peer *pe = &p->peers[p->n_peers++];
	memset(pe, 0, sizeof(*pe));
	pe->osd = osd;
	pe->up = pg_peer_osd_is_up(p, osd);
}

static void send_query(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	pg_peer_msg_header(p, &m, PG_PEER_MSG_QUERY);
	pg_peer_act_send(a, pe->osd, &m);
}

/* Adds the acting OSDs of every past interval to the query set, newest
 * first, and queries the new ones that are up (a NULL: the first round,
 * sent by the caller). */
static void add_past_peers(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (uint32_t k = p->info.n_past; k-- > 0;) {
		const struct pg_peer_interval *pi = &p->info.past[k];
		for (uint8_t i = 0; i < pi->n_acting; i++) {
			size_t n = p->n_peers;
			if (pi->acting[i] < 0)
				continue;
			add_peer(p, pi->acting[i]);
			if (a && p->n_peers > n && p->peers[n].up)
				send_query(p, &p->peers[n], a);
		}
	}
}

/* Everyone who may hold data of the PG: the up and acting sets and the
 * acting sets of every past interval since the last clean epoch (those
 * this copy knows; the answers may teach it older ones: learn_history). */
static int build_query_set(struct pg_peer *p)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	p->peers = mem_calloc(PG_PEER_MAX_PEERS, sizeof(*p->peers));
	if (!p->peers)
		return -ENOMEM;
	add_peer(p, p->whoami);
	p->peers[0].responded = p->peers[0].up = true;
	for (uint8_t i = 0; i < c->n_acting; i++)
		add_peer(p, c->acting[i]);
	for (uint8_t i = 0; i < c->n_up; i++)
		add_peer(p, c->up[i]);
	add_past_peers(p, NULL);
	return 0;
}

static void query_pending(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (size_t i = 1; i < p->n_peers; i++)
		if (p->peers[i].up && !p->peers[i].responded)
			send_query(p, &p->peers[i], a);
}

static void decide(struct pg_peer *p, struct pg_peer_actions *a);

static void maybe_decide(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (size_t i = 1; i < p->n_peers; i++)
		if (p->peers[i].up && !p->peers[i].responded)
			return;
	decide(p, a);
}

void pg_peer_start_peering(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (build_query_set(p) < 0) {
		pg_peer_fail(p, a);
		return;
	}
	p->phase = PH_GETINFO;
	pg_peer_update_state(p, a);
	query_pending(p, a);
	maybe_decide(p, a);
}

/* Same interval, new map: OSDs of the query set came up or went down. */
void pg_peer_map_changed(struct pg_peer *p, struct pg_peer_actions *a)
{
	for (size_t i = 1; i < p->n_peers; i++) {
		struct pg_peer_peer *pe = &p->peers[i];
		bool up = pg_peer_osd_is_up(p, pe->osd);
		if (up && !pe->up) {
			pe->responded = false; /* it restarted: ask again */
			send_query(p, pe, a);
		}
		pe->up = up;
	}
	if (p->phase == PH_ACTIVE || p->phase == PH_ACTIVATING)
		pg_peer_recover(p, a);
	else
		maybe_decide(p, a);
}

/* Copies the answer of a peer. -EBADMSG: its log is not in version order
 * after its tail (dropped), -ENOMEM. */
static int take_info(struct pg_peer_peer *pe, const struct pg_peer_msg *m)
{
	struct pg_peer_log l = { .tail = m->info.log_tail, .head = m->info.log_tail };
	struct pg_peer_mset ms = { 0 };
	struct pg_peer_info info;
	int rc = 0;
	for (uint32_t i = 0; i < m->n_entries && !rc; i++)
		rc = pg_peer_log_append(&l, &m->entries[i]);
	if (rc == 0 && pg_peer_ev_cmp(l.head, m->info.last_update) > 0)
		rc = -EINVAL;
	if (rc < 0)
		goto out_free;
	l.head = m->info.last_update;
	for (uint32_t i = 0; i < m->n_missing && !rc; i++)
		rc = pg_peer_mset_set(&ms, m->missing[i].key, m->missing[i].need,
		                      m->missing[i].deleted);
	if (rc < 0 || (rc = pg_peer_info_copy(&info, &m->info)) < 0)
		goto out_free;
	mem_free(info.past);
	info.past = NULL;
	info.n_past = 0;
	peer_fini(pe);
	pe->info = info;
	pe->log = l;
	pe->reported = ms;
	return 0;
out_free:
	pg_peer_log_fini(&l);
	pg_peer_mset_fini(&ms);
	return rc == -EINVAL ? -EBADMSG : rc;
}

/* A copy that knows older history than ours (a new copy knows nothing
 * before the map it was created in): take its past intervals, persist
 * them, and query the acting OSDs of those we did not know. */
static void learn_history(struct pg_peer *p, const struct pg_peer_info *from,
                          struct pg_peer_actions *a)
{
	int rc = pg_peer_learn_past(&p->info, from);
	if (rc < 0) {
		pg_peer_fail(p, a);
		return;
	}
	if (rc == 0)
		return;
	add_past_peers(p, a);
	pg_peer_act_info(p, a);
}

static int merge_one(struct pg_peer *p, size_t i);

void pg_peer_on_info(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	size_t i;
	struct pg_peer_peer *pe = pg_peer_find_peer(p, m->from, &i);
	if (p->phase == PH_IDLE || !pe || pe->responded || !i)
		return;
	if (p->phase != PH_ACTIVE && p->phase != PH_ACTIVATING)
		learn_history(p, &m->info, a);
	int rc = take_info(pe, m);
	if (rc < 0) {
		if (rc == -ENOMEM)
			pg_peer_fail(p, a);
		return;
	}
	pe->responded = true;
	pe->up = pg_peer_osd_is_up(p, pe->osd);
	p->idle_ticks = 0;
	if (p->phase == PH_ACTIVE || p->phase == PH_ACTIVATING) {
		/* a late stray: a possible source of missing objects */
		if (merge_one(p, i) < 0)
			pg_peer_fail(p, a);
		pg_peer_recover(p, a);
		return;
	}
	maybe_decide(p, a);
}

/* ---- decide ---- */

/* A copy that may serve objects and be primary: it answered in this
 * interval, is up, and is not in the middle of a backfill. */
static bool eligible(const struct pg_peer *p, size_t i)
{
	return usable(p, i) && peer_info(p, i)->backfill_complete;
}

/* Down: some interval since the newest activation any answering copy took
 * part in may have accepted writes, and none of its acting OSDs answered.
 * Every copy's log counts here, a backfilling one's too: its log is the
 * whole authoritative log of the interval that activated it (README "why
 * it is safe"). */
static bool check_down(struct pg_peer *p, struct pg_peer_actions *a)
{
	uint32_t les = 0;
	for (size_t i = 0; i < p->n_peers; i++)
		if (usable(p, i) && peer_info(p, i)->last_epoch_started > les)
			les = peer_info(p, i)->last_epoch_started;
	for (uint32_t k = 0; k < p->info.n_past; k++) {
		const struct pg_peer_interval *pi = &p->info.past[k];
		bool survivor = false;
		if (!pi->maybe_went_rw || pi->last < les)
			continue;
		for (uint8_t j = 0; j < pi->n_acting && !survivor; j++) {
			size_t idx;
			survivor = pg_peer_find_peer(p, pi->acting[j], &idx) && usable(p, idx);
		}
		if (!survivor) {
			pg_peer_block(p, PH_DOWN, WHY_DOWN, pi->acting[0], a);
			return true;
		}
	}
	return false;
}

/* History: the primary must know every interval since the PG was created
 * or last clean before it can tell which ones may have gone read-write.
 * A copy created after that (the OSD gets maps from then on only) learns
 * the older intervals from the answers (learn_history). If no answer knows
 * them, nobody in the query set is known to hold the PG: ask every up OSD
 * (those that do not hold it answer empty) and wait, `down`, until one that
 * knows answers. */
static bool check_history(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (pg_peer_history_is_complete(&p->info))
		return false;
	for (size_t k = 0; k < p->n_up_osds; k++) {
		size_t n = p->n_peers;
		add_peer(p, p->up_osds[k]);
		if (p->n_peers > n)
			send_query(p, &p->peers[n], a);
	}
	pg_peer_block(p, PH_DOWN, WHY_HISTORY, PG_PEER_NONE, a);
	return true;
}

/* Is peer i a better source of the authoritative log than peer b? The
 * newest activation first; then a complete copy (a backfilling one may
 * hold log-only entries of writes that were never acknowledged, whose data
 * no copy has); then the newest entry; then the longer log. */
static bool better_log(const struct pg_peer *p, size_t i, size_t b)
{
	const struct pg_peer_info *x = peer_info(p, i), *y = peer_info(p, b);
	const struct pg_peer_log *lx = pg_peer_peer_log(p, i), *ly = pg_peer_peer_log(p, b);
	if (x->last_epoch_started != y->last_epoch_started)
		return x->last_epoch_started > y->last_epoch_started;
	if (x->backfill_complete != y->backfill_complete)
		return x->backfill_complete;
	if (pg_peer_ev_cmp(lx->head, ly->head))
		return pg_peer_ev_cmp(lx->head, ly->head) > 0;
	if (pg_peer_ev_cmp(lx->tail, ly->tail))
		return pg_peer_ev_cmp(lx->tail, ly->tail) < 0; /* longer log */
	return false;                                          /* ties: the earlier (self first) */
}

static bool choose_auth(struct pg_peer *p)
{
	bool found = false;
	for (size_t i = 0; i < p->n_peers; i++) {
		if (!usable(p, i))
			continue;
		if (!found || better_log(p, i, p->auth))
			p->auth = i;
		found = true;
	}
	return found;
}

/* Peer i against the auth log: candidate (log recovery) or backfill. */
static int merge_one(struct pg_peer *p, size_t i)
{
	struct pg_peer_peer *pe = &p->peers[i];
	const struct pg_peer_log *auth = pg_peer_peer_log(p, p->auth);
	pe->candidate = false;
	if (!eligible(p, i))
		return 0;
	int rc = pg_peer_merge(auth, pg_peer_peer_log(p, i), peer_reported(p, i), &pe->div,
	                       &pe->missing);
	if (rc < 0)
		return rc;
	pe->candidate = rc == 1;
	return 0;
}

static bool want_has(const struct pg_peer *p, int32_t osd)
{
	for (uint8_t i = 0; i < p->n_want; i++)
		if (p->want[i] == osd)
			return true;
	return false;
}

static bool is_cand(struct pg_peer *p, int32_t osd)
{
	struct pg_peer_peer *pe = pg_peer_find_peer(p, osd, NULL);
	return pe && pe->candidate;
}

static void want_add(struct pg_peer *p, int32_t osd, uint8_t limit)
{
	if (p->n_want < limit && is_cand(p, osd) && !want_has(p, osd))
		p->want[p->n_want++] = osd;
}

/* The candidate with the best log (there is one: see decide). */
static size_t best_candidate(const struct pg_peer *p)
{
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].candidate && (best == SIZE_MAX || better_log(p, i, best)))
			best = i;
	return best;
}

static bool have_candidate(const struct pg_peer *p)
{
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].candidate)
			return true;
	return false;
}

/* The acting set we want: a usable primary (the up primary if it can be
 * recovered from the log, else the auth holder), the usable up members,
 * then stand-ins (acting first) for up members that need backfill. */
static void choose_want(struct pg_peer *p)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	uint8_t limit = c->n_up < c->size ? c->n_up : c->size;
	p->n_want = 0;
	if (c->n_up && is_cand(p, c->up[0]))
		p->want[p->n_want++] = c->up[0];
	else
		p->want[p->n_want++] = p->peers[best_candidate(p)].osd;
	if (limit < 1)
		limit = 1;
	for (uint8_t i = 0; i < c->n_up; i++)
		want_add(p, c->up[i], limit);
	for (uint8_t i = 0; i < c->n_acting; i++)
		want_add(p, c->acting[i], limit);
	for (size_t i = 0; i < p->n_peers; i++)
		want_add(p, p->peers[i].osd, limit);
}

bool pg_peer_same_set(const int32_t *x, uint8_t nx, const int32_t *y, uint8_t ny)
{
	if (nx != ny || (nx && x[0] != y[0]))
		return false;
	for (uint8_t i = 0; i < nx; i++) {
		bool found = false;
		for (uint8_t j = 0; j < ny && !found; j++)
			found = x[i] == y[j];
		if (!found)
			return false;
	}
	return true;
}

void pg_peer_ask_temp(struct pg_peer *p, const int32_t *osds, uint8_t n, struct pg_peer_actions *a)
{
	a->pg_temp = true;
	a->n_pg_temp = n;
	if (n)
		memcpy(a->pg_temp_osds, osds, n * sizeof(osds[0]));
	p->want_temp = true;
}

/* Asks for pg_temp = want (or its removal when want is the up set). */
static void request_want(struct pg_peer *p, struct pg_peer_actions *a)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	if (pg_peer_same_set(p->want, p->n_want, c->up, c->n_up))
		pg_peer_ask_temp(p, NULL, 0, a);
	else
		pg_peer_ask_temp(p, p->want, p->n_want, a);
	pg_peer_block(p, PH_WAIT_ACTING, WHY_TEMP, p->want[0], a);
}

/* Some copy must hold every object the primary or an acting replica lacks. */
static bool has_source(const struct pg_peer *p, const struct pg_peer_missing_item *it)
{
	if (it->deleted)
		return true;
	for (size_t j = 1; j < p->n_peers; j++) {
		const struct pg_peer_peer *pe = &p->peers[j];
		if (pe->candidate && pe->up && pe->responded &&
		    !pg_peer_mset_find(&pe->missing, it->key))
			return true;
	}
	return false;
}

static bool check_unfound(struct pg_peer *p, struct pg_peer_actions *a)
{
	const struct pg_peer_mset *ms = &p->peers[0].missing;
	for (size_t i = 0; i < ms->n; i++) {
		if (!has_source(p, &ms->it[i])) {
			pg_peer_block(p, PH_INCOMPLETE, WHY_UNFOUND, PG_PEER_NONE, a);
			return true;
		}
	}
	return false;
}

static void activate(struct pg_peer *p, struct pg_peer_actions *a);

static void decide(struct pg_peer *p, struct pg_peer_actions *a)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	if (check_history(p, a) || check_down(p, a))
		return;
	if (!choose_auth(p)) {
		pg_peer_block(p, PH_INCOMPLETE, WHY_NOLOG, PG_PEER_NONE, a);
		return;
	}
	for (size_t i = 0; i < p->n_peers; i++)
		if (merge_one(p, i) < 0) {
			pg_peer_fail(p, a);
			return;
		}
	if (!have_candidate(p)) {
		pg_peer_block(p, PH_INCOMPLETE, WHY_NOLOG, PG_PEER_NONE, a);
		return;
	}
	choose_want(p);
	if (p->n_want < c->min_size) {
		pg_peer_block(p, PH_WAIT_MIN, WHY_MIN, PG_PEER_NONE, a);
		return;
	}
	if (!pg_peer_same_set(p->want, p->n_want, c->acting, c->n_acting)) {
		request_want(p, a);
		return;
	}
	if (check_unfound(p, a))
		return;
	if (p->info.up_thru < p->info.same_interval_since) {
		a->need_up_thru = p->info.same_interval_since;
		pg_peer_block(p, PH_WAIT_UP_THRU, WHY_UP_THRU, p->whoami, a);
		return;
	}
	activate(p, a);
}

/* ---- activate ---- */

/* The primary takes the auth log (if another copy holds it) and its own
 * missing set, then records that this interval started. */
static void activate_self(struct pg_peer *p, struct pg_peer_actions *a)
{
	struct pg_peer_mset *ms = &p->peers[0].missing;
	if (p->auth) {
		struct pg_peer_log l;
		if (pg_peer_log_copy(&l, &p->peers[p->auth].log) < 0) {
			pg_peer_fail(p, a);
			return;
		}
		pg_peer_log_fini(&p->log);
		p->log = l;
		p->auth = 0; /* from now on the primary's log is the authority */
		pg_peer_act_op(a, PG_PEER_OP_LOG_CLEAR);
		for (size_t i = 0; i < l.n; i++) {
			struct pg_peer_op *op = pg_peer_act_op(a, PG_PEER_OP_LOG_APPEND);
			if (op && pg_peer_entry_copy(&op->entry, &l.e[i]) < 0)
				pg_peer_fail(p, a);
		}
	}
	pg_peer_act_op(a, PG_PEER_OP_MISSING_CLEAR);
	for (size_t i = 0; i < ms->n; i++) {
		if (ms->it[i].deleted)
			pg_peer_act_key(a, PG_PEER_OP_OBJ_REMOVE, ms->it[i].key, ms->it[i].need);
		else
			pg_peer_act_missing(a, &ms->it[i]);
	}
	for (size_t i = ms->n; i-- > 0;)
		if (ms->it[i].deleted)
			pg_peer_mset_del(ms, ms->it[i].key);
	pg_peer_mset_fini(&p->missing);
	if (pg_peer_mset_copy(&p->missing, ms) < 0)
		pg_peer_fail(p, a);
	p->info.last_epoch_started = p->info.same_interval_since;
	pg_peer_act_info(p, a);
}

static void build_activate(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	struct enc e;
	size_t first = 0;
	pg_peer_msg_header(p, &m, PG_PEER_MSG_ACTIVATE);
	m.info = p->info; /* with the past intervals: a new replica learns them */
	m.backfill = pe->role == ROLE_BACKFILL;
	m.truncate = m.backfill ? p->log.tail : pe->div;
	while (first < p->log.n && pg_peer_ev_cmp(p->log.e[first].version, m.truncate) <= 0)
		first++;
	m.entries = p->log.e + first;
	m.n_entries = (uint32_t)(p->log.n - first);
	if (!m.backfill) {
		m.missing = pe->missing.it;
		m.n_missing = (uint32_t)pe->missing.n;
	}
	enc_init(&e);
	pg_peer_msg_encode(&e, &m);
	if (enc_error(&e))
		pg_peer_fail(p, a);
	mem_free(pe->act_msg);
	pe->act_msg = enc_take(&e, &pe->act_len);
	enc_fini(&e);
}

void pg_peer_resend_activate(struct pg_peer *p, struct pg_peer_peer *pe, struct pg_peer_actions *a)
{
	if (mem_grow(&a->msgs, sizeof(*a->msgs), &a->cap_msgs, a->n_msgs + 1) < 0) {
		pg_peer_fail(p, a);
		return;
	}
	uint8_t *copy = mem_malloc(pe->act_len);
	if (!copy) {
		pg_peer_fail(p, a);
		return;
	}
	memcpy(copy, pe->act_msg, pe->act_len);
	a->msgs[a->n_msgs++] =
	    (struct pg_peer_msg_out){ .to = pe->osd, .data = copy, .len = pe->act_len };
}

static void activate(struct pg_peer *p, struct pg_peer_actions *a)
{
	const struct pg_peer_mapping *c = &p->info.cur;
	activate_self(p, a);
	for (size_t i = 1; i < p->n_peers && !a->err; i++) {
		struct pg_peer_peer *pe = &p->peers[i];
		pe->role = pg_peer_in_acting(p, pe->osd) ? ROLE_ACTING
		           : pg_peer_in_up(p, pe->osd)   ? ROLE_BACKFILL
		                                         : ROLE_STRAY;
		if (pe->role == ROLE_BACKFILL) {
			pg_peer_mset_fini(&pe->missing);
			pe->candidate = false;
		}
		if (pe->role == ROLE_STRAY)
			continue;
		pe->committed = p->log.head; /* acked only once it logged all of it */
		build_activate(p, pe, a);
		if (pe->act_msg)
			pg_peer_resend_activate(p, pe, a);
	}
	(void)c;
	p->reason = NULL;
	p->reason_osd = PG_PEER_NONE;
	p->phase = PH_ACTIVATING;
	p->idle_ticks = 0;
	pg_peer_on_activate_ack(p, NULL, a);
}

void pg_peer_on_activate_ack(struct pg_peer *p, const struct pg_peer_msg *m,
                             struct pg_peer_actions *a)
{
	struct pg_peer_peer *pe = m ? pg_peer_find_peer(p, m->from, NULL) : NULL;
	if (p->phase != PH_ACTIVATING)
		return;
	if (pe)
		pe->acked = true;
	for (size_t i = 1; i < p->n_peers; i++)
		if (p->peers[i].role != ROLE_STRAY && !p->peers[i].acked) {
			pg_peer_update_state(p, a);
			return;
		}
	p->phase = PH_ACTIVE;
	p->info.history_les = p->info.same_interval_since; /* every copy has it now */
	for (size_t i = 1; i < p->n_peers; i++)
		pg_peer_log_fini(&p->peers[i].log);
	pg_peer_recover(p, a);
}

/* ---- ticks and state ---- */

void pg_peer_primary_tick(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (p->phase == PH_ACTIVE)
		pg_peer_recovery_tick(p, a);
	if (++p->idle_ticks < p->cfg.resend_ticks)
		return;
	p->idle_ticks = 0;
	if (p->want_temp && p->phase == PH_WAIT_ACTING)
		request_want(p, a);
	if (p->phase == PH_WAIT_UP_THRU)
		a->need_up_thru = p->info.same_interval_since;
	if (p->want_temp && p->phase == PH_ACTIVE) {
		p->want_temp = false; /* pg_peer_recover asks again */
		pg_peer_recover(p, a);
	}
	if (p->phase != PH_ACTIVATING && p->phase != PH_ACTIVE) {
		query_pending(p, a);
		return;
	}
	for (size_t i = 1; i < p->n_peers; i++) {
		struct pg_peer_peer *pe = &p->peers[i];
		if (p->phase == PH_ACTIVATING && pe->role != ROLE_STRAY && !pe->acked &&
		    pe->act_msg)
			pg_peer_resend_activate(p, pe, a);
		else if (p->phase == PH_ACTIVE && pe->up && !pe->responded)
			send_query(p, pe, a);
	}
}
