// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the dma-buf scanner, on procfs trees built here in a
 * temporary directory (see test-dmabuf-tree.h).  Every figure is checked
 * against a value worked out by hand.
 */
#define _GNU_SOURCE
#include "memtrackctl.h"
#include "test-dmabuf-tree.h"

static const struct mtc_dmabuf_holder *
holder_of(const struct mtc_dmabuf_buffer *b, uint32_t pid)
{
	const struct mtc_dmabuf_holder *h;

	for (h = b ? b->holders : NULL; h; h = h->next)
		if (h->pid == pid)
			return h;
	return NULL;
}

static void check_holder(const struct mtc_dmabuf_scan *s, uint64_t ino,
			 uint32_t pid, const char *comm, uint32_t fds,
			 uint32_t vmas, uint64_t mapped, uint64_t pss)
{
	const struct mtc_dmabuf_buffer *b = mtc_dmabuf_scan_find_buffer(s, ino);
	const struct mtc_dmabuf_holder *h = holder_of(b, pid);

	CHECK(h && !strcmp(h->comm, comm) && h->n_fds == fds &&
	      h->n_vmas == vmas && h->mapped_bytes == mapped &&
	      h->pss_bytes == pss && h->buffer == b && h->proc &&
	      h->proc->pid == pid,
	      "buffer %llu held by %u %s: %u fds, %u vmas, %llu mapped, "
	      "pss %llu", (unsigned long long)ino, pid, comm, fds, vmas,
	      (unsigned long long)mapped, (unsigned long long)pss);
}

static void check_buffer(const struct mtc_dmabuf_scan *s, uint64_t ino,
			 uint64_t size, bool est, const char *exp,
			 const char *name, uint32_t holders, uint32_t fds,
			 uint32_t vmas)
{
	const struct mtc_dmabuf_buffer *b = mtc_dmabuf_scan_find_buffer(s, ino);

	CHECK(b && b->inode == ino && b->size == size &&
	      b->size_estimated == est && !strcmp(b->exp_name, exp) &&
	      !strcmp(b->name, name) && b->n_holders == holders &&
	      b->n_fds == fds && b->n_vmas == vmas,
	      "buffer %llu: %llu bytes%s, exporter '%s', name '%s', "
	      "%u holders, %u fds, %u vmas", (unsigned long long)ino,
	      (unsigned long long)size, est ? " (estimated)" : "", exp, name,
	      holders, fds, vmas);
}

static void check_proc(const struct mtc_dmabuf_proc *p, uint32_t pid,
		       const char *comm, bool complete, uint32_t bufs,
		       uint32_t fds, uint32_t vmas, uint64_t bytes,
		       uint64_t fd_only, uint64_t mapped, uint64_t pss)
{
	CHECK(p && p->pid == pid && !strcmp(p->comm, comm) &&
	      p->complete == complete && p->n_buffers == bufs &&
	      p->n_fds == fds && p->n_vmas == vmas && p->bytes == bytes &&
	      p->fd_only_bytes == fd_only && p->mapped_bytes == mapped &&
	      p->pss_bytes == pss,
	      "process %u %s%s: %u buffers, %u fds, %u vmas, %llu bytes, "
	      "%llu fd-only, %llu mapped, pss %llu", pid, comm,
	      complete ? "" : " (incomplete)", bufs, fds, vmas,
	      (unsigned long long)bytes, (unsigned long long)fd_only,
	      (unsigned long long)mapped, (unsigned long long)pss);
}

static const struct mtc_dmabuf_group *
check_group(const struct mtc_dmabuf_group *g, uint32_t pid, const char *key,
	    uint32_t bufs, uint64_t bytes, uint64_t fd_only, uint64_t mapped,
	    uint64_t pss)
{
	CHECK(g && !strcmp(g->key, key) && g->n_buffers == bufs &&
	      g->bytes == bytes && g->fd_only_bytes == fd_only &&
	      g->mapped_bytes == mapped && g->pss_bytes == pss,
	      "process %u group '%s': %u buffers, %llu bytes, %llu fd-only, "
	      "%llu mapped, pss %llu", pid, key, bufs,
	      (unsigned long long)bytes, (unsigned long long)fd_only,
	      (unsigned long long)mapped, (unsigned long long)pss);
	return g ? g->next : NULL;
}

