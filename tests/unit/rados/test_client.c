/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/rados/test_client.c - the cluster handle without a cluster:
 * configuration (set/get, files, argv, environment, create2 names), calls
 * that need a connection, connect failures, and completions (states,
 * callbacks exactly once and in order, references). */
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
#include "rados/client_int.h"
#include "tests.h"

static void test_conf(void **state)
{
	rados_t cl;
	char buf[64], path[] = "/tmp/unit_rados_confXXXXXX";
	const char *argv[] = { "prog", "--rados_osd_op_timeout", "7", "-c", path, "rest" };
	int fd;

	(void)state;
	assert_int_equal(rados_create(&cl, NULL), 0);
	assert_int_equal(rados_conf_set(cl, "rados_mon_op_timeout", "5"), 0);
	assert_int_equal(rados_conf_get(cl, "rados_mon_op_timeout", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "5");
	assert_int_equal(radosc_mon_timeout_ms(cl), 5000);
	/* '-' and '_' are the same character in option names */
	assert_int_equal(rados_conf_set(cl, "objecter-inflight-ops", "3"), 0);
	assert_int_equal(((struct radosc_client *)cl)->thr.max_ops, 3);
	assert_int_equal(rados_conf_set(cl, "no_such_option", "1"), -ENOENT);
	assert_int_equal(rados_conf_set(cl, "objecter_inflight_ops", "x"), -EINVAL);
	assert_int_equal(rados_conf_set(cl, "objecter_inflight_ops", "0"), -ERANGE);
	assert_int_equal(rados_conf_get(cl, "no_such_option", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(rados_conf_get(cl, "rados_mon_op_timeout", buf, 1), -ENAMETOOLONG);
	/* a file, named by -c in argv and read with a NULL path */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(
	    write(fd, "[client]\nmon_host = 127.0.0.1:1\nrados_osd_op_timeout = 3\n", 57), 57);
	close(fd);
	assert_int_equal(rados_conf_parse_argv(cl, 6, argv), 0);
	assert_int_equal(rados_conf_get(cl, "rados_osd_op_timeout", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "7");
	assert_int_equal(((struct radosc_client *)cl)->op_timeout_ns, 7000000000ull);
	assert_int_equal(rados_conf_read_file(cl, NULL), 0);
	assert_int_equal(rados_conf_get(cl, "mon_host", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "127.0.0.1:1");
	/* the command line still wins over the file */
	assert_int_equal(rados_conf_get(cl, "rados_osd_op_timeout", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "7");
	assert_int_equal(rados_conf_read_file(cl, "/nonexistent/sepia.conf"), -ENOENT);
	unlink(path);
	/* the environment */
	setenv("UNIT_RADOS_ARGS", "--objecter_inflight_op_bytes 1M", 1);
	setenv("SEPIA_OPT_rados_mon_op_timeout", "9", 1);
	assert_int_equal(rados_conf_parse_env(cl, "UNIT_RADOS_ARGS"), 0);
	assert_int_equal(((struct radosc_client *)cl)->thr.max_bytes, 1u << 20);
	assert_int_equal(rados_conf_get(cl, "rados_mon_op_timeout", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "5"); /* cmdline beats env */
	assert_int_equal(rados_conf_parse_env(cl, "UNIT_RADOS_UNSET"), 0);
	unsetenv("SEPIA_OPT_rados_mon_op_timeout");
	unsetenv("UNIT_RADOS_ARGS");
	rados_shutdown(cl); /* never connected */
	rados_shutdown(NULL);
}

static void test_create2(void **state)
{
	rados_t cl;
	char buf[32];

	(void)state;
	assert_int_equal(rados_create2(&cl, "ceph", "osd.1", 0), -EINVAL);
	assert_int_equal(rados_create2(&cl, "ceph", "client.admin", 1), -EINVAL);
	assert_int_equal(rados_create2(&cl, "other", "client.bob", 0), 0);
	assert_int_equal(rados_conf_get(cl, "cluster", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "other");
	assert_string_equal(cfg_name(((struct radosc_client *)cl)->cfg), "client.bob");
	rados_shutdown(cl);
	assert_int_equal(rados_create(&cl, "x/y"), -EINVAL);
}

static void test_unconnected(void **state)
{
	rados_t cl;
	rados_ioctx_t io;
	char buf[64];
	int major, minor, extra;

	(void)state;
	rados_version(&major, &minor, &extra);
	assert_int_equal(major, LIBRADOS_VER_MAJOR);
	assert_int_equal(rados_create(&cl, "admin"), 0);
	assert_int_equal(rados_pool_lookup(cl, "p"), -ENOTCONN);
	assert_int_equal(rados_pool_list(cl, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(rados_ioctx_create(cl, "p", &io), -ENOTCONN);
	assert_int_equal(rados_cluster_fsid(cl, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(rados_pool_create(cl, "p"), -ENOTCONN);
	assert_int_equal(rados_pool_create(cl, ""), -EINVAL);
	assert_int_equal(
	    rados_mon_command(cl, (const char *[]){ "{}" }, 1, NULL, 0, NULL, NULL, NULL, NULL),
	    -ENOTCONN);
	assert_int_equal(rados_get_instance_id(cl), 0);
	/* no monitors configured */
	assert_int_equal(rados_connect(cl), -ENOENT);
	rados_shutdown(cl);
}

static void test_connect_timeout(void **state)
{
	rados_t cl;

	(void)state;
	log_set_level(LOG_SUB_msg, LOG_LVL_NONE);
	log_set_level(LOG_SUB_rados, LOG_LVL_NONE);
	assert_int_equal(rados_create(&cl, NULL), 0);
	/* nobody listens there: connect gives up after the monitor timeout */
	assert_int_equal(rados_conf_set(cl, "mon_host", "127.0.0.1:9"), 0);
	assert_int_equal(rados_conf_set(cl, "rados_mon_op_timeout", "0.3"), 0);
	assert_int_equal(rados_connect(cl), -ETIMEDOUT);
	/* and may be tried again */
	assert_int_equal(rados_connect(cl), -ETIMEDOUT);
	rados_shutdown(cl);
	log_set_level(LOG_SUB_msg, LOG_LVL_WARN);
	log_set_level(LOG_SUB_rados, LOG_LVL_WARN);
}

/* ---- completions ------------------------------------------------------------- */

struct calls {
	int complete, safe;
	int order; /* 1: complete ran before safe */
	rados_completion_t seen;
};

static void on_complete(rados_completion_t c, void *arg)
{
	struct calls *k = arg;

	k->complete++;
	k->seen = c;
	if (!k->safe)
		k->order = 1;
}

static void on_safe(rados_completion_t c, void *arg)
{
	struct calls *k = arg;

	(void)c;
	k->safe++;
}

static void test_completion(void **state)
{
	struct calls k = { 0 };
	rados_completion_t c;
	struct radosc_completion *p;

	(void)state;
	assert_int_equal(rados_aio_create_completion(&k, on_complete, on_safe, &c), 0);
	p = c;
	assert_true(radosc_completion_wants_ack(p));
	assert_false(rados_aio_is_complete(c));
	/* applied first, then committed */
	radosc_completion_complete(p, 0, 0);
	assert_true(rados_aio_is_complete(c));
	assert_true(rados_aio_is_complete_and_cb(c));
	assert_false(rados_aio_is_safe(c));
	assert_int_equal(k.complete, 1);
	radosc_completion_complete(p, 0, 0); /* once only */
	assert_int_equal(k.complete, 1);
	radosc_completion_finish(p, 5, 77);
	assert_int_equal(k.complete, 1);
	assert_int_equal(k.safe, 1);
	assert_ptr_equal(k.seen, c);
	assert_int_equal(rados_aio_wait_for_safe(c), 0);
	assert_int_equal(rados_aio_wait_for_complete_and_cb(c), 0);
	assert_int_equal(rados_aio_wait_for_safe_and_cb(c), 0);
	assert_int_equal(rados_aio_get_return_value(c), 5);
	assert_int_equal(rados_aio_get_version(c), 77);
	radosc_completion_finish(p, 6, 0); /* once only */
	assert_int_equal(k.safe, 1);
	assert_int_equal(rados_aio_get_return_value(c), 5);
	rados_aio_release(c);

	/* straight to done: both callbacks, complete first */
	memset(&k, 0, sizeof(k));
	assert_int_equal(rados_aio_create_completion(&k, on_complete, on_safe, &c), 0);
	radosc_completion_finish(c, -EIO, 0);
	assert_int_equal(k.complete, 1);
	assert_int_equal(k.safe, 1);
	assert_int_equal(k.order, 1);
	assert_int_equal(rados_aio_wait_for_complete(c), 0);
	assert_int_equal(rados_aio_get_return_value(c), -EIO);
	rados_aio_release(c);

	/* completion2: one callback; no separate applied reply is asked for */
	memset(&k, 0, sizeof(k));
	assert_int_equal(rados_aio_create_completion2(&k, on_complete, &c), 0);
	assert_false(radosc_completion_wants_ack(c));
	/* the user releases first; the op's reference keeps it alive */
	p = radosc_completion_get(c);
	rados_aio_release(c);
	radosc_completion_finish(p, 0, 0);
	assert_int_equal(k.complete, 1);
	radosc_completion_put(p);
	assert_int_equal(rados_aio_create_completion(NULL, on_safe, on_safe, NULL), -EINVAL);
}

int test_client_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),        cmocka_unit_test(test_create2),
		cmocka_unit_test(test_unconnected), cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_completion),
	};

	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
