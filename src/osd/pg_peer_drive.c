/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_peer_drive.c - the peering core instance of each PG and the
 * driver of its actions (PEERING_INTEGRATION.md), on the PG's shard thread.
 *
 * DESIGN
 * Every PG has a core (src/osd/peering). Each call into it returns actions:
 * store ops go into one transaction (the client's update, a pushed object,
 * or a transaction of their own); everything else (messages, work,
 * requests to the monitors) is parked in pg->peer_pending with the number
 * of the PG's newest queued transaction and runs once that one committed.
 * The store commits a PG's transactions in queue order, so "that one
 * committed" means "every earlier one did too" (rule 2 of the core's
 * contract).
 * On disk (pgmeta object of the PG collection): xattr "_pinfo" (the core's
 * info), omap "P.<epoch %010>.<v %020>" (log entries; aux = the OSD's
 * struct osd_log_entry), omap "M.<key>" (missing set). Object keys are
 * nspace "\x01" name: bytewise order equals the store's (ns, name) order
 * because namespaces may not contain \x01 (refused in pg_op.c).
 * Invariants: D1 pg->core is NULL only after a broken call, until the next
 * tick recreates it from the store; D2 pg->log (the reqid index for
 * duplicates) holds exactly the core's log entries; D3 pg->info mirrors
 * the core's info after every call.
 * Edges: pg_create/load -> pg_core_open; map -> pg_core_advance; tick ->
 * pg_core_tick; COMMITTED -> pg_core_committed -> batch_run. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/cfg.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "osd/osd.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"
#include "osd/pg.h"
#include "osd/pg_peer_drive.h"
#include "osd/pg_log.h"
#include "store/store.h"

#define CORE_KEY_MAX (PG_PEER_KEY_MAX + 8)
#define PINFO_ATTR   "_pinfo"

/* Actions that wait for the commit of transaction seq of their PG. */
struct pg_peer_batch {
	struct list_node node;
	uint64_t seq;
	struct pg_peer_actions a;
};

/* --- keys ----------------------------------------------------------------------------- */

char *pg_core_key(const char *nspace, const char *name)
{
	size_t ln = strlen(nspace), lo = strlen(name);
	char *k = mem_malloc(ln + lo + 2);

	if (!k)
		return NULL;
	memcpy(k, nspace, ln);
	k[ln] = '\001';
	memcpy(k + ln + 1, name, lo + 1);
	return k;
}

int pg_core_oid(const char *key, char *buf, size_t cap, struct store_oid *oid)
{
	const char *sep = strchr(key, '\001');
	size_t n = strlen(key);

	if (!sep || n + 1 > cap)
		return -EINVAL;
	memcpy(buf, key, n + 1);
	buf[sep - key] = 0;
	*oid = (struct store_oid){ buf, buf + (sep - key) + 1, STORE_SNAP_HEAD };
	return oid->name[0] ? 0 : -EINVAL;
}

/* --- the dup index (D2) and the info mirror (D3) ----------------------------------------- */

static int aux_decode(const struct pg_peer_entry *pe, struct osd_log_entry *e)
{
	struct dec d;

	memset(e, 0, sizeof(*e));
	if (!pe->aux)
		return -EBADMSG;
	dec_init(&d, pe->aux, pe->aux_len);
	return osd_log_entry_decode(&d, e);
}

static void dup_add(struct pg *pg, const struct pg_peer_entry *pe)
{
	struct osd_log_entry e;

	if (aux_decode(pe, &e) < 0)
		return; /* not a client update of ours: nothing to answer from */
	e.version = (struct osd_eversion){ pe->version.epoch, pe->version.v };
	if (pg_log_append(&pg->log, &e) < 0)
		log_warn(pg, "pg %s: dup index: cannot add %u'%" PRIu64, pg->name, e.version.epoch,
		         e.version.v);
	osd_log_entry_fini(&e);
}

static void dup_rebuild(struct pg *pg)
{
	size_t n = 0;
	const struct pg_peer_entry *l = pg->core ? pg_peer_get_log(pg->core, &n) : NULL;

	pg_log_fini(&pg->log);
	pg_log_init(&pg->log);
	for (size_t i = 0; i < n; i++)
		dup_add(pg, &l[i]);
}

