/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pure helpers of the subcommands that ask memtrackd (history, alerts):
 * timespans, ages, and laying a history out as a terminal chart.  No bus,
 * no terminal, no clock: shared with the unit test.
 */
#ifndef MEMTRACKCTL_SERIES_H
#define MEMTRACKCTL_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USEC_PER_SEC 1000000ULL

/* Room for any fmt_duration() or fmt_age() result. */
#define FMT_DURATION_MAX 48

/**
 * parse_timespan() - a span of time as people write it
 * @s: one or more groups of digits and a unit, without spaces: "30s",
 *	"10m", "1h30m", "2d"; units s/sec, m/min, h, d, w; a bare number
 *	is seconds
 * @usec: the span in microseconds
 *
 * Return: 0, -EINVAL (not a timespan) or -ERANGE (does not fit).
 */
int parse_timespan(const char *s, uint64_t *usec);

/**
 * fmt_duration() - a span of time for people, to the second (rounded down)
 *
 * The largest unit (d, h, m, s) and the next one when it is not zero:
 * "0s", "45s", "3m12s", "10m", "2h5m", "1d", "3d4h".
 *
 * Return: @buf (at least FMT_DURATION_MAX bytes).
 */
const char *fmt_duration(char *buf, size_t size, uint64_t usec);

/* fmt_duration() of @now_usec - @then_usec and " ago" ("0s ago" when
 * @then_usec is later). */
const char *fmt_age(char *buf, size_t size, uint64_t now_usec,
		    uint64_t then_usec);

/**
 * struct hist_sample - one bucket of a history, as GetHistory returns it
 * @time_usec: start of the bucket, CLOCK_REALTIME microseconds
 * @min: lowest total in the bucket
 * @max: highest total
 * @avg: time-weighted average
 * @last: total at the end of the bucket
 */
struct hist_sample {
	uint64_t time_usec;
	uint64_t min;
	uint64_t max;
	uint64_t avg;
	uint64_t last;
};

/* The value a chart shows of each column. */
enum hist_value {
	HIST_MAX,
	HIST_MIN,
	HIST_AVG,
	HIST_LAST,
};

uint64_t hist_value(const struct hist_sample *s, enum hist_value which);

/* qsort() comparator: oldest first. */
int hist_cmp_time(const void *a, const void *b);

/**
 * hist_merge() - adjacent buckets as one
 * @s: buckets, oldest first (@n >= 1)
 * @out: time of the first, lowest min, highest max, mean of the averages
 *	(rounded to nearest), last of the newest
 */
void hist_merge(const struct hist_sample *s, size_t n, struct hist_sample *out);

/* Bucket width of a history: the smallest gap between the times of
 * consecutive buckets, or 0 with fewer than two distinct times. */
uint64_t hist_step(const struct hist_sample *s, size_t n);

/**
 * struct hist_column - one column of a chart
 * @n: buckets merged into it; 0 for a gap in the history
 * @s: the merged bucket (see hist_merge()); zero for a gap
 */
struct hist_column {
	size_t n;
	struct hist_sample s;
};

/**
 * hist_columns() - lay a history out in at most @width columns
 * @s: buckets, oldest first
 * @n: their number
 * @step_usec: bucket width (see hist_step()); 0 places buckets by index
 * @width: most columns wanted (0 counts as 1)
 * @out: room for @width columns
 * @per_column: set to the number of bucket widths every column covers
 *
 * Every column covers the same time, @per_column bucket widths starting
 * at the first bucket; the fewest that fits in @width.  A column no bucket
 * falls into (a gap) has n == 0.
 *
 * Return: the number of columns used, 0 when @n is 0.
 */
size_t hist_columns(const struct hist_sample *s, size_t n, uint64_t step_usec,
		    size_t width, struct hist_column *out, uint64_t *per_column);

/* Lowest and highest @which value over the columns that are not gaps. */
void hist_range(const struct hist_column *c, size_t n, enum hist_value which,
		uint64_t *lo, uint64_t *hi);

/**
 * chart_height() - height of a bar in eighths of a row
 * @v: the value, clamped to [@lo, @hi]
 * @lo: value of the lowest bar (height 1)
 * @hi: value of the highest bar (height @rows * 8)
 * @rows: rows of the chart (1 for a sparkline)
 *
 * Scaled linearly, rounded to nearest.  When @lo == @hi every bar is half
 * the chart high, or 1 eighth when the value is 0.
 *
 * Return: 1 .. @rows * 8.
 */
unsigned int chart_height(uint64_t v, uint64_t lo, uint64_t hi,
			  unsigned int rows);

/**
 * chart_row() - one row of a bar chart as UTF-8 text
 * @buf: output; 3 bytes per bar and a NUL
 * @size: its size
 * @heights: bar heights in eighths of a row (0: no bar, a gap)
 * @n: number of bars
 * @row: the row, 0 at the bottom
 *
 * Every bar is one column: ' ' in the rows above the bar's top, a block
 * U+2581..U+2588 ("▁▂▃▄▅▆▇█") in the row its top falls in, '█' in the
 * rows below.
 *
 * Return: @buf; "" if @size is too small.
 */
const char *chart_row(char *buf, size_t size, const unsigned int *heights,
		      size_t n, unsigned int row);

#endif /* MEMTRACKCTL_SERIES_H */
