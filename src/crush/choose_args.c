/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/choose_args.c - choose_args (weight sets): storage, lookup with
 * Ceph's fallback to the default set, and their invariants. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crush/crush.h"
#include "crush/crush_int.h"

const struct crush_choose_arg *crush_choose_args_get(const struct crush_map *map, int64_t id)
{
	const struct crush_choose_arg_map *dflt = NULL;
	uint32_t i;

	for (i = 0; i < map->num_choose_args; i++) {
		const struct crush_choose_arg_map *c = &map->choose_args[i];

		if (c->size < (uint32_t)map->max_buckets)
			continue; /* made for fewer buckets: unusable */
		if (c->id == id)
			return c->args;
		if (c->id == CRUSH_DEFAULT_CHOOSE_ARGS)
			dflt = c;
	}
	return dflt ? dflt->args : NULL;
}

struct crush_choose_arg_map *crush_choose_args_add(struct crush_map *map, int64_t id)
{
	struct crush_choose_arg_map *v, *c;
	uint32_t i, at;

	for (i = 0; i < map->num_choose_args; i++)
		if (map->choose_args[i].id == id)
			return &map->choose_args[i];
	v = realloc(map->choose_args, sizeof(*v) * (map->num_choose_args + 1));
	if (!v)
		return NULL;
	map->choose_args = v;
	for (at = 0; at < map->num_choose_args && v[at].id < id; at++)
		;
	memmove(v + at + 1, v + at, sizeof(*v) * (map->num_choose_args - at));
	c = &v[at];
	c->id = id;
	c->size = (uint32_t)map->max_buckets;
	c->args = calloc(c->size + 1, sizeof(*c->args));
	if (!c->args) {
		memmove(v + at, v + at + 1, sizeof(*v) * (map->num_choose_args - at));
		return NULL;
	}
	map->num_choose_args++;
	return c;
}

static void arg_fini(struct crush_choose_arg *a)
{
	uint32_t p;

	for (p = 0; a->weight_set && p < a->weight_set_positions; p++)
		free(a->weight_set[p].weights);
	free(a->weight_set);
	free(a->ids);
	memset(a, 0, sizeof(*a));
}

void crush_choose_args_fini(struct crush_map *map)
{
	uint32_t i, b;

	for (i = 0; i < map->num_choose_args; i++) {
		for (b = 0; b < map->choose_args[i].size; b++)
			arg_fini(&map->choose_args[i].args[b]);
		free(map->choose_args[i].args);
	}
	free(map->choose_args);
	map->choose_args = NULL;
	map->num_choose_args = 0;
}

/* Every non-empty entry names an existing bucket and matches its size. */
int crush_choose_args_validate(const struct crush_map *map)
{
	uint32_t i, b, p;

	for (i = 0; i < map->num_choose_args; i++) {
		const struct crush_choose_arg_map *c = &map->choose_args[i];

		for (b = 0; b < c->size; b++) {
			const struct crush_choose_arg *a = &c->args[b];
			const struct crush_bucket *bk;

			if (!a->ids && !a->weight_set)
				continue;
			bk = (int32_t)b < map->max_buckets ? map->buckets[b] : NULL;
			if (!bk || (a->ids && a->ids_size != bk->size) ||
			    (a->weight_set && !a->weight_set_positions))
				return -EINVAL;
			for (p = 0; a->weight_set && p < a->weight_set_positions; p++)
				if (a->weight_set[p].size != bk->size || !a->weight_set[p].weights)
					return -EINVAL;
		}
	}
	return 0;
}

/* One position's weights, or the ids: u32 n then n u32 values. */
static int decode_vec(struct crush_cur *c, uint32_t **out, uint32_t *n)
{
	uint32_t i, *v;

	*n = crush_cur_u32(c);
	if (c->rc || *n > CRUSH_MAX_BUCKET_SIZE || c->left / 4 < *n)
		return -EBADMSG;
	v = malloc(sizeof(*v) * (*n + 1));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < *n; i++)
		v[i] = crush_cur_u32(c);
	*out = v;
	return 0;
}

static int decode_entry(struct crush_cur *c, struct crush_choose_arg_map *m)
{
	uint32_t b = crush_cur_u32(c), npos = crush_cur_u32(c), p;
	struct crush_choose_arg *a;
	int rc;

	if (c->rc || b >= m->size || npos > CRUSH_MAX_REP || c->left / 4 < npos)
		return -EBADMSG;
	a = &m->args[b];
	if (a->ids || a->weight_set)
		return -EBADMSG;
	if (npos) {
		a->weight_set = calloc(npos, sizeof(*a->weight_set));
		if (!a->weight_set)
			return -ENOMEM;
		a->weight_set_positions = npos;
	}
	for (p = 0; p < npos; p++)
		if ((rc = decode_vec(c, &a->weight_set[p].weights, &a->weight_set[p].size)))
			return rc;
	if ((rc = decode_vec(c, (uint32_t **)&a->ids, &a->ids_size)))
		return rc;
	if (!a->ids_size) {
		free(a->ids);
		a->ids = NULL;
	}
	return 0;
}

int crush_choose_args_decode(struct crush_cur *c, struct crush_map *map)
{
	uint32_t n = crush_cur_u32(c), i, k, entries;
	struct crush_choose_arg_map *m;
	int rc;

	for (i = 0; i < n && !c->rc; i++) {
		uint64_t lo = crush_cur_u32(c), hi = crush_cur_u32(c);

		entries = crush_cur_u32(c);
		if (c->rc || c->left / 12 < entries)
			return -EBADMSG;
		m = crush_choose_args_add(map, (int64_t)(lo | hi << 32));
		if (!m)
			return -ENOMEM;
		for (k = 0; k < entries; k++)
			if ((rc = decode_entry(c, m)))
				return rc;
	}
	return c->rc;
}
