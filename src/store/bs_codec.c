/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_codec.c - encoders and bounds-checked decoders of every BlockStore
 * record: superblock, onode (with its xattrs), collection,
 * extent-map shard, freelist chunk and deferred write. All use common/enc.h
 * envelopes; each decoder has a fuzz target (tests/fuzz/fuzz_store_*.c). */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "store/bs_int.h"

/* Layout 2 (sharded extent maps): superblock and onode v2, compat 2, so
 * that neither this code nor older code reads the other's stores. */
#define V_SUPER 2
#define V_ONODE 3 /* v3: flags; v2 (compat 2) decodes with BS_ONODE_F_OMAP */
#define V_SHARD 1
#define V_COLL  1
#define V_FREE  1
#define V_DEFER 1

void store_bs_super_encode(struct enc *e, const struct bs_super *s)
{
	size_t b = enc_begin(e, V_SUPER, V_SUPER);

	enc_u64(e, s->magic);
	enc_u32(e, s->block_size);
	enc_u64(e, s->nblocks);
	enc_u64(e, s->nid_next);
	enc_u64(e, s->seq);
	enc_end(e, b);
}

int store_bs_super_decode(const void *p, size_t n, struct bs_super *s)
{
	struct dec d, body;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, V_SUPER, &v, &body);
	if (rc < 0)
		return rc;
	if (v < V_SUPER) /* layout 1: unsharded onodes */
		return -EBADMSG;
	if (dec_u64(&body, &s->magic) || dec_u32(&body, &s->block_size) ||
	    dec_u64(&body, &s->nblocks) || dec_u64(&body, &s->nid_next) || dec_u64(&body, &s->seq))
		return -EBADMSG;
	if (s->magic != BS_MAGIC || s->block_size < 512 || (s->block_size & (s->block_size - 1)) ||
	    s->nblocks < 2 || s->nblocks > (UINT64_MAX / s->block_size))
		return -EBADMSG;
	dec_end(&d, &body);
	return 0;
}

void store_bs_shard_encode(struct enc *e, const struct bs_extmap *em, uint64_t shard)
{
	uint64_t lo = shard * BS_SHARD_BLOCKS, hi = lo + BS_SHARD_BLOCKS;
	size_t b = enc_begin(e, V_SHARD, 1), cnt = e->len;
	uint32_t n = 0;

	enc_u32(e, 0); /* patched below */
	for (size_t i = store_bs_extmap_lower(em, lo); i < em->n && em->v[i].lblk < hi; i++, n++) {
		const struct bs_ext *x = &em->v[i];
		uint64_t s = x->lblk > lo ? x->lblk : lo;
		uint64_t t = x->lblk + x->nblk < hi ? x->lblk + x->nblk : hi;

		enc_u32(e, (uint32_t)(s - lo));
		enc_u64(e, x->pblk + (s - x->lblk));
		enc_u32(e, (uint32_t)(t - s));
		for (uint64_t j = s; j < t; j++)
			enc_u32(e, x->crc[j - x->lblk]);
	}
	enc_patch_u32(e, cnt, n);
	enc_end(e, b);
}

