// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack core: the node tree, its counters and change callbacks.
 *
 * Every node carries its own bytes (self), the total of its subtree, the
 * subtree's high watermark and an allocation count.  An update changes self
 * and then adds the delta to the total of the node and of each ancestor, one
 * atomic operation per level as mm/page_counter.c does, so updates cost
 * O(depth) and reads O(1), with no lock on the update path.
 *
 * Topology changes (creating and destroying nodes) take only the parent's
 * children_lock.  Readers of the topology (debugfs, netlink, debug prints)
 * walk the children lists under RCU and nodes are freed after a grace period.
 * Named allocations are kept in a hash keyed by (parent, size, name), so a
 * named free does not scan siblings.
 *
 * A node becomes MEMTRACK_LIVE, and so can be found by id or claimed by a
 * named free, in the critical section of its parent's children_lock that
 * links it and queues its add event; a destroy claims it by setting
 * MEMTRACK_DEAD, under the same lock for every node below the top.  So a
 * create under a dying parent either lands before the destroy looks at the
 * parent (and is destroyed with it) or fails, a leaf is never claimed half
 * made, and an add event always precedes the node's del event.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait_bit.h>

#include "internal.h"

/*
 * Initial buckets of the hash tables.  They grow with the tree and never
 * shrink: a buffer pool that fills and drains made them resize back and
 * forth, and inserts during a resize fail with -EBUSY (retried, but slow).
 * A bucket is a pointer; a node is some 300 bytes.
 */
#define MEMTRACK_HASH_MIN_SIZE		1024

/* Cap on lines printed by memtrack_print_debug(), to keep leaks readable. */
#define MEMTRACK_PRINT_MAX_LINES	512

static atomic64_t memtrack_next_id = ATOMIC64_INIT(0);

/* Bumped on every topology change; never 0, so netlink dumps can use it. */
static atomic_t memtrack_gen = ATOMIC_INIT(1);

static struct rhashtable memtrack_ids;
static struct rhltable memtrack_allocs;

/* Roots, for enumeration by debugfs and netlink.  Root changes are rare. */
static LIST_HEAD(memtrack_roots);
static DEFINE_MUTEX(memtrack_roots_lock);

/*
 * Serialises register and unregister.  Invocations are tracked by
 * memtrack_notify::users, so a callback may unregister other callbacks.
 */
static DEFINE_MUTEX(memtrack_notify_lock);

static const struct rhashtable_params memtrack_id_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct memtrack_node, id),
	.head_offset = offsetof(struct memtrack_node, id_link),
	.min_size = MEMTRACK_HASH_MIN_SIZE,
};

struct memtrack_alloc_key {
	const struct memtrack_node *parent;
	size_t size;
	const char *name;
};

static u32 memtrack_alloc_hash(const struct memtrack_node *parent,
			       size_t size, const char *name, u32 seed)
{
	u32 h = jhash(name, strlen(name), seed);

	return jhash_3words((u32)(unsigned long)parent, (u32)size,
			    (u32)((u64)size >> 32), h);
}

static u32 memtrack_alloc_key_hashfn(const void *data, u32 len, u32 seed)
{
	const struct memtrack_alloc_key *key = data;

	return memtrack_alloc_hash(key->parent, key->size, key->name, seed);
}

static u32 memtrack_alloc_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct memtrack_node *leaf = data;

	return memtrack_alloc_hash(leaf->parent, leaf->alloc_size, leaf->name,
				   seed);
}

static int memtrack_alloc_obj_cmpfn(struct rhashtable_compare_arg *arg,
				    const void *obj)
{
	const struct memtrack_alloc_key *key = arg->key;
	const struct memtrack_node *leaf = obj;

	return leaf->parent != key->parent || leaf->alloc_size != key->size ||
	       strcmp(leaf->name, key->name);
}

static const struct rhashtable_params memtrack_alloc_params = {
	.head_offset = offsetof(struct memtrack_node, alloc_link),
	.hashfn = memtrack_alloc_key_hashfn,
	.obj_hashfn = memtrack_alloc_obj_hashfn,
	.obj_cmpfn = memtrack_alloc_obj_cmpfn,
	.min_size = MEMTRACK_HASH_MIN_SIZE,
};

static bool memtrack_valid(const struct memtrack_node *node)
{
	return !IS_ERR_OR_NULL(node);
}

static void memtrack_gen_bump(atomic_t *gen)
{
	if (unlikely(!atomic_inc_return(gen)))
		atomic_inc(gen);
}

static struct memtrack_node *memtrack_root_of(const struct memtrack_node *node)
{
	while (node->parent)
		node = node->parent;
	return (struct memtrack_node *)node;
}

/* @node was created or destroyed; its ancestors are still valid. */
static void memtrack_topology_changed(struct memtrack_node *node)
{
	memtrack_gen_bump(&memtrack_gen);
	memtrack_gen_bump(&memtrack_root_of(node)->tree_gen);
}

