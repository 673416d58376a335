/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_cmd.c - the OSD's network command channel (Ceph's `ceph tell
 * osd.N`, `ceph pg PGID query`): a client connects to the OSD's messenger
 * and sends MON_MSG_COMMAND ({"cmd": [words], "format": ...}, as to the
 * monitors); the OSD answers MON_MSG_COMMAND_REPLY on the same connection.
 *
 * DESIGN
 * The messenger's dispatch thread queues each command (q_lock, a leaf) and
 * wakes the main loop, which runs it: handlers read PG state only from the
 * PGs' snapshots under their shard's lock (one lock at a time) and the
 * store, never PG memory owned by a shard thread. The table is changed
 * (osd_cmd_register) and read on the main thread only. "pg PGID VERB ..."
 * is looked up as "pg VERB" with the PG id parsed; the longest prefix wins.
 * Output is JSON (compact for --format json, indented otherwise).
 * Built in: help, status, dump_ops_in_flight, pg query, and pg scrub /
 * deep-scrub / repair answering -EOPNOTSUPP until the scrub work registers
 * its own handlers for them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "monc/monc.h"
#include "osd/osd_hb.h"
#include "osd/peering/peering.h"
#include "osd/pg.h"
#include "osd/pg_scrub.h"
#include "store/store.h"

struct osd_cmd_ent {
	char *prefix, *help;
	osd_cmd_fn *fn;
};

struct osd_cmds {
	struct osd_cmd_ent *v; /* main thread */
	size_t n, cap;
	pthread_mutex_t q_lock; /* q */
	struct list_node q;     /* struct queued */
	uv_async_t wake;
};

struct queued {
	struct list_node node;
	struct mon_msg_command *m; /* ref */
};

/* --- the table ----------------------------------------------------------------------------- */

int osd_cmd_register(struct osd *o, const char *prefix, const char *help, osd_cmd_fn *fn)
{
	struct osd_cmds *t = o->cmds;
	struct osd_cmd_ent e;

	if (!t || !prefix || !prefix[0] || !fn)
		return -EINVAL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].prefix, prefix) == 0) {
			char *h = mem_strdup(help ? help : prefix);

			if (!h)
				return -ENOMEM;
			mem_free(t->v[i].help);
			t->v[i].help = h;
			t->v[i].fn = fn;
			return 0;
		}
	e = (struct osd_cmd_ent){ mem_strdup(prefix), mem_strdup(help ? help : prefix), fn };
	if (!e.prefix || !e.help || mem_grow(&t->v, sizeof(*t->v), &t->cap, t->n + 1) < 0) {
		mem_free(e.prefix);
		mem_free(e.help);
		return -ENOMEM;
	}
	t->v[t->n++] = e;
	return 0;
}

/* Number of words of prefix if it starts words[0..n), else 0. */
static size_t prefix_match(const char *prefix, const char *const *words, size_t n)
{
	size_t k = 0;

	for (const char *p = prefix; *p; k++) {
		size_t len = strcspn(p, " ");

		if (k >= n || strlen(words[k]) != len || strncmp(words[k], p, len) != 0)
			return 0;
		p += len;
		p += *p == ' ';
	}
	return k;
}

static const struct osd_cmd_ent *lookup(const struct osd_cmds *t, const char *const *words,
                                        size_t n, size_t *used)
{
	const struct osd_cmd_ent *best = NULL;

	*used = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = prefix_match(t->v[i].prefix, words, n);

		if (k > *used) {
			*used = k;
			best = &t->v[i];
		}
	}
	return best;
}

/* --- built-in commands ----------------------------------------------------------------------- */

static int cmd_help(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                    size_t slen)
{
	json_t *j = json_object();

	(void)req;
	(void)status;
	(void)slen;
	for (size_t i = 0; j && i < o->cmds->n; i++)
		json_object_set_new(j, o->cmds->v[i].prefix, json_string(o->cmds->v[i].help));
	*out = j;
	return j ? 0 : -ENOMEM;
}

static void count_pgs(struct osd *o, int *pgs, int *primary)
{
	*pgs = *primary = 0;
	for (unsigned i = 0; i < o->nshards; i++) {
		struct osd_shard *sh = o->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (size_t b = 0; b < sh->npg_buckets; b++)
			for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext) {
				(*pgs)++;
				*primary += pg->snap.primary;
			}
		pthread_mutex_unlock(&sh->lock);
	}
}

