/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_cmd.c - command dispatch: parsing the command JSON, choosing the
 * handler by longest prefix, deciding where it runs (here, at the leader,
 * or later), proposing writes and answering once they commit, relaying
 * forwarded commands, and the waiters that hold all of these.
 *
 * DESIGN
 * Where a command runs:
 *   read            here if mon_can_read (lease held, caught up), else
 *                   forwarded to the leader if known, else parked
 *   write / leader  here if mon_can_write (leader, committed in its term),
 *                   else forwarded if the leader is known, else parked
 *   forwarded in    never forwarded again: run, park (no leader) or -EAGAIN
 * Waiter states and edges:
 *   RETRY   --tick, can run--> (run)      --deadline--> -ETIMEDOUT
 *   FORWARD --FWD_REPLY--> answered       --leader changed--> RETRY
 *   COMMIT(index 0: queued) --group proposed--> COMMIT(index, term)
 *   COMMIT  --applied, same term--> answered; other term or -ESTALE--> -EAGAIN
 * Invariants: W1 every waiter holds a ref on its reply connection and, when
 * RETRY or FORWARD, on its command; W2 a waiter is answered exactly once,
 * then freed (mon_cmd_fini answers the rest with -ECANCELED). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "monc/mon_proto.h"
#include "mon/mon_cmd.h"

static void reply_to(struct mon *m, struct msg_conn *c, uint64_t tid, bool fwd, int rc,
                     const char *status, const char *out, size_t out_len)
{
	int err = fwd ? mon_net_fwd_reply(c, tid, rc, status, out, out_len)
	              : mon_net_reply(c, tid, rc, status, out, out_len, m->leader);

	if (err < 0)
		log_debug(mon, "cannot answer command %llu: %s", (unsigned long long)tid,
		          strerror(-err));
}

static void waiter_free(struct mon_waiter *w)
{
	list_remove(&w->node);
	msg_conn_put(w->conn);
	if (w->cmd)
		msg_put(&w->cmd->m);
	mem_free(w->status);
	mem_free(w->out);
	mem_free(w);
}

static void waiter_answer(struct mon *m, struct mon_waiter *w, int rc, const char *status,
                          const char *out, size_t out_len)
{
	reply_to(m, w->conn, w->tid, w->reply_fwd, rc, status, out, out_len);
	waiter_free(w);
}

static struct mon_waiter *waiter_add(struct mon *m, enum mon_wait_kind kind, struct msg_conn *c,
                                     uint64_t tid, bool fwd)
{
	struct mon_waiter *w = mem_calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->kind = kind;
	w->conn = msg_conn_get(c);
	w->tid = tid;
	w->reply_fwd = fwd;
	w->deadline_ms =
	    mon_now_ms() + (uint64_t)(cfg_double(m->d.cfg, CFG_KEY_mon_command_timeout) * 1000);
	list_push_back(&m->waiters, &w->node);
	return w;
}

/* --- output and argument helpers ------------------------------------------ */

static void vappend(char **buf, size_t *len, size_t *cap, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || mem_grow(buf, 1, cap, *len + (size_t)n + 1) < 0)
		return;
	vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
	*len += (size_t)n;
}

void mon_cmd_printf(struct mon_cmd_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(&c->out, &c->out_len, &c->out_cap, fmt, ap);
	va_end(ap);
}

void mon_cmd_status(struct mon_cmd_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->status, sizeof(c->status), fmt, ap);
	va_end(ap);
}

void mon_cmd_set_json(struct mon_cmd_ctx *c, json_t *j)
{
	json_decref(c->jout);
	c->jout = j;
}

int mon_cmd_usage(struct mon_cmd_ctx *c, const char *usage)
{
	mon_cmd_status(c, "invalid arguments; usage: %s", usage);
	return -EINVAL;
}

