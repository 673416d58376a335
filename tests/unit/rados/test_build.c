/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/rados/test_build.c - op building: every write and read op of
 * the librados op API turns into the osd_op the protocol expects (codes,
 * offsets, arguments, names, encoded input), build errors are sticky, and
 * the unit_rados main. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "rados/client_int.h"
#include "tests.h"

struct buf *test_buf(const void *p, size_t n)
{
	struct buf *b;

	assert_int_equal(buf_create(&b), 0);
	if (n)
		assert_int_equal(buf_append(b, p, n), 0);
	return b;
}

char *test_buf_str(const struct buf *b)
{
	size_t n = b ? buf_len(b) : 0;
	char *s = mem_malloc(n + 1);

	assert_non_null(s);
	if (n)
		assert_int_equal(buf_copy_out(b, 0, n, s), 0);
	s[n] = 0;
	return s;
}

static void assert_data(const struct buf *b, const char *want)
{
	char *s = test_buf_str(b);

	assert_string_equal(s, want);
	mem_free(s);
}

/* Decodes an op's kv (or key) list input. */
static uint32_t decode_kv(const struct osd_op *o, bool values, struct osd_kv **kv)
{
	uint8_t *flat = mem_malloc(buf_len(o->indata));
	uint32_t n;
	struct dec d;

	assert_int_equal(buf_copy_out(o->indata, 0, buf_len(o->indata), flat), 0);
	dec_init(&d, flat, buf_len(o->indata));
	assert_int_equal(osd_kv_decode(&d, values, kv, &n), 0);
	assert_int_equal(dec_left(&d), 0);
	mem_free(flat);
	return n;
}

static void test_write_ops(void **state)
{
	struct radosc_opv *v = rados_create_write_op();
	const char *keys[] = { "a", "bb" }, *vals[] = { "1", "22\0x" };
	size_t lens[] = { 1, 4 };
	struct osd_kv *kv;
	const struct osd_op *o;

	(void)state;
	assert_non_null(v);
	rados_write_op_assert_exists(v);
	rados_write_op_assert_version(v, 42);
	rados_write_op_create(v, LIBRADOS_CREATE_EXCLUSIVE, "ignored");
	rados_write_op_write(v, "hello", 5, 100);
	rados_write_op_write_full(v, "full", 4);
	rados_write_op_append(v, "app", 3);
	rados_write_op_truncate(v, 7);
	rados_write_op_zero(v, 8, 9);
	rados_write_op_setxattr(v, "user.x", "val", 3);
	rados_write_op_rmxattr(v, "user.y");
	rados_write_op_omap_set(v, keys, vals, lens, 2);
	rados_write_op_omap_rm_keys(v, keys, 2);
	rados_write_op_omap_rm_range2(v, "k1xx", 2, "k9", 2);
	rados_write_op_omap_clear(v);
	rados_write_op_remove(v);
	rados_write_op_set_flags(v, LIBRADOS_OP_FLAG_FAILOK);
	assert_int_equal(v->err, 0);
	assert_int_equal(v->n, 15);
	assert_true(radosc_opv_has_write(v));
	assert_true(radosc_opv_has_read(v)); /* the asserts */
	o = v->ops;
	assert_int_equal(o[0].code, OSD_OP_ASSERT_EXISTS);
	assert_int_equal(o[1].code, OSD_OP_ASSERT_VERSION);
	assert_int_equal(o[1].arg, 42);
	assert_int_equal(o[2].code, OSD_OP_CREATE);
	assert_int_equal(o[2].arg, 1);
	assert_int_equal(o[3].code, OSD_OP_WRITE);
	assert_int_equal(o[3].off, 100);
	assert_int_equal(o[3].len, 5);
	assert_data(o[3].indata, "hello");
	assert_int_equal(o[4].code, OSD_OP_WRITE_FULL);
	assert_data(o[4].indata, "full");
	assert_int_equal(o[5].code, OSD_OP_APPEND);
	assert_data(o[5].indata, "app");
	assert_int_equal(o[6].code, OSD_OP_TRUNCATE);
	assert_int_equal(o[6].off, 7);
	assert_int_equal(o[7].code, OSD_OP_ZERO);
	assert_true(o[7].off == 8 && o[7].len == 9);
	assert_int_equal(o[8].code, OSD_OP_SETXATTR);
	assert_string_equal(o[8].name, "user.x");
	assert_data(o[8].indata, "val");
	assert_int_equal(o[9].code, OSD_OP_RMXATTR);
	assert_string_equal(o[9].name, "user.y");
	assert_int_equal(o[10].code, OSD_OP_OMAP_SET);
	assert_int_equal(decode_kv(&o[10], true, &kv), 2);
	assert_string_equal(kv[0].key, "a");
	assert_int_equal(kv[1].len, 4);
	assert_memory_equal(kv[1].val, "22\0x", 4);
	osd_kv_free(kv, 2);
	assert_int_equal(o[11].code, OSD_OP_OMAP_RM_KEYS);
	assert_int_equal(decode_kv(&o[11], false, &kv), 2);
	assert_string_equal(kv[1].key, "bb");
	osd_kv_free(kv, 2);
	assert_int_equal(o[12].code, OSD_OP_OMAP_RM_RANGE);
	assert_string_equal(o[12].name, "k1");
	assert_string_equal(o[12].name2, "k9");
	assert_int_equal(o[13].code, OSD_OP_OMAP_CLEAR);
	assert_int_equal(o[14].code, OSD_OP_REMOVE);
	assert_int_equal(o[14].flags, OSD_OP_F_FAILOK);
	assert_int_equal(radosc_opv_bytes(v),
	                 5 + 4 + 3 + 3 + buf_len(o[10].indata) + buf_len(o[11].indata));
	rados_release_write_op(v);
}

