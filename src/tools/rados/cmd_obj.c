/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/cmd_obj.c - sepia-rados object commands: put, get, append,
 * rm, create, stat, truncate and ls. Object data moves in RT_CHUNK pieces:
 * put is a write_full of the first piece and writes of the rest, get reads
 * piece by piece until a short read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rados_tool.h"

/* Reads until len bytes or end of file; bytes read or -errno. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_in(const char *path)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void close_fd(int fd)
{
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Writes the data of path into oid: write_full + writes, or appends. */
static int upload(struct rt *rt, const char *oid, const char *path, bool append)
{
	char *buf = malloc(RT_CHUNK);
	int fd = open_in(path), rc = 0;
	uint64_t off = 0;
	ssize_t n;

	if (!buf || fd < 0) {
		rc = rt_fail(buf ? fd : -ENOMEM, "opening %s", path);
		goto out;
	}
	do {
		n = read_full(fd, buf, RT_CHUNK);
		if (n < 0) {
			rc = rt_fail((int)n, "reading %s", path);
			break;
		}
		if (append && (n > 0 || off == 0))
			rc = rados_append(rt->io, oid, buf, (size_t)n);
		else if (off == 0)
			rc = rados_write_full(rt->io, oid, buf, (size_t)n);
		else if (n > 0)
			rc = rados_write(rt->io, oid, buf, (size_t)n, off);
		if (rc < 0) {
			rc = rt_fail(rc, "writing %s/%s at offset %llu", rt->pool, oid,
			             (unsigned long long)off);
			break;
		}
		off += (uint64_t)n;
	} while ((size_t)n == RT_CHUNK);
out:
	close_fd(fd);
	free(buf);
	return rc;
}

int rt_cmd_put(struct rt *rt, int argc, char **argv)
{
	(void)argc;
	return upload(rt, argv[1], argv[2], false);
}

int rt_cmd_append(struct rt *rt, int argc, char **argv)
{
	(void)argc;
	return upload(rt, argv[1], argv[2], true);
}

/* The output file is opened after the first read succeeds, so that a
 * missing object leaves no empty file behind. */
int rt_cmd_get(struct rt *rt, int argc, char **argv)
{
	const char *oid = argv[1], *path = argv[2];
	char *buf = malloc(RT_CHUNK);
	int fd = -1, rc = 0, n;
	uint64_t off = 0;

	(void)argc;
	if (!buf)
		return rt_fail(-ENOMEM, "reading %s/%s", rt->pool, oid);
	do {
		n = rados_read(rt->io, oid, buf, RT_CHUNK, off);
		if (n < 0) {
			rc = rt_fail(n, "reading %s/%s", rt->pool, oid);
			break;
		}
		if (fd < 0) {
			fd = strcmp(path, "-") == 0
			         ? STDOUT_FILENO
			         : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0) {
				rc = rt_fail(-errno, "opening %s", path);
				break;
			}
		}
		rc = write_all(fd, buf, (size_t)n);
		if (rc < 0) {
			rc = rt_fail(rc, "writing %s", path);
			break;
		}
		off += (uint64_t)n;
	} while ((size_t)n == RT_CHUNK);
	if (fd >= 0 && fd != STDOUT_FILENO && close(fd) < 0 && rc == 0)
		rc = rt_fail(-errno, "closing %s", path);
	free(buf);
	return rc;
}

int rt_cmd_rm(struct rt *rt, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int rc = rados_remove(rt->io, argv[i]);

		if (rc < 0)
			return rt_fail(rc, "removing %s/%s", rt->pool, argv[i]);
	}
	return 0;
}

int rt_cmd_create(struct rt *rt, int argc, char **argv)
{
	rados_write_op_t op = rados_create_write_op();
	int rc;

	(void)argc;
	if (!op)
		return rt_fail(-ENOMEM, "creating %s/%s", rt->pool, argv[1]);
	rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
	rc = rados_write_op_operate(op, rt->io, argv[1], NULL, 0);
	rados_release_write_op(op);
	return rc < 0 ? rt_fail(rc, "creating %s/%s", rt->pool, argv[1]) : 0;
}

/* Ceph's utime_t layout: 2024-05-01T10:20:30.000000+0000, local time. */
static void format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%S.000000%z", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

int rt_cmd_stat(struct rt *rt, int argc, char **argv)
{
	uint64_t size;
	time_t mtime;
	char when[64];
	int rc = rados_stat(rt->io, argv[1], &size, &mtime);

	(void)argc;
	if (rc < 0)
		return rt_fail(rc, "stat-ing %s/%s", rt->pool, argv[1]);
	format_time(mtime, when, sizeof(when));
	if (rt_is_json(rt)) {
		rt_print_json(rt, json_pack("{s:s, s:s, s:s, s:I, s:I}", "pool", rt->pool, "name",
		                            argv[1], "mtime", when, "mtime_epoch",
		                            (json_int_t)mtime, "size", (json_int_t)size));
		return 0;
	}
	printf("%s/%s mtime %s, size %llu\n", rt->pool, argv[1], when, (unsigned long long)size);
	return 0;
}

int rt_cmd_truncate(struct rt *rt, int argc, char **argv)
{
	uint64_t size;
	int rc;

	(void)argc;
	if (rt_parse_size(argv[2], &size) < 0)
		return rt_usage_error("truncate: not a size: '%s'", argv[2]);
	rc = rados_trunc(rt->io, argv[1], size);
	return rc < 0 ? rt_fail(rc, "truncating %s/%s", rt->pool, argv[1]) : 0;
}

static void print_entry(const struct rt *rt, FILE *out, json_t *arr, const char *name,
                        size_t name_len, const char *nspace)
{
	if (arr) {
		json_array_append_new(arr, json_pack("{s:s, s:s%}", "namespace",
		                                     nspace ? nspace : "", "name", name, name_len));
		return;
	}
	if (rt->all_nspaces)
		fprintf(out, "%s\t", nspace ? nspace : "");
	fwrite(name, 1, name_len, out);
	fputc('\n', out);
}

int rt_cmd_ls(struct rt *rt, int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "-";
	FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	json_t *arr = rt_is_json(rt) ? json_array() : NULL;
	rados_list_ctx_t ctx;
	const char *entry, *key, *nspace;
	size_t elen, klen, nlen;
	int rc;

	if (!out)
		return rt_fail(-errno, "opening %s", path);
	rc = rados_nobjects_list_open(rt->io, &ctx);
	if (rc < 0) {
		rc = rt_fail(rc, "listing %s", rt->pool);
		goto out;
	}
	while ((rc = rados_nobjects_list_next2(ctx, &entry, &key, &nspace, &elen, &klen, &nlen)) ==
	       0)
		print_entry(rt, out, arr, entry, elen, nspace);
	rados_nobjects_list_close(ctx);
	rc = rc == -ENOENT ? 0 : rt_fail(rc, "listing %s", rt->pool);
	if (rc == 0 && arr) {
		char *s = json_dumps(arr, rt->format == RT_FMT_JSON_PRETTY ? JSON_INDENT(4)
		                                                           : JSON_COMPACT);

		if (s)
			fprintf(out, "%s\n", s);
		free(s);
	}
out:
	json_decref(arr);
	if (out != stdout)
		fclose(out);
	return rc;
}
