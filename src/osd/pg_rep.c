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
 * waiters whose repop asked for it: the primary asks only when its client
 * did) -> committed (ONDISK, last_complete, freed).
 * The peering core decides where an update goes (pg_peer_write's targets:
 * the acting set, and backfill targets with or without the object data)
 * and logs it on every copy: the primary sends only the object part of the
 * transaction plus the log entry, and each copy adds its own PG log and
 * info ops (pg_peer_replica_write).
 * Invariants: R1 a repop waits only on the targets of its interval; a new
 * interval drops the wait (pg_repops_drop) and the client's resend is
 * answered from the log; a target whose incarnation (nonce) changed within
 * the interval is sent the repop again (its lossless session was reset);
 * R2 done repops leave the list from its head, in version order; R3 a
 * replica never applies an entry it has logged (-EALREADY from the core):
 * it answers from its state, after the original's commit if that is still
 * in flight.
 * Edges: pg_repop_send (submit, resend); REPOP -> pg_handle_repop;
 * REPOP_REPLY -> pg_handle_repop_reply; store callbacks -> pg_txn_event;
 * new interval -> pg_repops_drop. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "store/store.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"
#include "osd/pg.h"
#include "osd/pg_peer_drive.h"

/* --- primary ------------------------------------------------------------------------ */

static struct pg_repop_peer *peer_find(struct pg_repop *r, int osd)
{
	for (unsigned i = 0; i < r->npeers; i++)
		if (r->peers[i].osd == osd)
			return &r->peers[i];
	return NULL;
}

static int send_one(struct osd_shard *sh, struct pg *pg, struct pg_repop *r, struct msg_conn *c,
                    bool with_data)
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
	m->interval = r->interval;
	m->flags = OSD_F_ONDISK;
	if (!r->op || (r->op->m->flags & OSD_F_ACK))
		m->flags |= OSD_F_ACK;
	if ((rc = osd_log_entry_copy(&m->entry, &r->entry)) < 0) {
		msg_put(msg);
		return rc;
	}
	msg->data = with_data && r->txn ? buf_get(r->txn) : NULL;
	msg->priority = MSG_PRIO_HIGH;
	perf_inc(sh->osd->pc, OSD_P_SUBOP, 1);
	return msg_send(c, msg);
}

