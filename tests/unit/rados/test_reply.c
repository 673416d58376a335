/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/rados/test_reply.c - reply parsing: data copied into the
 * caller's buffers, stat, getxattr (-ERANGE), xattr and omap iterators,
 * sparse extents, per-op return values, the return value of a request,
 * and listing batches with their cursor. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "rados/client_int.h"
#include "tests.h"

static struct buf *enc_buf(struct enc *e)
{
	struct buf *b = test_buf(e->data, e->len);

	enc_fini(e);
	return b;
}

static struct buf *kv_reply(bool values, bool with_more, uint8_t more)
{
	struct osd_kv kv[2] = { { .key = "alpha", .val = (uint8_t *)"1", .len = 1 },
		                { .key = "beta", .val = (uint8_t *)"two", .len = 3 } };
	struct enc e;

	enc_init(&e);
	osd_kv_encode(&e, kv, 2, values);
	if (with_more)
		enc_u8(&e, more);
	return enc_buf(&e);
}

static void fini_rops(struct osd_op *rops, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		osd_op_fini(&rops[i]);
}

/* Replies to read, stat, getxattr (value xv) and a read past the end. */
static void fill_rops(struct osd_op *rops, const char *xv)
{
	struct enc e;

	rops[0].outdata = test_buf("abcdef", 6); /* more than asked: cut to the buffer */
	enc_init(&e);
	enc_u64(&e, 12345);
	enc_u64(&e, 7000000001ull);
	rops[1].outdata = enc_buf(&e);
	rops[2].outdata = test_buf(xv, strlen(xv));
	rops[3].outdata = NULL;
}

static void test_read_stat_xattr(void **state)
{
	struct radosc_opv v;
	struct osd_op rops[4] = { 0 };
	char buf[4] = "....", xbuf[2];
	uint64_t size = 0, mtime_ns = 0;
	time_t mtime = 0;
	size_t got = 99;
	int r[3] = { 1, 1, 1 };

	(void)state;
	radosc_opv_init(&v);
	radosc_opv_read(&v, 0, sizeof(buf), buf, &got, &r[0]);
	radosc_opv_stat(&v, &size, &mtime, &mtime_ns, &r[1]);
	radosc_opv_getxattr(&v, "user.a", xbuf, sizeof(xbuf));
	v.outs[2].prval = &r[2];
	radosc_opv_read(&v, 0, 2, buf, NULL, NULL);
	v.ret_op = 0;
	fill_rops(rops, "xy");
	assert_int_equal(radosc_opv_deliver(&v, 0, rops, 4), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(got, 4);
	assert_int_equal(size, 12345);
	assert_int_equal(mtime, 7);
	assert_int_equal(mtime_ns, 7000000001ull);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], 0); /* the OSD's rval; the length is the return value */
	assert_memory_equal(xbuf, "xy", 2);
	fini_rops(rops, 4);

	/* a value longer than the buffer: -ERANGE, and the request says so */
	v.ret_op = 2;
	fill_rops(rops, "xyz");
	assert_int_equal(radosc_opv_deliver(&v, 0, rops, 4), -ERANGE);
	assert_int_equal(r[2], -ERANGE);
	fini_rops(rops, 4);

	/* a short stat reply is refused */
	fill_rops(rops, "xy");
	buf_put(rops[1].outdata);
	rops[1].outdata = test_buf("12", 2);
	v.ret_op = -1;
	assert_int_equal(radosc_opv_deliver(&v, 0, rops, 4), -EBADMSG);
	assert_int_equal(r[1], -EBADMSG);
	fini_rops(rops, 4);
	radosc_opv_fini(&v);
}

static void test_errors_and_prvals(void **state)
{
	struct radosc_opv v;
	struct osd_op rops[3] = { 0 };
	char buf[8];
	size_t got = 5;
	int r[3] = { 1, 1, 1 };

	(void)state;
	radosc_opv_init(&v);
	radosc_opv_cmpext(&v, "ab", 2, 0, &r[0]);
	radosc_opv_read(&v, 0, sizeof(buf), buf, &got, &r[1]);
	radosc_opv_cmpext(&v, "cd", 2, 0, &r[2]);
	/* the first op fails (mismatch at byte 1), the others never ran */
	rops[0].rval = -4095 - 1;
	assert_int_equal(radosc_opv_deliver(&v, -4096, rops, 3), -4096);
	assert_int_equal(r[0], -4096);
	assert_int_equal(r[1], 0);
	assert_int_equal(got, 0);
	/* no reply at all (timeout, cancel): every prval gets the error */
	got = 5;
	assert_int_equal(radosc_opv_deliver(&v, -ETIMEDOUT, NULL, 0), -ETIMEDOUT);
	assert_true(r[0] == -ETIMEDOUT && r[1] == -ETIMEDOUT && r[2] == -ETIMEDOUT);
	assert_int_equal(got, 0);
	/* a FAILOK op's error stays in its prval; the request succeeds */
	rops[0].rval = -ENOENT;
	assert_int_equal(radosc_opv_deliver(&v, 0, rops, 3), 0);
	assert_int_equal(r[0], -ENOENT);
	radosc_opv_fini(&v);
}

