/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mon/test_raft.c - the consensus core on a perfect in-memory
 * network: election, replication, reads, restart, membership, -ENOMEM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/mem.h"
#include "mon/raft_int.h"
#include "tests.h"

#define N 3

struct net {
	struct mon_raft *r[N];
	uint64_t now;
	uint64_t applied[N]; /* last applied index per node */
	struct mon_raft_msg_out q[256];
	size_t nq;
};

static const struct mon_raft_timing timing = {
	.election_ms = 100,
	.heartbeat_ms = 20,
	.lease_ms = 300,
	.keep_versions = 4,
	.max_batch = 4,
	.seed = 7,
};

static void drain(struct net *n, uint32_t id, struct mon_raft_actions *a)
{
	for (size_t i = 0; i < a->n_apply; i++) {
		assert_int_equal(a->apply[i].index, n->applied[id] + 1);
		n->applied[id] = a->apply[i].index;
	}
	for (size_t i = 0; i < a->n_msgs && n->nq < 256; i++) {
		n->q[n->nq] = a->msgs[i];
		n->q[n->nq++].data = a->msgs[i].data;
		a->msgs[i].data = NULL; /* the queue owns it now */
	}
	mon_raft_actions_reset(a);
}

static void deliver_all(struct net *n)
{
	struct mon_raft_actions a;
	mon_raft_actions_init(&a);
	while (n->nq) {
		struct mon_raft_msg_out m = n->q[0];
		memmove(n->q, n->q + 1, --n->nq * sizeof(n->q[0]));
		if (m.to < N && n->r[m.to]) {
			assert_int_equal(mon_raft_step(n->r[m.to], m.data, m.len, n->now, &a), 0);
			drain(n, m.to, &a);
		}
		mem_free(m.data);
	}
	mon_raft_actions_fini(&a);
}

static void run(struct net *n, uint64_t ms)
{
	struct mon_raft_actions a;
	mon_raft_actions_init(&a);
	for (uint64_t end = n->now + ms; n->now < end; n->now += 5) {
		for (uint32_t id = 0; id < N; id++) {
			if (!n->r[id])
				continue;
			assert_int_equal(mon_raft_tick(n->r[id], n->now, &a), 0);
			drain(n, id, &a);
		}
		deliver_all(n);
	}
	mon_raft_actions_fini(&a);
}

static void net_up(struct net *n, uint32_t nodes)
{
	struct mon_raft_state st = { .vote = MON_RAFT_NONE, .snap_conf = (1ull << nodes) - 1 };
	memset(n, 0, sizeof(*n));
	n->now = 1000;
	for (uint32_t id = 0; id < nodes; id++)
		assert_int_equal(mon_raft_create(id, &timing, &st, n->now, &n->r[id]), 0);
}

static void net_down(struct net *n)
{
	for (uint32_t id = 0; id < N; id++)
		mon_raft_destroy(n->r[id]);
	for (size_t i = 0; i < n->nq; i++)
		mem_free(n->q[i].data);
}

static int leader_of(struct net *n)
{
	for (uint32_t id = 0; id < N; id++)
		if (n->r[id] && mon_raft_role(n->r[id]) == MON_RAFT_LEADER)
			return (int)id;
	return -1;
}

static int64_t propose(struct net *n, uint32_t id, const char *s)
{
	struct mon_raft_actions a;
	mon_raft_actions_init(&a);
	int64_t rc = mon_raft_propose(n->r[id], s, strlen(s), &a);
	drain(n, id, &a);
	mon_raft_actions_fini(&a);
	return rc;
}

static void test_single_node(void **state)
{
	struct net n;
	(void)state;
	net_up(&n, 1);
	run(&n, 300);
	assert_int_equal(leader_of(&n), 0);
	int64_t idx = propose(&n, 0, "x");
	assert_true(idx > 0);
	assert_int_equal(n.applied[0], idx); /* committed at once, alone */
	uint64_t v;
	assert_true(mon_raft_read_is_safe(n.r[0], n.now, &v));
	assert_int_equal(v, idx);
	net_down(&n);
}

static void test_three_nodes(void **state)
{
	struct net n;
	uint64_t v;
	(void)state;
	net_up(&n, 3);
	run(&n, 500);
	int l = leader_of(&n);
	assert_true(l >= 0);
	uint32_t f = (uint32_t)(l + 1) % 3;
	assert_int_equal(propose(&n, f, "no"), -EAGAIN);
	int64_t idx = propose(&n, (uint32_t)l, "hello");
	assert_true(idx > 0);
	run(&n, 100);
	for (uint32_t id = 0; id < 3; id++)
		assert_true(n.applied[id] >= (uint64_t)idx);
	assert_true(mon_raft_read_is_safe(n.r[l], n.now, &v));
	assert_true(v >= (uint64_t)idx);
	assert_true(mon_raft_read_is_safe(n.r[f], n.now, &v));
	assert_true(v >= (uint64_t)idx);
	/* the follower's lease runs out without the leader */
	mon_raft_destroy(n.r[l]);
	n.r[l] = NULL;
	assert_false(mon_raft_read_is_safe(n.r[f], n.now + 1000, &v));
	run(&n, 1000);
	int l2 = leader_of(&n);
	assert_true(l2 >= 0 && l2 != l);
	assert_true(propose(&n, (uint32_t)l2, "again") > idx);
	net_down(&n);
}

