// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of memtrackd's dma-buf tree (dmabuf-tree.c): names, the tree
 * built from hand-made scanner structs and from the real scanner run on a
 * procfs-like tree, the steps between two trees, the list of gone
 * processes, and the procfs and capability checks.  TAP output.  Every
 * expected value is written out by hand.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabuf-tree.h"
#include "test-dmabuf-tree.h"

/* ---- hand-made scans ---------------------------------------------------- */

static struct mtc_dmabuf_buffer bufs[8];
static struct mtc_dmabuf_holder holders[16];
static struct mtc_dmabuf_proc procs[4];
static struct mtc_dmabuf_holder *last[4];
static size_t n_holders;

static void reset(void)
{
	memset(bufs, 0, sizeof(bufs));
	memset(holders, 0, sizeof(holders));
	memset(procs, 0, sizeof(procs));
	memset(last, 0, sizeof(last));
	n_holders = 0;
}

static void buf(int b, uint64_t size, const char *exp, const char *name)
{
	bufs[b].inode = 100 + b;
	bufs[b].size = size;
	snprintf(bufs[b].exp_name, sizeof(bufs[b].exp_name), "%s", exp);
	snprintf(bufs[b].name, sizeof(bufs[b].name), "%s", name);
}

static void proc_at(int p, uint32_t pid, const char *comm)
{
	procs[p].pid = pid;
	snprintf(procs[p].comm, sizeof(procs[p].comm), "%s", comm);
	if (p > 0)
		procs[p - 1].next = &procs[p];
}

/* Process @p holds buffer @b with share @pss (appended to its list). */
static void hold(int p, int b, uint64_t pss)
{
	struct mtc_dmabuf_holder *h = &holders[n_holders++];

	h->pid = procs[p].pid;
	h->pss_bytes = pss;
	h->buffer = &bufs[b];
	h->proc = &procs[p];
	if (last[p])
		last[p]->next_in_proc = h;
	else
		procs[p].holders = h;
	last[p] = h;
}

static const struct mtd_dmabuf_entry *find(const struct mtd_dmabuf_tree *t,
					   const char *path)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].path, path))
			return &t->e[i];
	return NULL;
}

/* @path is in @t with these values and @parent_path as its parent. */
static void check_entry(const struct mtd_dmabuf_tree *t, const char *path,
			const char *parent_path, unsigned int depth,
			uint32_t pid, uint64_t bytes, uint64_t self,
			uint64_t count)
{
	const struct mtd_dmabuf_entry *e = find(t, path);
	const char *slash = strrchr(path, '/');

	CHECK(e && e->depth == depth && e->pid == pid && e->bytes == bytes &&
		      e->self_bytes == self && e->count == count &&
		      !strcmp(e->name, slash ? slash + 1 : path) &&
		      (parent_path ? e->parent && !strcmp(e->parent->path,
							  parent_path) :
				     !e->parent),
	      "%s: depth %u pid %u bytes %llu self %llu count %llu (got %u %u %llu %llu %llu)",
	      path, depth, pid, (unsigned long long)bytes,
	      (unsigned long long)self, (unsigned long long)count,
	      e ? e->depth : 99, e ? e->pid : 0,
	      (unsigned long long)(e ? e->bytes : 0),
	      (unsigned long long)(e ? e->self_bytes : 0),
	      (unsigned long long)(e ? e->count : 0));
}

static bool sorted(const struct mtd_dmabuf_tree *t)
{
	size_t i;

	for (i = 1; i < t->n; i++)
		if (strcmp(t->e[i - 1].path, t->e[i].path) >= 0)
			return false;
	return true;
}

/*
 * Two processes share "camera" buffer 4 (3000 bytes, 1500 each); the
 * first also has a named, an unnamed and two names that become equal, the
 * second a buffer known only by mapping (no exporter).
 */
static void scan_a(void)
{
	reset();
	buf(0, 4096, "system", "camera");
	buf(1, 8192, "system", "");
	buf(2, 12288, "", "");
	buf(3, 3000, "system", "camera");
	buf(4, 100, "system", "a/b");
	buf(5, 200, "system", "a#b");
	proc_at(0, 10, "cam/app");
	proc_at(1, 20, "gpu");
	hold(0, 0, 4096);
	hold(0, 1, 8192);
	hold(0, 3, 1500);
	hold(0, 4, 100);
	hold(0, 5, 200);
	hold(1, 2, 12288);
	hold(1, 3, 1500);
}

