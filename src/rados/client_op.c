/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_op.c - the objecter: ops in flight, their targets, one lossy
 * session per OSD, replies, map changes, resends, timeouts and throttles
 * (dissertation §6.2-6.3; Ceph's Objecter is the model).
 *
 * DESIGN
 * Everything below is under cl->lock. An op in flight is in cl->tids (by
 * tid) and in exactly one placement list: the ops of the session of its
 * primary (op->s), or cl->homeless when its PG has no up OSD. Write ops
 * are also in io->writes for rados_aio_flush.
 *
 *   submit --throttle room--> placed (session or homeless), sent if it has
 *     a session; tid, reqid and throttle share are fixed for life
 *   new map -> every op retargeted: moved to the session of its new
 *     primary, resent (OSD_F_RETRY, same tid/reqid) when radosc_need_send
 *     says so; pool gone -> finished with -ENOENT
 *   session reset / stale address -> conn dropped; its ops resent on a new
 *     connection (at once, or by the tick when the last attempt is recent)
 *   reply RETRY -> resend now / when the map reaches the reply's epoch /
 *     after a tick (radosc_reply_action)
 *   reply ACK -> completion "complete", op stays; reply final, timeout,
 *     shutdown -> unlinked under the lock, finished outside it
 *
 * Finishing (delivering outputs, completion callbacks) happens with no lock
 * held, on the thread that unlinked the op. Sessions live until shutdown.
 * Messages are sent under the lock: msg_send and msg_connect never block
 * or call back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "monc/monc.h"
#include "rados/client_int.h"

#define NS_PER_MS          1000000ull
#define RECONNECT_DELAY_NS (RADOSC_TICK_MS * NS_PER_MS)

static _Thread_local int cb_depth;

bool radosc_in_callback(void)
{
	return cb_depth > 0;
}

void radosc_callback_enter(void)
{
	cb_depth++;
}

void radosc_callback_exit(void)
{
	cb_depth--;
}

void radosc_objecter_init(struct radosc_client *cl)
{
	for (int i = 0; i < RADOSC_TID_BUCKETS; i++)
		list_init(&cl->tids[i]);
	list_init(&cl->homeless);
	list_init(&cl->sendq);
	pthread_mutex_init(&cl->send_lock, NULL);
	cl->next_tid = 1;
}

static struct radosc_op *tid_find_locked(struct radosc_client *cl, uint64_t tid)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &cl->tids[tid % RADOSC_TID_BUCKETS])
	{
		struct radosc_op *op = LIST_CONTAINER(n, struct radosc_op, tid_node);

		if (op->tid == tid)
			return op;
	}
	return NULL;
}

/* ---- sessions ---------------------------------------------------------------- */

static struct radosc_session *session_get_locked(struct radosc_client *cl, int osd)
{
	struct radosc_session *s;

	if (osd >= cl->nsessions) {
		size_t cap = (size_t)cl->nsessions;
		struct radosc_session **a = cl->sessions;

		if (mem_grow(&a, sizeof(*a), &cap, (size_t)osd + 1) < 0)
			return NULL;
		memset(a + cl->nsessions, 0, (cap - (size_t)cl->nsessions) * sizeof(*a));
		cl->sessions = a;
		cl->nsessions = (int)cap;
	}
	if (cl->sessions[osd])
		return cl->sessions[osd];
	s = mem_calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->osd = osd;
	list_init(&s->ops);
	cl->sessions[osd] = s;
	return s;
}

static void session_drop_conn_locked(struct radosc_session *s, bool mark_down)
{
	if (!s->conn)
		return;
	if (mark_down)
		msg_conn_mark_down(s->conn);
	msg_conn_put(s->conn);
	s->conn = NULL;
}

