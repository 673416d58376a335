/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_op.c - client ops at the primary, in order: map epochs (hold for
 * a newer map, share ours with an older client), the PG check, request
 * validation, duplicate detection from the PG log, per-object ordering,
 * execution (osd_exec), and for writes the start of replication.
 *
 * DESIGN
 * A client op (struct osd_opreq) is in exactly one place at a time: the
 * shard queue, shard->waiting_map (its epoch is newer than the shard's
 * map), an object's waiters (an earlier write on the object is not yet
 * applied here), a repop (its update is in flight: r->op or r->dups), or
 * freed after its last reply (osd_opreq_done).
 * Invariants: O1 ops on one object start executing in arrival order, and
 * never before every earlier write on it is applied locally (the store
 * shows a transaction to reads only then); O2 a request's reqid is in the
 * PG log iff its update was queued, so a resend is answered from the log
 * (or joins the repop in flight) and never applied twice; O3 an error is
 * answered once with ACK|ONDISK and leaves no trace (no log entry, no
 * store change).
 * Edges: queue -> pg_handle_op; local apply of the object's last write ->
 * pg_requeue_waiters -> pg_handle_op(ordered); map -> retry_waiting_map. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "store/store.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"
#include "osd/pg.h"
#include "osd/pg_peer_drive.h"

/* --- replies --------------------------------------------------------------------- */

/* Sends a reply to op's connection: result, flags, version; with_ops
 * echoes each op's rval and outdata. */
static void send_reply(struct osd_shard *sh, struct osd_opreq *op, int result, uint32_t flags,
                       struct osd_eversion ver, uint64_t uv, bool with_ops)
{
	struct osd_msg_op *m = op->m;
	struct osd_msg_opreply *r;
	uint64_t out = 0;

	if (!m->m.conn || osd_opreply_msg_create(with_ops ? m->nops : 0, &r) < 0)
		return;
	r->tid = m->tid;
	r->result = result;
	r->flags = flags;
	r->epoch = sh->map ? sh->map->map->epoch : 0;
	r->pool = m->pool;
	r->ps = m->ps;
	r->version = ver;
	r->user_version = uv;
	for (uint32_t i = 0; with_ops && i < m->nops; i++) {
		r->ops[i].code = m->ops[i].code;
		r->ops[i].rval = m->ops[i].rval;
		if (m->ops[i].outdata && result == 0) {
			r->ops[i].outdata = buf_get(m->ops[i].outdata);
			out += buf_len(m->ops[i].outdata);
		}
	}
	if (osd_opreply_msg_seal(r) < 0) {
		msg_put(&r->m);
		return;
	}
	perf_inc(sh->osd->pc, OSD_P_OP_OUT_BYTES, out);
	msg_send(m->m.conn, &r->m);
}

/* Counts a finished op and frees it. */
static void op_finish(struct osd_shard *sh, struct osd_opreq *op, bool write)
{
	uint64_t lat = tmr_now_ns() - op->start_ns;

	perf_avg_add(sh->osd->pc, OSD_P_OP_LAT, lat);
	perf_avg_add(sh->osd->pc, write ? OSD_P_OP_W_LAT : OSD_P_OP_R_LAT, lat);
	osd_opreq_done(sh, op);
}

void pg_op_reply_error(struct osd_shard *sh, struct osd_opreq *op, int result, uint32_t flags)
{
	send_reply(sh, op, result, flags | OSD_F_ACK | OSD_F_ONDISK, (struct osd_eversion){ 0 }, 0,
	           true);
	if (flags & OSD_F_RETRY)
		perf_inc(sh->osd->pc, OSD_P_OP_RETRY, 1);
	op_finish(sh, op, false);
}

void pg_op_reply_write(struct osd_shard *sh, struct osd_opreq *op, const struct pg_repop *r,
                       uint32_t flags, bool last)
{
	send_reply(sh, op, r->error ? r->error : r->entry.result, flags, r->entry.version,
	           r->entry.user_version, true);
	if (last)
		op_finish(sh, op, true);
}

