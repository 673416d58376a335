/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/mapper.c - the CRUSH mapping function (dissertation ch. 5, Algorithm 1).
 *
 * DESIGN. crush_do_rule walks the rule's steps over a working vector of
 * items. A choose step replaces each item of the working vector by numrep
 * items of the wanted type found below it: firstn fills positions in order
 * and closes up the gaps left by failures (replicated pools), indep keeps
 * every position stable and leaves CRUSH_ITEM_NONE holes (erasure pools).
 * An item is rejected when it collides with one already chosen, when it is
 * out (reweight test on a hash of x and the device), or when the descent
 * below it (chooseleaf) fails; a rejection retries with r' = r + f.
 * The results, the retry counts and the order in which hashes are drawn all
 * follow Ceph's mapper exactly: placement must be identical for the same map.
 *
 * Invariants: the map is read only; all mutable state (uniform bucket
 * permutations and the three result vectors) lives in the caller's
 * workspace, which crush_do_rule resets on entry, so a call depends on
 * nothing but its arguments. */
#include <assert.h>
#include <string.h>

#include "common/hash.h"
#include "crush/crush.h"
#include "crush/crush_int.h"
#include "crush/mapper.h"

/* Permutation state of one bucket (uniform buckets and local fallback). */
struct work_bucket {
	uint32_t perm_x;
	uint32_t perm_n;
	uint32_t *perm;
};

/* Bucket items one crush_do_rule call may evaluate. Real maps need far
 * fewer (3 replicas from a flat 10,000-device straw2 bucket with two
 * retries each is 60,000); a hostile map whose nested retries would take
 * hours stops here, after about a millisecond, and maps what it found. */
#define CRUSH_WORK_BUDGET 1000000u

struct crush_work {
	int32_t nbuckets;
	int result_max;
	uint64_t budget; /* item evaluations left in this call */
	struct work_bucket *wb;
	int *vec; /* 3 * result_max ints */
};

/* What a choose step needs besides its position: constant for one call. */
struct choose_ctx {
	const struct crush_map *map;
	struct crush_work *work;
	const uint32_t *weight;
	int weight_max;
	int x;
	const struct crush_choose_arg *args;
};

/* Retry policy of one choose step. */
struct choose_tries {
	unsigned int tries;
	unsigned int recurse_tries;
	unsigned int local_retries;
	unsigned int local_fallback_retries;
	unsigned int vary_r;
	unsigned int stable;
	int recurse_to_leaf;
};

