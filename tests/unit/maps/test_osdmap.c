/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/maps/test_osdmap.c - OSD map: incrementals, epochs, codec,
 * placement through a real CRUSH map, down and out OSDs, heartbeat
 * addresses (and maps from before them). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "crush/crush.h"
#include "crush/text.h"
#include "maps/osdmap.h"
#include "tests.h"

static const uint8_t fsid[16] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* 6 OSDs on 3 hosts, one replicated rule across hosts. */
static const char crush_text[] =
    "tunable choose_total_tries 50\n"
    "tunable chooseleaf_descend_once 1\ntunable chooseleaf_vary_r 1\n"
    "tunable chooseleaf_stable 1\ntunable straw_calc_version 1\n"
    "device 0 osd.0\ndevice 1 osd.1\ndevice 2 osd.2\n"
    "device 3 osd.3\ndevice 4 osd.4\ndevice 5 osd.5\n"
    "type 0 osd\ntype 1 host\ntype 10 root\n"
    "host h0 {\n\tid -2\n\talg straw2\n\thash 0\n\titem osd.0 weight 1.000\n\titem osd.1 weight "
    "1.000\n}\n"
    "host h1 {\n\tid -3\n\talg straw2\n\thash 0\n\titem osd.2 weight 1.000\n\titem osd.3 weight "
    "1.000\n}\n"
    "host h2 {\n\tid -4\n\talg straw2\n\thash 0\n\titem osd.4 weight 1.000\n\titem osd.5 weight "
    "1.000\n}\n"
    "root default {\n\tid -1\n\talg straw2\n\thash 0\n\titem h0 weight 2.000\n"
    "\titem h1 weight 2.000\n\titem h2 weight 2.000\n}\n"
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

/* Epoch 1: the CRUSH map, 6 OSDs up and in, pool 1 "rbd" of size 3. */
static struct osdmap *make_cluster(void)
{
	struct crush_text_error err;
	struct crush_map *crush;
	struct osdmap *m;
	struct osdmap_inc inc;
	struct osdmap_pool p = { .place = { .id = 1,
		                            .pg_num = 32,
		                            .pgp_num = 32,
		                            .size = 3,
		                            .rule = 0,
		                            .object_hash = 2,
		                            .hashpspool = true },
		                 .min_size = 2,
		                 .name = "rbd" };

	assert_int_equal(osdmap_create(fsid, &m), 0);
	assert_int_equal(crush_text_compile(crush_text, sizeof(crush_text) - 1, &crush, &err), 0);
	osdmap_inc_init(&inc, m);
	assert_int_equal(osdmap_inc_set_crush(&inc, crush), 0);
	crush_map_destroy(crush);
	inc.new_max_osd = 6;
	inc.new_pool_max = 1;
	for (int i = 0; i < 6; i++) {
		struct osdmap_inc_osd *o = osdmap_inc_osd(&inc, i);

		o->set = OSDMAP_INC_EXISTS | OSDMAP_INC_UP | OSDMAP_INC_WEIGHT;
		o->exists = o->up = true;
		o->weight = OSDMAP_WEIGHT_IN;
		msg_addr_parse("127.0.0.1:6800", &o->addr);
		o->addr.port = (uint16_t)(6800 + i);
		o->nonce = 100 + (uint64_t)i;
	}
	assert_int_equal(osdmap_inc_set_pool(&inc, &p), 0);
	inc.modified_ns = 12345;
	return apply(m, &inc);
}

static int host_of(int osd)
{
	return osd / 2;
}

