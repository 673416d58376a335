/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_cmd.h - the monitor's command framework, shared by the command
 * tables (mon_cmd_osd.c, mon_cmd_pool.c, mon_cmd_crush.c, mon_cmd_mon.c).
 * Threads: the main loop only.
 *
 * A command is the user's words, e.g. ["osd","pool","create","rbd","32"].
 * The longest registered prefix names the handler; the remaining words are
 * its arguments. A handler validates, fills the output (text or JSON, by
 * c->json) and a status sentence, and for a write adds its changes to c->tx
 * (built against the leader's pending view); the framework proposes them
 * and answers once they commit. Returns 0 or -errno. */
#ifndef SEPIA_MON_MON_CMD_H
#define SEPIA_MON_MON_CMD_H
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "mon/mon.h"

enum mon_cmd_flag {
	MON_CMD_READ = 0,        /* any monitor with a read lease */
	MON_CMD_WRITE = 1 << 0,  /* the leader, through the log */
	MON_CMD_LEADER = 1 << 1, /* read-only, but only the leader knows (quorum) */
};

#define MON_CMD_MAX_ARGS 64

struct mon_cmd_ctx {
	struct mon *m;
	const char *args[MON_CMD_MAX_ARGS]; /* borrowed from the parsed JSON */
	size_t nargs;
	bool json, pretty;
	const uint8_t *in; /* input data (osd setcrushmap -i) */
	size_t in_len;
	char status[512];
	char *out; /* text output, caller frees */
	size_t out_len, out_cap;
	json_t *jout; /* JSON output (json mode) */
	struct mon_txn tx;
};

typedef int mon_cmd_fn(struct mon_cmd_ctx *c);

struct mon_cmd_def {
	const char *prefix;
	unsigned flags;
	mon_cmd_fn *fn;
	const char *usage;
};

extern const struct mon_cmd_def mon_cmds_osd[], mon_cmds_pool[], mon_cmds_crush[], mon_cmds_mon[],
    mon_cmds_pg[];
extern const size_t mon_n_cmds_osd, mon_n_cmds_pool, mon_n_cmds_crush, mon_n_cmds_mon,
    mon_n_cmds_pg;

/* Output helpers. */
void mon_cmd_printf(struct mon_cmd_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mon_cmd_status(struct mon_cmd_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mon_cmd_set_json(struct mon_cmd_ctx *c, json_t *j); /* steals j */
/* -EINVAL with status "usage: ..." (the command's usage). */
int mon_cmd_usage(struct mon_cmd_ctx *c, const char *usage);

/* Argument parsing: 0 or -EINVAL with a status naming the problem. */
int mon_cmd_arg_int(struct mon_cmd_ctx *c, size_t i, const char *what, long long lo, long long hi,
                    long long *out);
int mon_cmd_arg_double(struct mon_cmd_ctx *c, size_t i, const char *what, double lo, double hi,
                       double *out);
bool mon_cmd_has_flag(const struct mon_cmd_ctx *c, const char *flag);
/* "3", "osd.3" -> 3; -ENOENT if no such OSD in the view. */
int mon_cmd_arg_osd(struct mon_cmd_ctx *c, size_t i, int *osd);
const struct osdmap_pool *mon_cmd_arg_pool(struct mon_cmd_ctx *c, size_t i);

/* Helpers for OSD changes through one incremental. */
int mon_cmd_propose_inc(struct mon_cmd_ctx *c, struct osdmap_inc *inc);

#endif /* SEPIA_MON_MON_CMD_H */