/**
 * memtrack_topology_gen() - generation of the shape of the forest or a tree
 * @top: a node, for the generation of its tree; NULL for the whole forest
 *
 * Context: rcu_read_lock() held, or a reference on @top.
 * Return: a value that changes whenever a node is created or destroyed in
 * the forest, or in @top's tree; never 0.
 */
unsigned int memtrack_topology_gen(const struct memtrack_node *top)
{
	const atomic_t *gen = top ? &memtrack_root_of(top)->tree_gen :
				    &memtrack_gen;

	return atomic_read(gen) ?: 1;
}

/**
 * memtrack_node_put() - drop a reference to a node
 * @node: the node
 *
 * The last reference frees the node after an RCU grace period and drops the
 * reference it held on its parent.  Exported in the MEMTRACK_INTERNAL
 * namespace for the white-box tests of kernel/tests/ only.
 */
void memtrack_node_put(struct memtrack_node *node)
{
	struct memtrack_node *parent;

	while (node && refcount_dec_and_test(&node->ref)) {
		parent = node->parent;
		kfree_rcu(node, rcu);
		node = parent;
	}
}
EXPORT_SYMBOL_NS_GPL(memtrack_node_put, MEMTRACK_INTERNAL);

static void memtrack_update_peak(struct memtrack_node *node, s64 total)
{
	s64 peak = atomic64_read(&node->peak);

	while (total > peak)
		if (atomic64_try_cmpxchg(&node->peak, &peak, total))
			break;
}

static void memtrack_notify_one(struct memtrack_node *node,
				struct memtrack_notify *nt)
{
	int delay = READ_ONCE(node->notify_delay_ms);

	if (delay < 0)
		return;
	if (delay == 0)
		nt->fn(node, memtrack_counter_read(&node->total), nt->priv);
	else
		queue_delayed_work(system_wq, &nt->dwork,
				   msecs_to_jiffies(delay));
}

static void memtrack_notify_put(struct memtrack_notify *nt)
{
	if (refcount_dec_and_test(&nt->users))
		wake_up_var(&nt->users);
}

/*
 * Each callback runs holding a use of its memtrack_notify and no lock, so
 * that it may do anything but wait for itself: unregister other nodes'
 * callbacks or destroy subtrees holding them.
 */
static void memtrack_notify_walk(struct memtrack_node *node,
				 const struct memtrack_node *end)
{
	struct memtrack_notify *nt;

	for (; node != end; node = node->parent) {
		rcu_read_lock();
		nt = rcu_dereference(node->notify);
		if (nt && !refcount_inc_not_zero(&nt->users))
			nt = NULL;
		rcu_read_unlock();
		if (nt) {
			memtrack_notify_one(node, nt);
			memtrack_notify_put(nt);
		}
	}
}

/*
 * Add @delta to the total of @node and of every ancestor, then schedule the
 * callbacks and netlink events along the way.
 *
 * The walk stops after the top of a destroyed subtree: its total was
 * detached (memtrack_detach_total()) before this add, so the destroy did
 * not count @delta and the ancestors must not get it either.  An add that
 * came before the detach is in the destroy's count and goes all the way.
 *
 * Whether anyone listens is asked after the atomics: a listener that joins
 * and dumps in between then either gets the event or dumps the new value.
 */
static void memtrack_propagate(struct memtrack_node *node, s64 delta)
{
	struct memtrack_node *n, *end = NULL;
	bool notify = false;
	s64 total;

	for (n = node; n; n = n->parent) {
		total = atomic64_add_return(delta, &n->total);
		notify |= !!rcu_access_pointer(n->notify);
		if (unlikely(memtrack_total_detached(total))) {
			end = n->parent;
			break;
		}
		if (delta > 0)
			memtrack_update_peak(n, total);
	}
	if (memtrack_nl_listening())
		for (n = node; n != end; n = n->parent)
			memtrack_nl_node_changed(n);
	if (notify)
		memtrack_notify_walk(node, end);
}

/*
 * Take @node's subtree total out of the tree, once: from here on every
 * update that reaches @node stops there (see memtrack_propagate()).  The
 * bias is added, not exchanged, so that the node still reads its last
 * bytes (its del event carries them).
 * Return: what the ancestors hold of this subtree, to subtract from them.
 */
static s64 memtrack_detach_total(struct memtrack_node *node)
{
	return atomic64_fetch_add(MEMTRACK_DETACHED_BIAS, &node->total);
}

/* Only the node's own count changed: no total moved, but listeners care. */
static void memtrack_count_changed(struct memtrack_node *node)
{
	if (memtrack_nl_listening())
		memtrack_nl_node_changed(node);
}

static void memtrack_notify_workfn(struct work_struct *work)
{
	struct memtrack_notify *nt = container_of(to_delayed_work(work),
						  struct memtrack_notify, dwork);

	nt->fn(nt->node, memtrack_counter_read(&nt->node->total), nt->priv);
}

