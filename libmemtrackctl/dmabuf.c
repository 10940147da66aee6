// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dma-buf scanner: who holds which dma-buf, read from procfs alone.
 *
 * What the kernel shows (drivers/dma-buf/dma-buf.c, fs/proc/fd.c and
 * fs/proc/task_mmu.c, the same in 6.1 and 6.12):
 *  - a dma-buf file's dentry name is "/dmabuf:<name>" (dmabuffs_dname()),
 *    so both its /proc/PID/fd/N link and its /proc/PID/maps path read so;
 *  - fdinfo has the generic "ino:" line (i_ino, made unique per buffer by
 *    dma_buf_getfile()'s 64-bit counter), then dma_buf_show_fdinfo()'s
 *    "size:", "count:" (file refcount, not a process count), "exp_name:"
 *    and, when set, "name:".
 *
 * Cost matters (a scan walks every process), so: openat() relative to
 * directory fds, one read() of fdinfo into a stack buffer, no stdio, and
 * buffers found by inode through a hash.  Every process's mappings must
 * be read (a buffer can stay mapped after its fd is closed).  Where the
 * kernel has PROCMAP_QUERY (6.11+), the file-backed VMAs are walked with
 * that ioctl on the maps fd, which formats no text and resolves no path:
 * a dma-buf VMA is one on the dma-buf filesystem's device, learnt from
 * the name of the first VMA on a device of major 0 that is a dma-buf.
 * Its shared-only filter is not used: the dma-buf core does not refuse
 * MAP_PRIVATE, so an exporter may allow it.  Elsewhere (6.1, a constructed
 * tree) maps is read as text and only lines around a "dmabuf" substring
 * are parsed.
 *
 * Which fdinfo to read: a readlink() of fd/N costs about half an fdinfo
 * open+read+close (measured on procfs of 6.1 and 6.12 and on ext4 trees).
 * While most fds are not dma-bufs, the usual case, reading the links
 * first and only the dma-bufs' fdinfo is cheaper; once more than half the
 * fds seen in this scan were dma-bufs, every fdinfo is read instead and
 * dma-bufs are told by their exp_name: line.
 *
 * Pids are sorted before the scan, so holders arrive in pid order (the
 * records, kept by dmabuf-report.c, rely on it to roll back a process
 * that vanished mid-scan).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

#include "internal.h"

#ifndef PROCMAP_QUERY	/* uapi of 6.11, newer than bookworm's headers */
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA	0x10
#define PROCMAP_QUERY_FILE_BACKED_VMA		0x20
struct procmap_query {
	__u64 size;
	__u64 query_flags;
	__u64 query_addr;
	__u64 vma_start;
	__u64 vma_end;
	__u64 vma_flags;
	__u64 vma_page_size;
	__u64 vma_offset;
	__u64 inode;
	__u32 dev_major;
	__u32 dev_minor;
	__u32 vma_name_size;
	__u32 build_id_size;
	__u64 vma_name_addr;
	__u64 build_id_addr;
};

#define PROCMAP_QUERY	_IOWR('f', 17, struct procmap_query)
#endif

#define FDINFO_MAX	4096	/* ~120 bytes, + any lock: lines */
#define MAPS_CHUNK	65536	/* a maps line is < PATH_MAX + 100 */
#define LINK_READ	64	/* only the link's prefix matters */
#define OTHER_MINORS_MAX 16	/* tmpfs, memfd, 9p, ...: few per system */
#define DIRECT_MIN_FDS	256	/* fds to see before trusting a mix */

enum { OK = 0, STOP = 1, VANISHED = 2 };	/* part results; < 0 fatal */

struct ctx {
	struct mtc_dmabuf_raw r;
	int rootfd;
	char *maps;
	size_t n_fds, n_dmabuf_fds;	/* seen so far in the scan */
	bool maps_as_text;		/* no PROCMAP_QUERY here */
	bool dmabuf_dev_known;		/* major 0, and this minor */
	uint32_t dmabuf_minor;
	/* major-0 minors whose VMAs were found to be something else */
	uint32_t other_minors[OTHER_MINORS_MAX];
	unsigned int n_other_minors;
	/* the process being scanned */
	uint32_t pid;
	int pidfd;
	size_t first_ref;
	int err;
	const char *err_what;
};

static void copy_str(char *dst, size_t size, const char *s, const char *e)
{
	size_t n = (size_t)(e - s) < size - 1 ? (size_t)(e - s) : size - 1;

	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Digits of @base at @p: the end of them, or NULL if none or on overflow. */
static const char *take_num(const char *p, const char *e, int base,
			    uint64_t *out)
{
	const char *start = p;
	uint64_t v = 0;
	unsigned int d;

	for (; p < e; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return NULL;
		v = v * base + d;
	}
	*out = v;
	return p == start ? NULL : p;
}

static bool parse_dec(const char *p, const char *e, uint64_t *out)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	p = take_num(p, e, 10, out);
	return p && p == e;
}

static int part_failed(struct ctx *c, int err, const char *what)
{
	if (err == ENOENT || err == ESRCH)
		return VANISHED;
	if (!c->err) {
		c->err = err;
		c->err_what = what;
	}
	return STOP;
}

static bool is_dmabuf_path(const char *p, const char *e)
{
	return (e - p >= 8 && !memcmp(p, "/dmabuf:", 8)) ||
	       (e - p == 17 && !memcmp(p, "anon_inode:dmabuf", 17));
}

/*
 * One dma-buf fdinfo.  Unknown lines (pos:, lock:, count: ...) are
 * skipped; a file without exp_name: is not a dma-buf's (the fd was
 * reused since its link was read) and is ignored.
 */
static int add_fdinfo(struct ctx *c, char *buf, size_t len, bool *dmabuf)
{
	const char *p = buf, *e = buf + len, *eol, *colon, *v;
	const char *exp = NULL, *exp_e = NULL, *name = NULL, *name_e = NULL;
	bool has_ino = false, has_size = false, bad = false;
	uint64_t ino = 0, size = 0;
	struct mtc_dmabuf_raw_holder *h;
	struct mtc_dmabuf_raw_buf *b;
	long bi;

	for (; p < e; p = eol + 1) {
		eol = memchr(p, '\n', e - p);
		if (!eol)
			eol = e;
		colon = memchr(p, ':', eol - p);
		if (!colon)
			continue;
		v = colon + 1;
		if (colon - p == 3 && !memcmp(p, "ino", 3)) {
			has_ino = true;
			bad |= !parse_dec(v, eol, &ino);
		} else if (colon - p == 4 && !memcmp(p, "size", 4)) {
			has_size = true;
			bad |= !parse_dec(v, eol, &size);
		} else if (colon - p == 8 && !memcmp(p, "exp_name", 8)) {
			/* The kernel writes "key:\t%s"; keep the rest as is. */
			exp = v + (v < eol && *v == '\t');
			exp_e = eol;
		} else if (colon - p == 4 && !memcmp(p, "name", 4)) {
			name = v + (v < eol && *v == '\t');
			name_e = eol;
		}
	}
	*dmabuf = exp;
	if (!exp)
		return OK;
	if (bad || !has_ino || !has_size) {
		c->r.totals.n_malformed++;
		return OK;
	}
	bi = mtc_dmabuf_raw_buf(&c->r, ino);
	if (bi < 0)
		return -ENOMEM;
	b = &c->r.bufs[bi];
	b->exact = true;
	b->size = size;
	copy_str(b->exp_name, sizeof(b->exp_name), exp, exp_e);
	if (name)
		copy_str(b->name, sizeof(b->name), name, name_e);
	else	/* unnamed now, whatever a mapping said */
		b->name[0] = '\0';
	h = mtc_dmabuf_raw_holder(&c->r, bi, c->pid);
	if (!h)
		return -ENOMEM;
	h->n_fds++;
	return OK;
}

/* fdinfo/@fd of the current process; @linked: its link said dma-buf. */
static int read_fdinfo(struct ctx *c, int infodir, const char *fd,
		       bool linked)
{
	char buf[FDINFO_MAX];
	bool dmabuf = false;
	ssize_t n;
	int f, ret;

	f = openat(infodir, fd, O_RDONLY | O_CLOEXEC);
	if (f < 0)	/* ENOENT: closed since the listing */
		return errno == ENOENT ? OK : part_failed(c, errno, "fdinfo");
	n = read(f, buf, sizeof(buf));
	if (n < 0)
		n = -errno;
	close(f);
	if (n == -ENOENT)	/* seq_show(): the fd is no longer open */
		return OK;
	if (n < 0)
		return part_failed(c, -n, "fdinfo");
	if (n == (ssize_t)sizeof(buf)) {
		/* Cut, so lines may be missing; epoll's can be that big. */
		if (linked || memmem(buf, n, "\nexp_name:", 10))
			c->r.totals.n_malformed++;
		return OK;
	}
	ret = add_fdinfo(c, buf, n, &dmabuf);
	if (!linked && dmabuf)
		c->n_dmabuf_fds++;
	return ret;
}

static int scan_fd(struct ctx *c, int fddir, int *infodir, const char *fd)
{
	char link[LINK_READ];
	ssize_t n;

	n = readlinkat(fddir, fd, link, sizeof(link));
	if (n < 0)	/* ENOENT: closed since the listing */
		return errno == ENOENT ? OK : part_failed(c, errno, "fd");
	if (!is_dmabuf_path(link, link + n))
		return OK;
	c->n_dmabuf_fds++;
	if (*infodir < 0) {
		*infodir = openat(c->pidfd, "fdinfo",
				  O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*infodir < 0)
			return part_failed(c, errno, "fdinfo");
	}
	return read_fdinfo(c, *infodir, fd, true);
}

/* @v in decimal at @buf, which has room for 11 bytes; snprintf() costs. */
static void fmt_u32(char *buf, uint32_t v)
{
	char tmp[10];
	size_t n = 0;

	do
		tmp[n++] = '0' + v % 10;
	while (v /= 10);
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int scan_fds(struct ctx *c)
{
	bool direct = c->n_fds >= DIRECT_MIN_FDS &&
		      c->n_dmabuf_fds > c->n_fds / 2;
	const char *what = direct ? "fdinfo" : "fd";
	char dents[8192] __attribute__((aligned(8)));
	int dir, infodir = -1, ret = OK;
	struct dirent64 *d;
	ssize_t n = 0, off;

	dir = openat(c->pidfd, what, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return part_failed(c, errno, what);
	while (ret == OK && (n = getdents64(dir, dents, sizeof(dents))) > 0) {
		for (off = 0; ret == OK && off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			if (!all_digits(d->d_name))
				continue;
			c->n_fds++;
			if (direct)
				ret = read_fdinfo(c, dir, d->d_name, false);
			else
				ret = scan_fd(c, dir, &infodir, d->d_name);
		}
	}
	if (ret == OK && n < 0)
		ret = part_failed(c, errno, what);
	if (infodir >= 0)
		close(infodir);
	close(dir);
	return ret;
}

/* From the space before a field, to the start of the field after it. */
static const char *skip_field(const char *p, const char *e)
{
	if (!p || p >= e || *p != ' ')
		return NULL;
	p = memchr(p + 1, ' ', e - p - 1);
	return p ? p + 1 : NULL;
}

/* A VMA of @len bytes of buffer @bi in the current process. */
static int add_mapping(struct ctx *c, long bi, uint64_t len)
{
	struct mtc_dmabuf_raw_buf *b = &c->r.bufs[bi];
	struct mtc_dmabuf_raw_holder *h;

	/*
	 * If only mapped so far: dma_buf_mmap_internal() refuses mappings
	 * beyond the buffer, so the largest one is a lower bound of its
	 * size.  The offset is no help: DRM exporters replace vm_pgoff with
	 * their fake mmap offset.
	 */
	if (!b->exact && len > b->size)
		b->size = len;
	h = mtc_dmabuf_raw_holder(&c->r, bi, c->pid);
	if (!h)
		return -ENOMEM;
	h->n_vmas++;
	h->mapped = mtc_sadd(h->mapped, len);
	return OK;
}

/* "start-end perms offset major:minor inode   path" */
static int add_maps_line(struct ctx *c, const char *line, const char *e)
{
	uint64_t start = 0, end = 0, off = 0, ino = 0;
	const char *p, *path;
	long bi;

	p = take_num(line, e, 16, &start);
	if (p && p < e && *p == '-')
		p = take_num(p + 1, e, 16, &end);
	else
		p = NULL;
	p = skip_field(p, e);		/* perms */
	p = p ? take_num(p, e, 16, &off) : NULL;
	p = skip_field(p, e);		/* device */
	p = p ? take_num(p, e, 10, &ino) : NULL;
	if (!p || p == e || *p != ' ' || end < start) {
		/* Malformed only if it looked like a dma-buf mapping. */
		if (memmem(line, e - line, " /dmabuf:", 9) ||
		    memmem(line, e - line, " anon_inode:dmabuf", 18))
			c->r.totals.n_malformed++;
		return OK;
	}
	for (path = p; path < e && *path == ' '; path++)
		;
	if (!is_dmabuf_path(path, e))
		return OK;
	bi = mtc_dmabuf_raw_buf(&c->r, ino);
	if (bi < 0)
		return -ENOMEM;
	if (!c->r.bufs[bi].exact && path[1] == 'd')
		copy_str(c->r.bufs[bi].name, sizeof(c->r.bufs[bi].name),
			 path + 8, e);
	return add_mapping(c, bi, end - start);
}

/* Complete lines in [p, e): parse only those around a "dmabuf". */
static int scan_maps_lines(struct ctx *c, const char *p, const char *e)
{
	const char *hit, *ls, *le;
	int ret;

	if (!p)	/* never; keeps GCC 12 -fsanitize=undefined quiet */
		return OK;
	while (p < e && (hit = memmem(p, e - p, "dmabuf", 6))) {
		ls = memrchr(p, '\n', hit - p);
		ls = ls ? ls + 1 : p;
		le = memchr(hit, '\n', e - hit);
		if (!le)
			le = e;
		ret = add_maps_line(c, ls, le);
		if (ret < 0)
			return ret;
		p = le;
	}
	return OK;
}

static bool is_other_minor(const struct ctx *c, uint32_t minor)
{
	unsigned int i;

	for (i = 0; i < c->n_other_minors; i++)
		if (c->other_minors[i] == minor)
			return true;
	return false;
}

/*
 * Whether the VMA @q found is a dma-buf's, and if its buffer is new and
 * only mapped so far, its name.  A name is asked for only on a device of
 * major 0 (pseudo filesystems: tmpfs, memfd, 9p, dma-buf ...), until the
 * dma-buf device is known, and once per other such device.
 */
static int query_is_dmabuf(struct ctx *c, int fd, const struct procmap_query *q,
			   long *bi)
{
	char name[128];
	struct procmap_query nq = {
		.size = sizeof(nq),
		.query_flags = PROCMAP_QUERY_FILE_BACKED_VMA,
		.query_addr = q->vma_start,
		.vma_name_size = sizeof(name),
		.vma_name_addr = (uintptr_t)name,
	};
	bool named = false;

	*bi = -1;
	if (q->dev_major)
		return OK;
	if (c->dmabuf_dev_known && q->dev_minor != c->dmabuf_minor)
		return OK;
	if (!c->dmabuf_dev_known) {
		if (is_other_minor(c, q->dev_minor))
			return OK;
		if (ioctl(fd, PROCMAP_QUERY, &nq) < 0)
			goto failed;
		named = true;
		/* unmapped and replaced in between: tells nothing */
		if (nq.inode != q->inode || nq.dev_major ||
		    nq.dev_minor != q->dev_minor)
			return OK;
		/* "(deleted)" is appended only after an unlink: never here */
		if (nq.vma_name_size < 9 || memcmp(name, "/dmabuf:", 8)) {
			/* one filesystem per device: none of it is dma-buf */
			if (c->n_other_minors < OTHER_MINORS_MAX)
				c->other_minors[c->n_other_minors++] =
					q->dev_minor;
			return OK;
		}
		c->dmabuf_dev_known = true;
		c->dmabuf_minor = q->dev_minor;
	}
	*bi = mtc_dmabuf_raw_buf(&c->r, q->inode);
	if (*bi < 0)
		return -ENOMEM;
	if (c->r.bufs[*bi].exact || c->r.bufs[*bi].name[0])
		return OK;
	if (!named && ioctl(fd, PROCMAP_QUERY, &nq) < 0)
		goto failed;
	if (nq.inode == q->inode && nq.vma_name_size > 8)
		copy_str(c->r.bufs[*bi].name, sizeof(c->r.bufs[*bi].name),
			 name + 8, name + nq.vma_name_size - 1);
	return OK;
failed:
	/* ENOENT: unmapped since; E2BIG: a long path, not a dma-buf's */
	if (errno == ENOENT || errno == E2BIG)
		return OK;
	return part_failed(c, errno, "maps");
}

/*
 * The file-backed VMAs through PROCMAP_QUERY.  -ENOTTY: the kernel has no
 * such ioctl (or @fd is no procfs maps file), and nothing was counted.
 */
static int query_maps(struct ctx *c, int fd)
{
	struct procmap_query q = {
		.size = sizeof(q),
		.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA |
			       PROCMAP_QUERY_FILE_BACKED_VMA,
	};
	long bi;
	int ret;

	for (;; q.query_addr = q.vma_end) {
		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			/*
			 * ENOENT: no VMA at or after it.  ESRCH at once: no
			 * mm (a kernel thread, or exited), as empty as maps
			 * reads; later, it exited during the walk.
			 */
			if (errno == ENOENT ||
			    (errno == ESRCH && !q.query_addr))
				return OK;
			if (errno == ENOTTY && !q.query_addr)
				return -ENOTTY;
			return part_failed(c, errno, "maps");
		}
		ret = query_is_dmabuf(c, fd, &q, &bi);
		if (ret == OK && bi >= 0)
			ret = add_mapping(c, bi, q.vma_end - q.vma_start);
		if (ret != OK)
			return ret;
	}
}

/* maps as text, when PROCMAP_QUERY is missing */
static int read_maps(struct ctx *c, int fd)
{
	char *buf = c->maps, *start, *last;
	size_t have = 0, rest;
	bool skipping = false;
	int ret = OK;
	ssize_t n;

	/* maps is a seq_file: reads return a page or so; loop to EOF. */
	while ((n = read(fd, buf + have, MAPS_CHUNK - have)) > 0) {
		have += n;
		start = buf;
		if (skipping) {	/* the rest of an over-long line */
			start = memchr(buf, '\n', have);
			if (!start) {
				have = 0;
				continue;
			}
			start++;
			skipping = false;
		}
		last = memrchr(start, '\n', buf + have - start);
		if (!last) {
			rest = buf + have - start;
			if (rest == MAPS_CHUNK) {
				c->r.totals.n_malformed++;
				skipping = true;
				rest = 0;
			}
			memmove(buf, start, rest);
			have = rest;
			continue;
		}
		ret = scan_maps_lines(c, start, last + 1);
		if (ret < 0)
			break;
		rest = buf + have - (last + 1);
		memmove(buf, last + 1, rest);
		have = rest;
	}
	if (n < 0)
		ret = part_failed(c, errno, "maps");
	else if (ret >= 0 && have && !skipping)	/* no final newline */
		ret = scan_maps_lines(c, buf, buf + have);
	return ret;
}

static int scan_maps(struct ctx *c)
{
	int fd, ret = -ENOTTY;

	fd = openat(c->pidfd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return part_failed(c, errno, "maps");
	if (!c->maps_as_text) {
		ret = query_maps(c, fd);
		c->maps_as_text = ret == -ENOTTY;
	}
	if (ret == -ENOTTY)
		ret = read_maps(c, fd);
	close(fd);
	return ret;
}

static void read_comm(struct ctx *c, char comm[MTC_COMM_MAX])
{
	char buf[MTC_COMM_MAX + 1];
	ssize_t n = -1;
	int fd;

	fd = openat(c->pidfd, "comm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	copy_str(comm, MTC_COMM_MAX, buf, buf + (n > 0 ? n : 0));
}

static int note_unreadable(struct ctx *c, const char *comm)
{
	size_t need = c->r.n_unr + 1;
	struct mtc_dmabuf_unreadable *u;

	if (mtc_grow(&c->r.unr, &c->r.cap_unr, need, sizeof(*u), 16) < 0)
		return -ENOMEM;
	u = &c->r.unr[c->r.n_unr++];
	memset(u, 0, sizeof(*u));
	u->pid = c->pid;
	strcpy(u->comm, comm);
	u->errnum = c->err;
	u->what = c->err_what;
	return 0;
}

static int scan_pid(struct ctx *c, uint32_t pid)
{
	char name[16], comm[MTC_COMM_MAX] = "";
	struct mtc_dmabuf_raw_proc *p;
	int ret;

	c->pid = pid;
	c->err = 0;
	c->first_ref = c->r.n_refs;
	fmt_u32(name, pid);
	c->pidfd = openat(c->rootfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->pidfd < 0) {
		if (part_failed(c, errno, "pid") == VANISHED) {
			c->r.totals.n_vanished++;
			return 0;
		}
		return note_unreadable(c, comm);
	}
	ret = scan_fds(c);
	if (ret >= 0 && ret != VANISHED)
		ret = scan_maps(c);
	if (ret == VANISHED) {
		/* Its references died with it. */
		mtc_dmabuf_raw_drop(&c->r, c->first_ref);
		c->r.totals.n_vanished++;
		ret = 0;
		goto out;
	}
	if (ret < 0)
		goto out;
	ret = 0;
	if (c->r.n_refs > c->first_ref || c->err)
		read_comm(c, comm);
	if (c->err) {
		ret = note_unreadable(c, comm);
		if (ret < 0)
			goto out;
	}
	if (c->r.n_refs > c->first_ref) {
		ret = mtc_grow(&c->r.procs, &c->r.cap_procs, c->r.n_procs + 1,
			       sizeof(*p), 16);
		if (ret < 0)
			goto out;
		p = &c->r.procs[c->r.n_procs++];
		p->pid = pid;
		strcpy(p->comm, comm);
		p->complete = !c->err;
		p->first_ref = c->first_ref;
		p->n_refs = c->r.n_refs - c->first_ref;
	}
out:
	close(c->pidfd);
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The numeric entries of the procfs root, sorted. */
static int list_pids(struct ctx *c, uint32_t **pids, size_t *n_pids)
{
	char dents[8192] __attribute__((aligned(8)));
	size_t cap = 0;
	struct dirent64 *d;
	uint64_t pid;
	ssize_t n, off;

	*pids = NULL;
	*n_pids = 0;
	while ((n = getdents64(c->rootfd, dents, sizeof(dents))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (struct dirent64 *)(dents + off);
			/* Not a pid (and never one in procfs) if too big. */
			if (!all_digits(d->d_name) ||
			    !parse_dec(d->d_name, d->d_name + strlen(d->d_name),
				       &pid) || pid > UINT32_MAX)
				continue;
			if (mtc_grow(pids, &cap, *n_pids + 1, sizeof(**pids),
				     256) < 0)
				return -ENOMEM;
			(*pids)[(*n_pids)++] = pid;
		}
	}
	if (n < 0)
		return -errno;
	mtc_sort(*pids, *n_pids, sizeof(**pids), cmp_u32);
	return 0;
}

static void ctx_free(struct ctx *c)
{
	mtc_dmabuf_raw_free(&c->r);
	free(c->maps);
	if (c->rootfd >= 0)
		close(c->rootfd);
}

MTC_EXPORT int mtc_dmabuf_scan(const char *proc_root,
			       struct mtc_dmabuf_scan **out)
{
	struct ctx c = { .rootfd = -1 };
	uint32_t *pids = NULL;
	size_t n_pids = 0, i;
	int ret;

	*out = NULL;
	c.rootfd = open(proc_root ? proc_root : "/proc",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return -errno;
	ret = list_pids(&c, &pids, &n_pids);
	if (ret < 0)
		goto out;
	c.r.totals.n_pids = n_pids;
	ret = -ENOMEM;
	c.maps = malloc(MAPS_CHUNK);
	if (!c.maps)
		goto out;
	for (i = 0; i < n_pids; i++) {
		ret = scan_pid(&c, pids[i]);
		if (ret < 0)
			goto out;
	}
	ret = mtc_dmabuf_report(&c.r, out);
out:
	free(pids);
	ctx_free(&c);
	return ret;
}
