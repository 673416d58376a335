/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_pg.c - the PG map at the leader: the latest statistics each PG's
 * primary reported (MON_MSG_PG_STATS) and each OSD's store usage, and the
 * commands and status lines built from them (`pg stat`, `pg dump`, `pg ls`,
 * `df`, the pgs/usage part of `status` and the PG health checks), and `pg
 * map PGID` (from the committed OSD map alone).
 *
 * DESIGN
 * Like Ceph's manager, this is soft state: kept only in memory at the
 * leader, refilled by the OSDs' periodic reports (osd_mon_report_interval)
 * after an election. Nothing here goes through consensus.
 * Invariants: P1 entries are sorted by (pool, ps) and unique; P2 an entry is
 * replaced only by a report with reported_epoch >= its own (a new primary
 * supersedes the old one, an old primary's late report does not); P3 views
 * derive from the committed OSD map: PGs of pools that no longer exist or
 * ps >= pg_num are never shown, a PG without a report is "unknown", and a
 * PG whose reporter is no longer its up primary is shown "stale". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "mon/mon.h"
#include "mon/mon_cmd.h"

static int key_cmp(int64_t pool_a, uint32_t ps_a, int64_t pool_b, uint32_t ps_b)
{
	if (pool_a != pool_b)
		return pool_a < pool_b ? -1 : 1;
	if (ps_a != ps_b)
		return ps_a < ps_b ? -1 : 1;
	return 0;
}

/* Index of the first entry >= (pool, ps). */
static size_t lower(const struct mon_pgmap *pm, int64_t pool, uint32_t ps)
{
	size_t lo = 0, hi = pm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(pm->pgs[mid].st.pool, pm->pgs[mid].st.ps, pool, ps) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct mon_pg_entry *find(const struct mon_pgmap *pm, int64_t pool, uint32_t ps)
{
	size_t i = lower(pm, pool, ps);

	if (i < pm->n && pm->pgs[i].st.pool == pool && pm->pgs[i].st.ps == ps)
		return &pm->pgs[i];
	return NULL;
}

static int put(struct mon_pgmap *pm, const struct mon_pg_stat *st, int osd, uint64_t now)
{
	size_t i = lower(pm, st->pool, st->ps);

	if (i < pm->n && pm->pgs[i].st.pool == st->pool && pm->pgs[i].st.ps == st->ps) {
		if (pm->pgs[i].st.reported_epoch > st->reported_epoch)
			return 0; /* P2 */
	} else {
		if (mem_grow(&pm->pgs, sizeof(*pm->pgs), &pm->cap, pm->n + 1) < 0)
			return -ENOMEM;
		memmove(pm->pgs + i + 1, pm->pgs + i, (pm->n - i) * sizeof(*pm->pgs));
		pm->n++;
	}
	pm->pgs[i].st = *st;
	pm->pgs[i].osd = osd;
	pm->pgs[i].recv_ms = now;
	return 0;
}

void mon_pg_handle(struct mon *m, struct msg *msg)
{
	const struct mon_msg_pg_stats *s = (const void *)msg;
	struct mon_pgmap *pm = &m->pgmap;
	uint64_t now = mon_now_ms();

	if (s->osd < 0 || s->osd >= OSDMAP_MAX_OSD) {
		msg_put(msg);
		return;
	}
	if ((size_t)s->osd >= pm->nosd) {
		size_t cap = pm->nosd;

		if (mem_grow(&pm->osd, sizeof(*pm->osd), &cap, (size_t)s->osd + 1) < 0) {
			msg_put(msg);
			return;
		}
		memset(pm->osd + pm->nosd, 0, (cap - pm->nosd) * sizeof(*pm->osd));
		pm->nosd = cap;
	}
	pm->osd[s->osd] = (struct mon_pg_osd){ .have = true,
		                               .recv_ms = now,
		                               .total = s->total_bytes,
		                               .used = s->used_bytes,
		                               .avail = s->avail_bytes,
		                               .objects = s->num_objects };
	for (uint32_t i = 0; i < s->npgs; i++)
		if (put(pm, &s->pgs[i], s->osd, now) < 0) {
			log_warn(mon, "PG stats from osd.%d: out of memory", s->osd);
			break;
		}
	log_debug(mon, "PG stats from osd.%d: %u PGs (e%u)", s->osd, s->npgs, s->epoch);
	msg_put(msg);
}

void mon_pg_fini(struct mon *m)
{
	mem_free(m->pgmap.pgs);
	mem_free(m->pgmap.osd);
	memset(&m->pgmap, 0, sizeof(m->pgmap));
}

/* The state of (pool, ps) as shown to users (P3), with its entry or NULL. */
static uint32_t pg_view(const struct mon *m, const struct osdmap *o, int64_t pool, uint32_t ps,
                        const struct mon_pg_entry **ep)
{
	const struct mon_pg_entry *e = find(&m->pgmap, pool, ps);
	struct osdmap_pg pg = { .pool = pool, .ps = ps };
	int up[MON_PG_SIZE_MAX], primary = -1;
	uint32_t st;

	*ep = e;
	if (!e)
		return 0;
	st = e->st.state;
	if (osdmap_pg_up(o, pg, up, MON_PG_SIZE_MAX, &primary) < 0 || primary != e->osd ||
	    !osdmap_osd_is_up(o, e->osd))
		st |= MON_PG_STALE;
	return st;
}

/* Counts of each distinct state over every PG of the map. */
struct state_count {
	uint32_t state;
	uint64_t n;
};

struct pg_summary {
	struct state_count *by;
	size_t nby;
	uint64_t pgs, objects, bytes, degraded, misplaced, unfound, recovering_bytes;
	uint64_t active, clean, unknown, stale, inactive, undersized, degraded_pgs;
	uint64_t inconsistent, scrub_errors;
};

static int summarize(const struct mon *m, int64_t only_pool, struct pg_summary *s)
{
	const struct osdmap *o = m->svc.osdmap;

	memset(s, 0, sizeof(*s));
	for (size_t p = 0; p < o->npools; p++) {
		const struct osdmap_pool *pool = &o->pools[p];

		if (only_pool >= 0 && pool->place.id != only_pool)
			continue;
		for (uint32_t ps = 0; ps < pool->place.pg_num; ps++) {
			const struct mon_pg_entry *e;
			uint32_t st = pg_view(m, o, pool->place.id, ps, &e);
			size_t k;

			s->pgs++;
			for (k = 0; k < s->nby && s->by[k].state != st; k++)
				;
			if (k == s->nby) {
				size_t cap = s->nby;

				if (mem_grow(&s->by, sizeof(*s->by), &cap, s->nby + 1) < 0)
					return -ENOMEM;
				s->by[s->nby++] = (struct state_count){ .state = st };
			}
			s->by[k].n++;
			if (!st)
				s->unknown++;
			if (st & MON_PG_ACTIVE)
				s->active++;
			else
				s->inactive++;
			if ((st & MON_PG_ACTIVE) && (st & MON_PG_CLEAN) && !(st & MON_PG_STALE))
				s->clean++;
			if (st & MON_PG_STALE)
				s->stale++;
			if (st & MON_PG_UNDERSIZED)
				s->undersized++;
			if (st & MON_PG_DEGRADED)
				s->degraded_pgs++;
			if (st & MON_PG_INCONSISTENT)
				s->inconsistent++;
			if (e) {
				s->objects += e->st.num_objects;
				s->bytes += e->st.num_bytes;
				s->degraded += e->st.num_objects_degraded;
				s->scrub_errors += e->st.num_scrub_errors;
				s->misplaced += e->st.num_objects_misplaced;
				s->unfound += e->st.num_objects_unfound;
				s->recovering_bytes += e->st.num_bytes_recovering;
			}
		}
	}
	return 0;
}

static void usage_totals(const struct mon *m, uint64_t *total, uint64_t *used, uint64_t *avail)
{
	const struct osdmap *o = m->svc.osdmap;

	*total = *used = *avail = 0;
	for (size_t i = 0; i < m->pgmap.nosd; i++) {
		const struct mon_pg_osd *d = &m->pgmap.osd[i];

		if (!d->have || !osdmap_osd_exists(o, (int)i))
			continue;
		*total += d->total;
		*used += d->used;
		*avail += d->avail;
	}
}

/* "1.5 GiB" */
static const char *human(uint64_t v, char *buf, size_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double x = (double)v;
	unsigned u = 0;

	while (x >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		x /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, n, "%.1f %s", x, units[u]);
	return buf;
}

static int by_count_desc(const void *a, const void *b)
{
	const struct state_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->state < y->state ? -1 : x->state > y->state;
}

void mon_pg_health(const struct mon *m, json_t *checks)
{
	struct pg_summary s;
	char buf[256];

	if (summarize(m, -1, &s) < 0) {
		mem_free(s.by);
		return;
	}
	if (s.inactive || s.stale) {
		snprintf(buf, sizeof(buf),
		         "Reduced data availability: %llu pgs inactive (%llu unknown), %llu stale",
		         (unsigned long long)s.inactive, (unsigned long long)s.unknown,
		         (unsigned long long)s.stale);
		json_object_set_new(checks, "PG_AVAILABILITY", json_string(buf));
	}
	if (s.degraded_pgs || s.undersized) {
		snprintf(buf, sizeof(buf),
		         "Degraded data redundancy: %llu objects degraded, %llu pgs degraded, "
		         "%llu pgs undersized",
		         (unsigned long long)s.degraded, (unsigned long long)s.degraded_pgs,
		         (unsigned long long)s.undersized);
		json_object_set_new(checks, "PG_DEGRADED", json_string(buf));
	}
	if (s.scrub_errors) {
		snprintf(buf, sizeof(buf), "%llu scrub errors", (unsigned long long)s.scrub_errors);
		json_object_set_new(checks, "OSD_SCRUB_ERRORS", json_string(buf));
	}
	if (s.inconsistent) {
		snprintf(buf, sizeof(buf), "Possible data damage: %llu pgs inconsistent",
		         (unsigned long long)s.inconsistent);
		json_object_set_new(checks, "PG_DAMAGED", json_string(buf));
	}
	mem_free(s.by);
}

/* Progress bar for recovery: [=====>      ] */
static void bar(char *buf, size_t n, double frac)
{
	size_t w = 28, full = (size_t)(frac * (double)w + 0.5);

	if (n < w + 3)
		return;
	buf[0] = '[';
	for (size_t i = 0; i < w; i++)
		buf[1 + i] = i < full ? '=' : (i == full ? '>' : '.');
	buf[w + 1] = ']';
	buf[w + 2] = '\0';
}

void mon_pg_status_text(struct mon_cmd_ctx *c)
{
	struct mon *m = c->m;
	struct pg_summary s;
	uint64_t total, used, avail;
	char a[32], b[32], t[32], st[256], pb[40];

	if (summarize(m, -1, &s) < 0)
		goto out;
	usage_totals(m, &total, &used, &avail);
	mon_cmd_printf(c, "    objects: %llu objects, %s\n", (unsigned long long)s.objects,
	               human(s.bytes, a, sizeof(a)));
	mon_cmd_printf(c, "    usage:   %s used, %s / %s avail\n", human(used, a, sizeof(a)),
	               human(avail, b, sizeof(b)), human(total, t, sizeof(t)));
	qsort(s.by, s.nby, sizeof(*s.by), by_count_desc);
	for (size_t i = 0; i < s.nby; i++)
		mon_cmd_printf(c, "    %s %llu %s\n",
		               i ? "        " : "pgs:    ", (unsigned long long)s.by[i].n,
		               mon_pg_state_str(s.by[i].state, st, sizeof(st)));
	if (s.degraded)
		mon_cmd_printf(c, "             %llu/%llu objects degraded\n",
		               (unsigned long long)s.degraded, (unsigned long long)s.objects * 1);
	if (s.recovering_bytes) {
		double done =
		    s.bytes ? 1.0 - (double)s.recovering_bytes / (double)(s.bytes + 1) : 0;

		bar(pb, sizeof(pb), done < 0 ? 0 : done);
		mon_cmd_printf(c, "\n  progress:\n    Recovery: %s remaining %s\n",
		               human(s.recovering_bytes, a, sizeof(a)), pb);
	}
out:
	mem_free(s.by);
}

json_t *mon_pg_status_json(const struct mon *m)
{
	struct pg_summary s;
	uint64_t total, used, avail;
	json_t *by, *j;
	char st[256];

	if (summarize(m, -1, &s) < 0) {
		mem_free(s.by);
		return json_null();
	}
	usage_totals(m, &total, &used, &avail);
	by = json_array();
	for (size_t i = 0; i < s.nby; i++)
		json_array_append_new(by, json_pack("{s:s, s:I}", "state_name",
		                                    mon_pg_state_str(s.by[i].state, st, sizeof(st)),
		                                    "count", (json_int_t)s.by[i].n));
	j = json_pack("{s:i, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "num_pools",
	              (int)m->svc.osdmap->npools, "num_pgs", (json_int_t)s.pgs, "pgs_by_state", by,
	              "num_objects", (json_int_t)s.objects, "data_bytes", (json_int_t)s.bytes,
	              "bytes_used", (json_int_t)used, "bytes_avail", (json_int_t)avail,
	              "bytes_total", (json_int_t)total, "degraded_objects", (json_int_t)s.degraded,
	              "misplaced_objects", (json_int_t)s.misplaced, "recovering_bytes",
	              (json_int_t)s.recovering_bytes);
	mem_free(s.by);
	return j;
}

/* --- commands -------------------------------------------------------------------- */

static json_t *osd_list(const int32_t *v, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *pg_json(const struct osdmap *o, int64_t pool, uint32_t ps, uint32_t st,
                       const struct mon_pg_entry *e)
{
	struct osdmap_pg pg = { .pool = pool, .ps = ps };
	int up[MON_PG_SIZE_MAX], primary = -1,
	                         n = osdmap_pg_up(o, pg, up, MON_PG_SIZE_MAX, &primary);
	int32_t up32[MON_PG_SIZE_MAX];
	char id[32], s[256], lu[48];

	for (int i = 0; i < n && i < MON_PG_SIZE_MAX; i++)
		up32[i] = up[i];
	snprintf(lu, sizeof(lu), "%u'%llu", e ? e->st.last_update_epoch : 0,
	         (unsigned long long)(e ? e->st.last_update_v : 0));
	return json_pack(
	    "{s:s, s:s, s:o, s:i, s:o, s:i, s:s, s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	    " s:I, s:I}}",
	    "pgid", osdmap_pg_str(pg, id, sizeof(id)), "state", mon_pg_state_str(st, s, sizeof(s)),
	    "up", osd_list(up32, n > 0 ? (unsigned)n : 0), "up_primary", primary, "acting",
	    e ? osd_list(e->st.acting, e->st.nacting) : json_array(), "acting_primary",
	    e ? e->osd : -1, "last_update", lu, "reported_epoch", e ? (int)e->st.reported_epoch : 0,
	    "stat_sum", "num_objects", (json_int_t)(e ? e->st.num_objects : 0), "num_bytes",
	    (json_int_t)(e ? e->st.num_bytes : 0), "num_objects_degraded",
	    (json_int_t)(e ? e->st.num_objects_degraded : 0), "num_objects_misplaced",
	    (json_int_t)(e ? e->st.num_objects_misplaced : 0), "num_objects_unfound",
	    (json_int_t)(e ? e->st.num_objects_unfound : 0), "num_bytes_recovering",
	    (json_int_t)(e ? e->st.num_bytes_recovering : 0), "num_read",
	    (json_int_t)(e ? e->st.num_rd : 0), "num_read_bytes",
	    (json_int_t)(e ? e->st.num_rd_bytes : 0), "num_write",
	    (json_int_t)(e ? e->st.num_wr : 0), "num_write_bytes",
	    (json_int_t)(e ? e->st.num_wr_bytes : 0));
}

/* pg dump / pg ls [POOL]: one row or JSON object per PG. */
static int list_pgs(struct mon_cmd_ctx *c, int64_t only_pool)
{
	struct mon *m = c->m;
	const struct osdmap *o = m->svc.osdmap;
	json_t *arr = c->json ? json_array() : NULL;

	if (!c->json)
		mon_cmd_printf(c, "%-10s %8s %12s %-28s %-14s %-12s %-12s\n", "PG", "OBJECTS",
		               "BYTES", "STATE", "VERSION", "UP", "ACTING");
	for (size_t p = 0; p < o->npools; p++) {
		const struct osdmap_pool *pool = &o->pools[p];

		if (only_pool >= 0 && pool->place.id != only_pool)
			continue;
		for (uint32_t ps = 0; ps < pool->place.pg_num; ps++) {
			const struct mon_pg_entry *e;
			uint32_t st = pg_view(m, o, pool->place.id, ps, &e);
			json_t *j = pg_json(o, pool->place.id, ps, st, e);

			if (arr) {
				json_array_append_new(arr, j);
				continue;
			}
			{
				char upb[64] = "[", acb[64] = "[";
				size_t ua = 1, aa = 1, i;
				json_t *v;

				json_array_foreach(json_object_get(j, "up"), i, v) ua +=
				    (size_t)snprintf(upb + ua, sizeof(upb) - ua, "%s%lld",
				                     i ? "," : "",
				                     (long long)json_integer_value(v));
				json_array_foreach(json_object_get(j, "acting"), i, v) aa +=
				    (size_t)snprintf(acb + aa, sizeof(acb) - aa, "%s%lld",
				                     i ? "," : "",
				                     (long long)json_integer_value(v));
				snprintf(upb + ua, sizeof(upb) - ua, "]");
				snprintf(acb + aa, sizeof(acb) - aa, "]");
				mon_cmd_printf(c, "%-10s %8lld %12lld %-28s %-14s %-12s %-12s\n",
				               json_string_value(json_object_get(j, "pgid")),
				               (long long)json_integer_value(json_object_get(
				                   json_object_get(j, "stat_sum"), "num_objects")),
				               (long long)json_integer_value(json_object_get(
				                   json_object_get(j, "stat_sum"), "num_bytes")),
				               json_string_value(json_object_get(j, "state")),
				               json_string_value(json_object_get(j, "last_update")),
				               upb, acb);
			}
			json_decref(j);
		}
	}
	if (arr)
		mon_cmd_set_json(
		    c, json_pack("{s:I, s:o}", "epoch", (json_int_t)o->epoch, "pg_stats", arr));
	return 0;
}

static int cmd_pg_dump(struct mon_cmd_ctx *c)
{
	return list_pgs(c, -1);
}

static int cmd_pg_ls(struct mon_cmd_ctx *c)
{
	const struct osdmap_pool *p = NULL;

	if (c->nargs > 0 && !(p = mon_cmd_arg_pool(c, 0)))
		return -ENOENT;
	return list_pgs(c, p ? p->place.id : -1);
}

static int cmd_pg_stat(struct mon_cmd_ctx *c)
{
	struct pg_summary s;
	uint64_t total, used, avail;
	char a[32], b[32], t[32], d[32], st[256];

	if (c->json) {
		mon_cmd_set_json(c, mon_pg_status_json(c->m));
		return 0;
	}
	if (summarize(c->m, -1, &s) < 0) {
		mem_free(s.by);
		return -ENOMEM;
	}
	usage_totals(c->m, &total, &used, &avail);
	qsort(s.by, s.nby, sizeof(*s.by), by_count_desc);
	mon_cmd_printf(c, "%llu pgs: ", (unsigned long long)s.pgs);
	for (size_t i = 0; i < s.nby; i++)
		mon_cmd_printf(c, "%s%llu %s", i ? ", " : "", (unsigned long long)s.by[i].n,
		               mon_pg_state_str(s.by[i].state, st, sizeof(st)));
	mon_cmd_printf(c, "; %s data, %s used, %s / %s avail\n", human(s.bytes, a, sizeof(a)),
	               human(used, b, sizeof(b)), human(avail, t, sizeof(t)),
	               human(total, d, sizeof(d)));
	mem_free(s.by);
	return 0;
}

static int cmd_df(struct mon_cmd_ctx *c)
{
	struct mon *m = c->m;
	const struct osdmap *o = m->svc.osdmap;
	uint64_t total, used, avail, all_objects = 0;
	json_t *pools = json_array();
	char a[32], b[32], t[32];

	usage_totals(m, &total, &used, &avail);
	if (!c->json)
		mon_cmd_printf(c, "--- RAW STORAGE ---\n%-8s %10s %10s %10s %8s\n", "CLASS", "SIZE",
		               "AVAIL", "USED", "%USED");
	for (size_t p = 0; p < o->npools; p++) {
		const struct osdmap_pool *pool = &o->pools[p];
		struct pg_summary s;
		uint64_t rd = 0, rdb = 0, wr = 0, wrb = 0;

		if (summarize(m, pool->place.id, &s) < 0) {
			mem_free(s.by);
			json_decref(pools);
			return -ENOMEM;
		}
		mem_free(s.by);
		for (uint32_t ps = 0; ps < pool->place.pg_num; ps++) {
			const struct mon_pg_entry *e = find(&m->pgmap, pool->place.id, ps);

			if (e) {
				rd += e->st.num_rd;
				rdb += e->st.num_rd_bytes;
				wr += e->st.num_wr;
				wrb += e->st.num_wr_bytes;
			}
		}
		all_objects += s.objects;
		json_array_append_new(
		    pools,
		    json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "name",
		              pool->name, "id", (json_int_t)pool->place.id, "stats", "stored",
		              (json_int_t)s.bytes, "objects", (json_int_t)s.objects, "bytes_used",
		              (json_int_t)(s.bytes * pool->place.size), "kb_used",
		              (json_int_t)((s.bytes * pool->place.size + 1023) / 1024), "max_avail",
		              (json_int_t)(pool->place.size ? avail / pool->place.size : 0), "rd",
		              (json_int_t)rd, "rd_bytes", (json_int_t)rdb, "wr", (json_int_t)wr,
		              "wr_bytes", (json_int_t)wrb));
	}
	if (c->json) {
		mon_cmd_set_json(c,
		                 json_pack("{s:{s:I, s:I, s:I, s:I}, s:o}", "stats", "total_bytes",
		                           (json_int_t)total, "total_used_bytes", (json_int_t)used,
		                           "total_avail_bytes", (json_int_t)avail, "total_objects",
		                           (json_int_t)all_objects, "pools", pools));
		return 0;
	}
	mon_cmd_printf(c, "%-8s %10s %10s %10s %7.2f\n", "hdd", human(total, a, sizeof(a)),
	               human(avail, b, sizeof(b)), human(used, t, sizeof(t)),
	               total ? 100.0 * (double)used / (double)total : 0.0);
	mon_cmd_printf(c, "\n--- POOLS ---\n%-16s %4s %10s %8s %10s %10s\n", "POOL", "ID", "STORED",
	               "OBJECTS", "USED", "MAX AVAIL");
	{
		size_t i;
		json_t *v;

		json_array_foreach(pools, i, v)
		{
			json_t *st = json_object_get(v, "stats");

			mon_cmd_printf(
			    c, "%-16s %4lld %10s %8lld %10s %10s\n",
			    json_string_value(json_object_get(v, "name")),
			    (long long)json_integer_value(json_object_get(v, "id")),
			    human((uint64_t)json_integer_value(json_object_get(st, "stored")), a,
			          sizeof(a)),
			    (long long)json_integer_value(json_object_get(st, "objects")),
			    human((uint64_t)json_integer_value(json_object_get(st, "bytes_used")),
			          b, sizeof(b)),
			    human((uint64_t)json_integer_value(json_object_get(st, "max_avail")), t,
			          sizeof(t)));
		}
	}
	json_decref(pools);
	return 0;
}

