/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/cfg_ini.c - reading configuration: INI files in the ceph.conf
 * style, the command line and the environment.
 *
 * Grammar, per line: blank; "# comment" or "; comment"; "[section]";
 * "name = value" where value may be "quoted" and may end in a comment that
 * follows whitespace; a trailing backslash joins the next line. Lines before
 * the first section belong to [global]. A whole file is validated before
 * any of it is applied, so a bad file changes nothing. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/cfg_int.h"
#include "common/log.h"
#include "common/mem.h"

#define MAX_FILE_BYTES (4 << 20)
#define MAX_LINE       8192

extern char **environ;

struct ini_state {
	struct cfg *c;
	const char *file;
	unsigned line;
	int rank; /* of the current section, -1 when it does not apply */
	int errors;
	struct cfg_assign *a;
	size_t n, cap;
};

int cfg_section_rank(const struct cfg *c, const char *section)
{
	const char *type = cfg_daemon_name(cfg_daemon_type(c));

	if (strcmp(section, "global") == 0)
		return 0;
	if (strcmp(section, type) == 0)
		return 1;
	if (strcmp(section, cfg_name(c)) == 0)
		return 2;
	return -1;
}

static bool section_is_known(const char *s)
{
	static const char *const types[] = { "global", "mon", "osd", "mds", "client" };

	for (size_t i = 0; i < 5; i++) {
		size_t n = strlen(types[i]);

		if (strncmp(s, types[i], n) == 0 &&
		    (s[n] == '\0' || (s[n] == '.' && s[n + 1] && i)))
			return true;
	}
	return false;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* True when s holds nothing but white space and maybe a comment. */
static bool rest_is_empty(char *s)
{
	s = trim(s);
	return !s[0] || s[0] == '#' || s[0] == ';';
}

static int parse_section(struct ini_state *st, char *s)
{
	char *end = strchr(s, ']');

	if (!end || !rest_is_empty(end + 1)) {
		log_err(cfg, "%s:%u: malformed section header (expected [name])", st->file,
		        st->line);
		return -EINVAL;
	}
	*end = '\0';
	s = trim(s + 1);
	if (!s[0]) {
		log_err(cfg, "%s:%u: empty section name", st->file, st->line);
		return -EINVAL;
	}
	if (!section_is_known(s))
		log_warn(cfg, "%s:%u: unknown section [%s] ignored", st->file, st->line, s);
	st->rank = section_is_known(s) ? cfg_section_rank(st->c, s) : -1;
	return 0;
}

/* Splits the value off, removing quotes or a trailing comment. */
static int parse_value(struct ini_state *st, char *v, char **out)
{
	char *end;

	v = trim(v);
	if (*v == '"') {
		end = strchr(v + 1, '"');
		if (!end) {
			log_err(cfg, "%s:%u: unterminated quoted value", st->file, st->line);
			return -EINVAL;
		}
		*end = '\0';
		if (!rest_is_empty(end + 1)) {
			log_err(cfg, "%s:%u: text after quoted value", st->file, st->line);
			return -EINVAL;
		}
		*out = v + 1;
		return 0;
	}
	for (end = v; *end; end++)
		if ((*end == '#' || *end == ';') && end > v && isspace((unsigned char)end[-1]))
			break;
	*end = '\0';
	*out = trim(v);
	return 0;
}

static int add_assign(struct ini_state *st, enum cfg_key key, const char *value)
{
	char *copy = mem_strdup(value);

	if (!copy || mem_grow(&st->a, sizeof(*st->a), &st->cap, st->n + 1) < 0) {
		mem_free(copy);
		return -ENOMEM;
	}
	st->a[st->n++] = (struct cfg_assign){ .key = key, .rank = st->rank, .value = copy };
	return 0;
}

static int parse_assignment(struct ini_state *st, char *s)
{
	char *eq = strchr(s, '='), *name, *value, norm[128];
	int key, rc;

	if (!eq) {
		log_err(cfg, "%s:%u: expected 'name = value' or '[section]'", st->file, st->line);
		return -EINVAL;
	}
	*eq = '\0';
	name = trim(s);
	rc = cfg_normalize_name(name, strlen(name), norm, sizeof(norm));
	if (rc < 0) {
		log_err(cfg, "%s:%u: invalid option name '%s'", st->file, st->line, name);
		return rc;
	}
	rc = parse_value(st, eq + 1, &value);
	if (rc < 0)
		return rc;
	key = cfg_find(norm);
	if (key < 0) {
		log_warn(cfg, "%s:%u: unknown option '%s' ignored", st->file, st->line, norm);
		return 0;
	}
	rc = cfg_check_value((enum cfg_key)key, value);
	if (rc < 0) {
		const struct cfg_opt *o = cfg_opt((enum cfg_key)key);

		log_err(cfg, "%s:%u: %s: value '%s' %s (min %s, max %s)", st->file, st->line, norm,
		        value, rc == -ERANGE ? "out of range" : "is not valid",
		        o->min[0] ? o->min : "none", o->max[0] ? o->max : "none");
		return rc;
	}
	return st->rank < 0 ? 0 : add_assign(st, (enum cfg_key)key, value);
}

static int parse_line(struct ini_state *st, char *s)
{
	s = trim(s);
	if (!s[0] || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] == '[')
		return parse_section(st, s);
	return parse_assignment(st, s);
}

