/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg.c - placement groups: creation, loading at startup, following map
 * changes, removal with their pool, object counting and the snapshot other
 * threads read.
 *
 * DESIGN
 * Which copy serves and what it holds is the peering core's business
 * (pg_peer_drive.c); here a PG only follows its placement:
 *
 *   (absent) --map: we are in up or acting--> ACTIVE       pg_create
 *   ACTIVE --map: in neither up nor acting--> STRAY        pg_update
 *   STRAY --map: in up or acting again--> ACTIVE           pg_update
 *   any --map: pool deleted--> REMOVED -> (absent)         pg_remove
 *
 * Every map epoch also goes to the PG's core (pg_core_advance), which
 * finds new intervals, peers, activates and recovers.
 *
 * Invariants: P1 a PG lives in the table of shard osd_pg_shard(id) and is
 * touched only by that shard's thread (PG_ASSERT_OWNER); P2 the collection
 * "<pgid>_head" and its pgmeta object (info xattr, log omap) exist on disk
 * for every PG in a table, created in one transaction; P3 is_primary iff
 * state is ACTIVE and the first OSD of the acting set is us; P4 num_objects and
 * num_bytes are exact while counted (counted again when we become
 * primary: replicas do not track them). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "store/store.h"
#include "osd/peering/peering.h"
#include "osd/pg.h"
#include "osd/pg_peer_drive.h"

const char *pg_state_name(enum pg_state s)
{
	switch (s) {
	case PG_ST_ACTIVE:
		return "active";
	case PG_ST_STRAY:
		return "stray";
	case PG_ST_REMOVED:
		return "removed";
	}
	return "?";
}

static size_t pg_bucket(const struct osd_shard *sh, struct osdmap_pg id)
{
	uint64_t h = (uint64_t)id.pool * 1000003u ^ id.ps;

	return (size_t)((h * 0x9e3779b97f4a7c15ull) >> 40) % sh->npg_buckets;
}

struct pg *pg_lookup(struct osd_shard *sh, struct osdmap_pg id)
{
	struct pg *pg;

	for (pg = sh->pgs[pg_bucket(sh, id)]; pg; pg = pg->hnext)
		if (pg->id.pool == id.pool && pg->id.ps == id.ps)
			return pg;
	return NULL;
}

static void table_add(struct osd_shard *sh, struct pg *pg)
{
	size_t b = pg_bucket(sh, pg->id);

	pthread_mutex_lock(&sh->lock);
	pg->hnext = sh->pgs[b];
	sh->pgs[b] = pg;
	sh->npgs++;
	pthread_mutex_unlock(&sh->lock);
	perf_inc(sh->osd->pc, OSD_P_NUMPG, 1);
}

static void table_remove(struct osd_shard *sh, struct pg *pg)
{
	struct pg **p = &sh->pgs[pg_bucket(sh, pg->id)];

	pthread_mutex_lock(&sh->lock);
	while (*p && *p != pg)
		p = &(*p)->hnext;
	if (*p) {
		*p = pg->hnext;
		sh->npgs--;
	}
	pthread_mutex_unlock(&sh->lock);
	perf_dec(sh->osd->pc, OSD_P_NUMPG, 1);
}

static struct pg *pg_new(struct osd_shard *sh, struct osdmap_pg id)
{
	struct pg *pg = mem_calloc(1, sizeof(*pg));

	if (!pg)
		return NULL;
	pg->id = id;
	pg->shard = sh;
	osdmap_pg_str(id, pg->name, sizeof(pg->name));
	snprintf(pg->cid, sizeof(pg->cid), "%s_head", pg->name);
	pg->primary = -1;
	pg->info.pool = id.pool;
	pg->info.ps = id.ps;
	pg_log_init(&pg->log);
	list_init(&pg->repops);
	list_init(&pg->repins);
	list_init(&pg->peer_pending);
	list_init(&pg->waiting_peer);
	list_init(&pg->recov_held);
	pg->next_repin = 1;
	return pg;
}

void pg_free(struct pg *pg)
{
	if (!pg)
		return;
	struct list_node *n;

	pg_core_close(pg);
	pg_core_release_all(pg);
	pg_backfill_slot_release(pg);
	pg_repops_fini(pg->shard, pg);
	while ((n = list_pop_front(&pg->waiting_peer)))
		osd_opreq_done(pg->shard, LIST_CONTAINER(n, struct osd_opreq, it.node));
	for (size_t i = 0; i < pg->nobj_buckets; i++)
		while (pg->objs[i]) {
			struct pg_obj *o = pg->objs[i];

			pg->objs[i] = o->hnext;
			while ((n = list_pop_front(&o->waiters)))
				osd_opreq_done(pg->shard,
				               LIST_CONTAINER(n, struct osd_opreq, it.node));
			mem_free(o->key);
			mem_free(o);
		}
	mem_free(pg->objs);
	pg_log_fini(&pg->log);
	mem_free(pg);
}

