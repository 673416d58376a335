/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store/bs_int.h - BlockStore internals: records, extent maps, the
 * allocator, the transaction context and the commit pipeline.
 * Threads and locks are described per struct; the order is in README.md. */
#ifndef SEPIA_STORE_BS_INT_H
#define SEPIA_STORE_BS_INT_H
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/list.h"
#include "store/faulty.h"
#include "store/store_int.h"

/* Key prefixes of the metadata database (README.md, "On-disk layout"). */
#define BS_K_SUPER      'S'                 /* "S"                        superblock */
#define BS_K_COLL       'C'                 /* "C" cid                    collection record */
#define BS_K_ONODE      'O'                 /* "O" cid NUL oid-key        onode */
#define BS_K_OMAP       'M'                 /* "M" nid(be64) key          omap value (raw) */
#define BS_K_FREE       'F'                 /* "F" chunk(be64)            freelist bitmap chunk */
#define BS_K_DEFER      'D'                 /* "D" seq(be64)              deferred write record */
#define BS_K_SHARD      'X'                 /* "X" nid(be64) shard(be64)  extent-map shard */
#define BS_CHUNK_BLOCKS 4096u               /* blocks per freelist record */
#define BS_SHARD_BLOCKS 64u                 /* logical blocks per extent-map shard */
#define BS_SHARD_KEY    17u                 /* bytes of a shard key */
#define BS_MAGIC        0x53455049414253ull /* "SEPIABS" */

struct bs_super {
	uint64_t magic;
	uint32_t block_size;
	uint64_t nblocks;  /* blocks of the data file; block 0 is reserved */
	uint64_t nid_next; /* next omap id */
	uint64_t seq;      /* last transaction sequence number written */
};

/* One extent: logical blocks [lblk, lblk+nblk) at physical [pblk, ...),
 * with one crc32c(-1) per block. */
struct bs_ext {
	uint64_t lblk, pblk;
	uint32_t nblk;
	uint32_t *crc;
};

/* In memory the whole map; on disk one record per BS_SHARD_BLOCKS logical
 * blocks that hold any mapping (an extent crossing a shard boundary is
 * stored as one piece per shard and merged again when loaded), so a small
 * overwrite rewrites one small shard, not every checksum of the object. */
struct bs_extmap {
	struct bs_ext *v; /* sorted by lblk, non-overlapping */
	size_t n, cap;
	uint64_t dlo, dhi; /* logical blocks changed since loaded: [dlo, dhi); dhi 0: none */
};

struct bs_onode {
	uint64_t seq;     /* transaction that last changed it */
	uint64_t size;    /* logical bytes */
	uint64_t nid;     /* omap and shard id, unique per object incarnation */
	uint32_t nshards; /* shard records under nid (as decoded; recounted on encode) */
	uint8_t flags;    /* BS_ONODE_F_* */
	struct store_kvvec attrs;
	struct bs_extmap em;
};
/* The incarnation may have omap keys (set by the first omap write or a
 * clone with omap; never cleared): a remove without it skips the omap's
 * range delete. */
#define BS_ONODE_F_OMAP 0x1u

struct bs_coll_rec {
	char cid[STORE_NAME_MAX + 1];
	uint64_t created_seq;
};

/* One block-sized deferred write: data lands at pblk after the commit. */
struct bs_dblk {
	uint64_t pblk;
	uint8_t *data; /* block_size bytes */
};

struct bs_deferred {
	uint64_t seq;
	struct bs_dblk *v;
	size_t n, cap;
};

/* ---- codecs (bs_codec.c): every decoder is bounds checked (-EBADMSG) ---- */
void store_bs_super_encode(struct enc *e, const struct bs_super *s);
int store_bs_super_decode(const void *p, size_t n, struct bs_super *s);
/* Shard `shard` of em: its pieces (at least one), offsets relative to the
 * shard. The onode record holds no extents (em stays empty when decoding
 * it); encoding writes nshards = store_bs_extmap_nshards(&on->em), so only
 * an onode holding its whole map may be encoded. */
