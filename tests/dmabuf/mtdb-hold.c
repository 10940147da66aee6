// SPDX-License-Identifier: GPL-2.0
/*
 * mtdb-hold: sets up real dma-bufs in known per-process arrangements and
 * holds them, so that a per-process dma-buf scanner can be checked against
 * exact figures.  Used inside the test VMs (tests/kernel/dmabuf-*.sh);
 * built by tests/dmabuf/build.sh.
 *
 *   mtdb-hold --source udmabuf|heap|exporter [--unit BYTES] [--name NAME]
 *             [--no-stdin] SCENARIO...
 *   mtdb-hold --source exporter --check-errors
 *
 * Sources: "udmabuf" (memfd_create + F_SEAL_SHRINK + UDMABUF_CREATE on
 * /dev/udmabuf; exp_name "udmabuf"), "heap" (DMA_HEAP_IOCTL_ALLOC on
 * /dev/dma_heap/system; exp_name "system"), "exporter" (MTDB_IOC_ALLOC on
 * /dev/memtrack_dmabuf of memtrack_dmabuf_exporter.ko; exp_name
 * "memtrack_dmabuf").  Every buffer is opened O_RDWR | O_CLOEXEC.
 *
 * Scenarios (any subset, "all" for every one; buffer sizes are multiples of
 * --unit, default 64 KiB, so every buffer has its own size):
 *
 *   fd    buffer "fd" (1 unit): held by main through two fds (dup).
 *   map   buffer "map1" (2 units): mmap'ed by main, then its fd closed (one
 *         VMA, no fd); buffer "map2" (3 units): mmap'ed twice, fd closed
 *         (two VMAs, no fd).
 *   fork  buffer "fork" (4 units): main forks "fork-child"; both keep the
 *         fd.
 *   scm   buffer "scm" (5 units): sent over a unix socket with SCM_RIGHTS
 *         to "receiver", which keeps it; main closes its own fd.
 *   name  buffer "name" (6 units): named with DMA_BUF_SET_NAME (--name,
 *         default "mtdb-named"), held by main through one fd and one VMA.
 *   private  (exporter only, not part of "all") buffer "private" (7
 *         units, MTDB_ALLOC_PRIVATE_MAP): mapped MAP_PRIVATE, PROT_READ by
 *         main, then its fd closed (one VMA, no fd).
 *
 * Other mappings are MAP_SHARED, PROT_READ | PROT_WRITE, whole buffer;
 * every page is written through one shared mapping and read back through
 * every other one.  Helper processes keep only stdin/stdout/stderr, their control
 * socket and their own buffer: everything else inherited from main is
 * closed or unmapped before they report ready.  Each new buffer is checked
 * against fstat() and /proc/self/fdinfo (size, ino, exp_name and, once
 * named, name).
 *
 * Output (stdout, one record per line, "key=value" words), then it waits:
 *
 *   source name=S exp_name=E page_size=P unit=U
 *   proc pid=PID role=main|fork-child|receiver comm=COMM
 *   buf id=ID scenario=SC ino=INO size=BYTES exp_name=E name=NAME|- procs=N refs=R
 *   hold pid=PID role=ROLE buf=ID ino=INO fds=F vmas=V vma_bytes=B
 *   expect pid=PID role=ROLE bufs=N fd_bytes=B map_bytes=B vma_bytes=B
 *          fd_only_bytes=B map_only_bytes=B total_bytes=B pss=B
 *   ready
 *
 * "procs" is the number of processes holding the buffer by fd or mapping;
 * "refs" the references on its file from fd tables and VMAs, which is what
 * fdinfo's "count:" and bufinfo's count show with no kernel user.  One
 * "hold" per process and buffer it holds (any fd or VMA).  Per process:
 * fd_bytes sums the sizes of the buffers it has an fd on (once per
 * buffer, whatever the number of fds), map_bytes those it has mapped (once
 * per buffer), vma_bytes the lengths of its dma-buf VMAs (each VMA),
 * fd_only_bytes the buffers with an fd and no mapping, map_only_bytes the
 * buffers mapped with no fd, total_bytes the buffers held either way, and
 * pss the sum over those of size / procs (rounded down per buffer).
 *
 * It then waits until stdin reaches end of file (unless --no-stdin) or
 * SIGTERM, SIGINT or SIGHUP arrives, tells its helpers to exit, waits for
 * them and prints "done status=0" (exit 0), or an error on stderr (exit
 * 1).  A helper whose main process dies exits too.
 *
 * --check-errors (exporter): tries MTDB_IOC_ALLOC with bad arguments and
 * the mmaps the exporter must refuse, one line per case
 *   errcheck case=NAME want=ERRNO got=ERRNO|0 ok=0|1
 * then "errcheck fds_leaked=N", and exits 0 when every case is ok and no
 * fd was left behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "memtrack_dmabuf_exporter.h"

#define MAX_BUFS	8
#define MAX_PROCS	3
#define MAX_MAPS	8
#define MAX_KEEP	4

enum source { SRC_UDMABUF, SRC_HEAP, SRC_EXPORTER };

static const struct {
	const char *name;
	const char *exp_name;
	const char *dev;
} sources[] = {
	[SRC_UDMABUF] = { "udmabuf", "udmabuf", "/dev/udmabuf" },
	[SRC_HEAP] = { "heap", "system", "/dev/dma_heap/system" },
	[SRC_EXPORTER] = { "exporter", MTDB_EXP_NAME, MTDB_DEVICE },
};

enum { P_MAIN, P_FORK, P_RECV };

struct proc {
	pid_t pid;
	const char *role;
	const char *comm;	/* set with PR_SET_NAME, so scanners see it */
	int sock;	/* main's end of the control socket, -1 for main */
	bool used;
};

