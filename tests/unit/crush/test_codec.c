/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/test_codec.c - binary encoding: round trips keep text and
 * mappings; truncated, corrupted or too-new input is refused, never crashes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crush/codec.h"
#include "crush/crush.h"
#include "crush/mapper.h"
#include "crush/text.h"
#include "util.h"

static const char *const maps[] = {
	"straw2_jewel", "straw_legacy",  "list_bobtail", "tree_firefly", "uniform_argonaut",
	"mixed_jewel",  "classes_jewel", "wset_jewel",   "bench12",
};

/* Same results for every rule over x in [0, 2000). */
static void assert_same_mappings(const struct crush_map *a, const struct crush_map *b)
{
	uint32_t *w = test_weights(a);
	void *wa = malloc(crush_work_size(a, 6)), *wb = malloc(crush_work_size(b, 6));
	int oa[6], ob[6], x, na, nb;
	uint32_t r;

	assert_non_null(wa);
	assert_non_null(wb);
	crush_work_init(a, wa, 6);
	crush_work_init(b, wb, 6);
	for (r = 0; r < a->max_rules; r++) {
		for (x = 0; a->rules[r] && x < 2000; x++) {
			na = crush_do_rule(a, (int)r, x, oa, 6, w, a->max_devices, wa,
			                   crush_choose_args_get(a, 0));
			nb = crush_do_rule(b, (int)r, x, ob, 6, w, b->max_devices, wb,
			                   crush_choose_args_get(b, 0));
			assert_int_equal(na, nb);
			assert_memory_equal(oa, ob, sizeof(int) * (size_t)na);
		}
	}
	free(wb);
	free(wa);
	free(w);
}

static void test_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		struct crush_map *map = test_load_map(maps[i]), *back;
		char *t1, *t2;
		uint8_t *buf;
		size_t len, l1, l2;

		assert_int_equal(crush_encode(map, &buf, &len), 0);
		assert_int_equal(crush_decode(buf, len, &back), 0);
		assert_int_equal(crush_text_decompile(map, &t1, &l1), 0);
		assert_int_equal(crush_text_decompile(back, &t2, &l2), 0);
		assert_int_equal(l1, l2);
		assert_memory_equal(t1, t2, l1);
		assert_same_mappings(map, back);
		free(t2);
		free(t1);
		free(buf);
		crush_map_destroy(back);
		crush_map_destroy(map);
	}
}

static void test_truncation_and_corruption(void **state)
{
	struct crush_map *map = test_load_map("classes_jewel"), *back;
	uint8_t *buf, *copy;
	size_t len, i;
	int rc, ok = 0;

	(void)state;
	assert_int_equal(crush_encode(map, &buf, &len), 0);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < len; i++) {
		memcpy(copy, buf, i);
		rc = crush_decode(copy, i, &back);
		assert_true(rc == -EBADMSG || rc == -EINVAL);
	}
	for (i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= (uint8_t)(0x5a + i);
		rc = crush_decode(copy, len, &back);
		assert_true(rc == 0 || rc == -EBADMSG || rc == -EINVAL || rc == -ENOTSUP);
		if (rc == 0) { /* a still-valid map must map without faults */
			uint32_t *w = test_weights(back);
			void *work = malloc(crush_work_size(back, 4));
			int out[4], x;

			crush_work_init(back, work, 4);
			for (x = 0; x < 50; x++)
				crush_do_rule(back, 0, x, out, 4, w, back->max_devices, work, NULL);
			free(work);
			free(w);
			crush_map_destroy(back);
			ok++;
		}
	}
	assert_true(ok < (int)len);
	free(copy);
	free(buf);
	crush_map_destroy(map);
}

static void test_envelope_versions(void **state)
{
	struct crush_map *map = test_load_map("bench12"), *back;
	size_t len, off = CRUSH_CODEC_MAGIC_LEN;
	uint8_t *buf, *big;
	uint32_t plen;

	(void)state;
	assert_int_equal(crush_encode(map, &buf, &len), 0);
	assert_int_equal(buf[off], CRUSH_CODEC_STRUCT_V);
	/* A newer struct_v with a longer payload still decodes (tail skipped). */
	big = calloc(1, len + 16);
	assert_non_null(big);
	memcpy(big, buf, len);
	big[off] = CRUSH_CODEC_STRUCT_V + 1;
	plen = (uint32_t)(len - off - 6 + 16);
	big[off + 2] = (uint8_t)plen;
	big[off + 3] = (uint8_t)(plen >> 8);
	big[off + 4] = (uint8_t)(plen >> 16);
	big[off + 5] = (uint8_t)(plen >> 24);
	assert_int_equal(crush_decode(big, len + 16, &back), 0);
	crush_map_destroy(back);
	/* compat_v beyond ours is refused. */
	big[off + 1] = CRUSH_CODEC_STRUCT_V + 1;
	assert_int_equal(crush_decode(big, len + 16, &back), -ENOTSUP);
	/* a length past the end is malformed */
	buf[off + 5] = 0x7f;
	assert_int_equal(crush_decode(buf, len, &back), -EBADMSG);
	buf[0] = 'X';
	assert_int_equal(crush_decode(buf, len, &back), -EBADMSG);
	free(big);
	free(buf);
	crush_map_destroy(map);
}

/* crushtool's binary maps decode to the very map crushtool decompiles. */
static void test_ceph_binary(void **state)
{
	static const char *const all[] = {
		"straw2_jewel",  "straw_hammer",     "straw_legacy", "list_bobtail",
		"tree_firefly",  "uniform_argonaut", "mixed_hammer", "mixed_jewel",
		"classes_jewel", "wset_jewel",       "bench1000",    "bench12",
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct crush_map *text = test_load_map(all[i]), *bin;
		char rel[128], *canon, *out;
		size_t clen, blen, olen;
		uint8_t *buf;

		snprintf(rel, sizeof(rel), "maps/%s.bin", all[i]);
		buf = (uint8_t *)test_read_file(test_data_path(rel), &blen);
		assert_non_null(buf);
		assert_int_equal(crush_decode_ceph(buf, blen, &bin), 0);
		snprintf(rel, sizeof(rel), "maps/%s.txt", all[i]);
		canon = test_read_file(test_data_path(rel), &clen);
		assert_int_equal(crush_text_decompile(bin, &out, &olen), 0);
		if (olen != clen || memcmp(out, canon, clen))
			fail_msg("%s: Ceph binary decodes to a different map", all[i]);
		assert_same_mappings(text, bin);
		for (j = 0; j < blen; j += 1 + j / 16) { /* truncations never crash */
			struct crush_map *m;
			int rc = crush_decode_ceph(buf, j, &m);

			if (!rc)
				crush_map_destroy(m);
		}
		free(out);
		free(canon);
		free(buf);
		crush_map_destroy(bin);
		crush_map_destroy(text);
	}
}

int test_codec_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncation_and_corruption),
		cmocka_unit_test(test_envelope_versions),
		cmocka_unit_test(test_ceph_binary),
	};

	return cmocka_run_group_tests_name("crush_codec", tests, NULL, NULL);
}
