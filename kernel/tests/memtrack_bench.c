// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_bench: micro-benchmarks of the memtrack core, run at load.
 *
 * Each benchmark repeats its operation in batches until target_ms has passed
 * and prints one line "bench NAME ns_per_op VALUE" (VALUE with two decimals)
 * plus "bench NAME ops N".  Init returns 0; unload the module afterwards.
 *
 *   floor_atomic64_add          one atomic64_add() on a shared counter: the
 *                               cost floor of one level of a charge
 *   add_sub_depth{1,4,8}        memtrack_add(n, 1) or memtrack_sub(n, 1) on a
 *                               node at that depth (ns per call)
 *   add_sub_depth4_tree{10,100000}
 *                               the same at depth 4 in a tree of that many
 *                               nodes (flatness: should not grow)
 *   threads4_same_node          4 threads add/sub on one node; ns per call
 *                               as seen by each thread (wall / calls each)
 *   threads4_sibling_nodes      the same, each thread on its own sibling
 *   alloc_free_live{10,10000}   memtrack_alloc() + memtrack_free() of one
 *                               named leaf next to that many live ones (ns
 *                               per pair)
 *   read_root_tree100000        memtrack_read() of a root over 100,000 nodes
 *   read_leaf                   memtrack_read() of an allocation leaf
 *
 * Module parameters: "only" (a benchmark name prefix, default all) and
 * "target_ms" (time per benchmark, default 300).
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/memtrack.h>
#include <linux/module.h>
#include <linux/string.h>

static char *only = "";
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "run only benchmarks whose name starts with this");

static unsigned int target_ms = 300;
module_param(target_ms, uint, 0444);
MODULE_PARM_DESC(target_ms, "time spent on each benchmark, in ms");

#define BATCH		1000
#define THREADS		4

static bool bench_selected(const char *name)
{
	return !only || !*only || !strncmp(name, only, strlen(only));
}

static void bench_report(const char *name, u64 ns, u64 ops)
{
	u64 centi = ops ? div64_u64(ns * 100, ops) : 0;

	pr_info("bench %s ns_per_op %llu.%02llu\n", name, centi / 100,
		centi % 100);
	pr_info("bench %s ops %llu\n", name, ops);
}

/*
 * Run @fn(@arg) in batches of BATCH calls until target_ms has passed; each
 * call of @fn counts as @per_call operations.
 */
static void bench_run(const char *name, void (*fn)(void *arg), void *arg,
		      unsigned int per_call)
{
	u64 start, now, target = (u64)target_ms * NSEC_PER_MSEC, calls = 0;
	int i;

	if (!bench_selected(name))
		return;
	start = ktime_get_ns();
	do {
		for (i = 0; i < BATCH; i++)
			fn(arg);
		calls += BATCH;
		now = ktime_get_ns();
		cond_resched();
	} while (now - start < target);
	bench_report(name, now - start, calls * per_call);
}

static atomic64_t bench_counter;

static void bench_atomic_fn(void *arg)
{
	atomic64_add(1, &bench_counter);
}

static void bench_add_sub_fn(void *arg)
{
	memtrack_add(arg, 1);
	memtrack_sub(arg, 1);
}

static void bench_read_fn(void *arg)
{
	static u64 sink;

	WRITE_ONCE(sink, sink + memtrack_read(arg));
}

/* A chain from a new root down to a node at @depth; returns that node. */
static struct memtrack_node *bench_chain(struct memtrack_node *root,
					 int depth)
{
	struct memtrack_node *n = root;

	while (depth-- > 0 && !IS_ERR(n))
		n = memtrack_create_node(n, NULL);
	return n;
}

static void bench_depths(void)
{
	static const int depths[] = { 1, 4, 8 };
	struct memtrack_node *root, *n;
	char name[32];
	int i;

	for (i = 0; i < ARRAY_SIZE(depths); i++) {
		snprintf(name, sizeof(name), "add_sub_depth%d", depths[i]);
		if (!bench_selected(name))
			continue;
		root = memtrack_create_root(NULL);
		n = bench_chain(root, depths[i]);
		if (!IS_ERR(n))
			bench_run(name, bench_add_sub_fn, n, 2);
		memtrack_destroy(root);
	}
}

/* A tree of @nodes nodes: a depth-4 chain plus fillers of fanout 16. */
static struct memtrack_node *bench_tree(unsigned long nodes,
					struct memtrack_node **leaf)
{
	struct memtrack_node *root, *mid = NULL, *n;
	unsigned long i;

	root = memtrack_create_root(NULL);
	*leaf = bench_chain(root, 4);
	for (i = 5; i < nodes; i++) {
		if (!mid || !(i % 16)) {
			mid = memtrack_create_node(root, NULL);
			if (IS_ERR(mid))
				break;
			continue;
		}
		n = memtrack_create_node(mid, NULL);
		if (IS_ERR(n))
			break;
		memtrack_add(n, 1);
		if (!(i % 1024))
			cond_resched();
	}
	return root;
}

