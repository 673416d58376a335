/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_maps_decode.c - every map decoder on arbitrary bytes; the
 * first byte picks the decoder. A decoded OSD map incremental is also
 * applied to a small real map, and a decoded map is re-encoded. */
#include <stddef.h>
#include <stdint.h>

#include "common/enc.h"
#include "maps/fsmap.h"
#include "maps/monmap.h"
#include "maps/osdmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode_osdmap(const struct osdmap *m)
{
	struct enc e;

	enc_init(&e);
	osdmap_encode(m, &e);
	enc_fini(&e);
	json_decref(osdmap_dump_json(m));
}

static void try_inc(struct dec *d)
{
	static const uint8_t fsid[16];
	struct osdmap_inc inc;
	struct osdmap *base, *next;

	osdmap_inc_init(&inc, NULL);
	if (osdmap_inc_decode(d, &inc) == 0 && osdmap_create(fsid, &base) == 0) {
		if (osdmap_apply(base, &inc, &next) == 0) {
			reencode_osdmap(next);
			osdmap_destroy(next);
		}
		osdmap_destroy(base);
	}
	osdmap_inc_fini(&inc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct osdmap *om;
	struct monmap mm;
	struct fsmap fm;
	struct dec d;

	if (size < 1)
		return 0;
	dec_init(&d, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		if (osdmap_decode(&d, &om) == 0) {
			reencode_osdmap(om);
			osdmap_destroy(om);
		}
		break;
	case 1:
		try_inc(&d);
		break;
	case 2:
		if (monmap_decode(&d, &mm) == 0)
			json_decref(monmap_dump_json(&mm));
		break;
	default:
		if (fsmap_decode(&d, &fm) == 0)
			json_decref(fsmap_dump_json(&fm));
		break;
	}
	return 0;
}
