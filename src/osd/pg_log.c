/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_log.c - the PG log in memory, its reqid index, and its
 * persistence as omap keys of the PG's pgmeta object.
 *
 * DESIGN
 * Invariants: L1 entries are in strictly increasing version order, all
 * newer than tail; head is the newest entry's version (tail when empty).
 * L2 every entry is in exactly one hash chain, the one of its reqid.
 * L3 on disk, pgmeta's omap holds exactly the in-memory entries, keyed by
 * pg_log_key(version); the info xattr says the same head and tail (the
 * writer keeps both in one transaction). */
#include <errno.h>
#include <string.h>

#include "common/enc.h"
#include "common/mem.h"
#include "store/store.h"
#include "osd/pg_log.h"

const struct store_oid pg_meta_oid = { .nspace = "", .name = "", .snap = STORE_SNAP_HEAD };

#define BUCKETS_MIN 64

static uint64_t reqid_hash(const struct osd_reqid *r)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = r->name.id; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h ^= r->name.type;
	h = (h ^ r->inc) * 1099511628211ull;
	h = (h ^ r->tid) * 1099511628211ull;
	return h ^ (h >> 29);
}

void pg_log_init(struct pg_log *l)
{
	memset(l, 0, sizeof(*l));
	list_init(&l->entries);
}

void pg_log_fini(struct pg_log *l)
{
	struct list_node *n;

	while ((n = list_pop_front(&l->entries))) {
		struct pg_log_ent *x = LIST_CONTAINER(n, struct pg_log_ent, node);

		osd_log_entry_fini(&x->e);
		mem_free(x);
	}
	mem_free(l->buckets);
	l->buckets = NULL;
	l->nbuckets = 0;
	l->n = 0;
}

static void chain_add(struct pg_log_ent **b, size_t nb, struct pg_log_ent *x)
{
	size_t i = reqid_hash(&x->e.reqid) & (nb - 1);

	x->hnext = b[i];
	b[i] = x;
}

static void chain_remove(struct pg_log *l, struct pg_log_ent *x)
{
	struct pg_log_ent **p = &l->buckets[reqid_hash(&x->e.reqid) & (l->nbuckets - 1)];

	while (*p && *p != x)
		p = &(*p)->hnext;
	if (*p)
		*p = x->hnext;
}