/* --- checks ------------------------------------------------------------------------ */

static bool name_ok(const char *s, size_t max)
{
	return strnlen(s, max + 1) <= max;
}

/* Request validation (section 5 of the issue): 0 or the -errno to answer. */
static int validate(const struct osd *o, const struct osd_msg_op *m, bool *write)
{
	bool pgop = m->flags & OSD_F_PGOP;

	*write = false;
	if (m->nops == 0 || m->nops > OSD_OPS_MAX)
		return -EINVAL;
	if (!name_ok(m->oid, o->lim.max_name_len) || !name_ok(m->nspace, o->lim.max_name_len))
		return -ENAMETOOLONG;
	if (!pgop && strchr(m->nspace, '\001'))
		return -EINVAL; /* the separator of the PG log's object keys (PGLS: all) */
	if (!pgop && !m->oid[0])
		return -EINVAL;
	for (uint32_t i = 0; i < m->nops; i++) {
		const struct osd_op *op = &m->ops[i];

		if (!osd_op_is_valid(op->code))
			return -EOPNOTSUPP;
		if ((op->code == OSD_OP_PGLS) != pgop)
			return -EINVAL; /* PG ops and object ops do not mix */
		if (osd_op_is_write(op->code)) {
			if (!(m->flags & OSD_F_WRITE))
				return -EINVAL;
			*write = true;
		}
	}
	return 0;
}

/* Finds the PG this request is for, answering it when it cannot run here.
 * NULL when answered. */
static struct pg *op_pg(struct osd_shard *sh, struct osd_opreq *op, const struct osdmap *map,
                        bool *write)
{
	struct osd_msg_op *m = op->m;
	const struct osdmap_pool *pool = osdmap_pool(map, m->pool);
	struct osdmap_pg pgid;
	struct pg *pg;
	int rc;

	if (!pool) {
		pg_op_reply_error(sh, op, -ENOENT, 0);
		return NULL;
	}
	if (m->ps >= pool->place.pg_num) {
		pg_op_reply_error(sh, op, -EINVAL, OSD_F_RETRY);
		return NULL;
	}
	if ((rc = validate(sh->osd, m, write)) < 0) {
		pg_op_reply_error(sh, op, rc, 0);
		return NULL;
	}
	if (!(m->flags & OSD_F_PGOP) &&
	    (osdmap_object_pg(map, m->pool, m->nspace, m->oid, &pgid) < 0 || pgid.ps != m->ps)) {
		pg_op_reply_error(sh, op, -EINVAL, OSD_F_RETRY); /* the client's map is off */
		return NULL;
	}
	pg = pg_lookup(sh, (struct osdmap_pg){ m->pool, m->ps });
	if (!pg || pg->state != PG_ST_ACTIVE || !pg->is_primary) {
		pg_op_reply_error(sh, op, -EAGAIN, OSD_F_RETRY);
		return NULL;
	}
	return pg;
}

/* --- reads --------------------------------------------------------------------------- */

static void do_pgop(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op)
{
	struct osd_msg_op *m = op->m;
	int result = 0;

	for (uint32_t i = 0; i < m->nops && result == 0; i++)
		if (osd_exec_pgls(sh->osd->store, pg->cid, &m->ops[i]) < 0 &&
		    !(m->ops[i].flags & OSD_OP_F_FAILOK))
			result = m->ops[i].rval;
	perf_inc(sh->osd->pc, OSD_P_OP_R, 1);
	send_reply(sh, op, result, OSD_F_ACK | OSD_F_ONDISK, pg->info.last_update, 0, true);
	op_finish(sh, op, false);
}

