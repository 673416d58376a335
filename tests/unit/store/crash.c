/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/crash.c - the crash-consistency workload and checker.
 *
 * Transaction T (ids 1, 2, ...) touches object o(T) = "o<T % 8>": it writes
 * blocks B(T) (1-4 single blocks, every 5th T also a 32-block run: deferred
 * overwrites and new extents), each 4 KiB block stamped (T, block) with a
 * pattern derived from both; sets xattr "t" = T and omap "t" = T on o(T);
 * and sets omap "last" = T on "meta". The checker proves, per object with
 * xattr t = X: omap t = X, every block of B(X) is stamped X, no block has a
 * stamp > X, every block is self-consistent; meta.last >= the last id whose
 * on_commit fired; every object's X <= meta.last; fsck (deep) is clean. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/mem.h"
#include "store/faulty.h"
#include "util.h"

#define BLK        4096u
#define OBJ_BLOCKS 64u

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static void fill_block(uint8_t *p, uint64_t t, uint64_t b)
{
	uint64_t s = mix(t * 131 + b);

	memcpy(p, &t, 8);
	memcpy(p + 8, &b, 8);
	for (unsigned i = 16; i < BLK; i++)
		p[i] = (uint8_t)(s >> (i % 8 * 8)) ^ (uint8_t)i;
}

/* Blocks written by T: returns how many, into v. */
static unsigned blocks_of(uint64_t t, uint64_t *v)
{
	unsigned n = 0, small = 1 + (unsigned)(mix(t) % 4);

	if (t % 5 == 0) {
		uint64_t s = mix(t + 7) % (OBJ_BLOCKS - 32);

		for (unsigned i = 0; i < 32; i++)
			v[n++] = s + i;
	}
	for (unsigned i = 0; i < small; i++) {
		uint64_t b = mix(t * 8 + i) % OBJ_BLOCKS;
		bool dup = false;

		for (unsigned j = 0; j < n; j++)
			dup = dup || v[j] == b;
		if (!dup)
			v[n++] = b;
	}
	return n;
}

static struct store_txn *build(uint64_t t, bool first)
{
	struct store_txn *tx;
	char name[16];
	uint64_t v[40];
	unsigned n = blocks_of(t, v);
	uint8_t blk[BLK];
	struct store_oid o, meta = toid("meta");
	struct store_kv kv = { "t", &t, 8 }, last = { "last", &t, 8 };

	snprintf(name, sizeof(name), "o%u", (unsigned)(t % 8));
	o = toid(name);
	store_txn_create(&tx);
	if (first)
		store_txn_coll_create(tx, "c");
	for (unsigned i = 0; i < n; i++) {
		struct buf *b;

		fill_block(blk, t, v[i]);
		buf_create(&b);
		buf_append(b, blk, BLK);
		store_txn_write(tx, "c", &o, v[i] * BLK, b);
		buf_put(b);
	}
	store_txn_setattr(tx, "c", &o, "t", &t, 8);
	store_txn_omap_setkeys(tx, "c", &o, &kv, 1);
	store_txn_omap_setkeys(tx, "c", &meta, &last, 1);
	return tx;
}

static uint64_t read_u64(struct store *st, const char *name, const char *key, bool omap)
{
	struct store_oid o = toid(name);
	void *val = NULL;
	size_t len = 0;
	uint64_t x = 0;
	int rc = omap ? store_omap_get(st, "c", &o, key, &val, &len)
	              : store_getattr(st, "c", &o, key, &val, &len);

	if (rc == 0 && len == 8)
		memcpy(&x, val, 8);
	mem_free(val);
	return x;
}

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			return -__LINE__; \
	} while (0)

static int verify_obj(struct store *st, unsigned k, uint64_t lastid)
{
	char name[16];
	uint8_t *d = NULL, want[BLK];
	uint64_t x, v[40];
	ssize_t n;
	unsigned nb;

	snprintf(name, sizeof(name), "o%u", k);
	n = tread(st, "c", name, &d);
	if (n == -ENOENT)
		return 0;
	CHECK(n >= 0);
	x = read_u64(st, name, "t", false);
	CHECK(x == read_u64(st, name, "t", true));
	CHECK(x <= lastid && x % 8 == k);
	for (uint64_t b = 0; b * BLK < (uint64_t)n; b++) {
		uint64_t stamp;

		memcpy(&stamp, d + b * BLK, 8);
		CHECK(stamp <= x);
		if (stamp) {
			fill_block(want, stamp, b);
			CHECK(memcmp(want, d + b * BLK, BLK) == 0);
		}
	}
	nb = blocks_of(x, v);
	for (unsigned i = 0; i < nb; i++) {
		uint64_t stamp = 0;

		CHECK((v[i] + 1) * BLK <= (uint64_t)n);
		memcpy(&stamp, d + v[i] * BLK, 8);
		CHECK(stamp == x);
	}
	free(d);
	return 0;
}

