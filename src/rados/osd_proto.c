/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/osd_proto.c - codecs of the OSD protocol's messages and of the
 * payload encodings inside ops. Decoders check every count and length
 * against the OSD_*_MAX bounds and return -EBADMSG. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "rados/osd_proto.h"
#include "rados/osd_scrub_proto.h"

/* --- small types ----------------------------------------------------------- */

/* A reqid with no entity (type 0: an OSD-internal update) encodes as a
 * single 0 byte instead of the entity. */
void osd_reqid_encode(struct enc *e, const struct osd_reqid *r)
{
	enc_u8(e, r->name.type != 0);
	if (r->name.type != 0)
		msg_entity_encode(&r->name, e);
	enc_u64(e, r->inc);
	enc_u64(e, r->tid);
}

int osd_reqid_decode(struct dec *d, struct osd_reqid *r)
{
	uint8_t has;
	int rc = dec_u8(d, &has);

	if (rc == 0 && has > 1)
		rc = -EBADMSG;
	memset(&r->name, 0, sizeof(r->name));
	if (rc == 0 && has)
		rc = msg_entity_decode(d, &r->name);

	if (rc == 0)
		rc = dec_u64(d, &r->inc);
	if (rc == 0)
		rc = dec_u64(d, &r->tid);
	return rc;
}

bool osd_reqid_eq(const struct osd_reqid *a, const struct osd_reqid *b)
{
	return a->tid == b->tid && a->inc == b->inc && msg_entity_cmp(&a->name, &b->name) == 0;
}

int osd_eversion_cmp(struct osd_eversion a, struct osd_eversion b)
{
	if (a.epoch != b.epoch)
		return a.epoch < b.epoch ? -1 : 1;
	if (a.v != b.v)
		return a.v < b.v ? -1 : 1;
	return 0;
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

/* clang-format off */
static const char *const op_names[] = {
	[OSD_OP_READ] = "read", [OSD_OP_SPARSE_READ] = "sparse-read", [OSD_OP_STAT] = "stat",
	[OSD_OP_GETXATTR] = "getxattr", [OSD_OP_GETXATTRS] = "getxattrs",
	[OSD_OP_CMPXATTR] = "cmpxattr", [OSD_OP_ASSERT_EXISTS] = "assert-exists",
	[OSD_OP_ASSERT_VERSION] = "assert-version", [OSD_OP_OMAP_GET_KEYS] = "omap-get-keys",
	[OSD_OP_OMAP_GET_VALS] = "omap-get-vals",
	[OSD_OP_OMAP_GET_VALS_BY_KEYS] = "omap-get-vals-by-keys",
	[OSD_OP_OMAP_GET_HEADER] = "omap-get-header", [OSD_OP_CMPEXT] = "cmpext",
	[OSD_OP_PGLS] = "pgls", [OSD_OP_OMAP_CMP] = "omap-cmp",
	[OSD_OP_CREATE] = "create", [OSD_OP_WRITE] = "write", [OSD_OP_WRITE_FULL] = "write-full",
	[OSD_OP_APPEND] = "append", [OSD_OP_TRUNCATE] = "truncate", [OSD_OP_ZERO] = "zero",
	[OSD_OP_REMOVE] = "remove", [OSD_OP_SETXATTR] = "setxattr", [OSD_OP_RMXATTR] = "rmxattr",
	[OSD_OP_OMAP_SET] = "omap-set", [OSD_OP_OMAP_RM_KEYS] = "omap-rm-keys",
	[OSD_OP_OMAP_CLEAR] = "omap-clear", [OSD_OP_OMAP_RM_RANGE] = "omap-rm-range",
	[OSD_OP_OMAP_SET_HEADER] = "omap-set-header",
};
/* clang-format on */

bool osd_op_is_valid(uint16_t code)
{
	return code < sizeof(op_names) / sizeof(op_names[0]) && op_names[code];
}

bool osd_op_is_write(uint16_t code)
{
	return code >= OSD_OP_CREATE && osd_op_is_valid(code);
}

const char *osd_op_name(uint16_t code)
{
	return osd_op_is_valid(code) ? op_names[code] : "?";
}

void osd_op_fini(struct osd_op *op)
{
	mem_free(op->name);
	mem_free(op->name2);
	buf_put(op->indata);
	buf_put(op->outdata);
	memset(op, 0, sizeof(*op));
}

static void ops_free(struct osd_op *ops, uint32_t n)
{
	for (uint32_t i = 0; ops && i < n; i++)
		osd_op_fini(&ops[i]);
	mem_free(ops);
}

/* Concatenates each op's in- or outdata into *data (shared bytes). */
static int seal(struct buf **data, struct osd_op *ops, uint32_t n, bool out)
{
	struct buf *b;
	int rc;

	if (*data)
		return 0;
	rc = buf_create(&b);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		struct buf *x = out ? ops[i].outdata : ops[i].indata;

		if (x)
			rc = buf_append_buf(b, x, 0, buf_len(x));
	}
	if (rc < 0) {
		buf_put(b);
		return rc;
	}
	*data = b;
	return 0;
}