static void do_read(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op)
{
	struct osd_msg_op *m = op->m;
	struct osd_exec x;
	int rc = osd_exec_init(&x, sh->osd->store, pg->cid, m->nspace, m->oid, &sh->osd->lim, 0);

	if (rc < 0) {
		log_warn(pg, "pg %s: cannot read object info of %s: %s", pg->name, m->oid,
		         strerror(-rc));
		pg_op_reply_error(sh, op, rc, 0);
		return;
	}
	rc = osd_exec_run(&x, m->ops, m->nops);
	pg->num_rd++;
	pg->num_rd_bytes += x.rd_bytes;
	perf_inc(sh->osd->pc, OSD_P_OP_R, 1);
	send_reply(sh, op, rc, OSD_F_ACK | OSD_F_ONDISK, x.oi.version, x.oi.user_version, true);
	osd_exec_fini(&x);
	op_finish(sh, op, false);
}

/* --- writes -------------------------------------------------------------------------- */

/* O2: a resend of a request whose update is logged. true if handled. */
static bool do_dup(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op)
{
	const struct osd_log_entry *e = pg_log_find(&pg->log, &op->m->reqid);
	struct list_node *n;

	if (!e)
		return false;
	perf_inc(sh->osd->pc, OSD_P_OP_DUP, 1);
	LIST_FOR_EACH(n, &pg->repops)
	{
		struct pg_repop *r = LIST_CONTAINER(n, struct pg_repop, node);

		if (osd_eversion_cmp(r->entry.version, e->version) == 0 && !r->done) {
			osd_opreq_wait(op, "waiting for the original's commit");
			list_push_back(&r->dups, &op->it.node);
			return true;
		}
	}
	send_reply(sh, op, e->result, OSD_F_ACK | OSD_F_ONDISK, e->version, e->user_version, false);
	op_finish(sh, op, true);
	return true;
}

static struct pg_repop *repop_new(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op,
                                  const struct osd_log_entry *e, const struct pg_peer_actions *a)
{
	struct pg_repop *r = mem_calloc(1, sizeof(*r));

	if (!r || osd_log_entry_copy(&r->entry, e) < 0) {
		mem_free(r);
		return NULL;
	}
	r->tid = sh->next_tid++;
	r->op = op;
	r->epoch = sh->map->map->epoch;
	r->interval = pg_peer_interval(pg->core);
	r->trim_to = (struct osd_eversion){ a->trim_to.epoch, a->trim_to.v };
	for (uint8_t i = 0; i < a->n_targets && r->npeers < MON_PG_SIZE_MAX; i++)
		if (a->targets[i].osd != sh->osd->whoami)
			r->peers[r->npeers++] =
			    (struct pg_repop_peer){ .osd = a->targets[i].osd,
				                    .with_data = a->targets[i].with_data };
	list_init(&r->dups);
	return r;
}

static void repop_abort(struct pg_repop *r)
{
	osd_log_entry_fini(&r->entry);
	buf_put(r->txn);
	mem_free(r);
}

/* The core's entry for e (aux = e encoded: the dup index is rebuilt from
 * it). 0 or -ENOMEM; *pe freed with pg_peer_entry_fini. */
int pg_entry_of(const struct osd_log_entry *e, struct pg_peer_entry *pe)
{
	struct enc enc;
	int rc;

	*pe = (struct pg_peer_entry){
		.op = e->op == OSD_LOG_DELETE ? PG_PEER_LOG_DELETE : PG_PEER_LOG_MODIFY,
		.version = { e->version.epoch, e->version.v },
		.prior_version = { e->prior_version.epoch, e->prior_version.v },
		.key = pg_core_key(e->nspace, e->oid),
	};
	enc_init(&enc);
	osd_log_entry_encode(&enc, e);
	rc = pe->key ? enc_error(&enc) : -ENOMEM;
	if (rc == 0 && !(pe->aux = mem_malloc(enc.len ? enc.len : 1)))
		rc = -ENOMEM;
	if (rc == 0) {
		memcpy(pe->aux, enc.data, enc.len);
		pe->aux_len = (uint32_t)enc.len;
	}
	enc_fini(&enc);
	if (rc < 0)
		pg_peer_entry_fini(pe);
	return rc;
}

