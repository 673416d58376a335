/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_cmd_mon.c - cluster-level commands: status, mon stat|dump|getmap,
 * mon add|remove, quorum_status, central config (config set|get|rm|dump) and file systems
 * (fs new|ls|rm|dump); the admin socket's mon_status and quorum_status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/asok.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/mem.h"
#include "maps/uuid.h"
#include "mon/mon_cmd.h"

static const char *state_name(const struct mon *m)
{
	if (mon_is_leader(m))
		return "leader";
	return m->leader == MON_RAFT_NONE ? "electing" : "peon";
}

static json_t *quorum_json(const struct mon *m, bool names)
{
	uint64_t q = mon_quorum_mask(m);
	json_t *a = json_array();

	for (uint32_t r = 0; a && r < m->svc.monmap.n; r++)
		if (q & (1ull << r))
			json_array_append_new(a, names ? json_string(m->svc.monmap.mons[r].name)
			                               : json_integer(r));
	return a;
}

json_t *mon_status_json(struct mon *m)
{
	const char *lname = m->leader == MON_RAFT_NONE ? "" : mon_id_name(m, m->leader);
	int lrank = m->leader == MON_RAFT_NONE ? -1 : monmap_rank_by_id(&m->svc.monmap, m->leader);

	return json_pack("{s:s, s:i, s:s, s:I, s:i, s:s, s:o, s:o, s:I, s:I, s:i, s:i, s:o}",
	                 "name", m->name, "rank", (int)m->rank, "state", state_name(m), "term",
	                 (json_int_t)m->term, "leader", lrank < 0 ? -1 : lrank, "leader_name",
	                 lname, "quorum", quorum_json(m, false), "quorum_names",
	                 quorum_json(m, true), "applied", (json_int_t)m->applied, "commit",
	                 (json_int_t)(m->raft ? mon_raft_commit(m->raft) : 0), "osdmap_epoch",
	                 (int)m->svc.osdmap->epoch, "fsmap_epoch", (int)m->svc.fsmap.epoch,
	                 "monmap", monmap_dump_json(&m->svc.monmap));
}

/* Publishes the status for the admin socket thread (under status_lock). */
void mon_status_publish(struct mon *m)
{
	json_t *j = mon_status_json(m), *old;

	if (!j)
		return;
	pthread_mutex_lock(&m->status_lock);
	old = m->status_snap;
	m->status_snap = j;
	pthread_mutex_unlock(&m->status_lock);
	json_decref(old);
}

static int asok_mon_status(void *arg, json_t *args, json_t *req, json_t **result)
{
	struct mon *m = arg;

	(void)args;
	(void)req;
	pthread_mutex_lock(&m->status_lock);
	*result = m->status_snap ? json_deep_copy(m->status_snap) : json_object();
	pthread_mutex_unlock(&m->status_lock);
	return *result ? 0 : -ENOMEM;
}

int mon_step_asok(struct daemon *d)
{
	struct mon *m = mon_of(d);
	int rc;

	if (m->mkfs || !d->asok)
		return 0;
	mon_status_publish(m);
	rc = asok_register(d->asok, "mon_status", "mon_status: this monitor's consensus state",
	                   asok_mon_status, m);
	if (rc == 0)
		rc = asok_register(d->asok, "quorum_status",
		                   "quorum_status: leader, quorum and maps", asok_mon_status, m);
	return rc;
}

void mon_unstep_asok(struct daemon *d)
{
	struct mon *m = mon_of(d);

	if (m->mkfs || !d->asok)
		return;
	asok_unregister(d->asok, "mon_status");
	asok_unregister(d->asok, "quorum_status");
}

/* --- status ------------------------------------------------------------------- */

static void names_of(const struct mon *m, uint64_t mask, char *buf, size_t n)
{
	size_t at = 0;

	buf[0] = 0;
	for (uint32_t r = 0; r < m->svc.monmap.n && at < n; r++)
		if (mask & (1ull << r))
			at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? "," : "",
			                       m->svc.monmap.mons[r].name);
}

