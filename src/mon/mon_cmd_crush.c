/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_cmd_crush.c - CRUSH map commands: osd crush add|add-bucket|move|
 * rm|reweight and osd getcrushmap|setcrushmap. Each edit works on a private
 * copy of the pending view's CRUSH map and proposes it whole in one OSD map
 * incremental. Also the bucket helper OSD boot shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "crush/builder.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "crush/text.h"
#include "mon/mon_cmd.h"

int mon_crush_ensure_bucket(struct crush_map *c, const char *name, const char *type, int32_t parent,
                            int32_t *id)
{
	struct crush_bucket_spec spec = { .alg = CRUSH_BUCKET_STRAW2 };
	struct crush_bucket *b = NULL;
	int32_t tid;
	int rc;

	if (crush_names_lookup(&c->item_names, name, id) == 0)
		return 0;
	if (crush_names_lookup(&c->type_names, type, &tid) < 0 || tid == 0)
		return -EINVAL;
	spec.type = tid;
	rc = crush_bucket_make(c, &spec, &b);
	if (rc < 0)
		return rc;
	rc = crush_add_bucket(c, 0, b, id);
	if (rc < 0) {
		crush_bucket_destroy(b);
		return rc;
	}
	rc = crush_names_set(&c->item_names, *id, name);
	if (rc == 0 && parent)
		rc = crush_bucket_add_item(c, parent, *id, 0);
	return rc;
}

/* A private, editable copy of the pending CRUSH map. */
static int crush_copy(struct mon_cmd_ctx *c, struct crush_map **out)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int rc = crush_encode(mon_svc_osdmap_view(c->m)->crush, &p, &n);

	if (rc == 0)
		rc = crush_decode(p, n, out);
	free(p);
	return rc;
}

static int crush_commit(struct mon_cmd_ctx *c, struct crush_map *cm)
{
	struct osdmap_inc inc;
	int rc;

	crush_finalize(cm);
	osdmap_inc_init(&inc, mon_svc_osdmap_view(c->m));
	rc = osdmap_inc_set_crush(&inc, cm);
	if (rc == 0)
		rc = mon_cmd_propose_inc(c, &inc);
	osdmap_inc_fini(&inc);
	return rc;
}

static int type_id(const struct crush_map *cm, const char *t)
{
	int32_t id;

	return crush_names_lookup(&cm->type_names, t, &id) < 0 ? -1 : id;
}

struct location {
	const char *types[16], *names[16];
	char buf[16][64];
	size_t n;
};

/* Parses args[from..] "type=name" (skipping --flags) into loc, adding
 * root=default when no root is named, sorted by type, highest first. */
static int parse_location(struct mon_cmd_ctx *c, const struct crush_map *cm, size_t from,
                          struct location *loc)
{
	bool has_root = false;

	for (size_t i = from; i < c->nargs && loc->n < 15; i++) {
		const char *eq = strchr(c->args[i], '=');
		char *t = loc->buf[loc->n];

		if (strncmp(c->args[i], "--", 2) == 0)
			continue;
		if (!eq || eq == c->args[i] || !eq[1] || (size_t)(eq - c->args[i]) >= 64) {
			mon_cmd_status(c, "invalid location '%s' (want type=name)", c->args[i]);
			return -EINVAL;
		}
		snprintf(t, 64, "%.*s", (int)(eq - c->args[i]), c->args[i]);
		if (type_id(cm, t) <= 0) {
			mon_cmd_status(c, "unknown CRUSH bucket type '%s'", t);
			return -EINVAL;
		}
		has_root |= strcmp(t, "root") == 0;
		loc->types[loc->n] = t;
		loc->names[loc->n++] = eq + 1;
	}
	if (!has_root) {
		loc->types[loc->n] = "root";
		loc->names[loc->n++] = "default";
	}
	for (size_t i = 0; i + 1 < loc->n; i++)
		for (size_t k = i + 1; k < loc->n; k++)
			if (type_id(cm, loc->types[k]) > type_id(cm, loc->types[i])) {
				const char *t = loc->types[i], *nm = loc->names[i];

				loc->types[i] = loc->types[k], loc->names[i] = loc->names[k];
				loc->types[k] = t, loc->names[k] = nm;
			}
	return 0;
}

