/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_peering.c - the peering core's decoders (messages and the
 * stored PG info) on hostile input: decoding must reject or round-trip
 * exactly, and a decoded message handed to a primary and to a replica of a
 * small PG must never crash them or break their invariants (asserted in
 * Debug builds). The first byte picks the mode. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct pg_peer_config cfg = {
	.resend_ticks = 2,
	.log_max = 8,
	.log_keep = 4,
	.recovery_max = 2,
	.scan_max = 4,
};

/* OSD whoami of PG 1.0 with acting [0, 1, 2] at epoch 5, with a short log. */
static struct pg_peer *instance(int32_t whoami)
{
	static const int32_t up_osds[] = { 0, 1, 2, 3 };
	struct pg_peer_entry log[3] = {
		{ .op = PG_PEER_LOG_MODIFY, .version = { 2, 1 }, .key = "a" },
		{ .op = PG_PEER_LOG_MODIFY, .version = { 2, 2 }, .key = "b" },
		{ .op = PG_PEER_LOG_DELETE,
		  .version = { 3, 3 },
		  .prior_version = { 2, 1 },
		  .key = "a" },
	};
	struct pg_peer_info info = {
		.pool = 1, .ps = 0, .backfill_complete = true, .last_update = { 3, 3 }
	};
	struct pg_peer_state st = { .info = &info, .log = log, .n_log = 3 };
	struct pg_peer_map map = {
		.epoch = 5, .primary_up_thru = 5, .up_osds = up_osds, .n_up_osds = 4
	};
	struct pg_peer_actions a;
	struct pg_peer *p;

	map.m = (struct pg_peer_mapping){ .n_up = 3,
		                          .n_acting = 3,
		                          .size = 3,
		                          .min_size = 2,
		                          .up = { 0, 1, 2 },
		                          .acting = { 0, 1, 2 } };
	if (pg_peer_create(whoami, &cfg, &st, &p) < 0)
		return NULL;
	pg_peer_actions_init(&a);
	if (pg_peer_advance_map(p, &map, &a) < 0) {
		pg_peer_destroy(p);
		p = NULL;
	}
	pg_peer_actions_fini(&a);
	return p;
}

static void round_trip(const struct pg_peer_msg *m)
{
	struct pg_peer_msg m2;
	struct enc e;
	size_t len;
	enc_init(&e);
	pg_peer_msg_encode(&e, m);
	uint8_t *p = enc_take(&e, &len);
	enc_fini(&e);
	if (!p)
		return;
	if (pg_peer_msg_decode(p, len, &m2) != 0 || m2.type != m->type ||
	    m2.n_entries != m->n_entries || m2.n_missing != m->n_missing ||
	    m2.n_objs != m->n_objs || m2.epoch != m->epoch)
		abort();
	pg_peer_msg_fini(&m2);
	mem_free(p);
}

/* Feeds m to a fresh instance as if it came from `from` in its interval. */
static void step(int32_t whoami, int32_t from, struct pg_peer_msg *m)
{
	struct pg_peer *p = instance(whoami);
	struct pg_peer_actions a;
	if (!p)
		return;
	m->pool = 1;
	m->ps = 0;
	m->from = from;
	m->epoch = m->epoch % 6;
	m->interval = pg_peer_interval(p);
	pg_peer_actions_init(&a);
	int rc = pg_peer_handle(p, m, &a);
	if (rc == -ENOMEM && !mem_fail_pending())
		abort(); /* only an injected failure may break it */
	pg_peer_actions_reset(&a);
	pg_peer_tick(p, &a);
	pg_peer_actions_fini(&a);
	pg_peer_destroy(p);
}

static void info_round_trip(const uint8_t *data, size_t size)
{
	struct pg_peer_info i, i2;
	struct dec d;
	struct enc e;
	size_t len;
	dec_init(&d, data, size);
	if (pg_peer_info_decode(&d, &i) < 0)
		return;
	enc_init(&e);
	pg_peer_info_encode(&e, &i);
	uint8_t *p = enc_take(&e, &len);
	enc_fini(&e);
	if (p) {
		dec_init(&d, p, len);
		if (pg_peer_info_decode(&d, &i2) != 0 || i2.n_past != i.n_past ||
		    pg_peer_ev_cmp(i2.last_update, i.last_update))
			abort();
		pg_peer_info_fini(&i2);
		mem_free(p);
	}
	pg_peer_info_fini(&i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_peer_msg m;
	if (size < 1)
		return 0;
	if (data[0] == 'I') {
		info_round_trip(data + 1, size - 1);
		return 0;
	}
	if (pg_peer_msg_decode(data + 1, size - 1, &m) < 0)
		return 0;
	round_trip(&m);
	if (data[0] & 1)
		step(0, 1 + data[0] % 3, &m); /* at the primary, from a peer */
	else
		step(1 + data[0] % 2, 0, &m); /* at a replica, from the primary */
	pg_peer_msg_fini(&m);
	return 0;
}