static void test_restart_reapplies(void **state)
{
	struct mon_raft_entry e[2] = {
		{ .index = 1, .term = 1, .type = MON_RAFT_ENTRY_NOOP },
		{ .index = 2,
		  .term = 1,
		  .type = MON_RAFT_ENTRY_DATA,
		  .len = 1,
		  .data = (uint8_t *)"z" },
	};
	struct mon_raft_state st = {
		.term = 1,
		.vote = 0,
		.commit = 2,
		.applied = 1,
		.snap_conf = 1,
		.entries = e,
		.n_entries = 2,
	};
	struct mon_raft *r;
	struct mon_raft_actions a;
	(void)state;
	assert_int_equal(mon_raft_create(0, &timing, &st, 5, &r), 0);
	mon_raft_actions_init(&a);
	assert_int_equal(mon_raft_tick(r, 6, &a), 0);
	assert_int_equal(a.n_apply, 1);
	assert_int_equal(a.apply[0].index, 2);
	assert_memory_equal(a.apply[0].data, "z", 1);
	mon_raft_actions_fini(&a);
	mon_raft_destroy(r);
	e[1].index = 3; /* a hole */
	assert_int_equal(mon_raft_create(0, &timing, &st, 5, &r), -EINVAL);
	struct mon_raft_timing bad = timing;
	bad.heartbeat_ms = bad.election_ms;
	e[1].index = 2;
	assert_int_equal(mon_raft_create(0, &bad, &st, 5, &r), -EINVAL);
	mon_raft_destroy(NULL);
}

static void test_membership(void **state)
{
	struct net n;
	struct mon_raft_actions a;
	(void)state;
	net_up(&n, 2); /* members 0 and 1; 2 joins */
	struct mon_raft_state st = { .vote = MON_RAFT_NONE };
	assert_int_equal(mon_raft_create(2, &timing, &st, n.now, &n.r[2]), 0);
	run(&n, 500);
	int l = leader_of(&n);
	assert_true(l >= 0 && l < 2);
	mon_raft_actions_init(&a);
	int64_t idx = mon_raft_propose_conf(n.r[l], true, 2, &a);
	assert_true(idx > 0);
	assert_true(a.conf_changed);
	assert_int_equal(mon_raft_propose_conf(n.r[l], true, 2, &a), -EBUSY);
	drain(&n, (uint32_t)l, &a);
	run(&n, 300);
	assert_int_equal(mon_raft_conf(n.r[2]), 7);
	assert_true(n.applied[2] >= (uint64_t)idx);
	assert_int_equal(mon_raft_propose_conf(n.r[l], true, 2, &a), -EALREADY);
	assert_int_equal(mon_raft_propose_conf(n.r[l], true, 99, &a), -EINVAL);
	/* the leader removes itself and steps down once that commits */
	assert_true(mon_raft_propose_conf(n.r[l], false, (uint32_t)l, &a) > 0);
	drain(&n, (uint32_t)l, &a);
	mon_raft_actions_fini(&a);
	run(&n, 1000);
	int l2 = leader_of(&n);
	assert_true(l2 >= 0 && l2 != l);
	assert_false(mon_raft_conf_has(mon_raft_conf(n.r[l2]), (uint32_t)l));
	net_down(&n);
}

static void test_snapshot_catch_up(void **state)
{
	struct net n;
	struct mon_raft_actions a;
	(void)state;
	net_up(&n, 3);
	run(&n, 500);
	int l = leader_of(&n);
	uint32_t f = (uint32_t)(l + 1) % 3;
	mon_raft_destroy(n.r[f]);
	n.r[f] = NULL;
	for (int i = 0; i < 20; i++) {
		propose(&n, (uint32_t)l, "v");
		run(&n, 10);
	}
	run(&n, 50); /* trims: keep_versions is 4 */
	assert_true(mon_raft_first_index(n.r[l]) > 5);
	struct mon_raft_state st = { .vote = MON_RAFT_NONE, .snap_conf = 7 };
	assert_int_equal(mon_raft_create(f, &timing, &st, n.now, &n.r[f]), 0);
	n.applied[f] = 0;
	mon_raft_actions_init(&a);
	bool sent = false;
	for (int i = 0; i < 40 && !sent; i++) {
		n.now += 5;
		assert_int_equal(mon_raft_tick(n.r[l], n.now, &a), 0);
		if (a.snap_peers & (1ull << f)) {
			uint64_t at = n.applied[l];
			drain(&n, (uint32_t)l, &a);
			assert_int_equal(mon_raft_send_snapshot(n.r[l], f, "S", 1, at, &a), 0);
			sent = true;
		}
		drain(&n, (uint32_t)l, &a);
		deliver_all(&n);
	}
	mon_raft_actions_fini(&a);
	assert_true(sent);
	run(&n, 200);
	assert_int_equal(mon_raft_commit(n.r[f]), mon_raft_commit(n.r[l]));
	net_down(&n);
}

static void test_enomem_breaks(void **state)
{
	struct net n;
	struct mon_raft_actions a;
	(void)state;
	net_up(&n, 1);
	run(&n, 300);
	mon_raft_actions_init(&a);
	mem_fail_at(1);
	int64_t rc = mon_raft_propose(n.r[0], "x", 1, &a);
	mem_fail_at(0);
	assert_int_equal(rc, -ENOMEM);
	assert_true(mon_raft_is_broken(n.r[0]));
	assert_int_equal(mon_raft_tick(n.r[0], n.now, &a), -ENOMEM);
	mon_raft_actions_fini(&a);
	net_down(&n);
}

int test_raft_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_node),       cmocka_unit_test(test_three_nodes),
		cmocka_unit_test(test_restart_reapplies), cmocka_unit_test(test_membership),
		cmocka_unit_test(test_snapshot_catch_up), cmocka_unit_test(test_enomem_breaks),
	};
	return cmocka_run_group_tests_name("raft", tests, NULL, NULL);
}
