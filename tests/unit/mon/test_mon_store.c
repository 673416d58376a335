/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mon/test_mon_store.c - the RocksDB store: reopen after close,
 * consensus ops, trim, snapshots, batch atomicity. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/mem.h"
#include "mon/mon_store.h"
#include "mon/raft.h"
#include "tests.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	char *dir = strdup("/tmp/sepia-monstore-XXXXXX");
	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static struct mon_store *open_store(void **state)
{
	struct mon_store *st;
	assert_int_equal(mon_store_open(*state, true, &st), 0);
	return st;
}

static void put_entries(struct mon_store *st, uint64_t from, uint64_t to, uint64_t term)
{
	struct mon_store_batch *b;
	struct mon_raft_op ops[64];
	size_t n = 0;
	assert_int_equal(mon_store_batch_create(st, &b), 0);
	for (uint64_t i = from; i <= to && n < 64; i++, n++) {
		memset(&ops[n], 0, sizeof(ops[n]));
		ops[n].kind = MON_RAFT_OP_ENTRY;
		ops[n].entry = (struct mon_raft_entry){ .index = i,
			                                .term = term,
			                                .type = MON_RAFT_ENTRY_DATA,
			                                .len = 2,
			                                .data = (uint8_t *)"ab" };
	}
	assert_int_equal(mon_store_batch_ops(b, ops, n), 0);
	assert_int_equal(mon_store_batch_commit(b), 0);
	mon_store_batch_destroy(b);
}

static void test_reopen(void **state)
{
	struct mon_store *st = open_store(state);
	struct mon_store_batch *b;
	struct mon_raft_state s;
	struct mon_raft_op ops[2] = {
		{ .kind = MON_RAFT_OP_HARD_STATE, .term = 5, .vote = 2 },
		{ .kind = MON_RAFT_OP_COMMIT, .index = 3 },
	};
	assert_int_equal(mon_store_load(st, 7, &s), 0); /* fresh */
	assert_int_equal(s.term, 0);
	assert_int_equal(s.vote, MON_RAFT_NONE);
	assert_int_equal(s.snap_conf, 7);
	mon_store_state_free(&s);
	put_entries(st, 1, 4, 5);
	assert_int_equal(mon_store_batch_create(st, &b), 0);
	assert_int_equal(mon_store_batch_ops(b, ops, 2), 0);
	mon_store_batch_put(b, "osdmap", "k", 1, "v1", 2);
	mon_store_batch_applied(b, 3);
	assert_int_equal(mon_store_batch_commit(b), 0);
	mon_store_batch_destroy(b);
	mon_store_close(st);

	st = open_store(state);
	assert_int_equal(mon_store_load(st, 7, &s), 0);
	assert_int_equal(s.term, 5);
	assert_int_equal(s.vote, 2);
	assert_int_equal(s.commit, 3);
	assert_int_equal(s.applied, 3);
	assert_int_equal(s.n_entries, 4);
	assert_int_equal(s.entries[3].index, 4);
	assert_memory_equal(s.entries[0].data, "ab", 2);
	mon_store_state_free(&s);
	void *v;
	size_t vl;
	assert_int_equal(mon_store_get(st, "osdmap", "k", 1, &v, &vl), 0);
	assert_int_equal(vl, 2);
	assert_memory_equal(v, "v1", 2);
	mem_free(v);
	assert_int_equal(mon_store_get(st, "osdmap", "nope", 4, &v, &vl), -ENOENT);
	mon_store_close(st);
	struct mon_store *none;
	assert_int_equal(mon_store_open("/tmp/sepia-monstore-missing/x", false, &none), -ENOENT);
}

