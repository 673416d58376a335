/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_cmd_pool.c - pool commands (osd pool create|ls|get|set|rm) and
 * object placement (osd map POOL OBJECT). Writes build one OSD map
 * incremental against the leader's pending view. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "crush/crush.h"
#include "mon/mon_cmd.h"

static bool rule_exists(const struct osdmap *o, long long rule)
{
	return rule >= 0 && (uint32_t)rule < o->crush->max_rules && o->crush->rules[rule];
}

static int pool_rule(struct mon_cmd_ctx *c, const char *s, int *rule)
{
	const struct osdmap *o = mon_svc_osdmap_view(c->m);
	int32_t id;
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end && rule_exists(o, v)) {
		*rule = (int)v;
		return 0;
	}
	if (crush_names_lookup(&o->crush->rule_names, s, &id) == 0 && rule_exists(o, id)) {
		*rule = id;
		return 0;
	}
	mon_cmd_status(c, "CRUSH rule '%s' does not exist", s);
	return -ENOENT;
}

static int create_args(struct mon_cmd_ctx *c, struct osdmap_pool *p)
{
	long long pg = cfg_int(c->m->d.cfg, CFG_KEY_mon_osd_pool_default_pg_num), pgp;
	size_t i = 1;
	int rc;

	if (i < c->nargs && c->args[i][0] >= '0' && c->args[i][0] <= '9') {
		if ((rc = mon_cmd_arg_int(c, i++, "pg_num", 1, 65536, &pg)) < 0)
			return rc;
	}
	pgp = pg;
	if (i < c->nargs && c->args[i][0] >= '0' && c->args[i][0] <= '9') {
		if ((rc = mon_cmd_arg_int(c, i++, "pgp_num", 1, pg, &pgp)) < 0)
			return rc;
	}
	if (i < c->nargs && strcmp(c->args[i], "replicated") == 0)
		i++;
	else if (i < c->nargs && strcmp(c->args[i], "erasure") == 0) {
		mon_cmd_status(c, "erasure-coded pools are not supported yet");
		return -EOPNOTSUPP;
	}
	p->place.rule = 0;
	if (i < c->nargs && (rc = pool_rule(c, c->args[i++], &p->place.rule)) < 0)
		return rc;
	if (i < c->nargs)
		return mon_cmd_usage(c,
		                     "osd pool create NAME [PG_NUM [PGP_NUM]] [replicated] [RULE]");
	p->place.pg_num = (uint32_t)pg;
	p->place.pgp_num = (uint32_t)pgp;
	return 0;
}

static int cmd_pool_create(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = mon_svc_osdmap_view(c->m);
	long long size = cfg_int(c->m->d.cfg, CFG_KEY_mon_osd_pool_default_size);
	long long min = cfg_int(c->m->d.cfg, CFG_KEY_mon_osd_pool_default_min_size);
	struct osdmap_pool p = { 0 };
	struct osdmap_inc inc;
	int rc;

	if (c->nargs < 1 || strlen(c->args[0]) >= sizeof(p.name) || !c->args[0][0])
		return mon_cmd_usage(c,
		                     "osd pool create NAME [PG_NUM [PGP_NUM]] [replicated] [RULE]");
	if (osdmap_pool_by_name(o, c->args[0])) {
		mon_cmd_status(c, "pool '%s' already exists", c->args[0]);
		return 0;
	}
	if ((rc = create_args(c, &p)) < 0)
		return rc;
	if (!rule_exists(o, p.place.rule)) {
		mon_cmd_status(c, "CRUSH rule %d does not exist", p.place.rule);
		return -ENOENT;
	}
	snprintf(p.name, sizeof(p.name), "%s", c->args[0]);
	p.place.id = o->pool_max + 1;
	p.place.size = (uint32_t)size;
	p.min_size = (uint32_t)(min && min <= size ? min : size - size / 2);
	p.place.object_hash = HASH_STR_RJENKINS;
	p.place.hashpspool = true;
	p.last_change = o->epoch + 1;
	osdmap_inc_init(&inc, o);
	inc.new_pool_max = p.place.id;
	rc = osdmap_inc_set_pool(&inc, &p);
	if (rc == 0)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	if (rc == 0)
		mon_cmd_status(c, "pool '%s' created", p.name);
	return rc;
}