static json_t *osd_list_json(const int *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

static void osd_list_text(char *buf, size_t n, const int *v, int cnt)
{
	size_t at = (size_t)snprintf(buf, n, "[");

	for (int i = 0; i < cnt && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%d", i ? "," : "", v[i]);
	if (at < n)
		snprintf(buf + at, n - at, "]");
}

/* `pg map PGID`: where the committed map puts a PG (acting = up until
 * peering can ask for a temporary acting set). A raw ps beyond pg_num maps
 * to its PG as objects do (stable mod). */
static int cmd_pg_map(struct mon_cmd_ctx *c)
{
	const struct osdmap *o = c->m->svc.osdmap;
	const struct osdmap_pool *p;
	struct osdmap_pg raw, pg;
	int up[32], primary = -1, n;
	char raws[48], pgs[48], set[256];

	if (c->nargs != 1)
		return mon_cmd_usage(c, "pg map PGID");
	if (osdmap_pg_parse(c->args[0], &raw) < 0) {
		mon_cmd_status(c, "'%s' is not a PG id (POOL.PS, e.g. 1.7f)", c->args[0]);
		return -EINVAL;
	}
	if (!(p = osdmap_pool(o, raw.pool))) {
		mon_cmd_status(c, "pool %lld does not exist", (long long)raw.pool);
		return -ENOENT;
	}
	pg.pool = raw.pool;
	pg.ps = crush_pool_pg(&p->place, raw.ps);
	osdmap_pg_str(raw, raws, sizeof(raws));
	osdmap_pg_str(pg, pgs, sizeof(pgs));
	n = osdmap_pg_up(o, pg, up, 32, &primary);
	if (n < 0) {
		mon_cmd_status(c, "cannot map pg %s: %s", pgs, strerror(-n));
		return n;
	}
	osd_list_text(set, sizeof(set), up, n);
	mon_cmd_printf(c, "osdmap e%u pg %s (%s) -> up %s acting %s\n", o->epoch, raws, pgs, set,
	               set);
	mon_cmd_set_json(c, json_pack("{s:i, s:s, s:s, s:o, s:i, s:o, s:i}", "epoch", (int)o->epoch,
	                              "raw_pgid", raws, "pgid", pgs, "up", osd_list_json(up, n),
	                              "up_primary", primary, "acting", osd_list_json(up, n),
	                              "acting_primary", primary));
	return 0;
}

const struct mon_cmd_def mon_cmds_pg[] = {
	{ "pg map", MON_CMD_READ, cmd_pg_map, "pg map PGID" },
	{ "pg stat", MON_CMD_LEADER, cmd_pg_stat, "pg stat" },
	{ "pg dump", MON_CMD_LEADER, cmd_pg_dump, "pg dump" },
	{ "pg ls", MON_CMD_LEADER, cmd_pg_ls, "pg ls [POOL]" },
	{ "df", MON_CMD_LEADER, cmd_df, "df" },
};
const size_t mon_n_cmds_pg = sizeof(mon_cmds_pg) / sizeof(mon_cmds_pg[0]);
