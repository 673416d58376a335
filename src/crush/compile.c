/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/compile.c - crushtool text format -> struct crush_map.
 *
 * Grammar (one statement per keyword, '#' starts a comment):
 *   tunable NAME INT | device INT NAME [class NAME] | type INT NAME
 *   TYPENAME NAME { (id NEGINT [class NAME] | alg ALG | hash (0|rjenkins1)
 *                    | item NAME [weight REAL] [pos INT])* }
 *   rule [NAME] { (id|ruleset) INT type (replicated|erasure)
 *                 min_size INT max_size INT (step STEP)+ }
 *   choose_args INT { ({ bucket_id NEGINT [weight_set [ ([ REAL* ])* ]]
 *                        [ids [ INT* ]] })* }
 * Like crushtool, tunables not given are the legacy ones, weights are
 * converted through float, the class shadow trees are built when the first
 * rule is seen, and buckets must come before rules. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/crush.h"
#include "crush/text.h"

struct compiler {
	struct crush_map *map;
	const char *p;
	const char *end;
	int line;
	char tok[CRUSH_NAME_MAX + 1];
	int tok_line;
	bool eof;
	bool saw_rule;
	struct crush_text_error *err;
};

static int fail(struct compiler *c, const char *reason)
{
	c->err->line = c->tok_line;
	size_t n = c->eof ? 0 : strnlen(c->tok, sizeof(c->err->token) - 1);

	memcpy(c->err->token, c->tok, n);
	c->err->token[n] = '\0';
	c->err->reason = reason;
	return -EINVAL;
}