static int cmd_status(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                      size_t slen)
{
	char a[MSG_ADDR_STR_MAX], hb[MSG_ADDR_STR_MAX];
	enum osd_state st;
	uint32_t epoch, boot;
	int pgs, primary;

	(void)req;
	(void)status;
	(void)slen;
	count_pgs(o, &pgs, &primary);
	pthread_mutex_lock(&o->map_lock);
	st = o->state;
	epoch = o->map ? o->map->map->epoch : 0;
	boot = o->boot_epoch;
	pthread_mutex_unlock(&o->map_lock);
	*out =
	    json_pack("{s:i, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:s, s:I, s:o}", "whoami",
	              o->whoami, "state", osd_state_name(st), "up", st == OSD_ST_ACTIVE, "epoch",
	              (int)epoch, "up_from", (int)boot, "num_pgs", pgs, "num_primary_pgs", primary,
	              "addr", msg_addr_str(&o->addr, a), "hb_addr", msg_addr_str(&o->hb_addr, hb),
	              "nonce", (json_int_t)o->nonce, "heartbeat_peers", osd_hb_dump(o));
	return *out ? 0 : -ENOMEM;
}

static int cmd_ops(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                   size_t slen)
{
	(void)req;
	(void)status;
	(void)slen;
	*out = osd_ops_in_flight_json(o);
	return *out ? 0 : -ENOMEM;
}

