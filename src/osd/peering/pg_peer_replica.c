/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_replica.c - what a replica or stray does for the
 * primary of its interval: answer queries, take the activation (log rewind,
 * new entries, missing set), serve pulls, take pushes, answer backfill scans
 * and progress, and record that the PG became clean. The replica side of
 * client writes (pg_peer_replica_write) is here too. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "osd/peering/peering_int.h"

void pg_peer_on_query(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	struct pg_peer_msg r;
	pg_peer_msg_header(p, &r, PG_PEER_MSG_INFO);
	r.info = p->info;
	r.info.last_update = p->log.head;
	r.info.log_tail = p->log.tail;
	r.entries = p->log.e;
	r.n_entries = (uint32_t)p->log.n;
	r.missing = p->missing.it;
	r.n_missing = (uint32_t)p->missing.n;
	pg_peer_act_send(a, m->from, &r);
}

static void send_simple(struct pg_peer *p, int32_t to, uint8_t type, struct pg_peer_actions *a)
{
	struct pg_peer_msg r;
	pg_peer_msg_header(p, &r, type);
	pg_peer_act_send(a, to, &r);
}

static bool from_primary(const struct pg_peer *p, const struct pg_peer_msg *m)
{
	return p->info.cur.n_acting && p->info.cur.acting[0] == m->from;
}

static bool activate_is_valid(const struct pg_peer *p, const struct pg_peer_msg *m)
{
	if (m->n_entries && pg_peer_ev_cmp(m->entries[0].version, m->truncate) <= 0)
		return false;
	if (m->backfill)
		return pg_peer_ev_cmp(m->info.log_tail, m->truncate) == 0;
	return pg_peer_ev_cmp(m->truncate, p->log.tail) >= 0 &&
	       pg_peer_ev_cmp(m->truncate, p->log.head) <= 0;
}

/* Backfill: the whole log is replaced and every object is suspect. */
static void take_backfill(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	pg_peer_log_fini(&p->log);
	p->log.tail = p->log.head = m->info.log_tail;
	pg_peer_act_op(a, PG_PEER_OP_LOG_CLEAR);
	pg_peer_mset_fini(&p->missing);
	pg_peer_act_op(a, PG_PEER_OP_MISSING_CLEAR);
	p->info.backfill_complete = false;
	mem_free(p->info.last_backfill);
	p->info.last_backfill = NULL;
	p->info.last_epoch_started = m->interval; /* the log is the interval's */
}

/* Log recovery: rewind divergent entries, then take the missing set. */
static void take_missing(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	pg_peer_log_truncate(&p->log, m->truncate);
	pg_peer_act_key(a, PG_PEER_OP_LOG_TRUNCATE, NULL, m->truncate);
	pg_peer_mset_fini(&p->missing);
	pg_peer_act_op(a, PG_PEER_OP_MISSING_CLEAR);
	for (uint32_t i = 0; i < m->n_missing; i++) {
		const struct pg_peer_missing_item *it = &m->missing[i];
		if (pg_peer_mset_set(&p->missing, it->key, it->need, it->deleted) < 0)
			pg_peer_fail(p, a);
		pg_peer_act_missing(a, it);
	}
	p->info.last_epoch_started = m->interval;
}

int pg_peer_on_activate(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	if (!from_primary(p, m))
		return -ESTALE;
	if (p->activated != m->interval) {
		if (!activate_is_valid(p, m))
			return -EBADMSG;
		if (m->backfill)
			take_backfill(p, m, a);
		else
			take_missing(p, m, a);
		for (uint32_t i = 0; i < m->n_entries; i++) {
			struct pg_peer_op *op = pg_peer_act_op(a, PG_PEER_OP_LOG_APPEND);
			if (pg_peer_log_append(&p->log, &m->entries[i]) < 0 || !op ||
			    pg_peer_entry_copy(&op->entry, &m->entries[i]) < 0)
				return pg_peer_fail(p, a);
		}
		if (m->info.history_les > p->info.history_les)
			p->info.history_les = m->info.history_les;
		if (pg_peer_learn_past(&p->info, &m->info) < 0)
			return pg_peer_fail(p, a);
		if (m->info.last_epoch_clean > p->info.last_epoch_clean)
			p->info.last_epoch_clean = m->info.last_epoch_clean;
		pg_peer_prune_past(&p->info);
		p->activated = m->interval;
		pg_peer_act_info(p, a);
	}
	send_simple(p, m->from, PG_PEER_MSG_ACTIVATE_ACK, a);
	return 0;
}

