/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/faulty.c - data-file I/O for the BlockStore and the fault-injection
 * shim that proves only synced state counts.
 *
 * DESIGN
 * Normal mode: thin wrappers over pwrite/pread/fdatasync on one descriptor.
 * Direct mode (O_DIRECT; STORE_FILE_ALIGN-aligned offsets, lengths and
 * memory): a call whose memory is not aligned goes through an aligned
 * bounce buffer; unaligned offsets or lengths are -EINVAL. A filesystem that
 * refuses O_DIRECT (tmpfs) gets a buffered descriptor and a warning.
 * Faulty mode: writes go to an in-memory log of (offset, bytes) records and
 * reach the file only at sync, in order, followed by fdatasync; reads see
 * the file with the log laid over it. A crash drops the log: exactly the
 * writes a power loss would lose (pessimistically all unsynced ones). This
 * holds for direct mode too: O_DIRECT skips the page cache, but a volatile
 * device cache still loses what was written after the last fdatasync. In
 * direct mode the log keeps aligned records (short writes split on
 * STORE_FILE_ALIGN) and replays them through the O_DIRECT descriptor.
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
#include "common/log.h"
#include "common/mem.h"
#include "store/faulty.h"

#define STORE_FILE_BUF_KEEP     8          /* buffers kept for reuse */
#define STORE_FILE_BUF_KEEP_MIN (1u << 20) /* smaller ones are cheap anyway */

struct wrec {
	struct list_node link;
	uint64_t off;
	size_t n;
	uint8_t *data; /* store_file_buf_alloc */
};

struct store_file {
	int fd;
	uint64_t size;
	bool faulty;
	bool direct;              /* fd is O_DIRECT */
	pthread_mutex_t buf_lock; /* "buf_lock" (a leaf): bufs, nbufs */
	void *bufs[STORE_FILE_BUF_KEEP];
	unsigned nbufs;
	pthread_mutex_t lock; /* "lock": fields below (faulty mode) */
	struct list_node log; /* struct wrec, oldest first */
	struct store_faulty_plan plan;
	unsigned nwrites;
	bool crashed;
};

/* Opens path O_DIRECT when asked and the filesystem allows it. */
static int open_fd(const char *path, bool create, bool direct, bool *is_direct)
{
	int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
	int fd = -1;

	*is_direct = false;
	if (direct && !create) {
		fd = open(path, flags | O_DIRECT);
		if (fd >= 0)
			*is_direct = true;
		else if (errno == EINVAL)
			log_warn(store,
			         "data file %s: O_DIRECT refused by the filesystem, "
			         "using buffered I/O",
			         path);
		else
			return -errno;
	}
	if (fd < 0)
		fd = open(path, flags, 0644);
	return fd < 0 ? -errno : fd;
}

/* Allocates the whole file now (unwritten extents: reads give zeros) so
 * that data writes are overwrites: no block allocation on the write path,
 * and direct writes to one file can run in parallel. Sparse if the
 * filesystem cannot. */
static int preallocate(int fd, uint64_t size)
{
	if (fallocate(fd, 0, 0, (off_t)size) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
}

int store_file_open(const char *path, bool create, uint64_t size, unsigned flags,
                    struct store_file **out)
{
	struct store_file *f = mem_calloc(1, sizeof(*f));
	struct stat sb;
	int rc;

	if (!f)
		return -ENOMEM;
	f->fd = open_fd(path, create, flags & STORE_FILE_DIRECT, &f->direct);
	if (f->fd < 0) {
		rc = f->fd;
		goto out_free;
	}
	if (create && (rc = preallocate(f->fd, size)) < 0)
		goto out_close;
	if (fstat(f->fd, &sb) < 0) {
		rc = -errno;
		goto out_close;
	}
	f->size = (uint64_t)sb.st_size;
	f->faulty = flags & STORE_FILE_FAULTY;
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->buf_lock, NULL);
	list_init(&f->log);
	*out = f;
	return 0;
out_close:
	close(f->fd);
out_free:
	mem_free(f);
	return rc;
}

bool store_file_is_direct(const struct store_file *f)
{
	return f->direct;
}

/* Aligned memory: a (size, base) header right below the pointer. */
void *store_file_buf_alloc(size_t n)
{
	uint8_t *base = mem_malloc(n + STORE_FILE_ALIGN + 2 * sizeof(void *));
	uintptr_t a;

	if (!base)
		return NULL;
	a = ((uintptr_t)base + 2 * sizeof(void *) + STORE_FILE_ALIGN - 1) &
	    ~(uintptr_t)(STORE_FILE_ALIGN - 1);
	((void **)a)[-1] = base;
	((size_t *)a)[-2] = n;
	return (void *)a;
}

void store_file_buf_free(void *p)
{
	if (p)
		mem_free(((void **)p)[-1]);
}

/* Large buffers are kept for reuse: a fresh multi-MiB allocation is an
 * mmap whose every page faults (and is zeroed) on first touch. */
