/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/store/out.c - helpers shared by sepia-store-tool commands: opening a
 * store with an operator-readable reason when it cannot be opened (missing,
 * not a store, in use by an OSD, damaged), files, sizes and JSON output. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"
#include "store_tool.h"

void tool_err(const char *fmt, ...)
{
	va_list ap;

	fputs("sepia-store-tool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool has_file(const char *dir, const char *name)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0;
}

/* The process holding RocksDB's lock on DIR/db/LOCK: >0 pid, -1 unknown
 * (an open-file-description lock), 0 none. */
static int lock_holder(const char *dir)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char p[4096];
	int fd, pid = 0;

	snprintf(p, sizeof(p), "%s/db/LOCK", dir);
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid > 0 ? fl.l_pid : -1;
	close(fd);
	return pid;
}

static int check_dir(const char *path)
{
	struct stat sb;
	int pid;

	if (stat(path, &sb) < 0) {
		tool_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(sb.st_mode)) {
		tool_err("%s: not a directory", path);
		return -ENOTDIR;
	}
	if (!has_file(path, "db/CURRENT") || !has_file(path, "block")) {
		tool_err("%s is not a Sepia store (no db/CURRENT or block file)", path);
		return -ENOENT;
	}
	pid = lock_holder(path);
	if (pid > 0)
		tool_err("store %s is in use by process %d (a running OSD?); stop it first", path,
		         pid);
	else if (pid < 0)
		tool_err("store %s is in use by another process; stop it first", path);
	return pid ? -EBUSY : 0;
}

int tool_open(const struct tool_args *a, bool writable, struct store **out)
{
	struct store_opts o;
	int rc = check_dir(a->path);

	if (rc < 0)
		return rc;
	store_opts_default(&o);
	o.read_only = !writable;
	rc = store_bs_open(a->path, &o, out);
	if (rc == -EBADMSG)
		tool_err("store %s is corrupted: its superblock, freelist or deferred-write "
		         "records do not decode (-v shows which)",
		         a->path);
	else if (rc == -EIO)
		tool_err("store %s: cannot open its metadata database (damaged files or "
		         "in use; -v shows RocksDB's message)",
		         a->path);
	else if (rc < 0)
		tool_err("store %s: open failed: %s", a->path, strerror(-rc));
	return rc;
}

struct store_oid tool_oid(const struct tool_args *a)
{
	return (struct store_oid){ .nspace = a->nspace ? a->nspace : "",
		                   .name = a->object,
		                   .snap = a->snap };
}

const char *tool_oid_str(const char *cid, const struct store_oid *oid, char *buf, size_t cap)
{
	const char *ns = oid->nspace ? oid->nspace : "";
	char snap[32] = "";

	if (oid->snap != STORE_SNAP_HEAD)
		snprintf(snap, sizeof(snap), "@%llu", (unsigned long long)oid->snap);
	snprintf(buf, cap, "%s/%s%s%s%s", cid, ns, *ns ? ":" : "", oid->name, snap);
	return buf;
}

json_t *tool_json_snap(uint64_t snap)
{
	return snap == STORE_SNAP_HEAD ? json_string("head") : json_integer((json_int_t)snap);
}

int tool_json_print(json_t *j)
{
	int rc = j ? json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) : -1;

	if (rc == 0)
		fputc('\n', stdout);
	json_decref(j);
	return rc == 0 ? TOOL_OK : TOOL_FAIL;
}

static int read_stdin(void **p, size_t *n)
{
	size_t cap = 1 << 20, len = 0;
	char *b = malloc(cap), *nb;
	ssize_t got = 0;

	while (b && (got = read(0, b + len, cap - len)) > 0) {
		len += (size_t)got;
		if (len < cap)
			continue;
		nb = realloc(b, cap * 2);
		if (!nb)
			free(b);
		b = nb;
		cap *= 2;
	}
	if (b && got < 0) {
		free(b);
		return -errno;
	}
	if (!b)
		return -ENOMEM;
	*p = b;
	*n = len;
	return 0;
}

int tool_map(const char *path, void **p, size_t *n)
{
	struct stat sb;
	int fd, rc = 0;

	if (!strcmp(path, "-"))
		return read_stdin(p, n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out_close;
	}
	*n = (size_t)sb.st_size;
	*p = *n ? mmap(NULL, *n, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	if (*p == MAP_FAILED)
		rc = -errno;
out_close:
	if (fd >= 0)
		close(fd);
	return rc;
}

void tool_unmap(const char *path, void *p, size_t n)
{
	if (!strcmp(path, "-"))
		free(p);
	else if (p)
		munmap(p, n);
}

int tool_create(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return 1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return fd < 0 ? -errno : fd;
}

int tool_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int tool_parse_size(const char *s, uint64_t *out)
{
	static const char sfx[] = "KMGT";
	char *end;
	uint64_t v = strtoull(s, &end, 10);
	const char *k = *end ? strchr(sfx, *end) : NULL;

	if (end == s || (*end && (!k || end[1])))
		return -1;
	if (k)
		v <<= 10 * (k - sfx + 1);
	*out = v;
	return 0;
}
