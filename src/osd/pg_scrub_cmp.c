/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_scrub_cmp.c - the pure part of scrub: comparing the scrub maps of
 * a PG's copies, object by object, and choosing an authoritative copy for
 * each object that differs (pg_scrub.h has the rule). No I/O, no locks.
 *
 * DESIGN
 * The maps are sorted by (nspace, name) (the decoder checks it), so one
 * merge pass visits each object of the union once: the smallest head among
 * the maps is the next object; the maps holding it advance. An object on
 * some copies only is missing on the others (the union is what exists:
 * without a log the scrub cannot tell a lost delete from a lost create,
 * like Ceph). Own faults (info, stat, read, info size) disqualify a copy
 * from authority; differences are judged against the authority only, so a
 * single bad copy shows as one shard with errors. */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "osd/pg_scrub.h"

static const char *const err_names[PG_SCRUB_E_COUNT] = {
	"missing",
	"info_corrupted",
	"stat_error",
	"read_error",
	"size_mismatch_info",
	"version_mismatch",
	"size_mismatch",
	"attr_mismatch",
	"omap_digest_mismatch",
	"data_digest_mismatch",
};

const char *pg_scrub_err_name(unsigned bit)
{
	return bit < PG_SCRUB_E_COUNT ? err_names[bit] : NULL;
}

static void incons_fini(struct pg_scrub_incons *x)
{
	mem_free(x->nspace);
	mem_free(x->name);
}

void pg_scrub_result_fini(struct pg_scrub_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		incons_fini(&r->v[i]);
	mem_free(r->v);
	memset(r, 0, sizeof(*r));
}

void pg_scrub_result_remove(struct pg_scrub_result *r, size_t i)
{
	incons_fini(&r->v[i]);
	memmove(r->v + i, r->v + i + 1, (r->n - i - 1) * sizeof(*r->v));
	r->n--;
}

int pg_scrub_result_move(struct pg_scrub_result *dst, struct pg_scrub_result *src)
{
	if (src->n && mem_grow(&dst->v, sizeof(*dst->v), &dst->cap, dst->n + src->n) < 0)
		return -ENOMEM;
	if (src->n)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	mem_free(src->v);
	memset(src, 0, sizeof(*src));
	return 0;
}

/* --- one object ------------------------------------------------------------- */

static uint32_t own_errors(const struct osd_scrub_obj *o, bool deep)
{
	uint32_t e = 0;

	if (!o)
		return PG_SCRUB_E_MISSING;
	if (o->flags & OSD_SCRUB_O_OI_BAD)
		e |= PG_SCRUB_E_INFO;
	if (o->flags & OSD_SCRUB_O_STAT_ERR)
		e |= PG_SCRUB_E_STAT;
	if (o->flags & OSD_SCRUB_O_READ_ERR)
		e |= PG_SCRUB_E_READ;
	if (!(o->flags & (OSD_SCRUB_O_OI_BAD | OSD_SCRUB_O_STAT_ERR)) && o->oi_size != o->size)
		e |= PG_SCRUB_E_SIZE_INFO;
	if (deep && !(o->flags & (OSD_SCRUB_O_DIGEST | OSD_SCRUB_O_READ_ERR)))
		e |= PG_SCRUB_E_READ; /* a deep map without a digest: not read */
	return e;
}

/* Differences of o from the authority a (both present and sound enough). */
static uint32_t diff(const struct osd_scrub_obj *o, const struct osd_scrub_obj *a, bool deep)
{
	uint32_t e = 0;

	if (!(o->flags & OSD_SCRUB_O_OI_BAD) && osd_eversion_cmp(o->version, a->version) != 0)
		e |= PG_SCRUB_E_VERSION;
	if (o->flags & OSD_SCRUB_O_STAT_ERR)
		return e;
	if (o->size != a->size)
		e |= PG_SCRUB_E_SIZE;
	if (o->attrs_digest != a->attrs_digest)
		e |= PG_SCRUB_E_ATTRS;
	if (o->omap_digest != a->omap_digest)
		e |= PG_SCRUB_E_OMAP;
	if (deep && (o->flags & OSD_SCRUB_O_DIGEST) && o->data_digest != a->data_digest)
		e |= PG_SCRUB_E_DATA;
	return e;
}

