// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_exerciser: drives the memtrack core from user space.  Test and
 * demo only.
 *
 * Interface, in <debugfs>/memtrack-exerciser/:
 *
 * control (write one command per write(2); errors come back as errno):
 *
 *   create PATH [NAME]       create a node; a single component makes a root.
 *                            The parent must exist.  NAME is the memtrack
 *                            name (default: the last component of PATH; "-"
 *                            for an unnamed node), so two roots can share a
 *                            name: "create a dup" and "create b dup".
 *   destroy PATH             destroy the node and its subtree.
 *   add|sub|set PATH BYTES   memtrack_add/sub/set (sub returns -ERANGE when
 *                            it clamped, as memtrack_sub() does).
 *   alloc PATH NAME BYTES    memtrack_alloc(): a named allocation leaf.
 *   free PATH NAME BYTES     memtrack_free().
 *   notify PATH DELAY_MS     register a callback counting its invocations and
 *                            recording the last total, then set the delay.
 *   unnotify PATH            unregister it.
 *   reset-peak PATH          memtrack_reset_peak().
 *   bulk PATH N FANOUT       create N unnamed nodes below PATH, each with 1
 *                            byte added (so PATH's total grows by exactly N
 *                            and its debugfs view by N lines).  Node i
 *                            (0-based) is a child of PATH when i < FANOUT,
 *                            else of node i / FANOUT - 1 (a FANOUT-ary heap),
 *                            except that a node whose parent sits at depth
 *                            MEMTRACK_MAX_DEPTH - 1 becomes a child of PATH.
 *                            They are not addressable; destroying PATH
 *                            removes them.
 *   stress start THREADS SECONDS
 *                            create root "stress" with one node "stress/wI"
 *                            per worker thread; each worker adds, subs, sets,
 *                            allocs, frees, creates and destroys in its own
 *                            subtree for SECONDS, keeping a ledger of the
 *                            bytes it expects and checking it against
 *                            memtrack_read() every 256 operations and at the
 *                            end.  The tree stays after the workers finish.
 *   stress stop              stop the workers early (waits for them).
 *   codec start DEVICES STREAMS PERIOD_MS
 *                            simulated V4L2 decoder, see codec_tick().
 *   codec stop               stop it, close all streams, free the firmware
 *                            and destroy the device roots.
 *   churn create N           create root "churn" with N named children
 *                            c0..c(N-1) at 0 bytes, for the daemon
 *                            benchmark.  The children are not addressable;
 *                            "destroy churn" removes them.
 *   churn start RATE SECONDS
 *                            a kernel thread does RATE memtrack_set() calls
 *                            per second on the children, round-robin, for
 *                            SECONDS, paced in 10 ms ticks (a late tick
 *                            catches up).  Each set writes the current
 *                            CLOCK_REALTIME in microseconds modulo 10^10
 *                            (a wheel of 2 h 46 min), so that a listener
 *                            can tell how old a value is; the totals stay
 *                            far from overflow (10^6 children at most).
 *   churn stop               stop the thread early (waits for it).
 *   warn                     WARN() once, for the harness self-test.
 *
 * While stress, codec or churn runs, its roots refuse changes from commands
 * (-EBUSY) except notify, unnotify and reset-peak; stress and churn keep
 * them busy until "stress stop" or "churn stop".
 *
 * status (read): one record per line, words separated by spaces:
 *
 *   node PATH id ID total T self S count C peak P
 *   notify PATH calls N last TOTAL delay D
 *   stress running 0|1 workers W ops N ledger_ok 0|1 expected X actual Y
 *   stress-worker I ops N ledger L actual A mismatches M errors E done 0|1
 *   codec running 0|1 devices D streams S period_ms P ticks T ledger_ok 0|1
 *   codec-device vpuD open N opened N closed N expected X actual Y errors E
 *   churn running 0|1 nodes N rate R seconds S sets X errors E elapsed_ms T
 *
 * stress "expected" is the sum of the worker ledgers and "actual" the total
 * of the stress root; ledger_ok is 1 only when no worker runs, every worker
 * found its ledger equal to memtrack at every check, no call failed, and
 * expected == actual.  churn "sets" counts the memtrack_set() calls done
 * and "elapsed_ms" the time the thread has run (up to SECONDS), so
 * sets * 1000 / elapsed_ms is the rate achieved; "errors" counts failed calls.
 */
#include <linux/bug.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/memtrack.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

static bool warn_on_load;
module_param(warn_on_load, bool, 0444);
MODULE_PARM_DESC(warn_on_load, "WARN() at load, for the harness self-test");

#define EX_CMD_MAX	256
#define EX_BULK_MAX	1000000

/* ---- path map ----------------------------------------------------------- */

/**
 * struct ex_entry - an addressable node
 * @hash: in ex_map, keyed by the path
 * @list: in ex_list, in creation order
 * @root: the entry of the root of the path
 * @node: the memtrack node
 * @calls: callback invocations
 * @last: total passed to the last invocation
 * @delay: notify delay last set
 * @notify: a callback is registered
 * @busy: owned by stress or codec: commands may not change it
 * @path: the slash path
 */
struct ex_entry {
	struct hlist_node hash;
	struct list_head list;
	struct ex_entry *root;
	struct memtrack_node *node;
	atomic64_t calls;
	u64 last;
	int delay;
	bool notify;
	bool busy;
	char path[];
};

/* ex_lock protects the map, and serialises commands and status. */
static DEFINE_MUTEX(ex_lock);
static DEFINE_HASHTABLE(ex_map, 10);
static LIST_HEAD(ex_list);
/* the entry of the "stress" root while stress owns one */
static struct ex_entry *ex_stress_root;

