/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_cfg.c - option table, layers and precedence, INI
 * files and their diagnostics, command line, environment, observers, JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cfg.h"
#include "common/log.h"
#include "tests.h"

static char logpath[64];
static long log_seen; /* bytes of the current log file already returned */

static int setup(void **state)
{
	struct cfg *c;
	int fd;

	snprintf(logpath, sizeof(logpath), "/tmp/sepia-cfglog-XXXXXX");
	fd = mkstemp(logpath);
	if (fd < 0)
		return -1;
	close(fd);
	log_seen = 0;
	log_open(logpath);
	log_set_level(LOG_SUB_cfg, LOG_LVL_WARN);
	if (cfg_create(CFG_D_OSD, "3", &c) < 0)
		return -1;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	cfg_destroy(*state);
	log_close();
	log_set_all_levels(LOG_LVL_NONE);
	unlink(logpath);
	return 0;
}

/* The text logged since the last call. */
static const char *new_log(void)
{
	static char text[65536];
	FILE *f = fopen(logpath, "r");
	size_t n = 0;

	if (f) {
		fseek(f, log_seen, SEEK_SET);
		n = fread(text, 1, sizeof(text) - 1, f);
		log_seen += (long)n;
		fclose(f);
	}
	text[n] = '\0';
	return text;
}

static int load(struct cfg *c, const char *text)
{
	new_log();
	return cfg_load_text(c, "test.conf", text, strlen(text));
}

static void test_defaults_and_types(void **state)
{
	struct cfg *c = *state;
	char buf[64];

	assert_string_equal(cfg_name(c), "osd.3");
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 2);
	assert_true(cfg_bool(c, CFG_KEY_ms_crc_data));
	assert_true(cfg_size(c, CFG_KEY_ms_max_message_size) == 256ULL << 20);
	assert_true(cfg_double(c, CFG_KEY_ms_initial_backoff) == 0.2);
	assert_string_equal(cfg_str(c, CFG_KEY_admin_socket), "/run/sepia/sepia-osd.3.asok");
	assert_string_equal(cfg_str(c, CFG_KEY_osd_data), "/var/lib/sepia/osd/sepia-3");
	assert_int_equal(cfg_source(c, CFG_KEY_ms_workers), CFG_LAYER_DEFAULT);
	assert_int_equal(cfg_get_text(c, "ms-max-message-size", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "268435456");
	assert_int_equal(cfg_get_text(c, "nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cfg_find("ms workers"), CFG_KEY_ms_workers);
}

static void test_file_precedence(void **state)
{
	struct cfg *c = *state;

	assert_int_equal(load(c, "[global]\nms_workers = 3\nrun_dir = /g\n"
	                         "[osd]\nms workers = 4\n[osd.3]\nms-workers = 5\n"
	                         "[osd.4]\nms_workers = 6\n[mon]\nrun_dir = /mon\n"),
	                 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 5);
	assert_string_equal(cfg_str(c, CFG_KEY_run_dir), "/g");
	assert_string_equal(cfg_str(c, CFG_KEY_admin_socket), "/g/sepia-osd.3.asok");
	assert_int_equal(cfg_source(c, CFG_KEY_ms_workers), CFG_LAYER_FILE);
	/* order of sections does not matter, specificity does */
	assert_int_equal(load(c, "[osd.3]\nms_workers = 7\n[global]\nms_workers = 3\n"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 7);
	/* a reload replaces the whole file layer */
	assert_int_equal(load(c, "[global]\n"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 2);
	assert_string_equal(cfg_str(c, CFG_KEY_run_dir), "/run/sepia");
}

static void test_layers(void **state)
{
	struct cfg *c = *state;

	assert_int_equal(load(c, "[osd]\nms_workers = 4\n"), 0);
	assert_int_equal(cfg_set(c, CFG_LAYER_CMDLINE, "ms_workers", "6"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 6);
	assert_int_equal(cfg_set(c, CFG_LAYER_MON, "ms_workers", "8"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 6); /* cmdline beats mon */
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_workers", "9"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 9);
	assert_int_equal(cfg_unset(c, CFG_LAYER_RUNTIME, "ms_workers"), 0);
	assert_int_equal(cfg_unset(c, CFG_LAYER_CMDLINE, "ms_workers"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 8);
	assert_int_equal(cfg_source(c, CFG_KEY_ms_workers), CFG_LAYER_MON);
	assert_int_equal(cfg_unset(c, CFG_LAYER_MON, "ms_workers"), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 4);
	load(c, "");
}

static void test_bad_values_change_nothing(void **state)
{
	struct cfg *c = *state;

	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_workers", "0"), -ERANGE);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_workers", "65"), -ERANGE);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_workers", "two"), -EINVAL);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_crc_data", "maybe"), -EINVAL);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_initial_backoff", "nan"), -EINVAL);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_max_message_size", "1K"), -ERANGE);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_max_message_size", "-5"), -EINVAL);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "no_such_option", "1"), -ENOENT);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 2);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_max_message_size", "1.5MiB"), 0);
	assert_true(cfg_size(c, CFG_KEY_ms_max_message_size) == 1572864);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_crc_data", "OFF"), 0);
	assert_false(cfg_bool(c, CFG_KEY_ms_crc_data));
	cfg_unset(c, CFG_LAYER_RUNTIME, "ms_max_message_size");
	cfg_unset(c, CFG_LAYER_RUNTIME, "ms_crc_data");
}

