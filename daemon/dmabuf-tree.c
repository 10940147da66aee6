// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd's dma-buf tree: from a scan to sorted entries, the steps from
 * one tree to the next, and the list of gone processes whose history is
 * kept.  See dmabuf-tree.h for what the nodes mean.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmabuf-tree.h"

/* One holder of a process, reduced to what its tag node needs. */
struct share {
	char tag[MTC_NAME_MAX];
	uint64_t pss;
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void mtd_dmabuf_component(char *dst, size_t size, const char *src)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; i + 1 < size && src[i]; i++) {
		unsigned char c = src[i];

		dst[i] = c < 0x20 || c > 0x7e || c == '/' || c == '#' ? '_' : c;
	}
	dst[i] = '\0';
}

static void tag_of(const struct mtc_dmabuf_buffer *b, char *dst, size_t size)
{
	char raw[sizeof(MTD_DMABUF_UNTAGGED) + MTC_DMABUF_NAME_MAX];

	if (b->name[0])
		snprintf(raw, sizeof(raw), "%s", b->name);
	else if (b->exp_name[0])
		snprintf(raw, sizeof(raw), MTD_DMABUF_UNTAGGED ":%s",
			 b->exp_name);
	else
		snprintf(raw, sizeof(raw), MTD_DMABUF_UNTAGGED);
	mtd_dmabuf_component(dst, size, raw);
}

static int cmp_share(const void *a, const void *b)
{
	return strcmp(((const struct share *)a)->tag,
		      ((const struct share *)b)->tag);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mtd_dmabuf_entry *)a)->path,
		      ((const struct mtd_dmabuf_entry *)b)->path);
}

static struct mtd_dmabuf_entry *entry_new(struct mtd_dmabuf_tree *t,
					  unsigned int depth, uint32_t pid,
					  const char *comm)
{
	struct mtd_dmabuf_entry *e = &t->e[t->n++];

	memset(e, 0, sizeof(*e));
	e->depth = depth;
	e->pid = pid;
	snprintf(e->comm, sizeof(e->comm), "%s", comm);
	return e;
}

static int entry_path(struct mtd_dmabuf_entry *e, const char *parent,
		      const char *name)
{
	if (asprintf(&e->path, "%s/%s", parent, name) < 0) {
		e->path = NULL;
		return -ENOMEM;
	}
	e->name = e->path + strlen(parent) + 1;
	return 0;
}

/* The process @p: its entry, then one per tag. */
static int add_proc(struct mtd_dmabuf_tree *t, const struct mtc_dmabuf_proc *p,
		    struct share *shares)
{
	const struct mtc_dmabuf_holder *h;
	struct mtd_dmabuf_entry *pe, *te = NULL;
	char comm[MTC_COMM_MAX], name[MTC_NAME_MAX];
	size_t n = 0, i;

	for (h = p->holders; h; h = h->next_in_proc) {
		tag_of(h->buffer, shares[n].tag, sizeof(shares[n].tag));
		shares[n++].pss = h->pss_bytes;
	}
	qsort(shares, n, sizeof(*shares), cmp_share);

	mtd_dmabuf_component(comm, sizeof(comm), p->comm);
	snprintf(name, sizeof(name), "%s:%u", comm, p->pid);
	pe = entry_new(t, 1, p->pid, p->comm);
	if (entry_path(pe, MTD_DMABUF_ROOT, name) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!te || strcmp(te->name, shares[i].tag)) {
			te = entry_new(t, 2, p->pid, p->comm);
			if (entry_path(te, pe->path, shares[i].tag) < 0)
				return -ENOMEM;
		}
		te->bytes = add_sat(te->bytes, shares[i].pss);
		te->self_bytes = te->bytes;
		te->count++;
		pe->bytes = add_sat(pe->bytes, shares[i].pss);
	}
	t->e[0].bytes = add_sat(t->e[0].bytes, pe->bytes);
	return 0;
}