/* Gives each op its slice of data according to the decoded lengths. */
static int unseal(const struct buf *data, struct osd_op *ops, const uint64_t *lens, uint32_t n,
                  bool out)
{
	size_t have = data ? buf_len(data) : 0, off = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct buf **x = out ? &ops[i].outdata : &ops[i].indata;
		int rc;

		if (lens[i] > have - off)
			return -EBADMSG;
		if (lens[i] == 0)
			continue;
		rc = buf_slice(data, off, (size_t)lens[i], x);
		if (rc < 0)
			return rc == -EINVAL ? -EBADMSG : rc;
		off += (size_t)lens[i];
	}
	return off == have ? 0 : -EBADMSG;
}

/* --- client op ------------------------------------------------------------- */

static void op_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_op *p = (const void *)m;

	enc_u64(e, p->tid);
	osd_reqid_encode(e, &p->reqid);
	enc_u32(e, p->epoch);
	enc_u32(e, p->flags);
	enc_s64(e, p->pool);
	enc_u32(e, p->ps);
	enc_u32(e, p->hash);
	enc_str(e, p->nspace);
	enc_str(e, p->oid);
	enc_u64(e, p->snapid);
	enc_u64(e, p->snap_seq);
	enc_u32(e, p->nsnaps);
	for (uint32_t i = 0; i < p->nsnaps; i++)
		enc_u64(e, p->snaps[i]);
	enc_u64(e, p->mtime_ns);
	enc_u32(e, p->nops);
	for (uint32_t i = 0; i < p->nops; i++) {
		const struct osd_op *o = &p->ops[i];

		enc_u16(e, o->code);
		enc_u16(e, o->flags);
		enc_u64(e, o->off);
		enc_u64(e, o->len);
		enc_u64(e, o->arg);
		enc_u8(e, o->name != NULL);
		enc_str(e, o->name);
		enc_u8(e, o->name2 != NULL);
		enc_str(e, o->name2);
		enc_u64(e, o->indata ? buf_len(o->indata) : 0);
	}
}

/* An optional string: u8 present, then the string. */
static int dec_opt_str(struct dec *d, char **out)
{
	uint8_t present;
	char *s = NULL;
	int rc = dec_u8(d, &present);

	if (rc == 0 && present > 1)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &s);
	if (rc == 0 && !present) {
		mem_free(s);
		s = NULL;
	}
	if (rc == 0)
		*out = s;
	return rc;
}

static int alloc_ops(struct osd_op **ops, uint32_t n)
{
	*ops = mem_calloc(n ? n : 1, sizeof(**ops));
	return *ops ? 0 : -ENOMEM;
}

