// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-scan: times libmemtrackctl's mtc_dmabuf_scan(), for
 * tests/bench/dmabuf-bench.sh, and checks its result against what
 * tests/bench/dmabuf-mass printed.
 *
 *   dmabuf-scan [-r ROOT] [-w WARMUP] [-n PASSES] [-e EXPECT]
 *
 * ROOT defaults to /proc.  WARMUP scans (default 1) are not timed; then
 * each of the PASSES (default 3) prints
 *   scan pass=I wall_us=W cpu_us=C minflt=F user_us=U
 * and, after the last,
 *   scan totals pids=P procs=H buffers=N bytes=B fds=F vmas=V mapped=M
 *        pss=S unreadable=U vanished=V malformed=M
 * (the time is that of mtc_dmabuf_scan() alone; cpu_us: its user + system
 * time, user_us the user part of it; minflt: the minor page faults it
 * took; fds, vmas, pss: the processes' dma-buf fds, mappings and shares
 * summed; mapped: bytes of the buffers mapped by some process).  With
 * EXPECT, dmabuf-mass's output, the last scan is checked: every "proc"
 * line's pid must hold exactly fds=F distinct buffers, each through one
 * fd, not mapped, of exp_name E, totalling bytes=B; and system-wide the
 * buffers and bytes must equal the "expect" line's (so nothing else in
 * the system may hold a dma-buf), with nothing unreadable or malformed.
 * It prints "check ok=1 ..." or "check ok=0 ..." with the first mismatch
 * and exits 1 on a mismatch.
 *
 * -f: pairs of a scan and a floor pass (dmabuf-floor.c's floor_pass(), in
 * the same process), in alternating order (floor first in even pairs), so
 * that the two are timed seconds apart on a noisy machine; a "pass" is
 * then a pair, printed as
 *   pair i=I order=fs|sf floor_wall_us=W floor_cpu_us=C scan_wall_us=W
 *        scan_cpu_us=C floor_minflt=F scan_minflt=F floor_user_us=U
 *        scan_user_us=U
 * and the last floor pass's counts as
 *   floor totals pids=P files=F bytes=B
 * Build: gcc -DFLOOR_NO_MAIN -I libmemtrackctl dmabuf-scan.c dmabuf-floor.c
 * -lmemtrackctl.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dmabuf-floor.h"
#include "memtrackctl.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t last_user_us; /* the user part of cpu_us()'s last result */

static int64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	last_user_us =
		(int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static bool fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool failed;

static bool fail(const char *fmt, ...)
{
	va_list ap;

	if (!failed) {
		printf("check ok=0 ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	failed = true;
	return false;
}

static void check_proc(const struct mtc_dmabuf_scan *s, uint32_t pid,
		       uint32_t fds, uint64_t bytes, const char *exp_name)
{
	const struct mtc_dmabuf_holder *h;
	const struct mtc_dmabuf_proc *p;
	uint64_t sum = 0;
	uint32_t n = 0;

	p = mtc_dmabuf_scan_find_proc(s, pid);
	if (!p) {
		fail("pid %u not found", pid);
		return;
	}
	if (!p->complete || p->n_buffers != fds || p->n_fds != fds ||
	    p->n_vmas || p->bytes != bytes || p->fd_only_bytes != bytes ||
	    p->mapped_bytes || p->pss_bytes != bytes) {
		fail("pid %u: complete=%d buffers=%u fds=%u vmas=%u bytes=%" PRIu64
		     " fd_only=%" PRIu64 " mapped=%" PRIu64 " pss=%" PRIu64
		     ", want %u buffers and fds, %" PRIu64 " bytes",
		     pid, p->complete, p->n_buffers, p->n_fds, p->n_vmas,
		     p->bytes, p->fd_only_bytes, p->mapped_bytes, p->pss_bytes,
		     fds, bytes);
		return;
	}
	for (h = p->holders; h; h = h->next_in_proc) {
		n++;
		sum += h->buffer->size;
		if (h->n_fds != 1 || h->n_vmas || h->buffer->n_holders != 1 ||
		    h->buffer->size_estimated ||
		    strcmp(h->buffer->exp_name, exp_name)) {
			fail("pid %u: buffer ino %" PRIu64
			     " fds=%u vmas=%u holders=%u estimated=%d exp_name=%s",
			     pid, h->buffer->inode, h->n_fds, h->n_vmas,
			     h->buffer->n_holders, h->buffer->size_estimated,
			     h->buffer->exp_name);
			return;
		}
	}
	if (n != fds || sum != bytes)
		fail("pid %u: %u holders, %" PRIu64 " bytes by holder", pid, n,
		     sum);
}

static int check(const struct mtc_dmabuf_scan *s, const char *file)
{
	const struct mtc_dmabuf_totals *t = mtc_dmabuf_scan_totals(s);
	unsigned long procs = 0, want_procs = 0, want_bufs = 0, pid, fds;
	unsigned long long bytes, want_bytes = 0;
	char line[256], exp_name[64] = "";
	bool have_expect = false;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		perror(file);
		return 1;
	}
	/* the expect line (exp_name) comes last */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line,
			   "expect procs=%lu buffers=%lu bytes=%llu extra_fds=%*d exp_name=%63s",
			   &want_procs, &want_bufs, &want_bytes, exp_name) == 4)
			have_expect = true;
	rewind(f);
	while (have_expect && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "proc pid=%lu fds=%lu bytes=%llu", &pid, &fds,
			   &bytes) == 3) {
			check_proc(s, pid, fds, bytes, exp_name);
			procs++;
		}
	}
	fclose(f);
	if (!have_expect || procs != want_procs)
		fail("%s: no expect line, or %lu proc lines for %lu", file,
		     procs, want_procs);
	if (t->n_buffers != want_bufs || t->bytes != want_bytes ||
	    t->fd_only_bytes != want_bytes || t->mapped_bytes)
		fail("totals: buffers=%u bytes=%" PRIu64 " fd_only=%" PRIu64
		     " mapped=%" PRIu64 ", want %lu buffers, %llu bytes",
		     t->n_buffers, t->bytes, t->fd_only_bytes, t->mapped_bytes,
		     want_bufs, want_bytes);
	if (t->n_unreadable || t->n_malformed || t->n_procs < want_procs)
		fail("totals: unreadable=%u malformed=%u procs=%u",
		     t->n_unreadable, t->n_malformed, t->n_procs);
	if (failed)
		return 1;
	printf("check ok=1 procs=%lu buffers=%u bytes=%" PRIu64
	       " (every holder's buffers, fds and bytes exact)\n",
	       procs, t->n_buffers, t->bytes);
	return 0;
}