static void test_build_and_place(void **state)
{
	struct osdmap *m = make_cluster();
	struct osdmap_pg pg;
	int up[3], primary, n, e, u, i;
	char s[32];

	(void)state;
	assert_int_equal(m->epoch, 1);
	assert_int_equal(m->created_ns, 12345);
	osdmap_counts(m, &e, &u, &i);
	assert_int_equal(e, 6);
	assert_int_equal(u, 6);
	assert_int_equal(i, 6);
	assert_non_null(osdmap_pool_by_name(m, "rbd"));
	assert_int_equal(osdmap_pool(m, 1)->last_change, 1);
	assert_int_equal(osdmap_object_pg(m, 1, NULL, "foo", &pg), 0);
	assert_true(pg.ps < 32);
	assert_int_equal(osdmap_object_pg(m, 9, NULL, "foo", &pg), -ENOENT);
	for (uint32_t ps = 0; ps < 32; ps++) {
		pg = (struct osdmap_pg){ .pool = 1, .ps = ps };
		n = osdmap_pg_up(m, pg, up, 3, &primary);
		assert_int_equal(n, 3);
		assert_int_equal(primary, up[0]);
		/* one copy per host */
		assert_true(host_of(up[0]) != host_of(up[1]) && host_of(up[1]) != host_of(up[2]) &&
		            host_of(up[0]) != host_of(up[2]));
	}
	assert_string_equal(osdmap_pg_str((struct osdmap_pg){ 1, 0x2a }, s, sizeof(s)), "1.2a");
	assert_int_equal(osdmap_pg_parse("3.ff", &pg), 0);
	assert_true(pg.pool == 3 && pg.ps == 0xff);
	assert_int_equal(osdmap_pg_parse("3", &pg), -EINVAL);
	assert_int_equal(osdmap_pg_parse("x.1", &pg), -EINVAL);
	osdmap_destroy(m);
}

static void test_down_and_out(void **state)
{
	struct osdmap *m = make_cluster();
	struct osdmap_inc inc;
	struct osdmap_pg pg = { .pool = 1, .ps = 0 };
	int up[3], before[3], primary, n;

	(void)state;
	assert_int_equal(osdmap_pg_up(m, pg, before, 3, &primary), 3);
	/* the primary goes down: it leaves the up set, which shrinks */
	osdmap_inc_init(&inc, m);
	struct osdmap_inc_osd *o = osdmap_inc_osd(&inc, before[0]);
	o->set = OSDMAP_INC_UP;
	o->up = false;
	m = apply(m, &inc);
	assert_false(osdmap_osd_is_up(m, before[0]));
	assert_int_equal(m->osds[before[0]].down_at, 2);
	n = osdmap_pg_up(m, pg, up, 3, &primary);
	assert_int_equal(n, 2);
	assert_int_equal(primary, before[1]);
	/* then it is marked out: CRUSH places a third copy elsewhere */
	osdmap_inc_init(&inc, m);
	o = osdmap_inc_osd(&inc, before[0]);
	o->set = OSDMAP_INC_WEIGHT;
	o->weight = 0;
	m = apply(m, &inc);
	n = osdmap_pg_up(m, pg, up, 3, &primary);
	assert_int_equal(n, 3);
	for (int k = 0; k < 3; k++)
		assert_int_not_equal(up[k], before[0]);
	assert_false(osdmap_osd_is_in(m, before[0]));
	osdmap_destroy(m);
}

static void test_epochs_and_validation(void **state)
{
	struct osdmap *m = make_cluster(), *next = (void *)1;
	struct osdmap_inc inc;
	struct osdmap_pool bad = {
		.place = { .id = 2, .pg_num = 0, .pgp_num = 0, .size = 3, .object_hash = 2 },
		.min_size = 1,
		.name = "x"
	};

	(void)state;
	osdmap_inc_init(&inc, m);
	inc.epoch = 5;
	assert_int_equal(osdmap_apply(m, &inc, &next), -ESTALE);
	inc.epoch = 2;
	inc.fsid[0] ^= 1;
	assert_int_equal(osdmap_apply(m, &inc, &next), -EINVAL);
	inc.fsid[0] ^= 1;
	assert_int_equal(osdmap_inc_set_pool(&inc, &bad), -EINVAL);
	/* a pool id beyond pool_max, an unknown pool removal, a ghost OSD */
	bad.place.pg_num = bad.place.pgp_num = 8;
	assert_int_equal(osdmap_inc_set_pool(&inc, &bad), 0);
	assert_int_equal(osdmap_apply(m, &inc, &next), -EINVAL);
	osdmap_inc_fini(&inc);
	osdmap_inc_init(&inc, m);
	assert_int_equal(osdmap_inc_remove_pool(&inc, 7), 0);
	assert_int_equal(osdmap_apply(m, &inc, &next), -EINVAL);
	osdmap_inc_fini(&inc);
	osdmap_inc_init(&inc, m);
	osdmap_inc_osd(&inc, 40)->set = OSDMAP_INC_UP;
	assert_int_equal(osdmap_apply(m, &inc, &next), -EINVAL);
	osdmap_inc_fini(&inc);
	assert_ptr_equal(next, (void *)1);
	assert_int_equal(m->epoch, 1); /* the base never changes */
	osdmap_destroy(m);
}

