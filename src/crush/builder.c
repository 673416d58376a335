/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/builder.c - making buckets (weights, straw lengths, tree nodes), adding
 * buckets and rules, editing items with ancestor reweighting.
 * A bucket is one allocation; edits build a replacement and swap it in. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/crush.h"

void crush_bucket_destroy(struct crush_bucket *b)
{
	free(b);
}

static struct crush_bucket *bucket_alloc(int alg, uint32_t size, uint32_t num_nodes)
{
	uint32_t extra = (alg == CRUSH_BUCKET_LIST || alg == CRUSH_BUCKET_STRAW) ? size : 0;
	size_t words = 2 * (size_t)size + extra + (alg == CRUSH_BUCKET_TREE ? num_nodes : 0);
	struct crush_bucket *b = calloc(1, sizeof(*b) + sizeof(uint32_t) * words);
	uint32_t *p;

	if (!b)
		return NULL;
	p = (uint32_t *)(b + 1);
	b->items = (int32_t *)p;
	b->item_weights = p + size;
	p += 2 * (size_t)size;
	if (alg == CRUSH_BUCKET_LIST)
		b->sum_weights = p;
	else if (alg == CRUSH_BUCKET_STRAW)
		b->straws = p;
	else if (alg == CRUSH_BUCKET_TREE)
		b->node_weights = p;
	b->alg = (uint8_t)alg;
	b->size = size;
	b->num_nodes = alg == CRUSH_BUCKET_TREE ? num_nodes : 0;
	return b;
}

static int tree_depth(uint32_t size)
{
	int depth = 1;
	uint32_t t;

	if (size == 0)
		return 0;
	for (t = size - 1; t; t >>= 1)
		depth++;
	return depth;
}

static uint32_t tree_parent(uint32_t n)
{
	uint32_t h = 0;

	while ((n & (1u << h)) == 0)
		h++;
	return (n & (1u << (h + 1))) ? n - (1u << h) : n + (1u << h);
}

static void tree_fill(struct crush_bucket *b, int depth)
{
	uint32_t i, node;
	int j;

	for (i = 0; i < b->size; i++) {
		node = ((i + 1) << 1) - 1;
		b->node_weights[node] = b->item_weights[i];
		for (j = 1; j < depth; j++) {
			node = tree_parent(node);
			b->node_weights[node] += b->item_weights[i];
		}
	}
}

/* Item order by ascending weight, ties in index order (insertion sort). */
static void straw_order(const uint32_t *w, uint32_t size, uint32_t *rev)
{
	uint32_t i, j, k;

	for (i = 0; i < size; i++) {
		for (j = 0; j < i; j++)
			if (w[i] < w[rev[j]])
				break;
		for (k = i; k > j; k--)
			rev[k] = rev[k - 1];
		rev[j] = i;
	}
}

/* double -> u32 as x86-64 code from a plain C conversion behaves (via a
 * 64-bit signed conversion, low 32 bits kept; out of range gives 0), without
 * the undefined behaviour. Only absurd weight spreads get there. */
static uint32_t straw_fixed(double v)
{
	if (!(v > -9.2e18 && v < 9.2e18))
		return 0;
	return (uint32_t)(uint64_t)(int64_t)v;
}

/* Straw lengths (Algorithm 2): each straw is scaled so that the probability
 * of the longest draw matches the weight. Version 0 reproduces the original
 * calculation (wrong for repeated weights), version 1 the fixed one; both in
 * the same double arithmetic as Ceph so the lengths are bit-identical. */
static int straw_calc(struct crush_bucket *b, int version)
{
	const uint32_t *w = b->item_weights;
	double straw = 1.0, wbelow = 0, lastw = 0, wnext, pbelow;
	uint32_t *rev, i = 0, j, size = b->size;
	int numleft = (int)size;

	rev = malloc(sizeof(*rev) * (size ? size : 1));
	if (!rev)
		return -ENOMEM;
	straw_order(w, size, rev);
	while (i < size) {
		if (w[rev[i]] == 0) {
			b->straws[rev[i++]] = 0;
			numleft -= version >= 1;
			continue;
		}
		b->straws[rev[i]] = straw_fixed(straw * 0x10000);
		if (++i == size)
			break;
		if (version == 0 && w[rev[i]] == w[rev[i - 1]])
			continue;
		wbelow += ((double)w[rev[i - 1]] - lastw) * numleft;
		if (version == 0) {
			for (j = i; j < size && w[rev[j]] == w[rev[i]]; j++)
				numleft--;
		} else {
			numleft--;
		}
		wnext = (uint32_t)((uint32_t)numleft * (w[rev[i]] - w[rev[i - 1]]));
		pbelow = wbelow / (wbelow + wnext);
		straw *= pow(1.0 / pbelow, 1.0 / (double)numleft);
		lastw = w[rev[i - 1]];
	}
	free(rev);
	return 0;
}

