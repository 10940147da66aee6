// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the memtrackd config parser, built and run by
 * tests/unit/test-fuzz-config.sh.  Besides the sanitizers, it traps when
 * a promise of the parser is broken: every parse error names the file
 * and line, and a config that validates is one the daemon can use.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_usable(const struct mtd_config *cfg)
{
	const struct mtd_rule *r;
	size_t i;

	if (!cfg->props_changed_max_per_sec ||
	    cfg->props_changed_max_per_sec > 1000 ||
	    cfg->save_interval_usec < 1000000 ||
	    cfg->prometheus_interval_usec < 1000000 ||
	    (cfg->prometheus_file && cfg->prometheus_file[0] != '/') ||
	    mtd_history_config_check(&cfg->history))
		__builtin_trap();
	for (i = 0; i < cfg->n_rules; i++) {
		r = &cfg->rules[i];
		if (!r->name[0] || memchr(r->name, '\0', sizeof(r->name)) == NULL ||
		    !r->match || !r->match[0] || !r->file || !r->raise ||
		    (r->has_clear && r->clear >= r->raise))
			__builtin_trap();
		if (r->percent_of != MTD_PERCENT_OF_NONE &&
		    (r->raise > 10000 || (r->has_clear && !r->clear)))
			__builtin_trap();
		if (r->severity != MTD_SEVERITY_WARNING &&
		    r->severity != MTD_SEVERITY_CRITICAL)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtd_config cfg;
	char err[256];
	int r;

	mtd_config_init(&cfg);
	err[0] = '\0';
	r = mtd_config_parse_text(&cfg, "fuzz.conf", (const char *)data, size,
				  err, sizeof(err));
	if (r == -EINVAL && strncmp(err, "fuzz.conf:", 10))
		__builtin_trap();
	if (!r && !mtd_config_validate(&cfg, err, sizeof(err)))
		check_usable(&cfg);
	mtd_config_free(&cfg);
	return 0;
}