static void test_write_compare_ops(void **state)
{
	struct radosc_opv *v = rados_create_write_op();
	const char *k2[] = { "x\0y", "z" }, *v2[] = { "1", "2" };
	size_t kl[] = { 3, 1 }, vl[] = { 1, 1 };
	struct osd_kv *kv;
	int prval = 1, prval2 = 1;

	(void)state;
	rados_write_op_cmpext(v, "abc", 3, 10, &prval);
	rados_write_op_cmpxattr(v, "user.a", LIBRADOS_CMPXATTR_OP_GTE, "5", 1);
	rados_write_op_omap_cmp(v, "key", LIBRADOS_CMPXATTR_OP_LT, "v", 1, &prval2);
	rados_write_op_create(v, LIBRADOS_CREATE_IDEMPOTENT, NULL);
	rados_write_op_set_flags(v, LIBRADOS_OP_FLAG_EXCL);
	assert_int_equal(v->err, 0);
	assert_int_equal(v->ops[0].code, OSD_OP_CMPEXT);
	assert_int_equal(v->ops[0].off, 10);
	assert_data(v->ops[0].indata, "abc");
	assert_ptr_equal(v->outs[0].prval, &prval);
	assert_int_equal(v->ops[1].code, OSD_OP_CMPXATTR);
	assert_int_equal(v->ops[1].arg, OSD_CMP_GTE | (OSD_CMP_MODE_STRING << 8));
	assert_string_equal(v->ops[1].name, "user.a");
	assert_int_equal(v->ops[2].code, OSD_OP_OMAP_CMP);
	assert_int_equal(v->ops[2].arg, OSD_CMP_LT);
	assert_ptr_equal(v->outs[2].prval, &prval2);
	assert_int_equal(v->ops[3].arg, 1); /* EXCL set afterwards */
	/* omap_set2 refuses a key with a NUL byte in it */
	rados_write_op_omap_set2(v, k2, v2, kl, vl, 2);
	assert_int_equal(v->err, -EINVAL);
	rados_release_write_op(v);

	v = rados_create_write_op();
	kl[0] = 1;
	rados_write_op_omap_set2(v, k2, v2, kl, vl, 2);
	assert_int_equal(v->err, 0);
	assert_int_equal(decode_kv(&v->ops[0], true, &kv), 2);
	assert_string_equal(kv[0].key, "x");
	osd_kv_free(kv, 2);
	rados_release_write_op(v);
}

static void test_build_errors(void **state)
{
	struct radosc_opv *v = rados_create_write_op();
	char *longname = mem_malloc(OSD_NAME_MAX + 2);

	(void)state;
	memset(longname, 'n', OSD_NAME_MAX + 1);
	longname[OSD_NAME_MAX + 1] = 0;
	rados_write_op_setxattr(v, NULL, "v", 1);
	assert_int_equal(v->err, -EINVAL);
	rados_write_op_setxattr(v, longname, "v", 1); /* the first error sticks */
	assert_int_equal(v->err, -EINVAL);
	rados_release_write_op(v);

	v = rados_create_write_op();
	rados_write_op_rmxattr(v, longname);
	assert_int_equal(v->err, -ENAMETOOLONG);
	rados_release_write_op(v);

	v = rados_create_write_op();
	rados_write_op_cmpxattr(v, "a", 9, "v", 1);
	assert_int_equal(v->err, -EINVAL);
	rados_release_write_op(v);

	v = rados_create_write_op();
	for (int i = 0; i < OSD_OPS_MAX; i++)
		rados_write_op_omap_clear(v);
	assert_int_equal(v->err, 0);
	rados_write_op_omap_clear(v);
	assert_int_equal(v->err, -E2BIG);
	assert_int_equal(v->n, OSD_OPS_MAX);
	rados_release_write_op(v);
	rados_release_write_op(NULL);
	mem_free(longname);
}

