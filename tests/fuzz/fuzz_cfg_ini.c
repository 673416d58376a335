/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz_cfg_ini.c - arbitrary bytes as a configuration file, then
 * as command-line words: errors are fine, crashes and leaks are not. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/cfg.h"
#include "common/log.h"
#include "common/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use_values(struct cfg *c)
{
	char buf[64];

	for (int k = 0; k < CFG_KEY_COUNT; k++) {
		if (cfg_opt((enum cfg_key)k)->type == CFG_STR)
			(void)strlen(cfg_str(c, (enum cfg_key)k));
		cfg_get_text(c, cfg_opt((enum cfg_key)k)->name, buf, sizeof(buf));
	}
}

static void fuzz_argv(struct cfg *c, const uint8_t *data, size_t size)
{
	char *copy = mem_strndup((const char *)data, size), *argv[34], *save = NULL, *tok;
	int argc = 1;

	if (!copy)
		return;
	argv[0] = "fuzz";
	for (tok = strtok_r(copy, " \n", &save); tok && argc < 33;
	     tok = strtok_r(NULL, " \n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	cfg_parse_argv(c, &argc, argv);
	mem_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c;

	log_set_all_levels(LOG_LVL_NONE);
	if (cfg_create(CFG_D_OSD, "3", &c) < 0)
		return 0;
	cfg_load_text(c, "fuzz.conf", (const char *)data, size);
	use_values(c);
	fuzz_argv(c, data, size);
	use_values(c);
	cfg_destroy(c);
	return 0;
}
