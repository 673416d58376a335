/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/map.c - map lifecycle, name tables, tunables profiles and the validator. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/crush.h"
#include "crush/crush_int.h"

static const char *const alg_names[] = {
	[CRUSH_BUCKET_UNIFORM] = "uniform", [CRUSH_BUCKET_LIST] = "list",
	[CRUSH_BUCKET_TREE] = "tree",       [CRUSH_BUCKET_STRAW] = "straw",
	[CRUSH_BUCKET_STRAW2] = "straw2",
};

static const char *const profile_names[] = {
	[CRUSH_TUNABLES_LEGACY] = "legacy",   [CRUSH_TUNABLES_ARGONAUT] = "argonaut",
	[CRUSH_TUNABLES_BOBTAIL] = "bobtail", [CRUSH_TUNABLES_FIREFLY] = "firefly",
	[CRUSH_TUNABLES_HAMMER] = "hammer",   [CRUSH_TUNABLES_JEWEL] = "jewel",
	[CRUSH_TUNABLES_OPTIMAL] = "optimal",
};

int crush_map_create(struct crush_map **out)
{
	struct crush_map *map = calloc(1, sizeof(*map));

	if (!map)
		return -ENOMEM;
	crush_tunables_set(map, CRUSH_TUNABLES_OPTIMAL);
	map->straw_calc_version = 1;
	*out = map;
	return 0;
}

void crush_map_destroy(struct crush_map *map)
{
	int32_t i;
	uint32_t r;

	if (!map)
		return;
	for (i = 0; i < map->max_buckets; i++)
		free(map->buckets[i]);
	for (r = 0; r < map->max_rules; r++)
		free(map->rules[r]);
	free(map->buckets);
	free(map->rules);
	crush_names_fini(&map->type_names);
	crush_names_fini(&map->item_names);
	crush_names_fini(&map->rule_names);
	crush_names_fini(&map->class_names);
	free(map->device_class);
	free(map->class_buckets);
	crush_choose_args_fini(map);
	free(map);
}

/* The profiles differ step by step: bobtail stops the local retries and
 * descends once, firefly varies r, hammer allows straw2, jewel is stable. */
void crush_tunables_set(struct crush_map *map, enum crush_tunables_profile p)
{
	bool old = p == CRUSH_TUNABLES_LEGACY || p == CRUSH_TUNABLES_ARGONAUT;

	map->choose_local_tries = old ? 2 : 0;
	map->choose_local_fallback_tries = old ? 5 : 0;
	map->choose_total_tries = old ? 19 : 50;
	map->chooseleaf_descend_once = old ? 0 : 1;
	map->chooseleaf_vary_r = p >= CRUSH_TUNABLES_FIREFLY ? 1 : 0;
	map->chooseleaf_stable = p >= CRUSH_TUNABLES_JEWEL ? 1 : 0;
	map->allowed_bucket_algs = p >= CRUSH_TUNABLES_HAMMER ? CRUSH_LEGACY_ALLOWED_BUCKET_ALGS |
	                                                            (1u << CRUSH_BUCKET_STRAW2)
	                                                      : CRUSH_LEGACY_ALLOWED_BUCKET_ALGS;
}

int crush_tunables_parse(const char *name)
{
	size_t i;

	if (!strcmp(name, "default"))
		return CRUSH_TUNABLES_OPTIMAL;
	for (i = 0; i < sizeof(profile_names) / sizeof(profile_names[0]); i++)
		if (!strcmp(name, profile_names[i]))
			return (int)i;
	return -EINVAL;
}

struct crush_bucket *crush_get_bucket(const struct crush_map *map, int32_t id)
{
	if (id >= 0 || -1 - id >= map->max_buckets)
		return NULL;
	return map->buckets[-1 - id];
}

bool crush_has_item(const struct crush_map *map, int32_t id)
{
	if (id >= 0)
		return id < map->max_devices;
	return crush_get_bucket(map, id) != NULL;
}

const char *crush_alg_name(int alg)
{
	if (alg < CRUSH_BUCKET_UNIFORM || alg > CRUSH_BUCKET_STRAW2)
		return NULL;
	return alg_names[alg];
}

int crush_alg_parse(const char *name)
{
	int a;

	for (a = CRUSH_BUCKET_UNIFORM; a <= CRUSH_BUCKET_STRAW2; a++)
		if (!strcmp(name, alg_names[a]))
			return a;
	return -EINVAL;
}

static struct crush_name *names_find(const struct crush_names *t, int32_t id)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return &t->v[i];
	return NULL;
}

int crush_names_set(struct crush_names *t, int32_t id, const char *name)
{
	struct crush_name *e = names_find(t, id);
	char *copy = strdup(name);

	if (!copy)
		return -ENOMEM;
	if (!e && t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct crush_name *v = realloc(t->v, sizeof(*v) * cap);

		if (!v) {
			free(copy);
			return -ENOMEM;
		}
		t->v = v;
		t->cap = cap;
	}
	if (!e) {
		e = &t->v[t->n++];
		e->id = id;
	} else {
		free(e->name);
	}
	e->name = copy;
	return 0;
}

const char *crush_names_get(const struct crush_names *t, int32_t id)
{
	const struct crush_name *e = names_find(t, id);

	return e ? e->name : NULL;
}

