/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_mon_snapshot.c - monitor snapshot data received from a
 * leader: the store's checker must reject bad input without crashing. */
#include <stddef.h>
#include <stdint.h>

#include "mon/mon_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)mon_store_snapshot_check(data, size);
	return 0;
}
