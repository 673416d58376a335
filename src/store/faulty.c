/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/faulty.c - data-file I/O for the BlockStore and the fault-injection
 * shim that proves only synced state counts.
 *
 * DESIGN
 * Normal mode: thin wrappers over pwrite/pread/fdatasync on one descriptor.
 * Faulty mode: writes go to an in-memory log of (offset, bytes) records and
 * reach the file only at sync, in order, followed by fdatasync; reads see
 * the file with the log laid over it. A crash drops the log: exactly the
 * writes a power loss would lose (pessimistically all unsynced ones).
 *
 * States (faulty mode):  RUNNING --(crash_sync_at reached)--> CRASHED
 *   CRASHED: every call returns -EIO, nothing reaches the file again.
 *
 * Invariants: the log holds only writes issued since the last successful
 * sync; a sync empties it or fails leaving the file untouched by it.
 * Threads: `lock` (a leaf mutex) guards the log, the counters and the state;
 * normal mode takes no lock. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/list.h"
#include "common/mem.h"
#include "store/faulty.h"

struct wrec {
	struct list_node link;
	uint64_t off;
	size_t n;
	uint8_t data[];
};

struct store_file {
	int fd;
	uint64_t size;
	bool faulty;
	pthread_mutex_t lock; /* "lock": fields below (faulty mode) */
	struct list_node log; /* struct wrec, oldest first */
	struct store_faulty_plan plan;
	unsigned nwrites;
	bool crashed;
};

int store_file_open(const char *path, bool create, uint64_t size, bool faulty,
                    struct store_file **out)
{
	struct store_file *f = mem_calloc(1, sizeof(*f));
	struct stat sb;
	int rc;

	if (!f)
		return -ENOMEM;
	f->fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
	if (f->fd < 0) {
		rc = -errno;
		goto out_free;
	}
	if (create && ftruncate(f->fd, (off_t)size) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (fstat(f->fd, &sb) < 0) {
		rc = -errno;
		goto out_close;
	}
	f->size = (uint64_t)sb.st_size;
	f->faulty = faulty;
	pthread_mutex_init(&f->lock, NULL);
	list_init(&f->log);
	*out = f;
	return 0;
out_close:
	close(f->fd);
out_free:
	mem_free(f);
	return rc;
}

static void log_drop(struct store_file *f)
{
	struct list_node *n;

	while ((n = list_pop_front(&f->log)))
		mem_free(LIST_CONTAINER(n, struct wrec, link));
}

void store_file_close(struct store_file *f)
{
	if (!f)
		return;
	log_drop(f); /* unsynced writes of a faulty file are lost, as in a crash */
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	mem_free(f);
}

uint64_t store_file_size(const struct store_file *f)
{
	return f->size;
}

/* Counts down an armed fault: true when it fires now. */
static bool fires(long *at)
{
	if (*at <= 0)
		return false;
	return --*at == 0;
}

/* One write call of the faulty shim: may be short. Returns bytes or -errno. */
static ssize_t faulty_write_some(struct store_file *f, const void *p, size_t n, uint64_t off)
{
	struct wrec *r;
	ssize_t rc;

	pthread_mutex_lock(&f->lock);
	rc = -EIO;
	if (f->crashed || fires(&f->plan.eio_write_at))
		goto out;
	f->nwrites++;
	if (f->plan.short_every && f->nwrites % f->plan.short_every == 0 && n > 1)
		n = n / 2;
	rc = -ENOMEM;
	r = mem_malloc(sizeof(*r) + n);
	if (!r)
		goto out;
	r->off = off;
	r->n = n;
	memcpy(r->data, p, n);
	list_push_back(&f->log, &r->link);
	rc = (ssize_t)n;
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int store_file_pwrite(struct store_file *f, const void *p, size_t n, uint64_t off)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t k =
		    f->faulty ? faulty_write_some(f, c, n, off) : pwrite(f->fd, c, n, (off_t)off);

		if (k < 0 && !f->faulty && errno == EINTR)
			continue;
		if (k < 0)
			return f->faulty ? (int)k : -errno;
		if (k == 0)
			return -EIO;
		c += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int raw_pread(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t k = pread(fd, p, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0) {
			memset(p, 0, n); /* past the end: zeros */
			return 0;
		}
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Lays the unsynced log over p = file[off, off+n). Caller holds lock. */
static void log_overlay(struct store_file *f, uint8_t *p, size_t n, uint64_t off)
{
	struct list_node *pos;

	LIST_FOR_EACH(pos, &f->log)
	{
		struct wrec *r = LIST_CONTAINER(pos, struct wrec, link);
		uint64_t s = r->off > off ? r->off : off;
		uint64_t e = r->off + r->n < off + n ? r->off + r->n : off + n;

		if (s < e)
			memcpy(p + (s - off), r->data + (s - r->off), (size_t)(e - s));
	}
}

int store_file_pread(struct store_file *f, void *p, size_t n, uint64_t off)
{
	int rc;

	if (!f->faulty)
		return raw_pread(f->fd, p, n, off);
	pthread_mutex_lock(&f->lock);
	rc = -EIO;
	if (!f->crashed && !fires(&f->plan.eio_read_at)) {
		rc = raw_pread(f->fd, p, n, off);
		if (rc == 0)
			log_overlay(f, p, n, off);
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static int faulty_sync(struct store_file *f)
{
	struct list_node *n;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	if (f->crashed || fires(&f->plan.crash_sync_at)) {
		log_drop(f);
		f->crashed = true;
		pthread_mutex_unlock(&f->lock);
		return -EIO;
	}
	while (rc == 0 && (n = list_pop_front(&f->log))) {
		struct wrec *r = LIST_CONTAINER(n, struct wrec, link);

		if (pwrite(f->fd, r->data, r->n, (off_t)r->off) != (ssize_t)r->n)
			rc = -EIO;
		mem_free(r);
	}
	if (rc == 0 && fdatasync(f->fd) < 0)
		rc = -errno;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int store_file_sync(struct store_file *f)
{
	if (f->faulty)
		return faulty_sync(f);
	return fdatasync(f->fd) < 0 ? -errno : 0;
}

void store_faulty_arm(struct store_file *f, const struct store_faulty_plan *plan)
{
	pthread_mutex_lock(&f->lock);
	f->plan = *plan;
	f->nwrites = 0;
	pthread_mutex_unlock(&f->lock);
}

bool store_faulty_has_crashed(const struct store_file *f)
{
	bool c;

	pthread_mutex_lock((pthread_mutex_t *)&f->lock);
	c = f->crashed;
	pthread_mutex_unlock((pthread_mutex_t *)&f->lock);
	return c;
}
