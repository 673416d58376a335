/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_data.c - BlockStore object data: checksummed block reads (data
 * file, overlay of deferred blocks, the preparing transaction's own deferred
 * blocks), writes to new extents or deferred in-place overwrites, zero,
 * truncate, copy, and the read/scrub entry points.
 *
 * Invariants (see README.md): every mapped block has a crc32c(-1) in its
 * extent and the bytes stored for it match that crc once the transaction
 * that set it is visible; bytes of the last block past the object size are
 * zero; a block is written in place only as a deferred write whose record
 * is in the database first. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/log.h"
#include "common/mem.h"
#include "store/bs_int.h"

static uint32_t blk_crc(const void *p, uint32_t bsize)
{
	return crc_crc32c(UINT32_MAX, p, bsize);
}

/* The preparing transaction's own deferred copy of pblk, if any. */
static struct bs_dblk *tc_def(struct bs_tctx *tc, uint64_t pblk)
{
	if (!tc)
		return NULL;
	for (size_t i = 0; i < tc->p->def.n; i++)
		if (tc->p->def.v[i].pblk == pblk)
			return &tc->p->def.v[i];
	return NULL;
}

/* Fills one block from the transaction or the overlay; false if neither. */
static bool from_memory(struct blockstore *bs, struct bs_tctx *tc, uint64_t pblk, uint64_t seq,
                        uint8_t *out)
{
	struct bs_dblk *d = tc_def(tc, pblk);

	if (d) {
		memcpy(out, d->data, bs->bsize);
		return true;
	}
	return atomic_load(&bs->novl) && store_bs_ovl_lookup(bs, pblk, seq, out);
}

/* Reads run blocks of extent x starting at its block k into out. Blocks in
 * memory are taken first: a deferred block leaves the overlay only after it
 * reached the file, so one absent there is safe to read from the file. */
static int read_run(struct blockstore *bs, struct bs_tctx *tc, const struct bs_onode *on,
                    const struct bs_ext *x, uint32_t k, uint32_t run, uint8_t *out)
{
	bool any = false;
	int rc = 0;

	if (atomic_load(&bs->novl) || (tc && tc->p->def.n))
		for (uint32_t i = 0; i < run && !any; i++)
			any =
			    tc_def(tc, x->pblk + k + i) ||
			    store_bs_ovl_lookup(bs, x->pblk + k + i, on->seq, out + i * bs->bsize);
	if (!any)
		rc =
		    store_bs_dio_pread(bs, out, (size_t)run * bs->bsize, (x->pblk + k) * bs->bsize);
	for (uint32_t i = 0; any && rc == 0 && i < run; i++)
		if (!from_memory(bs, tc, x->pblk + k + i, on->seq, out + i * bs->bsize))
			rc = store_file_pread(bs->file, out + i * bs->bsize, bs->bsize,
			                      (x->pblk + k + i) * bs->bsize);
	for (uint32_t i = 0; rc == 0 && i < run; i++) {
		if (blk_crc(out + (size_t)i * bs->bsize, bs->bsize) != x->crc[k + i]) {
			log_err(store,
			        "blockstore %s: crc mismatch at block %llu (object block %llu)",
			        bs->path, (unsigned long long)(x->pblk + k + i),
			        (unsigned long long)(x->lblk + k + i));
			rc = -EIO;
		}
	}
	return rc;
}

int store_bs_read_blocks(struct blockstore *bs, struct bs_tctx *tc, const struct bs_onode *on,
                         uint64_t lb, uint64_t n, uint8_t *out)
{
	uint64_t i = 0;

	if (tc) /* a pending onode may map blocks still being written */
		store_bs_dio_wait_all(bs);
	while (i < n) {
		const struct bs_ext *x = store_bs_extmap_find(&on->em, lb + i);
		uint32_t k, run;
		int rc;

		if (!x) {
			memset(out + i * bs->bsize, 0, bs->bsize);
			i++;
			continue;
		}
		k = (uint32_t)(lb + i - x->lblk);
		run = x->nblk - k < n - i ? x->nblk - k : (uint32_t)(n - i);
		rc = read_run(bs, tc, on, x, k, run, out + i * bs->bsize);
		if (rc < 0)
			return rc;
		i += run;
	}
	return 0;
}

