/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs.c - BlockStore lifecycle: mkfs, open (mount, replay), close
 * (umount), the failed state, and the database helpers.
 *
 * DESIGN
 * A store directory holds `db/` (RocksDB: every metadata record, see
 * README.md) and `block` (the preallocated data file).
 *
 *   (closed) --open--> REPLAYING --replay ok--> ACTIVE --I/O error--> FAILED
 *                 \--read_only--> READONLY           \      |
 *   ACTIVE, READONLY, FAILED --close--> (closed)      +-----+
 *
 * Edge -> function: open/REPLAYING: store_bs_open + store_bs_replay;
 * ->FAILED: store_bs_fail (any data write, sync or database write error,
 * or a failed install); close: bs_close. In FAILED nothing more is written:
 * queue returns -EIO, the commit worker completes queued work with -EIO,
 * reads go on (they may fail). After a crash the next open replays the
 * deferred records that reached the database.
 * Invariant checked at open: superblock decodes, block size matches, the
 * data file is at least nblocks * block_size long, every freelist chunk
 * decodes. Anything else refuses to mount (-EBADMSG) instead of guessing. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "store/bs_int.h"

void store_bs_fail(struct blockstore *bs, const char *what, int rc)
{
	int old = BS_ACTIVE;

	if (atomic_compare_exchange_strong(&bs->state, &old, BS_FAILED))
		log_err(store, "blockstore %s: %s failed (%s); store is now failed", bs->path, what,
		        strerror(-rc));
}

void store_bs_key_u64(uint8_t *key, char prefix, uint64_t v)
{
	key[0] = (uint8_t)prefix;
	for (int i = 0; i < 8; i++)
		key[1 + i] = (uint8_t)(v >> (56 - 8 * i));
}

void store_bs_shard_key(uint8_t *key, uint64_t nid, uint64_t shard)
{
	store_bs_key_u64(key, BS_K_SHARD, nid);
	for (int i = 0; i < 8; i++)
		key[9 + i] = (uint8_t)(shard >> (56 - 8 * i));
}

void store_bs_onode_key(struct enc *e, const char *cid, const struct store_oid *oid)
{
	enc_u8(e, BS_K_ONODE);
	enc_raw(e, cid, strlen(cid) + 1);
	store_oid_encode_key(e, oid);
}

int store_bs_db_get(struct blockstore *bs, const char *key, size_t klen, char **val, size_t *vlen)
{
	char *err = NULL;

	*val = rocksdb_get(bs->db, bs->ro, key, klen, vlen, &err);
	if (err) {
		log_err(store, "blockstore %s: metadata read: %s", bs->path, err);
		rocksdb_free(err);
		return -EIO;
	}
	return *val ? 0 : -ENOENT;
}

int store_bs_shards_load(rocksdb_iterator_t *it, struct bs_onode *on)
{
	uint8_t pfx[BS_SHARD_KEY];
	uint32_t got = 0;
	char *err = NULL;
	int rc = 0;

	store_bs_shard_key(pfx, on->nid, 0);
	for (rocksdb_iter_seek(it, (const char *)pfx, 9); rc == 0 && rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);
		uint64_t shard = 0;

		if (klen < 9 || memcmp(k, pfx, 9) != 0)
			break;
		if (klen != BS_SHARD_KEY || ++got > on->nshards)
			return -EBADMSG;
		for (unsigned i = 9; i < BS_SHARD_KEY; i++)
			shard = shard << 8 | k[i];
		rc = store_bs_shard_decode(v, vlen, shard, &on->em);
	}
	rocksdb_iter_get_error(it, &err);
	if (err) {
		rocksdb_free(err);
		return -EIO;
	}
	return rc < 0 ? rc : got != on->nshards ? -EBADMSG : 0;
}

/* The onode record and its shards through one iterator: one consistent
 * view, even while the commit worker writes batches. */
static int load_with_shards(struct blockstore *bs, const char *key, size_t klen,
                            struct bs_onode *on)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(bs->db, bs->ro);
	const char *k, *v;
	size_t n, vlen;
	int rc = -ENOENT;

	rocksdb_iter_seek(it, key, klen);
	k = rocksdb_iter_valid(it) ? rocksdb_iter_key(it, &n) : NULL;
	if (k && n == klen && memcmp(k, key, klen) == 0) {
		v = rocksdb_iter_value(it, &vlen);
		rc = store_bs_onode_decode(v, vlen, on);
		if (rc == 0 && (rc = store_bs_shards_load(it, on)) < 0)
			store_bs_onode_fini(on);
	}
	rocksdb_iter_destroy(it);
	return rc;
}

int store_bs_onode_load(struct blockstore *bs, const char *key, size_t klen, bool extents,
                        struct bs_onode *on)
{
	char *val;
	size_t vlen;
	int rc = store_bs_db_get(bs, key, klen, &val, &vlen);

