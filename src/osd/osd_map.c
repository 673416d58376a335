/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_map.c - the OSD map as this daemon follows it: applying full maps
 * and incrementals in order, persisting each new epoch, publishing it to
 * the shards, the cache of encoded incrementals shared with peers and
 * clients, and the boot state (dissertation §6.2.2: the OSD is up once a
 * map says so; it boots again if a map marks it down while it lives).
 *
 * DESIGN
 * States (o->state, map_lock): BOOTING --map shows us up with our addr
 * and nonce--> ACTIVE --map shows us down or another incarnation--> BOOTING
 * (boot sent again); any --SIGTERM--> STOPPING.
 * Invariants: M1 o->map only moves forward, one epoch at a time through
 * incrementals (osdmap_apply) or by a newer full map; M2 a map is
 * persisted (queued in the store) before it is published to the shards, so
 * the store never holds PGs created for a map it has not recorded; M3 the
 * inc cache holds consecutive epochs ending at o->map's epoch (cleared when
 * a full map jumps); M4 a gap (an incremental that does not follow ours)
 * re-subscribes from ours + 1 and applies nothing past the gap.
 * Edges: monitor map message (main loop) -> osd_map_handle; tick ->
 * osd_boot_tick; shard needing a newer map -> osd_map_want (any thread). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/perf.h"
#include "common/timer.h"
#include "monc/monc.h"
#include "osd/pg.h"

#define BOOT_RESEND_NS 3000000000ull
#define RESUB_NS       500000000ull

const char *osd_state_name(enum osd_state s)
{
	switch (s) {
	case OSD_ST_BOOTING:
		return "booting";
	case OSD_ST_ACTIVE:
		return "active";
	case OSD_ST_STOPPING:
		return "stopping";
	}
	return "?";
}

uint64_t osd_now_ns(void)
{
	return tmr_now_ns();
}

/* --- map references ---------------------------------------------------------------- */

struct osd_mapref *osd_mapref_create(struct osdmap *map)
{
	struct osd_mapref *r = mem_calloc(1, sizeof(*r));

	if (!r) {
		osdmap_destroy(map);
		return NULL;
	}
	refcnt_init(&r->ref, 1);
	r->map = map;
	return r;
}

struct osd_mapref *osd_mapref_get(struct osd_mapref *r)
{
	refcnt_inc(&r->ref);
	return r;
}

void osd_mapref_put(struct osd_mapref *r)
{
	if (r && refcnt_dec_is_last(&r->ref)) {
		osdmap_destroy(r->map);
		mem_free(r);
	}
}

struct osd_mapref *osd_map_current(struct osd *o)
{
	struct osd_mapref *r;

	pthread_mutex_lock(&o->map_lock);
	r = o->map ? osd_mapref_get(o->map) : NULL;
	pthread_mutex_unlock(&o->map_lock);
	return r;
}

/* --- the incremental cache ------------------------------------------------------------ */

void osd_inc_cache_fini(struct osd_inc_cache *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		mem_free(c->incs[i]);
	mem_free(c->incs);
	mem_free(c->lens);
	memset(c, 0, sizeof(*c));
}

int osd_inc_cache_add(struct osd_inc_cache *c, uint32_t epoch, const uint8_t *p, uint32_t len,
                      uint32_t keep)
{
	uint8_t *copy;

	if (c->n && epoch != c->first + c->n)
		osd_inc_cache_fini(c); /* M3: not consecutive, start over */
	if (c->n == c->cap) {
		size_t cap = c->cap, cap2 = c->cap;

		if (mem_grow(&c->incs, sizeof(*c->incs), &cap, c->n + 1) < 0 ||
		    mem_grow(&c->lens, sizeof(*c->lens), &cap2, c->n + 1) < 0)
			return -ENOMEM;
		c->cap = (uint32_t)(cap < cap2 ? cap : cap2);
	}
	copy = mem_malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	if (!c->n)
		c->first = epoch;
	c->incs[c->n] = copy;
	c->lens[c->n++] = len;
	while (c->n > keep) {
		mem_free(c->incs[0]);
		memmove(c->incs, c->incs + 1, (c->n - 1) * sizeof(*c->incs));
		memmove(c->lens, c->lens + 1, (c->n - 1) * sizeof(*c->lens));
		c->n--;
		c->first++;
	}
	return 0;
}

/* --- sharing --------------------------------------------------------------------------- */

struct mon_msg_map *osd_map_share_msg(struct osd *o, uint32_t from, const struct osdmap *m)
{
	struct mon_msg_map *mm;
	bool incs = false;
	int rc;

