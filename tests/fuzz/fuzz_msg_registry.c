/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_msg_registry.c - the registry's decode of a front payload
 * into a typed message: byte 0 picks the type, the rest is the front. */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "msg/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg_registry *reg;
	struct buf *front = NULL;
	struct msg *m;

	if (!reg && (msg_registry_create(&reg) || msg_registry_add(reg, &msg_ping_ops)))
		return 0;
	if (size < 1)
		return 0;
	if (size > 1 && (buf_create(&front) || buf_append(front, data + 1, size - 1))) {
		buf_put(front);
		return 0;
	}
	if (msg_registry_decode(reg, data[0] % 3, 1, front, NULL, NULL, &m) == 0)
		msg_put(m);
	return 0;
}
