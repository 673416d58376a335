/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_rep.c - primary-copy replication (dissertation §6.3.1): the
 * primary sends each update's transaction to the other OSDs of the acting
 * set in parallel and answers the client when every copy has applied it
 * (ACK) and when every copy has committed it (ONDISK); replicas apply the
 * exact transaction and answer twice. Also the transaction callbacks of
 * both roles.
 *
 * DESIGN
 * Primary, per update (struct pg_repop):
 *   queued -> {local applied, peer acks} all -> ACK reply (if asked)
 *          -> {local commit, peer commits} all -> ONDISK reply, done
 *   done repops leave pg->repops from the head, advancing last_complete.
 * Replica, per update (struct pg_repin): queued -> applied (ACK to the
 * waiters) -> committed (ONDISK, last_complete, freed).
 * Invariants: R1 a repop waits only on peers in the current acting set;
 * a peer whose incarnation (nonce) changed is sent the repop again (its
 * lossless session was reset and the message lost); R2 last_complete at
 * the primary is the version of the newest repop such that it and every
 * older one are done; R3 a replica never applies an entry it has
 * (version <= last_update or its reqid is logged): it answers from its
 * state, after the original's commit if that is still in flight.
 * Edges: pg_repop_send (submit, remap); REPOP -> pg_handle_repop;
 * REPOP_REPLY -> pg_handle_repop_reply; store callbacks -> pg_txn_event;
 * map -> pg_repops_remap. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "store/store.h"
#include "osd/pg.h"

/* --- primary ------------------------------------------------------------------------ */

static struct pg_repop_peer *peer_find(struct pg_repop *r, int osd)
{
	for (unsigned i = 0; i < r->npeers; i++)
		if (r->peers[i].osd == osd)
			return &r->peers[i];
	return NULL;
}

static int send_one(struct osd_shard *sh, struct pg *pg, struct pg_repop *r, struct msg_conn *c)
{
	struct osd_msg_repop *m;
	struct msg *msg;
	int rc = msg_create_typed(&osd_repop_ops, &msg);

	if (rc < 0)
		return rc;
	m = (void *)msg;
	m->tid = r->tid;
	m->epoch = sh->map->map->epoch;
	m->pool = pg->id.pool;
	m->ps = pg->id.ps;
	m->from = sh->osd->whoami;
	m->pg_trim_to = r->trim_to;
	if ((rc = osd_log_entry_copy(&m->entry, &r->entry)) < 0) {
		msg_put(msg);
		return rc;
	}
	msg->data = buf_get(r->txn);
	msg->priority = MSG_PRIO_HIGH;
	perf_inc(sh->osd->pc, OSD_P_SUBOP, 1);
	return msg_send(c, msg);
}

void pg_repop_send(struct osd_shard *sh, struct pg *pg, struct pg_repop *r)
{
	const struct osdmap *m = sh->map->map;

	for (int i = 0; r->txn && i < pg->nacting; i++) {
		int osd = pg->acting[i];
		struct pg_repop_peer *p;
		struct msg_conn *c;

		if (osd == sh->osd->whoami || osd < 0 || osd >= m->max_osd)
			continue;
		p = peer_find(r, osd);
		if (p && p->nonce == m->osds[osd].nonce)
			continue; /* sent to this incarnation already */
		c = osd_peer_conn(sh->osd, osd, m);
		if (!c)
			continue;
		if (send_one(sh, pg, r, c) == 0) {
			if (!p && r->npeers < MON_PG_SIZE_MAX)
				p = &r->peers[r->npeers++];
			if (p)
				*p = (struct pg_repop_peer){ .osd = osd,
					                     .nonce = m->osds[osd].nonce };
		} else {
			log_warn(pg, "pg %s: cannot send repop %llu to osd.%d", pg->name,
			         (unsigned long long)r->tid, osd);
		}
		msg_conn_put(c);
	}
}

static void repop_free(struct pg_repop *r)
{
	osd_log_entry_fini(&r->entry);
	buf_put(r->txn);
	mem_free(r);
}