/**
 * struct ex_churn_state - the churn generator, see ex_churn_fn()
 * @task: the thread while it exists (then @root is busy)
 * @root: the entry of the "churn" root, or NULL
 * @nodes: its children c0..c(@n - 1)
 * @n: number of children
 * @rate: memtrack_set() calls per second
 * @seconds: how long the thread runs
 * @next: the child the next set goes to
 * @sets: calls done
 * @errors: calls that failed
 * @elapsed_ns: time the thread has run, up to @seconds
 * @done: the thread finished its run
 */
struct ex_churn_state {
	struct task_struct *task;
	struct ex_entry *root;
	struct memtrack_node **nodes;
	unsigned int n;
	unsigned int rate;
	unsigned int seconds;
	unsigned int next;
	u64 sets;
	u64 errors;
	u64 elapsed_ns;
	bool done;
};

static struct ex_churn_state ex_churn;

static u32 ex_hash(const char *path)
{
	return full_name_hash(NULL, path, strlen(path));
}

static struct ex_entry *ex_lookup(const char *path)
{
	struct ex_entry *e;

	hash_for_each_possible(ex_map, e, hash, ex_hash(path))
		if (!strcmp(e->path, path))
			return e;
	return NULL;
}

static struct ex_entry *ex_add_entry(const char *path,
				     struct memtrack_node *node,
				     struct ex_entry *root)
{
	size_t len = strlen(path) + 1;
	struct ex_entry *e;

	e = kzalloc(struct_size(e, path, len), GFP_KERNEL);
	if (!e)
		return NULL;
	memcpy(e->path, path, len);
	e->node = node;
	e->root = root ? root : e;
	hash_add(ex_map, &e->hash, ex_hash(e->path));
	list_add_tail(&e->list, &ex_list);
	return e;
}

/* Is @e the entry @path or one below it? */
static bool ex_in_subtree(const struct ex_entry *e, const char *path)
{
	size_t len = strlen(path);

	return !strncmp(e->path, path, len) &&
	       (e->path[len] == '\0' || e->path[len] == '/');
}

static void ex_notify_fn(struct memtrack_node *node, size_t total, void *priv)
{
	struct ex_entry *e = priv;

	WRITE_ONCE(e->last, total);
	atomic64_inc(&e->calls);
}

static void ex_unnotify(struct ex_entry *e)
{
	if (e->notify) {
		memtrack_unregister_notify(e->node);
		e->notify = false;
	}
}

/* Destroy the node of @e with its subtree and forget their entries. */
static void ex_destroy_entry(struct ex_entry *target)
{
	struct ex_entry *e, *tmp;
	char *path;

	path = kstrdup(target->path, GFP_KERNEL);
	/* without memory, only the exact entry is forgotten */
	list_for_each_entry(e, &ex_list, list)
		if (path ? ex_in_subtree(e, path) : e == target)
			ex_unnotify(e);
	memtrack_destroy(target->node);
	list_for_each_entry_safe(e, tmp, &ex_list, list) {
		if (path ? ex_in_subtree(e, path) : e == target) {
			if (e == ex_stress_root)
				ex_stress_root = NULL;
			if (e == ex_churn.root) {
				/* busy while the thread exists: it is gone */
				ex_churn.root = NULL;
				vfree(ex_churn.nodes);
				ex_churn.nodes = NULL;
				ex_churn.n = 0;
			}
			hash_del(&e->hash);
			list_del(&e->list);
			kfree(e);
		}
	}
	kfree(path);
}

/* ---- stress ------------------------------------------------------------- */

#define EX_SLOTS	32
#define EX_CHILDREN	8
#define EX_MAX_WORKERS	64

struct ex_alloc {
	u32 size;
	u8 name;
	bool used;
};

struct ex_child {
	struct memtrack_node *node;
	u64 bytes;
};

/**
 * struct ex_worker - one stress thread and its private ledger
 * @task: the thread
 * @node: its node, stress/wI
 * @id: I
 * @end: jiffies at which it stops
 * @rnd: its random state, seeded with I
 * @ledger: bytes it expects in its subtree
 * @self: bytes it expects on @node itself
 * @ops: operations done
 * @mismatches: checks that found memtrack_read() != @ledger
 * @errors: calls that failed unexpectedly
 * @done: finished its run and its final check
 * @allocs: its named allocations under @node
 * @children: its child nodes
 */
struct ex_worker {
	struct task_struct *task;
	struct memtrack_node *node;
	int id;
	unsigned long end;
	struct rnd_state rnd;
	u64 ledger;
	u64 self;
	u64 ops;
	u64 mismatches;
	u64 errors;
	bool done;
	struct ex_alloc allocs[EX_SLOTS];
	struct ex_child children[EX_CHILDREN];
};

static struct ex_worker *ex_workers;
static int ex_nworkers;

static u32 ex_rand(struct rnd_state *rnd, u32 n)
{
	return prandom_u32_state(rnd) % n;
}

static void ex_worker_check(struct ex_worker *w)
{
	if (memtrack_read(w->node) != w->ledger ||
	    memtrack_read_self(w->node) != w->self)
		WRITE_ONCE(w->mismatches, w->mismatches + 1);
}

