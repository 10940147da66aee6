// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack_races: reproductions of races in the memtrack core, one
 * scenario per defect, run on demand.  Test only.
 *
 * <debugfs>/memtrack-races/run: write "SCENARIO SECONDS"; the write returns
 * when the scenario is over: 0 when every check held, -EDEADLK when a step
 * did not finish within SECONDS + 10 s (its thread is left behind: the test
 * has failed and the module cannot be unloaded), else another errno.  Read
 * it back for one line per scenario run: "SCENARIO ok|FAIL details".
 *
 *   alloc-free   four threads memtrack_alloc() and memtrack_free() the same
 *                (parent, name, size) for SECONDS; at the end the parent
 *                holds exactly what the ledger says and no leaf is left.
 *   cb-unregister-other
 *                a delay-0 callback of node A unregisters the callback of
 *                node B, then one of A destroys a subtree that holds a
 *                callback; both must return.
 *   create-under-destroy
 *                rounds of: two threads create nodes and allocations under
 *                a node P, a third frees P's older allocations by name
 *                (another name: alloc-free covers that collision), while
 *                P is destroyed.  Every create either lands before the
 *                destroy (and goes with P) or fails with -ENODEV: nothing
 *                keeps a reference to P afterwards.
 *   pool-burst   two threads each fill a pool with 2000 allocations of
 *                one name and free them all, in rounds, for SECONDS: the
 *                hash tables grow and shrink under them, and no call may
 *                fail (rhashtable's -EBUSY during a resize once leaked out).
 *   dump-churn   a root "races-dump" with 300 nodes g0..g299 of 10 stable
 *                children each; for SECONDS a thread allocates and frees a
 *                leaf "t" under g0..g299 in turn, so that a netlink dump
 *                (run meanwhile from user space, 3301 nodes at least) often
 *                resumes at a node that is going away.  The tree stays
 *                until the next dump-churn or the module's unload, so
 *                that dumps after the churn still find every node.
 *   peak-reset-destroy
 *                the netlink peak-reset racing a destroy, replayed step by
 *                step: look a node up by id under RCU, let another thread
 *                destroy it and the event work send its del, then reset its
 *                peak.  Run it with an event listener and a short
 *                event_interval_ms (the reset queues a change event).
 *   set-sub      one thread sets a node to 5 bytes, another subtracts 20
 *                (clamped at 0), over and over; the node must read 0 or 5
 *                bytes after every subtraction and at the end, and its
 *                own, subtree and parent totals must agree.
 *   destroy-update
 *                rounds of: four threads add and subtract 4 KiB on the
 *                children of a node S (each add followed by its sub)
 *                while S is destroyed; a pair split by the destroy must
 *                not change S's parent, which ends at exactly the bytes
 *                of its other child.
 *
 * White box: create-under-destroy pins P with a reference of its own
 * (internal.h), so that the threads may keep using it after its destroy;
 * peak-reset-destroy looks nodes up by id; destroy-update pins S's
 * children likewise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/memtrack.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../internal.h"

#define RACE_THREADS	4
#define RACE_LEAF_SIZE	4096

static DEFINE_MUTEX(race_lock);
static struct dentry *race_dir;
static char race_report[4096];
static size_t race_report_len;

static __printf(1, 2) void race_note(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	race_report_len += vscnprintf(race_report + race_report_len,
				      sizeof(race_report) - race_report_len,
				      fmt, args);
	va_end(args);
}

/* --- alloc-free ---------------------------------------------------------- */

struct race_af {
	struct memtrack_node *parent;
	unsigned long deadline;
	atomic_long_t allocs;
	atomic_long_t frees;
	atomic_t errors;
	atomic_t last_error;
	struct completion done;		/* once per thread */
};

static int race_af_fn(void *data)
{
	struct race_af *af = data;
	struct memtrack_node *leaf;
	unsigned int i = 0;
	int err;

	while (time_before(jiffies, af->deadline)) {
		/* Mostly alloc-then-free; every third round frees first. */
		if (i++ % 3) {
			leaf = memtrack_alloc(af->parent, "frame", RACE_LEAF_SIZE);
			if (IS_ERR(leaf)) {
				atomic_inc(&af->errors);
				atomic_set(&af->last_error, PTR_ERR(leaf));
			} else {
				atomic_long_inc(&af->allocs);
			}
		}
		err = memtrack_free(af->parent, "frame", RACE_LEAF_SIZE);
		if (!err) {
			atomic_long_inc(&af->frees);
		} else if (err != -ENOENT) {
			atomic_inc(&af->errors);
			atomic_set(&af->last_error, err);
		}
		if (!(i % 64))
			cond_resched();
	}
	kthread_complete_and_exit(&af->done, 0);
}

static int race_alloc_free(unsigned int seconds)
{
	struct memtrack_node *root, *parent;
	struct task_struct *t;
	long left, freed = 0;
	struct race_af *af;
	int i, err = 0;
	u64 total;

	af = kzalloc(sizeof(*af), GFP_KERNEL);
	if (!af)
		return -ENOMEM;
	root = memtrack_create_root("races-alloc-free");
	parent = memtrack_create_node(root, "pool");
	if (IS_ERR(root) || IS_ERR(parent)) {
		err = -ENOMEM;
		goto out;
	}
	af->parent = parent;
	init_completion(&af->done);
	af->deadline = jiffies + seconds * HZ;
	for (i = 0; i < RACE_THREADS; i++) {
		t = kthread_run(race_af_fn, af, "memtrack-race/%d", i);
		if (IS_ERR(t)) {
			af->deadline = jiffies;
			err = PTR_ERR(t);
			break;
		}
	}
	while (--i >= 0)
		wait_for_completion(&af->done);
	if (err)
		goto out;

	left = atomic_long_read(&af->allocs) - atomic_long_read(&af->frees);
	total = memtrack_read(parent);
	if (total != (u64)left * RACE_LEAF_SIZE || left < 0) {
		race_note("alloc-free FAIL %ld left (%ld allocs, %ld frees), pool %llu B\n",
			  left, atomic_long_read(&af->allocs),
			  atomic_long_read(&af->frees), total);
		err = -EBADMSG;
	}
	while (!memtrack_free(parent, "frame", RACE_LEAF_SIZE))
		freed++;
	if (!err && (freed != left || memtrack_read(parent) ||
		     memtrack_read_count(parent))) {
		race_note("alloc-free FAIL freed %ld of %ld at the end, %llu B left\n",
			  freed, left, memtrack_read(parent));
		err = -EBADMSG;
	}
	if (!err && atomic_read(&af->errors)) {
		race_note("alloc-free FAIL %d calls failed, the last with %d\n",
			  atomic_read(&af->errors), atomic_read(&af->last_error));
		err = -EIO;
	}
	if (!err)
		race_note("alloc-free ok %ld allocs, %ld frees, %ld left at the end\n",
			  atomic_long_read(&af->allocs),
			  atomic_long_read(&af->frees), left);
out:
	memtrack_destroy(root);
	kfree(af);
	return err;
}

/* --- cb-unregister-other -------------------------------------------------- */

struct race_cb {
	struct memtrack_node *root, *a, *b, *c;
	bool destroy;		/* A's callback destroys C instead */
	bool acted;
	struct completion done;
};

static void race_cb_other(struct memtrack_node *node, size_t total, void *priv)
{
}

static void race_cb_a(struct memtrack_node *node, size_t total, void *priv)
{
	struct race_cb *cb = priv;

	if (cb->acted)
		return;
	cb->acted = true;
	if (cb->destroy)
		memtrack_destroy(cb->c);
	else
		memtrack_unregister_notify(cb->b);
}

static int race_cb_fn(void *data)
{
	struct race_cb *cb = data;

	memtrack_add(cb->a, 1);
	kthread_complete_and_exit(&cb->done, 0);
}

static int race_cb_run(struct race_cb *cb, unsigned int seconds)
{
	struct task_struct *t;

	init_completion(&cb->done);
	t = kthread_run(race_cb_fn, cb, "memtrack-race-cb");
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (!wait_for_completion_timeout(&cb->done, (seconds + 10) * HZ))
		return -EDEADLK;
	return 0;
}

static int race_cb_unregister_other(unsigned int seconds)
{
	struct memtrack_node *cchild;
	struct race_cb *cb;
	int err;

	/* Leaked on purpose if a step deadlocks: its thread still uses it. */
	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	if (!cb)
		return -ENOMEM;
	cb->root = memtrack_create_root("races-cb");
	cb->a = memtrack_create_node(cb->root, "a");
	cb->b = memtrack_create_node(cb->root, "b");
	cb->c = memtrack_create_node(cb->root, "c");
	cchild = memtrack_create_node(cb->c, "c1");
	if (IS_ERR(cb->a) || IS_ERR(cb->b) || IS_ERR(cchild)) {
		memtrack_destroy(cb->root);
		kfree(cb);
		return -ENOMEM;
	}
	err = memtrack_register_notify(cb->a, race_cb_a, cb) ?:
	      memtrack_register_notify(cb->b, race_cb_other, NULL) ?:
	      memtrack_register_notify(cchild, race_cb_other, NULL);
	if (err) {
		memtrack_destroy(cb->root);
		kfree(cb);
		return err;
	}

	err = race_cb_run(cb, seconds);
	if (err) {
		race_note("cb-unregister-other FAIL unregister from a callback: %u s\n",
			  seconds + 10);
		return err;
	}
	cb->acted = false;
	cb->destroy = true;
	err = race_cb_run(cb, seconds);
	if (err) {
		race_note("cb-unregister-other FAIL destroy from a callback: %u s\n",
			  seconds + 10);
		return err;
	}
	race_note("cb-unregister-other ok\n");
	memtrack_destroy(cb->root);
	kfree(cb);
	return 0;
}

/* --- create-under-destroy ------------------------------------------------ */

#define RACE_CUD_OLD_LEAVES	64

struct race_cud {
	struct memtrack_node *p;
	atomic_t running;
	atomic_long_t created;
	atomic_long_t refused;
	atomic_t errors;
	atomic_t last_error;
	struct completion done;		/* once per thread */
};

static int race_cud_create_fn(void *data)
{
	struct race_cud *cud = data;
	struct memtrack_node *n;
	unsigned int i;

	for (i = 0; atomic_read(&cud->running); i++) {
		n = i & 1 ? memtrack_alloc(cud->p, "x", 1) :
			    memtrack_create_node(cud->p, "n");
		if (PTR_ERR_OR_ZERO(n) == -ENODEV) {
			atomic_long_inc(&cud->refused);
			break;
		}
		if (IS_ERR(n)) {
			atomic_inc(&cud->errors);
			atomic_set(&cud->last_error, PTR_ERR(n));
		} else {
			atomic_long_inc(&cud->created);
		}
		cond_resched();
	}
	kthread_complete_and_exit(&cud->done, 0);
}

static int race_cud_free_fn(void *data)
{
	struct race_cud *cud = data;

	while (atomic_read(&cud->running)) {
		memtrack_free(cud->p, "y", 1);
		cond_resched();
	}
	kthread_complete_and_exit(&cud->done, 0);
}

static int race_create_under_destroy(unsigned int seconds)
{
	int (*const fns[])(void *) = {
		race_cud_create_fn, race_cud_create_fn, race_cud_free_fn,
	};
	unsigned long deadline = jiffies + seconds * HZ;
	unsigned int rounds = 0, refs, i, started;
	struct memtrack_node *root;
	struct race_cud *cud;
	struct task_struct *t;
	int err = 0;

	cud = kzalloc(sizeof(*cud), GFP_KERNEL);
	if (!cud)
		return -ENOMEM;
	root = memtrack_create_root("races-create-under-destroy");
	if (IS_ERR(root)) {
		kfree(cud);
		return PTR_ERR(root);
	}
	while (!err && time_before(jiffies, deadline)) {
		cud->p = memtrack_create_node(root, "p");
		if (IS_ERR(cud->p)) {
			err = PTR_ERR(cud->p);
			break;
		}
		refcount_inc(&cud->p->ref);	/* the pin */
		for (i = 0; i < RACE_CUD_OLD_LEAVES; i++)
			if (IS_ERR(memtrack_alloc(cud->p, "y", 1)))
				atomic_inc(&cud->errors);
		init_completion(&cud->done);
		atomic_set(&cud->running, 1);
		for (started = 0; started < ARRAY_SIZE(fns); started++) {
			t = kthread_run(fns[started], cud, "memtrack-race/%u",
					started);
			if (IS_ERR(t)) {
				err = PTR_ERR(t);
				break;
			}
		}
		/* Let them fill P a little, then pull it away. */
		usleep_range(100, 2000);
		memtrack_destroy(cud->p);
		atomic_set(&cud->running, 0);
		for (i = 0; i < started; i++)
			wait_for_completion(&cud->done);
		refs = refcount_read(&cud->p->ref);
		if (refs != 1) {
			race_note("create-under-destroy FAIL round %u: %u refs left\n",
				  rounds, refs);
			err = -EBADMSG;
			/* Leave it pinned: what holds it may still use it. */
			break;
		}
		memtrack_node_put(cud->p);
		rounds++;
	}
	if (!err && atomic_read(&cud->errors)) {
		race_note("create-under-destroy FAIL %d creates failed, the last with %d\n",
			  atomic_read(&cud->errors),
			  atomic_read(&cud->last_error));
		err = -EIO;
	}
	if (!err)
		race_note("create-under-destroy ok %u rounds, %ld created, %ld refused\n",
			  rounds, atomic_long_read(&cud->created),
			  atomic_long_read(&cud->refused));
	memtrack_destroy(root);
	kfree(cud);
	return err;
}

/* --- pool-burst ----------------------------------------------------------- */

#define RACE_POOL_SIZE	2000

struct race_pool {
	struct memtrack_node *node;
	unsigned long deadline;
	atomic_long_t rounds;
	atomic_t errors;
	atomic_t last_error;
	struct completion done;		/* once per thread */
};

static void race_pool_error(struct race_pool *pool, int err)
{
	atomic_inc(&pool->errors);
	atomic_set(&pool->last_error, err);
}

static int race_pool_fn(void *data)
{
	struct race_pool *pool = data;
	const char *name = current->comm[strlen(current->comm) - 1] == '0' ?
			   "frame" : "bitstream";
	struct memtrack_node *leaf;
	int i, err;

	while (time_before(jiffies, pool->deadline)) {
		for (i = 0; i < RACE_POOL_SIZE; i++) {
			leaf = memtrack_alloc(pool->node, name, 4096);
			if (IS_ERR(leaf))
				race_pool_error(pool, PTR_ERR(leaf));
			if (!(i % 64))
				cond_resched();
		}
		while (!(err = memtrack_free(pool->node, name, 4096)))
			cond_resched();
		if (err != -ENOENT)
			race_pool_error(pool, err);
		atomic_long_inc(&pool->rounds);
	}
	kthread_complete_and_exit(&pool->done, 0);
}

static int race_pool_burst(unsigned int seconds)
{
	struct race_pool *pool;
	struct memtrack_node *root;
	struct task_struct *t;
	int i, err = 0;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	root = memtrack_create_root("races-pool-burst");
	pool->node = memtrack_create_node(root, "pool");
	if (IS_ERR(pool->node)) {
		err = PTR_ERR(pool->node);
		goto out;
	}
	init_completion(&pool->done);
	pool->deadline = jiffies + seconds * HZ;
	for (i = 0; i < 2; i++) {
		t = kthread_run(race_pool_fn, pool, "memtrack-pool/%d", i);
		if (IS_ERR(t)) {
			pool->deadline = jiffies;
			err = PTR_ERR(t);
			break;
		}
	}
	while (--i >= 0)
		wait_for_completion(&pool->done);
	if (err)
		goto out;
	if (atomic_read(&pool->errors)) {
		race_note("pool-burst FAIL %d calls failed, the last with %d\n",
			  atomic_read(&pool->errors),
			  atomic_read(&pool->last_error));
		err = -EIO;
	} else if (memtrack_read(root)) {
		race_note("pool-burst FAIL %llu bytes left after freeing everything\n",
			  memtrack_read(root));
		err = -EBADMSG;
	} else {
		race_note("pool-burst ok %ld rounds of %d\n",
			  atomic_long_read(&pool->rounds), RACE_POOL_SIZE);
	}
out:
	memtrack_destroy(root);
	kfree(pool);
	return err;
}

/* --- dump-churn ----------------------------------------------------------- */

#define RACE_DUMP_GROUPS	300
#define RACE_DUMP_STABLE	10

static struct memtrack_node *race_dump_root;

static int race_dump_churn(unsigned int seconds)
{
	unsigned long deadline = jiffies + seconds * HZ, rounds = 0;
	struct memtrack_node **groups, *root, *n;
	int i, j, err = 0;

	groups = kcalloc(RACE_DUMP_GROUPS, sizeof(*groups), GFP_KERNEL);
	if (!groups)
		return -ENOMEM;
	memtrack_destroy(race_dump_root);
	race_dump_root = memtrack_create_root("races-dump");
	root = race_dump_root;
	for (i = 0; i < RACE_DUMP_GROUPS && !err; i++) {
		groups[i] = memtrack_create_node(root, "g");
		err = PTR_ERR_OR_ZERO(groups[i]);
		for (j = 0; j < RACE_DUMP_STABLE && !err; j++) {
			n = memtrack_create_node(groups[i], "s");
			err = PTR_ERR_OR_ZERO(n);
		}
	}
	while (!err && time_before(jiffies, deadline)) {
		for (i = 0; i < RACE_DUMP_GROUPS && !err; i++) {
			n = memtrack_alloc(groups[i], "t", 1);
			err = PTR_ERR_OR_ZERO(n) ?:
			      memtrack_free(groups[i], "t", 1);
			cond_resched();
		}
		rounds++;
	}
	if (err)
		race_note("dump-churn FAIL a call failed with %d\n", err);
	else
		race_note("dump-churn ok %lu rounds\n", rounds);
	kfree(groups);
	return err;
}

/* --- peak-reset-destroy --------------------------------------------------- */

struct race_prd {
	struct memtrack_node *victim;
	struct completion done;
};

static int race_prd_destroy_fn(void *data)
{
	struct race_prd *prd = data;

	memtrack_destroy(prd->victim);
	kthread_complete_and_exit(&prd->done, 0);
}

/*
 * The interleaving of a netlink peak-reset with a destroy, step by step:
 * look the node up under RCU, let the destroy and the event work run on
 * the other CPU for @hold_ms, then reset the peak.
 */
static int race_prd_round(struct memtrack_node *root, unsigned int hold_ms,
			  unsigned long *queued)
{
	struct race_prd prd;
	struct memtrack_node *n;
	struct task_struct *t;
	u64 id;

	prd.victim = memtrack_create_node(root, "victim");
	if (IS_ERR(prd.victim))
		return PTR_ERR(prd.victim);
	memtrack_add(prd.victim, 1);	/* queues a change event */
	id = memtrack_node_id(prd.victim);
	init_completion(&prd.done);

	t = kthread_create(race_prd_destroy_fn, &prd, "memtrack-race-prd");
	if (IS_ERR(t)) {
		memtrack_destroy(prd.victim);
		return PTR_ERR(t);
	}
	/* The caller runs on CPU 0: the destroy must not wait for it. */
	kthread_bind(t, 1);
	rcu_read_lock();
	n = memtrack_lookup_id(id);
	wake_up_process(t);
	mdelay(hold_ms);
	if (n) {
		memtrack_reset_peak(n);
		/* Set by the reset when events are on; it stays set since. */
		*queued += test_bit(MEMTRACK_CHANGE_QUEUED, &n->flags);
	}
	rcu_read_unlock();
	wait_for_completion(&prd.done);
	return n ? 0 : -ENOENT;
}

static int race_peak_reset_destroy(unsigned int seconds)
{
	unsigned long deadline = jiffies + seconds * HZ, rounds = 0, queued = 0;
	struct memtrack_node *root;
	int err = 0;

	if (num_online_cpus() < 2 || !cpu_online(1)) {
		race_note("peak-reset-destroy FAIL needs CPUs 0 and 1 online\n");
		return -EINVAL;
	}
	err = set_cpus_allowed_ptr(current, cpumask_of(0));
	if (err)
		return err;
	root = memtrack_create_root("races-peak-reset");
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto out;
	}
	/* Before and after the event work dropped the change's reference. */
	while (!err && time_before(jiffies, deadline))
		err = race_prd_round(root, rounds++ & 1 ? 5 : 150, &queued);
	if (err) {
		race_note("peak-reset-destroy FAIL round %lu: %d\n", rounds, err);
	} else if (queued < rounds) {
		race_note("peak-reset-destroy FAIL %lu of %lu resets saw events on\n",
			  queued, rounds);
		err = -EIO;
	} else {
		race_note("peak-reset-destroy ok %lu rounds\n", rounds);
	}
	memtrack_destroy(root);
out:
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	return err;
}

