// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the history with an injected clock.  Every expected
 * number is worked out by hand in the comments, never asked of the
 * implementation.
 */
#define _GNU_SOURCE /* mkdtemp, memmem */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                         \
	do {                                                     \
		checks++;                                        \
		if (!(cond)) {                                   \
			failures++;                              \
			printf("not ok %d - ", checks);          \
			printf(__VA_ARGS__);                     \
			printf(" (%s:%d)\n", __FILE__, __LINE__); \
		} else {                                         \
			printf("ok %d - ", checks);              \
			printf(__VA_ARGS__);                     \
			printf("\n");                            \
		}                                                \
	} while (0)

/* A multiple of 3600 s, so every default slot starts on it. */
#define BASE 1699999200ULL
#define SEC(s) ((uint64_t)(s) * 1000000ULL)
#define MSEC(ms) ((uint64_t)(ms) * 1000ULL)
#define T(s) SEC(BASE + (s))
#define TMS(ms) (SEC(BASE) + MSEC(ms))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Level configs, { step_sec, retention_sec }. */
static const uint32_t one_level[][2] = { { 1, 600 } };
static const uint32_t two_levels[][2] = { { 1, 600 }, { 10, 3600 } };
static const uint32_t coarse_levels[][2] = { { 10, 600 }, { 60, 3600 } };
static const uint32_t other_levels[][2] = { { 1, 600 }, { 30, 3600 } };

static char tmpdir[256];

static struct mtd_history *hist(unsigned int n, const uint32_t lv[][2],
				uint64_t memory_max)
{
	struct mtd_history_config cfg;
	struct mtd_history *h;
	unsigned int i;

	mtd_history_config_default(&cfg);
	if (n) {
		cfg.n_levels = n;
		for (i = 0; i < n; i++) {
			cfg.level[i].step_sec = lv[i][0];
			cfg.level[i].retention_sec = lv[i][1];
		}
		cfg.memory_max = memory_max;
	}
	if (mtd_history_new(&cfg, &h)) {
		printf("Bail out! mtd_history_new\n");
		exit(1);
	}
	return h;
}

static struct mtd_series *series(struct mtd_history *h, const char *path)
{
	struct mtd_series *s = mtd_history_series(h, path, true);

	if (!s) {
		printf("Bail out! mtd_history_series %s\n", path);
		exit(1);
	}
	return s;
}

static size_t query(const struct mtd_history *h, const struct mtd_series *s,
		    uint64_t now, uint64_t since, uint32_t res,
		    struct mtd_sample **v)
{
	size_t n;

	free(*v);
	if (mtd_history_query(h, s, now, since, res, v, &n)) {
		printf("Bail out! mtd_history_query\n");
		exit(1);
	}
	return n;
}

/* One sample against its expected values; @t is seconds after BASE. */
static bool sample_is(const struct mtd_sample *v, size_t n, size_t i,
		      int64_t t, uint64_t min, uint64_t max, uint64_t avg,
		      uint64_t last)
{
	if (i >= n) {
		printf("# sample %zu of %zu: missing\n", i, n);
		return false;
	}
	v += i;
	if (v->time_usec == T(t) && v->min == min && v->max == max &&
	    v->avg == avg && v->last == last)
		return true;
	printf("# sample %zu: t=%+" PRId64 " %" PRIu64 "/%" PRIu64 "/%"
	       PRIu64 "/%" PRIu64 ", expected t=%+" PRId64 " %" PRIu64 "/%"
	       PRIu64 "/%" PRIu64 "/%" PRIu64 "\n", i,
	       (int64_t)(v->time_usec / 1000000) - (int64_t)BASE, v->min,
	       v->max, v->avg, v->last, t, min, max, avg, last);
	return false;
}

/* Samples @from..@to all the constant @val, one @step apart from @t. */
static bool run_is(const struct mtd_sample *v, size_t n, size_t from,
		   size_t to, int64_t t, int64_t step, uint64_t val)
{
	size_t i;

	for (i = from; i <= to; i++)
		if (!sample_is(v, n, i, t + (int64_t)(i - from) * step, val,
			       val, val, val))
			return false;
	return true;
}