	if (mon_map_create(MON_MAP_OSDMAP, m->epoch, &mm) < 0)
		return NULL;
	pthread_mutex_lock(&o->map_lock);
	if (from + 1 >= o->incs.first && o->incs.n && m->epoch < o->incs.first + o->incs.n &&
	    m->epoch - from <= MON_MAP_INCS_MAX && from >= 1) {
		incs = true;
		for (uint32_t e = from + 1; incs && e <= m->epoch; e++)
			incs = mon_map_add_inc(mm, e, o->incs.incs[e - o->incs.first],
			                       o->incs.lens[e - o->incs.first]) == 0;
	}
	pthread_mutex_unlock(&o->map_lock);
	if (!incs) {
		struct enc e;

		msg_put(&mm->m);
		if (mon_map_create(MON_MAP_OSDMAP, m->epoch, &mm) < 0)
			return NULL;
		enc_init(&e);
		osdmap_encode(m, &e);
		rc = enc_error(&e);
		if (rc == 0)
			rc = mon_map_set_full(mm, m->epoch, e.data, (uint32_t)e.len);
		enc_fini(&e);
		if (rc < 0) {
			msg_put(&mm->m);
			return NULL;
		}
	}
	return mm;
}

void osd_map_share(struct osd *o, struct msg_conn *c, uint32_t peer_epoch, const struct osdmap *m)
{
	uintptr_t shared = (uintptr_t)msg_conn_priv(c);
	struct mon_msg_map *mm;

	if (peer_epoch >= m->epoch || shared >= m->epoch)
		return;
	msg_conn_set_priv(c, (void *)(uintptr_t)m->epoch); /* once per conn and epoch */
	mm = osd_map_share_msg(o, shared > peer_epoch ? (uint32_t)shared : peer_epoch, m);
	if (mm)
		msg_send(c, &mm->m);
}

void osd_map_want(struct osd *o, uint32_t epoch)
{
	uint32_t have;
	bool ask = false;

	pthread_mutex_lock(&o->map_lock);
	have = o->map ? o->map->map->epoch : 0;
	if (epoch > have && epoch > o->map_wanted) {
		o->map_wanted = epoch;
		ask = true;
	}
	pthread_mutex_unlock(&o->map_lock);
	if (ask && o->monc)
		monc_subscribe(o->monc, MON_MAP_OSDMAP, have + 1, false);
}

/* --- boot -------------------------------------------------------------------------------- */

void osd_send_boot(struct osd *o)
{
	const char *host = cfg_str(o->d.cfg, CFG_KEY_host);
	struct mon_msg_osd_boot *b;
	struct msg *m;

	if (msg_create_typed(&mon_osd_boot_ops, &m) < 0)
		return;
	b = (void *)m;
	b->osd = o->whoami;
	memcpy(b->fsid, o->super.fsid, 16);
	b->addr = o->addr;
	b->nonce = o->nonce;
	b->hb_addr = o->hb_addr; /* osd_hb.c */
	b->epoch = monc_have(o->monc, MON_MAP_OSDMAP);
	b->weight = cfg_double(o->d.cfg, CFG_KEY_osd_crush_initial_weight);
	if (host[0])
		snprintf(b->host, sizeof(b->host), "%s", host);
	else if (gethostname(b->host, sizeof(b->host) - 1) < 0)
		snprintf(b->host, sizeof(b->host), "localhost");
	o->last_boot_ns = tmr_now_ns();
	if (monc_send(o->monc, m) == 0)
		log_debug(osd, "osd.%d: boot sent (have e%u)", o->whoami, b->epoch);
}

static bool map_shows_us(const struct osd *o, const struct osdmap *m)
{
	const struct osdmap_osd *me;

	if (o->whoami >= m->max_osd)
		return false;
	me = &m->osds[o->whoami];
	return me->up && me->nonce == o->nonce &&
	       memcmp(&me->addr, &o->addr, sizeof(struct msg_addr)) == 0;
}