/*
 * Buffers: 100 (4 KiB, "system", held by fd only), 200 (8 KiB, "system",
 * tag "camera", shared by 10 and 20), 300 (mapped twice by 20 with its fd
 * closed: 32 KiB estimated), 400 (1 MiB, "drm", tag "vid": mapped-only by
 * 20, three fds in 30), 500 (mapped by 50 whose fdinfo cannot be read).
 */
static void build_main_tree(void)
{
	proc(10, "camera-hal",
	     "55d4c0a00000-55d4c0a21000 r--p 00000000 08:01 131090"
	     "                     /usr/bin/camera-hal\n"
	     MAP("7f3a10000000", "7f3a10002000", "00000000", "200",
		 "/dmabuf:camera")
	     "7ffd5a1e0000-7ffd5a201000 rw-p 00000000 00:00 0"
	     "                          [stack]\n");
	add_fd(10, 0, "/dev/null", pipe_info);
	add_fd(10, 1, "socket:[1234]", NULL);
	add_fd(10, 2, "pipe:[77]", pipe_info);
	add_fd(10, 3, "/dmabuf:", fdi("100", "4096", "system", NULL));
	add_fd(10, 4, "/dmabuf:camera", fdi("200", "8192", "system", "camera"));
	/* A thread: must not count a second time. */
	mkdirs(at("10/task/11/fd"));
	if (symlink("/dmabuf:", at("10/task/11/fd/3")))
		exit(99);
	put(at("10/task/11/fdinfo/3"), fdi("100", "4096", "system", NULL));

	proc(20, "compositor",
	     MAP("7f0000000000", "7f0000004000", "00000000", "300", "/dmabuf:")
	     /* DRM exporters show their fake mmap offset: not a size. */
	     MAP("7f0000010000", "7f0000018000", "100010000", "300", "/dmabuf:")
	     MAP("7f0000100000", "7f0000200000", "00000000", "400",
		 "/dmabuf:vid"));
	add_fd(20, 5, "/dmabuf:camera", fdi("200", "8192", "system", "camera"));

	proc(30, "video-dec",
	     MAP("7f1000000000", "7f1000080000", "00000000", "400",
		 "/dmabuf:vid"));
	add_fd(30, 3, "/dmabuf:vid", fdi("400", "1048576", "drm", "vid"));
	add_fd(30, 4, "/dmabuf:vid", fdi("400", "1048576", "drm", "vid"));
	add_fd(30, 5, "anon_inode:dmabuf", fdi("400", "1048576", "drm", "vid"));

	/* Malformed: no size, garbled ino, size overflow, bad maps line. */
	proc(40, "broken",
	     "zzzz-7f0000001000 rw-s 00000000 00:0f 404   /dmabuf:\n"
	     "7f20-7f30 r-xp 00000000 08:01 99   /usr/lib/libdmabufheap.so\n");
	add_fd(40, 3, "/dmabuf:", fdi("401", NULL, "system", NULL));
	add_fd(40, 4, "/dmabuf:", fdi("12x", "4096", "system", NULL));
	add_fd(40, 5, "/dmabuf:",
	   fdi("403", "99999999999999999999999", "system", NULL));

	/* fdinfo is not a directory: ENOTDIR, reported; maps still read. */
	put(at("50/comm"), "locked\n");
	put(at("50/fdinfo"), "not a directory\n");
	put(at("50/maps"), MAP("7f5000000000", "7f5000001000", "00000000",
			       "500", "/dmabuf:p"));
	add_fd(50, 3, "/dmabuf:", NULL);

	/* Vanished: no fd/; no maps after its fds were read; no fdinfo/. */
	put(at("60/comm"), "gone-early\n");
	proc(70, "gone-late", NULL);
	add_fd(70, 3, "/dmabuf:camera", fdi("200", "8192", "system", "camera"));
	add_fd(70, 4, "/dmabuf:", fdi("700", "4096", "system", NULL));
	put(at("80/comm"), "gone-mid\n");
	add_fd(80, 3, "/dmabuf:", NULL);

	/*
	 * No dma-buf: a plain fd, a dma-buf link whose fd was reused, and
	 * (impossible on a real kernel, it shows which fdinfo are read) a
	 * dma-buf fdinfo behind a plain link: with few dma-bufs around, only
	 * links pick the fdinfo to read.
	 */
	proc(90, "plain",
	     "7f20-7f30 r-xp 00000000 08:01 99   /usr/lib/libdmabufheap.so\n");
	add_fd(90, 0, "/dev/null", pipe_info);
	add_fd(90, 7, "/dmabuf:", pipe_info);
	add_fd(90, 8, "/dev/zero", fdi("900", "4096", "system", NULL));

	/* Not processes. */
	if (symlink("10", at("self")))
		exit(99);
	mkdirs(at("12abc/fd"));
	put(at("uptime"), "1.00 1.00\n");
}

