// SPDX-License-Identifier: GPL-2.0
/*
 * memtrack generic netlink family: node-get (do and dump), peak-reset, and
 * the "events" multicast group.  The protocol is described by
 * kernel/memtrack.yaml and include/uapi/linux/memtrack.h.
 *
 * Events are born on the update path, which may run in atomic context and
 * must stay cheap.  It only marks a node and pushes it on a lockless queue
 * (a node is queued at most once until its event is sent); an ordered work
 * item later builds and multicasts the messages with GFP_KERNEL, reading
 * each node's values at send time, in the spirit of drop_monitor.  With no
 * listener, none of this happens.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "internal.h"

static bool events = true;
module_param(events, bool, 0644);
MODULE_PARM_DESC(events, "Generate netlink events (default: on)");

static unsigned int event_interval_ms = 50;
module_param(event_interval_ms, uint, 0644);
MODULE_PARM_DESC(event_interval_ms,
		 "Coalescing window for usage-change events, in ms (default: 50); a node's larger notify delay wins");

enum {
	MEMTRACK_NLGRP_EVENTS,
};

struct memtrack_nl_dump_ctx {
	u64 top_id;		/* 0: the whole forest */
	u64 next_id;		/* node to resume at; 0 before the first call */
	u32 max_depth;		/* relative to the top; U32_MAX: unlimited */
};

static struct genl_family memtrack_nl_family;
static bool memtrack_nl_registered;

static struct workqueue_struct *memtrack_nl_wq;
static struct delayed_work memtrack_nl_work;
static LLIST_HEAD(memtrack_nl_queue);
static atomic_t memtrack_nl_lost = ATOMIC_INIT(0);
/* Sequence number of the last notification; only the ordered work uses it. */
static u32 memtrack_nl_seq;

/*
 * Whether anyone listens, as genl_has_listeners() said at most a jiffy ago:
 * the update path asks on every change, and the full check costs as much
 * as the update itself.  So events start within a jiffy of subscribing; a
 * listener subscribes before it dumps, and the dump refreshes the answer,
 * so no change after its dump goes unannounced.
 */
static bool memtrack_nl_have_listeners;
static unsigned long memtrack_nl_listeners_checked;

static bool memtrack_nl_refresh_listeners(void)
{
	bool have = READ_ONCE(memtrack_nl_registered) &&
		    genl_has_listeners(&memtrack_nl_family, &init_net,
				       MEMTRACK_NLGRP_EVENTS);

	WRITE_ONCE(memtrack_nl_have_listeners, have);
	WRITE_ONCE(memtrack_nl_listeners_checked, jiffies);
	return have;
}

/**
 * memtrack_nl_listening() - whether events should be generated at all
 *
 * Context: any context.
 * Return: true when events are enabled and someone listens.
 */
bool memtrack_nl_listening(void)
{
	if (!READ_ONCE(events))
		return false;
	if (unlikely(time_after(jiffies, READ_ONCE(memtrack_nl_listeners_checked))))
		return memtrack_nl_refresh_listeners();
	return READ_ONCE(memtrack_nl_have_listeners);
}