/* Sum of weights, or -ERANGE if it does not fit in 32 bits. */
static int weight_sum(const uint32_t *w, uint32_t n, uint32_t *sum)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i < n; i++)
		s += w[i];
	if (s > UINT32_MAX)
		return -ERANGE;
	*sum = (uint32_t)s;
	return 0;
}

static int bucket_fill(const struct crush_map *map, struct crush_bucket *b, const int32_t *items,
                       const uint32_t *weights)
{
	uint32_t i, sum = 0;
	int rc;

	for (i = 0; i < b->size; i++) {
		b->items[i] = items[i];
		b->item_weights[i] = b->alg == CRUSH_BUCKET_UNIFORM ? weights[0] : weights[i];
	}
	rc = weight_sum(b->item_weights, b->size, &b->weight);
	if (rc)
		return rc;
	if (b->alg == CRUSH_BUCKET_LIST) {
		for (i = 0; i < b->size; i++) {
			sum += b->item_weights[i];
			b->sum_weights[i] = sum;
		}
	} else if (b->alg == CRUSH_BUCKET_TREE) {
		tree_fill(b, tree_depth(b->size));
	} else if (b->alg == CRUSH_BUCKET_STRAW) {
		return straw_calc(b, map->straw_calc_version);
	}
	return 0;
}

int crush_bucket_make(const struct crush_map *map, const struct crush_bucket_spec *spec,
                      struct crush_bucket **out)
{
	struct crush_bucket *b;
	int rc;

