/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/crush/build.c - sepia-crush --build: a layered hierarchy as crushtool
 * builds it (NAME ALG SIZE per layer, bottom up; SIZE 0 = one bucket of all),
 * plus crushtool's default rule "replicated_rule". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/crush.h"
#include "sepia_crush.h"

/* One --build layer: bucket type id and name, algorithm, items per bucket. */
struct layer {
	int type;
	const char *name;
	int alg;
	int size;
};

/* Groups the lower layer's items (lower, n of them) into buckets of l->size. */
static int build_layer(struct crush_map *map, const struct layer *l, int32_t *lower, uint32_t *lw,
                       int *n)
{
	int type = l->type, alg = l->alg, size = l->size;
	const char *name = l->name;
	int pos = 0, count = 0, j, rc;

	while (pos < *n) {
		struct crush_bucket_spec spec;
		struct crush_bucket *b;
		char bname[20];
		int32_t id;

		for (j = 0; (j < size || size == 0) && pos + j < *n; j++)
			;
		spec = (struct crush_bucket_spec){ alg, type, (uint32_t)j, lower + pos, lw + pos };
		rc = crush_bucket_make(map, &spec, &b);
		if (rc)
			return rc;
		rc = crush_add_bucket(map, 0, b, &id);
		if (rc) {
			crush_bucket_destroy(b);
			return rc;
		}
		if (size)
			snprintf(bname, sizeof(bname), "%s%d", name, count);
		else
			snprintf(bname, sizeof(bname), "%s", name);
		if ((rc = crush_names_set(&map->item_names, id, bname)))
			return rc;
		pos += j;
		/* the new layer reuses the front of the arrays */
		lower[count] = id;
		lw[count++] = b->weight;
	}
	*n = count;
	return 0;
}

static int build_rule(struct crush_map *map, const char *root)
{
	struct crush_rule_step steps[3];
	struct crush_rule_head head = { CRUSH_RULE_TYPE_REPLICATED, 1, 10 };
	int32_t rid, dom = 1;
	int rule;

	if (crush_names_lookup(&map->item_names, root, &rid) < 0)
		return -ENOENT;
	steps[0] = (struct crush_rule_step){ CRUSH_RULE_TAKE, rid, 0 };
	steps[1] = (struct crush_rule_step){ CRUSH_RULE_CHOOSELEAF_FIRSTN, 0, dom };
	steps[2] = (struct crush_rule_step){ CRUSH_RULE_EMIT, 0, 0 };
	if (crush_add_rule(map, 0, &head, steps, 3, &rule))
		return -EINVAL;
	return crush_names_set(&map->rule_names, rule, "replicated_rule");
}

static int build_osds(struct crush_map *map, int num_osds)
{
	char name[32];
	int i, rc;

	map->max_devices = num_osds;
	if ((rc = crush_names_set(&map->type_names, 0, "osd")))
		return rc;
	for (i = 0; i < num_osds; i++) {
		snprintf(name, sizeof(name), "osd.%d", i);
		if ((rc = crush_names_set(&map->item_names, i, name)))
			return rc;
	}
	return 0;
}

static int build_layers(struct crush_map *map, int num_osds, int argc, char **argv)
{
	int32_t *items = malloc(sizeof(*items) * ((size_t)num_osds + 1));
	uint32_t *weights = malloc(sizeof(*weights) * ((size_t)num_osds + 1));
	int i, n = num_osds, rc = -ENOMEM;
	char root[32];

	if (!items || !weights)
		goto out_free;
	for (i = 0; i < num_osds; i++) {
		items[i] = i;
		weights[i] = CRUSH_WEIGHT_ONE;
	}
	for (i = 0; i + 2 < argc; i += 3) {
		struct layer l = { i / 3 + 1, argv[i], crush_alg_parse(argv[i + 1]),
			           atoi(argv[i + 2]) };

		rc = -EINVAL;
		if (l.alg < 0 || l.size < 0 || strlen(argv[i]) > 16) {
			fprintf(stderr, "sepia-crush: bad layer '%s %s %s'\n", argv[i], argv[i + 1],
			        argv[i + 2]);
			goto out_free;
		}
		if ((rc = crush_names_set(&map->type_names, l.type, l.name)) ||
		    (rc = build_layer(map, &l, items, weights, &n)))
			goto out_free;
		snprintf(root, sizeof(root), l.size ? "%s0" : "%s", l.name);
	}
	rc = build_rule(map, root);
out_free:
	free(weights);
	free(items);
	return rc;
}

int tool_build(int num_osds, int argc, char **argv, struct crush_map **out)
{
	struct crush_map *map;
	int rc;

	if (num_osds <= 0 || argc < 3 || argc % 3) {
		fprintf(stderr,
		        "sepia-crush: --build needs --num_osds N and NAME ALG SIZE layers\n");
		return -EINVAL;
	}
	if ((rc = crush_map_create(&map)))
		return rc;
	rc = build_osds(map, num_osds);
	if (!rc)
		rc = build_layers(map, num_osds, argc, argv);
	if (rc) {
		fprintf(stderr, "sepia-crush: build failed: %s\n", strerror(-rc));
		crush_map_destroy(map);
		return rc;
	}
	*out = map;
	return 0;
}
