/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/osd/test_exec.c - the op interpreter against a MemStore: every
 * op code, compound atomicity (a failing op applies nothing), FAILOK,
 * effects of earlier ops seen by later ones, limits, the object info
 * xattr, user xattrs kept apart from the OSD's own, and PGLS. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "osd/osd_exec.h"
#include "osd/pg_log.h"
#include "store/store.h"

#define CID "1.0_head"

static const struct osd_exec_limits lim = {
	.max_object_size = 1 << 20,
	.max_name_len = 100,
	.max_attr_size = 64,
};

struct fx {
	struct store *st;
	uint64_t v; /* next version */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct store_txn *t;

	assert_int_equal(store_mem_create(&f->st), 0);
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_coll_create(t, CID), 0);
	assert_int_equal(store_txn_touch(t, CID, &pg_meta_oid), 0);
	assert_int_equal(store_apply_transaction(f->st, t), 0);
	f->v = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	free(f);
	return 0;
}

/* --- building ops ------------------------------------------------------------ */

static struct buf *bytes(const void *p, size_t n)
{
	struct buf *b;

	assert_int_equal(buf_create(&b), 0);
	if (n)
		assert_int_equal(buf_append(b, p, n), 0);
	return b;
}

static struct buf *str(const char *s)
{
	return bytes(s, strlen(s));
}

static struct osd_op op(uint16_t code, uint64_t off, uint64_t len, uint64_t arg)
{
	return (struct osd_op){ .code = code, .off = off, .len = len, .arg = arg };
}

static struct osd_op op_data(uint16_t code, uint64_t off, const char *data)
{
	struct osd_op o = op(code, off, 0, 0);

	o.indata = str(data);
	return o;
}

static struct osd_op op_name(uint16_t code, const char *name, const char *data, uint64_t arg)
{
	struct osd_op o = op(code, 0, 0, arg);

	o.name = name ? mem_strdup(name) : NULL;
	o.indata = data ? str(data) : NULL;
	return o;
}

static struct buf *kv_buf(const char *const *kv, unsigned n, bool values)
{
	struct osd_kv v[16];
	struct enc e;
	struct buf *b;

	for (unsigned i = 0; i < n; i++)
		v[i] = (struct osd_kv){ (char *)kv[values ? 2 * i : i],
			                (uint8_t *)(values ? kv[2 * i + 1] : NULL),
			                values ? (uint32_t)strlen(kv[2 * i + 1]) : 0 };
	enc_init(&e);
	osd_kv_encode(&e, v, n, values);
	b = bytes(e.data, e.len);
	enc_fini(&e);
	return b;
}

static void ops_fini(struct osd_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		osd_op_fini(&ops[i]);
}

/* Runs ops on obj; queues the write transaction when it succeeds. Returns
 * the request's result. */
static int run(struct fx *f, const char *obj, struct osd_op *ops, unsigned n)
{
	struct osd_exec x;
	struct osd_obj_info oi;
	struct store_txn *t = NULL;
	bool deleted, writes = false;
	int rc;

	for (unsigned i = 0; i < n; i++)
		writes = writes || osd_op_is_write(ops[i].code);
	assert_int_equal(osd_exec_init(&x, f->st, CID, "", obj, &lim, 1000 + f->v), 0);
	rc = osd_exec_run(&x, ops, n);
	if (rc == 0 && writes) {
		assert_int_equal(
		    osd_exec_finish(&x, (struct osd_eversion){ 1, f->v++ }, &oi, &deleted, &t), 0);
		assert_int_equal(store_apply_transaction(f->st, t), 0);
	}
	osd_exec_fini(&x);
	return rc;
}

/* Runs one op and frees it; returns its rval. */
static int run1(struct fx *f, const char *obj, struct osd_op o)
{
	int rc = run(f, obj, &o, 1);

	if (rc == 0)
		rc = o.rval;
	osd_op_fini(&o);
	return rc;
}

static void read_eq_n(struct fx *f, const char *obj, uint64_t off, uint64_t len, const char *want,
                      size_t n)
{
	struct osd_op o = op(OSD_OP_READ, off, len, 0);
	char got[4096] = "";

	assert_int_equal(run(f, obj, &o, 1), 0);
	assert_int_equal(buf_len(o.outdata), n);
	buf_copy_out(o.outdata, 0, buf_len(o.outdata), got);
	assert_memory_equal(got, want, n);
	osd_op_fini(&o);
}

