/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/cfg.h - typed configuration: one option table, INI files, command
 * line, central and runtime overrides.
 * Threads: getters are lock-free and may run on any thread; setters, loaders
 * and observers serialize on the cfg's mutex (an observer runs on the setting
 * thread with the mutex released).
 *
 * Every option is declared once in cfg_opts.h. A value comes from the
 * highest layer that sets it:
 *   default < file < mon (central) < env < cmdline < runtime (admin socket)
 * Inside the file layer the most specific section wins for a daemon named
 * osd.3: [global] < [osd] < [osd.3]. Option names match with '_', '-' and ' '
 * as the same character. Diagnostics (unknown option, bad value, bad syntax)
 * are logged on subsystem cfg with the file name and line; unknown options
 * warn and are skipped, bad values and bad syntax fail the load with -EINVAL
 * and leave the cfg as it was. */
#ifndef SEPIA_COMMON_CFG_H
#define SEPIA_COMMON_CFG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum cfg_type { CFG_BOOL, CFG_INT, CFG_SIZE, CFG_DOUBLE, CFG_STR };

enum cfg_daemon {
	CFG_D_MON = 1 << 0,
	CFG_D_OSD = 1 << 1,
	CFG_D_MDS = 1 << 2,
	CFG_D_CLIENT = 1 << 3,
	CFG_D_TOOL = 1 << 4,
	CFG_D_ALL = 0x1f,
};

enum cfg_flag { CFG_F_STARTUP = 1 << 0 };

enum cfg_layer {
	CFG_LAYER_DEFAULT,
	CFG_LAYER_FILE,
	CFG_LAYER_MON,
	CFG_LAYER_ENV,
	CFG_LAYER_CMDLINE,
	CFG_LAYER_RUNTIME,
	CFG_LAYER_COUNT
};

#include "common/cfg_opts.h"

enum cfg_key {
#define CFG_KEY_ENUM(name, ...) CFG_KEY_##name,
	CFG_OPTS_LIST(CFG_KEY_ENUM)
#undef CFG_KEY_ENUM
	    CFG_KEY_COUNT
};

struct cfg_opt {
	const char *name;
	enum cfg_type type;
	const char *def, *min, *max;
	unsigned daemons, flags;
	const char *help;
};

struct cfg; /* opaque */
typedef void cfg_change_fn(struct cfg *c, enum cfg_key key, void *arg);

/* type is the daemon kind (one CFG_D_* bit), id its id ("3", "a", "admin");
 * the name is "<type>.<id>" (osd.3, client.admin). 0, -EINVAL, -ENOMEM. */
int cfg_create(enum cfg_daemon type, const char *id, struct cfg **out);
void cfg_destroy(struct cfg *c);

/* Consumes the options it knows from argv (compacting it; *argc shrinks) and
 * leaves the rest in order: --name VALUE, --name=VALUE, -c/--conf FILE,
 * -i/--id ID, -n/--name TYPE.ID, --cluster NAME. "--" ends option parsing.
 * An unknown "--option" is left for the caller. 0 or -EINVAL (logged). */
int cfg_parse_argv(struct cfg *c, int *argc, char **argv);
/* Loads the file named by --conf, else $SEPIA_CONF, else
 * /etc/sepia/$cluster.conf if it exists. A named file must exist (-ENOENT).
 * Then applies SEPIA_OPT_<name>=value environment variables (env layer). */
int cfg_load(struct cfg *c);
/* Applies every SEPIA_OPT_<name>=value environment variable at the env
 * layer (cfg_load does it too). 0, -ENOENT (unknown option), -EINVAL. */
int cfg_load_env(struct cfg *c);
int cfg_load_file(struct cfg *c, const char *path);
/* Parses INI text; name is used in diagnostics. */
int cfg_load_text(struct cfg *c, const char *name, const char *text, size_t len);
/* Sets name at layer. 0, -ENOENT (unknown), -EINVAL (unparsable),
 * -ERANGE (out of bounds). Runtime sets of CFG_F_STARTUP options are stored
 * and reported but take effect at the next start (returns 0). */
int cfg_set(struct cfg *c, enum cfg_layer layer, const char *name, const char *value);
/* Drops what layer set for name. 0 or -ENOENT. */
int cfg_unset(struct cfg *c, enum cfg_layer layer, const char *name);

/* Option lookup: key, or -ENOENT. */
int cfg_find(const char *name);
const struct cfg_opt *cfg_opt(enum cfg_key key);

bool cfg_bool(const struct cfg *c, enum cfg_key key);
int64_t cfg_int(const struct cfg *c, enum cfg_key key);
uint64_t cfg_size(const struct cfg *c, enum cfg_key key);
double cfg_double(const struct cfg *c, enum cfg_key key);
/* Expanded string; valid until cfg_destroy(). */
const char *cfg_str(const struct cfg *c, enum cfg_key key);
/* The effective value as text into buf. Returns the length it needs (like
 * snprintf) or -ENOENT. */
int cfg_get_text(const struct cfg *c, const char *name, char *buf, size_t n);
enum cfg_layer cfg_source(const struct cfg *c, enum cfg_key key);

const char *cfg_name(const struct cfg *c); /* "osd.3" */
const char *cfg_id(const struct cfg *c);   /* "3" */
enum cfg_daemon cfg_daemon_type(const struct cfg *c);
const char *cfg_daemon_name(enum cfg_daemon type); /* "osd" */
const char *cfg_layer_name(enum cfg_layer layer);  /* "default", "file", ... */

/* Runs fn after every change of key's effective value. 0 or -ENOMEM. */
int cfg_observe(struct cfg *c, enum cfg_key key, cfg_change_fn *fn, void *arg);

/* {"name": value, ...} of every option this daemon reads (all if diff_only
 * is false) or only those not at their default. New reference or NULL. */
json_t *cfg_dump_json(const struct cfg *c, bool diff_only);
/* {"name", "type", "default", "min", "max", "daemons", "flags", "help"}. */
json_t *cfg_help_json(enum cfg_key key);
/* Human help for one option, as `sepia config help NAME` prints it; returns
 * the length it needs like snprintf. */
int cfg_help_text(enum cfg_key key, char *buf, size_t n);

#endif /* SEPIA_COMMON_CFG_H */
