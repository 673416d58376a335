/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_peer_drive.c - the peering core instance of each PG and the
 * driver of its actions (PEERING_INTEGRATION.md §0, §3), on the PG's shard
 * thread.
 *
 * Step (c) skeleton, behind the osd_peering option (default false: with it
 * off nothing here runs and the daemon behaves as before). With it on the
 * core runs in the shadow of the old replication path: it is created with
 * each PG, sees every map the shard sees and ticks; the store ops of its
 * actions (info, log, missing) are written to the PG's pgmeta object under
 * keys of their own (`_pinfo` xattr, omap `P.<epoch>.<v>` log entries,
 * `M.<key>` missing items) so that the old pg_log keys are never touched.
 * Not yet: object ops (OBJ_REMOVE/OBJ_WRITE: the old path still owns the
 * objects), loading the core's state from the store (it starts empty),
 * replaying skipped epochs, and the after-commit FIFO that would send
 * `msgs`, run `work` and ask the monitors (need_up_thru, pg_temp): those
 * actions are counted in a debug log and dropped; the core resends on tick.
 *
 * DESIGN
 * Invariant: pg->core is NULL unless osd_peering is set; a broken instance
 * (-ENOMEM, pg_peer_is_broken) is destroyed and recreated at the next tick.
 * Edges: pg_create / load -> pg_core_open; pg_free -> pg_core_close;
 * pg_advance_map -> pg_core_advance_map; OSD_IT_TICK -> pg_core_tick. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/cfg.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "osd/osd.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"
#include "osd/pg.h"
#include "osd/pg_log.h"
#include "store/store.h"

#define CORE_KEY_MAX (PG_PEER_KEY_MAX + 8)

/* --- lifecycle ------------------------------------------------------------------------- */

static void core_config(const struct cfg *c, struct pg_peer_config *pc)
{
	*pc = (struct pg_peer_config){
		.resend_ticks = 5,
		.log_max = (uint32_t)cfg_int(c, CFG_KEY_osd_max_pg_log_entries),
		.log_keep = (uint32_t)cfg_int(c, CFG_KEY_osd_min_pg_log_entries),
		.recovery_max = 8,
		.scan_max = 64,
	};
	if (pc->log_keep >= pc->log_max)
		pc->log_keep = pc->log_max / 2;
}

int pg_core_open(struct osd *o, struct pg *pg)
{
	struct pg_peer_info info = { .pool = pg->id.pool,
		                     .ps = pg->id.ps,
		                     .backfill_complete = true };
	struct pg_peer_state st = { .info = &info };
	struct pg_peer_config pc;
	int rc;

	if (!cfg_bool(o->d.cfg, CFG_KEY_osd_peering) || pg->core)
		return 0;
	core_config(o->d.cfg, &pc);
	rc = pg_peer_create(o->whoami, &pc, &st, &pg->core);
	if (rc < 0)
		log_err(pg, "osd.%d pg %s: cannot create its peering core: %s", o->whoami, pg->name,
		        strerror(-rc));
	return rc;
}

void pg_core_close(struct pg *pg)
{
	pg_peer_destroy(pg->core);
	pg->core = NULL;
}

/* --- store ops --------------------------------------------------------------------------- */

static void log_key(char *k, size_t cap, struct pg_peer_eversion v, const char *tail)
{
	snprintf(k, cap, "P.%010" PRIu32 ".%020" PRIu64 "%s", v.epoch, v.v, tail);
}

static int put_log_entry(struct store_txn *t, const struct pg *pg, const struct pg_peer_entry *e)
{
	char key[64];
	struct enc enc;
	struct store_kv kv = { .key = key };
	int rc;

	log_key(key, sizeof(key), e->version, "");
	enc_init(&enc);
	pg_peer_entry_encode(&enc, e);
	rc = enc_error(&enc);
	kv.val = enc.data;
	kv.len = enc.len;
	if (rc == 0)
		rc = store_txn_omap_setkeys(t, pg->cid, &pg_meta_oid, &kv, 1);
	enc_fini(&enc);
	return rc;
}

