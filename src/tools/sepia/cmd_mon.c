/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/cmd_mon.c - every command that is not local goes to the
 * monitors: the words are sent as they are ({"cmd": [...], "format": ...}),
 * the monitor picks the command and formats the answer. -i FILE sends a
 * file as input data; -o FILE writes the output data to a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "maps/monmap.h"
#include "monc/monc.h"

#define CLI_MAX_INPUT (64u << 20)

static void on_message(struct msg *m, void *arg)
{
	struct cli_session *s = arg;

	if (s->peer_msg && s->peer_msg(s, m))
		return;
	if (!s->monc || !monc_handle_message(s->monc, m))
		msg_put(m);
}

static void on_reset(struct msg_conn *c, void *arg)
{
	struct cli_session *s = arg;

	if (s->peer_reset)
		s->peer_reset(s, c);
	if (s->monc)
		monc_handle_reset(s->monc, c);
}

static int load_config(const struct cli *cli, struct cli_session *s)
{
	int rc = cfg_create(CFG_D_CLIENT, "admin", &s->cfg);

	if (rc == 0 && cli->cluster)
		rc = cfg_set(s->cfg, CFG_LAYER_CMDLINE, "cluster", cli->cluster);
	if (rc == 0 && cli->conf) {
		char *argv[] = { "sepia", "--conf", (char *)cli->conf, NULL };
		int argc = 3;

		rc = cfg_parse_argv(s->cfg, &argc, argv);
	}
	if (rc == 0)
		rc = cfg_load(s->cfg);
	if (rc == 0 && cli->mon_host)
		rc = cfg_set(s->cfg, CFG_LAYER_CMDLINE, "mon_host", cli->mon_host);
	return rc;
}

int cli_session_open(const struct cli *cli, struct cli_session *s)
{
	static const uint8_t nofsid[16];
	struct msg_dispatcher d = { .dispatch = on_message, .handle_reset = on_reset, .arg = s };
	struct msg_entity me;
	struct msg_opts o;
	struct monmap mons;
	char id[24];
	int rc = load_config(cli, s);

	if (rc < 0)
		return rc;
	monmap_init(&mons, nofsid);
	if (monmap_parse_hosts(&mons, cfg_str(s->cfg, CFG_KEY_mon_host)) < 0) {
		fprintf(stderr, "sepia: no monitors: set mon_host in the configuration (-c FILE)"
		                " or use --mon-host HOST:PORT,...\n");
		return -EINVAL;
	}
	snprintf(id, sizeof(id), "%llu", (unsigned long long)(tmr_wall_ns() % 1000000000ull));
	rc = msg_entity_set(&me, MSG_ENTITY_CLIENT, id);
	if (rc == 0)
		rc = msg_opts_load(s->cfg, &o);
	if (rc == 0)
		rc = msg_registry_create(&s->reg);
	if (rc == 0)
		rc = mon_proto_register(s->reg);
	if (rc == 0)
		rc = msg_messenger_create(&me, &o, s->reg, &d, &s->msgr);
	if (rc == 0)
		rc = msg_messenger_start(s->msgr);
	if (rc == 0)
		rc = monc_create(s->msgr, &mons, &s->monc);
	if (rc == 0)
		rc = monc_start(s->monc);
	return rc;
}

void cli_session_close(struct cli_session *s)
{
	struct monc *mc = s->monc;

	msg_messenger_destroy(s->msgr); /* no callback runs after this */
	s->monc = NULL;
	monc_destroy(mc);
	msg_registry_destroy(s->reg);
	cfg_destroy(s->cfg);
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int rc = 0;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || st.st_size > (off_t)CLI_MAX_INPUT)
		rc = -EFBIG;
	if (rc == 0 && !(*out = mem_malloc((size_t)st.st_size + 1)))
		rc = -ENOMEM;
	if (rc == 0 && (*len = fread(*out, 1, (size_t)st.st_size, f)) != (size_t)st.st_size)
		rc = -EIO;
	fclose(f);
	return rc;
}