void store_bs_shard_encode(struct enc *e, const struct bs_extmap *em, uint64_t shard);
/* Appends the pieces of shard `shard` to em, which must end before it
 * (shards are decoded in key order); merges a piece with the previous
 * extent when both are contiguous. 0, -EBADMSG, -ENOMEM. */
int store_bs_shard_decode(const void *p, size_t n, uint64_t shard, struct bs_extmap *em);
void store_bs_onode_encode(struct enc *e, const struct bs_onode *on);
int store_bs_onode_decode(const void *p, size_t n, struct bs_onode *on);
void store_bs_coll_encode(struct enc *e, const struct bs_coll_rec *c);
int store_bs_coll_decode(const void *p, size_t n, struct bs_coll_rec *c);
void store_bs_free_encode(struct enc *e, uint64_t chunk, const uint64_t *bits, uint32_t nbits);
/* bits must hold BS_CHUNK_BLOCKS bits; *nbits gets the record's count. */
int store_bs_free_decode(const void *p, size_t n, uint64_t *chunk, uint64_t *bits, uint32_t *nbits);
void store_bs_deferred_encode(struct enc *e, const struct bs_deferred *d, uint32_t bsize);
int store_bs_deferred_decode(const void *p, size_t n, uint32_t bsize, struct bs_deferred *d);
void store_bs_deferred_fini(struct bs_deferred *d);

/* ---- extent maps and onodes (bs_extmap.c) ---- */
void store_bs_onode_init(struct bs_onode *on);
void store_bs_onode_fini(struct bs_onode *on);
int store_bs_onode_copy(struct bs_onode *dst, const struct bs_onode *src);
void store_bs_extmap_fini(struct bs_extmap *em);
/* The extent holding lblk, or NULL (hole). */
struct bs_ext *store_bs_extmap_find(const struct bs_extmap *em, uint64_t lblk);
/* Unmaps [lb, lb+n); released physical ranges are passed to fn. */
typedef int bs_release_fn(uint64_t pblk, uint64_t nblk, void *arg);
int store_bs_extmap_punch(struct bs_extmap *em, uint64_t lb, uint64_t n, bs_release_fn *fn,
                          void *arg);
/* Inserts a mapping over an unmapped range; takes ownership of crc. */
int store_bs_extmap_insert(struct bs_extmap *em, uint64_t lb, uint64_t pb, uint32_t n,
                           uint32_t *crc);
uint64_t store_bs_extmap_blocks(const struct bs_extmap *em);
/* Notes that blocks [lb, lb+n) changed: their shards are rewritten. Punch
 * and insert note their ranges themselves. */
void store_bs_extmap_dirty(struct bs_extmap *em, uint64_t lb, uint64_t n);
uint32_t store_bs_extmap_nshards(const struct bs_extmap *em); /* shards holding a mapping */
/* Index of the first extent ending after lblk. */
size_t store_bs_extmap_lower(const struct bs_extmap *em, uint64_t lblk);

/* ---- allocator and freelist (bs_alloc.c) ----
 * Two bitmaps (1 = used): `fl` mirrors the persistent freelist and changes
 * when a transaction is prepared; `av` is what may be handed out and gets
 * freed blocks only after the freeing transaction committed. */
struct bs_alloc {
	uint64_t nblocks;
	uint64_t *fl, *av;
	uint64_t *dirty; /* one bit per freelist chunk changed since last take */
	uint64_t cursor, used;
};
int store_bs_alloc_init(struct bs_alloc *a, uint64_t nblocks);
void store_bs_alloc_fini(struct bs_alloc *a);
/* Finds up to want free blocks (contiguous run first); 0 or -ENOSPC. */
int store_bs_alloc_get(struct bs_alloc *a, uint64_t want, uint64_t *pblk, uint64_t *got);
void store_bs_alloc_unget(struct bs_alloc *a, uint64_t pblk, uint64_t n);           /* undo get */
void store_bs_alloc_mark(struct bs_alloc *a, uint64_t pblk, uint64_t n, bool used); /* fl */
void store_bs_alloc_release(struct bs_alloc *a, uint64_t pblk, uint64_t n);         /* av */
bool store_bs_alloc_is_used(const struct bs_alloc *a, uint64_t pblk);
/* Puts every dirty freelist chunk into wb and clears the dirty bits. */
int store_bs_alloc_flush(struct bs_alloc *a, rocksdb_writebatch_t *wb);
int store_bs_alloc_load_chunk(struct bs_alloc *a, const void *p, size_t n);

