/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_admin.c - what the OSD tells operators and monitors: perf
 * counters, admin socket commands (status, dump_ops_in_flight, pg ls /
 * dump_pgs) and the periodic PG statistics report (MON_MSG_PG_STATS).
 * Threads: the asok handlers run on the admin socket thread and the report
 * on the main loop; both read shard state only under each shard's lock
 * (PG snapshots, the ops list) and the map state under map_lock, one lock
 * at a time. */
#include <errno.h>
#include <string.h>

#include "common/asok.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "monc/monc.h"
#include "store/store.h"
#include "osd/pg.h"

static const struct perf_def osd_counters[OSD_P_COUNT] = {
	[OSD_P_OP] = { "op", PERF_COUNTER, 0, "client ops received" },
	[OSD_P_OP_R] = { "op_r", PERF_COUNTER, 0, "client read ops executed" },
	[OSD_P_OP_W] = { "op_w", PERF_COUNTER, 0, "client write ops executed" },
	[OSD_P_OP_IN_BYTES] = { "op_in_bytes", PERF_COUNTER, 0, "client bytes written" },
	[OSD_P_OP_OUT_BYTES] = { "op_out_bytes", PERF_COUNTER, 0, "client bytes read" },
	[OSD_P_OP_LAT] = { "op_latency", PERF_AVG, PERF_F_TIME, "client op latency" },
	[OSD_P_OP_R_LAT] = { "op_r_latency", PERF_AVG, PERF_F_TIME, "client read latency" },
	[OSD_P_OP_W_LAT] = { "op_w_latency", PERF_AVG, PERF_F_TIME,
	                     "client write latency (to the last reply)" },
	[OSD_P_OP_DUP] = { "op_dup", PERF_COUNTER, 0, "resent writes answered from the PG log" },
	[OSD_P_OP_RETRY] = { "op_retry", PERF_COUNTER, 0,
	                     "ops answered with RETRY (not primary at our epoch)" },
	[OSD_P_SUBOP] = { "subop", PERF_COUNTER, 0, "repops sent to replicas" },
	[OSD_P_SUBOP_IN_BYTES] = { "subop_in_bytes", PERF_COUNTER, 0,
	                           "bytes of transactions applied for primaries" },
	[OSD_P_SUBOP_LAT] = { "subop_latency", PERF_AVG, PERF_F_TIME, "repop latency" },
	[OSD_P_MAP_EPOCHS] = { "map_epochs", PERF_COUNTER, 0, "OSD map epochs applied" },
	[OSD_P_NUMPG] = { "numpg", PERF_GAUGE, 0, "PGs on this OSD" },
};

int osd_step_counters(struct daemon *d)
{
	struct osd *o = osd_of(d);

	if (o->mkfs)
		return 0;
	return perf_coll_create(d->perf, "osd", osd_counters, OSD_P_COUNT, &o->pc);
}

void osd_unstep_counters(struct daemon *d)
{
	struct osd *o = osd_of(d);

	perf_coll_destroy(o->pc);
	o->pc = NULL;
}

/* --- PG snapshots --------------------------------------------------------------------- */

typedef void pg_snap_fn(const struct pg *pg, const struct pg_snap *s, void *arg);

/* Calls fn for every PG under its shard's lock (fn must not block). */
static void for_each_pg(struct osd *o, pg_snap_fn *fn, void *arg)
{
	for (unsigned i = 0; i < o->nshards; i++) {
		struct osd_shard *sh = o->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (size_t b = 0; b < sh->npg_buckets; b++)
			for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext)
				fn(pg, &pg->snap, arg);
		pthread_mutex_unlock(&sh->lock);
	}
}

static json_t *int_array(const int32_t *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static void pg_json(const struct pg *pg, const struct pg_snap *s, void *arg)
{
	char st[128], lu[48];

	if (s->primary)
		mon_pg_state_str(s->mon_state, st, sizeof(st));
	else
		snprintf(st, sizeof(st), "%s", pg_state_name(s->state));
	snprintf(lu, sizeof(lu), "%u'%llu", s->last_update.epoch,
	         (unsigned long long)s->last_update.v);
	json_array_append_new(
	    arg,
	    json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:s, s:I, s:I, s:I, s:i, s:I, s:I}", "pgid",
	              pg->name, "state", st, "role",
	              s->primary ? "primary" : (s->state == PG_ST_ACTIVE ? "replica" : "stray"),
	              "primary", s->nacting ? s->acting[0] : -1, "up", int_array(s->up, s->nup),
	              "acting", int_array(s->acting, s->nacting), "last_update", lu,
	              "last_complete_v", (json_int_t)s->last_complete.v, "objects",
	              (json_int_t)s->num_objects, "bytes", (json_int_t)s->num_bytes,
	              "same_interval_since", (int)s->same_interval_since, "log_entries",
	              (json_int_t)s->log_len, "num_wr", (json_int_t)s->num_wr));
}

