/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/cfg_int.h - private interface between cfg.c and cfg_ini.c. */
#ifndef SEPIA_COMMON_CFG_INT_H
#define SEPIA_COMMON_CFG_INT_H
#include "common/cfg.h"

/* One validated assignment read from a file, ready to apply. */
struct cfg_assign {
	enum cfg_key key;
	int rank; /* 0 [global], 1 [<type>], 2 [<type>.<id>] */
	char *value;
};

/* Checks that text is a valid value for key (type and bounds). 0, -EINVAL
 * (unparsable) or -ERANGE. */
int cfg_check_value(enum cfg_key key, const char *text);
/* Replaces the whole file layer with the given assignments (the ones that
 * apply to this daemon) in one step. Takes ownership of the values. */
int cfg_replace_file_layer(struct cfg *c, struct cfg_assign *a, size_t n);
/* Normalizes an option name into out ('-' and ' ' become '_'). 0 or -EINVAL. */
int cfg_normalize_name(const char *in, size_t len, char *out, size_t cap);
/* Which file sections apply: the rank of section name for this daemon, or
 * -1 if it does not apply. */
int cfg_section_rank(const struct cfg *c, const char *section);
/* Sets the daemon id (from --id/--name). 0 or -EINVAL. */
int cfg_set_id(struct cfg *c, const char *id);
/* Remembers the --conf path. */
int cfg_set_conf_path(struct cfg *c, const char *path);
const char *cfg_conf_path(const struct cfg *c);

#endif /* SEPIA_COMMON_CFG_INT_H */