/* Does this copy hold key at exactly version v, as far as its log tells? A
 * pull resent after the object was recovered and written again is stale. */
static bool holds(const struct pg_peer *p, const char *key, struct pg_peer_eversion v)
{
	const struct pg_peer_entry *le = pg_peer_log_latest(&p->log, key);
	if (pg_peer_mset_find(&p->missing, key) || !p->info.backfill_complete)
		return false;
	return le ? !pg_peer_ev_cmp(le->version, v) : pg_peer_ev_cmp(v, p->log.tail) <= 0;
}

/* A source pushes key@version to the targets; it must hold exactly that. */
int pg_peer_on_pull(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	struct pg_peer_msg r;
	struct enc e;
	if (!from_primary(p, m) || !m->n_targets || m->deleted || !holds(p, m->key, m->version))
		return -ESTALE;
	struct pg_peer_work *w = pg_peer_act_work(a, PG_PEER_WORK_PUSH);
	if (!w)
		return pg_peer_fail(p, a);
	pg_peer_msg_header(p, &r, PG_PEER_MSG_PUSH);
	r.key = m->key;
	r.version = m->version;
	r.deleted = m->deleted;
	r.primary = m->from;
	enc_init(&e);
	pg_peer_msg_encode(&e, &r);
	w->msg = enc_take(&e, &w->len);
	w->key = mem_strdup(m->key);
	enc_fini(&e);
	if (!w->msg || !w->key)
		return pg_peer_fail(p, a);
	w->version = m->version;
	w->deleted = m->deleted;
	w->n_targets = m->n_targets;
	memcpy(w->targets, m->targets, m->n_targets * sizeof(m->targets[0]));
	return 0;
}

/* Is a backfill push for key@v stale (already covered, or overtaken by a
 * newer write of key)? */
static bool bf_push_is_stale(const struct pg_peer *p, const struct pg_peer_msg *m)
{
	const struct pg_peer_entry *le = pg_peer_log_latest(&p->log, m->key);
	if (p->info.backfill_complete || p->activated != m->interval)
		return true;
	if (p->info.last_backfill && strcmp(m->key, p->info.last_backfill) <= 0)
		return true;
	return le && pg_peer_ev_cmp(le->version, m->version) > 0;
}

static void push_ack(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	struct pg_peer_msg r;
	if (m->primary == p->whoami) {
		pg_peer_recovered(p, p->whoami, m->key, m->version, m->backfill, a);
		return;
	}
	pg_peer_msg_header(p, &r, PG_PEER_MSG_PUSH_ACK);
	r.key = m->key;
	r.version = m->version;
	r.backfill = m->backfill;
	pg_peer_act_send(a, m->primary, &r);
}

static void write_pushed(struct pg_peer_actions *a, const struct pg_peer_msg *m)
{
	pg_peer_act_key(a, m->deleted ? PG_PEER_OP_OBJ_REMOVE : PG_PEER_OP_OBJ_WRITE, m->key,
	                m->version);
}

