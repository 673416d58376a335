/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/osdmap_codec.c - OSD map and incremental encodings; applying an
 * incremental. Every decoder validates what it reads (-EBADMSG) so a map
 * from the network or disk is either whole and sane or refused. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "maps/maps_int.h"
#include "maps/osdmap.h"

/* v2 appends the pg_temp list after the blocklist. */
#define OSDMAP_V      2
#define POOL_PG_MAX   (1u << 20)
#define POOL_SIZE_MAX 16

/* --- pools, osds, blocklist entries -------------------------------------- */

/* Pool v2 appends the creation epoch (v1 decodes with 0: unknown). */
void osdmap_pool_encode(struct enc *e, const struct osdmap_pool *p)
{
	size_t at = enc_begin(e, 2, 1);

	enc_s64(e, p->place.id);
	enc_str(e, p->name);
	enc_u32(e, p->place.pg_num);
	enc_u32(e, p->place.pgp_num);
	enc_u32(e, p->place.size);
	enc_u32(e, p->min_size);
	enc_s32(e, p->place.rule);
	enc_u8(e, (uint8_t)p->place.object_hash);
	enc_bool(e, p->place.hashpspool);
	enc_bool(e, p->place.erasure);
	enc_u32(e, p->last_change);
	enc_u32(e, p->created);
	enc_end(e, at);
}

bool osdmap_pool_is_valid(const struct osdmap_pool *p)
{
	const struct crush_pool *c = &p->place;

	return c->id >= 0 && p->name[0] && c->pg_num >= 1 && c->pg_num <= POOL_PG_MAX &&
	       c->pgp_num >= 1 && c->pgp_num <= c->pg_num && c->size >= 1 &&
	       c->size <= POOL_SIZE_MAX && p->min_size >= 1 && p->min_size <= c->size &&
	       c->rule >= 0 && (c->object_hash == 1 || c->object_hash == 2);
}

int osdmap_pool_decode(struct dec *d, struct osdmap_pool *p)
{
	struct dec b;
	uint8_t v, hash;
	int32_t rule;
	int rc = dec_begin(d, 1, &v, &b);

	memset(p, 0, sizeof(*p));
	if (rc == 0)
		rc = dec_s64(&b, &p->place.id);
	if (rc == 0)
		rc = dec_str_buf(&b, p->name, sizeof(p->name));
	if (rc == 0)
		rc = dec_u32(&b, &p->place.pg_num);
	if (rc == 0)
		rc = dec_u32(&b, &p->place.pgp_num);
	if (rc == 0)
		rc = dec_u32(&b, &p->place.size);
	if (rc == 0)
		rc = dec_u32(&b, &p->min_size);
	if (rc == 0)
		rc = dec_s32(&b, &rule);
	if (rc == 0)
		rc = dec_u8(&b, &hash);
	if (rc == 0)
		rc = dec_bool(&b, &p->place.hashpspool);
	if (rc == 0)
		rc = dec_bool(&b, &p->place.erasure);
	if (rc == 0)
		rc = dec_u32(&b, &p->last_change);
	if (rc == 0 && v >= 2)
		rc = dec_u32(&b, &p->created);
	if (rc < 0)
		return rc;
	p->place.rule = rule;
	p->place.object_hash = hash;
	dec_end(d, &b);
	return osdmap_pool_is_valid(p) ? 0 : -EBADMSG;
}

/* One OSD entry. v2 appends hb_addr (the heartbeat messenger), v3 up_thru;
 * older entries decode with none (0). */
#define OSD_ENTRY_V 3

static void osd_encode(struct enc *e, const struct osdmap_osd *o)
{
	size_t at = enc_begin(e, OSD_ENTRY_V, 1);

	enc_bool(e, o->exists);
	enc_bool(e, o->up);
	enc_u32(e, o->weight);
	enc_u32(e, o->primary_affinity);
	msg_addr_encode(&o->addr, e);
	enc_u64(e, o->nonce);
	enc_u32(e, o->up_from);
	enc_u32(e, o->down_at);
	msg_addr_encode(&o->hb_addr, e);
	enc_u32(e, o->up_thru);
	enc_end(e, at);
}

