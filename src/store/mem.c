/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/mem.c - MemStore: the store interface kept in memory, for unit tests
 * and simulations. Same validation and semantics as the persistent store.
 *
 * DESIGN
 * Collections are a vector sorted by cid; each holds a vector of objects
 * sorted by oid (the listing order). Object data is a vector of 4 KiB pages,
 * NULL for holes, so sparse objects cost only their written pages.
 *
 * Invariants
 *   I1 bytes of the last page beyond the object size are zero (so growing
 *      the object exposes zeros);
 *   I2 every collection vector and object vector is sorted and unique;
 *   I3 a transaction is validated (store/validate.c) before any change, so
 *      applying it fails only on -ENOMEM, which turns the store FAILED:
 *      a half-applied transaction is never served as if it were whole.
 *
 * States:  ACTIVE --(-ENOMEM while applying)--> FAILED --(close)--> gone
 *   queue in FAILED returns -EIO; reads keep working.
 *
 * Threads and locks: `lock` (a rwlock) guards all state: queue takes it for
 * writing, reads for reading; nothing else is locked under it. Callbacks run
 * on the one-thread wq `cbq`, in queue order, after the change is applied. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/wq.h"
#include "store/mem_int.h"

static const struct store_ops mem_ops;

static int coll_cmp_key(const struct mcoll *c, const char *cid)
{
	return strcmp(c->cid, cid);
}