struct buf {
	const char *id;
	const char *scenario;
	uint64_t size;
	ino_t ino;
	char exp_name[64];
	char name[DMA_BUF_NAME_LEN];
	int fds[MAX_PROCS];
	int vmas[MAX_PROCS];
	uint64_t vma_bytes[MAX_PROCS];
};

struct mapping {
	void *addr;
	size_t len;
};

static enum source src;
static uint64_t unit = 64 * 1024;
static long page_size;
static const char *set_name = "mtdb-named";
static int dev_fd = -1;

static struct proc procs[MAX_PROCS] = {
	[P_MAIN] = { .role = "main", .comm = "mtdb-hold", .sock = -1 },
	[P_FORK] = { .role = "fork-child", .comm = "mtdb-child", .sock = -1 },
	[P_RECV] = { .role = "receiver", .comm = "mtdb-receiver", .sock = -1 },
};
static struct buf bufs[MAX_BUFS];
static int nbufs;
static struct mapping maps[MAX_MAPS];
static int nmaps;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "mtdb-hold[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* helpers must not run main's atexit handlers or flush its stdio */
	if (procs[P_MAIN].pid && getpid() != procs[P_MAIN].pid)
		_exit(1);
	exit(1);
}

/* ---- sources ------------------------------------------------------------ */

static int open_dev(void)
{
	if (dev_fd < 0) {
		dev_fd = open(sources[src].dev, O_RDWR | O_CLOEXEC);
		if (dev_fd < 0)
			die("open %s: %m", sources[src].dev);
	}
	return dev_fd;
}

static void close_dev(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
	dev_fd = -1;
}

/* A new dma-buf of SIZE bytes from the source, or -errno. */
static int source_alloc(uint64_t size, uint32_t flags)
{
	int dev = open_dev(), fd, memfd;

	if (flags && src != SRC_EXPORTER)
		return -EINVAL;
	switch (src) {
	case SRC_UDMABUF: {
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };

		memfd = memfd_create("mtdb-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		if (memfd < 0)
			die("memfd_create: %m");
		if (ftruncate(memfd, size) < 0)
			die("ftruncate memfd: %m");
		if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
			die("F_ADD_SEALS F_SEAL_SHRINK: %m");
		c.memfd = memfd;
		fd = ioctl(dev, UDMABUF_CREATE, &c);
		if (fd < 0)
			fd = -errno;
		/* the udmabuf holds the pages; the memfd is not needed */
		close(memfd);
		return fd;
	}
	case SRC_HEAP: {
		struct dma_heap_allocation_data a = {
			.len = size,
			.fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &a) < 0)
			return -errno;
		return a.fd;
	}
	case SRC_EXPORTER: {
		struct mtdb_alloc a = { .size = size, .flags = flags };

		if (ioctl(dev, MTDB_IOC_ALLOC, &a) < 0)
			return -errno;
		return a.fd;
	}
	}
	return -EINVAL;
}

