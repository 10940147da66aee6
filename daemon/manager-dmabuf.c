// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd's dma-buf scan: every DmaBufScanIntervalSec= it scans procfs
 * (libmemtrackctl's mtc_dmabuf_scan()), turns the result into the
 * "dmabuf" tree (dmabuf-tree.c) and applies the difference to nodes that
 * get the same history, rules and bus objects as the kernel's.  Nothing
 * here follows the kernel, and nothing that follows the kernel touches
 * these nodes.
 *
 * The scan is synchronous: it reads a few files per process, a few
 * milliseconds for a hundred processes, and it is kept to at most a tenth
 * of the daemon's time by waiting ten times its duration when that is
 * longer than the interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "manager.h"
#include "message-ids.h"

/* Gone processes whose history is kept (each: the process and its tags). */
#define GONE_KEEP 256
/* A scan may take a tenth of the time at most. */
#define DUTY_FACTOR 10
/* Changes of a non-zero unreadable count are logged this rarely. */
#define UNREADABLE_LOG_USEC (10 * 60 * 1000000ULL)
#define CAP_SYS_PTRACE_BIT 19

/* ---- history of gone processes ------------------------------------------ */

struct series_list {
	const char *top;
	struct mtd_series **s;
	size_t n, cap;
	int err;
};

static void collect_series(struct mtd_series *s, void *priv)
{
	struct series_list *l = priv;
	const char *path = mtd_series_path(s);

	if (l->err || (l->top ? !mtd_dmabuf_under(path, l->top) :
				!mtd_dmabuf_process_path(path)))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap * 2 + 16;
		struct mtd_series **grown =
			reallocarray(l->s, cap, sizeof(*grown));

		if (!grown) {
			l->err = -ENOMEM;
			return;
		}
		l->s = grown;
		l->cap = cap;
	}
	l->s[l->n++] = s;
}

/* The history of @top and of everything under it, unless live. */
static void forget_under(struct mtd_manager *m, const char *top)
{
	struct series_list l = { .top = top };
	size_t i;

	mtd_history_foreach(m->history, collect_series, &l);
	for (i = 0; i < l.n; i++)
		if (!mtd_manager_find_path(m, mtd_series_path(l.s[i])))
			mtd_history_forget(m->history, l.s[i]);
	free(l.s);
}

static void trim_gone(struct mtd_manager *m)
{
	char *path;

	while ((path = mtd_dmabuf_gone_pop(&m->dmabuf.gone, GONE_KEEP))) {
		forget_under(m, path);
		free(path);
	}
}

static int cmp_changed(const void *a, const void *b)
{
	uint64_t x = mtd_series_changed_usec(*(struct mtd_series *const *)a);
	uint64_t y = mtd_series_changed_usec(*(struct mtd_series *const *)b);

	return (x > y) - (x < y);
}

/*
 * Processes of a restored history are gone until a scan finds them, and
 * the oldest go first: the list would otherwise forget to bound them.
 */
static void seed_gone(struct mtd_manager *m)
{
	struct series_list l = { 0 };
	size_t i;

	mtd_history_foreach(m->history, collect_series, &l);
	if (l.n)
		qsort(l.s, l.n, sizeof(*l.s), cmp_changed);
	for (i = 0; i < l.n; i++)
		if (mtd_dmabuf_gone_push(&m->dmabuf.gone,
					 mtd_series_path(l.s[i])) < 0)
			break;
	free(l.s);
}

/* ---- applying a tree ---------------------------------------------------- */

struct apply_ctx {
	struct mtd_manager *m;
	bool exited; /* removals are processes or tags gone, not the scan */
};

