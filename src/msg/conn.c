/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/conn.c - a connection: the session with one peer that outlives its
 * sockets (lossless) or dies with its socket (lossy, server). Public send
 * and query calls, lifecycle, and the state transitions around sockets.
 *
 * DESIGN
 *   Invariants
 *     - Session state (state, sess, sock, delayed, backoff) is touched only
 *       on conn->worker's loop; other threads only append to inbox under
 *       conn->lock and kick the worker.
 *     - closed is set once (lossy failure, mark_down, shutdown); afterwards
 *       the inbox stays empty and msg_send fails with -ENOTCONN.
 *     - queued counts messages in inbox + sess.out + sess.sent (+ lossy
 *       messages inside a write); each is released exactly once.
 *     - state == OPEN iff sock != NULL and sock->state == OPEN.
 *   States
 *     NEW --start with an address--> CONNECTING --ACCEPT--> OPEN
 *     CONNECTING --WAIT--> WAIT --timeout--> CONNECTING
 *     OPEN/CONNECTING --socket lost, lossless--> BACKOFF (messages pending)
 *                                               | STANDBY (nothing pending)
 *     BACKOFF --timer--> CONNECTING       STANDBY --send--> CONNECTING
 *     NEW/STANDBY/BACKOFF/WAIT/CONNECTING --peer's CONNECT accepted--> OPEN
 *     any --lossy socket lost / mark_down / shutdown--> CLOSED
 *   Edges
 *     NEW->CONNECTING msg_conn_start   *->CONNECTING msg_conn_connect
 *     *->OPEN msg_conn_opened          *->BACKOFF/STANDBY msg_conn_schedule
 *     *->WAIT conn_proto.c on_wait     *->CLOSED msg_conn_close */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/log.h"
#include "common/mem.h"
#include "msg/msg_int.h"

static void assert_conn_state(const struct msg_conn *c)
{
	assert(c->state <= MSG_CS_CLOSED);
	assert(c->state != MSG_CS_OPEN || (c->sock && c->sock->state == MSG_SS_OPEN));
	assert(!c->sock || c->sock->conn == c);
	(void)c;
}

int msg_conn_create(struct msg_messenger *m, struct msg_worker *w, const struct msg_entity *peer,
                    enum msg_policy policy, struct msg_conn **out)
{
	struct msg_conn *c = mem_calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	refcnt_init(&c->ref, 1);
	if (pthread_mutex_init(&c->lock, NULL)) {
		mem_free(c);
		return -ENOMEM;
	}
	c->msgr = m;
	c->worker = w;
	c->peer = *peer;
	c->policy = policy;
	c->crc_header = m->opts.crc_header;
	c->crc_data = m->opts.crc_data;
	c->backoff = m->opts.initial_backoff;
	list_init(&c->inbox);
	list_init(&c->map_node);
	list_init(&c->kick_node);
	list_init(&c->wnode);
	list_init(&c->delayed);
	msg_session_init(&c->sess, msg_messenger_next_sess(m));
	*out = c;
	return 0;
}

static void put_all(struct list_node *l)
{
	struct list_node *n;

	while ((n = list_pop_front(l)))
		msg_put(LIST_CONTAINER(n, struct msg, node));
}

struct msg_conn *msg_conn_get(struct msg_conn *c)
{
	refcnt_inc(&c->ref);
	return c;
}

void msg_conn_put(struct msg_conn *c)
{
	if (!c || !refcnt_dec_is_last(&c->ref))
		return;
	put_all(&c->inbox);
	put_all(&c->sess.out);
	put_all(&c->sess.sent);
	put_all(&c->delayed);
	pthread_mutex_destroy(&c->lock);
	mem_free(c);
}

const struct msg_entity *msg_conn_peer(const struct msg_conn *c)
{
	return &c->peer;
}
enum msg_policy msg_conn_policy(const struct msg_conn *c)
{
	return c->policy;
}
void msg_conn_set_priv(struct msg_conn *c, void *priv)
{
	atomic_store(&c->priv, priv);
}
void *msg_conn_priv(const struct msg_conn *c)
{
	return atomic_load(&((struct msg_conn *)c)->priv);
}

uint64_t msg_conn_peer_nonce(const struct msg_conn *c)
{
	return atomic_load(&((struct msg_conn *)c)->peer_nonce_pub);
}

bool msg_conn_is_open(const struct msg_conn *c)
{
	return atomic_load(&((struct msg_conn *)c)->open_pub);
}

bool msg_conn_is_closed(struct msg_conn *c)
{
	bool closed;

	pthread_mutex_lock(&c->lock);
	closed = c->closed;
	pthread_mutex_unlock(&c->lock);
	return closed;
}