static void test_build(void)
{
	struct mtd_dmabuf_tree t = { 0 };
	int err;

	scan_a();
	err = mtd_dmabuf_tree_build(procs, &t);
	CHECK(!err && t.n == 8 && sorted(&t),
	      "build: 8 entries in path order (got %d, %zu)", err, t.n);
	check_entry(&t, "dmabuf", NULL, 0, 0, 27876, 0, 0);
	check_entry(&t, "dmabuf/cam_app:10", "dmabuf", 1, 10, 14088, 0, 0);
	check_entry(&t, "dmabuf/cam_app:10/camera", "dmabuf/cam_app:10", 2, 10,
		    5596, 5596, 2);
	check_entry(&t, "dmabuf/cam_app:10/untagged:system",
		    "dmabuf/cam_app:10", 2, 10, 8192, 8192, 1);
	check_entry(&t, "dmabuf/cam_app:10/a_b", "dmabuf/cam_app:10", 2, 10,
		    300, 300, 2);
	check_entry(&t, "dmabuf/gpu:20", "dmabuf", 1, 20, 13788, 0, 0);
	check_entry(&t, "dmabuf/gpu:20/camera", "dmabuf/gpu:20", 2, 20, 1500,
		    1500, 1);
	check_entry(&t, "dmabuf/gpu:20/untagged", "dmabuf/gpu:20", 2, 20, 12288,
		    12288, 1);
	CHECK(find(&t, "dmabuf/cam_app:10") &&
		      !strcmp(find(&t, "dmabuf/cam_app:10")->comm, "cam/app"),
	      "an entry keeps the comm as read (cam/app)");

	/* Rebuilding into the same tree replaces it. */
	err = mtd_dmabuf_tree_build(NULL, &t);
	CHECK(!err && t.n == 1 && !strcmp(t.e[0].path, "dmabuf") &&
		      t.e[0].bytes == 0 && !t.e[0].parent,
	      "no holders: the root alone, 0 bytes");
	mtd_dmabuf_tree_free(&t);
	CHECK(t.n == 0 && !t.e, "free empties the tree");
}

static void test_component(void)
{
	char out[MTC_NAME_MAX], small[6];
	char in[200];

	mtd_dmabuf_component(out, sizeof(out), "a/b#c d\x01\x7f\xc3\xa9:9");
	CHECK(!strcmp(out, "a_b_c d____:9"),
	      "component: '/', '#', controls and non-ASCII become '_' (%s)",
	      out);
	mtd_dmabuf_component(small, sizeof(small), "abcdefgh");
	CHECK(!strcmp(small, "abcde"), "component: cut to the size (%s)",
	      small);
	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	reset();
	buf(0, 4096, in, "");
	proc_at(0, 7, "p");
	hold(0, 0, 4096);
	{
		struct mtd_dmabuf_tree t = { 0 };
		const struct mtd_dmabuf_entry *e;

		mtd_dmabuf_tree_build(procs, &t);
		e = t.n == 3 ? &t.e[2] : NULL;
		CHECK(e && strlen(e->name) == MTC_NAME_MAX - 1 &&
			      !strncmp(e->name, "untagged:xxx", 12),
		      "a long exporter name is cut to %d bytes (%zu)",
		      MTC_NAME_MAX - 1, e ? strlen(e->name) : 0);
		mtd_dmabuf_tree_free(&t);
	}
}

/* ---- the real scanner --------------------------------------------------- */

