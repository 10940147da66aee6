// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit test of memtrackctl buffers' views (cli/buffers-print.c):
 * procfs trees are built in a temporary directory (test-dmabuf-tree.h),
 * scanned with libmemtrackctl's scanner, and every view, text and JSON,
 * is compared with output worked out by hand from the tree (the figures
 * are in the comments above each tree).  Output: TAP.  Meant to run
 * under ASan and UBSan too.
 */
#define _GNU_SOURCE
#include "buffers.h"
#include "test-dmabuf-tree.h"

/*
 * The main tree.  Buffers: 100 (4 KiB, "system", fd-only in 10), 200
 * (8 KiB, "system", tag "camera": fd and mapping in 10, fd in 20), 300
 * (mapped twice by 20, no fd: 32 KiB estimated), 400 (1 MiB, "drm", tag
 * "vid": mapped whole by 20, two fds and a half mapping in 30), 500
 * (mapped by 40, whose fdinfo cannot be read: 4 KiB estimated, tag "p").
 * 60 vanished, 70 holds nothing.
 */
static void build_tree(void)
{
	proc(10, "camera-hal",
	     MAP("7f3a10000000", "7f3a10002000", "00000000", "200",
		 "/dmabuf:camera"));
	add_fd(10, 0, "/dev/null", pipe_info);
	add_fd(10, 3, "/dmabuf:", fdi("100", "4096", "system", NULL));
	add_fd(10, 4, "/dmabuf:camera", fdi("200", "8192", "system", "camera"));

	/* clang-format off */
	proc(20, "compositor",
	     MAP("7f0000000000", "7f0000004000", "00000000", "300", "/dmabuf:")
	     MAP("7f0000010000", "7f0000018000", "00000000", "300", "/dmabuf:")
	     MAP("7f0000100000", "7f0000200000", "00000000", "400",
		 "/dmabuf:vid"));
	/* clang-format on */
	add_fd(20, 5, "/dmabuf:camera", fdi("200", "8192", "system", "camera"));

	/* UTF-8 (8 columns, 9 bytes): the table must still line up. */
	proc(30, "d\303\251codeur",
	     MAP("7f1000000000", "7f1000080000", "00000000", "400",
		 "/dmabuf:vid"));
	add_fd(30, 3, "/dmabuf:vid", fdi("400", "1048576", "drm", "vid"));
	add_fd(30, 4, "/dmabuf:vid", fdi("400", "1048576", "drm", "vid"));

	/* fdinfo is not a directory: ENOTDIR, reported; maps still read. */
	put(at("40/comm"), "locked\n");
	put(at("40/fdinfo"), "not a directory\n");
	put(at("40/maps"), MAP("7f5000000000", "7f5000001000", "00000000",
			       "500", "/dmabuf:p"));
	add_fd(40, 3, "/dmabuf:", NULL);

	put(at("60/comm"), "gone\n"); /* no fd/: vanished */
	proc(70, "idle", "");
	add_fd(70, 0, "/dev/null", pipe_info);
}

/* Nobody holds anything, everything could be read. */
static void build_empty(void)
{
	proc(70, "idle", "");
	add_fd(70, 0, "/dev/null", pipe_info);
}

/*
 * Buffer 900 (1 MiB, "system", named "a<TAB>b") held by fd by 30
 * processes, 1000 to 1029; 1007's comm has a control character.  PSS
 * 1048576 / 30 rounds down to 34952.
 */
static void build_many(void)
{
	unsigned int pid;
	char comm[16];

	for (pid = 1000; pid < 1030; pid++) {
		snprintf(comm, sizeof(comm), pid == 1007 ? "ev\x01l" : "p%u",
			 pid);
		proc(pid, comm, "");
		add_fd(pid, 3, "/dmabuf:a\tb",
		       fdi("900", "1048576", "system", "a\tb"));
	}
}

enum tree { TREE_MAIN, TREE_EMPTY, TREE_MANY };

static void (*const builders[])(void) = {
	[TREE_MAIN] = build_tree,
	[TREE_EMPTY] = build_empty,
	[TREE_MANY] = build_many,
};