/* Boot state edges after a new map (main loop). */
static void boot_check(struct osd *o, const struct osdmap *m)
{
	bool up = map_shows_us(o, m), boot = false;

	pthread_mutex_lock(&o->map_lock);
	if (o->state == OSD_ST_BOOTING && up) {
		o->state = OSD_ST_ACTIVE;
		o->boot_epoch = m->epoch;
		log_info(osd, "osd.%d: up and active at e%u", o->whoami, m->epoch);
	} else if (o->state == OSD_ST_ACTIVE && !up) {
		o->state = OSD_ST_BOOTING;
		boot = true;
		log_warn(osd, "osd.%d: e%u marks us down while we are alive: booting again",
		         o->whoami, m->epoch);
	} else if (o->state == OSD_ST_BOOTING && o->whoami < m->max_osd && !m->osds[o->whoami].up) {
		boot = true; /* our previous incarnation was just marked down */
	}
	pthread_mutex_unlock(&o->map_lock);
	if (boot)
		osd_send_boot(o);
}

void osd_boot_tick(struct osd *o)
{
	uint64_t now = tmr_now_ns();
	double beacon = cfg_double(o->d.cfg, CFG_KEY_osd_beacon_report_interval);
	enum osd_state st;

	pthread_mutex_lock(&o->map_lock);
	st = o->state;
	pthread_mutex_unlock(&o->map_lock);
	if (st == OSD_ST_BOOTING && now - o->last_boot_ns > BOOT_RESEND_NS)
		osd_send_boot(o);
	if (st == OSD_ST_ACTIVE && now - o->last_beacon_ns > (uint64_t)(beacon * 1e9)) {
		struct mon_msg_osd_beacon *b;
		struct msg *m;

		if (msg_create_typed(&mon_osd_beacon_ops, &m) < 0)
			return;
		b = (void *)m;
		b->osd = o->whoami;
		b->epoch = monc_have(o->monc, MON_MAP_OSDMAP);
		if (monc_send(o->monc, m) == 0)
			o->last_beacon_ns = now;
	}
}

int osd_send_alive(struct osd *o, uint32_t want_up_thru)
{
	struct mon_msg_osd_alive *a;
	struct msg *m;
	int rc = msg_create_typed(&mon_osd_alive_ops, &m);

	if (rc < 0)
		return rc;
	a = (void *)m;
	a->osd = o->whoami;
	a->epoch = monc_have(o->monc, MON_MAP_OSDMAP);
	a->want_up_thru = want_up_thru;
	rc = monc_send(o->monc, m);
	if (rc < 0)
		log_debug(osd, "osd.%d: cannot send alive (up_thru %u): %s", o->whoami,
		          want_up_thru, strerror(-rc));
	return rc;
}

void osd_want_up_thru(struct osd *o, uint32_t want)
{
	uint64_t now = tmr_now_ns();

	if (atomic_load(&o->alive_asked) >= want &&
	    now - atomic_load(&o->alive_asked_ns) < 1000000000ull)
		return;
	atomic_store(&o->alive_asked, want);
	atomic_store(&o->alive_asked_ns, now);
	(void)osd_send_alive(o, want);
}

