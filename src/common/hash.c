/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/hash.c - rjenkins (lookup2) string and integer hashes, Linux dcache hash.
 * The mixing function and constants are from Bob Jenkins' public-domain lookup2
 * (1996); CRUSH's integer variants fix their own seed and padding constants. */
#include "common/hash.h"

#define GOLDEN_RATIO 0x9e3779b9u
#define CRUSH_SEED   1315423911u
#define CRUSH_X      231232u
#define CRUSH_Y      1232u

/* lookup2's reversible mix of three 32-bit values. */
/* clang-format off */
#define MIX(a, b, c)                                                           \
	do {                                                                   \
		a -= b; a -= c; a ^= (c >> 13);                                \
		b -= c; b -= a; b ^= (a << 8);                                 \
		c -= a; c -= b; c ^= (b >> 13);                                \
		a -= b; a -= c; a ^= (c >> 12);                                \
		b -= c; b -= a; b ^= (a << 16);                                \
		c -= a; c -= b; c ^= (b >> 5);                                 \
		a -= b; a -= c; a ^= (c >> 3);                                 \
		b -= c; b -= a; b ^= (a << 10);                                \
		c -= a; c -= b; c ^= (b >> 15);                                \
	} while (0)
/* clang-format on */

static uint32_t le32(const uint8_t *k)
{
	return (uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
}

uint32_t hash_rjenkins_str(const void *data, size_t len)
{
	const uint8_t *k = data;
	uint32_t a = GOLDEN_RATIO, b = GOLDEN_RATIO, c = 0;
	size_t left = len;

	for (; left >= 12; k += 12, left -= 12) {
		a += le32(k);
		b += le32(k + 4);
		c += le32(k + 8);
		MIX(a, b, c);
	}
	c += (uint32_t)len;
	/* The low byte of c holds the length, so the tail of c starts at byte 1. */
	switch (left) {
	case 11:
		c += (uint32_t)k[10] << 24; /* fall through */
	case 10:
		c += (uint32_t)k[9] << 16; /* fall through */
	case 9:
		c += (uint32_t)k[8] << 8; /* fall through */
	case 8:
		b += (uint32_t)k[7] << 24; /* fall through */
	case 7:
		b += (uint32_t)k[6] << 16; /* fall through */
	case 6:
		b += (uint32_t)k[5] << 8; /* fall through */
	case 5:
		b += k[4]; /* fall through */
	case 4:
		a += (uint32_t)k[3] << 24; /* fall through */
	case 3:
		a += (uint32_t)k[2] << 16; /* fall through */
	case 2:
		a += (uint32_t)k[1] << 8; /* fall through */
	case 1:
		a += k[0]; /* fall through */
	default:
		break;
	}
	MIX(a, b, c);
	return c;
}

uint32_t hash_linux_str(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0;

	while (len--) {
		uint64_t ch = *p++;
		h = (h + (ch << 4) + (ch >> 4)) * 11;
	}
	return (uint32_t)h;
}

uint32_t hash_str(int type, const void *data, size_t len)
{
	if (type == HASH_STR_LINUX)
		return hash_linux_str(data, len);
	return hash_rjenkins_str(data, len);
}

uint32_t hash_rjenkins1_1(uint32_t a)
{
	uint32_t h = CRUSH_SEED ^ a, b = a, x = CRUSH_X, y = CRUSH_Y;

	MIX(b, x, h);
	MIX(y, a, h);
	return h;
}

uint32_t hash_rjenkins1_2(uint32_t a, uint32_t b)
{
	uint32_t h = CRUSH_SEED ^ a ^ b, x = CRUSH_X, y = CRUSH_Y;

	MIX(a, b, h);
	MIX(x, a, h);
	MIX(b, y, h);
	return h;
}

uint32_t hash_rjenkins1_3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t h = CRUSH_SEED ^ a ^ b ^ c, x = CRUSH_X, y = CRUSH_Y;

	MIX(a, b, h);
	MIX(c, x, h);
	MIX(y, a, h);
	MIX(b, x, h);
	MIX(y, c, h);
	return h;
}

uint32_t hash_rjenkins1_4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	uint32_t h = CRUSH_SEED ^ a ^ b ^ c ^ d, x = CRUSH_X, y = CRUSH_Y;

	MIX(a, b, h);
	MIX(c, d, h);
	MIX(a, x, h);
	MIX(y, b, h);
	MIX(c, x, h);
	MIX(y, d, h);
	return h;
}

uint32_t hash_rjenkins1_5(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e)
{
	uint32_t h = CRUSH_SEED ^ a ^ b ^ c ^ d ^ e, x = CRUSH_X, y = CRUSH_Y;

	MIX(a, b, h);
	MIX(c, d, h);
	MIX(e, x, h);
	MIX(y, a, h);
	MIX(b, x, h);
	MIX(y, c, h);
	MIX(d, x, h);
	MIX(y, e, h);
	return h;
}

uint32_t hash_mask_for(uint32_t n)
{
	uint32_t m = 0;

	while (m < n - 1 && m != UINT32_MAX)
		m = (m << 1) | 1;
	return m;
}