/* --- set-sub --------------------------------------------------------------- */

struct race_ss {
	struct memtrack_node *node;
	unsigned long deadline;
	atomic_long_t ops;
	atomic_long_t odd;		/* reads of neither 0 nor 5 */
	atomic64_t odd_value;
	struct completion done;		/* once per thread */
};

static int race_ss_set_fn(void *data)
{
	struct race_ss *ss = data;
	unsigned int i = 0;

	while (time_before(jiffies, ss->deadline)) {
		memtrack_set(ss->node, 5);
		atomic_long_inc(&ss->ops);
		if (!(++i % 64))
			cond_resched();
	}
	kthread_complete_and_exit(&ss->done, 0);
}

static int race_ss_sub_fn(void *data)
{
	struct race_ss *ss = data;
	unsigned int i = 0;

	u64 v;

	while (time_before(jiffies, ss->deadline)) {
		memtrack_sub(ss->node, 20);
		atomic_long_inc(&ss->ops);
		/* Any order of the two gives 0 or 5; so must any moment. */
		v = memtrack_read_self(ss->node);
		if (v != 0 && v != 5) {
			atomic_long_inc(&ss->odd);
			atomic64_set(&ss->odd_value, v);
		}
		if (!(++i % 64))
			cond_resched();
	}
	kthread_complete_and_exit(&ss->done, 0);
}

