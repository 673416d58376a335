/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/raft_msg.c - the consensus wire codec (one envelope per message, every
 * read bounds-checked) and the helpers that fill struct mon_raft_actions. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "mon/raft_int.h"

/* Smallest encoded entry: u64 term, u8 type, u32 length. */
#define ENTRY_MIN 13u

static void enc_entries(struct enc *e, const struct mon_raft_msg *m)
{
	enc_u32(e, m->n_entries);
	for (uint32_t i = 0; i < m->n_entries; i++) {
		enc_u64(e, m->entries[i].term);
		enc_u8(e, m->entries[i].type);
		enc_blob(e, m->entries[i].data, m->entries[i].len);
	}
}

static void enc_body(struct enc *e, const struct mon_raft_msg *m)
{
	switch (m->type) {
	case MON_RAFT_MSG_VOTE_REQ:
		enc_bool(e, m->prevote);
		enc_u64(e, m->last_index);
		enc_u64(e, m->last_term);
		break;
	case MON_RAFT_MSG_VOTE_RESP:
		enc_bool(e, m->prevote);
		enc_bool(e, m->granted);
		break;
	case MON_RAFT_MSG_APPEND:
		enc_u64(e, m->prev_index);
		enc_u64(e, m->prev_term);
		enc_u64(e, m->commit);
		enc_u64(e, m->leader_ts);
		enc_u64(e, m->echo_ts);
		enc_u32(e, m->lease_ms);
		enc_u64(e, m->lease_commit);
		enc_entries(e, m);
		break;
	case MON_RAFT_MSG_APPEND_RESP:
		enc_bool(e, m->success);
		enc_u64(e, m->match);
		enc_u64(e, m->echo_ts);
		enc_u64(e, m->follower_ts);
		break;
	default: /* MON_RAFT_MSG_SNAP */
		enc_u64(e, m->snap_index);
		enc_u64(e, m->snap_term);
		enc_u64(e, m->snap_conf);
		enc_u64(e, m->leader_ts);
		enc_blob(e, m->snap_data, m->snap_len);
		break;
	}
}

int mon_raft_msg_encode(const struct mon_raft_msg *m, struct enc *e)
{
	if (m->type < MON_RAFT_MSG_VOTE_REQ || m->type > MON_RAFT_MSG_SNAP)
		return -EINVAL;
	size_t pos = enc_begin(e, MON_RAFT_MSG_V, 1);
	enc_u8(e, m->type);
	enc_u32(e, m->from);
	enc_u32(e, m->to);
	enc_u64(e, m->term);
	enc_body(e, m);
	enc_end(e, pos);
	return enc_error(e);
}

static int dec_entries(struct dec *d, struct mon_raft_msg *m)
{
	uint32_t n;
	int rc = dec_count(d, ENTRY_MIN, &n);
	if (rc < 0 || n == 0)
		return rc;
	m->entries = mem_calloc(n, sizeof(*m->entries));
	if (!m->entries)
		return -ENOMEM;
	m->n_entries = n;
	for (uint32_t i = 0; i < n; i++) {
		struct mon_raft_entry *en = &m->entries[i];
		const void *p;
		en->index = m->prev_index + 1 + i;
		if (dec_u64(d, &en->term) || dec_u8(d, &en->type) || dec_blob_ref(d, &p, &en->len))
			return -EBADMSG;
		if (en->type > MON_RAFT_ENTRY_CONF || en->term == 0 ||
		    (en->type == MON_RAFT_ENTRY_CONF && en->len != 8))
			return -EBADMSG;
		en->data = (uint8_t *)p; /* points into the input; never freed */
	}
	return 0;
}

static int dec_append(struct dec *d, struct mon_raft_msg *m)
{
	if (dec_u64(d, &m->prev_index) || dec_u64(d, &m->prev_term) || dec_u64(d, &m->commit) ||
	    dec_u64(d, &m->leader_ts) || dec_u64(d, &m->echo_ts) || dec_u32(d, &m->lease_ms) ||
	    dec_u64(d, &m->lease_commit))
		return -EBADMSG;
	if (m->prev_index > UINT64_MAX / 2)
		return -EBADMSG; /* keeps index arithmetic far from overflow */
	return dec_entries(d, m);
}

static int dec_body(struct dec *d, struct mon_raft_msg *m)
{
	const void *p;
	switch (m->type) {
	case MON_RAFT_MSG_VOTE_REQ:
		return dec_bool(d, &m->prevote) || dec_u64(d, &m->last_index) ||
		               dec_u64(d, &m->last_term)
		           ? -EBADMSG
		           : 0;
	case MON_RAFT_MSG_VOTE_RESP:
		return dec_bool(d, &m->prevote) || dec_bool(d, &m->granted) ? -EBADMSG : 0;
	case MON_RAFT_MSG_APPEND:
		return dec_append(d, m);
	case MON_RAFT_MSG_APPEND_RESP:
		return dec_bool(d, &m->success) || dec_u64(d, &m->match) ||
		               dec_u64(d, &m->echo_ts) || dec_u64(d, &m->follower_ts)
		           ? -EBADMSG
		           : 0;
	case MON_RAFT_MSG_SNAP:
		if (dec_u64(d, &m->snap_index) || dec_u64(d, &m->snap_term) ||
		    dec_u64(d, &m->snap_conf) || dec_u64(d, &m->leader_ts) ||
		    dec_blob_ref(d, &p, &m->snap_len))
			return -EBADMSG;
		m->snap_data = p;
		return m->snap_index > UINT64_MAX / 2 ? -EBADMSG : 0;
	default:
		return -EBADMSG;
	}
}

