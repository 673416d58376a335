/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_hb.c - heartbeats, the daemon side: a dedicated heartbeat
 * messenger per OSD (its own port, lossy connections, so a ping never
 * waits behind 4 MiB replication messages), pings to the peers chosen by
 * osd_hb_select, replies, failure and still-alive reports to the monitors
 * (osd_hb_check), and the clean shutdown's "mark me down".
 *
 * DESIGN
 * Threads: the main loop refreshes the peer set (a new epoch, or every
 * interval), pings every osd_heartbeat_interval and checks every tick; the
 * heartbeat messenger's dispatch thread answers pings, records replies and
 * drops connections that reset. hb->lock guards peers[] and every field of
 * them; it is a leaf, never held across msg_connect, msg_send, monc_send or
 * a connection put.
 * Invariants: H1 peers[] is sorted by OSD id and holds only OSDs up in the
 * map of the last refresh with a heartbeat address; a peer whose up_from or
 * address changed is a new incarnation with fresh clocks (its old
 * connection is marked down); H2 peers[i].conn is NULL or a lossy
 * connection to peers[i].hb_addr we hold a ref on; H3 nothing is pinged or
 * reported unless we are ACTIVE, and the first check after we were not (or
 * after a stall of more than half the grace) restarts every peer's clocks:
 * our own silence is never blamed on the peers.
 * Edges: tick -> refresh / ping_all / check_all -> monc_send(FAILURE);
 * PING -> PING_REPLY on the same connection; PING_REPLY -> got_reply;
 * reset -> drop conn (the next ping reconnects); SIGTERM -> stop_notify:
 * FAILURE(target = reporter = us) -> wait for the map -> stop. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "monc/monc.h"
#include "osd/osd_hb.h"
#include "osd/pg.h"

#define RESEND_MARK_DOWN_NS 250000000ull

struct osd_hb {
	pthread_mutex_t lock; /* peers, npeers and their fields (leaf) */
	struct osd_hb_peer *peers;
	size_t npeers;
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	atomic_uint peer_epoch; /* newest epoch a peer told us of */
	/* main loop only */
	uint32_t epoch; /* map epoch of the last refresh */
	uint64_t last_refresh_ns, last_ping_ns, last_check_ns;
};

static struct osd_hb_timing timing(const struct osd *o)
{
	return (struct osd_hb_timing){
		.interval_ns =
		    (uint64_t)(cfg_double(o->d.cfg, CFG_KEY_osd_heartbeat_interval) * 1e9),
		.grace_ns = (uint64_t)(cfg_double(o->d.cfg, CFG_KEY_osd_heartbeat_grace) * 1e9),
	};
}

