/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/mapper.h - run a rule: input x -> ordered list of devices.
 * Threads: reentrant. The map is only read; each thread passes its own
 * workspace (crush_work_size bytes, crush_work_init once), so concurrent
 * readers need no locks. Nothing here allocates. */
#ifndef SEPIA_CRUSH_MAPPER_H
#define SEPIA_CRUSH_MAPPER_H
#include <stddef.h>
#include <stdint.h>

struct crush_map;
struct crush_choose_arg; /* crush.h */

/* Bytes of scratch needed to map with up to result_max outputs. */
size_t crush_work_size(const struct crush_map *map, int result_max);
/* Lays out a workspace of crush_work_size bytes (suitably aligned for
 * pointers). Valid until the map's bucket set changes. */
void crush_work_init(const struct crush_map *map, void *work, int result_max);

/* Maps x through rule ruleno into result[0..n), returning n (0 if the rule
 * does not exist). weight[i] is device i's 16.16 reweight (0 = out,
 * >= 0x10000 = fully in); devices >= weight_max count as out. choose_args,
 * if not NULL, has max_buckets entries indexed by -1-bucket_id (see
 * crush_choose_args_get). */
int crush_do_rule(const struct crush_map *map, int ruleno, int x, int *result, int result_max,
                  const uint32_t *weight, int weight_max, void *work,
                  const struct crush_choose_arg *choose_args);

/* 2^44 * log2(x + 1) in fixed point for x in [0, 0xffff] (higher bits are
 * ignored): Ceph's table-driven logarithm behind straw2 draws. */
uint64_t crush_ln(uint32_t x);

#endif /* SEPIA_CRUSH_MAPPER_H */