static void test_iterators(void **state)
{
	struct radosc_opv *v = rados_create_read_op();
	rados_omap_iter_t vals, keys, bykeys;
	rados_xattrs_iter_t xattrs;
	struct osd_op rops[4] = { 0 };
	unsigned char more = 7, more2 = 7;
	const char *name, *cval;
	char *key, *val;
	size_t len, klen;
	int r[4];

	(void)state;
	rados_read_op_omap_get_vals2(v, NULL, NULL, 2, &vals, &more, &r[0]);
	rados_read_op_omap_get_keys2(v, NULL, 2, &keys, &more2, &r[1]);
	rados_read_op_getxattrs(v, &xattrs, &r[2]);
	rados_read_op_omap_get_vals_by_keys(v, (const char *const[]){ "alpha" }, 1, &bykeys, &r[3]);
	rops[0].outdata = kv_reply(true, true, 1);
	rops[1].outdata = kv_reply(false, true, 0);
	rops[2].outdata = kv_reply(true, false, 0);
	rops[3].outdata = kv_reply(true, false, 0);
	assert_int_equal(radosc_opv_deliver(v, 0, rops, 4), 0);
	fini_rops(rops, 4);
	rados_release_read_op(v); /* the iterators outlive the op */
	assert_int_equal(more, 1);
	assert_int_equal(more2, 0);
	assert_int_equal(rados_omap_iter_size(vals), 2);
	assert_int_equal(rados_omap_get_next2(vals, &key, &val, &klen, &len), 0);
	assert_string_equal(key, "alpha");
	assert_int_equal(klen, 5);
	assert_int_equal(len, 1);
	assert_memory_equal(val, "1", 1);
	assert_int_equal(rados_omap_get_next(vals, &key, &val, &len), 0);
	assert_string_equal(key, "beta");
	assert_int_equal(len, 3);
	assert_int_equal(rados_omap_get_next(vals, &key, &val, &len), 0);
	assert_null(key); /* the end, and it stays there */
	assert_null(val);
	assert_int_equal(rados_omap_get_next(vals, &key, &val, &len), 0);
	assert_null(key);
	assert_int_equal(rados_omap_get_next(keys, &key, &val, &len), 0);
	assert_string_equal(key, "alpha");
	assert_null(val);
	assert_int_equal(len, 0);
	assert_int_equal(rados_getxattrs_next(xattrs, &name, &cval, &len), 0);
	assert_string_equal(name, "alpha");
	assert_int_equal(rados_getxattrs_next(xattrs, &name, &cval, &len), 0);
	assert_memory_equal(cval, "two", 3);
	assert_int_equal(rados_getxattrs_next(xattrs, &name, &cval, &len), 0);
	assert_null(name);
	assert_int_equal(rados_omap_iter_size(bykeys), 2);
	rados_omap_get_end(vals);
	rados_omap_get_end(keys);
	rados_omap_get_end(bykeys);
	rados_getxattrs_end(xattrs);
	rados_omap_get_end(NULL);
	assert_int_equal(rados_omap_iter_size(NULL), 0);
}

static void test_iter_bad_input(void **state)
{
	struct radosc_iter *it;
	unsigned char more = 9;
	struct buf *b = kv_reply(true, true, 2);
	uint8_t raw[64];
	size_t n = buf_len(b);

	(void)state;
	assert_int_equal(radosc_iter_create(true, &it), 0);
	buf_copy_out(b, 0, n, raw);
	assert_int_equal(radosc_iter_fill(it, raw, n, true, &more), -EBADMSG); /* more > 1 */
	for (size_t cut = 0; cut < n - 1; cut++)
		assert_int_equal(radosc_iter_fill(it, raw, cut, true, &more), -EBADMSG);
	assert_int_equal(more, 9);
	assert_int_equal(it->n, 0);
	radosc_iter_destroy(it);
	buf_put(b);
}

