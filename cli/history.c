// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl history: how a node's total changed over time, from the
 * history memtrackd records, as a terminal chart or as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "cli.h"
#include "print.h"
#include "series.h"

#define DEFAULT_SINCE_USEC (10 * 60 * USEC_PER_SEC)
#define CHART_ROWS 8
#define MIN_CHART_WIDTH 10

/**
 * struct history - one query and its answer
 * @path: node path asked for
 * @span_usec: --since, or 0 with @all
 * @all: --since all
 * @since_usec: the since sent to memtrackd (0 for everything kept)
 * @resolution: --resolution, seconds (0: memtrackd picks)
 * @now_usec: when we asked
 * @s: the buckets, oldest first
 * @n: their number
 * @step_usec: bucket width: @resolution, or seen in @s; 0 when unknown
 */
struct history {
	const char *path;
	uint64_t span_usec;
	bool all;
	uint64_t since_usec;
	uint32_t resolution;
	uint64_t now_usec;
	struct hist_sample *s;
	size_t n;
	uint64_t step_usec;
};

static void history_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME " history PATH [-s|--since SPAN|all] [-r|--resolution SPAN]\n"
	      "                           [--value max|min|avg|last] [--chart|--sparkline]\n"
	      "                           [-j|--json] [-p|--pretty] [-b|--bytes]\n"
	      "\n"
	      "Show how the total of node PATH changed over time, from the history the\n"
	      "memtrack daemon (memtrackd) records, asked over the system bus.  Works\n"
	      "for a node that is gone too, as long as memtrackd keeps its history.\n"
	      "PATH is node names from a root joined by '/' ('vpu0/stream1'), '#ID'\n"
	      "for an unnamed node.\n"
	      "\n"
	      "Text output: a header line (path, span, resolution), a chart with one\n"
	      "column per slice of time, the local times where it starts and ends, and\n"
	      "the lowest, highest, average and last total of the span.  The chart is\n"
	      "8 rows high on a terminal, else a one-row sparkline; it is as wide as\n"
	      "the terminal ($COLUMNS, default 80), merging adjacent buckets to fit.\n"
	      "\n"
	      "Options:\n"
	      "  -s, --since SPAN       the last SPAN: 30s, 10m, 1h30m, 2d, 1w (units s, m,\n"
	      "                         h, d, w; a bare number is seconds); 'all' for all\n"
	      "                         the history kept; default 10m\n"
	      "  -r, --resolution SPAN  width of the buckets; default (or 0): the finest\n"
	      "                         memtrackd keeps for the span\n"
	      "      --value KEY        what a chart column shows of its buckets: max\n"
	      "                         (highest total, the default), min, avg or last\n"
	      "  -c, --chart            the 8-row chart even when not on a terminal\n"
	      "  -S, --sparkline        the one-row sparkline even on a terminal\n"
	      "  -j, --json             print JSON (shape in memtrackctl(1))\n"
	      "  -p, --pretty           indent the JSON (implies --json)\n"
	      "  -b, --bytes            exact byte counts instead of KiB/MiB/GiB\n"
	      "  -h, --help             show this help\n"
	      "\n", f);
	cli_print_exit_codes(f);
}

static size_t term_width(void)
{
	const char *columns = getenv("COLUMNS");
	struct winsize ws;
	uint64_t v;

	if (columns && !parse_u64(columns, &v) && v > 0 && v < 100000)
		return v;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	return 80;
}

/* Local time of @usec: "HH:MM:SS", with the date first if @date. */
static const char *fmt_clock(char *buf, size_t size, uint64_t usec, bool date)
{
	time_t t = usec / USEC_PER_SEC;
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
		snprintf(buf, size, "?");
	return buf;
}

static bool same_day(uint64_t a_usec, uint64_t b_usec)
{
	time_t a = a_usec / USEC_PER_SEC, b = b_usec / USEC_PER_SEC;
	struct tm ta, tb;

	if (!localtime_r(&a, &ta) || !localtime_r(&b, &tb))
		return false;
	return ta.tm_year == tb.tm_year && ta.tm_yday == tb.tm_yday;
}