static int cmd_pool_ls(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	bool detail = c->nargs > 0 && strcmp(c->args[0], "detail") == 0;
	json_t *arr = json_array();

	for (size_t i = 0; i < o->npools; i++) {
		const struct osdmap_pool *p = &o->pools[i];

		if (detail)
			mon_cmd_printf(
			    c,
			    "pool %lld '%s' replicated size %u min_size %u crush_rule %d "
			    "pg_num %u pgp_num %u last_change %u\n",
			    (long long)p->place.id, p->name, p->place.size, p->min_size,
			    p->place.rule, p->place.pg_num, p->place.pgp_num, p->last_change);
		else
			mon_cmd_printf(c, "%s\n", p->name);
		json_array_append_new(
		    arr, detail
		             ? json_pack("{s:I, s:s, s:i, s:i, s:i, s:i}", "pool_id",
		                         (json_int_t)p->place.id, "pool_name", p->name, "size",
		                         (int)p->place.size, "min_size", (int)p->min_size, "pg_num",
		                         (int)p->place.pg_num, "crush_rule", p->place.rule)
		             : json_string(p->name));
	}
	mon_cmd_set_json(c, arr);
	return 0;
}

static const char *const pool_vars[] = { "size",    "min_size",   "pg_num",
	                                 "pgp_num", "crush_rule", "hashpspool" };

static long long pool_var(const struct osdmap_pool *p, size_t v)
{
	switch (v) {
	case 0:
		return p->place.size;
	case 1:
		return p->min_size;
	case 2:
		return p->place.pg_num;
	case 3:
		return p->place.pgp_num;
	case 4:
		return p->place.rule;
	default:
		return p->place.hashpspool;
	}
}

static int cmd_pool_get(struct mon_cmd_ctx *c)
{
	const struct osdmap_pool *p;
	json_t *j;
	bool all;

	if (c->nargs != 2)
		return mon_cmd_usage(c, "osd pool get POOL size|min_size|pg_num|pgp_num|crush_rule|"
		                        "hashpspool|all");
	if (!(p = mon_cmd_arg_pool(c, 0)))
		return -ENOENT;
	all = strcmp(c->args[1], "all") == 0;
	j = json_pack("{s:s, s:I}", "pool", p->name, "pool_id", (json_int_t)p->place.id);
	for (size_t v = 0; v < sizeof(pool_vars) / sizeof(pool_vars[0]); v++) {
		if (!all && strcmp(c->args[1], pool_vars[v]) != 0)
			continue;
		mon_cmd_printf(c, "%s: %lld\n", pool_vars[v], pool_var(p, v));
		json_object_set_new(j, pool_vars[v], json_integer(pool_var(p, v)));
	}
	mon_cmd_set_json(c, j);
	if (json_object_size(j) > 2)
		return 0;
	mon_cmd_status(c, "unknown pool variable '%s'", c->args[1]);
	return -EINVAL;
}

