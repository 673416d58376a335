/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_txn.c - BlockStore transaction preparation: the working set of
 * objects and collections, applying each op to it, building the metadata
 * batch, and installing the result as pending state before queueing.
 *
 * DESIGN
 * Prepare runs under txn_lock, one transaction at a time, in the caller's
 * thread. It sees the newest state: pending entries (prepared, not yet
 * visible) first, then the database. Ops change private copies (the working
 * set); new data goes to freshly allocated blocks right away (free space:
 * harmless if the transaction never commits), small overwrites become
 * deferred blocks. On success the working set is encoded into the batch,
 * installed as pending entries, its deferred blocks into the overlay, and
 * the transaction queued; on failure every allocation and freelist change is
 * undone and nothing is visible: transactions are all or nothing.
 * Ops that read state the database may not have yet (clone copies an omap,
 * coll_remove counts objects) first drain the commit queue. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "store/bs_int.h"

/* FNV-1a: the keys of one collection share a long prefix, so each entry
 * keeps the whole hash and chains compare it before the key. */
static uint64_t pend_hash(const char *key, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	return h;
}

static struct bs_pend **pend_bucket(struct blockstore *bs, uint64_t hash)
{
	return &bs->pend[hash % BS_PEND_BUCKETS];
}

/* Caller holds pend_lock. */
static struct bs_pend *pend_find(struct blockstore *bs, const char *key, size_t n)
{
	uint64_t h = pend_hash(key, n);

	for (struct bs_pend *p = *pend_bucket(bs, h); p; p = p->next)
		if (p->hash == h && p->klen == n && memcmp(p->key, key, n) == 0)
			return p;
	return NULL;
}

/* Caller holds pend_lock. */
static void pend_free(struct blockstore *bs, struct bs_pend *p)
{
	struct bs_pend **pp = pend_bucket(bs, p->hash);

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	store_bs_onode_fini(&p->on);
	mem_free(p->key);
	mem_free(p);
}

static size_t pend_cost(const struct bs_pend *p)
{
	size_t c = sizeof(*p) + p->klen + p->on.attrs.bytes + p->on.em.n * sizeof(struct bs_ext);

	return c + store_bs_extmap_blocks(&p->on.em) * sizeof(uint32_t);
}

/* Caller holds pend_lock; p has no refs: it is kept clean (the newest
 * entry of the LRU), the least recently used ones go over the budget. */
static void pend_make_clean(struct blockstore *bs, struct bs_pend *p)
{
	p->cost = pend_cost(p);
	list_push_back(&bs->pend_lru, &p->lru);
	bs->pend_clean += p->cost;
	while (bs->pend_clean > BS_PEND_CLEAN_BYTES) {
		struct bs_pend *o =
		    LIST_CONTAINER(list_pop_front(&bs->pend_lru), struct bs_pend, lru);

		bs->pend_clean -= o->cost;
		pend_free(bs, o);
	}
}

/* Caller holds pend_lock; p is clean: it leaves the LRU. */
static void pend_take_clean(struct blockstore *bs, struct bs_pend *p)
{
	list_remove(&p->lru);
	bs->pend_clean -= p->cost;
}

void store_bs_pend_unref(struct blockstore *bs, struct bs_pend *p)
{
	pthread_mutex_lock(&bs->pend_lock);
	if (--p->refs == 0) {
		/* a failed store may not have written it: not the database's state */
		if (atomic_load(&bs->state) == BS_FAILED)
			pend_free(bs, p);
		else
			pend_make_clean(bs, p);
	}
	pthread_mutex_unlock(&bs->pend_lock);
}

void store_bs_pend_clear(struct blockstore *bs)
{
	struct list_node *n;

	pthread_mutex_lock(&bs->pend_lock);
	while ((n = list_pop_front(&bs->pend_lru)))
		pend_free(bs, LIST_CONTAINER(n, struct bs_pend, lru));
	bs->pend_clean = 0;
	pthread_mutex_unlock(&bs->pend_lock);
}

/* Keeps what prepare just read from the database as a clean entry. Safe
 * because prepare holds txn_lock and found no entry: no queued transaction
 * writes key, so the database holds its newest state. Best effort. */
