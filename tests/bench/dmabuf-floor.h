/* SPDX-License-Identifier: GPL-2.0 */
/* The floor reader of tests/bench/dmabuf-floor.c, shared with dmabuf-scan.c. */
#ifndef DMABUF_FLOOR_H
#define DMABUF_FLOOR_H

#include <stdint.h>

struct floor_stats {
	unsigned long pids, files;
	uint64_t bytes;
};

/* One floor pass over @root: 0, or -1 with errno if @root cannot be opened. */
int floor_pass(const char *root, struct floor_stats *st);

#endif
