/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/sepia/cmd_tell.c - commands answered by one OSD rather than the
 * monitors (Ceph's `ceph tell osd.N ...` and `ceph pg PGID query`):
 *   sepia tell osd.N COMMAND...          status, dump_ops_in_flight, help, ...
 *   sepia pg PGID query|scrub|deep-scrub|repair|list-inconsistent
 * The OSD's address comes from the monitors' `osd dump`; `pg` first asks
 * them `pg map PGID` for the PG's acting primary. The command travels as
 * MON_MSG_COMMAND on a lossy connection to the OSD's messenger and the
 * answer (MON_MSG_COMMAND_REPLY) comes back on it. Exit code: 0, or the
 * errno of the failure (ENOENT no such OSD or PG, ENXIO OSD down,
 * ECONNREFUSED unreachable, ETIMEDOUT no answer within --timeout). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "monc/monc.h"

/* One command in flight to an OSD. */
struct tell {
	pthread_mutex_t lock; /* reply, reset */
	pthread_cond_t cond;
	struct msg_conn *conn; /* ref; set before the send */
	struct mon_msg_command_reply *reply;
	bool reset;
};

static bool on_peer_msg(struct cli_session *s, struct msg *m)
{
	struct tell *t = s->peer_arg;

	if (m->type != MON_MSG_COMMAND_REPLY || !m->ops || !t->conn || m->conn != t->conn)
		return false;
	pthread_mutex_lock(&t->lock);
	if (!t->reply)
		t->reply = (struct mon_msg_command_reply *)(void *)m;
	else
		msg_put(m);
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return true;
}

static void on_peer_reset(struct cli_session *s, struct msg_conn *c)
{
	struct tell *t = s->peer_arg;

	pthread_mutex_lock(&t->lock);
	if (c == t->conn) {
		t->reset = true;
		pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
}

/* A monitor command whose JSON answer is parsed into *out. */
static int mon_json(const struct cli *cli, struct cli_session *s, char **words, int n, json_t **out)
{
	struct cli json_cli = *cli;
	struct monc_reply r;
	char *cmd;
	int rc;

	json_cli.format = CLI_FMT_JSON;
	if (!(cmd = cli_build_cmd(&json_cli, n, words)))
		return -ENOMEM;
	rc = monc_command_sync(s->monc, cmd, NULL, 0, cli->timeout_ms, &r);
	free(cmd);
	if (rc < 0)
		return rc;
	if (r.rc < 0 && r.status && r.status[0])
		fprintf(stderr, "%s\n", r.status);
	rc = r.rc;
	if (rc == 0 && !(*out = json_loadb((const char *)r.out, r.out_len, 0, NULL)))
		rc = -EBADMSG;
	mem_free(r.status);
	mem_free(r.out);
	return rc;
}

/* osd.N's address from the monitors' OSD map: 0, -ENOENT, -ENXIO (down). */
static int osd_addr(const struct cli *cli, struct cli_session *s, int id, struct msg_addr *out)
{
	char *words[] = { "osd", "dump" };
	json_t *j = NULL, *o;
	size_t i;
	int rc = mon_json(cli, s, words, 2, &j);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	json_array_foreach(json_object_get(j, "osds"), i, o)
	{
		if (json_integer_value(json_object_get(o, "osd")) != id)
			continue;
		if (!json_integer_value(json_object_get(o, "up")))
			rc = -ENXIO;
		else
			rc = msg_addr_parse(json_string_value(json_object_get(o, "addr")), out);
		break;
	}
	json_decref(j);
	if (rc == -ENOENT)
		fprintf(stderr, "sepia: osd.%d does not exist\n", id);
	else if (rc == -ENXIO)
		fprintf(stderr, "sepia: osd.%d is down\n", id);
	return rc;
}

static int wait_reply(struct tell *t, int timeout_ms, struct mon_msg_command_reply **out)
{
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!t->reply && !t->reset && rc == 0)
		rc = pthread_cond_timedwait(&t->cond, &t->lock, &dl);
	*out = t->reply;
	t->reply = NULL;
	rc = *out ? 0 : t->reset ? -ECONNREFUSED : -ETIMEDOUT;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* Sends words to osd.id and prints its answer; returns the exit code. */
static int tell_osd(const struct cli *cli, struct cli_session *s, struct tell *t, int id, int argc,
                    char **argv)
{
	struct mon_msg_command_reply *r = NULL;
	struct mon_msg_command *m;
	struct msg_addr addr;
	struct msg_entity e;
	char ids[16], what[48], *cmd;
	int rc = osd_addr(cli, s, id, &addr);

	snprintf(what, sizeof(what), "osd.%d", id);
	if (rc < 0)
		return rc == -ETIMEDOUT ? cli_fail("asking the monitors", rc) : -rc;
	snprintf(ids, sizeof(ids), "%d", id);
	if (!(cmd = cli_build_cmd(cli, argc, argv)))
		return cli_fail(what, -ENOMEM);
	rc = msg_entity_set(&e, MSG_ENTITY_OSD, ids);
	if (rc == 0)
		rc = msg_connect(s->msgr, &e, &addr, MSG_POLICY_LOSSY, &t->conn);
	if (rc == 0)
		rc = mon_command_create(1, cmd, NULL, 0, &m);
	free(cmd);
	if (rc == 0)
		rc = msg_send(t->conn, &m->m);
	if (rc == 0)
		rc = wait_reply(t, cli->timeout_ms, &r);
	if (rc < 0)
		return cli_fail(what, rc);
	if (r->status && r->status[0])
		fprintf(stderr, "%s\n", r->status);
	if (r->rc < 0)
		rc = -r->rc < 126 ? -r->rc : 1;
	else
		rc = cli_write_output(NULL,
		                      &(struct monc_reply){ .out = r->out, .out_len = r->out_len });
	msg_put(&r->m);
	return rc;
}

/* Runs fn with a session whose OSD replies reach t. */
typedef int tell_fn(const struct cli *cli, struct cli_session *s, struct tell *t, int argc,
                    char **argv);

static int with_session(const struct cli *cli, tell_fn *fn, int argc, char **argv)
{
	struct tell t = { 0 };
	struct cli_session s = { .peer_msg = on_peer_msg,
		                 .peer_reset = on_peer_reset,
		                 .peer_arg = &t };
	int rc;

	pthread_mutex_init(&t.lock, NULL);
	pthread_cond_init(&t.cond, NULL);
	log_set_level(LOG_SUB_msg, LOG_LVL_NONE); /* a dead peer is reported by us */
	rc = cli_session_open(cli, &s);
	if (rc < 0)
		rc = rc == -EINVAL ? CLI_EXIT_USAGE : cli_fail("connecting to the monitors", rc);
	else
		rc = fn(cli, &s, &t, argc, argv);
	cli_session_close(&s); /* no callback after it */
	if (t.reply)
		msg_put(&t.reply->m);
	msg_conn_put(t.conn);
	pthread_cond_destroy(&t.cond);
	pthread_mutex_destroy(&t.lock);
	return rc;
}

static int parse_osd(const char *s, int *id)
{
	char *end;
	long v;

	if (strncmp(s, "osd.", 4) == 0)
		s += 4;
	v = strtol(s, &end, 10);
	if (end == s || *end || v < 0 || v > 65535)
		return -EINVAL;
	*id = (int)v;
	return 0;
}

static int run_tell(const struct cli *cli, struct cli_session *s, struct tell *t, int argc,
                    char **argv)
{
	int id = -1;
	int rc = parse_osd(argv[1], &id); /* checked by cli_cmd_tell */

	return rc < 0 ? rc : tell_osd(cli, s, t, id, argc - 2, argv + 2);
}

int cli_cmd_tell(struct cli *cli, int argc, char **argv)
{
	int id;

	if (argc < 3 || parse_osd(argv[1], &id) < 0) {
		fprintf(stderr, "usage: sepia tell osd.N COMMAND [ARGS...]  ('help' lists them)\n");
		return CLI_EXIT_USAGE;
	}
	return with_session(cli, run_tell, argc, argv);
}

bool cli_is_pg_osd_cmd(int argc, char **argv)
{
	static const char *const verbs[] = { "query", "scrub", "deep-scrub", "repair",
		                             "list-inconsistent" };

	if (argc < 3 || strcmp(argv[0], "pg") != 0)
		return false;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[2], verbs[i]) == 0)
			return true;
	return false;
}

/* pg PGID VERB [ARGS...]: to the PG's acting primary. */
static int run_pg(const struct cli *cli, struct cli_session *s, struct tell *t, int argc,
                  char **argv)
{
	char *words[] = { "pg", "map", argv[1] };
	const char *pgid;
	json_t *j = NULL;
	int rc = mon_json(cli, s, words, 3, &j), primary;

	if (rc < 0)
		return rc == -ETIMEDOUT ? cli_fail("asking the monitors", rc) : -rc;
	primary = (int)json_integer_value(json_object_get(j, "acting_primary"));
	pgid = json_string_value(json_object_get(j, "pgid"));
	if (!json_is_integer(json_object_get(j, "acting_primary")) || primary < 0 || !pgid) {
		fprintf(stderr, "sepia: pg %s has no acting primary now\n", argv[1]);
		json_decref(j);
		return EAGAIN;
	}
	argv[1] = (char *)pgid; /* the PG the raw id maps to; valid while j lives */
	rc = tell_osd(cli, s, t, primary, argc, argv);
	json_decref(j);
	return rc;
}

int cli_cmd_pg_osd(struct cli *cli, int argc, char **argv)
{
	return with_session(cli, run_pg, argc, argv);
}