static void pend_cache(struct blockstore *bs, const char *key, size_t n, bool exists, bool is_coll,
                       const struct bs_onode *on)
{
	struct bs_pend *p = mem_calloc(1, sizeof(*p));

	if (!p || !(p->key = mem_malloc(n)))
		goto out_free;
	store_bs_onode_init(&p->on);
	if (on && store_bs_onode_copy(&p->on, on) < 0)
		goto out_free;
	memcpy(p->key, key, n);
	p->klen = n;
	p->hash = pend_hash(key, n);
	p->exists = exists;
	p->is_coll = is_coll;
	pthread_mutex_lock(&bs->pend_lock);
	assert(!pend_find(bs, key, n));
	p->next = *pend_bucket(bs, p->hash);
	*pend_bucket(bs, p->hash) = p;
	pend_make_clean(bs, p);
	pthread_mutex_unlock(&bs->pend_lock);
	return;
out_free:
	if (p)
		mem_free(p->key);
	mem_free(p);
}

/* Copies the newest onode under key: 1 found, 0 absent, -errno. */
static int newest_onode(struct blockstore *bs, const char *key, size_t n, struct bs_onode *on)
{
	struct bs_pend *p;
	int rc;

	pthread_mutex_lock(&bs->pend_lock);
	p = pend_find(bs, key, n);
	if (p && p->refs == 0) { /* recently used */
		list_remove(&p->lru);
		list_push_back(&bs->pend_lru, &p->lru);
	}
	rc = !p ? 2 : !p->exists ? 0 : store_bs_onode_copy(on, &p->on) < 0 ? -ENOMEM : 1;
	pthread_mutex_unlock(&bs->pend_lock);
	if (rc != 2)
		return rc;
	rc = store_bs_onode_load(bs, key, n, true, on);
	if (rc == 0 || rc == -ENOENT)
		pend_cache(bs, key, n, rc == 0, false, rc == 0 ? on : NULL);
	return rc == -ENOENT ? 0 : rc < 0 ? rc : 1;
}

static bool newest_exists(struct blockstore *bs, const char *key, size_t n, bool is_coll)
{
	struct bs_onode on;
	struct bs_pend *p;
	char *val = NULL;
	size_t vlen;
	int rc;

	pthread_mutex_lock(&bs->pend_lock);
	p = pend_find(bs, key, n);
	rc = p ? p->exists : -1;
	pthread_mutex_unlock(&bs->pend_lock);
	if (rc >= 0)
		return rc;
	if (!is_coll) { /* prepare is about to need the onode itself */
		store_bs_onode_init(&on);
		rc = newest_onode(bs, key, n, &on);
		store_bs_onode_fini(&on);
		return rc == 1 || rc == -EBADMSG; /* a damaged record exists */
	}
	rc = store_bs_db_get(bs, key, n, &val, &vlen);
	rocksdb_free(val);
	if (rc == 0 || rc == -ENOENT)
		pend_cache(bs, key, n, rc == 0, true, NULL);
	return rc == 0;
}

static int coll_key(struct enc *e, const char *cid)
{
	enc_u8(e, BS_K_COLL);
	enc_raw(e, cid, strlen(cid));
	return enc_error(e);
}

/* ---- validation view ---- */

static bool v_coll_exists(void *ctx, const char *cid)
{
	struct enc e;
	bool r;

	enc_init(&e);
	r = coll_key(&e, cid) == 0 && newest_exists(ctx, (const char *)e.data, e.len, true);
	enc_fini(&e);
	return r;
}

static bool v_obj_exists(void *ctx, const char *cid, const struct store_oid *oid)
{
	struct enc e;
	bool r;

	enc_init(&e);
	store_bs_onode_key(&e, cid, oid);
	r = !enc_error(&e) && newest_exists(ctx, (const char *)e.data, e.len, false);
	enc_fini(&e);
	return r;
}

static uint64_t v_coll_count(void *ctx, const char *cid)
{
	struct blockstore *bs = ctx;
	rocksdb_iterator_t *it = rocksdb_create_iterator(bs->db, bs->ro);
	size_t n = strlen(cid);
	char *pfx = mem_malloc(n + 2);
	uint64_t cnt = 0;

	if (!pfx) {
		rocksdb_iter_destroy(it);
		return 1; /* unknown: treat as non-empty */
	}
	pfx[0] = BS_K_ONODE;
	memcpy(pfx + 1, cid, n + 1);
	for (rocksdb_iter_seek(it, pfx, n + 2); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen;
		const char *k = rocksdb_iter_key(it, &klen);

		if (klen < n + 2 || memcmp(k, pfx, n + 2) != 0)
			break;
		cnt++;
	}
	rocksdb_iter_destroy(it);
	mem_free(pfx);
	return cnt;
}

/* ---- working set ---- */

static struct bs_wobj *wobj_get(struct bs_tctx *tc, const char *cid, const struct store_oid_own *id)
{
	struct store_oid oid = store_oid_view(id);
	struct bs_wobj *w;
	struct enc e;
	int rc;

