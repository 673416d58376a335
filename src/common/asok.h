/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/asok.h - admin socket: a unix-socket server in every daemon that
 * answers JSON commands, and the client used by `sepia daemon NAME CMD`.
 * Threads: the server runs its own thread with its own libuv loop; command
 * handlers run on that thread, one at a time, and must not block for long.
 * asok_register may be called from any thread.
 *
 * Protocol (one request per connection):
 *   request  one JSON object, at most ASOK_MAX_REQUEST bytes, ended by '\0',
 *            '\n' or the client's shutdown(SHUT_WR):
 *            {"prefix": "config get", "args": ["log_file"], "format": "json"}
 *            "prefix" may instead be given as a word array in "cmd":
 *            {"cmd": ["config", "get", "log_file"]} — the server then picks
 *            the longest registered prefix and passes the remaining words
 *            as args.
 *   reply    a u32 big-endian length, then that many bytes of JSON:
 *            {"result": ...} on success, {"error": "...", "errno": N} else.
 * Garbage, oversize requests and unknown commands get an error reply and the
 * connection is closed; they never crash or stall the server.
 *
 * Built-in commands: help, version, config show, config diff, config get
 * NAME, config set NAME VALUE, config help NAME, perf dump [COLL], perf
 * schema, perf reset [COLL], log level [SUBSYS LEVEL | SPEC], log reopen. */
#ifndef SEPIA_COMMON_ASOK_H
#define SEPIA_COMMON_ASOK_H
#include <jansson.h>

#define ASOK_MAX_REQUEST (64 * 1024)
#define ASOK_MAX_REPLY   (64 * 1024 * 1024)

struct asok; /* opaque */
struct cfg;
struct perf_reg;

/* Handler: args is the JSON array of argument words (borrowed), req the
 * whole request object (borrowed). Returns 0 and sets *result (a new ref,
 * may be json_null()) or -errno and may set *result to a JSON string that
 * explains the error. */
typedef int asok_cmd_fn(void *arg, json_t *args, json_t *req, json_t **result);

/* Binds path (removing a stale socket file first; -EADDRINUSE if a live
 * server answers there) and starts the server thread. cfg and perf are
 * borrowed, may be NULL (then their commands are absent), and must outlive
 * the server. 0 or -errno. */
int asok_create(const char *path, struct cfg *cfg, struct perf_reg *perf, struct asok **out);
/* Stops the thread, closes and unlinks the socket. NULL is a no-op. */
void asok_destroy(struct asok *a);

/* prefix: space-separated words, e.g. "dump_ops_in_flight" or "pg dump".
 * help is shown by `help`. 0, -EEXIST, -ENOMEM. */
int asok_register(struct asok *a, const char *prefix, const char *help, asok_cmd_fn *fn, void *arg);
void asok_unregister(struct asok *a, const char *prefix);

/* Client: sends req (borrowed) to the server at path and waits up to
 * timeout_ms for the reply. Returns 0 with *reply set to the server's JSON
 * object (a new ref: {"result": ...} or {"error": ...}), or -ENOENT /
 * -ECONNREFUSED (no server), -ETIMEDOUT, -EBADMSG (malformed reply),
 * -ENOMEM. */
int asok_call(const char *path, json_t *req, int timeout_ms, json_t **reply);

#endif /* SEPIA_COMMON_ASOK_H */
