/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_inspect.c - read-only introspection of BlockStore objects for
 * offline tools (sepia-store-tool dump): where each extent lives in the data
 * file and its per-block checksums. */
#include <errno.h>

#include "store/bs_int.h"

static int visit(const struct blockstore *bs, const struct bs_onode *on, store_extent_fn *fn,
                 void *arg)
{
	for (size_t i = 0; i < on->em.n; i++) {
		const struct bs_ext *x = &on->em.v[i];
		struct store_extent e = {
			.off = x->lblk * bs->bsize,
			.len = (uint64_t)x->nblk * bs->bsize,
			.file_off = x->pblk * bs->bsize,
			.block_size = bs->bsize,
			.nblocks = x->nblk,
			.crc = x->crc,
		};
		int rc = fn(&e, arg);

		if (rc)
			return rc;
	}
	return 0;
}

int store_extents(struct store *st, const char *cid, const struct store_oid *oid,
                  store_extent_fn *fn, void *arg)
{
	struct blockstore *bs = (struct blockstore *)st;
	struct bs_onode on;
	struct enc e;
	int rc;

	if (st->ops != &store_bs_ops)
		return -EOPNOTSUPP;
	if (!store_name_is_valid(cid) || !store_oid_is_valid(oid))
		return -EINVAL;
	enc_init(&e);
	store_bs_onode_key(&e, cid, oid);
	rc = enc_error(&e) ? -ENOMEM : store_bs_onode_load(bs, (char *)e.data, e.len, true, &on);
	enc_fini(&e);
	if (rc < 0)
		return rc;
	rc = visit(bs, &on, fn, arg);
	store_bs_onode_fini(&on);
	return rc;
}
