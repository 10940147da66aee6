// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit test of memtrackctl's pure printing code (cli/print.c): units,
 * percentages, number parsing, JSON string escaping and the one print path
 * for text and JSON; and of the pure parts of history and alerts
 * (cli/series.c): timespans, ages, bucket merging and chart scaling.
 * Output: TAP.  Meant to run under ASan and UBSan.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "series.h"

static int n_tests, n_failed;

static void check_str(const char *got, const char *want, const char *what)
{
	n_tests++;
	if (!strcmp(got, want)) {
		printf("ok %d - %s\n", n_tests, what);
		return;
	}
	n_failed++;
	printf("not ok %d - %s\n#   got:  '%s'\n#   want: '%s'\n", n_tests, what,
	       got, want);
}

static void check(int cond, const char *what)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_tests, what);
}

/* ---- output capture ----------------------------------------------------- */

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f) {
		perror("open_memstream");
		exit(2);
	}
	return c->f;
}

/* Close and return the text; free it with free(). */
static char *cap_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static void check_escape(const char *in, const char *want, const char *what)
{
	struct capture c;
	char *got;

	json_write_string(cap_open(&c), in);
	got = cap_close(&c);
	check_str(got, want, what);
	free(got);
}

static void test_units(void)
{
	char b[FMT_BYTES_MAX];

	check_str(fmt_bytes(b, sizeof(b), 0, false), "0 B", "0 bytes");
	check_str(fmt_bytes(b, sizeof(b), 1023, false), "1023 B", "1023 bytes");
	check_str(fmt_bytes(b, sizeof(b), 1024, false), "1.0 KiB", "1 KiB");
	check_str(fmt_bytes(b, sizeof(b), 1536, false), "1.5 KiB", "1.5 KiB");
	check_str(fmt_bytes(b, sizeof(b), 1075, false), "1.0 KiB", "1.05 KiB rounds down");
	check_str(fmt_bytes(b, sizeof(b), 1076, false), "1.1 KiB", "1.0508 KiB rounds up");
	check_str(fmt_bytes(b, sizeof(b), 1048524, false), "1023.9 KiB",
		  "just below the 1023.95 KiB rounding edge");
	check_str(fmt_bytes(b, sizeof(b), 1048525, false), "1.0 MiB",
		  "1023.95 KiB becomes 1.0 MiB, not 1024.0 KiB");
	check_str(fmt_bytes(b, sizeof(b), 16ULL << 20, false), "16.0 MiB", "16 MiB");
	check_str(fmt_bytes(b, sizeof(b), 3ULL << 30 | 512ULL << 20, false),
		  "3.5 GiB", "3.5 GiB");
	check_str(fmt_bytes(b, sizeof(b), 5ULL << 40, false), "5.0 TiB", "5 TiB");
	check_str(fmt_bytes(b, sizeof(b), UINT64_MAX, false), "16.0 EiB",
		  "UINT64_MAX, no overflow");
	check_str(fmt_bytes(b, sizeof(b), UINT64_MAX, true),
		  "18446744073709551615", "UINT64_MAX exact");
	check_str(fmt_bytes(b, sizeof(b), 1536, true), "1536", "exact bytes");

	check_str(fmt_percent(b, sizeof(b), 2, 3), "66.7%", "2/3");
	check_str(fmt_percent(b, sizeof(b), 1, 1), "100.0%", "1/1");
	check_str(fmt_percent(b, sizeof(b), 0, 5), "0.0%", "0/5");
	check_str(fmt_percent(b, sizeof(b), 5, 0), "-", "x/0");
	check_str(fmt_percent(b, sizeof(b), UINT64_MAX, UINT64_MAX), "100.0%",
		  "no overflow in percentages");
}

