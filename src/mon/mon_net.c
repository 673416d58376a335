/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_net.c - the monitor's transport: its messenger, the internal
 * message types between monitors (consensus messages, forwarded client
 * messages and their replies), and the queue that moves every received
 * message from the messenger's dispatch thread to the main loop.
 *
 * DESIGN
 * Thread hand-off: dispatch callbacks (messenger dispatch thread) wrap each
 * message or connection reset in a struct inev and push it on m->inq under
 * m->q_lock, then uv_async_send(&m->wake). The main loop pops events one at
 * a time, and only while no consensus batch is in flight (m->busy), so that
 * every consensus call sees a fully persisted previous batch.
 * Invariants: q_lock guards inq and nothing else and is never held while a
 * handler runs; peers[id] is NULL or a lossless connection to the monitor
 * with member id `id` in the committed MonMap.
 * Edges: dispatch/reset -> enqueue (dispatch thread); on_wake ->
 * mon_net_drain -> route (loop). */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "monc/mon_proto.h"
#include "mon/mon.h"

#define RAFT_QUEUE_MAX 2048 /* unacked consensus messages to one peer before dropping */

struct mon_msg_raft {
	struct msg m;
	uint8_t *data;
	uint32_t len;
};

struct mon_msg_fwd {
	struct msg m;
	uint64_t fwd_tid;
	uint16_t type, version;
	uint8_t *front;
	uint32_t len;
};

struct mon_msg_fwd_reply {
	struct msg m;
	uint64_t fwd_tid;
	int32_t rc;
	char *status;
	uint8_t *out;
	uint32_t out_len;
};

struct inev {
	struct list_node node;
	struct msg *msg;        /* or */
	struct msg_conn *reset; /* a connection that went away */
};

static void raft_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_raft *r = (const void *)m;

	enc_blob(e, r->data, r->len);
}

static int raft_decode(struct msg *m, struct dec *d, uint8_t v)
{
	(void)v;
	return dec_blob_dup(d, MON_DATA_MAX, &((struct mon_msg_raft *)(void *)m)->data,
	                    &((struct mon_msg_raft *)(void *)m)->len);
}

static void raft_fini(struct msg *m)
{
	mem_free(((struct mon_msg_raft *)(void *)m)->data);
}

static void fwd_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_fwd *f = (const void *)m;

	enc_u64(e, f->fwd_tid);
	enc_u16(e, f->type);
	enc_u16(e, f->version);
	enc_blob(e, f->front, f->len);
}

static int fwd_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_fwd *f = (void *)m;
	int rc = dec_u64(d, &f->fwd_tid);

	(void)v;
	if (rc == 0)
		rc = dec_u16(d, &f->type);
	if (rc == 0)
		rc = dec_u16(d, &f->version);
	return rc ? rc : dec_blob_dup(d, MON_DATA_MAX, &f->front, &f->len);
}

static void fwd_fini(struct msg *m)
{
	mem_free(((struct mon_msg_fwd *)(void *)m)->front);
}

static void fwd_reply_encode(const struct msg *m, struct enc *e)
{
	const struct mon_msg_fwd_reply *r = (const void *)m;

	enc_u64(e, r->fwd_tid);
	enc_s32(e, r->rc);
	enc_str(e, r->status);
	enc_blob(e, r->out, r->out_len);
}

static int fwd_reply_decode(struct msg *m, struct dec *d, uint8_t v)
{
	struct mon_msg_fwd_reply *r = (void *)m;
	int rc = dec_u64(d, &r->fwd_tid);

	(void)v;
	if (rc == 0)
		rc = dec_s32(d, &r->rc);
	if (rc == 0)
		rc = dec_str_dup(d, MON_CMD_MAX, &r->status);
	if (rc == 0)
		rc = dec_blob_dup(d, MON_DATA_MAX, &r->out, &r->out_len);
	if (rc == 0 && r->rc > 0)
		rc = -EBADMSG;
	return rc;
}

static void fwd_reply_fini(struct msg *m)
{
	mem_free(((struct mon_msg_fwd_reply *)(void *)m)->status);
	mem_free(((struct mon_msg_fwd_reply *)(void *)m)->out);
}

static const struct msg_type_ops raft_ops = {
	.type = MON_MSG_RAFT,
	.name = "mon_raft",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_raft),
	.encode = raft_encode,
	.decode = raft_decode,
	.fini = raft_fini,
};
static const struct msg_type_ops fwd_ops = {
	.type = MON_MSG_FWD,
	.name = "mon_forward",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_fwd),
	.encode = fwd_encode,
	.decode = fwd_decode,
	.fini = fwd_fini,
};
static const struct msg_type_ops fwd_reply_ops;

