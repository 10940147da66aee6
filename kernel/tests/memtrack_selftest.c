// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_selftest: in-kernel tests of the memtrack core API.
 *
 * Every test runs at module init and prints KTAP to the kernel log.  Init
 * returns -EINVAL when any test failed, so the exit status of insmod is the
 * verdict; on success the module stays loaded doing nothing until removed.
 *
 * Expected values are computed by the tests themselves, never read back from
 * memtrack and compared with memtrack.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/memtrack.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "mtt_ktap.h"

/* A usable node: neither NULL nor an error pointer. */
#define EXPECT_NODE(ptr)						\
	do {								\
		const void *__n = (ptr);				\
		if (IS_ERR_OR_NULL(__n)) {				\
			mtt_diag("%s == %ld, expected a node",		\
				 #ptr, PTR_ERR(__n));			\
			mtt_failed = true;				\
		}							\
	} while (0)

/* An error pointer carrying @err; a node returned instead is destroyed. */
#define EXPECT_ERR_PTR(ptr, err)					\
	do {								\
		const void *__p = (ptr);				\
		long __e = (err);					\
		if (!IS_ERR(__p) || PTR_ERR(__p) != __e) {		\
			mtt_diag("%s == %ld (%s), expected ERR_PTR(%ld)", \
				 #ptr, IS_ERR(__p) ? PTR_ERR(__p) : 0L,	\
				 IS_ERR(__p) ? "error" : "pointer",	\
				 __e);					\
			mtt_failed = true;				\
		}							\
		if (!IS_ERR_OR_NULL(__p))				\
			memtrack_destroy((struct memtrack_node *)__p);	\
	} while (0)

/* Check self, total, own count and peak of a node at once. */
#define EXPECT_NODE_VALUES(node, self, total, count, peak)		\
	do {								\
		struct memtrack_node *__nv = (node);			\
		EXPECT_EQ(memtrack_read_self(__nv), self);		\
		EXPECT_EQ(memtrack_read(__nv), total);			\
		EXPECT_EQ(memtrack_read_count(__nv), count);		\
		EXPECT_EQ(memtrack_read_peak(__nv), peak);		\
	} while (0)

/* ---- callback recorder ------------------------------------------------- */

/**
 * struct mtt_rec - records the invocations of a change callback
 * @calls: number of invocations
 * @last: the total passed by the last invocation
 * @node: the node the callback was registered on
 * @wrong_node: set when the callback was passed another node
 * @sleep_ms: if non-zero, busy-wait this long inside the callback
 * @entered: completed when the callback starts
 * @done: set when a callback finished its sleep
 */
struct mtt_rec {
	atomic_t calls;
	u64 last;
	struct memtrack_node *node;
	bool wrong_node;
	unsigned int sleep_ms;
	struct completion entered;
	atomic_t done;
};

static void mtt_rec_init(struct mtt_rec *rec, struct memtrack_node *node)
{
	memset(rec, 0, sizeof(*rec));
	rec->node = node;
	init_completion(&rec->entered);
}

static void mtt_rec_fn(struct memtrack_node *node, size_t total, void *priv)
{
	struct mtt_rec *rec = priv;

	if (node != rec->node)
		WRITE_ONCE(rec->wrong_node, true);
	WRITE_ONCE(rec->last, total);
	atomic_inc(&rec->calls);
	complete(&rec->entered);
	if (rec->sleep_ms) {
		mdelay(rec->sleep_ms);
		atomic_inc(&rec->done);
	}
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

/* Wait up to @ms for at least @n calls. */
static void mtt_wait_calls(struct mtt_rec *rec, int n, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (atomic_read(&rec->calls) < n && time_before(jiffies, end))
		usleep_range(10000, 20000);
}

/* ---- tests ------------------------------------------------------------- */

static void test_totals_levels(void)
{
	struct memtrack_node *r, *a, *b, *c, *s;

	r = memtrack_create_root("mtt_selftest_totals");
	a = memtrack_create_node(r, "a");
	b = memtrack_create_node(a, "b");
	c = memtrack_create_node(b, NULL);
	s = memtrack_create_node(r, "sibling");
	EXPECT_NODE(r);
	EXPECT_NODE(a);
	EXPECT_NODE(b);
	EXPECT_NODE(c);
	EXPECT_NODE(s);

	EXPECT_NODE_VALUES(r, 0, 0, 0, 0);
	EXPECT_NODE_VALUES(c, 0, 0, 0, 0);

	EXPECT_EQ(memtrack_add(r, 1), 0);
	EXPECT_EQ(memtrack_add(a, 20), 0);
	EXPECT_EQ(memtrack_add(b, 300), 0);
	EXPECT_EQ(memtrack_add(c, 4000), 0);
	EXPECT_EQ(memtrack_add(c, 4000), 0);
	EXPECT_EQ(memtrack_add(s, 50000), 0);
	/* r=1 a=20 b=300 c=8000 s=50000 */
	EXPECT_NODE_VALUES(c, 8000, 8000, 2, 8000);
	EXPECT_NODE_VALUES(b, 300, 8300, 1, 8300);
	EXPECT_NODE_VALUES(a, 20, 8320, 1, 8320);
	EXPECT_NODE_VALUES(s, 50000, 50000, 1, 50000);
	EXPECT_NODE_VALUES(r, 1, 58321, 1, 58321);

	EXPECT_EQ(memtrack_sub(c, 3000), 0);
	/* c=5000 */
	EXPECT_NODE_VALUES(c, 5000, 5000, 1, 8000);
	EXPECT_NODE_VALUES(b, 300, 5300, 1, 8300);
	EXPECT_NODE_VALUES(r, 1, 55321, 1, 58321);

	EXPECT_EQ(memtrack_set(b, 7), 0);
	/* b=7 */
	EXPECT_NODE_VALUES(b, 7, 5007, 1, 8300);
	EXPECT_NODE_VALUES(a, 20, 5027, 1, 8320);
	EXPECT_NODE_VALUES(r, 1, 55028, 1, 58321);

	EXPECT_EQ(memtrack_set(s, 60000), 0);
	/* s=60000: a new high for s and r */
	EXPECT_NODE_VALUES(s, 60000, 60000, 1, 60000);
	EXPECT_NODE_VALUES(r, 1, 65028, 1, 65028);

	/* named allocations count in every ancestor */
	EXPECT_NODE(memtrack_alloc(c, "buf", 1000));
	EXPECT_NODE_VALUES(c, 5000, 6000, 1, 8000);
	EXPECT_NODE_VALUES(r, 1, 66028, 1, 66028);
	EXPECT_EQ(memtrack_free(c, "buf", 1000), 0);
	EXPECT_NODE_VALUES(c, 5000, 5000, 1, 8000);
	EXPECT_NODE_VALUES(a, 20, 5027, 1, 8320);
	EXPECT_NODE_VALUES(r, 1, 65028, 1, 66028);

	memtrack_destroy(r);
}

static void test_destroy_subtree(void)
{
	struct memtrack_node *r, *a, *b, *c, *keep;

	r = memtrack_create_root("mtt_selftest_destroy");
	a = memtrack_create_node(r, "a");
	b = memtrack_create_node(a, "b");
	c = memtrack_create_node(b, "c");
	keep = memtrack_create_node(r, "keep");
	EXPECT_NODE(c);
	EXPECT_NODE(keep);

	memtrack_add(r, 1);
	memtrack_add(a, 10);
	memtrack_add(b, 100);
	memtrack_add(c, 1000);
	EXPECT_NODE(memtrack_alloc(c, "leaf", 10000));
	memtrack_add(keep, 100000);
	EXPECT_EQ(memtrack_read(r), 111111);

	/* destroying b (holding 11100) adjusts a and r, peaks stay */
	memtrack_destroy(b);
	EXPECT_NODE_VALUES(a, 10, 10, 1, 11110);
	EXPECT_NODE_VALUES(r, 1, 100011, 1, 111111);
	EXPECT_NODE_VALUES(keep, 100000, 100000, 1, 100000);

	/* a leaf can be destroyed directly */
	c = memtrack_alloc(a, "direct", 5);
	EXPECT_NODE(c);
	EXPECT_EQ(memtrack_read(a), 15);
	memtrack_destroy(c);
	EXPECT_EQ(memtrack_read(a), 10);
	EXPECT_EQ(memtrack_read(r), 100011);
	EXPECT_EQ(memtrack_free(a, "direct", 5), -ENOENT);

	memtrack_destroy(a);
	EXPECT_NODE_VALUES(r, 1, 100001, 1, 111111);
	memtrack_destroy(r);
}

static void test_peak_reset(void)
{
	struct memtrack_node *r, *a;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);

	memtrack_add(a, 500);
	memtrack_add(r, 100);
	memtrack_sub(a, 400);
	/* a: total 100 peak 500; r: total 200 peak 600 */
	EXPECT_EQ(memtrack_read_peak(a), 500);
	EXPECT_EQ(memtrack_read_peak(r), 600);

	memtrack_reset_peak(a);
	EXPECT_EQ(memtrack_read_peak(a), 100);
	EXPECT_EQ(memtrack_read_peak(r), 600);

	memtrack_reset_peak(r);
	EXPECT_EQ(memtrack_read_peak(r), 200);

	memtrack_add(a, 50);
	EXPECT_EQ(memtrack_read_peak(a), 150);
	EXPECT_EQ(memtrack_read_peak(r), 250);
	memtrack_sub(a, 150);
	EXPECT_EQ(memtrack_read_peak(a), 150);
	memtrack_reset_peak(a);
	EXPECT_EQ(memtrack_read_peak(a), 0);
	EXPECT_EQ(memtrack_read_peak(r), 250);

	/* a peak reached through a named allocation */
	EXPECT_NODE(memtrack_alloc(a, "x", 1000));
	EXPECT_EQ(memtrack_free(a, "x", 1000), 0);
	EXPECT_EQ(memtrack_read_peak(a), 1000);
	EXPECT_EQ(memtrack_read_peak(r), 1100);
	EXPECT_EQ(memtrack_read(r), 100);

	memtrack_destroy(r);
}

static void test_underflow_clamp(void)
{
	struct memtrack_node *r, *a;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);
	memtrack_add(r, 1000);

	memtrack_add(a, 10);
	memtrack_add(a, 10);
	EXPECT_EQ(memtrack_sub(a, 5), 0);
	EXPECT_NODE_VALUES(a, 15, 15, 1, 20);

	/* 15 - 20: clamped at 0, -ERANGE, count 1 -> 0 */
	EXPECT_EQ(memtrack_sub(a, 20), -ERANGE);
	EXPECT_NODE_VALUES(a, 0, 0, 0, 20);
	EXPECT_EQ(memtrack_read(r), 1000);

	/* again, at 0 with count 0: stays 0 */
	EXPECT_EQ(memtrack_sub(a, 1), -ERANGE);
	EXPECT_NODE_VALUES(a, 0, 0, 0, 20);
	EXPECT_EQ(memtrack_read(r), 1000);

	/* the clamp does not leak into the ancestors */
	EXPECT_EQ(memtrack_add(a, 7), 0);
	EXPECT_EQ(memtrack_read(r), 1007);
	EXPECT_EQ(memtrack_read_count(a), 1);

	memtrack_destroy(r);
}