static int memtrack_nl_fill(struct sk_buff *skb, const struct memtrack_node *node,
			    u32 portid, u32 seq, int flags, u8 cmd,
			    struct netlink_callback *cb)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &memtrack_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	if (nla_put_u64_64bit(skb, MEMTRACK_A_NODE_ID, node->id,
			      MEMTRACK_A_NODE_PAD) ||
	    (node->parent &&
	     nla_put_u64_64bit(skb, MEMTRACK_A_NODE_PARENT_ID, node->parent->id,
			       MEMTRACK_A_NODE_PAD)) ||
	    (node->name[0] &&
	     nla_put_string(skb, MEMTRACK_A_NODE_NAME, node->name)) ||
	    nla_put_u32(skb, MEMTRACK_A_NODE_KIND, node->kind) ||
	    nla_put_u32(skb, MEMTRACK_A_NODE_DEPTH, node->depth) ||
	    nla_put_u64_64bit(skb, MEMTRACK_A_NODE_BYTES,
			      memtrack_counter_read(&node->total),
			      MEMTRACK_A_NODE_PAD) ||
	    nla_put_u64_64bit(skb, MEMTRACK_A_NODE_SELF_BYTES,
			      memtrack_counter_read(&node->self),
			      MEMTRACK_A_NODE_PAD) ||
	    nla_put_u64_64bit(skb, MEMTRACK_A_NODE_COUNT,
			      memtrack_counter_read(&node->count),
			      MEMTRACK_A_NODE_PAD) ||
	    nla_put_u64_64bit(skb, MEMTRACK_A_NODE_PEAK_BYTES,
			      memtrack_counter_read(&node->peak),
			      MEMTRACK_A_NODE_PAD) ||
	    nla_put_u32(skb, MEMTRACK_A_NODE_CREATOR_TGID, node->tgid) ||
	    nla_put_u32(skb, MEMTRACK_A_NODE_CREATOR_PID, node->pid) ||
	    nla_put_string(skb, MEMTRACK_A_NODE_CREATOR_COMM, node->comm) ||
	    nla_put_u64_64bit(skb, MEMTRACK_A_NODE_CREATED_NS,
			      node->created_ns, MEMTRACK_A_NODE_PAD) ||
	    (cmd != MEMTRACK_CMD_NODE_GET &&
	     nla_put_u32(skb, MEMTRACK_A_NODE_EVENT_SEQ, memtrack_nl_seq))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static struct memtrack_node *memtrack_nl_lookup(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[MEMTRACK_A_NODE_ID];
	struct memtrack_node *node;

	node = memtrack_lookup_id(nla_get_u64(attr));
	if (!node)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no node with this id");
	return node;
}

static int memtrack_nl_node_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct memtrack_node *node;
	struct sk_buff *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, MEMTRACK_A_NODE_ID))
		return -EINVAL;
#ifndef MEMTRACK_HAVE_GENL_SPLIT_OPS
	/* Split ops give do its own policy, which rejects it already. */
	if (info->attrs[MEMTRACK_A_NODE_MAX_DEPTH]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[MEMTRACK_A_NODE_MAX_DEPTH],
				    "max-depth applies to dumps only");
		return -EINVAL;
	}
#endif

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	node = memtrack_nl_lookup(info);
	err = node ? memtrack_nl_fill(msg, node, info->snd_portid,
				      info->snd_seq, 0,
				      MEMTRACK_CMD_NODE_GET, NULL) : -ENOENT;
	rcu_read_unlock();
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static struct nlattr **memtrack_nl_dump_attrs(struct netlink_callback *cb)
{
#ifdef MEMTRACK_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

static int memtrack_nl_dump_start(struct netlink_callback *cb)
{
	struct memtrack_nl_dump_ctx *ctx = (void *)cb->ctx;
	struct nlattr **attrs = memtrack_nl_dump_attrs(cb);
	struct memtrack_node *top = NULL;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	memtrack_nl_refresh_listeners();
	/*
	 * Listening before reading: pairs with memtrack_propagate(), which
	 * asks after its atomics, so that an update this dump misses sends
	 * its event.
	 */
	smp_mb();
	memset(ctx, 0, sizeof(*ctx));
	ctx->max_depth = U32_MAX;
	if (attrs[MEMTRACK_A_NODE_MAX_DEPTH])
		ctx->max_depth = nla_get_u32(attrs[MEMTRACK_A_NODE_MAX_DEPTH]);
	if (!attrs[MEMTRACK_A_NODE_ID])
		return 0;

	ctx->top_id = nla_get_u64(attrs[MEMTRACK_A_NODE_ID]);
	rcu_read_lock();
	top = memtrack_lookup_id(ctx->top_id);
	rcu_read_unlock();
	if (!top) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[MEMTRACK_A_NODE_ID],
				    "no node with this id");
		return -ENOENT;
	}
	return 0;
}

/*
 * Each call resumes at the node saved by the previous one.  If that node or
 * the dump's top has gone, the forest changed shape: flag the dump
 * NLM_F_DUMP_INTR and end it there.  (A destroy marks a node dead before it
 * bumps the generation, so the generation alone may not show it yet.)  The
 * generation is read again before every message and at the end, so that a
 * change during the last part flags the NLMSG_DONE.
 */