static void test_read_ops(void **state)
{
	struct radosc_opv *v = rados_create_read_op();
	rados_omap_iter_t it1, it2, it3;
	rados_xattrs_iter_t xit;
	const char *keys[] = { "k1", "k2", "k3" };
	unsigned char more;
	uint64_t size;
	time_t mtime;
	size_t got;
	char buf[16];
	int r[8];
	struct osd_kv *kv;

	(void)state;
	rados_read_op_assert_exists(v);
	rados_read_op_assert_version(v, 3);
	rados_read_op_stat(v, &size, &mtime, &r[0]);
	rados_read_op_read(v, 4, sizeof(buf), buf, &got, &r[1]);
	rados_read_op_getxattrs(v, &xit, &r[2]);
	rados_read_op_omap_get_vals2(v, "after", "pre", 10, &it1, &more, &r[3]);
	rados_read_op_omap_get_keys2(v, "", 5, &it2, &more, &r[4]);
	rados_read_op_omap_get_vals_by_keys(v, keys, 3, &it3, &r[5]);
	rados_read_op_cmpext(v, "xy", 2, 0, &r[6]);
	rados_read_op_cmpxattr(v, "n", LIBRADOS_CMPXATTR_OP_EQ, "v", 1);
	rados_read_op_omap_cmp(v, "k", LIBRADOS_CMPXATTR_OP_NE, "w", 1, &r[7]);
	rados_read_op_set_flags(v, LIBRADOS_OP_FLAG_FAILOK | LIBRADOS_OP_FLAG_FADVISE_NOCACHE);
	assert_int_equal(v->err, 0);
	assert_int_equal(v->n, 11);
	assert_false(radosc_opv_has_write(v));
	assert_int_equal(v->ops[2].code, OSD_OP_STAT);
	assert_int_equal(v->outs[2].kind, RADOSC_OUT_STAT);
	assert_int_equal(v->ops[3].code, OSD_OP_READ);
	assert_true(v->ops[3].off == 4 && v->ops[3].len == sizeof(buf));
	assert_int_equal(v->outs[3].kind, RADOSC_OUT_READ);
	assert_int_equal(v->ops[4].code, OSD_OP_GETXATTRS);
	assert_non_null(xit); /* handed out at once, as librados does */
	assert_ptr_equal(v->outs[4].iter, xit);
	assert_int_equal(v->ops[5].code, OSD_OP_OMAP_GET_VALS);
	assert_string_equal(v->ops[5].name, "after");
	assert_string_equal(v->ops[5].name2, "pre");
	assert_int_equal(v->ops[5].arg, 10);
	assert_true(v->outs[5].has_more);
	assert_int_equal(v->ops[6].code, OSD_OP_OMAP_GET_KEYS);
	assert_null(v->ops[6].name); /* "" = from the start */
	assert_int_equal(v->outs[6].kind, RADOSC_OUT_KEYS);
	assert_int_equal(v->ops[7].code, OSD_OP_OMAP_GET_VALS_BY_KEYS);
	assert_int_equal(decode_kv(&v->ops[7], false, &kv), 3);
	assert_string_equal(kv[2].key, "k3");
	osd_kv_free(kv, 3);
	assert_int_equal(v->ops[8].code, OSD_OP_CMPEXT);
	assert_int_equal(v->ops[9].code, OSD_OP_CMPXATTR);
	assert_int_equal(v->ops[10].code, OSD_OP_OMAP_CMP);
	assert_int_equal(v->ops[10].flags, OSD_OP_F_FAILOK);
	assert_int_equal(radosc_opv_bytes(v), sizeof(buf) + buf_len(v->ops[7].indata) + 2 + 1 + 1);
	rados_release_read_op(v);
	/* the iterators belong to the caller */
	rados_getxattrs_end(xit);
	rados_omap_get_end(it1);
	rados_omap_get_end(it2);
	rados_omap_get_end(it3);
}

