/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_io.c - object I/O: the synchronous calls (an aio op and a
 * wait), the aio calls, compound op operate, and rados_aio_flush.
 *
 * Copies: aio writes and built write ops copy the user's data once into a
 * buf (the caller may reuse its buffer when the call returns, as with
 * librados). Synchronous writes share the caller's buffer without a copy
 * (buf_append_ext) and return only once every reference to it is gone, so
 * a resend or a message still queued in the messenger never reads freed
 * memory. Reads copy once, from the reply's buffer into the caller's. */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "rados/client_int.h"

struct radosc_flush {
	struct list_node node;
	uint64_t tid; /* done when no write of tid <= this is in flight */
	struct radosc_completion *c;
};

struct radosc_ioctx *radosc_ioctx_get(struct radosc_ioctx *io)
{
	refcnt_inc(&io->ref);
	return io;
}

void radosc_ioctx_put(struct radosc_ioctx *io)
{
	if (!io || !refcnt_dec_is_last(&io->ref))
		return;
	mem_free(io->nspace);
	mem_free(io);
}

int radosc_check_oid(const char *oid)
{
	size_t n;

	if (!oid || !oid[0])
		return -EINVAL;
	n = strnlen(oid, OSD_NAME_MAX + 1);
	return n > OSD_NAME_MAX ? -ENAMETOOLONG : 0;
}

int radosc_sync_op(struct radosc_ioctx *io, const char *oid, struct radosc_opv *v, uint32_t flags,
                   uint64_t mtime_ns, const uint32_t *pgop_ps)
{
	struct radosc_completion *c;
	int rc;

	if (!io)
		return -EINVAL;
	if (radosc_in_callback())
		return -EDEADLK; /* the reply would have to come through this thread */
	rc = radosc_completion_create(NULL, NULL, NULL, &c);
	if (rc < 0)
		return rc;
	rc = radosc_op_submit(io, oid, v, flags, mtime_ns, pgop_ps, c);
	if (rc == 0) {
		rc = radosc_completion_wait(c);
		io->last_version = c->version;
	}
	radosc_completion_put(c);
	return rc;
}

/* ---- synchronous calls ------------------------------------------------------ */

struct ext_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool released;
};

static void ext_release(void *data, size_t len, void *arg)
{
	struct ext_wait *w = arg;

	(void)data;
	(void)len;
	pthread_mutex_lock(&w->lock);
	w->released = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int sync_write(rados_ioctx_t io, const char *oid, uint16_t code, const char *buf, size_t len,
                      uint64_t off)
{
	struct ext_wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
	struct radosc_opv v;
	int rc;

	if (len && !buf)
		return -EINVAL;
	radosc_opv_init(&v);
	radosc_opv_write_ext(&v, code, buf, len, off, ext_release, &w);
	rc = radosc_sync_op(io, oid, &v, 0, 0, NULL);
	radosc_opv_fini(&v);
	pthread_mutex_lock(&w.lock);
	while (!w.released)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	return rc;
}

/* Runs a vector built by the caller and frees it. */
static int run(rados_ioctx_t io, const char *oid, struct radosc_opv *v)
{
	int rc = radosc_sync_op(io, oid, v, 0, 0, NULL);

	radosc_opv_fini(v);
	return rc;
}

int rados_write(rados_ioctx_t io, const char *oid, const char *buf, size_t len, uint64_t off)
{
	return sync_write(io, oid, OSD_OP_WRITE, buf, len, off);
}

int rados_write_full(rados_ioctx_t io, const char *oid, const char *buf, size_t len)
{
	return sync_write(io, oid, OSD_OP_WRITE_FULL, buf, len, 0);
}

int rados_append(rados_ioctx_t io, const char *oid, const char *buf, size_t len)
{
	return sync_write(io, oid, OSD_OP_APPEND, buf, len, 0);
}

int rados_read(rados_ioctx_t io, const char *oid, char *buf, size_t len, uint64_t off)
{
	struct radosc_opv v;

	if (len && !buf)
		return -EINVAL;
	radosc_opv_init(&v);
	radosc_opv_read(&v, off, len, buf, NULL, NULL);
	v.ret_op = 0;
	return run(io, oid, &v);
}

int rados_remove(rados_ioctx_t io, const char *oid)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	radosc_opv_add(&v, OSD_OP_REMOVE, NULL);
	return run(io, oid, &v);
}