	enc_init(&e);
	store_bs_onode_key(&e, cid, &oid);
	if (enc_error(&e))
		goto out_fail;
	for (size_t i = 0; i < tc->no; i++)
		if (tc->o[i].klen == e.len && memcmp(tc->o[i].key, e.data, e.len) == 0) {
			enc_fini(&e);
			return &tc->o[i];
		}
	if (mem_grow(&tc->o, sizeof(*tc->o), &tc->co, tc->no + 1) < 0)
		goto out_fail;
	w = &tc->o[tc->no];
	memset(w, 0, sizeof(*w));
	store_bs_onode_init(&w->on);
	rc = newest_onode(tc->bs, (const char *)e.data, e.len, &w->on);
	if (rc < 0)
		goto out_fail;
	w->exists = rc == 1;
	w->key = (char *)enc_take(&e, &w->klen);
	tc->no++;
	return w;
out_fail:
	enc_fini(&e);
	return NULL;
}

static void wobj_fini(struct bs_wobj *w)
{
	store_kvvec_fini(&w->full);
	store_bs_onode_fini(&w->on);
	mem_free(w->key);
	mem_free(w->oops);
}

/* Makes w exist as a fresh object (new omap id). */
static void wobj_create(struct bs_tctx *tc, struct bs_wobj *w)
{
	store_bs_onode_fini(&w->on);
	store_bs_onode_init(&w->on);
	w->on.nid = tc->nid_next++;
	w->on.seq = tc->seq;
	w->exists = true;
	w->dirty = true;
	w->noops = 0;
	w->has_full = false;
	store_kvvec_clear(&w->full);
}

int store_bs_tctx_release(struct bs_tctx *tc, uint64_t pblk, uint64_t n)
{
	struct bs_ptx *p = tc->p;

	if (mem_grow(&p->rel, 2 * sizeof(uint64_t), &p->crel, p->nrel + 1) < 0)
		return -ENOMEM;
	p->rel[2 * p->nrel] = pblk;
	p->rel[2 * p->nrel + 1] = n;
	p->nrel++;
	store_bs_alloc_mark(&tc->bs->alloc, pblk, n, false);
	return 0;
}

static void omap_prefix(uint8_t *k, uint64_t nid)
{
	store_bs_key_u64(k, BS_K_OMAP, nid);
}

static void omap_drop_all(struct bs_tctx *tc, uint64_t nid)
{
	uint8_t a[9], b[9];

	omap_prefix(a, nid);
	omap_prefix(b, nid + 1);
	rocksdb_writebatch_delete_range(tc->p->wb, (const char *)a, 9, (const char *)b, 9);
}

/* Notes shards [a, b] in s (at most BS_SHARD_DROP_MAX); false when full. */
static bool note_shards(uint64_t *s, size_t *n, uint64_t a, uint64_t b)
{
	for (uint64_t k = a; k <= b; k++) {
		if (*n && s[*n - 1] == k)
			continue;
		if (*n == BS_SHARD_DROP_MAX)
			return false;
		s[(*n)++] = k;
	}
	return true;
}

/* Deletes every extent-map shard of on (its incarnation ends). The
 * database holds a shard only where the map as loaded had extents: within
 * the current map's or the range this transaction changed. A few shards
 * are deleted one by one (range tombstones slow every later iterator of
 * the database), more with one range delete; deleting an absent key is
 * harmless. */
static void shards_drop_all(struct bs_tctx *tc, const struct bs_onode *on)
{
	const struct bs_extmap *em = &on->em;
	uint64_t s[BS_SHARD_DROP_MAX];
	uint8_t a[BS_SHARD_KEY], b[BS_SHARD_KEY];
	size_t n = 0;
	bool few = true;

	for (size_t i = 0; few && i < em->n; i++)
		few = note_shards(s, &n, em->v[i].lblk / BS_SHARD_BLOCKS,
		                  (em->v[i].lblk + em->v[i].nblk - 1) / BS_SHARD_BLOCKS);
	if (few && em->dhi)
		few =
		    note_shards(s, &n, em->dlo / BS_SHARD_BLOCKS, (em->dhi - 1) / BS_SHARD_BLOCKS);
	for (size_t i = 0; few && i < n; i++) {
		store_bs_shard_key(a, on->nid, s[i]);
		rocksdb_writebatch_delete(tc->p->wb, (const char *)a, BS_SHARD_KEY);
	}
	if (few)
		return;
	store_bs_key_u64(a, BS_K_SHARD, on->nid);
	store_bs_key_u64(b, BS_K_SHARD, on->nid + 1);
	rocksdb_writebatch_delete_range(tc->p->wb, (const char *)a, 9, (const char *)b, 9);
}