static void ex_worker_op(struct ex_worker *w)
{
	u32 op = ex_rand(&w->rnd, 8), i = ex_rand(&w->rnd, EX_SLOTS);
	u32 b = ex_rand(&w->rnd, SZ_64K) + 1;
	struct ex_child *c = &w->children[i % EX_CHILDREN];
	struct ex_alloc *a = &w->allocs[i];
	struct memtrack_node *n;
	char name[8];
	bool err = false;

	switch (op) {
	case 0:
	case 1:
		err = memtrack_add(w->node, b);
		w->self += b;
		w->ledger += b;
		break;
	case 2:
		b = min_t(u64, b, w->self);
		err = memtrack_sub(w->node, b);
		w->self -= b;
		w->ledger -= b;
		break;
	case 3:
		err = memtrack_set(w->node, b);
		w->ledger = w->ledger - w->self + b;
		w->self = b;
		break;
	case 4:
		if (a->used)
			break;
		/* few names: duplicates of name and size happen */
		a->name = ex_rand(&w->rnd, 8);
		a->size = b % 4096 + 1;
		snprintf(name, sizeof(name), "a%u", a->name);
		n = memtrack_alloc(w->node, name, a->size);
		if (IS_ERR(n)) {
			err = PTR_ERR(n) != -ENOMEM;
			break;
		}
		a->used = true;
		w->ledger += a->size;
		break;
	case 5:
		if (!a->used)
			break;
		snprintf(name, sizeof(name), "a%u", a->name);
		err = memtrack_free(w->node, name, a->size);
		a->used = false;
		w->ledger -= a->size;
		break;
	case 6:
		if (c->node)
			break;
		n = memtrack_create_node(w->node, NULL);
		if (IS_ERR(n)) {
			err = PTR_ERR(n) != -ENOMEM;
			break;
		}
		c->node = n;
		c->bytes = b;
		err = memtrack_add(n, b);
		if (!IS_ERR(memtrack_alloc(n, "c", 100)))
			c->bytes += 100;
		w->ledger += c->bytes;
		break;
	case 7:
		if (!c->node)
			break;
		memtrack_destroy(c->node);
		c->node = NULL;
		w->ledger -= c->bytes;
		break;
	}
	if (err)
		WRITE_ONCE(w->errors, w->errors + 1);
}

