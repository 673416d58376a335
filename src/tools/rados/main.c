/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/main.c - sepia-rados, the object CLI (Ceph's `rados`): global
 * options, the command table, connecting to the cluster and opening the
 * pool, errors and exit codes. Only the public librados.h API is used,
 * and common/log.h to keep the client's progress notes off stderr. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "rados_tool.h"

enum { NEED_POOL = 1 };

struct rt_cmd {
	const char *name;
	rt_cmd_fn *fn;
	int min_args, max_args; /* words after the command name; max -1: any */
	int need;
	const char *usage;
};

static const struct rt_cmd cmds[] = {
	{ "lspools", rt_cmd_lspools, 0, 0, 0, "lspools                       list pools" },
	{ "mkpool", rt_cmd_mkpool, 1, 1, 0, "mkpool NAME                   create a pool" },
	{ "rmpool", rt_cmd_rmpool, 2, 2, 0,
	  "rmpool NAME NAME --yes-i-really-really-mean-it\n"
	  "                                remove a pool and everything in it" },
	{ "df", rt_cmd_df, 0, 0, 0, "df                            usage per pool and in total" },
	{ "ls", rt_cmd_ls, 0, 1, NEED_POOL,
	  "ls [FILE|-]                   list objects (with --all: NAMESPACE<tab>NAME)" },
	{ "put", rt_cmd_put, 2, 2, NEED_POOL,
	  "put OBJ FILE|-                write a whole object from FILE (-: stdin)" },
	{ "get", rt_cmd_get, 2, 2, NEED_POOL,
	  "get OBJ FILE|-                read a whole object into FILE (-: stdout)" },
	{ "append", rt_cmd_append, 2, 2, NEED_POOL,
	  "append OBJ FILE|-             append FILE to an object" },
	{ "truncate", rt_cmd_truncate, 2, 2, NEED_POOL,
	  "truncate OBJ SIZE             cut or extend an object to SIZE bytes" },
	{ "create", rt_cmd_create, 1, 1, NEED_POOL,
	  "create OBJ                    create an empty object (EEXIST if it exists)" },
	{ "rm", rt_cmd_rm, 1, -1, NEED_POOL, "rm OBJ...                     remove objects" },
	{ "stat", rt_cmd_stat, 1, 1, NEED_POOL,
	  "stat OBJ                      size and modification time" },
	{ "setxattr", rt_cmd_setxattr, 2, 3, NEED_POOL,
	  "setxattr OBJ NAME [VALUE]     set an xattr (no VALUE: read stdin)" },
	{ "getxattr", rt_cmd_getxattr, 2, 2, NEED_POOL,
	  "getxattr OBJ NAME             print an xattr's value" },
	{ "rmxattr", rt_cmd_rmxattr, 2, 2, NEED_POOL,
	  "rmxattr OBJ NAME              remove an xattr" },
	{ "listxattr", rt_cmd_listxattr, 1, 1, NEED_POOL,
	  "listxattr OBJ                 list xattr names" },
	{ "setomapval", rt_cmd_setomapval, 2, 3, NEED_POOL,
	  "setomapval OBJ KEY [VALUE]    set an omap value (no VALUE: read stdin)" },
	{ "getomapval", rt_cmd_getomapval, 2, 3, NEED_POOL,
	  "getomapval OBJ KEY [FILE|-]   hexdump an omap value, or write it raw to FILE" },
	{ "rmomapkey", rt_cmd_rmomapkey, 2, 2, NEED_POOL,
	  "rmomapkey OBJ KEY             remove an omap key" },
	{ "listomapkeys", rt_cmd_listomapkeys, 1, 1, NEED_POOL,
	  "listomapkeys OBJ              list omap keys" },
	{ "listomapvals", rt_cmd_listomapvals, 1, 1, NEED_POOL,
	  "listomapvals OBJ              list omap keys with hexdumps of their values" },
	{ "bench", rt_cmd_bench, 2, 2, NEED_POOL,
	  "bench SECONDS write|seq|rand [-t N] [-b SIZE] [-o SIZE] [--no-cleanup]\n"
	  "      [--run-name NAME] [--max-objects N] [--no-verify] [--show-time]\n"
	  "                                benchmark like `rados bench`: write objects\n"
	  "                                (-t in flight), then read them back with seq/rand" },
	{ "cleanup", rt_cmd_cleanup, 0, 0, NEED_POOL,
	  "cleanup [--run-name NAME] [--prefix PREFIX]\n"
	  "                                remove the objects a bench left" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: sepia-rados [options] COMMAND [ARGS...]\n\n"
	           "Pool commands:\n");
	for (size_t i = 0; i < NCMDS; i++) {
		if (i == 4)
			fprintf(f, "\nObject commands (need -p POOL):\n");
		fprintf(f, "  %s\n", cmds[i].usage);
	}
	fprintf(f,
	        "\nOptions:\n"
	        "  -c, --conf FILE       configuration (default $SEPIA_CONF, ./sepia.conf,\n"
	        "                        /etc/sepia/sepia.conf)\n"
	        "  --id NAME             client name without \"client.\" (default admin)\n"
	        "  -p, --pool POOL       the pool of object commands\n"
	        "  -N, --namespace NS    the object namespace (default: the empty one)\n"
	        "  --all                 ls: every namespace\n"
	        "  -f, --format FMT      plain (default), json or json-pretty\n"
	        "  --set KEY=VALUE       set a configuration option (e.g. rados_osd_op_timeout=5)\n"
	        "  --mon-host ADDRS      monitor addresses (the mon_host option)\n"
	        "  -b, --block-size SIZE bench: bytes per op (default 4M; K, M, G suffixes)\n"
	        "  -o, --object-size SIZE bench: object size (default: the op size)\n"
	        "  -t, --concurrent-ios N bench: ops in flight (default 16)\n"
	        "  -h, --help            this help\n"
	        "\nExit status: 0 on success, 2 on a usage error, otherwise the errno of the\n"
	        "failure (2 ENOENT no such pool or object, 17 EEXIST, 27 EFBIG beyond the\n"
	        "largest object, 36 ENAMETOOLONG, 110 ETIMEDOUT).\n");
}

int rt_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sepia-rados: error ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(-rc));
	return -rc > 0 && -rc < 126 ? -rc : 1;
}