static int def_put(struct bs_tctx *tc, uint64_t pblk, const uint8_t *data)
{
	struct bs_deferred *d = &tc->p->def;
	struct bs_dblk *b = tc_def(tc, pblk);
	uint32_t bsize = tc->bs->bsize;

	if (!b) {
		if (mem_grow(&d->v, sizeof(*d->v), &d->cap, d->n + 1) < 0)
			return -ENOMEM;
		b = &d->v[d->n];
		b->pblk = pblk;
		b->data = mem_malloc(bsize);
		if (!b->data)
			return -ENOMEM;
		d->n++;
	}
	memcpy(b->data, data, bsize);
	return 0;
}

static bool all_mapped(const struct bs_onode *on, uint64_t b0, uint64_t nb)
{
	for (uint64_t i = 0; i < nb;) {
		const struct bs_ext *x = store_bs_extmap_find(&on->em, b0 + i);

		if (!x)
			return false;
		i += x->lblk + x->nblk - (b0 + i);
	}
	return true;
}

static int write_deferred(struct bs_tctx *tc, struct bs_onode *on, uint64_t b0, uint64_t nb,
                          const uint8_t *buf)
{
	uint32_t bsize = tc->bs->bsize;

	for (uint64_t i = 0; i < nb; i++) {
		struct bs_ext *x = store_bs_extmap_find(&on->em, b0 + i);
		uint64_t k = b0 + i - x->lblk;
		int rc = def_put(tc, x->pblk + k, buf + i * bsize);

		if (rc < 0)
			return rc;
		x->crc[k] = blk_crc(buf + i * bsize, bsize);
	}
	store_bs_extmap_dirty(&on->em, b0, nb);
	return 0;
}

static int punch_cb(uint64_t pblk, uint64_t n, void *arg)
{
	return store_bs_tctx_release(arg, pblk, n);
}

static int alloc_piece(struct bs_tctx *tc, uint64_t want, uint64_t *pblk, uint64_t *got)
{
	struct blockstore *bs = tc->bs;
	int rc;

	if (mem_grow(&tc->alloc, 2 * sizeof(uint64_t), &tc->calloc, tc->nalloc + 1) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&bs->alloc_lock);
	rc = store_bs_alloc_get(&bs->alloc, want, pblk, got);
	pthread_mutex_unlock(&bs->alloc_lock);
	if (rc < 0)
		return rc;
	tc->alloc[2 * tc->nalloc] = *pblk;
	tc->alloc[2 * tc->nalloc + 1] = *got;
	tc->nalloc++;
	store_bs_alloc_mark(&bs->alloc, *pblk, *got, true);
	return 0;
}