int mon_net_register(struct msg_registry *reg)
{
	int rc;

	if ((rc = mon_proto_register(reg)) < 0 || (rc = msg_registry_add(reg, &raft_ops)) < 0 ||
	    (rc = msg_registry_add(reg, &fwd_ops)) < 0)
		return rc;
	return msg_registry_add(reg, &fwd_reply_ops);
}

static const struct msg_type_ops fwd_reply_ops = {
	.type = MON_MSG_FWD_REPLY,
	.name = "mon_forward_reply",
	.version = 1,
	.compat = 1,
	.size = sizeof(struct mon_msg_fwd_reply),
	.encode = fwd_reply_encode,
	.decode = fwd_reply_decode,
	.fini = fwd_reply_fini,
};

/* --- dispatch thread -> loop ------------------------------------------------ */

static void enqueue(struct mon *m, struct msg *msg, struct msg_conn *reset)
{
	struct inev *ev = mem_calloc(1, sizeof(*ev));

	if (!ev) {
		log_err(mon, "out of memory: dropping a received message");
		msg_put(msg);
		return;
	}
	ev->msg = msg;
	ev->reset = reset ? msg_conn_get(reset) : NULL;
	pthread_mutex_lock(&m->q_lock);
	list_push_back(&m->inq, &ev->node);
	pthread_mutex_unlock(&m->q_lock);
	uv_async_send(&m->wake);
}

static void on_dispatch(struct msg *msg, void *arg)
{
	enqueue(arg, msg, NULL);
}

static void on_reset(struct msg_conn *c, void *arg)
{
	enqueue(arg, NULL, c);
}

static struct inev *pop(struct mon *m)
{
	struct list_node *n;

	pthread_mutex_lock(&m->q_lock);
	n = list_pop_front(&m->inq);
	pthread_mutex_unlock(&m->q_lock);
	return n ? LIST_CONTAINER(n, struct inev, node) : NULL;
}

static void peer_seen(struct mon *m, struct msg *msg)
{
	const struct msg_entity *e = msg->conn ? msg_conn_peer(msg->conn) : NULL;
	int r;

	if (!e || e->type != MSG_ENTITY_MON)
		return;
	r = monmap_rank(&m->svc.monmap, e->id);
	if (r >= 0)
		m->peer_seen_ms[m->svc.monmap.mons[r].id] = mon_now_ms();
}

static void handle_fwd(struct mon *m, struct mon_msg_fwd *f)
{
	const struct msg_type_ops *ops = msg_registry_find(m->reg, f->type);
	struct msg *inner = NULL;
	struct buf *b = NULL;
	int rc = -EBADMSG;

	if (ops && ops->type >= MON_MSG_COMMAND && ops->type <= MON_MSG_PG_STATS &&
	    buf_create(&b) == 0 && buf_append(b, f->front, f->len) == 0)
		rc = msg_registry_decode(m->reg, f->type, f->version, b, NULL, NULL, &inner);
	else
		buf_put(b);
	if (rc < 0) {
		log_warn(mon, "dropping a forwarded message of type %u: %s", f->type,
		         strerror(-rc));
		return;
	}
	inner->conn = msg_conn_get(f->m.conn);
	if (inner->type == MON_MSG_COMMAND) {
		((struct mon_msg_command *)(void *)inner)->tid = f->fwd_tid;
		mon_cmd_handle(m, (void *)inner, f->m.conn, true);
		msg_put(inner);
	} else if (mon_is_leader(m) && inner->type == MON_MSG_PG_STATS) {
		mon_pg_handle(m, inner);
	} else if (mon_is_leader(m)) {
		mon_osd_handle(m, inner);
	} else {
		msg_put(inner);
	}
}

