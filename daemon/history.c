// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bounded multi-resolution history of node totals; see history.h.
 *
 * Every level is one ring of records shared by all series.  A record
 * holds one slot of one series and links back to the series' previous
 * record in the same level.  The ring overwrites its oldest record
 * without telling the owner, so a link is only followed when the record
 * it names still belongs to the same series (serials are never reused)
 * and holds an older slot (the series may have reused the index since).
 * Records of one series are appended in time order and recycled in the
 * same order, so what survives of a chain is always its newest part.
 */
#include "history-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_RECORDS 64			/* per level, for config_check */
#define MAX_SLOTS (1U << 20)		/* retention / step: bounds a query */
#define MAX_STEP_SEC (UINT32_MAX / 1000) /* a slot offset in ms fits 32 bits */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void mtd_history_config_default(struct mtd_history_config *cfg)
{
	static const struct mtd_history_level def[] = {
		{ 1, 10 * 60 },
		{ 10, 6 * 3600 },
		{ 60, 24 * 3600 },
		{ 15 * 60, 7 * 24 * 3600 },
	};

	memset(cfg, 0, sizeof(*cfg));
	cfg->n_levels = ARRAY_SIZE(def);
	memcpy(cfg->level, def, sizeof(def));
	cfg->memory_max = 16ULL << 20;
}

int history_levels_check(const struct mtd_history_level *lv, unsigned int n)
{
	unsigned int i;

	if (n < 1 || n > MTD_HISTORY_MAX_LEVELS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		uint32_t step = lv[i].step_sec, ret = lv[i].retention_sec;

		if (step < 1 || step > MAX_STEP_SEC || ret < step ||
		    ret % step || ret / step > MAX_SLOTS)
			return -EINVAL;
		if (i && step <= lv[i - 1].step_sec)
			return -EINVAL;
	}
	return 0;
}

int mtd_history_config_check(const struct mtd_history_config *cfg)
{
	if (history_levels_check(cfg->level, cfg->n_levels))
		return -EINVAL;
	if (cfg->memory_max / cfg->n_levels / sizeof(struct hrec) <
	    MIN_RECORDS)
		return -EINVAL;
	return 0;
}

int mtd_history_new(const struct mtd_history_config *cfg,
		    struct mtd_history **out)
{
	struct mtd_history *h;
	unsigned int l;
	uint64_t cap;
	int r;

