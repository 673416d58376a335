/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_pool.c - pools (create/delete through monitor commands,
 * lookups through our OSD map), I/O contexts, and the statistics calls
 * (the monitors' `df`, or listing and stat when a monitor lacks it). */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "rados/client_int.h"

/* Runs a pool command {"cmd": [words...], "format": "json"}. */
static int pool_command(struct radosc_client *cl, const char *const *words, size_t n, char **status)
{
	json_t *w = json_array(), *o;
	char *text;
	int rc;

	for (size_t i = 0; w && i < n; i++)
		json_array_append_new(w, json_string(words[i]));
	o = json_pack("{s:o, s:s}", "cmd", w, "format", "json");
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	rc = radosc_mon_command(cl, text, NULL, 0, NULL, NULL, status);
	free(text);
	return rc;
}

/* Waits until the map has (or, exists false, lacks) the pool. */
static int wait_pool(struct radosc_client *cl, const char *name, bool exists)
{
	uint64_t deadline = radosc_deadline(radosc_mon_timeout_ms(cl) * 1000000ull);
	int rc = 0;

	pthread_mutex_lock(&cl->lock);
	while (rc == 0 && cl->map && (osdmap_pool_by_name(cl->map, name) != NULL) != exists)
		if (!radosc_cond_wait_until(cl, deadline))
			rc = -ETIMEDOUT;
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

/* 1 if the pool is in our map, 0 if not, -ENOTCONN. */
static int pool_known(struct radosc_client *cl, const char *name)
{
	int rc = -ENOTCONN;

	pthread_mutex_lock(&cl->lock);
	if (cl->state == RADOSC_CONNECTED && cl->map)
		rc = osdmap_pool_by_name(cl->map, name) != NULL;
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

int rados_pool_create(rados_t cluster, const char *pool_name)
{
	struct radosc_client *cl = cluster;
	const char *words[] = { "osd", "pool", "create", pool_name };
	char *status = NULL;
	int rc;

	if (!cl || !pool_name || !pool_name[0])
		return -EINVAL;
	if (strlen(pool_name) >= OSDMAP_POOL_NAME_MAX)
		return -ENAMETOOLONG;
	rc = pool_known(cl, pool_name);
	if (rc != 0)
		return rc > 0 ? -EEXIST : rc;
	rc = pool_command(cl, words, 4, &status);
	if (rc == 0 && status && strstr(status, "already exists"))
		rc = -EEXIST; /* the monitors answer 0 so that a resent create is harmless */
	mem_free(status);
	return rc < 0 ? rc : wait_pool(cl, pool_name, true);
}

int rados_pool_delete(rados_t cluster, const char *pool_name)
{
	struct radosc_client *cl = cluster;
	const char *words[] = { "osd",     "pool",    "rm",
		                pool_name, pool_name, "--yes-i-really-really-mean-it" };
	int rc;

	if (!cl || !pool_name || !pool_name[0])
		return -EINVAL;
	rc = pool_known(cl, pool_name);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	rc = pool_command(cl, words, 6, NULL);
	return rc < 0 ? rc : wait_pool(cl, pool_name, false);
}

int64_t rados_pool_lookup(rados_t cluster, const char *pool_name)
{
	struct radosc_client *cl = cluster;
	const struct osdmap_pool *p;
	int64_t id = -ENOENT;

	if (!cl || !pool_name)
		return -EINVAL;
	pthread_mutex_lock(&cl->lock);
	if (!cl->map)
		id = -ENOTCONN;
	else if ((p = osdmap_pool_by_name(cl->map, pool_name)))
		id = p->place.id;
	pthread_mutex_unlock(&cl->lock);
	return id;
}

int rados_pool_reverse_lookup(rados_t cluster, int64_t id, char *buf, size_t maxlen)
{
	struct radosc_client *cl = cluster;
	const struct osdmap_pool *p;
	int rc = -ENOENT;

	if (!cl || !buf)
		return -EINVAL;
	pthread_mutex_lock(&cl->lock);
	if (!cl->map) {
		rc = -ENOTCONN;
	} else if ((p = osdmap_pool(cl->map, id))) {
		size_t n = strlen(p->name);

		rc = n >= maxlen ? -ERANGE : (int)n;
		if (rc >= 0)
			memcpy(buf, p->name, n + 1);
	}
	pthread_mutex_unlock(&cl->lock);
	return rc;
}

int rados_pool_list(rados_t cluster, char *buf, size_t len)
{
	struct radosc_client *cl = cluster;
	size_t needed = 0, at = 0;
	bool full = false;

	if (!cl || (len && !buf))
		return -EINVAL;
	if (buf)
		memset(buf, 0, len);
	pthread_mutex_lock(&cl->lock);
	if (!cl->map) {
		pthread_mutex_unlock(&cl->lock);
		return -ENOTCONN;
	}
	for (size_t i = 0; i < cl->map->npools; i++) {
		size_t n = strlen(cl->map->pools[i].name) + 1;

		needed += n;
		if (full || len - at < n) { /* as librados: stop at the first misfit */
			full = true;
			continue;
		}
		memcpy(buf + at, cl->map->pools[i].name, n);
		at += n;
	}
	pthread_mutex_unlock(&cl->lock);
	return (int)needed + 1;
}

/* ---- I/O contexts ------------------------------------------------------------ */

static int ioctx_create(struct radosc_client *cl, const char *name, int64_t id,
                        rados_ioctx_t *ioctx)
{
	const struct osdmap_pool *p = NULL;
	struct radosc_ioctx *io;

	if (!cl || !ioctx)
		return -EINVAL;
	io = mem_calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->nspace = mem_strdup("");
	if (!io->nspace) {
		mem_free(io);
		return -ENOMEM;
	}
	pthread_mutex_lock(&cl->lock);
	if (cl->state == RADOSC_CONNECTED && cl->map)
		p = name ? osdmap_pool_by_name(cl->map, name) : osdmap_pool(cl->map, id);
	if (p) {
		io->pool = p->place.id;
		memcpy(io->pool_name, p->name, sizeof(io->pool_name));
	}
	pthread_mutex_unlock(&cl->lock);
	if (!p) {
		mem_free(io->nspace);
		mem_free(io);
		return cl->state == RADOSC_CONNECTED ? -ENOENT : -ENOTCONN;
	}
	refcnt_init(&io->ref, 1);
	io->cl = cl;
	list_init(&io->writes);
	list_init(&io->flushes);
	*ioctx = io;
	return 0;
}

int rados_ioctx_create(rados_t cluster, const char *pool_name, rados_ioctx_t *ioctx)
{
	if (!pool_name)
		return -EINVAL;
	return ioctx_create(cluster, pool_name, 0, ioctx);
}

int rados_ioctx_create2(rados_t cluster, int64_t pool_id, rados_ioctx_t *ioctx)
{
	return ioctx_create(cluster, NULL, pool_id, ioctx);
}

void rados_ioctx_destroy(rados_ioctx_t io)
{
	radosc_ioctx_put(io);
}

rados_t rados_ioctx_get_cluster(rados_ioctx_t io)
{
	return io ? ((struct radosc_ioctx *)io)->cl : NULL;
}

int64_t rados_ioctx_get_id(rados_ioctx_t io)
{
	return io ? ((struct radosc_ioctx *)io)->pool : -EINVAL;
}

static int copy_out(const char *s, char *buf, unsigned maxlen)
{
	size_t n = strlen(s);

	if (!buf || n >= maxlen)
		return -ERANGE;
	memcpy(buf, s, n + 1);
	return (int)n;
}

int rados_ioctx_get_pool_name(rados_ioctx_t io, char *buf, unsigned maxlen)
{
	struct radosc_ioctx *x = io;

	return x ? copy_out(x->pool_name, buf, maxlen) : -EINVAL;
}

void rados_ioctx_set_namespace(rados_ioctx_t io, const char *nspace)
{
	struct radosc_ioctx *x = io;
	char *s;

	if (!x)
		return;
	s = mem_strndup(nspace ? nspace : "", OSD_NAME_MAX);
	if (!s)
		return; /* keeps the old one; librados' call cannot fail */
	pthread_mutex_lock(&x->cl->lock);
	mem_free(x->nspace);
	x->nspace = s;
	pthread_mutex_unlock(&x->cl->lock);
}

int rados_ioctx_get_namespace(rados_ioctx_t io, char *buf, unsigned maxlen)
{
	struct radosc_ioctx *x = io;
	int rc;

	if (!x)
		return -EINVAL;
	pthread_mutex_lock(&x->cl->lock);
	rc = copy_out(x->nspace, buf, maxlen);
	pthread_mutex_unlock(&x->cl->lock);
	return rc;
}

uint64_t rados_get_last_version(rados_ioctx_t io)
{
	return io ? ((struct radosc_ioctx *)io)->last_version : 0;
}

/* ---- statistics -------------------------------------------------------------- */

/* The monitors' `df` as JSON (new reference), or NULL with *rc set. */
static json_t *df(struct radosc_client *cl, int *rc)
{
	char *out = NULL;
	json_t *j = NULL;

	*rc = radosc_mon_command(cl, "{\"cmd\":[\"df\"],\"format\":\"json\"}", NULL, 0, &out, NULL,
	                         NULL);
	if (*rc == 0) {
		j = out ? json_loads(out, 0, NULL) : NULL;
		if (!j)
			*rc = -EBADMSG;
	}
	mem_free(out);
	return j;
}

static uint64_t jnum(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

int rados_cluster_stat(rados_t cluster, struct rados_cluster_stat_t *result)
{
	struct radosc_client *cl = cluster;
	json_t *j, *st;
	int rc;

	if (!cl || !result)
		return -EINVAL;
	memset(result, 0, sizeof(*result));
	j = df(cl, &rc);
	if (rc == -EINVAL)
		return 0; /* a monitor without `df`: nothing to report */
	if (!j)
		return rc;
	st = json_object_get(j, "stats");
	result->kb = jnum(st, "total_bytes") / 1024;
	result->kb_used = jnum(st, "total_used_bytes") / 1024;
	result->kb_avail = jnum(st, "total_avail_bytes") / 1024;
	result->num_objects = jnum(st, "total_objects");
	json_decref(j);
	return 0;
}

/* Without `df`: count and size the pool's objects by listing them. */
static int pool_stat_by_listing(struct radosc_ioctx *io, struct rados_pool_stat_t *s)
{
	char saved[OSD_NAME_MAX + 1];
	rados_list_ctx_t ctx;
	const char *oid, *ns;
	int rc;

	rados_ioctx_get_namespace(io, saved, sizeof(saved));
	rados_ioctx_set_namespace(io, LIBRADOS_ALL_NSPACES);
	rc = rados_nobjects_list_open(io, &ctx);
	while (rc == 0 && (rc = rados_nobjects_list_next(ctx, &oid, NULL, &ns)) == 0) {
		uint64_t size = 0;
		char *name = mem_strdup(oid);

		rados_ioctx_set_namespace(io, ns);
		if (name && rados_stat(io, name, &size, NULL) == 0) {
			s->num_objects++;
			s->num_bytes += size;
		}
		mem_free(name);
		rados_ioctx_set_namespace(io, LIBRADOS_ALL_NSPACES);
	}
	if (rc == -ENOENT) {
		rados_nobjects_list_close(ctx);
		rc = 0;
	}
	rados_ioctx_set_namespace(io, saved);
	s->num_kb = (s->num_bytes + 1023) / 1024;
	s->num_user_bytes = s->num_bytes;
	return rc;
}

int rados_ioctx_pool_stat(rados_ioctx_t io, struct rados_pool_stat_t *stats)
{
	struct radosc_ioctx *x = io;
	json_t *j, *p;
	size_t i;
	int rc;

	if (!x || !stats)
		return -EINVAL;
	memset(stats, 0, sizeof(*stats));
	j = df(x->cl, &rc);
	if (rc == -EINVAL)
		return pool_stat_by_listing(x, stats);
	if (!j)
		return rc;
	rc = -ENOENT;
	json_array_foreach(json_object_get(j, "pools"), i, p)
	{
		json_t *st = json_object_get(p, "stats");

		if ((int64_t)jnum(p, "id") != x->pool)
			continue;
		stats->num_bytes = jnum(st, "stored");
		stats->num_kb = (stats->num_bytes + 1023) / 1024;
		stats->num_objects = jnum(st, "objects");
		stats->num_user_bytes = stats->num_bytes;
		stats->num_rd = jnum(st, "rd");
		stats->num_rd_kb = jnum(st, "rd_bytes") / 1024;
		stats->num_wr = jnum(st, "wr");
		stats->num_wr_kb = jnum(st, "wr_bytes") / 1024;
		if (stats->num_bytes)
			stats->num_object_copies =
			    stats->num_objects * (jnum(st, "bytes_used") / stats->num_bytes);
		rc = 0;
		break;
	}
	json_decref(j);
	return rc;
}
