/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_loop.c - messengers over loopback: lossless exchange
 * both ways, lossy failure notice, peer restart reported as a reset (old
 * messages never reach the new incarnation), simultaneous connects, bad
 * peers disconnected without harm, keepalives, 4 MiB payloads, idle
 * timeout and receive throttles. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "msg/msg_wire.h"
#include "msg_test_util.h"
#include "tests.h"

static struct msg_conn *dial(struct tep *from, const char *peer, struct tep *to, enum msg_policy p)
{
	struct msg_entity e;
	struct msg_conn *c;

	assert_int_equal(msg_entity_parse(peer, &e), 0);
	assert_int_equal(msg_connect(from->m, &e, &to->addr, p, &c), 0);
	return c;
}

static void test_lossless_both_ways(void **state)
{
	static struct tep a, b;
	struct msg_conn *c;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.reply = true;
	assert_int_equal(tep_start(&a, "osd.1", NULL, true, 0), 0);
	assert_int_equal(tep_start(&b, "osd.2", NULL, true, 0), 0);
	c = dial(&a, "osd.2", &b, MSG_POLICY_LOSSLESS_PEER);
	for (uint64_t i = 0; i < 500; i++)
		assert_int_equal(tep_send_ping(c, 1, i), 0);
	assert_true(tep_wait_count(&b.recv, 500, 5000));
	assert_true(tep_wait_count(&a.connects, 1, 2000));
	assert_true(tep_wait_count(&b.accepts, 1, 2000));
	for (int i = 0; i < 2000 && msg_conn_queued(c) > 0; i++)
		usleep(1000);
	assert_int_equal(msg_conn_queued(c), 0); /* everything acknowledged */
	assert_int_equal(a.errors + b.errors, 0);
	assert_true(msg_conn_is_open(c));
	assert_int_equal(msg_conn_peer_nonce(c), msg_messenger_nonce(b.m));
	msg_conn_put(c);
	tep_stop(&a);
	tep_stop(&b);
}

static void test_lossy_reset(void **state)
{
	static struct tep srv, cli;
	struct msg_conn *c;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	assert_int_equal(tep_start(&srv, "osd.1", NULL, true, 0), 0);
	assert_int_equal(tep_start(&cli, "client.7", NULL, false, 0), 0);
	c = dial(&cli, "osd.1", &srv, MSG_POLICY_LOSSY);
	assert_int_equal(tep_send_ping(c, 7, 0), 0);
	assert_true(tep_wait_count(&srv.recv, 1, 5000));
	tep_stop(&srv); /* the server goes away */
	assert_true(tep_wait_count(&cli.resets, 1, 5000));
	assert_false(msg_conn_is_open(c));
	assert_int_equal(tep_send_ping(c, 7, 1), -ENOTCONN);
	msg_conn_put(c);
	tep_stop(&cli);
}

static void test_peer_restart(void **state)
{
	static struct tep a, b;
	struct msg_conn *c;
	uint16_t port;
	uint64_t n1;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(tep_start(&a, "osd.1", NULL, true, 0), 0);
	assert_int_equal(tep_start(&b, "osd.2", NULL, true, 0), 0);
	port = b.addr.port;
	n1 = msg_messenger_nonce(b.m);
	c = dial(&a, "osd.2", &b, MSG_POLICY_LOSSLESS_PEER);
	for (uint64_t i = 0; i < 10; i++)
		tep_send_ping(c, 1, i);
	assert_true(tep_wait_count(&b.recv, 10, 5000));
	tep_stop(&b);
	/* queued while the peer is down: must not reach the new incarnation */
	for (uint64_t i = 10; i < 20; i++)
		tep_send_ping(c, 1, i);
	usleep(50000);
	memset(&b, 0, sizeof(b));
	assert_int_equal(tep_start(&b, "osd.2", NULL, true, port), 0);
	assert_true(n1 != msg_messenger_nonce(b.m));
	assert_true(tep_wait_count(&a.remote_resets, 1, 5000));
	assert_int_equal(msg_conn_queued(c), 0);
	/* new messages flow to the new incarnation, numbered from scratch */
	atomic_store(&b.next[1], 100);
	for (uint64_t i = 100; i < 110; i++)
		tep_send_ping(c, 1, i);
	assert_true(tep_wait_count(&b.recv, 10, 5000));
	assert_int_equal(atomic_load(&b.recv), 10);
	assert_int_equal(b.errors, 0);
	msg_conn_put(c);
	tep_stop(&a);
	tep_stop(&b);
}

