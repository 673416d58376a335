/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/log.c - leveled per-subsystem logging to stderr or a file.
 *
 * The output descriptor and the prefix are swapped under out_lock; a line is
 * formatted into a stack buffer and written with one write(2), so lines
 * never interleave. Levels are atomics read without the lock. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define LINE_MAX_BYTES 4096

_Atomic int log_levels[LOG_SUB_COUNT] = {
#define LOG_DEFAULT_LEVEL(name) LOG_LVL_INFO,
	LOG_SUBSYS_LIST(LOG_DEFAULT_LEVEL)
#undef LOG_DEFAULT_LEVEL
};

static const char *const subsys_names[LOG_SUB_COUNT] = {
#define LOG_SUBSYS_NAME(name) #name,
	LOG_SUBSYS_LIST(LOG_SUBSYS_NAME)
#undef LOG_SUBSYS_NAME
};

static const char *const level_names[] = { "err", "warn", "info", "debug", "trace" };
static const char *const level_tags[] = { "ERR", "WARN", "INFO", "DEBUG", "TRACE" };

/* out_lock guards out_fd, out_path and prefix. Nothing else is taken while it is held. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int out_fd = STDERR_FILENO;
static char out_path[4096];
static char prefix[64];

void log_set_prefix(const char *p)
{
	pthread_mutex_lock(&out_lock);
	snprintf(prefix, sizeof(prefix), "%s", p ? p : "");
	pthread_mutex_unlock(&out_lock);
}

static int open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

static void swap_fd(int fd, const char *path)
{
	int old = out_fd;

	out_fd = fd;
	if (path != out_path) /* log_reopen passes the current path itself */
		snprintf(out_path, sizeof(out_path), "%s", path ? path : "");
	if (old != STDERR_FILENO && old != fd)
		close(old);
}

int log_open(const char *path)
{
	int fd = STDERR_FILENO;

	if (path && path[0] && strcmp(path, "-") != 0) {
		if (strlen(path) >= sizeof(out_path))
			return -ENAMETOOLONG;
		fd = open_path(path);
		if (fd < 0)
			return fd;
	}
	pthread_mutex_lock(&out_lock);
	swap_fd(fd, fd == STDERR_FILENO ? NULL : path);
	pthread_mutex_unlock(&out_lock);
	return 0;
}

int log_reopen(void)
{
	int rc = 0, fd;

	pthread_mutex_lock(&out_lock);
	if (out_path[0]) {
		fd = open_path(out_path);
		if (fd < 0)
			rc = fd;
		else
			swap_fd(fd, out_path);
	}
	pthread_mutex_unlock(&out_lock);
	return rc;
}

void log_close(void)
{
	pthread_mutex_lock(&out_lock);
	swap_fd(STDERR_FILENO, NULL);
	pthread_mutex_unlock(&out_lock);
}

void log_set_level(enum log_subsys sub, enum log_level lvl)
{
	if ((unsigned)sub < LOG_SUB_COUNT)
		atomic_store_explicit(&log_levels[sub], (int)lvl, memory_order_relaxed);
}

void log_set_all_levels(enum log_level lvl)
{
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		log_set_level((enum log_subsys)i, lvl);
}

enum log_level log_get_level(enum log_subsys sub)
{
	return (enum log_level)atomic_load_explicit(&log_levels[sub], memory_order_relaxed);
}

const char *log_subsys_name(enum log_subsys sub)
{
	return (unsigned)sub < LOG_SUB_COUNT ? subsys_names[sub] : NULL;
}

int log_subsys_parse(const char *name)
{
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		if (strcmp(name, subsys_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *log_level_name(enum log_level lvl)
{
	if (lvl == LOG_LVL_NONE)
		return "none";
	if (lvl < LOG_LVL_NONE || lvl > LOG_LVL_TRACE)
		return NULL;
	return level_names[lvl];
}

int log_level_parse(const char *name, enum log_level *out)
{
	char *end;
	long v;

	if (strcmp(name, "none") == 0) {
		*out = LOG_LVL_NONE;
		return 0;
	}
	for (int i = 0; i <= LOG_LVL_TRACE; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno || end == name || *end || v < LOG_LVL_NONE || v > LOG_LVL_TRACE)
		return -EINVAL;
	*out = (enum log_level)v;
	return 0;
}

/* Parses one "sub=level" or "level" item into (sub or -1, level). */
static int parse_item(const char *item, int *sub, enum log_level *lvl)
{
	const char *eq = strchr(item, '=');
	char name[32];

	if (!eq) {
		*sub = -1;
		return log_level_parse(item, lvl);
	}
	if ((size_t)(eq - item) >= sizeof(name))
		return -EINVAL;
	memcpy(name, item, (size_t)(eq - item));
	name[eq - item] = '\0';
	*sub = log_subsys_parse(name);
	if (*sub < 0)
		return -EINVAL;
	return log_level_parse(eq + 1, lvl);
}

/* Validates the whole spec before changing anything; bare levels go first. */
int log_apply_spec(const char *spec)
{
	int subs[LOG_SUB_COUNT + 1], n = 0;
	enum log_level lvls[LOG_SUB_COUNT + 1];
	char copy[512], *save = NULL, *tok;

	if (strlen(spec) >= sizeof(copy))
		return -EINVAL;
	snprintf(copy, sizeof(copy), "%s", spec);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (n == LOG_SUB_COUNT + 1 || parse_item(tok, &subs[n], &lvls[n]) < 0)
			return -EINVAL;
		n++;
	}
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			if (pass == 0 && subs[i] < 0)
				log_set_all_levels(lvls[i]);
			else if (pass == 1 && subs[i] >= 0)
				log_set_level((enum log_subsys)subs[i], lvls[i]);
		}
	return 0;
}

static size_t format_head(char *line, size_t cap, enum log_subsys sub, enum log_level lvl)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int w;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	w = snprintf(line + n, cap - n, ".%06ld+0000 %s %lx %d %s %s: ", ts.tv_nsec / 1000,
	             prefix[0] ? prefix : "-", (unsigned long)syscall(SYS_gettid), (int)lvl,
	             level_tags[lvl], subsys_names[sub]);
	return w < 0 ? n : n + (size_t)w < cap ? n + (size_t)w : cap - 1;
}

void log_vwrite(enum log_subsys sub, enum log_level lvl, const char *fmt, va_list ap)
{
	char line[LINE_MAX_BYTES];
	size_t n;
	int w;

	if ((unsigned)sub >= LOG_SUB_COUNT || lvl < LOG_LVL_ERR || lvl > LOG_LVL_TRACE)
		return;
	pthread_mutex_lock(&out_lock);
	n = format_head(line, sizeof(line) - 1, sub, lvl);
	w = vsnprintf(line + n, sizeof(line) - 1 - n, fmt, ap);
	if (w > 0)
		n += (size_t)w < sizeof(line) - 1 - n ? (size_t)w : sizeof(line) - 2 - n;
	line[n++] = '\n';
	/* One write: a short write or an error cannot be reported anywhere useful. */
	if (write(out_fd, line, n) < 0)
		(void)0;
	pthread_mutex_unlock(&out_lock);
}

void log_write(enum log_subsys sub, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(sub, lvl, fmt, ap);
	va_end(ap);
}
