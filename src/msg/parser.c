/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/parser.c - the incremental frame parser: bytes in, banners and frames
 * out. The socket driver asks where the next bytes go (msg_parser_want) and
 * reads straight there, so segment bytes land in their final struct buf and
 * are never copied after the read; tests and fuzzers use msg_parser_feed.
 *
 * DESIGN
 *   Invariants
 *     - got < length of the current part (banner 28, header 40, segment,
 *       footer 8); a part that completes moves the state on at once.
 *     - In MSG_PS_SEG, f.h is a decoded, size-checked header and space is
 *       either NULL (not yet allocated) or space_len bytes inside the buf of
 *       segment seg; segments of length 0 are skipped, never entered.
 *     - front_len + middle_len + data_len <= max_size; control frames carry
 *       only a front of at most MSG_CONTROL_MAX bytes.
 *     - MSG_PS_ERROR is terminal: the connection is dropped, reason says why.
 *   States
 *     BANNER --28 bytes, good magic--> HDR --40 bytes, good crc--> SEG*
 *     SEG --segment complete--> SEG (next non-empty) | FTR
 *     FTR --8 bytes, good crcs--> HDR (a frame is returned)
 *     any --bad input--> ERROR
 *   Edges
 *     BANNER->HDR banner_done   HDR->SEG/FTR hdr_done   SEG->* seg_done
 *     FTR->HDR ftr_done         *->ERROR fail */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/enc.h"
#include "msg/msg_wire.h"

static void assert_parser_state(const struct msg_parser *p)
{
	assert(p->state <= MSG_PS_ERROR);
	assert(p->state != MSG_PS_SEG || p->seg < 3);
	assert(p->state != MSG_PS_SEG || !p->space || p->got < p->space_len);
	(void)p;
}

void msg_parser_init(struct msg_parser *p, uint64_t max_size, bool expect_banner)
{
	memset(p, 0, sizeof(*p));
	p->max_size = max_size;
	p->state = expect_banner ? MSG_PS_BANNER : MSG_PS_HDR;
}

void msg_parser_fini(struct msg_parser *p)
{
	msg_frame_fini(&p->f);
	p->space = NULL;
}

bool msg_parser_is_idle(const struct msg_parser *p)
{
	return (p->state == MSG_PS_HDR || p->state == MSG_PS_BANNER) && p->got == 0;
}

static int fail(struct msg_parser *p, const char *reason)
{
	msg_frame_fini(&p->f);
	p->space = NULL;
	p->state = MSG_PS_ERROR;
	p->reason = reason;
	return -EBADMSG;
}

static uint32_t seg_len(const struct msg_frame_hdr *h, unsigned seg)
{
	return seg == 0 ? h->front_len : seg == 1 ? h->middle_len : h->data_len;
}

static struct buf **seg_buf(struct msg_frame *f, unsigned seg)
{
	return seg == 0 ? &f->front : seg == 1 ? &f->middle : &f->data;
}

/* Enters the first non-empty segment at or after seg, else the footer. */
static void enter_seg(struct msg_parser *p, unsigned seg)
{
	p->got = 0;
	p->space = NULL;
	while (seg < 3 && seg_len(&p->f.h, seg) == 0)
		seg++;
	p->seg = seg;
	p->state = seg < 3 ? MSG_PS_SEG : MSG_PS_FTR;
}

int msg_parser_want(struct msg_parser *p, void **ptr, size_t *len)
{
	struct buf **b;
	void *space;
	int rc;

	assert_parser_state(p);
	switch (p->state) {
	case MSG_PS_BANNER:
		*ptr = p->scratch + p->got;
		*len = MSG_BANNER_LEN - p->got;
		return 0;
	case MSG_PS_HDR:
		*ptr = p->scratch + p->got;
		*len = MSG_FRAME_HDR_LEN - p->got;
		return 0;
	case MSG_PS_FTR:
		*ptr = p->scratch + p->got;
		*len = MSG_FRAME_FTR_LEN - p->got;
		return 0;
	case MSG_PS_SEG:
		break;
	default:
		return -EBADMSG;
	}
	if (!p->space) {
		b = seg_buf(&p->f, p->seg);
		if (!*b && (rc = buf_create(b)))
			return rc;
		if ((rc = buf_append_space(*b, seg_len(&p->f.h, p->seg), &space)))
			return rc;
		p->space = space;
		p->space_len = seg_len(&p->f.h, p->seg);
	}
	*ptr = p->space + p->got;
	*len = p->space_len - p->got;
	return 0;
}