/* Binary search (H1); hb->lock held. */
static struct osd_hb_peer *find_peer(struct osd_hb *hb, int id)
{
	size_t lo = 0, hi = hb->npeers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (hb->peers[mid].osd == id)
			return &hb->peers[mid];
		if (hb->peers[mid].osd < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint32_t map_epoch(struct osd *o)
{
	struct osd_mapref *r = osd_map_current(o);
	uint32_t e = r ? r->map->epoch : 0;

	osd_mapref_put(r);
	return e;
}

/* --- the heartbeat messenger's dispatch thread ------------------------------------------ */

static void answer_ping(struct osd *o, struct osd_msg_ping *p)
{
	struct osd_msg_ping *r;
	struct msg *m;

	if (msg_create_typed(&osd_ping_reply_ops, &m) < 0)
		return;
	r = (void *)m;
	r->from = o->whoami;
	r->epoch = map_epoch(o);
	r->stamp = p->stamp;
	m->priority = MSG_PRIO_HIGH;
	msg_send(p->m.conn, m); /* a lost reply is a missed heartbeat, nothing more */
}

static void note_epoch(struct osd_hb *hb, uint32_t epoch)
{
	unsigned cur = atomic_load(&hb->peer_epoch);

	while (epoch > cur && !atomic_compare_exchange_weak(&hb->peer_epoch, &cur, epoch))
		;
}

static void hb_dispatch(struct msg *m, void *arg)
{
	struct osd *o = arg;
	struct osd_hb *hb = o->hb;
	struct osd_msg_ping *p = (void *)m;
	struct osd_hb_peer *peer;

	if (m->ops && (m->type == OSD_MSG_PING || m->type == OSD_MSG_PING_REPLY)) {
		note_epoch(hb, p->epoch);
		if (m->type == OSD_MSG_PING) {
			answer_ping(o, p);
		} else {
			pthread_mutex_lock(&hb->lock);
			if ((peer = find_peer(hb, p->from)))
				osd_hb_got_reply(peer, p->stamp, tmr_now_ns());
			pthread_mutex_unlock(&hb->lock);
		}
	}
	msg_put(m);
}

static void hb_reset(struct msg_conn *c, void *arg)
{
	struct osd *o = arg;
	struct osd_hb *hb = o->hb;
	struct msg_conn *drop = NULL;

	pthread_mutex_lock(&hb->lock);
	for (size_t i = 0; i < hb->npeers && !drop; i++)
		if (hb->peers[i].conn == c) {
			drop = c;
			hb->peers[i].conn = NULL; /* H2: the next ping dials again */
		}
	pthread_mutex_unlock(&hb->lock);
	msg_conn_put(drop);
}

/* --- peers (main loop) ------------------------------------------------------------------- */

struct idvec {
	int *v;
	size_t n, cap;
};

static void idvec_add(struct idvec *iv, const int32_t *ids, int n)
{
	if (mem_grow(&iv->v, sizeof(*iv->v), &iv->cap, iv->n + (size_t)n) < 0)
		return; /* fewer peers this round; the next refresh retries */
	for (int i = 0; i < n; i++)
		iv->v[iv->n++] = ids[i];
}

static bool lists(const int32_t *v, int n, int id)
{
	for (int i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

/* The up and acting sets of every PG that has us in one of them. */
static void pg_peers(struct osd *o, struct idvec *iv)
{
	for (unsigned i = 0; i < o->nshards; i++) {
		struct osd_shard *sh = o->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (size_t b = 0; b < sh->npg_buckets; b++)
			for (struct pg *pg = sh->pgs[b]; pg; pg = pg->hnext) {
				const struct pg_snap *s = &pg->snap;

				if (!lists(s->up, s->nup, o->whoami) &&
				    !lists(s->acting, s->nacting, o->whoami))
					continue;
				idvec_add(iv, s->up, s->nup);
				idvec_add(iv, s->acting, s->nacting);
			}
		pthread_mutex_unlock(&sh->lock);
	}
}

static bool same_incarnation(const struct osd_hb_peer *p, const struct osdmap_osd *mo)
{
	return p->up_from == mo->up_from &&
	       memcmp(&p->hb_addr, &mo->hb_addr, sizeof(struct msg_addr)) == 0;
}

/* Builds the new peer array for the chosen ids, keeping the state of
 * unchanged incarnations; old connections no longer used go to *gone. */
static struct osd_hb_peer *rebuild(struct osd_hb *hb, const struct osdmap *m, const int *ids,
                                   size_t n, struct msg_conn **gone, size_t *ngone)
{
	struct osd_hb_peer *np = mem_calloc(n ? n : 1, sizeof(*np));
	size_t j = 0;

	if (!np)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct osdmap_osd *mo = &m->osds[ids[i]];

		while (j < hb->npeers && hb->peers[j].osd < ids[i])
			gone[(*ngone)++] = hb->peers[j++].conn;
		if (j < hb->npeers && hb->peers[j].osd == ids[i] &&
		    same_incarnation(&hb->peers[j], mo)) {
			np[i] = hb->peers[j++];
			continue;
		}
		if (j < hb->npeers && hb->peers[j].osd == ids[i])
			gone[(*ngone)++] = hb->peers[j++].conn; /* H1: a new incarnation */
		np[i] = (struct osd_hb_peer){ .osd = ids[i],
			                      .up_from = mo->up_from,
			                      .hb_addr = mo->hb_addr };
	}
	while (j < hb->npeers)
		gone[(*ngone)++] = hb->peers[j++].conn;
	return np;
}

static void install(struct osd *o, struct osd_hb *hb, const struct osdmap *m, const int *ids,
                    size_t n)
{
	struct msg_conn **gone;
	struct osd_hb_peer *np, *old;
	size_t ngone = 0;

	pthread_mutex_lock(&hb->lock);
	gone = mem_calloc(hb->npeers + 1, sizeof(*gone));
	np = gone ? rebuild(hb, m, ids, n, gone, &ngone) : NULL;
	old = np ? hb->peers : NULL;
	if (np) {
		hb->peers = np;
		hb->npeers = n;
	}
	pthread_mutex_unlock(&hb->lock);
	mem_free(old);
	for (size_t i = 0; i < ngone; i++)
		if (gone[i]) {
			msg_conn_mark_down(gone[i]);
			msg_conn_put(gone[i]);
		}
	mem_free(gone);
	if (np)
		log_debug(osd, "osd.%d: %zu heartbeat peers at e%u", o->whoami, n, m->epoch);
}

static void refresh(struct osd *o, struct osd_hb *hb, const struct osdmap *m)
{
	struct idvec iv = { 0 };
	bool *eligible = mem_calloc((size_t)m->max_osd + 1, sizeof(*eligible));
	int *ids = mem_calloc((size_t)m->max_osd + 1, sizeof(*ids));
	unsigned min_peers = (unsigned)cfg_int(o->d.cfg, CFG_KEY_osd_heartbeat_min_peers);
	size_t n;

	if (eligible && ids) {
		for (int i = 0; i < m->max_osd; i++)
			eligible[i] = m->osds[i].up && msg_addr_is_set(&m->osds[i].hb_addr);
		pg_peers(o, &iv);
		n = osd_hb_select(o->whoami, eligible, m->max_osd, iv.v, iv.n, min_peers, ids,
		                  (size_t)m->max_osd);
		install(o, hb, m, ids, n);
		hb->epoch = m->epoch;
	}
	mem_free(iv.v);
	mem_free(ids);
	mem_free(eligible);
}

/* --- pings and reports (main loop) ------------------------------------------------------ */

struct target {
	int osd;
	struct msg_addr addr;
	struct msg_conn *conn; /* ref or NULL */
};

static struct msg_conn *dial(struct osd_hb *hb, const struct target *t)
{
	struct msg_conn *c = NULL;
	struct osd_hb_peer *p;
	struct msg_entity e;
	char ids[16];

	snprintf(ids, sizeof(ids), "%d", t->osd);
	if (msg_entity_set(&e, MSG_ENTITY_OSD, ids) < 0 ||
	    msg_connect(hb->msgr, &e, &t->addr, MSG_POLICY_LOSSY, &c) < 0)
		return NULL;
	pthread_mutex_lock(&hb->lock);
	p = find_peer(hb, t->osd);
	if (p && !p->conn && memcmp(&p->hb_addr, &t->addr, sizeof(t->addr)) == 0)
		p->conn = msg_conn_get(c); /* H2 */
	pthread_mutex_unlock(&hb->lock);
	return c;
}

static void ping_one(struct osd *o, struct osd_hb *hb, struct target *t, uint32_t epoch,
                     uint64_t now)
{
	struct osd_msg_ping *p;
	struct msg *m;

	if (!t->conn && !(t->conn = dial(hb, t)))
		return;
	if (msg_create_typed(&osd_ping_ops, &m) < 0)
		return;
	p = (void *)m;
	p->from = o->whoami;
	p->epoch = epoch;
	p->stamp = now;
	m->priority = MSG_PRIO_HIGH;
	if (msg_send(t->conn, m) == -ENOTCONN)
		hb_reset(t->conn, o); /* reset already ran or is queued: dial next time */
}

static void ping_all(struct osd *o, struct osd_hb *hb, uint32_t epoch, uint64_t now)
{
	struct target *ts;
	size_t n;

	pthread_mutex_lock(&hb->lock);
	n = hb->npeers;
	ts = mem_calloc(n ? n : 1, sizeof(*ts));
	for (size_t i = 0; ts && i < n; i++) {
		struct osd_hb_peer *p = &hb->peers[i];

		ts[i] = (struct target){ .osd = p->osd,
			                 .addr = p->hb_addr,
			                 .conn = p->conn ? msg_conn_get(p->conn) : NULL };
		if (!p->first_tx_ns)
			p->first_tx_ns = now;
		p->last_tx_ns = now;
	}
	pthread_mutex_unlock(&hb->lock);
	for (size_t i = 0; ts && i < n; i++) {
		ping_one(o, hb, &ts[i], epoch, now);
		msg_conn_put(ts[i].conn);
	}
	mem_free(ts);
}

static int send_failure(struct osd *o, int target, uint32_t epoch, uint32_t failed_for,
                        bool still_alive, bool immediate)
{
	struct mon_msg_osd_failure *f;
	struct msg *m;
	int rc = msg_create_typed(&mon_osd_failure_ops, &m);

	if (rc < 0)
		return rc;
	f = (void *)m;
	f->target = target;
	f->reporter = o->whoami;
	f->epoch = epoch;
	f->failed_for = failed_for;
	f->still_alive = still_alive;
	f->immediate = immediate;
	return monc_send(o->monc, m);
}

void osd_hb_refused(struct osd *o, int id)
{
	static _Atomic uint64_t last_ns;
	struct osd_mapref *r = osd_map_current(o);
	uint64_t now = tmr_now_ns();
	bool up = r && id >= 0 && id < r->map->max_osd && id != o->whoami && r->map->osds[id].up;
	uint32_t epoch = r ? r->map->epoch : 0;

	osd_mapref_put(r);
	if (!up || now - atomic_load(&last_ns) < 200000000ull)
		return; /* not up in our map, or reported a moment ago */
	atomic_store(&last_ns, now);
	log_info(osd, "osd.%d: osd.%d refuses connections: reporting it failed", o->whoami, id);
	(void)send_failure(o, id, epoch, 0, false, true);
}

struct verdict {
	int osd;
	enum osd_hb_action action;
	uint32_t failed_for;
};

/* Sends the verdicts; one that could not be sent is tried again at the
 * next check (its peer's report state is rolled back). */
static void report(struct osd *o, struct osd_hb *hb, const struct verdict *v, size_t n,
                   uint32_t epoch)
{
	for (size_t i = 0; i < n; i++) {
		bool alive = v[i].action == OSD_HB_STILL_ALIVE;
		struct osd_hb_peer *p;

		if (send_failure(o, v[i].osd, epoch, v[i].failed_for, alive, false) == 0) {
			log_info(osd, "osd.%d: %s osd.%d%s", o->whoami,
			         alive ? "osd answers again, withdrawing our report of"
			               : "reporting",
			         v[i].osd, alive ? "" : " failed (no heartbeat reply)");
			continue;
		}
		pthread_mutex_lock(&hb->lock);
		if ((p = find_peer(hb, v[i].osd))) {
			p->reported = alive;
			p->last_report_ns = 0;
		}
		pthread_mutex_unlock(&hb->lock);
	}
}

static void check_all(struct osd *o, struct osd_hb *hb, uint32_t epoch, uint64_t now)
{
	struct osd_hb_timing t = timing(o);
	struct verdict *v;
	size_t nv = 0;

	pthread_mutex_lock(&hb->lock);
	if (osd_hb_was_stalled(hb->last_check_ns, now, &t)) {
		if (hb->last_check_ns)
			log_warn(osd,
			         "osd.%d: no heartbeat check for %.1f s: we were stalled, "
			         "giving every peer a fresh grace",
			         o->whoami, (double)(now - hb->last_check_ns) / 1e9);
		osd_hb_restart_clocks(hb->peers, hb->npeers, now);
	}
	hb->last_check_ns = now;
	v = mem_calloc(hb->npeers ? hb->npeers : 1, sizeof(*v));
	for (size_t i = 0; v && i < hb->npeers; i++) {
		uint32_t failed_for;
		enum osd_hb_action a = osd_hb_check(&hb->peers[i], now, &t, &failed_for);

		if (a != OSD_HB_NONE)
			v[nv++] = (struct verdict){ hb->peers[i].osd, a, failed_for };
	}
	pthread_mutex_unlock(&hb->lock);
	if (v)
		report(o, hb, v, nv, epoch);
	mem_free(v);
}

void osd_hb_tick(struct osd *o)
{
	struct osd_hb *hb = o->hb;
	struct osd_hb_timing t;
	struct osd_mapref *r;
	uint64_t now = tmr_now_ns();
	bool active;

	if (!hb || !hb->msgr)
		return;
	pthread_mutex_lock(&o->map_lock);
	active = o->state == OSD_ST_ACTIVE;
	r = o->map ? osd_mapref_get(o->map) : NULL;
	pthread_mutex_unlock(&o->map_lock);
	if (atomic_load(&hb->peer_epoch) > (r ? r->map->epoch : 0))
		osd_map_want(o, atomic_load(&hb->peer_epoch));
	if (!active || !r) {
		hb->last_check_ns = 0; /* H3 */
		osd_mapref_put(r);
		return;
	}
	t = timing(o);
	if (r->map->epoch != hb->epoch || now - hb->last_refresh_ns >= t.interval_ns) {
		hb->last_refresh_ns = now;
		refresh(o, hb, r->map);
	}
	if (now - hb->last_ping_ns >= t.interval_ns) {
		hb->last_ping_ns = now;
		ping_all(o, hb, r->map->epoch, now);
	}
	check_all(o, hb, r->map->epoch, now);
	osd_mapref_put(r);
}

json_t *osd_hb_dump(struct osd *o)
{
	struct osd_hb *hb = o->hb;
	uint64_t now = tmr_now_ns();
	json_t *a = json_array();
	char addr[MSG_ADDR_STR_MAX];

	if (!hb || !a)
		return a;
	pthread_mutex_lock(&hb->lock);
	for (size_t i = 0; i < hb->npeers; i++) {
		const struct osd_hb_peer *p = &hb->peers[i];

		json_array_append_new(
		    a, json_pack("{s:i, s:s, s:i, s:o, s:b}", "osd", p->osd, "hb_addr",
		                 msg_addr_str(&p->hb_addr, addr), "up_from", (int)p->up_from,
		                 "last_reply_ago",
		                 p->last_rx_ns ? json_real((double)(now - p->last_rx_ns) / 1e9)
		                               : json_null(),
		                 "reported", p->reported));
	}
	pthread_mutex_unlock(&hb->lock);
	return a;
}

/* --- lifecycle --------------------------------------------------------------------------- */

static int bind_addr(struct osd *o, struct msg_addr *out)
{
	const char *ha = cfg_str(o->d.cfg, CFG_KEY_osd_heartbeat_addr);
	const char *a = ha[0] ? ha : cfg_str(o->d.cfg, CFG_KEY_ms_bind_addr);
	char with_port[80];

	memset(out, 0, sizeof(*out));
	if (msg_addr_parse(a[0] ? a : "0.0.0.0:0", out) == 0)
		return 0;
	snprintf(with_port, sizeof(with_port), "%s:0", a);
	if (msg_addr_parse(with_port, out) == 0) {
		out->port = 0;
		return 0;
	}
	log_err(osd, "%s '%s' is not an address", ha[0] ? "osd_heartbeat_addr" : "ms_bind_addr", a);
	return -EINVAL;
}

static int start_messenger(struct osd *o, struct osd_hb *hb)
{
	struct msg_dispatcher d = { .dispatch = hb_dispatch, .handle_reset = hb_reset, .arg = o };
	struct msg_entity me;
	struct msg_opts opts;
	struct msg_addr bind;
	char ids[16];
	int rc;

	snprintf(ids, sizeof(ids), "%d", o->whoami);
	if ((rc = msg_opts_load(o->d.cfg, &opts)) < 0 ||
	    (rc = msg_entity_set(&me, MSG_ENTITY_OSD, ids)) < 0 || (rc = bind_addr(o, &bind)) < 0 ||
	    (rc = msg_registry_create(&hb->reg)) < 0)
		return rc;
	opts.workers = 1;
	if ((rc = osd_proto_register(hb->reg)) < 0 ||
	    (rc = msg_messenger_create(&me, &opts, hb->reg, &d, &hb->msgr)) < 0)
		return rc;
	if ((rc = msg_messenger_bind(hb->msgr, &bind)) < 0 ||
	    (rc = msg_messenger_start(hb->msgr)) < 0) {
		log_err(osd, "osd.%d: heartbeat messenger cannot listen: %s", o->whoami,
		        strerror(-rc));
		return rc;
	}
	msg_messenger_addr(hb->msgr, &o->hb_addr);
	return 0;
}

/* Stops the messenger (no callback after it) and drops every peer. */
static void hb_stop(struct osd_hb *hb)
{
	msg_messenger_destroy(hb->msgr);
	hb->msgr = NULL;
	for (size_t i = 0; i < hb->npeers; i++)
		msg_conn_put(hb->peers[i].conn);
	mem_free(hb->peers);
	hb->peers = NULL;
	hb->npeers = 0;
}

int osd_step_hb(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct osd_hb *hb;
	char a[MSG_ADDR_STR_MAX];
	int rc;

	if (o->mkfs)
		return 0;
	if (!(hb = mem_calloc(1, sizeof(*hb))))
		return -ENOMEM;
	pthread_mutex_init(&hb->lock, NULL);
	o->hb = hb; /* before the messenger starts: its callbacks use it */
	if ((rc = start_messenger(o, hb)) < 0) {
		osd_unstep_hb(d);
		return rc;
	}
	log_info(osd, "osd.%d heartbeats on %s", o->whoami, msg_addr_str(&o->hb_addr, a));
	return 0;
}

void osd_unstep_hb(struct daemon *d)
{
	struct osd *o = osd_of(d);
	struct osd_hb *hb = o->hb;

	if (!hb)
		return;
	hb_stop(hb);
	msg_registry_destroy(hb->reg);
	pthread_mutex_destroy(&hb->lock);
	mem_free(hb);
	o->hb = NULL;
}

int osd_step_stop_notify(struct daemon *d)
{
	(void)d;
	return 0;
}

static bool shows_us_down(struct osd *o)
{
	struct osd_mapref *r = osd_map_current(o);
	bool down = !r || o->whoami >= r->map->max_osd || !r->map->osds[o->whoami].up ||
	            r->map->osds[o->whoami].nonce != o->nonce;

	osd_mapref_put(r);
	return down;
}

/* Asks to be marked down and runs the loop (maps arrive through it) until
 * a map shows it or the wait ends. */
static void mark_me_down(struct osd *o)
{
	uint64_t start = tmr_now_ns(), last = 0, now;
	uint64_t wait = (uint64_t)OSD_HB_STOP_WAIT_MS * 1000000ull;
	struct timespec ts = { 0, 5000000 };

	for (now = start; now - start < wait; now = tmr_now_ns()) {
		if (shows_us_down(o)) {
			log_info(osd, "osd.%d: marked down after %.0f ms", o->whoami,
			         (double)(now - start) / 1e6);
			return;
		}
		if (now - last >= RESEND_MARK_DOWN_NS &&
		    send_failure(o, o->whoami, map_epoch(o), 0, false, false) == 0)
			last = now; /* lossy: resend until the map shows it */
		uv_run(&o->d.loop, UV_RUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
	log_warn(osd, "osd.%d: no map marking us down within %d ms; stopping anyway", o->whoami,
	         OSD_HB_STOP_WAIT_MS);
}

void osd_unstep_stop_notify(struct daemon *d)
{
	struct osd *o = osd_of(d);
	bool was_active;

	if (o->mkfs || !o->monc)
		return;
	pthread_mutex_lock(&o->map_lock);
	was_active = o->state == OSD_ST_ACTIVE;
	o->state = OSD_ST_STOPPING; /* no re-boot when the map marks us down */
	pthread_mutex_unlock(&o->map_lock);
	if (was_active) {
		log_info(osd, "osd.%d: asking the monitors to mark us down", o->whoami);
		mark_me_down(o);
	}
	if (o->hb)
		hb_stop(o->hb); /* peers stop hearing from us; callbacks end here */
}