static json_t *health_checks(const struct mon *m, const char **overall)
{
	const struct osdmap *o = m->svc.osdmap;
	uint64_t q = mon_quorum_mask(m);
	int ex, up, in, nq = __builtin_popcountll(q);
	json_t *checks = json_object();
	char buf[256], names[128];

	osdmap_counts(o, &ex, &up, &in);
	*overall = "HEALTH_OK";
	if ((size_t)nq < m->svc.monmap.n) {
		names_of(m, q, names, sizeof(names));
		snprintf(buf, sizeof(buf), "%zu/%zu mons down, quorum %s",
		         m->svc.monmap.n - (size_t)nq, m->svc.monmap.n, names);
		json_object_set_new(checks, "MON_DOWN", json_string(buf));
	}
	if (up < ex) {
		snprintf(buf, sizeof(buf), "%d osds down", ex - up);
		json_object_set_new(checks, "OSD_DOWN", json_string(buf));
	}
	if (o->flags) {
		size_t at = 0;

		for (unsigned b = 0; osdmap_flag_name(b); b++)
			if (o->flags & (1u << b))
				at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s",
				                       at ? "," : "", osdmap_flag_name(b));
		snprintf(buf + at, sizeof(buf) - at, " flag(s) set");
		json_object_set_new(checks, "OSDMAP_FLAGS", json_string(buf));
	}
	if (o->npools && ex < (int)cfg_int(m->d.cfg, CFG_KEY_mon_osd_pool_default_size)) {
		snprintf(buf, sizeof(buf), "OSD count %d < mon_osd_pool_default_size %lld", ex,
		         (long long)cfg_int(m->d.cfg, CFG_KEY_mon_osd_pool_default_size));
		json_object_set_new(checks, "TOO_FEW_OSDS", json_string(buf));
	}
	mon_pg_health(m, checks);
	if (json_object_size(checks))
		*overall = "HEALTH_WARN";
	if (json_object_get(checks, "OSD_SCRUB_ERRORS") || json_object_get(checks, "PG_DAMAGED"))
		*overall = "HEALTH_ERR"; /* damaged data, as Ceph */
	return checks;
}

static uint64_t total_pgs(const struct osdmap *o)
{
	uint64_t n = 0;

	for (size_t i = 0; i < o->npools; i++)
		n += o->pools[i].place.pg_num;
	return n;
}

static void status_text(struct mon_cmd_ctx *c, const char *health, json_t *checks)
{
	struct mon *m = c->m;
	const struct osdmap *o = m->svc.osdmap;
	char fsid[MAPS_UUID_STR_LEN], names[128];
	const char *k;
	json_t *v;
	int ex, up, in;

	osdmap_counts(o, &ex, &up, &in);
	names_of(m, mon_quorum_mask(m), names, sizeof(names));
	mon_cmd_printf(c, "  cluster:\n    id:     %s\n    health: %s\n",
	               maps_uuid_str(m->fsid, fsid), health);
	json_object_foreach(checks, k, v)
	    mon_cmd_printf(c, "            %s: %s\n", k, json_string_value(v));
	mon_cmd_printf(c, "\n  services:\n    mon: %zu daemons, quorum %s (leader %s, term %llu)\n",
	               m->svc.monmap.n, names, mon_id_name(m, m->id), (unsigned long long)m->term);
	mon_cmd_printf(c, "    osd: %d osds: %d up, %d in; epoch: e%u\n", ex, up, in, o->epoch);
	if (m->svc.fsmap.nfs)
		mon_cmd_printf(c, "    mds: %zu filesystems, %zu daemons\n", m->svc.fsmap.nfs,
		               m->svc.fsmap.nmds);
	mon_cmd_printf(c, "\n  data:\n    pools:   %zu pools, %llu pgs\n", o->npools,
	               (unsigned long long)total_pgs(o));
	if (o->npools)
		mon_pg_status_text(c);
}