/* ---- the store ---- */
#define BS_PEND_BUCKETS     16384
#define BS_SHARD_DROP_MAX   32 /* shards a remove deletes one by one */
#define BS_OVL_BUCKETS      1024
#define BS_INFLIGHT_MAX     256        /* queued transactions before queue blocks */
#define BS_PEND_CLEAN_BYTES (8u << 20) /* clean pend entries kept (about) */
#define BS_DEFER_BATCH      256        /* committed deferred records kept before they */
#define BS_DEFER_BLOCKS     4096       /* (or their blocks) are written in place */
#define BS_DIO_THREADS      4          /* new-extent writers (bs_dio.c) */
#define BS_DIO_MAX          8          /* new-extent write jobs in flight */
#define BS_DIO_READ_PIECE   (1u << 20) /* reads from 2 pieces run in parallel */

enum bs_state { BS_ACTIVE, BS_READONLY, BS_FAILED };

/* Newest state of one key (onode or collection) as prepare must see it.
 * Dirty (refs > 0): prepared, not yet visible. Clean (refs == 0): equal to
 * the database (the last transaction that wrote it has been written, or it
 * was loaded from there), kept in an LRU (`pend_lru`) within
 * BS_PEND_CLEAN_BYTES so that prepare need not read and decode it again. */
struct bs_pend {
	struct bs_pend *next; /* hash chain */
	struct list_node lru; /* in pend_lru while clean */
	char *key;
	size_t klen;
	uint64_t hash; /* pend_hash(key) */
	bool exists;
	bool is_coll;
	struct bs_onode on; /* when exists && !is_coll */
	unsigned refs;      /* queued transactions that wrote it */
	size_t cost;        /* bytes charged to pend_clean while clean */
};

/* A deferred block written to the database but not yet to the data file. */
struct bs_ovl {
	struct bs_ovl *next;
	uint64_t pblk, seq;
	uint8_t *data;
};

/* A prepared transaction waiting for the commit worker. */
struct bs_ptx {
	struct list_node link;
	uint64_t seq;
	rocksdb_writebatch_t *wb;
	bool data_io;           /* wrote new extents: data sync first */
	struct bs_deferred def; /* block writes to apply after commit */
	uint64_t *rel;          /* (pblk, n) pairs freed by this transaction */
	size_t nrel, crel;
	struct bs_pend **pend; /* entries to unref once visible */
	size_t npend, cpend;
	store_txn_fn *applied, *commit;
	void *arg;
	unsigned ndio; /* data writes in flight (dio_lock) */
	int dio_err;   /* first failed data write (dio_lock) */
};

/* One contiguous piece of a new-extent write: buf[boff...] -> pblk. */
struct bs_dio_piece {
	size_t boff;
	uint64_t pblk, nblk;
};

/* Committed deferred records not yet in place, and the freed extents that
 * must wait until they are (a replayed record must never hit a reused
 * block). */
struct bs_dbatch {
	struct bs_deferred *v;
	size_t n, cap, nblocks;
	uint64_t dlo, dhi; /* seqs of its D records (dhi 0: none) */
	uint64_t *rel;     /* (pblk, n) pairs */
	size_t nrel, crel;
};

struct wq;

/* Lock order (README.md): txn_lock > read_lock > {q_lock, pend_lock,
 * alloc_lock, ovl_lock, dio_lock}; the five are leaves. */
struct blockstore {
	struct store base;
	char *path;
	struct store_opts opts;
	uint32_t bsize;
	_Atomic int state; /* enum bs_state */
	rocksdb_t *db;
	rocksdb_options_t *dbo;
	rocksdb_block_based_table_options_t *bbto;
	rocksdb_cache_t *cache;
	rocksdb_readoptions_t *ro;
	rocksdb_writeoptions_t *wo; /* no sync: visibility */
	struct store_file *file;

