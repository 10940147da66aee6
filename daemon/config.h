/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrackd configuration: /etc/memtrackd.conf plus drop-ins in
 * {/etc,/run,/usr/local/lib,/usr/lib}/memtrackd.conf.d/NAME.conf.  Pure
 * logic: reads files, needs no bus or kernel.
 *
 *	[Daemon]
 *	HistoryLevels=1s:10min 10s:6h 1min:24h 15min:7d
 *	HistoryMemoryMax=16M
 *	SaveIntervalSec=300
 *	PropertiesChangedMaxPerSec=4
 *	EventBufferBytes=8M
 *	PrometheusFile=/var/lib/prometheus/node-exporter/memtrack.prom
 *	PrometheusIntervalSec=15
 *	DmaBufScanIntervalSec=0
 *
 *	[Rule]
 *	Name=vpu-frames
 *	Match=vpu0/stream*
 *	Raise=256M            (or 80%)
 *	Clear=200M            (same kind as Raise; default: below Raise)
 *	PercentOf=MemTotal    (or parent; for percent values)
 *	RaiseAfterSec=0
 *	ClearAfterSec=0
 *	RepeatIntervalSec=0   (0: log a raised alert once)
 *	Severity=warning      (or critical)
 *
 * Every [Rule] section is one rule; a later rule with the same Name
 * replaces the earlier one.
 */
#ifndef MEMTRACKD_CONFIG_H
#define MEMTRACKD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define MTD_RULE_NAME_MAX 64
#define MTD_EVENT_BUFFER_DEFAULT (8 << 20)

enum mtd_percent_of {
	MTD_PERCENT_OF_NONE = 0,	/* Raise/Clear are absolute bytes */
	MTD_PERCENT_OF_MEMTOTAL,
	MTD_PERCENT_OF_PARENT,
};

/* AlertLevel values, spaced like low-memory-monitor's so more can be added. */
enum mtd_severity {
	MTD_SEVERITY_NONE = 0,
	MTD_SEVERITY_WARNING = 100,
	MTD_SEVERITY_CRITICAL = 255,
};

/**
 * struct mtd_rule - one [Rule] section
 * @name: Name=
 * @match: Match=, an fnmatch(3) glob over node paths ('*' crosses '/')
 * @percent_of: how raise and clear are meant
 * @raise: Raise=, bytes, or percent times 100 (8050 = 80.5%)
 * @clear: Clear=, same unit as @raise; @has_clear false when absent
 * @has_clear: Clear= was given
 * @raise_after_usec: RaiseAfterSec=
 * @clear_after_usec: ClearAfterSec=
 * @repeat_usec: RepeatIntervalSec=, 0 for no repeat
 * @severity: Severity=
 * @file: file that defined the rule (last one, for messages)
 * @line: line of its [Rule] header
 */
struct mtd_rule {
	char name[MTD_RULE_NAME_MAX];
	char *match;
	enum mtd_percent_of percent_of;
	uint64_t raise;
	uint64_t clear;
	bool has_clear;
	uint64_t raise_after_usec;
	uint64_t clear_after_usec;
	uint64_t repeat_usec;
	enum mtd_severity severity;
	char *file;
	unsigned int line;
};

struct mtd_config {
	struct mtd_history_config history;
	uint64_t save_interval_usec;
	unsigned int props_changed_max_per_sec;
	uint64_t event_buffer_bytes;	/* the kernel event socket's */
	char *prometheus_file;		/* NULL: export off */
	uint64_t prometheus_interval_usec;
	uint64_t dmabuf_scan_interval_usec;	/* 0: off */
	struct mtd_rule *rules;
	size_t n_rules;
};

/* Defaults, no rules. */
void mtd_config_init(struct mtd_config *cfg);
void mtd_config_free(struct mtd_config *cfg);

/*
 * Load the main file and the drop-ins, with every path under @root ("" or
 * NULL for "/").  A missing main file is fine.  On error returns -EINVAL
 * (or -errno of a failed read) with "file:line: message" in @err and
 * leaves @cfg untouched; on success replaces @cfg's contents.
 */
int mtd_config_load(struct mtd_config *cfg, const char *root, char *err,
		    size_t errlen);

/* Parse one file's text; used by mtd_config_load() and the fuzzer. */
int mtd_config_parse_text(struct mtd_config *cfg, const char *file,
			  const char *text, size_t len, char *err,
			  size_t errlen);

/* Final checks after all files: Clear >= Raise, missing Name/Match/Raise. */
int mtd_config_validate(struct mtd_config *cfg, char *err, size_t errlen);

/*
 * The files that mtd_config_load() reads, in order, under @root: the main
 * file (if present) and then drop-ins sorted by file name, where a name in
 * an earlier directory of /etc, /run, /usr/local/lib, /usr/lib masks the
 * same name in a later one.  A drop-in that is a symlink to /dev/null is
 * masked and not listed.  Returns the count or a negative errno; free with
 * mtd_config_files_free().
 */
int mtd_config_files(const char *root, char ***out);
void mtd_config_files_free(char **files);

/* "1s", "10min", "6h", "7d", "300" (seconds) -> microseconds. */
int mtd_parse_timespan(const char *s, uint64_t *usec);
/* "256M", "1.5G", "4096", "64K" (1024-based) -> bytes. */
int mtd_parse_bytes(const char *s, uint64_t *bytes);

#endif
