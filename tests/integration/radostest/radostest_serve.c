/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/integration/radostest/radostest_serve.c - `radostest serve
 * OP_TIMEOUT`: object ops read from stdin, one a line, each answered on
 * stdout by one line, so that a Python test (test_chaos.py) can drive many
 * ops through one client instance without a process per op:
 *
 *   w OBJ HEX        write_full        ->  RC
 *   a OBJ HEX        append            ->  RC
 *   o OBJ OFF HEX    write at OFF      ->  RC
 *   d OBJ            remove            ->  RC
 *   r OBJ            read all of it    ->  RC HEX   (RC = its length) or RC
 *
 * HEX is the data in lower-case hex, `-` for none; RC is 0 (or a length)
 * or -errno exactly as the librados call returned it, so a write answered
 * 0 is committed. Every op is bounded by rados_osd_op_timeout = OP_TIMEOUT
 * seconds (-ETIMEDOUT then). A read is one rados_read of up to
 * SERVE_MAX_OBJECT bytes (atomic against writes, unlike stat + read).
 * Ends at the end of stdin with status 0; a line it cannot parse answers
 * -EINVAL and the serving goes on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "radostest.h"

#define SERVE_MAX_OBJECT (1u << 20)

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex (or "-": nothing) into a new buffer; length in *len. */
static int unhex(const char *s, char **out, size_t *len)
{
	size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s);
	char *b;

	if (n % 2)
		return -EINVAL;
	b = malloc(n / 2 + 1);
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return -EINVAL;
		}
		b[i] = (char)(hi << 4 | lo);
	}
	*out = b;
	*len = n / 2;
	return 0;
}

static void reply_read(struct rtest *t, const char *oid, char *buf)
{
	int n = rados_read(t->io, oid, buf, SERVE_MAX_OBJECT, 0);

	printf("%d", n);
	if (n > 0)
		putchar(' ');
	for (int i = 0; i < n; i++)
		printf("%02x", (unsigned char)buf[i]);
	putchar('\n');
}

/* Runs one write-type op: `w|a OBJ HEX`, `o OBJ OFF HEX` or `d OBJ`. */
static int do_write(struct rtest *t, char op, const char *oid, char *rest)
{
	char *off_s = NULL, *hex = rest, *data;
	unsigned long long off = 0;
	size_t len;
	int rc;

	if (op == 'd')
		return rados_remove(t->io, oid);
	if (op == 'o') {
		off_s = strtok(rest, " ");
		hex = strtok(NULL, " ");
		if (!off_s || !hex)
			return -EINVAL;
		off = strtoull(off_s, NULL, 10);
	}
	if (!hex || (rc = unhex(hex, &data, &len)) < 0)
		return -EINVAL;
	if (op == 'w')
		rc = rados_write_full(t->io, oid, data, len);
	else if (op == 'a')
		rc = rados_append(t->io, oid, data, len);
	else if (op == 'o')
		rc = rados_write(t->io, oid, data, len, off);
	else
		rc = -EINVAL;
	free(data);
	return rc;
}

static void serve_line(struct rtest *t, char *line, char *rbuf)
{
	char *op = strtok(line, " \n"), *oid = strtok(NULL, " \n"), *rest = strtok(NULL, "\n");

	if (!op || !oid || strlen(op) != 1) {
		printf("%d\n", -EINVAL);
		return;
	}
	if (op[0] == 'r')
		reply_read(t, oid, rbuf);
	else
		printf("%d\n", do_write(t, op[0], oid, rest));
}

int rtest_cmd_serve(struct rtest *t, int argc, char **argv)
{
	char *line = NULL, *rbuf = malloc(SERVE_MAX_OBJECT);
	size_t cap = 0;

	(void)argc;
	CHECK(rbuf != NULL);
	CHECK_RC(rados_conf_set(t->cluster, "rados_osd_op_timeout", argv[1]), 0);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (getline(&line, &cap, stdin) > 0) {
		serve_line(t, line, rbuf);
		fflush(stdout);
	}
	free(line);
	free(rbuf);
	return 0;
}
