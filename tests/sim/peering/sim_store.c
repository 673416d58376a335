/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/sim/peering/sim_store.c - a transaction commits: the core's
 * persistence ops and the object write reach the OSD's store, then (and
 * only then) its messages leave, its work items run (pushes read the local
 * object once and send it to every target; listings answer the core) and a
 * pg_temp request goes to the monitor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "sim.h"

static size_t obj_lower(const struct sim_pgstore *st, const char *key)
{
	size_t lo = 0, hi = st->n_objs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(st->objs[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct sim_obj *sim_obj_find(struct sim_pgstore *st, const char *key)
{
	size_t i = obj_lower(st, key);
	return i < st->n_objs && !strcmp(st->objs[i].key, key) ? &st->objs[i] : NULL;
}

static void obj_put(struct sim_pgstore *st, const char *key, struct pg_peer_eversion v,
                    uint64_t content)
{
	size_t i = obj_lower(st, key);
	if (i >= st->n_objs || strcmp(st->objs[i].key, key)) {
		if (sim_grow(&st->objs, sizeof(*st->objs), &st->cap_objs, st->n_objs + 1) < 0)
			abort();
		memmove(st->objs + i + 1, st->objs + i, (st->n_objs - i) * sizeof(*st->objs));
		st->n_objs++;
		snprintf(st->objs[i].key, SIM_KEY_LEN, "%s", key);
	}
	st->objs[i].v = v;
	st->objs[i].content = content;
}

static void obj_del(struct sim_pgstore *st, const char *key)
{
	size_t i = obj_lower(st, key);
	if (i < st->n_objs && !strcmp(st->objs[i].key, key)) {
		memmove(st->objs + i, st->objs + i + 1, (st->n_objs - i - 1) * sizeof(*st->objs));
		st->n_objs--;
	}
}

static size_t miss_lower(const struct sim_pgstore *st, const char *key)
{
	size_t i = 0;
	while (i < st->n_miss && strcmp(st->miss[i].key, key) < 0)
		i++;
	return i;
}

static void miss_del(struct sim_pgstore *st, const char *key)
{
	size_t i = miss_lower(st, key);
	if (i < st->n_miss && !strcmp(st->miss[i].key, key)) {
		free(st->miss[i].key);
		memmove(st->miss + i, st->miss + i + 1, (st->n_miss - i - 1) * sizeof(*st->miss));
		st->n_miss--;
	}
}

static void miss_add(struct sim_pgstore *st, const struct pg_peer_op *op)
{
	miss_del(st, op->key);
	size_t i = miss_lower(st, op->key);
	if (sim_grow(&st->miss, sizeof(*st->miss), &st->cap_miss, st->n_miss + 1) < 0)
		abort();
	memmove(st->miss + i + 1, st->miss + i, (st->n_miss - i) * sizeof(*st->miss));
	st->miss[i] = (struct pg_peer_missing_item){ .key = strdup(op->key),
		                                     .need = op->version,
		                                     .deleted = op->deleted };
	st->n_miss++;
}

static void log_drop(struct sim_pgstore *st, size_t from, size_t to)
{
	if (from == to)
		return;
	for (size_t i = from; i < to; i++)
		pg_peer_entry_fini(&st->log[i]);
	memmove(st->log + from, st->log + to, (st->n_log - to) * sizeof(*st->log));
	st->n_log -= to - from;
}

void sim_store_fini(struct sim_pgstore *st)
{
	log_drop(st, 0, st->n_log);
	while (st->n_miss)
		free(st->miss[--st->n_miss].key);
	free(st->objs);
	free(st->info);
	free(st->log);
	free(st->miss);
	memset(st, 0, sizeof(*st));
}

static void apply_log_op(struct sim *s, struct sim_pgstore *st, const struct pg_peer_op *op)
{
	size_t k = 0;
	switch (op->kind) {
	case PG_PEER_OP_LOG_APPEND:
		if (st->n_log &&
		    pg_peer_ev_cmp(st->log[st->n_log - 1].version, op->entry.version) >= 0)
			sim_fail(s, "log append out of order");
		if (sim_grow(&st->log, sizeof(*st->log), &st->cap_log, st->n_log + 1) < 0 ||
		    pg_peer_entry_copy(&st->log[st->n_log++], &op->entry) < 0)
			abort();
		break;
	case PG_PEER_OP_LOG_TRIM:
		while (k < st->n_log && pg_peer_ev_cmp(st->log[k].version, op->version) <= 0)
			k++;
		log_drop(st, 0, k);
		break;
	case PG_PEER_OP_LOG_TRUNCATE:
		k = st->n_log;
		while (k > 0 && pg_peer_ev_cmp(st->log[k - 1].version, op->version) > 0)
			k--;
		log_drop(st, k, st->n_log);
		break;
	case PG_PEER_OP_LOG_CLEAR:
		log_drop(st, 0, st->n_log);
		break;
	default:
		break;
	}
}

static void apply_op(struct sim *s, struct sim_pgstore *st, const struct pg_peer_op *op,
                     const struct sim_batch *b)
{
	switch (op->kind) {
	case PG_PEER_OP_INFO:
		if (s->o.corpus && !(s->dumped & 1u))
			sim_dump_seed(s, 'I', "pg_info", op->data, op->len);
		s->dumped |= s->o.corpus && st->info ? 1u : 0;
		free(st->info);
		st->info = malloc(op->len);
		if (!st->info)
			abort();
		memcpy(st->info, op->data, op->len);
		st->info_len = op->len;
		break;
	case PG_PEER_OP_MISSING_ADD:
		miss_add(st, op);
		break;
	case PG_PEER_OP_MISSING_DEL:
		miss_del(st, op->key);
		break;
	case PG_PEER_OP_MISSING_CLEAR:
		while (st->n_miss)
			free(st->miss[--st->n_miss].key);
		break;
	case PG_PEER_OP_OBJ_REMOVE:
		obj_del(st, op->key);
		break;
	case PG_PEER_OP_OBJ_WRITE:
		obj_put(st, op->key, op->version, b->content);
		break;
	default:
		apply_log_op(s, st, op);
		break;
	}
}

void sim_send(struct sim *s, struct sim_msg *m, bool lossy)
{
	uint64_t delay = 1 + sim_rand(s, s->max_delay);
	m->seq = ++s->seq;
	m->at = s->now + delay;
	if (!lossy) { /* the messenger keeps repops in order */
		if (m->at < s->chan_at[m->from][m->to])
			m->at = s->chan_at[m->from][m->to];
		s->chan_at[m->from][m->to] = m->at;
	} else if (s->faults && sim_rand(s, 100) < s->drop_pct) {
		free(m->data);
		return;
	}
	if (sim_grow(&s->msgs, sizeof(*s->msgs), &s->cap_msgs, s->n_msgs + 2) < 0)
		abort();
	s->msgs[s->n_msgs++] = *m;
	if (lossy && s->faults && sim_rand(s, 100) < s->dup_pct) {
		struct sim_msg d = *m;
		d.data = malloc(m->len);
		if (!d.data)
			abort();
		memcpy(d.data, m->data, m->len);
		d.at = s->now + 1 + sim_rand(s, 3 * s->max_delay);
		d.seq = ++s->seq;
		s->msgs[s->n_msgs++] = d;
	}
}

void sim_dump_seed(struct sim *s, uint8_t mode, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", s->o.corpus, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fputc(mode, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

/* A fuzz seed of each message type: mode byte odd = at the primary. */
static void dump_msg(struct sim *s, const void *data, size_t len)
{
	static const char *const names[] = {
		"",         "query", "info",       "activate", "activate_ack", "pull", "push",
		"push_ack", "scan",  "scan_reply", "progress", "progress_ack", "clean"
	};
	struct pg_peer_msg m;
	if (!s->o.corpus || pg_peer_msg_decode(data, len, &m) < 0)
		return;
	if (m.type < sizeof(names) / sizeof(names[0]) && !(s->dumped & (1u << m.type)) &&
	    (m.type != PG_PEER_MSG_ACTIVATE || m.n_missing) &&
	    (m.type != PG_PEER_MSG_INFO || m.n_entries)) {
		static const uint32_t to_primary =
		    1u << PG_PEER_MSG_INFO | 1u << PG_PEER_MSG_ACTIVATE_ACK |
		    1u << PG_PEER_MSG_PUSH_ACK | 1u << PG_PEER_MSG_SCAN_REPLY |
		    1u << PG_PEER_MSG_PROGRESS_ACK;
		s->dumped |= 1u << m.type;
		sim_dump_seed(s, (to_primary >> m.type) & 1 ? 1 : 2, names[m.type], data, len);
	}
	pg_peer_msg_fini(&m);
}

static void send_peer(struct sim *s, int from, int to, int pg, const void *data, size_t len,
                      uint64_t content)
{
	dump_msg(s, data, len);
	struct sim_msg m = {
		.kind = SM_PEER, .from = from, .to = to, .pg = pg, .len = len, .content = content
	};
	m.data = malloc(len);
	if (!m.data)
		abort();
	memcpy(m.data, data, len);
	sim_send(s, &m, true);
}

static void run_push(struct sim *s, int osd, int pg, const struct pg_peer_work *w)
{
	uint64_t content = 0;
	if (!w->deleted) {
		struct sim_obj *o = sim_obj_find(&s->osd[osd].st[pg], w->key);
		if (!o || pg_peer_ev_cmp(o->v, w->version)) {
			sim_fail(s, "osd.%d pg %d: push of %s@%u.%llu but the store has %s", osd,
			         pg, w->key, w->version.epoch, (unsigned long long)w->version.v,
			         o ? "another version" : "nothing");
			return;
		}
		content = o->content;
	}
	for (uint8_t i = 0; i < w->n_targets; i++)
		send_peer(s, osd, w->targets[i], pg, w->msg, w->len, content);
	s->stats_pushes++;
}

static void run_list(struct sim *s, int osd, int pg, const struct pg_peer_work *w)
{
	struct sim_pgstore *st = &s->osd[osd].st[pg];
	struct pg_peer_obj objs[64];
	size_t i = w->after ? obj_lower(st, w->after) : 0, n = 0;
	struct sim_batch *b = sim_batch_new(pg);
	if (w->after && i < st->n_objs && !strcmp(st->objs[i].key, w->after))
		i++;
	for (; i < st->n_objs && n < w->max && n < 64; i++, n++)
		objs[n] = (struct pg_peer_obj){ .key = st->objs[i].key, .version = st->objs[i].v };
	sim_arm(s);
	int rc = pg_peer_list_done(s->osd[osd].pg[pg], w->tag, objs, n, i >= st->n_objs, &b->a);
	rc = sim_disarm(s, osd, pg, rc);
	if (rc < 0 && rc != -ESTALE)
		sim_fail(s, "osd.%d pg %d list_done: %d", osd, pg, rc);
	sim_submit(s, osd, b);
}

static void after_commit(struct sim *s, int osd, struct sim_batch *b)
{
	for (size_t i = 0; i < b->a.n_msgs; i++)
		send_peer(s, osd, b->a.msgs[i].to, b->pg, b->a.msgs[i].data, b->a.msgs[i].len, 0);
	for (size_t i = 0; i < b->a.n_work && !s->failure[0]; i++) {
		if (b->a.work[i].kind == PG_PEER_WORK_PUSH)
			run_push(s, osd, b->pg, &b->a.work[i]);
		else
			run_list(s, osd, b->pg, &b->a.work[i]);
	}
	if (b->a.pg_temp) {
		struct sim_mon_ev ev = { .at = s->now + 1 + sim_rand(s, 30),
			                 .kind = MON_PG_TEMP,
			                 .osd = osd,
			                 .pg = b->pg,
			                 .n = b->a.n_pg_temp };
		memcpy(ev.osds, b->a.pg_temp_osds, sizeof(ev.osds));
		sim_mon_push(s, &ev);
	}
	if (b->a.need_up_thru) {
		struct sim_mon_ev ev = { .at = s->now + 1 + sim_rand(s, 30),
			                 .kind = MON_UP_THRU,
			                 .osd = osd,
			                 .epoch = b->a.need_up_thru };
		sim_mon_push(s, &ev);
	}
	if (b->ack_wid) {
		struct sim_msg m = { .kind = SM_REPOP_ACK,
			             .from = osd,
			             .to = b->ack_to,
			             .pg = b->pg,
			             .wid = b->ack_wid,
			             .interval = b->ack_interval,
			             .committed = b->v };
		sim_send(s, &m, false);
	}
	for (size_t i = 0; b->commit_wid && i < s->n_writes; i++) {
		struct sim_write *w = &s->writes[i];
		if (w->wid != b->commit_wid)
			continue;
		w->committed = true;
		if (!w->waiting) {
			sim_note_ack(s, w);
			s->writes[i] = s->writes[--s->n_writes];
		}
		break;
	}
}

static void trace_commit(struct sim *s, int osd, const struct sim_batch *b)
{
	static const char *const names[] = { "?",         "info",  "append", "trim",
		                             "truncate",  "clear", "miss+",  "miss-",
		                             "missclear", "rm",    "write" };
	if (!s->o.verbose || (!b->a.n_ops && !b->obj))
		return;
	fprintf(stderr, "t=%llu osd.%d pg %d commit:", (unsigned long long)s->now, osd, b->pg);
	for (size_t i = 0; i < b->a.n_ops; i++) {
		const struct pg_peer_op *op = &b->a.ops[i];
		const char *key = op->kind == PG_PEER_OP_LOG_APPEND ? op->entry.key : op->key;
		struct pg_peer_eversion v =
		    op->kind == PG_PEER_OP_LOG_APPEND ? op->entry.version : op->version;
		if (op->kind == PG_PEER_OP_INFO)
			continue;
		fprintf(stderr, " %s%s%s@%u.%llu", names[op->kind], key ? ":" : "", key ? key : "",
		        v.epoch, (unsigned long long)v.v);
	}
	if (b->obj)
		fprintf(stderr, " obj %s %s@%u.%llu", b->del ? "del" : "put", b->key, b->v.epoch,
		        (unsigned long long)b->v.v);
	fprintf(stderr, "\n");
}

/* The OSD's oldest pending transaction becomes durable. */
void sim_commit(struct sim *s, int osd)
{
	struct sim_osd *od = &s->osd[osd];
	struct sim_batch *b = od->pend;
	struct sim_pgstore *st = &od->st[b->pg];
	od->pend = b->next;
	if (!od->pend)
		od->pend_tail = NULL;
	if (b->done_epoch > od->sb_epoch)
		od->sb_epoch = b->done_epoch;
	trace_commit(s, osd, b);
	for (size_t i = 0; i < b->a.n_ops; i++)
		apply_op(s, st, &b->a.ops[i], b);
	if (b->obj && b->del)
		obj_del(st, b->key);
	else if (b->obj)
		obj_put(st, b->key, b->v, b->content);
	sim_check_store(s, osd, b->pg);
	after_commit(s, osd, b);
	sim_batch_free(b);
}