/* Answers everyone waiting for r's commit. */
static void repop_complete(struct osd_shard *sh, struct pg *pg, struct pg_repop *r)
{
	struct list_node *n;
	uint32_t flags = OSD_F_ONDISK;

	r->done = true;
	if (r->op) {
		if ((r->op->m->flags & OSD_F_ACK) && !r->ack_sent)
			flags |= OSD_F_ACK;
		pg_op_reply_write(sh, r->op, r, flags, true);
		r->op = NULL;
	}
	while ((n = list_pop_front(&r->dups)))
		pg_op_reply_write(sh, LIST_CONTAINER(n, struct osd_opreq, it.node), r,
		                  OSD_F_ACK | OSD_F_ONDISK, true);
	pg->num_wr++;
	pg->num_wr_bytes += r->in_bytes;
	pg->num_objects = (uint64_t)((int64_t)pg->num_objects + r->d_objects);
	pg->num_bytes = (uint64_t)((int64_t)pg->num_bytes + r->d_bytes);
	perf_inc(sh->osd->pc, OSD_P_OP_IN_BYTES, r->in_bytes);
	/* R2 */
	while (!list_is_empty(&pg->repops)) {
		struct pg_repop *h = LIST_CONTAINER(pg->repops.next, struct pg_repop, node);

		if (!h->done)
			break;
		if (osd_eversion_cmp(h->entry.version, pg->info.last_complete) > 0)
			pg->info.last_complete = h->entry.version;
		list_remove(&h->node);
		repop_free(h);
	}
	pg_publish(pg);
}

static bool repop_committed(const struct pg_repop *r)
{
	bool committed = r->local_committed;

	for (unsigned i = 0; i < r->npeers; i++)
		committed = committed && r->peers[i].committed;
	return committed;
}

void pg_repop_check(struct osd_shard *sh, struct pg *pg, struct pg_repop *r)
{
	bool acked = r->local_applied;

	if (r->done)
		return;
	for (unsigned i = 0; i < r->npeers; i++)
		acked = acked && r->peers[i].acked;
	if (repop_committed(r)) {
		repop_complete(sh, pg, r);
		return;
	}
	if (acked && !r->ack_sent && r->op && (r->op->m->flags & OSD_F_ACK)) {
		r->ack_sent = true;
		pg_op_reply_write(sh, r->op, r, OSD_F_ACK, false);
	}
}

/* Checks every repop once; true if one completed (the list changed). */
static bool check_pass(struct osd_shard *sh, struct pg *pg)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &pg->repops)
	{
		struct pg_repop *r = LIST_CONTAINER(n, struct pg_repop, node);

		if (r->done)
			continue;
		if (repop_committed(r)) {
			repop_complete(sh, pg, r);
			return true;
		}
		pg_repop_check(sh, pg, r);
	}
	return false;
}

static struct pg_repop *repop_find(struct pg *pg, uint64_t tid)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &pg->repops)
	{
		struct pg_repop *r = LIST_CONTAINER(n, struct pg_repop, node);

		if (r->tid == tid)
			return r;
	}
	return NULL;
}

static bool acting_has(const struct pg *pg, int osd)
{
	for (int j = 0; j < pg->nacting; j++)
		if (pg->acting[j] == osd)
			return true;
	return false;
}

/* R1: keeps only peers still acting in their incarnation, sends to the rest. */
void pg_repops_remap(struct osd_shard *sh, struct pg *pg, const struct osdmap *m)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &pg->repops)
	{
		struct pg_repop *r = LIST_CONTAINER(n, struct pg_repop, node);
		unsigned k = 0;

		for (unsigned i = 0; i < r->npeers; i++) {
			int osd = r->peers[i].osd;

			if (pg->is_primary && acting_has(pg, osd) && osd < m->max_osd &&
			    m->osds[osd].nonce == r->peers[i].nonce)
				r->peers[k++] = r->peers[i];
		}
		r->npeers = k;
		if (pg->is_primary)
			pg_repop_send(sh, pg, r);
	}
	/* completing one repop may free others (R2): rescan after each */
	while (check_pass(sh, pg))
		;
}

void pg_handle_repop_reply(struct osd_shard *sh, struct msg *msg)
{
	struct osd_msg_repop_reply *m = (void *)msg;
	struct pg *pg = pg_lookup(sh, (struct osdmap_pg){ m->pool, m->ps });
	struct pg_repop *r = pg ? repop_find(pg, m->tid) : NULL;
	struct pg_repop_peer *p = r ? peer_find(r, m->from) : NULL;

	PG_ASSERT_OWNER(sh);
	if (p) {
		if (m->result < 0) {
			log_warn(pg, "pg %s: osd.%d failed repop %llu: %s", pg->name, m->from,
			         (unsigned long long)m->tid, strerror(-m->result));
			p->acked = p->committed = true;
			if (!r->error) /* never acknowledge a write a copy lacks */
				r->error = m->result;
		}
		if (m->flags & OSD_F_ACK)
			p->acked = true;
		if (m->flags & OSD_F_ONDISK)
			p->acked = p->committed = true;
		pg_repop_check(sh, pg, r);
	}
	msg_put(msg);
}

