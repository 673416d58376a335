/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monc/mon_proto.c - codecs of the monitor protocol's messages. Decoders
 * check every length against MON_*_MAX and return -EBADMSG. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "monc/mon_proto.h"

/* --- shared helpers ------------------------------------------------------- */

static uint8_t *dup_bytes(const void *p, uint32_t n)
{
	uint8_t *c;

	if (!p || n == 0)
		return NULL;
	c = mem_malloc(n);
	if (c)
		memcpy(c, p, n);
	return c;
}

/* --- command -------------------------------------------------------------- */

static void command_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_command *c = (const void *)m;

	enc_u64(e, c->tid);
	enc_str(e, c->cmd);
	enc_blob(e, c->in, c->in_len);
}

static int command_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_command *c = (void *)m;
	int rc = dec_u64(d, &c->tid);

	(void)v;
	if (rc == 0)
		rc = dec_str_dup(d, MON_CMD_MAX, &c->cmd);
	if (rc == 0)
		rc = dec_blob_dup(d, MON_DATA_MAX, &c->in, &c->in_len);
	return rc;
}

static void command_fini(struct msg *m)
{
	struct mon_msg_command *c = (void *)m;

	mem_free(c->cmd);
	mem_free(c->in);
}

const struct msg_type_ops mon_command_ops = {
	.type = MON_MSG_COMMAND,
	.name = "mon_command",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_command),
	.encode = command_encode,
	.decode = command_decode,
	.fini = command_fini,
};

int mon_command_create(uint64_t tid, const char *cmd, const void *in, uint32_t in_len,
                       struct mon_msg_command **out)
{
	struct mon_msg_command *c;
	struct msg *m;
	int rc = msg_create_typed(&mon_command_ops, &m);

	if (rc < 0)
		return rc;
	c = (void *)m;
	c->tid = tid;
	c->cmd = mem_strdup(cmd);
	c->in = dup_bytes(in, in_len);
	c->in_len = c->in ? in_len : 0;
	if (!c->cmd || (in_len && in && !c->in)) {
		msg_put(m);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

/* --- command reply -------------------------------------------------------- */

static void reply_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_command_reply *r = (const void *)m;

	enc_u64(e, r->tid);
	enc_s32(e, r->rc);
	enc_str(e, r->status);
	enc_blob(e, r->out, r->out_len);
	enc_u32(e, r->leader);
}

static int reply_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_command_reply *r = (void *)m;
	int rc = dec_u64(d, &r->tid);

	(void)v;
	if (rc == 0)
		rc = dec_s32(d, &r->rc);
	if (rc == 0)
		rc = dec_str_dup(d, MON_CMD_MAX, &r->status);
	if (rc == 0)
		rc = dec_blob_dup(d, MON_DATA_MAX, &r->out, &r->out_len);
	if (rc == 0)
		rc = dec_u32(d, &r->leader);
	if (rc == 0 && r->rc > 0)
		rc = -EBADMSG;
	return rc;
}

static void reply_fini(struct msg *m)
{
	struct mon_msg_command_reply *r = (void *)m;

	mem_free(r->status);
	mem_free(r->out);
}

const struct msg_type_ops mon_command_reply_ops = {
	.type = MON_MSG_COMMAND_REPLY,
	.name = "mon_command_reply",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_command_reply),
	.encode = reply_encode,
	.decode = reply_decode,
	.fini = reply_fini,
};

