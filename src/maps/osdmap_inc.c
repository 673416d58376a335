/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/osdmap_inc.c - OSD map incrementals: building, encoding, applying. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "maps/maps_int.h"
#include "maps/osdmap.h"

/* v2 appends one heartbeat address per OSD entry (in the order of the
 * entries) after the blocklists; a v1 incremental has none. v3 then appends
 * one up_thru per OSD entry (applied with OSDMAP_INC_UP_THRU) and the list
 * of pg_temp changes. */
#define INC_V 3

void osdmap_inc_init(struct osdmap_inc *inc, const struct osdmap *base)
{
	memset(inc, 0, sizeof(*inc));
	inc->new_flags = -1;
	inc->new_max_osd = -1;
	inc->new_pool_max = -1;
	if (base) {
		inc->epoch = base->epoch + 1;
		memcpy(inc->fsid, base->fsid, 16);
	}
}

void osdmap_inc_fini(struct osdmap_inc *inc)
{
	mem_free(inc->crush);
	mem_free(inc->pools);
	mem_free(inc->osds);
	mem_free(inc->block);
	mem_free(inc->unblock);
	mem_free(inc->pg_temp);
	memset(inc, 0, sizeof(*inc));
}

static int add_pool_change(struct osdmap_inc *inc, const struct osdmap_inc_pool *c)
{
	size_t cap = inc->npools;

	/* a later change to the same pool replaces the earlier one */
	for (size_t i = 0; i < inc->npools; i++) {
		if (inc->pools[i].pool.place.id == c->pool.place.id) {
			inc->pools[i] = *c;
			return 0;
		}
	}
	if (mem_grow(&inc->pools, sizeof(*inc->pools), &cap, inc->npools + 1) < 0)
		return -ENOMEM;
	inc->pools[inc->npools++] = *c;
	return 0;
}

int osdmap_inc_set_pool(struct osdmap_inc *inc, const struct osdmap_pool *p)
{
	struct osdmap_inc_pool c = { .removed = false, .pool = *p };

	if (!osdmap_pool_is_valid(p))
		return -EINVAL;
	c.pool.last_change = inc->epoch;
	if (!c.pool.created)
		c.pool.created = inc->epoch; /* a new pool; changes carry it over */
	return add_pool_change(inc, &c);
}

int osdmap_inc_remove_pool(struct osdmap_inc *inc, int64_t id)
{
	struct osdmap_inc_pool c = { .removed = true };

	c.pool.place.id = id;
	return add_pool_change(inc, &c);
}

struct osdmap_inc_osd *osdmap_inc_osd(struct osdmap_inc *inc, int osd)
{
	size_t cap = inc->nosds;

	for (size_t i = 0; i < inc->nosds; i++)
		if (inc->osds[i].osd == osd)
			return &inc->osds[i];
	if (osd < 0 || mem_grow(&inc->osds, sizeof(*inc->osds), &cap, inc->nosds + 1) < 0)
		return NULL;
	memset(&inc->osds[inc->nosds], 0, sizeof(inc->osds[0]));
	inc->osds[inc->nosds].osd = osd;
	return &inc->osds[inc->nosds++];
}

int osdmap_inc_set_crush(struct osdmap_inc *inc, const struct crush_map *crush)
{
	uint8_t *p;
	size_t n;
	int rc = crush_encode(crush, &p, &n);

	if (rc < 0)
		return rc;
	mem_free(inc->crush);
	inc->crush = p;
	inc->crush_len = n;
	return 0;
}

static int push_blocked(struct osdmap_blocked **arr, size_t *n, const struct osdmap_blocked *b)
{
	size_t cap = *n;

	if (mem_grow(arr, sizeof(**arr), &cap, *n + 1) < 0)
		return -ENOMEM;
	(*arr)[(*n)++] = *b;
	return 0;
}

int osdmap_inc_block(struct osdmap_inc *inc, const struct osdmap_blocked *b)
{
	return push_blocked(&inc->block, &inc->nblock, b);
}

