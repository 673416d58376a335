/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/message.c - struct msg lifecycle, the type registry that turns wire
 * segments into typed messages, the built-in ping message, the "none"
 * authentication hook and the option snapshot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cfg.h"
#include "common/enc.h"
#include "common/mem.h"
#include "msg/msg.h"

#define REGISTRY_MAX 4096

struct msg_registry {
	const struct msg_type_ops **ops; /* sorted by type */
	size_t n, cap;
};

static void msg_init(struct msg *m, uint16_t type)
{
	m->type = type;
	m->priority = MSG_PRIO_DEFAULT;
	refcnt_init(&m->ref, 1);
	list_init(&m->node);
}

int msg_create(uint16_t type, struct msg **out)
{
	struct msg *m = mem_calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	msg_init(m, type);
	*out = m;
	return 0;
}

int msg_create_typed(const struct msg_type_ops *ops, struct msg **out)
{
	struct msg *m = mem_calloc(1, ops->size);

	if (!m)
		return -ENOMEM;
	msg_init(m, ops->type);
	m->ops = ops;
	m->version = ops->version;
	*out = m;
	return 0;
}

struct msg *msg_get(struct msg *m)
{
	refcnt_inc(&m->ref);
	return m;
}

void msg_put(struct msg *m)
{
	if (!m || !refcnt_dec_is_last(&m->ref))
		return;
	if (m->ops && m->ops->fini)
		m->ops->fini(m);
	buf_put(m->front);
	buf_put(m->middle);
	buf_put(m->data);
	msg_conn_put(m->conn);
	mem_free(m);
}

size_t msg_payload_len(const struct msg *m)
{
	return (m->front ? buf_len(m->front) : 0) + (m->middle ? buf_len(m->middle) : 0) +
	       (m->data ? buf_len(m->data) : 0);
}

int msg_encode(struct msg *m)
{
	struct enc e;
	struct buf *front;
	uint8_t *bytes;
	size_t pos, len;
	int rc;

	if (!m->ops || m->front)
		return 0;
	enc_init(&e);
	pos = enc_begin(&e, m->ops->version, m->ops->compat);
	m->ops->encode(m, &e);
	enc_end(&e, pos);
	rc = enc_error(&e);
	if (rc)
		goto out_fini;
	rc = buf_create(&front);
	if (rc)
		goto out_fini;
	bytes = enc_take(&e, &len);
	rc = buf_append_ext(front, bytes, len, NULL, NULL);
	if (rc) {
		mem_free(bytes);
		buf_put(front);
		goto out_fini;
	}
	m->front = front;
	m->version = m->ops->version;
out_fini:
	enc_fini(&e);
	return rc;
}

int msg_registry_create(struct msg_registry **out)
{
	struct msg_registry *r = mem_calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*out = r;
	return 0;
}

void msg_registry_destroy(struct msg_registry *reg)
{
	if (!reg)
		return;
	mem_free(reg->ops);
	mem_free(reg);
}

/* Index of the first entry with type >= t. */
static size_t reg_lower(const struct msg_registry *r, uint16_t t)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->ops[mid]->type < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int msg_registry_add(struct msg_registry *reg, const struct msg_type_ops *ops)
{
	size_t i;
	int rc;

	if (!ops->encode || !ops->decode || ops->size < sizeof(struct msg) || !ops->name ||
	    ops->compat > ops->version || reg->n >= REGISTRY_MAX)
		return -EINVAL;
	i = reg_lower(reg, ops->type);
	if (i < reg->n && reg->ops[i]->type == ops->type)
		return -EEXIST;
	rc = mem_grow(&reg->ops, sizeof(*reg->ops), &reg->cap, reg->n + 1);
	if (rc)
		return rc;
	memmove(&reg->ops[i + 1], &reg->ops[i], (reg->n - i) * sizeof(*reg->ops));
	reg->ops[i] = ops;
	reg->n++;
	return 0;
}

const struct msg_type_ops *msg_registry_find(const struct msg_registry *reg, uint16_t type)
{
	size_t i = reg ? reg_lower(reg, type) : 0;

	return reg && i < reg->n && reg->ops[i]->type == type ? reg->ops[i] : NULL;
}

/* Decodes the front envelope of m into its typed fields. */
static int decode_front(struct msg *m)
{
	struct dec d, body;
	const void *p;
	void *copy = NULL;
	size_t len = m->front ? buf_len(m->front) : 0;
	uint8_t v;
	int rc;

	if (len == 0)
		return -EBADMSG;
	if (buf_nseg(m->front) > 1) {
		copy = mem_malloc(len);
		if (!copy)
			return -ENOMEM;
	}
	rc = buf_peek(m->front, 0, len, copy, &p);
	if (rc)
		goto out_free;
	dec_init(&d, p, len);
	rc = dec_begin(&d, m->ops->version, &v, &body);
	if (!rc)
		rc = m->ops->decode(m, &body, v);
	if (!rc)
		dec_end(&d, &body);
out_free:
	mem_free(copy);
	return rc;
}

