/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/test_conform.c - the conformance suite: every test runs
 * against MemStore and BlockStore (cmocka state selects which), plus a
 * randomized comparison of the two over the same transactions. */
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
#include "common/mem.h"
#include "util.h"

int conform_setup_mem(void **state);
int conform_setup_bs(void **state);
int conform_teardown(void **state);
void test_colls(void **state);
void test_data(void **state);
void test_attrs_omap(void **state);
void test_clone_move(void **state);
void test_list_order(void **state);
void test_atomic_reject(void **state);
void test_callbacks(void **state);
void test_random_vs_memstore(void **state);

int conform_setup_mem(void **state)
{
	struct tstore *t = malloc(sizeof(*t));

	tstore_open(t, false);
	*state = t;
	return 0;
}

int conform_setup_bs(void **state)
{
	struct tstore *t = malloc(sizeof(*t));

	tstore_open(t, true);
	*state = t;
	return 0;
}

int conform_teardown(void **state)
{
	struct tstore *t = *state;

	tstore_close(t, true);
	free(t);
	return 0;
}

static struct store_txn *txn(void)
{
	struct store_txn *t;

	assert_int_equal(store_txn_create(&t), 0);
	return t;
}

static void apply_ok(struct store *st, struct store_txn *t)
{
	assert_int_equal(store_apply_transaction(st, t), 0);
}

static void mkcoll(struct store *st, const char *cid)
{
	struct store_txn *t = txn();

	assert_int_equal(store_txn_coll_create(t, cid), 0);
	apply_ok(st, t);
}

/* After a persistent store is reopened, everything must read the same. */
static void maybe_reopen(struct tstore *ts)
{
	tstore_reopen(ts);
	assert_int_equal(store_fsck(ts->st, STORE_FSCK_DEEP, NULL, NULL), 0);
}

void test_colls(void **state)
{
	struct tstore *ts = *state;
	struct store *st = ts->st;
	struct store_oid o = toid("a");
	struct store_txn *t;

	mkcoll(st, "1.0");
	assert_true(store_coll_exists(st, "1.0"));
	assert_false(store_coll_exists(st, "1.1"));
	t = txn();
	store_txn_coll_create(t, "1.0");
	assert_int_equal(store_apply_transaction(st, t), -EEXIST);
	t = txn();
	store_txn_touch(t, "9.9", &o);
	assert_int_equal(store_apply_transaction(st, t), -ENOENT);
	t = txn();
	store_txn_touch(t, "1.0", &o);
	apply_ok(st, t);
	t = txn();
	store_txn_coll_remove(t, "1.0");
	assert_int_equal(store_apply_transaction(st, t), -ENOTEMPTY);
	t = txn();
	store_txn_remove(t, "1.0", &o);
	store_txn_coll_remove(t, "1.0");
	apply_ok(st, t);
	assert_false(store_coll_exists(st, "1.0"));
	maybe_reopen(ts);
	assert_false(store_coll_exists(ts->st, "1.0"));
}

static void check_bytes(struct store *st, const char *name, const uint8_t *want, size_t n)
{
	uint8_t *got = NULL;
	ssize_t k = tread(st, "c", name, &got);

	assert_int_equal(k, (ssize_t)n);
	assert_memory_equal(got, want, n);
	free(got);
}

