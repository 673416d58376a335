/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/asok_builtin.c - the admin socket's built-in commands: help,
 * version, config show/diff/get/set/help, perf dump/schema/reset, log
 * level/reopen. They run on the server thread like any registered command.
 *
 * Results:
 *   help              {"<prefix>": "<help>", ...}
 *   version           {"version": "<SEPIA_VERSION>"}
 *   config show|diff  cfg_dump_json(cfg, diff)
 *   config get N      {"<N>": "<effective value as text>"}
 *   config set N V..  {"<N>": "<new effective value>"} (V words joined by ' ')
 *   config help N     cfg_help_json
 *   perf dump [C]     perf_dump_json; -ENOENT for an unknown C
 *   perf schema       perf_schema_json
 *   perf reset [C]    {"reset": "<C>" | "all"}; -ENOENT for an unknown C
 *   log level [...]   {"<subsys>": "<level>", ...} after applying the change
 *   log reopen        null */
#include <errno.h>
#include <string.h>

#include "common/asok_int.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"

#ifndef SEPIA_VERSION
#define SEPIA_VERSION "unknown"
#endif

/* The argument count must be in [lo, hi]; else -EINVAL with a usage text. */
static int check_args(json_t *args, size_t lo, size_t hi, const char *usage, json_t **result)
{
	size_t n = json_array_size(args);

	if (n >= lo && n <= hi)
		return 0;
	*result = json_sprintf("usage: %s", usage);
	return -EINVAL;
}

static const char *arg_str(json_t *args, size_t i)
{
	return json_string_value(json_array_get(args, i));
}

static int cmd_help(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)args;
	(void)req;
	*result = asok_help_json(arg);
	return *result != NULL ? 0 : -ENOMEM;
}

static int cmd_version(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)arg;
	(void)args;
	(void)req;
	*result = json_pack("{s:s}", "version", SEPIA_VERSION);
	return *result != NULL ? 0 : -ENOMEM;
}

static int cmd_config_show(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)req;
	if (check_args(args, 0, 0, "config show", result) < 0)
		return -EINVAL;
	*result = cfg_dump_json(arg, false);
	return *result != NULL ? 0 : -ENOMEM;
}

static int cmd_config_diff(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)req;
	if (check_args(args, 0, 0, "config diff", result) < 0)
		return -EINVAL;
	*result = cfg_dump_json(arg, true);
	return *result != NULL ? 0 : -ENOMEM;
}

/* {"<name>": "<effective text>"} or -ENOENT. */
static int value_json(struct cfg *c, const char *name, json_t **result)
{
	char small[256], *buf = small;
	int n = cfg_get_text(c, name, small, sizeof(small));

	if (n < 0) {
		*result = json_sprintf("unknown option '%s'", name);
		return n;
	}
	if ((size_t)n >= sizeof(small)) {
		buf = mem_malloc((size_t)n + 1);
		if (buf == NULL)
			return -ENOMEM;
		cfg_get_text(c, name, buf, (size_t)n + 1);
	}
	*result = json_pack("{s:s}", name, buf);
	if (buf != small)
		mem_free(buf);
	return *result != NULL ? 0 : -ENOMEM;
}

static int cmd_config_get(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)req;
	if (check_args(args, 1, 1, "config get NAME", result) < 0)
		return -EINVAL;
	return value_json(arg, arg_str(args, 0), result);
}

/* The words args[from..] joined by single spaces; caller owns. */
static char *join_args(json_t *args, size_t from)
{
	size_t i, len = 1;
	char *s;

	for (i = from; i < json_array_size(args); i++)
		len += strlen(arg_str(args, i)) + 1;
	s = mem_calloc(1, len);
	for (i = from; s != NULL && i < json_array_size(args); i++) {
		if (i > from)
			strcat(s, " ");
		strcat(s, arg_str(args, i));
	}
	return s;
}

static int cmd_config_set(void *arg, json_t *args, json_t *req, json_t **result)
{
	const char *name;
	char *value;
	int rc;

	(void)req;
	if (check_args(args, 2, ASOK_MAX_WORDS, "config set NAME VALUE", result) < 0)
		return -EINVAL;
	name = arg_str(args, 0);
	value = join_args(args, 1);
	if (value == NULL)
		return -ENOMEM;
	rc = cfg_set(arg, CFG_LAYER_RUNTIME, name, value);
	if (rc < 0)
		*result = json_sprintf("cannot set %s to '%s': %s", name, value, strerror(-rc));
	mem_free(value);
	return rc < 0 ? rc : value_json(arg, name, result);
}

static int cmd_config_help(void *arg, json_t *args, json_t *req, json_t **result)
{
	int key;

	(void)arg;
	(void)req;
	if (check_args(args, 1, 1, "config help NAME", result) < 0)
		return -EINVAL;
	key = cfg_find(arg_str(args, 0));
	if (key < 0) {
		*result = json_sprintf("unknown option '%s'", arg_str(args, 0));
		return key;
	}
	*result = cfg_help_json((enum cfg_key)key);
	return *result != NULL ? 0 : -ENOMEM;
}

/* 0 when name is NULL or names a registered collection, else -ENOENT. */
static int check_coll(struct perf_reg *reg, const char *name, json_t **result)
{
	json_t *dump;
	int rc;

	if (name == NULL)
		return 0;
	dump = perf_dump_json(reg, name);
	if (dump == NULL)
		return -ENOMEM;
	rc = json_object_size(dump) > 0 ? 0 : -ENOENT;
	json_decref(dump);
	if (rc < 0)
		*result = json_sprintf("no perf collection '%s'", name);
	return rc;
}

