/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_store_txn.c - the replicated-transaction decoder
 * (store_txn_decode: what a replica OSD reads from the network). A
 * transaction that decodes must re-encode to bytes that decode and encode
 * again to the same bytes (anything else traps). */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_txn *t;
	struct buf *b, *again;

	if (buf_create(&b) < 0)
		return 0;
	if (buf_append(b, data, size) == 0 && store_txn_decode(b, &t) == 0) {
		struct store_txn *t2;
		struct buf *third;

		if (store_txn_encode(t, &again) == 0) {
			if (store_txn_decode(again, &t2) != 0)
				__builtin_trap();
			if (store_txn_encode(t2, &third) == 0) {
				if (buf_cmp(again, third) != 0)
					__builtin_trap();
				buf_put(third);
			}
			store_txn_destroy(t2);
			buf_put(again);
		}
		store_txn_destroy(t);
	}
	buf_put(b);
	return 0;
}
