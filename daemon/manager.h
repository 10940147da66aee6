/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrackd's state: the mirror of the kernel's forest, the history, the
 * alerts and the event loop's sources.
 */
#ifndef MEMTRACKD_MANAGER_H
#define MEMTRACKD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "alerts.h"
#include "config.h"
#include "dmabuf-tree.h"
#include "history.h"
#include "memtrackctl.h"

#define MTD_BUS_NAME "org.memtrack.MemTrack1"
#define MTD_BUS_PATH "/org/memtrack/MemTrack1"
#define MTD_BUS_NODE_PREFIX MTD_BUS_PATH "/node"
#define MTD_BUS_MANAGER_IFACE MTD_BUS_NAME ".Manager"
#define MTD_BUS_NODE_IFACE MTD_BUS_NAME ".Node"
#define MTD_EVENT_RATE_SECS 10

/*
 * Ids of the dma-buf tree's nodes, from here up.  The kernel counts its
 * ids up from 1 and would need 2^52 node creations (14 years at ten
 * million a second) to get here; the mirror ignores kernel ids at or above
 * it all the same, so the two never collide.  Below 2^53, ids stay exact
 * in JSON numbers (doubles).
 */
#define MTD_DMABUF_ID_BASE (1ULL << 52)

/* One rule that matches a node, and its state machine there. */
struct mtd_node_alert {
	const struct mtd_rule *rule;
	struct mtd_alert st;
	struct mtd_thresholds th;
	uint64_t value;		/* when last raised or cleared */
};

struct mtd_node {
	struct mtc_node k;		/* the kernel's view; tree links unused */
	char *path;
	char obj[sizeof(MTD_BUS_NODE_PREFIX) + 24];
	struct mtd_node *parent;
	struct mtd_node *first_child;
	struct mtd_node *next_sibling;
	struct mtd_node *prev_sibling;
	struct mtd_series *series;
	struct mtd_node_alert *alerts;
	size_t n_alerts;
	uint8_t alert_level;
	bool props_dirty;
	uint64_t props_emitted_usec;	/* CLOCK_MONOTONIC */
	struct mtd_node *next_dirty;	/* in the manager's list, oldest first */
	struct mtd_node *prev_dirty;
};

static inline bool mtd_node_is_dmabuf(const struct mtd_node *n)
{
	return n->k.id >= MTD_DMABUF_ID_BASE;
}

/* The dma-buf scan and its tree (manager-dmabuf.c). */
struct mtd_dmabuf {
	const char *proc_root;		/* NULL: /proc */
	sd_event_source *timer;
	uint64_t interval_usec;		/* in force; 0: off */
	struct mtd_dmabuf_tree tree;	/* as last applied */
	struct mtd_node *roots;		/* the "dmabuf" node, when on */
	unsigned int n_nodes;
	uint64_t next_id;
	struct mtd_dmabuf_gone gone;
	uint64_t scans;
	uint64_t scan_usec;		/* duration of the last one */
	struct mtc_dmabuf_totals totals;
	bool have_totals;
	uint32_t logged_unreadable;
	uint64_t logged_unreadable_usec;	/* CLOCK_MONOTONIC */
	int logged_err;
	bool warned_hidden;
};

struct mtd_manager {
	sd_event *event;
	sd_bus *bus;
	char *config_root;
	char *state_file;
	struct mtd_config config;
	uint64_t memtotal;

	struct mtc_family_watch *watch;
	sd_event_source *watch_source;
	struct mtc_handle *handle;
	struct mtc_monitor *monitor;
	sd_event_source *monitor_source;
	bool attached;
	bool need_resync;
	sd_event_source *resync_timer;
	uint64_t resync_usec;		/* CLOCK_MONOTONIC, last re-dump */
	bool stopping;

	void *by_id;			/* tsearch roots */
	void *by_path;
	struct mtd_node *roots;
	unsigned int n_nodes;

