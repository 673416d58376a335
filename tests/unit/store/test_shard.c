/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/test_shard.c - BlockStore extent-map shards: an object
 * whose extents cross shard boundaries survives overwrites, truncation and
 * reopening with its map merged back; removing it leaves no shard behind;
 * removing objects with and without omap (and their clones) leaves no
 * omap key behind;
 * a missing shard makes the object unreadable (-EBADMSG) and deep fsck
 * report it, an orphan shard is reported too; a layout-1 superblock is
 * refused. The shard records are edited through RocksDB directly. */
#include <errno.h>
#include <rocksdb/c.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"
#include "util.h"

void test_shard_roundtrip(void **state);
void test_remove_omap(void **state);
void test_shard_damage(void **state);

struct ext_sum {
	unsigned n;
	uint64_t blocks;
};

static int ext_count(const struct store_extent *x, void *arg)
{
	struct ext_sum *s = arg;

	s->n++;
	s->blocks += x->nblocks;
	return 0;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static void mk_coll(struct store *st)
{
	struct store_txn *t;

	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_coll_create(t, "c"), 0);
	assert_int_equal(store_apply_transaction(st, t), 0);
}

static void check_object(struct store *st, const uint8_t *want, size_t n)
{
	uint8_t *got = NULL;

	assert_int_equal(tread(st, "c", "o", &got), (ssize_t)n);
	assert_memory_equal(got, want, n);
	free(got);
}

/* Calls fn on the store's database while the store is closed. */
static void with_db(const char *dir, void (*fn)(rocksdb_t *db))
{
	rocksdb_options_t *o = rocksdb_options_create();
	char path[256], *err = NULL;
	rocksdb_t *db;

	snprintf(path, sizeof(path), "%s/db", dir);
	db = rocksdb_open(o, path, &err);
	assert_null(err);
	fn(db);
	rocksdb_close(db);
	rocksdb_options_destroy(o);
}

/* Opens ts's store again after a store_close. */
static void open_again(struct tstore *ts)
{
	struct store_opts o;

	tstore_opts(&o);
	assert_int_equal(store_bs_open(ts->dir, &o, &ts->st), 0);
}

/* Counts the keys with prefix byte pfx ('X' shards, 'M' omap). */
static unsigned count_keys(rocksdb_t *db, char pfx, char first_key[17])
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it = rocksdb_create_iterator(db, ro);
	unsigned n = 0;

	for (rocksdb_iter_seek(it, &pfx, 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen;
		const char *k = rocksdb_iter_key(it, &klen);

		if (klen == 0 || k[0] != pfx)
			break;
		if (n++ == 0 && first_key && klen == 17)
			memcpy(first_key, k, 17);
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return n;
}

static unsigned nshards_seen, nomap_seen;

static void db_count(rocksdb_t *db)
{
	nshards_seen = count_keys(db, 'X', NULL);
	nomap_seen = count_keys(db, 'M', NULL);
}

void test_shard_roundtrip(void **state)
{
	static uint8_t data[1 << 20], blk[4096];
	struct store_oid o = toid("o");
	struct ext_sum s = { 0 };
	struct tstore ts;
	struct store_txn *t;

	(void)state;
	tstore_open(&ts, true);
	mk_coll(ts.st);
	fill(data, sizeof(data), 1);
	assert_int_equal(twrite(ts.st, "c", "o", 0, data, sizeof(data)), 0); /* 4 shards */
	fill(blk, sizeof(blk), 9);
	memcpy(data + 130 * 4096, blk, sizeof(blk));
	assert_int_equal(twrite(ts.st, "c", "o", 130 * 4096, blk, sizeof(blk)), 0); /* deferred */
	check_object(ts.st, data, sizeof(data));
	tstore_reopen(&ts);
	check_object(ts.st, data, sizeof(data));
	assert_int_equal(store_extents(ts.st, "c", &o, ext_count, &s), 0);
	assert_int_equal(s.blocks, 256);
	assert_int_equal(s.n, 1); /* one allocation, merged again across its 4 shards */
	/* truncating inside shard 1 drops shards 2 and 3, rewrites shard 1 */
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_truncate(t, "c", &o, 100 * 4096 + 10), 0);
	assert_int_equal(store_apply_transaction(ts.st, t), 0);
	memset(data + 100 * 4096 + 10, 0, sizeof(data) - 100 * 4096 - 10);
	tstore_reopen(&ts);
	check_object(ts.st, data, 100 * 4096 + 10);
	assert_int_equal(store_fsck(ts.st, STORE_FSCK_DEEP, NULL, NULL), 0);
	store_close(ts.st);
	with_db(ts.dir, db_count);
	assert_int_equal(nshards_seen, 2);
	open_again(&ts);
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_remove(t, "c", &o), 0);
	assert_int_equal(store_apply_transaction(ts.st, t), 0);
	assert_int_equal(store_fsck(ts.st, STORE_FSCK_DEEP, NULL, NULL), 0);
	store_close(ts.st);
	with_db(ts.dir, db_count);
	assert_int_equal(nshards_seen, 0);
	open_again(&ts);
	tstore_close(&ts, true);
}

