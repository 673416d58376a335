/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/crush/main.c - sepia-crush: compile, decompile, build and test CRUSH
 * maps with crushtool's options and output, plus object placement checks in
 * osdmaptool's format. Maps are read as Sepia binary, Ceph binary or text;
 * maps are written in Sepia's binary encoding. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crush/builder.h"
#include "crush/codec.h"
#include "crush/crush.h"
#include "crush/text.h"
#include "sepia_crush.h"

struct args {
	const char *in;
	const char *compile;
	const char *decompile;
	const char *out;
	const char *tunables;
	bool build;
	int num_osds;
	int build_argc;
	char *build_argv[3 * 16]; /* NAME ALG SIZE per layer, bottom up */
	bool test;
	struct test_opts t;
	struct place_opts p;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sepia-crush compile MAP.txt -o MAP   (or -c) compile text\n"
	           "       sepia-crush decompile MAP [-o MAP.txt] (or -d) binary or text\n"
	           "       sepia-crush build --num-osds N NAME ALG SIZE ... -o MAP\n"
	           "       sepia-crush -i MAP [--tunables PROFILE] -o MAP\n"
	           "       sepia-crush test -i MAP [--rule R] [--num-rep N] [--min-x X]\n"
	           "           [--max-x X] [--x X] [--show-mappings] [--show-statistics]\n"
	           "           [--show-utilization] [--show-utilization-all]\n"
	           "           [--show-bad-mappings] [--weight DEV W]... [--format json]\n"
	           "           [--threads N]   (mapping workers, default 1, at most 8)\n"
	           "       sepia-crush -i MAP --pool ID --pg-num N [--pgp-num N] [--size S]\n"
	           "           [--rule R] [--erasure] [--mark-out OSD]...\n"
	           "           (--test-map-object NAME | --test-map-pgs-dump)\n");
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n = 0, got;
	char *b = malloc(cap + 1);
	int rc = 0;

	if (!f || !b) {
		free(b);
		if (f && f != stdin)
			fclose(f);
		return f ? -ENOMEM : -errno;
	}
	while ((got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(b, 2 * cap + 1);

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = (!path || !strcmp(path, "-")) ? stdout : fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len)
		rc = -EIO;
	if (f != stdout && fclose(f))
		rc = -EIO;
	return rc;
}

/* Loads a Sepia binary map, or compiles text. Prints errors. */
static int load_map(const char *path, struct crush_map **out)
{
	struct crush_text_error err = { 0 };
	size_t len = 0;
	char *buf = NULL;
	int rc = read_file(path, &buf, &len);

	if (rc) {
		fprintf(stderr, "sepia-crush: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	if (len >= CRUSH_CODEC_MAGIC_LEN &&
	    !memcmp(buf, CRUSH_CODEC_MAGIC, CRUSH_CODEC_MAGIC_LEN)) {
		rc = crush_decode((const uint8_t *)buf, len, out);
		if (rc)
			fprintf(stderr, "sepia-crush: %s: bad map: %s\n", path, strerror(-rc));
	} else if (len >= 4 && !memcmp(buf, CRUSH_CEPH_MAGIC_LE, 4)) {
		rc = crush_decode_ceph((const uint8_t *)buf, len, out);
		if (rc)
			fprintf(stderr, "sepia-crush: %s: bad Ceph map: %s\n", path, strerror(-rc));
	} else {
		rc = crush_text_compile(buf, len, out, &err);
		if (rc == -EINVAL)
			fprintf(stderr, "%s:%d error: %s at '%s'\n", path, err.line, err.reason,
			        err.token);
		else if (rc)
			fprintf(stderr, "sepia-crush: %s: %s\n", path, strerror(-rc));
	}
	free(buf);
	return rc;
}

static int save_map(const struct crush_map *map, const char *path)
{
	uint8_t *buf;
	size_t len;
	int rc = crush_encode(map, &buf, &len);

	if (!rc) {
		rc = write_file(path, buf, len);
		free(buf);
	}
	if (rc)
		fprintf(stderr, "sepia-crush: writing %s: %s\n", path, strerror(-rc));
	return rc;
}

static int save_text(const struct crush_map *map, const char *path)
{
	char *text;
	size_t len;
	int rc = crush_text_decompile(map, &text, &len);

	if (!rc) {
		rc = write_file(path, text, len);
		free(text);
	}
	if (rc)
		fprintf(stderr, "sepia-crush: decompile: %s\n", strerror(-rc));
	return rc;
}

/* Option names compare with '_' and '-' treated alike (as ceph_argparse). */
static bool opt_is(const char *arg, const char *name)
{
	for (; *arg && *name; arg++, name++)
		if (*arg != *name &&
		    !((*arg == '_' || *arg == '-') && (*name == '-' || *name == '_')))
			return false;
	return !*arg && !*name;
}

static bool parse_int(const char *s, long long lo, long long hi, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return s[0] && !*end && !errno && *v >= lo && *v <= hi;
}

static int parse_flag(struct args *a, const char *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{ "--show-mappings", offsetof(struct args, t.show_mappings) },
		{ "--show-statistics", offsetof(struct args, t.show_statistics) },
		{ "--show-utilization", offsetof(struct args, t.show_utilization) },
		{ "--show-utilization-all", offsetof(struct args, t.show_utilization_all) },
		{ "--show-bad-mappings", offsetof(struct args, t.show_bad_mappings) },
		{ "--test", offsetof(struct args, test) },
		{ "--build", offsetof(struct args, build) },
		{ "--test-map-pgs-dump", offsetof(struct args, p.pgs_dump) },
		{ "--erasure", offsetof(struct args, p.erasure) },
	};
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (opt_is(arg, flags[i].name)) {
			*(bool *)((char *)a + flags[i].off) = true;
			return 1;
		}
	}
	return 0;
}

