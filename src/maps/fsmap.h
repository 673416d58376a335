/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/fsmap.h - the file system map: file systems with their metadata and
 * data pools, MDS daemons with their ranks and states, and standbys.
 * Threads: a published map is immutable; copy (it is a plain struct with
 * fixed arrays) to change. Always sent whole: it is small. */
#ifndef SEPIA_MAPS_FSMAP_H
#define SEPIA_MAPS_FSMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "msg/msg.h"

#define FSMAP_MAX_FS         16
#define FSMAP_MAX_MDS        64
#define FSMAP_MAX_DATA_POOLS 8
#define FSMAP_NAME_MAX       64

struct enc;
struct dec;

/* An MDS daemon's state (Ceph's names, printed as up:active etc.). */
enum fsmap_state {
	FSMAP_STANDBY = 0,
	FSMAP_STANDBY_REPLAY,
	FSMAP_REPLAY,
	FSMAP_RESOLVE,
	FSMAP_RECONNECT,
	FSMAP_REJOIN,
	FSMAP_CLIENTREPLAY,
	FSMAP_ACTIVE,
	FSMAP_STOPPING,
	FSMAP_STATE_COUNT
};

struct fsmap_fs {
	int32_t id;
	char name[FSMAP_NAME_MAX];
	int64_t metadata_pool;
	int64_t data_pools[FSMAP_MAX_DATA_POOLS];
	uint32_t ndata;
	uint32_t max_mds;
	uint32_t created_epoch;
};

struct fsmap_mds {
	uint64_t gid;                 /* unique per daemon instance */
	char name[MSG_ENTITY_ID_MAX]; /* "a" for mds.a */
	struct msg_addr addr;
	int32_t fs;    /* -1 for an unassigned standby */
	int32_t rank;  /* -1 unless it holds a rank */
	uint8_t state; /* enum fsmap_state */
};

struct fsmap {
	uint32_t epoch;
	uint64_t modified_ns;
	int32_t next_fs_id;
	uint64_t next_gid;
	struct fsmap_fs fs[FSMAP_MAX_FS];
	size_t nfs;
	struct fsmap_mds mds[FSMAP_MAX_MDS];
	size_t nmds;
};

void fsmap_init(struct fsmap *m);
/* 0, -EEXIST (name), -ENOSPC, -EINVAL (name); *id = the new fs id. */
int fsmap_fs_add(struct fsmap *m, const char *name, int64_t metadata_pool, int64_t data_pool,
                 int32_t *id);
/* Removes a file system; its MDS daemons become standbys. 0, -ENOENT. */
int fsmap_fs_remove(struct fsmap *m, const char *name);
const struct fsmap_fs *fsmap_fs_by_name(const struct fsmap *m, const char *name);
/* Registers a standby; *gid = its id. 0, -EEXIST (name), -ENOSPC, -EINVAL. */
int fsmap_mds_add(struct fsmap *m, const char *name, const struct msg_addr *addr, uint64_t *gid);
/* Gives gid rank `rank` of fs in state st (or makes it a standby with
 * fs = rank = -1). 0, -ENOENT (gid or fs), -EBUSY (rank held), -EINVAL. */
int fsmap_mds_assign(struct fsmap *m, uint64_t gid, int32_t fs, int32_t rank, enum fsmap_state st);
int fsmap_mds_remove(struct fsmap *m, uint64_t gid); /* 0 or -ENOENT */
struct fsmap_mds *fsmap_mds_by_gid(struct fsmap *m, uint64_t gid);

const char *fsmap_state_name(enum fsmap_state st); /* "up:active" */

void fsmap_encode(const struct fsmap *m, struct enc *e);
int fsmap_decode(struct dec *d, struct fsmap *out); /* 0, -EBADMSG, -EPROTONOSUPPORT */
json_t *fsmap_dump_json(const struct fsmap *m);

#endif /* SEPIA_MAPS_FSMAP_H */