static void test_config(void)
{
	struct mtd_history_config def, c;
	struct mtd_history *h;

	mtd_history_config_default(&def);
	CHECK(def.n_levels == 4 && def.level[0].step_sec == 1 &&
	      def.level[0].retention_sec == 600 &&
	      def.level[1].step_sec == 10 &&
	      def.level[1].retention_sec == 21600 &&
	      def.level[2].step_sec == 60 &&
	      def.level[2].retention_sec == 86400 &&
	      def.level[3].step_sec == 900 &&
	      def.level[3].retention_sec == 604800 &&
	      def.memory_max == 16 << 20, "config: default levels and memory");
	CHECK(mtd_history_config_check(&def) == 0, "config: default is valid");

	c = def;
	c.n_levels = 0;
	CHECK(mtd_history_config_check(&c) == -EINVAL, "config: no level");
	c = def;
	c.n_levels = MTD_HISTORY_MAX_LEVELS + 1;
	CHECK(mtd_history_config_check(&c) == -EINVAL, "config: 9 levels");
	c = def;
	c.level[0].step_sec = 0;
	CHECK(mtd_history_config_check(&c) == -EINVAL, "config: step 0");
	c = def;
	c.level[1].retention_sec = 0;
	CHECK(mtd_history_config_check(&c) == -EINVAL, "config: retention 0");
	c = def;
	c.level[1].retention_sec = 25;
	CHECK(mtd_history_config_check(&c) == -EINVAL,
	      "config: retention not a multiple of step");
	c = def;
	c.level[2].step_sec = 10;
	c.level[2].retention_sec = 100;
	CHECK(mtd_history_config_check(&c) == -EINVAL,
	      "config: same step twice");
	c = def;
	c.level[1].step_sec = 2000;
	c.level[1].retention_sec = 4000;
	CHECK(mtd_history_config_check(&c) == -EINVAL,
	      "config: steps not increasing");
	c = def;
	c.level[3].retention_sec = 900 * ((1 << 20) + 1);
	CHECK(mtd_history_config_check(&c) == -EINVAL,
	      "config: more than 2^20 slots in a level");
	/* 64 records of 48 bytes per level, 4 levels: 12288 bytes. */
	c = def;
	c.memory_max = 12287;
	CHECK(mtd_history_config_check(&c) == -EINVAL,
	      "config: memory for less than 64 records per level");
	CHECK(mtd_history_new(&c, &h) == -EINVAL && !h,
	      "config: mtd_history_new refuses it");
	c.memory_max = 12288;
	CHECK(mtd_history_config_check(&c) == 0,
	      "config: memory for exactly 64 records per level");
	c.n_levels = 1;
	c.memory_max = 3072;
	CHECK(mtd_history_config_check(&c) == 0, "config: one level");
}

static void test_series(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_sample *v = NULL;
	struct mtd_series *s, *t;
	size_t size;

	CHECK(!mtd_history_series(h, "/a", false) &&
	      mtd_history_n_series(h) == 0, "series: missing, not created");
	s = series(h, "/a");
	CHECK(mtd_history_series(h, "/a", true) == s &&
	      mtd_history_series(h, "/a", false) == s &&
	      mtd_history_n_series(h) == 1, "series: found again by path");
	CHECK(query(h, s, T(10), T(0), 0, &v) == 0,
	      "series: no value, no sample");
	mtd_series_record(h, s, T(0), 5);
	CHECK(query(h, s, T(10), T(11), 0, &v) == 0,
	      "series: since after now, no sample");
	free(v);
	v = NULL;

	/* Forgetting one series leaves the others and their records alone. */
	t = series(h, "/b/#7");
	mtd_series_record(h, t, T(1), 9);
	size = mtd_history_memory(h);
	mtd_history_forget(h, t);
	CHECK(!mtd_history_series(h, "/b/#7", false) &&
	      mtd_history_n_series(h) == 1 &&
	      mtd_history_memory(h) == size - (80 + strlen("/b/#7") + 1),
	      "series: forgotten, its bytes given back");
	CHECK(query(h, s, T(3), T(0), 1, &v) == 4 && v[0].last == 5 &&
	      v[3].last == 5, "series: the other one still answers");
	free(v);
	mtd_history_free(h);
}

static void count_series(struct mtd_series *s, void *priv)
{
	char *seen = priv;

	strcat(seen, mtd_series_path(s));
	if (mtd_series_changed_usec(s) == T(4))
		strcat(seen, "=4 ");
	else
		strcat(seen, mtd_series_changed_usec(s) ? "=? " : "=0 ");
}

