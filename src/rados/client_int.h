/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/client_int.h - internals of the object client (librados API in
 * include/rados/librados.h): the cluster handle, pools' I/O contexts, op
 * vectors, completions, the objecter (ops in flight, OSD sessions, map
 * tracking, throttles) and the pure helpers the unit tests drive.
 * Threads and locks: see src/rados/README.md. In short, one client lock
 * (radosc_client.lock) guards the map, ops, sessions and throttles; each
 * completion has a leaf lock; user callbacks run with no lock held. */
#ifndef SEPIA_RADOS_CLIENT_INT_H
#define SEPIA_RADOS_CLIENT_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/list.h"
#include "common/refcnt.h"
#include "maps/osdmap.h"
#include "rados/librados.h"
#include "rados/osd_proto.h"

struct cfg;
struct monc;
struct mon_msg_map;
struct radosc_client;

#define RADOSC_TID_BUCKETS 256
#define RADOSC_TICK_MS     100
#define RADOSC_LIST_BATCH  256u /* entries asked per PGLS request */

/* ---- op vectors: what rados_write_op_t / rados_read_op_t are ---- */

/* Where one op's reply goes. */
enum radosc_out_kind {
	RADOSC_OUT_NONE,
	RADOSC_OUT_READ,     /* buf, len -> bytes copied into *plen */
	RADOSC_OUT_SPARSE,   /* buf, len: extents placed at their offsets, holes zeroed */
	RADOSC_OUT_STAT,     /* *psize, *pmtime / *pmtime_ns */
	RADOSC_OUT_GETXATTR, /* buf, len -> value length, -ERANGE if it does not fit */
	RADOSC_OUT_KV,       /* iter gets a kv list (xattrs, omap values) */
	RADOSC_OUT_KEYS,     /* iter gets a key list (omap keys) */
	RADOSC_OUT_BUF,      /* *pbuf gets a reference to the raw output */
};

struct radosc_iter; /* xattr / omap iterator */

struct radosc_out {
	uint8_t kind;  /* enum radosc_out_kind */
	bool has_more; /* KV/KEYS: the reply ends with u8 more */
	int *prval;
	char *buf;
	size_t len;
	size_t *plen;
	uint64_t *psize;
	time_t *pmtime;
	uint64_t *pmtime_ns;
	unsigned char *pmore;
	struct radosc_iter *iter; /* the user owns it */
	struct buf **pbuf;
	uint64_t sparse_off; /* SPARSE: the object offset of buf[0] */
};

struct radosc_opv {
	struct osd_op *ops; /* owned: names, indata */
	struct radosc_out *outs;
	uint32_t n, cap;
	int err;    /* first build error (sticky); operate returns it */
	int ret_op; /* index whose delivered value is the return value, -1 none */
};

void radosc_opv_init(struct radosc_opv *v);
void radosc_opv_fini(struct radosc_opv *v); /* frees the ops, never the user's iterators */
/* Moves src into dst (dst must be empty); src is left empty. */
void radosc_opv_move(struct radosc_opv *dst, struct radosc_opv *src);
bool radosc_opv_has_write(const struct radosc_opv *v);
bool radosc_opv_has_read(const struct radosc_opv *v);
/* Bytes the op moves (input data plus read lengths): throttle accounting. */
uint64_t radosc_opv_bytes(const struct radosc_opv *v);
/* Appends an op (zeroed apart from code) and its out; NULL on error
 * (v->err set: -E2BIG past OSD_OPS_MAX, -ENOMEM). */
struct osd_op *radosc_opv_add(struct radosc_opv *v, uint16_t code, struct radosc_out **out);

/* Builders shared by the public op API and the simple calls. Each records
 * a failure in v->err. Data is copied into a buf unless noted. */
void radosc_opv_write(struct radosc_opv *v, uint16_t code, const char *data, size_t len,
                      uint64_t off);
/* Zero copy: data must stay valid until release(arg) runs (buf free hook). */
void radosc_opv_write_ext(struct radosc_opv *v, uint16_t code, const char *data, size_t len,
                          uint64_t off, buf_free_fn *release, void *arg);
void radosc_opv_read(struct radosc_opv *v, uint64_t off, size_t len, char *buf, size_t *plen,
                     int *prval);
void radosc_opv_sparse_read(struct radosc_opv *v, uint64_t off, size_t len, char *buf, size_t *plen,
                            int *prval);
