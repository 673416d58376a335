/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_enc.c - drives every decoder primitive over arbitrary
 * input: the first byte of each step picks the primitive, so the fuzzer
 * explores envelopes nested in envelopes, counts, strings and blobs. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/enc.h"
#include "common/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int step(struct dec *d, int depth);

static int envelope(struct dec *d, int depth)
{
	struct dec body;
	uint8_t v;
	int rc = dec_begin(d, 3, &v, &body);

	while (rc == 0 && dec_left(&body) > 0 && depth < 8)
		rc = step(&body, depth + 1);
	if (rc == 0 || rc == -EBADMSG)
		dec_end(d, &body);
	return rc;
}

static int list(struct dec *d, int depth)
{
	uint32_t n;
	int rc = dec_count(d, 2, &n);

	for (uint32_t i = 0; rc == 0 && i < n && depth < 8; i++)
		rc = step(d, depth + 1);
	return rc;
}

static int step(struct dec *d, int depth)
{
	uint8_t op, u8;
	uint64_t u64;
	char s[16], *dup = NULL;
	const void *p;
	uint32_t n;
	bool b;
	double x;
	int rc = dec_u8(d, &op);

	if (rc < 0)
		return rc;
	switch (op % 10) {
	case 0:
		return dec_u8(d, &u8);
	case 1:
		return dec_u64(d, &u64);
	case 2:
		return dec_bool(d, &b);
	case 3:
		return dec_double(d, &x);
	case 4:
		return dec_str_buf(d, s, sizeof(s));
	case 5:
		rc = dec_str_dup(d, 4096, &dup);
		mem_free(dup);
		return rc;
	case 6:
		return dec_blob_ref(d, &p, &n);
	case 7:
		return envelope(d, depth);
	case 8:
		return list(d, depth);
	default:
		return dec_skip(d, op / 10);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec d;

	dec_init(&d, data, size);
	while (dec_left(&d) > 0)
		if (step(&d, 0) < 0)
			break;
	return 0;
}
