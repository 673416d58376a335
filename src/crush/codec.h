/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/codec.h - Sepia's binary encoding of a CRUSH map (for the OSDMap).
 * Little-endian, inside a versioned envelope: u8 struct_v, u8 compat_v,
 * u32 payload length; a decoder skips payload bytes it does not know
 * (newer struct_v) and refuses compat_v newer than it understands.
 * Threads: pure functions of their arguments. */
#ifndef SEPIA_CRUSH_CODEC_H
#define SEPIA_CRUSH_CODEC_H
#include <stddef.h>
#include <stdint.h>

struct crush_map;

#define CRUSH_CODEC_MAGIC     "SEPIACRUSH\n" /* 11 bytes before the envelope */
#define CRUSH_CODEC_MAGIC_LEN 11
#define CRUSH_CODEC_STRUCT_V  1
#define CRUSH_CODEC_COMPAT_V  1

/* Encodes map into a buffer the caller owns (free()). 0, -ENOMEM. */
int crush_encode(const struct crush_map *map, uint8_t **out, size_t *len);
/* Decodes and validates; never trusts the input. 0, -EBADMSG (truncated or
 * malformed), -EINVAL (inconsistent map), -ENOTSUP (compat_v too new),
 * -ENOMEM. Caller owns *out; untouched on error. */
int crush_decode(const uint8_t *buf, size_t len, struct crush_map **out);

/* Decodes Ceph's own binary CRUSH map (crushtool -o, ceph osd getcrushmap):
 * buckets, rules, names, tunables, device classes. Same errors as
 * crush_decode; maps carrying choose_args are -ENOTSUP for now. */
#define CRUSH_CEPH_MAGIC_LE "\x00\x00\x01\x00"
int crush_decode_ceph(const uint8_t *buf, size_t len, struct crush_map **out);

#endif /* SEPIA_CRUSH_CODEC_H */