struct view_case {
	enum tree tree;
	enum buffers_by by;
	int pid; /* --pid, 0 for none */
	const char *comm; /* its comm when it holds nothing */
	bool json, exact;
	const char *what;
	const char *want;
};

/*
 * Main tree, by hand: per process (buffers, fds, vmas, total, fd-only,
 * mapped, PSS): 10: 2 2 1 12288 4096 8192 8192 (100 alone, half of 200);
 * 20: 3 1 3 1089536 8192 (200) 49152+1048576 4096+32768+524288; 30: 1 2 1
 * 1048576 0 524288 524288; 40: 1 0 1 4096 0 4096 4096, incomplete.
 * System: 5 buffers, 1097728 bytes, 1093632 mapped (all but 100), 4096
 * fd-only; the PSS add up to 1097728.  Tags: "" = 100 + 300 (36864,
 * processes 10 and 20), camera = 200, p = 500, vid = 400; exporters:
 * "" = 300 + 500 (36864, 20 and 40), drm = 400, system = 100 + 200.
 */
/* The expected output, line by line; the main tree's common parts once. */
/* clang-format off */
/* Text: the main tree's system totals, after a view. */
#define MAIN_TOTALS \
	"\n" \
	"total: 5 buffers, 1097728: 1093632 mapped, 4096 fd-only (each buffer counted once); held by 4 processes\n" \
	"scanned 6 processes: 1 vanished during the scan, 1 unreadable\n"

/* Text: its note on process 40, last. */
#define MAIN_NOTE \
	"\n" \
	"note: 1 process could not be read (or only in part), so dma-bufs it holds may be missing above.\n" \
	"PID  COMM    WHAT    ERROR\n" \
	" 40  locked  fdinfo  Not a directory\n"

/* JSON: its "totals" and "unreadable", after a view's member. */
#define MAIN_JSON_TAIL \
	",\"totals\":{\"buffers\":5,\"bytes\":1097728,\"mapped_bytes\":1093632,\"fd_only_bytes\":4096,\"processes\":4,\"scanned\":6,\"vanished\":1,\"unreadable\":1,\"malformed\":0},\"unreadable\":[{\"pid\":40,\"comm\":\"locked\",\"what\":\"fdinfo\",\"error\":\"ENOTDIR\",\"message\":\"Not a directory\"}]}\n"

/* Text: the first line of --pid 20, and of --pid 70 (holds nothing). */
#define PID20_HEADER \
	"process 20 (compositor): 3 buffers, 1 fd, 3 vmas; total 1.0 MiB, fd-only 8.0 KiB, mapped 1.0 MiB, PSS 548.0 KiB\n"
#define PID70_HEADER \
	"process 70 (idle) holds no dma-buf\n"

