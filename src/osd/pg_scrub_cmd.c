/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/pg_scrub_cmd.c - the scrub commands of the OSD's command channel
 * (main loop): `pg PGID scrub|deep-scrub|repair` queue a request for the
 * PG's shard and answer at once ("instructing pg 1.0 on osd.2 to
 * deep-scrub", like Ceph); `pg PGID list-inconsistent` and the "scrub"
 * part of `pg PGID query` show what the last scrub found. Everything is
 * read under the shard's lock from what pg_scrub.c published. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/log.h"
#include "common/mem.h"
#include "osd/pg.h"
#include "osd/pg_scrub.h"

/* --- JSON of findings ---------------------------------------------------------------- */

static json_t *err_list(uint32_t errs)
{
	json_t *a = json_array();

	for (unsigned b = 0; a && b < PG_SCRUB_E_COUNT; b++)
		if (errs & (1u << b))
			json_array_append_new(a, json_string(pg_scrub_err_name(b)));
	return a;
}

static json_t *hex32(uint32_t v)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%08x", v);
	return json_string(s);
}

static json_t *ever(struct osd_eversion v)
{
	char s[48];

	snprintf(s, sizeof(s), "%u'%" PRIu64, v.epoch, v.v);
	return json_string(s);
}

static json_t *shard_json(const struct pg_scrub_shard *s, bool primary)
{
	json_t *j = json_pack("{s:i, s:b, s:o}", "osd", s->osd, "primary", primary, "errors",
	                      err_list(s->errs));

	if (!j || (s->errs & PG_SCRUB_E_MISSING))
		return j;
	json_object_set_new(j, "size", json_integer((json_int_t)s->obj.size));
	if (!(s->obj.flags & OSD_SCRUB_O_OI_BAD))
		json_object_set_new(j, "object_info",
		                    json_pack("{s:o, s:I}", "version", ever(s->obj.version), "size",
		                              (json_int_t)s->obj.oi_size));
	json_object_set_new(j, "attrs_digest", hex32(s->obj.attrs_digest));
	json_object_set_new(j, "omap_digest", hex32(s->obj.omap_digest));
	if (s->obj.flags & OSD_SCRUB_O_DIGEST)
		json_object_set_new(j, "data_digest", hex32(s->obj.data_digest));
	return j;
}

static json_t *incons_json(const struct pg_scrub_incons *x)
{
	json_t *shards = json_array(), *j;

	for (unsigned i = 0; shards && i < x->nshards; i++)
		json_array_append_new(shards, shard_json(&x->shards[i], i == 0));
	j = json_pack("{s:{s:s, s:s}, s:o, s:i, s:o}", "object", "name", x->name, "nspace",
	              x->nspace, "errors", err_list(x->errs), "auth_osd",
	              x->auth >= 0 ? x->shards[x->auth].osd : -1, "shards", shards);
	if (j && x->auth >= 0)
		json_object_set_new(json_object_get(j, "object"), "version",
		                    ever(x->shards[x->auth].obj.version));
	return j;
}

json_t *pg_scrub_result_json(const struct pg_scrub_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->n; i++)
		json_array_append_new(a, incons_json(&r->v[i]));
	return a;
}

/* --- published state ------------------------------------------------------------------ */