/* ---- /proc/self/fdinfo -------------------------------------------------- */

struct fdinfo {
	uint64_t size;
	long count;
	unsigned long ino;
	char exp_name[64];
	char name[DMA_BUF_NAME_LEN];
	bool has_size, has_count, has_ino, has_exp_name, has_name;
};

static void read_fdinfo(int fd, struct fdinfo *fi)
{
	char path[64], line[256];
	FILE *f;

	memset(fi, 0, sizeof(*fi));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		die("open %s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "size")) {
			fi->size = strtoull(v, NULL, 10);
			fi->has_size = true;
		} else if (!strcmp(line, "count")) {
			fi->count = strtol(v, NULL, 10);
			fi->has_count = true;
		} else if (!strcmp(line, "ino")) {
			fi->ino = strtoul(v, NULL, 10);
			fi->has_ino = true;
		} else if (!strcmp(line, "exp_name")) {
			snprintf(fi->exp_name, sizeof(fi->exp_name), "%s", v);
			fi->has_exp_name = true;
		} else if (!strcmp(line, "name")) {
			snprintf(fi->name, sizeof(fi->name), "%s", v);
			fi->has_name = true;
		}
	}
	fclose(f);
}

/* ---- buffers ------------------------------------------------------------ */

/* Allocate buffer ID of UNITS units (FLAGS: MTDB_ALLOC_*), check it, return its fd. */
static int new_buf(const char *id, const char *scenario, int units, uint32_t flags,
		   struct buf **out)
{
	struct buf *b = &bufs[nbufs++];
	struct fdinfo fi;
	struct stat st;
	int fd;

	b->id = id;
	b->scenario = scenario;
	b->size = unit * units;
	fd = source_alloc(b->size, flags);
	if (fd < 0)
		die("%s: allocating %" PRIu64 " bytes from %s: %s", id, b->size,
		    sources[src].name, strerror(-fd));
	if (fstat(fd, &st) < 0)
		die("%s: fstat: %m", id);
	b->ino = st.st_ino;
	if ((uint64_t)st.st_size != b->size)
		die("%s: fstat size %lld, want %" PRIu64, id, (long long)st.st_size, b->size);
	read_fdinfo(fd, &fi);
	if (!fi.has_exp_name || !fi.has_size || !fi.has_ino)
		die("%s: fd %d: fdinfo has no exp_name/size/ino: not a dma-buf?", id, fd);
	if (fi.size != b->size || fi.ino != (unsigned long)b->ino)
		die("%s: fdinfo size %" PRIu64 " ino %lu, fstat says %" PRIu64 " %lu",
		    id, fi.size, fi.ino, b->size, (unsigned long)b->ino);
	if (strcmp(fi.exp_name, sources[src].exp_name))
		die("%s: fdinfo exp_name '%s', want '%s'", id, fi.exp_name, sources[src].exp_name);
	if (fi.has_name)
		die("%s: new buffer already named '%s'", id, fi.name);
	snprintf(b->exp_name, sizeof(b->exp_name), "%s", fi.exp_name);
	*out = b;
	return fd;
}

/* MAP_SHARED and writable, or MAP_PRIVATE and read-only */
static void *map_buf(struct buf *b, int fd, int type)
{
	void *p = mmap(NULL, b->size, type == MAP_SHARED ? PROT_READ | PROT_WRITE : PROT_READ,
		       type, fd, 0);

	if (p == MAP_FAILED)
		die("%s: mmap: %m", b->id);
	if (nmaps == MAX_MAPS)
		die("too many mappings");
	maps[nmaps++] = (struct mapping){ p, b->size };
	b->vmas[P_MAIN]++;
	b->vma_bytes[P_MAIN] += b->size;
	return p;
}

