/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/session.c - lossless session bookkeeping without sockets: sequence
 * numbers, acknowledgements, resend after reconnect, duplicate suppression,
 * the connect-race tie-break and the acceptor's verdict on a CONNECT.
 *
 * DESIGN
 *   Invariants
 *     - sent and out hold messages in strictly increasing seq order and
 *       every seq in sent is smaller than every seq in out.
 *     - Every message in sent has seq > the highest ack received.
 *     - in_seq is the seq of the last message delivered; a message is
 *       delivered iff its seq == in_seq + 1 (exactly once, in order).
 *     - peer_nonce != 0 names the peer incarnation. sess_id names our side
 *       of the session and changes at every reset; peer_sess is the peer's
 *       sess_id as learnt from its CONNECT or ACCEPT. Two sides agree on a
 *       session iff each knows the other's current sess_id.
 *   States of a session (per peer, across sockets)
 *     FRESH (peer_sess == 0) --socket OPEN--> ESTABLISHED (peer_sess set)
 *     ESTABLISHED --socket lost--> ESTABLISHED (messages stay in sent/out)
 *     any --new peer nonce / RESET / peer's sess_id changed--> FRESH (queues
 *                                                  dropped, owner told)
 *   Edges
 *     FRESH->ESTABLISHED caller stores peer_sess at ACCEPT
 *     *->FRESH msg_session_reset
 *   The acceptor's verdict (msg_session_verdict), in order:
 *     peer names a sess_id of ours that is gone -> RESET (peer resets, retries)
 *     new incarnation / peer's session reset -> ACCEPT_NEW_PEER (we reset)
 *     we have an OPEN socket                 -> REPLACE, or STALE if the
 *                                               attempt is not newer
 *     we are connecting ourselves (a race)   -> WAIT if we win the
 *                                               tie-break, else REPLACE
 *     otherwise                              -> ACCEPT */
#include <assert.h>
#include <errno.h>

#include "msg/msg_wire.h"

static void assert_session_state(const struct msg_session *s)
{
#ifndef NDEBUG
	const struct list_node *n;
	uint64_t last = 0;

	LIST_FOR_EACH(n, &s->sent)
	{
		const struct msg *m = LIST_CONTAINER(n, struct msg, node);

		assert(m->seq > last);
		last = m->seq;
	}
	LIST_FOR_EACH(n, &s->out)
	{
		const struct msg *m = LIST_CONTAINER(n, struct msg, node);

		assert(m->seq > last || m->seq == 0);
		if (m->seq)
			last = m->seq;
	}
#endif
	(void)s;
}

void msg_session_init(struct msg_session *s, uint64_t sess_id)
{
	assert(sess_id != 0);
	s->sess_id = sess_id;
	s->peer_sess = s->peer_nonce = 0;
	s->in_seq = s->acked_in = 0;
	s->connect_seq = s->peer_connect_seq = 0;
	list_init(&s->out);
	list_init(&s->sent);
}

void msg_session_reset(struct msg_session *s, uint64_t sess_id, struct list_node *dropped)
{
	assert(sess_id != 0 && sess_id != s->sess_id);
	list_splice_back(dropped, &s->sent);
	list_splice_back(dropped, &s->out);
	s->sess_id = sess_id;
	s->peer_sess = s->peer_nonce = 0;
	s->in_seq = s->acked_in = 0;
	s->peer_connect_seq = 0;
}

size_t msg_session_ack(struct msg_session *s, uint64_t ack, struct list_node *freed)
{
	size_t n = 0;

	while (!list_is_empty(&s->sent)) {
		struct msg *m = LIST_CONTAINER(s->sent.next, struct msg, node);

		if (m->seq > ack)
			break;
		list_remove(&m->node);
		list_push_back(freed, &m->node);
		n++;
	}
	return n;
}

size_t msg_session_requeue(struct msg_session *s, uint64_t peer_in_seq, struct list_node *freed)
{
	struct list_node rest;
	size_t n = msg_session_ack(s, peer_in_seq, freed);

	list_init(&rest);
	list_splice_back(&rest, &s->sent);
	list_splice_back(&rest, &s->out);
	list_splice_back(&s->out, &rest);
	assert_session_state(s);
	return n;
}

int msg_session_rx(struct msg_session *s, uint64_t seq)
{
	if (seq <= s->in_seq)
		return MSG_RX_DUP;
	if (seq != s->in_seq + 1)
		return -EBADMSG;
	s->in_seq = seq;
	return MSG_RX_DELIVER;
}

bool msg_session_wins_race(const struct msg_entity *a, uint64_t an, const struct msg_entity *b,
                           uint64_t bn)
{
	int c = msg_entity_cmp(a, b);

	if (c)
		return c > 0;
	return an > bn;
}

enum msg_verdict msg_session_verdict(const struct msg_session *s, uint64_t hello_nonce,
                                     const struct msg_connect *c, enum msg_cur_sock cur, bool i_win)
{
	bool other_nonce = s->peer_nonce && s->peer_nonce != hello_nonce;
	bool peer_reset = s->peer_sess && s->peer_sess != c->sess_id;

	if (c->peer_sess && (c->peer_sess != s->sess_id || other_nonce))
		return MSG_V_RESET;
	if (other_nonce || peer_reset)
		return MSG_V_ACCEPT_NEW_PEER;
	if (cur == MSG_CUR_OPEN)
		return c->connect_seq <= s->peer_connect_seq ? MSG_V_STALE : MSG_V_ACCEPT_REPLACE;
	if (cur == MSG_CUR_CONNECTING)
		return i_win ? MSG_V_WAIT : MSG_V_ACCEPT_REPLACE;
	return MSG_V_ACCEPT;
}
