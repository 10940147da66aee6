/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memtrack: hierarchical accounting of driver-internal memory.
 *
 * A driver builds a tree: a root per device, nodes per stream instance or
 * context, and named allocation leaves for individual buffers.  Every node
 * keeps its own bytes plus an incrementally maintained subtree total and
 * subtree peak, so reads are O(1) and updates are O(depth) atomic operations
 * with no lock taken.
 *
 * Context rules:
 *  - memtrack_add(), memtrack_sub(), memtrack_set(), the read functions and
 *    memtrack_reset_peak() never sleep and take no lock.  A change callback
 *    registered with a delay of 0 runs synchronously from these calls, so a
 *    caller updating from atomic context must give its callbacks a delay > 0.
 *  - Creating, destroying and named allocations allocate memory or wait for
 *    callbacks and must be called from process context.
 *
 * Every function accepts NULL (and error pointers) as a node and then does
 * nothing, returning 0, NULL or an error as documented.
 */
#ifndef _LINUX_MEMTRACK_H
#define _LINUX_MEMTRACK_H

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/types.h>

struct memtrack_node;

/* Names, including the terminating NUL, must fit in this many bytes. */
#define MEMTRACK_NAME_MAX	64

/* The largest size one call accepts (1 EiB). */
#define MEMTRACK_BYTES_MAX	BIT_ULL(60)

/* Depth of a root is 0; no node may be created at this depth or deeper. */
#define MEMTRACK_MAX_DEPTH	16

/**
 * typedef memtrack_notify_fn - change callback
 * @node: the node the callback was registered on
 * @total: its subtree total, in bytes, when the callback was invoked
 * @priv: the pointer passed to memtrack_register_notify()
 *
 * Runs with no memtrack lock held.  It must not unregister the callback of
 * @node, nor destroy @node or an ancestor of it: either would wait for the
 * callback to return.  It may unregister the callbacks of other nodes and
 * destroy subtrees that do not hold @node, which wait for those nodes'
 * callbacks in progress on other CPUs.  (Two callbacks that unregister each
 * other's node at the same time wait for each other for ever.)
 */
typedef void (*memtrack_notify_fn)(struct memtrack_node *node, size_t total,
				   void *priv);

#if IS_ENABLED(CONFIG_MEMTRACK)

struct memtrack_node *memtrack_create_root(const char *name);
struct memtrack_node *memtrack_create_node(struct memtrack_node *parent,
					   const char *name);
void memtrack_destroy(struct memtrack_node *node);

int memtrack_add(struct memtrack_node *node, size_t bytes);
int memtrack_sub(struct memtrack_node *node, size_t bytes);
int memtrack_set(struct memtrack_node *node, size_t bytes);

struct memtrack_node *memtrack_alloc(struct memtrack_node *parent,
				     const char *name, size_t bytes);
int memtrack_free(struct memtrack_node *parent, const char *name,
		  size_t bytes);

u64 memtrack_read(const struct memtrack_node *node);
u64 memtrack_read_self(const struct memtrack_node *node);
u64 memtrack_read_count(const struct memtrack_node *node);
u64 memtrack_read_peak(const struct memtrack_node *node);
void memtrack_reset_peak(struct memtrack_node *node);
u64 memtrack_node_id(const struct memtrack_node *node);

int memtrack_register_notify(struct memtrack_node *node,
			     memtrack_notify_fn fn, void *priv);
void memtrack_unregister_notify(struct memtrack_node *node);
void memtrack_set_notify_delay(struct memtrack_node *node, int delay_ms);

void memtrack_print_debug(const struct memtrack_node *node);

#else /* !CONFIG_MEMTRACK */

static inline struct memtrack_node *memtrack_create_root(const char *name)
{
	return NULL;
}

static inline struct memtrack_node *
memtrack_create_node(struct memtrack_node *parent, const char *name)
{
	return NULL;
}

static inline void memtrack_destroy(struct memtrack_node *node) {}

static inline int memtrack_add(struct memtrack_node *node, size_t bytes)
{
	return 0;
}

static inline int memtrack_sub(struct memtrack_node *node, size_t bytes)
{
	return 0;
}

static inline int memtrack_set(struct memtrack_node *node, size_t bytes)
{
	return 0;
}

static inline struct memtrack_node *
memtrack_alloc(struct memtrack_node *parent, const char *name, size_t bytes)
{
	return NULL;
}

static inline int memtrack_free(struct memtrack_node *parent,
				const char *name, size_t bytes)
{
	return 0;
}

static inline u64 memtrack_read(const struct memtrack_node *node)
{
	return 0;
}

static inline u64 memtrack_read_self(const struct memtrack_node *node)
{
	return 0;
}

static inline u64 memtrack_read_count(const struct memtrack_node *node)
{
	return 0;
}

static inline u64 memtrack_read_peak(const struct memtrack_node *node)
{
	return 0;
}

static inline void memtrack_reset_peak(struct memtrack_node *node) {}

static inline u64 memtrack_node_id(const struct memtrack_node *node)
{
	return 0;
}

static inline int memtrack_register_notify(struct memtrack_node *node,
					   memtrack_notify_fn fn, void *priv)
{
	return 0;
}

static inline void memtrack_unregister_notify(struct memtrack_node *node) {}

static inline void memtrack_set_notify_delay(struct memtrack_node *node,
					     int delay_ms) {}

static inline void memtrack_print_debug(const struct memtrack_node *node) {}

#endif /* CONFIG_MEMTRACK */

#endif /* _LINUX_MEMTRACK_H */