static bool same_content(const struct osd_scrub_obj *a, const struct osd_scrub_obj *b, bool deep)
{
	return a->size == b->size && a->attrs_digest == b->attrs_digest &&
	       a->omap_digest == b->omap_digest && (!deep || a->data_digest == b->data_digest);
}

/* The authoritative copy among objs[0..n) (NULL: missing), or -1. */
static int choose_auth(const struct osd_scrub_obj *const *objs, unsigned n, bool deep)
{
	const struct osd_scrub_obj *newest = NULL;
	unsigned best_votes = 0;
	int best = -1;

	for (unsigned i = 0; i < n; i++)
		if (!own_errors(objs[i], deep) &&
		    (!newest || osd_eversion_cmp(objs[i]->version, newest->version) > 0))
			newest = objs[i];
	for (unsigned i = 0; newest && i < n; i++) {
		unsigned votes = 0;

		if (own_errors(objs[i], deep) ||
		    osd_eversion_cmp(objs[i]->version, newest->version) != 0)
			continue;
		for (unsigned j = 0; j < n; j++)
			votes += !own_errors(objs[j], deep) &&
			         osd_eversion_cmp(objs[j]->version, newest->version) == 0 &&
			         same_content(objs[i], objs[j], deep);
		if (votes > best_votes) { /* strictly more: ties keep the lower index */
			best_votes = votes;
			best = (int)i;
		}
	}
	return best;
}

static int add_incons(struct pg_scrub_result *out, const struct osd_scrub_obj *any,
                      struct pg_scrub_incons *x)
{
	x->nspace = mem_strdup(any->nspace ? any->nspace : "");
	x->name = mem_strdup(any->name ? any->name : "");
	if (!x->nspace || !x->name ||
	    mem_grow(&out->v, sizeof(*out->v), &out->cap, out->n + 1) < 0) {
		incons_fini(x);
		return -ENOMEM;
	}
	out->v[out->n++] = *x;
	return 0;
}

static int compare_object(const struct pg_scrub_copy *c, const struct osd_scrub_obj *const *objs,
                          unsigned n, bool deep, struct pg_scrub_result *out)
{
	struct pg_scrub_incons x = { .nshards = n };
	const struct osd_scrub_obj *any = NULL;

	x.auth = choose_auth(objs, n, deep);
	for (unsigned i = 0; i < n; i++) {
		struct pg_scrub_shard *s = &x.shards[i];

		s->osd = c[i].osd;
		s->errs = own_errors(objs[i], deep);
		x.errs |= s->errs;
		if (!objs[i])
			continue;
		any = any ? any : objs[i];
		s->obj = *objs[i];
		s->obj.nspace = s->obj.name = NULL;
		if (x.auth >= 0 && (int)i != x.auth && !(s->errs & PG_SCRUB_E_MISSING))
			s->errs |= diff(objs[i], objs[x.auth], deep);
		x.errs |= s->errs;
	}
	return x.errs ? add_incons(out, any, &x) : 0;
}

/* --- the merge ---------------------------------------------------------------- */

int pg_scrub_compare(const struct pg_scrub_copy *c, unsigned n, bool deep,
                     struct pg_scrub_result *out)
{
	uint32_t at[PG_SCRUB_COPIES_MAX] = { 0 };

	if (n == 0 || n > PG_SCRUB_COPIES_MAX)
		return -EINVAL;
	for (;;) {
		const struct osd_scrub_obj *objs[PG_SCRUB_COPIES_MAX], *low = NULL;
		int rc;

		for (unsigned i = 0; i < n; i++) {
			const struct osd_scrub_obj *h =
			    at[i] < c[i].map->n ? &c[i].map->objs[at[i]] : NULL;

			if (h && (!low || osd_scrub_name_cmp(h->nspace, h->name, low->nspace,
			                                     low->name) < 0))
				low = h;
		}
		if (!low)
			return 0;
		for (unsigned i = 0; i < n; i++) {
			const struct osd_scrub_obj *h =
			    at[i] < c[i].map->n ? &c[i].map->objs[at[i]] : NULL;

			objs[i] =
			    h && osd_scrub_name_cmp(h->nspace, h->name, low->nspace, low->name) == 0
			        ? h
			        : NULL;
		}
		rc = compare_object(c, objs, n, deep, out);
		for (unsigned i = 0; i < n; i++)
			at[i] += objs[i] != NULL;
		if (rc < 0)
			return rc;
	}
}