static void dup_apply(struct pg *pg, const struct pg_peer_actions *a)
{
	for (size_t i = 0; i < a->n_ops; i++) {
		const struct pg_peer_op *op = &a->ops[i];

		switch (op->kind) {
		case PG_PEER_OP_LOG_APPEND:
			dup_add(pg, &op->entry);
			break;
		case PG_PEER_OP_LOG_TRIM:
			pg_log_trim(&pg->log,
			            (struct osd_eversion){ op->version.epoch, op->version.v });
			break;
		case PG_PEER_OP_LOG_TRUNCATE:
		case PG_PEER_OP_LOG_CLEAR:
			dup_rebuild(pg);
			return;
		default:
			break;
		}
	}
}

static void info_mirror(struct pg *pg)
{
	const struct pg_peer_info *i = pg_peer_get_info(pg->core);

	pg->info.last_update = (struct osd_eversion){ i->last_update.epoch, i->last_update.v };
	pg->info.last_complete =
	    (struct osd_eversion){ i->last_complete.epoch, i->last_complete.v };
	pg->info.log_tail = (struct osd_eversion){ i->log_tail.epoch, i->log_tail.v };
	pg->info.same_interval_since = i->same_interval_since;
}

/* --- lifecycle: loading from the store -------------------------------------------------- */

static void core_config(const struct cfg *c, struct pg_peer_config *pc)
{
	*pc = (struct pg_peer_config){
		.resend_ticks = 3,
		.log_max = (uint32_t)cfg_int(c, CFG_KEY_osd_max_pg_log_entries),
		.log_keep = (uint32_t)cfg_int(c, CFG_KEY_osd_min_pg_log_entries),
		.recovery_max = (uint32_t)cfg_int(c, CFG_KEY_osd_recovery_max_active),
		.scan_max = 64,
	};
	if (pc->log_keep >= pc->log_max)
		pc->log_keep = pc->log_max / 2;
	if (pc->recovery_max == 0)
		pc->recovery_max = 1;
}

struct load_ctx {
	struct pg_peer_entry *log;
	size_t n_log, cap_log;
	struct pg_peer_missing_item *missing;
	size_t n_missing, cap_missing;
	int rc;
};

static int load_kv(const char *key, const void *val, size_t len, void *arg)
{
	struct load_ctx *c = arg;
	struct dec d;

	dec_init(&d, val, len);
	if (strncmp(key, "P.", 2) == 0) {
		if ((c->rc = mem_grow(&c->log, sizeof(*c->log), &c->cap_log, c->n_log + 1)) < 0)
			return 1;
		memset(&c->log[c->n_log], 0, sizeof(*c->log));
		if ((c->rc = pg_peer_entry_decode(&d, &c->log[c->n_log])) < 0)
			return 1;
		c->n_log++;
	} else if (strncmp(key, "M.", 2) == 0) {
		if ((c->rc = mem_grow(&c->missing, sizeof(*c->missing), &c->cap_missing,
		                      c->n_missing + 1)) < 0)
			return 1;
		memset(&c->missing[c->n_missing], 0, sizeof(*c->missing));
		if ((c->rc = pg_peer_missing_decode(&d, &c->missing[c->n_missing])) < 0)
			return 1;
		c->n_missing++;
	}
	return 0;
}

static void load_fini(struct load_ctx *c)
{
	for (size_t i = 0; i < c->n_log; i++)
		pg_peer_entry_fini(&c->log[i]);
	for (size_t i = 0; i < c->n_missing; i++)
		mem_free(c->missing[i].key);
	mem_free(c->log);
	mem_free(c->missing);
}

