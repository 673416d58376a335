/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_commit.c - the BlockStore commit pipeline: group commit, the
 * deferred-write overlay, applying and retiring deferred writes, replay.
 *
 * DESIGN
 * Prepared transactions queue in sequence order. The commit thread
 * (`bs-commit`, woken by submit when it had nothing to do) takes every
 * queued transaction as a group and, for the group:
 *   1 waits for the members' new-extent writes (bs_dio.c) and syncs the
 *     data file once if any member wrote new extents (the data stage);
 *   2 writes each member's batch (no sync): visible to readers -> on_applied;
 *   3 takes the next group (everything queued now) and starts its data
 *     stage on `bs-dsync`, then syncs the key-value WAL once -> durable ->
 *     on_commit, in order; so one group's data sync overlaps the previous
 *     group's WAL sync, while no batch is written before its own group's
 *     data sync returned and groups still commit in queue order;
 *   4 queues the members' deferred blocks (the overlay keeps serving them)
 *     and their freed extents in the next flush batch (bs->dq); extents go
 *     back to the allocator at once only if no deferred record is
 *     outstanding and no flush is in flight (a replayed deferred write must
 *     never hit a reused block).
 * Deferred flush, every BS_DEFER_BATCH records or BS_DEFER_BLOCKS blocks,
 * when a group freed extents while records are outstanding, and at close:
 * the batch moves to bs->dfl and runs on `bs-dflush` while the commit
 * thread goes on (one flush at a time, so in-place writes of a block keep
 * commit order): read_lock barrier (readers of older onodes are done), the
 * newest copy of each block written in place (sorted, in parallel), one
 * data-file sync, point deletes of the batch's D records, overlay entries
 * dropped, its extents released. Until then a crash replays the
 * D records.
 *
 * States: the store's ACTIVE -> FAILED on any write, sync or database error;
 * a failed group completes every member with -EIO (on_applied for those not
 * yet visible, on_commit for all) and nothing more reaches the disk.
 *
 * Threads: everything here runs on the commit thread except submit,
 * wait_room, drain (queueing threads), the overlay lookups (readers), a
 * data stage started ahead (`bs-dsync`, one thread; it touches only its
 * group's members until the worker waits for it under dio_lock) and the
 * deferred flush (`bs-dflush`; it owns bs->dfl while dfl_busy, which
 * dio_lock guards; close waits for it). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/wq.h"
#include "store/bs_int.h"

/* ---- overlay ---- */

int store_bs_ovl_insert(struct blockstore *bs, const struct bs_deferred *d)
{
	struct bs_ovl **v = mem_calloc(d->n ? d->n : 1, sizeof(*v));
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->n; i++) {
		v[i] = mem_malloc(sizeof(**v));
		if (!v[i] || !(v[i]->data = mem_malloc(bs->bsize)))
			goto out_free;
		v[i]->pblk = d->v[i].pblk;
		v[i]->seq = d->seq;
		memcpy(v[i]->data, d->v[i].data, bs->bsize);
	}
	pthread_mutex_lock(&bs->ovl_lock);
	for (i = 0; i < d->n; i++) {
		struct bs_ovl **head = &bs->ovl[v[i]->pblk % BS_OVL_BUCKETS];

		v[i]->next = *head;
		*head = v[i];
	}
	atomic_fetch_add(&bs->novl, d->n);
	pthread_mutex_unlock(&bs->ovl_lock);
	mem_free(v);
	return 0;
out_free:
	for (size_t j = 0; j <= i && j < d->n; j++)
		if (v[j])
			mem_free(v[j]->data), mem_free(v[j]);
	mem_free(v);
	return -ENOMEM;
}

