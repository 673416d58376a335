/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_cmd_osd.c - OSD map commands: osd dump|tree|stat|ls, osd
 * out|in|down|reweight|primary-affinity, osd set|unset FLAG, osd blocklist
 * add|rm|ls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timer.h"
#include "crush/crush.h"
#include "maps/uuid.h"
#include "mon/mon_cmd.h"

static const char *time_str(uint64_t ns, char *buf, size_t n)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	return buf;
}

static void flags_str(uint32_t flags, char *buf, size_t n)
{
	size_t at = 0;

	buf[0] = 0;
	for (unsigned b = 0; osdmap_flag_name(b) && at < n; b++)
		if (flags & (1u << b))
			at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? "," : "",
			                       osdmap_flag_name(b));
}

static int cmd_osd_dump(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	char t1[32], t2[32], fsid[MAPS_UUID_STR_LEN], fl[128], a[MSG_ADDR_STR_MAX];

	mon_cmd_set_json(c, osdmap_dump_json(o));
	if (c->json)
		return 0;
	flags_str(o->flags, fl, sizeof(fl));
	mon_cmd_printf(c, "epoch %u\nfsid %s\ncreated %s\nmodified %s\nflags %s\n\n", o->epoch,
	               maps_uuid_str(o->fsid, fsid), time_str(o->created_ns, t1, sizeof(t1)),
	               time_str(o->modified_ns, t2, sizeof(t2)), fl);
	for (size_t i = 0; i < o->npools; i++) {
		const struct osdmap_pool *p = &o->pools[i];

		mon_cmd_printf(c,
		               "pool %lld '%s' replicated size %u min_size %u crush_rule %d "
		               "object_hash rjenkins pg_num %u pgp_num %u last_change %u%s\n",
		               (long long)p->place.id, p->name, p->place.size, p->min_size,
		               p->place.rule, p->place.pg_num, p->place.pgp_num, p->last_change,
		               p->place.hashpspool ? " flags hashpspool" : "");
	}
	mon_cmd_printf(c, "\nmax_osd %d\n", o->max_osd);
	for (int i = 0; i < o->max_osd; i++) {
		const struct osdmap_osd *d = &o->osds[i];

		if (!d->exists)
			continue;
		mon_cmd_printf(c,
		               "osd.%d %-4s %-3s weight %g up_from %u down_at %u "
		               "primary_affinity %g %s/%llu\n",
		               i, d->up ? "up" : "down", d->weight ? "in" : "out",
		               d->weight / 65536.0, d->up_from, d->down_at,
		               d->primary_affinity / 65536.0, msg_addr_str(&d->addr, a),
		               (unsigned long long)d->nonce);
	}
	for (size_t i = 0; i < o->nblocked; i++)
		mon_cmd_printf(c, "blocklist %s/%llu\n", msg_addr_str(&o->blocked[i].addr, a),
		               (unsigned long long)o->blocked[i].nonce);
	return 0;
}

static int cmd_osd_stat(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	int ex, up, in;

	osdmap_counts(o, &ex, &up, &in);
	mon_cmd_printf(c, "%d osds: %d up, %d in; epoch: e%u\n", ex, up, in, o->epoch);
	mon_cmd_set_json(c, json_pack("{s:i, s:i, s:i, s:i}", "epoch", (int)o->epoch, "num_osds",
	                              ex, "num_up_osds", up, "num_in_osds", in));
	return 0;
}

static int cmd_osd_ls(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	json_t *arr = json_array();

	for (int i = 0; i < o->max_osd; i++)
		if (o->osds[i].exists) {
			mon_cmd_printf(c, "%d\n", i);
			json_array_append_new(arr, json_integer(i));
		}
	mon_cmd_set_json(c, arr);
	return 0;
}

/* --- osd tree ------------------------------------------------------------------ */

static bool is_child(const struct crush_map *cm, int32_t id)
{
	for (int32_t s = 0; s < cm->max_buckets; s++) {
		const struct crush_bucket *b = cm->buckets[s];

		if (!b || crush_is_shadow(cm, b->id))
			continue;
		for (uint32_t i = 0; i < b->size; i++)
			if (b->items[i] == id)
				return true;
	}
	return false;
}

static const char *class_of(const struct crush_map *cm, int32_t dev)
{
	if (dev < 0 || dev >= cm->device_class_len || cm->device_class[dev] < 0)
		return "";
	return crush_names_get(&cm->class_names, cm->device_class[dev]);
}