static void test_real_scan(void)
{
	const struct mtc_dmabuf_proc *p;
	struct mtd_dmabuf_tree t = { 0 };
	struct mtc_dmabuf_scan *s = NULL;
	uint64_t sum = 0;
	int err;

	new_tree();
	proc(10, "cam/x",
	     MAP("7f0000000000", "7f0000003000", "00000000", "300",
		 "/dmabuf:"));
	add_fd(10, 3, "/dmabuf:camera", fdi("100", "4096", "system", "camera"));
	add_fd(10, 4, "/dmabuf:", fdi("200", "8192", "system", NULL));
	add_fd(10, 5, "pipe:[9]", pipe_info);
	proc(20, "gpu", "");
	add_fd(20, 5, "/dmabuf:camera", fdi("100", "4096", "system", "camera"));
	proc(30, "idle", "");
	add_fd(30, 0, "/dev/null", pipe_info);

	err = mtc_dmabuf_scan(root, &s);
	CHECK(!err, "scan of the constructed tree (%d)", err);
	if (!err)
		err = mtd_dmabuf_tree_build(mtc_dmabuf_scan_procs(s), &t);
	CHECK(!err && t.n == 7 && sorted(&t),
	      "tree of the scan: 7 entries (%zu)", t.n);
	check_entry(&t, "dmabuf", NULL, 0, 0, 24576, 0, 0);
	check_entry(&t, "dmabuf/cam_x:10", "dmabuf", 1, 10, 22528, 0, 0);
	check_entry(&t, "dmabuf/cam_x:10/camera", "dmabuf/cam_x:10", 2, 10,
		    2048, 2048, 1);
	check_entry(&t, "dmabuf/cam_x:10/untagged:system", "dmabuf/cam_x:10", 2,
		    10, 8192, 8192, 1);
	check_entry(&t, "dmabuf/cam_x:10/untagged", "dmabuf/cam_x:10", 2, 10,
		    12288, 12288, 1);
	check_entry(&t, "dmabuf/gpu:20", "dmabuf", 1, 20, 2048, 0, 0);
	check_entry(&t, "dmabuf/gpu:20/camera", "dmabuf/gpu:20", 2, 20, 2048,
		    2048, 1);
	for (p = s ? mtc_dmabuf_scan_procs(s) : NULL; p; p = p->next) {
		char path[64];
		const struct mtd_dmabuf_entry *e;

		snprintf(path, sizeof(path), "dmabuf/%s:%u",
			 p->pid == 10 ? "cam_x" : p->comm, p->pid);
		e = find(&t, path);
		CHECK(e && e->bytes == p->pss_bytes,
		      "%s equals the scanner's PSS of the process (%llu)", path,
		      (unsigned long long)p->pss_bytes);
		sum += p->pss_bytes;
	}
	CHECK(t.n && t.e[0].bytes == sum &&
		      sum == mtc_dmabuf_scan_totals(s)->bytes,
	      "root = sum of the PSS = the scan's total (%llu)",
	      (unsigned long long)sum);
	mtd_dmabuf_tree_free(&t);
	mtc_dmabuf_scan_free(s);
	drop_tree();
}

/* ---- diff --------------------------------------------------------------- */

static char oplog[4096];

static void log_op(enum mtd_dmabuf_op op, const struct mtd_dmabuf_entry *was,
		   const struct mtd_dmabuf_entry *now, void *priv)
{
	static const char code[] = { 'R', 'A', 'U', 'S' };
	const struct mtd_dmabuf_entry *e = now ? now : was;
	size_t len = strlen(oplog);
	int *bad = priv;

	/* Each op names the entries it should. */
	if ((op == MTD_DMABUF_REMOVE) != !now ||
	    (op == MTD_DMABUF_ADD) != !was ||
	    (was && now && strcmp(was->path, now->path)))
		(*bad)++;
	snprintf(oplog + len, sizeof(oplog) - len, "%s%c %s", len ? ", " : "",
		 code[op], e->path);
}

static void diff(const struct mtd_dmabuf_tree *a,
		 const struct mtd_dmabuf_tree *b, const char *want,
		 const char *what)
{
	int bad = 0;

	oplog[0] = '\0';
	mtd_dmabuf_diff(a, b, log_op, &bad);
	CHECK(!bad && !strcmp(oplog, want), "diff %s: %s%s%s", what, oplog,
	      strcmp(oplog, want) ? " -- want " : "",
	      strcmp(oplog, want) ? want : "");
}

