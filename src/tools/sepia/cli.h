/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/cli.h - what the sepia CLI's command files share. */
#ifndef SEPIA_TOOLS_SEPIA_CLI_H
#define SEPIA_TOOLS_SEPIA_CLI_H
#include <jansson.h>

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
/* Anything else: sent to the monitors. */
int cli_cmd_mon(struct cli *cli, int argc, char **argv);

/* Prints j in the chosen format (def is used for CLI_FMT_DEFAULT). */
void cli_print_json(const struct cli *cli, enum cli_format def, json_t *j);
/* Prints "sepia: <what>: <strerror>" to stderr; returns an exit code. */
int cli_fail(const char *what, int rc);

#endif /* SEPIA_TOOLS_SEPIA_CLI_H */