/* Reads info, log and missing set; *info zeroed if the copy has none. */
static int load_state(struct osd *o, struct pg *pg, struct pg_peer_info *info, struct load_ctx *c)
{
	void *v = NULL;
	size_t n = 0;
	struct dec d;
	int rc = store_getattr(o->store, pg->cid, &pg_meta_oid, PINFO_ATTR, &v, &n);

	if (rc == -ENODATA || rc == -ENOENT)
		return 0; /* never written: a new copy */
	if (rc < 0)
		return rc;
	dec_init(&d, v, n);
	rc = pg_peer_info_decode(&d, info);
	mem_free(v);
	if (rc < 0)
		return rc;
	rc = store_omap_iterate(o->store, pg->cid, &pg_meta_oid, "M.", 0, load_kv, c);
	if (rc >= 0)
		rc = c->rc;
	return rc < 0 ? rc : 0;
}

int pg_core_open(struct osd *o, struct pg *pg, bool load, uint32_t created)
{
	struct pg_peer_info info = { .pool = pg->id.pool, .ps = pg->id.ps };
	struct load_ctx c = { 0 };
	struct pg_peer_state st = { .info = &info };
	struct pg_peer_config pc;
	int rc = 0;

	if (pg->core)
		return 0;
	info.backfill_complete = true; /* an empty history is complete */
	info.created = created;        /* its past intervals are learnt from peers */
	if (load && (rc = load_state(o, pg, &info, &c)) < 0) {
		log_err(pg, "osd.%d pg %s: damaged peering state (%s): starting it empty",
		        o->whoami, pg->name, strerror(-rc));
		pg_peer_info_fini(&info);
		load_fini(&c);
		c = (struct load_ctx){ 0 };
		info = (struct pg_peer_info){ .pool = pg->id.pool,
			                      .ps = pg->id.ps,
			                      .backfill_complete = false };
	}
	st.log = c.log;
	st.n_log = c.n_log;
	st.missing = c.missing;
	st.n_missing = c.n_missing;
	core_config(o->d.cfg, &pc);
	rc = pg_peer_create(o->whoami, &pc, &st, &pg->core);
	if (rc < 0)
		log_err(pg, "osd.%d pg %s: cannot create its peering core: %s", o->whoami, pg->name,
		        strerror(-rc));
	pg_peer_info_fini(&info);
	load_fini(&c);
	if (rc == 0) {
		info_mirror(pg);
		dup_rebuild(pg);
	}
	return rc;
}

static void batch_free(struct pg_peer_batch *b)
{
	pg_peer_actions_fini(&b->a);
	mem_free(b);
}

void pg_core_close(struct pg *pg)
{
	struct list_node *n;

	pg_peer_destroy(pg->core);
	pg->core = NULL;
	while ((n = list_pop_front(&pg->peer_pending)))
		batch_free(LIST_CONTAINER(n, struct pg_peer_batch, node));
}

/* --- store ops ---------------------------------------------------------------------------- */

static void log_key(char *k, size_t cap, struct pg_peer_eversion v, const char *tail)
{
	snprintf(k, cap, "P.%010" PRIu32 ".%020" PRIu64 "%s", v.epoch, v.v, tail);
}

static int put_kv(struct store_txn *t, const struct pg *pg, const char *key, struct enc *e)
{
	struct store_kv kv = { .key = key, .val = e->data, .len = e->len };
	int rc = enc_error(e);

	if (rc == 0)
		rc = store_txn_omap_setkeys(t, pg->cid, &pg_meta_oid, &kv, 1);
	enc_fini(e);
	return rc;
}

static int put_log_entry(struct store_txn *t, const struct pg *pg, const struct pg_peer_entry *le)
{
	char key[64];
	struct enc e;

	log_key(key, sizeof(key), le->version, "");
	enc_init(&e);
	pg_peer_entry_encode(&e, le);
	return put_kv(t, pg, key, &e);
}

static int put_missing(struct store_txn *t, const struct pg *pg, const struct pg_peer_op *op)
{
	struct pg_peer_missing_item mi = { .key = op->key,
		                           .need = op->version,
		                           .deleted = op->deleted };
	char key[CORE_KEY_MAX];
	struct enc e;

	snprintf(key, sizeof(key), "M.%s", op->key);
	enc_init(&e);
	pg_peer_missing_encode(&e, &mi);
	return put_kv(t, pg, key, &e);
}

