/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/store/main.c - unit_store: the conformance suite against
 * MemStore and BlockStore, then the BlockStore-only tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

int conform_setup_mem(void **state);
int conform_setup_bs(void **state);
int conform_teardown(void **state);
void test_colls(void **state);
void test_data(void **state);
void test_attrs_omap(void **state);
void test_clone_move(void **state);
void test_list_order(void **state);
void test_atomic_reject(void **state);
void test_callbacks(void **state);
void test_random_vs_memstore(void **state);
void test_corruption(void **state);
void test_faulty_short_and_eio(void **state);
void test_faulty_crash(void **state);
void test_crash_short(void **state);
void test_readonly_deferred(void **state);
void test_small_new_deferred(void **state);
void test_shard_roundtrip(void **state);
void test_remove_omap(void **state);
void test_shard_damage(void **state);

#define BOTH(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, conform_setup_mem, conform_teardown), \
	    cmocka_unit_test_setup_teardown(fn, conform_setup_bs, conform_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_colls),
		BOTH(test_data),
		BOTH(test_attrs_omap),
		BOTH(test_clone_move),
		BOTH(test_list_order),
		BOTH(test_atomic_reject),
		BOTH(test_callbacks),
		cmocka_unit_test_setup_teardown(test_random_vs_memstore, conform_setup_bs,
		                                conform_teardown),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_faulty_short_and_eio),
		cmocka_unit_test(test_faulty_crash),
		cmocka_unit_test(test_crash_short),
		cmocka_unit_test(test_readonly_deferred),
		cmocka_unit_test(test_small_new_deferred),
		cmocka_unit_test(test_shard_roundtrip),
		cmocka_unit_test(test_remove_omap),
		cmocka_unit_test(test_shard_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