static int cmd_status(struct mon_cmd_ctx *c)
{
	struct mon *m = c->m;
	const struct osdmap *o = m->svc.osdmap;
	char fsid[MAPS_UUID_STR_LEN];
	const char *health;
	json_t *checks = health_checks(m, &health);
	int ex, up, in;

	osdmap_counts(o, &ex, &up, &in);
	if (!c->json) {
		status_text(c, health, checks);
		json_decref(checks);
		return 0;
	}
	mon_cmd_set_json(
	    c, json_pack("{s:s, s:{s:s, s:o}, s:I, s:o, s:o, s:o, s:{s:i, s:i, s:i,"
	                 " s:i}, s:o, s:o}",
	                 "fsid", maps_uuid_str(m->fsid, fsid), "health", "status", health, "checks",
	                 checks, "election_epoch", (json_int_t)m->term, "quorum",
	                 quorum_json(m, false), "quorum_names", quorum_json(m, true), "monmap",
	                 monmap_dump_json(&m->svc.monmap), "osdmap", "epoch", (int)o->epoch,
	                 "num_osds", ex, "num_up_osds", up, "num_in_osds", in, "pgmap",
	                 mon_pg_status_json(m), "fsmap", fsmap_dump_json(&m->svc.fsmap)));
	return 0;
}

/* health: the overall status and each check, one a line (Ceph's `ceph health detail`). */
static int cmd_health(struct mon_cmd_ctx *c)
{
	const char *health, *k;
	json_t *checks = health_checks(c->m, &health), *v;

	if (c->json) {
		mon_cmd_set_json(c, json_pack("{s:s, s:o}", "status", health, "checks", checks));
		return 0;
	}
	mon_cmd_printf(c, "%s\n", health);
	json_object_foreach(checks, k, v) mon_cmd_printf(
	    c, "[%s] %s: %s\n",
	    strcmp(health, "HEALTH_ERR") == 0 &&
	            (strcmp(k, "OSD_SCRUB_ERRORS") == 0 || strcmp(k, "PG_DAMAGED") == 0)
	        ? "ERR"
	        : "WRN",
	    k, json_string_value(v));
	json_decref(checks);
	return 0;
}

static int cmd_mon_stat(struct mon_cmd_ctx *c)
{
	struct mon *m = c->m;
	char a[MSG_ADDR_STR_MAX], names[128], ranks[64] = "";
	uint64_t q = mon_quorum_mask(m);
	size_t at = 0;

	if (c->json) {
		mon_cmd_set_json(
		    c, json_pack("{s:i, s:I, s:i, s:s, s:o, s:o, s:i}", "epoch",
		                 (int)m->svc.monmap.epoch, "election_epoch", (json_int_t)m->term,
		                 "leader", (int)m->rank, "leader_name", mon_id_name(m, m->id),
		                 "quorum", quorum_json(m, false), "quorum_names",
		                 quorum_json(m, true), "num_mons", (int)m->svc.monmap.n));
		return 0;
	}
	mon_cmd_printf(c, "e%u: %zu mons at {", m->svc.monmap.epoch, m->svc.monmap.n);
	for (size_t r = 0; r < m->svc.monmap.n; r++)
		mon_cmd_printf(c, "%s%s=%s", r ? "," : "", m->svc.monmap.mons[r].name,
		               msg_addr_str(&m->svc.monmap.mons[r].addr, a));
	for (uint32_t r = 0; r < m->svc.monmap.n; r++)
		if (q & (1ull << r))
			at += (size_t)snprintf(ranks + at, sizeof(ranks) - at, "%s%u",
			                       at ? "," : "", r);
	names_of(m, q, names, sizeof(names));
	mon_cmd_printf(c, "}, election epoch %llu, leader %u %s, quorum %s %s\n",
	               (unsigned long long)m->term, m->rank, mon_id_name(m, m->id), ranks, names);
	return 0;
}

/* --- monitor membership -------------------------------------------------------- */

/* Queues the MonMap `next` (epoch committed + 1) alone in its entry; the
 * leader then moves the consensus configuration to its ids, one change per
 * tick (mon_consensus.c C6). */