static void test_main_tree(void)
{
	const struct mtc_dmabuf_unreadable *u;
	const struct mtc_dmabuf_totals *t;
	const struct mtc_dmabuf_group *g;
	const struct mtc_dmabuf_proc *p;
	struct mtc_dmabuf_scan *s = NULL;
	int err;

	new_tree();
	build_main_tree();
	err = mtc_dmabuf_scan(root, &s);
	CHECK(err == 0 && s, "scan of the main tree: %d", err);
	if (!s)
		goto out;
	t = mtc_dmabuf_scan_totals(s);
	CHECK(t->n_buffers == 5 && t->bytes == 1097728 &&
	      t->mapped_bytes == 1093632 && t->fd_only_bytes == 4096,
	      "totals: %u buffers, %llu bytes, %llu mapped, %llu fd-only",
	      t->n_buffers, (unsigned long long)t->bytes,
	      (unsigned long long)t->mapped_bytes,
	      (unsigned long long)t->fd_only_bytes);
	CHECK(t->n_pids == 9 && t->n_procs == 4 && t->n_vanished == 3 &&
	      t->n_unreadable == 1 && t->n_malformed == 4,
	      "counts: %u pids, %u procs, %u vanished, %u unreadable, "
	      "%u malformed", t->n_pids, t->n_procs, t->n_vanished,
	      t->n_unreadable, t->n_malformed);

	check_buffer(s, 100, 4096, false, "system", "", 1, 1, 0);
	check_holder(s, 100, 10, "camera-hal", 1, 0, 0, 4096);
	check_buffer(s, 200, 8192, false, "system", "camera", 2, 2, 1);
	check_holder(s, 200, 10, "camera-hal", 1, 1, 8192, 4096);
	check_holder(s, 200, 20, "compositor", 1, 0, 0, 4096);
	check_buffer(s, 300, 32768, true, "", "", 1, 0, 2);
	check_holder(s, 300, 20, "compositor", 0, 2, 49152, 32768);
	check_buffer(s, 400, 1048576, false, "drm", "vid", 2, 3, 2);
	check_holder(s, 400, 20, "compositor", 0, 1, 1048576, 524288);
	check_holder(s, 400, 30, "video-dec", 3, 1, 524288, 524288);
	check_buffer(s, 500, 4096, true, "", "p", 1, 0, 1);
	check_holder(s, 500, 50, "locked", 0, 1, 4096, 4096);
	CHECK(!mtc_dmabuf_scan_find_buffer(s, 700) &&
	      !mtc_dmabuf_scan_find_buffer(s, 401) &&
	      !mtc_dmabuf_scan_find_buffer(s, 403) &&
	      !mtc_dmabuf_scan_find_buffer(s, 77) &&
	      !mtc_dmabuf_scan_find_buffer(s, 900),
	      "no buffer from vanished, malformed or non-dma-buf fds");
	CHECK(mtc_dmabuf_scan_buffers(s)->inode == 100 &&
	      mtc_dmabuf_scan_buffers(s)->next->inode == 200 &&
	      mtc_dmabuf_scan_buffers(s)->next->next->next->next->inode ==
		      500 &&
	      !mtc_dmabuf_scan_buffers(s)->next->next->next->next->next,
	      "buffers listed by inode");

	p = mtc_dmabuf_scan_procs(s);
	check_proc(p, 10, "camera-hal", true, 2, 2, 1, 12288, 4096, 8192,
		   8192);
	g = check_group(p ? p->by_exporter : NULL, 10, "system", 2, 12288,
			4096, 8192, 8192);
	CHECK(!g, "process 10: one exporter");
	g = check_group(p ? p->by_tag : NULL, 10, "", 1, 4096, 4096, 0, 4096);
	g = check_group(g, 10, "camera", 1, 8192, 0, 8192, 4096);
	CHECK(!g, "process 10: two tags");

	p = p ? p->next : NULL;
	check_proc(p, 20, "compositor", true, 3, 1, 3, 1089536, 8192, 1097728,
		   561152);
	CHECK(p && p->holders && p->holders->buffer->inode == 200 &&
	      p->holders->next_in_proc->buffer->inode == 300 &&
	      p->holders->next_in_proc->next_in_proc->buffer->inode == 400 &&
	      !p->holders->next_in_proc->next_in_proc->next_in_proc,
	      "process 20: its buffers by inode");
	g = check_group(p ? p->by_exporter : NULL, 20, "", 1, 32768, 0, 49152,
			32768);
	g = check_group(g, 20, "drm", 1, 1048576, 0, 1048576, 524288);
	g = check_group(g, 20, "system", 1, 8192, 8192, 0, 4096);
	CHECK(!g, "process 20: three exporters");
	g = check_group(p ? p->by_tag : NULL, 20, "", 1, 32768, 0, 49152,
			32768);
	g = check_group(g, 20, "camera", 1, 8192, 8192, 0, 4096);
	g = check_group(g, 20, "vid", 1, 1048576, 0, 1048576, 524288);
	CHECK(!g, "process 20: three tags");

	p = p ? p->next : NULL;
	check_proc(p, 30, "video-dec", true, 1, 3, 1, 1048576, 0, 524288,
		   524288);
	g = check_group(p ? p->by_exporter : NULL, 30, "drm", 1, 1048576, 0,
			524288, 524288);
	CHECK(!g && p && p->by_tag && !strcmp(p->by_tag->key, "vid") &&
	      !p->by_tag->next, "process 30: one exporter, one tag");

	p = p ? p->next : NULL;
	check_proc(p, 50, "locked", false, 1, 0, 1, 4096, 0, 4096, 4096);
	CHECK(p && !p->next, "four processes, by pid");
	CHECK(mtc_dmabuf_scan_find_proc(s, 30) &&
	      mtc_dmabuf_scan_find_proc(s, 30)->pid == 30 &&
	      !mtc_dmabuf_scan_find_proc(s, 40) &&
	      !mtc_dmabuf_scan_find_proc(s, 70) &&
	      !mtc_dmabuf_scan_find_proc(s, 11),
	      "find_proc: holders only, no thread, nothing vanished");

	u = mtc_dmabuf_scan_unreadable(s);
	CHECK(u && u->pid == 50 && !strcmp(u->comm, "locked") &&
	      u->errnum == ENOTDIR && !strcmp(u->what, "fdinfo") && !u->next,
	      "unreadable: 50 locked, ENOTDIR on fdinfo (got %d %s)",
	      u ? u->errnum : 0, u ? u->what : "-");
out:
	mtc_dmabuf_scan_free(s);
	drop_tree();
}

