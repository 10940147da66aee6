// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl reset-peak, and the hidden __complete-paths used by the bash
 * completion.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "print.h"

static void reset_peak_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME " reset-peak PATH|ID\n"
	      "\n"
	      "Restart the peak of a node at its current total.  PATH and ID are as\n"
	      "in '" PROG_NAME " dump'.  Prints nothing on success.\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help  show this help\n"
	      "\n", f);
	cli_print_exit_codes(f);
}

int cmd_reset_peak(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct mtc_handle *h;
	uint64_t id;
	int c, err, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			reset_peak_usage(stdout);
			return EXIT_OK;
		default:
			return cli_usage_err("reset-peak", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_err("reset-peak", "missing PATH or ID");
	if (optind + 1 < argc)
		return cli_usage_err("reset-peak", "unexpected argument '%s'",
				     argv[optind + 1]);

	ret = cli_open(&h);
	if (ret)
		return ret;
	err = cli_resolve(h, argv[optind], &id, NULL, 0);
	if (!err)
		err = mtc_reset_peak(h, id);
	ret = err < 0 ? cli_fail(h, err, argv[optind]) : EXIT_OK;
	mtc_close(h);
	return ret;
}

/*
 * __complete-paths [PREFIX]: the paths of the nodes on the levels PREFIX
 * can complete to, one per line, with a trailing '/' added for a node that
 * has children.  Silent on errors (the exit code tells).
 */
int cmd_complete_paths(int argc, char **argv)
{
	const char *prefix = argc > 1 ? argv[1] : "";
	const struct mtc_node *n, *next;
	char path[CLI_PATH_MAX];
	struct mtc_handle *h;
	struct mtc_tree *tree;
	int slashes = 0, err;
	const char *s;

	for (s = prefix; *s; s++)
		slashes += *s == '/';
	if (mtc_open(&h) < 0) {
		mtc_close(h);
		return EXIT_FAILURE_OTHER;
	}
	/* One level more than printed, to know who has children. */
	err = mtc_dump(h, 0, slashes + 1, &tree);
	mtc_close(h);
	if (err < 0)
		return EXIT_FAILURE_OTHER;
	for (n = mtc_tree_roots(tree); n; n = next) {
		if (n->depth <= (unsigned int)slashes &&
		    mtc_node_path(n, path, sizeof(path)) >= 0 &&
		    !strncmp(path, prefix, strlen(prefix)))
			printf("%s%s\n", path, n->first_child ? "/" : "");
		next = n->first_child;
		while (!next && n) {
			next = n->next_sibling;
			n = n->parent;
		}
	}
	mtc_tree_free(tree);
	return fflush(stdout) ? EXIT_FAILURE_OTHER : EXIT_OK;
}
