/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/cfg.c - the option table, value layers, typed lock-free getters,
 * $variable expansion, observers and JSON output.
 *
 * DESIGN
 * Each option keeps the raw text each layer gave it (layers[key][layer],
 * NULL when unset; the default layer is the table). After any change every
 * effective value is recomputed from the highest layer that is set: numbers
 * are stored as atomic 64-bit words, strings as atomic pointers to immutable
 * expanded copies. A replaced string moves to the graveyard and lives until
 * cfg_destroy, so a pointer from cfg_str() never dangles. Observers of keys
 * whose effective value changed run after the mutex is released.
 *
 * lock: guards layers, file_rank, graveyard, observers, id/name, conf path.
 * It is a leaf: nothing else is locked while it is held. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cfg_int.h"
#include "common/log.h"
#include "common/mem.h"

#define EXPAND_DEPTH 8
#define EXPAND_MAX   4096

/* clang-format off */
static const struct cfg_opt opts[CFG_KEY_COUNT] = {
#define CFG_OPT_ROW(n, t, d, mn, mx, dm, fl, h)                                \
	{ .name = #n, .type = t, .def = d, .min = mn, .max = mx, .daemons = dm, .flags = fl, .help = h },
	CFG_OPTS_LIST(CFG_OPT_ROW)
#undef CFG_OPT_ROW
};
/* clang-format on */

struct cfg_observer {
	enum cfg_key key;
	cfg_change_fn *fn;
	void *arg;
};

struct cfg {
	pthread_mutex_t lock; /* see DESIGN */
	enum cfg_daemon type;
	char id[64], name[80], conf_path[4096];
	char *layers[CFG_KEY_COUNT][CFG_LAYER_COUNT];
	int file_rank[CFG_KEY_COUNT];
	_Atomic uint64_t num[CFG_KEY_COUNT];
	_Atomic(const char *) str[CFG_KEY_COUNT];
	_Atomic int source[CFG_KEY_COUNT];
	char **grave;
	size_t ngrave, cgrave;
	struct cfg_observer *obs;
	size_t nobs, cobs;
};

static const char *const layer_names[CFG_LAYER_COUNT] = {
	"default", "file", "mon", "env", "cmdline", "runtime",
};
static const char *const type_names[] = { "bool", "int", "size", "double", "str" };

const struct cfg_opt *cfg_opt(enum cfg_key key)
{
	return (unsigned)key < CFG_KEY_COUNT ? &opts[key] : NULL;
}

int cfg_normalize_name(const char *in, size_t len, char *out, size_t cap)
{
	if (len == 0 || len >= cap)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char ch = in[i] == '-' || in[i] == ' ' ? '_' : in[i];

		if (!isalnum((unsigned char)ch) && ch != '_' && ch != '.')
			return -EINVAL;
		out[i] = ch;
	}
	out[len] = '\0';
	return 0;
}

int cfg_find(const char *name)
{
	char norm[128];

	if (cfg_normalize_name(name, strlen(name), norm, sizeof(norm)) < 0)
		return -ENOENT;
	for (int k = 0; k < CFG_KEY_COUNT; k++)
		if (strcmp(norm, opts[k].name) == 0)
			return k;
	return -ENOENT;
}

/* --- parsing values ------------------------------------------------------ */

static int parse_bool(const char *s, uint64_t *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	*out = v;
	return 0;
}

/* "4096", "4K", "4KiB", "1.5M" (binary multiples); must fit in 64 bits. */
static int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	const char *u;
	char *end;
	double v, mult = 1;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		mult = ldexp(1.0, 10 * (int)(u - units + 1));
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	v *= mult;
	if (v >= 18446744073709551616.0)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses text as key's type into a 64-bit word (doubles as their bits). */
static int parse_word(enum cfg_key key, const char *text, uint64_t *word)
{
	int64_t i = 0;
	double d = 0;
	int rc;

	switch (opts[key].type) {
	case CFG_BOOL:
		return parse_bool(text, word);
	case CFG_INT:
		rc = parse_int(text, &i);
		*word = (uint64_t)i;
		return rc;
	case CFG_SIZE:
		return parse_size(text, word);
	case CFG_DOUBLE:
		rc = parse_double(text, &d);
		memcpy(word, &d, sizeof(d));
		return rc;
	case CFG_STR:
		*word = 0;
		return 0;
	}
	return -EINVAL;
}