static void propose_monmap(struct mon_cmd_ctx *c, struct monmap *next)
{
	struct enc e;

	next->epoch = c->m->svc.monmap.epoch + 1;
	next->modified_ns = (uint64_t)mon_now_ms() * 1000000u;
	enc_init(&e);
	monmap_encode(next, &e);
	mon_txn_add(&c->tx, MON_OP_MONMAP, e.data, e.len);
	enc_fini(&e);
}

static int check_idle(struct mon_cmd_ctx *c)
{
	if (!mon_change_in_progress(c->m))
		return 0;
	mon_cmd_status(c, "another monitor change is in progress; retry when it is done");
	return -EBUSY;
}

static int cmd_mon_add(struct mon_cmd_ctx *c)
{
	struct monmap next = c->m->svc.monmap;
	struct msg_addr a;
	int rc;

	if (c->nargs != 2)
		return mon_cmd_usage(c, "mon add NAME IP:PORT");
	if (msg_addr_parse(c->args[1], &a) < 0) {
		mon_cmd_status(c, "bad address '%s' (IP:PORT)", c->args[1]);
		return -EINVAL;
	}
	rc = monmap_add(&next, c->args[0], &a);
	if (rc == -EEXIST) {
		mon_cmd_status(c, "a monitor named %s or at %s exists", c->args[0], c->args[1]);
		return rc;
	}
	if (rc < 0) {
		mon_cmd_status(c, "cannot add mon.%s: %s", c->args[0], strerror(-rc));
		return rc;
	}
	if ((rc = check_idle(c)) < 0)
		return rc;
	propose_monmap(c, &next);
	mon_cmd_status(c, "added mon.%s at %s (id %u), monmap epoch %u", c->args[0], c->args[1],
	               next.mons[monmap_rank(&next, c->args[0])].id, next.epoch);
	return 0;
}

static int cmd_mon_remove(struct mon_cmd_ctx *c)
{
	struct monmap next = c->m->svc.monmap;
	int rc;

	if (c->nargs != 1)
		return mon_cmd_usage(c, "mon remove NAME");
	if (monmap_remove(&next, c->args[0]) < 0) {
		mon_cmd_status(c, "no monitor named %s", c->args[0]);
		return -ENOENT;
	}
	if (next.n == 0) {
		mon_cmd_status(c, "mon.%s is the last monitor", c->args[0]);
		return -EBUSY;
	}
	if ((rc = check_idle(c)) < 0)
		return rc;
	propose_monmap(c, &next);
	mon_cmd_status(c, "removed mon.%s, monmap epoch %u", c->args[0], next.epoch);
	return 0;
}

/* The committed MonMap, encoded: the input of sepia-mon --mkfs --monmap. */
static int cmd_mon_getmap(struct mon_cmd_ctx *c)
{
	struct enc e;
	int rc;

	enc_init(&e);
	monmap_encode(&c->m->svc.monmap, &e);
	rc = enc_error(&e);
	mem_free(c->out);
	c->out = rc ? NULL : mem_malloc(e.len + 1);
	if (c->out)
		memcpy(c->out, e.data, e.len);
	else if (!rc)
		rc = -ENOMEM;
	c->out_len = c->out ? e.len : 0;
	c->out_cap = c->out ? e.len + 1 : 0;
	c->json = false;
	enc_fini(&e);
	if (rc == 0)
		mon_cmd_status(c, "got monmap epoch %u", c->m->svc.monmap.epoch);
	return rc;
}

static int cmd_mon_dump(struct mon_cmd_ctx *c)
{
	char a[MSG_ADDR_STR_MAX], fsid[MAPS_UUID_STR_LEN];
	const struct monmap *mm = &c->m->svc.monmap;

	if (c->json) {
		mon_cmd_set_json(c, monmap_dump_json(mm));
		return 0;
	}
	mon_cmd_printf(c, "epoch %u\nfsid %s\n", mm->epoch, maps_uuid_str(mm->fsid, fsid));
	for (size_t r = 0; r < mm->n; r++)
		mon_cmd_printf(c, "%zu: %s mon.%s\n", r, msg_addr_str(&mm->mons[r].addr, a),
		               mm->mons[r].name);
	return 0;
}