int mon_command_reply_create(uint64_t tid, int32_t rc, const char *status, const void *out_data,
                             uint32_t out_len, struct mon_msg_command_reply **out)
{
	struct mon_msg_command_reply *r;
	struct msg *m;
	int err = msg_create_typed(&mon_command_reply_ops, &m);

	if (err < 0)
		return err;
	r = (void *)m;
	r->tid = tid;
	r->rc = rc;
	r->leader = UINT32_MAX;
	r->status = mem_strdup(status ? status : "");
	r->out = dup_bytes(out_data, out_len);
	r->out_len = r->out ? out_len : 0;
	if (!r->status || (out_len && out_data && !r->out)) {
		msg_put(m);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

/* --- subscribe ------------------------------------------------------------ */

static void subscribe_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_subscribe *s = (const void *)m;

	enc_u32(e, s->n);
	for (uint32_t i = 0; i < s->n; i++) {
		enc_u8(e, s->subs[i].kind);
		enc_u32(e, s->subs[i].start);
		enc_bool(e, s->subs[i].onetime);
	}
}

static bool kind_is_valid(uint8_t k)
{
	return k >= MON_MAP_MONMAP && k <= MON_MAP_FSMAP;
}

static int subscribe_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_subscribe *s = (void *)m;
	int rc = dec_u32(d, &s->n);

	(void)v;
	if (rc == 0 && s->n > MON_SUB_MAX)
		rc = -EBADMSG;
	for (uint32_t i = 0; rc == 0 && i < s->n; i++) {
		rc = dec_u8(d, &s->subs[i].kind);
		if (rc == 0)
			rc = dec_u32(d, &s->subs[i].start);
		if (rc == 0)
			rc = dec_bool(d, &s->subs[i].onetime);
		if (rc == 0 && !kind_is_valid(s->subs[i].kind))
			rc = -EBADMSG;
	}
	return rc;
}

const struct msg_type_ops mon_subscribe_ops = {
	.type = MON_MSG_SUBSCRIBE,
	.name = "mon_subscribe",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_subscribe),
	.encode = subscribe_encode,
	.decode = subscribe_decode,
};

/* --- maps ----------------------------------------------------------------- */

static void map_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_map *p = (const void *)m;

	enc_u8(e, p->kind);
	enc_u32(e, p->newest);
	enc_u32(e, p->full_epoch);
	enc_blob(e, p->full, p->full_len);
	enc_u32(e, p->first_inc);
	enc_u32(e, p->ninc);
	for (uint32_t i = 0; i < p->ninc; i++)
		enc_blob(e, p->incs[i], p->inc_lens[i]);
}

static int map_alloc_incs(struct mon_msg_map *p, uint32_t n)
{
	p->incs = mem_calloc(n ? n : 1, sizeof(*p->incs));
	p->inc_lens = mem_calloc(n ? n : 1, sizeof(*p->inc_lens));
	return p->incs && p->inc_lens ? 0 : -ENOMEM;
}

static int map_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_map *p = (void *)m;
	uint32_t n;
	int rc = dec_u8(d, &p->kind);

	(void)v;
	if (rc == 0 && !kind_is_valid(p->kind))
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_u32(d, &p->newest);
	if (rc == 0)
		rc = dec_u32(d, &p->full_epoch);
	if (rc == 0)
		rc = dec_blob_dup(d, MON_DATA_MAX, &p->full, &p->full_len);
	if (rc == 0)
		rc = dec_u32(d, &p->first_inc);
	if (rc == 0)
		rc = dec_count(d, 4, &n);
	if (rc == 0 && (n > MON_MAP_INCS_MAX || (n && p->first_inc == 0) ||
	                (uint64_t)p->first_inc + n > UINT32_MAX))
		rc = -EBADMSG;
	if (rc == 0)
		rc = map_alloc_incs(p, n);
	for (p->ninc = 0; rc == 0 && p->ninc < n; p->ninc++)
		rc = dec_blob_dup(d, MON_DATA_MAX, &p->incs[p->ninc], &p->inc_lens[p->ninc]);
	return rc;
}

static void map_fini(struct msg *m)
{
	struct mon_msg_map *p = (void *)m;

	mem_free(p->full);
	for (uint32_t i = 0; p->incs && i < p->ninc; i++)
		mem_free(p->incs[i]);
	mem_free(p->incs);
	mem_free(p->inc_lens);
}

