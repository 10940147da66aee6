// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl monitor: node events as they happen, one line each, in the
 * style of `ip monitor`.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "print.h"

/* ---- id -> path map ----------------------------------------------------- */

struct pm_entry {
	struct pm_entry *next;
	uint64_t id;
	char path[];
};

struct path_map {
	struct pm_entry **buckets;
	size_t nbuckets;	/* a power of two */
	size_t size;
};

static size_t pm_hash(const struct path_map *m, uint64_t id)
{
	return (id * 0x9e3779b97f4a7c15ULL) >> 32 & (m->nbuckets - 1);
}

static struct pm_entry **pm_slot(const struct path_map *m, uint64_t id)
{
	struct pm_entry **e;

	if (!m->nbuckets)
		return NULL;
	for (e = &m->buckets[pm_hash(m, id)]; *e; e = &(*e)->next)
		if ((*e)->id == id)
			break;
	return e;
}

static int pm_grow(struct path_map *m)
{
	size_t n = m->nbuckets ? 2 * m->nbuckets : 256, i;
	struct pm_entry **old = m->buckets, *e, *next;
	size_t old_n = m->nbuckets;

	m->buckets = calloc(n, sizeof(*m->buckets));
	if (!m->buckets) {
		m->buckets = old;
		return -ENOMEM;
	}
	m->nbuckets = n;
	for (i = 0; i < old_n; i++) {
		for (e = old[i]; e; e = next) {
			next = e->next;
			e->next = m->buckets[pm_hash(m, e->id)];
			m->buckets[pm_hash(m, e->id)] = e;
		}
	}
	free(old);
	return 0;
}

static const char *pm_get(const struct path_map *m, uint64_t id)
{
	struct pm_entry **e = pm_slot(m, id);

	return e && *e ? (*e)->path : NULL;
}

static void pm_del(struct path_map *m, uint64_t id)
{
	struct pm_entry **e = pm_slot(m, id), *dead;

	if (!e || !*e)
		return;
	dead = *e;
	*e = dead->next;
	free(dead);
	m->size--;
}

static int pm_set(struct path_map *m, uint64_t id, const char *path)
{
	size_t len = strlen(path) + 1;
	struct pm_entry **e, *n;

	pm_del(m, id);
	if (m->size >= m->nbuckets && pm_grow(m) < 0)
		return -ENOMEM;
	n = malloc(sizeof(*n) + len);
	if (!n)
		return -ENOMEM;
	n->id = id;
	memcpy(n->path, path, len);
	e = &m->buckets[pm_hash(m, id)];
	n->next = *e;
	*e = n;
	m->size++;
	return 0;
}