/* Resolves the location in args[from..] into a chain of buckets (created
 * when missing, each under the previous); *bucket = the lowest. */
static int locate(struct mon_cmd_ctx *c, struct crush_map *cm, size_t from, int32_t *bucket)
{
	struct location loc = { .n = 0 };
	int32_t parent = 0;
	int rc = parse_location(c, cm, from, &loc);

	for (size_t i = 0; rc == 0 && i < loc.n; i++) {
		rc = mon_crush_ensure_bucket(cm, loc.names[i], loc.types[i], parent, &parent);
		if (rc < 0)
			mon_cmd_status(c, "cannot create bucket '%s': %s", loc.names[i],
			               strerror(-rc));
	}
	if (rc == 0)
		*bucket = parent;
	return rc;
}

/* The CRUSH item named by args[i]: a bucket name or osd.N. */
static int item_arg(struct mon_cmd_ctx *c, const struct crush_map *cm, size_t i, int32_t *id)
{
	if (i >= c->nargs) {
		mon_cmd_status(c, "missing item name");
		return -EINVAL;
	}
	if (crush_names_lookup(&cm->item_names, c->args[i], id) == 0)
		return 0;
	mon_cmd_status(c, "item '%s' does not exist in the CRUSH map", c->args[i]);
	return -ENOENT;
}

static bool in_tree(const struct crush_map *cm, int32_t id)
{
	for (int32_t s = 0; s < cm->max_buckets; s++)
		for (uint32_t i = 0; cm->buckets[s] && i < cm->buckets[s]->size; i++)
			if (cm->buckets[s]->items[i] == id)
				return true;
	return false;
}

static int cmd_crush_add(struct mon_cmd_ctx *c)
{
	struct crush_map *cm = NULL;
	int32_t bucket;
	double w;
	int osd, rc;

	if (c->nargs < 2)
		return mon_cmd_usage(c, "osd crush add osd.N WEIGHT [type=name ...]");
	if ((rc = mon_cmd_arg_osd(c, 0, &osd)) < 0 ||
	    (rc = mon_cmd_arg_double(c, 1, "weight", 0, 65535, &w)) < 0)
		return rc;
	if ((rc = crush_copy(c, &cm)) < 0)
		return rc;
	if (in_tree(cm, osd)) {
		mon_cmd_status(c,
		               "osd.%d is already in the CRUSH map; use osd crush move or "
		               "reweight",
		               osd);
		rc = -EEXIST;
		goto out;
	}
	if ((rc = locate(c, cm, 2, &bucket)) < 0)
		goto out;
	rc = crush_bucket_add_item(cm, bucket, osd, (uint32_t)(w * 65536.0 + 0.5));
	if (rc == 0) {
		char nm[32];

		snprintf(nm, sizeof(nm), "osd.%d", osd);
		rc = crush_names_set(&cm->item_names, osd, nm);
	}
	if (rc == 0 && (rc = crush_commit(c, cm)) == 0)
		mon_cmd_status(c, "add item id %d name 'osd.%d' weight %g to crush map", osd, osd,
		               w);
out:
	crush_map_destroy(cm);
	return rc;
}