int pg_peer_on_push(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	bool primary = pg_peer_is_primary(p);
	if (!p->info.cur.n_acting || m->primary != p->info.cur.acting[0] ||
	    (!primary && p->activated != m->interval))
		return -ESTALE;
	if (m->backfill) {
		if (primary || bf_push_is_stale(p, m))
			return -ESTALE;
		write_pushed(a, m);
		push_ack(p, m, a);
		return 0;
	}
	struct pg_peer_missing_item *it = pg_peer_mset_find(&p->missing, m->key);
	if (it && (pg_peer_ev_cmp(it->need, m->version) || it->deleted != m->deleted))
		return -ESTALE;
	if (it) {
		write_pushed(a, m);
		pg_peer_act_key(a, PG_PEER_OP_MISSING_DEL, m->key, m->version);
		pg_peer_mset_del(&p->missing, m->key);
		if (!p->missing.n)
			p->info.last_complete = p->log.head;
		pg_peer_act_info(p, a);
	}
	push_ack(p, m, a);
	return 0;
}

int pg_peer_on_scan(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	if (!from_primary(p, m) || p->activated != m->interval || !m->max)
		return -ESTALE;
	struct pg_peer_work *w = pg_peer_act_work(a, PG_PEER_WORK_LIST);
	if (!w)
		return pg_peer_fail(p, a);
	if (m->key && !(w->after = mem_strdup(m->key)))
		return pg_peer_fail(p, a);
	w->max = m->max < p->cfg.scan_max ? m->max : p->cfg.scan_max;
	w->tag = ++p->next_tag;
	p->scan_tag = m->tag;
	p->scan_from = m->from;
	p->scan_list_tag = w->tag;
	return 0;
}

int pg_peer_on_progress(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	struct pg_peer_msg r;
	if (!from_primary(p, m) || p->activated != m->interval)
		return -ESTALE;
	if (pg_peer_ev_cmp(p->log.head, m->version) < 0)
		return -ESTALE; /* writes of the range still on their way: resent later */
	if (!p->info.backfill_complete) {
		if (m->done) {
			p->info.backfill_complete = true;
			mem_free(p->info.last_backfill);
			p->info.last_backfill = NULL;
		} else if (m->key && pg_peer_str_cmp(m->key, p->info.last_backfill) > 0) {
			char *k = mem_strdup(m->key);
			if (!k)
				return pg_peer_fail(p, a);
			mem_free(p->info.last_backfill);
			p->info.last_backfill = k;
		}
		pg_peer_act_info(p, a);
	}
	pg_peer_msg_header(p, &r, PG_PEER_MSG_PROGRESS_ACK);
	r.key = m->key;
	r.tag = m->tag;
	r.done = m->done;
	pg_peer_act_send(a, m->from, &r);
	return 0;
}

int pg_peer_on_clean(struct pg_peer *p, const struct pg_peer_msg *m, struct pg_peer_actions *a)
{
	if (!from_primary(p, m) || p->activated != m->interval)
		return -ESTALE;
	if (p->info.last_epoch_clean < m->interval) {
		p->info.last_epoch_clean = m->interval;
		pg_peer_prune_past(&p->info);
		pg_peer_act_info(p, a);
	}
	return 0;
}

int pg_peer_replica_write(struct pg_peer *p, uint32_t interval, const struct pg_peer_entry *e,
                          struct pg_peer_eversion trim_to, struct pg_peer_actions *a)
{
	if (p->broken)
		return p->broken;
	if (pg_peer_is_primary(p) || p->activated != interval ||
	    interval != p->info.same_interval_since)
		return -ESTALE;
	if (pg_peer_ev_cmp(e->version, p->log.head) <= 0)
		return -EALREADY;
	if (!e->key || !*e->key)
		return -EINVAL;
	struct pg_peer_op *op = pg_peer_act_op(a, PG_PEER_OP_LOG_APPEND);
	if (pg_peer_log_append(&p->log, e) < 0 || !op || pg_peer_entry_copy(&op->entry, e) < 0)
		return pg_peer_fail(p, a);
	if (pg_peer_ev_cmp(trim_to, p->log.tail) > 0 && pg_peer_ev_cmp(trim_to, p->log.head) < 0) {
		pg_peer_log_trim(&p->log, trim_to);
		pg_peer_act_key(a, PG_PEER_OP_LOG_TRIM, NULL, trim_to);
	}
	pg_peer_act_info(p, a);
	return pg_peer_finish(p, a, 0);
}