/* Takes -i FILE and -o FILE out of the words. */
static int split_io(int *argc, char **argv, const char **in, const char **out)
{
	int n = 0;

	for (int i = 0; i < *argc; i++) {
		bool is_in = strcmp(argv[i], "-i") == 0, is_out = strcmp(argv[i], "-o") == 0;

		if ((is_in || is_out) && i + 1 >= *argc) {
			fprintf(stderr, "sepia: %s needs a file name\n", argv[i]);
			return -EINVAL;
		}
		if (is_in)
			*in = argv[++i];
		else if (is_out)
			*out = argv[++i];
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	return 0;
}

char *cli_build_cmd(const struct cli *cli, int argc, char **argv)
{
	static const char *const fmts[] = { "plain", "plain", "json", "json-pretty" };
	json_t *words = json_array(), *o;
	char *text;

	for (int i = 0; words && i < argc; i++)
		json_array_append_new(words, json_string(argv[i]));
	o = json_pack("{s:o, s:s}", "cmd", words, "format", fmts[cli->format]);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

int cli_write_output(const char *path, const struct monc_reply *r)
{
	FILE *f = path ? fopen(path, "wb") : stdout;
	int rc = 0;

	if (!f)
		return cli_fail(path, -errno);
	if (r->out_len && fwrite(r->out, 1, r->out_len, f) != r->out_len)
		rc = cli_fail(path ? path : "stdout", -EIO);
	if (!path && r->out_len && r->out[r->out_len - 1] != '\n')
		fputc('\n', f);
	if (path && fclose(f) != 0 && rc == 0)
		rc = cli_fail(path, -EIO);
	if (path && rc == 0)
		fprintf(stderr, "wrote %zu bytes to %s\n", r->out_len, path);
	return rc;
}

static int run(const struct cli *cli, struct cli_session *s, const char *cmd, const uint8_t *in,
               size_t in_len, const char *out_path)
{
	struct monc_reply r;
	int rc = cli_session_open(cli, s), code;

	if (rc < 0)
		return rc == -EINVAL ? CLI_EXIT_USAGE : cli_fail("connecting to the monitors", rc);
	rc = monc_command_sync(s->monc, cmd, in, in_len, cli->timeout_ms, &r);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "sepia: no answer from the monitors in %d s (%s)\n",
		        cli->timeout_ms / 1000, cfg_str(s->cfg, CFG_KEY_mon_host));
		return ETIMEDOUT;
	}
	if (rc < 0)
		return cli_fail("command", rc);
	if (r.status && r.status[0])
		fprintf(stderr, "%s\n", r.status);
	code = r.rc < 0 ? (-r.rc < 126 ? -r.rc : 1) : cli_write_output(out_path, &r);
	mem_free(r.status);
	mem_free(r.out);
	return code;
}

int cli_cmd_mon(struct cli *cli, int argc, char **argv)
{
	struct cli_session s = { 0 };
	const char *in_path = NULL, *out_path = NULL;
	uint8_t *in = NULL;
	size_t in_len = 0;
	char *cmd;
	int rc;

	if (split_io(&argc, argv, &in_path, &out_path) < 0)
		return CLI_EXIT_USAGE;
	if (in_path && (rc = read_file(in_path, &in, &in_len)) < 0)
		return cli_fail(in_path, rc);
	cmd = cli_build_cmd(cli, argc, argv);
	if (!cmd) {
		mem_free(in);
		return cli_fail("command", -ENOMEM);
	}
	log_set_level(LOG_SUB_msg, LOG_LVL_NONE); /* a dead monitor is hunting, not an error */
	rc = run(cli, &s, cmd, in, in_len, out_path);
	cli_session_close(&s);
	free(cmd);
	mem_free(in);
	return rc;
}
