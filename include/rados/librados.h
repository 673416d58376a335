/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rados/librados.h - Sepia's object client, with librados' C API names,
 * types and signatures for the part it implements, so that programs
 * written against librados build against it unchanged.
 * Threads: a rados_t and its ioctxs may be used from any number of threads.
 * Completion callbacks run on the client's dispatch thread; they must not
 * block on other operations of the same client (queue more aio instead).
 *
 * Return values follow librados: 0 or a count on success, -errno on
 * failure. Semantics that differ from Ceph's, and what is not implemented
 * yet, are listed in src/rados/README.md. */
#ifndef SEPIA_RADOS_LIBRADOS_H
#define SEPIA_RADOS_LIBRADOS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBRADOS_VER_MAJOR 3
#define LIBRADOS_VER_MINOR 0
#define LIBRADOS_VER_EXTRA 0

#define LIBRADOS_SUPPORTS_WATCH 0

/* Operation flags (rados_*_op_operate flags argument). */
enum {
	LIBRADOS_OPERATION_NOFLAG = 0,
	LIBRADOS_OPERATION_BALANCE_READS = 1,
	LIBRADOS_OPERATION_LOCALIZE_READS = 2,
	LIBRADOS_OPERATION_ORDER_READS_WRITES = 4,
	LIBRADOS_OPERATION_IGNORE_CACHE = 8,
	LIBRADOS_OPERATION_SKIPRWLOCKS = 16,
	LIBRADOS_OPERATION_IGNORE_OVERLAY = 32,
	LIBRADOS_OPERATION_FULL_TRY = 64,
	LIBRADOS_OPERATION_FULL_FORCE = 128,
	LIBRADOS_OPERATION_IGNORE_REDIRECT = 256,
	LIBRADOS_OPERATION_ORDERSNAP = 512,
};

/* Per-op flags (rados_*_op_set_flags). */
enum {
	LIBRADOS_OP_FLAG_EXCL = 0x1,
	LIBRADOS_OP_FLAG_FAILOK = 0x2,
	LIBRADOS_OP_FLAG_FADVISE_RANDOM = 0x4,
	LIBRADOS_OP_FLAG_FADVISE_SEQUENTIAL = 0x8,
	LIBRADOS_OP_FLAG_FADVISE_WILLNEED = 0x10,
	LIBRADOS_OP_FLAG_FADVISE_DONTNEED = 0x20,
	LIBRADOS_OP_FLAG_FADVISE_NOCACHE = 0x40,
};

/* Comparison operators of cmpxattr and omap_cmp. */
enum {
	LIBRADOS_CMPXATTR_OP_EQ = 1,
	LIBRADOS_CMPXATTR_OP_NE = 2,
	LIBRADOS_CMPXATTR_OP_GT = 3,
	LIBRADOS_CMPXATTR_OP_GTE = 4,
	LIBRADOS_CMPXATTR_OP_LT = 5,
	LIBRADOS_CMPXATTR_OP_LTE = 6,
};

#define LIBRADOS_CREATE_EXCLUSIVE  1
#define LIBRADOS_CREATE_IDEMPOTENT 0

#define LIBRADOS_SNAP_HEAD ((uint64_t)(-2))
#define LIBRADOS_SNAP_DIR  ((uint64_t)(-1))

/* rados_ioctx_set_namespace(io, LIBRADOS_ALL_NSPACES) lists every namespace. */
#define LIBRADOS_ALL_NSPACES "\001"

typedef void *rados_t;
typedef void *rados_config_t;
typedef void *rados_ioctx_t;
typedef void *rados_list_ctx_t;
typedef void *rados_completion_t;
typedef void *rados_xattrs_iter_t;
typedef void *rados_omap_iter_t;
typedef void *rados_write_op_t;
typedef void *rados_read_op_t;
typedef uint64_t rados_snap_t;

typedef void (*rados_callback_t)(rados_completion_t cb, void *arg);

struct rados_cluster_stat_t {
	uint64_t kb, kb_used, kb_avail;
	uint64_t num_objects;
};

struct rados_pool_stat_t {
	uint64_t num_bytes;
	uint64_t num_kb;
	uint64_t num_objects;
	uint64_t num_object_clones;
	uint64_t num_object_copies;
	uint64_t num_objects_missing_on_primary;
	uint64_t num_objects_unfound;
	uint64_t num_objects_degraded;
	uint64_t num_rd;
	uint64_t num_rd_kb;
	uint64_t num_wr;
	uint64_t num_wr_kb;
	uint64_t num_user_bytes;
	uint64_t compressed_bytes_orig;
	uint64_t compressed_bytes;
	uint64_t compressed_bytes_alloc;
};