/* Appends one piece to em, extending the last extent when contiguous. */
static int piece_append(struct bs_extmap *em, const struct bs_ext *x)
{
	struct bs_ext *p = em->n ? &em->v[em->n - 1] : NULL;
	uint32_t *c;

	if (p && p->lblk + p->nblk == x->lblk && p->pblk + p->nblk == x->pblk &&
	    (uint64_t)p->nblk + x->nblk <= UINT32_MAX) {
		c = mem_realloc(p->crc, ((size_t)p->nblk + x->nblk) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		memcpy(c + p->nblk, x->crc, x->nblk * sizeof(*c));
		p->crc = c;
		p->nblk += x->nblk;
		return 0;
	}
	if (mem_grow(&em->v, sizeof(*em->v), &em->cap, em->n + 1) < 0)
		return -ENOMEM;
	c = mem_malloc(x->nblk * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c, x->crc, x->nblk * sizeof(*c));
	em->v[em->n] = *x;
	em->v[em->n++].crc = c;
	return 0;
}

static int piece_decode(struct dec *d, uint64_t lo, uint64_t *next, struct bs_ext *x, uint32_t *crc)
{
	uint32_t off;

	if (dec_u32(d, &off) || dec_u64(d, &x->pblk) || dec_u32(d, &x->nblk))
		return -EBADMSG;
	if (x->nblk == 0 || off >= BS_SHARD_BLOCKS || x->nblk > BS_SHARD_BLOCKS - off ||
	    lo + off < *next || x->pblk == 0 || x->pblk + x->nblk < x->pblk ||
	    dec_left(d) / 4 < x->nblk)
		return -EBADMSG;
	x->lblk = lo + off;
	x->crc = crc;
	for (uint32_t j = 0; j < x->nblk; j++)
		dec_u32(d, &crc[j]); /* length checked above */
	*next = x->lblk + x->nblk;
	return 0;
}

int store_bs_shard_decode(const void *p, size_t n, uint64_t shard, struct bs_extmap *em)
{
	uint32_t crc[BS_SHARD_BLOCKS], cnt;
	uint64_t lo = shard * BS_SHARD_BLOCKS, next = lo;
	struct dec d, body;
	struct bs_ext x;
	uint8_t v;
	int rc;

	/* lblk * block_size must not overflow (block sizes up to 64 KiB) */
	if (shard > (UINT64_MAX / 65536) / BS_SHARD_BLOCKS - 1)
		return -EBADMSG;
	if (em->n && em->v[em->n - 1].lblk + em->v[em->n - 1].nblk > lo)
		return -EBADMSG;
	dec_init(&d, p, n);
	rc = dec_begin(&d, V_SHARD, &v, &body);
	if (rc < 0)
		return rc;
	if (dec_count(&body, 20, &cnt) < 0 || cnt == 0)
		return -EBADMSG;
	for (uint32_t i = 0; i < cnt; i++) {
		rc = piece_decode(&body, lo, &next, &x, crc);
		if (rc == 0)
			rc = piece_append(em, &x);
		if (rc < 0)
			return rc;
	}
	dec_end(&d, &body);
	return 0;
}

void store_bs_onode_encode(struct enc *e, const struct bs_onode *on)
{
	size_t b = enc_begin(e, V_ONODE, 2);

	enc_u64(e, on->seq);
	enc_u64(e, on->size);
	enc_u64(e, on->nid);
	enc_u32(e, (uint32_t)on->attrs.n);
	for (size_t i = 0; i < on->attrs.n; i++) {
		enc_str(e, on->attrs.v[i].key);
		enc_blob(e, on->attrs.v[i].val, on->attrs.v[i].len);
	}
	enc_u32(e, store_bs_extmap_nshards(&on->em)); /* on must hold its whole map */
	enc_u8(e, on->flags);
	enc_end(e, b);
}

static int attrs_decode(struct dec *d, struct store_kvvec *kv)
{
	char key[STORE_NAME_MAX + 1];
	const void *val;
	uint32_t n, len;

	if (dec_count(d, 8, &n) < 0)
		return -EBADMSG;
	for (uint32_t i = 0; i < n; i++) {
		if (dec_str_buf(d, key, sizeof(key)) < 0 || dec_blob_ref(d, &val, &len) < 0)
			return -EBADMSG;
		if (kv->n && strcmp(kv->v[kv->n - 1].key, key) >= 0)
			return -EBADMSG; /* must be sorted and unique */
		if (store_kvvec_set(kv, key, val, len) < 0)
			return -ENOMEM;
	}
	return 0;
}

int store_bs_onode_decode(const void *p, size_t n, struct bs_onode *on)
{
	struct dec d, body;
	uint8_t v;
	int rc;

	store_bs_onode_init(on);
	dec_init(&d, p, n);
	rc = dec_begin(&d, V_ONODE, &v, &body);
	if (rc == 0 && v < 2)
		rc = -EBADMSG; /* layout 1 */
	if (rc == 0 &&
	    (dec_u64(&body, &on->seq) || dec_u64(&body, &on->size) || dec_u64(&body, &on->nid)))
		rc = -EBADMSG;
	if (rc == 0)
		rc = attrs_decode(&body, &on->attrs);
	if (rc == 0 && dec_u32(&body, &on->nshards))
		rc = -EBADMSG;
	on->flags = BS_ONODE_F_OMAP; /* v2: unknown, so possibly */
	if (rc == 0 && v >= 3 && dec_u8(&body, &on->flags))
		rc = -EBADMSG;
	if (rc < 0) {
		store_bs_onode_fini(on);
		return rc;
	}
	dec_end(&d, &body);
	return 0;
}

void store_bs_coll_encode(struct enc *e, const struct bs_coll_rec *c)
{
	size_t b = enc_begin(e, V_COLL, 1);

	enc_str(e, c->cid);
	enc_u64(e, c->created_seq);
	enc_end(e, b);
}

int store_bs_coll_decode(const void *p, size_t n, struct bs_coll_rec *c)
{
	struct dec d, body;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, V_COLL, &v, &body);
	if (rc < 0)
		return rc;
	if (dec_str_buf(&body, c->cid, sizeof(c->cid)) || dec_u64(&body, &c->created_seq))
		return -EBADMSG;
	dec_end(&d, &body);
	return 0;
}

