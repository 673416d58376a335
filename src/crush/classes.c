/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/classes.c - device classes and their shadow hierarchies.
 * A shadow bucket "NAME~CLASS" is a copy of bucket NAME holding only the
 * devices of CLASS and the shadows of its child buckets (built depth first,
 * ids picked as the lowest free id not used by an earlier shadow), so that
 * "step take NAME class CLASS" maps exactly as Ceph does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/crush.h"

int crush_set_device_class(struct crush_map *map, int32_t device, const char *cls)
{
	int32_t id, i, max = -1;
	int rc;

	if (device < 0 || device >= CRUSH_MAX_ITEMS)
		return -EINVAL;
	if (crush_names_lookup(&map->class_names, cls, &id) < 0) {
		for (i = 0; i < (int32_t)map->class_names.n; i++)
			if (map->class_names.v[i].id > max)
				max = map->class_names.v[i].id;
		id = max + 1;
		rc = crush_names_set(&map->class_names, id, cls);
		if (rc)
			return rc;
	}
	if (device >= map->device_class_len) {
		int32_t n = device + 1;
		int32_t *v = realloc(map->device_class, sizeof(*v) * (size_t)n);

		if (!v)
			return -ENOMEM;
		for (i = map->device_class_len; i < n; i++)
			v[i] = -1;
		map->device_class = v;
		map->device_class_len = n;
	}
	map->device_class[device] = id;
	return 0;
}

static int add_class_bucket(struct crush_map *map, int32_t bucket, int32_t cls, int32_t shadow)
{
	struct crush_class_bucket *v;

	v = realloc(map->class_buckets, sizeof(*v) * (map->num_class_buckets + 1));
	if (!v)
		return -ENOMEM;
	map->class_buckets = v;
	v[map->num_class_buckets++] = (struct crush_class_bucket){ bucket, cls, shadow };
	return 0;
}

/* Shadow ids already promised (recorded before the shadows exist). */
static bool shadow_id_reserved(const struct crush_map *map, int32_t id)
{
	uint32_t i;

	for (i = 0; i < map->num_class_buckets; i++)
		if (map->class_buckets[i].shadow == id)
			return true;
	return false;
}

static int32_t pick_shadow_id(const struct crush_map *map, int32_t orig, int32_t cls)
{
	int32_t id = crush_class_shadow(map, orig, cls);

	if (id)
		return id;
	for (id = -1;
	     (-1 - id < map->max_buckets && map->buckets[-1 - id]) || shadow_id_reserved(map, id);
	     id--)
		;
	return id;
}

static int clone_bucket(struct crush_map *map, int32_t orig, int32_t cls, int32_t *out);

/* Collects the class-filtered items of orig into items/weights. */
static int clone_items(struct crush_map *map, int32_t orig, int32_t cls, int32_t *items,
                       uint32_t *weights, uint32_t *n)
{
	uint32_t i, size = crush_get_bucket(map, orig)->size;
	int rc;

	for (i = 0; i < size; i++) {
		const struct crush_bucket *b = crush_get_bucket(map, orig);
		int32_t it = b->items[i], child;

		if (it >= 0) {
			if (it >= map->device_class_len || map->device_class[it] != cls)
				continue;
			items[*n] = it;
			weights[(*n)++] = b->item_weights[i];
			continue;
		}
		rc = clone_bucket(map, it, cls, &child);
		if (rc)
			return rc;
		items[*n] = child;
		weights[(*n)++] = crush_get_bucket(map, child)->weight;
	}
	return 0;
}

static int clone_bucket(struct crush_map *map, int32_t orig, int32_t cls, int32_t *out)
{
	const struct crush_bucket *ob = crush_get_bucket(map, orig);
	const char *oname = crush_names_get(&map->item_names, orig);
	const char *cname = crush_names_get(&map->class_names, cls);
	uint32_t n = 0, size = ob->size, i, sum = 0;
	struct crush_bucket_spec spec;
	struct crush_bucket *b = NULL;
	int32_t *items, id;
	uint32_t *weights;
	char name[2 * CRUSH_NAME_MAX + 2];
	int rc = -ENOMEM;

	if (!oname || !cname)
		return -EINVAL;
	snprintf(name, sizeof(name), "%s~%s", oname, cname);
	if (crush_names_lookup(&map->item_names, name, out) == 0)
		return 0;
	items = malloc(sizeof(*items) * (size + 1));
	weights = malloc(sizeof(*weights) * (size + 1));
	if (!items || !weights)
		goto out_free;
	rc = clone_items(map, orig, cls, items, weights, &n);
	if (rc)
		goto out_free;
	ob = crush_get_bucket(map, orig);
	spec = (struct crush_bucket_spec){ ob->alg, ob->type, n, items, weights };
	rc = crush_bucket_make(map, &spec, &b);
	if (rc)
		goto out_free;
	if (b->alg == CRUSH_BUCKET_UNIFORM) {
		/* Ceph grows shadow uniform buckets item by item: the item weight
		 * stays 0 while the bucket weight sums the items. */
		for (i = 0; i < n; i++) {
			sum += weights[i];
			b->item_weights[i] = 0;
		}
		b->weight = sum;
	}
	id = pick_shadow_id(map, orig, cls);
	rc = crush_add_bucket(map, id, b, out);
	if (rc) {
		crush_bucket_destroy(b);
		goto out_free;
	}
	rc = crush_names_set(&map->item_names, *out, name);
	if (!rc && !crush_class_shadow(map, orig, cls))
		rc = add_class_bucket(map, orig, cls, *out);
out_free:
	free(weights);
	free(items);
	return rc;
}

static bool has_parent(const struct crush_map *map, int32_t id)
{
	int32_t p;
	uint32_t i;

	for (p = 0; p < map->max_buckets; p++)
		for (i = 0; map->buckets[p] && i < map->buckets[p]->size; i++)
			if (map->buckets[p]->items[i] == id)
				return true;
	return false;
}

/* Roots in ascending id order (most negative first), then classes by id. */
int crush_populate_classes(struct crush_map *map)
{
	int32_t slot, shadow, prev;
	uint32_t c, k;
	int rc;

	for (slot = map->max_buckets - 1; slot >= 0; slot--) {
		int32_t id = -1 - slot;

		if (!map->buckets[slot] || has_parent(map, id) || crush_is_shadow(map, id))
			continue;
		for (c = 0, prev = -1; c < map->class_names.n; c++) {
			int32_t best = INT32_MAX;

			for (k = 0; k < map->class_names.n; k++) {
				int32_t cid = map->class_names.v[k].id;

				if (cid > prev && cid < best)
					best = cid;
			}
			prev = best;
			rc = clone_bucket(map, id, best, &shadow);
			if (rc)
				return rc;
		}
	}
	return 0;
}