/* Options taking one integer. Returns 1 if consumed, 0 if not ours, -EINVAL. */
static int parse_int_opt(struct args *a, const char *arg, const char *val)
{
	static const struct {
		const char *name;
		size_t off;
		bool ll;
	} opts[] = {
		{ "--rule", offsetof(struct args, t.rule), false },
		{ "--num-rep", offsetof(struct args, t.num_rep), false },
		{ "--min-x", offsetof(struct args, t.min_x), false },
		{ "--max-x", offsetof(struct args, t.max_x), false },
		{ "--num-osds", offsetof(struct args, num_osds), false },
		{ "--pg-num", offsetof(struct args, p.pg_num), false },
		{ "--pgp-num", offsetof(struct args, p.pgp_num), false },
		{ "--size", offsetof(struct args, p.size), false },
		{ "--pool", offsetof(struct args, p.pool), true },
		{ "--threads", offsetof(struct args, t.threads), false },
	};
	long long v;
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!opt_is(arg, opts[i].name))
			continue;
		if (!val ||
		    !parse_int(val, opts[i].ll ? 0 : -1, opts[i].ll ? INT64_MAX : INT32_MAX, &v))
			return -EINVAL;
		if (opts[i].ll)
			*(long long *)((char *)a + opts[i].off) = v;
		else
			*(int *)((char *)a + opts[i].off) = (int)v;
		return 1;
	}
	if (opt_is(arg, "--x")) {
		if (!val || !parse_int(val, 0, INT32_MAX, &v))
			return -EINVAL;
		a->t.min_x = a->t.max_x = (int)v;
		return 1;
	}
	if (opt_is(arg, "--mark-out")) {
		if (!val || !parse_int(val, 0, INT32_MAX, &v) || a->p.nout == TOOL_MAX_WEIGHTS)
			return -EINVAL;
		a->p.out_osds[a->p.nout++] = (int)v;
		return 1;
	}
	return 0;
}

