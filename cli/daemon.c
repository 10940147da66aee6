// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl status and alerts: what memtrackd says about itself and the
 * alerts it has raised, over the system bus.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "cli.h"
#include "print.h"
#include "series.h"

/*
 * The options status and alerts share: -j, -p, -b, -h.  Return -1 to go
 * on, else the exit code.
 */
static int parse_print_opts(const char *sub, void (*usage)(FILE *f),
			    int argc, char **argv, bool *json, bool *pretty,
			    bool *exact)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	*json = *pretty = *exact = false;
	optind = 0;
	while ((c = getopt_long(argc, argv, "jpbh", opts, NULL)) != -1) {
		switch (c) {
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
			usage(stdout);
			return EXIT_OK;
		default:
			return cli_usage_err(sub, "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_err(sub, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static int print_done(struct printer *p)
{
	int err = pr_finish(p);

	if (err < 0) {
		cli_err("cannot print: %s", strerror(-err));
		return EXIT_FAILURE_OTHER;
	}
	return EXIT_OK;
}

/* ---- status -------------------------------------------------------------- */

enum prop_kind {
	PK_STR,
	PK_COUNT,
	PK_BYTES,
	PK_RATE,
};

static const struct prop {
	const char *name;	/* the D-Bus property */
	char type;		/* its D-Bus type */
	enum prop_kind kind;
	const char *label;	/* text */
	const char *key;	/* JSON */
} props[] = {
	{ "State", 's', PK_STR, "State", "state" },
	{ "Version", 's', PK_STR, "Version", "version" },
	{ "NodeCount", 'u', PK_COUNT, "Nodes", "node_count" },
	{ "Events", 't', PK_COUNT, "Events", "events" },
	{ "EventRate", 'd', PK_RATE, "Event rate", "event_rate" },
	{ "Resyncs", 't', PK_COUNT, "Resyncs", "resyncs" },
	{ "Attachments", 't', PK_COUNT, "Attachments", "attachments" },
	{ "HistorySeries", 'u', PK_COUNT, "History series", "history_series" },
	{ "HistoryBytes", 't', PK_BYTES, "History memory", "history_bytes" },
	{ "ResidentBytes", 't', PK_BYTES, "Resident memory", "resident_bytes" },
	{ "DmabufScans", 't', PK_COUNT, "dma-buf scans", "dmabuf_scans" },
	{ "DmabufProcesses", 'u', PK_COUNT, "dma-buf holders", "dmabuf_processes" },
	{ "DmabufBuffers", 'u', PK_COUNT, "dma-bufs", "dmabuf_buffers" },
	{ "DmabufBytes", 't', PK_BYTES, "dma-buf memory", "dmabuf_bytes" },
	{ "DmabufUnreadable", 'u', PK_COUNT, "dma-buf unreadable", "dmabuf_unreadable" },
};

#define N_PROPS (sizeof(props) / sizeof(props[0]))

struct prop_value {
	bool set;
	const char *s;	/* points into the reply */
	uint64_t u;
	double d;
};

static void status_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME " status [-j|--json] [-p|--pretty] [-b|--bytes]\n"
	      "\n"
	      "Show the state of the memtrack daemon (memtrackd), asked over the\n"
	      "system bus: whether it follows the kernel module, its version, the\n"
	      "nodes it knows, the kernel events it handled, the history it keeps,\n"
	      "its own memory and, when it scans them, the dma-bufs it saw and the\n"
	      "processes it could not read.\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json      print JSON (shape in memtrackctl(1))\n"
	      "  -p, --pretty    indent the JSON (implies --json)\n"
	      "  -b, --bytes     exact byte counts instead of KiB/MiB/GiB\n"
	      "  -h, --help      show this help\n"
	      "\n", f);
	cli_print_exit_codes(f);
}

/* Read one property's variant into @v if it has the type we know. */
static int read_prop(sd_bus_message *m, const struct prop *pr,
		     struct prop_value *v)
{
	const char *contents;
	char type, sig[2] = { pr->type, '\0' };
	uint32_t u32;
	int err;

	err = sd_bus_message_peek_type(m, &type, &contents);
	if (err < 0)
		return err;
	if (type != 'v' || !contents || strcmp(contents, sig))
		return sd_bus_message_skip(m, "v");	/* not ours: leave it */
	err = sd_bus_message_enter_container(m, 'v', sig);
	if (err < 0)
		return err;
	switch (pr->type) {
	case 's':
		err = sd_bus_message_read_basic(m, 's', &v->s);
		break;
	case 'u':
		err = sd_bus_message_read_basic(m, 'u', &u32);
		v->u = u32;
		break;
	case 'd':
		err = sd_bus_message_read_basic(m, 'd', &v->d);
		break;
	default:
		err = sd_bus_message_read_basic(m, 't', &v->u);
		break;
	}
	if (err < 0)
		return err;
	v->set = true;
	return sd_bus_message_exit_container(m);
}

static int read_status(sd_bus_message *m, struct prop_value *values)
{
	const char *name;
	size_t i;
	int err;

	err = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (err < 0)
		return err;
	while ((err = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		err = sd_bus_message_read_basic(m, 's', &name);
		if (err < 0)
			return err;
		for (i = 0; i < N_PROPS; i++)
			if (!strcmp(name, props[i].name))
				break;
		if (i < N_PROPS)
			err = read_prop(m, &props[i], &values[i]);
		else
			err = sd_bus_message_skip(m, "v");
		if (err < 0)
			return err;
		err = sd_bus_message_exit_container(m);
		if (err < 0)
			return err;
	}
	if (err < 0)
		return err;
	return sd_bus_message_exit_container(m);
}

static void print_status(struct printer *p, const struct prop_value *values)
{
	const struct prop *pr;
	size_t i, w = 0;

	for (i = 0; i < N_PROPS; i++)
		if (strlen(props[i].label) > w)
			w = strlen(props[i].label);

	pr_open_object(p, NULL);
	for (i = 0; i < N_PROPS; i++) {
		pr = &props[i];
		pr_text(p, "%s:%*s", pr->label, (int)(w + 1 - strlen(pr->label)), "");
		if (!values[i].set) {
			/* An older or newer daemon without it. */
			pr_null(p, PR_ANY, pr->key, "-");
		} else if (pr->kind == PK_STR) {
			pr_str(p, PR_ANY, pr->key, "%s", values[i].s);
			if (!strcmp(pr->name, "State") && !strcmp(values[i].s, "waiting"))
				pr_text(p, " (for the memtrack kernel module to be loaded)");
		} else if (pr->kind == PK_BYTES) {
			pr_bytes(p, PR_ANY, pr->key, "%s", values[i].u);
		} else if (pr->kind == PK_RATE) {
			pr_double(p, PR_ANY, pr->key, "%.1f/s", values[i].d);
		} else {
			pr_u64(p, PR_ANY, pr->key, "%llu", values[i].u);
		}
		pr_nl(p);
	}
	pr_close_object(p);
	pr_nl(p);
}

int cmd_status(int argc, char **argv)
{
	struct prop_value values[N_PROPS] = {};
	sd_bus_message *reply = NULL;
	bool json, pretty, exact;
	struct printer p;
	sd_bus *bus;
	int err, ret;

	ret = parse_print_opts("status", status_usage, argc, argv, &json,
			       &pretty, &exact);
	if (ret >= 0)
		return ret;
	ret = cli_bus_open(&bus);
	if (ret)
		return ret;
	ret = cli_bus_call(bus, "org.freedesktop.DBus.Properties", "GetAll",
			   NULL, &reply, "s", MTD_BUS_MANAGER);
	if (ret)
		goto out;
	err = read_status(reply, values);
	if (err < 0) {
		ret = cli_bus_bad_reply("GetAll", err);
		goto out;
	}
	pr_init(&p, stdout, json, pretty, exact);
	print_status(&p, values);
	ret = print_done(&p);
out:
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return ret;
}

/* ---- alerts -------------------------------------------------------------- */

struct alert {
	const char *path;	/* point into the reply */
	const char *rule;
	uint8_t level;
	uint64_t value;
	uint64_t threshold;
	uint64_t since_usec;
};

static void alerts_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME " alerts [-j|--json] [-p|--pretty] [-b|--bytes]\n"
	      "\n"
	      "Show the threshold alerts memtrackd has raised and not yet cleared\n"
	      "(the [Rule] sections of memtrackd.conf), asked over the system bus;\n"
	      "\"no alerts raised\" when there are none.  Most severe first.\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json      print JSON (shape in memtrackctl(1))\n"
	      "  -p, --pretty    indent the JSON (implies --json)\n"
	      "  -b, --bytes     exact byte counts instead of KiB/MiB/GiB\n"
	      "  -h, --help      show this help\n"
	      "\n"
	      "Columns: NODE (node path), RULE (the rule's Name=), LEVEL (warning,\n"
	      "critical, or the number of another level), VALUE (the node's total\n"
	      "as memtrackd reports it), THRESHOLD (the rule's Raise= in bytes for\n"
	      "that node), SINCE (how long ago it was raised).\n"
	      "\n", f);
	cli_print_exit_codes(f);
}

