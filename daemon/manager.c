// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd's manager: attach to the kernel family when it appears, mirror
 * the forest from a dump plus events, re-dump when events were lost, and
 * feed every change to the history, the alert rules and the bus.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "manager.h"
#include "message-ids.h"
#include "prom.h"

#define MONITOR_RCVBUF (8 << 20)
#define RESYNC_RETRY_USEC (200 * 1000ULL)

static void manager_detach(struct mtd_manager *m);
static void manager_resync(struct mtd_manager *m);
static int manager_rearm_timers(struct mtd_manager *m);

uint64_t mtd_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

static void count_event(struct mtd_manager *m, unsigned int n)
{
	uint64_t sec = mtd_now(CLOCK_MONOTONIC) / 1000000;

	if (sec != m->rate_sec) {
		uint64_t s;

		for (s = m->rate_sec + 1;
		     s <= sec && s <= m->rate_sec + MTD_EVENT_RATE_SECS; s++)
			m->rate_buckets[s % MTD_EVENT_RATE_SECS] = 0;
		m->rate_sec = sec;
	}
	m->rate_buckets[sec % MTD_EVENT_RATE_SECS] += n;
	m->events += n;
}

double mtd_manager_event_rate(struct mtd_manager *m)
{
	uint64_t total = 0;
	unsigned int i;

	count_event(m, 0);
	for (i = 0; i < MTD_EVENT_RATE_SECS; i++)
		if (i != m->rate_sec % MTD_EVENT_RATE_SECS)
			total += m->rate_buckets[i];
	return (double)total / (MTD_EVENT_RATE_SECS - 1);
}

static uint64_t read_memtotal(void)
{
	unsigned long long kib = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib * 1024;
}

static const char *severity_name(enum mtd_severity s)
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
			"MEMTRACK_SEVERITY=%s", severity_name(a->rule->severity),
			NULL);
}