void *store_file_buf_get(struct store_file *f, size_t n)
{
	void *p = NULL;

	pthread_mutex_lock(&f->buf_lock);
	for (unsigned i = 0; i < f->nbufs && !p; i++) {
		size_t cap = ((size_t *)f->bufs[i])[-2];

		if (cap >= n && cap / 2 <= n) {
			p = f->bufs[i];
			f->bufs[i] = f->bufs[--f->nbufs];
		}
	}
	pthread_mutex_unlock(&f->buf_lock);
	return p ? p : store_file_buf_alloc(n);
}

void store_file_buf_put(struct store_file *f, void *p)
{
	if (p && ((size_t *)p)[-2] >= STORE_FILE_BUF_KEEP_MIN) {
		pthread_mutex_lock(&f->buf_lock);
		if (f->nbufs < STORE_FILE_BUF_KEEP) {
			f->bufs[f->nbufs++] = p;
			p = NULL;
		}
		pthread_mutex_unlock(&f->buf_lock);
	}
	store_file_buf_free(p);
}

static void wrec_free(struct wrec *r)
{
	store_file_buf_free(r->data);
	mem_free(r);
}

static void log_drop(struct store_file *f)
{
	struct list_node *n;

	while ((n = list_pop_front(&f->log)))
		wrec_free(LIST_CONTAINER(n, struct wrec, link));
}

void store_file_close(struct store_file *f)
{
	if (!f)
		return;
	log_drop(f); /* unsynced writes of a faulty file are lost, as in a crash */
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	while (f->nbufs > 0)
		store_file_buf_free(f->bufs[--f->nbufs]);
	pthread_mutex_destroy(&f->buf_lock);
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

static bool is_aligned(uint64_t v)
{
	return (v & (STORE_FILE_ALIGN - 1)) == 0;
}

/* One write call of the faulty shim: may be short (on an aligned boundary
 * in direct mode). Returns bytes or -errno. */
static ssize_t faulty_write_some(struct store_file *f, const void *p, size_t n, uint64_t off)
{
	size_t half = f->direct ? (n / 2) & ~(size_t)(STORE_FILE_ALIGN - 1) : n / 2;
	struct wrec *r;
	ssize_t rc;

	pthread_mutex_lock(&f->lock);
	rc = -EIO;
	if (f->crashed || fires(&f->plan.eio_write_at))
		goto out;
	f->nwrites++;
	if (f->plan.short_every && f->nwrites % f->plan.short_every == 0 && half > 0)
		n = half;
	rc = -ENOMEM;
	r = mem_malloc(sizeof(*r));
	if (!r)
		goto out;
	r->data = store_file_buf_alloc(n ? n : 1);
	if (!r->data) {
		mem_free(r);
		goto out;
	}
	r->off = off;
	r->n = n;
	memcpy(r->data, p, n);
	list_push_back(&f->log, &r->link);
	rc = (ssize_t)n;
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Writes all of p (aligned in direct mode) to fd or the shim's log. */
static int write_all(struct store_file *f, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t k =
		    f->faulty ? faulty_write_some(f, p, n, off) : pwrite(f->fd, p, n, (off_t)off);

		if (k < 0 && !f->faulty && errno == EINTR)
			continue;
		if (k < 0)
			return f->faulty ? (int)k : -errno;
		if (k == 0 || (f->direct && !is_aligned((uint64_t)k)))
			return -EIO; /* the rest could not be written direct */
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

int store_file_pwrite(struct store_file *f, const void *p, size_t n, uint64_t off)
{
	uint8_t *bounce;
	int rc;

	if (!f->direct || is_aligned((uintptr_t)p))
		return f->direct && (!is_aligned(n) || !is_aligned(off)) ? -EINVAL
		                                                         : write_all(f, p, n, off);
	if (!is_aligned(n) || !is_aligned(off))
		return -EINVAL;
	bounce = store_file_buf_alloc(n);
	if (!bounce)
		return -ENOMEM;
	memcpy(bounce, p, n);
	rc = write_all(f, bounce, n, off);
	store_file_buf_free(bounce);
	return rc;
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

/* Reads the file itself (no log), through a bounce buffer when direct I/O
 * needs aligned memory that p is not. */
static int file_read(struct store_file *f, uint8_t *p, size_t n, uint64_t off)
{
	uint8_t *bounce;
	int rc;

	if (!f->direct)
		return raw_pread(f->fd, p, n, off);
	if (!is_aligned(n) || !is_aligned(off))
		return -EINVAL;
	if (is_aligned((uintptr_t)p))
		return raw_pread(f->fd, p, n, off);
	bounce = store_file_buf_alloc(n);
	if (!bounce)
		return -ENOMEM;
	rc = raw_pread(f->fd, bounce, n, off);
	if (rc == 0)
		memcpy(p, bounce, n);
	store_file_buf_free(bounce);
	return rc;
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
		return file_read(f, p, n, off);
	pthread_mutex_lock(&f->lock);
	rc = -EIO;
	if (!f->crashed && !fires(&f->plan.eio_read_at)) {
		rc = file_read(f, p, n, off);
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
		wrec_free(r);
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
