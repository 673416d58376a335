/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crush/text.h - the crushtool text format: compile to a map, decompile back.
 * Threads: pure functions of their arguments. decompile(compile(t)) is a
 * fixed point, and the text we write is accepted by Ceph's crushtool. */
#ifndef SEPIA_CRUSH_TEXT_H
#define SEPIA_CRUSH_TEXT_H
#include <stddef.h>

struct crush_map;

/* Where and why compilation stopped: a line, the offending token (truncated,
 * "" at end of input) and a static description of what was expected. */
struct crush_text_error {
	int line;
	char token[64];
	const char *reason;
};

/* Compiles len bytes of text. On -EINVAL err says where; *out untouched on
 * error. 0, -EINVAL, -ENOMEM. Caller owns *out. */
int crush_text_compile(const char *text, size_t len, struct crush_map **out,
                       struct crush_text_error *err);

/* Writes the text form of map into a NUL-terminated buffer the caller owns
 * (free()). 0, -ENOMEM, -EINVAL (a name or type is missing). */
int crush_text_decompile(const struct crush_map *map, char **out, size_t *len);

#endif /* SEPIA_CRUSH_TEXT_H */
