/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/maps/tests.h - groups of unit_maps. */
#ifndef SEPIA_TESTS_UNIT_MAPS_H
#define SEPIA_TESTS_UNIT_MAPS_H
int test_monmap_fsmap_run(void);
int test_osdmap_run(void);
#endif