static void tree_osd(struct mon_cmd_ctx *c, int32_t id, uint32_t w, int depth, json_t *nodes)
{
	const struct osdmap *o = c->m->svc.osdmap;
	const struct crush_map *cm = o->crush;
	bool ex = osdmap_osd_exists(o, id);
	double rw = ex ? o->osds[id].weight / 65536.0 : 0,
	       pa = ex ? o->osds[id].primary_affinity / 65536.0 : 0;
	const char *st = !ex ? "dne" : o->osds[id].up ? "up" : "down";
	char name[32];

	snprintf(name, sizeof(name), "osd.%d", id);
	mon_cmd_printf(c, "%3d %6s %8.5f %*s%-*s %6s %9.5f %8.5f\n", id, class_of(cm, id),
	               w / 65536.0, 4 * depth, "", depth < 4 ? 20 - 4 * depth : 4, name, st, rw,
	               pa);
	json_array_append_new(
	    nodes, json_pack("{s:i, s:s, s:s, s:i, s:f, s:i, s:s, s:f, s:f}", "id", id, "name",
	                     name, "type", "osd", "type_id", 0, "crush_weight", w / 65536.0,
	                     "depth", depth, "status", st, "reweight", rw, "primary_affinity", pa));
}

static void tree_bucket(struct mon_cmd_ctx *c, const struct crush_bucket *b, int depth,
                        json_t *nodes)
{
	const struct crush_map *cm = c->m->svc.osdmap->crush;
	const char *type = crush_names_get(&cm->type_names, b->type);
	const char *name = crush_names_get(&cm->item_names, b->id);
	json_t *kids = json_array();
	char tn[80];

	snprintf(tn, sizeof(tn), "%s ", type ? type : "?");
	mon_cmd_printf(c, "%3d %6s %8.5f %*s%s\n", b->id, "", b->weight / 65536.0,
	               4 * depth + (int)strlen(tn), tn, name ? name : "?");
	for (uint32_t i = 0; i < b->size; i++)
		json_array_append_new(kids, json_integer(b->items[i]));
	json_array_append_new(nodes,
	                      json_pack("{s:i, s:s, s:s, s:i, s:f, s:i, s:o}", "id", b->id, "name",
	                                name ? name : "", "type", type ? type : "", "type_id",
	                                (int)b->type, "crush_weight", b->weight / 65536.0, "depth",
	                                depth, "children", kids));
	for (uint32_t i = 0; i < b->size && depth < CRUSH_MAX_DEPTH; i++) {
		const struct crush_bucket *k =
		    b->items[i] < 0 ? crush_get_bucket(cm, b->items[i]) : NULL;

		if (k)
			tree_bucket(c, k, depth + 1, nodes);
		else if (b->items[i] >= 0)
			tree_osd(c, b->items[i], b->item_weights[i], depth + 1, nodes);
	}
}

static int cmd_osd_tree(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	const struct crush_map *cm = o->crush;
	json_t *nodes = json_array(), *stray = json_array();

	mon_cmd_printf(c, "%3s %6s %8s %-20s %6s %9s %8s\n", "ID", "CLASS", "WEIGHT", "TYPE NAME",
	               "STATUS", "REWEIGHT", "PRI-AFF");
	for (int32_t s = 0; s < cm->max_buckets; s++) {
		const struct crush_bucket *b = cm->buckets[s];

		if (b && !crush_is_shadow(cm, b->id) && !is_child(cm, b->id))
			tree_bucket(c, b, 0, nodes);
	}
	for (int i = 0; i < o->max_osd; i++)
		if (o->osds[i].exists && !is_child(cm, i))
			tree_osd(c, i, 0, 0, stray);
	mon_cmd_set_json(c, json_pack("{s:o, s:o}", "nodes", nodes, "stray", stray));
	return 0;
}

/* --- state changes ------------------------------------------------------------- */

enum osd_change { CH_OUT, CH_IN, CH_DOWN };

/* One incremental for every OSD id in the arguments. */
static int change_osds(struct mon_cmd_ctx *c, enum osd_change ch)
{
	static const char *const verb[] = { "out", "in", "down" };
	const struct osdmap *o = mon_svc_osdmap_view(c->m);
	struct osdmap_inc inc;
	size_t at = 0;
	int rc = 0, id, changed = 0;

	if (c->nargs == 0)
		return mon_cmd_usage(c, "osd out|in|down ID [ID...]");
	osdmap_inc_init(&inc, o);
	for (size_t i = 0; rc == 0 && i < c->nargs; i++) {
		struct osdmap_inc_osd *d;
		bool noop;

		if ((rc = mon_cmd_arg_osd(c, i, &id)) < 0)
			break;
		noop = ch == CH_OUT  ? o->osds[id].weight == 0
		       : ch == CH_IN ? o->osds[id].weight != 0
		                     : !o->osds[id].up;
		if (at + 40 < sizeof(c->status))
			at += (size_t)snprintf(c->status + at, sizeof(c->status) - at,
			                       noop ? "osd.%2$d is already %1$s. "
			                            : "marked %1$s osd.%2$d. ",
			                       verb[ch], id);
		if (noop)
			continue;
		if (!(d = osdmap_inc_osd(&inc, id))) {
			rc = -ENOMEM;
			break;
		}
		d->set |= ch == CH_DOWN ? OSDMAP_INC_UP : OSDMAP_INC_WEIGHT;
		d->up = false;
		d->weight = ch == CH_IN ? OSDMAP_WEIGHT_IN : 0;
		changed++;
	}
	if (rc == 0 && changed)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	return rc;
}

