/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility API for drivers written against the V4L2 memory tracker
 * proposal.  It maps onto the memtrack core; see <linux/memtrack.h>.
 *
 * Differences from the core API, kept for those drivers:
 *  - creation returns NULL on any failure instead of an error pointer;
 *  - a named add that cannot create its allocation leaf (for instance at
 *    the depth limit) counts the bytes on the node itself instead;
 *  - a named sub that finds no allocation of that name and size subtracts
 *    from the node's own bytes instead, clamped at zero;
 *  - named roots also get a file in <debugfs>/v4l2-memtrack/.
 *
 * The notify delay is per node, as the proposal's code (not its header
 * comment) had it: it affects only the node it is set on.
 */
#ifndef _MEDIA_V4L2_MEMTRACK_H
#define _MEDIA_V4L2_MEMTRACK_H

#include <linux/memtrack.h>

/* A V4L2 memtrack node is a memtrack node. */
#define v4l2_memtrack_node memtrack_node

#if IS_ENABLED(CONFIG_MEMTRACK)

struct v4l2_memtrack_node *v4l2_memtrack_create_root(const char *name);
struct v4l2_memtrack_node *
v4l2_memtrack_create_node(struct v4l2_memtrack_node *parent, const char *name);
void v4l2_memtrack_destroy_node(struct v4l2_memtrack_node *node);
void v4l2_memtrack_add(struct v4l2_memtrack_node *node, size_t bytes,
		       const char *name);
void v4l2_memtrack_sub(struct v4l2_memtrack_node *node, size_t bytes,
		       const char *name);
void v4l2_memtrack_set(struct v4l2_memtrack_node *node, size_t bytes);
size_t v4l2_memtrack_read(struct v4l2_memtrack_node *node);
int v4l2_memtrack_register_notify(struct v4l2_memtrack_node *node,
				  void (*fn)(struct v4l2_memtrack_node *node,
					     size_t total, void *priv),
				  void *priv);
void v4l2_memtrack_unregister_notify(struct v4l2_memtrack_node *node);
void v4l2_memtrack_set_notify_delay(struct v4l2_memtrack_node *node, int ms);
void v4l2_memtrack_print_debug(struct v4l2_memtrack_node *node);

#else /* !CONFIG_MEMTRACK */

static inline struct v4l2_memtrack_node *
v4l2_memtrack_create_root(const char *name)
{
	return NULL;
}

static inline struct v4l2_memtrack_node *
v4l2_memtrack_create_node(struct v4l2_memtrack_node *parent, const char *name)
{
	return NULL;
}

static inline void v4l2_memtrack_destroy_node(struct v4l2_memtrack_node *node) {}

static inline void v4l2_memtrack_add(struct v4l2_memtrack_node *node,
				     size_t bytes, const char *name) {}

static inline void v4l2_memtrack_sub(struct v4l2_memtrack_node *node,
				     size_t bytes, const char *name) {}

static inline void v4l2_memtrack_set(struct v4l2_memtrack_node *node,
				     size_t bytes) {}

static inline size_t v4l2_memtrack_read(struct v4l2_memtrack_node *node)
{
	return 0;
}

static inline int
v4l2_memtrack_register_notify(struct v4l2_memtrack_node *node,
			      void (*fn)(struct v4l2_memtrack_node *node,
					 size_t total, void *priv),
			      void *priv)
{
	return 0;
}

static inline void
v4l2_memtrack_unregister_notify(struct v4l2_memtrack_node *node) {}

static inline void
v4l2_memtrack_set_notify_delay(struct v4l2_memtrack_node *node, int ms) {}

static inline void v4l2_memtrack_print_debug(struct v4l2_memtrack_node *node) {}

#endif /* CONFIG_MEMTRACK */

#endif /* _MEDIA_V4L2_MEMTRACK_H */
