// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dma-buf scan records and report: keeps what dmabuf.c reads from procfs
 * (buffers by inode in a hash, one holder per process and buffer) and
 * turns it into the public lists and figures.  No I/O here.
 *
 * The public structs live in a few arrays owned by the scan but are only
 * reachable through ->next links, so that callers never depend on their
 * size and fields can be added later.
 *
 * Rules, the ones Android settled on (libdmabufinfo):
 *  - a process holds a buffer if it has an fd of it or maps it;
 *  - PSS share = size / number of holding processes, rounded down, so
 *    that the shares of a buffer never add up to more than its size;
 *  - system totals count each buffer once; a buffer mapped by nobody is
 *    "fd only": memory that no RSS shows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct mtc_dmabuf_scan {
	struct mtc_dmabuf_totals totals;
	struct mtc_dmabuf_buffer *buffers;	/* by inode */
	struct mtc_dmabuf_holder *holders;	/* by buffer, then pid */
	struct mtc_dmabuf_proc *procs;		/* by pid */
	struct mtc_dmabuf_group *groups;
	struct mtc_dmabuf_unreadable *unreadable;	/* by pid */
};

struct order {
	uint64_t ino;
	uint32_t idx;
};

int mtc_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t first)
{
	void **p = pp;
	size_t n = *cap ? *cap : first;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 4 / elem)
			return -ENOMEM;
		n *= 2;
	}
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

void mtc_sort(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *))
{
	const char *p = base;
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			break;
	if (i < n)
		qsort(base, n, size, cmp);
}

static size_t ino_slot(uint64_t ino, size_t cap)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;
	ino ^= ino >> 33;
	return ino & (cap - 1);
}

static uint32_t *hash_find(struct mtc_dmabuf_raw *r, uint64_t ino)
{
	size_t i = ino_slot(ino, r->hash_cap);

	while (r->hash[i] && r->bufs[r->hash[i] - 1].ino != ino)
		i = (i + 1) & (r->hash_cap - 1);
	return &r->hash[i];
}

