/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/wire.c - byte layouts of the banner, the frame header and footer, and
 * the control payloads (HELLO, CONNECT, ACCEPT). Pure; no allocation except
 * in msg_frame_build and the enc-based encoders.
 *
 * The fixed 40-byte header is written with explicit little-endian stores
 * into a caller array (no enc: the send path must not allocate per frame);
 * it is read back with the bounds-checked dec_* cursor. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/crc.h"
#include "common/enc.h"
#include "msg/msg_wire.h"

#define HELLO_V   1
#define CONNECT_V 1
#define ACCEPT_V  1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

void msg_banner_local(struct msg_banner *b)
{
	b->version = MSG_PROTO_VERSION;
	b->hdr_len = MSG_FRAME_HDR_LEN;
	b->features = MSG_FEATURES_SUPPORTED;
	b->required = MSG_FEATURES_REQUIRED;
}

/* magic[8] u16 version u16 hdr_len u64 features u64 required */
void msg_banner_encode(const struct msg_banner *b, uint8_t out[MSG_BANNER_LEN])
{
	memcpy(out, MSG_BANNER_MAGIC, 8);
	put16(out + 8, b->version);
	put16(out + 10, b->hdr_len);
	put64(out + 12, b->features);
	put64(out + 20, b->required);
}

int msg_banner_decode(const uint8_t *p, size_t n, struct msg_banner *out)
{
	struct msg_banner b;
	struct dec d;

	if (n < MSG_BANNER_LEN || memcmp(p, MSG_BANNER_MAGIC, 8) != 0)
		return -EBADMSG;
	dec_init(&d, p + 8, MSG_BANNER_LEN - 8);
	if (dec_u16(&d, &b.version) || dec_u16(&d, &b.hdr_len) || dec_u64(&d, &b.features) ||
	    dec_u64(&d, &b.required))
		return -EBADMSG;
	if (b.version != MSG_PROTO_VERSION || b.hdr_len != MSG_FRAME_HDR_LEN)
		return -EBADMSG;
	*out = b;
	return 0;
}

int msg_banner_check(const struct msg_banner *local, const struct msg_banner *peer)
{
	if (peer->required & ~local->features)
		return -EPROTO;
	if (local->required & ~peer->features)
		return -EPROTO;
	return 0;
}

/* u8 tag, u8 flags, u16 type, u16 version, u8 priority, u8 0, u64 seq,
 * u64 ack, u32 front_len, u32 middle_len, u32 data_len, u32 crc32c(0..35) */
void msg_frame_hdr_encode(const struct msg_frame_hdr *h, uint8_t out[MSG_FRAME_HDR_LEN])
{
	out[0] = h->tag;
	out[1] = h->flags;
	put16(out + 2, h->type);
	put16(out + 4, h->version);
	out[6] = h->priority;
	out[7] = 0;
	put64(out + 8, h->seq);
	put64(out + 16, h->ack);
	put32(out + 24, h->front_len);
	put32(out + 28, h->middle_len);
	put32(out + 32, h->data_len);
	put32(out + 36, (h->flags & MSG_FF_CRC) ? crc_crc32c(0, out, 36) : 0);
}

int msg_frame_hdr_decode(const uint8_t in[MSG_FRAME_HDR_LEN], struct msg_frame_hdr *h)
{
	struct dec d;
	uint8_t zero;
	uint32_t crc;

	dec_init(&d, in, MSG_FRAME_HDR_LEN);
	if (dec_u8(&d, &h->tag) || dec_u8(&d, &h->flags) || dec_u16(&d, &h->type) ||
	    dec_u16(&d, &h->version) || dec_u8(&d, &h->priority) || dec_u8(&d, &zero) ||
	    dec_u64(&d, &h->seq) || dec_u64(&d, &h->ack) || dec_u32(&d, &h->front_len) ||
	    dec_u32(&d, &h->middle_len) || dec_u32(&d, &h->data_len) || dec_u32(&d, &crc))
		return -EBADMSG;
	if (zero != 0 || h->tag == MSG_TAG_BANNER || h->tag > MSG_TAG_MAX ||
	    (h->flags & ~(MSG_FF_CRC | MSG_FF_DATA_CRC)))
		return -EBADMSG;
	if ((h->flags & MSG_FF_CRC) && crc != crc_crc32c(0, in, 36))
		return -EBADMSG;
	return 0;
}

/* u32 crc32c(front ++ middle), u32 crc32c(data); 0 when not computed */
void msg_frame_ftr_encode(uint32_t front_crc, uint32_t data_crc, uint8_t out[MSG_FRAME_FTR_LEN])
{
	put32(out, front_crc);
	put32(out + 4, data_crc);
}

void msg_frame_fini(struct msg_frame *f)
{
	buf_put(f->front);
	buf_put(f->middle);
	buf_put(f->data);
	f->front = f->middle = f->data = NULL;
}

static size_t blen(const struct buf *b)
{
	return b ? buf_len(b) : 0;
}

static int append_all(struct buf *out, const struct buf *b)
{
	return b && buf_len(b) ? buf_append_buf(out, b, 0, buf_len(b)) : 0;
}

