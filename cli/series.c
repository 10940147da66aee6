// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Timespans, ages and history charts; see series.h.
 */
#include <errno.h>
#include <string.h>

#include "print.h"
#include "series.h"

int parse_timespan(const char *s, uint64_t *usec)
{
	static const struct {
		const char *name;
		uint64_t sec;
	} units[] = {
		/* Longer names first: "min" before "m", "sec" before "s". */
		{ "sec", 1 }, { "s", 1 }, { "min", 60 }, { "m", 60 },
		{ "h", 3600 }, { "d", 86400 }, { "w", 7 * 86400 },
	};
	uint64_t total = 0, v, mul;
	bool first = true;
	size_t i, len;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (v = 0; *s >= '0' && *s <= '9'; s++) {
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
				return -ERANGE;
		}
		mul = 0;
		if (!*s && first) {
			mul = 1;	/* a bare number: seconds */
		} else {
			for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
				len = strlen(units[i].name);
				if (!strncmp(s, units[i].name, len)) {
					mul = units[i].sec;
					s += len;
					break;
				}
			}
		}
		if (!mul)
			return -EINVAL;
		if (__builtin_mul_overflow(v, mul * USEC_PER_SEC, &v) ||
		    __builtin_add_overflow(total, v, &total))
			return -ERANGE;
		first = false;
	}
	*usec = total;
	return 0;
}

const char *fmt_duration(char *buf, size_t size, uint64_t usec)
{
	static const struct {
		char unit;
		uint64_t sec;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	const size_t last = sizeof(units) / sizeof(units[0]) - 1;
	uint64_t sec = usec / USEC_PER_SEC, next;
	char tmp[FMT_DURATION_MAX], *p = tmp;
	size_t i;

	for (i = 0; i < last && sec < units[i].sec; i++)
		;
	p = put_u64(p, sec / units[i].sec);
	*p++ = units[i].unit;
	if (i < last) {
		next = sec % units[i].sec / units[i + 1].sec;
		if (next) {
			p = put_u64(p, next);
			*p++ = units[i + 1].unit;
		}
	}
	*p = '\0';
	if ((size_t)(p - tmp) < size)
		memcpy(buf, tmp, p - tmp + 1);
	else if (size)
		buf[0] = '\0';
	return buf;
}

const char *fmt_age(char *buf, size_t size, uint64_t now_usec,
		    uint64_t then_usec)
{
	char tmp[FMT_DURATION_MAX];
	size_t len;

	fmt_duration(tmp, sizeof(tmp), now_usec > then_usec ?
		     now_usec - then_usec : 0);
	len = strlen(tmp);
	if (len + sizeof(" ago") <= size) {
		memcpy(buf, tmp, len);
		memcpy(buf + len, " ago", sizeof(" ago"));
	} else if (size) {
		buf[0] = '\0';
	}
	return buf;
}

uint64_t hist_value(const struct hist_sample *s, enum hist_value which)
{
	switch (which) {
	case HIST_MIN:
		return s->min;
	case HIST_AVG:
		return s->avg;
	case HIST_LAST:
		return s->last;
	case HIST_MAX:
	default:
		return s->max;
	}
}

int hist_cmp_time(const void *a, const void *b)
{
	const struct hist_sample *x = a, *y = b;

	return x->time_usec < y->time_usec ? -1 : x->time_usec > y->time_usec;
}

void hist_merge(const struct hist_sample *s, size_t n, struct hist_sample *out)
{
	unsigned __int128 sum = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	*out = s[0];
	for (i = 0; i < n; i++) {
		if (s[i].min < out->min)
			out->min = s[i].min;
		if (s[i].max > out->max)
			out->max = s[i].max;
		sum += s[i].avg;
	}
	out->avg = (sum + n / 2) / n;
	out->last = s[n - 1].last;
}

uint64_t hist_step(const struct hist_sample *s, size_t n)
{
	uint64_t step = 0, d;
	size_t i;

	for (i = 1; i < n; i++) {
		if (s[i].time_usec <= s[i - 1].time_usec)
			continue;
		d = s[i].time_usec - s[i - 1].time_usec;
		if (!step || d < step)
			step = d;
	}
	return step;
}

/* Bucket-width slot of bucket @i, counted from the first bucket. */
static uint64_t slot_of(const struct hist_sample *s, size_t i, uint64_t step)
{
	if (!step)
		return i;
	if (s[i].time_usec <= s[0].time_usec)
		return 0;
	return (s[i].time_usec - s[0].time_usec) / step;
}

size_t hist_columns(const struct hist_sample *s, size_t n, uint64_t step_usec,
		    size_t width, struct hist_column *out, uint64_t *per_column)
{
	uint64_t k, col, last_slot;
	size_t i, start, ncols;

	*per_column = 1;
	if (!n)
		return 0;
	if (!width)
		width = 1;
	last_slot = slot_of(s, n - 1, step_usec);
	/* The fewest slots per column with last_slot / k < width. */
	k = last_slot / width + 1;
	ncols = last_slot / k + 1;
	memset(out, 0, ncols * sizeof(*out));
	for (start = 0, i = 1; i <= n; i++) {
		col = slot_of(s, start, step_usec) / k;
		if (i < n && slot_of(s, i, step_usec) / k == col)
			continue;
		if (col >= ncols)	/* only if not sorted by time */
			col = ncols - 1;
		out[col].n = i - start;
		hist_merge(s + start, i - start, &out[col].s);
		start = i;
	}
	*per_column = k;
	return ncols;
}

void hist_range(const struct hist_column *c, size_t n, enum hist_value which,
		uint64_t *lo, uint64_t *hi)
{
	bool any = false;
	uint64_t v;
	size_t i;

	*lo = *hi = 0;
	for (i = 0; i < n; i++) {
		if (!c[i].n)
			continue;
		v = hist_value(&c[i].s, which);
		if (!any || v < *lo)
			*lo = v;
		if (!any || v > *hi)
			*hi = v;
		any = true;
	}
}

unsigned int chart_height(uint64_t v, uint64_t lo, uint64_t hi,
			  unsigned int rows)
{
	unsigned int levels = (rows ? rows : 1) * 8;
	unsigned __int128 d;

	if (hi <= lo)
		return hi ? levels / 2 : 1;
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	d = hi - lo;
	return 1 + ((unsigned __int128)(v - lo) * (levels - 1) * 2 + d) / (2 * d);
}

const char *chart_row(char *buf, size_t size, const unsigned int *heights,
		      size_t n, unsigned int row)
{
	static const char *const blocks[8] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	unsigned int base = row * 8;
	char *p = buf;
	size_t i;

	if (size < 3 * n + 1) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	for (i = 0; i < n; i++) {
		if (heights[i] <= base)
			*p++ = ' ';
		else
			p = stpcpy(p, blocks[heights[i] - base >= 8 ?
					     7 : heights[i] - base - 1]);
	}
	*p = '\0';
	return buf;
}
