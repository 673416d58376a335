/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_codec.c - encoders and bounds-checked decoders of every BlockStore
 * record: superblock, onode (with its extent map and xattrs), collection,
 * freelist chunk and deferred write. All use common/enc.h envelopes; each
 * decoder has a fuzz target (tests/fuzz/fuzz_store_*.c). */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "store/bs_int.h"

#define V_SUPER  1
#define V_ONODE  1
#define V_EXTMAP 1
#define V_COLL   1
#define V_FREE   1
#define V_DEFER  1

void store_bs_super_encode(struct enc *e, const struct bs_super *s)
{
	size_t b = enc_begin(e, V_SUPER, 1);

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
	if (dec_u64(&body, &s->magic) || dec_u32(&body, &s->block_size) ||
	    dec_u64(&body, &s->nblocks) || dec_u64(&body, &s->nid_next) || dec_u64(&body, &s->seq))
		return -EBADMSG;
	if (s->magic != BS_MAGIC || s->block_size < 512 || (s->block_size & (s->block_size - 1)) ||
	    s->nblocks < 2 || s->nblocks > (UINT64_MAX / s->block_size))
		return -EBADMSG;
	dec_end(&d, &body);
	return 0;
}

void store_bs_extmap_encode(struct enc *e, const struct bs_extmap *em)
{
	size_t b = enc_begin(e, V_EXTMAP, 1);

	enc_u32(e, (uint32_t)em->n);
	for (size_t i = 0; i < em->n; i++) {
		enc_u64(e, em->v[i].lblk);
		enc_u64(e, em->v[i].pblk);
		enc_u32(e, em->v[i].nblk);
		for (uint32_t j = 0; j < em->v[i].nblk; j++)
			enc_u32(e, em->v[i].crc[j]);
	}
	enc_end(e, b);
}

static int ext_decode(struct dec *d, struct bs_ext *x, uint64_t min_lblk)
{
	if (dec_u64(d, &x->lblk) || dec_u64(d, &x->pblk) || dec_u32(d, &x->nblk))
		return -EBADMSG;
	if (x->nblk == 0 || x->lblk < min_lblk || x->lblk + x->nblk < x->lblk || x->pblk == 0 ||
	    x->pblk + x->nblk < x->pblk || dec_left(d) / 4 < x->nblk)
		return -EBADMSG;
	x->crc = mem_malloc(x->nblk * sizeof(uint32_t));
	if (!x->crc)
		return -ENOMEM;
	for (uint32_t j = 0; j < x->nblk; j++)
		dec_u32(d, &x->crc[j]); /* length checked above */
	return 0;
}

int store_bs_extmap_decode(struct dec *d, struct bs_extmap *em)
{
	struct dec body;
	uint32_t n;
	uint8_t v;
	uint64_t next = 0;
	int rc = dec_begin(d, V_EXTMAP, &v, &body);

	if (rc < 0)
		return rc;
	if (dec_count(&body, 24, &n) < 0)
		return -EBADMSG;
	em->v = mem_calloc(n ? n : 1, sizeof(*em->v));
	if (!em->v)
		return -ENOMEM;
	em->cap = n ? n : 1;
	for (uint32_t i = 0; i < n; i++) {
		rc = ext_decode(&body, &em->v[i], next);
		if (rc < 0)
			return rc;
		em->n++;
		next = em->v[i].lblk + em->v[i].nblk;
	}
	dec_end(d, &body);
	return 0;
}

void store_bs_onode_encode(struct enc *e, const struct bs_onode *on)
{
	size_t b = enc_begin(e, V_ONODE, 1);

	enc_u64(e, on->seq);
	enc_u64(e, on->size);
	enc_u64(e, on->nid);
	enc_u32(e, (uint32_t)on->attrs.n);
	for (size_t i = 0; i < on->attrs.n; i++) {
		enc_str(e, on->attrs.v[i].key);
		enc_blob(e, on->attrs.v[i].val, on->attrs.v[i].len);
	}
	store_bs_extmap_encode(e, &on->em);
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
	if (rc == 0 &&
	    (dec_u64(&body, &on->seq) || dec_u64(&body, &on->size) || dec_u64(&body, &on->nid)))
		rc = -EBADMSG;
	if (rc == 0)
		rc = attrs_decode(&body, &on->attrs);
	if (rc == 0)
		rc = store_bs_extmap_decode(&body, &on->em);
	if (rc == 0 && on->em.n) {
		const struct bs_ext *x = &on->em.v[on->em.n - 1];

		if (x->lblk + x->nblk > UINT64_MAX / 65536)
			rc = -EBADMSG;
	}
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
