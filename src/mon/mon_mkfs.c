/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_mkfs.c - the monitor's own arguments (--mkfs), creating the store
 * from the fsid and the initial MonMap, and opening it at start.
 *
 * DESIGN
 * The store's application space holds, besides the map services' keys,
 * prefix "mon": "fsid" (16 bytes), "monmap" (the MonMap, also kept up to
 * date by mon_svc), "bootstrap" (u64 LE mask of the initial members' ranks,
 * the consensus configuration of a fresh store). mkfs writes exactly these
 * and nothing else, identically on every initial member, so a snapshot from
 * any member carries the same values.
 * Joining (--mkfs --monmap FILE, FILE from `sepia mon getmap -o FILE` after
 * `sepia mon add`): the fsid and MonMap come from FILE and "bootstrap" is 0,
 * so the consensus core starts with no configuration and waits for the
 * leader; it learns the log from index 1 (the MonMap changes up to FILE's
 * epoch do not apply: they are alone in their entries, see mon_consensus.c
 * C6) or a snapshot, which replaces these keys.
 * Invariants: after mon_step_store m->store is open, m->fsid is the store's
 * fsid, m->rank is this monitor's index in the stored MonMap and m->id its
 * member id there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "maps/uuid.h"
#include "mon/mon.h"
#include "mon/mon_store.h"

int mon_step_args(struct daemon *d)
{
	struct mon *m = mon_of(d);

	for (int i = 1; i < d->argc; i++) {
		if (strcmp(d->argv[i], "--mkfs") == 0) {
			m->mkfs = true;
			continue;
		}
		if (strcmp(d->argv[i], "--monmap") == 0 && i + 1 < d->argc) {
			m->monmap_file = d->argv[++i];
			continue;
		}
		fprintf(stderr, "%s: unknown argument '%s' (see --help)\n", d->prog, d->argv[i]);
		d->exit_code = 2;
		return -EINVAL;
	}
	if (m->monmap_file && !m->mkfs) {
		fprintf(stderr, "%s: --monmap needs --mkfs\n", d->prog);
		d->exit_code = 2;
		return -EINVAL;
	}
	m->name = cfg_id(d->cfg);
	return 0;
}