/* ---- the cluster handle ---- */
void rados_version(int *major, int *minor, int *extra);
/* id: the client name without "client." (NULL: "admin"). */
int rados_create(rados_t *cluster, const char *const id);
/* name: a full entity name ("client.admin"); flags must be 0. */
int rados_create2(rados_t *pcluster, const char *const clustername, const char *const name,
                  uint64_t flags);
/* path NULL: $SEPIA_CONF, then ./sepia.conf, then /etc/sepia/sepia.conf. */
int rados_conf_read_file(rados_t cluster, const char *path);
int rados_conf_parse_argv(rados_t cluster, int argc, const char **argv);
int rados_conf_parse_env(rados_t cluster, const char *var);
int rados_conf_set(rados_t cluster, const char *option, const char *value);
int rados_conf_get(rados_t cluster, const char *option, char *buf, size_t len);
int rados_connect(rados_t cluster);
void rados_shutdown(rados_t cluster);
int rados_cluster_fsid(rados_t cluster, char *buf, size_t len);
int rados_wait_for_latest_osdmap(rados_t cluster);
uint64_t rados_get_instance_id(rados_t cluster);
int rados_cluster_stat(rados_t cluster, struct rados_cluster_stat_t *result);

/* Monitor commands: cmd[] are JSON texts (Sepia: {"cmd": [words...],
 * "format": "json"}); outputs are freed with rados_buffer_free. */
int rados_mon_command(rados_t cluster, const char **cmd, size_t cmdlen, const char *inbuf,
                      size_t inbuflen, char **outbuf, size_t *outbuflen, char **outs,
                      size_t *outslen);
void rados_buffer_free(char *buf);

/* ---- pools ---- */
int rados_pool_create(rados_t cluster, const char *pool_name);
int rados_pool_delete(rados_t cluster, const char *pool_name);
int64_t rados_pool_lookup(rados_t cluster, const char *pool_name);
int rados_pool_reverse_lookup(rados_t cluster, int64_t id, char *buf, size_t maxlen);
/* NUL-separated names ending with an empty one; returns the length needed. */
int rados_pool_list(rados_t cluster, char *buf, size_t len);

int rados_ioctx_create(rados_t cluster, const char *pool_name, rados_ioctx_t *ioctx);
int rados_ioctx_create2(rados_t cluster, int64_t pool_id, rados_ioctx_t *ioctx);
void rados_ioctx_destroy(rados_ioctx_t io);
rados_t rados_ioctx_get_cluster(rados_ioctx_t io);
int64_t rados_ioctx_get_id(rados_ioctx_t io);
int rados_ioctx_get_pool_name(rados_ioctx_t io, char *buf, unsigned maxlen);
void rados_ioctx_set_namespace(rados_ioctx_t io, const char *nspace);
int rados_ioctx_get_namespace(rados_ioctx_t io, char *buf, unsigned maxlen);
int rados_ioctx_pool_stat(rados_ioctx_t io, struct rados_pool_stat_t *stats);
/* The user version of the object touched by the last sync op of io. */
uint64_t rados_get_last_version(rados_ioctx_t io);

/* ---- synchronous object I/O ---- */
int rados_write(rados_ioctx_t io, const char *oid, const char *buf, size_t len, uint64_t off);
int rados_write_full(rados_ioctx_t io, const char *oid, const char *buf, size_t len);
int rados_append(rados_ioctx_t io, const char *oid, const char *buf, size_t len);
/* Returns the bytes read. */
int rados_read(rados_ioctx_t io, const char *oid, char *buf, size_t len, uint64_t off);
int rados_remove(rados_ioctx_t io, const char *oid);
int rados_trunc(rados_ioctx_t io, const char *oid, uint64_t size);
int rados_stat(rados_ioctx_t io, const char *o, uint64_t *psize, time_t *pmtime);
/* Returns the value's length. */
int rados_getxattr(rados_ioctx_t io, const char *o, const char *name, char *buf, size_t len);
int rados_setxattr(rados_ioctx_t io, const char *o, const char *name, const char *buf, size_t len);
int rados_rmxattr(rados_ioctx_t io, const char *o, const char *name);
int rados_getxattrs(rados_ioctx_t io, const char *oid, rados_xattrs_iter_t *iter);
/* *name NULL at the end. */
int rados_getxattrs_next(rados_xattrs_iter_t iter, const char **name, const char **val,
                         size_t *len);