int rados_trunc(rados_ioctx_t io, const char *oid, uint64_t size)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	rados_write_op_truncate(&v, size);
	return run(io, oid, &v);
}

int rados_stat(rados_ioctx_t io, const char *o, uint64_t *psize, time_t *pmtime)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	radosc_opv_stat(&v, psize, pmtime, NULL, NULL);
	return run(io, o, &v);
}

int rados_getxattr(rados_ioctx_t io, const char *o, const char *name, char *buf, size_t len)
{
	struct radosc_opv v;

	if (len && !buf)
		return -EINVAL;
	radosc_opv_init(&v);
	radosc_opv_getxattr(&v, name, buf, len);
	v.ret_op = 0;
	return run(io, o, &v);
}

int rados_setxattr(rados_ioctx_t io, const char *o, const char *name, const char *buf, size_t len)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	radosc_opv_setxattr(&v, name, buf, len);
	return run(io, o, &v);
}

int rados_rmxattr(rados_ioctx_t io, const char *o, const char *name)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	rados_write_op_rmxattr(&v, name);
	return run(io, o, &v);
}

int rados_getxattrs(rados_ioctx_t io, const char *oid, rados_xattrs_iter_t *iter)
{
	rados_xattrs_iter_t it = NULL;
	struct radosc_opv v;
	int rc;

	if (!iter)
		return -EINVAL;
	radosc_opv_init(&v);
	rados_read_op_getxattrs(&v, &it, NULL);
	rc = run(io, oid, &v);
	if (rc < 0) {
		radosc_iter_destroy(it);
		return rc;
	}
	*iter = it;
	return 0;
}

int rados_cmpext(rados_ioctx_t io, const char *o, const char *cmp_buf, size_t cmp_len, uint64_t off)
{
	struct radosc_opv v;

	if (cmp_len && !cmp_buf)
		return -EINVAL;
	radosc_opv_init(&v);
	radosc_opv_cmpext(&v, cmp_buf, cmp_len, off, NULL);
	return run(io, o, &v);
}

/* ---- aio --------------------------------------------------------------------- */

static int aio_run(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                   struct radosc_opv *v, uint64_t mtime_ns)
{
	int rc = !io || !completion ? -EINVAL
	                            : radosc_op_submit(io, oid, v, 0, mtime_ns, NULL, completion);

	radosc_opv_fini(v);
	return rc;
}

static int aio_write(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                     uint16_t code, const char *buf, size_t len, uint64_t off)
{
	struct radosc_opv v;

	if (len && !buf)
		return -EINVAL;
	if (radosc_check_oid(oid) < 0)
		return radosc_check_oid(oid); /* before copying the data */
	radosc_opv_init(&v);
	radosc_opv_write(&v, code, buf, len, off);
	return aio_run(io, oid, completion, &v, 0);
}

int rados_aio_write(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                    const char *buf, size_t len, uint64_t off)
{
	return aio_write(io, oid, completion, OSD_OP_WRITE, buf, len, off);
}

int rados_aio_append(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                     const char *buf, size_t len)
{
	return aio_write(io, oid, completion, OSD_OP_APPEND, buf, len, 0);
}

int rados_aio_write_full(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                         const char *buf, size_t len)
{
	return aio_write(io, oid, completion, OSD_OP_WRITE_FULL, buf, len, 0);
}

int rados_aio_remove(rados_ioctx_t io, const char *oid, rados_completion_t completion)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	radosc_opv_add(&v, OSD_OP_REMOVE, NULL);
	return aio_run(io, oid, completion, &v, 0);
}

int rados_aio_read(rados_ioctx_t io, const char *oid, rados_completion_t completion, char *buf,
                   size_t len, uint64_t off)
{
	struct radosc_opv v;

	if (len && !buf)
		return -EINVAL;
	radosc_opv_init(&v);
	radosc_opv_read(&v, off, len, buf, NULL, NULL);
	v.ret_op = 0; /* librados: the return value of a read is its length */
	return aio_run(io, oid, completion, &v, 0);
}

int rados_aio_stat(rados_ioctx_t io, const char *o, rados_completion_t completion, uint64_t *psize,
                   time_t *pmtime)
{
	struct radosc_opv v;

	radosc_opv_init(&v);
	radosc_opv_stat(&v, psize, pmtime, NULL, NULL);
	return aio_run(io, o, completion, &v, 0);
}

/* ---- flush ------------------------------------------------------------------- */

