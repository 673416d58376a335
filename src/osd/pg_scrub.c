/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_scrub.c - scrub, deep scrub and repair on the PG's shard thread:
 * at the primary, a run over the PG's objects in chunks (scheduled by the
 * tick or requested by a command); at the replicas, the answers (scrub
 * maps, repair pushes and pulls).
 *
 * DESIGN
 * One scrubber per primary PG of the shard, in the shard's table (sorted by
 * PG id; membership changes under shard->lock so command handlers can read
 * the published JSON there; everything else is shard-thread only).
 * States of a run:
 *
 *   IDLE --tick: due or requested, a scrub slot free--> NEXT
 *   NEXT --start_chunk: own map of (start, end], SCRUB to the others--> MAPS
 *   MAPS --every SCRUB_MAP in--> compare: objects written since the chunk
 *          began and inconsistent -> NEXT (same chunk, at most CHUNK_TRIES);
 *          repair run with repairable objects -> REPAIR; else the chunk's
 *          findings join the run's, start = end -> NEXT, or finish -> IDLE
 *   REPAIR --per object: the authority's transaction (built here, or
 *          PULLed from the authority) applied here / PUSHed to each bad copy;
 *          all done--> NEXT (the same chunk again, to verify)
 *   any --interval change, peer down, no answer in SCRUB_TIMEOUT, error--> IDLE
 *          (aborted: a requested run is asked again after SCRUB_RETRY)
 *
 * Writes during a scrub are allowed: a chunk's copies are compared as they
 * were when each built its map; an object that differs and was written
 * since the chunk began (the PG log after last_complete at the start) is
 * scrubbed again with its chunk instead of being reported. A repair PUSH
 * and the following SCRUB travel on the same lossless session and are
 * handled in order on the replica's shard, so the re-scrub sees the repair.
 * Repair applies a transaction synchronously on the shard thread (store
 * commit wait): rare and one object at a time.
 * Invariants: R1 phase != IDLE iff the run holds one osd.scrubs_active slot;
 * R2 a reply counts only with the current tid and from an OSD of the run;
 * R3 published state (pg->scrub_pub, incons_json) changes under shard->lock. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/cfg.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "osd/pg.h"
#include "osd/pg_scrub.h"
#include "store/store.h"

#define SCRUB_TIMEOUT_NS 30000000000ull
#define SCRUB_RETRY_NS   5000000000ull
#define CHUNK_TRIES      5

enum sc_phase { SC_IDLE, SC_NEXT, SC_MAPS, SC_REPAIR };

struct scrubber {
	struct osdmap_pg id;
	/* schedule */
	struct pg_scrub_rec rec; /* as persisted */
	uint64_t sched_base_ns;  /* wall: when we first saw the PG (no record) */
	uint64_t not_before_ns;  /* monotonic: after an abort */
	enum pg_scrub_kind want; /* requested (0: none) */
	/* the run */
	enum sc_phase phase;
	enum pg_scrub_kind kind;
	bool deep, repair;
	uint32_t interval; /* same_interval_since at the start */
	uint64_t tid, phase_ns;
	struct osd_list_cursor start, end; /* the chunk (start, end] */
	bool last_chunk, repaired_chunk;
	unsigned tries, ncopies, nmaps;
	struct osd_eversion since; /* last_complete when the chunk began */
	int osds[PG_SCRUB_COPIES_MAX];
	struct osd_scrub_map maps[PG_SCRUB_COPIES_MAX];
	bool have[PG_SCRUB_COPIES_MAX];
	struct pg_scrub_result chunk, run;
	size_t rep_at; /* REPAIR: next entry of chunk */
	uint64_t fixed;
	char *incons_json; /* shard->lock: the last run's findings */
};

struct scrub_req {
	struct osdmap_pg id;
	enum pg_scrub_kind kind;
};

struct pg_scrubs {
	struct scrubber **v; /* by id; membership under shard->lock */
	size_t n, cap;
	struct scrub_req *reqs; /* shard->lock */
	size_t nreq, reqcap;
	uint64_t next_tid;
};

static const char *kind_name(enum pg_scrub_kind k)
{
	return k == PG_SCRUB_REPAIR ? "repair" : k == PG_SCRUB_DEEP ? "deep-scrub" : "scrub";
}