static void primary_event(struct osd_shard *sh, struct pg *pg, struct osd_item *it)
{
	struct pg_repop *r = repop_find(pg, it->tid);

	if (!r)
		return;
	if (it->kind == OSD_IT_APPLIED) {
		struct pg_obj *o = r->obj;

		r->local_applied = true;
		r->obj = NULL;
		if (o && --o->writing == 0)
			pg_requeue_waiters(sh, pg, o);
	} else {
		r->local_committed = true;
	}
	pg_repop_check(sh, pg, r);
}

void pg_repops_fini(struct osd_shard *sh, struct pg *pg)
{
	struct list_node *n, *d;

	while ((n = list_pop_front(&pg->repops))) {
		struct pg_repop *r = LIST_CONTAINER(n, struct pg_repop, node);

		if (r->op)
			osd_opreq_done(sh, r->op);
		while ((d = list_pop_front(&r->dups)))
			osd_opreq_done(sh, LIST_CONTAINER(d, struct osd_opreq, it.node));
		if (r->obj)
			r->obj->writing--;
		repop_free(r);
	}
	while ((n = list_pop_front(&pg->repins))) {
		struct pg_repin *ri = LIST_CONTAINER(n, struct pg_repin, node);

		while (ri->waiters) {
			struct pg_repwait *w = ri->waiters;

			ri->waiters = w->next;
			msg_conn_put(w->conn);
			mem_free(w);
		}
		mem_free(ri);
	}
}

/* --- replica -------------------------------------------------------------------------- */

static void rep_reply(struct osd_shard *sh, struct pg *pg, struct msg_conn *c, int64_t pool,
                      uint32_t ps, uint64_t tid, int result, uint32_t flags)
{
	struct osd_msg_repop_reply *r;
	struct msg *msg;

	if (!c || msg_create_typed(&osd_repop_reply_ops, &msg) < 0)
		return;
	r = (void *)msg;
	r->tid = tid;
	r->epoch = sh->map ? sh->map->map->epoch : 0;
	r->pool = pool;
	r->ps = ps;
	r->from = sh->osd->whoami;
	r->result = result;
	r->flags = flags;
	if (pg)
		r->last_complete_ondisk = pg->info.last_complete;
	msg->priority = MSG_PRIO_HIGH;
	msg_send(c, msg);
}

static struct pg_repin *repin_find(struct pg *pg, struct osd_eversion v, uint64_t id)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &pg->repins)
	{
		struct pg_repin *ri = LIST_CONTAINER(n, struct pg_repin, node);

		if (id ? ri->id == id : osd_eversion_cmp(ri->version, v) == 0)
			return ri;
	}
	return NULL;
}

static int repin_wait(struct pg_repin *ri, struct msg_conn *c, uint64_t tid)
{
	struct pg_repwait *w = mem_calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->tid = tid;
	w->conn = msg_conn_get(c);
	w->next = ri->waiters;
	ri->waiters = w;
	return 0;
}

/* R3: an entry this replica has; answers now or after its commit. */
static void rep_dup(struct osd_shard *sh, struct pg *pg, struct osd_msg_repop *m)
{
	struct pg_repin *ri = NULL;

	if (osd_eversion_cmp(m->entry.version, pg->info.last_complete) > 0)
		ri = repin_find(pg, m->entry.version, 0);
	if (ri && repin_wait(ri, m->m.conn, m->tid) == 0) {
		if (ri->applied)
			rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, 0, OSD_F_ACK);
		return;
	}
	rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, 0, OSD_F_ACK | OSD_F_ONDISK);
}

