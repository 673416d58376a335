/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/asok_int.h - admin socket internals shared by asok.c, asok_proto.c,
 * asok_builtin.c, asok_client.c and the fuzz target.
 * Threads: the asok_proto_* functions are pure (no I/O, no globals) and may
 * run on any thread. */
#ifndef SEPIA_COMMON_ASOK_INT_H
#define SEPIA_COMMON_ASOK_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/asok.h"

#define ASOK_MAX_WORDS 64 /* words in a registered prefix or a request */

/* A parsed request. words are the prefix words followed by the arguments,
 * all JSON strings; nfixed is the number of leading words that must match a
 * command exactly ("prefix" form), or 0 when the server picks the longest
 * registered prefix ("cmd" form). */
struct asok_req {
	json_t *req;   /* the request object; owned */
	json_t *words; /* array of strings; owned */
	size_t nfixed;
};

/* Framing: given the first len bytes received (and eof when the peer shut
 * down its write side), returns the length of the complete request (the
 * bytes before the first '\0' or '\n', or all len at eof), 0 when more bytes
 * are needed, -EMSGSIZE past ASOK_MAX_REQUEST, -ENODATA at eof with nothing. */
ssize_t asok_proto_frame(const char *buf, size_t len, bool eof);
/* Parses one request of len bytes (no terminator). 0, -EINVAL (not JSON,
 * not an object, bad "prefix"/"cmd"/"args"), -EMSGSIZE, -ENOMEM. out is
 * untouched on error; release it with asok_req_fini. */
int asok_proto_parse(const char *buf, size_t len, struct asok_req *out);
void asok_req_fini(struct asok_req *r);

/* Splits a space-separated prefix into at most max words (copied into a
 * JSON array). Returns the array, or NULL for an empty or too long prefix
 * or on allocation failure. */
json_t *asok_proto_split(const char *prefix, size_t max);
/* Number of words of cmd (an array of strings) that prefix words, or 0 when
 * cmd is not a prefix of words. */
size_t asok_proto_match(json_t *cmd, json_t *words);
/* New array of words[from..]; NULL on allocation failure. */
json_t *asok_proto_tail(json_t *words, size_t from);

/* Reply framing: a u32 big-endian length then compact JSON. *out (caller
 * owns, mem_free) and *len are set on success. 0, -ENOMEM, -EMSGSIZE. */
int asok_proto_reply_encode(json_t *reply, char **out, size_t *len);
/* Builds {"result": result} (steals result; NULL means null) or
 * {"error": msg, "errno": rc}. New reference or NULL. */
json_t *asok_proto_reply_ok(json_t *result);
json_t *asok_proto_reply_err(int rc, const char *msg);
/* Decodes a reply body (after the length word): must be a JSON object
 * holding "result" or "error". 0 with *out set, or -EBADMSG. */
int asok_proto_reply_decode(const char *buf, size_t len, json_t **out);
/* The big-endian length word of a reply; -EBADMSG above ASOK_MAX_REPLY. */
ssize_t asok_proto_reply_len(const unsigned char hdr[4]);

/* asok_builtin.c: registers the built-in commands (cfg/perf ones only when
 * those are non-NULL). 0 or -errno. */
int asok_builtin_register(struct asok *a, struct cfg *cfg, struct perf_reg *perf);
/* The help object {"prefix": "help", ...} (asok.c; runs on the server thread). */
json_t *asok_help_json(struct asok *a);

#endif /* SEPIA_COMMON_ASOK_INT_H */
