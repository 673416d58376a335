/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/rados/cmd_meta.c - sepia-rados xattr and omap commands. Values
 * print as rados prints them: getxattr raw, omap values as hexdumps (or raw
 * into a file). Omap listings page through the object OMAP_PAGE at a time. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rados_tool.h"

#define VALUE_MAX (16u << 20) /* largest value read from stdin */
#define OMAP_PAGE 512

void rt_hexdump(FILE *f, const char *buf, size_t len)
{
	for (size_t o = 0; o < len; o += 16) {
		size_t i;

		fprintf(f, "%08zx ", o);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				fputc(' ', f);
			if (o + i < len)
				fprintf(f, " %02x", (unsigned char)buf[o + i]);
			else
				fputs("   ", f);
		}
		fputs("  |", f);
		for (i = 0; i < 16 && o + i < len; i++) {
			unsigned char c = (unsigned char)buf[o + i];

			fputc(isprint(c) ? c : '.', f);
		}
		fputs("|\n", f);
	}
	fprintf(f, "%08zx\n", len);
}

/* argv[3] or, without it, all of stdin (caller frees *out when it differs). */
static int value_arg(int argc, char **argv, char **out, size_t *len)
{
	size_t got = 0;
	char *buf;

	if (argc > 3) {
		*out = argv[3];
		*len = strlen(argv[3]);
		return 0;
	}
	buf = malloc(VALUE_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + got, VALUE_MAX - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0 || (got += (size_t)n) == VALUE_MAX)
			break;
	}
	*out = buf;
	*len = got;
	return 0;
}

static json_t *json_value(const char *v, size_t len)
{
	json_t *j = json_stringn(v, len);

	return j ? j : json_null(); /* not UTF-8 */
}

int rt_cmd_setxattr(struct rt *rt, int argc, char **argv)
{
	char *val = NULL;
	size_t len = 0;
	int rc = value_arg(argc, argv, &val, &len);

	if (rc < 0)
		return rt_fail(rc, "reading the value from stdin");
	rc = rados_setxattr(rt->io, argv[1], argv[2], val, len);
	if (val != argv[3 < argc ? 3 : 0])
		free(val);
	return rc < 0 ? rt_fail(rc, "setting xattr %s/%s/%s", rt->pool, argv[1], argv[2]) : 0;
}

int rt_cmd_getxattr(struct rt *rt, int argc, char **argv)
{
	size_t cap = 64 << 10;
	char *buf = NULL;
	int n = -ERANGE;

	(void)argc;
	while (n == -ERANGE && cap <= 2 * VALUE_MAX) {
		free(buf);
		buf = malloc(cap);
		n = buf ? rados_getxattr(rt->io, argv[1], argv[2], buf, cap) : -ENOMEM;
		cap *= 8;
	}
	if (n < 0) {
		free(buf);
		return rt_fail(n, "getting xattr %s/%s/%s", rt->pool, argv[1], argv[2]);
	}
	if (rt_is_json(rt))
		rt_print_json(rt, json_pack("{s:s, s:o}", "name", argv[2], "value",
		                            json_value(buf, (size_t)n)));
	else
		fwrite(buf, 1, (size_t)n, stdout);
	free(buf);
	return 0;
}

int rt_cmd_rmxattr(struct rt *rt, int argc, char **argv)
{
	int rc = rados_rmxattr(rt->io, argv[1], argv[2]);

	(void)argc;
	return rc < 0 ? rt_fail(rc, "removing xattr %s/%s/%s", rt->pool, argv[1], argv[2]) : 0;
}

int rt_cmd_listxattr(struct rt *rt, int argc, char **argv)
{
	rados_xattrs_iter_t it;
	const char *name, *val;
	size_t len;
	json_t *arr = rt_is_json(rt) ? json_array() : NULL;
	int rc = rados_getxattrs(rt->io, argv[1], &it);

	(void)argc;
	if (rc < 0) {
		json_decref(arr);
		return rt_fail(rc, "listing xattrs of %s/%s", rt->pool, argv[1]);
	}
	while ((rc = rados_getxattrs_next(it, &name, &val, &len)) == 0 && name) {
		if (arr)
			json_array_append_new(arr, json_string(name));
		else
			printf("%s\n", name);
	}
	rados_getxattrs_end(it);
	if (rc < 0) {
		json_decref(arr);
		return rt_fail(rc, "listing xattrs of %s/%s", rt->pool, argv[1]);
	}
	if (arr)
		rt_print_json(rt, arr);
	return 0;
}

int rt_cmd_setomapval(struct rt *rt, int argc, char **argv)
{
	rados_write_op_t op;
	const char *key = argv[2];
	char *val = NULL;
	size_t len = 0, klen = strlen(key);
	int rc = value_arg(argc, argv, &val, &len);

	if (rc < 0)
		return rt_fail(rc, "reading the value from stdin");
	op = rados_create_write_op();
	if (op) {
		const char *v = val;

		rados_write_op_omap_set2(op, &key, &v, &klen, &len, 1);
		rc = rados_write_op_operate(op, rt->io, argv[1], NULL, 0);
		rados_release_write_op(op);
	} else {
		rc = -ENOMEM;
	}
	if (val != argv[3 < argc ? 3 : 0])
		free(val);
	return rc < 0 ? rt_fail(rc, "setting omap key %s/%s/%s", rt->pool, argv[1], key) : 0;
}

