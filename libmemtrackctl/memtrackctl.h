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

#ifdef __cplusplus
}
#endif

#endif /* MEMTRACKCTL_H */