/* want is a string literal (may hold NUL bytes) */
#define read_eq(f, obj, off, len, want) read_eq_n(f, obj, off, len, want, sizeof(want) - 1)

static struct osd_obj_info oinfo(struct fx *f, const char *obj)
{
	struct store_oid oid = { "", obj, STORE_SNAP_HEAD };
	struct osd_obj_info oi;
	void *v;
	size_t n;

	assert_int_equal(store_getattr(f->st, CID, &oid, OSD_OI_ATTR, &v, &n), 0);
	assert_int_equal(osd_obj_info_decode(v, n, &oi), 0);
	mem_free(v);
	return oi;
}

/* --- tests -------------------------------------------------------------------- */

static void test_write_read(void **state)
{
	struct fx *f = *state;
	struct osd_op o;
	uint64_t size, mtime;
	struct osd_obj_info oi;

	assert_int_equal(run1(f, "a", op(OSD_OP_READ, 0, 0, 0)), -ENOENT);
	assert_int_equal(run1(f, "a", op_data(OSD_OP_WRITE, 0, "hello world")), 0);
	read_eq(f, "a", 0, 0, "hello world");
	read_eq(f, "a", 6, 3, "wor");
	read_eq(f, "a", 6, 100, "world");
	read_eq(f, "a", 100, 5, "");
	assert_int_equal(run1(f, "a", op_data(OSD_OP_WRITE, 13, "!")), 0);
	read_eq(f, "a", 10, 0, "d\0\0!");
	assert_int_equal(run1(f, "a", op_data(OSD_OP_APPEND, 0, "xy")), 0);
	read_eq(f, "a", 12, 0, "\0!xy");
	assert_int_equal(run1(f, "a", op_data(OSD_OP_WRITE_FULL, 0, "new")), 0);
	read_eq(f, "a", 0, 0, "new");
	assert_int_equal(run1(f, "a", op(OSD_OP_TRUNCATE, 2, 0, 0)), 0);
	read_eq(f, "a", 0, 0, "ne");
	assert_int_equal(run1(f, "a", op(OSD_OP_TRUNCATE, 5, 0, 0)), 0);
	read_eq(f, "a", 0, 0, "ne\0\0\0");
	assert_int_equal(run1(f, "a", op_data(OSD_OP_WRITE_FULL, 0, "abcdef")), 0);
	assert_int_equal(run1(f, "a", op(OSD_OP_ZERO, 1, 2, 0)), 0);
	read_eq(f, "a", 0, 0, "a\0\0def");
	assert_int_equal(run1(f, "a", op(OSD_OP_ZERO, 4, 100, 0)), 0); /* never extends */
	read_eq(f, "a", 0, 0, "a\0\0d\0\0");
	/* stat and the object info */
	o = op(OSD_OP_STAT, 0, 0, 0);
	assert_int_equal(run(f, "a", &o, 1), 0);
	assert_int_equal(buf_len(o.outdata), 16);
	buf_copy_out(o.outdata, 0, 8, &size);
	buf_copy_out(o.outdata, 8, 8, &mtime);
	assert_int_equal(size, 6);
	oi = oinfo(f, "a");
	assert_int_equal(oi.size, 6);
	assert_int_equal(mtime, oi.mtime_ns);
	assert_int_equal(oi.user_version, oi.version.v);
	assert_int_equal(oi.version.v, f->v - 1);
	osd_op_fini(&o);
}