bool store_bs_ovl_lookup(struct blockstore *bs, uint64_t pblk, uint64_t seq, uint8_t *out)
{
	struct bs_ovl *best = NULL;

	pthread_mutex_lock(&bs->ovl_lock);
	for (struct bs_ovl *o = bs->ovl[pblk % BS_OVL_BUCKETS]; o; o = o->next)
		if (o->pblk == pblk && o->seq <= seq && (!best || o->seq > best->seq))
			best = o;
	if (best && out)
		memcpy(out, best->data, bs->bsize);
	pthread_mutex_unlock(&bs->ovl_lock);
	return best != NULL;
}

static void ovl_remove(struct blockstore *bs, uint64_t pblk, uint64_t seq)
{
	pthread_mutex_lock(&bs->ovl_lock);
	for (struct bs_ovl **pp = &bs->ovl[pblk % BS_OVL_BUCKETS]; *pp; pp = &(*pp)->next) {
		struct bs_ovl *o = *pp;

		if (o->pblk == pblk && o->seq == seq) {
			*pp = o->next;
			mem_free(o->data);
			mem_free(o);
			atomic_fetch_sub(&bs->novl, 1);
			break;
		}
	}
	pthread_mutex_unlock(&bs->ovl_lock);
}

/* ---- queue ---- */

void store_bs_ptx_free(struct bs_ptx *p)
{
	if (!p)
		return;
	if (p->wb)
		rocksdb_writebatch_destroy(p->wb);
	store_bs_deferred_fini(&p->def);
	mem_free(p->rel);
	mem_free(p->pend);
	mem_free(p);
}

void store_bs_wait_room(struct blockstore *bs)
{
	if (atomic_load(&bs->inflight) < BS_INFLIGHT_MAX)
		return; /* the common case takes no lock the commit thread may hold */
	pthread_mutex_lock(&bs->q_lock);
	while (bs->inflight >= BS_INFLIGHT_MAX)
		pthread_cond_wait(&bs->q_cv, &bs->q_lock);
	pthread_mutex_unlock(&bs->q_lock);
}

void store_bs_drain(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->q_lock);
	while (bs->inflight > 0 || bs->running)
		pthread_cond_wait(&bs->q_cv, &bs->q_lock);
	pthread_mutex_unlock(&bs->q_lock);
}

static void commit_job(struct blockstore *bs);

/* The commit thread: waits for work (running), commits until the queue is
 * empty (commit_job clears running), and so on until stopping. */
static void *committer_main(void *arg)
{
	struct blockstore *bs = arg;

	pthread_setname_np(pthread_self(), "bs-commit");
	pthread_mutex_lock(&bs->q_lock);
	for (;;) {
		while (!bs->running && !bs->stopping)
			pthread_cond_wait(&bs->q_work, &bs->q_lock);
		if (!bs->running)
			break; /* stopping, and nothing queued */
		pthread_mutex_unlock(&bs->q_lock);
		commit_job(bs);
		pthread_mutex_lock(&bs->q_lock);
	}
	pthread_mutex_unlock(&bs->q_lock);
	return NULL;
}

int store_bs_committer_start(struct blockstore *bs)
{
	int rc = pthread_create(&bs->committer, NULL, committer_main, bs);

	if (rc)
		return -rc;
	bs->has_committer = true;
	return 0;
}

void store_bs_committer_stop(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->q_lock);
	bs->stopping = true;
	pthread_mutex_unlock(&bs->q_lock);
	pthread_cond_signal(&bs->q_work);
	pthread_join(bs->committer, NULL);
	bs->has_committer = false;
}

int store_bs_submit(struct blockstore *bs, struct bs_ptx *p)
{
	bool wake;

	pthread_mutex_lock(&bs->q_lock);
	list_push_back(&bs->queue, &p->link);
	atomic_fetch_add(&bs->inflight, 1);
	wake = !bs->running;
	bs->running = true;
	pthread_mutex_unlock(&bs->q_lock);
	/* signalled after unlocking, so the woken thread never waits for
	 * q_lock (each extra wake-up is an expensive cross-CPU interrupt on a
	 * VM); it checks running under q_lock, so no wake-up is lost */
	if (wake)
		pthread_cond_signal(&bs->q_work);
	return 0;
}