/* --- the table ---------------------------------------------------------------------- */

static int id_cmp(struct osdmap_pg a, struct osdmap_pg b)
{
	if (a.pool != b.pool)
		return a.pool < b.pool ? -1 : 1;
	return a.ps < b.ps ? -1 : a.ps > b.ps;
}

static size_t lower(const struct pg_scrubs *t, struct osdmap_pg id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (id_cmp(t->v[mid]->id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct scrubber *find(const struct pg_scrubs *t, struct osdmap_pg id)
{
	size_t i = t ? lower(t, id) : 0;

	return t && i < t->n && id_cmp(t->v[i]->id, id) == 0 ? t->v[i] : NULL;
}

static void scrubber_free(struct scrubber *sc)
{
	osd_list_cursor_fini(&sc->start);
	osd_list_cursor_fini(&sc->end);
	for (unsigned i = 0; i < PG_SCRUB_COPIES_MAX; i++)
		osd_scrub_map_fini(&sc->maps[i]);
	pg_scrub_result_fini(&sc->chunk);
	pg_scrub_result_fini(&sc->run);
	mem_free(sc->incons_json);
	mem_free(sc);
}

static void load_rec(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	void *v = NULL;
	size_t n = 0;
	int rc = store_getattr(sh->osd->store, pg->cid, &pg_meta_oid, PG_SCRUB_ATTR, &v, &n);

	if (rc == 0 && pg_scrub_rec_decode(v, n, &sc->rec) < 0)
		log_warn(pg, "osd.%d pg %s: damaged scrub record ignored", sh->osd->whoami,
		         pg->name);
	mem_free(v);
	sc->sched_base_ns = tmr_wall_ns();
}

static void publish(struct osd_shard *sh, struct pg *pg, struct scrubber *sc, char *json);

/* The PG's scrubber, made (with its record) on first use; NULL on -ENOMEM. */
static struct scrubber *get(struct osd_shard *sh, struct pg *pg)
{
	struct pg_scrubs *t = sh->scrubs;
	struct scrubber *sc = find(t, pg->id);
	size_t i;

	if (sc || !t)
		return sc;
	if (!(sc = mem_calloc(1, sizeof(*sc))))
		return NULL;
	sc->id = pg->id;
	load_rec(sh, pg, sc);
	i = lower(t, pg->id);
	pthread_mutex_lock(&sh->lock);
	if (mem_grow(&t->v, sizeof(*t->v), &t->cap, t->n + 1) < 0) {
		pthread_mutex_unlock(&sh->lock);
		scrubber_free(sc);
		return NULL;
	}
	memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof(*t->v));
	t->v[i] = sc;
	t->n++;
	pthread_mutex_unlock(&sh->lock);
	publish(sh, pg, sc, NULL);
	return sc;
}

static void drop(struct osd_shard *sh, size_t i)
{
	struct pg_scrubs *t = sh->scrubs;
	struct scrubber *sc = t->v[i];

	pthread_mutex_lock(&sh->lock);
	memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof(*t->v));
	t->n--;
	pthread_mutex_unlock(&sh->lock);
	scrubber_free(sc);
}

void pg_scrub_shard_fini(struct osd_shard *sh)
{
	struct pg_scrubs *t = sh->scrubs;

	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		scrubber_free(t->v[i]);
	mem_free(t->v);
	mem_free(t->reqs);
	mem_free(t);
	sh->scrubs = NULL;
}

int pg_scrub_request(struct osd_shard *sh, int64_t pool, uint32_t ps, enum pg_scrub_kind kind)
{
	struct pg_scrubs *t;
	int rc = 0;

	pthread_mutex_lock(&sh->lock);
	if (!sh->scrubs)
		sh->scrubs = mem_calloc(1, sizeof(*sh->scrubs));
	t = sh->scrubs;
	if (!t || mem_grow(&t->reqs, sizeof(*t->reqs), &t->reqcap, t->nreq + 1) < 0)
		rc = -ENOMEM;
	else
		t->reqs[t->nreq++] = (struct scrub_req){ { pool, ps }, kind };
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

const char *pg_scrub_incons_json_locked(struct osd_shard *sh, int64_t pool, uint32_t ps)
{
	struct scrubber *sc = find(sh->scrubs, (struct osdmap_pg){ pool, ps });

	return sc ? sc->incons_json : NULL;
}

/* --- publishing ----------------------------------------------------------------------- */

/* R3. json (taken; NULL keeps the old text) replaces the findings. */
static void publish(struct osd_shard *sh, struct pg *pg, struct scrubber *sc, char *json)
{
	struct pg_scrub_pub p = { sc->rec.last_scrub_ns, sc->rec.last_deep_scrub_ns, sc->rec.errors,
		                  0 };

	if (sc->phase != SC_IDLE)
		p.state |= MON_PG_SCRUBBING | (sc->deep ? MON_PG_DEEP : 0) |
		           (sc->repair ? MON_PG_REPAIR : 0);
	if (sc->rec.errors)
		p.state |= MON_PG_INCONSISTENT;
	pthread_mutex_lock(&sh->lock);
	pg->scrub_pub = p;
	if (json) {
		char *old = sc->incons_json;

		sc->incons_json = json;
		json = old;
	}
	pthread_mutex_unlock(&sh->lock);
	mem_free(json);
	atomic_store(&sh->osd->stats_dirty, true);
}

static void persist(struct osd_shard *sh, struct pg *pg, const struct scrubber *sc)
{
	struct store_txn *t = NULL;
	struct enc e;
	int rc;

	enc_init(&e);
	pg_scrub_rec_encode(&e, &sc->rec);
	rc = enc_error(&e);
	if (rc == 0)
		rc = store_txn_create(&t);
	if (rc == 0)
		rc = store_txn_setattr(t, pg->cid, &pg_meta_oid, PG_SCRUB_ATTR, e.data, e.len);
	if (rc == 0)
		rc = store_queue_transaction(sh->osd->store, t, NULL, NULL, NULL);
	enc_fini(&e);
	if (rc < 0) {
		store_txn_destroy(t);
		log_warn(pg, "osd.%d pg %s: scrub record not saved: %s", sh->osd->whoami, pg->name,
		         strerror(-rc));
	}
}

/* --- ending a run ----------------------------------------------------------------------- */

static void clear_chunk(struct scrubber *sc)
{
	for (unsigned i = 0; i < PG_SCRUB_COPIES_MAX; i++) {
		osd_scrub_map_fini(&sc->maps[i]);
		sc->have[i] = false;
	}
	sc->nmaps = 0;
	pg_scrub_result_fini(&sc->chunk);
}

static void end_run(struct osd_shard *sh, struct pg *pg, struct scrubber *sc, char *json)
{
	clear_chunk(sc);
	pg_scrub_result_fini(&sc->run);
	osd_list_cursor_fini(&sc->start);
	osd_list_cursor_fini(&sc->end);
	sc->phase = SC_IDLE; /* R1 */
	atomic_fetch_sub(&sh->osd->scrubs_active, 1);
	publish(sh, pg, sc, json);
}

static void abort_run(struct osd_shard *sh, struct pg *pg, struct scrubber *sc, const char *why)
{
	log_warn(pg, "osd.%d pg %s: %s aborted: %s", sh->osd->whoami, pg->name, kind_name(sc->kind),
	         why);
	if (sc->want < sc->kind)
		sc->want = sc->kind; /* again, later (a scheduled one too) */
	sc->not_before_ns = tmr_now_ns() + SCRUB_RETRY_NS;
	end_run(sh, pg, sc, NULL);
}

static void finish_run(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	json_t *j = pg_scrub_result_json(&sc->run);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	char *owned = text ? mem_strdup(text) : NULL;
	uint64_t now = tmr_wall_ns();

	free(text); /* json_dumps */
	json_decref(j);
	sc->rec.last_scrub_ns = now;
	if (sc->deep)
		sc->rec.last_deep_scrub_ns = now;
	sc->rec.errors = (uint32_t)sc->run.n;
	persist(sh, pg, sc);
	if (sc->repair)
		log_info(pg, "osd.%d pg %s: repair: %u errors, %" PRIu64 " fixed", sh->osd->whoami,
		         pg->name, sc->rec.errors, sc->fixed);
	else if (sc->rec.errors)
		log_err(pg, "osd.%d pg %s: %s: %u errors", sh->osd->whoami, pg->name,
		        kind_name(sc->kind), sc->rec.errors);
	else
		log_info(pg, "osd.%d pg %s: %s ok", sh->osd->whoami, pg->name, kind_name(sc->kind));
	end_run(sh, pg, sc, owned ? owned : mem_strdup("[]"));
}

/* --- chunks at the primary ---------------------------------------------------------------- */

static struct msg_conn *peer(struct osd_shard *sh, int osd)
{
	return sh->map ? osd_peer_conn(sh->osd, osd, sh->map->map) : NULL;
}

static void fill_hdr(struct osd_shard *sh, struct osd_scrub_hdr *h, struct osdmap_pg id,
                     uint64_t tid)
{
	*h = (struct osd_scrub_hdr){ id.pool, id.ps, sh->osd->whoami,
		                     sh->map ? sh->map->map->epoch : 0, tid };
}

static int cursor_set(struct osd_list_cursor *c, const char *ns, const char *name)
{
	char *a = mem_strdup(ns ? ns : ""), *b = mem_strdup(name);

	if (!a || !b) {
		mem_free(a);
		mem_free(b);
		return -ENOMEM;
	}
	osd_list_cursor_fini(c);
	*c = (struct osd_list_cursor){ true, a, b };
	return 0;
}

static int cursor_copy(struct osd_list_cursor *dst, const struct osd_list_cursor *src)
{
	if (!src->valid) {
		osd_list_cursor_fini(dst);
		memset(dst, 0, sizeof(*dst));
		return 0;
	}
	return cursor_set(dst, src->nspace, src->oid);
}

static int send_scrub(struct osd_shard *sh, struct scrubber *sc, int osd)
{
	struct msg_conn *c = peer(sh, osd);
	struct osd_msg_scrub *m;
	struct msg *msg;
	int rc = c ? msg_create_typed(&osd_scrub_ops, &msg) : -ENOTCONN;

	if (rc < 0) {
		msg_conn_put(c);
		return rc;
	}
	m = (void *)msg;
	fill_hdr(sh, &m->h, sc->id, sc->tid);
	m->deep = sc->deep;
	rc = cursor_copy(&m->start, &sc->start);
	if (rc == 0)
		rc = cursor_copy(&m->end, &sc->end);
	if (rc == 0)
		rc = msg_send(c, msg);
	else
		msg_put(msg);
	msg_conn_put(c);
	return rc;
}

static void chunk_done(struct osd_shard *sh, struct pg *pg, struct scrubber *sc);

static void start_chunk(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	const struct osd_list_cursor open = { 0 };
	unsigned max = (unsigned)cfg_int(sh->osd->d.cfg, CFG_KEY_osd_scrub_chunk_max);
	struct osd_scrub_map *own = &sc->maps[0];
	bool more = false;
	int rc;

	clear_chunk(sc);
	rc = pg_scrub_build_map(sh->osd->store, pg->cid, &sc->start, &open, sc->deep, max, own,
	                        &more);
	if (rc == -ENOENT)
		rc = 0; /* no collection yet: no objects */
	if (rc == 0 && more)
		rc = cursor_set(&sc->end, own->objs[own->n - 1].nspace, own->objs[own->n - 1].name);
	else if (rc == 0)
		rc = cursor_copy(&sc->end, &open);
	if (rc < 0) {
		abort_run(sh, pg, sc, strerror(-rc));
		return;
	}
	sc->last_chunk = !more;
	sc->since = pg->info.last_complete;
	sc->have[0] = true;
	sc->nmaps = 1;
	sc->tid = ++sh->scrubs->next_tid;
	sc->phase = SC_MAPS;
	sc->phase_ns = tmr_now_ns();
	for (unsigned i = 1; i < sc->ncopies; i++)
		if ((rc = send_scrub(sh, sc, sc->osds[i])) < 0) {
			char why[64];

			snprintf(why, sizeof(why), "osd.%d unreachable (%s)", sc->osds[i],
			         strerror(-rc));
			abort_run(sh, pg, sc, why);
			return;
		}
	if (sc->nmaps == sc->ncopies)
		chunk_done(sh, pg, sc);
}

/* Runs chunks while one can start at once (a single copy, a retry). */
static void run_chunks(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	while (sc->phase == SC_NEXT)
		start_chunk(sh, pg, sc);
}

static void next_chunk(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	sc->tries = 0;
	sc->repaired_chunk = false;
	if (sc->last_chunk) {
		finish_run(sh, pg, sc);
		return;
	}
	osd_list_cursor_fini(&sc->start);
	sc->start = sc->end;
	memset(&sc->end, 0, sizeof(sc->end));
	sc->phase = SC_NEXT;
}

/* Whether the object was written since the chunk began (or may have been:
 * the log no longer reaches back that far). */
static bool is_dirty(const struct pg *pg, const struct scrubber *sc,
                     const struct pg_scrub_incons *x)
{
	const struct osd_log_entry *e = pg_log_next(&pg->log, sc->since);

	if (osd_eversion_cmp(pg->log.tail, sc->since) > 0)
		return true;
	for (; e; e = pg_log_next(&pg->log, e->version))
		if (strcmp(e->oid ? e->oid : "", x->name) == 0 &&
		    strcmp(e->nspace ? e->nspace : "", x->nspace) == 0)
			return true;
	return false;
}

/* Drops findings about objects written meanwhile; true if there were any. */
static bool drop_dirty(const struct pg *pg, const struct scrubber *sc, struct pg_scrub_result *r,
                       bool remove)
{
	bool any = false;

	for (size_t i = 0; i < r->n;) {
		if (!is_dirty(pg, sc, &r->v[i])) {
			i++;
			continue;
		}
		any = true;
		if (!remove)
			return true;
		log_info(pg, "osd.%d pg %s: %s busy (written during scrub): not judged",
		         pg->shard->osd->whoami, pg->name, r->v[i].name);
		pg_scrub_result_remove(r, i);
	}
	return any;
}

static bool has_repairable(const struct pg_scrub_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].auth >= 0)
			return true;
	return false;
}