int rt_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sepia-rados: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see sepia-rados --help)\n");
	return RT_EXIT_USAGE;
}

bool rt_is_json(const struct rt *rt)
{
	return rt->format != RT_FMT_PLAIN;
}

void rt_print_json(const struct rt *rt, json_t *j)
{
	size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
	               (rt->format == RT_FMT_JSON_PRETTY ? JSON_INDENT(4) : JSON_COMPACT);
	char *s = j ? json_dumps(j, flags) : NULL;

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
}

int rt_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "B") != 0 && strcmp(end + 1, "iB") != 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int rt_connect(struct rt *rt)
{
	rados_t c;
	int rc;

	if (rt->cluster)
		return 0;
	rc = rados_create(&c, rt->id);
	if (rc < 0)
		return rt_fail(rc, "creating the cluster handle");
	/* a command line tool: the client's progress notes would only clutter
	 * stderr (a configuration file or --set log_level=... may still ask) */
	rados_conf_set(c, "log_level", "warn");
	rc = rados_conf_read_file(c, rt->conf);
	if (rc < 0 && (rt->conf || rc != -ENOENT)) {
		rados_shutdown(c);
		return rt_fail(rc, "reading the configuration %s", rt->conf ? rt->conf : "");
	}
	for (int i = 0; i < rt->nsets; i++) {
		char key[256];
		const char *eq = strchr(rt->sets[i], '=');
		size_t n = (size_t)(eq - rt->sets[i]);

		snprintf(key, sizeof(key), "%.*s", (int)(n < sizeof(key) ? n : sizeof(key) - 1),
		         rt->sets[i]);
		rc = rados_conf_set(c, key, eq + 1);
		if (rc < 0) {
			rados_shutdown(c);
			return rt_fail(rc, "setting %s", rt->sets[i]);
		}
	}
	rc = rados_connect(c);
	if (rc < 0) {
		rados_shutdown(c);
		return rt_fail(rc, "connecting to the cluster");
	}
	rt->cluster = c;
	return 0;
}

int rt_open_pool(struct rt *rt)
{
	int rc = rt_connect(rt);

	if (rc)
		return rc;
	if (!rt->pool)
		return rt_usage_error("this command needs a pool (-p POOL)");
	rc = rados_ioctx_create(rt->cluster, rt->pool, &rt->io);
	if (rc < 0) {
		rt->io = NULL;
		return rt_fail(rc, "opening pool %s", rt->pool);
	}
	if (rt->all_nspaces)
		rados_ioctx_set_namespace(rt->io, LIBRADOS_ALL_NSPACES);
	else if (rt->nspace)
		rados_ioctx_set_namespace(rt->io, rt->nspace);
	return 0;
}

enum {
	OPT_ID = 256,
	OPT_ALL,
	OPT_SET,
	OPT_MON_HOST,
	OPT_NO_CLEANUP,
	OPT_NO_VERIFY,
	OPT_RUN_NAME,
	OPT_PREFIX,
	OPT_MAX_OBJECTS,
	OPT_SHOW_TIME,
	OPT_VERSION,
	OPT_YES_REALLY,
};

static const struct option opts[] = {
	{ "conf", required_argument, NULL, 'c' },
	{ "id", required_argument, NULL, OPT_ID },
	{ "user", required_argument, NULL, OPT_ID },
	{ "pool", required_argument, NULL, 'p' },
	{ "namespace", required_argument, NULL, 'N' },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "format", required_argument, NULL, 'f' },
	{ "set", required_argument, NULL, OPT_SET },
	{ "mon-host", required_argument, NULL, OPT_MON_HOST },
	{ "block-size", required_argument, NULL, 'b' },
	{ "object-size", required_argument, NULL, 'o' },
	{ "concurrent-ios", required_argument, NULL, 't' },
	{ "no-cleanup", no_argument, NULL, OPT_NO_CLEANUP },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "run-name", required_argument, NULL, OPT_RUN_NAME },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "max-objects", required_argument, NULL, OPT_MAX_OBJECTS },
	{ "show-time", no_argument, NULL, OPT_SHOW_TIME },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "yes-i-really-really-mean-it", no_argument, NULL, OPT_YES_REALLY },
	{ NULL, 0, NULL, 0 },
};

