// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl buffers: the views of a dma-buf scan, as text tables or
 * JSON through the one print path (print.h).  Pure: no procfs here, so
 * the unit test feeds scans of constructed trees.
 *
 * Each table's rows are written once, for both modes (table.h).
 *
 * Figures follow the scan's rules (libmemtrackctl/dmabuf-report.c):
 * system figures count each buffer once; a process's PSS is its buffers'
 * sizes divided by their numbers of holders.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "table.h"

/* Other holders named in a cell: 4 * (15 + 1 + 7 + 2) < TBL_CELL_MAX. */
#define OTHERS_SHOWN 4

/* A buffer's size; only mapped, it is a lower bound: ">=" in text. */
static void cell_size(struct tbl *t, const struct mtc_dmabuf_buffer *b)
{
	char n[FMT_BYTES_MAX], s[FMT_BYTES_MAX + 2];

	if (t->p->json) {
		pr_u64(t->p, PR_JSON, "size", NULL, b->size);
		pr_bool(t->p, PR_JSON, "size_estimated", NULL,
			b->size_estimated);
		return;
	}
	fmt_bytes(n, sizeof(n), b->size, t->p->exact_bytes);
	snprintf(s, sizeof(s), "%s%s", b->size_estimated ? ">=" : "", n);
	tbl_text(t, s);
}