static void test_diff(void)
{
	struct mtd_dmabuf_tree empty = { 0 }, a = { 0 }, b = { 0 };

	scan_a();
	mtd_dmabuf_tree_build(procs, &a);
	/*
	 * Then: cam/app is gone, gpu's camera share grows (its buffer 3 is
	 * its own now), its unnamed one is unchanged, and pid 5 appears.
	 */
	reset();
	buf(2, 12288, "", "");
	buf(3, 3000, "system", "camera");
	buf(6, 4096, "udmabuf", "");
	proc_at(0, 5, "new");
	proc_at(1, 20, "gpu");
	hold(0, 6, 4096);
	hold(1, 2, 12288);
	hold(1, 3, 3000);
	mtd_dmabuf_tree_build(procs, &b);

	diff(&a, &b,
	     "R dmabuf/cam_app:10/untagged:system, R dmabuf/cam_app:10/camera, "
	     "R dmabuf/cam_app:10/a_b, R dmabuf/cam_app:10, "
	     "U dmabuf, U dmabuf/gpu:20, U dmabuf/gpu:20/camera, "
	     "S dmabuf/gpu:20/untagged, "
	     "A dmabuf/new:5, A dmabuf/new:5/untagged:udmabuf",
	     "a to b");
	diff(&a, &a,
	     "S dmabuf, S dmabuf/cam_app:10, S dmabuf/cam_app:10/a_b, "
	     "S dmabuf/cam_app:10/camera, S dmabuf/cam_app:10/untagged:system, "
	     "S dmabuf/gpu:20, S dmabuf/gpu:20/camera, S dmabuf/gpu:20/untagged",
	     "a to a");
	diff(&empty, &b,
	     "A dmabuf, A dmabuf/gpu:20, A dmabuf/gpu:20/camera, "
	     "A dmabuf/gpu:20/untagged, A dmabuf/new:5, "
	     "A dmabuf/new:5/untagged:udmabuf",
	     "empty to b");
	diff(&b, &empty,
	     "R dmabuf/new:5/untagged:udmabuf, R dmabuf/new:5, "
	     "R dmabuf/gpu:20/untagged, R dmabuf/gpu:20/camera, "
	     "R dmabuf/gpu:20, R dmabuf",
	     "b to empty");
	mtd_dmabuf_tree_free(&a);
	mtd_dmabuf_tree_free(&b);

	/* Same bytes in other buffers: only the tag's Count tells. */
	reset();
	buf(0, 1000, "system", "camera");
	buf(1, 3000, "system", "camera");
	proc_at(0, 7, "p");
	hold(0, 0, 1000);
	hold(0, 1, 3000);
	mtd_dmabuf_tree_build(procs, &a);
	reset();
	buf(0, 4000, "system", "camera");
	proc_at(0, 7, "p");
	hold(0, 0, 4000);
	mtd_dmabuf_tree_build(procs, &b);
	diff(&a, &b, "S dmabuf, S dmabuf/p:7, U dmabuf/p:7/camera",
	     "count only");
	mtd_dmabuf_tree_free(&a);
	mtd_dmabuf_tree_free(&b);
}

/* ---- paths and the gone list -------------------------------------------- */

static void test_paths(void)
{
	CHECK(mtd_dmabuf_path("dmabuf") && mtd_dmabuf_path("dmabuf/x:1/t") &&
		      !mtd_dmabuf_path("dmabufs") &&
		      !mtd_dmabuf_path("vpu0/dmabuf"),
	      "mtd_dmabuf_path: dmabuf and below only");
	CHECK(mtd_dmabuf_process_path("dmabuf/x:1") &&
		      !mtd_dmabuf_process_path("dmabuf") &&
		      !mtd_dmabuf_process_path("dmabuf/") &&
		      !mtd_dmabuf_process_path("dmabuf/x:1/t") &&
		      !mtd_dmabuf_process_path("dmabufx/y"),
	      "mtd_dmabuf_process_path: one component under dmabuf");
	CHECK(mtd_dmabuf_under("dmabuf/a:1", "dmabuf/a:1") &&
		      mtd_dmabuf_under("dmabuf/a:1/t", "dmabuf/a:1") &&
		      !mtd_dmabuf_under("dmabuf/a:10", "dmabuf/a:1") &&
		      !mtd_dmabuf_under("dmabuf/a:1 b:2", "dmabuf/a:1"),
	      "mtd_dmabuf_under: the path and its subtree, not a:10");
}