static void test_foreach(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	char seen[1024] = "";
	struct mtd_series *s;
	int i;

	/* More than the 64 first buckets: the table grows on the way. */
	for (i = 0; i < 100; i++) {
		char path[16];

		snprintf(path, sizeof(path), "p%d", i);
		series(h, path);
	}
	s = series(h, "x");
	mtd_series_record(h, s, T(2), 1);
	mtd_series_record(h, s, T(4), 2);
	mtd_series_record(h, series(h, "p7"), T(4), 3);
	mtd_history_foreach(h, count_series, seen);
	/* Paths: 10 of 2 bytes, 90 of 3, "x"; each then "=N ". */
	CHECK(strlen(seen) == 10 * 2 + 90 * 3 + 1 + 101 * 3 &&
		      strstr(seen, "x=4 ") && strstr(seen, "p7=4 ") &&
		      strstr(seen, "p99=0 ") && !strstr(seen, "=?"),
	      "foreach: each of the 101 series once, with its last change");
	mtd_history_free(h);
}

static void test_constant(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_series *s = series(h, "/const");
	struct mtd_series *f = series(h, "/late");
	struct mtd_sample *v = NULL;
	size_t n;
	int t;

	for (t = 0; t <= 30; t++)
		mtd_series_record(h, s, T(t), 1000);
	/* 31 slots of 1 s, the last one half over. */
	n = query(h, s, TMS(30500), T(0), 0, &v);
	CHECK(n == 31 && run_is(v, n, 0, 30, 0, 1, 1000),
	      "constant: 31 one-second samples of 1000");
	n = query(h, s, TMS(30500), T(0), 10, &v);
	CHECK(n == 4 && run_is(v, n, 0, 3, 0, 10, 1000),
	      "constant: 4 ten-second samples of 1000");

	/*
	 * First value 400 at 0.25 s, then 800 at 0.75 s.  Slot 0 is known
	 * from 0.25 s: 400 for 500 ms, 800 for 250 ms: 400000 / 750 = 533.3.
	 */
	mtd_series_record(h, f, TMS(250), 400);
	mtd_series_record(h, f, TMS(750), 800);
	n = query(h, f, TMS(1500), T(0), 0, &v);
	CHECK(n == 2 && sample_is(v, n, 0, 0, 400, 800, 533, 800) &&
	      sample_is(v, n, 1, 1, 800, 800, 800, 800),
	      "constant: first value mid-slot, avg over the known part");
	free(v);
	mtd_history_free(h);
}

static void test_step_change(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_series *s = series(h, "/step");
	struct mtd_sample *v = NULL;
	size_t n;

	mtd_series_record(h, s, T(0), 100);
	mtd_series_record(h, s, TMS(10250), 300);
	mtd_series_record(h, s, TMS(10750), 200);
	/*
	 * Slot 10: 100 for 250 ms, 300 for 500 ms, 200 for 250 ms:
	 * 25000 + 150000 + 50000 = 225000 over 1000 ms, avg 225.
	 */
	n = query(h, s, TMS(12500), T(10), 1, &v);
	CHECK(n == 3 && sample_is(v, n, 0, 10, 100, 300, 225, 200) &&
	      sample_is(v, n, 1, 11, 200, 200, 200, 200) &&
	      sample_is(v, n, 2, 12, 200, 200, 200, 200),
	      "step: change mid-slot, exact avg, min, max, last");
	/*
	 * In 10 s buckets: 0-9 all 100; 10-12.5: 225000 + 200000 +
	 * 200 x 500 = 525000 over 2500 ms, avg 210.
	 */
	n = query(h, s, TMS(12500), T(0), 10, &v);
	CHECK(n == 2 && sample_is(v, n, 0, 0, 100, 100, 100, 100) &&
	      sample_is(v, n, 1, 10, 100, 300, 210, 200),
	      "step: the same in 10 s buckets");
	free(v);
	mtd_history_free(h);
}