static int race_set_sub(unsigned int seconds)
{
	int (*const fns[])(void *) = { race_ss_set_fn, race_ss_sub_fn };
	u64 self, total, parent_total;
	struct memtrack_node *root;
	struct task_struct *t;
	struct race_ss *ss;
	int i, err = 0;

	ss = kzalloc(sizeof(*ss), GFP_KERNEL);
	if (!ss)
		return -ENOMEM;
	root = memtrack_create_root("races-set-sub");
	ss->node = memtrack_create_node(root, "n");
	if (IS_ERR(ss->node)) {
		err = PTR_ERR(ss->node);
		goto out;
	}
	init_completion(&ss->done);
	ss->deadline = jiffies + seconds * HZ;
	for (i = 0; i < ARRAY_SIZE(fns); i++) {
		t = kthread_run(fns[i], ss, "memtrack-race/%d", i);
		if (IS_ERR(t)) {
			ss->deadline = jiffies;
			err = PTR_ERR(t);
			break;
		}
	}
	while (--i >= 0)
		wait_for_completion(&ss->done);
	if (err)
		goto out;
	self = memtrack_read_self(ss->node);
	total = memtrack_read(ss->node);
	parent_total = memtrack_read(root);
	if (atomic_long_read(&ss->odd)) {
		race_note("set-sub FAIL read %ld times a value neither order gives, e.g. %lld\n",
			  atomic_long_read(&ss->odd),
			  (long long)atomic64_read(&ss->odd_value));
		err = -EBADMSG;
	} else if ((self != 0 && self != 5) || total != self ||
		   parent_total != self) {
		race_note("set-sub FAIL own %llu (0 or 5), subtree %llu, parent %llu\n",
			  self, total, parent_total);
		err = -EBADMSG;
	} else {
		race_note("set-sub ok %ld calls, ended at %llu\n",
			  atomic_long_read(&ss->ops), self);
	}
out:
	memtrack_destroy(root);
	kfree(ss);
	return err;
}