static void test_parse(void)
{
	uint64_t v = 0;

	check(!parse_u64("12", &v) && v == 12, "parse 12");
	check(!parse_u64("18446744073709551615", &v) && v == UINT64_MAX,
	      "parse UINT64_MAX");
	check(parse_u64("18446744073709551616", &v) == -ERANGE, "overflow is ERANGE");
	check(parse_u64("", &v) == -EINVAL, "empty is not a number");
	check(parse_u64("-1", &v) == -EINVAL, "negative is not a number");
	check(parse_u64(" 1", &v) == -EINVAL, "leading space is not a number");
	check(parse_u64("12a", &v) == -EINVAL, "trailing junk is not a number");
	check(parse_u64("vpu0", &v) == -EINVAL, "a name is not a number");
	check(parse_u64(NULL, &v) == -EINVAL, "NULL is not a number");

	check(utf8_width("abc") == 3, "width of ASCII");
	check(utf8_width("\u251c\u2500 x") == 4, "width of box drawing");
	check(utf8_width("") == 0, "width of empty");
}

static void test_escape(void)
{
	check_escape("vpu0", "\"vpu0\"", "plain string");
	check_escape("", "\"\"", "empty string");
	check_escape("a\"b\\c", "\"a\\\"b\\\\c\"", "quote and backslash");
	check_escape("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "short escapes");
	check_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"", "control characters");
	check_escape("/", "\"/\"", "slash left alone");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		     "valid UTF-8 passes through");
	check_escape("a\xff" "b", "\"a\\ufffdb\"", "invalid byte replaced");
	check_escape("\xc3", "\"\\ufffd\"", "truncated sequence at the end");
	check_escape("\xc3(", "\"\\ufffd(\"", "bad continuation");
	check_escape("\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong 2-byte");
	check_escape("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte");
	check_escape("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "UTF-16 surrogate");
	check_escape("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
		     "beyond U+10FFFF");
	check_escape("\xe2\x82", "\"\\ufffd\\ufffd\"", "truncated 3-byte at the end");
}

/* The same calls as a dump of one node with one child. */
static void print_sample(struct printer *p)
{
	pr_open_object(p, NULL);
	pr_open_array(p, "nodes");
	pr_open_object(p, NULL);
	pr_u64(p, PR_JSON, "id", NULL, 1);
	pr_str(p, PR_ANY, "name", "%-6s", "vpu\"0");
	pr_bytes(p, PR_ANY, "bytes", "  %8s", 1536);
	pr_u64(p, PR_ANY, "count", "  %3llu", 2);
	pr_null(p, PR_ANY, "x", "  -");
	pr_str(p, PR_TEXT, NULL, "  %s", "text-only");
	pr_nl(p);
	pr_open_array(p, "children");
	pr_open_object(p, NULL);
	pr_u64(p, PR_JSON, "id", NULL, 2);
	pr_str(p, PR_ANY, "name", "%-6s", "dpb");
	pr_bytes(p, PR_ANY, "bytes", "  %8s", 1024);
	pr_open_object(p, "creator");
	pr_u64(p, PR_JSON, "tgid", NULL, 7);
	pr_close_object(p);
	pr_nl(p);
	pr_open_array(p, "children");
	pr_close_array(p);
	pr_close_object(p);
	pr_close_array(p);
	pr_close_object(p);
	pr_close_array(p);
	pr_close_object(p);
	pr_nl(p);
}

