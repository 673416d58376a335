/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/cmd_config.c - `sepia config help [OPTION]` from the option
 * table compiled into this binary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/cfg.h"

static int help_all(const struct cli *cli)
{
	json_t *all;

	if (cli->format == CLI_FMT_JSON || cli->format == CLI_FMT_JSON_PRETTY) {
		all = json_array();
		for (int k = 0; all && k < CFG_KEY_COUNT; k++)
			json_array_append_new(all, cfg_help_json((enum cfg_key)k));
		cli_print_json(cli, CLI_FMT_JSON_PRETTY, all);
		json_decref(all);
		return 0;
	}
	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		const struct cfg_opt *o = cfg_opt((enum cfg_key)k);

		printf("%-28s %s\n", o->name, o->help);
	}
	return 0;
}

static int help_one(const struct cli *cli, const char *name)
{
	int key = cfg_find(name);
	char text[2048];
	json_t *j;

	if (key < 0) {
		fprintf(stderr, "sepia: unknown option '%s' (see sepia config help)\n", name);
		return ENOENT;
	}
	if (cli->format == CLI_FMT_JSON || cli->format == CLI_FMT_JSON_PRETTY) {
		j = cfg_help_json((enum cfg_key)key);
		cli_print_json(cli, CLI_FMT_JSON_PRETTY, j);
		json_decref(j);
		return 0;
	}
	cfg_help_text((enum cfg_key)key, text, sizeof(text));
	fputs(text, stdout);
	return 0;
}

int cli_cmd_config(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "help") == 0 && argc <= 3)
		return argc == 2 ? help_all(cli) : help_one(cli, argv[2]);
	fprintf(stderr, "usage: sepia config help [OPTION]\n");
	return CLI_EXIT_USAGE;
}
