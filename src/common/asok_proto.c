/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/asok_proto.c - the admin socket wire protocol as pure functions:
 * request framing and parsing, command-word matching, reply encoding and
 * decoding. No I/O and no state, so the fuzz target drives it directly.
 *
 * Request grammar (see asok.h): one JSON object with either
 *   "prefix": "w1 w2 ..."   words that must name a command exactly, or
 *   "cmd": ["w1", "w2", ...] words of which the server matches the longest
 *                            registered prefix,
 * optionally "args": [...] appended after the words. Words and arguments
 * are strings; numbers and booleans are accepted and turned into their JSON
 * text ("config set x 5" may send 5). Anything else is -EINVAL. */
#include "common/asok_int.h"

#include <errno.h>
#include <string.h>

#include "common/mem.h"

ssize_t asok_proto_frame(const char *buf, size_t len, bool eof)
{
	size_t scan = len < ASOK_MAX_REQUEST + 1 ? len : ASOK_MAX_REQUEST + 1;

	for (size_t i = 0; i < scan; i++) {
		if (buf[i] != '\0' && buf[i] != '\n')
			continue;
		if (i == 0)
			return -EINVAL; /* empty request */
		return i <= ASOK_MAX_REQUEST ? (ssize_t)i : -EMSGSIZE;
	}
	if (len > ASOK_MAX_REQUEST)
		return -EMSGSIZE;
	if (!eof)
		return 0;
	return len > 0 ? (ssize_t)len : -ENODATA;
}

/* A word as a new JSON string: strings as they are, numbers and booleans
 * as their JSON text; NULL for anything else or on allocation failure. */
static json_t *word_json(json_t *v)
{
	char text[64];
	size_t n;

	if (json_is_string(v))
		return json_incref(v);
	if (!json_is_number(v) && !json_is_boolean(v))
		return NULL;
	n = json_dumpb(v, text, sizeof(text) - 1, JSON_ENCODE_ANY | JSON_COMPACT);
	if (n == 0 || n >= sizeof(text))
		return NULL;
	text[n] = '\0';
	return json_string(text);
}

static int append_words(json_t *words, json_t *arr)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return -EINVAL;
	json_array_foreach(arr, i, v)
	{
		json_t *w = word_json(v);

		if (w == NULL)
			return -EINVAL;
		if (json_array_append_new(words, w) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Fills words and *nfixed from a request object. */
static int req_words(json_t *req, json_t **words, size_t *nfixed)
{
	json_t *prefix = json_object_get(req, "prefix");
	json_t *args = json_object_get(req, "args");
	json_t *w;
	int rc;

	if (json_is_string(prefix)) {
		w = asok_proto_split(json_string_value(prefix), ASOK_MAX_WORDS);
		if (w == NULL)
			return -EINVAL;
		*nfixed = json_array_size(w);
	} else if (prefix == NULL && json_is_array(json_object_get(req, "cmd"))) {
		w = json_array();
		if (w == NULL)
			return -ENOMEM;
		rc = append_words(w, json_object_get(req, "cmd"));
		if (rc == 0 && json_array_size(w) == 0)
			rc = -EINVAL;
		if (rc < 0)
			goto out_put;
		*nfixed = 0;
	} else {
		return -EINVAL;
	}
	rc = args != NULL ? append_words(w, args) : 0;
	if (rc < 0)
		goto out_put;
	*words = w;
	return 0;

out_put:
	json_decref(w);
	return rc;
}

int asok_proto_parse(const char *buf, size_t len, struct asok_req *out)
{
	json_error_t err;
	json_t *req, *words = NULL;
	size_t nfixed = 0;
	int rc;

	if (len > ASOK_MAX_REQUEST)
		return -EMSGSIZE;
	req = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (req == NULL)
		return json_error_code(&err) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
	if (!json_is_object(req)) {
		rc = -EINVAL;
		goto out_put;
	}
	rc = req_words(req, &words, &nfixed);
	if (rc < 0)
		goto out_put;
	out->req = req;
	out->words = words;
	out->nfixed = nfixed;
	return 0;

out_put:
	json_decref(req);
	return rc;
}

void asok_req_fini(struct asok_req *r)
{
	if (r == NULL)
		return;
	json_decref(r->words);
	json_decref(r->req);
	r->words = r->req = NULL;
	r->nfixed = 0;
}

json_t *asok_proto_split(const char *prefix, size_t max)
{
	json_t *words = json_array();
	const char *p = prefix;

	if (words == NULL)
		return NULL;
	for (;;) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (json_array_size(words) == max ||
		    json_array_append_new(words, json_stringn(p, n)) < 0)
			goto out_put;
		p += n;
	}
	if (json_array_size(words) > 0)
		return words;
out_put:
	json_decref(words);
	return NULL;
}

size_t asok_proto_match(json_t *cmd, json_t *words)
{
	size_t n = json_array_size(cmd);

	if (n == 0 || n > json_array_size(words))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!json_equal(json_array_get(cmd, i), json_array_get(words, i)))
			return 0;
	return n;
}

json_t *asok_proto_tail(json_t *words, size_t from)
{
	json_t *tail = json_array();

	for (size_t i = from; tail != NULL && i < json_array_size(words); i++) {
		if (json_array_append(tail, json_array_get(words, i)) < 0) {
			json_decref(tail);
			tail = NULL;
		}
	}
	return tail;
}

int asok_proto_reply_encode(json_t *reply, char **out, size_t *len)
{
	size_t n = json_dumpb(reply, NULL, 0, JSON_COMPACT);
	char *buf;

	if (n == 0)
		return -ENOMEM; /* jansson could not encode: only on allocation */
	if (n > ASOK_MAX_REPLY)
		return -EMSGSIZE;
	buf = mem_malloc(4 + n);
	if (buf == NULL)
		return -ENOMEM;
	buf[0] = (char)(n >> 24);
	buf[1] = (char)(n >> 16);
	buf[2] = (char)(n >> 8);
	buf[3] = (char)n;
	json_dumpb(reply, buf + 4, n, JSON_COMPACT);
	*out = buf;
	*len = 4 + n;
	return 0;
}

json_t *asok_proto_reply_ok(json_t *result)
{
	return json_pack("{s:o}", "result", result != NULL ? result : json_null());
}

json_t *asok_proto_reply_err(int rc, const char *msg)
{
	return json_pack("{s:s, s:i}", "error", msg != NULL ? msg : strerror(-rc), "errno", rc);
}

int asok_proto_reply_decode(const char *buf, size_t len, json_t **out)
{
	json_t *reply = json_loadb(buf, len, 0, NULL);
	json_t *err;

	if (!json_is_object(reply))
		goto out_bad;
	err = json_object_get(reply, "error");
	if (err != NULL && !json_is_string(err))
		goto out_bad;
	if (err == NULL && json_object_get(reply, "result") == NULL)
		goto out_bad;
	*out = reply;
	return 0;

out_bad:
	json_decref(reply);
	return -EBADMSG;
}

ssize_t asok_proto_reply_len(const unsigned char hdr[4])
{
	uint32_t n =
	    (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];

	return n <= ASOK_MAX_REPLY ? (ssize_t)n : -EBADMSG;
}