void radosc_opv_stat(struct radosc_opv *v, uint64_t *psize, time_t *pmtime, uint64_t *pmtime_ns,
                     int *prval);
void radosc_opv_getxattr(struct radosc_opv *v, const char *name, char *buf, size_t len);
void radosc_opv_named(struct radosc_opv *v, uint16_t code, const char *name, size_t name_len,
                      const char *name2, size_t name2_len);
void radosc_opv_setxattr(struct radosc_opv *v, const char *name, const char *val, size_t len);
void radosc_opv_cmpxattr(struct radosc_opv *v, const char *name, uint8_t op, const char *val,
                         size_t len);
void radosc_opv_cmpext(struct radosc_opv *v, const char *cmp, size_t len, uint64_t off, int *prval);
void radosc_opv_pgls(struct radosc_opv *v, const char *nspace_filter,
                     const struct osd_list_cursor *cursor, uint32_t max, struct buf **pbuf);

/* ---- reply parsing (client_reply.c) ---- */

/* Delivers a reply (rops may be NULL: no reply, then only prvals get
 * result) to every out of v. Returns the request's return value: result,
 * or the value of op v->ret_op (bytes read, xattr length) when result >=
 * 0, or -EBADMSG when an output could not be decoded. */
int radosc_opv_deliver(struct radosc_opv *v, int result, const struct osd_op *rops, uint32_t nr);

struct radosc_iter {
	struct osd_kv *kv; /* owned */
	uint32_t n, pos;
	bool values;
};
int radosc_iter_create(bool values, struct radosc_iter **out);
void radosc_iter_destroy(struct radosc_iter *it);
/* Fills it from a key or kv list (plus u8 more when has_more). 0, -EBADMSG, -ENOMEM. */
int radosc_iter_fill(struct radosc_iter *it, const void *p, size_t n, bool has_more,
                     unsigned char *pmore);

/* A sparse-read reply: extents (relative to the object) and their data. */
struct radosc_extent {
	uint64_t off, len;
};
/* Decodes p[0, n): *ext (caller frees with mem_free), *next, and *data /
 * *dlen pointing into p. 0, -EBADMSG (also when the extents' lengths do not
 * add up to the data), -ENOMEM. */
int radosc_sparse_decode(const void *p, size_t n, struct radosc_extent **ext, uint32_t *next,
                         const void **data, size_t *dlen);
/* Places the extents into buf (object offset base, room len), zeroing the
 * holes; returns the bytes up to the end of the last extent. */
size_t radosc_sparse_place(const struct radosc_extent *ext, uint32_t next, const void *data,
                           uint64_t base, char *buf, size_t len);
/* Contiguous view of b: *p points into b or into *scratch (caller frees). */
int radosc_buf_view(const struct buf *b, void **scratch, const void **p);

/* ---- completions (client_aio.c) ---- */

struct radosc_completion {
	struct refcnt ref;
	pthread_mutex_t lock; /* leaf: guards everything below */
	pthread_cond_t cond;
	void *arg;
	rados_callback_t cb_complete, cb_safe;
	bool complete, safe;       /* states reached */
	bool complete_cb, safe_cb; /* their callbacks have returned */
	int rval;
	uint64_t version;
};

int radosc_completion_create(void *arg, rados_callback_t complete, rados_callback_t safe,
                             struct radosc_completion **out);
struct radosc_completion *radosc_completion_get(struct radosc_completion *c);
void radosc_completion_put(struct radosc_completion *c);
/* Applied: sets complete and runs cb_complete (once). */
void radosc_completion_complete(struct radosc_completion *c, int rval, uint64_t version);
/* Done: complete (if not yet) then safe, running both callbacks (once each). */
void radosc_completion_finish(struct radosc_completion *c, int rval, uint64_t version);
/* Waits for safe and the callbacks; returns rval. */
int radosc_completion_wait(struct radosc_completion *c);
/* True when the op should ask for a separate applied (ACK) reply. */
bool radosc_completion_wants_ack(const struct radosc_completion *c);

/* ---- placement and the objecter's decisions (pure, client_target.c) ---- */

struct radosc_target {
	int64_t pool;
	bool pgop;     /* listing: ps is given, not computed */
	uint32_t ps;   /* PG seed */
	uint32_t hash; /* full name hash (pgop: ps) */
	int primary;   /* -1: no up OSD */
};
/* Recomputes t for m. 0, -ENOENT (pool gone), -ENOMEM. */
int radosc_target_calc(const struct osdmap *m, const char *nspace, const char *oid,
                       struct radosc_target *t);
