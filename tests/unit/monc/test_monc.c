/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/monc/test_monc.c - the monitor protocol's codecs, and the
 * monitor client against an in-process fake monitor over real sockets:
 * hunting past a dead monitor, commands and their replies, subscriptions,
 * timeouts. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "monc/monc.h"

/* --- codecs --------------------------------------------------------------- */

static struct msg *round_trip(struct msg_registry *reg, struct msg *m)
{
	struct msg *back = NULL;

	assert_int_equal(msg_encode(m), 0);
	assert_int_equal(
	    msg_registry_decode(reg, m->type, m->version, buf_get(m->front), NULL, NULL, &back), 0);
	msg_put(m);
	return back;
}

static void test_codecs(void **state)
{
	struct msg_registry *reg;
	struct mon_msg_command *c;
	struct mon_msg_command_reply *r;
	struct mon_msg_map *mp;

	(void)state;
	assert_int_equal(msg_registry_create(&reg), 0);
	assert_int_equal(mon_proto_register(reg), 0);
	assert_int_equal(mon_proto_register(reg), -EEXIST);
	assert_int_equal(mon_command_create(9, "{\"cmd\":[\"status\"]}", "abc", 3, &c), 0);
	c = (struct mon_msg_command *)(void *)round_trip(reg, &c->m);
	assert_int_equal(c->tid, 9);
	assert_string_equal(c->cmd, "{\"cmd\":[\"status\"]}");
	assert_int_equal(c->in_len, 3);
	msg_put(&c->m);
	assert_int_equal(mon_command_reply_create(9, -ENOENT, "no pool", NULL, 0, &r), 0);
	r = (struct mon_msg_command_reply *)(void *)round_trip(reg, &r->m);
	assert_int_equal(r->rc, -ENOENT);
	assert_string_equal(r->status, "no pool");
	assert_int_equal(r->out_len, 0);
	msg_put(&r->m);
	assert_int_equal(mon_map_create(MON_MAP_OSDMAP, 12, &mp), 0);
	assert_int_equal(mon_map_add_inc(mp, 10, "x", 1), 0);
	assert_int_equal(mon_map_add_inc(mp, 12, "y", 1), -EINVAL); /* gap */
	assert_int_equal(mon_map_add_inc(mp, 11, "y", 1), 0);
	mp = (struct mon_msg_map *)(void *)round_trip(reg, &mp->m);
	assert_int_equal(mp->first_inc, 10);
	assert_int_equal(mp->ninc, 2);
	assert_memory_equal(mp->incs[1], "y", 1);
	assert_int_equal(mp->newest, 12);
	msg_put(&mp->m);
	msg_registry_destroy(reg);
}

/* MON_MSG_OSD_ALIVE and MON_MSG_OSD_PGTEMP: round trips, bounds, truncation. */
static void test_alive_pgtemp_codecs(void **state)
{
	struct msg_registry *reg;
	struct mon_msg_osd_alive *a;
	struct mon_msg_osd_pgtemp *t;
	struct msg *m, *back = NULL;
	struct buf *front;

	(void)state;
	assert_int_equal(msg_registry_create(&reg), 0);
	assert_int_equal(mon_proto_register(reg), 0);
	assert_int_equal(msg_create_typed(&mon_osd_alive_ops, &m), 0);
	a = (void *)m;
	a->osd = 3;
	a->epoch = 17;
	a->want_up_thru = 15;
	a = (void *)round_trip(reg, m);
	assert_int_equal(a->osd, 3);
	assert_int_equal(a->epoch, 17);
	assert_int_equal(a->want_up_thru, 15);
	msg_put(&a->m);

	assert_int_equal(msg_create_typed(&mon_osd_pgtemp_ops, &m), 0);
	t = (void *)m;
	t->osd = 1;
	t->epoch = 9;
	t->n = 2;
	t->ents[0] = (struct mon_pgtemp_ent){ .pool = 2, .ps = 0x2a, .n = 3, .osds = { 4, 0, 1 } };
	t->ents[1] = (struct mon_pgtemp_ent){ .pool = 2, .ps = 7, .n = 0 }; /* removal */
	assert_int_equal(msg_encode(m), 0);
	/* every truncation of the front is refused */
	for (size_t cut = 0; cut < buf_len(m->front); cut++) {
		assert_int_equal(buf_create(&front), 0);
		assert_int_equal(buf_append_buf(front, m->front, 0, cut), 0);
		assert_int_not_equal(
		    msg_registry_decode(reg, m->type, m->version, front, NULL, NULL, &back), 0);
	}
	t = (void *)round_trip(reg, m);
	assert_int_equal(t->osd, 1);
	assert_int_equal(t->epoch, 9);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->ents[0].pool, 2);
	assert_int_equal(t->ents[0].ps, 0x2a);
	assert_int_equal(t->ents[0].n, 3);
	assert_int_equal(t->ents[0].osds[0], 4);
	assert_int_equal(t->ents[0].osds[2], 1);
	assert_int_equal(t->ents[1].ps, 7);
	assert_int_equal(t->ents[1].n, 0);
	msg_put(&t->m);
	/* a negative OSD id is refused */
	assert_int_equal(msg_create_typed(&mon_osd_pgtemp_ops, &m), 0);
	t = (void *)m;
	t->osd = 1;
	t->n = 1;
	t->ents[0] = (struct mon_pgtemp_ent){ .pool = 2, .ps = 1, .n = 2, .osds = { 4, -1 } };
	assert_int_equal(msg_encode(m), 0);
	assert_int_equal(
	    msg_registry_decode(reg, m->type, m->version, buf_get(m->front), NULL, NULL, &back),
	    -EBADMSG);
	msg_put(m);
	msg_registry_destroy(reg);
}

