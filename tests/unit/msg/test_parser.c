/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/msg/test_parser.c - the incremental parser without sockets:
 * byte-at-a-time and batched feeding, zero-copy segment reads, and every
 * kind of bad input (checksums, sizes, truncation) rejected cleanly. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "msg/msg_wire.h"
#include "tests.h"

static struct buf *bytes_buf(const char *s, size_t n)
{
	struct buf *b;

	assert_int_equal(buf_create(&b), 0);
	assert_int_equal(buf_append(b, s, n), 0);
	return b;
}

/* banner + one message frame with all three segments */
static struct buf *sample_stream(uint8_t flags, size_t data_len)
{
	struct msg_frame_hdr h = {
		.tag = MSG_TAG_MESSAGE, .flags = flags, .type = 9, .seq = 1, .priority = 127
	};
	struct buf *front = bytes_buf("front", 5), *mid = bytes_buf("middle", 6), *data, *out;
	struct msg_banner b;
	uint8_t raw[MSG_BANNER_LEN];
	void *p;

	assert_int_equal(buf_create(&data), 0);
	assert_int_equal(buf_append_space(data, data_len, &p), 0);
	for (size_t i = 0; i < data_len; i++)
		((uint8_t *)p)[i] = (uint8_t)(i * 7);
	assert_int_equal(buf_create(&out), 0);
	msg_banner_local(&b);
	msg_banner_encode(&b, raw);
	assert_int_equal(buf_append(out, raw, sizeof(raw)), 0);
	assert_int_equal(msg_frame_build(&h, front, mid, data, out), 0);
	buf_put(front);
	buf_put(mid);
	buf_put(data);
	return out;
}

static void check_frame(const struct msg_frame *f, size_t data_len)
{
	uint8_t tmp[8];

	assert_int_equal(f->h.tag, MSG_TAG_MESSAGE);
	assert_int_equal(f->h.type, 9);
	assert_int_equal(buf_len(f->front), 5);
	assert_int_equal(buf_len(f->middle), 6);
	assert_int_equal(buf_len(f->data), data_len);
	buf_copy_out(f->front, 0, 5, tmp);
	assert_memory_equal(tmp, "front", 5);
	buf_copy_out(f->data, data_len - 1, 1, tmp);
	assert_int_equal(tmp[0], (uint8_t)((data_len - 1) * 7));
}

static int feed_all(struct msg_parser *p, const uint8_t *d, size_t n, size_t step,
                    struct msg_frame *frames, int max)
{
	int got = 0;

	for (size_t off = 0; off < n;) {
		size_t k = n - off < step ? n - off : step;
		const uint8_t *q = d + off;
		size_t left = k;

		while (left > 0) {
			int rc = msg_parser_feed(p, &q, &left, &frames[got]);

			if (rc < 0)
				return rc;
			if (rc == 1 && got < max - 1)
				got++;
			else if (rc == 1)
				msg_frame_fini(&frames[got]);
		}
		off += k;
	}
	return got;
}

static void test_feed_steps(void **state)
{
	size_t steps[] = { 1, 3, 41, 4096, 1 << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct buf *s = sample_stream(MSG_FF_CRC | MSG_FF_DATA_CRC, 10000);
		const uint8_t *d = buf_flatten(s);
		struct msg_frame f[3];
		struct msg_parser p;

		msg_parser_init(&p, 1 << 20, true);
		assert_int_equal(feed_all(&p, d, buf_len(s), steps[i], f, 3), 2);
		assert_int_equal(f[0].h.tag, MSG_TAG_BANNER);
		check_frame(&f[1], 10000);
		assert_true(msg_parser_is_idle(&p));
		msg_frame_fini(&f[1]);
		msg_parser_fini(&p);
		buf_put(s);
	}
}

/* The driver's path: bytes are stored where want() says, i.e. in the
 * frame's own data buffer; the result must point at that same memory. */
static void test_zero_copy(void **state)
{
	struct buf *s = sample_stream(MSG_FF_CRC | MSG_FF_DATA_CRC, 200000);
	const uint8_t *d = buf_flatten(s);
	size_t n = buf_len(s), off = 0;
	struct msg_parser p;
	struct msg_frame f;
	uint8_t *big = NULL;
	const void *peek;
	int rc = 0, frames = 0;

	(void)state;
	msg_parser_init(&p, 1 << 20, true);
	while (off < n) {
		void *dst;
		size_t room;

		assert_int_equal(msg_parser_want(&p, &dst, &room), 0);
		if (room > n - off)
			room = n - off;
		if (room >= 100000)
			big = dst;
		memcpy(dst, d + off, room);
		off += room;
		rc = msg_parser_advance(&p, room, &f);
		assert_true(rc >= 0);
		if (rc == 1 && ++frames == 2)
			break;
		if (rc == 1)
			msg_frame_fini(&f);
	}
	assert_int_equal(frames, 2);
	assert_non_null(big);
	assert_int_equal(buf_nseg(f.data), 1);
	assert_int_equal(buf_peek(f.data, 0, 200000, NULL, &peek), 0);
	assert_ptr_equal(peek, big);
	msg_frame_fini(&f);
	msg_parser_fini(&p);
	buf_put(s);
}

