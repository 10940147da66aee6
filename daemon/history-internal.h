/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The layout of the history, private to history.c (arenas, record, query)
 * and history-file.c (save, load).  The file holds the record chains
 * themselves, so saving walks them and loading rebuilds them, and both
 * halves have to see the arenas; everyone else goes through history.h.
 * How the arenas and their chains work is described in history.c.
 */
#ifndef MEMTRACKD_HISTORY_INTERNAL_H
#define MEMTRACKD_HISTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

#define NO_REC UINT32_MAX
#define MAX_PATH_LEN 4096
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

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

/*
 * Inline: they run per byte of every path and file and per record in the
 * record, query and save loops, where a call across files would cost.
 */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= FNV_PRIME;
	}
	return h;
}

static inline bool rec_valid(const struct level *lv, uint32_t i,
			     uint32_t serial)
{
	return i < lv->cap && lv->rec[i].owner == serial;
}

/* The record before @i in its series' chain, or NO_REC. */
static inline uint32_t rec_prev(const struct level *lv, uint32_t i)
{
	uint32_t p = lv->rec[i].prev;

	if (rec_valid(lv, p, lv->rec[i].owner) &&
	    lv->rec[p].slot < lv->rec[i].slot)
		return p;
	return NO_REC;
}

static inline void level_append(struct level *lv, struct mtd_series *s,
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

/* 0 or -EINVAL: a config and a file header pass the same checks. */
int history_levels_check(const struct mtd_history_level *lv, unsigned int n);
/*
 * Free every series.  Their records stay in the arenas, but under serials
 * that are never handed out again, so no chain leads to them.
 */
void history_series_clear(struct mtd_history *h);

#endif
