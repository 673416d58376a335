/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/osdmap.c - OSD map lifecycle, lookups, placement and JSON.
 * Encoding, incrementals and apply are in osdmap_codec.c.
 *
 * Invariant (osdmap_check_views): v_weight[i], v_exists[i], v_up[i] equal
 * osds[i].weight (0 unless the OSD exists), exists and up, for every i. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "crush/crush.h"
#include "crush/mapper.h"
#include "maps/maps_int.h"
#include "maps/osdmap.h"
#include "maps/uuid.h"

int osdmap_create(const uint8_t fsid[16], struct osdmap **out)
{
	struct osdmap *m = mem_calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	memcpy(m->fsid, fsid, 16);
	rc = crush_map_create(&m->crush);
	if (rc < 0) {
		mem_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void osdmap_destroy(struct osdmap *m)
{
	if (!m)
		return;
	crush_map_destroy(m->crush);
	mem_free(m->pools);
	mem_free(m->osds);
	mem_free(m->blocked);
	mem_free(m->pg_temp);
	mem_free(m->v_weight);
	mem_free(m->v_exists);
	mem_free(m->v_up);
	mem_free(m);
}

void osdmap_sync_view(struct osdmap *m, int i)
{
	const struct osdmap_osd *o = &m->osds[i];

	m->v_exists[i] = o->exists;
	m->v_up[i] = o->exists && o->up;
	m->v_weight[i] = o->exists ? o->weight : 0;
}

int osdmap_resize(struct osdmap *m, int max_osd)
{
	struct osdmap_osd *osds;
	uint32_t *w;
	bool *ex, *up;

	if (max_osd < 0 || max_osd > OSDMAP_MAX_OSD)
		return -EINVAL;
	osds = mem_calloc((size_t)max_osd + 1, sizeof(*osds));
	w = mem_calloc((size_t)max_osd + 1, sizeof(*w));
	ex = mem_calloc((size_t)max_osd + 1, sizeof(*ex));
	up = mem_calloc((size_t)max_osd + 1, sizeof(*up));
	if (!osds || !w || !ex || !up) {
		mem_free(osds), mem_free(w), mem_free(ex), mem_free(up);
		return -ENOMEM;
	}
	if (m->osds)
		memcpy(osds, m->osds,
		       sizeof(*osds) * (size_t)(max_osd < m->max_osd ? max_osd : m->max_osd));
	mem_free(m->osds), mem_free(m->v_weight), mem_free(m->v_exists), mem_free(m->v_up);
	m->osds = osds;
	m->v_weight = w;
	m->v_exists = ex;
	m->v_up = up;
	m->max_osd = max_osd;
	for (int i = 0; i < max_osd; i++)
		osdmap_sync_view(m, i);
	return 0;
}

const struct osdmap_pool *osdmap_pool(const struct osdmap *m, int64_t id)
{
	size_t lo = 0, hi = m->npools;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->pools[mid].place.id == id)
			return &m->pools[mid];
		if (m->pools[mid].place.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct osdmap_pool *osdmap_pool_by_name(const struct osdmap *m, const char *name)
{
	for (size_t i = 0; i < m->npools; i++)
		if (strcmp(m->pools[i].name, name) == 0)
			return &m->pools[i];
	return NULL;
}

bool osdmap_osd_exists(const struct osdmap *m, int osd)
{
	return osd >= 0 && osd < m->max_osd && m->osds[osd].exists;
}

bool osdmap_osd_is_up(const struct osdmap *m, int osd)
{
	return osdmap_osd_exists(m, osd) && m->osds[osd].up;
}

bool osdmap_osd_is_in(const struct osdmap *m, int osd)
{
	return osdmap_osd_exists(m, osd) && m->osds[osd].weight > 0;
}

void osdmap_counts(const struct osdmap *m, int *exist, int *up, int *in)
{
	*exist = *up = *in = 0;
	for (int i = 0; i < m->max_osd; i++) {
		*exist += osdmap_osd_exists(m, i);
		*up += osdmap_osd_is_up(m, i);
		*in += osdmap_osd_is_in(m, i);
	}
}

int osdmap_object_pg(const struct osdmap *m, int64_t pool, const char *nspace, const char *name,
                     struct osdmap_pg *out)
{
	const struct osdmap_pool *p = osdmap_pool(m, pool);
	uint32_t raw;

	if (!p)
		return -ENOENT;
	raw = crush_object_hash(&p->place, nspace, name, strlen(name));
	out->pool = pool;
	out->ps = crush_pool_pg(&p->place, raw);
	return 0;
}

int osdmap_pg_up(const struct osdmap *m, struct osdmap_pg pg, int *up, int max, int *primary)
{
	const struct osdmap_pool *p = osdmap_pool(m, pg.pool);
	struct crush_osd_state st = {
		.weight = m->v_weight, .exists = m->v_exists, .up = m->v_up, .max_osd = m->max_osd
	};
	void *work;
	int n;

	if (!p)
		return -ENOENT;
	if (max < (int)p->place.size)
		return -EINVAL;
	work = mem_malloc(crush_work_size(m->crush, (int)p->place.size));
	if (!work)
		return -ENOMEM;
	crush_work_init(m->crush, work, (int)p->place.size);
	n = crush_pg_to_up(m->crush, &p->place, &st, pg.ps, up, primary, work);
	mem_free(work);
	return n;
}

int osdmap_pg_temp_cmp(const struct osdmap_pg_temp *a, int64_t pool, uint32_t ps)
{
	if (a->pool != pool)
		return a->pool < pool ? -1 : 1;
	return a->ps < ps ? -1 : a->ps > ps;
}

const struct osdmap_pg_temp *osdmap_pg_temp_get(const struct osdmap *m, struct osdmap_pg pg)
{
	size_t lo = 0, hi = m->npg_temp;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = osdmap_pg_temp_cmp(&m->pg_temp[mid], pg.pool, pg.ps);

		if (c == 0)
			return &m->pg_temp[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int osdmap_pg_acting(const struct osdmap *m, struct osdmap_pg pg, int *acting, int max,
                     int *primary)
{
	const struct osdmap_pg_temp *t = osdmap_pg_temp_get(m, pg);
	int n, k = 0;

	if (!t) {
		n = osdmap_pg_up(m, pg, acting, max, primary);
		if (n < 0)
			return n;
	} else {
		if (!osdmap_pool(m, pg.pool))
			return -ENOENT;
		if (max < t->n)
			return -EINVAL;
		n = t->n;
		for (int i = 0; i < n; i++)
			acting[i] = t->osds[i];
	}
	for (int i = 0; i < n; i++)
		if (acting[i] >= 0 && osdmap_osd_is_up(m, acting[i]))
			acting[k++] = acting[i];
	*primary = k ? acting[0] : -1;
	return k;
}

const char *osdmap_pg_str(struct osdmap_pg pg, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRId64 ".%" PRIx32, pg.pool, pg.ps);
	return buf;
}

int osdmap_pg_parse(const char *s, struct osdmap_pg *out)
{
	char *dot, *end;
	long long pool;
	unsigned long ps;

	pool = strtoll(s, &dot, 10);
	if (dot == s || *dot != '.' || pool < 0)
		return -EINVAL;
	ps = strtoul(dot + 1, &end, 16);
	if (end == dot + 1 || *end || ps > UINT32_MAX)
		return -EINVAL;
	out->pool = pool;
	out->ps = (uint32_t)ps;
	return 0;
}

static const char *const flag_names[] = { "noup",    "nodown",     "noout",     "noin",   "pauserd",
	                                  "pausewr", "nobackfill", "norecover", "noscrub" };

const char *osdmap_flag_name(unsigned bit)
{
	return bit < sizeof(flag_names) / sizeof(flag_names[0]) ? flag_names[bit] : NULL;
}

int osdmap_flag_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (strcmp(name, flag_names[i]) == 0)
			return 1 << i;
	return -EINVAL;
}

static json_t *flags_json(uint32_t flags)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && osdmap_flag_name(i); i++)
		if (flags & (1u << i))
			json_array_append_new(a, json_string(osdmap_flag_name(i)));
	return a;
}

static json_t *pool_json(const struct osdmap_pool *p)
{
	return json_pack("{s:I, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:b, s:i}", "pool",
	                 (json_int_t)p->place.id, "pool_name", p->name, "type",
	                 p->place.erasure ? "erasure" : "replicated", "size", (int)p->place.size,
	                 "min_size", (int)p->min_size, "pg_num", (int)p->place.pg_num, "pgp_num",
	                 (int)p->place.pgp_num, "crush_rule", p->place.rule, "object_hash",
	                 p->place.object_hash == 1 ? "linux" : "rjenkins", "hashpspool",
	                 p->place.hashpspool, "last_change", (int)p->last_change);
}

static json_t *osd_json(const struct osdmap *m, int i)
{
	const struct osdmap_osd *o = &m->osds[i];
	char addr[MSG_ADDR_STR_MAX], hb[MSG_ADDR_STR_MAX];

	return json_pack("{s:i, s:i, s:i, s:f, s:f, s:s, s:s, s:I, s:i, s:i, s:i}", "osd", i, "up",
	                 o->up ? 1 : 0, "in", o->weight ? 1 : 0, "weight",
	                 o->weight / (double)OSDMAP_WEIGHT_IN, "primary_affinity",
	                 o->primary_affinity / (double)OSDMAP_WEIGHT_IN, "addr",
	                 msg_addr_is_set(&o->addr) ? msg_addr_str(&o->addr, addr) : "-", "hb_addr",
	                 msg_addr_is_set(&o->hb_addr) ? msg_addr_str(&o->hb_addr, hb) : "-",
	                 "nonce", (json_int_t)o->nonce, "up_from", (int)o->up_from, "down_at",
	                 (int)o->down_at, "up_thru", (int)o->up_thru);
}

static json_t *pg_temp_json(const struct osdmap *m)
{
	json_t *a = json_array();
	char id[40];

	for (size_t i = 0; a && i < m->npg_temp; i++) {
		const struct osdmap_pg_temp *t = &m->pg_temp[i];
		json_t *osds = json_array();

		for (uint8_t k = 0; osds && k < t->n; k++)
			json_array_append_new(osds, json_integer(t->osds[k]));
		osdmap_pg_str((struct osdmap_pg){ t->pool, t->ps }, id, sizeof(id));
		json_array_append_new(a, json_pack("{s:s, s:o*}", "pgid", id, "osds", osds));
	}
	return a;
}

json_t *osdmap_dump_json(const struct osdmap *m)
{
	char fsid[MAPS_UUID_STR_LEN];
	json_t *pools = json_array(), *osds = json_array(), *o;

	for (size_t i = 0; pools && i < m->npools; i++)
		json_array_append_new(pools, pool_json(&m->pools[i]));
	for (int i = 0; osds && i < m->max_osd; i++)
		if (m->osds[i].exists)
			json_array_append_new(osds, osd_json(m, i));
	o = json_pack("{s:i, s:s, s:I, s:I, s:o, s:I, s:i, s:o, s:o, s:i, s:o*}", "epoch",
	              (int)m->epoch, "fsid", maps_uuid_str(m->fsid, fsid), "created_ns",
	              (json_int_t)m->created_ns, "modified_ns", (json_int_t)m->modified_ns, "flags",
	              flags_json(m->flags), "pool_max", (json_int_t)m->pool_max, "max_osd",
	              m->max_osd, "pools", pools, "osds", osds, "blocklist", (int)m->nblocked,
	              "pg_temp", pg_temp_json(m));
	return o;
}