static int del_missing(struct store_txn *t, const struct pg *pg, const char *k)
{
	char key[CORE_KEY_MAX];
	const char *keys[1] = { key };

	snprintf(key, sizeof(key), "M.%s", k);
	return store_txn_omap_rmkeys(t, pg->cid, &pg_meta_oid, keys, 1);
}

/* Entries <= v (trim) or > v (truncate): keys are fixed width, so key
 * order is version order and "key(v)\x01" sits just after key(v). */
static int rm_log_range(struct store_txn *t, const struct pg *pg, struct pg_peer_eversion v,
                        bool upto)
{
	char after[64];

	log_key(after, sizeof(after), v, "\001");
	if (upto)
		return store_txn_omap_rmkeyrange(t, pg->cid, &pg_meta_oid, "P.", after);
	return store_txn_omap_rmkeyrange(t, pg->cid, &pg_meta_oid, after, "P/");
}

/* Removes key's object whether or not it exists (touch makes it exist). */
static int rm_object(struct store_txn *t, const struct pg *pg, const char *key)
{
	char buf[CORE_KEY_MAX];
	struct store_oid oid;
	int rc = pg_core_oid(key, buf, sizeof(buf), &oid);

	if (rc == 0)
		rc = store_txn_touch(t, pg->cid, &oid);
	if (rc == 0)
		rc = store_txn_remove(t, pg->cid, &oid);
	return rc;
}

static int op_to_txn(struct store_txn *t, const struct pg *pg, const struct pg_peer_op *op)
{
	switch (op->kind) {
	case PG_PEER_OP_INFO:
		return store_txn_setattr(t, pg->cid, &pg_meta_oid, PINFO_ATTR, op->data, op->len);
	case PG_PEER_OP_LOG_APPEND:
		return put_log_entry(t, pg, &op->entry);
	case PG_PEER_OP_LOG_TRIM:
		return rm_log_range(t, pg, op->version, true);
	case PG_PEER_OP_LOG_TRUNCATE:
		return rm_log_range(t, pg, op->version, false);
	case PG_PEER_OP_LOG_CLEAR:
		return store_txn_omap_rmkeyrange(t, pg->cid, &pg_meta_oid, "P.", "P/");
	case PG_PEER_OP_MISSING_ADD:
		return put_missing(t, pg, op);
	case PG_PEER_OP_MISSING_DEL:
		return del_missing(t, pg, op->key);
	case PG_PEER_OP_MISSING_CLEAR:
		return store_txn_omap_rmkeyrange(t, pg->cid, &pg_meta_oid, "M.", "M/");
	case PG_PEER_OP_OBJ_REMOVE:
		return rm_object(t, pg, op->key);
	case PG_PEER_OP_OBJ_WRITE:
		return 0; /* the pushed object is already in t (pg_peering.c) */
	}
	return -EINVAL;
}

int pg_core_ops_txn(struct pg *pg, const struct pg_peer_actions *a, struct store_txn *t)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < a->n_ops; i++)
		rc = op_to_txn(t, pg, &a->ops[i]);
	return rc;
}

/* --- objects written by recovery (per-object order, pg_op.c O1) -------------------------- */

struct pg_recov_obj {
	struct list_node node;
	uint64_t seq;
	struct pg_obj *obj;
};

void pg_core_hold_objs(struct pg *pg, const struct pg_peer_actions *a, uint64_t seq)
{
	for (size_t i = 0; i < a->n_ops; i++) {
		const struct pg_peer_op *op = &a->ops[i];
		char kb[CORE_KEY_MAX];
		struct store_oid oid;
		struct pg_recov_obj *h;

		if ((op->kind != PG_PEER_OP_OBJ_WRITE && op->kind != PG_PEER_OP_OBJ_REMOVE) ||
		    pg_core_oid(op->key, kb, sizeof(kb), &oid) < 0)
			continue;
		h = mem_calloc(1, sizeof(*h));
		if (!h || !(h->obj = pg_obj_get(pg, oid.nspace, oid.name))) {
			/* -ENOMEM: an op may read the object before the write lands */
			log_warn(pg, "pg %s: out of memory tracking a recovered object", pg->name);
			mem_free(h);
			continue;
		}
		h->seq = seq;
		h->obj->writing++;
		list_push_back(&pg->recov_held, &h->node);
	}
}