static json_t *int_array(const int32_t *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static const char *ev_str(struct osd_eversion v, char *buf, size_t n)
{
	snprintf(buf, n, "%u'%llu", v.epoch, (unsigned long long)v.v);
	return buf;
}

/* Ceph's recovery_state shape: the current state, and what blocks it. */
static json_t *recovery_state_json(const struct pg_snap *s)
{
	char st[160];
	json_t *blocked = json_array(), *a = json_array();

	if (s->reason_osd >= 0)
		json_array_append_new(blocked, json_integer(s->reason_osd));
	pg_peer_state_str(s->core_state, st, sizeof(st));
	json_array_append_new(a, json_pack("{s:s, s:s?, s:o}", "name", s->core_state ? st : "stray",
	                                   "comment", s->reason, "blocked_by", blocked));
	return a;
}

static json_t *query_json(struct osd *o, const char *name, const struct pg_snap *s)
{
	char st[128], lu[48], lc[48], lt[48];

	if (s->primary)
		mon_pg_state_str(s->mon_state, st, sizeof(st));
	else
		snprintf(st, sizeof(st), "%s", pg_state_name(s->state));
	return json_pack(
	    "{s:s, s:s, s:s, s:i, s:o, s:o, s:i, s:i, s:{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, "
	    "s:i}, s:I, s:I, s:I, s:I, s:o}",
	    "pgid", name, "state", st, "role",
	    s->primary ? "primary" : (s->state == PG_ST_ACTIVE ? "replica" : "stray"), "epoch",
	    (int)(o->map ? o->map->map->epoch : 0), "up", int_array(s->up, s->nup), "acting",
	    int_array(s->acting, s->nacting), "up_primary", s->nup ? s->up[0] : -1,
	    "acting_primary", s->nacting ? s->acting[0] : -1, "info", "pgid", name, "last_update",
	    ev_str(s->last_update, lu, sizeof(lu)), "last_complete",
	    ev_str(s->last_complete, lc, sizeof(lc)), "log_tail",
	    ev_str(s->log_tail, lt, sizeof(lt)), "same_interval_since", (int)s->same_interval_since,
	    "epoch_created", (int)s->epoch_created, "last_epoch_started", (int)s->les,
	    "last_epoch_clean", (int)s->lec, "past_intervals", (int)s->n_past, "log_size",
	    (json_int_t)s->log_len, "missing", (json_int_t)s->n_missing, "objects",
	    (json_int_t)s->num_objects, "bytes", (json_int_t)s->num_bytes, "recovery_state",
	    recovery_state_json(s));
}

static int cmd_pg_query(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                        size_t slen)
{
	struct osd_shard *sh = osd_shard_of(o, req->pgid.pool, req->pgid.ps);
	char name[32];
	struct pg_snap snap;
	struct pg *pg;

	osdmap_pg_str(req->pgid, name, sizeof(name));
	pthread_mutex_lock(&sh->lock);
	pg = pg_lookup(sh, req->pgid);
	if (pg) {
		snap = pg->snap;
		snap.mon_state |= snap.primary ? pg->scrub_pub.state : 0;
	}
	pthread_mutex_unlock(&sh->lock);
	if (!pg) {
		snprintf(status, slen, "pg %s is not on osd.%d", name, o->whoami);
		return -ENOENT;
	}
	pthread_mutex_lock(&o->map_lock); /* the epoch in the answer */
	*out = query_json(o, name, &snap);
	pthread_mutex_unlock(&o->map_lock);
	if (*out && snap.primary)
		json_object_set_new(*out, "scrub",
		                    pg_scrub_query_json(o, req->pgid.pool, req->pgid.ps));
	return *out ? 0 : -ENOMEM;
}

static int cmd_pg_scrub(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                        size_t slen)
{
	(void)o;
	(void)req;
	(void)out;
	snprintf(status, slen, "scrub is not implemented yet");
	return -EOPNOTSUPP;
}

static const struct {
	const char *prefix, *help;
	osd_cmd_fn *fn;
} builtins[] = {
	{ "help", "help: the commands this OSD answers", cmd_help },
	{ "status", "status: id, boot state, map epoch, PG counts, heartbeat peers", cmd_status },
	{ "dump_ops_in_flight", "dump_ops_in_flight: client ops with age and what they wait for",
	  cmd_ops },
	{ "pg query", "pg PGID query: the PG's state, up/acting sets and info", cmd_pg_query },
	{ "pg scrub", "pg PGID scrub: scrub the PG (metadata)", cmd_pg_scrub },
	{ "pg deep-scrub", "pg PGID deep-scrub: scrub the PG, reading every byte", cmd_pg_scrub },
	{ "pg repair", "pg PGID repair: scrub the PG and repair what differs", cmd_pg_scrub },
};

/* --- running a command (main loop) --------------------------------------------------------- */

/* Words of the command JSON into words[] (borrowed from j); "pg PGID VERB"
 * becomes "pg VERB" with the PG id in req. 0 or -EINVAL. */
static int parse(json_t *j, const char **words, size_t *n, struct osd_cmd_req *req, bool *json,
                 bool *pretty, char *status, size_t slen)
{
	json_t *cmd = json_object_get(j, "cmd"), *w;
	const char *fmt = json_string_value(json_object_get(j, "format"));
	size_t i;

	*n = 0;
	*json = fmt && strncmp(fmt, "json", 4) == 0;
	*pretty = !fmt || strcmp(fmt, "json") != 0;
	if (!json_is_array(cmd) || json_array_size(cmd) == 0 ||
	    json_array_size(cmd) > OSD_CMD_MAX_WORDS) {
		snprintf(status, slen, "a command is {\"cmd\": [words], \"format\": ...}");
		return -EINVAL;
	}
	json_array_foreach(cmd, i, w)
	{
		if (!json_is_string(w))
			return -EINVAL;
		words[(*n)++] = json_string_value(w);
	}
	if (*n >= 3 && strcmp(words[0], "pg") == 0) {
		if (osdmap_pg_parse(words[1], &req->pgid) < 0) {
			snprintf(status, slen, "'%s' is not a PG id (POOL.PS, e.g. 1.7f)",
			         words[1]);
			return -EINVAL;
		}
		req->has_pgid = true;
		memmove(words + 1, words + 2, (*n - 2) * sizeof(*words));
		(*n)--;
	}
	return 0;
}

static int run(struct osd *o, const char *text, char **outp, size_t *out_len, char *status,
               size_t slen)
{
	const char *words[OSD_CMD_MAX_WORDS];
	struct osd_cmd_req req = { 0 };
	const struct osd_cmd_ent *e;
	json_t *j = json_loads(text, 0, NULL), *out = NULL;
	size_t n, used;
	bool json, pretty;
	int rc = j ? parse(j, words, &n, &req, &json, &pretty, status, slen) : -EINVAL;

	if (rc == 0 && !(e = lookup(o->cmds, words, n, &used))) {
		snprintf(status, slen, "unknown command '%s' (try 'help')", words[0]);
		rc = -EINVAL;
	}
	if (rc == 0) {
		for (size_t i = used; i < n; i++)
			req.args[req.nargs++] = words[i];
		rc = e->fn(o, &req, &out, status, slen);
	}
	if (out && json_is_string(out) && !json) {
		*outp = strdup(json_string_value(out));
	} else if (out) {
		*outp = json_dumps(out, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(4) : JSON_COMPACT));
	}
	*out_len = *outp ? strlen(*outp) : 0;
	json_decref(out);
	json_decref(j);
	return rc;
}