/* Write a pattern through views[0], check it through every view. */
static void check_pages(struct buf *b, unsigned char **views, int nviews)
{
	uint64_t off;
	int i;

	for (off = 0; off < b->size; off += page_size)
		views[0][off] = (unsigned char)(b->ino + off / page_size);
	for (i = 0; i < nviews; i++)
		for (off = 0; off < b->size; off += page_size)
			if (views[i][off] != (unsigned char)(b->ino + off / page_size))
				die("%s: mapping %d does not show the buffer at offset %" PRIu64,
				    b->id, i, off);
}

/* ---- helper processes --------------------------------------------------- */

static bool in_list(int fd, const int *keep, int nkeep)
{
	int i;

	for (i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/*
 * In a new helper: drop every fd but stdio and KEEP, and every dma-buf
 * mapping of main's, so that it holds exactly what the scenario says.
 */
static void sanitize(const int *keep, int nkeep)
{
	int fds[256], n = 0, i, dfd;
	struct dirent *e;
	sigset_t all;
	DIR *d;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die("PR_SET_PDEATHSIG: %m");
	if (getppid() != procs[P_MAIN].pid)
		die("main exited before the helper started");

	d = opendir("/proc/self/fd");
	if (!d)
		die("opendir /proc/self/fd: %m");
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd <= 2 || fd == dfd || in_list(fd, keep, nkeep))
			continue;
		if (n == (int)(sizeof(fds) / sizeof(fds[0])))
			die("too many fds");
		fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		close(fds[i]);
	for (i = 0; i < nmaps; i++)
		if (munmap(maps[i].addr, maps[i].len) < 0)
			die("munmap: %m");
	nmaps = 0;
	dev_fd = -1;
}

static void send_line(int sock, const char *s)
{
	if (send(sock, s, strlen(s), MSG_NOSIGNAL) < 0)
		die("send: %m");
}

/* Wait for "ok..." from helper P; die with what it said otherwise. */
static void expect_ok(int p, char *reply, size_t len)
{
	char tmp[128];
	ssize_t n;

	if (!reply) {
		reply = tmp;
		len = sizeof(tmp);
	}
	n = recv(procs[p].sock, reply, len - 1, 0);
	if (n <= 0)
		die("%s (pid %d) died (%s)", procs[p].role, (int)procs[p].pid,
		    n < 0 ? strerror(errno) : "end of file");
	reply[n] = '\0';
	if (strncmp(reply, "ok", 2))
		die("%s (pid %d): %s", procs[p].role, (int)procs[p].pid, reply);
}

/* Helpers end when main closes its end of the socket (or dies). */
static void __attribute__((noreturn)) helper_wait(int sock)
{
	char c[64];

	while (recv(sock, c, sizeof(c), 0) > 0)
		;
	_exit(0);
}

/*
 * Fork helper P with a control socket; the child runs FN(sock, ARG) (ARG:
 * an fd it keeps, or -1) and answers "ok..." when ready, kept in REPLY.
 */
static void start_helper(int p, void (*fn)(int sock, int arg), int arg,
			 char *reply, size_t len)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %m");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %m");
	if (pid == 0) {
		int keep[MAX_KEEP] = { sv[1], arg };

		sanitize(keep, arg >= 0 ? 2 : 1);
		if (prctl(PR_SET_NAME, procs[p].comm) < 0)
			die("PR_SET_NAME: %m");
		fn(sv[1], arg);
		_exit(1);
	}
	close(sv[1]);
	procs[p].pid = pid;
	procs[p].sock = sv[0];
	procs[p].used = true;
	expect_ok(p, reply, len);
}

static void fork_child_fn(int sock, int bfd)
{
	struct stat st;
	char msg[64];

	if (fstat(bfd, &st) < 0)
		die("fork-child: fstat inherited fd %d: %m", bfd);
	snprintf(msg, sizeof(msg), "ok ino=%lu", (unsigned long)st.st_ino);
	send_line(sock, msg);
	helper_wait(sock);
}

