/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/crush/test.c - sepia-crush --test: map a range of inputs through the
 * rules and report mappings, result-size statistics and device utilisation,
 * line for line as crushtool --test prints them (or as JSON). Plain output
 * maps blocks of inputs on --threads workers (the mapper is reentrant) and
 * writes them in input order. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crush/crush.h"
#include "crush/mapper.h"
#include "sepia_crush.h"

/* Per (rule, num_rep) run state. */
struct run {
	const struct crush_map *map;
	const struct test_opts *o;
	const uint32_t *weight;
	int rule;
	int nr;
	int *per;                            /* max_devices placement counts */
	int *sizes;                          /* nr + 1 result-size counts */
	json_t *jmaps;                       /* JSON mappings, or NULL */
	const struct crush_choose_arg *args; /* weight set 0 (or default) */
};

/* Growable text buffer of one worker. */
struct text {
	char *p;
	size_t len;
	size_t cap;
};

/* One thread's share of a round: x0..x1 mapped into its own text and
 * counters (the mapper only reads the map; each worker has a workspace). */
struct worker {
	struct run *r;
	int x0;
	int x1;
	void *work;
	int *out;
	int *per;
	int *sizes;
	struct text txt;
	bool oom;
};

#define BLOCK       16384 /* inputs per worker per round */
#define MAX_THREADS 8

static bool item_in_buckets(const struct crush_map *map, int32_t item)
{
	int32_t b;
	uint32_t i;

	for (b = 0; b < map->max_buckets; b++)
		for (i = 0; map->buckets[b] && i < map->buckets[b]->size; i++)
			if (map->buckets[b]->items[i] == item)
				return true;
	return false;
}

/* Reweights as crushtool: --weight (clamped to [0, 1]), else 1 if the
 * device sits in some bucket, else 0. */
static uint32_t *make_weights(const struct crush_map *map, const struct test_opts *o)
{
	uint32_t *w = calloc((size_t)map->max_devices + 1, sizeof(*w));
	int32_t d;
	int i;

	if (!w)
		return NULL;
	for (d = 0; d < map->max_devices; d++)
		w[d] = item_in_buckets(map, d) ? CRUSH_WEIGHT_ONE : 0;
	for (i = 0; i < o->nweights; i++) {
		int v = (int)(o->weight_val[i] * (float)0x10000);

		if (o->weight_dev[i] >= map->max_devices)
			continue;
		w[o->weight_dev[i]] = v < 0 ? 0 : v > 0x10000 ? 0x10000 : (uint32_t)v;
	}
	return w;
}

/* crushtool's bound on distinct results of a rule (get_maximum_affected_by_rule):
 * the smallest count of buckets of any type the rule chooses, capped by the
 * replica count requested for that type. */
static int max_affected(const struct crush_map *map, int rule)
{
	const struct crush_rule *r = map->rules[rule];
	int best = map->max_buckets > map->max_devices ? map->max_buckets : map->max_devices;
	uint32_t s, k, t;

	for (s = 0; s < r->len; s++) {
		int32_t type = r->steps[s].arg2, want = 0, have = 0, times = 0;

		if (r->steps[s].op < 2 || r->steps[s].op == CRUSH_RULE_EMIT)
			continue;
		/* crushtool counts once per step naming the type; the last wins */
		for (t = 0; t < r->len; t++) {
			if (r->steps[t].op >= 2 && r->steps[t].op != CRUSH_RULE_EMIT &&
			    r->steps[t].arg2 == type) {
				want = r->steps[t].arg1;
				times++;
			}
		}
		for (k = 0; k < map->item_names.n; k++) {
			const struct crush_bucket *b =
			    crush_get_bucket(map, map->item_names.v[k].id);

			have += b && b->type == type;
		}
		have *= times;
		if (want > 0 && want < have)
			have = want;
		if (have > 0 && have < best)
			best = have;
	}
	return best;
}