/* Whether an op must be (re)sent after a map change: it has a primary and
 * it moved, its connection was dropped, it was never sent, or it waits for
 * an epoch now reached. */
bool radosc_need_send(int old_osd, bool conn_dropped, bool sent, const struct radosc_target *t,
                      uint32_t retry_epoch, uint32_t epoch);
/* Whether a session connected to (addr, nonce) no longer reaches osd in m. */
bool radosc_session_is_stale(const struct osdmap *m, int osd, const struct msg_addr *addr,
                             uint64_t nonce);

enum radosc_reply_action {
	RADOSC_REPLY_IGNORE,      /* duplicate ACK */
	RADOSC_REPLY_RETRY_NOW,   /* our map is newer: retarget and resend */
	RADOSC_REPLY_RETRY_WAIT,  /* wait for the reply's epoch, then resend */
	RADOSC_REPLY_RETRY_LATER, /* same epoch: resend after a tick */
	RADOSC_REPLY_ACK,         /* applied: complete, keep waiting for commit */
	RADOSC_REPLY_FINAL,       /* done */
};
enum radosc_reply_action radosc_reply_action(uint32_t req_flags, bool acked, uint32_t reply_flags,
                                             int result, uint32_t reply_epoch, uint32_t epoch);

/* Map tracking: applies what mm carries on top of cur (NULL: none yet).
 * *out gets the newest map built (NULL when nothing was newer); *resub the
 * epoch to resubscribe from after a gap or a bad map (0: none). 0 or
 * -ENOMEM. */
int radosc_map_advance(const struct osdmap *cur, const struct mon_msg_map *mm, struct osdmap **out,
                       uint32_t *resub);

struct radosc_throttle {
	uint64_t max_ops, max_bytes;
	uint64_t ops, bytes;
};
/* Room for one more op of bytes? An op always fits an empty throttle; the
 * dispatch thread (exempt) never waits. */
bool radosc_throttle_has_room(const struct radosc_throttle *t, uint64_t bytes, bool exempt);
void radosc_throttle_take(struct radosc_throttle *t, uint64_t bytes);
void radosc_throttle_put(struct radosc_throttle *t, uint64_t bytes);

/* ---- the cluster handle, pools and the objecter ---- */

enum radosc_state { RADOSC_NEW, RADOSC_CONNECTED, RADOSC_SHUTDOWN };

struct radosc_session {
	int osd;
	struct msg_conn *conn; /* NULL: (re)connect on the next send or tick */
	struct msg_addr addr;  /* where conn goes */
	uint64_t nonce;
	uint64_t connect_ns;
	struct list_node ops; /* struct radosc_op.node, in submission order */
};

struct radosc_ioctx {
	struct refcnt ref; /* the user's, plus one per op in flight */
	struct radosc_client *cl;
	int64_t pool;
	char pool_name[OSDMAP_POOL_NAME_MAX];
	char *nspace;             /* owned, "" default; under cl->lock */
	struct list_node writes;  /* write ops in flight (op.io_node), under cl->lock */
	struct list_node flushes; /* struct radosc_flush, under cl->lock */
	_Atomic uint64_t last_version;
};

struct radosc_op {
	struct list_node node;     /* session ops, homeless, or a local list */
	struct list_node tid_node; /* cl->tids[] */
	struct list_node io_node;  /* io->writes (writes only) */
	struct radosc_ioctx *io;   /* ref */
	uint64_t tid;
	char *oid, *nspace; /* owned */
	struct radosc_target t;
	uint32_t flags; /* OSD_F_* of the request */
	uint64_t mtime_ns;
	struct radosc_opv v;
	struct radosc_session *s; /* NULL: homeless */
	uint32_t retry_epoch;     /* resend once the map reaches it */
	uint64_t resend_ns;       /* resend at this time (0: not scheduled) */
	uint64_t deadline_ns;     /* 0: no timeout */
	uint64_t bytes;           /* throttle share */
	bool sent, acked, delivered;
	struct radosc_completion *c; /* ref */
	int result;                  /* finishing */
	struct osd_msg_opreply *reply;
};