static void test_sparse_read_cmpext(void **state)
{
	struct fx *f = *state;
	struct osd_op o = op(OSD_OP_SPARSE_READ, 2, 3, 0);
	uint8_t hdr[4 + 16 + 4], data[3];
	uint32_t n, blen;
	uint64_t off, len;

	assert_int_equal(run1(f, "s", op_data(OSD_OP_WRITE, 0, "0123456789")), 0);
	assert_int_equal(run(f, "s", &o, 1), 0);
	assert_int_equal(buf_len(o.outdata), sizeof(hdr) + 3);
	buf_copy_out(o.outdata, 0, sizeof(hdr), hdr);
	memcpy(&n, hdr, 4);
	memcpy(&off, hdr + 4, 8);
	memcpy(&len, hdr + 12, 8);
	memcpy(&blen, hdr + 20, 4);
	buf_copy_out(o.outdata, sizeof(hdr), 3, data);
	assert_int_equal(n, 1);
	assert_int_equal(off, 2);
	assert_int_equal(len, 3);
	assert_int_equal(blen, 3);
	assert_memory_equal(data, "234", 3);
	osd_op_fini(&o);
	/* cmpext: equal, mismatch at byte 2, past the end compares with zeros */
	assert_int_equal(run1(f, "s", op_data(OSD_OP_CMPEXT, 3, "345")), 0);
	assert_int_equal(run1(f, "s", op_data(OSD_OP_CMPEXT, 3, "34x")), -4095 - 2);
	o = op_data(OSD_OP_CMPEXT, 9, "9");
	assert_int_equal(buf_append_zero(o.indata, 2), 0);
	assert_int_equal(run1(f, "s", o), 0);
}

static void test_create_remove(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run1(f, "c", op(OSD_OP_CREATE, 0, 0, 1)), 0);
	assert_int_equal(run1(f, "c", op(OSD_OP_CREATE, 0, 0, 1)), -EEXIST);
	assert_int_equal(run1(f, "c", op(OSD_OP_CREATE, 0, 0, 0)), 0);
	assert_int_equal(run1(f, "c", op(OSD_OP_ASSERT_EXISTS, 0, 0, 0)), 0);
	read_eq(f, "c", 0, 0, "");
	assert_int_equal(run1(f, "c", op(OSD_OP_REMOVE, 0, 0, 0)), 0);
	assert_int_equal(run1(f, "c", op(OSD_OP_REMOVE, 0, 0, 0)), -ENOENT);
	assert_int_equal(run1(f, "c", op(OSD_OP_ASSERT_EXISTS, 0, 0, 0)), -ENOENT);
	assert_int_equal(run1(f, "c", op(OSD_OP_STAT, 0, 0, 0)), -ENOENT);
	assert_int_equal(run1(f, "c", op(OSD_OP_ZERO, 0, 5, 0)), 0); /* no-op */
	assert_int_equal(run1(f, "c", op(OSD_OP_STAT, 0, 0, 0)), -ENOENT);
}

static void test_limits(void **state)
{
	struct fx *f = *state;
	char big[100];

	assert_int_equal(run1(f, "l", op_data(OSD_OP_WRITE, (1 << 20) - 1, "xy")), -EFBIG);
	assert_int_equal(run1(f, "l", op(OSD_OP_TRUNCATE, (1 << 20) + 1, 0, 0)), -EFBIG);
	assert_int_equal(run1(f, "l", op(OSD_OP_ZERO, UINT64_MAX - 1, 5, 0)), -EFBIG);
	assert_int_equal(run1(f, "l", op_data(OSD_OP_WRITE, 0, "x")), 0);
	assert_int_equal(run1(f, "l", op_data(OSD_OP_APPEND, 0, "")), 0);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(run1(f, "l", op_name(OSD_OP_SETXATTR, "k", big, 0)), -EFBIG);
	assert_int_equal(run1(f, "l", op_name(OSD_OP_SETXATTR, NULL, "v", 0)), -EINVAL);
	assert_int_equal(osd_uattr_name("abc", big, 5), -ENAMETOOLONG);
	assert_int_equal(osd_uattr_name("abc", big, 7), 0);
	assert_string_equal(big, "_u.abc");
}