static int ex_worker_fn(void *data)
{
	struct ex_worker *w = data;

	while (!kthread_should_stop() && time_before(jiffies, w->end)) {
		ex_worker_op(w);
		WRITE_ONCE(w->ops, w->ops + 1);
		if (!(w->ops % 256))
			ex_worker_check(w);
		cond_resched();
	}
	ex_worker_check(w);
	/* pairs with smp_load_acquire() in status: ledger is final */
	smp_store_release(&w->done, true);
	/* wait for kthread_stop() */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static void ex_stress_stop(void)
{
	int i;

	for (i = 0; i < ex_nworkers; i++) {
		if (ex_workers[i].task) {
			kthread_stop(ex_workers[i].task);
			put_task_struct(ex_workers[i].task);
			ex_workers[i].task = NULL;
		}
	}
	if (ex_stress_root) {
		struct ex_entry *e;

		list_for_each_entry(e, &ex_list, list)
			if (e->root == ex_stress_root)
				e->busy = false;
	}
}

static int ex_stress_start(unsigned int threads, unsigned int seconds)
{
	struct memtrack_node *root, *n;
	struct ex_entry *re;
	char path[32];
	int i;

	if (!threads || threads > EX_MAX_WORKERS || !seconds)
		return -EINVAL;
	if (ex_lookup("stress"))
		return -EEXIST;
	ex_stress_stop();
	kfree(ex_workers);
	ex_nworkers = 0;
	ex_stress_root = NULL;
	ex_workers = kcalloc(threads, sizeof(*ex_workers), GFP_KERNEL);
	if (!ex_workers)
		return -ENOMEM;

	root = memtrack_create_root("stress");
	if (IS_ERR(root))
		return PTR_ERR(root);
	re = ex_add_entry("stress", root, NULL);
	if (!re) {
		memtrack_destroy(root);
		return -ENOMEM;
	}
	re->busy = true;
	ex_stress_root = re;
	for (i = 0; i < threads; i++) {
		struct ex_worker *w = &ex_workers[i];
		struct ex_entry *e;

		snprintf(path, sizeof(path), "stress/w%d", i);
		n = memtrack_create_node(root, path + strlen("stress/"));
		if (IS_ERR(n))
			goto err_workers;
		e = ex_add_entry(path, n, re);
		if (!e) {
			memtrack_destroy(n);
			goto err_workers;
		}
		e->busy = true;
		w->node = n;
		w->id = i;
		w->end = jiffies + seconds * HZ;
		prandom_seed_state(&w->rnd, i + 1);
	}
	for (i = 0; i < threads; i++) {
		struct task_struct *t;

		t = kthread_create(ex_worker_fn, &ex_workers[i],
				   "memtrack-stress/%d", i);
		if (IS_ERR(t))
			goto err_threads;
		get_task_struct(t);
		ex_workers[i].task = t;
		ex_nworkers = i + 1;
	}
	for (i = 0; i < threads; i++)
		wake_up_process(ex_workers[i].task);
	return 0;

err_threads:
	for (i = 0; i < ex_nworkers; i++) {
		kthread_stop(ex_workers[i].task);
		put_task_struct(ex_workers[i].task);
	}
err_workers:
	ex_nworkers = 0;
	ex_stress_root = NULL;
	ex_destroy_entry(re);
	return -ENOMEM;
}

static void ex_stress_status(struct seq_file *m)
{
	u64 ops = 0, expected = 0, actual;
	bool running = false, ok = true;
	int i;

	if (!ex_nworkers)
		return;
	for (i = 0; i < ex_nworkers; i++) {
		struct ex_worker *w = &ex_workers[i];
		/* pairs with smp_store_release() in ex_worker_fn() */
		bool done = smp_load_acquire(&w->done);

		running |= !done;
		ops += READ_ONCE(w->ops);
		expected += READ_ONCE(w->ledger);
		ok &= done && !READ_ONCE(w->mismatches) && !READ_ONCE(w->errors);
	}
	actual = ex_stress_root ? memtrack_read(ex_stress_root->node) : 0;
	ok &= ex_stress_root && expected == actual;
	seq_printf(m, "stress running %d workers %d ops %llu ledger_ok %d expected %llu actual %llu\n",
		   running, ex_nworkers, ops, ok, expected, actual);
	for (i = 0; i < ex_nworkers; i++) {
		struct ex_worker *w = &ex_workers[i];

		seq_printf(m, "stress-worker %d ops %llu ledger %llu actual %llu mismatches %llu errors %llu done %d\n",
			   i, READ_ONCE(w->ops), READ_ONCE(w->ledger),
			   ex_stress_root ? memtrack_read(w->node) : 0,
			   READ_ONCE(w->mismatches), READ_ONCE(w->errors),
			   /* see ex_worker_fn() */
			   smp_load_acquire(&w->done));
	}
}

/* ---- codec -------------------------------------------------------------- */

/*
 * A simulated V4L2 stateful decoder, deterministic (prandom seeded with 42).
 * Per device vpuD: a root "vpuD" holding the named leaf "firmware" (1 MiB),
 * allocated at start.  Per device, STREAMS stream slots; every PERIOD_MS
 * each slot, in device then slot order, does one step:
 *  - closed: with probability 1/4 it opens: node "streamM" under the root,
 *    64 KiB of unnamed context bytes, EX_BITSTREAM "bitstream" leaves of
 *    256 KiB..1 MiB (4 KiB steps), and a DPB of 4..7 "frame" leaves of an
 *    NV12 frame of 720p, 1080p or 2160p (w * h * 3 / 2, page aligned);
 *  - open, probability 1/32: it closes: frees every leaf by name and size,
 *    subtracts the context and destroys the stream node;
 *  - open, probability 1/16: resolution change: frees the DPB and allocates
 *    a new one for a new resolution;
 *  - otherwise decoding churn: one bitstream buffer is freed and another of
 *    a new size allocated.
 * After every tick the device root's total is compared with the ledger.
 */
#define EX_BITSTREAM	4
#define EX_FIRMWARE	SZ_1M
#define EX_CONTEXT	SZ_64K

struct ex_stream {
	struct memtrack_node *node;
	u32 frame_size;
	u32 dpb;
	u32 bs[EX_BITSTREAM];
};

struct ex_device {
	struct memtrack_node *root;
	struct ex_entry *entry;
	struct ex_stream *streams;
	u64 expected;
	u64 open;
	u64 opened;
	u64 closed;
	u64 errors;
};

static struct {
	struct task_struct *task;
	struct ex_device *dev;
	unsigned int ndev;
	unsigned int nstreams;
	unsigned int period_ms;
	u64 ticks;
	u64 bad_ticks;
	bool running;
	struct rnd_state rnd;
} ex_codec;

static const struct {
	u32 w, h;
} ex_resolutions[] = { { 1280, 720 }, { 1920, 1080 }, { 3840, 2160 } };

static void ex_codec_err(struct ex_device *d, bool err)
{
	if (err)
		WRITE_ONCE(d->errors, d->errors + 1);
}

static u32 ex_codec_bs_size(void)
{
	return SZ_256K + ex_rand(&ex_codec.rnd, 193) * SZ_4K;
}

static void ex_codec_alloc(struct ex_device *d, struct memtrack_node *n,
			   const char *name, u32 size)
{
	ex_codec_err(d, IS_ERR(memtrack_alloc(n, name, size)));
	WRITE_ONCE(d->expected, d->expected + size);
}

static void ex_codec_free(struct ex_device *d, struct memtrack_node *n,
			  const char *name, u32 size)
{
	ex_codec_err(d, memtrack_free(n, name, size) != 0);
	WRITE_ONCE(d->expected, d->expected - size);
}

static void ex_codec_dpb(struct ex_device *d, struct ex_stream *s, bool alloc)
{
	u32 i;

	if (alloc) {
		u32 r = ex_rand(&ex_codec.rnd, ARRAY_SIZE(ex_resolutions));

		s->frame_size = PAGE_ALIGN(ex_resolutions[r].w *
					   ex_resolutions[r].h * 3 / 2);
		s->dpb = 4 + ex_rand(&ex_codec.rnd, 4);
	}
	for (i = 0; i < s->dpb; i++) {
		if (alloc)
			ex_codec_alloc(d, s->node, "frame", s->frame_size);
		else
			ex_codec_free(d, s->node, "frame", s->frame_size);
	}
}

static void ex_codec_open(struct ex_device *d, struct ex_stream *s, int m)
{
	struct memtrack_node *n;
	char name[16];
	int i;

	snprintf(name, sizeof(name), "stream%d", m);
	n = memtrack_create_node(d->root, name);
	if (IS_ERR(n)) {
		ex_codec_err(d, true);
		return;
	}
	s->node = n;
	ex_codec_err(d, memtrack_add(n, EX_CONTEXT) != 0);
	WRITE_ONCE(d->expected, d->expected + EX_CONTEXT);
	for (i = 0; i < EX_BITSTREAM; i++) {
		s->bs[i] = ex_codec_bs_size();
		ex_codec_alloc(d, n, "bitstream", s->bs[i]);
	}
	ex_codec_dpb(d, s, true);
	WRITE_ONCE(d->open, d->open + 1);
	WRITE_ONCE(d->opened, d->opened + 1);
}

static void ex_codec_close(struct ex_device *d, struct ex_stream *s)
{
	int i;

	ex_codec_dpb(d, s, false);
	for (i = 0; i < EX_BITSTREAM; i++)
		ex_codec_free(d, s->node, "bitstream", s->bs[i]);
	ex_codec_err(d, memtrack_sub(s->node, EX_CONTEXT) != 0);
	WRITE_ONCE(d->expected, d->expected - EX_CONTEXT);
	ex_codec_err(d, memtrack_read(s->node) != 0);
	memtrack_destroy(s->node);
	s->node = NULL;
	WRITE_ONCE(d->open, d->open - 1);
	WRITE_ONCE(d->closed, d->closed + 1);
}

static void codec_tick(void)
{
	unsigned int i, m;

	for (i = 0; i < ex_codec.ndev; i++) {
		struct ex_device *d = &ex_codec.dev[i];

		for (m = 0; m < ex_codec.nstreams; m++) {
			struct ex_stream *s = &d->streams[m];
			u32 k;

			if (!s->node) {
				if (!ex_rand(&ex_codec.rnd, 4))
					ex_codec_open(d, s, m);
			} else if (!ex_rand(&ex_codec.rnd, 32)) {
				ex_codec_close(d, s);
			} else if (!ex_rand(&ex_codec.rnd, 16)) {
				ex_codec_dpb(d, s, false);
				ex_codec_dpb(d, s, true);
			} else {
				k = ex_rand(&ex_codec.rnd, EX_BITSTREAM);
				ex_codec_free(d, s->node, "bitstream", s->bs[k]);
				s->bs[k] = ex_codec_bs_size();
				ex_codec_alloc(d, s->node, "bitstream", s->bs[k]);
			}
		}
		if (memtrack_read(d->root) != d->expected)
			WRITE_ONCE(ex_codec.bad_ticks, ex_codec.bad_ticks + 1);
	}
	WRITE_ONCE(ex_codec.ticks, ex_codec.ticks + 1);
}

static int ex_codec_fn(void *data)
{
	while (!kthread_should_stop()) {
		codec_tick();
		msleep_interruptible(ex_codec.period_ms);
	}
	return 0;
}

/* Stop the thread, close every stream, free the firmware, destroy roots. */
static void ex_codec_stop(void)
{
	unsigned int i, m;

	if (ex_codec.task) {
		kthread_stop(ex_codec.task);
		put_task_struct(ex_codec.task);
		ex_codec.task = NULL;
	}
	for (i = 0; i < ex_codec.ndev; i++) {
		struct ex_device *d = &ex_codec.dev[i];

		if (!d->root)
			continue;
		for (m = 0; m < ex_codec.nstreams; m++)
			if (d->streams[m].node)
				ex_codec_close(d, &d->streams[m]);
		ex_codec_free(d, d->root, "firmware", EX_FIRMWARE);
		ex_codec_err(d, memtrack_read(d->root) != 0 || d->expected);
		kfree(d->streams);
		d->streams = NULL;
		if (d->entry)
			ex_destroy_entry(d->entry);
		else
			memtrack_destroy(d->root);
		d->entry = NULL;
		d->root = NULL;
	}
	ex_codec.running = false;
}

static int ex_codec_start(unsigned int ndev, unsigned int nstreams,
			  unsigned int period_ms)
{
	struct task_struct *t;
	unsigned int i;
	char name[16];

	if (ex_codec.running)
		return -EBUSY;
	if (!ndev || ndev > 16 || !nstreams || nstreams > 64 || !period_ms)
		return -EINVAL;
	for (i = 0; i < ndev; i++) {
		snprintf(name, sizeof(name), "vpu%u", i);
		if (ex_lookup(name))
			return -EEXIST;
	}
	kfree(ex_codec.dev);
	memset(&ex_codec, 0, sizeof(ex_codec));
	ex_codec.dev = kcalloc(ndev, sizeof(*ex_codec.dev), GFP_KERNEL);
	if (!ex_codec.dev)
		return -ENOMEM;
	ex_codec.ndev = ndev;
	ex_codec.nstreams = nstreams;
	ex_codec.period_ms = period_ms;
	ex_codec.running = true;
	prandom_seed_state(&ex_codec.rnd, 42);
	for (i = 0; i < ndev; i++) {
		struct ex_device *d = &ex_codec.dev[i];

		snprintf(name, sizeof(name), "vpu%u", i);
		d->streams = kcalloc(nstreams, sizeof(*d->streams), GFP_KERNEL);
		if (!d->streams)
			goto err;
		d->root = memtrack_create_root(name);
		if (IS_ERR(d->root)) {
			d->root = NULL;
			goto err;
		}
		d->entry = ex_add_entry(name, d->root, NULL);
		if (!d->entry)
			goto err;
		d->entry->busy = true;
		ex_codec_alloc(d, d->root, "firmware", EX_FIRMWARE);
	}
	t = kthread_run(ex_codec_fn, NULL, "memtrack-codec");
	if (IS_ERR(t))
		goto err;
	get_task_struct(t);
	ex_codec.task = t;
	return 0;

err:
	ex_codec_stop();
	return -ENOMEM;
}

static void ex_codec_status(struct seq_file *m)
{
	u64 errors = 0;
	unsigned int i;

	if (!ex_codec.dev)
		return;
	for (i = 0; i < ex_codec.ndev; i++)
		errors += READ_ONCE(ex_codec.dev[i].errors);
	seq_printf(m, "codec running %d devices %u streams %u period_ms %u ticks %llu ledger_ok %d\n",
		   ex_codec.running, ex_codec.ndev, ex_codec.nstreams,
		   ex_codec.period_ms, READ_ONCE(ex_codec.ticks),
		   !errors && !READ_ONCE(ex_codec.bad_ticks));
	for (i = 0; i < ex_codec.ndev; i++) {
		struct ex_device *d = &ex_codec.dev[i];

		seq_printf(m, "codec-device vpu%u open %llu opened %llu closed %llu expected %llu actual %llu errors %llu\n",
			   i, READ_ONCE(d->open), READ_ONCE(d->opened),
			   READ_ONCE(d->closed), READ_ONCE(d->expected),
			   d->root ? memtrack_read(d->root) : 0,
			   READ_ONCE(d->errors));
	}
}

/* ---- churn -------------------------------------------------------------- */

#define EX_CHURN_MAX_NODES	1000000
#define EX_CHURN_MAX_RATE	1000000
#define EX_CHURN_TICK_US	10000
/* values are CLOCK_REALTIME microseconds modulo this */
#define EX_CHURN_WHEEL		10000000000ULL

static void ex_churn_set(void)
{
	u64 us = div_u64(ktime_get_real_ns(), NSEC_PER_USEC), v;

	div64_u64_rem(us, EX_CHURN_WHEEL, &v);
	if (memtrack_set(ex_churn.nodes[ex_churn.next], v))
		WRITE_ONCE(ex_churn.errors, ex_churn.errors + 1);
	if (++ex_churn.next == ex_churn.n)
		ex_churn.next = 0;
}

/*
 * Every tick (10 ms), do the sets due since the start: rate * elapsed time,
 * so a late tick catches up and the rate achieved is the one asked for
 * unless the CPU cannot keep up (sets stays behind, visible in status).
 */
static int ex_churn_fn(void *data)
{
	u64 start = ktime_get_ns(), end = (u64)ex_churn.seconds * NSEC_PER_SEC;
	u64 now, due;

	while (!kthread_should_stop()) {
		now = min(ktime_get_ns() - start, end);
		due = div_u64(div_u64(now, NSEC_PER_USEC) * ex_churn.rate,
			      USEC_PER_SEC);
		while (ex_churn.sets < due && !kthread_should_stop()) {
			ex_churn_set();
			WRITE_ONCE(ex_churn.sets, ex_churn.sets + 1);
			if (!(ex_churn.sets % 64))
				cond_resched();
		}
		WRITE_ONCE(ex_churn.elapsed_ns, now);
		if (now >= end)
			break;
		usleep_range(EX_CHURN_TICK_US, EX_CHURN_TICK_US + 500);
	}
	/* pairs with smp_load_acquire() in status */
	smp_store_release(&ex_churn.done, true);
	/* wait for kthread_stop() */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static void ex_churn_stop(void)
{
	if (ex_churn.task) {
		kthread_stop(ex_churn.task);
		put_task_struct(ex_churn.task);
		ex_churn.task = NULL;
	}
	if (ex_churn.root)
		ex_churn.root->busy = false;
}

static int ex_churn_create(unsigned int n)
{
	struct memtrack_node *root, *c;
	struct ex_entry *re;
	char name[16];
	unsigned int i;
	int err = -ENOMEM;

	if (!n || n > EX_CHURN_MAX_NODES)
		return -EINVAL;
	if (ex_lookup("churn"))
		return -EEXIST;
	vfree(ex_churn.nodes);
	memset(&ex_churn, 0, sizeof(ex_churn));
	ex_churn.nodes = vcalloc(n, sizeof(*ex_churn.nodes));
	if (!ex_churn.nodes)
		return -ENOMEM;
	root = memtrack_create_root("churn");
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto err_nodes;
	}
	re = ex_add_entry("churn", root, NULL);
	if (!re) {
		memtrack_destroy(root);
		goto err_nodes;
	}
	ex_churn.root = re;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%u", i);
		c = memtrack_create_node(root, name);
		if (IS_ERR(c)) {
			/* forgets the nodes too */
			ex_destroy_entry(re);
			return PTR_ERR(c);
		}
		ex_churn.nodes[i] = c;
		if (!(i % 1024))
			cond_resched();
	}
	ex_churn.n = n;
	return 0;

err_nodes:
	vfree(ex_churn.nodes);
	ex_churn.nodes = NULL;
	return err;
}

