/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_msg_frame.c - the incremental frame parser fed arbitrary
 * bytes in chunks of varying size (first input byte), with every complete
 * message frame turned into a message through the registry. */
#include <stddef.h>
#include <stdint.h>

#include "msg/msg_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg_registry *reg;
	struct msg_parser p;
	struct msg_frame f;
	size_t chunk;

	if (!reg && (msg_registry_create(&reg) || msg_registry_add(reg, &msg_ping_ops)))
		return 0;
	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	msg_parser_init(&p, 1 << 20, true);
	while (size > 0) {
		size_t n = size < chunk ? size : chunk;
		const uint8_t *q = data;
		size_t left = n;
		int rc = 0;

		while (left > 0 && rc >= 0) {
			rc = msg_parser_feed(&p, &q, &left, &f);
			if (rc == 1 && f.h.tag == MSG_TAG_MESSAGE) {
				struct msg *m;

				if (msg_registry_decode(reg, f.h.type, f.h.version, f.front,
				                        f.middle, f.data, &m) == 0)
					msg_put(m);
				f.front = f.middle = f.data = NULL;
			}
			if (rc == 1)
				msg_frame_fini(&f);
		}
		if (rc < 0)
			break;
		data += n;
		size -= n;
	}
	msg_parser_fini(&p);
	return 0;
}