static void test_truncate_and_trim(void **state)
{
	struct mon_store *st = open_store(state);
	struct mon_store_batch *b;
	struct mon_raft_state s;
	struct mon_raft_op ops[2] = {
		{ .kind = MON_RAFT_OP_TRUNCATE, .index = 8 },
		{ .kind = MON_RAFT_OP_TRIM, .index = 3, .term = 1, .conf = 5 },
	};
	put_entries(st, 1, 10, 1);
	assert_int_equal(mon_store_batch_create(st, &b), 0);
	mon_store_batch_applied(b, 5);
	assert_int_equal(mon_store_batch_ops(b, ops, 2), 0);
	assert_int_equal(mon_store_batch_commit(b), 0);
	mon_store_batch_destroy(b);
	assert_int_equal(mon_store_load(st, 0, &s), 0);
	assert_int_equal(s.snap_index, 3);
	assert_int_equal(s.snap_conf, 5);
	assert_int_equal(s.n_entries, 4); /* 4..7 */
	assert_int_equal(s.entries[0].index, 4);
	mon_store_state_free(&s);
	mon_store_close(st);
}

static int count_fn(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	(*(int *)arg)++;
	return 0;
}

static void test_snapshot(void **state)
{
	struct mon_store *st = open_store(state);
	struct mon_store_batch *b;
	uint8_t *data;
	size_t len;
	uint64_t index;
	int n = 0;

	assert_int_equal(mon_store_batch_create(st, &b), 0);
	mon_store_batch_put(b, "a", "1", 1, "x", 1);
	mon_store_batch_put(b, "b", "2", 1, "y", 1);
	mon_store_batch_applied(b, 9);
	assert_int_equal(mon_store_batch_commit(b), 0);
	assert_int_equal(mon_store_snapshot_build(st, &data, &len, &index), 0);
	assert_int_equal(index, 9);
	assert_int_equal(mon_store_snapshot_check(data, len), 0);
	assert_int_equal(mon_store_snapshot_check(data, len - 1), -EBADMSG);
	/* install over different state: the old keys go, the log base moves */
	mon_store_batch_put(b, "c", "3", 1, "z", 1);
	put_entries(st, 1, 5, 1);
	assert_int_equal(mon_store_batch_commit(b), 0);
	struct mon_raft_op op = { .kind = MON_RAFT_OP_SNAPSHOT,
		                  .index = 9,
		                  .term = 2,
		                  .conf = 3,
		                  .data = data,
		                  .len = len };
	assert_int_equal(mon_store_batch_ops(b, &op, 1), 0);
	assert_int_equal(mon_store_batch_commit(b), 0);
	assert_int_equal(mon_store_iterate(st, "c", count_fn, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mon_store_iterate(st, "a", count_fn, &n), 0);
	assert_int_equal(n, 1);
	struct mon_raft_state s;
	assert_int_equal(mon_store_load(st, 0, &s), 0);
	assert_int_equal(s.snap_index, 9);
	assert_int_equal(s.applied, 9);
	assert_int_equal(s.n_entries, 0);
	mon_store_state_free(&s);
	mem_free(data);
	mon_store_batch_destroy(b);
	mon_store_close(st);
}

static void test_batch_is_atomic(void **state)
{
	struct mon_store *st = open_store(state);
	struct mon_store_batch *b;
	void *v;
	size_t vl;
	struct mon_raft_op bad = {
		.kind = MON_RAFT_OP_SNAPSHOT, .index = 1, .data = (uint8_t *)"junk", .len = 4
	};
	assert_int_equal(mon_store_batch_create(st, &b), 0);
	mon_store_batch_put(b, "m", "k", 1, "v", 1);
	mon_store_batch_applied(b, 1);
	assert_int_equal(mon_store_batch_ops(b, &bad, 1), -EBADMSG);
	assert_int_equal(mon_store_batch_commit(b), -EBADMSG); /* nothing written */
	assert_int_equal(mon_store_get(st, "m", "k", 1, &v, &vl), -ENOENT);
	assert_int_equal(mon_store_applied(st), 0);
	mon_store_batch_put(b, "m", "k", 1, "v", 1); /* the batch is reusable */
	assert_int_equal(mon_store_batch_commit(b), 0);
	assert_int_equal(mon_store_get(st, "m", "k", 1, &v, &vl), 0);
	mem_free(v);
	mon_store_batch_destroy(b);
	mon_store_close(st);
}

int test_mon_store_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_and_trim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_is_atomic, setup, teardown),
	};
	return cmocka_run_group_tests_name("mon_store", tests, NULL, NULL);
}
