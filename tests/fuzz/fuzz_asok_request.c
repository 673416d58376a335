/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_asok_request.c - feeds arbitrary bytes to the admin
 * socket's pure protocol functions (asok_proto.c): the server's framing and
 * request parser, command matching against a few registered prefixes, a
 * reply encode/decode round trip, and the client's reply decoder. Aborts on
 * any broken invariant. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/asok_int.h"
#include "common/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[] = { "help", "config get", "config set", "perf dump",
	                                "pg",   "pg dump",    "log level" };

static void check_words(struct asok_req *r)
{
	size_t i, n = json_array_size(r->words);
	json_t *w;

	if (n == 0 || r->nfixed > n || !json_is_object(r->req))
		abort();
	json_array_foreach(r->words, i, w) if (!json_is_string(w)) abort();
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		json_t *cmd = asok_proto_split(prefixes[i], ASOK_MAX_WORDS);
		size_t m = cmd != NULL ? asok_proto_match(cmd, r->words) : 0;
		json_t *tail = asok_proto_tail(r->words, m);

		if (m > n || (m > 0 && m != json_array_size(cmd)))
			abort();
		if (tail != NULL && json_array_size(tail) != n - m)
			abort();
		json_decref(tail);
		json_decref(cmd);
	}
}

/* An encoded reply must decode to an equal object. */
static void round_trip(json_t *words)
{
	json_t *reply = asok_proto_reply_ok(json_incref(words)), *back = NULL;
	size_t len;
	char *buf;

	if (reply == NULL || asok_proto_reply_encode(reply, &buf, &len) < 0) {
		json_decref(reply);
		return;
	}
	if (asok_proto_reply_len((const unsigned char *)buf) != (ssize_t)len - 4 ||
	    asok_proto_reply_decode(buf + 4, len - 4, &back) != 0 || !json_equal(reply, back))
		abort();
	json_decref(back);
	json_decref(reply);
	mem_free(buf);
}

static void parse_framed(const char *buf, size_t size, bool eof)
{
	ssize_t n = asok_proto_frame(buf, size, eof);
	struct asok_req r;

	if (n == 0 && eof)
		abort(); /* at eof the frame is complete or an error */
	if (n <= 0)
		return;
	if ((size_t)n > size || (size_t)n > ASOK_MAX_REQUEST)
		abort();
	if (asok_proto_parse(buf, (size_t)n, &r) != 0)
		return;
	check_words(&r);
	round_trip(r.words);
	asok_req_fini(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	json_t *reply = NULL;

	parse_framed(buf, size, false);
	parse_framed(buf, size, true);
	if (size >= 4)
		(void)asok_proto_reply_len(data);
	if (asok_proto_reply_decode(buf, size, &reply) == 0) {
		if (!json_is_object(reply))
			abort();
		json_decref(reply);
	}
	return 0;
}