static void repair_next(struct osd_shard *sh, struct pg *pg, struct scrubber *sc);

static void chunk_done(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	struct pg_scrub_copy copies[PG_SCRUB_COPIES_MAX];
	struct pg_scrub_result res = { 0 };
	int rc;

	for (unsigned i = 0; i < sc->ncopies; i++)
		copies[i] = (struct pg_scrub_copy){ sc->osds[i], &sc->maps[i] };
	rc = pg_scrub_compare(copies, sc->ncopies, sc->deep, &res);
	if (rc == 0 && drop_dirty(pg, sc, &res, sc->tries + 1 >= CHUNK_TRIES) &&
	    sc->tries + 1 < CHUNK_TRIES) {
		sc->tries++;
		sc->phase = SC_NEXT; /* the same chunk again */
		pg_scrub_result_fini(&res);
		return;
	}
	if (rc == 0 && sc->repair && !sc->repaired_chunk && has_repairable(&res)) {
		clear_chunk(sc);
		sc->chunk = res;
		sc->rep_at = 0;
		sc->phase = SC_REPAIR;
		repair_next(sh, pg, sc);
		return;
	}
	if (rc == 0)
		rc = pg_scrub_result_move(&sc->run, &res);
	pg_scrub_result_fini(&res);
	if (rc < 0)
		abort_run(sh, pg, sc, strerror(-rc));
	else
		next_chunk(sh, pg, sc);
}

