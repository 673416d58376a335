/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/sock_write.c - the write path of a socket: control frames and batches
 * of messages as one writev each, the message payload going out straight
 * from its bufs' segments (never copied). At most one message batch is in
 * flight per socket, so messages queued meanwhile coalesce into the next.
 * Lossless messages move to the session's sent list when written and stay
 * there until acknowledged; lossy messages are released when written. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "msg/msg_int.h"

#define HF_LEN  (MSG_FRAME_HDR_LEN + MSG_FRAME_FTR_LEN)
#define IOV_CAP 1024

struct wreq {
	uv_write_t req;
	struct msg_sock *s;
	bool batch;
	unsigned nmsg;
	struct msg **msgs; /* a reference each */
	uint8_t *hf;       /* nmsg header+footer areas, or a control frame */
	uv_buf_t *bufs;
	struct iovec *iov;
};

static void write_cb(uv_write_t *req, int status)
{
	struct wreq *wr = req->data;
	struct msg_sock *s = wr->s;
	struct msg_conn *c = s->conn;
	struct list_node done;

	list_init(&done);
	for (unsigned i = 0; i < wr->nmsg; i++) {
		if (c && c->policy != MSG_POLICY_LOSSLESS_PEER)
			list_push_back(&done, &wr->msgs[i]->node);
		else
			msg_put(wr->msgs[i]);
	}
	if (c)
		msg_conn_release(c, &done);
	s->writes_pending--;
	if (wr->batch)
		s->writing = false;
	mem_free(wr);
	if (s->state == MSG_SS_CLOSING)
		return;
	if (status) {
		msg_sock_fail(s, uv_strerror(status));
		return;
	}
	if (s->writes_pending == 0 && (s->handoff || s->close_after_write)) {
		msg_sock_writes_drained(s);
		return;
	}
	msg_sock_flush(s);
}

static int submit(struct msg_sock *s, struct wreq *wr, unsigned nbuf)
{
	int rc;

	wr->s = s;
	wr->req.data = wr;
	rc = uv_write(&wr->req, (uv_stream_t *)&s->tcp, wr->bufs, nbuf, write_cb);
	if (rc) {
		for (unsigned i = 0; i < wr->nmsg; i++)
			msg_put(wr->msgs[i]);
		mem_free(wr);
		msg_sock_fail(s, uv_strerror(rc));
		return rc;
	}
	s->writes_pending++;
	s->last_tx = msg_now_ns();
	return 0;
}

static uint64_t take_ack(struct msg_sock *s)
{
	struct msg_conn *c = s->conn;

	if (!c || c->policy != MSG_POLICY_LOSSLESS_PEER || s->state != MSG_SS_OPEN)
		return 0;
	c->sess.acked_in = c->sess.in_seq;
	return c->sess.in_seq;
}

int msg_sock_send_ctl(struct msg_sock *s, uint8_t tag, uint64_t seq, struct enc *front)
{
	size_t flen = front ? front->len : 0;
	size_t len = tag == MSG_TAG_BANNER ? MSG_BANNER_LEN : HF_LEN + flen;
	struct wreq *wr = mem_calloc(1, sizeof(*wr) + sizeof(uv_buf_t) + len);
	struct msg_frame_hdr h;
	struct msg_banner b;

	if (!wr)
		return -ENOMEM;
	wr->bufs = (uv_buf_t *)(wr + 1);
	wr->hf = (uint8_t *)(wr->bufs + 1);
	wr->bufs[0] = uv_buf_init((char *)wr->hf, (unsigned)len);
	if (tag == MSG_TAG_BANNER) {
		msg_banner_local(&b);
		msg_banner_encode(&b, wr->hf);
		return submit(s, wr, 1);
	}
	memset(&h, 0, sizeof(h));
	h.tag = tag;
	h.flags = MSG_FF_CRC;
	h.seq = seq;
	h.ack = take_ack(s);
	h.front_len = (uint32_t)flen;
	msg_frame_hdr_encode(&h, wr->hf);
	if (flen)
		memcpy(wr->hf + MSG_FRAME_HDR_LEN, front->data, flen);
	msg_frame_ftr_encode(crc_crc32c(0, front ? front->data : NULL, flen), 0,
	                     wr->hf + MSG_FRAME_HDR_LEN + flen);
	return submit(s, wr, 1);
}

static unsigned msg_nbuf(const struct msg *m)
{
	return 2 + (m->front ? buf_nseg(m->front) : 0) + (m->middle ? buf_nseg(m->middle) : 0) +
	       (m->data ? buf_nseg(m->data) : 0);
}

/* Counts the messages of out that fit one batch, and their iovecs. */
static unsigned batch_size(const struct list_node *out, unsigned *nbuf)
{
	const struct list_node *n;
	unsigned cnt = 0, nb = 0;

	LIST_FOR_EACH(n, out)
	{
		unsigned k = msg_nbuf(LIST_CONTAINER(n, struct msg, node));

		if (cnt == MSG_BATCH_MAX || (cnt > 0 && nb + k > IOV_CAP))
			break;
		cnt++;
		nb += k;
	}
	*nbuf = nb;
	return cnt;
}