/* -1, 0, 1 comparing two words of key's type. */
static int cmp_word(enum cfg_key key, uint64_t a, uint64_t b)
{
	double x, y;

	switch (opts[key].type) {
	case CFG_INT:
		return (int64_t)a < (int64_t)b ? -1 : (int64_t)a > (int64_t)b;
	case CFG_DOUBLE:
		memcpy(&x, &a, sizeof(x));
		memcpy(&y, &b, sizeof(y));
		return x < y ? -1 : x > y;
	default:
		return a < b ? -1 : a > b;
	}
}

int cfg_check_value(enum cfg_key key, const char *text)
{
	uint64_t w, bound;
	int rc = parse_word(key, text, &w);

	if (rc < 0)
		return rc;
	if (opts[key].min[0] && parse_word(key, opts[key].min, &bound) == 0 &&
	    cmp_word(key, w, bound) < 0)
		return -ERANGE;
	if (opts[key].max[0] && parse_word(key, opts[key].max, &bound) == 0 &&
	    cmp_word(key, w, bound) > 0)
		return -ERANGE;
	return 0;
}

/* --- effective values ---------------------------------------------------- */

/* The text of the highest layer that sets key (the default if none). */
static const char *raw_text(const struct cfg *c, enum cfg_key key, int *layer)
{
	for (int l = CFG_LAYER_COUNT - 1; l > CFG_LAYER_DEFAULT; l--) {
		if (c->layers[key][l]) {
			*layer = l;
			return c->layers[key][l];
		}
	}
	*layer = CFG_LAYER_DEFAULT;
	return opts[key].def;
}

static const char *metavar(const struct cfg *c, const char *name, size_t len, int *key)
{
	static char host[256];

	*key = -1;
	if (len == 2 && strncmp(name, "id", 2) == 0)
		return c->id;
	if (len == 4 && strncmp(name, "name", 4) == 0)
		return c->name;
	if (len == 4 && strncmp(name, "type", 4) == 0)
		return cfg_daemon_name(c->type);
	if (len == 4 && strncmp(name, "host", 4) == 0 && gethostname(host, sizeof(host)) == 0)
		return host;
	for (int k = 0; k < CFG_KEY_COUNT; k++)
		if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0)
			*key = k;
	return NULL;
}

/* Expands $var and ${var} in src into out; unknown names stay literal. */
static void expand(const struct cfg *c, const char *src, char *out, size_t cap, int depth)
{
	size_t n = 0;

	while (*src && n + 1 < cap) {
		const char *name = src + 1, *val;
		size_t len = 0;
		int braced = *name == '{', key, layer;

		name += braced;
		while (isalnum((unsigned char)name[len]) || name[len] == '_')
			len++;
		if (*src != '$' || len == 0 || (braced && name[len] != '}') ||
		    (!(val = metavar(c, name, len, &key)) && key < 0)) {
			out[n++] = *src++;
			continue;
		}
		if (!val && depth < EXPAND_DEPTH && opts[key].type == CFG_STR) {
			expand(c, raw_text(c, (enum cfg_key)key, &layer), out + n, cap - n,
			       depth + 1);
			n += strlen(out + n);
		} else if (!val) {
			n += (size_t)snprintf(out + n, cap - n, "%s",
			                      raw_text(c, (enum cfg_key)key, &layer));
		} else {
			n += (size_t)snprintf(out + n, cap - n, "%s", val);
		}
		n = n < cap ? n : cap - 1;
		src = name + len + braced;
	}
	out[n] = '\0';
}

static int bury(struct cfg *c, const char *old)
{
	int rc;

	if (!old)
		return 0;
	rc = mem_grow(&c->grave, sizeof(*c->grave), &c->cgrave, c->ngrave + 1);
	if (rc == 0)
		c->grave[c->ngrave++] = (char *)old;
	return rc;
}