int osdmap_inc_unblock(struct osdmap_inc *inc, const struct msg_addr *a, uint64_t nonce)
{
	struct osdmap_blocked b = { .addr = *a, .nonce = nonce };

	return push_blocked(&inc->unblock, &inc->nunblock, &b);
}

/* Keeps inc->pg_temp sorted by (pool, ps), one change per PG. */
int osdmap_inc_set_pg_temp(struct osdmap_inc *inc, int64_t pool, uint32_t ps, const int32_t *osds,
                           uint8_t n)
{
	size_t i = 0, cap = inc->npg_temp;
	struct osdmap_pg_temp t = { .pool = pool, .ps = ps, .n = n };

	if (pool < 0 || n > OSDMAP_PG_TEMP_MAX)
		return -EINVAL;
	for (uint8_t k = 0; k < n; k++) {
		if (osds[k] < 0 || osds[k] >= OSDMAP_MAX_OSD)
			return -EINVAL;
		t.osds[k] = osds[k];
	}
	while (i < inc->npg_temp && osdmap_pg_temp_cmp(&inc->pg_temp[i], pool, ps) < 0)
		i++;
	if (i < inc->npg_temp && osdmap_pg_temp_cmp(&inc->pg_temp[i], pool, ps) == 0) {
		inc->pg_temp[i] = t;
		return 0;
	}
	if (mem_grow(&inc->pg_temp, sizeof(*inc->pg_temp), &cap, inc->npg_temp + 1) < 0)
		return -ENOMEM;
	memmove(&inc->pg_temp[i + 1], &inc->pg_temp[i], (inc->npg_temp - i) * sizeof(t));
	inc->pg_temp[i] = t;
	inc->npg_temp++;
	return 0;
}

bool osdmap_inc_is_empty(const struct osdmap_inc *inc)
{
	return inc->new_flags < 0 && inc->new_max_osd < 0 && inc->new_pool_max < 0 && !inc->crush &&
	       !inc->npools && !inc->nosds && !inc->nblock && !inc->nunblock && !inc->npg_temp;
}

/* --- encoding ------------------------------------------------------------- */

static void inc_osd_encode(struct enc *e, const struct osdmap_inc_osd *o)
{
	enc_s32(e, o->osd);
	enc_u32(e, o->set);
	enc_bool(e, o->exists);
	enc_bool(e, o->up);
	enc_u32(e, o->weight);
	enc_u32(e, o->primary_affinity);
	msg_addr_encode(&o->addr, e);
	enc_u64(e, o->nonce);
}

static int inc_osd_decode(struct dec *d, struct osdmap_inc_osd *o)
{
	int32_t osd;
	int rc = dec_s32(d, &osd);

	if (rc == 0)
		rc = dec_u32(d, &o->set);
	if (rc == 0)
		rc = dec_bool(d, &o->exists);
	if (rc == 0)
		rc = dec_bool(d, &o->up);
	if (rc == 0)
		rc = dec_u32(d, &o->weight);
	if (rc == 0)
		rc = dec_u32(d, &o->primary_affinity);
	if (rc == 0)
		rc = msg_addr_decode(d, &o->addr);
	if (rc == 0)
		rc = dec_u64(d, &o->nonce);
	o->osd = osd;
	if (rc == 0 && (osd < 0 || osd >= OSDMAP_MAX_OSD || o->weight > OSDMAP_WEIGHT_IN ||
	                o->primary_affinity > OSDMAP_WEIGHT_IN))
		rc = -EBADMSG;
	return rc;
}