/* One firstn / indep request: fill out[outpos..] with items of type. */
struct choose_req {
	const struct crush_bucket *bucket;
	int numrep;
	int type;
	int *out;
	int outpos;
	int out_size; /* firstn: room left; indep: positions to fill */
	int *out2;    /* leaves, when recursing to leaf */
	int parent_r;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

size_t crush_work_size(const struct crush_map *map, int result_max)
{
	size_t n = align8(sizeof(struct crush_work));
	int32_t i;

	n += align8(sizeof(struct work_bucket) * (size_t)map->max_buckets);
	for (i = 0; i < map->max_buckets; i++)
		if (map->buckets[i])
			n += sizeof(uint32_t) * map->buckets[i]->size;
	n = align8(n);
	return n + sizeof(int) * 3 * (size_t)(result_max > 0 ? result_max : 0);
}

void crush_work_init(const struct crush_map *map, void *work, int result_max)
{
	struct crush_work *w = work;
	char *p = (char *)work + align8(sizeof(*w));
	int32_t i;

	w->nbuckets = map->max_buckets;
	w->result_max = result_max;
	w->wb = (struct work_bucket *)p;
	p += align8(sizeof(struct work_bucket) * (size_t)map->max_buckets);
	for (i = 0; i < map->max_buckets; i++) {
		w->wb[i].perm_x = 0;
		w->wb[i].perm_n = 0;
		w->wb[i].perm = (uint32_t *)p;
		if (map->buckets[i])
			p += sizeof(uint32_t) * map->buckets[i]->size;
	}
	w->vec = (int *)((char *)work + align8((size_t)(p - (char *)work)));
}

/* Uniform buckets: item at position r of a pseudo-random permutation of the
 * bucket, computed lazily (only as far as r) and cached per x. */
static int perm_choose(const struct crush_bucket *b, struct work_bucket *wb, int x, int r)
{
	uint32_t pr = (uint32_t)r % b->size;
	uint32_t i;

	if (wb->perm_x != (uint32_t)x || wb->perm_n == 0) {
		wb->perm_x = (uint32_t)x;
		if (pr == 0) {
			/* Common case: only the first slot is needed. */
			wb->perm[0] = hash_rjenkins1_3((uint32_t)x, (uint32_t)b->id, 0) % b->size;
			wb->perm_n = 0xffff;
			return b->items[wb->perm[0]];
		}
		for (i = 0; i < b->size; i++)
			wb->perm[i] = i;
		wb->perm_n = 0;
	} else if (wb->perm_n == 0xffff) {
		/* Expand the r = 0 shortcut into a real permutation prefix. */
		for (i = 1; i < b->size; i++)
			wb->perm[i] = i;
		wb->perm[wb->perm[0]] = 0;
		wb->perm_n = 1;
	}
	while (wb->perm_n <= pr) {
		uint32_t p = wb->perm_n;

		if (p < b->size - 1) {
			i = hash_rjenkins1_3((uint32_t)x, (uint32_t)b->id, p) % (b->size - p);
			if (i) {
				uint32_t t = wb->perm[p + i];

				wb->perm[p + i] = wb->perm[p];
				wb->perm[p] = t;
			}
		}
		wb->perm_n++;
	}
	return b->items[wb->perm[pr]];
}

/* List buckets: walk from the tail, keep item i with probability w_i / sum_i. */
static int list_choose(const struct crush_bucket *b, int x, int r)
{
	int i;

	for (i = (int)b->size - 1; i >= 0; i--) {
		uint64_t w = hash_rjenkins1_4((uint32_t)x, (uint32_t)b->items[i], (uint32_t)r,
		                              (uint32_t)b->id);

		w = ((w & 0xffff) * b->sum_weights[i]) >> 16;
		if (w < b->item_weights[i])
			return b->items[i];
	}
	return b->items[0];
}

static int node_height(uint32_t n)
{
	int h = 0;

	while ((n & 1) == 0) {
		h++;
		n >>= 1;
	}
	return h;
}

/* Tree buckets: descend the implicit binary tree by weighted coin flips. */
static int tree_choose(const struct crush_bucket *b, int x, int r)
{
	uint32_t n = b->num_nodes >> 1;

	while (!(n & 1)) {
		uint32_t half = 1u << (node_height(n) - 1);
		uint64_t t =
		    (uint64_t)hash_rjenkins1_4((uint32_t)x, n, (uint32_t)r, (uint32_t)b->id) *
		    b->node_weights[n];

		if ((t >> 32) < b->node_weights[n - half])
			n -= half;
		else
			n += half;
	}
	/* Only a tree of zero total weight ends right of its last item (Ceph
	 * reads past the array there); stay inside it. */
	if ((n >> 1) >= b->size)
		return b->items[b->size - 1];
	return b->items[n >> 1];
}

/* Straw buckets: longest scaled straw wins (Algorithm 2 lengths). */
static int straw_choose(const struct crush_bucket *b, int x, int r)
{
	uint64_t draw, high_draw = 0;
	uint32_t i, high = 0;

	for (i = 0; i < b->size; i++) {
		draw = hash_rjenkins1_3((uint32_t)x, (uint32_t)b->items[i], (uint32_t)r) & 0xffff;
		draw *= b->straws[i];
		if (i == 0 || draw > high_draw) {
			high = i;
			high_draw = draw;
		}
	}
	return b->items[high];
}

/* Straw2: each item draws ln(u) / w (an exponential variable); the highest
 * draw wins, so changing one weight only moves data to or from that item.
 * Items go in chunks: all hashes, then all draws, then the maximum, so that
 * the independent hash chains overlap instead of waiting behind the
 * data-dependent "new maximum" branch. Same draws, same order, same ties. */
#define STRAW2_CHUNK 16

/* ln(u) / w truncated toward zero as C's signed division does; a power of
 * two weight (every 1.0 device) divides by shifting the magnitude. */
static int64_t straw2_draw(uint32_t u, uint32_t w)
{
	int64_t ln = (int64_t)crush_ln_fast(u) - 0x1000000000000ll; /* <= 0 */

	if (!w)
		return INT64_MIN;
	if (!(w & (w - 1)))
		return -(int64_t)((uint64_t)-ln >> __builtin_ctz(w));
	return ln / (int64_t)w;
}

static int straw2_choose(const struct crush_bucket *b, int x, int r,
                         const struct crush_choose_arg *arg, int position)
{
	const uint32_t *weights = b->item_weights;
	const int32_t *ids = b->items;
	uint32_t u[STRAW2_CHUNK], base, k, n, high = 0;
	int64_t draw[STRAW2_CHUNK], high_draw = 0;

	if (arg && arg->weight_set && arg->weight_set_positions) {
		uint32_t pos = (uint32_t)position;

		if (pos >= arg->weight_set_positions)
			pos = arg->weight_set_positions - 1;
		weights = arg->weight_set[pos].weights;
	}
	if (arg && arg->ids)
		ids = arg->ids;
	for (base = 0; base < b->size; base += STRAW2_CHUNK) {
		n = b->size - base < STRAW2_CHUNK ? b->size - base : STRAW2_CHUNK;
		for (k = 0; k < n; k++)
			u[k] = hash_rjenkins1_3((uint32_t)x, (uint32_t)ids[base + k], (uint32_t)r);
		for (k = 0; k < n; k++)
			draw[k] = straw2_draw(u[k], weights[base + k]);
		for (k = 0; k < n; k++) {
			if ((base == 0 && k == 0) || draw[k] > high_draw) {
				high = base + k;
				high_draw = draw[k];
			}
		}
	}
	return b->items[high];
}

/* Hash functions other than rjenkins1 hash to 0 in Ceph; a validated map
 * only has rjenkins1, so the hash field is not consulted here. */
static bool budget_is_spent(const struct choose_ctx *c)
{
	return c->work->budget == 0;
}

static int bucket_choose(const struct choose_ctx *c, const struct crush_bucket *b, int r,
                         int position)
{
	/* list, straw and straw2 evaluate every item; charge that bound */
	c->work->budget -= b->size < c->work->budget ? b->size : c->work->budget;
	switch (b->alg) {
	case CRUSH_BUCKET_UNIFORM:
		return perm_choose(b, &c->work->wb[-1 - b->id], c->x, r);
	case CRUSH_BUCKET_LIST:
		return list_choose(b, c->x, r);
	case CRUSH_BUCKET_TREE:
		return tree_choose(b, c->x, r);
	case CRUSH_BUCKET_STRAW:
		return straw_choose(b, c->x, r);
	case CRUSH_BUCKET_STRAW2:
		return straw2_choose(b, c->x, r, c->args ? &c->args[-1 - b->id] : NULL, position);
	default:
		return b->items[0];
	}
}

/* Overload test: a device with reweight w < 1 keeps x with probability w. */
static bool is_out(const struct choose_ctx *c, int item)
{
	uint32_t w;

	if (item < 0) /* a bucket of type 0: Ceph reads weight[-n] */
		return false;
	if (item >= c->weight_max)
		return true;
	w = c->weight[item];
	if (w >= CRUSH_WEIGHT_ONE)
		return false;
	if (w == 0)
		return true;
	return (hash_rjenkins1_2((uint32_t)c->x, (uint32_t)item) & 0xffff) >= w;
}

/* Type of item, or -1 if it names no bucket of the map. */
static int item_type(const struct crush_map *map, int item)
{
	if (item >= 0)
		return 0;
	if (-1 - item >= map->max_buckets || !map->buckets[-1 - item])
		return -1;
	return map->buckets[-1 - item]->type;
}

static bool collides(const int *out, int from, int to, int item)
{
	int i;

	for (i = from; i < to; i++)
		if (out[i] == item)
			return true;
	return false;
}

static int choose_firstn(const struct choose_ctx *c, const struct choose_req *q,
                         const struct choose_tries *t);

/* chooseleaf below a firstn pick: 0 if a leaf landed in out2[outpos]. */
static int firstn_leaf(const struct choose_ctx *c, const struct choose_req *q,
                       const struct choose_tries *t, int item, int r)
{
	struct choose_tries sub = *t;
	struct choose_req leaf = {
		.numrep = t->stable ? 1 : q->outpos + 1,
		.type = 0,
		.out = q->out2,
		.outpos = q->outpos,
		.out_size = q->out_size,
		.out2 = NULL,
		.parent_r =
		    t->vary_r ? (int)((uint32_t)r >> (t->vary_r > 32 ? 31 : t->vary_r - 1)) : 0,
	};

	if (item >= 0) {
		q->out2[q->outpos] = item;
		return 0;
	}
	leaf.bucket = c->map->buckets[-1 - item];
	sub.tries = t->recurse_tries;
	sub.recurse_tries = 0;
	sub.recurse_to_leaf = 0;
	return choose_firstn(c, &leaf, &sub) <= q->outpos ? 1 : 0;
}

/* Outcome of one attempt inside choose_firstn. */
enum attempt {
	ATTEMPT_OK,
	ATTEMPT_SKIP,   /* give up on this replica */
	ATTEMPT_REJECT, /* out or failed descent */
	ATTEMPT_COLLIDE,
};

/* Descends from q->bucket with r' = rep + parent_r + ftotal until an item of
 * the wanted type appears; *inp tracks the bucket the pick was made in. */
static enum attempt firstn_attempt(const struct choose_ctx *c, const struct choose_req *q,
                                   const struct choose_tries *t, int r, unsigned int flocal,
                                   const struct crush_bucket **inp, int *itemp)
{
	const struct crush_bucket *in = *inp;
	int item, type;

	for (;;) {
		if (in->size == 0)
			return ATTEMPT_REJECT;
		if (t->local_fallback_retries > 0 && flocal >= (in->size >> 1) &&
		    flocal > t->local_fallback_retries)
			item = perm_choose(in, &c->work->wb[-1 - in->id], c->x, r);
		else
			item = bucket_choose(c, in, r, q->outpos);
		*itemp = item;
		if (item >= c->map->max_devices)
			return ATTEMPT_SKIP;
		type = item_type(c->map, item);
		if (type < 0)
			return ATTEMPT_SKIP;
		if (type == q->type)
			break;
		if (item >= 0)
			return ATTEMPT_SKIP;
		in = c->map->buckets[-1 - item];
		*inp = in;
	}
	if (collides(q->out, 0, q->outpos, item))
		return ATTEMPT_COLLIDE;
	if (t->recurse_to_leaf && firstn_leaf(c, q, t, item, r))
		return ATTEMPT_REJECT;
	if (type == 0 && is_out(c, item))
		return ATTEMPT_REJECT;
	return ATTEMPT_OK;
}

/* Picks one replica for slot rep into *itemp; false if it was skipped. */
static bool firstn_one(const struct choose_ctx *c, const struct choose_req *q,
                       const struct choose_tries *t, int rep, int *itemp)
{
	unsigned int ftotal = 0, flocal;
	const struct crush_bucket *in;
	enum attempt a;

	for (;;) { /* retry descent */
		in = q->bucket;
		flocal = 0;
		for (;;) { /* retry bucket */
			int r = rep + q->parent_r + (int)ftotal;

			if (budget_is_spent(c))
				return false;
			a = firstn_attempt(c, q, t, r, flocal, &in, itemp);
			if (a == ATTEMPT_OK)
				return true;
			if (a == ATTEMPT_SKIP)
				return false;
			ftotal++;
			flocal++;
			if (a == ATTEMPT_COLLIDE && flocal <= t->local_retries)
				continue;
			if (t->local_fallback_retries > 0 &&
			    flocal <= in->size + t->local_fallback_retries)
				continue;
			break;
		}
		if (ftotal >= t->tries)
			return false;
	}
}

static int choose_firstn(const struct choose_ctx *c, const struct choose_req *q,
                         const struct choose_tries *t)
{
	struct choose_req cur = *q; /* out_size counts the room left */
	int rep, item = 0;

	for (rep = t->stable ? 0 : q->outpos; rep < q->numrep && cur.out_size > 0; rep++) {
		if (!firstn_one(c, &cur, t, rep, &item))
			continue;
		cur.out[cur.outpos] = item;
		cur.outpos++;
		cur.out_size--;
	}
	return cur.outpos;
}

static void choose_indep(const struct choose_ctx *c, const struct choose_req *q,
                         const struct choose_tries *t);

static void indep_set(const struct choose_req *q, int rep, int v)
{
	q->out[rep] = v;
	if (q->out2)
		q->out2[rep] = v;
}

/* One attempt at position rep of an indep step; true if the position is
 * settled (filled, or marked NONE because the hierarchy is broken). */
static bool indep_attempt(const struct choose_ctx *c, const struct choose_req *q,
                          const struct choose_tries *t, int rep, unsigned int ftotal)
{
	const struct crush_bucket *in = q->bucket;
	int endpos = q->outpos + q->out_size;
	int item, type, r;

	for (;;) {
		r = rep + q->parent_r;
		if (in->alg == CRUSH_BUCKET_UNIFORM && in->size % (uint32_t)q->numrep == 0)
			r += (q->numrep + 1) * (int)ftotal;
		else
			r += q->numrep * (int)ftotal;
		if (in->size == 0)
			return false;
		item = bucket_choose(c, in, r, q->outpos);
		type = item >= c->map->max_devices ? -1 : item_type(c->map, item);
		if (type < 0 || (type != q->type && item >= 0)) {
			indep_set(q, rep, CRUSH_ITEM_NONE);
			return true;
		}
		if (type == q->type)
			break;
		in = c->map->buckets[-1 - item];
	}
	if (collides(q->out, q->outpos, endpos, item))
		return false;
	if (t->recurse_to_leaf) {
		if (item < 0) {
			struct choose_tries sub = *t;
			struct choose_req leaf = {
				.bucket = c->map->buckets[-1 - item],
				.numrep = q->numrep,
				.type = 0,
				.out = q->out2,
				.outpos = rep,
				.out_size = 1,
				.out2 = NULL,
				.parent_r = r,
			};

			sub.tries = t->recurse_tries;
			sub.recurse_tries = 0;
			sub.recurse_to_leaf = 0;
			choose_indep(c, &leaf, &sub);
			if (q->out2[rep] == CRUSH_ITEM_NONE)
				return false;
		} else {
			q->out2[rep] = item;
		}
	}
	if (type == 0 && is_out(c, item))
		return false;
	q->out[rep] = item;
	return true;
}

static void choose_indep(const struct choose_ctx *c, const struct choose_req *q,
                         const struct choose_tries *t)
{
	int endpos = q->outpos + q->out_size;
	int left = q->out_size;
	unsigned int ftotal;
	int rep;

	for (rep = q->outpos; rep < endpos; rep++)
		indep_set(q, rep, CRUSH_ITEM_UNDEF);
	for (ftotal = 0; left > 0 && ftotal < t->tries && !budget_is_spent(c); ftotal++) {
		for (rep = q->outpos; rep < endpos; rep++) {
			if (q->out[rep] != CRUSH_ITEM_UNDEF)
				continue;
			if (indep_attempt(c, q, t, rep, ftotal))
				left--;
		}
	}
	for (rep = q->outpos; rep < endpos; rep++) {
		if (q->out[rep] == CRUSH_ITEM_UNDEF)
			q->out[rep] = CRUSH_ITEM_NONE;
		if (q->out2 && q->out2[rep] == CRUSH_ITEM_UNDEF)
			q->out2[rep] = CRUSH_ITEM_NONE;
	}
}

/* Mutable state of one crush_do_rule call. */
struct rule_state {
	int *w; /* working vector */
	int *o; /* output of the current step */
	int *c; /* leaves of the current step */
	int wsize;
	struct choose_tries t;
	unsigned int leaf_tries; /* set_chooseleaf_tries, 0 = unset */
};

static void rule_take(const struct crush_map *map, struct rule_state *s, int32_t id)
{
	if ((id >= 0 && id < map->max_devices) ||
	    (id < 0 && -1 - id < map->max_buckets && map->buckets[-1 - id])) {
		s->w[0] = id;
		s->wsize = 1;
	}
}

static void rule_set(struct rule_state *s, const struct crush_rule_step *st)
{
	switch (st->op) {
	case CRUSH_RULE_SET_CHOOSE_TRIES:
		if (st->arg1 > 0)
			s->t.tries = (unsigned int)st->arg1;
		break;
	case CRUSH_RULE_SET_CHOOSELEAF_TRIES:
		if (st->arg1 > 0)
			s->leaf_tries = (unsigned int)st->arg1;
		break;
	case CRUSH_RULE_SET_CHOOSE_LOCAL_TRIES:
		if (st->arg1 >= 0)
			s->t.local_retries = (unsigned int)st->arg1;
		break;
	case CRUSH_RULE_SET_CHOOSE_LOCAL_FALLBACK_TRIES:
		if (st->arg1 >= 0)
			s->t.local_fallback_retries = (unsigned int)st->arg1;
		break;
	case CRUSH_RULE_SET_CHOOSELEAF_VARY_R:
		if (st->arg1 >= 0)
			s->t.vary_r = (unsigned int)st->arg1;
		break;
	case CRUSH_RULE_SET_CHOOSELEAF_STABLE:
		if (st->arg1 >= 0)
			s->t.stable = (unsigned int)st->arg1;
		break;
	default:
		break;
	}
}

/* One choose / chooseleaf step over every item of the working vector. */
static void rule_choose(const struct choose_ctx *c, struct rule_state *s,
                        const struct crush_rule_step *st, int result_max)
{
	bool firstn = st->op == CRUSH_RULE_CHOOSE_FIRSTN || st->op == CRUSH_RULE_CHOOSELEAF_FIRSTN;
	struct choose_tries t = s->t;
	int osize = 0, i, *tmp;

	t.recurse_to_leaf =
	    st->op == CRUSH_RULE_CHOOSELEAF_FIRSTN || st->op == CRUSH_RULE_CHOOSELEAF_INDEP;
	if (firstn)
		t.recurse_tries = s->leaf_tries                     ? s->leaf_tries
		                  : c->map->chooseleaf_descend_once ? 1
		                                                    : t.tries;
	else
		t.recurse_tries = s->leaf_tries ? s->leaf_tries : 1;
	for (i = 0; i < s->wsize; i++) {
		int numrep = st->arg1, bno = -1 - s->w[i];
		struct choose_req q = { .type = st->arg2,
			                .out = s->o + osize,
			                .out2 = s->c + osize };

		if (numrep <= 0) {
			numrep += result_max;
			if (numrep <= 0)
				continue;
		}
		if (bno < 0 || bno >= c->map->max_buckets || !c->map->buckets[bno])
			continue; /* a device or CRUSH_ITEM_NONE */
		q.bucket = c->map->buckets[bno];
		q.numrep = numrep;
		if (firstn) {
			q.out_size = result_max - osize;
			osize += choose_firstn(c, &q, &t);
		} else {
			q.out_size = numrep < result_max - osize ? numrep : result_max - osize;
			choose_indep(c, &q, &t);
			osize += q.out_size;
		}
	}
	if (t.recurse_to_leaf)
		memcpy(s->o, s->c, sizeof(int) * (size_t)osize);
	tmp = s->o;
	s->o = s->w;
	s->w = tmp;
	s->wsize = osize;
}

int crush_do_rule(const struct crush_map *map, int ruleno, int x, int *result, int result_max,
                  const uint32_t *weight, int weight_max, void *work,
                  const struct crush_choose_arg *choose_args)
{
	struct crush_work *cw = work;
	struct choose_ctx c = { map, cw, weight, weight_max, x, choose_args };
	struct rule_state s = { 0 };
	const struct crush_rule *rule;
	int len = 0, i;
	uint32_t step;

	if (ruleno < 0 || (uint32_t)ruleno >= map->max_rules || !map->rules[ruleno] ||
	    result_max <= 0 || result_max > cw->result_max || cw->nbuckets != map->max_buckets)
		return 0; /* (a workspace laid out for another bucket set is refused) */
	rule = map->rules[ruleno];
	for (i = 0; i < cw->nbuckets; i++)
		cw->wb[i].perm_n = cw->wb[i].perm_x = 0;
	cw->budget = CRUSH_WORK_BUDGET;
	s.w = cw->vec;
	s.o = s.w + result_max;
	s.c = s.o + result_max;
	/* choose_total_tries counts retries; the loop wants tries. */
	s.t.tries = map->choose_total_tries + 1;
	s.t.local_retries = map->choose_local_tries;
	s.t.local_fallback_retries = map->choose_local_fallback_tries;
	s.t.vary_r = map->chooseleaf_vary_r;
	s.t.stable = map->chooseleaf_stable;
	for (step = 0; step < rule->len; step++) {
		const struct crush_rule_step *st = &rule->steps[step];

		switch (st->op) {
		case CRUSH_RULE_TAKE:
			rule_take(map, &s, st->arg1);
			break;
		case CRUSH_RULE_CHOOSE_FIRSTN:
		case CRUSH_RULE_CHOOSE_INDEP:
		case CRUSH_RULE_CHOOSELEAF_FIRSTN:
		case CRUSH_RULE_CHOOSELEAF_INDEP:
			if (s.wsize)
				rule_choose(&c, &s, st, result_max);
			break;
		case CRUSH_RULE_EMIT:
			for (i = 0; i < s.wsize && len < result_max; i++)
				result[len++] = s.w[i];
			s.wsize = 0;
			break;
		default:
			rule_set(&s, st);
			break;
		}
	}
	return len;
}
