/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/crush.h - the CRUSH map: devices, typed buckets, rules, tunables, names.
 * Threads: a map is built and changed by one thread; once built, any number of
 * threads may map through it concurrently (crush_do_rule only reads it). */
#ifndef SEPIA_CRUSH_CRUSH_H
#define SEPIA_CRUSH_CRUSH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Item ids: devices are >= 0, buckets are < 0 (bucket -1 lives in slot 0). */
#define CRUSH_ITEM_NONE       0x7fffffff /* "no item" in an indep result */
#define CRUSH_ITEM_UNDEF      0x7ffffffe /* scratch marker inside the mapper */
#define CRUSH_WEIGHT_ONE      0x10000u   /* weights are 16.16 fixed point */
#define CRUSH_MAX_DEPTH       10
#define CRUSH_MAX_BUCKET_SIZE 65535 /* keeps tree node maths in 32 bits */
#define CRUSH_MAX_ITEMS       65536 /* bound on max_devices and max_buckets */
#define CRUSH_MAX_RULES       256
#define CRUSH_MAX_RULE_STEPS  1024
#define CRUSH_NAME_MAX        255
#define CRUSH_MAX_TRIES       10000 /* bound on retry tunables and set_*_tries */
#define CRUSH_MAX_REP         256   /* bound on |numrep| of a choose step */

enum crush_alg {
	CRUSH_BUCKET_UNIFORM = 1,
	CRUSH_BUCKET_LIST = 2,
	CRUSH_BUCKET_TREE = 3,
	CRUSH_BUCKET_STRAW = 4,
	CRUSH_BUCKET_STRAW2 = 5,
};
#define CRUSH_LEGACY_ALLOWED_BUCKET_ALGS \
	((1u << CRUSH_BUCKET_UNIFORM) | (1u << CRUSH_BUCKET_LIST) | (1u << CRUSH_BUCKET_STRAW))
#define CRUSH_ALL_BUCKET_ALGS \
	(CRUSH_LEGACY_ALLOWED_BUCKET_ALGS | (1u << CRUSH_BUCKET_TREE) | (1u << CRUSH_BUCKET_STRAW2))

enum crush_hash_type {
	CRUSH_HASH_RJENKINS1 = 0,
};

/* Rule step opcodes; the values are Ceph's and appear in encoded maps. */
enum crush_op {
	CRUSH_RULE_NOOP = 0,
	CRUSH_RULE_TAKE = 1,
	CRUSH_RULE_CHOOSE_FIRSTN = 2,
	CRUSH_RULE_CHOOSE_INDEP = 3,
	CRUSH_RULE_EMIT = 4,
	CRUSH_RULE_CHOOSELEAF_FIRSTN = 6,
	CRUSH_RULE_CHOOSELEAF_INDEP = 7,
	CRUSH_RULE_SET_CHOOSE_TRIES = 8,
	CRUSH_RULE_SET_CHOOSELEAF_TRIES = 9,
	CRUSH_RULE_SET_CHOOSE_LOCAL_TRIES = 10,
	CRUSH_RULE_SET_CHOOSE_LOCAL_FALLBACK_TRIES = 11,
	CRUSH_RULE_SET_CHOOSELEAF_VARY_R = 12,
	CRUSH_RULE_SET_CHOOSELEAF_STABLE = 13,
};

enum crush_rule_type {
	CRUSH_RULE_TYPE_REPLICATED = 1,
	CRUSH_RULE_TYPE_ERASURE = 3,
};

/* One bucket. Every algorithm fills items and item_weights; list adds the
 * running sums, straw the straw lengths, tree the node weights (indexed by
 * node number, num_nodes of them). One allocation holds the struct and its
 * arrays, so buckets are replaced, never grown in place. */
struct crush_bucket {
	int32_t id;
	uint16_t type;
	uint8_t alg;
	uint8_t hash;
	uint32_t weight;
	uint32_t size;
	int32_t *items;
	uint32_t *item_weights;
	uint32_t *sum_weights;
	uint32_t *straws;
	uint32_t num_nodes;
	uint32_t *node_weights;
};

struct crush_rule_step {
	uint32_t op;
	int32_t arg1;
	int32_t arg2;
};

struct crush_rule {
	uint8_t ruleset;
	uint8_t type;
	uint8_t min_size;
	uint8_t max_size;
	uint32_t len;
	struct crush_rule_step steps[];
};

/* An id -> name table (types, items, rules, device classes). */
struct crush_name {
	int32_t id;
	char *name;
};
struct crush_names {
	struct crush_name *v;
	uint32_t n;
	uint32_t cap;
};

/* Shadow bucket of a device class: the class-filtered copy of bucket. */
struct crush_class_bucket {
	int32_t bucket;
	int32_t class_id;
	int32_t shadow;
};

