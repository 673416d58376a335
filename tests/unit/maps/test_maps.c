/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/maps/test_maps.c - MonMap and FSMap, and the unit_maps main. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/log.h"
#include "maps/fsmap.h"
#include "maps/monmap.h"
#include "maps/uuid.h"
#include "tests.h"

static const uint8_t fsid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void test_uuid(void **state)
{
	char s[MAPS_UUID_STR_LEN];
	uint8_t u[16], v[16];

	(void)state;
	assert_string_equal(maps_uuid_str(fsid, s), "01020304-0506-0708-090a-0b0c0d0e0f10");
	assert_int_equal(maps_uuid_parse(s, u), 0);
	assert_memory_equal(u, fsid, 16);
	assert_int_equal(maps_uuid_parse("01020304-0506-0708-090a-0b0c0d0e0f1", u), -EINVAL);
	assert_int_equal(maps_uuid_parse("0102030405-06-0708-090a-0b0c0d0e0f10", u), -EINVAL);
	assert_int_equal(maps_uuid_parse("01020304-0506-0708-090a-0b0c0d0e0fzz", u), -EINVAL);
	assert_int_equal(maps_uuid_generate(u), 0);
	assert_int_equal(maps_uuid_generate(v), 0);
	assert_memory_not_equal(u, v, 16);
	assert_int_equal(u[6] >> 4, 4); /* version 4 */
}

static void test_monmap(void **state)
{
	struct monmap m, back;
	struct msg_addr a;
	struct enc e;
	struct dec d;

	(void)state;
	monmap_init(&m, fsid);
	assert_int_equal(monmap_parse_hosts(&m, "c=127.0.0.1:3300, a=127.0.0.1:3301"), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.mons[0].name, "a"); /* sorted: rank 0 is a */
	assert_int_equal(monmap_rank(&m, "c"), 1);
	msg_addr_parse("127.0.0.1:3302", &a);
	assert_int_equal(monmap_add(&m, "b", &a), 0);
	assert_int_equal(monmap_rank(&m, "c"), 2);
	assert_int_equal(monmap_add(&m, "b", &a), -EEXIST);
	assert_int_equal(monmap_add(&m, "bad name", &a), -EINVAL);
	assert_int_equal(monmap_rank_by_addr(&m, &a), 1);
	m.epoch = 3;
	enc_init(&e);
	monmap_encode(&m, &e);
	dec_init(&d, e.data, e.len);
	assert_int_equal(monmap_decode(&d, &back), 0);
	assert_int_equal(back.n, 3);
	assert_int_equal(back.epoch, 3);
	assert_memory_equal(back.fsid, fsid, 16);
	for (size_t n = 0; n < e.len; n++) {
		dec_init(&d, e.data, n);
		assert_int_equal(monmap_decode(&d, &back), -EBADMSG);
	}
	enc_fini(&e);
	assert_int_equal(monmap_remove(&m, "a"), 0);
	assert_int_equal(monmap_remove(&m, "a"), -ENOENT);
	assert_int_equal(monmap_rank(&m, "b"), 0);
	/* bare addresses are named by position; garbage changes nothing */
	assert_int_equal(monmap_parse_hosts(&m, "127.0.0.1:1,127.0.0.1:2"), 0);
	assert_string_equal(m.mons[1].name, "b");
	assert_int_equal(monmap_parse_hosts(&m, "x=notanaddress"), -EINVAL);
	assert_int_equal(monmap_parse_hosts(&m, ""), -EINVAL);
	assert_int_equal(m.n, 2);
}