/* Copies the next logical line (joining backslash continuations) into buf;
 * returns the bytes consumed from text or -EINVAL when too long. */
static ssize_t next_line(struct ini_state *st, const char *text, size_t len, char *buf)
{
	size_t i = 0, n = 0;

	while (i < len) {
		char ch = text[i++];

		if (ch == '\n') {
			if (n > 0 && buf[n - 1] == '\\') {
				n--;
				st->line++;
				continue;
			}
			break;
		}
		if (n + 1 >= MAX_LINE)
			return -EINVAL;
		buf[n++] = ch == '\r' ? ' ' : ch;
	}
	buf[n] = '\0';
	return (ssize_t)i;
}

int cfg_load_text(struct cfg *c, const char *name, const char *text, size_t len)
{
	struct ini_state st = { .c = c, .file = name, .rank = 0 };
	char *line = mem_malloc(MAX_LINE);
	size_t off = 0;
	int rc = 0;

	if (!line)
		return -ENOMEM;
	if (memchr(text, '\0', len)) {
		log_err(cfg, "%s: contains a NUL byte; not a text file", name);
		rc = -EINVAL;
		goto out;
	}
	while (off < len && rc != -ENOMEM) {
		ssize_t used;

		st.line++;
		used = next_line(&st, text + off, len - off, line);
		if (used < 0) {
			log_err(cfg, "%s:%u: line longer than %d bytes", name, st.line, MAX_LINE);
			rc = -EINVAL;
			break;
		}
		off += (size_t)used;
		if (parse_line(&st, line) < 0)
			rc = rc ? rc : -EINVAL, st.errors++;
	}
	if (rc == 0)
		rc = cfg_replace_file_layer(c, st.a, st.n);
out:
	for (size_t i = 0; i < st.n; i++)
		mem_free(st.a[i].value);
	mem_free(st.a);
	mem_free(line);
	return rc;
}

