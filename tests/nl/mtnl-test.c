// SPDX-License-Identifier: GPL-2.0
/*
 * mtnl-test: test client for the memtrack generic netlink family, driven by
 * tests/kernel/netlink-*.sh inside the test VM.  It prints machine-readable
 * lines ("key=value" words); the scripts compute what to expect and
 * compare.  Normal requests and events go through libmemtrackctl; a raw
 * NETLINK_GENERIC socket is used only where the library (rightly) hides
 * what is being tested: NLM_F_DUMP_INTR, dumps paused midway, malformed
 * requests and fuzzing.
 *
 * Every subcommand exits 0 when it could run to the end (whatever the
 * kernel answered; the answer is in the output), 1 on a usage error and 2
 * when the test itself could not run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include <linux/memtrack.h>

#include "memtrackctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define RAW_BUF_SIZE (256 * 1024)

struct opts {
	uint64_t id;
	int depth;
	bool text;
	bool check;
	bool quiet;
	bool last;
	bool mirror;
	int seconds;
	int rcvbuf;
	int pause_ms;
	int drain_ms;
	const char *ready;
	const char *go;
	long count;
	uint64_t seed;
	bool have_seed;
	unsigned int uid;
	int delay_us;
	int iterations;
	uint64_t max_id;
	unsigned long min_msgs;
};

static volatile sig_atomic_t stop_requested;

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char *errname(int err)
{
	static char buf[16];

	switch (err < 0 ? -err : err) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOBUFS: return "ENOBUFS";
	case EBADMSG: return "EBADMSG";
	case EPROTO: return "EPROTO";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ECONNREFUSED: return "ECONNREFUSED";
	}
	snprintf(buf, sizeof(buf), "E%d", err < 0 ? -err : err);
	return buf;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop_requested)
		;
}

static int touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fclose(f);
	return 0;
}

/*
 * Print a string as one word: spaces (unless @quoted), quotes, backslashes
 * and non-printable bytes are escaped as \xNN.
 */
static void print_escaped(const char *s, bool quoted)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if ((c == ' ' && !quoted) || c < ' ' || c >= 0x7f ||
		    c == '\\' || c == '"')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void print_word(const char *s)
{
	print_escaped(s, false);
}

static void print_quoted(const char *s)
{
	print_escaped(s, true);
}

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case MTC_KIND_ROOT: return "root";
	case MTC_KIND_NODE: return "node";
	case MTC_KIND_ALLOC: return "alloc";
	}
	return "?";
}

static void print_node(const char *tag, const struct mtc_node *n,
		       const char *path)
{
	printf("%s id=%" PRIu64 " parent=%" PRIu64 " kind=%s depth=%u bytes=%" PRIu64
	       " self=%" PRIu64 " count=%" PRIu64 " peak=%" PRIu64
	       " tgid=%u pid=%u comm=", tag, n->id, n->parent_id,
	       kind_name(n->kind), n->depth, n->bytes, n->self_bytes, n->count,
	       n->peak_bytes, n->creator_tgid, n->creator_pid);
	print_word(n->creator_comm);
	printf(" created=%" PRIu64 " children=%zu name=", n->created_ns,
	       n->n_children);
	print_word(n->name);
	if (path) {
		printf(" path=");
		print_word(path);
	}
	putchar('\n');
}

static void print_error(const char *op, int err, const char *msg)
{
	printf("error op=%s err=%d errname=%s msg=\"", op, err, errname(err));
	print_quoted(msg ? msg : "");
	printf("\"\n");
}

static int open_handle(struct mtc_handle **h)
{
	int err = mtc_open(h);

	if (err < 0) {
		print_error("open", err, *h ? mtc_strerror(*h) : strerror(-err));
		mtc_close(*h);
		*h = NULL;
	}
	return err;
}

/* ---- dump, get, reset-peak -------------------------------------------- */

static void print_subtree(const struct mtc_node *n)
{
	const struct mtc_node *c;
	char path[4096];

	if (mtc_node_path(n, path, sizeof(path)) < 0)
		strcpy(path, "?");
	print_node("node", n, path);
	for (c = n->first_child; c; c = c->next_sibling)
		print_subtree(c);
}

/* The text of <debugfs>/memtrack/<root>, from the dumped tree. */
static void print_text(const struct mtc_node *n, uint32_t top_depth)
{
	const struct mtc_node *c;

	printf("%*s%s%s (tgid=%u, pid=%u) usage: %" PRIu64 " (count=%" PRIu64
	       ", self=%" PRIu64 ", peak=%" PRIu64 ")\n",
	       (int)(n->depth - top_depth) * 2, "",
	       n->name[0] ? n->name : "(unnamed)",
	       n->kind == MTC_KIND_ALLOC ? " [leaf]" : "", n->creator_tgid,
	       n->creator_pid, n->bytes, n->count, n->self_bytes, n->peak_bytes);
	for (c = n->first_child; c; c = c->next_sibling)
		print_text(c, top_depth);
}

struct check_stats {
	size_t nodes, roots, orphans, link_bad, depth_bad, kind_bad, sum_bad,
	       peak_bad, count_bad;
};

static void check_subtree(const struct mtc_tree *tree, const struct mtc_node *n,
			  bool top, struct check_stats *st)
{
	const struct mtc_node *c, *p;
	uint64_t sum = n->self_bytes;
	size_t kids = 0;

	st->nodes++;
	if (!n->parent_id) {
		st->roots++;
		if (n->kind != MTC_KIND_ROOT || n->depth)
			st->kind_bad++;
	} else {
		p = mtc_tree_find_id(tree, n->parent_id);
		if (!p) {
			if (!top)
				st->orphans++;
		} else if (n->parent != p) {
			st->link_bad++;
		} else if (n->depth != p->depth + 1) {
			st->depth_bad++;
		}
		if (n->kind == MTC_KIND_ROOT)
			st->kind_bad++;
	}
	if (n->kind == MTC_KIND_ALLOC && (n->first_child || n->count != 1 ||
					  n->self_bytes != n->bytes))
		st->kind_bad++;
	for (c = n->first_child; c; c = c->next_sibling) {
		sum += c->bytes;
		kids++;
		if (c->parent != n)
			st->link_bad++;
		check_subtree(tree, c, false, st);
	}
	if (kids != n->n_children)
		st->link_bad++;
	if (sum != n->bytes) {
		st->sum_bad++;
		printf("# sum mismatch id=%" PRIu64 " bytes=%" PRIu64
		       " self+children=%" PRIu64 "\n", n->id, n->bytes, sum);
	}
	if (n->peak_bytes < n->bytes)
		st->peak_bad++;
}