static int cmd_osd_out(struct mon_cmd_ctx *c)
{
	return change_osds(c, CH_OUT);
}

static int cmd_osd_in(struct mon_cmd_ctx *c)
{
	return change_osds(c, CH_IN);
}

static int cmd_osd_down(struct mon_cmd_ctx *c)
{
	return change_osds(c, CH_DOWN);
}

/* osd reweight ID W and osd primary-affinity ID W (W in [0, 1]). */
static int set_fraction(struct mon_cmd_ctx *c, bool affinity)
{
	struct osdmap_inc inc;
	struct osdmap_inc_osd *d;
	double w;
	int id, rc;

	if (c->nargs != 2)
		return mon_cmd_usage(c, affinity ? "osd primary-affinity ID WEIGHT"
		                                 : "osd reweight ID WEIGHT");
	if ((rc = mon_cmd_arg_osd(c, 0, &id)) < 0 ||
	    (rc = mon_cmd_arg_double(c, 1, "weight", 0, 1, &w)) < 0)
		return rc;
	osdmap_inc_init(&inc, mon_svc_osdmap_view(c->m));
	d = osdmap_inc_osd(&inc, id);
	rc = d ? 0 : -ENOMEM;
	if (d) {
		d->set |= affinity ? OSDMAP_INC_AFFINITY : OSDMAP_INC_WEIGHT;
		d->weight = d->primary_affinity = (uint32_t)(w * 65536.0 + 0.5);
		rc = mon_cmd_propose_inc(c, &inc);
	}
	osdmap_inc_fini(&inc);
	if (rc == 0)
		mon_cmd_status(c, "%s osd.%d to %g",
		               affinity ? "set primary_affinity of" : "reweighted", id, w);
	return rc;
}

static int cmd_osd_reweight(struct mon_cmd_ctx *c)
{
	return set_fraction(c, false);
}

static int cmd_osd_affinity(struct mon_cmd_ctx *c)
{
	return set_fraction(c, true);
}

static int set_flag(struct mon_cmd_ctx *c, bool on)
{
	const struct osdmap *o = mon_svc_osdmap_view(c->m);
	struct osdmap_inc inc;
	int f, rc;

	if (c->nargs != 1)
		return mon_cmd_usage(c, on ? "osd set FLAG" : "osd unset FLAG");
	if ((f = osdmap_flag_parse(c->args[0])) < 0) {
		mon_cmd_status(c, "unknown flag '%s'", c->args[0]);
		return -EINVAL;
	}
	mon_cmd_status(c, "%s is %s", c->args[0], on ? "set" : "unset");
	if (!!(o->flags & (uint32_t)f) == on)
		return 0;
	osdmap_inc_init(&inc, o);
	inc.new_flags = on ? (o->flags | (uint32_t)f) : (o->flags & ~(uint32_t)f);
	rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	return rc;
}

static int cmd_osd_set(struct mon_cmd_ctx *c)
{
	return set_flag(c, true);
}

static int cmd_osd_unset(struct mon_cmd_ctx *c)
{
	return set_flag(c, false);
}

/* --- blocklist --------------------------------------------------------------- */

/* "IP:PORT/NONCE" (nonce 0 when absent). */
static int parse_entity_addr(struct mon_cmd_ctx *c, size_t i, struct msg_addr *a, uint64_t *nonce)
{
	char buf[MSG_ADDR_STR_MAX + 24], *slash, *end;

	if (i >= c->nargs)
		return mon_cmd_usage(c, "osd blocklist add|rm ADDR[/NONCE] [SECONDS]");
	snprintf(buf, sizeof(buf), "%s", c->args[i]);
	slash = strrchr(buf, '/');
	*nonce = 0;
	if (slash) {
		*slash = 0;
		*nonce = strtoull(slash + 1, &end, 10);
		if (!slash[1] || *end)
			buf[0] = 0; /* a bad nonce: fail below */
	}
	if (msg_addr_parse(buf, a) < 0) {
		mon_cmd_status(c, "invalid address '%s' (want IP:PORT/NONCE)", c->args[i]);
		return -EINVAL;
	}
	return 0;
}