static void test_set_semantics(void)
{
	struct memtrack_node *r, *a;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);

	memtrack_add(a, 1);
	memtrack_add(a, 2);
	memtrack_add(a, 3);
	EXPECT_NODE_VALUES(a, 6, 6, 3, 6);
	EXPECT_EQ(memtrack_set(a, 100), 0);
	EXPECT_NODE_VALUES(a, 100, 100, 1, 100);
	EXPECT_EQ(memtrack_set(a, 40), 0);
	EXPECT_NODE_VALUES(a, 40, 40, 1, 100);
	EXPECT_EQ(memtrack_read(r), 40);
	EXPECT_EQ(memtrack_set(a, 0), 0);
	EXPECT_NODE_VALUES(a, 0, 0, 0, 100);
	EXPECT_NODE_VALUES(r, 0, 0, 0, 100);

	memtrack_destroy(r);
}

static void test_read_count(void)
{
	struct memtrack_node *r, *leaf;

	r = memtrack_create_root(NULL);
	leaf = memtrack_alloc(r, "leaf", 4096);
	EXPECT_NODE(leaf);
	EXPECT_NODE_VALUES(leaf, 4096, 4096, 1, 4096);
	/* a leaf under r is not an allocation of r itself */
	EXPECT_NODE_VALUES(r, 0, 4096, 0, 4096);
	memtrack_add(r, 1);
	memtrack_add(r, 1);
	EXPECT_EQ(memtrack_read_count(r), 2);
	memtrack_sub(r, 1);
	EXPECT_EQ(memtrack_read_count(r), 1);
	memtrack_destroy(r);
}