/* --- destroy-update ---------------------------------------------------- */

#define RACE_DU_CHILDREN	4

struct race_du {
	struct memtrack_node *child[RACE_DU_CHILDREN];
	atomic_t running;
	atomic_long_t pairs;
	struct completion done;		/* once per thread */
};

static int race_du_fn(void *data)
{
	struct race_du *du = data;
	unsigned int i = 0;
	struct memtrack_node *c;

	while (atomic_read(&du->running)) {
		c = du->child[i++ % RACE_DU_CHILDREN];
		if (!memtrack_add(c, 4096)) {
			memtrack_sub(c, 4096);
			atomic_long_inc(&du->pairs);
		}
		if (!(i % 16))
			cond_resched();
	}
	kthread_complete_and_exit(&du->done, 0);
}

static int race_destroy_update(unsigned int seconds)
{
	unsigned long deadline = jiffies + seconds * HZ, rounds = 0;
	struct memtrack_node *root, *keep, *s;
	unsigned int i, started;
	struct task_struct *t;
	struct race_du *du;
	int err = 0;

	du = kzalloc(sizeof(*du), GFP_KERNEL);
	if (!du)
		return -ENOMEM;
	root = memtrack_create_root("races-destroy-update");
	keep = memtrack_create_node(root, "keep");
	err = PTR_ERR_OR_ZERO(keep) ?: memtrack_add(keep, 1000);
	while (!err && time_before(jiffies, deadline)) {
		s = memtrack_create_node(root, "s");
		err = PTR_ERR_OR_ZERO(s);
		for (i = 0; !err && i < RACE_DU_CHILDREN; i++) {
			du->child[i] = memtrack_create_node(s, "c");
			err = PTR_ERR_OR_ZERO(du->child[i]) ?:
			      memtrack_add(du->child[i], 100);
			if (!err)
				refcount_inc(&du->child[i]->ref);	/* pin */
		}
		if (err)
			break;
		init_completion(&du->done);
		atomic_set(&du->running, 1);
		for (started = 0; started < 4; started++) {
			t = kthread_run(race_du_fn, du, "memtrack-race/%u",
					started);
			if (IS_ERR(t)) {
				err = PTR_ERR(t);
				break;
			}
		}
		usleep_range(500, 3000);
		memtrack_destroy(s);
		usleep_range(500, 3000);	/* updates after the destroy */
		atomic_set(&du->running, 0);
		for (i = 0; i < started; i++)
			wait_for_completion(&du->done);
		for (i = 0; i < RACE_DU_CHILDREN; i++)
			memtrack_node_put(du->child[i]);
		rounds++;
		if (!err && memtrack_read(root) != 1000) {
			race_note("destroy-update FAIL round %lu: root %llu B, not 1000\n",
				  rounds, memtrack_read(root));
			err = -EBADMSG;
		}
	}
	if (!err)
		race_note("destroy-update ok %lu rounds, %ld add/sub pairs\n",
			  rounds, atomic_long_read(&du->pairs));
	memtrack_destroy(root);
	kfree(du);
	return err;
}