	pthread_mutex_t txn_lock; /* "txn_lock": prepare; sb, alloc.fl */
	struct bs_super sb;

	pthread_mutex_t alloc_lock; /* "alloc_lock": alloc (av, used, cursor) */
	struct bs_alloc alloc;

	pthread_mutex_t pend_lock; /* "pend_lock": pend[], pend_lru, pend_clean */
	struct bs_pend *pend[BS_PEND_BUCKETS];
	struct list_node pend_lru; /* clean entries, least recently used first */
	size_t pend_clean;         /* their cost */

	pthread_mutex_t ovl_lock; /* "ovl_lock": ovl[] */
	struct bs_ovl *ovl[BS_OVL_BUCKETS];
	_Atomic uint64_t novl;

	pthread_rwlock_t read_lock; /* "read_lock": readers vs. reuse of blocks */

	pthread_mutex_t dio_lock; /* "dio_lock": dio_inflight, ptx ndio/dio_err, dfl_busy */
	pthread_cond_t dio_cv;    /* a data write finished */
	unsigned dio_inflight;
	struct wq *dwq; /* "bs-data" writers */
	struct wq *swq; /* "bs-dsync": the next group's data sync (bs_commit.c) */
	struct wq *fwq; /* "bs-dflush": the deferred flush (bs_commit.c) */
	bool dio_ready; /* dio_lock and dio_cv initialized */

	pthread_mutex_t q_lock;    /* "q_lock": queue, inflight, running, stopping, cvs */
	pthread_cond_t q_cv;       /* room in the queue / queue drained */
	pthread_cond_t q_work;     /* for the commit thread: running set, or stopping */
	struct list_node queue;    /* struct bs_ptx in seq order */
	_Atomic unsigned inflight; /* queued or being committed (written under q_lock) */
	bool running;              /* the commit thread has work (is not waiting) */
	bool stopping;
	bool has_committer; /* `committer` ("bs-commit") runs: read-write open */
	pthread_t committer;

	struct bs_dbatch dq;  /* commit worker only: the next deferred flush */
	struct bs_dbatch dfl; /* the flush in flight: its job's while dfl_busy */
	bool dfl_busy;
};

/* bs.c */
void store_bs_fail(struct blockstore *bs, const char *what, int rc);
void store_bs_key_u64(uint8_t *key, char prefix, uint64_t v);        /* 9 bytes */
void store_bs_shard_key(uint8_t *key, uint64_t nid, uint64_t shard); /* BS_SHARD_KEY bytes */
/* "O" cid NUL oidkey into e. */
void store_bs_onode_key(struct enc *e, const char *cid, const struct store_oid *oid);
/* Loads a visible onode, with its extent map when extents is true (the
 * record and its shards from one consistent view). 0, -ENOENT, -EBADMSG,
 * -EIO, -ENOMEM. */
int store_bs_onode_load(struct blockstore *bs, const char *key, size_t klen, bool extents,
                        struct bs_onode *on);
/* Reads the nshards shard records of nid through it into on->em (empty).
 * 0, -EBADMSG (a shard is damaged, missing or extra), -ENOMEM. */
int store_bs_shards_load(rocksdb_iterator_t *it, struct bs_onode *on);
int store_bs_db_get(struct blockstore *bs, const char *key, size_t klen, char **val, size_t *vlen);

/* bs_data.c */
struct bs_tctx;
int store_bs_read_blocks(struct blockstore *bs, struct bs_tctx *tc, const struct bs_onode *on,
                         uint64_t lb, uint64_t n, uint8_t *out);
/* Writes len bytes from data[boff...] or raw, or zeros when both are NULL. */
int store_bs_obj_write(struct bs_tctx *tc, struct bs_onode *on, uint64_t off, uint64_t len,
                       const struct buf *data, size_t boff, const void *raw);
int store_bs_obj_zero(struct bs_tctx *tc, struct bs_onode *on, uint64_t off, uint64_t len);
int store_bs_obj_truncate(struct bs_tctx *tc, struct bs_onode *on, uint64_t size);
int store_bs_obj_copy(struct bs_tctx *tc, const struct bs_onode *src, struct bs_onode *dst,
                      uint64_t soff, uint64_t len, uint64_t doff);
