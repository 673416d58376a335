/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/sock.c - one TCP socket on a worker loop: connect or adopt, banner and
 * HELLO exchange, the read path (straight into segment buffers through the
 * parser), routing of an incoming CONNECT to its connection (handing the
 * descriptor to the connection's worker when needed), failure and close.
 *
 * DESIGN
 *   Invariants
 *     - A sock is touched only on its worker's loop and freed only in its
 *       close callback; after msg_sock_close nothing but callbacks run.
 *     - conn != NULL iff the sock is attached: then conn->worker == w, and
 *       the sock is conn->sock or has been detached by the conn (conn->sock
 *       != s), in which case every frame it reads is ignored.
 *     - Incoming socks are identified only by CONNECT; before that they are
 *       anonymous and belong to no connection.
 *   States
 *     CONNECTING --tcp up--> HELLO      (adopted sockets start in HELLO)
 *     HELLO --banner + HELLO frame--> SESSION   (connector sends CONNECT)
 *     SESSION --ACCEPT sent/received--> OPEN
 *     SESSION --WAIT/RESET/handoff--> CLOSING
 *     any --error, EOF, injected failure--> CLOSING --close cb--> freed
 *   Edges
 *     CONNECTING->HELLO connect_cb/sock_started   HELLO->SESSION on_hello
 *     SESSION->OPEN msg_conn_on_connect / msg_conn_on_reply
 *     *->CLOSING msg_sock_fail, msg_sock_close */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "msg/msg_int.h"

static void assert_sock_state(const struct msg_sock *s)
{
	assert(s->state <= MSG_SS_CLOSING);
	assert(!s->conn || s->conn->worker == s->w);
	(void)s;
}

static const char *sock_name(const struct msg_sock *s, char *buf)
{
	if (s->conn)
		return msg_entity_str(&s->conn->peer, buf);
	if (s->got_hello)
		return msg_entity_str(&s->hello.entity, buf);
	return "incoming";
}

static void close_cb(uv_handle_t *h)
{
	struct msg_sock *s = h->data;

	list_remove(&s->wnode);
	msg_parser_fini(&s->parser);
	if (s->handoff) {
		msg_conn_put(s->handoff->conn);
		mem_free(s->handoff);
	}
	msg_conn_put(s->conn);
	mem_free(s);
}

void msg_sock_close(struct msg_sock *s)
{
	if (s->state == MSG_SS_CLOSING)
		return;
	s->state = MSG_SS_CLOSING;
	uv_read_stop((uv_stream_t *)&s->tcp);
	uv_close((uv_handle_t *)&s->tcp, close_cb);
}

void msg_sock_fail(struct msg_sock *s, const char *reason)
{
	struct msg_conn *c = s->conn;
	char name[MSG_ENTITY_STR_MAX];

	if (s->state == MSG_SS_CLOSING)
		return;
	if (c && c->sock == s)
		log_info(msg, "%s: socket closed: %s", sock_name(s, name), reason);
	else
		log_debug(msg, "%s: socket closed: %s", sock_name(s, name), reason);
	MSG_STAT_ADD(s->w->msgr, sock_failures, 1);
	msg_sock_close(s);
	if (c && c->sock == s)
		msg_conn_sock_lost(c, s);
}

static int sock_new(struct msg_worker *w, bool outgoing, bool banner, struct msg_sock **out)
{
	struct msg_sock *s = mem_calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	rc = uv_tcp_init(&w->loop, &s->tcp);
	if (rc) {
		mem_free(s);
		return rc;
	}
	s->tcp.data = s;
	s->w = w;
	s->outgoing = outgoing;
	s->last_rx = s->last_tx = msg_now_ns();
	msg_parser_init(&s->parser, w->msgr->opts.max_message_size, banner);
	list_push_back(&w->socks, &s->wnode);
	*out = s;
	return 0;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct msg_sock *s = h->data;
	void *p;
	size_t len;

	(void)hint;
	if (s->parser.state == MSG_PS_SEG && msg_parser_want(&s->parser, &p, &len) == 0 &&
	    len >= MSG_DIRECT_MIN) {
		*b = uv_buf_init(p, (unsigned)(len > UINT32_MAX / 2 ? UINT32_MAX / 2 : len));
		return;
	}
	*b = uv_buf_init((char *)s->w->rbuf, MSG_RBUF_LEN);
}

static int on_hello(struct msg_sock *s, struct msg_frame *f)
{
	const struct msg_auth_ops *auth = s->w->msgr->opts.auth;
	const void *p;
	uint8_t scratch[1];
	struct msg_hello h;

	if (f->h.tag != MSG_TAG_HELLO || !f->front)
		return msg_sock_fail(s, "expected HELLO"), 1;
	if (buf_nseg(f->front) != 1 || buf_peek(f->front, 0, buf_len(f->front), scratch, &p) ||
	    msg_hello_decode(p, buf_len(f->front), &h))
		return msg_sock_fail(s, "malformed HELLO"), 1;
	if (strcmp(h.auth, auth->name) != 0 ||
	    auth->verify(auth->arg, &h.entity, h.auth_data, h.auth_len))
		return msg_sock_fail(s, "authentication failed"), 1;
	h.auth_data = NULL;
	h.auth_len = 0;
	s->hello = h;
	s->got_hello = true;
	s->state = MSG_SS_SESSION;
	if (s->outgoing)
		return msg_conn_on_hello(s->conn, s);
	return 0;
}

static void handoff_now(struct msg_sock *s)
{
	struct msg_task *t = s->handoff;
	int fd = -1;
	uv_os_fd_t ofd;

	if (uv_fileno((uv_handle_t *)&s->tcp, &ofd) == 0)
		fd = dup(ofd);
	if (fd < 0) {
		msg_sock_fail(s, "dup failed during handoff");
		return;
	}
	s->handoff = NULL;
	t->fd = fd;
	t->hello = s->hello;
	msg_worker_post(t->conn->worker, t);
	msg_sock_close(s);
}

/* An incoming CONNECT: find or make the connection, hand over if needed. */
static int route_connect(struct msg_sock *s, const struct msg_connect *cn)
{
	struct msg_messenger *m = s->w->msgr;
	struct msg_conn *c = NULL;
	struct msg_task *t;

	if (cn->policy == MSG_POLICY_LOSSY) {
		if (msg_conn_create(m, s->w, &s->hello.entity, MSG_POLICY_SERVER, &c))
			return msg_sock_fail(s, "out of memory"), 1;
	} else if (cn->policy == MSG_POLICY_LOSSLESS_PEER) {
		c = msg_messenger_lookup_or_add(m, s->w, &s->hello.entity);
		if (!c)
			return msg_sock_fail(s, "shutting down"), 1;
	} else {
		return msg_sock_fail(s, "bad policy in CONNECT"), 1;
	}
	if (c->worker == s->w) {
		msg_conn_start(c);
		msg_conn_on_connect(c, s, &s->hello, cn);
		msg_conn_put(c);
		return 0;
	}
	t = mem_calloc(1, sizeof(*t));
	if (!t) {
		msg_conn_put(c);
		return msg_sock_fail(s, "out of memory"), 1;
	}
	t->kind = MSG_TASK_HANDOFF;
	t->conn = c;
	t->connect = *cn;
	s->handoff = t;
	uv_read_stop((uv_stream_t *)&s->tcp);
	if (s->writes_pending == 0)
		handoff_now(s);
	return 1;
}

static int on_connect_frame(struct msg_sock *s, struct msg_frame *f)
{
	struct msg_connect cn;
	const void *p;
	uint8_t scratch[1];

	if (f->h.tag != MSG_TAG_CONNECT || !f->front || buf_nseg(f->front) != 1 ||
	    buf_peek(f->front, 0, buf_len(f->front), scratch, &p) ||
	    msg_connect_decode(p, buf_len(f->front), &cn))
		return msg_sock_fail(s, "expected a valid CONNECT"), 1;
	return route_connect(s, &cn);
}

/* One frame. Returns 0 to go on reading, 1 when the sock stopped reading
 * (closed, failed or handed over). Frees f unless consumed. */
static int on_frame(struct msg_sock *s, struct msg_frame *f)
{
	struct msg_banner local;
	int rc = 0;

	assert_sock_state(s);
	if (s->conn && s->conn->sock != s && s->state != MSG_SS_CONNECTING) {
		msg_frame_fini(f);
		return msg_sock_fail(s, "detached"), 1;
	}
	if (f->h.tag == MSG_TAG_BANNER) {
		msg_banner_local(&local);
		if (msg_banner_check(&local, &f->banner))
			return msg_sock_fail(s, "feature bits mismatch"), 1;
		return 0;
	}
	switch (s->state) {
	case MSG_SS_HELLO:
		rc = on_hello(s, f);
		break;
	case MSG_SS_SESSION:
		rc = s->outgoing ? msg_conn_on_reply(s->conn, s, f) : on_connect_frame(s, f);
		break;
	case MSG_SS_OPEN:
		return msg_conn_on_frame(s->conn, s, f);
	default:
		rc = 1;
	}
	msg_frame_fini(f);
	return rc;
}

static void read_direct(struct msg_sock *s, size_t n)
{
	struct msg_frame f;
	int rc = msg_parser_advance(&s->parser, n, &f);

	if (rc < 0)
		msg_sock_fail(s, s->parser.reason ? s->parser.reason : "bad frame");
	else if (rc == 1)
		on_frame(s, &f);
}

static void read_copy(struct msg_sock *s, const uint8_t *p, size_t n)
{
	struct msg_frame f;
	int rc;

	while (n > 0 && s->state != MSG_SS_CLOSING && !s->handoff) {
		rc = msg_parser_feed(&s->parser, &p, &n, &f);
		if (rc < 0) {
			msg_sock_fail(s, rc == -ENOMEM      ? "out of memory"
			                 : s->parser.reason ? s->parser.reason
			                                    : "bad frame");
			return;
		}
		if (rc == 1)
			on_frame(s, &f);
	}
	if (s->handoff && n > 0 && s->state != MSG_SS_CLOSING)
		msg_sock_fail(s, "unexpected bytes after CONNECT");
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct msg_sock *s = st->data;
	struct msg_messenger *m = s->w->msgr;

	if (nread == 0 || s->state == MSG_SS_CLOSING)
		return;
	if (nread < 0) {
		msg_sock_fail(
		    s, nread == UV_EOF
		           ? (msg_parser_is_idle(&s->parser) ? "peer closed" : "truncated frame")
		           : uv_strerror((int)nread));
		return;
	}
	s->last_rx = msg_now_ns();
	MSG_STAT_ADD(m, bytes_recv, (uint64_t)nread);
	if (msg_worker_inject(s->w, m->opts.inject_socket_failures)) {
		MSG_STAT_ADD(m, injected_failures, 1);
		msg_sock_fail(s, "injected socket failure");
		return;
	}
	if ((uint8_t *)b->base != s->w->rbuf)
		read_direct(s, (size_t)nread);
	else
		read_copy(s, (const uint8_t *)b->base, (size_t)nread);
	if (s->state != MSG_SS_OPEN || !s->conn || s->conn->sock != s)
		return;
	msg_sock_flush(s); /* acknowledges what was read */
	if (s->state == MSG_SS_OPEN && msg_dq_is_throttled(m, s->conn)) {
		uv_read_stop(st);
		s->read_paused = true;
	}
}

void msg_sock_resume_check(struct msg_sock *s)
{
	if (!s->read_paused || s->state == MSG_SS_CLOSING || !s->conn ||
	    msg_dq_is_throttled(s->w->msgr, s->conn))
		return;
	s->read_paused = false;
	if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb))
		msg_sock_fail(s, "read restart failed");
}

