/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/mon/main.c - runs every cmocka group of the mon module. */
#include "common/log.h"
#include "tests.h"

int main(void)
{
	int failed = 0;

	log_set_all_levels(LOG_LVL_NONE);
#define RUN_GROUP(name) failed += test_##name##_run();
	MON_TEST_GROUPS(RUN_GROUP)
#undef RUN_GROUP
	return failed ? 1 : 0;
}
