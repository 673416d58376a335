/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/osd_mkfs.c - the OSD's arguments (--mkfs), creating its store, opening
 * it at start (superblock checks, the stored map and incrementals), and
 * persisting new maps.
 *
 * DESIGN
 * Collection "meta" holds: object "osd_superblock" (xattr "sb": struct
 * osd_super), "osdmap.<e>" (a full map, object data) and "inc_osdmap.<e>"
 * (the incremental that produced e, when we got one) for the newest
 * osd_map_cache_size epochs. Invariants: D1 superblock.current_epoch is the
 * newest e with an "osdmap.<e>" object (0: none), written in the same
 * transaction; D2 map objects exist only for epochs in [oldest_epoch,
 * current_epoch]; D3 a store whose superblock names another fsid or OSD id
 * is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/enc.h"
#include "common/log.h"
#include "common/mem.h"
#include "maps/uuid.h"
#include "store/store.h"
#include "osd/pg.h"

static const struct store_oid super_oid = { "", OSD_SUPER_OBJ, STORE_SNAP_HEAD };

int osd_step_args(struct daemon *d)
{
	struct osd *o = osd_of(d);
	const char *id = cfg_id(d->cfg);
	char *end;
	long n;

	for (int i = 1; i < d->argc; i++) {
		if (strcmp(d->argv[i], "--mkfs") == 0) {
			o->mkfs = true;
			continue;
		}
		fprintf(stderr, "%s: unknown argument '%s' (see --help)\n", d->prog, d->argv[i]);
		d->exit_code = 2;
		return -EINVAL;
	}
	n = strtol(id, &end, 10);
	if (!id[0] || *end || n < 0 || n >= OSDMAP_MAX_OSD) {
		fprintf(stderr, "%s: the OSD id must be a number 0..%d (-i N), not '%s'\n", d->prog,
		        OSDMAP_MAX_OSD - 1, id);
		d->exit_code = 2;
		return -EINVAL;
	}
	o->whoami = (int)n;
	o->lim.max_object_size = cfg_size(d->cfg, CFG_KEY_osd_max_object_size);
	o->lim.max_name_len = (uint32_t)cfg_int(d->cfg, CFG_KEY_osd_max_object_name_len);
	o->lim.max_attr_size = cfg_size(d->cfg, CFG_KEY_osd_max_attr_size);
	o->log_min = (size_t)cfg_int(d->cfg, CFG_KEY_osd_min_pg_log_entries);
	o->log_max = (size_t)cfg_int(d->cfg, CFG_KEY_osd_max_pg_log_entries);
	if (o->log_max < o->log_min)
		o->log_max = o->log_min;
	return 0;
}