static json_t *json_vec(const int *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

/* crushtool's stderr note of the reweights in force. */
static void put_hex_weights(const uint32_t *w, int32_t n)
{
	int32_t i;

	fputs("devices weights (hex): [", stderr);
	for (i = 0; i < n; i++)
		fprintf(stderr, i ? ",%x" : "%x", w[i]);
	fputs("]\n", stderr);
}

/* Decimal digits of v (v >= 0 or negative) at p; returns the end. */
static char *put_int(char *p, int v)
{
	char tmp[12];
	unsigned int u = v < 0 ? 0u - (unsigned int)v : (unsigned int)v;
	int n = 0;

	if (v < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void text_put(struct worker *w, const char *s, size_t n)
{
	if (w->txt.len + n > w->txt.cap) {
		size_t cap = (w->txt.cap + n) * 2;
		char *p = realloc(w->txt.p, cap);

		if (!p) {
			w->oom = true;
			return;
		}
		w->txt.p = p;
		w->txt.cap = cap;
	}
	memcpy(w->txt.p + w->txt.len, s, n);
	w->txt.len += n;
}

/* "PREFIX[a,b,c]\n" formatted by hand: this is the hot output path. */
static void put_line(struct worker *w, const char *prefix, size_t plen, const int *v, int n)
{
	char num[16];
	int i;

	text_put(w, prefix, plen);
	text_put(w, "[", 1);
	for (i = 0; i < n; i++) {
		char *e = put_int(num + (i ? 1 : 0), v[i]);

		if (i) {
			num[0] = ',';
			text_put(w, num, (size_t)(e - num));
		} else {
			text_put(w, num, (size_t)(e - num));
		}
	}
	text_put(w, "]\n", 2);
}

static void map_one(struct worker *w, int x)
{
	struct run *r = w->r;
	const struct test_opts *o = r->o;
	int n = crush_do_rule(r->map, r->rule, x, w->out, r->nr, r->weight, r->map->max_devices,
	                      w->work, r->args);
	char pre[96], *p;
	bool none = false;
	int i;

	for (i = 0; i < n; i++) {
		if (w->out[i] == CRUSH_ITEM_NONE)
			none = true;
		else if (w->out[i] >= 0 && w->out[i] < r->map->max_devices)
			w->per[w->out[i]]++;
	}
	w->sizes[n]++;
	if (r->jmaps) {
		if (o->show_mappings)
			json_array_append_new(r->jmaps,
			                      json_pack("{s:i,s:i,s:o}", "rule", r->rule, "x", x,
			                                "osds", json_vec(w->out, n)));
		return;
	}
	if (o->show_mappings) {
		p = put_int(pre + 11, r->rule);
		memcpy(pre, "CRUSH rule ", 11);
		memcpy(p, " x ", 3);
		p = put_int(p + 3, x);
		*p++ = ' ';
		put_line(w, pre, (size_t)(p - pre), w->out, n);
	}
	if (o->show_bad_mappings && (n != r->nr || none)) {
		int len = snprintf(pre, sizeof(pre), "bad mapping rule %d x %d num_rep %d result ",
		                   r->rule, x, r->nr);

		put_line(w, pre, (size_t)len, w->out, n);
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int x;

	for (x = w->x0; x <= w->x1; x++)
		map_one(w, x);
	return NULL;
}

static int worker_init(struct worker *w, struct run *r)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->work = malloc(crush_work_size(r->map, r->nr));
	w->out = malloc(sizeof(int) * ((size_t)r->nr + 1));
	w->per = calloc((size_t)r->map->max_devices + 1, sizeof(int));
	w->sizes = calloc((size_t)r->nr + 2, sizeof(int));
	if (!w->work || !w->out || !w->per || !w->sizes)
		return -ENOMEM;
	crush_work_init(r->map, w->work, r->nr);
	return 0;
}

static void worker_fini(struct worker *w)
{
	free(w->txt.p);
	free(w->sizes);
	free(w->per);
	free(w->out);
	free(w->work);
}

/* Maps min_x..max_x in rounds of nt blocks; output stays in x order. */
static int map_range(struct run *r, int nt, struct worker *ws)
{
	const struct test_opts *o = r->o;
	pthread_t th[MAX_THREADS];
	long long x;
	int t;

	for (x = o->min_x; x <= o->max_x; x += (long long)nt * BLOCK) {
		for (t = 0; t < nt; t++) {
			long long x0 = x + (long long)t * BLOCK, x1 = x0 + BLOCK - 1;

			ws[t].x0 = (int)x0;
			ws[t].x1 =
			    x0 > o->max_x ? (int)x0 - 1 : (int)(x1 < o->max_x ? x1 : o->max_x);
			if (t && pthread_create(&th[t], NULL, worker_run, &ws[t]))
				worker_run(&ws[t]);
			else if (!t)
				worker_run(&ws[0]);
			else
				continue;
		}
		for (t = 1; t < nt; t++)
			pthread_join(th[t], NULL);
		for (t = 0; t < nt; t++) {
			if (ws[t].oom)
				return -ENOMEM;
			if (ws[t].txt.len)
				fwrite(ws[t].txt.p, 1, ws[t].txt.len, stdout);
			ws[t].txt.len = 0;
		}
	}
	return 0;
}

/* Runs the mapping loop with up to o->threads workers and sums counters. */
static int map_all(struct run *r)
{
	struct worker ws[MAX_THREADS];
	long long nx = (long long)r->o->max_x - r->o->min_x + 1;
	int nt = r->jmaps || nx < 2 * BLOCK ? 1 : r->o->threads, t, i, rc = 0;

	nt = nt < 1 ? 1 : nt > MAX_THREADS ? MAX_THREADS : nt;
	for (t = 0; t < nt && !rc; t++)
		rc = worker_init(&ws[t], r);
	if (!rc)
		rc = map_range(r, nt, ws);
	for (i = 0; i < t; i++) {
		int32_t d;
		int s;

		for (d = 0; !rc && d < r->map->max_devices; d++)
			r->per[d] += ws[i].per[d];
		for (s = 0; !rc && s <= r->nr; s++)
			r->sizes[s] += ws[i].sizes[s];
		worker_fini(&ws[i]);
	}
	return rc;
}

static void report_plain(const struct run *r, const float *expected)
{
	const struct test_opts *o = r->o;
	const char *name = crush_names_get(&r->map->rule_names, r->rule);
	int32_t d;
	int s;

	if (o->show_statistics)
		for (s = 0; s <= r->nr; s++)
			if (r->sizes[s])
				printf("rule %d (%s) num_rep %d result size == %d:\t%d/%d\n",
				       r->rule, name ? name : "", r->nr, s, r->sizes[s],
				       o->max_x - o->min_x + 1);
	for (d = 0; d < r->map->max_devices; d++) {
		if (o->show_utilization_all ||
		    (o->show_utilization && expected[d] > 0 && r->per[d] > 0))
			printf("  device %d:\t\t stored : %d\t expected : %g\n", d, r->per[d],
			       (double)expected[d]);
	}
}

static json_t *report_json(const struct run *r, const float *expected)
{
	json_t *j = json_pack("{s:i,s:i}", "rule", r->rule, "num_rep", r->nr);
	json_t *sizes = json_object(), *util = json_array();
	char key[16];
	int32_t d;
	int s;

	for (s = 0; s <= r->nr; s++) {
		snprintf(key, sizeof(key), "%d", s);
		if (r->sizes[s])
			json_object_set_new(sizes, key, json_integer(r->sizes[s]));
	}
	for (d = 0; d < r->map->max_devices; d++)
		if (r->o->show_utilization_all || (expected[d] > 0 && r->per[d] > 0))
			json_array_append_new(util, json_pack("{s:i,s:i,s:f}", "device", d,
			                                      "stored", r->per[d], "expected",
			                                      (double)expected[d]));
	json_object_set_new(j, "result_sizes", sizes);
	json_object_set_new(j, "utilization", util);
	if (r->jmaps)
		json_object_set_new(j, "mappings", json_incref(r->jmaps));
	return j;
}

/* Runs one (rule, num_rep) pair; the float arithmetic mirrors crushtool. */
static int run_nr(struct run *r, json_t *jout)
{
	int32_t d, objs = r->o->max_x - r->o->min_x + 1;
	float *expected = calloc((size_t)r->map->max_devices + 1, sizeof(float));
	int total = 0, x, rc = -ENOMEM;
	float exp_objs;

	if (!expected)
		goto out_free;
	for (d = 0; d < r->map->max_devices; d++)
		total += (int)r->weight[d];
	rc = 0;
	if (total == 0)
		goto out_free;
	x = max_affected(r->map, r->rule);
	exp_objs = (float)((r->nr < x ? r->nr : x) * objs);
	for (d = 0; d < r->map->max_devices; d++)
		expected[d] = (float)r->weight[d] / (float)total * exp_objs;
	rc = map_all(r);
	if (rc)
		goto out_free;
	if (jout)
		json_array_append_new(jout, report_json(r, expected));
	else
		report_plain(r, expected);
out_free:
	free(expected);
	return rc;
}

static int run_rule(struct run *r, json_t *jout)
{
	const struct crush_rule *rule = r->map->rules[r->rule];
	const struct test_opts *o = r->o;
	int minr = o->num_rep >= 0 ? o->num_rep : rule->min_size;
	int maxr = o->num_rep >= 0 ? o->num_rep : rule->max_size;
	const char *name = crush_names_get(&r->map->rule_names, r->rule);
	int rc = 0;

	if (o->show_statistics && !jout)
		printf("rule %d (%s), x = %d..%d, numrep = %d..%d\n", r->rule, name ? name : "",
		       o->min_x, o->max_x, minr, maxr);
	for (r->nr = minr; r->nr <= maxr && !rc; r->nr++) {
		if (r->nr <= 0)
			continue;
		r->per = calloc((size_t)r->map->max_devices + 1, sizeof(int));
		r->sizes = calloc((size_t)r->nr + 2, sizeof(int));
		r->jmaps = jout && o->show_mappings ? json_array() : NULL;
		rc = r->per && r->sizes ? run_nr(r, jout) : -ENOMEM;
		json_decref(r->jmaps);
		free(r->sizes);
		free(r->per);
	}
	return rc;
}

int tool_test(const struct crush_map *map, const struct test_opts *o0)
{
	struct test_opts o = *o0;
	struct run r = { .map = map, .o = &o, .args = crush_choose_args_get(map, 0) };
	json_t *jout = o.json ? json_array() : NULL;
	uint32_t first = o.rule >= 0 ? (uint32_t)o.rule : 0;
	uint32_t last = o.rule >= 0 ? (uint32_t)o.rule : map->max_rules - 1;
	int rc = 0;

	if (o.show_utilization || o.show_utilization_all)
		o.show_statistics = true;
	r.weight = make_weights(map, &o);
	if (!r.weight)
		return -ENOMEM;
	if (o.show_utilization_all)
		put_hex_weights(r.weight, map->max_devices);
	for (r.rule = (int)first;
	     (uint32_t)r.rule < map->max_rules && (uint32_t)r.rule <= last && !rc; r.rule++) {
		if (!map->rules[r.rule]) {
			if (o.show_statistics)
				fprintf(stderr, "rule %d dne\n", r.rule);
			continue;
		}
		rc = run_rule(&r, jout);
	}
	if (jout) {
		json_dumpf(jout, stdout, JSON_INDENT(1));
		putchar('\n');
		json_decref(jout);
	}
	free((void *)r.weight);
	return rc;
}