void osdmap_inc_encode(const struct osdmap_inc *inc, struct enc *e)
{
	size_t at = enc_begin(e, INC_V, 1);

	enc_u32(e, inc->epoch);
	enc_raw(e, inc->fsid, 16);
	enc_u64(e, inc->modified_ns);
	enc_s64(e, inc->new_flags);
	enc_s32(e, inc->new_max_osd);
	enc_s64(e, inc->new_pool_max);
	enc_blob(e, inc->crush, inc->crush ? inc->crush_len : 0);
	enc_u32(e, (uint32_t)inc->npools);
	for (size_t i = 0; i < inc->npools; i++) {
		enc_bool(e, inc->pools[i].removed);
		if (inc->pools[i].removed)
			enc_s64(e, inc->pools[i].pool.place.id);
		else
			osdmap_pool_encode(e, &inc->pools[i].pool);
	}
	enc_u32(e, (uint32_t)inc->nosds);
	for (size_t i = 0; i < inc->nosds; i++)
		inc_osd_encode(e, &inc->osds[i]);
	osdmap_blocked_list_encode(e, inc->block, inc->nblock);
	osdmap_blocked_list_encode(e, inc->unblock, inc->nunblock);
	for (size_t i = 0; i < inc->nosds; i++) /* v2 */
		msg_addr_encode(&inc->osds[i].hb_addr, e);
	for (size_t i = 0; i < inc->nosds; i++) /* v3 */
		enc_u32(e, inc->osds[i].up_thru);
	osdmap_pg_temp_list_encode(e, inc->pg_temp, inc->npg_temp);
	enc_end(e, at);
}

static int inc_pools_decode(struct dec *d, struct osdmap_inc *inc)
{
	uint32_t n;
	int rc = dec_array(d, 9, sizeof(*inc->pools), (void **)&inc->pools, &n);

	for (uint32_t i = 0; rc == 0 && i < n; i++, inc->npools++) {
		struct osdmap_inc_pool *c = &inc->pools[i];

		rc = dec_bool(d, &c->removed);
		if (rc == 0 && c->removed)
			rc = dec_s64(d, &c->pool.place.id);
		else if (rc == 0)
			rc = osdmap_pool_decode(d, &c->pool);
	}
	return rc;
}

static int inc_osds_decode(struct dec *d, struct osdmap_inc *inc)
{
	uint32_t n;
	int rc = dec_array(d, 22, sizeof(*inc->osds), (void **)&inc->osds, &n);

	for (uint32_t i = 0; rc == 0 && i < n; i++, inc->nosds++)
		rc = inc_osd_decode(d, &inc->osds[i]);
	return rc;
}

static int inc_crush_decode(struct dec *d, struct osdmap_inc *inc)
{
	const void *p;
	uint32_t n;
	int rc = dec_blob_ref(d, &p, &n);

	if (rc < 0 || n == 0)
		return rc;
	inc->crush = mem_malloc(n);
	if (!inc->crush)
		return -ENOMEM;
	memcpy(inc->crush, p, n);
	inc->crush_len = n;
	return 0;
}

static int inc_body_decode(struct dec *b, struct osdmap_inc *inc, uint8_t v)
{
	int32_t max = -1;
	int rc = dec_u32(b, &inc->epoch);

	if (rc == 0)
		rc = dec_raw(b, inc->fsid, 16);
	if (rc == 0)
		rc = dec_u64(b, &inc->modified_ns);
	if (rc == 0)
		rc = dec_s64(b, &inc->new_flags);
	if (rc == 0)
		rc = dec_s32(b, &max);
	inc->new_max_osd = max;
	if (rc == 0)
		rc = dec_s64(b, &inc->new_pool_max);
	if (rc == 0 && (inc->new_max_osd < -1 || inc->new_max_osd > OSDMAP_MAX_OSD ||
	                inc->new_flags < -1 || inc->new_flags > OSDMAP_F_ALL))
		rc = -EBADMSG;
	if (rc == 0)
		rc = inc_crush_decode(b, inc);
	if (rc == 0)
		rc = inc_pools_decode(b, inc);
	if (rc == 0)
		rc = inc_osds_decode(b, inc);
	if (rc == 0)
		rc = osdmap_blocked_list_decode(b, &inc->block, &inc->nblock);
	if (rc == 0)
		rc = osdmap_blocked_list_decode(b, &inc->unblock, &inc->nunblock);
	for (size_t i = 0; rc == 0 && v >= 2 && i < inc->nosds; i++)
		rc = msg_addr_decode(b, &inc->osds[i].hb_addr);
	for (size_t i = 0; rc == 0 && v >= 3 && i < inc->nosds; i++)
		rc = dec_u32(b, &inc->osds[i].up_thru);
	if (rc == 0 && v >= 3)
		rc = osdmap_pg_temp_list_decode(b, true, &inc->pg_temp, &inc->npg_temp);
	return rc;
}