static void test_monmap_ids(void **state)
{
	struct monmap m, back;
	struct msg_addr a;
	struct enc e;
	struct dec d;

	(void)state;
	monmap_init(&m, fsid);
	assert_int_equal(monmap_parse_hosts(&m, "b=127.0.0.1:1,c=127.0.0.1:2"), 0);
	assert_int_equal(m.mons[monmap_rank(&m, "b")].id, 0); /* first map: id = rank */
	assert_int_equal(m.mons[monmap_rank(&m, "c")].id, 1);
	/* "a" sorts first: ranks shift, ids do not */
	msg_addr_parse("127.0.0.1:3", &a);
	assert_int_equal(monmap_add(&m, "a", &a), 0);
	assert_int_equal(monmap_rank(&m, "a"), 0);
	assert_int_equal(m.mons[0].id, 2);
	assert_int_equal(monmap_rank_by_id(&m, 0), 1); /* b */
	assert_int_equal(monmap_remove(&m, "b"), 0);
	assert_int_equal(monmap_rank_by_id(&m, 0), -ENOENT);
	assert_int_equal(monmap_rank_by_id(&m, 1), 1); /* c keeps id 1 */
	/* ids survive the wire */
	enc_init(&e);
	monmap_encode(&m, &e);
	dec_init(&d, e.data, e.len);
	assert_int_equal(monmap_decode(&d, &back), 0);
	assert_int_equal(back.mons[0].id, 2);
	assert_int_equal(back.mons[1].id, 1);
	enc_fini(&e);
}

static void test_fsmap(void **state)
{
	struct fsmap m, back;
	struct msg_addr a;
	uint64_t g1, g2, g3;
	int32_t id;
	struct enc e;
	struct dec d;

	(void)state;
	fsmap_init(&m);
	msg_addr_parse("127.0.0.1:6800", &a);
	assert_int_equal(fsmap_fs_add(&m, "cephfs", 1, 2, &id), 0);
	assert_int_equal(fsmap_fs_add(&m, "cephfs", 1, 2, &id), -EEXIST);
	assert_int_equal(fsmap_fs_add(&m, "bad/name", 1, 2, &id), -EINVAL);
	assert_int_equal(fsmap_mds_add(&m, "a", &a, &g1), 0);
	assert_int_equal(fsmap_mds_add(&m, "b", &a, &g2), 0);
	assert_int_equal(fsmap_mds_add(&m, "c", &a, &g3), 0);
	assert_int_equal(fsmap_mds_add(&m, "a", &a, &g3), -EEXIST);
	assert_int_equal(fsmap_mds_assign(&m, g1, id, 0, FSMAP_ACTIVE), 0);
	assert_int_equal(fsmap_mds_assign(&m, g2, id, 0, FSMAP_ACTIVE), -EBUSY);
	assert_int_equal(fsmap_mds_assign(&m, g2, id, 0, FSMAP_STANDBY_REPLAY), 0);
	assert_int_equal(fsmap_mds_assign(&m, g3, id, 1, FSMAP_ACTIVE), -EINVAL); /* max_mds 1 */
	assert_int_equal(fsmap_mds_assign(&m, 999, id, 0, FSMAP_ACTIVE), -ENOENT);
	m.epoch = 7;
	enc_init(&e);
	fsmap_encode(&m, &e);
	dec_init(&d, e.data, e.len);
	assert_int_equal(fsmap_decode(&d, &back), 0);
	assert_int_equal(back.nmds, 3);
	assert_int_equal(back.mds[0].state, FSMAP_ACTIVE);
	assert_string_equal(back.fs[0].name, "cephfs");
	for (size_t n = 0; n < e.len; n++) {
		dec_init(&d, e.data, n);
		assert_int_equal(fsmap_decode(&d, &back), -EBADMSG);
	}
	enc_fini(&e);
	assert_string_equal(fsmap_state_name(FSMAP_STANDBY_REPLAY), "up:standby-replay");
	assert_int_equal(fsmap_fs_remove(&m, "cephfs"), 0);
	assert_int_equal(fsmap_mds_by_gid(&m, g1)->state, FSMAP_STANDBY);
	assert_int_equal(fsmap_mds_remove(&m, g1), 0);
	assert_int_equal(fsmap_mds_remove(&m, g1), -ENOENT);
}

int test_monmap_fsmap_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_monmap),
		cmocka_unit_test(test_monmap_ids),
		cmocka_unit_test(test_fsmap),
	};
	return cmocka_run_group_tests_name("monmap+fsmap", tests, NULL, NULL);
}

int main(void)
{
	log_set_all_levels(LOG_LVL_NONE);
	return test_monmap_fsmap_run() + test_osdmap_run() ? 1 : 0;
}