static char shard_key[17];
static char *shard_val;
static size_t shard_vlen;

static void db_take_shard(rocksdb_t *db)
{
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char *err = NULL;

	assert_true(count_keys(db, 'X', shard_key) > 0);
	shard_val = rocksdb_get(db, ro, shard_key, sizeof(shard_key), &shard_vlen, &err);
	assert_non_null(shard_val);
	rocksdb_delete(db, wo, shard_key, sizeof(shard_key), &err);
	assert_null(err);
	rocksdb_readoptions_destroy(ro);
	rocksdb_writeoptions_destroy(wo);
}

/* Puts the shard back under a nid no object has. */
static void db_put_orphan(rocksdb_t *db)
{
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;

	memcpy(shard_key + 1, "\x7f\x00\x00\x00\x00\x00\x00\x01", 8);
	rocksdb_put(db, wo, shard_key, sizeof(shard_key), shard_val, shard_vlen, &err);
	assert_null(err);
	rocksdb_free(shard_val);
	rocksdb_writeoptions_destroy(wo);
}

static void db_old_super(rocksdb_t *db)
{
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char *err = NULL, *v;
	size_t vlen;

	v = rocksdb_get(db, ro, "S", 1, &vlen, &err);
	assert_non_null(v);
	v[0] = v[1] = 1; /* struct_v = compat_v = 1: layout 1 */
	rocksdb_put(db, wo, "S", 1, v, vlen, &err);
	assert_null(err);
	rocksdb_free(v);
	rocksdb_readoptions_destroy(ro);
	rocksdb_writeoptions_destroy(wo);
}

void test_shard_damage(void **state)
{
	static uint8_t data[1 << 20];
	struct store_oid o = toid("o");
	struct store_opts opts;
	struct tstore ts;
	struct buf *b = NULL;
	struct store *st;

	(void)state;
	tstore_open(&ts, true);
	mk_coll(ts.st);
	fill(data, sizeof(data), 3);
	assert_int_equal(twrite(ts.st, "c", "o", 0, data, sizeof(data)), 0);
	store_close(ts.st);
	with_db(ts.dir, db_take_shard);
	open_again(&ts);
	log_set_level(LOG_SUB_store, LOG_LVL_NONE);
	assert_int_equal(store_read(ts.st, "c", &o, 0, 0, &b), -EBADMSG);
	assert_true(store_fsck(ts.st, 0, NULL, NULL) >= 1);
	store_close(ts.st);
	with_db(ts.dir, db_put_orphan); /* the object lacks it, an unknown nid has it */
	open_again(&ts);
	assert_true(store_fsck(ts.st, 0, NULL, NULL) >= 2);
	store_close(ts.st);
	with_db(ts.dir, db_old_super);
	tstore_opts(&opts);
	assert_int_equal(store_bs_open(ts.dir, &opts, &st), -EBADMSG);
	log_set_level(LOG_SUB_store, LOG_LVL_ERR);
	rm_rf(ts.dir);
}

/* Counts ts's shard and omap keys with the store closed, then reopens it. */
static void count_closed(struct tstore *ts)
{
	store_close(ts->st);
	with_db(ts->dir, db_count);
	open_again(ts);
}

static void remove_objs(struct store *st, const struct store_oid *o, unsigned n)
{
	struct store_txn *t;

	assert_int_equal(store_txn_create(&t), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(store_txn_remove(t, "c", &o[i]), 0);
	assert_int_equal(store_apply_transaction(st, t), 0);
}

void test_remove_omap(void **state)
{
	static uint8_t data[256 << 10];
	struct store_kv kv[2] = { { "k1", "v1", 2 }, { "k2", "v2", 2 } };
	struct store_oid o[3] = { toid("a"), toid("b"), toid("c") };
	struct tstore ts;
	struct store_txn *t;

	(void)state;
	tstore_open(&ts, true);
	mk_coll(ts.st);
	fill(data, sizeof(data), 3);
	/* a: data and omap; b: data only; c: a clone of a (omap copied) */
	assert_int_equal(twrite(ts.st, "c", "a", 0, data, sizeof(data)), 0);
	assert_int_equal(twrite(ts.st, "c", "b", 0, data, 4096), 0);
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_omap_setkeys(t, "c", &o[0], kv, 2), 0);
	assert_int_equal(store_txn_clone(t, "c", &o[0], &o[2]), 0);
	assert_int_equal(store_apply_transaction(ts.st, t), 0);
	count_closed(&ts);
	assert_int_equal(nomap_seen, 4);
	remove_objs(ts.st, o, 2); /* a and b; c keeps its omap across the reopen */
	count_closed(&ts);
	assert_int_equal(nomap_seen, 2);
	remove_objs(ts.st, &o[2], 1);
	count_closed(&ts);
	assert_int_equal(nomap_seen, 0);
	assert_int_equal(nshards_seen, 0);
	assert_int_equal(store_fsck(ts.st, STORE_FSCK_DEEP, NULL, NULL), 0);
	tstore_close(&ts, true);
}
