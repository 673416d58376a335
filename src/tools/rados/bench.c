/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/bench.c - `sepia-rados bench` and `cleanup`, shaped like
 * Ceph's `rados bench`: a header, one status row per second, the summary
 * lines rados prints, and the same object names and metadata object, so
 * that scripts reading rados bench output read ours.
 *
 * DESIGN. The main thread keeps `concurrency` ops in flight, one per slot.
 * A completion callback (client dispatch thread) only stamps its slot done
 * under b->lock and signals b->cond; the main thread reaps done slots
 * (latency, verification, counters) and issues the next op into the slot.
 * A printer thread wakes every second, samples the counters under b->lock
 * and prints a row. Invariant: in_flight == started - finished, and a slot
 * is busy iff its completion is not NULL.
 *
 * Write bench: op N writes bytes [op_size * (N % wpo), +op_size) of object
 * PREFIX_object(N / wpo), wpo = object_size / op_size; every op's buffer
 * starts with "I'm the %16dth op!" and is 'z' after it. The run's object
 * size, op count, pid and op size are then stored in the metadata object
 * (bench_meta.c): seq and rand read them back, cleanup removes them. Any failed op stops the issuing of new ones; the
 * ops in flight are reaped and the summary printed before the error. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rados_tool.h"

#define MIB (1024.0 * 1024.0)

enum bench_mode { BENCH_WRITE, BENCH_SEQ, BENCH_RAND };

struct bench;

struct bench_slot {
	struct bench *b;
	rados_completion_t c; /* NULL: free */
	char *buf;
	int64_t index;     /* op number */
	double start, end; /* seconds (CLOCK_MONOTONIC) */
	bool done;         /* under b->lock */
};

/* What the per-second rows add up (under b->lock). */
struct bench_hist {
	double *bw;
	double *iops;
	size_t n, cap;
	double max_bw, min_bw, max_iops, min_iops;
};

struct bench {
	struct rt *rt;
	enum bench_mode mode;
	struct rt_bench_meta meta; /* write: what it will record; reads: what they found */
	uint64_t wpo;
	int conc, seconds;
	int64_t num_ops; /* reads: ops the write bench made; write: op limit (0: none) */
	struct bench_slot *slots;
	pthread_mutex_t lock; /* guards everything below and slots[].done */
	pthread_cond_t cond;  /* a slot is done */
	pthread_cond_t tick;  /* stop (the printer waits on it, CLOCK_MONOTONIC) */
	int in_flight;
	int64_t started, finished;
	double start_time, cur_lat, avg_lat, min_lat, max_lat, lat_sum, lat_sumsq;
	struct bench_hist hist;
	json_t *rows; /* json mode: the per-second rows */
	bool stop;
	int errors;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void object_name(const struct bench *b, int64_t op, char *buf, size_t len)
{
	snprintf(buf, len, "%s_object%lld", b->meta.prefix, (long long)(op / (int64_t)b->wpo));
}

static void fill_contents(const struct bench *b, char *buf, int64_t op)
{
	memset(buf, 'z', b->meta.op_size);
	snprintf(buf, b->meta.op_size, "I'm the %16lldth op!", (long long)op);
}

static void on_done(rados_completion_t c, void *arg)
{
	struct bench_slot *s = arg;

	(void)c;
	pthread_mutex_lock(&s->b->lock);
	s->end = now();
	s->done = true;
	pthread_cond_broadcast(&s->b->cond);
	pthread_mutex_unlock(&s->b->lock);
}

/* ---- the per-second status rows ---- */

static double vec_stddev(const double *v, size_t n)
{
	double mean = 0, sum = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		mean += v[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		sum += (v[i] - mean) * (v[i] - mean);
	return sqrt(sum / (double)(n - 1));
}

static void hist_add(struct bench_hist *h, double bw, double iops)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		double *nb = realloc(h->bw, cap * sizeof(*nb));
		double *ni = nb ? realloc(h->iops, cap * sizeof(*ni)) : NULL;

		if (nb)
			h->bw = nb;
		if (!ni)
			return;
		h->iops = ni;
		h->cap = cap;
	}
	if (h->n == 0 || bw > h->max_bw)
		h->max_bw = bw;
	if (h->n == 0 || bw < h->min_bw)
		h->min_bw = bw;
	if (h->n == 0 || iops > h->max_iops)
		h->max_iops = iops;
	if (h->n == 0 || iops < h->min_iops)
		h->min_iops = iops;
	h->bw[h->n] = bw;
	h->iops[h->n++] = iops;
}