static unsigned add_seg(struct wreq *wr, unsigned at, const struct buf *b)
{
	int n;

	if (!b || buf_len(b) == 0)
		return at;
	n = buf_iov(b, 0, buf_len(b), wr->iov + at, IOV_CAP * 4);
	assert(n >= 0);
	for (int i = 0; i < n; i++)
		wr->bufs[at + (unsigned)i] =
		    uv_buf_init(wr->iov[at + i].iov_base, (unsigned)wr->iov[at + i].iov_len);
	return at + (unsigned)n;
}

/* Header, segments and footer of m at bufs[at...]; returns the next slot. */
static unsigned add_msg(struct msg_sock *s, struct wreq *wr, unsigned i, unsigned at, struct msg *m,
                        uint64_t ack)
{
	struct msg_conn *c = s->conn;
	uint8_t *hf = wr->hf + (size_t)i * HF_LEN;
	struct msg_frame_hdr h = {
		.tag = MSG_TAG_MESSAGE,
		.type = m->type,
		.version = m->version,
		.priority = m->priority,
		.seq = m->seq,
		.ack = ack,
		.front_len = m->front ? (uint32_t)buf_len(m->front) : 0,
		.middle_len = m->middle ? (uint32_t)buf_len(m->middle) : 0,
		.data_len = m->data ? (uint32_t)buf_len(m->data) : 0,
	};

	h.flags = (c->crc_header ? MSG_FF_CRC : 0) |
	          (c->crc_data && !m->no_data_crc ? MSG_FF_DATA_CRC : 0);
	msg_frame_hdr_encode(&h, hf);
	msg_frame_ftr_encode(m->front_crc, m->data_crc, hf + MSG_FRAME_HDR_LEN);
	wr->bufs[at++] = uv_buf_init((char *)hf, MSG_FRAME_HDR_LEN);
	at = add_seg(wr, at, m->front);
	at = add_seg(wr, at, m->middle);
	at = add_seg(wr, at, m->data);
	wr->bufs[at++] = uv_buf_init((char *)hf + MSG_FRAME_HDR_LEN, MSG_FRAME_FTR_LEN);
	return at;
}

static struct wreq *wreq_alloc(unsigned cnt, unsigned nbuf)
{
	size_t sz = sizeof(struct wreq) + cnt * sizeof(struct msg *) + (size_t)cnt * HF_LEN +
	            nbuf * (sizeof(uv_buf_t) + sizeof(struct iovec)) + 16;
	struct wreq *wr = mem_calloc(1, sz);

	if (!wr)
		return NULL;
	wr->msgs = (struct msg **)(wr + 1);
	wr->bufs = (uv_buf_t *)(wr->msgs + cnt);
	wr->iov = (struct iovec *)(wr->bufs + nbuf);
	wr->hf = (uint8_t *)(wr->iov + nbuf);
	wr->batch = true;
	return wr;
}

/* A lossy connection may drop the message here (fault injection). */
static bool drop_injected(struct msg_sock *s)
{
	struct msg_messenger *m = s->w->msgr;

	if (s->conn->policy == MSG_POLICY_LOSSLESS_PEER || m->opts.inject_drop_probability <= 0 ||
	    msg_worker_rand(s->w) >= m->opts.inject_drop_probability)
		return false;
	MSG_STAT_ADD(m, injected_drops, 1);
	return true;
}

static void flush_batch(struct msg_sock *s, unsigned cnt, unsigned nbuf)
{
	struct msg_conn *c = s->conn;
	bool lossless = c->policy == MSG_POLICY_LOSSLESS_PEER;
	uint64_t ack = take_ack(s), bytes = 0;
	struct list_node dropped;
	struct wreq *wr = wreq_alloc(cnt, nbuf);
	unsigned at = 0, n = 0;

	if (!wr)
		return msg_sock_fail(s, "out of memory");
	list_init(&dropped);
	for (unsigned i = 0; i < cnt; i++) {
		struct msg *m = LIST_CONTAINER(list_pop_front(&c->sess.out), struct msg, node);

		if (drop_injected(s)) {
			list_push_back(&dropped, &m->node);
			continue;
		}
		at = add_msg(s, wr, n, at, m, ack);
		bytes += msg_payload_len(m);
		if (lossless) {
			list_push_back(&c->sess.sent, &m->node);
			msg_get(m);
		}
		wr->msgs[n++] = m;
	}
	msg_conn_release(c, &dropped);
	wr->nmsg = n;
	MSG_STAT_ADD(s->w->msgr, msgs_sent, n);
	MSG_STAT_ADD(s->w->msgr, bytes_sent, bytes);
	if (n == 0) {
		mem_free(wr);
		return;
	}
	if (submit(s, wr, at) == 0)
		s->writing = true;
}

void msg_sock_flush(struct msg_sock *s)
{
	struct msg_conn *c = s->conn;
	struct msg_messenger *m = s->w->msgr;
	unsigned cnt, nbuf;

	if (s->state != MSG_SS_OPEN || s->writing || !c || c->sock != s)
		return;
	if (list_is_empty(&c->sess.out)) {
		if (c->policy == MSG_POLICY_LOSSLESS_PEER && c->sess.in_seq > c->sess.acked_in)
			msg_sock_send_ctl(s, MSG_TAG_ACK, 0, NULL);
		return;
	}
	if (msg_worker_inject(s->w, m->opts.inject_socket_failures)) {
		MSG_STAT_ADD(m, injected_failures, 1);
		msg_sock_fail(s, "injected socket failure");
		return;
	}
	cnt = batch_size(&c->sess.out, &nbuf);
	flush_batch(s, cnt, nbuf);
}