/* Keeps the table at most ~1 entry per bucket. */
static int maybe_grow(struct pg_log *l)
{
	struct pg_log_ent **nb;
	struct list_node *n;
	size_t cnt;

	if (l->nbuckets && l->n + 1 <= l->nbuckets)
		return 0;
	cnt = l->nbuckets ? l->nbuckets * 2 : BUCKETS_MIN;
	nb = mem_calloc(cnt, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	LIST_FOR_EACH(n, &l->entries)
	chain_add(nb, cnt, LIST_CONTAINER(n, struct pg_log_ent, node));
	mem_free(l->buckets);
	l->buckets = nb;
	l->nbuckets = cnt;
	return 0;
}

int pg_log_append(struct pg_log *l, const struct osd_log_entry *e)
{
	struct pg_log_ent *x;
	int rc;

	if (osd_eversion_cmp(e->version, l->head) <= 0 ||
	    osd_eversion_cmp(e->version, l->tail) <= 0)
		return -EINVAL;
	if ((rc = maybe_grow(l)) < 0)
		return rc;
	x = mem_calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	if ((rc = osd_log_entry_copy(&x->e, e)) < 0) {
		mem_free(x);
		return rc;
	}
	list_push_back(&l->entries, &x->node);
	chain_add(l->buckets, l->nbuckets, x);
	l->n++;
	l->head = e->version;
	return 0;
}

const struct osd_log_entry *pg_log_find(const struct pg_log *l, const struct osd_reqid *r)
{
	const struct pg_log_ent *x;

	if (!l->nbuckets)
		return NULL;
	for (x = l->buckets[reqid_hash(r) & (l->nbuckets - 1)]; x; x = x->hnext)
		if (osd_reqid_eq(&x->e.reqid, r))
			return &x->e;
	return NULL;
}

const struct osd_log_entry *pg_log_next(const struct pg_log *l, struct osd_eversion v)
{
	const struct list_node *n;

	LIST_FOR_EACH(n, &l->entries)
	{
		const struct pg_log_ent *x = LIST_CONTAINER(n, const struct pg_log_ent, node);

		if (osd_eversion_cmp(x->e.version, v) > 0)
			return &x->e;
	}
	return NULL;
}

size_t pg_log_trim(struct pg_log *l, struct osd_eversion to)
{
	size_t dropped = 0;

	while (!list_is_empty(&l->entries)) {
		struct pg_log_ent *x = LIST_CONTAINER(l->entries.next, struct pg_log_ent, node);

		if (osd_eversion_cmp(x->e.version, to) > 0)
			break;
		list_remove(&x->node);
		chain_remove(l, x);
		osd_log_entry_fini(&x->e);
		mem_free(x);
		l->n--;
		dropped++;
	}
	if (osd_eversion_cmp(to, l->tail) > 0)
		l->tail = to;
	if (osd_eversion_cmp(l->tail, l->head) > 0)
		l->head = l->tail;
	return dropped;
}

bool pg_log_trim_point(const struct pg_log *l, size_t min, size_t max, struct osd_eversion limit,
                       struct osd_eversion *to)
{
	const struct list_node *n;
	size_t drop, i = 0;
	bool found = false;

	if (l->n + 1 <= max || l->n + 1 <= min)
		return false;
	drop = l->n + 1 - min; /* entries to remove so that min remain after the append */
	LIST_FOR_EACH(n, &l->entries)
	{
		const struct pg_log_ent *x = LIST_CONTAINER(n, const struct pg_log_ent, node);

		if (i++ >= drop || osd_eversion_cmp(x->e.version, limit) > 0)
			break;
		*to = x->e.version;
		found = true;
	}
	return found;
}

/* --- persistence -------------------------------------------------------------- */

int pg_info_txn(struct store_txn *t, const char *cid, const struct pg_info *info)
{
	struct enc e;
	int rc;

	enc_init(&e);
	pg_info_encode(&e, info);
	rc = enc_error(&e);
	if (rc == 0)
		rc = store_txn_setattr(t, cid, &pg_meta_oid, OSD_PGINFO_ATTR, e.data, e.len);
	enc_fini(&e);
	return rc;
}

int pg_log_txn(struct store_txn *t, const char *cid, const struct pg_info *info,
               const struct osd_log_entry *le, bool trim, struct osd_eversion trim_to)
{
	char key[PG_LOG_KEY_LEN], last[PG_LOG_KEY_LEN];
	struct store_kv kv;
	struct enc e;
	int rc = 0;

	if (trim) {
		/* [first possible key, key just after trim_to) */
		trim_to.v++;
		rc = store_txn_omap_rmkeyrange(t, cid, &pg_meta_oid, "", pg_log_key(trim_to, last));
	}
	if (rc < 0)
		return rc;
	enc_init(&e);
	osd_log_entry_encode(&e, le);
	rc = enc_error(&e);
	kv.key = pg_log_key(le->version, key);
	kv.val = e.data;
	kv.len = e.len;
	if (rc == 0)
		rc = store_txn_omap_setkeys(t, cid, &pg_meta_oid, &kv, 1);
	enc_fini(&e);
	return rc ? rc : pg_info_txn(t, cid, info);
}

struct load_ctx {
	struct pg_log *l;
	int rc;
};

static int load_one(const char *key, const void *val, size_t len, void *arg)
{
	struct load_ctx *c = arg;
	struct osd_log_entry le;
	struct osd_eversion v;
	struct dec d;

	dec_init(&d, val, len);
	if (pg_log_key_parse(key, &v) < 0 || osd_log_entry_decode(&d, &le) < 0) {
		c->rc = -EBADMSG;
		return 1;
	}
	if (osd_eversion_cmp(v, le.version) != 0)
		c->rc = -EBADMSG;
	else
		c->rc = pg_log_append(c->l, &le);
	if (c->rc == -EINVAL)
		c->rc = -EBADMSG;
	osd_log_entry_fini(&le);
	return c->rc ? 1 : 0;
}

int pg_log_load(struct store *st, const char *cid, struct pg_info *info, struct pg_log *l)
{
	struct load_ctx c = { .l = l };
	void *v = NULL;
	size_t n = 0;
	int rc = store_getattr(st, cid, &pg_meta_oid, OSD_PGINFO_ATTR, &v, &n);

	if (rc == -ENODATA)
		rc = -EBADMSG;
	if (rc < 0)
		return rc;
	rc = pg_info_decode(v, n, info);
	mem_free(v);
	if (rc < 0)
		return rc;
	l->tail = l->head = info->log_tail;
	rc = store_omap_iterate(st, cid, &pg_meta_oid, NULL, 0, load_one, &c);
	if (rc < 0)
		return rc;
	if (c.rc < 0)
		return c.rc;
	if (osd_eversion_cmp(l->head, info->last_update) != 0)
		return -EBADMSG; /* L3 */
	return 0;
}