const struct msg_type_ops mon_map_ops = {
	.type = MON_MSG_MAP,
	.name = "mon_map",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_map),
	.encode = map_encode,
	.decode = map_decode,
	.fini = map_fini,
};

int mon_map_create(uint8_t kind, uint32_t newest, struct mon_msg_map **out)
{
	struct msg *m;
	int rc = msg_create_typed(&mon_map_ops, &m);

	if (rc < 0)
		return rc;
	((struct mon_msg_map *)(void *)m)->kind = kind;
	((struct mon_msg_map *)(void *)m)->newest = newest;
	*out = (void *)m;
	return 0;
}

int mon_map_set_full(struct mon_msg_map *m, uint32_t epoch, const void *p, uint32_t len)
{
	uint8_t *c = dup_bytes(p, len);

	if (!c)
		return -ENOMEM;
	mem_free(m->full);
	m->full = c;
	m->full_len = len;
	m->full_epoch = epoch;
	return 0;
}

int mon_map_add_inc(struct mon_msg_map *m, uint32_t epoch, const void *p, uint32_t len)
{
	size_t cap = m->ninc, cap2 = m->ninc;
	uint8_t *c;

	if (m->ninc == MON_MAP_INCS_MAX || (m->ninc && epoch != m->first_inc + m->ninc))
		return -EINVAL;
	c = dup_bytes(p, len);
	if (!c || mem_grow(&m->incs, sizeof(*m->incs), &cap, m->ninc + 1) < 0 ||
	    mem_grow(&m->inc_lens, sizeof(*m->inc_lens), &cap2, m->ninc + 1) < 0) {
		mem_free(c);
		return -ENOMEM;
	}
	if (m->ninc == 0)
		m->first_inc = epoch;
	m->incs[m->ninc] = c;
	m->inc_lens[m->ninc++] = len;
	return 0;
}

/* --- OSD boot, beacon, failure -------------------------------------------- */

static void boot_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_osd_boot *b = (const void *)m;

	enc_s32(e, b->osd);
	enc_raw(e, b->fsid, 16);
	msg_addr_encode(&b->addr, e);
	enc_u64(e, b->nonce);
	enc_u32(e, b->epoch);
	enc_double(e, b->weight);
	enc_str(e, b->host);
	msg_addr_encode(&b->hb_addr, e); /* v2 */
}

static int boot_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_osd_boot *b = (void *)m;
	int rc = dec_s32(d, &b->osd);

	if (rc == 0)
		rc = dec_raw(d, b->fsid, 16);
	if (rc == 0)
		rc = msg_addr_decode(d, &b->addr);
	if (rc == 0)
		rc = dec_u64(d, &b->nonce);
	if (rc == 0)
		rc = dec_u32(d, &b->epoch);
	if (rc == 0)
		rc = dec_double(d, &b->weight);
	if (rc == 0)
		rc = dec_str_buf(d, b->host, sizeof(b->host));
	if (rc == 0 && v >= 2)
		rc = msg_addr_decode(d, &b->hb_addr);
	if (rc == 0 && (b->osd < 0 || !(b->weight >= 0 && b->weight <= 1e6)))
		rc = -EBADMSG;
	return rc;
}

const struct msg_type_ops mon_osd_boot_ops = {
	.type = MON_MSG_OSD_BOOT,
	.name = "osd_boot",
	.version = 2, /* v2: hb_addr */
	.compat = 1,
	.size = sizeof(struct mon_msg_osd_boot),
	.encode = boot_encode,
	.decode = boot_decode,
};

static void beacon_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_osd_beacon *b = (const void *)m;

	enc_s32(e, b->osd);
	enc_u32(e, b->epoch);
}

static int beacon_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_osd_beacon *b = (void *)m;
	int rc = dec_s32(d, &b->osd);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &b->epoch);
	return rc == 0 && b->osd < 0 ? -EBADMSG : rc;
}