static json_t *stamp(uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char s[40];

	if (!ns)
		return json_string("never");
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

/* The PG's published scrub state and findings (text copied) under its
 * shard's lock. -ENOENT if not here; *primary says whether we lead it. */
static int snapshot(struct osd *o, int64_t pool, uint32_t ps, struct pg_scrub_pub *pub,
                    char **incons, bool *primary)
{
	struct osd_shard *sh = osd_shard_of(o, pool, ps);
	struct pg *pg;
	const char *txt;

	*incons = NULL;
	pthread_mutex_lock(&sh->lock);
	pg = pg_lookup(sh, (struct osdmap_pg){ pool, ps });
	if (pg) {
		*pub = pg->scrub_pub;
		*primary = pg->snap.primary;
		txt = pg_scrub_incons_json_locked(sh, pool, ps);
		*incons = txt ? mem_strdup(txt) : NULL;
	}
	pthread_mutex_unlock(&sh->lock);
	return pg ? 0 : -ENOENT;
}

json_t *pg_scrub_query_json(struct osd *o, int64_t pool, uint32_t ps)
{
	struct pg_scrub_pub p;
	char *txt;
	bool primary;
	json_t *list;

	if (snapshot(o, pool, ps, &p, &txt, &primary) < 0)
		return NULL;
	list = txt ? json_loads(txt, 0, NULL) : NULL;
	mem_free(txt);
	return json_pack("{s:o, s:I, s:o, s:I, s:i, s:b, s:b, s:b, s:o}", "last_scrub",
	                 stamp(p.last_scrub_ns), "last_scrub_ns", (json_int_t)p.last_scrub_ns,
	                 "last_deep_scrub", stamp(p.last_deep_scrub_ns), "last_deep_scrub_ns",
	                 (json_int_t)p.last_deep_scrub_ns, "errors", (int)p.errors, "scrubbing",
	                 (p.state & MON_PG_SCRUBBING) != 0, "deep", (p.state & MON_PG_DEEP) != 0,
	                 "repair", (p.state & MON_PG_REPAIR) != 0, "inconsistents",
	                 list ? list : json_array());
}

/* --- commands ------------------------------------------------------------------------------ */

static int pg_check(struct osd *o, const struct osd_cmd_req *req, char *status, size_t slen)
{
	struct pg_scrub_pub p;
	char name[32], *txt;
	bool primary;

	osdmap_pg_str(req->pgid, name, sizeof(name));
	if (snapshot(o, req->pgid.pool, req->pgid.ps, &p, &txt, &primary) < 0) {
		snprintf(status, slen, "pg %s is not on osd.%d", name, o->whoami);
		return -ENOENT;
	}
	mem_free(txt);
	if (!primary) {
		snprintf(status, slen, "osd.%d is not the primary of pg %s", o->whoami, name);
		return -EAGAIN;
	}
	return 0;
}

static int request(struct osd *o, const struct osd_cmd_req *req, char *status, size_t slen,
                   enum pg_scrub_kind kind, const char *verb)
{
	char name[32];
	int rc = pg_check(o, req, status, slen);

	if (rc == 0)
		rc = pg_scrub_request(osd_shard_of(o, req->pgid.pool, req->pgid.ps), req->pgid.pool,
		                      req->pgid.ps, kind);
	if (rc == 0)
		snprintf(status, slen, "instructing pg %s on osd.%d to %s",
		         osdmap_pg_str(req->pgid, name, sizeof(name)), o->whoami, verb);
	return rc;
}

static int cmd_scrub(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                     size_t slen)
{
	(void)out;
	return request(o, req, status, slen, PG_SCRUB_SHALLOW, "scrub");
}

static int cmd_deep_scrub(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                          size_t slen)
{
	(void)out;
	return request(o, req, status, slen, PG_SCRUB_DEEP, "deep-scrub");
}

static int cmd_repair(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                      size_t slen)
{
	(void)out;
	return request(o, req, status, slen, PG_SCRUB_REPAIR, "repair");
}

static int cmd_list(struct osd *o, const struct osd_cmd_req *req, json_t **out, char *status,
                    size_t slen)
{
	char name[32];
	int rc = pg_check(o, req, status, slen);
	json_t *q;

	if (rc < 0)
		return rc;
	q = pg_scrub_query_json(o, req->pgid.pool, req->pgid.ps);
	if (!q)
		return -ENOMEM;
	*out = json_pack(
	    "{s:s, s:O, s:O, s:O}", "pgid", osdmap_pg_str(req->pgid, name, sizeof(name)), "errors",
	    json_object_get(q, "errors"), "last_scrub", json_object_get(q, "last_scrub"),
	    "inconsistents", json_object_get(q, "inconsistents"));
	json_decref(q);
	return *out ? 0 : -ENOMEM;
}

int osd_step_scrub_cmds(struct daemon *d)
{
	static const struct {
		const char *prefix, *help;
		osd_cmd_fn *fn;
	} cmds[] = {
		{ "pg scrub", "pg PGID scrub: compare the PG's copies (metadata)", cmd_scrub },
		{ "pg deep-scrub", "pg PGID deep-scrub: compare the copies, reading every byte",
		  cmd_deep_scrub },
		{ "pg repair", "pg PGID repair: deep-scrub and rewrite bad copies from a good one",
		  cmd_repair },
		{ "pg list-inconsistent",
		  "pg PGID list-inconsistent: the objects the last scrub found inconsistent",
		  cmd_list },
	};
	struct osd *o = osd_of(d);
	int rc = 0;

	if (o->mkfs)
		return 0;
	for (size_t i = 0; rc == 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		rc = osd_cmd_register(o, cmds[i].prefix, cmds[i].help, cmds[i].fn);
	return rc;
}