static int osd_decode(struct dec *d, struct osdmap_osd *o)
{
	struct dec b;
	uint8_t v;
	int rc = dec_begin(d, OSD_ENTRY_V, &v, &b);

	if (rc == 0)
		rc = dec_bool(&b, &o->exists);
	if (rc == 0)
		rc = dec_bool(&b, &o->up);
	if (rc == 0)
		rc = dec_u32(&b, &o->weight);
	if (rc == 0)
		rc = dec_u32(&b, &o->primary_affinity);
	if (rc == 0)
		rc = msg_addr_decode(&b, &o->addr);
	if (rc == 0)
		rc = dec_u64(&b, &o->nonce);
	if (rc == 0)
		rc = dec_u32(&b, &o->up_from);
	if (rc == 0)
		rc = dec_u32(&b, &o->down_at);
	memset(&o->hb_addr, 0, sizeof(o->hb_addr));
	if (rc == 0 && v >= 2)
		rc = msg_addr_decode(&b, &o->hb_addr);
	o->up_thru = 0;
	if (rc == 0 && v >= 3)
		rc = dec_u32(&b, &o->up_thru);
	if (rc < 0)
		return rc;
	dec_end(d, &b);
	if (o->weight > OSDMAP_WEIGHT_IN || o->primary_affinity > OSDMAP_WEIGHT_IN)
		return -EBADMSG;
	return 0;
}

static void blocked_encode(struct enc *e, const struct osdmap_blocked *b)
{
	msg_addr_encode(&b->addr, e);
	enc_u64(e, b->nonce);
	enc_u64(e, b->until_ns);
}

static int blocked_decode(struct dec *d, struct osdmap_blocked *b)
{
	int rc = msg_addr_decode(d, &b->addr);

	if (rc == 0)
		rc = dec_u64(d, &b->nonce);
	if (rc == 0)
		rc = dec_u64(d, &b->until_ns);
	return rc;
}

/* count + items into a new array (caller owns). */
int osdmap_blocked_list_decode(struct dec *d, struct osdmap_blocked **out, size_t *n)
{
	uint32_t count;
	int rc = dec_array(d, 12, sizeof(**out), (void **)out, &count);

	*n = 0;
	for (uint32_t i = 0; rc == 0 && i < count; i++)
		rc = blocked_decode(d, &(*out)[i]);
	*n = rc == 0 ? count : 0;
	return rc;
}

