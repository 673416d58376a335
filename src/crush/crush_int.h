/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/crush_int.h - module-private declarations of the crush library.
 * Threads: as the public functions they serve. */
#ifndef SEPIA_CRUSH_INT_H
#define SEPIA_CRUSH_INT_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crush_map;

/* Bounds-checked little-endian reader of the two binary decoders; the first
 * short read latches -EBADMSG and later reads return 0. */
struct crush_cur {
	const uint8_t *p;
	size_t left;
	int rc;
};

static inline bool crush_cur_need(struct crush_cur *c, size_t n)
{
	if (c->rc || c->left < n) {
		c->rc = -EBADMSG;
		return false;
	}
	return true;
}

static inline uint32_t crush_cur_u32(struct crush_cur *c)
{
	uint32_t v;

	if (!crush_cur_need(c, 4))
		return 0;
	v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
	    (uint32_t)c->p[3] << 24;
	c->p += 4;
	c->left -= 4;
	return v;
}

static inline uint16_t crush_cur_u16(struct crush_cur *c)
{
	uint16_t v;

	if (!crush_cur_need(c, 2))
		return 0;
	v = (uint16_t)(c->p[0] | c->p[1] << 8);
	c->p += 2;
	c->left -= 2;
	return v;
}

static inline uint8_t crush_cur_u8(struct crush_cur *c)
{
	if (!crush_cur_need(c, 1))
		return 0;
	c->left--;
	return *c->p++;
}

/* choose_args in Ceph's layout (used by both encodings): u32 sets; per set
 * s64 id, u32 entries; per entry u32 bucket index, u32 positions, per
 * position u32 n + n weights, u32 n + n ids. */
int crush_choose_args_decode(struct crush_cur *c, struct crush_map *map);

/* choose_args.c: frees every set; checks entries against their buckets. */
void crush_choose_args_fini(struct crush_map *map);
int crush_choose_args_validate(const struct crush_map *map);

/* ln.c: rh_lh[2k] ~ 2^48 / (1 + k/128), rh_lh[2k+1] ~ 2^48 log2(1 + k/128),
 * ll[k] ~ 2^48 log2(1 + k/2^15); Ceph's exact values. */
extern const uint64_t crush_ln_rh_lh[258];
extern const uint64_t crush_ln_ll[256];

/* 2^44 * log2(x + 1) for the low 16 bits of x, inline for the straw2 loop.
 * Normalises x + 1 to 17 significant bits in one step, then adds the
 * coarse log of its top 8 bits (rh_lh) and a fine correction (ll). */
static inline uint64_t crush_ln_fast(uint32_t xin)
{
	uint32_t x = (xin & 0xffff) + 1;
	int msb = 31 - __builtin_clz(x); /* x >= 1 */
	int shift = msb >= 15 ? 0 : 15 - msb;
	uint64_t rh, lh, fine;
	int i1;

	x <<= shift;
	i1 = (int)(x >> 8) << 1;
	rh = crush_ln_rh_lh[i1 - 256];
	lh = crush_ln_rh_lh[i1 + 1 - 256];
	fine = ((uint64_t)x * rh) >> 48;
	lh += crush_ln_ll[fine & 0xff];
	return ((uint64_t)(15 - shift) << 44) + (lh >> 4);
}

#endif /* SEPIA_CRUSH_INT_H */