void msg_sock_slow_check(struct msg_sock *s, uint64_t now)
{
	const struct msg_opts *o = &s->w->msgr->opts;
	uint64_t ka = (uint64_t)(o->keepalive_interval * 1e9);
	uint64_t idle = (uint64_t)(o->idle_timeout * 1e9);

	if (s->state == MSG_SS_CLOSING)
		return;
	if (idle && now - s->last_rx > idle && !s->read_paused) {
		msg_sock_fail(s, "idle timeout");
		return;
	}
	if (ka && s->state == MSG_SS_OPEN && now - s->last_tx > ka && !s->writing)
		msg_sock_send_ctl(s, MSG_TAG_KEEPALIVE, msg_wall_ns(), NULL);
}

/* TCP is up: send banner and HELLO, start reading. */
static void sock_started(struct msg_sock *s)
{
	struct msg_messenger *m = s->w->msgr;
	struct msg_hello h;
	struct enc e;
	int rc;

	if (m->opts.tcp_nodelay)
		uv_tcp_nodelay(&s->tcp, 1);
	memset(&h, 0, sizeof(h));
	h.entity = m->me;
	h.nonce = m->nonce;
	h.addr = m->addr;
	enc_init(&e);
	rc = msg_hello_encode(&h, m->opts.auth, &e);
	if (!rc)
		rc = msg_sock_send_ctl(s, MSG_TAG_BANNER, 0, NULL);
	if (!rc)
		rc = msg_sock_send_ctl(s, MSG_TAG_HELLO, 0, &e);
	enc_fini(&e);
	if (!rc)
		rc = uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
	if (rc) {
		msg_sock_fail(s, "handshake start failed");
		return;
	}
	s->state = MSG_SS_HELLO;
}

