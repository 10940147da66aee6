// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd's manager: attach to the kernel family when it appears and
 * detach when it goes, follow its events and re-dump when some were lost
 * (the mirror itself is mirror.c), and run the timers: history saves,
 * alert deadlines, the Prometheus export.  The dma-buf scan has its own
 * file, manager-dmabuf.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "manager.h"
#include "prom.h"

#define RESYNC_RETRY_USEC (200 * 1000ULL)
#define RESYNC_INTERVAL_USEC (1000 * 1000ULL)
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static void manager_detach(struct mtd_manager *m);
static void manager_resync(struct mtd_manager *m);
static int manager_rearm_timers(struct mtd_manager *m);

uint64_t mtd_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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

static void notify_status(struct mtd_manager *m)
{
	if (m->attached)
		sd_notifyf(0, "STATUS=Tracking %u nodes (%llu resyncs)",
			   m->n_nodes, (unsigned long long)m->resyncs);
	else
		sd_notify(0, "STATUS=Waiting for the memtrack kernel module");
}

static int on_resync_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	manager_resync(priv);
	return 0;
}

/*
 * Re-dump now, or when the last re-dump is a second old: under a storm
 * that overruns the socket again and again, back-to-back full dumps would
 * leave no time for anything else.
 */
static void request_resync(struct mtd_manager *m, uint64_t min_delay)
{
	uint64_t now = mtd_now(CLOCK_MONOTONIC);
	uint64_t when = MAX(now + min_delay, m->resync_usec + RESYNC_INTERVAL_USEC);

	m->need_resync = false;
	if (sd_event_source_get_enabled(m->resync_timer, NULL) > 0)
		return;
	if (when <= now) {
		manager_resync(m);
		return;
	}
	sd_event_source_set_time(m->resync_timer, when);
	sd_event_source_set_enabled(m->resync_timer, SD_EVENT_ONESHOT);
}

static void manager_resync(struct mtd_manager *m)
{
	struct mtc_tree *tree;
	int err;

	if (!m->attached)
		return;
	m->need_resync = false;
	m->resync_usec = mtd_now(CLOCK_MONOTONIC);
	err = mtc_monitor_discard(m->monitor);
	if (err >= 0)
		err = mtc_dump(m->handle, 0, -1, &tree);
	if (err >= 0) {
		err = mtd_mirror_apply_dump(m, tree, true);
		mtc_tree_free(tree);
	}
	if (err < 0 || m->need_resync) {
		sd_journal_print(LOG_WARNING, "re-dump failed (%s); retrying",
				 err < 0 ? mtc_strerror(m->handle) : "orphans");
		request_resync(m, RESYNC_RETRY_USEC);
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
		request_resync(m, 0);
	return 0;
}

static int manager_attach(struct mtd_manager *m)
{
	struct mtc_tree *tree = NULL;
	int err;

	err = mtc_open(&m->handle);
	if (err >= 0)
		err = mtc_monitor_open(&m->monitor, &mtd_mirror_event_ops, m);
	if (err >= 0) {
		mtc_monitor_set_rcvbuf(m->monitor,
				       (int)m->config.event_buffer_bytes);
		err = sd_event_add_io(m->event, &m->monitor_source,
				      mtc_monitor_fd(m->monitor), EPOLLIN,
				      on_monitor_io, m);
	}
	/*
	 * Subscribed before the dump, so no change can fall between; what
	 * waits from before it is older than the dump, and goes.
	 */
	if (err >= 0)
		err = mtc_monitor_discard(m->monitor);
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
	err = mtd_mirror_apply_dump(m, tree, m->attachments > 1);
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
		mtd_mirror_remove(m, m->roots);
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

static int on_alert_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	struct mtd_manager *m = priv;

	m->alert_deadline = UINT64_MAX;
	/* Rare (a pending rule ripening or a repeat): a full pass is fine. */
	mtd_manager_foreach(m, mtd_mirror_eval_alerts, m);
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

		if (!mtd_alert_active(&n->alerts[i]))
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
			.severity = mtd_severity_name(n->alerts[i].rule->severity),
		};
	}
}

static int manager_export_prometheus(struct mtd_manager *m)
{
	struct prom_ctx ctx = { 0 };
	int err;

	ctx.nodes = calloc(m->n_nodes + m->dmabuf.n_nodes + 1,
			   sizeof(*ctx.nodes));
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
	mtd_manager_foreach(m, mtd_mirror_rematch, m);
	mtd_config_free(&old);
	m->alert_deadline = UINT64_MAX;
	mtd_manager_foreach(m, mtd_mirror_eval_alerts, m);
	mtd_dmabuf_configure(m);
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
	mtd_dmabuf_stop(m);
	sd_event_source_disable_unref(m->watch_source);
	mtc_family_watch_close(m->watch);
	sd_event_source_disable_unref(m->save_timer);
	sd_event_source_disable_unref(m->alert_timer);
	sd_event_source_disable_unref(m->resync_timer);
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
		err = sd_event_add_time(m->event, &m->resync_timer,
					CLOCK_MONOTONIC, UINT64_MAX, 0,
					on_resync_timer, m);
	if (err >= 0)
		err = sd_event_source_set_enabled(m->resync_timer, SD_EVENT_OFF);
	if (err >= 0)
		err = sd_event_add_time_relative(m->event, &m->save_timer,
						 CLOCK_MONOTONIC,
						 m->config.save_interval_usec,
						 0, on_save_timer, m);
	if (err >= 0)
		err = manager_rearm_timers(m);
	if (err >= 0)
		err = mtd_bus_setup(m);
	if (err >= 0)
		err = mtd_dmabuf_start(m);
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