static int read_history(sd_bus_message *m, struct history *h)
{
	struct hist_sample *bigger, x;
	size_t cap = 0;
	int err;

	err = sd_bus_message_enter_container(m, 'a', "(ttttt)");
	while (err >= 0) {
		err = sd_bus_message_read(m, "(ttttt)", &x.time_usec, &x.min,
					  &x.max, &x.avg, &x.last);
		if (err <= 0)
			break;
		if (h->n == cap) {
			cap = cap ? 2 * cap : 256;
			bigger = realloc(h->s, cap * sizeof(*h->s));
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			h->s = bigger;
		}
		h->s[h->n++] = x;
	}
	if (err >= 0)
		err = sd_bus_message_exit_container(m);
	return err < 0 ? err : 0;
}

static void print_json(struct printer *p, const struct history *h)
{
	size_t i;

	pr_open_object(p, NULL);
	pr_str(p, PR_JSON, "path", NULL, h->path);
	pr_u64(p, PR_JSON, "since", NULL, h->since_usec);
	pr_u64(p, PR_JSON, "resolution", NULL, h->step_usec / USEC_PER_SEC);
	pr_open_array(p, "samples");
	for (i = 0; i < h->n; i++) {
		pr_open_object(p, NULL);
		pr_u64(p, PR_JSON, "time", NULL, h->s[i].time_usec);
		pr_u64(p, PR_JSON, "min", NULL, h->s[i].min);
		pr_u64(p, PR_JSON, "max", NULL, h->s[i].max);
		pr_u64(p, PR_JSON, "avg", NULL, h->s[i].avg);
		pr_u64(p, PR_JSON, "last", NULL, h->s[i].last);
		pr_close_object(p);
	}
	pr_close_array(p);
	pr_close_object(p);
	pr_nl(p);
}

static const char *const value_names[] = {
	[HIST_MAX] = "max", [HIST_MIN] = "min",
	[HIST_AVG] = "avg", [HIST_LAST] = "last",
};

static void print_header(struct printer *p, const struct history *h,
			 enum hist_value which, uint64_t per_column)
{
	char d[FMT_DURATION_MAX];

	pr_text(p, "%s: ", h->path);
	if (h->all)
		pr_text(p, "all history kept (%s)", fmt_duration(d, sizeof(d),
			h->now_usec > h->s[0].time_usec ?
			h->now_usec - h->s[0].time_usec : 0));
	else
		pr_text(p, "last %s", fmt_duration(d, sizeof(d), h->span_usec));
	if (h->step_usec)
		pr_text(p, ", %s resolution", fmt_duration(d, sizeof(d), h->step_usec));
	pr_text(p, ", %zu bucket%s", h->n, h->n == 1 ? "" : "s");
	if (per_column > 1)
		pr_text(p, " (%s of %llu per column)", value_names[which],
			(unsigned long long)per_column);
	else
		pr_text(p, " (%s per column)", value_names[which]);
	pr_nl(p);
}

/* The chart's rows, with the range at the left when @rows > 1. */
static void print_chart(struct printer *p, size_t ncols,
			const unsigned int *heights,
			unsigned int rows, uint64_t lo, uint64_t hi, int label_w)
{
	char lo_s[FMT_BYTES_MAX], hi_s[FMT_BYTES_MAX], *row;
	unsigned int r, hi_row, lo_row;
	const char *label;

	row = malloc(3 * ncols + 1);
	if (!row) {
		p->err = p->err ?: -ENOMEM;
		return;
	}
	fmt_bytes(lo_s, sizeof(lo_s), lo, p->exact_bytes);
	fmt_bytes(hi_s, sizeof(hi_s), hi, p->exact_bytes);
	/* Label the rows the highest and the lowest bar end in. */
	hi_row = (chart_height(hi, lo, hi, rows) - 1) / 8;
	lo_row = (chart_height(lo, lo, hi, rows) - 1) / 8;
	for (r = rows; r-- > 0;) {
		if (rows > 1) {
			label = r == hi_row ? hi_s : r == lo_row ? lo_s : "";
			pr_text(p, "%*s %s", label_w, label,
				*label ? "\u2524" : "\u2502");
		}
		pr_text(p, "%s", chart_row(row, 3 * ncols + 1, heights, ncols, r));
		pr_nl(p);
	}
	free(row);
}

