/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_rados_reply.c - the object client's reply decoders: the
 * first byte picks one (0 kv list + more, 1 key list, 2 sparse extents, 3
 * listing batch, 4 a whole request's outputs), the rest is the OSD's
 * output bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "rados/client_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void iter(const uint8_t *p, size_t n, bool values)
{
	struct radosc_iter *it;
	unsigned char more;
	char *k, *v;
	size_t len;

	if (radosc_iter_create(values, &it) < 0)
		return;
	if (radosc_iter_fill(it, p, n, true, &more) == 0)
		while (rados_omap_get_next(it, &k, &v, &len) == 0 && k)
			;
	radosc_iter_destroy(it);
}

static void sparse(const uint8_t *p, size_t n)
{
	struct radosc_extent *ext;
	const void *d;
	size_t dlen;
	uint32_t cnt;
	char buf[256];

	if (radosc_sparse_decode(p, n, &ext, &cnt, &d, &dlen) < 0)
		return;
	radosc_sparse_place(ext, cnt, d, cnt ? ext[0].off : 0, buf, sizeof(buf));
	mem_free(ext);
}

static void listing(struct buf *b)
{
	struct radosc_list l = { 0 };

	if (radosc_list_take(&l, b) == 0) {
		osd_list_entries_free(l.ents, l.n);
		osd_list_cursor_fini(&l.cursor);
	}
}

/* Every kind of output of one request, each op fed the same bytes. */
static void request(struct buf *b)
{
	struct radosc_opv *v = rados_create_read_op();
	rados_omap_iter_t a = NULL, k = NULL;
	struct osd_op rops[6] = { 0 };
	char rbuf[64], sbuf[64], xbuf[16];
	uint64_t size;
	time_t mtime;

	if (!v)
		return;
	radosc_opv_read(v, 0, sizeof(rbuf), rbuf, NULL, NULL);
	radosc_opv_stat(v, &size, &mtime, NULL, NULL);
	radosc_opv_getxattr(v, "x", xbuf, sizeof(xbuf));
	radosc_opv_sparse_read(v, 0, sizeof(sbuf), sbuf, NULL, NULL);
	rados_read_op_omap_get_vals2(v, NULL, NULL, 10, &a, NULL, NULL);
	rados_read_op_omap_get_keys2(v, NULL, 10, &k, NULL, NULL);
	for (uint32_t i = 0; i < 6; i++)
		rops[i].outdata = b;
	radosc_opv_deliver(v, 0, rops, 6);
	rados_release_read_op(v);
	rados_omap_get_end(a);
	rados_omap_get_end(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *b;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
	case 1:
		iter(data + 1, size - 1, data[0] % 5 == 0);
		return 0;
	case 2:
		sparse(data + 1, size - 1);
		return 0;
	}
	if (buf_create(&b) < 0)
		return 0;
	if (buf_append(b, data + 1, size - 1) == 0) {
		if (data[0] % 5 == 3)
			listing(b);
		else
			request(b);
	}
	buf_put(b);
	return 0;
}
