/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/ceph_codec.c - read a CRUSH map in Ceph's binary encoding (what
 * crushtool -o writes and "ceph osd getcrushmap" returns).
 * Layout (facts of the format, little-endian): u32 magic 0x00010000,
 * s32 max_buckets, u32 max_rules, s32 max_devices; per bucket slot a u32 alg
 * (0 = hole) then id, u16 type, u8 alg, u8 hash, u32 weight, u32 size,
 * s32 items[size] and the per-algorithm arrays; per rule slot a u32
 * present flag, u32 len, u8 ruleset/type/min_size/max_size, len steps of
 * (u32 op, s32 arg1, s32 arg2); the type, item and rule name maps; the
 * tunables; then, from Luminous on, device classes, class shadow ids and
 * choose_args. Sections an older encoder did not write keep their defaults. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "crush/crush_int.h"

#define CEPH_CRUSH_MAGIC 0x00010000u

/* Per-algorithm arrays after the items; fills weights (and straws). */
static void read_alg_arrays(struct crush_cur *c, int alg, uint32_t size, uint32_t *w,
                            uint32_t *straws)
{
	uint32_t i, n, node_w[256] = { 0 };

	if (alg == CRUSH_BUCKET_UNIFORM) {
		w[0] = crush_cur_u32(c);
		for (i = 1; i < size; i++)
			w[i] = w[0];
	} else if (alg == CRUSH_BUCKET_TREE) {
		n = crush_cur_u8(c); /* Ceph keeps num_nodes in one byte */
		for (i = 0; i < n; i++)
			node_w[i] = crush_cur_u32(c);
		for (i = 0; i < size; i++)
			w[i] = 2 * i + 1 < n ? node_w[2 * i + 1] : 0;
	} else {
		for (i = 0; i < size; i++) {
			w[i] = crush_cur_u32(c);
			if (alg == CRUSH_BUCKET_LIST)
				(void)crush_cur_u32(c); /* running sum, recomputed */
			else if (alg == CRUSH_BUCKET_STRAW)
				straws[i] = crush_cur_u32(c);
		}
	}
}

static int read_bucket(struct crush_cur *c, struct crush_map *m, int32_t slot)
{
	int32_t id = (int32_t)crush_cur_u32(c), *items = NULL;
	uint32_t type = crush_cur_u16(c), alg = crush_cur_u8(c), hash = crush_cur_u8(c),
	         weight = crush_cur_u32(c);
	uint32_t size = crush_cur_u32(c), *w = NULL, *straws = NULL, i;
	struct crush_bucket_spec spec;
	struct crush_bucket *b;
	int rc = -ENOMEM;

	if (c->rc || id != -1 - slot || hash != CRUSH_HASH_RJENKINS1 || !crush_alg_name((int)alg) ||
	    size > CRUSH_MAX_BUCKET_SIZE || c->left / 4 < size)
		return -EBADMSG;
	items = malloc(sizeof(*items) * (size + 1));
	w = calloc(size + 1, sizeof(*w));
	straws = calloc(size + 1, sizeof(*straws));
	if (!items || !w || !straws)
		goto out_free;
	for (i = 0; i < size; i++)
		items[i] = (int32_t)crush_cur_u32(c);
	read_alg_arrays(c, (int)alg, size, w, straws);
	spec = (struct crush_bucket_spec){ (int)alg, (int)type, size, items, w };
	rc = c->rc ? c->rc : crush_bucket_make(m, &spec, &b);
	if (rc)
		goto out_free;
	if (alg == CRUSH_BUCKET_STRAW)
		memcpy(b->straws, straws, sizeof(*straws) * size);
	if (alg == CRUSH_BUCKET_UNIFORM)
		b->weight = weight; /* shadow uniform buckets differ from size * w */
	rc = crush_add_bucket(m, id, b, NULL);
	if (rc)
		crush_bucket_destroy(b);
out_free:
	free(straws);
	free(w);
	free(items);
	return rc == -EINVAL || rc == -ERANGE || rc == -EEXIST ? -EBADMSG : rc;
}

static int read_rules(struct crush_cur *c, struct crush_map *m, uint32_t n)
{
	struct crush_rule_step *steps;
	uint32_t i, s, len;
	int rc = 0, id;

	for (i = 0; i < n && !rc; i++) {
		struct crush_rule_head head;
		uint8_t ruleset;

		if (!crush_cur_u32(c))
			continue;
		len = crush_cur_u32(c);
		ruleset = crush_cur_u8(c);
		head.type = crush_cur_u8(c);
		head.min_size = crush_cur_u8(c);
		head.max_size = crush_cur_u8(c);
		if (c->rc || len > CRUSH_MAX_RULE_STEPS || c->left / 12 < len)
			return -EBADMSG;
		steps = malloc(sizeof(*steps) * (len + 1));
		if (!steps)
			return -ENOMEM;
		for (s = 0; s < len; s++) {
			steps[s].op = crush_cur_u32(c);
			steps[s].arg1 = (int32_t)crush_cur_u32(c);
			steps[s].arg2 = (int32_t)crush_cur_u32(c);
		}
		rc = crush_add_rule(m, (int)i, &head, steps, len, &id);
		if (!rc)
			m->rules[i]->ruleset = ruleset;
		free(steps);
	}
	return rc == -EINVAL || rc == -EEXIST ? -EBADMSG : rc;
}