void store_bs_free_encode(struct enc *e, uint64_t chunk, const uint64_t *bits, uint32_t nbits)
{
	size_t b = enc_begin(e, V_FREE, 1);

	enc_u64(e, chunk);
	enc_u32(e, nbits);
	for (uint32_t i = 0; i < (nbits + 63) / 64; i++)
		enc_u64(e, bits[i]);
	enc_end(e, b);
}

int store_bs_free_decode(const void *p, size_t n, uint64_t *chunk, uint64_t *bits, uint32_t *nbits)
{
	struct dec d, body;
	uint8_t v;
	int rc;

	dec_init(&d, p, n);
	rc = dec_begin(&d, V_FREE, &v, &body);
	if (rc < 0)
		return rc;
	if (dec_u64(&body, chunk) || dec_u32(&body, nbits) || *nbits == 0 ||
	    *nbits > BS_CHUNK_BLOCKS || *chunk > UINT64_MAX / BS_CHUNK_BLOCKS)
		return -EBADMSG;
	for (uint32_t i = 0; i < (*nbits + 63) / 64; i++)
		if (dec_u64(&body, &bits[i]))
			return -EBADMSG;
	dec_end(&d, &body);
	return 0;
}

void store_bs_deferred_encode(struct enc *e, const struct bs_deferred *d, uint32_t bsize)
{
	size_t b = enc_begin(e, V_DEFER, 1);

	enc_u64(e, d->seq);
	enc_u32(e, (uint32_t)d->n);
	for (size_t i = 0; i < d->n; i++) {
		enc_u64(e, d->v[i].pblk);
		enc_raw(e, d->v[i].data, bsize);
	}
	enc_end(e, b);
}

void store_bs_deferred_fini(struct bs_deferred *d)
{
	for (size_t i = 0; i < d->n; i++)
		mem_free(d->v[i].data);
	mem_free(d->v);
	memset(d, 0, sizeof(*d));
}

int store_bs_deferred_decode(const void *p, size_t n, uint32_t bsize, struct bs_deferred *d)
{
	struct dec dd, body;
	uint32_t cnt;
	uint8_t v;
	int rc;

	memset(d, 0, sizeof(*d));
	dec_init(&dd, p, n);
	rc = dec_begin(&dd, V_DEFER, &v, &body);
	if (rc < 0)
		return rc;
	if (dec_u64(&body, &d->seq) || dec_count(&body, 8 + (size_t)bsize, &cnt))
		return -EBADMSG;
	d->v = mem_calloc(cnt ? cnt : 1, sizeof(*d->v));
	if (!d->v)
		return -ENOMEM;
	d->cap = cnt ? cnt : 1;
	for (uint32_t i = 0; i < cnt; i++, d->n++) {
		d->v[i].data = mem_malloc(bsize);
		if (!d->v[i].data) {
			store_bs_deferred_fini(d);
			return -ENOMEM;
		}
		if (dec_u64(&body, &d->v[i].pblk) || dec_raw(&body, d->v[i].data, bsize)) {
			d->n++;
			store_bs_deferred_fini(d);
			return -EBADMSG;
		}
	}
	dec_end(&dd, &body);
	return 0;
}