/* --- debugfs -------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(unsigned int seconds);
} race_scenarios[] = {
	{ "alloc-free", race_alloc_free },
	{ "cb-unregister-other", race_cb_unregister_other },
	{ "create-under-destroy", race_create_under_destroy },
	{ "pool-burst", race_pool_burst },
	{ "dump-churn", race_dump_churn },
	{ "peak-reset-destroy", race_peak_reset_destroy },
	{ "set-sub", race_set_sub },
	{ "destroy-update", race_destroy_update },
};

static ssize_t race_run_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	char buf[64], name[32];
	unsigned int seconds, i;
	int err = -EINVAL;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%31s %u", name, &seconds) != 2 || !seconds ||
	    seconds > 3600)
		return -EINVAL;

	mutex_lock(&race_lock);
	for (i = 0; i < ARRAY_SIZE(race_scenarios); i++) {
		if (strcmp(name, race_scenarios[i].name))
			continue;
		err = race_scenarios[i].run(seconds);
		break;
	}
	mutex_unlock(&race_lock);
	return err ?: len;
}

static int race_run_show(struct seq_file *m, void *v)
{
	mutex_lock(&race_lock);
	seq_write(m, race_report, race_report_len);
	mutex_unlock(&race_lock);
	return 0;
}

static int race_run_open(struct inode *inode, struct file *file)
{
	return single_open(file, race_run_show, NULL);
}

static const struct file_operations race_run_fops = {
	.owner = THIS_MODULE,
	.open = race_run_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = race_run_write,
};

static int __init race_init(void)
{
	race_dir = debugfs_create_dir("memtrack-races", NULL);
	debugfs_create_file("run", 0600, race_dir, NULL, &race_run_fops);
	return 0;
}

static void __exit race_exit(void)
{
	debugfs_remove_recursive(race_dir);
	memtrack_destroy(race_dump_root);
}

module_init(race_init);
module_exit(race_exit);

MODULE_IMPORT_NS(MEMTRACK_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memtrack race reproductions (test only)");