/* ---- deferred writes ---- */

/* Notes a D record that must be deleted once its blocks are in place. */
static void note_dseq(struct bs_dbatch *b, uint64_t seq)
{
	if (b->dhi == 0 || seq < b->dlo)
		b->dlo = seq;
	if (seq > b->dhi)
		b->dhi = seq;
}

/* Deletes b's D records: one point delete per record while b still holds
 * them (range tombstones slow every later iterator of the database),
 * else (replay at mount) every record in [dlo, dhi] with one range delete:
 * records are committed in seq order, so all of them are in place. */
static int delete_dseqs(struct blockstore *bs, const struct bs_dbatch *b, bool sync)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;
	uint8_t klo[9], khi[9];

	for (size_t i = 0; i < b->n; i++) {
		store_bs_key_u64(klo, BS_K_DEFER, b->v[i].seq);
		rocksdb_writebatch_delete(wb, (const char *)klo, 9);
	}
	if (b->n == 0) {
		store_bs_key_u64(klo, BS_K_DEFER, b->dlo);
		store_bs_key_u64(khi, BS_K_DEFER, b->dhi + 1);
		rocksdb_writebatch_delete_range(wb, (const char *)klo, 9, (const char *)khi, 9);
	}
	rocksdb_writeoptions_set_sync(wo, sync);
	rocksdb_write(bs->db, wo, wb, &err);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_writebatch_destroy(wb);
	if (err) {
		log_err(store, "blockstore %s: deleting deferred records: %s", bs->path, err);
		rocksdb_free(err);
		return -EIO;
	}
	return 0;
}

static void release_extents(struct blockstore *bs, struct bs_dbatch *b)
{
	pthread_mutex_lock(&bs->alloc_lock);
	for (size_t i = 0; i < b->nrel; i++)
		store_bs_alloc_release(&bs->alloc, b->rel[2 * i], b->rel[2 * i + 1]);
	pthread_mutex_unlock(&bs->alloc_lock);
	b->nrel = 0;
}

void store_bs_dbatch_fini(struct bs_dbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		store_bs_deferred_fini(&b->v[i]);
	mem_free(b->v);
	mem_free(b->rel);
	memset(b, 0, sizeof(*b));
}

struct dref {
	const struct bs_dblk *b;
	uint64_t seq;
};

static int cmp_dref(const void *a, const void *b)
{
	const struct dref *x = a, *y = b;

	if (x->b->pblk != y->b->pblk)
		return x->b->pblk < y->b->pblk ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq; /* newest first */
}

/* Writes b's blocks in place, sorted by pblk, only the newest copy of
 * each. Readers of older onodes are waited out first. */
static int write_queued(struct blockstore *bs, const struct bs_dbatch *b)
{
	struct dref *r = mem_malloc((b->nblocks + 1) * sizeof(*r));
	const struct bs_dblk **v = mem_malloc((b->nblocks + 1) * sizeof(*v));
	size_t n = 0, m = 0;
	int rc = -ENOMEM;

	if (!r || !v)
		goto out_free;
	for (size_t i = 0; i < b->n; i++)
		for (size_t k = 0; k < b->v[i].n; k++)
			r[n++] = (struct dref){ &b->v[i].v[k], b->v[i].seq };
	qsort(r, n, sizeof(*r), cmp_dref);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || v[m - 1]->pblk != r[i].b->pblk)
			v[m++] = r[i].b;
	pthread_rwlock_wrlock(&bs->read_lock); /* readers of older onodes are done */
	pthread_rwlock_unlock(&bs->read_lock);
	rc = store_bs_dio_write_blocks(bs, v, m);
out_free:
	mem_free(v);
	mem_free(r);
	return rc;
}