int mon_cmd_arg_int(struct mon_cmd_ctx *c, size_t i, const char *what, long long lo, long long hi,
                    long long *out)
{
	char *end;
	long long v;

	if (i >= c->nargs) {
		mon_cmd_status(c, "missing %s", what);
		return -EINVAL;
	}
	v = strtoll(c->args[i], &end, 10);
	if (!c->args[i][0] || *end || v < lo || v > hi) {
		mon_cmd_status(c, "%s '%s' is not an integer in [%lld, %lld]", what, c->args[i], lo,
		               hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int mon_cmd_arg_double(struct mon_cmd_ctx *c, size_t i, const char *what, double lo, double hi,
                       double *out)
{
	char *end;
	double v;

	if (i >= c->nargs) {
		mon_cmd_status(c, "missing %s", what);
		return -EINVAL;
	}
	v = strtod(c->args[i], &end);
	if (!c->args[i][0] || *end || !(v >= lo && v <= hi)) {
		mon_cmd_status(c, "%s '%s' is not a number in [%g, %g]", what, c->args[i], lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

bool mon_cmd_has_flag(const struct mon_cmd_ctx *c, const char *flag)
{
	for (size_t i = 0; i < c->nargs; i++)
		if (strcmp(c->args[i], flag) == 0)
			return true;
	return false;
}

int mon_cmd_arg_osd(struct mon_cmd_ctx *c, size_t i, int *osd)
{
	const char *s = i < c->nargs ? c->args[i] : NULL;
	char *end;
	long v;

	if (!s) {
		mon_cmd_status(c, "missing OSD id");
		return -EINVAL;
	}
	if (strncmp(s, "osd.", 4) == 0)
		s += 4;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v >= OSDMAP_MAX_OSD) {
		mon_cmd_status(c, "invalid OSD id '%s'", c->args[i]);
		return -EINVAL;
	}
	if (!osdmap_osd_exists(mon_svc_osdmap_view(c->m), (int)v)) {
		mon_cmd_status(c, "osd.%ld does not exist", v);
		return -ENOENT;
	}
	*osd = (int)v;
	return 0;
}

const struct osdmap_pool *mon_cmd_arg_pool(struct mon_cmd_ctx *c, size_t i)
{
	const struct osdmap_pool *p;

	if (i >= c->nargs) {
		mon_cmd_status(c, "missing pool name");
		return NULL;
	}
	p = osdmap_pool_by_name(mon_svc_osdmap_view(c->m), c->args[i]);
	if (!p)
		mon_cmd_status(c, "pool '%s' does not exist", c->args[i]);
	return p;
}

int mon_cmd_propose_inc(struct mon_cmd_ctx *c, struct osdmap_inc *inc)
{
	int rc = mon_svc_propose_inc(c->m, inc, &c->tx);

	if (rc == -EINVAL && !c->status[0])
		mon_cmd_status(c, "the change does not apply to osdmap e%u",
		               mon_svc_osdmap_view(c->m)->epoch);
	return rc;
}

/* --- finding the handler ---------------------------------------------------- */

static size_t prefix_words(const char *prefix, const char *const *w, size_t n)
{
	size_t k = 0;
	const char *p = prefix;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (k >= n || strlen(w[k]) != len || strncmp(w[k], p, len) != 0)
			return 0;
		k++;
		p += len;
		p += *p == ' ';
	}
	return k;
}

static const struct mon_cmd_def *find_cmd(const char *const *w, size_t n, size_t *used)
{
	const struct mon_cmd_def *tables[] = { mon_cmds_osd, mon_cmds_pool, mon_cmds_crush,
		                               mon_cmds_mon, mon_cmds_pg };
	const size_t sizes[] = { mon_n_cmds_osd, mon_n_cmds_pool, mon_n_cmds_crush, mon_n_cmds_mon,
		                 mon_n_cmds_pg };
	const struct mon_cmd_def *best = NULL;

	*used = 0;
	for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++)
		for (size_t i = 0; i < sizes[t]; i++) {
			size_t k = prefix_words(tables[t][i].prefix, w, n);

			if (k > *used) {
				*used = k;
				best = &tables[t][i];
			}
		}
	return best;
}

/* Parsed command text: words and format. */
struct parsed {
	json_t *root;
	const char *w[MON_CMD_MAX_ARGS];
	size_t n;
	bool json, pretty;
};

static int parse_cmd(const char *text, struct parsed *p, char *why, size_t whylen)
{
	json_t *words, *v;
	const char *fmt;
	size_t i;

	p->root = json_loads(text, 0, NULL);
	words = json_object_get(p->root, "cmd");
	if (!json_is_array(words) || json_array_size(words) == 0 ||
	    json_array_size(words) > MON_CMD_MAX_ARGS) {
		snprintf(why, whylen, "command is not {\"cmd\": [words...]}");
		return -EINVAL;
	}
	json_array_foreach(words, i, v)
	{
		if (!json_is_string(v)) {
			snprintf(why, whylen, "command word %zu is not a string", i);
			return -EINVAL;
		}
		p->w[p->n++] = json_string_value(v);
	}
	fmt = json_string_value(json_object_get(p->root, "format"));
	p->json = fmt && strncmp(fmt, "json", 4) == 0;
	p->pretty = fmt && strcmp(fmt, "json-pretty") == 0;
	return 0;
}

/* --- running a command here --------------------------------------------- */

static void finish_output(struct mon_cmd_ctx *c)
{
	char *s;

	if (!c->json || !c->jout)
		return;
	s = json_dumps(c->jout, c->pretty ? JSON_INDENT(4) | JSON_SORT_KEYS : JSON_COMPACT);
	c->out_len = 0;
	if (s)
		mon_cmd_printf(c, "%s\n", s);
	free(s);
}

static void run_here(struct mon *m, const struct mon_cmd_def *def, const struct parsed *p,
                     size_t used, struct mon_msg_command *cmd, struct msg_conn *conn, bool fwd)
{
	struct mon_cmd_ctx c = {
		.m = m, .json = p->json, .pretty = p->pretty, .in = cmd->in, .in_len = cmd->in_len
	};
	struct mon_waiter *w = NULL;
	int rc;

	memcpy(c.args, p->w + used, (p->n - used) * sizeof(char *));
	c.nargs = p->n - used;
	mon_txn_init(&c.tx);
	perf_inc(m->pc, MON_P_COMMANDS, 1);
	rc = def->fn(&c);
	finish_output(&c);
	if (rc == 0 && c.tx.n > 0 && (rc = mon_consensus_queue(m, &c.tx)) < 0) {
		mon_svc_drop_pending(m);
		mon_cmd_status(&c, "cannot propose: %s; retry", strerror(-rc));
	}
	if (rc == 0 && c.tx.n > 0)
		w = waiter_add(m, MON_WAIT_COMMIT, conn, cmd->tid, fwd); /* index 0: queued */
	if (w) {
		w->status = mem_strdup(c.status);
		w->out = c.out;
		w->out_len = c.out_len;
		c.out = NULL;
	} else {
		reply_to(m, conn, cmd->tid, fwd, rc, c.status, c.out, c.out_len);
	}
	mon_txn_fini(&c.tx);
	mem_free(c.out);
	json_decref(c.jout);
}

static void park(struct mon *m, struct mon_msg_command *cmd, struct msg_conn *conn, bool fwd,
                 uint64_t deadline)
{
	struct mon_waiter *w = waiter_add(m, MON_WAIT_RETRY, conn, cmd->tid, fwd);

	if (!w) {
		reply_to(m, conn, cmd->tid, fwd, -ENOMEM, "out of memory", NULL, 0);
		return;
	}
	w->cmd = (void *)msg_get(&cmd->m);
	if (deadline)
		w->deadline_ms = deadline;
}

static void forward(struct mon *m, struct mon_msg_command *cmd, struct msg_conn *conn,
                    uint64_t deadline)
{
	struct mon_waiter *w = waiter_add(m, MON_WAIT_FORWARD, conn, cmd->tid, false);
	int rc;

	if (!w) {
		reply_to(m, conn, cmd->tid, false, -ENOMEM, "out of memory", NULL, 0);
		return;
	}
	w->cmd = (void *)msg_get(&cmd->m);
	w->fwd_tid = ++m->next_fwd_tid;
	w->index = m->leader; /* the leader it went to */
	if (deadline)
		w->deadline_ms = deadline;
	perf_inc(m->pc, MON_P_FORWARDED, 1);
	rc = mon_net_forward(m, w->fwd_tid, &cmd->m);
	if (rc < 0)
		w->kind = MON_WAIT_RETRY;
}

/* Runs, forwards or parks cmd. deadline: 0 for a new command. */
static void dispatch(struct mon *m, struct mon_msg_command *cmd, struct msg_conn *conn, bool fwd,
                     uint64_t deadline)
{
	struct parsed p = { 0 };
	const struct mon_cmd_def *def;
	char why[256] = "";
	size_t used;
	bool here;

	if (parse_cmd(cmd->cmd, &p, why, sizeof(why)) < 0) {
		reply_to(m, conn, cmd->tid, fwd, -EINVAL, why, NULL, 0);
		goto out;
	}
	def = find_cmd(p.w, p.n, &used);
	if (!def) {
		snprintf(why, sizeof(why), "unknown command '%s%s'", p.w[0], p.n > 1 ? " ..." : "");
		reply_to(m, conn, cmd->tid, fwd, -EINVAL, why, NULL, 0);
		goto out;
	}
	/* nothing runs before the first maps are applied (a fresh cluster) */
	here = (def->flags ? mon_can_write(m) : mon_can_read(m)) && m->svc.osdmap->epoch > 0;
	if (here)
		run_here(m, def, &p, used, cmd, conn, fwd);
	else if (fwd && m->leader != MON_RAFT_NONE && m->leader != m->id)
		reply_to(m, conn, cmd->tid, fwd, -EAGAIN, "not the leader any more; retry", NULL,
		         0);
	else if (!fwd && m->leader != MON_RAFT_NONE && m->leader != m->id)
		forward(m, cmd, conn, deadline);
	else
		park(m, cmd, conn, fwd, deadline);
out:
	json_decref(p.root);
}

void mon_cmd_handle(struct mon *m, struct mon_msg_command *cmd, struct msg_conn *reply_to_c,
                    bool reply_fwd)
{
	if (!reply_to_c)
		return;
	dispatch(m, cmd, reply_to_c, reply_fwd, 0);
}

/* --- waiter events --------------------------------------------------------------- */

void mon_cmd_fwd_reply(struct mon *m, uint64_t fwd_tid, int rc, const char *status, const char *out,
                       size_t out_len)
{
	struct list_node *n, *tmp;

	LIST_FOR_EACH_SAFE(n, tmp, &m->waiters)
	{
		struct mon_waiter *w = LIST_CONTAINER(n, struct mon_waiter, node);

		if (w->kind == MON_WAIT_FORWARD && w->fwd_tid == fwd_tid) {
			waiter_answer(m, w, rc, status, out, out_len);
			return;
		}
	}
}

void mon_cmd_applied(struct mon *m, uint64_t index, uint64_t term, int rc)
{
	struct list_node *n, *tmp;

	LIST_FOR_EACH_SAFE(n, tmp, &m->waiters)
	{
		struct mon_waiter *w = LIST_CONTAINER(n, struct mon_waiter, node);

		if (w->kind != MON_WAIT_COMMIT || w->index == 0 || w->index > index)
			continue;
		if (w->index == index && w->term == term && rc == 0)
			waiter_answer(m, w, w->rc, w->status, w->out, w->out_len);
		else if (w->index == index && w->term == term)
			waiter_answer(m, w, rc == -EBADMSG ? -EINVAL : -EAGAIN,
			              rc == -EBADMSG ? "the change could not be applied"
			                             : "the change raced another one; retry",
			              NULL, 0);
		else
			waiter_answer(m, w, -EAGAIN,
			              "leader changed before the change "
			              "committed; retry",
			              NULL, 0);
	}
}

void mon_cmd_proposed(struct mon *m, int64_t index, uint64_t term)
{
	struct list_node *n, *tmp;

	LIST_FOR_EACH_SAFE(n, tmp, &m->waiters)
	{
		struct mon_waiter *w = LIST_CONTAINER(n, struct mon_waiter, node);

		if (w->kind != MON_WAIT_COMMIT || w->index != 0)
			continue;
		if (index > 0) {
			w->index = (uint64_t)index;
			w->term = term;
		} else {
			waiter_answer(m, w, -EAGAIN, "not the leader any more; retry", NULL, 0);
		}
	}
}

void mon_cmd_tick(struct mon *m, uint64_t now)
{
	struct list_node *n, *tmp, retry;

	list_init(&retry);
	LIST_FOR_EACH_SAFE(n, tmp, &m->waiters)
	{
		struct mon_waiter *w = LIST_CONTAINER(n, struct mon_waiter, node);

		if (now >= w->deadline_ms) {
			waiter_answer(m, w, -ETIMEDOUT,
			              w->kind == MON_WAIT_COMMIT
			                  ? "timed out waiting for the change to commit"
			                  : "timed out waiting for a monitor quorum",
			              NULL, 0);
			continue;
		}
		if (w->kind == MON_WAIT_FORWARD && w->index != m->leader)
			w->kind = MON_WAIT_RETRY; /* its leader is gone: run it again */
		if (w->kind != MON_WAIT_RETRY)
			continue;
		list_remove(&w->node);
		list_push_back(&retry, &w->node);
	}
	while (!list_is_empty(&retry)) {
		struct mon_waiter *w =
		    LIST_CONTAINER(list_pop_front(&retry), struct mon_waiter, node);

		list_init(&w->node);
		if (m->busy) { /* a proposal started: the rest wait for the next tick */
			list_push_back(&m->waiters, &w->node);
			continue;
		}
		dispatch(m, w->cmd, w->conn, w->reply_fwd, w->deadline_ms);
		waiter_free(w);
	}
}

void mon_cmd_fini(struct mon *m)
{
	while (!list_is_empty(&m->waiters)) {
		struct mon_waiter *w = LIST_CONTAINER(m->waiters.next, struct mon_waiter, node);

		waiter_answer(m, w, -ECANCELED, "monitor shutting down", NULL, 0);
	}
}