static bool flushed_locked(struct radosc_ioctx *io, uint64_t tid)
{
	struct radosc_op *head;

	if (list_is_empty(&io->writes))
		return true;
	head = LIST_CONTAINER(io->writes.next, struct radosc_op, io_node);
	return head->tid > tid;
}

void radosc_flush_check_locked(struct radosc_ioctx *io, struct list_node *done)
{
	struct list_node *n, *t;

	LIST_FOR_EACH_SAFE(n, t, &io->flushes)
	{
		struct radosc_flush *f = LIST_CONTAINER(n, struct radosc_flush, node);

		if (flushed_locked(io, f->tid)) {
			list_remove(&f->node);
			list_push_back(done, &f->node);
		}
	}
}

void radosc_flush_run(struct list_node *done)
{
	struct list_node *n;

	while ((n = list_pop_front(done))) {
		struct radosc_flush *f = LIST_CONTAINER(n, struct radosc_flush, node);

		radosc_completion_finish(f->c, 0, 0);
		radosc_completion_put(f->c);
		mem_free(f);
	}
}

int rados_aio_flush(rados_ioctx_t io)
{
	struct radosc_ioctx *x = io;
	struct radosc_client *cl;
	uint64_t tid;

	if (!x)
		return -EINVAL;
	if (radosc_in_callback())
		return -EDEADLK;
	cl = x->cl;
	pthread_mutex_lock(&cl->lock);
	tid = cl->next_tid - 1;
	while (!flushed_locked(x, tid))
		pthread_cond_wait(&cl->cond, &cl->lock);
	pthread_mutex_unlock(&cl->lock);
	return 0;
}

int rados_aio_flush_async(rados_ioctx_t io, rados_completion_t completion)
{
	struct radosc_ioctx *x = io;
	struct radosc_flush *f;
	bool now;

	if (!x || !completion)
		return -EINVAL;
	f = mem_calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->c = radosc_completion_get(completion);
	pthread_mutex_lock(&x->cl->lock);
	f->tid = x->cl->next_tid - 1;
	now = flushed_locked(x, f->tid);
	if (!now)
		list_push_back(&x->flushes, &f->node);
	pthread_mutex_unlock(&x->cl->lock);
	if (now) { /* nothing in flight: complete on this thread */
		struct list_node one;

		list_init(&one);
		list_push_back(&one, &f->node);
		radosc_flush_run(&one);
	}
	return 0;
}

/* ---- compound ops ------------------------------------------------------------ */

static uint64_t time_ns(const time_t *t)
{
	return t && *t > 0 ? (uint64_t)*t * 1000000000ull : 0;
}

int rados_write_op_operate(rados_write_op_t write_op, rados_ioctx_t io, const char *oid,
                           time_t *mtime, int flags)
{
	(void)flags; /* LIBRADOS_OPERATION_* hints: see README */
	if (!write_op)
		return -EINVAL;
	return radosc_sync_op(io, oid, write_op, 0, time_ns(mtime), NULL);
}

int rados_write_op_operate2(rados_write_op_t write_op, rados_ioctx_t io, const char *oid,
                            struct timespec *mtime, int flags)
{
	uint64_t ns = 0;

	(void)flags;
	if (!write_op)
		return -EINVAL;
	if (mtime && mtime->tv_sec >= 0)
		ns = (uint64_t)mtime->tv_sec * 1000000000ull + (uint64_t)mtime->tv_nsec;
	return radosc_sync_op(io, oid, write_op, 0, ns, NULL);
}

int rados_aio_write_op_operate(rados_write_op_t write_op, rados_ioctx_t io,
                               rados_completion_t completion, const char *oid, time_t *mtime,
                               int flags)
{
	(void)flags;
	if (!write_op || !io || !completion)
		return -EINVAL;
	return radosc_op_submit(io, oid, write_op, 0, time_ns(mtime), NULL, completion);
}

int rados_read_op_operate(rados_read_op_t read_op, rados_ioctx_t io, const char *oid, int flags)
{
	(void)flags;
	if (!read_op)
		return -EINVAL;
	return radosc_sync_op(io, oid, read_op, 0, 0, NULL);
}

int rados_aio_read_op_operate(rados_read_op_t read_op, rados_ioctx_t io,
                              rados_completion_t completion, const char *oid, int flags)
{
	(void)flags;
	if (!read_op || !io || !completion)
		return -EINVAL;
	return radosc_op_submit(io, oid, read_op, 0, 0, NULL, completion);
}
