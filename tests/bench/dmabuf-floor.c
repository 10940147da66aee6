// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-floor: the floor of a procfs dma-buf scan, for
 * tests/bench/dmabuf-bench.sh.  It reads the directory of processes and,
 * for each, its fdinfo directory, and opens, reads (once, into a 4 KiB
 * buffer, as libmemtrackctl's scanner does) and closes every fdinfo file.
 * Nothing else: no parsing, no maps, no comm, no links.
 *
 *   dmabuf-floor [-r ROOT] [-w WARMUP] [-n PASSES]
 *
 * ROOT defaults to /proc.  WARMUP passes (default 1) are not timed; then
 * each of the PASSES (default 3) prints
 *   floor pass=I wall_us=W cpu_us=C pids=P files=F bytes=B
 * (cpu_us: user + system time of the pass).  Built with -DFLOOR_NO_MAIN,
 * it only provides floor_pass() (dmabuf-floor.h) to dmabuf-scan.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dmabuf-floor.h"

static void read_fdinfos(int dir, struct floor_stats *st)
{
	char dents[8192] __attribute__((aligned(8)));
	char buf[4096];
	struct dirent64 *d;
	ssize_t n, off, r;
	int f;

	while ((n = getdents64(dir, dents, sizeof(dents))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			if (d->d_name[0] == '.')
				continue;
			f = openat(dir, d->d_name, O_RDONLY | O_CLOEXEC);
			if (f < 0)
				continue;
			r = read(f, buf, sizeof(buf));
			close(f);
			if (r >= 0) {
				st->files++;
				st->bytes += r;
			}
		}
	}
}

int floor_pass(const char *root, struct floor_stats *st)
{
	char dents[8192] __attribute__((aligned(8)));
	char path[300];
	struct dirent64 *d;
	int rootfd, dir;
	ssize_t n, off;

	memset(st, 0, sizeof(*st));
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	while ((n = getdents64(rootfd, dents, sizeof(dents))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/fdinfo", d->d_name);
			dir = openat(rootfd, path,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dir < 0)
				continue;
			st->pids++;
			read_fdinfos(dir, st);
			close(dir);
		}
	}
	close(rootfd);
	return 0;
}

#ifndef FLOOR_NO_MAIN
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	const char *root = "/proc";
	int opt, warmup = 1, passes = 3, i;
	int64_t t0, c0;
	struct floor_stats st;

	while ((opt = getopt(argc, argv, "r:w:n:")) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'n':
			passes = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: dmabuf-floor [-r ROOT] [-w WARMUP] [-n PASSES]\n");
			return 2;
		}
	}
	for (i = 0; i < warmup; i++)
		if (floor_pass(root, &st) < 0) {
			perror(root);
			return 1;
		}
	for (i = 0; i < passes; i++) {
		t0 = now_us();
		c0 = cpu_us();
		if (floor_pass(root, &st) < 0) {
			perror(root);
			return 1;
		}
		printf("floor pass=%d wall_us=%lld cpu_us=%lld pids=%lu files=%lu bytes=%llu\n",
		       i, (long long)(now_us() - t0),
		       (long long)(cpu_us() - c0), st.pids, st.files,
		       (unsigned long long)st.bytes);
	}
	return 0;
}
#endif /* FLOOR_NO_MAIN */
