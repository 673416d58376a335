/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_mon_msg.c - consensus messages from the network: decode
 * must reject or round-trip exactly, and stepping any input through a
 * follower and a leader must keep their invariants (asserted in Debug). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "mon/raft_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct mon_raft_timing timing = {
	.election_ms = 100,
	.heartbeat_ms = 20,
	.lease_ms = 200,
	.keep_versions = 4,
	.max_batch = 4,
	.seed = 1,
};

static void round_trip(const uint8_t *data, size_t size)
{
	struct mon_raft_msg m;
	struct enc e;
	size_t len;

	if (mon_raft_msg_decode(data, size, &m) < 0)
		return;
	enc_init(&e);
	if (mon_raft_msg_encode(&m, &e) == 0) {
		uint8_t *p = enc_take(&e, &len);
		struct mon_raft_msg m2;
		if (mon_raft_msg_decode(p, len, &m2) != 0 || m2.type != m.type ||
		    m2.term != m.term || m2.n_entries != m.n_entries)
			abort();
		mon_raft_msg_fini(&m2);
		mem_free(p);
	}
	enc_fini(&e);
	mon_raft_msg_fini(&m);
}

/* A member 0 of {0,1,2} with a small log; as leader when lead is set. */
static struct mon_raft *instance(bool lead, struct mon_raft_actions *a)
{
	static const struct mon_raft_entry ents[2] = {
		{ .index = 1, .term = 1, .type = MON_RAFT_ENTRY_NOOP },
		{ .index = 2, .term = 2, .type = MON_RAFT_ENTRY_NOOP },
	};
	struct mon_raft_state st = { .term = 2,
		                     .vote = MON_RAFT_NONE,
		                     .commit = 1,
		                     .applied = 1,
		                     .snap_conf = 7,
		                     .entries = ents,
		                     .n_entries = 2 };
	struct mon_raft *r;
	if (mon_raft_create(0, &timing, &st, 1000, &r) < 0)
		return NULL;
	if (lead) { /* win an election: peers 1 and 2 grant */
		mon_raft_tick(r, 1300, a);
		for (uint32_t p = 1; p <= 2; p++) {
			struct mon_raft_msg v = {
				.type = MON_RAFT_MSG_VOTE_RESP, .from = p, .to = 0, .granted = true
			};
			struct enc e;
			size_t len;
			for (int pre = 1; pre >= 0; pre--) {
				v.prevote = pre;
				v.term = mon_raft_term(r) + (pre ? 1 : 0);
				enc_init(&e);
				mon_raft_msg_encode(&v, &e);
				uint8_t *b = enc_take(&e, &len);
				mon_raft_step(r, b, len, 1301, a);
				mem_free(b);
				enc_fini(&e);
			}
		}
	}
	mon_raft_actions_reset(a);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mon_raft_actions a;

	log_set_all_levels(LOG_LVL_NONE);
	round_trip(data, size);
	mon_raft_actions_init(&a);
	for (int lead = 0; lead <= 1; lead++) {
		struct mon_raft *r = instance(lead, &a);
		if (!r)
			continue;
		mon_raft_step(r, data, size, 1400, &a);
		mon_raft_tick(r, 1500, &a);
		mon_raft_actions_reset(&a);
		mon_raft_destroy(r);
	}
	mon_raft_actions_fini(&a);
	return 0;
}
