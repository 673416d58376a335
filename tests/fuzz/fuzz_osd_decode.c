/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_osd_decode.c - the OSD's on-disk record decoders on
 * arbitrary input: byte 0 picks the decoder (superblock, object info, PG
 * info, PG log key), the rest is the record. What decodes is re-encoded,
 * decoded again and re-encoded: both encodings must match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/enc.h"
#include "osd/osd_codec.h"
#include "osd/pg_scrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless e1 equals e2; frees both. */
static void same(struct enc *e1, struct enc *e2)
{
	if (enc_error(e1) == 0 && enc_error(e2) == 0 &&
	    (e1->len != e2->len || memcmp(e1->data, e2->data, e1->len)))
		abort();
	enc_fini(e1);
	enc_fini(e2);
}

#define ROUND_TRIP(type, enc_fn, dec_fn)         \
	do {                                     \
		type a, b;                       \
		struct enc e1, e2;               \
		if (dec_fn(p, n, &a))            \
			return;                  \
		enc_init(&e1);                   \
		enc_init(&e2);                   \
		enc_fn(&e1, &a);                 \
		if (dec_fn(e1.data, e1.len, &b)) \
			abort();                 \
		enc_fn(&e2, &b);                 \
		same(&e1, &e2);                  \
	} while (0)

static void super(const uint8_t *p, size_t n)
{
	ROUND_TRIP(struct osd_super, osd_super_encode, osd_super_decode);
}

static void obj_info(const uint8_t *p, size_t n)
{
	ROUND_TRIP(struct osd_obj_info, osd_obj_info_encode, osd_obj_info_decode);
}

static void pg_info(const uint8_t *p, size_t n)
{
	ROUND_TRIP(struct pg_info, pg_info_encode, pg_info_decode);
}

static void log_key(const uint8_t *p, size_t n)
{
	char key[64], again[PG_LOG_KEY_LEN];
	struct osd_eversion v;

	if (n >= sizeof(key))
		return;
	memcpy(key, p, n);
	key[n] = 0;
	if (pg_log_key_parse(key, &v))
		return;
	pg_log_key(v, again);
	if (strcmp(key, again) != 0)
		abort(); /* a parsed key prints back the same */
}

static void scrub_rec(const uint8_t *p, size_t n)
{
	struct pg_scrub_rec r;

	pg_scrub_rec_decode(p, n, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		super(data + 1, size - 1);
		break;
	case 1:
		obj_info(data + 1, size - 1);
		break;
	case 2:
		pg_info(data + 1, size - 1);
		break;
	case 3:
		log_key(data + 1, size - 1);
		break;
	default:
		scrub_rec(data + 1, size - 1);
		break;
	}
	return 0;
}
