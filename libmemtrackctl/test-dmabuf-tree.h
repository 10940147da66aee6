// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Helpers of test-dmabuf.c: TAP output, and building procfs-like trees in
 * a temporary directory (PID dirs with comm, fd/ links, fdinfo/ files and
 * maps) in the formats of drivers/dma-buf/dma-buf.c and fs/proc.
 */
#ifndef TEST_DMABUF_TREE_H
#define TEST_DMABUF_TREE_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Not every user of this header needs every helper. */
#define TDT_UNUSED __attribute__((unused))

#include "test-tap.h"

#define U64_MAX_S "18446744073709551615"
#define MAP(start, end, off, ino, path) \
	start "-" end " rw-s " off " 00:0f " ino "                        " \
	path "\n"

TDT_UNUSED static char root[256];

/* A path in the tree; a few can be alive at once. */
TDT_UNUSED static const char *at(const char *fmt, ...)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];
	va_list ap;
	int n;

	n = snprintf(b, sizeof(bufs[0]), "%s/", root);
	va_start(ap, fmt);
	vsnprintf(b + n, sizeof(bufs[0]) - n, fmt, ap);
	va_end(ap);
	return b;
}

TDT_UNUSED static void mkdirs(const char *path)
{
	char tmp[512], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

TDT_UNUSED static void put(const char *path, const char *content)
{
	char dir[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f)) {
		perror(path);
		exit(99);
	}
}

TDT_UNUSED static void proc(unsigned int pid, const char *comm, const char *maps)
{
	char line[64];

	snprintf(line, sizeof(line), "%s\n", comm);
	put(at("%u/comm", pid), line);
	if (maps)
		put(at("%u/maps", pid), maps);
	mkdirs(at("%u/fd", pid));
	mkdirs(at("%u/fdinfo", pid));
}

/* An fd: its link in fd/ and, unless NULL, its fdinfo. */
TDT_UNUSED static void add_fd(unsigned int pid, int fd, const char *link,
		   const char *info)
{
	mkdirs(at("%u/fd", pid));
	if (symlink(link, at("%u/fd/%d", pid, fd))) {
		perror("symlink");
		exit(99);
	}
	if (info)
		put(at("%u/fdinfo/%d", pid, fd), info);
}

/* A dma-buf fdinfo as dma_buf_show_fdinfo() writes it; NULL leaves out. */
TDT_UNUSED static const char *fdi(const char *ino, const char *size, const char *exp,
		       const char *name)
{
	static char b[4][512];
	static unsigned int next;
	char *p = b[next++ % 4];

	snprintf(p, sizeof(b[0]),
		 "pos:\t0\nflags:\t02000002\nmnt_id:\t15\n%s%s%s%s%s%s"
		 "count:\t1\n%s%s%s%s%s%s",
		 ino ? "ino:\t" : "", ino ? ino : "", ino ? "\n" : "",
		 size ? "size:\t" : "", size ? size : "", size ? "\n" : "",
		 exp ? "exp_name:\t" : "", exp ? exp : "", exp ? "\n" : "",
		 name ? "name:\t" : "", name ? name : "", name ? "\n" : "");
	return p;
}

TDT_UNUSED static const char pipe_info[] =
	"pos:\t0\nflags:\t02\nmnt_id:\t14\nino:\t77\n";

TDT_UNUSED static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

TDT_UNUSED static void new_tree(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/test-dmabuf.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(99);
	}
}

TDT_UNUSED static void drop_tree(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* TEST_DMABUF_TREE_H */
