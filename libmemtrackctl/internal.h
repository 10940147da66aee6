/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemtrackctl internals.  msg.c and tree.c are pure (no sockets), so
 * they can be unit-tested and fuzzed with constructed messages.
 */
#ifndef MTC_INTERNAL_H
#define MTC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memtrackctl.h"

#define MTC_EXPORT __attribute__((visibility("default")))
#define MTC_ERRMSG_MAX 256

struct nlmsghdr;

/* Fields of a parsed node message beyond struct mtc_node. */
struct mtc_msg_info {
	uint8_t cmd;
	bool has_event_seq;
	uint32_t event_seq;
};

int mtc_msg_parse_node(struct nlmsghdr *nlh, struct mtc_node *node,
		       struct mtc_msg_info *info, char *err, size_t errlen);

struct mtc_tree *mtc_tree_new(void);
int mtc_tree_add(struct mtc_tree *tree, const struct mtc_node *node);

/*
 * dma-buf scan records: filled while procfs is read (dmabuf.c), kept and
 * turned into the public lists and figures by dmabuf-report.c.
 */
struct mtc_dmabuf_raw_holder {
	uint32_t pid, n_fds, n_vmas;
	uint64_t mapped;
};

struct mtc_dmabuf_raw_buf {
	uint64_t ino, size;
	bool exact;		/* size and exporter came from an fdinfo */
	char exp_name[MTC_DMABUF_NAME_MAX];
	char name[MTC_DMABUF_NAME_MAX];
	struct mtc_dmabuf_raw_holder *holders;	/* in pid order */
	size_t n_holders, cap_holders;
};

struct mtc_dmabuf_raw_ref {	/* one buffer of one process */
	uint32_t buf, holder;
};

struct mtc_dmabuf_raw_proc {
	uint32_t pid;
	char comm[MTC_COMM_MAX];
	bool complete;
	size_t first_ref, n_refs;
};

struct mtc_dmabuf_raw {
	struct mtc_dmabuf_raw_buf *bufs;	/* some may have no holder */
	size_t n_bufs, cap_bufs;
	uint32_t *hash;		/* by inode: buffer index + 1, 0 empty */
	size_t hash_cap;	/* a power of two */
	struct mtc_dmabuf_raw_ref *refs;
	size_t n_refs, cap_refs;
	struct mtc_dmabuf_raw_proc *procs;	/* in pid order */
	size_t n_procs, cap_procs;
	struct mtc_dmabuf_unreadable *unr;	/* in pid order */
	size_t n_unr, cap_unr;
	struct mtc_dmabuf_totals totals;	/* counters only */
};

static inline uint64_t mtc_sadd(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Makes room for @need elements of @elem bytes in *@pp, @first of them the
 * first time (most buffers have one holder: a page fault saved per buffer
 * on a big scan), doubling after.  0 or -ENOMEM.
 */
int mtc_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t first);

/* qsort(), after one pass that finds most inputs here already in order. */
void mtc_sort(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *));

/* The buffer with inode @ino, created if new: its index, or -ENOMEM. */
long mtc_dmabuf_raw_buf(struct mtc_dmabuf_raw *raw, uint64_t ino);

/*
 * Process @pid's holder of buffer @bi, created (with a ref) if new, or
 * NULL.  Processes must come in increasing pid order, so that a process's
 * holder of a buffer is the buffer's last one.
 */
struct mtc_dmabuf_raw_holder *
mtc_dmabuf_raw_holder(struct mtc_dmabuf_raw *raw, uint32_t bi, uint32_t pid);

/* Forgets refs from @first_ref on and their holders: a vanished process. */
void mtc_dmabuf_raw_drop(struct mtc_dmabuf_raw *raw, size_t first_ref);

void mtc_dmabuf_raw_free(struct mtc_dmabuf_raw *raw);

/* Builds the scan; takes raw->unr over.  Return: 0 or -ENOMEM. */
int mtc_dmabuf_report(struct mtc_dmabuf_raw *raw,
		      struct mtc_dmabuf_scan **out);

#endif /* MTC_INTERNAL_H */