static bool alert_active(const struct mtd_node_alert *a)
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
		if (alert_active(a) && a->rule->severity > level)
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

	if (k->name[0] &&
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

static void node_link(struct mtd_node *n, struct mtd_node **head)
{
	n->next_sibling = *head;
	if (*head)
		(*head)->prev_sibling = n;
	*head = n;
}

static void node_unlink(struct mtd_manager *m, struct mtd_node *n)
{
	struct mtd_node **head = n->parent ? &n->parent->first_child :
					     &m->roots;

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

static void node_add(struct mtd_manager *m, const struct mtc_node *k,
		     bool announce)
{
	struct mtd_node *parent = NULL, *n = mtd_manager_find_id(m, k->id);

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
	if (!tsearch(n, &m->by_id, cmp_id))
		goto err_free;
	if (!tsearch(n, &m->by_path, cmp_path)) {
		tdelete(n, &m->by_id, cmp_id);
		goto err_free;
	}
	node_link(n, parent ? &parent->first_child : &m->roots);
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

static void node_remove(struct mtd_manager *m, struct mtd_node *n)
{
	struct mtd_node_alert *a;

	while (n->first_child)
		node_remove(m, n->first_child);
	for (a = n->alerts; a < n->alerts + n->n_alerts; a++) {
		if (!alert_active(a) || m->stopping)
			continue;
		/* The memory went away with the node. */
		n->k.bytes = 0;
		a->st.state = MTD_ALERT_IDLE;
		report_alert(m, n, a, MTD_ALERT_CLEAR);
	}
	mtd_bus_node_removed(m, n);
	node_unlink(m, n);
	tdelete(n, &m->by_id, cmp_id);
	tdelete(n, &m->by_path, cmp_path);
	m->n_nodes--;
	free(n->alerts);
	free(n->path);
	free(n);
}

static void on_node_added(const struct mtc_node *k, void *priv)
{
	node_add(priv, k, true);
}

static void on_node_changed(const struct mtc_node *k, void *priv)
{
	struct mtd_manager *m = priv;
	struct mtd_node *n = mtd_manager_find_id(m, k->id);

	if (n)
		node_update(m, n, k);
	else
		node_add(m, k, true);
}

static void on_node_removed(const struct mtc_node *k, void *priv)
{
	struct mtd_manager *m = priv;
	struct mtd_node *n = mtd_manager_find_id(m, k->id);

	if (n)
		node_remove(m, n);
}

static void on_resync(void *priv)
{
	((struct mtd_manager *)priv)->need_resync = true;
}

static const struct mtc_event_ops event_ops = {
	.node_added = on_node_added,
	.node_removed = on_node_removed,
	.node_changed = on_node_changed,
	.resync = on_resync,
};

static void notify_status(struct mtd_manager *m)
{
	if (m->attached)
		sd_notifyf(0, "STATUS=Tracking %u nodes (%llu resyncs)",
			   m->n_nodes, (unsigned long long)m->resyncs);
	else
		sd_notify(0, "STATUS=Waiting for the memtrack kernel module");
}

struct reconcile {
	struct mtd_manager *m;
	const struct mtc_tree *tree;
	struct mtd_node **gone;
	size_t n_gone;
};

static void collect_gone(struct mtd_node *n, void *priv)
{
	struct reconcile *rc = priv;

	/* A vanished parent takes its children with it. */
	if (!mtc_tree_find_id(rc->tree, n->k.id) &&
	    (!n->parent || mtc_tree_find_id(rc->tree, n->parent->k.id)))
		rc->gone[rc->n_gone++] = n;
}

/* Make the mirror equal @tree: parents first, then drop what is gone. */
static int manager_apply_dump(struct mtd_manager *m, const struct mtc_tree *tree,
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
		node_remove(m, rc.gone[i]);
	free(rc.gone);
	return 0;
}

static int on_resync_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	manager_resync(priv);
	return 0;
}

static void manager_resync(struct mtd_manager *m)
{
	struct mtc_tree *tree;
	int err;

	if (!m->attached)
		return;
	m->need_resync = false;
	err = mtc_dump(m->handle, 0, -1, &tree);
	if (err >= 0) {
		err = manager_apply_dump(m, tree, true);
		mtc_tree_free(tree);
	}
	if (err < 0 || m->need_resync) {
		sd_journal_print(LOG_WARNING, "re-dump failed (%s); retrying",
				 err < 0 ? mtc_strerror(m->handle) : "orphans");
		sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC,
					   RESYNC_RETRY_USEC, 0,
					   on_resync_timer, m);
		m->need_resync = false;
		return;
	}
	m->resyncs++;
	notify_status(m);
}

static int on_monitor_io(sd_event_source *s, int fd, uint32_t revents,
			 void *priv)
{
	struct mtd_manager *m = priv;
	int ret = mtc_monitor_dispatch(m->monitor);

	if (ret > 0)
		count_event(m, ret);
	if (ret < 0) {
		sd_journal_print(LOG_WARNING, "%s",
				 mtc_monitor_strerror(m->monitor));
		m->need_resync = true;
	}
	if (m->need_resync)
		manager_resync(m);
	return 0;
}

static int manager_attach(struct mtd_manager *m)
{
	struct mtc_tree *tree = NULL;
	int err;

	err = mtc_open(&m->handle);
	if (err >= 0)
		err = mtc_monitor_open(&m->monitor, &event_ops, m);
	if (err >= 0) {
		mtc_monitor_set_rcvbuf(m->monitor, MONITOR_RCVBUF);
		err = sd_event_add_io(m->event, &m->monitor_source,
				      mtc_monitor_fd(m->monitor), EPOLLIN,
				      on_monitor_io, m);
	}
	/* Subscribed before the dump, so no change can fall between. */
	if (err >= 0)
		err = mtc_dump(m->handle, 0, -1, &tree);
	if (err < 0) {
		sd_journal_print(LOG_ERR, "cannot attach to memtrack: %s",
				 m->handle && *mtc_strerror(m->handle) ?
				 mtc_strerror(m->handle) : strerror(-err));
		manager_detach(m);
		return err;
	}
	m->attached = true;
	m->attachments++;
	err = manager_apply_dump(m, tree, m->attachments > 1);
	mtc_tree_free(tree);
	sd_journal_print(LOG_INFO, "attached to memtrack: %u nodes", m->n_nodes);
	notify_status(m);
	mtd_bus_manager_changed(m, "State");
	return err;
}

static void manager_detach(struct mtd_manager *m)
{
	bool was = m->attached;

	m->attached = false;
	m->monitor_source = sd_event_source_disable_unref(m->monitor_source);
	mtc_monitor_close(m->monitor);
	m->monitor = NULL;
	mtc_close(m->handle);
	m->handle = NULL;
	while (m->roots)
		node_remove(m, m->roots);
	if (was && !m->stopping) {
		sd_journal_print(LOG_INFO,
				 "memtrack module gone; keeping history of %zu paths",
				 mtd_history_n_series(m->history));
		notify_status(m);
		mtd_bus_manager_changed(m, "State");
	}
}

static void on_family(bool present, void *priv)
{
	struct mtd_manager *m = priv;

	if (present && !m->attached)
		manager_attach(m);
	else if (!present)
		manager_detach(m);
}

static int on_watch_io(sd_event_source *s, int fd, uint32_t revents,
		       void *priv)
{
	struct mtd_manager *m = priv;
	int err = mtc_family_watch_dispatch(m->watch);

	if (err < 0)
		sd_journal_print(LOG_WARNING, "genl controller watch: %s",
				 strerror(-err));
	return 0;
}

/* Time sources are one-shot: set the next expiry and enable again. */
static int rearm(sd_event_source *s, uint64_t usec)
{
	int err = sd_event_source_set_time_relative(s, usec);

	return err < 0 ? err : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int mtd_manager_save(struct mtd_manager *m)
{
	int err;

	if (!m->state_file)
		return 0;
	err = mtd_history_save(m->history, m->state_file);
	if (err < 0)
		sd_journal_print(LOG_ERR, "saving history to %s: %s",
				 m->state_file, strerror(-err));
	return err;
}

static int on_save_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	struct mtd_manager *m = priv;

	mtd_manager_save(m);
	return rearm(s, m->config.save_interval_usec);
}

static void eval_node_alerts(struct mtd_node *n, void *priv)
{
	struct mtd_manager *m = priv;

	if (n->n_alerts)
		node_eval_alerts(m, n, mtd_now(CLOCK_MONOTONIC));
}

static int on_alert_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	struct mtd_manager *m = priv;

	m->alert_deadline = UINT64_MAX;
	/* Rare (a pending rule ripening or a repeat): a full pass is fine. */
	mtd_manager_foreach(m, eval_node_alerts, m);
	return 0;
}

