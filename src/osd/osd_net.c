/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_net.c - the OSD's transport: its messenger (osd.N; lossless
 * sessions with peer OSDs, server side for clients, lossy to the monitors
 * through monc), routing of received messages, the main-loop timer, and
 * the connections to peer OSDs.
 *
 * DESIGN
 * Routing: client ops, repops and repop replies are fast-dispatched on the
 * messenger worker that read them straight into their PG's shard queue (a
 * mutex push, never blocking); everything else arrives on the dispatch
 * thread: monitor messages go to monc (which must see them there), and the
 * OSD maps monc hands us are moved to the main loop through inq + an
 * async wakeup, so that maps are applied on one thread, in order.
 * Invariants: N1 q_lock guards inq only and is never held while a handler
 * runs; N2 peers[id].conn is NULL or a lossless connection to incarnation
 * peers[id].nonce of osd.id; a new incarnation in the map replaces it
 * (mark_down: the old session is gone) unless the new incarnation already
 * connected to us on that session (the messenger reset it to the new
 * nonce; replies to its repops travel on it); N3 once o->stopping is set, client
 * ops are dropped at arrival (no reply: the client resends).
 * Edges: fast_dispatch -> shard push; dispatch -> monc -> on_map -> inq ->
 * on_wake (loop) -> osd_map_handle; dispatch MON_MSG_COMMAND -> osd_cmd.c;
 * tick (loop, 100 ms) -> monc_tick, osd_boot_tick, osd_hb_tick, PG stats; every
 * osd_tick_interval a shard tick (peering cores, scrubs). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "monc/monc.h"
#include "osd/osd_hb.h"
#include "osd/pg.h"
#include "rados/osd_scrub_proto.h"

#define TICK_MS 100

struct osd_inev {
	struct list_node node;
	struct mon_msg_map *map; /* ref */
};

/* --- receiving -------------------------------------------------------------------------- */

static bool is_osd_msg(uint16_t type)
{
	return type == OSD_MSG_OP || type == OSD_MSG_REPOP || type == OSD_MSG_REPOP_REPLY ||
	       type == OSD_MSG_PEERING || type == OSD_MSG_PUSH ||
	       (type >= OSD_MSG_SCRUB && type <= OSD_MSG_REPAIR_REPLY);
}

static bool can_fast(const struct msg *m, void *arg)
{
	(void)arg;
	return m->ops && is_osd_msg(m->type);
}

/* The shard of a message's PG. */
static struct osd_shard *msg_shard(struct osd *o, const struct msg *m)
{
	const struct osd_scrub_hdr *h = osd_scrub_msg_hdr(m);

	if (h)
		return osd_shard_of(o, h->pool, h->ps);
	if (m->type == OSD_MSG_OP)
		return osd_shard_of(o, ((const struct osd_msg_op *)(const void *)m)->pool,
		                    ((const struct osd_msg_op *)(const void *)m)->ps);
	if (m->type == OSD_MSG_REPOP)
		return osd_shard_of(o, ((const struct osd_msg_repop *)(const void *)m)->pool,
		                    ((const struct osd_msg_repop *)(const void *)m)->ps);
	if (m->type == OSD_MSG_PEERING || m->type == OSD_MSG_PUSH)
		return osd_shard_of(o, ((const struct osd_msg_peering *)(const void *)m)->pool,
		                    ((const struct osd_msg_peering *)(const void *)m)->ps);
	return osd_shard_of(o, ((const struct osd_msg_repop_reply *)(const void *)m)->pool,
	                    ((const struct osd_msg_repop_reply *)(const void *)m)->ps);
}

