/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/kvvec.c - sorted vector of owned key/value pairs (xattrs, MemStore
 * omaps): binary search, insertion by memmove. Sizes stay small enough
 * (attrs of one object, omap of one test object) that O(n) inserts win over
 * a tree in code size and locality. */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "store/store_int.h"

void store_kvvec_init(struct store_kvvec *kv)
{
	memset(kv, 0, sizeof(*kv));
}

static void ent_free(struct store_kvent *e)
{
	mem_free(e->key);
	mem_free(e->val);
}

void store_kvvec_clear(struct store_kvvec *kv)
{
	for (size_t i = 0; i < kv->n; i++)
		ent_free(&kv->v[i]);
	kv->n = 0;
	kv->bytes = 0;
}

void store_kvvec_fini(struct store_kvvec *kv)
{
	store_kvvec_clear(kv);
	mem_free(kv->v);
	store_kvvec_init(kv);
}

size_t store_kvvec_lower(const struct store_kvvec *kv, const char *k)
{
	size_t lo = 0, hi = kv->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(kv->v[mid].key, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct store_kvent *store_kvvec_find(const struct store_kvvec *kv, const char *k)
{
	size_t i = store_kvvec_lower(kv, k);

	return i < kv->n && strcmp(kv->v[i].key, k) == 0 ? &kv->v[i] : NULL;
}

int store_kvvec_set(struct store_kvvec *kv, const char *k, const void *val, size_t len)
{
	size_t i = store_kvvec_lower(kv, k);
	void *copy = mem_malloc(len ? len : 1);
	char *key;

	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, val, len);
	if (i < kv->n && strcmp(kv->v[i].key, k) == 0) {
		kv->bytes += len - kv->v[i].len;
		mem_free(kv->v[i].val);
		kv->v[i].val = copy;
		kv->v[i].len = len;
		return 0;
	}
	key = mem_strdup(k);
	if (!key || mem_grow(&kv->v, sizeof(*kv->v), &kv->cap, kv->n + 1) < 0) {
		mem_free(key);
		mem_free(copy);
		return -ENOMEM;
	}
	memmove(&kv->v[i + 1], &kv->v[i], (kv->n - i) * sizeof(*kv->v));
	kv->v[i] = (struct store_kvent){ .key = key, .val = copy, .len = len };
	kv->n++;
	kv->bytes += strlen(k) + len;
	return 0;
}

static void remove_at(struct store_kvvec *kv, size_t i, size_t n)
{
	for (size_t j = i; j < i + n; j++) {
		kv->bytes -= strlen(kv->v[j].key) + kv->v[j].len;
		ent_free(&kv->v[j]);
	}
	memmove(&kv->v[i], &kv->v[i + n], (kv->n - i - n) * sizeof(*kv->v));
	kv->n -= n;
}

void store_kvvec_remove(struct store_kvvec *kv, const char *k)
{
	size_t i = store_kvvec_lower(kv, k);

	if (i < kv->n && strcmp(kv->v[i].key, k) == 0)
		remove_at(kv, i, 1);
}

void store_kvvec_remove_range(struct store_kvvec *kv, const char *first, const char *last)
{
	size_t i = store_kvvec_lower(kv, first);
	size_t j = last ? store_kvvec_lower(kv, last) : kv->n;

	if (j > i)
		remove_at(kv, i, j - i);
}

int store_kvvec_copy(struct store_kvvec *dst, const struct store_kvvec *src)
{
	struct store_kvvec tmp;

	store_kvvec_init(&tmp);
	for (size_t i = 0; i < src->n; i++) {
		if (store_kvvec_set(&tmp, src->v[i].key, src->v[i].val, src->v[i].len) < 0) {
			store_kvvec_fini(&tmp);
			return -ENOMEM;
		}
	}
	store_kvvec_fini(dst);
	*dst = tmp;
	return 0;
}

int store_kvvec_visit(const struct store_kvvec *kv, const char *start, bool exact, unsigned max,
                      store_kv_fn *fn, void *arg)
{
	size_t i = start ? store_kvvec_lower(kv, start) : 0;
	int seen = 0;

	for (; i < kv->n && (max == 0 || (unsigned)seen < max); i++) {
		if (exact && strcmp(kv->v[i].key, start) != 0)
			break;
		seen++;
		if (fn(kv->v[i].key, kv->v[i].val, kv->v[i].len, arg))
			break;
	}
	return seen;
}
