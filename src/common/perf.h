/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/perf.h - performance counters: typed, registered per subsystem,
 * dumped as JSON by the admin socket's `perf dump` / `perf schema`.
 * Threads: updates are lock-free atomics and may run on any thread;
 * registering and dumping take the registry's mutex.
 *
 * A module describes its counters once in a static array of struct perf_def
 * indexed by its own enum, creates a collection from it, and updates by
 * index. Types:
 *   PERF_COUNTER  monotonically increasing u64 (perf_inc)
 *   PERF_GAUGE    u64 value that goes up and down (perf_set, perf_inc, perf_dec)
 *   PERF_AVG      sum + count, for averages (perf_avg_add); time averages
 *                 take nanoseconds and dump seconds when PERF_F_TIME is set
 *   PERF_HIST     power-of-two buckets of a u64 value (perf_hist_add):
 *                 bucket 0 counts 0, bucket i counts [2^(i-1), 2^i) */
#ifndef SEPIA_COMMON_PERF_H
#define SEPIA_COMMON_PERF_H
#include <stdint.h>
#include <jansson.h>

#define PERF_HIST_BUCKETS 64

enum perf_type { PERF_COUNTER, PERF_GAUGE, PERF_AVG, PERF_HIST };
enum perf_flag { PERF_F_TIME = 1 << 0 /* values are nanoseconds */ };

struct perf_def {
	const char *name; /* unique in its collection, e.g. "op_w_latency" */
	enum perf_type type;
	unsigned flags;
	const char *desc;
};

struct perf_reg;  /* a process's registry of collections; opaque */
struct perf_coll; /* one subsystem's counters; opaque */

int perf_reg_create(struct perf_reg **out);
/* Frees the registry and every collection still in it. NULL is a no-op. */
void perf_reg_destroy(struct perf_reg *reg);

/* Registers a collection named name (e.g. "msg", "osd") with n counters
 * described by defs (borrowed; must outlive the collection). 0, -EEXIST,
 * -EINVAL, -ENOMEM. */
int perf_coll_create(struct perf_reg *reg, const char *name, const struct perf_def *defs,
                     unsigned n, struct perf_coll **out);
void perf_coll_destroy(struct perf_coll *pc); /* unregisters; NULL is a no-op */

/* Updates; idx must be < n and of a matching type (asserted). pc may be NULL
 * (counters disabled): then they do nothing. */
void perf_inc(struct perf_coll *pc, unsigned idx, uint64_t v);
void perf_dec(struct perf_coll *pc, unsigned idx, uint64_t v);
void perf_set(struct perf_coll *pc, unsigned idx, uint64_t v);
void perf_avg_add(struct perf_coll *pc, unsigned idx, uint64_t v);
void perf_hist_add(struct perf_coll *pc, unsigned idx, uint64_t v);
uint64_t perf_get(struct perf_coll *pc, unsigned idx); /* counter/gauge value, avg count */

/* {"<coll>": {"<name>": value | {"avgcount","sum"} | {"buckets":[...]}}};
 * filter NULL for all collections, else only that one. New ref or NULL. */
json_t *perf_dump_json(struct perf_reg *reg, const char *filter);
/* {"<coll>": {"<name>": {"type","flags","description"}}}. */
json_t *perf_schema_json(struct perf_reg *reg);
/* Zeroes every counter of a collection (or all when name is NULL). */
void perf_reset(struct perf_reg *reg, const char *name);

#endif /* SEPIA_COMMON_PERF_H */
