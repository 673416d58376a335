/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_msg.c - codecs of the peering records and messages
 * (versioned envelopes, bounds-checked decoders: README "messages") and the
 * helpers that fill a struct pg_peer_actions. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "osd/peering/peering_int.h"

#define EV_BYTES 12 /* smallest encoding of an eversion */

static void enc_ev(struct enc *e, struct pg_peer_eversion v)
{
	enc_u32(e, v.epoch);
	enc_u64(e, v.v);
}

static int dec_ev(struct dec *d, struct pg_peer_eversion *v)
{
	int rc = dec_u32(d, &v->epoch);
	return rc ? rc : dec_u64(d, &v->v);
}

/* An optional string: u8 present, then the string. */
static void enc_opt_str(struct enc *e, const char *s)
{
	enc_bool(e, s != NULL);
	if (s)
		enc_str(e, s);
}

static int dec_key(struct dec *d, char **out)
{
	int rc = dec_str_dup(d, PG_PEER_KEY_MAX, out);
	if (rc == 0 && !**out) {
		mem_free(*out);
		*out = NULL;
		rc = -EBADMSG;
	}
	return rc;
}

static int dec_opt_key(struct dec *d, char **out)
{
	bool present;
	int rc = dec_bool(d, &present);
	*out = NULL;
	return rc ? rc : present ? dec_key(d, out) : 0;
}

static int dec_osd(struct dec *d, int32_t *osd)
{
	int rc = dec_s32(d, osd);
	return rc ? rc : *osd < PG_PEER_NONE ? -EBADMSG : 0;
}

static int dec_osds(struct dec *d, uint8_t *n, int32_t *osds, uint8_t cap)
{
	int rc = dec_u8(d, n);
	if (rc == 0 && *n > cap)
		rc = -EBADMSG;
	for (uint8_t i = 0; rc == 0 && i < *n; i++)
		rc = dec_osd(d, &osds[i]);
	return rc;
}

static void enc_osds(struct enc *e, uint8_t n, const int32_t *osds)
{
	enc_u8(e, n);
	for (uint8_t i = 0; i < n; i++)
		enc_s32(e, osds[i]);
}

void pg_peer_entry_encode(struct enc *e, const struct pg_peer_entry *le)
{
	enc_u8(e, le->op);
	enc_ev(e, le->version);
	enc_ev(e, le->prior_version);
	enc_str(e, le->key);
	enc_blob(e, le->aux, le->aux_len);
}

void pg_peer_entry_fini(struct pg_peer_entry *le)
{
	mem_free(le->key);
	mem_free(le->aux);
	le->key = NULL;
	le->aux = NULL;
	le->aux_len = 0;
}

int pg_peer_entry_decode(struct dec *d, struct pg_peer_entry *le)
{
	int rc;
	memset(le, 0, sizeof(*le));
	if ((rc = dec_u8(d, &le->op)) || (rc = dec_ev(d, &le->version)) ||
	    (rc = dec_ev(d, &le->prior_version)))
		return rc;
	if (le->op != PG_PEER_LOG_MODIFY && le->op != PG_PEER_LOG_DELETE)
		return -EBADMSG;
	if ((rc = dec_key(d, &le->key)))
		return rc;
	rc = dec_blob_dup(d, PG_PEER_AUX_MAX, &le->aux, &le->aux_len);
	if (rc < 0)
		pg_peer_entry_fini(le);
	return rc;
}

int pg_peer_entry_copy(struct pg_peer_entry *dst, const struct pg_peer_entry *src)
{
	struct pg_peer_entry c = *src;
	c.key = mem_strdup(src->key);
	c.aux = src->aux_len ? mem_malloc(src->aux_len) : NULL;
	if (!c.key || (src->aux_len && !c.aux)) {
		pg_peer_entry_fini(&c);
		return -ENOMEM;
	}
	if (src->aux_len)
		memcpy(c.aux, src->aux, src->aux_len);
	*dst = c;
	return 0;
}

void pg_peer_missing_encode(struct enc *e, const struct pg_peer_missing_item *m)
{
	enc_str(e, m->key);
	enc_ev(e, m->need);
	enc_bool(e, m->deleted);
}

int pg_peer_missing_decode(struct dec *d, struct pg_peer_missing_item *m)
{
	int rc;
	memset(m, 0, sizeof(*m));
	if ((rc = dec_key(d, &m->key)))
		return rc;
	if ((rc = dec_ev(d, &m->need)) || (rc = dec_bool(d, &m->deleted))) {
		mem_free(m->key);
		m->key = NULL;
	}
	return rc;
}

