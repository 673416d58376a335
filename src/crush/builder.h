/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/builder.h - build and edit CRUSH maps: buckets, items, rules, classes.
 * Threads: not thread-safe; callers serialise edits of one map and must not
 * edit a map other threads are mapping through. Every bucket edit keeps the
 * weights of all ancestors equal to the sum below them. */
#ifndef SEPIA_CRUSH_BUILDER_H
#define SEPIA_CRUSH_BUILDER_H
#include <stdint.h>

struct crush_map;
struct crush_bucket;
struct crush_rule_step;

/* What a new bucket holds: size items with 16.16 weights (borrowed). */
struct crush_bucket_spec {
	int alg; /* enum crush_alg */
	int type;
	uint32_t size;
	const int32_t *items;
	const uint32_t *weights;
};

/* Makes a bucket (uniform buckets use weights[0] for all items; straw
 * lengths follow map->straw_calc_version). Caller owns *out (free with
 * crush_bucket_destroy, or hand to crush_add_bucket).
 * 0, -EINVAL, -ERANGE (weights overflow), -ENOMEM; *out untouched on error. */
int crush_bucket_make(const struct crush_map *map, const struct crush_bucket_spec *spec,
                      struct crush_bucket **out);
void crush_bucket_destroy(struct crush_bucket *b); /* NULL is a no-op */

/* Adds b under id (0 = lowest free id), taking ownership of b on success.
 * Grows max_buckets by doubling as Ceph does. 0, -EEXIST, -EINVAL, -ENOMEM. */
int crush_add_bucket(struct crush_map *map, int32_t id, struct crush_bucket *b, int32_t *idout);
/* Removes an empty bucket that no bucket or rule references.
 * 0, -ENOENT, -ENOTEMPTY, -EBUSY. */
int crush_remove_bucket(struct crush_map *map, int32_t id);

/* Item edits; ancestors are reweighted. 0, -ENOENT, -EEXIST, -EINVAL, -ENOMEM. */
int crush_bucket_add_item(struct crush_map *map, int32_t bucket, int32_t item, uint32_t weight);
int crush_bucket_remove_item(struct crush_map *map, int32_t bucket, int32_t item);
/* Sets item's weight in every bucket that holds it. */
int crush_reweight_item(struct crush_map *map, int32_t item, uint32_t weight);
/* Moves item from its parent(s) to bucket, keeping its weight. */
int crush_move_item(struct crush_map *map, int32_t item, int32_t bucket);

/* What a rule is besides its steps. */
struct crush_rule_head {
	int type; /* enum crush_rule_type */
	int min_size;
	int max_size;
};

/* Adds a rule at ruleno (-1 = lowest free). Copies steps.
 * 0, -EEXIST, -ENOSPC, -EINVAL, -ENOMEM; *idout = the rule id. */
int crush_add_rule(struct crush_map *map, int ruleno, const struct crush_rule_head *head,
                   const struct crush_rule_step *steps, uint32_t len, int *idout);

/* Grows max_rules to at least n (trailing empty slots). 0, -EINVAL, -ENOMEM. */
int crush_set_max_rules(struct crush_map *map, uint32_t n);
/* Recomputes max_devices from bucket items and device names (Ceph's finalize). */
void crush_finalize(struct crush_map *map);
/* Assigns device a class by name (created if new). 0, -EINVAL, -ENOMEM. */
int crush_set_device_class(struct crush_map *map, int32_t device, const char *cls);
/* Builds the class shadow trees for every class and bucket not yet shadowed,
 * reusing shadow ids already recorded in map->class_buckets. 0 or -errno. */
int crush_populate_classes(struct crush_map *map);

#endif /* SEPIA_CRUSH_BUILDER_H */