/* Drops b's records (in place now) from the overlay and from b. */
static void drop_queued(struct blockstore *bs, struct bs_dbatch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		for (size_t k = 0; k < b->v[i].n; k++)
			ovl_remove(bs, b->v[i].v[k].pblk, b->v[i].seq);
		store_bs_deferred_fini(&b->v[i]);
	}
	b->n = b->nblocks = 0;
}

/* Retires b: its blocks are written in place and synced, then its
 * records deleted and its extents released. On failure the store fails. */
static int flush_batch(struct blockstore *bs, struct bs_dbatch *b)
{
	int rc = 0;

	if (b->n)
		rc = write_queued(bs, b);
	if (rc == 0 && b->dhi)
		rc = store_file_sync(bs->file);
	if (rc == 0 && b->dhi)
		rc = delete_dseqs(bs, b, false);
	if (rc == 0)
		drop_queued(bs, b);
	if (rc < 0) {
		store_bs_fail(bs, "deferred flush", rc);
		return rc;
	}
	b->dlo = b->dhi = 0;
	release_extents(bs, b);
	return 0;
}

static int flush_run(void *arg)
{
	struct blockstore *bs = arg;

	return flush_batch(bs, &bs->dfl);
}

static void flush_done(int status, void *arg)
{
	struct blockstore *bs = arg;

	(void)status; /* flush_batch failed the store */
	pthread_mutex_lock(&bs->dio_lock);
	bs->dfl_busy = false;
	pthread_cond_broadcast(&bs->dio_cv);
	pthread_mutex_unlock(&bs->dio_lock);
}

static bool flush_is_busy(struct blockstore *bs)
{
	bool busy;

	pthread_mutex_lock(&bs->dio_lock);
	busy = bs->dfl_busy;
	pthread_mutex_unlock(&bs->dio_lock);
	return busy;
}

static void flush_wait(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->dio_lock);
	while (bs->dfl_busy)
		pthread_cond_wait(&bs->dio_cv, &bs->dio_lock);
	pthread_mutex_unlock(&bs->dio_lock);
}

/* Hands the queued batch to bs-dflush (commit worker, no flush in flight):
 * the in-place writes, data sync and record deletion then run off the
 * commit path while later groups commit. Flushes run one at a time, so
 * in-place writes of the same block stay in commit order. */
static void flush_start(struct blockstore *bs)
{
	struct bs_dbatch t = bs->dfl; /* retired: arrays only */

	bs->dfl = bs->dq;
	bs->dq = t;
	bs->dq.n = bs->dq.nblocks = bs->dq.nrel = 0;
	bs->dq.dlo = bs->dq.dhi = 0;
	bs->dfl_busy = true; /* nobody else reads it while false */
	if (!bs->fwq || wq_submit(bs->fwq, flush_run, flush_done, bs) < 0)
		flush_done(flush_run(bs), bs);
}

int store_bs_deferred_flush(struct blockstore *bs)
{
	flush_wait(bs);
	return atomic_load(&bs->state) == BS_FAILED ? -EIO : flush_batch(bs, &bs->dq);
}

/* Takes p's committed deferred blocks into the queue (the overlay keeps
 * serving them to readers until they are in place). */
static int keep_deferred(struct blockstore *bs, struct bs_ptx *p)
{
	struct bs_dbatch *b = &bs->dq;

	if (p->def.n == 0)
		return 0;
	if (mem_grow(&b->v, sizeof(*b->v), &b->cap, b->n + 1) < 0)
		return -ENOMEM;
	b->v[b->n++] = p->def;
	b->nblocks += p->def.n;
	note_dseq(b, p->def.seq);
	memset(&p->def, 0, sizeof(p->def));
	return 0;
}

static int keep_released(struct blockstore *bs, struct bs_ptx *p)
{
	struct bs_dbatch *b = &bs->dq;

	if (mem_grow(&b->rel, 2 * sizeof(uint64_t), &b->crel, b->nrel + p->nrel) < 0)
		return -ENOMEM;
	if (p->nrel)
		memcpy(b->rel + 2 * b->nrel, p->rel, p->nrel * 2 * sizeof(uint64_t));
	b->nrel += p->nrel;
	return 0;
}

