/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/rados_tool.h - what the sepia-rados command files share: the
 * parsed command line, the open cluster and pool, output helpers.
 * Threads: the main thread only, except bench.c's printer thread. */
#ifndef SEPIA_TOOLS_RADOS_RADOS_TOOL_H
#define SEPIA_TOOLS_RADOS_RADOS_TOOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "rados/librados.h"

#define RT_EXIT_USAGE 2
#define RT_CHUNK      (4u << 20) /* bytes per read/write of put, get, append */
#define RT_SETS_MAX   16         /* --set KEY=VALUE options */

enum rt_format { RT_FMT_PLAIN, RT_FMT_JSON, RT_FMT_JSON_PRETTY };

/* Options of `bench` and `cleanup`. */
struct rt_bench_opts {
	uint64_t op_size;     /* -b (default 4 MiB) */
	uint64_t object_size; /* -o (default: op_size) */
	int concurrency;      /* -t (default 16) */
	uint64_t max_objects; /* --max-objects (0: no limit) */
	bool no_cleanup;      /* --no-cleanup */
	bool no_verify;       /* --no-verify */
	bool show_time;       /* --show-time */
	const char *run_name; /* --run-name (default benchmark_last_metadata) */
	const char *prefix;   /* --prefix, for cleanup */
};

/* The command line and, once a command asks for them, the connections. */
struct rt {
	enum rt_format format;
	const char *conf;              /* -c, or NULL: $SEPIA_CONF, ./sepia.conf, ... */
	const char *id;                /* --id (client name without "client.") */
	const char *pool;              /* -p */
	const char *nspace;            /* -N, or NULL */
	bool all_nspaces;              /* --all */
	bool yes_really;               /* --yes-i-really-really-mean-it */
	const char *sets[RT_SETS_MAX]; /* --set KEY=VALUE */
	int nsets;
	struct rt_bench_opts bench;
	rados_t cluster;  /* NULL until rt_connect */
	rados_ioctx_t io; /* NULL until rt_open_pool */
};

/* A command: argv[0] is its name. Returns the process exit code. */
typedef int rt_cmd_fn(struct rt *rt, int argc, char **argv);

/* main.c */
int rt_connect(struct rt *rt);   /* 0 or exit code (message printed) */
int rt_open_pool(struct rt *rt); /* connects too; 0 or exit code */
/* Prints "sepia-rados: error <what>: <strerror(-rc)>"; returns the exit code. */
int rt_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints j (consumed) in the chosen JSON format. */
void rt_print_json(const struct rt *rt, json_t *j);
/* "4M", "4096", "1G" -> bytes; -EINVAL on junk. */
int rt_parse_size(const char *s, uint64_t *out);
bool rt_is_json(const struct rt *rt);

/* cmd_obj.c: put get append rm create stat truncate ls */
rt_cmd_fn rt_cmd_put, rt_cmd_get, rt_cmd_append, rt_cmd_rm, rt_cmd_create, rt_cmd_stat,
    rt_cmd_truncate, rt_cmd_ls;
/* cmd_meta.c: xattrs and omap */
rt_cmd_fn rt_cmd_setxattr, rt_cmd_getxattr, rt_cmd_listxattr, rt_cmd_rmxattr, rt_cmd_setomapval,
    rt_cmd_getomapval, rt_cmd_listomapkeys, rt_cmd_listomapvals, rt_cmd_rmomapkey;
/* cmd_pool.c: df lspools mkpool rmpool */
rt_cmd_fn rt_cmd_df, rt_cmd_lspools, rt_cmd_mkpool, rt_cmd_rmpool;
/* bench.c, bench_meta.c */
rt_cmd_fn rt_cmd_bench, rt_cmd_cleanup;

/* bench_meta.c: what a write bench leaves for seq, rand and cleanup. */
struct rt_bench_meta {
	uint64_t object_size, op_size;
	int64_t num_ops;  /* ops the write bench finished */
	int pid;          /* of the writer */
	char prefix[160]; /* benchmark_data_HOST_PID */
};
/* The metadata object: --run-name or benchmark_last_metadata. */
const char *rt_bench_meta_name(const struct rt *rt);
void rt_bench_prefix(struct rt_bench_meta *m, int pid); /* sets m->prefix */
int rt_bench_meta_write(struct rt *rt, const struct rt_bench_meta *m);
/* 0, -ENOENT (none, or empty), -EINVAL (nonsense), or a read error. */
int rt_bench_meta_read(struct rt *rt, struct rt_bench_meta *m);
/* Removes PREFIX_object0..n-1 with up to conc removes in flight. Objects
 * removed (missing ones do not count), or -errno. */
int64_t rt_bench_remove(struct rt *rt, const char *prefix, int64_t n, int conc);

/* cmd_meta.c: Ceph's hexdump layout ("00000000  61 62 ...  |ab|"). */
void rt_hexdump(FILE *f, const char *buf, size_t len);

#endif /* SEPIA_TOOLS_RADOS_RADOS_TOOL_H */
