/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/validate.c - checks that a transaction applies cleanly, shared by
 * both implementations so that they agree on every error.
 *
 * The check replays the ops against a transaction-local overlay: which
 * collections and objects exist after each op, on top of what the store says
 * existed before (struct store_view). Collections count their objects so that
 * coll_remove can demand emptiness; the store is asked for the count only
 * then (it may cost a scan), writes just keep the change. Transactions are small; the overlay is a
 * pair of arrays searched linearly. */
#include <errno.h>
#include <string.h>

#include "common/mem.h"
#include "store/store_int.h"

struct vcoll {
	const char *cid;
	bool exists;
	bool counted;  /* count includes the store's objects, not just the change */
	int64_t count; /* objects (or their change, until counted), when exists */
};

struct vobj {
	const char *cid;
	struct store_oid oid;
	bool exists;
};

struct vstate {
	const struct store_view *v;
	struct vcoll *c;
	struct vobj *o;
	size_t nc, cc, no, co;
};

static struct vcoll *coll_get(struct vstate *s, const char *cid)
{
	for (size_t i = 0; i < s->nc; i++)
		if (strcmp(s->c[i].cid, cid) == 0)
			return &s->c[i];
	if (mem_grow(&s->c, sizeof(*s->c), &s->cc, s->nc + 1) < 0)
		return NULL;
	s->c[s->nc].cid = cid;
	s->c[s->nc].exists = s->v->coll_exists(s->v->ctx, cid);
	s->c[s->nc].counted = !s->c[s->nc].exists;
	s->c[s->nc].count = 0;
	return &s->c[s->nc++];
}

static struct vobj *obj_get(struct vstate *s, const char *cid, const struct store_oid_own *oid)
{
	struct store_oid view = store_oid_view(oid);

	for (size_t i = 0; i < s->no; i++)
		if (strcmp(s->o[i].cid, cid) == 0 && store_oid_cmp(&s->o[i].oid, &view) == 0)
			return &s->o[i];
	if (mem_grow(&s->o, sizeof(*s->o), &s->co, s->no + 1) < 0)
		return NULL;
	s->o[s->no].cid = cid;
	s->o[s->no].oid = view;
	s->o[s->no].exists = s->v->obj_exists(s->v->ctx, cid, &view);
	return &s->o[s->no++];
}

/* Sets an object's existence, keeping its collection's count. */
static int obj_set(struct vstate *s, const char *cid, const struct store_oid_own *oid, bool exists)
{
	struct vcoll *c = coll_get(s, cid);
	struct vobj *o;

	if (!c)
		return -ENOMEM;
	if (!c->exists)
		return -ENOENT;
	o = obj_get(s, cid, oid);
	if (!o)
		return -ENOMEM;
	if (o->exists != exists)
		c->count += exists ? 1 : -1;
	o->exists = exists;
	return 0;
}

/* 0 if the object exists (its collection too), else -ENOENT. */
static int obj_need(struct vstate *s, const char *cid, const struct store_oid_own *oid)
{
	struct vcoll *c = coll_get(s, cid);
	struct vobj *o;

	if (!c)
		return -ENOMEM;
	if (!c->exists)
		return -ENOENT;
	o = obj_get(s, cid, oid);
	if (!o)
		return -ENOMEM;
	return o->exists ? 0 : -ENOENT;
}

static int check_coll(struct vstate *s, const struct store_op *op)
{
	struct vcoll *c = coll_get(s, op->cid);

	if (!c)
		return -ENOMEM;
	if (op->type == STORE_OP_COLL_CREATE) {
		if (c->exists)
			return -EEXIST;
		c->exists = true;
		c->counted = true;
		c->count = 0;
		return 0;
	}
	if (!c->exists)
		return -ENOENT;
	if (!c->counted) /* existed before this transaction: add its objects */
		c->count += (int64_t)s->v->coll_count(s->v->ctx, c->cid);
	c->counted = true;
	if (c->count > 0)
		return -ENOTEMPTY;
	c->exists = false;
	return 0;
}

static int check_two(struct vstate *s, const struct store_op *op)
{
	struct vobj *d;
	int rc = obj_need(s, op->cid, &op->oid);

	if (rc < 0)
		return rc;
	if (op->type != STORE_OP_MOVE_RENAME)
		return obj_set(s, op->cid2, &op->oid2, true);
	rc = obj_need(s, op->cid2, &op->oid2);
	if (rc == 0)
		return -EEXIST;
	if (rc != -ENOENT)
		return rc;
	d = obj_get(s, op->cid2, &op->oid2);
	if (!d)
		return -ENOMEM;
	rc = obj_set(s, op->cid, &op->oid, false);
	return rc < 0 ? rc : obj_set(s, op->cid2, &op->oid2, true);
}

static int check_op(struct vstate *s, const struct store_op *op)
{
	switch (op->type) {
	case STORE_OP_COLL_CREATE:
	case STORE_OP_COLL_REMOVE:
		return check_coll(s, op);
	case STORE_OP_TOUCH:
	case STORE_OP_WRITE:
	case STORE_OP_ZERO:
	case STORE_OP_TRUNCATE:
	case STORE_OP_SETATTRS:
	case STORE_OP_OMAP_SETKEYS:
		return obj_set(s, op->cid, &op->oid, true);
	case STORE_OP_REMOVE: {
		int rc = obj_need(s, op->cid, &op->oid);

		return rc < 0 ? rc : obj_set(s, op->cid, &op->oid, false);
	}
	case STORE_OP_RMATTR:
	case STORE_OP_OMAP_RMKEYS:
	case STORE_OP_OMAP_RMKEYRANGE:
	case STORE_OP_OMAP_CLEAR:
		return obj_need(s, op->cid, &op->oid);
	case STORE_OP_CLONE:
	case STORE_OP_CLONE_RANGE:
	case STORE_OP_MOVE_RENAME:
		return check_two(s, op);
	}
	return -EINVAL;
}

int store_txn_validate(const struct store_txn *t, const struct store_view *v)
{
	struct vstate s = { .v = v };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->nops; i++)
		rc = check_op(&s, &t->ops[i]);
	mem_free(s.c);
	mem_free(s.o);
	return rc;
}
