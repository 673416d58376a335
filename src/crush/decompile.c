/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/decompile.c - struct crush_map -> crushtool text format.
 * The layout (sections, tabs, comments, 3-decimal weights, children before
 * parents, shadow buckets only as "id N class C" lines) is crushtool's, so
 * the two tools' outputs can be diffed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crush/crush.h"
#include "crush/text.h"

/* Growing output buffer; a failed append latches -ENOMEM. */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
	int rc;
};

static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= b->cap - b->len) {
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->rc = -ENOMEM;
			return;
		}
		b->s = s;
		b->cap = cap;
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	if (n < 0)
		b->rc = -EINVAL;
	else
		b->len += (size_t)n;
}

static void put_item(struct sbuf *b, const struct crush_map *m, int32_t id)
{
	const char *name = crush_names_get(&m->item_names, id);

	if (name)
		put(b, "%s", name);
	else if (id >= 0)
		put(b, "device%d", id);
	else
		put(b, "bucket%d", -1 - id);
}

static void put_type(struct sbuf *b, const struct crush_map *m, int32_t type)
{
	const char *name = crush_names_get(&m->type_names, type);

	if (name)
		put(b, "%s", name);
	else
		put(b, "type%d", type);
}

static void put_weight(struct sbuf *b, uint32_t w)
{
	put(b, "%.3f", (double)((float)w / (float)0x10000));
}

static void put_tunables(struct sbuf *b, const struct crush_map *m)
{
	if (m->choose_local_tries != 2)
		put(b, "tunable choose_local_tries %u\n", m->choose_local_tries);
	if (m->choose_local_fallback_tries != 5)
		put(b, "tunable choose_local_fallback_tries %u\n", m->choose_local_fallback_tries);
	if (m->choose_total_tries != 19)
		put(b, "tunable choose_total_tries %u\n", m->choose_total_tries);
	if (m->chooseleaf_descend_once != 0)
		put(b, "tunable chooseleaf_descend_once %u\n", m->chooseleaf_descend_once);
	if (m->chooseleaf_vary_r != 0)
		put(b, "tunable chooseleaf_vary_r %u\n", m->chooseleaf_vary_r);
	if (m->chooseleaf_stable != 0)
		put(b, "tunable chooseleaf_stable %u\n", m->chooseleaf_stable);
	if (m->straw_calc_version != 0)
		put(b, "tunable straw_calc_version %u\n", m->straw_calc_version);
	if (m->allowed_bucket_algs != CRUSH_LEGACY_ALLOWED_BUCKET_ALGS)
		put(b, "tunable allowed_bucket_algs %u\n", m->allowed_bucket_algs);
}

/* Smallest id in t greater than after, or -1 if none (ids are >= 0). */
static int32_t next_id(const struct crush_names *t, int32_t after)
{
	int32_t best = -1;
	uint32_t j;

	for (j = 0; j < t->n; j++)
		if (t->v[j].id > after && (best < 0 || t->v[j].id < best))
			best = t->v[j].id;
	return best;
}

static void put_devices_types(struct sbuf *b, const struct crush_map *m)
{
	int32_t i, k;

	put(b, "\n# devices\n");
	for (i = 0; i < m->max_devices; i++) {
		const char *name = crush_names_get(&m->item_names, i);

		if (!name)
			continue;
		put(b, "device %d %s", i, name);
		if (i < m->device_class_len && m->device_class[i] >= 0)
			put(b, " class %s", crush_names_get(&m->class_names, m->device_class[i]));
		put(b, "\n");
	}
	put(b, "\n# types\n");
	for (k = next_id(&m->type_names, -1); k >= 0; k = next_id(&m->type_names, k))
		put(b, "type %d %s\n", k, crush_names_get(&m->type_names, k));
}

/* Weight of item i as crushtool reports it (uniform: the shared weight). */
static uint32_t item_weight(const struct crush_bucket *bk, uint32_t i)
{
	if (bk->alg == CRUSH_BUCKET_TREE)
		return bk->node_weights[2 * i + 1];
	return bk->item_weights[i];
}