void pg_core_applied(struct osd_shard *sh, struct pg *pg, uint64_t seq)
{
	while (!list_is_empty(&pg->recov_held)) {
		struct pg_recov_obj *h =
		    LIST_CONTAINER(pg->recov_held.next, struct pg_recov_obj, node);
		struct pg_obj *o = h->obj;

		if (h->seq > seq)
			break;
		list_remove(&h->node);
		mem_free(h);
		if (--o->writing == 0)
			pg_requeue_waiters(sh, pg, o);
	}
}

void pg_core_release_all(struct pg *pg)
{
	struct list_node *n;

	while ((n = list_pop_front(&pg->recov_held))) {
		struct pg_recov_obj *h = LIST_CONTAINER(n, struct pg_recov_obj, node);

		h->obj->writing--;
		mem_free(h);
	}
}

/* --- the driver ----------------------------------------------------------------------------- */

static void send_pgtemp(struct osd *o, struct pg *pg, const struct pg_peer_actions *a)
{
	struct mon_pgtemp_ent e = { .pool = pg->id.pool, .ps = pg->id.ps, .n = a->n_pg_temp };

	for (uint8_t i = 0; i < a->n_pg_temp && i < MON_PG_SIZE_MAX; i++)
		e.osds[i] = a->pg_temp_osds[i];
	(void)osd_send_pgtemp(o, &e, 1);
}

/* Runs what a batch holds besides store ops (they are committed). */
static void batch_run(struct osd_shard *sh, struct pg *pg, struct pg_peer_actions *a)
{
	struct osd *o = sh->osd;

	for (size_t i = 0; i < a->n_msgs; i++)
		pg_peer_send(sh, pg, a->msgs[i].to, a->msgs[i].data, a->msgs[i].len);
	for (size_t i = 0; i < a->n_work && pg->core; i++)
		pg_peer_run_work(sh, pg, &a->work[i]);
	if (a->need_up_thru)
		osd_want_up_thru(o, a->need_up_thru);
	if (a->pg_temp)
		send_pgtemp(o, pg, a);
}

static void run_ready(struct osd_shard *sh, struct pg *pg)
{
	struct list_node *n;

	if (atomic_load(&sh->osd->stopping) || !sh->started)
		return; /* shutting down, or not started: the core resends on tick */
	while (!list_is_empty(&pg->peer_pending)) {
		struct pg_peer_batch *b =
		    LIST_CONTAINER(pg->peer_pending.next, struct pg_peer_batch, node);

		if (b->seq > pg->txn_committed)
			break;
		n = list_pop_front(&pg->peer_pending);
		(void)n;
		batch_run(sh, pg, &b->a);
		batch_free(b);
	}
}

void pg_core_committed(struct osd_shard *sh, struct pg *pg, uint64_t seq)
{
	if (seq > pg->txn_committed)
		pg->txn_committed = seq;
	run_ready(sh, pg);
}

void pg_core_after(struct osd_shard *sh, struct pg *pg, int rc, struct pg_peer_actions *a)
{
	bool changed = a->state_changed;

	if (rc == 0 && a->err)
		rc = a->err;
	if (pg->core && (rc == -ENOMEM || pg_peer_is_broken(pg->core))) {
		log_warn(pg, "osd.%d pg %s: peering core broken (%s): recreated at the next tick",
		         sh->osd->whoami, pg->name, strerror(rc < 0 ? -rc : ENOMEM));
		pg_core_close(pg);
		pg_peer_actions_reset(a);
		return;
	}
	if (rc < 0 && rc != -ESTALE && rc != -EAGAIN && rc != -EALREADY)
		log_warn(pg, "osd.%d pg %s: peering core: %s", sh->osd->whoami, pg->name,
		         strerror(-rc));
	if (!pg->core) {
		pg_peer_actions_reset(a);
		return;
	}
	dup_apply(pg, a);
	info_mirror(pg);
	if (a->n_msgs || a->n_work || a->need_up_thru || a->pg_temp) {
		struct pg_peer_batch *b = mem_calloc(1, sizeof(*b));

		if (!b) {
			log_warn(pg, "osd.%d pg %s: out of memory: peering actions dropped",
			         sh->osd->whoami, pg->name); /* the core resends on tick */
		} else {
			b->seq = pg->txn_queued;
			b->a = *a;
			pg_peer_actions_init(a); /* b owns the contents now */
			list_push_back(&pg->peer_pending, &b->node);
		}
	}
	pg_peer_actions_reset(a);
	if (changed) {
		sh->osd->stats_dirty = true;
		if ((pg_peer_state(pg->core) & PG_PEER_ST_CLEAN) && pg->is_primary)
			pg_recount(pg);
	}
	pg_publish(pg);
	run_ready(sh, pg);
}

