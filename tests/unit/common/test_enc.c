/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_enc.c - round trips, envelopes across versions,
 * truncation at every byte, forged counts, injected allocation failure. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/enc.h"
#include "common/mem.h"
#include "tests.h"

/* A sample type in two versions: v2 added "extra". */
struct sample {
	uint32_t id;
	char name[32];
	uint64_t extra; /* v2 */
};

static void sample_encode(struct enc *e, const struct sample *s, uint8_t v)
{
	size_t at = enc_begin(e, v, 1);

	enc_u32(e, s->id);
	enc_str(e, s->name);
	if (v >= 2)
		enc_u64(e, s->extra);
	enc_end(e, at);
}

/* A v1 reader: skips whatever a newer writer appended. */
static int sample_decode_v1(struct dec *d, struct sample *s)
{
	struct dec body;
	uint8_t v;
	int rc = dec_begin(d, 1, &v, &body);

	if (rc == 0)
		rc = dec_u32(&body, &s->id);
	if (rc == 0)
		rc = dec_str_buf(&body, s->name, sizeof(s->name));
	if (rc == 0)
		dec_end(d, &body);
	return rc;
}

static int sample_decode_v2(struct dec *d, struct sample *s)
{
	struct dec body;
	uint8_t v;
	int rc = dec_begin(d, 2, &v, &body);

	if (rc == 0)
		rc = dec_u32(&body, &s->id);
	if (rc == 0)
		rc = dec_str_buf(&body, s->name, sizeof(s->name));
	s->extra = 0;
	if (rc == 0 && v >= 2)
		rc = dec_u64(&body, &s->extra);
	if (rc == 0)
		dec_end(d, &body);
	return rc;
}

static void test_integers_round_trip(void **state)
{
	struct enc e;
	struct dec d;
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t x;
	int32_t s;
	int64_t t;
	bool f;
	double g;

	(void)state;
	enc_init(&e);
	enc_u8(&e, 0xab);
	enc_u16(&e, 0xbeef);
	enc_u32(&e, 0xdeadbeef);
	enc_u64(&e, 0x0123456789abcdefULL);
	enc_s32(&e, -5);
	enc_s64(&e, INT64_MIN);
	enc_bool(&e, true);
	enc_double(&e, 2.5);
	assert_int_equal(enc_error(&e), 0);
	assert_int_equal(e.len, 1 + 2 + 4 + 8 + 4 + 8 + 1 + 8);
	assert_int_equal(e.data[1], 0xef); /* little-endian */
	dec_init(&d, e.data, e.len);
	assert_int_equal(dec_u8(&d, &a), 0);
	assert_int_equal(a, 0xab);
	assert_int_equal(dec_u16(&d, &b), 0);
	assert_int_equal(b, 0xbeef);
	assert_int_equal(dec_u32(&d, &c), 0);
	assert_int_equal(c, 0xdeadbeef);
	assert_int_equal(dec_u64(&d, &x), 0);
	assert_true(x == 0x0123456789abcdefULL);
	assert_int_equal(dec_s32(&d, &s), 0);
	assert_int_equal(s, -5);
	assert_int_equal(dec_s64(&d, &t), 0);
	assert_true(t == INT64_MIN);
	assert_int_equal(dec_bool(&d, &f), 0);
	assert_true(f);
	assert_int_equal(dec_double(&d, &g), 0);
	assert_true(g == 2.5);
	assert_int_equal(dec_left(&d), 0);
	assert_int_equal(dec_u8(&d, &a), -EBADMSG);
	enc_fini(&e);
}

static void test_versions_skip_and_reject(void **state)
{
	struct sample in = { .id = 7, .name = "seven", .extra = 99 }, out;
	struct enc e;
	struct dec d;

	(void)state;
	/* new writer, old reader: the tail is skipped, the next item still reads */
	enc_init(&e);
	sample_encode(&e, &in, 2);
	enc_u32(&e, 0x55aa55aa);
	dec_init(&d, e.data, e.len);
	assert_int_equal(sample_decode_v1(&d, &out), 0);
	assert_int_equal(out.id, 7);
	assert_string_equal(out.name, "seven");
	uint32_t after;
	assert_int_equal(dec_u32(&d, &after), 0);
	assert_int_equal(after, 0x55aa55aa);
	enc_fini(&e);
	/* old writer, new reader: the new field defaults */
	enc_init(&e);
	sample_encode(&e, &in, 1);
	dec_init(&d, e.data, e.len);
	assert_int_equal(sample_decode_v2(&d, &out), 0);
	assert_int_equal(out.extra, 0);
	enc_fini(&e);
	/* a writer that declares old readers incompatible */
	enc_init(&e);
	size_t at = enc_begin(&e, 3, 3);
	enc_end(&e, at);
	dec_init(&d, e.data, e.len);
	assert_int_equal(sample_decode_v2(&d, &out), -EPROTONOSUPPORT);
	assert_int_equal(dec_left(&d), e.len); /* cursor untouched on error */
	enc_fini(&e);
}

static void test_truncation_everywhere(void **state)
{
	struct sample in = { .id = 1, .name = "truncate-me", .extra = 3 }, out;
	struct enc e;

	(void)state;
	enc_init(&e);
	sample_encode(&e, &in, 2);
	for (size_t n = 0; n < e.len; n++) {
		struct dec d;

		dec_init(&d, e.data, n);
		assert_int_equal(sample_decode_v2(&d, &out), -EBADMSG);
	}
	enc_fini(&e);
}