static int cmd_quorum_status(struct mon_cmd_ctx *c)
{
	json_t *j = mon_status_json(c->m);
	char *s;

	if (c->json) {
		mon_cmd_set_json(c, j);
		return 0;
	}
	s = json_dumps(j, JSON_INDENT(4));
	mon_cmd_printf(c, "%s\n", s ? s : "{}");
	free(s);
	json_decref(j);
	return 0;
}

/* --- central config: kv keys "config/<who>/<option>" -------------------------- */

static int config_key(struct mon_cmd_ctx *c, size_t at, char *key, size_t n, bool check_value)
{
	struct cfg *tmp = NULL;
	int rc;

	if (at + 1 >= c->nargs)
		return mon_cmd_usage(c, check_value ? "config set WHO OPTION VALUE"
		                                    : "config get|rm WHO OPTION");
	if (cfg_find(c->args[at + 1]) < 0) {
		mon_cmd_status(c, "unrecognized config option '%s'", c->args[at + 1]);
		return -EINVAL;
	}
	if (strchr(c->args[at], '/') || !c->args[at][0]) {
		mon_cmd_status(c, "invalid section '%s'", c->args[at]);
		return -EINVAL;
	}
	snprintf(key, n, "config/%s/%s", c->args[at], c->args[at + 1]);
	if (!check_value)
		return 0;
	if (at + 2 >= c->nargs)
		return mon_cmd_usage(c, "config set WHO OPTION VALUE");
	rc = cfg_create(CFG_D_MON, "check", &tmp);
	if (rc == 0)
		rc = cfg_set(tmp, CFG_LAYER_RUNTIME, c->args[at + 1], c->args[at + 2]);
	cfg_destroy(tmp);
	if (rc < 0)
		mon_cmd_status(c, "invalid value '%s' for %s: %s", c->args[at + 2], c->args[at + 1],
		               strerror(-rc));
	return rc;
}

static int cmd_config_set(struct mon_cmd_ctx *c)
{
	char key[512];
	int rc = config_key(c, 0, key, sizeof(key), true);

	if (rc == 0)
		mon_txn_kv(&c->tx, key, c->args[2]);
	return rc;
}

static int cmd_config_rm(struct mon_cmd_ctx *c)
{
	char key[512];
	int rc = config_key(c, 0, key, sizeof(key), false);

	if (rc == 0 && json_object_get(c->m->svc.kv, key))
		mon_txn_kv(&c->tx, key, NULL);
	return rc;
}

/* The value for who: its own section, then its type ("osd"), then global. */
static const char *config_lookup(const struct mon *m, const char *who, const char *opt)
{
	char key[512], type[64];
	const char *v;

	snprintf(key, sizeof(key), "config/%s/%s", who, opt);
	if ((v = json_string_value(json_object_get(m->svc.kv, key))))
		return v;
	snprintf(type, sizeof(type), "%.*s", (int)strcspn(who, "."), who);
	snprintf(key, sizeof(key), "config/%s/%s", type, opt);
	if ((v = json_string_value(json_object_get(m->svc.kv, key))))
		return v;
	snprintf(key, sizeof(key), "config/global/%s", opt);
	return json_string_value(json_object_get(m->svc.kv, key));
}

