/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_scrub_rep.c - the replica's side of scrub and repair, on the PG's
 * shard thread: OSD_MSG_SCRUB is answered with the scrub map of the asked
 * range of the collection (whether or not the PG is known here: a missing
 * collection is an empty map, so every object shows as missing),
 * OSD_MSG_REPAIR PUSH applies the primary's transaction (synchronously:
 * repair is rare and per object) and PULL answers with a transaction
 * rebuilding the object from this copy. Answers go back on the session the
 * request came on. */
#include <errno.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "osd/pg.h"
#include "osd/pg_scrub.h"
#include "store/store.h"

int pg_scrub_apply(struct osd_shard *sh, struct buf *txn)
{
	struct store_txn *t = NULL;
	int rc = store_txn_decode(txn, &t);

	return rc < 0 ? rc : store_apply_transaction(sh->osd->store, t);
}

static void fill_hdr(struct osd_shard *sh, struct osd_scrub_hdr *h, const struct osd_scrub_hdr *req)
{
	*h = (struct osd_scrub_hdr){ req->pool, req->ps, sh->osd->whoami,
		                     sh->map ? sh->map->map->epoch : 0, req->tid };
}

/* --- requests at a replica ------------------------------------------------------------------- */

static void cid_of(const struct osd_scrub_hdr *h, char *cid, size_t n)
{
	char name[32];

	osdmap_pg_str((struct osdmap_pg){ h->pool, h->ps }, name, sizeof(name));
	snprintf(cid, n, "%s_head", name);
}

static void on_scrub(struct osd_shard *sh, struct osd_msg_scrub *m)
{
	struct osd_msg_scrub_map *r;
	struct msg *msg;
	char cid[48];
	bool more;
	int rc;

	if (!m->m.conn || msg_create_typed(&osd_scrub_map_ops, &msg) < 0)
		return;
	r = (void *)msg;
	cid_of(&m->h, cid, sizeof(cid));
	rc =
	    pg_scrub_build_map(sh->osd->store, cid, &m->start, &m->end, m->deep, 0, &r->map, &more);
	if (rc == 0 && more)
		rc = -E2BIG;
	if (rc == -ENOENT)
		rc = 0; /* no collection: no objects (all missing here) */
	if (rc < 0)
		osd_scrub_map_fini(&r->map);
	fill_hdr(sh, &r->h, &m->h);
	r->result = rc;
	msg_send(m->m.conn, msg);
}

static void on_repair(struct osd_shard *sh, struct osd_msg_repair *m)
{
	struct osd_msg_repair_reply *r;
	struct store_txn *t = NULL;
	struct msg *msg;
	char cid[48];
	int rc;

	if (!m->m.conn || msg_create_typed(&osd_repair_reply_ops, &msg) < 0)
		return;
	r = (void *)msg;
	cid_of(&m->h, cid, sizeof(cid));
	if (m->op == OSD_REPAIR_PUSH) {
		rc = pg_scrub_apply(sh, m->m.data);
		log_info(pg, "osd.%d pg %s: %s repaired from osd.%d: %s", sh->osd->whoami, cid,
		         m->name, m->h.from, rc < 0 ? strerror(-rc) : "ok");
	} else {
		rc = pg_scrub_repair_txn(sh->osd->store, cid, m->nspace, m->name, &t);
		if (rc == 0)
			rc = store_txn_encode(t, &msg->data);
		store_txn_destroy(t);
	}
	fill_hdr(sh, &r->h, &m->h);
	r->result = rc;
	if (rc < 0) {
		buf_put(msg->data);
		msg->data = NULL;
	}
	msg_send(m->m.conn, msg);
}

void pg_scrub_replica_msg(struct osd_shard *sh, struct msg *m)
{
	PG_ASSERT_OWNER(sh);
	if (m->type == OSD_MSG_SCRUB)
		on_scrub(sh, (void *)m);
	else if (m->type == OSD_MSG_REPAIR)
		on_repair(sh, (void *)m);
}