static int parse_format(const char *s, enum rt_format *f)
{
	if (strcmp(s, "plain") == 0)
		*f = RT_FMT_PLAIN;
	else if (strcmp(s, "json") == 0)
		*f = RT_FMT_JSON;
	else if (strcmp(s, "json-pretty") == 0)
		*f = RT_FMT_JSON_PRETTY;
	else
		return rt_usage_error("--format: plain, json or json-pretty, not '%s'", s);
	return 0;
}

static int add_set(struct rt *rt, const char *kv)
{
	if (rt->nsets == RT_SETS_MAX || !strchr(kv, '=') || kv[0] == '=')
		return rt_usage_error("--set KEY=VALUE (at most %d), not '%s'", RT_SETS_MAX, kv);
	rt->sets[rt->nsets++] = kv;
	return 0;
}

static int parse_count(const char *opt, const char *v, uint64_t *out)
{
	if (rt_parse_size(v, out) < 0)
		return rt_usage_error("%s: not a size: '%s'", opt, v);
	return 0;
}

/* One option; 0, an exit code, or -1 to stop with exit status 0. */
static int parse_opt(struct rt *rt, int c, const char *v)
{
	uint64_t n;
	int rc;

	switch (c) {
	case 'c':
		rt->conf = v;
		return 0;
	case OPT_ID:
		rt->id = strncmp(v, "client.", 7) == 0 ? v + 7 : v;
		return 0;
	case 'p':
		rt->pool = v;
		return 0;
	case 'N':
		rt->nspace = v;
		return 0;
	case OPT_ALL:
		rt->all_nspaces = true;
		return 0;
	case 'f':
		return parse_format(v, &rt->format);
	case OPT_SET:
		return add_set(rt, v);
	case OPT_MON_HOST: {
		static char buf[1024];

		snprintf(buf, sizeof(buf), "mon_host=%s", v);
		return add_set(rt, buf);
	}
	case 'b':
		return parse_count("-b", v, &rt->bench.op_size);
	case 'o':
		return parse_count("-o", v, &rt->bench.object_size);
	case 't':
		rc = parse_count("-t", v, &n);
		if (rc == 0 && (n < 1 || n > 4096))
			rc = rt_usage_error("-t: between 1 and 4096, not %s", v);
		rt->bench.concurrency = (int)n;
		return rc;
	case OPT_NO_CLEANUP:
		rt->bench.no_cleanup = true;
		return 0;
	case OPT_NO_VERIFY:
		rt->bench.no_verify = true;
		return 0;
	case OPT_RUN_NAME:
		rt->bench.run_name = v;
		return 0;
	case OPT_PREFIX:
		rt->bench.prefix = v;
		return 0;
	case OPT_MAX_OBJECTS:
		return parse_count("--max-objects", v, &rt->bench.max_objects);
	case OPT_SHOW_TIME:
		rt->bench.show_time = true;
		return 0;
	case OPT_YES_REALLY:
		rt->yes_really = true;
		return 0;
	case 'h':
		usage(stdout);
		return -1;
	case OPT_VERSION: {
		int maj, min, extra;

		rados_version(&maj, &min, &extra);
		printf("sepia-rados %s (librados API %d.%d.%d)\n", SEPIA_VERSION, maj, min, extra);
		return -1;
	}
	default:
		return RT_EXIT_USAGE;
	}
}

static const struct rt_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int run(struct rt *rt, int argc, char **argv)
{
	const struct rt_cmd *c = find_cmd(argv[0]);
	int nargs = argc - 1, rc;

	if (!c)
		return rt_usage_error("unknown command '%s'", argv[0]);
	if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args))
		return rt_usage_error("usage: %s", c->usage);
	rc = (c->need & NEED_POOL) ? rt_open_pool(rt) : rt_connect(rt);
	if (rc)
		return rc;
	return c->fn(rt, argc, argv);
}

int main(int argc, char **argv)
{
	struct rt rt = { .format = RT_FMT_PLAIN, .bench = { .concurrency = 16 } };
	int c, rc;

	/* until the client applies log_level itself (see rt_connect) */
	log_set_all_levels(LOG_LVL_WARN);
	opterr = 1;
	while ((c = getopt_long(argc, argv, "c:p:N:f:b:o:t:h", opts, NULL)) != -1) {
		rc = parse_opt(&rt, c, optarg);
		if (rc)
			return rc < 0 ? 0 : rc;
	}
	if (optind >= argc) {
		usage(stderr);
		return RT_EXIT_USAGE;
	}
	rc = run(&rt, argc - optind, argv + optind);
	if (rt.io)
		rados_ioctx_destroy(rt.io);
	if (rt.cluster)
		rados_shutdown(rt.cluster);
	return rc;
}
