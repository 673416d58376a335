/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/crc.h - crc32c (Castagnoli) through ISA-L.
 * Threads: pure, callable from anywhere.
 *
 * Same convention as Ceph's ceph_crc32c(): the caller passes the running value
 * (Ceph seeds with 0 or -1) and nothing is inverted on the way in or out, so
 * crc_crc32c(crc_crc32c(s, a), b) == crc_crc32c(s, a ++ b). The standard
 * check value is ~crc_crc32c(~0u, "123456789", 9) == 0xe3069283. */
#ifndef SEPIA_COMMON_CRC_H
#define SEPIA_COMMON_CRC_H
#include <stddef.h>
#include <stdint.h>

/* data may be NULL: the crc then covers len zero bytes. */
uint32_t crc_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* SEPIA_COMMON_CRC_H */