static void test_leaf_refusal(void)
{
	struct memtrack_node *r, *leaf;
	struct mtt_rec rec;

	r = memtrack_create_root(NULL);
	leaf = memtrack_alloc(r, "leaf", 64);
	EXPECT_NODE(leaf);
	mtt_rec_init(&rec, leaf);

	EXPECT_EQ(memtrack_add(leaf, 1), -EINVAL);
	EXPECT_EQ(memtrack_sub(leaf, 1), -EINVAL);
	EXPECT_EQ(memtrack_set(leaf, 1), -EINVAL);
	EXPECT_ERR_PTR(memtrack_create_node(leaf, "child"), -EINVAL);
	EXPECT_ERR_PTR(memtrack_alloc(leaf, "child", 1), -EINVAL);
	EXPECT_TRUE(memtrack_free(leaf, "leaf", 64) < 0);
	EXPECT_EQ(memtrack_register_notify(leaf, mtt_rec_fn, &rec), -EINVAL);
	/* nothing changed */
	EXPECT_NODE_VALUES(leaf, 64, 64, 1, 64);
	EXPECT_NODE_VALUES(r, 0, 64, 0, 64);
	memtrack_destroy(r);
}

static void test_depth_limit(void)
{
	struct memtrack_node *r, *n, *deepest = NULL;
	int depth;

	r = memtrack_create_root("mtt_selftest_depth");
	n = r;
	/* depths 1 .. MEMTRACK_MAX_DEPTH - 1 succeed */
	for (depth = 1; depth < MEMTRACK_MAX_DEPTH; depth++) {
		n = memtrack_create_node(n, NULL);
		if (IS_ERR_OR_NULL(n)) {
			mtt_diag("create at depth %d: %ld, expected a node",
				 depth, PTR_ERR(n));
			mtt_failed = true;
			break;
		}
		memtrack_add(n, 1);
		deepest = n;
	}
	EXPECT_EQ(depth, MEMTRACK_MAX_DEPTH);
	EXPECT_EQ(memtrack_read(r), MEMTRACK_MAX_DEPTH - 1);
	EXPECT_EQ(memtrack_read(deepest), 1);

	/* depth 16: refused, for nodes and allocation leaves alike */
	EXPECT_ERR_PTR(memtrack_create_node(deepest, NULL), -ENOSPC);
	EXPECT_ERR_PTR(memtrack_create_node(deepest, "named"), -ENOSPC);
	EXPECT_ERR_PTR(memtrack_alloc(deepest, "leaf", 1), -ENOSPC);
	EXPECT_EQ(memtrack_read(r), MEMTRACK_MAX_DEPTH - 1);

	/* a leaf at depth 15 is fine */
	memtrack_destroy(deepest);
	EXPECT_EQ(memtrack_read(r), MEMTRACK_MAX_DEPTH - 2);
	n = r;
	for (depth = 1; depth < MEMTRACK_MAX_DEPTH - 1 && !IS_ERR_OR_NULL(n);
	     depth++)
		n = memtrack_create_node(n, NULL);
	EXPECT_NODE(memtrack_alloc(n, "leaf15", 3));
	EXPECT_EQ(memtrack_read(r), MEMTRACK_MAX_DEPTH - 2 + 3);

	memtrack_destroy(r);
}

