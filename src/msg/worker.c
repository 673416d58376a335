/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/worker.c - a messenger worker: one thread running one libuv loop that
 * owns a share of the sockets and connections. Other threads reach it only
 * through its kick and task queues and uv_async_send. Worker 0 also polls
 * the listening socket and spreads accepted sockets over the workers. A
 * periodic tick drives reconnect backoff, injected delays, throttle resume,
 * keepalives and idle timeouts.
 *
 * DESIGN
 *   Invariants
 *     - socks and conns are touched only on this loop; kick_q and task_q
 *       only under worker->lock.
 *     - Once stopping is set no kick or task is queued; the loop closes
 *       every handle (sockets, async, tick, poll) and uv_run returns.
 *   States: RUNNING --msg_worker_stop--> STOPPING --all handles closed--> DONE */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "msg/msg_int.h"

uint64_t msg_now_ns(void)
{
	return uv_hrtime();
}

uint64_t msg_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t next_rand(struct msg_worker *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

double msg_worker_rand(struct msg_worker *w)
{
	return (double)(next_rand(w) >> 11) / (double)(1ull << 53);
}

bool msg_worker_inject(struct msg_worker *w, int64_t one_in)
{
	return one_in > 0 && next_rand(w) % (uint64_t)one_in == 0;
}

static void free_task(struct msg_task *t)
{
	if ((t->kind == MSG_TASK_HANDOFF || t->kind == MSG_TASK_FD) && t->fd >= 0)
		close(t->fd);
	msg_conn_put(t->conn);
	mem_free(t);
}

static void run_task(struct msg_worker *w, struct msg_task *t)
{
	struct msg_sock *s;

	switch (t->kind) {
	case MSG_TASK_CONN_START:
		msg_conn_start(t->conn);
		break;
	case MSG_TASK_MARK_DOWN:
		msg_conn_do_mark_down(t->conn);
		break;
	case MSG_TASK_FD:
		msg_sock_adopt(w, t->fd, NULL, &s);
		t->fd = -1;
		break;
	case MSG_TASK_HANDOFF:
		if (msg_sock_adopt(w, t->fd, &t->hello, &s) == 0) {
			msg_conn_start(t->conn);
			msg_conn_on_connect(t->conn, s, &t->hello, &t->connect);
		}
		t->fd = -1;
		break;
	}
	free_task(t);
}

static void close_noop(uv_handle_t *h)
{
	(void)h;
}

static void worker_shutdown(struct msg_worker *w)
{
	struct list_node *n, *tmp;

	LIST_FOR_EACH_SAFE(n, tmp, &w->conns)
	msg_conn_shutdown(LIST_CONTAINER(n, struct msg_conn, wnode));
	LIST_FOR_EACH_SAFE(n, tmp, &w->socks)
	msg_sock_close(LIST_CONTAINER(n, struct msg_sock, wnode));
	if (w->listening)
		uv_close((uv_handle_t *)&w->listen_poll, close_noop);
	w->listening = false;
	uv_close((uv_handle_t *)&w->tick, close_noop);
	uv_close((uv_handle_t *)&w->async, close_noop);
}

static void async_cb(uv_async_t *a)
{
	struct msg_worker *w = a->data;
	struct list_node kicks, tasks, *n;
	bool stopping;

	list_init(&kicks);
	list_init(&tasks);
	pthread_mutex_lock(&w->lock);
	list_splice_back(&kicks, &w->kick_q);
	list_splice_back(&tasks, &w->task_q);
	stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	while ((n = list_pop_front(&tasks))) {
		struct msg_task *t = LIST_CONTAINER(n, struct msg_task, node);

		if (stopping)
			free_task(t);
		else
			run_task(w, t);
	}
	while ((n = list_pop_front(&kicks))) {
		struct msg_conn *c = LIST_CONTAINER(n, struct msg_conn, kick_node);

		if (!stopping)
			msg_conn_kicked(c);
		msg_conn_put(c);
	}
	if (stopping && !uv_is_closing((uv_handle_t *)&w->async))
		worker_shutdown(w);
}

static void tick_cb(uv_timer_t *t)
{
	struct msg_worker *w = t->data;
	struct list_node *n, *tmp;
	uint64_t now = msg_now_ns();
	bool slow = now >= w->next_slow_ns;

	LIST_FOR_EACH_SAFE(n, tmp, &w->conns)
	msg_conn_tick(LIST_CONTAINER(n, struct msg_conn, wnode), now);
	LIST_FOR_EACH_SAFE(n, tmp, &w->socks)
	{
		struct msg_sock *s = LIST_CONTAINER(n, struct msg_sock, wnode);

		msg_sock_resume_check(s);
		if (slow)
			msg_sock_slow_check(s, now);
	}
	if (slow)
		w->next_slow_ns = now + MSG_SLOW_SCAN_NS;
}

/* Accepts every pending connection and spreads them over the workers. */
static void listen_cb(uv_poll_t *p, int status, int events)
{
	struct msg_worker *w = p->data;
	struct msg_messenger *m = w->msgr;
	struct msg_sock *s;
	int fd;

	(void)events;
	if (status < 0)
		return;
	while ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct msg_worker *to = &m->workers[w->accept_rr++ % m->nworkers];
		struct msg_task *t;

		if (to == w) {
			msg_sock_adopt(w, fd, NULL, &s);
			continue;
		}
		t = mem_calloc(1, sizeof(*t));
		if (!t) {
			close(fd);
			continue;
		}
		t->kind = MSG_TASK_FD;
		t->fd = fd;
		msg_worker_post(to, t);
	}
}

