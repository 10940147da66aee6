/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemtrackctl: client library for the memtrack kernel module.
 *
 * It speaks the "memtrack" generic netlink family (see
 * <linux/memtrack.h> and kernel/memtrack.yaml): dump the forest of nodes
 * into a tree, get one node, reset a peak, and follow change events.
 *
 * Every function that can fail returns a negative errno.  A handle keeps a
 * human-readable message about its last error (mtc_strerror()).  There is
 * no global state; use each handle from one thread at a time.
 *
 * Example: print every root and its total.
 *
 *	struct mtc_handle *h;
 *	struct mtc_tree *tree;
 *	const struct mtc_node *n;
 *	int err;
 *
 *	err = mtc_open(&h);
 *	if (err == -ENOENT)
 *		errx(1, "memtrack kernel module not loaded");
 *	if (err < 0 || (err = mtc_dump(h, 0, -1, &tree)) < 0)
 *		errx(1, "%s", h ? mtc_strerror(h) : strerror(-err));
 *	for (n = mtc_tree_roots(tree); n; n = n->next_sibling)
 *		printf("%s %llu\n", n->name, (unsigned long long)n->bytes);
 *	mtc_tree_free(tree);
 *	mtc_close(h);
 */
#ifndef MEMTRACKCTL_H
#define MEMTRACKCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MTC_NAME_MAX 64
#define MTC_COMM_MAX 16

/* Values of mtc_node::kind, as in the kernel's enum memtrack_kind. */
enum mtc_kind {
	MTC_KIND_ROOT = 1,
	MTC_KIND_NODE = 2,
	MTC_KIND_ALLOC = 3,
};

/**
 * struct mtc_node - one node, as reported by the kernel
 * @id: unique id (never reused while the module stays loaded)
 * @parent_id: id of the parent, 0 for a root
 * @name: node name, "" when unnamed
 * @kind: enum mtc_kind
 * @depth: 0 for a root
 * @bytes: total of the node and its subtree
 * @self_bytes: bytes accounted on the node itself
 * @count: the node's own allocation count
 * @peak_bytes: highest subtree total since creation or the last reset
 * @creator_tgid: process that created the node
 * @creator_pid: thread that created the node
 * @creator_comm: its command name
 * @created_ns: creation time, CLOCK_REALTIME ns
 * @parent: parent in a tree from mtc_dump(), else NULL
 * @first_child: first child in a tree from mtc_dump(), in creation order
 * @last_child: last child in a tree from mtc_dump()
 * @next_sibling: next sibling (or next root) in a tree from mtc_dump()
 * @n_children: number of children in a tree from mtc_dump()
 */
struct mtc_node {
	uint64_t id;
	uint64_t parent_id;
	char name[MTC_NAME_MAX];
	uint32_t kind;
	uint32_t depth;
	uint64_t bytes;
	uint64_t self_bytes;
	uint64_t count;
	uint64_t peak_bytes;
	uint32_t creator_tgid;
	uint32_t creator_pid;
	char creator_comm[MTC_COMM_MAX];
	uint64_t created_ns;

	struct mtc_node *parent;
	struct mtc_node *first_child;
	struct mtc_node *last_child;
	struct mtc_node *next_sibling;
	size_t n_children;
};

struct mtc_handle;
struct mtc_tree;
struct mtc_monitor;

/**
 * mtc_open() - connect to the memtrack family
 * @out: the new handle; on failure other than -ENOMEM, a handle is still
 *	returned so that mtc_strerror() can explain, and must be closed
 *
 * Return: 0, -ENOENT when the memtrack module is not loaded, or another
 * negative errno.
 */
int mtc_open(struct mtc_handle **out);

/** mtc_close() - close a handle (NULL is fine) */
void mtc_close(struct mtc_handle *h);

/** mtc_strerror() - a message about the handle's last error */
const char *mtc_strerror(const struct mtc_handle *h);

/**
 * mtc_dump() - dump the forest, or a subtree, into a tree
 * @h: handle
 * @top_id: 0 for the whole forest, else the id of the subtree's top
 * @max_depth: levels below the top to include, or -1 for all
 * @out: the tree, to be freed with mtc_tree_free()
 *
 * A dump interrupted by a concurrent change of the forest's shape
 * (NLM_F_DUMP_INTR) is retried a few times.
 *
 * Return: 0, -ENOENT for an unknown @top_id, -EPERM without
 * CAP_NET_ADMIN, -EAGAIN when every retry was interrupted, or another
 * negative errno.
 */