static void test_null_err_safety(void)
{
	struct memtrack_node *bad[] = { NULL, ERR_PTR(-ENOMEM),
					ERR_PTR(-EINVAL) };
	struct mtt_rec rec;
	int i;

	mtt_rec_init(&rec, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct memtrack_node *n = bad[i];

		EXPECT_ERR_PTR(memtrack_create_node(n, "x"), -EINVAL);
		EXPECT_ERR_PTR(memtrack_alloc(n, "x", 1), -EINVAL);
		EXPECT_TRUE(memtrack_free(n, "x", 1) < 0);
		EXPECT_EQ(memtrack_add(n, 1), -EINVAL);
		EXPECT_EQ(memtrack_sub(n, 1), -EINVAL);
		EXPECT_EQ(memtrack_set(n, 1), -EINVAL);
		EXPECT_EQ(memtrack_read(n), 0);
		EXPECT_EQ(memtrack_read_self(n), 0);
		EXPECT_EQ(memtrack_read_count(n), 0);
		EXPECT_EQ(memtrack_read_peak(n), 0);
		EXPECT_EQ(memtrack_node_id(n), 0);
		EXPECT_EQ(memtrack_register_notify(n, mtt_rec_fn, &rec),
			  -EINVAL);
		memtrack_reset_peak(n);
		memtrack_unregister_notify(n);
		memtrack_set_notify_delay(n, 10);
		memtrack_print_debug(n);
		memtrack_destroy(n);
	}
	EXPECT_CALLS(&rec, 0, 0);
}

static void test_register_errors(void)
{
	struct memtrack_node *r;
	struct mtt_rec rec;

	r = memtrack_create_root(NULL);
	EXPECT_NODE(r);
	mtt_rec_init(&rec, r);
	EXPECT_EQ(memtrack_register_notify(r, NULL, &rec), -EINVAL);
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rec), 0);
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rec), -EBUSY);
	memtrack_unregister_notify(r);
	/* unregistering twice is harmless */
	memtrack_unregister_notify(r);
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rec), 0);
	memtrack_add(r, 3);
	EXPECT_CALLS(&rec, 1, 3);
	memtrack_unregister_notify(r);
	memtrack_add(r, 3);
	EXPECT_CALLS(&rec, 1, 3);
	memtrack_destroy(r);
}

static void test_immediate_callback(void)
{
	struct memtrack_node *r, *a;
	struct mtt_rec rec;
	u64 expect = 0;
	int i;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);
	mtt_rec_init(&rec, a);
	EXPECT_EQ(memtrack_register_notify(a, mtt_rec_fn, &rec), 0);

	for (i = 1; i <= 20; i++) {
		memtrack_add(a, i);
		expect += i;
		/* synchronous: seen before memtrack_add() returned */
		EXPECT_CALLS(&rec, 2 * i - 1, expect);
		memtrack_sub(a, 1);
		expect -= 1;
		EXPECT_CALLS(&rec, 2 * i, expect);
	}
	memtrack_set(a, 5);
	EXPECT_CALLS(&rec, 41, 5);
	EXPECT_NODE(memtrack_alloc(a, "b", 10));
	EXPECT_CALLS(&rec, 42, 15);
	EXPECT_EQ(memtrack_free(a, "b", 10), 0);
	EXPECT_CALLS(&rec, 43, 5);

	memtrack_unregister_notify(a);
	memtrack_destroy(r);
}

