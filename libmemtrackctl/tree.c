// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A dumped forest: nodes in blocks (so pointers stay valid as it grows),
 * an open-addressing index by id, and parent/child links.  Nodes must
 * arrive parents first, which is the order the kernel dumps them in; a
 * node whose parent is not in the tree becomes a top-level node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BLOCK_NODES 1024

struct node_block {
	struct node_block *next;
	size_t used;
	struct mtc_node nodes[BLOCK_NODES];
};

struct mtc_tree {
	struct node_block *blocks;
	size_t size;
	struct mtc_node **index;	/* open addressing, by id */
	size_t index_cap;		/* a power of two */
	struct mtc_node *first_root;
	struct mtc_node *last_root;
};

static size_t id_slot(uint64_t id, size_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return id & (cap - 1);
}

static struct mtc_node **index_find(const struct mtc_tree *tree, uint64_t id)
{
	size_t i = id_slot(id, tree->index_cap);

	while (tree->index[i] && tree->index[i]->id != id)
		i = (i + 1) & (tree->index_cap - 1);
	return &tree->index[i];
}

static int index_grow(struct mtc_tree *tree)
{
	struct mtc_node **old = tree->index;
	size_t old_cap = tree->index_cap, i;

	tree->index_cap = old_cap ? old_cap * 2 : 1024;
	tree->index = calloc(tree->index_cap, sizeof(*tree->index));
	if (!tree->index) {
		tree->index = old;
		tree->index_cap = old_cap;
		return -ENOMEM;
	}
	for (i = 0; i < old_cap; i++)
		if (old[i])
			*index_find(tree, old[i]->id) = old[i];
	free(old);
	return 0;
}

struct mtc_tree *mtc_tree_new(void)
{
	struct mtc_tree *tree = calloc(1, sizeof(*tree));

	if (tree && index_grow(tree) < 0) {
		free(tree);
		return NULL;
	}
	return tree;
}

static struct mtc_node *node_slot(struct mtc_tree *tree)
{
	struct node_block *b = tree->blocks;

	if (!b || b->used == BLOCK_NODES) {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->next = tree->blocks;
		b->used = 0;
		tree->blocks = b;
	}
	return &b->nodes[b->used++];
}

static void append_child(struct mtc_node *parent, struct mtc_node *node)
{
	if (parent->last_child)
		parent->last_child->next_sibling = node;
	else
		parent->first_child = node;
	parent->last_child = node;
	parent->n_children++;
}

/**
 * mtc_tree_add() - add a node (its parent, if in the tree, must be there)
 * @tree: the tree
 * @node: copied into the tree
 *
 * Return: 0, -EEXIST for a duplicate id, or -ENOMEM.
 */
int mtc_tree_add(struct mtc_tree *tree, const struct mtc_node *node)
{
	struct mtc_node **slot, *copy, *parent = NULL;

	if ((tree->size + 1) * 2 > tree->index_cap && index_grow(tree) < 0)
		return -ENOMEM;
	slot = index_find(tree, node->id);
	if (*slot)
		return -EEXIST;
	if (node->parent_id) {
		parent = *index_find(tree, node->parent_id);
		slot = index_find(tree, node->id);
	}

	copy = node_slot(tree);
	if (!copy)
		return -ENOMEM;
	*copy = *node;
	copy->parent = parent;
	copy->first_child = NULL;
	copy->last_child = NULL;
	copy->next_sibling = NULL;
	copy->n_children = 0;
	*slot = copy;
	tree->size++;

	if (parent) {
		append_child(parent, copy);
	} else {
		if (tree->last_root)
			tree->last_root->next_sibling = copy;
		else
			tree->first_root = copy;
		tree->last_root = copy;
	}
	return 0;
}

MTC_EXPORT void mtc_tree_free(struct mtc_tree *tree)
{
	struct node_block *b, *next;

	if (!tree)
		return;
	for (b = tree->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(tree->index);
	free(tree);
}

MTC_EXPORT const struct mtc_node *mtc_tree_roots(const struct mtc_tree *tree)
{
	return tree ? tree->first_root : NULL;
}

MTC_EXPORT size_t mtc_tree_size(const struct mtc_tree *tree)
{
	return tree ? tree->size : 0;
}

MTC_EXPORT const struct mtc_node *mtc_tree_find_id(const struct mtc_tree *tree,
						   uint64_t id)
{
	return tree && id ? *index_find(tree, id) : NULL;
}

static const struct mtc_node *find_child(const struct mtc_node *first,
					 const char *name, size_t len)
{
	const struct mtc_node *n;
	char *end;
	unsigned long long id = 0;

	if (len > 1 && name[0] == '#') {
		id = strtoull(name + 1, &end, 10);
		if (end != name + len)
			id = 0;
	}
	for (n = first; n; n = n->next_sibling) {
		if (id ? n->id == id :
			 strlen(n->name) == len && !memcmp(n->name, name, len))
			return n;
	}
	return NULL;
}

MTC_EXPORT const struct mtc_node *mtc_tree_find_path(const struct mtc_tree *tree,
						     const char *path)
{
	const struct mtc_node *n = NULL, *level;
	const char *end;

	if (!tree || !path)
		return NULL;
	level = tree->first_root;
	while (*path) {
		end = strchr(path, '/');
		if (!end)
			end = path + strlen(path);
		if (end != path) {
			n = find_child(level, path, end - path);
			if (!n)
				return NULL;
			level = n->first_child;
		}
		path = *end ? end + 1 : end;
	}
	return n;
}

MTC_EXPORT int mtc_node_path(const struct mtc_node *node, char *buf, size_t size)
{
	const struct mtc_node *chain[64];
	size_t depth = 0, len = 0;
	int n;

	for (; node && depth < 64; node = node->parent)
		chain[depth++] = node;
	if (!size)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	while (depth--) {
		const struct mtc_node *c = chain[depth];

		if (c->name[0])
			n = snprintf(buf + len, size - len, "%s%s",
				     len ? "/" : "", c->name);
		else
			n = snprintf(buf + len, size - len, "%s#%llu",
				     len ? "/" : "", (unsigned long long)c->id);
		if (n < 0 || (size_t)n >= size - len)
			return -ENAMETOOLONG;
		len += n;
	}
	return len;
}