void osdmap_blocked_list_encode(struct enc *e, const struct osdmap_blocked *b, size_t n)
{
	enc_u32(e, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		blocked_encode(e, &b[i]);
}

static void pg_temp_encode(struct enc *e, const struct osdmap_pg_temp *t)
{
	enc_s64(e, t->pool);
	enc_u32(e, t->ps);
	enc_u8(e, t->n);
	for (uint8_t i = 0; i < t->n; i++)
		enc_s32(e, t->osds[i]);
}

static int pg_temp_decode(struct dec *d, bool allow_remove, struct osdmap_pg_temp *t)
{
	int rc = dec_s64(d, &t->pool);

	if (rc == 0)
		rc = dec_u32(d, &t->ps);
	if (rc == 0)
		rc = dec_u8(d, &t->n);
	if (rc == 0 && (t->pool < 0 || t->n > OSDMAP_PG_TEMP_MAX || (t->n == 0 && !allow_remove)))
		rc = -EBADMSG;
	for (uint8_t i = 0; rc == 0 && i < t->n; i++) {
		rc = dec_s32(d, &t->osds[i]);
		if (rc == 0 && (t->osds[i] < 0 || t->osds[i] >= OSDMAP_MAX_OSD))
			rc = -EBADMSG;
	}
	return rc;
}

void osdmap_pg_temp_list_encode(struct enc *e, const struct osdmap_pg_temp *t, size_t n)
{
	enc_u32(e, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		pg_temp_encode(e, &t[i]);
}

int osdmap_pg_temp_list_decode(struct dec *d, bool allow_remove, struct osdmap_pg_temp **out,
                               size_t *n)
{
	uint32_t count;
	int rc = dec_array(d, 13, sizeof(**out), (void **)out, &count);

	*n = 0;
	for (uint32_t i = 0; rc == 0 && i < count; i++) {
		rc = pg_temp_decode(d, allow_remove, &(*out)[i]);
		if (rc == 0 && i > 0 &&
		    osdmap_pg_temp_cmp(&(*out)[i - 1], (*out)[i].pool, (*out)[i].ps) >= 0)
			rc = -EBADMSG;
	}
	*n = rc == 0 ? count : 0;
	return rc;
}

static void crush_blob_encode(struct enc *e, const struct crush_map *c)
{
	uint8_t *p = NULL;
	size_t n = 0;

	if (crush_encode(c, &p, &n) < 0 && !e->err)
		e->err = -ENOMEM;
	enc_blob(e, p, n);
	mem_free(p);
}

/* --- the full map --------------------------------------------------------- */

void osdmap_encode(const struct osdmap *m, struct enc *e)
{
	size_t at = enc_begin(e, OSDMAP_V, 1);

	enc_u32(e, m->epoch);
	enc_raw(e, m->fsid, 16);
	enc_u64(e, m->created_ns);
	enc_u64(e, m->modified_ns);
	enc_u32(e, m->flags);
	enc_s64(e, m->pool_max);
	enc_u32(e, (uint32_t)m->npools);
	for (size_t i = 0; i < m->npools; i++)
		osdmap_pool_encode(e, &m->pools[i]);
	enc_s32(e, m->max_osd);
	for (int i = 0; i < m->max_osd; i++)
		osd_encode(e, &m->osds[i]);
	crush_blob_encode(e, m->crush);
	osdmap_blocked_list_encode(e, m->blocked, m->nblocked);
	osdmap_pg_temp_list_encode(e, m->pg_temp, m->npg_temp); /* v2 */
	enc_end(e, at);
}

static int pools_decode(struct dec *d, struct osdmap *m)
{
	uint32_t n;
	int rc = dec_array(d, 8, sizeof(*m->pools), (void **)&m->pools, &n);

	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		rc = osdmap_pool_decode(d, &m->pools[i]);
		if (rc == 0 && (m->pools[i].place.id > m->pool_max ||
		                (i > 0 && m->pools[i].place.id <= m->pools[i - 1].place.id)))
			rc = -EBADMSG;
		m->npools += rc == 0;
	}
	return rc;
}

static int osds_decode(struct dec *d, struct osdmap *m)
{
	int32_t max;
	int rc = dec_s32(d, &max);

	if (rc == 0 && (max < 0 || max > OSDMAP_MAX_OSD || (size_t)max > dec_left(d) / 8))
		rc = -EBADMSG;
	if (rc == 0)
		rc = osdmap_resize(m, max);
	for (int i = 0; rc == 0 && i < max; i++) {
		rc = osd_decode(d, &m->osds[i]);
		if (rc == 0)
			osdmap_sync_view(m, i);
	}
	return rc;
}

static int crush_blob_decode(struct dec *d, struct crush_map **out)
{
	const void *p;
	uint32_t n;
	int rc = dec_blob_ref(d, &p, &n);

	if (rc == 0)
		rc = crush_decode(p, n, out);
	return rc == -ENOMEM ? rc : rc < 0 ? -EBADMSG : 0;
}

static int map_body_decode(struct dec *b, struct osdmap *m, uint8_t v)
{
	struct crush_map *crush = NULL;
	int rc = dec_u32(b, &m->epoch);

	if (rc == 0)
		rc = dec_raw(b, m->fsid, 16);
	if (rc == 0)
		rc = dec_u64(b, &m->created_ns);
	if (rc == 0)
		rc = dec_u64(b, &m->modified_ns);
	if (rc == 0)
		rc = dec_u32(b, &m->flags);
	if (rc == 0 && (m->flags & ~(uint32_t)OSDMAP_F_ALL))
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_s64(b, &m->pool_max);
	if (rc == 0)
		rc = pools_decode(b, m);
	if (rc == 0)
		rc = osds_decode(b, m);
	if (rc == 0)
		rc = crush_blob_decode(b, &crush);
	if (rc == 0) {
		crush_map_destroy(m->crush);
		m->crush = crush;
		rc = osdmap_blocked_list_decode(b, &m->blocked, &m->nblocked);
	}
	if (rc == 0 && v >= 2)
		rc = osdmap_pg_temp_list_decode(b, false, &m->pg_temp, &m->npg_temp);
	return rc;
}

int osdmap_decode(struct dec *d, struct osdmap **out)
{
	static const uint8_t zero[16];
	struct osdmap *m;
	struct dec b, save = *d;
	uint8_t v;
	int rc = dec_begin(d, OSDMAP_V, &v, &b);

	if (rc < 0)
		return rc;
	rc = osdmap_create(zero, &m);
	if (rc == 0)
		rc = map_body_decode(&b, m, v);
	if (rc < 0) {
		osdmap_destroy(m);
		*d = save;
		return rc;
	}
	dec_end(d, &b);
	*out = m;
	return 0;
}

int osdmap_clone(const struct osdmap *m, struct osdmap **out)
{
	struct enc e;
	struct dec d;
	int rc;

	enc_init(&e);
	osdmap_encode(m, &e);
	rc = enc_error(&e);
	if (rc == 0) {
		dec_init(&d, e.data, e.len);
		rc = osdmap_decode(&d, out);
	}
	enc_fini(&e);
	return rc;
}
