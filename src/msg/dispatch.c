/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/dispatch.c - delivery of received messages and connection events:
 * inline on the worker (fast dispatch) or through the dispatch queue, one
 * thread that runs the slow handlers in arrival order. Also the receive
 * throttles: bytes waiting for dispatch (global) and bytes / messages in
 * flight per connection; a throttled socket stops reading until they drop.
 *
 * DESIGN
 *   Invariants
 *     - items holds struct msg only; an event is a struct msg with event !=
 *       MSG_EV_NONE carrying a conn reference.
 *     - dq.bytes and conn->rx_* count exactly the queued, not yet handled,
 *       messages; they are decremented after the handler returns.
 *     - After msg_dq_stop returns no callback runs; leftovers are dropped.
 *   States: STOPPED --msg_dq_start--> RUNNING --msg_dq_stop--> STOPPED */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "msg/msg_int.h"

static void run_event(struct msg_messenger *m, struct msg *ev)
{
	const struct msg_dispatcher *d = &m->disp;
	msg_conn_event_fn *fn = NULL;

	switch (ev->event) {
	case MSG_EV_CONNECT:
		fn = d->handle_connect;
		break;
	case MSG_EV_ACCEPT:
		fn = d->handle_accept;
		break;
	case MSG_EV_RESET:
		fn = d->handle_reset;
		break;
	case MSG_EV_REMOTE_RESET:
		fn = d->handle_remote_reset;
		break;
	case MSG_EV_REFUSED:
		fn = d->handle_refused;
		break;
	default:
		break;
	}
	if (fn)
		fn(ev->conn, d->arg);
	msg_put(ev);
}

static void run_msg(struct msg_messenger *m, struct msg *msg)
{
	struct msg_conn *c = msg_conn_get(msg->conn);
	uint64_t len = msg_payload_len(msg);

	if (m->disp.dispatch)
		m->disp.dispatch(msg, m->disp.arg);
	else
		msg_put(msg);
	atomic_fetch_sub(&m->dq.bytes, len);
	atomic_fetch_sub(&c->rx_bytes, len);
	atomic_fetch_sub(&c->rx_msgs, 1);
	msg_conn_put(c);
}

static void *dq_thread(void *arg)
{
	struct msg_messenger *m = arg;
	struct msg_dq *dq = &m->dq;
	struct list_node *n;

	for (;;) {
		pthread_mutex_lock(&dq->lock);
		while (list_is_empty(&dq->items) && !dq->stopping)
			pthread_cond_wait(&dq->cond, &dq->lock);
		if (dq->stopping) {
			pthread_mutex_unlock(&dq->lock);
			break;
		}
		n = list_pop_front(&dq->items);
		pthread_mutex_unlock(&dq->lock);
		struct msg *msg = LIST_CONTAINER(n, struct msg, node);

		if (msg->event != MSG_EV_NONE)
			run_event(m, msg);
		else
			run_msg(m, msg);
	}
	return NULL;
}

int msg_dq_start(struct msg_messenger *m)
{
	struct msg_dq *dq = &m->dq;
	int rc = pthread_create(&dq->thread, NULL, dq_thread, m);

	if (rc)
		return -rc;
	dq->started = true;
	return 0;
}

void msg_dq_stop(struct msg_messenger *m)
{
	struct msg_dq *dq = &m->dq;
	struct list_node *n;

	pthread_mutex_lock(&dq->lock);
	dq->stopping = true;
	pthread_cond_broadcast(&dq->cond);
	pthread_mutex_unlock(&dq->lock);
	if (dq->started)
		pthread_join(dq->thread, NULL);
	dq->started = false;
	while ((n = list_pop_front(&dq->items)))
		msg_put(LIST_CONTAINER(n, struct msg, node));
}

static void enqueue(struct msg_dq *dq, struct msg *msg)
{
	pthread_mutex_lock(&dq->lock);
	if (dq->stopping) {
		pthread_mutex_unlock(&dq->lock);
		msg_put(msg);
		return;
	}
	list_push_back(&dq->items, &msg->node);
	pthread_cond_signal(&dq->cond);
	pthread_mutex_unlock(&dq->lock);
}

void msg_dq_deliver(struct msg_messenger *m, struct msg_worker *w, struct msg *msg)
{
	const struct msg_dispatcher *d = &m->disp;
	uint64_t len;

	(void)w;
	if (d->fast_dispatch && d->can_fast_dispatch && d->can_fast_dispatch(msg, d->arg)) {
		d->fast_dispatch(msg, d->arg);
		return;
	}
	len = msg_payload_len(msg);
	atomic_fetch_add(&m->dq.bytes, len);
	atomic_fetch_add(&msg->conn->rx_bytes, len);
	atomic_fetch_add(&msg->conn->rx_msgs, 1);
	enqueue(&m->dq, msg);
}

void msg_dq_event(struct msg_messenger *m, struct msg_conn *c, enum msg_event ev)
{
	struct msg *msg;

	if (ev == MSG_EV_NONE)
		return;
	if (msg_create(0, &msg)) {
		log_err(msg, "out of memory: connection event %d lost", (int)ev);
		return;
	}
	msg->event = (uint8_t)ev;
	msg->conn = msg_conn_get(c);
	enqueue(&m->dq, msg);
}

bool msg_dq_is_throttled(struct msg_messenger *m, struct msg_conn *c)
{
	const struct msg_opts *o = &m->opts;

	return (o->dispatch_throttle_bytes &&
	        atomic_load(&m->dq.bytes) > o->dispatch_throttle_bytes) ||
	       (o->conn_throttle_bytes && atomic_load(&c->rx_bytes) > o->conn_throttle_bytes) ||
	       (o->conn_throttle_msgs && atomic_load(&c->rx_msgs) > o->conn_throttle_msgs);
}