static void enc_mapping(struct enc *e, const struct pg_peer_mapping *m)
{
	enc_u8(e, m->size);
	enc_u8(e, m->min_size);
	enc_osds(e, m->n_up, m->up);
	enc_osds(e, m->n_acting, m->acting);
}

static int dec_mapping(struct dec *d, struct pg_peer_mapping *m)
{
	int rc;
	if ((rc = dec_u8(d, &m->size)) || (rc = dec_u8(d, &m->min_size)) ||
	    (rc = dec_osds(d, &m->n_up, m->up, PG_PEER_MAX_SIZE)))
		return rc;
	return dec_osds(d, &m->n_acting, m->acting, PG_PEER_MAX_SIZE);
}

void pg_peer_info_fini(struct pg_peer_info *i)
{
	mem_free(i->last_backfill);
	mem_free(i->past);
	i->last_backfill = NULL;
	i->past = NULL;
	i->n_past = 0;
}

int pg_peer_info_copy(struct pg_peer_info *dst, const struct pg_peer_info *src)
{
	struct pg_peer_info c = *src;
	c.last_backfill = src->last_backfill ? mem_strdup(src->last_backfill) : NULL;
	c.past = src->n_past ? mem_calloc(src->n_past, sizeof(*c.past)) : NULL;
	if ((src->last_backfill && !c.last_backfill) || (src->n_past && !c.past)) {
		pg_peer_info_fini(&c);
		return -ENOMEM;
	}
	if (src->n_past)
		memcpy(c.past, src->past, src->n_past * sizeof(*c.past));
	*dst = c;
	return 0;
}

void pg_peer_info_encode(struct enc *e, const struct pg_peer_info *i)
{
	size_t b = enc_begin(e, PG_PEER_INFO_V, 1);
	enc_s64(e, i->pool);
	enc_u32(e, i->ps);
	enc_u32(e, i->epoch);
	enc_ev(e, i->last_update);
	enc_ev(e, i->last_complete);
	enc_ev(e, i->log_tail);
	enc_u32(e, i->last_epoch_started);
	enc_u32(e, i->history_les);
	enc_u32(e, i->last_epoch_clean);
	enc_u32(e, i->same_interval_since);
	enc_u32(e, i->up_thru);
	enc_bool(e, i->backfill_complete);
	enc_opt_str(e, i->last_backfill);
	enc_mapping(e, &i->cur);
	enc_u32(e, i->n_past);
	for (uint32_t k = 0; k < i->n_past; k++) {
		const struct pg_peer_interval *pi = &i->past[k];
		enc_u32(e, pi->first);
		enc_u32(e, pi->last);
		enc_bool(e, pi->maybe_went_rw);
		enc_osds(e, pi->n_acting, pi->acting);
	}
	enc_u32(e, i->created); /* v2 */
	enc_u32(e, i->past_from);
	enc_end(e, b);
}

static int dec_past(struct dec *d, struct pg_peer_info *i)
{
	int rc = dec_array(d, 10, sizeof(*i->past), (void **)&i->past, &i->n_past);
	for (uint32_t k = 0; rc == 0 && k < i->n_past; k++) {
		struct pg_peer_interval *pi = &i->past[k];
		if ((rc = dec_u32(d, &pi->first)) || (rc = dec_u32(d, &pi->last)) ||
		    (rc = dec_bool(d, &pi->maybe_went_rw)))
			break;
		rc = dec_osds(d, &pi->n_acting, pi->acting, PG_PEER_MAX_SIZE);
		if (rc == 0 && (pi->first > pi->last || pi->last >= i->same_interval_since ||
		                (k && pi[-1].last >= pi->first)))
			rc = -EBADMSG; /* ordered, disjoint, before the interval (I3) */
	}
	return rc;
}

/* v1 (before created and past_from) decodes with both 0: such a copy
 * replayed maps from the PG's creation, its history is complete. */
