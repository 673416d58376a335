/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/test_bs.c - BlockStore only: corruption is detected
 * (-EIO on read, scrub and deep fsck report it), the fault-injection shim
 * (short writes are harmless, an EIO turns the store failed, a crash at a
 * sync loses only what was never committed), a short fork+SIGKILL
 * crash run, a read-only open of a store whose deferred writes never
 * reached the data file (the tool's view of a crashed OSD), and small
 * writes to new objects: durable through the database alone, written in
 * place by the replay after a crash. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/faulty.h"
#include "util.h"

void test_corruption(void **state);
void test_faulty_short_and_eio(void **state);
void test_faulty_crash(void **state);
void test_crash_short(void **state);
void test_readonly_deferred(void **state);
void test_small_new_deferred(void **state);

static void fsck_note(const char *what, void *arg)
{
	(void)what;
	++*(int *)arg;
}

void test_corruption(void **state)
{
	struct tstore ts;
	struct store_oid o = toid("victim");
	uint8_t data[65536], byte;
	char path[256];
	uint32_t digest;
	struct buf *b = NULL;
	int fd, notes = 0;
	uint64_t pos;

	(void)state;
	tstore_open(&ts, true);
	memset(data, 0xab, sizeof(data));
	{
		struct store_txn *t;

		store_txn_create(&t);
		store_txn_coll_create(t, "c");
		assert_int_equal(store_apply_transaction(ts.st, t), 0);
	}
	assert_int_equal(twrite(ts.st, "c", "victim", 0, data, sizeof(data)), 0);
	assert_int_equal(store_scrub_object(ts.st, "c", &o, &digest), 0);
	tstore_close(&ts, false);
	/* find the data in the block file and flip one byte of it */
	snprintf(path, sizeof(path), "%s/block", ts.dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	for (pos = 4096;; pos += 4096) {
		assert_int_equal(pread(fd, &byte, 1, (off_t)pos), 1);
		if (byte == 0xab)
			break;
	}
	byte = 0xac;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)(pos + 100)), 1);
	close(fd);
	tstore_reopen(&ts);
	log_set_level(LOG_SUB_store, LOG_LVL_NONE);
	assert_int_equal(store_read(ts.st, "c", &o, 0, 0, &b), -EIO);
	assert_int_equal(store_scrub_object(ts.st, "c", &o, &digest), -EIO);
	assert_int_equal(store_fsck(ts.st, STORE_FSCK_DEEP, fsck_note, &notes), 1);
	assert_int_equal(notes, 1);
	assert_int_equal(store_fsck(ts.st, 0, NULL, NULL), 0); /* shallow: metadata is fine */
	log_set_level(LOG_SUB_store, LOG_LVL_ERR);
	tstore_close(&ts, true);
}

void test_faulty_short_and_eio(void **state)
{
	struct tstore ts;
	struct store_opts o;
	struct store_faulty_plan plan = { .short_every = 2 };
	uint8_t data[50000], *got = NULL;

	(void)state;
	tstore_open(&ts, true);
	store_close(ts.st);
	tstore_opts(&o);
	o.faulty = true;
	o.deferred_max = 0; /* every write goes to the data file now */
	assert_int_equal(store_bs_open(ts.dir, &o, &ts.st), 0);
	store_faulty_arm(store_bs_file(ts.st), &plan);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3);
	{
		struct store_txn *t;

		store_txn_create(&t);
		store_txn_coll_create(t, "c");
		assert_int_equal(store_apply_transaction(ts.st, t), 0);
	}
	assert_int_equal(twrite(ts.st, "c", "a", 1000, data, sizeof(data)), 0);
	assert_int_equal(tread(ts.st, "c", "a", &got), 51000);
	assert_memory_equal(got + 1000, data, sizeof(data));
	free(got);
	plan = (struct store_faulty_plan){ .eio_write_at = 1 };
	store_faulty_arm(store_bs_file(ts.st), &plan);
	log_set_level(LOG_SUB_store, LOG_LVL_NONE);
	assert_int_equal(twrite(ts.st, "c", "b", 0, data, sizeof(data)), -EIO);
	assert_true(store_is_failed(ts.st));
	assert_int_equal(twrite(ts.st, "c", "a", 0, data, 10), -EIO);
	log_set_level(LOG_SUB_store, LOG_LVL_ERR);
	tstore_close(&ts, false);
	tstore_opts(&o);
	assert_int_equal(store_bs_open(ts.dir, &o, &ts.st), 0);
	assert_int_equal(tread(ts.st, "c", "a", &got), 51000);
	assert_memory_equal(got + 1000, data, sizeof(data));
	free(got);
	assert_int_equal(store_fsck(ts.st, STORE_FSCK_DEEP, NULL, NULL), 0);
	tstore_close(&ts, true);
}

void test_faulty_crash(void **state)
{
	char dir[] = "/tmp/sepia-store-XXXXXX";
	uint64_t checked = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	rm_rf(dir);
	crash_mkfs(dir);
	log_set_level(LOG_SUB_store, LOG_LVL_NONE);
	for (int i = 0; i < 12; i++)
		assert_int_equal(crash_faulty_round(dir, 1000 + (uint64_t)i, &checked), 0);
	log_set_level(LOG_SUB_store, LOG_LVL_ERR);
	assert_true(checked > 0);
	rm_rf(dir);
}

