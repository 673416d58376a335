/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/store/bench_store.c - BlockStore benchmark driver, one figure per run
 * so that run.sh can repeat, compare with dd/fio and take medians:
 *   bench_store write DIR N        mkfs, N 4 MiB objects, 4 in flight, MB/s
 *   bench_store read DIR N         reads them back one by one, MB/s
 *   bench_store overwrite DIR QD SECS  4 KiB random overwrites of the
 *                                  written objects, QD in flight, commits/s
 *   bench_store meta DIR N         mkfs, N empty objects (256 per txn):
 *                                  prints "rss_bytes db_bytes" growth
 * Every transaction counts when its on_commit ran (durable). */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/store.h"

#define OBJ_SIZE (4u << 20)
#define CID      "bench"

struct window {
	pthread_mutex_t lock; /* "lock": inflight, failed */
	pthread_cond_t cv;
	unsigned inflight, max;
	int failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_commit(int status, void *arg)
{
	struct window *w = arg;

	pthread_mutex_lock(&w->lock);
	w->inflight--;
	if (status)
		w->failed = status;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
}

/* Queues t once fewer than max are in flight; waits for all when max = 0. */
static int submit(struct store *st, struct window *w, struct store_txn *t)
{
	pthread_mutex_lock(&w->lock);
	while (w->inflight >= (t ? w->max : 1))
		pthread_cond_wait(&w->cv, &w->lock);
	if (t)
		w->inflight++;
	pthread_mutex_unlock(&w->lock);
	if (t && store_queue_transaction(st, t, NULL, on_commit, w) < 0) {
		fprintf(stderr, "queue failed\n");
		exit(1);
	}
	return w->failed;
}

static struct store *open_store(const char *dir, uint64_t mkfs_size)
{
	struct store_opts o;
	struct store *st;

	store_opts_default(&o);
	o.data_size = mkfs_size;
	if (mkfs_size && store_bs_mkfs(dir, &o) < 0) {
		fprintf(stderr, "mkfs %s failed\n", dir);
		exit(1);
	}
	if (store_bs_open(dir, &o, &st) < 0) {
		fprintf(stderr, "open %s failed\n", dir);
		exit(1);
	}
	return st;
}

static struct store_oid oid_of(char *name, size_t cap, unsigned i)
{
	snprintf(name, cap, "obj.%08u", i);
	return (struct store_oid){ .nspace = "", .name = name, .snap = STORE_SNAP_HEAD };
}

static void do_write(const char *dir, unsigned n)
{
	struct window w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 4, 0 };
	struct store *st = open_store(dir, (uint64_t)n * OBJ_SIZE + (256u << 20));
	struct store_txn *t;
	struct buf *data;
	void *p;
	char name[32];
	double t0;

	buf_create(&data);
	buf_append_space(data, OBJ_SIZE, &p);
	for (size_t i = 0; i < OBJ_SIZE / 8; i++)
		((uint64_t *)p)[i] = i * 0x9e3779b97f4a7c15ull;
	store_txn_create(&t);
	store_txn_coll_create(t, CID);
	store_apply_transaction(st, t);
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		struct store_oid oid = oid_of(name, sizeof(name), i);

		store_txn_create(&t);
		store_txn_write(t, CID, &oid, 0, data);
		submit(st, &w, t);
	}
	if (submit(st, &w, NULL))
		exit(1);
	printf("%.1f\n", (double)n * OBJ_SIZE / (now() - t0) / 1e6);
	buf_put(data);
	store_close(st);
}

static void do_read(const char *dir, unsigned n)
{
	struct store *st = open_store(dir, 0);
	char name[32];
	struct buf *b;
	double t0 = now();

	for (unsigned i = 0; i < n; i++) {
		struct store_oid oid = oid_of(name, sizeof(name), i);

		if (store_read(st, CID, &oid, 0, 0, &b) != OBJ_SIZE)
			exit(1);
		buf_put(b);
	}
	printf("%.1f\n", (double)n * OBJ_SIZE / (now() - t0) / 1e6);
	store_close(st);
}

/* 4 KiB overwrites at random block-aligned offsets of the first objects. */
static void do_overwrite(const char *dir, unsigned qd, double secs)
{
	struct window w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, qd, 0 };
	struct store *st = open_store(dir, 0);
	unsigned seed = 1, ops = 0;
	struct store_txn *t;
	struct buf *data;
	char name[32];
	double t0 = now(), t1;

	buf_create(&data);
	buf_append_zero(data, 4096);
	do {
		struct store_oid oid = oid_of(name, sizeof(name), (unsigned)rand_r(&seed) % 16);
		uint64_t off = (uint64_t)(rand_r(&seed) % (OBJ_SIZE / 4096)) * 4096;

		store_txn_create(&t);
		store_txn_write(t, CID, &oid, off, data);
		submit(st, &w, t);
		ops++;
	} while ((t1 = now()) - t0 < secs);
	if (submit(st, &w, NULL))
		exit(1);
	printf("%.0f\n", ops / (now() - t0));
	buf_put(data);
	store_close(st);
}

static long rss_bytes(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f && fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	if (f)
		fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

static long long dir_bytes(const char *path)
{
	char p[4096 + 512];
	struct dirent *e;
	struct stat sb;
	long long sum = 0;
	DIR *d = opendir(path);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
				sum += sb.st_size;
		}
	if (d)
		closedir(d);
	return sum;
}

static void do_meta(const char *dir, unsigned n)
{
	struct window w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 4, 0 };
	struct store *st = open_store(dir, 64u << 20);
	struct store_txn *t;
	char name[32], db[4096];
	long rss0;

	store_txn_create(&t);
	store_txn_coll_create(t, CID);
	store_apply_transaction(st, t);
	rss0 = rss_bytes();
	for (unsigned i = 0; i < n; i += 256) {
		store_txn_create(&t);
		for (unsigned j = i; j < i + 256 && j < n; j++) {
			struct store_oid oid = oid_of(name, sizeof(name), j);

			store_txn_touch(t, CID, &oid);
		}
		submit(st, &w, t);
	}
	submit(st, &w, NULL);
	printf("%ld ", rss_bytes() - rss0);
	store_close(st);
	snprintf(db, sizeof(db), "%s/db", dir);
	printf("%lld\n", dir_bytes(db));
}

int main(int argc, char **argv)
{
	log_set_all_levels(LOG_LVL_ERR);
	if (argc == 4 && !strcmp(argv[1], "write"))
		do_write(argv[2], (unsigned)atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "read"))
		do_read(argv[2], (unsigned)atoi(argv[3]));
	else if (argc == 5 && !strcmp(argv[1], "overwrite"))
		do_overwrite(argv[2], (unsigned)atoi(argv[3]), atof(argv[4]));
	else if (argc == 4 && !strcmp(argv[1], "meta"))
		do_meta(argv[2], (unsigned)atoi(argv[3]));
	else {
		fprintf(stderr, "usage: see the comment at the top of bench_store.c\n");
		return 2;
	}
	return 0;
}