static void test_file_diagnostics(void **state)
{
	struct cfg *c = *state;

	/* unknown options warn with file and line, the rest still applies */
	assert_int_equal(load(c, "[global]\n# comment\n\nosd_dta = /x\nms_workers = 3\n"), 0);
	assert_non_null(strstr(new_log(), "test.conf:4: unknown option 'osd_dta'"));
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 3);
	/* a bad value fails the whole file and changes nothing */
	assert_int_equal(load(c, "[global]\nms_workers = 4\n[osd]\nms_workers = 99\n"), -EINVAL);
	assert_non_null(strstr(new_log(), "test.conf:4: ms_workers: value '99' out of range"));
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 3);
	/* syntax errors, each named with its line */
	assert_int_equal(load(c, "[global\nms_workers = 4\n"), -EINVAL);
	assert_non_null(strstr(new_log(), "test.conf:1: malformed section header"));
	assert_int_equal(load(c, "[global]\njust words\n"), -EINVAL);
	assert_non_null(strstr(new_log(), "test.conf:2: expected 'name = value'"));
	assert_int_equal(load(c, "[]\n"), -EINVAL);
	assert_int_equal(load(c, "[global]\nrun_dir = \"/unterminated\n"), -EINVAL);
	assert_non_null(strstr(new_log(), "test.conf:2: unterminated quoted value"));
	assert_int_equal(load(c, "[global]\n b@d = 1\n"), -EINVAL);
	assert_int_equal(cfg_load_text(c, "nul.conf", "[global]\0x=1", 12), -EINVAL);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 3);
	load(c, "");
}

static void test_file_syntax(void **state)
{
	struct cfg *c = *state;

	assert_int_equal(load(c, "ms_workers = 3 ; before any section: global\n"
	                         "[global]\r\n"
	                         "  run_dir = \"/with space\"   # trailing comment\n"
	                         "  log_levels = msg=debug,\\\n   osd=trace\n"
	                         "  host = a#b\n"
	                         "[client.admin]\nms_workers = 9\n[bogus]\nms_workers = 10\n"),
	                 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 3);
	assert_string_equal(cfg_str(c, CFG_KEY_run_dir), "/with space");
	assert_string_equal(cfg_str(c, CFG_KEY_log_levels), "msg=debug,   osd=trace");
	assert_string_equal(cfg_str(c, CFG_KEY_host), "a#b");
	assert_non_null(strstr(new_log(), "unknown section [bogus]"));
	load(c, "");
}

static void test_expansion(void **state)
{
	struct cfg *c = *state;

	assert_int_equal(load(c, "[global]\ncluster = ceph2\ndata_dir = /d/$cluster\n"
	                         "pid_file = ${run_dir}/$name.pid $nosuch $\n"),
	                 0);
	assert_string_equal(cfg_str(c, CFG_KEY_osd_data), "/d/ceph2/osd/ceph2-3");
	assert_string_equal(cfg_str(c, CFG_KEY_pid_file), "/run/sepia/osd.3.pid $nosuch $");
	/* a self-reference terminates */
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "host", "$host"), 0);
	assert_int_equal(cfg_unset(c, CFG_LAYER_RUNTIME, "host"), 0);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "fsid", "$fsid$fsid"), 0);
	cfg_unset(c, CFG_LAYER_RUNTIME, "fsid");
	load(c, "");
}

static void test_argv(void **state)
{
	struct cfg *c;
	char *argv[] = { "prog",
		         "--ms-workers",
		         "6",
		         "pos1",
		         "--ms_crc_data=false",
		         "-i",
		         "7",
		         "--ms-tcp-nodelay",
		         "--unknown-opt",
		         "x",
		         "-c",
		         "/tmp/x.conf",
		         "--",
		         "--ms-workers",
		         "9",
		         NULL };
	int argc = 15;

	(void)state;
	assert_int_equal(cfg_create(CFG_D_OSD, "0", &c), 0);
	assert_int_equal(cfg_parse_argv(c, &argc, argv), 0);
	assert_int_equal(argc, 7);
	assert_string_equal(argv[1], "pos1");
	assert_string_equal(argv[2], "--unknown-opt");
	assert_string_equal(argv[3], "x");
	assert_string_equal(argv[4], "--");
	assert_string_equal(argv[5], "--ms-workers");
	assert_null(argv[7]);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 6);
	assert_false(cfg_bool(c, CFG_KEY_ms_crc_data));
	assert_true(cfg_bool(c, CFG_KEY_ms_tcp_nodelay));
	assert_string_equal(cfg_name(c), "osd.7");
	assert_int_equal(cfg_source(c, CFG_KEY_ms_workers), CFG_LAYER_CMDLINE);
	assert_int_equal(cfg_load(c), -ENOENT); /* a named file must exist */
	cfg_destroy(c);

	char *bad1[] = { "prog", "--ms-workers", NULL };
	char *bad2[] = { "prog", "--name", "mon.a", NULL };
	char *bad3[] = { "prog", "--ms-workers=0", NULL };
	char *good[] = { "prog", "--name", "osd.12", NULL };
	assert_int_equal(cfg_create(CFG_D_OSD, "0", &c), 0);
	argc = 2;
	assert_int_equal(cfg_parse_argv(c, &argc, bad1), -EINVAL);
	argc = 3;
	assert_int_equal(cfg_parse_argv(c, &argc, bad2), -EINVAL);
	argc = 2;
	assert_int_equal(cfg_parse_argv(c, &argc, bad3), -ERANGE);
	argc = 3;
	assert_int_equal(cfg_parse_argv(c, &argc, good), 0);
	assert_string_equal(cfg_name(c), "osd.12");
	cfg_destroy(c);
}

