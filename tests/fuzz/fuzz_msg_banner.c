/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_msg_banner.c - the banner and the handshake payload
 * decoders (HELLO, CONNECT, ACCEPT, entity, address) on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "common/enc.h"
#include "msg/msg_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_banner b, local;
	struct msg_hello h;
	struct msg_connect c;
	struct msg_entity e;
	struct msg_addr a;
	struct dec d;
	uint64_t x, y;

	if (msg_banner_decode(data, size, &b) == 0) {
		msg_banner_local(&local);
		(void)msg_banner_check(&local, &b);
	}
	(void)msg_hello_decode(data, size, &h);
	(void)msg_connect_decode(data, size, &c);
	(void)msg_accept_decode(data, size, &x, &y);
	dec_init(&d, data, size);
	(void)msg_entity_decode(&d, &e);
	dec_init(&d, data, size);
	(void)msg_addr_decode(&d, &a);
	return 0;
}