/* --- object trackers ------------------------------------------------------------ */

static uint64_t key_hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 1099511628211ull;
	return h;
}

struct pg_obj *pg_obj_get(struct pg *pg, const char *nspace, const char *name)
{
	size_t ln = strlen(nspace), lo = strlen(name), klen = ln + 1 + lo, b;
	struct pg_obj *o;
	char *key;

	if (!pg->objs) {
		pg->nobj_buckets = 256;
		pg->objs = mem_calloc(pg->nobj_buckets, sizeof(*pg->objs));
		if (!pg->objs)
			return NULL;
	}
	key = mem_malloc(klen + 1);
	if (!key)
		return NULL;
	memcpy(key, nspace, ln + 1);
	memcpy(key + ln + 1, name, lo + 1);
	b = key_hash(key, klen) & (pg->nobj_buckets - 1);
	for (o = pg->objs[b]; o; o = o->hnext)
		if (o->klen == klen && memcmp(o->key, key, klen) == 0) {
			mem_free(key);
			return o;
		}
	o = mem_calloc(1, sizeof(*o));
	if (!o) {
		mem_free(key);
		return NULL;
	}
	o->key = key;
	o->klen = klen;
	list_init(&o->waiters);
	o->hnext = pg->objs[b];
	pg->objs[b] = o;
	return o;
}

void pg_obj_release(struct pg *pg, struct pg_obj *o)
{
	struct pg_obj **p;

	if (!o || o->writing || !list_is_empty(&o->waiters))
		return;
	p = &pg->objs[key_hash(o->key, o->klen) & (pg->nobj_buckets - 1)];
	while (*p && *p != o)
		p = &(*p)->hnext;
	if (*p)
		*p = o->hnext;
	mem_free(o->key);
	mem_free(o);
}

/* --- snapshot and statistics ------------------------------------------------------ */

/* The core's state bits as the monitors' (the values differ: never cast). */
static const struct {
	uint32_t core, mon;
} state_map[] = {
	{ PG_PEER_ST_ACTIVE, MON_PG_ACTIVE },
	{ PG_PEER_ST_CLEAN, MON_PG_CLEAN },
	{ PG_PEER_ST_PEERING, MON_PG_PEERING },
	{ PG_PEER_ST_ACTIVATING, MON_PG_ACTIVATING },
	{ PG_PEER_ST_DOWN, MON_PG_DOWN },
	{ PG_PEER_ST_INCOMPLETE, MON_PG_INCOMPLETE },
	{ PG_PEER_ST_DEGRADED, MON_PG_DEGRADED },
	{ PG_PEER_ST_UNDERSIZED, MON_PG_UNDERSIZED },
	{ PG_PEER_ST_REMAPPED, MON_PG_REMAPPED },
	{ PG_PEER_ST_RECOVERING, MON_PG_RECOVERING },
	{ PG_PEER_ST_RECOVERY_WAIT, MON_PG_RECOVERY_WAIT },
	{ PG_PEER_ST_BACKFILLING, MON_PG_BACKFILLING },
	{ PG_PEER_ST_BACKFILL_WAIT, MON_PG_BACKFILL_WAIT },
	{ PG_PEER_ST_STALE, MON_PG_STALE },
};

static uint32_t mon_state(const struct pg *pg)
{
	uint32_t core = pg->core ? pg_peer_state(pg->core) : PG_PEER_ST_PEERING, mon = 0;

	for (size_t i = 0; i < sizeof(state_map) / sizeof(state_map[0]); i++)
		if (core & state_map[i].core)
			mon |= state_map[i].mon;
	return mon ? mon : MON_PG_PEERING;
}