static int op_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_op *p = (void *)m;
	uint64_t lens[OSD_OPS_MAX];
	uint32_t n = 0;
	int rc = dec_u64(d, &p->tid);

	(void)v;
	if (rc == 0)
		rc = osd_reqid_decode(d, &p->reqid);
	if (rc == 0)
		rc = dec_u32(d, &p->epoch);
	if (rc == 0)
		rc = dec_u32(d, &p->flags);
	if (rc == 0)
		rc = dec_s64(d, &p->pool);
	if (rc == 0)
		rc = dec_u32(d, &p->ps);
	if (rc == 0)
		rc = dec_u32(d, &p->hash);
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &p->nspace);
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &p->oid);
	if (rc == 0)
		rc = dec_u64(d, &p->snapid);
	if (rc == 0)
		rc = dec_u64(d, &p->snap_seq);
	if (rc == 0)
		rc = dec_count(d, 8, &n);
	if (rc == 0 && n > OSD_SNAPS_MAX)
		rc = -EBADMSG;
	if (rc == 0 && n) {
		p->snaps = mem_calloc(n, sizeof(*p->snaps));
		rc = p->snaps ? 0 : -ENOMEM;
	}
	for (p->nsnaps = 0; rc == 0 && p->nsnaps < n; p->nsnaps++)
		rc = dec_u64(d, &p->snaps[p->nsnaps]);
	if (rc == 0)
		rc = dec_u64(d, &p->mtime_ns);
	if (rc == 0)
		rc = dec_count(d, 36, &n);
	if (rc == 0 && (n == 0 || n > OSD_OPS_MAX))
		rc = -EBADMSG;
	if (rc == 0)
		rc = alloc_ops(&p->ops, n);
	for (p->nops = 0; rc == 0 && p->nops < n; p->nops++) {
		struct osd_op *o = &p->ops[p->nops];

		rc = dec_u16(d, &o->code);
		if (rc == 0 && !osd_op_is_valid(o->code))
			rc = -EBADMSG;
		if (rc == 0)
			rc = dec_u16(d, &o->flags);
		if (rc == 0)
			rc = dec_u64(d, &o->off);
		if (rc == 0)
			rc = dec_u64(d, &o->len);
		if (rc == 0)
			rc = dec_u64(d, &o->arg);
		if (rc == 0)
			rc = dec_opt_str(d, &o->name);
		if (rc == 0)
			rc = dec_opt_str(d, &o->name2);
		if (rc == 0)
			rc = dec_u64(d, &lens[p->nops]);
	}
	if (rc == 0)
		rc = unseal(m->data, p->ops, lens, p->nops, false);
	return rc;
}

static void op_fini(struct msg *m)
{
	struct osd_msg_op *p = (void *)m;

	mem_free(p->nspace);
	mem_free(p->oid);
	mem_free(p->snaps);
	ops_free(p->ops, p->nops);
}

const struct msg_type_ops osd_op_ops = {
	.type = OSD_MSG_OP,
	.name = "osd_op",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_op),
	.encode = op_encode,
	.decode = op_decode,
	.fini = op_fini,
};

int osd_op_msg_create(uint32_t nops, struct osd_msg_op **out)
{
	struct osd_msg_op *p;
	struct msg *m;
	int rc;

	if (nops > OSD_OPS_MAX)
		return -EINVAL;
	rc = msg_create_typed(&osd_op_ops, &m);
	if (rc < 0)
		return rc;
	p = (void *)m;
	p->snapid = OSD_SNAP_HEAD;
	if (alloc_ops(&p->ops, nops) < 0) {
		msg_put(m);
		return -ENOMEM;
	}
	p->nops = nops;
	*out = p;
	return 0;
}

int osd_op_msg_seal(struct osd_msg_op *m)
{
	return seal(&m->m.data, m->ops, m->nops, false);
}

/* --- op reply -------------------------------------------------------------- */

static void opreply_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_opreply *p = (const void *)m;

	enc_u64(e, p->tid);
	enc_s32(e, p->result);
	enc_u32(e, p->flags);
	enc_u32(e, p->epoch);
	enc_s64(e, p->pool);
	enc_u32(e, p->ps);
	enc_ever(e, p->version);
	enc_u64(e, p->user_version);
	enc_u32(e, p->nops);
	for (uint32_t i = 0; i < p->nops; i++) {
		enc_u16(e, p->ops[i].code);
		enc_s32(e, p->ops[i].rval);
		enc_u64(e, p->ops[i].outdata ? buf_len(p->ops[i].outdata) : 0);
	}
}