static int asok_pgs(void *arg, json_t *args, json_t *req, json_t **result)
{
	json_t *a = json_array();

	(void)args;
	(void)req;
	if (!a)
		return -ENOMEM;
	for_each_pg(arg, pg_json, a);
	*result = a;
	return 0;
}

struct counts {
	int pgs, primary;
};

static void count_pg(const struct pg *pg, const struct pg_snap *s, void *arg)
{
	struct counts *c = arg;

	(void)pg;
	c->pgs++;
	c->primary += s->primary;
}

static int asok_status(void *arg, json_t *args, json_t *req, json_t **result)
{
	struct osd *o = arg;
	struct counts c = { 0 };
	enum osd_state st;
	uint32_t epoch, boot;
	char a[MSG_ADDR_STR_MAX];

	(void)args;
	(void)req;
	for_each_pg(o, count_pg, &c);
	pthread_mutex_lock(&o->map_lock);
	st = o->state;
	epoch = o->map ? o->map->map->epoch : 0;
	boot = o->boot_epoch;
	pthread_mutex_unlock(&o->map_lock);
	*result = json_pack("{s:i, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:I, s:I}", "whoami",
	                    o->whoami, "state", osd_state_name(st), "store", store_kind(o->store),
	                    "up", st == OSD_ST_ACTIVE, "epoch", (int)epoch, "up_from", (int)boot,
	                    "num_pgs", c.pgs, "num_primary_pgs", c.primary, "addr",
	                    msg_addr_str(&o->addr, a), "nonce", (json_int_t)o->nonce,
	                    "txn_inflight", (json_int_t)atomic_load(&o->txn_inflight));
	return *result ? 0 : -ENOMEM;
}

static json_t *op_json(const struct osd_opreq *op, uint64_t now)
{
	const struct osd_msg_op *m = op->m;
	char who[MSG_ENTITY_STR_MAX], ops[256] = "";
	size_t at = 0;

	for (uint32_t i = 0; i < m->nops && at < sizeof(ops) - 32; i++)
		at += (size_t)snprintf(ops + at, sizeof(ops) - at, "%s%s", i ? "," : "",
		                       osd_op_name(m->ops[i].code));
	return json_pack(
	    "{s:s, s:I, s:I, s:f, s:I, s:i, s:s, s:s, s:s, s:i}", "client",
	    msg_entity_str(&m->reqid.name, who), "tid", (json_int_t)m->tid, "pool",
	    (json_int_t)m->pool, "age", (double)(now - op->start_ns) / 1e9, "ps", (json_int_t)m->ps,
	    "epoch", (int)m->epoch, "object", m->oid, "ops", ops, "waiting_for",
	    atomic_load_explicit(&((struct osd_opreq *)op)->wait, memory_order_relaxed), "flags",
	    (int)m->flags);
}

json_t *osd_ops_in_flight_json(struct osd *o)
{
	uint64_t now = tmr_now_ns();
	json_t *a = json_array();
	size_t n = 0;

	for (unsigned i = 0; a && i < o->nshards; i++) {
		struct osd_shard *sh = o->shards[i];
		struct list_node *p;

		pthread_mutex_lock(&sh->lock);
		LIST_FOR_EACH(p, &sh->ops)
		{
			json_array_append_new(
			    a, op_json(LIST_CONTAINER(p, struct osd_opreq, all), now));
			n++;
		}
		pthread_mutex_unlock(&sh->lock);
	}
	return json_pack("{s:I, s:o}", "num_ops", (json_int_t)n, "ops", a);
}

static int asok_ops(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)args;
	(void)req;
	*result = osd_ops_in_flight_json(arg);
	return *result ? 0 : -ENOMEM;
}

