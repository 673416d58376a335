/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/hash.h - the hashes whose values are part of Sepia's (and Ceph's) placement.
 * Threads: pure functions, callable from anywhere.
 *
 * hash_rjenkins_str is Bob Jenkins' 1996 lookup2 string hash as Ceph applies it
 * to object names (the PG seed); hash_linux_str is the Linux dcache string hash
 * Ceph offers as the alternative pool hash. hash_rjenkins1_{1..5} are the
 * rjenkins1 integer hashes of CRUSH (seeded with 1315423911). Values are
 * checked against Ceph's osdmaptool/crushtool output in tests/data. */
#ifndef SEPIA_COMMON_HASH_H
#define SEPIA_COMMON_HASH_H
#include <stddef.h>
#include <stdint.h>

/* Pool hash function ids, as stored in pool descriptions (Ceph's values). */
enum hash_str_type {
	HASH_STR_LINUX = 0x1,
	HASH_STR_RJENKINS = 0x2,
};

uint32_t hash_rjenkins_str(const void *data, size_t len);
uint32_t hash_linux_str(const void *data, size_t len);
/* Dispatches on enum hash_str_type; an unknown type hashes with rjenkins. */
uint32_t hash_str(int type, const void *data, size_t len);

uint32_t hash_rjenkins1_1(uint32_t a);
uint32_t hash_rjenkins1_2(uint32_t a, uint32_t b);
uint32_t hash_rjenkins1_3(uint32_t a, uint32_t b, uint32_t c);
uint32_t hash_rjenkins1_4(uint32_t a, uint32_t b, uint32_t c, uint32_t d);
uint32_t hash_rjenkins1_5(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e);

/* Maps x into [0, b) so that growing b moves as few values as possible
 * (dissertation Algorithm 3). bmask is the next power of two minus one. */
static inline uint32_t hash_stable_mod(uint32_t x, uint32_t b, uint32_t bmask)
{
	return (x & bmask) < b ? (x & bmask) : (x & (bmask >> 1));
}

/* The smallest 2^k - 1 >= n - 1, as used with hash_stable_mod (n >= 1). */
uint32_t hash_mask_for(uint32_t n);

#endif /* SEPIA_COMMON_HASH_H */