static int opreply_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_opreply *p = (void *)m;
	uint64_t lens[OSD_OPS_MAX];
	uint32_t n = 0;
	int rc = dec_u64(d, &p->tid);

	(void)v;
	if (rc == 0)
		rc = dec_s32(d, &p->result);
	if (rc == 0)
		rc = dec_u32(d, &p->flags);
	if (rc == 0)
		rc = dec_u32(d, &p->epoch);
	if (rc == 0)
		rc = dec_s64(d, &p->pool);
	if (rc == 0)
		rc = dec_u32(d, &p->ps);
	if (rc == 0)
		rc = dec_ever(d, &p->version);
	if (rc == 0)
		rc = dec_u64(d, &p->user_version);
	if (rc == 0)
		rc = dec_count(d, 14, &n);
	if (rc == 0 && n > OSD_OPS_MAX)
		rc = -EBADMSG;
	if (rc == 0)
		rc = alloc_ops(&p->ops, n);
	for (p->nops = 0; rc == 0 && p->nops < n; p->nops++) {
		rc = dec_u16(d, &p->ops[p->nops].code);
		if (rc == 0)
			rc = dec_s32(d, &p->ops[p->nops].rval);
		if (rc == 0)
			rc = dec_u64(d, &lens[p->nops]);
	}
	if (rc == 0)
		rc = unseal(m->data, p->ops, lens, p->nops, true);
	return rc;
}

static void opreply_fini(struct msg *m)
{
	struct osd_msg_opreply *p = (void *)m;

	ops_free(p->ops, p->nops);
}

const struct msg_type_ops osd_opreply_ops = {
	.type = OSD_MSG_OPREPLY,
	.name = "osd_opreply",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_opreply),
	.encode = opreply_encode,
	.decode = opreply_decode,
	.fini = opreply_fini,
};

int osd_opreply_msg_create(uint32_t nops, struct osd_msg_opreply **out)
{
	struct osd_msg_opreply *p;
	struct msg *m;
	int rc;

	if (nops > OSD_OPS_MAX)
		return -EINVAL;
	rc = msg_create_typed(&osd_opreply_ops, &m);
	if (rc < 0)
		return rc;
	p = (void *)m;
	if (alloc_ops(&p->ops, nops) < 0) {
		msg_put(m);
		return -ENOMEM;
	}
	p->nops = nops;
	*out = p;
	return 0;
}

int osd_opreply_msg_seal(struct osd_msg_opreply *m)
{
	return seal(&m->m.data, m->ops, m->nops, true);
}

/* --- log entries ----------------------------------------------------------- */

void osd_log_entry_encode(struct enc *e, const struct osd_log_entry *le)
{
	size_t pos = enc_begin(e, 1, 1);

	enc_u8(e, le->op);
	enc_ever(e, le->version);
	enc_ever(e, le->prior_version);
	osd_reqid_encode(e, &le->reqid);
	enc_u64(e, le->user_version);
	enc_u64(e, le->mtime_ns);
	enc_s32(e, le->result);
	enc_str(e, le->nspace);
	enc_str(e, le->oid);
	enc_end(e, pos);
}

int osd_log_entry_decode(struct dec *d, struct osd_log_entry *le)
{
	struct osd_log_entry x = { 0 };
	struct dec body;
	uint8_t v;
	int rc = dec_begin(d, 1, &v, &body);

	if (rc == 0)
		rc = dec_u8(&body, &x.op);
	if (rc == 0 && x.op != OSD_LOG_MODIFY && x.op != OSD_LOG_DELETE)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_ever(&body, &x.version);
	if (rc == 0)
		rc = dec_ever(&body, &x.prior_version);
	if (rc == 0)
		rc = osd_reqid_decode(&body, &x.reqid);
	if (rc == 0)
		rc = dec_u64(&body, &x.user_version);
	if (rc == 0)
		rc = dec_u64(&body, &x.mtime_ns);
	if (rc == 0)
		rc = dec_s32(&body, &x.result);
	if (rc == 0)
		rc = dec_str_dup(&body, OSD_NAME_MAX, &x.nspace);
	if (rc == 0)
		rc = dec_str_dup(&body, OSD_NAME_MAX, &x.oid);
	if (rc < 0) {
		osd_log_entry_fini(&x);
		return rc;
	}
	dec_end(d, &body);
	*le = x;
	return 0;
}