static void print_time_prefix(const struct bench *b)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	if (!b->rt->bench.show_time)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%06ld ", buf, ts.tv_nsec / 1000);
}

static void print_header(const struct bench *b, int sec)
{
	if (sec > 0) {
		struct timespec ts;
		struct tm tm;
		char buf[64], tz[8];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(tz, sizeof(tz), "%z", &tm);
		printf("%s.%06ld%s min lat: %g max lat: %g avg lat: %g\n", buf, ts.tv_nsec / 1000,
		       tz, b->min_lat, b->max_lat, b->avg_lat);
	}
	print_time_prefix(b);
	printf("%5s%8s%10s%10s%10s%10s%12s%12s\n", "sec", "Cur ops", "started", "finished",
	       "avg MB/s", "cur MB/s", "last lat(s)", "avg lat(s)");
}

/* One row; changed: ops finished since the last row (bw is meaningful). */
static void print_row(struct bench *b, int sec, bool changed, double bw, double avg_bw)
{
	if (b->rows) {
		json_array_append_new(
		    b->rows, json_pack("{s:i, s:i, s:I, s:I, s:f, s:f, s:f, s:f}", "sec", sec,
		                       "cur_ops", b->in_flight, "started", (json_int_t)b->started,
		                       "finished", (json_int_t)b->finished, "avg_bw", avg_bw,
		                       "cur_bw", changed ? bw : 0.0, "last_lat",
		                       changed ? b->cur_lat : 0.0, "avg_lat", b->avg_lat));
		return;
	}
	if (sec % 20 == 0)
		print_header(b, sec);
	print_time_prefix(b);
	printf("%5d %7d %9lld %9lld %9g ", sec, b->in_flight, (long long)b->started,
	       (long long)b->finished, avg_bw);
	if (changed)
		printf("%9g %11g %11g\n", bw, b->cur_lat, b->avg_lat);
	else
		printf("%9s %11s %11g\n", "0", "-", b->avg_lat);
	fflush(stdout);
}

