// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-cost: what each kind of procfs read that a dma-buf scan does
 * costs, for tests/bench/dmabuf-bench.sh.  On a noisy host, two programs
 * timed one after the other seconds apart see different machines; here
 * every kind of read is done for one process before moving to the next,
 * so all kinds share the noise and their proportions hold.
 *
 *   dmabuf-cost [-r ROOT] [-n ROUNDS]
 *
 * For each process directory, ROUNDS times (default 3, after one untimed
 * round), in turn:
 *   pid     open ROOT/PID with O_PATH and close it
 *   fdinfo  list fdinfo/ and open, read (once, 4 KiB) and close every file
 *           (the floor's work; split by fd kind below)
 *   link    list fd/ and readlink every entry
 *   maps    open maps, read it to the end (64 KiB reads), close
 *   maps_query  open maps, ask PROCMAP_QUERY (Linux 6.11) for its shared
 *           file-backed VMAs until ENOENT, close (0 ops if unsupported)
 *   comm    open comm, read, close
 * The fds are told apart by their link ("/dmabuf:" or
 * "anon_inode:dmabuf") and the fdinfo cost is kept per kind.  Prints one
 *   cost KIND ops=N us_per_op=T total_ms=M
 * per kind (total_ms per round), with KIND one of pid, fdinfo_dir (the
 * opening and listing of fdinfo/), fdinfo_dmabuf, fdinfo_other, link_dir,
 * link_dmabuf, link_other, maps, maps_query, comm; then
 *   model floor_ms=F pid_maps_comm_ms=E direct_ms=D (Rx) link_ms=L (Rx)
 * the procfs costs, per round, of the floor and of the scanner's two ways
 * to read the fds (read every fdinfo, or read the links and only the
 * dma-bufs' fdinfo), each plus E (pid and maps of every process, comm of
 * those holding a dma-buf: what libmemtrackctl's dmabuf.c also reads),
 * and their ratios to the floor; "model_query" the same with maps_query
 * instead of maps.  What the scanner does in user space (parsing, its
 * records, the report, their page faults) is not in the model: it is the
 * difference between the measured ratio and the model's.  Every op is
 * timed on its own, so the clock reads add a little to each.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

enum {
	K_PID,
	K_FDINFO_DIR,
	K_FDINFO_DMABUF,
	K_FDINFO_OTHER,
	K_LINK_DIR,
	K_LINK_DMABUF,
	K_LINK_OTHER,
	K_MAPS,
	K_MAPS_QUERY,
	K_COMM,
	K_N
};

static const char *const names[K_N] = {
	[K_PID] = "pid",
	[K_FDINFO_DIR] = "fdinfo_dir",
	[K_FDINFO_DMABUF] = "fdinfo_dmabuf",
	[K_FDINFO_OTHER] = "fdinfo_other",
	[K_LINK_DIR] = "link_dir",
	[K_LINK_DMABUF] = "link_dmabuf",
	[K_LINK_OTHER] = "link_other",
	[K_MAPS] = "maps",
	[K_MAPS_QUERY] = "maps_query",
	[K_COMM] = "comm",
};

static int64_t ns[K_N];
static uint64_t ops[K_N];
static bool timing;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void add(int k, int64_t t0, uint64_t n)
{
	if (!timing)
		return;
	ns[k] += now_ns() - t0;
	ops[k] += n;
}

#define MAX_FDS 4096

/* The fds of @pid and whether each is a dma-buf, from fd/ (timed). */
static int links(int rootfd, const char *pid, int *fds, bool *dmabuf,
		 int *n_dmabuf)
{
	char dents[8192] __attribute__((aligned(8)));
	char path[300], link[64];
	struct dirent64 *d;
	ssize_t n, off, l;
	int dir, nfds = 0;
	int64_t t0;

	*n_dmabuf = 0;
	t0 = now_ns();
	snprintf(path, sizeof(path), "%s/fd", pid);
	dir = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	while ((n = getdents64(dir, dents, sizeof(dents))) > 0)
		for (off = 0; off < n && nfds < MAX_FDS; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			if (d->d_name[0] != '.')
				fds[nfds++] = atoi(d->d_name);
		}
	add(K_LINK_DIR, t0, 1);
	for (int i = 0; i < nfds; i++) {
		snprintf(path, sizeof(path), "%d", fds[i]);
		t0 = now_ns();
		l = readlinkat(dir, path, link, sizeof(link));
		dmabuf[i] =
			l >= 8 &&
			(!memcmp(link, "/dmabuf:", 8) ||
			 (l == 17 && !memcmp(link, "anon_inode:dmabuf", 17)));
		add(dmabuf[i] ? K_LINK_DMABUF : K_LINK_OTHER, t0, 1);
		*n_dmabuf += dmabuf[i];
	}
	close(dir);
	return nfds;
}

static void fdinfos(int rootfd, const char *pid, const int *fds,
		    const bool *dmabuf, int nfds)
{
	char dents[8192] __attribute__((aligned(8)));
	char path[300], buf[4096];
	ssize_t n;
	int dir, f;
	int64_t t0;

	t0 = now_ns();
	snprintf(path, sizeof(path), "%s/fdinfo", pid);
	dir = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	while ((n = getdents64(dir, dents, sizeof(dents))) > 0)
		;
	add(K_FDINFO_DIR, t0, 1);
	for (int i = 0; i < nfds; i++) {
		snprintf(path, sizeof(path), "%d", fds[i]);
		t0 = now_ns();
		f = openat(dir, path, O_RDONLY | O_CLOEXEC);
		if (f >= 0) {
			if (read(f, buf, sizeof(buf)) < 0)
				buf[0] = '\0';
			close(f);
		}
		add(dmabuf[i] ? K_FDINFO_DMABUF : K_FDINFO_OTHER, t0, 1);
	}
	close(dir);
}

static void read_all(int rootfd, const char *pid, const char *file, int k)
{
	static char buf[65536];
	char path[300];
	int64_t t0 = now_ns();
	int f;

	snprintf(path, sizeof(path), "%s/%s", pid, file);
	f = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return;
	while (read(f, buf, sizeof(buf)) > 0)
		;
	close(f);
	add(k, t0, 1);
}

/* PROCMAP_QUERY (Linux 6.11 <linux/fs.h>; the uapi layout, older headers) */
struct procmap_query_v1 {
	uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags;
	uint64_t vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};

#define PROCMAP_QUERY_V1 _IOWR('f', 17, struct procmap_query_v1)

/* maps_query: the shared file-backed VMAs, one ioctl each, then ENOENT */
static void query_maps(int rootfd, const char *pid)
{
	static char name[4096];
	struct procmap_query_v1 q;
	uint64_t addr = 0;
	char path[300];
	int64_t t0 = now_ns();
	int f;

	snprintf(path, sizeof(path), "%s/maps", pid);
	f = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return;
	for (;;) {
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_flags = 0x10 | 0x20 |
				0x08; /* next, file-backed, shared */
		q.query_addr = addr;
		q.vma_name_addr = (uintptr_t)name;
		q.vma_name_size = sizeof(name);
		if (ioctl(f, PROCMAP_QUERY_V1, &q) < 0) {
			if (errno == ENOTTY || errno == EINVAL) {
				close(f);
				return; /* not supported: no op counted */
			}
			break;
		}
		if (q.vma_end <= addr)
			break;
		addr = q.vma_end;
	}
	close(f);
	add(K_MAPS_QUERY, t0, 1);
}

static void one_pid(int rootfd, const char *pid)
{
	static int fds[MAX_FDS];
	static bool dmabuf[MAX_FDS];
	int64_t t0 = now_ns();
	int nfds, nd, f;

	f = openat(rootfd, pid, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f >= 0)
		close(f);
	add(K_PID, t0, 1);
	nfds = links(rootfd, pid, fds, dmabuf, &nd);
	if (nfds < 0)
		return;
	fdinfos(rootfd, pid, fds, dmabuf, nfds);
	read_all(rootfd, pid, "maps", K_MAPS);
	query_maps(rootfd, pid);
	if (nd) /* the scanner reads comm of holders only */
		read_all(rootfd, pid, "comm", K_COMM);
}

static void round_(const char *root)
{
	char dents[8192] __attribute__((aligned(8)));
	struct dirent64 *d;
	ssize_t n, off;
	int rootfd;

	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		perror(root);
		exit(1);
	}
	while ((n = getdents64(rootfd, dents, sizeof(dents))) > 0)
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			if (d->d_name[0] >= '0' && d->d_name[0] <= '9')
				one_pid(rootfd, d->d_name);
		}
	close(rootfd);
}