static void test_xattrs(void **state)
{
	struct fx *f = *state;
	struct osd_op o;
	struct osd_kv *kv;
	uint32_t n;
	struct dec d;
	const void *p;
	uint8_t tmp[256];

	assert_int_equal(run1(f, "x", op_name(OSD_OP_GETXATTR, "k", NULL, 0)), -ENOENT);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_SETXATTR, "k", "v1", 0)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_SETXATTR, "_oi", "mine", 0)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_GETXATTR, "nope", NULL, 0)), -ENODATA);
	o = op_name(OSD_OP_GETXATTR, "k", NULL, 0);
	assert_int_equal(run(f, "x", &o, 1), 0);
	assert_int_equal(buf_len(o.outdata), 2);
	osd_op_fini(&o);
	/* getxattrs: user names only, the OSD's "_oi" is not clobbered */
	o = op(OSD_OP_GETXATTRS, 0, 0, 0);
	assert_int_equal(run(f, "x", &o, 1), 0);
	assert_int_equal(buf_peek(o.outdata, 0, buf_len(o.outdata), tmp, &p), 0);
	dec_init(&d, p, buf_len(o.outdata));
	assert_int_equal(osd_kv_decode(&d, true, &kv, &n), 0);
	assert_int_equal(n, 2);
	assert_true((!strcmp(kv[0].key, "k") && !strcmp(kv[1].key, "_oi")) ||
	            (!strcmp(kv[1].key, "k") && !strcmp(kv[0].key, "_oi")));
	osd_kv_free(kv, n);
	osd_op_fini(&o);
	(void)oinfo(f, "x"); /* still decodes */
	/* cmpxattr: operand OP stored, string and u64 modes; missing = empty */
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "k", "v1", OSD_CMP_EQ | 1 << 8)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "k", "v2", OSD_CMP_EQ | 1 << 8)),
	                 -ECANCELED);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "k", "v2", OSD_CMP_GT | 1 << 8)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "k", "v0", OSD_CMP_LT | 1 << 8)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "zz", "", OSD_CMP_EQ | 1 << 8)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_SETXATTR, "n", "10", 0)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "n", "9", OSD_CMP_LT | 2 << 8)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "n", "9", OSD_CMP_GTE | 2 << 8)),
	                 -ECANCELED);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_CMPXATTR, "n", "x", OSD_CMP_EQ | 2 << 8)),
	                 -EINVAL);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_RMXATTR, "k", NULL, 0)), 0);
	assert_int_equal(run1(f, "x", op_name(OSD_OP_GETXATTR, "k", NULL, 0)), -ENODATA);
	assert_int_equal(run1(f, "gone", op_name(OSD_OP_RMXATTR, "k", NULL, 0)), -ENOENT);
}

static void omap_set(struct fx *f, const char *obj, const char *const *kv, unsigned n)
{
	struct osd_op o = op(OSD_OP_OMAP_SET, 0, 0, 0);

	o.indata = kv_buf(kv, n, true);
	assert_int_equal(run1(f, obj, o), 0);
}

/* Decodes an omap reply: keys joined by ',' into out; returns "more". */
static int omap_keys(struct osd_op *o, bool values, char *out, size_t cap)
{
	uint8_t tmp[4096];
	const void *p;
	struct osd_kv *kv;
	uint32_t n;
	uint8_t more;
	struct dec d;

	assert_int_equal(buf_peek(o->outdata, 0, buf_len(o->outdata), tmp, &p), 0);
	dec_init(&d, p, buf_len(o->outdata));
	assert_int_equal(osd_kv_decode(&d, values, &kv, &n), 0);
	assert_int_equal(dec_u8(&d, &more), 0);
	out[0] = 0;
	for (uint32_t i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "", kv[i].key);
	osd_kv_free(kv, n);
	return more;
}

