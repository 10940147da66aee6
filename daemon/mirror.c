// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd's mirror of the kernel forest: nodes indexed by id and by path,
 * kept up to date from events and re-dumps, each change fed to the
 * history, the alert rules (journal and bus) and the node's bus object.
 * The dma-buf tree (manager-dmabuf.c) shares the indexes, the history,
 * the rules and the bus objects, but not the list of roots, and nothing
 * that follows the kernel (dumps, detach) touches it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "manager.h"
#include "message-ids.h"

static int cmp_id(const void *a, const void *b)
{
	const struct mtd_node *x = a, *y = b;

	return x->k.id < y->k.id ? -1 : x->k.id > y->k.id;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct mtd_node *)a)->path,
		      ((const struct mtd_node *)b)->path);
}

struct mtd_node *mtd_manager_find_id(struct mtd_manager *m, uint64_t id)
{
	struct mtd_node key = { .k.id = id };
	void *found = tfind(&key, &m->by_id, cmp_id);

	return found ? *(struct mtd_node **)found : NULL;
}

struct mtd_node *mtd_manager_find_path(struct mtd_manager *m,
				       const char *path)
{
	struct mtd_node key = { .path = (char *)path };
	void *found = tfind(&key, &m->by_path, cmp_path);

	return found ? *(struct mtd_node **)found : NULL;
}

struct foreach_ctx {
	void (*fn)(struct mtd_node *n, void *priv);
	void *priv;
};

static void foreach_visit(const void *nodep, VISIT which, void *closure)
{
	struct foreach_ctx *ctx = closure;

	if (which == postorder || which == leaf)
		ctx->fn(*(struct mtd_node *const *)nodep, ctx->priv);
}

/* Ids grow with creation and parents are older than children. */
void mtd_manager_foreach(struct mtd_manager *m,
			 void (*fn)(struct mtd_node *n, void *priv),
			 void *priv)
{
	struct foreach_ctx ctx = { fn, priv };

	twalk_r(m->by_id, foreach_visit, &ctx);
}

const char *mtd_severity_name(enum mtd_severity s)
{
	return s == MTD_SEVERITY_CRITICAL ? "critical" : "warning";
}

static void journal_alert(const struct mtd_node *n,
			  const struct mtd_node_alert *a,
			  enum mtd_alert_action action)
{
	static const char *const what[] = {
		[MTD_ALERT_RAISE] = "reached",
		[MTD_ALERT_REPEAT] = "is still at or above",
		[MTD_ALERT_CLEAR] = "fell to or below",
	};
	bool raise = action != MTD_ALERT_CLEAR;
	uint64_t threshold = raise ? a->th.raise : a->th.clear;

	sd_journal_send("MESSAGE=%s: %llu bytes %s the %s level %llu of rule %s",
			n->path, (unsigned long long)n->k.bytes, what[action],
			raise ? "raise" : "clear",
			(unsigned long long)threshold, a->rule->name,
			"MESSAGE_ID=%s",
			raise ? MTD_MESSAGE_ALERT_RAISED : MTD_MESSAGE_ALERT_CLEARED,
			"PRIORITY=%d", raise ? LOG_WARNING : LOG_NOTICE,
			"MEMTRACK_NODE=%s", n->path,
			"MEMTRACK_BYTES=%llu", (unsigned long long)n->k.bytes,
			"MEMTRACK_THRESHOLD=%llu", (unsigned long long)threshold,
			"MEMTRACK_RULE=%s", a->rule->name,
			"MEMTRACK_SEVERITY=%s", mtd_severity_name(a->rule->severity),
			NULL);
}

bool mtd_alert_active(const struct mtd_node_alert *a)
{
	return a->st.state == MTD_ALERT_RAISED ||
	       a->st.state == MTD_ALERT_PENDING_CLEAR;
}

static void arm_alert_timer(struct mtd_manager *m, uint64_t when)
{
	if (when >= m->alert_deadline)
		return;
	m->alert_deadline = when;
	sd_event_source_set_time(m->alert_timer, when);
	sd_event_source_set_enabled(m->alert_timer, SD_EVENT_ONESHOT);
}

static void report_alert(struct mtd_manager *m, struct mtd_node *n,
			 struct mtd_node_alert *a, enum mtd_alert_action action)
{
	a->value = n->k.bytes;
	journal_alert(n, a, action);
	if (action != MTD_ALERT_REPEAT)
		mtd_bus_alert(m, n, a, action == MTD_ALERT_RAISE);
}