/* Options taking strings. Returns the number of values consumed, or -EINVAL. */
static int parse_str_opt(struct args *a, int argc, char **argv, int i)
{
	const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
	const char **slot = NULL;
	long long dev;

	if (!strcmp(arg, "-i"))
		slot = &a->in;
	else if (!strcmp(arg, "-c") || opt_is(arg, "--compile"))
		slot = &a->compile;
	else if (!strcmp(arg, "-d") || opt_is(arg, "--decompile"))
		slot = &a->decompile;
	else if (!strcmp(arg, "-o") || opt_is(arg, "--outfn"))
		slot = &a->out;
	else if (opt_is(arg, "--tunables"))
		slot = &a->tunables;
	else if (opt_is(arg, "--test-map-object"))
		slot = &a->p.object;
	if (slot) {
		if (!val)
			return -EINVAL;
		*slot = val;
		return 1;
	}
	if (opt_is(arg, "--format")) {
		if (!val || (strcmp(val, "json") && strcmp(val, "plain")))
			return -EINVAL;
		a->t.json = !strcmp(val, "json");
		return 1;
	}
	if (opt_is(arg, "--weight")) {
		if (i + 2 >= argc || !parse_int(val, 0, INT32_MAX, &dev) ||
		    a->t.nweights == TOOL_MAX_WEIGHTS)
			return -EINVAL;
		a->t.weight_dev[a->t.nweights] = (int)dev;
		a->t.weight_val[a->t.nweights++] = strtof(argv[i + 2], NULL);
		return 2;
	}
	return -EINVAL;
}

static int parse_args(struct args *a, int argc, char **argv)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (parse_flag(a, argv[i]))
			continue;
		rc = parse_int_opt(a, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		if (rc == 0)
			rc = parse_str_opt(a, argc, argv, i);
		if (rc < 0 && a->build && argv[i][0] != '-' && i + 2 < argc &&
		    a->build_argc + 3 <= (int)(sizeof(a->build_argv) / sizeof(a->build_argv[0]))) {
			/* a --build layer: NAME ALG SIZE (options may follow) */
			memcpy(a->build_argv + a->build_argc, argv + i, 3 * sizeof(char *));
			a->build_argc += 3;
			i += 2;
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "sepia-crush: bad or incomplete option '%s'\n", argv[i]);
			return rc;
		}
		i += rc;
	}
	return 0;
}

static int run(struct args *a)
{
	struct crush_map *map = NULL;
	int rc;

	if (a->compile) {
		if ((rc = load_map(a->compile, &map)) == 0)
			rc = save_map(map, a->out ? a->out : "-");
	} else if (a->decompile) {
		if ((rc = load_map(a->decompile, &map)) == 0)
			rc = save_text(map, a->out);
	} else if (a->build) {
		if ((rc = tool_build(a->num_osds, a->build_argc, a->build_argv, &map)) == 0)
			rc = a->out ? save_map(map, a->out) : 0;
	} else if (a->in) {
		if ((rc = load_map(a->in, &map)))
			return rc;
		if (a->tunables) {
			rc = crush_tunables_parse(a->tunables);
			if (rc >= 0)
				crush_tunables_set(map, (enum crush_tunables_profile)rc);
			rc = rc < 0 ? rc : 0;
		}
		if (!rc && a->test)
			rc = tool_test(map, &a->t);
		else if (!rc && (a->p.object || a->p.pgs_dump))
			rc = tool_place(map, &a->p);
		if (!rc && a->out)
			rc = save_map(map, a->out);
	} else {
		usage(stderr);
		return -EINVAL;
	}
	crush_map_destroy(map);
	return rc;
}

/* Subcommand words (sepia-crush compile|decompile|build|test ...) are the
 * crushtool flags they stand for. */
static void subcommand_to_flag(char **argv)
{
	static const char *const map[][2] = {
		{ "compile", "--compile" },
		{ "decompile", "--decompile" },
		{ "build", "--build" },
		{ "test", "--test" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(argv[1], map[i][0]) == 0)
			argv[1] = (char *)map[i][1];
}

int main(int argc, char **argv)
{
	struct args a = { 0 };

	a.t.rule = -1;
	a.t.num_rep = -1;
	a.t.threads = 1;
	a.t.min_x = -1;
	a.t.max_x = -1;
	a.p.rule = -1;
	a.p.size = 3;
	a.p.pool = -1;
	if (argc < 2 || opt_is(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	subcommand_to_flag(argv);
	if (parse_args(&a, argc, argv))
		return 1;
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	a.p.rule = a.t.rule;
	if (a.t.min_x < 0 || a.t.max_x < 0) { /* crushtool: both or neither */
		a.t.min_x = 0;
		a.t.max_x = 1023;
	}
	return run(&a) ? 1 : 0;
}