void pg_publish(struct pg *pg)
{
	struct pg_snap s = {
		.state = pg->state,
		.primary = pg->is_primary,
		.mon_state = pg->is_primary ? mon_state(pg) : 0,
		.nup = (uint8_t)pg->nup,
		.nacting = (uint8_t)pg->nacting,
		.last_update = pg->info.last_update,
		.last_complete = pg->info.last_complete,
		.same_interval_since = pg->info.same_interval_since,
		.num_objects = pg->num_objects,
		.num_bytes = pg->num_bytes,
		.num_rd = pg->num_rd,
		.num_rd_bytes = pg->num_rd_bytes,
		.num_wr = pg->num_wr,
		.num_wr_bytes = pg->num_wr_bytes,
		.log_len = pg->log.n,
	};

	struct pg_peer_progress prog;

	s.reason_osd = -1;
	if (pg->core) {
		const struct pg_peer_info *ci = pg_peer_get_info(pg->core);
		size_t nm = 0;

		(void)pg_peer_get_missing(pg->core, &nm);
		s.core_state = pg_peer_state(pg->core);
		s.reason = pg_peer_reason(pg->core, &s.reason_osd);
		s.les = ci->last_epoch_started;
		s.lec = ci->last_epoch_clean;
		s.n_missing = (uint32_t)nm;
		s.n_past = ci->n_past;
		pg_peer_progress(pg->core, &prog);
		s.degraded = prog.degraded;
		s.misplaced = prog.backfill_targets ? pg->bf_left * prog.backfill_targets : 0;
		if (pg->num_objects)
			s.bytes_recovering =
			    (s.degraded + s.misplaced) * (pg->num_bytes / pg->num_objects);
	}
	s.log_tail = pg->info.log_tail;
	s.epoch_created = pg->info.epoch_created;
	for (int i = 0; i < pg->nup; i++)
		s.up[i] = pg->up[i];
	for (int i = 0; i < pg->nacting; i++)
		s.acting[i] = pg->acting[i];
	pthread_mutex_lock(&pg->shard->lock);
	pg->snap = s;
	pthread_mutex_unlock(&pg->shard->lock);
}

struct count_ctx {
	struct store *st;
	const char *cid;
	uint64_t objects, bytes;
};

static int count_one(const struct store_oid *oid, void *arg)
{
	struct count_ctx *c = arg;
	struct osd_obj_info oi;
	void *v = NULL;
	size_t n = 0;

	if (!oid->name[0] || oid->snap != STORE_SNAP_HEAD)
		return 0;
	c->objects++;
	if (store_getattr(c->st, c->cid, oid, OSD_OI_ATTR, &v, &n) == 0 &&
	    osd_obj_info_decode(v, n, &oi) == 0)
		c->bytes += oi.size;
	mem_free(v);
	return 0;
}

/* P4: counts the objects of a PG that just became ours to report (or was
 * recovered: pushed objects are not counted one by one). */
void pg_recount(struct pg *pg)
{
	struct count_ctx c = { .st = pg->shard->osd->store, .cid = pg->cid };
	int rc = store_list(c.st, pg->cid, NULL, 0, count_one, &c);

	if (rc < 0) {
		log_warn(pg, "pg %s: cannot count objects: %s", pg->name, strerror(-rc));
		return;
	}
	pg->num_objects = c.objects;
	pg->num_bytes = c.bytes;
	pg->counted = true;
}

/* --- creation and loading ------------------------------------------------------------ */

static uint32_t pool_created(const struct osdmap *m, struct osdmap_pg id)
{
	const struct osdmap_pool *p = osdmap_pool(m, id.pool);

	return p ? p->created : 0;
}

static int pg_create(struct osd_shard *sh, const struct osdmap *m, struct osdmap_pg id)
{
	struct store_txn *t = NULL;
	struct pg *pg = pg_new(sh, id);
	int rc = pg ? store_txn_create(&t) : -ENOMEM;

	if (rc < 0)
		goto out_free;
	pg->info.epoch_created = pg->info.same_interval_since = m->epoch;
	if ((rc = store_txn_coll_create(t, pg->cid)) < 0 ||
	    (rc = store_txn_touch(t, pg->cid, &pg_meta_oid)) < 0 ||
	    (rc = pg_info_txn(t, pg->cid, &pg->info)) < 0)
		goto out_free;
	if ((rc = pg_core_open(sh->osd, pg, false, pool_created(m, id))) < 0 ||
	    (rc = osd_shard_queue_txn(sh, pg, t, 0, false)) < 0)
		goto out_free;
	pg->counted = true; /* empty */
	table_add(sh, pg);
	log_debug(pg, "pg %s: created at e%u", pg->name, m->epoch);
	return 0;
out_free:
	store_txn_destroy(t);
	if (pg)
		log_err(pg, "pg %s: cannot create: %s", pg->name, strerror(-rc));
	pg_free(pg);
	return rc;
}