int osd_send_pgtemp(struct osd *o, const struct mon_pgtemp_ent *ents, uint32_t n)
{
	struct mon_msg_osd_pgtemp *t;
	struct msg *m;
	int rc;

	if (n == 0 || n > MON_PGTEMP_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (ents[i].pool < 0 || ents[i].n > MON_PG_SIZE_MAX)
			return -EINVAL;
	rc = msg_create_typed(&mon_osd_pgtemp_ops, &m);
	if (rc < 0)
		return rc;
	t = (void *)m;
	t->osd = o->whoami;
	t->epoch = monc_have(o->monc, MON_MAP_OSDMAP);
	t->n = n;
	memcpy(t->ents, ents, n * sizeof(*ents));
	rc = monc_send(o->monc, m);
	if (rc < 0)
		log_debug(osd, "osd.%d: cannot send pg_temp (%u entries): %s", o->whoami, n,
		          strerror(-rc));
	return rc;
}

/* --- applying maps ------------------------------------------------------------------------ */

/* Makes m (owned) the current map: persist (M2), cache inc, publish. */
static int adopt(struct osd *o, struct osdmap *m, const uint8_t *inc, uint32_t inc_len)
{
	uint32_t keep = (uint32_t)cfg_int(o->d.cfg, CFG_KEY_osd_map_cache_size);
	struct osd_mapref *r, *old;
	int rc = osd_store_map(o, m, inc, inc_len);

	if (rc < 0) {
		log_err(osd, "osd.%d: cannot persist map e%u: %s", o->whoami, m->epoch,
		        strerror(-rc));
		osdmap_destroy(m);
		return rc;
	}
	if (!(r = osd_mapref_create(m)))
		return -ENOMEM;
	pthread_mutex_lock(&o->map_lock);
	old = o->map;
	o->map = r;
	if (inc)
		rc = osd_inc_cache_add(&o->incs, m->epoch, inc, inc_len, keep);
	else
		osd_inc_cache_fini(&o->incs); /* M3 */
	pthread_mutex_unlock(&o->map_lock);
	osd_mapref_put(old);
	perf_inc(o->pc, OSD_P_MAP_EPOCHS, 1);
	return 0;
}

static int apply_full(struct osd *o, const struct mon_msg_map *mm)
{
	struct osdmap *m;
	struct dec d;
	int rc;

	dec_init(&d, mm->full, mm->full_len);
	rc = osdmap_decode(&d, &m);
	if (rc == 0 && (m->epoch != mm->full_epoch || memcmp(m->fsid, o->super.fsid, 16))) {
		osdmap_destroy(m);
		rc = -EINVAL;
	}
	if (rc < 0) {
		log_warn(osd, "osd.%d: ignoring full map e%u: %s", o->whoami, mm->full_epoch,
		         strerror(-rc));
		return rc;
	}
	return adopt(o, m, NULL, 0);
}

static int apply_inc(struct osd *o, const struct osdmap *base, const uint8_t *p, uint32_t len)
{
	struct osdmap_inc inc;
	struct osdmap *m = NULL;
	struct dec d;
	int rc;

	osdmap_inc_init(&inc, NULL);
	dec_init(&d, p, len);
	rc = osdmap_inc_decode(&d, &inc);
	if (rc == 0)
		rc = osdmap_apply(base, &inc, &m);
	osdmap_inc_fini(&inc);
	if (rc < 0) {
		log_warn(osd, "osd.%d: cannot apply incremental on e%u: %s", o->whoami, base->epoch,
		         strerror(-rc));
		return rc;
	}
	return adopt(o, m, p, len);
}

static uint32_t current_epoch(struct osd *o)
{
	uint32_t e;

	pthread_mutex_lock(&o->map_lock);
	e = o->map ? o->map->map->epoch : 0;
	pthread_mutex_unlock(&o->map_lock);
	return e;
}

/* M4: asks again from cur + 1, at most every RESUB_NS (a map we cannot
 * apply must not ping-pong with the monitor; the tick retries). */
static void resubscribe(struct osd *o, uint32_t cur)
{
	uint64_t now = tmr_now_ns();

	if (now - o->last_resub_ns < RESUB_NS)
		return;
	o->last_resub_ns = now;
	log_debug(osd, "osd.%d: have e%u, monitor has e%u: subscribing from e%u", o->whoami, cur,
	          o->newest_seen, cur + 1);
	monc_subscribe(o->monc, MON_MAP_OSDMAP, cur + 1, false);
}

void osd_map_tick(struct osd *o)
{
	uint32_t cur = current_epoch(o);

	if (o->newest_seen > cur)
		resubscribe(o, cur);
}

void osd_map_handle(struct osd *o, struct mon_msg_map *mm)
{
	uint32_t before = current_epoch(o), cur = before, published = before;
	bool gap = false;

	if (mm->full && mm->full_epoch > cur && (mm->ninc == 0 || mm->first_inc > cur + 1 || !cur))
		if (apply_full(o, mm) == 0)
			cur = mm->full_epoch;
	for (uint32_t i = 0; i < mm->ninc && !gap; i++) {
		uint32_t e = mm->first_inc + i;
		struct osd_mapref *base;

		if (e <= cur)
			continue;
		if (e != cur + 1 || !(base = osd_map_current(o))) {
			gap = true; /* M4 */
			break;
		}
		if (apply_inc(o, base->map, mm->incs[i], mm->inc_lens[i]) == 0) {
			struct osd_mapref *r = osd_map_current(o);

			cur = published = e;
			osd_shards_map(o, r); /* peering sees every epoch */
			osd_mapref_put(r);
		} else {
			gap = true;
		}
		osd_mapref_put(base);
	}
	if (mm->newest > o->newest_seen)
		o->newest_seen = mm->newest;
	if (gap || mm->newest > cur)
		resubscribe(o, cur);
	if (cur != before) {
		struct osd_mapref *r = osd_map_current(o);

		log_debug(osd, "osd.%d: map e%u -> e%u", o->whoami, before, cur);
		if (published != cur)
			osd_shards_map(o, r); /* a full map not followed by incrementals */
		osd_peers_map(o, r->map);
		boot_check(o, r->map);
		osd_mapref_put(r);
		o->stats_dirty = true;
	}
	msg_put(&mm->m);
}
