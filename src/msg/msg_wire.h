/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* msg/msg_wire.h - the pure protocol core: banner, frame header, incremental
 * frame parser, control payloads and the lossless session bookkeeping.
 * Threads: none; every object here belongs to one thread at a time. Nothing
 * here touches a socket, so tests and fuzzers drive it with byte arrays. */
#ifndef SEPIA_MSG_WIRE_H
#define SEPIA_MSG_WIRE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/list.h"
#include "msg/msg.h"

/* ---- banner: the first bytes each side sends ---- */
#define MSG_BANNER_MAGIC       "sepiamsg"
#define MSG_BANNER_LEN         28
#define MSG_PROTO_VERSION      1
#define MSG_FEATURES_SUPPORTED 0x1ull /* bit 0: protocol v1 frames */
#define MSG_FEATURES_REQUIRED  0x1ull

struct msg_banner {
	uint16_t version;
	uint16_t hdr_len; /* MSG_FRAME_HDR_LEN; lets a peer reject layouts */
	uint64_t features, required;
};
void msg_banner_encode(const struct msg_banner *b, uint8_t out[MSG_BANNER_LEN]);
/* 0 or -EBADMSG (magic, version, header length). */
int msg_banner_decode(const uint8_t *p, size_t n, struct msg_banner *out);
void msg_banner_local(struct msg_banner *b);
/* 0, or -EPROTO when peer requires features we lack (or the reverse). */
int msg_banner_check(const struct msg_banner *local, const struct msg_banner *peer);

/* ---- frames ---- */
enum msg_tag {
	MSG_TAG_BANNER = 0,  /* parser event only, never on the wire */
	MSG_TAG_HELLO = 1,   /* front: identity + auth */
	MSG_TAG_CONNECT = 2, /* front: session request (connector) */
	MSG_TAG_ACCEPT = 3,  /* front: our in_seq (acceptor) */
	MSG_TAG_WAIT = 4,    /* lost a connect race: wait for the peer */
	MSG_TAG_RESET = 5,   /* session unknown: reset and retry */
	MSG_TAG_MESSAGE = 6,
	MSG_TAG_ACK = 7,           /* ack field only */
	MSG_TAG_KEEPALIVE = 8,     /* seq carries a wall-clock stamp */
	MSG_TAG_KEEPALIVE_ACK = 9, /* echoes the stamp in seq */
	MSG_TAG_MAX = 9,
};

enum msg_frame_flag {
	MSG_FF_CRC = 1 << 0,      /* header crc and front/middle crc are valid */
	MSG_FF_DATA_CRC = 1 << 1, /* data crc is valid */
};

#define MSG_FRAME_HDR_LEN 40
#define MSG_FRAME_FTR_LEN 8
#define MSG_CONTROL_MAX   65536 /* largest front of a control frame */

struct msg_frame_hdr {
	uint8_t tag, flags;
	uint16_t type, version;
	uint8_t priority;
	uint64_t seq, ack;
	uint32_t front_len, middle_len, data_len;
};
/* Writes the 40 header bytes, with a crc when MSG_FF_CRC is set. */
void msg_frame_hdr_encode(const struct msg_frame_hdr *h, uint8_t out[MSG_FRAME_HDR_LEN]);
/* 0 or -EBADMSG (crc, unknown tag, reserved bits). Does not check sizes. */
int msg_frame_hdr_decode(const uint8_t in[MSG_FRAME_HDR_LEN], struct msg_frame_hdr *h);
void msg_frame_ftr_encode(uint32_t front_crc, uint32_t data_crc, uint8_t out[MSG_FRAME_FTR_LEN]);

/* A whole frame, the parser's output. Bufs are owned by the holder. */
struct msg_frame {
	struct msg_frame_hdr h;
	struct msg_banner banner; /* when h.tag == MSG_TAG_BANNER */
	struct buf *front, *middle, *data;
};
void msg_frame_fini(struct msg_frame *f); /* puts the bufs */

/* Encodes a whole frame (header, segments, footer) into out, copying: for
 * control frames and tests; messages go out through iovecs instead. */
int msg_frame_build(const struct msg_frame_hdr *h, const struct buf *front,
                    const struct buf *middle, const struct buf *data, struct buf *out);

/* ---- parser: feed bytes in, get banners and frames out ---- */
enum msg_parser_state { MSG_PS_BANNER, MSG_PS_HDR, MSG_PS_SEG, MSG_PS_FTR, MSG_PS_ERROR };

struct msg_parser {
	enum msg_parser_state state;
	uint64_t max_size; /* front + middle + data limit */
	size_t got;        /* bytes of the current part so far */
	unsigned seg;      /* 0 front, 1 middle, 2 data (MSG_PS_SEG) */
	uint8_t *space;    /* contiguous room of the current segment */
	size_t space_len;
	uint8_t scratch[MSG_FRAME_HDR_LEN];
	struct msg_frame f; /* under construction */
	const char *reason; /* why the last call failed (for logs) */
};
void msg_parser_init(struct msg_parser *p, uint64_t max_size, bool expect_banner);
void msg_parser_fini(struct msg_parser *p);
/* Where the next bytes belong: *len >= 1 contiguous bytes at *ptr. 0, or
 * -ENOMEM (segment allocation), -EBADMSG in the error state. */