static void test_printer(void)
{
	struct printer p;
	struct capture c;
	char *got;
	int i;

	pr_init(&p, cap_open(&c), false, false, false);
	print_sample(&p);
	check(pr_finish(&p) == 0, "text: no error");
	got = cap_close(&c);
	check_str(got, "vpu\"0    1.5 KiB    2  -  text-only\n"
		       "dpb      1.0 KiB\n", "text mode");
	free(got);

	pr_init(&p, cap_open(&c), false, false, true);
	print_sample(&p);
	got = cap_close(&c);
	check_str(got, "vpu\"0       1536    2  -  text-only\n"
		       "dpb         1024\n", "text mode, exact bytes");
	free(got);

	pr_init(&p, cap_open(&c), true, false, false);
	print_sample(&p);
	check(pr_finish(&p) == 0, "JSON: no error");
	got = cap_close(&c);
	check_str(got, "{\"nodes\":[{\"id\":1,\"name\":\"vpu\\\"0\",\"bytes\":1536,"
		       "\"count\":2,\"x\":null,\"children\":[{\"id\":2,\"name\":\"dpb\","
		       "\"bytes\":1024,\"creator\":{\"tgid\":7},\"children\":[]}]}]}\n",
		  "JSON mode: bytes exact, text-only values left out");
	free(got);

	pr_init(&p, cap_open(&c), true, true, false);
	print_sample(&p);
	got = cap_close(&c);
	check_str(got,
		  "{\n"
		  "  \"nodes\": [\n"
		  "    {\n"
		  "      \"id\": 1,\n"
		  "      \"name\": \"vpu\\\"0\",\n"
		  "      \"bytes\": 1536,\n"
		  "      \"count\": 2,\n"
		  "      \"x\": null,\n"
		  "      \"children\": [\n"
		  "        {\n"
		  "          \"id\": 2,\n"
		  "          \"name\": \"dpb\",\n"
		  "          \"bytes\": 1024,\n"
		  "          \"creator\": {\n"
		  "            \"tgid\": 7\n"
		  "          },\n"
		  "          \"children\": []\n"
		  "        }\n"
		  "      ]\n"
		  "    }\n"
		  "  ]\n"
		  "}\n", "pretty JSON, empty array stays []");
	free(got);

	/* A stream of top-level objects, as the monitor prints: one per line. */
	pr_init(&p, cap_open(&c), true, false, false);
	for (i = 0; i < 3; i++) {
		pr_open_object(&p, NULL);
		pr_str(&p, PR_ANY, "event", "[%s]", "add");
		pr_u64(&p, PR_ANY, "id", " %llu", i);
		pr_close_object(&p);
		pr_nl(&p);
	}
	got = cap_close(&c);
	check_str(got, "{\"event\":\"add\",\"id\":0}\n{\"event\":\"add\",\"id\":1}\n"
		       "{\"event\":\"add\",\"id\":2}\n", "JSON lines");
	free(got);

	/* Unbalanced closes and overdeep nesting are errors, not crashes. */
	pr_init(&p, cap_open(&c), true, false, false);
	pr_close_object(&p);
	check(pr_finish(&p) == -EINVAL, "close without open is an error");
	free(cap_close(&c));

	pr_init(&p, cap_open(&c), true, false, false);
	pr_open_object(&p, NULL);
	check(pr_finish(&p) == -EINVAL, "unclosed object is an error");
	free(cap_close(&c));

	pr_init(&p, cap_open(&c), true, false, false);
	for (i = 0; i < PR_MAX_LEVEL + 10; i++)
		pr_open_array(&p, NULL);
	for (i = 0; i < PR_MAX_LEVEL + 10; i++)
		pr_close_array(&p);
	check(pr_finish(&p) == -E2BIG, "too deep nesting is an error");
	free(cap_close(&c));
}

/* ---- series.c ----------------------------------------------------------- */

static void check_span(const char *in, int want_err, uint64_t want_usec)
{
	uint64_t v = 12345;
	char what[96];
	int err = parse_timespan(in, &v);

	snprintf(what, sizeof(what), "timespan '%s'", in ? in : "(null)");
	if (want_err)
		check(err == want_err && v == 12345, what);
	else
		check(!err && v == want_usec, what);
}

static void test_timespan(void)
{
	const uint64_t S = USEC_PER_SEC;

	check_span("10m", 0, 600 * S);
	check_span("1h", 0, 3600 * S);
	check_span("30s", 0, 30 * S);
	check_span("2d", 0, 172800 * S);
	check_span("1w", 0, 604800 * S);
	check_span("5min", 0, 300 * S);
	check_span("10sec", 0, 10 * S);
	check_span("1h30m", 0, 5400 * S);
	check_span("1d2h3m4s", 0, 93784 * S);
	check_span("90", 0, 90 * S);
	check_span("0", 0, 0);
	check_span("0m", 0, 0);
	check_span("213503982d", 0, 18446744044800000000ULL);

	check_span(NULL, -EINVAL, 0);
	check_span("", -EINVAL, 0);
	check_span("abc", -EINVAL, 0);
	check_span("10x", -EINVAL, 0);
	check_span("m", -EINVAL, 0);
	check_span("1.5h", -EINVAL, 0);
	check_span("-5m", -EINVAL, 0);
	check_span(" 5m", -EINVAL, 0);
	check_span("5m ", -EINVAL, 0);
	check_span("1h30", -EINVAL, 0);
	check_span("5ms", -EINVAL, 0);
	check_span("5mins", -EINVAL, 0);
	check_span("18446744073709551616", -ERANGE, 0);
	check_span("18446744073709551615", -ERANGE, 0);
	check_span("213503983d", -ERANGE, 0);
	check_span("213503982d1d", -ERANGE, 0);
}