static void add_node(struct mtd_manager *m, const struct mtd_dmabuf_entry *e)
{
	static const uint32_t kinds[] = { MTC_KIND_ROOT, MTC_KIND_NODE,
					  MTC_KIND_ALLOC };
	struct mtd_node *parent = NULL, *n;
	struct mtc_node k = { 0 };
	char *path;

	if (e->parent) {
		parent = mtd_manager_find_path(m, e->parent->path);
		if (!parent || !mtd_node_is_dmabuf(parent))
			return; /* its own add failed: the next scan retries */
	}
	k.id = m->dmabuf.next_id++;
	k.parent_id = parent ? parent->k.id : 0;
	snprintf(k.name, sizeof(k.name), "%s", e->name);
	k.kind = kinds[e->depth < 3 ? e->depth : 2];
	k.depth = e->depth;
	k.bytes = e->bytes;
	k.self_bytes = e->self_bytes;
	k.count = e->count;
	k.peak_bytes = e->bytes;
	k.creator_tgid = e->pid;
	k.creator_pid = e->pid;
	snprintf(k.creator_comm, sizeof(k.creator_comm), "%s", e->comm);
	k.created_ns = mtd_now(CLOCK_REALTIME) * 1000;
	path = strdup(e->path);
	/* It takes the path, and frees it on failure. */
	n = path ? mtd_mirror_add_local(m, parent, &k, path) : NULL;
	if (!n) {
		sd_journal_print(LOG_ERR, "out of memory adding %s", e->path);
		return;
	}
	if (e->depth == 1)
		mtd_dmabuf_gone_drop(&m->dmabuf.gone, e->path);
}

static void set_values(struct mtd_manager *m, struct mtd_node *n,
		       uint64_t bytes, uint64_t self_bytes, uint64_t count)
{
	struct mtc_node k = n->k;

	k.bytes = bytes;
	k.self_bytes = self_bytes;
	k.count = count;
	if (bytes > k.peak_bytes)
		k.peak_bytes = bytes;
	mtd_mirror_set(m, n, &k);
}

static void apply_op(enum mtd_dmabuf_op op, const struct mtd_dmabuf_entry *was,
		     const struct mtd_dmabuf_entry *now, void *priv)
{
	struct apply_ctx *ctx = priv;
	struct mtd_manager *m = ctx->m;
	struct mtd_node *n;

	n = mtd_manager_find_path(m, now ? now->path : was->path);
	if (n && !mtd_node_is_dmabuf(n))
		return; /* cannot be: the kernel never gets "dmabuf" */
	switch (op) {
	case MTD_DMABUF_REMOVE:
		if (!n)
			return;
		/* It holds nothing now; its history says so. */
		if (ctx->exited)
			set_values(m, n, 0, 0, 0);
		if (was->depth == 1 &&
		    mtd_dmabuf_gone_push(&m->dmabuf.gone, was->path) < 0)
			sd_journal_print(LOG_ERR, "out of memory keeping %s",
					 was->path);
		mtd_mirror_remove(m, n);
		return;
	case MTD_DMABUF_SAME:
		if (n)
			return;
		__attribute__((__fallthrough__));
	case MTD_DMABUF_ADD:
	case MTD_DMABUF_UPDATE:
		if (!n)
			add_node(m, now);
		else
			set_values(m, n, now->bytes, now->self_bytes,
				   now->count);
		return;
	}
}

static void eval_subtree(struct mtd_manager *m, struct mtd_node *n)
{
	for (; n; n = n->next_sibling) {
		mtd_mirror_eval_alerts(n, m);
		eval_subtree(m, n->first_child);
	}
}

/* Make the published tree @next (taken), then evaluate its rules. */
static void apply_tree(struct mtd_manager *m, struct mtd_dmabuf_tree *next,
		       bool exited)
{
	struct apply_ctx ctx = { .m = m, .exited = exited };

	mtd_dmabuf_diff(&m->dmabuf.tree, next, apply_op, &ctx);
	mtd_dmabuf_tree_free(&m->dmabuf.tree);
	m->dmabuf.tree = *next;
	*next = (struct mtd_dmabuf_tree){ 0 };
	eval_subtree(m, m->dmabuf.roots);
	trim_gone(m);
}

