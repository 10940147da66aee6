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
#define _GNU_SOURCE /* mkostemp */

#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NO_REC UINT32_MAX
#define MIN_RECORDS 64			/* per level, for config_check */
#define MAX_SLOTS (1U << 20)		/* retention / step: bounds a query */
#define MAX_STEP_SEC (UINT32_MAX / 1000) /* a slot offset in ms fits 32 bits */
#define MAX_PATH_LEN 4096
#define FILE_MAGIC "MTDHIST1"
#define FILE_VERSION 1
#define FILE_MAX_SIZE (1ULL << 30)
#define SERIES_HAS_VALUE 1U
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * One slot of one series.  @sum integrates the value (bytes x ms) from
 * the slot start up to @last_change_ms; the rest of the slot is @last.
 */
struct hrec {
	uint32_t owner;		/* series serial, 0: never used */
	uint32_t prev;		/* same series' previous record, or NO_REC */
	uint32_t slot;		/* time_sec / step_sec */
	uint32_t last_change_ms;
	uint64_t min;
	uint64_t max;
	uint64_t last;
	double sum;
};

_Static_assert(sizeof(struct hrec) == 48, "history record layout");

struct level {
	struct hrec *rec;
	uint32_t cap;
	uint32_t next;		/* where the next record goes */
	uint32_t step_sec;
	uint32_t n_slots;	/* retention_sec / step_sec */
};

struct mtd_series {
	struct mtd_series *hnext;
	uint64_t hash;
	uint64_t value;		/* current value, valid if has_value */
	uint64_t change_usec;	/* when it took that value */
	uint64_t first_usec;	/* first value ever */
	uint32_t serial;
	bool has_value;
	uint32_t head[MTD_HISTORY_MAX_LEVELS];
	char path[];
};

struct mtd_history {
	struct mtd_history_config cfg;
	struct level lv[MTD_HISTORY_MAX_LEVELS];
	struct mtd_series **table;
	size_t table_size;	/* a power of two */
	size_t n_series;
	size_t series_bytes;
	uint32_t next_serial;
	uint64_t latest_usec;	/* newest sample, the reference of a load */
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= FNV_PRIME;
	}
	return h;
}

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

static int levels_check(const struct mtd_history_level *lv, unsigned int n)
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
	if (levels_check(cfg->level, cfg->n_levels))
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

static void series_clear(struct mtd_history *h)
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
		series_clear(h);
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

static bool rec_valid(const struct level *lv, uint32_t i, uint32_t serial)
{
	return i < lv->cap && lv->rec[i].owner == serial;
}

/* The record before @i in its series' chain, or NO_REC. */
static uint32_t rec_prev(const struct level *lv, uint32_t i)
{
	uint32_t p = lv->rec[i].prev;

	if (rec_valid(lv, p, lv->rec[i].owner) &&
	    lv->rec[p].slot < lv->rec[i].slot)
		return p;
	return NO_REC;
}