static int cmd_dump(const struct opts *o)
{
	struct mtc_handle *h;
	struct mtc_tree *tree;
	const struct mtc_node *n;
	int err;

	if (open_handle(&h) < 0)
		return 2;
	err = mtc_dump(h, o->id, o->depth, &tree);
	if (err < 0) {
		print_error("dump", err, mtc_strerror(h));
		mtc_close(h);
		return 0;
	}
	if (o->text) {
		for (n = mtc_tree_roots(tree); n; n = n->next_sibling) {
			printf("Total memory usage: %" PRIu64 " bytes\n", n->bytes);
			print_text(n, n->depth);
		}
	} else if (o->check) {
		struct check_stats st = { 0 };

		for (n = mtc_tree_roots(tree); n; n = n->next_sibling)
			check_subtree(tree, n, o->id != 0, &st);
		printf("check nodes=%zu size=%zu roots=%zu orphans=%zu link_bad=%zu depth_bad=%zu kind_bad=%zu sum_bad=%zu peak_bad=%zu\n",
		       st.nodes, mtc_tree_size(tree), st.roots, st.orphans,
		       st.link_bad, st.depth_bad, st.kind_bad, st.sum_bad,
		       st.peak_bad);
	} else {
		if (!o->quiet)
			for (n = mtc_tree_roots(tree); n; n = n->next_sibling)
				print_subtree(n);
		printf("dump nodes=%zu\n", mtc_tree_size(tree));
	}
	mtc_tree_free(tree);
	mtc_close(h);
	return 0;
}

static int cmd_get(const struct opts *o)
{
	struct mtc_handle *h;
	struct mtc_node n;
	int err;

	if (open_handle(&h) < 0)
		return 2;
	err = mtc_get(h, o->id, &n);
	if (err < 0)
		print_error("get", err, mtc_strerror(h));
	else
		print_node("node", &n, NULL);
	mtc_close(h);
	return 0;
}

static int cmd_reset_peak(const struct opts *o)
{
	struct mtc_handle *h;
	int err;

	if (open_handle(&h) < 0)
		return 2;
	err = mtc_reset_peak(h, o->id);
	if (err < 0)
		print_error("reset-peak", err, mtc_strerror(h));
	else
		printf("reset-peak ok id=%" PRIu64 "\n", o->id);
	mtc_close(h);
	return 0;
}

static int cmd_open(const struct opts *o)
{
	struct mtc_handle *h;

	(void)o;
	if (open_handle(&h) < 0)
		return 0;
	printf("open ok\n");
	mtc_close(h);
	return 0;
}

static int cmd_bench_dump(const struct opts *o)
{
	struct mtc_handle *h;
	struct mtc_tree *tree;
	uint64_t t0, best = UINT64_MAX;
	size_t nodes = 0;
	int i, err;

	if (open_handle(&h) < 0)
		return 2;
	for (i = 0; i < (o->iterations > 0 ? o->iterations : 3); i++) {
		t0 = now_ns();
		err = mtc_dump(h, o->id, -1, &tree);
		if (err < 0) {
			print_error("dump", err, mtc_strerror(h));
			mtc_close(h);
			return 2;
		}
		t0 = now_ns() - t0;
		if (t0 < best)
			best = t0;
		nodes = mtc_tree_size(tree);
		mtc_tree_free(tree);
	}
	printf("bench netlink_dump_nodes %zu nodes\n", nodes);
	printf("bench netlink_dump_ms %.1f ms\n", best / 1e6);
	printf("bench netlink_dump_rate %.0f nodes/s\n",
	       best ? nodes * 1e9 / best : 0.0);
	mtc_close(h);
	return 0;
}

/* ---- monitor ------------------------------------------------------------ */

struct last_event {
	uint64_t id;
	char type;		/* 'a'dd, 'd'el, 'c'hange */
	struct mtc_node node;
};

/* Node id -> last event, open addressing; never shrinks. */
struct event_map {
	struct last_event *slots;
	size_t cap, used;
};

struct mon_state {
	struct mtc_monitor *m;
	struct mtc_handle *h;	/* for --mirror's dumps */
	const struct opts *o;
	unsigned long events, adds, dels, changes, resyncs, gaps, lost,
		      redumps;
	bool have_seq, need_redump;
	uint32_t first_seq, prev_seq;
	struct event_map last;		/* --last */
	struct event_map mirror;	/* --mirror: live nodes are not 'd' */
};

static size_t map_slot(uint64_t id, size_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return id & (cap - 1);
}