static void node_eval_alerts(struct mtd_manager *m, struct mtd_node *n,
			     uint64_t now)
{
	uint8_t level = MTD_SEVERITY_NONE;
	enum mtd_alert_action action;
	struct mtd_node_alert *a;
	uint64_t next;

	for (a = n->alerts; a < n->alerts + n->n_alerts; a++) {
		mtd_rule_thresholds(a->rule, n->parent ? n->parent->k.bytes : 0,
				    m->memtotal, &a->th);
		action = mtd_alert_step(a->rule, &a->th, &a->st, n->k.bytes,
					now, &next);
		if (action != MTD_ALERT_NONE)
			report_alert(m, n, a, action);
		arm_alert_timer(m, next);
		if (mtd_alert_active(a) && a->rule->severity > level)
			level = a->rule->severity;
	}
	if (level != n->alert_level) {
		n->alert_level = level;
		mtd_bus_node_changed(m, n);
	}
}

static bool has_parent_percent(const struct mtd_node *n)
{
	size_t i;

	for (i = 0; i < n->n_alerts; i++)
		if (n->alerts[i].rule->percent_of == MTD_PERCENT_OF_PARENT)
			return true;
	return false;
}

static void node_eval_with_children(struct mtd_manager *m, struct mtd_node *n)
{
	uint64_t now = mtd_now(CLOCK_MONOTONIC);
	struct mtd_node *c;

	if (n->n_alerts)
		node_eval_alerts(m, n, now);
	for (c = n->first_child; c; c = c->next_sibling)
		if (has_parent_percent(c))
			node_eval_alerts(m, c, now);
}

/* Attach the rules matching @n, keeping the state of rules it had. */
static int node_match_rules(struct mtd_manager *m, struct mtd_node *n)
{
	struct mtd_node_alert *alerts = NULL, *old;
	size_t i, count = 0;

	for (i = 0; i < m->config.n_rules; i++) {
		const struct mtd_rule *r = &m->config.rules[i];
		struct mtd_node_alert *grown;

		if (fnmatch(r->match, n->path, 0))
			continue;
		grown = reallocarray(alerts, count + 1, sizeof(*alerts));
		if (!grown) {
			free(alerts);
			return -ENOMEM;
		}
		alerts = grown;
		alerts[count] = (struct mtd_node_alert){ .rule = r };
		for (old = n->alerts; old < n->alerts + n->n_alerts; old++)
			if (!strcmp(old->rule->name, r->name))
				alerts[count].st = old->st;
		count++;
	}
	free(n->alerts);
	n->alerts = alerts;
	n->n_alerts = count;
	return 0;
}

static void record_history(struct mtd_manager *m, struct mtd_node *n)
{
	uint64_t now = mtd_now(CLOCK_REALTIME);

	/* History times never go back, even when the wall clock does. */
	if (now < m->history_clock)
		now = m->history_clock;
	m->history_clock = now;
	if (n->series)
		mtd_series_record(m->history, n->series, now, n->k.bytes);
}

static char *node_path_new(struct mtd_manager *m, struct mtd_node *parent,
			   const struct mtc_node *k)
{
	const char *prefix = parent ? parent->path : "";
	const char *sep = parent ? "/" : "";
	char *path;

	/*
	 * The dma-buf tree's root name is reserved whether the scan is on
	 * or not, so a kernel path never depends on the config.
	 */
	if (k->name[0] && (parent || strcmp(k->name, MTD_DMABUF_ROOT)) &&
	    asprintf(&path, "%s%s%s", prefix, sep, k->name) >= 0) {
		if (!mtd_manager_find_path(m, path))
			return path;
		free(path);	/* a sibling of the same name is older */
	}
	if (asprintf(&path, "%s%s#%llu", prefix, sep,
		     (unsigned long long)k->id) < 0)
		return NULL;
	return path;
}

static struct mtd_node **node_head(struct mtd_manager *m, struct mtd_node *n)
{
	if (n->parent)
		return &n->parent->first_child;
	return mtd_node_is_dmabuf(n) ? &m->dmabuf.roots : &m->roots;
}

static void node_link(struct mtd_manager *m, struct mtd_node *n)
{
	struct mtd_node **head = node_head(m, n);

	n->next_sibling = *head;
	if (*head)
		(*head)->prev_sibling = n;
	*head = n;
}