struct prom_ctx {
	struct mtd_prom_node *nodes;
	struct mtd_prom_alert *alerts;
	size_t n_nodes, n_alerts, cap_alerts;
	int err;
};

static void prom_collect(struct mtd_node *n, void *priv)
{
	struct prom_ctx *ctx = priv;
	size_t i;

	ctx->nodes[ctx->n_nodes++] = (struct mtd_prom_node){
		.path = n->path,
		.bytes = n->k.bytes,
		.peak_bytes = n->k.peak_bytes,
	};
	for (i = 0; i < n->n_alerts; i++) {
		struct mtd_prom_alert *grown;

		if (!alert_active(&n->alerts[i]))
			continue;
		if (ctx->n_alerts == ctx->cap_alerts) {
			ctx->cap_alerts = ctx->cap_alerts * 2 + 16;
			grown = reallocarray(ctx->alerts, ctx->cap_alerts,
					     sizeof(*grown));
			if (!grown) {
				ctx->err = -ENOMEM;
				return;
			}
			ctx->alerts = grown;
		}
		ctx->alerts[ctx->n_alerts++] = (struct mtd_prom_alert){
			.path = n->path,
			.rule = n->alerts[i].rule->name,
			.severity = severity_name(n->alerts[i].rule->severity),
		};
	}
}

static int manager_export_prometheus(struct mtd_manager *m)
{
	struct prom_ctx ctx = { 0 };
	int err;

	ctx.nodes = calloc(m->n_nodes + 1, sizeof(*ctx.nodes));
	if (!ctx.nodes)
		return -ENOMEM;
	mtd_manager_foreach(m, prom_collect, &ctx);
	err = ctx.err ?: mtd_prom_write(m->config.prometheus_file, ctx.nodes,
					ctx.n_nodes, ctx.alerts, ctx.n_alerts);
	free(ctx.nodes);
	free(ctx.alerts);
	return err;
}

static int on_prom_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	struct mtd_manager *m = priv;
	int err;

	err = manager_export_prometheus(m);
	if (err < 0)
		sd_journal_print(LOG_WARNING, "writing %s: %s",
				 m->config.prometheus_file, strerror(-err));
	return rearm(s, m->config.prometheus_interval_usec);
}

static int manager_rearm_timers(struct mtd_manager *m)
{
	int err;

	err = rearm(m->save_timer, m->config.save_interval_usec);
	if (err < 0)
		return err;
	m->prom_timer = sd_event_source_disable_unref(m->prom_timer);
	if (!m->config.prometheus_file)
		return 0;
	/* The first export is immediate, so the file exists once ready. */
	return sd_event_add_time_relative(m->event, &m->prom_timer,
					  CLOCK_MONOTONIC, 0, 0,
					  on_prom_timer, m);
}

static void rematch_node(struct mtd_node *n, void *priv)
{
	if (node_match_rules(priv, n) < 0)
		sd_journal_print(LOG_ERR, "%s: out of memory for its rules",
				 n->path);
}