static void test_duration(void)
{
	const uint64_t S = USEC_PER_SEC;
	char b[FMT_DURATION_MAX];

	check_str(fmt_duration(b, sizeof(b), 0), "0s", "duration 0");
	check_str(fmt_duration(b, sizeof(b), S - 1), "0s", "duration rounds down");
	check_str(fmt_duration(b, sizeof(b), 45 * S), "45s", "45s");
	check_str(fmt_duration(b, sizeof(b), 60 * S), "1m", "1m, no 0s");
	check_str(fmt_duration(b, sizeof(b), 192 * S + 999999), "3m12s", "3m12s");
	check_str(fmt_duration(b, sizeof(b), 600 * S), "10m", "10m");
	check_str(fmt_duration(b, sizeof(b), 3599 * S), "59m59s", "59m59s");
	check_str(fmt_duration(b, sizeof(b), 3600 * S), "1h", "1h");
	check_str(fmt_duration(b, sizeof(b), 3601 * S), "1h", "seconds dropped after hours");
	check_str(fmt_duration(b, sizeof(b), 3660 * S), "1h1m", "1h1m");
	check_str(fmt_duration(b, sizeof(b), 7500 * S), "2h5m", "2h5m");
	check_str(fmt_duration(b, sizeof(b), 86400 * S), "1d", "1d");
	check_str(fmt_duration(b, sizeof(b), 90061 * S), "1d1h", "1d1h1m1s is 1d1h");
	check_str(fmt_duration(b, sizeof(b), 273600 * S), "3d4h", "3d4h");
	check_str(fmt_duration(b, sizeof(b), UINT64_MAX), "213503982d8h",
		  "UINT64_MAX microseconds");
	check_str(fmt_duration(b, 4, 45 * S), "45s", "duration fits exactly");
	check_str(fmt_duration(b, 3, 45 * S), "", "duration too long for the buffer");

	check_str(fmt_age(b, sizeof(b), 1000 * S, 808 * S), "3m12s ago", "age 3m12s");
	check_str(fmt_age(b, sizeof(b), 1000 * S, 1000 * S), "0s ago", "age 0");
	check_str(fmt_age(b, sizeof(b), 1000 * S, 2000 * S), "0s ago",
		  "age of a time in the future");
	check_str(fmt_age(b, 9, 1000 * S, 808 * S), "", "age too long for the buffer");
	check_str(fmt_age(b, 10, 1000 * S, 808 * S), "3m12s ago", "age fits exactly");
}

/* Sample i of a test history: time i s, min i, max 10 i, avg 2 i, last i + 100. */
static void make_samples(struct hist_sample *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		s[i].time_usec = i * USEC_PER_SEC;
		s[i].min = i;
		s[i].max = 10 * i;
		s[i].avg = 2 * i;
		s[i].last = i + 100;
	}
}

static int sample_is(const struct hist_sample *s, uint64_t t, uint64_t min,
		     uint64_t max, uint64_t avg, uint64_t last)
{
	return s->time_usec == t && s->min == min && s->max == max &&
	       s->avg == avg && s->last == last;
}