int msg_parser_want(struct msg_parser *p, void **ptr, size_t *len);
/* n bytes were stored at the want() area. Returns 1 and fills *out when a
 * banner or frame completed (caller owns its bufs), 0 when more is needed,
 * -EBADMSG (reason set) on bad input; errors are sticky. */
int msg_parser_advance(struct msg_parser *p, size_t n, struct msg_frame *out);
/* Copies from *data (advancing it and *n) until one banner/frame completes
 * or the input is used up; same results as msg_parser_advance. */
int msg_parser_feed(struct msg_parser *p, const uint8_t **data, size_t *n, struct msg_frame *out);
/* True between frames (the peer may close here without truncating). */
bool msg_parser_is_idle(const struct msg_parser *p);

/* ---- control payloads (front of HELLO / CONNECT / ACCEPT / RESET) ---- */
struct msg_hello {
	struct msg_entity entity;
	uint64_t nonce;
	struct msg_addr addr;  /* where the sender listens, family 0 if nowhere */
	char auth[16];         /* auth method name */
	const void *auth_data; /* points into the decoded buffer */
	uint32_t auth_len;
};
struct msg_connect {
	uint8_t policy;       /* enum msg_policy of the connector */
	uint32_t connect_seq; /* attempt counter, grows per attempt */
	uint64_t peer_nonce;  /* acceptor nonce the connector saw in HELLO */
	uint64_t sess_id;     /* the connector's session id */
	uint64_t peer_sess;   /* acceptor session id it knows, 0 if none */
	uint64_t in_seq;      /* last seq the connector received */
};
int msg_hello_encode(const struct msg_hello *h, const struct msg_auth_ops *auth, struct enc *e);
int msg_hello_decode(const void *p, size_t n, struct msg_hello *out);
void msg_connect_encode(const struct msg_connect *c, struct enc *e);
int msg_connect_decode(const void *p, size_t n, struct msg_connect *out);
void msg_accept_encode(uint64_t sess_id, uint64_t in_seq, struct enc *e);
int msg_accept_decode(const void *p, size_t n, uint64_t *sess_id, uint64_t *in_seq);

/* ---- lossless session bookkeeping ---- */
struct msg_session {
	uint64_t sess_id;          /* ours; changes at every reset (never 0) */
	uint64_t peer_sess;        /* the peer's, once a socket opened; 0 = none */
	uint64_t peer_nonce;       /* incarnation the session belongs to, 0 unknown */
	uint64_t in_seq;           /* last seq delivered from the peer */
	uint64_t acked_in;         /* last in_seq we told the peer */
	uint32_t connect_seq;      /* our attempts */
	uint32_t peer_connect_seq; /* highest attempt of the peer we accepted */
	struct list_node out;      /* to write, seq order (struct msg.node) */
	struct list_node sent;     /* written, unacked, seq order */
};
enum msg_rx { MSG_RX_DELIVER, MSG_RX_DUP };

void msg_session_init(struct msg_session *s, uint64_t sess_id);
/* Moves every queued message to dropped, forgets the peer and takes the new
 * session id (sess_id != 0, unique within this messenger). */
void msg_session_reset(struct msg_session *s, uint64_t sess_id, struct list_node *dropped);
/* Releases sent messages with seq <= ack into freed. Returns how many. */
size_t msg_session_ack(struct msg_session *s, uint64_t ack, struct list_node *freed);
/* After a reconnect: acks up to peer_in_seq, then puts the rest of sent back
 * in front of out for resending. Returns how many were released. */
size_t msg_session_requeue(struct msg_session *s, uint64_t peer_in_seq, struct list_node *freed);
/* Lossless receive check: MSG_RX_DELIVER (advances in_seq), MSG_RX_DUP, or
 * -EBADMSG for a gap (a protocol violation). */
int msg_session_rx(struct msg_session *s, uint64_t seq);
/* Connect race tie-break: true when (a, an) wins over (b, bn), i.e. a's
 * outgoing connection is kept. Deterministic and antisymmetric. */
bool msg_session_wins_race(const struct msg_entity *a, uint64_t an, const struct msg_entity *b,
                           uint64_t bn);

enum msg_verdict {
	MSG_V_ACCEPT,          /* take the incoming socket */
	MSG_V_ACCEPT_REPLACE,  /* take it and close the current socket */
	MSG_V_ACCEPT_NEW_PEER, /* peer restarted or reset: reset ours, then take it */
	MSG_V_WAIT,            /* we win the race: tell the peer to wait */
	MSG_V_RESET,           /* peer expects a session we do not have */
	MSG_V_STALE,           /* an older attempt than one already accepted */
};
enum msg_cur_sock { MSG_CUR_NONE, MSG_CUR_CONNECTING, MSG_CUR_OPEN };
/* The acceptor's decision for a CONNECT, from its session and what socket
 * the connection currently has. i_win: msg_session_wins_race(me, peer). */
enum msg_verdict msg_session_verdict(const struct msg_session *s, uint64_t hello_nonce,
                                     const struct msg_connect *c, enum msg_cur_sock cur,
                                     bool i_win);

#endif /* SEPIA_MSG_WIRE_H */