static void put_bucket_head(struct sbuf *b, const struct crush_map *m,
                            const struct crush_bucket *bk)
{
	static const char *const notes[] = {
		[CRUSH_BUCKET_UNIFORM] = "\t# do not change bucket size (%u) unnecessarily",
		[CRUSH_BUCKET_LIST] =
		    "\t# add new items at the end; do not change order unnecessarily",
		[CRUSH_BUCKET_TREE] = "\t# do not change pos for existing items unnecessarily",
	};
	int32_t cls;
	uint32_t i;

	put_type(b, m, bk->type);
	put(b, " ");
	put_item(b, m, bk->id);
	put(b, " {\n\tid %d\t\t# do not change unnecessarily\n", bk->id);
	for (cls = next_id(&m->class_names, -1); cls >= 0; cls = next_id(&m->class_names, cls)) {
		for (i = 0; i < m->num_class_buckets; i++)
			if (m->class_buckets[i].bucket == bk->id &&
			    m->class_buckets[i].class_id == cls)
				put(b, "\tid %d class %s\t\t# do not change unnecessarily\n",
				    m->class_buckets[i].shadow,
				    crush_names_get(&m->class_names, cls));
	}
	put(b, "\t# weight ");
	put_weight(b, bk->weight);
	put(b, "\n\talg %s", crush_alg_name(bk->alg));
	if (bk->alg <= CRUSH_BUCKET_TREE)
		put(b, notes[bk->alg], bk->size);
	put(b, "\n\thash %d\t# rjenkins1\n", bk->hash);
}

/* Children first (post-order), each bucket once; shadows are skipped. */
static void put_bucket(struct sbuf *b, const struct crush_map *m, int32_t id, uint8_t *done)
{
	const struct crush_bucket *bk = crush_get_bucket(m, id);
	bool pos;
	uint32_t i;

	if (!bk || done[-1 - id] || crush_is_shadow(m, id))
		return;
	done[-1 - id] = 1;
	for (i = 0; i < bk->size; i++)
		if (bk->items[i] < 0)
			put_bucket(b, m, bk->items[i], done);
	put_bucket_head(b, m, bk);
	pos = bk->alg == CRUSH_BUCKET_UNIFORM || bk->alg == CRUSH_BUCKET_TREE;
	for (i = 0; i < bk->size; i++) {
		put(b, "\titem ");
		put_item(b, m, bk->items[i]);
		put(b, " weight ");
		put_weight(b, item_weight(bk, i));
		if (pos)
			put(b, " pos %u", i);
		put(b, "\n");
	}
	put(b, "}\n");
}

static void put_step(struct sbuf *b, const struct crush_map *m, const struct crush_rule_step *st)
{
	static const char *const sets[] = {
		[CRUSH_RULE_SET_CHOOSE_TRIES] = "set_choose_tries",
		[CRUSH_RULE_SET_CHOOSELEAF_TRIES] = "set_chooseleaf_tries",
		[CRUSH_RULE_SET_CHOOSE_LOCAL_TRIES] = "set_choose_local_tries",
		[CRUSH_RULE_SET_CHOOSE_LOCAL_FALLBACK_TRIES] = "set_choose_local_fallback_tries",
		[CRUSH_RULE_SET_CHOOSELEAF_VARY_R] = "set_chooseleaf_vary_r",
		[CRUSH_RULE_SET_CHOOSELEAF_STABLE] = "set_chooseleaf_stable",
	};
	static const char *const chooses[] = {
		[CRUSH_RULE_CHOOSE_FIRSTN] = "choose firstn",
		[CRUSH_RULE_CHOOSE_INDEP] = "choose indep",
		[CRUSH_RULE_CHOOSELEAF_FIRSTN] = "chooseleaf firstn",
		[CRUSH_RULE_CHOOSELEAF_INDEP] = "chooseleaf indep",
	};
	uint32_t i;

	if (st->op == CRUSH_RULE_TAKE) {
		for (i = 0; i < m->num_class_buckets; i++)
			if (m->class_buckets[i].shadow == st->arg1)
				break;
		put(b, "\tstep take ");
		put_item(b, m, i < m->num_class_buckets ? m->class_buckets[i].bucket : st->arg1);
		if (i < m->num_class_buckets)
			put(b, " class %s",
			    crush_names_get(&m->class_names, m->class_buckets[i].class_id));
		put(b, "\n");
	} else if (st->op == CRUSH_RULE_EMIT) {
		put(b, "\tstep emit\n");
	} else if (st->op >= CRUSH_RULE_SET_CHOOSE_TRIES &&
	           st->op <= CRUSH_RULE_SET_CHOOSELEAF_STABLE) {
		put(b, "\tstep %s %d\n", sets[st->op], st->arg1);
	} else if (st->op == CRUSH_RULE_NOOP) {
		put(b, "\tstep noop\n");
	} else if (st->op < sizeof(chooses) / sizeof(chooses[0]) && chooses[st->op]) {
		put(b, "\tstep %s %d type ", chooses[st->op], st->arg1);
		put_type(b, m, st->arg2);
		put(b, "\n");
	}
}

