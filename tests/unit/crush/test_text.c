/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/test_text.c - crushtool text format: decompile of our
 * compile reproduces crushtool's own text byte for byte, is a fixed point,
 * and errors name the line and the token. */
#include <errno.h>
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

static const char *const map_names[] = {
	"straw2_jewel",  "straw_hammer",     "straw_legacy", "list_bobtail",
	"tree_firefly",  "uniform_argonaut", "mixed_hammer", "mixed_jewel",
	"classes_jewel", "wset_jewel",       "bench1000",    "bench12",
};

static void test_roundtrip_golden_maps(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		struct crush_text_error err;
		struct crush_map *map = test_load_map(map_names[i]), *again;
		char rel[128], *text, *out, *out2;
		size_t len, olen, olen2;

		snprintf(rel, sizeof(rel), "maps/%s.txt", map_names[i]);
		text = test_read_file(test_data_path(rel), &len);
		assert_non_null(text);
		assert_int_equal(crush_text_decompile(map, &out, &olen), 0);
		if (olen != len || memcmp(out, text, len))
			fail_msg("%s: decompile differs from crushtool's text", map_names[i]);
		assert_int_equal(crush_text_compile(out, olen, &again, &err), 0);
		assert_int_equal(crush_text_decompile(again, &out2, &olen2), 0);
		assert_int_equal(olen, olen2);
		assert_memory_equal(out, out2, olen);
		free(out2);
		free(out);
		free(text);
		crush_map_destroy(again);
		crush_map_destroy(map);
	}
}

static const char head[] = "device 0 osd.0\ndevice 1 osd.1\ntype 0 osd\ntype 1 root\n";

struct bad_text {
	const char *body; /* appended to head (4 lines) */
	int line;
	const char *token;
};

static const struct bad_text bad_texts[] = {
	{ "bogus 1\n", 5, "bogus" },
	{ "tunable choose_total_tries x\n", 5, "x" },
	{ "tunable no_such_tunable 1\n", 5, "1" },
	{ "device 0 osd.9\n", 5, "osd.9" },
	{ "device -1 osd.9\n", 5, "-1" },
	{ "root r {\n\talg straw9\n}\n", 6, "straw9" },
	{ "root r {\n\talg straw2\n\titem osd.7\n}\n", 7, "osd.7" },
	{ "root r {\n\titem osd.0\n}\n", 6, "item" },
	{ "root r {\n\talg straw2\n\thash 3\n}\n", 7, "3" },
	{ "root r {\n\talg uniform\n\titem osd.0 weight 1\n\titem osd.1 weight 2\n}\n", 8, "2" },
	{ "root r {\n\talg straw2\n\titem osd.0 weight -1\n}\n", 7, "-1" },
	{ "root r {\n\talg straw2\n\titem osd.0\n", 8, "" },
	{ "root r {\n\tid 5\n\talg straw2\n}\n", 6, "5" },
	{ "root r {\n\talg straw2\n\titem osd.0 pos 3\n}\n", 8, "}" },
	{ "rule x {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n\tstep take "
	  "nowhere\n}\n",
	  10, "nowhere" },
	{ "root r {\n\talg straw2\n\titem osd.0\n}\nrule x {\n\tid 0\n\ttype replicated\n"
	  "\tmin_size 1\n\tmax_size 10\n\tstep take r\n\tstep chooseleaf firstn 0 type rack\n"
	  "\tstep emit\n}\n",
	  15, "rack" },
	{ "root r {\n\talg straw2\n\titem osd.0\n}\nrule x {\n\tid 0\n\ttype replicated\n"
	  "\tmin_size 1\n\tmax_size 10\n\tstep take r\n\tstep jump\n}\n",
	  15, "jump" },
	{ "root r {\n\talg straw2\n\titem osd.0\n}\nrule x {\n\tid 0\n\ttype replicated\n"
	  "\tstep take r\n}\n",
	  12, "step" },
	{ "rule x {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n\tstep emit\n}\n"
	  "root r {\n\talg straw2\n}\n",
	  12, "root" },
	{ "root r {\n\talg straw2\n\titem osd.0\n}\nrule x {\n\tid 0\n\ttype replicated\n"
	  "\tmin_size 1\n\tmax_size 10\n\tstep take r class ssd\n}\n",
	  14, "ssd" },
	{ "root r {\n\talg straw2\n\titem osd.0\n\titem osd.1\n}\nchoose_args 0 {\n  {\n"
	  "    bucket_id -1\n    weight_set [\n      [ 1.0 ]\n    ]\n  }\n}\n",
	  14, "]" },
	{ "root r {\n\talg straw2\n\titem osd.0\n\titem osd.1\n}\nchoose_args 0 {\n  {\n"
	  "    bucket_id -7\n  }\n}\n",
	  12, "-7" },
	{ "root r {\n\talg straw2\n\titem osd.0\n\titem osd.1\n}\nchoose_args 0 {\n  {\n"
	  "    bucket_id -1\n    ids [ 1 2 3 ]\n  }\n}\n",
	  13, "]" },
};