static void test_gone(void)
{
	struct mtd_dmabuf_gone g = { 0 };
	char *p, got[256] = "";
	int i;

	for (i = 1; i <= 20; i++) {
		char path[32];

		snprintf(path, sizeof(path), "dmabuf/p:%d", i);
		mtd_dmabuf_gone_push(&g, path);
	}
	mtd_dmabuf_gone_push(&g, "dmabuf/p:1"); /* gone again: newest */
	mtd_dmabuf_gone_drop(&g, "dmabuf/p:2"); /* back */
	mtd_dmabuf_gone_drop(&g, "dmabuf/none");
	CHECK(g.n == 19, "19 kept after a drop (%zu)", g.n);
	while ((p = mtd_dmabuf_gone_pop(&g, 16))) {
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ",
			 p);
		free(p);
	}
	CHECK(!strcmp(got, "dmabuf/p:3 dmabuf/p:4 dmabuf/p:5 ") && g.n == 16 &&
		      !strcmp(g.paths[15], "dmabuf/p:1"),
	      "pop beyond 16: the oldest first, a re-pushed path is newest (%s)",
	      got);
	CHECK(!mtd_dmabuf_gone_pop(&g, 16), "nothing to pop at the limit");
	mtd_dmabuf_gone_free(&g);
	CHECK(!g.n && !g.paths, "free empties the list");
}

/* ---- procfs and capabilities -------------------------------------------- */

static void test_procfs(void)
{
	static const char plain[] =
		"22 1 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
		"23 1 0:22 / /proc rw,nosuid,nodev shared:12 - proc proc rw\n";
	static const char invisible[] =
		"23 1 0:22 / /proc rw,nosuid shared:12 - proc proc rw\n"
		"801 23 0:95 / /proc rw,nosuid - proc proc rw,hidepid=invisible\n";
	static const char numeric[] =
		"801 1 0:95 / /proc rw - proc proc rw,hidepid=2,subset=pid";
	static const char noaccess[] =
		"801 1 0:95 / /proc rw - proc proc rw,hidepid=noaccess\n";
	static const char four[] =
		"801 1 0:95 / /proc rw - proc proc rw,hidepid=4\n";
	static const char ptraceable[] =
		"801 1 0:95 / /proc rw - proc proc rw,hidepid=ptraceable\n";
	static const char elsewhere[] =
		"23 1 0:22 / /proc rw - proc proc rw\n"
		"90 1 0:95 / /run/proc rw - proc proc rw,hidepid=2\n";
	static const char unhidden[] =
		"801 1 0:95 / /proc rw - proc proc rw,hidepid=invisible\n"
		"802 801 0:96 / /proc rw - proc proc rw,hidepid=off\n";
	static const char status[] =
		"Name:\tmemtrackd\nCapPrm:\t0000000000081000\n"
		"CapEff:\t0000000000081000\nCapBnd:\t0000000000081000\n";

	CHECK(!mtd_dmabuf_procfs_hides(plain),
	      "mountinfo: plain /proc hides nothing");
	CHECK(mtd_dmabuf_procfs_hides(invisible),
	      "mountinfo: hidepid=invisible on top hides");
	CHECK(mtd_dmabuf_procfs_hides(numeric),
	      "mountinfo: hidepid=2 (no newline) hides");
	CHECK(!mtd_dmabuf_procfs_hides(noaccess),
	      "mountinfo: hidepid=noaccess lists every process (unreadable ones are counted)");
	CHECK(mtd_dmabuf_procfs_hides(four), "mountinfo: hidepid=4 hides");
	CHECK(mtd_dmabuf_procfs_hides(ptraceable),
	      "mountinfo: hidepid=ptraceable hides");
	CHECK(!mtd_dmabuf_procfs_hides(elsewhere),
	      "mountinfo: only the mount on /proc counts");
	CHECK(!mtd_dmabuf_procfs_hides(unhidden),
	      "mountinfo: the last mount on /proc wins");
	CHECK(mtd_dmabuf_has_cap(status, 12) &&
		      mtd_dmabuf_has_cap(status, 19) &&
		      !mtd_dmabuf_has_cap(status, 2) &&
		      !mtd_dmabuf_has_cap(status, 64) &&
		      !mtd_dmabuf_has_cap("Name:\tx\n", 12),
	      "CapEff: CAP_NET_ADMIN (12) and CAP_SYS_PTRACE (19), not CAP_DAC_READ_SEARCH (2)");
}

int main(void)
{
	test_component();
	test_build();
	test_real_scan();
	test_diff();
	test_paths();
	test_gone();
	test_procfs();
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