static int obj_remove(struct bs_tctx *tc, struct bs_wobj *w)
{
	int rc;

	if (w->on.nshards) /* the database holds shards of this incarnation */
		shards_drop_all(tc, &w->on);
	rc = store_bs_obj_release_all(tc, &w->on);
	if (rc < 0)
		return rc;
	if (w->on.flags & BS_ONODE_F_OMAP)
		omap_drop_all(tc, w->on.nid);
	w->exists = false;
	w->dirty = true;
	w->noops = 0;
	w->has_full = false;
	return 0;
}

static struct bs_wcoll *wcoll_get(struct bs_tctx *tc, const char *cid)
{
	struct bs_wcoll *c;

	for (size_t i = 0; i < tc->nc; i++)
		if (strcmp(tc->c[i].cid, cid) == 0)
			return &tc->c[i];
	if (mem_grow(&tc->c, sizeof(*tc->c), &tc->cc, tc->nc + 1) < 0)
		return NULL;
	c = &tc->c[tc->nc];
	c->cid = mem_strdup(cid);
	if (!c->cid)
		return NULL;
	c->exists = v_coll_exists(tc->bs, cid);
	c->dirty = false;
	tc->nc++;
	return c;
}

static void omap_key(struct enc *e, uint64_t nid, const char *k)
{
	uint8_t p[9];

	e->len = 0;
	omap_prefix(p, nid);
	enc_raw(e, p, 9);
	enc_raw(e, k, strlen(k));
}

static int omap_op(struct bs_tctx *tc, struct bs_wobj *w, const struct store_op *op)
{
	rocksdb_writebatch_t *wb = tc->p->wb;
	struct enc a, b;
	int rc;

	if (mem_grow(&w->oops, sizeof(*w->oops), &w->coops, w->noops + 1) < 0)
		return -ENOMEM;
	w->oops[w->noops++] = op;
	if (op->type == STORE_OP_OMAP_CLEAR) {
		if (w->on.flags & BS_ONODE_F_OMAP)
			omap_drop_all(tc, w->on.nid);
		return 0;
	}
	if (op->type == STORE_OP_OMAP_SETKEYS)
		w->on.flags |= BS_ONODE_F_OMAP;
	enc_init(&a);
	enc_init(&b);
	if (op->type == STORE_OP_OMAP_RMKEYRANGE) {
		omap_key(&a, w->on.nid, op->key);
		omap_key(&b, w->on.nid, op->key2);
		if (!enc_error(&a) && !enc_error(&b) && strcmp(op->key, op->key2) < 0)
			rocksdb_writebatch_delete_range(wb, (char *)a.data, a.len, (char *)b.data,
			                                b.len);
	}
	for (unsigned i = 0; op->type != STORE_OP_OMAP_RMKEYRANGE && i < op->nkv; i++) {
		omap_key(&a, w->on.nid, op->kv[i].key);
		if (enc_error(&a))
			break;
		if (op->type == STORE_OP_OMAP_SETKEYS)
			rocksdb_writebatch_put(wb, (char *)a.data, a.len, op->kv[i].val,
			                       op->kv[i].len);
		else
			rocksdb_writebatch_delete(wb, (char *)a.data, a.len);
	}
	rc = enc_error(&a) ? enc_error(&a) : enc_error(&b);
	enc_fini(&a);
	enc_fini(&b);
	return rc;
}

/* Loads the visible omap of nid (the queue was drained) into kv. */
static int omap_load(struct blockstore *bs, uint64_t nid, struct store_kvvec *kv)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(bs->db, bs->ro);
	uint8_t pfx[9];
	char key[STORE_NAME_MAX + 1];
	int rc = 0;

	omap_prefix(pfx, nid);
	for (rocksdb_iter_seek(it, (char *)pfx, 9); rc == 0 && rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		if (klen < 9 || memcmp(k, pfx, 9) != 0)
			break;
		if (klen - 9 > STORE_NAME_MAX) {
			rc = -EBADMSG;
			break;
		}
		memcpy(key, k + 9, klen - 9);
		key[klen - 9] = 0;
		rc = store_kvvec_set(kv, key, v, vlen);
	}
	rocksdb_iter_destroy(it);
	return rc;
}

