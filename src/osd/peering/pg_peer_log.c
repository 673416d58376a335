/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* osd/peering/pg_peer_log.c - the PG log and missing sets in memory, and the
 * log merge that decides what a copy lacks compared with the authoritative
 * log (README "choosing and merging logs").
 *
 * Versions name writes uniquely (one primary per epoch), and every copy's log
 * is a prefix-closed history: two logs agree up to the newest version they
 * share (the divergence point) and differ after it. */
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "common/mem.h"
#include "osd/peering/peering_int.h"

int pg_peer_str_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	return strcmp(a, b);
}

void pg_peer_log_fini(struct pg_peer_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		pg_peer_entry_fini(&l->e[i]);
	mem_free(l->e);
	l->e = NULL;
	l->n = l->cap = 0;
}

/* Appends a copy of e, which must be newer than the head. */
int pg_peer_log_append(struct pg_peer_log *l, const struct pg_peer_entry *e)
{
	if (pg_peer_ev_cmp(e->version, l->head) <= 0)
		return -EINVAL;
	if (mem_grow(&l->e, sizeof(*l->e), &l->cap, l->n + 1) < 0)
		return -ENOMEM;
	int rc = pg_peer_entry_copy(&l->e[l->n], e);
	if (rc < 0)
		return rc;
	l->n++;
	l->head = e->version;
	return 0;
}

/* Drops entries newer than after (a divergent tail). */
void pg_peer_log_truncate(struct pg_peer_log *l, struct pg_peer_eversion after)
{
	while (l->n && pg_peer_ev_cmp(l->e[l->n - 1].version, after) > 0)
		pg_peer_entry_fini(&l->e[--l->n]);
	l->head = l->n ? l->e[l->n - 1].version : l->tail;
}

/* Drops entries <= to; the tail moves to to. */
void pg_peer_log_trim(struct pg_peer_log *l, struct pg_peer_eversion to)
{
	size_t k = 0;
	if (pg_peer_ev_cmp(to, l->tail) <= 0)
		return;
	while (k < l->n && pg_peer_ev_cmp(l->e[k].version, to) <= 0)
		pg_peer_entry_fini(&l->e[k++]);
	if (k)
		memmove(l->e, l->e + k, (l->n - k) * sizeof(*l->e));
	l->n -= k;
	l->tail = to;
	if (pg_peer_ev_cmp(l->head, to) < 0)
		l->head = to;
}

int pg_peer_log_copy(struct pg_peer_log *dst, const struct pg_peer_log *src)
{
	struct pg_peer_log l = { .tail = src->tail, .head = src->tail };
	for (size_t i = 0; i < src->n; i++) {
		if (pg_peer_log_append(&l, &src->e[i]) < 0) {
			pg_peer_log_fini(&l);
			return -ENOMEM;
		}
	}
	l.head = src->head;
	*dst = l;
	return 0;
}

static ssize_t log_find(const struct pg_peer_log *l, struct pg_peer_eversion v)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = pg_peer_ev_cmp(l->e[mid].version, v);
		if (!c)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Is v a point of l's history that l can vouch for (its tail or an entry)? */
bool pg_peer_log_has(const struct pg_peer_log *l, struct pg_peer_eversion v)
{
	return !pg_peer_ev_cmp(v, l->tail) || log_find(l, v) >= 0;
}

const struct pg_peer_entry *pg_peer_log_latest(const struct pg_peer_log *l, const char *key)
{
	for (size_t i = l->n; i-- > 0;)
		if (!strcmp(l->e[i].key, key))
			return &l->e[i];
	return NULL;
}

void pg_peer_mset_fini(struct pg_peer_mset *m)
{
	for (size_t i = 0; i < m->n; i++)
		mem_free(m->it[i].key);
	mem_free(m->it);
	m->it = NULL;
	m->n = m->cap = 0;
}