/* --- repair at the primary -------------------------------------------------------------------- */

static int send_repair(struct osd_shard *sh, struct scrubber *sc, int osd, uint8_t op,
                       const struct pg_scrub_incons *x, struct buf *txn)
{
	struct msg_conn *c = peer(sh, osd);
	struct osd_msg_repair *m;
	struct msg *msg;
	int rc = c ? msg_create_typed(&osd_repair_ops, &msg) : -ENOTCONN;

	if (rc < 0) {
		msg_conn_put(c);
		return rc;
	}
	m = (void *)msg;
	fill_hdr(sh, &m->h, sc->id, sc->tid);
	m->op = op;
	m->nspace = mem_strdup(x->nspace);
	m->name = mem_strdup(x->name);
	msg->data = txn ? buf_get(txn) : NULL;
	if (m->nspace && m->name) {
		rc = msg_send(c, msg); /* puts msg on failure too */
	} else {
		rc = -ENOMEM;
		msg_put(msg);
	}
	msg_conn_put(c);
	return rc;
}

/* Gives every bad copy of x the authority's transaction. */
static void fix(struct osd_shard *sh, struct pg *pg, struct scrubber *sc,
                const struct pg_scrub_incons *x, struct buf *txn)
{
	for (unsigned i = 0; i < x->nshards; i++) {
		const struct pg_scrub_shard *s = &x->shards[i];
		int rc;

		if ((int)i == x->auth || !s->errs)
			continue;
		if (s->osd == sh->osd->whoami)
			rc = pg_scrub_apply(sh, txn);
		else
			rc = send_repair(sh, sc, s->osd, OSD_REPAIR_PUSH, x, txn);
		if (rc < 0)
			log_warn(pg, "osd.%d pg %s: repair of %s on osd.%d failed: %s",
			         sh->osd->whoami, pg->name, x->name, s->osd, strerror(-rc));
		else
			log_info(pg, "osd.%d pg %s: repairing %s on osd.%d from osd.%d",
			         sh->osd->whoami, pg->name, x->name, s->osd,
			         x->shards[x->auth].osd);
	}
	sc->fixed++;
}