static int cmd_blocklist_add(struct mon_cmd_ctx *c)
{
	struct osdmap_blocked b = { 0 };
	struct osdmap_inc inc;
	double secs = 3600;
	int rc = parse_entity_addr(c, 0, &b.addr, &b.nonce);

	if (rc == 0 && c->nargs > 1)
		rc = mon_cmd_arg_double(c, 1, "expiry seconds", 1, 1e9, &secs);
	if (rc < 0)
		return rc;
	b.until_ns = tmr_wall_ns() + (uint64_t)(secs * 1e9);
	osdmap_inc_init(&inc, mon_svc_osdmap_view(c->m));
	rc = osdmap_inc_block(&inc, &b);
	if (rc == 0)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	if (rc == 0)
		mon_cmd_status(c, "blocklisting %s until +%gs", c->args[0], secs);
	return rc;
}

static int cmd_blocklist_rm(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = mon_svc_osdmap_view(c->m);
	struct osdmap_inc inc;
	struct msg_addr a;
	uint64_t nonce;
	size_t i;
	int rc = parse_entity_addr(c, 0, &a, &nonce);

	if (rc < 0)
		return rc;
	for (i = 0; i < o->nblocked; i++)
		if (!memcmp(&o->blocked[i].addr, &a, sizeof(a)) && o->blocked[i].nonce == nonce)
			break;
	if (i == o->nblocked) {
		mon_cmd_status(c, "%s isn't blocklisted", c->args[0]);
		return 0;
	}
	osdmap_inc_init(&inc, o);
	rc = osdmap_inc_unblock(&inc, &a, nonce);
	if (rc == 0)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	if (rc == 0)
		mon_cmd_status(c, "un-blocklisting %s", c->args[0]);
	return rc;
}

static int cmd_blocklist_ls(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	char a[MSG_ADDR_STR_MAX], t[32], ent[MSG_ADDR_STR_MAX + 24];
	json_t *arr = json_array();

	for (size_t i = 0; i < o->nblocked; i++) {
		snprintf(ent, sizeof(ent), "%s/%llu", msg_addr_str(&o->blocked[i].addr, a),
		         (unsigned long long)o->blocked[i].nonce);
		time_str(o->blocked[i].until_ns, t, sizeof(t));
		mon_cmd_printf(c, "%s %s\n", ent, t);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "addr", ent, "until", t));
	}
	mon_cmd_status(c, "listed %zu entries", o->nblocked);
	mon_cmd_set_json(c, arr);
	return 0;
}

const struct mon_cmd_def mon_cmds_osd[] = {
	{ "osd dump", MON_CMD_READ, cmd_osd_dump, "osd dump" },
	{ "osd tree", MON_CMD_READ, cmd_osd_tree, "osd tree" },
	{ "osd stat", MON_CMD_READ, cmd_osd_stat, "osd stat" },
	{ "osd ls", MON_CMD_READ, cmd_osd_ls, "osd ls" },
	{ "osd out", MON_CMD_WRITE, cmd_osd_out, "osd out ID [ID...]" },
	{ "osd in", MON_CMD_WRITE, cmd_osd_in, "osd in ID [ID...]" },
	{ "osd down", MON_CMD_WRITE, cmd_osd_down, "osd down ID [ID...]" },
	{ "osd reweight", MON_CMD_WRITE, cmd_osd_reweight, "osd reweight ID WEIGHT" },
	{ "osd primary-affinity", MON_CMD_WRITE, cmd_osd_affinity,
	  "osd primary-affinity ID WEIGHT" },
	{ "osd set", MON_CMD_WRITE, cmd_osd_set, "osd set FLAG" },
	{ "osd unset", MON_CMD_WRITE, cmd_osd_unset, "osd unset FLAG" },
	{ "osd blocklist add", MON_CMD_WRITE, cmd_blocklist_add,
	  "osd blocklist add ADDR[/NONCE] [SECONDS]" },
	{ "osd blocklist rm", MON_CMD_WRITE, cmd_blocklist_rm, "osd blocklist rm ADDR[/NONCE]" },
	{ "osd blocklist ls", MON_CMD_READ, cmd_blocklist_ls, "osd blocklist ls" },
};
const size_t mon_n_cmds_osd = sizeof(mon_cmds_osd) / sizeof(mon_cmds_osd[0]);