static int dec_info_body(struct dec *d, uint8_t v, struct pg_peer_info *i)
{
	int rc;
	if ((rc = dec_s64(d, &i->pool)) || (rc = dec_u32(d, &i->ps)) ||
	    (rc = dec_u32(d, &i->epoch)) || (rc = dec_ev(d, &i->last_update)) ||
	    (rc = dec_ev(d, &i->last_complete)) || (rc = dec_ev(d, &i->log_tail)) ||
	    (rc = dec_u32(d, &i->last_epoch_started)) || (rc = dec_u32(d, &i->history_les)) ||
	    (rc = dec_u32(d, &i->last_epoch_clean)) || (rc = dec_u32(d, &i->same_interval_since)) ||
	    (rc = dec_u32(d, &i->up_thru)) || (rc = dec_bool(d, &i->backfill_complete)) ||
	    (rc = dec_opt_key(d, &i->last_backfill)) || (rc = dec_mapping(d, &i->cur)))
		return rc;
	if (pg_peer_ev_cmp(i->log_tail, i->last_update) > 0)
		return -EBADMSG;
	if ((rc = dec_past(d, i)) || v < 2)
		return rc;
	if ((rc = dec_u32(d, &i->created)) || (rc = dec_u32(d, &i->past_from)))
		return rc;
	if (i->past_from && i->n_past && i->past[0].first < i->past_from)
		return -EBADMSG;
	return 0;
}

int pg_peer_info_decode(struct dec *d, struct pg_peer_info *i)
{
	struct dec body;
	uint8_t v;
	memset(i, 0, sizeof(*i));
	int rc = dec_begin(d, PG_PEER_INFO_V, &v, &body);
	if (rc == 0)
		rc = dec_info_body(&body, v, i);
	if (rc < 0) {
		pg_peer_info_fini(i);
		return rc;
	}
	dec_end(d, &body);
	return 0;
}