size_t msg_conn_queued(const struct msg_conn *c)
{
	return atomic_load(&((struct msg_conn *)c)->queued);
}

uint64_t msg_conn_last_keepalive_ack(const struct msg_conn *c)
{
	return atomic_load(&((struct msg_conn *)c)->ka_ack);
}

/* Checksums are computed here, on the sender's thread, once per message. */
static void msg_checksum(const struct msg_conn *c, struct msg *m)
{
	uint32_t crc = 0;

	if (c->crc_header) {
		if (m->front)
			crc = buf_crc32c(m->front, 0, buf_len(m->front), crc);
		if (m->middle)
			crc = buf_crc32c(m->middle, 0, buf_len(m->middle), crc);
	}
	m->front_crc = crc;
	m->data_crc = c->crc_data && !m->no_data_crc && m->data
	                  ? buf_crc32c(m->data, 0, buf_len(m->data), 0)
	                  : 0;
}

int msg_send(struct msg_conn *c, struct msg *m)
{
	int rc = msg_encode(m);

	if (rc) {
		msg_put(m);
		return rc;
	}
	msg_checksum(c, m);
	pthread_mutex_lock(&c->lock);
	if (c->closed) {
		pthread_mutex_unlock(&c->lock);
		msg_put(m);
		return -ENOTCONN;
	}
	m->seq = ++c->out_seq;
	list_push_back(&c->inbox, &m->node);
	atomic_fetch_add(&c->queued, 1);
	if (!c->kicked) {
		c->kicked = true;
		msg_worker_kick(c->worker, c);
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int msg_conn_send_keepalive(struct msg_conn *c)
{
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->closed) {
		rc = -ENOTCONN;
	} else {
		c->want_keepalive = true;
		if (!c->kicked) {
			c->kicked = true;
			msg_worker_kick(c->worker, c);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void msg_conn_mark_down(struct msg_conn *c)
{
	struct msg_task *t;

	pthread_mutex_lock(&c->lock);
	if (c->closed) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->closed = true;
	pthread_mutex_unlock(&c->lock);
	msg_messenger_unmap(c->msgr, c);
	t = mem_calloc(1, sizeof(*t));
	if (!t)
		return; /* the worker drops it at shutdown */
	t->kind = MSG_TASK_MARK_DOWN;
	t->conn = msg_conn_get(c);
	msg_worker_post(c->worker, t);
}

/* Releases messages taken off the queues. */
void msg_conn_release(struct msg_conn *c, struct list_node *msgs)
{
	struct list_node *n;

	while ((n = list_pop_front(msgs))) {
		atomic_fetch_sub(&c->queued, 1);
		msg_put(LIST_CONTAINER(n, struct msg, node));
	}
}

void msg_conn_start(struct msg_conn *c)
{
	if (!c->started) {
		c->started = true;
		list_push_back(&c->worker->conns, &c->wnode);
		msg_conn_get(c);
	}
	if (c->state == MSG_CS_NEW && c->policy != MSG_POLICY_SERVER &&
	    msg_addr_is_set(&c->peer_addr))
		msg_conn_connect(c);
}

void msg_conn_connect(struct msg_conn *c)
{
	struct msg_sock *s;
	int rc;

	assert(!c->sock && c->state != MSG_CS_CLOSED);
	c->sess.connect_seq++;
	if (c->sess.connect_seq > 1)
		MSG_STAT_ADD(c->msgr, reconnects, 1);
	rc = msg_sock_connect(c->worker, c, &s);
	if (rc) {
		char name[MSG_ENTITY_STR_MAX];

		log_warn(msg, "%s: connect failed: %s", msg_entity_str(&c->peer, name),
		         uv_strerror(rc));
		if (c->policy == MSG_POLICY_LOSSLESS_PEER)
			msg_conn_schedule(c, false);
		else
			msg_conn_close(c, MSG_EV_RESET);
		return;
	}
	c->sock = s;
	c->state = MSG_CS_CONNECTING;
}

void msg_conn_detach(struct msg_conn *c)
{
	struct msg_sock *s = c->sock;

	if (!s)
		return;
	c->sock = NULL;
	atomic_store(&c->open_pub, false);
	msg_sock_close(s);
}

void msg_conn_close(struct msg_conn *c, enum msg_event ev)
{
	struct list_node dropped;

	if (c->state == MSG_CS_CLOSED)
		return;
	list_init(&dropped);
	pthread_mutex_lock(&c->lock);
	c->closed = true;
	list_splice_back(&dropped, &c->inbox);
	pthread_mutex_unlock(&c->lock);
	list_splice_back(&dropped, &c->sess.out);
	list_splice_back(&dropped, &c->sess.sent);
	msg_conn_release(c, &dropped);
	put_all(&c->delayed);
	c->state = MSG_CS_CLOSED;
	atomic_store(&c->open_pub, false);
	msg_conn_detach(c);
	msg_messenger_unmap(c->msgr, c);
	if (ev != MSG_EV_NONE)
		msg_dq_event(c->msgr, c, ev);
	if (c->started) {
		c->started = false;
		list_remove(&c->wnode);
		msg_conn_put(c);
	}
}

void msg_conn_session_reset(struct msg_conn *c, bool notify)
{
	struct list_node dropped;
	char name[MSG_ENTITY_STR_MAX];

	list_init(&dropped);
	pthread_mutex_lock(&c->lock);
	list_splice_back(&dropped, &c->inbox);
	c->out_seq = 0;
	pthread_mutex_unlock(&c->lock);
	msg_session_reset(&c->sess, msg_messenger_next_sess(c->msgr), &dropped);
	log_info(msg, "%s: session reset, %zu queued messages dropped",
	         msg_entity_str(&c->peer, name), atomic_load(&c->queued));
	msg_conn_release(c, &dropped);
	atomic_store(&c->peer_nonce_pub, 0);
	MSG_STAT_ADD(c->msgr, resets, 1);
	if (notify)
		msg_dq_event(c->msgr, c, MSG_EV_REMOTE_RESET);
}

void msg_conn_opened(struct msg_conn *c, struct msg_sock *s, enum msg_event ev)
{
	s->state = MSG_SS_OPEN;
	c->state = MSG_CS_OPEN;
	c->backoff = c->msgr->opts.initial_backoff;
	atomic_store(&c->peer_nonce_pub, c->sess.peer_nonce);
	atomic_store(&c->open_pub, true);
	assert_conn_state(c);
	msg_dq_event(c->msgr, c, ev);
	msg_sock_flush(s);
}

/* After the socket went away: lossless sessions wait to reconnect. */
void msg_conn_schedule(struct msg_conn *c, bool now)
{
	const struct msg_opts *o = &c->msgr->opts;

	assert(!c->sock);
	atomic_store(&c->open_pub, false);
	if (!msg_addr_is_set(&c->peer_addr) || atomic_load(&c->queued) == 0) {
		c->state = MSG_CS_STANDBY;
		return;
	}
	c->state = MSG_CS_BACKOFF;
	c->retry_at = msg_now_ns() + (now ? 0 : (uint64_t)(c->backoff * 1e9));
	c->backoff = c->backoff * 2 > o->max_backoff ? o->max_backoff : c->backoff * 2;
}

void msg_conn_sock_lost(struct msg_conn *c, struct msg_sock *s)
{
	assert(c->sock == s);
	(void)s;
	c->sock = NULL;
	if (c->policy == MSG_POLICY_LOSSLESS_PEER)
		msg_conn_schedule(c, false);
	else
		msg_conn_close(c, MSG_EV_RESET);
}

void msg_conn_kicked(struct msg_conn *c)
{
	struct list_node got;
	bool ka;

	list_init(&got);
	pthread_mutex_lock(&c->lock);
	list_splice_back(&got, &c->inbox);
	c->kicked = false;
	ka = c->want_keepalive;
	c->want_keepalive = false;
	pthread_mutex_unlock(&c->lock);
	if (c->state == MSG_CS_CLOSED) {
		msg_conn_release(c, &got);
		return;
	}
	list_splice_back(&c->sess.out, &got);
	if (c->state == MSG_CS_OPEN) {
		if (ka)
			msg_sock_send_ctl(c->sock, MSG_TAG_KEEPALIVE, msg_wall_ns(), NULL);
		msg_sock_flush(c->sock);
	} else if (c->state == MSG_CS_STANDBY && !list_is_empty(&c->sess.out) &&
	           msg_addr_is_set(&c->peer_addr)) {
		msg_conn_connect(c);
	}
}

static void release_delayed(struct msg_conn *c, uint64_t now)
{
	while (!list_is_empty(&c->delayed)) {
		struct msg *m = LIST_CONTAINER(c->delayed.next, struct msg, node);

		if (m->release_ns > now)
			break;
		list_remove(&m->node);
		msg_dq_deliver(c->msgr, c->worker, m);
	}
}

void msg_conn_tick(struct msg_conn *c, uint64_t now)
{
	release_delayed(c, now);
	if ((c->state == MSG_CS_BACKOFF || c->state == MSG_CS_WAIT) && now >= c->retry_at)
		msg_conn_connect(c);
}

void msg_conn_do_mark_down(struct msg_conn *c)
{
	msg_conn_close(c, MSG_EV_NONE);
}

void msg_conn_shutdown(struct msg_conn *c)
{
	msg_conn_close(c, MSG_EV_NONE);
}