/* Receives dma-bufs with SCM_RIGHTS, each with "ino=N"; keeps them. */
static void receiver_fn(int sock, int unused __attribute__((unused)))
{
	char data[64], msg[96];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { data, sizeof(data) - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct cmsghdr *c;
	struct stat st;
	unsigned long want;
	ssize_t n;
	int fd;

	send_line(sock, "ok");
	for (;;) {
		mh.msg_controllen = sizeof(ctl.b);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			_exit(n < 0);
		data[n] = '\0';
		c = CMSG_FIRSTHDR(&mh);
		if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    (mh.msg_flags & MSG_CTRUNC)) {
			send_line(sock, "error: message without exactly one fd");
			continue;
		}
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		if (sscanf(data, "ino=%lu", &want) != 1 || fstat(fd, &st) < 0 ||
		    st.st_ino != want) {
			snprintf(msg, sizeof(msg), "error: fd %d is not ino %s", fd, data);
			send_line(sock, msg);
			continue;
		}
		snprintf(msg, sizeof(msg), "ok fd=%d", fd);
		send_line(sock, msg);
	}
}

static void send_fd(int sock, int fd, ino_t ino)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	char data[32];
	struct iovec iov = { data, 0 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	struct cmsghdr *c;

	iov.iov_len = snprintf(data, sizeof(data), "ino=%lu", (unsigned long)ino);
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		die("sendmsg SCM_RIGHTS: %m");
}

/* ---- scenarios ---------------------------------------------------------- */

enum {
	SC_FD = 1 << 0,
	SC_MAP = 1 << 1,
	SC_FORK = 1 << 2,
	SC_SCM = 1 << 3,
	SC_NAME = 1 << 4,
	SC_ALL = (1 << 5) - 1,
	SC_PRIVATE = 1 << 5,	/* not in "all": the exporter's only */
};

static void scenario_fork(void)
{
	char reply[64];
	unsigned long ino;
	struct buf *b;
	int fd = new_buf("fork", "fork", 4, 0, &b);

	start_helper(P_FORK, fork_child_fn, fd, reply, sizeof(reply));
	if (sscanf(reply, "ok ino=%lu", &ino) != 1 || ino != (unsigned long)b->ino)
		die("fork-child: '%s', want ino=%lu", reply, (unsigned long)b->ino);
	b->fds[P_MAIN] = 1;
	b->fds[P_FORK] = 1;
}

static void scenario_fd(void)
{
	struct buf *b;
	int fd = new_buf("fd", "fd", 1, 0, &b);

	if (dup(fd) < 0)
		die("dup: %m");
	b->fds[P_MAIN] = 2;
}

static void scenario_map(void)
{
	unsigned char *v[2];
	struct buf *b;
	int fd;

	fd = new_buf("map1", "map", 2, 0, &b);
	v[0] = map_buf(b, fd, MAP_SHARED);
	close(fd);
	check_pages(b, v, 1);

	fd = new_buf("map2", "map", 3, 0, &b);
	v[0] = map_buf(b, fd, MAP_SHARED);
	v[1] = map_buf(b, fd, MAP_SHARED);
	close(fd);
	check_pages(b, v, 2);
}

static void scenario_scm(void)
{
	char reply[64];
	struct buf *b;
	int fd = new_buf("scm", "scm", 5, 0, &b);

	send_fd(procs[P_RECV].sock, fd, b->ino);
	expect_ok(P_RECV, reply, sizeof(reply));
	close(fd);
	b->fds[P_RECV] = 1;
}

static void scenario_name(void)
{
	unsigned char *v[1];
	struct fdinfo fi;
	struct buf *b;
	int fd = new_buf("name", "name", 6, 0, &b);

	if (ioctl(fd, DMA_BUF_SET_NAME, set_name) < 0)
		die("DMA_BUF_SET_NAME '%s': %m", set_name);
	read_fdinfo(fd, &fi);
	if (!fi.has_name || strcmp(fi.name, set_name))
		die("name: fdinfo name '%s', want '%s'", fi.has_name ? fi.name : "(none)",
		    set_name);
	snprintf(b->name, sizeof(b->name), "%s", set_name);
	v[0] = map_buf(b, fd, MAP_SHARED);
	check_pages(b, v, 1);
	b->fds[P_MAIN] = 1;
}

