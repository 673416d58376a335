/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/conn_proto.c - the session handshake and the frames of an open
 * connection: the connector's CONNECT and its handling of ACCEPT / WAIT /
 * RESET, the acceptor's verdict on a CONNECT (tie-break, replacement, peer
 * restart), then messages, acks and keepalives. Runs on conn->worker.
 * The decisions themselves are the pure functions of session.c. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/log.h"
#include "msg/msg_int.h"

static int front_bytes(const struct msg_frame *f, const void **p, size_t *n)
{
	uint8_t scratch[1];

	if (!f->front || buf_nseg(f->front) != 1)
		return -EBADMSG;
	*n = buf_len(f->front);
	return buf_peek(f->front, 0, *n, scratch, p);
}

int msg_conn_on_hello(struct msg_conn *c, struct msg_sock *s)
{
	struct msg_connect cn;
	struct enc e;
	int rc;

	if (msg_entity_cmp(&s->hello.entity, &c->peer) != 0)
		return msg_sock_fail(s, "peer is not the entity we dialled"), 1;
	if (c->sess.peer_nonce && c->sess.peer_nonce != s->hello.nonce)
		msg_conn_session_reset(c, true); /* the peer restarted */
	c->sess.peer_nonce = s->hello.nonce;
	memset(&cn, 0, sizeof(cn));
	cn.policy =
	    c->policy == MSG_POLICY_LOSSLESS_PEER ? MSG_POLICY_LOSSLESS_PEER : MSG_POLICY_LOSSY;
	cn.connect_seq = c->sess.connect_seq;
	cn.peer_nonce = s->hello.nonce;
	cn.sess_id = c->sess.sess_id;
	cn.peer_sess = c->sess.peer_sess;
	cn.in_seq = c->sess.in_seq;
	enc_init(&e);
	msg_connect_encode(&cn, &e);
	rc = enc_error(&e) ? enc_error(&e) : msg_sock_send_ctl(s, MSG_TAG_CONNECT, 0, &e);
	enc_fini(&e);
	if (rc)
		return msg_sock_fail(s, "cannot send CONNECT"), 1;
	return 0;
}

static int on_accept(struct msg_conn *c, struct msg_sock *s, const struct msg_frame *f)
{
	struct list_node freed;
	uint64_t sess, in_seq;
	const void *p;
	size_t n;

	if (front_bytes(f, &p, &n) || msg_accept_decode(p, n, &sess, &in_seq))
		return msg_sock_fail(s, "malformed ACCEPT"), 1;
	if (c->sess.peer_sess && c->sess.peer_sess != sess) {
		msg_conn_session_reset(c, true);
		return msg_sock_fail(s, "peer session changed"), 1;
	}
	c->sess.peer_sess = sess;
	list_init(&freed);
	msg_session_requeue(&c->sess, in_seq, &freed);
	msg_conn_release(c, &freed);
	msg_conn_opened(c, s, MSG_EV_CONNECT);
	return 0;
}

int msg_conn_on_reply(struct msg_conn *c, struct msg_sock *s, struct msg_frame *f)
{
	bool lossless = c->policy == MSG_POLICY_LOSSLESS_PEER;

	switch (lossless || f->h.tag == MSG_TAG_ACCEPT ? f->h.tag : 0) {
	case MSG_TAG_ACCEPT:
		return on_accept(c, s, f);
	case MSG_TAG_WAIT:
		msg_conn_detach(c);
		c->state = MSG_CS_WAIT;
		c->retry_at = msg_now_ns() + (uint64_t)(2e9 * c->backoff);
		return 1;
	case MSG_TAG_RESET:
		msg_conn_session_reset(c, true);
		msg_conn_detach(c);
		msg_conn_schedule(c, true);
		return 1;
	default:
		return msg_sock_fail(s, "unexpected reply to CONNECT"), 1;
	}
}

static void reply_and_close(struct msg_sock *s, uint8_t tag)
{
	if (msg_sock_send_ctl(s, tag, 0, NULL))
		msg_sock_fail(s, "cannot reply");
	else
		s->close_after_write = true;
}

/* Takes s as the connection's socket and answers ACCEPT. */
static void attach(struct msg_conn *c, struct msg_sock *s, const struct msg_hello *h,
                   const struct msg_connect *cn)
{
	struct list_node freed;
	struct enc e;
	int rc;

	c->sock = s;
	s->conn = msg_conn_get(c);
	if (msg_addr_is_set(&h->addr))
		c->peer_addr = h->addr;
	c->sess.peer_nonce = h->nonce;
	c->sess.peer_sess = cn->sess_id;
	c->sess.peer_connect_seq = cn->connect_seq;
	list_init(&freed);
	msg_session_requeue(&c->sess, cn->in_seq, &freed);
	msg_conn_release(c, &freed);
	enc_init(&e);
	msg_accept_encode(c->sess.sess_id, c->sess.in_seq, &e);
	rc = enc_error(&e) ? enc_error(&e) : msg_sock_send_ctl(s, MSG_TAG_ACCEPT, 0, &e);
	enc_fini(&e);
	if (rc) {
		msg_sock_fail(s, "cannot send ACCEPT");
		return;
	}
	msg_conn_opened(c, s, MSG_EV_ACCEPT);
}