static void queue_op(struct osd *o, struct osd_shard *sh, struct osd_msg_op *m)
{
	struct osd_opreq *op = mem_calloc(1, sizeof(*op));

	if (!op) {
		msg_put(&m->m);
		return;
	}
	op->it.kind = OSD_IT_OP;
	op->m = m;
	op->start_ns = m->m.recv_ns ? m->m.recv_ns : tmr_now_ns();
	osd_opreq_wait(op, "queued for its PG");
	perf_inc(o->pc, OSD_P_OP, 1);
	pthread_mutex_lock(&sh->lock);
	list_push_back(&sh->ops, &op->all);
	list_push_back(&sh->q, &op->it.node);
	pthread_cond_signal(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
}

static void fast_dispatch(struct msg *m, void *arg)
{
	struct osd *o = arg;
	struct osd_shard *sh;
	struct osd_item *it;

	if (atomic_load(&o->stopping)) {
		/* N3: refuse and close the client's connection, so that it
		 * resends (elsewhere once the map changes) instead of waiting
		 * for a reply that never comes. */
		if (m->type == OSD_MSG_OP && m->conn)
			msg_conn_mark_down(m->conn);
		msg_put(m);
		return;
	}
	if (!atomic_load(&o->shards_ready)) {
		/* Too early (messenger up, shards starting): keep it for them;
		 * dropping it would strand a client or a primary. */
		pthread_mutex_lock(&o->early_lock);
		if (!atomic_load(&o->shards_ready)) {
			it = mem_calloc(1, sizeof(*it));
			if (it) {
				it->kind = OSD_IT_MSG;
				it->msg = m;
				list_push_back(&o->early, &it->node);
			} else {
				if (m->conn && msg_conn_policy(m->conn) != MSG_POLICY_LOSSLESS_PEER)
					msg_conn_mark_down(m->conn);
				msg_put(m);
			}
			pthread_mutex_unlock(&o->early_lock);
			return;
		}
		pthread_mutex_unlock(&o->early_lock);
	}
	sh = msg_shard(o, m);
	if (m->type == OSD_MSG_OP) {
		queue_op(o, sh, (struct osd_msg_op *)(void *)m);
		return;
	}
	it = mem_calloc(1, sizeof(*it));
	if (!it) {
		msg_put(m);
		return;
	}
	it->kind = OSD_IT_MSG;
	it->msg = m;
	osd_shard_push(sh, it);
}

void osd_net_release_early(struct osd *o)
{
	struct list_node early, *n;

	list_init(&early);
	pthread_mutex_lock(&o->early_lock);
	list_splice_back(&early, &o->early);
	pthread_mutex_unlock(&o->early_lock);
	while ((n = list_pop_front(&early))) {
		struct osd_item *it = LIST_CONTAINER(n, struct osd_item, node);
		struct msg *m = it->msg;

		mem_free(it);
		fast_dispatch(m, o);
	}
}

static void on_map(const struct mon_msg_map *mm, void *arg)
{
	struct osd *o = arg;
	struct osd_inev *ev;

	if (mm->kind != MON_MAP_OSDMAP || !(ev = mem_calloc(1, sizeof(*ev))))
		return;
	ev->map = (struct mon_msg_map *)(void *)msg_get((struct msg *)(void *)&mm->m);
	pthread_mutex_lock(&o->q_lock);
	list_push_back(&o->inq, &ev->node);
	pthread_mutex_unlock(&o->q_lock);
	uv_async_send(&o->wake);
}

static void dispatch(struct msg *m, void *arg)
{
	struct osd *o = arg;

	if (can_fast(m, arg)) {
		fast_dispatch(m, arg);
		return;
	}
	if (m->type == MON_MSG_COMMAND) {
		osd_cmd_handle(o, m); /* `sepia tell`, `sepia pg PGID query` (osd_cmd.c) */
		return;
	}
	if (o->monc && monc_handle_message(o->monc, m))
		return;
	log_debug(osd, "osd.%d: ignoring message type %u", o->whoami, m->type);
	msg_put(m);
}

static void on_reset(struct msg_conn *c, void *arg)
{
	struct osd *o = arg;

	if (o->monc)
		monc_handle_reset(o->monc, c);
}

static void on_remote_reset(struct msg_conn *c, void *arg)
{
	struct osd *o = arg;
	char e[MSG_ENTITY_STR_MAX];

	log_debug(osd, "osd.%d: session reset by %s", o->whoami,
	          msg_entity_str(msg_conn_peer(c), e));
}

static struct osd_inev *pop(struct osd *o)
{
	struct list_node *n;

	pthread_mutex_lock(&o->q_lock);
	n = list_pop_front(&o->inq);
	pthread_mutex_unlock(&o->q_lock);
	return n ? LIST_CONTAINER(n, struct osd_inev, node) : NULL;
}

static void on_wake(uv_async_t *h)
{
	struct osd *o = h->data;
	struct osd_inev *ev;

	while ((ev = pop(o))) {
		osd_map_handle(o, ev->map); /* takes the ref */
		mem_free(ev);
	}
}

/* --- peers ---------------------------------------------------------------------------------- */

void osd_peers_map(struct osd *o, const struct osdmap *m)
{
	struct msg_conn *drop[64];
	size_t n = 0;

	pthread_mutex_lock(&o->peer_lock);
	for (size_t id = 0; id < o->npeers && n < 64; id++) {
		struct osd_peer *p = &o->peers[id];

		if (!p->conn || ((int)id < m->max_osd && m->osds[id].up &&
		                 (m->osds[id].nonce == p->nonce ||
		                  msg_conn_peer_nonce(p->conn) == m->osds[id].nonce)))
			continue;
		drop[n++] = p->conn; /* down, or another incarnation: start afresh */
		p->conn = NULL;
	}
	pthread_mutex_unlock(&o->peer_lock);
	for (size_t i = 0; i < n; i++) {
		msg_conn_mark_down(drop[i]);
		msg_conn_put(drop[i]);
	}
}

struct msg_conn *osd_peer_conn(struct osd *o, int id, const struct osdmap *m)
{
	struct msg_conn *c = NULL, *old = NULL;
	struct msg_entity e;
	char ids[16];

	if (id < 0 || id >= m->max_osd || !m->osds[id].up)
		return NULL;
	pthread_mutex_lock(&o->peer_lock);
	if ((size_t)id >= o->npeers) {
		size_t cap = o->npeers;

		if (mem_grow(&o->peers, sizeof(*o->peers), &cap, (size_t)id + 1) < 0)
			goto out;
		memset(o->peers + o->npeers, 0, (cap - o->npeers) * sizeof(*o->peers));
		o->npeers = cap;
	}
	if (o->peers[id].conn && msg_conn_is_closed(o->peers[id].conn)) {
		/* closed under us (e.g. a connection race with the peer's new
		 * incarnation): a session that can never send again */
		msg_conn_put(o->peers[id].conn);
		o->peers[id].conn = NULL;
	}
	if (o->peers[id].conn && o->peers[id].nonce != m->osds[id].nonce) {
		if (msg_conn_peer_nonce(o->peers[id].conn) == m->osds[id].nonce) {
			/* the new incarnation already reached us on this session:
			 * keep it (marking it down would drop our replies to it) */
			o->peers[id].nonce = m->osds[id].nonce;
		} else {
			old = o->peers[id].conn; /* N2: a new incarnation elsewhere */
			o->peers[id].conn = NULL;
		}
	}
	if (!o->peers[id].conn) {
		snprintf(ids, sizeof(ids), "%d", id);
		if (msg_entity_set(&e, MSG_ENTITY_OSD, ids) < 0 ||
		    msg_connect(o->msgr, &e, &m->osds[id].addr, MSG_POLICY_LOSSLESS_PEER,
		                &o->peers[id].conn) < 0)
			goto out;
		o->peers[id].nonce = m->osds[id].nonce;
	}
	c = msg_conn_get(o->peers[id].conn);
out:
	pthread_mutex_unlock(&o->peer_lock);
	if (old) {
		msg_conn_mark_down(old);
		msg_conn_put(old);
	}
	return c;
}

/* --- timer ------------------------------------------------------------------------------------ */

static void on_tick(struct tmr *t, void *arg)
{
	struct osd *o = arg;
	uint64_t now = tmr_now_ns();
	double every = cfg_double(o->d.cfg, CFG_KEY_osd_mon_report_interval);
	double shard_every = cfg_double(o->d.cfg, CFG_KEY_osd_tick_interval);

	(void)t;
	monc_tick(o->monc);
	osd_boot_tick(o);
	osd_map_tick(o);
	osd_hb_tick(o);
	if (atomic_load(&o->shards_ready) &&
	    now - o->last_shard_tick_ns >= (uint64_t)(shard_every * 1e9)) {
		o->last_shard_tick_ns = now;
		osd_shards_tick(o); /* peering cores (resends) and scrubs */
	}
	if (now - o->last_stats_ns > (uint64_t)(every * 1e9) ||
	    (o->stats_dirty && now - o->last_stats_ns > 1000000000ull)) {
		o->stats_dirty = false;
		o->last_stats_ns = now;
		osd_send_pg_stats(o);
	}
}

/* --- lifecycle ------------------------------------------------------------------------------- */

/* A peer OSD's address refuses connections: it died (Ceph's immediate
 * failure report, so that peering does not wait for the heartbeat grace). */
static void on_refused(struct msg_conn *c, void *arg)
{
	const struct msg_entity *e = msg_conn_peer(c);
	char *end;
	long id;

	if (!e || e->type != MSG_ENTITY_OSD)
		return;
	id = strtol(e->id, &end, 10);
	if (end != e->id && !*end && id >= 0 && id < INT32_MAX)
		osd_hb_refused(arg, (int)id);
}

static int make_messenger(struct osd *o)
{
	struct msg_dispatcher d = {
		.dispatch = dispatch,
		.can_fast_dispatch = can_fast,
		.fast_dispatch = fast_dispatch,
		.handle_reset = on_reset,
		.handle_remote_reset = on_remote_reset,
		.handle_refused = on_refused,
		.arg = o,
	};
	struct msg_entity me;
	struct msg_opts opts;
	struct msg_addr bind = { 0 };
	const char *ba = cfg_str(o->d.cfg, CFG_KEY_ms_bind_addr);
	char ids[16];
	int rc;

	snprintf(ids, sizeof(ids), "%d", o->whoami);
	if ((rc = msg_opts_load(o->d.cfg, &opts)) < 0 ||
	    (rc = msg_entity_set(&me, MSG_ENTITY_OSD, ids)) < 0 ||
	    (rc = msg_registry_create(&o->reg)) < 0)
		return rc;
	if ((rc = mon_proto_register(o->reg)) < 0 || (rc = osd_proto_register(o->reg)) < 0 ||
	    (rc = msg_messenger_create(&me, &opts, o->reg, &d, &o->msgr)) < 0)
		goto out_reg;
	if (msg_addr_parse(ba[0] ? ba : "0.0.0.0:0", &bind) < 0) {
		char with_port[80];

		snprintf(with_port, sizeof(with_port), "%s:0", ba);
		if ((rc = msg_addr_parse(with_port, &bind)) < 0) {
			log_err(osd, "ms_bind_addr '%s' is not an address", ba);
			goto out_msgr;
		}
	}
	bind.port = 0;
	if ((rc = msg_messenger_bind(o->msgr, &bind)) < 0 ||
	    (rc = msg_messenger_start(o->msgr)) < 0) {
		log_err(osd, "osd.%d: cannot listen: %s", o->whoami, strerror(-rc));
		goto out_msgr;
	}
	msg_messenger_addr(o->msgr, &o->addr);
	o->nonce = msg_messenger_nonce(o->msgr);
	return 0;
out_msgr:
	msg_messenger_destroy(o->msgr);
	o->msgr = NULL;
out_reg:
	msg_registry_destroy(o->reg);
	o->reg = NULL;
	return rc;
}

int osd_step_net(struct daemon *d)
{
	struct osd *o = osd_of(d);
	char a[MSG_ADDR_STR_MAX];
	int rc;

	if (o->mkfs)
		return 0;
	list_init(&o->inq);
	pthread_mutex_init(&o->q_lock, NULL);
	list_init(&o->early);
	pthread_mutex_init(&o->early_lock, NULL);
	pthread_mutex_init(&o->peer_lock, NULL);
	if ((rc = uv_async_init(&d->loop, &o->wake, on_wake)) < 0)
		return rc;
	o->wake.data = o;
	o->wake_init = true;
	if ((rc = make_messenger(o)) < 0) {
		uv_close((uv_handle_t *)&o->wake, NULL);
		o->wake_init = false;
		return rc;
	}
	log_info(osd, "osd.%d listening on %s", o->whoami, msg_addr_str(&o->addr, a));
	return 0;
}

void osd_unstep_net(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct osd_inev *ev;

	if (o->mkfs || !o->wake_init)
		return;
	msg_messenger_destroy(o->msgr); /* no callback after this (NULL if boot ran) */
	o->msgr = NULL;
	osd_shards_free(o);
	while ((ev = pop(o))) {
		msg_put(&ev->map->m);
		mem_free(ev);
	}
	for (struct list_node *n; (n = list_pop_front(&o->early));) {
		struct osd_item *it = LIST_CONTAINER(n, struct osd_item, node);

		msg_put(it->msg); /* the shards never started */
		mem_free(it);
	}
	for (size_t i = 0; i < o->npeers; i++)
		msg_conn_put(o->peers[i].conn);
	mem_free(o->peers);
	o->peers = NULL;
	o->npeers = 0;
	msg_registry_destroy(o->reg);
	o->reg = NULL;
	uv_close((uv_handle_t *)&o->wake, NULL);
	o->wake_init = false;
}

int osd_step_boot(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct monmap mons;
	uint32_t have;
	int rc;

	if (o->mkfs)
		return 0;
	monmap_init(&mons, o->super.fsid);
	if ((rc = monmap_parse_hosts(&mons, cfg_str(d->cfg, CFG_KEY_mon_host))) < 0) {
		log_err(osd, "mon_host '%s' does not name the monitors",
		        cfg_str(d->cfg, CFG_KEY_mon_host));
		return rc;
	}
	if ((rc = monc_create(o->msgr, &mons, &o->monc)) < 0)
		return rc;
	monc_set_map_cb(o->monc, on_map, o);
	monc_set_hunt_interval(o->monc, 2000);
	if ((rc = monc_start(o->monc)) < 0 || (rc = tmr_create(&d->loop, &o->tick)) < 0)
		goto out_monc;
	have = o->map ? o->map->map->epoch : 0;
	monc_subscribe(o->monc, MON_MAP_OSDMAP, have + 1, false);
	o->state = OSD_ST_BOOTING;
	osd_send_boot(o);
	if ((rc = tmr_start(o->tick, TICK_MS, TICK_MS, on_tick, o)) < 0)
		goto out_tmr;
	return 0;
out_tmr:
	tmr_destroy(o->tick);
	o->tick = NULL;
out_monc:
	monc_destroy(o->monc);
	o->monc = NULL;
	return rc;
}

void osd_unstep_boot(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct monc *mc = o->monc;

	if (o->mkfs || !mc)
		return;
	pthread_mutex_lock(&o->map_lock);
	o->state = OSD_ST_STOPPING;
	pthread_mutex_unlock(&o->map_lock);
	tmr_destroy(o->tick);
	o->tick = NULL;
	/* the shards are gone; the messenger may still call monc until it is */
	msg_messenger_destroy(o->msgr);
	o->msgr = NULL;
	o->monc = NULL;
	monc_destroy(mc);
}