static bool is_punct(char ch)
{
	return ch == '{' || ch == '}' || ch == '[' || ch == ']';
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Skips blanks and comments, counting lines. */
static void skip_blank(struct compiler *c)
{
	while (c->p < c->end) {
		if (*c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
		} else if (is_space(*c->p)) {
			c->line += *c->p == '\n';
			c->p++;
		} else {
			break;
		}
	}
}

/* Reads the next token into c->tok. */
static int next(struct compiler *c)
{
	size_t n = 0;

	skip_blank(c);
	c->tok_line = c->line;
	c->eof = c->p >= c->end;
	c->tok[0] = '\0';
	if (c->eof)
		return 0;
	if (is_punct(*c->p)) {
		c->tok[n++] = *c->p++;
	} else {
		while (c->p < c->end && !is_space(*c->p) && !is_punct(*c->p) && *c->p != '#') {
			if (n == CRUSH_NAME_MAX || *c->p == '\0') {
				c->tok[n] = '\0';
				return fail(c, "token too long or contains NUL");
			}
			c->tok[n++] = *c->p++;
		}
	}
	c->tok[n] = '\0';
	return 0;
}

static bool tok_is(const struct compiler *c, const char *word)
{
	return !c->eof && !strcmp(c->tok, word);
}

static int expect(struct compiler *c, const char *word, const char *reason)
{
	int rc = next(c);

	if (rc)
		return rc;
	return tok_is(c, word) ? 0 : fail(c, reason);
}

/* Reads an integer token in [lo, hi]. */
static int get_int(struct compiler *c, long lo, long hi, int32_t *v)
{
	char *end;
	long n;
	int rc = next(c);

	if (rc)
		return rc;
	if (c->eof)
		return fail(c, "expected an integer");
	errno = 0;
	n = strtol(c->tok, &end, 10);
	if (*end || end == c->tok || errno || n < lo || n > hi)
		return fail(c, "expected an integer in range");
	*v = (int32_t)n;
	return 0;
}

/* Reads a name token (letters, digits, '-', '_', '.', '~'). */
static int get_name(struct compiler *c)
{
	const char *s;
	int rc = next(c);

	if (rc)
		return rc;
	if (c->eof || !c->tok[0])
		return fail(c, "expected a name");
	for (s = c->tok; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' || *s == '~'))
			return fail(c, "expected a name");
	return 0;
}

static int parse_tunable(struct compiler *c)
{
	struct crush_map *m = c->map;
	char name[CRUSH_NAME_MAX + 1];
	int32_t v;
	int rc = get_name(c);

	if (rc)
		return rc;
	snprintf(name, sizeof(name), "%s", c->tok);
	rc = get_int(c, 0, INT32_MAX, &v);
	if (rc)
		return rc;
	if (!strcmp(name, "choose_local_tries"))
		m->choose_local_tries = (uint32_t)v;
	else if (!strcmp(name, "choose_local_fallback_tries"))
		m->choose_local_fallback_tries = (uint32_t)v;
	else if (!strcmp(name, "choose_total_tries"))
		m->choose_total_tries = (uint32_t)v;
	else if (!strcmp(name, "chooseleaf_descend_once"))
		m->chooseleaf_descend_once = (uint32_t)v;
	else if (!strcmp(name, "chooseleaf_vary_r") && v <= 255)
		m->chooseleaf_vary_r = (uint8_t)v;
	else if (!strcmp(name, "chooseleaf_stable") && v <= 255)
		m->chooseleaf_stable = (uint8_t)v;
	else if (!strcmp(name, "straw_calc_version") && v <= 255)
		m->straw_calc_version = (uint8_t)v;
	else if (!strcmp(name, "allowed_bucket_algs"))
		m->allowed_bucket_algs = (uint32_t)v;
	else
		return fail(c, "unknown tunable or value out of range");
	return 0;
}

static int accept(struct compiler *c, const char *word, bool *yes);

static int parse_device(struct compiler *c)
{
	int32_t id, other;
	bool yes;
	int rc = get_int(c, 0, CRUSH_MAX_ITEMS - 1, &id);

	if (rc || (rc = get_name(c)))
		return rc;
	if (crush_names_get(&c->map->item_names, id) ||
	    crush_names_lookup(&c->map->item_names, c->tok, &other) == 0)
		return fail(c, "device id or name already defined");
	rc = crush_names_set(&c->map->item_names, id, c->tok);
	if (rc)
		return rc;
	if (id >= c->map->max_devices)
		c->map->max_devices = id + 1;
	if ((rc = accept(c, "class", &yes)) || !yes)
		return rc;
	if ((rc = get_name(c)))
		return rc;
	return crush_set_device_class(c->map, id, c->tok);
}

static int parse_type(struct compiler *c)
{
	int32_t id, other;
	int rc = get_int(c, 0, 65535, &id);

	if (rc || (rc = get_name(c)))
		return rc;
	if (crush_names_get(&c->map->type_names, id) ||
	    crush_names_lookup(&c->map->type_names, c->tok, &other) == 0)
		return fail(c, "type id or name already defined");
	return crush_names_set(&c->map->type_names, id, c->tok);
}

/* Peeks whether the next token is word, consuming it if so; otherwise the
 * lexer and the current token are left as they were. */
static int accept(struct compiler *c, const char *word, bool *yes)
{
	const char *save_p = c->p;
	int save_line = c->line, save_tok_line = c->tok_line, rc;
	bool save_eof = c->eof;
	char save_tok[CRUSH_NAME_MAX + 1];

	memcpy(save_tok, c->tok, sizeof(save_tok));
	rc = next(c);
	if (rc)
		return rc;
	*yes = tok_is(c, word);
	if (!*yes) {
		c->p = save_p;
		c->line = save_line;
		c->tok_line = save_tok_line;
		c->eof = save_eof;
		memcpy(c->tok, save_tok, sizeof(save_tok));
	}
	return 0;
}

static int parse_bucket(struct compiler *c, int32_t type);
static int parse_rule(struct compiler *c);
static int parse_choose_args(struct compiler *c);

static int parse_statement(struct compiler *c)
{
	int32_t type;

	if (tok_is(c, "tunable"))
		return parse_tunable(c);
	if (tok_is(c, "device"))
		return parse_device(c);
	if (tok_is(c, "type"))
		return parse_type(c);
	if (tok_is(c, "rule"))
		return parse_rule(c);
	if (tok_is(c, "choose_args"))
		return parse_choose_args(c);
	if (crush_names_lookup(&c->map->type_names, c->tok, &type) == 0) {
		if (c->saw_rule)
			return fail(c, "buckets must be defined before rules");
		return parse_bucket(c, type);
	}
	return fail(c, "expected tunable, device, type, rule, choose_args or a bucket type");
}

/* Items of a bucket being parsed, in final position order. */
struct bucket_src {
	int32_t *items;
	uint32_t *weights;
	int32_t *pos; /* requested pos or -1 */
	uint32_t n;
	uint32_t cap;
	int32_t id;
	int alg;
	int32_t shadows[2 * 64]; /* (class, shadow id) pairs from "id N class C" */
	uint32_t nshadows;
};

static void bucket_src_fini(struct bucket_src *b)
{
	free(b->items);
	free(b->weights);
	free(b->pos);
}

static int bucket_src_push(struct bucket_src *b, int32_t item, uint32_t w, int32_t pos)
{
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? 2 * b->cap : 16;
		int32_t *i = realloc(b->items, sizeof(*i) * cap);
		uint32_t *wt;
		int32_t *p;

		if (!i)
			return -ENOMEM;
		b->items = i;
		if (!(wt = realloc(b->weights, sizeof(*wt) * cap)))
			return -ENOMEM;
		b->weights = wt;
		if (!(p = realloc(b->pos, sizeof(*p) * cap)))
			return -ENOMEM;
		b->pos = p;
		b->cap = cap;
	}
	b->items[b->n] = item;
	b->weights[b->n] = w;
	b->pos[b->n++] = pos;
	return 0;
}

/* 16.16 weight of a REAL token, through float as crushtool does. */
static int get_weight(struct compiler *c, uint32_t *w)
{
	char *end;
	float f;
	int rc = next(c);

	if (rc)
		return rc;
	if (c->eof)
		return fail(c, "expected a weight");
	f = strtof(c->tok, &end);
	if (*end || end == c->tok || !(f >= 0.0f) || f * (float)0x10000 >= 2147483648.0f)
		return fail(c, "expected a weight between 0 and 32767");
	*w = (uint32_t)(int32_t)(f * (float)0x10000);
	return 0;
}

/* item NAME [weight REAL] [pos INT] */
static int parse_item(struct compiler *c, struct bucket_src *b)
{
	const struct crush_bucket *child;
	int32_t item, pos = -1;
	uint32_t w = CRUSH_WEIGHT_ONE;
	bool yes;
	int rc = get_name(c);

	if (rc)
		return rc;
	if (crush_names_lookup(&c->map->item_names, c->tok, &item) < 0)
		return fail(c, "unknown item");
	child = crush_get_bucket(c->map, item);
	if (item < 0 && !child)
		return fail(c, "item names no defined bucket");
	if (child && child->weight > 0x7fffff00u) /* stays below 2^31 through float */
		return fail(c, "bucket weight too large to be an item");
	if (child) /* default: the child's own weight, via float */
		w = (uint32_t)(int32_t)((float)child->weight / (float)0x10000 * (float)0x10000);
	if ((rc = accept(c, "weight", &yes)))
		return rc;
	if (yes && (rc = get_weight(c, &w)))
		return rc;
	if ((rc = accept(c, "pos", &yes)))
		return rc;
	if (yes && (rc = get_int(c, 0, CRUSH_MAX_BUCKET_SIZE - 1, &pos)))
		return rc;
	if (b->alg == CRUSH_BUCKET_UNIFORM && b->n && w != b->weights[0])
		return fail(c, "uniform bucket items must all have the same weight");
	return bucket_src_push(b, item, w, pos);
}

/* id NEGINT [class NAME] */
static int parse_bucket_id(struct compiler *c, struct bucket_src *b)
{
	int32_t id, cls;
	bool yes;
	int rc = get_int(c, -CRUSH_MAX_ITEMS, -1, &id);

	if (rc || (rc = accept(c, "class", &yes)))
		return rc;
	if (!yes) {
		if (crush_get_bucket(c->map, id))
			return fail(c, "bucket id already in use");
		b->id = id;
		return 0;
	}
	if ((rc = get_name(c)))
		return rc;
	if (crush_names_lookup(&c->map->class_names, c->tok, &cls) < 0)
		return fail(c, "unknown device class");
	if (b->nshadows == 64)
		return fail(c, "too many classes");
	b->shadows[2 * b->nshadows] = cls;
	b->shadows[2 * b->nshadows++ + 1] = id;
	return 0;
}

static int parse_bucket_line(struct compiler *c, struct bucket_src *b)
{
	int rc;

	if (tok_is(c, "id"))
		return parse_bucket_id(c, b);
	if (tok_is(c, "item"))
		return b->alg ? parse_item(c, b) : fail(c, "alg must precede items");
	if (tok_is(c, "alg")) {
		if ((rc = get_name(c)))
			return rc;
		b->alg = crush_alg_parse(c->tok);
		return b->alg > 0 ? 0 : (b->alg = 0, fail(c, "unknown bucket algorithm"));
	}
	if (tok_is(c, "hash")) {
		if ((rc = next(c)))
			return rc;
		if (tok_is(c, "rjenkins1") || tok_is(c, "0"))
			return 0;
		return fail(c, "unknown hash (only 0 / rjenkins1)");
	}
	return fail(c, "expected id, alg, hash, item or }");
}

/* Orders items by explicit pos, the rest filling free slots in order. */
static int bucket_place(struct compiler *c, struct bucket_src *b, int32_t *items, uint32_t *weights)
{
	uint32_t i, cur = 0;
	uint8_t *used = calloc(b->n ? b->n : 1, 1);

	if (!used)
		return -ENOMEM;
	for (i = 0; i < b->n; i++) {
		uint32_t pos = (uint32_t)b->pos[i];

		if (b->pos[i] < 0) {
			while (cur < b->n && used[cur])
				cur++;
			pos = cur;
		}
		if (pos >= b->n || used[pos]) {
			free(used);
			return fail(c, "item pos out of range or taken");
		}
		used[pos] = 1;
		items[pos] = b->items[i];
		weights[pos] = b->weights[i];
	}
	free(used);
	return 0;
}

static int bucket_add(struct compiler *c, struct bucket_src *b, int32_t type, const char *name)
{
	int32_t *items = malloc(sizeof(*items) * (b->n + 1)), id;
	uint32_t *weights = malloc(sizeof(*weights) * (b->n + 1)), i;
	struct crush_bucket_spec spec = { b->alg, type, b->n, items, weights };
	struct crush_bucket *bk = NULL;
	int rc = -ENOMEM;

	if (!items || !weights)
		goto out_free;
	rc = bucket_place(c, b, items, weights);
	if (!rc)
		rc = crush_bucket_make(c->map, &spec, &bk);
	if (!rc && (rc = crush_add_bucket(c->map, b->id, bk, &id)))
		crush_bucket_destroy(bk);
	if (!rc)
		rc = crush_names_set(&c->map->item_names, id, name);
	for (i = 0; !rc && i < b->nshadows; i++) {
		struct crush_class_bucket *v =
		    realloc(c->map->class_buckets, sizeof(*v) * (c->map->num_class_buckets + 1));

		if (!v) {
			rc = -ENOMEM;
			break;
		}
		c->map->class_buckets = v;
		v[c->map->num_class_buckets++] =
		    (struct crush_class_bucket){ id, b->shadows[2 * i], b->shadows[2 * i + 1] };
	}
	if (rc == -ERANGE || rc == -EINVAL)
		rc = fail(c, "bucket weight overflows or bucket is invalid");
out_free:
	free(weights);
	free(items);
	return rc;
}

/* TYPENAME NAME { lines } */
static int parse_bucket(struct compiler *c, int32_t type)
{
	struct bucket_src b = { 0 };
	char name[CRUSH_NAME_MAX + 1];
	int32_t other;
	int rc = get_name(c);

	if (rc)
		return rc;
	if (crush_names_lookup(&c->map->item_names, c->tok, &other) == 0)
		return fail(c, "item name already defined");
	snprintf(name, sizeof(name), "%s", c->tok);
	if ((rc = expect(c, "{", "expected {")))
		return rc;
	for (;;) {
		if ((rc = next(c)))
			goto out;
		if (c->eof) {
			rc = fail(c, "unexpected end of input in bucket");
			goto out;
		}
		if (tok_is(c, "}"))
			break;
		if ((rc = parse_bucket_line(c, &b)))
			goto out;
	}
	rc = b.alg ? bucket_add(c, &b, type, name) : fail(c, "bucket has no alg");
out:
	bucket_src_fini(&b);
	return rc;
}

static const struct {
	const char *word;
	uint32_t op;
	int32_t min; /* smallest accepted argument */
} set_steps[] = {
	{ "set_choose_tries", CRUSH_RULE_SET_CHOOSE_TRIES, 0 },
	{ "set_chooseleaf_tries", CRUSH_RULE_SET_CHOOSELEAF_TRIES, 0 },
	{ "set_choose_local_tries", CRUSH_RULE_SET_CHOOSE_LOCAL_TRIES, 0 },
	{ "set_choose_local_fallback_tries", CRUSH_RULE_SET_CHOOSE_LOCAL_FALLBACK_TRIES, 0 },
	{ "set_chooseleaf_vary_r", CRUSH_RULE_SET_CHOOSELEAF_VARY_R, 0 },
	{ "set_chooseleaf_stable", CRUSH_RULE_SET_CHOOSELEAF_STABLE, 0 },
};

/* take NAME [class NAME] */
static int parse_take(struct compiler *c, struct crush_rule_step *st)
{
	int32_t item, cls;
	bool yes;
	int rc = get_name(c);

	if (rc)
		return rc;
	if (crush_names_lookup(&c->map->item_names, c->tok, &item) < 0)
		return fail(c, "unknown item in take");
	if ((rc = accept(c, "class", &yes)) || !yes) {
		*st = (struct crush_rule_step){ CRUSH_RULE_TAKE, item, 0 };
		return rc;
	}
	if ((rc = get_name(c)))
		return rc;
	if (crush_names_lookup(&c->map->class_names, c->tok, &cls) < 0)
		return fail(c, "unknown device class");
	item = crush_class_shadow(c->map, item, cls);
	if (!item || !crush_get_bucket(c->map, item))
		return fail(c, "no shadow bucket for this class");
	*st = (struct crush_rule_step){ CRUSH_RULE_TAKE, item, 0 };
	return 0;
}

/* (choose|chooseleaf) (firstn|indep) INT type NAME */
static int parse_choose(struct compiler *c, bool leaf, struct crush_rule_step *st)
{
	int32_t n, type;
	bool firstn;
	int rc = next(c);

	if (rc)
		return rc;
	if (!tok_is(c, "firstn") && !tok_is(c, "indep"))
		return fail(c, "expected firstn or indep");
	firstn = tok_is(c, "firstn");
	if ((rc = get_int(c, -CRUSH_MAX_REP, CRUSH_MAX_REP, &n)) ||
	    (rc = expect(c, "type", "expected type")) || (rc = get_name(c)))
		return rc;
	if (crush_names_lookup(&c->map->type_names, c->tok, &type) < 0)
		return fail(c, "unknown type");
	st->op = leaf ? (firstn ? CRUSH_RULE_CHOOSELEAF_FIRSTN : CRUSH_RULE_CHOOSELEAF_INDEP)
	              : (firstn ? CRUSH_RULE_CHOOSE_FIRSTN : CRUSH_RULE_CHOOSE_INDEP);
	st->arg1 = n;
	st->arg2 = type;
	return 0;
}

static int parse_step(struct compiler *c, struct crush_rule_step *st)
{
	size_t i;
	int rc = next(c);

	if (rc)
		return rc;
	if (tok_is(c, "take"))
		return parse_take(c, st);
	if (tok_is(c, "choose") || tok_is(c, "chooseleaf"))
		return parse_choose(c, tok_is(c, "chooseleaf"), st);
	if (tok_is(c, "emit")) {
		*st = (struct crush_rule_step){ CRUSH_RULE_EMIT, 0, 0 };
		return 0;
	}
	for (i = 0; i < sizeof(set_steps) / sizeof(set_steps[0]); i++) {
		if (!tok_is(c, set_steps[i].word))
			continue;
		*st = (struct crush_rule_step){ set_steps[i].op, 0, 0 };
		return get_int(c, set_steps[i].min, CRUSH_MAX_TRIES, &st->arg1);
	}
	return fail(c, "unknown step");
}

/* Reads "[ v v ... ]" of REALs (weights) or INTs (ids) into a new array. */
static int get_vector(struct compiler *c, bool real, uint32_t **out, uint32_t *n)
{
	uint32_t *v = NULL, cap = 0, w;
	int32_t id;
	int rc;

	if ((rc = expect(c, "[", "expected [")))
		return rc;
	for (*n = 0;; (*n)++) {
		bool end;

		if ((rc = accept(c, "]", &end)) || end)
			break;
		if (*n == cap) {
			uint32_t *nv = realloc(v, sizeof(*v) * (cap = cap ? 2 * cap : 16));

			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
		}
		if ((rc = real ? get_weight(c, &w) : get_int(c, INT32_MIN, INT32_MAX, &id)))
			break;
		v[*n] = real ? w : (uint32_t)id;
	}
	if (rc)
		free(v);
	else
		*out = v;
	return rc;
}

/* weight_set [ [ REAL... ] ... ] */
static int parse_weight_set(struct compiler *c, struct crush_choose_arg *a, uint32_t size)
{
	struct crush_weight_set *ws;
	bool end;
	int rc;

	if ((rc = expect(c, "[", "expected [")))
		return rc;
	for (;;) {
		if ((rc = accept(c, "]", &end)) || end)
			return rc;
		ws = realloc(a->weight_set, sizeof(*ws) * (a->weight_set_positions + 1));
		if (!ws)
			return -ENOMEM;
		a->weight_set = ws;
		ws = &a->weight_set[a->weight_set_positions];
		ws->weights = NULL;
		a->weight_set_positions++;
		if ((rc = get_vector(c, true, &ws->weights, &ws->size)))
			return rc;
		if (ws->size != size)
			return fail(c, "weight_set size differs from the bucket size");
	}
}

/* { bucket_id NEGINT [weight_set [...]] [ids [...]] } */
static int parse_choose_arg(struct compiler *c, struct crush_choose_arg_map *m)
{
	const struct crush_bucket *b;
	struct crush_choose_arg *a;
	int32_t id;
	bool yes;
	int rc;

	if ((rc = expect(c, "bucket_id", "expected bucket_id")) ||
	    (rc = get_int(c, -CRUSH_MAX_ITEMS, -1, &id)))
		return rc;
	b = crush_get_bucket(c->map, id);
	if (!b || (uint32_t)(-1 - id) >= m->size)
		return fail(c, "no such bucket");
	a = &m->args[-1 - id];
	if (a->ids || a->weight_set)
		return fail(c, "bucket already has choose_args in this set");
	if ((rc = accept(c, "weight_set", &yes)) || (yes && (rc = parse_weight_set(c, a, b->size))))
		return rc;
	if ((rc = accept(c, "ids", &yes)) || !yes)
		return rc ? rc : expect(c, "}", "expected }");
	if ((rc = get_vector(c, false, (uint32_t **)&a->ids, &a->ids_size)))
		return rc;
	if (a->ids_size != b->size)
		return fail(c, "ids size differs from the bucket size");
	return expect(c, "}", "expected }");
}

/* choose_args INT { choose_arg* } */
static int parse_choose_args(struct compiler *c)
{
	struct crush_choose_arg_map *m;
	char *end;
	long long id;
	bool close;
	int rc = next(c);

	if (rc)
		return rc;
	id = strtoll(c->tok, &end, 10);
	if (c->eof || *end || end == c->tok)
		return fail(c, "expected a choose_args id");
	m = crush_choose_args_add(c->map, id);
	if (!m)
		return -ENOMEM;
	if ((rc = expect(c, "{", "expected {")))
		return rc;
	for (;;) {
		if ((rc = accept(c, "}", &close)) || close)
			return rc;
		if ((rc = expect(c, "{", "expected { or }")) || (rc = parse_choose_arg(c, m)))
			return rc;
	}
}

/* The fixed header: (id|ruleset) INT type T min_size INT max_size INT */
static int parse_rule_head(struct compiler *c, int32_t *id, int32_t *type, int32_t *sz)
{
	int rc = next(c);

	if (rc)
		return rc;
	if (!tok_is(c, "id") && !tok_is(c, "ruleset"))
		return fail(c, "expected id");
	if ((rc = get_int(c, 0, CRUSH_MAX_RULES - 1, id)) ||
	    (rc = expect(c, "type", "expected type")) || (rc = next(c)))
		return rc;
	if (tok_is(c, "replicated"))
		*type = CRUSH_RULE_TYPE_REPLICATED;
	else if (tok_is(c, "erasure"))
		*type = CRUSH_RULE_TYPE_ERASURE;
	else
		return fail(c, "expected replicated or erasure");
	if ((rc = expect(c, "min_size", "expected min_size")) ||
	    (rc = get_int(c, 0, 255, &sz[0])) || (rc = expect(c, "max_size", "expected max_size")))
		return rc;
	return get_int(c, 0, 255, &sz[1]);
}

static int rule_steps(struct compiler *c, struct crush_rule_step *steps, uint32_t *n)
{
	int rc;

	for (;;) {
		if ((rc = next(c)))
			return rc;
		if (tok_is(c, "}"))
			return *n ? 0 : fail(c, "rule has no steps");
		if (!tok_is(c, "step"))
			return fail(c, "expected step or }");
		if (*n == CRUSH_MAX_RULE_STEPS)
			return fail(c, "too many steps");
		if ((rc = parse_step(c, &steps[(*n)++])))
			return rc;
	}
}

/* rule [NAME] { head steps } */
static int parse_rule(struct compiler *c)
{
	char name[CRUSH_NAME_MAX + 1] = "";
	struct crush_rule_step *steps;
	int32_t id, type, sz[2], other;
	uint32_t n = 0;
	int rc, rid;

	if (!c->saw_rule) {
		c->saw_rule = true;
		if ((rc = crush_populate_classes(c->map)))
			return rc == -ENOMEM ? rc : fail(c, "cannot build class shadow trees");
	}
	if ((rc = next(c)))
		return rc;
	if (!tok_is(c, "{")) {
		if (crush_names_lookup(&c->map->rule_names, c->tok, &other) == 0)
			return fail(c, "rule name already defined");
		snprintf(name, sizeof(name), "%s", c->tok);
		if ((rc = expect(c, "{", "expected {")))
			return rc;
	}
	if ((rc = parse_rule_head(c, &id, &type, sz)))
		return rc;
	if ((uint32_t)id < c->map->max_rules && c->map->rules[id])
		return fail(c, "rule id already in use");
	steps = malloc(sizeof(*steps) * CRUSH_MAX_RULE_STEPS);
	if (!steps)
		return -ENOMEM;
	rc = rule_steps(c, steps, &n);
	if (!rc)
		rc = crush_add_rule(c->map, id, &(struct crush_rule_head){ type, sz[0], sz[1] },
		                    steps, n, &rid);
	if (!rc && name[0])
		rc = crush_names_set(&c->map->rule_names, rid, name);
	free(steps);
	return rc;
}

int crush_text_compile(const char *text, size_t len, struct crush_map **out,
                       struct crush_text_error *err)
{
	struct compiler c = { .p = text, .end = text + len, .line = 1, .err = err };
	int rc = crush_map_create(&c.map);

	if (rc)
		return rc;
	crush_tunables_set(c.map, CRUSH_TUNABLES_LEGACY);
	c.map->straw_calc_version = 0;
	for (;;) {
		rc = next(&c);
		if (rc || c.eof)
			break;
		rc = parse_statement(&c);
		if (rc)
			break;
	}
	if (!rc) {
		crush_finalize(c.map);
		rc = crush_map_validate(c.map);
		if (rc)
			fail(&c, "map is inconsistent");
	}
	if (rc) {
		crush_map_destroy(c.map);
		return rc;
	}
	*out = c.map;
	return 0;
}
