// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-mass: many processes holding many dma-bufs, for the dma-buf
 * scanner benchmark (tests/bench/dmabuf-bench.sh).
 *
 *   dmabuf-mass [-p PROCS] [-b BUFS] [-x EXTRA] [-m MAXPAGES]
 *               [-s exporter|heap]
 *
 * Forks PROCS children (default 500).  Each allocates BUFS dma-bufs
 * (default 20) from the source (default "exporter": MTDB_IOC_ALLOC on
 * /dev/memtrack_dmabuf; "heap": /dev/dma_heap/system, 6.12 only), then
 * opens EXTRA other fds (default 0): pipe ends and read-only opens of its
 * own executable (a regular file), alternately.  Buffer k (counted over
 * all children) is 1 + k % MAXPAGES pages (default 4), so the total is
 * known exactly.  A child has nothing else open but stdin, stdout and
 * stderr (/dev/null) and maps no buffer.
 *
 * Output on stdout, once every child is ready:
 *   proc pid=PID fds=BUFS bytes=B          (one per child)
 *   expect procs=P buffers=N bytes=B extra_fds=X exp_name=E
 *   ready
 * then it waits for SIGTERM, SIGINT or SIGHUP, kills the children, reaps
 * them and exits 0.  Children die with it
 * (PR_SET_PDEATHSIG).  Any failure: a message on stderr, exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-heap.h>

#include "memtrack_dmabuf_exporter.h"

static int nprocs = 500, nbufs = 20, nextra, maxpages = 4;
static int heap;
static long page_size;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dmabuf-mass[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int alloc_buf(int dev, uint64_t size)
{
	if (heap) {
		struct dma_heap_allocation_data a = {
			.len = size,
			.fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &a) < 0)
			return -errno;
		return a.fd;
	} else {
		struct mtdb_alloc a = { .size = size };

		if (ioctl(dev, MTDB_IOC_ALLOC, &a) < 0)
			return -errno;
		return a.fd;
	}
}

static uint64_t buf_size(int child, int j)
{
	return (uint64_t)page_size *
	       (1 + ((uint64_t)child * nbufs + j) % maxpages);
}

/* Child @i: allocate, open the extras, report ready on @ready, wait. */
static void __attribute__((noreturn)) child(int i, int dev, int ready)
{
	int j, fd, null, p[2];
	char c = 'r';

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die("PR_SET_PDEATHSIG: %m");
	null = open("/dev/null", O_RDWR);
	if (null < 0)
		die("/dev/null: %m");
	for (j = 0; j < 3; j++)
		if (dup2(null, j) < 0)
			die("dup2: %m");
	close(null);
	for (j = 0; j < nbufs; j++) {
		fd = alloc_buf(dev, buf_size(i, j));
		if (fd < 0)
			die("child %d: allocating buffer %d: %s", i, j,
			    strerror(-fd));
	}
	close(dev);
	for (j = 0; j < nextra;) {
		if (j % 4 == 0 && nextra - j >= 2) {
			if (pipe2(p, O_CLOEXEC) < 0)
				die("pipe: %m");
			j += 2;
		} else {
			if (open("/proc/self/exe", O_RDONLY | O_CLOEXEC) < 0)
				die("open /proc/self/exe: %m");
			j++;
		}
	}
	if (write(ready, &c, 1) != 1)
		die("ready: %m");
	close(ready);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int opt, i, j, dev, rp[2], sfd, ready = 0;
	uint64_t total = 0, bytes;
	struct signalfd_siginfo si;
	pid_t *pids;
	sigset_t ss;
	char c;

	while ((opt = getopt(argc, argv, "p:b:x:m:s:")) != -1) {
		switch (opt) {
		case 'p':
			nprocs = atoi(optarg);
			break;
		case 'b':
			nbufs = atoi(optarg);
			break;
		case 'x':
			nextra = atoi(optarg);
			break;
		case 'm':
			maxpages = atoi(optarg);
			break;
		case 's':
			if (!strcmp(optarg, "heap"))
				heap = 1;
			else if (strcmp(optarg, "exporter"))
				die("unknown source '%s'", optarg);
			break;
		default:
			fprintf(stderr,
				"usage: dmabuf-mass [-p PROCS] [-b BUFS] [-x EXTRA] [-m MAXPAGES] [-s exporter|heap]\n");
			return 2;
		}
	}
	if (nprocs < 1 || nbufs < 0 || nextra < 0 || maxpages < 1)
		die("bad arguments");
	page_size = sysconf(_SC_PAGESIZE);
	pids = calloc(nprocs, sizeof(*pids));
	if (!pids)
		die("out of memory");

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
		die("sigprocmask: %m");
	sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd: %m");

	dev = open(heap ? "/dev/dma_heap/system" : MTDB_DEVICE,
		   O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open %s: %m", heap ? "/dev/dma_heap/system" : MTDB_DEVICE);
	if (pipe2(rp, O_CLOEXEC) < 0)
		die("pipe: %m");
	fflush(stdout);
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %m");
		if (pids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &ss, NULL);
			close(sfd);
			close(rp[0]);
			child(i, dev, rp[1]);
		}
	}
	close(dev);
	close(rp[1]);
	/* One byte per child; EOF early means one died. */
	while (ready < nprocs) {
		ssize_t n = read(rp[0], &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%d of %d children ready, then %s", ready, nprocs,
			    n ? strerror(errno) : "one died");
		ready++;
	}
	close(rp[0]);

	for (i = 0; i < nprocs; i++) {
		bytes = 0;
		for (j = 0; j < nbufs; j++)
			bytes += buf_size(i, j);
		total += bytes;
		printf("proc pid=%d fds=%d bytes=%" PRIu64 "\n", (int)pids[i],
		       nbufs, bytes);
	}
	printf("expect procs=%d buffers=%d bytes=%" PRIu64
	       " extra_fds=%d exp_name=%s\n",
	       nprocs, nprocs * nbufs, total, nextra,
	       heap ? "system" : MTDB_EXP_NAME);
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			die("signalfd: %m");
		}
		if (si.ssi_signo != SIGCHLD)
			break;
		die("a child exited (pid %u)", si.ssi_pid);
	}
	for (i = 0; i < nprocs; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < nprocs; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}