/* Recomputes every effective value; marks changed keys. Caller holds lock. */
static int recompute(struct cfg *c, bool *changed)
{
	char buf[EXPAND_MAX];

	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		int layer;
		const char *text = raw_text(c, (enum cfg_key)k, &layer);
		uint64_t w = 0;

		atomic_store(&c->source[k], layer);
		if (opts[k].type != CFG_STR) {
			if (parse_word((enum cfg_key)k, text, &w) < 0)
				parse_word((enum cfg_key)k, opts[k].def, &w);
			changed[k] = atomic_exchange(&c->num[k], w) != w;
			continue;
		}
		expand(c, text, buf, sizeof(buf), 0);
		const char *cur = atomic_load(&c->str[k]);
		if (cur && strcmp(cur, buf) == 0) {
			changed[k] = false;
			continue;
		}
		char *copy = mem_strdup(buf);
		if (!copy || bury(c, cur) < 0) {
			mem_free(copy);
			return -ENOMEM;
		}
		atomic_store(&c->str[k], copy);
		changed[k] = cur != NULL;
	}
	return 0;
}

/* Releases the lock, then tells observers about changed keys. */
static void unlock_and_notify(struct cfg *c, const bool *changed)
{
	struct cfg_observer obs[64];
	size_t n = 0;

	for (size_t i = 0; i < c->nobs && n < 64; i++)
		if (changed[c->obs[i].key])
			obs[n++] = c->obs[i];
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < n; i++)
		obs[i].fn(c, obs[i].key, obs[i].arg);
}

/* --- lifecycle ----------------------------------------------------------- */

const char *cfg_daemon_name(enum cfg_daemon type)
{
	switch (type) {
	case CFG_D_MON:
		return "mon";
	case CFG_D_OSD:
		return "osd";
	case CFG_D_MDS:
		return "mds";
	case CFG_D_CLIENT:
		return "client";
	case CFG_D_TOOL:
		return "client";
	default:
		return "unknown";
	}
}

int cfg_set_id(struct cfg *c, const char *id)
{
	if (!id[0] || strlen(id) >= sizeof(c->id) || strchr(id, '/'))
		return -EINVAL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "%s.%s", cfg_daemon_name(c->type), id);
	return 0;
}

int cfg_create(enum cfg_daemon type, const char *id, struct cfg **out)
{
	bool changed[CFG_KEY_COUNT];
	struct cfg *c;
	int rc;

	if (type & (type - 1) || !(type & CFG_D_ALL))
		return -EINVAL;
	c = mem_calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->type = type;
	rc = cfg_set_id(c, id);
	if (rc < 0)
		goto out_free;
	pthread_mutex_init(&c->lock, NULL);
	rc = recompute(c, changed);
	if (rc < 0)
		goto out_destroy;
	*out = c;
	return 0;
out_destroy:
	cfg_destroy(c);
	return rc;
out_free:
	mem_free(c);
	return rc;
}

void cfg_destroy(struct cfg *c)
{
	if (!c)
		return;
	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		for (int l = 0; l < CFG_LAYER_COUNT; l++)
			mem_free(c->layers[k][l]);
		mem_free((void *)atomic_load(&c->str[k]));
	}
	for (size_t i = 0; i < c->ngrave; i++)
		mem_free(c->grave[i]);
	mem_free(c->grave);
	mem_free(c->obs);
	pthread_mutex_destroy(&c->lock);
	mem_free(c);
}

/* --- setting ------------------------------------------------------------- */