/* Index of the first item >= key. */
static size_t mset_lower(const struct pg_peer_mset *m, const char *key)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->it[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct pg_peer_missing_item *pg_peer_mset_find(const struct pg_peer_mset *m, const char *key)
{
	size_t i = mset_lower(m, key);
	return i < m->n && !strcmp(m->it[i].key, key) ? &m->it[i] : NULL;
}

int pg_peer_mset_set(struct pg_peer_mset *m, const char *key, struct pg_peer_eversion need,
                     bool deleted)
{
	size_t i = mset_lower(m, key);
	if (i < m->n && !strcmp(m->it[i].key, key)) {
		m->it[i].need = need;
		m->it[i].deleted = deleted;
		return 0;
	}
	if (mem_grow(&m->it, sizeof(*m->it), &m->cap, m->n + 1) < 0)
		return -ENOMEM;
	char *k = mem_strdup(key);
	if (!k)
		return -ENOMEM;
	memmove(m->it + i + 1, m->it + i, (m->n - i) * sizeof(*m->it));
	m->it[i] = (struct pg_peer_missing_item){ .key = k, .need = need, .deleted = deleted };
	m->n++;
	return 0;
}

bool pg_peer_mset_del(struct pg_peer_mset *m, const char *key)
{
	size_t i = mset_lower(m, key);
	if (i >= m->n || strcmp(m->it[i].key, key))
		return false;
	mem_free(m->it[i].key);
	memmove(m->it + i, m->it + i + 1, (m->n - i - 1) * sizeof(*m->it));
	m->n--;
	return true;
}

int pg_peer_mset_copy(struct pg_peer_mset *dst, const struct pg_peer_mset *src)
{
	struct pg_peer_mset m = { 0 };
	for (size_t i = 0; i < src->n; i++) {
		const struct pg_peer_missing_item *it = &src->it[i];
		if (pg_peer_mset_set(&m, it->key, it->need, it->deleted) < 0) {
			pg_peer_mset_fini(&m);
			return -ENOMEM;
		}
	}
	*dst = m;
	return 0;
}

/* The divergence point of peer against auth: the newest point of peer's
 * history that auth also holds. false if there is none auth can vouch for
 * (then the peer needs backfill). */
static bool find_divergence(const struct pg_peer_log *auth, const struct pg_peer_log *peer,
                            struct pg_peer_eversion *div)
{
	for (size_t i = peer->n; i-- > 0;) {
		struct pg_peer_eversion v = peer->e[i].version;
		if (pg_peer_ev_cmp(v, auth->tail) < 0)
			break;
		if (pg_peer_ev_cmp(v, auth->head) <= 0 && pg_peer_log_has(auth, v)) {
			*div = v;
			return true;
		}
	}
	if (pg_peer_ev_cmp(peer->tail, auth->tail) >= 0 && pg_peer_log_has(auth, peer->tail)) {
		*div = peer->tail;
		return true;
	}
	return false;
}

/* What a divergent key must return to: auth's newest entry for it, else the
 * version before the peer's first divergent write (none: delete it). */
static int mark_divergent(const struct pg_peer_log *auth, const struct pg_peer_log *peer,
                          size_t first, struct pg_peer_mset *out)
{
	for (size_t i = first; i < peer->n; i++) {
		const struct pg_peer_entry *e = &peer->e[i];
		bool seen = false;
		for (size_t j = first; j < i && !seen; j++)
			seen = !strcmp(peer->e[j].key, e->key);
		if (seen)
			continue;
		const struct pg_peer_entry *ae = pg_peer_log_latest(auth, e->key);
		struct pg_peer_eversion need = ae ? ae->version : e->prior_version;
		bool del = ae ? ae->op == PG_PEER_LOG_DELETE : !need.epoch && !need.v;
		if (pg_peer_mset_set(out, e->key, need, del) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Merges peer (log, missing) against auth. Returns 1 and fills *div and out
 * (everything the peer lacks once its divergent entries are rolled back)
 * when log-based recovery can bring the peer up to auth's head; 0 when the
 * peer needs backfill; -ENOMEM. */
int pg_peer_merge(const struct pg_peer_log *auth, const struct pg_peer_log *peer,
                  const struct pg_peer_mset *pmiss, struct pg_peer_eversion *div,
                  struct pg_peer_mset *out)
{
	struct pg_peer_mset m = { 0 };
	struct pg_peer_eversion d;
	size_t first = peer->n;

	if (pg_peer_ev_cmp(peer->head, auth->tail) < 0 || !find_divergence(auth, peer, &d))
		return 0;
	if (pg_peer_mset_copy(&m, pmiss) < 0)
		return -ENOMEM;
	while (first > 0 && pg_peer_ev_cmp(peer->e[first - 1].version, d) > 0)
		first--;
	if (mark_divergent(auth, peer, first, &m) < 0)
		goto out_free;
	for (size_t i = 0; i < auth->n; i++) {
		const struct pg_peer_entry *e = &auth->e[i];
		if (pg_peer_ev_cmp(e->version, d) > 0 &&
		    pg_peer_mset_set(&m, e->key, e->version, e->op == PG_PEER_LOG_DELETE) < 0)
			goto out_free;
	}
	pg_peer_mset_fini(out);
	*out = m;
	*div = d;
	return 1;
out_free:
	pg_peer_mset_fini(&m);
	return -ENOMEM;
}
