/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_store_decode.c - every BlockStore record decoder on
 * arbitrary input. Byte 0 picks the decoder (low 3 bits: superblock, onode,
 * extent-map shard, collection, freelist chunk, deferred write) and the
 * deferred block size (bits 4-5: 512 << n); the rest is the record (for a
 * shard: its index, u64 little-endian, then the record). What decodes is
 * re-encoded, decoded again and re-encoded: both encodings must match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "store/bs_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless e1 (already filled) equals a second encoding in e2. */
static void same(struct enc *e1, struct enc *e2)
{
	if (enc_error(e1) == 0 && enc_error(e2) == 0 &&
	    (e1->len != e2->len || memcmp(e1->data, e2->data, e1->len)))
		abort();
	enc_fini(e1);
	enc_fini(e2);
}

static void super(const uint8_t *p, size_t n)
{
	struct bs_super s, t;
	struct enc e1, e2;

	if (store_bs_super_decode(p, n, &s))
		return;
	enc_init(&e1);
	enc_init(&e2);
	store_bs_super_encode(&e1, &s);
	if (store_bs_super_decode(e1.data, e1.len, &t))
		abort();
	store_bs_super_encode(&e2, &t);
	same(&e1, &e2);
}

static void onode(const uint8_t *p, size_t n)
{
	struct bs_onode a, b;
	struct enc e1, e2;

	if (store_bs_onode_decode(p, n, &a))
		return;
	enc_init(&e1);
	enc_init(&e2);
	store_bs_onode_encode(&e1, &a);
	if (store_bs_onode_decode(e1.data, e1.len, &b) == 0) {
		store_bs_onode_encode(&e2, &b);
		store_bs_onode_fini(&b);
	} else if (enc_error(&e1) == 0) {
		abort();
	}
	same(&e1, &e2);
	store_bs_onode_fini(&a);
}

static void shard(const uint8_t *p, size_t n)
{
	struct bs_extmap a = { 0 }, b = { 0 };
	struct enc e1, e2;
	uint64_t idx = 0;

	if (n < 8)
		return;
	for (int i = 7; i >= 0; i--)
		idx = idx << 8 | p[i];
	if (store_bs_shard_decode(p + 8, n - 8, idx, &a) == 0) {
		enc_init(&e1);
		enc_init(&e2);
		store_bs_shard_encode(&e1, &a, idx);
		if (store_bs_shard_decode(e1.data, e1.len, idx, &b) && enc_error(&e1) == 0)
			abort();
		store_bs_shard_encode(&e2, &b, idx);
		same(&e1, &e2);
	}
	store_bs_extmap_fini(&a); /* also after a failed decode */
	store_bs_extmap_fini(&b);
}

static void coll(const uint8_t *p, size_t n)
{
	struct bs_coll_rec *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct enc e1, e2;

	if (a && b && store_bs_coll_decode(p, n, a) == 0) {
		enc_init(&e1);
		enc_init(&e2);
		store_bs_coll_encode(&e1, a);
		if (store_bs_coll_decode(e1.data, e1.len, b))
			abort();
		store_bs_coll_encode(&e2, b);
		same(&e1, &e2);
	}
	free(a);
	free(b);
}

static void freelist(const uint8_t *p, size_t n)
{
	uint64_t bits[BS_CHUNK_BLOCKS / 64], bits2[BS_CHUNK_BLOCKS / 64], chunk, chunk2;
	uint32_t nbits, nbits2;
	struct enc e1, e2;

	if (store_bs_free_decode(p, n, &chunk, bits, &nbits))
		return;
	enc_init(&e1);
	enc_init(&e2);
	store_bs_free_encode(&e1, chunk, bits, nbits);
	if (store_bs_free_decode(e1.data, e1.len, &chunk2, bits2, &nbits2))
		abort();
	store_bs_free_encode(&e2, chunk2, bits2, nbits2);
	same(&e1, &e2);
}

static void deferred(const uint8_t *p, size_t n, uint32_t bsize)
{
	struct bs_deferred a, b;
	struct enc e1, e2;

	if (store_bs_deferred_decode(p, n, bsize, &a))
		return;
	enc_init(&e1);
	enc_init(&e2);
	store_bs_deferred_encode(&e1, &a, bsize);
	if (store_bs_deferred_decode(e1.data, e1.len, bsize, &b) == 0) {
		store_bs_deferred_encode(&e2, &b, bsize);
		store_bs_deferred_fini(&b);
	} else if (enc_error(&e1) == 0) {
		abort();
	}
	same(&e1, &e2);
	store_bs_deferred_fini(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 7) {
	case 0:
		super(data + 1, size - 1);
		break;
	case 1:
		onode(data + 1, size - 1);
		break;
	case 2:
		shard(data + 1, size - 1);
		break;
	case 3:
		coll(data + 1, size - 1);
		break;
	case 4:
		freelist(data + 1, size - 1);
		break;
	case 5:
		deferred(data + 1, size - 1, 512u << ((data[0] >> 4) & 3));
		break;
	default:
		break;
	}
	return 0;
}