static int set_layer(struct cfg *c, enum cfg_layer layer, enum cfg_key key, const char *value)
{
	bool changed[CFG_KEY_COUNT];
	char *copy = NULL, *old;
	int rc;

	if (value) {
		copy = mem_strdup(value);
		if (!copy)
			return -ENOMEM;
	}
	pthread_mutex_lock(&c->lock);
	old = c->layers[key][layer];
	c->layers[key][layer] = copy;
	rc = recompute(c, changed);
	if (rc < 0) {
		c->layers[key][layer] = old;
		mem_free(copy);
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	mem_free(old);
	unlock_and_notify(c, changed);
	return 0;
}

int cfg_set(struct cfg *c, enum cfg_layer layer, const char *name, const char *value)
{
	int key = cfg_find(name), rc;

	if (key < 0)
		return -ENOENT;
	if (layer <= CFG_LAYER_DEFAULT || layer >= CFG_LAYER_COUNT || !value)
		return -EINVAL;
	rc = cfg_check_value((enum cfg_key)key, value);
	if (rc < 0)
		return rc;
	return set_layer(c, layer, (enum cfg_key)key, value);
}

int cfg_unset(struct cfg *c, enum cfg_layer layer, const char *name)
{
	int key = cfg_find(name);

	if (key < 0)
		return -ENOENT;
	if (layer <= CFG_LAYER_DEFAULT || layer >= CFG_LAYER_COUNT)
		return -EINVAL;
	return set_layer(c, layer, (enum cfg_key)key, NULL);
}

int cfg_replace_file_layer(struct cfg *c, struct cfg_assign *a, size_t n)
{
	bool changed[CFG_KEY_COUNT];
	char *old[CFG_KEY_COUNT];
	int rank[CFG_KEY_COUNT], rc;

	pthread_mutex_lock(&c->lock);
	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		old[k] = c->layers[k][CFG_LAYER_FILE];
		rank[k] = c->file_rank[k];
		c->layers[k][CFG_LAYER_FILE] = NULL;
		c->file_rank[k] = -1;
	}
	/* Later lines win within a rank; a more specific section always wins. */
	for (size_t i = 0; i < n; i++) {
		enum cfg_key k = a[i].key;

		if (a[i].rank < c->file_rank[k])
			continue;
		mem_free(c->layers[k][CFG_LAYER_FILE]);
		c->layers[k][CFG_LAYER_FILE] = a[i].value;
		c->file_rank[k] = a[i].rank;
		a[i].value = NULL;
	}
	rc = recompute(c, changed);
	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		char *drop = rc < 0 ? c->layers[k][CFG_LAYER_FILE] : old[k];

		if (rc < 0) {
			c->layers[k][CFG_LAYER_FILE] = old[k];
			c->file_rank[k] = rank[k];
		}
		mem_free(drop);
	}
	if (rc < 0) {
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	unlock_and_notify(c, changed);
	return 0;
}

int cfg_observe(struct cfg *c, enum cfg_key key, cfg_change_fn *fn, void *arg)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = mem_grow(&c->obs, sizeof(*c->obs), &c->cobs, c->nobs + 1);
	if (rc == 0)
		c->obs[c->nobs++] = (struct cfg_observer){ .key = key, .fn = fn, .arg = arg };
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* --- getters ------------------------------------------------------------- */

static uint64_t word(const struct cfg *c, enum cfg_key key, enum cfg_type type)
{
	assert(opts[key].type == type);
	(void)type;
	return atomic_load_explicit(&((struct cfg *)c)->num[key], memory_order_relaxed);
}

bool cfg_bool(const struct cfg *c, enum cfg_key key)
{
	return word(c, key, CFG_BOOL) != 0;
}

int64_t cfg_int(const struct cfg *c, enum cfg_key key)
{
	return (int64_t)word(c, key, CFG_INT);
}

uint64_t cfg_size(const struct cfg *c, enum cfg_key key)
{
	return word(c, key, CFG_SIZE);
}

double cfg_double(const struct cfg *c, enum cfg_key key)
{
	uint64_t w = word(c, key, CFG_DOUBLE);
	double d = 0;

	memcpy(&d, &w, sizeof(d));
	return d;
}

const char *cfg_str(const struct cfg *c, enum cfg_key key)
{
	return atomic_load(&((struct cfg *)c)->str[key]);
}

static int format_value(const struct cfg *c, enum cfg_key key, char *buf, size_t n)
{
	switch (opts[key].type) {
	case CFG_BOOL:
		return snprintf(buf, n, "%s", cfg_bool(c, key) ? "true" : "false");
	case CFG_INT:
		return snprintf(buf, n, "%" PRId64, cfg_int(c, key));
	case CFG_SIZE:
		return snprintf(buf, n, "%" PRIu64, cfg_size(c, key));
	case CFG_DOUBLE:
		return snprintf(buf, n, "%g", cfg_double(c, key));
	case CFG_STR:
		return snprintf(buf, n, "%s", cfg_str(c, key));
	}
	return -EINVAL;
}

