/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mon/test_raft_msg.c - the consensus wire codec: round trips of
 * every message type, truncation, versions, forged counts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "mon/raft_int.h"
#include "tests.h"

static struct mon_raft_entry ents[2] = {
	{ .term = 3, .type = MON_RAFT_ENTRY_DATA, .len = 3, .data = (uint8_t *)"abc" },
	{ .term = 4, .type = MON_RAFT_ENTRY_CONF, .len = 8, .data = (uint8_t *)"\7\0\0\0\0\0\0\0" },
};

static const struct mon_raft_msg samples[] = {
	{ .type = MON_RAFT_MSG_VOTE_REQ,
	  .from = 1,
	  .to = 2,
	  .term = 9,
	  .prevote = true,
	  .last_index = 40,
	  .last_term = 8 },
	{ .type = MON_RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 9, .granted = true },
	{ .type = MON_RAFT_MSG_APPEND,
	  .from = 0,
	  .to = 4,
	  .term = 4,
	  .prev_index = 10,
	  .prev_term = 3,
	  .commit = 9,
	  .leader_ts = 1234,
	  .echo_ts = 1200,
	  .lease_ms = 90,
	  .lease_commit = 9,
	  .n_entries = 2,
	  .entries = ents },
	{ .type = MON_RAFT_MSG_APPEND_RESP,
	  .from = 4,
	  .to = 0,
	  .term = 4,
	  .success = true,
	  .match = 12,
	  .echo_ts = 1234,
	  .follower_ts = 555 },
	{ .type = MON_RAFT_MSG_SNAP,
	  .from = 0,
	  .to = 3,
	  .term = 4,
	  .snap_index = 77,
	  .snap_term = 4,
	  .snap_conf = 15,
	  .leader_ts = 99,
	  .snap_data = (const uint8_t *)"SNAP",
	  .snap_len = 4 },
};

static uint8_t *encode(const struct mon_raft_msg *m, size_t *len)
{
	struct enc e;
	enc_init(&e);
	assert_int_equal(mon_raft_msg_encode(m, &e), 0);
	uint8_t *p = enc_take(&e, len);
	enc_fini(&e);
	return p;
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t len, len2;
		struct mon_raft_msg m;
		uint8_t *p = encode(&samples[i], &len);
		assert_int_equal(mon_raft_msg_decode(p, len, &m), 0);
		uint8_t *q = encode(&m, &len2); /* decode . encode is the identity */
		assert_int_equal(len, len2);
		assert_memory_equal(p, q, len);
		assert_int_equal(m.type, samples[i].type);
		assert_int_equal(m.term, samples[i].term);
		if (m.type == MON_RAFT_MSG_APPEND) {
			assert_int_equal(m.entries[1].index, 12);
			assert_memory_equal(m.entries[0].data, "abc", 3);
		}
		mon_raft_msg_fini(&m);
		mem_free(q);
		mem_free(p);
	}
}

static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t len;
		struct mon_raft_msg m;
		uint8_t *p = encode(&samples[i], &len);
		for (size_t cut = 0; cut < len; cut++)
			assert_int_equal(mon_raft_msg_decode(p, cut, &m), -EBADMSG);
		mem_free(p);
	}
}

static void test_bad_fields(void **state)
{
	size_t len;
	struct mon_raft_msg m;
	(void)state;
	uint8_t *p = encode(&samples[0], &len);
	p[0] = p[1] = 9; /* struct_v and compat_v from the future */
	assert_int_equal(mon_raft_msg_decode(p, len, &m), -EPROTONOSUPPORT);
	p[0] = p[1] = 1;
	p[6] = 77; /* unknown type */
	assert_int_equal(mon_raft_msg_decode(p, len, &m), -EBADMSG);
	p[6] = MON_RAFT_MSG_VOTE_REQ;
	p[7] = 200; /* from out of range */
	assert_int_equal(mon_raft_msg_decode(p, len, &m), -EBADMSG);
	mem_free(p);
	struct mon_raft_msg bad = samples[2];
	struct mon_raft_entry e = {
		.term = 1, .type = MON_RAFT_ENTRY_CONF, .len = 3, .data = (uint8_t *)"abc"
	};
	bad.entries = &e;
	bad.n_entries = 1;
	p = encode(&bad, &len); /* a CONF entry must hold 8 bytes */
	assert_int_equal(mon_raft_msg_decode(p, len, &m), -EBADMSG);
	mem_free(p);
}

static void test_unknown_tail(void **state)
{
	struct enc e;
	struct mon_raft_msg m;
	size_t len;
	(void)state;
	enc_init(&e); /* a v2 writer appended a field a v1 reader skips */
	size_t pos = enc_begin(&e, 2, 1);
	enc_u8(&e, MON_RAFT_MSG_VOTE_RESP);
	enc_u32(&e, 1);
	enc_u32(&e, 0);
	enc_u64(&e, 5);
	enc_bool(&e, false);
	enc_bool(&e, true);
	enc_u64(&e, 0xdeadbeef);
	enc_end(&e, pos);
	uint8_t *p = enc_take(&e, &len);
	enc_fini(&e);
	assert_int_equal(mon_raft_msg_decode(p, len, &m), 0);
	assert_true(m.granted);
	mem_free(p);
}

int test_raft_msg_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_unknown_tail),
	};
	return cmocka_run_group_tests_name("raft_msg", tests, NULL, NULL);
}
