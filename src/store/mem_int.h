/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/mem_int.h - MemStore internals shared by mem.c (containers, reads,
 * queue) and mem_apply.c (ops). Threads: callers hold memstore.lock. */
#ifndef SEPIA_STORE_MEM_INT_H
#define SEPIA_STORE_MEM_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store_int.h"

#define MEM_PAGE 4096u

struct wq;

struct mobj {
	struct store_oid_own oid;
	uint8_t **pages; /* NULL = hole */
	size_t npages;   /* entries of pages[] */
	uint64_t size;
	struct store_kvvec attrs, omap;
};

struct mcoll {
	char *cid;
	struct mobj **objs; /* sorted by oid */
	size_t nobjs, cobjs;
};

struct memstore {
	struct store base;
	pthread_rwlock_t lock; /* "lock": every field below */
	struct mcoll **colls;  /* sorted by cid */
	size_t ncolls, ccolls;
	bool failed;
	struct wq *cbq; /* delivers callbacks in order */
};

struct mcoll *store_mem_coll_find(const struct memstore *m, const char *cid);
int store_mem_coll_add(struct memstore *m, const char *cid);
void store_mem_coll_del(struct memstore *m, const char *cid);
size_t store_mem_obj_lower(const struct mcoll *c, const struct store_oid *oid);
struct mobj *store_mem_obj_find(const struct mcoll *c, const struct store_oid *oid);
int store_mem_obj_insert(struct mcoll *c, struct mobj *o);
struct mobj *store_mem_obj_detach(struct mcoll *c, const struct store_oid *oid);
void store_mem_obj_free(struct mobj *o);

ssize_t store_mem_obj_read(const struct mobj *o, uint64_t off, uint64_t len, struct buf **out);
/* Applies one validated op. 0 or -ENOMEM. */
int store_mem_apply_op(struct memstore *m, const struct store_op *op);

#endif /* SEPIA_STORE_MEM_INT_H */
