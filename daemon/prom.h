/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Prometheus export for node_exporter's textfile collector
 * (--collector.textfile.directory): a *.prom file in the text exposition
 * format, replaced atomically.  Pure logic: no bus, no kernel.
 *
 *	# HELP memtrack_node_bytes ...
 *	# TYPE memtrack_node_bytes gauge
 *	memtrack_node_bytes{path="vpu0/stream3"} 1048576
 *	# HELP memtrack_node_peak_bytes ...
 *	# TYPE memtrack_node_peak_bytes gauge
 *	memtrack_node_peak_bytes{path="vpu0/stream3"} 2097152
 *	# HELP memtrack_alert_active ...
 *	# TYPE memtrack_alert_active gauge
 *	memtrack_alert_active{path="vpu0/stream3",rule="vpu",severity="warning"} 1
 *
 * The three HELP/TYPE pairs are always written, also with no nodes or
 * alerts.  Label values are escaped as the format asks (\\, \", \n), and
 * bytes that are not valid UTF-8 become U+FFFD, since the parser rejects
 * the whole file for one label value that is not UTF-8.  A node path given
 * twice (after that replacement) is written once, with the first entry's
 * values, and likewise an alert's (path, rule) pair: the collector would
 * report duplicate series as an error.
 */
#ifndef MEMTRACKD_PROM_H
#define MEMTRACKD_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * struct mtd_prom_node - one node's sample
 * @path: node path, e.g. "vpu0/stream3/dpb"
 * @bytes: current total, descendants included
 * @peak_bytes: peak of @bytes
 */
struct mtd_prom_node {
	const char *path;
	uint64_t bytes;
	uint64_t peak_bytes;
};

/**
 * struct mtd_prom_alert - one raised alert
 * @path: node path
 * @rule: rule name
 * @severity: "warning" or "critical"
 */
struct mtd_prom_alert {
	const char *path;
	const char *rule;
	const char *severity;
};

/*
 * Write the exposition text to @f.  Returns 0, -EINVAL when a string is
 * NULL (nothing is written then), -ENOMEM, or the negative errno of a
 * failed write (-EIO when the stream did not set errno).
 */
int mtd_prom_format(FILE *f, const struct mtd_prom_node *nodes, size_t n_nodes,
		    const struct mtd_prom_alert *alerts, size_t n_alerts);

/*
 * Replace @file atomically with the text of mtd_prom_format(): write a
 * temporary file ".<name>.XXXXXX" in the same directory (not matched by
 * the collector's *.prom), mode 0644 whatever the umask, fsync it and
 * rename it over @file.  Returns 0 or a negative errno; on error the
 * temporary file is removed and @file is left as it was.
 */
int mtd_prom_write(const char *file, const struct mtd_prom_node *nodes,
		   size_t n_nodes, const struct mtd_prom_alert *alerts,
		   size_t n_alerts);

#endif
