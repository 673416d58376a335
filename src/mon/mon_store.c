/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_store.c - the monitor's RocksDB store: consensus metadata, log
 * entries, the application key/value space and snapshots, written in
 * atomic batches with sync=true. */
#include <errno.h>
#include <string.h>

#include <rocksdb/c.h>

#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "mon/mon_store.h"
#include "mon/raft.h"

#define SNAP_V 1

struct mon_store {
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_readoptions_t *ropts;
	rocksdb_writeoptions_t *wopts; /* sync = true */
};

struct mon_store_batch {
	struct mon_store *st;
	rocksdb_writebatch_t *wb;
	int err; /* first error while collecting, sticky until commit */
};

/* --- keys and values --- */

static void log_key(uint64_t index, uint8_t out[10])
{
	out[0] = 'l';
	out[1] = '/';
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(index >> (56 - 8 * i));
}

static void u64_le(uint64_t v, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_meta(rocksdb_writebatch_t *wb, const char *name, uint64_t v)
{
	uint8_t buf[8];
	u64_le(v, buf);
	rocksdb_writebatch_put(wb, name, strlen(name), (const char *)buf, sizeof(buf));
}

/* "a/<prefix>\0<key>" in a new allocation (caller frees), or NULL. */
static char *app_key(const char *prefix, const void *key, size_t klen, size_t *len)
{
	size_t pl = strlen(prefix);
	char *k = mem_malloc(2 + pl + 1 + klen);
	if (!k)
		return NULL;
	memcpy(k, "a/", 2);
	memcpy(k + 2, prefix, pl + 1);
	if (klen)
		memcpy(k + 3 + pl, key, klen);
	*len = 3 + pl + klen;
	return k;
}

static int get_meta(struct mon_store *st, const char *name, uint64_t *v)
{
	char *err = NULL;
	size_t n;
	char *val = rocksdb_get(st->db, st->ropts, name, strlen(name), &n, &err);
	if (err) {
		log_err(mon, "mon store: get %s: %s", name, err);
		rocksdb_free(err);
		return -EIO;
	}
	if (!val)
		return -ENOENT;
	int rc = n == 8 ? 0 : -EIO;
	if (rc == 0)
		*v = le_u64((const uint8_t *)val);
	rocksdb_free(val);
	return rc;
}

/* --- lifecycle --- */

int mon_store_open(const char *path, bool create, struct mon_store **out)
{
	struct mon_store *st = mem_calloc(1, sizeof(*st));
	char *err = NULL;

	if (!st)
		return -ENOMEM;
	st->opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(st->opts, create);
	st->ropts = rocksdb_readoptions_create();
	st->wopts = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(st->wopts, 1);
	st->db = rocksdb_open(st->opts, path, &err);
	if (err) {
		bool missing = strstr(err, "does not exist") || strstr(err, "No such file");

		/* A missing store is the caller's to explain (run mkfs first). */
		if (!missing)
			log_err(mon, "mon store: open %s: %s", path, err);
		rocksdb_free(err);
		mon_store_close(st);
		return missing ? -ENOENT : -EIO;
	}
	*out = st;
	return 0;
}

void mon_store_close(struct mon_store *st)
{
	if (!st)
		return;
	if (st->db)
		rocksdb_close(st->db);
	rocksdb_writeoptions_destroy(st->wopts);
	rocksdb_readoptions_destroy(st->ropts);
	rocksdb_options_destroy(st->opts);
	mem_free(st);
}

/* --- loading --- */

static int decode_entry(const char *k, size_t kl, const char *v, size_t vl,
                        struct mon_raft_entry *e)
{
	struct dec d;
	const void *p;
	if (kl != 10)
		return -EIO;
	e->index = 0; /* big-endian in the key, so that keys sort by index */
	for (int i = 0; i < 8; i++)
		e->index = e->index << 8 | (uint8_t)k[2 + i];
	dec_init(&d, v, vl);
	if (dec_u64(&d, &e->term) || dec_u8(&d, &e->type) || dec_blob_ref(&d, &p, &e->len))
		return -EIO;
	e->data = NULL;
	if (e->len) {
		e->data = mem_malloc(e->len);
		if (!e->data)
			return -ENOMEM;
		memcpy(e->data, p, e->len);
	}
	return 0;
}

static int load_entries(struct mon_store *st, struct mon_raft_state *s)
{
	struct mon_raft_entry *arr = NULL;
	size_t cap = 0, n = 0, kl, vl;
	int rc = 0;
	rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->ropts);

	for (rocksdb_iter_seek(it, "l/", 2); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		if (kl < 2 || memcmp(k, "l/", 2) != 0)
			break;
		rc = mem_grow(&arr, sizeof(*arr), &cap, n + 1);
		if (rc == 0)
			rc = decode_entry(k, kl, v, vl, &arr[n]);
		if (rc < 0)
			break;
		n++;
		if (arr[n - 1].index != s->snap_index + n)
			rc = -EIO; /* a hole: the store is not what we wrote */
		if (rc < 0)
			break;
	}
	rocksdb_iter_destroy(it);
	s->entries = arr;
	s->n_entries = n;
	return rc;
}