/*
 * Mostly dma-bufs: after 16 processes of 20 dma-buf fds each, fdinfo is
 * read without looking at links, and exp_name: tells the dma-bufs.
 */
static void test_direct(void)
{
	const struct mtc_dmabuf_totals *t;
	const struct mtc_dmabuf_unreadable *u;
	struct mtc_dmabuf_scan *s = NULL;
	char epoll[6000];
	unsigned int pid;
	int i, n, err;

	new_tree();
	for (pid = 1; pid <= 16; pid++) {
		proc(pid, "worker", "");
		for (i = 0; i < 20; i++)
			add_fd(pid, 3 + i, "/dmabuf:",
			       fdi("1", "4096", "system", NULL));
	}
	proc(100, "late", MAP("7f0000000000", "7f0000002000", "00000000",
			      "2", "/dmabuf:late"));
	add_fd(100, 0, "/dev/null", pipe_info);
	add_fd(100, 3, "/dmabuf:late", fdi("2", "8192", "drm", "late"));
	add_fd(100, 4, "socket:[9]", NULL);	/* closed: no fdinfo */
	n = sprintf(epoll, "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t9\n");
	while (n < 5000)	/* bigger than the scanner's read */
		n += sprintf(epoll + n, "tfd: %8d events: 19 data: 0\n", n);
	add_fd(100, 5, "anon_inode:[eventpoll]", epoll);
	add_fd(100, 6, "/dmabuf:", fdi("3", NULL, "system", NULL));
	/* Impossible on a real kernel; read now that links are skipped. */
	add_fd(100, 7, "/dev/zero", fdi("4", "4096", "heap", NULL));
	put(at("101/comm"), "locked\n");
	put(at("101/fdinfo"), "not a directory\n");
	put(at("101/maps"), "");
	mkdirs(at("101/fd"));
	proc(102, "gone", "");
	rmdir(at("102/fdinfo"));
	err = mtc_dmabuf_scan(root, &s);
	CHECK(err == 0 && s, "scan of the mostly dma-buf tree: %d", err);
	if (!s)
		goto out;
	t = mtc_dmabuf_scan_totals(s);
	CHECK(t->n_buffers == 3 && t->bytes == 16384 && t->n_procs == 17 &&
	      t->n_pids == 19 && t->n_vanished == 1 && t->n_unreadable == 1 &&
	      t->n_malformed == 1,
	      "direct reads: %u buffers, %llu bytes, %u procs, %u pids, "
	      "%u vanished, %u unreadable, %u malformed", t->n_buffers,
	      (unsigned long long)t->bytes, t->n_procs, t->n_pids,
	      t->n_vanished, t->n_unreadable, t->n_malformed);
	check_buffer(s, 1, 4096, false, "system", "", 16, 320, 0);
	check_holder(s, 1, 16, "worker", 20, 0, 0, 256);
	check_buffer(s, 2, 8192, false, "drm", "late", 1, 1, 1);
	check_holder(s, 2, 100, "late", 1, 1, 8192, 8192);
	check_buffer(s, 4, 4096, false, "heap", "", 1, 1, 0);
	check_proc(mtc_dmabuf_scan_find_proc(s, 100), 100, "late", true, 2, 2,
		   1, 12288, 4096, 8192, 12288);
	u = mtc_dmabuf_scan_unreadable(s);
	CHECK(u && u->pid == 101 && u->errnum == ENOTDIR &&
	      !strcmp(u->what, "fdinfo") && !u->next,
	      "unreadable: 101, ENOTDIR on fdinfo");
out:
	mtc_dmabuf_scan_free(s);
	drop_tree();
}

