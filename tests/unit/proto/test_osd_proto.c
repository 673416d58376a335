/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/proto/test_osd_proto.c - OSD protocol messages survive an
 * encode/decode round trip with their data segment sliced back into the
 * ops; truncated or inconsistent input is refused with -EBADMSG; the
 * payload encodings (kv lists, listing replies, log entries), the PG
 * stats report, heartbeat pings, the OSD boot with its heartbeat address
 * (and a v1 boot without one) and the "mark me down" report round-trip. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "monc/mon_proto.h"
#include "proto_tests.h"
#include "rados/osd_proto.h"

static struct msg_registry *reg;

static int setup(void **state)
{
	(void)state;
	if (msg_registry_create(&reg) < 0 || osd_proto_register(reg) < 0 ||
	    mon_proto_register(reg) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	msg_registry_destroy(reg);
	return 0;
}

static struct buf *bytes(const char *s, size_t n)
{
	struct buf *b;

	assert_int_equal(buf_create(&b), 0);
	assert_int_equal(buf_append(b, s, n), 0);
	return b;
}

/* Encodes m, decodes it as a receiver would (front + data), puts m. */
static struct msg *round_trip(struct msg *m)
{
	struct msg *back = NULL;

	assert_int_equal(msg_encode(m), 0);
	assert_int_equal(msg_registry_decode(reg, m->type, m->version, buf_get(m->front), NULL,
	                                     m->data ? buf_get(m->data) : NULL, &back),
	                 0);
	msg_put(m);
	return back;
}

static void test_op_round_trip(void **state)
{
	struct osd_msg_op *op, *back;
	char out[16];

	(void)state;
	assert_int_equal(osd_op_msg_create(3, &op), 0);
	op->tid = 77;
	msg_entity_set(&op->reqid.name, MSG_ENTITY_CLIENT, "4711");
	op->reqid.inc = 5;
	op->reqid.tid = 77;
	op->epoch = 12;
	op->flags = OSD_F_WRITE | OSD_F_ONDISK;
	op->pool = 3;
	op->ps = 0x1f;
	op->nspace = mem_strdup("ns");
	op->oid = mem_strdup("obj");
	op->ops[0].code = OSD_OP_WRITE;
	op->ops[0].off = 4096;
	op->ops[0].indata = bytes("hello", 5);
	op->ops[1].code = OSD_OP_SETXATTR;
	op->ops[1].name = mem_strdup("user.a");
	op->ops[1].indata = bytes("v", 1);
	op->ops[2].code = OSD_OP_OMAP_CLEAR;
	op->ops[2].flags = OSD_OP_F_FAILOK;
	assert_int_equal(osd_op_msg_seal(op), 0);
	assert_int_equal(buf_len(op->m.data), 6);
	back = (struct osd_msg_op *)(void *)round_trip(&op->m);
	assert_int_equal(back->tid, 77);
	assert_true(osd_reqid_eq(&back->reqid, &(struct osd_reqid){ back->reqid.name, 5, 77 }));
	assert_int_equal(back->epoch, 12);
	assert_int_equal(back->pool, 3);
	assert_int_equal(back->ps, 0x1f);
	assert_string_equal(back->nspace, "ns");
	assert_string_equal(back->oid, "obj");
	assert_int_equal(back->snapid, OSD_SNAP_HEAD);
	assert_int_equal(back->nops, 3);
	assert_int_equal(back->ops[0].code, OSD_OP_WRITE);
	assert_int_equal(back->ops[0].off, 4096);
	assert_int_equal(buf_len(back->ops[0].indata), 5);
	assert_int_equal(buf_copy_out(back->ops[0].indata, 0, 5, out), 0);
	assert_memory_equal(out, "hello", 5);
	assert_string_equal(back->ops[1].name, "user.a");
	assert_null(back->ops[1].name2);
	assert_int_equal(buf_len(back->ops[1].indata), 1);
	assert_null(back->ops[2].indata);
	assert_int_equal(back->ops[2].flags, OSD_OP_F_FAILOK);
	assert_true(osd_op_is_write(OSD_OP_APPEND));
	assert_false(osd_op_is_write(OSD_OP_READ));
	assert_string_equal(osd_op_name(OSD_OP_OMAP_RM_RANGE), "omap-rm-range");
	assert_string_equal(osd_op_name(999), "?");
	msg_put(&back->m);
}

static void test_op_rejects_bad_input(void **state)
{
	struct osd_msg_op *op;
	struct msg *back = NULL;
	struct buf *front, *data;
	size_t n;

	(void)state;
	assert_int_equal(osd_op_msg_create(1, &op), 0);
	op->ops[0].code = OSD_OP_WRITE;
	op->ops[0].indata = bytes("abcd", 4);
	assert_int_equal(osd_op_msg_seal(op), 0);
	assert_int_equal(msg_encode(&op->m), 0);
	/* data shorter than the ops say */
	data = bytes("abc", 3);
	assert_int_equal(
	    msg_registry_decode(reg, OSD_MSG_OP, 1, buf_get(op->m.front), NULL, data, &back),
	    -EBADMSG);
	/* data longer than the ops say */
	data = bytes("abcde", 5);
	assert_int_equal(
	    msg_registry_decode(reg, OSD_MSG_OP, 1, buf_get(op->m.front), NULL, data, &back),
	    -EBADMSG);
	/* every truncation of the front */
	n = buf_len(op->m.front);
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_equal(buf_slice(op->m.front, 0, cut, &front), 0);
		assert_int_equal(msg_registry_decode(reg, OSD_MSG_OP, 1, front, NULL,
		                                     buf_get(op->m.data), &back),
		                 -EBADMSG);
	}
	msg_put(&op->m);
	/* no ops at all, or an unknown op code */
	assert_int_equal(osd_op_msg_create(0, &op), 0);
	assert_int_equal(msg_encode(&op->m), 0);
	assert_int_equal(
	    msg_registry_decode(reg, OSD_MSG_OP, 1, buf_get(op->m.front), NULL, NULL, &back),
	    -EBADMSG);
	msg_put(&op->m);
	assert_int_equal(osd_op_msg_create(1, &op), 0);
	op->ops[0].code = 200;
	assert_int_equal(msg_encode(&op->m), 0);
	assert_int_equal(
	    msg_registry_decode(reg, OSD_MSG_OP, 1, buf_get(op->m.front), NULL, NULL, &back),
	    -EBADMSG);
	msg_put(&op->m);
	assert_int_equal(osd_op_msg_create(OSD_OPS_MAX + 1, &op), -EINVAL);
}

