/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mon/mon_svc.c - the map services on top of the consensus log: OSDMap
 * (incrementals), FSMap and MonMap (whole, small), and the key/value space
 * (central config and later services). A write builds its change against
 * the leader's pending view and proposes it as one log entry (struct
 * mon_txn); every monitor applies committed entries here, in log order.
 *
 * DESIGN
 * Entry format: a sequence of envelopes (v1), each u8 op (enum mon_svc_op)
 * + blob payload. An entry applies entirely or not at all: the first pass
 * checks every versioned op is for current epoch + 1 (else -ESTALE: another
 * proposal got there first, the leader's client gets -EAGAIN), the second
 * applies and records the changes in the caller's store batch.
 * Store layout (application space, prefix / key):
 *   osdmap / "latest"        the newest full OSD map
 *   osdmap / "i" be32 epoch  the incremental that produced epoch
 *   osdmap / "f" be32 epoch  a full map every FULL_EVERY epochs
 *   fsmap  / "latest"        the FSMap;  mon / "monmap"  the MonMap
 *   kv     / key             string values (config/<who>/<option>, ...)
 * Trimming: applying epoch e deletes "i" e-kept, and "f" e-kept-FULL_EVERY
 * when e-kept is a multiple of FULL_EVERY (kept = mon_min_versions_kept).
 * Invariants: S1 svc.osdmap->epoch == newest "i" epoch == "latest" epoch;
 * S2 the in-memory incrementals are inc_first .. osdmap->epoch, contiguous;
 * S3 pending is NULL or pending->epoch > osdmap->epoch (leader only). */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/timer.h"
#include "crush/crush.h"
#include "crush/text.h"
#include "mon/mon.h"
#include "mon/mon_store.h"

#define FULL_EVERY 16u

void mon_txn_init(struct mon_txn *tx)
{
	enc_init(&tx->e);
	tx->n = 0;
}

void mon_txn_fini(struct mon_txn *tx)
{
	enc_fini(&tx->e);
}

void mon_txn_add(struct mon_txn *tx, enum mon_svc_op op, const void *p, size_t len)
{
	size_t at = enc_begin(&tx->e, 1, 1);

	enc_u8(&tx->e, (uint8_t)op);
	enc_blob(&tx->e, p, len);
	enc_end(&tx->e, at);
	tx->n++;
}

void mon_txn_kv(struct mon_txn *tx, const char *key, const char *val)
{
	struct enc e;

	enc_init(&e);
	enc_str(&e, key);
	if (val)
		enc_str(&e, val);
	if (enc_error(&e) == 0)
		mon_txn_add(tx, val ? MON_OP_KV_PUT : MON_OP_KV_DEL, e.data, e.len);
	else
		tx->e.err = enc_error(&e);
	enc_fini(&e);
}

static void epoch_key(char tag, uint32_t e, char out[5])
{
	out[0] = tag;
	for (int i = 0; i < 4; i++)
		out[1 + i] = (char)(e >> (24 - 8 * i));
}

/* --- the in-memory incrementals ----------------------------------------------- */

static void incs_clear(struct mon_svc *s)
{
	for (uint32_t i = 0; i < s->n_incs; i++)
		mem_free(s->incs[i]);
	mem_free(s->incs);
	mem_free(s->inc_lens);
	s->incs = NULL;
	s->inc_lens = NULL;
	s->n_incs = s->cap_incs = 0;
}

static void incs_trim(struct mon_svc *s)
{
	uint32_t drop = s->n_incs > s->kept ? s->n_incs - s->kept : 0;

	for (uint32_t i = 0; i < drop; i++)
		mem_free(s->incs[i]);
	memmove(s->incs, s->incs + drop, (s->n_incs - drop) * sizeof(*s->incs));
	memmove(s->inc_lens, s->inc_lens + drop, (s->n_incs - drop) * sizeof(*s->inc_lens));
	s->n_incs -= drop;
	s->inc_first += drop;
}

/* Appends the incremental of epoch e (copied); a gap restarts the run. */
static int incs_push(struct mon_svc *s, uint32_t e, const void *p, size_t len)
{
	size_t cap = s->cap_incs;
	uint8_t *c;

	if (s->n_incs && s->inc_first + s->n_incs != e)
		incs_clear(s);
	if (s->n_incs == 0)
		s->inc_first = e;
	if (mem_grow(&s->incs, sizeof(*s->incs), &cap, s->n_incs + 1) < 0)
		return -ENOMEM;
	cap = s->cap_incs;
	if (mem_grow(&s->inc_lens, sizeof(*s->inc_lens), &cap, s->n_incs + 1) < 0)
		return -ENOMEM;
	s->cap_incs = (uint32_t)cap;
	c = mem_malloc(len ? len : 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, p, len);
	s->incs[s->n_incs] = c;
	s->inc_lens[s->n_incs++] = (uint32_t)len;
	incs_trim(s);
	return 0;
}

const uint8_t *mon_svc_inc(const struct mon *m, uint32_t e, uint32_t *len)
{
	const struct mon_svc *s = &m->svc;

	if (e < s->inc_first || e >= s->inc_first + s->n_incs)
		return NULL;
	*len = s->inc_lens[e - s->inc_first];
	return s->incs[e - s->inc_first];
}

/* --- loading ------------------------------------------------------------------- */

struct load_ctx {
	struct mon_svc *s;
	int rc;
};

static int load_inc(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct load_ctx *c = arg;
	const uint8_t *k = key;
	uint32_t e = 0;

	if (klen != 5 || k[0] != 'i')
		return 0;
	for (int i = 0; i < 4; i++)
		e = (e << 8) | k[1 + i];
	c->rc = incs_push(c->s, e, val, vlen);
	return c->rc;
}

static int load_kv(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
	struct load_ctx *c = arg;
	char *k = mem_strndup(key, klen);
	json_t *v = json_stringn(val, vlen);

	if (!k || !v || json_object_set_new(c->s->kv, k, v) < 0) {
		mem_free(k);
		json_decref(v);
		return c->rc = -ENOMEM;
	}
	mem_free(k);
	return 0;
}

static int load_osdmap(struct mon *m)
{
	struct load_ctx c = { &m->svc, 0 };
	void *v = NULL;
	size_t n = 0;
	struct dec d;
	int rc = mon_store_get(m->store, "osdmap", "latest", 6, &v, &n);

	if (rc == -ENOENT)
		return osdmap_create(m->fsid, &m->svc.osdmap);
	if (rc < 0)
		return rc;
	dec_init(&d, v, n);
	rc = osdmap_decode(&d, &m->svc.osdmap);
	mem_free(v);
	if (rc < 0)
		return -EIO;
	rc = mon_store_iterate(m->store, "osdmap", load_inc, &c);
	if (rc == 0 && m->svc.n_incs &&
	    m->svc.inc_first + m->svc.n_incs - 1 != m->svc.osdmap->epoch)
		incs_clear(&m->svc); /* not contiguous up to latest: serve full maps */
	return rc;
}

static int load_small(struct mon *m)
{
	struct load_ctx c = { &m->svc, 0 };
	void *v = NULL;
	size_t n = 0;
	struct dec d;
	int rc = mon_store_get(m->store, "fsmap", "latest", 6, &v, &n);

	fsmap_init(&m->svc.fsmap);
	if (rc == 0) {
		dec_init(&d, v, n);
		rc = fsmap_decode(&d, &m->svc.fsmap) < 0 ? -EIO : 0;
	}
	mem_free(v);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = mon_store_get(m->store, "mon", "monmap", 6, &v, &n);
	if (rc == 0) {
		dec_init(&d, v, n);
		rc = monmap_decode(&d, &m->svc.monmap) < 0 ? -EIO : 0;
		mem_free(v);
	}
	if (rc < 0)
		return rc;
	m->svc.kv = json_object();
	if (!m->svc.kv)
		return -ENOMEM;
	return mon_store_iterate(m->store, "kv", load_kv, &c);
}

int mon_svc_load(struct mon *m)
{
	int rc;

	mon_svc_fini(&m->svc);
	m->svc.kept = (uint32_t)cfg_int(m->d.cfg, CFG_KEY_mon_min_versions_kept);
	rc = load_osdmap(m);
	if (rc == 0)
		rc = load_small(m);
	if (rc < 0) {
		log_err(mon, "cannot load the maps from the store: %s", strerror(-rc));
		mon_svc_fini(&m->svc);
	} else {
		mon_monmap_changed(m);
	}
	return rc;
}

void mon_svc_fini(struct mon_svc *s)
{
	osdmap_destroy(s->osdmap);
	osdmap_destroy(s->pending);
	s->osdmap = s->pending = NULL;
	s->fs_has_pending = false;
	json_decref(s->kv);
	s->kv = NULL;
	incs_clear(s);
}

/* --- pending views (leader) ---------------------------------------------------- */

const struct osdmap *mon_svc_osdmap_view(const struct mon *m)
{
	return m->svc.pending ? m->svc.pending : m->svc.osdmap;
}

const struct fsmap *mon_svc_fsmap_view(const struct mon *m)
{
	return m->svc.fs_has_pending ? &m->svc.fs_pending : &m->svc.fsmap;
}

void mon_svc_drop_pending(struct mon *m)
{
	osdmap_destroy(m->svc.pending);
	m->svc.pending = NULL;
	m->svc.fs_has_pending = false;
}

int mon_svc_propose_inc(struct mon *m, struct osdmap_inc *inc, struct mon_txn *tx)
{
	const struct osdmap *base = mon_svc_osdmap_view(m);
	struct osdmap *next;
	struct enc e;
	int rc;

	inc->epoch = base->epoch + 1;
	memcpy(inc->fsid, base->fsid, 16);
	inc->modified_ns = tmr_wall_ns();
	rc = osdmap_apply(base, inc, &next);
	if (rc < 0)
		return rc;
	enc_init(&e);
	osdmap_inc_encode(inc, &e);
	rc = enc_error(&e);
	if (rc == 0)
		mon_txn_add(tx, MON_OP_OSDMAP, e.data, e.len);
	enc_fini(&e);
	if (rc < 0) {
		osdmap_destroy(next);
		return rc;
	}
	osdmap_destroy(m->svc.pending);
	m->svc.pending = next;
	return 0;
}

int mon_svc_propose_fsmap(struct mon *m, const struct fsmap *fs, struct mon_txn *tx)
{
	struct fsmap *next = &m->svc.fs_pending;
	struct enc e;
	int rc;
	uint32_t epoch = fs->epoch + 1; /* fs is a changed copy of the view */

	if (fs != next)
		*next = *fs;
	next->epoch = epoch;
	next->modified_ns = tmr_wall_ns();
	enc_init(&e);
	fsmap_encode(next, &e);
	rc = enc_error(&e);
	if (rc == 0)
		mon_txn_add(tx, MON_OP_FSMAP, e.data, e.len);
	enc_fini(&e);
	m->svc.fs_has_pending = rc == 0;
	return rc;
}

static void assert_svc_state(const struct mon_svc *s)
{
	assert(s->osdmap);
	assert(!s->pending || s->pending->epoch > s->osdmap->epoch);
	assert(!s->n_incs || s->inc_first + s->n_incs - 1 == s->osdmap->epoch);
	(void)s;
}

/* --- applying committed entries ------------------------------------------------ */

/* Splits an entry into its operations. 0 or -EBADMSG. */
int mon_svc_split(const uint8_t *p, size_t len, struct mon_svc_opref *ops, size_t *n)
{
	struct dec d, body;
	uint8_t v;

	*n = 0;
	dec_init(&d, p, len);
	while (dec_left(&d) > 0) {
		if (*n == MON_TXN_MAX_OPS || dec_begin(&d, 1, &v, &body) < 0 ||
		    dec_u8(&body, &ops[*n].op) < 0 ||
		    dec_blob_ref(&body, &ops[*n].p, &ops[*n].len) < 0)
			return -EBADMSG;
		dec_end(&d, &body);
		(*n)++;
	}
	return 0;
}

/* The epoch a versioned op produces (0 for unversioned ones), or -EBADMSG. */
int64_t mon_svc_op_epoch(const struct mon_svc_opref *o)
{
	struct dec d;
	uint8_t v;
	uint32_t e;
	struct dec body;

	if (o->op != MON_OP_OSDMAP && o->op != MON_OP_FSMAP && o->op != MON_OP_MONMAP)
		return 0;
	dec_init(&d, o->p, o->len); /* every map encoding starts with an envelope, epoch first */
	if (dec_begin(&d, 255, &v, &body) < 0 || dec_u32(&body, &e) < 0)
		return -EBADMSG;
	return e;
}

static uint32_t cur_epoch(const struct mon *m, uint8_t op)
{
	if (op == MON_OP_OSDMAP)
		return m->svc.osdmap->epoch;
	if (op == MON_OP_FSMAP)
		return m->svc.fsmap.epoch;
	return m->svc.monmap.epoch;
}

static void put_epoch(struct mon_store_batch *b, char tag, uint32_t e, const void *p, size_t len)
{
	char k[5];

	epoch_key(tag, e, k);
	if (p)
		mon_store_batch_put(b, "osdmap", k, 5, p, len);
	else
		mon_store_batch_del(b, "osdmap", k, 5);
}

static int persist_osdmap(struct mon *m, const struct mon_svc_opref *o, const struct osdmap *map,
                          struct mon_store_batch *b)
{
	uint32_t e = map->epoch, kept = m->svc.kept;
	struct enc enc;
	int rc;

	enc_init(&enc);
	osdmap_encode(map, &enc);
	rc = enc_error(&enc);
	if (rc == 0) {
		mon_store_batch_put(b, "osdmap", "latest", 6, enc.data, enc.len);
		put_epoch(b, 'i', e, o->p, o->len);
		if (e % FULL_EVERY == 0)
			put_epoch(b, 'f', e, enc.data, enc.len);
		if (e > kept)
			put_epoch(b, 'i', e - kept, NULL, 0);
		if (e > kept + FULL_EVERY && (e - kept) % FULL_EVERY == 0)
			put_epoch(b, 'f', e - kept - FULL_EVERY, NULL, 0);
	}
	enc_fini(&enc);
	return rc ? rc : incs_push(&m->svc, e, o->p, o->len);
}

static int apply_osdmap(struct mon *m, const struct mon_svc_opref *o, struct mon_store_batch *b)
{
	struct osdmap_inc inc;
	struct osdmap *next = NULL;
	struct dec d;
	int rc;

	osdmap_inc_init(&inc, NULL);
	dec_init(&d, o->p, o->len);
	rc = osdmap_inc_decode(&d, &inc);
	if (rc == 0)
		rc = osdmap_apply(m->svc.osdmap, &inc, &next);
	osdmap_inc_fini(&inc);
	if (rc == 0)
		rc = persist_osdmap(m, o, next, b);
	if (rc < 0) {
		osdmap_destroy(next);
		return rc;
	}
	osdmap_destroy(m->svc.osdmap);
	m->svc.osdmap = next;
	if (m->svc.pending && m->svc.pending->epoch <= next->epoch) {
		osdmap_destroy(m->svc.pending);
		m->svc.pending = NULL;
	}
	return 0;
}

static int apply_fsmap(struct mon *m, const struct mon_svc_opref *o, struct mon_store_batch *b)
{
	struct fsmap next;
	struct dec d;

	dec_init(&d, o->p, o->len);
	if (fsmap_decode(&d, &next) < 0)
		return -EBADMSG;
	mon_store_batch_put(b, "fsmap", "latest", 6, o->p, o->len);
	m->svc.fsmap = next;
	if (m->svc.fs_has_pending && m->svc.fs_pending.epoch <= next.epoch)
		m->svc.fs_has_pending = false;
	return 0;
}

static int apply_monmap(struct mon *m, const struct mon_svc_opref *o, struct mon_store_batch *b)
{
	struct monmap next;
	struct dec d;

	dec_init(&d, o->p, o->len);
	if (monmap_decode(&d, &next) < 0)
		return -EBADMSG;
	mon_store_batch_put(b, "mon", "monmap", 6, o->p, o->len);
	m->svc.monmap = next;
	mon_monmap_changed(m);
	return 0;
}

static int apply_kv(struct mon *m, const struct mon_svc_opref *o, struct mon_store_batch *b)
{
	char *key = NULL, *val = NULL;
	struct dec d;
	int rc;

	dec_init(&d, o->p, o->len);
	rc = dec_str_dup(&d, 4096, &key);
	if (rc == 0 && o->op == MON_OP_KV_PUT)
		rc = dec_str_dup(&d, 1 << 20, &val);
	if (rc == 0 && val) {
		mon_store_batch_put(b, "kv", key, strlen(key), val, strlen(val));
		rc = json_object_set_new(m->svc.kv, key, json_string(val)) < 0 ? -ENOMEM : 0;
	} else if (rc == 0) {
		mon_store_batch_del(b, "kv", key, strlen(key));
		json_object_del(m->svc.kv, key);
	}
	mem_free(key);
	mem_free(val);
	return rc;
}

static int apply_one(struct mon *m, const struct mon_svc_opref *o, struct mon_store_batch *b)
{
	switch (o->op) {
	case MON_OP_OSDMAP:
		return apply_osdmap(m, o, b);
	case MON_OP_FSMAP:
		return apply_fsmap(m, o, b);
	case MON_OP_MONMAP:
		return apply_monmap(m, o, b);
	case MON_OP_KV_PUT:
	case MON_OP_KV_DEL:
		return apply_kv(m, o, b);
	default:
		return -EBADMSG;
	}
}

int mon_svc_apply(struct mon *m, const uint8_t *p, size_t len, struct mon_store_batch *b)
{
	struct mon_svc_opref ops[MON_TXN_MAX_OPS];
	uint32_t next[4] = { 0 };
	size_t n;
	int rc = mon_svc_split(p, len, ops, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		int64_t e = mon_svc_op_epoch(&ops[i]);

		if (e < 0)
			return -EBADMSG;
		if (e == 0)
			continue;
		if (!next[ops[i].op])
			next[ops[i].op] = cur_epoch(m, ops[i].op) + 1;
		if ((uint32_t)e != next[ops[i].op]++)
			return -ESTALE;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = apply_one(m, &ops[i], b);
	assert_svc_state(&m->svc);
	if (rc == -ESTALE || rc == -EINVAL)
		rc = -EBADMSG; /* checked above: the entry itself is bad */
	return rc;
}

/* --- the first maps ------------------------------------------------------------ */

/* Ceph's default bucket types; one empty root and one replicated rule that
 * puts replicas on distinct buckets of mon_osd_crush_chooseleaf_type. */
static const char initial_crush_fmt[] =
    "tunable choose_local_tries 0\ntunable choose_local_fallback_tries 0\n"
    "tunable choose_total_tries 50\ntunable chooseleaf_descend_once 1\n"
    "tunable chooseleaf_vary_r 1\ntunable chooseleaf_stable 1\n"
    "tunable straw_calc_version 1\ntunable allowed_bucket_algs 54\n"
    "type 0 osd\ntype 1 host\ntype 2 chassis\ntype 3 rack\ntype 4 row\ntype 5 pdu\n"
    "type 6 pod\ntype 7 room\ntype 8 datacenter\ntype 9 zone\ntype 10 region\n"
    "type 11 root\n"
    "root default {\n\tid -1\n\talg straw2\n\thash 0\n}\n"
    "rule replicated_rule {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n"
    "\tstep take default\n\tstep chooseleaf firstn 0 type %s\n\tstep emit\n}\n";

static int initial_crush(struct mon *m, struct crush_map **out)
{
	static const char *const types[] = { "osd", "host", "chassis", "rack" };
	int64_t t = cfg_int(m->d.cfg, CFG_KEY_mon_osd_crush_chooseleaf_type);
	struct crush_text_error err;
	char text[2048];
	int n = snprintf(text, sizeof(text), initial_crush_fmt, types[t >= 0 && t < 4 ? t : 1]);
	int rc = crush_text_compile(text, (size_t)n, out, &err);

	if (rc < 0)
		log_err(mon, "initial CRUSH map: line %d near '%s': %s", err.line, err.token,
		        err.reason ? err.reason : strerror(-rc));
	return rc;
}

int mon_svc_initial_txn(struct mon *m, struct mon_txn *tx)
{
	struct osdmap_inc inc;
	struct crush_map *crush = NULL;
	struct fsmap fs;
	int rc = initial_crush(m, &crush);

	if (rc < 0)
		return rc;
	osdmap_inc_init(&inc, m->svc.osdmap);
	inc.new_flags = 0;
	rc = osdmap_inc_set_crush(&inc, crush);
	if (rc == 0)
		rc = mon_svc_propose_inc(m, &inc, tx);
	osdmap_inc_fini(&inc);
	crush_map_destroy(crush);
	if (rc == 0 && m->svc.fsmap.epoch == 0) {
		fs = m->svc.fsmap;
		rc = mon_svc_propose_fsmap(m, &fs, tx);
	}
	return rc;
}