static void fix_from_local(struct osd_shard *sh, struct pg *pg, struct scrubber *sc,
                           const struct pg_scrub_incons *x)
{
	struct store_txn *t = NULL;
	struct buf *b = NULL;
	int rc = pg_scrub_repair_txn(sh->osd->store, pg->cid, x->nspace, x->name, &t);

	if (rc == 0)
		rc = store_txn_encode(t, &b);
	store_txn_destroy(t);
	if (rc == 0)
		fix(sh, pg, sc, x, b);
	else
		log_warn(pg, "osd.%d pg %s: cannot read %s to repair it: %s", sh->osd->whoami,
		         pg->name, x->name, strerror(-rc));
	buf_put(b);
}

/* Repairs the chunk's objects in order; waits (returns) for a pull. */
static void repair_next(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	while (sc->rep_at < sc->chunk.n) {
		const struct pg_scrub_incons *x = &sc->chunk.v[sc->rep_at];
		int auth = x->auth >= 0 ? x->shards[x->auth].osd : -1, rc;

		if (auth < 0) {
			log_err(pg, "osd.%d pg %s: %s: no good copy to repair from",
			        sh->osd->whoami, pg->name, x->name);
		} else if (auth == sh->osd->whoami) {
			fix_from_local(sh, pg, sc, x);
		} else {
			sc->tid = ++sh->scrubs->next_tid;
			sc->phase_ns = tmr_now_ns();
			rc = send_repair(sh, sc, auth, OSD_REPAIR_PULL, x, NULL);
			if (rc == 0)
				return; /* REPAIR_REPLY continues */
			log_warn(pg, "osd.%d pg %s: cannot pull %s from osd.%d: %s",
			         sh->osd->whoami, pg->name, x->name, auth, strerror(-rc));
		}
		sc->rep_at++;
	}
	pg_scrub_result_fini(&sc->chunk);
	sc->repaired_chunk = true;
	sc->tries = 0;
	sc->phase = SC_NEXT; /* verify: the same chunk again */
}

