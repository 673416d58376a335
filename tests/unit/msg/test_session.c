/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_session.c - lossless bookkeeping without sockets: acks,
 * resend after reconnect, duplicates, the tie-break, the acceptor verdicts,
 * and a seeded simulation of a lossy wire that must still deliver every
 * message exactly once and in order. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msg/msg_wire.h"
#include "tests.h"

static void queue(struct msg_session *s, uint64_t seq)
{
	struct msg *m;

	assert_int_equal(msg_create(1, &m), 0);
	m->seq = seq;
	list_push_back(&s->out, &m->node);
}

static size_t count(struct list_node *l)
{
	struct list_node *n;
	size_t k = 0;

	LIST_FOR_EACH(n, l)
	k++;
	return k;
}

static void put_list(struct list_node *l)
{
	struct list_node *n;

	while ((n = list_pop_front(l)))
		msg_put(LIST_CONTAINER(n, struct msg, node));
}

/* Moves the first message of out to sent, as a write does. */
static uint64_t write_one(struct msg_session *s)
{
	struct msg *m = LIST_CONTAINER(list_pop_front(&s->out), struct msg, node);

	list_push_back(&s->sent, &m->node);
	return m->seq;
}

static void test_ack_requeue(void **state)
{
	struct msg_session s;
	struct list_node freed;

	(void)state;
	msg_session_init(&s, 1);
	list_init(&freed);
	for (uint64_t i = 1; i <= 10; i++)
		queue(&s, i);
	for (int i = 0; i < 6; i++)
		write_one(&s);
	assert_int_equal(msg_session_ack(&s, 2, &freed), 2);
	assert_int_equal(count(&s.sent), 4);
	/* reconnect: the peer had 4; 5 and 6 go back in front of 7..10 */
	assert_int_equal(msg_session_requeue(&s, 4, &freed), 2);
	assert_int_equal(count(&s.sent), 0);
	assert_int_equal(count(&s.out), 6);
	assert_int_equal(LIST_CONTAINER(s.out.next, struct msg, node)->seq, 5);
	put_list(&freed);
	msg_session_reset(&s, 2, &freed);
	assert_int_equal(count(&freed), 6);
	assert_int_equal(s.sess_id, 2);
	put_list(&freed);
}

static void test_rx(void **state)
{
	struct msg_session s;

	(void)state;
	msg_session_init(&s, 1);
	assert_int_equal(msg_session_rx(&s, 1), MSG_RX_DELIVER);
	assert_int_equal(msg_session_rx(&s, 1), MSG_RX_DUP);
	assert_int_equal(msg_session_rx(&s, 3), -EBADMSG);
	assert_int_equal(msg_session_rx(&s, 2), MSG_RX_DELIVER);
	assert_int_equal(s.in_seq, 2);
}

static void test_race(void **state)
{
	struct msg_entity a, b;

	(void)state;
	msg_entity_parse("osd.1", &a);
	msg_entity_parse("osd.2", &b);
	assert_true(msg_session_wins_race(&b, 5, &a, 9));
	assert_false(msg_session_wins_race(&a, 9, &b, 5));
	/* same name (should not happen): nonce breaks the tie, antisymmetric */
	assert_true(msg_session_wins_race(&a, 9, &a, 5) != msg_session_wins_race(&a, 5, &a, 9));
}

static void test_verdicts(void **state)
{
	struct msg_session s;
	struct msg_connect c = { .policy = MSG_POLICY_LOSSLESS_PEER,
		                 .sess_id = 70,
		                 .connect_seq = 2 };

	(void)state;
	msg_session_init(&s, 10);
	/* first contact */
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_NONE, false), MSG_V_ACCEPT);
	/* both connecting: the tie-break decides */
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_CONNECTING, true), MSG_V_WAIT);
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_CONNECTING, false),
	                 MSG_V_ACCEPT_REPLACE);
	/* established session */
	s.peer_nonce = 100;
	s.peer_sess = 70;
	s.peer_connect_seq = 2;
	c.peer_sess = 10;
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_OPEN, false), MSG_V_STALE);
	c.connect_seq = 3;
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_OPEN, false),
	                 MSG_V_ACCEPT_REPLACE);
	/* peer restarted: new nonce, fresh session */
	c.peer_sess = 0;
	c.sess_id = 1;
	assert_int_equal(msg_session_verdict(&s, 200, &c, MSG_CUR_NONE, false),
	                 MSG_V_ACCEPT_NEW_PEER);
	/* peer reset its session (same nonce, new sess id) */
	c.sess_id = 71;
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_NONE, false),
	                 MSG_V_ACCEPT_NEW_PEER);
	/* peer names a session of ours that is gone (we reset) */
	c.sess_id = 70;
	c.peer_sess = 9;
	assert_int_equal(msg_session_verdict(&s, 100, &c, MSG_CUR_NONE, false), MSG_V_RESET);
}

/* A wire that loses everything in flight at random "socket failures". */
struct sim {
	struct msg_session tx, rx;
	uint64_t wire[64];
	size_t nwire, next_deliver;
	uint64_t delivered;
};

static void sim_step(struct sim *sm, unsigned r, struct list_node *freed)
{
	switch (r % 8) {
	case 0:
	case 1:
	case 2:
		if (!list_is_empty(&sm->tx.out) && sm->nwire < 64)
			sm->wire[sm->nwire++] = write_one(&sm->tx);
		break;
	case 3:
	case 4:
	case 5:
		if (sm->next_deliver < sm->nwire) {
			int v = msg_session_rx(&sm->rx, sm->wire[sm->next_deliver++]);

			assert_true(v >= 0);
			if (v == MSG_RX_DELIVER)
				assert_int_equal(sm->rx.in_seq, ++sm->delivered);
		}
		break;
	case 6:
		msg_session_ack(&sm->tx, sm->rx.in_seq, freed);
		break;
	default:
		if (r % 5 == 0) { /* socket failure, then reconnect */
			sm->nwire = sm->next_deliver = 0;
			msg_session_requeue(&sm->tx, sm->rx.in_seq, freed);
		}
	}
}

static void test_lossy_wire_exactly_once(void **state)
{
	struct sim sm;
	struct list_node freed;
	unsigned seed = 12345;
	const uint64_t n = 2000;

	(void)state;
	memset(&sm, 0, sizeof(sm));
	msg_session_init(&sm.tx, 1);
	msg_session_init(&sm.rx, 2);
	list_init(&freed);
	for (uint64_t i = 1; i <= n; i++)
		queue(&sm.tx, i);
	for (int step = 0; step < 2000000 && sm.delivered < n; step++) {
		seed = seed * 1103515245u + 12345u;
		sim_step(&sm, seed >> 8, &freed);
		put_list(&freed);
		if (sm.next_deliver == sm.nwire && list_is_empty(&sm.tx.out) && sm.delivered < n) {
			sm.nwire = sm.next_deliver = 0;
			msg_session_requeue(&sm.tx, sm.rx.in_seq, &freed);
		}
	}
	assert_int_equal(sm.delivered, n);
	msg_session_ack(&sm.tx, sm.rx.in_seq, &freed);
	assert_int_equal(count(&sm.tx.sent) + count(&sm.tx.out), 0);
	put_list(&freed);
}

int test_session_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_requeue),
		cmocka_unit_test(test_rx),
		cmocka_unit_test(test_race),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_lossy_wire_exactly_once),
	};

	return cmocka_run_group_tests_name("msg_session", tests, NULL, NULL);
}