static void node_unlink(struct mtd_manager *m, struct mtd_node *n)
{
	struct mtd_node **head = node_head(m, n);

	if (n->prev_sibling)
		n->prev_sibling->next_sibling = n->next_sibling;
	else
		*head = n->next_sibling;
	if (n->next_sibling)
		n->next_sibling->prev_sibling = n->prev_sibling;
}

static void node_update(struct mtd_manager *m, struct mtd_node *n,
			const struct mtc_node *k)
{
	bool moved = n->k.bytes != k->bytes;

	if (!memcmp(&n->k, k, offsetof(struct mtc_node, parent)))
		return;
	memcpy(&n->k, k, offsetof(struct mtc_node, parent));
	if (moved) {
		record_history(m, n);
		node_eval_with_children(m, n);
	}
	mtd_bus_node_changed(m, n);
}

void mtd_mirror_set(struct mtd_manager *m, struct mtd_node *n,
		    const struct mtc_node *k)
{
	bool moved = n->k.bytes != k->bytes;

	if (!memcmp(&n->k, k, offsetof(struct mtc_node, parent)))
		return;
	memcpy(&n->k, k, offsetof(struct mtc_node, parent));
	if (moved)
		record_history(m, n);
	mtd_bus_node_changed(m, n);
}

/* Index, link and publish @n (its k, parent, path and obj are set). */
static int node_insert(struct mtd_manager *m, struct mtd_node *n,
		       bool announce)
{
	if (!tsearch(n, &m->by_id, cmp_id))
		return -ENOMEM;
	if (!tsearch(n, &m->by_path, cmp_path)) {
		tdelete(n, &m->by_id, cmp_id);
		return -ENOMEM;
	}
	node_link(m, n);
	if (mtd_node_is_dmabuf(n))
		m->dmabuf.n_nodes++;
	else
		m->n_nodes++;

	n->series = mtd_history_series(m->history, n->path, true);
	record_history(m, n);
	if (node_match_rules(m, n) < 0)
		sd_journal_print(LOG_ERR, "%s: out of memory for its rules",
				 n->path);
	if (n->n_alerts)
		node_eval_alerts(m, n, mtd_now(CLOCK_MONOTONIC));
	if (announce)
		mtd_bus_node_added(m, n);
	return 0;
}

struct mtd_node *mtd_mirror_add_local(struct mtd_manager *m,
				      struct mtd_node *parent,
				      const struct mtc_node *k, char *path)
{
	struct mtd_node *n = calloc(1, sizeof(*n));

	if (!n)
		goto err;
	memcpy(&n->k, k, offsetof(struct mtc_node, parent));
	n->parent = parent;
	n->path = path;
	snprintf(n->obj, sizeof(n->obj), MTD_BUS_NODE_PREFIX "/%llu",
		 (unsigned long long)k->id);
	if (node_insert(m, n, true) < 0)
		goto err;
	return n;
err:
	free(n);
	free(path);
	return NULL;
}