/* --- scheduling ----------------------------------------------------------------------------- */

static enum pg_scrub_kind due(struct osd_shard *sh, const struct scrubber *sc)
{
	const struct cfg *c = sh->osd->d.cfg;
	double deep = cfg_double(c, CFG_KEY_osd_deep_scrub_interval);
	double shallow = cfg_double(c, CFG_KEY_osd_scrub_min_interval);
	uint64_t now = tmr_wall_ns();
	uint64_t ld = sc->rec.last_deep_scrub_ns ? sc->rec.last_deep_scrub_ns : sc->sched_base_ns;
	uint64_t ls = sc->rec.last_scrub_ns ? sc->rec.last_scrub_ns : sc->sched_base_ns;

	if (sc->want)
		return sc->want;
	if (deep > 0 && now > ld && (double)(now - ld) >= deep * 1e9)
		return PG_SCRUB_DEEP;
	if (shallow > 0 && now > ls && (double)(now - ls) >= shallow * 1e9)
		return PG_SCRUB_SHALLOW;
	return 0;
}

static void start_run(struct osd_shard *sh, struct pg *pg, struct scrubber *sc,
                      enum pg_scrub_kind kind)
{
	sc->kind = kind;
	sc->deep = kind != PG_SCRUB_SHALLOW;
	sc->repair = kind == PG_SCRUB_REPAIR;
	sc->want = 0;
	sc->fixed = 0;
	sc->tries = 0;
	sc->repaired_chunk = false;
	sc->interval = pg->info.same_interval_since;
	sc->ncopies = 0;
	sc->osds[sc->ncopies++] = sh->osd->whoami;
	for (int i = 0; i < pg->nacting && sc->ncopies < PG_SCRUB_COPIES_MAX; i++) {
		bool seen = false;

		for (unsigned k = 0; k < sc->ncopies; k++)
			seen |= sc->osds[k] == pg->acting[i];
		if (pg->acting[i] >= 0 && !seen)
			sc->osds[sc->ncopies++] = pg->acting[i];
	}
	osd_list_cursor_fini(&sc->start);
	osd_list_cursor_fini(&sc->end);
	memset(&sc->start, 0, sizeof(sc->start));
	memset(&sc->end, 0, sizeof(sc->end));
	sc->phase = SC_NEXT; /* R1: the caller took a slot */
	log_info(pg, "osd.%d pg %s: %s starts (%u copies)", sh->osd->whoami, pg->name,
	         kind_name(kind), sc->ncopies);
	publish(sh, pg, sc, NULL);
	run_chunks(sh, pg, sc);
}

