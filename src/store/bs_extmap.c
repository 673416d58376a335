/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_extmap.c - onodes and their extent maps: lookup, punching a hole
 * (splitting extents and reporting the released physical blocks),
 * inserting a new mapping, and which shards changed (the logical range
 * touched since the map was loaded). Pure data structure code: no I/O, no
 * locks. */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "store/bs_int.h"

void store_bs_onode_init(struct bs_onode *on)
{
	memset(on, 0, sizeof(*on));
	store_kvvec_init(&on->attrs);
}

void store_bs_extmap_fini(struct bs_extmap *em)
{
	for (size_t i = 0; i < em->n; i++)
		mem_free(em->v[i].crc);
	mem_free(em->v);
	memset(em, 0, sizeof(*em));
}

void store_bs_onode_fini(struct bs_onode *on)
{
	store_kvvec_fini(&on->attrs);
	store_bs_extmap_fini(&on->em);
}

static uint32_t *crc_dup(const uint32_t *c, uint32_t n)
{
	uint32_t *d = mem_malloc(n * sizeof(*d));

	if (d)
		memcpy(d, c, n * sizeof(*d));
	return d;
}

int store_bs_onode_copy(struct bs_onode *dst, const struct bs_onode *src)
{
	struct bs_onode t;

	store_bs_onode_init(&t);
	t.seq = src->seq;
	t.size = src->size;
	t.nid = src->nid;
	t.nshards = src->nshards;
	t.flags = src->flags;
	if (store_kvvec_copy(&t.attrs, &src->attrs) < 0)
		goto out_fail;
	t.em.v = mem_calloc(src->em.n ? src->em.n : 1, sizeof(*t.em.v));
	if (!t.em.v)
		goto out_fail;
	t.em.cap = src->em.n ? src->em.n : 1;
	for (size_t i = 0; i < src->em.n; i++, t.em.n++) {
		t.em.v[i] = src->em.v[i];
		t.em.v[i].crc = crc_dup(src->em.v[i].crc, src->em.v[i].nblk);
		if (!t.em.v[i].crc)
			goto out_fail;
	}
	*dst = t;
	return 0;
out_fail:
	store_bs_onode_fini(&t);
	return -ENOMEM;
}