void rados_getxattrs_end(rados_xattrs_iter_t iter);
int rados_cmpext(rados_ioctx_t io, const char *o, const char *cmp_buf, size_t cmp_len,
                 uint64_t off);

/* ---- omap ---- */
/* *key NULL at the end. */
int rados_omap_get_next(rados_omap_iter_t iter, char **key, char **val, size_t *len);
int rados_omap_get_next2(rados_omap_iter_t iter, char **key, char **val, size_t *key_len,
                         size_t *val_len);
unsigned int rados_omap_iter_size(rados_omap_iter_t iter);
void rados_omap_get_end(rados_omap_iter_t iter);

/* ---- listing ---- */
int rados_nobjects_list_open(rados_ioctx_t io, rados_list_ctx_t *ctx);
/* -ENOENT at the end; strings valid until the next call. */
int rados_nobjects_list_next(rados_list_ctx_t ctx, const char **entry, const char **key,
                             const char **nspace);
int rados_nobjects_list_next2(rados_list_ctx_t ctx, const char **entry, const char **key,
                              const char **nspace, size_t *entry_size, size_t *key_size,
                              size_t *nspace_size);
void rados_nobjects_list_close(rados_list_ctx_t ctx);
uint32_t rados_nobjects_list_get_pg_hash_position(rados_list_ctx_t ctx);
uint32_t rados_nobjects_list_seek(rados_list_ctx_t ctx, uint32_t pos);

/* ---- asynchronous I/O ---- */
/* cb_complete runs when the op is applied (readable), cb_safe when it is
 * on disk on every replica; either may be NULL. */
int rados_aio_create_completion(void *cb_arg, rados_callback_t cb_complete,
                                rados_callback_t cb_safe, rados_completion_t *pc);
int rados_aio_create_completion2(void *cb_arg, rados_callback_t cb_complete,
                                 rados_completion_t *pc);
int rados_aio_wait_for_complete(rados_completion_t c);
int rados_aio_wait_for_safe(rados_completion_t c);
int rados_aio_is_complete(rados_completion_t c);
int rados_aio_is_safe(rados_completion_t c);
int rados_aio_wait_for_complete_and_cb(rados_completion_t c);
int rados_aio_wait_for_safe_and_cb(rados_completion_t c);
int rados_aio_is_complete_and_cb(rados_completion_t c);
int rados_aio_is_safe_and_cb(rados_completion_t c);
int rados_aio_get_return_value(rados_completion_t c);
uint64_t rados_aio_get_version(rados_completion_t c);
void rados_aio_release(rados_completion_t c);

int rados_aio_write(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                    const char *buf, size_t len, uint64_t off);
int rados_aio_append(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                     const char *buf, size_t len);
int rados_aio_write_full(rados_ioctx_t io, const char *oid, rados_completion_t completion,
                         const char *buf, size_t len);
int rados_aio_remove(rados_ioctx_t io, const char *oid, rados_completion_t completion);
int rados_aio_read(rados_ioctx_t io, const char *oid, rados_completion_t completion, char *buf,
                   size_t len, uint64_t off);
int rados_aio_stat(rados_ioctx_t io, const char *o, rados_completion_t completion, uint64_t *psize,
                   time_t *pmtime);
/* Waits until every write issued through io so far is safe. */
int rados_aio_flush(rados_ioctx_t io);
int rados_aio_flush_async(rados_ioctx_t io, rados_completion_t completion);

/* ---- compound write operations (atomic: all ops or none) ---- */
rados_write_op_t rados_create_write_op(void);
void rados_release_write_op(rados_write_op_t write_op);
/* Flags of the most recently added op (LIBRADOS_OP_FLAG_*). */
void rados_write_op_set_flags(rados_write_op_t write_op, int flags);
void rados_write_op_assert_exists(rados_write_op_t write_op);
void rados_write_op_assert_version(rados_write_op_t write_op, uint64_t ver);
void rados_write_op_cmpext(rados_write_op_t write_op, const char *cmp_buf, size_t cmp_len,
                           uint64_t off, int *prval);
void rados_write_op_cmpxattr(rados_write_op_t write_op, const char *name,
                             uint8_t comparison_operator, const char *value, size_t value_len);
