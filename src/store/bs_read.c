/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_read.c - BlockStore metadata reads (stat, xattrs, omap, listings,
 * statfs) and the ops table. Reads see the database, which holds every
 * applied transaction; they take no lock but read_lock's read side where
 * they touch data blocks (bs_data.c). */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "common/mem.h"
#include "store/bs_int.h"

/* extents: with the extent map (its shards), else the record alone. */
static int load(struct blockstore *bs, const char *cid, const struct store_oid *oid, bool extents,
                struct bs_onode *on)
{
	struct enc e;
	int rc;

	enc_init(&e);
	store_bs_onode_key(&e, cid, oid);
	rc = enc_error(&e) ? -ENOMEM : store_bs_onode_load(bs, (char *)e.data, e.len, extents, on);
	enc_fini(&e);
	return rc;
}

static int bs_stat(struct store *st, const char *cid, const struct store_oid *oid,
                   struct store_stat *out)
{
	struct blockstore *bs = (struct blockstore *)st;
	struct bs_onode on;
	int rc = load(bs, cid, oid, true, &on);

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->size = on.size;
	out->allocated = store_bs_extmap_blocks(&on.em) * bs->bsize;
	out->nattrs = (uint32_t)on.attrs.n;
	store_bs_onode_fini(&on);
	return 0;
}

static int bs_getattrs(struct store *st, const char *cid, const struct store_oid *oid,
                       const char *only, store_kv_fn *fn, void *arg)
{
	struct bs_onode on;
	int rc = load((struct blockstore *)st, cid, oid, false, &on);

	if (rc < 0)
		return rc;
	store_kvvec_visit(&on.attrs, only, only != NULL, 0, fn, arg);
	store_bs_onode_fini(&on);
	return 0;
}

/* Iterates keys under prefix pfx (plen bytes) from seek; fn gets the part
 * after the prefix. Returns entries visited or -errno. */
#define ITER_STOP_UNCOUNTED 2
typedef int bs_iter_fn(const char *k, size_t klen, const char *v, size_t vlen, void *arg);

static int iter_prefix(struct blockstore *bs, const void *pfx, size_t plen, const void *seek,
                       size_t slen, unsigned max, bs_iter_fn *fn, void *arg)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(bs->db, bs->ro);
	int n = 0, rc = 0;

	for (rocksdb_iter_seek(it, seek, slen); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		if (klen < plen || memcmp(k, pfx, plen) != 0 || (max && (unsigned)n >= max))
			break;
		rc = fn(k + plen, klen - plen, v, vlen, arg);
		if (rc < 0 || rc == ITER_STOP_UNCOUNTED)
			break;
		n++;
		if (rc > 0)
			break;
	}
	rocksdb_iter_destroy(it);
	return rc < 0 ? rc : n;
}

struct omap_walk {
	const char *exact;
	store_kv_fn *fn;
	void *arg;
};

static int omap_one(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct omap_walk *w = arg;
	char key[STORE_NAME_MAX + 1];

	if (klen > STORE_NAME_MAX)
		return -EBADMSG;
	memcpy(key, k, klen);
	key[klen] = 0;
	if (w->exact && strcmp(key, w->exact) != 0)
		return ITER_STOP_UNCOUNTED;
	return w->fn(key, v, vlen, w->arg) ? 1 : 0;
}

static int bs_omap_iterate(struct store *st, const char *cid, const struct store_oid *oid,
                           const char *start, bool exact, unsigned max, store_kv_fn *fn, void *arg)
{
	struct blockstore *bs = (struct blockstore *)st;
	struct omap_walk w = { exact ? start : NULL, fn, arg };
	struct bs_onode on;
	uint8_t pfx[9];
	struct enc e;
	int rc = load(bs, cid, oid, false, &on);

	if (rc < 0)
		return rc;
	store_bs_key_u64(pfx, BS_K_OMAP, on.nid);
	store_bs_onode_fini(&on);
	enc_init(&e);
	enc_raw(&e, pfx, 9);
	if (start)
		enc_raw(&e, start, strlen(start));
	rc = enc_error(&e) ? -ENOMEM : iter_prefix(bs, pfx, 9, e.data, e.len, max, omap_one, &w);
	enc_fini(&e);
	return rc;
}

