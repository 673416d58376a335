/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/perf.c - performance counters: a registry of named collections of
 * lock-free atomic counters, gauges, averages and log2 histograms, dumped as
 * JSON.
 *
 * DESIGN
 * A collection owns one struct perf_val per definition; histograms also own
 * PERF_HIST_BUCKETS atomic buckets. Updates are relaxed atomics: they never
 * lock and never allocate. A dump reads each atomic once, so an average's
 * sum and count may be one update apart; that is acceptable for monitoring.
 * Gauges saturate at 0 on perf_dec.
 *
 * Invariants: every collection in reg->colls has a name unique in the
 * registry and pc->reg == reg; vals[i].hist != NULL iff defs[i] is PERF_HIST.
 *
 * Locking: reg->lock guards reg->colls (membership, names); it is a leaf
 * lock, held while a dump walks the list. Values are never locked. */
#include "common/perf.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "common/list.h"
#include "common/log.h"
#include "common/mem.h"

struct perf_val {
	_Atomic uint64_t v;     /* counter, gauge value; avg count */
	_Atomic uint64_t sum;   /* avg sum */
	_Atomic uint64_t *hist; /* PERF_HIST_BUCKETS buckets, PERF_HIST only */
};

struct perf_coll {
	struct list_node node; /* in reg->colls, under reg->lock */
	struct perf_reg *reg;
	char *name;
	const struct perf_def *defs; /* borrowed */
	unsigned n;
	struct perf_val *vals;
};

struct perf_reg {
	pthread_mutex_t lock;   /* guards colls; leaf */
	struct list_node colls; /* struct perf_coll */
};

static const char *const type_names[] = {
	[PERF_COUNTER] = "counter",
	[PERF_GAUGE] = "gauge",
	[PERF_AVG] = "avg",
	[PERF_HIST] = "histogram",
};

int perf_reg_create(struct perf_reg **out)
{
	struct perf_reg *reg;

	if (out == NULL)
		return -EINVAL;
	reg = mem_calloc(1, sizeof(*reg));
	if (reg == NULL)
		return -ENOMEM;
	if (pthread_mutex_init(&reg->lock, NULL) != 0) {
		mem_free(reg);
		return -ENOMEM;
	}
	list_init(&reg->colls);
	*out = reg;
	return 0;
}

static void coll_free(struct perf_coll *pc)
{
	for (unsigned i = 0; i < pc->n; i++)
		mem_free((void *)pc->vals[i].hist);
	mem_free(pc->vals);
	mem_free(pc->name);
	mem_free(pc);
}

void perf_reg_destroy(struct perf_reg *reg)
{
	struct list_node *n;

	if (reg == NULL)
		return;
	while ((n = list_pop_front(&reg->colls)) != NULL)
		coll_free(LIST_CONTAINER(n, struct perf_coll, node));
	pthread_mutex_destroy(&reg->lock);
	mem_free(reg);
}

/* Caller holds reg->lock. */
static struct perf_coll *coll_find_locked(struct perf_reg *reg, const char *name)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &reg->colls)
	{
		struct perf_coll *pc = LIST_CONTAINER(n, struct perf_coll, node);

		if (strcmp(pc->name, name) == 0)
			return pc;
	}
	return NULL;
}

static bool defs_are_valid(const struct perf_def *defs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (defs[i].name == NULL || defs[i].name[0] == '\0' || defs[i].type > PERF_HIST)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(defs[i].name, defs[j].name) == 0)
				return false;
	}
	return true;
}

static struct perf_coll *coll_alloc(const char *name, const struct perf_def *defs, unsigned n)
{
	struct perf_coll *pc = mem_calloc(1, sizeof(*pc));

	if (pc == NULL)
		return NULL;
	pc->defs = defs;
	pc->n = n;
	list_init(&pc->node);
	pc->name = mem_strdup(name);
	pc->vals = mem_calloc(n, sizeof(*pc->vals));
	if (pc->name == NULL || pc->vals == NULL)
		goto out_free;
	for (unsigned i = 0; i < n; i++) {
		if (defs[i].type != PERF_HIST)
			continue;
		pc->vals[i].hist = mem_calloc(PERF_HIST_BUCKETS, sizeof(*pc->vals[i].hist));
		if (pc->vals[i].hist == NULL)
			goto out_free;
	}
	return pc;

out_free:
	pc->n = pc->vals != NULL ? n : 0;
	coll_free(pc);
	return NULL;
}