/* Applies the primary's transaction. 0 or -errno (nothing changed). */
static int rep_apply(struct osd_shard *sh, struct pg *pg, struct osd_msg_repop *m)
{
	struct pg_repin *ri = mem_calloc(1, sizeof(*ri));
	struct store_txn *t = NULL;
	int rc = ri ? store_txn_decode(m->m.data, &t) : -ENOMEM;

	if (rc == 0)
		rc = repin_wait(ri, m->m.conn, m->tid);
	if (rc == 0) {
		ri->id = pg->next_repin++;
		ri->version = m->entry.version;
		rc = osd_shard_queue_txn(sh, t, pg->id, ri->id, true);
	}
	if (rc < 0) {
		store_txn_destroy(t);
		if (ri && ri->waiters) {
			msg_conn_put(ri->waiters->conn);
			mem_free(ri->waiters);
		}
		mem_free(ri);
		return rc;
	}
	list_push_back(&pg->repins, &ri->node);
	if (pg_log_append(&pg->log, &m->entry) < 0)
		log_err(pg, "pg %s: out of memory for the log", pg->name);
	pg->info.last_update = m->entry.version;
	if (osd_eversion_cmp(m->pg_trim_to, pg->info.log_tail) > 0) {
		pg_log_trim(&pg->log, m->pg_trim_to);
		pg->info.log_tail = m->pg_trim_to;
	}
	perf_inc(sh->osd->pc, OSD_P_SUBOP_IN_BYTES, buf_len(m->m.data));
	return 0;
}

void pg_handle_repop(struct osd_shard *sh, struct osd_item *it)
{
	struct osd_msg_repop *m = (void *)it->msg;
	const struct osdmap *map = sh->map ? sh->map->map : NULL;
	struct pg *pg;
	int rc;

	PG_ASSERT_OWNER(sh);
	if (!map || m->epoch > map->epoch) {
		list_push_back(&sh->waiting_map, &it->node);
		osd_map_want(sh->osd, m->epoch);
		return;
	}
	mem_free(it);
	pg = pg_lookup(sh, (struct osdmap_pg){ m->pool, m->ps });
	if (!pg || pg->state != PG_ST_ACTIVE) {
		rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, -ESTALE,
		          OSD_F_ACK | OSD_F_ONDISK);
	} else if (osd_eversion_cmp(m->entry.version, pg->info.last_update) <= 0 ||
	           pg_log_find(&pg->log, &m->entry.reqid)) {
		rep_dup(sh, pg, m);
	} else if ((rc = rep_apply(sh, pg, m)) < 0) {
		log_err(pg, "pg %s: cannot apply repop from osd.%d: %s", pg->name, m->from,
		        strerror(-rc));
		rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, rc, OSD_F_ACK | OSD_F_ONDISK);
	} else {
		pg_publish(pg);
	}
	msg_put(&m->m);
}

static void replica_event(struct osd_shard *sh, struct pg *pg, struct osd_item *it)
{
	struct pg_repin *ri = repin_find(pg, (struct osd_eversion){ 0 }, it->tid);
	bool commit = it->kind == OSD_IT_COMMITTED;

	if (!ri)
		return;
	if (commit && osd_eversion_cmp(ri->version, pg->info.last_complete) > 0)
		pg->info.last_complete = ri->version;
	for (struct pg_repwait *w = ri->waiters; w; w = w->next)
		rep_reply(sh, pg, w->conn, pg->id.pool, pg->id.ps, w->tid, it->status,
		          commit ? OSD_F_ONDISK : OSD_F_ACK);
	ri->applied = true;
	if (!commit)
		return;
	list_remove(&ri->node);
	while (ri->waiters) {
		struct pg_repwait *w = ri->waiters;

		ri->waiters = w->next;
		msg_conn_put(w->conn);
		mem_free(w);
	}
	mem_free(ri);
}

/* --- transaction callbacks -------------------------------------------------------------- */

void pg_txn_event(struct osd_shard *sh, struct osd_item *it)
{
	struct pg *pg = it->tid ? pg_lookup(sh, it->pgid) : NULL;

	if (it->status < 0)
		log_err(osd, "osd.%d: a transaction of pg %lld.%x failed: %s; the store is failed",
		        sh->osd->whoami, (long long)it->pgid.pool, it->pgid.ps,
		        strerror(-it->status));
	if (pg && it->replica)
		replica_event(sh, pg, it);
	else if (pg)
		primary_event(sh, pg, it);
	if (it->kind == OSD_IT_COMMITTED) {
		struct osd_txn_cb *cb =
		    (struct osd_txn_cb *)(void *)((char *)it -
		                                  offsetof(struct osd_txn_cb, committed));

		atomic_fetch_sub(&sh->osd->txn_inflight, 1);
		mem_free(cb);
	}
}
