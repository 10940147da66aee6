// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl: look at and follow memtrack's trees of driver memory.
 * dump, monitor and reset-peak talk to the kernel (libmemtrackctl);
 * status, history and alerts to memtrackd over D-Bus (bus.c); buffers
 * reads procfs (libmemtrackctl's dma-buf scanner).
 *
 * A table of subcommands in the style of wg(8).  A subcommand whose
 * function is NULL is not available in this version: it prints why and
 * exits with EXIT_UNAVAILABLE, so scripts can tell it apart.  Slot the
 * function in when it exists.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef MEMTRACKCTL_VERSION
#define MEMTRACKCTL_VERSION "0.1.0"
#endif

static int cmd_help(int argc, char **argv);

static const struct subcommand {
	const char *name;
	int (*function)(int argc, char **argv);
	const char *description;	/* NULL: hidden from the help */
	const char *unavailable;	/* why function is NULL */
} subcommands[] = {
	{ "dump", cmd_dump, "Show the trees of nodes, or one subtree", NULL },
	{ "monitor", cmd_monitor, "Print node events as they happen", NULL },
	{ "reset-peak", cmd_reset_peak, "Restart a node's peak at its current total", NULL },
	{ "status", cmd_status, "Show the memtrack daemon's state (needs memtrackd)", NULL },
	{ "history", cmd_history, "Show a node's usage history (needs memtrackd)", NULL },
	{ "alerts", cmd_alerts, "Show the raised threshold alerts (needs memtrackd)", NULL },
	{ "buffers", cmd_buffers, "Show shared buffers (dma-buf) and who holds them", NULL },
	{ "help", cmd_help, "Show this help, or a subcommand's", NULL },
	{ "__complete-paths", cmd_complete_paths, NULL, NULL },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <subcommand> [<args>]\n"
		"       %s --version | --help\n\n"
		"Look at and follow memtrack's trees of driver memory.\n\n"
		"Available subcommands:\n", PROG_NAME, PROG_NAME);
	for (i = 0; i < N_SUBCOMMANDS; i++) {
		if (!subcommands[i].description)
			continue;
		fprintf(f, "  %-11s %s%s\n", subcommands[i].name,
			subcommands[i].description,
			subcommands[i].function ? "" : " (not available yet)");
	}
	fprintf(f, "\nPass --help to any subcommand for its usage.\n\n");
	cli_print_exit_codes(f);
}

static const struct subcommand *find_subcommand(const char *name)
{
	size_t i;

	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	return NULL;
}

static int unavailable(const struct subcommand *s)
{
	cli_err("'%s' is not available yet: %s", s->name, s->unavailable);
	return EXIT_UNAVAILABLE;
}

static int cmd_help(int argc, char **argv)
{
	const struct subcommand *s;
	char *help_argv[] = { NULL, "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_err("help", "unexpected argument '%s'", argv[2]);
	s = find_subcommand(argv[1]);
	if (!s || s->function == cmd_help || !s->description)
		return cli_usage_err(NULL, "unknown subcommand '%s'", argv[1]);
	if (!s->function)
		return unavailable(s);
	help_argv[0] = (char *)s->name;
	return s->function(2, help_argv);
}

int main(int argc, char **argv)
{
	const struct subcommand *s;

	if (argc == 2 && (!strcmp(argv[1], "--version") ||
			  !strcmp(argv[1], "-V") || !strcmp(argv[1], "version"))) {
		printf("%s %s\n", PROG_NAME, MEMTRACKCTL_VERSION);
		return EXIT_OK;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	s = find_subcommand(argv[1]);
	if (!s)
		return cli_usage_err(NULL, "unknown subcommand '%s'", argv[1]);
	if (!s->function)
		return unavailable(s);
	return s->function(argc - 1, argv + 1);
}
