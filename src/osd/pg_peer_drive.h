/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_peer_drive.h - the interface between the PGs (pg.h) and their
 * peering cores: the driver (pg_peer_drive.c) and the peering messages and
 * work items (pg_peering.c). Threads: everything here runs on the PG's
 * shard thread (PG_ASSERT_OWNER), except where noted. */
#ifndef SEPIA_OSD_PG_PEER_DRIVE_H
#define SEPIA_OSD_PG_PEER_DRIVE_H
#include <stdbool.h>
#include <stdint.h>

struct osd;
struct osd_item;
struct osd_shard;
struct osdmap;
struct pg;
struct pg_peer_actions;
struct pg_peer_work;
struct store_oid;
struct store_txn;

/* pg_peer_drive.c: the peering core of each PG and the driver of its
 * actions (PEERING_INTEGRATION.md). */
/* Creates pg->core: from what the store holds, or empty (a new copy of a
 * PG created at epoch `created`, 0: unknown). 0 or -errno (logged). */
int pg_core_open(struct osd *o, struct pg *pg, bool load, uint32_t created);
void pg_core_close(struct pg *pg);
/* Feeds map m to pg's core (every epoch, in order). */
void pg_core_advance(struct osd_shard *sh, struct pg *pg, const struct osdmap *m);
/* Startup: replays the stored maps after each PG's last processed epoch up
 * to (not including) upto. */
void pg_core_replay(struct osd_shard *sh, uint32_t upto);
void pg_core_tick(struct osd_shard *sh);
/* Adds a's store ops to t (object data of a push already in t). */
int pg_core_ops_txn(struct pg *pg, const struct pg_peer_actions *a, struct store_txn *t);
/* After a core call that returned rc and whose ops are queued (or were
 * none): keeps the dup index and pg->info in step, and runs the rest of a
 * (messages, work, monitor requests) once every transaction queued so far
 * has committed. Resets a. */
void pg_core_after(struct osd_shard *sh, struct pg *pg, int rc, struct pg_peer_actions *a);
/* pg_core_ops_txn into a new transaction, queued, then pg_core_after. */
void pg_core_run(struct osd_shard *sh, struct pg *pg, int rc, struct pg_peer_actions *a);
/* A transaction of pg committed (seq = its number). */
void pg_core_committed(struct osd_shard *sh, struct pg *pg, uint64_t seq);
/* Client ops wait for the objects a's ops write (OBJ_WRITE, OBJ_REMOVE)
 * until transaction seq is applied (pg_core_applied): their store state is
 * what ops read. */
void pg_core_hold_objs(struct pg *pg, const struct pg_peer_actions *a, uint64_t seq);
void pg_core_applied(struct osd_shard *sh, struct pg *pg, uint64_t seq);
void pg_core_release_all(struct pg *pg); /* pg_free */
/* Re-runs the client ops waiting for the core (activation, recovery). */
void pg_core_kick(struct osd_shard *sh, struct pg *pg);
/* The core's object key: nspace "\x01" name (the store's listing order). */
char *pg_core_key(const char *nspace, const char *name); /* NULL: -ENOMEM */
/* Splits a key into oid (pointing into buf). 0 or -EINVAL. */
int pg_core_oid(const char *key, char *buf, size_t cap, struct store_oid *oid);

/* pg_peering.c: OSD_MSG_PEERING / OSD_MSG_PUSH for a PG of sh. Takes it
 * (kind OSD_IT_MSG) and its message. */
void pg_handle_peering(struct osd_shard *sh, struct osd_item *it);
/* Sends one of the core's messages / runs one work item (after commit). */
void pg_peer_send(struct osd_shard *sh, struct pg *pg, int32_t to, const uint8_t *body, size_t len);
void pg_peer_run_work(struct osd_shard *sh, struct pg *pg, const struct pg_peer_work *w);
/* Tick: hands a free backfill slot to a waiting listing, returns the slot
 * of a PG whose backfill is over. pg_free: returns it unconditionally. */
void pg_backfill_slot_tick(struct osd_shard *sh, struct pg *pg);
void pg_backfill_slot_release(struct pg *pg);

#endif /* SEPIA_OSD_PG_PEER_DRIVE_H */
