/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/common/test_asok.c - admin socket over a real unix socket: every
 * built-in, custom commands, hostile clients, path conflicts, client errors
 * and timeouts. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/asok.h"
#include "common/cfg.h"
#include "common/log.h"
#include "common/perf.h"
#include "tests.h"

#define TIMEOUT_MS 5000

enum { C_OPS, C_COUNT };
static const struct perf_def pdefs[C_COUNT] = { { "ops", PERF_COUNTER, 0, "ops done" } };

struct fixture {
	char dir[64];
	char path[128];
	struct cfg *cfg;
	struct perf_reg *reg;
	struct perf_coll *pc;
	struct asok *a;
};

static int setup(void **state)
{
	static struct fixture f;

	snprintf(f.dir, sizeof(f.dir), "/tmp/sepia-asok-XXXXXX");
	if (mkdtemp(f.dir) == NULL)
		return -1;
	snprintf(f.path, sizeof(f.path), "%s/test.asok", f.dir);
	if (cfg_create(CFG_D_OSD, "0", &f.cfg) != 0 || perf_reg_create(&f.reg) != 0 ||
	    perf_coll_create(f.reg, "test", pdefs, C_COUNT, &f.pc) != 0 ||
	    asok_create(f.path, f.cfg, f.reg, &f.a) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	asok_destroy(f->a);
	perf_reg_destroy(f->reg);
	cfg_destroy(f->cfg);
	if (access(f->path, F_OK) == 0)
		return -1; /* destroy must unlink the socket */
	rmdir(f->dir);
	return 0;
}

/* Sends {"prefix": prefix, "args": [args...]} and returns the reply. */
static json_t *call(const char *path, const char *prefix, json_t *args)
{
	json_t *req =
	    json_pack("{s:s, s:o}", "prefix", prefix, "args", args != NULL ? args : json_array());
	json_t *reply = NULL;

	assert_non_null(req);
	assert_int_equal(asok_call(path, req, TIMEOUT_MS, &reply), 0);
	json_decref(req);
	assert_non_null(reply);
	return reply;
}

/* The result of a successful call (borrowed from reply). */
static json_t *result_of(json_t *reply)
{
	if (json_object_get(reply, "error") != NULL)
		fail_msg("error reply: %s", json_string_value(json_object_get(reply, "error")));
	assert_non_null(json_object_get(reply, "result"));
	return json_object_get(reply, "result");
}

static json_int_t errno_of(json_t *reply)
{
	assert_non_null(json_object_get(reply, "error"));
	return json_integer_value(json_object_get(reply, "errno"));
}

static void test_asok_info(void **state)
{
	struct fixture *f = *state;
	json_t *r = call(f->path, "help", NULL);

	assert_non_null(json_object_get(result_of(r), "config get"));
	assert_non_null(json_object_get(result_of(r), "perf dump"));
	assert_non_null(json_object_get(result_of(r), "log reopen"));
	json_decref(r);
	r = call(f->path, "version", NULL);
	assert_string_equal(json_string_value(json_object_get(result_of(r), "version")),
	                    SEPIA_VERSION);
	json_decref(r);
}

static void test_asok_config(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	r = call(f->path, "config show", NULL);
	assert_non_null(json_object_get(result_of(r), "mon_host"));
	json_decref(r);
	r = call(f->path, "config set", json_pack("[s,s]", "mon_host", "10.0.0.1:3300"));
	assert_string_equal(json_string_value(json_object_get(result_of(r), "mon_host")),
	                    "10.0.0.1:3300");
	json_decref(r);
	r = call(f->path, "config get", json_pack("[s]", "mon_host"));
	assert_string_equal(json_string_value(json_object_get(result_of(r), "mon_host")),
	                    "10.0.0.1:3300");
	json_decref(r);
	r = call(f->path, "config diff", NULL);
	assert_non_null(json_object_get(result_of(r), "mon_host"));
	json_decref(r);
	r = call(f->path, "config help", json_pack("[s]", "mon_host"));
	assert_true(json_is_object(result_of(r)));
	json_decref(r);
	r = call(f->path, "config get", json_pack("[s]", "no_such_option"));
	assert_int_equal(errno_of(r), -ENOENT);
	json_decref(r);
	r = call(f->path, "config set", json_pack("[s,s]", "wq_default_threads", "zero"));
	assert_int_equal(errno_of(r), -EINVAL);
	json_decref(r);
	r = call(f->path, "config get", NULL); /* missing NAME */
	assert_int_equal(errno_of(r), -EINVAL);
	json_decref(r);
}

static void test_asok_perf(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	perf_inc(f->pc, C_OPS, 3);
	r = call(f->path, "perf dump", NULL);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(result_of(r), "test"), "ops")), 3);
	json_decref(r);
	r = call(f->path, "perf dump", json_pack("[s]", "nosuch"));
	assert_int_equal(errno_of(r), -ENOENT);
	json_decref(r);
	r = call(f->path, "perf schema", NULL);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(result_of(r), "test"), "ops"), "type")),
	    "counter");
	json_decref(r);
	r = call(f->path, "perf reset", json_pack("[s]", "test"));
	json_decref(r);
	assert_int_equal(perf_get(f->pc, C_OPS), 0);
}

