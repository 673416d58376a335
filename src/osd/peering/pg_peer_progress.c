/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_progress.c - how far recovery and backfill of a PG
 * are (for the PG statistics the OSD reports), read from the primary's
 * state without changing it. */
#include <string.h>

#include "osd/peering/peering_int.h"

void pg_peer_progress(const struct pg_peer *p, struct pg_peer_progress *out)
{
	memset(out, 0, sizeof(*out));
	if (!pg_peer_is_primary(p))
		return;
	out->missing_here = p->missing.n;
	out->degraded = p->missing.n;
	for (size_t i = 1; i < p->n_peers; i++) {
		const struct pg_peer_peer *pe = &p->peers[i];

		if (pe->role == ROLE_ACTING) {
			out->degraded += pe->missing.n;
		} else if (pe->role == ROLE_BACKFILL && pe->bf.ph != BF_DONE) {
			out->backfill_targets++;
			if (!out->backfill_cursor ||
			    (pe->bf.cursor && strcmp(pe->bf.cursor, out->backfill_cursor) < 0))
				out->backfill_cursor = pe->bf.cursor;
			if (!pe->bf.cursor)
				out->backfill_from_start = true;
		}
	}
	out->recovering = p->n_recs;
}
