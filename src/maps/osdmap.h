/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/osdmap.h - the OSD map: epoch, pools, OSD states and addresses, the
 * CRUSH map, cluster flags and the blocklist; full and incremental
 * encodings; object -> PG -> OSDs.
 * Threads: a map is immutable once published (share it read-only between
 * threads); building and applying an incremental produce a new map.
 *
 * Epochs only grow. An incremental for epoch e+1 applies to the map of
 * epoch e and to nothing else (-ESTALE otherwise), so nobody's map goes
 * backwards and a gap is always detected. */
#ifndef SEPIA_MAPS_OSDMAP_H
#define SEPIA_MAPS_OSDMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "crush/place.h"
#include "msg/msg.h"

struct crush_map;
struct enc;
struct dec;

#define OSDMAP_POOL_NAME_MAX 64
#define OSDMAP_MAX_OSD       65536
#define OSDMAP_WEIGHT_IN     0x10000u /* 16.16 fixed point: 1.0 = fully in */

/* Cluster flags (Ceph's names). */
enum osdmap_flag {
	OSDMAP_F_NOUP = 1 << 0,
	OSDMAP_F_NODOWN = 1 << 1,
	OSDMAP_F_NOOUT = 1 << 2,
	OSDMAP_F_NOIN = 1 << 3,
	OSDMAP_F_PAUSERD = 1 << 4,
	OSDMAP_F_PAUSEWR = 1 << 5,
	OSDMAP_F_NOBACKFILL = 1 << 6,
	OSDMAP_F_NORECOVER = 1 << 7,
	OSDMAP_F_NOSCRUB = 1 << 8,
	OSDMAP_F_ALL = (1 << 9) - 1,
};

struct osdmap_pool {
	struct crush_pool place; /* id, pg_num, pgp_num, size, rule, hash, flags */
	uint32_t min_size;
	char name[OSDMAP_POOL_NAME_MAX];
	uint32_t last_change; /* epoch of the last change to this pool */
	uint32_t created;     /* epoch the pool (and its PGs) appeared; 0: unknown (pool v1) */
};

struct osdmap_osd {
	bool exists;
	bool up;
	uint32_t weight;           /* 16.16 in-weight: 0 = out, 0x10000 = in */
	uint32_t primary_affinity; /* 16.16 */
	struct msg_addr addr;      /* where the OSD listens while up */
	uint64_t nonce;            /* its messenger instance */
	uint32_t up_from, down_at; /* epochs */
	struct msg_addr hb_addr;   /* its heartbeat messenger (family 0: none; entry v2) */
	uint32_t up_thru;          /* the monitors saw it alive through this epoch (entry v3) */
};

/* A temporary acting set of one PG (Ceph pg_temp), asked for by its
 * primary while the up set lacks complete copies (map v2). */
#define OSDMAP_PG_TEMP_MAX 16
struct osdmap_pg_temp {
	int64_t pool;
	uint32_t ps;
	uint8_t n; /* 1..OSDMAP_PG_TEMP_MAX in a map; 0 in an incremental: remove */
	int32_t osds[OSDMAP_PG_TEMP_MAX];
};

struct osdmap_blocked {
	struct msg_addr addr;
	uint64_t nonce;
	uint64_t until_ns; /* wall clock */
};

struct osdmap {
	uint32_t epoch;
	uint8_t fsid[16];
	uint64_t created_ns, modified_ns;
	uint32_t flags; /* enum osdmap_flag */
	struct crush_map *crush;
	struct osdmap_pool *pools; /* sorted by id */
	size_t npools;
	int64_t pool_max; /* highest pool id ever used */
	int max_osd;
	struct osdmap_osd *osds; /* max_osd entries */
	struct osdmap_blocked *blocked;
	size_t nblocked;
	struct osdmap_pg_temp *pg_temp; /* sorted by (pool, ps) */
	size_t npg_temp;
	/* views for crush_pg_to_up, kept in step with osds */
	uint32_t *v_weight;
	bool *v_exists, *v_up;
};

/* One pool change in an incremental: a full new record, or a removal. */
struct osdmap_inc_pool {
	bool removed;
	struct osdmap_pool pool; /* removed: only place.id matters */
};

struct osdmap_inc_osd {
	int osd;
	uint32_t set; /* OSDMAP_INC_* bits saying which fields apply */
	bool exists, up;
	uint32_t weight, primary_affinity;
	struct msg_addr addr;
	uint64_t nonce;
	struct msg_addr hb_addr; /* with OSDMAP_INC_UP + up (incremental v2) */
	uint32_t up_thru;        /* with OSDMAP_INC_UP_THRU (incremental v3) */
};
enum {
	OSDMAP_INC_EXISTS = 1 << 0,
	OSDMAP_INC_UP = 1 << 1,
	OSDMAP_INC_WEIGHT = 1 << 2,
	OSDMAP_INC_AFFINITY = 1 << 3,
	OSDMAP_INC_UP_THRU = 1 << 4,
};