/* Ceph's choose_args / weight sets: per bucket, replacement straw2 weights
 * (one vector per result position, the last one for later positions) and
 * replacement ids fed to the hash. Empty entries have NULL arrays. */
struct crush_weight_set {
	uint32_t *weights;
	uint32_t size;
};
struct crush_choose_arg {
	int32_t *ids;
	uint32_t ids_size;
	struct crush_weight_set *weight_set;
	uint32_t weight_set_positions;
};
/* One named set: args[-1 - bucket_id], size == max_buckets when made. */
struct crush_choose_arg_map {
	int64_t id;
	struct crush_choose_arg *args;
	uint32_t size;
};
#define CRUSH_DEFAULT_CHOOSE_ARGS (-1)

struct crush_map {
	struct crush_bucket **buckets; /* slot -1-id; NULL = hole */
	int32_t max_buckets;
	struct crush_rule **rules; /* by rule id; NULL = hole */
	uint32_t max_rules;
	int32_t max_devices; /* 1 + highest device id */

	/* tunables (see crush_tunables_set for the profiles) */
	uint32_t choose_local_tries;
	uint32_t choose_local_fallback_tries;
	uint32_t choose_total_tries;
	uint32_t chooseleaf_descend_once;
	uint8_t chooseleaf_vary_r;
	uint8_t chooseleaf_stable;
	uint8_t straw_calc_version;
	uint32_t allowed_bucket_algs;

	struct crush_names type_names;
	struct crush_names item_names;
	struct crush_names rule_names;
	struct crush_names class_names;
	int32_t *device_class;    /* class id per device, -1 = none */
	int32_t device_class_len; /* entries in device_class */
	struct crush_class_bucket *class_buckets;
	uint32_t num_class_buckets;
	struct crush_choose_arg_map *choose_args; /* ascending id */
	uint32_t num_choose_args;
};

enum crush_tunables_profile {
	CRUSH_TUNABLES_LEGACY = 0, /* same as argonaut */
	CRUSH_TUNABLES_ARGONAUT,
	CRUSH_TUNABLES_BOBTAIL,
	CRUSH_TUNABLES_FIREFLY,
	CRUSH_TUNABLES_HAMMER,
	CRUSH_TUNABLES_JEWEL,
	CRUSH_TUNABLES_OPTIMAL, /* same as jewel */
};

/* Lifecycle. A new map has jewel (optimal) tunables and straw_calc_version 1. */
int crush_map_create(struct crush_map **out);  /* 0, -ENOMEM */
void crush_map_destroy(struct crush_map *map); /* NULL is a no-op */
/* Sets the profile's tunables; straw_calc_version is not part of a profile. */
void crush_tunables_set(struct crush_map *map, enum crush_tunables_profile p);
/* Profile id for "legacy" ... "optimal"/"default"; -EINVAL if unknown. */
int crush_tunables_parse(const char *name);

/* Queries. Returned pointers are valid until the map changes. */
struct crush_bucket *crush_get_bucket(const struct crush_map *map, int32_t id);
bool crush_has_item(const struct crush_map *map, int32_t id);
const char *crush_alg_name(int alg);   /* NULL if unknown */
int crush_alg_parse(const char *name); /* alg or -EINVAL */

/* Name tables: set copies name; lookup returns the id or -ENOENT. */
int crush_names_set(struct crush_names *t, int32_t id, const char *name);
const char *crush_names_get(const struct crush_names *t, int32_t id);
int crush_names_lookup(const struct crush_names *t, const char *name, int32_t *id);
void crush_names_remove(struct crush_names *t, int32_t id);
void crush_names_fini(struct crush_names *t);

/* Checks every structural invariant the mapper relies on (ids in range,
 * children exist, no cycles, arrays consistent, rule steps valid).
 * 0 or -EINVAL. Decoded and compiled maps are validated before use. */
int crush_map_validate(const struct crush_map *map);

/* The choose_args set id, else the default set (-1), else NULL: what Ceph
 * uses for pool id (OSDMap) and for index 0 (crushtool --test). Returns an
 * array of max_buckets entries for crush_do_rule. */
const struct crush_choose_arg *crush_choose_args_get(const struct crush_map *map, int64_t id);
/* Adds an empty set (max_buckets entries) for id, or returns the existing
 * one. NULL on -ENOMEM. Arrays put into its entries are owned by the map. */
struct crush_choose_arg_map *crush_choose_args_add(struct crush_map *map, int64_t id);

/* Shadow bucket of bucket for class_id, or 0 if none. */
int32_t crush_class_shadow(const struct crush_map *map, int32_t bucket, int32_t class_id);
bool crush_is_shadow(const struct crush_map *map, int32_t bucket);

#endif /* SEPIA_CRUSH_CRUSH_H */