static void test_omap(void **state)
{
	static const char *const kv[] = { "a1", "x", "a2", "yy", "b1", "z", "c", "w" };
	static const char *const rm[] = { "c" };
	struct fx *f = *state;
	struct osd_op o;
	char keys[256];

	assert_int_equal(run1(f, "o", op(OSD_OP_OMAP_GET_KEYS, 0, 0, 0)), -ENOENT);
	omap_set(f, "o", kv, 4);
	o = op(OSD_OP_OMAP_GET_KEYS, 0, 0, 2);
	assert_int_equal(run(f, "o", &o, 1), 0);
	assert_int_equal(omap_keys(&o, false, keys, sizeof(keys)), 1);
	assert_string_equal(keys, "a1,a2");
	osd_op_fini(&o);
	o = op_name(OSD_OP_OMAP_GET_KEYS, "a2", NULL, 0);
	assert_int_equal(run(f, "o", &o, 1), 0);
	assert_int_equal(omap_keys(&o, false, keys, sizeof(keys)), 0);
	assert_string_equal(keys, "b1,c");
	osd_op_fini(&o);
	o = op_name(OSD_OP_OMAP_GET_VALS, NULL, NULL, 10);
	o.name2 = mem_strdup("a");
	assert_int_equal(run(f, "o", &o, 1), 0);
	assert_int_equal(omap_keys(&o, true, keys, sizeof(keys)), 0);
	assert_string_equal(keys, "a1,a2");
	osd_op_fini(&o);
	o = op_name(OSD_OP_OMAP_GET_VALS, "a1", NULL, 10);
	o.name2 = mem_strdup("a");
	assert_int_equal(run(f, "o", &o, 1), 0);
	omap_keys(&o, true, keys, sizeof(keys));
	assert_string_equal(keys, "a2");
	osd_op_fini(&o);
	o = op(OSD_OP_OMAP_GET_VALS_BY_KEYS, 0, 0, 0);
	o.indata = kv_buf((const char *const[]){ "b1", "nope", "a2" }, 3, false);
	assert_int_equal(run(f, "o", &o, 1), 0);
	{
		uint8_t tmp[256];
		const void *p;
		struct osd_kv *v;
		uint32_t n;
		struct dec d;

		assert_int_equal(buf_peek(o.outdata, 0, buf_len(o.outdata), tmp, &p), 0);
		dec_init(&d, p, buf_len(o.outdata));
		assert_int_equal(osd_kv_decode(&d, true, &v, &n), 0);
		assert_int_equal(n, 2);
		assert_string_equal(v[0].key, "b1");
		assert_memory_equal(v[1].val, "yy", 2);
		osd_kv_free(v, n);
	}
	osd_op_fini(&o);
	/* omap_cmp: operand OP stored, bytewise; missing key compares as empty */
	assert_int_equal(run1(f, "o", op_name(OSD_OP_OMAP_CMP, "a2", "yy", OSD_CMP_EQ)), 0);
	assert_int_equal(run1(f, "o", op_name(OSD_OP_OMAP_CMP, "a2", "yz", OSD_CMP_LT)),
	                 -ECANCELED);
	assert_int_equal(run1(f, "o", op_name(OSD_OP_OMAP_CMP, "zz", "", OSD_CMP_EQ)), 0);
	/* header, rm keys, rm range, clear */
	assert_int_equal(run1(f, "o", op_data(OSD_OP_OMAP_SET_HEADER, 0, "hdr")), 0);
	o = op(OSD_OP_OMAP_GET_HEADER, 0, 0, 0);
	assert_int_equal(run(f, "o", &o, 1), 0);
	assert_int_equal(buf_len(o.outdata), 3);
	osd_op_fini(&o);
	o = op(OSD_OP_OMAP_RM_KEYS, 0, 0, 0);
	o.indata = kv_buf(rm, 1, false);
	assert_int_equal(run1(f, "o", o), 0);
	o = op_name(OSD_OP_OMAP_RM_RANGE, "a2", NULL, 0);
	o.name2 = mem_strdup("b2");
	assert_int_equal(run1(f, "o", o), 0);
	o = op(OSD_OP_OMAP_GET_KEYS, 0, 0, 0);
	assert_int_equal(run(f, "o", &o, 1), 0);
	omap_keys(&o, false, keys, sizeof(keys));
	assert_string_equal(keys, "a1");
	osd_op_fini(&o);
	assert_int_equal(run1(f, "o", op(OSD_OP_OMAP_CLEAR, 0, 0, 0)), 0);
	o = op(OSD_OP_OMAP_GET_KEYS, 0, 0, 0);
	assert_int_equal(run(f, "o", &o, 1), 0);
	omap_keys(&o, false, keys, sizeof(keys));
	assert_string_equal(keys, "");
	osd_op_fini(&o);
	o = op(OSD_OP_OMAP_GET_HEADER, 0, 0, 0);
	assert_int_equal(run(f, "o", &o, 1), 0);
	assert_int_equal(buf_len(o.outdata), 0);
	osd_op_fini(&o);
	assert_int_equal(run1(f, "none", op(OSD_OP_OMAP_CLEAR, 0, 0, 0)), -ENOENT);
	o = op(OSD_OP_OMAP_SET, 0, 0, 0);
	o.indata = str("garbage");
	assert_int_equal(run1(f, "o", o), -EINVAL);
}

