/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/util.c - temporary stores and small helpers. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "util.h"

void tstore_opts(struct store_opts *o)
{
	store_opts_default(o);
	o->data_size = 128ull << 20;
	o->cache_size = 8ull << 20;
}

static void must(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", what, strerror(-rc));
		abort();
	}
}

void tstore_open(struct tstore *t, bool persistent)
{
	struct store_opts o;

	memset(t, 0, sizeof(*t));
	t->persistent = persistent;
	if (!persistent) {
		must(store_mem_create(&t->st), "memstore");
		return;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/sepia-store-XXXXXX");
	if (!mkdtemp(t->dir))
		abort();
	tstore_opts(&o);
	must(store_bs_mkfs(t->dir, &o), "mkfs");
	must(store_bs_open(t->dir, &o, &t->st), "open");
}

void tstore_reopen(struct tstore *t)
{
	struct store_opts o;

	if (!t->persistent)
		return;
	store_close(t->st);
	tstore_opts(&o);
	must(store_bs_open(t->dir, &o, &t->st), "reopen");
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tstore_close(struct tstore *t, bool remove_dir)
{
	store_close(t->st);
	t->st = NULL;
	if (t->persistent && remove_dir)
		rm_rf(t->dir);
}

struct store_oid toid(const char *name)
{
	struct store_oid o = { .nspace = "", .name = name, .snap = STORE_SNAP_HEAD };

	return o;
}

ssize_t tread(struct store *st, const char *cid, const char *name, uint8_t **out)
{
	struct store_oid o = toid(name);
	struct buf *b = NULL;
	ssize_t n = store_read(st, cid, &o, 0, 0, &b);

	if (n < 0)
		return n;
	*out = malloc((size_t)n + 1);
	buf_copy_out(b, 0, (size_t)n, *out);
	buf_put(b);
	return n;
}

struct twait {
	pthread_mutex_t lock; /* "lock": done, status */
	pthread_cond_t cv;
	bool done;
	int status;
};

static void twait_commit(int status, void *arg)
{
	struct twait *w = arg;

	pthread_mutex_lock(&w->lock);
	w->status = status;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->lock);
}

/* A failed queue leaves t with us; once queued the store owns it, even when
 * the commit then fails (-EIO: a data write or sync failed). */
int twrite(struct store *st, const char *cid, const char *name, uint64_t off, const void *p,
           size_t n)
{
	struct twait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };
	struct store_oid o = toid(name);
	struct store_txn *t;
	struct buf *b;
	int rc;

	store_txn_create(&t);
	buf_create(&b);
	buf_append(b, p, n);
	store_txn_write(t, cid, &o, off, b);
	buf_put(b);
	rc = store_queue_transaction(st, t, NULL, twait_commit, &w);
	if (rc < 0) {
		store_txn_destroy(t);
		return rc;
	}
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.lock);
	pthread_mutex_unlock(&w.lock);
	return w.status;
}
