/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_entity.c - entity names and addresses: parse, print,
 * order, encode round trips and rejection of malformed input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "msg/msg.h"
#include "tests.h"

static void test_parse_names(void **state)
{
	struct msg_entity e;
	char buf[MSG_ENTITY_STR_MAX];

	(void)state;
	assert_int_equal(msg_entity_parse("mon.a", &e), 0);
	assert_int_equal(e.type, MSG_ENTITY_MON);
	assert_string_equal(msg_entity_str(&e, buf), "mon.a");
	assert_int_equal(msg_entity_parse("osd.3", &e), 0);
	assert_string_equal(msg_entity_str(&e, buf), "osd.3");
	assert_int_equal(msg_entity_parse("client.4711", &e), 0);
	assert_int_equal(msg_entity_parse("mds.b-1_x", &e), 0);
	assert_int_equal(msg_entity_parse("osd.a", &e), -EINVAL);  /* osd ids are numbers */
	assert_int_equal(msg_entity_parse("osd.03", &e), -EINVAL); /* no leading zeros */
	assert_int_equal(msg_entity_parse("osd.", &e), -EINVAL);
	assert_int_equal(msg_entity_parse("foo.1", &e), -EINVAL);
	assert_int_equal(msg_entity_parse("mon", &e), -EINVAL);
	assert_int_equal(msg_entity_parse("mon.a b", &e), -EINVAL);
	assert_int_equal(msg_entity_parse("client.18446744073709551616", &e), -EINVAL);
	assert_int_equal(msg_entity_parse("client.18446744073709551615", &e), 0);
}

static void test_order(void **state)
{
	struct msg_entity a, b;

	(void)state;
	msg_entity_parse("osd.9", &a);
	msg_entity_parse("osd.10", &b);
	assert_true(msg_entity_cmp(&a, &b) < 0); /* numeric, not bytewise */
	assert_true(msg_entity_cmp(&b, &a) > 0);
	msg_entity_parse("mon.a", &a);
	assert_true(msg_entity_cmp(&a, &b) < 0); /* type first */
	msg_entity_parse("mon.b", &b);
	assert_true(msg_entity_cmp(&a, &b) < 0);
	assert_int_equal(msg_entity_cmp(&a, &a), 0);
}

static void test_entity_codec(void **state)
{
	struct msg_entity e, got;
	struct enc enc;
	struct dec d;

	(void)state;
	msg_entity_parse("mds.alpha", &e);
	enc_init(&enc);
	msg_entity_encode(&e, &enc);
	assert_int_equal(enc_error(&enc), 0);
	for (size_t n = 0; n < enc.len; n++) { /* every truncation fails */
		dec_init(&d, enc.data, n);
		assert_int_equal(msg_entity_decode(&d, &got), -EBADMSG);
	}
	dec_init(&d, enc.data, enc.len);
	assert_int_equal(msg_entity_decode(&d, &got), 0);
	assert_int_equal(msg_entity_cmp(&e, &got), 0);
	assert_int_equal(dec_left(&d), 0);
	enc.data[7] = 99; /* the type byte: not a valid entity type */
	dec_init(&d, enc.data, enc.len);
	assert_int_equal(msg_entity_decode(&d, &got), -EBADMSG);
	enc_fini(&enc);
}

static void test_addr(void **state)
{
	struct msg_addr a, got;
	char buf[MSG_ADDR_STR_MAX];
	struct enc enc;
	struct dec d;

	(void)state;
	assert_int_equal(msg_addr_parse("127.0.0.1:6800", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.port, 6800);
	assert_string_equal(msg_addr_str(&a, buf), "127.0.0.1:6800");
	assert_int_equal(msg_addr_parse("[::1]:7000", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(msg_addr_str(&a, buf), "[::1]:7000");
	assert_int_equal(msg_addr_parse("1.2.3.4", &a), -EINVAL);
	assert_int_equal(msg_addr_parse("1.2.3.4:70000", &a), -EINVAL);
	assert_int_equal(msg_addr_parse("nothost:1", &a), -EINVAL);
	msg_addr_parse("[::1]:7000", &a);
	enc_init(&enc);
	msg_addr_encode(&a, &enc);
	for (size_t n = 0; n < enc.len; n++) {
		dec_init(&d, enc.data, n);
		assert_int_equal(msg_addr_decode(&d, &got), -EBADMSG);
	}
	dec_init(&d, enc.data, enc.len);
	assert_int_equal(msg_addr_decode(&d, &got), 0);
	assert_memory_equal(&a, &got, sizeof(a));
	enc_fini(&enc);
}

int test_entity_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_entity_codec),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests_name("msg_entity", tests, NULL, NULL);
}