static int add_piece(struct bs_dio_piece **v, size_t *n, size_t *cap, size_t boff, uint64_t pblk,
                     uint64_t nblk)
{
	if (mem_grow(v, sizeof(**v), cap, *n + 1) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = (struct bs_dio_piece){ boff, pblk, nblk };
	return 0;
}

/* Maps nb blocks of *buf to new extents. A small write (defer) puts the
 * blocks into the transaction's deferred record, so that its group needs
 * no data-file write or sync (the deferred flush writes them in place);
 * otherwise the buffer goes to the data writers (bs_dio.c; *buf is then
 * NULL): one write per contiguous piece. */
static int write_new(struct bs_tctx *tc, struct bs_onode *on, uint64_t b0, uint64_t nb,
                     uint8_t **buf, bool defer)
{
	struct blockstore *bs = tc->bs;
	struct bs_dio_piece *v = NULL;
	size_t nv = 0, cv = 0;
	uint64_t pblk, got = 0;
	int rc = store_bs_extmap_punch(&on->em, b0, nb, punch_cb, tc);

	if (!defer)
		tc->p->data_io = true;
	for (uint64_t done = 0; rc == 0 && done < nb; done += got) {
		uint32_t *crc;

		rc = alloc_piece(tc, nb - done < UINT32_MAX ? nb - done : UINT32_MAX, &pblk, &got);
		if (rc == 0 && !defer)
			rc = add_piece(&v, &nv, &cv, done * bs->bsize, pblk, got);
		for (uint64_t i = 0; rc == 0 && defer && i < got; i++)
			rc = def_put(tc, pblk + i, *buf + (done + i) * bs->bsize);
		crc = rc == 0 ? mem_malloc(got * sizeof(*crc)) : NULL;
		if (rc == 0 && !crc)
			rc = -ENOMEM;
		for (uint64_t i = 0; rc == 0 && i < got; i++)
			crc[i] = blk_crc(*buf + (done + i) * bs->bsize, bs->bsize);
		if (rc == 0 &&
		    (rc = store_bs_extmap_insert(&on->em, b0 + done, pblk, (uint32_t)got, crc)) < 0)
			mem_free(crc);
	}
	if (rc < 0 || defer) {
		mem_free(v);
		return rc;
	}
	rc = store_bs_dio_submit(bs, tc->p, *buf, v, nv);
	*buf = NULL;
	return rc;
}

int store_bs_obj_write(struct bs_tctx *tc, struct bs_onode *on, uint64_t off, uint64_t len,
                       const struct buf *data, size_t boff, const void *raw)
{
	struct blockstore *bs = tc->bs;
	uint64_t b0 = off / bs->bsize, b1 = (off + len + bs->bsize - 1) / bs->bsize;
	uint64_t nb = b1 - b0, head = off % bs->bsize;
	uint8_t *buf;
	bool small;
	int rc = 0;

	if (len == 0)
		goto out_size;
	buf = store_file_buf_get(bs->file, nb * bs->bsize); /* direct I/O writes from it */
	if (!buf)
		return -ENOMEM;
	if (head)
		rc = store_bs_read_blocks(bs, tc, on, b0, 1, buf);
	if (rc == 0 && (off + len) % bs->bsize && (nb > 1 || !head))
		rc = store_bs_read_blocks(bs, tc, on, b1 - 1, 1, buf + (nb - 1) * bs->bsize);
	if (rc == 0 && data)
		rc = buf_copy_out(data, boff, len, buf + head);
	else if (rc == 0 && raw)
		memcpy(buf + head, raw, len);
	else if (rc == 0)
		memset(buf + head, 0, len);
	small = nb * bs->bsize <= bs->opts.deferred_max;
	if (rc == 0 && small && all_mapped(on, b0, nb))
		rc = write_deferred(tc, on, b0, nb, buf);
	else if (rc == 0)
		rc = write_new(tc, on, b0, nb, &buf, small);
	store_file_buf_put(bs->file, buf);
	if (rc < 0)
		return rc;
out_size:
	if (off + len > on->size)
		on->size = off + len;
	on->seq = tc->seq;
	return 0;
}

/* Zeros a partial block range, skipping holes (they read as zeros). */
static int zero_partial(struct bs_tctx *tc, struct bs_onode *on, uint64_t off, uint64_t len)
{
	uint64_t size = on->size;
	int rc;

	if (len == 0 || !store_bs_extmap_find(&on->em, off / tc->bs->bsize))
		return 0;
	rc = store_bs_obj_write(tc, on, off, len, NULL, 0, NULL);
	on->size = size;
	return rc;
}

int store_bs_obj_zero(struct bs_tctx *tc, struct bs_onode *on, uint64_t off, uint64_t len)
{
	uint32_t bsize = tc->bs->bsize;
	uint64_t end = off + len, first = (off + bsize - 1) / bsize, last = end / bsize;
	int rc;

	if (first < last) {
		rc = store_bs_extmap_punch(&on->em, first, last - first, punch_cb, tc);
		if (rc == 0)
			rc = zero_partial(tc, on, off, first * bsize - off);
		if (rc == 0)
			rc = zero_partial(tc, on, last * bsize, end - last * bsize);
	} else {
		rc = zero_partial(tc, on, off, len);
	}
	if (rc < 0)
		return rc;
	if (end > on->size)
		on->size = end;
	on->seq = tc->seq;
	return 0;
}

int store_bs_obj_truncate(struct bs_tctx *tc, struct bs_onode *on, uint64_t size)
{
	uint32_t bsize = tc->bs->bsize;
	uint64_t keep = (size + bsize - 1) / bsize;
	int rc = 0;

	if (size < on->size) {
		rc = store_bs_extmap_punch(&on->em, keep, UINT64_MAX / 2 - keep, punch_cb, tc);
		if (rc == 0 && size % bsize)
			rc = zero_partial(tc, on, size, keep * bsize - size);
	}
	if (rc < 0)
		return rc;
	on->size = size;
	on->seq = tc->seq;
	return 0;
}

int store_bs_obj_copy(struct bs_tctx *tc, const struct bs_onode *src, struct bs_onode *dst,
                      uint64_t soff, uint64_t len, uint64_t doff)
{
	struct blockstore *bs = tc->bs;
	uint64_t b0 = soff / bs->bsize, b1 = (soff + len + bs->bsize - 1) / bs->bsize;
	uint8_t *buf;
	int rc;

	if (len == 0)
		return store_bs_obj_write(tc, dst, doff, 0, NULL, 0, NULL);
	buf = store_file_buf_get(bs->file, (b1 - b0) * bs->bsize);
	if (!buf)
		return -ENOMEM;
	rc = store_bs_read_blocks(bs, tc, src, b0, b1 - b0, buf);
	/* bytes past the source's end read as zeros (holes, zeroed tail) */
	if (rc == 0)
		rc = store_bs_obj_write(tc, dst, doff, len, NULL, 0, buf + soff % bs->bsize);
	store_file_buf_put(bs->file, buf);
	return rc;
}

int store_bs_obj_release_all(struct bs_tctx *tc, struct bs_onode *on)
{
	return store_bs_extmap_punch(&on->em, 0, UINT64_MAX / 2, punch_cb, tc);
}

/* ---- reads (visible state) ---- */

static int load_for_read(struct blockstore *bs, const char *cid, const struct store_oid *oid,
                         struct bs_onode *on)
{
	struct enc e;
	int rc;

	enc_init(&e);
	store_bs_onode_key(&e, cid, oid);
	rc = enc_error(&e) ? -ENOMEM
	                   : store_bs_onode_load(bs, (const char *)e.data, e.len, true, on);
	enc_fini(&e);
	return rc;
}

static void aligned_free(void *data, size_t len, void *arg)
{
	(void)len, (void)arg;
	store_file_buf_free(data);
}

/* Appends n bytes of memory aligned for direct reads to b. */
static int append_aligned(struct buf *b, size_t n, void **p)
{
	void *m = store_file_buf_alloc(n);

	if (!m)
		return -ENOMEM;
	if (buf_append_ext(b, m, n, aligned_free, NULL) < 0) {
		store_file_buf_free(m);
		return -ENOMEM;
	}
	*p = m;
	return 0;
}

ssize_t store_bs_read(struct store *st, const char *cid, const struct store_oid *oid, uint64_t off,
                      uint64_t len, struct buf **out)
{
	struct blockstore *bs = (struct blockstore *)st;
	struct bs_onode on;
	struct buf *b = NULL, *s = NULL;
	uint64_t b0, nb;
	void *p;
	int rc;

	pthread_rwlock_rdlock(&bs->read_lock);
	rc = load_for_read(bs, cid, oid, &on);
	if (rc < 0)
		goto out_unlock;
	if (off >= on.size)
		len = 0;
	else if (len == 0 || off + len > on.size || off + len < off)
		len = on.size - off;
	b0 = off / bs->bsize;
	nb = len ? (off + len + bs->bsize - 1) / bs->bsize - b0 : 0;
	rc = buf_create(&b);
	if (rc == 0 && nb)
		rc = append_aligned(b, nb * bs->bsize, &p);
	if (rc == 0 && nb)
		rc = store_bs_read_blocks(bs, NULL, &on, b0, nb, p);
	if (rc == 0)
		rc = buf_slice(b, nb ? off - b0 * bs->bsize : 0, len, &s);
	store_bs_onode_fini(&on);
out_unlock:
	pthread_rwlock_unlock(&bs->read_lock);
	buf_put(b);
	if (rc < 0)
		return rc;
	*out = s;
	return (ssize_t)len;
}

int store_bs_scrub(struct store *st, const char *cid, const struct store_oid *oid, uint32_t *digest)
{
	struct buf *b = NULL;
	ssize_t n = store_bs_read(st, cid, oid, 0, 0, &b);

	if (n < 0) {
		if (n == -EIO)
			log_err(store, "blockstore: deep scrub of %s/%s: checksum mismatch", cid,
			        oid->name);
		return (int)n;
	}
	*digest = buf_crc32c(b, 0, (size_t)n, UINT32_MAX);
	buf_put(b);
	return 0;
}
