/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded multi-resolution history of node totals.  Pure logic: no bus,
 * no kernel, no clock of its own (every call takes "now").
 *
 * A node's total is a step function of time, so a level stores a record
 * only for the slots in which the value changed; a slot without a record
 * repeats the last value before it.  Every level has one preallocated
 * arena of records shared by all series and recycled oldest-first, so the
 * memory is fixed by the config whatever the number of nodes: quiet
 * nodes keep their whole retention, busy ones lose their oldest slots
 * first.
 */
#ifndef MEMTRACKD_HISTORY_H
#define MEMTRACKD_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MTD_HISTORY_MAX_LEVELS 8

/**
 * struct mtd_history_level - one resolution
 * @step_sec: slot width, seconds (1 or more)
 * @retention_sec: how far back the level reaches, a multiple of step_sec
 */
struct mtd_history_level {
	uint32_t step_sec;
	uint32_t retention_sec;
};

/**
 * struct mtd_history_config - the shape of the history
 * @n_levels: 1..MTD_HISTORY_MAX_LEVELS, finest first, steps increasing
 * @level: the levels
 * @memory_max: bytes for all arenas together, split evenly between levels
 */
struct mtd_history_config {
	unsigned int n_levels;
	struct mtd_history_level level[MTD_HISTORY_MAX_LEVELS];
	uint64_t memory_max;
};

/**
 * struct mtd_sample - one point of a query result
 * @time_usec: start of the bucket, CLOCK_REALTIME microseconds
 * @min: lowest total in the bucket
 * @max: highest total in the bucket
 * @avg: time-weighted average over the part of the bucket that is known
 * @last: total at the end of the bucket (or now, for the current one)
 */
struct mtd_sample {
	uint64_t time_usec;
	uint64_t min;
	uint64_t max;
	uint64_t avg;
	uint64_t last;
};

struct mtd_history;
struct mtd_series;

/* The default levels: 1 s x 10 min, 10 s x 6 h, 1 min x 24 h, 15 min x 7 d. */
void mtd_history_config_default(struct mtd_history_config *cfg);

/* -EINVAL when the config is unusable (see struct mtd_history_config). */
int mtd_history_config_check(const struct mtd_history_config *cfg);

int mtd_history_new(const struct mtd_history_config *cfg,
		    struct mtd_history **out);
void mtd_history_free(struct mtd_history *h);

/*
 * The series of a node path, created when @create and missing.  Series
 * live as long as the history; a node that goes away keeps its series so
 * that a node with the same path later continues it.  NULL on -ENOMEM or
 * when missing and !@create.
 */
struct mtd_series *mtd_history_series(struct mtd_history *h, const char *path,
				      bool create);

/*
 * Drop a series and its history, for a node whose path can never come
 * back (one with a "#id" component).  Its arena records are recycled in
 * time like any others.
 */
void mtd_history_forget(struct mtd_history *h, struct mtd_series *s);

/*
 * Call @fn for every series, in no particular order.  @fn must not create
 * or forget series: collect them, then act.
 */
void mtd_history_foreach(struct mtd_history *h,
			 void (*fn)(struct mtd_series *s, void *priv),
			 void *priv);
const char *mtd_series_path(const struct mtd_series *s);
/* When the series last changed (CLOCK_REALTIME usec), 0 if never. */
uint64_t mtd_series_changed_usec(const struct mtd_series *s);

/* Record the node's total at @now_usec (CLOCK_REALTIME); times never go back. */
void mtd_series_record(struct mtd_history *h, struct mtd_series *s,
		       uint64_t now_usec, uint64_t value);

/*
 * Query [@since_usec, @now_usec] in buckets of @resolution_sec (0 = the
 * finest level that still covers @since_usec).  Picks the finest level
 * whose step is at most the resolution and that reaches back far enough,
 * and merges its slots into buckets aligned to multiples of the
 * resolution.  Buckets before the first known value are left out.
 * *out is malloc'ed (free() it); *n may be 0.  Returns 0 or -ENOMEM.
 */
int mtd_history_query(const struct mtd_history *h, const struct mtd_series *s,
		      uint64_t now_usec, uint64_t since_usec,
		      uint32_t resolution_sec, struct mtd_sample **out,
		      size_t *n);

/* Bytes allocated by the history (arenas and series), for status. */
size_t mtd_history_memory(const struct mtd_history *h);
size_t mtd_history_n_series(const struct mtd_history *h);

/*
 * Write every series to @file atomically (temp file in the same directory,
 * fsync, rename).  Returns 0 or a negative errno.
 */
int mtd_history_save(const struct mtd_history *h, const char *file);

/*
 * Restore series from @file into an empty history.  A missing file is
 * -ENOENT.  A corrupt, truncated or foreign file is -EBADMSG with a reason
 * in @err, and leaves @h empty; the caller reports it and goes on.
 * Records that the current config cannot hold (other steps, older than
 * the retention) are dropped.
 */
int mtd_history_load(struct mtd_history *h, const char *file, char *err,
		     size_t errlen);

#endif