int mon_store_load(struct mon_store *st, uint64_t bootstrap_conf, struct mon_raft_state *out)
{
	uint64_t vote = MON_RAFT_NONE;
	int rc;

	memset(out, 0, sizeof(*out));
	out->snap_conf = bootstrap_conf;
	static const char *const names[] = { "m/term",       "m/commit",    "m/applied",
		                             "m/base_index", "m/base_term", "m/base_conf",
		                             "m/vote" };
	uint64_t *dst[] = { &out->term,      &out->commit,    &out->applied, &out->snap_index,
		            &out->snap_term, &out->snap_conf, &vote };
	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++) {
		rc = get_meta(st, names[i], dst[i]);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	out->vote = (uint32_t)vote;
	if (out->applied < out->snap_index)
		out->applied = out->snap_index;
	rc = load_entries(st, out);
	if (rc < 0)
		mon_store_state_free(out);
	else if (out->applied > out->snap_index + out->n_entries)
		rc = -EIO;
	return rc;
}

void mon_store_state_free(struct mon_raft_state *s)
{
	struct mon_raft_entry *e = (struct mon_raft_entry *)s->entries;
	for (size_t i = 0; i < s->n_entries; i++)
		mem_free(e[i].data);
	mem_free(e);
	s->entries = NULL;
	s->n_entries = 0;
}

uint64_t mon_store_applied(struct mon_store *st)
{
	uint64_t v = 0;
	return get_meta(st, "m/applied", &v) == 0 ? v : 0;
}

/* --- batches --- */

int mon_store_batch_create(struct mon_store *st, struct mon_store_batch **out)
{
	struct mon_store_batch *b = mem_calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->st = st;
	b->wb = rocksdb_writebatch_create();
	*out = b;
	return 0;
}

void mon_store_batch_destroy(struct mon_store_batch *b)
{
	if (!b)
		return;
	rocksdb_writebatch_destroy(b->wb);
	mem_free(b);
}

static void delete_log_range(struct mon_store_batch *b, uint64_t from, uint64_t to)
{
	uint8_t k1[10], k2[10];
	log_key(from, k1);
	log_key(to, k2);
	rocksdb_writebatch_delete_range(b->wb, (const char *)k1, sizeof(k1), (const char *)k2,
	                                sizeof(k2));
}

static void put_base(struct mon_store_batch *b, const struct mon_raft_op *op)
{
	put_meta(b->wb, "m/base_index", op->index);
	put_meta(b->wb, "m/base_term", op->term);
	put_meta(b->wb, "m/base_conf", op->conf);
}