struct radosc_client {
	pthread_mutex_t lock; /* the client lock: see README */
	pthread_cond_t cond;  /* map change, throttle room, op done (CLOCK_MONOTONIC) */
	enum radosc_state state;
	struct cfg *cfg;
	char *conf_path; /* from parse_argv -c/--conf */
	uint64_t gid;    /* we are client.<gid> */
	struct msg_entity me;
	struct msg_registry *reg;
	struct msg_messenger *msgr;
	struct monc *monc;
	uint64_t nonce;
	struct osdmap *map; /* written by the dispatch thread only, under lock */
	uint64_t next_tid;
	struct list_node tids[RADOSC_TID_BUCKETS];
	struct list_node homeless;
	struct radosc_session **sessions; /* by OSD id */
	int nsessions;
	struct radosc_throttle thr;
	struct list_node sendq;    /* built messages not yet sent, see client_op.c */
	pthread_mutex_t send_lock; /* held by the one thread sending sendq; before lock */
	uint64_t op_timeout_ns;
	pthread_t tick;
	bool tick_started, stopping;
};

/* client.c */
uint64_t radosc_mon_timeout_ms(const struct radosc_client *cl);
int radosc_mon_command(struct radosc_client *cl, const char *cmd, const void *in, size_t in_len,
                       char **out, size_t *out_len, char **status);
/* Waits on cl->cond (lock held) until deadline (monotonic ns, 0 = forever):
 * false on timeout. */
bool radosc_cond_wait_until(struct radosc_client *cl, uint64_t deadline_ns);
uint64_t radosc_deadline(uint64_t timeout_ns);

/* client_op.c: the objecter */
void radosc_objecter_init(struct radosc_client *cl);
/* Submits an op: takes v's contents, c (a ref is taken). Blocks while the
 * throttle is full unless called from a callback. 0, -EINVAL,
 * -ENAMETOOLONG, -ENOTCONN, -ENOENT (no pool), -ENOMEM; on error c never
 * fires. pgop: a PG op on ps (listing). */
int radosc_op_submit(struct radosc_ioctx *io, const char *oid, struct radosc_opv *v,
                     uint32_t extra_flags, uint64_t mtime_ns, const uint32_t *pgop_ps,
                     struct radosc_completion *c);
void radosc_handle_reply(struct radosc_client *cl, struct osd_msg_opreply *r);
/* Sends the queued messages (call with no lock held after queueing). */
void radosc_sendq_flush(struct radosc_client *cl);
void radosc_handle_map(const struct mon_msg_map *mm, void *arg);
void radosc_handle_reset(struct radosc_client *cl, struct msg_conn *c);
void radosc_objecter_tick(struct radosc_client *cl);
/* Fails every op with -ECANCELED and frees the sessions (shutdown). */
void radosc_objecter_shutdown(struct radosc_client *cl);
/* Callbacks may not wait: true on the dispatch/tick thread while it runs
 * user callbacks or handlers. */
bool radosc_in_callback(void);
void radosc_callback_enter(void);
void radosc_callback_exit(void);

/* client_io.c */
struct radosc_ioctx *radosc_ioctx_get(struct radosc_ioctx *io);
void radosc_ioctx_put(struct radosc_ioctx *io);
/* Checks an object name: 0, -EINVAL (NULL or empty), -ENAMETOOLONG. */
int radosc_check_oid(const char *oid);
/* Runs v on oid and waits; returns the op's return value. */
int radosc_sync_op(struct radosc_ioctx *io, const char *oid, struct radosc_opv *v, uint32_t flags,
                   uint64_t mtime_ns, const uint32_t *pgop_ps);
/* Called with cl->lock held when a write op of io leaves the objecter. */
void radosc_flush_check_locked(struct radosc_ioctx *io, struct list_node *done);
void radosc_flush_run(struct list_node *done);

/* client_list.c: a listing (rados_list_ctx_t) */
struct radosc_list {
	struct radosc_ioctx *io; /* ref */
	char *filter;            /* PGLS name: NULL default namespace, a namespace, or all */
	uint32_t ps, pg_num;
	struct osd_list_cursor cursor; /* where the next batch of PG ps starts */
	bool pg_done, end;
	struct osd_list_entry *ents; /* the current batch */
	uint32_t n, pos;
};
/* Takes a PGLS reply: replaces the batch, advances the cursor, marks the PG
 * done at its end. 0, -EBADMSG, -ENOMEM (l unchanged on error). */
int radosc_list_take(struct radosc_list *l, const struct buf *b);

#endif /* SEPIA_RADOS_CLIENT_INT_H */