/* Logs the update with the core, queues t (object ops + the core's) here
 * and starts the repops. Takes t. 0 or -errno (nothing changed). */
static int submit(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op, struct pg_obj *obj,
                  struct store_txn *t, const struct osd_log_entry *e)
{
	struct pg_peer_actions a;
	struct pg_peer_entry pe;
	struct pg_repop *r = NULL;
	bool data = false;
	int rc = pg_entry_of(e, &pe);

	pg_peer_actions_init(&a);
	if (rc == 0 && (rc = pg_peer_write(pg->core, &pe, &a)) == 0 &&
	    (pe.version.epoch != e->version.epoch || pe.version.v != e->version.v)) {
		log_err(pg,
		        "pg %s: the log assigned %u'%" PRIu64
		        ", the update was built for %u'%" PRIu64,
		        pg->name, pe.version.epoch, pe.version.v, e->version.epoch, e->version.v);
		rc = -EIO;
	}
	pg_peer_entry_fini(&pe);
	if (rc == 0 && !(r = repop_new(sh, pg, op, e, &a)))
		rc = -ENOMEM;
	for (unsigned i = 0; r && i < r->npeers; i++)
		data |= r->peers[i].with_data;
	if (rc == 0 && data)
		rc = store_txn_encode(t, &r->txn); /* the object part only */
	if (rc == 0)
		rc = pg_core_ops_txn(pg, &a, t);
	if (rc == 0)
		rc = osd_shard_queue_txn(sh, pg, t, r->tid, false);
	if (rc < 0) {
		store_txn_destroy(t);
		if (r)
			repop_abort(r);
		if (rc != -EAGAIN && rc != -EINVAL)
			pg_core_close(pg); /* the core logged what the store lacks: reload */
		pg_core_after(sh, pg, rc, &a);
		pg_peer_actions_fini(&a);
		return rc == -EAGAIN ? -EIO : rc;
	}
	pg_core_after(sh, pg, 0, &a);
	pg_peer_actions_fini(&a);
	r->obj = obj;
	obj->writing++;
	list_push_back(&pg->repops, &r->node);
	osd_opreq_wait(op, "waiting for sub ops");
	pg_repop_send(sh, pg, r);
	return 0;
}

/* Builds the update of a successful run: object info and log entry. */
static int build_update(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op,
                        struct osd_exec *x, struct pg_obj *obj)
{
	struct osd_msg_op *m = op->m;
	const struct pg_peer_info *ci = pg_peer_get_info(pg->core);
	/* the version pg_peer_write will assign (checked in submit) */
	struct osd_eversion v = { pg_peer_epoch(pg->core), ci->last_update.v + 1 };
	struct osd_obj_info oi;
	struct store_txn *t = NULL;
	bool deleted;
	struct osd_log_entry e;
	int rc;

	if ((rc = osd_exec_finish(x, v, &oi, &deleted, &t)) < 0)
		return rc;
	e = (struct osd_log_entry){
		.op = deleted ? OSD_LOG_DELETE : OSD_LOG_MODIFY,
		.version = v,
		.prior_version = x->oi.version,
		.reqid = m->reqid,
		.user_version = oi.user_version,
		.mtime_ns = oi.mtime_ns,
		.nspace = m->nspace,
		.oid = m->oid,
	};
	rc = submit(sh, pg, op, obj, t, &e);
	if (rc == 0) {
		struct pg_repop *r = LIST_CONTAINER(pg->repops.prev, struct pg_repop, node);

		r->d_objects = (int64_t)!deleted - (int64_t)x->existed;
		r->d_bytes =
		    (int64_t)(deleted ? 0 : oi.size) - (int64_t)(x->existed ? x->oi.size : 0);
		r->in_bytes = x->wr_bytes;
	}
	return rc;
}