static int ex_churn_start(unsigned int rate, unsigned int seconds)
{
	struct task_struct *t;

	if (!ex_churn.root)
		return -ENOENT;
	if (ex_churn.task)
		return -EBUSY;
	if (!rate || rate > EX_CHURN_MAX_RATE || !seconds)
		return -EINVAL;
	ex_churn.rate = rate;
	ex_churn.seconds = seconds;
	ex_churn.next = 0;
	ex_churn.sets = 0;
	ex_churn.errors = 0;
	ex_churn.elapsed_ns = 0;
	ex_churn.done = false;
	t = kthread_create(ex_churn_fn, NULL, "memtrack-churn");
	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	ex_churn.task = t;
	ex_churn.root->busy = true;
	wake_up_process(t);
	return 0;
}

static void ex_churn_status(struct seq_file *m)
{
	if (!ex_churn.root)
		return;
	seq_printf(m, "churn running %d nodes %u rate %u seconds %u sets %llu errors %llu elapsed_ms %llu\n",
		   /* see ex_churn_fn() */
		   ex_churn.task && !smp_load_acquire(&ex_churn.done),
		   ex_churn.n, ex_churn.rate, ex_churn.seconds,
		   READ_ONCE(ex_churn.sets), READ_ONCE(ex_churn.errors),
		   div_u64(READ_ONCE(ex_churn.elapsed_ns), NSEC_PER_MSEC));
}

