/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_mon_daemon.c - the monitor daemon's decoders: byte 0
 * even: a log entry, split into operations whose map payloads are decoded
 * as the services would; odd: a front segment of message type 40 + byte1%3
 * (raft transport, forward, forward reply) through the registry. */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "maps/fsmap.h"
#include "maps/monmap.h"
#include "maps/osdmap.h"
#include "mon/mon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_op(const struct mon_svc_opref *o)
{
	struct osdmap_inc inc;
	struct fsmap *fm;
	struct monmap mm;
	struct dec d;

	dec_init(&d, o->p, o->len);
	if (o->op == MON_OP_OSDMAP) {
		osdmap_inc_init(&inc, NULL);
		osdmap_inc_decode(&d, &inc);
		osdmap_inc_fini(&inc);
	} else if (o->op == MON_OP_FSMAP && (fm = mem_malloc(sizeof(*fm)))) {
		fsmap_decode(&d, fm);
		mem_free(fm);
	} else if (o->op == MON_OP_MONMAP) {
		monmap_decode(&d, &mm);
	}
}

static void fuzz_entry(const uint8_t *p, size_t n)
{
	struct mon_svc_opref ops[MON_TXN_MAX_OPS];
	size_t nops;

	if (mon_svc_split(p, n, ops, &nops) < 0)
		return;
	for (size_t i = 0; i < nops; i++) {
		mon_svc_op_epoch(&ops[i]);
		decode_op(&ops[i]);
	}
}

static struct msg_registry *registry(void)
{
	static struct msg_registry *reg;

	if (!reg && msg_registry_create(&reg) == 0 && mon_net_register(reg) < 0) {
		msg_registry_destroy(reg);
		reg = NULL;
	}
	return reg;
}

static void fuzz_message(uint8_t which, const uint8_t *p, size_t n)
{
	struct msg_registry *reg = registry();
	struct buf *front;
	struct msg *m;

	if (!reg || buf_create(&front) < 0)
		return;
	if (buf_append(front, p, n) < 0) {
		buf_put(front);
		return;
	}
	if (msg_registry_decode(reg, (uint16_t)(40 + which % 3), 1, front, NULL, NULL, &m) == 0) {
		msg_encode(m);
		msg_put(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_entry(data + 1, size - 1);
	else
		fuzz_message(data[1], data + 2, size - 2);
	return 0;
}
