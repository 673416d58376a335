/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_dio.c - BlockStore data-file I/O on a small pool (`bs-data`
 * wq): new-extent writes in flight (a prepared transaction hands each
 * object write's aligned buffer to the pool and returns, so several large
 * writes reach the device at once while the caller prepares the next
 * transaction), large reads split into pieces read in parallel, and the
 * deferred flush's in-place block writes in parallel slices.
 *
 * Invariants: a transaction's onodes become visible only after its data
 * writes finished and the data file was synced (the commit worker waits in
 * store_bs_dio_wait before its data sync); a prepare that reads blocks of
 * the file waits for every write in flight first (a pending onode may point
 * at blocks still being written); blocks written here are never freed and
 * reused before the write finished (release needs the writing transaction
 * committed, and a failed prepare waits before giving its blocks back).
 *
 * Threads: submit and waits on any thread; the writes and their completion
 * on `bs-data` workers. `dio_lock` (a leaf) guards dio_inflight and every
 * ptx's ndio/dio_err. */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "common/wq.h"
#include "store/bs_int.h"

struct dio_job {
	struct blockstore *bs;
	struct bs_ptx *p;
	uint8_t *buf; /* store_file_buf_get; owned */
	struct bs_dio_piece *v;
	size_t n;
};

int store_bs_dio_init(struct blockstore *bs)
{
	int rc;

	pthread_mutex_init(&bs->dio_lock, NULL);
	pthread_cond_init(&bs->dio_cv, NULL);
	bs->dio_ready = true;
	if (bs->opts.read_only)
		return 0;
	rc = wq_create("bs-dsync", 1, 2, NULL, &bs->swq);
	if (rc == 0)
		rc = wq_create("bs-dflush", 1, 2, NULL, &bs->fwq);
	if (rc < 0)
		return rc;
	return wq_create("bs-data", BS_DIO_THREADS, BS_DIO_MAX, NULL, &bs->dwq);
}

void store_bs_dio_fini(struct blockstore *bs)
{
	if (!bs->dio_ready)
		return;
	wq_destroy(bs->swq); /* idle: the commit worker waited for its last job */
	bs->swq = NULL;
	wq_destroy(bs->fwq); /* idle: close waited for the last flush */
	bs->fwq = NULL;
	wq_destroy(bs->dwq); /* cancelled jobs still complete (-ECANCELED) */
	bs->dwq = NULL;
	pthread_mutex_destroy(&bs->dio_lock);
	pthread_cond_destroy(&bs->dio_cv);
	bs->dio_ready = false;
}

static int dio_run(void *arg)
{
	struct dio_job *j = arg;
	struct blockstore *bs = j->bs;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < j->n; i++)
		rc = store_file_pwrite(bs->file, j->buf + j->v[i].boff, j->v[i].nblk * bs->bsize,
		                       j->v[i].pblk * bs->bsize);
	return rc;
}

static void dio_done(int status, void *arg)
{
	struct dio_job *j = arg;
	struct blockstore *bs = j->bs;

	pthread_mutex_lock(&bs->dio_lock);
	if (status < 0 && j->p->dio_err == 0)
		j->p->dio_err = status;
	j->p->ndio--;
	bs->dio_inflight--;
	pthread_cond_broadcast(&bs->dio_cv);
	pthread_mutex_unlock(&bs->dio_lock);
	store_file_buf_put(bs->file, j->buf);
	mem_free(j->v);
	mem_free(j);
}

/* Takes ownership of buf and v (also on failure); the writes complete
 * later (store_bs_dio_wait). 0, or -errno when nothing was written. */
int store_bs_dio_submit(struct blockstore *bs, struct bs_ptx *p, uint8_t *buf,
                        struct bs_dio_piece *v, size_t n)
{
	struct dio_job *j = mem_malloc(sizeof(*j));
	int rc;

	if (!j) {
		store_file_buf_put(bs->file, buf);
		mem_free(v);
		return -ENOMEM;
	}
	*j = (struct dio_job){ bs, p, buf, v, n };
	pthread_mutex_lock(&bs->dio_lock);
	while (bs->dio_inflight >= BS_DIO_MAX)
		pthread_cond_wait(&bs->dio_cv, &bs->dio_lock);
	bs->dio_inflight++;
	p->ndio++;
	pthread_mutex_unlock(&bs->dio_lock);
	rc = bs->dwq ? wq_submit(bs->dwq, dio_run, dio_done, j) : -ESHUTDOWN;
	if (rc < 0) /* pool full (reads share it) or stopping: write it here */
		dio_done(dio_run(j), j);
	return 0;
}

