/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrackd's dma-buf tree: a procfs scan (libmemtrackctl's
 * mtc_dmabuf_scan()) turned into the nodes published beside the kernel's
 * forest, and the steps from one such tree to the next.  Pure logic: no
 * bus, no kernel, no clock; the caller scans and applies.
 *
 *	dmabuf                     every process that holds dma-bufs
 *	dmabuf/<comm>:<pid>        one such process
 *	dmabuf/<comm>:<pid>/<tag>  its buffers of one tag
 *
 * <tag> is the name set with DMA_BUF_SET_NAME.  Unnamed buffers are
 * grouped by exporter under "untagged:<exp_name>", or "untagged" when no
 * process holds an fd of the buffer (only mappings, which do not tell the
 * exporter).  In names, bytes outside printable ASCII and '/' and '#' are
 * written '_' (paths must stay valid UTF-8 for D-Bus, '/' separates and
 * '#' marks kernel ids), and names are cut at MTC_NAME_MAX - 1 bytes; tags
 * that become equal share one node.
 *
 * Bytes is a PSS share: a buffer's size divided by the number of processes
 * holding it by fd or mapping (rounded down per buffer), so shared buffers
 * are never counted twice.  A tag node's Bytes are its buffers' shares, a
 * process's the sum of its tags, the root's the sum of the processes':
 * the system's dma-bufs held by processes, less the rounding (under one
 * byte per holder of a shared buffer).  As in the kernel tree, SelfBytes
 * and Count are the node's own: a tag node has SelfBytes = Bytes and Count
 * = its number of buffers; processes and the root have 0 and 0.
 */
#ifndef MEMTRACKD_DMABUF_TREE_H
#define MEMTRACKD_DMABUF_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memtrackctl.h"

#define MTD_DMABUF_ROOT "dmabuf"
#define MTD_DMABUF_UNTAGGED "untagged"

/**
 * struct mtd_dmabuf_entry - one node of a dma-buf tree
 * @path: "dmabuf", "dmabuf/<comm>:<pid>" or "dmabuf/<comm>:<pid>/<tag>"
 * @name: last component of @path (points into it)
 * @depth: 0 root, 1 process, 2 tag
 * @parent: the parent entry in the same tree, NULL for the root
 * @pid: the process's, 0 for the root
 * @comm: the process's command name as read, "" for the root
 * @bytes: PSS share of the subtree
 * @self_bytes: @bytes for a tag, else 0
 * @count: buffers of a tag, else 0
 */
struct mtd_dmabuf_entry {
	char *path;
	const char *name;
	unsigned int depth;
	const struct mtd_dmabuf_entry *parent;
	uint32_t pid;
	char comm[MTC_COMM_MAX];
	uint64_t bytes;
	uint64_t self_bytes;
	uint64_t count;
};

/* Entries sorted by path (strcmp), so parents come before children. */
struct mtd_dmabuf_tree {
	struct mtd_dmabuf_entry *e;
	size_t n;
};

/*
 * Build the tree of the holding processes @procs (a list through ->next,
 * as from mtc_dmabuf_scan_procs(); NULL gives the root alone).  *@out is
 * replaced; free it with mtd_dmabuf_tree_free().  0 or -ENOMEM.
 */
int mtd_dmabuf_tree_build(const struct mtc_dmabuf_proc *procs,
			  struct mtd_dmabuf_tree *out);
void mtd_dmabuf_tree_free(struct mtd_dmabuf_tree *t);

/* @src as a path component (see above), NUL-terminated in @dst. */
void mtd_dmabuf_component(char *dst, size_t size, const char *src);

enum mtd_dmabuf_op {
	MTD_DMABUF_REMOVE, /* @was only */
	MTD_DMABUF_ADD, /* @now only */
	MTD_DMABUF_UPDATE, /* both: bytes, self_bytes or count differ */
	MTD_DMABUF_SAME, /* both, equal values */
};

/*
 * The steps from @old to @new, in an order that can be applied as is:
 * first every removal, children before parents, then additions, updates
 * and unchanged entries in path order, parents before children.  Entries
 * are matched by path.
 */
void mtd_dmabuf_diff(const struct mtd_dmabuf_tree *old,
		     const struct mtd_dmabuf_tree *new,
		     void (*fn)(enum mtd_dmabuf_op op,
				const struct mtd_dmabuf_entry *was,
				const struct mtd_dmabuf_entry *now, void *priv),
		     void *priv);

/* @path is "dmabuf" or under it. */
bool mtd_dmabuf_path(const char *path);
/* @path is a process node's: "dmabuf/<one component>". */
bool mtd_dmabuf_process_path(const char *path);
/* @path is @top or below it. */
bool mtd_dmabuf_under(const char *path, const char *top);

/*
 * The paths of processes gone from the tree whose history is still kept,
 * oldest first.  A path comes off when its process is back (same comm and
 * pid) or when more than a limit are kept; the caller then forgets the
 * history of the path and of everything under it.
 */
struct mtd_dmabuf_gone {
	char **paths;
	size_t n;
	size_t cap;
};

/* Append @path (moving it to the end if kept already).  0 or -ENOMEM. */
int mtd_dmabuf_gone_push(struct mtd_dmabuf_gone *g, const char *path);
/* Take @path off the list, if on it. */
void mtd_dmabuf_gone_drop(struct mtd_dmabuf_gone *g, const char *path);
/* The oldest path (to free()) while more than @keep are kept, else NULL. */
char *mtd_dmabuf_gone_pop(struct mtd_dmabuf_gone *g, size_t keep);
void mtd_dmabuf_gone_free(struct mtd_dmabuf_gone *g);

/*
 * From the text of /proc/self/mountinfo: whether the procfs on /proc has
 * hidepid=invisible (2) or hidepid=ptraceable (4), which hide the
 * processes this one may not ptrace, so that the scan cannot even count
 * them (systemd's ProtectProc=invisible or =ptraceable).
 */
bool mtd_dmabuf_procfs_hides(const char *mountinfo);
/* From the text of /proc/self/status: capability @cap is in CapEff. */
bool mtd_dmabuf_has_cap(const char *status, unsigned int cap);

#endif