static struct last_event *map_find(struct last_event *slots, size_t cap,
				   uint64_t id)
{
	size_t i = map_slot(id, cap);

	while (slots[i].id && slots[i].id != id)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static const struct last_event *map_get(const struct event_map *map,
					uint64_t id)
{
	const struct last_event *e;

	if (!map->cap)
		return NULL;
	e = map_find(map->slots, map->cap, id);
	return e->id ? e : NULL;
}

static void map_put(struct event_map *map, char type, const struct mtc_node *n)
{
	struct last_event *e;
	size_t i;

	if ((map->used + 1) * 2 > map->cap) {
		size_t cap = map->cap ? map->cap * 2 : 4096;
		struct last_event *slots = calloc(cap, sizeof(*slots));

		if (!slots) {
			fprintf(stderr, "mtnl-test: out of memory\n");
			exit(2);
		}
		for (i = 0; i < map->cap; i++)
			if (map->slots[i].id)
				*map_find(slots, cap, map->slots[i].id) =
					map->slots[i];
		free(map->slots);
		map->slots = slots;
		map->cap = cap;
	}
	e = map_find(map->slots, map->cap, n->id);
	if (!e->id)
		map->used++;
	e->id = n->id;
	e->type = type;
	e->node = *n;
}

static void map_clear(struct event_map *map)
{
	if (map->slots)
		memset(map->slots, 0, map->cap * sizeof(*map->slots));
	map->used = 0;
}

static bool same_values(const struct mtc_node *a, const struct mtc_node *b)
{
	return a->id == b->id && a->parent_id == b->parent_id &&
	       a->kind == b->kind && a->depth == b->depth &&
	       a->bytes == b->bytes && a->self_bytes == b->self_bytes &&
	       a->count == b->count && a->peak_bytes == b->peak_bytes &&
	       !strcmp(a->name, b->name);
}

static void mirror_add_subtree(struct event_map *map, const struct mtc_node *n)
{
	const struct mtc_node *c;

	map_put(map, 'a', n);
	for (c = n->first_child; c; c = c->next_sibling)
		mirror_add_subtree(map, c);
}

/* Rebuild the mirror from a dump, as a consumer does after lost events. */
static int mirror_redump(struct mon_state *s)
{
	const struct mtc_node *n;
	struct mtc_tree *tree;
	int err;

	err = mtc_dump(s->h, 0, -1, &tree);
	if (err < 0) {
		print_error("mirror-dump", err, mtc_strerror(s->h));
		return err;
	}
	map_clear(&s->mirror);
	for (n = mtc_tree_roots(tree); n; n = n->next_sibling)
		mirror_add_subtree(&s->mirror, n);
	mtc_tree_free(tree);
	s->redumps++;
	s->need_redump = false;
	return 0;
}

static void mirror_compare_subtree(const struct event_map *map,
				   const struct mtc_node *n,
				   unsigned long *bad)
{
	const struct last_event *e = map_get(map, n->id);
	const struct mtc_node *c;

	if (!e || e->type == 'd' || !same_values(&e->node, n)) {
		if (*bad < 10) {
			print_node("# mirror-bad dump", n, NULL);
			if (e)
				print_node(e->type == 'd' ? "# mirror-bad mirror(deleted)" :
					   "# mirror-bad mirror", &e->node, NULL);
		}
		(*bad)++;
	}
	for (c = n->first_child; c; c = c->next_sibling)
		mirror_compare_subtree(map, c, bad);
}

/* Compare the mirror with a fresh dump; print the verdict. */
static void mirror_verify(struct mon_state *s)
{
	unsigned long bad = 0, live = 0;
	const struct mtc_node *n;
	struct mtc_tree *tree;
	size_t i;
	int err;

	err = mtc_dump(s->h, 0, -1, &tree);
	if (err < 0) {
		print_error("mirror-verify-dump", err, mtc_strerror(s->h));
		return;
	}
	for (n = mtc_tree_roots(tree); n; n = n->next_sibling)
		mirror_compare_subtree(&s->mirror, n, &bad);
	for (i = 0; i < s->mirror.cap; i++)
		if (s->mirror.slots[i].id && s->mirror.slots[i].type != 'd')
			live++;
	printf("mirror nodes=%lu dump_nodes=%zu mismatches=%lu redumps=%lu\n",
	       live, mtc_tree_size(tree), bad, s->redumps);
	mtc_tree_free(tree);
}

static void mon_event(struct mon_state *s, char type, const struct mtc_node *n)
{
	uint32_t seq = mtc_monitor_last_seq(s->m);
	static const char *const names[] = { ['a'] = "add", ['d'] = "del",
					     ['c'] = "change" };

	s->events++;
	if (!s->have_seq) {
		s->first_seq = seq;
	} else if (seq != s->prev_seq + 1) {
		s->gaps++;
		s->lost += seq - s->prev_seq - 1;
	}
	s->have_seq = true;
	s->prev_seq = seq;
	if (s->o->last)
		map_put(&s->last, type, n);
	if (s->h)
		map_put(&s->mirror, type, n);
	if (!s->o->quiet) {
		char tag[32];

		snprintf(tag, sizeof(tag), "ev seq=%u type=%s", seq,
			 names[(int)type]);
		print_node(tag, n, NULL);
	}
}

static void on_added(const struct mtc_node *n, void *priv)
{
	struct mon_state *s = priv;

	s->adds++;
	mon_event(s, 'a', n);
}

static void on_removed(const struct mtc_node *n, void *priv)
{
	struct mon_state *s = priv;

	s->dels++;
	mon_event(s, 'd', n);
}

static void on_changed(const struct mtc_node *n, void *priv)
{
	struct mon_state *s = priv;

	s->changes++;
	mon_event(s, 'c', n);
}

static void on_resync(void *priv)
{
	struct mon_state *s = priv;

	s->resyncs++;
	s->need_redump = true;
	if (!s->o->quiet)
		printf("resync after_seq=%u\n", s->prev_seq);
}

static int cmd_monitor(const struct opts *o)
{
	static const struct mtc_event_ops ops = {
		.node_added = on_added,
		.node_removed = on_removed,
		.node_changed = on_changed,
		.resync = on_resync,
	};
	struct mon_state s = { .o = o };
	uint64_t t0, deadline = 0, t_first = 0, t_last = 0, t_stop = 0;
	int err, ret, dispatch_err = 0, dispatch_errs = 0;
	struct sigaction sa = { .sa_handler = on_stop_signal };
	size_t i;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	err = mtc_monitor_open(&s.m, &ops, &s);
	if (err < 0) {
		print_error("monitor-open", err, strerror(-err));
		fflush(stdout);
		return 0;
	}
	if (o->rcvbuf) {
		err = mtc_monitor_set_rcvbuf(s.m, o->rcvbuf);
		if (err < 0) {
			print_error("set-rcvbuf", err, strerror(-err));
			mtc_monitor_close(s.m);
			return 2;
		}
	}
	/* Subscribed first, then dumped: nothing falls in between. */
	if (o->mirror && (open_handle(&s.h) < 0 || mirror_redump(&s) < 0))
		return 2;
	if (o->ready && touch(o->ready) < 0) {
		perror(o->ready);
		return 2;
	}
	t0 = now_ns();
	if (o->seconds)
		deadline = t0 + (uint64_t)o->seconds * 1000000000ULL;
	if (o->pause_ms)
		sleep_ms(o->pause_ms);

	for (;;) {
		struct pollfd pfd = { mtc_monitor_fd(s.m), POLLIN, 0 };
		bool last_round = stop_requested ||
				  (deadline && now_ns() >= deadline);

		/*
		 * Asked to stop: with --drain-ms, first wait until the kernel
		 * has been quiet that long since the last event and since the
		 * request (the changes just before it may still be queued).
		 */
		if (last_round && !t_stop)
			t_stop = now_ns();
		if (last_round && o->drain_ms &&
		    now_ns() - max_u64(max_u64(t_last, t0), t_stop) <
			    (uint64_t)o->drain_ms * 1000000ULL)
			last_round = false;
		/* The last round takes what is still queued. */
		ret = last_round ? 1 : poll(&pfd, 1, 50);
		if (ret < 0 && errno != EINTR) {
			perror("poll");
			return 2;
		}
		if (ret > 0) {
			ret = mtc_monitor_dispatch(s.m);
			if (ret < 0) {
				/* Once per kind; the family may be gone. */
				if (ret != dispatch_err)
					print_error("dispatch", ret,
						    mtc_monitor_strerror(s.m));
				dispatch_err = ret;
				dispatch_errs++;
				if (!last_round)
					sleep_ms(10);
			} else if (ret > 0) {
				t_last = now_ns();
				if (!t_first)
					t_first = t_last;
			}
		}
		if (s.need_redump && s.h)
			mirror_redump(&s);
		/* Dispatching is bounded per call: drain until nothing is left. */
		if (last_round && ret <= 0)
			break;
	}

	if (o->last) {
		for (i = 0; i < s.last.cap; i++) {
			struct last_event *e = &s.last.slots[i];
			char tag[32];

			if (!e->id)
				continue;
			snprintf(tag, sizeof(tag), "last type=%s",
				 e->type == 'a' ? "add" :
				 e->type == 'd' ? "del" : "change");
			print_node(tag, &e->node, NULL);
		}
	}
	if (s.h)
		mirror_verify(&s);
	printf("monitor events=%lu add=%lu del=%lu change=%lu resyncs=%lu gaps=%lu lost=%lu first_seq=%u last_seq=%u dispatch_errors=%d last_error=%s active_ms=%.0f\n",
	       s.events, s.adds, s.dels, s.changes, s.resyncs, s.gaps, s.lost,
	       s.first_seq, s.prev_seq, dispatch_errs, errname(dispatch_err),
	       t_first ? (t_last - t_first) / 1e6 : 0.0);
	fflush(stdout);
	mtc_monitor_close(s.m);
	mtc_close(s.h);
	free(s.last.slots);
	free(s.mirror.slots);
	return 0;
}

/* ---- raw netlink ---------------------------------------------------------- */

struct raw {
	int fd;
	int family;
	uint32_t seq;
	char *buf;
};

struct raw_reply {
	int error;		/* from NLMSG_ERROR; 0 for an ack */
	bool got_error, done, intr;
	char msg[256];
	int offs;		/* NLMSGERR_ATTR_OFFS, -1 if absent */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, -1 if absent */
	bool has_policy;
	unsigned long msgs;	/* data messages */
};

static int resolve_family(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int family;

	if (!sk)
		return -ENOMEM;
	family = genl_connect(sk);
	if (!family)
		family = genl_ctrl_resolve(sk, MEMTRACK_FAMILY_NAME);
	nl_socket_free(sk);
	return family < 0 ? -ENOENT : family;
}

static int raw_open(struct raw *r, int family, int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	r->family = family;
	r->seq = 1000;
	r->buf = malloc(RAW_BUF_SIZE);
	r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (r->fd < 0 || !r->buf)
		return -errno;
	setsockopt(r->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(r->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (rcvbuf)
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void raw_close(struct raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
}

/* Message under construction. */
struct msgbuf {
	union {
		struct nlmsghdr nlh;
		char data[8192];
	};
	size_t len;
};

static struct genlmsghdr *msg_init(struct msgbuf *mb, int type, int flags,
				   uint32_t seq, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(mb, 0, sizeof(*mb));
	mb->nlh.nlmsg_type = type;
	mb->nlh.nlmsg_flags = flags;
	mb->nlh.nlmsg_seq = seq;
	g = (void *)(mb->data + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = MEMTRACK_FAMILY_VERSION;
	mb->len = NLMSG_HDRLEN + GENL_HDRLEN;
	mb->nlh.nlmsg_len = mb->len;
	return g;
}

/* Append an attribute; @nla_len overrides the header's length if >= 0. */
static void msg_attr(struct msgbuf *mb, uint16_t type, const void *data,
		     size_t len, int nla_len)
{
	struct nlattr *a = (void *)(mb->data + mb->len);

	if (mb->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(mb->data))
		return;
	a->nla_type = type;
	a->nla_len = nla_len >= 0 ? nla_len : (int)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	mb->len += NLA_HDRLEN + NLA_ALIGN(len);
	mb->nlh.nlmsg_len = mb->len;
}

static void msg_u64(struct msgbuf *mb, uint16_t type, uint64_t v)
{
	msg_attr(mb, type, &v, sizeof(v), -1);
}

static void msg_u32(struct msgbuf *mb, uint16_t type, uint32_t v)
{
	msg_attr(mb, type, &v, sizeof(v), -1);
}

static int raw_send(struct raw *r, const void *data, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(r->fd, data, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void parse_error(const struct nlmsghdr *nlh, struct raw_reply *rep)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = sizeof(*e), len, step;
	const struct nlattr *a;

	rep->got_error = true;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e)) {
		rep->error = -EBADMSG;
		return;
	}
	rep->error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	len = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	a = (const void *)((const char *)e + off);
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		const char *d = (const char *)a + NLA_HDRLEN;
		size_t dl = a->nla_len - NLA_HDRLEN;

		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(rep->msg, sizeof(rep->msg), "%.*s", (int)dl, d);
			break;
		case NLMSGERR_ATTR_OFFS:
			if (dl >= 4)
				rep->offs = *(const uint32_t *)d;
			break;
		case NLMSGERR_ATTR_POLICY:
			rep->has_policy = true;
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (dl >= 4)
				rep->miss_type = *(const uint32_t *)d;
			break;
		}
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = (const void *)((const char *)a + step);
	}
}

/*
 * Read the answers to request @seq until its ack, error or NLMSG_DONE.
 * With @nonblock, stop when nothing more is queued (for requests that may
 * not be answered at all).  @pause_after: stop after that many recv calls
 * (0: never), returning 1.
 */
static int raw_recv(struct raw *r, uint32_t seq, struct raw_reply *rep,
		    bool nonblock, int delay_us)
{
	for (;;) {
		ssize_t n = recv(r->fd, r->buf, RAW_BUF_SIZE,
				 nonblock ? MSG_DONTWAIT : 0);
		struct nlmsghdr *nlh;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (nonblock && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			return -errno;
		}
		left = n;
		for (nlh = (void *)r->buf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				rep->intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_error(nlh, rep);
				if (!nonblock)
					return 0;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				rep->done = true;
				if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
					rep->error = *(int *)NLMSG_DATA(nlh);
				if (!nonblock)
					return 0;
			} else {
				rep->msgs++;
				if (!(nlh->nlmsg_flags & NLM_F_MULTI) && !nonblock)
					return 0;
			}
		}
		if (delay_us)
			usleep(delay_us);
	}
}

static void reply_init(struct raw_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->offs = -1;
	rep->miss_type = -1;
}

static int raw_request(struct raw *r, struct msgbuf *mb, struct raw_reply *rep)
{
	int err;

	reply_init(rep);
	err = raw_send(r, mb->data, mb->len);
	if (err < 0)
		return err;
	return raw_recv(r, mb->nlh.nlmsg_seq, rep, false, 0);
}

static void print_reply(const char *tag, const char *name,
			const struct raw_reply *rep)
{
	printf("%s name=%s err=%d errname=%s msgs=%lu offs=%d miss_type=%d policy=%d msg=\"",
	       tag, name, rep->error, errname(rep->error), rep->msgs, rep->offs,
	       rep->miss_type, rep->has_policy);
	print_quoted(rep->msg);
	printf("\"\n");
}

static int raw_setup(struct raw *r, int rcvbuf)
{
	int family = resolve_family(), err;

	if (family < 0) {
		print_error("resolve", family, "memtrack family not found");
		return family;
	}
	err = raw_open(r, family, rcvbuf);
	if (err < 0)
		print_error("socket", err, strerror(-err));
	return err;
}

/* Dump N times while the forest changes shape; count NLM_F_DUMP_INTR. */
static int cmd_rawdump(const struct opts *o)
{
	unsigned long tries = o->count > 0 ? o->count : 10, i, intr = 0,
		      done = 0, errors = 0, msgs = 0, short_dumps = 0;
	struct raw_reply rep;
	struct msgbuf mb;
	struct raw r;

	if (raw_setup(&r, o->rcvbuf) < 0)
		return 2;
	for (i = 0; i < tries; i++) {
		msg_init(&mb, r.family, NLM_F_REQUEST | NLM_F_DUMP, ++r.seq,
			 MEMTRACK_CMD_NODE_GET);
		if (o->id)
			msg_u64(&mb, MEMTRACK_A_NODE_ID, o->id);
		reply_init(&rep);
		if (raw_send(&r, mb.data, mb.len) < 0 ||
		    raw_recv(&r, r.seq, &rep, false, o->delay_us) < 0) {
			errors++;
			continue;
		}
		intr += rep.intr;
		done += rep.done && !rep.error;
		/* Complete, not flagged, yet missing nodes that never went. */
		short_dumps += rep.done && !rep.error && !rep.intr &&
			       rep.msgs < o->min_msgs;
		errors += !!rep.error;
		msgs += rep.msgs;
	}
	printf("rawdump tries=%lu intr=%lu done=%lu errors=%lu msgs=%lu short=%lu\n",
	       tries, intr, done, errors, msgs, short_dumps);
	raw_close(&r);
	return 0;
}

/*
 * Start a dump, read one chunk, signal @ready and wait for @go to exist,
 * then read the rest.
 */
static int cmd_dump_hold(const struct opts *o)
{
	struct raw_reply rep;
	struct msgbuf mb;
	unsigned long first;
	struct raw r;
	ssize_t n;
	int waited = 0, err;
	struct nlmsghdr *nlh;
	size_t left;

	if (!o->ready || !o->go)
		return 1;
	/* The smallest buffer: the kernel stops filling it at one chunk. */
	if (raw_setup(&r, o->rcvbuf ? o->rcvbuf : 4096) < 0)
		return 2;
	msg_init(&mb, r.family, NLM_F_REQUEST | NLM_F_DUMP, ++r.seq,
		 MEMTRACK_CMD_NODE_GET);
	if (o->id)
		msg_u64(&mb, MEMTRACK_A_NODE_ID, o->id);
	reply_init(&rep);
	err = raw_send(&r, mb.data, mb.len);
	if (err < 0) {
		print_error("send", err, strerror(-err));
		return 2;
	}
	n = recv(r.fd, r.buf, RAW_BUF_SIZE, 0);
	if (n < 0) {
		print_error("recv", -errno, strerror(errno));
		return 2;
	}
	left = n;
	for (nlh = (void *)r.buf; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left))
		if (nlh->nlmsg_type == NLMSG_DONE)
			rep.done = true;
		else if (nlh->nlmsg_type == NLMSG_ERROR)
			parse_error(nlh, &rep);
		else
			rep.msgs++;
	first = rep.msgs;
	printf("dump-hold paused first_msgs=%lu done=%d\n", first, rep.done);
	fflush(stdout);
	touch(o->ready);
	while (access(o->go, F_OK) < 0 && waited < 300000) {
		sleep_ms(50);
		waited += 50;
	}
	if (!rep.done && !rep.got_error)
		err = raw_recv(&r, r.seq, &rep, false, 0);
	printf("dump-hold finished first_msgs=%lu msgs=%lu done=%d intr=%d err=%d errname=%s recv_err=%d\n",
	       first, rep.msgs, rep.done, rep.intr, rep.error,
	       errname(rep.error), err);
	raw_close(&r);
	return 0;
}