/* Waits for p's writes; 0 or the first write error. */
int store_bs_dio_wait(struct blockstore *bs, struct bs_ptx *p)
{
	int rc;

	pthread_mutex_lock(&bs->dio_lock);
	while (p->ndio > 0)
		pthread_cond_wait(&bs->dio_cv, &bs->dio_lock);
	rc = p->dio_err;
	pthread_mutex_unlock(&bs->dio_lock);
	return rc;
}

void store_bs_dio_wait_all(struct blockstore *bs)
{
	pthread_mutex_lock(&bs->dio_lock);
	while (bs->dio_inflight > 0)
		pthread_cond_wait(&bs->dio_cv, &bs->dio_lock);
	pthread_mutex_unlock(&bs->dio_lock);
}

/* ---- large reads: pieces read in parallel ---- */

struct rd_set {
	pthread_mutex_t lock; /* "lock": left, rc */
	pthread_cond_t cv;
	unsigned left;
	int rc;
};

struct rd_piece {
	struct rd_set *set;
	struct store_file *file;
	uint8_t *p;
	size_t n;
	uint64_t off;
};

static int rd_run(void *arg)
{
	struct rd_piece *r = arg;

	return store_file_pread(r->file, r->p, r->n, r->off);
}

static void rd_done(int status, void *arg)
{
	struct rd_piece *r = arg;
	struct rd_set *s = r->set;

	pthread_mutex_lock(&s->lock);
	if (status < 0 && s->rc == 0)
		s->rc = status;
	if (--s->left == 0)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->lock);
}

/* Waits for every piece of s; its first error or 0. */
static int set_wait(struct rd_set *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->left > 0)
		pthread_cond_wait(&s->cv, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cv);
	return s->rc;
}

/* Reads n bytes at off into p, pieces of BS_DIO_READ_PIECE on the data
 * writers' pool (the caller reads the first itself): a direct read of
 * several MiB otherwise waits for the device one request at a time. */
int store_bs_dio_pread(struct blockstore *bs, uint8_t *p, size_t n, uint64_t off)
{
	struct rd_set s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	struct rd_piece v[BS_DIO_THREADS + 1];
	bool queued[BS_DIO_THREADS + 1];
	size_t k = n / BS_DIO_READ_PIECE, piece;
	unsigned i;

	if (k > BS_DIO_THREADS + 1)
		k = BS_DIO_THREADS + 1;
	if (k < 2 || !bs->dwq || n % bs->bsize)
		return store_file_pread(bs->file, p, n, off);
	piece = (n / k + bs->bsize - 1) / bs->bsize * bs->bsize;
	s.left = (unsigned)k;
	for (i = 0; i < k; i++) {
		size_t at = i * piece < n ? i * piece : n;
		size_t len = n - at < piece ? n - at : piece;

		v[i] = (struct rd_piece){ &s, bs->file, p + at, len, off + at };
		queued[i] = i > 0 && len > 0 && wq_submit(bs->dwq, rd_run, rd_done, &v[i]) == 0;
	}
	for (i = 0; i < k; i++)
		if (!queued[i]) /* the first piece, or the pool was full */
			rd_done(rd_run(&v[i]), &v[i]);
	return set_wait(&s);
}

/* ---- deferred blocks in place: slices written in parallel ---- */

struct wb_slice {
	struct rd_set *set;
	struct blockstore *bs;
	const struct bs_dblk *const *v;
	size_t n;
};

static int wb_run(void *arg)
{
	struct wb_slice *w = arg;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < w->n; i++)
		rc = store_file_pwrite(w->bs->file, w->v[i]->data, w->bs->bsize,
		                       w->v[i]->pblk * w->bs->bsize);
	return rc;
}

static void wb_done(int status, void *arg)
{
	struct wb_slice *w = arg;

	rd_done(status, &(struct rd_piece){ .set = w->set });
}

int store_bs_dio_write_blocks(struct blockstore *bs, const struct bs_dblk *const *v, size_t n)
{
	struct rd_set s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
	struct wb_slice w[BS_DIO_THREADS + 1];
	bool queued[BS_DIO_THREADS + 1];
	size_t k = bs->dwq && n >= 8 ? BS_DIO_THREADS + 1 : 1, per = (n + k - 1) / k;

	s.left = (unsigned)k;
	for (size_t i = 0; i < k; i++) {
		size_t at = i * per < n ? i * per : n;

		w[i] = (struct wb_slice){ &s, bs, v + at, n - at < per ? n - at : per };
		queued[i] = i > 0 && w[i].n && wq_submit(bs->dwq, wb_run, wb_done, &w[i]) == 0;
	}
	for (size_t i = 0; i < k; i++)
		if (!queued[i])
			wb_done(wb_run(&w[i]), &w[i]);
	return set_wait(&s);
}