static void route(struct mon *m, struct msg *msg)
{
	peer_seen(m, msg);
	switch (msg->type) {
	case MON_MSG_RAFT:
		mon_consensus_step(m, ((struct mon_msg_raft *)(void *)msg)->data,
		                   ((struct mon_msg_raft *)(void *)msg)->len);
		break;
	case MON_MSG_FWD:
		handle_fwd(m, (void *)msg);
		break;
	case MON_MSG_FWD_REPLY: {
		struct mon_msg_fwd_reply *r = (void *)msg;

		mon_cmd_fwd_reply(m, r->fwd_tid, r->rc, r->status, (char *)r->out, r->out_len);
		break;
	}
	case MON_MSG_COMMAND:
		mon_cmd_handle(m, (void *)msg, msg->conn, false);
		break;
	case MON_MSG_SUBSCRIBE:
		mon_sub_handle(m, msg_get(msg));
		break;
	case MON_MSG_OSD_BOOT:
	case MON_MSG_OSD_BEACON:
	case MON_MSG_OSD_FAILURE:
	case MON_MSG_OSD_ALIVE:
	case MON_MSG_OSD_PGTEMP:
		if (mon_is_leader(m))
			mon_osd_handle(m, msg_get(msg));
		else if (m->leader != MON_RAFT_NONE)
			mon_net_forward(m, 0, msg);
		break;
	case MON_MSG_PG_STATS:
		if (mon_is_leader(m))
			mon_pg_handle(m, msg_get(msg));
		else if (m->leader != MON_RAFT_NONE)
			mon_net_forward(m, 0, msg);
		break;
	default:
		log_debug(mon, "ignoring message type %u", msg->type);
	}
	msg_put(msg);
}

void mon_net_drain(struct mon *m)
{
	struct inev *ev;

	while (!m->busy && (ev = pop(m))) {
		if (ev->msg)
			route(m, ev->msg);
		if (ev->reset) {
			mon_sub_conn_reset(m, ev->reset);
			msg_conn_put(ev->reset);
		}
		mem_free(ev);
	}
	mon_consensus_flush(m); /* group commit: one proposal for what the drain queued */
}

static void on_wake(uv_async_t *h)
{
	mon_net_drain(h->data);
}

/* --- sending ----------------------------------------------------------------- */

int mon_net_send_id(struct mon *m, uint32_t id, struct msg *msg)
{
	int rank = monmap_rank_by_id(&m->svc.monmap, id);
	struct msg_entity e;
	int rc;

	if (rank < 0 || id == m->id || !m->msgr) {
		msg_put(msg); /* not in the MonMap (being added or removed), or us */
		return -EINVAL;
	}
	if (!m->peers[id]) {
		rc = msg_entity_set(&e, MSG_ENTITY_MON, m->svc.monmap.mons[rank].name);
		if (rc == 0)
			rc = msg_connect(m->msgr, &e, &m->svc.monmap.mons[rank].addr,
			                 MSG_POLICY_LOSSLESS_PEER, &m->peers[id]);
		if (rc < 0) {
			msg_put(msg);
			return rc;
		}
	}
	if (msg->type == MON_MSG_RAFT && msg_conn_queued(m->peers[id]) > RAFT_QUEUE_MAX) {
		msg_put(msg); /* the peer is gone: consensus retransmits what matters */
		return -EAGAIN;
	}
	return msg_send(m->peers[id], msg);
}

int mon_net_send_raft(struct mon *m, uint32_t to, const uint8_t *p, size_t len)
{
	struct mon_msg_raft *r;
	struct msg *msg;
	int rc = msg_create_typed(&raft_ops, &msg);

	if (rc < 0)
		return rc;
	r = (void *)msg;
	r->data = mem_malloc(len ? len : 1);
	if (!r->data) {
		msg_put(msg);
		return -ENOMEM;
	}
	memcpy(r->data, p, len);
	r->len = (uint32_t)len;
	msg->priority = MSG_PRIO_HIGH;
	return mon_net_send_id(m, to, msg);
}

/* Forwards orig (borrowed) to the leader, as received. */
int mon_net_forward(struct mon *m, uint64_t fwd_tid, const struct msg *orig)
{
	struct mon_msg_fwd *f;
	struct msg *msg;
	size_t n = orig->front ? buf_len(orig->front) : 0;
	int rc;

	if (m->leader == MON_RAFT_NONE || m->leader == m->id)
		return -EAGAIN;
	rc = msg_create_typed(&fwd_ops, &msg);
	if (rc < 0)
		return rc;
	f = (void *)msg;
	f->fwd_tid = fwd_tid;
	f->type = orig->type;
	f->version = orig->version;
	f->front = mem_malloc(n ? n : 1);
	f->len = (uint32_t)n;
	if (!f->front || (n && buf_copy_out(orig->front, 0, n, f->front) < 0)) {
		msg_put(msg);
		return -ENOMEM;
	}
	return mon_net_send_id(m, m->leader, msg);
}

