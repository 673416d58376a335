/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/osd/test_scrub.c - scrub: the scrub map and record codecs
 * (round trip, truncation, order), the pure compare (missing, extra, read
 * errors, version and digest mismatches, the authoritative copy), scrub
 * maps built from a MemStore in chunks, and a repair transaction that makes
 * a damaged copy equal to the good one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "osd/osd_codec.h"
#include "osd/pg_log.h"
#include "osd/pg_scrub.h"
#include "store/store.h"

static struct osd_scrub_obj obj(const char *name, uint64_t v, uint32_t data)
{
	return (struct osd_scrub_obj){ .nspace = "",
		                       .name = (char *)name,
		                       .flags = OSD_SCRUB_O_DIGEST,
		                       .version = { 3, v },
		                       .oi_size = 10,
		                       .size = 10,
		                       .attrs_digest = 1,
		                       .omap_digest = 2,
		                       .data_digest = data };
}

static void push(struct osd_scrub_map *m, struct osd_scrub_obj o)
{
	assert_int_equal(osd_scrub_map_push(m, &o), 0);
}

static void test_map_codec(void **state)
{
	struct osd_scrub_map m = { 0 }, out;
	struct enc e;
	struct dec d;

	(void)state;
	push(&m, obj("a", 1, 7));
	push(&m, obj("b", 2, 8));
	m.objs[1].flags |= OSD_SCRUB_O_READ_ERR;
	enc_init(&e);
	osd_scrub_map_encode(&e, &m);
	assert_int_equal(enc_error(&e), 0);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osd_scrub_map_decode(&d, &out), 0);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.objs[1].name, "b");
	assert_int_equal(out.objs[1].flags, OSD_SCRUB_O_DIGEST | OSD_SCRUB_O_READ_ERR);
	assert_int_equal(out.objs[0].data_digest, 7);
	assert_int_equal(out.objs[1].version.v, 2);
	osd_scrub_map_fini(&out);
	for (size_t n = 0; n < e.len; n++) { /* every truncation fails cleanly */
		dec_init(&d, e.data, n);
		assert_int_equal(osd_scrub_map_decode(&d, &out), -EBADMSG);
	}
	enc_fini(&e);
	/* out of order */
	enc_init(&e);
	enc_u32(&e, 2);
	osd_scrub_obj_encode(&e, &m.objs[1]);
	osd_scrub_obj_encode(&e, &m.objs[0]);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osd_scrub_map_decode(&d, &out), -EBADMSG);
	enc_fini(&e);
	osd_scrub_map_fini(&m);
}

static void test_rec_codec(void **state)
{
	struct pg_scrub_rec r = { 11, 22, 3 }, out;
	struct enc e;

	(void)state;
	enc_init(&e);
	pg_scrub_rec_encode(&e, &r);
	assert_int_equal(pg_scrub_rec_decode(e.data, e.len, &out), 0);
	assert_true(out.last_scrub_ns == 11 && out.last_deep_scrub_ns == 22 && out.errors == 3);
	for (size_t n = 0; n < e.len; n++)
		assert_int_equal(pg_scrub_rec_decode(e.data, n, &out), -EBADMSG);
	enc_fini(&e);
}

/* Three copies of [a, b, c]; fn changes them; returns the result. */
static void compare3(struct osd_scrub_map m[3], bool deep, struct pg_scrub_result *r)
{
	struct pg_scrub_copy c[3] = { { 4, &m[0] }, { 5, &m[1] }, { 6, &m[2] } };

	memset(r, 0, sizeof(*r));
	assert_int_equal(pg_scrub_compare(c, 3, deep, r), 0);
}

static void three(struct osd_scrub_map m[3])
{
	memset(m, 0, 3 * sizeof(*m));
	for (int i = 0; i < 3; i++) {
		push(&m[i], obj("a", 1, 100));
		push(&m[i], obj("b", 2, 200));
		push(&m[i], obj("c", 3, 300));
	}
}

static void fini3(struct osd_scrub_map m[3], struct pg_scrub_result *r)
{
	for (int i = 0; i < 3; i++)
		osd_scrub_map_fini(&m[i]);
	pg_scrub_result_fini(r);
}