int cfg_load_file(struct cfg *c, const char *path)
{
	FILE *f = fopen(path, "re");
	struct stat sb;
	char *text;
	size_t n;
	int rc;

	if (!f) {
		rc = -errno;
		log_err(cfg, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > MAX_FILE_BYTES) {
		log_err(cfg, "%s: not a regular file of at most %d bytes", path, MAX_FILE_BYTES);
		fclose(f);
		return -EINVAL;
	}
	text = mem_malloc((size_t)sb.st_size + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, (size_t)sb.st_size, f);
	rc = ferror(f) ? -EIO : cfg_load_text(c, path, text, n);
	mem_free(text);
	fclose(f);
	return rc;
}

int cfg_load_env(struct cfg *c)
{
	static const char pfx[] = "SEPIA_OPT_";

	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[128];
		int rc;

		if (strncmp(*e, pfx, sizeof(pfx) - 1) != 0 || !eq)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e - (sizeof(pfx) - 1)),
		         *e + sizeof(pfx) - 1);
		rc = cfg_set(c, CFG_LAYER_ENV, name, eq + 1);
		if (rc < 0) {
			log_err(cfg, "environment %s%s: %s", pfx, name,
			        rc == -ENOENT ? "unknown option" : strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int cfg_load(struct cfg *c)
{
	const char *path = cfg_conf_path(c);
	char def[4096];
	int rc = 0;

	if (!path)
		path = getenv("SEPIA_CONF");
	if (path && path[0]) {
		rc = cfg_load_file(c, path);
	} else {
		snprintf(def, sizeof(def), "/etc/sepia/%s.conf", cfg_str(c, CFG_KEY_cluster));
		if (access(def, F_OK) == 0)
			rc = cfg_load_file(c, def);
	}
	return rc < 0 ? rc : cfg_load_env(c);
}

/* --- command line -------------------------------------------------------- */

static bool is_special(const char *name)
{
	static const char *const names[] = { "c", "conf", "i", "id", "n", "name" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Applies -c/--conf, -i/--id, -n/--name. 0 or -EINVAL. */
static int apply_special(struct cfg *c, const char *name, const char *value)
{
	const char *type = cfg_daemon_name(cfg_daemon_type(c));
	size_t tlen = strlen(type);

	if (name[0] == 'c')
		return cfg_set_conf_path(c, value) < 0 ? -EINVAL : 0;
	if (name[0] == 'i')
		return cfg_set_id(c, value);
	/* --name TYPE.ID: the type must be this program's. */
	if (strncmp(value, type, tlen) != 0 || value[tlen] != '.')
		return -EINVAL;
	return cfg_set_id(c, value + tlen + 1);
}

/* Consumes argv[*i] (and maybe its value). 1 consumed, 0 left for the
 * caller, <0 error (logged). */
static int parse_one(struct cfg *c, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq, *value;
	bool short_opt = arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2];
	char norm[128];
	int key, rc;

	if (!short_opt && strncmp(arg, "--", 2) != 0)
		return 0;
	arg += short_opt ? 1 : 2;
	eq = strchr(arg, '=');
	if (cfg_normalize_name(arg, eq ? (size_t)(eq - arg) : strlen(arg), norm, sizeof(norm)) < 0)
		return 0;
	key = cfg_find(norm);
	if ((short_opt && !is_special(norm)) || (key < 0 && !is_special(norm)))
		return 0;
	value = eq ? eq + 1 : NULL;
	if (!value && key >= 0 && cfg_opt((enum cfg_key)key)->type == CFG_BOOL &&
	    (*i + 1 >= argc || argv[*i + 1][0] == '-'))
		value = "true";
	if (!value && *i + 1 < argc)
		value = argv[++*i];
	if (!value) {
		log_err(cfg, "option --%s needs a value", norm);
		return -EINVAL;
	}
	rc = key >= 0 ? cfg_set(c, CFG_LAYER_CMDLINE, norm, value) : apply_special(c, norm, value);
	if (rc < 0)
		log_err(cfg, "option --%s '%s': %s", norm, value,
		        rc == -ERANGE ? "out of range" : "invalid value");
	return rc < 0 ? rc : 1;
}

int cfg_parse_argv(struct cfg *c, int *argc, char **argv)
{
	int out = 1, i;

	for (i = 1; i < *argc; i++) {
		int rc;

		if (strcmp(argv[i], "--") == 0)
			break;
		rc = parse_one(c, *argc, argv, &i);
		if (rc < 0)
			return rc;
		if (rc == 0)
			argv[out++] = argv[i];
	}
	while (i < *argc)
		argv[out++] = argv[i++];
	argv[out] = NULL;
	*argc = out;
	return 0;
}
