/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/crc.c - crc32c over ISA-L's crc32_iscsi (SSE4.2/PCLMUL/AVX-512 dispatch). */
#include <isa-l/crc.h>
#include <limits.h>

#include "common/crc.h"

#define CHUNK ((size_t)1 << 30) /* ISA-L takes an int length */

static const uint8_t zeros[4096];

uint32_t crc_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		size_t n = len < CHUNK ? len : CHUNK;

		if (!p)
			n = n < sizeof(zeros) ? n : sizeof(zeros);
		crc = crc32_iscsi((unsigned char *)(p ? p : zeros), (int)n, crc);
		if (p)
			p += n;
		len -= n;
	}
	return crc;
}