static void test_downsample(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_series *s = series(h, "/ramp");
	struct mtd_sample *v = NULL;
	size_t n;
	int t;

	/* 10 x t from t = 0 to 19; each slot starts at the value before. */
	for (t = 0; t < 20; t++)
		mtd_series_record(h, s, T(t), 10 * t);
	/*
	 * Bucket 0: min 0 (first), max 90, avg (0 + ... + 90) / 10 = 45.
	 * Bucket 10: min 90 (start of slot 10), max 190, avg 145.
	 * Bucket 20: 0 ms of it so far, the current value.
	 */
	n = query(h, s, T(20), T(0), 10, &v);
	CHECK(n == 3 && sample_is(v, n, 0, 0, 0, 90, 45, 90) &&
	      sample_is(v, n, 1, 10, 90, 190, 145, 190) &&
	      sample_is(v, n, 2, 20, 190, 190, 190, 190),
	      "downsample: 1 s slots into 10 s buckets");
	/* Bucket 5: min 40, max 90, avg (50 + ... + 90) / 5 = 70. */
	n = query(h, s, T(20), T(0), 5, &v);
	CHECK(n == 5 && sample_is(v, n, 0, 0, 0, 40, 20, 40) &&
	      sample_is(v, n, 1, 5, 40, 90, 70, 90) &&
	      sample_is(v, n, 3, 15, 140, 190, 170, 190),
	      "downsample: 1 s slots into 5 s buckets");
	free(v);
	mtd_history_free(h);
}

static void test_level_choice(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_series *s = series(h, "/flip");
	struct mtd_sample *v = NULL;
	size_t n, i;
	bool ok;
	int t;

	/* 100 on even seconds, 200 on odd ones, for two hours. */
	for (t = 0; t < 7200; t++)
		mtd_series_record(h, s, T(t), t % 2 ? 200 : 100);

	/* Inside the 10 min of the 1 s level: 1 s samples. */
	n = query(h, s, T(7200), T(6900), 0, &v);
	CHECK(n == 301 && sample_is(v, n, 0, 6900, 100, 200, 100, 100) &&
	      sample_is(v, n, 1, 6901, 100, 200, 200, 200) &&
	      sample_is(v, n, 300, 7200, 200, 200, 200, 200),
	      "levels: last 5 min from the 1 s level");

	/*
	 * An hour back is past the 1 s level: 10 s slots, each half 100
	 * and half 200, starting at 100 after a 200.
	 */
	n = query(h, s, T(7200), T(3600), 0, &v);
	for (ok = n == 361, i = 0; ok && i < 360; i++)
		ok = sample_is(v, n, i, 3600 + 10 * (int64_t)i, 100, 200, 150,
			       200);
	CHECK(ok && sample_is(v, n, 360, 7200, 200, 200, 200, 200),
	      "levels: last hour from the 10 s level");

	/* 60 s buckets out of the 10 s level, not the 1 min one. */
	n = query(h, s, T(7200), T(3600), 60, &v);
	for (ok = n == 61, i = 0; ok && i < 60; i++)
		ok = sample_is(v, n, i, 3600 + 60 * (int64_t)i, 100, 200, 150,
			       200);
	CHECK(ok, "levels: 60 s resolution over the last hour");

	/*
	 * 12 h back is past the 10 s level's 6 h, but the series began 2 h
	 * ago and its 10 s chain is whole: 721 slots from the first value.
	 */
	n = query(h, s, T(7200), T(7200 - 43200), 0, &v);
	for (ok = n == 721, i = 0; ok && i < 720; i++)
		ok = sample_is(v, n, i, 10 * (int64_t)i, 100, 200, 150, 200);
	CHECK(ok, "levels: 10 s level, its chain reaches the first value");

	/* A resolution finer than any level: the finest one. */
	mtd_history_free(h);
	h = hist(2, coarse_levels, 12288);
	s = series(h, "/coarse");
	mtd_series_record(h, s, T(0), 7);
	n = query(h, s, TMS(25000), T(0), 1, &v);
	CHECK(n == 3 && run_is(v, n, 0, 2, 0, 10, 7),
	      "levels: resolution 1 s on a 10 s level gives 10 s samples");
	free(v);
	mtd_history_free(h);
}