static void pm_clear(struct path_map *m)
{
	struct pm_entry *e, *next;
	size_t i;

	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

/* ---- monitor ------------------------------------------------------------ */

/**
 * struct mon_ctx - state of a monitor
 * @p: printer
 * @h: handle for the dumps that (re)build @map
 * @m: the event subscription
 * @map: id -> path of every node known
 * @err: first error in a callback (negative errno), ends the loop
 * @reported: the error was already printed
 */
struct mon_ctx {
	struct printer p;
	struct mtc_handle *h;
	struct mtc_monitor *m;
	struct path_map map;
	int err;
	bool reported;
};

static void mon_set_err(struct mon_ctx *ctx, int err)
{
	if (err < 0 && !ctx->err)
		ctx->err = err;
}

/* Rebuild the map from a fresh dump. */
static int mon_load(struct mon_ctx *ctx)
{
	const struct mtc_node *n, *next;
	char path[CLI_PATH_MAX];
	struct mtc_tree *tree;
	int err;

	err = mtc_dump(ctx->h, 0, -1, &tree);
	if (err < 0)
		return err;
	pm_clear(&ctx->map);
	/* Depth first, without recursion. */
	for (n = mtc_tree_roots(tree); n && !err; n = next) {
		if (mtc_node_path(n, path, sizeof(path)) < 0)
			err = -ENAMETOOLONG;
		else
			err = pm_set(&ctx->map, n->id, path);
		next = n->first_child;
		while (!next && n) {
			next = n->next_sibling;
			n = n->parent;
		}
	}
	mtc_tree_free(tree);
	return err;
}

/* Path of @n: from the map, else from its parent's path and its name. */
static const char *mon_path(struct mon_ctx *ctx, const struct mtc_node *n,
			    char *buf, size_t size)
{
	const char *parent, *known = pm_get(&ctx->map, n->id);
	char comp[MTC_NAME_MAX + 24];
	const char *c = cli_component(n, comp, sizeof(comp));

	if (known)
		return known;
	if (!n->parent_id) {
		snprintf(buf, size, "%s", c);
	} else {
		parent = pm_get(&ctx->map, n->parent_id);
		if (parent)
			snprintf(buf, size, "%s/%s", parent, c);
		else	/* Its parent came and went while we were not looking. */
			snprintf(buf, size, "#%llu/%s",
				 (unsigned long long)n->parent_id, c);
	}
	return buf;
}

enum mon_event { MON_ADD, MON_CHANGE, MON_DEL };

static void mon_print(struct mon_ctx *ctx, enum mon_event ev,
		      const struct mtc_node *n, const char *path)
{
	static const char *const names[] = {
		[MON_ADD] = "add", [MON_CHANGE] = "change", [MON_DEL] = "del",
	};
	struct printer *p = &ctx->p;

	pr_open_object(p, NULL);
	pr_str(p, PR_ANY, "event", "[%s] ", names[ev]);
	pr_u64(p, PR_JSON, "seq", NULL, mtc_monitor_last_seq(ctx->m));
	pr_str(p, PR_ANY, "path", "%s", path);
	pr_u64(p, PR_ANY, "id", " id %llu", n->id);
	pr_u64(p, PR_JSON, "parent_id", NULL, n->parent_id);
	pr_str(p, PR_JSON, "name", NULL, n->name);
	pr_str(p, ev == MON_CHANGE ? PR_JSON : PR_ANY, "kind", " kind %s",
	       cli_kind_name(n->kind));
	pr_u64(p, PR_JSON, "depth", NULL, n->depth);
	pr_bytes(p, ev == MON_DEL ? PR_JSON : PR_ANY, "bytes", " total %s",
		 n->bytes);
	pr_bytes(p, ev == MON_CHANGE ? PR_ANY : PR_JSON, "self_bytes",
		 " self %s", n->self_bytes);
	pr_u64(p, ev == MON_CHANGE ? PR_ANY : PR_JSON, "count", " count %llu",
	       n->count);
	pr_bytes(p, ev == MON_CHANGE ? PR_ANY : PR_JSON, "peak_bytes",
		 " peak %s", n->peak_bytes);
	cli_print_creator(p, n, ev == MON_ADD ? " creator " : NULL);
	pr_u64(p, PR_JSON, "created_ns", NULL, n->created_ns);
	pr_close_object(p);
	pr_nl(p);
	fflush(p->f);
}

static void on_added(const struct mtc_node *n, void *priv)
{
	struct mon_ctx *ctx = priv;
	char buf[CLI_PATH_MAX];
	const char *path;

	pm_del(&ctx->map, n->id);
	path = mon_path(ctx, n, buf, sizeof(buf));
	mon_set_err(ctx, pm_set(&ctx->map, n->id, path));
	mon_print(ctx, MON_ADD, n, path);
}

static void on_changed(const struct mtc_node *n, void *priv)
{
	struct mon_ctx *ctx = priv;
	char buf[CLI_PATH_MAX];

	mon_print(ctx, MON_CHANGE, n, mon_path(ctx, n, buf, sizeof(buf)));
}

static void on_removed(const struct mtc_node *n, void *priv)
{
	struct mon_ctx *ctx = priv;
	char buf[CLI_PATH_MAX];

	mon_print(ctx, MON_DEL, n, mon_path(ctx, n, buf, sizeof(buf)));
	pm_del(&ctx->map, n->id);
}

static void on_resync(void *priv)
{
	struct mon_ctx *ctx = priv;
	struct printer *p = &ctx->p;
	int err = mon_load(ctx);

	if (err < 0) {
		mon_set_err(ctx, err);
		return;
	}
	pr_open_object(p, NULL);
	pr_str(p, PR_ANY, "event", "[%s] events lost, re-dumped", "resync");
	pr_u64(p, PR_JSON, "nodes", NULL, ctx->map.size);
	pr_close_object(p);
	pr_nl(p);
	fflush(p->f);
}

static const struct mtc_event_ops mon_ops = {
	.node_added = on_added,
	.node_removed = on_removed,
	.node_changed = on_changed,
	.resync = on_resync,
};

static void monitor_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME " monitor [-j|--json] [-b|--bytes] [--rcvbuf BYTES]\n"
	      "\n"
	      "Print node events as they happen, one line each, until interrupted:\n"
	      "  [add] PATH id ID kind KIND total BYTES creator COMM:TGID\n"
	      "  [change] PATH id ID total BYTES self BYTES count N peak BYTES\n"
	      "  [del] PATH id ID kind KIND\n"
	      "  [resync] events lost, re-dumped\n"
	      "Changes are coalesced by the kernel: intermediate values may be\n"
	      "skipped, the last one is always shown.  When events were lost, the\n"
	      "monitor dumps the tree again to keep its paths right and says so.\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json   one JSON object per line (shape in memtrackctl(1))\n"
	      "  -b, --bytes  exact byte counts instead of KiB/MiB/GiB\n"
	      "  --rcvbuf BYTES\n"
	      "               socket receive buffer (default 256 KiB); a larger one\n"
	      "               loses fewer events in bursts\n"
	      "  -h, --help   show this help\n"
	      "\n", f);
	cli_print_exit_codes(f);
}

