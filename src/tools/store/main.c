/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tools/store/main.c - sepia-store-tool: offline inspection and repair of an
 * OSD's local store (BlockStore): the command table, argument parsing and
 * help. Commands live in cmd_read.c (read-only opens) and cmd_write.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store_tool.h"

static const struct tool_cmd cmds[] = {
	{ "mkfs", tool_cmd_mkfs, 0, "--path DIR [--size BYTES] [--block-size BYTES]",
	  "Makes a new, empty store in DIR (created if missing; refuses a directory\n"
	  "that already holds a store). --size is the data file size (default from\n"
	  "the store defaults; suffixes K M G T)." },
	{ "fsck", tool_cmd_fsck, 0, "--path DIR [--deep] [--format json]",
	  "Checks the store: every record decodes, objects belong to collections,\n"
	  "extents lie in the data file without overlap, the freelist matches.\n"
	  "--deep also reads every block and verifies its checksum. Prints each\n"
	  "error found. Exit status 0: clean, 1: errors found (or fsck could not run)." },
	{ "list-collections", tool_cmd_list_colls, 0, "--path DIR [--format json]",
	  "Lists the collections (one per placement group)." },
	{ "list", tool_cmd_list, 0, "--path DIR [--collection C] [--format json]",
	  "Lists objects (of one collection, or of all) as tab-separated\n"
	  "collection, namespace, name and snap (\"head\" for the head)." },
	{ "dump", tool_cmd_dump, NEED_COLL | NEED_OBJECT,
	  "--path DIR --collection C --object NAME [--namespace NS] [--snap N]\n"
	  "         [--format json]",
	  "Shows an object's metadata: size, extents (logical range, byte offset in\n"
	  "DIR/block, per-block crc32c), xattrs and omap keys." },
	{ "get", tool_cmd_get, NEED_COLL | NEED_OBJECT,
	  "--path DIR --collection C --object NAME [--namespace NS] [--snap N]\n"
	  "         [-o FILE]",
	  "Writes an object's data to FILE (default: standard output). Every block\n"
	  "is verified; a checksum mismatch fails with an I/O error." },
	{ "put", tool_cmd_put, NEED_COLL | NEED_OBJECT | NEED_IN,
	  "--path DIR --collection C --object NAME [--namespace NS] -i FILE\n"
	  "         [--create-collection] [--xattr KEY=VALUE]... [--omap KEY=VALUE]...",
	  "Writes FILE (\"-\": standard input) as the object's whole data, replacing\n"
	  "any old data, and sets the given xattrs and omap keys. The collection\n"
	  "must exist unless --create-collection. Do not use on a live OSD's store." },
	{ "export", tool_cmd_export, NEED_COLL | NEED_OUT, "--path DIR --collection C -o FILE",
	  "Writes the collection (objects, data, xattrs, omap) to FILE in the\n"
	  "versioned, checksummed export format (see src/store/export.h)." },
	{ "import", tool_cmd_import, NEED_IN, "--path DIR -i FILE [--force]",
	  "Checks FILE completely, then creates its collection in the store. An\n"
	  "existing collection is refused unless --force, which replaces it." },
	{ "statfs", tool_cmd_statfs, 0, "--path DIR [--format json]",
	  "Shows space and object counts." },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: sepia-store-tool COMMAND --path DIR [options]\n"
	           "       sepia-store-tool COMMAND --help\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-17s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\ncommon options: --format json|plain, -v/--verbose (store log on stderr)\n"
	           "Read commands open the store read-only; every command refuses a store\n"
	           "that a running OSD holds. Exit status: 0 ok, 1 failure, 2 usage.\n");
}

static void cmd_help(const struct tool_cmd *c)
{
	printf("usage: sepia-store-tool %s %s\n\n%s\n", c->name, c->usage, c->help);
}