/* ---- scanning ----------------------------------------------------------- */

/*
 * Every unreadable process is counted (DmabufUnreadable, which signals its
 * changes); the journal hears when the count changes, at once from or to
 * zero and at most every ten minutes otherwise: without the capabilities,
 * every process started or gone would change it.
 */
static void note_unreadable(struct mtd_manager *m,
			    const struct mtc_dmabuf_scan *scan)
{
	const struct mtc_dmabuf_totals *t = mtc_dmabuf_scan_totals(scan);
	const struct mtc_dmabuf_unreadable *u =
		mtc_dmabuf_scan_unreadable(scan);
	struct mtd_dmabuf *d = &m->dmabuf;
	uint32_t n = t->n_unreadable, was = d->logged_unreadable;
	uint32_t shown = d->have_totals ? d->totals.n_unreadable : 0;
	uint64_t now = mtd_now(CLOCK_MONOTONIC);

	d->totals = *t;
	d->have_totals = true;
	if (n != shown)
		mtd_bus_manager_changed(m, "DmabufUnreadable");
	if (n == was ||
	    (n && was && now - d->logged_unreadable_usec < UNREADABLE_LOG_USEC))
		return;
	d->logged_unreadable = n;
	d->logged_unreadable_usec = now;
	if (!n) {
		sd_journal_send(
			"MESSAGE=dma-buf scan: every process is readable again",
			"MESSAGE_ID=%s", MTD_MESSAGE_DMABUF_UNREADABLE,
			"PRIORITY=%d", LOG_INFO, "MEMTRACK_DMABUF_UNREADABLE=0",
			"MEMTRACK_DMABUF_PIDS=%u", t->n_pids, NULL);
		return;
	}
	sd_journal_send(
		"MESSAGE=dma-buf scan: %u of %u processes could not be read, their dma-bufs are not counted (first: pid %u (%s), %s: %s); reading other users' processes needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, see memtrackd(8)",
		n, t->n_pids, u ? u->pid : 0, u ? u->comm : "",
		u ? u->what : "", u ? strerror(u->errnum) : "", "MESSAGE_ID=%s",
		MTD_MESSAGE_DMABUF_UNREADABLE, "PRIORITY=%d", LOG_WARNING,
		"MEMTRACK_DMABUF_UNREADABLE=%u", n, "MEMTRACK_DMABUF_PIDS=%u",
		t->n_pids, NULL);
}

