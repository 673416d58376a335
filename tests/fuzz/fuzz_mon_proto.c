/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_mon_proto.c - the monitor protocol's decoders through the
 * messenger registry, as a received front segment would reach them: the
 * first byte picks the message type, the rest is the front. */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "monc/mon_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct msg_registry *registry(void)
{
	static struct msg_registry *reg;

	if (!reg && msg_registry_create(&reg) == 0 && mon_proto_register(reg) < 0) {
		msg_registry_destroy(reg);
		reg = NULL;
	}
	return reg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_registry *reg = registry();
	struct buf *front;
	struct msg *m;

	if (!reg || size < 1 || buf_create(&front) < 0)
		return 0;
	if (buf_append(front, data + 1, size - 1) < 0) {
		buf_put(front);
		return 0;
	}
	if (msg_registry_decode(reg, (uint16_t)(MON_MSG_COMMAND + data[0] % 10), 1, front, NULL,
	                        NULL, &m) == 0) {
		msg_encode(m);
		msg_put(m);
	}
	return 0;
}