static const struct view_case cases[] = {
	{ TREE_MAIN, BY_PROCESS, 0, NULL, false, true,
	  "main: processes, text, exact bytes",
	"PID  COMM        BUFFERS  FDS  VMAS    TOTAL  FD-ONLY   MAPPED     PSS\n"
	" 10  camera-hal        2    2     1    12288     4096     8192    8192\n"
	" 20  compositor        3    1     3  1089536     8192  1097728  561152\n"
	" 30  d\303\251codeur          1    2     1  1048576        0   524288  524288\n"
	" 40  locked            1    0     1     4096        0     4096    4096\n"
	MAIN_TOTALS MAIN_NOTE },
	{ TREE_MAIN, BY_PROCESS, 0, NULL, true, false,
	  "main: processes, JSON",
	"{\"processes\":[{\"pid\":10,\"comm\":\"camera-hal\",\"complete\":true,\"buffers\":2,\"fds\":2,\"vmas\":1,\"bytes\":12288,\"fd_only_bytes\":4096,\"mapped_bytes\":8192,\"pss_bytes\":8192},{\"pid\":20,\"comm\":\"compositor\",\"complete\":true,\"buffers\":3,\"fds\":1,\"vmas\":3,\"bytes\":1089536,\"fd_only_bytes\":8192,\"mapped_bytes\":1097728,\"pss_bytes\":561152},{\"pid\":30,\"comm\":\"d\303\251codeur\",\"complete\":true,\"buffers\":1,\"fds\":2,\"vmas\":1,\"bytes\":1048576,\"fd_only_bytes\":0,\"mapped_bytes\":524288,\"pss_bytes\":524288},{\"pid\":40,\"comm\":\"locked\",\"complete\":false,\"buffers\":1,\"fds\":0,\"vmas\":1,\"bytes\":4096,\"fd_only_bytes\":0,\"mapped_bytes\":4096,\"pss_bytes\":4096}]" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_PROCESS, 20, NULL, false, false,
	  "main: --pid 20, text, human units",
	PID20_HEADER
	"\n"
	"INODE        SIZE  EXPORTER  NAME    FDS  VMAS    MAPPED        PSS  OTHER HOLDERS\n"
	"  200     8.0 KiB  system    camera    1     0       0 B    4.0 KiB  camera-hal:10\n"
	"  300  >=32.0 KiB  ?         -         0     2  48.0 KiB   32.0 KiB  -\n"
	"  400     1.0 MiB  drm       vid       0     1   1.0 MiB  512.0 KiB  d\303\251codeur:30\n"
	"\n"
	"EXPORTER  BUFFERS     TOTAL  FD-ONLY    MAPPED        PSS\n"
	"?               1  32.0 KiB      0 B  48.0 KiB   32.0 KiB\n"
	"drm             1   1.0 MiB      0 B   1.0 MiB  512.0 KiB\n"
	"system          1   8.0 KiB  8.0 KiB       0 B    4.0 KiB\n"
	"\n"
	"TAG     BUFFERS     TOTAL  FD-ONLY    MAPPED        PSS\n"
	"-             1  32.0 KiB      0 B  48.0 KiB   32.0 KiB\n"
	"camera        1   8.0 KiB  8.0 KiB       0 B    4.0 KiB\n"
	"vid           1   1.0 MiB      0 B   1.0 MiB  512.0 KiB\n"
	MAIN_NOTE },
	{ TREE_MAIN, BY_PROCESS, 20, NULL, true, false,
	  "main: --pid 20, JSON",
	"{\"process\":{\"pid\":20,\"comm\":\"compositor\",\"complete\":true,\"buffers\":3,\"fds\":1,\"vmas\":3,\"bytes\":1089536,\"fd_only_bytes\":8192,\"mapped_bytes\":1097728,\"pss_bytes\":561152,\"held\":[{\"inode\":200,\"size\":8192,\"size_estimated\":false,\"exporter\":\"system\",\"name\":\"camera\",\"fds\":1,\"vmas\":0,\"mapped_bytes\":0,\"pss_bytes\":4096,\"other_holders\":[{\"pid\":10,\"comm\":\"camera-hal\",\"fds\":1,\"vmas\":1,\"mapped_bytes\":8192,\"pss_bytes\":4096}]},{\"inode\":300,\"size\":32768,\"size_estimated\":true,\"exporter\":\"\",\"name\":\"\",\"fds\":0,\"vmas\":2,\"mapped_bytes\":49152,\"pss_bytes\":32768,\"other_holders\":[]},{\"inode\":400,\"size\":1048576,\"size_estimated\":false,\"exporter\":\"drm\",\"name\":\"vid\",\"fds\":0,\"vmas\":1,\"mapped_bytes\":1048576,\"pss_bytes\":524288,\"other_holders\":[{\"pid\":30,\"comm\":\"d\303\251codeur\",\"fds\":2,\"vmas\":1,\"mapped_bytes\":524288,\"pss_bytes\":524288}]}],\"by_exporter\":[{\"exporter\":\"\",\"buffers\":1,\"bytes\":32768,\"fd_only_bytes\":0,\"mapped_bytes\":49152,\"pss_bytes\":32768},{\"exporter\":\"drm\",\"buffers\":1,\"bytes\":1048576,\"fd_only_bytes\":0,\"mapped_bytes\":1048576,\"pss_bytes\":524288},{\"exporter\":\"system\",\"buffers\":1,\"bytes\":8192,\"fd_only_bytes\":8192,\"mapped_bytes\":0,\"pss_bytes\":4096}],\"by_tag\":[{\"tag\":\"\",\"buffers\":1,\"bytes\":32768,\"fd_only_bytes\":0,\"mapped_bytes\":49152,\"pss_bytes\":32768},{\"tag\":\"camera\",\"buffers\":1,\"bytes\":8192,\"fd_only_bytes\":8192,\"mapped_bytes\":0,\"pss_bytes\":4096},{\"tag\":\"vid\",\"buffers\":1,\"bytes\":1048576,\"fd_only_bytes\":0,\"mapped_bytes\":1048576,\"pss_bytes\":524288}]}" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_TAG, 0, NULL, false, true,
	  "main: --by tag, text, exact bytes",
	"TAG     BUFFERS  PROCS  FDS  VMAS    TOTAL   MAPPED  FD-ONLY\n"
	"-             2      2    1     2    36864    32768     4096\n"
	"camera        1      2    2     1     8192     8192        0\n"
	"p             1      1    0     1     4096     4096        0\n"
	"vid           1      2    2     2  1048576  1048576        0\n"
	MAIN_TOTALS MAIN_NOTE },
	{ TREE_MAIN, BY_TAG, 0, NULL, true, false,
	  "main: --by tag, JSON",
	"{\"tags\":[{\"tag\":\"\",\"buffers\":2,\"processes\":2,\"fds\":1,\"vmas\":2,\"bytes\":36864,\"mapped_bytes\":32768,\"fd_only_bytes\":4096},{\"tag\":\"camera\",\"buffers\":1,\"processes\":2,\"fds\":2,\"vmas\":1,\"bytes\":8192,\"mapped_bytes\":8192,\"fd_only_bytes\":0},{\"tag\":\"p\",\"buffers\":1,\"processes\":1,\"fds\":0,\"vmas\":1,\"bytes\":4096,\"mapped_bytes\":4096,\"fd_only_bytes\":0},{\"tag\":\"vid\",\"buffers\":1,\"processes\":2,\"fds\":2,\"vmas\":2,\"bytes\":1048576,\"mapped_bytes\":1048576,\"fd_only_bytes\":0}]" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_EXPORTER, 0, NULL, true, false,
	  "main: --by exporter, JSON",
	"{\"exporters\":[{\"exporter\":\"\",\"buffers\":2,\"processes\":2,\"fds\":0,\"vmas\":3,\"bytes\":36864,\"mapped_bytes\":36864,\"fd_only_bytes\":0},{\"exporter\":\"drm\",\"buffers\":1,\"processes\":2,\"fds\":2,\"vmas\":2,\"bytes\":1048576,\"mapped_bytes\":1048576,\"fd_only_bytes\":0},{\"exporter\":\"system\",\"buffers\":2,\"processes\":2,\"fds\":3,\"vmas\":1,\"bytes\":12288,\"mapped_bytes\":8192,\"fd_only_bytes\":4096}]" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_EXPORTER, 0, NULL, false, true,
	  "main: --by exporter, text, exact bytes",
	"EXPORTER  BUFFERS  PROCS  FDS  VMAS    TOTAL   MAPPED  FD-ONLY\n"
	"?               2      2    0     3    36864    36864        0\n"
	"drm             1      2    2     2  1048576  1048576        0\n"
	"system          2      2    3     1    12288     8192     4096\n"
	MAIN_TOTALS MAIN_NOTE },
	{ TREE_MAIN, BY_BUFFER, 0, NULL, false, true,
	  "main: --by buffer, text, exact bytes",
	"INODE     SIZE  EXPORTER  NAME    PROCS  PID  COMM        FDS  VMAS   MAPPED     PSS\n"
	"  100     4096  system    -           1   10  camera-hal    1     0        0    4096\n"
	"  200     8192  system    camera      2   10  camera-hal    1     1     8192    4096\n"
	"                                          20  compositor    1     0        0    4096\n"
	"  300  >=32768  ?         -           1   20  compositor    0     2    49152   32768\n"
	"  400  1048576  drm       vid         2   20  compositor    0     1  1048576  524288\n"
	"                                          30  d\303\251codeur      2     1   524288  524288\n"
	"  500   >=4096  ?         p           1   40  locked        0     1     4096    4096\n"
	MAIN_TOTALS MAIN_NOTE },
	{ TREE_MAIN, BY_BUFFER, 0, NULL, true, false,
	  "main: --by buffer, JSON",
	"{\"buffers\":[{\"inode\":100,\"size\":4096,\"size_estimated\":false,\"exporter\":\"system\",\"name\":\"\",\"fds\":1,\"vmas\":0,\"holders\":[{\"pid\":10,\"comm\":\"camera-hal\",\"fds\":1,\"vmas\":0,\"mapped_bytes\":0,\"pss_bytes\":4096}]},{\"inode\":200,\"size\":8192,\"size_estimated\":false,\"exporter\":\"system\",\"name\":\"camera\",\"fds\":2,\"vmas\":1,\"holders\":[{\"pid\":10,\"comm\":\"camera-hal\",\"fds\":1,\"vmas\":1,\"mapped_bytes\":8192,\"pss_bytes\":4096},{\"pid\":20,\"comm\":\"compositor\",\"fds\":1,\"vmas\":0,\"mapped_bytes\":0,\"pss_bytes\":4096}]},{\"inode\":300,\"size\":32768,\"size_estimated\":true,\"exporter\":\"\",\"name\":\"\",\"fds\":0,\"vmas\":2,\"holders\":[{\"pid\":20,\"comm\":\"compositor\",\"fds\":0,\"vmas\":2,\"mapped_bytes\":49152,\"pss_bytes\":32768}]},{\"inode\":400,\"size\":1048576,\"size_estimated\":false,\"exporter\":\"drm\",\"name\":\"vid\",\"fds\":2,\"vmas\":2,\"holders\":[{\"pid\":20,\"comm\":\"compositor\",\"fds\":0,\"vmas\":1,\"mapped_bytes\":1048576,\"pss_bytes\":524288},{\"pid\":30,\"comm\":\"d\303\251codeur\",\"fds\":2,\"vmas\":1,\"mapped_bytes\":524288,\"pss_bytes\":524288}]},{\"inode\":500,\"size\":4096,\"size_estimated\":true,\"exporter\":\"\",\"name\":\"p\",\"fds\":0,\"vmas\":1,\"holders\":[{\"pid\":40,\"comm\":\"locked\",\"fds\":0,\"vmas\":1,\"mapped_bytes\":4096,\"pss_bytes\":4096}]}]" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_BUFFER, 20, NULL, false, false,
	  "main: --pid 20 --by buffer, text",
	PID20_HEADER
	"\n"
	"INODE        SIZE  EXPORTER  NAME    PROCS  PID  COMM        FDS  VMAS     MAPPED        PSS\n"
	"  200     8.0 KiB  system    camera      2   10  camera-hal    1     1    8.0 KiB    4.0 KiB\n"
	"                                             20  compositor    1     0        0 B    4.0 KiB\n"
	"  300  >=32.0 KiB  ?         -           1   20  compositor    0     2   48.0 KiB   32.0 KiB\n"
	"  400     1.0 MiB  drm       vid         2   20  compositor    0     1    1.0 MiB  512.0 KiB\n"
	"                                             30  d\303\251codeur      2     1  512.0 KiB  512.0 KiB\n"
	MAIN_NOTE },
	{ TREE_MAIN, BY_TAG, 10, NULL, true, false,
	  "main: --pid 10 --by tag, JSON",
	"{\"process\":{\"pid\":10,\"comm\":\"camera-hal\",\"complete\":true,\"buffers\":2,\"fds\":2,\"vmas\":1,\"bytes\":12288,\"fd_only_bytes\":4096,\"mapped_bytes\":8192,\"pss_bytes\":8192,\"by_tag\":[{\"tag\":\"\",\"buffers\":1,\"bytes\":4096,\"fd_only_bytes\":4096,\"mapped_bytes\":0,\"pss_bytes\":4096},{\"tag\":\"camera\",\"buffers\":1,\"bytes\":8192,\"fd_only_bytes\":0,\"mapped_bytes\":8192,\"pss_bytes\":4096}]}" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_PROCESS, 70, "idle", false, false,
	  "main: --pid 70 (holds nothing), text",
	PID70_HEADER
	MAIN_NOTE },
	{ TREE_MAIN, BY_PROCESS, 70, "idle", true, false,
	  "main: --pid 70 (holds nothing), JSON",
	"{\"process\":{\"pid\":70,\"comm\":\"idle\",\"complete\":true,\"buffers\":0,\"fds\":0,\"vmas\":0,\"bytes\":0,\"fd_only_bytes\":0,\"mapped_bytes\":0,\"pss_bytes\":0,\"held\":[],\"by_exporter\":[],\"by_tag\":[]}" MAIN_JSON_TAIL },
	{ TREE_MAIN, BY_BUFFER, 70, "idle", false, false,
	  "main: --pid 70 --by buffer (holds nothing), text",
	PID70_HEADER
	MAIN_NOTE },
	{ TREE_EMPTY, BY_PROCESS, 0, NULL, false, false,
	  "empty: processes, text (nothing held, nothing unreadable: no note)",
	"no process holds a dma-buf\n"
	"\n"
	"total: 0 buffers, 0 B: 0 B mapped, 0 B fd-only (each buffer counted once); held by 0 processes\n"
	"scanned 1 process: 0 vanished during the scan, 0 unreadable\n" },
	{ TREE_EMPTY, BY_TAG, 0, NULL, true, false,
	  "empty: --by tag, JSON (empty arrays)",
	"{\"tags\":[],\"totals\":{\"buffers\":0,\"bytes\":0,\"mapped_bytes\":0,\"fd_only_bytes\":0,\"processes\":0,\"scanned\":1,\"vanished\":0,\"unreadable\":0,\"malformed\":0},\"unreadable\":[]}\n" },
	{ TREE_MANY, BY_PROCESS, 1000, NULL, false, true,
	  "many: --pid 1000, text: PSS 1048576/30 rounded down, 4 other holders then '25 more', a TAB in a name as '?'",
	"process 1000 (p1000): 1 buffer, 1 fd, 0 vmas; total 1048576, fd-only 1048576, mapped 0, PSS 34952\n"
	"\n"
	"INODE     SIZE  EXPORTER  NAME  FDS  VMAS  MAPPED    PSS  OTHER HOLDERS\n"
	"  900  1048576  system    a?b     1     0       0  34952  p1001:1001, p1002:1002, p1003:1003, p1004:1004, 25 more\n"
	"\n"
	"EXPORTER  BUFFERS    TOTAL  FD-ONLY  MAPPED    PSS\n"
	"system          1  1048576  1048576       0  34952\n"
	"\n"
	"TAG  BUFFERS    TOTAL  FD-ONLY  MAPPED    PSS\n"
	"a?b        1  1048576  1048576       0  34952\n" },
	{ TREE_MANY, BY_TAG, 0, NULL, false, false,
	  "many: --by tag, text, human units",
	"TAG  BUFFERS  PROCS  FDS  VMAS    TOTAL  MAPPED  FD-ONLY\n"
	"a?b        1     30   30     0  1.0 MiB     0 B  1.0 MiB\n"
	"\n"
	"total: 1 buffer, 1.0 MiB: 0 B mapped, 1.0 MiB fd-only (each buffer counted once); held by 30 processes\n"
	"scanned 30 processes: 0 vanished during the scan, 0 unreadable\n" },
	{ TREE_MANY, BY_TAG, 0, NULL, true, false,
	  "many: --by tag, JSON: the TAB escaped",
	"{\"tags\":[{\"tag\":\"a\\tb\",\"buffers\":1,\"processes\":30,\"fds\":30,\"vmas\":0,\"bytes\":1048576,\"mapped_bytes\":0,\"fd_only_bytes\":1048576}],\"totals\":{\"buffers\":1,\"bytes\":1048576,\"mapped_bytes\":0,\"fd_only_bytes\":1048576,\"processes\":30,\"scanned\":30,\"vanished\":0,\"unreadable\":0,\"malformed\":0},\"unreadable\":[]}\n" },
	{ TREE_MANY, BY_PROCESS, 1007, NULL, false, false,
	  "many: --pid 1007, text: a control character in a comm as '?'",
	"process 1007 (ev?l): 1 buffer, 1 fd, 0 vmas; total 1.0 MiB, fd-only 1.0 MiB, mapped 0 B, PSS 34.1 KiB\n"
	"\n"
	"INODE     SIZE  EXPORTER  NAME  FDS  VMAS  MAPPED       PSS  OTHER HOLDERS\n"
	"  900  1.0 MiB  system    a?b     1     0     0 B  34.1 KiB  p1000:1000, p1001:1001, p1002:1002, p1003:1003, 25 more\n"
	"\n"
	"EXPORTER  BUFFERS    TOTAL  FD-ONLY  MAPPED       PSS\n"
	"system          1  1.0 MiB  1.0 MiB     0 B  34.1 KiB\n"
	"\n"
	"TAG  BUFFERS    TOTAL  FD-ONLY  MAPPED       PSS\n"
	"a?b        1  1.0 MiB  1.0 MiB     0 B  34.1 KiB\n" },
};
/* clang-format on */