/* Numbers at and past the 64-bit limits; sums saturate. */
static void test_huge(void)
{
	const struct mtc_dmabuf_totals *t;
	const struct mtc_dmabuf_proc *p;
	struct mtc_dmabuf_scan *s = NULL;
	int err;

	new_tree();
	proc(1, "big",
	     MAP("ffffffffffff0000", "ffffffffffffffff", "fffffffffffff000",
		 "18446744073709551613", "/dmabuf:")
	     MAP("1ffffffffffffffff", "ffffffffffffffff", "00000000", "9",
		 "/dmabuf:")
	     MAP("7f0000002000", "7f0000001000", "00000000", "9", "/dmabuf:"));
	add_fd(1, 3, "/dmabuf:", fdi(U64_MAX_S, "9223372036854775808", "heap",
				 NULL));
	add_fd(1, 4, "/dmabuf:", fdi("18446744073709551614",
				 "9223372036854775808", "heap", NULL));
	add_fd(1, 5, "/dmabuf:",
	       fdi("5", "18446744073709551616", "heap", NULL));
	add_fd(1, 6, "/dmabuf:",
	       fdi("18446744073709551616", "1", "heap", NULL));
	add_fd(1, 7, "/dmabuf:", fdi("6", "-1", "heap", NULL));
	err = mtc_dmabuf_scan(root, &s);
	CHECK(err == 0 && s, "scan of the huge tree: %d", err);
	if (!s)
		goto out;
	t = mtc_dmabuf_scan_totals(s);
	CHECK(t->n_buffers == 3 && t->bytes == UINT64_MAX &&
	      t->mapped_bytes == 0xffff && t->fd_only_bytes == UINT64_MAX &&
	      t->n_malformed == 5,
	      "huge totals saturate: %u buffers, %llu bytes, %u malformed",
	      t->n_buffers, (unsigned long long)t->bytes, t->n_malformed);
	check_buffer(s, UINT64_MAX, 9223372036854775808ULL, false, "heap", "",
		     1, 1, 0);
	check_buffer(s, 18446744073709551613ULL, 0xffff, true, "", "", 1, 0,
		     1);
	check_holder(s, 18446744073709551613ULL, 1, "big", 0, 1, 0xffff,
		     0xffff);
	p = mtc_dmabuf_scan_procs(s);
	check_proc(p, 1, "big", true, 3, 2, 1, UINT64_MAX, UINT64_MAX, 0xffff,
		   UINT64_MAX);
out:
	mtc_dmabuf_scan_free(s);
	drop_tree();
}