static void test_merge(void)
{
	const uint64_t S = USEC_PER_SEC;
	struct hist_sample s[10], m;
	struct hist_column c[10];
	uint64_t k = 0, lo, hi;
	size_t n;

	s[0] = (struct hist_sample){ 10, 5, 9, 7, 8 };
	s[1] = (struct hist_sample){ 20, 3, 12, 6, 4 };
	s[2] = (struct hist_sample){ 30, 4, 6, 6, 5 };
	hist_merge(s, 3, &m);
	check(sample_is(&m, 10, 3, 12, 6, 5),
	      "merge: first time, lowest min, highest max, mean avg (19/3), last last");
	s[0].avg = 1;
	s[1].avg = 2;
	hist_merge(s, 2, &m);
	check(m.avg == 2, "merge: mean of averages rounds half up (1.5 -> 2)");
	s[0].avg = s[1].avg = UINT64_MAX;
	hist_merge(s, 2, &m);
	check(m.avg == UINT64_MAX, "merge: no overflow in the mean");
	hist_merge(s, 0, &m);
	check(sample_is(&m, 0, 0, 0, 0, 0), "merge of nothing is zero");

	make_samples(s, 10);
	check(hist_step(s, 10) == S, "step of 1 s buckets");
	check(hist_step(s, 1) == 0, "step of one bucket is unknown");
	s[1].time_usec = 0;
	check(hist_step(s, 2) == 0, "step of equal times is unknown");
	s[0].time_usec = 0;
	s[1].time_usec = 10;
	s[2].time_usec = 30;
	s[3].time_usec = 40;
	check(hist_step(s, 4) == 10, "step is the smallest gap");

	/* 10 buckets in 4 columns: 3 per column, the last one partial. */
	make_samples(s, 10);
	n = hist_columns(s, 10, S, 4, c, &k);
	check(n == 4 && k == 3, "10 buckets in width 4: 4 columns of 3");
	check(c[0].n == 3 && c[1].n == 3 && c[2].n == 3 && c[3].n == 1,
	      "buckets per column 3, 3, 3, 1");
	check(sample_is(&c[0].s, 0, 0, 20, 2, 102), "column 0 merges buckets 0-2");
	check(sample_is(&c[1].s, 3 * S, 3, 50, 8, 105), "column 1 merges buckets 3-5");
	check(sample_is(&c[3].s, 9 * S, 9, 90, 18, 109), "column 3 is bucket 9");

	n = hist_columns(s, 3, S, 80, c, &k);
	check(n == 3 && k == 1 && c[2].n == 1 && sample_is(&c[2].s, 2 * S, 2, 20, 4, 102),
	      "fewer buckets than width: one column each");
	n = hist_columns(s, 8, S, 8, c, &k);
	check(n == 8 && k == 1, "8 buckets in width 8: no merging");
	n = hist_columns(s, 8, S, 7, c, &k);
	check(n == 4 && k == 2, "8 buckets in width 7: 4 columns of 2");
	n = hist_columns(s, 10, S, 0, c, &k);
	check(n == 1 && k == 10 && c[0].n == 10 &&
	      sample_is(&c[0].s, 0, 0, 90, 9, 109), "width 0 is one column");
	n = hist_columns(s, 0, S, 8, c, &k);
	check(n == 0 && k == 1, "no buckets, no columns");
	n = hist_columns(s, 1, 0, 8, c, &k);
	check(n == 1 && c[0].n == 1, "one bucket, unknown step");

	/* Buckets at 0, 1, 2 and 5 s: columns 3 and 4 are a gap. */
	s[3].time_usec = 5 * S;
	n = hist_columns(s, 4, S, 10, c, &k);
	check(n == 6 && k == 1 && c[2].n == 1 && !c[3].n && !c[4].n && c[5].n == 1 &&
	      sample_is(&c[5].s, 5 * S, 3, 30, 6, 103), "a gap leaves empty columns");
	hist_range(c, n, HIST_MAX, &lo, &hi);
	check(lo == 0 && hi == 30, "range of max skips the gap");
	hist_range(c + 1, 4, HIST_LAST, &lo, &hi);
	check(lo == 101 && hi == 102, "range of last");
	hist_range(c + 3, 2, HIST_MAX, &lo, &hi);
	check(lo == 0 && hi == 0, "range of gaps only is 0");
	/* The gap falls inside a column when merging: 6 slots in width 3. */
	n = hist_columns(s, 4, S, 3, c, &k);
	check(n == 3 && k == 2 && c[0].n == 2 && c[1].n == 1 && c[2].n == 1,
	      "merging across a gap");
	check(hist_value(&c[1].s, HIST_MIN) == 2 && hist_value(&c[1].s, HIST_AVG) == 4 &&
	      hist_value(&c[2].s, HIST_LAST) == 103 && hist_value(&c[2].s, HIST_MAX) == 30,
	      "hist_value picks the member");
}