int store_bs_obj_release_all(struct bs_tctx *tc, struct bs_onode *on);
ssize_t store_bs_read(struct store *st, const char *cid, const struct store_oid *oid, uint64_t off,
                      uint64_t len, struct buf **out);
int store_bs_scrub(struct store *st, const char *cid, const struct store_oid *oid,
                   uint32_t *digest);

/* bs_commit.c */
int store_bs_committer_start(struct blockstore *bs);
void store_bs_committer_stop(struct blockstore *bs); /* after drain */
int store_bs_submit(struct blockstore *bs, struct bs_ptx *p);
void store_bs_wait_room(struct blockstore *bs);
void store_bs_drain(struct blockstore *bs);
void store_bs_ptx_free(struct bs_ptx *p);
int store_bs_ovl_insert(struct blockstore *bs, const struct bs_deferred *d);
/* Copies the newest overlay block for pblk with seq <= seq; false if none. */
bool store_bs_ovl_lookup(struct blockstore *bs, uint64_t pblk, uint64_t seq, uint8_t *out);
/* Waits for a flush in flight, then flushes what is queued (at close). */
int store_bs_deferred_flush(struct blockstore *bs);
void store_bs_dbatch_fini(struct bs_dbatch *b);
int store_bs_replay(struct blockstore *bs);

/* bs_dio.c: new-extent writes in flight */
int store_bs_dio_init(struct blockstore *bs);
void store_bs_dio_fini(struct blockstore *bs);
/* Takes ownership of buf (store_file_buf_get) and v, also on failure. */
int store_bs_dio_submit(struct blockstore *bs, struct bs_ptx *p, uint8_t *buf,
                        struct bs_dio_piece *v, size_t n);
int store_bs_dio_wait(struct blockstore *bs, struct bs_ptx *p); /* 0 or the write error */
void store_bs_dio_wait_all(struct blockstore *bs);
/* Writes n deferred blocks in place, in parallel (order between equal
 * pblk is the caller's: pass each pblk once). 0 or the first error. */
int store_bs_dio_write_blocks(struct blockstore *bs, const struct bs_dblk *const *v, size_t n);
/* Reads the data file like store_file_pread, large reads in parallel. */
int store_bs_dio_pread(struct blockstore *bs, uint8_t *p, size_t n, uint64_t off);

/* bs_txn.c */
int store_bs_queue(struct store *st, struct store_txn *t, store_txn_fn *applied,
                   store_txn_fn *commit, void *arg);
void store_bs_pend_unref(struct blockstore *bs, struct bs_pend *p);
void store_bs_pend_clear(struct blockstore *bs); /* at close: frees the clean entries */

/* bs_read.c */
extern const struct store_ops store_bs_ops;
void store_bs_close(struct store *st);

/* bs_fsck.c */
int store_bs_fsck(struct store *st, unsigned flags, store_fsck_fn *fn, void *arg);

/* ---- a transaction being prepared (under txn_lock) ---- */
struct bs_wobj {
	char *key; /* onode key */
	size_t klen;
	bool exists, dirty;
	struct bs_onode on;
	const struct store_op **oops; /* omap ops on this incarnation, in order */
	size_t noops, coops;
	bool has_full;           /* full: the whole omap, as of before oops */
	struct store_kvvec full; /* (set when a clone in this txn wrote it) */
};

struct bs_wcoll {
	char *cid;
	bool exists, dirty;
};

struct bs_tctx {
	struct blockstore *bs;
	struct bs_ptx *p;
	uint64_t seq, nid_next;
	struct bs_wobj *o;
	size_t no, co;
	struct bs_wcoll *c;
	size_t nc, cc;
	uint64_t *alloc; /* (pblk, n) allocated here: undone on failure */
	size_t nalloc, calloc;
};

int store_bs_tctx_release(struct bs_tctx *tc, uint64_t pblk, uint64_t n);

#endif /* SEPIA_STORE_BS_INT_H */