static void test_ancestor_callbacks(void)
{
	struct memtrack_node *r, *a, *b, *c, *d;
	struct mtt_rec rr, rb, rc;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	b = memtrack_create_node(a, NULL);
	c = memtrack_create_node(b, NULL);
	d = memtrack_create_node(c, NULL);
	EXPECT_NODE(d);
	mtt_rec_init(&rr, r);
	mtt_rec_init(&rb, b);
	mtt_rec_init(&rc, c);
	/* callbacks on r, b and c; none on a and d */
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rr), 0);
	EXPECT_EQ(memtrack_register_notify(b, mtt_rec_fn, &rb), 0);
	EXPECT_EQ(memtrack_register_notify(c, mtt_rec_fn, &rc), 0);

	memtrack_add(r, 1000);
	EXPECT_CALLS(&rr, 1, 1000);
	EXPECT_CALLS(&rb, 0, 0);

	memtrack_add(d, 5);
	EXPECT_CALLS(&rr, 2, 1005);
	EXPECT_CALLS(&rb, 1, 5);
	EXPECT_CALLS(&rc, 1, 5);

	memtrack_add(a, 10);
	EXPECT_CALLS(&rr, 3, 1015);
	EXPECT_CALLS(&rb, 1, 5);

	EXPECT_NODE(memtrack_alloc(d, "buf", 100));
	EXPECT_CALLS(&rr, 4, 1115);
	EXPECT_CALLS(&rb, 2, 105);
	EXPECT_CALLS(&rc, 2, 105);

	EXPECT_EQ(memtrack_free(d, "buf", 100), 0);
	EXPECT_CALLS(&rr, 5, 1015);
	EXPECT_CALLS(&rb, 3, 5);
	EXPECT_CALLS(&rc, 3, 5);

	memtrack_set(c, 20);
	EXPECT_CALLS(&rr, 6, 1035);
	EXPECT_CALLS(&rb, 4, 25);
	EXPECT_CALLS(&rc, 4, 25);

	/* destroying a descendant notifies its ancestors */
	memtrack_destroy(d);
	EXPECT_CALLS(&rr, 7, 1030);
	EXPECT_CALLS(&rb, 5, 20);
	EXPECT_CALLS(&rc, 5, 20);

	memtrack_unregister_notify(c);
	memtrack_destroy(c);
	EXPECT_CALLS(&rr, 8, 1010);
	EXPECT_CALLS(&rb, 6, 0);

	memtrack_unregister_notify(b);
	memtrack_unregister_notify(r);
	memtrack_destroy(r);
}

static void test_coalescing(void)
{
	struct memtrack_node *r, *a;
	struct mtt_rec rr, ra;
	int i;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);
	mtt_rec_init(&rr, r);
	mtt_rec_init(&ra, a);
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rr), 0);
	EXPECT_EQ(memtrack_register_notify(a, mtt_rec_fn, &ra), 0);
	/* the delay is per node: r immediate, a coalesced over 300 ms */
	memtrack_set_notify_delay(a, 300);

	for (i = 1; i <= 10; i++)
		memtrack_add(a, i);
	memtrack_sub(a, 5);
	/* 55 - 5 = 50 */
	EXPECT_CALLS(&rr, 11, 50);
	EXPECT_CALLS(&ra, 0, 0);

	mtt_wait_calls(&ra, 1, 3000);
	msleep(400);
	EXPECT_CALLS(&ra, 1, 50);

	/* a second window */
	memtrack_add(a, 1);
	memtrack_add(a, 1);
	mtt_wait_calls(&ra, 2, 3000);
	msleep(400);
	EXPECT_CALLS(&ra, 2, 52);
	EXPECT_CALLS(&rr, 13, 52);

	/* back to immediate */
	memtrack_set_notify_delay(a, 0);
	memtrack_add(a, 1);
	EXPECT_CALLS(&ra, 3, 53);

	memtrack_unregister_notify(a);
	memtrack_unregister_notify(r);
	memtrack_destroy(r);
}

static void test_delay_disabled(void)
{
	struct memtrack_node *r, *a;
	struct mtt_rec rr, ra;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);
	mtt_rec_init(&rr, r);
	mtt_rec_init(&ra, a);
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rr), 0);
	EXPECT_EQ(memtrack_register_notify(a, mtt_rec_fn, &ra), 0);
	memtrack_set_notify_delay(a, -1);

	memtrack_add(a, 10);
	memtrack_sub(a, 3);
	memtrack_set(a, 9);
	msleep(100);
	EXPECT_CALLS(&ra, 0, 0);
	/* the ancestor still gets its own notifications */
	EXPECT_CALLS(&rr, 3, 9);

	memtrack_set_notify_delay(a, 0);
	memtrack_add(a, 1);
	EXPECT_CALLS(&ra, 1, 10);

	memtrack_unregister_notify(a);
	memtrack_unregister_notify(r);
	memtrack_destroy(r);
}

