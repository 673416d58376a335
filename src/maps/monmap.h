/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/monmap.h - the monitor map: which monitors exist and where.
 * Threads: immutable once published; copy to change.
 *
 * Monitors are kept sorted by name; a monitor's rank is its index, so every
 * member computes the same ranks from the same map. Ranks change when a
 * monitor is added or removed; `id` does not: it is assigned once, when the
 * monitor is added (the largest id in the map + 1, or the lowest free one
 * after MONMAP_MAX_ID), and is the monitor's consensus member id. */
#ifndef SEPIA_MAPS_MONMAP_H
#define SEPIA_MAPS_MONMAP_H
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "msg/msg.h"

#define MONMAP_MAX_MONS 16
#define MONMAP_MAX_ID   64 /* ids are 0..63 (a consensus configuration is a u64 mask) */

struct enc;
struct dec;

struct monmap_mon {
	char name[MSG_ENTITY_ID_MAX]; /* "a" for mon.a */
	struct msg_addr addr;
	uint32_t id; /* stable member id, < MONMAP_MAX_ID */
};

struct monmap {
	uint32_t epoch;
	uint8_t fsid[16];
	uint64_t created_ns, modified_ns;
	struct monmap_mon mons[MONMAP_MAX_MONS];
	size_t n;
};

void monmap_init(struct monmap *m, const uint8_t fsid[16]);
/* 0, -EEXIST (name or address taken), -ENOSPC, -EINVAL (bad name). The new
 * monitor gets a fresh id (see above). */
int monmap_add(struct monmap *m, const char *name, const struct msg_addr *addr);
int monmap_remove(struct monmap *m, const char *name);     /* 0 or -ENOENT */
int monmap_rank(const struct monmap *m, const char *name); /* rank or -ENOENT */
int monmap_rank_by_addr(const struct monmap *m, const struct msg_addr *addr);
int monmap_rank_by_id(const struct monmap *m, uint32_t id); /* rank or -ENOENT */
/* Mask of the ids (bit id set for every monitor). */
uint64_t monmap_id_mask(const struct monmap *m);

void monmap_encode(const struct monmap *m, struct enc *e);
int monmap_decode(struct dec *d, struct monmap *out); /* 0, -EBADMSG, -EPROTONOSUPPORT */
json_t *monmap_dump_json(const struct monmap *m);

/* Parses mon_host: "a=127.0.0.1:6789,b=127.0.0.1:6790" or bare addresses
 * (then named by position: a, b, c, ...); ids are the ranks. 0 or -EINVAL. */
int monmap_parse_hosts(struct monmap *m, const char *spec);

#endif /* SEPIA_MAPS_MONMAP_H */