/* ---- the group ---- */

/* One group on its way through the two stages. */
struct group {
	struct blockstore *bs;
	struct bs_ptx **g;
	size_t n, cap;
	int rc;     /* data stage result */
	bool ahead; /* data stage on bs->swq; done says when it finished */
	bool done;  /* "dio_lock" while ahead */
};

static void data_stage_ahead(struct blockstore *bs, struct group *gr);
static size_t take_group(struct blockstore *bs, struct bs_ptx ***g, size_t *cap);

/* Writes the batches (each visible -> on_applied), takes the next group and
 * starts its data stage, then syncs the WAL. */
static int write_batches(struct blockstore *bs, struct bs_ptx **g, size_t n, size_t *written,
                         struct group *next)
{
	char *err = NULL;

	for (*written = 0; *written < n; (*written)++) {
		rocksdb_write(bs->db, bs->wo, g[*written]->wb, &err);
		if (err)
			break;
		for (size_t k = 0; k < g[*written]->npend; k++)
			store_bs_pend_unref(bs, g[*written]->pend[k]);
		g[*written]->npend = 0;
		if (g[*written]->applied)
			g[*written]->applied(0, g[*written]->arg);
	}
	if (!err && (next->n = take_group(bs, &next->g, &next->cap)))
		data_stage_ahead(bs, next);
	if (!err)
		rocksdb_flush_wal(bs->db, 1, &err);
	if (err) {
		log_err(store, "blockstore %s: metadata commit: %s", bs->path, err);
		rocksdb_free(err);
		return -EIO;
	}
	return 0;
}

/* Queues the committed group's deferred blocks and freed extents; the
 * extents go back to the allocator now only if no D record is outstanding. */
static int after_commit(struct blockstore *bs, struct bs_ptx **g, size_t n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = keep_deferred(bs, g[i]);
		if (rc == 0)
			rc = keep_released(bs, g[i]);
	}
	if (rc == 0 && bs->dq.n == 0 && bs->dq.dhi == 0 && !flush_is_busy(bs))
		release_extents(bs, &bs->dq); /* no D record outstanding */
	if (rc < 0)
		store_bs_fail(bs, "deferred queue", rc);
	return rc;
}

/* Waits for the group's new-extent writes; syncs the data file once. */
static int sync_data(struct blockstore *bs, struct bs_ptx **g, size_t n)
{
	bool sync = false;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		int wrc = g[i]->data_io ? store_bs_dio_wait(bs, g[i]) : 0;

		sync = sync || g[i]->data_io;
		if (rc == 0 && wrc < 0) {
			rc = wrc;
			store_bs_fail(bs, "data write", rc);
		}
	}
	if (rc == 0 && sync && (rc = store_file_sync(bs->file)) < 0)
		store_bs_fail(bs, "data sync", rc);
	return rc;
}

/* Data stage: the members' writes finished and synced (0), or -EIO. The
 * members' writers are done when it returns, also on failure. */
static int data_stage(struct blockstore *bs, struct bs_ptx **g, size_t n)
{
	if (atomic_load(&bs->state) != BS_FAILED)
		return sync_data(bs, g, n);
	for (size_t i = 0; i < n; i++)
		store_bs_dio_wait(bs, g[i]);
	return -EIO;
}

static int ahead_run(void *arg)
{
	struct group *gr = arg;

	return data_stage(gr->bs, gr->g, gr->n);
}

static void ahead_done(int status, void *arg)
{
	struct group *gr = arg;
	struct blockstore *bs = gr->bs;

	pthread_mutex_lock(&bs->dio_lock);
	gr->rc = status == -ECANCELED ? -EIO : status;
	gr->done = true;
	pthread_cond_broadcast(&bs->dio_cv);
	pthread_mutex_unlock(&bs->dio_lock);
}