static void test_malformed(void **state)
{
	static const uint8_t bad_bool[] = { 2 };
	static const uint8_t big_str[] = { 0xff, 0xff, 0xff, 0x7f, 'a' };
	static const uint8_t nul_str[] = { 3, 0, 0, 0, 'a', 0, 'b' };
	static const uint8_t forged_count[] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
	static const uint8_t compat_gt_v[] = { 1, 2, 0, 0, 0, 0 };
	struct dec d;
	bool b;
	char s[8], *dup = NULL;
	uint32_t n;

	(void)state;
	dec_init(&d, bad_bool, sizeof(bad_bool));
	assert_int_equal(dec_bool(&d, &b), -EBADMSG);
	dec_init(&d, big_str, sizeof(big_str));
	assert_int_equal(dec_str_buf(&d, s, sizeof(s)), -EBADMSG);
	assert_int_equal(dec_str_dup(&d, 1 << 20, &dup), -EBADMSG);
	dec_init(&d, nul_str, sizeof(nul_str));
	assert_int_equal(dec_str_buf(&d, s, sizeof(s)), -EBADMSG);
	dec_init(&d, forged_count, sizeof(forged_count));
	assert_int_equal(dec_count(&d, 1, &n), -EBADMSG);
	dec_init(&d, compat_gt_v, sizeof(compat_gt_v));
	uint8_t v;
	struct dec body;
	assert_int_equal(dec_begin(&d, 9, &v, &body), -EBADMSG);
	assert_null(dup);
}

static void test_strings_and_blobs(void **state)
{
	struct enc e;
	struct dec d;
	const void *p;
	uint32_t n;
	char *s;
	char small[4];

	(void)state;
	enc_init(&e);
	enc_str(&e, "hello");
	enc_str(&e, NULL);
	enc_blob(&e, "\0\1\2", 3);
	enc_str(&e, "toolong");
	dec_init(&d, e.data, e.len);
	assert_int_equal(dec_str_dup(&d, 100, &s), 0);
	assert_string_equal(s, "hello");
	mem_free(s);
	assert_int_equal(dec_str_dup(&d, 100, &s), 0);
	assert_string_equal(s, "");
	mem_free(s);
	assert_int_equal(dec_blob_ref(&d, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\0\1\2", 3);
	assert_int_equal(dec_str_buf(&d, small, sizeof(small)), -EBADMSG);
	assert_int_equal(dec_str_dup(&d, 3, &s), -EBADMSG);
	assert_int_equal(dec_str_dup(&d, 7, &s), 0);
	mem_free(s);
	enc_fini(&e);
}

static void test_blob_dup(void **state)
{
	static const uint8_t two[] = { 2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0 };
	uint8_t *p = NULL;
	uint32_t n = 9;
	struct dec d;

	(void)state;
	dec_init(&d, two, sizeof(two));
	assert_int_equal(dec_blob_dup(&d, 1, &p, &n), -EBADMSG); /* over max */
	assert_int_equal(dec_left(&d), sizeof(two));
	assert_int_equal(dec_blob_dup(&d, 2, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal((char *)p, "hi");
	mem_free(p);
	assert_int_equal(dec_blob_dup(&d, 2, &p, &n), 0); /* empty: still allocated */
	assert_int_equal(n, 0);
	assert_non_null(p);
	mem_free(p);
	assert_int_equal(dec_blob_dup(&d, 2, &p, &n), -EBADMSG); /* truncated */
}

static void test_array(void **state)
{
	static const uint8_t three[] = { 3, 0, 0, 0, 1, 2, 3 };
	static const uint8_t forged[] = { 0xff, 0xff, 0, 0, 1 };
	uint8_t *arr = (void *)1;
	uint32_t n = 99;
	struct dec d;

	(void)state;
	dec_init(&d, three, sizeof(three));
	assert_int_equal(dec_array(&d, 1, sizeof(uint64_t), (void **)&arr, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(((uint64_t *)(void *)arr)[2], 0); /* zeroed */
	assert_int_equal(dec_left(&d), 3);
	mem_free(arr);
	dec_init(&d, forged, sizeof(forged));
	arr = (void *)1;
	assert_int_equal(dec_array(&d, 1, 8, (void **)&arr, &n), -EBADMSG);
	assert_ptr_equal(arr, (void *)1);
	dec_init(&d, three, sizeof(three));
	mem_fail_at(1);
	assert_int_equal(dec_array(&d, 1, 8, (void **)&arr, &n), -ENOMEM);
	assert_int_equal(dec_left(&d), sizeof(three)); /* cursor untouched */
	assert_ptr_equal(arr, (void *)1);
}

static void test_sticky_enomem(void **state)
{
	struct enc e;
	size_t len;

	(void)state;
	enc_init(&e);
	mem_fail_at(1);
	enc_u64(&e, 1);
	enc_str(&e, "after failure");
	assert_int_equal(enc_error(&e), -ENOMEM);
	enc_fini(&e);
	enc_init(&e);
	enc_u32(&e, 5);
	uint8_t *taken = enc_take(&e, &len);
	assert_int_equal(len, 4);
	assert_int_equal(e.len, 0);
	mem_free(taken);
}

int test_enc_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_round_trip),
		cmocka_unit_test(test_versions_skip_and_reject),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_strings_and_blobs),
		cmocka_unit_test(test_blob_dup),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_sticky_enomem),
	};
	return cmocka_run_group_tests_name("enc", tests, NULL, NULL);
}
