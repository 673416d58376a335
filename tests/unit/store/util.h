/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/util.h - helpers shared by the store tests: temporary
 * store directories, one-call transactions, reads into memory, and the
 * crash-consistency workload. */
#ifndef SEPIA_TESTS_STORE_UTIL_H
#define SEPIA_TESTS_STORE_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct tstore {
	struct store *st;
	char dir[128]; /* "" for MemStore */
	bool persistent;
};

void tstore_opts(struct store_opts *o);
/* persistent: mkfs + open a BlockStore in a new mkdtemp dir; else MemStore. */
void tstore_open(struct tstore *t, bool persistent);
void tstore_reopen(struct tstore *t);
void tstore_close(struct tstore *t, bool remove_dir);
void rm_rf(const char *dir);

struct store_oid toid(const char *name);
/* Reads the whole object into a malloc'ed array; returns its length or -errno. */
ssize_t tread(struct store *st, const char *cid, const char *name, uint8_t **out);
int twrite(struct store *st, const char *cid, const char *name, uint64_t off, const void *p,
           size_t n);

/* Crash workload (crash.c). Runs transactions forever (child). */
void crash_child(const char *dir, int commit_fd, uint64_t seed);
/* Checks the store after a crash; last_committed: highest id whose commit
 * fired. Returns 0 or a negative line number of the failed check. */
int crash_verify(struct store *st, uint64_t last_committed, uint64_t *checked);
/* Runs kills rounds of fork/kill/verify on dir; returns 0 or failure. */
int crash_loop(const char *dir, unsigned kills, uint64_t seed, uint64_t *txns_checked);
/* The same workload in process over the faulty shim, crashing at a sync. */
int crash_faulty_round(const char *dir, uint64_t seed, uint64_t *checked);
void crash_mkfs(const char *dir);

#endif