int mtd_manager_reload(struct mtd_manager *m, char *err, size_t errlen)
{
	struct mtd_config next, old;
	int ret;

	mtd_config_init(&next);
	ret = mtd_config_load(&next, m->config_root, err, errlen);
	if (ret < 0) {
		mtd_config_free(&next);
		return ret;
	}
	if (memcmp(&next.history, &m->config.history, sizeof(next.history))) {
		sd_journal_print(LOG_NOTICE,
				 "new HistoryLevels=/HistoryMemoryMax= take effect at the next start");
		next.history = m->config.history;
	}
	old = m->config;
	m->config = next;
	/* Alerts point at the old rules until they are matched again. */
	mtd_manager_foreach(m, rematch_node, m);
	mtd_config_free(&old);
	m->alert_deadline = UINT64_MAX;
	mtd_manager_foreach(m, eval_node_alerts, m);
	sd_journal_print(LOG_INFO, "configuration reloaded: %zu rules",
			 m->config.n_rules);
	return manager_rearm_timers(m);
}

int mtd_manager_new(struct mtd_manager **out, const char *config_root,
		    const char *state_dir)
{
	struct mtd_manager *m;
	char err[512];
	int ret;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->alert_deadline = UINT64_MAX;
	m->memtotal = read_memtotal();
	mtd_config_init(&m->config);
	if ((config_root && !(m->config_root = strdup(config_root))) ||
	    (state_dir && asprintf(&m->state_file, "%s/history", state_dir) < 0)) {
		m->state_file = NULL;
		ret = -ENOMEM;
		goto err_free;
	}
	ret = mtd_config_load(&m->config, m->config_root, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "memtrackd: %s\n", err);
		goto err_free;
	}
	ret = mtd_history_new(&m->config.history, &m->history);
	if (ret < 0)
		goto err_free;
	if (m->state_file) {
		ret = mtd_history_load(m->history, m->state_file, err,
				       sizeof(err));
		if (ret == -EBADMSG)
			sd_journal_print(LOG_WARNING,
					 "ignoring saved history %s: %s",
					 m->state_file, err);
		else if (ret < 0 && ret != -ENOENT)
			sd_journal_print(LOG_WARNING, "reading %s: %s",
					 m->state_file, strerror(-ret));
		else if (!ret)
			sd_journal_print(LOG_INFO,
					 "restored history of %zu paths",
					 mtd_history_n_series(m->history));
	}
	ret = sd_event_default(&m->event);
	if (ret < 0)
		goto err_free;
	*out = m;
	return 0;

err_free:
	mtd_manager_free(m);
	return ret;
}

void mtd_manager_free(struct mtd_manager *m)
{
	if (!m)
		return;
	/* Stopping is not the memory going away: log no clears. */
	m->stopping = true;
	manager_detach(m);
	sd_event_source_disable_unref(m->watch_source);
	mtc_family_watch_close(m->watch);
	sd_event_source_disable_unref(m->save_timer);
	sd_event_source_disable_unref(m->alert_timer);
	sd_event_source_disable_unref(m->props_timer);
	sd_event_source_disable_unref(m->prom_timer);
	sd_bus_flush_close_unref(m->bus);
	sd_event_unref(m->event);
	mtd_history_free(m->history);
	mtd_config_free(&m->config);
	free(m->config_root);
	free(m->state_file);
	free(m);
}

int mtd_manager_start(struct mtd_manager *m)
{
	int err;

	err = sd_event_add_time(m->event, &m->alert_timer, CLOCK_MONOTONIC,
				UINT64_MAX, 0, on_alert_timer, m);
	if (err >= 0)
		err = sd_event_source_set_enabled(m->alert_timer, SD_EVENT_OFF);
	if (err >= 0)
		err = sd_event_add_time_relative(m->event, &m->save_timer,
						 CLOCK_MONOTONIC,
						 m->config.save_interval_usec,
						 0, on_save_timer, m);
	if (err >= 0)
		err = manager_rearm_timers(m);
	if (err >= 0)
		err = mtd_bus_setup(m);
	if (err < 0)
		return err;

	err = mtc_family_watch_open(&m->watch, on_family, m);
	if (err < 0) {
		sd_journal_print(LOG_ERR, "cannot watch the genl controller: %s",
				 strerror(-err));
		return err;
	}
	err = sd_event_add_io(m->event, &m->watch_source,
			      mtc_family_watch_fd(m->watch), EPOLLIN,
			      on_watch_io, m);
	if (err < 0)
		return err;
	if (mtc_family_watch_present(m->watch))
		manager_attach(m);
	else
		sd_journal_print(LOG_INFO,
				 "memtrack module not loaded; waiting for it");
	notify_status(m);
	return 0;
}