static void test_compare_clean_and_read_error(void **state)
{
	struct osd_scrub_map m[3];
	struct pg_scrub_result r;

	(void)state;
	three(m);
	compare3(m, true, &r);
	assert_int_equal(r.n, 0);
	/* replica 1 cannot read b: b is inconsistent, the primary is the authority */
	m[1].objs[1].flags = OSD_SCRUB_O_READ_ERR;
	compare3(m, true, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].name, "b");
	assert_int_equal(r.v[0].auth, 0);
	assert_int_equal(r.v[0].errs, PG_SCRUB_E_READ);
	assert_int_equal(r.v[0].shards[1].osd, 5);
	assert_int_equal(r.v[0].shards[1].errs, PG_SCRUB_E_READ);
	assert_int_equal(r.v[0].shards[0].errs | r.v[0].shards[2].errs, 0);
	pg_scrub_result_fini(&r);
	/* a shallow scrub does not read data: nothing to see */
	m[1].objs[1].flags = 0;
	m[1].objs[1].data_digest = 999;
	compare3(m, false, &r);
	assert_int_equal(r.n, 0);
	fini3(m, &r);
}

static void test_compare_missing_extra_version(void **state)
{
	struct osd_scrub_map m[3];
	struct pg_scrub_result r;

	(void)state;
	three(m);
	osd_scrub_obj_fini(&m[2].objs[0]); /* replica 2 lacks a */
	memmove(m[2].objs, m[2].objs + 1, 2 * sizeof(*m[2].objs));
	m[2].n = 2;
	push(&m[1], obj("d", 9, 1)); /* replica 1 has an extra d */
	m[0].objs[2].version.v = 2;  /* the primary's c is older */
	compare3(m, true, &r);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0].name, "a");
	assert_int_equal(r.v[0].shards[2].errs, PG_SCRUB_E_MISSING);
	assert_int_equal(r.v[0].auth, 0);
	assert_string_equal(r.v[1].name, "c");
	assert_int_equal(r.v[1].auth, 1); /* the newest version */
	assert_int_equal(r.v[1].shards[0].errs, PG_SCRUB_E_VERSION);
	assert_string_equal(r.v[2].name, "d");
	assert_int_equal(r.v[2].auth, 1);
	assert_int_equal(r.v[2].shards[0].errs, PG_SCRUB_E_MISSING);
	assert_int_equal(r.v[2].shards[2].errs, PG_SCRUB_E_MISSING);
	fini3(m, &r);
}

static void test_compare_majority(void **state)
{
	struct osd_scrub_map m[3];
	struct pg_scrub_result r;

	(void)state;
	three(m);
	m[0].objs[0].data_digest = 1; /* the primary differs alone: outvoted */
	m[2].objs[2].omap_digest = 77;
	m[1].objs[2].size = m[1].objs[2].oi_size = 11; /* c: all three differ */
	compare3(m, true, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0].auth, 1);
	assert_int_equal(r.v[0].shards[0].errs, PG_SCRUB_E_DATA);
	assert_int_equal(r.v[1].auth, 0); /* a tie: the primary */
	assert_int_equal(r.v[1].shards[1].errs, PG_SCRUB_E_SIZE);
	assert_int_equal(r.v[1].shards[2].errs, PG_SCRUB_E_OMAP);
	pg_scrub_result_fini(&r);
	/* no copy reads: no authority */
	for (int i = 0; i < 3; i++)
		m[i].objs[1].flags = OSD_SCRUB_O_OI_BAD | OSD_SCRUB_O_DIGEST;
	compare3(m, true, &r);
	assert_string_equal(r.v[1].name, "b");
	assert_int_equal(r.v[1].auth, -1);
	assert_int_equal(r.v[1].errs, PG_SCRUB_E_INFO);
	fini3(m, &r);
}

/* --- against a MemStore ---------------------------------------------------------------- */

#define CID "1.0_head"

static void put_obj(struct store *st, const char *name, const char *data, const char *uattr)
{
	struct store_oid oid = { "", name, STORE_SNAP_HEAD };
	struct osd_obj_info oi = { .version = { 2, 5 }, .size = strlen(data) };
	struct store_kv kv = { "k", "v", 1 };
	struct store_txn *t;
	struct buf *b;
	struct enc e;

	enc_init(&e);
	osd_obj_info_encode(&e, &oi);
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(buf_create(&b), 0);
	assert_int_equal(buf_append(b, data, strlen(data)), 0);
	assert_int_equal(store_txn_write(t, CID, &oid, 0, b), 0);
	assert_int_equal(store_txn_setattr(t, CID, &oid, OSD_OI_ATTR, e.data, e.len), 0);
	assert_int_equal(store_txn_setattr(t, CID, &oid, uattr, "x", 1), 0);
	assert_int_equal(store_txn_omap_setkeys(t, CID, &oid, &kv, 1), 0);
	assert_int_equal(store_apply_transaction(st, t), 0);
	buf_put(b);
	enc_fini(&e);
}