void pg_core_run(struct osd_shard *sh, struct pg *pg, int rc, struct pg_peer_actions *a)
{
	struct store_txn *t = NULL;

	if (rc == 0 && !a->err && pg->core && a->n_ops > 0) {
		int trc = store_txn_create(&t);

		if (trc == 0)
			trc = pg_core_ops_txn(pg, a, t);
		if (trc == 0 && (trc = osd_shard_queue_txn(sh, pg, t, 0, false)) == 0)
			pg_core_hold_objs(pg, a, pg->txn_queued);
		if (trc < 0) {
			store_txn_destroy(t);
			log_err(pg, "osd.%d pg %s: cannot queue peering state: %s", sh->osd->whoami,
			        pg->name, strerror(-trc));
			pg_core_close(pg); /* D1: reload from what the store holds */
		}
	}
	pg_core_after(sh, pg, rc, a);
}

void pg_core_kick(struct osd_shard *sh, struct pg *pg)
{
	struct list_node ops, *n;

	if (pg->kicking || list_is_empty(&pg->waiting_peer))
		return;
	pg->kicking = true;
	list_init(&ops);
	list_splice_back(&ops, &pg->waiting_peer);
	while ((n = list_pop_front(&ops)))
		pg_handle_op(sh, LIST_CONTAINER(n, struct osd_opreq, it.node), false);
	pg->kicking = false;
}

/* --- maps and ticks ------------------------------------------------------------------------- */

/* The core's view of pg in m: up and acting with down OSDs filtered. */
static void core_map(const struct osdmap *m, const struct osdmap_pool *pool, struct osdmap_pg id,
                     struct pg_peer_map *pm)
{
	int v[MON_PG_SIZE_MAX], n, primary;
	struct pg_peer_mapping *mp = &pm->m;

	mp->size = (uint8_t)pool->place.size;
	mp->min_size = (uint8_t)pool->min_size;
	n = osdmap_pg_up(m, id, v, MON_PG_SIZE_MAX, &primary);
	for (int i = 0; i < n; i++)
		if (v[i] >= 0 && osdmap_osd_is_up(m, v[i]) && mp->n_up < PG_PEER_MAX_SIZE)
			mp->up[mp->n_up++] = v[i];
	n = osdmap_pg_acting(m, id, v, MON_PG_SIZE_MAX, &primary);
	for (int i = 0; i < n; i++)
		if (v[i] >= 0 && mp->n_acting < PG_PEER_MAX_SIZE)
			mp->acting[mp->n_acting++] = v[i];
	if (mp->n_acting > 0)
		pm->primary_up_thru = m->osds[mp->acting[0]].up_thru;
}

/* Every up OSD of m, ascending, cached per shard and epoch. */
static const int32_t *up_osds(struct osd_shard *sh, const struct osdmap *m, uint32_t *n)
{
	if (sh->up_epoch != m->epoch || !sh->up_osds) {
		int32_t *v = mem_calloc(m->max_osd > 0 ? (size_t)m->max_osd : 1, sizeof(*v));

		if (!v)
			return NULL;
		mem_free(sh->up_osds);
		sh->up_osds = v;
		sh->n_up_osds = 0;
		for (int i = 0; i < m->max_osd; i++)
			if (osdmap_osd_is_up(m, i))
				v[sh->n_up_osds++] = i;
		sh->up_epoch = m->epoch;
	}
	*n = sh->n_up_osds;
	return sh->up_osds;
}