static void test_codec(void **state)
{
	struct osdmap *m = make_cluster(), *back;
	struct osdmap_inc inc, inc2;
	struct osdmap_blocked b = { .nonce = 9, .until_ns = 77 };
	struct enc e, e2;
	struct dec d;

	(void)state;
	/* full map: decode(encode(m)) re-encodes to the same bytes */
	enc_init(&e);
	osdmap_encode(m, &e);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_decode(&d, &back), 0);
	enc_init(&e2);
	osdmap_encode(back, &e2);
	assert_int_equal(e.len, e2.len);
	assert_memory_equal(e.data, e2.data, e.len);
	osdmap_destroy(back);
	enc_fini(&e2);
	for (size_t n = 0; n < e.len; n += 7) {
		dec_init(&d, e.data, n);
		assert_int_not_equal(osdmap_decode(&d, &back), 0);
	}
	enc_fini(&e);
	/* incremental: flags, blocklist, pool removal survive the wire */
	osdmap_inc_init(&inc, m);
	inc.new_flags = OSDMAP_F_NOOUT | OSDMAP_F_NODOWN;
	msg_addr_parse("127.0.0.1:9", &b.addr);
	assert_int_equal(osdmap_inc_block(&inc, &b), 0);
	assert_int_equal(osdmap_inc_remove_pool(&inc, 1), 0);
	enc_init(&e);
	osdmap_inc_encode(&inc, &e);
	osdmap_inc_fini(&inc);
	osdmap_inc_init(&inc2, NULL);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_inc_decode(&d, &inc2), 0);
	m = apply(m, &inc2);
	assert_int_equal(m->flags, OSDMAP_F_NOOUT | OSDMAP_F_NODOWN);
	assert_int_equal(m->nblocked, 1);
	assert_null(osdmap_pool(m, 1));
	for (size_t n = 0; n < e.len; n++) {
		osdmap_inc_init(&inc2, NULL);
		dec_init(&d, e.data, n);
		assert_int_equal(osdmap_inc_decode(&d, &inc2), -EBADMSG);
	}
	enc_fini(&e);
	assert_int_equal(osdmap_flag_parse("noout"), OSDMAP_F_NOOUT);
	assert_int_equal(osdmap_flag_parse("nope"), -EINVAL);
	json_t *j = osdmap_dump_json(m);
	assert_int_equal(json_integer_value(json_object_get(j, "epoch")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "osds")), 6);
	json_decref(j);
	osdmap_destroy(m);
}

/* Sets struct_v of every OSD entry of an encoded full map (today v3) to 1
 * (the entries follow max_osd, each an envelope u8 v, u8 compat, u32 len). */
static void make_entries_v1(uint8_t *p, size_t len, int max_osd)
{
	const uint8_t pat[6] = { (uint8_t)max_osd, 0, 0, 0, 3, 1 };
	size_t at = 0;

	while (at + sizeof(pat) <= len && memcmp(p + at, pat, sizeof(pat)) != 0)
		at++;
	assert_true(at + sizeof(pat) <= len);
	at += 4;
	for (int i = 0; i < max_osd; i++) {
		uint32_t n;

		assert_int_equal(p[at], 3);
		p[at] = 1;
		memcpy(&n, p + at + 2, 4); /* little-endian host */
		at += 6 + n;
	}
}