void osd_log_entry_fini(struct osd_log_entry *le)
{
	mem_free(le->nspace);
	mem_free(le->oid);
	le->nspace = le->oid = NULL;
}

int osd_log_entry_copy(struct osd_log_entry *dst, const struct osd_log_entry *src)
{
	*dst = *src;
	dst->nspace = mem_strdup(src->nspace ? src->nspace : "");
	dst->oid = mem_strdup(src->oid ? src->oid : "");
	if (!dst->nspace || !dst->oid) {
		osd_log_entry_fini(dst);
		return -ENOMEM;
	}
	return 0;
}

/* --- replication ----------------------------------------------------------- */

static void repop_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_repop *p = (const void *)m;

	enc_u64(e, p->tid);
	enc_u32(e, p->epoch);
	enc_s64(e, p->pool);
	enc_u32(e, p->ps);
	enc_s32(e, p->from);
	osd_log_entry_encode(e, &p->entry);
	enc_ever(e, p->pg_trim_to);
	enc_u32(e, p->interval);
	enc_u32(e, p->flags);
}

static int repop_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_repop *p = (void *)m;
	int rc = dec_u64(d, &p->tid);

	if (rc == 0)
		rc = dec_u32(d, &p->epoch);
	if (rc == 0)
		rc = dec_s64(d, &p->pool);
	if (rc == 0)
		rc = dec_u32(d, &p->ps);
	if (rc == 0)
		rc = dec_s32(d, &p->from);
	if (rc == 0)
		rc = osd_log_entry_decode(d, &p->entry);
	if (rc == 0)
		rc = dec_ever(d, &p->pg_trim_to);
	if (rc == 0)
		rc = dec_u32(d, &p->interval);
	p->flags = OSD_F_ACK | OSD_F_ONDISK;
	if (rc == 0 && v >= 3)
		rc = dec_u32(d, &p->flags);
	if (rc == 0 && m->data && buf_len(m->data) > OSD_TXN_MAX)
		rc = -EBADMSG;
	return rc;
}

static void repop_fini(struct msg *m)
{
	osd_log_entry_fini(&((struct osd_msg_repop *)(void *)m)->entry);
}

const struct msg_type_ops osd_repop_ops = {
	.type = OSD_MSG_REPOP,
	.name = "osd_repop",
	.version = 3, /* v3: flags; v2: interval, data optional; v1 (whole txn) refused */
	.compat = 2,
	.size = sizeof(struct osd_msg_repop),
	.encode = repop_encode,
	.decode = repop_decode,
	.fini = repop_fini,
};

static void repop_reply_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_repop_reply *p = (const void *)m;

	enc_u64(e, p->tid);
	enc_u32(e, p->epoch);
	enc_s64(e, p->pool);
	enc_u32(e, p->ps);
	enc_s32(e, p->from);
	enc_s32(e, p->result);
	enc_u32(e, p->flags);
	enc_ever(e, p->last_complete_ondisk);
}

static int repop_reply_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_repop_reply *p = (void *)m;
	int rc = dec_u64(d, &p->tid);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &p->epoch);
	if (rc == 0)
		rc = dec_s64(d, &p->pool);
	if (rc == 0)
		rc = dec_u32(d, &p->ps);
	if (rc == 0)
		rc = dec_s32(d, &p->from);
	if (rc == 0)
		rc = dec_s32(d, &p->result);
	if (rc == 0)
		rc = dec_u32(d, &p->flags);
	if (rc == 0)
		rc = dec_ever(d, &p->last_complete_ondisk);
	return rc;
}

