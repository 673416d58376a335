/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/util.c - data paths, map loading, formatting for the tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crush/crush.h"
#include "crush/text.h"
#include "util.h"

const char *test_data_path(const char *rel)
{
	static char path[4096];
	const char *root = getenv("SEPIA_TEST_DATA");

	snprintf(path, sizeof(path), "%s/crush/%s", root ? root : "tests/data", rel);
	return path;
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

struct crush_map *test_load_map(const char *name)
{
	struct crush_text_error err = { 0 };
	struct crush_map *map = NULL;
	char rel[256];
	size_t len;
	char *text;
	int rc;

	snprintf(rel, sizeof(rel), "maps/%s.txt", name);
	text = test_read_file(test_data_path(rel), &len);
	if (!text)
		fail_msg("cannot read %s", test_data_path(rel));
	rc = crush_text_compile(text, len, &map, &err);
	if (rc)
		fail_msg("%s:%d: %s at '%s' (%d)", name, err.line, err.reason, err.token, rc);
	free(text);
	return map;
}

uint32_t *test_weights(const struct crush_map *map)
{
	uint32_t *w = calloc((size_t)map->max_devices + 1, sizeof(*w));
	int32_t b;
	uint32_t i;

	assert_non_null(w);
	for (b = 0; b < map->max_buckets; b++)
		for (i = 0; map->buckets[b] && i < map->buckets[b]->size; i++)
			if (map->buckets[b]->items[i] >= 0)
				w[map->buckets[b]->items[i]] = CRUSH_WEIGHT_ONE;
	return w;
}

void test_format_vec(char *buf, size_t size, const int *v, int n)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, i ? ",%d" : "%d", v[i]);
}
