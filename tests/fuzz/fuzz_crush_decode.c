/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_crush_decode.c - both binary map decoders (Sepia's and
 * Ceph's) on arbitrary input; an accepted map must map without faults and
 * re-encode identically in Sepia's encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crush/codec.h"
#include "crush/crush.h"
#include "crush/mapper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crush_map *map, *again;
	uint32_t w[64];
	uint8_t *b1, *b2;
	size_t l1, l2;
	void *work;
	int out[6], x, i;
	uint32_t r;

	if (crush_decode(data, size, &map) && crush_decode_ceph(data, size, &map))
		return 0;
	for (i = 0; i < 64; i++)
		w[i] = i % 7 ? 0x10000 : 0x8000;
	work = malloc(crush_work_size(map, 6));
	crush_work_init(map, work, 6);
	for (r = 0; r < map->max_rules && r < 8; r++)
		for (x = 0; x < 8; x++)
			crush_do_rule(map, (int)r, x, out, 6, w, 64, work, NULL);
	free(work);
	if (!crush_encode(map, &b1, &l1)) {
		if (!crush_decode(b1, l1, &again)) {
			if (!crush_encode(again, &b2, &l2)) {
				if (l1 != l2 || memcmp(b1, b2, l1))
					abort(); /* encode(decode(x)) must be stable */
				free(b2);
			}
			crush_map_destroy(again);
		}
		free(b1);
	}
	crush_map_destroy(map);
	return 0;
}
