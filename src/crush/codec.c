/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/codec.c - binary encode/decode of struct crush_map.
 * Uses the module's bounds-checked cursor (crush_int.h; common/enc.h is not a dependency of
 * crush yet); every read checks the remaining length and latches -EBADMSG.
 * Payload v1: counts and tunables, buckets (items, weights, straws; list
 * sums and tree nodes are recomputed), rules, the four name tables, device
 * classes, class shadow ids and choose_args (in Ceph's layout). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "crush/crush_int.h"

struct wbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int rc;
};

static void w_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->rc)
		return;
	if (w->len + n > w->cap) {
		size_t cap = (w->cap + n) * 2;
		uint8_t *p = realloc(w->p, cap);

		if (!p) {
			w->rc = -ENOMEM;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	w_bytes(w, b, 4);
}

static void enc_names(struct wbuf *w, const struct crush_names *t)
{
	uint32_t i;

	w_u32(w, t->n);
	for (i = 0; i < t->n; i++) {
		size_t n = strlen(t->v[i].name);

		w_u32(w, (uint32_t)t->v[i].id);
		w_u32(w, (uint32_t)n);
		w_bytes(w, t->v[i].name, n);
	}
}

static void enc_bucket(struct wbuf *w, const struct crush_bucket *b)
{
	uint32_t i;

	w_u32(w, (uint32_t)b->id);
	w_u32(w, b->type);
	w_u8(w, b->alg);
	w_u8(w, b->hash);
	w_u32(w, b->weight);
	w_u32(w, b->size);
	for (i = 0; i < b->size; i++) {
		w_u32(w, (uint32_t)b->items[i]);
		w_u32(w, b->item_weights[i]);
		if (b->alg == CRUSH_BUCKET_STRAW)
			w_u32(w, b->straws[i]);
	}
}

static void enc_rules(struct wbuf *w, const struct crush_map *m)
{
	uint32_t r, s;

	w_u32(w, m->max_rules);
	for (r = 0; r < m->max_rules; r++) {
		const struct crush_rule *rule = m->rules[r];

		w_u8(w, rule != NULL);
		if (!rule)
			continue;
		w_u8(w, rule->ruleset);
		w_u8(w, rule->type);
		w_u8(w, rule->min_size);
		w_u8(w, rule->max_size);
		w_u32(w, rule->len);
		for (s = 0; s < rule->len; s++) {
			w_u32(w, rule->steps[s].op);
			w_u32(w, (uint32_t)rule->steps[s].arg1);
			w_u32(w, (uint32_t)rule->steps[s].arg2);
		}
	}
}

/* choose_args in Ceph's layout (see crush_choose_args_decode). */
static void enc_choose_args(struct wbuf *w, const struct crush_map *m)
{
	uint32_t i, b, p, k, n;

	w_u32(w, m->num_choose_args);
	for (i = 0; i < m->num_choose_args; i++) {
		const struct crush_choose_arg_map *c = &m->choose_args[i];

		w_u32(w, (uint32_t)(uint64_t)c->id);
		w_u32(w, (uint32_t)((uint64_t)c->id >> 32));
		for (b = 0, n = 0; b < c->size; b++)
			n += c->args[b].ids || c->args[b].weight_set;
		w_u32(w, n);
		for (b = 0; b < c->size; b++) {
			const struct crush_choose_arg *a = &c->args[b];

			if (!a->ids && !a->weight_set)
				continue;
			w_u32(w, b);
			w_u32(w, a->weight_set ? a->weight_set_positions : 0);
			for (p = 0; a->weight_set && p < a->weight_set_positions; p++) {
				w_u32(w, a->weight_set[p].size);
				for (k = 0; k < a->weight_set[p].size; k++)
					w_u32(w, a->weight_set[p].weights[k]);
			}
			w_u32(w, a->ids ? a->ids_size : 0);
			for (k = 0; a->ids && k < a->ids_size; k++)
				w_u32(w, (uint32_t)a->ids[k]);
		}
	}
}

static void enc_payload(struct wbuf *w, const struct crush_map *m)
{
	int32_t i;
	uint32_t k;

	w_u32(w, (uint32_t)m->max_devices);
	w_u32(w, m->choose_local_tries);
	w_u32(w, m->choose_local_fallback_tries);
	w_u32(w, m->choose_total_tries);
	w_u32(w, m->chooseleaf_descend_once);
	w_u8(w, m->chooseleaf_vary_r);
	w_u8(w, m->chooseleaf_stable);
	w_u8(w, m->straw_calc_version);
	w_u32(w, m->allowed_bucket_algs);
	w_u32(w, (uint32_t)m->max_buckets);
	for (i = 0; i < m->max_buckets; i++) {
		w_u8(w, m->buckets[i] != NULL);
		if (m->buckets[i])
			enc_bucket(w, m->buckets[i]);
	}
	enc_rules(w, m);
	enc_names(w, &m->type_names);
	enc_names(w, &m->item_names);
	enc_names(w, &m->rule_names);
	enc_names(w, &m->class_names);
	for (i = 0, k = 0; i < m->device_class_len; i++)
		k += m->device_class[i] >= 0;
	w_u32(w, k);
	for (i = 0; i < m->device_class_len; i++) {
		if (m->device_class[i] < 0)
			continue;
		w_u32(w, (uint32_t)i);
		w_u32(w, (uint32_t)m->device_class[i]);
	}
	w_u32(w, m->num_class_buckets);
	for (k = 0; k < m->num_class_buckets; k++) {
		w_u32(w, (uint32_t)m->class_buckets[k].bucket);
		w_u32(w, (uint32_t)m->class_buckets[k].class_id);
		w_u32(w, (uint32_t)m->class_buckets[k].shadow);
	}
	enc_choose_args(w, m);
}

int crush_encode(const struct crush_map *map, uint8_t **out, size_t *len)
{
	struct wbuf w = { 0 };
	uint32_t plen;

	w_bytes(&w, CRUSH_CODEC_MAGIC, CRUSH_CODEC_MAGIC_LEN);
	w_u8(&w, CRUSH_CODEC_STRUCT_V);
	w_u8(&w, CRUSH_CODEC_COMPAT_V);
	w_u32(&w, 0); /* length, patched below */
	enc_payload(&w, map);
	if (w.rc) {
		free(w.p);
		return w.rc;
	}
	plen = (uint32_t)(w.len - CRUSH_CODEC_MAGIC_LEN - 6);
	w.p[CRUSH_CODEC_MAGIC_LEN + 2] = (uint8_t)plen;
	w.p[CRUSH_CODEC_MAGIC_LEN + 3] = (uint8_t)(plen >> 8);
	w.p[CRUSH_CODEC_MAGIC_LEN + 4] = (uint8_t)(plen >> 16);
	w.p[CRUSH_CODEC_MAGIC_LEN + 5] = (uint8_t)(plen >> 24);
	*out = w.p;
	*len = w.len;
	return 0;
}

static int dec_names(struct crush_cur *r, struct crush_names *t)
{
	uint32_t n = crush_cur_u32(r), i;
	char name[CRUSH_NAME_MAX + 1];
	int rc;

	for (i = 0; i < n && !r->rc; i++) {
		int32_t id = (int32_t)crush_cur_u32(r);
		uint32_t len = crush_cur_u32(r);

		if (len == 0 || len > CRUSH_NAME_MAX || !crush_cur_need(r, len))
			return -EBADMSG;
		memcpy(name, r->p, len);
		name[len] = '\0';
		r->p += len;
		r->left -= len;
		if (strlen(name) != len || crush_names_get(t, id))
			return -EBADMSG;
		rc = crush_names_set(t, id, name);
		if (rc)
			return rc;
	}
	return r->rc;
}

/* Reads one bucket's arrays and rebuilds it; straws and uniform weights are
 * taken as encoded (they may predate the current straw_calc_version). */
static int dec_bucket(struct crush_cur *r, struct crush_map *m, int32_t slot)
{
	int32_t id = (int32_t)crush_cur_u32(r), *items = NULL;
	uint32_t type = crush_cur_u32(r), alg = crush_cur_u8(r), hash = crush_cur_u8(r);
	uint32_t weight = crush_cur_u32(r);
	uint32_t size = crush_cur_u32(r), per = alg == CRUSH_BUCKET_STRAW ? 12 : 8, i;
	uint32_t *weights = NULL, *straws = NULL;
	struct crush_bucket_spec spec;
	struct crush_bucket *b;
	int rc = -ENOMEM;

	if (r->rc || id != -1 - slot || type > 65535 || hash != CRUSH_HASH_RJENKINS1 ||
	    !crush_alg_name((int)alg) || size > CRUSH_MAX_BUCKET_SIZE || r->left / per < size)
		return -EBADMSG;
	items = malloc(sizeof(*items) * (size + 1));
	weights = malloc(sizeof(*weights) * (size + 1));
	straws = malloc(sizeof(*straws) * (size + 1));
	if (!items || !weights || !straws)
		goto out_free;
	for (i = 0; i < size; i++) {
		items[i] = (int32_t)crush_cur_u32(r);
		weights[i] = crush_cur_u32(r);
		straws[i] = per == 12 ? crush_cur_u32(r) : 0;
	}
	spec = (struct crush_bucket_spec){ (int)alg, (int)type, size, items, weights };
	rc = crush_bucket_make(m, &spec, &b);
	if (rc)
		goto out_free;
	if (alg == CRUSH_BUCKET_STRAW)
		memcpy(b->straws, straws, sizeof(*straws) * size);
	if (alg == CRUSH_BUCKET_UNIFORM) {
		memcpy(b->item_weights, weights, sizeof(*weights) * size);
		b->weight = weight;
	}
	rc = crush_add_bucket(m, id, b, NULL);
	if (rc)
		crush_bucket_destroy(b);
out_free:
	free(straws);
	free(weights);
	free(items);
	return rc == -EINVAL || rc == -ERANGE || rc == -EEXIST ? -EBADMSG : rc;
}

static int dec_rules(struct crush_cur *r, struct crush_map *m)
{
	uint32_t n = crush_cur_u32(r), i, s;
	struct crush_rule_step *steps;
	int rc = 0, id;

	if (n > CRUSH_MAX_RULES)
		return -EBADMSG;
	for (i = 0; i < n && !r->rc && !rc; i++) {
		uint8_t ruleset, type, mn, mx;
		uint32_t len;

		if (!crush_cur_u8(r))
			continue;
		ruleset = crush_cur_u8(r);
		type = crush_cur_u8(r);
		mn = crush_cur_u8(r);
		mx = crush_cur_u8(r);
		len = crush_cur_u32(r);
		if (r->rc || len > CRUSH_MAX_RULE_STEPS || r->left / 12 < len)
			return -EBADMSG;
		steps = malloc(sizeof(*steps) * (len + 1));
		if (!steps)
			return -ENOMEM;
		for (s = 0; s < len; s++) {
			steps[s].op = crush_cur_u32(r);
			steps[s].arg1 = (int32_t)crush_cur_u32(r);
			steps[s].arg2 = (int32_t)crush_cur_u32(r);
		}
		rc = crush_add_rule(m, (int)i, &(struct crush_rule_head){ type, mn, mx }, steps,
		                    len, &id);
		if (!rc)
			m->rules[i]->ruleset = ruleset;
		free(steps);
	}
	if (!rc) /* trailing holes keep max_rules */
		rc = crush_set_max_rules(m, n);
	return rc == -EINVAL || rc == -EEXIST ? -EBADMSG : (rc ? rc : r->rc);
}

static int dec_classes(struct crush_cur *r, struct crush_map *m)
{
	uint32_t n = crush_cur_u32(r), i;
	int rc;

	for (i = 0; i < n && !r->rc; i++) {
		int32_t dev = (int32_t)crush_cur_u32(r), cls = (int32_t)crush_cur_u32(r);
		const char *name = crush_names_get(&m->class_names, cls);

		if (r->rc || !name || dev < 0 || dev >= m->max_devices)
			return -EBADMSG;
		rc = crush_set_device_class(m, dev, name);
		if (rc)
			return rc;
	}
	n = crush_cur_u32(r);
	if (r->rc || r->left / 12 < n)
		return -EBADMSG;
	m->class_buckets = malloc(sizeof(*m->class_buckets) * (n + 1));
	if (!m->class_buckets)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct crush_class_bucket *cb = &m->class_buckets[i];

		cb->bucket = (int32_t)crush_cur_u32(r);
		cb->class_id = (int32_t)crush_cur_u32(r);
		cb->shadow = (int32_t)crush_cur_u32(r);
		if (!crush_get_bucket(m, cb->bucket) || !crush_get_bucket(m, cb->shadow) ||
		    !crush_names_get(&m->class_names, cb->class_id))
			return -EBADMSG;
	}
	m->num_class_buckets = n;
	return r->rc ? r->rc : crush_choose_args_decode(r, m);
}

