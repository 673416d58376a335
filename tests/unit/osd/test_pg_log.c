/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/osd/test_pg_log.c - the PG log: appending in version order,
 * duplicate detection by reqid, trimming (hysteresis between min and max,
 * never past last_complete), persistence as pgmeta omap keys + info xattr
 * and loading back; the on-disk codecs (superblock, object info, PG info,
 * log keys) with bad input; the PG -> shard mapping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "osd/osd_codec.h"
#include "osd/pg.h"
#include "osd/pg_log.h"
#include "store/store.h"

static struct osd_log_entry entry(uint32_t epoch, uint64_t v, const char *client, uint64_t tid)
{
	struct osd_log_entry e = {
		.op = OSD_LOG_MODIFY,
		.version = { epoch, v },
		.prior_version = { epoch, v - 1 },
		.reqid = { .inc = 7, .tid = tid },
		.user_version = v,
		.mtime_ns = 1000 * v,
		.nspace = "",
		.oid = "obj",
	};

	msg_entity_parse(client, &e.reqid.name);
	return e;
}

static void test_append_find_trim(void **state)
{
	struct pg_log l;
	struct osd_log_entry e;
	struct osd_eversion to;

	(void)state;
	pg_log_init(&l);
	for (uint64_t v = 1; v <= 100; v++) {
		e = entry(v < 50 ? 3 : 4, v, v % 2 ? "client.1" : "client.2", v);
		assert_int_equal(pg_log_append(&l, &e), 0);
	}
	assert_int_equal(l.n, 100);
	e = entry(4, 100, "client.9", 1);
	assert_int_equal(pg_log_append(&l, &e), -EINVAL); /* not newer */
	e = entry(3, 101, "client.9", 1);
	assert_int_equal(pg_log_append(&l, &e), -EINVAL); /* older epoch */
	e = entry(4, 1, "client.1", 777);
	assert_null(pg_log_find(&l, &e.reqid));
	e = entry(4, 1, "client.1", 51);
	assert_non_null(pg_log_find(&l, &e.reqid));
	assert_int_equal(pg_log_find(&l, &e.reqid)->version.v, 51);
	e.reqid.inc = 8; /* another instance of the client */
	assert_null(pg_log_find(&l, &e.reqid));
	assert_int_equal(pg_log_next(&l, (struct osd_eversion){ 4, 60 })->version.v, 61);
	/* trim point: under max nothing; over max back to min, not past limit */
	assert_false(pg_log_trim_point(&l, 10, 200, (struct osd_eversion){ 4, 100 }, &to));
	assert_true(pg_log_trim_point(&l, 10, 100, (struct osd_eversion){ 4, 100 }, &to));
	assert_int_equal(to.v, 91);
	assert_true(pg_log_trim_point(&l, 10, 100, (struct osd_eversion){ 3, 20 }, &to));
	assert_int_equal(to.v, 20);
	assert_false(pg_log_trim_point(&l, 10, 100, (struct osd_eversion){ 0, 0 }, &to));
	assert_int_equal(pg_log_trim(&l, (struct osd_eversion){ 4, 91 }), 91);
	assert_int_equal(l.n, 9);
	assert_int_equal(l.tail.v, 91);
	e = entry(4, 1, "client.1", 51);
	assert_null(pg_log_find(&l, &e.reqid)); /* trimmed: out of the window */
	e = entry(4, 1, "client.2", 92);
	assert_non_null(pg_log_find(&l, &e.reqid));
	assert_int_equal(pg_log_trim(&l, (struct osd_eversion){ 9, 0 }), 9);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.head.epoch, 9); /* head follows the tail when empty */
	pg_log_fini(&l);
}

static void test_persist_load(void **state)
{
	const char *cid = "2.7_head";
	struct pg_info info = { .pool = 2, .ps = 7, .epoch_created = 3 }, back;
	struct store *st;
	struct store_txn *t;
	struct pg_log l, l2;
	struct osd_log_entry e;

	(void)state;
	assert_int_equal(store_mem_create(&st), 0);
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_coll_create(t, cid), 0);
	assert_int_equal(store_txn_touch(t, cid, &pg_meta_oid), 0);
	assert_int_equal(pg_info_txn(t, cid, &info), 0);
	assert_int_equal(store_apply_transaction(st, t), 0);
	pg_log_init(&l);
	for (uint64_t v = 1; v <= 30; v++) {
		struct osd_eversion to = { 0 };
		bool trim = pg_log_trim_point(&l, 5, 20, info.last_update, &to);

		e = entry(5, v, "client.4", v);
		info.last_update = info.last_complete = e.version;
		if (trim)
			info.log_tail = to;
		assert_int_equal(store_txn_create(&t), 0);
		assert_int_equal(pg_log_txn(t, cid, &info, &e, trim, to), 0);
		assert_int_equal(store_apply_transaction(st, t), 0);
		assert_int_equal(pg_log_append(&l, &e), 0);
		if (trim)
			pg_log_trim(&l, to);
	}
	pg_log_init(&l2);
	assert_int_equal(pg_log_load(st, cid, &back, &l2), 0);
	assert_int_equal(back.last_update.v, 30);
	assert_int_equal(back.pool, 2);
	assert_int_equal(back.epoch_created, 3);
	assert_int_equal(l2.n, l.n);
	assert_true(l2.n >= 5 && l2.n <= 20);
	assert_int_equal(l2.tail.v, l.tail.v);
	e = entry(5, 30, "client.4", 30);
	assert_non_null(pg_log_find(&l2, &e.reqid));
	pg_log_fini(&l);
	pg_log_fini(&l2);
	/* a damaged info is refused */
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_setattr(t, cid, &pg_meta_oid, OSD_PGINFO_ATTR, "junk", 4), 0);
	assert_int_equal(store_apply_transaction(st, t), 0);
	pg_log_init(&l2);
	assert_int_equal(pg_log_load(st, cid, &back, &l2), -EBADMSG);
	pg_log_fini(&l2);
	assert_int_equal(pg_log_load(st, "9.9_head", &back, &l2), -ENOENT);
	store_close(st);
}