static int parse_bytes(const uint8_t *d, size_t n, uint64_t max, const char **reason)
{
	struct msg_parser p;
	struct msg_frame f;
	int rc = 0;

	msg_parser_init(&p, max, true);
	while (n > 0 && rc >= 0) {
		rc = msg_parser_feed(&p, &d, &n, &f);
		if (rc == 1)
			msg_frame_fini(&f);
	}
	*reason = p.reason;
	if (rc >= 0)
		rc = msg_parser_is_idle(&p) ? 0 : 1; /* 1: truncated */
	msg_parser_fini(&p);
	return rc;
}

static void test_bad_input(void **state)
{
	struct buf *s = sample_stream(MSG_FF_CRC | MSG_FF_DATA_CRC, 1000);
	size_t n = buf_len(s);
	uint8_t *d = test_malloc(n);
	const char *why;

	(void)state;
	buf_copy_out(s, 0, n, d);
	assert_int_equal(parse_bytes(d, n, 1 << 20, &why), 0);
	for (size_t cut = 0; cut < n; cut += 37) /* every truncation is mid-frame */
		assert_int_equal(parse_bytes(d, cut, 1 << 20, &why),
		                 cut == 0 || cut == MSG_BANNER_LEN ? 0 : 1);
	assert_int_equal(parse_bytes(d, n, 1000, &why), -EBADMSG); /* 1011 bytes > max */
	assert_string_equal(why, "frame larger than ms_max_message_size");
	d[0] ^= 1;
	assert_int_equal(parse_bytes(d, n, 1 << 20, &why), -EBADMSG);
	assert_string_equal(why, "bad banner");
	d[0] ^= 1;
	d[MSG_BANNER_LEN + MSG_FRAME_HDR_LEN + 2] ^= 1; /* front byte */
	assert_int_equal(parse_bytes(d, n, 1 << 20, &why), -EBADMSG);
	assert_string_equal(why, "front/middle crc mismatch");
	d[MSG_BANNER_LEN + MSG_FRAME_HDR_LEN + 2] ^= 1;
	d[n - 20] ^= 1; /* data byte */
	assert_int_equal(parse_bytes(d, n, 1 << 20, &why), -EBADMSG);
	assert_string_equal(why, "data crc mismatch");
	d[MSG_BANNER_LEN + 1] ^= 2; /* header flags: crc check now fails */
	assert_int_equal(parse_bytes(d, n, 1 << 20, &why), -EBADMSG);
	test_free(d);
	buf_put(s);
}

static void test_crc_off_and_control(void **state)
{
	struct buf *s = sample_stream(0, 1000), *ctl;
	size_t n = buf_len(s);
	uint8_t *d = test_malloc(n);
	struct msg_frame_hdr h = { .tag = MSG_TAG_HELLO, .flags = MSG_FF_CRC };
	const char *why;

	(void)state;
	buf_copy_out(s, 0, n, d);
	d[n - 20] ^= 1; /* no crc: corruption of data passes (per connection opt-out) */
	assert_int_equal(parse_bytes(d, n, 1 << 20, &why), 0);
	/* a control frame with a data segment is refused */
	assert_int_equal(buf_create(&ctl), 0);
	memcpy(d, "sepiamsg", 8);
	buf_append(ctl, d, MSG_BANNER_LEN);
	h.data_len = 0;
	struct buf *data = bytes_buf("xx", 2);

	assert_int_equal(msg_frame_build(&h, NULL, NULL, data, ctl), 0);
	test_free(d);
	d = test_malloc(buf_len(ctl));
	buf_copy_out(ctl, 0, buf_len(ctl), d);
	assert_int_equal(parse_bytes(d, buf_len(ctl), 1 << 20, &why), -EBADMSG);
	assert_string_equal(why, "oversized control frame");
	buf_put(data);
	buf_put(ctl);
	test_free(d);
	buf_put(s);
}

int test_parser_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_steps),
		cmocka_unit_test(test_zero_copy),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_crc_off_and_control),
	};

	return cmocka_run_group_tests_name("msg_parser", tests, NULL, NULL);
}