static int hash_grow(struct mtc_dmabuf_raw *r)
{
	size_t cap = r->hash_cap ? r->hash_cap * 2 : 1024, i;
	uint32_t *h;

	if (r->n_bufs >= UINT32_MAX / 2)
		return -ENOMEM;
	h = calloc(cap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	free(r->hash);
	r->hash = h;
	r->hash_cap = cap;
	for (i = 0; i < r->n_bufs; i++)
		*hash_find(r, r->bufs[i].ino) = i + 1;
	return 0;
}

long mtc_dmabuf_raw_buf(struct mtc_dmabuf_raw *r, uint64_t ino)
{
	uint32_t *slot;

	/* At most half full, so probes stay short. */
	if ((r->n_bufs + 1) * 2 > r->hash_cap && hash_grow(r) < 0)
		return -ENOMEM;
	slot = hash_find(r, ino);
	if (*slot)
		return *slot - 1;
	if (mtc_grow(&r->bufs, &r->cap_bufs, r->n_bufs + 1, sizeof(*r->bufs),
		     16) < 0)
		return -ENOMEM;
	memset(&r->bufs[r->n_bufs], 0, sizeof(*r->bufs));
	r->bufs[r->n_bufs].ino = ino;
	*slot = ++r->n_bufs;
	return r->n_bufs - 1;
}

struct mtc_dmabuf_raw_holder *
mtc_dmabuf_raw_holder(struct mtc_dmabuf_raw *r, uint32_t bi, uint32_t pid)
{
	struct mtc_dmabuf_raw_buf *b = &r->bufs[bi];
	struct mtc_dmabuf_raw_holder *h;

	if (b->n_holders && b->holders[b->n_holders - 1].pid == pid)
		return &b->holders[b->n_holders - 1];
	if (mtc_grow(&b->holders, &b->cap_holders, b->n_holders + 1, sizeof(*h),
		     1) < 0 ||
	    mtc_grow(&r->refs, &r->cap_refs, r->n_refs + 1, sizeof(*r->refs),
		     16) < 0)
		return NULL;
	h = &b->holders[b->n_holders++];
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	r->refs[r->n_refs].buf = bi;
	r->refs[r->n_refs++].holder = b->n_holders - 1;
	return h;
}

void mtc_dmabuf_raw_drop(struct mtc_dmabuf_raw *r, size_t first_ref)
{
	size_t i;

	/* Each of those refs is to its buffer's last holder. */
	for (i = first_ref; i < r->n_refs; i++)
		r->bufs[r->refs[i].buf].n_holders--;
	r->n_refs = first_ref;
}

void mtc_dmabuf_raw_free(struct mtc_dmabuf_raw *r)
{
	size_t i;

	for (i = 0; i < r->n_bufs; i++)
		free(r->bufs[i].holders);
	free(r->bufs);
	free(r->hash);
	free(r->refs);
	free(r->procs);
	free(r->unr);
}

static int cmp_order(const void *a, const void *b)
{
	uint64_t x = ((const struct order *)a)->ino;
	uint64_t y = ((const struct order *)b)->ino;

	return (x > y) - (x < y);
}

typedef const struct mtc_dmabuf_holder *hptr;

static int cmp_inode(const void *a, const void *b)
{
	uint64_t x = (*(const hptr *)a)->buffer->inode;
	uint64_t y = (*(const hptr *)b)->buffer->inode;

	return (x > y) - (x < y);
}

static int cmp_exporter(const void *a, const void *b)
{
	return strcmp((*(const hptr *)a)->buffer->exp_name,
		      (*(const hptr *)b)->buffer->exp_name);
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp((*(const hptr *)a)->buffer->name,
		      (*(const hptr *)b)->buffer->name);
}

/* Groups of a process's holders @hp by exporter or tag, in @g from *@used. */
static const struct mtc_dmabuf_group *
make_groups(struct mtc_dmabuf_group *g, size_t *used, hptr *hp, size_t n,
	    bool by_tag)
{
	struct mtc_dmabuf_group *first = NULL, *cur = NULL;
	const struct mtc_dmabuf_buffer *b;
	const char *key;
	size_t j;

	mtc_sort(hp, n, sizeof(*hp), by_tag ? cmp_tag : cmp_exporter);
	for (j = 0; j < n; j++) {
		b = hp[j]->buffer;
		key = by_tag ? b->name : b->exp_name;
		if (!cur || strcmp(cur->key, key)) {
			if (cur)
				cur->next = &g[*used];
			cur = &g[(*used)++];
			cur->key = key;
			if (!first)
				first = cur;
		}
		cur->n_buffers++;
		cur->bytes = mtc_sadd(cur->bytes, b->size);
		if (hp[j]->n_fds && !hp[j]->n_vmas)
			cur->fd_only_bytes = mtc_sadd(cur->fd_only_bytes,
						      b->size);
		cur->mapped_bytes = mtc_sadd(cur->mapped_bytes,
					 hp[j]->mapped_bytes);
		cur->pss_bytes = mtc_sadd(cur->pss_bytes, hp[j]->pss_bytes);
	}
	return first;
}

/* Buffers with a holder, by inode, each followed by its holders. */
static void fill_buffers(struct mtc_dmabuf_scan *s,
			 const struct mtc_dmabuf_raw *raw,
			 const struct order *ord, size_t n, size_t *hbase)
{
	const struct mtc_dmabuf_raw_buf *rb;
	struct mtc_dmabuf_holder *h = s->holders;
	struct mtc_dmabuf_buffer *b;
	bool mapped;
	size_t i, j;

	for (i = 0; i < n; i++) {
		rb = &raw->bufs[ord[i].idx];
		b = &s->buffers[i];
		hbase[i] = h - s->holders;
		b->inode = rb->ino;
		b->size = rb->size;
		b->size_estimated = !rb->exact;
		strcpy(b->exp_name, rb->exp_name);
		strcpy(b->name, rb->name);
		b->n_holders = rb->n_holders;
		b->holders = h;
		b->next = i + 1 < n ? b + 1 : NULL;
		mapped = false;
		for (j = 0; j < rb->n_holders; j++, h++) {
			h->pid = rb->holders[j].pid;
			h->n_fds = rb->holders[j].n_fds;
			h->n_vmas = rb->holders[j].n_vmas;
			h->mapped_bytes = rb->holders[j].mapped;
			h->pss_bytes = rb->size / rb->n_holders;
			h->buffer = b;
			h->next = j + 1 < rb->n_holders ? h + 1 : NULL;
			b->n_fds += h->n_fds;
			b->n_vmas += h->n_vmas;
			mapped |= h->n_vmas > 0;
		}
		s->totals.bytes = mtc_sadd(s->totals.bytes, b->size);
		if (mapped)
			s->totals.mapped_bytes =
				mtc_sadd(s->totals.mapped_bytes, b->size);
		else
			s->totals.fd_only_bytes =
				mtc_sadd(s->totals.fd_only_bytes, b->size);
	}
	s->totals.n_buffers = n;
}

static void fill_proc(struct mtc_dmabuf_scan *s, struct mtc_dmabuf_proc *p,
		      hptr *hp, size_t n, size_t *groups_used)
{
	struct mtc_dmabuf_holder *h;
	size_t j;

	mtc_sort(hp, n, sizeof(*hp), cmp_inode);
	for (j = 0; j < n; j++) {
		/* The scan's own arrays: casting the const away is fine. */
		h = (struct mtc_dmabuf_holder *)hp[j];
		h->proc = p;
		strcpy(h->comm, p->comm);
		h->next_in_proc = j + 1 < n ? hp[j + 1] : NULL;
		p->n_buffers++;
		p->n_fds += h->n_fds;
		p->n_vmas += h->n_vmas;
		p->bytes = mtc_sadd(p->bytes, h->buffer->size);
		if (h->n_fds && !h->n_vmas)
			p->fd_only_bytes = mtc_sadd(p->fd_only_bytes,
						h->buffer->size);
		p->mapped_bytes = mtc_sadd(p->mapped_bytes, h->mapped_bytes);
		p->pss_bytes = mtc_sadd(p->pss_bytes, h->pss_bytes);
	}
	p->holders = n ? hp[0] : NULL;
	p->by_exporter = make_groups(s->groups, groups_used, hp, n, false);
	p->by_tag = make_groups(s->groups, groups_used, hp, n, true);
}

int mtc_dmabuf_report(struct mtc_dmabuf_raw *raw,
		      struct mtc_dmabuf_scan **out)
{
	size_t n = 0, n_holders = 0, used = 0, i, j;
	const struct mtc_dmabuf_raw_proc *rp;
	const struct mtc_dmabuf_raw_ref *ref;
	struct mtc_dmabuf_scan *s;
	struct mtc_dmabuf_proc *p;
	struct order *ord;
	size_t *hbase;
	uint32_t *pos;
	hptr *hp;
	int ret = -ENOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	ord = calloc(raw->n_bufs + 1, sizeof(*ord));
	pos = calloc(raw->n_bufs + 1, sizeof(*pos));
	hbase = calloc(raw->n_bufs + 1, sizeof(*hbase));
	hp = calloc(raw->n_refs + 1, sizeof(*hp));
	if (!s || !ord || !pos || !hbase || !hp)
		goto out;
	for (i = 0; i < raw->n_bufs; i++) {
		if (!raw->bufs[i].n_holders)	/* only vanished holders */
			continue;
		ord[n].ino = raw->bufs[i].ino;
		ord[n++].idx = i;
		n_holders += raw->bufs[i].n_holders;
	}
	mtc_sort(ord, n, sizeof(*ord), cmp_order);
	s->buffers = calloc(n + 1, sizeof(*s->buffers));
	s->holders = calloc(n_holders + 1, sizeof(*s->holders));
	s->procs = calloc(raw->n_procs + 1, sizeof(*s->procs));
	/* At most one group of each kind per buffer of each process. */
	s->groups = calloc(2 * raw->n_refs + 1, sizeof(*s->groups));
	if (!s->buffers || !s->holders || !s->procs || !s->groups)
		goto out;
	s->totals = raw->totals;
	fill_buffers(s, raw, ord, n, hbase);
	for (i = 0; i < n; i++)
		pos[ord[i].idx] = i;

	for (i = 0; i < raw->n_procs; i++) {
		rp = &raw->procs[i];
		p = &s->procs[i];
		p->pid = rp->pid;
		strcpy(p->comm, rp->comm);
		p->complete = rp->complete;
		p->next = i + 1 < raw->n_procs ? p + 1 : NULL;
		for (j = 0; j < rp->n_refs; j++) {
			ref = &raw->refs[rp->first_ref + j];
			hp[j] = &s->holders[hbase[pos[ref->buf]] + ref->holder];
		}
		fill_proc(s, p, hp, rp->n_refs, &used);
	}
	s->totals.n_procs = raw->n_procs;

	s->unreadable = raw->unr;
	raw->unr = NULL;
	for (i = 0; i + 1 < raw->n_unr; i++)
		s->unreadable[i].next = &s->unreadable[i + 1];
	s->totals.n_unreadable = raw->n_unr;
	*out = s;
	s = NULL;
	ret = 0;
out:
	mtc_dmabuf_scan_free(s);
	free(ord);
	free(pos);
	free(hbase);
	free(hp);
	return ret;
}

MTC_EXPORT void mtc_dmabuf_scan_free(struct mtc_dmabuf_scan *s)
{
	if (!s)
		return;
	free(s->buffers);
	free(s->holders);
	free(s->procs);
	free(s->groups);
	free(s->unreadable);
	free(s);
}

MTC_EXPORT const struct mtc_dmabuf_totals *
mtc_dmabuf_scan_totals(const struct mtc_dmabuf_scan *s)
{
	return &s->totals;
}

MTC_EXPORT const struct mtc_dmabuf_buffer *
mtc_dmabuf_scan_buffers(const struct mtc_dmabuf_scan *s)
{
	return s->totals.n_buffers ? s->buffers : NULL;
}

MTC_EXPORT const struct mtc_dmabuf_proc *
mtc_dmabuf_scan_procs(const struct mtc_dmabuf_scan *s)
{
	return s->totals.n_procs ? s->procs : NULL;
}

MTC_EXPORT const struct mtc_dmabuf_unreadable *
mtc_dmabuf_scan_unreadable(const struct mtc_dmabuf_scan *s)
{
	return s->totals.n_unreadable ? s->unreadable : NULL;
}

MTC_EXPORT const struct mtc_dmabuf_buffer *
mtc_dmabuf_scan_find_buffer(const struct mtc_dmabuf_scan *s, uint64_t inode)
{
	size_t lo = 0, hi = s->totals.n_buffers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->buffers[mid].inode == inode)
			return &s->buffers[mid];
		if (s->buffers[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

MTC_EXPORT const struct mtc_dmabuf_proc *
mtc_dmabuf_scan_find_proc(const struct mtc_dmabuf_scan *s, uint32_t pid)
{
	size_t lo = 0, hi = s->totals.n_procs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->procs[mid].pid == pid)
			return &s->procs[mid];
		if (s->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