/* maps larger than the read chunk, a line too long to keep, no final \n. */
static void test_big_maps(void)
{
	const struct mtc_dmabuf_totals *t;
	struct mtc_dmabuf_scan *s = NULL;
	char *maps, *m;
	int i, err;

	maps = malloc(3000 * 128 + 80000);
	if (!maps)
		exit(99);
	m = maps;
	for (i = 0; i < 3000; i++) {
		unsigned long long a = 0x7f0000000000ULL + i * 0x10000ULL;

		if (i == 1500) {	/* longer than the 64 KiB chunk */
			m += sprintf(m, "%llx-%llx rw-s 00000000 00:0f 1 "
				     "/dmabuf:", a, a + 0x1000);
			memset(m, 'x', 70000);
			m += 70000;
			*m++ = '\n';
		} else if (i % 7 == 0) {
			m += sprintf(m, "%llx-%llx rw-s 00000000 00:0f 1"
				     "                    /dmabuf:\n",
				     a, a + 0x1000);
		} else {
			m += sprintf(m, "%llx-%llx r-xp 00000000 08:01 %d"
				     "        /usr/lib/libfiller-%04d.so\n",
				     a, a + 0x1000, 4000 + i, i);
		}
	}
	sprintf(m, "7f9000000000-7f9000001000 rw-s 00000000 00:0f 1 /dmabuf:");
	new_tree();
	proc(1, "many-maps", maps);
	free(maps);
	add_fd(1, 3, "/dmabuf:", fdi("1", "4096", "system", NULL));
	err = mtc_dmabuf_scan(root, &s);
	CHECK(err == 0 && s, "scan of the big maps tree: %d", err);
	if (!s)
		goto out;
	t = mtc_dmabuf_scan_totals(s);
	CHECK(t->n_malformed == 1, "over-long maps line is malformed (%u)",
	      t->n_malformed);
	/* i % 7 == 0 for 0..2999: 429 lines, plus the last one. */
	check_holder(s, 1, 1, "many-maps", 1, 430, 430 * 4096, 4096);
out:
	mtc_dmabuf_scan_free(s);
	drop_tree();
}

static void test_permission(void)
{
	const struct mtc_dmabuf_unreadable *u;
	struct mtc_dmabuf_scan *s = NULL;

	if (geteuid() == 0) {
		/* chmod does not stop root; the ENOTDIR case covers it. */
		printf("ok %d - unreadable fd/ reported as EACCES "
		       "# SKIP running as root\n", ++checks);
		return;
	}
	new_tree();
	proc(7, "secret", "");
	add_fd(7, 3, "/dmabuf:", fdi("1", "4096", "system", NULL));
	chmod(at("7/fd"), 0);
	CHECK(mtc_dmabuf_scan(root, &s) == 0 && s, "scan of the locked tree");
	u = s ? mtc_dmabuf_scan_unreadable(s) : NULL;
	CHECK(u && u->pid == 7 && u->errnum == EACCES &&
	      !strcmp(u->what, "fd") && !strcmp(u->comm, "secret") &&
	      !mtc_dmabuf_scan_procs(s),
	      "unreadable fd/ reported as EACCES");
	mtc_dmabuf_scan_free(s);
	chmod(at("7/fd"), 0755);
	drop_tree();
}

static void test_roots(void)
{
	const struct mtc_dmabuf_totals *t;
	struct mtc_dmabuf_scan *s = (void *)1;
	int err;

	err = mtc_dmabuf_scan("/nonexistent/proc", &s);
	CHECK(err == -ENOENT && !s, "missing root: %d", err);
	new_tree();
	put(at("file"), "x");
	err = mtc_dmabuf_scan(at("file"), &s);
	CHECK(err == -ENOTDIR && !s, "root not a directory: %d", err);
	err = mtc_dmabuf_scan(root, &s);
	t = s ? mtc_dmabuf_scan_totals(s) : NULL;
	CHECK(err == 0 && t && !t->n_buffers && !t->bytes && !t->n_pids &&
	      !mtc_dmabuf_scan_buffers(s) && !mtc_dmabuf_scan_procs(s) &&
	      !mtc_dmabuf_scan_unreadable(s) &&
	      !mtc_dmabuf_scan_find_buffer(s, 1) &&
	      !mtc_dmabuf_scan_find_proc(s, 1),
	      "empty root: an empty scan");
	mtc_dmabuf_scan_free(s);
	mtc_dmabuf_scan_free(NULL);
	drop_tree();
}

int main(void)
{
	test_main_tree();
	test_direct();
	test_huge();
	test_big_maps();
	test_permission();
	test_roots();
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