static void bench_flatness(void)
{
	static const unsigned long sizes[] = { 10, 100000 };
	struct memtrack_node *root, *n;
	char name[48];
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		snprintf(name, sizeof(name), "add_sub_depth4_tree%lu", sizes[i]);
		if (!bench_selected(name))
			continue;
		root = bench_tree(sizes[i], &n);
		if (!IS_ERR(n))
			bench_run(name, bench_add_sub_fn, n, 2);
		memtrack_destroy(root);
	}
}

struct bench_thread {
	struct memtrack_node *node;
	atomic_t *go;
	bool *stop;
	u64 calls;
	struct completion done;
};

static int bench_thread_fn(void *data)
{
	struct bench_thread *t = data;
	int i;

	while (!atomic_read(t->go))
		usleep_range(1000, 2000);
	while (!READ_ONCE(*t->stop)) {
		for (i = 0; i < BATCH; i++) {
			memtrack_add(t->node, 1);
			memtrack_sub(t->node, 1);
		}
		t->calls += 2 * BATCH;
		cond_resched();
	}
	kthread_complete_and_exit(&t->done, 0);
}

static void bench_threads(const char *name, bool siblings)
{
	struct bench_thread t[THREADS] = { };
	struct memtrack_node *root, *parent, *shared;
	atomic_t go = ATOMIC_INIT(0);
	bool stop = false;
	u64 start, ns, calls = 0;
	int i, started = 0;

	if (!bench_selected(name))
		return;
	root = memtrack_create_root(NULL);
	parent = memtrack_create_node(root, NULL);
	shared = memtrack_create_node(parent, NULL);
	for (i = 0; i < THREADS; i++) {
		struct task_struct *task;

		t[i].node = siblings ? memtrack_create_node(parent, NULL) :
				       shared;
		t[i].go = &go;
		t[i].stop = &stop;
		init_completion(&t[i].done);
		task = kthread_run(bench_thread_fn, &t[i], "memtrack-bench/%d",
				   i);
		if (IS_ERR(task))
			break;
		started++;
	}
	start = ktime_get_ns();
	atomic_set(&go, 1);
	msleep(target_ms);
	WRITE_ONCE(stop, true);
	for (i = 0; i < started; i++) {
		wait_for_completion(&t[i].done);
		calls += t[i].calls;
	}
	ns = ktime_get_ns() - start;
	if (started)
		bench_report(name, ns, div_u64(calls, started));
	memtrack_destroy(root);
}

struct bench_alloc {
	struct memtrack_node *parent;
};

static void bench_alloc_fn(void *arg)
{
	struct bench_alloc *a = arg;

	memtrack_alloc(a->parent, "bench", 64);
	memtrack_free(a->parent, "bench", 64);
}

static void bench_allocs(void)
{
	static const int live[] = { 10, 10000 };
	struct bench_alloc a;
	struct memtrack_node *root;
	char name[48];
	int i, j;

	for (i = 0; i < ARRAY_SIZE(live); i++) {
		snprintf(name, sizeof(name), "alloc_free_live%d", live[i]);
		if (!bench_selected(name))
			continue;
		root = memtrack_create_root(NULL);
		a.parent = memtrack_create_node(root, NULL);
		for (j = 0; j < live[i]; j++) {
			char leaf[16];

			snprintf(leaf, sizeof(leaf), "live%d", j);
			memtrack_alloc(a.parent, leaf, 4096 + j);
		}
		bench_run(name, bench_alloc_fn, &a, 1);
		memtrack_destroy(root);
	}
}

static void bench_reads(void)
{
	struct memtrack_node *root, *n, *leaf;

	if (bench_selected("read_root_tree100000")) {
		root = bench_tree(100000, &n);
		bench_run("read_root_tree100000", bench_read_fn, root, 1);
		memtrack_destroy(root);
	}
	if (bench_selected("read_leaf")) {
		root = memtrack_create_root(NULL);
		leaf = memtrack_alloc(root, "leaf", 4096);
		if (!IS_ERR(leaf))
			bench_run("read_leaf", bench_read_fn, leaf, 1);
		memtrack_destroy(root);
	}
}

static int __init bench_init(void)
{
	u64 start = ktime_get_ns();

	bench_run("floor_atomic64_add", bench_atomic_fn, NULL, 1);
	bench_depths();
	bench_flatness();
	bench_threads("threads4_same_node", false);
	bench_threads("threads4_sibling_nodes", true);
	bench_allocs();
	bench_reads();
	pr_info("bench done in %llu ms\n",
		div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));
	return 0;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_DESCRIPTION("memtrack micro-benchmarks (results at load)");
MODULE_LICENSE("GPL");
