/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/main.c - the sepia admin CLI: global options and dispatch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/log.h"

struct cli_cmd {
	const char *name;
	cli_cmd_fn *fn;
	const char *usage;
};

static const struct cli_cmd cmds[] = {
	{ "daemon", cli_cmd_daemon,
	  "daemon NAME|SOCKET COMMAND [ARGS...]\n"
	  "      run a command on one daemon's admin socket; NAME (osd.3, mon.a)\n"
	  "      finds the socket through the configuration. 'help' lists commands" },
	{ "config", cli_cmd_config,
	  "config help [OPTION]\n"
	  "      list every configuration option, or explain one" },
	{ "tell", cli_cmd_tell,
	  "tell osd.N COMMAND [ARGS...]\n"
	  "      run a command on one OSD over the network (address from the OSD map):\n"
	  "      status, dump_ops_in_flight, help, pg PGID query, ..." },
	{ "pg", cli_cmd_pg_osd,
	  "pg PGID query|scrub|deep-scrub|repair|list-inconsistent\n"
	  "      ask the PG's acting primary (found with 'pg map PGID'): its state,\n"
	  "      up/acting sets, info and scrub results as JSON; scrub and repair\n"
	  "      requests; the objects the last scrub found inconsistent" },
};

/* Monitor commands, for --help; the monitors define what each accepts. */
static const char *const mon_usage =
    "  status | -s                    cluster health, monitors, OSDs, pools\n"
    "  health [detail]                HEALTH_OK/WARN/ERR and each check\n"
    "  mon stat | mon dump\n"
    "  osd tree | osd dump | osd stat\n"
    "  osd pool create POOL PG_NUM [SIZE] | osd pool ls [detail]\n"
    "  osd pool get POOL VAR | osd pool set POOL VAR VALUE\n"
    "  osd pool rm POOL POOL --yes-i-really-really-mean-it\n"
    "  osd out|in|down ID... | osd reweight ID WEIGHT | osd set|unset FLAG\n"
    "  osd crush add|move|rm|reweight ...\n"
    "  osd getcrushmap -o FILE | osd setcrushmap -i FILE\n"
    "      (edit with sepia-crush decompile / compile)\n"
    "  osd map POOL OBJECT\n"
    "  pg stat | pg dump | pg ls [POOL]  PG states and counts reported by OSDs\n"
    "  pg map PGID                    the PG's up and acting sets and primaries\n"
    "  df                             raw and per-pool usage\n"
    "  config set WHO OPTION VALUE | config get WHO [OPTION] | config dump\n"
    "  fs new NAME METADATA_POOL DATA_POOL | fs ls | fs rm NAME | fs dump\n";

static void usage(FILE *out)
{
	fprintf(out, "usage: sepia [-c FILE] [--cluster NAME] [--format plain|json|json-pretty]\n"
	             "             COMMAND ...\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %s\n", cmds[i].usage);
	fprintf(out, "\nCluster commands (answered by the monitors named by mon_host):\n%s",
	        mon_usage);
	fprintf(out, "\nGlobal options: -c FILE, --cluster NAME, --mon-host HOST:PORT[,...],\n"
	             "--format plain|json|json-pretty, --timeout SECONDS (default 30).\n");
	fprintf(out, "\nExit status: 0 on success, 2 on a usage error, otherwise the errno of\n"
	             "the failure (2 ENOENT no such daemon, socket, OSD or PG, 6 ENXIO OSD down,\n"
	             "11 EAGAIN PG without a primary, 22 EINVAL bad argument, 95 EOPNOTSUPP\n"
	             "not supported, 110 ETIMEDOUT no answer, 111 ECONNREFUSED daemon not\n"
	             "running).\n");
}

void cli_print_json(const struct cli *cli, enum cli_format def, json_t *j)
{
	enum cli_format f = cli->format == CLI_FMT_DEFAULT ? def : cli->format;
	size_t flags = JSON_ENCODE_ANY | (f == CLI_FMT_JSON ? JSON_COMPACT : JSON_INDENT(4));
	char *s;

	if (f == CLI_FMT_PLAIN && json_is_string(j)) {
		printf("%s\n", json_string_value(j));
		return;
	}
	s = json_dumps(j, flags);
	if (s)
		printf("%s\n", s);
	free(s);
}

int cli_fail(const char *what, int rc)
{
	fprintf(stderr, "sepia: %s: %s\n", what, strerror(-rc));
	return -rc > 0 && -rc < 126 ? -rc : 1;
}

static int parse_format(const char *s, enum cli_format *f)
{
	if (strcmp(s, "plain") == 0)
		*f = CLI_FMT_PLAIN;
	else if (strcmp(s, "json") == 0)
		*f = CLI_FMT_JSON;
	else if (strcmp(s, "json-pretty") == 0)
		*f = CLI_FMT_JSON_PRETTY;
	else
		return -EINVAL;
	return 0;
}

/* Consumes global options; returns the index of the command word, or <0. */
static int parse_globals(struct cli *cli, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "-s") != 0; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return -ECANCELED;
		}
		if (strcmp(a, "--version") == 0) {
			printf("sepia %s\n", SEPIA_VERSION);
			return -ECANCELED;
		}
		if (strncmp(a, "--format=", 9) == 0 && parse_format(a + 9, &cli->format) == 0)
			continue;
		if (!v)
			break;
		if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
			if (parse_format(v, &cli->format) < 0)
				break;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--conf") == 0) {
			cli->conf = v;
		} else if (strcmp(a, "--cluster") == 0) {
			cli->cluster = v;
		} else if (strcmp(a, "--mon-host") == 0) {
			cli->mon_host = v;
		} else if (strcmp(a, "--timeout") == 0) {
			cli->timeout_ms = (int)(atof(v) * 1000);
			if (cli->timeout_ms <= 0)
				break;
		} else {
			break;
		}
		i++;
	}
	if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-s") != 0) {
		fprintf(stderr, "sepia: bad option '%s'\n", argv[i]);
		return -EINVAL;
	}
	return i;
}

int main(int argc, char **argv)
{
	struct cli cli = { .format = CLI_FMT_DEFAULT, .timeout_ms = 30000 };
	int at;

	log_set_all_levels(LOG_LVL_WARN);
	at = parse_globals(&cli, argc, argv);
	if (at == -ECANCELED)
		return 0;
	if (at < 0 || at >= argc) {
		if (at >= argc)
			usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[at], "-s") == 0)
		argv[at] = "status";
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[at], cmds[i].name) == 0 &&
		    (cmds[i].fn != cli_cmd_config ||
		     (at + 1 < argc && !strcmp(argv[at + 1], "help"))) &&
		    (cmds[i].fn != cli_cmd_pg_osd || cli_is_pg_osd_cmd(argc - at, argv + at)))
			return cmds[i].fn(&cli, argc - at, argv + at);
	return cli_cmd_mon(&cli, argc - at, argv + at);
}