int osdmap_inc_decode(struct dec *d, struct osdmap_inc *inc)
{
	struct dec b, save = *d;
	uint8_t v;
	int rc = dec_begin(d, INC_V, &v, &b);

	if (rc == 0)
		rc = inc_body_decode(&b, inc, v);
	if (rc < 0) {
		osdmap_inc_fini(inc);
		osdmap_inc_init(inc, NULL);
		*d = save;
		return rc;
	}
	dec_end(d, &b);
	return 0;
}

/* --- applying ------------------------------------------------------------- */

static int apply_pool(struct osdmap *m, const struct osdmap_inc_pool *c)
{
	size_t i = 0, cap = m->npools;

	while (i < m->npools && m->pools[i].place.id < c->pool.place.id)
		i++;
	bool found = i < m->npools && m->pools[i].place.id == c->pool.place.id;
	if (c->removed) {
		if (!found)
			return -EINVAL;
		memmove(&m->pools[i], &m->pools[i + 1], (m->npools - i - 1) * sizeof(m->pools[0]));
		m->npools--;
		return 0;
	}
	if (c->pool.place.id > m->pool_max || (!found && osdmap_pool_by_name(m, c->pool.name)))
		return -EINVAL;
	if (!found) {
		if (mem_grow(&m->pools, sizeof(*m->pools), &cap, m->npools + 1) < 0)
			return -ENOMEM;
		memmove(&m->pools[i + 1], &m->pools[i], (m->npools - i) * sizeof(m->pools[0]));
		m->npools++;
	}
	m->pools[i] = c->pool;
	return 0;
}

static int apply_osd(struct osdmap *m, const struct osdmap_inc_osd *c, uint32_t epoch)
{
	struct osdmap_osd *o;

	if (c->osd >= m->max_osd)
		return -EINVAL;
	o = &m->osds[c->osd];
	if (c->set & OSDMAP_INC_EXISTS) {
		if (!c->exists)
			memset(o, 0, sizeof(*o));
		else if (!o->exists)
			o->primary_affinity = OSDMAP_WEIGHT_IN;
		o->exists = c->exists;
	}
	if ((c->set & ~OSDMAP_INC_EXISTS) && !o->exists)
		return -EINVAL;
	if ((c->set & OSDMAP_INC_UP) && c->up) {
		o->up = true;
		o->addr = c->addr;
		o->nonce = c->nonce;
		o->hb_addr = c->hb_addr;
		o->up_from = epoch;
	} else if ((c->set & OSDMAP_INC_UP) && o->up) {
		o->up = false;
		o->down_at = epoch;
	}
	if (c->set & OSDMAP_INC_WEIGHT)
		o->weight = c->weight;
	if (c->set & OSDMAP_INC_AFFINITY)
		o->primary_affinity = c->primary_affinity;
	if ((c->set & OSDMAP_INC_UP_THRU) && c->up_thru > o->up_thru)
		o->up_thru = c->up_thru; /* never goes back */
	osdmap_sync_view(m, c->osd);
	return 0;
}