const struct msg_type_ops osd_repop_reply_ops = {
	.type = OSD_MSG_REPOP_REPLY,
	.name = "osd_repop_reply",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_repop_reply),
	.encode = repop_reply_encode,
	.decode = repop_reply_decode,
};

static void ping_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_ping *p = (const void *)m;

	enc_s32(e, p->from);
	enc_u32(e, p->epoch);
	enc_u64(e, p->stamp);
}

static int ping_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_ping *p = (void *)m;
	int rc = dec_s32(d, &p->from);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &p->epoch);
	if (rc == 0)
		rc = dec_u64(d, &p->stamp);
	return rc == 0 && p->from < 0 ? -EBADMSG : rc;
}

const struct msg_type_ops osd_ping_ops = {
	.type = OSD_MSG_PING,
	.name = "osd_ping",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_ping),
	.encode = ping_encode,
	.decode = ping_decode,
};

const struct msg_type_ops osd_ping_reply_ops = {
	.type = OSD_MSG_PING_REPLY,
	.name = "osd_ping_reply",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_ping),
	.encode = ping_encode,
	.decode = ping_decode,
};

/* --- peering --------------------------------------------------------------- */

static void peering_encode(const struct msg *m, struct enc *e)
{
	const struct osd_msg_peering *p = (const void *)m;

	enc_s64(e, p->pool);
	enc_u32(e, p->ps);
	enc_s32(e, p->from);
	enc_u32(e, p->epoch);
	enc_blob(e, p->body, p->body_len);
}

static int peering_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct osd_msg_peering *p = (void *)m;
	int rc = dec_s64(d, &p->pool);

	(void)v;
	if (rc == 0)
		rc = dec_u32(d, &p->ps);
	if (rc == 0)
		rc = dec_s32(d, &p->from);
	if (rc == 0)
		rc = dec_u32(d, &p->epoch);
	if (rc == 0 && (p->pool < 0 || p->from < 0))
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_blob_dup(d, OSD_PEER_MAX, &p->body, &p->body_len);
	if (rc == 0 && m->type == OSD_MSG_PEERING && m->data && buf_len(m->data) > 0)
		rc = -EBADMSG; /* only a PUSH carries an object */
	if (rc == 0 && m->data && buf_len(m->data) > OSD_TXN_MAX)
		rc = -EBADMSG;
	return rc;
}

static void peering_fini(struct msg *m)
{
	struct osd_msg_peering *p = (void *)m;

	mem_free(p->body);
	p->body = NULL;
}

const struct msg_type_ops osd_peering_ops = {
	.type = OSD_MSG_PEERING,
	.name = "osd_peering",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_peering),
	.encode = peering_encode,
	.decode = peering_decode,
	.fini = peering_fini,
};

const struct msg_type_ops osd_push_ops = {
	.type = OSD_MSG_PUSH,
	.name = "osd_push",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct osd_msg_peering),
	.encode = peering_encode,
	.decode = peering_decode,
	.fini = peering_fini,
};

int osd_proto_register(struct msg_registry *reg)
{
	static const struct msg_type_ops *const all[] = {
		&osd_op_ops,   &osd_opreply_ops,    &osd_repop_ops,   &osd_repop_reply_ops,
		&osd_ping_ops, &osd_ping_reply_ops, &osd_peering_ops, &osd_push_ops,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int rc = msg_registry_add(reg, all[i]);

		if (rc < 0)
			return rc;
	}
	return osd_scrub_proto_register(reg); /* 72-75: osd_scrub_proto.h */
}

/* --- payload encodings ----------------------------------------------------- */

void osd_kv_encode(struct enc *e, const struct osd_kv *kv, uint32_t n, bool with_values)
{
	enc_u32(e, n);
	for (uint32_t i = 0; i < n; i++) {
		enc_str(e, kv[i].key);
		if (with_values)
			enc_blob(e, kv[i].val, kv[i].len);
	}
}