/*
 * The pattern goes in through a shared mapping that is unmapped again, so
 * main keeps only the private one; a reader sees the buffer's pages until
 * it writes.
 */
static void scenario_private(void)
{
	unsigned char *v[2];
	struct buf *b;
	int fd;

	if (src != SRC_EXPORTER)
		die("private: only --source exporter allows MAP_PRIVATE");
	fd = new_buf("private", "private", 7, MTDB_ALLOC_PRIVATE_MAP, &b);
	v[0] = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v[0] == MAP_FAILED)
		die("private: mmap MAP_SHARED: %m");
	v[1] = map_buf(b, fd, MAP_PRIVATE);
	close(fd);
	check_pages(b, v, 2);
	if (munmap(v[0], b->size) < 0)
		die("private: munmap: %m");
}

/* ---- the report --------------------------------------------------------- */

static int buf_procs(const struct buf *b)
{
	int p, n = 0;

	for (p = 0; p < MAX_PROCS; p++)
		n += b->fds[p] || b->vmas[p];
	return n;
}

static void report(void)
{
	int p, i;

	printf("source name=%s exp_name=%s page_size=%ld unit=%" PRIu64 "\n",
	       sources[src].name, sources[src].exp_name, page_size, unit);
	for (p = 0; p < MAX_PROCS; p++)
		if (procs[p].used)
			printf("proc pid=%d role=%s comm=%s\n", (int)procs[p].pid, procs[p].role,
			       procs[p].comm);
	for (i = 0; i < nbufs; i++) {
		const struct buf *b = &bufs[i];
		int refs = 0;

		for (p = 0; p < MAX_PROCS; p++)
			refs += b->fds[p] + b->vmas[p];
		printf("buf id=%s scenario=%s ino=%lu size=%" PRIu64 " exp_name=%s name=%s procs=%d refs=%d\n",
		       b->id, b->scenario, (unsigned long)b->ino, b->size, b->exp_name,
		       b->name[0] ? b->name : "-", buf_procs(b), refs);
	}
	for (p = 0; p < MAX_PROCS; p++) {
		uint64_t fd_b = 0, map_b = 0, vma_b = 0, fd_only = 0, map_only = 0;
		uint64_t total = 0, pss = 0;
		int n = 0;

		if (!procs[p].used)
			continue;
		for (i = 0; i < nbufs; i++) {
			const struct buf *b = &bufs[i];

			if (!b->fds[p] && !b->vmas[p])
				continue;
			printf("hold pid=%d role=%s buf=%s ino=%lu fds=%d vmas=%d vma_bytes=%" PRIu64 "\n",
			       (int)procs[p].pid, procs[p].role, b->id, (unsigned long)b->ino,
			       b->fds[p], b->vmas[p], b->vma_bytes[p]);
			n++;
			total += b->size;
			pss += b->size / buf_procs(b);
			vma_b += b->vma_bytes[p];
			if (b->fds[p])
				fd_b += b->size;
			if (b->vmas[p])
				map_b += b->size;
			if (b->fds[p] && !b->vmas[p])
				fd_only += b->size;
			if (b->vmas[p] && !b->fds[p])
				map_only += b->size;
		}
		printf("expect pid=%d role=%s bufs=%d fd_bytes=%" PRIu64 " map_bytes=%" PRIu64
		       " vma_bytes=%" PRIu64 " fd_only_bytes=%" PRIu64 " map_only_bytes=%" PRIu64
		       " total_bytes=%" PRIu64 " pss=%" PRIu64 "\n",
		       (int)procs[p].pid, procs[p].role, n, fd_b, map_b, vma_b, fd_only,
		       map_only, total, pss);
	}
	printf("ready\n");
	fflush(stdout);
}

/* ---- waiting ------------------------------------------------------------ */