int rt_cmd_rmomapkey(struct rt *rt, int argc, char **argv)
{
	rados_write_op_t op = rados_create_write_op();
	const char *key = argv[2];
	int rc = -ENOMEM;

	(void)argc;
	if (op) {
		rados_write_op_omap_rm_keys(op, &key, 1);
		rc = rados_write_op_operate(op, rt->io, argv[1], NULL, 0);
		rados_release_write_op(op);
	}
	return rc < 0 ? rt_fail(rc, "removing omap key %s/%s/%s", rt->pool, argv[1], key) : 0;
}

static int write_value(const char *path, const char *val, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -errno;
	if (fwrite(val, 1, len, f) != len)
		rc = -EIO;
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static void print_value(const struct rt *rt, const char *key, const char *val, size_t len)
{
	if (rt_is_json(rt)) {
		rt_print_json(rt,
		              json_pack("{s:s, s:o}", "key", key, "value", json_value(val, len)));
		return;
	}
	printf("value (%zu bytes) :\n", len);
	rt_hexdump(stdout, val, len);
	printf("\n");
}

int rt_cmd_getomapval(struct rt *rt, int argc, char **argv)
{
	rados_read_op_t op = rados_create_read_op();
	rados_omap_iter_t it = NULL;
	const char *key = argv[2];
	char *k = NULL, *v = NULL;
	size_t klen, vlen;
	int rc = -ENOMEM, prval = 0, ret = 0;

	if (op) {
		rados_read_op_omap_get_vals_by_keys(op, &key, 1, &it, &prval);
		rc = rados_read_op_operate(op, rt->io, argv[1], 0);
		rados_release_read_op(op);
	}
	rc = rc < 0 ? rc : prval;
	if (rc == 0 && it)
		rc = rados_omap_get_next2(it, &k, &v, &klen, &vlen);
	if (rc < 0) {
		ret = rt_fail(rc, "getting omap key %s/%s/%s", rt->pool, argv[1], key);
	} else if (!k || strcmp(k, key) != 0) {
		fprintf(stderr, "No such key: %s/%s/%s\n", rt->pool, argv[1], key);
		ret = ENOENT;
	} else if (argc > 3) {
		rc = write_value(argv[3], v, vlen);
		ret = rc < 0 ? rt_fail(rc, "writing %s", argv[3]) : 0;
	} else {
		print_value(rt, key, v, vlen);
	}
	if (it)
		rados_omap_get_end(it);
	return ret;
}

/* One page of keys (vals: with values) after *after; updates *after and
 * *more. Prints or collects into j. */
static int omap_page(struct rt *rt, const char *oid, bool vals, char **after, bool *more, json_t *j)
{
	rados_read_op_t op = rados_create_read_op();
	rados_omap_iter_t it = NULL;
	unsigned char pmore = 0;
	char *k, *v;
	size_t klen, vlen;
	int rc, prval = 0;

	if (!op)
		return -ENOMEM;
	if (vals)
		rados_read_op_omap_get_vals2(op, *after, NULL, OMAP_PAGE, &it, &pmore, &prval);
	else
		rados_read_op_omap_get_keys2(op, *after, OMAP_PAGE, &it, &pmore, &prval);
	rc = rados_read_op_operate(op, rt->io, oid, 0);
	rados_release_read_op(op);
	rc = rc < 0 ? rc : prval;
	*more = false;
	while (rc == 0 && it && (rc = rados_omap_get_next2(it, &k, &v, &klen, &vlen)) == 0 && k) {
		if (j && vals)
			json_object_set_new(j, k, json_value(v, vlen));
		else if (j)
			json_array_append_new(j, json_stringn(k, klen));
		else
			printf("%s\n", k);
		if (!j && vals)
			print_value(rt, k, v, vlen);
		free(*after);
		*after = strdup(k);
		*more = pmore != 0 && *after != NULL;
	}
	if (it)
		rados_omap_get_end(it);
	return rc;
}

static int list_omap(struct rt *rt, const char *oid, bool vals)
{
	json_t *j = !rt_is_json(rt) ? NULL : vals ? json_object() : json_array();
	char *after = NULL;
	bool more = true;
	int rc = 0;

	while (rc == 0 && more)
		rc = omap_page(rt, oid, vals, &after, &more, j);
	free(after);
	if (rc < 0) {
		json_decref(j);
		return rt_fail(rc, "listing omap of %s/%s", rt->pool, oid);
	}
	if (j)
		rt_print_json(rt, j);
	return 0;
}

int rt_cmd_listomapkeys(struct rt *rt, int argc, char **argv)
{
	(void)argc;
	return list_omap(rt, argv[1], false);
}

int rt_cmd_listomapvals(struct rt *rt, int argc, char **argv)
{
	(void)argc;
	return list_omap(rt, argv[1], true);
}