static void test_reply_and_repop(void **state)
{
	struct osd_msg_opreply *r, *rb;
	struct osd_msg_repop *rp, *rpb;
	struct osd_msg_repop_reply *rr, *rrb;
	struct msg *m;

	(void)state;
	assert_int_equal(osd_opreply_msg_create(2, &r), 0);
	r->tid = 9;
	r->result = -ECANCELED;
	r->flags = OSD_F_ACK | OSD_F_ONDISK;
	r->version = (struct osd_eversion){ 4, 100 };
	r->user_version = 100;
	r->ops[0].code = OSD_OP_READ;
	r->ops[0].rval = 3;
	r->ops[0].outdata = bytes("xyz", 3);
	r->ops[1].code = OSD_OP_CMPXATTR;
	r->ops[1].rval = -ECANCELED;
	assert_int_equal(osd_opreply_msg_seal(r), 0);
	rb = (struct osd_msg_opreply *)(void *)round_trip(&r->m);
	assert_int_equal(rb->result, -ECANCELED);
	assert_int_equal(rb->version.epoch, 4);
	assert_int_equal(rb->version.v, 100);
	assert_int_equal(rb->ops[0].rval, 3);
	assert_int_equal(buf_len(rb->ops[0].outdata), 3);
	assert_int_equal(rb->ops[1].rval, -ECANCELED);
	assert_null(rb->ops[1].outdata);
	msg_put(&rb->m);

	assert_int_equal(msg_create_typed(&osd_repop_ops, &m), 0);
	rp = (void *)m;
	rp->tid = 5;
	rp->from = 2;
	rp->entry.op = OSD_LOG_MODIFY;
	rp->entry.version = (struct osd_eversion){ 7, 8 };
	rp->entry.nspace = mem_strdup("");
	rp->entry.oid = mem_strdup("o");
	rp->interval = 6;
	rp->m.data = bytes("txn", 3);
	rpb = (struct osd_msg_repop *)(void *)round_trip(&rp->m);
	assert_int_equal(rpb->from, 2);
	assert_int_equal(rpb->interval, 6);
	assert_int_equal(rpb->entry.version.v, 8);
	assert_string_equal(rpb->entry.oid, "o");
	assert_int_equal(buf_len(rpb->m.data), 3);
	msg_put(&rpb->m);
	/* v2: a log-only repop (backfill target beyond its cursor) has no data */
	assert_int_equal(msg_create_typed(&osd_repop_ops, &m), 0);
	rp = (void *)m;
	rp->entry.op = OSD_LOG_DELETE;
	rp->entry.nspace = mem_strdup("");
	rp->entry.oid = mem_strdup("o");
	rpb = (struct osd_msg_repop *)(void *)round_trip(&rp->m);
	assert_null(rpb->m.data);
	msg_put(&rpb->m);

	assert_int_equal(msg_create_typed(&osd_repop_reply_ops, &m), 0);
	rr = (void *)m;
	rr->tid = 5;
	rr->flags = OSD_F_ONDISK;
	rr->result = -EIO;
	rrb = (struct osd_msg_repop_reply *)(void *)round_trip(&rr->m);
	assert_int_equal(rrb->result, -EIO);
	assert_int_equal(rrb->flags, OSD_F_ONDISK);
	msg_put(&rrb->m);
	/* eversion order */
	assert_true(osd_eversion_cmp((struct osd_eversion){ 1, 9 }, (struct osd_eversion){ 2, 1 }) <
	            0);
	assert_int_equal(
	    osd_eversion_cmp((struct osd_eversion){ 2, 1 }, (struct osd_eversion){ 2, 1 }), 0);
}