static void scan_once(struct mtd_manager *m)
{
	struct mtd_dmabuf *d = &m->dmabuf;
	struct mtd_dmabuf_tree next = { 0 };
	uint64_t start = mtd_now(CLOCK_MONOTONIC);
	struct mtc_dmabuf_scan *scan;
	int err;

	err = mtc_dmabuf_scan(d->proc_root, &scan);
	if (err >= 0) {
		err = mtd_dmabuf_tree_build(mtc_dmabuf_scan_procs(scan), &next);
		if (err >= 0) {
			apply_tree(m, &next, true);
			note_unreadable(m, scan);
		}
		mtc_dmabuf_scan_free(scan);
	}
	/* The last good tree stays; one message per kind of failure. */
	if (err < 0 && err != d->logged_err)
		sd_journal_print(
			LOG_WARNING,
			"dma-buf scan failed: %s; keeping the last result",
			strerror(-err));
	d->logged_err = err < 0 ? err : 0;
	d->scans++;
	d->scan_usec = mtd_now(CLOCK_MONOTONIC) - start;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	struct mtd_manager *m = priv;
	uint64_t wait;
	int err;

	scan_once(m);
	wait = m->dmabuf.scan_usec * DUTY_FACTOR;
	if (wait < m->dmabuf.interval_usec)
		wait = m->dmabuf.interval_usec;
	err = sd_event_source_set_time_relative(s, wait);
	return err < 0 ? err : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static char *read_text(const char *file)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *grown;
	ssize_t n = 1;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while (n > 0) {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			grown = realloc(buf, cap);
			if (!grown)
				break;
			buf = grown;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += n;
	}
	close(fd);
	if (n) { /* an error, or out of memory */
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Processes that procfs hides are not even listed, so they cannot be
 * counted as unreadable: say so once.  CAP_SYS_PTRACE lifts the hiding.
 */
static void check_procfs(struct mtd_manager *m)
{
	char *mountinfo, *status;

	if (m->dmabuf.warned_hidden)
		return;
	mountinfo = read_text("/proc/self/mountinfo");
	status = read_text("/proc/self/status");
	if (mountinfo && status && mtd_dmabuf_procfs_hides(mountinfo) &&
	    !mtd_dmabuf_has_cap(status, CAP_SYS_PTRACE_BIT)) {
		sd_journal_print(
			LOG_WARNING,
			"dma-buf scan: /proc hides other users' processes (hidepid=, ProtectProc=); their dma-bufs are neither counted nor reported as unreadable");
		m->dmabuf.warned_hidden = true;
	}
	free(mountinfo);
	free(status);
}

/* ---- life --------------------------------------------------------------- */

void mtd_dmabuf_configure(struct mtd_manager *m)
{
	struct mtd_dmabuf *d = &m->dmabuf;
	uint64_t want = m->config.dmabuf_scan_interval_usec;
	struct mtd_dmabuf_tree none = { 0 };
	uint32_t shown;

	if (want == d->interval_usec || !d->timer)
		return;
	d->interval_usec = want;
	if (!want) {
		sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		/* Nothing is known any more; nothing went away either. */
		apply_tree(m, &none, false);
		shown = d->have_totals ? d->totals.n_unreadable : 0;
		d->have_totals = false;
		d->totals = (struct mtc_dmabuf_totals){ 0 };
		d->logged_unreadable = 0;
		if (shown)
			mtd_bus_manager_changed(m, "DmabufUnreadable");
		sd_journal_print(LOG_INFO, "dma-buf scan off");
		return;
	}
	sd_journal_print(LOG_INFO, "dma-buf scan every %llu ms",
			 (unsigned long long)(want / 1000));
	check_procfs(m);
	/* Now, so a new interval shows at once; then at the interval. */
	sd_event_source_set_time_relative(d->timer, 0);
	sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
}

int mtd_dmabuf_start(struct mtd_manager *m)
{
	int err;

	m->dmabuf.next_id = MTD_DMABUF_ID_BASE;
	/* Tests feed a procfs-like tree (daemon/test-dmabuf-daemon.sh). */
	m->dmabuf.proc_root = secure_getenv("MEMTRACKD_PROC_ROOT");
	if (m->dmabuf.proc_root && !*m->dmabuf.proc_root)
		m->dmabuf.proc_root = NULL;
	seed_gone(m);
	err = sd_event_add_time(m->event, &m->dmabuf.timer, CLOCK_MONOTONIC,
				UINT64_MAX, 0, on_timer, m);
	if (err >= 0)
		err = sd_event_source_set_enabled(m->dmabuf.timer,
						  SD_EVENT_OFF);
	if (err < 0)
		return err;
	mtd_dmabuf_configure(m);
	return 0;
}

void mtd_dmabuf_stop(struct mtd_manager *m)
{
	struct mtd_dmabuf *d = &m->dmabuf;

	d->timer = sd_event_source_disable_unref(d->timer);
	while (d->roots)
		mtd_mirror_remove(m, d->roots);
	mtd_dmabuf_tree_free(&d->tree);
	mtd_dmabuf_gone_free(&d->gone);
	d->interval_usec = 0;
}

void mtd_dmabuf_reset_peak(struct mtd_manager *m, struct mtd_node *n)
{
	n->k.peak_bytes = n->k.bytes;
	mtd_bus_node_changed(m, n);
}