int mtc_dump(struct mtc_handle *h, uint64_t top_id, int max_depth,
	     struct mtc_tree **out);

/**
 * mtc_get() - get one node
 * @h: handle
 * @id: node id
 * @out: filled in; its tree links are NULL
 *
 * Return: 0, -ENOENT for an unknown id, or another negative errno.
 */
int mtc_get(struct mtc_handle *h, uint64_t id, struct mtc_node *out);

/**
 * mtc_reset_peak() - restart a node's peak at its current total
 * @h: handle
 * @id: node id
 *
 * Return: 0, -ENOENT, -EPERM without CAP_NET_ADMIN, or another errno.
 */
int mtc_reset_peak(struct mtc_handle *h, uint64_t id);

/** mtc_tree_free() - free a tree (NULL is fine) */
void mtc_tree_free(struct mtc_tree *tree);

/** mtc_tree_roots() - first top-level node; follow ->next_sibling */
const struct mtc_node *mtc_tree_roots(const struct mtc_tree *tree);

/** mtc_tree_size() - number of nodes in the tree */
size_t mtc_tree_size(const struct mtc_tree *tree);

/** mtc_tree_find_id() - a node by id, or NULL */
const struct mtc_node *mtc_tree_find_id(const struct mtc_tree *tree,
					uint64_t id);

/**
 * mtc_tree_find_path() - a node by path
 * @tree: the tree
 * @path: node names from a root, separated by '/', e.g. "vpu0/stream3/dpb";
 *	a component "#ID" matches the node with that id instead of a name
 *
 * When siblings share a name, the oldest matches.
 *
 * Return: the node, or NULL.
 */
const struct mtc_node *mtc_tree_find_path(const struct mtc_tree *tree,
					  const char *path);

/**
 * mtc_node_path() - write the path of a node in a tree
 * @node: a node of a tree from mtc_dump()
 * @buf: output
 * @size: its size
 *
 * Unnamed nodes appear as "#ID".
 *
 * Return: the length of the path, or -ENAMETOOLONG if it did not fit.
 */
int mtc_node_path(const struct mtc_node *node, char *buf, size_t size);

/**
 * struct mtc_event_ops - callbacks of a monitor; any may be NULL
 * @node_added: a node was created
 * @node_removed: a node was destroyed (children are reported first)
 * @node_changed: a node's usage or peak changed; carries the new values
 * @resync: events were lost (a sequence gap, or the socket overran);
 *	the caller's view is stale and should be rebuilt with mtc_dump()
 */
struct mtc_event_ops {
	void (*node_added)(const struct mtc_node *node, void *priv);
	void (*node_removed)(const struct mtc_node *node, void *priv);
	void (*node_changed)(const struct mtc_node *node, void *priv);
	void (*resync)(void *priv);
};

/**
 * mtc_monitor_open() - subscribe to memtrack events
 * @out: the new monitor
 * @ops: callbacks, called from mtc_monitor_dispatch()
 * @priv: passed to the callbacks
 *
 * Return: 0, -ENOENT when the module is not loaded, -EPERM without
 * CAP_NET_ADMIN, or another negative errno.
 */
int mtc_monitor_open(struct mtc_monitor **out, const struct mtc_event_ops *ops,
		     void *priv);

/** mtc_monitor_close() - unsubscribe (NULL is fine) */
void mtc_monitor_close(struct mtc_monitor *m);

/** mtc_monitor_fd() - a non-blocking fd to poll for POLLIN */
int mtc_monitor_fd(const struct mtc_monitor *m);

/**
 * mtc_monitor_set_rcvbuf() - set the socket receive buffer
 * @m: monitor
 * @bytes: size; the default is 256 KiB.  With CAP_NET_ADMIN it may exceed
 *	net.core.rmem_max (SO_RCVBUFFORCE); without, it is capped there
 *
 * Return: 0 or a negative errno.
 */
int mtc_monitor_set_rcvbuf(struct mtc_monitor *m, int bytes);