/* --- a fake monitor ------------------------------------------------------- */

struct fake_mon {
	struct msg_messenger *msgr;
	int commands, subscribes;
	bool silent; /* swallow commands: the client must time out */
};

static void fake_dispatch(struct msg *m, void *arg)
{
	struct fake_mon *f = arg;

	if (m->type == MON_MSG_COMMAND && !f->silent) {
		struct mon_msg_command *c = (struct mon_msg_command *)(void *)m;
		struct mon_msg_command_reply *r;
		int rc = strstr(c->cmd, "bogus") ? -EINVAL : 0;

		f->commands++;
		if (mon_command_reply_create(c->tid, rc, rc ? "unknown command" : "ok", "{\"x\":1}",
		                             rc ? 0 : 7, &r) == 0)
			msg_send(m->conn, &r->m);
	} else if (m->type == MON_MSG_SUBSCRIBE) {
		struct mon_msg_map *mp;

		f->subscribes++;
		if (mon_map_create(MON_MAP_OSDMAP, 5, &mp) == 0) {
			mon_map_set_full(mp, 5, "map5", 4);
			msg_send(m->conn, &mp->m);
		}
	}
	msg_put(m);
}

static struct msg_registry *registry(void)
{
	struct msg_registry *reg;

	assert_int_equal(msg_registry_create(&reg), 0);
	assert_int_equal(mon_proto_register(reg), 0);
	return reg;
}

static void start_fake(struct fake_mon *f, struct msg_registry *reg, struct msg_addr *addr)
{
	struct msg_dispatcher d = { .dispatch = fake_dispatch, .arg = f };
	struct msg_entity me;
	struct msg_opts o;

	msg_opts_default(&o);
	o.bind_port_min = 0;
	o.bind_port_max = 0;
	msg_entity_set(&me, MSG_ENTITY_MON, "a");
	assert_int_equal(msg_messenger_create(&me, &o, reg, &d, &f->msgr), 0);
	msg_addr_parse("127.0.0.1:0", addr);
	assert_int_equal(msg_messenger_bind(f->msgr, addr), 0);
	assert_int_equal(msg_messenger_start(f->msgr), 0);
	msg_messenger_addr(f->msgr, addr);
}

struct client {
	struct msg_messenger *msgr;
	struct monc *monc;
	int maps;
	uint32_t last_epoch;
};

static void client_dispatch(struct msg *m, void *arg)
{
	struct client *c = arg;

	if (!c->monc || !monc_handle_message(c->monc, m))
		msg_put(m);
}

static void client_reset(struct msg_conn *conn, void *arg)
{
	struct client *c = arg;

	if (c->monc)
		monc_handle_reset(c->monc, conn);
}

static void on_map(const struct mon_msg_map *m, void *arg)
{
	struct client *c = arg;

	c->maps++;
	c->last_epoch = m->full_epoch;
}

