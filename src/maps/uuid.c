/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/uuid.c - uuid text form and generation. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "maps/uuid.h"

const char *maps_uuid_str(const uint8_t u[16], char buf[MAPS_UUID_STR_LEN])
{
	size_t n = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[n++] = '-';
		n += (size_t)snprintf(buf + n, MAPS_UUID_STR_LEN - n, "%02x", u[i]);
	}
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int maps_uuid_parse(const char *s, uint8_t out[16])
{
	uint8_t u[16];
	int k = 0;

	if (strlen(s) != MAPS_UUID_STR_LEN - 1)
		return -EINVAL;
	for (int i = 0; i < MAPS_UUID_STR_LEN - 1;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(out, u, 16);
	return 0;
}

int maps_uuid_generate(uint8_t out[16])
{
	if (getrandom(out, 16, 0) != 16)
		return -errno;
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
	return 0;
}