struct mtt_adder {
	struct memtrack_node *node;
	struct completion finished;
};

static int mtt_adder_fn(void *data)
{
	struct mtt_adder *adder = data;

	memtrack_add(adder->node, 1);
	kthread_complete_and_exit(&adder->finished, 0);
}

static void test_unregister_waits(void)
{
	struct memtrack_node *r;
	struct task_struct *t;
	struct mtt_adder adder;
	struct mtt_rec rec;

	r = memtrack_create_root(NULL);
	EXPECT_NODE(r);
	if (IS_ERR_OR_NULL(r))
		return;

	/* immediate callback, run by another thread's memtrack_add() */
	mtt_rec_init(&rec, r);
	rec.sleep_ms = 300;
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rec), 0);
	adder.node = r;
	init_completion(&adder.finished);
	t = kthread_run(mtt_adder_fn, &adder, "mtt_selftest_add");
	if (IS_ERR(t)) {
		mtt_diag("kthread_run: %ld", PTR_ERR(t));
		mtt_failed = true;
	} else {
		EXPECT_TRUE(wait_for_completion_timeout(&rec.entered, 10 * HZ));
		memtrack_unregister_notify(r);
		EXPECT_EQ(atomic_read(&rec.done), 1);
		wait_for_completion(&adder.finished);
	}

	/* delayed callback, run by memtrack itself */
	mtt_rec_init(&rec, r);
	rec.sleep_ms = 300;
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rec), 0);
	memtrack_set_notify_delay(r, 1);
	memtrack_add(r, 1);
	EXPECT_TRUE(wait_for_completion_timeout(&rec.entered, 10 * HZ));
	memtrack_unregister_notify(r);
	EXPECT_EQ(atomic_read(&rec.done), 1);
	EXPECT_CALLS(&rec, 1, 2);

	memtrack_destroy(r);
}

static void test_destroy_cancels_pending(void)
{
	struct memtrack_node *r, *a, *b;
	struct mtt_rec rr, ra, rb;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	b = memtrack_create_node(a, NULL);
	EXPECT_NODE(b);
	mtt_rec_init(&rr, r);
	mtt_rec_init(&ra, a);
	mtt_rec_init(&rb, b);
	EXPECT_EQ(memtrack_register_notify(r, mtt_rec_fn, &rr), 0);
	EXPECT_EQ(memtrack_register_notify(a, mtt_rec_fn, &ra), 0);
	EXPECT_EQ(memtrack_register_notify(b, mtt_rec_fn, &rb), 0);
	memtrack_set_notify_delay(a, 200);
	memtrack_set_notify_delay(b, 200);

	memtrack_add(b, 42);
	EXPECT_CALLS(&rr, 1, 42);
	EXPECT_CALLS(&ra, 0, 0);
	EXPECT_CALLS(&rb, 0, 0);

	/* a and b both have a callback pending: destroy cancels both */
	memtrack_destroy(a);
	EXPECT_CALLS(&rr, 2, 0);
	msleep(500);
	EXPECT_CALLS(&ra, 0, 0);
	EXPECT_CALLS(&rb, 0, 0);
	EXPECT_CALLS(&rr, 2, 0);

	memtrack_unregister_notify(r);
	memtrack_destroy(r);
}

/* A callback may use the API on other nodes: no memtrack lock is held. */
struct mtt_reentrant {
	struct memtrack_node *other;
	atomic_t calls;
	int err;
};

static void mtt_reentrant_fn(struct memtrack_node *node, size_t total,
			     void *priv)
{
	struct mtt_reentrant *re = priv;
	struct memtrack_node *n;

	atomic_inc(&re->calls);
	n = memtrack_create_node(re->other, NULL);
	if (IS_ERR(n)) {
		re->err = PTR_ERR(n);
		return;
	}
	memtrack_add(n, total);
	if (memtrack_read(re->other) != total)
		re->err = -EIO;
	memtrack_destroy(n);
}

static void test_callback_reentrant(void)
{
	struct memtrack_node *r, *a, *other;
	struct mtt_reentrant re = { };

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	other = memtrack_create_root(NULL);
	EXPECT_NODE(a);
	EXPECT_NODE(other);
	re.other = other;
	EXPECT_EQ(memtrack_register_notify(r, mtt_reentrant_fn, &re), 0);
	memtrack_add(a, 10);
	EXPECT_NODE(memtrack_alloc(a, "x", 5));
	EXPECT_EQ(memtrack_free(a, "x", 5), 0);
	memtrack_destroy(a);
	EXPECT_EQ(atomic_read(&re.calls), 4);
	EXPECT_EQ(re.err, 0);
	EXPECT_EQ(memtrack_read(other), 0);
	memtrack_unregister_notify(r);
	memtrack_destroy(r);
	memtrack_destroy(other);
}