static int banner_done(struct msg_parser *p, struct msg_frame *out)
{
	memset(out, 0, sizeof(*out));
	if (msg_banner_decode(p->scratch, MSG_BANNER_LEN, &out->banner))
		return fail(p, "bad banner");
	out->h.tag = MSG_TAG_BANNER;
	p->state = MSG_PS_HDR;
	p->got = 0;
	return 1;
}

static int hdr_done(struct msg_parser *p, struct msg_frame *out)
{
	struct msg_frame_hdr *h = &p->f.h;
	uint64_t total;

	if (msg_frame_hdr_decode(p->scratch, h))
		return fail(p, "bad frame header or header crc");
	total = (uint64_t)h->front_len + h->middle_len + h->data_len;
	if (total > p->max_size)
		return fail(p, "frame larger than ms_max_message_size");
	if (h->tag != MSG_TAG_MESSAGE &&
	    (h->middle_len || h->data_len || h->front_len > MSG_CONTROL_MAX))
		return fail(p, "oversized control frame");
	(void)out;
	enter_seg(p, 0);
	return 0;
}

static int seg_done(struct msg_parser *p)
{
	enter_seg(p, p->seg + 1);
	return 0;
}

static int ftr_done(struct msg_parser *p, struct msg_frame *out)
{
	struct msg_frame *f = &p->f;
	struct dec d;
	uint32_t fcrc, dcrc, want = 0;

	dec_init(&d, p->scratch, MSG_FRAME_FTR_LEN);
	if (dec_u32(&d, &fcrc) || dec_u32(&d, &dcrc))
		return fail(p, "bad footer");
	if (f->h.flags & MSG_FF_CRC) {
		if (f->front)
			want = buf_crc32c(f->front, 0, f->h.front_len, 0);
		if (f->middle)
			want = buf_crc32c(f->middle, 0, f->h.middle_len, want);
		if (want != fcrc)
			return fail(p, "front/middle crc mismatch");
	}
	if ((f->h.flags & MSG_FF_DATA_CRC) && f->data &&
	    buf_crc32c(f->data, 0, f->h.data_len, 0) != dcrc)
		return fail(p, "data crc mismatch");
	*out = *f;
	memset(f, 0, sizeof(*f));
	p->state = MSG_PS_HDR;
	p->got = 0;
	return 1;
}

int msg_parser_advance(struct msg_parser *p, size_t n, struct msg_frame *out)
{
	assert_parser_state(p);
	if (p->state == MSG_PS_ERROR)
		return -EBADMSG;
	p->got += n;
	switch (p->state) {
	case MSG_PS_BANNER:
		return p->got < MSG_BANNER_LEN ? 0 : banner_done(p, out);
	case MSG_PS_HDR:
		if (p->got < MSG_FRAME_HDR_LEN)
			return 0;
		if (hdr_done(p, out))
			return -EBADMSG;
		/* a frame with no segments goes straight to its footer */
		return 0;
	case MSG_PS_SEG:
		assert(p->space && p->got <= p->space_len);
		return p->got < p->space_len ? 0 : seg_done(p);
	case MSG_PS_FTR:
		return p->got < MSG_FRAME_FTR_LEN ? 0 : ftr_done(p, out);
	default:
		return -EBADMSG;
	}
}

int msg_parser_feed(struct msg_parser *p, const uint8_t **data, size_t *n, struct msg_frame *out)
{
	void *dst;
	size_t room, take;
	int rc;

	while (*n > 0) {
		rc = msg_parser_want(p, &dst, &room);
		if (rc)
			return rc;
		take = room < *n ? room : *n;
		memcpy(dst, *data, take);
		*data += take;
		*n -= take;
		rc = msg_parser_advance(p, take, out);
		if (rc)
			return rc;
	}
	return 0;
}