static void test_simultaneous_connect(void **state)
{
	for (int round = 0; round < 5; round++) {
		static struct tep a, b;
		struct msg_conn *ca, *cb;

		(void)state;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		assert_int_equal(tep_start(&a, "osd.1", NULL, true, 0), 0);
		assert_int_equal(tep_start(&b, "osd.2", NULL, true, 0), 0);
		ca = dial(&a, "osd.2", &b, MSG_POLICY_LOSSLESS_PEER);
		cb = dial(&b, "osd.1", &a, MSG_POLICY_LOSSLESS_PEER);
		for (uint64_t i = 0; i < 200; i++) {
			tep_send_ping(ca, 1, i);
			tep_send_ping(cb, 2, i);
		}
		assert_true(tep_wait_count(&b.recv, 200, 10000));
		assert_true(tep_wait_count(&a.recv, 200, 10000));
		assert_int_equal(a.errors + b.errors, 0);
		assert_int_equal(a.remote_resets + b.remote_resets, 0);
		msg_conn_put(ca);
		msg_conn_put(cb);
		tep_stop(&a);
		tep_stop(&b);
	}
}

/* Sends raw bytes to the endpoint and expects the connection to be closed. */
static void raw_peer(const struct tep *t, const void *bytes, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(t->addr.port) };
	char buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t r;

	memcpy(&sa.sin_addr, t->addr.ip, 4);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	shutdown(fd, SHUT_WR); /* a truncated frame ends here */
	do                     /* the banner and HELLO come back, then EOF */
		r = read(fd, buf, sizeof(buf));
	while (r > 0);
	assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
	close(fd);
}

static void test_bad_peers(void **state)
{
	static struct tep b;
	uint8_t junk[200];
	uint8_t good[MSG_BANNER_LEN + 48];

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(tep_start(&b, "osd.2", NULL, true, 0), 0);
	memset(junk, 'x', sizeof(junk));
	raw_peer(&b, junk, sizeof(junk)); /* bad banner */
	memcpy(good, "sepiamsg\x01\x00\x28\x00\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0",
	       MSG_BANNER_LEN);
	memset(good + MSG_BANNER_LEN, 0x06, 48); /* header with a bad crc */
	raw_peer(&b, good, sizeof(good));
	memset(good + MSG_BANNER_LEN, 0, 48);
	good[MSG_BANNER_LEN] = 1;         /* HELLO ... */
	good[MSG_BANNER_LEN + 24] = 0xff; /* ... front_len 255, then EOF */
	raw_peer(&b, good, MSG_BANNER_LEN + 40);
	tep_stop(&b);
}

static void test_keepalive_bigdata_idle(void **state)
{
	static struct tep a, b;
	struct msg_opts o;
	struct msg_conn *c;
	struct msg_ping *p;
	void *space;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	tep_test_opts(&o);
	o.keepalive_interval = 0;
	o.idle_timeout = 0.5;
	assert_int_equal(tep_start(&a, "client.1", &o, false, 0), 0);
	assert_int_equal(tep_start(&b, "osd.2", NULL, true, 0), 0);
	c = dial(&a, "osd.2", &b, MSG_POLICY_LOSSY);
	assert_int_equal(msg_ping_create(1, 0, &p), 0);
	assert_int_equal(buf_create(&p->m.data), 0);
	assert_int_equal(buf_append_space(p->m.data, 4 << 20, &space), 0);
	memset(space, 0xab, 4 << 20);
	assert_int_equal(msg_send(c, &p->m), 0);
	assert_true(tep_wait_count(&b.data_bytes, 4 << 20, 10000));
	assert_int_equal(msg_conn_send_keepalive(c), 0);
	for (int i = 0; i < 3000 && msg_conn_last_keepalive_ack(c) == 0; i++)
		usleep(1000);
	assert_true(msg_conn_last_keepalive_ack(c) != 0);
	/* no traffic, no keepalives: the client drops the connection */
	assert_true(tep_wait_count(&a.resets, 1, 5000));
	msg_conn_put(c);
	tep_stop(&a);
	tep_stop(&b);
}

static void test_throttle(void **state)
{
	static struct tep a, b;
	struct msg_opts o;
	struct msg_conn *c;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	tep_test_opts(&o);
	o.conn_throttle_msgs = 2;
	o.dispatch_throttle_bytes = 100;
	b.sleep_us = 200;
	assert_int_equal(tep_start(&a, "osd.1", NULL, true, 0), 0);
	assert_int_equal(tep_start(&b, "osd.2", &o, true, 0), 0);
	c = dial(&a, "osd.2", &b, MSG_POLICY_LOSSLESS_PEER);
	for (uint64_t i = 0; i < 300; i++)
		tep_send_ping(c, 1, i);
	assert_true(tep_wait_count(&b.recv, 300, 20000));
	assert_int_equal(b.errors, 0);
	msg_conn_put(c);
	tep_stop(&a);
	tep_stop(&b);
}

int test_loop_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossless_both_ways),
		cmocka_unit_test(test_lossy_reset),
		cmocka_unit_test(test_peer_restart),
		cmocka_unit_test(test_simultaneous_connect),
		cmocka_unit_test(test_bad_peers),
		cmocka_unit_test(test_keepalive_bigdata_idle),
		cmocka_unit_test(test_throttle),
	};

	return cmocka_run_group_tests_name("msg_loop", tests, NULL, NULL);
}