static void test_versions(void **state)
{
	struct fx *f = *state;
	struct osd_obj_info oi;

	assert_int_equal(run1(f, "v", op_data(OSD_OP_WRITE, 0, "x")), 0);
	assert_int_equal(run1(f, "v", op_data(OSD_OP_WRITE, 0, "y")), 0);
	oi = oinfo(f, "v");
	assert_int_equal(run1(f, "v", op(OSD_OP_ASSERT_VERSION, 0, 0, oi.user_version)), 0);
	/* librados: object newer than asserted -> -ERANGE, older -> -EOVERFLOW */
	assert_int_equal(run1(f, "v", op(OSD_OP_ASSERT_VERSION, 0, 0, oi.user_version - 1)),
	                 -ERANGE);
	assert_int_equal(run1(f, "v", op(OSD_OP_ASSERT_VERSION, 0, 0, oi.user_version + 1)),
	                 -EOVERFLOW);
	assert_int_equal(run1(f, "v", op(OSD_OP_ASSERT_VERSION, 0, 0, 0)), -EINVAL);
	assert_int_equal(run1(f, "v", op_data(OSD_OP_APPEND, 0, "y")), 0);
	assert_true(oinfo(f, "v").user_version > oi.user_version);
	assert_int_equal(oinfo(f, "v").prior_version.v, oi.version.v);
}

/* A failing op applies nothing, and its rval is the request's result. */
static void test_atomicity(void **state)
{
	struct fx *f = *state;
	struct osd_op ops[3];
	struct osd_obj_info before;

	assert_int_equal(run1(f, "t", op_data(OSD_OP_WRITE_FULL, 0, "orig")), 0);
	before = oinfo(f, "t");
	ops[0] = op_data(OSD_OP_WRITE_FULL, 0, "changed");
	ops[1] = op_name(OSD_OP_SETXATTR, "k", "v", 0);
	ops[2] = op_name(OSD_OP_CMPXATTR, "k", "other", OSD_CMP_EQ | 1 << 8);
	assert_int_equal(run(f, "t", ops, 3), -ECANCELED);
	assert_int_equal(ops[2].rval, -ECANCELED);
	ops_fini(ops, 3);
	read_eq(f, "t", 0, 0, "orig");
	assert_int_equal(oinfo(f, "t").version.v, before.version.v);
	assert_int_equal(run1(f, "t", op_name(OSD_OP_GETXATTR, "k", NULL, 0)), -ENODATA);
	/* the same with the guard satisfied by the earlier setxattr: applies */
	ops[0] = op_data(OSD_OP_WRITE_FULL, 0, "changed");
	ops[1] = op_name(OSD_OP_SETXATTR, "k", "v", 0);
	ops[2] = op_name(OSD_OP_CMPXATTR, "k", "v", OSD_CMP_EQ | 1 << 8);
	assert_int_equal(run(f, "t", ops, 3), 0);
	ops_fini(ops, 3);
	read_eq(f, "t", 0, 0, "changed");
	/* FAILOK: the request continues past the op's failure */
	ops[0] = op(OSD_OP_REMOVE, 0, 0, 0);
	ops[1] = op(OSD_OP_REMOVE, 0, 0, 0);
	ops[1].flags = OSD_OP_F_FAILOK;
	ops[2] = op_data(OSD_OP_APPEND, 0, "fresh");
	assert_int_equal(run(f, "t", ops, 3), 0);
	assert_int_equal(ops[1].rval, -ENOENT);
	ops_fini(ops, 3);
	read_eq(f, "t", 0, 0, "fresh"); /* removed, then created again by append */
	assert_int_equal(run1(f, "t", op_name(OSD_OP_GETXATTR, "k", NULL, 0)), -ENODATA);
	/* earlier ops' effects: create then exclusive create fails; size after append */
	ops[0] = op(OSD_OP_CREATE, 0, 0, 1);
	ops[1] = op(OSD_OP_CREATE, 0, 0, 1);
	assert_int_equal(run(f, "new", ops, 2), -EEXIST);
	ops_fini(ops, 2);
	assert_int_equal(run1(f, "new", op(OSD_OP_STAT, 0, 0, 0)), -ENOENT);
	ops[0] = op_data(OSD_OP_APPEND, 0, "ab");
	ops[1] = op_data(OSD_OP_APPEND, 0, "cd");
	ops[2] = op(OSD_OP_STAT, 0, 0, 0);
	assert_int_equal(run(f, "new", ops, 3), 0);
	ops_fini(ops, 3);
	read_eq(f, "new", 0, 0, "abcd");
}