static void test_payloads(void **state)
{
	struct osd_kv kv[2] = { { .key = "a", .val = (uint8_t *)"1", .len = 1 },
		                { .key = "b", .val = NULL, .len = 0 } };
	struct osd_list_entry ents[2] = { { "", "x" }, { "ns", "y" } };
	struct osd_list_cursor cur = { .valid = true, .nspace = "ns", .oid = "y" }, nb;
	struct osd_list_entry *eb;
	struct osd_log_entry le = { .op = OSD_LOG_DELETE, .nspace = "", .oid = "gone" }, lb;
	struct osd_kv *kb;
	struct enc e;
	struct dec d;
	uint32_t n;
	bool end;
	size_t len;
	uint8_t *p;

	(void)state;
	enc_init(&e);
	osd_kv_encode(&e, kv, 2, true);
	p = enc_take(&e, &len);
	dec_init(&d, p, len);
	assert_int_equal(osd_kv_decode(&d, true, &kb, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(kb[0].key, "a");
	assert_int_equal(kb[0].len, 1);
	assert_int_equal(kb[1].len, 0);
	osd_kv_free(kb, n);
	for (size_t cut = 0; cut < len; cut++) {
		dec_init(&d, p, cut);
		assert_int_equal(osd_kv_decode(&d, true, &kb, &n), -EBADMSG);
	}
	mem_free(p);

	osd_list_reply_encode(&e, ents, 2, &cur, true);
	p = enc_take(&e, &len);
	dec_init(&d, p, len);
	assert_int_equal(osd_list_reply_decode(&d, &eb, &n, &nb, &end), 0);
	assert_int_equal(n, 2);
	assert_string_equal(eb[1].nspace, "ns");
	assert_true(nb.valid);
	assert_string_equal(nb.oid, "y");
	assert_true(end);
	osd_list_entries_free(eb, n);
	osd_list_cursor_fini(&nb);
	for (size_t cut = 0; cut < len; cut++) {
		dec_init(&d, p, cut);
		assert_int_equal(osd_list_reply_decode(&d, &eb, &n, &nb, &end), -EBADMSG);
	}
	mem_free(p);

	osd_log_entry_encode(&e, &le);
	p = enc_take(&e, &len);
	dec_init(&d, p, len);
	assert_int_equal(osd_log_entry_decode(&d, &lb), 0);
	assert_int_equal(lb.op, OSD_LOG_DELETE);
	assert_string_equal(lb.oid, "gone");
	osd_log_entry_fini(&lb);
	p[6] = 9; /* an unknown log op */
	dec_init(&d, p, len);
	assert_int_equal(osd_log_entry_decode(&d, &lb), -EBADMSG);
	mem_free(p);
	enc_fini(&e);
}

static void test_pg_stats(void **state)
{
	struct mon_msg_pg_stats *s, *b;
	char st[128];

	(void)state;
	assert_int_equal(mon_pg_stats_create(2, &s), 0);
	s->osd = 4;
	s->total_bytes = 1000;
	s->pgs[0] = (struct mon_pg_stat){ .pool = 1,
		                          .ps = 2,
		                          .state = MON_PG_ACTIVE | MON_PG_CLEAN,
		                          .nup = 2,
		                          .up = { 4, 1 },
		                          .num_objects = 3 };
	s->pgs[1].state = MON_PG_ACTIVE | MON_PG_UNDERSIZED | MON_PG_DEGRADED;
	s->pgs[1].state |= MON_PG_INCONSISTENT;
	s->pgs[1].num_scrub_errors = 7; /* v2 */
	s->pgs[1].last_deep_scrub_ns = 5;
	b = (struct mon_msg_pg_stats *)(void *)round_trip(&s->m);
	assert_int_equal(b->pgs[1].num_scrub_errors, 7);
	assert_int_equal(b->pgs[1].last_deep_scrub_ns, 5);
	assert_int_equal(b->pgs[0].num_scrub_errors, 0);
	b->pgs[1].state &= ~(uint32_t)MON_PG_INCONSISTENT;
	assert_int_equal(b->osd, 4);
	assert_int_equal(b->npgs, 2);
	assert_int_equal(b->pgs[0].nup, 2);
	assert_int_equal(b->pgs[0].up[1], 1);
	assert_int_equal(b->pgs[0].num_objects, 3);
	assert_string_equal(mon_pg_state_str(b->pgs[0].state, st, sizeof(st)), "active+clean");
	assert_string_equal(mon_pg_state_str(b->pgs[1].state, st, sizeof(st)),
	                    "active+degraded+undersized");
	assert_string_equal(mon_pg_state_str(0, st, sizeof(st)), "unknown");
	msg_put(&b->m);
}

/* Decodes a front made of raw bytes as a receiver would. */
static int decode_front(uint16_t type, const uint8_t *p, size_t n, struct msg **out)
{
	return msg_registry_decode(reg, type, 1, bytes((const char *)p, n), NULL, NULL, out);
}

static void test_ping(void **state)
{
	uint16_t types[] = { OSD_MSG_PING, OSD_MSG_PING_REPLY };

	(void)state;
	for (int i = 0; i < 2; i++) {
		const struct msg_type_ops *ops = i ? &osd_ping_reply_ops : &osd_ping_ops;
		struct osd_msg_ping *p, *b;
		struct msg *m;
		uint8_t *front;
		size_t len;

		assert_int_equal(msg_create_typed(ops, &m), 0);
		p = (void *)m;
		p->from = 7;
		p->epoch = 42;
		p->stamp = 0x123456789abcdefull;
		assert_int_equal(msg_encode(m), 0);
		len = buf_len(m->front);
		front = mem_malloc(len);
		assert_int_equal(buf_copy_out(m->front, 0, len, front), 0);
		b = (struct osd_msg_ping *)(void *)round_trip(m);
		assert_int_equal(b->m.type, types[i]);
		assert_int_equal(b->from, 7);
		assert_int_equal(b->epoch, 42);
		assert_true(b->stamp == 0x123456789abcdefull);
		msg_put(&b->m);
		for (size_t cut = 0; cut < len; cut++)
			assert_int_equal(decode_front(types[i], front, cut, &m), -EBADMSG);
		front[6] = 0xff; /* from = -1 (the envelope header is 6 bytes) */
		front[7] = front[8] = front[9] = 0xff;
		assert_int_equal(decode_front(types[i], front, len, &m), -EBADMSG);
		mem_free(front);
	}
}

/* OSD_MSG_PEERING / OSD_MSG_PUSH: header + body round trip, the PUSH's data
 * segment, truncations, a PEERING with data refused. */
static void test_peering_push(void **state)
{
	const struct msg_type_ops *ops[] = { &osd_peering_ops, &osd_push_ops };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct osd_msg_peering *p, *b;
		struct msg *m;
		uint8_t *front;
		size_t len;

		assert_int_equal(msg_create_typed(ops[i], &m), 0);
		p = (void *)m;
		p->pool = 3;
		p->ps = 0x2a;
		p->from = 5;
		p->epoch = 77;
		p->body = mem_malloc(4);
		assert_non_null(p->body);
		memcpy(p->body, "\x01\x02\x03\x04", 4);
		p->body_len = 4;
		if (i == 1)
			m->data = bytes("object", 6);
		assert_int_equal(msg_encode(m), 0);
		len = buf_len(m->front);
		front = mem_malloc(len);
		assert_int_equal(buf_copy_out(m->front, 0, len, front), 0);
		b = (struct osd_msg_peering *)(void *)round_trip(m);
		assert_int_equal(b->m.type, ops[i]->type);
		assert_int_equal(b->pool, 3);
		assert_int_equal(b->ps, 0x2a);
		assert_int_equal(b->from, 5);
		assert_int_equal(b->epoch, 77);
		assert_int_equal(b->body_len, 4);
		assert_memory_equal(b->body, "\x01\x02\x03\x04", 4);
		assert_int_equal(b->m.data ? buf_len(b->m.data) : 0, i == 1 ? 6 : 0);
		msg_put(&b->m);
		for (size_t cut = 0; cut < len; cut++)
			assert_int_equal(decode_front(ops[i]->type, front, cut, &m), -EBADMSG);
		assert_int_equal(msg_registry_decode(reg, OSD_MSG_PEERING, 1,
		                                     bytes((const char *)front, len), NULL,
		                                     bytes("x", 1), &m),
		                 -EBADMSG);
		mem_free(front);
	}
}

static void test_boot_hb_addr(void **state)
{
	struct mon_msg_osd_boot *b, *bb;
	struct msg *m;
	struct enc e;
	uint8_t *p;
	size_t len;

	(void)state;
	assert_int_equal(msg_create_typed(&mon_osd_boot_ops, &m), 0);
	b = (void *)m;
	b->osd = 3;
	b->weight = 1;
	assert_int_equal(msg_addr_parse("127.0.0.1:6800", &b->addr), 0);
	assert_int_equal(msg_addr_parse("127.0.0.1:6801", &b->hb_addr), 0);
	snprintf(b->host, sizeof(b->host), "h");
	bb = (struct mon_msg_osd_boot *)(void *)round_trip(m);
	assert_int_equal(bb->hb_addr.port, 6801);
	assert_int_equal(bb->addr.port, 6800);
	msg_put(&bb->m);

	/* a v1 boot (an OSD without heartbeats) decodes with no hb_addr */
	enc_init(&e);
	{
		size_t at = enc_begin(&e, 1, 1);
		uint8_t fsid[16] = { 0 };
		struct msg_addr a;

		assert_int_equal(msg_addr_parse("127.0.0.1:6900", &a), 0);
		enc_s32(&e, 5);
		enc_raw(&e, fsid, 16);
		msg_addr_encode(&a, &e);
		enc_u64(&e, 77);
		enc_u32(&e, 9);
		enc_double(&e, 1.0);
		enc_str(&e, "old");
		enc_end(&e, at);
	}
	p = enc_take(&e, &len);
	assert_int_equal(decode_front(MON_MSG_OSD_BOOT, p, len, &m), 0);
	bb = (void *)m;
	assert_int_equal(bb->osd, 5);
	assert_int_equal(bb->addr.port, 6900);
	assert_string_equal(bb->host, "old");
	assert_false(msg_addr_is_set(&bb->hb_addr));
	msg_put(m);
	mem_free(p);
	enc_fini(&e);
}

static void test_mark_me_down(void **state)
{
	struct mon_msg_osd_failure *f, *fb;
	struct msg *m;

	(void)state;
	assert_int_equal(msg_create_typed(&mon_osd_failure_ops, &m), 0);
	f = (void *)m;
	f->target = f->reporter = 2;
	f->epoch = 11;
	fb = (struct mon_msg_osd_failure *)(void *)round_trip(m);
	assert_int_equal(fb->target, 2);
	assert_int_equal(fb->reporter, 2);
	assert_int_equal(fb->epoch, 11);
	assert_false(fb->still_alive);
	assert_false(fb->immediate);
	msg_put(&fb->m);
	/* an immediate report (connection refused) survives the round trip */
	assert_int_equal(msg_create_typed(&mon_osd_failure_ops, &m), 0);
	f = (void *)m;
	f->target = 1;
	f->reporter = 0;
	f->immediate = true;
	fb = (struct mon_msg_osd_failure *)(void *)round_trip(m);
	assert_true(fb->immediate);
	assert_int_equal(fb->target, 1);
	msg_put(&fb->m);
}

int run_osd_proto_tests(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_round_trip),   cmocka_unit_test(test_op_rejects_bad_input),
		cmocka_unit_test(test_reply_and_repop), cmocka_unit_test(test_payloads),
		cmocka_unit_test(test_pg_stats),        cmocka_unit_test(test_ping),
		cmocka_unit_test(test_boot_hb_addr),    cmocka_unit_test(test_mark_me_down),
		cmocka_unit_test(test_peering_push),
	};

	return cmocka_run_group_tests_name("osd_proto", tests, setup, teardown);
}
