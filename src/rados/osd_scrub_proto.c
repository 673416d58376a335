/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/osd_scrub_proto.c - codecs of the scrub and repair messages and of
 * scrub maps. Decoders check every count, length and flag and return
 * -EBADMSG; a scrub map must be in strictly increasing store order. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "rados/osd_scrub_proto.h"

/* --- scrub maps -------------------------------------------------------------- */

int osd_scrub_name_cmp(const char *ns_a, const char *a, const char *ns_b, const char *b)
{
	int c = strcmp(ns_a ? ns_a : "", ns_b ? ns_b : "");

	return c ? c : strcmp(a ? a : "", b ? b : "");
}

void osd_scrub_obj_fini(struct osd_scrub_obj *o)
{
	mem_free(o->nspace);
	mem_free(o->name);
	o->nspace = o->name = NULL;
}

int osd_scrub_map_push(struct osd_scrub_map *sm, const struct osd_scrub_obj *obj)
{
	struct osd_scrub_obj o = *obj;

	o.nspace = mem_strdup(obj->nspace ? obj->nspace : "");
	o.name = mem_strdup(obj->name ? obj->name : "");
	if (!o.nspace || !o.name || mem_grow(&sm->objs, sizeof(*sm->objs), &sm->cap, sm->n + 1)) {
		osd_scrub_obj_fini(&o);
		return -ENOMEM;
	}
	sm->objs[sm->n++] = o;
	return 0;
}

void osd_scrub_map_fini(struct osd_scrub_map *sm)
{
	for (uint32_t i = 0; i < sm->n; i++)
		osd_scrub_obj_fini(&sm->objs[i]);
	mem_free(sm->objs);
	memset(sm, 0, sizeof(*sm));
}

static void enc_ever(struct enc *e, struct osd_eversion v)
{
	enc_u32(e, v.epoch);
	enc_u64(e, v.v);
}

static int dec_ever(struct dec *d, struct osd_eversion *v)
{
	int rc = dec_u32(d, &v->epoch);

	return rc ? rc : dec_u64(d, &v->v);
}

void osd_scrub_obj_encode(struct enc *e, const struct osd_scrub_obj *o)
{
	size_t pos = enc_begin(e, 1, 1);

	enc_str(e, o->nspace);
	enc_str(e, o->name);
	enc_u32(e, o->flags);
	enc_ever(e, o->version);
	enc_u64(e, o->oi_size);
	enc_u64(e, o->size);
	enc_u32(e, o->attrs_digest);
	enc_u32(e, o->omap_digest);
	enc_u32(e, o->data_digest);
	enc_end(e, pos);
}

static int obj_body_decode(struct dec *d, struct osd_scrub_obj *o)
{
	int rc = dec_str_dup(d, OSD_NAME_MAX, &o->nspace);

	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &o->name);
	if (rc == 0)
		rc = dec_u32(d, &o->flags);
	if (rc == 0 && (o->flags & ~(uint32_t)OSD_SCRUB_O_ALL))
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_ever(d, &o->version);
	if (rc == 0)
		rc = dec_u64(d, &o->oi_size);
	if (rc == 0)
		rc = dec_u64(d, &o->size);
	if (rc == 0)
		rc = dec_u32(d, &o->attrs_digest);
	if (rc == 0)
		rc = dec_u32(d, &o->omap_digest);
	if (rc == 0)
		rc = dec_u32(d, &o->data_digest);
	return rc;
}

int osd_scrub_obj_decode(struct dec *d, struct osd_scrub_obj *o)
{
	struct dec body;
	uint8_t v;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = dec_begin(d, 1, &v, &body);
	if (rc == 0)
		rc = obj_body_decode(&body, o);
	if (rc == 0 && (!o->name || !o->name[0]))
		rc = -EBADMSG; /* the pgmeta object is never in a map */
	if (rc < 0) {
		osd_scrub_obj_fini(o);
		return rc;
	}
	dec_end(d, &body);
	return 0;
}

