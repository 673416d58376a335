/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_store_export.c - the export-format reader (store_import)
 * on arbitrary bytes, importing into a fresh MemStore (no disk I/O). Byte 0
 * is a mode: odd means "patch every record's crc first", so the fuzzer gets
 * past the checksums into the grammar and the apply pass; the rest is the
 * stream. What imports is exported again, which must succeed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc.h"
#include "store/export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rewrites the u32 crc after each envelope (u8, u8, u32 len, body). */
static void fix_crcs(uint8_t *p, size_t n)
{
	size_t off = 0;

	while (n - off >= 10) {
		uint32_t len = (uint32_t)p[off + 2] | (uint32_t)p[off + 3] << 8 |
		               (uint32_t)p[off + 4] << 16 | (uint32_t)p[off + 5] << 24;
		size_t env = 6 + (size_t)len;
		uint32_t crc;

		if (env > n - off || n - off - env < 4)
			return;
		crc = crc_crc32c(UINT32_MAX, p + off, env);
		for (int i = 0; i < 4; i++)
			p[off + env + (size_t)i] = (uint8_t)(crc >> (8 * i));
		off += env + 4;
	}
}

static int discard(const void *p, size_t n, void *arg)
{
	(void)p;
	(void)n;
	(void)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_import_opts o = { .max_object = 16u << 20 };
	struct store_export_stats s;
	struct store *st;
	uint8_t *copy;

	if (size < 1 || !(copy = malloc(size)))
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 1)
		fix_crcs(copy, size - 1);
	if (store_mem_create(&st) == 0) {
		if (store_import(st, copy, size - 1, &o, &s) == 0 &&
		    store_export_coll(st, s.cid, discard, NULL, NULL) != 0)
			abort();
		store_close(st);
	}
	free(copy);
	return 0;
}
