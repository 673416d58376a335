/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monc/monc.h - the monitor client: finds a live monitor, sends commands and
 * gets their replies, keeps map subscriptions, sends daemon reports.
 * Threads: every call is thread-safe. monc does not own a messenger: its
 * owner creates one with mon_proto registered and passes every message and
 * connection reset to monc_handle_message / monc_handle_reset (from the
 * dispatch thread). Callbacks run on the calling thread of those functions
 * (or of monc_tick), with monc's lock released.
 *
 * Hunting: monc talks to one monitor at a time over a lossy connection. When
 * that connection resets, or a command waits longer than the hunt interval,
 * monc connects to another monitor at random and resends every pending
 * command and every subscription (from the newest epoch it has + 1).
 * Commands may therefore run twice; monitor commands are written to be
 * idempotent where that matters (create of an existing pool succeeds). */
#ifndef SEPIA_MONC_MONC_H
#define SEPIA_MONC_MONC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/monmap.h"
#include "monc/mon_proto.h"

struct monc; /* opaque */

/* rc is 0 or -errno (-ETIMEDOUT, -ECANCELED at destroy); status and out are
 * valid during the call only. */
typedef void monc_command_fn(int rc, const char *status, const void *out, size_t out_len,
                             void *arg);
/* A map message for a subscription; m is borrowed. */
typedef void monc_map_fn(const struct mon_msg_map *m, void *arg);

/* mons is copied. 0, -EINVAL (empty map), -ENOMEM. */
int monc_create(struct msg_messenger *msgr, const struct monmap *mons, struct monc **out);
/* Cancels pending commands (-ECANCELED) and frees. NULL is a no-op. */
void monc_destroy(struct monc *mc);
/* Sets the hunt interval (default 3000 ms). */
void monc_set_hunt_interval(struct monc *mc, unsigned ms);
void monc_set_map_cb(struct monc *mc, monc_map_fn *fn, void *arg);

/* Connects to a monitor (hunting). 0 or -errno. */
int monc_start(struct monc *mc);
/* Hunts again if the current monitor looks dead. Call every ~100 ms. */
void monc_tick(struct monc *mc);

/* Feeds a received message; true if it was a monitor message (then monc
 * took ownership), false otherwise (the caller keeps it). */
bool monc_handle_message(struct monc *mc, struct msg *m);
void monc_handle_reset(struct monc *mc, struct msg_conn *c);

/* Sends a command (cmd is JSON text, see mon_proto.h); cb runs exactly once
 * unless this returns an error. 0, -EINVAL, -ENOMEM. */
int monc_command(struct monc *mc, const char *cmd, const void *in, size_t in_len,
                 monc_command_fn *cb, void *arg);

struct monc_reply {
	int rc;
	char *status; /* caller frees both with mem_free */
	uint8_t *out;
	size_t out_len;
};
/* Blocking form for tools; never call it from the dispatch thread. Returns
 * 0 when a reply arrived (its rc is in reply->rc) or -ETIMEDOUT/-ENOMEM. */
int monc_command_sync(struct monc *mc, const char *cmd, const void *in, size_t in_len,
                      int timeout_ms, struct monc_reply *reply);

/* Subscribes to kind from epoch start (0: the latest only). 0 or -errno. */
int monc_subscribe(struct monc *mc, uint8_t kind, uint32_t start, bool onetime);
/* The newest epoch received for kind (0 if none). */
uint32_t monc_have(struct monc *mc, uint8_t kind);
/* Sends a report to the current monitor (takes ownership of m). 0,
 * -ENOTCONN (no monitor now; try again after the next tick). */
int monc_send(struct monc *mc, struct msg *m);
/* The rank monc talks to, or -1. */
int monc_current(struct monc *mc);

#endif /* SEPIA_MONC_MONC_H */