struct osdmap_inc {
	uint32_t epoch; /* the epoch this produces */
	uint8_t fsid[16];
	uint64_t modified_ns;
	int64_t new_flags;    /* -1: unchanged */
	int new_max_osd;      /* -1: unchanged */
	int64_t new_pool_max; /* -1: unchanged */
	uint8_t *crush;       /* a new encoded CRUSH map, or NULL */
	size_t crush_len;
	struct osdmap_inc_pool *pools;
	size_t npools;
	struct osdmap_inc_osd *osds;
	size_t nosds;
	struct osdmap_blocked *block; /* added to the blocklist */
	size_t nblock;
	struct osdmap_blocked *unblock; /* removed (matched by addr + nonce) */
	size_t nunblock;
	struct osdmap_pg_temp *pg_temp; /* set (n > 0) or removed (n == 0); v3 */
	size_t npg_temp;
};

/* An empty epoch-0 map with fsid and an empty CRUSH map. 0 or -ENOMEM. */
int osdmap_create(const uint8_t fsid[16], struct osdmap **out);
void osdmap_destroy(struct osdmap *m); /* NULL is a no-op */
/* A deep copy. 0 or -ENOMEM. */
int osdmap_clone(const struct osdmap *m, struct osdmap **out);

void osdmap_encode(const struct osdmap *m, struct enc *e);
/* 0, -EBADMSG, -EPROTONOSUPPORT, -ENOMEM; *out untouched on error. */
int osdmap_decode(struct dec *d, struct osdmap **out);

void osdmap_inc_init(struct osdmap_inc *inc, const struct osdmap *base);
void osdmap_inc_fini(struct osdmap_inc *inc);
/* Builders: each returns 0 or -ENOMEM (or -EINVAL for a bad argument). */
int osdmap_inc_set_pool(struct osdmap_inc *inc, const struct osdmap_pool *p);
int osdmap_inc_remove_pool(struct osdmap_inc *inc, int64_t id);
/* Returns the entry for osd (adding an empty one); NULL on -ENOMEM. */
struct osdmap_inc_osd *osdmap_inc_osd(struct osdmap_inc *inc, int osd);
/* Takes a copy of the encoded CRUSH map. */
int osdmap_inc_set_crush(struct osdmap_inc *inc, const struct crush_map *crush);
int osdmap_inc_block(struct osdmap_inc *inc, const struct osdmap_blocked *b);
int osdmap_inc_unblock(struct osdmap_inc *inc, const struct msg_addr *a, uint64_t nonce);
/* Sets pg's temporary acting set to osds[0..n) (n 0: removes it); a later
 * call for the same PG replaces the earlier one. 0, -EINVAL, -ENOMEM. */
int osdmap_inc_set_pg_temp(struct osdmap_inc *inc, int64_t pool, uint32_t ps, const int32_t *osds,
                           uint8_t n);
bool osdmap_inc_is_empty(const struct osdmap_inc *inc);

void osdmap_inc_encode(const struct osdmap_inc *inc, struct enc *e);
/* Decodes into an initialised inc (osdmap_inc_init(inc, NULL) first). */
int osdmap_inc_decode(struct dec *d, struct osdmap_inc *inc);
/* The map of epoch base->epoch + 1. 0, -ESTALE (wrong epoch), -EINVAL
 * (wrong fsid, bad pool or osd, undecodable CRUSH map), -ENOMEM; base is
 * never modified. */
int osdmap_apply(const struct osdmap *base, const struct osdmap_inc *inc, struct osdmap **out);

/* Lookups. */
const struct osdmap_pool *osdmap_pool(const struct osdmap *m, int64_t id);
const struct osdmap_pool *osdmap_pool_by_name(const struct osdmap *m, const char *name);
bool osdmap_osd_exists(const struct osdmap *m, int osd);
bool osdmap_osd_is_up(const struct osdmap *m, int osd);
bool osdmap_osd_is_in(const struct osdmap *m, int osd);
void osdmap_counts(const struct osdmap *m, int *exist, int *up, int *in);

/* Placement: the PG of an object, and the up set of a PG. */
struct osdmap_pg {
	int64_t pool;
	uint32_t ps;
};
/* 0 or -ENOENT (no such pool). */
int osdmap_object_pg(const struct osdmap *m, int64_t pool, const char *nspace, const char *name,
                     struct osdmap_pg *out);
/* up has room for the pool's size; returns the count or -ENOENT/-ENOMEM. */
int osdmap_pg_up(const struct osdmap *m, struct osdmap_pg pg, int *up, int max, int *primary);
/* The PG's pg_temp entry, or NULL; valid while m lives. */
const struct osdmap_pg_temp *osdmap_pg_temp_get(const struct osdmap *m, struct osdmap_pg pg);
/* The acting set: pg_temp (members that are not up dropped) if the map has
 * one for pg, else the up set (members that are not up dropped), primary
 * first. Returns the count or -ENOENT/-ENOMEM; *primary -1 if empty. */
int osdmap_pg_acting(const struct osdmap *m, struct osdmap_pg pg, int *acting, int max,
                     int *primary);

/* "noout" for bit 2 (the bit number of an enum osdmap_flag); NULL past the
 * last. osdmap_flag_parse returns the flag's value or -EINVAL. */
const char *osdmap_flag_name(unsigned bit);
int osdmap_flag_parse(const char *name);

/* JSON for `sepia osd dump`; new reference or NULL. */
json_t *osdmap_dump_json(const struct osdmap *m);
/* "1.2a" */
const char *osdmap_pg_str(struct osdmap_pg pg, char *buf, size_t n);
int osdmap_pg_parse(const char *s, struct osdmap_pg *out);

#endif /* SEPIA_MAPS_OSDMAP_H */