void test_data(void **state)
{
	struct tstore *ts = *state;
	size_t n = 300000;
	uint8_t *model = calloc(1, n), *p = malloc(70000);
	struct store_oid o = toid("obj");
	struct store_txn *t;
	struct store_stat sst;

	mkcoll(ts->st, "c");
	for (size_t i = 0; i < 70000; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	/* sparse: a write far out leaves a hole that reads as zeros */
	assert_int_equal(twrite(ts->st, "c", "obj", 200000, p, 70000), 0);
	memcpy(model + 200000, p, 70000);
	check_bytes(ts->st, "obj", model, 270000);
	/* small unaligned overwrites (deferred in the BlockStore) */
	for (int k = 0; k < 20; k++) {
		size_t off = 200000 + (size_t)k * 3001, len = 1 + (size_t)k * 97;

		assert_int_equal(twrite(ts->st, "c", "obj", off, p + k, len), 0);
		memcpy(model + off, p + k, len);
	}
	check_bytes(ts->st, "obj", model, 270000);
	t = txn();
	store_txn_zero(t, "c", &o, 210000, 20000);
	store_txn_truncate(t, "c", &o, 250001);
	store_txn_truncate(t, "c", &o, 260000); /* grows again: tail reads zeros */
	apply_ok(ts->st, t);
	memset(model + 210000, 0, 20000);
	memset(model + 250001, 0, 10000);
	check_bytes(ts->st, "obj", model, 260000);
	assert_int_equal(store_stat(ts->st, "c", &o, &sst), 0);
	assert_int_equal(sst.size, 260000);
	maybe_reopen(ts);
	check_bytes(ts->st, "obj", model, 260000);
	/* partial reads and reads past the end */
	{
		struct buf *b = NULL;

		assert_int_equal(store_read(ts->st, "c", &o, 259990, 100, &b), 10);
		buf_put(b);
		assert_int_equal(store_read(ts->st, "c", &o, 300000, 100, &b), 0);
		buf_put(b);
	}
	free(model);
	free(p);
}

static int count_kv(const char *k, const void *v, size_t len, void *arg)
{
	(void)k, (void)v, (void)len;
	++*(int *)arg;
	return 0;
}

void test_attrs_omap(void **state)
{
	struct tstore *ts = *state;
	struct store_oid o = toid("x");
	struct store_kv kv[4] = {
		{ "a", "1", 1 }, { "b", "22", 2 }, { "c", "333", 3 }, { "d", "", 0 }
	};
	const char *rm[] = { "a" };
	struct store_txn *t;
	void *val;
	size_t len;
	int n = 0;

	mkcoll(ts->st, "c");
	t = txn();
	store_txn_setattrs(t, "c", &o, kv, 2);
	store_txn_setattr(t, "c", &o, "_", "head", 4);
	store_txn_omap_setkeys(t, "c", &o, kv, 4);
	apply_ok(ts->st, t);
	maybe_reopen(ts);
	assert_int_equal(store_getattr(ts->st, "c", &o, "b", &val, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(val, "22", 2);
	mem_free(val);
	assert_int_equal(store_getattr(ts->st, "c", &o, "zz", &val, &len), -ENODATA);
	assert_int_equal(store_getattrs(ts->st, "c", &o, count_kv, &n), 0);
	assert_int_equal(n, 3);
	t = txn();
	store_txn_rmattr(t, "c", &o, "a");
	store_txn_rmattr(t, "c", &o, "nonexistent");
	store_txn_omap_rmkeys(t, "c", &o, rm, 1);
	store_txn_omap_rmkeyrange(t, "c", &o, "c", "d");
	apply_ok(ts->st, t);
	n = 0;
	assert_int_equal(store_omap_iterate(ts->st, "c", &o, NULL, 0, count_kv, &n), 2);
	assert_int_equal(store_omap_get(ts->st, "c", &o, "b", &val, &len), 0);
	mem_free(val);
	assert_int_equal(store_omap_get(ts->st, "c", &o, "c", &val, &len), -ENODATA);
	assert_int_equal(store_omap_get(ts->st, "c", &o, "d", &val, &len), 0);
	assert_int_equal(len, 0);
	mem_free(val);
	n = 0;
	assert_int_equal(store_omap_iterate(ts->st, "c", &o, "c", 0, count_kv, &n), 1);
	t = txn();
	store_txn_omap_clear(t, "c", &o);
	apply_ok(ts->st, t);
	assert_int_equal(store_omap_iterate(ts->st, "c", &o, NULL, 0, count_kv, &n), 0);
}

void test_clone_move(void **state)
{
	struct tstore *ts = *state;
	struct store_oid a = toid("a"), b = toid("b"), c = toid("c");
	struct store_kv kv = { "k", "v", 1 }, kv2 = { "k2", "v2", 2 };
	uint8_t data[10000], *got;
	struct store_txn *t;
	void *val;
	size_t len;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	mkcoll(ts->st, "c");
	mkcoll(ts->st, "d");
	assert_int_equal(twrite(ts->st, "c", "a", 0, data, sizeof(data)), 0);
	t = txn();
	store_txn_omap_setkeys(t, "c", &a, &kv, 1);
	store_txn_setattr(t, "c", &a, "x", "1", 1);
	apply_ok(ts->st, t);
	t = txn();
	store_txn_omap_setkeys(t, "c", &a, &kv2, 1); /* same txn, before the clone */
	store_txn_clone(t, "c", &a, &b);
	store_txn_clone_range(t, "c", &a, &c, 100, 5000, 7);
	apply_ok(ts->st, t);
	maybe_reopen(ts);
	check_bytes(ts->st, "b", data, sizeof(data));
	assert_int_equal(tread(ts->st, "c", "c", &got), 5007);
	assert_memory_equal(got + 7, data + 100, 5000);
	free(got);
	assert_int_equal(store_omap_get(ts->st, "c", &b, "k2", &val, &len), 0);
	mem_free(val);
	assert_int_equal(store_getattr(ts->st, "c", &b, "x", &val, &len), 0);
	mem_free(val);
	t = txn();
	store_txn_move_rename(t, "c", &b, "d", &a);
	apply_ok(ts->st, t);
	assert_int_equal(store_omap_get(ts->st, "d", &a, "k", &val, &len), 0);
	mem_free(val);
	assert_int_equal(tread(ts->st, "c", "b", &got), -ENOENT);
	t = txn();
	store_txn_move_rename(t, "c", &a, "d", &a);
	assert_int_equal(store_apply_transaction(ts->st, t), -EEXIST);
}

struct lst {
	char names[16][32];
	int n;
};

static int collect(const struct store_oid *oid, void *arg)
{
	struct lst *l = arg;

	snprintf(l->names[l->n++], 32, "%s/%s/%llu", oid->nspace, oid->name,
	         (unsigned long long)(oid->snap & 0xff));
	return 0;
}

void test_list_order(void **state)
{
	struct tstore *ts = *state;
	const char *names[] = { "m", "b", "z", "a" };
	struct store_oid o;
	struct store_txn *t = txn();
	struct lst l = { 0 };

	assert_int_equal(store_txn_coll_create(t, "c"), 0);
	for (int i = 0; i < 4; i++) {
		o = toid(names[i]);
		store_txn_touch(t, "c", &o);
		o.snap = 3;
		store_txn_touch(t, "c", &o);
	}
	o = toid("a");
	o.nspace = "ns";
	store_txn_touch(t, "c", &o);
	apply_ok(ts->st, t);
	assert_int_equal(store_list(ts->st, "c", NULL, 3, collect, &l), 3);
	assert_string_equal(l.names[0], "/a/3");
	assert_string_equal(l.names[1], "/a/255");
	assert_string_equal(l.names[2], "/b/3");
	o = toid("b");
	o.snap = 3;
	assert_int_equal(store_list(ts->st, "c", &o, 0, collect, &l), 6);
	assert_string_equal(l.names[3], "/b/255");
	assert_string_equal(l.names[8], "ns/a/255");
	assert_int_equal(store_list(ts->st, "nope", NULL, 0, collect, &l), -ENOENT);
}

void test_atomic_reject(void **state)
{
	struct tstore *ts = *state;
	struct store_oid a = toid("a"), missing = toid("missing");
	uint8_t p[8192] = { 1 };
	struct store_txn *t = txn();
	struct buf *b;
	struct store_stat sst;

	mkcoll(ts->st, "c");
	buf_create(&b);
	buf_append(b, p, sizeof(p));
	store_txn_write(t, "c", &a, 0, b);
	buf_put(b);
	store_txn_remove(t, "c", &missing); /* fails validation */
	assert_int_equal(store_apply_transaction(ts->st, t), -ENOENT);
	assert_int_equal(store_stat(ts->st, "c", &a, &sst), -ENOENT);
	assert_int_equal(store_fsck(ts->st, STORE_FSCK_DEEP, NULL, NULL), 0);
}

struct cbs {
	int applied, committed;
};

static void on_applied(int status, void *arg)
{
	struct cbs *c = arg;

	assert_int_equal(status, 0);
	assert_int_equal(c->committed, 0);
	c->applied++;
}

static void on_commit(int status, void *arg)
{
	struct cbs *c = arg;

	assert_int_equal(status, 0);
	c->committed++;
}

void test_callbacks(void **state)
{
	struct tstore *ts = *state;
	struct cbs c[32] = { { 0 } };
	struct store_oid o = toid("o");
	struct store_statfs sf;

	mkcoll(ts->st, "c");
	for (int i = 0; i < 32; i++) {
		struct store_txn *t = txn();
		struct store_kv kv = { "k", &i, sizeof(i) };

		store_txn_omap_setkeys(t, "c", &o, &kv, 1);
		assert_int_equal(store_queue_transaction(ts->st, t, on_applied, on_commit, &c[i]),
		                 0);
	}
	mkcoll(ts->st, "barrier"); /* callbacks run in order */
	for (int i = 0; i < 32; i++)
		assert_int_equal(c[i].applied + c[i].committed, 2);
	assert_int_equal(store_statfs(ts->st, &sf), 0);
	assert_true(sf.objects >= 1);
}

/* ---- randomized: the same transactions on both stores read the same ---- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void rand_op(struct store_txn *t, uint64_t *s, uint8_t *scratch)
{
	char n1[16], n2[16], key[16];
	struct store_oid a, b;
	struct buf *data;
	uint64_t off = rnd(s) % 300000, len = 1 + rnd(s) % 40000;
	struct store_kv kv = { key, scratch, rnd(s) % 64 };
	const char *keys[1] = { key };

	snprintf(n1, sizeof(n1), "o%d", (int)(rnd(s) % 5));
	snprintf(n2, sizeof(n2), "o%d", (int)(rnd(s) % 5));
	snprintf(key, sizeof(key), "k%d", (int)(rnd(s) % 20));
	a = toid(n1);
	b = toid(n2);
	int ty = (int)(rnd(s) % 12);

	if (getenv("STORE_TEST_TRACE"))
		fprintf(stderr, "op %d %s %s %s\n", ty, n1, n2, key);
	switch (ty) {
	case 0:
	case 1:
	case 2:
		if (rnd(s) % 2)
			len = 1 + len % 5000;
		buf_create(&data);
		buf_append(data, scratch + off % 1000, len);
		store_txn_write(t, "c", &a, off, data);
		buf_put(data);
		break;
	case 3:
		store_txn_zero(t, "c", &a, off, len);
		break;
	case 4:
		store_txn_truncate(t, "c", &a, off);
		break;
	case 5:
		store_txn_remove(t, "c", &a);
		break;
	case 6:
		store_txn_clone(t, "c", &a, &b);
		break;
	case 7:
		store_txn_clone_range(t, "c", &a, &b, off % 100000, len, rnd(s) % 100000);
		break;
	case 8:
		store_txn_setattr(t, "c", &a, key, scratch, kv.len);
		break;
	case 9:
		store_txn_omap_setkeys(t, "c", &a, &kv, 1);
		break;
	case 10:
		store_txn_omap_rmkeys(t, "c", &a, keys, 1);
		break;
	default:
		if (rnd(s) % 2)
			store_txn_omap_rmkeyrange(t, "c", &a, "k1", "k5");
		else
			store_txn_touch(t, "c", &a);
	}
}

struct kvdump {
	char buf[8192];
	size_t n;
};

static int dump_kv(const char *k, const void *v, size_t len, void *arg)
{
	struct kvdump *d = arg;

	d->n += (size_t)snprintf(d->buf + d->n, sizeof(d->buf) - d->n, "%s=%zu:%u;", k, len,
	                         len ? ((const uint8_t *)v)[len - 1] : 0);
	return d->n >= sizeof(d->buf) - 64;
}

static void compare_obj(struct store *x, struct store *y, const char *name)
{
	uint8_t *p = NULL, *q = NULL;
	ssize_t a = tread(x, "c", name, &p), b = tread(y, "c", name, &q);
	struct store_oid o = toid(name);
	struct kvdump d1 = { { 0 }, 0 }, d2 = { { 0 }, 0 };

	assert_int_equal(a, b);
	if (a > 0)
		assert_memory_equal(p, q, (size_t)a);
	free(p);
	free(q);
	if (a < 0)
		return;
	store_getattrs(x, "c", &o, dump_kv, &d1);
	store_getattrs(y, "c", &o, dump_kv, &d2);
	store_omap_iterate(x, "c", &o, NULL, 0, dump_kv, &d1);
	store_omap_iterate(y, "c", &o, NULL, 0, dump_kv, &d2);
	assert_string_equal(d1.buf, d2.buf);
}

void test_random_vs_memstore(void **state)
{
	struct tstore *bs = *state, ms;
	uint8_t scratch[64000];
	uint64_t s1 = 88172645463325252ull, s2;

	tstore_open(&ms, false);
	for (size_t i = 0; i < sizeof(scratch); i++)
		scratch[i] = (uint8_t)(i * 13 + i / 251);
	mkcoll(bs->st, "c");
	mkcoll(ms.st, "c");
	for (int round = 0; round < 300; round++) {
		struct store_txn *t1 = txn(), *t2 = txn();
		int nops = 1 + (int)(rnd(&s1) % 4), r1, r2;

		s2 = s1;
		for (int i = 0; i < nops; i++)
			rand_op(t1, &s1, scratch);
		for (int i = 0; i < nops; i++)
			rand_op(t2, &s2, scratch);
		r1 = store_apply_transaction(bs->st, t1);
		r2 = store_apply_transaction(ms.st, t2);
		assert_int_equal(r1, r2);
		if (round % 50 == 49)
			maybe_reopen(bs);
		for (int k = 0; k < 5; k++) {
			char n[16];

			snprintf(n, sizeof(n), "o%d", k);
			compare_obj(bs->st, ms.st, n);
		}
	}
	assert_int_equal(store_fsck(bs->st, STORE_FSCK_DEEP, NULL, NULL), 0);
	tstore_close(&ms, true);
}
