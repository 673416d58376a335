/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/rados/test_objecter.c - the objecter's pure decisions against
 * a handmade OSD map: object -> PG -> primary (namespaces, PG ops, gone
 * pools, PGs without an up OSD), when ops are resent, what a reply means,
 * how map messages advance our map (full, incrementals, stale, gaps), and
 * throttle accounting. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "crush/crush.h"
#include "crush/text.h"
#include "monc/mon_proto.h"
#include "rados/client_int.h"
#include "tests.h"

static const uint8_t fsid[16] = { 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* 4 OSDs on one host each, a replicated rule over hosts. */
static const char crush_text[] =
    "tunable choose_total_tries 50\ntunable chooseleaf_descend_once 1\n"
    "tunable chooseleaf_vary_r 1\ntunable chooseleaf_stable 1\n"
    "device 0 osd.0\ndevice 1 osd.1\ndevice 2 osd.2\ndevice 3 osd.3\n"
    "type 0 osd\ntype 1 host\ntype 10 root\n"
    "host h0 {\n\tid -2\n\talg straw2\n\thash 0\n\titem osd.0 weight 1.000\n}\n"
    "host h1 {\n\tid -3\n\talg straw2\n\thash 0\n\titem osd.1 weight 1.000\n}\n"
    "host h2 {\n\tid -4\n\talg straw2\n\thash 0\n\titem osd.2 weight 1.000\n}\n"
    "host h3 {\n\tid -5\n\talg straw2\n\thash 0\n\titem osd.3 weight 1.000\n}\n"
    "root default {\n\tid -1\n\talg straw2\n\thash 0\n\titem h0 weight 1.000\n"
    "\titem h1 weight 1.000\n\titem h2 weight 1.000\n\titem h3 weight 1.000\n}\n"
    "rule replicated_rule {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n"
    "\tstep take default\n\tstep chooseleaf firstn 0 type host\n\tstep emit\n}\n";

static struct osdmap *apply(struct osdmap *base, struct osdmap_inc *inc)
{
	struct osdmap *next = NULL;

	assert_int_equal(osdmap_apply(base, inc, &next), 0);
	osdmap_inc_fini(inc);
	osdmap_destroy(base);
	return next;
}

/* The incremental that makes epoch 1: CRUSH, 4 OSDs up and in, pool 3 "data". */
static void first_inc(const struct osdmap *base, struct osdmap_inc *inc)
{
	struct crush_text_error err;
	struct crush_map *crush;
	struct osdmap_pool p = { .place = { .id = 3,
		                            .pg_num = 16,
		                            .pgp_num = 16,
		                            .size = 3,
		                            .rule = 0,
		                            .object_hash = 2,
		                            .hashpspool = true },
		                 .min_size = 2,
		                 .name = "data" };

	assert_int_equal(crush_text_compile(crush_text, sizeof(crush_text) - 1, &crush, &err), 0);
	osdmap_inc_init(inc, base);
	assert_int_equal(osdmap_inc_set_crush(inc, crush), 0);
	crush_map_destroy(crush);
	inc->new_max_osd = 4;
	inc->new_pool_max = 3;
	for (int i = 0; i < 4; i++) {
		struct osdmap_inc_osd *o = osdmap_inc_osd(inc, i);

		o->set = OSDMAP_INC_EXISTS | OSDMAP_INC_UP | OSDMAP_INC_WEIGHT;
		o->exists = o->up = true;
		o->weight = OSDMAP_WEIGHT_IN;
		msg_addr_parse("127.0.0.1:6800", &o->addr);
		o->addr.port = (uint16_t)(6800 + i);
		o->nonce = 500 + (uint64_t)i;
	}
	assert_int_equal(osdmap_inc_set_pool(inc, &p), 0);
}

static struct osdmap *make_map(void)
{
	struct osdmap *m;
	struct osdmap_inc inc;

	assert_int_equal(osdmap_create(fsid, &m), 0);
	first_inc(m, &inc);
	return apply(m, &inc);
}

/* Marks osd down (up false) or changes its nonce. */
static struct osdmap *osd_change(struct osdmap *m, int osd, bool up, uint64_t nonce)
{
	struct osdmap_inc inc;
	struct osdmap_inc_osd *o;

	osdmap_inc_init(&inc, m);
	o = osdmap_inc_osd(&inc, osd);
	o->set = OSDMAP_INC_UP;
	o->up = up;
	o->addr = m->osds[osd].addr;
	o->nonce = nonce;
	return apply(m, &inc);
}

static void test_target(void **state)
{
	struct osdmap *m = make_map();
	struct radosc_target t = { .pool = 3 }, t2 = { .pool = 3 };
	struct osdmap_pg pg;
	int up[3], primary;

	(void)state;
	for (int i = 0; i < 50; i++) {
		char oid[16];

		snprintf(oid, sizeof(oid), "obj%d", i);
		assert_int_equal(radosc_target_calc(m, "", oid, &t), 0);
		assert_int_equal(osdmap_object_pg(m, 3, NULL, oid, &pg), 0);
		assert_int_equal(t.ps, pg.ps);
		assert_int_equal(osdmap_pg_up(m, pg, up, 3, &primary), 3);
		assert_int_equal(t.primary, primary);
		assert_int_equal(crush_pool_pg(&osdmap_pool(m, 3)->place, t.hash), t.ps);
		/* a namespace is part of the placement */
		assert_int_equal(radosc_target_calc(m, "ns1", oid, &t2), 0);
		assert_int_equal(osdmap_object_pg(m, 3, "ns1", oid, &pg), 0);
		assert_int_equal(t2.ps, pg.ps);
	}
	/* PG ops name their PG */
	t = (struct radosc_target){ .pool = 3, .pgop = true, .ps = 5 };
	assert_int_equal(radosc_target_calc(m, "", "", &t), 0);
	assert_int_equal(t.ps, 5);
	assert_int_equal(t.hash, 5);
	assert_int_equal(osdmap_pg_up(m, (struct osdmap_pg){ 3, 5 }, up, 3, &primary), 3);
	assert_int_equal(t.primary, primary);
	/* no such pool */
	t.pool = 9;
	assert_int_equal(radosc_target_calc(m, "", "x", &t), -ENOENT);
	/* the primary goes down: the next replica takes over; all down: none */
	t = (struct radosc_target){ .pool = 3 };
	assert_int_equal(radosc_target_calc(m, "", "foo", &t), 0);
	primary = t.primary;
	m = osd_change(m, primary, false, 0);
	assert_int_equal(radosc_target_calc(m, "", "foo", &t), 0);
	assert_true(t.primary >= 0 && t.primary != primary);
	for (int i = 0; i < 4; i++)
		if (osdmap_osd_is_up(m, i))
			m = osd_change(m, i, false, 0);
	assert_int_equal(radosc_target_calc(m, "", "foo", &t), 0);
	assert_int_equal(t.primary, -1);
	osdmap_destroy(m);
}

static void test_resend_decisions(void **state)
{
	struct radosc_target t = { .primary = 2 }, none = { .primary = -1 };
	struct osdmap *m = make_map();
	struct msg_addr a = m->osds[1].addr, other = a;

	(void)state;
	/* never sent, or moved, or its connection dropped: send */
	assert_true(radosc_need_send(-1, false, false, &t, 0, 5));
	assert_true(radosc_need_send(1, false, true, &t, 0, 5));
	assert_true(radosc_need_send(2, true, true, &t, 0, 5));
	/* same primary, same connection: nothing to do */
	assert_false(radosc_need_send(2, false, true, &t, 0, 5));
	/* waiting for an epoch after a RETRY reply */
	assert_false(radosc_need_send(2, false, true, &t, 6, 5));
	assert_true(radosc_need_send(2, false, true, &t, 6, 6));
	/* no up OSD for the PG: keep waiting */
	assert_false(radosc_need_send(2, true, true, &none, 0, 5));
	assert_false(radosc_need_send(-1, false, false, &none, 3, 5));
	/* sessions: stale when the OSD is down or restarted elsewhere */
	assert_false(radosc_session_is_stale(m, 1, &a, 501));
	assert_true(radosc_session_is_stale(m, 1, &a, 999));
	other.port++;
	assert_true(radosc_session_is_stale(m, 1, &other, 501));
	assert_true(radosc_session_is_stale(m, 7, &a, 501));
	m = osd_change(m, 1, false, 501);
	assert_true(radosc_session_is_stale(m, 1, &a, 501));
	osdmap_destroy(m);
}

static void test_reply_actions(void **state)
{
	const uint32_t w = OSD_F_WRITE | OSD_F_ONDISK | OSD_F_ACK, r = OSD_F_READ;

	(void)state;
	/* RETRY: by the epochs */
	assert_int_equal(radosc_reply_action(w, false, OSD_F_RETRY, -EAGAIN, 9, 8),
	                 RADOSC_REPLY_RETRY_WAIT);
	assert_int_equal(radosc_reply_action(w, false, OSD_F_RETRY, -EAGAIN, 7, 8),
	                 RADOSC_REPLY_RETRY_NOW);
	assert_int_equal(radosc_reply_action(r, false, OSD_F_RETRY | OSD_F_ACK, -EAGAIN, 8, 8),
	                 RADOSC_REPLY_RETRY_LATER);
	/* writes: applied, then committed */
	assert_int_equal(radosc_reply_action(w, false, OSD_F_ACK, 0, 8, 8), RADOSC_REPLY_ACK);
	assert_int_equal(radosc_reply_action(w, true, OSD_F_ACK, 0, 8, 8), RADOSC_REPLY_IGNORE);
	assert_int_equal(radosc_reply_action(w, true, OSD_F_ONDISK, 0, 8, 8), RADOSC_REPLY_FINAL);
	assert_int_equal(radosc_reply_action(w, false, OSD_F_ACK | OSD_F_ONDISK, 0, 8, 8),
	                 RADOSC_REPLY_FINAL);
	/* an error answers once */
	assert_int_equal(radosc_reply_action(w, false, OSD_F_ACK, -ENOENT, 8, 8),
	                 RADOSC_REPLY_FINAL);
	/* reads get one reply */
	assert_int_equal(radosc_reply_action(r, false, OSD_F_ACK, 0, 8, 8), RADOSC_REPLY_FINAL);
	assert_int_equal(radosc_reply_action(r, false, OSD_F_ACK | OSD_F_ONDISK, -EIO, 8, 8),
	                 RADOSC_REPLY_FINAL);
}

/* ---- map tracking ---------------------------------------------------------- */

static struct mon_msg_map *full_msg(const struct osdmap *m)
{
	struct mon_msg_map *mm;
	struct enc e;

	enc_init(&e);
	osdmap_encode(m, &e);
	assert_int_equal(enc_error(&e), 0);
	assert_int_equal(mon_map_create(MON_MAP_OSDMAP, m->epoch, &mm), 0);
	assert_int_equal(mon_map_set_full(mm, m->epoch, e.data, (uint32_t)e.len), 0);
	enc_fini(&e);
	return mm;
}

static void add_inc(struct mon_msg_map *mm, const struct osdmap_inc *inc)
{
	struct enc e;

	enc_init(&e);
	osdmap_inc_encode(inc, &e);
	assert_int_equal(enc_error(&e), 0);
	assert_int_equal(mon_map_add_inc(mm, inc->epoch, e.data, (uint32_t)e.len), 0);
	enc_fini(&e);
}

/* An incremental on top of m that marks osd down (no apply). */
static void down_inc(const struct osdmap *m, int osd, struct osdmap_inc *inc)
{
	struct osdmap_inc_osd *o;

	osdmap_inc_init(inc, m);
	o = osdmap_inc_osd(inc, osd);
	o->set = OSDMAP_INC_UP;
	o->up = false;
}

static void test_map_advance(void **state)
{
	struct osdmap *m1 = make_map(), *m2, *m3, *got, *empty;
	struct osdmap_inc i2, i3, i1;
	struct mon_msg_map *mm;
	uint32_t resub;

	(void)state;
	/* a full map when we have none */
	mm = full_msg(m1);
	assert_int_equal(radosc_map_advance(NULL, mm, &got, &resub), 0);
	assert_non_null(got);
	assert_int_equal(got->epoch, 1);
	assert_int_equal(resub, 0);
	/* the same again: stale, nothing new */
	osdmap_destroy(got);
	assert_int_equal(radosc_map_advance(m1, mm, &got, &resub), 0);
	assert_null(got);
	assert_int_equal(resub, 0);
	msg_put(&mm->m);

	/* incrementals 2 and 3 on top of 1 */
	down_inc(m1, 0, &i2);
	assert_int_equal(osdmap_apply(m1, &i2, &m2), 0);
	down_inc(m2, 1, &i3);
	assert_int_equal(osdmap_apply(m2, &i3, &m3), 0);
	assert_int_equal(mon_map_create(MON_MAP_OSDMAP, 3, &mm), 0);
	add_inc(mm, &i2);
	add_inc(mm, &i3);
	assert_int_equal(radosc_map_advance(m1, mm, &got, &resub), 0);
	assert_int_equal(got->epoch, 3);
	assert_false(osdmap_osd_is_up(got, 0));
	assert_false(osdmap_osd_is_up(got, 1));
	assert_int_equal(resub, 0);
	osdmap_destroy(got);
	/* we have 2 already: inc 2 is skipped, 3 applies */
	assert_int_equal(radosc_map_advance(m2, mm, &got, &resub), 0);
	assert_int_equal(got->epoch, 3);
	osdmap_destroy(got);
	msg_put(&mm->m);

	/* a gap: we have 1, the message starts at 3 */
	assert_int_equal(mon_map_create(MON_MAP_OSDMAP, 3, &mm), 0);
	add_inc(mm, &i3);
	assert_int_equal(radosc_map_advance(m1, mm, &got, &resub), 0);
	assert_null(got);
	assert_int_equal(resub, 2);
	/* incrementals and no map at all: ask for everything */
	assert_int_equal(radosc_map_advance(NULL, mm, &got, &resub), 0);
	assert_null(got);
	assert_int_equal(resub, 1);
	msg_put(&mm->m);

	/* epoch 1 as an incremental on top of nothing */
	assert_int_equal(osdmap_create(fsid, &empty), 0);
	first_inc(empty, &i1);
	i1.epoch = 1;
	assert_int_equal(mon_map_create(MON_MAP_OSDMAP, 1, &mm), 0);
	add_inc(mm, &i1);
	assert_int_equal(radosc_map_advance(NULL, mm, &got, &resub), 0);
	assert_non_null(got);
	assert_int_equal(got->epoch, 1);
	assert_non_null(osdmap_pool_by_name(got, "data"));
	osdmap_destroy(got);
	msg_put(&mm->m);
	osdmap_inc_fini(&i1);
	osdmap_destroy(empty);

	/* a full map plus incrementals after it */
	mm = full_msg(m2);
	add_inc(mm, &i3);
	assert_int_equal(radosc_map_advance(m1, mm, &got, &resub), 0);
	assert_int_equal(got->epoch, 3);
	osdmap_destroy(got);
	msg_put(&mm->m);

	/* a corrupt incremental: resubscribe from where we are */
	assert_int_equal(mon_map_create(MON_MAP_OSDMAP, 2, &mm), 0);
	assert_int_equal(mon_map_add_inc(mm, 2, "junk", 4), 0);
	assert_int_equal(radosc_map_advance(m1, mm, &got, &resub), 0);
	assert_null(got);
	assert_int_equal(resub, 2);
	msg_put(&mm->m);
	/* other kinds are not ours */
	assert_int_equal(mon_map_create(MON_MAP_FSMAP, 2, &mm), 0);
	assert_int_equal(radosc_map_advance(m1, mm, &got, &resub), 0);
	assert_null(got);
	msg_put(&mm->m);

	osdmap_inc_fini(&i2);
	osdmap_inc_fini(&i3);
	osdmap_destroy(m1);
	osdmap_destroy(m2);
	osdmap_destroy(m3);
}

static void test_throttle(void **state)
{
	struct radosc_throttle t = { .max_ops = 2, .max_bytes = 100 };

	(void)state;
	/* an op always fits an empty throttle, however big */
	assert_true(radosc_throttle_has_room(&t, 1000, false));
	radosc_throttle_take(&t, 60);
	assert_true(radosc_throttle_has_room(&t, 40, false));
	assert_false(radosc_throttle_has_room(&t, 41, false));
	assert_true(radosc_throttle_has_room(&t, 41, true)); /* the dispatch thread */
	radosc_throttle_take(&t, 40);
	assert_false(radosc_throttle_has_room(&t, 0, false)); /* two ops */
	assert_true(t.ops == 2 && t.bytes == 100);
	radosc_throttle_put(&t, 60);
	assert_true(radosc_throttle_has_room(&t, 60, false));
	radosc_throttle_put(&t, 40);
	assert_true(t.ops == 0 && t.bytes == 0);
	/* the dispatch thread may exceed it; the accounting stays exact */
	radosc_throttle_take(&t, 90);
	radosc_throttle_take(&t, 90);
	radosc_throttle_take(&t, 90);
	assert_true(t.ops == 3 && t.bytes == 270);
	assert_false(radosc_throttle_has_room(&t, 1, false));
	for (int i = 0; i < 3; i++)
		radosc_throttle_put(&t, 90);
	assert_true(t.ops == 0 && t.bytes == 0);
}

int test_objecter_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target),        cmocka_unit_test(test_resend_decisions),
		cmocka_unit_test(test_reply_actions), cmocka_unit_test(test_map_advance),
		cmocka_unit_test(test_throttle),
	};

	return cmocka_run_group_tests_name("objecter", tests, NULL, NULL);
}