static const char *level_name(uint8_t level)
{
	switch (level) {
	case MTD_LEVEL_WARNING:
		return "warning";
	case MTD_LEVEL_CRITICAL:
		return "critical";
	default:
		return NULL;
	}
}

static int cmp_alert(const void *x, const void *y)
{
	const struct alert *a = x, *b = y;
	int r;

	if (a->level != b->level)
		return a->level > b->level ? -1 : 1;
	r = strcmp(a->path, b->path);
	return r ? r : strcmp(a->rule, b->rule);
}

static int read_alerts(sd_bus_message *m, struct alert **out, size_t *n)
{
	struct alert *v = NULL, *bigger, a;
	size_t cap = 0;
	int err;

	*n = 0;
	err = sd_bus_message_enter_container(m, 'a', "(ssyttt)");
	while (err >= 0) {
		err = sd_bus_message_read(m, "(ssyttt)", &a.path, &a.rule, &a.level,
					  &a.value, &a.threshold, &a.since_usec);
		if (err <= 0)
			break;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			bigger = realloc(v, cap * sizeof(*v));
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			v = bigger;
		}
		v[(*n)++] = a;
	}
	if (err >= 0)
		err = sd_bus_message_exit_container(m);
	if (err < 0) {
		free(v);
		*n = 0;
		return err;
	}
	*out = v;
	return 0;
}