static int cmd_perf_dump(void *arg, json_t *args, json_t *req, json_t **result)
{
	const char *coll;

	(void)req;
	if (check_args(args, 0, 1, "perf dump [COLL]", result) < 0)
		return -EINVAL;
	coll = arg_str(args, 0);
	*result = perf_dump_json(arg, coll);
	if (*result == NULL)
		return -ENOMEM;
	if (coll != NULL && json_object_size(*result) == 0) {
		json_decref(*result);
		*result = json_sprintf("no perf collection '%s'", coll);
		return -ENOENT;
	}
	return 0;
}

static int cmd_perf_schema(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)req;
	if (check_args(args, 0, 0, "perf schema", result) < 0)
		return -EINVAL;
	*result = perf_schema_json(arg);
	return *result != NULL ? 0 : -ENOMEM;
}

static int cmd_perf_reset(void *arg, json_t *args, json_t *req, json_t **result)
{
	const char *coll;
	int rc;

	(void)req;
	if (check_args(args, 0, 1, "perf reset [COLL]", result) < 0)
		return -EINVAL;
	coll = arg_str(args, 0);
	rc = check_coll(arg, coll, result);
	if (rc < 0)
		return rc;
	perf_reset(arg, coll);
	*result = json_pack("{s:s}", "reset", coll != NULL ? coll : "all");
	return *result != NULL ? 0 : -ENOMEM;
}

static json_t *levels_json(void)
{
	json_t *obj = json_object();

	for (int s = 0; obj != NULL && s < LOG_SUB_COUNT; s++) {
		const char *lvl = log_level_name(log_get_level((enum log_subsys)s));

		if (json_object_set_new(obj, log_subsys_name((enum log_subsys)s),
		                        json_string(lvl != NULL ? lvl : "?")) < 0) {
			json_decref(obj);
			obj = NULL;
		}
	}
	return obj;
}

/* log level SUBSYS LEVEL */
static int set_one_level(const char *name, const char *level, json_t **result)
{
	enum log_level lvl;
	int sub = log_subsys_parse(name);

	if (sub < 0) {
		*result = json_sprintf("unknown subsystem '%s'", name);
		return -EINVAL;
	}
	if (log_level_parse(level, &lvl) < 0) {
		*result = json_sprintf("unknown level '%s'", level);
		return -EINVAL;
	}
	log_set_level((enum log_subsys)sub, lvl);
	return 0;
}

static int cmd_log_level(void *arg, json_t *args, json_t *req, json_t **result)
{
	int rc = 0;

	(void)arg;
	(void)req;
	if (check_args(args, 0, 2, "log level [SUBSYS LEVEL | SPEC]", result) < 0)
		return -EINVAL;
	if (json_array_size(args) == 2)
		rc = set_one_level(arg_str(args, 0), arg_str(args, 1), result);
	else if (json_array_size(args) == 1 && log_apply_spec(arg_str(args, 0)) < 0) {
		*result = json_sprintf("bad log spec '%s'", arg_str(args, 0));
		rc = -EINVAL;
	}
	if (rc < 0)
		return rc;
	*result = levels_json();
	return *result != NULL ? 0 : -ENOMEM;
}

static int cmd_log_reopen(void *arg, json_t *args, json_t *req, json_t **result)
{
	int rc;

	(void)arg;
	(void)req;
	if (check_args(args, 0, 0, "log reopen", result) < 0)
		return -EINVAL;
	rc = log_reopen();
	if (rc < 0)
		*result = json_sprintf("cannot reopen the log: %s", strerror(-rc));
	return rc;
}

struct builtin {
	const char *prefix;
	const char *help;
	asok_cmd_fn *fn;
	char needs; /* 'a' the asok, 'c' the cfg, 'p' the perf registry, 0 none */
};

static const struct builtin builtins[] = {
	{ "help", "list the commands", cmd_help, 'a' },
	{ "version", "the daemon's version", cmd_version, 0 },
	{ "config show", "every option and its value", cmd_config_show, 'c' },
	{ "config diff", "options that differ from their default", cmd_config_diff, 'c' },
	{ "config get", "config get NAME: an option's value", cmd_config_get, 'c' },
	{ "config set", "config set NAME VALUE: set an option at runtime", cmd_config_set, 'c' },
	{ "config help", "config help NAME: describe an option", cmd_config_help, 'c' },
	{ "perf dump", "perf dump [COLL]: counter values", cmd_perf_dump, 'p' },
	{ "perf schema", "counter types and descriptions", cmd_perf_schema, 'p' },
	{ "perf reset", "perf reset [COLL]: zero counters (not gauges)", cmd_perf_reset, 'p' },
	{ "log level", "log level [SUBSYS LEVEL | SPEC]: show or set levels", cmd_log_level, 0 },
	{ "log reopen", "reopen the log file", cmd_log_reopen, 0 },
};

int asok_builtin_register(struct asok *a, struct cfg *cfg, struct perf_reg *perf)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const struct builtin *b = &builtins[i];
		void *arg = b->needs == 'a'   ? (void *)a
		            : b->needs == 'c' ? (void *)cfg
		            : b->needs == 'p' ? (void *)perf
		                              : NULL;
		int rc;

		if (b->needs != 0 && arg == NULL)
			continue; /* no cfg or no perf: those commands are absent */
		rc = asok_register(a, b->prefix, b->help, b->fn, arg);
		if (rc < 0)
			return rc;
	}
	return 0;
}