static void test_gaps(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_series *s = series(h, "/gap");
	struct mtd_series *g = series(h, "/long-gap");
	struct mtd_sample *v = NULL;
	size_t n;

	/* Slot 3: 5 for 500 ms, 7 for 500 ms: avg 6. */
	mtd_series_record(h, s, T(0), 5);
	mtd_series_record(h, s, TMS(3500), 7);
	n = query(h, s, TMS(8500), T(0), 1, &v);
	CHECK(n == 9 && run_is(v, n, 0, 2, 0, 1, 5) &&
	      sample_is(v, n, 3, 3, 5, 7, 6, 7) && run_is(v, n, 4, 8, 4, 1, 7),
	      "gaps: slots without a record repeat the value before");

	/* The record before the gap is older than the 10 min retention. */
	mtd_series_record(h, g, T(0), 5);
	mtd_series_record(h, g, T(4000), 9);
	n = query(h, g, TMS(4001500), T(3990), 1, &v);
	CHECK(n == 12 && run_is(v, n, 0, 9, 3990, 1, 5) &&
	      sample_is(v, n, 10, 4000, 5, 9, 9, 9) &&
	      sample_is(v, n, 11, 4001, 9, 9, 9, 9),
	      "gaps: value from a record past the retention");
	free(v);
	mtd_history_free(h);
}

/*
 * Two levels of 128 records each.  "/quiet" records once at 0; ten busy
 * series record value 1000 k + 2 t every second from 0 to 200.
 *
 * 1 s level: 11 records at t = 0, 10 a second after: 2011.  The last 128
 * are t = 189..200 (120) and busy 2..9 at t = 188.
 * 10 s level: 11 records in slot 0, 10 in each of slots 1..20: 211.  The
 * last 128 are slots 9..20 and busy 2..9 in slot 8.
 */
static struct mtd_history *busy_history(void)
{
	struct mtd_history *h;
	char path[24];
	int t, k;

	h = hist(2, two_levels, 2 * 128 * 48);
	mtd_series_record(h, series(h, "/quiet"), T(0), 777);
	for (t = 0; t <= 200; t++) {
		for (k = 0; k < 10; k++) {
			snprintf(path, sizeof(path), "/busy%d", k);
			mtd_series_record(h, series(h, path), T(t),
					  1000 * k + 2 * t);
		}
	}
	return h;
}

static void check_busy(const struct mtd_history *h, const char *what)
{
	struct mtd_series *q, *b0, *b9;
	struct mtd_sample *v = NULL;
	size_t n, i;
	bool ok;

	q = mtd_history_series((struct mtd_history *)h, "/quiet", false);
	b0 = mtd_history_series((struct mtd_history *)h, "/busy0", false);
	b9 = mtd_history_series((struct mtd_history *)h, "/busy9", false);
	if (!q || !b0 || !b9) {
		CHECK(false, "%s: series missing", what);
		return;
	}
	n = query(h, q, TMS(200500), T(100), 0, &v);
	CHECK(n == 101 && run_is(v, n, 0, 100, 100, 1, 777),
	      "%s: quiet series, records recycled, still 777 each second",
	      what);
	n = query(h, q, TMS(200500), T(0), 10, &v);
	CHECK(n == 21 && run_is(v, n, 0, 20, 0, 10, 777),
	      "%s: quiet series, 777 in 10 s buckets too", what);

	/* busy0 kept t = 189..200 at 1 s: slot 189 went 376 -> 378. */
	n = query(h, b0, TMS(200500), T(0), 1, &v);
	CHECK(n == 12 && sample_is(v, n, 0, 189, 376, 378, 378, 378) &&
	      sample_is(v, n, 11, 200, 398, 400, 400, 400),
	      "%s: busy series lost its oldest 1 s slots", what);

	/*
	 * Since 100 the 1 s level starts too late (188), the 10 s level
	 * has it: slot m went from 9000 + 20 m - 2 to 9000 + 20 m + 18 in
	 * 2-steps each second, avg 9000 + 20 m + 9.  Slot 20 is 500 ms of
	 * 9400.
	 */
	n = query(h, b9, TMS(200500), T(100), 0, &v);
	for (ok = n == 11, i = 0; ok && i < 10; i++) {
		uint64_t m = 10 + i;

		ok = sample_is(v, n, i, (int64_t)(10 * m), 9000 + 20 * m - 2,
			       9000 + 20 * m + 18, 9000 + 20 * m + 9,
			       9000 + 20 * m + 18);
	}
	CHECK(ok && sample_is(v, n, 10, 200, 9398, 9400, 9400, 9400),
	      "%s: busy series from the coarser level", what);
	free(v);
}