static void test_codecs(void **state)
{
	struct osd_super s = { .whoami = 3, .current_epoch = 9, .oldest_epoch = 2 }, s2;
	struct osd_obj_info oi = { { 4, 5 }, { 4, 4 }, 5, 4096, 123 }, oi2;
	struct pg_info pi = { 1, 0x1f, { 4, 9 }, { 4, 8 }, { 3, 1 }, 2, 4 }, pi2;
	struct osd_eversion v;
	char key[PG_LOG_KEY_LEN];
	struct enc e;

	(void)state;
	memset(s.fsid, 0xab, 16);
	memset(s.uuid, 0xcd, 16);
	enc_init(&e);
	osd_super_encode(&e, &s);
	assert_int_equal(osd_super_decode(e.data, e.len, &s2), 0);
	assert_memory_equal(&s, &s2, sizeof(s));
	for (size_t n = 0; n < e.len; n++) /* every truncation fails cleanly */
		assert_int_not_equal(osd_super_decode(e.data, n, &s2), 0);
	e.data[6] ^= 1; /* the magic */
	assert_int_equal(osd_super_decode(e.data, e.len, &s2), -EBADMSG);
	enc_fini(&e);
	enc_init(&e);
	osd_obj_info_encode(&e, &oi);
	assert_int_equal(osd_obj_info_decode(e.data, e.len, &oi2), 0);
	assert_int_equal(osd_eversion_cmp(oi.version, oi2.version), 0);
	assert_int_equal(osd_eversion_cmp(oi.prior_version, oi2.prior_version), 0);
	assert_int_equal(oi2.user_version, 5);
	assert_int_equal(oi2.size, 4096);
	assert_int_equal(oi2.mtime_ns, 123);
	for (size_t n = 0; n < e.len; n++)
		assert_int_not_equal(osd_obj_info_decode(e.data, n, &oi2), 0);
	enc_fini(&e);
	enc_init(&e);
	pg_info_encode(&e, &pi);
	assert_int_equal(pg_info_decode(e.data, e.len, &pi2), 0);
	assert_int_equal(pi2.pool, 1);
	assert_int_equal(pi2.ps, 0x1f);
	assert_int_equal(osd_eversion_cmp(pi.last_update, pi2.last_update), 0);
	assert_int_equal(osd_eversion_cmp(pi.last_complete, pi2.last_complete), 0);
	assert_int_equal(osd_eversion_cmp(pi.log_tail, pi2.log_tail), 0);
	assert_int_equal(pi2.epoch_created, 2);
	assert_int_equal(pi2.same_interval_since, 4);
	enc_fini(&e);
	pi.last_complete.v = 10; /* newer than last_update: inconsistent */
	enc_init(&e);
	pg_info_encode(&e, &pi);
	assert_int_equal(pg_info_decode(e.data, e.len, &pi2), -EBADMSG);
	enc_fini(&e);
	assert_string_equal(pg_log_key((struct osd_eversion){ 12, 345 }, key),
	                    "0000000012.00000000000000000345");
	assert_int_equal(pg_log_key_parse(key, &v), 0);
	assert_int_equal(v.epoch, 12);
	assert_int_equal(v.v, 345);
	assert_true(strcmp(pg_log_key((struct osd_eversion){ 2, 9 }, key),
	                   "0000000002.00000000000000000010") < 0);
	assert_int_equal(pg_log_key_parse("0000000012-00000000000000000345", &v), -EINVAL);
	assert_int_equal(pg_log_key_parse("12.345", &v), -EINVAL);
	assert_int_equal(pg_log_key_parse("0000000010.20000000000000000345", &v), -EINVAL);
	assert_int_equal(pg_log_key_parse("000000001x.00000000000000000345", &v), -EINVAL);
}

static void test_shard_map(void **state)
{
	unsigned counts[8] = { 0 };

	(void)state;
	for (int64_t pool = 1; pool <= 4; pool++)
		for (uint32_t ps = 0; ps < 256; ps++) {
			unsigned s = osd_pg_shard(pool, ps, 8);

			assert_true(s < 8);
			assert_int_equal(s, osd_pg_shard(pool, ps, 8)); /* stable */
			counts[s]++;
		}
	for (int i = 0; i < 8; i++) /* roughly even: 128 each */
		assert_true(counts[i] > 64 && counts[i] < 192);
	assert_int_equal(osd_pg_shard(1, 2, 1), 0);
}

const struct CMUnitTest pg_log_tests[] = {
	cmocka_unit_test(test_append_find_trim),
	cmocka_unit_test(test_persist_load),
	cmocka_unit_test(test_codecs),
	cmocka_unit_test(test_shard_map),
};
const size_t pg_log_ntests = sizeof(pg_log_tests) / sizeof(pg_log_tests[0]);