/* The printer thread: a row every second until b->stop. */
static void *printer(void *arg)
{
	struct bench *b = arg;
	int64_t prev = 0;
	int sec = 0, since_change = 0;
	struct timespec next;

	pthread_mutex_lock(&b->lock);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!b->stop) {
		double bw = -1, iops = -1, t = now() - b->start_time;
		double avg_bw = t > 0 ? (double)b->meta.op_size * (double)b->finished / t / MIB : 0;
		bool changed = prev != b->finished;

		if (since_change) {
			bw = (double)(b->finished - prev) * (double)b->meta.op_size / MIB /
			     since_change;
			iops = (double)(int64_t)((double)(b->finished - prev) / since_change);
			hist_add(&b->hist, bw, iops);
		}
		print_row(b, sec, changed, bw, avg_bw);
		if (changed) {
			prev = b->finished;
			since_change = 0;
		}
		sec++;
		since_change++;
		next.tv_sec++;
		while (!b->stop && pthread_cond_timedwait(&b->tick, &b->lock, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* ---- issuing and reaping ops ---- */

static bool may_start(const struct bench *b, double deadline)
{
	if (b->errors)
		return false;
	if (b->seconds && now() >= deadline)
		return false;
	if (b->mode == BENCH_SEQ || (b->mode == BENCH_WRITE && b->num_ops))
		return b->started < b->num_ops;
	return true;
}

static int issue(struct bench *b, struct bench_slot *s, int64_t op)
{
	rados_ioctx_t io = b->rt->io;
	uint64_t off = b->meta.op_size * (uint64_t)(op % (int64_t)b->wpo);
	char name[200];
	int rc;

	object_name(b, op, name, sizeof(name));
	rc = b->mode == BENCH_WRITE ? rados_aio_create_completion(s, NULL, on_done, &s->c)
	                            : rados_aio_create_completion(s, on_done, NULL, &s->c);
	if (rc < 0)
		return rc;
	s->index = op;
	s->done = false;
	if (b->mode == BENCH_WRITE)
		fill_contents(b, s->buf, op);
	s->start = now();
	if (b->mode != BENCH_WRITE)
		rc = rados_aio_read(io, name, s->c, s->buf, b->meta.op_size, off);
	else if (b->wpo == 1)
		rc = rados_aio_write_full(io, name, s->c, s->buf, b->meta.op_size);
	else
		rc = rados_aio_write(io, name, s->c, s->buf, b->meta.op_size, off);
	if (rc < 0) {
		rados_aio_release(s->c);
		s->c = NULL;
		return rc;
	}
	pthread_mutex_lock(&b->lock);
	b->started++;
	b->in_flight++;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static bool verify(struct bench *b, struct bench_slot *s, int rc)
{
	char *want;
	bool ok;

	if (b->rt->bench.no_verify)
		return true;
	want = malloc(b->meta.op_size);
	if (!want)
		return true;
	fill_contents(b, want, s->index);
	ok = (uint64_t)rc == b->meta.op_size && memcmp(want, s->buf, b->meta.op_size) == 0;
	free(want);
	return ok;
}

/* Accounts for a finished slot; returns the op's result. */
static int reap(struct bench *b, struct bench_slot *s)
{
	int rc = rados_aio_get_return_value(s->c);
	double lat = s->end - s->start;
	char name[200];

	rados_aio_release(s->c);
	s->c = NULL;
	if (rc >= 0 && b->mode != BENCH_WRITE && !verify(b, s, rc)) {
		object_name(b, s->index, name, sizeof(name));
		fprintf(stderr, "%s is not correct!\n", name);
		rc = -EIO;
	}
	pthread_mutex_lock(&b->lock);
	b->cur_lat = lat;
	b->lat_sum += lat;
	b->lat_sumsq += lat * lat;
	if (lat > b->max_lat)
		b->max_lat = lat;
	if (lat < b->min_lat)
		b->min_lat = lat;
	b->finished++;
	b->in_flight--;
	b->avg_lat = b->lat_sum / (double)b->finished;
	if (rc < 0) {
		b->errors++;
		object_name(b, s->index, name, sizeof(name));
		fprintf(stderr, "sepia-rados: %s of %s failed: %s\n",
		        b->mode == BENCH_WRITE ? "write" : "read", name, strerror(-rc));
	}
	pthread_mutex_unlock(&b->lock);
	return rc;
}

static struct bench_slot *wait_done(struct bench *b)
{
	struct bench_slot *found = NULL;

	pthread_mutex_lock(&b->lock);
	while (!found) {
		for (int i = 0; i < b->conc && !found; i++)
			if (b->slots[i].c && b->slots[i].done)
				found = &b->slots[i];
		if (!found)
			pthread_cond_wait(&b->cond, &b->lock);
	}
	pthread_mutex_unlock(&b->lock);
	return found;
}

static int64_t next_op(struct bench *b)
{
	if (b->mode == BENCH_RAND)
		return (int64_t)(random() % b->num_ops);
	return b->started;
}

/* Keeps the slots busy until may_start says stop; first error or 0. */
static int run_ops(struct bench *b)
{
	double deadline = b->start_time + b->seconds;
	int first = 0, rc;

	for (int i = 0; i < b->conc && may_start(b, deadline); i++) {
		rc = issue(b, &b->slots[i], next_op(b));
		if (rc < 0)
			return rc;
	}
	while (b->in_flight > 0) {
		struct bench_slot *s = wait_done(b);

		rc = reap(b, s);
		if (rc < 0 && !first)
			first = rc;
		if (may_start(b, deadline)) {
			rc = issue(b, s, next_op(b));
			if (rc < 0 && !first)
				first = rc;
		}
	}
	return first;
}

/* ---- metadata, summary, cleanup ---- */

static void summary_plain(const struct bench *b, double t)
{
	double bw = (double)b->finished * (double)b->meta.op_size / t / MIB;
	double lat_sd =
	    b->finished > 1
	        ? sqrt(fmax(0, (b->lat_sumsq - b->lat_sum * b->lat_sum / (double)b->finished) /
	                           (double)(b->finished - 1)))
	        : 0;
	const struct bench_hist *h = &b->hist;
	bool w = b->mode == BENCH_WRITE;
	/* rados pads the write summary's labels to 24 columns, the reads' to 22 */
	int pad = w ? 24 : 22;

	printf("%-*s%g\n", pad, "Total time run:", t);
	printf("%-*s%lld\n", pad,
	       w ? "Total writes made:" : "Total reads made:", (long long)b->finished);
	printf("%-*s%llu\n", pad,
	       w ? "Write size:" : "Read size:", (unsigned long long)b->meta.op_size);
	printf("%-*s%llu\n", pad, "Object size:", (unsigned long long)b->meta.object_size);
	printf("%-*s%g\n", pad, "Bandwidth (MB/sec):", bw);
	if (w) {
		printf("%-*s%g\n", pad, "Stddev Bandwidth:", vec_stddev(h->bw, h->n));
		printf("%-*s%g\n", pad, "Max bandwidth (MB/sec):", h->max_bw);
		printf("%-*s%g\n", pad, "Min bandwidth (MB/sec):", h->min_bw);
	}
	printf("%-*s%lld\n", pad, "Average IOPS:", (long long)((double)b->finished / t));
	printf("%-*s%g\n", pad, "Stddev IOPS:", vec_stddev(h->iops, h->n));
	printf("%-*s%g\n", pad, "Max IOPS:", h->max_iops);
	printf("%-*s%g\n", pad, "Min IOPS:", h->min_iops);
	printf("%-*s%g\n", pad, "Average Latency(s):", b->avg_lat);
	if (w)
		printf("%-*s%g\n", pad, "Stddev Latency(s):", lat_sd);
	printf("%-*s%g\n", pad, "Max latency(s):", b->max_lat);
	printf("%-*s%g\n", pad, "Min latency(s):", b->finished ? b->min_lat : 0);
}

static json_t *summary_json(const struct bench *b, double t)
{
	const struct bench_hist *h = &b->hist;
	bool w = b->mode == BENCH_WRITE;
	double sd =
	    b->finished > 1
	        ? sqrt(fmax(0, (b->lat_sumsq - b->lat_sum * b->lat_sum / (double)b->finished) /
	                           (double)(b->finished - 1)))
	        : 0;
	json_t *j = json_object();

	json_object_set_new(j, "total_time_run", json_real(t));
	json_object_set_new(j, w ? "total_writes_made" : "total_reads_made",
	                    json_integer(b->finished));
	json_object_set_new(j, w ? "write_size" : "read_size",
	                    json_integer((json_int_t)b->meta.op_size));
	json_object_set_new(j, "object_size", json_integer((json_int_t)b->meta.object_size));
	json_object_set_new(j, "bandwidth",
	                    json_real((double)b->finished * (double)b->meta.op_size / t / MIB));
	json_object_set_new(j, "stddev_bandwidth", json_real(vec_stddev(h->bw, h->n)));
	json_object_set_new(j, "max_bandwidth", json_real(h->max_bw));
	json_object_set_new(j, "min_bandwidth", json_real(h->min_bw));
	json_object_set_new(j, "average_iops", json_integer((json_int_t)((double)b->finished / t)));
	json_object_set_new(j, "stddev_iops", json_real(vec_stddev(h->iops, h->n)));
	json_object_set_new(j, "max_iops", json_integer((json_int_t)h->max_iops));
	json_object_set_new(j, "min_iops", json_integer((json_int_t)h->min_iops));
	json_object_set_new(j, "average_latency", json_real(b->avg_lat));
	json_object_set_new(j, "stddev_latency", json_real(sd));
	json_object_set_new(j, "max_latency", json_real(b->max_lat));
	json_object_set_new(j, "min_latency", json_real(b->finished ? b->min_lat : 0));
	return j;
}

static int cleanup_after_write(struct bench *b)
{
	int64_t objs = (b->finished + (int64_t)b->wpo - 1) / (int64_t)b->wpo;
	double t0 = now();
	int64_t n;
	bool plain = !rt_is_json(b->rt);

	if (plain)
		printf("Cleaning up (deleting benchmark objects)\n");
	n = rt_bench_remove(b->rt, b->meta.prefix, objs, b->conc);
	if (n < 0)
		return rt_fail((int)n, "cleaning up");
	if (rados_remove(b->rt->io, rt_bench_meta_name(b->rt)) < 0)
		fprintf(stderr, "sepia-rados: could not remove %s\n", rt_bench_meta_name(b->rt));
	if (plain) {
		printf("Removed %lld object%s\n", (long long)n, n == 1 ? "" : "s");
		printf("Clean up completed and total clean up time :%g\n", now() - t0);
	}
	return 0;
}

/* ---- the commands ---- */

static int parse_bench(struct rt *rt, char **argv, struct bench *b)
{
	char *end;
	long secs = strtol(argv[1], &end, 10);
	const struct rt_bench_opts *o = &rt->bench;

	if (end == argv[1] || *end || secs < 0 || secs > 86400)
		return rt_usage_error("bench: SECONDS must be a number, not '%s'", argv[1]);
	if (strcmp(argv[2], "write") == 0)
		b->mode = BENCH_WRITE;
	else if (strcmp(argv[2], "seq") == 0)
		b->mode = BENCH_SEQ;
	else if (strcmp(argv[2], "rand") == 0)
		b->mode = BENCH_RAND;
	else
		return rt_usage_error("bench: write, seq or rand, not '%s'", argv[2]);
	b->seconds = (int)secs;
	b->conc = o->concurrency;
	b->meta.op_size = o->op_size ? o->op_size : 4u << 20;
	b->meta.object_size = o->object_size ? o->object_size : b->meta.op_size;
	if (b->meta.op_size > (1u << 30) || b->meta.object_size < b->meta.op_size)
		return rt_usage_error("bench: -b at most 1G and -o at least -b");
	if (b->mode == BENCH_WRITE && !secs && !o->max_objects)
		return rt_usage_error("bench: SECONDS or --max-objects must be set");
	return 0;
}

/* Write: header and limits; reads: what the last write left. 0 or exit code. */
static int prepare(struct bench *b)
{
	struct rt *rt = b->rt;
	int rc;

	if (b->mode == BENCH_WRITE) {
		b->meta.pid = (int)getpid();
		rt_bench_prefix(&b->meta, b->meta.pid);
	} else if ((rc = rt_bench_meta_read(rt, &b->meta)) < 0) {
		if (rc == -ENOENT)
			fprintf(stderr, "Must write data before running a read benchmark!\n");
		return rt_fail(rc, "reading %s", rt_bench_meta_name(rt));
	}
	b->wpo = b->meta.object_size / b->meta.op_size;
	if (b->mode != BENCH_WRITE)
		b->num_ops = b->meta.num_ops;
	if (b->mode == BENCH_WRITE)
		b->num_ops =
		    (int64_t)((rt->bench.max_objects * b->meta.object_size + b->meta.op_size - 1) /
		              b->meta.op_size);
	if (b->mode != BENCH_WRITE && b->num_ops == 0)
		return rt_fail(-ENOENT, "reading: the last write bench wrote nothing");
	if (rt_is_json(rt))
		return 0;
	printf("hints = 1\n");
	if (b->mode == BENCH_WRITE) {
		printf("Maintaining %d concurrent writes of %llu bytes to objects of size %llu for "
		       "up to %d seconds or %llu objects\n",
		       b->conc, (unsigned long long)b->meta.op_size,
		       (unsigned long long)b->meta.object_size, b->seconds,
		       (unsigned long long)rt->bench.max_objects);
		printf("Object prefix: %s\n", b->meta.prefix);
	}
	fflush(stdout);
	return 0;
}

static int alloc_slots(struct bench *b)
{
	b->slots = calloc((size_t)b->conc, sizeof(*b->slots));
	if (!b->slots)
		return -ENOMEM;
	for (int i = 0; i < b->conc; i++) {
		b->slots[i].b = b;
		b->slots[i].buf = malloc(b->meta.op_size);
		if (!b->slots[i].buf)
			return -ENOMEM;
	}
	return 0;
}

static void free_bench(struct bench *b)
{
	for (int i = 0; b->slots && i < b->conc; i++)
		free(b->slots[i].buf);
	free(b->slots);
	free(b->hist.bw);
	free(b->hist.iops);
	json_decref(b->rows);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	pthread_cond_destroy(&b->tick);
}

static void init_bench(struct bench *b)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&b->tick, &attr);
	pthread_condattr_destroy(&attr);
}

static json_t *json_header(const struct bench *b)
{
	json_t *j = json_object();

	json_object_set_new(j, "concurrent_ios", json_integer(b->conc));
	json_object_set_new(j, "object_size", json_integer((json_int_t)b->meta.object_size));
	json_object_set_new(j, "op_size", json_integer((json_int_t)b->meta.op_size));
	json_object_set_new(j, "seconds_to_run", json_integer(b->seconds));
	json_object_set_new(j, "max_objects", json_integer((json_int_t)b->rt->bench.max_objects));
	json_object_set_new(j, "object_prefix", json_string(b->meta.prefix));
	return j;
}

/* Runs the ops with the printer going; prints the summary. 0 or exit code. */
static int measure(struct bench *b)
{
	pthread_t th;
	double t;
	int rc;

	b->start_time = now();
	if (pthread_create(&th, NULL, printer, b) != 0)
		return rt_fail(-EAGAIN, "starting the status thread");
	rc = run_ops(b);
	t = now() - b->start_time;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_broadcast(&b->tick);
	pthread_mutex_unlock(&b->lock);
	pthread_join(th, NULL);
	if (rt_is_json(b->rt)) {
		json_t *j = json_header(b), *sum = summary_json(b, t > 0 ? t : 1e-9);

		json_object_set(j, "datas", b->rows);
		json_object_update(j, sum);
		json_decref(sum);
		rt_print_json(b->rt, j);
	} else {
		summary_plain(b, t > 0 ? t : 1e-9);
	}
	fflush(stdout);
	if (rc < 0)
		return rt_fail(rc, "%s bench: %d of %lld ops failed",
		               b->mode == BENCH_WRITE ? "write" : "read", b->errors,
		               (long long)b->finished);
	return 0;
}

int rt_cmd_bench(struct rt *rt, int argc, char **argv)
{
	struct bench b = { .rt = rt, .min_lat = 9999.0 };
	int rc;

	(void)argc;
	init_bench(&b);
	rc = parse_bench(rt, argv, &b);
	if (rc == 0)
		rc = prepare(&b);
	if (rc == 0 && alloc_slots(&b) < 0)
		rc = rt_fail(-ENOMEM, "allocating %d buffers of %llu bytes", b.conc,
		             (unsigned long long)b.meta.op_size);
	if (rc == 0) {
		srandom((unsigned)time(NULL) ^ (unsigned)getpid());
		b.rows = rt_is_json(rt) ? json_array() : NULL;
		rc = measure(&b);
	}
	if (rc == 0 && b.mode == BENCH_WRITE) {
		int r;

		b.meta.num_ops = b.finished;
		r = rt_bench_meta_write(rt, &b.meta);

		if (r < 0)
			rc = rt_fail(r, "writing %s", rt_bench_meta_name(rt));
		else if (!rt->bench.no_cleanup)
			rc = cleanup_after_write(&b);
	}
	free_bench(&b);
	return rc;
}