/* Replays this transaction's omap ops of an object onto kv. */
static int omap_replay(const struct bs_wobj *w, struct store_kvvec *kv)
{
	for (size_t i = 0; i < w->noops; i++) {
		const struct store_op *op = w->oops[i];

		if (op->type == STORE_OP_OMAP_CLEAR)
			store_kvvec_clear(kv);
		else if (op->type == STORE_OP_OMAP_RMKEYRANGE)
			store_kvvec_remove_range(kv, op->key, op->key2);
		for (unsigned j = 0; op->type == STORE_OP_OMAP_SETKEYS && j < op->nkv; j++)
			if (store_kvvec_set(kv, op->kv[j].key, op->kv[j].val, op->kv[j].len) < 0)
				return -ENOMEM;
		for (unsigned j = 0; op->type == STORE_OP_OMAP_RMKEYS && j < op->nkv; j++)
			store_kvvec_remove(kv, op->kv[j].key);
	}
	return 0;
}

static int clone_omap(struct bs_tctx *tc, const struct bs_wobj *src, struct bs_wobj *dst)
{
	struct store_kvvec kv;
	struct enc e;
	int rc;

	store_kvvec_init(&kv);
	enc_init(&e);
	rc =
	    src->has_full ? store_kvvec_copy(&kv, &src->full) : omap_load(tc->bs, src->on.nid, &kv);
	if (rc == 0)
		rc = omap_replay(src, &kv);
	if (kv.n)
		dst->on.flags |= BS_ONODE_F_OMAP;
	for (size_t i = 0; rc == 0 && i < kv.n; i++) {
		omap_key(&e, dst->on.nid, kv.v[i].key);
		rc = enc_error(&e);
		if (rc == 0)
			rocksdb_writebatch_put(tc->p->wb, (char *)e.data, e.len, kv.v[i].val,
			                       kv.v[i].len);
	}
	enc_fini(&e);
	store_kvvec_fini(&dst->full);
	dst->full = kv; /* later clones of dst in this txn start from here */
	dst->has_full = true;
	dst->noops = 0;
	return rc;
}

static int do_clone(struct bs_tctx *tc, const struct store_op *op)
{
	struct bs_wobj *src, *dst;
	size_t si;
	int rc = 0;

	if (!wobj_get(tc, op->cid, &op->oid))
		return -ENOMEM;
	dst = wobj_get(tc, op->cid2, &op->oid2);
	src = wobj_get(tc, op->cid, &op->oid); /* again: the vector may have moved */
	if (!dst || !src)
		return -ENOMEM;
	si = (size_t)(src - tc->o);
	if (dst == src)
		return 0;
	if (dst->exists)
		rc = obj_remove(tc, dst);
	if (rc < 0)
		return rc;
	wobj_create(tc, dst);
	rc = store_kvvec_copy(&dst->on.attrs, &tc->o[si].on.attrs);
	for (size_t i = 0; rc == 0 && i < tc->o[si].on.em.n; i++) {
		const struct bs_ext *x = &tc->o[si].on.em.v[i];

		rc = store_bs_obj_copy(tc, &tc->o[si].on, &dst->on, x->lblk * tc->bs->bsize,
		                       (uint64_t)x->nblk * tc->bs->bsize, x->lblk * tc->bs->bsize);
	}
	dst->on.size = tc->o[si].on.size;
	return rc < 0 ? rc : clone_omap(tc, &tc->o[si], dst);
}

static int do_move(struct bs_tctx *tc, const struct store_op *op)
{
	struct bs_wobj *src, *dst;
	struct bs_onode tmp;

	if (!wobj_get(tc, op->cid2, &op->oid2))
		return -ENOMEM;
	src = wobj_get(tc, op->cid, &op->oid);
	dst = wobj_get(tc, op->cid2, &op->oid2);
	if (!src || !dst)
		return -ENOMEM;
	if (src == dst)
		return 0;
	tmp = dst->on;
	dst->on = src->on;
	src->on = tmp;
	dst->on.seq = tc->seq;
	dst->exists = dst->dirty = true;
	src->exists = false;
	src->dirty = true;
	mem_free(dst->oops);
	dst->oops = src->oops;
	dst->noops = src->noops;
	dst->coops = src->coops;
	src->oops = NULL;
	src->noops = src->coops = 0;
	store_kvvec_fini(&dst->full);
	dst->full = src->full;
	dst->has_full = src->has_full;
	store_kvvec_init(&src->full);
	src->has_full = false;
	return 0;
}

