/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/msg_test_util.c - test endpoints: start/stop a messenger
 * whose dispatcher verifies that pings from each source arrive in order. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "msg_test_util.h"

void tep_test_opts(struct msg_opts *o)
{
	msg_opts_default(o);
	o->bind_port_min = o->bind_port_max = 0;
	o->initial_backoff = 0.005;
	o->max_backoff = 0.05;
	o->max_message_size = 64 << 20;
}

static void on_ping(struct tep *t, struct msg *m)
{
	struct msg_ping *p = (struct msg_ping *)m;
	uint64_t want;

	if (m->type != MSG_TYPE_PING || p->src >= TEP_MAX_SRC) {
		atomic_fetch_add(&t->errors, 1);
		return;
	}
	if (p->flags & 1) /* an echo: not part of ordering checks */
		return;
	want = atomic_load(&t->next[p->src]);
	if (p->counter != want) {
		if (atomic_fetch_add(&t->errors, 1) < 5)
			fprintf(stderr, "order error: src %u got %llu want %llu\n", p->src,
			        (unsigned long long)p->counter, (unsigned long long)want);
	}
	atomic_store(&t->next[p->src], p->counter + 1);
	if (m->data)
		atomic_fetch_add(&t->data_bytes, buf_len(m->data));
	if (t->reply) {
		struct msg_ping *r;

		if (msg_ping_create(p->src, p->counter, &r) == 0) {
			r->flags = 1;
			msg_send(m->conn, &r->m);
		}
	}
	atomic_fetch_add(&t->recv, 1);
}

static void dispatch(struct msg *m, void *arg)
{
	struct tep *t = arg;

	on_ping(t, m);
	if (t->sleep_us)
		usleep(t->sleep_us);
	msg_put(m);
}

static bool can_fast(const struct msg *m, void *arg)
{
	(void)m;
	return ((struct tep *)arg)->fast;
}

static void ev_connect(struct msg_conn *c, void *a)
{
	(void)c;
	atomic_fetch_add(&((struct tep *)a)->connects, 1);
}
static void ev_accept(struct msg_conn *c, void *a)
{
	(void)c;
	atomic_fetch_add(&((struct tep *)a)->accepts, 1);
}
static void ev_reset(struct msg_conn *c, void *a)
{
	(void)c;
	atomic_fetch_add(&((struct tep *)a)->resets, 1);
}
static void ev_rreset(struct msg_conn *c, void *a)
{
	(void)c;
	atomic_fetch_add(&((struct tep *)a)->remote_resets, 1);
}

int tep_start(struct tep *t, const char *name, const struct msg_opts *opts, bool listen,
              uint16_t port)
{
	struct msg_dispatcher d = {
		.dispatch = dispatch,
		.can_fast_dispatch = can_fast,
		.fast_dispatch = dispatch,
		.handle_connect = ev_connect,
		.handle_accept = ev_accept,
		.handle_reset = ev_reset,
		.handle_remote_reset = ev_rreset,
		.arg = t,
	};
	struct msg_entity me;
	struct msg_opts o;
	int rc;

	if (opts)
		o = *opts;
	else
		tep_test_opts(&o);
	if ((rc = msg_entity_parse(name, &me)) || (rc = msg_registry_create(&t->reg)) ||
	    (rc = msg_registry_add(t->reg, &msg_ping_ops)) ||
	    (rc = msg_messenger_create(&me, &o, t->reg, &d, &t->m)))
		return rc;
	if (listen) {
		msg_addr_parse("127.0.0.1:0", &t->addr);
		t->addr.port = port;
		if ((rc = msg_messenger_bind(t->m, &t->addr)))
			return rc;
		msg_messenger_addr(t->m, &t->addr);
	}
	return msg_messenger_start(t->m);
}

void tep_stop(struct tep *t)
{
	msg_messenger_destroy(t->m);
	msg_registry_destroy(t->reg);
	t->m = NULL;
	t->reg = NULL;
}

bool tep_wait(bool (*cond)(void *), void *arg, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		if (cond(arg))
			return true;
		usleep(1000);
	}
	return cond(arg);
}

bool tep_wait_count(atomic_uint_fast64_t *v, uint64_t want, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		if (atomic_load(v) >= want)
			return true;
		usleep(1000);
	}
	return atomic_load(v) >= want;
}

int tep_send_ping(struct msg_conn *c, uint32_t src, uint64_t counter)
{
	struct msg_ping *p;
	int rc = msg_ping_create(src, counter, &p);

	return rc ? rc : msg_send(c, &p->m);
}