/* Starts gr's data stage on bs-dsync, so that its data sync overlaps the
 * current group's WAL sync; runs it here if that is not possible. */
static bool has_data_io(const struct group *gr)
{
	for (size_t i = 0; i < gr->n; i++)
		if (gr->g[i]->data_io)
			return true;
	return false;
}

static void data_stage_ahead(struct blockstore *bs, struct group *gr)
{
	gr->done = false;
	gr->ahead = has_data_io(gr) && wq_submit(bs->swq, ahead_run, ahead_done, gr) == 0;
	if (!gr->ahead)
		gr->rc = data_stage(bs, gr->g, gr->n);
}

static int data_stage_wait(struct blockstore *bs, struct group *gr)
{
	if (gr->ahead) {
		pthread_mutex_lock(&bs->dio_lock);
		while (!gr->done)
			pthread_cond_wait(&bs->dio_cv, &bs->dio_lock);
		pthread_mutex_unlock(&bs->dio_lock);
		gr->ahead = false;
	}
	return gr->rc;
}

/* Metadata stage, after the data stage returned rc: durable (or failed),
 * completes every member. Before the WAL sync the next queued group (if
 * any) is taken into next and its data stage started. The deferred blocks
 * are written in place later (their D records replay after a crash). */
static int commit_group(struct blockstore *bs, struct bs_ptx **g, size_t n, int rc,
                        struct group *next)
{
	size_t written = 0;

	if (rc == 0 && atomic_load(&bs->state) == BS_FAILED)
		rc = -EIO; /* a later group's data stage failed meanwhile */
	if (rc == 0 && (rc = write_batches(bs, g, n, &written, next)) < 0)
		store_bs_fail(bs, "metadata commit", rc);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < g[i]->npend; k++)
			store_bs_pend_unref(bs, g[i]->pend[k]);
		g[i]->npend = 0;
		if (rc < 0)
			for (size_t k = 0; k < g[i]->def.n; k++)
				ovl_remove(bs, g[i]->def.v[k].pblk, g[i]->seq);
		if (i >= written && g[i]->applied)
			g[i]->applied(rc < 0 ? -EIO : 0, g[i]->arg);
		if (g[i]->commit)
			g[i]->commit(rc < 0 ? -EIO : 0, g[i]->arg);
	}
	if (rc == 0)
		rc = after_commit(bs, g, n);
	for (size_t i = 0; i < n; i++)
		store_bs_ptx_free(g[i]);
	return rc;
}

/* Takes the whole queue; returns how many (0: the job may stop). */
static size_t take_group(struct blockstore *bs, struct bs_ptx ***g, size_t *cap)
{
	struct list_node *pos;
	size_t n = 0;

	pthread_mutex_lock(&bs->q_lock);
	while ((pos = list_pop_front(&bs->queue))) {
		if (mem_grow(g, sizeof(**g), cap, n + 1) < 0) {
			list_push_front(&bs->queue, pos);
			break;
		}
		(*g)[n++] = LIST_CONTAINER(pos, struct bs_ptx, link);
	}
	pthread_mutex_unlock(&bs->q_lock);
	return n;
}

/* A deferred flush starts every BS_DEFER_BATCH records or BS_DEFER_BLOCKS
 * blocks, or when a group freed extents while records are outstanding,
 * unless one is in flight; far beyond the thresholds the worker waits for
 * it (the overlay holds every queued block in memory). */
static bool flush_is_due(struct blockstore *bs, size_t n)
{
	const struct bs_dbatch *b = &bs->dq;

	if (atomic_load(&bs->state) == BS_FAILED)
		return false;
	if (!(b->n >= BS_DEFER_BATCH || b->nblocks >= BS_DEFER_BLOCKS || (n && b->nrel && b->dhi)))
		return false;
	if (b->n >= 4 * BS_DEFER_BATCH || b->nblocks >= 4 * BS_DEFER_BLOCKS)
		flush_wait(bs);
	return !flush_is_busy(bs);
}

