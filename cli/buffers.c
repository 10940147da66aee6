// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl buffers: who holds which dma-buf, read from procfs by
 * libmemtrackctl's scanner (no module, netlink or daemon needed).  This
 * file is the command: options, the scan, --pid lookup and exit codes;
 * the views are in buffers-print.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "cli.h"
#include "table.h"

/* The kernel's PID_MAX_LIMIT on 64-bit: no pid is higher. */
#define CLI_PID_MAX 4194304

static void buffers_usage(FILE *f)
{
	fputs("Usage: " PROG_NAME
	      " buffers [--pid N] [--by process|tag|exporter|buffer]\n"
	      "                           [-j|--json] [-p|--pretty] [-b|--bytes]\n"
	      "                           [--proc-root DIR]\n"
	      "\n"
	      "Show who holds which dma-buf (shared buffer), read from procfs: every\n"
	      "process's dma-buf fds (/proc/PID/fdinfo) and mappings (/proc/PID/maps).\n"
	      "Needs neither the memtrack module nor memtrackd.  Processes that cannot\n"
	      "be read are listed after the output (in JSON: \"unreadable\"); run as root\n"
	      "(or with CAP_SYS_PTRACE) to see them all.\n"
	      "\n"
	      "Options:\n"
	      "      --pid N          only process N (a thread id stands for its process):\n"
	      "                       its buffers with their other holders, and its totals\n"
	      "                       by exporter and by tag\n"
	      "      --by KEY         process: a row per process (the default); tag or\n"
	      "                       exporter: a row per buffer name or exporter, each\n"
	      "                       buffer counted once; buffer: a row per buffer and\n"
	      "                       process holding it.  With --pid: only that part of\n"
	      "                       its view, or (buffer) its buffers with all holders\n"
	      "  -j, --json           print JSON (shape in memtrackctl(1))\n"
	      "  -p, --pretty         indent the JSON (implies --json)\n"
	      "  -b, --bytes          exact byte counts instead of KiB/MiB/GiB\n"
	      "      --proc-root DIR  read DIR instead of /proc (a copy, or a test tree)\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "A process holds a buffer when it has an fd of it or maps it.  Columns:\n"
	      "TOTAL (size of the buffers it holds), FD-ONLY (those it holds by fd and\n"
	      "does not map: no RSS shows them), MAPPED (length of its dma-buf mappings),\n"
	      "PSS (its share: each buffer's size divided by the number of processes\n"
	      "holding it, so the shares add up to the buffers' sizes).  The total line\n"
	      "counts each buffer once.  A buffer that is only mapped (every fd closed)\n"
	      "shows its size as \">=\" its largest mapping and its exporter as \"?\";\n"
	      "NAME and TAG \"-\": not named with DMA_BUF_SET_NAME.\n"
	      "\n"
	      "With --pid: exit status 0 also when the process holds no dma-buf, 4 when\n"
	      "there is no such process, 3 when it cannot be read.\n"
	      "\n",
	      f);
	cli_print_exit_codes(f);
}

/* @name of process @pid under @root, NUL-terminated: its length, or -errno. */
static ssize_t read_proc_file(const char *root, uint32_t pid, const char *name,
			      char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * Process @pid when the scan has no holder of that number: -ENOENT if
 * there is none, else 0 with its command name in @comm, after moving
 * @pid to its thread group when it is a thread's id (procfs answers for
 * those too, but lists only thread group leaders).
 */
static int find_process(const char *root, uint32_t *pid, char *comm,
			size_t size)
{
	char path[PATH_MAX], buf[4096], *t;
	unsigned long tgid;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%u", root, *pid) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK))
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	/* A constructed tree may have no status: then it is a process. */
	n = read_proc_file(root, *pid, "status", buf, sizeof(buf));
	t = n > 0 ? strstr(buf, "\nTgid:") : NULL;
	if (t) {
		tgid = strtoul(t + 6, NULL, 10);
		if (tgid && tgid != *pid && tgid <= CLI_PID_MAX) {
			cli_err("%u is a thread of process %lu: showing the process",
				*pid, tgid);
			*pid = tgid;
		}
	}
	n = read_proc_file(root, *pid, "comm", buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return -ENOENT; /* exited meanwhile */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < 0)
		n = 0;
	if ((size_t)n >= size) /* comm is at most 15 bytes anyway */
		n = size - 1;
	memcpy(comm, buf, n);
	comm[n] = '\0';
	return 0;
}

