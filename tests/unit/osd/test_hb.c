/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/osd/test_hb.c - the pure heartbeat core: which peers an OSD
 * pings (PG peers, the ring neighbours, min_peers more, never itself or a
 * down OSD), and when a silent peer is reported, re-reported, withdrawn,
 * or spared because we were the ones stalled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "osd/osd_hb.h"

#define S 1000000000ull /* one second in ns */

static const struct osd_hb_timing T = { .interval_ns = 1 * S, .grace_ns = 5 * S };

static void expect_ids(const int *got, size_t n, const int *want, size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

static void test_select_pg_peers_only(void **state)
{
	bool up[8] = { true, true, true, true, true, true, true, true };
	int pg[] = { 3, 5, 3, 1, 5, 1, 4, -1, 99 }; /* dups, ourself, junk */
	int out[8];
	size_t n;

	(void)state;
	n = osd_hb_select(1, up, 8, pg, sizeof(pg) / sizeof(pg[0]), 0, out, 8);
	expect_ids(out, n, (int[]){ 3, 4, 5 }, 3);
	/* a down PG peer is not pinged */
	up[4] = false;
	n = osd_hb_select(1, up, 8, pg, sizeof(pg) / sizeof(pg[0]), 0, out, 8);
	expect_ids(out, n, (int[]){ 3, 5 }, 2);
}

static void test_select_neighbours_and_min(void **state)
{
	bool up[6] = { true, true, true, true, true, true };
	int out[6];
	size_t n;

	(void)state;
	/* no PGs: the ring neighbours (1 and 5 for osd.0), then upward */
	n = osd_hb_select(0, up, 6, NULL, 0, 2, out, 6);
	expect_ids(out, n, (int[]){ 1, 5 }, 2);
	n = osd_hb_select(0, up, 6, NULL, 0, 3, out, 6);
	expect_ids(out, n, (int[]){ 1, 2, 5 }, 3);
	/* min_peers larger than the cluster: everybody else */
	n = osd_hb_select(3, up, 6, NULL, 0, 10, out, 6);
	expect_ids(out, n, (int[]){ 0, 1, 2, 4, 5 }, 5);
	/* neighbours skip down OSDs and wrap */
	up[4] = up[5] = false;
	n = osd_hb_select(3, up, 6, NULL, 0, 1, out, 6);
	expect_ids(out, n, (int[]){ 0, 2 }, 2);
	/* PG peers count toward min_peers */
	up[4] = up[5] = true;
	n = osd_hb_select(2, up, 6, (int[]){ 0, 5 }, 2, 3, out, 6);
	expect_ids(out, n, (int[]){ 0, 1, 3, 5 }, 4);
	/* alone, or nobody else up: no peers; cap is respected */
	n = osd_hb_select(0, up, 1, NULL, 0, 10, out, 6);
	assert_int_equal(n, 0);
	memset(up, 0, sizeof(up));
	up[2] = true;
	n = osd_hb_select(2, up, 6, NULL, 0, 10, out, 6);
	assert_int_equal(n, 0);
	memset(up, 1, sizeof(up));
	n = osd_hb_select(0, up, 6, NULL, 0, 10, out, 2);
	assert_int_equal(n, 2);
	assert_int_equal(osd_hb_select(7, up, 6, NULL, 0, 10, out, 6), 0); /* bad whoami */
}

static void test_report_and_resend(void **state)
{
	struct osd_hb_peer p = { .osd = 4 };
	uint32_t ff;

	(void)state;
	/* never pinged: nothing to say */
	assert_int_equal(osd_hb_check(&p, 100 * S, &T, &ff), OSD_HB_NONE);
	p.first_tx_ns = 10 * S;
	assert_int_equal(osd_hb_check(&p, 15 * S, &T, &ff), OSD_HB_NONE); /* = grace */
	/* never answered for more than the grace: reported */
	assert_int_equal(osd_hb_check(&p, 15 * S + 1, &T, &ff), OSD_HB_REPORT);
	assert_int_equal(ff, 5);
	assert_true(p.reported);
	/* not again within the interval; again once it passed */
	assert_int_equal(osd_hb_check(&p, 15 * S + S / 2, &T, &ff), OSD_HB_NONE);
	assert_int_equal(osd_hb_check(&p, 16 * S + 1, &T, &ff), OSD_HB_REPORT);
	assert_int_equal(ff, 6);
	/* it answers: one still-alive, then quiet */
	osd_hb_got_reply(&p, 16 * S, 17 * S);
	assert_int_equal(osd_hb_check(&p, 17 * S, &T, &ff), OSD_HB_STILL_ALIVE);
	assert_false(p.reported);
	assert_int_equal(osd_hb_check(&p, 18 * S, &T, &ff), OSD_HB_NONE);
	/* silence is measured from the last reply */
	assert_int_equal(osd_hb_check(&p, 22 * S, &T, &ff), OSD_HB_NONE);
	assert_int_equal(osd_hb_check(&p, 22 * S + 1, &T, &ff), OSD_HB_REPORT);
}

static void test_replies_and_incarnations(void **state)
{
	struct osd_hb_peer p = { .osd = 1 };

	(void)state;
	/* a reply before we pinged this incarnation does not count */
	osd_hb_got_reply(&p, 5 * S, 6 * S);
	assert_int_equal(p.last_rx_ns, 0);
	p.first_tx_ns = 10 * S;
	osd_hb_got_reply(&p, 9 * S, 11 * S); /* a ping to an earlier incarnation */
	assert_int_equal(p.last_rx_ns, 0);
	osd_hb_got_reply(&p, 10 * S, 11 * S);
	assert_int_equal(p.last_rx_ns, 11 * S);
	osd_hb_got_reply(&p, 10 * S, 10 * S); /* never moves backwards */
	assert_int_equal(p.last_rx_ns, 11 * S);
}

static void test_stall(void **state)
{
	struct osd_hb_peer peers[2] = {
		{ .osd = 1, .first_tx_ns = 1 * S, .last_rx_ns = 2 * S },
		{ .osd = 2, .first_tx_ns = 1 * S, .reported = true, .last_report_ns = 1 * S },
	};
	uint32_t ff;

	(void)state;
	assert_true(osd_hb_was_stalled(0, 5 * S, &T)); /* first check (or not active before) */
	assert_false(osd_hb_was_stalled(4 * S, 5 * S, &T));
	assert_false(osd_hb_was_stalled(4 * S, 4 * S + T.grace_ns / 2, &T));
	assert_true(osd_hb_was_stalled(4 * S, 4 * S + T.grace_ns / 2 + 1, &T));
	/* after a 30 s stall nobody is reported for our silence... */
	osd_hb_restart_clocks(peers, 2, 32 * S);
	assert_int_equal(osd_hb_check(&peers[0], 33 * S, &T, &ff), OSD_HB_NONE);
	assert_int_equal(peers[1].first_tx_ns, 32 * S);
	/* ...but a peer still silent a grace later is */
	assert_int_equal(osd_hb_check(&peers[0], 38 * S, &T, &ff), OSD_HB_REPORT);
	/* report state survives: peer 2 answering gets its still-alive */
	osd_hb_got_reply(&peers[1], 32 * S, 33 * S);
	assert_int_equal(osd_hb_check(&peers[1], 33 * S, &T, &ff), OSD_HB_STILL_ALIVE);
	/* a peer never pinged keeps first_tx 0 */
	struct osd_hb_peer fresh = { .osd = 3 };
	osd_hb_restart_clocks(&fresh, 1, 40 * S);
	assert_int_equal(fresh.first_tx_ns, 0);
}

const struct CMUnitTest hb_tests[] = {
	cmocka_unit_test(test_select_pg_peers_only),
	cmocka_unit_test(test_select_neighbours_and_min),
	cmocka_unit_test(test_report_and_resend),
	cmocka_unit_test(test_replies_and_incarnations),
	cmocka_unit_test(test_stall),
};
const size_t hb_ntests = sizeof(hb_tests) / sizeof(hb_tests[0]);