static void test_hb_addr(void **state)
{
	struct osdmap *m = make_cluster(), *m2;
	struct osdmap_inc inc, inc2;
	struct osdmap_inc_osd *o;
	struct enc e;
	struct dec d;
	uint32_t up_epoch;

	(void)state;
	assert_false(msg_addr_is_set(&m->osds[2].hb_addr));
	osdmap_inc_init(&inc, m);
	o = osdmap_inc_osd(&inc, 2);
	o->set = OSDMAP_INC_UP;
	o->up = false;
	m = apply(m, &inc);
	/* it boots again, now with a heartbeat messenger: through the codec */
	osdmap_inc_init(&inc, m);
	o = osdmap_inc_osd(&inc, 2);
	o->set = OSDMAP_INC_UP;
	o->up = true;
	assert_int_equal(msg_addr_parse("127.0.0.1:6802", &o->addr), 0);
	assert_int_equal(msg_addr_parse("127.0.0.1:7002", &o->hb_addr), 0);
	o->nonce = 999;
	enc_init(&e);
	osdmap_inc_encode(&inc, &e);
	osdmap_inc_fini(&inc);
	up_epoch = m->epoch + 1;
	/* an old (v1) reader of the same bytes: no heartbeat address */
	e.data[0] = 1;
	osdmap_inc_init(&inc2, NULL);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_inc_decode(&d, &inc2), 0);
	assert_false(msg_addr_is_set(&inc2.osds[0].hb_addr));
	osdmap_inc_fini(&inc2);
	e.data[0] = 2;
	osdmap_inc_init(&inc2, NULL);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_inc_decode(&d, &inc2), 0);
	enc_fini(&e);
	m = apply(m, &inc2);
	assert_true(m->osds[2].up);
	assert_int_equal(m->osds[2].up_from, up_epoch);
	assert_int_equal(m->osds[2].hb_addr.port, 7002);
	assert_false(msg_addr_is_set(&m->osds[1].hb_addr));
	/* the full map keeps it (entry v2), and a v1 entry decodes without */
	enc_init(&e);
	osdmap_encode(m, &e);
	assert_int_equal(enc_error(&e), 0);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_decode(&d, &m2), 0);
	assert_int_equal(m2->osds[2].hb_addr.port, 7002);
	assert_int_equal(m2->osds[2].nonce, 999);
	osdmap_destroy(m2);
	make_entries_v1(e.data, e.len, m->max_osd);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_decode(&d, &m2), 0);
	assert_false(msg_addr_is_set(&m2->osds[2].hb_addr));
	assert_int_equal(m2->osds[2].addr.port, 6802);
	assert_int_equal(m2->osds[2].up_from, up_epoch);
	osdmap_destroy(m2);
	enc_fini(&e);
	json_t *j = osdmap_dump_json(m);
	json_t *o2 = json_array_get(json_object_get(j, "osds"), 2);
	assert_string_equal(json_string_value(json_object_get(o2, "hb_addr")), "127.0.0.1:7002");
	json_decref(j);
	osdmap_destroy(m);
}

/* A PG whose up set is [a, b, c]; returns its ps. */
static uint32_t some_pg(const struct osdmap *m, int *up)
{
	int primary;

	assert_int_equal(osdmap_pg_up(m, (struct osdmap_pg){ 1, 5 }, up, 16, &primary), 3);
	return 5;
}

/* pg_temp and up_thru: through incrementals (v3), full maps (v2), older
 * readers, acting sets, pool removal. */
