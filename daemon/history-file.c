// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Saving and loading the history; see history.h for the contract.
 *
 * A save writes a temp file next to the real one and renames it over,
 * so a crash leaves the old file or the new one, never a torn one.  A
 * load trusts nothing in the file (it may be truncated, corrupt, from
 * another version or hand-made): every count, time and record is
 * checked, the whole is checksummed, and on any error the history is
 * left empty rather than half-filled.
 */
#define _GNU_SOURCE /* mkostemp */

#include "history-internal.h"

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

#define FILE_MAGIC "MTDHIST1"
#define FILE_VERSION 1
#define FILE_MAX_SIZE (1ULL << 30)
#define SERIES_HAS_VALUE 1U

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
	if (!rd->error && history_levels_check(flv, n_levels))
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
		history_series_clear(h);
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