static struct memtrack_node *memtrack_node_new(struct memtrack_node *parent,
					       const char *name, u8 kind)
{
	struct memtrack_node *node;
	size_t len = name ? strnlen(name, MEMTRACK_NAME_MAX) : 0;

	if (len == MEMTRACK_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	node = kzalloc(struct_size(node, name, len + 1), GFP_KERNEL);
	if (!node)
		return ERR_PTR(-ENOMEM);

	if (len)
		memcpy(node->name, name, len);
	node->kind = kind;
	refcount_set(&node->ref, 1);
	node->change_event.node = node;
	node->change_event.cmd = MEMTRACK_CMD_NODE_CHANGE_NTF;
	if (parent)
		refcount_inc(&parent->ref);
	node->parent = parent;
	node->depth = parent ? parent->depth + 1 : 0;
	if (!parent)
		atomic_set(&node->tree_gen, 1);
	INIT_LIST_HEAD(&node->children);
	spin_lock_init(&node->children_lock);
	node->id = atomic64_inc_return(&memtrack_next_id);
	node->tgid = task_tgid_nr(current);
	node->pid = task_pid_nr(current);
	get_task_comm(node->comm, current);
	node->created_ns = ktime_get_real_ns();
	return node;
}

/* The last step of publishing: from here on, lookups and claims find it. */
static void memtrack_node_set_live(struct memtrack_node *node)
{
	smp_mb__before_atomic();	/* list link and add event first */
	set_bit(MEMTRACK_LIVE, &node->flags);
}

static bool memtrack_node_live(const struct memtrack_node *node)
{
	return test_bit(MEMTRACK_LIVE, &node->flags) &&
	       !test_bit(MEMTRACK_DEAD, &node->flags);
}

/*
 * rhashtable returns -EBUSY when an insert finds the table in the middle of
 * a resize that cannot take it yet: a pool of a few thousand buffers of one
 * name did, on and off.  The resize runs from a work item; give it time.
 */
#define MEMTRACK_INSERT_TRIES	1000

static int memtrack_ids_insert(struct memtrack_node *node)
{
	unsigned int tries = 0;
	int err;

	while ((err = rhashtable_insert_fast(&memtrack_ids, &node->id_link,
					     memtrack_id_params)) == -EBUSY &&
	       ++tries < MEMTRACK_INSERT_TRIES)
		usleep_range(20, 100);
	return err;
}

static int memtrack_allocs_insert(struct memtrack_node *leaf)
{
	unsigned int tries = 0;
	int err;

	while ((err = rhltable_insert(&memtrack_allocs, &leaf->alloc_link,
				      memtrack_alloc_params)) == -EBUSY &&
	       ++tries < MEMTRACK_INSERT_TRIES)
		usleep_range(20, 100);
	return err;
}

/* Make a fully initialised node reachable under its parent. */
static int memtrack_node_publish(struct memtrack_node *node)
{
	struct memtrack_node *parent = node->parent;
	struct memtrack_nl_event *ev;
	int err;

	err = memtrack_ids_insert(node);
	if (err)
		return err;

	if (node->kind == MEMTRACK_KIND_ALLOC) {
		err = memtrack_allocs_insert(node);
		if (err)
			goto err_alloc;
	}

	ev = memtrack_nl_event_prepare();
	spin_lock(&parent->children_lock);
	if (test_bit(MEMTRACK_DEAD, &parent->flags)) {
		spin_unlock(&parent->children_lock);
		kfree(ev);
		err = -ENODEV;
		goto err_dead;
	}
	list_add_tail_rcu(&node->sibling, &parent->children);
	memtrack_topology_changed(node);
	memtrack_nl_event_queue(ev, node, MEMTRACK_CMD_NODE_ADD_NTF);
	memtrack_node_set_live(node);
	spin_unlock(&parent->children_lock);
	return 0;

err_dead:
	if (node->kind == MEMTRACK_KIND_ALLOC)
		rhltable_remove(&memtrack_allocs, &node->alloc_link,
				memtrack_alloc_params);
err_alloc:
	rhashtable_remove_fast(&memtrack_ids, &node->id_link,
			       memtrack_id_params);
	return err;
}

static struct memtrack_node *memtrack_child_new(struct memtrack_node *parent,
						const char *name, u8 kind)
{
	if (!memtrack_valid(parent) || parent->kind == MEMTRACK_KIND_ALLOC)
		return ERR_PTR(-EINVAL);
	if (parent->depth + 1 >= MEMTRACK_MAX_DEPTH) {
		pr_warn_once("node '%s' would exceed the depth limit of %d\n",
			     name ?: "(unnamed)", MEMTRACK_MAX_DEPTH);
		return ERR_PTR(-ENOSPC);
	}
	return memtrack_node_new(parent, name, kind);
}

struct memtrack_node *__memtrack_create_root(const char *name, bool v4l2_compat)
{
	struct memtrack_node *root;
	int err;

	root = memtrack_node_new(NULL, name, MEMTRACK_KIND_ROOT);
	if (IS_ERR(root))
		return root;

	err = memtrack_ids_insert(root);
	if (err) {
		memtrack_node_put(root);
		return ERR_PTR(err);
	}

	mutex_lock(&memtrack_roots_lock);
	list_add_tail_rcu(&root->root_link, &memtrack_roots);
	memtrack_debugfs_add_root(root, v4l2_compat);
	mutex_unlock(&memtrack_roots_lock);
	memtrack_topology_changed(root);
	memtrack_nl_node_event(root, MEMTRACK_CMD_NODE_ADD_NTF);
	memtrack_node_set_live(root);
	return root;
}

/**
 * memtrack_create_root() - create the root of a new tree
 * @name: name of the tree, usually the device; may be NULL
 *
 * A named root gets a debugfs view at <debugfs>/memtrack/<name>; when that
 * name is taken, the file is called <name>.<id> instead.
 *
 * Context: process context.
 * Return: the root, ERR_PTR(-ENAMETOOLONG) for a name of
 * MEMTRACK_NAME_MAX bytes or more, or ERR_PTR(-ENOMEM).
 */
struct memtrack_node *memtrack_create_root(const char *name)
{
	return __memtrack_create_root(name, false);
}
EXPORT_SYMBOL_GPL(memtrack_create_root);

/**
 * memtrack_create_node() - create a node under a parent
 * @parent: the parent node; must not be an allocation leaf
 * @name: name of the node; may be NULL
 *
 * Context: process context.
 * Return: the node; ERR_PTR(-EINVAL) for a missing or leaf parent,
 * ERR_PTR(-ENOSPC) when the node would sit at depth MEMTRACK_MAX_DEPTH or
 * deeper, ERR_PTR(-ENODEV) when the parent is being destroyed, or
 * ERR_PTR(-ENOMEM).
 */
struct memtrack_node *memtrack_create_node(struct memtrack_node *parent,
					   const char *name)
{
	struct memtrack_node *node;
	int err;

	node = memtrack_child_new(parent, name, MEMTRACK_KIND_NODE);
	if (IS_ERR(node))
		return node;
	err = memtrack_node_publish(node);
	if (err) {
		memtrack_node_put(node);
		return ERR_PTR(err);
	}
	return node;
}
EXPORT_SYMBOL_GPL(memtrack_create_node);

/**
 * memtrack_alloc() - account a named allocation
 * @parent: the node that owns the allocation; must not be a leaf
 * @name: name of the allocation, e.g. "firmware"
 * @bytes: its size
 *
 * Creates an allocation leaf holding @bytes under @parent.  The leaf can be
 * released with memtrack_destroy(), or by name and size with
 * memtrack_free().
 *
 * Context: process context.
 * Return: the leaf, or an ERR_PTR() as for memtrack_create_node(); also
 * ERR_PTR(-EINVAL) for a NULL @name or a size above MEMTRACK_BYTES_MAX.
 */
struct memtrack_node *memtrack_alloc(struct memtrack_node *parent,
				     const char *name, size_t bytes)
{
	struct memtrack_node *leaf;
	int err;

	if (!name || bytes > MEMTRACK_BYTES_MAX)
		return ERR_PTR(-EINVAL);
	leaf = memtrack_child_new(parent, name, MEMTRACK_KIND_ALLOC);
	if (IS_ERR(leaf))
		return leaf;

	leaf->alloc_size = bytes;
	atomic64_set(&leaf->self, bytes);
	atomic64_set(&leaf->total, bytes);
	atomic64_set(&leaf->peak, bytes);
	atomic64_set(&leaf->count, 1);

	err = memtrack_node_publish(leaf);
	if (err) {
		memtrack_node_put(leaf);
		return ERR_PTR(err);
	}
	memtrack_propagate(parent, bytes);
	return leaf;
}
EXPORT_SYMBOL_GPL(memtrack_alloc);

/**
 * memtrack_format_line() - format one node as a line of the text view
 * @buf: output buffer
 * @size: its size; MEMTRACK_LINE_MAX always suffices
 * @node: the node
 * @indent: indentation level, two spaces each
 *
 * Return: the length of the line, as scnprintf().
 */
int memtrack_format_line(char *buf, size_t size,
			 const struct memtrack_node *node, int indent)
{
	return scnprintf(buf, size,
			 "%*s%s%s (tgid=%d, pid=%d) usage: %llu (count=%llu, self=%llu, peak=%llu)\n",
			 indent * 2, "", memtrack_display_name(node),
			 node->kind == MEMTRACK_KIND_ALLOC ? " [leaf]" : "",
			 node->tgid, node->pid,
			 memtrack_counter_read(&node->total),
			 memtrack_counter_read(&node->count),
			 memtrack_counter_read(&node->self),
			 memtrack_counter_read(&node->peak));
}

/**
 * memtrack_print_debug() - print a subtree to the kernel log
 * @node: top of the subtree
 *
 * Prints at debug level (pr_debug(), so dynamic debug decides whether it
 * reaches the log), one line per node, at most 512 lines.
 *
 * Context: any context that may print.
 */
void memtrack_print_debug(const struct memtrack_node *node)
{
	char line[MEMTRACK_LINE_MAX];
	struct memtrack_node *n;
	unsigned int lines = 0;

	if (!memtrack_valid(node))
		return;

	rcu_read_lock();
	for (n = (struct memtrack_node *)node; n;
	     n = memtrack_dfs_next(n, node, UINT_MAX)) {
		if (lines++ == MEMTRACK_PRINT_MAX_LINES) {
			pr_debug("... (more nodes not shown)\n");
			break;
		}
		memtrack_format_line(line, sizeof(line), n,
				     n->depth - node->depth);
		pr_debug("%s", line);
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(memtrack_print_debug);

/**
 * memtrack_dfs_next() - next node of a depth-first, creation-order walk
 * @node: the current node
 * @top: the node the walk started at, or NULL to walk the whole forest
 * @max_depth: do not descend below this (absolute) depth
 *
 * Parents come before their children.  Nodes removed during the walk may
 * or may not be visited; none is skipped otherwise.
 *
 * Context: rcu_read_lock() held across the whole walk.
 * Return: the next node, or NULL at the end of the walk.
 */
struct memtrack_node *memtrack_dfs_next(struct memtrack_node *node,
					const struct memtrack_node *top,
					unsigned int max_depth)
{
	struct memtrack_node *next;

	if (node->depth < max_depth) {
		next = list_first_or_null_rcu(&node->children,
					      struct memtrack_node, sibling);
		if (next)
			return next;
	}

	for (; node != top; node = node->parent) {
		if (!node->parent)
			return top ? NULL :
			       list_next_or_null_rcu(&memtrack_roots,
						     &node->root_link,
						     struct memtrack_node,
						     root_link);
		next = list_next_or_null_rcu(&node->parent->children,
					     &node->sibling,
					     struct memtrack_node, sibling);
		if (next)
			return next;
	}
	return NULL;
}

/**
 * memtrack_forest_first() - the first root of the forest
 *
 * Context: rcu_read_lock() held.
 * Return: the oldest live root, or NULL.
 */
struct memtrack_node *memtrack_forest_first(void)
{
	return list_first_or_null_rcu(&memtrack_roots, struct memtrack_node,
				      root_link);
}

/**
 * memtrack_lookup_id() - find a live node by id
 * @id: the node id
 *
 * Exported in the MEMTRACK_INTERNAL namespace for kernel/tests/ only.
 *
 * Context: rcu_read_lock() held; the node stays valid until it is dropped.
 * Return: the node, or NULL when no live node has that id.
 */
struct memtrack_node *memtrack_lookup_id(u64 id)
{
	struct memtrack_node *node;

	node = rhashtable_lookup(&memtrack_ids, &id, memtrack_id_params);
	return node && memtrack_node_live(node) ? node : NULL;
}
EXPORT_SYMBOL_NS_GPL(memtrack_lookup_id, MEMTRACK_INTERNAL);

static struct memtrack_notify *memtrack_notify_detach(struct memtrack_node *node)
{
	struct memtrack_notify *nt;

	mutex_lock(&memtrack_notify_lock);
	nt = rcu_replace_pointer(node->notify, NULL,
				 lockdep_is_held(&memtrack_notify_lock));
	mutex_unlock(&memtrack_notify_lock);
	return nt;
}

/*
 * Free a detached callback once the invocations in progress are over; then
 * nobody can queue its work any more.
 */
static void memtrack_notify_free(struct memtrack_notify *nt)
{
	if (!refcount_dec_and_test(&nt->users))
		wait_var_event(&nt->users, !refcount_read(&nt->users));
	cancel_delayed_work_sync(&nt->dwork);
	kfree_rcu(nt, rcu);
}

static void memtrack_node_unpublish(struct memtrack_node *node)
{
	rhashtable_remove_fast(&memtrack_ids, &node->id_link,
			       memtrack_id_params);
	if (node->kind == MEMTRACK_KIND_ALLOC)
		rhltable_remove(&memtrack_allocs, &node->alloc_link,
				memtrack_alloc_params);
}

static void memtrack_unlink(struct memtrack_node *node)
{
	struct memtrack_node *parent = node->parent;

	if (!parent) {
		mutex_lock(&memtrack_roots_lock);
		list_del_rcu(&node->root_link);
		mutex_unlock(&memtrack_roots_lock);
		return;
	}
	spin_lock(&parent->children_lock);
	list_del_rcu(&node->sibling);
	spin_unlock(&parent->children_lock);
}

/*
 * Claim every node below @top (already claimed by the caller) and list them
 * all on @reap, parents before children.  Each node is marked under its own
 * children_lock, so that a create under it either finished linking its child
 * (which is then claimed here) or sees MEMTRACK_DEAD and fails.  Children a
 * named free claimed first are left to it.
 */
static bool memtrack_claim_subtree(struct memtrack_node *top,
				   struct list_head *reap)
{
	struct memtrack_node *node, *child;
	bool had_notify = false;

	list_add_tail(&top->reap_link, reap);
	list_for_each_entry(node, reap, reap_link) {
		spin_lock(&node->children_lock);
		list_for_each_entry(child, &node->children, sibling)
			if (!test_and_set_bit(MEMTRACK_DEAD, &child->flags))
				list_add_tail(&child->reap_link, reap);
		spin_unlock(&node->children_lock);
		if (rcu_access_pointer(node->notify))
			had_notify = true;
	}
	return had_notify;
}

/*
 * Free the detached subtree of @top bottom-up.  RCU readers may still be
 * walking its lists; a concurrent named free may still unlink a leaf of it.
 */
static void memtrack_free_subtree(struct memtrack_node *top)
{
	struct memtrack_notify *nt, *nt_next;
	struct memtrack_node *node, *tmp;
	LIST_HEAD(dead_notify);
	LIST_HEAD(reap);

	/* Stop callbacks first, so that none sees a half-freed tree. */
	if (memtrack_claim_subtree(top, &reap)) {
		list_for_each_entry(node, &reap, reap_link) {
			nt = memtrack_notify_detach(node);
			if (nt)
				list_add(&nt->dead_link, &dead_notify);
		}
		list_for_each_entry_safe(nt, nt_next, &dead_notify, dead_link)
			memtrack_notify_free(nt);
	}

	/* Children come after their parent on @reap: walk it backwards. */
	list_for_each_entry_safe_reverse(node, tmp, &reap, reap_link) {
		if (node != top) {
			spin_lock(&node->parent->children_lock);
			list_del_rcu(&node->sibling);
			spin_unlock(&node->parent->children_lock);
		}
		memtrack_node_unpublish(node);
		memtrack_nl_node_event(node, MEMTRACK_CMD_NODE_DEL_NTF);
		memtrack_node_put(node);
	}
}

static void memtrack_destroy_claimed(struct memtrack_node *node)
{
	struct memtrack_node *parent = node->parent;
	s64 bytes;

	/* Stop new readers from finding the root through debugfs first. */
	if (!parent)
		memtrack_debugfs_remove_root(node);

	if (node->kind != MEMTRACK_KIND_ALLOC && memtrack_read(node))
		memtrack_print_debug(node);

	memtrack_unlink(node);
	memtrack_topology_changed(node);
	bytes = memtrack_detach_total(node);
	memtrack_free_subtree(node);
	if (parent && bytes)
		memtrack_propagate(parent, -bytes);
}

/**
 * memtrack_destroy() - destroy a node and its whole subtree
 * @node: the node, leaf or root to destroy
 *
 * The subtree's bytes are subtracted from the ancestors, which are notified.
 * Pending callbacks in the subtree are cancelled and running ones waited
 * for; a callback must therefore not destroy its own node or an ancestor
 * of it (other subtrees are fine).  When the subtree
 * still held memory, it is printed to the kernel log at debug level first.
 *
 * Context: process context.
 */
void memtrack_destroy(struct memtrack_node *node)
{
	if (!memtrack_valid(node))
		return;
	if (test_and_set_bit(MEMTRACK_DEAD, &node->flags)) {
		pr_warn_once("node '%s' destroyed twice\n",
			     memtrack_display_name(node));
		return;
	}
	memtrack_destroy_claimed(node);
}
EXPORT_SYMBOL_GPL(memtrack_destroy);

/**
 * memtrack_free() - release a named allocation
 * @parent: the node the allocation was accounted under
 * @name: its name
 * @bytes: its size; only an allocation with this exact size matches
 *
 * Removes one allocation leaf of @parent whose name and size both match,
 * found by hash lookup.
 *
 * Context: process context.
 * Return: 0, -EINVAL for bad arguments, or -ENOENT when nothing matches.
 */
int memtrack_free(struct memtrack_node *parent, const char *name, size_t bytes)
{
	struct memtrack_alloc_key key = {
		.parent = parent, .size = bytes, .name = name,
	};
	struct memtrack_node *leaf, *found = NULL;
	struct rhlist_head *list, *pos;

	if (!memtrack_valid(parent) || !name)
		return -EINVAL;

	rcu_read_lock();
	list = rhltable_lookup(&memtrack_allocs, &key, memtrack_alloc_params);
	rhl_for_each_entry_rcu(leaf, pos, list, alloc_link) {
		if (test_bit(MEMTRACK_LIVE, &leaf->flags) &&
		    !test_and_set_bit(MEMTRACK_DEAD, &leaf->flags)) {
			found = leaf;
			break;
		}
	}
	rcu_read_unlock();
	if (!found)
		return -ENOENT;

	memtrack_destroy_claimed(found);
	return 0;
}
EXPORT_SYMBOL_GPL(memtrack_free);

static int memtrack_check_counting(const struct memtrack_node *node,
				   size_t bytes)
{
	if (!memtrack_valid(node) || bytes > MEMTRACK_BYTES_MAX)
		return -EINVAL;
	if (node->kind == MEMTRACK_KIND_ALLOC) {
		pr_warn_once("refusing to change allocation leaf '%s' directly\n",
			     node->name);
		return -EINVAL;
	}
	/* Racing its destroy; the ancestors would not see it anyway. */
	if (unlikely(test_bit(MEMTRACK_DEAD, &node->flags)))
		return -ENODEV;
	return 0;
}

/**
 * memtrack_add() - add bytes to a node's own usage
 * @node: the node; must not be an allocation leaf
 * @bytes: bytes to add
 *
 * Increments the node's allocation count too.
 *
 * Context: any context; see the header for delay-0 callbacks.
 * Return: 0, -EINVAL for a missing or leaf node or more than
 * MEMTRACK_BYTES_MAX bytes, or -ENODEV when the node is being destroyed.
 */
int memtrack_add(struct memtrack_node *node, size_t bytes)
{
	int err = memtrack_check_counting(node, bytes);

	if (err)
		return err;
	atomic64_add(bytes, &node->self);
	atomic64_inc(&node->count);
	memtrack_propagate(node, bytes);
	return 0;
}
EXPORT_SYMBOL_GPL(memtrack_add);

/**
 * memtrack_sub() - subtract bytes from a node's own usage
 * @node: the node; must not be an allocation leaf
 * @bytes: bytes to subtract
 *
 * The node's own bytes are clamped at zero, with a one-time warning, and its
 * allocation count is decremented when positive.
 *
 * Context: any context; see the header for delay-0 callbacks.
 * Return: 0, -ERANGE when the result was clamped, -ENODEV when the node is
 * being destroyed, or -EINVAL.
 */
int memtrack_sub(struct memtrack_node *node, size_t bytes)
{
	int err = memtrack_check_counting(node, bytes);
	s64 old, new;

	if (err)
		return err;

	/*
	 * A compare-and-swap loop, so that a concurrent memtrack_set() lands
	 * wholly before or after: subtracting first and giving back the
	 * overdraft let a set in between end at neither order's value.
	 */
	old = atomic64_read(&node->self);
	do {
		new = old - (s64)bytes;
		if (new < 0)
			new = 0;
	} while (!atomic64_try_cmpxchg(&node->self, &old, new));
	if (unlikely(old < (s64)bytes)) {
		pr_warn_once("underflow on node '%s', clamped at 0\n",
			     memtrack_display_name(node));
		err = -ERANGE;
	}
	if (unlikely(atomic64_dec_return(&node->count) < 0))
		atomic64_inc(&node->count);

	if (new != old)
		memtrack_propagate(node, new - old);
	else
		memtrack_count_changed(node);
	return err;
}
EXPORT_SYMBOL_GPL(memtrack_sub);

/**
 * memtrack_set() - set a node's own usage
 * @node: the node; must not be an allocation leaf
 * @bytes: the new value of its own bytes
 *
 * The allocation count becomes 1 when @bytes is positive, else 0.
 *
 * Context: any context; see the header for delay-0 callbacks.
 * Return: 0, -ENODEV when the node is being destroyed, or -EINVAL.
 */
int memtrack_set(struct memtrack_node *node, size_t bytes)
{
	int err = memtrack_check_counting(node, bytes);
	s64 old;

	if (err)
		return err;
	old = atomic64_xchg(&node->self, bytes);
	atomic64_set(&node->count, bytes ? 1 : 0);
	if ((s64)bytes != old)
		memtrack_propagate(node, (s64)bytes - old);
	else
		memtrack_count_changed(node);
	return 0;
}
EXPORT_SYMBOL_GPL(memtrack_set);

/**
 * memtrack_read() - read a subtree total
 * @node: the node
 *
 * Context: any context.
 * Return: the node's own bytes plus those of its whole subtree, or 0.
 */
u64 memtrack_read(const struct memtrack_node *node)
{
	return memtrack_valid(node) ? memtrack_counter_read(&node->total) : 0;
}
EXPORT_SYMBOL_GPL(memtrack_read);

/**
 * memtrack_read_self() - read a node's own bytes
 * @node: the node
 *
 * Context: any context.
 * Return: the bytes accounted directly on the node, or 0.
 */
u64 memtrack_read_self(const struct memtrack_node *node)
{
	return memtrack_valid(node) ? memtrack_counter_read(&node->self) : 0;
}
EXPORT_SYMBOL_GPL(memtrack_read_self);

/**
 * memtrack_read_count() - read a node's own allocation count
 * @node: the node
 *
 * Context: any context.
 * Return: the allocation count (1 for a leaf), or 0.
 */
u64 memtrack_read_count(const struct memtrack_node *node)
{
	return memtrack_valid(node) ? memtrack_counter_read(&node->count) : 0;
}
EXPORT_SYMBOL_GPL(memtrack_read_count);

/**
 * memtrack_read_peak() - read a subtree's high watermark
 * @node: the node
 *
 * Context: any context.
 * Return: the highest subtree total since creation or the last reset, or 0.
 */
u64 memtrack_read_peak(const struct memtrack_node *node)
{
	return memtrack_valid(node) ? memtrack_counter_read(&node->peak) : 0;
}
EXPORT_SYMBOL_GPL(memtrack_read_peak);

/**
 * memtrack_reset_peak() - restart a node's high watermark
 * @node: the node
 *
 * The peak becomes the current subtree total.  Descendants keep theirs.
 *
 * Context: any context.
 */
void memtrack_reset_peak(struct memtrack_node *node)
{
	if (!memtrack_valid(node))
		return;
	atomic64_set(&node->peak, memtrack_counter_read(&node->total));
	if (memtrack_nl_listening())
		memtrack_nl_node_changed(node);
}
EXPORT_SYMBOL_GPL(memtrack_reset_peak);

/**
 * memtrack_node_id() - a node's id
 * @node: the node
 *
 * Context: any context.
 * Return: an id unique among all nodes created since memtrack was loaded,
 * or 0 for no node.
 */
u64 memtrack_node_id(const struct memtrack_node *node)
{
	return memtrack_valid(node) ? node->id : 0;
}
EXPORT_SYMBOL_GPL(memtrack_node_id);

/**
 * memtrack_register_notify() - set a node's change callback
 * @node: the node; must not be an allocation leaf
 * @fn: the callback
 * @priv: passed to @fn
 *
 * @fn runs whenever the total of @node's subtree changes, subject to the
 * node's notify delay (see memtrack_set_notify_delay()).
 *
 * Context: process context.
 * Return: 0, -EINVAL for a missing or leaf node or a NULL @fn, -EBUSY when
 * the node already has a callback, or -ENOMEM.
 */
int memtrack_register_notify(struct memtrack_node *node,
			     memtrack_notify_fn fn, void *priv)
{
	struct memtrack_notify *nt;
	int err = 0;

	if (!memtrack_valid(node) || node->kind == MEMTRACK_KIND_ALLOC || !fn)
		return -EINVAL;

	nt = kzalloc(sizeof(*nt), GFP_KERNEL);
	if (!nt)
		return -ENOMEM;
	nt->fn = fn;
	nt->priv = priv;
	nt->node = node;
	refcount_set(&nt->users, 1);
	INIT_DELAYED_WORK(&nt->dwork, memtrack_notify_workfn);

	mutex_lock(&memtrack_notify_lock);
	if (rcu_access_pointer(node->notify))
		err = -EBUSY;
	else
		rcu_assign_pointer(node->notify, nt);
	mutex_unlock(&memtrack_notify_lock);

	if (err)
		kfree(nt);
	return err;
}
EXPORT_SYMBOL_GPL(memtrack_register_notify);

/**
 * memtrack_unregister_notify() - remove a node's change callback
 * @node: the node
 *
 * Cancels a pending callback and waits for those in progress.  Must not be
 * called from the node's own callback (it would wait for itself); any
 * other callback may call it.
 *
 * Context: process context.
 */
void memtrack_unregister_notify(struct memtrack_node *node)
{
	struct memtrack_notify *nt;

	if (!memtrack_valid(node))
		return;
	nt = memtrack_notify_detach(node);
	if (nt)
		memtrack_notify_free(nt);
}
EXPORT_SYMBOL_GPL(memtrack_unregister_notify);

/**
 * memtrack_set_notify_delay() - set how a node's callback is delivered
 * @node: the node
 * @delay_ms: <0 disables the callback, 0 runs it synchronously from each
 *	change (the default), >0 runs it once @delay_ms after the first of a
 *	burst of changes, with the total at that time
 *
 * The delay is per node: it applies to @node's own callback only, not to
 * its ancestors' or descendants'.
 *
 * Context: any context.
 */
void memtrack_set_notify_delay(struct memtrack_node *node, int delay_ms)
{
	if (memtrack_valid(node))
		WRITE_ONCE(node->notify_delay_ms, delay_ms);
}
EXPORT_SYMBOL_GPL(memtrack_set_notify_delay);

/* Free trees whose owners were unloaded without destroying them. */
static void memtrack_destroy_leftovers(void)
{
	struct memtrack_node *root;

	for (;;) {
		mutex_lock(&memtrack_roots_lock);
		root = list_first_entry_or_null(&memtrack_roots,
						struct memtrack_node, root_link);
		mutex_unlock(&memtrack_roots_lock);
		if (!root)
			break;
		pr_warn("tree '%s' was never destroyed; freeing it\n",
			memtrack_display_name(root));
		memtrack_destroy(root);
	}
}

static int __init memtrack_init(void)
{
	int err;

	err = rhashtable_init(&memtrack_ids, &memtrack_id_params);
	if (err)
		goto err_ids;
	err = rhltable_init(&memtrack_allocs, &memtrack_alloc_params);
	if (err)
		goto err_allocs;
	err = memtrack_netlink_init();
	if (err)
		goto err_netlink;
	memtrack_debugfs_init();
	return 0;

err_netlink:
	rhltable_destroy(&memtrack_allocs);
err_allocs:
	rhashtable_destroy(&memtrack_ids);
err_ids:
	return err;
}

static void __exit memtrack_exit(void)
{
	memtrack_netlink_exit();
	memtrack_destroy_leftovers();
	memtrack_debugfs_exit();
	rcu_barrier();
	rhltable_destroy(&memtrack_allocs);
	rhashtable_destroy(&memtrack_ids);
}

module_init(memtrack_init);
module_exit(memtrack_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hierarchical accounting of driver-internal memory");
MODULE_AUTHOR("memtrack developers");