static void node_add(struct mtd_manager *m, const struct mtc_node *k,
		     bool announce)
{
	struct mtd_node *parent = NULL, *n;
	static bool warned;

	/* Never in practice (see MTD_DMABUF_ID_BASE), never a collision. */
	if (k->id >= MTD_DMABUF_ID_BASE || k->parent_id >= MTD_DMABUF_ID_BASE) {
		if (!warned)
			sd_journal_print(LOG_ERR,
					 "ignoring kernel node id %llu: in the dma-buf tree's range",
					 (unsigned long long)k->id);
		warned = true;
		return;
	}
	n = mtd_manager_find_id(m, k->id);
	if (n) {
		node_update(m, n, k);
		return;
	}
	if (k->parent_id) {
		parent = mtd_manager_find_id(m, k->parent_id);
		if (!parent) {
			/* Only a lost event can orphan a node. */
			m->need_resync = true;
			return;
		}
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		goto err_nomem;
	memcpy(&n->k, k, offsetof(struct mtc_node, parent));
	n->parent = parent;
	n->path = node_path_new(m, parent, k);
	if (!n->path)
		goto err_free;
	snprintf(n->obj, sizeof(n->obj), MTD_BUS_NODE_PREFIX "/%llu",
		 (unsigned long long)k->id);
	if (node_insert(m, n, announce) < 0)
		goto err_free;
	return;

err_free:
	free(n->path);
	free(n);
err_nomem:
	/* The mirror would be incomplete: try again from a dump. */
	sd_journal_print(LOG_ERR, "out of memory adding node %llu",
			 (unsigned long long)k->id);
	m->need_resync = true;
}

void mtd_mirror_remove(struct mtd_manager *m, struct mtd_node *n)
{
	struct mtd_node_alert *a;

	while (n->first_child)
		mtd_mirror_remove(m, n->first_child);
	for (a = n->alerts; a < n->alerts + n->n_alerts; a++) {
		if (!mtd_alert_active(a) || m->stopping)
			continue;
		/* The memory went away with the node. */
		n->k.bytes = 0;
		a->st.state = MTD_ALERT_IDLE;
		report_alert(m, n, a, MTD_ALERT_CLEAR);
	}
	mtd_bus_node_removed(m, n);
	/*
	 * Ids are not reused, so a path naming one never comes back: keeping
	 * its history would grow memory with every short-lived unnamed node.
	 */
	if (n->series && strchr(n->path, '#'))
		mtd_history_forget(m->history, n->series);
	node_unlink(m, n);
	tdelete(n, &m->by_id, cmp_id);
	tdelete(n, &m->by_path, cmp_path);
	if (mtd_node_is_dmabuf(n))
		m->dmabuf.n_nodes--;
	else
		m->n_nodes--;
	free(n->alerts);
	free(n->path);
	free(n);
}

static void on_node_added(const struct mtc_node *k, void *priv)
{
	node_add(priv, k, true);
}

/* A kernel event's node, never one of the dma-buf tree's. */
static struct mtd_node *kernel_node(struct mtd_manager *m, uint64_t id)
{
	return id < MTD_DMABUF_ID_BASE ? mtd_manager_find_id(m, id) : NULL;
}

static void on_node_changed(const struct mtc_node *k, void *priv)
{
	struct mtd_manager *m = priv;
	struct mtd_node *n = kernel_node(m, k->id);

	if (n)
		node_update(m, n, k);
	else
		node_add(m, k, true);
}

static void on_node_removed(const struct mtc_node *k, void *priv)
{
	struct mtd_manager *m = priv;
	struct mtd_node *n = kernel_node(m, k->id);

	if (n)
		mtd_mirror_remove(m, n);
}

static void on_resync(void *priv)
{
	((struct mtd_manager *)priv)->need_resync = true;
}

const struct mtc_event_ops mtd_mirror_event_ops = {
	.node_added = on_node_added,
	.node_removed = on_node_removed,
	.node_changed = on_node_changed,
	.resync = on_resync,
};

struct reconcile {
	struct mtd_manager *m;
	const struct mtc_tree *tree;
	struct mtd_node **gone;
	size_t n_gone;
};

static void collect_gone(struct mtd_node *n, void *priv)
{
	struct reconcile *rc = priv;

	/* Not the kernel's: a dump says nothing about it. */
	if (mtd_node_is_dmabuf(n))
		return;
	/* A vanished parent takes its children with it. */
	if (!mtc_tree_find_id(rc->tree, n->k.id) &&
	    (!n->parent || mtc_tree_find_id(rc->tree, n->parent->k.id)))
		rc->gone[rc->n_gone++] = n;
}

/* Make the mirror equal @tree: parents first, then drop what is gone. */
int mtd_mirror_apply_dump(struct mtd_manager *m, const struct mtc_tree *tree,
			      bool announce)
{
	struct reconcile rc = { .m = m, .tree = tree };
	const struct mtc_node *k = mtc_tree_roots(tree);
	size_t i, applied = 0;

	while (k) {
		/* A huge forest must not look like a hang to the watchdog. */
		if (!(++applied % 4096))
			sd_notify(0, "WATCHDOG=1");
		node_add(m, k, announce);
		if (k->first_child) {
			k = k->first_child;
			continue;
		}
		while (k && !k->next_sibling)
			k = k->parent;
		if (k)
			k = k->next_sibling;
	}
	rc.gone = calloc(m->n_nodes + 1, sizeof(*rc.gone));
	if (!rc.gone)
		return -ENOMEM;
	mtd_manager_foreach(m, collect_gone, &rc);
	for (i = 0; i < rc.n_gone; i++)
		mtd_mirror_remove(m, rc.gone[i]);
	free(rc.gone);
	return 0;
}

void mtd_mirror_eval_alerts(struct mtd_node *n, void *priv)
{
	struct mtd_manager *m = priv;

	if (n->n_alerts)
		node_eval_alerts(m, n, mtd_now(CLOCK_MONOTONIC));
}

void mtd_mirror_rematch(struct mtd_node *n, void *priv)
{
	if (node_match_rules(priv, n) < 0)
		sd_journal_print(LOG_ERR, "%s: out of memory for its rules",
				 n->path);
}