	if (!crush_alg_name(spec->alg) || spec->type < 0 || spec->type > 65535 ||
	    spec->size > CRUSH_MAX_BUCKET_SIZE)
		return -EINVAL;
	b = bucket_alloc(spec->alg, spec->size, 1u << tree_depth(spec->size));
	if (!b)
		return -ENOMEM;
	b->type = (uint16_t)spec->type;
	b->hash = CRUSH_HASH_RJENKINS1;
	rc = bucket_fill(map, b, spec->items, spec->weights);
	if (rc) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

static int32_t next_bucket_id(const struct crush_map *map)
{
	int32_t pos;

	for (pos = 0; pos < map->max_buckets; pos++)
		if (!map->buckets[pos])
			break;
	return -1 - pos;
}

static int grow_buckets(struct crush_map *map, int32_t pos)
{
	int32_t n = map->max_buckets;
	struct crush_bucket **v;

	while (pos >= n)
		n = n ? n * 2 : 8;
	if (n > CRUSH_MAX_ITEMS)
		return -ENOSPC;
	if (n == map->max_buckets)
		return 0;
	v = realloc(map->buckets, sizeof(*v) * (size_t)n);
	if (!v)
		return -ENOMEM;
	memset(v + map->max_buckets, 0, sizeof(*v) * (size_t)(n - map->max_buckets));
	map->buckets = v;
	map->max_buckets = n;
	return 0;
}

int crush_add_bucket(struct crush_map *map, int32_t id, struct crush_bucket *b, int32_t *idout)
{
	int32_t pos;
	int rc;

	if (id > 0 || id < -CRUSH_MAX_ITEMS)
		return -EINVAL;
	if (id == 0)
		id = next_bucket_id(map);
	pos = -1 - id;
	rc = grow_buckets(map, pos);
	if (rc)
		return rc;
	if (map->buckets[pos])
		return -EEXIST;
	b->id = id;
	map->buckets[pos] = b;
	if (idout)
		*idout = id;
	return 0;
}

static bool bucket_has(const struct crush_bucket *b, int32_t item)
{
	uint32_t i;

	for (i = 0; i < b->size; i++)
		if (b->items[i] == item)
			return true;
	return false;
}

int crush_remove_bucket(struct crush_map *map, int32_t id)
{
	struct crush_bucket *b = crush_get_bucket(map, id);
	uint32_t r, s;
	int32_t i;

	if (!b)
		return -ENOENT;
	if (b->size)
		return -ENOTEMPTY;
	for (i = 0; i < map->max_buckets; i++)
		if (map->buckets[i] && bucket_has(map->buckets[i], id))
			return -EBUSY;
	for (r = 0; r < map->max_rules; r++)
		for (s = 0; map->rules[r] && s < map->rules[r]->len; s++)
			if (map->rules[r]->steps[s].op == CRUSH_RULE_TAKE &&
			    map->rules[r]->steps[s].arg1 == id)
				return -EBUSY;
	map->buckets[-1 - id] = NULL;
	crush_names_remove(&map->item_names, id);
	free(b);
	return 0;
}

/* Rebuilds bucket id from new item arrays and swaps it in. */
static int bucket_replace(struct crush_map *map, int32_t id, uint32_t size, const int32_t *items,
                          const uint32_t *weights)
{
	struct crush_bucket *old = crush_get_bucket(map, id), *b;
	struct crush_bucket_spec spec = { old->alg, old->type, size, items, weights };
	int rc;

	rc = crush_bucket_make(map, &spec, &b);
	if (rc)
		return rc;
	b->id = id;
	b->hash = old->hash;
	map->buckets[-1 - id] = b;
	free(old);
	return 0;
}

static int propagate(struct crush_map *map, int32_t id);

/* Sets the weight of item inside bucket id (which holds it at index i). */
static int set_item_weight(struct crush_map *map, int32_t id, uint32_t i, uint32_t w)
{
	struct crush_bucket *b = crush_get_bucket(map, id);
	uint32_t *weights = malloc(sizeof(*weights) * b->size);
	int rc;

	if (!weights)
		return -ENOMEM;
	memcpy(weights, b->item_weights, sizeof(*weights) * b->size);
	weights[i] = w;
	if (b->alg == CRUSH_BUCKET_UNIFORM)
		weights[0] = w; /* uniform: one weight for all */
	rc = bucket_replace(map, id, b->size, b->items, weights);
	free(weights);
	return rc ? rc : propagate(map, id);
}

/* After bucket id changed weight, update it in every parent, recursively. */
static int propagate(struct crush_map *map, int32_t id)
{
	uint32_t w = crush_get_bucket(map, id)->weight, i;
	int32_t p;
	int rc;

	for (p = 0; p < map->max_buckets; p++) {
		struct crush_bucket *b = map->buckets[p];

		for (i = 0; b && i < b->size; i++) {
			if (b->items[i] != id || b->item_weights[i] == w)
				continue;
			rc = set_item_weight(map, b->id, i, w);
			if (rc)
				return rc;
			b = map->buckets[p];
		}
	}
	return 0;
}

int crush_bucket_add_item(struct crush_map *map, int32_t bucket, int32_t item, uint32_t weight)
{
	struct crush_bucket *b = crush_get_bucket(map, bucket);
	int32_t *items;
	uint32_t *weights;
	int rc = -ENOMEM;

	if (!b)
		return -ENOENT;
	if (bucket_has(b, item))
		return -EEXIST;
	if (item == bucket || item >= CRUSH_MAX_ITEMS || (item < 0 && !crush_get_bucket(map, item)))
		return -EINVAL;
	items = malloc(sizeof(*items) * (b->size + 1));
	weights = malloc(sizeof(*weights) * (b->size + 1));
	if (!items || !weights)
		goto out_free;
	memcpy(items, b->items, sizeof(*items) * b->size);
	memcpy(weights, b->item_weights, sizeof(*weights) * b->size);
	items[b->size] = item;
	weights[b->size] = weight;
	rc = bucket_replace(map, bucket, b->size + 1, items, weights);
	if (!rc && item >= map->max_devices)
		map->max_devices = item + 1;
	if (!rc)
		rc = propagate(map, bucket);
out_free:
	free(weights);
	free(items);
	return rc;
}

int crush_bucket_remove_item(struct crush_map *map, int32_t bucket, int32_t item)
{
	struct crush_bucket *b = crush_get_bucket(map, bucket);
	int32_t *items;
	uint32_t *weights, i, n = 0;
	int rc = -ENOMEM;

	if (!b)
		return -ENOENT;
	if (!bucket_has(b, item))
		return -ENOENT;
	items = malloc(sizeof(*items) * b->size);
	weights = malloc(sizeof(*weights) * b->size);
	if (!items || !weights)
		goto out_free;
	for (i = 0; i < b->size; i++) {
		if (b->items[i] == item)
			continue;
		items[n] = b->items[i];
		weights[n++] = b->item_weights[i];
	}
	rc = bucket_replace(map, bucket, n, items, weights);
	if (!rc)
		rc = propagate(map, bucket);
out_free:
	free(weights);
	free(items);
	return rc;
}

int crush_reweight_item(struct crush_map *map, int32_t item, uint32_t weight)
{
	int32_t p;
	uint32_t i;
	int rc, found = 0;

	for (p = 0; p < map->max_buckets; p++) {
		struct crush_bucket *b = map->buckets[p];

		for (i = 0; b && i < b->size; i++) {
			if (b->items[i] != item)
				continue;
			found = 1;
			rc = set_item_weight(map, b->id, i, weight);
			if (rc)
				return rc;
			b = map->buckets[p];
		}
	}
	return found ? 0 : -ENOENT;
}

/* True if bucket id lies in the subtree under item (or is item). */
static bool is_below(const struct crush_map *map, int32_t item, int32_t id)
{
	const struct crush_bucket *b = crush_get_bucket(map, item);
	uint32_t i;

	if (item == id)
		return true;
	for (i = 0; b && i < b->size; i++)
		if (b->items[i] < 0 && is_below(map, b->items[i], id))
			return true;
	return false;
}

int crush_move_item(struct crush_map *map, int32_t item, int32_t bucket)
{
	uint32_t weight = CRUSH_WEIGHT_ONE, i;
	int32_t p;
	int rc;

	if (!crush_get_bucket(map, bucket) || !crush_has_item(map, item))
		return -ENOENT;
	if (item < 0) {
		if (is_below(map, item, bucket))
			return -EINVAL;
		weight = crush_get_bucket(map, item)->weight;
	}
	for (p = 0; p < map->max_buckets; p++) {
		struct crush_bucket *b = map->buckets[p];

		for (i = 0; b && i < b->size; i++) {
			if (b->items[i] != item)
				continue;
			if (item >= 0)
				weight = b->item_weights[i];
			rc = crush_bucket_remove_item(map, b->id, item);
			if (rc)
				return rc;
			break;
		}
	}
	return crush_bucket_add_item(map, bucket, item, weight);
}

static bool byte_ok(int v)
{
	return v >= 0 && v <= 255;
}

int crush_add_rule(struct crush_map *map, int ruleno, const struct crush_rule_head *head,
                   const struct crush_rule_step *steps, uint32_t len, int *idout)
{
	struct crush_rule *rule, **v;
	uint32_t r = (uint32_t)ruleno;

	if (len > CRUSH_MAX_RULE_STEPS || ruleno >= CRUSH_MAX_RULES || !byte_ok(head->type) ||
	    !byte_ok(head->min_size) || !byte_ok(head->max_size))
		return -EINVAL;
	if (ruleno < 0)
		for (r = 0; r < map->max_rules && map->rules[r]; r++)
			;
	if (r >= CRUSH_MAX_RULES)
		return -ENOSPC;
	if (r < map->max_rules && map->rules[r])
		return -EEXIST;
	rule = malloc(sizeof(*rule) + sizeof(*steps) * len);
	if (!rule)
		return -ENOMEM;
	if (r >= map->max_rules) {
		v = realloc(map->rules, sizeof(*v) * (r + 1));
		if (!v) {
			free(rule);
			return -ENOMEM;
		}
		memset(v + map->max_rules, 0, sizeof(*v) * (r + 1 - map->max_rules));
		map->rules = v;
		map->max_rules = r + 1;
	}
	rule->ruleset = (uint8_t)r;
	rule->type = (uint8_t)head->type;
	rule->min_size = (uint8_t)head->min_size;
	rule->max_size = (uint8_t)head->max_size;
	rule->len = len;
	memcpy(rule->steps, steps, sizeof(*steps) * len);
	map->rules[r] = rule;
	*idout = (int)r;
	return 0;
}

int crush_set_max_rules(struct crush_map *map, uint32_t n)
{
	struct crush_rule **v;

	if (n > CRUSH_MAX_RULES)
		return -EINVAL;
	if (n <= map->max_rules)
		return 0;
	v = realloc(map->rules, sizeof(*v) * n);
	if (!v)
		return -ENOMEM;
	memset(v + map->max_rules, 0, sizeof(*v) * (n - map->max_rules));
	map->rules = v;
	map->max_rules = n;
	return 0;
}

void crush_finalize(struct crush_map *map)
{
	int32_t max = 0, p;
	uint32_t i;

	for (p = 0; p < map->max_buckets; p++)
		for (i = 0; map->buckets[p] && i < map->buckets[p]->size; i++)
			if (map->buckets[p]->items[i] >= max)
				max = map->buckets[p]->items[i] + 1;
	for (i = 0; i < map->item_names.n; i++)
		if (map->item_names.v[i].id >= max)
			max = map->item_names.v[i].id + 1;
	map->max_devices = max;
}