int msg_frame_build(const struct msg_frame_hdr *h, const struct buf *front,
                    const struct buf *middle, const struct buf *data, struct buf *out)
{
	uint8_t hdr[MSG_FRAME_HDR_LEN], ftr[MSG_FRAME_FTR_LEN];
	struct msg_frame_hdr hh = *h;
	uint32_t fcrc = 0, dcrc = 0;
	int rc;

	hh.front_len = (uint32_t)blen(front);
	hh.middle_len = (uint32_t)blen(middle);
	hh.data_len = (uint32_t)blen(data);
	if (hh.flags & MSG_FF_CRC) {
		fcrc = front ? buf_crc32c(front, 0, hh.front_len, 0) : 0;
		fcrc = middle ? buf_crc32c(middle, 0, hh.middle_len, fcrc) : fcrc;
	}
	if ((hh.flags & MSG_FF_DATA_CRC) && data)
		dcrc = buf_crc32c(data, 0, hh.data_len, 0);
	msg_frame_hdr_encode(&hh, hdr);
	msg_frame_ftr_encode(fcrc, dcrc, ftr);
	rc = buf_append(out, hdr, sizeof(hdr));
	if (!rc)
		rc = append_all(out, front);
	if (!rc)
		rc = append_all(out, middle);
	if (!rc)
		rc = append_all(out, data);
	if (!rc)
		rc = buf_append(out, ftr, sizeof(ftr));
	return rc;
}

int msg_hello_encode(const struct msg_hello *h, const struct msg_auth_ops *auth, struct enc *e)
{
	size_t pos = enc_begin(e, HELLO_V, 1), blob;
	int rc = 0;

	msg_entity_encode(&h->entity, e);
	enc_u64(e, h->nonce);
	msg_addr_encode(&h->addr, e);
	enc_str(e, auth->name);
	blob = e->len;
	enc_u32(e, 0); /* auth payload length, patched below */
	if (auth->build)
		rc = auth->build(auth->arg, e);
	enc_patch_u32(e, blob, (uint32_t)(e->len - blob - 4));
	enc_end(e, pos);
	return rc ? rc : enc_error(e);
}

int msg_hello_decode(const void *p, size_t n, struct msg_hello *out)
{
	struct dec d, body;
	struct msg_hello h;
	uint8_t v;

	memset(&h, 0, sizeof(h));
	dec_init(&d, p, n);
	if (dec_begin(&d, HELLO_V, &v, &body))
		return -EBADMSG;
	if (msg_entity_decode(&body, &h.entity) || dec_u64(&body, &h.nonce) ||
	    msg_addr_decode(&body, &h.addr) || dec_str_buf(&body, h.auth, sizeof(h.auth)) ||
	    dec_blob_ref(&body, &h.auth_data, &h.auth_len))
		return -EBADMSG;
	if (h.nonce == 0)
		return -EBADMSG;
	dec_end(&d, &body);
	*out = h;
	return 0;
}

void msg_connect_encode(const struct msg_connect *c, struct enc *e)
{
	size_t pos = enc_begin(e, CONNECT_V, 1);

	enc_u8(e, c->policy);
	enc_u32(e, c->connect_seq);
	enc_u64(e, c->peer_nonce);
	enc_u64(e, c->sess_id);
	enc_u64(e, c->peer_sess);
	enc_u64(e, c->in_seq);
	enc_end(e, pos);
}

int msg_connect_decode(const void *p, size_t n, struct msg_connect *out)
{
	struct dec d, body;
	struct msg_connect c;
	uint8_t v;

	dec_init(&d, p, n);
	if (dec_begin(&d, CONNECT_V, &v, &body))
		return -EBADMSG;
	if (dec_u8(&body, &c.policy) || dec_u32(&body, &c.connect_seq) ||
	    dec_u64(&body, &c.peer_nonce) || dec_u64(&body, &c.sess_id) ||
	    dec_u64(&body, &c.peer_sess) || dec_u64(&body, &c.in_seq))
		return -EBADMSG;
	if (c.policy > MSG_POLICY_SERVER || c.sess_id == 0)
		return -EBADMSG;
	dec_end(&d, &body);
	*out = c;
	return 0;
}

void msg_accept_encode(uint64_t sess_id, uint64_t in_seq, struct enc *e)
{
	size_t pos = enc_begin(e, ACCEPT_V, 1);

	enc_u64(e, sess_id);
	enc_u64(e, in_seq);
	enc_end(e, pos);
}

int msg_accept_decode(const void *p, size_t n, uint64_t *sess_id, uint64_t *in_seq)
{
	struct dec d, body;
	uint8_t v;
	uint64_t id, s;

	dec_init(&d, p, n);
	if (dec_begin(&d, ACCEPT_V, &v, &body) || dec_u64(&body, &id) || dec_u64(&body, &s))
		return -EBADMSG;
	if (id == 0)
		return -EBADMSG;
	dec_end(&d, &body);
	*sess_id = id;
	*in_seq = s;
	return 0;
}
