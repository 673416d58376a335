/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/proto/test_txn_codec.c - a store transaction encoded by the
 * primary and decoded by a replica applies to the same result: two
 * MemStores, one fed the original and one the decoded copy, end up with
 * equal data, xattrs and omap. Write data is shared, not copied. Damaged
 * encodings are refused with -EBADMSG. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "proto_tests.h"
#include "store/store.h"

static const struct store_oid A = { .nspace = "", .name = "a", .snap = STORE_SNAP_HEAD };
static const struct store_oid B = { .nspace = "ns", .name = "b", .snap = STORE_SNAP_HEAD };

static struct store_txn *build(struct buf *payload)
{
	struct store_kv kv[2] = { { "k1", "v1", 2 }, { "k2", "", 0 } };
	const char *rm[] = { "k2" };
	struct store_txn *t;

	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_coll_create(t, "1.0_head"), 0);
	assert_int_equal(store_txn_write(t, "1.0_head", &A, 10, payload), 0);
	assert_int_equal(store_txn_zero(t, "1.0_head", &A, 12, 3), 0);
	assert_int_equal(store_txn_setattr(t, "1.0_head", &A, "_", "oi", 2), 0);
	assert_int_equal(store_txn_omap_setkeys(t, "1.0_head", &A, kv, 2), 0);
	assert_int_equal(store_txn_omap_rmkeys(t, "1.0_head", &A, rm, 1), 0);
	assert_int_equal(store_txn_clone(t, "1.0_head", &A, &B), 0);
	assert_int_equal(store_txn_truncate(t, "1.0_head", &B, 11), 0);
	assert_int_equal(store_txn_rmattr(t, "1.0_head", &B, "_"), 0);
	assert_int_equal(store_txn_omap_rmkeyrange(t, "1.0_head", &B, "a", "z"), 0);
	assert_int_equal(store_txn_write(t, "1.0_head", &B, 0, payload), 0);
	assert_int_equal(store_txn_touch(t, "1.0_head", &(struct store_oid){ "", "c", 7 }), 0);
	return t;
}

static void same_object(struct store *x, struct store *y, const struct store_oid *o)
{
	struct buf *bx, *by;
	void *vx, *vy;
	size_t lx, ly;
	int rx, ry;

	assert_true(store_read(x, "1.0_head", o, 0, 0, &bx) >= 0);
	assert_true(store_read(y, "1.0_head", o, 0, 0, &by) >= 0);
	assert_int_equal(buf_cmp(bx, by), 0);
	buf_put(bx);
	buf_put(by);
	rx = store_getattr(x, "1.0_head", o, "_", &vx, &lx);
	ry = store_getattr(y, "1.0_head", o, "_", &vy, &ly);
	assert_int_equal(rx, ry);
	if (rx == 0) {
		assert_int_equal(lx, ly);
		assert_memory_equal(vx, vy, lx);
		mem_free(vx);
		mem_free(vy);
	}
	rx = store_omap_get(x, "1.0_head", o, "k1", &vx, &lx);
	ry = store_omap_get(y, "1.0_head", o, "k1", &vy, &ly);
	assert_int_equal(rx, ry);
	if (rx == 0) {
		mem_free(vx);
		mem_free(vy);
	}
}

static void test_round_trip_applies_identically(void **state)
{
	struct store *orig, *repl;
	struct store_txn *t, *back;
	struct buf *payload, *enc;
	struct store_stat st;

	(void)state;
	assert_int_equal(buf_create(&payload), 0);
	assert_int_equal(buf_append(payload, "0123456789abcdef", 16), 0);
	t = build(payload);
	assert_int_equal(store_txn_encode(t, &enc), 0);
	/* the data travels by reference: 2 writes of 16 bytes after the ops */
	assert_true(buf_len(enc) > 32);
	assert_int_equal(store_txn_decode(enc, &back), 0);
	assert_int_equal(store_txn_count(back), store_txn_count(t));
	assert_int_equal(store_mem_create(&orig), 0);
	assert_int_equal(store_mem_create(&repl), 0);
	assert_int_equal(store_apply_transaction(orig, t), 0);
	assert_int_equal(store_apply_transaction(repl, back), 0);
	same_object(orig, repl, &A);
	same_object(orig, repl, &B);
	assert_int_equal(store_stat(repl, "1.0_head", &(struct store_oid){ "", "c", 7 }, &st), 0);
	assert_int_equal(store_stat(repl, "1.0_head", &B, &st), 0);
	assert_int_equal(st.size, 16);
	store_close(orig);
	store_close(repl);
	buf_put(enc);
	buf_put(payload);
}

static void test_damage_is_refused(void **state)
{
	struct store_txn *t, *back;
	struct buf *payload, *enc, *cut;
	size_t n;

	(void)state;
	assert_int_equal(buf_create(&payload), 0);
	assert_int_equal(buf_append(payload, "xyz", 3), 0);
	t = build(payload);
	assert_int_equal(store_txn_encode(t, &enc), 0);
	n = buf_len(enc);
	for (size_t len = 0; len < n; len++) {
		assert_int_equal(buf_slice(enc, 0, len, &cut), 0);
		assert_int_equal(store_txn_decode(cut, &back), -EBADMSG);
		buf_put(cut);
	}
	/* trailing bytes the ops do not account for */
	assert_int_equal(buf_append(enc, "!", 1), 0);
	assert_int_equal(store_txn_decode(enc, &back), -EBADMSG);
	store_txn_destroy(t);
	buf_put(enc);
	buf_put(payload);
}

int run_txn_codec_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_applies_identically),
		cmocka_unit_test(test_damage_is_refused),
	};

	return cmocka_run_group_tests_name("txn_codec", tests, NULL, NULL);
}