static const struct option opts[] = {
	{ "path", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 's' },
	{ "block-size", required_argument, NULL, 'b' },
	{ "deep", no_argument, NULL, 'd' },
	{ "collection", required_argument, NULL, 'c' },
	{ "object", required_argument, NULL, 'O' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "snap", required_argument, NULL, 'S' },
	{ "force", no_argument, NULL, 'f' },
	{ "create-collection", no_argument, NULL, 'C' },
	{ "format", required_argument, NULL, 'F' },
	{ "xattr", required_argument, NULL, 'x' },
	{ "omap", required_argument, NULL, 'm' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int add_kv(const char **v, unsigned *n, const char *s)
{
	if (*n == TOOL_KV_MAX || !strchr(s, '=')) {
		tool_err("expected KEY=VALUE (at most %d): %s", TOOL_KV_MAX, s);
		return -1;
	}
	v[(*n)++] = s;
	return 0;
}

static int parse_num(const char *s, uint64_t *out)
{
	char *end;

	*out = strtoull(s, &end, 0);
	return *s && !*end ? 0 : -1;
}

/* One option; -1 on a bad value, 1 for --help. */
static int parse_opt(int c, const char *v, struct tool_args *a)
{
	switch (c) {
	case 'p':
		a->path = v;
		return 0;
	case 's':
		return tool_parse_size(v, &a->size);
	case 'b':
		return tool_parse_size(v, &a->block_size);
	case 'd':
		a->deep = true;
		return 0;
	case 'c':
		a->coll = v;
		return 0;
	case 'O':
		a->object = v;
		return 0;
	case 'n':
		a->nspace = v;
		return 0;
	case 'S':
		return parse_num(v, &a->snap);
	case 'f':
		a->force = true;
		return 0;
	case 'C':
		a->create_coll = true;
		return 0;
	case 'o':
		a->out = v;
		return 0;
	case 'i':
		a->in = v;
		return 0;
	case 'x':
		return add_kv(a->xattr, &a->nxattr, v);
	case 'm':
		return add_kv(a->omap, &a->nomap, v);
	case 'v':
		a->verbose = true;
		return 0;
	case 'h':
		return 1;
	case 'F':
		a->json = !strcmp(v, "json");
		return a->json || !strcmp(v, "plain") ? 0 : -1;
	default:
		return -1;
	}
}

static const char *missing(const struct tool_cmd *c, const struct tool_args *a)
{
	if (!a->path)
		return "--path DIR";
	if ((c->need & NEED_COLL) && !a->coll)
		return "--collection C";
	if ((c->need & NEED_OBJECT) && !a->object)
		return "--object NAME";
	if ((c->need & NEED_IN) && !a->in)
		return "-i FILE";
	if ((c->need & NEED_OUT) && !a->out)
		return "-o FILE";
	return NULL;
}

static int run(const struct tool_cmd *c, int argc, char **argv)
{
	struct tool_args a = { .snap = STORE_SNAP_HEAD };
	const char *need;
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "p:c:o:i:vh", opts, NULL)) != -1) {
		rc = parse_opt(o, optarg, &a);
		if (rc == 1) {
			cmd_help(c);
			return TOOL_OK;
		}
		if (rc < 0) {
			fprintf(stderr, "usage: sepia-store-tool %s %s\n", c->name, c->usage);
			return TOOL_USAGE;
		}
	}
	need = missing(c, &a);
	if (optind < argc || need) {
		tool_err("%s: %s%s", c->name, need ? "missing " : "unexpected argument ",
		         need ? need : argv[optind]);
		fprintf(stderr, "usage: sepia-store-tool %s %s\n", c->name, c->usage);
		return TOOL_USAGE;
	}
	log_set_all_levels(a.verbose ? LOG_LVL_INFO : LOG_LVL_NONE);
	return c->run(&a);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	log_set_prefix("sepia-store-tool");
	if (!name || !strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		if (name && argc > 2)
			name = argv[2];
		else {
			usage(name ? stdout : stderr);
			return name ? TOOL_OK : TOOL_USAGE;
		}
		for (size_t i = 0; i < NCMDS; i++)
			if (!strcmp(cmds[i].name, name)) {
				cmd_help(&cmds[i]);
				return TOOL_OK;
			}
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return run(&cmds[i], argc - 1, argv + 1);
	tool_err("unknown command '%s'", name);
	usage(stderr);
	return TOOL_USAGE;
}
