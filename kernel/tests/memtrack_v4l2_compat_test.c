// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_v4l2_compat_test: checks the v4l2_memtrack_* compatibility API
 * the way a V4L2 driver uses it.
 *
 * The driver-facing calls are only those of <media/v4l2-memtrack.h>.  What
 * the compat API cannot show (a node's own bytes and allocation count) is
 * observed with the core's read functions, and memtrack_alloc() is used once
 * to obtain a leaf pointer, which the compat API never hands out, to check
 * that leaves are refused.  The tree "mtt_compat_view" stays until module
 * exit so that v4l2-compat.sh can check its debugfs view.
 *
 * Results are printed as KTAP at module init; init fails with -EINVAL when
 * any check failed.  Requires debugfs mounted at /sys/kernel/debug.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <media/v4l2-memtrack.h>

#include "mtt_ktap.h"

/* ---- observation ------------------------------------------------------- */

static bool mtt_view_exists(const char *dir, const char *root)
{
	char path[128];
	struct file *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", dir, root);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return false;
	filp_close(f, NULL);
	return true;
}

/*
 * Check a node's subtree total, own allocation count and own bytes.  The
 * compat API only reads the total; the other two come from the core, whose
 * node a v4l2_memtrack_node is.
 */
#define EXPECT_NODE3(node, e_total, e_count, e_self)			\
	do {								\
		struct v4l2_memtrack_node *__n3 = (node);		\
		EXPECT_EQ(v4l2_memtrack_read(__n3), e_total);		\
		EXPECT_EQ(memtrack_read_count(__n3), e_count);		\
		EXPECT_EQ(memtrack_read_self(__n3), e_self);		\
	} while (0)

/* ---- callback recorder ------------------------------------------------- */

struct mtt_rec {
	atomic_t calls;
	size_t last;
	struct v4l2_memtrack_node *node;
	bool wrong_node;
};

/* The documented callback signature. */
static void mtt_rec_fn(struct v4l2_memtrack_node *node, size_t total,
		       void *priv)
{
	struct mtt_rec *rec = priv;

	if (node != rec->node)
		WRITE_ONCE(rec->wrong_node, true);
	WRITE_ONCE(rec->last, total);
	atomic_inc(&rec->calls);
}

static void mtt_rec_init(struct mtt_rec *rec, struct v4l2_memtrack_node *node)
{
	memset(rec, 0, sizeof(*rec));
	rec->node = node;
}

#define EXPECT_CALLS(rec, ncalls, total)				\
	do {								\
		struct mtt_rec *__r = (rec);				\
		int __c = (ncalls);					\
		EXPECT_EQ(atomic_read(&__r->calls), __c);		\
		if (__c)						\
			EXPECT_EQ(READ_ONCE(__r->last), total);		\
		EXPECT_TRUE(!READ_ONCE(__r->wrong_node));		\
	} while (0)

static void mtt_wait_calls(struct mtt_rec *rec, int n, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (atomic_read(&rec->calls) < n && time_before(jiffies, end))
		usleep_range(10000, 20000);
}

/* ---- tests ------------------------------------------------------------- */

static void test_null_safety(void)
{
	struct mtt_rec rec;

	mtt_rec_init(&rec, NULL);
	EXPECT_TRUE(!v4l2_memtrack_create_node(NULL, "x"));
	EXPECT_TRUE(!v4l2_memtrack_create_node(NULL, NULL));
	v4l2_memtrack_destroy_node(NULL);
	v4l2_memtrack_add(NULL, 1, NULL);
	v4l2_memtrack_add(NULL, 1, "x");
	v4l2_memtrack_sub(NULL, 1, NULL);
	v4l2_memtrack_sub(NULL, 1, "x");
	v4l2_memtrack_set(NULL, 1);
	EXPECT_EQ(v4l2_memtrack_read(NULL), 0);
	EXPECT_EQ(v4l2_memtrack_register_notify(NULL, mtt_rec_fn, &rec),
		  -EINVAL);
	v4l2_memtrack_unregister_notify(NULL);
	v4l2_memtrack_set_notify_delay(NULL, 5);
	v4l2_memtrack_print_debug(NULL);
	EXPECT_CALLS(&rec, 0, 0);
}

/* Kept until module exit: v4l2-compat.sh checks its debugfs view. */
static struct v4l2_memtrack_node *mtt_view_root;

static void test_create_and_debugfs(void)
{
	struct v4l2_memtrack_node *root, *stream, *anon, *tmp;

	/*
	 * mtt_compat_view (1079)
	 *   stream0 (79: self 10)
	 *     (unnamed) (69: self 5)
	 *       buf [leaf] (64)
	 *   firmware [leaf] (1000)
	 */
	root = v4l2_memtrack_create_root("mtt_compat_view");
	EXPECT_TRUE(root);
	stream = v4l2_memtrack_create_node(root, "stream0");
	anon = v4l2_memtrack_create_node(stream, NULL);
	EXPECT_TRUE(stream);
	EXPECT_TRUE(anon);
	v4l2_memtrack_add(root, 1000, "firmware");
	v4l2_memtrack_add(stream, 10, NULL);
	v4l2_memtrack_add(anon, 5, NULL);
	v4l2_memtrack_add(anon, 64, "buf");
	EXPECT_NODE3(root, 1079, 0, 0);
	EXPECT_NODE3(stream, 79, 1, 10);
	EXPECT_NODE3(anon, 69, 1, 5);
	EXPECT_TRUE(mtt_view_exists("v4l2-memtrack", "mtt_compat_view"));
	mtt_view_root = root;

	/* destroying a root removes its file; unnamed roots have none */
	tmp = v4l2_memtrack_create_root("mtt_compat_tmp");
	EXPECT_TRUE(tmp);
	EXPECT_TRUE(mtt_view_exists("v4l2-memtrack", "mtt_compat_tmp"));
	v4l2_memtrack_destroy_node(tmp);
	EXPECT_TRUE(!mtt_view_exists("v4l2-memtrack", "mtt_compat_tmp"));
	tmp = v4l2_memtrack_create_root(NULL);
	EXPECT_TRUE(tmp);
	v4l2_memtrack_destroy_node(tmp);
}

static void test_depth_limit(void)
{
	struct v4l2_memtrack_node *root, *n, *last = NULL;
	int levels;

	root = v4l2_memtrack_create_root(NULL);
	EXPECT_TRUE(root);
	n = root;
	/* the root is level 1 of 16 */
	for (levels = 1; levels < 16 && n; levels++) {
		n = v4l2_memtrack_create_node(n, NULL);
		if (n)
			last = n;
	}
	EXPECT_EQ(levels, 16);
	EXPECT_TRUE(n);
	EXPECT_TRUE(!v4l2_memtrack_create_node(last, "too_deep"));
	v4l2_memtrack_destroy_node(root);
}

static void test_leaf_refusal(void)
{
	struct v4l2_memtrack_node *root, *leaf;
	struct mtt_rec rec;

	root = v4l2_memtrack_create_root("mtt_compat_leaf");
	/* the compat API never returns a leaf: take one from the core */
	leaf = memtrack_alloc(root, "leaf", 100);
	EXPECT_TRUE(!IS_ERR_OR_NULL(leaf));
	if (IS_ERR(leaf))
		leaf = NULL;
	mtt_rec_init(&rec, leaf);

	v4l2_memtrack_add(leaf, 1, NULL);
	v4l2_memtrack_add(leaf, 1, "child");
	v4l2_memtrack_sub(leaf, 1, NULL);
	v4l2_memtrack_set(leaf, 5);
	EXPECT_TRUE(!v4l2_memtrack_create_node(leaf, "child"));
	EXPECT_EQ(v4l2_memtrack_register_notify(leaf, mtt_rec_fn, &rec),
		  -EINVAL);
	EXPECT_EQ(v4l2_memtrack_read(leaf), 100);
	EXPECT_EQ(v4l2_memtrack_read(root), 100);
	EXPECT_NODE3(leaf, 100, 1, 100);
	v4l2_memtrack_destroy_node(root);
}

static void test_named_sub(void)
{
	struct v4l2_memtrack_node *root, *n;

	root = v4l2_memtrack_create_root("mtt_compat_sub");
	n = v4l2_memtrack_create_node(root, "n");
	EXPECT_TRUE(n);

	v4l2_memtrack_add(n, 50, NULL);
	v4l2_memtrack_add(n, 100, "buf");
	v4l2_memtrack_add(n, 100, "buf");
	v4l2_memtrack_add(n, 200, "buf");
	EXPECT_EQ(v4l2_memtrack_read(n), 450);
	EXPECT_NODE3(n, 450, 1, 50);

	/* name and size match: one leaf removed, own bytes untouched */
	v4l2_memtrack_sub(n, 200, "buf");
	EXPECT_EQ(v4l2_memtrack_read(n), 250);
	EXPECT_NODE3(n, 250, 1, 50);
	v4l2_memtrack_sub(n, 100, "buf");
	EXPECT_EQ(v4l2_memtrack_read(n), 150);
	EXPECT_NODE3(n, 150, 1, 50);

	/* same name, other size: falls back to the own bytes, 50 - 30 */
	v4l2_memtrack_sub(n, 30, "buf");
	EXPECT_EQ(v4l2_memtrack_read(n), 120);
	EXPECT_NODE3(n, 120, 0, 20);

	/* unknown name: fallback, clamped at 0 (20 - 70) */
	v4l2_memtrack_sub(n, 70, "nothing");
	EXPECT_EQ(v4l2_memtrack_read(n), 100);
	EXPECT_NODE3(n, 100, 0, 0);
	EXPECT_EQ(v4l2_memtrack_read(root), 100);

	/* the remaining leaf is still there and matches */
	v4l2_memtrack_sub(n, 100, "buf");
	EXPECT_EQ(v4l2_memtrack_read(n), 0);
	EXPECT_EQ(v4l2_memtrack_read(root), 0);

	/* unnamed sub decrements the count while positive */
	v4l2_memtrack_add(n, 10, NULL);
	v4l2_memtrack_add(n, 10, NULL);
	v4l2_memtrack_sub(n, 5, NULL);
	EXPECT_NODE3(n, 15, 1, 15);
	v4l2_memtrack_destroy_node(root);
}

static void test_set_count(void)
{
	struct v4l2_memtrack_node *root, *n;

	root = v4l2_memtrack_create_root("mtt_compat_set");
	n = v4l2_memtrack_create_node(root, "n");
	EXPECT_TRUE(n);
	v4l2_memtrack_add(n, 1, NULL);
	v4l2_memtrack_add(n, 2, NULL);
	v4l2_memtrack_add(n, 3, NULL);
	EXPECT_NODE3(n, 6, 3, 6);
	v4l2_memtrack_set(n, 4096);
	EXPECT_NODE3(n, 4096, 1, 4096);
	EXPECT_EQ(v4l2_memtrack_read(root), 4096);
	v4l2_memtrack_set(n, 0);
	EXPECT_NODE3(n, 0, 0, 0);
	EXPECT_EQ(v4l2_memtrack_read(root), 0);
	v4l2_memtrack_destroy_node(root);
}

static void test_register(void)
{
	struct v4l2_memtrack_node *root, *n;
	struct mtt_rec rr, rn;

	root = v4l2_memtrack_create_root(NULL);
	n = v4l2_memtrack_create_node(root, NULL);
	EXPECT_TRUE(n);
	mtt_rec_init(&rr, root);
	mtt_rec_init(&rn, n);
	EXPECT_EQ(v4l2_memtrack_register_notify(root, mtt_rec_fn, &rr), 0);
	EXPECT_EQ(v4l2_memtrack_register_notify(root, mtt_rec_fn, &rr),
		  -EBUSY);
	EXPECT_EQ(v4l2_memtrack_register_notify(n, mtt_rec_fn, &rn), 0);

	/* immediate by default; every ancestor is notified */
	v4l2_memtrack_add(n, 10, NULL);
	EXPECT_CALLS(&rn, 1, 10);
	EXPECT_CALLS(&rr, 1, 10);
	v4l2_memtrack_add(n, 20, "buf");
	EXPECT_CALLS(&rn, 2, 30);
	EXPECT_CALLS(&rr, 2, 30);
	v4l2_memtrack_sub(n, 20, "buf");
	EXPECT_CALLS(&rn, 3, 10);
	v4l2_memtrack_set(n, 7);
	EXPECT_CALLS(&rn, 4, 7);
	EXPECT_CALLS(&rr, 4, 7);
	v4l2_memtrack_add(root, 1, NULL);
	EXPECT_CALLS(&rn, 4, 7);
	EXPECT_CALLS(&rr, 5, 8);

	/* destroying a child notifies the ancestors */
	v4l2_memtrack_unregister_notify(n);
	v4l2_memtrack_destroy_node(n);
	EXPECT_CALLS(&rr, 6, 1);
	EXPECT_CALLS(&rn, 4, 7);

	v4l2_memtrack_unregister_notify(root);
	v4l2_memtrack_add(root, 1, NULL);
	EXPECT_CALLS(&rr, 6, 1);
	EXPECT_EQ(v4l2_memtrack_register_notify(root, mtt_rec_fn, &rr), 0);
	v4l2_memtrack_unregister_notify(root);
	v4l2_memtrack_destroy_node(root);
}

static void test_notify_delay_per_node(void)
{
	struct v4l2_memtrack_node *root, *n;
	struct mtt_rec rr, rn;
	int i;

	root = v4l2_memtrack_create_root(NULL);
	n = v4l2_memtrack_create_node(root, NULL);
	EXPECT_TRUE(n);
	mtt_rec_init(&rr, root);
	mtt_rec_init(&rn, n);
	EXPECT_EQ(v4l2_memtrack_register_notify(root, mtt_rec_fn, &rr), 0);
	EXPECT_EQ(v4l2_memtrack_register_notify(n, mtt_rec_fn, &rn), 0);

	/* per node: n coalesces, root stays immediate */
	v4l2_memtrack_set_notify_delay(n, 300);
	for (i = 0; i < 8; i++)
		v4l2_memtrack_add(n, 100, NULL);
	EXPECT_CALLS(&rr, 8, 800);
	EXPECT_CALLS(&rn, 0, 0);
	mtt_wait_calls(&rn, 1, 3000);
	msleep(400);
	EXPECT_CALLS(&rn, 1, 800);

	/* disabled on root only */
	v4l2_memtrack_set_notify_delay(root, -1);
	v4l2_memtrack_set_notify_delay(n, 0);
	v4l2_memtrack_sub(n, 100, NULL);
	EXPECT_CALLS(&rn, 2, 700);
	msleep(50);
	EXPECT_CALLS(&rr, 8, 800);

	v4l2_memtrack_unregister_notify(n);
	v4l2_memtrack_unregister_notify(root);
	v4l2_memtrack_destroy_node(root);
}

static void test_destroy_with_memory(void)
{
	struct v4l2_memtrack_node *root, *n;

	/*
	 * v4l2-compat.sh looks for these at debug level: "mtt_compat_printed"
	 * from v4l2_memtrack_print_debug() (and not from destroy, as it holds
	 * nothing by then), "mtt_compat_leftover" from the destroy of a root
	 * still holding memory.
	 */
	root = v4l2_memtrack_create_root("mtt_compat_print");
	n = v4l2_memtrack_create_node(root, "mtt_compat_printed");
	EXPECT_TRUE(n);
	v4l2_memtrack_add(n, 4242, NULL);
	v4l2_memtrack_print_debug(root);
	v4l2_memtrack_sub(n, 4242, NULL);
	EXPECT_EQ(v4l2_memtrack_read(root), 0);
	v4l2_memtrack_destroy_node(root);

	root = v4l2_memtrack_create_root("mtt_compat_leak");
	n = v4l2_memtrack_create_node(root, "mtt_compat_leftover");
	EXPECT_TRUE(n);
	v4l2_memtrack_add(n, 12345, NULL);
	v4l2_memtrack_add(n, 678, "mtt_compat_leftover_buf");
	EXPECT_EQ(v4l2_memtrack_read(root), 13023);
	v4l2_memtrack_destroy_node(root);
}

static const struct mtt_case mtt_cases[] = {
	{ "null_safety", test_null_safety },
	{ "create_and_debugfs", test_create_and_debugfs },
	{ "depth_limit", test_depth_limit },
	{ "leaf_refusal", test_leaf_refusal },
	{ "named_sub", test_named_sub },
	{ "set_count", test_set_count },
	{ "register", test_register },
	{ "notify_delay_per_node", test_notify_delay_per_node },
	{ "destroy_with_memory", test_destroy_with_memory },
};

static int __init mtt_compat_test_init(void)
{
	int failed = mtt_run("memtrack_v4l2_compat_test", mtt_cases, ARRAY_SIZE(mtt_cases));

	if (failed) {
		v4l2_memtrack_destroy_node(mtt_view_root);
		return -EINVAL;
	}
	return 0;
}

static void __exit mtt_compat_test_exit(void)
{
	v4l2_memtrack_destroy_node(mtt_view_root);
}

module_init(mtt_compat_test_init);
module_exit(mtt_compat_test_exit);

MODULE_DESCRIPTION("memtrack V4L2 compatibility API test (KTAP at load)");
MODULE_LICENSE("GPL");