void rados_write_op_omap_cmp(rados_write_op_t write_op, const char *key,
                             uint8_t comparison_operator, const char *val, size_t val_len,
                             int *prval);
void rados_write_op_setxattr(rados_write_op_t write_op, const char *name, const char *value,
                             size_t value_len);
void rados_write_op_rmxattr(rados_write_op_t write_op, const char *name);
void rados_write_op_create(rados_write_op_t write_op, int exclusive, const char *category);
void rados_write_op_write(rados_write_op_t write_op, const char *buffer, size_t len,
                          uint64_t offset);
void rados_write_op_write_full(rados_write_op_t write_op, const char *buffer, size_t len);
void rados_write_op_append(rados_write_op_t write_op, const char *buffer, size_t len);
void rados_write_op_remove(rados_write_op_t write_op);
void rados_write_op_truncate(rados_write_op_t write_op, uint64_t offset);
void rados_write_op_zero(rados_write_op_t write_op, uint64_t offset, uint64_t len);
void rados_write_op_omap_set(rados_write_op_t write_op, char const *const *keys,
                             char const *const *vals, const size_t *lens, size_t num);
void rados_write_op_omap_set2(rados_write_op_t write_op, char const *const *keys,
                              char const *const *vals, const size_t *key_lens,
                              const size_t *val_lens, size_t num);
void rados_write_op_omap_rm_keys(rados_write_op_t write_op, char const *const *keys,
                                 size_t keys_len);
void rados_write_op_omap_rm_range2(rados_write_op_t write_op, const char *key_begin,
                                   size_t key_begin_len, const char *key_end, size_t key_end_len);
void rados_write_op_omap_clear(rados_write_op_t write_op);
int rados_write_op_operate(rados_write_op_t write_op, rados_ioctx_t io, const char *oid,
                           time_t *mtime, int flags);
int rados_write_op_operate2(rados_write_op_t write_op, rados_ioctx_t io, const char *oid,
                            struct timespec *mtime, int flags);
int rados_aio_write_op_operate(rados_write_op_t write_op, rados_ioctx_t io,
                               rados_completion_t completion, const char *oid, time_t *mtime,
                               int flags);

/* ---- compound read operations ---- */
rados_read_op_t rados_create_read_op(void);
void rados_release_read_op(rados_read_op_t read_op);
void rados_read_op_set_flags(rados_read_op_t read_op, int flags);
void rados_read_op_assert_exists(rados_read_op_t read_op);
void rados_read_op_assert_version(rados_read_op_t read_op, uint64_t ver);
void rados_read_op_cmpext(rados_read_op_t read_op, const char *cmp_buf, size_t cmp_len,
                          uint64_t off, int *prval);
void rados_read_op_cmpxattr(rados_read_op_t read_op, const char *name, uint8_t comparison_operator,
                            const char *value, size_t value_len);
void rados_read_op_getxattrs(rados_read_op_t read_op, rados_xattrs_iter_t *iter, int *prval);
void rados_read_op_omap_cmp(rados_read_op_t read_op, const char *key, uint8_t comparison_operator,
                            const char *val, size_t val_len, int *prval);
void rados_read_op_stat(rados_read_op_t read_op, uint64_t *psize, time_t *pmtime, int *prval);
void rados_read_op_read(rados_read_op_t read_op, uint64_t offset, size_t len, char *buffer,
                        size_t *bytes_read, int *prval);
void rados_read_op_omap_get_vals2(rados_read_op_t read_op, const char *start_after,
                                  const char *filter_prefix, uint64_t max_return,
                                  rados_omap_iter_t *iter, unsigned char *pmore, int *prval);
void rados_read_op_omap_get_keys2(rados_read_op_t read_op, const char *start_after,
                                  uint64_t max_return, rados_omap_iter_t *iter,
                                  unsigned char *pmore, int *prval);
void rados_read_op_omap_get_vals_by_keys(rados_read_op_t read_op, char const *const *keys,
                                         size_t keys_len, rados_omap_iter_t *iter, int *prval);
int rados_read_op_operate(rados_read_op_t read_op, rados_ioctx_t io, const char *oid, int flags);
int rados_aio_read_op_operate(rados_read_op_t read_op, rados_ioctx_t io,
                              rados_completion_t completion, const char *oid, int flags);

#ifdef __cplusplus
}
#endif
#endif /* SEPIA_RADOS_LIBRADOS_H */