/* Changes variable v of q (a copy) to the value in args[2]. */
static int pool_set_var(struct mon_cmd_ctx *c, struct osdmap_pool *q, size_t v)
{
	long long n;
	int rc;

	if (v == 4)
		return pool_rule(c, c->args[2], &q->place.rule);
	if (v == 5) {
		q->place.hashpspool =
		    strcmp(c->args[2], "true") == 0 || strcmp(c->args[2], "1") == 0;
		return 0;
	}
	rc = mon_cmd_arg_int(c, 2, pool_vars[v], 1, v >= 2 ? 65536 : 10, &n);
	if (rc < 0)
		return rc;
	if (v == 0) {
		q->place.size = (uint32_t)n;
		if (q->min_size > q->place.size)
			q->min_size = q->place.size;
	} else if (v == 1 && n > q->place.size) {
		mon_cmd_status(c, "min_size %lld must be in [1, size %u]", n, q->place.size);
		return -EINVAL;
	} else if (v == 1) {
		q->min_size = (uint32_t)n;
	} else if (v == 2) {
		q->place.pg_num = (uint32_t)n;
		q->place.pgp_num = (uint32_t)n;
	} else if (n > q->place.pg_num) {
		mon_cmd_status(c, "pgp_num %lld must not exceed pg_num %u", n, q->place.pg_num);
		return -EINVAL;
	} else {
		q->place.pgp_num = (uint32_t)n;
	}
	return 0;
}

static int cmd_pool_set(struct mon_cmd_ctx *c)
{
	const struct osdmap_pool *p;
	struct osdmap_pool q;
	struct osdmap_inc inc;
	size_t v, nv = sizeof(pool_vars) / sizeof(pool_vars[0]);
	int rc;

	if (c->nargs != 3)
		return mon_cmd_usage(c, "osd pool set POOL size|min_size|pg_num|pgp_num|crush_rule|"
		                        "hashpspool VALUE");
	if (!(p = mon_cmd_arg_pool(c, 0)))
		return -ENOENT;
	for (v = 0; v < nv && strcmp(c->args[1], pool_vars[v]) != 0; v++)
		;
	if (v == nv) {
		mon_cmd_status(c, "unknown pool variable '%s'", c->args[1]);
		return -EINVAL;
	}
	q = *p;
	if ((rc = pool_set_var(c, &q, v)) < 0)
		return rc;
	q.last_change = mon_svc_osdmap_view(c->m)->epoch + 1;
	osdmap_inc_init(&inc, mon_svc_osdmap_view(c->m));
	rc = osdmap_inc_set_pool(&inc, &q);
	if (rc == 0)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	if (rc == 0)
		mon_cmd_status(c, "set pool %lld %s to %s", (long long)q.place.id, c->args[1],
		               c->args[2]);
	return rc;
}

static bool pool_in_fs(const struct fsmap *fs, int64_t id)
{
	for (size_t i = 0; i < fs->nfs; i++) {
		if (fs->fs[i].metadata_pool == id)
			return true;
		for (uint32_t k = 0; k < fs->fs[i].ndata; k++)
			if (fs->fs[i].data_pools[k] == id)
				return true;
	}
	return false;
}

static int cmd_pool_rm(struct mon_cmd_ctx *c)
{
	const struct osdmap_pool *p;
	struct osdmap_inc inc;
	char name[OSDMAP_POOL_NAME_MAX];
	int rc;

	if (c->nargs < 1)
		return mon_cmd_usage(c, "osd pool rm POOL POOL --yes-i-really-really-mean-it");
	if (!(p = mon_cmd_arg_pool(c, 0)))
		return -ENOENT;
	if (c->nargs < 3 || strcmp(c->args[0], c->args[1]) != 0 ||
	    !mon_cmd_has_flag(c, "--yes-i-really-really-mean-it")) {
		mon_cmd_status(
		    c,
		    "WARNING: this will *PERMANENTLY DESTROY* all data stored in pool "
		    "%s. If you are *ABSOLUTELY CERTAIN* that is what you want, pass the "
		    "pool name *twice*, followed by --yes-i-really-really-mean-it.",
		    c->args[0]);
		return -EPERM;
	}
	if (pool_in_fs(mon_svc_fsmap_view(c->m), p->place.id)) {
		mon_cmd_status(c, "pool '%s' is in use by a filesystem", p->name);
		return -EBUSY;
	}
	snprintf(name, sizeof(name), "%s", p->name);
	osdmap_inc_init(&inc, mon_svc_osdmap_view(c->m));
	rc = osdmap_inc_remove_pool(&inc, p->place.id);
	if (rc == 0)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	if (rc == 0)
		mon_cmd_status(c, "pool '%s' removed", name);
	return rc;
}