/* The creation record (_info: epoch_created); the core has the rest. */
static int load_info(struct store *st, struct pg *pg)
{
	void *v = NULL;
	size_t n = 0;
	int rc = store_getattr(st, pg->cid, &pg_meta_oid, OSD_PGINFO_ATTR, &v, &n);

	if (rc == 0)
		rc = pg_info_decode(v, n, &pg->info);
	mem_free(v);
	return rc == -ENODATA ? -EBADMSG : rc;
}

struct load_ctx {
	struct osd *o;
	int loaded, rc;
};

static int load_coll(const char *cid, void *arg)
{
	struct load_ctx *c = arg;
	struct osdmap_pg id;
	char name[48];
	const char *us = strstr(cid, "_head");
	struct osd_shard *sh;
	struct pg *pg;
	int rc;

	if (!us || us[5] || (size_t)(us - cid) >= sizeof(name))
		return 0; /* meta and anything else */
	memcpy(name, cid, (size_t)(us - cid));
	name[us - cid] = 0;
	if (osdmap_pg_parse(name, &id) < 0)
		return 0;
	sh = osd_shard_of(c->o, id.pool, id.ps);
	pg = pg_new(sh, id);
	if (!pg) {
		c->rc = -ENOMEM;
		return 1;
	}
	rc = load_info(c->o->store, pg);
	if (rc == 0)
		rc = pg_core_open(c->o, pg, true, 0);
	if (rc < 0) {
		log_err(pg, "pg %s: cannot load: %s", pg->name, strerror(-rc));
		pg_free(pg);
		c->rc = rc;
		return 1;
	}
	pg->state = PG_ST_STRAY; /* until a map says otherwise */
	table_add(sh, pg);
	c->loaded++;
	return 0;
}

int pg_load_all(struct osd *o)
{
	struct load_ctx c = { .o = o };
	int rc = store_list_colls(o->store, load_coll, &c);

	if (rc >= 0)
		rc = c.rc;
	if (rc == 0)
		log_info(osd, "osd.%d: loaded %d PGs", o->whoami, c.loaded);
	return rc;
}

/* --- map changes ----------------------------------------------------------------------- */

/* The up set of id in m (down OSDs filtered); -errno if not computable. */
static int pg_map(const struct osdmap *m, struct osdmap_pg id, int *up, int *nup, int *primary)
{
	int tmp[MON_PG_SIZE_MAX], n = osdmap_pg_up(m, id, tmp, MON_PG_SIZE_MAX, primary);

	if (n < 0)
		return n;
	*nup = 0;
	for (int i = 0; i < n; i++)
		if (tmp[i] >= 0 && osdmap_osd_is_up(m, tmp[i]))
			up[(*nup)++] = tmp[i];
	*primary = *nup ? up[0] : -1;
	return 0;
}