int mon_net_fwd_reply(struct msg_conn *c, uint64_t fwd_tid, int rc, const char *status,
                      const char *out, size_t out_len)
{
	struct mon_msg_fwd_reply *r;
	struct msg *msg;
	int err = msg_create_typed(&fwd_reply_ops, &msg);

	if (err < 0)
		return err;
	r = (void *)msg;
	r->fwd_tid = fwd_tid;
	r->rc = rc;
	r->status = mem_strdup(status ? status : "");
	r->out = mem_malloc(out_len ? out_len : 1);
	r->out_len = (uint32_t)out_len;
	if (!r->status || !r->out) {
		msg_put(msg);
		return -ENOMEM;
	}
	if (out_len)
		memcpy(r->out, out, out_len);
	return msg_send(c, msg);
}

int mon_net_reply(struct msg_conn *c, uint64_t tid, int rc, const char *status, const char *out,
                  size_t out_len, uint32_t leader)
{
	struct mon_msg_command_reply *r;
	int err = mon_command_reply_create(tid, rc, status, out, (uint32_t)out_len, &r);

	if (err < 0)
		return err;
	r->leader = leader;
	return msg_send(c, &r->m);
}

/* --- lifecycle ----------------------------------------------------------------- */

static int make_messenger(struct mon *m)
{
	struct msg_dispatcher d = {
		.dispatch = on_dispatch,
		.handle_reset = on_reset,
		.arg = m,
	};
	struct msg_entity me;
	struct msg_opts o;
	int rc;

	if ((rc = msg_opts_load(m->d.cfg, &o)) < 0 ||
	    (rc = msg_entity_set(&me, MSG_ENTITY_MON, m->name)) < 0 ||
	    (rc = msg_registry_create(&m->reg)) < 0)
		return rc;
	if ((rc = mon_net_register(m->reg)) < 0)
		goto out_reg;
	rc = msg_messenger_create(&me, &o, m->reg, &d, &m->msgr);
	if (rc < 0)
		goto out_reg;
	return 0;
out_reg:
	msg_registry_destroy(m->reg);
	m->reg = NULL;
	return rc;
}

int mon_step_net(struct daemon *d)
{
	struct mon *m = mon_of(d);
	char a[MSG_ADDR_STR_MAX];
	int rc;

	if (m->mkfs)
		return 0;
	list_init(&m->inq);
	pthread_mutex_init(&m->q_lock, NULL);
	if ((rc = uv_async_init(&d->loop, &m->wake, on_wake)) < 0)
		goto out_lock;
	m->wake.data = m;
	m->wake_init = true;
	if ((rc = make_messenger(m)) < 0)
		goto out_async;
	rc = msg_messenger_bind(m->msgr, &m->svc.monmap.mons[m->rank].addr);
	if (rc == 0)
		rc = msg_messenger_start(m->msgr);
	if (rc < 0) {
		log_err(mon, "cannot listen on %s: %s",
		        msg_addr_str(&m->svc.monmap.mons[m->rank].addr, a), strerror(-rc));
		goto out_msgr;
	}
	log_info(mon, "mon.%s rank %u id %u listening on %s", m->name, m->rank, m->id,
	         msg_addr_str(&m->svc.monmap.mons[m->rank].addr, a));
	return 0;
out_msgr:
	msg_messenger_destroy(m->msgr);
	msg_registry_destroy(m->reg);
	m->msgr = NULL;
	m->reg = NULL;
out_async:
	uv_close((uv_handle_t *)&m->wake, NULL);
	m->wake_init = false;
out_lock:
	pthread_mutex_destroy(&m->q_lock);
	return rc;
}

void mon_unstep_net(struct daemon *d)
{
	struct mon *m = mon_of(d);
	struct inev *ev;

	if (m->mkfs || !m->msgr)
		return;
	mon_sub_fini(m);
	mon_cmd_fini(m);
	msg_messenger_destroy(m->msgr);
	m->msgr = NULL;
	for (size_t i = 0; i < MONMAP_MAX_ID; i++) {
		msg_conn_put(m->peers[i]);
		m->peers[i] = NULL;
	}
	while ((ev = pop(m))) {
		msg_put(ev->msg);
		msg_conn_put(ev->reset);
		mem_free(ev);
	}
	msg_registry_destroy(m->reg);
	m->reg = NULL;
	uv_close((uv_handle_t *)&m->wake, NULL);
	pthread_mutex_destroy(&m->q_lock);
}