/**
 * mtc_monitor_dispatch() - handle events waiting on the socket
 * @m: monitor
 *
 * Handles what is waiting, but stops after a bounded number of socket
 * reads so that a storm of events cannot starve the caller's event loop;
 * the fd then still polls readable, and the next call goes on.
 *
 * Return: the number of events handled (0 if none was waiting), or a
 * negative errno.  Lost events are reported through ops->resync, not as an
 * error.
 */
int mtc_monitor_dispatch(struct mtc_monitor *m);

/**
 * mtc_monitor_discard() - drop the events waiting on the socket, unhandled
 * @m: monitor
 *
 * Call it just before a dump that replaces what the events would say:
 * every event still waiting is older than the dump, and applied after it
 * would set a node back to an older state, for good if the event that
 * followed was lost.  Events sent after this call arrive in order.
 *
 * Return: the number of events dropped, or a negative errno.
 */
int mtc_monitor_discard(struct mtc_monitor *m);

/** mtc_monitor_last_seq() - sequence number of the last event seen */
uint32_t mtc_monitor_last_seq(const struct mtc_monitor *m);

/** mtc_monitor_strerror() - a message about the monitor's last error */
const char *mtc_monitor_strerror(const struct mtc_monitor *m);

struct mtc_family_watch;

/**
 * mtc_family_watch_open() - follow the memtrack module's presence
 * @out: the new watch
 * @changed: called from mtc_family_watch_dispatch() when the family
 *	appears (@present true: the module was loaded) or disappears
 * @priv: passed to @changed
 *
 * Listens to the generic netlink controller's notifications, which need
 * no privilege; nothing is polled.  mtc_family_watch_present() tells the
 * state at the time of opening, which @changed does not report.
 *
 * Return: 0 or a negative errno.
 */
int mtc_family_watch_open(struct mtc_family_watch **out,
			  void (*changed)(bool present, void *priv),
			  void *priv);

/** mtc_family_watch_close() - stop watching (NULL is fine) */
void mtc_family_watch_close(struct mtc_family_watch *w);

/** mtc_family_watch_fd() - a non-blocking fd to poll for POLLIN */
int mtc_family_watch_fd(const struct mtc_family_watch *w);

/** mtc_family_watch_present() - whether the family exists, as last seen */
bool mtc_family_watch_present(const struct mtc_family_watch *w);

/**
 * mtc_family_watch_dispatch() - handle waiting notifications
 * @w: watch
 *
 * Return: 0 or a negative errno.
 */
int mtc_family_watch_dispatch(struct mtc_family_watch *w);

/*
 * ---------------------------------------------------------------------
 * dma-buf scanner (since LIBMEMTRACKCTL_1.1)
 *
 * Builds the per-process picture of dma-buf usage from procfs alone; it
 * needs neither the memtrack module nor netlink.  For each process (the
 * /proc/[0-9]* directories, i.e. thread group leaders; task/ is never
 * read) it reads:
 *  - /proc/PID/fdinfo/N of its dma-buf fds: "ino:", "size:", "exp_name:"
 *    and "name:" (the latter only when set with DMA_BUF_SET_NAME).  While
 *    most fds are not dma-bufs, the /proc/PID/fd/N links ("/dmabuf:<name>",
 *    or "anon_inode:dmabuf" on old kernels) pick which; once most fds seen
 *    are dma-bufs, every fdinfo is read and "exp_name:" tells, as that is
 *    cheaper;
 *  - /proc/PID/maps: lines whose path is "/dmabuf:<name>", matched to the
 *    buffer by the inode column.  This finds buffers still mapped after
 *    their fd was closed.
 * Buffers are identified by inode number, which the kernel makes unique
 * per dma-buf.  A buffer's share of a process (PSS) is its size divided
 * by the number of processes holding it by fd or by mapping.
 *
 * Lists are walked through their ->next pointers; never index them as
 * arrays (the structs may grow).  Everything stays valid until
 * mtc_dmabuf_scan_free().  Sums saturate at UINT64_MAX.
 *
 * Example: print each process's share.
 *
 *	struct mtc_dmabuf_scan *s;
 *	const struct mtc_dmabuf_proc *p;
 *
 *	if (mtc_dmabuf_scan(NULL, &s) < 0)
 *		err(1, "scan");
 *	for (p = mtc_dmabuf_scan_procs(s); p; p = p->next)
 *		printf("%u %s %llu\n", p->pid, p->comm,
 *		       (unsigned long long)p->pss_bytes);
 *	mtc_dmabuf_scan_free(s);
 * ---------------------------------------------------------------------
 */

