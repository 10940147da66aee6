/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrackctl: what the subcommands share.
 */
#ifndef MEMTRACKCTL_CLI_H
#define MEMTRACKCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <memtrackctl.h>

#define PROG_NAME "memtrackctl"

/* Exit codes; documented in --help and memtrackctl(1).  Keep them stable. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_USAGE = 1,		/* bad command line */
	EXIT_NO_MODULE = 2,	/* the memtrack family is not registered */
	EXIT_PERM = 3,		/* no CAP_NET_ADMIN, or memtrackd refused; or
				 * buffers --pid cannot read the process */
	EXIT_NO_NODE = 4,	/* the node (buffers --pid: process) asked
				 * for does not exist */
	EXIT_FAILURE_OTHER = 5,	/* anything else */
	EXIT_UNAVAILABLE = 6,	/* subcommand not available in this version */
	EXIT_NO_DAEMON = 7,	/* memtrackd is not running (status, history, alerts) */
};

/* Longest node path the CLI handles (the kernel allows 16 levels of 63). */
#define CLI_PATH_MAX 4096

/* An error to stderr, prefixed "memtrackctl: ". */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage error and return EXIT_USAGE. */
int cli_usage_err(const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * cli_fail() - report a library error and choose the exit code
 * @h: handle whose mtc_strerror() explains @err, or NULL
 * @err: negative errno
 * @node: the node argument when @err is about one (-ENOENT means "no such
 *	node"), or NULL
 *
 * Return: the exit code (enum cli_exit).
 */
int cli_fail(const struct mtc_handle *h, int err, const char *node);

/* mtc_open() with the documented messages; return an exit code. */
int cli_open(struct mtc_handle **h);

/**
 * cli_resolve() - the node a PATH|ID argument names
 * @h: handle
 * @arg: a node id ("12"), or a path ("vpu0/stream1", "vpu0/#12/dpb";
 *	"123/" is the root named "123")
 * @id: its id
 * @path: its full path (may be NULL)
 * @size: size of @path
 *
 * Return: 0, -ENOENT if there is no such node, or another negative errno.
 */
int cli_resolve(struct mtc_handle *h, const char *arg, uint64_t *id,
		char *path, size_t size);

/* Full path of node @id, from its ancestors (one mtc_get() per level). */
int cli_path_of_id(struct mtc_handle *h, uint64_t id, char *path, size_t size);

/* The "Exit status" section of every --help. */
void cli_print_exit_codes(FILE *f);

/* The output options of the subcommands that print: -j, -p, -b. */
struct cli_output {
	bool json, pretty, exact;
};

/* cli_output_opt(): an option it noted; parse on. */
#define CLI_OPT_NEXT (-1)

/**
 * cli_output_opt() - the options every printing subcommand shares
 * @c: getopt_long()'s return, none of the subcommand's own options
 * @o: where -j (--json), -p (--pretty, implies --json) and -b (--bytes)
 *	are noted
 * @sub: the subcommand, for the usage error
 * @usage: prints its --help
 *
 * -h prints @usage on stdout; anything else is a usage error.
 *
 * Return: CLI_OPT_NEXT after -j, -p or -b, else the exit code to return.
 */
int cli_output_opt(int c, struct cli_output *o, const char *sub,
		   void (*usage)(FILE *f));

/* "root", "node", "alloc" or "unknown". */
const char *cli_kind_name(uint32_t kind);

/* One path component of @n: its name, or "#ID" when unnamed (written to
 * @buf, which needs 22 bytes). */
const char *cli_component(const struct mtc_node *n, char *buf, size_t size);

/* Subcommands; each returns an exit code. */
struct printer;
/*
 * Print a node's creator: as "comm:tgid[/pid]" after @text_prefix in text
 * (nothing in text when it is NULL), as a "creator" object in JSON.
 */
void cli_print_creator(struct printer *p, const struct mtc_node *n,
		       const char *text_prefix);

int cmd_dump(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_reset_peak(int argc, char **argv);
int cmd_complete_paths(int argc, char **argv);
/* From procfs, no module needed (buffers.c). */
int cmd_buffers(int argc, char **argv);
/* Through memtrackd on the system bus (daemon.c, history.c). */
int cmd_status(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_history(int argc, char **argv);

#endif /* MEMTRACKCTL_CLI_H */