size_t store_bs_extmap_lower(const struct bs_extmap *em, uint64_t lblk)
{
	size_t lo = 0, hi = em->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (em->v[mid].lblk + em->v[mid].nblk <= lblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct bs_ext *store_bs_extmap_find(const struct bs_extmap *em, uint64_t lblk)
{
	size_t i = store_bs_extmap_lower(em, lblk);

	return i < em->n && em->v[i].lblk <= lblk ? &em->v[i] : NULL;
}

static int ext_insert_at(struct bs_extmap *em, size_t i, const struct bs_ext *x)
{
	if (mem_grow(&em->v, sizeof(*em->v), &em->cap, em->n + 1) < 0)
		return -ENOMEM;
	memmove(&em->v[i + 1], &em->v[i], (em->n - i) * sizeof(*em->v));
	em->v[i] = *x;
	em->n++;
	return 0;
}

/* Keeps blocks [from, from+n) of x (relative) as a new extent value. */
static int ext_part(const struct bs_ext *x, uint32_t from, uint32_t n, struct bs_ext *out)
{
	out->lblk = x->lblk + from;
	out->pblk = x->pblk + from;
	out->nblk = n;
	out->crc = crc_dup(x->crc + from, n);
	return out->crc ? 0 : -ENOMEM;
}

/* Cuts [lb, e) out of extent i, which overlaps it. */
static int punch_one(struct bs_extmap *em, size_t i, uint64_t lb, uint64_t e, bs_release_fn *fn,
                     void *arg)
{
	struct bs_ext x = em->v[i], left = { 0 }, right = { 0 };
	uint64_t s = lb > x.lblk ? lb : x.lblk;
	uint64_t t = e < x.lblk + x.nblk ? e : x.lblk + x.nblk;
	int rc = 0;

	if (s > x.lblk)
		rc = ext_part(&x, 0, (uint32_t)(s - x.lblk), &left);
	if (rc == 0 && t < x.lblk + x.nblk)
		rc = ext_part(&x, (uint32_t)(t - x.lblk), (uint32_t)(x.lblk + x.nblk - t), &right);
	if (rc == 0 && right.nblk && mem_grow(&em->v, sizeof(*em->v), &em->cap, em->n + 1) < 0)
		rc = -ENOMEM;
	if (rc == 0 && fn)
		rc = fn(x.pblk + (s - x.lblk), t - s, arg);
	if (rc < 0) {
		mem_free(left.crc);
		mem_free(right.crc);
		return rc;
	}
	mem_free(x.crc);
	memmove(&em->v[i], &em->v[i + 1], (em->n - i - 1) * sizeof(*em->v));
	em->n--;
	if (right.nblk)
		ext_insert_at(em, i, &right); /* room reserved above */
	if (left.nblk)
		ext_insert_at(em, i, &left); /* room freed by the removal */
	return 0;
}

void store_bs_extmap_dirty(struct bs_extmap *em, uint64_t lb, uint64_t n)
{
	uint64_t e = lb + n < lb ? UINT64_MAX : lb + n;

	if (n == 0)
		return;
	if (em->dhi == 0 || lb < em->dlo)
		em->dlo = lb;
	if (e > em->dhi)
		em->dhi = e;
}

uint32_t store_bs_extmap_nshards(const struct bs_extmap *em)
{
	uint64_t last = UINT64_MAX; /* shard counted last */
	uint32_t n = 0;

	for (size_t i = 0; i < em->n; i++) {
		uint64_t s = em->v[i].lblk / BS_SHARD_BLOCKS;
		uint64_t t = (em->v[i].lblk + em->v[i].nblk - 1) / BS_SHARD_BLOCKS;

		n += (uint32_t)(t - s + 1) - (s == last);
		last = t;
	}
	return n;
}

int store_bs_extmap_punch(struct bs_extmap *em, uint64_t lb, uint64_t n, bs_release_fn *fn,
                          void *arg)
{
	uint64_t e = lb + n;
	size_t i = store_bs_extmap_lower(em, lb), j = i;

	while (j < em->n && em->v[j].lblk < e)
		j++;
	if (j > i) { /* the mapped part of the range changes */
		uint64_t s = lb > em->v[i].lblk ? lb : em->v[i].lblk;
		uint64_t t = em->v[j - 1].lblk + em->v[j - 1].nblk;

		store_bs_extmap_dirty(em, s, (t < e ? t : e) - s);
	}
	while (i < em->n && em->v[i].lblk < e) {
		bool keeps_left = em->v[i].lblk < lb;
		int rc = punch_one(em, i, lb, e, fn, arg);

		if (rc < 0)
			return rc;
		if (keeps_left)
			i++;
	}
	return 0;
}

int store_bs_extmap_insert(struct bs_extmap *em, uint64_t lb, uint64_t pb, uint32_t n,
                           uint32_t *crc)
{
	struct bs_ext x = { .lblk = lb, .pblk = pb, .nblk = n, .crc = crc };
	size_t i = store_bs_extmap_lower(em, lb);

	store_bs_extmap_dirty(em, lb, n);
	/* merge with a physically and logically adjacent predecessor */
	if (i > 0) {
		struct bs_ext *p = &em->v[i - 1];

		if (p->lblk + p->nblk == lb && p->pblk + p->nblk == pb &&
		    (uint64_t)p->nblk + n <= UINT32_MAX) {
			uint32_t *c = mem_realloc(p->crc, ((size_t)p->nblk + n) * sizeof(*c));

			if (!c)
				return -ENOMEM;
			memcpy(c + p->nblk, crc, n * sizeof(*c));
			p->crc = c;
			p->nblk += n;
			mem_free(crc);
			return 0;
		}
	}
	return ext_insert_at(em, i, &x);
}

uint64_t store_bs_extmap_blocks(const struct bs_extmap *em)
{
	uint64_t n = 0;

	for (size_t i = 0; i < em->n; i++)
		n += em->v[i].nblk;
	return n;
}
