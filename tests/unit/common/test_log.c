/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_log.c - levels, specs, file output, reopen, threads. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"
#include "tests.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sepia-log-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	log_set_prefix("test.1");
	return log_open(path);
}

static int teardown(void **state)
{
	(void)state;
	log_close();
	unlink(path);
	log_set_all_levels(LOG_LVL_NONE);
	return 0;
}

static char *slurp(const char *p)
{
	static char text[1 << 20];
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

	if (f)
		fclose(f);
	text[n] = '\0';
	return text;
}

static int evaluated;
static int side_effect(void)
{
	return ++evaluated;
}

static void test_levels_filter_and_skip_args(void **state)
{
	char *text;

	(void)state;
	log_set_all_levels(LOG_LVL_WARN);
	evaluated = 0;
	log_debug(msg, "hidden %d", side_effect());
	assert_int_equal(evaluated, 0);
	log_warn(msg, "shown %d", side_effect());
	assert_int_equal(evaluated, 1);
	text = slurp(path);
	assert_null(strstr(text, "hidden"));
	assert_non_null(strstr(text, " test.1 "));
	assert_non_null(strstr(text, " WARN msg: shown 1\n"));
}

static void test_spec(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_apply_spec("info,msg=trace,osd=none"), 0);
	assert_int_equal(log_get_level(LOG_SUB_msg), LOG_LVL_TRACE);
	assert_int_equal(log_get_level(LOG_SUB_osd), LOG_LVL_NONE);
	assert_int_equal(log_get_level(LOG_SUB_mon), LOG_LVL_INFO);
	/* a bad item changes nothing */
	assert_int_equal(log_apply_spec("err,bogus=debug"), -EINVAL);
	assert_int_equal(log_get_level(LOG_SUB_mon), LOG_LVL_INFO);
	assert_int_equal(log_apply_spec("msg=loud"), -EINVAL);
	assert_int_equal(log_level_parse("3", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("9", &l), -EINVAL);
	assert_string_equal(log_subsys_name(LOG_SUB_crush), "crush");
	assert_int_equal(log_subsys_parse("nope"), -EINVAL);
}

static void test_reopen(void **state)
{
	char moved[80];

	(void)state;
	log_set_all_levels(LOG_LVL_INFO);
	log_info(test, "before rotate");
	snprintf(moved, sizeof(moved), "%s.1", path);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(log_reopen(), 0);
	log_info(test, "after rotate");
	assert_non_null(strstr(slurp(moved), "before rotate"));
	assert_null(strstr(slurp(moved), "after rotate"));
	assert_non_null(strstr(slurp(path), "after rotate"));
	unlink(moved);
	assert_int_equal(log_open("/nonexistent-dir/x.log"), -ENOENT);
}

static void *writer(void *arg)
{
	for (int i = 0; i < 500; i++)
		log_info(test, "thread %ld line %d %s", (long)(intptr_t)arg, i,
		         "padding-padding-padding-padding-padding-padding-padding");
	return NULL;
}

static void test_threads_do_not_interleave(void **state)
{
	pthread_t t[4];
	char *text, *line, *save = NULL;
	int lines = 0;

	(void)state;
	assert_int_equal(log_open(path), 0);
	log_set_all_levels(LOG_LVL_INFO);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, " thread "))
			continue;
		assert_non_null(
		    strstr(line, "padding-padding-padding-padding-padding-padding-padding"));
		lines++;
	}
	assert_int_equal(lines, 2000);
}

int test_log_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_filter_and_skip_args),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_threads_do_not_interleave),
	};
	return cmocka_run_group_tests_name("log", tests, setup, teardown);
}
