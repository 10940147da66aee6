// SPDX-License-Identifier: GPL-2.0
/*
 * The v4l2_memtrack_* API of the V4L2 memory tracker proposal, on top of
 * the memtrack core.  See <media/v4l2-memtrack.h> for where it differs.
 */
#include <linux/err.h>
#include <linux/module.h>
#include <media/v4l2-memtrack.h>

#include "internal.h"

static struct v4l2_memtrack_node *v4l2_memtrack_or_null(struct memtrack_node *node)
{
	return IS_ERR(node) ? NULL : node;
}

/**
 * v4l2_memtrack_create_root() - create a tree
 * @name: tree name; a named tree gets <debugfs>/v4l2-memtrack/<name>
 *
 * Return: the root, or NULL on failure.
 */
struct v4l2_memtrack_node *v4l2_memtrack_create_root(const char *name)
{
	return v4l2_memtrack_or_null(__memtrack_create_root(name, true));
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_create_root);

/**
 * v4l2_memtrack_create_node() - create a child node
 * @parent: parent node
 * @name: node name, may be NULL
 *
 * Return: the node, or NULL if @parent is NULL or a leaf, if the depth limit
 * would be exceeded, or on allocation failure.
 */
struct v4l2_memtrack_node *
v4l2_memtrack_create_node(struct v4l2_memtrack_node *parent, const char *name)
{
	return v4l2_memtrack_or_null(memtrack_create_node(parent, name));
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_create_node);

/**
 * v4l2_memtrack_destroy_node() - destroy a node and its subtree
 * @node: the node
 *
 * See memtrack_destroy().
 */
void v4l2_memtrack_destroy_node(struct v4l2_memtrack_node *node)
{
	memtrack_destroy(node);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_destroy_node);

/**
 * v4l2_memtrack_add() - account bytes
 * @node: the node
 * @bytes: bytes to add
 * @name: with a name, the bytes become an allocation leaf under @node, or
 *	are counted on @node itself if the leaf cannot be created
 */
void v4l2_memtrack_add(struct v4l2_memtrack_node *node, size_t bytes,
		       const char *name)
{
	if (name && !IS_ERR(memtrack_alloc(node, name, bytes)))
		return;
	memtrack_add(node, bytes);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_add);

/**
 * v4l2_memtrack_sub() - release bytes
 * @node: the node
 * @bytes: bytes to release
 * @name: with a name, the allocation leaf of that name and size is removed;
 *	without one, or if none matches, @node's own bytes are reduced
 */
void v4l2_memtrack_sub(struct v4l2_memtrack_node *node, size_t bytes,
		       const char *name)
{
	if (name && !memtrack_free(node, name, bytes))
		return;
	memtrack_sub(node, bytes);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_sub);

/**
 * v4l2_memtrack_set() - set a node's own bytes
 * @node: the node
 * @bytes: the new value; the count becomes 1 if positive, else 0
 */
void v4l2_memtrack_set(struct v4l2_memtrack_node *node, size_t bytes)
{
	memtrack_set(node, bytes);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_set);

/**
 * v4l2_memtrack_read() - read a subtree total
 * @node: the node
 *
 * Return: the node's own bytes plus its whole subtree.
 */
size_t v4l2_memtrack_read(struct v4l2_memtrack_node *node)
{
	return memtrack_read(node);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_read);

/**
 * v4l2_memtrack_register_notify() - set the change callback of a node
 * @node: the node
 * @fn: callback, given the subtree total
 * @priv: passed to @fn
 *
 * Return: 0, -EINVAL for a NULL or leaf node, -EBUSY if one is already set.
 */
int v4l2_memtrack_register_notify(struct v4l2_memtrack_node *node,
				  void (*fn)(struct v4l2_memtrack_node *node,
					     size_t total, void *priv),
				  void *priv)
{
	return memtrack_register_notify(node, fn, priv);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_register_notify);

/**
 * v4l2_memtrack_unregister_notify() - remove the change callback of a node
 * @node: the node
 */
void v4l2_memtrack_unregister_notify(struct v4l2_memtrack_node *node)
{
	memtrack_unregister_notify(node);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_unregister_notify);

/**
 * v4l2_memtrack_set_notify_delay() - set the notify delay of a node
 * @node: the node
 * @ms: <0 disables, 0 is immediate, >0 coalesces changes within @ms
 */
void v4l2_memtrack_set_notify_delay(struct v4l2_memtrack_node *node, int ms)
{
	memtrack_set_notify_delay(node, ms);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_set_notify_delay);

/**
 * v4l2_memtrack_print_debug() - print a subtree at debug level
 * @node: the node
 */
void v4l2_memtrack_print_debug(struct v4l2_memtrack_node *node)
{
	memtrack_print_debug(node);
}
EXPORT_SYMBOL_GPL(v4l2_memtrack_print_debug);