static int cmd_config_get(struct mon_cmd_ctx *c)
{
	const char *v;
	int k;

	if (c->nargs == 1) { /* everything set for who */
		json_t *all = json_object(), *val;
		const char *key;
		size_t pl = strlen("config/") + strlen(c->args[0]) + 1;

		json_object_foreach(c->m->svc.kv, key,
		                    val) if (strncmp(key, "config/", 7) == 0 && strlen(key) > pl &&
		                             strncmp(key + 7, c->args[0], pl - 8) == 0 &&
		                             key[pl - 1] == '/')
		{
			json_object_set(all, key + pl, val);
			if (!c->json)
				mon_cmd_printf(c, "%s = %s\n", key + pl, json_string_value(val));
		}
		mon_cmd_set_json(c, all);
		return 0;
	}
	if (c->nargs != 2)
		return mon_cmd_usage(c, "config get WHO [OPTION]");
	if ((k = cfg_find(c->args[1])) < 0) {
		mon_cmd_status(c, "unrecognized config option '%s'", c->args[1]);
		return -ENOENT;
	}
	v = config_lookup(c->m, c->args[0], c->args[1]);
	if (!v)
		v = cfg_opt((enum cfg_key)k)->def;
	mon_cmd_printf(c, "%s\n", v);
	mon_cmd_set_json(c, json_string(v));
	return 0;
}

static int cmd_config_dump(struct mon_cmd_ctx *c)
{
	json_t *arr = json_array(), *val;
	const char *key;

	if (!c->json)
		mon_cmd_printf(c, "%-20s %-32s %s\n", "WHO", "OPTION", "VALUE");
	json_object_foreach(c->m->svc.kv, key, val)
	{
		const char *who = key + 7, *slash;

		if (strncmp(key, "config/", 7) != 0 || !(slash = strchr(who, '/')))
			continue;
		if (!c->json)
			mon_cmd_printf(c, "%-20.*s %-32s %s\n", (int)(slash - who), who, slash + 1,
			               json_string_value(val));
		json_array_append_new(arr, json_pack("{s:s%, s:s, s:O}", "section", who,
		                                     (size_t)(slash - who), "name", slash + 1,
		                                     "value", val));
	}
	mon_cmd_set_json(c, arr);
	return 0;
}

/* --- file systems --------------------------------------------------------------- */

static int cmd_fs_new(struct mon_cmd_ctx *c)
{
	const struct osdmap_pool *meta, *data;
	struct fsmap fs = *mon_svc_fsmap_view(c->m);
	int32_t id;
	int rc;

	if (c->nargs != 3)
		return mon_cmd_usage(c, "fs new NAME METADATA_POOL DATA_POOL");
	if (!(meta = mon_cmd_arg_pool(c, 1)) || !(data = mon_cmd_arg_pool(c, 2)))
		return -ENOENT;
	if (meta == data) {
		mon_cmd_status(c, "metadata and data pools must differ");
		return -EINVAL;
	}
	rc = fsmap_fs_add(&fs, c->args[0], meta->place.id, data->place.id, &id);
	if (rc == -EEXIST)
		mon_cmd_status(c, "filesystem '%s' already exists", c->args[0]);
	else if (rc < 0)
		mon_cmd_status(c, "cannot add filesystem '%s': %s", c->args[0], strerror(-rc));
	if (rc < 0)
		return rc;
	mon_cmd_status(c, "new fs with metadata pool %lld and data pool %lld",
	               (long long)meta->place.id, (long long)data->place.id);
	return mon_svc_propose_fsmap(c->m, &fs, &c->tx);
}

static int cmd_fs_rm(struct mon_cmd_ctx *c)
{
	struct fsmap fs = *mon_svc_fsmap_view(c->m);

	if (c->nargs < 1)
		return mon_cmd_usage(c, "fs rm NAME --yes-i-really-mean-it");
	if (!fsmap_fs_by_name(&fs, c->args[0])) {
		mon_cmd_status(c, "filesystem '%s' does not exist", c->args[0]);
		return -ENOENT;
	}
	if (!mon_cmd_has_flag(c, "--yes-i-really-mean-it")) {
		mon_cmd_status(c, "this removes filesystem '%s'; pass --yes-i-really-mean-it",
		               c->args[0]);
		return -EPERM;
	}
	fsmap_fs_remove(&fs, c->args[0]);
	return mon_svc_propose_fsmap(c->m, &fs, &c->tx);
}

static const char *pool_name(const struct osdmap *o, int64_t id)
{
	const struct osdmap_pool *p = osdmap_pool(o, id);

	return p ? p->name : "?";
}