int cfg_get_text(const struct cfg *c, const char *name, char *buf, size_t n)
{
	int key = cfg_find(name);

	return key < 0 ? -ENOENT : format_value(c, (enum cfg_key)key, buf, n);
}

enum cfg_layer cfg_source(const struct cfg *c, enum cfg_key key)
{
	return (enum cfg_layer)atomic_load(&((struct cfg *)c)->source[key]);
}

const char *cfg_name(const struct cfg *c)
{
	return c->name;
}
const char *cfg_id(const struct cfg *c)
{
	return c->id;
}
enum cfg_daemon cfg_daemon_type(const struct cfg *c)
{
	return c->type;
}

const char *cfg_layer_name(enum cfg_layer layer)
{
	return (unsigned)layer < CFG_LAYER_COUNT ? layer_names[layer] : "unknown";
}

int cfg_set_conf_path(struct cfg *c, const char *path)
{
	if (strlen(path) >= sizeof(c->conf_path))
		return -ENAMETOOLONG;
	snprintf(c->conf_path, sizeof(c->conf_path), "%s", path);
	return 0;
}

const char *cfg_conf_path(const struct cfg *c)
{
	return c->conf_path[0] ? c->conf_path : NULL;
}

/* --- JSON and help ------------------------------------------------------- */

static json_t *value_json(const struct cfg *c, enum cfg_key key)
{
	switch (opts[key].type) {
	case CFG_BOOL:
		return json_boolean(cfg_bool(c, key));
	case CFG_INT:
		return json_integer(cfg_int(c, key));
	case CFG_SIZE:
		return json_integer((json_int_t)cfg_size(c, key));
	case CFG_DOUBLE:
		return json_real(cfg_double(c, key));
	case CFG_STR:
		return json_string(cfg_str(c, key));
	}
	return json_null();
}

json_t *cfg_dump_json(const struct cfg *c, bool diff_only)
{
	json_t *o = json_object();

	for (int k = 0; o && k < CFG_KEY_COUNT; k++) {
		if (diff_only && cfg_source(c, (enum cfg_key)k) == CFG_LAYER_DEFAULT)
			continue;
		if (!diff_only && !(opts[k].daemons & c->type))
			continue;
		if (json_object_set_new(o, opts[k].name, value_json(c, (enum cfg_key)k)) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *daemons_json(unsigned mask)
{
	static const enum cfg_daemon all[] = { CFG_D_MON, CFG_D_OSD, CFG_D_MDS, CFG_D_CLIENT };
	json_t *a = json_array();

	for (size_t i = 0; a && i < sizeof(all) / sizeof(all[0]); i++)
		if (mask & all[i])
			json_array_append_new(a, json_string(cfg_daemon_name(all[i])));
	return a;
}

json_t *cfg_help_json(enum cfg_key key)
{
	const struct cfg_opt *o = cfg_opt(key);

	if (!o)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:s}", "name", o->name, "type",
	                 type_names[o->type], "default", o->def, "min", o->min, "max", o->max,
	                 "daemons", daemons_json(o->daemons), "runtime",
	                 !(o->flags & CFG_F_STARTUP), "help", o->help);
}

int cfg_help_text(enum cfg_key key, char *buf, size_t n)
{
	const struct cfg_opt *o = cfg_opt(key);

	if (!o)
		return -ENOENT;
	return snprintf(buf, n,
	                "%s - %s\n  type: %s\n  default: %s\n  min: %s\n  max: %s\n"
	                "  changes at runtime: %s\n",
	                o->name, o->help, type_names[o->type], o->def[0] ? o->def : "(empty)",
	                o->min[0] ? o->min : "(none)", o->max[0] ? o->max : "(none)",
	                o->flags & CFG_F_STARTUP ? "no, at next start" : "yes");
}