	if (rc < 0)
		return rc;
	rc = store_bs_onode_decode(val, vlen, on);
	rocksdb_free(val);
	if (rc == 0 && extents && on->nshards) {
		store_bs_onode_fini(on);
		rc = load_with_shards(bs, key, klen, on);
	}
	if (rc == -EBADMSG)
		log_err(store, "blockstore %s: damaged onode record", bs->path);
	return rc;
}

static int open_db(struct blockstore *bs, const char *path, bool create)
{
	char dbp[4096], *err = NULL;

	snprintf(dbp, sizeof(dbp), "%s/db", path);
	bs->dbo = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(bs->dbo, create);
	rocksdb_options_set_error_if_exists(bs->dbo, create);
	rocksdb_options_set_max_open_files(bs->dbo, 256);
	rocksdb_options_set_info_log_level(bs->dbo, 1); /* INFO: no line per WAL sync */
	bs->bbto = rocksdb_block_based_options_create();
	bs->cache = rocksdb_cache_create_lru(bs->opts.cache_size ? bs->opts.cache_size : 1 << 20);
	rocksdb_block_based_options_set_block_cache(bs->bbto, bs->cache);
	rocksdb_options_set_block_based_table_factory(bs->dbo, bs->bbto);
	bs->ro = rocksdb_readoptions_create();
	bs->wo = rocksdb_writeoptions_create();
	if (bs->opts.read_only)
		bs->db = rocksdb_open_for_read_only(bs->dbo, dbp, 0, &err);
	else
		bs->db = rocksdb_open(bs->dbo, dbp, &err);
	if (err) {
		log_err(store, "blockstore %s: opening the metadata database: %s", path, err);
		rocksdb_free(err);
		return create ? -EEXIST : -EIO;
	}
	return 0;
}

static void close_db(struct blockstore *bs)
{
	if (bs->db)
		rocksdb_close(bs->db);
	if (bs->ro)
		rocksdb_readoptions_destroy(bs->ro);
	if (bs->wo)
		rocksdb_writeoptions_destroy(bs->wo);
	if (bs->dbo)
		rocksdb_options_destroy(bs->dbo);
	if (bs->bbto)
		rocksdb_block_based_options_destroy(bs->bbto);
	if (bs->cache)
		rocksdb_cache_destroy(bs->cache);
	bs->db = NULL;
}

static struct blockstore *bs_alloc(const char *path, const struct store_opts *o)
{
	struct blockstore *bs = mem_calloc(1, sizeof(*bs));

	if (!bs)
		return NULL;
	bs->path = mem_strdup(path);
	if (!bs->path) {
		mem_free(bs);
		return NULL;
	}
	bs->base.ops = &store_bs_ops;
	bs->opts = *o;
	bs->bsize = o->block_size;
	pthread_mutex_init(&bs->txn_lock, NULL);
	pthread_mutex_init(&bs->alloc_lock, NULL);
	pthread_mutex_init(&bs->pend_lock, NULL);
	pthread_mutex_init(&bs->ovl_lock, NULL);
	pthread_mutex_init(&bs->q_lock, NULL);
	pthread_cond_init(&bs->q_cv, NULL);
	pthread_cond_init(&bs->q_work, NULL);
	list_init(&bs->queue);
	list_init(&bs->pend_lru);
	return bs;
}

static void bs_free(struct blockstore *bs)
{
	for (size_t i = 0; i < BS_OVL_BUCKETS; i++)
		while (bs->ovl[i]) {
			struct bs_ovl *o = bs->ovl[i];

			bs->ovl[i] = o->next;
			mem_free(o->data);
			mem_free(o);
		}
	store_bs_pend_clear(bs);
	store_bs_dio_fini(bs); /* before the file closes */
	close_db(bs);
	store_file_close(bs->file);
	store_bs_alloc_fini(&bs->alloc);
	store_bs_dbatch_fini(&bs->dq);
	store_bs_dbatch_fini(&bs->dfl);
	pthread_mutex_destroy(&bs->txn_lock);
	pthread_mutex_destroy(&bs->alloc_lock);
	pthread_mutex_destroy(&bs->pend_lock);
	pthread_mutex_destroy(&bs->ovl_lock);
	pthread_mutex_destroy(&bs->q_lock);
	pthread_cond_destroy(&bs->q_cv);
	pthread_cond_destroy(&bs->q_work);
	mem_free(bs->path);
	mem_free(bs);
}

static int write_initial(struct blockstore *bs)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;
	struct enc e;
	int rc;

	enc_init(&e);
	store_bs_super_encode(&e, &bs->sb);
	rc = enc_error(&e);
	if (rc == 0)
		rocksdb_writebatch_put(wb, "S", 1, (const char *)e.data, e.len);
	if (rc == 0)
		rc = store_bs_alloc_flush(&bs->alloc, wb);
	rocksdb_writeoptions_set_sync(wo, 1);
	if (rc == 0)
		rocksdb_write(bs->db, wo, wb, &err);
	if (err) {
		rocksdb_free(err);
		rc = -EIO;
	}
	enc_fini(&e);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_writebatch_destroy(wb);
	return rc;
}

