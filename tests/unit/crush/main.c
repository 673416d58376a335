/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/crush/main.c - unit_crush: runs every crush test group. */
#include "util.h"

int main(void)
{
	int failed = 0;

	failed += test_golden_run();
	failed += test_text_run();
	failed += test_codec_run();
	failed += test_builder_run();
	failed += test_place_run();
	return failed ? 1 : 0;
}
