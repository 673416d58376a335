/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/store.c - the public entry points: argument checks, dispatch through
 * the ops table, options, object ids and their key encoding. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "common/cfg.h"
#include "common/mem.h"
#include "store/store_int.h"

void store_opts_default(struct store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->block_size = 4096;
	o->data_size = 10ull << 30;
	o->deferred_max = 64 << 10;
	o->commit_threads = 1;
	o->cache_size = 128ull << 20;
	o->direct_io = true;
}

void store_opts_from_cfg(struct store_opts *o, const struct cfg *c)
{
	store_opts_default(o);
	o->block_size = (uint32_t)cfg_size(c, CFG_KEY_store_block_size);
	o->data_size = cfg_size(c, CFG_KEY_store_data_file_size);
	o->deferred_max = cfg_size(c, CFG_KEY_store_deferred_max);
	o->commit_threads = (unsigned)cfg_int(c, CFG_KEY_store_commit_threads);
	o->cache_size = cfg_size(c, CFG_KEY_store_cache_size);
	o->direct_io = cfg_bool(c, CFG_KEY_store_direct_io);
}

bool store_name_is_valid(const char *s)
{
	return s && strnlen(s, STORE_NAME_MAX + 1) <= STORE_NAME_MAX;
}

bool store_oid_is_valid(const struct store_oid *oid)
{
	return oid && store_name_is_valid(oid->name) &&
	       (!oid->nspace || store_name_is_valid(oid->nspace));
}

int store_oid_cmp(const struct store_oid *a, const struct store_oid *b)
{
	int c = strcmp(a->nspace ? a->nspace : "", b->nspace ? b->nspace : "");

	if (c == 0)
		c = strcmp(a->name, b->name);
	if (c == 0 && a->snap != b->snap)
		c = a->snap < b->snap ? -1 : 1;
	return c;
}

int store_oid_own_set(struct store_oid_own *o, const struct store_oid *src)
{
	char *ns = mem_strdup(src->nspace ? src->nspace : "");
	char *name = mem_strdup(src->name);

	if (!ns || !name) {
		mem_free(ns);
		mem_free(name);
		return -ENOMEM;
	}
	store_oid_own_clear(o);
	o->nspace = ns;
	o->name = name;
	o->snap = src->snap;
	return 0;
}

void store_oid_own_clear(struct store_oid_own *o)
{
	mem_free(o->nspace);
	mem_free(o->name);
	o->nspace = o->name = NULL;
}

void store_oid_encode_key(struct enc *e, const struct store_oid *oid)
{
	const char *ns = oid->nspace ? oid->nspace : "";
	uint8_t be[8];

	enc_raw(e, ns, strlen(ns) + 1);
	enc_raw(e, oid->name, strlen(oid->name) + 1);
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(oid->snap >> (56 - 8 * i));
	enc_raw(e, be, 8);
}

/* Copies the NUL-terminated string at *p (bounded by end) into out. */
static int take_str(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
	size_t n;

	if (!z)
		return -EBADMSG;
	n = (size_t)(z - *p);
	if (n >= cap)
		return -EBADMSG;
	memcpy(out, *p, n);
	out[n] = 0;
	*p = z + 1;
	return 0;
}

int store_oid_decode_key(const void *key, size_t n, char *nspace, char *name, size_t cap,
                         uint64_t *snap)
{
	const uint8_t *p = key, *end = p + n;

	if (take_str(&p, end, nspace, cap) < 0 || take_str(&p, end, name, cap) < 0 || end - p != 8)
		return -EBADMSG;
	*snap = 0;
	for (int i = 0; i < 8; i++)
		*snap = *snap << 8 | p[i];
	return 0;
}

/* ---- dispatch ---- */

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

const char *store_kind(const struct store *st)
{
	return st->ops->kind;
}

bool store_is_failed(const struct store *st)
{
	return st->ops->is_failed(st);
}

int store_queue_transaction(struct store *st, struct store_txn *t, store_txn_fn *on_applied,
                            store_txn_fn *on_commit, void *arg)
{
	if (!t)
		return -EINVAL;
	return st->ops->queue(st, t, on_applied, on_commit, arg);
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool done;
	int status;
};

static void wait_commit(int status, void *arg)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	w->status = status;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->lock);
}

