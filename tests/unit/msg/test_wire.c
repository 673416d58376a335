/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_wire.c - banner, frame header and control payload
 * codecs: round trips, checksums, every truncation rejected. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "msg/msg_wire.h"
#include "tests.h"

static void test_banner(void **state)
{
	struct msg_banner b, got;
	uint8_t raw[MSG_BANNER_LEN];

	(void)state;
	msg_banner_local(&b);
	msg_banner_encode(&b, raw);
	assert_memory_equal(raw, "sepiamsg", 8);
	assert_int_equal(msg_banner_decode(raw, sizeof(raw), &got), 0);
	assert_int_equal(got.version, MSG_PROTO_VERSION);
	assert_int_equal(msg_banner_check(&b, &got), 0);
	assert_int_equal(msg_banner_decode(raw, sizeof(raw) - 1, &got), -EBADMSG);
	raw[0] = 'x';
	assert_int_equal(msg_banner_decode(raw, sizeof(raw), &got), -EBADMSG);
	raw[0] = 's';
	raw[8] = 9; /* version */
	assert_int_equal(msg_banner_decode(raw, sizeof(raw), &got), -EBADMSG);
	got.required |= 1ull << 40; /* a feature we lack */
	assert_int_equal(msg_banner_check(&b, &got), -EPROTO);
}

static void test_header(void **state)
{
	struct msg_frame_hdr h = {
		.tag = MSG_TAG_MESSAGE, .flags = MSG_FF_CRC | MSG_FF_DATA_CRC, .type = 77,
		.version = 3, .priority = 196, .seq = 1ull << 40, .ack = 12345,
		.front_len = 10, .middle_len = 20, .data_len = 4 << 20,
	}, got;
	uint8_t raw[MSG_FRAME_HDR_LEN];

	(void)state;
	msg_frame_hdr_encode(&h, raw);
	memset(&got, 0, sizeof(got));
	assert_int_equal(msg_frame_hdr_decode(raw, &got), 0);
	assert_int_equal(got.tag, h.tag);
	assert_int_equal(got.flags, h.flags);
	assert_int_equal(got.type, h.type);
	assert_int_equal(got.version, h.version);
	assert_int_equal(got.priority, h.priority);
	assert_int_equal(got.seq, h.seq);
	assert_int_equal(got.ack, h.ack);
	assert_int_equal(got.front_len, h.front_len);
	assert_int_equal(got.middle_len, h.middle_len);
	assert_int_equal(got.data_len, h.data_len);
	for (size_t i = 0; i < sizeof(raw); i++) { /* any flipped bit is caught */
		raw[i] ^= 0x10;
		assert_int_equal(msg_frame_hdr_decode(raw, &got), -EBADMSG);
		raw[i] ^= 0x10;
	}
	h.flags = 0; /* without crc only structure is checked */
	msg_frame_hdr_encode(&h, raw);
	raw[36] = 0xff;
	assert_int_equal(msg_frame_hdr_decode(raw, &got), 0);
	raw[0] = 0; /* banner is never a wire tag */
	assert_int_equal(msg_frame_hdr_decode(raw, &got), -EBADMSG);
	raw[0] = MSG_TAG_MAX + 1;
	assert_int_equal(msg_frame_hdr_decode(raw, &got), -EBADMSG);
}

static void test_hello(void **state)
{
	struct msg_hello h, got;
	struct enc e;

	(void)state;
	memset(&h, 0, sizeof(h));
	msg_entity_parse("osd.12", &h.entity);
	h.nonce = 0xdeadbeef;
	msg_addr_parse("127.0.0.1:6801", &h.addr);
	enc_init(&e);
	assert_int_equal(msg_hello_encode(&h, &msg_auth_none, &e), 0);
	assert_int_equal(msg_hello_decode(e.data, e.len, &got), 0);
	assert_int_equal(msg_entity_cmp(&h.entity, &got.entity), 0);
	assert_int_equal(got.nonce, h.nonce);
	assert_int_equal(got.addr.port, 6801);
	assert_string_equal(got.auth, "none");
	assert_int_equal(got.auth_len, 0);
	for (size_t n = 0; n < e.len; n++)
		assert_int_equal(msg_hello_decode(e.data, n, &got), -EBADMSG);
	enc_fini(&e);
}

static void test_connect_accept(void **state)
{
	struct msg_connect c = { .policy = MSG_POLICY_LOSSLESS_PEER,
		                 .connect_seq = 7,
		                 .peer_nonce = 99,
		                 .sess_id = 5,
		                 .peer_sess = 6,
		                 .in_seq = 1000 },
	                   got;
	uint64_t sess, in;
	struct enc e;

	(void)state;
	enc_init(&e);
	msg_connect_encode(&c, &e);
	assert_int_equal(msg_connect_decode(e.data, e.len, &got), 0);
	assert_int_equal(got.policy, c.policy);
	assert_int_equal(got.connect_seq, c.connect_seq);
	assert_int_equal(got.peer_nonce, c.peer_nonce);
	assert_int_equal(got.sess_id, c.sess_id);
	assert_int_equal(got.peer_sess, c.peer_sess);
	assert_int_equal(got.in_seq, c.in_seq);
	for (size_t n = 0; n < e.len; n++)
		assert_int_equal(msg_connect_decode(e.data, n, &got), -EBADMSG);
	enc_fini(&e);
	enc_init(&e);
	msg_accept_encode(3, 44, &e);
	assert_int_equal(msg_accept_decode(e.data, e.len, &sess, &in), 0);
	assert_int_equal(sess, 3);
	assert_int_equal(in, 44);
	for (size_t n = 0; n < e.len; n++)
		assert_int_equal(msg_accept_decode(e.data, n, &sess, &in), -EBADMSG);
	enc_fini(&e);
}

int test_wire_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_connect_accept),
	};

	return cmocka_run_group_tests_name("msg_wire", tests, NULL, NULL);
}