/* Two stages, the data stage of one group overlapping the metadata stage
 * (WAL sync) of the one before: cur went through its data stage (or is
 * going through it on bs-dsync), next is taken during cur's metadata
 * stage. Groups still commit strictly in queue order. */
static void commit_job(struct blockstore *bs)
{
	struct group a = { .bs = bs }, b = { .bs = bs }, *cur = &a, *next = &b, *t;
	size_t n;

	for (;;) {
		if (cur->n == 0 && (cur->n = take_group(bs, &cur->g, &cur->cap)))
			cur->rc = data_stage(bs, cur->g, cur->n);
		n = cur->n;
		if (n)
			commit_group(bs, cur->g, n, data_stage_wait(bs, cur), next);
		cur->n = 0;
		t = cur, cur = next, next = t;
		pthread_mutex_lock(&bs->q_lock);
		atomic_fetch_sub(&bs->inflight, (unsigned)n);
		pthread_cond_broadcast(&bs->q_cv);
		if (list_is_empty(&bs->queue) && n == 0 && cur->n == 0) {
			bs->running = false;
			pthread_cond_broadcast(&bs->q_cv);
			pthread_mutex_unlock(&bs->q_lock);
			break;
		}
		pthread_mutex_unlock(&bs->q_lock);
		if (flush_is_due(bs, n))
			flush_start(bs);
	}
	mem_free(a.g);
	mem_free(b.g);
}

/* ---- replay at mount ---- */

static int replay_one(struct blockstore *bs, const char *val, size_t vlen, size_t *nrec)
{
	struct bs_deferred d;
	int rc = store_bs_deferred_decode(val, vlen, bs->bsize, &d);

	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		if (d.v[i].pblk == 0 || d.v[i].pblk >= bs->sb.nblocks)
			rc = -EBADMSG;
		else
			rc = store_file_pwrite(bs->file, d.v[i].data, bs->bsize,
			                       d.v[i].pblk * bs->bsize);
	}
	if (rc == 0) {
		note_dseq(&bs->dq, d.seq);
		(*nrec)++;
	}
	store_bs_deferred_fini(&d);
	return rc;
}

/* Read-only mount: deferred records cannot be written in place, so they go
 * to the overlay where readers find them exactly as after a live commit. */
static int overlay_one(struct blockstore *bs, const char *val, size_t vlen)
{
	struct bs_deferred d;
	int rc = store_bs_deferred_decode(val, vlen, bs->bsize, &d);

	for (size_t i = 0; rc == 0 && i < d.n; i++)
		if (d.v[i].pblk == 0 || d.v[i].pblk >= bs->sb.nblocks)
			rc = -EBADMSG;
	if (rc == 0)
		rc = store_bs_ovl_insert(bs, &d);
	store_bs_deferred_fini(&d); /* zeroed by a failed decode: a no-op then */
	return rc;
}

int store_bs_replay(struct blockstore *bs)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(bs->db, bs->ro);
	char pfx = BS_K_DEFER;
	size_t nrec = 0;
	int rc = 0;

	for (rocksdb_iter_seek(it, &pfx, 1); rc == 0 && rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		if (klen == 0 || k[0] != BS_K_DEFER)
			break;
		if (klen != 9)
			rc = -EBADMSG;
		else if (bs->opts.read_only)
			rc = overlay_one(bs, v, vlen);
		else
			rc = replay_one(bs, v, vlen, &nrec);
	}
	rocksdb_iter_destroy(it);
	if (rc == 0 && nrec) {
		log_info(store, "blockstore %s: replayed %zu deferred records", bs->path, nrec);
		rc = store_file_sync(bs->file);
		if (rc == 0)
			rc = delete_dseqs(bs, &bs->dq, true); /* dq.n == 0: the range */
		bs->dq.dlo = bs->dq.dhi = 0;
	}
	return rc;
}
