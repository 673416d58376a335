/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/osd/main.c - unit_osd: the pure parts of sepia-osd (op
 * execution against a MemStore, the PG log, on-disk codecs, PG -> shard,
 * the heartbeat core, scrub maps and their comparison). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

extern const struct CMUnitTest exec_tests[], pg_log_tests[], hb_tests[], scrub_tests[];
extern const size_t exec_ntests, pg_log_ntests, hb_ntests, scrub_ntests;

int main(void)
{
	int rc = _cmocka_run_group_tests("osd_exec", exec_tests, exec_ntests, NULL, NULL);

	rc |= _cmocka_run_group_tests("pg_log", pg_log_tests, pg_log_ntests, NULL, NULL);
	rc |= _cmocka_run_group_tests("pg_scrub", scrub_tests, scrub_ntests, NULL, NULL);
	return rc | _cmocka_run_group_tests("osd_hb", hb_tests, hb_ntests, NULL, NULL);
}