/* Text only: an empty line between parts (pr_nl() never prints one). */
static void blank_line(struct printer *p)
{
	if (!p->json)
		fputc('\n', p->f);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The end of a row: its JSON object, its text line. */
static void row_end(struct tbl *t)
{
	pr_close_object(t->p);
	tbl_end_row(t);
}

/* The columns of figure_cells(). */
/* clang-format off */
#define FIGURE_COLS \
	{ .head = "TOTAL" }, { .head = "FD-ONLY" }, { .head = "MAPPED" }, \
	{ .head = "PSS" }
/* clang-format on */

/* The cells of the byte figures of a process or of one of its groups. */
static void figure_cells(struct tbl *t, uint64_t bytes, uint64_t fd_only,
			 uint64_t mapped, uint64_t pss)
{
	cell_bytes(t, "bytes", bytes);
	cell_bytes(t, "fd_only_bytes", fd_only);
	cell_bytes(t, "mapped_bytes", mapped);
	cell_bytes(t, "pss_bytes", pss);
}

/* The key cell of a group: a tag ("-": unnamed) or an exporter ("?"). */
static void key_cell(struct tbl *t, const char *key, bool tag)
{
	cell_str(t, tag ? "tag" : "exporter", key, tag ? "-" : "?");
}

/*
 * tbl_run() of @cols, whose first column is the key of the groups: its
 * head is TAG or EXPORTER.
 */
static void keyed_tbl_run(struct printer *p, const struct tcol *cols,
			  unsigned int n, bool tag, rows_fn *rows,
			  const void *arg)
{
	struct tcol c[TBL_COLS];

	memcpy(c, cols, n * sizeof(*c));
	c[0].head = tag ? "TAG" : "EXPORTER";
	tbl_run(p, c, n, rows, arg);
}

/* ---- processes ---------------------------------------------------------- */

static const struct tcol proc_cols[] = {
	{ .head = "PID" },     { .head = "COMM", .left = true },
	{ .head = "BUFFERS" }, { .head = "FDS" },
	{ .head = "VMAS" },    FIGURE_COLS,
};

/* The members of a process's summary; the cells of its row. */
static void proc_cells(struct tbl *t, const struct mtc_dmabuf_proc *p)
{
	cell_u64(t, "pid", p->pid);
	cell_str(t, "comm", p->comm, "?");
	pr_bool(t->p, PR_JSON, "complete", NULL, p->complete);
	cell_u64(t, "buffers", p->n_buffers);
	cell_u64(t, "fds", p->n_fds);
	cell_u64(t, "vmas", p->n_vmas);
	figure_cells(t, p->bytes, p->fd_only_bytes, p->mapped_bytes,
		     p->pss_bytes);
}

static void proc_rows(struct tbl *t, const void *arg)
{
	const struct mtc_dmabuf_proc *p;

	for (p = mtc_dmabuf_scan_procs(arg); p; p = p->next) {
		pr_open_object(t->p, NULL);
		proc_cells(t, p);
		row_end(t);
	}
}

/* ---- one process -------------------------------------------------------- */

/* The columns of buffer_cells() and of hold_cells(). */
/* clang-format off */
#define BUFFER_COLS \
	{ .head = "INODE" }, { .head = "SIZE" }, \
	{ .head = "EXPORTER", .left = true }, { .head = "NAME", .left = true }
#define HOLD_COLS \
	{ .head = "FDS" }, { .head = "VMAS" }, { .head = "MAPPED" }, \
	{ .head = "PSS" }
/* clang-format on */

static const struct tcol held_cols[] = {
	BUFFER_COLS,
	HOLD_COLS,
	{ .head = "OTHER HOLDERS", .left = true },
};

/* Members and cells of a buffer: what it is. */
static void buffer_cells(struct tbl *t, const struct mtc_dmabuf_buffer *b)
{
	cell_u64(t, "inode", b->inode);
	cell_size(t, b);
	cell_str(t, "exporter", b->exp_name, "?");
	cell_str(t, "name", b->name, "-");
}

/* Members and cells of a hold (of a buffer, by a process): how. */
static void hold_cells(struct tbl *t, const struct mtc_dmabuf_holder *h)
{
	cell_u64(t, "fds", h->n_fds);
	cell_u64(t, "vmas", h->n_vmas);
	cell_bytes(t, "mapped_bytes", h->mapped_bytes);
	cell_bytes(t, "pss_bytes", h->pss_bytes);
}

/* Members and cells of a holder (of a buffer, by a process). */
static void holder_cells(struct tbl *t, const struct mtc_dmabuf_holder *h)
{
	cell_u64(t, "pid", h->pid);
	cell_str(t, "comm", h->comm, "?");
	hold_cells(t, h);
}

/*
 * Text: "comm:pid, ..." of the holders of @h's buffer but @h, or "-".
 * A table cell, so at most OTHERS_SHOWN of them and "N more": the full
 * list is what --by buffer (and the JSON) is for.
 */
static void other_holders_text(struct tbl *t, const struct mtc_dmabuf_holder *h)
{
	const struct mtc_dmabuf_holder *o;
	char list[TBL_CELL_MAX] = "", comm[MTC_COMM_MAX];
	size_t len = 0, shown = 0, others = h->buffer->n_holders - 1;

	for (o = h->buffer->holders; o && shown < OTHERS_SHOWN; o = o->next) {
		if (o == h)
			continue;
		len += snprintf(list + len, sizeof(list) - len, "%s%s:%u",
				shown ? ", " : "",
				text_safe(comm, sizeof(comm), o->comm), o->pid);
		if (len >= sizeof(list)) /* cannot happen; stay in bounds */
			len = sizeof(list) - 1;
		shown++;
	}
	if (others > shown)
		snprintf(list + len, sizeof(list) - len, ", %zu more",
			 others - shown);
	tbl_text(t, shown ? list : "-");
}

static void held_rows(struct tbl *t, const void *arg)
{
	const struct mtc_dmabuf_proc *p = arg;
	const struct mtc_dmabuf_holder *h, *o;
	const struct mtc_dmabuf_buffer *b;

	for (h = p->holders; h; h = h->next_in_proc) {
		b = h->buffer;
		pr_open_object(t->p, NULL);
		buffer_cells(t, b);
		hold_cells(t, h);
		if (t->p->json) {
			pr_open_array(t->p, "other_holders");
			for (o = b->holders; o; o = o->next) {
				if (o == h)
					continue;
				pr_open_object(t->p, NULL);
				holder_cells(t, o);
				pr_close_object(t->p);
			}
			pr_close_array(t->p);
		} else {
			other_holders_text(t, h);
		}
		row_end(t);
	}
}

static const struct tcol group_cols[] = {
	{ .head = NULL, .left = true }, /* TAG or EXPORTER: keyed_tbl_run() */
	{ .head = "BUFFERS" },
	FIGURE_COLS,
};

struct groups_arg {
	const struct mtc_dmabuf_group *first;
	bool tag;
};

static void group_rows(struct tbl *t, const void *arg)
{
	const struct groups_arg *a = arg;
	const struct mtc_dmabuf_group *g;

	for (g = a->first; g; g = g->next) {
		pr_open_object(t->p, NULL);
		key_cell(t, g->key, a->tag);
		cell_u64(t, "buffers", g->n_buffers);
		figure_cells(t, g->bytes, g->fd_only_bytes, g->mapped_bytes,
			     g->pss_bytes);
		row_end(t);
	}
}

static void proc_groups(struct printer *p, const struct mtc_dmabuf_proc *proc,
			bool tag)
{
	struct groups_arg a = {
		tag ? proc->by_tag : proc->by_exporter,
		tag,
	};

	pr_open_array(p, tag ? "by_tag" : "by_exporter");
	if (a.first) {
		blank_line(p);
		keyed_tbl_run(p, group_cols, N_COLS(group_cols), tag,
			      group_rows, &a);
	}
	pr_close_array(p);
}

/* Text: one line on the process; JSON: the members of its summary. */
static void proc_header(struct printer *p, const struct mtc_dmabuf_proc *proc)
{
	struct tbl t = { .p = p };
	char comm[MTC_COMM_MAX];

	if (p->json) {
		proc_cells(&t, proc);
		return;
	}
	pr_text(p, "process %u (%s)", proc->pid,
		proc->comm[0] ? text_safe(comm, sizeof(comm), proc->comm) :
				"?");
	if (!proc->n_buffers) {
		pr_text(p, " holds no dma-buf");
		pr_nl(p);
		return;
	}
	pr_text(p, ": %u %s, %u %s, %u %s", proc->n_buffers,
		plural(proc->n_buffers, "buffer", "buffers"), proc->n_fds,
		plural(proc->n_fds, "fd", "fds"), proc->n_vmas,
		plural(proc->n_vmas, "vma", "vmas"));
	pr_bytes(p, PR_TEXT, NULL, "; total %s", proc->bytes);
	pr_bytes(p, PR_TEXT, NULL, ", fd-only %s", proc->fd_only_bytes);
	pr_bytes(p, PR_TEXT, NULL, ", mapped %s", proc->mapped_bytes);
	pr_bytes(p, PR_TEXT, NULL, ", PSS %s", proc->pss_bytes);
	pr_nl(p);
}

/* The process of --pid; one that holds nothing is not in the scan. */
static const struct mtc_dmabuf_proc *pid_proc(const struct mtc_dmabuf_scan *s,
					      const struct buffers_view *v,
					      struct mtc_dmabuf_proc *none)
{
	const struct mtc_dmabuf_proc *proc =
		mtc_dmabuf_scan_find_proc(s, v->pid);

	if (proc)
		return proc;
	memset(none, 0, sizeof(*none));
	none->pid = v->pid;
	none->complete = true;
	snprintf(none->comm, sizeof(none->comm), "%s", v->comm ?: "");
	return none;
}

static void view_pid(struct printer *p, const struct mtc_dmabuf_scan *s,
		     const struct buffers_view *v)
{
	struct mtc_dmabuf_proc none;
	const struct mtc_dmabuf_proc *proc = pid_proc(s, v, &none);

	pr_open_object(p, "process");
	proc_header(p, proc);
	if (v->by == BY_PROCESS) {
		pr_open_array(p, "held");
		if (proc->holders) {
			blank_line(p);
			tbl_run(p, held_cols, N_COLS(held_cols), held_rows,
				proc);
		}
		pr_close_array(p);
	}
	if (v->by == BY_PROCESS || v->by == BY_EXPORTER)
		proc_groups(p, proc, false);
	if (v->by == BY_PROCESS || v->by == BY_TAG)
		proc_groups(p, proc, true);
	pr_close_object(p);
}

/* ---- system-wide groups ------------------------------------------------- */

struct sgroup {
	const char *key;
	uint32_t n_buffers, n_procs, n_fds, n_vmas;
	uint64_t bytes, mapped_bytes, fd_only_bytes;
};

struct sgroups {
	struct sgroup *g;
	size_t n;
	bool tag;
};

static const char *buf_key(const struct mtc_dmabuf_buffer *b, bool tag)
{
	return tag ? b->name : b->exp_name;
}

static int cmp_buf_key(const void *x, const void *y, void *by_tag)
{
	bool tag = *(const bool *)by_tag;

	return strcmp(buf_key(*(const struct mtc_dmabuf_buffer *const *)x, tag),
		      buf_key(*(const struct mtc_dmabuf_buffer *const *)y,
			      tag));
}

static uint64_t sadd(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b; /* as the scan does */
}

static int cmp_group_key(const void *key, const void *g)
{
	return strcmp(key, ((const struct sgroup *)g)->key);
}

/* Each buffer once in the group of its tag or exporter, by key. */
static int make_sgroups(const struct mtc_dmabuf_scan *s, struct sgroups *sg)
{
	const struct mtc_dmabuf_buffer *b, **v;
	const struct mtc_dmabuf_proc *p;
	const struct mtc_dmabuf_group *pg;
	struct sgroup *g = NULL;
	size_t n = mtc_dmabuf_scan_totals(s)->n_buffers, i = 0;

	sg->g = NULL;
	sg->n = 0;
	v = calloc(n + 1, sizeof(*v));
	sg->g = calloc(n + 1, sizeof(*sg->g));
	if (!v || !sg->g) {
		free(v);
		return -ENOMEM;
	}
	for (b = mtc_dmabuf_scan_buffers(s); b && i < n; b = b->next)
		v[i++] = b;
	n = i;
	qsort_r(v, n, sizeof(*v), cmp_buf_key, &sg->tag);
	for (i = 0; i < n; i++) {
		b = v[i];
		if (!g || strcmp(g->key, buf_key(b, sg->tag))) {
			g = &sg->g[sg->n++];
			g->key = buf_key(b, sg->tag);
		}
		g->n_buffers++;
		g->n_fds += b->n_fds;
		g->n_vmas += b->n_vmas;
		g->bytes = sadd(g->bytes, b->size);
		if (b->n_vmas)
			g->mapped_bytes = sadd(g->mapped_bytes, b->size);
		else
			g->fd_only_bytes = sadd(g->fd_only_bytes, b->size);
	}
	free(v);
	/* A process counts once per group, however many buffers it holds. */
	for (p = mtc_dmabuf_scan_procs(s); p; p = p->next)
		for (pg = sg->tag ? p->by_tag : p->by_exporter; pg;
		     pg = pg->next) {
			g = bsearch(pg->key, sg->g, sg->n, sizeof(*g),
				    cmp_group_key);
			if (g)
				g->n_procs++;
		}
	return 0;
}

static const struct tcol sgroup_cols[] = {
	{ .head = NULL, .left = true }, /* TAG or EXPORTER: keyed_tbl_run() */
	{ .head = "BUFFERS" },
	{ .head = "PROCS" },
	{ .head = "FDS" },
	{ .head = "VMAS" },
	{ .head = "TOTAL" },
	{ .head = "MAPPED" },
	{ .head = "FD-ONLY" },
};

static void sgroup_rows(struct tbl *t, const void *arg)
{
	const struct sgroups *sg = arg;
	const struct sgroup *g;

	for (g = sg->g; g < sg->g + sg->n; g++) {
		pr_open_object(t->p, NULL);
		key_cell(t, g->key, sg->tag);
		cell_u64(t, "buffers", g->n_buffers);
		cell_u64(t, "processes", g->n_procs);
		cell_u64(t, "fds", g->n_fds);
		cell_u64(t, "vmas", g->n_vmas);
		cell_bytes(t, "bytes", g->bytes);
		cell_bytes(t, "mapped_bytes", g->mapped_bytes);
		cell_bytes(t, "fd_only_bytes", g->fd_only_bytes);
		row_end(t);
	}
}

/* ---- buffers ------------------------------------------------------------ */

static const struct tcol buffer_cols[] = {
	BUFFER_COLS,
	{ .head = "PROCS" },
	/* and per holder: */
	{ .head = "PID" },
	{ .head = "COMM", .left = true },
	HOLD_COLS,
};

/* The buffers to list: all, or those of one process (NULL: all). */
struct buffers_arg {
	const struct mtc_dmabuf_scan *s;
	const struct mtc_dmabuf_proc *proc;
};

static void buffer_rows(struct tbl *t, const void *arg)
{
	const struct buffers_arg *a = arg;
	const struct mtc_dmabuf_holder *own = a->proc ? a->proc->holders : NULL;
	const struct mtc_dmabuf_buffer *b;
	const struct mtc_dmabuf_holder *h;
	char n[24];
	int i;

	b = a->proc ? (own ? own->buffer : NULL) :
		      mtc_dmabuf_scan_buffers(a->s);
	while (b) {
		pr_open_object(t->p, NULL);
		buffer_cells(t, b);
		if (!t->p->json) {
			*put_u64(n, b->n_holders) = '\0';
			tbl_text(t, n);
		}
		pr_u64(t->p, PR_JSON, "fds", NULL, b->n_fds);
		pr_u64(t->p, PR_JSON, "vmas", NULL, b->n_vmas);
		pr_open_array(t->p, "holders");
		for (h = b->holders; h; h = h->next) {
			for (i = 0; h != b->holders && i < 5; i++)
				cell_blank(t);
			pr_open_object(t->p, NULL);
			holder_cells(t, h);
			row_end(t);
		}
		if (!b->holders) /* never: the scan drops such buffers */
			tbl_end_row(t);
		pr_close_array(t->p);
		pr_close_object(t->p);
		if (a->proc) {
			own = own->next_in_proc;
			b = own ? own->buffer : NULL;
		} else {
			b = b->next;
		}
	}
}

/* ---- totals and unreadable processes ------------------------------------ */

static void print_totals(struct printer *p, const struct mtc_dmabuf_scan *s,
			 bool text)
{
	const struct mtc_dmabuf_totals *t = mtc_dmabuf_scan_totals(s);
	enum pr_type any = text ? PR_ANY : PR_JSON;

	pr_open_object(p, "totals");
	pr_u64(p, any, "buffers", "total: %llu", t->n_buffers);
	if (text)
		pr_text(p, " %s", plural(t->n_buffers, "buffer", "buffers"));
	pr_bytes(p, any, "bytes", ", %s", t->bytes);
	pr_bytes(p, any, "mapped_bytes", ": %s mapped", t->mapped_bytes);
	pr_bytes(p, any, "fd_only_bytes", ", %s fd-only", t->fd_only_bytes);
	if (text)
		pr_text(p, " (each buffer counted once)");
	pr_u64(p, any, "processes", "; held by %llu", t->n_procs);
	if (text)
		pr_text(p, " %s", plural(t->n_procs, "process", "processes"));
	pr_nl(p);
	pr_u64(p, any, "scanned", "scanned %llu", t->n_pids);
	if (text)
		pr_text(p, " %s", plural(t->n_pids, "process", "processes"));
	pr_u64(p, any, "vanished", ": %llu vanished during the scan",
	       t->n_vanished);
	pr_u64(p, any, "unreadable", ", %llu unreadable", t->n_unreadable);
	if (t->n_malformed && text)
		pr_text(p, ", %u malformed dma-buf %s skipped", t->n_malformed,
			plural(t->n_malformed, "entry", "entries"));
	pr_u64(p, PR_JSON, "malformed", NULL, t->n_malformed);
	pr_nl(p);
	pr_close_object(p);
}

static const struct tcol unreadable_cols[] = {
	{ .head = "PID" },
	{ .head = "COMM", .left = true },
	{ .head = "WHAT", .left = true },
	{ .head = "ERROR", .left = true },
};

static void unreadable_rows(struct tbl *t, const void *arg)
{
	const struct mtc_dmabuf_unreadable *u;
	const char *name;

	for (u = mtc_dmabuf_scan_unreadable(arg); u; u = u->next) {
		pr_open_object(t->p, NULL);
		cell_u64(t, "pid", u->pid);
		cell_str(t, "comm", u->comm, "?");
		cell_str(t, "what", u->what ?: "", "?");
		name = strerrorname_np(u->errnum);
		pr_str(t->p, PR_JSON, "error", NULL, name ?: "");
		cell_str(t, "message", strerror(u->errnum), "?");
		row_end(t);
	}
}

/*
 * Never dropped silently: in text a note after everything else (on
 * stdout, as it qualifies what was printed), in JSON an array.
 */
static void print_unreadable(struct printer *p, const struct mtc_dmabuf_scan *s)
{
	const struct mtc_dmabuf_totals *t = mtc_dmabuf_scan_totals(s);
	const struct mtc_dmabuf_unreadable *u;
	bool perm = false;

	pr_open_array(p, "unreadable");
	if (t->n_unreadable) {
		for (u = mtc_dmabuf_scan_unreadable(s); u; u = u->next)
			perm |= u->errnum == EACCES || u->errnum == EPERM;
		blank_line(p);
		pr_text(p,
			"note: %u %s could not be read (or only in part), "
			"so dma-bufs %s may be missing above.",
			t->n_unreadable,
			plural(t->n_unreadable, "process", "processes"),
			plural(t->n_unreadable, "it holds", "they hold"));
		pr_nl(p);
		if (perm) {
			pr_text(p,
				"Run as root (or with CAP_SYS_PTRACE) for the full picture.");
			pr_nl(p);
		}
		tbl_run(p, unreadable_cols, N_COLS(unreadable_cols),
			unreadable_rows, s);
	}
	pr_close_array(p);
}

/* ---- the views ---------------------------------------------------------- */

int buffers_parse_by(const char *s, enum buffers_by *by)
{
	static const char *const names[] = {
		[BY_PROCESS] = "process",
		[BY_TAG] = "tag",
		[BY_EXPORTER] = "exporter",
		[BY_BUFFER] = "buffer",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*by = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Text: an empty view, said so (@partial when some could not be read). */
static void nothing(struct printer *p, const struct mtc_dmabuf_scan *s,
		    const char *all, const char *partial)
{
	pr_text(p, "%s",
		mtc_dmabuf_scan_totals(s)->n_unreadable ? partial : all);
	pr_nl(p);
}

int buffers_print(struct printer *p, const struct mtc_dmabuf_scan *s,
		  const struct buffers_view *v)
{
	const struct mtc_dmabuf_proc *proc;
	struct buffers_arg ba = { s, NULL };
	struct sgroups sg = { NULL, 0, v->by == BY_TAG };
	bool sys = !v->has_pid;
	struct mtc_dmabuf_proc none;
	int err;

	/* Whatever can fail first, so that nothing half is printed. */
	if (!v->has_pid && (v->by == BY_TAG || v->by == BY_EXPORTER)) {
		err = make_sgroups(s, &sg);
		if (err < 0)
			return err;
	}
	pr_open_object(p, NULL);
	if (v->has_pid && v->by != BY_BUFFER) {
		view_pid(p, s, v);
	} else if (v->by == BY_PROCESS) {
		pr_open_array(p, "processes");
		if (mtc_dmabuf_scan_procs(s))
			tbl_run(p, proc_cols, N_COLS(proc_cols), proc_rows, s);
		else
			nothing(p, s, "no process holds a dma-buf",
				"no process that could be read holds a dma-buf");
		pr_close_array(p);
	} else if (v->by == BY_BUFFER) {
		if (v->has_pid) {
			proc = pid_proc(s, v, &none);
			ba.proc = proc->holders ? proc : NULL;
			if (!p->json) {
				proc_header(p, proc);
				if (ba.proc)
					blank_line(p);
			}
		}
		pr_open_array(p, "buffers");
		if (ba.proc || (!v->has_pid && mtc_dmabuf_scan_buffers(s)))
			tbl_run(p, buffer_cols, N_COLS(buffer_cols),
				buffer_rows, &ba);
		else if (!v->has_pid)
			nothing(p, s, "no dma-buf is held",
				"no dma-buf is held by the processes that could be read");
		pr_close_array(p);
	} else {
		pr_open_array(p, sg.tag ? "tags" : "exporters");
		if (sg.n)
			keyed_tbl_run(p, sgroup_cols, N_COLS(sgroup_cols),
				      sg.tag, sgroup_rows, &sg);
		else
			nothing(p, s, "no dma-buf is held",
				"no dma-buf is held by the processes that could be read");
		pr_close_array(p);
		free(sg.g);
	}
	/* The system totals would only distract from one process's view. */
	if (sys)
		blank_line(p);
	print_totals(p, s, sys);
	print_unreadable(p, s);
	pr_close_object(p);
	pr_nl(p);
	return pr_finish(p);
}