static void print_text(struct printer *p, const struct history *h,
		       enum hist_value which, unsigned int rows)
{
	char a[FMT_BYTES_MAX], b[FMT_BYTES_MAX], c[FMT_BYTES_MAX], d[FMT_BYTES_MAX];
	char start_s[32], end_s[32];
	struct hist_column *cols;
	struct hist_sample sum;
	unsigned int *heights;
	uint64_t per_column, lo, hi, end;
	size_t width, ncols, i, w_start, w_end;
	int label_w = 0, pad;
	bool date;

	if (!h->n) {
		pr_text(p, "%s: no history ", h->path);
		if (h->all)
			pr_text(p, "kept");
		else
			pr_text(p, "in the last %s", fmt_duration(a, sizeof(a), h->span_usec));
		pr_nl(p);
		return;
	}

	hist_merge(h->s, h->n, &sum);
	/*
	 * Room for the range labels: exact byte counts are no longer than the
	 * highest; in units, none is longer than "1023.9 KiB".
	 */
	if (rows > 1)
		label_w = p->exact_bytes ?
			  (int)strlen(fmt_bytes(a, sizeof(a), sum.max, true)) : 10;
	width = term_width();
	width = width >= (size_t)label_w + 2 + MIN_CHART_WIDTH ?
		width - (rows > 1 ? label_w + 2 : 0) : MIN_CHART_WIDTH;
	cols = calloc(width, sizeof(*cols));
	heights = calloc(width, sizeof(*heights));
	if (!cols || !heights) {
		p->err = -ENOMEM;
		goto out;
	}
	ncols = hist_columns(h->s, h->n, h->step_usec, width, cols, &per_column);
	hist_range(cols, ncols, which, &lo, &hi);
	if (rows > 1) {
		/* As wide as the two labels shown, which fit in the room. */
		label_w = strlen(fmt_bytes(a, sizeof(a), hi, p->exact_bytes));
		if ((size_t)label_w < strlen(fmt_bytes(a, sizeof(a), lo, p->exact_bytes)))
			label_w = strlen(a);
	}
	for (i = 0; i < ncols; i++)
		heights[i] = cols[i].n ? chart_height(hist_value(&cols[i].s, which),
						      lo, hi, rows) : 0;

	print_header(p, h, which, per_column);
	print_chart(p, ncols, heights, rows, lo, hi, label_w);

	/* Time axis: where the first bucket starts, where the last ends. */
	end = h->s[h->n - 1].time_usec + h->step_usec;
	if (!h->step_usec || end > h->now_usec)
		end = h->now_usec;
	date = !same_day(h->s[0].time_usec, end);
	fmt_clock(start_s, sizeof(start_s), h->s[0].time_usec, date);
	fmt_clock(end_s, sizeof(end_s), end, date);
	w_start = strlen(start_s);
	w_end = strlen(end_s);
	pad = ncols > w_start + w_end ? (int)(ncols - w_start - w_end) : 1;
	pr_text(p, "%*s%s%*s%s", rows > 1 ? label_w + 2 : 0, "", start_s,
		pad, "", end_s);
	pr_nl(p);

	pr_text(p, "min %s  max %s  avg %s  last %s",
		fmt_bytes(a, sizeof(a), sum.min, p->exact_bytes),
		fmt_bytes(b, sizeof(b), sum.max, p->exact_bytes),
		fmt_bytes(c, sizeof(c), sum.avg, p->exact_bytes),
		fmt_bytes(d, sizeof(d), sum.last, p->exact_bytes));
	pr_nl(p);
out:
	free(heights);
	free(cols);
}