static const struct {
	const char *prefix, *help;
	asok_cmd_fn *fn;
} cmds[] = {
	{ "status", "status: id, boot state, map epoch, PG counts", asok_status },
	{ "dump_ops_in_flight", "dump_ops_in_flight: client ops with age and what they wait for",
	  asok_ops },
	{ "pg ls", "pg ls: every PG here (state, role, up/acting, last_update, objects)",
	  asok_pgs },
	{ "dump_pgs", "dump_pgs: same as pg ls", asok_pgs },
};

int osd_step_asok(struct daemon *d)
{
	struct osd *o = osd_of(d);
	int rc = 0;

	if (o->mkfs || !d->asok)
		return 0;
	for (size_t i = 0; rc == 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		rc = asok_register(d->asok, cmds[i].prefix, cmds[i].help, cmds[i].fn, o);
	return rc;
}

void osd_unstep_asok(struct daemon *d)
{
	struct osd *o = osd_of(d);

	if (o->mkfs || !d->asok)
		return;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		asok_unregister(d->asok, cmds[i].prefix);
}

/* --- PG stats to the monitors ----------------------------------------------------------- */

struct stats_ctx {
	struct mon_msg_pg_stats *m;
	uint32_t epoch, cap;
};

static void count_primary(const struct pg *pg, const struct pg_snap *s, void *arg)
{
	(void)pg;
	*(uint32_t *)arg += s->primary;
}

static void fill_stat(const struct pg *pg, const struct pg_snap *s, void *arg)
{
	struct stats_ctx *c = arg;
	struct mon_pg_stat *p;

	if (!s->primary || c->m->npgs >= c->cap)
		return;
	p = &c->m->pgs[c->m->npgs++];
	p->pool = pg->id.pool;
	p->ps = pg->id.ps;
	p->state = s->mon_state | pg->scrub_pub.state;
	p->reported_epoch = c->epoch;
	p->nup = s->nup;
	p->nacting = s->nacting;
	memcpy(p->up, s->up, sizeof(p->up));
	memcpy(p->acting, s->acting, sizeof(p->acting));
	p->last_update_epoch = s->last_update.epoch;
	p->last_update_v = s->last_update.v;
	p->num_objects = s->num_objects;
	p->num_bytes = s->num_bytes;
	p->num_objects_degraded = s->degraded;
	p->num_objects_misplaced = s->misplaced;
	p->num_bytes_recovering = s->bytes_recovering;
	p->num_rd = s->num_rd;
	p->num_rd_bytes = s->num_rd_bytes;
	p->num_wr = s->num_wr;
	p->num_wr_bytes = s->num_wr_bytes;
	p->last_scrub_ns = pg->scrub_pub.last_scrub_ns;
	p->last_deep_scrub_ns = pg->scrub_pub.last_deep_scrub_ns;
	p->num_scrub_errors = pg->scrub_pub.errors;
}

void osd_send_pg_stats(struct osd *o)
{
	struct stats_ctx c = { 0 };
	struct store_statfs sf = { 0 };
	uint32_t n = 0;
	enum osd_state st;

	pthread_mutex_lock(&o->map_lock);
	st = o->state;
	c.epoch = o->map ? o->map->map->epoch : 0;
	pthread_mutex_unlock(&o->map_lock);
	if (st != OSD_ST_ACTIVE)
		return;
	for_each_pg(o, count_primary, &n);
	n += 16; /* PGs may become primary meanwhile; fill_stat stops at the room */
	if (n > MON_PG_STATS_MAX)
		n = MON_PG_STATS_MAX;
	if (mon_pg_stats_create(n, &c.m) < 0)
		return;
	c.cap = n;
	c.m->npgs = 0;
	for_each_pg(o, fill_stat, &c);
	store_statfs(o->store, &sf);
	c.m->osd = o->whoami;
	c.m->epoch = c.epoch;
	c.m->stamp_ns = tmr_wall_ns();
	c.m->total_bytes = sf.total;
	c.m->avail_bytes = sf.available;
	c.m->used_bytes = sf.total > sf.available ? sf.total - sf.available : sf.allocated;
	c.m->num_objects = sf.objects;
	if (monc_send(o->monc, &c.m->m) < 0)
		log_debug(osd, "osd.%d: no monitor for PG stats now", o->whoami);
}