static void connect_cb(uv_connect_t *req, int status)
{
	struct msg_sock *s = req->data;

	if (s->state == MSG_SS_CLOSING)
		return;
	if (status) {
		if (status == UV_ECONNREFUSED && s->conn)
			msg_dq_event(s->conn->msgr, s->conn, MSG_EV_REFUSED);
		msg_sock_fail(s, uv_strerror(status));
		return;
	}
	sock_started(s);
}

static void addr_to_sockaddr(const struct msg_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip, 4);
	}
}

int msg_sock_connect(struct msg_worker *w, struct msg_conn *c, struct msg_sock **out)
{
	struct sockaddr_storage ss;
	struct msg_sock *s;
	int rc = sock_new(w, true, true, &s);

	if (rc)
		return rc;
	s->conn = msg_conn_get(c);
	s->state = MSG_SS_CONNECTING;
	s->creq.data = s;
	addr_to_sockaddr(&c->peer_addr, &ss);
	rc = uv_tcp_connect(&s->creq, &s->tcp, (struct sockaddr *)&ss, connect_cb);
	if (rc) {
		msg_sock_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int msg_sock_adopt(struct msg_worker *w, int fd, const struct msg_hello *handed,
                   struct msg_sock **out)
{
	struct msg_sock *s;
	int rc = sock_new(w, false, handed == NULL, &s);

	if (rc) {
		close(fd);
		return rc;
	}
	rc = uv_tcp_open(&s->tcp, fd);
	if (rc) {
		close(fd);
		msg_sock_close(s);
		return rc;
	}
	if (!handed) {
		sock_started(s);
	} else {
		/* handed over after HELLO and CONNECT: the conn decides next */
		s->hello = *handed;
		s->got_hello = true;
		s->state = MSG_SS_SESSION;
		if (w->msgr->opts.tcp_nodelay)
			uv_tcp_nodelay(&s->tcp, 1);
		rc = uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
		if (rc) {
			msg_sock_fail(s, "read start failed");
			return rc;
		}
	}
	*out = s;
	return 0;
}

void msg_sock_writes_drained(struct msg_sock *s)
{
	if (s->handoff && s->state != MSG_SS_CLOSING)
		handoff_now(s);
	else if (s->close_after_write)
		msg_sock_close(s);
}