/* buffers_print() of one case on @s, as a string to free(). */
static char *render(const struct mtc_dmabuf_scan *s, const struct view_case *c)
{
	struct buffers_view v = {
		.by = c->by,
		.has_pid = c->pid > 0,
		.pid = c->pid,
		.comm = c->comm,
	};
	struct printer p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f) {
		perror("open_memstream");
		exit(99);
	}
	pr_init(&p, f, c->json, false, c->exact);
	err = buffers_print(&p, s, &v);
	fclose(f);
	if (err) {
		printf("# buffers_print: %s\n", strerror(-err));
		free(buf);
		return strdup("(error)");
	}
	return buf;
}

static void test_views(enum tree tree)
{
	struct mtc_dmabuf_scan *s = NULL;
	size_t i;
	char *got;
	int err;

	new_tree();
	builders[tree]();
	err = mtc_dmabuf_scan(root, &s);
	CHECK(!err && s, "scan of tree %d: %d", tree, err);
	for (i = 0; s && i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].tree != tree)
			continue;
		got = render(s, &cases[i]);
		CHECK(!strcmp(got, cases[i].want), "%s", cases[i].what);
		if (strcmp(got, cases[i].want))
			printf("# got:\n%s# want:\n%s", got, cases[i].want);
		free(got);
	}
	mtc_dmabuf_scan_free(s);
	drop_tree();
}

static void test_parse_by(void)
{
	enum buffers_by by = BY_BUFFER;

	CHECK(!buffers_parse_by("process", &by) && by == BY_PROCESS,
	      "--by process");
	CHECK(!buffers_parse_by("tag", &by) && by == BY_TAG, "--by tag");
	CHECK(!buffers_parse_by("exporter", &by) && by == BY_EXPORTER,
	      "--by exporter");
	CHECK(!buffers_parse_by("buffer", &by) && by == BY_BUFFER,
	      "--by buffer");
	CHECK(buffers_parse_by("pid", &by) == -EINVAL && by == BY_BUFFER,
	      "--by pid is refused, the value left alone");
	CHECK(buffers_parse_by("", &by) == -EINVAL, "--by '' is refused");
	CHECK(buffers_parse_by("Tag", &by) == -EINVAL,
	      "--by is case-sensitive");
}

int main(void)
{
	test_views(TREE_MAIN);
	test_views(TREE_EMPTY);
	test_views(TREE_MANY);
	test_parse_by();
	printf("1..%d\n", checks);
	return failures != 0;
}