	struct mtd_history *history;
	sd_event_source *save_timer;
	sd_event_source *alert_timer;
	uint64_t alert_deadline;	/* CLOCK_MONOTONIC usec */
	uint64_t history_clock;		/* CLOCK_REALTIME usec, never back */
	sd_event_source *props_timer;
	struct mtd_node *dirty;		/* nodes whose signal waits */
	struct mtd_node *dirty_tail;
	sd_event_source *prom_timer;

	uint64_t events;
	uint64_t resyncs;
	uint64_t attachments;
	uint32_t rate_buckets[MTD_EVENT_RATE_SECS];
	uint64_t rate_sec;

	struct mtd_dmabuf dmabuf;
};

int mtd_manager_new(struct mtd_manager **out, const char *config_root,
		    const char *state_dir);
void mtd_manager_free(struct mtd_manager *m);
int mtd_manager_start(struct mtd_manager *m);
int mtd_manager_reload(struct mtd_manager *m, char *err, size_t errlen);
int mtd_manager_save(struct mtd_manager *m);

struct mtd_node *mtd_manager_find_path(struct mtd_manager *m,
				       const char *path);
struct mtd_node *mtd_manager_find_id(struct mtd_manager *m, uint64_t id);
/* Calls @fn for every live node, parents before children. */
void mtd_manager_foreach(struct mtd_manager *m,
			 void (*fn)(struct mtd_node *n, void *priv),
			 void *priv);
double mtd_manager_event_rate(struct mtd_manager *m);
uint64_t mtd_now(clockid_t clock);

/* mirror.c */
extern const struct mtc_event_ops mtd_mirror_event_ops;
/*
 * Add a node that is not the kernel's (the dma-buf tree: @k->id from
 * MTD_DMABUF_ID_BASE), under @parent or as a root of its own list; it gets
 * history, rules and a bus object like the kernel's.  Takes @path (freed
 * on failure).  NULL on -ENOMEM.
 */
struct mtd_node *mtd_mirror_add_local(struct mtd_manager *m,
				      struct mtd_node *parent,
				      const struct mtc_node *k, char *path);
/*
 * New values for @n: history and PropertiesChanged, but no alert
 * evaluation, so that a whole tree can change before its rules (percent of
 * the parent) look at it; then mtd_mirror_eval_alerts() each node.
 */
void mtd_mirror_set(struct mtd_manager *m, struct mtd_node *n,
		    const struct mtc_node *k);
int mtd_mirror_apply_dump(struct mtd_manager *m, const struct mtc_tree *tree,
			  bool announce);
void mtd_mirror_remove(struct mtd_manager *m, struct mtd_node *n);
/* For mtd_manager_foreach(), with the manager as @priv. */
void mtd_mirror_eval_alerts(struct mtd_node *n, void *priv);
void mtd_mirror_rematch(struct mtd_node *n, void *priv);
bool mtd_alert_active(const struct mtd_node_alert *a);
const char *mtd_severity_name(enum mtd_severity s);

/* manager-dmabuf.c */
int mtd_dmabuf_start(struct mtd_manager *m);
/* After a config change: apply DmaBufScanIntervalSec=. */
void mtd_dmabuf_configure(struct mtd_manager *m);
void mtd_dmabuf_stop(struct mtd_manager *m);
/* ResetPeak of a dma-buf node: its peak becomes its current Bytes. */
void mtd_dmabuf_reset_peak(struct mtd_manager *m, struct mtd_node *n);

/* manager-bus.c */
int mtd_bus_setup(struct mtd_manager *m);
void mtd_bus_node_added(struct mtd_manager *m, struct mtd_node *n);
void mtd_bus_node_removed(struct mtd_manager *m, struct mtd_node *n);
void mtd_bus_node_changed(struct mtd_manager *m, struct mtd_node *n);
void mtd_bus_flush_changed(struct mtd_manager *m);
void mtd_bus_alert(struct mtd_manager *m, struct mtd_node *n,
		   const struct mtd_node_alert *a, bool raised);
void mtd_bus_manager_changed(struct mtd_manager *m, const char *prop);

#endif
