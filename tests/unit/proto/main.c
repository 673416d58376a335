/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/proto/main.c - runs the wire-format tests: the OSD protocol,
 * the PG stats report and the replicated store transaction. */
#include "proto_tests.h"

int main(void)
{
	int failed = run_osd_proto_tests();

	failed += run_txn_codec_tests();
	return failed ? 1 : 0;
}