/* DMA_BUF_NAME_LEN is 32; exporter names have no limit and are cut. */
#define MTC_DMABUF_NAME_MAX 64

struct mtc_dmabuf_scan;
struct mtc_dmabuf_buffer;
struct mtc_dmabuf_proc;

/**
 * struct mtc_dmabuf_holder - one process holding one buffer
 * @pid: process (thread group) id
 * @comm: its command name
 * @n_fds: fds of the process referring to the buffer
 * @n_vmas: mappings of the buffer in the process
 * @mapped_bytes: total size of those mappings
 * @pss_bytes: the buffer's size divided by its number of holders, rounded
 *	down so that the shares never exceed the size
 * @buffer: the buffer held
 * @proc: the process holding it
 * @next: next holder of the same buffer, by pid
 * @next_in_proc: next buffer held by the same process, by inode
 */
struct mtc_dmabuf_holder {
	uint32_t pid;
	char comm[MTC_COMM_MAX];
	uint32_t n_fds;
	uint32_t n_vmas;
	uint64_t mapped_bytes;
	uint64_t pss_bytes;
	const struct mtc_dmabuf_buffer *buffer;
	const struct mtc_dmabuf_proc *proc;
	const struct mtc_dmabuf_holder *next;
	const struct mtc_dmabuf_holder *next_in_proc;
};

/**
 * struct mtc_dmabuf_buffer - one dma-buf
 * @inode: inode number, the buffer's identity
 * @size: size in bytes
 * @size_estimated: no fd of the buffer was seen, only mappings: @size is
 *	that of its largest mapping (a lower bound) and @exp_name is ""
 * @exp_name: exporter (e.g. "system" for the dma-heap), "" if unknown
 * @name: name set with DMA_BUF_SET_NAME (the tag), "" when unnamed
 * @n_holders: processes holding it by fd or by mapping
 * @n_fds: fds referring to it, over all processes
 * @n_vmas: mappings of it, over all processes
 * @holders: first holder, by pid; follow ->next
 * @next: next buffer, by inode
 */
struct mtc_dmabuf_buffer {
	uint64_t inode;
	uint64_t size;
	bool size_estimated;
	char exp_name[MTC_DMABUF_NAME_MAX];
	char name[MTC_DMABUF_NAME_MAX];
	uint32_t n_holders;
	uint32_t n_fds;
	uint32_t n_vmas;
	const struct mtc_dmabuf_holder *holders;
	const struct mtc_dmabuf_buffer *next;
};

/**
 * struct mtc_dmabuf_group - a process's buffers of one exporter or tag
 * @key: the exporter name or the tag; "" for unknown or unnamed
 * @n_buffers: buffers in the group
 * @bytes: their total size
 * @fd_only_bytes: size of those held by fd but not mapped by the process
 * @mapped_bytes: size of the process's mappings of them
 * @pss_bytes: the process's share of them
 * @next: next group, by key
 */
struct mtc_dmabuf_group {
	const char *key;
	uint32_t n_buffers;
	uint64_t bytes;
	uint64_t fd_only_bytes;
	uint64_t mapped_bytes;
	uint64_t pss_bytes;
	const struct mtc_dmabuf_group *next;
};

/**
 * struct mtc_dmabuf_proc - a process holding at least one dma-buf
 * @pid: process (thread group) id
 * @comm: command name
 * @complete: false if part of the process could not be read (it is then
 *	also in the unreadable list); the figures cover what was read
 * @n_buffers: distinct buffers held by fd or mapping
 * @n_fds: dma-buf fds
 * @n_vmas: dma-buf mappings
 * @bytes: total size of the distinct buffers held
 * @fd_only_bytes: size of the buffers held by fd and not mapped: memory
 *	that RSS does not show
 * @mapped_bytes: total size of the process's dma-buf mappings
 * @pss_bytes: sum over its buffers of size / number of holders
 * @holders: its buffers, by inode; follow ->next_in_proc
 * @by_exporter: totals per exporter name, by name
 * @by_tag: totals per buffer name, by name
 * @next: next process, by pid
 */