int mon_raft_msg_decode(const void *p, size_t n, struct mon_raft_msg *m)
{
	struct dec d, body;
	uint8_t v;
	int rc;

	memset(m, 0, sizeof(*m));
	dec_init(&d, p, n);
	rc = dec_begin(&d, MON_RAFT_MSG_V, &v, &body);
	if (rc < 0)
		return rc;
	if (dec_u8(&body, &m->type) || dec_u32(&body, &m->from) || dec_u32(&body, &m->to) ||
	    dec_u64(&body, &m->term))
		return -EBADMSG;
	if (m->from >= MON_RAFT_MAX_ID || m->to >= MON_RAFT_MAX_ID)
		return -EBADMSG;
	rc = dec_body(&body, m);
	if (rc < 0) {
		mon_raft_msg_fini(m);
		return rc;
	}
	dec_end(&d, &body);
	return 0;
}

void mon_raft_msg_fini(struct mon_raft_msg *m)
{
	mem_free(m->entries);
	m->entries = NULL;
	m->n_entries = 0;
}

/* --- actions --- */

void mon_raft_actions_init(struct mon_raft_actions *a)
{
	memset(a, 0, sizeof(*a));
}

void mon_raft_actions_reset(struct mon_raft_actions *a)
{
	for (size_t i = 0; i < a->n_ops; i++) {
		mem_free(a->ops[i].entry.data);
		mem_free(a->ops[i].data);
	}
	for (size_t i = 0; i < a->n_msgs; i++)
		mem_free(a->msgs[i].data);
	for (size_t i = 0; i < a->n_apply; i++)
		mem_free(a->apply[i].data);
	a->n_ops = a->n_msgs = a->n_apply = 0;
	a->snap_peers = 0;
	a->role_changed = a->conf_changed = false;
	a->err = 0;
}

void mon_raft_actions_fini(struct mon_raft_actions *a)
{
	mon_raft_actions_reset(a);
	mem_free(a->ops);
	mem_free(a->msgs);
	mem_free(a->apply);
	memset(a, 0, sizeof(*a));
}

void mon_raft_act_send(struct mon_raft_actions *a, const struct mon_raft_msg *m)
{
	struct enc e;
	int rc = mem_grow(&a->msgs, sizeof(*a->msgs), &a->cap_msgs, a->n_msgs + 1);
	if (rc < 0) {
		a->err = a->err ? a->err : rc;
		return;
	}
	enc_init(&e);
	rc = mon_raft_msg_encode(m, &e);
	if (rc < 0) {
		enc_fini(&e);
		a->err = a->err ? a->err : rc;
		return;
	}
	struct mon_raft_msg_out *o = &a->msgs[a->n_msgs++];
	o->to = m->to;
	o->data = enc_take(&e, &o->len);
	enc_fini(&e);
}

struct mon_raft_op *mon_raft_act_op(struct mon_raft_actions *a, enum mon_raft_op_kind kind)
{
	static _Thread_local struct mon_raft_op sink; /* absorbs writes after -ENOMEM */
	int rc = mem_grow(&a->ops, sizeof(*a->ops), &a->cap_ops, a->n_ops + 1);
	if (rc < 0) {
		a->err = a->err ? a->err : rc;
		memset(&sink, 0, sizeof(sink));
		return &sink;
	}
	struct mon_raft_op *op = &a->ops[a->n_ops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

int mon_raft_entry_copy(struct mon_raft_entry *dst, const struct mon_raft_entry *src)
{
	*dst = *src;
	dst->data = NULL;
	if (src->len == 0)
		return 0;
	dst->data = mem_malloc(src->len);
	if (!dst->data)
		return -ENOMEM;
	memcpy(dst->data, src->data, src->len);
	return 0;
}

void mon_raft_act_entry(struct mon_raft_actions *a, const struct mon_raft_entry *e)
{
	struct mon_raft_op *op = mon_raft_act_op(a, MON_RAFT_OP_ENTRY);
	if (a->err)
		return;
	if (mon_raft_entry_copy(&op->entry, e) < 0) {
		a->n_ops--;
		a->err = -ENOMEM;
	}
}

void mon_raft_act_apply(struct mon_raft_actions *a, const struct mon_raft_entry *e)
{
	int rc = mem_grow(&a->apply, sizeof(*a->apply), &a->cap_apply, a->n_apply + 1);
	if (rc == 0)
		rc = mon_raft_entry_copy(&a->apply[a->n_apply], e);
	if (rc < 0) {
		a->err = a->err ? a->err : rc;
		return;
	}
	a->n_apply++;
}