/* Parse the options into @h; return -1 to go on, else the exit code. */
static int parse_opts(int argc, char **argv, struct history *h,
		      enum hist_value *which, int *chart, bool *json,
		      bool *pretty, bool *exact)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "resolution", required_argument, NULL, 'r' },
		{ "value", required_argument, NULL, 'v' },
		{ "chart", no_argument, NULL, 'c' },
		{ "sparkline", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t v;
	size_t len;
	char *path;
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:r:cSjpbh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			h->all = !strcmp(optarg, "all");
			if (h->all)
				break;
			err = parse_timespan(optarg, &h->span_usec);
			if (err)
				return cli_usage_err("history", "invalid --since '%s'%s",
						     optarg, err == -ERANGE ? " (too long)" :
						     " (a span like 30s, 10m, 1h30m, 2d, or 'all')");
			break;
		case 'r':
			err = parse_timespan(optarg, &v);
			if (err || v / USEC_PER_SEC > UINT32_MAX)
				return cli_usage_err("history", "invalid --resolution '%s'%s",
						     optarg, !err || err == -ERANGE ?
						     " (too long)" : " (a span like 1s, 10s, 1m, 15m)");
			h->resolution = v / USEC_PER_SEC;
			break;
		case 'v':
			for (v = 0; v < sizeof(value_names) / sizeof(value_names[0]); v++)
				if (!strcmp(optarg, value_names[v]))
					break;
			if (v == sizeof(value_names) / sizeof(value_names[0]))
				return cli_usage_err("history",
						     "invalid --value '%s' (max, min, avg or last)",
						     optarg);
			*which = v;
			break;
		case 'c':
			*chart = 1;
			break;
		case 'S':
			*chart = 0;
			break;
		case 'j':
			*json = true;
			break;
		case 'p':
			*json = *pretty = true;
			break;
		case 'b':
			*exact = true;
			break;
		case 'h':
			history_usage(stdout);
			return EXIT_OK;
		default:
			return cli_usage_err("history", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_err("history", "missing PATH");
	if (optind + 1 < argc)
		return cli_usage_err("history", "unexpected argument '%s'",
				     argv[optind + 1]);
	/* "vpu0/" (as completed) is "vpu0". */
	path = argv[optind];
	for (len = strlen(path); len > 1 && path[len - 1] == '/'; len--)
		path[len - 1] = '\0';
	if (!*path || !strcmp(path, "/"))
		return cli_usage_err("history", "missing PATH");
	h->path = path;
	return -1;
}

int cmd_history(int argc, char **argv)
{
	struct history h = { .span_usec = DEFAULT_SINCE_USEC };
	enum hist_value which = HIST_MAX;
	sd_bus_message *reply = NULL;
	bool json = false, pretty = false, exact = false;
	sd_bus *bus = NULL;
	struct printer p;
	int chart = -1, err, ret;

	ret = parse_opts(argc, argv, &h, &which, &chart, &json, &pretty, &exact);
	if (ret >= 0)
		return ret;
	if (chart < 0)
		chart = isatty(STDOUT_FILENO);

	ret = cli_bus_open(&bus);
	if (ret)
		return ret;
	h.now_usec = cli_now_usec();
	if (!h.all && h.span_usec < h.now_usec)
		h.since_usec = h.now_usec - h.span_usec;
	ret = cli_bus_call(bus, MTD_BUS_MANAGER, "GetHistory", h.path, &reply,
			   "stu", h.path, h.since_usec, h.resolution);
	if (ret)
		goto out;
	err = read_history(reply, &h);
	if (err < 0) {
		ret = cli_bus_bad_reply("GetHistory", err);
		goto out;
	}
	if (h.n > 1)
		qsort(h.s, h.n, sizeof(*h.s), hist_cmp_time);
	h.step_usec = h.resolution ? h.resolution * USEC_PER_SEC :
		      hist_step(h.s, h.n);

	pr_init(&p, stdout, json, pretty, exact);
	if (json)
		print_json(&p, &h);
	else
		print_text(&p, &h, which, chart ? CHART_ROWS : 1);
	err = pr_finish(&p);
	if (err < 0) {
		cli_err("cannot print the history: %s", strerror(-err));
		ret = EXIT_FAILURE_OTHER;
	}
out:
	free(h.s);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return ret;
}
