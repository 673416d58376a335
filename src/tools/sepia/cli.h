/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/cli.h - what the sepia CLI's command files share. */
#ifndef SEPIA_TOOLS_SEPIA_CLI_H
#define SEPIA_TOOLS_SEPIA_CLI_H
#include <jansson.h>
#include <stdbool.h>

#include "monc/monc.h"

#define CLI_EXIT_USAGE 2

enum cli_format { CLI_FMT_DEFAULT, CLI_FMT_PLAIN, CLI_FMT_JSON, CLI_FMT_JSON_PRETTY };

struct cli {
	enum cli_format format;
	const char *conf;     /* -c/--conf, or NULL */
	const char *cluster;  /* --cluster, or NULL */
	const char *mon_host; /* --mon-host, or NULL */
	int timeout_ms;       /* --timeout for monitor commands */
};

/* A command: argv[0] is its first word. Returns the process exit code. */
typedef int cli_cmd_fn(struct cli *cli, int argc, char **argv);

int cli_cmd_daemon(struct cli *cli, int argc, char **argv);
int cli_cmd_config(struct cli *cli, int argc, char **argv);
/* `tell osd.N COMMAND...` and `pg PGID query|scrub|deep-scrub|repair`:
 * sent to one OSD (cmd_tell.c). */
int cli_cmd_tell(struct cli *cli, int argc, char **argv);
int cli_cmd_pg_osd(struct cli *cli, int argc, char **argv);
bool cli_is_pg_osd_cmd(int argc, char **argv);
/* Anything else: sent to the monitors. */
int cli_cmd_mon(struct cli *cli, int argc, char **argv);

/* A messenger with a monitor client (cmd_mon.c). peer_msg / peer_reset,
 * when set, see every message and lossy reset first (on the messenger's
 * dispatch thread); peer_msg returns true if it took the message. */
struct cli_session {
	struct cfg *cfg;
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	struct monc *monc; /* set after the messenger exists */
	bool (*peer_msg)(struct cli_session *s, struct msg *m);
	void (*peer_reset)(struct cli_session *s, struct msg_conn *c);
	void *peer_arg;
};
/* Loads the configuration and connects to the monitors. 0 or -errno
 * (-EINVAL: no monitors configured, already explained on stderr). */
int cli_session_open(const struct cli *cli, struct cli_session *s);
void cli_session_close(struct cli_session *s); /* no callback runs after it */
/* {"cmd": [argv...], "format": ...}; malloc'd (free), NULL on -ENOMEM. */
char *cli_build_cmd(const struct cli *cli, int argc, char **argv);
/* Writes a reply's output to path (NULL: stdout); returns an exit code. */
int cli_write_output(const char *path, const struct monc_reply *r);

/* Prints j in the chosen format (def is used for CLI_FMT_DEFAULT). */
void cli_print_json(const struct cli *cli, enum cli_format def, json_t *j);
/* Prints "sepia: <what>: <strerror>" to stderr; returns an exit code. */
int cli_fail(const char *what, int rc);

#endif /* SEPIA_TOOLS_SEPIA_CLI_H */
