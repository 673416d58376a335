/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_osd_proto.c - the OSD protocol's decoders: the six
 * messages (op, reply, repop, repop reply, ping, ping reply, peering, push,
 * and scrub, scrub map, repair, repair reply: rados/osd_scrub_proto.h) through the
 * messenger registry (front and data segments as a receiver gets them) and
 * the payload encodings an OSD or a client decodes from op data. Byte 0 picks the decoder; for messages byte 1 says how many
 * of the remaining bytes (x 4, capped) form the data segment. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/mem.h"
#include "rados/osd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct msg_registry *registry(void)
{
	static struct msg_registry *reg;

	if (!reg && msg_registry_create(&reg) == 0 && osd_proto_register(reg) < 0) {
		msg_registry_destroy(reg);
		reg = NULL;
	}
	return reg;
}

static void message(uint16_t type, const uint8_t *p, size_t n)
{
	struct msg_registry *reg = registry();
	struct buf *front = NULL, *seg = NULL;
	size_t dlen;
	struct msg *m;

	if (!reg || n < 1)
		return;
	dlen = (size_t)p[0] * 4;
	p++;
	n--;
	if (dlen > n)
		dlen = n;
	if (buf_create(&front) < 0 || buf_append(front, p, n - dlen) < 0 ||
	    (dlen && (buf_create(&seg) < 0 || buf_append(seg, p + n - dlen, dlen) < 0))) {
		buf_put(front);
		buf_put(seg);
		return;
	}
	if (msg_registry_decode(reg, type, 1, front, NULL, seg, &m) == 0) {
		msg_encode(m);
		msg_put(m);
	}
}

static void payload(uint8_t which, const uint8_t *p, size_t n)
{
	struct osd_list_cursor cur;
	struct osd_list_entry *ents;
	struct osd_log_entry le;
	struct osd_kv *kv;
	struct dec d;
	uint32_t cnt;
	bool end;

	dec_init(&d, p, n);
	switch (which % 5) {
	case 0:
	case 1:
		if (osd_kv_decode(&d, which % 5 == 0, &kv, &cnt) == 0)
			osd_kv_free(kv, cnt);
		break;
	case 2:
		if (osd_list_cursor_decode(&d, &cur) == 0)
			osd_list_cursor_fini(&cur);
		break;
	case 3:
		if (osd_list_reply_decode(&d, &ents, &cnt, &cur, &end) == 0) {
			osd_list_entries_free(ents, cnt);
			osd_list_cursor_fini(&cur);
		}
		break;
	default:
		if (osd_log_entry_decode(&d, &le) == 0)
			osd_log_entry_fini(&le);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] < 128)
		message((uint16_t)(OSD_MSG_OP + data[0] % 12), data + 1, size - 1);
	else
		payload(data[0], data + 1, size - 1);
	return 0;
}
