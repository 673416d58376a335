/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_crush_text.c - the text compiler on arbitrary input; an
 * accepted map must map, decompile, and its text must recompile and settle. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crush/crush.h"
#include "crush/mapper.h"
#include "crush/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct crush_map *map)
{
	uint32_t w[64];
	void *work = malloc(crush_work_size(map, 4));
	int out[4], x, i;
	uint32_t r;

	for (i = 0; i < 64; i++)
		w[i] = i % 5 ? 0x10000 : (uint32_t)i * 1000;
	crush_work_init(map, work, 4);
	for (r = 0; r < map->max_rules; r++)
		for (x = 0; x < 8; x++)
			crush_do_rule(map, (int)r, x, out, 4, w, 64, work, NULL);
	free(work);
}

/* compile + decompile; NULL if the text does not compile. */
static char *cycle(const char *text, size_t len, size_t *olen)
{
	struct crush_text_error err;
	struct crush_map *map;
	char *out = NULL;

	if (crush_text_compile(text, len, &map, &err))
		return NULL;
	if (crush_text_decompile(map, &out, olen))
		out = NULL;
	crush_map_destroy(map);
	return out;
}

/* Text printed with 3-decimal weights can move a weight once (as crushtool's
 * does); from the second round on, decompile(compile(t)) must be a fixed point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crush_text_error err;
	struct crush_map *map;
	char *t1, *t2, *t3;
	size_t l1, l2, l3;

	if (crush_text_compile((const char *)data, size, &map, &err))
		return 0;
	exercise(map);
	crush_map_destroy(map);
	t1 = cycle((const char *)data, size, &l1);
	if (!t1)
		abort(); /* compiled once, must decompile */
	t2 = cycle(t1, l1, &l2);
	t3 = t2 ? cycle(t2, l2, &l3) : NULL;
	if (!t2 || !t3 || l2 != l3 || memcmp(t2, t3, l2))
		abort(); /* our own text must compile and settle */
	free(t3);
	free(t2);
	free(t1);
	return 0;
}