/* The MonMap of a joining monitor (--monmap FILE); takes the fsid from it. */
static int read_monmap_file(struct mon *m, struct monmap *out)
{
	uint8_t buf[16384], cfsid[16];
	FILE *f = fopen(m->monmap_file, "rb");
	struct dec d;
	size_t n;
	int rc;

	if (!f) {
		rc = -errno;
		log_err(mon, "cannot open %s: %s", m->monmap_file, strerror(-rc));
		return rc;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	dec_init(&d, buf, n);
	if (n == sizeof(buf) || monmap_decode(&d, out) < 0) {
		log_err(mon, "%s is not a monitor map", m->monmap_file);
		return -EINVAL;
	}
	if (maps_uuid_parse(cfg_str(m->d.cfg, CFG_KEY_fsid), cfsid) == 0 &&
	    memcmp(cfsid, out->fsid, 16) != 0) {
		log_err(mon, "the fsid of %s differs from the configuration's", m->monmap_file);
		return -EINVAL;
	}
	memcpy(m->fsid, out->fsid, 16);
	return 0;
}

/* The initial MonMap from mon_host; fsid must be set. */
int mon_initial_monmap(struct mon *m, struct monmap *out)
{
	const char *hosts = cfg_str(m->d.cfg, CFG_KEY_mon_host);

	monmap_init(out, m->fsid);
	if (!hosts[0] || monmap_parse_hosts(out, hosts) < 0) {
		log_err(mon, "mon_host '%s' does not name the monitors (a=IP:PORT,...)", hosts);
		return -EINVAL;
	}
	out->epoch = 1;
	out->created_ns = out->modified_ns = tmr_wall_ns();
	return 0;
}

/* Member ids of mon_initial_members (all monitors when it is empty). */
static int bootstrap_mask(struct mon *m, const struct monmap *mm, uint64_t *mask)
{
	char copy[512], *save = NULL, *tok;
	const char *members = cfg_str(m->d.cfg, CFG_KEY_mon_initial_members);

	*mask = 0;
	if (!members[0]) {
		*mask = monmap_id_mask(mm);
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", members);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int r = monmap_rank(mm, tok);

		if (r < 0) {
			log_err(mon, "mon_initial_members names '%s', not in mon_host", tok);
			return -EINVAL;
		}
		*mask |= 1ull << mm->mons[r].id;
	}
	return 0;
}

static int mkdirs(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path);
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

static int write_mkfs(struct mon *m, const struct monmap *mm, uint64_t mask)
{
	struct mon_store_batch *b;
	struct enc e;
	uint8_t le[8];
	int rc;

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(mask >> (8 * i));
	rc = mon_store_batch_create(m->store, &b);
	if (rc < 0)
		return rc;
	enc_init(&e);
	monmap_encode(mm, &e);
	rc = enc_error(&e);
	if (rc == 0) {
		mon_store_batch_put(b, "mon", "fsid", 4, m->fsid, 16);
		mon_store_batch_put(b, "mon", "monmap", 6, e.data, e.len);
		mon_store_batch_put(b, "mon", "bootstrap", 9, le, 8);
		rc = mon_store_batch_commit(b);
	}
	enc_fini(&e);
	mon_store_batch_destroy(b);
	return rc;
}

static int store_path(struct mon *m, char *buf, size_t n)
{
	const char *dir = cfg_str(m->d.cfg, CFG_KEY_mon_data);

	if ((size_t)snprintf(buf, n, "%s/store.db", dir) >= n)
		return -ENAMETOOLONG;
	return 0;
}

static int do_mkfs(struct mon *m)
{
	struct monmap mm;
	struct stat st;
	char path[1024], cur[1100];
	uint64_t mask;
	int rc;

	if (m->monmap_file) {
		mask = 0; /* joining: no configuration until the leader adds us */
		if ((rc = read_monmap_file(m, &mm)) < 0)
			return rc;
		if (monmap_rank(&mm, m->name) < 0) {
			log_err(mon, "mon.%s is not in %s: add it first (sepia mon add)", m->name,
			        m->monmap_file);
			return -ENOENT;
		}
	} else {
		if (maps_uuid_parse(cfg_str(m->d.cfg, CFG_KEY_fsid), m->fsid) < 0) {
			log_err(mon, "mkfs needs fsid = <uuid> in the configuration");
			return -EINVAL;
		}
		if ((rc = mon_initial_monmap(m, &mm)) < 0 ||
		    (rc = bootstrap_mask(m, &mm, &mask)) < 0)
			return rc;
		if (monmap_rank(&mm, m->name) < 0) {
			log_err(mon, "mon.%s is not in mon_host '%s'", m->name,
			        cfg_str(m->d.cfg, CFG_KEY_mon_host));
			return -ENOENT;
		}
	}
	if ((rc = store_path(m, path, sizeof(path))) < 0 ||
	    (rc = mkdirs(cfg_str(m->d.cfg, CFG_KEY_mon_data))) < 0)
		return rc;
	snprintf(cur, sizeof(cur), "%s/CURRENT", path);
	if (stat(cur, &st) == 0) {
		log_err(mon, "mkfs: a monitor store already exists at %s", path);
		return -EEXIST;
	}
	if ((rc = mon_store_open(path, true, &m->store)) < 0)
		return rc;
	rc = write_mkfs(m, &mm, mask);
	if (rc == 0)
		log_info(mon, "created monitor store for mon.%s at %s", m->name, path);
	return rc;
}

static int load_identity(struct mon *m)
{
	struct monmap mm;
	struct dec d;
	void *v = NULL;
	size_t n = 0;
	int rc = mon_store_get(m->store, "mon", "fsid", 4, &v, &n);

	if (rc == 0 && n == 16)
		memcpy(m->fsid, v, 16);
	mem_free(v);
	if (rc == 0 && n != 16)
		rc = -EIO;
	if (rc == 0)
		rc = mon_store_get(m->store, "mon", "monmap", 6, &v, &n);
	if (rc < 0)
		return rc == -ENOENT ? -EIO : rc;
	dec_init(&d, v, n);
	rc = monmap_decode(&d, &mm);
	mem_free(v);
	if (rc < 0)
		return -EIO;
	rc = monmap_rank(&mm, m->name);
	if (rc < 0) {
		log_err(mon, "mon.%s is not in the stored monitor map", m->name);
		return rc;
	}
	m->rank = (uint32_t)rc;
	m->id = mm.mons[rc].id;
	m->in_monmap = true;
	m->svc.monmap = mm;
	return 0;
}

int mon_step_store(struct daemon *d)
{
	struct mon *m = mon_of(d);
	char path[1024];
	int rc;

	if (m->mkfs) {
		rc = do_mkfs(m);
		mon_store_close(m->store);
		m->store = NULL;
		if (rc == 0)
			daemon_stop(d, 0);
		return rc;
	}
	if ((rc = store_path(m, path, sizeof(path))) < 0)
		return rc;
	rc = mon_store_open(path, false, &m->store);
	if (rc == -ENOENT) {
		log_err(mon, "no monitor store at %s; create it with: %s --mkfs -i %s -c CONF",
		        path, d->prog, m->name);
		fprintf(stderr,
		        "%s: no monitor store at %s; create it with: %s --mkfs -i %s -c CONF\n",
		        d->prog, path, d->prog, m->name);
	}
	if (rc < 0)
		return rc;
	rc = load_identity(m);
	if (rc < 0) {
		mon_store_close(m->store);
		m->store = NULL;
	}
	return rc;
}

void mon_unstep_store(struct daemon *d)
{
	struct mon *m = mon_of(d);

	mon_store_close(m->store);
	m->store = NULL;
}