/* The entry whose path is the first @len bytes of @path, or NULL. */
static const struct mtd_dmabuf_entry *
find_prefix(const struct mtd_dmabuf_tree *t, const char *path, size_t len)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = t->e[mid].path;
		int c = strncmp(path, p, len);

		if (!c && p[len])
			c = -1; /* @p is longer: the prefix sorts first */
		if (!c)
			return &t->e[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int mtd_dmabuf_tree_build(const struct mtc_dmabuf_proc *procs,
			  struct mtd_dmabuf_tree *out)
{
	struct mtd_dmabuf_tree t = { 0 };
	const struct mtc_dmabuf_proc *p;
	size_t cap = 1, most = 0, i;
	struct share *shares = NULL;
	int err = -ENOMEM;

	for (p = procs; p; p = p->next) {
		size_t n = 0;
		const struct mtc_dmabuf_holder *h;

		for (h = p->holders; h; h = h->next_in_proc)
			n++;
		cap += 1 + n;
		if (n > most)
			most = n;
	}
	t.e = calloc(cap, sizeof(*t.e));
	shares = calloc(most + 1, sizeof(*shares));
	if (!t.e || !shares)
		goto out;
	entry_new(&t, 0, 0, "");
	t.e[0].path = strdup(MTD_DMABUF_ROOT);
	if (!t.e[0].path)
		goto out;
	t.e[0].name = t.e[0].path;
	for (p = procs; p; p = p->next)
		if (add_proc(&t, p, shares) < 0)
			goto out;
	qsort(t.e, t.n, sizeof(*t.e), cmp_entry);
	for (i = 0; i < t.n; i++) {
		const char *slash = strrchr(t.e[i].path, '/');

		if (slash)
			t.e[i].parent = find_prefix(&t, t.e[i].path,
						    slash - t.e[i].path);
	}
	mtd_dmabuf_tree_free(out);
	*out = t;
	t.e = NULL;
	t.n = 0;
	err = 0;
out:
	free(shares);
	mtd_dmabuf_tree_free(&t);
	return err;
}

void mtd_dmabuf_tree_free(struct mtd_dmabuf_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].path);
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

static bool same_values(const struct mtd_dmabuf_entry *a,
			const struct mtd_dmabuf_entry *b)
{
	return a->bytes == b->bytes && a->self_bytes == b->self_bytes &&
	       a->count == b->count;
}

void mtd_dmabuf_diff(const struct mtd_dmabuf_tree *old,
		     const struct mtd_dmabuf_tree *new,
		     void (*fn)(enum mtd_dmabuf_op op,
				const struct mtd_dmabuf_entry *was,
				const struct mtd_dmabuf_entry *now, void *priv),
		     void *priv)
{
	size_t i = old->n, j = new->n;
	int c;

	/* Backwards first: removals, deepest paths before their parents. */
	while (i > 0) {
		c = j > 0 ? strcmp(old->e[i - 1].path, new->e[j - 1].path) : 1;
		if (c > 0)
			fn(MTD_DMABUF_REMOVE, &old->e[--i], NULL, priv);
		else if (c < 0)
			j--;
		else
			i--, j--;
	}
	for (i = j = 0; j < new->n;) {
		c = i < old->n ? strcmp(old->e[i].path, new->e[j].path) : 1;
		if (c < 0) {
			i++;
		} else if (c > 0) {
			fn(MTD_DMABUF_ADD, NULL, &new->e[j++], priv);
		} else {
			fn(same_values(&old->e[i], &new->e[j]) ?
				   MTD_DMABUF_SAME :
				   MTD_DMABUF_UPDATE,
			   &old->e[i], &new->e[j], priv);
			i++;
			j++;
		}
	}
}

bool mtd_dmabuf_under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return !strncmp(path, top, n) && (!path[n] || path[n] == '/');
}

bool mtd_dmabuf_path(const char *path)
{
	return mtd_dmabuf_under(path, MTD_DMABUF_ROOT);
}

bool mtd_dmabuf_process_path(const char *path)
{
	const char *c = path + strlen(MTD_DMABUF_ROOT) + 1;

	return mtd_dmabuf_path(path) && path[strlen(MTD_DMABUF_ROOT)] == '/' &&
	       *c && !strchr(c, '/');
}

static ssize_t gone_find(const struct mtd_dmabuf_gone *g, const char *path)
{
	size_t i;

	/* Newest first: a process back soon after it went is the usual. */
	for (i = g->n; i > 0; i--)
		if (!strcmp(g->paths[i - 1], path))
			return (ssize_t)i - 1;
	return -1;
}