static void test_errors_name_line_and_token(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]); i++) {
		struct crush_text_error err = { 0 };
		struct crush_map *map = NULL;
		char text[1024];
		int rc;

		snprintf(text, sizeof(text), "%s%s", head, bad_texts[i].body);
		rc = crush_text_compile(text, strlen(text), &map, &err);
		if (rc != -EINVAL || err.line != bad_texts[i].line ||
		    strcmp(err.token, bad_texts[i].token))
			fail_msg("case %zu: rc %d line %d token '%s' (%s); want line %d token '%s'",
			         i, rc, err.line, err.token, err.reason ? err.reason : "",
			         bad_texts[i].line, bad_texts[i].token);
		assert_null(map);
		assert_non_null(err.reason);
	}
}

static void test_defaults_and_comments(void **state)
{
	static const char text[] =
	    "# comment\ndevice 0 osd.0 # trailing\ndevice 1 osd.1\ntype 0 osd\ntype 1 root\n"
	    "root r{alg straw\nitem osd.0 weight 0.123\nitem osd.1}\n"
	    "rule {id 3 type erasure min_size 2 max_size 4 step take r step emit}\n";
	struct crush_text_error err;
	struct crush_map *map;
	struct crush_bucket *b;

	(void)state;
	assert_int_equal(crush_text_compile(text, sizeof(text) - 1, &map, &err), 0);
	/* unset tunables are the legacy ones, straw_calc_version 0 */
	assert_int_equal(map->choose_total_tries, 19);
	assert_int_equal(map->choose_local_tries, 2);
	assert_int_equal(map->straw_calc_version, 0);
	b = crush_get_bucket(map, -1);
	assert_non_null(b);
	assert_int_equal(b->item_weights[0], (uint32_t)(0.123f * 65536.0f));
	assert_int_equal(b->item_weights[1], 0x10000);
	assert_int_equal(map->max_rules, 4);
	assert_non_null(map->rules[3]);
	assert_int_equal(map->rules[3]->type, CRUSH_RULE_TYPE_ERASURE);
	crush_map_destroy(map);
}

static void test_tunables_profiles(void **state)
{
	static const struct {
		const char *name;
		uint32_t local, fallback, total, once;
		uint8_t vary_r, stable;
		uint32_t algs;
	} p[] = {
		{ "legacy", 2, 5, 19, 0, 0, 0, 22 },  { "argonaut", 2, 5, 19, 0, 0, 0, 22 },
		{ "bobtail", 0, 0, 50, 1, 0, 0, 22 }, { "firefly", 0, 0, 50, 1, 1, 0, 22 },
		{ "hammer", 0, 0, 50, 1, 1, 0, 54 },  { "jewel", 0, 0, 50, 1, 1, 1, 54 },
		{ "optimal", 0, 0, 50, 1, 1, 1, 54 }, { "default", 0, 0, 50, 1, 1, 1, 54 },
	};
	struct crush_map *map;
	size_t i;

	(void)state;
	assert_int_equal(crush_map_create(&map), 0);
	assert_int_equal(map->straw_calc_version, 1);
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		int prof = crush_tunables_parse(p[i].name);

		assert_true(prof >= 0);
		crush_tunables_set(map, (enum crush_tunables_profile)prof);
		assert_int_equal(map->choose_local_tries, p[i].local);
		assert_int_equal(map->choose_local_fallback_tries, p[i].fallback);
		assert_int_equal(map->choose_total_tries, p[i].total);
		assert_int_equal(map->chooseleaf_descend_once, p[i].once);
		assert_int_equal(map->chooseleaf_vary_r, p[i].vary_r);
		assert_int_equal(map->chooseleaf_stable, p[i].stable);
		assert_int_equal(map->allowed_bucket_algs, p[i].algs);
	}
	assert_int_equal(crush_tunables_parse("nope"), -EINVAL);
	crush_map_destroy(map);
}

int test_text_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_golden_maps),
		cmocka_unit_test(test_errors_name_line_and_token),
		cmocka_unit_test(test_defaults_and_comments),
		cmocka_unit_test(test_tunables_profiles),
	};

	return cmocka_run_group_tests_name("crush_text", tests, NULL, NULL);
}
