// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack debugfs view: <debugfs>/memtrack/<root>, one file per tree.
 *
 * The file is streamed through seq_file one node per record, so a tree of
 * any size is read in page-sized pieces.  Between read() calls the position
 * is remembered as the id of the next node; if that node has gone in the
 * meantime, the walk restarts from the root and skips to the position.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

static struct dentry *memtrack_debugfs_dir;
static struct dentry *memtrack_debugfs_v4l2_dir;

struct memtrack_seq_state {
	struct memtrack_node *root;
	loff_t next_pos;
	u64 next_id;
};

static void *memtrack_seq_start(struct seq_file *m, loff_t *pos)
	__acquires(RCU)
{
	struct memtrack_seq_state *st = m->private;
	struct memtrack_node *node;
	loff_t i;

	rcu_read_lock();
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos == st->next_pos) {
		node = memtrack_lookup_id(st->next_id);
		if (node)
			return node;
	}
	node = st->root;
	for (i = 1; node && i < *pos; i++)
		node = memtrack_dfs_next(node, st->root, UINT_MAX);
	return node;
}

static void *memtrack_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct memtrack_seq_state *st = m->private;
	struct memtrack_node *node;

	++*pos;
	if (v == SEQ_START_TOKEN)
		node = st->root;
	else
		node = memtrack_dfs_next(v, st->root, UINT_MAX);
	if (node) {
		st->next_pos = *pos;
		st->next_id = node->id;
	}
	return node;
}

static void memtrack_seq_stop(struct seq_file *m, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

static int memtrack_seq_show(struct seq_file *m, void *v)
{
	struct memtrack_seq_state *st = m->private;
	const struct memtrack_node *node = v;
	char line[MEMTRACK_LINE_MAX];

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "Total memory usage: %llu bytes\n",
			   memtrack_read(st->root));
		return 0;
	}
	memtrack_format_line(line, sizeof(line), node, node->depth);
	seq_puts(m, line);
	return 0;
}

static const struct seq_operations memtrack_seq_ops = {
	.start = memtrack_seq_start,
	.next = memtrack_seq_next,
	.stop = memtrack_seq_stop,
	.show = memtrack_seq_show,
};

static int memtrack_tree_open(struct inode *inode, struct file *file)
{
	struct memtrack_seq_state *st;

	st = __seq_open_private(file, &memtrack_seq_ops, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->root = inode->i_private;
	return 0;
}

static const struct file_operations memtrack_tree_fops = {
	.owner = THIS_MODULE,
	.open = memtrack_tree_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

static struct dentry *memtrack_debugfs_create(struct memtrack_node *root,
					      struct dentry *dir)
{
	struct dentry *existing, *file;
	char *fname;

	if (IS_ERR_OR_NULL(dir) || !root->name[0])
		return NULL;

	fname = kstrdup(root->name, GFP_KERNEL);
	if (!fname)
		return NULL;
	strreplace(fname, '/', '_');

	existing = debugfs_lookup(fname, dir);
	if (existing) {
		dput(existing);
		kfree(fname);
		fname = kasprintf(GFP_KERNEL, "%s.%llu", root->name, root->id);
		if (!fname)
			return NULL;
		strreplace(fname, '/', '_');
	}

	file = debugfs_create_file(fname, 0444, dir, root, &memtrack_tree_fops);
	kfree(fname);
	return IS_ERR(file) ? NULL : file;
}

/* Called with memtrack_roots_lock held, which orders name collisions. */
void memtrack_debugfs_add_root(struct memtrack_node *root, bool v4l2_compat)
{
	root->debugfs_file = memtrack_debugfs_create(root, memtrack_debugfs_dir);
	if (v4l2_compat)
		root->compat_debugfs_file =
			memtrack_debugfs_create(root, memtrack_debugfs_v4l2_dir);
}

/* Waits for readers in progress; later reads of open files fail. */
void memtrack_debugfs_remove_root(struct memtrack_node *root)
{
	debugfs_remove(root->debugfs_file);
	debugfs_remove(root->compat_debugfs_file);
	root->debugfs_file = NULL;
	root->compat_debugfs_file = NULL;
}

void memtrack_debugfs_init(void)
{
	memtrack_debugfs_dir = debugfs_create_dir("memtrack", NULL);
	memtrack_debugfs_v4l2_dir = debugfs_create_dir("v4l2-memtrack", NULL);
}

void memtrack_debugfs_exit(void)
{
	debugfs_remove(memtrack_debugfs_v4l2_dir);
	debugfs_remove(memtrack_debugfs_dir);
}
