/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer.c - the peering core's lifecycle, map processing
 * (intervals and past intervals), message dispatch, ticks and queries. The
 * primary's decisions live in pg_peer_primary.c, the replica's answers in
 * pg_peer_replica.c, recovery and backfill in pg_peer_recovery.c.
 *
 * DESIGN
 *
 * Invariants (assert_peer_state):
 *   I1 the log is in strictly increasing version order, tail <= every
 *      entry <= head; info.last_update == head, info.log_tail == tail once
 *      persisted (pg_peer_act_info refreshes them).
 *   I2 the missing set is sorted by key without duplicates.
 *   I3 past intervals are ordered, disjoint, and end before
 *      same_interval_since; none ends before last_epoch_clean; none starts
 *      before past_from (what this copy knows of the PG's history).
 *   I4 phase != PH_IDLE only on the primary of the current mapping
 *      (cur.acting[0] == whoami); peers[0] is the primary itself.
 *   I5 phase == PH_ACTIVE => cur.n_acting >= cur.min_size, and every acting
 *      replica acked activation in this interval (last_epoch_started ==
 *      same_interval_since on each of them).
 *   I6 broken != 0 => every entry point fails with it.
 *
 * Phases of the primary (replicas and strays stay PH_IDLE):
 *
 *           new interval, we are acting[0]
 *   IDLE -----------------------------------> GETINFO --all up answered--> decide
 *     ^                                          ^                            |
 *     | new interval, not primary                | OSD up/down, new info      |
 *     |                                          +--- DOWN / INCOMPLETE / ----+
 *     |                                               WAIT_MIN / WAIT_ACTING / |
 *     |                                               WAIT_UP_THRU            |
 *     |                                                                       v
 *     +--------------------------------------- ACTIVE <--all acks-- ACTIVATING
 *
 *   edge                                 function
 *   any -> IDLE / GETINFO (new interval) pg_peer_advance_map -> new_interval
 *   GETINFO.. -> decide                  pg_peer_on_info, map_changed -> decide
 *   decide -> DOWN/INCOMPLETE/WAIT_*     decide (pg_peer_primary.c)
 *   WAIT_UP_THRU -> decide               pg_peer_map_changed (up_thru in the map)
 *   decide -> ACTIVATING                 activate
 *   ACTIVATING -> ACTIVE                 pg_peer_on_activate_ack
 *   ACTIVE (recovery, backfill, clean)   pg_peer_recover (pg_peer_recovery.c)
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "osd/peering/peering_int.h"

static void assert_peer_state(const struct pg_peer *p)
{
#ifndef NDEBUG
	const struct pg_peer_log *l = &p->log;
	assert(pg_peer_ev_cmp(l->tail, l->head) <= 0);
	for (size_t i = 0; i < l->n; i++) {
		assert(pg_peer_ev_cmp(l->e[i].version, l->tail) > 0);
		assert(!i || pg_peer_ev_cmp(l->e[i - 1].version, l->e[i].version) < 0);
	}
	assert(!l->n || !pg_peer_ev_cmp(l->e[l->n - 1].version, l->head));
	for (size_t i = 1; i < p->missing.n; i++)
		assert(strcmp(p->missing.it[i - 1].key, p->missing.it[i].key) < 0);
	for (uint32_t i = 0; i < p->info.n_past; i++) {
		assert(p->info.past[i].last < p->info.same_interval_since);
		assert(p->info.past[i].first >= p->info.past_from);
		assert(!i || p->info.past[i - 1].last < p->info.past[i].first);
	}
	assert(p->phase == PH_IDLE || (p->info.cur.n_acting && p->info.cur.acting[0] == p->whoami));
	assert(p->phase != PH_IDLE || !p->n_peers);
	assert(p->phase != PH_ACTIVE || p->info.cur.n_acting >= p->info.cur.min_size);
#else
	(void)p;
#endif
}

int pg_peer_fail(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (!a->err)
		a->err = -ENOMEM;
	if (!p->broken)
		p->broken = a->err;
	return p->broken;
}

/* Every entry point ends here: an allocation failure breaks the instance. */
int pg_peer_finish(struct pg_peer *p, struct pg_peer_actions *a, int rc)
{
	if (a->err && !p->broken)
		p->broken = a->err;
	if (p->broken)
		return p->broken;
	assert_peer_state(p);
	return rc;
}

static bool config_is_valid(const struct pg_peer_config *c)
{
	return c->resend_ticks && c->log_keep && c->log_keep < c->log_max && c->recovery_max &&
	       c->scan_max && c->scan_max <= PG_PEER_LIST_MAX;
}

static int load_state(struct pg_peer *p, const struct pg_peer_state *st)
{
	if (pg_peer_info_copy(&p->info, st->info) < 0)
		return -ENOMEM;
	p->log.tail = p->log.head = st->info->log_tail;
	for (size_t i = 0; i < st->n_log; i++) {
		int rc = pg_peer_log_append(&p->log, &st->log[i]);
		if (rc < 0)
			return rc;
	}
	if (pg_peer_ev_cmp(p->log.head, st->info->last_update) < 0)
		p->log.head = st->info->last_update; /* everything after the tail trimmed */
	for (size_t i = 0; i < st->n_missing; i++) {
		const struct pg_peer_missing_item *it = &st->missing[i];
		if (!it->key || !*it->key)
			return -EINVAL;
		if (pg_peer_mset_set(&p->missing, it->key, it->need, it->deleted) < 0)
			return -ENOMEM;
	}
	p->epoch = st->info->epoch;
	return 0;
}

int pg_peer_create(int32_t whoami, const struct pg_peer_config *cfg, const struct pg_peer_state *st,
                   struct pg_peer **out)
{
	if (whoami < 0 || !config_is_valid(cfg) || !st->info)
		return -EINVAL;
	struct pg_peer *p = mem_calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->whoami = whoami;
	p->cfg = *cfg;
	p->scan_from = PG_PEER_NONE;
	p->reason_osd = PG_PEER_NONE;
	int rc = load_state(p, st);
	if (rc < 0) {
		pg_peer_destroy(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pg_peer_destroy(struct pg_peer *p)
{
	if (!p)
		return;
	pg_peer_peers_fini(p);
	pg_peer_recs_fini(p);
	pg_peer_info_fini(&p->info);
	pg_peer_log_fini(&p->log);
	pg_peer_mset_fini(&p->missing);
	mem_free(p->up_osds);
	mem_free(p);
}

/* ---- helpers shared by the other files ---- */

void pg_peer_msg_header(const struct pg_peer *p, struct pg_peer_msg *m, uint8_t type)
{
	pg_peer_msg_init(m);
	m->type = type;
	m->pool = p->info.pool;
	m->ps = p->info.ps;
	m->from = p->whoami;
	m->epoch = p->epoch;
	m->interval = p->info.same_interval_since;
	m->primary = PG_PEER_NONE;
}

bool pg_peer_osd_is_up(const struct pg_peer *p, int32_t osd)
{
	size_t lo = 0, hi = p->n_up_osds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->up_osds[mid] == osd)
			return true;
		if (p->up_osds[mid] < osd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool osds_have(const int32_t *osds, uint8_t n, int32_t osd)
{
	for (uint8_t i = 0; i < n; i++)
		if (osds[i] == osd)
			return true;
	return false;
}

bool pg_peer_in_acting(const struct pg_peer *p, int32_t osd)
{
	return osds_have(p->info.cur.acting, p->info.cur.n_acting, osd);
}

bool pg_peer_in_up(const struct pg_peer *p, int32_t osd)
{
	return osds_have(p->info.cur.up, p->info.cur.n_up, osd);
}

struct pg_peer_peer *pg_peer_find_peer(struct pg_peer *p, int32_t osd, size_t *idx)
{
	for (size_t i = 0; i < p->n_peers; i++) {
		if (p->peers[i].osd == osd) {
			if (idx)
				*idx = i;
			return &p->peers[i];
		}
	}
	return NULL;
}

void pg_peer_set_state(struct pg_peer *p, uint32_t state, struct pg_peer_actions *a)
{
	if (state != p->state)
		a->state_changed = true;
	p->state = state;
	a->reason = p->reason;
	a->reason_osd = p->reason_osd;
}

void pg_peer_block(struct pg_peer *p, enum pg_peer_phase ph, const char *why, int32_t osd,
                   struct pg_peer_actions *a)
{
	p->phase = ph;
	p->reason = why;
	p->reason_osd = osd;
	pg_peer_update_state(p, a);
}

/* ---- maps ---- */

static bool mapping_eq(const struct pg_peer_mapping *a, const struct pg_peer_mapping *b)
{
	return a->n_up == b->n_up && a->n_acting == b->n_acting && a->size == b->size &&
	       a->min_size == b->min_size && !memcmp(a->up, b->up, a->n_up * sizeof(a->up[0])) &&
	       !memcmp(a->acting, b->acting, a->n_acting * sizeof(a->acting[0]));
}

static int set_up_osds(struct pg_peer *p, const struct pg_peer_map *map)
{
	if (mem_grow(&p->up_osds, sizeof(*p->up_osds), &p->cap_up_osds, map->n_up_osds) < 0)
		return -ENOMEM;
	if (map->n_up_osds)
		memcpy(p->up_osds, map->up_osds, map->n_up_osds * sizeof(*p->up_osds));
	p->n_up_osds = map->n_up_osds;
	return 0;
}

/* Records the interval that ends at last. It may have gone read-write only
 * if its primary saw the monitors record up_thru >= its first epoch: that
 * is asked for, and waited for, before every activation. The first interval
 * of a copy created after the PG (past_from) may have begun earlier than
 * this copy saw: its up_thru test proves nothing, it counts as read-write. */
static int record_past(struct pg_peer_info *i, uint32_t last)
{
	const struct pg_peer_mapping *c = &i->cur;
	size_t cap = i->n_past;
	if (!c->n_acting || i->same_interval_since > last)
		return 0;
	if (mem_grow(&i->past, sizeof(*i->past), &cap, i->n_past + 1) < 0)
		return -ENOMEM;
	struct pg_peer_interval *pi = &i->past[i->n_past++];
	memset(pi, 0, sizeof(*pi));
	pi->first = i->same_interval_since;
	pi->last = last;
	pi->n_acting = c->n_acting;
	memcpy(pi->acting, c->acting, c->n_acting * sizeof(c->acting[0]));
	pi->maybe_went_rw = c->n_acting >= c->min_size && (i->up_thru >= i->same_interval_since ||
	                                                   i->same_interval_since == i->past_from);
	return 0;
}

/* Forgets past intervals that ended before the last clean epoch. */
void pg_peer_prune_past(struct pg_peer_info *i)
{
	uint32_t k = 0;
	while (k < i->n_past && i->past[k].last < i->last_epoch_clean)
		k++;
	if (!k)
		return;
	memmove(i->past, i->past + k, (i->n_past - k) * sizeof(*i->past));
	i->n_past -= k;
}

bool pg_peer_history_is_complete(const struct pg_peer_info *i)
{
	return !i->past_from || i->past_from <= i->created || i->past_from <= i->last_epoch_clean;
}

/* Takes from `from` (another copy's info, same interval) the past intervals
 * before our own past_from: `from` covers every epoch since its past_from
 * up to our interval, so the union covers from the older bound. Its
 * last_epoch_clean comes along (it pruned what ended before it). Returns
 * 1 if something was learned, 0, -ENOMEM. */
int pg_peer_learn_past(struct pg_peer_info *i, const struct pg_peer_info *from)
{
	uint32_t n = 0;
	size_t cap = 0;
	struct pg_peer_interval *v = NULL;
	if (!from->same_interval_since || !i->past_from ||
	    (from->past_from && from->past_from >= i->past_from))
		return 0; /* it knows nothing (absent) or nothing older than we do */
	for (uint32_t k = 0; k < from->n_past && from->past[k].first < i->past_from; k++)
		n++;
	size_t want = (size_t)n + i->n_past;
	if (want && mem_grow(&v, sizeof(*v), &cap, want) < 0)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		v[k] = from->past[k];
		if (v[k].last >= i->past_from)
			v[k].last = i->past_from - 1; /* the rest is ours */
	}
	if (i->n_past)
		memcpy(v + n, i->past, i->n_past * sizeof(*v));
	mem_free(i->past);
	i->past = v;
	i->n_past = (uint32_t)want;
	i->past_from = from->past_from;
	if (from->last_epoch_clean > i->last_epoch_clean)
		i->last_epoch_clean = from->last_epoch_clean;
	pg_peer_prune_past(i);
	return 1;
}

static void reset_interval_state(struct pg_peer *p)
{
	pg_peer_peers_fini(p);
	pg_peer_recs_fini(p);
	p->phase = PH_IDLE;
	p->activated = 0;
	p->scan_from = PG_PEER_NONE;
	p->want_temp = false;
	p->clean_sent = false;
	p->idle_ticks = 0;
	p->reason = NULL;
	p->reason_osd = PG_PEER_NONE;
}

static void new_interval(struct pg_peer *p, const struct pg_peer_map *map,
                         struct pg_peer_actions *a)
{
	bool had = p->info.cur.n_up || p->info.cur.n_acting || p->info.same_interval_since;
	if (had && record_past(&p->info, map->epoch - 1) < 0) {
		pg_peer_fail(p, a);
		return;
	}
	if (!had) /* a new copy: it knows nothing before this map */
		p->info.past_from =
		    p->info.created && map->epoch > p->info.created ? map->epoch : 0;
	p->info.same_interval_since = map->epoch;
	p->info.cur = map->m;
	p->info.up_thru = map->primary_up_thru;
	pg_peer_prune_past(&p->info);
	reset_interval_state(p);
	pg_peer_act_info(p, a);
	if (map->m.n_acting && map->m.acting[0] == p->whoami)
		pg_peer_start_peering(p, a);
	else
		pg_peer_set_state(p, 0, a);
}

static bool map_is_valid(const struct pg_peer_map *map)
{
	const struct pg_peer_mapping *m = &map->m;
	if (!map->epoch || m->n_up > PG_PEER_MAX_SIZE || m->n_acting > PG_PEER_MAX_SIZE ||
	    !m->size || m->size > PG_PEER_MAX_SIZE || !m->min_size || m->min_size > m->size)
		return false;
	for (uint32_t i = 1; i < map->n_up_osds; i++)
		if (map->up_osds[i - 1] >= map->up_osds[i])
			return false;
	return true;
}

int pg_peer_advance_map(struct pg_peer *p, const struct pg_peer_map *map, struct pg_peer_actions *a)
{
	if (p->broken)
		return p->broken;
	if (!map_is_valid(map))
		return -EINVAL;
	if (map->epoch <= p->epoch)
		return 0;
	if (set_up_osds(p, map) < 0)
		return pg_peer_fail(p, a);
	p->epoch = map->epoch;
	if (!mapping_eq(&map->m, &p->info.cur) || !p->info.same_interval_since) {
		new_interval(p, map, a);
	} else {
		p->info.up_thru = map->primary_up_thru;
		if (p->phase != PH_IDLE)
			pg_peer_map_changed(p, a);
	}
	return pg_peer_finish(p, a, 0);
}

/* ---- messages ---- */

/* Requests must come from the primary of our interval; replies must echo
 * our interval. */
static int check_msg(const struct pg_peer *p, const struct pg_peer_msg *m)
{
	if (m->pool != p->info.pool || m->ps != p->info.ps)
		return -EINVAL;
	if (m->epoch > p->epoch)
		return -EAGAIN;
	if (m->interval != p->info.same_interval_since)
		return -ESTALE;
	return 0;
}

static int dispatch(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	switch (m->type) {
	case PG_PEER_MSG_QUERY:
		pg_peer_on_query(p, m, a);
		return 0;
	case PG_PEER_MSG_INFO:
		pg_peer_on_info(p, m, a);
		return 0;
	case PG_PEER_MSG_ACTIVATE:
		return pg_peer_on_activate(p, m, a);
	case PG_PEER_MSG_ACTIVATE_ACK:
		pg_peer_on_activate_ack(p, m, a);
		return 0;
	case PG_PEER_MSG_PULL:
		return pg_peer_on_pull(p, m, a);
	case PG_PEER_MSG_PUSH:
		return pg_peer_on_push(p, m, a);
	case PG_PEER_MSG_PUSH_ACK:
		return pg_peer_recovered(p, m->from, m->key, m->version, m->backfill, a);
	case PG_PEER_MSG_SCAN:
		return pg_peer_on_scan(p, m, a);
	case PG_PEER_MSG_SCAN_REPLY:
		return pg_peer_on_scan_reply(p, m, a);
	case PG_PEER_MSG_PROGRESS:
		return pg_peer_on_progress(p, m, a);
	case PG_PEER_MSG_PROGRESS_ACK:
		return pg_peer_on_progress_ack(p, m, a);
	case PG_PEER_MSG_CLEAN:
		return pg_peer_on_clean(p, m, a);
	default:
		return -EBADMSG;
	}
}

int pg_peer_handle(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	if (p->broken)
		return p->broken;
	int rc = check_msg(p, m);
	if (rc < 0)
		return rc;
	if (m->from == p->whoami)
		return -EINVAL;
	if (m->type == PG_PEER_MSG_PUSH_ACK && !pg_peer_is_primary(p))
		return -ESTALE;
	rc = dispatch(p, m, a);
	return pg_peer_finish(p, a, rc);
}

int pg_peer_tick(struct pg_peer *p, struct pg_peer_actions *a)
{
	if (p->broken)
		return p->broken;
	if (p->phase != PH_IDLE)
		pg_peer_primary_tick(p, a);
	return pg_peer_finish(p, a, 0);
}

int pg_peer_list_done(struct pg_peer *p, uint64_t tag, const struct pg_peer_obj *objs, size_t n,
                      bool end, struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	if (p->broken)
		return p->broken;
	if (p->scan_from == PG_PEER_NONE || tag != p->scan_list_tag)
		return pg_peer_finish(p, a, pg_peer_bf_list_done(p, tag, objs, n, end, a));
	/* a replica answering the primary's SCAN */
	pg_peer_msg_header(p, &m, PG_PEER_MSG_SCAN_REPLY);
	m.tag = p->scan_tag;
	m.done = end;
	m.objs = (struct pg_peer_obj *)objs;
	m.n_objs = (uint32_t)n;
	pg_peer_act_send(a, p->scan_from, &m);
	p->scan_from = PG_PEER_NONE;
	return pg_peer_finish(p, a, 0);
}

int pg_peer_reply_absent(int32_t whoami, uint32_t epoch, const struct pg_peer_msg *query,
                         struct pg_peer_actions *a)
{
	struct pg_peer_msg m;
	if (query->type != PG_PEER_MSG_QUERY)
		return -EINVAL;
	pg_peer_msg_init(&m);
	m.type = PG_PEER_MSG_INFO;
	m.pool = m.info.pool = query->pool;
	m.ps = m.info.ps = query->ps;
	m.from = whoami;
	m.epoch = epoch > query->epoch ? epoch : query->epoch;
	m.interval = query->interval;
	m.primary = PG_PEER_NONE;
	pg_peer_act_send(a, query->from, &m);
	return a->err;
}

/* ---- queries ---- */

uint32_t pg_peer_state(const struct pg_peer *p)
{
	return p->state;
}

bool pg_peer_is_primary(const struct pg_peer *p)
{
	return p->info.cur.n_acting && p->info.cur.acting[0] == p->whoami;
}

bool pg_peer_is_active(const struct pg_peer *p)
{
	return p->phase == PH_ACTIVE;
}

bool pg_peer_is_broken(const struct pg_peer *p)
{
	return p->broken != 0;
}

const char *pg_peer_reason(const struct pg_peer *p, int32_t *osd)
{
	if (osd)
		*osd = p->reason_osd;
	return p->reason;
}

uint32_t pg_peer_epoch(const struct pg_peer *p)
{
	return p->epoch;
}

uint32_t pg_peer_interval(const struct pg_peer *p)
{
	return p->info.same_interval_since;
}

const struct pg_peer_info *pg_peer_get_info(const struct pg_peer *p)
{
	return &p->info;
}

const struct pg_peer_entry *pg_peer_get_log(const struct pg_peer *p, size_t *n)
{
	*n = p->log.n;
	return p->log.e;
}

const struct pg_peer_missing_item *pg_peer_get_missing(const struct pg_peer *p, size_t *n)
{
	*n = p->missing.n;
	return p->missing.it;
}

const struct pg_peer_mapping *pg_peer_get_mapping(const struct pg_peer *p)
{
	return &p->info.cur;
}

static const char *const state_names[] = {
	"active",        "clean",       "peering",       "activating", "down",
	"incomplete",    "degraded",    "undersized",    "remapped",   "recovering",
	"recovery_wait", "backfilling", "backfill_wait", "stale",      "unfound",
};

const char *pg_peer_state_str(uint32_t state, char *buf, size_t cap)
{
	size_t len = 0;
	if (!cap)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!(state & (1u << i)))
			continue;
		int n = snprintf(buf + len, cap - len, "%s%s", len ? "+" : "", state_names[i]);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	if (!len)
		snprintf(buf, cap, "%s", "inactive");
	return buf;
}