const struct msg_type_ops mon_osd_beacon_ops = {
	.type = MON_MSG_OSD_BEACON,
	.name = "osd_beacon",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_osd_beacon),
	.encode = beacon_encode,
	.decode = beacon_decode,
};

static void failure_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_osd_failure *f = (const void *)m;

	enc_s32(e, f->target);
	enc_s32(e, f->reporter);
	enc_u32(e, f->epoch);
	enc_u32(e, f->failed_for);
	enc_bool(e, f->still_alive);
	enc_bool(e, f->immediate);
}

static int failure_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_osd_failure *f = (void *)m;
	int rc = dec_s32(d, &f->target);

	if (rc == 0)
		rc = dec_s32(d, &f->reporter);
	if (rc == 0)
		rc = dec_u32(d, &f->epoch);
	if (rc == 0)
		rc = dec_u32(d, &f->failed_for);
	if (rc == 0)
		rc = dec_bool(d, &f->still_alive);
	if (rc == 0 && v >= 2)
		rc = dec_bool(d, &f->immediate);
	return rc == 0 && (f->target < 0 || f->reporter < 0) ? -EBADMSG : rc;
}

const struct msg_type_ops mon_osd_failure_ops = {
	.type = MON_MSG_OSD_FAILURE,
	.name = "osd_failure",
	.version = 2, /* v2: immediate */
	.compat = 1,
	.size = sizeof(struct mon_msg_osd_failure),
	.encode = failure_encode,
	.decode = failure_decode,
};

/* --- PG stats ------------------------------------------------------------- */

/* clang-format off */
static const char *const pg_state_names[] = {
	"creating", "active", "clean", "down", "peering", "degraded", "undersized",
	"remapped", "recovering", "recovery_wait", "backfilling", "backfill_wait",
	"incomplete", "stale", "scrubbing", "deep", "inconsistent", "repair", "activating",
};
/* clang-format on */