static void answer(struct osd *o, struct mon_msg_command *m)
{
	struct mon_msg_command_reply *r;
	char status[512] = "", *out = NULL;
	size_t out_len = 0;
	int rc = run(o, m->cmd, &out, &out_len, status, sizeof(status));

	if (rc < 0 && !status[0])
		snprintf(status, sizeof(status), "%s", strerror(-rc));
	log_debug(osd, "osd.%d: command %s -> %d", o->whoami, m->cmd, rc);
	if (mon_command_reply_create(m->tid, rc, status, out, (uint32_t)out_len, &r) == 0)
		msg_send(m->m.conn, &r->m);
	free(out); /* json_dumps or strdup */
}

static struct queued *pop(struct osd_cmds *t)
{
	struct list_node *n;

	pthread_mutex_lock(&t->q_lock);
	n = list_pop_front(&t->q);
	pthread_mutex_unlock(&t->q_lock);
	return n ? LIST_CONTAINER(n, struct queued, node) : NULL;
}

static void on_wake(uv_async_t *h)
{
	struct osd *o = h->data;
	struct queued *q;

	while ((q = pop(o->cmds))) {
		if (o->shards && o->map)
			answer(o, q->m);
		msg_put(&q->m->m); /* too early: the client times out and retries */
		mem_free(q);
	}
}

void osd_cmd_handle(struct osd *o, struct msg *m)
{
	struct osd_cmds *t = o->cmds;
	struct queued *q = mem_calloc(1, sizeof(*q));

	if (!q || !m->ops || !m->conn) {
		mem_free(q);
		msg_put(m);
		return;
	}
	q->m = (struct mon_msg_command *)(void *)m;
	pthread_mutex_lock(&t->q_lock);
	list_push_back(&t->q, &q->node);
	pthread_mutex_unlock(&t->q_lock);
	uv_async_send(&t->wake);
}

/* --- lifecycle ------------------------------------------------------------------------------- */

int osd_step_cmd(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct osd_cmds *t;
	int rc;

	if (o->mkfs)
		return 0;
	if (!(t = mem_calloc(1, sizeof(*t))))
		return -ENOMEM;
	pthread_mutex_init(&t->q_lock, NULL);
	list_init(&t->q);
	if ((rc = uv_async_init(&d->loop, &t->wake, on_wake)) < 0) {
		pthread_mutex_destroy(&t->q_lock);
		mem_free(t);
		return rc;
	}
	t->wake.data = o;
	o->cmds = t;
	for (size_t i = 0; rc == 0 && i < sizeof(builtins) / sizeof(builtins[0]); i++)
		rc = osd_cmd_register(o, builtins[i].prefix, builtins[i].help, builtins[i].fn);
	if (rc < 0)
		osd_unstep_cmd(d);
	return rc;
}

static void free_table(uv_handle_t *h)
{
	struct osd_cmds *t = h->data;

	for (size_t i = 0; i < t->n; i++) {
		mem_free(t->v[i].prefix);
		mem_free(t->v[i].help);
	}
	mem_free(t->v);
	pthread_mutex_destroy(&t->q_lock);
	mem_free(t);
}

void osd_unstep_cmd(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct osd_cmds *t = o->cmds;
	struct queued *q;

	if (!t)
		return;
	while ((q = pop(t))) { /* the messenger is gone: nothing queues any more */
		msg_put(&q->m->m);
		mem_free(q);
	}
	o->cmds = NULL;
	t->wake.data = t;
	uv_close((uv_handle_t *)&t->wake, free_table); /* freed in its close callback */
}