static struct store *make_store(void)
{
	struct store *st;
	struct store_txn *t;

	assert_int_equal(store_mem_create(&st), 0);
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_coll_create(t, CID), 0);
	assert_int_equal(store_txn_touch(t, CID, &pg_meta_oid), 0);
	assert_int_equal(store_apply_transaction(st, t), 0);
	put_obj(st, "a", "alpha", "_u.colour");
	put_obj(st, "b", "beta", "_u.colour");
	put_obj(st, "c", "gamma", "_u.colour");
	return st;
}

static void test_build_map_chunks_and_repair(void **state)
{
	struct store *good = make_store(), *bad = make_store();
	struct osd_list_cursor open = { 0 }, start = { true, "", "a" };
	struct osd_scrub_map m[2] = { { 0 } }, rest = { 0 };
	struct pg_scrub_copy c[2] = { { 0, &m[0] }, { 1, &m[1] } };
	struct pg_scrub_result r = { 0 };
	struct store_txn *t = NULL;
	struct buf *enc = NULL;
	bool more;

	(void)state;
	assert_int_equal(pg_scrub_build_map(good, CID, &open, &open, true, 2, &m[0], &more), 0);
	assert_true(more);
	assert_int_equal(m[0].n, 2); /* pgmeta skipped */
	assert_string_equal(m[0].objs[0].name, "a");
	assert_int_equal(m[0].objs[0].flags, OSD_SCRUB_O_DIGEST);
	assert_int_equal(pg_scrub_build_map(good, CID, &start, &open, false, 0, &rest, &more), 0);
	assert_false(more);
	assert_int_equal(rest.n, 2);
	assert_string_equal(rest.objs[0].name, "b");
	osd_scrub_map_fini(&rest);
	osd_scrub_map_fini(&m[0]);
	/* the bad copy's b has other data and another user xattr */
	put_obj(bad, "b", "BETA", "_u.size");
	assert_int_equal(pg_scrub_build_map(good, CID, &open, &open, true, 0, &m[0], &more), 0);
	assert_int_equal(pg_scrub_build_map(bad, CID, &open, &open, true, 0, &m[1], &more), 0);
	assert_int_equal(pg_scrub_compare(c, 2, true, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].shards[1].errs, PG_SCRUB_E_ATTRS | PG_SCRUB_E_DATA);
	pg_scrub_result_fini(&r);
	/* repair from the good copy, through the encoded transaction */
	assert_int_equal(pg_scrub_repair_txn(good, CID, "", "b", &t), 0);
	assert_int_equal(store_txn_encode(t, &enc), 0);
	store_txn_destroy(t);
	assert_int_equal(store_txn_decode(enc, &t), 0);
	assert_int_equal(store_apply_transaction(bad, t), 0);
	buf_put(enc);
	osd_scrub_map_fini(&m[1]);
	assert_int_equal(pg_scrub_build_map(bad, CID, &open, &open, true, 0, &m[1], &more), 0);
	assert_int_equal(pg_scrub_compare(c, 2, true, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(pg_scrub_repair_txn(good, CID, "", "zz", &t), -ENOENT);
	osd_scrub_map_fini(&m[0]);
	osd_scrub_map_fini(&m[1]);
	store_close(good);
	store_close(bad);
}

const struct CMUnitTest scrub_tests[] = {
	cmocka_unit_test(test_map_codec),
	cmocka_unit_test(test_rec_codec),
	cmocka_unit_test(test_compare_clean_and_read_error),
	cmocka_unit_test(test_compare_missing_extra_version),
	cmocka_unit_test(test_compare_majority),
	cmocka_unit_test(test_build_map_chunks_and_repair),
};
const size_t scrub_ntests = sizeof(scrub_tests) / sizeof(scrub_tests[0]);
