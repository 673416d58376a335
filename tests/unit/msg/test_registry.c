/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_registry.c - the message registry: typed round trip
 * through wire segments, untyped passthrough, malformed and too-new fronts,
 * duplicate registration, allocation failure at every step. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "msg/msg.h"
#include "tests.h"

static struct msg_registry *make_reg(void)
{
	struct msg_registry *r;

	assert_int_equal(msg_registry_create(&r), 0);
	assert_int_equal(msg_registry_add(r, &msg_ping_ops), 0);
	return r;
}

static void test_add_find(void **state)
{
	struct msg_registry *r = make_reg();
	struct msg_type_ops bad = msg_ping_ops;

	(void)state;
	assert_int_equal(msg_registry_add(r, &msg_ping_ops), -EEXIST);
	assert_ptr_equal(msg_registry_find(r, MSG_TYPE_PING), &msg_ping_ops);
	assert_null(msg_registry_find(r, 999));
	bad.type = 5;
	bad.size = 4; /* smaller than struct msg */
	assert_int_equal(msg_registry_add(r, &bad), -EINVAL);
	msg_registry_destroy(r);
}

static void test_ping_roundtrip(void **state)
{
	struct msg_registry *r = make_reg();
	struct msg_ping *p;
	struct msg *got;
	struct buf *data;

	(void)state;
	assert_int_equal(msg_ping_create(3, 424242, &p), 0);
	p->stamp = 99;
	assert_int_equal(msg_encode(&p->m), 0);
	assert_int_equal(buf_create(&data), 0);
	assert_int_equal(buf_append(data, "payload", 7), 0);
	assert_int_equal(
	    msg_registry_decode(r, MSG_TYPE_PING, 1, buf_get(p->m.front), NULL, data, &got), 0);
	assert_ptr_equal(got->ops, &msg_ping_ops);
	assert_int_equal(((struct msg_ping *)got)->counter, 424242);
	assert_int_equal(((struct msg_ping *)got)->src, 3);
	assert_int_equal(((struct msg_ping *)got)->stamp, 99);
	assert_int_equal(buf_len(got->data), 7);
	msg_put(got);
	msg_put(&p->m);
	msg_registry_destroy(r);
}

static void test_untyped_and_bad(void **state)
{
	struct msg_registry *r = make_reg();
	struct msg *got;
	struct buf *front;
	struct enc e;
	size_t at;

	(void)state;
	assert_int_equal(buf_create(&front), 0);
	buf_append(front, "\x01\x01\x03\0\0\0abc", 9);
	assert_int_equal(msg_registry_decode(r, 500, 0, front, NULL, NULL, &got), 0);
	assert_null(got->ops);
	msg_put(got);
	/* a truncated ping */
	assert_int_equal(buf_create(&front), 0);
	buf_append(front, "\x01\x01\x03\0\0\0abc", 9);
	assert_int_equal(msg_registry_decode(r, MSG_TYPE_PING, 1, front, NULL, NULL, &got),
	                 -EBADMSG);
	/* no front at all */
	assert_int_equal(msg_registry_decode(r, MSG_TYPE_PING, 1, NULL, NULL, NULL, &got),
	                 -EBADMSG);
	/* a ping from the future that old readers must not parse */
	enc_init(&e);
	at = enc_begin(&e, 5, 5);
	enc_u64(&e, 1);
	enc_end(&e, at);
	assert_int_equal(buf_create(&front), 0);
	buf_append(front, e.data, e.len);
	enc_fini(&e);
	assert_int_equal(msg_registry_decode(r, MSG_TYPE_PING, 5, front, NULL, NULL, &got),
	                 -EPROTONOSUPPORT);
	msg_registry_destroy(r);
}

static void test_alloc_failures(void **state)
{
	struct msg_registry *r = make_reg();

	(void)state;
	for (long nth = 1; nth < 20; nth++) {
		struct msg_ping *p = NULL;
		struct msg *got = NULL;
		int rc;

		mem_fail_at(nth);
		rc = msg_ping_create(1, 2, &p);
		if (!rc)
			rc = msg_encode(&p->m);
		if (!rc)
			rc = msg_registry_decode(r, MSG_TYPE_PING, 1, buf_get(p->m.front), NULL,
			                         NULL, &got);
		mem_fail_at(0);
		assert_true(rc == 0 || rc == -ENOMEM);
		msg_put(got);
		if (p)
			msg_put(&p->m);
	}
	msg_registry_destroy(r);
}

int test_registry_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_ping_roundtrip),
		cmocka_unit_test(test_untyped_and_bad),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests_name("msg_registry", tests, NULL, NULL);
}