static int apply_blocklist(struct osdmap *m, const struct osdmap_inc *inc)
{
	for (size_t i = 0; i < inc->nunblock; i++)
		for (size_t j = 0; j < m->nblocked; j++)
			if (m->blocked[j].nonce == inc->unblock[i].nonce &&
			    memcmp(&m->blocked[j].addr, &inc->unblock[i].addr,
			           sizeof(struct msg_addr)) == 0) {
				m->blocked[j] = m->blocked[--m->nblocked];
				break;
			}
	for (size_t i = 0; i < inc->nblock; i++)
		if (push_blocked(&m->blocked, &m->nblocked, &inc->block[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* Sets or removes one pg_temp entry (m->pg_temp stays sorted). */
static int apply_pg_temp(struct osdmap *m, const struct osdmap_pg_temp *t)
{
	size_t i = 0, cap = m->npg_temp;
	bool found;

	while (i < m->npg_temp && osdmap_pg_temp_cmp(&m->pg_temp[i], t->pool, t->ps) < 0)
		i++;
	found = i < m->npg_temp && osdmap_pg_temp_cmp(&m->pg_temp[i], t->pool, t->ps) == 0;
	if (t->n == 0) {
		if (found) {
			memmove(&m->pg_temp[i], &m->pg_temp[i + 1],
			        (m->npg_temp - i - 1) * sizeof(*t));
			m->npg_temp--;
		}
		return 0;
	}
	if (!osdmap_pool(m, t->pool))
		return -EINVAL;
	if (!found) {
		if (mem_grow(&m->pg_temp, sizeof(*m->pg_temp), &cap, m->npg_temp + 1) < 0)
			return -ENOMEM;
		memmove(&m->pg_temp[i + 1], &m->pg_temp[i], (m->npg_temp - i) * sizeof(*t));
		m->npg_temp++;
	}
	m->pg_temp[i] = *t;
	return 0;
}

/* Entries of pools that no longer exist (or PGs past pg_num) go. */
static void prune_pg_temp(struct osdmap *m)
{
	size_t k = 0;

	for (size_t i = 0; i < m->npg_temp; i++) {
		const struct osdmap_pool *p = osdmap_pool(m, m->pg_temp[i].pool);

		if (p && m->pg_temp[i].ps < p->place.pg_num)
			m->pg_temp[k++] = m->pg_temp[i];
	}
	m->npg_temp = k;
}

static int apply_body(struct osdmap *m, const struct osdmap_inc *inc)
{
	struct crush_map *crush;
	int rc = 0;

	if (inc->new_max_osd >= 0)
		rc = osdmap_resize(m, inc->new_max_osd);
	if (rc == 0 && inc->new_pool_max >= 0)
		m->pool_max = inc->new_pool_max > m->pool_max ? inc->new_pool_max : m->pool_max;
	if (rc == 0 && inc->crush) {
		rc = crush_decode(inc->crush, inc->crush_len, &crush);
		if (rc == 0) {
			crush_map_destroy(m->crush);
			m->crush = crush;
		}
		rc = rc == -ENOMEM ? rc : rc < 0 ? -EINVAL : 0;
	}
	for (size_t i = 0; rc == 0 && i < inc->npools; i++)
		rc = apply_pool(m, &inc->pools[i]);
	for (size_t i = 0; rc == 0 && i < inc->nosds; i++)
		rc = apply_osd(m, &inc->osds[i], inc->epoch);
	if (rc == 0)
		rc = apply_blocklist(m, inc);
	for (size_t i = 0; rc == 0 && i < inc->npg_temp; i++)
		rc = apply_pg_temp(m, &inc->pg_temp[i]);
	if (rc == 0)
		prune_pg_temp(m);
	if (rc == 0 && inc->new_flags >= 0)
		m->flags = (uint32_t)inc->new_flags;
	return rc;
}

int osdmap_apply(const struct osdmap *base, const struct osdmap_inc *inc, struct osdmap **out)
{
	struct osdmap *m;
	int rc;

	if (inc->epoch != base->epoch + 1)
		return -ESTALE;
	if (memcmp(inc->fsid, base->fsid, 16) != 0)
		return -EINVAL;
	rc = osdmap_clone(base, &m);
	if (rc < 0)
		return rc;
	rc = apply_body(m, inc);
	if (rc < 0) {
		osdmap_destroy(m);
		return rc;
	}
	m->epoch = inc->epoch;
	m->modified_ns = inc->modified_ns;
	if (m->epoch == 1)
		m->created_ns = inc->modified_ns;
	*out = m;
	return 0;
}