static void test_asok_log(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	r = call(f->path, "log level", json_pack("[s,s]", "asok", "debug"));
	assert_string_equal(json_string_value(json_object_get(result_of(r), "asok")), "debug");
	json_decref(r);
	assert_int_equal(log_get_level(LOG_SUB_asok), LOG_LVL_DEBUG);
	r = call(f->path, "log level", json_pack("[s]", "msg=trace"));
	json_decref(r);
	assert_int_equal(log_get_level(LOG_SUB_msg), LOG_LVL_TRACE);
	log_set_all_levels(LOG_LVL_NONE); /* main.c's setting */
	r = call(f->path, "log level", json_pack("[s,s]", "nosuch", "debug"));
	assert_int_equal(errno_of(r), -EINVAL);
	json_decref(r);
	r = call(f->path, "log level", NULL);
	assert_non_null(json_object_get(result_of(r), "osd"));
	json_decref(r);
	r = call(f->path, "log reopen", NULL);
	assert_true(json_is_null(result_of(r)));
	json_decref(r);
}

static int cmd_echo(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)req;
	*result = json_pack("{s:s, s:O}", "who", (const char *)arg, "args", args);
	return 0;
}

static int cmd_fail(void *arg, json_t *args, json_t *req, json_t **result)
{
	(void)arg;
	(void)args;
	(void)req;
	*result = json_string("it broke");
	return -EIO;
}

static void test_asok_custom(void **state)
{
	struct fixture *f = *state;
	json_t *req, *r;

	/* the longer prefix first, so that "first match" or "last match" fail */
	assert_int_equal(asok_register(f->a, "pg  dump", "dump pgs", cmd_echo, "pg dump"), 0);
	assert_int_equal(asok_register(f->a, "pg", "pg", cmd_echo, "pg"), 0);
	assert_int_equal(asok_register(f->a, "pg dump", "again", cmd_echo, "x"), -EEXIST);
	assert_int_equal(asok_register(f->a, "fail", "fails", cmd_fail, NULL), 0);
	/* cmd form: the longest registered prefix wins, the rest are args */
	req = json_pack("{s:[s,s,s,i]}", "cmd", "pg", "dump", "1.2a", 7);
	assert_int_equal(asok_call(f->path, req, TIMEOUT_MS, &r), 0);
	json_decref(req);
	assert_string_equal(json_string_value(json_object_get(result_of(r), "who")), "pg dump");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(result_of(r), "args"), 1)), "7");
	assert_int_equal(json_array_size(json_object_get(result_of(r), "args")), 2);
	json_decref(r);
	/* prefix form must name the command exactly */
	r = call(f->path, "pg", json_pack("[s]", "dump"));
	assert_string_equal(json_string_value(json_object_get(result_of(r), "who")), "pg");
	json_decref(r);
	r = call(f->path, "fail", NULL);
	assert_int_equal(errno_of(r), -EIO);
	assert_string_equal(json_string_value(json_object_get(r, "error")), "it broke");
	json_decref(r);
	asok_unregister(f->a, "pg dump");
	asok_unregister(f->a, "pg");
	asok_unregister(f->a, "fail");
	r = call(f->path, "pg dump", NULL);
	assert_int_equal(errno_of(r), -EINVAL); /* unknown now */
	json_decref(r);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Reads one reply from fd; NULL when the server closed without one. */
static json_t *raw_reply(int fd)
{
	unsigned char hdr[4];
	size_t len, got = 0;
	char *body;
	json_t *j;

	if (recv(fd, hdr, 4, MSG_WAITALL) != 4)
		return NULL;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	body = malloc(len);
	assert_non_null(body);
	while (got < len) {
		ssize_t n = recv(fd, body + got, len - got, 0);

		assert_true(n > 0);
		got += (size_t)n;
	}
	j = json_loadb(body, len, 0, NULL);
	free(body);
	return j;
}

/* Sends bytes (ignoring a server that hangs up early) and returns the reply. */
static json_t *raw_exchange(const char *path, const char *bytes, size_t len, bool shut)
{
	int fd = raw_connect(path);
	json_t *r;

	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, bytes + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (shut)
		shutdown(fd, SHUT_WR);
	r = raw_reply(fd);
	close(fd);
	return r;
}

static void assert_still_serving(const char *path)
{
	json_t *r = call(path, "version", NULL);

	result_of(r);
	json_decref(r);
}