void pg_repop_send(struct osd_shard *sh, struct pg *pg, struct pg_repop *r)
{
	const struct osdmap *m = sh->map->map;

	for (unsigned i = 0; i < r->npeers; i++) {
		struct pg_repop_peer *p = &r->peers[i];
		struct msg_conn *c;

		if (p->committed || p->osd < 0 || p->osd >= m->max_osd ||
		    (p->sent && p->nonce == m->osds[p->osd].nonce))
			continue; /* answered, or sent to this incarnation already */
		c = osd_peer_conn(sh->osd, p->osd, m);
		if (!c)
			continue; /* down: the map change starts a new interval */
		if (send_one(sh, pg, r, c, p->with_data) == 0) {
			p->sent = true;
			p->nonce = m->osds[p->osd].nonce;
		} else {
			log_warn(pg, "pg %s: cannot send repop %llu to osd.%d", pg->name,
			         (unsigned long long)r->tid, p->osd);
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

void pg_repops_resend(struct osd_shard *sh, struct pg *pg)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &pg->repops)
	pg_repop_send(sh, pg, LIST_CONTAINER(n, struct pg_repop, node));
}

/* R1: a new interval. The updates stay listed until they are applied and
 * committed here (later ops on their objects wait for that), but nobody
 * waits for peers any more and no client is answered: it resends, and the
 * PG log answers it once peering kept the update (pg_op.c do_dup). */
void pg_repops_drop(struct osd_shard *sh, struct pg *pg)
{
	struct list_node *n, *d;

	LIST_FOR_EACH(n, &pg->repops)
	{
		struct pg_repop *r = LIST_CONTAINER(n, struct pg_repop, node);

		if (r->done)
			continue;
		r->npeers = 0;
		if (r->op) {
			osd_opreq_done(sh, r->op);
			r->op = NULL;
		}
		while ((d = list_pop_front(&r->dups)))
			osd_opreq_done(sh, LIST_CONTAINER(d, struct osd_opreq, it.node));
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
	if (p && m->result == -ESTALE) {
		/* another interval at the replica: the map change drops r here too */
	} else if (p) {
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
		if ((m->flags & OSD_F_ONDISK) && m->result == 0 && pg->core)
			/* replicas commit in order: the log may be trimmed up to here */
			(void)pg_peer_committed(pg->core, m->from,
			                        (struct pg_peer_eversion){ r->entry.version.epoch,
			                                                   r->entry.version.v });
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

static int repin_wait(struct pg_repin *ri, struct msg_conn *c, uint64_t tid, uint32_t flags)
{
	struct pg_repwait *w = mem_calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->tid = tid;
	w->want_ack = flags & OSD_F_ACK;
	w->conn = msg_conn_get(c);
	w->next = ri->waiters;
	ri->waiters = w;
	return 0;
}

/* R3: an entry this replica has; answers now or after its commit. */
static void rep_dup(struct osd_shard *sh, struct pg *pg, struct osd_msg_repop *m)
{
	struct pg_repin *ri = repin_find(pg, m->entry.version, 0);

	if (ri && repin_wait(ri, m->m.conn, m->tid, m->flags) == 0) {
		if (ri->applied && (m->flags & OSD_F_ACK))
			rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, 0, OSD_F_ACK);
		return;
	}
	rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, 0, OSD_F_ACK | OSD_F_ONDISK);
}

/* Applies the primary's object transaction with this copy's own log and
 * info (the core's ops of pg_peer_replica_write, in a). 0 or -errno. */
static int rep_apply(struct osd_shard *sh, struct pg *pg, struct osd_msg_repop *m,
                     struct pg_peer_actions *a)
{
	struct pg_repin *ri = mem_calloc(1, sizeof(*ri));
	struct store_txn *t = NULL;
	int rc = !ri ? -ENOMEM : m->m.data ? store_txn_decode(m->m.data, &t) : store_txn_create(&t);

	if (rc == 0)
		rc = pg_core_ops_txn(pg, a, t);
	if (rc == 0)
		rc = repin_wait(ri, m->m.conn, m->tid, m->flags);
	if (rc == 0) {
		ri->id = pg->next_repin++;
		ri->version = m->entry.version;
		rc = osd_shard_queue_txn(sh, pg, t, ri->id, true);
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
	perf_inc(sh->osd->pc, OSD_P_SUBOP_IN_BYTES, m->m.data ? buf_len(m->m.data) : 0);
	return 0;
}

/* Hands the update to the core: -ESTALE (another interval, not active),
 * -EALREADY (logged already), 0 (a holds the log ops), -errno. */
static int rep_log(struct pg *pg, struct osd_msg_repop *m, struct pg_peer_actions *a)
{
	struct pg_peer_entry pe;
	int rc = pg_entry_of(&m->entry, &pe);

	if (rc < 0)
		return rc;
	rc = pg_peer_replica_write(
	    pg->core, m->interval, &pe,
	    (struct pg_peer_eversion){ m->pg_trim_to.epoch, m->pg_trim_to.v }, a);
	pg_peer_entry_fini(&pe);
	return rc;
}

void pg_handle_repop(struct osd_shard *sh, struct osd_item *it)
{
	struct osd_msg_repop *m = (void *)it->msg;
	const struct osdmap *map = sh->map ? sh->map->map : NULL;
	struct pg_peer_actions a;
	struct pg *pg;
	int rc;

	PG_ASSERT_OWNER(sh);
	if (!map || m->epoch > map->epoch) {
		it->msg_epoch = m->epoch;
		list_push_back(&sh->waiting_map, &it->node);
		osd_map_want(sh->osd, m->epoch);
		return;
	}
	mem_free(it);
	pg = pg_lookup(sh, (struct osdmap_pg){ m->pool, m->ps });
	pg_peer_actions_init(&a);
	rc = pg && pg->core && pg->state == PG_ST_ACTIVE ? rep_log(pg, m, &a) : -ESTALE;
	if (rc == -ESTALE) {
		rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, -ESTALE,
		          OSD_F_ACK | OSD_F_ONDISK);
	} else if (rc == -EALREADY) {
		rep_dup(sh, pg, m);
	} else if (rc == 0 && (rc = rep_apply(sh, pg, m, &a)) < 0) {
		log_err(pg, "pg %s: cannot apply repop from osd.%d: %s", pg->name, m->from,
		        strerror(-rc));
		pg_core_close(pg); /* the core logged what the store lacks: reload */
		rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, rc, OSD_F_ACK | OSD_F_ONDISK);
	} else if (rc < 0) {
		log_err(pg, "pg %s: repop from osd.%d: %s", pg->name, m->from, strerror(-rc));
		rep_reply(sh, pg, m->m.conn, m->pool, m->ps, m->tid, rc, OSD_F_ACK | OSD_F_ONDISK);
	}
	if (pg)
		pg_core_after(sh, pg, rc == -EALREADY ? 0 : rc, &a);
	pg_peer_actions_fini(&a);
	if (pg)
		pg_publish(pg);
	msg_put(&m->m);
}

static void replica_event(struct osd_shard *sh, struct pg *pg, struct osd_item *it)
{
	struct pg_repin *ri = repin_find(pg, (struct osd_eversion){ 0 }, it->tid);
	bool commit = it->kind == OSD_IT_COMMITTED;

	if (!ri)
		return;
	for (struct pg_repwait *w = ri->waiters; w; w = w->next)
		if (commit || w->want_ack || it->status < 0)
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
	struct pg *pg = pg_lookup(sh, it->pgid);

	if (it->status < 0)
		log_err(osd, "osd.%d: a transaction of pg %lld.%x failed: %s; the store is failed",
		        sh->osd->whoami, (long long)it->pgid.pool, it->pgid.ps,
		        strerror(-it->status));
	if (pg && it->tid && it->replica)
		replica_event(sh, pg, it);
	else if (pg && it->tid)
		primary_event(sh, pg, it);
	if (pg && it->kind == OSD_IT_APPLIED)
		pg_core_applied(sh, pg, it->seq);
	if (pg && it->kind == OSD_IT_COMMITTED)
		pg_core_committed(sh, pg, it->seq);
	if (it->kind == OSD_IT_COMMITTED) {
		struct osd_txn_cb *cb =
		    (struct osd_txn_cb *)(void *)((char *)it -
		                                  offsetof(struct osd_txn_cb, committed));

		atomic_fetch_sub(&sh->osd->txn_inflight, 1);
		mem_free(cb);
	}
}