static void drive(struct osd_shard *sh, struct pg *pg, struct scrubber *sc)
{
	struct osd *o = sh->osd;
	enum pg_scrub_kind kind;

	if (sc->phase != SC_IDLE) {
		if (pg->info.same_interval_since != sc->interval)
			abort_run(sh, pg, sc, "the acting set changed");
		else if ((sc->phase == SC_MAPS || sc->phase == SC_REPAIR) &&
		         tmr_now_ns() - sc->phase_ns > SCRUB_TIMEOUT_NS)
			abort_run(sh, pg, sc, "a peer did not answer");
		else
			run_chunks(sh, pg, sc);
		return;
	}
	kind = due(sh, sc);
	if (!kind || tmr_now_ns() < sc->not_before_ns)
		return;
	if (atomic_fetch_add(&o->scrubs_active, 1) >= cfg_int(o->d.cfg, CFG_KEY_osd_max_scrubs)) {
		atomic_fetch_sub(&o->scrubs_active, 1);
		return;
	}
	start_run(sh, pg, sc, kind);
}

static bool can_scrub(const struct pg *pg)
{
	return pg && pg->is_primary && pg->state == PG_ST_ACTIVE;
}

static void take_requests(struct osd_shard *sh)
{
	struct scrub_req *reqs;
	size_t n;

	pthread_mutex_lock(&sh->lock);
	reqs = sh->scrubs->reqs;
	n = sh->scrubs->nreq;
	sh->scrubs->reqs = NULL;
	sh->scrubs->nreq = sh->scrubs->reqcap = 0;
	pthread_mutex_unlock(&sh->lock);
	for (size_t i = 0; i < n; i++) {
		struct pg *pg = pg_lookup(sh, reqs[i].id);
		struct scrubber *sc = can_scrub(pg) ? get(sh, pg) : NULL;

		if (sc && sc->want < reqs[i].kind) {
			sc->want = reqs[i].kind;
			sc->not_before_ns = 0;
		}
	}
	mem_free(reqs);
}

/* The shard's table, made on first use here or by pg_scrub_request (under
 * the lock; never replaced afterwards). False on -ENOMEM. */
static bool have_table(struct osd_shard *sh)
{
	bool ok;

	pthread_mutex_lock(&sh->lock);
	if (!sh->scrubs)
		sh->scrubs = mem_calloc(1, sizeof(*sh->scrubs));
	ok = sh->scrubs != NULL;
	pthread_mutex_unlock(&sh->lock);
	return ok;
}