void msg_conn_on_connect(struct msg_conn *c, struct msg_sock *s, const struct msg_hello *h,
                         const struct msg_connect *cn)
{
	struct msg_messenger *m = c->msgr;
	enum msg_cur_sock cur = MSG_CUR_NONE;
	enum msg_verdict v;
	bool win;

	if (c->state == MSG_CS_CLOSED)
		return msg_sock_fail(s, "connection closed");
	if (c->policy == MSG_POLICY_SERVER)
		return attach(c, s, h, cn);
	if (c->sock)
		cur = c->sock->state == MSG_SS_OPEN ? MSG_CUR_OPEN : MSG_CUR_CONNECTING;
	win = msg_session_wins_race(&m->me, m->nonce, &c->peer, h->nonce);
	v = msg_session_verdict(&c->sess, h->nonce, cn, cur, win);
	if (c->sess.peer_nonce && c->sess.peer_nonce != h->nonce) {
		msg_conn_session_reset(c, true); /* the peer restarted */
		if (v == MSG_V_ACCEPT_NEW_PEER)
			v = MSG_V_ACCEPT_REPLACE;
	}
	switch (v) {
	case MSG_V_RESET:
		return reply_and_close(s, MSG_TAG_RESET);
	case MSG_V_WAIT:
		return reply_and_close(s, MSG_TAG_WAIT);
	case MSG_V_STALE:
		return msg_sock_fail(s, "stale connect attempt");
	case MSG_V_ACCEPT_NEW_PEER:
		msg_conn_session_reset(c, true);
		/* fall through */
	case MSG_V_ACCEPT_REPLACE:
		msg_conn_detach(c);
		/* fall through */
	case MSG_V_ACCEPT:
		attach(c, s, h, cn);
	}
}

/* Delivers now, or behind an injected delay (keeping arrival order). */
static void deliver(struct msg_conn *c, struct msg *m)
{
	const struct msg_opts *o = &c->msgr->opts;

	if (list_is_empty(&c->delayed) &&
	    (o->inject_delay_probability <= 0 ||
	     msg_worker_rand(c->worker) >= o->inject_delay_probability)) {
		msg_dq_deliver(c->msgr, c->worker, m);
		return;
	}
	if (list_is_empty(&c->delayed)) {
		MSG_STAT_ADD(c->msgr, injected_delays, 1);
		m->release_ns =
		    m->recv_ns + (uint64_t)(msg_worker_rand(c->worker) * o->inject_delay_max * 1e9);
	} else {
		m->release_ns = m->recv_ns;
	}
	list_push_back(&c->delayed, &m->node);
}

static int on_message(struct msg_conn *c, struct msg_sock *s, struct msg_frame *f)
{
	bool lossless = c->policy == MSG_POLICY_LOSSLESS_PEER;
	struct msg *m;
	int rc;

	if (lossless && f->h.seq <= c->sess.in_seq) {
		MSG_STAT_ADD(c->msgr, dup_dropped, 1);
		msg_frame_fini(f);
		return 0;
	}
	if (lossless && f->h.seq != c->sess.in_seq + 1) {
		msg_frame_fini(f);
		return msg_sock_fail(s, "message sequence gap"), 1;
	}
	rc = msg_registry_decode(c->msgr->reg, f->h.type, f->h.version, f->front, f->middle,
	                         f->data, &m);
	f->front = f->middle = f->data = NULL;
	if (rc)
		return msg_sock_fail(s, "undecodable message"), 1;
	if (lossless)
		msg_session_rx(&c->sess, f->h.seq);
	m->seq = f->h.seq;
	m->priority = f->h.priority;
	m->no_data_crc = !(f->h.flags & MSG_FF_DATA_CRC);
	m->conn = msg_conn_get(c);
	m->recv_ns = s->last_rx;
	MSG_STAT_ADD(c->msgr, msgs_recv, 1);
	deliver(c, m);
	return 0;
}

int msg_conn_on_frame(struct msg_conn *c, struct msg_sock *s, struct msg_frame *f)
{
	struct list_node freed;
	int rc = 0;

	if (c->policy == MSG_POLICY_LOSSLESS_PEER && f->h.ack) {
		list_init(&freed);
		msg_session_ack(&c->sess, f->h.ack, &freed);
		msg_conn_release(c, &freed);
	}
	switch (f->h.tag) {
	case MSG_TAG_MESSAGE:
		return on_message(c, s, f);
	case MSG_TAG_ACK:
		break;
	case MSG_TAG_KEEPALIVE:
		rc = msg_sock_send_ctl(s, MSG_TAG_KEEPALIVE_ACK, f->h.seq, NULL);
		break;
	case MSG_TAG_KEEPALIVE_ACK:
		atomic_store(&c->ka_ack, f->h.seq);
		break;
	default:
		msg_sock_fail(s, "unexpected frame on an open connection");
		rc = 1;
	}
	msg_frame_fini(f);
	return rc;
}