static int put_missing(struct store_txn *t, const struct pg *pg, const struct pg_peer_op *op)
{
	struct pg_peer_missing_item mi = { .key = op->key,
		                           .need = op->version,
		                           .deleted = op->deleted };
	char key[CORE_KEY_MAX];
	struct enc enc;
	struct store_kv kv = { .key = key };
	int rc;

	snprintf(key, sizeof(key), "M.%s", op->key);
	enc_init(&enc);
	pg_peer_missing_encode(&enc, &mi);
	rc = enc_error(&enc);
	kv.val = enc.data;
	kv.len = enc.len;
	if (rc == 0)
		rc = store_txn_omap_setkeys(t, pg->cid, &pg_meta_oid, &kv, 1);
	enc_fini(&enc);
	return rc;
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

/* One core op into t. Object ops are skipped in the shadow phase. */
static int op_to_txn(struct store_txn *t, const struct pg *pg, const struct pg_peer_op *op)
{
	switch (op->kind) {
	case PG_PEER_OP_INFO:
		return store_txn_setattr(t, pg->cid, &pg_meta_oid, "_pinfo", op->data, op->len);
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
	case PG_PEER_OP_OBJ_WRITE:
		return 0; /* step (d): the old path owns the objects until then */
	}
	return -EINVAL;
}

/* --- the driver -------------------------------------------------------------------------- */

/* Executes the actions a of a core call that returned rc, then resets a. */
static void core_run(struct osd_shard *sh, struct pg *pg, int rc, struct pg_peer_actions *a)
{
	struct store_txn *t = NULL;

	if (rc == 0 && a->err)
		rc = a->err;
	if (rc == 0 && a->n_ops > 0) {
		rc = store_txn_create(&t);
		for (size_t i = 0; rc == 0 && i < a->n_ops; i++)
			rc = op_to_txn(t, pg, &a->ops[i]);
		if (rc == 0)
			rc = osd_shard_queue_txn(sh, t, pg->id, 0, false);
		if (rc < 0)
			store_txn_destroy(t);
	}
	if (a->n_msgs || a->n_work || a->need_up_thru || a->pg_temp)
		log_debug(pg, "osd.%d pg %s: peering core: %zu msgs, %zu work%s%s not run yet",
		          sh->osd->whoami, pg->name, a->n_msgs, a->n_work,
		          a->need_up_thru ? ", up_thru" : "", a->pg_temp ? ", pg_temp" : "");
	if (pg->core && (rc == -ENOMEM || pg_peer_is_broken(pg->core))) {
		log_warn(pg, "osd.%d pg %s: peering core broken (%s): recreated at the next tick",
		         sh->osd->whoami, pg->name, strerror(rc < 0 ? -rc : ENOMEM));
		pg_core_close(pg);
	} else if (rc < 0 && rc != -ESTALE && rc != -EAGAIN) {
		log_warn(pg, "osd.%d pg %s: peering core: %s", sh->osd->whoami, pg->name,
		         strerror(-rc));
	}
	pg_peer_actions_reset(a);
}

/* --- maps and ticks ---------------------------------------------------------------------- */

/* The core's view of pg in m (§3): up and acting with down OSDs filtered. */
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

/* Every up OSD of m, ascending (caller frees). NULL on -ENOMEM. */
static int32_t *up_osds(const struct osdmap *m, uint32_t *n)
{
	int32_t *v = mem_calloc(m->max_osd > 0 ? (size_t)m->max_osd : 1, sizeof(*v));

	*n = 0;
	for (int i = 0; v && i < m->max_osd; i++)
		if (osdmap_osd_is_up(m, i))
			v[(*n)++] = i;
	return v;
}

void pg_core_advance_map(struct osd_shard *sh, const struct osdmap *m)
{
	struct pg_peer_actions a;
	uint32_t n_up = 0;
	int32_t *up = NULL;

	PG_ASSERT_OWNER(sh);
	pg_peer_actions_init(&a);
	for (size_t b = 0; b < sh->npg_buckets; b++) {
		for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext) {
			const struct osdmap_pool *pool = osdmap_pool(m, pg->id.pool);
			struct pg_peer_map pm = { .epoch = m->epoch };

			if (!pg->core || !pool || pg->state == PG_ST_REMOVED)
				continue;
			if (!up && !(up = up_osds(m, &n_up)))
				break; /* -ENOMEM: the next map or tick catches up */
			pm.up_osds = up;
			pm.n_up_osds = n_up;
			core_map(m, pool, pg->id, &pm);
			core_run(sh, pg, pg_peer_advance_map(pg->core, &pm, &a), &a);
		}
	}
	mem_free(up);
	pg_peer_actions_fini(&a);
}

void pg_core_tick(struct osd_shard *sh)
{
	struct pg_peer_actions a;

	PG_ASSERT_OWNER(sh);
	if (!cfg_bool(sh->osd->d.cfg, CFG_KEY_osd_peering))
		return;
	pg_peer_actions_init(&a);
	for (size_t b = 0; b < sh->npg_buckets; b++) {
		for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext) {
			if (pg->state == PG_ST_REMOVED)
				continue;
			if (!pg->core && pg_core_open(sh->osd, pg) == 0 && pg->core && sh->map)
				log_info(pg, "osd.%d pg %s: peering core recreated (empty)",
				         sh->osd->whoami, pg->name);
			if (pg->core)
				core_run(sh, pg, pg_peer_tick(pg->core, &a), &a);
		}
	}
	pg_peer_actions_fini(&a);
}