static int mkdirs(const char *path)
{
	char buf[1024];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int super_txn(struct store_txn *t, const struct osd_super *s)
{
	struct enc e;
	int rc;

	enc_init(&e);
	osd_super_encode(&e, s);
	rc = enc_error(&e);
	if (rc == 0)
		rc = store_txn_setattr(t, OSD_META_CID, &super_oid, OSD_SUPER_ATTR, e.data, e.len);
	enc_fini(&e);
	return rc;
}

static int write_super(struct osd *o)
{
	struct store_txn *t;
	int rc = store_txn_create(&t);

	if (rc < 0)
		return rc;
	if ((rc = store_txn_coll_create(t, OSD_META_CID)) < 0 ||
	    (rc = store_txn_touch(t, OSD_META_CID, &super_oid)) < 0 ||
	    (rc = super_txn(t, &o->super)) < 0) {
		store_txn_destroy(t);
		return rc;
	}
	return store_apply_transaction(o->store, t);
}

static int do_mkfs(struct osd *o)
{
	const char *dir = cfg_str(o->d.cfg, CFG_KEY_osd_data);
	const char *uuid = cfg_str(o->d.cfg, CFG_KEY_osd_uuid);
	struct store_opts so;
	char us[MAPS_UUID_STR_LEN];
	int rc;

	if (maps_uuid_parse(cfg_str(o->d.cfg, CFG_KEY_fsid), o->super.fsid) < 0) {
		log_err(osd, "mkfs needs fsid = <cluster uuid> in the configuration (have '%s')",
		        cfg_str(o->d.cfg, CFG_KEY_fsid));
		return -EINVAL;
	}
	rc = uuid[0] ? maps_uuid_parse(uuid, o->super.uuid) : maps_uuid_generate(o->super.uuid);
	if (rc < 0) {
		log_err(osd, "osd_uuid '%s' is not a uuid", uuid);
		return rc;
	}
	o->super.whoami = o->whoami;
	store_opts_from_cfg(&so, o->d.cfg);
	if ((rc = mkdirs(dir)) < 0) {
		log_err(osd, "cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = store_bs_mkfs(dir, &so);
	if (rc == -EEXIST)
		log_err(osd, "mkfs: a store already exists in %s; refusing to overwrite it", dir);
	else if (rc < 0)
		log_err(osd, "mkfs: cannot create a store in %s: %s", dir, strerror(-rc));
	if (rc < 0)
		return rc;
	if ((rc = store_bs_open(dir, &so, &o->store)) < 0)
		return rc;
	rc = write_super(o);
	store_close(o->store);
	o->store = NULL;
	if (rc == 0)
		log_info(osd, "created object store for osd.%d (uuid %s) in %s", o->whoami,
		         maps_uuid_str(o->super.uuid, us), dir);
	return rc;
}

/* --- stored maps ----------------------------------------------------------------------- */

static void map_oid(char *buf, size_t n, bool inc, uint32_t e, struct store_oid *oid)
{
	snprintf(buf, n, "%sosdmap.%u", inc ? "inc_" : "", e);
	*oid = (struct store_oid){ "", buf, STORE_SNAP_HEAD };
}

/* Reads a whole meta object; *out caller owns. */
static ssize_t read_meta(struct osd *o, bool inc, uint32_t e, struct buf **out)
{
	char name[48];
	struct store_oid oid;

	map_oid(name, sizeof(name), inc, e, &oid);
	return store_read(o->store, OSD_META_CID, &oid, 0, 0, out);
}

int osd_map_load(struct osd *o, uint32_t e, struct osdmap **out)
{
	struct buf *b = NULL;
	struct dec d;
	ssize_t n = read_meta(o, false, e, &b);
	int rc;

	if (n < 0)
		return (int)n;
	dec_init(&d, buf_flatten(b), buf_len(b));
	rc = osdmap_decode(&d, out);
	buf_put(b);
	if (rc == 0 && (*out)->epoch != e) {
		osdmap_destroy(*out);
		rc = -EBADMSG;
	}
	return rc;
}

static int load_maps(struct osd *o)
{
	uint32_t keep = (uint32_t)cfg_int(o->d.cfg, CFG_KEY_osd_map_cache_size);
	struct osdmap *m = NULL;
	struct buf *b = NULL;
	struct dec d;
	ssize_t n;
	int rc;

	if (o->super.current_epoch == 0) {
		/* the base the first incremental applies to */
		if ((rc = osdmap_create(o->super.fsid, &m)) < 0)
			return rc;
		return (o->map = osd_mapref_create(m)) ? 0 : -ENOMEM;
	}
	n = read_meta(o, false, o->super.current_epoch, &b);
	if (n < 0) {
		log_err(osd, "the superblock names map e%u but it cannot be read: %s",
		        o->super.current_epoch, strerror((int)-n));
		return (int)n;
	}
	dec_init(&d, buf_flatten(b), buf_len(b));
	rc = osdmap_decode(&d, &m);
	buf_put(b);
	if (rc < 0) {
		log_err(osd, "stored map e%u is damaged: %s", o->super.current_epoch,
		        strerror(-rc));
		return rc;
	}
	if (!(o->map = osd_mapref_create(m)))
		return -ENOMEM;
	for (uint32_t e = o->super.oldest_epoch ? o->super.oldest_epoch : 1;
	     e <= o->super.current_epoch; e++) {
		if (read_meta(o, true, e, &b) < 0) {
			osd_inc_cache_fini(&o->incs); /* not consecutive */
			continue;
		}
		osd_inc_cache_add(&o->incs, e, buf_flatten(b), (uint32_t)buf_len(b), keep);
		buf_put(b);
	}
	return 0;
}

static int load_super(struct osd *o)
{
	uint8_t fsid[16];
	char a[MAPS_UUID_STR_LEN], b[MAPS_UUID_STR_LEN];
	void *v = NULL;
	size_t n = 0;
	int rc = store_getattr(o->store, OSD_META_CID, &super_oid, OSD_SUPER_ATTR, &v, &n);

	if (rc == 0)
		rc = osd_super_decode(v, n, &o->super);
	mem_free(v);
	if (rc < 0) {
		log_err(osd, "no valid superblock in the store (%s): not an OSD store?",
		        strerror(-rc));
		return rc;
	}
	if (o->super.whoami != o->whoami) {
		log_err(osd, "this store belongs to osd.%d, not osd.%d", o->super.whoami,
		        o->whoami);
		return -EINVAL;
	}
	if (maps_uuid_parse(cfg_str(o->d.cfg, CFG_KEY_fsid), fsid) == 0 &&
	    memcmp(fsid, o->super.fsid, 16) != 0) {
		log_err(osd,
		        "fsid mismatch: the store is of cluster %s, the configuration names %s",
		        maps_uuid_str(o->super.fsid, a), maps_uuid_str(fsid, b));
		return -EINVAL;
	}
	return 0;
}

int osd_step_store(struct daemon *d)
{
	struct osd *o = osd_of(d);
	const char *dir = cfg_str(d->cfg, CFG_KEY_osd_data);
	struct store_opts so;
	int rc;

	pthread_mutex_init(&o->map_lock, NULL);
	if (o->mkfs) {
		rc = do_mkfs(o);
		if (rc == 0)
			daemon_stop(d, 0);
		return rc;
	}
	store_opts_from_cfg(&so, d->cfg);
	rc = store_bs_open(dir, &so, &o->store);
	if (rc < 0) {
		log_err(osd, "cannot open the object store in %s: %s%s", dir, strerror(-rc),
		        rc == -ENOENT ? " (create it with --mkfs)" : "");
		fprintf(stderr, "%s: cannot open the object store in %s: %s%s\n", d->prog, dir,
		        strerror(-rc), rc == -ENOENT ? "; create it with --mkfs -i N -c CONF" : "");
		return rc;
	}
	if ((rc = load_super(o)) < 0 || (rc = load_maps(o)) < 0) {
		store_close(o->store);
		o->store = NULL;
		return rc;
	}
	log_info(osd, "osd.%d: store %s open, map e%u", o->whoami, dir, o->super.current_epoch);
	return 0;
}

void osd_unstep_store(struct daemon *d)
{
	struct osd *o = osd_of(d);

	store_close(o->store);
	o->store = NULL;
	osd_mapref_put(o->map);
	o->map = NULL;
	osd_inc_cache_fini(&o->incs);
	pthread_mutex_destroy(&o->map_lock);
}

/* --- persisting maps ---------------------------------------------------------------------- */

static int put_meta(struct store_txn *t, bool inc, uint32_t e, const void *p, size_t n)
{
	char name[48];
	struct store_oid oid;
	struct buf *b;
	int rc = buf_create(&b);

	map_oid(name, sizeof(name), inc, e, &oid);
	if (rc == 0 && n)
		rc = buf_append(b, p, n);
	if (rc == 0)
		rc = store_txn_touch(t, OSD_META_CID, &oid);
	if (rc == 0 && n)
		rc = store_txn_write(t, OSD_META_CID, &oid, 0, b);
	buf_put(b);
	return rc;
}

/* D2: removes map objects of epochs before `oldest`. */
static int trim_maps(struct osd *o, struct store_txn *t, uint32_t oldest)
{
	for (uint32_t e = o->super.oldest_epoch; e && e < oldest; e++)
		for (int inc = 0; inc < 2; inc++) {
			char name[48];
			struct store_oid oid;
			struct store_stat st;
			int rc;

			map_oid(name, sizeof(name), inc, e, &oid);
			if (store_stat(o->store, OSD_META_CID, &oid, &st) < 0)
				continue;
			if ((rc = store_txn_remove(t, OSD_META_CID, &oid)) < 0)
				return rc;
		}
	return 0;
}

int osd_store_map(struct osd *o, const struct osdmap *m, const uint8_t *inc, size_t inc_len)
{
	uint32_t keep = (uint32_t)cfg_int(o->d.cfg, CFG_KEY_osd_map_cache_size);
	struct osd_super s = o->super;
	struct store_txn *t;
	struct enc e;
	int rc = store_txn_create(&t);

	if (rc < 0)
		return rc;
	enc_init(&e);
	osdmap_encode(m, &e);
	rc = enc_error(&e);
	s.current_epoch = m->epoch;
	if (!s.oldest_epoch ||
	    (s.current_epoch >= keep && s.oldest_epoch < s.current_epoch - keep + 1))
		s.oldest_epoch = m->epoch >= keep ? m->epoch - keep + 1 : 1;
	if (rc == 0)
		rc = put_meta(t, false, m->epoch, e.data, e.len);
	if (rc == 0 && inc)
		rc = put_meta(t, true, m->epoch, inc, inc_len);
	if (rc == 0)
		rc = trim_maps(o, t, s.oldest_epoch);
	if (rc == 0)
		rc = super_txn(t, &s);
	enc_fini(&e);
	if (rc == 0)
		rc = store_queue_transaction(o->store, t, NULL, NULL, NULL);
	if (rc < 0) {
		store_txn_destroy(t);
		return rc;
	}
	o->super = s;
	return 0;
}
