/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memtrack internals shared by the core, debugfs, compat and netlink parts.
 */
#ifndef _MEMTRACK_INTERNAL_H
#define _MEMTRACK_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/memtrack.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <uapi/linux/memtrack.h>

struct dentry;

/* Bits in memtrack_node::flags. */
enum {
	MEMTRACK_LIVE,		/* linked under its parent, add event queued */
	MEMTRACK_DEAD,		/* claimed by a destroy; no longer reachable */
	MEMTRACK_CHANGE_QUEUED,	/* change_event is queued and not yet sent */
	MEMTRACK_DEL_SENT,	/* the del event went out: no change after it */
};

/* A netlink notification waiting for the event work. */
struct memtrack_nl_event {
	struct llist_node link;
	struct memtrack_node *node;	/* holds a reference */
	unsigned long due;		/* jiffies; change events only */
	u8 cmd;				/* MEMTRACK_CMD_NODE_*_NTF */
};

struct memtrack_notify {
	memtrack_notify_fn fn;
	void *priv;
	struct memtrack_node *node;
	struct delayed_work dwork;
	/*
	 * One for the node's pointer to it, one per invocation in progress;
	 * unregistering drops the first and waits for the rest.
	 */
	refcount_t users;
	struct list_head dead_link;	/* on a destroy's list of detached callbacks */
	struct rcu_head rcu;
};

struct memtrack_node {
	/* Written by every update of this node or of a descendant. */
	atomic64_t total;
	atomic64_t peak;
	atomic64_t self;
	atomic64_t count;

	/* Read by every update that passes through this node. */
	struct memtrack_node *parent;
	struct memtrack_notify __rcu *notify;
	int notify_delay_ms;
	u8 kind;
	u8 depth;
	unsigned long flags;

	/*
	 * One reference for the tree, one per child and one per queued
	 * event; the memory is freed after an RCU grace period.
	 */
	refcount_t ref;
	struct memtrack_nl_event change_event;

	/* Topology: children is an RCU list, modified under children_lock. */
	struct list_head children;
	struct list_head sibling;
	spinlock_t children_lock;	/* protects children */
	struct list_head reap_link;	/* on the list of a destroy's nodes */
	struct rhash_head id_link;
	u64 id;
	union {
		struct {			/* MEMTRACK_KIND_ALLOC */
			struct rhlist_head alloc_link;
			size_t alloc_size;
		};
		struct {			/* MEMTRACK_KIND_ROOT */
			struct list_head root_link;
			atomic_t tree_gen;	/* as memtrack_gen, per tree */
			struct dentry *debugfs_file;
			struct dentry *compat_debugfs_file;
		};
	};

	/* Identity, fixed at creation. */
	pid_t tgid;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	u64 created_ns;
	struct rcu_head rcu;
	char name[];
};

/*
 * The total of a destroyed subtree's top is raised by this bias once the
 * destroy took it out of the tree: updates that then reach it see a value
 * at or above MEMTRACK_TOTAL_LIMIT and go no further; readers take the
 * bias off.  Real totals stay far below (sizes are at most
 * MEMTRACK_BYTES_MAX each).
 */
#define MEMTRACK_DETACHED_BIAS	((s64)BIT_ULL(62))
#define MEMTRACK_TOTAL_LIMIT	((s64)BIT_ULL(61))

static inline bool memtrack_total_detached(s64 total)
{
	return total >= MEMTRACK_TOTAL_LIMIT;
}

/*
 * Totals may transiently dip below zero while concurrent updates of one
 * subtree walk up at different speeds; readers see 0 then.
 */
static inline u64 memtrack_counter_read(const atomic64_t *v)
{
	s64 val = atomic64_read(v);

	if (unlikely(memtrack_total_detached(val)))
		val -= MEMTRACK_DETACHED_BIAS;
	return val > 0 ? val : 0;
}

static inline const char *memtrack_display_name(const struct memtrack_node *node)
{
	return node->name[0] ? node->name : "(unnamed)";
}

/* Room for one line of the text view of any node. */
#define MEMTRACK_LINE_MAX	256

struct memtrack_node *__memtrack_create_root(const char *name, bool v4l2_compat);
struct memtrack_node *memtrack_dfs_next(struct memtrack_node *node,
					const struct memtrack_node *top,
					unsigned int max_depth);
struct memtrack_node *memtrack_forest_first(void);
unsigned int memtrack_topology_gen(const struct memtrack_node *top);
void memtrack_node_put(struct memtrack_node *node);
struct memtrack_node *memtrack_lookup_id(u64 id);
int memtrack_format_line(char *buf, size_t size,
			 const struct memtrack_node *node, int indent);

/* netlink.c */
int memtrack_netlink_init(void);
void memtrack_netlink_exit(void);
bool memtrack_nl_listening(void);
struct memtrack_nl_event *memtrack_nl_event_prepare(void);
void memtrack_nl_event_queue(struct memtrack_nl_event *ev,
			     struct memtrack_node *node, u8 cmd);
void memtrack_nl_node_event(struct memtrack_node *node, u8 cmd);
void memtrack_nl_node_changed(struct memtrack_node *node);

/* debugfs.c */
void memtrack_debugfs_init(void);
void memtrack_debugfs_exit(void);
void memtrack_debugfs_add_root(struct memtrack_node *root, bool v4l2_compat);
void memtrack_debugfs_remove_root(struct memtrack_node *root);

#endif /* _MEMTRACK_INTERNAL_H */