static int cmd_crush_add_bucket(struct mon_cmd_ctx *c)
{
	struct crush_map *cm = NULL;
	int32_t id, parent = 0;
	int rc;

	if (c->nargs < 2)
		return mon_cmd_usage(c, "osd crush add-bucket NAME TYPE [type=name ...]");
	if ((rc = crush_copy(c, &cm)) < 0)
		return rc;
	if (crush_names_lookup(&cm->item_names, c->args[0], &id) == 0) {
		mon_cmd_status(c, "item '%s' already exists", c->args[0]);
		goto out;
	}
	if (c->nargs > 2 && (rc = locate(c, cm, 2, &parent)) < 0)
		goto out;
	rc = mon_crush_ensure_bucket(cm, c->args[0], c->args[1], parent, &id);
	if (rc == -EINVAL)
		mon_cmd_status(c, "unknown CRUSH bucket type '%s'", c->args[1]);
	if (rc == 0 && (rc = crush_commit(c, cm)) == 0)
		mon_cmd_status(c, "added bucket %s type %s to crush map", c->args[0], c->args[1]);
out:
	crush_map_destroy(cm);
	return rc;
}

static int cmd_crush_move(struct mon_cmd_ctx *c)
{
	struct crush_map *cm = NULL;
	int32_t id, bucket;
	int rc;

	if (c->nargs < 2)
		return mon_cmd_usage(c, "osd crush move NAME type=name [...]");
	if ((rc = crush_copy(c, &cm)) < 0)
		return rc;
	if ((rc = item_arg(c, cm, 0, &id)) < 0 || (rc = locate(c, cm, 1, &bucket)) < 0)
		goto out;
	if (id == bucket) {
		mon_cmd_status(c, "cannot move '%s' under itself", c->args[0]);
		rc = -EINVAL;
		goto out;
	}
	rc = crush_move_item(cm, id, bucket);
	if (rc < 0)
		mon_cmd_status(c, "cannot move '%s': %s", c->args[0], strerror(-rc));
	if (rc == 0 && (rc = crush_commit(c, cm)) == 0)
		mon_cmd_status(c, "moved item id %d name '%s' to location in crush map", id,
		               c->args[0]);
out:
	crush_map_destroy(cm);
	return rc;
}

static int cmd_crush_rm(struct mon_cmd_ctx *c)
{
	struct crush_map *cm = NULL;
	int32_t id;
	int rc;

	if (c->nargs < 1)
		return mon_cmd_usage(c, "osd crush rm NAME");
	if ((rc = crush_copy(c, &cm)) < 0)
		return rc;
	if ((rc = item_arg(c, cm, 0, &id)) < 0)
		goto out;
	if (id < 0 && crush_get_bucket(cm, id)->size) {
		mon_cmd_status(c, "bucket '%s' is not empty", c->args[0]);
		rc = -ENOTEMPTY;
		goto out;
	}
	for (int32_t s = 0; rc == 0 && s < cm->max_buckets; s++)
		if (cm->buckets[s] && !crush_is_shadow(cm, cm->buckets[s]->id))
			for (uint32_t i = 0; i < cm->buckets[s]->size; i++)
				if (cm->buckets[s]->items[i] == id) {
					rc = crush_bucket_remove_item(cm, cm->buckets[s]->id, id);
					break;
				}
	if (rc == 0 && id < 0)
		rc = crush_remove_bucket(cm, id);
	if (rc < 0)
		mon_cmd_status(c, "cannot remove '%s': %s", c->args[0], strerror(-rc));
	if (rc == 0 && (rc = crush_commit(c, cm)) == 0)
		mon_cmd_status(c, "removed item id %d name '%s' from crush map", id, c->args[0]);
out:
	crush_map_destroy(cm);
	return rc;
}

static int cmd_crush_reweight(struct mon_cmd_ctx *c)
{
	struct crush_map *cm = NULL;
	int32_t id;
	double w;
	int rc;

	if (c->nargs != 2)
		return mon_cmd_usage(c, "osd crush reweight NAME WEIGHT");
	if ((rc = mon_cmd_arg_double(c, 1, "weight", 0, 65535, &w)) < 0 ||
	    (rc = crush_copy(c, &cm)) < 0)
		return rc;
	if ((rc = item_arg(c, cm, 0, &id)) < 0)
		goto out;
	if (id < 0) {
		mon_cmd_status(c, "'%s' is a bucket: reweight its items", c->args[0]);
		rc = -EINVAL;
		goto out;
	}
	rc = crush_reweight_item(cm, id, (uint32_t)(w * 65536.0 + 0.5));
	if (rc == 0 && (rc = crush_commit(c, cm)) == 0)
		mon_cmd_status(c, "reweighted item id %d name '%s' to %g in crush map", id,
		               c->args[0], w);
out:
	crush_map_destroy(cm);
	return rc;
}