void pg_scrub_tick(struct osd_shard *sh)
{
	PG_ASSERT_OWNER(sh);
	if (!have_table(sh))
		return;
	take_requests(sh);
	for (size_t i = 0; i < sh->scrubs->n;) {
		struct scrubber *sc = sh->scrubs->v[i];
		struct pg *pg = pg_lookup(sh, sc->id);

		if (pg && sc->phase != SC_IDLE && !can_scrub(pg))
			abort_run(sh, pg, sc, "no longer the active primary");
		if (!pg)
			atomic_fetch_sub(&sh->osd->scrubs_active, sc->phase != SC_IDLE); /* R1 */
		if (!pg) {
			drop(sh, i);
			continue;
		}
		i++;
	}
	for (size_t b = 0; b < sh->npg_buckets; b++)
		for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext) {
			struct scrubber *sc = can_scrub(pg) ? get(sh, pg) : NULL;

			if (sc)
				drive(sh, pg, sc);
		}
}

/* --- replies at the primary -------------------------------------------------------------------- */

/* The running scrubber a reply belongs to (R2), with its PG. */
static struct scrubber *reply_target(struct osd_shard *sh, const struct osd_scrub_hdr *h,
                                     enum sc_phase phase, struct pg **pg)
{
	struct scrubber *sc = find(sh->scrubs, (struct osdmap_pg){ h->pool, h->ps });

	*pg = sc ? pg_lookup(sh, sc->id) : NULL;
	if (!sc || !*pg || sc->phase != phase || sc->tid != h->tid)
		return NULL;
	return sc;
}

static void on_scrub_map(struct osd_shard *sh, struct osd_msg_scrub_map *m)
{
	struct pg *pg;
	struct scrubber *sc = reply_target(sh, &m->h, SC_MAPS, &pg);
	unsigned i = 1;

	if (!sc)
		return;
	while (i < sc->ncopies && sc->osds[i] != m->h.from)
		i++;
	if (i == sc->ncopies || sc->have[i])
		return;
	if (m->result < 0) {
		char why[64];

		snprintf(why, sizeof(why), "osd.%d: %s", m->h.from, strerror(-m->result));
		abort_run(sh, pg, sc, why);
		return;
	}
	sc->maps[i] = m->map; /* taken */
	memset(&m->map, 0, sizeof(m->map));
	sc->have[i] = true;
	if (++sc->nmaps == sc->ncopies) {
		chunk_done(sh, pg, sc);
		run_chunks(sh, pg, sc);
	}
}

static void on_repair_reply(struct osd_shard *sh, struct osd_msg_repair_reply *m)
{
	struct pg *pg;
	struct scrubber *sc = reply_target(sh, &m->h, SC_REPAIR, &pg);
	const struct pg_scrub_incons *x;

	if (m->result < 0)
		log_warn(pg, "osd.%d pg %lld.%x: repair on osd.%d failed: %s", sh->osd->whoami,
		         (long long)m->h.pool, m->h.ps, m->h.from, strerror(-m->result));
	if (!sc || !m->m.data)
		return; /* a push's answer, or a stale one */
	x = &sc->chunk.v[sc->rep_at];
	if (x->auth < 0 || x->shards[x->auth].osd != m->h.from)
		return;
	if (m->result == 0)
		fix(sh, pg, sc, x, m->m.data);
	sc->rep_at++;
	repair_next(sh, pg, sc);
	run_chunks(sh, pg, sc);
}

void pg_scrub_handle_msg(struct osd_shard *sh, struct osd_item *it)
{
	struct msg *m = it->msg;

	PG_ASSERT_OWNER(sh);
	mem_free(it);
	if (!have_table(sh)) {
		msg_put(m);
		return;
	}
	switch (m->type) {
	case OSD_MSG_SCRUB:
	case OSD_MSG_REPAIR:
		pg_scrub_replica_msg(sh, m);
		break;
	case OSD_MSG_SCRUB_MAP:
		on_scrub_map(sh, (void *)m);
		break;
	case OSD_MSG_REPAIR_REPLY:
		on_repair_reply(sh, (void *)m);
		break;
	default:
		break;
	}
	msg_put(m);
}
