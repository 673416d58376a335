/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_aio.c - completions (rados_completion_t): two states,
 * complete (applied, readable) and safe (committed), each reached once,
 * each with an optional callback that runs exactly once, on the thread that
 * finishes the op (the client's dispatch thread for replies, the tick
 * thread for timeouts, the caller of rados_shutdown for cancellation).
 * Reference counted: the user's reference (dropped by rados_aio_release,
 * possibly before the op finishes) and one per op using it.
 *
 * DESIGN
 * State (under c->lock, a leaf): complete -> safe, never back. The flags
 * complete_cb / safe_cb turn true once the matching callback has returned
 * (or at once when there is none), which is what the *_and_cb waits want.
 * Callbacks run with no lock held. */
#include <errno.h>
#include <stdlib.h>

#include "common/mem.h"
#include "rados/client_int.h"

int radosc_completion_create(void *arg, rados_callback_t complete, rados_callback_t safe,
                             struct radosc_completion **out)
{
	struct radosc_completion *c = mem_calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	refcnt_init(&c->ref, 1);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->arg = arg;
	c->cb_complete = complete;
	c->cb_safe = safe;
	*out = c;
	return 0;
}

struct radosc_completion *radosc_completion_get(struct radosc_completion *c)
{
	refcnt_inc(&c->ref);
	return c;
}

void radosc_completion_put(struct radosc_completion *c)
{
	if (!c || !refcnt_dec_is_last(&c->ref))
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	mem_free(c);
}

bool radosc_completion_wants_ack(const struct radosc_completion *c)
{
	return c && c->cb_complete && c->cb_safe && c->cb_complete != c->cb_safe;
}

static void mark(struct radosc_completion *c, bool *flag)
{
	pthread_mutex_lock(&c->lock);
	*flag = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void radosc_completion_complete(struct radosc_completion *c, int rval, uint64_t version)
{
	pthread_mutex_lock(&c->lock);
	if (c->complete) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->complete = true;
	c->rval = rval;
	c->version = version;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->cb_complete)
		c->cb_complete(c, c->arg);
	mark(c, &c->complete_cb);
}

void radosc_completion_finish(struct radosc_completion *c, int rval, uint64_t version)
{
	bool was_complete;

	pthread_mutex_lock(&c->lock);
	if (c->safe) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	was_complete = c->complete;
	c->complete = c->safe = true;
	c->rval = rval;
	c->version = version;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (!was_complete) {
		if (c->cb_complete)
			c->cb_complete(c, c->arg);
		mark(c, &c->complete_cb);
	}
	if (c->cb_safe)
		c->cb_safe(c, c->arg);
	mark(c, &c->safe_cb);
}

static int wait_flag(struct radosc_completion *c, const bool *flag)
{
	int rval;

	pthread_mutex_lock(&c->lock);
	while (!*flag)
		pthread_cond_wait(&c->cond, &c->lock);
	rval = c->rval;
	pthread_mutex_unlock(&c->lock);
	return rval;
}

static bool read_flag(struct radosc_completion *c, const bool *flag)
{
	bool v;

	pthread_mutex_lock(&c->lock);
	v = *flag;
	pthread_mutex_unlock(&c->lock);
	return v;
}

int radosc_completion_wait(struct radosc_completion *c)
{
	return wait_flag(c, &c->safe_cb);
}

/* ---- the public completion API -------------------------------------------- */

int rados_aio_create_completion(void *cb_arg, rados_callback_t cb_complete,
                                rados_callback_t cb_safe, rados_completion_t *pc)
{
	struct radosc_completion *c;
	int rc;

	if (!pc)
		return -EINVAL;
	rc = radosc_completion_create(cb_arg, cb_complete, cb_safe, &c);
	if (rc == 0)
		*pc = c;
	return rc;
}

int rados_aio_create_completion2(void *cb_arg, rados_callback_t cb_complete, rados_completion_t *pc)
{
	return rados_aio_create_completion(cb_arg, cb_complete, NULL, pc);
}

int rados_aio_wait_for_complete(rados_completion_t c)
{
	struct radosc_completion *p = c;

	wait_flag(p, &p->complete);
	return 0;
}

int rados_aio_wait_for_safe(rados_completion_t c)
{
	struct radosc_completion *p = c;

	wait_flag(p, &p->safe);
	return 0;
}

int rados_aio_is_complete(rados_completion_t c)
{
	struct radosc_completion *p = c;

	return read_flag(p, &p->complete);
}

int rados_aio_is_safe(rados_completion_t c)
{
	struct radosc_completion *p = c;

	return read_flag(p, &p->safe);
}

int rados_aio_wait_for_complete_and_cb(rados_completion_t c)
{
	struct radosc_completion *p = c;

	wait_flag(p, &p->complete_cb);
	return 0;
}

int rados_aio_wait_for_safe_and_cb(rados_completion_t c)
{
	struct radosc_completion *p = c;

	wait_flag(p, &p->safe_cb);
	return 0;
}

int rados_aio_is_complete_and_cb(rados_completion_t c)
{
	struct radosc_completion *p = c;

	return read_flag(p, &p->complete_cb);
}

int rados_aio_is_safe_and_cb(rados_completion_t c)
{
	struct radosc_completion *p = c;

	return read_flag(p, &p->safe_cb);
}

int rados_aio_get_return_value(rados_completion_t c)
{
	struct radosc_completion *p = c;
	int rval;

	pthread_mutex_lock(&p->lock);
	rval = p->rval;
	pthread_mutex_unlock(&p->lock);
	return rval;
}

uint64_t rados_aio_get_version(rados_completion_t c)
{
	struct radosc_completion *p = c;
	uint64_t v;

	pthread_mutex_lock(&p->lock);
	v = p->version;
	pthread_mutex_unlock(&p->lock);
	return v;
}

void rados_aio_release(rados_completion_t c)
{
	radosc_completion_put(c);
}