static void test_free_name_and_size(void)
{
	struct memtrack_node *r;
	char name[16];

	r = memtrack_create_root(NULL);
	/* the name is copied: the caller's buffer may change */
	strscpy(name, "buf", sizeof(name));
	EXPECT_NODE(memtrack_alloc(r, name, 100));
	strscpy(name, "zzz", sizeof(name));
	EXPECT_EQ(memtrack_read(r), 100);
	EXPECT_EQ(memtrack_free(r, "buf", 200), -ENOENT);
	EXPECT_EQ(memtrack_free(r, "bu", 100), -ENOENT);
	EXPECT_EQ(memtrack_free(r, "buff", 100), -ENOENT);
	EXPECT_EQ(memtrack_free(r, "zzz", 100), -ENOENT);
	EXPECT_EQ(memtrack_read(r), 100);
	EXPECT_EQ(memtrack_free(r, "buf", 100), 0);
	EXPECT_EQ(memtrack_read(r), 0);
	EXPECT_EQ(memtrack_free(r, "buf", 100), -ENOENT);
	/* unnamed bytes of the parent are not touched by free */
	memtrack_add(r, 100);
	EXPECT_EQ(memtrack_free(r, "buf", 100), -ENOENT);
	EXPECT_NODE_VALUES(r, 100, 100, 1, 100);
	memtrack_destroy(r);
}

static void test_duplicate_allocs(void)
{
	struct memtrack_node *r, *a;
	int i;

	r = memtrack_create_root(NULL);
	a = memtrack_create_node(r, NULL);
	EXPECT_NODE(a);
	for (i = 0; i < 3; i++)
		EXPECT_NODE(memtrack_alloc(a, "dup", 100));
	EXPECT_NODE(memtrack_alloc(a, "dup", 200));
	EXPECT_NODE(memtrack_alloc(r, "dup", 100));
	EXPECT_EQ(memtrack_read(a), 500);
	EXPECT_EQ(memtrack_read(r), 600);

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(memtrack_free(a, "dup", 100), 0);
		EXPECT_EQ(memtrack_read(a), 500 - 100 * (i + 1));
	}
	EXPECT_EQ(memtrack_free(a, "dup", 100), -ENOENT);
	EXPECT_EQ(memtrack_read(r), 300);
	EXPECT_EQ(memtrack_free(a, "dup", 200), 0);
	EXPECT_EQ(memtrack_free(a, "dup", 200), -ENOENT);
	/* the one under r is still there */
	EXPECT_EQ(memtrack_read(r), 100);
	EXPECT_EQ(memtrack_free(r, "dup", 100), 0);
	EXPECT_EQ(memtrack_read(r), 0);
	memtrack_destroy(r);
}

static int mtt_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

#define MT_IDS 64

static void test_unique_ids(void)
{
	struct memtrack_node *r, *r2, *n;
	u64 *ids;
	int i, n_ids = 0;

	ids = kcalloc(2 * MT_IDS, sizeof(*ids), GFP_KERNEL);
	if (!ids) {
		mtt_failed = true;
		return;
	}
	r = memtrack_create_root(NULL);
	r2 = memtrack_create_root(NULL);
	ids[n_ids++] = memtrack_node_id(r);
	ids[n_ids++] = memtrack_node_id(r2);
	for (i = 0; i < MT_IDS / 2 - 1; i++) {
		n = memtrack_create_node(i & 1 ? r : r2, NULL);
		ids[n_ids++] = memtrack_node_id(n);
		n = memtrack_alloc(n, "leaf", 1);
		ids[n_ids++] = memtrack_node_id(n);
	}
	/* ids are not reused after destruction while loaded */
	memtrack_destroy(r);
	memtrack_destroy(r2);
	r = memtrack_create_root(NULL);
	for (i = 0; i < MT_IDS; i++) {
		n = memtrack_create_node(r, NULL);
		ids[n_ids++] = memtrack_node_id(n);
	}
	memtrack_destroy(r);

	sort(ids, n_ids, sizeof(*ids), mtt_cmp_u64, NULL);
	EXPECT_TRUE(ids[0] != 0);
	for (i = 1; i < n_ids; i++) {
		if (ids[i] == ids[i - 1]) {
			mtt_diag("id %llu appears twice", ids[i]);
			mtt_failed = true;
		}
	}
	kfree(ids);
}

#define MT_SIBLINGS 10000