static int memtrack_nl_node_get_dumpit(struct sk_buff *skb,
				       struct netlink_callback *cb)
{
	struct memtrack_nl_dump_ctx *ctx = (void *)cb->ctx;
	struct memtrack_node *top = NULL, *node;
	unsigned int max_depth = UINT_MAX;
	int err = 0;

	rcu_read_lock();
	if (ctx->top_id) {
		top = memtrack_lookup_id(ctx->top_id);
		if (!top) {
			/* Gone: a new generation flags the dump interrupted. */
			cb->seq++;
			goto out;
		}
	}
	cb->seq = memtrack_topology_gen(top);

	if (ctx->max_depth != U32_MAX)
		max_depth = min_t(u64, UINT_MAX,
				  (u64)(top ? top->depth : 0) + ctx->max_depth);

	if (ctx->next_id) {
		node = memtrack_lookup_id(ctx->next_id);
		if (!node) {
			cb->seq = cb->prev_seq + 1;
			goto out;
		}
	} else {
		node = top ?: memtrack_forest_first();
	}

	for (; node; node = memtrack_dfs_next(node, top, max_depth)) {
		cb->seq = memtrack_topology_gen(top);
		err = memtrack_nl_fill(skb, node, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI,
				       MEMTRACK_CMD_NODE_GET, cb);
		if (err) {
			ctx->next_id = node->id;
			break;
		}
	}
	if (!node)
		cb->seq = memtrack_topology_gen(top);
out:
	rcu_read_unlock();
	if (err && skb->len)
		return skb->len;
	return err;
}

static int memtrack_nl_peak_reset_doit(struct sk_buff *skb,
				       struct genl_info *info)
{
	struct memtrack_node *node;

	if (GENL_REQ_ATTR_CHECK(info, MEMTRACK_A_NODE_ID))
		return -EINVAL;

	rcu_read_lock();
	node = memtrack_nl_lookup(info);
	if (node)
		memtrack_reset_peak(node);
	rcu_read_unlock();
	return node ? 0 : -ENOENT;
}