static void test_env_and_file_path(void **state)
{
	char path[] = "/tmp/sepia-conf-XXXXXX";
	int fd = mkstemp(path);
	struct cfg *c;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[osd]\nms_workers = 5\n", 21), 21);
	close(fd);
	setenv("SEPIA_CONF", path, 1);
	setenv("SEPIA_OPT_ms_keepalive_interval", "7", 1);
	assert_int_equal(cfg_create(CFG_D_OSD, "1", &c), 0);
	assert_int_equal(cfg_load(c), 0);
	assert_int_equal(cfg_int(c, CFG_KEY_ms_workers), 5);
	assert_true(cfg_double(c, CFG_KEY_ms_keepalive_interval) == 7);
	assert_int_equal(cfg_source(c, CFG_KEY_ms_keepalive_interval), CFG_LAYER_ENV);
	setenv("SEPIA_OPT_no_such", "1", 1);
	assert_int_equal(cfg_load(c), -ENOENT);
	unsetenv("SEPIA_OPT_no_such");
	unsetenv("SEPIA_OPT_ms_keepalive_interval");
	unsetenv("SEPIA_CONF");
	cfg_destroy(c);
	unlink(path);
}

static int calls;
static void on_change(struct cfg *c, enum cfg_key key, void *arg)
{
	assert_int_equal(key, CFG_KEY_log_file);
	assert_ptr_equal(arg, &calls);
	assert_string_equal(cfg_str(c, key), "/tmp/new.log");
	calls++;
}

static void test_observers_and_stable_strings(void **state)
{
	struct cfg *c = *state;
	const char *old = cfg_str(c, CFG_KEY_log_file);

	calls = 0;
	assert_int_equal(cfg_observe(c, CFG_KEY_log_file, on_change, &calls), 0);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_workers", "3"), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "log_file", "/tmp/new.log"), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(cfg_set(c, CFG_LAYER_CMDLINE, "log_file", "/tmp/other.log"), 0);
	assert_int_equal(calls, 1);   /* runtime still wins: no change */
	assert_string_equal(old, ""); /* the old pointer stays readable */
	cfg_unset(c, CFG_LAYER_RUNTIME, "ms_workers");
}

static void test_json_and_help(void **state)
{
	struct cfg *c = *state;
	json_t *all = cfg_dump_json(c, false), *diff, *help;
	char text[1024];

	assert_non_null(json_object_get(all, "osd_data"));
	assert_null(json_object_get(all, "mon_data")); /* not read by an OSD */
	assert_int_equal(json_integer_value(json_object_get(all, "ms_workers")), 2);
	json_decref(all);
	assert_int_equal(cfg_set(c, CFG_LAYER_RUNTIME, "ms_workers", "4"), 0);
	diff = cfg_dump_json(c, true);
	assert_int_equal(json_object_size(diff), 1);
	assert_int_equal(json_integer_value(json_object_get(diff, "ms_workers")), 4);
	json_decref(diff);
	help = cfg_help_json(CFG_KEY_ms_workers);
	assert_string_equal(json_string_value(json_object_get(help, "type")), "int");
	assert_string_equal(json_string_value(json_object_get(help, "max")), "64");
	json_decref(help);
	assert_true(cfg_help_text(CFG_KEY_osd_data, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "osd_data - OSD data directory"));
	assert_non_null(strstr(text, "changes at runtime: no"));
	cfg_unset(c, CFG_LAYER_RUNTIME, "ms_workers");
}

static void test_create_rejects(void **state)
{
	struct cfg *c = (void *)1;

	(void)state;
	assert_int_equal(cfg_create(CFG_D_OSD | CFG_D_MON, "1", &c), -EINVAL);
	assert_int_equal(cfg_create(CFG_D_OSD, "", &c), -EINVAL);
	assert_int_equal(cfg_create(CFG_D_OSD, "a/b", &c), -EINVAL);
	assert_ptr_equal(c, (void *)1);
}

int test_cfg_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_diagnostics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expansion, setup, teardown),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_env_and_file_path),
		cmocka_unit_test_setup_teardown(test_observers_and_stable_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_and_help, setup, teardown),
		cmocka_unit_test(test_create_rejects),
	};
	return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