const char *mon_pg_state_str(uint32_t state, char *buf, size_t n)
{
	size_t used = 0;

	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (state == 0) {
		snprintf(buf, n, "unknown");
		return buf;
	}
	for (unsigned i = 0; i < sizeof(pg_state_names) / sizeof(pg_state_names[0]); i++) {
		int w;

		if (!(state & (1u << i)))
			continue;
		w = snprintf(buf + used, n - used, "%s%s", used ? "+" : "", pg_state_names[i]);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

static void pg_stat_encode(struct enc *e, const struct mon_pg_stat *p)
{
	size_t pos = enc_begin(e, 2, 1);

	enc_s64(e, p->pool);
	enc_u32(e, p->ps);
	enc_u32(e, p->state);
	enc_u32(e, p->reported_epoch);
	enc_u8(e, p->nup);
	for (unsigned i = 0; i < p->nup; i++)
		enc_s32(e, p->up[i]);
	enc_u8(e, p->nacting);
	for (unsigned i = 0; i < p->nacting; i++)
		enc_s32(e, p->acting[i]);
	enc_u32(e, p->last_update_epoch);
	enc_u64(e, p->last_update_v);
	enc_u64(e, p->num_objects);
	enc_u64(e, p->num_bytes);
	enc_u64(e, p->num_objects_degraded);
	enc_u64(e, p->num_objects_misplaced);
	enc_u64(e, p->num_objects_unfound);
	enc_u64(e, p->num_bytes_recovering);
	enc_u64(e, p->num_rd);
	enc_u64(e, p->num_rd_bytes);
	enc_u64(e, p->num_wr);
	enc_u64(e, p->num_wr_bytes);
	enc_u64(e, p->last_scrub_ns);
	enc_u64(e, p->last_deep_scrub_ns);
	enc_u32(e, p->num_scrub_errors); /* v2 */
	enc_end(e, pos);
}

static int dec_osd_set(struct dec *d, uint8_t *n, int32_t *set)
{
	int rc = dec_u8(d, n);

	if (rc == 0 && *n > MON_PG_SIZE_MAX)
		rc = -EBADMSG;
	for (unsigned i = 0; rc == 0 && i < *n; i++)
		rc = dec_s32(d, &set[i]);
	return rc;
}

static int pg_stat_decode(struct dec *d, struct mon_pg_stat *p)
{
	uint64_t *u64s[] = { &p->last_update_v,
		             &p->num_objects,
		             &p->num_bytes,
		             &p->num_objects_degraded,
		             &p->num_objects_misplaced,
		             &p->num_objects_unfound,
		             &p->num_bytes_recovering,
		             &p->num_rd,
		             &p->num_rd_bytes,
		             &p->num_wr,
		             &p->num_wr_bytes,
		             &p->last_scrub_ns,
		             &p->last_deep_scrub_ns };
	struct dec body;
	uint8_t v;
	int rc = dec_begin(d, 2, &v, &body);

	p->num_scrub_errors = 0;
	if (rc == 0)
		rc = dec_s64(&body, &p->pool);
	if (rc == 0)
		rc = dec_u32(&body, &p->ps);
	if (rc == 0)
		rc = dec_u32(&body, &p->state);
	if (rc == 0 && (p->state & ~(uint32_t)MON_PG_STATE_ALL))
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_u32(&body, &p->reported_epoch);
	if (rc == 0)
		rc = dec_osd_set(&body, &p->nup, p->up);
	if (rc == 0)
		rc = dec_osd_set(&body, &p->nacting, p->acting);
	if (rc == 0)
		rc = dec_u32(&body, &p->last_update_epoch);
	for (size_t i = 0; rc == 0 && i < sizeof(u64s) / sizeof(u64s[0]); i++)
		rc = dec_u64(&body, u64s[i]);
	if (rc == 0 && v >= 2)
		rc = dec_u32(&body, &p->num_scrub_errors);
	if (rc == 0)
		dec_end(d, &body);
	return rc;
}

static void pg_stats_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_pg_stats *s = (const void *)m;

	enc_s32(e, s->osd);
	enc_u32(e, s->epoch);
	enc_u64(e, s->stamp_ns);
	enc_u64(e, s->total_bytes);
	enc_u64(e, s->used_bytes);
	enc_u64(e, s->avail_bytes);
	enc_u64(e, s->num_objects);
	enc_u32(e, s->npgs);
	for (uint32_t i = 0; i < s->npgs; i++)
		pg_stat_encode(e, &s->pgs[i]);
}

static int pg_stats_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_pg_stats *s = (void *)m;
	uint32_t n = 0;
	int rc = dec_s32(d, &s->osd);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &s->epoch);
	if (rc == 0)
		rc = dec_u64(d, &s->stamp_ns);
	if (rc == 0)
		rc = dec_u64(d, &s->total_bytes);
	if (rc == 0)
		rc = dec_u64(d, &s->used_bytes);
	if (rc == 0)
		rc = dec_u64(d, &s->avail_bytes);
	if (rc == 0)
		rc = dec_u64(d, &s->num_objects);
	if (rc == 0)
		rc = dec_count(d, 6, &n);
	if (rc == 0 && n > MON_PG_STATS_MAX)
		rc = -EBADMSG;
	if (rc == 0) {
		s->pgs = mem_calloc(n ? n : 1, sizeof(*s->pgs));
		rc = s->pgs ? 0 : -ENOMEM;
	}
	for (s->npgs = 0; rc == 0 && s->npgs < n; s->npgs++)
		rc = pg_stat_decode(d, &s->pgs[s->npgs]);
	return rc;
}

static void pg_stats_fini(struct msg *m)
{
	mem_free(((struct mon_msg_pg_stats *)(void *)m)->pgs);
}

const struct msg_type_ops mon_pg_stats_ops = {
	.type = MON_MSG_PG_STATS,
	.name = "pg_stats",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_pg_stats),
	.encode = pg_stats_encode,
	.decode = pg_stats_decode,
	.fini = pg_stats_fini,
};