static void put_entry(struct mon_store_batch *b, const struct mon_raft_entry *e)
{
	struct enc en;
	uint8_t k[10];
	enc_init(&en);
	enc_u64(&en, e->term);
	enc_u8(&en, e->type);
	enc_blob(&en, e->data, e->len);
	if (enc_error(&en) < 0)
		b->err = b->err ? b->err : enc_error(&en);
	else {
		log_key(e->index, k);
		rocksdb_writebatch_put(b->wb, (const char *)k, sizeof(k), (const char *)en.data,
		                       en.len);
	}
	enc_fini(&en);
}

/* Walks snapshot data; with b, replaces the application space with it. */
static int snapshot_apply(struct mon_store_batch *b, const void *data, size_t len, uint64_t *index)
{
	struct dec d, body;
	uint8_t v;
	uint32_t n, kl, vl;
	const void *k, *val;
	int rc;

	dec_init(&d, data, len);
	rc = dec_begin(&d, SNAP_V, &v, &body);
	if (rc < 0)
		return rc;
	if (dec_u64(&body, index) || dec_count(&body, 8, &n))
		return -EBADMSG;
	if (b)
		rocksdb_writebatch_delete_range(b->wb, "a/", 2, "a0", 2);
	for (uint32_t i = 0; i < n; i++) {
		if (dec_blob_ref(&body, &k, &kl) || dec_blob_ref(&body, &val, &vl))
			return -EBADMSG;
		if (kl < 2 || memcmp(k, "a/", 2) != 0)
			return -EBADMSG;
		if (b)
			rocksdb_writebatch_put(b->wb, k, kl, val, vl);
	}
	dec_end(&d, &body);
	return 0;
}

int mon_store_snapshot_check(const void *data, size_t len)
{
	uint64_t index;
	return snapshot_apply(NULL, data, len, &index);
}

static int batch_op(struct mon_store_batch *b, const struct mon_raft_op *op)
{
	uint64_t index;
	switch (op->kind) {
	case MON_RAFT_OP_HARD_STATE:
		put_meta(b->wb, "m/term", op->term);
		put_meta(b->wb, "m/vote", op->vote);
		return 0;
	case MON_RAFT_OP_TRUNCATE:
		delete_log_range(b, op->index, UINT64_MAX);
		return 0;
	case MON_RAFT_OP_ENTRY:
		put_entry(b, &op->entry);
		return b->err;
	case MON_RAFT_OP_COMMIT:
		put_meta(b->wb, "m/commit", op->index);
		return 0;
	case MON_RAFT_OP_TRIM:
		delete_log_range(b, 0, op->index + 1);
		put_base(b, op);
		return 0;
	case MON_RAFT_OP_SNAPSHOT:
		if (snapshot_apply(b, op->data, op->len, &index) < 0 || index != op->index)
			return -EBADMSG;
		delete_log_range(b, 0, op->index + 1);
		put_base(b, op);
		put_meta(b->wb, "m/applied", op->index);
		put_meta(b->wb, "m/commit", op->index);
		return 0;
	}
	return -EINVAL;
}

int mon_store_batch_ops(struct mon_store_batch *b, const struct mon_raft_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = batch_op(b, &ops[i]);
		if (rc < 0) {
			b->err = b->err ? b->err : rc;
			return rc;
		}
	}
	return 0;
}

void mon_store_batch_put(struct mon_store_batch *b, const char *prefix, const void *key,
                         size_t klen, const void *val, size_t vlen)
{
	size_t kl;
	char *k = app_key(prefix, key, klen, &kl);
	if (!k) {
		b->err = b->err ? b->err : -ENOMEM;
		return;
	}
	rocksdb_writebatch_put(b->wb, k, kl, val, vlen);
	mem_free(k);
}

void mon_store_batch_del(struct mon_store_batch *b, const char *prefix, const void *key,
                         size_t klen)
{
	size_t kl;
	char *k = app_key(prefix, key, klen, &kl);
	if (!k) {
		b->err = b->err ? b->err : -ENOMEM;
		return;
	}
	rocksdb_writebatch_delete(b->wb, k, kl);
	mem_free(k);
}

void mon_store_batch_applied(struct mon_store_batch *b, uint64_t index)
{
	put_meta(b->wb, "m/applied", index);
}