static void test_recycling(void)
{
	struct mtd_history *h = busy_history();

	check_busy(h, "recycle");
	mtd_history_free(h);
}

static void test_recycled_links(void)
{
	struct mtd_sample *v = NULL;
	struct mtd_history *h;
	struct mtd_series *a, *b;
	size_t n, i;
	bool ok;
	int t;

	/*
	 * 64 records.  10 t for t = 0..99: t = 36..99 survive, and the link
	 * of t = 36 names the index that t = 99 took over.
	 */
	h = hist(1, one_level, 64 * 48);
	a = series(h, "/self");
	for (t = 0; t < 100; t++)
		mtd_series_record(h, a, T(t), 10 * t);
	n = query(h, a, TMS(99500), T(0), 1, &v);
	for (ok = n == 64, i = 0; ok && i < 64; i++)
		ok = sample_is(v, n, i, 36 + (int64_t)i, 10 * (35 + i),
			       10 * (36 + i), 10 * (36 + i), 10 * (36 + i));
	CHECK(ok, "links: a link into the series' own newer record ends it");
	mtd_history_free(h);

	/*
	 * A takes indices 0..9 (t = 100..109, value t), then B 10..63 and
	 * 0..5 (t = 10..69).  Each series' clock goes forward but B's is
	 * behind A's, so the link from A's t = 106 names B's t = 69, an
	 * older slot: only the owner tells it apart.
	 */
	h = hist(1, one_level, 64 * 48);
	a = series(h, "/a");
	b = series(h, "/b");
	for (t = 100; t < 110; t++)
		mtd_series_record(h, a, T(t), t);
	for (t = 10; t < 70; t++)
		mtd_series_record(h, b, T(t), 1000000 + t);
	n = query(h, a, TMS(109500), T(0), 1, &v);
	CHECK(n == 4 && sample_is(v, n, 0, 106, 105, 106, 106, 106) &&
	      sample_is(v, n, 3, 109, 108, 109, 109, 109),
	      "links: a link into another series' record is not followed");
	n = query(h, b, TMS(69500), T(0), 1, &v);
	CHECK(n == 60 && sample_is(v, n, 0, 10, 1000010, 1000010, 1000010,
				   1000010) &&
	      sample_is(v, n, 59, 69, 1000068, 1000069, 1000069, 1000069),
	      "links: the other series is whole");
	mtd_history_free(h);

	/*
	 * An unchanged value takes no record: 777 every second for 100 s
	 * in 64 records is still one record, whole back to its first value.
	 */
	h = hist(1, one_level, 64 * 48);
	a = series(h, "/same");
	for (t = 0; t < 100; t++)
		mtd_series_record(h, a, T(t), 777);
	n = query(h, a, TMS(99500), T(0), 1, &v);
	CHECK(n == 100 && run_is(v, n, 0, 99, 0, 1, 777),
	      "links: a value recorded again unchanged takes no record");
	free(v);
	mtd_history_free(h);
}

static char *tmp_path(const char *name)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		printf("Bail out! writing %s\n", path);
		exit(1);
	}
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	uint8_t *p = malloc(1 << 24);

	if (!f || !p) {
		printf("Bail out! reading %s\n", path);
		exit(1);
	}
	*len = fread(p, 1, 1 << 24, f);
	fclose(f);
	return p;
}

static int dir_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Both answer every query of every path alike. */
static bool same(const struct mtd_history *x, const struct mtd_history *y,
		 const char *const *paths, uint64_t now)
{
	static const uint32_t res[] = { 0, 1, 5, 10, 60, 900, 3600 };
	static const uint64_t back[] = { 0, 10, 300, 900, 3600, 7300, 86400 };
	struct mtd_sample *a = NULL, *b = NULL;
	const struct mtd_series *sx, *sy;
	size_t na, nb, i, j;
	bool ok = true;

	for (; ok && *paths; paths++) {
		sx = mtd_history_series((struct mtd_history *)x, *paths, false);
		sy = mtd_history_series((struct mtd_history *)y, *paths, false);
		if (!sx || !sy) {
			printf("# %s missing\n", *paths);
			return false;
		}
		for (i = 0; ok && i < ARRAY_SIZE(res); i++) {
			for (j = 0; ok && j < ARRAY_SIZE(back); j++) {
				na = query(x, sx, now, now - SEC(back[j]),
					   res[i], &a);
				nb = query(y, sy, now, now - SEC(back[j]),
					   res[i], &b);
				ok = na == nb && (!na ||
					!memcmp(a, b, na * sizeof(*a)));
				if (!ok)
					printf("# %s res %u back %" PRIu64
					       ": %zu vs %zu samples\n",
					       *paths, res[i], back[j], na, nb);
			}
		}
	}
	free(a);
	free(b);
	return ok;
}

