/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_target.c - the objecter's pure decisions: object -> PG ->
 * primary for a map, when an op must be (re)sent, what an OSD reply means,
 * how a map message advances our map, and throttle accounting. No locks,
 * no I/O: the unit tests drive these with handmade maps and replies. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/log.h"
#include "monc/mon_proto.h"
#include "rados/client_int.h"

int radosc_target_calc(const struct osdmap *m, const char *nspace, const char *oid,
                       struct radosc_target *t)
{
	const struct osdmap_pool *p = osdmap_pool(m, t->pool);
	int up[MON_PG_SIZE_MAX], primary = -1, n;

	if (!p)
		return -ENOENT;
	if (!t->pgop) {
		t->hash = crush_object_hash(&p->place, nspace, oid, strlen(oid));
		t->ps = crush_pool_pg(&p->place, t->hash);
	} else {
		t->hash = t->ps;
	}
	if (p->place.size > MON_PG_SIZE_MAX)
		return -EINVAL;
	n = osdmap_pg_up(m, (struct osdmap_pg){ .pool = t->pool, .ps = t->ps }, up, MON_PG_SIZE_MAX,
	                 &primary);
	if (n < 0)
		return n;
	t->primary = n > 0 ? primary : -1;
	return 0;
}

bool radosc_need_send(int old_osd, bool conn_dropped, bool sent, const struct radosc_target *t,
                      uint32_t retry_epoch, uint32_t epoch)
{
	if (t->primary < 0)
		return false; /* wait for a map that gives the PG an OSD */
	if (!sent || old_osd != t->primary || conn_dropped)
		return true;
	return retry_epoch && epoch >= retry_epoch;
}

bool radosc_session_is_stale(const struct osdmap *m, int osd, const struct msg_addr *addr,
                             uint64_t nonce)
{
	const struct osdmap_osd *o;

	if (!osdmap_osd_is_up(m, osd))
		return true;
	o = &m->osds[osd];
	return o->nonce != nonce || memcmp(&o->addr, addr, sizeof(*addr)) != 0;
}

enum radosc_reply_action radosc_reply_action(uint32_t req_flags, bool acked, uint32_t reply_flags,
                                             int result, uint32_t reply_epoch, uint32_t epoch)
{
	if (reply_flags & OSD_F_RETRY) {
		if (reply_epoch > epoch)
			return RADOSC_REPLY_RETRY_WAIT;
		return reply_epoch < epoch ? RADOSC_REPLY_RETRY_NOW : RADOSC_REPLY_RETRY_LATER;
	}
	if ((req_flags & OSD_F_WRITE) && result >= 0 && (reply_flags & OSD_F_ACK) &&
	    !(reply_flags & OSD_F_ONDISK))
		return acked ? RADOSC_REPLY_IGNORE : RADOSC_REPLY_ACK;
	return RADOSC_REPLY_FINAL;
}

/* ---- map tracking ---------------------------------------------------------- */

static int decode_full(const struct mon_msg_map *mm, struct osdmap **out)
{
	struct dec d;

	dec_init(&d, mm->full, mm->full_len);
	return osdmap_decode(&d, out);
}

/* Applies incremental i of mm to *base (replacing it). 0, or <0: stop. */
static int apply_inc(const struct mon_msg_map *mm, uint32_t i, struct osdmap **base, bool own)
{
	struct osdmap_inc inc;
	struct osdmap *next = NULL, *empty = NULL;
	struct dec d;
	int rc;

	osdmap_inc_init(&inc, NULL);
	dec_init(&d, mm->incs[i], mm->inc_lens[i]);
	rc = osdmap_inc_decode(&d, &inc);
	if (rc == 0 && !*base) /* epoch 1 on top of nothing */
		rc = osdmap_create(inc.fsid, &empty);
	if (rc == 0)
		rc = osdmap_apply(*base ? *base : empty, &inc, &next);
	osdmap_inc_fini(&inc);
	osdmap_destroy(empty);
	if (rc < 0)
		return rc;
	if (own)
		osdmap_destroy(*base);
	*base = next;
	return 0;
}

int radosc_map_advance(const struct osdmap *cur, const struct mon_msg_map *mm, struct osdmap **out,
                       uint32_t *resub)
{
	struct osdmap *built = NULL, *base = (struct osdmap *)cur;
	int rc = 0;

	*out = NULL;
	*resub = 0;
	if (mm->kind != MON_MAP_OSDMAP)
		return 0;
	if (mm->full && mm->full_epoch > (cur ? cur->epoch : 0)) {
		rc = decode_full(mm, &built);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			log_warn(rados, "undecodable OSD map e%u: %s", mm->full_epoch,
			         strerror(-rc));
		else
			base = built;
	}
	for (uint32_t i = 0; i < mm->ninc; i++) {
		uint32_t e = mm->first_inc + i, have = base ? base->epoch : 0;

		if (e <= have)
			continue; /* stale */
		if (e != have + 1 || (!base && e != 1)) {
			*resub = have + 1; /* a gap */
			break;
		}
		rc = apply_inc(mm, i, &base, base == built);
		if (rc == -ENOMEM && !built)
			return rc;
		if (rc < 0) {
			log_warn(rados, "cannot apply OSD map incremental e%u: %s", e,
			         strerror(-rc));
			*resub = have + 1;
			break;
		}
		built = base;
	}
	if (!built && !cur && !*resub)
		*resub = 1; /* still nothing: ask for everything */
	*out = built;
	return 0;
}

/* ---- throttle -------------------------------------------------------------- */

bool radosc_throttle_has_room(const struct radosc_throttle *t, uint64_t bytes, bool exempt)
{
	if (exempt || t->ops == 0)
		return true;
	return t->ops + 1 <= t->max_ops && t->bytes + bytes <= t->max_bytes;
}

void radosc_throttle_take(struct radosc_throttle *t, uint64_t bytes)
{
	t->ops++;
	t->bytes += bytes;
}

void radosc_throttle_put(struct radosc_throttle *t, uint64_t bytes)
{
	t->ops = t->ops ? t->ops - 1 : 0;
	t->bytes = t->bytes >= bytes ? t->bytes - bytes : 0;
}