static int wait_end(bool use_stdin)
{
	struct pollfd pfd[2 + MAX_PROCS];
	struct signalfd_siginfo si;
	int np, p, sfd, status = 0;
	sigset_t set;
	char c[256];

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd: %m");
	for (;;) {
		np = 0;
		pfd[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = use_stdin ? 0 : -1, .events = POLLIN };
		for (p = P_FORK; p < MAX_PROCS; p++)
			pfd[np++] = (struct pollfd){ .fd = procs[p].used ? procs[p].sock : -1,
						     .events = POLLIN };
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %m");
		}
		if (pfd[0].revents) {
			if (read(sfd, &si, sizeof(si)) < 0)
				die("read signalfd: %m");
			break;
		}
		if (pfd[1].revents) {
			ssize_t n = read(0, c, sizeof(c));

			if (n <= 0)
				break;
		}
		for (p = P_FORK; p < MAX_PROCS; p++)
			if (pfd[2 + p - P_FORK].revents) {
				fprintf(stderr, "mtdb-hold: %s (pid %d) went away early\n",
					procs[p].role, (int)procs[p].pid);
				status = 1;
				goto out;
			}
	}
out:
	close(sfd);
	for (p = P_FORK; p < MAX_PROCS; p++) {
		int ws;

		if (!procs[p].used)
			continue;
		close(procs[p].sock);
		if (waitpid(procs[p].pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws)) {
			fprintf(stderr, "mtdb-hold: %s (pid %d) did not exit cleanly\n",
				procs[p].role, (int)procs[p].pid);
			status = 1;
		}
	}
	return status;
}

/* ---- --check-errors ----------------------------------------------------- */

static int count_fds(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		die("opendir /proc/self/fd: %m");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static bool errcase(const char *name, int want, int got)
{
	bool ok = got == want;

	printf("errcheck case=%s want=%s got=%s ok=%d\n", name, strerrorname_np(want),
	       got ? strerrorname_np(got) : "0", ok);
	return ok;
}

static int alloc_errno(struct mtdb_alloc *a)
{
	return ioctl(dev_fd, MTDB_IOC_ALLOC, a) < 0 ? errno : 0;
}

static int check_errors(void)
{
	struct mtdb_alloc a, *ro;
	int before, fd, bad = 0;
	void *p;

	if (src != SRC_EXPORTER)
		die("--check-errors needs --source exporter");
	open_dev();
	before = count_fds();

	a = (struct mtdb_alloc){ .size = 0 };
	bad += !errcase("zero-size", EINVAL, alloc_errno(&a));
	a = (struct mtdb_alloc){ .size = page_size + 1 };
	bad += !errcase("unaligned-size", EINVAL, alloc_errno(&a));
	a = (struct mtdb_alloc){ .size = MTDB_MAX_SIZE + page_size };
	bad += !errcase("too-big", EINVAL, alloc_errno(&a));
	a = (struct mtdb_alloc){ .size = page_size, .flags = MTDB_ALLOC_PRIVATE_MAP << 1 };
	bad += !errcase("flags", EINVAL, alloc_errno(&a));
	bad += !errcase("null-arg", EFAULT,
			ioctl(dev_fd, MTDB_IOC_ALLOC, NULL) < 0 ? errno : 0);
	bad += !errcase("unknown-ioctl", ENOTTY,
			ioctl(dev_fd, _IO('M', 0xdc)) < 0 ? errno : 0);

	/* readable but not writable: the buffer is made, then dropped */
	ro = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap: %m");
	*ro = (struct mtdb_alloc){ .size = page_size };
	if (mprotect(ro, page_size, PROT_READ) < 0)
		die("mprotect: %m");
	bad += !errcase("readonly-arg", EFAULT, alloc_errno(ro));
	munmap(ro, page_size);

	a = (struct mtdb_alloc){ .size = MTDB_MAX_SIZE };
	bad += !errcase("max-size", 0, alloc_errno(&a));
	if (a.fd >= 0)
		close(a.fd);

	a = (struct mtdb_alloc){ .size = 2 * page_size };
	bad += !errcase("alloc", 0, alloc_errno(&a));
	fd = a.fd;
	p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	bad += !errcase("mmap-private", EINVAL, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, 2 * page_size);
	p = mmap(NULL, 3 * page_size, PROT_READ, MAP_SHARED, fd, 0);
	bad += !errcase("mmap-beyond-end", EINVAL, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, 3 * page_size);
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, page_size);
	bad += !errcase("mmap-second-page", 0, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, page_size);
	p = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE, fd, 0);
	bad += !errcase("mmap-private-readonly", EINVAL, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, page_size);
	close(fd);

	a = (struct mtdb_alloc){ .size = 2 * page_size, .flags = MTDB_ALLOC_PRIVATE_MAP };
	bad += !errcase("alloc-private-map", 0, alloc_errno(&a));
	fd = a.fd;
	p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	bad += !errcase("private-map-writable", EINVAL, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, 2 * page_size);
	p = mmap(NULL, 2 * page_size, PROT_READ, MAP_PRIVATE, fd, 0);
	bad += !errcase("private-map-readonly", 0, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, 2 * page_size);
	close(fd);

	printf("errcheck fds_leaked=%d\n", count_fds() - before);
	bad += count_fds() != before;
	close_dev();
	fflush(stdout);
	return bad ? 1 : 0;
}