static void worker_main(void *arg)
{
	struct msg_worker *w = arg;

	uv_run(&w->loop, UV_RUN_DEFAULT);
}

static int worker_handles(struct msg_worker *w)
{
	int rc = uv_async_init(&w->loop, &w->async, async_cb);

	if (rc)
		return rc;
	w->async.data = w;
	uv_timer_init(&w->loop, &w->tick);
	w->tick.data = w;
	uv_timer_start(&w->tick, tick_cb, MSG_TICK_MS, MSG_TICK_MS);
	if (w->idx == 0 && w->msgr->listen_fd >= 0) {
		rc = uv_poll_init(&w->loop, &w->listen_poll, w->msgr->listen_fd);
		if (!rc)
			rc = uv_poll_start(&w->listen_poll, UV_READABLE, listen_cb);
		if (rc)
			return rc;
		w->listen_poll.data = w;
		w->listening = true;
	}
	return 0;
}

int msg_worker_start(struct msg_worker *w, struct msg_messenger *m, unsigned idx)
{
	int rc;

	w->msgr = m;
	w->idx = idx;
	w->rng = (m->opts.seed ? m->opts.seed : m->nonce) * 2654435761u + idx + 1;
	list_init(&w->kick_q);
	list_init(&w->task_q);
	list_init(&w->socks);
	list_init(&w->conns);
	w->rbuf = mem_malloc(MSG_RBUF_LEN);
	if (!w->rbuf)
		return -ENOMEM;
	rc = uv_loop_init(&w->loop);
	if (rc)
		goto out_free;
	pthread_mutex_init(&w->lock, NULL);
	rc = worker_handles(w);
	if (!rc)
		rc = uv_thread_create(&w->thread, worker_main, w);
	if (!rc)
		return 0;
	uv_walk(&w->loop, (uv_walk_cb)uv_close, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	uv_loop_close(&w->loop);
	pthread_mutex_destroy(&w->lock);
out_free:
	mem_free(w->rbuf);
	w->rbuf = NULL;
	return rc;
}

void msg_worker_stop(struct msg_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
	uv_thread_join(&w->thread);
	uv_loop_close(&w->loop);
	pthread_mutex_destroy(&w->lock);
	mem_free(w->rbuf);
	w->rbuf = NULL;
}

void msg_worker_kick(struct msg_worker *w, struct msg_conn *c)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	list_push_back(&w->kick_q, &c->kick_node);
	msg_conn_get(c);
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
}

void msg_worker_post(struct msg_worker *w, struct msg_task *t)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		free_task(t);
		return;
	}
	list_push_back(&w->task_q, &t->node);
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
}