int perf_coll_create(struct perf_reg *reg, const char *name, const struct perf_def *defs,
                     unsigned n, struct perf_coll **out)
{
	struct perf_coll *pc;
	int rc = 0;

	if (reg == NULL || name == NULL || name[0] == '\0' || defs == NULL || n == 0 ||
	    out == NULL || !defs_are_valid(defs, n))
		return -EINVAL;
	pc = coll_alloc(name, defs, n);
	if (pc == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&reg->lock);
	if (coll_find_locked(reg, name) != NULL) {
		rc = -EEXIST;
	} else {
		pc->reg = reg;
		list_push_back(&reg->colls, &pc->node);
	}
	pthread_mutex_unlock(&reg->lock);
	if (rc < 0) {
		log_warn(perf, "perf: collection %s already registered", name);
		coll_free(pc);
		return rc;
	}
	*out = pc;
	return 0;
}

void perf_coll_destroy(struct perf_coll *pc)
{
	if (pc == NULL)
		return;
	pthread_mutex_lock(&pc->reg->lock);
	list_remove(&pc->node);
	pthread_mutex_unlock(&pc->reg->lock);
	coll_free(pc);
}

static struct perf_val *val_of(struct perf_coll *pc, unsigned idx, unsigned type_mask)
{
	assert(idx < pc->n);
	assert(((1u << pc->defs[idx].type) & type_mask) != 0);
	(void)type_mask;
	return &pc->vals[idx];
}

#define BIT(t) (1u << (t))

void perf_inc(struct perf_coll *pc, unsigned idx, uint64_t v)
{
	if (pc == NULL)
		return;
	atomic_fetch_add_explicit(&val_of(pc, idx, BIT(PERF_COUNTER) | BIT(PERF_GAUGE))->v, v,
	                          memory_order_relaxed);
}