static void gone_remove(struct mtd_dmabuf_gone *g, size_t i)
{
	free(g->paths[i]);
	memmove(&g->paths[i], &g->paths[i + 1],
		(g->n - i - 1) * sizeof(*g->paths));
	g->n--;
}

int mtd_dmabuf_gone_push(struct mtd_dmabuf_gone *g, const char *path)
{
	ssize_t at = gone_find(g, path);
	char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	if (at >= 0)
		gone_remove(g, at);
	if (g->n == g->cap) {
		size_t cap = g->cap * 2 + 16;
		char **grown = reallocarray(g->paths, cap, sizeof(*grown));

		if (!grown) {
			free(copy);
			return -ENOMEM;
		}
		g->paths = grown;
		g->cap = cap;
	}
	g->paths[g->n++] = copy;
	return 0;
}

void mtd_dmabuf_gone_drop(struct mtd_dmabuf_gone *g, const char *path)
{
	ssize_t at = gone_find(g, path);

	if (at >= 0)
		gone_remove(g, at);
}

char *mtd_dmabuf_gone_pop(struct mtd_dmabuf_gone *g, size_t keep)
{
	char *oldest;

	if (g->n <= keep)
		return NULL;
	oldest = g->paths[0];
	g->n--;
	memmove(&g->paths[0], &g->paths[1], g->n * sizeof(*g->paths));
	return oldest;
}

void mtd_dmabuf_gone_free(struct mtd_dmabuf_gone *g)
{
	while (g->n)
		free(g->paths[--g->n]);
	free(g->paths);
	g->paths = NULL;
	g->cap = 0;
}

/* The @n-th space-separated field of @line (0-based), its length in *@len. */
static const char *field(const char *line, const char *eol, unsigned int n,
			 size_t *len)
{
	const char *p = line, *e;

	for (;;) {
		while (p < eol && *p == ' ')
			p++;
		if (p >= eol)
			return NULL;
		e = memchr(p, ' ', eol - p);
		if (!e)
			e = eol;
		if (!n--) {
			*len = e - p;
			return p;
		}
		p = e;
	}
}

static bool hides(const char *opts, size_t len)
{
	const char *p = opts, *e = opts + len, *c;

	for (; p < e; p = c + 1) {
		c = memchr(p, ',', e - p);
		if (!c)
			c = e;
		if (c - p > 8 && !memcmp(p, "hidepid=", 8)) {
			size_t n = c - p - 8;
			const char *v = p + 8;

			return (n == 1 && (*v == '2' || *v == '4')) ||
			       (n == 9 && !memcmp(v, "invisible", 9)) ||
			       (n == 10 && !memcmp(v, "ptraceable", 10));
		}
	}
	return false;
}

/*
 * "36 25 0:22 / /proc rw,nosuid - proc proc rw,hidepid=invisible": the
 * mount point is field 4, and after the "-" come the type, the source and
 * the superblock options.  The last mount on /proc is the visible one.
 */
bool mtd_dmabuf_procfs_hides(const char *mountinfo)
{
	const char *line = mountinfo, *eol, *f, *dash;
	bool found = false;
	size_t len;

	for (; *line; line = *eol ? eol + 1 : eol) {
		eol = strchrnul(line, '\n');
		f = field(line, eol, 4, &len);
		if (!f || len != 5 || memcmp(f, "/proc", 5))
			continue;
		dash = memmem(line, eol - line, " - ", 3);
		if (!dash)
			continue;
		f = field(dash + 3, eol, 0, &len);
		if (!f || len != 4 || memcmp(f, "proc", 4))
			continue;
		f = field(dash + 3, eol, 2, &len);
		found = f && hides(f, len);
	}
	return found;
}

bool mtd_dmabuf_has_cap(const char *status, unsigned int cap)
{
	const char *p = strstr(status, "\nCapEff:");
	unsigned long long eff;

	if (!p || cap > 63 || sscanf(p + 8, "%llx", &eff) != 1)
		return false;
	return eff >> cap & 1;
}