static int dec_payload(struct crush_cur *r, struct crush_map *m)
{
	int32_t nb, i;
	int rc;

	m->max_devices = (int32_t)crush_cur_u32(r);
	m->choose_local_tries = crush_cur_u32(r);
	m->choose_local_fallback_tries = crush_cur_u32(r);
	m->choose_total_tries = crush_cur_u32(r);
	m->chooseleaf_descend_once = crush_cur_u32(r);
	m->chooseleaf_vary_r = crush_cur_u8(r);
	m->chooseleaf_stable = crush_cur_u8(r);
	m->straw_calc_version = crush_cur_u8(r);
	m->allowed_bucket_algs = crush_cur_u32(r);
	nb = (int32_t)crush_cur_u32(r);
	if (r->rc || m->max_devices < 0 || m->max_devices > CRUSH_MAX_ITEMS || nb < 0 ||
	    nb > CRUSH_MAX_ITEMS || (size_t)nb > r->left)
		return -EBADMSG;
	m->buckets = calloc((size_t)nb + 1, sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	m->max_buckets = nb;
	for (i = 0; i < nb; i++) {
		if (!crush_cur_u8(r))
			continue;
		rc = dec_bucket(r, m, i);
		if (rc)
			return rc;
	}
	if (r->rc)
		return -EBADMSG;
	if ((rc = dec_rules(r, m)) || (rc = dec_names(r, &m->type_names)) ||
	    (rc = dec_names(r, &m->item_names)) || (rc = dec_names(r, &m->rule_names)) ||
	    (rc = dec_names(r, &m->class_names)))
		return rc;
	return dec_classes(r, m);
}

int crush_decode(const uint8_t *buf, size_t len, struct crush_map **out)
{
	struct crush_cur r = { buf, len, 0 };
	struct crush_map *m;
	uint32_t plen;
	uint8_t sv, cv;
	int rc;

	if (len < CRUSH_CODEC_MAGIC_LEN + 6 ||
	    memcmp(buf, CRUSH_CODEC_MAGIC, CRUSH_CODEC_MAGIC_LEN))
		return -EBADMSG;
	r.p += CRUSH_CODEC_MAGIC_LEN;
	r.left -= CRUSH_CODEC_MAGIC_LEN;
	sv = crush_cur_u8(&r);
	cv = crush_cur_u8(&r);
	plen = crush_cur_u32(&r);
	if (cv > CRUSH_CODEC_STRUCT_V)
		return -ENOTSUP;
	if (sv < cv || plen > r.left)
		return -EBADMSG;
	r.left = plen; /* bytes past our payload (newer versions) are skipped */
	rc = crush_map_create(&m);
	if (rc)
		return rc;
	rc = dec_payload(&r, m);
	if (!rc)
		rc = crush_map_validate(m);
	if (rc) {
		crush_map_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}
