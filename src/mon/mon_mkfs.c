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
 * Invariants: after mon_step_store m->store is open, m->fsid is the store's
 * fsid and m->rank is this monitor's index in the stored MonMap. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/mem.h"
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
		fprintf(stderr, "%s: unknown argument '%s' (see --help)\n", d->prog, d->argv[i]);
		d->exit_code = 2;
		return -EINVAL;
	}
	m->name = cfg_id(d->cfg);
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
	return 0;
}

/* Ranks of mon_initial_members (all monitors when it is empty). */
static int bootstrap_mask(struct mon *m, const struct monmap *mm, uint64_t *mask)
{
	char copy[512], *save = NULL, *tok;
	const char *members = cfg_str(m->d.cfg, CFG_KEY_mon_initial_members);

	*mask = 0;
	if (!members[0]) {
		*mask = (mm->n >= 64) ? ~0ull : ((1ull << mm->n) - 1);
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", members);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int r = monmap_rank(mm, tok);

		if (r < 0) {
			log_err(mon, "mon_initial_members names '%s', not in mon_host", tok);
			return -EINVAL;
		}
		*mask |= 1ull << r;
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

	if (maps_uuid_parse(cfg_str(m->d.cfg, CFG_KEY_fsid), m->fsid) < 0) {
		log_err(mon, "mkfs needs fsid = <uuid> in the configuration");
		return -EINVAL;
	}
	if ((rc = mon_initial_monmap(m, &mm)) < 0 || (rc = bootstrap_mask(m, &mm, &mask)) < 0)
		return rc;
	if (monmap_rank(&mm, m->name) < 0) {
		log_err(mon, "mon.%s is not in mon_host '%s'", m->name,
		        cfg_str(m->d.cfg, CFG_KEY_mon_host));
		return -ENOENT;
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