int store_bs_mkfs(const char *path, const struct store_opts *o)
{
	char fp[4096];
	struct blockstore *bs;
	int rc;

	if (o->block_size < 512 || (o->block_size & (o->block_size - 1)) ||
	    o->data_size / o->block_size < 16)
		return -EINVAL;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	bs = bs_alloc(path, o);
	if (!bs)
		return -ENOMEM;
	bs->sb = (struct bs_super){ .magic = BS_MAGIC,
		                    .block_size = o->block_size,
		                    .nblocks = o->data_size / o->block_size,
		                    .nid_next = 1 };
	snprintf(fp, sizeof(fp), "%s/block", path);
	rc = store_file_open(fp, true, bs->sb.nblocks * o->block_size, 0, &bs->file);
	if (rc == 0)
		rc = store_file_sync(bs->file);
	if (rc == 0)
		rc = store_bs_alloc_init(&bs->alloc, bs->sb.nblocks);
	if (rc == 0)
		rc = open_db(bs, path, true);
	if (rc == 0)
		rc = write_initial(bs);
	bs_free(bs);
	return rc;
}

static int load_super(struct blockstore *bs)
{
	char *val;
	size_t vlen;
	int rc = store_bs_db_get(bs, "S", 1, &val, &vlen);

	if (rc == -ENOENT)
		rc = -EBADMSG;
	if (rc < 0)
		return rc;
	rc = store_bs_super_decode(val, vlen, &bs->sb);
	rocksdb_free(val);
	if (rc < 0)
		return rc;
	bs->bsize = bs->sb.block_size; /* the superblock is authoritative */
	bs->opts.block_size = bs->bsize;
	return 0;
}

static int load_freelist(struct blockstore *bs)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator(bs->db, bs->ro);
	char pfx = BS_K_FREE;
	int rc = store_bs_alloc_init(&bs->alloc, bs->sb.nblocks);

	for (rocksdb_iter_seek(it, &pfx, 1); rc == 0 && rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		if (klen == 0 || k[0] != BS_K_FREE)
			break;
		rc = klen == 9 ? store_bs_alloc_load_chunk(&bs->alloc, v, vlen) : -EBADMSG;
	}
	rocksdb_iter_destroy(it);
	return rc;
}

/* Direct I/O needs every data-file offset aligned: whole blocks of a
 * multiple of STORE_FILE_ALIGN (smaller blocks stay buffered). */
static unsigned file_flags(const struct blockstore *bs)
{
	bool direct = bs->opts.direct_io && bs->bsize % STORE_FILE_ALIGN == 0;

	return (bs->opts.faulty ? STORE_FILE_FAULTY : 0) | (direct ? STORE_FILE_DIRECT : 0);
}

static int mount(struct blockstore *bs)
{
	char fp[4096];
	int rc = load_super(bs);

	snprintf(fp, sizeof(fp), "%s/block", bs->path);
	if (rc == 0)
		rc = store_file_open(fp, false, 0, file_flags(bs), &bs->file);
	if (rc == 0 && store_file_size(bs->file) < bs->sb.nblocks * bs->bsize)
		rc = -EBADMSG;
	if (rc == 0)
		rc = load_freelist(bs);
	if (rc == 0)
		rc = store_bs_replay(bs); /* read-only: into the overlay only */
	if (rc < 0)
		log_err(store, "blockstore %s: mount failed: %s", bs->path, strerror(-rc));
	return rc;
}

int store_bs_open(const char *path, const struct store_opts *o, struct store **out)
{
	pthread_rwlockattr_t ra;
	struct blockstore *bs = bs_alloc(path, o);
	int rc;

	if (!bs)
		return -ENOMEM;
	rc = open_db(bs, path, false);
	if (rc == 0)
		rc = mount(bs);
	if (rc == 0)
		rc = store_bs_dio_init(bs);
	if (rc == 0 && !o->read_only)
		rc = store_bs_committer_start(bs);
	if (rc < 0) {
		bs_free(bs);
		return rc;
	}
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&bs->read_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	atomic_store(&bs->state, o->read_only ? BS_READONLY : BS_ACTIVE);
	*out = &bs->base;
	return 0;
}

void store_bs_close(struct store *st)
{
	struct blockstore *bs = (struct blockstore *)st;
	char *err = NULL;

	if (bs->has_committer) {
		store_bs_drain(bs);
		if (atomic_load(&bs->state) == BS_ACTIVE && store_bs_deferred_flush(bs) == 0) {
			rocksdb_flush_wal(bs->db, 1, &err);
			if (err)
				log_err(store, "blockstore %s: final WAL sync: %s", bs->path, err);
			rocksdb_free(err);
		}
		store_bs_committer_stop(bs);
	}
	pthread_rwlock_destroy(&bs->read_lock);
	bs_free(bs);
}

struct store_file *store_bs_file(struct store *st)
{
	return st->ops == &store_bs_ops ? ((struct blockstore *)st)->file : NULL;
}