static void test_pg_temp_up_thru(void **state)
{
	struct osdmap *m = make_cluster(), *m2;
	struct osdmap_inc inc, inc2;
	struct osdmap_inc_osd *o;
	int up[16], act[16], primary, temp[3];
	uint32_t ps;
	struct enc e;
	struct dec d;

	(void)state;
	ps = some_pg(m, up);
	temp[0] = up[1], temp[1] = up[2], temp[2] = up[0];
	osdmap_inc_init(&inc, m);
	assert_int_equal(osdmap_inc_set_pg_temp(&inc, 1, ps, temp, 3), 0);
	assert_int_equal(osdmap_inc_set_pg_temp(&inc, 1, 2, temp, 2), 0);
	assert_int_equal(osdmap_inc_set_pg_temp(&inc, -1, 2, temp, 2), -EINVAL);
	o = osdmap_inc_osd(&inc, up[1]);
	o->set = OSDMAP_INC_UP_THRU;
	o->up_thru = m->epoch + 1;
	assert_false(osdmap_inc_is_empty(&inc));
	enc_init(&e);
	osdmap_inc_encode(&inc, &e);
	osdmap_inc_fini(&inc);
	/* a v2 reader sees neither */
	e.data[0] = 2;
	osdmap_inc_init(&inc2, NULL);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_inc_decode(&d, &inc2), 0);
	assert_int_equal(inc2.npg_temp, 0);
	assert_int_equal(inc2.osds[0].up_thru, 0);
	osdmap_inc_fini(&inc2);
	e.data[0] = 3;
	for (size_t cut = 0; cut < e.len; cut += 7) { /* truncations */
		osdmap_inc_init(&inc2, NULL);
		dec_init(&d, e.data, cut);
		assert_int_not_equal(osdmap_inc_decode(&d, &inc2), 0);
		osdmap_inc_fini(&inc2);
	}
	osdmap_inc_init(&inc2, NULL);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_inc_decode(&d, &inc2), 0);
	enc_fini(&e);
	assert_int_equal(inc2.npg_temp, 2);
	assert_int_equal(inc2.pg_temp[0].ps, 2); /* sorted */
	m = apply(m, &inc2);
	assert_int_equal(m->npg_temp, 2);
	assert_int_equal(m->osds[up[1]].up_thru, m->epoch);
	assert_int_equal(osdmap_pg_acting(m, (struct osdmap_pg){ 1, ps }, act, 16, &primary), 3);
	assert_int_equal(primary, up[1]);
	assert_memory_equal(act, temp, sizeof(temp));
	/* full map v2 round trip, and a v1 reader without pg_temp */
	enc_init(&e);
	osdmap_encode(m, &e);
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_decode(&d, &m2), 0);
	assert_int_equal(m2->npg_temp, 2);
	assert_int_equal(m2->osds[up[1]].up_thru, m->epoch);
	osdmap_destroy(m2);
	make_entries_v1(e.data, e.len, m->max_osd);
	e.data[0] = 1;
	dec_init(&d, e.data, e.len);
	assert_int_equal(osdmap_decode(&d, &m2), 0);
	assert_int_equal(m2->npg_temp, 0);
	assert_int_equal(m2->osds[up[1]].up_thru, 0);
	osdmap_destroy(m2);
	enc_fini(&e);
	/* a down member leaves the acting set; up_thru never goes back */
	osdmap_inc_init(&inc, m);
	o = osdmap_inc_osd(&inc, up[1]);
	o->set = OSDMAP_INC_UP | OSDMAP_INC_UP_THRU;
	o->up = false;
	o->up_thru = 1;
	m = apply(m, &inc);
	assert_int_equal(m->osds[up[1]].up_thru, m->epoch - 1);
	assert_int_equal(osdmap_pg_acting(m, (struct osdmap_pg){ 1, ps }, act, 16, &primary), 2);
	assert_int_equal(primary, up[2]);
	/* removal of one entry, then of the pool drops the rest */
	osdmap_inc_init(&inc, m);
	assert_int_equal(osdmap_inc_set_pg_temp(&inc, 1, ps, NULL, 0), 0);
	m = apply(m, &inc);
	assert_int_equal(m->npg_temp, 1);
	json_t *j = osdmap_dump_json(m);
	assert_int_equal(json_array_size(json_object_get(j, "pg_temp")), 1);
	json_decref(j);
	osdmap_inc_init(&inc, m);
	assert_int_equal(osdmap_inc_remove_pool(&inc, 1), 0);
	m = apply(m, &inc);
	assert_int_equal(m->npg_temp, 0);
	osdmap_destroy(m);
}

int test_osdmap_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_place),
		cmocka_unit_test(test_down_and_out),
		cmocka_unit_test(test_epochs_and_validation),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_hb_addr),
		cmocka_unit_test(test_pg_temp_up_thru),
	};
	return cmocka_run_group_tests_name("osdmap", tests, NULL, NULL);
}