static void do_write(struct osd_shard *sh, struct pg *pg, struct osd_opreq *op, struct pg_obj *obj)
{
	struct osd_msg_op *m = op->m;
	uint64_t mtime = m->mtime_ns ? m->mtime_ns : tmr_wall_ns();
	struct osd_exec x;
	int rc =
	    osd_exec_init(&x, sh->osd->store, pg->cid, m->nspace, m->oid, &sh->osd->lim, mtime);

	perf_inc(sh->osd->pc, OSD_P_OP_W, 1);
	if (rc == 0)
		rc = osd_exec_run(&x, m->ops, m->nops);
	if (rc == 0)
		rc = build_update(sh, pg, op, &x, obj);
	osd_exec_fini(&x);
	if (rc < 0)
		pg_op_reply_error(sh, op, rc, 0);
}

/* --- entry ----------------------------------------------------------------------------- */

/* May op run now (the PG is active, the object is not being recovered)? */
static bool core_ready(const struct pg *pg, const struct osd_msg_op *m, bool write)
{
	char *key;
	bool ok;

	if (!pg->core || !pg_peer_is_active(pg->core))
		return false;
	if (m->flags & OSD_F_PGOP)
		return true;
	if (!(key = pg_core_key(m->nspace, m->oid)))
		return false; /* retried at the next kick */
	ok = write ? pg_peer_can_write(pg->core, key) : pg_peer_can_read(pg->core, key);
	mem_free(key);
	return ok;
}

/* Holds op until the shard has its map epoch. */
static void wait_map(struct osd_shard *sh, struct osd_opreq *op)
{
	osd_opreq_wait(op, "waiting for map");
	list_push_back(&sh->waiting_map, &op->it.node);
	osd_map_want(sh->osd, op->m->epoch);
}

void pg_handle_op(struct osd_shard *sh, struct osd_opreq *op, bool ordered)
{
	const struct osdmap *map = sh->map ? sh->map->map : NULL;
	struct osd_msg_op *m = op->m;
	struct pg_obj *obj = NULL;
	struct pg *pg;
	bool write;

	PG_ASSERT_OWNER(sh);
	if (atomic_load(&sh->osd->stopping)) {
		osd_opreq_done(sh, op); /* no reply: the client resends elsewhere */
		return;
	}
	if (!map || m->epoch > map->epoch) {
		wait_map(sh, op);
		return;
	}
	if (m->epoch < map->epoch && m->m.conn)
		osd_map_share(sh->osd, m->m.conn, m->epoch, map);
	if (!(pg = op_pg(sh, op, map, &write)))
		return;
	if (!core_ready(pg, m, write)) {
		osd_opreq_wait(op, pg->core && pg_peer_is_active(pg->core)
		                       ? "waiting for recovery of the object"
		                       : "waiting for peering");
		list_push_back(&pg->waiting_peer, &op->it.node);
		return;
	}
	if (m->flags & OSD_F_PGOP) {
		do_pgop(sh, pg, op);
		return;
	}
	if (write && do_dup(sh, pg, op))
		return;
	if (!ordered || write) {
		obj = pg_obj_get(pg, m->nspace, m->oid);
		if (!obj) {
			pg_op_reply_error(sh, op, -ENOMEM, 0);
			return;
		}
	}
	if (!ordered && (obj->writing || !list_is_empty(&obj->waiters))) {
		osd_opreq_wait(op, "waiting for an earlier write on the object"); /* O1 */
		list_push_back(&obj->waiters, &op->it.node);
		return;
	}
	osd_opreq_wait(op, "executing");
	if (write)
		do_write(sh, pg, op, obj);
	else
		do_read(sh, pg, op);
	if (obj && !ordered)
		pg_obj_release(pg, obj);
	pg_publish(pg);
}

void pg_requeue_waiters(struct osd_shard *sh, struct pg *pg, struct pg_obj *o)
{
	struct list_node *n;

	o->writing++; /* pin o while the ops run */
	while (o->writing == 1 && (n = list_pop_front(&o->waiters)))
		pg_handle_op(sh, LIST_CONTAINER(n, struct osd_opreq, it.node), true);
	o->writing--;
	pg_obj_release(pg, o);
}