/* ---- commands ----------------------------------------------------------- */

static int ex_bulk(struct ex_entry *e, unsigned long n, unsigned int fanout)
{
	struct memtrack_node **nodes;
	u8 *depth;
	unsigned long i;
	int base = 0, err = 0;
	struct memtrack_node *p;

	if (!fanout || n > EX_BULK_MAX)
		return -EINVAL;
	/* depth of PATH below its root */
	for (i = 0; e->path[i]; i++)
		base += e->path[i] == '/';
	nodes = vmalloc(array_size(n ? n : 1, sizeof(*nodes)));
	depth = vmalloc(n ? n : 1);
	if (!nodes || !depth) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned long parent = i / fanout;
		int d = base + 1;

		p = e->node;
		if (parent && depth[parent - 1] + 1 < MEMTRACK_MAX_DEPTH) {
			p = nodes[parent - 1];
			d = depth[parent - 1] + 1;
		}
		nodes[i] = memtrack_create_node(p, NULL);
		if (IS_ERR(nodes[i])) {
			err = PTR_ERR(nodes[i]);
			break;
		}
		depth[i] = d;
		memtrack_add(nodes[i], 1);
		if (!(i % 1024))
			cond_resched();
	}
out:
	vfree(depth);
	vfree(nodes);
	return err;
}