static void test_pgls(void **state)
{
	struct fx *f = *state;
	struct store_oid ns = { "ns1", "z", STORE_SNAP_HEAD };
	struct store_txn *t;
	struct osd_list_entry *ents;
	struct osd_list_cursor next;
	uint32_t n, total = 0;
	bool end = false;
	struct enc e;
	int rounds = 0;

	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "obj%02d", i);
		assert_int_equal(run1(f, name, op_data(OSD_OP_WRITE, 0, "d")), 0);
	}
	assert_int_equal(store_txn_create(&t), 0);
	assert_int_equal(store_txn_touch(t, CID, &ns), 0);
	assert_int_equal(store_apply_transaction(f->st, t), 0);
	memset(&next, 0, sizeof(next));
	while (!end) {
		struct osd_op o = op(OSD_OP_PGLS, 0, 0, 3);
		uint8_t tmp[4096];
		const void *p;
		struct dec d;

		enc_init(&e);
		osd_list_cursor_encode(&e, &next);
		o.indata = bytes(e.data, e.len);
		enc_fini(&e);
		osd_list_cursor_fini(&next);
		assert_int_equal(osd_exec_pgls(f->st, CID, &o), 0);
		assert_int_equal(buf_peek(o.outdata, 0, buf_len(o.outdata), tmp, &p), 0);
		dec_init(&d, p, buf_len(o.outdata));
		assert_int_equal(osd_list_reply_decode(&d, &ents, &n, &next, &end), 0);
		assert_true(n <= 3);
		for (uint32_t i = 0; i < n; i++) {
			assert_string_equal(ents[i].nspace, ""); /* no pgmeta, no other ns */
			assert_true(ents[i].oid[0]);
		}
		total += n;
		osd_list_entries_free(ents, n);
		osd_op_fini(&o);
		assert_true(++rounds < 20);
	}
	osd_list_cursor_fini(&next);
	assert_int_equal(total, 10);
	{
		struct osd_op o = op_name(OSD_OP_PGLS, OSD_LIST_ALL_NSPACES, NULL, 100);
		uint8_t tmp[4096];
		const void *p;
		struct dec d;

		assert_int_equal(osd_exec_pgls(f->st, CID, &o), 0);
		assert_int_equal(buf_peek(o.outdata, 0, buf_len(o.outdata), tmp, &p), 0);
		dec_init(&d, p, buf_len(o.outdata));
		assert_int_equal(osd_list_reply_decode(&d, &ents, &n, &next, &end), 0);
		assert_int_equal(n, 11);
		assert_true(end);
		osd_list_entries_free(ents, n);
		osd_list_cursor_fini(&next);
		osd_op_fini(&o);
	}
}

static void test_bad_ops(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run1(f, "b", op(999, 0, 0, 0)), -EOPNOTSUPP);
	assert_int_equal(run1(f, "b", op(OSD_OP_PGLS, 0, 0, 0)), -EOPNOTSUPP);
	assert_int_equal(run1(f, "b", op_name(OSD_OP_CMPXATTR, "k", "v", 77 | 1 << 8)), -ENOENT);
	assert_int_equal(run1(f, "b", op_data(OSD_OP_WRITE, 0, "x")), 0);
	assert_int_equal(run1(f, "b", op_name(OSD_OP_CMPXATTR, "k", "v", 77 | 1 << 8)), -EINVAL);
	assert_int_equal(run1(f, "b", op_name(OSD_OP_CMPXATTR, "k", "v", 1 | 9 << 8)), -EINVAL);
	assert_int_equal(run1(f, "b", op_name(OSD_OP_OMAP_RM_RANGE, "a", NULL, 0)), -EINVAL);
}

const struct CMUnitTest exec_tests[] = {
	cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
	cmocka_unit_test_setup_teardown(test_sparse_read_cmpext, setup, teardown),
	cmocka_unit_test_setup_teardown(test_create_remove, setup, teardown),
	cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	cmocka_unit_test_setup_teardown(test_xattrs, setup, teardown),
	cmocka_unit_test_setup_teardown(test_omap, setup, teardown),
	cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
	cmocka_unit_test_setup_teardown(test_atomicity, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pgls, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_ops, setup, teardown),
};
const size_t exec_ntests = sizeof(exec_tests) / sizeof(exec_tests[0]);