void perf_dec(struct perf_coll *pc, unsigned idx, uint64_t v)
{
	struct perf_val *pv;
	uint64_t old;

	if (pc == NULL)
		return;
	pv = val_of(pc, idx, BIT(PERF_GAUGE));
	old = atomic_load_explicit(&pv->v, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&pv->v, &old, old > v ? old - v : 0,
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}

void perf_set(struct perf_coll *pc, unsigned idx, uint64_t v)
{
	if (pc == NULL)
		return;
	atomic_store_explicit(&val_of(pc, idx, BIT(PERF_GAUGE))->v, v, memory_order_relaxed);
}

void perf_avg_add(struct perf_coll *pc, unsigned idx, uint64_t v)
{
	struct perf_val *pv;

	if (pc == NULL)
		return;
	pv = val_of(pc, idx, BIT(PERF_AVG));
	atomic_fetch_add_explicit(&pv->sum, v, memory_order_relaxed);
	atomic_fetch_add_explicit(&pv->v, 1, memory_order_relaxed);
}

/* 0 -> 0; [2^(i-1), 2^i) -> i; the last bucket also takes everything above. */
static unsigned hist_bucket(uint64_t v)
{
	unsigned b;

	if (v == 0)
		return 0;
	b = 64u - (unsigned)__builtin_clzll(v);
	return b < PERF_HIST_BUCKETS ? b : PERF_HIST_BUCKETS - 1;
}

void perf_hist_add(struct perf_coll *pc, unsigned idx, uint64_t v)
{
	struct perf_val *pv;

	if (pc == NULL)
		return;
	pv = val_of(pc, idx, BIT(PERF_HIST));
	atomic_fetch_add_explicit(&pv->hist[hist_bucket(v)], 1, memory_order_relaxed);
}

uint64_t perf_get(struct perf_coll *pc, unsigned idx)
{
	struct perf_val *pv;
	uint64_t total = 0;

	if (pc == NULL)
		return 0;
	pv = val_of(pc, idx, ~0u);
	if (pc->defs[idx].type != PERF_HIST)
		return atomic_load_explicit(&pv->v, memory_order_relaxed);
	for (unsigned b = 0; b < PERF_HIST_BUCKETS; b++) /* histogram: samples */
		total += atomic_load_explicit(&pv->hist[b], memory_order_relaxed);
	return total;
}

static json_t *u64_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *avg_json(const struct perf_def *d, struct perf_val *pv)
{
	uint64_t count = atomic_load_explicit(&pv->v, memory_order_relaxed);
	uint64_t sum = atomic_load_explicit(&pv->sum, memory_order_relaxed);

	if (d->flags & PERF_F_TIME)
		return json_pack("{s:o, s:f}", "avgcount", u64_json(count), "sum",
		                 (double)sum / 1e9);
	return json_pack("{s:o, s:o}", "avgcount", u64_json(count), "sum", u64_json(sum));
}

static json_t *hist_json(struct perf_val *pv)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return NULL;
	for (unsigned b = 0; b < PERF_HIST_BUCKETS; b++) {
		uint64_t v = atomic_load_explicit(&pv->hist[b], memory_order_relaxed);

		if (json_array_append_new(arr, u64_json(v)) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:o}", "buckets", arr);
}

static json_t *val_json(const struct perf_def *d, struct perf_val *pv)
{
	switch (d->type) {
	case PERF_AVG:
		return avg_json(d, pv);
	case PERF_HIST:
		return hist_json(pv);
	default:
		return u64_json(atomic_load_explicit(&pv->v, memory_order_relaxed));
	}
}

static json_t *def_schema_json(const struct perf_def *d)
{
	return json_pack("{s:s, s:i, s:s}", "type", type_names[d->type], "flags", (int)d->flags,
	                 "description", d->desc != NULL ? d->desc : "");
}

/* One collection as {"<name>": ...}; schema selects descriptions or values. */
static json_t *coll_json(struct perf_coll *pc, bool schema)
{
	json_t *obj = json_object();

	if (obj == NULL)
		return NULL;
	for (unsigned i = 0; i < pc->n; i++) {
		const struct perf_def *d = &pc->defs[i];
		json_t *v = schema ? def_schema_json(d) : val_json(d, &pc->vals[i]);

		if (json_object_set_new(obj, d->name, v) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

static json_t *reg_json(struct perf_reg *reg, const char *filter, bool schema)
{
	json_t *top = json_object();
	struct list_node *n;

	if (reg == NULL || top == NULL)
		return top;
	pthread_mutex_lock(&reg->lock);
	LIST_FOR_EACH(n, &reg->colls)
	{
		struct perf_coll *pc = LIST_CONTAINER(n, struct perf_coll, node);

		if (filter != NULL && strcmp(filter, pc->name) != 0)
			continue;
		if (json_object_set_new(top, pc->name, coll_json(pc, schema)) < 0) {
			json_decref(top);
			top = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return top;
}

json_t *perf_dump_json(struct perf_reg *reg, const char *filter)
{
	return reg_json(reg, filter, false);
}

json_t *perf_schema_json(struct perf_reg *reg)
{
	return reg_json(reg, NULL, true);
}

static void coll_reset(struct perf_coll *pc)
{
	for (unsigned i = 0; i < pc->n; i++) {
		struct perf_val *pv = &pc->vals[i];

		if (pc->defs[i].type == PERF_GAUGE)
			continue; /* a gauge is current state, not an accumulation */
		atomic_store_explicit(&pv->v, 0, memory_order_relaxed);
		atomic_store_explicit(&pv->sum, 0, memory_order_relaxed);
		for (unsigned b = 0; pv->hist != NULL && b < PERF_HIST_BUCKETS; b++)
			atomic_store_explicit(&pv->hist[b], 0, memory_order_relaxed);
	}
}

void perf_reset(struct perf_reg *reg, const char *name)
{
	struct list_node *n;

	if (reg == NULL)
		return;
	pthread_mutex_lock(&reg->lock);
	LIST_FOR_EACH(n, &reg->colls)
	{
		struct perf_coll *pc = LIST_CONTAINER(n, struct perf_coll, node);

		if (name == NULL || strcmp(name, pc->name) == 0)
			coll_reset(pc);
	}
	pthread_mutex_unlock(&reg->lock);
}
