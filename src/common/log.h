/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/log.h - leveled, per-subsystem logging to stderr or a file.
 * Threads: every function is thread-safe. A line is written with one write(2)
 * on an O_APPEND descriptor, so lines from threads and processes never mix.
 *
 * log_err(SUBSYS, fmt, ...) and friends test the subsystem's level with one
 * relaxed atomic load before any argument is evaluated, so a disabled debug
 * line costs a load and a branch. Lines look like
 *   2026-11-22T03:04:05.123456+0000 osd.3 7f3a1c 1 WARN osd: pg 1.2a: slow op
 * (time, daemon prefix, thread id, level number, level, subsystem, message). */
#ifndef SEPIA_COMMON_LOG_H
#define SEPIA_COMMON_LOG_H
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Every subsystem, once. X(name) */
/* clang-format off */
#define LOG_SUBSYS_LIST(X)                                                     \
	X(common) X(cfg) X(asok) X(wq) X(perf) X(msg) X(crush) X(store)       \
	X(mon) X(paxos) X(osd) X(pg) X(mds) X(fsc) X(fuse) X(mirror)           \
	X(proxy) X(rados) X(tool) X(test)

enum log_subsys {
#define LOG_SUBSYS_ENUM(name) LOG_SUB_##name,
	LOG_SUBSYS_LIST(LOG_SUBSYS_ENUM)
#undef LOG_SUBSYS_ENUM
	LOG_SUB_COUNT
};
/* clang-format on */

enum log_level {
	LOG_LVL_NONE = -1, /* as a threshold: log nothing */
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
	LOG_LVL_TRACE = 4,
};

extern _Atomic int log_levels[LOG_SUB_COUNT]; /* read only through the macros */

static inline bool log_is_enabled(enum log_subsys sub, enum log_level lvl)
{
	return (int)lvl <= atomic_load_explicit(&log_levels[sub], memory_order_relaxed);
}

#define LOG_AT(lvl, sub, ...)                                       \
	do {                                                        \
		if (log_is_enabled(LOG_SUB_##sub, lvl))             \
			log_write(LOG_SUB_##sub, lvl, __VA_ARGS__); \
	} while (0)
#define log_err(sub, ...)   LOG_AT(LOG_LVL_ERR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  LOG_AT(LOG_LVL_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  LOG_AT(LOG_LVL_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) LOG_AT(LOG_LVL_DEBUG, sub, __VA_ARGS__)
#define log_trace(sub, ...) LOG_AT(LOG_LVL_TRACE, sub, __VA_ARGS__)

/* Sets the prefix naming this process ("osd.3"); copied. Default: program name. */
void log_set_prefix(const char *prefix);
/* Sends output to path (opened O_APPEND|O_CREAT, 0644), or to stderr when
 * path is NULL or "" or "-". 0 or -errno (then the old target stays). */
int log_open(const char *path);
/* Reopens the current file (after logrotate). 0 or -errno. */
int log_reopen(void);
void log_close(void);

void log_set_level(enum log_subsys sub, enum log_level lvl);
void log_set_all_levels(enum log_level lvl);
enum log_level log_get_level(enum log_subsys sub);
/* Applies a spec such as "info" or "msg=debug,osd=trace,warn" (a bare level
 * sets every subsystem, applied first). 0, or -EINVAL naming nothing changed. */
int log_apply_spec(const char *spec);

/* Name <-> value; NULL / -EINVAL for unknown. Level names: none err warn info
 * debug trace, or a number -1..4. */
const char *log_subsys_name(enum log_subsys sub);
int log_subsys_parse(const char *name);
const char *log_level_name(enum log_level lvl);
int log_level_parse(const char *name, enum log_level *out);

/* Formats and writes one line (a trailing newline is added). Use the macros. */
void log_write(enum log_subsys sub, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vwrite(enum log_subsys sub, enum log_level lvl, const char *fmt, va_list ap);

#endif /* SEPIA_COMMON_LOG_H */
