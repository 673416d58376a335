/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/place.h - object name -> PG -> OSDs, as clients and OSDs compute it.
 * Threads: reentrant; the caller passes the workspace (see mapper.h). */
#ifndef SEPIA_CRUSH_PLACE_H
#define SEPIA_CRUSH_PLACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crush_map;

/* The parts of a pool that placement depends on (Ceph's pg_pool_t fields). */
struct crush_pool {
	int64_t id;
	uint32_t pg_num;
	uint32_t pgp_num;
	uint32_t size;
	int rule;
	int object_hash; /* enum hash_str_type (common/hash.h) */
	bool hashpspool; /* seed CRUSH with hash(ps, pool), not ps + pool */
	bool erasure;    /* holes stay as CRUSH_ITEM_NONE, no compaction */
};

/* What the OSDMap says about each OSD (index = OSD id). */
struct crush_osd_state {
	const uint32_t *weight; /* 16.16 in-weight: 0 = out */
	const bool *exists;
	const bool *up;
	int max_osd;
};

/* Raw placement seed of an object name in namespace nspace (may be NULL). */
uint32_t crush_object_hash(const struct crush_pool *pool, const char *nspace, const char *name,
                           size_t len);
/* PG number of a raw seed: stable_mod(raw, pg_num) (Algorithm 3). */
uint32_t crush_pool_pg(const struct crush_pool *pool, uint32_t raw);
/* CRUSH input x for PG ps of pool. */
uint32_t crush_pool_pps(const struct crush_pool *pool, uint32_t ps);

/* Maps PG ps to its raw CRUSH result, then to the up set: nonexistent and
 * down OSDs removed (replicated) or replaced by CRUSH_ITEM_NONE (erasure).
 * up has room for pool->size entries; returns the up count (>= 0) and sets
 * *primary (-1 if none). work is a workspace for result_max pool->size. */
int crush_pg_to_up(const struct crush_map *map, const struct crush_pool *pool,
                   const struct crush_osd_state *osds, uint32_t ps, int *up, int *primary,
                   void *work);

#endif /* SEPIA_CRUSH_PLACE_H */