static int ex_parse_u64(const char *s, u64 *v)
{
	return s ? kstrtou64(s, 0, v) : -EINVAL;
}

/* Entry of an existing node that commands may change. */
static struct ex_entry *ex_target(const char *path, bool change, int *err)
{
	struct ex_entry *e;

	*err = -EINVAL;
	if (!path)
		return NULL;
	e = ex_lookup(path);
	*err = -ENOENT;
	if (!e)
		return NULL;
	*err = -EBUSY;
	if (change && e->root->busy)
		return NULL;
	return e;
}

static int ex_create(const char *path, const char *name)
{
	struct ex_entry *parent = NULL, *e;
	struct memtrack_node *n;
	const char *slash, *last;
	char *ppath;
	int err;

	if (!path || !*path || path[0] == '/' || strstr(path, "//") ||
	    path[strlen(path) - 1] == '/')
		return -EINVAL;
	if (ex_lookup(path))
		return -EEXIST;
	slash = strrchr(path, '/');
	last = slash ? slash + 1 : path;
	if (!name)
		name = last;
	else if (!strcmp(name, "-"))
		name = NULL;
	if (slash) {
		ppath = kstrndup(path, slash - path, GFP_KERNEL);
		if (!ppath)
			return -ENOMEM;
		parent = ex_target(ppath, true, &err);
		kfree(ppath);
		if (!parent)
			return err;
		n = memtrack_create_node(parent->node, name);
	} else {
		n = memtrack_create_root(name);
	}
	if (IS_ERR(n))
		return PTR_ERR(n);
	e = ex_add_entry(path, n, parent ? parent->root : NULL);
	if (!e) {
		memtrack_destroy(n);
		return -ENOMEM;
	}
	return 0;
}

static int ex_notify(struct ex_entry *e, const char *delay_s)
{
	int delay, err;

	err = delay_s ? kstrtoint(delay_s, 0, &delay) : -EINVAL;
	if (err)
		return err;
	if (e->notify)
		return -EBUSY;
	atomic64_set(&e->calls, 0);
	e->last = 0;
	err = memtrack_register_notify(e->node, ex_notify_fn, e);
	if (err)
		return err;
	e->notify = true;
	e->delay = delay;
	memtrack_set_notify_delay(e->node, delay);
	return 0;
}