static int cmd_getcrushmap(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	uint8_t *p = NULL;
	size_t n = 0;
	int rc = crush_encode(o->crush, &p, &n);

	if (rc < 0)
		return rc;
	mem_free(c->out);
	c->out = mem_malloc(n + 1);
	if (c->out)
		memcpy(c->out, p, n);
	c->out_len = c->out ? n : 0;
	c->out_cap = c->out ? n + 1 : 0;
	c->json = false;
	free(p);
	mon_cmd_status(c, "got crush map from osdmap epoch %u", o->epoch);
	return c->out ? 0 : -ENOMEM;
}

static int cmd_setcrushmap(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = mon_svc_osdmap_view(c->m);
	struct crush_map *cm = NULL;
	struct crush_text_error err = { 0 };
	int rc;

	if (!c->in || !c->in_len) {
		mon_cmd_status(c, "no input: use osd setcrushmap -i FILE");
		return -EINVAL;
	}
	if (c->in_len >= CRUSH_CODEC_MAGIC_LEN &&
	    memcmp(c->in, CRUSH_CODEC_MAGIC, CRUSH_CODEC_MAGIC_LEN) == 0)
		rc = crush_decode(c->in, c->in_len, &cm);
	else
		rc = crush_text_compile((const char *)c->in, c->in_len, &cm, &err);
	if (rc < 0) {
		mon_cmd_status(c, "cannot decode the CRUSH map: %s%s", strerror(-rc),
		               err.reason ? err.reason : "");
		return -EINVAL;
	}
	for (size_t i = 0; rc == 0 && i < o->npools; i++)
		if ((uint32_t)o->pools[i].place.rule >= cm->max_rules ||
		    !cm->rules[o->pools[i].place.rule]) {
			mon_cmd_status(c, "pool '%s' uses CRUSH rule %d, missing from the new map",
			               o->pools[i].name, o->pools[i].place.rule);
			rc = -EINVAL;
		}
	if (rc == 0 && (rc = crush_commit(c, cm)) == 0)
		mon_cmd_status(c, "set crush map (osdmap e%u)", o->epoch + 1);
	crush_map_destroy(cm);
	return rc;
}

const struct mon_cmd_def mon_cmds_crush[] = {
	{ "osd crush add", MON_CMD_WRITE, cmd_crush_add,
	  "osd crush add osd.N WEIGHT [type=name ...]" },
	{ "osd crush set", MON_CMD_WRITE, cmd_crush_reweight, "osd crush set NAME WEIGHT" },
	{ "osd crush add-bucket", MON_CMD_WRITE, cmd_crush_add_bucket,
	  "osd crush add-bucket NAME TYPE [type=name ...]" },
	{ "osd crush move", MON_CMD_WRITE, cmd_crush_move, "osd crush move NAME type=name ..." },
	{ "osd crush rm", MON_CMD_WRITE, cmd_crush_rm, "osd crush rm NAME" },
	{ "osd crush remove", MON_CMD_WRITE, cmd_crush_rm, "osd crush remove NAME" },
	{ "osd crush reweight", MON_CMD_WRITE, cmd_crush_reweight,
	  "osd crush reweight NAME WEIGHT" },
	{ "osd getcrushmap", MON_CMD_READ, cmd_getcrushmap, "osd getcrushmap" },
	{ "osd setcrushmap", MON_CMD_WRITE, cmd_setcrushmap, "osd setcrushmap -i FILE" },
};
const size_t mon_n_cmds_crush = sizeof(mon_cmds_crush) / sizeof(mon_cmds_crush[0]);
