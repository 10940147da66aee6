/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrackctl buffers: the views of a dma-buf scan (buffers-print.c, pure:
 * a scan in, text or JSON out, so the unit test can feed constructed
 * scans) and the command around them (buffers.c).
 */
#ifndef MEMTRACKCTL_BUFFERS_H
#define MEMTRACKCTL_BUFFERS_H

#include <stdbool.h>
#include <stdint.h>

#include <memtrackctl.h>

#include "print.h"

enum buffers_by {
	BY_PROCESS, /* a row per process (default) */
	BY_TAG, /* a row per buffer name */
	BY_EXPORTER, /* a row per exporter */
	BY_BUFFER, /* a row per buffer, with every holder */
};

/**
 * struct buffers_view - what to show
 * @by: the grouping
 * @has_pid: only the process @pid (see memtrackctl(1) for each @by)
 * @pid: that process (a thread group id)
 * @comm: its command name when it holds no dma-buf (it is then not in
 *	the scan); "" if unknown
 */
struct buffers_view {
	enum buffers_by by;
	bool has_pid;
	uint32_t pid;
	const char *comm;
};

/*
 * Print @s as @v says, then (text) the system totals and the note on the
 * processes that could not be read, or (JSON) one object with "totals"
 * and "unreadable" members.  Return: 0, or a negative errno (-ENOMEM, or
 * the printer's error).
 */
int buffers_print(struct printer *p, const struct mtc_dmabuf_scan *s,
		  const struct buffers_view *v);

/* "process", "tag", "exporter" or "buffer" to @by; -EINVAL if none. */
int buffers_parse_by(const char *s, enum buffers_by *by);

#endif /* MEMTRACKCTL_BUFFERS_H */