int main(int argc, char **argv)
{
	const char *root = "/proc";
	int opt, rounds = 3, i;
	double ms[K_N], floor_ms, extra_ms, direct_ms, link_ms;

	while ((opt = getopt(argc, argv, "r:n:")) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: dmabuf-cost [-r ROOT] [-n ROUNDS]\n");
			return 2;
		}
	}
	if (rounds < 1)
		return 2;
	round_(root);
	timing = true;
	for (i = 0; i < rounds; i++)
		round_(root);
	for (i = 0; i < K_N; i++) {
		ms[i] = ns[i] / 1e6 / rounds;
		printf("cost %s ops=%llu us_per_op=%.1f total_ms=%.1f\n",
		       names[i], (unsigned long long)(ops[i] / rounds),
		       ops[i] ? ns[i] / 1e3 / ops[i] : 0.0, ms[i]);
	}
	floor_ms = ms[K_FDINFO_DIR] + ms[K_FDINFO_DMABUF] + ms[K_FDINFO_OTHER];
	extra_ms = ms[K_PID] + ms[K_MAPS] + ms[K_COMM];
	direct_ms = floor_ms + extra_ms;
	link_ms = ms[K_LINK_DIR] + ms[K_LINK_DMABUF] + ms[K_LINK_OTHER] +
		  ms[K_FDINFO_DMABUF] + extra_ms;
	printf("model floor_ms=%.1f pid_maps_comm_ms=%.1f direct_ms=%.1f (%.2fx) link_ms=%.1f (%.2fx)\n",
	       floor_ms, extra_ms, direct_ms, direct_ms / floor_ms, link_ms,
	       link_ms / floor_ms);
	if (ops[K_MAPS_QUERY]) {
		extra_ms += ms[K_MAPS_QUERY] - ms[K_MAPS];
		direct_ms += ms[K_MAPS_QUERY] - ms[K_MAPS];
		link_ms += ms[K_MAPS_QUERY] - ms[K_MAPS];
		printf("model_query floor_ms=%.1f pid_maps_comm_ms=%.1f direct_ms=%.1f (%.2fx) link_ms=%.1f (%.2fx)\n",
		       floor_ms, extra_ms, direct_ms, direct_ms / floor_ms,
		       link_ms, link_ms / floor_ms);
	}
	return 0;
}