void osd_scrub_map_encode(struct enc *e, const struct osd_scrub_map *sm)
{
	enc_u32(e, sm->n);
	for (uint32_t i = 0; i < sm->n; i++)
		osd_scrub_obj_encode(e, &sm->objs[i]);
}

int osd_scrub_map_decode(struct dec *d, struct osd_scrub_map *sm)
{
	uint32_t n = 0;
	int rc = dec_count(d, 6 + 8 + 4 + 12 + 16 + 12, &n);

	memset(sm, 0, sizeof(*sm));
	if (rc == 0 && n > OSD_SCRUB_OBJS_MAX)
		rc = -EBADMSG;
	if (rc == 0 && n) {
		sm->objs = mem_calloc(n, sizeof(*sm->objs));
		sm->cap = n;
		rc = sm->objs ? 0 : -ENOMEM;
	}
	for (; rc == 0 && sm->n < n; sm->n++) {
		struct osd_scrub_obj *o = &sm->objs[sm->n];

		rc = osd_scrub_obj_decode(d, o);
		if (rc == 0 && sm->n > 0 &&
		    osd_scrub_name_cmp(o[-1].nspace, o[-1].name, o->nspace, o->name) >= 0) {
			osd_scrub_obj_fini(o);
			rc = -EBADMSG;
		}
	}
	if (rc < 0)
		osd_scrub_map_fini(sm);
	return rc;
}

/* --- messages ---------------------------------------------------------------- */

static void hdr_encode(struct enc *e, const struct osd_scrub_hdr *h)
{
	enc_s64(e, h->pool);
	enc_u32(e, h->ps);
	enc_s32(e, h->from);
	enc_u32(e, h->epoch);
	enc_u64(e, h->tid);
}

static int hdr_decode(struct dec *d, struct osd_scrub_hdr *h)
{
	int rc = dec_s64(d, &h->pool);

	if (rc == 0)
		rc = dec_u32(d, &h->ps);
	if (rc == 0)
		rc = dec_s32(d, &h->from);
	if (rc == 0)
		rc = dec_u32(d, &h->epoch);
	if (rc == 0)
		rc = dec_u64(d, &h->tid);
	if (rc == 0 && (h->pool < 0 || h->from < 0))
		rc = -EBADMSG;
	return rc;
}

/* Only a PUSH and a PULL's reply carry a transaction. */
static int check_data(const struct msg *m, bool allowed)
{
	size_t n = m->data ? buf_len(m->data) : 0;

	return (n && !allowed) || n > OSD_TXN_MAX ? -EBADMSG : 0;
}

static void scrub_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_scrub *p = (const void *)m;

	hdr_encode(e, &p->h);
	enc_bool(e, p->deep);
	osd_list_cursor_encode(e, &p->start);
	osd_list_cursor_encode(e, &p->end);
}

static int scrub_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_scrub *p = (void *)m;
	int rc = hdr_decode(d, &p->h);

	(void)v;
	if (rc == 0)
		rc = dec_bool(d, &p->deep);
	if (rc == 0)
		rc = osd_list_cursor_decode(d, &p->start);
	if (rc == 0)
		rc = osd_list_cursor_decode(d, &p->end);
	return rc == 0 ? check_data(m, false) : rc;
}

static void scrub_fini(struct msg *m)
{
	struct osd_msg_scrub *p = (void *)m;

	osd_list_cursor_fini(&p->start);
	osd_list_cursor_fini(&p->end);
}

static void scrub_map_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_scrub_map *p = (const void *)m;

	hdr_encode(e, &p->h);
	enc_s32(e, p->result);
	osd_scrub_map_encode(e, &p->map);
}

static int scrub_map_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_scrub_map *p = (void *)m;
	int rc = hdr_decode(d, &p->h);

	(void)v;
	if (rc == 0)
		rc = dec_s32(d, &p->result);
	if (rc == 0 && p->result > 0)
		rc = -EBADMSG;
	if (rc == 0)
		rc = osd_scrub_map_decode(d, &p->map);
	return rc == 0 ? check_data(m, false) : rc;
}

