/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/crush/place.c - object and PG placement checks, printed as
 * osdmaptool --test-map-object / --test-map-pgs-dump print them (all OSDs
 * existing, up and in, except those given with --mark-out). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "crush/crush.h"
#include "crush/mapper.h"
#include "crush/place.h"
#include "sepia_crush.h"

struct osd_arrays {
	uint32_t *weight;
	bool *exists;
	bool *up;
};

static int osds_init(const struct crush_map *map, const struct place_opts *o, struct osd_arrays *a,
                     struct crush_osd_state *st)
{
	int n = map->max_devices, i;

	a->weight = calloc((size_t)n + 1, sizeof(*a->weight));
	a->exists = calloc((size_t)n + 1, sizeof(*a->exists));
	a->up = calloc((size_t)n + 1, sizeof(*a->up));
	if (!a->weight || !a->exists || !a->up)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		a->weight[i] = CRUSH_WEIGHT_ONE;
		a->exists[i] = a->up[i] = true;
	}
	for (i = 0; i < o->nout; i++)
		if (o->out_osds[i] < n)
			a->weight[o->out_osds[i]] = 0;
	*st = (struct crush_osd_state){ a->weight, a->exists, a->up, n };
	return 0;
}

static void print_set(const int *v, int n)
{
	int i;

	putchar('[');
	for (i = 0; i < n; i++)
		printf(i ? ",%d" : "%d", v[i]);
	putchar(']');
}

int tool_place(const struct crush_map *map, const struct place_opts *o)
{
	struct crush_pool pool = {
		.id = o->pool,
		.pg_num = (uint32_t)o->pg_num,
		.pgp_num = (uint32_t)(o->pgp_num > 0 ? o->pgp_num : o->pg_num),
		.size = (uint32_t)o->size,
		.rule = o->rule >= 0 ? o->rule : 0,
		.object_hash = HASH_STR_RJENKINS,
		.hashpspool = true,
		.erasure = o->erasure,
	};
	struct osd_arrays a = { 0 };
	struct crush_osd_state st;
	int *up = malloc(sizeof(int) * ((size_t)o->size + 1)), n, primary, rc;
	void *work = malloc(crush_work_size(map, o->size > 0 ? o->size : 1));
	uint32_t ps;

	rc = (!up || !work) ? -ENOMEM : osds_init(map, o, &a, &st);
	if (!rc && (o->pool < 0 || o->pg_num <= 0 || o->size <= 0)) {
		fprintf(stderr, "sepia-crush: need --pool, --pg-num and --size\n");
		rc = -EINVAL;
	}
	if (rc)
		goto out_free;
	crush_work_init(map, work, o->size);
	if (o->object) {
		ps = crush_pool_pg(&pool,
		                   crush_object_hash(&pool, NULL, o->object, strlen(o->object)));
		n = crush_pg_to_up(map, &pool, &st, ps, up, &primary, work);
		printf(" object '%s' -> %lld.%x -> ", o->object, o->pool, ps);
		print_set(up, n);
		putchar('\n');
	} else {
		printf("pool %lld pg_num %d\n", o->pool, o->pg_num);
		for (ps = 0; ps < pool.pg_num; ps++) {
			n = crush_pg_to_up(map, &pool, &st, ps, up, &primary, work);
			printf("%lld.%x\t", o->pool, ps);
			print_set(up, n);
			printf("\t%d\n", primary);
		}
	}
out_free:
	free(a.up);
	free(a.exists);
	free(a.weight);
	free(work);
	free(up);
	return rc;
}