struct mtc_dmabuf_proc {
	uint32_t pid;
	char comm[MTC_COMM_MAX];
	bool complete;
	uint32_t n_buffers;
	uint32_t n_fds;
	uint32_t n_vmas;
	uint64_t bytes;
	uint64_t fd_only_bytes;
	uint64_t mapped_bytes;
	uint64_t pss_bytes;
	const struct mtc_dmabuf_holder *holders;
	const struct mtc_dmabuf_group *by_exporter;
	const struct mtc_dmabuf_group *by_tag;
	const struct mtc_dmabuf_proc *next;
};

/**
 * struct mtc_dmabuf_unreadable - a process that could not be fully read
 * @pid: process id
 * @comm: command name, "" if it could not be read either
 * @errnum: the error (a positive errno value, e.g. EACCES)
 * @what: what failed first: "pid" (its directory), "fd", "fdinfo" or
 *	"maps"
 * @next: next one, by pid
 */
struct mtc_dmabuf_unreadable {
	uint32_t pid;
	char comm[MTC_COMM_MAX];
	int errnum;
	const char *what;
	const struct mtc_dmabuf_unreadable *next;
};

/**
 * struct mtc_dmabuf_totals - system-wide figures of a scan
 * @n_buffers: distinct buffers seen
 * @bytes: their total size, each buffer counted once
 * @mapped_bytes: size of the buffers mapped by at least one process
 * @fd_only_bytes: size of the buffers mapped by none (held by fd only);
 *	@mapped_bytes + @fd_only_bytes = @bytes
 * @n_pids: process directories listed
 * @n_procs: processes holding at least one buffer
 * @n_vanished: processes that exited while being scanned (not counted)
 * @n_unreadable: processes in the unreadable list
 * @n_malformed: dma-buf fdinfo files or maps lines that could not be
 *	parsed (missing or garbled size or inode, numbers out of range)
 */
struct mtc_dmabuf_totals {
	uint32_t n_buffers;
	uint64_t bytes;
	uint64_t mapped_bytes;
	uint64_t fd_only_bytes;
	uint32_t n_pids;
	uint32_t n_procs;
	uint32_t n_vanished;
	uint32_t n_unreadable;
	uint32_t n_malformed;
};

/**
 * mtc_dmabuf_scan() - scan procfs for dma-buf holders
 * @proc_root: procfs mount to read, NULL for "/proc"; tests pass a
 *	constructed tree
 * @out: the result, to be freed with mtc_dmabuf_scan_free()
 *
 * Processes that vanish during the scan are skipped and counted; those
 * that cannot be read (EACCES without CAP_SYS_PTRACE, ...) are listed,
 * never silently left out.  Neither makes the scan fail.
 *
 * Return: 0, or a negative errno: -ENOENT or -ENOTDIR for a bad
 * @proc_root, -ENOMEM.
 */
int mtc_dmabuf_scan(const char *proc_root, struct mtc_dmabuf_scan **out);

/** mtc_dmabuf_scan_free() - free a scan (NULL is fine) */
void mtc_dmabuf_scan_free(struct mtc_dmabuf_scan *s);

/** mtc_dmabuf_scan_totals() - the system-wide figures */
const struct mtc_dmabuf_totals *
mtc_dmabuf_scan_totals(const struct mtc_dmabuf_scan *s);

/** mtc_dmabuf_scan_buffers() - first buffer (by inode), or NULL */
const struct mtc_dmabuf_buffer *
mtc_dmabuf_scan_buffers(const struct mtc_dmabuf_scan *s);

/** mtc_dmabuf_scan_procs() - first holding process (by pid), or NULL */
const struct mtc_dmabuf_proc *
mtc_dmabuf_scan_procs(const struct mtc_dmabuf_scan *s);

/** mtc_dmabuf_scan_unreadable() - first unreadable process, or NULL */
const struct mtc_dmabuf_unreadable *
mtc_dmabuf_scan_unreadable(const struct mtc_dmabuf_scan *s);

/** mtc_dmabuf_scan_find_buffer() - a buffer by inode, or NULL */
const struct mtc_dmabuf_buffer *
mtc_dmabuf_scan_find_buffer(const struct mtc_dmabuf_scan *s, uint64_t inode);

/** mtc_dmabuf_scan_find_proc() - a holding process by pid, or NULL */
const struct mtc_dmabuf_proc *
mtc_dmabuf_scan_find_proc(const struct mtc_dmabuf_scan *s, uint32_t pid);

#ifdef __cplusplus
}
#endif

#endif /* MEMTRACKCTL_H */
