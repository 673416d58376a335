/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_peering.c - the OSD end of the peering core's messages
 * (OSD_MSG_PEERING, OSD_MSG_PUSH; PEERING_INTEGRATION.md §2), on the PG's
 * shard thread.
 *
 * Step (b) of the plan: the messages are routed here and decoded with
 * pg_peer_msg_decode, then logged and dropped. The core tolerates lost
 * messages (it resends on tick), so dropping is safe while no PG has a core
 * instance. Step (c) replaces the drop with pg_peer_handle (a QUERY for a
 * PG this shard does not hold is answered with pg_peer_reply_absent; -EAGAIN
 * parks the item on sh->waiting_map; the PUSH's data segment becomes the
 * OBJ_WRITE transaction). */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "osd/osd.h"
#include "osd/peering/peering.h"
#include "osd/peering/peering_msg.h"
#include "osd/pg.h"
#include "rados/osd_proto.h"

/* The routing header must agree with the core message it carries. */
static bool header_matches(const struct osd_msg_peering *h, const struct pg_peer_msg *pm)
{
	if (pm->pool != h->pool || pm->ps != h->ps || pm->from != h->from)
		return false;
	return (pm->type == PG_PEER_MSG_PUSH) == (h->m.type == OSD_MSG_PUSH);
}

void pg_handle_peering(struct osd_shard *sh, struct osd_item *it)
{
	struct osd_msg_peering *h = (void *)it->msg;
	struct pg *pg = pg_lookup(sh, (struct osdmap_pg){ h->pool, h->ps });
	struct pg_peer_msg pm;
	int rc;

	PG_ASSERT_OWNER(sh);
	mem_free(it);
	rc = pg_peer_msg_decode(h->body, h->body_len, &pm);
	if (rc == 0 && !header_matches(h, &pm))
		rc = -EBADMSG;
	if (rc < 0)
		log_warn(pg, "osd.%d pg %lld.%x: bad peering message from osd.%d: %s",
		         sh->osd->whoami, (long long)h->pool, h->ps, h->from, strerror(-rc));
	else
		log_debug(pg, "osd.%d pg %lld.%x: peering message %u from osd.%d e%u (%s): dropped",
		          sh->osd->whoami, (long long)h->pool, h->ps, pm.type, h->from, h->epoch,
		          pg ? "held" : "not held");
	pg_peer_msg_fini(&pm);
	msg_put(&h->m);
}