static int ex_command(char *cmd)
{
	char *argv[5] = { };
	int argc = 0, err;
	struct ex_entry *e;
	const char *verb;
	u64 a, b, c;
	char *tok;

	while ((tok = strsep(&cmd, " \t")) && argc < ARRAY_SIZE(argv)) {
		if (*tok)
			argv[argc++] = tok;
	}
	if (tok || !argc)
		return -EINVAL;
	verb = argv[0];

	if (!strcmp(verb, "create"))
		return argc <= 3 ? ex_create(argv[1], argv[2]) : -EINVAL;
	if (!strcmp(verb, "warn")) {
		WARN(1, "memtrack_exerciser: warn command\n");
		return 0;
	}
	if (!strcmp(verb, "stress") || !strcmp(verb, "codec")) {
		bool stress = verb[0] == 's';

		if (argv[1] && !strcmp(argv[1], "stop") && argc == 2) {
			if (stress)
				ex_stress_stop();
			else
				ex_codec_stop();
			return 0;
		}
		if (!argv[1] || strcmp(argv[1], "start"))
			return -EINVAL;
		if (stress) {
			if (argc != 4 || ex_parse_u64(argv[2], &a) ||
			    ex_parse_u64(argv[3], &b) || a > EX_MAX_WORKERS ||
			    b > 3600)
				return -EINVAL;
			return ex_stress_start(a, b);
		}
		if (argc != 5 || ex_parse_u64(argv[2], &a) ||
		    ex_parse_u64(argv[3], &b) || ex_parse_u64(argv[4], &c) ||
		    a > 16 || b > 64 || c > 60000)
			return -EINVAL;
		return ex_codec_start(a, b, c);
	}

	if (!strcmp(verb, "churn")) {
		if (argc == 2 && !strcmp(argv[1], "stop")) {
			ex_churn_stop();
			return 0;
		}
		if (argc == 3 && !strcmp(argv[1], "create"))
			return ex_parse_u64(argv[2], &a) || a > EX_CHURN_MAX_NODES ?
			       -EINVAL : ex_churn_create(a);
		if (argc != 4 || strcmp(argv[1], "start") ||
		    ex_parse_u64(argv[2], &a) || ex_parse_u64(argv[3], &b) ||
		    a > EX_CHURN_MAX_RATE || b > 3600)
			return -EINVAL;
		return ex_churn_start(a, b);
	}

	if (!strcmp(verb, "destroy")) {
		e = ex_target(argv[1], true, &err);
		if (!e || argc != 2)
			return e ? -EINVAL : err;
		ex_destroy_entry(e);
		return 0;
	}
	if (!strcmp(verb, "notify") || !strcmp(verb, "unnotify") ||
	    !strcmp(verb, "reset-peak")) {
		e = ex_target(argv[1], false, &err);
		if (!e)
			return err;
		if (verb[0] == 'n')
			return argc == 3 ? ex_notify(e, argv[2]) : -EINVAL;
		if (argc != 2)
			return -EINVAL;
		if (verb[0] == 'u') {
			if (!e->notify)
				return -ENOENT;
			ex_unnotify(e);
		} else {
			memtrack_reset_peak(e->node);
		}
		return 0;
	}
	if (!strcmp(verb, "add") || !strcmp(verb, "sub") ||
	    !strcmp(verb, "set")) {
		e = ex_target(argv[1], true, &err);
		if (!e)
			return err;
		if (argc != 3 || ex_parse_u64(argv[2], &a))
			return -EINVAL;
		if (verb[1] == 'd')
			return memtrack_add(e->node, a);
		if (verb[1] == 'u')
			return memtrack_sub(e->node, a);
		return memtrack_set(e->node, a);
	}
	if (!strcmp(verb, "alloc") || !strcmp(verb, "free")) {
		struct memtrack_node *n;

		e = ex_target(argv[1], true, &err);
		if (!e)
			return err;
		if (argc != 4 || ex_parse_u64(argv[3], &a))
			return -EINVAL;
		if (verb[0] == 'f')
			return memtrack_free(e->node, argv[2], a);
		n = memtrack_alloc(e->node, argv[2], a);
		return PTR_ERR_OR_ZERO(n);
	}
	if (!strcmp(verb, "bulk")) {
		e = ex_target(argv[1], true, &err);
		if (!e)
			return err;
		if (argc != 4 || ex_parse_u64(argv[2], &a) ||
		    ex_parse_u64(argv[3], &b) || b > INT_MAX)
			return -EINVAL;
		return ex_bulk(e, a, b);
	}
	return -EINVAL;
}

static ssize_t ex_control_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	char *buf;
	int err;

	if (len >= EX_CMD_MAX)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&ex_lock);
	err = ex_command(strim(buf));
	mutex_unlock(&ex_lock);
	kfree(buf);
	return err ? err : len;
}

static const struct file_operations ex_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ex_control_write,
	.llseek = noop_llseek,
};

static int ex_status_show(struct seq_file *m, void *v)
{
	struct ex_entry *e;

	mutex_lock(&ex_lock);
	list_for_each_entry(e, &ex_list, list)
		seq_printf(m, "node %s id %llu total %llu self %llu count %llu peak %llu\n",
			   e->path, memtrack_node_id(e->node),
			   memtrack_read(e->node), memtrack_read_self(e->node),
			   memtrack_read_count(e->node),
			   memtrack_read_peak(e->node));
	list_for_each_entry(e, &ex_list, list)
		if (e->notify)
			seq_printf(m, "notify %s calls %lld last %llu delay %d\n",
				   e->path, (s64)atomic64_read(&e->calls),
				   READ_ONCE(e->last), e->delay);
	ex_stress_status(m);
	ex_codec_status(m);
	ex_churn_status(m);
	mutex_unlock(&ex_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ex_status);

static struct dentry *ex_dir;

/* Stop the threads, then destroy every tree still held. */
static void ex_teardown(void)
{
	struct ex_entry *e, *tmp;

	mutex_lock(&ex_lock);
	ex_stress_stop();
	ex_codec_stop();
	ex_churn_stop();
	list_for_each_entry(e, &ex_list, list)
		ex_unnotify(e);
	list_for_each_entry_safe_reverse(e, tmp, &ex_list, list) {
		if (e->root == e)
			memtrack_destroy(e->node);
		hash_del(&e->hash);
		list_del(&e->list);
		kfree(e);
	}
	kfree(ex_workers);
	ex_workers = NULL;
	ex_nworkers = 0;
	ex_stress_root = NULL;
	kfree(ex_codec.dev);
	ex_codec.dev = NULL;
	vfree(ex_churn.nodes);
	memset(&ex_churn, 0, sizeof(ex_churn));
	mutex_unlock(&ex_lock);
}

static int __init ex_init(void)
{
	struct dentry *f;

	ex_dir = debugfs_create_dir("memtrack-exerciser", NULL);
	if (IS_ERR(ex_dir))
		return PTR_ERR(ex_dir);
	f = debugfs_create_file("control", 0200, ex_dir, NULL, &ex_control_fops);
	if (IS_ERR(f))
		goto err_dir;
	f = debugfs_create_file("status", 0444, ex_dir, NULL, &ex_status_fops);
	if (IS_ERR(f))
		goto err_dir;
	WARN(warn_on_load, "memtrack_exerciser: warn_on_load\n");
	return 0;

err_dir:
	debugfs_remove_recursive(ex_dir);
	return PTR_ERR(f);
}

static void __exit ex_exit(void)
{
	/* no command can run once the files are gone */
	debugfs_remove_recursive(ex_dir);
	ex_teardown();
}

module_init(ex_init);
module_exit(ex_exit);

MODULE_DESCRIPTION("memtrack exerciser: drive memtrack from debugfs (test only)");
MODULE_LICENSE("GPL");