int crash_verify(struct store *st, uint64_t last_committed, uint64_t *checked)
{
	uint64_t lastid;
	int rc;

	if (!store_coll_exists(st, "c"))
		return last_committed == 0 ? 0 : -__LINE__;
	lastid = read_u64(st, "meta", "last", true);
	CHECK(lastid >= last_committed);
	for (unsigned k = 0; k < 8; k++)
		if ((rc = verify_obj(st, k, lastid)) < 0)
			return rc;
	CHECK(store_fsck(st, STORE_FSCK_DEEP, NULL, NULL) == 0);
	*checked += lastid;
	return 0;
}

static void on_commit_fd(int status, void *arg)
{
	uint64_t *p = arg;

	if (status == 0 && write((int)p[1], &p[0], 8) != 8)
		abort();
	free(p);
}

void crash_child(const char *dir, int commit_fd, uint64_t seed)
{
	struct store_opts o;
	struct store *st;
	uint64_t t;

	(void)seed;
	tstore_opts(&o);
	if (store_bs_open(dir, &o, &st) < 0)
		_exit(2);
	t = store_coll_exists(st, "c") ? read_u64(st, "meta", "last", true) + 1 : 1;
	for (;; t++) {
		uint64_t *arg = malloc(16);

		arg[0] = t;
		arg[1] = (uint64_t)commit_fd;
		if (store_queue_transaction(st, build(t, t == 1), NULL, on_commit_fd, arg) < 0)
			_exit(3);
	}
}

void crash_mkfs(const char *dir)
{
	struct store_opts o;

	tstore_opts(&o);
	if (store_bs_mkfs(dir, &o) < 0)
		abort();
}

static uint64_t drain_pipe(int fd, uint64_t last)
{
	uint64_t v;

	while (read(fd, &v, 8) == 8)
		last = v > last ? v : last;
	return last;
}

int crash_loop(const char *dir, unsigned kills, uint64_t seed, uint64_t *checked)
{
	uint64_t s = seed, committed = 0;

	for (unsigned i = 0; i < kills; i++) {
		struct store_opts o;
		struct store *st;
		int fds[2], status, rc;
		pid_t pid;

		if (pipe(fds) < 0)
			return -__LINE__;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			crash_child(dir, fds[1], s);
		}
		close(fds[1]);
		s = mix(s + i);
		usleep((useconds_t)(20000 + s % 150000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		committed = drain_pipe(fds[0], committed);
		close(fds[0]);
		tstore_opts(&o);
		if (store_bs_open(dir, &o, &st) < 0)
			return -__LINE__;
		rc = crash_verify(st, committed, checked);
		store_close(st);
		if (rc < 0) {
			fprintf(stderr, "crash round %u (seed %llu): check at line %d failed\n", i,
			        (unsigned long long)seed, -rc);
			return rc;
		}
	}
	return 0;
}

static void note_commit(int status, void *arg)
{
	uint64_t *p = arg;

	if (status == 0 && p[0] > *(uint64_t *)(uintptr_t)p[1])
		*(uint64_t *)(uintptr_t)p[1] = p[0];
	free(p);
}

int crash_faulty_round(const char *dir, uint64_t seed, uint64_t *checked)
{
	struct store_faulty_plan plan = { .crash_sync_at = 1 + (long)(mix(seed) % 40),
		                          .short_every = 3 };
	struct store_opts o;
	struct store *st;
	uint64_t committed = 0, t;
	int rc;

	tstore_opts(&o);
	o.faulty = true;
	if (store_bs_open(dir, &o, &st) < 0)
		return -__LINE__;
	store_faulty_arm(store_bs_file(st), &plan);
	t = store_coll_exists(st, "c") ? read_u64(st, "meta", "last", true) + 1 : 1;
	for (;; t++) {
		uint64_t *arg = malloc(16);
		struct store_txn *tx = build(t, t == 1);

		arg[0] = t;
		arg[1] = (uint64_t)(uintptr_t)&committed;
		if (store_queue_transaction(st, tx, NULL, note_commit, arg) < 0) {
			store_txn_destroy(tx);
			free(arg);
			break;
		}
	}
	store_close(st); /* the shim dropped every unsynced data write */
	o.faulty = false;
	if (store_bs_open(dir, &o, &st) < 0)
		return -__LINE__;
	rc = crash_verify(st, committed, checked);
	store_close(st);
	return rc;
}
