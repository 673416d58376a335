/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_alloc.c - the block allocator and the persistent freelist.
 *
 * DESIGN
 * Two bitmaps over the data file's blocks (1 = used):
 *   fl  the freelist as the database holds it once every prepared
 *       transaction is written: set when a transaction allocates, cleared
 *       when it frees; dirty chunks ride in that transaction's batch.
 *   av  what the allocator may hand out: set on allocation, cleared only
 *       after the freeing transaction committed and no reader or deferred
 *       write can still touch the blocks (bs_commit.c).
 * Invariants: av ⊇ fl (a block free in av is free in fl); block 0 is always
 * used (reserved); `used` counts set bits of av.
 * Next-fit from `cursor`, preferring one contiguous run. Callers serialize
 * (BlockStore txn_lock for get/unget/mark, commit worker + txn_lock for
 * release: see README.md). */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "store/bs_int.h"

static bool bit(const uint64_t *m, uint64_t i)
{
	return m[i / 64] >> (i % 64) & 1;
}

static void set_range(uint64_t *m, uint64_t s, uint64_t n, bool v)
{
	for (uint64_t i = s; i < s + n; i++) {
		if (v)
			m[i / 64] |= 1ull << (i % 64);
		else
			m[i / 64] &= ~(1ull << (i % 64));
	}
}

int store_bs_alloc_init(struct bs_alloc *a, uint64_t nblocks)
{
	uint64_t words = (nblocks + 63) / 64;
	uint64_t chunks = (nblocks + BS_CHUNK_BLOCKS - 1) / BS_CHUNK_BLOCKS;

	memset(a, 0, sizeof(*a));
	a->nblocks = nblocks;
	a->fl = mem_calloc(words, 8);
	a->av = mem_calloc(words, 8);
	a->dirty = mem_calloc((chunks + 63) / 64, 8);
	if (!a->fl || !a->av || !a->dirty) {
		store_bs_alloc_fini(a);
		return -ENOMEM;
	}
	/* bits past the end count as used so that no search returns them */
	for (uint64_t i = nblocks; i < words * 64; i++)
		a->fl[i / 64] |= 1ull << (i % 64), a->av[i / 64] |= 1ull << (i % 64);
	set_range(a->fl, 0, 1, true);
	set_range(a->av, 0, 1, true);
	set_range(a->dirty, 0, chunks, true);
	a->used = 1;
	a->cursor = 1;
	return 0;
}

void store_bs_alloc_fini(struct bs_alloc *a)
{
	mem_free(a->fl);
	mem_free(a->av);
	mem_free(a->dirty);
	memset(a, 0, sizeof(*a));
}

/* First free block of av at or after i, or nblocks. */
static uint64_t next_free(const struct bs_alloc *a, uint64_t i)
{
	while (i < a->nblocks) {
		if (i % 64 == 0 && a->av[i / 64] == UINT64_MAX) {
			i += 64;
			continue;
		}
		if (!bit(a->av, i))
			return i;
		i++;
	}
	return a->nblocks;
}

static uint64_t run_len(const struct bs_alloc *a, uint64_t i, uint64_t want)
{
	uint64_t n = 0;

	while (i + n < a->nblocks && n < want && !bit(a->av, i + n))
		n++;
	return n;
}

int store_bs_alloc_get(struct bs_alloc *a, uint64_t want, uint64_t *pblk, uint64_t *got)
{
	uint64_t best = 0, best_n = 0, i = a->cursor, scanned = 0;

	if (a->used >= a->nblocks)
		return -ENOSPC;
	while (scanned < a->nblocks && best_n < want) {
		uint64_t s = next_free(a, i), n;

		if (s >= a->nblocks) {
			scanned += a->nblocks - i;
			i = 1;
			continue;
		}
		n = run_len(a, s, want);
		if (n > best_n)
			best = s, best_n = n;
		scanned += s + n - i + 1;
		i = s + n;
	}
	if (best_n == 0)
		return -ENOSPC;
	set_range(a->av, best, best_n, true);
	a->used += best_n;
	a->cursor = best + best_n < a->nblocks ? best + best_n : 1;
	*pblk = best;
	*got = best_n;
	return 0;
}

void store_bs_alloc_unget(struct bs_alloc *a, uint64_t pblk, uint64_t n)
{
	set_range(a->av, pblk, n, false);
	a->used -= n;
}

void store_bs_alloc_mark(struct bs_alloc *a, uint64_t pblk, uint64_t n, bool used)
{
	set_range(a->fl, pblk, n, used);
	for (uint64_t c = pblk / BS_CHUNK_BLOCKS; c <= (pblk + n - 1) / BS_CHUNK_BLOCKS; c++)
		a->dirty[c / 64] |= 1ull << (c % 64);
}

void store_bs_alloc_release(struct bs_alloc *a, uint64_t pblk, uint64_t n)
{
	set_range(a->av, pblk, n, false);
	a->used -= n;
}

bool store_bs_alloc_is_used(const struct bs_alloc *a, uint64_t pblk)
{
	return pblk >= a->nblocks || bit(a->fl, pblk);
}

int store_bs_alloc_flush(struct bs_alloc *a, rocksdb_writebatch_t *wb)
{
	uint64_t chunks = (a->nblocks + BS_CHUNK_BLOCKS - 1) / BS_CHUNK_BLOCKS;
	struct enc e;
	uint8_t key[9] = { BS_K_FREE };

	for (uint64_t c = 0; c < chunks; c++) {
		uint64_t first = c * BS_CHUNK_BLOCKS;
		uint64_t nb =
		    a->nblocks - first < BS_CHUNK_BLOCKS ? a->nblocks - first : BS_CHUNK_BLOCKS;

		if (!bit(a->dirty, c))
			continue;
		enc_init(&e);
		store_bs_free_encode(&e, c, a->fl + first / 64, (uint32_t)nb);
		if (enc_error(&e)) {
			enc_fini(&e);
			return -ENOMEM;
		}
		for (int i = 0; i < 8; i++)
			key[1 + i] = (uint8_t)(c >> (56 - 8 * i));
		rocksdb_writebatch_put(wb, (const char *)key, 9, (const char *)e.data, e.len);
		enc_fini(&e);
		a->dirty[c / 64] &= ~(1ull << (c % 64));
	}
	return 0;
}

int store_bs_alloc_load_chunk(struct bs_alloc *a, const void *p, size_t n)
{
	uint64_t bits[BS_CHUNK_BLOCKS / 64], c, first;
	uint32_t nb;
	int rc = store_bs_free_decode(p, n, &c, bits, &nb);

	if (rc < 0)
		return rc;
	first = c * BS_CHUNK_BLOCKS;
	if (first >= a->nblocks ||
	    nb != (a->nblocks - first < BS_CHUNK_BLOCKS ? a->nblocks - first : BS_CHUNK_BLOCKS))
		return -EBADMSG;
	for (uint32_t i = 0; i < nb; i++) {
		bool u = bits[i / 64] >> (i % 64) & 1;

		if (u != bit(a->av, first + i))
			a->used += u ? 1 : (uint64_t)-1;
		set_range(a->fl, first + i, 1, u);
		set_range(a->av, first + i, 1, u);
	}
	a->dirty[c / 64] &= ~(1ull << (c % 64));
	return 0;
}