static void test_save_load(void)
{
	static const char *const paths[] = { "/flip", "/const", "/step",
		"/rare", "/d/a path with spaces and \xc3\xa9", NULL };
	static const char *const busy[] = { "/quiet", "/busy0", "/busy5",
		"/busy9", NULL };
	const char *file = tmp_path("history");
	struct mtd_history *x = hist(0, NULL, 0), *y = hist(0, NULL, 0);
	struct mtd_series *flip = series(x, "/flip");
	char err[256];
	int t, r;

	for (t = 0; t < 7200; t++)
		mtd_series_record(x, flip, T(t), t % 2 ? 200 : 100);
	mtd_series_record(x, series(x, "/const"), T(5), 42);
	mtd_series_record(x, series(x, "/step"), T(7000), 1);
	mtd_series_record(x, series(x, "/step"), TMS(7100300), 3);
	mtd_series_record(x, series(x, "/step"), TMS(7100900), 2);
	mtd_series_record(x, series(x, paths[4]), TMS(7199999), 1ULL << 40);
	/* Its 1 s record of t = 100, past the retention, holds the value. */
	mtd_series_record(x, series(x, "/rare"), T(100), 8);
	mtd_series_record(x, series(x, "/rare"), T(7000), 9);
	series(x, "/no-value");

	CHECK(mtd_history_save(x, file) == 0 && dir_entries() == 1,
	      "save: written, no temp file left");
	r = mtd_history_load(y, file, err, sizeof(err));
	CHECK(r == 0 && mtd_history_n_series(y) == 6 &&
	      mtd_history_series(y, "/no-value", false),
	      "load: 6 series back (r=%d %s)", r, err);
	CHECK(same(x, y, paths, T(7200)) && same(x, y, paths, T(7500)),
	      "load: same answers to every query");
	CHECK(mtd_history_memory(x) == mtd_history_memory(y),
	      "load: same memory");
	mtd_series_record(x, flip, T(7201), 5);
	mtd_series_record(y, mtd_history_series(y, "/flip", false), T(7201), 5);
	CHECK(same(x, y, paths, T(7202)),
	      "load: the chains go on after a new record");
	CHECK(mtd_history_load(y, file, err, sizeof(err)) == -EBUSY,
	      "load: refused into a history that has series");
	mtd_history_free(y);

	/* Another config: the 10 s, 1 min and 15 min records go. */
	y = hist(2, other_levels, 2 * 1000 * 48);
	r = mtd_history_load(y, file, err, sizeof(err));
	CHECK(r == 0 && mtd_history_n_series(y) == 6,
	      "load: into other levels (r=%d %s)", r, err);
	{
		struct mtd_sample *a = NULL, *b = NULL;
		size_t na, nb;

		na = query(x, flip, T(7200), T(6900), 1, &a);
		nb = query(y, mtd_history_series(y, "/flip", false), T(7200),
			   T(6900), 1, &b);
		CHECK(na == 301 && na == nb && !memcmp(a, b, na * sizeof(*a)),
		      "load: the 1 s level is kept");
		free(a);
		free(b);
	}
	mtd_history_free(x);
	mtd_history_free(y);

	/* Recycled arenas come back with the same contents. */
	x = busy_history();
	y = hist(2, two_levels, 2 * 128 * 48);
	r = mtd_history_save(x, file);
	if (!r)
		r = mtd_history_load(y, file, err, sizeof(err));
	CHECK(r == 0 && same(x, y, busy, TMS(200500)),
	      "load: recycled arenas give the same answers (r=%d)", r);
	check_busy(y, "reload");
	mtd_history_free(x);
	mtd_history_free(y);
	unlink(file);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static bool load_fails(struct mtd_history *h, const char *file,
		       const void *p, size_t len, const char *reason)
{
	char err[256] = "";
	int r;

	write_file(file, p, len);
	r = mtd_history_load(h, file, err, sizeof(err));
	if (r == -EBADMSG && mtd_history_n_series(h) == 0 && err[0] &&
	    (!reason || strstr(err, reason)))
		return true;
	printf("# %zu bytes: r=%d, %zu series, \"%s\"\n", len, r,
	       mtd_history_n_series(h), err);
	return false;
}

static void test_corrupt(void)
{
	const char *file = tmp_path("good"), *bad = tmp_path("bad");
	struct mtd_history *x = hist(0, NULL, 0), *y = hist(0, NULL, 0);
	static const char *const paths[] = { "/x", "/y", NULL };
	uint8_t *good, *p, *at;
	size_t len, i, n_bad;
	char err[256];

	mtd_series_record(x, series(x, "/x"), T(0), 10);
	mtd_series_record(x, series(x, "/x"), TMS(1500), 20);
	mtd_series_record(x, series(x, "/y"), T(3), 30);
	if (mtd_history_save(x, file)) {
		printf("Bail out! save\n");
		exit(1);
	}
	good = read_file(file, &len);
	p = malloc(len + 1);

	for (n_bad = 0, i = 0; i < len; i++)
		n_bad += !load_fails(y, bad, good, i, "truncated");
	CHECK(n_bad == 0, "corrupt: all %zu truncations refused, history empty",
	      len);

	for (n_bad = 0, i = 0; i < len; i++) {
		memcpy(p, good, len);
		p[i] ^= 0xff;
		n_bad += !load_fails(y, bad, p, len, NULL);
		p[i] ^= 0xfe;
		n_bad += !load_fails(y, bad, p, len, NULL);
	}
	CHECK(n_bad == 0, "corrupt: all %zu byte flips refused, history empty",
	      2 * len);

	memcpy(p, good, len);
	p[0] ^= 1;
	CHECK(load_fails(y, bad, p, len, "bad magic"), "corrupt: bad magic");
	memcpy(p, good, len);
	p[len - 1] ^= 1;
	CHECK(load_fails(y, bad, p, len, "checksum mismatch"),
	      "corrupt: checksum mismatch");
	memcpy(p, good, len);
	p[len] = 0;
	CHECK(load_fails(y, bad, p, len + 1, "trailing garbage"),
	      "corrupt: a byte too many");

	/* A good checksum over bad contents: the same path twice. */
	memcpy(p, good, len);
	at = memmem(p, len, "/y", 2);
	if (at)
		at[1] = 'x';
	for (i = 0; i < 8; i++)
		p[len - 8 + i] = (uint8_t)(fnv1a(p, len - 8) >> (8 * i));
	CHECK(at && load_fails(y, bad, p, len, "twice"),
	      "corrupt: checksummed file with one path twice");

	CHECK(mtd_history_load(y, tmp_path("missing"), err, sizeof(err)) ==
	      -ENOENT && mtd_history_n_series(y) == 0,
	      "corrupt: a missing file is -ENOENT");
	CHECK(mtd_history_load(y, file, err, sizeof(err)) == 0 &&
	      same(x, y, paths, T(10)),
	      "corrupt: the good file still loads after all that");
	free(good);
	free(p);
	unlink(file);
	unlink(bad);
	mtd_history_free(x);
	mtd_history_free(y);
}

static void test_memory(void)
{
	struct mtd_history *h = hist(0, NULL, 0);
	struct mtd_series **s = calloc(10000, sizeof(*s));
	char path[32];
	size_t before;
	int i, t;

	for (i = 0; i < 10000; i++) {
		snprintf(path, sizeof(path), "/node/%d", i);
		s[i] = series(h, path);
	}
	before = mtd_history_memory(h);
	for (t = 0; t < 120; t++)
		for (i = 0; i < 10000; i++)
			mtd_series_record(h, s[i], T(t), (uint64_t)(i + t));
	CHECK(mtd_history_memory(h) == before &&
	      before < (16 << 20) + 10000 * 256,
	      "memory: 10000 series x 120 s stay at %zu bytes", before);
	free(s);
	mtd_history_free(h);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/test-history.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_config();
	test_series();
	test_foreach();
	test_constant();
	test_step_change();
	test_downsample();
	test_level_choice();
	test_gaps();
	test_recycling();
	test_recycled_links();
	test_save_load();
	test_corrupt();
	test_memory();
	rmdir(tmpdir);
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