int msg_registry_decode(const struct msg_registry *reg, uint16_t type, uint16_t version,
                        struct buf *front, struct buf *middle, struct buf *data, struct msg **out)
{
	const struct msg_type_ops *ops = msg_registry_find(reg, type);
	struct msg *m = mem_calloc(1, ops ? ops->size : sizeof(*m));
	int rc;

	if (!m) {
		buf_put(front);
		buf_put(middle);
		buf_put(data);
		return -ENOMEM;
	}
	msg_init(m, type);
	m->version = version;
	m->front = front;
	m->middle = middle;
	m->data = data;
	m->ops = ops;
	if (ops) {
		rc = decode_front(m);
		if (rc) {
			msg_put(m);
			return rc;
		}
	}
	*out = m;
	return 0;
}

/* ---- the ping message ---- */
static void ping_encode(const struct msg *m, struct enc *e)
{
	const struct msg_ping *p = (const struct msg_ping *)m;

	enc_u32(e, p->src);
	enc_u32(e, p->flags);
	enc_u64(e, p->counter);
	enc_u64(e, p->stamp);
}

static int ping_decode(struct msg *m, struct dec *d, uint8_t struct_v)
{
	struct msg_ping *p = (struct msg_ping *)m;

	(void)struct_v;
	if (dec_u32(d, &p->src) || dec_u32(d, &p->flags) || dec_u64(d, &p->counter) ||
	    dec_u64(d, &p->stamp))
		return -EBADMSG;
	return 0;
}

const struct msg_type_ops msg_ping_ops = {
	.type = MSG_TYPE_PING,
	.name = "ping",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct msg_ping),
	.encode = ping_encode,
	.decode = ping_decode,
};

int msg_ping_create(uint32_t src, uint64_t counter, struct msg_ping **out)
{
	struct msg *m;
	int rc = msg_create_typed(&msg_ping_ops, &m);

	if (rc)
		return rc;
	*out = (struct msg_ping *)m;
	(*out)->src = src;
	(*out)->counter = counter;
	return 0;
}

/* ---- authentication "none" and options ---- */
static int none_verify(void *arg, const struct msg_entity *peer, const void *p, size_t n)
{
	(void)arg, (void)peer, (void)p;
	return n == 0 ? 0 : -EACCES;
}

const struct msg_auth_ops msg_auth_none = { .name = "none", .verify = none_verify };

void msg_opts_default(struct msg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->workers = 2;
	o->max_message_size = 256ull << 20;
	o->crc_header = o->crc_data = o->tcp_nodelay = true;
	o->keepalive_interval = 5;
	o->idle_timeout = 900;
	o->initial_backoff = 0.2;
	o->max_backoff = 15;
	o->dispatch_throttle_bytes = 100ull << 20;
	strcpy(o->bind_addr, "127.0.0.1");
	o->bind_port_min = 6800;
	o->bind_port_max = 7568;
	o->auth = &msg_auth_none;
}

int msg_opts_load(const struct cfg *c, struct msg_opts *o)
{
	msg_opts_default(o);
	if (strcmp(cfg_str(c, CFG_KEY_ms_auth), "none") != 0)
		return -EINVAL;
	o->workers = (unsigned)cfg_int(c, CFG_KEY_ms_workers);
	o->max_message_size = cfg_size(c, CFG_KEY_ms_max_message_size);
	o->crc_header = cfg_bool(c, CFG_KEY_ms_crc_header);
	o->crc_data = cfg_bool(c, CFG_KEY_ms_crc_data);
	o->tcp_nodelay = cfg_bool(c, CFG_KEY_ms_tcp_nodelay);
	o->keepalive_interval = cfg_double(c, CFG_KEY_ms_keepalive_interval);
	o->idle_timeout = cfg_double(c, CFG_KEY_ms_connection_idle_timeout);
	o->initial_backoff = cfg_double(c, CFG_KEY_ms_initial_backoff);
	o->max_backoff = cfg_double(c, CFG_KEY_ms_max_backoff);
	o->dispatch_throttle_bytes = cfg_size(c, CFG_KEY_ms_dispatch_throttle_bytes);
	o->conn_throttle_bytes = cfg_size(c, CFG_KEY_ms_conn_throttle_bytes);
	o->conn_throttle_msgs = (uint64_t)cfg_int(c, CFG_KEY_ms_conn_throttle_msgs);
	o->inject_socket_failures = cfg_int(c, CFG_KEY_ms_inject_socket_failures);
	o->inject_delay_probability = cfg_double(c, CFG_KEY_ms_inject_delay_probability);
	o->inject_delay_max = cfg_double(c, CFG_KEY_ms_inject_delay_max);
	o->inject_drop_probability = cfg_double(c, CFG_KEY_ms_inject_drop_probability);
	snprintf(o->bind_addr, sizeof(o->bind_addr), "%s", cfg_str(c, CFG_KEY_ms_bind_addr));
	o->bind_port_min = (int)cfg_int(c, CFG_KEY_ms_bind_port_min);
	o->bind_port_max = (int)cfg_int(c, CFG_KEY_ms_bind_port_max);
	return 0;
}