static struct buf *sparse_reply(const struct radosc_extent *ext, uint32_t n, const char *data,
                                size_t dlen)
{
	struct enc e;

	enc_init(&e);
	enc_u32(&e, n);
	for (uint32_t i = 0; i < n; i++) {
		enc_u64(&e, ext[i].off);
		enc_u64(&e, ext[i].len);
	}
	enc_blob(&e, data, dlen);
	return enc_buf(&e);
}

static void test_sparse(void **state)
{
	const struct radosc_extent ext[] = { { 102, 2 }, { 106, 3 }, { 120, 4 } };
	struct radosc_extent *got;
	struct radosc_opv v;
	struct osd_op rop = { 0 };
	const void *data;
	uint8_t raw[128];
	size_t dlen, plen = 0;
	uint32_t n;
	char buf[10];
	int r = 1;
	struct buf *b = sparse_reply(ext, 3, "ABcdeWXYZ", 9);

	(void)state;
	buf_copy_out(b, 0, buf_len(b), raw);
	assert_int_equal(radosc_sparse_decode(raw, buf_len(b), &got, &n, &data, &dlen), 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[1].off, 106);
	assert_int_equal(dlen, 9);
	mem_free(got);
	for (size_t cut = 0; cut < buf_len(b); cut++)
		assert_int_equal(radosc_sparse_decode(raw, cut, &got, &n, &data, &dlen), -EBADMSG);
	/* the read [100, 110): holes zeroed, the third extent outside */
	radosc_opv_init(&v);
	radosc_opv_sparse_read(&v, 100, sizeof(buf), buf, &plen, &r);
	v.ret_op = 0;
	rop.outdata = b;
	assert_int_equal(radosc_opv_deliver(&v, 0, &rop, 1), 9);
	assert_int_equal(plen, 9);
	assert_memory_equal(buf, "\0\0AB\0\0cde\0", 10);
	/* a window that starts inside an extent */
	v.outs[0].sparse_off = 107;
	assert_int_equal(radosc_opv_deliver(&v, 0, &rop, 1), 2);
	assert_memory_equal(buf, "de\0\0\0\0\0\0\0\0", 10);
	radosc_opv_fini(&v);
	buf_put(b);
	/* extents that do not add up to the data */
	b = sparse_reply(ext, 3, "AB", 2);
	buf_copy_out(b, 0, buf_len(b), raw);
	assert_int_equal(radosc_sparse_decode(raw, buf_len(b), &got, &n, &data, &dlen), -EBADMSG);
	buf_put(b);
}

static struct buf *list_reply(uint32_t n, const char *next_oid, bool end)
{
	struct osd_list_entry ents[3] = { { "", "a" }, { "ns", "b" }, { "", "c" } };
	struct osd_list_cursor c = { .valid = next_oid != NULL,
		                     .nspace = "",
		                     .oid = (char *)next_oid };
	struct enc e;

	enc_init(&e);
	osd_list_reply_encode(&e, ents, n, &c, end);
	return enc_buf(&e);
}

static void test_listing(void **state)
{
	struct radosc_list l = { .pg_num = 4 };
	struct buf *b;
	uint8_t raw[128];

	(void)state;
	b = list_reply(3, "c", false);
	assert_int_equal(radosc_list_take(&l, b), 0);
	buf_put(b);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.ents[1].nspace, "ns");
	assert_true(l.cursor.valid);
	assert_string_equal(l.cursor.oid, "c");
	assert_false(l.pg_done);
	/* the last batch of the PG */
	b = list_reply(1, "c", true);
	assert_int_equal(radosc_list_take(&l, b), 0);
	assert_int_equal(l.n, 1);
	assert_true(l.pg_done);
	/* truncated replies leave the listing as it was */
	buf_copy_out(b, 0, buf_len(b), raw);
	for (size_t cut = 0; cut < buf_len(b); cut++) {
		struct buf *t = test_buf(raw, cut);

		assert_int_equal(radosc_list_take(&l, t), -EBADMSG);
		buf_put(t);
	}
	assert_int_equal(l.n, 1);
	buf_put(b);
	/* an empty PG */
	b = list_reply(0, NULL, true);
	assert_int_equal(radosc_list_take(&l, b), 0);
	assert_int_equal(l.n, 0);
	assert_true(l.pg_done);
	buf_put(b);
	osd_list_entries_free(l.ents, l.n);
	osd_list_cursor_fini(&l.cursor);
}

int test_reply_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_stat_xattr), cmocka_unit_test(test_errors_and_prvals),
		cmocka_unit_test(test_iterators),       cmocka_unit_test(test_iter_bad_input),
		cmocka_unit_test(test_sparse),          cmocka_unit_test(test_listing),
	};

	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