static void set_list(char *buf, size_t n, const int *v, int cnt)
{
	size_t at = 0;

	buf[0] = 0;
	for (int i = 0; i < cnt && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%d", i ? "," : "", v[i]);
}

static int cmd_osd_map(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	const struct osdmap_pool *p;
	const char *ns = c->nargs > 2 ? c->args[2] : NULL;
	int up[32], primary = -1, n;
	struct osdmap_pg pg;
	char raw[48], pgs[48], set[256];
	json_t *jup;

	if (c->nargs < 2 || c->nargs > 3)
		return mon_cmd_usage(c, "osd map POOL OBJECT [NAMESPACE]");
	if (!(p = osdmap_pool_by_name(o, c->args[0]))) {
		mon_cmd_status(c, "pool '%s' does not exist", c->args[0]);
		return -ENOENT;
	}
	pg.pool = p->place.id;
	pg.ps = crush_object_hash(&p->place, ns, c->args[1], strlen(c->args[1]));
	osdmap_pg_str(pg, raw, sizeof(raw));
	pg.ps = crush_pool_pg(&p->place, pg.ps);
	osdmap_pg_str(pg, pgs, sizeof(pgs));
	n = osdmap_pg_up(o, pg, up, 32, &primary);
	if (n < 0) {
		mon_cmd_status(c, "cannot map pg %s: %s", pgs, strerror(-n));
		return n;
	}
	set_list(set, sizeof(set), up, n);
	mon_cmd_printf(c,
	               "osdmap e%u pool '%s' (%lld) object '%s' -> pg %s (%s) -> up ([%s], p%d) "
	               "acting ([%s], p%d)\n",
	               o->epoch, p->name, (long long)p->place.id, c->args[1], raw, pgs, set,
	               primary, set, primary);
	jup = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(jup, json_integer(up[i]));
	mon_cmd_set_json(c, json_pack("{s:i, s:s, s:I, s:s, s:s, s:s, s:O, s:i, s:o, s:i}", "epoch",
	                              (int)o->epoch, "pool", p->name, "pool_id",
	                              (json_int_t)p->place.id, "objname", c->args[1], "raw_pgid",
	                              raw, "pgid", pgs, "up", jup, "up_primary", primary, "acting",
	                              jup, "acting_primary", primary));
	return 0;
}

const struct mon_cmd_def mon_cmds_pool[] = {
	{ "osd pool create", MON_CMD_WRITE, cmd_pool_create,
	  "osd pool create NAME [PG_NUM [PGP_NUM]] [replicated] [RULE]" },
	{ "osd pool ls", MON_CMD_READ, cmd_pool_ls, "osd pool ls [detail]" },
	{ "osd lspools", MON_CMD_READ, cmd_pool_ls, "osd lspools" },
	{ "osd pool get", MON_CMD_READ, cmd_pool_get, "osd pool get POOL VAR|all" },
	{ "osd pool set", MON_CMD_WRITE, cmd_pool_set, "osd pool set POOL VAR VALUE" },
	{ "osd pool rm", MON_CMD_WRITE, cmd_pool_rm,
	  "osd pool rm POOL POOL --yes-i-really-really-mean-it" },
	{ "osd pool delete", MON_CMD_WRITE, cmd_pool_rm,
	  "osd pool delete POOL POOL --yes-i-really-really-mean-it" },
	{ "osd map", MON_CMD_READ, cmd_osd_map, "osd map POOL OBJECT [NAMESPACE]" },
};
const size_t mon_n_cmds_pool = sizeof(mon_cmds_pool) / sizeof(mon_cmds_pool[0]);