static int session_connect_locked(struct radosc_client *cl, struct radosc_session *s)
{
	const struct osdmap_osd *o;
	struct msg_entity peer;
	char id[16];
	int rc;

	if (!osdmap_osd_is_up(cl->map, s->osd))
		return -ENOTCONN;
	o = &cl->map->osds[s->osd];
	snprintf(id, sizeof(id), "%d", s->osd);
	s->connect_ns = tmr_now_ns();
	rc = msg_entity_set(&peer, MSG_ENTITY_OSD, id);
	if (rc == 0)
		rc = msg_connect(cl->msgr, &peer, &o->addr, MSG_POLICY_LOSSY, &s->conn);
	if (rc < 0) {
		log_warn(rados, "cannot connect to osd.%d: %s", s->osd, strerror(-rc));
		return rc;
	}
	s->addr = o->addr;
	s->nonce = o->nonce;
	return 0;
}

/* ---- sending ----------------------------------------------------------------- */

static int build_msg_locked(struct radosc_client *cl, struct radosc_op *op, struct osd_msg_op **out)
{
	struct osd_msg_op *m;
	int rc = osd_op_msg_create(op->v.n, &m);

	if (rc < 0)
		return rc;
	m->tid = op->tid;
	m->reqid = (struct osd_reqid){ .name = cl->me, .inc = cl->nonce, .tid = op->tid };
	m->epoch = cl->map->epoch;
	m->flags = op->flags | (op->sent ? OSD_F_RETRY : 0);
	m->pool = op->t.pool;
	m->ps = op->t.ps;
	m->hash = op->t.hash;
	m->mtime_ns = op->mtime_ns;
	m->nspace = mem_strdup(op->nspace);
	m->oid = mem_strdup(op->oid);
	rc = m->nspace && m->oid ? 0 : -ENOMEM;
	for (uint32_t i = 0; rc == 0 && i < op->v.n; i++) {
		const struct osd_op *s = &op->v.ops[i];
		struct osd_op *d = &m->ops[i];

		*d = (struct osd_op){ .code = s->code,
			              .flags = s->flags,
			              .off = s->off,
			              .len = s->len,
			              .arg = s->arg };
		d->name = s->name ? mem_strdup(s->name) : NULL;
		d->name2 = s->name2 ? mem_strdup(s->name2) : NULL;
		d->indata = s->indata ? buf_get(s->indata) : NULL;
		if ((s->name && !d->name) || (s->name2 && !d->name2))
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = osd_op_msg_seal(m);
	if (rc < 0) {
		msg_put(&m->m);
		return rc;
	}
	*out = m;
	return 0;
}

/* ---- the send queue ----------------------------------------------------------
 * msg_send checksums the data on the calling thread (milliseconds for 4 MiB
 * objects), so messages are built under the client lock but sent after it
 * is released: appended to cl->sendq in build order, and sent in that order
 * by one thread at a time (whoever holds cl->send_lock), which keeps the
 * order of ops to the same object. */

struct radosc_send {
	struct list_node node;
	struct msg_conn *conn; /* ref */
	struct osd_msg_op *m;
};

static struct radosc_send *sendq_pop(struct radosc_client *cl)
{
	struct list_node *n;

	pthread_mutex_lock(&cl->lock);
	n = list_pop_front(&cl->sendq);
	pthread_mutex_unlock(&cl->lock);
	return n ? LIST_CONTAINER(n, struct radosc_send, node) : NULL;
}

static void send_one(struct radosc_send *q)
{
	msg_send(q->conn, &q->m->m); /* a dead lossy conn: its reset resends */
	msg_conn_put(q->conn);
	mem_free(q);
}

void radosc_sendq_flush(struct radosc_client *cl)
{
	struct radosc_send *q;

	bool more = true;

	while (more) {
		if (pthread_mutex_trylock(&cl->send_lock) != 0)
			return; /* the holder sends ours too: it looks again after unlocking */
		while ((q = sendq_pop(cl)))
			send_one(q);
		pthread_mutex_unlock(&cl->send_lock);
		pthread_mutex_lock(&cl->lock);
		more = !list_is_empty(&cl->sendq);
		pthread_mutex_unlock(&cl->lock);
	}
}

/* Drops what is queued (shutdown: the messenger is gone). */
static void sendq_drop_locked(struct radosc_client *cl)
{
	struct list_node *n;

	while ((n = list_pop_front(&cl->sendq))) {
		struct radosc_send *q = LIST_CONTAINER(n, struct radosc_send, node);

		msg_put(&q->m->m);
		msg_conn_put(q->conn);
		mem_free(q);
	}
}

/* Sends (or resends) op to its session; without a connection, connects
 * first unless the last attempt is recent (then the tick retries). */
static void op_send_locked(struct radosc_client *cl, struct radosc_op *op)
{
	struct radosc_session *s = op->s;
	struct radosc_send *q;
	struct osd_msg_op *m;

	if (!s)
		return;
	if (!s->conn) {
		if (s->connect_ns && tmr_now_ns() - s->connect_ns < RECONNECT_DELAY_NS)
			return;
		if (session_connect_locked(cl, s) < 0)
			return;
	}
	q = mem_malloc(sizeof(*q));
	if (!q || build_msg_locked(cl, op, &m) < 0) {
		mem_free(q);
		op->resend_ns = tmr_now_ns(); /* no memory now: the tick tries again */
		return;
	}
	log_trace(rados, "send tid %llu to osd.%d e%u%s", (unsigned long long)op->tid, s->osd,
	          cl->map->epoch, op->sent ? " (resend)" : "");
	op->sent = true;
	op->retry_epoch = 0;
	op->resend_ns = 0;
	q->conn = msg_conn_get(s->conn);
	q->m = m;
	list_push_back(&cl->sendq, &q->node);
}

/* Puts op on the list of the session of its primary, or on homeless. */
static void op_place_locked(struct radosc_client *cl, struct radosc_op *op)
{
	struct radosc_session *s = NULL;

	if (op->t.primary >= 0)
		s = session_get_locked(cl, op->t.primary);
	op->s = s;
	list_push_back(s ? &s->ops : &cl->homeless, &op->node);
}

/* Removes op from every table; the caller finishes it after unlocking. */
static void op_unlink_locked(struct radosc_client *cl, struct radosc_op *op, int result,
                             struct list_node *done, struct list_node *flushes)
{
	list_remove(&op->node);
	list_remove(&op->tid_node);
	radosc_throttle_put(&cl->thr, op->bytes);
	op->result = result;
	op->s = NULL;
	if (op->flags & OSD_F_WRITE) {
		list_remove(&op->io_node);
		radosc_flush_check_locked(op->io, flushes);
	}
	list_push_back(done, &op->node);
	pthread_cond_broadcast(&cl->cond);
}

/* Recomputes op's target (op is on no list) and places it; sends it when
 * radosc_need_send says so. */
static void op_retarget_locked(struct radosc_client *cl, struct radosc_op *op,
                               struct list_node *done, struct list_node *flushes)
{
	int old = op->s ? op->s->osd : -1;
	bool dropped = op->s && !op->s->conn;
	int rc = radosc_target_calc(cl->map, op->nspace, op->oid, &op->t);

	if (rc < 0) {
		list_push_back(&cl->homeless, &op->node); /* unlink removes it again */
		op_unlink_locked(cl, op, rc == -ENOMEM ? -ENOMEM : -ENOENT, done, flushes);
		return;
	}
	op_place_locked(cl, op);
	if (radosc_need_send(old, dropped, op->sent, &op->t, op->retry_epoch, cl->map->epoch))
		op_send_locked(cl, op);
}

/* ---- finishing --------------------------------------------------------------- */

static void op_free(struct radosc_op *op)
{
	radosc_opv_fini(&op->v);
	if (op->reply)
		msg_put(&op->reply->m);
	radosc_completion_put(op->c);
	if (op->io)
		radosc_ioctx_put(op->io);
	mem_free(op->oid);
	mem_free(op->nspace);
	mem_free(op);
}

static void finish_ops(struct list_node *done, struct list_node *flushes)
{
	struct list_node *n;

	radosc_callback_enter();
	while ((n = list_pop_front(done))) {
		struct radosc_op *op = LIST_CONTAINER(n, struct radosc_op, node);
		struct osd_msg_opreply *r = op->reply;
		uint64_t ver = r ? r->user_version : 0;
		int ret = op->result;

		if (!op->delivered)
			ret = radosc_opv_deliver(&op->v, op->result, r ? r->ops : NULL,
			                         r ? r->nops : 0);
		log_trace(rados, "tid %llu done: %d", (unsigned long long)op->tid, ret);
		radosc_completion_finish(op->c, ret, ver);
		op_free(op);
	}
	radosc_flush_run(flushes);
	radosc_callback_exit();
}

/* ---- submit ------------------------------------------------------------------ */

static uint32_t op_flags(const struct radosc_opv *v, const struct radosc_completion *c, bool pgop)
{
	uint32_t f = 0;

	if (pgop)
		return OSD_F_PGOP | OSD_F_READ;
	if (radosc_opv_has_read(v))
		f |= OSD_F_READ;
	if (radosc_opv_has_write(v)) {
		f |= OSD_F_WRITE | OSD_F_ONDISK;
		if (radosc_completion_wants_ack(c))
			f |= OSD_F_ACK;
	}
	return f;
}

static struct radosc_op *op_create(struct radosc_ioctx *io, const char *oid,
                                   const struct radosc_opv *v, uint32_t flags, uint64_t mtime_ns)
{
	struct radosc_op *op = mem_calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	list_init(&op->node);
	list_init(&op->tid_node);
	list_init(&op->io_node);
	radosc_opv_init(&op->v);
	op->oid = mem_strdup(oid ? oid : "");
	pthread_mutex_lock(&io->cl->lock);
	op->nspace = mem_strdup(io->nspace);
	pthread_mutex_unlock(&io->cl->lock);
	if (!op->oid || !op->nspace) {
		op_free(op);
		return NULL;
	}
	op->flags = flags;
	op->mtime_ns = mtime_ns ? mtime_ns : tmr_wall_ns();
	op->bytes = radosc_opv_bytes(v);
	op->t.pool = io->pool;
	return op;
}

/* Takes a throttle share, a tid and a target; -ENOTCONN, -ENOENT. */
static int op_admit_locked(struct radosc_client *cl, struct radosc_op *op)
{
	int rc;

	while (cl->state == RADOSC_CONNECTED &&
	       !radosc_throttle_has_room(&cl->thr, op->bytes, radosc_in_callback()))
		pthread_cond_wait(&cl->cond, &cl->lock);
	if (cl->state != RADOSC_CONNECTED)
		return -ENOTCONN;
	rc = radosc_target_calc(cl->map, op->nspace, op->oid, &op->t);
	if (rc < 0)
		return rc;
	radosc_throttle_take(&cl->thr, op->bytes);
	op->tid = cl->next_tid++;
	list_push_back(&cl->tids[op->tid % RADOSC_TID_BUCKETS], &op->tid_node);
	if (cl->op_timeout_ns)
		op->deadline_ns = tmr_now_ns() + cl->op_timeout_ns;
	return 0;
}

int radosc_op_submit(struct radosc_ioctx *io, const char *oid, struct radosc_opv *v,
                     uint32_t extra_flags, uint64_t mtime_ns, const uint32_t *pgop_ps,
                     struct radosc_completion *c)
{
	struct radosc_client *cl = io->cl;
	struct radosc_op *op;
	int rc;

	if (v->err)
		return v->err;
	if (!pgop_ps && (rc = radosc_check_oid(oid)) < 0)
		return rc;
	if (v->n == 0) { /* nothing to do: librados answers 0 */
		radosc_completion_finish(c, 0, 0);
		return 0;
	}
	op = op_create(io, pgop_ps ? "" : oid, v, op_flags(v, c, pgop_ps != NULL) | extra_flags,
	               mtime_ns);
	if (!op)
		return -ENOMEM;
	if (pgop_ps) {
		op->t.pgop = true;
		op->t.ps = *pgop_ps;
	}
	pthread_mutex_lock(&cl->lock);
	rc = op_admit_locked(cl, op);
	if (rc < 0) {
		pthread_mutex_unlock(&cl->lock);
		op_free(op);
		return rc;
	}
	radosc_opv_move(&op->v, v);
	op->c = radosc_completion_get(c);
	op->io = radosc_ioctx_get(io);
	if (op->flags & OSD_F_WRITE)
		list_push_back(&io->writes, &op->io_node);
	op_place_locked(cl, op);
	op_send_locked(cl, op);
	pthread_mutex_unlock(&cl->lock);
	radosc_sendq_flush(cl);
	return 0;
}

/* ---- replies ----------------------------------------------------------------- */

void radosc_handle_reply(struct radosc_client *cl, struct osd_msg_opreply *r)
{
	struct list_node done, flushes;
	struct radosc_completion *ack = NULL;
	struct radosc_op *op;
	uint32_t want = 0;
	int ack_rval = 0;

	list_init(&done);
	list_init(&flushes);
	pthread_mutex_lock(&cl->lock);
	op = tid_find_locked(cl, r->tid);
	if (!op || !op->s || op->s->conn != r->m.conn) {
		pthread_mutex_unlock(&cl->lock);
		msg_put(&r->m); /* a late duplicate, or from an old session */
		return;
	}
	switch (radosc_reply_action(op->flags, op->acked, r->flags, r->result, r->epoch,
	                            cl->map->epoch)) {
	case RADOSC_REPLY_IGNORE:
		break;
	case RADOSC_REPLY_RETRY_NOW: {
		int old = op->s->osd;

		list_remove(&op->node);
		op_retarget_locked(cl, op, &done, &flushes);
		if (op->s && op->s->osd == old) /* the OSD lags behind us: give it time */
			op->resend_ns = tmr_now_ns() + RECONNECT_DELAY_NS;
		break;
	}
	case RADOSC_REPLY_RETRY_WAIT:
		op->retry_epoch = r->epoch;
		want = cl->map->epoch + 1;
		break;
	case RADOSC_REPLY_RETRY_LATER:
		op->resend_ns = tmr_now_ns() + RECONNECT_DELAY_NS;
		break;
	case RADOSC_REPLY_ACK:
		op->acked = op->delivered = true;
		ack_rval = radosc_opv_deliver(&op->v, r->result, r->ops, r->nops);
		ack = radosc_completion_get(op->c);
		break;
	case RADOSC_REPLY_FINAL:
		op_unlink_locked(cl, op, r->result, &done, &flushes);
		op->reply = r;
		r = NULL;
		break;
	}
	pthread_mutex_unlock(&cl->lock);
	radosc_sendq_flush(cl);
	if (want)
		monc_subscribe(cl->monc, MON_MAP_OSDMAP, want, false);
	if (ack) {
		radosc_completion_complete(ack, ack_rval, r->user_version);
		radosc_completion_put(ack);
	}
	if (r)
		msg_put(&r->m);
	finish_ops(&done, &flushes);
}

/* ---- map changes ------------------------------------------------------------- */

static void rescan_locked(struct radosc_client *cl, struct list_node *done,
                          struct list_node *flushes)
{
	struct list_node all, *n;

	list_init(&all);
	for (int i = 0; i < cl->nsessions; i++) {
		struct radosc_session *s = cl->sessions[i];

		if (!s)
			continue;
		if (s->conn && radosc_session_is_stale(cl->map, s->osd, &s->addr, s->nonce)) {
			session_drop_conn_locked(s, true);
			s->connect_ns = 0; /* its new address: no reason to wait */
		}
		list_splice_back(&all, &s->ops);
	}
	list_splice_back(&all, &cl->homeless);
	while ((n = list_pop_front(&all)))
		op_retarget_locked(cl, LIST_CONTAINER(n, struct radosc_op, node), done, flushes);
}

void radosc_handle_map(const struct mon_msg_map *mm, void *arg)
{
	struct radosc_client *cl = arg;
	struct list_node done, flushes;
	struct osdmap *cur = cl->map, *next; /* only this thread writes cl->map */
	uint32_t resub;

	if (radosc_map_advance(cur, mm, &next, &resub) < 0 || !next) {
		if (resub)
			monc_subscribe(cl->monc, MON_MAP_OSDMAP, resub, false);
		return;
	}
	list_init(&done);
	list_init(&flushes);
	pthread_mutex_lock(&cl->lock);
	cl->map = next;
	log_debug(rados, "OSD map e%u", next->epoch);
	rescan_locked(cl, &done, &flushes);
	pthread_cond_broadcast(&cl->cond);
	pthread_mutex_unlock(&cl->lock);
	radosc_sendq_flush(cl);
	osdmap_destroy(cur);
	if (resub)
		monc_subscribe(cl->monc, MON_MAP_OSDMAP, resub, false);
	finish_ops(&done, &flushes);
}

void radosc_handle_reset(struct radosc_client *cl, struct msg_conn *c)
{
	struct list_node *n;

	pthread_mutex_lock(&cl->lock);
	for (int i = 0; i < cl->nsessions; i++) {
		struct radosc_session *s = cl->sessions[i];

		if (!s || s->conn != c)
			continue;
		log_debug(rados, "lost osd.%d; resending %s", s->osd,
		          list_is_empty(&s->ops) ? "nothing" : "its ops");
		session_drop_conn_locked(s, false);
		LIST_FOR_EACH(n, &s->ops)
		op_send_locked(cl, LIST_CONTAINER(n, struct radosc_op, node));
	}
	pthread_mutex_unlock(&cl->lock);
	radosc_sendq_flush(cl);
}

/* ---- tick and shutdown ------------------------------------------------------- */

static void tick_ops_locked(struct radosc_client *cl, struct list_node *ops, uint64_t now,
                            struct list_node *done, struct list_node *flushes)
{
	struct list_node *n, *t;

	LIST_FOR_EACH_SAFE(n, t, ops)
	{
		struct radosc_op *op = LIST_CONTAINER(n, struct radosc_op, node);

		if (op->deadline_ns && now >= op->deadline_ns) {
			log_debug(rados, "tid %llu timed out", (unsigned long long)op->tid);
			if (op->s) /* unresponsive: also frees what it holds of our data */
				session_drop_conn_locked(op->s, true);
			op_unlink_locked(cl, op, -ETIMEDOUT, done, flushes);
		} else if (op->resend_ns && now >= op->resend_ns) {
			op_send_locked(cl, op);
		}
	}
}

void radosc_objecter_tick(struct radosc_client *cl)
{
	struct list_node done, flushes, *n;
	uint64_t now = tmr_now_ns();

	list_init(&done);
	list_init(&flushes);
	pthread_mutex_lock(&cl->lock);
	for (int i = 0; cl->state == RADOSC_CONNECTED && i < cl->nsessions; i++) {
		struct radosc_session *s = cl->sessions[i];

		if (!s)
			continue;
		if (!s->conn && !list_is_empty(&s->ops) &&
		    now - s->connect_ns >= RECONNECT_DELAY_NS) {
			s->connect_ns = 0;
			LIST_FOR_EACH(n, &s->ops)
			op_send_locked(cl, LIST_CONTAINER(n, struct radosc_op, node));
		}
		tick_ops_locked(cl, &s->ops, now, &done, &flushes);
	}
	tick_ops_locked(cl, &cl->homeless, now, &done, &flushes);
	pthread_mutex_unlock(&cl->lock);
	radosc_sendq_flush(cl);
	finish_ops(&done, &flushes);
}

void radosc_objecter_shutdown(struct radosc_client *cl)
{
	struct list_node done, flushes, all, *n;

	list_init(&done);
	list_init(&flushes);
	list_init(&all);
	pthread_mutex_lock(&cl->lock);
	cl->state = RADOSC_SHUTDOWN;
	sendq_drop_locked(cl);
	for (int i = 0; i < cl->nsessions; i++) {
		struct radosc_session *s = cl->sessions[i];

		if (!s)
			continue;
		list_splice_back(&all, &s->ops);
		session_drop_conn_locked(s, false);
		mem_free(s);
	}
	mem_free(cl->sessions);
	cl->sessions = NULL;
	cl->nsessions = 0;
	list_splice_back(&all, &cl->homeless);
	while ((n = all.next) != &all)
		op_unlink_locked(cl, LIST_CONTAINER(n, struct radosc_op, node), -ECANCELED, &done,
		                 &flushes);
	pthread_cond_broadcast(&cl->cond);
	pthread_mutex_unlock(&cl->lock);
	finish_ops(&done, &flushes);
}