static void start_client(struct client *c, struct msg_registry *reg, const struct monmap *mons)
{
	struct msg_dispatcher d = { .dispatch = client_dispatch,
		                    .handle_reset = client_reset,
		                    .arg = c };
	struct msg_entity me;
	struct msg_opts o;

	msg_opts_default(&o);
	msg_entity_set(&me, MSG_ENTITY_CLIENT, "42");
	assert_int_equal(msg_messenger_create(&me, &o, reg, &d, &c->msgr), 0);
	assert_int_equal(msg_messenger_start(c->msgr), 0);
	assert_int_equal(monc_create(c->msgr, mons, &c->monc), 0);
	monc_set_hunt_interval(c->monc, 300);
	monc_set_map_cb(c->monc, on_map, c);
	assert_int_equal(monc_start(c->monc), 0);
}

static void stop_client(struct client *c)
{
	struct monc *mc = c->monc;

	msg_messenger_destroy(c->msgr);
	c->monc = NULL;
	monc_destroy(mc);
}

static void test_hunt_command_subscribe(void **state)
{
	static const uint8_t fsid[16];
	struct msg_registry *reg = registry();
	struct fake_mon f = { 0 };
	struct client c = { 0 };
	struct monc_reply r;
	struct msg_addr addr, dead;
	struct monmap mons;

	(void)state;
	start_fake(&f, reg, &addr);
	/* mon.b listens nowhere: whichever the client tries first, it must end
	 * up talking to mon.a */
	monmap_init(&mons, fsid);
	assert_int_equal(monmap_add(&mons, "a", &addr), 0);
	msg_addr_parse("127.0.0.1:1", &dead);
	assert_int_equal(monmap_add(&mons, "b", &dead), 0);
	start_client(&c, reg, &mons);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(
		    monc_command_sync(c.monc, "{\"cmd\":[\"status\"]}", NULL, 0, 10000, &r), 0);
		assert_int_equal(r.rc, 0);
		assert_string_equal(r.status, "ok");
		assert_int_equal(r.out_len, 7);
		assert_memory_equal(r.out, "{\"x\":1}", 7);
		mem_free(r.status);
		mem_free(r.out);
	}
	assert_int_equal(monc_command_sync(c.monc, "{\"cmd\":[\"bogus\"]}", NULL, 0, 10000, &r), 0);
	assert_int_equal(r.rc, -EINVAL);
	mem_free(r.status);
	mem_free(r.out);
	assert_int_equal(monc_current(c.monc), 0);
	assert_int_equal(monc_subscribe(c.monc, MON_MAP_OSDMAP, 1, false), 0);
	for (int i = 0; i < 200 && monc_have(c.monc, MON_MAP_OSDMAP) < 5; i++)
		usleep(10000);
	assert_int_equal(monc_have(c.monc, MON_MAP_OSDMAP), 5);
	assert_int_equal(c.last_epoch, 5);
	/* a monitor that never answers: the command times out, cleanly */
	f.silent = true;
	uint64_t t0 = tmr_now_ns();
	assert_int_equal(monc_command_sync(c.monc, "{\"cmd\":[\"x\"]}", NULL, 0, 700, &r),
	                 -ETIMEDOUT);
	assert_true(tmr_now_ns() - t0 >= 690000000ull);
	stop_client(&c);
	msg_messenger_destroy(f.msgr);
	msg_registry_destroy(reg);
}

static void test_no_monitor_times_out(void **state)
{
	static const uint8_t fsid[16];
	struct msg_registry *reg = registry();
	struct client c = { 0 };
	struct monc_reply r;
	struct monmap mons;

	(void)state;
	monmap_init(&mons, fsid);
	assert_int_equal(monmap_parse_hosts(&mons, "127.0.0.1:1,127.0.0.1:2"), 0);
	start_client(&c, reg, &mons);
	assert_int_equal(monc_command_sync(c.monc, "{}", NULL, 0, 500, &r), -ETIMEDOUT);
	assert_int_equal(monc_command(c.monc, NULL, NULL, 0, NULL, NULL), -EINVAL);
	assert_int_equal(monc_subscribe(c.monc, 9, 0, false), -EINVAL);
	stop_client(&c);
	msg_registry_destroy(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_alive_pgtemp_codecs),
		cmocka_unit_test(test_hunt_command_subscribe),
		cmocka_unit_test(test_no_monitor_times_out),
	};

	log_set_all_levels(LOG_LVL_NONE);
	return cmocka_run_group_tests_name("monc", tests, NULL, NULL) ? 1 : 0;
}