static void test_chart(void)
{
	unsigned int h[8];
	char b[64];
	int i;

	check(chart_height(0, 0, 700, 1) == 1, "height of the lowest is 1");
	check(chart_height(100, 0, 700, 1) == 2, "height 100 of 0..700");
	check(chart_height(350, 0, 700, 1) == 5, "height of the middle rounds up");
	check(chart_height(700, 0, 700, 1) == 8, "height of the highest is 8");
	check(chart_height(800, 0, 700, 1) == 8 && chart_height(0, 100, 700, 1) == 1,
	      "height clamps to the range");
	check(chart_height(1, 0, 14, 1) == 2, "height 0.5 of a step rounds up");
	check(chart_height(5, 5, 5, 1) == 4 && chart_height(5, 5, 5, 8) == 32,
	      "a flat series is half high");
	check(chart_height(0, 0, 0, 1) == 1, "a flat zero series is 1 high");
	check(chart_height(0, 0, 63, 8) == 1 && chart_height(31, 0, 63, 8) == 32 &&
	      chart_height(63, 0, 63, 8) == 64, "heights of an 8-row chart");
	check(chart_height(UINT64_MAX, 0, UINT64_MAX, 8) == 64 &&
	      chart_height(UINT64_MAX / 2, 0, UINT64_MAX, 1) == 4,
	      "no overflow in heights");

	for (i = 0; i < 8; i++)
		h[i] = chart_height(100 * i, 0, 700, 1);
	check_str(chart_row(b, sizeof(b), h, 8, 0),
		  "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588",
		  "sparkline of 0, 100 .. 700");

	h[0] = 0;
	h[1] = 8;
	h[2] = 9;
	h[3] = 16;
	h[4] = 12;
	check_str(chart_row(b, sizeof(b), h, 5, 0), " \u2588\u2588\u2588\u2588",
		  "chart row 0: gap, then full blocks");
	check_str(chart_row(b, sizeof(b), h, 5, 1), "  \u2581\u2588\u2584",
		  "chart row 1: partial tops");
	check_str(chart_row(b, sizeof(b), h, 5, 2), "     ", "chart row 2: empty");
	check_str(chart_row(b, 15, h, 5, 0), "", "row needs 3 bytes a bar");
	check_str(chart_row(b, 16, h, 5, 0), " \u2588\u2588\u2588\u2588",
		  "row fits in 3 bytes a bar and a NUL");
}

static void test_double(void)
{
	struct printer p;
	struct capture c;
	char *got;

	pr_init(&p, cap_open(&c), false, false, false);
	pr_double(&p, PR_ANY, "rate", "%.1f/s", 3.26);
	pr_double(&p, PR_JSON, "x", "%f", 1);
	pr_nl(&p);
	got = cap_close(&c);
	check_str(got, "3.3/s\n", "double in text");
	free(got);

	pr_init(&p, cap_open(&c), true, false, false);
	pr_open_object(&p, NULL);
	pr_double(&p, PR_ANY, "a", "%.1f", 3.2);
	pr_double(&p, PR_ANY, "b", "%.1f", 0.1);
	pr_double(&p, PR_ANY, "c", "%.1f", 12345);
	pr_double(&p, PR_ANY, "d", "%.1f", 1e20);
	pr_double(&p, PR_ANY, "e", "%.1f", NAN);
	pr_double(&p, PR_ANY, "f", "%.1f", -INFINITY);
	pr_double(&p, PR_TEXT, "g", "%.1f", 1);
	pr_close_object(&p);
	pr_nl(&p);
	got = cap_close(&c);
	check_str(got, "{\"a\":3.2,\"b\":0.1,\"c\":12345,\"d\":1e+20,\"e\":null,\"f\":null}\n",
		  "doubles in JSON, not finite as null");
	free(got);
}

int main(void)
{
	test_units();
	test_parse();
	test_escape();
	test_printer();
	test_timespan();
	test_duration();
	test_merge();
	test_chart();
	test_double();
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