static size_t max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

static void print_alerts(struct printer *p, struct alert *v, size_t n,
			 uint64_t now)
{
	size_t w_node = strlen("NODE"), w_rule = strlen("RULE");
	size_t w_level = strlen("LEVEL"), w_value = strlen("VALUE");
	size_t w_thr = strlen("THRESHOLD"), i;
	char buf[FMT_DURATION_MAX], num[4];
	const char *level;

	if (!n && !p->json) {
		pr_text(p, "no alerts raised");
		pr_nl(p);
		return;
	}
	for (i = 0; i < n; i++) {
		w_node = max_size(w_node, utf8_width(v[i].path));
		w_rule = max_size(w_rule, utf8_width(v[i].rule));
		w_level = max_size(w_level, level_name(v[i].level) ?
				   strlen(level_name(v[i].level)) : 3);
		w_value = max_size(w_value, strlen(fmt_bytes(buf, sizeof(buf),
				   v[i].value, p->exact_bytes)));
		w_thr = max_size(w_thr, strlen(fmt_bytes(buf, sizeof(buf),
				 v[i].threshold, p->exact_bytes)));
	}
	pr_text(p, "%-*s  %-*s  %-*s  %*s  %*s  SINCE", (int)w_node, "NODE",
		(int)w_rule, "RULE", (int)w_level, "LEVEL", (int)w_value, "VALUE",
		(int)w_thr, "THRESHOLD");
	pr_nl(p);

	pr_open_array(p, NULL);
	for (i = 0; i < n; i++) {
		pr_open_object(p, NULL);
		pr_str(p, PR_ANY, "path", "%s", v[i].path);
		pr_text(p, "%*s", (int)(w_node - utf8_width(v[i].path) + 2), "");
		pr_str(p, PR_ANY, "rule", "%s", v[i].rule);
		pr_text(p, "%*s", (int)(w_rule - utf8_width(v[i].rule) + 2), "");
		pr_u64(p, PR_JSON, "level", NULL, v[i].level);
		level = level_name(v[i].level);
		if (level) {
			pr_str(p, PR_ANY, "severity", "%s", level);
		} else {
			pr_null(p, PR_JSON, "severity", NULL);
			snprintf(num, sizeof(num), "%u", v[i].level);
			level = num;
			pr_text(p, "%s", num);
		}
		pr_text(p, "%*s", (int)(w_level - strlen(level)), "");
		pr_col_bytes(p, "value", w_value, v[i].value);
		pr_col_bytes(p, "threshold", w_thr, v[i].threshold);
		pr_str(p, PR_TEXT, NULL, "  %s",
		       fmt_age(buf, sizeof(buf), now, v[i].since_usec));
		pr_u64(p, PR_JSON, "since", NULL, v[i].since_usec);
		pr_close_object(p);
		pr_nl(p);
	}
	pr_close_array(p);
	pr_nl(p);
}

int cmd_alerts(int argc, char **argv)
{
	sd_bus_message *reply = NULL;
	bool json, pretty, exact;
	struct alert *v = NULL;
	struct printer p;
	sd_bus *bus;
	size_t n;
	int err, ret;

	ret = parse_print_opts("alerts", alerts_usage, argc, argv, &json,
			       &pretty, &exact);
	if (ret >= 0)
		return ret;
	ret = cli_bus_open(&bus);
	if (ret)
		return ret;
	ret = cli_bus_call(bus, MTD_BUS_MANAGER, "ListAlerts", NULL, &reply, NULL);
	if (ret)
		goto out;
	err = read_alerts(reply, &v, &n);
	if (err < 0) {
		ret = cli_bus_bad_reply("ListAlerts", err);
		goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_alert);
	pr_init(&p, stdout, json, pretty, exact);
	print_alerts(&p, v, n, cli_now_usec());
	ret = print_done(&p);
out:
	free(v);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return ret;
}