static const struct nla_policy memtrack_nl_id_policy[MEMTRACK_A_NODE_ID + 1] = {
	[MEMTRACK_A_NODE_ID] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy memtrack_nl_dump_policy[MEMTRACK_A_NODE_MAX_DEPTH + 1] = {
	[MEMTRACK_A_NODE_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[MEMTRACK_A_NODE_MAX_DEPTH] = { .type = NLA_U32, },
};

#ifdef MEMTRACK_HAVE_GENL_SPLIT_OPS
static const struct genl_split_ops memtrack_nl_ops[] = {
	{
		.cmd		= MEMTRACK_CMD_NODE_GET,
		.doit		= memtrack_nl_node_get_doit,
		.policy		= memtrack_nl_id_policy,
		.maxattr	= MEMTRACK_A_NODE_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MEMTRACK_CMD_NODE_GET,
		.start		= memtrack_nl_dump_start,
		.dumpit		= memtrack_nl_node_get_dumpit,
		.policy		= memtrack_nl_dump_policy,
		.maxattr	= MEMTRACK_A_NODE_MAX_DEPTH,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MEMTRACK_CMD_PEAK_RESET,
		.doit		= memtrack_nl_peak_reset_doit,
		.policy		= memtrack_nl_id_policy,
		.maxattr	= MEMTRACK_A_NODE_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

#define MEMTRACK_NL_OPS .split_ops = memtrack_nl_ops, \
			.n_split_ops = ARRAY_SIZE(memtrack_nl_ops)
#else
/* Before split ops, do and dump share one policy; doit rejects max-depth. */
static const struct genl_ops memtrack_nl_ops[] = {
	{
		.cmd		= MEMTRACK_CMD_NODE_GET,
		.start		= memtrack_nl_dump_start,
		.doit		= memtrack_nl_node_get_doit,
		.dumpit		= memtrack_nl_node_get_dumpit,
		.policy		= memtrack_nl_dump_policy,
		.maxattr	= MEMTRACK_A_NODE_MAX_DEPTH,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMTRACK_CMD_PEAK_RESET,
		.doit		= memtrack_nl_peak_reset_doit,
		.policy		= memtrack_nl_id_policy,
		.maxattr	= MEMTRACK_A_NODE_ID,
		.flags		= GENL_ADMIN_PERM,
	},
};

#define MEMTRACK_NL_OPS .ops = memtrack_nl_ops, \
			.n_ops = ARRAY_SIZE(memtrack_nl_ops)
#endif

static const struct genl_multicast_group memtrack_nl_mcgrps[] = {
	[MEMTRACK_NLGRP_EVENTS] = {
		.name = MEMTRACK_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/* No .netnsok: the family exists in the initial network namespace only. */
static struct genl_family memtrack_nl_family __ro_after_init = {
	.name		= MEMTRACK_FAMILY_NAME,
	.version	= MEMTRACK_FAMILY_VERSION,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	MEMTRACK_NL_OPS,
	.mcgrps		= memtrack_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(memtrack_nl_mcgrps),
};

static void memtrack_nl_send(struct memtrack_node *node, u8 cmd)
{
	struct sk_buff *skb;
	int err;

	memtrack_nl_seq += atomic_xchg(&memtrack_nl_lost, 0);
	memtrack_nl_seq++;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	rcu_read_lock();
	err = memtrack_nl_fill(skb, node, 0, 0, 0, cmd, NULL);
	rcu_read_unlock();
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&memtrack_nl_family, skb, 0, MEMTRACK_NLGRP_EVENTS,
			  GFP_KERNEL);
}

/* Send @node's queued change now; its queue entry becomes stale. */
static void memtrack_nl_flush_change(struct memtrack_node *node)
{
	if (test_and_clear_bit(MEMTRACK_CHANGE_QUEUED, &node->flags))
		memtrack_nl_send(node, MEMTRACK_CMD_NODE_CHANGE_NTF);
}

static void memtrack_nl_work_fn(struct work_struct *work)
{
	struct memtrack_nl_event *ev, *tmp;
	struct llist_node *batch;
	unsigned long next_due = 0;
	LLIST_HEAD(later);
	bool send;

	batch = llist_reverse_order(llist_del_all(&memtrack_nl_queue));
	send = READ_ONCE(memtrack_nl_registered);

	llist_for_each_entry_safe(ev, tmp, batch, link) {
		struct memtrack_node *node = ev->node;

		switch (ev->cmd) {
		case MEMTRACK_CMD_NODE_CHANGE_NTF:
			/* Stale: its change went out with the del. */
			if (test_bit(MEMTRACK_DEL_SENT, &node->flags))
				break;
			if (send && test_bit(MEMTRACK_CHANGE_QUEUED, &node->flags) &&
			    time_before(jiffies, ev->due)) {
				if (!next_due || time_before(ev->due, next_due))
					next_due = ev->due;
				llist_add(&ev->link, &later);
				continue;
			}
			if (send)
				memtrack_nl_flush_change(node);
			else
				clear_bit(MEMTRACK_CHANGE_QUEUED, &node->flags);
			break;
		case MEMTRACK_CMD_NODE_DEL_NTF:
			/*
			 * Send a pending change first.  CHANGE_QUEUED stays
			 * set for good, so that nothing queues change_event
			 * again while a stale entry of it may still be on the
			 * queue (or on @later).
			 */
			if (test_and_set_bit(MEMTRACK_CHANGE_QUEUED, &node->flags) &&
			    send)
				memtrack_nl_send(node, MEMTRACK_CMD_NODE_CHANGE_NTF);
			set_bit(MEMTRACK_DEL_SENT, &node->flags);
			fallthrough;
		default:
			if (send)
				memtrack_nl_send(node, ev->cmd);
			kfree(ev);
			break;
		}
		memtrack_node_put(node);
	}

	llist_for_each_entry_safe(ev, tmp, later.first, link)
		llist_add(&ev->link, &memtrack_nl_queue);
	if (next_due)
		queue_delayed_work(memtrack_nl_wq, &memtrack_nl_work,
				   max_t(long, 1, next_due - jiffies));
}

/**
 * memtrack_nl_event_prepare() - allocate an add or del notification
 *
 * Split from memtrack_nl_event_queue() so that the event can be queued
 * under a spinlock, in the same critical section as the change it reports.
 *
 * Context: process context.
 * Return: the event, or NULL when nobody listens or the allocation failed
 * (counted as a lost event: listeners see a sequence gap).
 */
struct memtrack_nl_event *memtrack_nl_event_prepare(void)
{
	struct memtrack_nl_event *ev;

	if (!memtrack_nl_listening())
		return NULL;
	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		atomic_inc(&memtrack_nl_lost);
	return ev;
}

/**
 * memtrack_nl_event_queue() - queue a prepared add or del notification
 * @ev: from memtrack_nl_event_prepare(); NULL does nothing
 * @node: the node
 * @cmd: MEMTRACK_CMD_NODE_ADD_NTF or MEMTRACK_CMD_NODE_DEL_NTF
 *
 * Events go out in the order they were queued.
 *
 * Context: any context.
 */
void memtrack_nl_event_queue(struct memtrack_nl_event *ev,
			     struct memtrack_node *node, u8 cmd)
{
	if (!ev)
		return;
	refcount_inc(&node->ref);
	ev->node = node;
	ev->cmd = cmd;
	llist_add(&ev->link, &memtrack_nl_queue);
	mod_delayed_work(memtrack_nl_wq, &memtrack_nl_work, 0);
}

/**
 * memtrack_nl_node_event() - queue an add or del notification
 * @node: the node
 * @cmd: MEMTRACK_CMD_NODE_ADD_NTF or MEMTRACK_CMD_NODE_DEL_NTF
 *
 * Context: process context.
 */
void memtrack_nl_node_event(struct memtrack_node *node, u8 cmd)
{
	memtrack_nl_event_queue(memtrack_nl_event_prepare(), node, cmd);
}

/**
 * memtrack_nl_node_changed() - queue a change notification
 * @node: the node whose usage or peak changed
 *
 * A node already queued stays queued once; its values are read when the
 * event is sent, so the last value always goes out.
 *
 * Context: any context; caller checked memtrack_nl_listening().
 */
void memtrack_nl_node_changed(struct memtrack_node *node)
{
	unsigned int window = READ_ONCE(event_interval_ms);
	int delay = READ_ONCE(node->notify_delay_ms);

	if (test_and_set_bit(MEMTRACK_CHANGE_QUEUED, &node->flags))
		return;
	/*
	 * A peak-reset over netlink holds only RCU: the node may be past its
	 * last reference.  It is going away; CHANGE_QUEUED stays set.
	 */
	if (!refcount_inc_not_zero(&node->ref))
		return;
	node->change_event.due = jiffies +
		msecs_to_jiffies(max_t(int, window, delay));
	llist_add(&node->change_event.link, &memtrack_nl_queue);
	queue_delayed_work(memtrack_nl_wq, &memtrack_nl_work,
			   msecs_to_jiffies(window));
}

int memtrack_netlink_init(void)
{
	int err;

	memtrack_nl_wq = alloc_ordered_workqueue("memtrack_events", 0);
	if (!memtrack_nl_wq)
		return -ENOMEM;
	INIT_DELAYED_WORK(&memtrack_nl_work, memtrack_nl_work_fn);

	err = genl_register_family(&memtrack_nl_family);
	if (err)
		goto err_family;
	WRITE_ONCE(memtrack_nl_registered, true);
	return 0;

err_family:
	destroy_workqueue(memtrack_nl_wq);
	return err;
}

/*
 * Runs when no driver uses memtrack any more, so no new events can be
 * queued once registration is off; the last work run drops the queue.
 */
void memtrack_netlink_exit(void)
{
	WRITE_ONCE(memtrack_nl_registered, false);
	memtrack_nl_refresh_listeners();
	genl_unregister_family(&memtrack_nl_family);
	cancel_delayed_work_sync(&memtrack_nl_work);
	memtrack_nl_work_fn(&memtrack_nl_work.work);
	destroy_workqueue(memtrack_nl_wq);
}