static const struct mtc_dmabuf_unreadable *
find_unreadable(const struct mtc_dmabuf_scan *s, uint32_t pid)
{
	const struct mtc_dmabuf_unreadable *u;

	for (u = mtc_dmabuf_scan_unreadable(s); u; u = u->next)
		if (u->pid == pid)
			return u;
	return NULL;
}

/* A partial view would mislead: say why there is none. */
static int unreadable_fail(const struct mtc_dmabuf_unreadable *u)
{
	bool perm = u->errnum == EACCES || u->errnum == EPERM;
	char comm[MTC_COMM_MAX];

	text_safe(comm, sizeof(comm), u->comm[0] ? u->comm : "?");
	cli_err("cannot read process %u (%s): %s: %s%s", u->pid, comm,
		u->what ?: "?", strerror(u->errnum),
		perm ? "; run as root (or with CAP_SYS_PTRACE)" : "");
	return perm ? EXIT_PERM : EXIT_FAILURE_OTHER;
}

/* --pid: the process to show, or an exit code (> 0) after the message. */
static int check_pid(const struct mtc_dmabuf_scan *s, const char *root,
		     struct buffers_view *v, char *comm, size_t size)
{
	const struct mtc_dmabuf_unreadable *u;
	int err, pass;

	/* Twice when the pid was a thread's: then its process's. */
	for (pass = 0; pass < 2; pass++) {
		u = find_unreadable(s, v->pid);
		if (u)
			return unreadable_fail(u);
		if (mtc_dmabuf_scan_find_proc(s, v->pid) || pass)
			return 0;
		err = find_process(root, &v->pid, comm, size);
		if (err == -ENOENT) {
			cli_err("no process %u", v->pid);
			return EXIT_NO_NODE;
		}
		if (err < 0) {
			cli_err("cannot read process %u: %s", v->pid,
				strerror(-err));
			return EXIT_FAILURE_OTHER;
		}
		v->comm = comm;
	}
	return 0;
}

int cmd_buffers(int argc, char **argv)
{
	enum { OPT_PID = 0x100, OPT_BY, OPT_PROC_ROOT };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, OPT_PID },
		{ "by", required_argument, NULL, OPT_BY },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct cli_output out = {};
	struct buffers_view view = { .by = BY_PROCESS };
	struct mtc_dmabuf_scan *scan = NULL;
	const char *root = "/proc";
	char comm[MTC_COMM_MAX] = "";
	struct printer p;
	int c, err, ret;
	uint64_t v;

	optind = 0;
	while ((c = getopt_long(argc, argv, "jpbh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PID:
			if (parse_u64(optarg, &v) || !v || v > CLI_PID_MAX)
				return cli_usage_err(
					"buffers",
					"invalid pid '%s' (a process id, 1 to %d)",
					optarg, CLI_PID_MAX);
			view.has_pid = true;
			view.pid = v;
			break;
		case OPT_BY:
			if (buffers_parse_by(optarg, &view.by))
				return cli_usage_err(
					"buffers",
					"invalid --by '%s' (process, tag, exporter or buffer)",
					optarg);
			break;
		case OPT_PROC_ROOT:
			root = optarg;
			break;
		default:
			ret = cli_output_opt(c, &out, "buffers", buffers_usage);
			if (ret != CLI_OPT_NEXT)
				return ret;
		}
	}
	if (optind < argc)
		return cli_usage_err("buffers", "unexpected argument '%s'",
				     argv[optind]);

	err = mtc_dmabuf_scan(root, &scan);
	if (err < 0) {
		cli_err("cannot read %s: %s", root, strerror(-err));
		return EXIT_FAILURE_OTHER;
	}
	ret = view.has_pid ? check_pid(scan, root, &view, comm, sizeof(comm)) :
			     0;
	if (ret)
		goto out;
	pr_init(&p, stdout, out.json, out.pretty, out.exact);
	err = buffers_print(&p, scan, &view);
	if (err < 0) {
		cli_err("cannot print the buffers: %s", strerror(-err));
		ret = EXIT_FAILURE_OTHER;
	}
out:
	mtc_dmabuf_scan_free(scan);
	return ret;
}