static int cmd_fs_ls(struct mon_cmd_ctx *c)
{
	const struct fsmap *fs = &c->m->svc.fsmap;
	const struct osdmap *o = c->m->svc.osdmap;
	json_t *arr = json_array();

	for (size_t i = 0; i < fs->nfs; i++) {
		const struct fsmap_fs *f = &fs->fs[i];
		json_t *dp = json_array();

		mon_cmd_printf(c, "name: %s, metadata pool: %s, data pools: [", f->name,
		               pool_name(o, f->metadata_pool));
		for (uint32_t k = 0; k < f->ndata; k++) {
			mon_cmd_printf(c, "%s ", pool_name(o, f->data_pools[k]));
			json_array_append_new(dp, json_string(pool_name(o, f->data_pools[k])));
		}
		mon_cmd_printf(c, "]\n");
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s, s:o}", "name", f->name, "metadata_pool",
		                                pool_name(o, f->metadata_pool), "data_pools", dp));
	}
	if (fs->nfs == 0)
		mon_cmd_printf(c, "No filesystems enabled\n");
	mon_cmd_set_json(c, arr);
	return 0;
}

static int cmd_fs_dump(struct mon_cmd_ctx *c)
{
	const struct fsmap *fs = &c->m->svc.fsmap;
	char a[MSG_ADDR_STR_MAX];

	mon_cmd_set_json(c, fsmap_dump_json(fs));
	mon_cmd_printf(c, "e%u\n", fs->epoch);
	for (size_t i = 0; i < fs->nfs; i++)
		mon_cmd_printf(c, "Filesystem '%s' (%d) max_mds %u\n", fs->fs[i].name, fs->fs[i].id,
		               fs->fs[i].max_mds);
	for (size_t i = 0; i < fs->nmds; i++)
		mon_cmd_printf(c, "[mds.%s{%d:%llu} state %s fs %d addr %s]\n", fs->mds[i].name,
		               fs->mds[i].rank, (unsigned long long)fs->mds[i].gid,
		               fsmap_state_name(fs->mds[i].state), fs->mds[i].fs,
		               msg_addr_str(&fs->mds[i].addr, a));
	return 0;
}

const struct mon_cmd_def mon_cmds_mon[] = {
	{ "status", MON_CMD_LEADER, cmd_status, "status" },
	{ "health", MON_CMD_LEADER, cmd_health, "health [detail]" },
	{ "mon stat", MON_CMD_LEADER, cmd_mon_stat, "mon stat" },
	{ "mon dump", MON_CMD_READ, cmd_mon_dump, "mon dump" },
	{ "mon getmap", MON_CMD_READ, cmd_mon_getmap, "mon getmap -o FILE" },
	{ "mon add", MON_CMD_WRITE, cmd_mon_add, "mon add NAME IP:PORT" },
	{ "mon remove", MON_CMD_WRITE, cmd_mon_remove, "mon remove NAME" },
	{ "quorum_status", MON_CMD_LEADER, cmd_quorum_status, "quorum_status" },
	{ "config set", MON_CMD_WRITE, cmd_config_set, "config set WHO OPTION VALUE" },
	{ "config rm", MON_CMD_WRITE, cmd_config_rm, "config rm WHO OPTION" },
	{ "config get", MON_CMD_READ, cmd_config_get, "config get WHO [OPTION]" },
	{ "config dump", MON_CMD_READ, cmd_config_dump, "config dump" },
	{ "fs new", MON_CMD_WRITE, cmd_fs_new, "fs new NAME METADATA_POOL DATA_POOL" },
	{ "fs rm", MON_CMD_WRITE, cmd_fs_rm, "fs rm NAME --yes-i-really-mean-it" },
	{ "fs ls", MON_CMD_READ, cmd_fs_ls, "fs ls" },
	{ "fs dump", MON_CMD_READ, cmd_fs_dump, "fs dump" },
};
const size_t mon_n_cmds_mon = sizeof(mon_cmds_mon) / sizeof(mon_cmds_mon[0]);