int mon_store_batch_commit(struct mon_store_batch *b)
{
	char *err = NULL;
	int rc = b->err;

	if (rc == 0) {
		rocksdb_write(b->st->db, b->st->wopts, b->wb, &err);
		if (err) {
			log_err(mon, "mon store: write: %s", err);
			rocksdb_free(err);
			rc = -EIO;
		}
	}
	rocksdb_writebatch_clear(b->wb);
	b->err = 0;
	return rc;
}

/* --- application space --- */

int mon_store_get(struct mon_store *st, const char *prefix, const void *key, size_t klen,
                  void **val, size_t *vlen)
{
	char *err = NULL;
	size_t kl, n;
	char *k = app_key(prefix, key, klen, &kl);
	if (!k)
		return -ENOMEM;
	char *v = rocksdb_get(st->db, st->ropts, k, kl, &n, &err);
	mem_free(k);
	if (err) {
		log_err(mon, "mon store: get: %s", err);
		rocksdb_free(err);
		return -EIO;
	}
	if (!v)
		return -ENOENT;
	*val = mem_malloc(n ? n : 1);
	if (*val)
		memcpy(*val, v, n);
	rocksdb_free(v);
	if (!*val)
		return -ENOMEM;
	*vlen = n;
	return 0;
}

int mon_store_iterate(struct mon_store *st, const char *prefix, mon_store_iter_fn *fn, void *arg)
{
	size_t pl, kl, vl;
	int rc = 0;
	char *p = app_key(prefix, "", 0, &pl);
	if (!p)
		return -ENOMEM;
	rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, st->ropts);
	for (rocksdb_iter_seek(it, p, pl); rocksdb_iter_valid(it) && rc == 0;
	     rocksdb_iter_next(it)) {
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		if (kl < pl || memcmp(k, p, pl) != 0)
			break;
		rc = fn(k + pl, kl - pl, v, vl, arg);
	}
	rocksdb_iter_destroy(it);
	mem_free(p);
	return rc;
}

static void snapshot_items(struct mon_store *st, const rocksdb_snapshot_t *snap, struct enc *e,
                           uint32_t *n)
{
	size_t kl, vl;
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(ro, snap);
	rocksdb_iterator_t *it = rocksdb_create_iterator(st->db, ro);
	for (rocksdb_iter_seek(it, "a/", 2); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		if (kl < 2 || memcmp(k, "a/", 2) != 0)
			break;
		enc_blob(e, k, kl);
		enc_blob(e, v, vl);
		(*n)++;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
}

int mon_store_snapshot_build(struct mon_store *st, uint8_t **data, size_t *len, uint64_t *index)
{
	struct enc e;
	uint32_t n = 0;
	uint8_t ib[8];
	char *err = NULL;
	size_t vl;

	const rocksdb_snapshot_t *snap = rocksdb_create_snapshot(st->db);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_snapshot(ro, snap);
	char *v = rocksdb_get(st->db, ro, "m/applied", 9, &vl, &err);
	rocksdb_readoptions_destroy(ro);
	*index = 0;
	if (v && vl == 8) {
		memcpy(ib, v, 8);
		*index = le_u64(ib);
	}
	rocksdb_free(v);
	if (err) {
		log_err(mon, "mon store: snapshot: %s", err);
		rocksdb_free(err);
		rocksdb_release_snapshot(st->db, snap);
		return -EIO;
	}
	enc_init(&e);
	size_t pos = enc_begin(&e, SNAP_V, 1);
	enc_u64(&e, *index);
	size_t count_pos = e.len;
	enc_u32(&e, 0);
	snapshot_items(st, snap, &e, &n);
	enc_patch_u32(&e, count_pos, n);
	enc_end(&e, pos);
	rocksdb_release_snapshot(st->db, snap);
	int rc = enc_error(&e);
	if (rc == 0)
		*data = enc_take(&e, len);
	enc_fini(&e);
	return rc;
}
