/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_sub.c - map subscriptions: a client or daemon subscribes to a
 * map kind from an epoch and receives what it lacks whenever this monitor
 * applies a newer map: OSD map incrementals while it is inside the kept
 * range, a full map when it is further behind (or asked for the latest).
 *
 * DESIGN
 * A subscription is (connection, kind, next, onetime): the subscriber has
 * every epoch below next. Invariants: U1 one subscription per (connection,
 * kind); U2 next only grows, so nobody is sent an older map than one it was
 * sent before; U3 a subscription whose connection failed is dropped.
 * Edges: SUBSCRIBE -> mon_sub_handle (add/update, deliver now);
 * batch applied -> mon_sub_publish (deliver to all); reset -> drop. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "monc/mon_proto.h"
#include "mon/mon.h"

struct mon_subscription {
	struct list_node node;
	struct msg_conn *conn; /* ref held */
	uint8_t kind;          /* enum mon_map_kind */
	uint32_t next;         /* 0: wants the latest, whatever it is */
	bool onetime;
};

static void sub_free(struct mon_subscription *s)
{
	list_remove(&s->node);
	msg_conn_put(s->conn);
	mem_free(s);
}

static uint32_t newest(const struct mon *m, uint8_t kind)
{
	if (kind == MON_MAP_OSDMAP)
		return m->svc.osdmap->epoch;
	if (kind == MON_MAP_FSMAP)
		return m->svc.fsmap.epoch;
	return m->svc.monmap.epoch;
}

static int add_full(const struct mon *m, struct mon_msg_map *mm)
{
	struct enc e;
	int rc;

	enc_init(&e);
	if (mm->kind == MON_MAP_OSDMAP)
		osdmap_encode(m->svc.osdmap, &e);
	else if (mm->kind == MON_MAP_FSMAP)
		fsmap_encode(&m->svc.fsmap, &e);
	else
		monmap_encode(&m->svc.monmap, &e);
	rc = enc_error(&e);
	if (rc == 0)
		rc = mon_map_set_full(mm, newest(m, mm->kind), e.data, (uint32_t)e.len);
	enc_fini(&e);
	return rc;
}

/* Incrementals from s->next up to the newest (at most MON_MAP_INCS_MAX);
 * returns the last epoch added, or 0 if they are not all kept. */
static uint32_t add_incs(const struct mon *m, const struct mon_subscription *s,
                         struct mon_msg_map *mm)
{
	uint32_t last = m->svc.osdmap->epoch, len, e;
	const uint8_t *p;

	if (!mon_svc_inc(m, s->next, &len) || last - s->next >= MON_MAP_INCS_MAX)
		return 0;
	for (e = s->next; e <= last; e++) {
		p = mon_svc_inc(m, e, &len);
		if (!p || mon_map_add_inc(mm, e, p, len) < 0)
			return 0;
	}
	return last;
}

/* Sends s what it lacks, if anything. 0, or -errno: drop the subscription. */
static int deliver(struct mon *m, struct mon_subscription *s)
{
	uint32_t top = newest(m, s->kind);
	struct mon_msg_map *mm;
	int rc;

	if (top == 0 || (s->next && s->next > top))
		return 0;
	rc = mon_map_create(s->kind, top, &mm);
	if (rc < 0)
		return rc;
	if (s->kind != MON_MAP_OSDMAP || !s->next || !add_incs(m, s, mm)) {
		struct mon_msg_map *fresh;

		msg_put(&mm->m); /* drop partial incrementals: send the full map */
		if ((rc = mon_map_create(s->kind, top, &fresh)) < 0)
			return rc;
		mm = fresh;
		if ((rc = add_full(m, mm)) < 0) {
			msg_put(&mm->m);
			return rc;
		}
	}
	s->next = top + 1;
	return msg_send(s->conn, &mm->m);
}

static struct mon_subscription *find(struct mon *m, struct msg_conn *c, uint8_t kind)
{
	struct list_node *n;

	LIST_FOR_EACH(n, &m->subs)
	{
		struct mon_subscription *s = LIST_CONTAINER(n, struct mon_subscription, node);

		if (s->conn == c && s->kind == kind)
			return s;
	}
	return NULL;
}

static void subscribe_one(struct mon *m, struct msg_conn *c, const struct mon_sub *req)
{
	struct mon_subscription *s = find(m, c, req->kind);

	if (req->kind < MON_MAP_MONMAP || req->kind > MON_MAP_FSMAP)
		return;
	if (!s) {
		s = mem_calloc(1, sizeof(*s));
		if (!s)
			return;
		s->conn = msg_conn_get(c);
		s->kind = req->kind;
		list_push_back(&m->subs, &s->node);
	}
	s->next = req->start;
	s->onetime = req->onetime;
	if (deliver(m, s) < 0 || (s->onetime && s->next > newest(m, s->kind)))
		sub_free(s);
}

void mon_sub_handle(struct mon *m, struct msg *msg)
{
	struct mon_msg_subscribe *sub = (void *)msg;

	for (uint32_t i = 0; msg->conn && i < sub->n && i < MON_SUB_MAX; i++)
		subscribe_one(m, msg->conn, &sub->subs[i]);
	msg_put(msg);
}

void mon_sub_publish(struct mon *m)
{
	struct list_node *n, *tmp;

	LIST_FOR_EACH_SAFE(n, tmp, &m->subs)
	{
		struct mon_subscription *s = LIST_CONTAINER(n, struct mon_subscription, node);
		uint32_t before = s->next;
		int rc = deliver(m, s);

		if (rc < 0) {
			log_debug(mon, "dropping a subscription: %s", strerror(-rc));
			sub_free(s);
		} else if (s->onetime && s->next != before) {
			sub_free(s);
		}
	}
}

void mon_sub_conn_reset(struct mon *m, struct msg_conn *c)
{
	struct list_node *n, *tmp;

	LIST_FOR_EACH_SAFE(n, tmp, &m->subs)
	{
		struct mon_subscription *s = LIST_CONTAINER(n, struct mon_subscription, node);

		if (s->conn == c)
			sub_free(s);
	}
}

void mon_sub_fini(struct mon *m)
{
	while (!list_is_empty(&m->subs))
		sub_free(LIST_CONTAINER(m->subs.next, struct mon_subscription, node));
}