	*out = NULL;
	r = mtd_history_config_check(cfg);
	if (r)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	h->next_serial = 1;
	h->table_size = 64;
	h->table = calloc(h->table_size, sizeof(*h->table));
	cap = cfg->memory_max / cfg->n_levels / sizeof(struct hrec);
	/* NO_REC must stay out of reach of an index. */
	cap = MIN(cap, MIN(NO_REC - 1, SIZE_MAX / sizeof(struct hrec)));
	for (l = 0; l < cfg->n_levels; l++) {
		h->lv[l].cap = (uint32_t)cap;
		h->lv[l].step_sec = cfg->level[l].step_sec;
		h->lv[l].n_slots = cfg->level[l].retention_sec /
				   cfg->level[l].step_sec;
		/* calloc: untouched pages of a quiet history cost nothing. */
		h->lv[l].rec = calloc(cap, sizeof(struct hrec));
		if (!h->lv[l].rec)
			break;
	}
	if (!h->table || l < cfg->n_levels) {
		mtd_history_free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void history_series_clear(struct mtd_history *h)
{
	struct mtd_series *s, *next;
	size_t i;

	for (i = 0; i < h->table_size; i++) {
		for (s = h->table[i]; s; s = next) {
			next = s->hnext;
			free(s);
		}
		h->table[i] = NULL;
	}
	h->n_series = 0;
	h->series_bytes = 0;
}

void mtd_history_free(struct mtd_history *h)
{
	unsigned int l;

	if (!h)
		return;
	if (h->table)
		history_series_clear(h);
	for (l = 0; l < h->cfg.n_levels; l++)
		free(h->lv[l].rec);
	free(h->table);
	free(h);
}

/* A failed grow only makes the chains longer. */
static void table_grow(struct mtd_history *h)
{
	size_t size = h->table_size * 2, i;
	struct mtd_series **t, *s, *next;

	t = calloc(size, sizeof(*t));
	if (!t)
		return;
	for (i = 0; i < h->table_size; i++) {
		for (s = h->table[i]; s; s = next) {
			next = s->hnext;
			s->hnext = t[s->hash & (size - 1)];
			t[s->hash & (size - 1)] = s;
		}
	}
	free(h->table);
	h->table = t;
	h->table_size = size;
}

struct mtd_series *mtd_history_series(struct mtd_history *h, const char *path,
				      bool create)
{
	size_t len = strlen(path);
	uint64_t hash = fnv1a(FNV_OFFSET, path, len);
	struct mtd_series *s;
	unsigned int l;

	for (s = h->table[hash & (h->table_size - 1)]; s; s = s->hnext)
		if (s->hash == hash && !strcmp(s->path, path))
			return s;
	/* A path the file format cannot hold would poison every save. */
	if (!create || len > MAX_PATH_LEN || h->next_serial == UINT32_MAX)
		return NULL;
	s = calloc(1, sizeof(*s) + len + 1);
	if (!s)
		return NULL;
	if (h->n_series >= h->table_size)
		table_grow(h);
	s->hash = hash;
	s->serial = h->next_serial++;
	for (l = 0; l < MTD_HISTORY_MAX_LEVELS; l++)
		s->head[l] = NO_REC;
	memcpy(s->path, path, len + 1);
	s->hnext = h->table[hash & (h->table_size - 1)];
	h->table[hash & (h->table_size - 1)] = s;
	h->n_series++;
	h->series_bytes += sizeof(*s) + len + 1;
	return s;
}

void mtd_history_forget(struct mtd_history *h, struct mtd_series *s)
{
	struct mtd_series **p = &h->table[s->hash & (h->table_size - 1)];

	for (; *p; p = &(*p)->hnext) {
		if (*p != s)
			continue;
		/* Its records carry a serial no live series has: they lapse. */
		*p = s->hnext;
		h->n_series--;
		h->series_bytes -= sizeof(*s) + strlen(s->path) + 1;
		free(s);
		return;
	}
}

void mtd_series_record(struct mtd_history *h, struct mtd_series *s,
		       uint64_t now_usec, uint64_t value)
{
	bool first = !s->has_value;
	uint64_t prev = first ? value : s->value;
	uint64_t now_ms;
	unsigned int l;

	/* A gap repeats the last value: an unchanged one needs no record. */
	if (!first && value == s->value)
		return;
	/* Going back in time would break the slot sums; hold the clock. */
	if (!first && now_usec < s->change_usec)
		now_usec = s->change_usec;
	now_ms = now_usec / 1000;
	/* 32-bit slots: good until 2106 at 1 s steps. */
	if (now_ms / (h->lv[0].step_sec * 1000ULL) >= UINT32_MAX)
		return;
	for (l = 0; l < h->cfg.n_levels; l++) {
		struct level *lv = &h->lv[l];
		uint64_t step_ms = lv->step_sec * 1000ULL;
		uint32_t slot = (uint32_t)(now_ms / step_ms);
		uint32_t off = (uint32_t)(now_ms % step_ms);
		struct hrec *r, n;

		if (rec_valid(lv, s->head[l], s->serial)) {
			r = &lv->rec[s->head[l]];
			if (r->slot == slot) {
				if (off > r->last_change_ms)
					r->sum += (double)prev *
						  (off - r->last_change_ms);
				r->last_change_ms = off;
				r->min = MIN(r->min, value);
				r->max = MAX(r->max, value);
				r->last = value;
				continue;
			}
		}
		/*
		 * The slot starts at the previous value; before the first
		 * value there is nothing to integrate.
		 */
		memset(&n, 0, sizeof(n));
		n.slot = slot;
		n.last_change_ms = off;
		n.min = MIN(prev, value);
		n.max = MAX(prev, value);
		n.last = value;
		n.sum = first ? 0 : (double)prev * off;
		level_append(lv, s, l, &n);
	}
	if (first)
		s->first_usec = now_usec;
	s->has_value = true;
	s->value = value;
	s->change_usec = now_usec;
	h->latest_usec = MAX(h->latest_usec, now_usec);
}

/* What one level knows of a series over a query's range. */
struct walk {
	uint32_t *idx;		/* records in the range, newest first */
	size_t n;
	uint64_t start_ms;	/* first instant the level can answer for */
	uint64_t fill;		/* value before the oldest record in range */
};

static uint64_t bucket_sec(const struct level *lv, uint32_t res)
{
	return res > lv->step_sec ? res : lv->step_sec;
}

static int level_walk(const struct mtd_history *h, const struct mtd_series *s,
		      unsigned int l, uint64_t now_ms, uint64_t since_usec,
		      uint32_t res, struct walk *w)
{
	const struct level *lv = &h->lv[l];
	uint64_t step_ms = lv->step_sec * 1000ULL;
	uint64_t bsec = bucket_sec(lv, res), since_sec = since_usec / 1000000;
	uint64_t lo = (since_sec - since_sec % bsec) / lv->step_sec;
	uint64_t now_slot = now_ms / step_ms;
	const struct hrec *r;
	uint32_t i = s->head[l];

	/* Slots past the retention are left out; only their value is used. */
	if (now_slot >= lv->n_slots)
		lo = MAX(lo, now_slot - lv->n_slots + 1);
	/* One record per slot at most, and slots from lo to now. */
	free(w->idx);
	w->idx = malloc((size_t)MIN(lv->cap, now_slot - lo + 1) *
			sizeof(*w->idx));
	if (!w->idx)
		return -ENOMEM;
	w->n = 0;
	w->fill = s->value;
	w->start_ms = lo * step_ms;
	if (!rec_valid(lv, i, s->serial)) {
		/* Its newest record is recycled: no change since the last. */
		w->start_ms = MAX(w->start_ms, s->change_usec / 1000);
		return 0;
	}
	for (;;) {
		r = &lv->rec[i];
		if (r->slot < lo) {
			w->fill = r->last;
			return 0;
		}
		/* A "now" before the newest record sees none of the later. */
		if (r->slot <= now_slot)
			w->idx[w->n++] = i;
		i = rec_prev(lv, i);
		if (i == NO_REC)
			break;
	}
	/*
	 * The chain ends inside the range.  If it ends at the first value,
	 * the level knows everything from there; otherwise the value before
	 * its oldest surviving slot is lost.
	 */
	if (r->slot == s->first_usec / 1000 / step_ms)
		w->start_ms = MAX(w->start_ms, s->first_usec / 1000);
	else
		w->start_ms = MAX(w->start_ms, r->slot * step_ms);
	return 0;
}

static void bucket_finish(struct mtd_sample *b, double integral, uint64_t dur)
{
	double avg;

	if (!dur) {
		b->avg = b->last;
		return;
	}
	/* Clamped: rounding must not step out of [min, max] (or uint64). */
	avg = integral / (double)dur + 0.5;
	if (avg <= (double)b->min)
		b->avg = b->min;
	else if (avg >= (double)b->max)
		b->avg = b->max;
	else
		b->avg = (uint64_t)avg;
}

/*
 * Turn a walk into buckets: a slot goes to the bucket that holds its
 * start.  The bucket of "now" is there even when it has lasted 0 ms, so
 * that the current value is always in the answer.
 */
static int walk_emit(const struct level *lv, const struct walk *w,
		     uint64_t now_ms, uint64_t bsec, struct mtd_sample **out,
		     size_t *n)
{
	uint64_t step_ms = lv->step_sec * 1000ULL;
	uint64_t slot = w->start_ms / step_ms, now_slot = now_ms / step_ms;
	uint64_t b0 = slot * lv->step_sec / bsec, cur = UINT64_MAX;
	uint64_t fill = w->fill, dur = 0;
	struct mtd_sample *v, *b = NULL;
	size_t ri = w->n;
	double integral = 0;

	if (w->start_ms > now_ms)
		return 0;
	v = calloc(now_slot * lv->step_sec / bsec - b0 + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (; slot <= now_slot; slot++) {
		uint64_t ss = slot * step_ms, bk = slot * lv->step_sec / bsec;
		uint64_t a = MAX(ss, w->start_ms);
		uint64_t e = MAX(a, MIN(ss + step_ms, now_ms));
		const struct hrec *r = NULL;
		uint64_t mn, mx;
		double part;

		while (ri && lv->rec[w->idx[ri - 1]].slot < slot)
			ri--;
		if (ri && lv->rec[w->idx[ri - 1]].slot == slot)
			r = &lv->rec[w->idx[--ri]];
		if (r) {
			uint64_t lc = ss + r->last_change_ms;

			part = r->sum;
			if (e > lc)
				part += (double)r->last * (double)(e - lc);
			mn = r->min;
			mx = r->max;
			fill = r->last;
		} else {
			part = (double)fill * (double)(e - a);
			mn = fill;
			mx = fill;
		}
		if (bk != cur) {
			if (b)
				bucket_finish(b, integral, dur);
			b = b ? b + 1 : v;
			cur = bk;
			b->time_usec = bk * bsec * 1000000;
			b->min = mn;
			b->max = mx;
			integral = 0;
			dur = 0;
		}
		b->min = MIN(b->min, mn);
		b->max = MAX(b->max, mx);
		b->last = fill;
		integral += part;
		dur += e - a;
	}
	bucket_finish(b, integral, dur);
	*out = v;
	*n = (size_t)(b - v) + 1;
	return 0;
}

int mtd_history_query(const struct mtd_history *h, const struct mtd_series *s,
		      uint64_t now_usec, uint64_t since_usec,
		      uint32_t resolution_sec, struct mtd_sample **out,
		      size_t *n)
{
	uint64_t now_ms = now_usec / 1000, target_ms, best_start = UINT64_MAX;
	unsigned int l, best = 0, walked = 0;
	struct walk w = { 0 };
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!s->has_value || since_usec > now_usec)
		return 0;
	/* Nothing before the first value is asked for. */
	target_ms = MAX(since_usec, s->first_usec) / 1000;
	for (l = 0; l < h->cfg.n_levels; l++) {
		/* The finest level serves resolutions finer than itself. */
		if (l && resolution_sec && h->lv[l].step_sec > resolution_sec)
			break;
		r = level_walk(h, s, l, now_ms, since_usec, resolution_sec, &w);
		if (r)
			goto out;
		walked = l;
		if (w.start_ms < best_start) {
			best = l;
			best_start = w.start_ms;
		}
		if (w.start_ms <= target_ms)
			break;
	}
	/* No level reaches back far enough: the one that reaches furthest. */
	if (walked != best) {
		r = level_walk(h, s, best, now_ms, since_usec, resolution_sec,
			       &w);
		if (r)
			goto out;
	}
	r = walk_emit(&h->lv[best], &w, now_ms,
		      bucket_sec(&h->lv[best], resolution_sec), out, n);
out:
	free(w.idx);
	return r;
}

size_t mtd_history_memory(const struct mtd_history *h)
{
	size_t bytes = sizeof(*h) + h->table_size * sizeof(*h->table);
	unsigned int l;

	for (l = 0; l < h->cfg.n_levels; l++)
		bytes += (size_t)h->lv[l].cap * sizeof(struct hrec);
	return bytes + h->series_bytes;
}

size_t mtd_history_n_series(const struct mtd_history *h)
{
	return h->n_series;
}

void mtd_history_foreach(struct mtd_history *h,
			 void (*fn)(struct mtd_series *s, void *priv),
			 void *priv)
{
	struct mtd_series *s, *next;
	size_t i;

	for (i = 0; i < h->table_size; i++) {
		for (s = h->table[i]; s; s = next) {
			next = s->hnext;
			fn(s, priv);
		}
	}
}

const char *mtd_series_path(const struct mtd_series *s)
{
	return s->path;
}

uint64_t mtd_series_changed_usec(const struct mtd_series *s)
{
	return s->has_value ? s->change_usec : 0;
}
