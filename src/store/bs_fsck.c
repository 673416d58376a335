/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_fsck.c - BlockStore consistency check: every record decodes,
 * every onode's collection exists, its extent-map shards are all there and
 * no shard belongs to no onode, extents lie inside the data file and do
 * not overlap each other, the persistent freelist marks exactly the blocks
 * that onodes use (plus block 0), and with STORE_FSCK_DEEP every block's
 * checksum matches. Runs on a quiet store (the tool's read-only open, or
 * between transactions in tests): it drains the commit queue first. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "store/bs_int.h"

struct fsck {
	struct blockstore *bs;
	unsigned flags;
	store_fsck_fn *fn;
	void *arg;
	uint64_t *seen; /* bitmap: blocks referenced by onodes */
	uint64_t *nids; /* of onodes with shards (sorted before the orphan check) */
	size_t nnids, cnids;
	int errors;
};

__attribute__((format(printf, 2, 3))) static void report(struct fsck *f, const char *fmt, ...)
{
	char msg[STORE_NAME_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err(store, "blockstore %s: fsck: %s", f->bs->path, msg);
	if (f->fn)
		f->fn(msg, f->arg);
	f->errors++;
}

static bool seen_test_set(struct fsck *f, uint64_t b)
{
	bool was = f->seen[b / 64] >> (b % 64) & 1;

	f->seen[b / 64] |= 1ull << (b % 64);
	return was;
}

static void check_extents(struct fsck *f, const char *name, const struct bs_onode *on)
{
	struct blockstore *bs = f->bs;
	uint8_t *blk = NULL;

	if ((f->flags & STORE_FSCK_DEEP) && !(blk = mem_malloc(bs->bsize)))
		return;
	for (size_t i = 0; i < on->em.n; i++) {
		const struct bs_ext *x = &on->em.v[i];

		if (x->pblk + x->nblk > bs->sb.nblocks) {
			report(f, "%s: extent beyond the data file at block %" PRIu64, name,
			       x->pblk);
			continue;
		}
		for (uint32_t j = 0; j < x->nblk; j++) {
			if (seen_test_set(f, x->pblk + j))
				report(f, "%s: block %" PRIu64 " used twice", name, x->pblk + j);
			if (!store_bs_alloc_is_used(&bs->alloc, x->pblk + j))
				report(f, "%s: block %" PRIu64 " in use but free in the freelist",
				       name, x->pblk + j);
		}
		if (blk && x->pblk + x->nblk <= bs->sb.nblocks)
			for (uint32_t j = 0; j < x->nblk; j++)
				if (store_bs_read_blocks(bs, NULL, on, x->lblk + j, 1, blk) < 0)
					report(f, "%s: checksum mismatch at block %" PRIu64, name,
					       x->pblk + j);
	}
	mem_free(blk);
}

/* Loads on's shards; remembers its nid for the orphan check. */
static int load_shards(struct fsck *f, struct bs_onode *on)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(f->bs->db, f->bs->ro);
	int rc = store_bs_shards_load(it, on);

	rocksdb_iter_destroy(it);
	if (mem_grow(&f->nids, sizeof(*f->nids), &f->cnids, f->nnids + 1) == 0)
		f->nids[f->nnids++] = on->nid;
	return rc;
}

static bool coll_exists(struct blockstore *bs, const char *k, size_t klen)
{
	const char *z = memchr(k, 0, klen);
	char *val = NULL, *ck;
	size_t vlen, n;
	int rc;

	if (!z)
		return false;
	n = (size_t)(z - k);
	ck = mem_malloc(n + 1);
	if (!ck)
		return true;
	ck[0] = BS_K_COLL;
	memcpy(ck + 1, k + 1, n - 1);
	rc = store_bs_db_get(bs, ck, n, &val, &vlen);
	rocksdb_free(val);
	mem_free(ck);
	return rc == 0;
}

static void check_onode(struct fsck *f, const char *k, size_t klen, const char *v, size_t vlen)
{
	char ns[STORE_NAME_MAX + 1], name[STORE_NAME_MAX + 1];
	const char *z = memchr(k, 0, klen);
	struct bs_onode on;
	uint64_t snap;

	if (!z || store_oid_decode_key(z + 1, klen - (size_t)(z + 1 - k), ns, name, sizeof(ns),
	                               &snap) < 0) {
		report(f, "malformed onode key (%zu bytes)", (size_t)klen);
		return;
	}
	if (!coll_exists(f->bs, k, klen))
		report(f, "%s: object of a missing collection", name);
	if (store_bs_onode_decode(v, vlen, &on) < 0) {
		report(f, "%s: onode does not decode", name);
		return;
	}
	if (on.nshards && load_shards(f, &on) < 0)
		report(f, "%s: extent map shards missing or damaged", name);
	check_extents(f, name, &on);
	store_bs_onode_fini(&on);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reports shard records whose nid no onode has (after every onode was seen). */
static void check_orphan_shards(struct fsck *f)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(f->bs->db, f->bs->ro);
	char pfx = BS_K_SHARD;
	uint64_t nid;

	if (f->nnids)
		qsort(f->nids, f->nnids, sizeof(*f->nids), cmp_u64);
	for (rocksdb_iter_seek(it, &pfx, 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);

		if (klen == 0 || k[0] != BS_K_SHARD)
			break;
		nid = 0;
		for (size_t i = 1; i < 9 && i < klen; i++)
			nid = nid << 8 | k[i];
		if (klen != BS_SHARD_KEY || !f->nnids ||
		    !bsearch(&nid, f->nids, f->nnids, sizeof(*f->nids), cmp_u64))
			report(f, "extent map shard of no object (nid %" PRIu64 ")", nid);
	}
	rocksdb_iter_destroy(it);
}

static void check_free(struct fsck *f)
{
	for (uint64_t b = 1; b < f->bs->sb.nblocks; b++) {
		bool seen = f->seen[b / 64] >> (b % 64) & 1;

		if (!seen && store_bs_alloc_is_used(&f->bs->alloc, b))
			report(f, "block %" PRIu64 " allocated in the freelist but unused (leak)",
			       b);
	}
}

int store_bs_fsck(struct store *st, unsigned flags, store_fsck_fn *fn, void *arg)
{
	struct blockstore *bs = (struct blockstore *)st;
	struct fsck f = { .bs = bs, .flags = flags, .fn = fn, .arg = arg };
	rocksdb_iterator_t *it;
	char pfx = BS_K_ONODE;

	if (bs->has_committer)
		store_bs_drain(bs);
	f.seen = mem_calloc((bs->sb.nblocks + 63) / 64, 8);
	if (!f.seen)
		return -ENOMEM;
	pthread_mutex_lock(&bs->txn_lock); /* freelist (fl) is stable */
	it = rocksdb_create_iterator(bs->db, bs->ro);
	for (rocksdb_iter_seek(it, &pfx, 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		if (klen == 0 || k[0] != BS_K_ONODE)
			break;
		check_onode(&f, k, klen, v, vlen);
	}
	rocksdb_iter_destroy(it);
	check_orphan_shards(&f);
	check_free(&f);
	pthread_mutex_unlock(&bs->txn_lock);
	mem_free(f.nids);
	mem_free(f.seen);
	return f.errors;
}
