/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* maps/maps_int.h - private helpers shared by the maps module's files. */
#ifndef SEPIA_MAPS_INT_H
#define SEPIA_MAPS_INT_H
#include "maps/osdmap.h"

/* Resizes the OSD arrays to max_osd entries, keeping those that remain.
 * 0, -EINVAL, -ENOMEM (then m is unchanged). */
int osdmap_resize(struct osdmap *m, int max_osd);
/* Refreshes the CRUSH views of OSD i from m->osds[i]. */
void osdmap_sync_view(struct osdmap *m, int i);

/* Pool fields within bounds (pg counts, sizes, hash type, ids). */
bool osdmap_pool_is_valid(const struct osdmap_pool *p);

/* Shared pieces of the full and incremental encodings. */
void osdmap_pool_encode(struct enc *e, const struct osdmap_pool *p);
int osdmap_pool_decode(struct dec *d, struct osdmap_pool *p);
void osdmap_blocked_list_encode(struct enc *e, const struct osdmap_blocked *b, size_t n);
int osdmap_blocked_list_decode(struct dec *d, struct osdmap_blocked **out, size_t *n);
/* pg_temp entries: order against (pool, ps); list codec (count + items,
 * strictly sorted; n 0 allowed only when allow_remove: an incremental). */
int osdmap_pg_temp_cmp(const struct osdmap_pg_temp *a, int64_t pool, uint32_t ps);
void osdmap_pg_temp_list_encode(struct enc *e, const struct osdmap_pg_temp *t, size_t n);
int osdmap_pg_temp_list_decode(struct dec *d, bool allow_remove, struct osdmap_pg_temp **out,
                               size_t *n);

#endif /* SEPIA_MAPS_INT_H */