/* One timed scan into *@s (the previous one freed first); 0 or -errno. */
static int timed_scan(const char *root, struct mtc_dmabuf_scan **s,
		      int64_t *wall, int64_t *cpu, int64_t *user, long *flt)
{
	int64_t t0, c0, u0;
	long f0;
	int ret;

	mtc_dmabuf_scan_free(*s);
	*s = NULL;
	f0 = minflt();
	t0 = now_us();
	c0 = cpu_us();
	u0 = last_user_us;
	ret = mtc_dmabuf_scan(root, s);
	*wall = now_us() - t0;
	*cpu = cpu_us() - c0;
	*user = last_user_us - u0;
	*flt = minflt() - f0;
	if (ret < 0)
		fprintf(stderr, "mtc_dmabuf_scan: %s\n", strerror(-ret));
	return ret;
}

static int timed_floor(const char *root, struct floor_stats *st, int64_t *wall,
		       int64_t *cpu, int64_t *user, long *flt)
{
	long f0 = minflt();
	int64_t t0 = now_us(), c0 = cpu_us(), u0 = last_user_us;
	int ret = floor_pass(root, st);

	*wall = now_us() - t0;
	*cpu = cpu_us() - c0;
	*user = last_user_us - u0;
	*flt = minflt() - f0;
	if (ret < 0)
		perror(root);
	return ret;
}

int main(int argc, char **argv)
{
	const char *root = NULL, *expect = NULL;
	int opt, warmup = 1, passes = 3, i, ret;
	int64_t wall, cpu, user, fwall, fcpu, fuser;
	long flt, fflt;
	const struct mtc_dmabuf_totals *t;
	const struct mtc_dmabuf_proc *p;
	struct mtc_dmabuf_scan *s = NULL;
	struct floor_stats st;
	bool pairs = false;
	unsigned long long fds, vmas, pss;

	while ((opt = getopt(argc, argv, "r:w:n:e:f")) != -1) {
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
		case 'e':
			expect = optarg;
			break;
		case 'f':
			pairs = true;
			break;
		default:
			fprintf(stderr,
				"usage: dmabuf-scan [-r ROOT] [-w WARMUP] [-n PASSES] [-e EXPECT] [-f]\n");
			return 2;
		}
	}
	for (i = 0; i < warmup + passes; i++) {
		if (pairs && i % 2 == 0 &&
		    timed_floor(root ? root : "/proc", &st, &fwall, &fcpu,
				&fuser, &fflt) < 0)
			return 1;
		if (timed_scan(root, &s, &wall, &cpu, &user, &flt) < 0)
			return 1;
		if (pairs && i % 2 == 1 &&
		    timed_floor(root ? root : "/proc", &st, &fwall, &fcpu,
				&fuser, &fflt) < 0)
			return 1;
		if (i < warmup)
			continue;
		if (pairs)
			printf("pair i=%d order=%s floor_wall_us=%lld floor_cpu_us=%lld scan_wall_us=%lld scan_cpu_us=%lld floor_minflt=%ld scan_minflt=%ld floor_user_us=%lld scan_user_us=%lld\n",
			       i - warmup, i % 2 ? "sf" : "fs",
			       (long long)fwall, (long long)fcpu,
			       (long long)wall, (long long)cpu, fflt, flt,
			       (long long)fuser, (long long)user);
		else
			printf("scan pass=%d wall_us=%lld cpu_us=%lld minflt=%ld user_us=%lld\n",
			       i - warmup, (long long)wall, (long long)cpu, flt,
			       (long long)user);
	}
	if (!s)
		return 0;
	if (pairs)
		printf("floor totals pids=%lu files=%lu bytes=%llu\n", st.pids,
		       st.files, (unsigned long long)st.bytes);
	t = mtc_dmabuf_scan_totals(s);
	fds = vmas = pss = 0;
	for (p = mtc_dmabuf_scan_procs(s); p; p = p->next) {
		fds += p->n_fds;
		vmas += p->n_vmas;
		pss += p->pss_bytes;
	}
	printf("scan totals pids=%u procs=%u buffers=%u bytes=%" PRIu64
	       " fds=%llu vmas=%llu mapped=%" PRIu64
	       " pss=%llu unreadable=%u vanished=%u malformed=%u\n",
	       t->n_pids, t->n_procs, t->n_buffers, t->bytes, fds, vmas,
	       t->mapped_bytes, pss, t->n_unreadable, t->n_vanished,
	       t->n_malformed);
	ret = expect ? check(s, expect) : 0;
	mtc_dmabuf_scan_free(s);
	return ret;
}
