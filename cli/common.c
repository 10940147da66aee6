// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl: messages, exit codes and node lookup shared by subcommands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "print.h"

#define MSG_NO_MODULE "memtrack kernel module not loaded (try: modprobe memtrack)"
#define MSG_PERM "permission denied: memtrackctl needs CAP_NET_ADMIN (run as root)"

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_err(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG_NAME " %s%s--help' for more information.\n",
		sub ? sub : "", sub ? " " : "");
	return EXIT_USAGE;
}

int cli_fail(const struct mtc_handle *h, int err, const char *node)
{
	if (err == -EPERM || err == -EACCES) {
		cli_err(MSG_PERM);
		return EXIT_PERM;
	}
	if (err == -ENOENT && node) {
		cli_err("no node '%s'", node);
		return EXIT_NO_NODE;
	}
	if (err == -ENOENT && !node) {
		/* Only the family itself is missing when no node was named. */
		cli_err(MSG_NO_MODULE);
		return EXIT_NO_MODULE;
	}
	if (h && *mtc_strerror(h))
		cli_err("%s", mtc_strerror(h));
	else
		cli_err("%s", strerror(-err));
	return EXIT_FAILURE_OTHER;
}

int cli_open(struct mtc_handle **h)
{
	int err = mtc_open(h);

	if (!err)
		return EXIT_OK;
	if (err == -ENOENT) {
		cli_err(MSG_NO_MODULE);
		err = EXIT_NO_MODULE;
	} else {
		err = cli_fail(*h, err, NULL);
	}
	mtc_close(*h);
	*h = NULL;
	return err;
}

int cli_output_opt(int c, struct cli_output *o, const char *sub,
		   void (*usage)(FILE *f))
{
	switch (c) {
	case 'j':
		o->json = true;
		return CLI_OPT_NEXT;
	case 'p':
		o->json = o->pretty = true;
		return CLI_OPT_NEXT;
	case 'b':
		o->exact = true;
		return CLI_OPT_NEXT;
	case 'h':
		usage(stdout);
		return EXIT_OK;
	default:
		return cli_usage_err(sub, "invalid option");
	}
}

const char *cli_kind_name(uint32_t kind)
{
	switch (kind) {
	case MTC_KIND_ROOT:
		return "root";
	case MTC_KIND_NODE:
		return "node";
	case MTC_KIND_ALLOC:
		return "alloc";
	default:
		return "unknown";
	}
}

const char *cli_component(const struct mtc_node *n, char *buf, size_t size)
{
	if (n->name[0])
		return n->name;
	if (size < 22) {	/* '#', 20 digits, NUL */
		if (size)
			buf[0] = '\0';
		return buf;
	}
	/* By hand rather than snprintf(): dumps call this per node. */
	buf[0] = '#';
	*put_u64(buf + 1, n->id) = '\0';
	return buf;
}

/*
 * One node by id.  A depth-0 dump rather than mtc_get(): the kernel's
 * node-get doit reads an attribute beyond its policy on split-ops kernels
 * (see the report to the lead), while dumps are sound everywhere.
 */
static int get_node(struct mtc_handle *h, uint64_t id, struct mtc_node *out)
{
	const struct mtc_node *n;
	struct mtc_tree *tree;
	int err;

	err = mtc_dump(h, id, 0, &tree);
	if (err < 0)
		return err;
	n = mtc_tree_find_id(tree, id);
	if (n)
		*out = *n;
	mtc_tree_free(tree);
	return n ? 0 : -ENOENT;
}

int cli_path_of_id(struct mtc_handle *h, uint64_t id, char *path, size_t size)
{
	char names[64][MTC_NAME_MAX + 24];
	struct mtc_node n;
	size_t depth = 0, len = 0;
	int err, w;

	do {
		if (depth == 64)
			return -ELOOP;
		err = get_node(h, id, &n);
		if (err < 0)
			return err;
		if (n.name[0])
			snprintf(names[depth], sizeof(names[depth]), "%s", n.name);
		else
			snprintf(names[depth], sizeof(names[depth]), "#%llu",
				 (unsigned long long)n.id);
		depth++;
		id = n.parent_id;
	} while (id);

	if (!size)
		return -ENAMETOOLONG;
	path[0] = '\0';
	while (depth--) {
		w = snprintf(path + len, size - len, "%s%s", len ? "/" : "",
			     names[depth]);
		if (w < 0 || (size_t)w >= size - len)
			return -ENAMETOOLONG;
		len += w;
	}
	return 0;
}

/* Number of non-empty '/'-separated components. */
static int path_levels(const char *path)
{
	int levels = 0;
	bool in = false;

	for (; *path; path++) {
		if (*path == '/') {
			in = false;
		} else if (!in) {
			in = true;
			levels++;
		}
	}
	return levels;
}

int cli_resolve(struct mtc_handle *h, const char *arg, uint64_t *id,
		char *path, size_t size)
{
	const struct mtc_node *n;
	struct mtc_tree *tree;
	int levels, err;

	if (!parse_u64(arg, id)) {
		if (!*id)
			return -ENOENT;
		if (path)
			return cli_path_of_id(h, *id, path, size);
		return 0;
	}

	levels = path_levels(arg);
	if (!levels)
		return -ENOENT;
	/* Only the levels the path goes through. */
	err = mtc_dump(h, 0, levels - 1, &tree);
	if (err < 0)
		return err;
	n = mtc_tree_find_path(tree, arg);
	if (!n) {
		err = -ENOENT;
	} else {
		*id = n->id;
		if (path && mtc_node_path(n, path, size) < 0)
			err = -ENAMETOOLONG;
	}
	mtc_tree_free(tree);
	return err;
}

void cli_print_exit_codes(FILE *f)
{
	fputs("Exit status:\n"
	      "  0  success\n"
	      "  1  usage error\n"
	      "  2  the memtrack kernel module is not loaded\n"
	      "  3  permission denied (CAP_NET_ADMIN is needed, or memtrackd refused;\n"
	      "     buffers --pid: the process cannot be read)\n"
	      "  4  no such node (buffers --pid: no such process)\n"
	      "  5  any other error\n"
	      "  6  subcommand not available in this version\n"
	      "  7  memtrackd is not running (status, history, alerts)\n", f);
}

void cli_print_creator(struct printer *p, const struct mtc_node *n,
		       const char *text_prefix)
{
	if (text_prefix) {
		pr_str(p, PR_TEXT, NULL, "%s", text_prefix);
		pr_str(p, PR_TEXT, NULL, "%s",
		       n->creator_comm[0] ? n->creator_comm : "?");
		pr_u64(p, PR_TEXT, NULL, ":%llu", n->creator_tgid);
		if (n->creator_pid != n->creator_tgid)
			pr_u64(p, PR_TEXT, NULL, "/%llu", n->creator_pid);
	}
	pr_open_object(p, "creator");
	pr_u64(p, PR_JSON, "tgid", NULL, n->creator_tgid);
	pr_u64(p, PR_JSON, "pid", NULL, n->creator_pid);
	pr_str(p, PR_JSON, "comm", NULL, n->creator_comm);
	pr_close_object(p);
}