/* map<s32, string> */
static int read_names(struct crush_cur *c, struct crush_names *t)
{
	uint32_t n = crush_cur_u32(c), i, len;
	char name[CRUSH_NAME_MAX + 1];
	int rc;

	for (i = 0; i < n && !c->rc; i++) {
		int32_t id = (int32_t)crush_cur_u32(c);

		len = crush_cur_u32(c);
		if (len == 0 || len > CRUSH_NAME_MAX || !crush_cur_need(c, len))
			return -EBADMSG;
		memcpy(name, c->p, len);
		name[len] = '\0';
		c->p += len;
		c->left -= len;
		if (strlen(name) != len || crush_names_get(t, id))
			return -EBADMSG;
		if ((rc = crush_names_set(t, id, name)))
			return rc;
	}
	return c->rc;
}

static void read_tunables(struct crush_cur *c, struct crush_map *m)
{
	if (!c->left)
		return; /* pre-Bobtail encoding: legacy values stand */
	m->choose_local_tries = crush_cur_u32(c);
	m->choose_local_fallback_tries = crush_cur_u32(c);
	m->choose_total_tries = crush_cur_u32(c);
	if (c->left)
		m->chooseleaf_descend_once = crush_cur_u32(c);
	if (c->left)
		m->chooseleaf_vary_r = crush_cur_u8(c);
	if (c->left)
		m->straw_calc_version = crush_cur_u8(c);
	if (c->left)
		m->allowed_bucket_algs = crush_cur_u32(c);
	if (c->left)
		m->chooseleaf_stable = crush_cur_u8(c);
}

/* class_map (item -> class), class_name, class_bucket; shadow buckets'
 * own class entries are implied by class_bucket and skipped. */
static int read_classes(struct crush_cur *c, struct crush_map *m)
{
	uint32_t n = crush_cur_u32(c), i, k, inner;
	int32_t *pairs;
	int rc = 0;

	if (c->rc || c->left / 8 < n)
		return -EBADMSG;
	pairs = malloc(sizeof(*pairs) * 2 * (n + 1));
	if (!pairs)
		return -ENOMEM;
	for (i = 0; i < 2 * n; i++)
		pairs[i] = (int32_t)crush_cur_u32(c);
	rc = read_names(c, &m->class_names);
	for (i = 0; i < n && !rc; i++) {
		const char *cls = crush_names_get(&m->class_names, pairs[2 * i + 1]);

		if (!cls)
			rc = -EBADMSG;
		else if (pairs[2 * i] >= 0)
			rc = crush_set_device_class(m, pairs[2 * i], cls);
	}
	free(pairs);
	n = crush_cur_u32(c);
	for (i = 0; i < n && !rc && !c->rc; i++) {
		int32_t bucket = (int32_t)crush_cur_u32(c);

		inner = crush_cur_u32(c);
		for (k = 0; k < inner && !rc && !c->rc; k++) {
			struct crush_class_bucket *v =
			    realloc(m->class_buckets, sizeof(*v) * (m->num_class_buckets + 1));

			if (!v)
				return -ENOMEM;
			m->class_buckets = v;
			v[m->num_class_buckets].bucket = bucket;
			v[m->num_class_buckets].class_id = (int32_t)crush_cur_u32(c);
			v[m->num_class_buckets++].shadow = (int32_t)crush_cur_u32(c);
		}
	}
	return rc ? rc : c->rc;
}

static int read_map(struct crush_cur *c, struct crush_map *m)
{
	int32_t nb, i;
	uint32_t nr;
	int rc;

	if (crush_cur_u32(c) != CEPH_CRUSH_MAGIC)
		return -EBADMSG;
	nb = (int32_t)crush_cur_u32(c);
	nr = crush_cur_u32(c);
	m->max_devices = (int32_t)crush_cur_u32(c);
	if (c->rc || nb < 0 || nb > CRUSH_MAX_ITEMS || (size_t)nb > c->left ||
	    nr > CRUSH_MAX_RULES || m->max_devices < 0 || m->max_devices > CRUSH_MAX_ITEMS)
		return -EBADMSG;
	m->buckets = calloc((size_t)nb + 1, sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	m->max_buckets = nb;
	for (i = 0; i < nb; i++)
		if (crush_cur_u32(c) && (rc = read_bucket(c, m, i)))
			return rc;
	if ((rc = read_rules(c, m, nr)) || (rc = crush_set_max_rules(m, nr)) ||
	    (rc = read_names(c, &m->type_names)) || (rc = read_names(c, &m->item_names)) ||
	    (rc = read_names(c, &m->rule_names)))
		return rc;
	crush_tunables_set(m, CRUSH_TUNABLES_LEGACY);
	m->straw_calc_version = 0;
	read_tunables(c, m);
	if (!c->rc && c->left && (rc = read_classes(c, m)))
		return rc;
	if (!c->rc && c->left && (rc = crush_choose_args_decode(c, m)))
		return rc;
	return c->rc;
}

int crush_decode_ceph(const uint8_t *buf, size_t len, struct crush_map **out)
{
	struct crush_cur c = { buf, len, 0 };
	struct crush_map *m;
	int rc = crush_map_create(&m);

	if (rc)
		return rc;
	rc = read_map(&c, m);
	if (!rc)
		rc = crush_map_validate(m);
	if (rc) {
		crush_map_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}
