/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_list.c - object listing: the pool's PGs in order (ps = 0 ..
 * pg_num - 1), each listed by its primary with OSD_OP_PGLS in batches that
 * follow the reply's cursor until the PG says end. The position is the PG
 * seed (get_pg_hash_position / seek). Objects written to a PG already
 * listed are not seen; pg_num changes during a listing are not followed. */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "rados/client_int.h"

int radosc_list_take(struct radosc_list *l, const struct buf *b)
{
	struct osd_list_cursor next;
	struct osd_list_entry *ents;
	const void *p;
	void *scratch;
	uint32_t n;
	struct dec d;
	bool end;
	int rc = radosc_buf_view(b, &scratch, &p);

	if (rc < 0)
		return rc;
	dec_init(&d, p, b ? buf_len(b) : 0);
	rc = osd_list_reply_decode(&d, &ents, &n, &next, &end);
	mem_free(scratch);
	if (rc < 0)
		return rc;
	osd_list_entries_free(l->ents, l->n);
	osd_list_cursor_fini(&l->cursor);
	l->ents = ents;
	l->n = n;
	l->pos = 0;
	l->cursor = next;
	/* end, or a reply that cannot move us forward */
	l->pg_done = end || (n == 0 && !next.valid);
	return 0;
}

static int fetch(struct radosc_list *l)
{
	struct buf *b = NULL;
	struct radosc_opv v;
	uint32_t ps = l->ps;
	int rc;

	radosc_opv_init(&v);
	radosc_opv_pgls(&v, l->filter, &l->cursor, RADOSC_LIST_BATCH, &b);
	rc = radosc_sync_op(l->io, NULL, &v, 0, 0, &ps);
	radosc_opv_fini(&v);
	if (rc == 0)
		rc = radosc_list_take(l, b);
	buf_put(b);
	return rc;
}

static void reset_pg(struct radosc_list *l)
{
	osd_list_entries_free(l->ents, l->n);
	l->ents = NULL;
	l->n = l->pos = 0;
	osd_list_cursor_fini(&l->cursor);
	l->pg_done = false;
}

int rados_nobjects_list_open(rados_ioctx_t io, rados_list_ctx_t *ctx)
{
	struct radosc_ioctx *x = io;
	const struct osdmap_pool *p;
	struct radosc_list *l;
	int rc = 0;

	if (!x || !ctx)
		return -EINVAL;
	l = mem_calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	pthread_mutex_lock(&x->cl->lock);
	p = x->cl->map ? osdmap_pool(x->cl->map, x->pool) : NULL;
	if (p)
		l->pg_num = p->place.pg_num;
	else
		rc = x->cl->map ? -ENOENT : -ENOTCONN;
	if (rc == 0 && x->nspace[0] && !(l->filter = mem_strdup(x->nspace)))
		rc = -ENOMEM;
	pthread_mutex_unlock(&x->cl->lock);
	if (rc < 0) {
		mem_free(l);
		return rc;
	}
	l->io = radosc_ioctx_get(x);
	*ctx = l;
	return 0;
}

int rados_nobjects_list_next2(rados_list_ctx_t ctx, const char **entry, const char **key,
                              const char **nspace, size_t *entry_size, size_t *key_size,
                              size_t *nspace_size)
{
	struct radosc_list *l = ctx;
	struct osd_list_entry *e;

	if (!l)
		return -EINVAL;
	while (l->pos >= l->n) {
		int rc;

		if (l->end)
			return -ENOENT;
		if (l->pg_done) {
			reset_pg(l);
			l->ps++;
		}
		if (l->ps >= l->pg_num) {
			l->end = true;
			return -ENOENT;
		}
		rc = fetch(l);
		if (rc < 0)
			return rc;
	}
	e = &l->ents[l->pos++];
	if (entry)
		*entry = e->oid;
	if (key)
		*key = NULL; /* no locators in Sepia */
	if (nspace)
		*nspace = e->nspace;
	if (entry_size)
		*entry_size = strlen(e->oid);
	if (key_size)
		*key_size = 0;
	if (nspace_size)
		*nspace_size = strlen(e->nspace);
	return 0;
}

int rados_nobjects_list_next(rados_list_ctx_t ctx, const char **entry, const char **key,
                             const char **nspace)
{
	return rados_nobjects_list_next2(ctx, entry, key, nspace, NULL, NULL, NULL);
}

void rados_nobjects_list_close(rados_list_ctx_t ctx)
{
	struct radosc_list *l = ctx;

	if (!l)
		return;
	reset_pg(l);
	radosc_ioctx_put(l->io);
	mem_free(l->filter);
	mem_free(l);
}

uint32_t rados_nobjects_list_get_pg_hash_position(rados_list_ctx_t ctx)
{
	struct radosc_list *l = ctx;

	return l ? l->ps : 0;
}

uint32_t rados_nobjects_list_seek(rados_list_ctx_t ctx, uint32_t pos)
{
	struct radosc_list *l = ctx;

	if (!l)
		return 0;
	reset_pg(l);
	l->ps = pos;
	l->end = false;
	return pos;
}