/* Index of the first collection >= cid. */
static size_t coll_lower(const struct memstore *m, const char *cid)
{
	size_t lo = 0, hi = m->ncolls;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (coll_cmp_key(m->colls[mid], cid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct mcoll *store_mem_coll_find(const struct memstore *m, const char *cid)
{
	size_t i = coll_lower(m, cid);

	return i < m->ncolls && strcmp(m->colls[i]->cid, cid) == 0 ? m->colls[i] : NULL;
}

size_t store_mem_obj_lower(const struct mcoll *c, const struct store_oid *oid)
{
	size_t lo = 0, hi = c->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct store_oid v = store_oid_view(&c->objs[mid]->oid);

		if (store_oid_cmp(&v, oid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct mobj *store_mem_obj_find(const struct mcoll *c, const struct store_oid *oid)
{
	size_t i = store_mem_obj_lower(c, oid);
	struct store_oid v;

	if (i >= c->nobjs)
		return NULL;
	v = store_oid_view(&c->objs[i]->oid);
	return store_oid_cmp(&v, oid) == 0 ? c->objs[i] : NULL;
}

void store_mem_obj_free(struct mobj *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->npages; i++)
		mem_free(o->pages[i]);
	mem_free(o->pages);
	store_kvvec_fini(&o->attrs);
	store_kvvec_fini(&o->omap);
	store_oid_own_clear(&o->oid);
	mem_free(o);
}

int store_mem_coll_add(struct memstore *m, const char *cid)
{
	size_t i = coll_lower(m, cid);
	struct mcoll *c = mem_calloc(1, sizeof(*c));

	if (!c || !(c->cid = mem_strdup(cid)) ||
	    mem_grow(&m->colls, sizeof(*m->colls), &m->ccolls, m->ncolls + 1) < 0) {
		if (c)
			mem_free(c->cid);
		mem_free(c);
		return -ENOMEM;
	}
	memmove(&m->colls[i + 1], &m->colls[i], (m->ncolls - i) * sizeof(*m->colls));
	m->colls[i] = c;
	m->ncolls++;
	return 0;
}

static void coll_free(struct mcoll *c)
{
	for (size_t i = 0; i < c->nobjs; i++)
		store_mem_obj_free(c->objs[i]);
	mem_free(c->objs);
	mem_free(c->cid);
	mem_free(c);
}

void store_mem_coll_del(struct memstore *m, const char *cid)
{
	size_t i = coll_lower(m, cid);

	if (i >= m->ncolls || strcmp(m->colls[i]->cid, cid) != 0)
		return;
	coll_free(m->colls[i]);
	memmove(&m->colls[i], &m->colls[i + 1], (m->ncolls - i - 1) * sizeof(*m->colls));
	m->ncolls--;
}

int store_mem_obj_insert(struct mcoll *c, struct mobj *o)
{
	struct store_oid v = store_oid_view(&o->oid);
	size_t i = store_mem_obj_lower(c, &v);

	if (mem_grow(&c->objs, sizeof(*c->objs), &c->cobjs, c->nobjs + 1) < 0)
		return -ENOMEM;
	memmove(&c->objs[i + 1], &c->objs[i], (c->nobjs - i) * sizeof(*c->objs));
	c->objs[i] = o;
	c->nobjs++;
	return 0;
}

/* Unlinks (does not free) the object. */
struct mobj *store_mem_obj_detach(struct mcoll *c, const struct store_oid *oid)
{
	size_t i = store_mem_obj_lower(c, oid);
	struct mobj *o = store_mem_obj_find(c, oid);

	if (!o)
		return NULL;
	memmove(&c->objs[i], &c->objs[i + 1], (c->nobjs - i - 1) * sizeof(*c->objs));
	c->nobjs--;
	return o;
}

/* ---- validation view ---- */

static bool v_coll_exists(void *ctx, const char *cid)
{
	return store_mem_coll_find(ctx, cid) != NULL;
}

static bool v_obj_exists(void *ctx, const char *cid, const struct store_oid *oid)
{
	struct mcoll *c = store_mem_coll_find(ctx, cid);

	return c && store_mem_obj_find(c, oid);
}

static uint64_t v_coll_count(void *ctx, const char *cid)
{
	struct mcoll *c = store_mem_coll_find(ctx, cid);

	return c ? c->nobjs : 0;
}

/* ---- queue ---- */

struct mcb {
	store_txn_fn *applied, *commit;
	void *arg;
};

static int cb_run(void *arg)
{
	(void)arg;
	return 0;
}

static void cb_done(int status, void *arg)
{
	struct mcb *cb = arg;

	if (cb->applied)
		cb->applied(status, cb->arg);
	if (cb->commit)
		cb->commit(status, cb->arg);
	mem_free(cb);
}

static int mem_queue(struct store *st, struct store_txn *t, store_txn_fn *applied,
                     store_txn_fn *commit, void *arg)
{
	struct memstore *m = (struct memstore *)st;
	struct store_view v = { v_coll_exists, v_obj_exists, v_coll_count, m };
	struct mcb *cb = mem_malloc(sizeof(*cb));
	int rc;

	if (!cb)
		return -ENOMEM;
	*cb = (struct mcb){ applied, commit, arg };
	pthread_rwlock_wrlock(&m->lock);
	rc = m->failed ? -EIO : store_txn_validate(t, &v);
	if (rc == 0) {
		for (size_t i = 0; rc == 0 && i < t->nops; i++)
			rc = store_mem_apply_op(m, &t->ops[i]);
		if (rc < 0) {
			log_err(store, "memstore: applying a transaction failed (%s); store failed",
			        strerror(-rc));
			m->failed = true;
		}
	}
	pthread_rwlock_unlock(&m->lock);
	if (rc == 0)
		rc = wq_submit_wait(m->cbq, cb_run, cb_done, cb);
	if (rc < 0) {
		mem_free(cb);
		return rc;
	}
	store_txn_destroy(t);
	return 0;
}

/* ---- reads ---- */

static struct mobj *lookup(struct memstore *m, const char *cid, const struct store_oid *oid)
{
	struct mcoll *c = store_mem_coll_find(m, cid);

	return c ? store_mem_obj_find(c, oid) : NULL;
}

static ssize_t mem_read(struct store *st, const char *cid, const struct store_oid *oid,
                        uint64_t off, uint64_t len, struct buf **out)
{
	struct memstore *m = (struct memstore *)st;
	struct mobj *o;
	ssize_t rc;

	pthread_rwlock_rdlock(&m->lock);
	o = lookup(m, cid, oid);
	rc = o ? store_mem_obj_read(o, off, len, out) : -ENOENT;
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

static int mem_stat(struct store *st, const char *cid, const struct store_oid *oid,
                    struct store_stat *out)
{
	struct memstore *m = (struct memstore *)st;
	struct mobj *o;
	int rc = -ENOENT;

	pthread_rwlock_rdlock(&m->lock);
	o = lookup(m, cid, oid);
	if (o) {
		memset(out, 0, sizeof(*out));
		out->size = o->size;
		out->nattrs = (uint32_t)o->attrs.n;
		for (size_t i = 0; i < o->npages; i++)
			out->allocated += o->pages[i] ? MEM_PAGE : 0;
		rc = 0;
	}
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

static int mem_getattrs(struct store *st, const char *cid, const struct store_oid *oid,
                        const char *only, store_kv_fn *fn, void *arg)
{
	struct memstore *m = (struct memstore *)st;
	struct mobj *o;
	int rc = -ENOENT;

	pthread_rwlock_rdlock(&m->lock);
	o = lookup(m, cid, oid);
	if (o)
		rc = store_kvvec_visit(&o->attrs, only, only != NULL, 0, fn, arg);
	pthread_rwlock_unlock(&m->lock);
	return rc < 0 ? rc : 0;
}

static int mem_omap_iterate(struct store *st, const char *cid, const struct store_oid *oid,
                            const char *start, bool exact, unsigned max, store_kv_fn *fn, void *arg)
{
	struct memstore *m = (struct memstore *)st;
	struct mobj *o;
	int rc = -ENOENT;

	pthread_rwlock_rdlock(&m->lock);
	o = lookup(m, cid, oid);
	if (o)
		rc = store_kvvec_visit(&o->omap, start, exact, max, fn, arg);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

static int mem_list(struct store *st, const char *cid, const struct store_oid *after, unsigned max,
                    store_list_fn *fn, void *arg)
{
	struct memstore *m = (struct memstore *)st;
	struct mcoll *c;
	int n = 0;
	size_t i;

	pthread_rwlock_rdlock(&m->lock);
	c = store_mem_coll_find(m, cid);
	if (!c) {
		pthread_rwlock_unlock(&m->lock);
		return -ENOENT;
	}
	i = after ? store_mem_obj_lower(c, after) : 0;
	if (after && i < c->nobjs && store_mem_obj_find(c, after) == c->objs[i])
		i++;
	for (; i < c->nobjs && (max == 0 || (unsigned)n < max); i++) {
		struct store_oid v = store_oid_view(&c->objs[i]->oid);

		n++;
		if (fn(&v, arg))
			break;
	}
	pthread_rwlock_unlock(&m->lock);
	return n;
}

static int mem_list_colls(struct store *st, store_coll_fn *fn, void *arg)
{
	struct memstore *m = (struct memstore *)st;
	int n = 0;

	pthread_rwlock_rdlock(&m->lock);
	for (size_t i = 0; i < m->ncolls; i++) {
		n++;
		if (fn(m->colls[i]->cid, arg))
			break;
	}
	pthread_rwlock_unlock(&m->lock);
	return n;
}

static int mem_scrub(struct store *st, const char *cid, const struct store_oid *oid,
                     uint32_t *digest)
{
	struct buf *b = NULL;
	ssize_t n = mem_read(st, cid, oid, 0, 0, &b);

	if (n < 0)
		return (int)n;
	*digest = buf_crc32c(b, 0, (size_t)n, UINT32_MAX);
	buf_put(b);
	return 0;
}

static int mem_fsck(struct store *st, unsigned flags, store_fsck_fn *fn, void *arg)
{
	(void)st;
	(void)flags;
	(void)fn;
	(void)arg;
	return 0; /* nothing persistent to be inconsistent */
}

static int mem_statfs(struct store *st, struct store_statfs *out)
{
	struct memstore *m = (struct memstore *)st;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&m->lock);
	for (size_t i = 0; i < m->ncolls; i++) {
		struct mcoll *c = m->colls[i];

		out->objects += c->nobjs;
		for (size_t j = 0; j < c->nobjs; j++)
			for (size_t k = 0; k < c->objs[j]->npages; k++)
				out->allocated += c->objs[j]->pages[k] ? MEM_PAGE : 0;
	}
	pthread_rwlock_unlock(&m->lock);
	out->total = UINT64_MAX / 2;
	out->available = out->total - out->allocated;
	return 0;
}

static bool mem_is_failed(const struct store *st)
{
	const struct memstore *m = (const struct memstore *)st;

	return m->failed;
}

static void mem_close(struct store *st)
{
	struct memstore *m = (struct memstore *)st;

	wq_destroy(m->cbq); /* delivers every pending callback */
	for (size_t i = 0; i < m->ncolls; i++)
		coll_free(m->colls[i]);
	mem_free(m->colls);
	pthread_rwlock_destroy(&m->lock);
	mem_free(m);
}

static const struct store_ops mem_ops = {
	.kind = "memstore",
	.close = mem_close,
	.queue = mem_queue,
	.read = mem_read,
	.stat = mem_stat,
	.getattrs = mem_getattrs,
	.omap_iterate = mem_omap_iterate,
	.list = mem_list,
	.list_colls = mem_list_colls,
	.scrub = mem_scrub,
	.fsck = mem_fsck,
	.statfs = mem_statfs,
	.is_failed = mem_is_failed,
};

int store_mem_create(struct store **out)
{
	struct memstore *m = mem_calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	m->base.ops = &mem_ops;
	rc = wq_create("memstore-cb", 1, 1u << 16, NULL, &m->cbq);
	if (rc < 0) {
		mem_free(m);
		return rc;
	}
	pthread_rwlock_init(&m->lock, NULL);
	*out = &m->base;
	return 0;
}
