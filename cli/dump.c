// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl dump: the forest, or a subtree, as a tree or as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "print.h"

#define DUMP_MAX_LEVELS 64

enum sort_key {
	SORT_NONE,	/* creation order, as the kernel lists them */
	SORT_SIZE,	/* largest total first */
	SORT_NAME,	/* by name */
	SORT_PEAK,	/* largest peak first */
};

/**
 * struct dump_ctx - state of one dump's output
 * @p: printer
 * @sort: order of siblings
 * @w_name: width of the tree column
 * @w_total: width of the TOTAL column (and so on for SELF, COUNT, PEAK)
 * @path: path of the node being printed
 * @last: per level below the top, whether that ancestor is the last of
 *	its siblings (draws "   " instead of "│  ")
 */
struct dump_ctx {
	struct printer p;
	enum sort_key sort;
	size_t w_name, w_total, w_self, w_count, w_peak;
	char path[CLI_PATH_MAX];
	bool last[DUMP_MAX_LEVELS];
};

static void dump_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME " dump [PATH|ID] [--depth N] [--sort size|name|peak]\n"
	      "                        [-j|--json] [-p|--pretty] [-b|--bytes]\n"
	      "\n"
	      "Show every tree of nodes, or the subtree of PATH or ID, read from the\n"
	      "kernel (no daemon needed).  PATH is node names from a root joined by '/'\n"
	      "('vpu0/stream1/dpb'); '#ID' stands for a node by id ('vpu0/#12');\n"
	      "a bare number is a node id ('123/' is a root named \"123\").\n"
	      "\n"
	      "Options:\n"
	      "  -d, --depth N   show N levels below the top (0: the top only)\n"
	      "  -s, --sort KEY  order siblings by size (largest total first), name,\n"
	      "                  or peak (largest first); default: creation order\n"
	      "  -j, --json      print JSON (shape in memtrackctl(1))\n"
	      "  -p, --pretty    indent the JSON (implies --json)\n"
	      "  -b, --bytes     exact byte counts instead of KiB/MiB/GiB\n"
	      "  -h, --help      show this help\n"
	      "\n"
	      "Columns: NODE (the tree), TOTAL (node and subtree), SELF (on the node\n"
	      "itself), COUNT (its own allocations), PEAK (highest total since creation\n"
	      "or reset), %PARENT (share of the parent's total), CREATOR (comm:tgid,\n"
	      "and /pid when the creating thread was not the main one).\n"
	      "\n", f);
	cli_print_exit_codes(f);
}