static void test_simple_builders(void **state)
{
	struct radosc_opv v, w;
	struct osd_list_cursor c = { .valid = true, .nspace = "ns", .oid = "o1" }, back;
	struct buf *out = NULL;
	uint8_t *flat;
	struct dec d;
	char buf[8];

	(void)state;
	radosc_opv_init(&v);
	radosc_opv_getxattr(&v, "user.a", buf, sizeof(buf));
	radosc_opv_sparse_read(&v, 4096, 8, buf, NULL, NULL);
	radosc_opv_pgls(&v, LIBRADOS_ALL_NSPACES, &c, 77, &out);
	assert_int_equal(v.err, 0);
	assert_int_equal(v.ops[0].code, OSD_OP_GETXATTR);
	assert_int_equal(v.outs[0].kind, RADOSC_OUT_GETXATTR);
	assert_int_equal(v.ops[1].code, OSD_OP_SPARSE_READ);
	assert_int_equal(v.outs[1].sparse_off, 4096);
	assert_int_equal(v.ops[2].code, OSD_OP_PGLS);
	assert_int_equal(v.ops[2].arg, 77);
	assert_string_equal(v.ops[2].name, OSD_LIST_ALL_NSPACES);
	flat = mem_malloc(buf_len(v.ops[2].indata));
	buf_copy_out(v.ops[2].indata, 0, buf_len(v.ops[2].indata), flat);
	dec_init(&d, flat, buf_len(v.ops[2].indata));
	assert_int_equal(osd_list_cursor_decode(&d, &back), 0);
	assert_true(back.valid);
	assert_string_equal(back.nspace, "ns");
	assert_string_equal(back.oid, "o1");
	osd_list_cursor_fini(&back);
	mem_free(flat);
	/* moving leaves the source empty and reusable */
	radosc_opv_move(&w, &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.ret_op, -1);
	assert_int_equal(w.n, 3);
	radosc_opv_fini(&w);
	radosc_opv_fini(&v);
}

static void release_count(void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	(*(int *)arg)++;
}

static void test_zero_copy_write(void **state)
{
	static const char data[] = "shared bytes";
	struct radosc_opv v;
	struct osd_msg_op *m;
	int released = 0;

	(void)state;
	radosc_opv_init(&v);
	radosc_opv_write_ext(&v, OSD_OP_WRITE_FULL, data, sizeof(data) - 1, 0, release_count,
	                     &released);
	assert_int_equal(v.err, 0);
	/* a sealed message shares the bytes too */
	assert_int_equal(osd_op_msg_create(1, &m), 0);
	m->ops[0].code = OSD_OP_WRITE_FULL;
	m->ops[0].indata = buf_get(v.ops[0].indata);
	assert_int_equal(osd_op_msg_seal(m), 0);
	radosc_opv_fini(&v);
	assert_int_equal(released, 0);
	msg_put(&m->m);
	assert_int_equal(released, 1);
	/* a zero-length write never holds the caller's memory */
	radosc_opv_init(&v);
	radosc_opv_write_ext(&v, OSD_OP_APPEND, data, 0, 0, release_count, &released);
	assert_int_equal(released, 2);
	assert_int_equal(v.n, 1);
	assert_null(v.ops[0].indata);
	radosc_opv_fini(&v);
}

static void test_alloc_failures(void **state)
{
	const char *keys[] = { "a", "b" }, *vals[] = { "1", "2" };
	size_t lens[] = { 1, 1 };
	int failed = 0;

	(void)state;
	for (long nth = 1; nth < 64; nth++) {
		struct radosc_opv *v;
		rados_omap_iter_t it = NULL;

		mem_fail_at(nth);
		v = rados_create_write_op();
		if (v) {
			rados_write_op_write(v, "data", 4, 0);
			rados_write_op_setxattr(v, "n", "v", 1);
			rados_write_op_omap_set(v, keys, vals, lens, 2);
			rados_read_op_omap_get_vals2(v, "a", NULL, 3, &it, NULL, NULL);
			if (v->err)
				failed++;
			assert_true(v->err == 0 || v->err == -ENOMEM);
			rados_release_write_op(v);
			rados_omap_get_end(it);
		}
		mem_fail_at(0);
	}
	assert_true(failed > 0);
}

int test_build_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_ops),       cmocka_unit_test(test_write_compare_ops),
		cmocka_unit_test(test_build_errors),    cmocka_unit_test(test_read_ops),
		cmocka_unit_test(test_simple_builders), cmocka_unit_test(test_zero_copy_write),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests_name("build", tests, NULL, NULL);
}

int main(void)
{
	int failed = 0;

	failed += test_build_run();
	failed += test_reply_run();
	failed += test_objecter_run();
	failed += test_client_run();
	return failed ? 1 : 0;
}