int crush_names_lookup(const struct crush_names *t, const char *name, int32_t *id)
{
	uint32_t i;

	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].name, name)) {
			*id = t->v[i].id;
			return 0;
		}
	}
	return -ENOENT;
}

void crush_names_remove(struct crush_names *t, int32_t id)
{
	struct crush_name *e = names_find(t, id);

	if (!e)
		return;
	free(e->name);
	*e = t->v[--t->n];
}

void crush_names_fini(struct crush_names *t)
{
	uint32_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int32_t crush_class_shadow(const struct crush_map *map, int32_t bucket, int32_t class_id)
{
	uint32_t i;

	for (i = 0; i < map->num_class_buckets; i++)
		if (map->class_buckets[i].bucket == bucket &&
		    map->class_buckets[i].class_id == class_id)
			return map->class_buckets[i].shadow;
	return 0;
}

bool crush_is_shadow(const struct crush_map *map, int32_t bucket)
{
	uint32_t i;

	for (i = 0; i < map->num_class_buckets; i++)
		if (map->class_buckets[i].shadow == bucket)
			return true;
	return false;
}

/* Arrays of one bucket agree with its algorithm and items exist. */
static int validate_bucket(const struct crush_map *map, int32_t slot)
{
	const struct crush_bucket *b = map->buckets[slot];
	uint32_t i;

	if (b->id != -1 - slot || !crush_alg_name(b->alg) || b->hash != CRUSH_HASH_RJENKINS1 ||
	    b->size > CRUSH_MAX_BUCKET_SIZE)
		return -EINVAL;
	if ((b->alg == CRUSH_BUCKET_LIST && !b->sum_weights) ||
	    (b->alg == CRUSH_BUCKET_STRAW && !b->straws))
		return -EINVAL;
	if (b->alg == CRUSH_BUCKET_TREE && b->size &&
	    (!b->node_weights || b->num_nodes < 2 * b->size || (b->num_nodes & (b->num_nodes - 1))))
		return -EINVAL;
	for (i = 0; i < b->size; i++) {
		int32_t it = b->items[i];

		if (it >= map->max_devices || (it < 0 && !crush_get_bucket(map, it)) || it == b->id)
			return -EINVAL;
	}
	return 0;
}

/* Depth-first walk: a bucket reached again on the current path is a cycle. */
static int validate_acyclic(const struct crush_map *map, int32_t slot, uint8_t *mark)
{
	const struct crush_bucket *b = map->buckets[slot];
	uint32_t i;
	int rc;

	if (mark[slot] == 2)
		return 0;
	if (mark[slot] == 1)
		return -EINVAL;
	mark[slot] = 1;
	for (i = 0; i < b->size; i++) {
		if (b->items[i] >= 0)
			continue;
		rc = validate_acyclic(map, -1 - b->items[i], mark);
		if (rc)
			return rc;
	}
	mark[slot] = 2;
	return 0;
}

static int validate_rule(const struct crush_map *map, const struct crush_rule *r)
{
	uint32_t s;

	if (r->len > CRUSH_MAX_RULE_STEPS)
		return -EINVAL;
	for (s = 0; s < r->len; s++) {
		const struct crush_rule_step *st = &r->steps[s];

		if (st->op > CRUSH_RULE_SET_CHOOSELEAF_STABLE || st->op == 5)
			return -EINVAL;
		if (st->op == CRUSH_RULE_TAKE && !crush_has_item(map, st->arg1))
			return -EINVAL;
		if (st->op >= CRUSH_RULE_SET_CHOOSE_TRIES && st->arg1 > CRUSH_MAX_TRIES)
			return -EINVAL;
		if ((st->op == CRUSH_RULE_CHOOSE_FIRSTN || st->op == CRUSH_RULE_CHOOSE_INDEP ||
		     st->op == CRUSH_RULE_CHOOSELEAF_FIRSTN ||
		     st->op == CRUSH_RULE_CHOOSELEAF_INDEP) &&
		    (st->arg2 < 0 || st->arg2 > 65535 || st->arg1 > CRUSH_MAX_REP ||
		     st->arg1 < -CRUSH_MAX_REP))
			return -EINVAL;
	}
	return 0;
}

int crush_map_validate(const struct crush_map *map)
{
	uint8_t *mark;
	int32_t i;
	uint32_t r;
	int rc = 0;

	if (map->max_buckets < 0 || map->max_buckets > CRUSH_MAX_ITEMS || map->max_devices < 0 ||
	    map->max_devices > CRUSH_MAX_ITEMS || map->max_rules > CRUSH_MAX_RULES)
		return -EINVAL;
	if (map->choose_total_tries > CRUSH_MAX_TRIES ||
	    map->choose_local_tries > CRUSH_MAX_TRIES ||
	    map->choose_local_fallback_tries > CRUSH_MAX_TRIES)
		return -EINVAL;
	mark = calloc((size_t)map->max_buckets + 1, 1);
	if (!mark)
		return -ENOMEM;
	for (i = 0; i < map->max_buckets && !rc; i++)
		if (map->buckets[i])
			rc = validate_bucket(map, i);
	for (i = 0; i < map->max_buckets && !rc; i++)
		if (map->buckets[i])
			rc = validate_acyclic(map, i, mark);
	for (r = 0; r < map->max_rules && !rc; r++)
		if (map->rules[r])
			rc = validate_rule(map, map->rules[r]);
	free(mark);
	return rc ? rc : crush_choose_args_validate(map);
}