static int kv_attrs(struct bs_wobj *w, const struct store_op *op)
{
	for (unsigned i = 0; i < op->nkv; i++) {
		if (op->type == STORE_OP_RMATTR)
			store_kvvec_remove(&w->on.attrs, op->kv[i].key);
		else if (store_kvvec_set(&w->on.attrs, op->kv[i].key, op->kv[i].val,
		                         op->kv[i].len) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int obj_op(struct bs_tctx *tc, struct bs_wobj *w, const struct store_op *op)
{
	if (!w->exists)
		wobj_create(tc, w);
	w->dirty = true;
	w->on.seq = tc->seq;
	switch (op->type) {
	case STORE_OP_WRITE:
		return store_bs_obj_write(tc, &w->on, op->off, op->len, op->data, 0, NULL);
	case STORE_OP_ZERO:
		return store_bs_obj_zero(tc, &w->on, op->off, op->len);
	case STORE_OP_TRUNCATE:
		return store_bs_obj_truncate(tc, &w->on, op->off);
	case STORE_OP_SETATTRS:
	case STORE_OP_RMATTR:
		return kv_attrs(w, op);
	case STORE_OP_OMAP_SETKEYS:
	case STORE_OP_OMAP_RMKEYS:
	case STORE_OP_OMAP_RMKEYRANGE:
	case STORE_OP_OMAP_CLEAR:
		return omap_op(tc, w, op);
	default:
		return 0; /* touch */
	}
}

static int apply_op(struct bs_tctx *tc, const struct store_op *op)
{
	struct bs_wcoll *c;
	struct bs_wobj *w, *d;

	switch (op->type) {
	case STORE_OP_COLL_CREATE:
	case STORE_OP_COLL_REMOVE:
		c = wcoll_get(tc, op->cid);
		if (!c)
			return -ENOMEM;
		c->exists = op->type == STORE_OP_COLL_CREATE;
		c->dirty = true;
		return 0;
	case STORE_OP_CLONE:
		return do_clone(tc, op);
	case STORE_OP_MOVE_RENAME:
		return do_move(tc, op);
	case STORE_OP_CLONE_RANGE:
		if (!wobj_get(tc, op->cid, &op->oid))
			return -ENOMEM;
		d = wobj_get(tc, op->cid2, &op->oid2);
		w = wobj_get(tc, op->cid, &op->oid); /* again: the vector may have moved */
		if (!w || !d)
			return -ENOMEM;
		if (!d->exists)
			wobj_create(tc, d);
		d->dirty = true;
		d->on.seq = tc->seq;
		return store_bs_obj_copy(tc, &w->on, &d->on, op->off, op->len, op->off2);
	default:
		w = wobj_get(tc, op->cid, &op->oid);
		if (!w)
			return -ENOMEM;
		return op->type == STORE_OP_REMOVE ? obj_remove(tc, w) : obj_op(tc, w, op);
	}
}

/* ---- finishing ---- */

/* Records the new state of key as pending and remembers it in the ptx. */
static int pend_install(struct bs_tctx *tc, char *key, size_t klen, bool exists, bool is_coll,
                        struct bs_onode *on)
{
	struct blockstore *bs = tc->bs;
	struct bs_pend *p;

	if (mem_grow(&tc->p->pend, sizeof(*tc->p->pend), &tc->p->cpend, tc->p->npend + 1) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&bs->pend_lock);
	p = pend_find(bs, key, klen);
	if (p && p->refs == 0)
		pend_take_clean(bs, p);
	if (!p) {
		p = mem_calloc(1, sizeof(*p));
		if (!p || !(p->key = mem_malloc(klen))) {
			mem_free(p);
			pthread_mutex_unlock(&bs->pend_lock);
			return -ENOMEM;
		}
		memcpy(p->key, key, klen);
		p->klen = klen;
		p->hash = pend_hash(key, klen);
		p->next = *pend_bucket(bs, p->hash);
		*pend_bucket(bs, p->hash) = p;
	}
	store_bs_onode_fini(&p->on);
	store_bs_onode_init(&p->on);
	if (on) {
		p->on = *on; /* moved */
		store_bs_onode_init(on);
	}
	p->exists = exists;
	p->is_coll = is_coll;
	p->refs++;
	tc->p->pend[tc->p->npend++] = p;
	pthread_mutex_unlock(&bs->pend_lock);
	return 0;
}

static int put_record(rocksdb_writebatch_t *wb, const char *key, size_t klen, struct enc *e)
{
	if (enc_error(e))
		return enc_error(e);
	rocksdb_writebatch_put(wb, key, klen, (const char *)e->data, e->len);
	return 0;
}

static int finish_colls(struct bs_tctx *tc, bool install)
{
	struct enc k, v;
	int rc = 0;

	enc_init(&k);
	enc_init(&v);
	for (size_t i = 0; rc == 0 && i < tc->nc; i++) {
		struct bs_coll_rec rec = { .created_seq = tc->seq };

		if (!tc->c[i].dirty)
			continue;
		k.len = v.len = 0;
		rc = coll_key(&k, tc->c[i].cid);
		snprintf(rec.cid, sizeof(rec.cid), "%s", tc->c[i].cid);
		store_bs_coll_encode(&v, &rec);
		if (rc == 0 && !install && tc->c[i].exists)
			rc = put_record(tc->p->wb, (char *)k.data, k.len, &v);
		else if (rc == 0 && !install)
			rocksdb_writebatch_delete(tc->p->wb, (char *)k.data, k.len);
		if (rc == 0 && install)
			rc = pend_install(tc, (char *)k.data, k.len, tc->c[i].exists, true, NULL);
	}
	enc_fini(&k);
	enc_fini(&v);
	return rc;
}

/* Deletes the shard keys [a, b) of nid: a point delete for one. */
static void shards_delete(rocksdb_writebatch_t *wb, uint64_t nid, uint64_t a, uint64_t b)
{
	uint8_t ka[BS_SHARD_KEY], kb[BS_SHARD_KEY];

	store_bs_shard_key(ka, nid, a);
	store_bs_shard_key(kb, nid, b);
	if (b == a + 1)
		rocksdb_writebatch_delete(wb, (const char *)ka, BS_SHARD_KEY);
	else
		rocksdb_writebatch_delete_range(wb, (const char *)ka, BS_SHARD_KEY,
		                                (const char *)kb, BS_SHARD_KEY);
}

/* Puts every shard of on's map that changed since it was loaded and
 * deletes the changed ones that no longer map anything. */
static int put_shards(rocksdb_writebatch_t *wb, const struct bs_onode *on, struct enc *v)
{
	const struct bs_extmap *em = &on->em;
	uint64_t cur = em->dlo / BS_SHARD_BLOCKS, last = (em->dhi - 1) / BS_SHARD_BLOCKS, s;
	uint8_t key[BS_SHARD_KEY];
	size_t i;
	int rc = 0;

	if (em->dhi == 0)
		return 0; /* no shard changed */
	for (i = store_bs_extmap_lower(em, cur * BS_SHARD_BLOCKS); rc == 0 && cur <= last;) {
		s = i < em->n && em->v[i].lblk / BS_SHARD_BLOCKS > cur
		        ? em->v[i].lblk / BS_SHARD_BLOCKS
		        : cur; /* the next shard that maps something, if i < n */
		if (i >= em->n || s > last) {
			shards_delete(wb, on->nid, cur, last + 1);
			break;
		}
		if (s > cur)
			shards_delete(wb, on->nid, cur, s);
		v->len = 0;
		store_bs_shard_encode(v, em, s);
		store_bs_shard_key(key, on->nid, s);
		rc = put_record(wb, (const char *)key, BS_SHARD_KEY, v);
		cur = s + 1;
		while (i < em->n && em->v[i].lblk + em->v[i].nblk <= cur * BS_SHARD_BLOCKS)
			i++;
	}
	return rc;
}

static int finish_objs(struct bs_tctx *tc, bool install)
{
	struct enc v;
	int rc = 0;

	enc_init(&v);
	for (size_t i = 0; rc == 0 && i < tc->no; i++) {
		struct bs_wobj *w = &tc->o[i];

		if (!w->dirty)
			continue;
		v.len = 0;
		if (!install && w->exists) {
			store_bs_onode_encode(&v, &w->on);
			rc = put_record(tc->p->wb, w->key, w->klen, &v);
			if (rc == 0)
				rc = put_shards(tc->p->wb, &w->on, &v);
		} else if (!install) {
			rocksdb_writebatch_delete(tc->p->wb, w->key, w->klen);
		} else {
			w->on.nshards = store_bs_extmap_nshards(&w->on.em); /* as written */
			rc = pend_install(tc, w->key, w->klen, w->exists, false,
			                  w->exists ? &w->on : NULL);
		}
	}
	enc_fini(&v);
	return rc;
}

static int finish_meta(struct bs_tctx *tc)
{
	struct blockstore *bs = tc->bs;
	struct bs_super sb = bs->sb;
	uint8_t key[9];
	struct enc e;
	int rc;

	sb.seq = tc->seq;
	sb.nid_next = tc->nid_next;
	enc_init(&e);
	store_bs_super_encode(&e, &sb);
	key[0] = BS_K_SUPER;
	rc = put_record(tc->p->wb, (char *)key, 1, &e);
	if (rc == 0 && tc->p->def.n) {
		tc->p->def.seq = tc->seq;
		e.len = 0;
		store_bs_deferred_encode(&e, &tc->p->def, bs->bsize);
		store_bs_key_u64(key, BS_K_DEFER, tc->seq);
		rc = put_record(tc->p->wb, (char *)key, 9, &e);
	}
	enc_fini(&e);
	if (rc == 0)
		rc = store_bs_alloc_flush(&bs->alloc, tc->p->wb);
	if (rc == 0)
		bs->sb = sb;
	return rc;
}

static void undo(struct bs_tctx *tc)
{
	struct blockstore *bs = tc->bs;

	pthread_mutex_lock(&bs->alloc_lock);
	for (size_t i = 0; i < tc->nalloc; i++)
		store_bs_alloc_unget(&bs->alloc, tc->alloc[2 * i], tc->alloc[2 * i + 1]);
	pthread_mutex_unlock(&bs->alloc_lock);
	for (size_t i = 0; i < tc->nalloc; i++)
		store_bs_alloc_mark(&bs->alloc, tc->alloc[2 * i], tc->alloc[2 * i + 1], false);
	for (size_t i = 0; i < tc->p->nrel; i++)
		store_bs_alloc_mark(&bs->alloc, tc->p->rel[2 * i], tc->p->rel[2 * i + 1], true);
}

static void tctx_fini(struct bs_tctx *tc)
{
	for (size_t i = 0; i < tc->no; i++)
		wobj_fini(&tc->o[i]);
	for (size_t i = 0; i < tc->nc; i++)
		mem_free(tc->c[i].cid);
	mem_free(tc->o);
	mem_free(tc->c);
	mem_free(tc->alloc);
}

static bool needs_drain(const struct store_txn *t)
{
	for (size_t i = 0; i < t->nops; i++)
		if (t->ops[i].type == STORE_OP_CLONE || t->ops[i].type == STORE_OP_COLL_REMOVE)
			return true;
	return false;
}

/* Prepares t under txn_lock; on success the ptx is queued. */
static int prepare(struct blockstore *bs, const struct store_txn *t, struct bs_ptx *p)
{
	struct store_view v = { v_coll_exists, v_obj_exists, v_coll_count, bs };
	struct bs_tctx tc = {
		.bs = bs, .p = p, .seq = bs->sb.seq + 1, .nid_next = bs->sb.nid_next
	};
	int rc;

	if (needs_drain(t))
		store_bs_drain(bs);
	rc = atomic_load(&bs->state) == BS_FAILED ? -EIO : store_txn_validate(t, &v);
	p->seq = tc.seq;
	for (size_t i = 0; rc == 0 && i < t->nops; i++)
		rc = apply_op(&tc, &t->ops[i]);
	if (rc == 0)
		rc = finish_colls(&tc, false);
	if (rc == 0)
		rc = finish_objs(&tc, false);
	if (rc == 0)
		rc = finish_meta(&tc);
	if (rc == 0)
		rc = store_bs_ovl_insert(bs, &p->def);
	if (rc < 0) {
		store_bs_dio_wait(bs, p); /* its writes end before its blocks are reused */
		undo(&tc);
	}
	/* past this point the pending table changes: a failure is fatal */
	if (rc == 0 && (finish_colls(&tc, true) < 0 || finish_objs(&tc, true) < 0)) {
		store_bs_fail(bs, "installing a prepared transaction", -ENOMEM);
		rc = -EIO;
	}
	tctx_fini(&tc);
	return rc == 0 ? store_bs_submit(bs, p) : rc;
}

int store_bs_queue(struct store *st, struct store_txn *t, store_txn_fn *applied,
                   store_txn_fn *commit, void *arg)
{
	struct blockstore *bs = (struct blockstore *)st;
	int state = atomic_load(&bs->state);
	struct bs_ptx *p;
	int rc;

	if (state != BS_ACTIVE)
		return state == BS_READONLY ? -EROFS : -EIO;
	p = mem_calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->wb = rocksdb_writebatch_create();
	p->applied = applied;
	p->commit = commit;
	p->arg = arg;
	store_bs_wait_room(bs);
	pthread_mutex_lock(&bs->txn_lock);
	rc = prepare(bs, t, p);
	pthread_mutex_unlock(&bs->txn_lock);
	if (rc < 0) {
		store_bs_dio_wait(bs, p); /* its buffers' writers still point at p */
		store_bs_ptx_free(p);
		return rc;
	}
	store_txn_destroy(t);
	return 0;
}