/* A signalfd for SIGINT and SIGTERM, so the loop can end cleanly. */
static int open_signalfd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int mon_loop(struct mon_ctx *ctx, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = mtc_monitor_fd(ctx->m), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents)
			return 0;
		/*
		 * POLLERR is how an overrun (ENOBUFS) shows: dispatching
		 * reads it and reports a resync.
		 */
		if (pfd[0].revents & POLLNVAL)
			return -EBADF;
		ret = mtc_monitor_dispatch(ctx->m);
		if (ctx->err)
			return ctx->err;
		if (ret < 0) {
			cli_err("%s", mtc_monitor_strerror(ctx->m));
			ctx->reported = true;
			return ret;
		}
		if (ferror(ctx->p.f))
			return -EIO;
	}
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct mon_ctx ctx = {};
	bool json = false, exact = false;
	int c, err, ret, sfd = -1, rcvbuf = 0;
	uint64_t v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "jbh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_u64(optarg, &v) || v < 1024 || v > (1U << 30))
				return cli_usage_err("monitor",
						     "invalid receive buffer size '%s'",
						     optarg);
			rcvbuf = v;
			break;
		case 'j':
			json = true;
			break;
		case 'b':
			exact = true;
			break;
		case 'h':
			monitor_usage(stdout);
			return EXIT_OK;
		default:
			return cli_usage_err("monitor", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_err("monitor", "unexpected argument '%s'",
				     argv[optind]);

	ret = cli_open(&ctx.h);
	if (ret)
		return ret;
	pr_init(&ctx.p, stdout, json, false, exact);

	/* Subscribe first, then dump: no event falls between the two. */
	err = mtc_monitor_open(&ctx.m, &mon_ops, &ctx);
	if (!err && rcvbuf)
		err = mtc_monitor_set_rcvbuf(ctx.m, rcvbuf);
	if (err < 0)
		goto fail;
	err = mon_load(&ctx);
	if (err < 0)
		goto fail;
	sfd = open_signalfd();
	if (sfd < 0) {
		err = sfd;
		goto fail;
	}
	err = mon_loop(&ctx, sfd);
	if (err < 0)
		goto fail;
	ret = EXIT_OK;
	goto out;

fail:
	ret = ctx.reported ? EXIT_FAILURE_OTHER : cli_fail(ctx.h, err, NULL);
out:
	if (sfd >= 0)
		close(sfd);
	mtc_monitor_close(ctx.m);
	pm_clear(&ctx.map);
	mtc_close(ctx.h);
	return ret;
}