void pg_core_advance(struct osd_shard *sh, struct pg *pg, const struct osdmap *m)
{
	const struct osdmap_pool *pool = osdmap_pool(m, pg->id.pool);
	struct pg_peer_map pm = { .epoch = m->epoch };
	struct pg_peer_actions a;
	uint32_t old_interval;

	if (!pg->core || !pool || pg->state == PG_ST_REMOVED || m->epoch <= pg_peer_epoch(pg->core))
		return;
	if (!(pm.up_osds = up_osds(sh, m, &pm.n_up_osds)))
		return; /* -ENOMEM: the core sees a later epoch (a gap it tolerates) */
	core_map(m, pool, pg->id, &pm);
	old_interval = pg_peer_interval(pg->core);
	pg_peer_actions_init(&a);
	pg_core_run(sh, pg, pg_peer_advance_map(pg->core, &pm, &a), &a);
	pg_peer_actions_fini(&a);
	if (pg->core && pg_peer_interval(pg->core) != old_interval)
		pg_repops_drop(sh, pg);
	pg_core_kick(sh, pg);
}

void pg_core_replay(struct osd_shard *sh, uint32_t upto)
{
	uint32_t from = upto, last = 0;

	PG_ASSERT_OWNER(sh);
	for (size_t b = 0; b < sh->npg_buckets; b++)
		for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext)
			if (pg->core && pg_peer_epoch(pg->core) + 1 < from)
				from = pg_peer_epoch(pg->core) + 1;
	for (uint32_t e = from ? from : 1; e < upto; e++) {
		struct osdmap *m = NULL;

		if (osd_map_load(sh->osd, e, &m) < 0)
			continue; /* trimmed or never held: the core sees a gap */
		for (size_t b = 0; b < sh->npg_buckets; b++)
			for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext)
				pg_core_advance(sh, pg, m);
		osdmap_destroy(m);
		last = e;
	}
	if (last)
		log_info(osd, "osd.%d: shard %u replayed maps e%u..e%u", sh->osd->whoami, sh->idx,
		         from, last);
}

static int count_one(const struct store_oid *oid, void *arg)
{
	if (oid->name[0] && oid->snap == STORE_SNAP_HEAD)
		(*(uint64_t *)arg)++;
	return 0;
}

/* Misplaced objects of a backfilling PG: ours after the slowest cursor. */
static void count_backfill_left(struct osd_shard *sh, struct pg *pg)
{
	struct pg_peer_progress pr;
	char kb[CORE_KEY_MAX];
	struct store_oid after;
	uint64_t n = 0;

	pg_peer_progress(pg->core, &pr);
	if (!pr.backfill_targets) {
		pg->bf_left = 0;
		return;
	}
	if (!pr.backfill_from_start && pr.backfill_cursor &&
	    pg_core_oid(pr.backfill_cursor, kb, sizeof(kb), &after) == 0)
		(void)store_list(sh->osd->store, pg->cid, &after, 0, count_one, &n);
	else
		(void)store_list(sh->osd->store, pg->cid, NULL, 0, count_one, &n);
	pg->bf_left = n;
}

void pg_core_tick(struct osd_shard *sh)
{
	struct pg_peer_actions a;

	PG_ASSERT_OWNER(sh);
	pg_peer_actions_init(&a);
	for (size_t b = 0; b < sh->npg_buckets; b++) {
		for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext) {
			if (pg->state == PG_ST_REMOVED)
				continue;
			if (!pg->core && pg_core_open(sh->osd, pg, true, 0) == 0 && sh->map) {
				log_info(pg, "osd.%d pg %s: peering core reloaded", sh->osd->whoami,
				         pg->name);
				pg_core_advance(sh, pg, sh->map->map);
			}
			if (!pg->core)
				continue;
			count_backfill_left(sh, pg);
			pg_backfill_slot_tick(sh, pg);
			pg_core_run(sh, pg, pg_peer_tick(pg->core, &a), &a);
			pg_core_kick(sh, pg);
		}
	}
	pg_peer_actions_fini(&a);
}
