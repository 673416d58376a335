/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/util.h - helpers shared by the crush unit tests. */
#ifndef SEPIA_TEST_CRUSH_UTIL_H
#define SEPIA_TEST_CRUSH_UTIL_H
#include <stddef.h>
#include <stdint.h>

struct crush_map;

/* Path under $SEPIA_TEST_DATA/crush (static buffer, valid until next call). */
const char *test_data_path(const char *rel);
/* Reads a whole file; caller frees. NULL on error. */
char *test_read_file(const char *path, size_t *len);
/* Compiles $SEPIA_TEST_DATA/crush/maps/NAME.txt; fails the test on error. */
struct crush_map *test_load_map(const char *name);
/* crushtool --test reweights: devices in some bucket 0x10000, others 0. */
uint32_t *test_weights(const struct crush_map *map);
/* "a,b,c" of v[0..n) into buf. */
void test_format_vec(char *buf, size_t size, const int *v, int n);

int test_golden_run(void);
int test_text_run(void);
int test_codec_run(void);
int test_builder_run(void);
int test_place_run(void);

#endif /* SEPIA_TEST_CRUSH_UTIL_H */
