/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/uuid.h - cluster fsids as 16 bytes and as 8-4-4-4-12 text. */
#ifndef SEPIA_MAPS_UUID_H
#define SEPIA_MAPS_UUID_H
#include <stdint.h>

#define MAPS_UUID_STR_LEN 37 /* with the NUL */

/* Writes the canonical lower-case form into buf; returns buf. */
const char *maps_uuid_str(const uint8_t u[16], char buf[MAPS_UUID_STR_LEN]);
/* 0 or -EINVAL. */
int maps_uuid_parse(const char *s, uint8_t out[16]);
/* A random version-4 uuid from /dev/urandom. 0 or -errno. */
int maps_uuid_generate(uint8_t out[16]);

#endif /* SEPIA_MAPS_UUID_H */