struct list_walk {
	store_list_fn *fn;
	void *arg;
};

static int list_one(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct list_walk *w = arg;
	char ns[STORE_NAME_MAX + 1], name[STORE_NAME_MAX + 1];
	struct store_oid oid = { .nspace = ns, .name = name };

	(void)v;
	(void)vlen;
	if (store_oid_decode_key(k, klen, ns, name, sizeof(ns), &oid.snap) < 0)
		return -EBADMSG;
	return w->fn(&oid, w->arg) ? 1 : 0;
}

static bool coll_visible(struct blockstore *bs, const char *cid)
{
	size_t n = strlen(cid);
	char *k = mem_malloc(n + 1), *val = NULL;
	size_t vlen;
	int rc = -ENOMEM;

	if (k) {
		k[0] = BS_K_COLL;
		memcpy(k + 1, cid, n);
		rc = store_bs_db_get(bs, k, n + 1, &val, &vlen);
		rocksdb_free(val);
	}
	mem_free(k);
	return rc == 0;
}

static int bs_list(struct store *st, const char *cid, const struct store_oid *after, unsigned max,
                   store_list_fn *fn, void *arg)
{
	struct blockstore *bs = (struct blockstore *)st;
	struct list_walk w = { fn, arg };
	struct enc pfx, seek;
	int rc;

	if (!coll_visible(bs, cid))
		return -ENOENT;
	enc_init(&pfx);
	enc_init(&seek);
	enc_u8(&pfx, BS_K_ONODE);
	enc_raw(&pfx, cid, strlen(cid) + 1);
	enc_raw(&seek, pfx.data, pfx.len);
	if (after) {
		store_oid_encode_key(&seek, after);
		enc_u8(&seek, 0); /* the smallest key after `after` */
	}
	rc = enc_error(&pfx) || enc_error(&seek)
	         ? -ENOMEM
	         : iter_prefix(bs, pfx.data, pfx.len, seek.data, seek.len, max, list_one, &w);
	enc_fini(&pfx);
	enc_fini(&seek);
	return rc;
}

struct coll_walk {
	store_coll_fn *fn;
	void *arg;
};

static int coll_one(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct coll_walk *w = arg;
	struct bs_coll_rec rec;

	(void)k;
	(void)klen;
	if (store_bs_coll_decode(v, vlen, &rec) < 0)
		return -EBADMSG;
	return w->fn(rec.cid, w->arg) ? 1 : 0;
}

static int bs_list_colls(struct store *st, store_coll_fn *fn, void *arg)
{
	struct coll_walk w = { fn, arg };
	char pfx = BS_K_COLL;

	return iter_prefix((struct blockstore *)st, &pfx, 1, &pfx, 1, 0, coll_one, &w);
}

static int count_obj(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	(void)k, (void)klen, (void)v, (void)vlen, (void)arg;
	return 0;
}

static int bs_statfs(struct store *st, struct store_statfs *out)
{
	struct blockstore *bs = (struct blockstore *)st;
	char pfx = BS_K_ONODE;
	int n;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&bs->alloc_lock);
	out->total = (bs->alloc.nblocks - 1) * bs->bsize;
	out->allocated = (bs->alloc.used - 1) * bs->bsize;
	pthread_mutex_unlock(&bs->alloc_lock);
	out->available = out->total - out->allocated;
	n = iter_prefix(bs, &pfx, 1, &pfx, 1, 0, count_obj, NULL);
	out->objects = n > 0 ? (uint64_t)n : 0;
	return n < 0 ? n : 0;
}

static bool bs_is_failed(const struct store *st)
{
	const struct blockstore *bs = (const struct blockstore *)st;

	return atomic_load(&((struct blockstore *)bs)->state) == BS_FAILED;
}

const struct store_ops store_bs_ops = {
	.kind = "blockstore",
	.close = store_bs_close,
	.queue = store_bs_queue,
	.read = store_bs_read,
	.stat = bs_stat,
	.getattrs = bs_getattrs,
	.omap_iterate = bs_omap_iterate,
	.list = bs_list,
	.list_colls = bs_list_colls,
	.scrub = store_bs_scrub,
	.fsck = store_bs_fsck,
	.statfs = bs_statfs,
	.is_failed = bs_is_failed,
};