static void level_append(struct level *lv, struct mtd_series *s,
			 unsigned int l, const struct hrec *r)
{
	uint32_t i = lv->next;
	uint32_t prev = rec_valid(lv, s->head[l], s->serial) ? s->head[l] :
								 NO_REC;

	lv->rec[i] = *r;
	lv->rec[i].owner = s->serial;
	lv->rec[i].prev = prev;
	s->head[l] = i;
	lv->next = i + 1 == lv->cap ? 0 : i + 1;
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

/*
 * The file, all integers little-endian:
 *
 *	"MTDHIST1", u32 version, u32 n_levels,
 *	n_levels x { u32 step_sec, u32 retention_sec },
 *	u64 newest sample (usec), u64 n_series,
 *	n_series x { u32 path length, path, u32 flags, u64 value,
 *		     u64 change usec, u64 first usec,
 *		     n_levels x { u32 n, n x record, oldest first } },
 *	u64 FNV-1a 64 of everything before it
 *
 * with a record { u32 slot, u32 last_change_ms, u64 min, max, last,
 * f64 sum }.
 */
static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

struct wr {
	FILE *f;
	uint64_t sum;
	int err;
};

static void wr_int(struct wr *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	put_le(b, v, n);
	w->sum = fnv1a(w->sum, b, n);
	if (!w->err && fwrite(b, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
}

/* @idx has room for a whole arena. */
static void save_series(struct wr *w, const struct mtd_history *h,
			const struct mtd_series *s, uint32_t *idx)
{
	size_t len = strlen(s->path), n;
	unsigned int l;
	uint64_t sum;
	uint32_t i;

	wr_int(w, len, 4);
	w->sum = fnv1a(w->sum, s->path, len);
	if (!w->err && fwrite(s->path, 1, len, w->f) != len)
		w->err = errno ? -errno : -EIO;
	wr_int(w, s->has_value ? SERIES_HAS_VALUE : 0, 4);
	wr_int(w, s->value, 8);
	wr_int(w, s->change_usec, 8);
	wr_int(w, s->first_usec, 8);
	for (l = 0; l < h->cfg.n_levels; l++) {
		const struct level *lv = &h->lv[l];

		n = 0;
		i = rec_valid(lv, s->head[l], s->serial) ? s->head[l] : NO_REC;
		for (; i != NO_REC; i = rec_prev(lv, i))
			idx[n++] = i;
		wr_int(w, n, 4);
		while (n--) {
			const struct hrec *r = &lv->rec[idx[n]];

			wr_int(w, r->slot, 4);
			wr_int(w, r->last_change_ms, 4);
			wr_int(w, r->min, 8);
			wr_int(w, r->max, 8);
			wr_int(w, r->last, 8);
			memcpy(&sum, &r->sum, sizeof(sum));
			wr_int(w, sum, 8);
		}
	}
}

/* Best effort: the rename is done, this only makes it last. */
static void sync_dir(const char *file)
{
	char *dir = strdup(file), *slash = dir ? strrchr(dir, '/') : NULL;
	int fd;

	if (slash)
		slash[slash == dir] = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

int mtd_history_save(const struct mtd_history *h, const char *file)
{
	struct wr w = { .sum = FNV_OFFSET };
	const struct mtd_series *s;
	uint32_t *idx, cap = 0;
	unsigned int l;
	char *tmp;
	size_t i;
	int fd;

	for (l = 0; l < h->cfg.n_levels; l++)
		cap = MAX(cap, h->lv[l].cap);
	tmp = malloc(strlen(file) + sizeof(".XXXXXX"));
	idx = malloc(cap * sizeof(*idx));
	if (!tmp || !idx) {
		w.err = -ENOMEM;
		goto out;
	}
	sprintf(tmp, "%s.XXXXXX", file);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		w.err = -errno;
		goto out;
	}
	w.f = fdopen(fd, "w");
	if (!w.f) {
		w.err = -errno;
		close(fd);
		goto out_unlink;
	}
	wr_int(&w, get_le((const uint8_t *)FILE_MAGIC, 8), 8);
	wr_int(&w, FILE_VERSION, 4);
	wr_int(&w, h->cfg.n_levels, 4);
	for (l = 0; l < h->cfg.n_levels; l++) {
		wr_int(&w, h->cfg.level[l].step_sec, 4);
		wr_int(&w, h->cfg.level[l].retention_sec, 4);
	}
	wr_int(&w, h->latest_usec, 8);
	wr_int(&w, h->n_series, 8);
	for (i = 0; i < h->table_size; i++)
		for (s = h->table[i]; s; s = s->hnext)
			save_series(&w, h, s, idx);
	wr_int(&w, w.sum, 8);
	if (!w.err && fflush(w.f))
		w.err = -errno;
	if (!w.err && fsync(fileno(w.f)))
		w.err = -errno;
	if (fclose(w.f) && !w.err)
		w.err = -errno;
	if (!w.err && rename(tmp, file))
		w.err = -errno;
	if (!w.err)
		sync_dir(file);
out_unlink:
	if (w.err)
		unlink(tmp);
out:
	free(tmp);
	free(idx);
	return w.err;
}

/* Reader with a sticky error: after the first one, reads return zeros. */
struct rd {
	const uint8_t *p;
	size_t len, off;
	char *err;
	size_t errlen;
	int error;
};

__attribute__((format(printf, 2, 3)))
static int rd_fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error)
		return r->error;
	if (r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	r->error = -EBADMSG;
	return r->error;
}

static void rd_get(struct rd *r, void *p, size_t n)
{
	if (r->error || r->len - r->off < n) {
		rd_fail(r, "truncated at byte %zu", r->len);
		memset(p, 0, n);
		return;
	}
	memcpy(p, r->p + r->off, n);
	r->off += n;
}

static uint64_t rd_int(struct rd *r, size_t n)
{
	uint8_t b[8];

	rd_get(r, b, n);
	return get_le(b, n);
}

/* A record found in the file, for a level of the current config. */
struct ld_rec {
	struct mtd_series *s;
	struct hrec r;
};

struct ld_level {
	struct ld_rec *v;
	size_t n, alloc;
};

static int ld_push(struct ld_level *ll, struct mtd_series *s,
		   const struct hrec *r)
{
	if (ll->n == ll->alloc) {
		size_t alloc = ll->alloc ? 2 * ll->alloc : 256;
		struct ld_rec *v = realloc(ll->v, alloc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ll->v = v;
		ll->alloc = alloc;
	}
	ll->v[ll->n].s = s;
	ll->v[ll->n++].r = *r;
	return 0;
}

/*
 * Records of @s at a file level of @step, kept in @ll (NULL: no such
 * step any more).  Of the records older than the retention only the
 * newest stays: it holds the value at the start of the retention.
 */
static int load_records(struct rd *rd, struct mtd_series *s, uint32_t step,
			uint64_t latest, uint32_t n_slots, struct ld_level *ll)
{
	uint64_t step_ms = step * 1000ULL;
	uint64_t top = latest / 1000 / step_ms;
	uint64_t horizon = top >= n_slots ? top - n_slots + 1 : 0;
	uint64_t first = s->first_usec / 1000 / step_ms;
	uint64_t change = s->change_usec / 1000 / step_ms;
	uint32_t n = (uint32_t)rd_int(rd, 4), k;
	struct hrec r = { 0 }, old = { 0 };
	bool have_old = false;
	uint64_t sum;
	int ret;

	if (n && !s->has_value)
		return rd_fail(rd, "records for %.64s without a value",
			       s->path);
	for (k = 0; k < n && !rd->error; k++) {
		uint32_t prev = r.slot;

		r.slot = (uint32_t)rd_int(rd, 4);
		r.last_change_ms = (uint32_t)rd_int(rd, 4);
		r.min = rd_int(rd, 8);
		r.max = rd_int(rd, 8);
		r.last = rd_int(rd, 8);
		sum = rd_int(rd, 8);
		memcpy(&r.sum, &sum, sizeof(sum));
		if ((k && r.slot <= prev) || r.slot < first || r.slot > change)
			return rd_fail(rd, "records of %.64s out of order",
				       s->path);
		if (r.last_change_ms >= step_ms || r.min > r.last ||
		    r.last > r.max || !isfinite(r.sum) || r.sum < 0)
			return rd_fail(rd, "bad record for %.64s", s->path);
		if (!ll)
			continue;
		if (r.slot < horizon) {
			old = r;
			have_old = true;
			continue;
		}
		ret = have_old ? ld_push(ll, s, &old) : 0;
		if (!ret)
			ret = ld_push(ll, s, &r);
		if (ret)
			return ret;
		have_old = false;
	}
	if (have_old && ld_push(ll, s, &old))
		return -ENOMEM;
	if (n && !rd->error && (r.slot != change || r.last != s->value))
		return rd_fail(rd, "records of %.64s end off its value",
			       s->path);
	return rd->error;
}

static int load_series(struct mtd_history *h, struct rd *rd,
		       const struct mtd_history_level *flv,
		       unsigned int n_levels, uint64_t latest,
		       struct ld_level *ll)
{
	char path[MAX_PATH_LEN + 1];
	struct mtd_series *s;
	unsigned int i, l;
	uint64_t value, change, first;
	uint32_t len, flags;
	int r;

	len = (uint32_t)rd_int(rd, 4);
	if (len > MAX_PATH_LEN)
		return rd_fail(rd, "path too long (%" PRIu32 " bytes)", len);
	rd_get(rd, path, len);
	path[len] = '\0';
	flags = (uint32_t)rd_int(rd, 4);
	value = rd_int(rd, 8);
	change = rd_int(rd, 8);
	first = rd_int(rd, 8);
	if (rd->error)
		return rd->error;
	if (memchr(path, '\0', len))
		return rd_fail(rd, "path with a NUL byte");
	if (flags & ~SERIES_HAS_VALUE)
		return rd_fail(rd, "bad flags for %.64s", path);
	if (flags ? first > change || change > latest :
		    value || change || first)
		return rd_fail(rd, "bad times for %.64s", path);
	if (mtd_history_series(h, path, false))
		return rd_fail(rd, "%.64s twice", path);
	s = mtd_history_series(h, path, true);
	if (!s)
		return -ENOMEM;
	s->has_value = flags;
	s->value = value;
	s->change_usec = change;
	s->first_usec = first;
	for (i = 0; i < n_levels; i++) {
		for (l = 0; l < h->cfg.n_levels; l++)
			if (h->lv[l].step_sec == flv[i].step_sec)
				break;
		r = load_records(rd, s, flv[i].step_sec, latest,
				 l < h->cfg.n_levels ? h->lv[l].n_slots : 0,
				 l < h->cfg.n_levels ? &ll[l] : NULL);
		if (r)
			return r;
	}
	return 0;
}

static int load_parse(struct mtd_history *h, struct rd *rd,
		      struct ld_level *ll)
{
	struct mtd_history_level flv[MTD_HISTORY_MAX_LEVELS];
	uint64_t latest, n_series, k, sum;
	uint32_t version, n_levels, i;
	char magic[8];
	int r;

	rd_get(rd, magic, sizeof(magic));
	if (!rd->error && memcmp(magic, FILE_MAGIC, sizeof(magic)))
		return rd_fail(rd, "bad magic");
	version = (uint32_t)rd_int(rd, 4);
	if (!rd->error && version != FILE_VERSION)
		return rd_fail(rd, "unsupported version %" PRIu32, version);
	n_levels = (uint32_t)rd_int(rd, 4);
	if (!rd->error && (n_levels < 1 || n_levels > MTD_HISTORY_MAX_LEVELS))
		return rd_fail(rd, "bad level count %" PRIu32, n_levels);
	for (i = 0; i < n_levels; i++) {
		flv[i].step_sec = (uint32_t)rd_int(rd, 4);
		flv[i].retention_sec = (uint32_t)rd_int(rd, 4);
	}
	latest = rd_int(rd, 8);
	n_series = rd_int(rd, 8);
	if (!rd->error && levels_check(flv, n_levels))
		return rd_fail(rd, "bad levels");
	/* Counts are only trusted as far as the bytes behind them go. */
	for (k = 0; k < n_series && !rd->error; k++) {
		r = load_series(h, rd, flv, n_levels, latest, ll);
		if (r)
			return r;
	}
	sum = fnv1a(FNV_OFFSET, rd->p, rd->off);
	if (rd_int(rd, 8) != sum && !rd->error)
		return rd_fail(rd, "checksum mismatch");
	if (!rd->error && rd->off != rd->len)
		return rd_fail(rd, "trailing garbage after byte %zu", rd->off);
	h->latest_usec = latest;
	return rd->error;
}

static int ld_cmp(const void *a, const void *b)
{
	const struct ld_rec *x = a, *y = b;

	if (x->r.slot != y->r.slot)
		return x->r.slot < y->r.slot ? -1 : 1;
	return (x->s->serial > y->s->serial) - (x->s->serial < y->s->serial);
}

static int read_all(const char *file, struct rd *rd, uint8_t **buf)
{
	struct stat st;
	ssize_t got;
	int fd, r = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = rd_fail(rd, "not a regular file");
	else if ((uint64_t)st.st_size > FILE_MAX_SIZE)
		r = rd_fail(rd, "file too large");
	else
		*buf = malloc((size_t)st.st_size + 1);
	if (!r && !*buf)
		r = -ENOMEM;
	while (!r && rd->len < (size_t)st.st_size) {
		got = read(fd, *buf + rd->len, (size_t)st.st_size - rd->len);
		if (got < 0 && errno != EINTR)
			r = -errno;
		else if (!got)
			break;
		else if (got > 0)
			rd->len += (size_t)got;
	}
	close(fd);
	rd->p = *buf;
	return r;
}

int mtd_history_load(struct mtd_history *h, const char *file, char *err,
		     size_t errlen)
{
	struct ld_level ll[MTD_HISTORY_MAX_LEVELS] = { { 0 } };
	struct rd rd = { .err = err, .errlen = errlen };
	uint8_t *buf = NULL;
	unsigned int l;
	size_t k, skip;
	int r;

	if (errlen)
		err[0] = '\0';
	if (h->n_series)
		return -EBUSY;
	r = read_all(file, &rd, &buf);
	if (!r)
		r = load_parse(h, &rd, ll);
	if (r) {
		series_clear(h);
		h->latest_usec = 0;
	}
	/*
	 * Nothing touched the arenas yet.  Appending in time order across
	 * all series rebuilds the chains; when the arena is now smaller,
	 * the oldest records go, as they would have gone anyway.
	 */
	for (l = 0; l < h->cfg.n_levels; l++) {
		if (!r && ll[l].n) {
			qsort(ll[l].v, ll[l].n, sizeof(*ll[l].v), ld_cmp);
			skip = ll[l].n - MIN(ll[l].n, h->lv[l].cap);
			for (k = skip; k < ll[l].n; k++)
				level_append(&h->lv[l], ll[l].v[k].s, l,
					     &ll[l].v[k].r);
		}
		free(ll[l].v);
	}
	free(buf);
	return r;
}
