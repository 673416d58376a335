/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/cmd_daemon.c - `sepia daemon NAME|SOCKET COMMAND [ARGS...]`:
 * one admin-socket command, its JSON answer printed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/asok.h"
#include "common/cfg.h"

#define DEFAULT_TIMEOUT_MS 30000

static int daemon_type(const char *name, size_t len, enum cfg_daemon *out)
{
	static const enum cfg_daemon all[] = { CFG_D_MON, CFG_D_OSD, CFG_D_MDS, CFG_D_CLIENT };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *t = cfg_daemon_name(all[i]);

		if (strlen(t) == len && strncmp(name, t, len) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* Finds the socket of daemon NAME (type.id) through the configuration. */
static int socket_of(const struct cli *cli, const char *name, char *path, size_t n)
{
	const char *dot = strchr(name, '.');
	enum cfg_daemon type;
	struct cfg *c;
	int rc;

	if (!dot || daemon_type(name, (size_t)(dot - name), &type) < 0) {
		fprintf(stderr,
		        "sepia: '%s' is neither a daemon name (osd.3, mon.a, mds.b, "
		        "client.x) nor a socket path\n",
		        name);
		return -EINVAL;
	}
	rc = cfg_create(type, dot + 1, &c);
	if (rc < 0)
		return rc;
	if (cli->cluster)
		rc = cfg_set(c, CFG_LAYER_CMDLINE, "cluster", cli->cluster);
	if (rc == 0 && cli->conf) {
		char *argv[] = { "sepia", "--conf", (char *)cli->conf, NULL };
		int argc = 3;

		rc = cfg_parse_argv(c, &argc, argv);
	}
	if (rc == 0)
		rc = cfg_load(c);
	if (rc == 0)
		snprintf(path, n, "%s", cfg_str(c, CFG_KEY_admin_socket));
	cfg_destroy(c);
	return rc;
}

static int parse_timeout(int *argc, char ***argv, int *ms)
{
	char *end;
	double s;

	if (*argc < 2 || strcmp((*argv)[0], "--timeout") != 0)
		return 0;
	s = strtod((*argv)[1], &end);
	if (*end || s <= 0 || s > 86400) {
		fprintf(stderr, "sepia: --timeout takes seconds, e.g. --timeout 5\n");
		return -EINVAL;
	}
	*ms = (int)(s * 1000);
	*argc -= 2;
	*argv += 2;
	return 0;
}

static json_t *build_request(int argc, char **argv, const struct cli *cli)
{
	json_t *words = json_array(), *req;

	for (int i = 0; words && i < argc; i++)
		json_array_append_new(words, json_string(argv[i]));
	req = json_pack("{s:o}", "cmd", words);
	if (req && cli->format != CLI_FMT_DEFAULT)
		json_object_set_new(req, "format",
		                    json_string(cli->format == CLI_FMT_PLAIN ? "plain" : "json"));
	return req;
}

static int show_reply(const struct cli *cli, json_t *reply)
{
	json_t *err = json_object_get(reply, "error");

	if (err) {
		json_int_t no = llabs(json_integer_value(json_object_get(reply, "errno")));

		fprintf(stderr, "sepia: %s\n",
		        json_string_value(err) ? json_string_value(err) : "error");
		return no > 0 && no < 126 ? (int)no : 1;
	}
	cli_print_json(cli, CLI_FMT_JSON_PRETTY, json_object_get(reply, "result"));
	return 0;
}

int cli_cmd_daemon(struct cli *cli, int argc, char **argv)
{
	int timeout_ms = DEFAULT_TIMEOUT_MS, rc, code;
	char path[4096];
	json_t *req, *reply = NULL;

	argc--, argv++; /* "daemon" */
	if (parse_timeout(&argc, &argv, &timeout_ms) < 0)
		return CLI_EXIT_USAGE;
	if (argc < 2) {
		fprintf(stderr,
		        "usage: sepia daemon [--timeout SECS] NAME|SOCKET COMMAND [ARGS...]\n"
		        "       (try COMMAND 'help')\n");
		return CLI_EXIT_USAGE;
	}
	if (strchr(argv[0], '/'))
		snprintf(path, sizeof(path), "%s", argv[0]);
	else if ((rc = socket_of(cli, argv[0], path, sizeof(path))) < 0)
		return rc == -EINVAL ? CLI_EXIT_USAGE : cli_fail("configuration", rc);
	req = build_request(argc - 1, argv + 1, cli);
	if (!req)
		return cli_fail("request", -ENOMEM);
	rc = asok_call(path, req, timeout_ms, &reply);
	json_decref(req);
	if (rc < 0) {
		char what[4200];

		snprintf(what, sizeof(what), "admin socket %s", path);
		return cli_fail(what, rc);
	}
	code = show_reply(cli, reply);
	json_decref(reply);
	return code;
}
