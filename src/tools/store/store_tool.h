/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/store/store_tool.h - sepia-store-tool: parsed arguments, the command
 * table and the helpers the commands share (opening a store with clear
 * errors, files, output).
 * Threads: single-threaded tool (the store runs its own threads). */
#ifndef SEPIA_TOOLS_STORE_TOOL_H
#define SEPIA_TOOLS_STORE_TOOL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define TOOL_KV_MAX 64

/* Exit statuses. */
enum tool_exit {
	TOOL_OK = 0,
	TOOL_FAIL = 1, /* the operation failed, or fsck found errors */
	TOOL_USAGE = 2,
};

struct tool_args {
	const char *path, *coll, *object, *nspace, *in, *out;
	uint64_t snap; /* STORE_SNAP_HEAD unless --snap */
	uint64_t size, block_size;
	bool deep, force, create_coll, json, verbose;
	const char *xattr[TOOL_KV_MAX], *omap[TOOL_KV_MAX]; /* "KEY=VALUE" */
	unsigned nxattr, nomap;
};

/* Argument requirements of a command. */
enum tool_need {
	NEED_COLL = 1 << 0,
	NEED_OBJECT = 1 << 1,
	NEED_IN = 1 << 2,
	NEED_OUT = 1 << 3,
};

struct tool_cmd {
	const char *name;
	int (*run)(const struct tool_args *a); /* returns an enum tool_exit */
	unsigned need;
	const char *usage; /* options after the command name */
	const char *help;  /* what it does, several lines */
};

/* out.c */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Opens the store at a->path, read-only unless writable, after checking
 * that it exists, is a store and is not in use; prints why it cannot. */
int tool_open(const struct tool_args *a, bool writable, struct store **out);
struct store_oid tool_oid(const struct tool_args *a);
/* "cid/[ns:]name[@snap]" into buf. */
const char *tool_oid_str(const char *cid, const struct store_oid *oid, char *buf, size_t cap);
json_t *tool_json_snap(uint64_t snap);
int tool_json_print(json_t *j); /* prints and releases j; TOOL_OK or TOOL_FAIL */
/* Maps a whole file (or reads stdin for "-"); tool_unmap releases it. */
int tool_map(const char *path, void **p, size_t *n);
void tool_unmap(const char *path, void *p, size_t n);
/* Opens path for writing ("-" = stdout). fd or -errno. */
int tool_create(const char *path);
int tool_write_all(int fd, const void *p, size_t n); /* 0 or -errno */
int tool_parse_size(const char *s, uint64_t *out);   /* 4096, 64K, 1G */

/* cmd_read.c */
int tool_cmd_fsck(const struct tool_args *a);
int tool_cmd_list_colls(const struct tool_args *a);
int tool_cmd_list(const struct tool_args *a);
int tool_cmd_dump(const struct tool_args *a);
int tool_cmd_get(const struct tool_args *a);
int tool_cmd_statfs(const struct tool_args *a);

/* cmd_write.c */
int tool_cmd_mkfs(const struct tool_args *a);
int tool_cmd_put(const struct tool_args *a);
int tool_cmd_export(const struct tool_args *a);
int tool_cmd_import(const struct tool_args *a);

#endif /* SEPIA_TOOLS_STORE_TOOL_H */