static void test_asok_hostile(void **state)
{
	struct fixture *f = *state;
	size_t big = ASOK_MAX_REQUEST + 4096;
	char *junk = malloc(big);
	json_t *r;
	int fd;

	assert_non_null(junk);
	r = raw_exchange(f->path, "garbage\n", 8, false);
	assert_int_equal(errno_of(r), -EINVAL);
	json_decref(r);
	assert_still_serving(f->path);
	r = raw_exchange(f->path, "[1,2,3]", 7, true); /* ended by shutdown */
	assert_int_equal(errno_of(r), -EINVAL);
	json_decref(r);
	r = raw_exchange(f->path, "{\"prefix\":\"version\"}\0trailing", 29, false);
	result_of(r); /* '\0' ends the request */
	json_decref(r);
	memset(junk, 'a', big);
	r = raw_exchange(f->path, junk, big, false);
	assert_int_equal(errno_of(r), -EMSGSIZE);
	json_decref(r);
	assert_still_serving(f->path);
	fd = raw_connect(f->path); /* connects and leaves */
	close(fd);
	fd = raw_connect(f->path); /* half a request, then leaves */
	assert_int_equal(send(fd, "{\"pre", 5, MSG_NOSIGNAL), 5);
	close(fd);
	r = raw_exchange(f->path, "", 0, true); /* says nothing, shuts down */
	assert_null(r);
	assert_still_serving(f->path);
	free(junk);
}

static void test_asok_path_conflicts(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct asok *a2 = NULL;
	char stale[160];
	json_t *req = json_pack("{s:s}", "prefix", "version"), *r = NULL;
	int fd;

	assert_int_equal(asok_create(f->path, NULL, NULL, &a2), -EADDRINUSE);
	assert_null(a2);
	assert_still_serving(f->path);
	/* a socket file nobody listens on: the client is refused, a server replaces it */
	snprintf(stale, sizeof(stale), "%s/stale.asok", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, stale);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(asok_call(stale, req, TIMEOUT_MS, &r), -ECONNREFUSED);
	assert_int_equal(asok_create(stale, NULL, NULL, &a2), 0);
	assert_int_equal(asok_call(stale, req, TIMEOUT_MS, &r), 0);
	result_of(r);
	json_decref(r);
	r = call(stale, "config show", NULL); /* no cfg: no config commands */
	assert_int_equal(errno_of(r), -EINVAL);
	json_decref(r);
	asok_destroy(a2);
	assert_int_equal(access(stale, F_OK), -1); /* destroy unlinks */
	snprintf(stale, sizeof(stale), "%s/missing.asok", f->dir);
	assert_int_equal(asok_call(stale, req, TIMEOUT_MS, &r), -ENOENT);
	json_decref(req);
}

/* A server that listens and never accepts: the call times out. */
static void test_asok_timeout(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	json_t *req = json_pack("{s:s}", "prefix", "version"), *r = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/mute.asok", f->dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(asok_call(sun.sun_path, req, 200, &r), -ETIMEDOUT);
	assert_null(r);
	close(fd);
	unlink(sun.sun_path);
	json_decref(req);
}

struct liar {
	int fd;
	const char *reply;
	size_t len;
};

static void *liar_main(void *p)
{
	struct liar *l = p;
	char buf[256];
	int c = accept(l->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	(void)!recv(c, buf, sizeof(buf), 0);
	(void)!send(c, l->reply, l->len, MSG_NOSIGNAL);
	close(c);
	return NULL;
}

/* A server that answers with a malformed reply: -EBADMSG. */
static void test_asok_bad_reply(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static const struct liar cases[] = { { -1, "\0\0\0\3abc", 7 },
		                             { -1, "\0\0\0\2[]", 6 },
		                             { -1, "\0\0\0\x10{}", 6 },
		                             { -1, "\xff\0\0\0", 4 } };
	json_t *req = json_pack("{s:s}", "prefix", "version"), *r = NULL;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/liar.asok", f->dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct liar l = cases[i];
		pthread_t th;

		l.fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(bind(l.fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
		assert_int_equal(listen(l.fd, 4), 0);
		assert_int_equal(pthread_create(&th, NULL, liar_main, &l), 0);
		assert_int_equal(asok_call(sun.sun_path, req, TIMEOUT_MS, &r), -EBADMSG);
		pthread_join(th, NULL);
		close(l.fd);
		unlink(sun.sun_path);
	}
	json_decref(req);
}

int test_asok_run(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asok_info),           cmocka_unit_test(test_asok_config),
		cmocka_unit_test(test_asok_perf),           cmocka_unit_test(test_asok_log),
		cmocka_unit_test(test_asok_custom),         cmocka_unit_test(test_asok_hostile),
		cmocka_unit_test(test_asok_path_conflicts), cmocka_unit_test(test_asok_timeout),
		cmocka_unit_test(test_asok_bad_reply),
	};

	return cmocka_run_group_tests_name("asok", tests, setup, teardown);
}
