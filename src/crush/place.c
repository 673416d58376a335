/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/place.c - object -> PG (rjenkins + stable_mod) -> OSDs (rule + up filter). */
#include <string.h>

#include "common/hash.h"
#include "crush/crush.h"
#include "crush/mapper.h"
#include "crush/place.h"

/* A namespaced name hashes as NSPACE '\037' NAME, in pieces. */
uint32_t crush_object_hash(const struct crush_pool *pool, const char *nspace, const char *name,
                           size_t len)
{
	char buf[512];
	size_t nlen = nspace ? strlen(nspace) : 0;

	if (!nlen)
		return hash_str(pool->object_hash, name, len);
	if (nlen + 1 + len > sizeof(buf)) /* names are bounded far below this */
		len = sizeof(buf) - nlen - 1;
	memcpy(buf, nspace, nlen);
	buf[nlen] = '\037';
	memcpy(buf + nlen + 1, name, len);
	return hash_str(pool->object_hash, buf, nlen + 1 + len);
}

uint32_t crush_pool_pg(const struct crush_pool *pool, uint32_t raw)
{
	return hash_stable_mod(raw, pool->pg_num, hash_mask_for(pool->pg_num));
}

uint32_t crush_pool_pps(const struct crush_pool *pool, uint32_t ps)
{
	uint32_t p = hash_stable_mod(ps, pool->pgp_num, hash_mask_for(pool->pgp_num));

	if (pool->hashpspool)
		return hash_rjenkins1_2(p, (uint32_t)pool->id);
	return p + (uint32_t)pool->id;
}

static bool osd_usable(const struct crush_osd_state *o, int osd, bool need_up)
{
	if (osd < 0 || osd >= o->max_osd || !o->exists[osd])
		return false;
	return !need_up || o->up[osd];
}

int crush_pg_to_up(const struct crush_map *map, const struct crush_pool *pool,
                   const struct crush_osd_state *osds, uint32_t ps, int *up, int *primary,
                   void *work)
{
	int n, i, k = 0;

	n = crush_do_rule(map, pool->rule, (int)crush_pool_pps(pool, ps), up, (int)pool->size,
	                  osds->weight, osds->max_osd, work, crush_choose_args_get(map, pool->id));
	*primary = -1;
	for (i = 0; i < n; i++) {
		if (osd_usable(osds, up[i], true)) {
			up[k++] = up[i];
			if (*primary < 0)
				*primary = up[i];
		} else if (pool->erasure) {
			up[k++] = CRUSH_ITEM_NONE;
		}
	}
	return k;
}