/* ---- malformed requests ------------------------------------------------- */

/* One bad request: a name and a way to build it. */
static void bad_case(struct raw *r, const char *name, struct msgbuf *mb)
{
	struct raw_reply rep;
	int err = raw_request(r, mb, &rep);

	if (err < 0) {
		printf("bad name=%s send_err=%d errname=%s\n", name, err,
		       errname(err));
		return;
	}
	print_reply("bad", name, &rep);
}

static int cmd_bad(const struct opts *o)
{
	const int req = NLM_F_REQUEST | NLM_F_ACK;
	const int dump = NLM_F_REQUEST | NLM_F_DUMP;
	char big[300];
	struct genlmsghdr *g;
	struct msgbuf mb;
	struct raw r;
	uint64_t id = o->id, v64;
	uint32_t v32;
	uint16_t v16;

	if (!id)
		return 1;
	if (raw_setup(&r, 0) < 0)
		return 2;
	memset(big, 'x', sizeof(big));

	/* A valid request first, so the table is known to mean something. */
	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	bad_case(&r, "valid_get", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	bad_case(&r, "get_missing_id", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_PEAK_RESET);
	bad_case(&r, "reset_missing_id", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u32(&mb, MEMTRACK_A_NODE_ID, (uint32_t)id);
	bad_case(&r, "get_id_u32", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	v16 = id;
	msg_attr(&mb, MEMTRACK_A_NODE_ID, &v16, sizeof(v16), -1);
	bad_case(&r, "get_id_u16", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_attr(&mb, MEMTRACK_A_NODE_ID, big, 12, -1);
	bad_case(&r, "get_id_12_bytes", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_attr(&mb, MEMTRACK_A_NODE_ID, NULL, 0, -1);
	bad_case(&r, "get_id_empty", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, 0);
	bad_case(&r, "get_id_0", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_PEAK_RESET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, 0);
	bad_case(&r, "reset_id_0", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, UINT64_MAX);
	bad_case(&r, "get_unknown_id", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_PEAK_RESET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, UINT64_MAX - 1);
	bad_case(&r, "reset_unknown_id", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, UINT64_MAX);
	bad_case(&r, "dump_unknown_id", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, 0);
	bad_case(&r, "dump_id_0", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u32(&mb, MEMTRACK_A_NODE_ID, (uint32_t)id);
	bad_case(&r, "dump_id_u32", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_MAX_DEPTH, 1);
	bad_case(&r, "dump_max_depth_u64", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	msg_u32(&mb, MEMTRACK_A_NODE_MAX_DEPTH, 1);
	bad_case(&r, "get_do_max_depth", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_PEAK_RESET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	msg_u32(&mb, MEMTRACK_A_NODE_MAX_DEPTH, 1);
	bad_case(&r, "reset_max_depth", &mb);

	/* Attributes the requests do not take. */
	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	msg_attr(&mb, 200, big, 8, -1);
	bad_case(&r, "get_unknown_attr_200", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_attr(&mb, MEMTRACK_A_NODE_MAX + 1, big, 4, -1);
	bad_case(&r, "dump_unknown_attr_max_plus_1", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_PARENT_ID, id);
	bad_case(&r, "dump_reply_only_attr_parent_id", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	msg_attr(&mb, MEMTRACK_A_NODE_NAME, "abc", 4, -1);
	bad_case(&r, "get_name_attr", &mb);

	/* Strings: none is accepted; an oversize unterminated one either. */
	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	msg_attr(&mb, MEMTRACK_A_NODE_NAME, big, sizeof(big), -1);
	bad_case(&r, "get_oversize_unterminated_name", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_attr(&mb, MEMTRACK_A_NODE_CREATOR_COMM, big, 100, -1);
	bad_case(&r, "dump_oversize_unterminated_comm", &mb);

	/* Attribute framing. */
	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	v64 = id;
	msg_attr(&mb, MEMTRACK_A_NODE_ID, &v64, 8, NLA_HDRLEN + 64);
	bad_case(&r, "get_attr_len_past_end", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_attr(&mb, MEMTRACK_A_NODE_ID, &v64, 8, 2);
	bad_case(&r, "get_attr_len_below_header", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_attr(&mb, MEMTRACK_A_NODE_ID | NLA_F_NESTED, &v64, 8, -1);
	bad_case(&r, "get_id_nested_flag", &mb);

	/* Headers. */
	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	mb.nlh.nlmsg_len = NLMSG_HDRLEN + 2;
	mb.len = mb.nlh.nlmsg_len;
	bad_case(&r, "truncated_genl_header", &mb);

	g = msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	g->reserved = 1;
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	bad_case(&r, "get_reserved_set", &mb);

	g = msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_NODE_GET);
	g->reserved = 0x8000;
	bad_case(&r, "dump_reserved_set", &mb);

	msg_init(&mb, r.family, req | NLM_F_REPLACE, ++r.seq,
		 MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	bad_case(&r, "get_bad_nlmsg_flags", &mb);

	msg_init(&mb, r.family, req, ++r.seq, 99);
	bad_case(&r, "unknown_cmd_99", &mb);

	msg_init(&mb, r.family, req, ++r.seq, 0);
	bad_case(&r, "cmd_0", &mb);

	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_CHANGE_NTF);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	bad_case(&r, "notification_cmd_as_request", &mb);

	msg_init(&mb, r.family, dump, ++r.seq, MEMTRACK_CMD_PEAK_RESET);
	bad_case(&r, "reset_as_dump", &mb);

	/* And the family still answers. */
	msg_init(&mb, r.family, req, ++r.seq, MEMTRACK_CMD_NODE_GET);
	msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
	bad_case(&r, "valid_get_after", &mb);

	(void)v32;
	raw_close(&r);
	return 0;
}

/* ---- fuzz --------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_n(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void fuzz_build(struct msgbuf *mb, int family, uint32_t seq,
		       uint64_t max_id)
{
	static const int flag_sets[] = {
		NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK,
		NLM_F_REQUEST | NLM_F_DUMP, NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK,
		NLM_F_REQUEST | NLM_F_ECHO, 0,
	};
	struct genlmsghdr *g;
	int flags, nattrs, i;
	uint8_t cmd;
	char data[128];

	/* Mostly real commands, sometimes anything. */
	cmd = rnd_n(4) ? 1 + rnd_n(MEMTRACK_CMD_MAX) : rnd_n(256);
	flags = rnd_n(8) ? flag_sets[rnd_n(6)] : (int)rnd_n(0x10000);
	g = msg_init(mb, family, flags, seq, cmd);
	if (!rnd_n(16))
		g->reserved = rnd();
	if (!rnd_n(16))
		g->version = rnd();

	nattrs = rnd_n(5);
	for (i = 0; i < nattrs; i++) {
		uint16_t type = rnd_n(4) ? 1 + rnd_n(MEMTRACK_A_NODE_MAX + 2) :
					   rnd_n(0x10000);
		size_t len;
		uint64_t v;
		int nla_len = -1;

		switch (rnd_n(6)) {
		case 0:	/* a plausible id */
			v = rnd_n(max_id + 4);
			msg_u64(mb, type, v);
			continue;
		case 1:
			msg_u32(mb, type, rnd_n(4) ? rnd_n(20) : rnd());
			continue;
		case 2:	/* a string, terminated or not */
			len = rnd_n(sizeof(data));
			memset(data, 'a' + rnd_n(26), len);
			if (len && rnd_n(2))
				data[len - 1] = 0;
			break;
		default:
			len = rnd_n(sizeof(data));
			for (size_t j = 0; j < len; j++)
				data[j] = rnd();
			if (!rnd_n(8))
				nla_len = rnd_n(200);
			break;
		}
		msg_attr(mb, type, data, len, nla_len);
	}
	/* Sometimes a lying message length. */
	if (!rnd_n(32)) {
		size_t l = rnd_n(mb->len + 1);

		mb->nlh.nlmsg_len = l < NLMSG_HDRLEN ? NLMSG_HDRLEN : l;
		mb->len = mb->nlh.nlmsg_len;
	}
}

static int cmd_fuzz(const struct opts *o)
{
	unsigned long count = o->count > 0 ? o->count : 100000, i;
	unsigned long hist[160] = { 0 }, replies = 0, send_errors = 0, acks = 0,
		      data = 0;
	uint64_t seed = o->have_seed ? o->seed : (uint64_t)time(NULL) ^ getpid();
	struct raw_reply rep;
	struct msgbuf mb;
	struct raw r;
	uint64_t t0 = now_ns();
	int err, e;

	if (raw_setup(&r, 1 << 20) < 0)
		return 2;
	printf("fuzz seed=%" PRIu64 " count=%lu\n", seed, count);
	fflush(stdout);
	rng_state = seed;
	for (i = 0; i < count; i++) {
		fuzz_build(&mb, r.family, ++r.seq, o->max_id ? o->max_id : 16);
		reply_init(&rep);
		err = raw_send(&r, mb.data, mb.len);
		if (err < 0) {
			send_errors++;
			continue;
		}
		/*
		 * The kernel handles the request in sendmsg(); a dump's
		 * further parts are produced as they are read.  So reading
		 * until the queue is empty collects every answer.
		 */
		err = raw_recv(&r, r.seq, &rep, true, 0);
		if (err < 0 && err != -ENOBUFS) {
			print_error("recv", err, strerror(-err));
			break;
		}
		if (rep.got_error) {
			replies++;
			e = rep.error < 0 ? -rep.error : rep.error;
			if (!e)
				acks++;
			else
				hist[e < 160 ? e : 159]++;
		}
		data += rep.msgs;
	}
	printf("fuzz done sent=%lu send_errors=%lu error_replies=%lu acks=%lu data_msgs=%lu seconds=%.1f\n",
	       i, send_errors, replies, acks, data, (now_ns() - t0) / 1e9);
	for (e = 1; e < 160; e++)
		if (hist[e])
			printf("fuzz errno=%s count=%lu\n", errname(-e), hist[e]);
	raw_close(&r);
	return i == count ? 0 : 2;
}

/* ---- permissions and namespaces ---------------------------------------- */

static void report(const char *tag, const char *op, int err, const char *msg)
{
	printf("%s op=%s err=%d errname=%s msg=\"", tag, op, err, errname(err));
	print_quoted(msg ? msg : "");
	printf("\"\n");
}

/* The operations every test of access runs, as whoever we are now. */
static void try_all_ops(const char *tag, uint64_t id, int init_family)
{
	struct mtc_monitor *m;
	struct mtc_handle *h;
	struct mtc_tree *tree;
	struct mtc_node node;
	struct raw_reply rep;
	struct msgbuf mb;
	struct raw r;
	int err;

	err = mtc_open(&h);
	report(tag, "open", err, h ? mtc_strerror(h) : "");
	if (err >= 0) {
		err = mtc_get(h, id, &node);
		report(tag, "get", err, err ? mtc_strerror(h) : "");
		err = mtc_dump(h, 0, -1, &tree);
		report(tag, "dump", err, err ? mtc_strerror(h) : "");
		if (!err)
			mtc_tree_free(tree);
		err = mtc_reset_peak(h, id);
		report(tag, "reset-peak", err, err ? mtc_strerror(h) : "");
	}
	mtc_close(h);
	err = mtc_monitor_open(&m, NULL, NULL);
	report(tag, "monitor", err, "");
	mtc_monitor_close(m);

	/* A raw request with the family id of the initial namespace. */
	if (init_family > 0 && raw_open(&r, init_family, 0) == 0) {
		msg_init(&mb, r.family, NLM_F_REQUEST | NLM_F_ACK, ++r.seq,
			 MEMTRACK_CMD_NODE_GET);
		msg_u64(&mb, MEMTRACK_A_NODE_ID, id);
		err = raw_request(&r, &mb, &rep);
		report(tag, "raw-get", err ? err : rep.error, rep.msg);
		raw_close(&r);
	}
}

static int cap_eff_zero(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int zero = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			zero = strtoull(line + 7, NULL, 16) == 0;
	fclose(f);
	return zero;
}

static int cmd_unpriv(const struct opts *o)
{
	int family = resolve_family();

	if (setgroups(0, NULL) < 0 || setgid(o->uid) < 0 || setuid(o->uid) < 0) {
		print_error("setuid", -errno, strerror(errno));
		return 2;
	}
	printf("unpriv uid=%u euid=%u capeff_zero=%d\n", getuid(), geteuid(),
	       cap_eff_zero());
	try_all_ops("unpriv", o->id, family);
	return 0;
}

static int cmd_netns(const struct opts *o)
{
	int family = resolve_family();

	if (unshare(CLONE_NEWNET) < 0) {
		print_error("unshare", -errno, strerror(errno));
		return 2;
	}
	printf("netns new=1 init_family=%d\n", family);
	try_all_ops("netns", o->id, family);
	return 0;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mtnl-test COMMAND [OPTIONS]\n"
		"  open                        is the family there?\n"
		"  dump [--id N] [--depth D] [--text|--check|--quiet]\n"
		"  get --id N | reset-peak --id N\n"
		"  monitor [--rcvbuf B] [--pause-ms M] [--ready F] [--seconds S] [--quiet]\n"
		"          [--last] [--mirror] [--drain-ms D]\n"
		"                              until SIGTERM/SIGINT (then until D ms\n"
		"                              without events) or S seconds;\n"
		"                              --last: last event per node; --mirror: keep\n"
		"                              a copy of the forest from events, re-dump on\n"
		"                              resync, compare with a dump at the end\n"
		"  rawdump [--count N] [--delay-us U] [--rcvbuf B] [--id N] [--min-msgs N]\n"
		"  dump-hold --ready F --go G [--id N] [--rcvbuf B]\n"
		"  bad --id N                  malformed requests\n"
		"  fuzz [--count N] [--seed S] [--max-id N]\n"
		"  unpriv --uid U --id N       every op as user U without capabilities\n"
		"  netns --id N                every op in a new network namespace\n"
		"  bench-dump [--iterations N] [--id N]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "depth", required_argument, NULL, 'd' },
		{ "text", no_argument, NULL, 't' },
		{ "check", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "last", no_argument, NULL, 'l' },
		{ "mirror", no_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, 'b' },
		{ "pause-ms", required_argument, NULL, 'p' },
		{ "drain-ms", required_argument, NULL, 'W' },
		{ "ready", required_argument, NULL, 'r' },
		{ "go", required_argument, NULL, 'g' },
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 'S' },
		{ "uid", required_argument, NULL, 'u' },
		{ "delay-us", required_argument, NULL, 'D' },
		{ "iterations", required_argument, NULL, 'I' },
		{ "max-id", required_argument, NULL, 'M' },
		{ "min-msgs", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	static const struct {
		const char *name;
		int (*fn)(const struct opts *o);
	} cmds[] = {
		{ "open", cmd_open },
		{ "dump", cmd_dump },
		{ "get", cmd_get },
		{ "reset-peak", cmd_reset_peak },
		{ "monitor", cmd_monitor },
		{ "rawdump", cmd_rawdump },
		{ "dump-hold", cmd_dump_hold },
		{ "bad", cmd_bad },
		{ "fuzz", cmd_fuzz },
		{ "unpriv", cmd_unpriv },
		{ "netns", cmd_netns },
		{ "bench-dump", cmd_bench_dump },
	};
	struct opts o = { .depth = -1, .uid = 65534 };
	const char *cmd;
	size_t i;
	int c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o.id = strtoull(optarg, NULL, 0); break;
		case 'd': o.depth = atoi(optarg); break;
		case 't': o.text = true; break;
		case 'c': o.check = true; break;
		case 'q': o.quiet = true; break;
		case 'l': o.last = true; break;
		case 'm': o.mirror = true; break;
		case 's': o.seconds = atoi(optarg); break;
		case 'b': o.rcvbuf = atoi(optarg); break;
		case 'p': o.pause_ms = atoi(optarg); break;
		case 'W': o.drain_ms = atoi(optarg); break;
		case 'r': o.ready = optarg; break;
		case 'g': o.go = optarg; break;
		case 'n': o.count = atol(optarg); break;
		case 'S': o.seed = strtoull(optarg, NULL, 0); o.have_seed = true; break;
		case 'u': o.uid = strtoul(optarg, NULL, 0); break;
		case 'D': o.delay_us = atoi(optarg); break;
		case 'I': o.iterations = atoi(optarg); break;
		case 'M': o.max_id = strtoull(optarg, NULL, 0); break;
		case 'x': o.min_msgs = strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(cmd, cmds[i].name)) {
			int ret = cmds[i].fn(&o);

			fflush(stdout);
			return ret;
		}
	}
	usage(stderr);
	return 1;
}