static void scrub_map_fini(struct msg *m)
{
	osd_scrub_map_fini(&((struct osd_msg_scrub_map *)(void *)m)->map);
}

static void repair_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_repair *p = (const void *)m;

	hdr_encode(e, &p->h);
	enc_u8(e, p->op);
	enc_str(e, p->nspace);
	enc_str(e, p->name);
}

static int repair_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_repair *p = (void *)m;
	int rc = hdr_decode(d, &p->h);

	(void)v;
	if (rc == 0)
		rc = dec_u8(d, &p->op);
	if (rc == 0 && p->op != OSD_REPAIR_PUSH && p->op != OSD_REPAIR_PULL)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &p->nspace);
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &p->name);
	if (rc == 0 && !p->name[0])
		rc = -EBADMSG;
	if (rc == 0 && p->op == OSD_REPAIR_PUSH && !m->data)
		rc = -EBADMSG;
	return rc == 0 ? check_data(m, p->op == OSD_REPAIR_PUSH) : rc;
}

static void repair_fini(struct msg *m)
{
	struct osd_msg_repair *p = (void *)m;

	mem_free(p->nspace);
	mem_free(p->name);
	p->nspace = p->name = NULL;
}

static void repair_reply_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_repair_reply *p = (const void *)m;

	hdr_encode(e, &p->h);
	enc_s32(e, p->result);
}

static int repair_reply_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_repair_reply *p = (void *)m;
	int rc = hdr_decode(d, &p->h);

	(void)v;
	if (rc == 0)
		rc = dec_s32(d, &p->result);
	if (rc == 0 && p->result > 0)
		rc = -EBADMSG;
	return rc == 0 ? check_data(m, p->result == 0) : rc;
}

const struct msg_type_ops osd_scrub_ops = {
	.type = OSD_MSG_SCRUB,
	.name = "osd_scrub",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_scrub),
	.encode = scrub_encode,
	.decode = scrub_decode,
	.fini = scrub_fini,
};

const struct msg_type_ops osd_scrub_map_ops = {
	.type = OSD_MSG_SCRUB_MAP,
	.name = "osd_scrub_map",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_scrub_map),
	.encode = scrub_map_encode,
	.decode = scrub_map_decode,
	.fini = scrub_map_fini,
};

const struct msg_type_ops osd_repair_ops = {
	.type = OSD_MSG_REPAIR,
	.name = "osd_repair",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_repair),
	.encode = repair_encode,
	.decode = repair_decode,
	.fini = repair_fini,
};

const struct msg_type_ops osd_repair_reply_ops = {
	.type = OSD_MSG_REPAIR_REPLY,
	.name = "osd_repair_reply",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_repair_reply),
	.encode = repair_reply_encode,
	.decode = repair_reply_decode,
};

int osd_scrub_proto_register(struct msg_registry *reg)
{
	static const struct msg_type_ops *const all[] = {
		&osd_scrub_ops,
		&osd_scrub_map_ops,
		&osd_repair_ops,
		&osd_repair_reply_ops,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int rc = msg_registry_add(reg, all[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

const struct osd_scrub_hdr *osd_scrub_msg_hdr(const struct msg *m)
{
	switch (m->type) {
	case OSD_MSG_SCRUB:
		return &((const struct osd_msg_scrub *)(const void *)m)->h;
	case OSD_MSG_SCRUB_MAP:
		return &((const struct osd_msg_scrub_map *)(const void *)m)->h;
	case OSD_MSG_REPAIR:
		return &((const struct osd_msg_repair *)(const void *)m)->h;
	case OSD_MSG_REPAIR_REPLY:
		return &((const struct osd_msg_repair_reply *)(const void *)m)->h;
	default:
		return NULL;
	}
}