void pg_peer_msg_init(struct pg_peer_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void pg_peer_msg_fini(struct pg_peer_msg *m)
{
	pg_peer_info_fini(&m->info);
	for (uint32_t i = 0; i < m->n_entries; i++)
		pg_peer_entry_fini(&m->entries[i]);
	for (uint32_t i = 0; i < m->n_missing; i++)
		mem_free(m->missing[i].key);
	for (uint32_t i = 0; i < m->n_objs; i++)
		mem_free(m->objs[i].key);
	mem_free(m->entries);
	mem_free(m->missing);
	mem_free(m->objs);
	mem_free(m->key);
	pg_peer_msg_init(m);
}

static void enc_log_and_missing(struct enc *e, const struct pg_peer_msg *m)
{
	enc_u32(e, m->n_entries);
	for (uint32_t i = 0; i < m->n_entries; i++)
		pg_peer_entry_encode(e, &m->entries[i]);
	enc_u32(e, m->n_missing);
	for (uint32_t i = 0; i < m->n_missing; i++)
		pg_peer_missing_encode(e, &m->missing[i]);
}

static void enc_body(struct enc *e, const struct pg_peer_msg *m)
{
	switch (m->type) {
	case PG_PEER_MSG_INFO:
		pg_peer_info_encode(e, &m->info);
		enc_log_and_missing(e, m);
		break;
	case PG_PEER_MSG_ACTIVATE:
		pg_peer_info_encode(e, &m->info);
		enc_bool(e, m->backfill);
		enc_ev(e, m->truncate);
		enc_log_and_missing(e, m);
		break;
	case PG_PEER_MSG_PULL:
	case PG_PEER_MSG_PUSH:
	case PG_PEER_MSG_PUSH_ACK:
		enc_str(e, m->key);
		enc_ev(e, m->version);
		enc_bool(e, m->deleted);
		enc_bool(e, m->backfill);
		enc_s32(e, m->primary);
		enc_osds(e, m->n_targets, m->targets);
		break;
	case PG_PEER_MSG_SCAN:
	case PG_PEER_MSG_SCAN_REPLY:
	case PG_PEER_MSG_PROGRESS:
	case PG_PEER_MSG_PROGRESS_ACK:
		enc_opt_str(e, m->key);
		enc_u64(e, m->tag);
		enc_u32(e, m->max);
		enc_bool(e, m->done);
		enc_ev(e, m->version);
		enc_u32(e, m->n_objs);
		for (uint32_t i = 0; i < m->n_objs; i++) {
			enc_str(e, m->objs[i].key);
			enc_ev(e, m->objs[i].version);
		}
		break;
	default: /* QUERY, ACTIVATE_ACK, CLEAN: header only */
		break;
	}
}

void pg_peer_msg_encode(struct enc *e, const struct pg_peer_msg *m)
{
	size_t b = enc_begin(e, PG_PEER_MSG_V, 1);
	enc_u8(e, m->type);
	enc_s64(e, m->pool);
	enc_u32(e, m->ps);
	enc_s32(e, m->from);
	enc_u32(e, m->epoch);
	enc_u32(e, m->interval);
	enc_body(e, m);
	enc_end(e, b);
}

static int dec_log_and_missing(struct dec *d, struct pg_peer_msg *m)
{
	int rc = dec_array(d, 30, sizeof(*m->entries), (void **)&m->entries, &m->n_entries);
	for (uint32_t i = 0; rc == 0 && i < m->n_entries; i++) {
		rc = pg_peer_entry_decode(d, &m->entries[i]);
		if (rc == 0 && i &&
		    pg_peer_ev_cmp(m->entries[i - 1].version, m->entries[i].version) >= 0)
			rc = -EBADMSG;
	}
	if (rc == 0 && m->n_entries > PG_PEER_LIST_MAX)
		rc = -EBADMSG;
	if (rc == 0)
		rc = dec_array(d, 18, sizeof(*m->missing), (void **)&m->missing, &m->n_missing);
	for (uint32_t i = 0; rc == 0 && i < m->n_missing; i++) {
		rc = pg_peer_missing_decode(d, &m->missing[i]);
		if (rc == 0 && i && strcmp(m->missing[i - 1].key, m->missing[i].key) >= 0)
			rc = -EBADMSG;
	}
	return rc == 0 && m->n_missing > PG_PEER_LIST_MAX ? -EBADMSG : rc;
}

static int dec_objs(struct dec *d, struct pg_peer_msg *m)
{
	int rc = dec_array(d, 17, sizeof(*m->objs), (void **)&m->objs, &m->n_objs);
	for (uint32_t i = 0; rc == 0 && i < m->n_objs; i++) {
		if ((rc = dec_key(d, &m->objs[i].key)) == 0)
			rc = dec_ev(d, &m->objs[i].version);
		if (rc == 0 && i && strcmp(m->objs[i - 1].key, m->objs[i].key) >= 0)
			rc = -EBADMSG;
	}
	return rc == 0 && m->n_objs > PG_PEER_LIST_MAX ? -EBADMSG : rc;
}

static int dec_body(struct dec *d, struct pg_peer_msg *m)
{
	int rc;
	switch (m->type) {
	case PG_PEER_MSG_INFO:
		rc = pg_peer_info_decode(d, &m->info);
		return rc ? rc : dec_log_and_missing(d, m);
	case PG_PEER_MSG_ACTIVATE:
		if ((rc = pg_peer_info_decode(d, &m->info)) || (rc = dec_bool(d, &m->backfill)) ||
		    (rc = dec_ev(d, &m->truncate)))
			return rc;
		return dec_log_and_missing(d, m);
	case PG_PEER_MSG_PULL:
	case PG_PEER_MSG_PUSH:
	case PG_PEER_MSG_PUSH_ACK:
		if ((rc = dec_key(d, &m->key)) || (rc = dec_ev(d, &m->version)) ||
		    (rc = dec_bool(d, &m->deleted)) || (rc = dec_bool(d, &m->backfill)) ||
		    (rc = dec_osd(d, &m->primary)))
			return rc;
		return dec_osds(d, &m->n_targets, m->targets, PG_PEER_MAX_SIZE + 1);
	case PG_PEER_MSG_SCAN:
	case PG_PEER_MSG_SCAN_REPLY:
	case PG_PEER_MSG_PROGRESS:
	case PG_PEER_MSG_PROGRESS_ACK:
		if ((rc = dec_opt_key(d, &m->key)) || (rc = dec_u64(d, &m->tag)) ||
		    (rc = dec_u32(d, &m->max)) || (rc = dec_bool(d, &m->done)) ||
		    (rc = dec_ev(d, &m->version)))
			return rc;
		return dec_objs(d, m);
	default:
		return 0;
	}
}

int pg_peer_msg_decode(const void *p, size_t n, struct pg_peer_msg *m)
{
	struct dec d, body;
	uint8_t v;
	int rc;

	pg_peer_msg_init(m);
	dec_init(&d, p, n);
	if ((rc = dec_begin(&d, PG_PEER_MSG_V, &v, &body)))
		return rc;
	if ((rc = dec_u8(&body, &m->type)) || (rc = dec_s64(&body, &m->pool)) ||
	    (rc = dec_u32(&body, &m->ps)) || (rc = dec_osd(&body, &m->from)) ||
	    (rc = dec_u32(&body, &m->epoch)) || (rc = dec_u32(&body, &m->interval)))
		return rc;
	if (m->type < PG_PEER_MSG_QUERY || m->type > PG_PEER_MSG_TYPE_MAX)
		return -EBADMSG;
	rc = dec_body(&body, m);
	if (rc < 0)
		pg_peer_msg_fini(m);
	return rc;
}

/* ---- actions ---- */

void pg_peer_actions_init(struct pg_peer_actions *a)
{
	memset(a, 0, sizeof(*a));
	a->reason_osd = PG_PEER_NONE;
}

void pg_peer_actions_reset(struct pg_peer_actions *a)
{
	for (size_t i = 0; i < a->n_ops; i++) {
		pg_peer_entry_fini(&a->ops[i].entry);
		mem_free(a->ops[i].key);
		mem_free(a->ops[i].data);
	}
	for (size_t i = 0; i < a->n_msgs; i++)
		mem_free(a->msgs[i].data);
	for (size_t i = 0; i < a->n_work; i++) {
		mem_free(a->work[i].key);
		mem_free(a->work[i].msg);
		mem_free(a->work[i].after);
	}
	mem_free(a->ops);
	mem_free(a->msgs);
	mem_free(a->work);
	pg_peer_actions_init(a);
}

void pg_peer_actions_fini(struct pg_peer_actions *a)
{
	pg_peer_actions_reset(a);
}

static void act_err(struct pg_peer_actions *a, int err)
{
	if (!a->err)
		a->err = err;
}

/* A new zeroed op; NULL (and a->err set) when out of memory. */
struct pg_peer_op *pg_peer_act_op(struct pg_peer_actions *a, enum pg_peer_op_kind kind)
{
	if (mem_grow(&a->ops, sizeof(*a->ops), &a->cap_ops, a->n_ops + 1) < 0) {
		act_err(a, -ENOMEM);
		return NULL;
	}
	struct pg_peer_op *op = &a->ops[a->n_ops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

void pg_peer_act_key(struct pg_peer_actions *a, enum pg_peer_op_kind kind, const char *key,
                     struct pg_peer_eversion v)
{
	struct pg_peer_op *op = pg_peer_act_op(a, kind);
	if (!op)
		return;
	op->version = v;
	if (key && !(op->key = mem_strdup(key)))
		act_err(a, -ENOMEM);
}

void pg_peer_act_missing(struct pg_peer_actions *a, const struct pg_peer_missing_item *it)
{
	pg_peer_act_key(a, PG_PEER_OP_MISSING_ADD, it->key, it->need);
	if (a->n_ops && a->ops[a->n_ops - 1].kind == PG_PEER_OP_MISSING_ADD)
		a->ops[a->n_ops - 1].deleted = it->deleted;
}

/* Persists p's info as it is now. */
void pg_peer_act_info(struct pg_peer *p, struct pg_peer_actions *a)
{
	struct pg_peer_op *op = pg_peer_act_op(a, PG_PEER_OP_INFO);
	struct enc e;
	if (!op)
		return;
	p->info.epoch = p->epoch;
	p->info.last_update = p->log.head;
	p->info.log_tail = p->log.tail;
	p->info.last_complete = p->missing.n ? p->info.last_complete : p->log.head;
	enc_init(&e);
	pg_peer_info_encode(&e, &p->info);
	if (enc_error(&e))
		act_err(a, enc_error(&e));
	op->data = enc_take(&e, &op->len);
	enc_fini(&e);
}

void pg_peer_act_send(struct pg_peer_actions *a, int32_t to, const struct pg_peer_msg *m)
{
	struct enc e;
	if (mem_grow(&a->msgs, sizeof(*a->msgs), &a->cap_msgs, a->n_msgs + 1) < 0) {
		act_err(a, -ENOMEM);
		return;
	}
	enc_init(&e);
	pg_peer_msg_encode(&e, m);
	if (enc_error(&e)) {
		act_err(a, enc_error(&e));
		enc_fini(&e);
		return;
	}
	struct pg_peer_msg_out *o = &a->msgs[a->n_msgs++];
	o->to = to;
	o->data = enc_take(&e, &o->len);
	enc_fini(&e);
}

struct pg_peer_work *pg_peer_act_work(struct pg_peer_actions *a, enum pg_peer_work_kind kind)
{
	if (mem_grow(&a->work, sizeof(*a->work), &a->cap_work, a->n_work + 1) < 0) {
		act_err(a, -ENOMEM);
		return NULL;
	}
	struct pg_peer_work *w = &a->work[a->n_work++];
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	return w;
}