int store_apply_transaction(struct store *st, struct store_txn *t)
{
	struct waiter w = { .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	int rc = store_queue_transaction(st, t, NULL, wait_commit, &w);

	if (rc < 0) {
		store_txn_destroy(t); /* refused before queueing: still ours */
		return rc;
	}
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.lock);
	return w.status;
}

static bool args_ok(const char *cid, const struct store_oid *oid)
{
	return store_name_is_valid(cid) && store_oid_is_valid(oid);
}

ssize_t store_read(struct store *st, const char *cid, const struct store_oid *oid, uint64_t off,
                   uint64_t len, struct buf **out)
{
	if (!args_ok(cid, oid) || !out)
		return -EINVAL;
	return st->ops->read(st, cid, oid, off, len, out);
}

int store_stat(struct store *st, const char *cid, const struct store_oid *oid,
               struct store_stat *out)
{
	return args_ok(cid, oid) ? st->ops->stat(st, cid, oid, out) : -EINVAL;
}

struct one_val {
	void *val;
	size_t len;
	bool found;
	int err;
};

static int take_one(const char *key, const void *val, size_t len, void *arg)
{
	struct one_val *o = arg;

	(void)key;
	o->found = true;
	o->val = mem_malloc(len ? len : 1);
	if (!o->val) {
		o->err = -ENOMEM;
		return 1;
	}
	memcpy(o->val, val, len);
	o->len = len;
	return 1;
}

static int one_result(int rc, struct one_val *o, void **val, size_t *len)
{
	if (rc < 0)
		return rc;
	if (o->err)
		return o->err;
	if (!o->found)
		return -ENODATA;
	*val = o->val;
	*len = o->len;
	return 0;
}

int store_getattr(struct store *st, const char *cid, const struct store_oid *oid, const char *name,
                  void **val, size_t *len)
{
	struct one_val o = { 0 };

	if (!args_ok(cid, oid) || !store_name_is_valid(name))
		return -EINVAL;
	return one_result(st->ops->getattrs(st, cid, oid, name, take_one, &o), &o, val, len);
}

int store_getattrs(struct store *st, const char *cid, const struct store_oid *oid, store_kv_fn *fn,
                   void *arg)
{
	return args_ok(cid, oid) ? st->ops->getattrs(st, cid, oid, NULL, fn, arg) : -EINVAL;
}

int store_omap_get(struct store *st, const char *cid, const struct store_oid *oid, const char *key,
                   void **val, size_t *len)
{
	struct one_val o = { 0 };

	if (!args_ok(cid, oid) || !store_name_is_valid(key))
		return -EINVAL;
	return one_result(st->ops->omap_iterate(st, cid, oid, key, true, 1, take_one, &o), &o, val,
	                  len);
}

int store_omap_iterate(struct store *st, const char *cid, const struct store_oid *oid,
                       const char *start, unsigned max, store_kv_fn *fn, void *arg)
{
	if (!args_ok(cid, oid) || (start && !store_name_is_valid(start)))
		return -EINVAL;
	return st->ops->omap_iterate(st, cid, oid, start, false, max, fn, arg);
}

int store_list(struct store *st, const char *cid, const struct store_oid *after, unsigned max,
               store_list_fn *fn, void *arg)
{
	if (!store_name_is_valid(cid) || (after && !store_oid_is_valid(after)))
		return -EINVAL;
	return st->ops->list(st, cid, after, max, fn, arg);
}

int store_list_colls(struct store *st, store_coll_fn *fn, void *arg)
{
	return st->ops->list_colls(st, fn, arg);
}

static int stop_at_first(const struct store_oid *oid, void *arg)
{
	(void)oid;
	(void)arg;
	return 1;
}

bool store_coll_exists(struct store *st, const char *cid)
{
	return store_name_is_valid(cid) &&
	       st->ops->list(st, cid, NULL, 1, stop_at_first, NULL) >= 0;
}

int store_scrub_object(struct store *st, const char *cid, const struct store_oid *oid,
                       uint32_t *digest)
{
	return args_ok(cid, oid) ? st->ops->scrub(st, cid, oid, digest) : -EINVAL;
}

int store_fsck(struct store *st, unsigned flags, store_fsck_fn *fn, void *arg)
{
	return st->ops->fsck(st, flags, fn, arg);
}

int store_statfs(struct store *st, struct store_statfs *out)
{
	return st->ops->statfs(st, out);
}