static bool contains(const int *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

struct rm_ctx {
	struct store_txn *t;
	const char *cid;
	unsigned n;
	int rc;
};

static int rm_one(const struct store_oid *oid, void *arg)
{
	struct rm_ctx *c = arg;

	c->rc = store_txn_remove(c->t, c->cid, oid);
	c->n++;
	return c->rc ? 1 : 0;
}

/* Removes every object, then the collection, in batches of transactions. */
static void pg_remove(struct osd_shard *sh, struct pg *pg)
{
	struct rm_ctx c = { .cid = pg->cid };
	int rc;

	pg->state = PG_ST_REMOVED;
	table_remove(sh, pg);
	do {
		c.n = 0;
		rc = store_txn_create(&c.t);
		if (rc == 0)
			rc = store_list(sh->osd->store, pg->cid, NULL, 1024, rm_one, &c);
		rc = rc < 0 ? rc : c.rc;
		if (rc == 0 && c.n < 1024)
			rc = store_txn_coll_remove(c.t, pg->cid);
		if (rc == 0 && (rc = osd_shard_queue_txn(sh, pg, c.t, 0, false)) == 0)
			c.t = NULL;
		store_txn_destroy(c.t);
		/* the next listing must see this batch gone: wait for it */
		if (rc == 0 && c.n == 1024) {
			struct store_txn *barrier;

			if (store_txn_create(&barrier) == 0)
				store_apply_transaction(sh->osd->store, barrier);
		}
	} while (rc == 0 && c.n == 1024);
	if (rc < 0)
		log_err(pg, "pg %s: cannot remove: %s", pg->name, strerror(-rc));
	else
		log_info(pg, "pg %s: removed with its pool", pg->name);
	sh->osd->stats_dirty = true;
	pg_free(pg);
}

/* The acting set of id in m (pg_temp applied, down OSDs filtered). */
static int pg_acting(const struct osdmap *m, struct osdmap_pg id, int *v, int *n)
{
	int tmp[MON_PG_SIZE_MAX], primary,
	    k = osdmap_pg_acting(m, id, tmp, MON_PG_SIZE_MAX, &primary);

	*n = 0;
	for (int i = 0; i < k; i++)
		if (tmp[i] >= 0 && osdmap_osd_is_up(m, tmp[i]))
			v[(*n)++] = tmp[i];
	return k < 0 ? k : 0;
}

/* Brings one PG to map m (edges in DESIGN): placement for stats and
 * serving, then the peering core. */
static void pg_update(struct osd_shard *sh, struct pg *pg, const struct osdmap *m)
{
	const struct osdmap_pool *pool = osdmap_pool(m, pg->id.pool);
	int up[MON_PG_SIZE_MAX], act[MON_PG_SIZE_MAX], nup = 0, nact = 0, primary = -1;
	int me = sh->osd->whoami;
	bool reborn = false, changed;

	if (!pool) {
		pg_remove(sh, pg);
		return;
	}
	if (pg->id.ps >= pool->place.pg_num || pg_map(m, pg->id, up, &nup, &primary) < 0 ||
	    pg_acting(m, pg->id, act, &nact) < 0)
		nup = nact = 0;
	changed = nup != pg->nup || nact != pg->nacting ||
	          memcmp(up, pg->up, sizeof(int) * (size_t)nup) != 0 ||
	          memcmp(act, pg->acting, sizeof(int) * (size_t)nact) != 0;
	for (int i = 0; i < nact; i++) {
		reborn |= !changed && m->osds[act[i]].nonce != pg->acting_nonce[i];
		pg->acting_nonce[i] = m->osds[act[i]].nonce;
	}
	pg->pool_size = pool->place.size;
	pg->nup = nup;
	pg->nacting = nact;
	memcpy(pg->up, up, sizeof(int) * (size_t)nup);
	memcpy(pg->acting, act, sizeof(int) * (size_t)nact);
	pg->primary = nact ? act[0] : -1;
	pg->state = contains(up, nup, me) || contains(act, nact, me) ? PG_ST_ACTIVE : PG_ST_STRAY;
	pg->is_primary = pg->state == PG_ST_ACTIVE && pg->primary == me; /* P3 */
	if (changed)
		sh->osd->stats_dirty = true;
	if (!pg->is_primary)
		pg->counted = false; /* P4: replicas do not track the counts */
	else if (!pg->counted)
		pg_recount(pg);
	pg_core_advance(sh, pg, m);
	if (reborn && pg->is_primary)
		pg_repops_resend(sh, pg); /* a peer restarted within the interval */
	if (changed)
		log_debug(pg, "pg %s: e%u %s%s, %d up, %d acting", pg->name, m->epoch,
		          pg_state_name(pg->state), pg->is_primary ? " primary" : "", nup, nact);
	pg_publish(pg);
}

/* The PGs of sh that m maps to us (up or acting) and we do not have yet. */
static void create_new(struct osd_shard *sh, const struct osdmap *m)
{
	int up[MON_PG_SIZE_MAX], act[MON_PG_SIZE_MAX], nup, nact, primary, me = sh->osd->whoami;

	for (size_t i = 0; i < m->npools; i++) {
		const struct osdmap_pool *p = &m->pools[i];

		for (uint32_t ps = 0; ps < p->place.pg_num; ps++) {
			struct osdmap_pg id = { p->place.id, ps };

			if (osd_pg_shard(id.pool, ps, sh->osd->nshards) != sh->idx ||
			    pg_lookup(sh, id) || pg_map(m, id, up, &nup, &primary) < 0 ||
			    pg_acting(m, id, act, &nact) < 0 ||
			    !(contains(up, nup, me) || contains(act, nact, me)))
				continue;
			if (pg_create(sh, m, id) == 0)
				pg_update(sh, pg_lookup(sh, id), m);
		}
	}
}

void pg_advance_map(struct osd_shard *sh, const struct osdmap *m)
{
	PG_ASSERT_OWNER(sh);
	for (size_t b = 0; b < sh->npg_buckets; b++) {
		struct pg *pg = sh->pgs[b], *next;

		for (; pg; pg = next) {
			next = pg->hnext; /* pg_update may remove pg */
			pg_update(sh, pg, m);
		}
	}
	if (sh->osd->whoami >= 0 && sh->osd->whoami < m->max_osd)
		create_new(sh, m);
}