static void put_rules(struct sbuf *b, const struct crush_map *m)
{
	uint32_t r, s;

	put(b, "\n# rules\n");
	for (r = 0; r < m->max_rules; r++) {
		const struct crush_rule *rule = m->rules[r];
		const char *name = crush_names_get(&m->rule_names, (int32_t)r);

		if (!rule)
			continue;
		put(b, "rule %s {\n\tid %u\n", name ? name : "", r);
		if (rule->type == CRUSH_RULE_TYPE_REPLICATED)
			put(b, "\ttype replicated\n");
		else if (rule->type == CRUSH_RULE_TYPE_ERASURE)
			put(b, "\ttype erasure\n");
		else
			put(b, "\ttype %u\n", rule->type);
		put(b, "\tmin_size %u\n\tmax_size %u\n", rule->min_size, rule->max_size);
		for (s = 0; s < rule->len; s++)
			put_step(b, m, &rule->steps[s]);
		put(b, "}\n");
	}
}

static void put_choose_arg(struct sbuf *b, int32_t id, const struct crush_choose_arg *a)
{
	uint32_t p, k;

	put(b, "  {\n    bucket_id %d\n", id);
	if (a->weight_set) {
		put(b, "    weight_set [\n");
		for (p = 0; p < a->weight_set_positions; p++) {
			put(b, "      [ ");
			for (k = 0; k < a->weight_set[p].size; k++) {
				put_weight(b, a->weight_set[p].weights[k]);
				put(b, " ");
			}
			put(b, "]\n");
		}
		put(b, "    ]\n");
	}
	if (a->ids) {
		put(b, "    ids [ ");
		for (k = 0; k < a->ids_size; k++)
			put(b, "%d ", a->ids[k]);
		put(b, "]\n");
	}
	put(b, "  }\n");
}

static void put_choose_args(struct sbuf *b, const struct crush_map *m)
{
	uint32_t i, k;

	if (!m->num_choose_args)
		return;
	put(b, "\n# choose_args\n");
	for (i = 0; i < m->num_choose_args; i++) {
		const struct crush_choose_arg_map *c = &m->choose_args[i];

		put(b, "choose_args %lld {\n", (long long)c->id);
		for (k = 0; k < c->size; k++)
			if (c->args[k].ids || c->args[k].weight_set)
				put_choose_arg(b, -1 - (int32_t)k, &c->args[k]);
		put(b, "}\n");
	}
}

int crush_text_decompile(const struct crush_map *map, char **out, size_t *len)
{
	struct sbuf b = { .s = malloc(4096), .cap = 4096 };
	uint8_t *done = calloc((size_t)map->max_buckets + 1, 1);
	int32_t id;

	if (!done || !b.s) {
		free(done);
		free(b.s);
		return -ENOMEM;
	}
	put(&b, "# begin crush map\n");
	put_tunables(&b, map);
	put_devices_types(&b, map);
	put(&b, "\n# buckets\n");
	for (id = -1; id >= -map->max_buckets; id--)
		put_bucket(&b, map, id, done);
	put_rules(&b, map);
	put_choose_args(&b, map);
	put(&b, "\n# end crush map\n");
	free(done);
	if (b.rc) {
		free(b.s);
		return b.rc;
	}
	*out = b.s;
	*len = b.len;
	return 0;
}