static int cmp_id(const struct mtc_node *a, const struct mtc_node *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

static int cmp_size(const void *x, const void *y)
{
	const struct mtc_node *a = *(const struct mtc_node *const *)x;
	const struct mtc_node *b = *(const struct mtc_node *const *)y;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	return cmp_id(a, b);
}

static int cmp_peak(const void *x, const void *y)
{
	const struct mtc_node *a = *(const struct mtc_node *const *)x;
	const struct mtc_node *b = *(const struct mtc_node *const *)y;

	if (a->peak_bytes != b->peak_bytes)
		return a->peak_bytes > b->peak_bytes ? -1 : 1;
	return cmp_id(a, b);
}

static int cmp_name(const void *x, const void *y)
{
	const struct mtc_node *a = *(const struct mtc_node *const *)x;
	const struct mtc_node *b = *(const struct mtc_node *const *)y;
	int r;

	/* Unnamed nodes ("#ID") after named ones, by id. */
	if (!a->name[0] != !b->name[0])
		return a->name[0] ? -1 : 1;
	r = strcmp(a->name, b->name);
	return r ? r : cmp_id(a, b);
}

/* The nodes of a sibling list, in display order; NULL with *n = 0 if empty. */
static int sorted_siblings(const struct mtc_node *first, enum sort_key sort,
			   const struct mtc_node ***out, size_t *n)
{
	static int (*const cmp[])(const void *, const void *) = {
		[SORT_SIZE] = cmp_size,
		[SORT_NAME] = cmp_name,
		[SORT_PEAK] = cmp_peak,
	};
	const struct mtc_node **v, *c;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	for (c = first; c; c = c->next_sibling)
		i++;
	if (!i)
		return 0;
	v = malloc(i * sizeof(*v));
	if (!v)
		return -ENOMEM;
	*n = i;
	for (i = 0, c = first; c; c = c->next_sibling)
		v[i++] = c;
	if (sort != SORT_NONE)
		qsort(v, *n, sizeof(*v), cmp[sort]);
	*out = v;
	return 0;
}

static size_t max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

static void measure(struct dump_ctx *ctx, const struct mtc_node *n,
		    unsigned int level)
{
	char buf[FMT_BYTES_MAX];
	bool exact = ctx->p.exact_bytes;

	for (; n; n = n->next_sibling) {
		ctx->w_name = max_size(ctx->w_name, 3 * level +
				       utf8_width(cli_component(n, buf, sizeof(buf))));
		ctx->w_total = max_size(ctx->w_total,
					strlen(fmt_bytes(buf, sizeof(buf), n->bytes, exact)));
		ctx->w_self = max_size(ctx->w_self,
				       strlen(fmt_bytes(buf, sizeof(buf), n->self_bytes, exact)));
		ctx->w_peak = max_size(ctx->w_peak,
				       strlen(fmt_bytes(buf, sizeof(buf), n->peak_bytes, exact)));
		ctx->w_count = max_size(ctx->w_count,
					strlen(fmt_bytes(buf, sizeof(buf), n->count, true)));
		measure(ctx, n->first_child, level + 1);
	}
}

static void setup_columns(struct dump_ctx *ctx, const struct mtc_node *top)
{
	ctx->w_name = strlen("NODE");
	ctx->w_total = strlen("TOTAL");
	ctx->w_self = strlen("SELF");
	ctx->w_count = strlen("COUNT");
	ctx->w_peak = strlen("PEAK");
	measure(ctx, top, 0);
}

static void print_header(struct dump_ctx *ctx)
{
	pr_text(&ctx->p, "%-*s", (int)ctx->w_name, "NODE");
	pr_text(&ctx->p, "  %*s", (int)ctx->w_total, "TOTAL");
	pr_text(&ctx->p, "  %*s", (int)ctx->w_self, "SELF");
	pr_text(&ctx->p, "  %*s", (int)ctx->w_count, "COUNT");
	pr_text(&ctx->p, "  %*s", (int)ctx->w_peak, "PEAK");
	pr_text(&ctx->p, "  %7s  %s", "%PARENT", "CREATOR");
	pr_nl(&ctx->p);
}

static void print_tree_column(struct dump_ctx *ctx, const char *component,
			      unsigned int level)
{
	/* Each piece is 3 columns and at most 7 bytes of UTF-8. */
	char prefix[DUMP_MAX_LEVELS * 7 + 1] = "", *p = prefix;
	unsigned int i;
	size_t w;

	for (i = 1; i < level; i++)
		p = stpcpy(p, ctx->last[i] ? "   " : "\u2502  ");
	if (level)
		p = stpcpy(p, ctx->last[level] ? "\u2514\u2500 " : "\u251c\u2500 ");
	w = 3 * level + utf8_width(component);
	pr_text(&ctx->p, "%s%s%*s", prefix, component,
		(int)(ctx->w_name > w ? ctx->w_name - w : 0), "");
}

static void print_creator(struct dump_ctx *ctx, const struct mtc_node *n)
{
	cli_print_creator(&ctx->p, n, "  ");
}

static int print_nodes(struct dump_ctx *ctx, const struct mtc_node *first,
		       unsigned int level);

static int print_node(struct dump_ctx *ctx, const struct mtc_node *n,
		      unsigned int level)
{
	struct printer *p = &ctx->p;
	size_t len = strlen(ctx->path);
	char comp[MTC_NAME_MAX + 24], pct[FMT_BYTES_MAX];
	const char *c = cli_component(n, comp, sizeof(comp));
	int err;

	/* The top's path is set by the caller; below, append a component. */
	if (level) {
		if (len + 1 + strlen(c) >= sizeof(ctx->path))
			return -ENAMETOOLONG;
		snprintf(ctx->path + len, sizeof(ctx->path) - len, "/%s", c);
	} else if (!len) {
		snprintf(ctx->path, sizeof(ctx->path), "%s", c);
	}

	pr_open_object(p, NULL);
	pr_u64(p, PR_JSON, "id", NULL, n->id);
	pr_u64(p, PR_JSON, "parent_id", NULL, n->parent_id);
	pr_str(p, PR_JSON, "path", NULL, ctx->path);
	pr_str(p, PR_JSON, "name", NULL, n->name);
	pr_str(p, PR_JSON, "kind", NULL, cli_kind_name(n->kind));
	pr_u64(p, PR_JSON, "depth", NULL, n->depth);
	if (!p->json)
		print_tree_column(ctx, c, level);
	pr_col_bytes(p, "bytes", ctx->w_total, n->bytes);
	pr_col_bytes(p, "self_bytes", ctx->w_self, n->self_bytes);
	pr_col_u64(p, "count", ctx->w_count, n->count);
	pr_col_bytes(p, "peak_bytes", ctx->w_peak, n->peak_bytes);
	pr_str(p, PR_TEXT, NULL, "  %7s",
	       n->parent ? fmt_percent(pct, sizeof(pct), n->bytes,
				       n->parent->bytes) : "-");
	print_creator(ctx, n);
	pr_u64(p, PR_JSON, "created_ns", NULL, n->created_ns);
	pr_nl(p);

	pr_open_array(p, "children");
	if (level + 1 < DUMP_MAX_LEVELS)
		err = print_nodes(ctx, n->first_child, level + 1);
	else
		err = n->first_child ? -ELOOP : 0;
	pr_close_array(p);
	pr_close_object(p);

	ctx->path[level ? len : 0] = '\0';
	return err;
}

static int print_nodes(struct dump_ctx *ctx, const struct mtc_node *first,
		       unsigned int level)
{
	const struct mtc_node **v;
	size_t n, i;
	int err;

	err = sorted_siblings(first, ctx->sort, &v, &n);
	for (i = 0; !err && i < n; i++) {
		ctx->last[level] = i + 1 == n;
		err = print_node(ctx, v[i], level);
	}
	free(v);
	return err;
}

/**
 * dump_print() - print a dumped tree
 * @ctx: context, printer set up
 * @tree: the dump
 * @top_path: full path of the subtree's top, or "" for the whole forest
 *
 * Return: 0 or a negative errno.
 */
static int dump_print(struct dump_ctx *ctx, const struct mtc_tree *tree,
		      const char *top_path)
{
	const struct mtc_node *roots = mtc_tree_roots(tree);
	struct printer *p = &ctx->p;
	int err;

	snprintf(ctx->path, sizeof(ctx->path), "%s", top_path);
	if (!p->json) {
		setup_columns(ctx, roots);
		print_header(ctx);
	}
	pr_open_object(p, NULL);
	pr_open_array(p, "nodes");
	if (*top_path) {
		/* A subtree: its top is the only root of the tree. */
		ctx->last[0] = true;
		err = roots ? print_node(ctx, roots, 0) : 0;
	} else {
		err = print_nodes(ctx, roots, 0);
	}
	pr_close_array(p);
	pr_close_object(p);
	pr_nl(p);
	return err ?: pr_finish(p);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "depth", required_argument, NULL, 'd' },
		{ "sort", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct cli_output out = {};
	char top_path[CLI_PATH_MAX] = "";
	struct dump_ctx *ctx = NULL;
	struct mtc_handle *h = NULL;
	struct mtc_tree *tree = NULL;
	enum sort_key sort = SORT_NONE;
	const char *arg = NULL;
	uint64_t top = 0, v;
	int depth = -1, c, err, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "d:s:jpbh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_u64(optarg, &v) || v > 1000)
				return cli_usage_err("dump", "invalid depth '%s'", optarg);
			depth = v;
			break;
		case 's':
			if (!strcmp(optarg, "size"))
				sort = SORT_SIZE;
			else if (!strcmp(optarg, "name"))
				sort = SORT_NAME;
			else if (!strcmp(optarg, "peak"))
				sort = SORT_PEAK;
			else
				return cli_usage_err("dump",
						     "invalid sort key '%s' (size, name or peak)",
						     optarg);
			break;
		default:
			ret = cli_output_opt(c, &out, "dump", dump_usage);
			if (ret != CLI_OPT_NEXT)
				return ret;
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc)
		return cli_usage_err("dump", "unexpected argument '%s'", argv[optind]);

	ret = cli_open(&h);
	if (ret)
		return ret;
	if (arg) {
		err = cli_resolve(h, arg, &top, top_path, sizeof(top_path));
		if (err < 0)
			goto fail;
	}
	err = mtc_dump(h, top, depth, &tree);
	if (err < 0)
		goto fail;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		err = -ENOMEM;
		goto fail;
	}
	ctx->sort = sort;
	pr_init(&ctx->p, stdout, out.json, out.pretty, out.exact);
	err = dump_print(ctx, tree, top_path);
	if (err < 0) {
		cli_err("cannot print the dump: %s", strerror(-err));
		ret = EXIT_FAILURE_OTHER;
	}
	goto out;

fail:
	ret = cli_fail(h, err, arg ?: NULL);
out:
	free(ctx);
	mtc_tree_free(tree);
	mtc_close(h);
	return ret;
}
