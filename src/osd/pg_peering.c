/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_peering.c - the OSD end of the peering core's messages
 * (OSD_MSG_PEERING, OSD_MSG_PUSH) and work items (PUSH: read an object once
 * and send it to every target; LIST: list the PG's objects for backfill),
 * on the PG's shard thread.
 *
 * DESIGN
 * A pushed object travels as an encoded store transaction (the data
 * segment of OSD_MSG_PUSH) that replaces the object whole: touch, remove,
 * then data, every xattr (object info included) and every omap pair. The
 * receiver queues it together with the core's ops of that PUSH in one
 * transaction, so the object and the record that it is no longer missing
 * become durable together.
 * Invariants: G1 a message for an epoch newer than the shard's map waits
 * on sh->waiting_map; G2 a QUERY for a PG this OSD does not hold is
 * answered "absent", anything else for it is dropped (the core resends);
 * G3 a PUSH work item whose object is no longer at the wanted version is
 * dropped (the core resends a newer one).
 * Edges: messenger -> shard -> pg_handle_peering -> pg_peer_handle ->
 * pg_core_*; batch_run -> pg_peer_send / pg_peer_run_work. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/buf.h"
#include "common/cfg.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "osd/osd.h"
#include "osd/osd_codec.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"
#include "osd/pg.h"
#include "osd/pg_peer_drive.h"
#include "osd/pg_log.h"
#include "rados/osd_proto.h"
#include "store/store.h"

#define KEY_BUF (PG_PEER_KEY_MAX + 8)

/* --- sending ---------------------------------------------------------------------------- */

static void send_one(struct osd_shard *sh, struct pg *pg, int32_t to, bool push,
                     const uint8_t *body, size_t len, struct buf *data)
{
	const struct osdmap *m = sh->map ? sh->map->map : NULL;
	struct osd_msg_peering *h;
	struct msg_conn *c;
	struct msg *msg;

	if (!m || len > OSD_PEER_MAX || !(c = osd_peer_conn(sh->osd, to, m)))
		return; /* not up: the core resends once it is */
	if (msg_create_typed(push ? &osd_push_ops : &osd_peering_ops, &msg) < 0) {
		msg_conn_put(c);
		return;
	}
	h = (void *)msg;
	h->pool = pg->id.pool;
	h->ps = pg->id.ps;
	h->from = sh->osd->whoami;
	h->epoch = m->epoch;
	h->body = mem_malloc(len ? len : 1);
	if (!h->body) {
		msg_put(msg);
		msg_conn_put(c);
		return;
	}
	memcpy(h->body, body, len);
	log_debug(pg, "osd.%d pg %s: to osd.%d: %s message e%u (%zu bytes)", sh->osd->whoami,
	          pg->name, to, push ? "push" : "peering", m->epoch, len);
	h->body_len = (uint32_t)len;
	msg->data = data ? buf_get(data) : NULL;
	/* peering first; object data behind client traffic (Ceph: recovery op
	 * priority below client ops) */
	msg->priority = push ? MSG_PRIO_LOW : MSG_PRIO_HIGH;
	msg_send(c, msg);
	msg_conn_put(c);
}

void pg_peer_send(struct osd_shard *sh, struct pg *pg, int32_t to, const uint8_t *body, size_t len)
{
	send_one(sh, pg, to, false, body, len, NULL);
}

/* --- PUSH work: the object as a replacing transaction ------------------------------------- */

struct frag_ctx {
	struct store_txn *t;
	const char *cid;
	const struct store_oid *oid;
	int rc;
};

static int frag_attr(const char *key, const void *val, size_t len, void *arg)
{
	struct frag_ctx *c = arg;
	struct store_kv kv = { .key = key, .val = val, .len = len };

	c->rc = store_txn_setattrs(c->t, c->cid, c->oid, &kv, 1);
	return c->rc ? 1 : 0;
}

static int frag_omap(const char *key, const void *val, size_t len, void *arg)
{
	struct frag_ctx *c = arg;
	struct store_kv kv = { .key = key, .val = val, .len = len };

	c->rc = store_txn_omap_setkeys(c->t, c->cid, c->oid, &kv, 1);
	return c->rc ? 1 : 0;
}

/* The object's version from its info; -ENOENT if it does not exist. */
static int obj_version(struct store *st, const char *cid, const struct store_oid *oid,
                       struct pg_peer_eversion *v)
{
	struct osd_obj_info oi;
	void *p = NULL;
	size_t n = 0;
	int rc = store_getattr(st, cid, oid, OSD_OI_ATTR, &p, &n);

	if (rc == 0)
		rc = osd_obj_info_decode(p, n, &oi);
	mem_free(p);
	if (rc == 0)
		*v = (struct pg_peer_eversion){ oi.version.epoch, oi.version.v };
	return rc;
}

/* Encodes the transaction that recreates oid as it is here. */
static int build_frag(struct store *st, const char *cid, const struct store_oid *oid,
                      struct buf **out)
{
	struct frag_ctx c = { .cid = cid, .oid = oid };
	struct buf *data = NULL;
	ssize_t n;
	int rc = store_txn_create(&c.t);

	if (rc < 0)
		return rc;
	if ((rc = store_txn_touch(c.t, cid, oid)) < 0 ||
	    (rc = store_txn_remove(c.t, cid, oid)) < 0 || (rc = store_txn_touch(c.t, cid, oid)) < 0)
		goto out;
	n = store_read(st, cid, oid, 0, 0, &data);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	if (n > 0 && (rc = store_txn_write(c.t, cid, oid, 0, data)) < 0)
		goto out;
	rc = store_getattrs(st, cid, oid, frag_attr, &c);
	if (rc >= 0)
		rc = c.rc;
	if (rc >= 0)
		rc = store_omap_iterate(st, cid, oid, NULL, 0, frag_omap, &c);
	if (rc >= 0)
		rc = c.rc;
	if (rc >= 0)
		rc = store_txn_encode(c.t, out);
out:
	buf_put(data);
	store_txn_destroy(c.t);
	return rc < 0 ? rc : 0;
}

static void do_push(struct osd_shard *sh, struct pg *pg, const struct pg_peer_work *w)
{
	struct store *st = sh->osd->store;
	char kb[KEY_BUF];
	struct store_oid oid;
	struct pg_peer_eversion have;
	struct buf *frag = NULL;
	int rc = 0;

	if (!w->deleted) {
		rc = pg_core_oid(w->key, kb, sizeof(kb), &oid);
		if (rc == 0)
			rc = obj_version(st, pg->cid, &oid, &have);
		if (rc == 0 && pg_peer_ev_cmp(have, w->version) != 0)
			rc = -ESTALE; /* G3 */
		if (rc == 0)
			rc = build_frag(st, pg->cid, &oid, &frag);
	}
	if (rc < 0) {
		log_debug(pg, "osd.%d pg %s: push of an object at %u'%" PRIu64 " dropped: %s",
		          sh->osd->whoami, pg->name, w->version.epoch, w->version.v, strerror(-rc));
		return;
	}
	for (uint8_t i = 0; i < w->n_targets; i++)
		send_one(sh, pg, w->targets[i], true, w->msg, w->len, frag);
	buf_put(frag);
}

/* --- LIST work --------------------------------------------------------------------------- */

struct list_ctx {
	struct store *st;
	const char *cid;
	struct pg_peer_obj *objs;
	size_t n, cap;
	unsigned listed;
	int rc;
};

static int list_one(const struct store_oid *oid, void *arg)
{
	struct list_ctx *c = arg;
	struct pg_peer_eversion v;

	c->listed++;
	if (!oid->name[0] || oid->snap != STORE_SNAP_HEAD)
		return 0; /* the pgmeta object */
	if (obj_version(c->st, c->cid, oid, &v) < 0)
		return 0; /* no object info: not a client object */
	if ((c->rc = mem_grow(&c->objs, sizeof(*c->objs), &c->cap, c->n + 1)) < 0)
		return 1;
	c->objs[c->n].version = v;
	if (!(c->objs[c->n].key = pg_core_key(oid->nspace ? oid->nspace : "", oid->name))) {
		c->rc = -ENOMEM;
		return 1;
	}
	c->n++;
	return 0;
}

/* --- osd_max_backfills: PGs backfilling at once, as primary ---------------------------- */

static bool slot_take(struct osd *o)
{
	int max = (int)cfg_int(o->d.cfg, CFG_KEY_osd_max_backfills);
	int cur = atomic_load(&o->backfills_active);

	while (cur < max)
		if (atomic_compare_exchange_weak(&o->backfills_active, &cur, cur + 1))
			return true;
	return false;
}

void pg_backfill_slot_release(struct pg *pg)
{
	if (pg->bf_slot)
		atomic_fetch_sub(&pg->shard->osd->backfills_active, 1);
	pg->bf_slot = false;
	if (pg->bf_wait) {
		mem_free(pg->bf_wait->after);
		mem_free(pg->bf_wait);
		pg->bf_wait = NULL;
	}
}

/* A backfill round's own listing at the primary needs a slot; it waits for
 * one (pg->bf_wait, one per PG: the core lists one range at a time). */
static bool slot_wait(struct osd_shard *sh, struct pg *pg, const struct pg_peer_work *w)
{
	struct pg_peer_work *c;

	if (pg->bf_slot || !pg->core || !pg_peer_is_primary(pg->core))
		return false;
	if (slot_take(sh->osd)) {
		pg->bf_slot = true;
		log_debug(pg, "osd.%d pg %s: backfill slot taken", sh->osd->whoami, pg->name);
		return false;
	}
	if (!(c = mem_calloc(1, sizeof(*c))))
		return false; /* run it rather than lose it */
	*c = (struct pg_peer_work){ .kind = w->kind, .max = w->max, .tag = w->tag, .after = NULL };
	if (w->after && !(c->after = mem_strdup(w->after))) {
		mem_free(c);
		return false;
	}
	if (pg->bf_wait) {
		mem_free(pg->bf_wait->after);
		mem_free(pg->bf_wait);
	}
	pg->bf_wait = c;
	return true;
}

static void do_list(struct osd_shard *sh, struct pg *pg, const struct pg_peer_work *w);

void pg_backfill_slot_tick(struct osd_shard *sh, struct pg *pg)
{
	struct pg_peer_progress pr;
	struct pg_peer_work *w = pg->bf_wait;

	if (pg->bf_slot && pg->core) {
		pg_peer_progress(pg->core, &pr);
		if (!pr.backfill_targets && !pg->bf_wait) {
			pg_backfill_slot_release(pg);
			log_debug(pg, "osd.%d pg %s: backfill slot returned", sh->osd->whoami,
			          pg->name);
		}
		return;
	}
	if (!w || !slot_take(sh->osd))
		return;
	pg->bf_slot = true;
	pg->bf_wait = NULL;
	do_list(sh, pg, w);
	mem_free(w->after);
	mem_free(w);
}

static void do_list(struct osd_shard *sh, struct pg *pg, const struct pg_peer_work *w)
{
	struct list_ctx c = { .st = sh->osd->store, .cid = pg->cid };
	struct pg_peer_actions a;
	char kb[KEY_BUF];
	struct store_oid after;
	int rc = 0;

	if (slot_wait(sh, pg, w))
		return;
	if (w->after && (rc = pg_core_oid(w->after, kb, sizeof(kb), &after)) < 0)
		return;
	rc = store_list(c.st, pg->cid, w->after ? &after : NULL, w->max, list_one, &c);
	if (rc >= 0)
		rc = c.rc;
	pg_peer_actions_init(&a);
	if (rc >= 0 && pg->core)
		pg_core_run(sh, pg,
		            pg_peer_list_done(pg->core, w->tag, c.objs, c.n, c.listed < w->max, &a),
		            &a);
	else
		log_warn(pg, "osd.%d pg %s: cannot list objects for backfill: %s", sh->osd->whoami,
		         pg->name, strerror(rc < 0 ? -rc : EINVAL));
	pg_peer_actions_fini(&a);
	for (size_t i = 0; i < c.n; i++)
		mem_free(c.objs[i].key);
	mem_free(c.objs);
}

void pg_peer_run_work(struct osd_shard *sh, struct pg *pg, const struct pg_peer_work *w)
{
	if (w->kind == PG_PEER_WORK_PUSH)
		do_push(sh, pg, w);
	else if (w->kind == PG_PEER_WORK_LIST)
		do_list(sh, pg, w);
}

/* --- receiving ----------------------------------------------------------------------------- */

/* The routing header must agree with the core message it carries. */
static bool header_matches(const struct osd_msg_peering *h, const struct pg_peer_msg *pm)
{
	if (pm->pool != h->pool || pm->ps != h->ps || pm->from != h->from)
		return false;
	return (pm->type == PG_PEER_MSG_PUSH) == (h->m.type == OSD_MSG_PUSH);
}

static bool has_op(const struct pg_peer_actions *a, enum pg_peer_op_kind k)
{
	for (size_t i = 0; i < a->n_ops; i++)
		if (a->ops[i].kind == k)
			return true;
	return false;
}

/* A QUERY for a PG we do not hold (G2). */
static void answer_absent(struct osd_shard *sh, const struct osd_msg_peering *h,
                          const struct pg_peer_msg *pm)
{
	struct pg_peer_actions a;
	struct pg tmp = { .id = { h->pool, h->ps } };

	pg_peer_actions_init(&a);
	if (pm->type == PG_PEER_MSG_QUERY &&
	    pg_peer_reply_absent(sh->osd->whoami, sh->map->map->epoch, pm, &a) == 0)
		for (size_t i = 0; i < a.n_msgs; i++)
			send_one(sh, &tmp, a.msgs[i].to, false, a.msgs[i].data, a.msgs[i].len,
			         NULL);
	pg_peer_actions_fini(&a);
}

/* Handles pm for pg; the pushed object (data) goes in with the ops. */
static int deliver(struct osd_shard *sh, struct pg *pg, const struct pg_peer_msg *pm,
                   const struct buf *data)
{
	struct pg_peer_actions a;
	struct store_txn *t = NULL;
	int rc;

	pg_peer_actions_init(&a);
	rc = pg_peer_handle(pg->core, pm, &a);
	log_debug(pg, "osd.%d pg %s: peering message %u from osd.%d e%u: %d, %zu ops %zu msgs",
	          sh->osd->whoami, pg->name, pm->type, pm->from, pm->epoch, rc, a.n_ops, a.n_msgs);
	if (rc == -EAGAIN) {
		pg_peer_actions_fini(&a);
		return rc;
	}
	if (rc == 0 && !a.err && has_op(&a, PG_PEER_OP_OBJ_WRITE)) {
		int trc = data ? store_txn_decode(data, &t) : -EBADMSG;

		if (trc == 0)
			trc = pg_core_ops_txn(pg, &a, t);
		if (trc == 0 && (trc = osd_shard_queue_txn(sh, pg, t, 0, false)) == 0)
			pg_core_hold_objs(pg, &a, pg->txn_queued);
		if (trc < 0) {
			store_txn_destroy(t);
			log_err(pg, "osd.%d pg %s: cannot store a pushed object: %s",
			        sh->osd->whoami, pg->name, strerror(-trc));
			pg_core_close(pg); /* reload from the store: the push is retried */
		}
		pg_core_after(sh, pg, rc, &a);
	} else {
		pg_core_run(sh, pg, rc, &a);
	}
	pg_peer_actions_fini(&a);
	pg_core_kick(sh, pg);
	return 0;
}

void pg_handle_peering(struct osd_shard *sh, struct osd_item *it)
{
	struct osd_msg_peering *h = (void *)it->msg;
	const struct osdmap *map = sh->map ? sh->map->map : NULL;
	struct pg *pg;
	struct pg_peer_msg pm;
	int rc;

	PG_ASSERT_OWNER(sh);
	if (!map || h->epoch > map->epoch) { /* G1 */
		it->msg_epoch = h->epoch;
		list_push_back(&sh->waiting_map, &it->node);
		osd_map_want(sh->osd, h->epoch);
		return;
	}
	pg = pg_lookup(sh, (struct osdmap_pg){ h->pool, h->ps });
	rc = pg_peer_msg_decode(h->body, h->body_len, &pm);
	if (rc == 0 && !header_matches(h, &pm))
		rc = -EBADMSG;
	if (rc < 0) {
		log_warn(pg, "osd.%d pg %lld.%x: bad peering message from osd.%d: %s",
		         sh->osd->whoami, (long long)h->pool, h->ps, h->from, strerror(-rc));
	} else if (!pg) {
		answer_absent(sh, h, &pm);
	} else if (pg->state == PG_ST_REMOVED || !pg->core) {
		/* being removed, or its core is being reloaded: the sender resends */
	} else if (deliver(sh, pg, &pm, h->m.data) == -EAGAIN) {
		/* the core has not seen the sender's epoch yet: it comes */
		pg_peer_msg_fini(&pm);
		it->msg_epoch = h->epoch > map->epoch ? h->epoch : map->epoch + 1;
		list_push_back(&sh->waiting_map, &it->node);
		osd_map_want(sh->osd, it->msg_epoch);
		return;
	}
	pg_peer_msg_fini(&pm);
	mem_free(it);
	msg_put(&h->m);
}