void osd_kv_free(struct osd_kv *kv, uint32_t n)
{
	for (uint32_t i = 0; kv && i < n; i++) {
		mem_free(kv[i].key);
		mem_free(kv[i].val);
	}
	mem_free(kv);
}

int osd_kv_decode(struct dec *d, bool with_values, struct osd_kv **out, uint32_t *n)
{
	struct osd_kv *kv;
	uint32_t cnt, i;
	int rc = dec_count(d, with_values ? 8 : 4, &cnt);

	if (rc < 0)
		return rc;
	if (cnt > OSD_KV_MAX)
		return -EBADMSG;
	kv = mem_calloc(cnt ? cnt : 1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	for (i = 0; rc == 0 && i < cnt; i++) {
		rc = dec_str_dup(d, OSD_NAME_MAX, &kv[i].key);
		if (rc == 0 && with_values)
			rc = dec_blob_dup(d, 16u << 20, &kv[i].val, &kv[i].len);
	}
	if (rc < 0) {
		osd_kv_free(kv, i);
		return rc;
	}
	*out = kv;
	*n = cnt;
	return 0;
}

void osd_list_cursor_encode(struct enc *e, const struct osd_list_cursor *c)
{
	enc_u8(e, c->valid);
	enc_str(e, c->valid ? c->nspace : "");
	enc_str(e, c->valid ? c->oid : "");
}

int osd_list_cursor_decode(struct dec *d, struct osd_list_cursor *c)
{
	struct osd_list_cursor x = { 0 };
	uint8_t valid;
	int rc = dec_u8(d, &valid);

	if (rc == 0 && valid > 1)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &x.nspace);
	if (rc == 0)
		rc = dec_str_dup(d, OSD_NAME_MAX, &x.oid);
	if (rc < 0) {
		osd_list_cursor_fini(&x);
		return rc;
	}
	x.valid = valid;
	*c = x;
	return 0;
}

void osd_list_cursor_fini(struct osd_list_cursor *c)
{
	mem_free(c->nspace);
	mem_free(c->oid);
	c->nspace = c->oid = NULL;
	c->valid = false;
}

void osd_list_reply_encode(struct enc *e, const struct osd_list_entry *ents, uint32_t n,
                           const struct osd_list_cursor *next, bool end)
{
	enc_u32(e, n);
	for (uint32_t i = 0; i < n; i++) {
		enc_str(e, ents[i].nspace);
		enc_str(e, ents[i].oid);
	}
	osd_list_cursor_encode(e, next);
	enc_u8(e, end);
}

void osd_list_entries_free(struct osd_list_entry *ents, uint32_t n)
{
	for (uint32_t i = 0; ents && i < n; i++) {
		mem_free(ents[i].nspace);
		mem_free(ents[i].oid);
	}
	mem_free(ents);
}

int osd_list_reply_decode(struct dec *d, struct osd_list_entry **ents, uint32_t *n,
                          struct osd_list_cursor *next, bool *end)
{
	struct osd_list_entry *v;
	uint32_t cnt, i;
	uint8_t e = 0;
	int rc = dec_count(d, 8, &cnt);

	if (rc < 0)
		return rc;
	if (cnt > OSD_LIST_MAX)
		return -EBADMSG;
	v = mem_calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; rc == 0 && i < cnt; i++) {
		rc = dec_str_dup(d, OSD_NAME_MAX, &v[i].nspace);
		if (rc == 0)
			rc = dec_str_dup(d, OSD_NAME_MAX, &v[i].oid);
	}
	if (rc == 0)
		rc = osd_list_cursor_decode(d, next);
	if (rc == 0) {
		rc = dec_u8(d, &e);
		if (rc == 0 && e > 1)
			rc = -EBADMSG;
		if (rc < 0)
			osd_list_cursor_fini(next);
	}
	if (rc < 0) {
		osd_list_entries_free(v, i);
		return rc;
	}
	*ents = v;
	*n = cnt;
	*end = e;
	return 0;
}