/* ---- main --------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: mtdb-hold --source udmabuf|heap|exporter [--unit BYTES] [--name NAME]\n"
		"                 [--no-stdin] fd|map|fork|scm|name|private|all...\n"
		"       mtdb-hold --source exporter --check-errors\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "unit", required_argument, NULL, 'u' },
		{ "name", required_argument, NULL, 'n' },
		{ "no-stdin", no_argument, NULL, 'N' },
		{ "check-errors", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool use_stdin = true, errors = false, have_src = false;
	unsigned int sc = 0;
	sigset_t set;
	size_t i;
	char *end;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
				if (!strcmp(optarg, sources[i].name))
					break;
			if (i == sizeof(sources) / sizeof(sources[0]))
				usage(1);
			src = i;
			have_src = true;
			break;
		case 'u':
			errno = 0;
			unit = strtoull(optarg, &end, 0);
			if (errno || *end || !unit || unit % page_size)
				die("--unit must be a positive multiple of %ld", page_size);
			break;
		case 'n':
			if (!*optarg || strlen(optarg) >= DMA_BUF_NAME_LEN ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._-") != strlen(optarg))
				die("--name: 1 to %d characters of [A-Za-z0-9._-]",
				    DMA_BUF_NAME_LEN - 1);
			set_name = optarg;
			break;
		case 'N':
			use_stdin = false;
			break;
		case 'E':
			errors = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (!have_src)
		usage(1);
	if (errors)
		return check_errors();
	for (; optind < argc; optind++) {
		const char *a = argv[optind];

		if (!strcmp(a, "fd"))
			sc |= SC_FD;
		else if (!strcmp(a, "map"))
			sc |= SC_MAP;
		else if (!strcmp(a, "fork"))
			sc |= SC_FORK;
		else if (!strcmp(a, "scm"))
			sc |= SC_SCM;
		else if (!strcmp(a, "name"))
			sc |= SC_NAME;
		else if (!strcmp(a, "private"))
			sc |= SC_PRIVATE;
		else if (!strcmp(a, "all"))
			sc |= SC_ALL;
		else
			usage(1);
	}
	if (!sc)
		usage(1);

	procs[P_MAIN].pid = getpid();
	procs[P_MAIN].used = true;
	/* a known comm whatever the binary is called */
	if (prctl(PR_SET_NAME, procs[P_MAIN].comm) < 0)
		die("PR_SET_NAME: %m");
	/* signals are read from a signalfd; helpers unblock them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The receiver first, so that it inherits no buffer at all. */
	if (sc & SC_SCM)
		start_helper(P_RECV, receiver_fn, -1, NULL, 0);
	if (sc & SC_FORK)
		scenario_fork();
	if (sc & SC_FD)
		scenario_fd();
	if (sc & SC_MAP)
		scenario_map();
	if (sc & SC_SCM)
		scenario_scm();
	if (sc & SC_NAME)
		scenario_name();
	if (sc & SC_PRIVATE)
		scenario_private();
	close_dev();

	report();
	c = wait_end(use_stdin);
	if (!c)
		printf("done status=0\n");
	return c;
}