void test_crash_short(void **state)
{
	char dir[] = "/tmp/sepia-store-XXXXXX";
	uint64_t checked = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	rm_rf(dir);
	crash_mkfs(dir);
	assert_int_equal(crash_loop(dir, 20, 42, &checked), 0);
	rm_rf(dir);
}

/* Child: a committed 4 KiB deferred overwrite whose in-place write is still
 * buffered in the faulty shim when the process dies. */
static void deferred_child(const char *dir)
{
	struct store_opts o;
	struct store_txn *t;
	struct store *st;
	uint8_t a[8192], b[4096];

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	tstore_opts(&o);
	o.faulty = true;
	if (store_bs_open(dir, &o, &st) < 0 || store_txn_create(&t) < 0 ||
	    store_txn_coll_create(t, "c") < 0 || store_apply_transaction(st, t) < 0 ||
	    twrite(st, "c", "obj", 0, a, sizeof(a)) < 0 ||
	    twrite(st, "c", "obj", 0, b, sizeof(b)) < 0)
		_exit(1);
	_exit(0); /* no close: the deferred block never reaches the data file */
}

/* Makes a store in dir (a mkdtemp template) and runs child on it in a
 * process of its own, which must exit 0 (without closing the store). */
static void run_crashed_child(char *dir, void (*child)(const char *dir))
{
	struct store_opts o;
	int status;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	rm_rf(dir);
	tstore_opts(&o);
	assert_int_equal(store_bs_mkfs(dir, &o), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void test_readonly_deferred(void **state)
{
	char dir[] = "/tmp/sepia-store-XXXXXX";
	struct store_opts o;
	struct store *st;
	uint8_t *got;

	(void)state;
	run_crashed_child(dir, deferred_child);
	tstore_opts(&o);
	o.read_only = true;
	assert_int_equal(store_bs_open(dir, &o, &st), 0);
	assert_int_equal(tread(st, "c", "obj", &got), 8192);
	assert_true(got[0] == 'b' && got[4095] == 'b' && got[4096] == 'a');
	free(got);
	assert_int_equal(store_fsck(st, STORE_FSCK_DEEP, NULL, NULL), 0);
	store_close(st);
	rm_rf(dir);
}

/* Child: a small new object (through the database) and a large one
 * (written to the data file at once), both committed, then death. */
static void small_new_child(const char *dir)
{
	struct store_opts o;
	struct store_txn *t;
	struct store *st;
	static uint8_t small[4096], big[256 << 10];

	memset(small, 's', sizeof(small));
	memset(big, 'B', sizeof(big));
	tstore_opts(&o);
	if (store_bs_open(dir, &o, &st) < 0 || store_txn_create(&t) < 0 ||
	    store_txn_coll_create(t, "c") < 0 || store_apply_transaction(st, t) < 0 ||
	    twrite(st, "c", "small", 0, small, sizeof(small)) < 0 ||
	    twrite(st, "c", "big", 0, big, sizeof(big)) < 0)
		_exit(1);
	_exit(0); /* no close: no deferred flush */
}

static int first_byte_off(const struct store_extent *x, void *arg)
{
	*(uint64_t *)arg = x->file_off;
	return 1;
}

/* The byte at the start of an object's first extent in the data file. */
static uint8_t byte_in_file(struct store *st, const char *dir, const char *name)
{
	struct store_oid oid = toid(name);
	uint64_t off = 0;
	char path[256];
	uint8_t byte = 0;
	int fd;

	assert_int_equal(store_extents(st, "c", &oid, first_byte_off, &off), 1);
	snprintf(path, sizeof(path), "%s/block", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, (off_t)off), 1);
	close(fd);
	return byte;
}

void test_small_new_deferred(void **state)
{
	char dir[] = "/tmp/sepia-store-XXXXXX";
	struct store_opts o;
	struct store *st;
	uint8_t *got;

	(void)state;
	run_crashed_child(dir, small_new_child);
	tstore_opts(&o);
	/* read-only: the small object is only in its deferred record */
	o.read_only = true;
	assert_int_equal(store_bs_open(dir, &o, &st), 0);
	assert_int_equal(byte_in_file(st, dir, "small"), 0);
	assert_int_equal(byte_in_file(st, dir, "big"), 'B');
	assert_int_equal(tread(st, "c", "small", &got), 4096);
	assert_true(got[0] == 's' && got[4095] == 's');
	free(got);
	store_close(st);
	/* read-write: the replay writes it in place */
	o.read_only = false;
	assert_int_equal(store_bs_open(dir, &o, &st), 0);
	assert_int_equal(byte_in_file(st, dir, "small"), 's');
	assert_int_equal(tread(st, "c", "small", &got), 4096);
	assert_true(got[0] == 's' && got[4095] == 's');
	free(got);
	assert_int_equal(store_fsck(st, STORE_FSCK_DEEP, NULL, NULL), 0);
	store_close(st);
	rm_rf(dir);
}