int mon_pg_stats_create(uint32_t npgs, struct mon_msg_pg_stats **out)
{
	struct mon_msg_pg_stats *s;
	struct msg *m;
	int rc;

	if (npgs > MON_PG_STATS_MAX)
		return -EINVAL;
	rc = msg_create_typed(&mon_pg_stats_ops, &m);
	if (rc < 0)
		return rc;
	s = (void *)m;
	s->pgs = mem_calloc(npgs ? npgs : 1, sizeof(*s->pgs));
	if (!s->pgs) {
		msg_put(m);
		return -ENOMEM;
	}
	s->npgs = npgs;
	*out = s;
	return 0;
}

static void alive_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_osd_alive *a = (const void *)m;

	enc_s32(e, a->osd);
	enc_u32(e, a->epoch);
	enc_u32(e, a->want_up_thru);
}

static int alive_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_osd_alive *a = (void *)m;
	int rc = dec_s32(d, &a->osd);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &a->epoch);
	if (rc == 0)
		rc = dec_u32(d, &a->want_up_thru);
	return rc == 0 && a->osd < 0 ? -EBADMSG : rc;
}

const struct msg_type_ops mon_osd_alive_ops = {
	.type = MON_MSG_OSD_ALIVE,
	.name = "osd_alive",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_osd_alive),
	.encode = alive_encode,
	.decode = alive_decode,
};

static void pgtemp_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_osd_pgtemp *t = (const void *)m;

	enc_s32(e, t->osd);
	enc_u32(e, t->epoch);
	enc_u32(e, t->n);
	for (uint32_t i = 0; i < t->n; i++) {
		enc_s64(e, t->ents[i].pool);
		enc_u32(e, t->ents[i].ps);
		enc_u8(e, t->ents[i].n);
		for (uint8_t k = 0; k < t->ents[i].n; k++)
			enc_s32(e, t->ents[i].osds[k]);
	}
}

static int pgtemp_ent_decode(struct dec *d, struct mon_pgtemp_ent *x)
{
	int rc = dec_s64(d, &x->pool);

	if (rc == 0)
		rc = dec_u32(d, &x->ps);
	if (rc == 0)
		rc = dec_u8(d, &x->n);
	if (rc == 0 && (x->pool < 0 || x->n > MON_PG_SIZE_MAX))
		rc = -EBADMSG;
	for (uint8_t k = 0; rc == 0 && k < x->n; k++) {
		rc = dec_s32(d, &x->osds[k]);
		if (rc == 0 && x->osds[k] < 0)
			rc = -EBADMSG;
	}
	return rc;
}

static int pgtemp_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_osd_pgtemp *t = (void *)m;
	int rc = dec_s32(d, &t->osd);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &t->epoch);
	if (rc == 0)
		rc = dec_u32(d, &t->n);
	if (rc == 0 && (t->osd < 0 || t->n > MON_PGTEMP_MAX))
		rc = -EBADMSG;
	for (uint32_t i = 0; rc == 0 && i < t->n; i++)
		rc = pgtemp_ent_decode(d, &t->ents[i]);
	return rc;
}

const struct msg_type_ops mon_osd_pgtemp_ops = {
	.type = MON_MSG_OSD_PGTEMP,
	.name = "osd_pgtemp",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_osd_pgtemp),
	.encode = pgtemp_encode,
	.decode = pgtemp_decode,
};

int mon_proto_register(struct msg_registry *reg)
{
	static const struct msg_type_ops *const all[] = {
		&mon_command_ops,   &mon_command_reply_ops, &mon_subscribe_ops,   &mon_map_ops,
		&mon_osd_boot_ops,  &mon_osd_beacon_ops,    &mon_osd_failure_ops, &mon_pg_stats_ops,
		&mon_osd_alive_ops, &mon_osd_pgtemp_ops,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int rc = msg_registry_add(reg, all[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}