static void test_many_siblings(void)
{
	struct memtrack_node *r, *a;
	char name[24];
	u64 expect = 0;
	int i, errs = 0;

	r = memtrack_create_root("mtt_selftest_siblings");
	a = memtrack_create_node(r, "parent");
	EXPECT_NODE(a);
	for (i = 0; i < MT_SIBLINGS; i++) {
		snprintf(name, sizeof(name), "buf%d", i % 100);
		if (IS_ERR_OR_NULL(memtrack_alloc(a, name, i + 1)))
			errs++;
		expect += i + 1;
	}
	EXPECT_EQ(errs, 0);
	EXPECT_EQ(memtrack_read(a), expect);
	EXPECT_EQ(memtrack_read(r), expect);
	EXPECT_EQ(memtrack_read_count(a), 0);

	/* wrong sizes never match: sizes of "bufK" are K+1 + 100 j */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "buf%d", i);
		if (memtrack_free(a, name, i + 2) != -ENOENT)
			errs++;
	}
	EXPECT_EQ(errs, 0);

	/* free in a different order: strided */
	for (i = 0; i < MT_SIBLINGS; i++) {
		int k = (i * 7919) % MT_SIBLINGS;

		snprintf(name, sizeof(name), "buf%d", k % 100);
		if (memtrack_free(a, name, k + 1) != 0)
			errs++;
		expect -= k + 1;
		if (i % 1000 == 999 && memtrack_read(r) != expect)
			errs++;
	}
	EXPECT_EQ(errs, 0);
	EXPECT_EQ(expect, 0);
	EXPECT_EQ(memtrack_read(r), 0);
	EXPECT_EQ(memtrack_free(a, "buf0", 1), -ENOENT);
	EXPECT_EQ(memtrack_read_peak(r), MT_SIBLINGS * (MT_SIBLINGS + 1ULL) / 2);
	memtrack_destroy(r);
}

static bool mtt_debugfs_exists(const char *name)
{
	struct dentry *dir, *file;

	dir = debugfs_lookup("memtrack", NULL);
	if (IS_ERR_OR_NULL(dir))
		return false;
	file = debugfs_lookup(name, dir);
	dput(dir);
	if (IS_ERR_OR_NULL(file))
		return false;
	dput(file);
	return true;
}

static void test_debugfs_same_name(void)
{
	struct memtrack_node *r1, *r2;
	char name[64];

	r1 = memtrack_create_root("mtt_selftest_dup");
	r2 = memtrack_create_root("mtt_selftest_dup");
	EXPECT_NODE(r1);
	EXPECT_NODE(r2);
	EXPECT_TRUE(memtrack_node_id(r1) != memtrack_node_id(r2));
	snprintf(name, sizeof(name), "mtt_selftest_dup.%llu",
		 memtrack_node_id(r2));
	EXPECT_TRUE(mtt_debugfs_exists("mtt_selftest_dup"));
	if (!mtt_debugfs_exists(name)) {
		mtt_diag("memtrack/%s missing", name);
		mtt_failed = true;
	}
	memtrack_destroy(r2);
	EXPECT_TRUE(!mtt_debugfs_exists(name));
	EXPECT_TRUE(mtt_debugfs_exists("mtt_selftest_dup"));
	memtrack_destroy(r1);
	EXPECT_TRUE(!mtt_debugfs_exists("mtt_selftest_dup"));
}

static const struct mtt_case mtt_cases[] = {
	{ "totals_levels", test_totals_levels },
	{ "destroy_subtree", test_destroy_subtree },
	{ "peak_reset", test_peak_reset },
	{ "underflow_clamp", test_underflow_clamp },
	{ "set_semantics", test_set_semantics },
	{ "read_count", test_read_count },
	{ "leaf_refusal", test_leaf_refusal },
	{ "depth_limit", test_depth_limit },
	{ "null_err_safety", test_null_err_safety },
	{ "register_errors", test_register_errors },
	{ "immediate_callback", test_immediate_callback },
	{ "ancestor_callbacks", test_ancestor_callbacks },
	{ "coalescing", test_coalescing },
	{ "delay_disabled", test_delay_disabled },
	{ "unregister_waits", test_unregister_waits },
	{ "destroy_cancels_pending", test_destroy_cancels_pending },
	{ "callback_reentrant", test_callback_reentrant },
	{ "free_name_and_size", test_free_name_and_size },
	{ "duplicate_allocs", test_duplicate_allocs },
	{ "unique_ids", test_unique_ids },
	{ "many_siblings", test_many_siblings },
	{ "debugfs_same_name", test_debugfs_same_name },
};

static int __init memtrack_selftest_init(void)
{
	int failed = mtt_run("memtrack_selftest", mtt_cases, ARRAY_SIZE(mtt_cases));

	return failed ? -EINVAL : 0;
}

static void __exit memtrack_selftest_exit(void)
{
}

module_init(memtrack_selftest_init);
module_exit(memtrack_selftest_exit);

MODULE_DESCRIPTION("memtrack core API self-test (KTAP at load)");
MODULE_LICENSE("GPL");
