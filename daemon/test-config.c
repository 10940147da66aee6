// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit test of the memtrackd config: value parsers, every error message,
 * and file discovery over scratch root trees.  TAP output.  Expected
 * values are written out by hand, never taken from the code under test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define SEC 1000000ULL

struct tap {
	int n;
	int failed;
};

__attribute__((format(printf, 3, 4)))
static bool check(struct tap *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	t->failed += !cond;
	return cond;
}

static void test_timespan(struct tap *t)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t usec;
	} cases[] = {
		{ "0", 0, 0 },
		{ "300", 0, 300 * SEC },
		{ "1s", 0, SEC },
		{ "3sec", 0, 3 * SEC },
		{ "1us", 0, 1 },
		{ "7usec", 0, 7 },
		{ "5ms", 0, 5000 },
		{ "2msec", 0, 2000 },
		{ "2m", 0, 120 * SEC },
		{ "10min", 0, 600 * SEC },
		{ "6h", 0, 21600 * SEC },
		{ "7d", 0, 604800 * SEC },
		{ "1w", 0, 604800 * SEC },
		{ "1.5s", 0, 1500000 },
		{ "0.25min", 0, 15 * SEC },
		{ "1h 30min", 0, 5400 * SEC },
		{ "1min30s", 0, 90 * SEC },
		{ "1h 30", 0, 3630 * SEC },
		{ "18446744073709551615us", 0, UINT64_MAX },
		{ "18446744073709s", 0, 18446744073709000000ULL },
		{ "18446744073709.551615s", 0, UINT64_MAX },
		{ "0.000001s", 0, 1 },
		{ "0.0000019s", 0, 1 },
		{ "18446744073709551616us", -ERANGE, 0 },
		{ "18446744073709.551616s", -ERANGE, 0 },
		{ "18446744073710s", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "18446744073709551615us 1us", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1s", -EINVAL, 0 },
		{ "1s ", -EINVAL, 0 },
		{ "1 s", -EINVAL, 0 },
		{ "1x", -EINVAL, 0 },
		{ "1S", -EINVAL, 0 },
		{ "1.s", -EINVAL, 0 },
		{ ".5s", -EINVAL, 0 },
		{ "1.5us", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "1s,2s", -EINVAL, 0 },
		{ "1.0000000000000000001s", -EINVAL, 0 },
		{ "infinity", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		r = mtd_parse_timespan(cases[i].s, &v);
		check(t, r == cases[i].ret && (r || v == cases[i].usec),
		      "timespan \"%s\" -> %d %llu (got %d %llu)", cases[i].s,
		      cases[i].ret, (unsigned long long)cases[i].usec, r,
		      (unsigned long long)v);
	}
	check(t, mtd_parse_timespan(NULL, &v) == -EINVAL, "timespan NULL");
}

static void test_bytes(struct tap *t)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t bytes;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "3B", 0, 3 },
		{ "64K", 0, 65536 },
		{ "2KB", 0, 2048 },
		{ "2KiB", 0, 2048 },
		{ "256M", 0, 268435456 },
		{ "256MiB", 0, 268435456 },
		{ "1.5G", 0, 1610612736 },
		{ "1GB", 0, 1073741824 },
		{ "1T", 0, 1099511627776ULL },
		{ "1P", 0, 1125899906842624ULL },
		{ "15E", 0, 17293822569102704640ULL },
		{ "0.5K", 0, 512 },
		{ "0.1K", 0, 102 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "16E", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "12Q", -EINVAL, 0 },
		{ "1.5", -EINVAL, 0 },
		{ "1.5B", -EINVAL, 0 },
		{ "1k", -EINVAL, 0 },
		{ "1m", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1 K", -EINVAL, 0 },
		{ "1KiBB", -EINVAL, 0 },
		{ "1iB", -EINVAL, 0 },
		{ "1Ki", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "1KK", -EINVAL, 0 },
		{ "1K1", -EINVAL, 0 },
		{ "80%", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		r = mtd_parse_bytes(cases[i].s, &v);
		check(t, r == cases[i].ret && (r || v == cases[i].bytes),
		      "bytes \"%s\" -> %d %llu (got %d %llu)", cases[i].s,
		      cases[i].ret, (unsigned long long)cases[i].bytes, r,
		      (unsigned long long)v);
	}
}

/* Parse one text into a fresh config and validate it; error in @err. */
static int parse(struct mtd_config *c, const char *text, char *err,
		 size_t errlen)
{
	int r;

	mtd_config_init(c);
	err[0] = '\0';
	r = mtd_config_parse_text(c, "t.conf", text, strlen(text), err, errlen);
	if (!r)
		r = mtd_config_validate(c, err, errlen);
	return r;
}

static void test_defaults_and_keys(struct tap *t)
{
	struct mtd_history_config def;
	struct mtd_config c;
	const struct mtd_rule *r;
	char err[512];
	int ret;

	mtd_config_init(&c);
	mtd_history_config_default(&def);
	check(t, c.history.n_levels == 4 &&
	      c.history.level[0].step_sec == 1 &&
	      c.history.level[0].retention_sec == 600 &&
	      c.history.level[1].step_sec == 10 &&
	      c.history.level[1].retention_sec == 21600 &&
	      c.history.level[2].step_sec == 60 &&
	      c.history.level[2].retention_sec == 86400 &&
	      c.history.level[3].step_sec == 900 &&
	      c.history.level[3].retention_sec == 604800 &&
	      c.history.memory_max == def.memory_max,
	      "default history levels");
	check(t, c.save_interval_usec == 300 * SEC &&
	      c.props_changed_max_per_sec == 4 && !c.prometheus_file &&
	      c.prometheus_interval_usec == 15 * SEC &&
	      c.dmabuf_scan_interval_usec == 0 && c.n_rules == 0 && !c.rules,
	      "daemon defaults");
	mtd_config_free(&c);

	ret = parse(&c,
		    "\xef\xbb\xbf# comment\n"
		    "; another\n"
		    "\n"
		    "  [Daemon]  \r\n"
		    "HistoryLevels = 1s:10min   10s:6h\t1min:1d\n"
		    "HistoryMemoryMax=32M\n"
		    "SaveIntervalSec=1min\n"
		    "PropertiesChangedMaxPerSec=1000\n"
		    "PrometheusFile=/var/lib/m.prom\n"
		    "PrometheusIntervalSec=1\n"
		    "DmaBufScanIntervalSec=30s\n"
		    "EventBufferBytes=512K\n"
		    "[Rule]\n"
		    "Name=vpu-frames\n"
		    "Match=vpu0/*\n"
		    "Raise=256M\n"
		    "Clear=200M\n"
		    "RaiseAfterSec=5\n"
		    "ClearAfterSec=500ms\n"
		    "RepeatIntervalSec=1h\n"
		    "Severity=critical\n"
		    "[Rule]\n"
		    "Name=A_b.9\n"
		    "Match=*\n"
		    "Raise=80.5%\n"
		    "PercentOf=parent\n"
		    "[Rule]\n"
		    "Raise=50%\n"
		    "Clear=0.01%\n"
		    "Match=gpu/**\n"
		    "Name=pct\n",
		    err, sizeof(err));
	check(t, ret == 0, "full config parses (%s)", err);
	check(t, c.history.n_levels == 3 &&
	      c.history.level[0].step_sec == 1 &&
	      c.history.level[0].retention_sec == 600 &&
	      c.history.level[1].step_sec == 10 &&
	      c.history.level[1].retention_sec == 21600 &&
	      c.history.level[2].step_sec == 60 &&
	      c.history.level[2].retention_sec == 86400 &&
	      c.history.memory_max == 33554432, "history keys");
	check(t, c.save_interval_usec == 60 * SEC &&
	      c.props_changed_max_per_sec == 1000 && c.prometheus_file &&
	      !strcmp(c.prometheus_file, "/var/lib/m.prom") &&
	      c.prometheus_interval_usec == SEC &&
	      c.dmabuf_scan_interval_usec == 30 * SEC &&
	      c.event_buffer_bytes == 524288, "daemon keys");
	check(t, c.n_rules == 3, "three rules");
	if (c.n_rules == 3) {
		r = &c.rules[0];
		check(t, !strcmp(r->name, "vpu-frames") &&
		      !strcmp(r->match, "vpu0/*") &&
		      r->percent_of == MTD_PERCENT_OF_NONE &&
		      r->raise == 268435456 && r->clear == 209715200 &&
		      r->has_clear && r->raise_after_usec == 5 * SEC &&
		      r->clear_after_usec == 500000 &&
		      r->repeat_usec == 3600 * SEC &&
		      r->severity == MTD_SEVERITY_CRITICAL &&
		      !strcmp(r->file, "t.conf") && r->line == 13,
		      "absolute rule");
		r = &c.rules[1];
		check(t, !strcmp(r->name, "A_b.9") && r->raise == 8050 &&
		      !r->has_clear && r->clear == 0 &&
		      r->percent_of == MTD_PERCENT_OF_PARENT &&
		      r->raise_after_usec == 0 && r->clear_after_usec == 0 &&
		      r->repeat_usec == 0 &&
		      r->severity == MTD_SEVERITY_WARNING && r->line == 22,
		      "percent rule of parent, defaults");
		r = &c.rules[2];
		check(t, !strcmp(r->name, "pct") && r->raise == 5000 &&
		      r->has_clear && r->clear == 1 &&
		      r->percent_of == MTD_PERCENT_OF_MEMTOTAL &&
		      r->line == 27, "percent rule defaults to MemTotal");
	}
	mtd_config_free(&c);

	/* Empty [Daemon] values go back to the defaults. */
	ret = parse(&c,
		    "[Daemon]\nSaveIntervalSec=9\nSaveIntervalSec=\n"
		    "PrometheusFile=/x\nPrometheusFile=\n"
		    "PropertiesChangedMaxPerSec=9\nPropertiesChangedMaxPerSec=\n"
		    "HistoryLevels=2s:4s\nHistoryLevels=\n"
		    "HistoryMemoryMax=1G\nHistoryMemoryMax=\n"
		    "DmaBufScanIntervalSec=1\nDmaBufScanIntervalSec=\n"
		    "PrometheusIntervalSec=2\nPrometheusIntervalSec=\n"
		    "[Daemon]\nDmaBufScanIntervalSec=0\n",
		    err, sizeof(err));
	check(t, ret == 0 && c.save_interval_usec == 300 * SEC &&
	      !c.prometheus_file && c.props_changed_max_per_sec == 4 &&
	      c.history.n_levels == 4 && c.history.level[3].step_sec == 900 &&
	      c.history.memory_max == def.memory_max &&
	      c.dmabuf_scan_interval_usec == 0 &&
	      c.prometheus_interval_usec == 15 * SEC,
	      "empty [Daemon] values reset to defaults (%s)", err);
	mtd_config_free(&c);

	/* The history is checked per file, so the key order is free. */
	ret = parse(&c, "[Daemon]\nHistoryMemoryMax=1\nHistoryLevels=1s:1min\n"
		    "HistoryMemoryMax=1M\n", err, sizeof(err));
	check(t, ret == 0 && c.history.n_levels == 1 &&
	      c.history.level[0].step_sec == 1 &&
	      c.history.level[0].retention_sec == 60 &&
	      c.history.memory_max == 1048576,
	      "history keys in any order (%s)", err);
	mtd_config_free(&c);

	ret = parse(&c, "", err, sizeof(err));
	check(t, ret == 0 && c.n_rules == 0, "empty text");
	mtd_config_free(&c);
	mtd_config_init(&c);
	ret = mtd_config_parse_text(&c, "t.conf", "[Daemon]\nSaveIntervalSec=7",
				    26, err, sizeof(err));
	check(t, ret == 0 && c.save_interval_usec == 7 * SEC,
	      "last line without newline, length-bounded text");
	mtd_config_free(&c);
}

#define R "[Rule]\nName=r\nMatch=*\n"

static void test_errors(struct tap *t)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "[Foo]\n", "t.conf:1: unknown section [Foo]" },
		{ "[]\n", "t.conf:1: unknown section []" },
		{ "[ Rule ]\n", "t.conf:1: unknown section [ Rule ]" },
		{ "[Rule\n", "t.conf:1: \"[Rule\" is not a [Section] header" },
		{ "[Rule]x\n", "t.conf:1: \"[Rule]x\" is not a [Section] header" },
		{ "# c\nRaise=1\n", "t.conf:2: Raise= is outside of a [Daemon] or [Rule] section" },
		{ "[Daemon]\nfoo\n", "t.conf:2: \"foo\" is not Key=Value" },
		{ "[Daemon]\n = 5\n", "t.conf:2: \"=5\" has no key" },
		{ "[Daemon]\nFoo=1\n", "t.conf:2: unknown key Foo= in [Daemon]" },
		{ "[Daemon]\nsaveintervalsec=1\n", "t.conf:2: unknown key saveintervalsec= in [Daemon]" },
		{ R "Foo=1\n", "t.conf:4: unknown key Foo= in [Rule]" },
		{ "[Daemon]\nHistoryLevels=1s\n", "t.conf:2: HistoryLevels=: \"1s\" is not step:retention" },
		{ "[Daemon]\nHistoryLevels=1x:1h\n", "t.conf:2: HistoryLevels=: step \"1x\" is not a timespan" },
		{ "[Daemon]\nHistoryLevels=1s:1h:2h\n", "t.conf:2: HistoryLevels=: retention \"1h:2h\" is not a timespan" },
		{ "[Daemon]\nHistoryLevels=1500ms:1h\n", "t.conf:2: HistoryLevels=: step \"1500ms\" is not a whole number of seconds below 2^32" },
		{ "[Daemon]\nHistoryLevels=1s:4294967296s\n", "t.conf:2: HistoryLevels=: retention \"4294967296s\" is not a whole number of seconds below 2^32" },
		{ "[Daemon]\nHistoryLevels=0:1h\n", "t.conf:2: HistoryLevels=: step \"0\" is not at least 1s" },
		{ "[Daemon]\nHistoryLevels=10s:15s\n", "t.conf:2: HistoryLevels=: retention \"15s\" is not a multiple of step \"10s\"" },
		{ "[Daemon]\nHistoryLevels=10s:0\n", "t.conf:2: HistoryLevels=: retention \"0\" is not a multiple of step \"10s\"" },
		{ "[Daemon]\nHistoryLevels=10s:1h 10s:2h\n", "t.conf:2: HistoryLevels=: step \"10s\" is not longer than the one before" },
		{ "[Daemon]\nHistoryLevels=1:9 2:8 3:9 4:8 5:10 6:12 7:14 8:16 9:18\n", "t.conf:2: HistoryLevels=: more than 8 levels" },
		{ "[Daemon]\nHistoryMemoryMax=12Q\n", "t.conf:2: HistoryMemoryMax=: \"12Q\" is not a size" },
		{ "[Daemon]\nHistoryMemoryMax=16E\n", "t.conf:2: HistoryMemoryMax=: \"16E\" is too large" },
		{ "[Daemon]\nHistoryMemoryMax=0\n", "t.conf:2: HistoryMemoryMax=: must be above 0" },
		{ "[Daemon]\nSaveIntervalSec=5x\n", "t.conf:2: SaveIntervalSec=: \"5x\" is not a timespan" },
		{ "[Daemon]\nSaveIntervalSec=99999999w\n", "t.conf:2: SaveIntervalSec=: \"99999999w\" is too large" },
		{ "[Daemon]\nSaveIntervalSec=0\n", "t.conf:2: SaveIntervalSec=: \"0\" is not at least 1s" },
		{ "[Daemon]\nPrometheusIntervalSec=999ms\n", "t.conf:2: PrometheusIntervalSec=: \"999ms\" is not at least 1s" },
		{ "[Daemon]\nDmaBufScanIntervalSec=999999us\n", "t.conf:2: DmaBufScanIntervalSec=: \"999999us\" is not at least 1s (or 0 for off)" },
		{ "[Daemon]\nPropertiesChangedMaxPerSec=x\n", "t.conf:2: PropertiesChangedMaxPerSec=: \"x\" is not a number" },
		{ "[Daemon]\nEventBufferBytes=1K\n", "t.conf:2: EventBufferBytes=: \"1K\" is not between 4K and 1G" },
		{ "[Daemon]\nEventBufferBytes=2G\n", "t.conf:2: EventBufferBytes=: \"2G\" is not between 4K and 1G" },
		{ "[Daemon]\nPropertiesChangedMaxPerSec=4.5\n", "t.conf:2: PropertiesChangedMaxPerSec=: \"4.5\" is not a number" },
		{ "[Daemon]\nPropertiesChangedMaxPerSec=-1\n", "t.conf:2: PropertiesChangedMaxPerSec=: \"-1\" is not a number" },
		{ "[Daemon]\nPropertiesChangedMaxPerSec=0\n", "t.conf:2: PropertiesChangedMaxPerSec=: \"0\" is not between 1 and 1000" },
		{ "[Daemon]\nPropertiesChangedMaxPerSec=1001\n", "t.conf:2: PropertiesChangedMaxPerSec=: \"1001\" is not between 1 and 1000" },
		{ "[Daemon]\nPropertiesChangedMaxPerSec=99999999999999999999999\n", "t.conf:2: PropertiesChangedMaxPerSec=: \"99999999999999999999999\" is not between 1 and 1000" },
		{ "[Daemon]\nPrometheusFile=m.prom\n", "t.conf:2: PrometheusFile=: \"m.prom\" is not an absolute file name" },
		{ "[Daemon]\nPrometheusFile=/var/lib/\n", "t.conf:2: PrometheusFile=: \"/var/lib/\" is not an absolute file name" },
		{ "[Rule]\nName=\n", "t.conf:2: Name=: \"\" is not 1 to 63 characters long" },
		{ "[Rule]\nName=0123456789012345678901234567890123456789012345678901234567890123\n",
		  "t.conf:2: Name=: \"0123456789012345678901234567890123456789012345678901234567890123\" is not 1 to 63 characters long" },
		{ "[Rule]\nName=a b\n", "t.conf:2: Name=: \"a b\" has characters other than A-Z a-z 0-9 _ . -" },
		{ "[Rule]\nName=a/b\n", "t.conf:2: Name=: \"a/b\" has characters other than A-Z a-z 0-9 _ . -" },
		{ R "Name=s\n", "t.conf:4: Name= given twice in one [Rule] (first on line 2)" },
		{ R "Raise=1\nSeverity=warning\nRaise=2\n", "t.conf:6: Raise= given twice in one [Rule] (first on line 4)" },
		{ "[Rule]\nMatch=\n", "t.conf:2: Match=: empty pattern" },
		{ R "Raise=12Q\n", "t.conf:4: Raise=: \"12Q\" is not a size" },
		{ R "Raise=16E\n", "t.conf:4: Raise=: \"16E\" is too large" },
		{ R "Raise=0\n", "t.conf:4: Raise=: must be above 0" },
		{ R "Raise=0%\n", "t.conf:4: Raise=: \"0%\" is not above 0% and at most 100%" },
		{ R "Raise=0.00%\n", "t.conf:4: Raise=: \"0.00%\" is not above 0% and at most 100%" },
		{ R "Raise=100.01%\n", "t.conf:4: Raise=: \"100.01%\" is not above 0% and at most 100%" },
		{ R "Raise=101%\n", "t.conf:4: Raise=: \"101%\" is not above 0% and at most 100%" },
		{ R "Raise=99999999999999999999999%\n", "t.conf:4: Raise=: \"99999999999999999999999%\" is not above 0% and at most 100%" },
		{ R "Raise=80.555%\n", "t.conf:4: Raise=: \"80.555%\" is not a percentage" },
		{ R "Raise=80.%\n", "t.conf:4: Raise=: \"80.%\" is not a percentage" },
		{ R "Raise=%\n", "t.conf:4: Raise=: \"%\" is not a percentage" },
		{ R "Raise=8 0%\n", "t.conf:4: Raise=: \"8 0%\" is not a percentage" },
		{ R "Raise=80%%\n", "t.conf:4: Raise=: \"80%%\" is not a percentage" },
		{ R "Clear=-5\n", "t.conf:4: Clear=: \"-5\" is not a size" },
		{ R "Raise=80%\nClear=200M\n", "t.conf:5: Clear=: \"200M\" is a size but Raise= is a percentage" },
		{ R "Clear=50%\nRaise=1G\n", "t.conf:5: Raise=: \"1G\" is a size but Clear= is a percentage" },
		{ R "Raise=1G\nClear=1%\n", "t.conf:5: Clear=: \"1%\" is a percentage but Raise= is a size" },
		{ R "PercentOf=memtotal\n", "t.conf:4: PercentOf=: \"memtotal\" is not MemTotal or parent" },
		{ R "PercentOf=parent\nRaise=1G\n[Daemon]\n", "t.conf:4: PercentOf=: only meaningful with a percentage Raise=" },
		{ R "Raise=1G\nPercentOf=MemTotal\n", "t.conf:5: PercentOf=: only meaningful with a percentage Raise=" },
		{ R "Severity=error\n", "t.conf:4: Severity=: \"error\" is not warning or critical" },
		{ R "RaiseAfterSec=1y\n", "t.conf:4: RaiseAfterSec=: \"1y\" is not a timespan" },
		{ R "ClearAfterSec=-1\n", "t.conf:4: ClearAfterSec=: \"-1\" is not a timespan" },
		{ R "RepeatIntervalSec=40000000w\n", "t.conf:4: RepeatIntervalSec=: \"40000000w\" is too large" },
		{ R "Raise=1\n[Rule]\nName=r\nMatch=*\nRaise=2\n", "t.conf:6: Name=: rule \"r\" is already defined on line 1" },
		{ "\n[Rule]\nMatch=*\nRaise=1\n", "t.conf:2: [Rule] has no Name=" },
		{ "[Rule]\nName=x\nRaise=1\n", "t.conf:1: rule \"x\" has no Match=" },
		{ R "Severity=critical\n", "t.conf:1: rule \"r\" has no Raise=" },
		{ R "Clear=10%\n", "t.conf:1: rule \"r\" has no Raise=" },
		{ "[Daemon]\n" R "Raise=100\nClear=100\n", "t.conf:2: rule \"r\": Clear= is not below Raise=" },
		{ R "Raise=1M\nClear=1.5M\n", "t.conf:1: rule \"r\": Clear= is not below Raise=" },
		{ R "Clear=80.5%\nRaise=80.5%\n", "t.conf:1: rule \"r\": Clear= is not below Raise=" },
		{ R "Raise=80%\nClear=80.01%\n", "t.conf:1: rule \"r\": Clear= is not below Raise=" },
	};
	struct mtd_history_config h;
	struct mtd_config c;
	char err[512], text[8192];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = parse(&c, cases[i].text, err, sizeof(err));
		check(t, ret == -EINVAL && !strcmp(err, cases[i].err),
		      "error %s (got %d \"%s\")", cases[i].err, ret, err);
		mtd_config_free(&c);
	}

	/* Lines of exactly 4096 bytes are fine, 4097 are not. */
	memset(text, '#', 4096);
	strcpy(text + 4096, "\n[Daemon]\n");
	ret = parse(&c, text, err, sizeof(err));
	check(t, ret == 0, "4096-byte line is accepted (%s)", err);
	mtd_config_free(&c);
	memset(text, '#', 4097);
	strcpy(text + 4097, "\n");
	ret = parse(&c, text, err, sizeof(err));
	check(t, ret == -EINVAL &&
	      !strcmp(err, "t.conf:1: line is longer than 4096 bytes"),
	      "4097-byte line is refused (%s)", err);
	mtd_config_free(&c);

	mtd_config_init(&c);
	ret = mtd_config_parse_text(&c, "t.conf", "[Daemon]\nSave\0Interval=1\n",
				    25, err, sizeof(err));
	check(t, ret == -EINVAL &&
	      !strcmp(err, "t.conf:2: line contains a NUL byte"),
	      "NUL byte is refused (%s)", err);
	mtd_config_free(&c);

	/* The history module judges the memory; the message is ours. */
	ret = parse(&c, "[Daemon]\nHistoryMemoryMax=1\nSaveIntervalSec=5\n",
		    err, sizeof(err));
	mtd_history_config_default(&h);
	h.memory_max = 1;
	if (mtd_history_config_check(&h))
		check(t, ret == -EINVAL && !strcmp(err, "t.conf:2: HistoryMemoryMax=: HistoryLevels= and HistoryMemoryMax= do not make a usable history"),
		      "unusable history is checked at the end of the file (%s)", err);
	else
		check(t, ret == 0, "1-byte history is usable for history.c (%s)", err);
	mtd_config_free(&c);
	mtd_config_init(&c);
	c.history.n_levels = 0;
	ret = mtd_config_validate(&c, err, sizeof(err));
	check(t, ret == -EINVAL && !strcmp(err, "HistoryLevels= and HistoryMemoryMax= do not make a usable history"),
	      "validate checks a hand-made history (%s)", err);
	mtd_config_free(&c);
	mtd_config_free(&c);

	/* A tiny buffer still gets a terminated, truncated message. */
	ret = parse(&c, "[Foo]\n", err, 8);
	check(t, ret == -EINVAL && !strcmp(err, "t.conf:"), "error truncated");
	mtd_config_free(&c);
	mtd_config_init(&c);
	ret = mtd_config_parse_text(&c, "t.conf", "[Foo]", 5, NULL, 0);
	check(t, ret == -EINVAL, "error without a buffer");
	mtd_config_free(&c);
}

/* Create @rel under @root with its parent directories; @text NULL: mkdir. */
static void put(const char *root, const char *rel, const char *text)
{
	char path[4096], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (!text) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void link_to(const char *root, const char *rel, const char *target)
{
	char path[4096];

	put(root, rel, NULL);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (rmdir(path) || symlink(target, path)) {
		perror(path);
		exit(1);
	}
}

static void rm_tree(const char *root)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", root);
}

/* The listed files, relative to @root, joined by spaces. */
static void files_str(const char *root, char *out, size_t len)
{
	char **files = NULL;
	size_t rl = strlen(root);
	int n, i;

	n = mtd_config_files(root, &files);
	snprintf(out, len, "%d:", n);
	for (i = 0; n > 0 && i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), " %s",
			 strncmp(files[i], root, rl) ? files[i] : files[i] + rl);
	if (n >= 0 && files && files[n])
		snprintf(out, len, "not NULL-terminated");
	mtd_config_files_free(files);
}

static void test_files(struct tap *t)
{
	char tmpl[] = "/tmp/test-config.XXXXXX", *root, got[4096], path[4200];
	char **files = NULL;
	struct mtd_config c;
	char err[512];
	int ret;

	root = mkdtemp(tmpl);
	if (!check(t, root != NULL, "mkdtemp"))
		return;

	files_str(root, got, sizeof(got));
	check(t, !strcmp(got, "0:"), "empty root lists nothing (%s)", got);
	mtd_config_init(&c);
	ret = mtd_config_load(&c, root, err, sizeof(err));
	check(t, ret == 0 && c.n_rules == 0 && c.save_interval_usec == 300 * SEC,
	      "empty root loads the defaults (%d %s)", ret, err);

	put(root, "etc/memtrackd.conf",
	    "[Daemon]\nSaveIntervalSec=100\nPropertiesChangedMaxPerSec=7\n"
	    "[Rule]\nName=a\nMatch=x/*\nRaise=1M\nClear=512K\n"
	    "[Rule]\nName=keep\nMatch=*\nRaise=5%\n"
	    "[Rule]\nName=bad\nMatch=*\nRaise=1M\nClear=2M\n");
	/* Same name in a later directory: shadowed by the earlier one. */
	put(root, "etc/memtrackd.conf.d/20-b.conf",
	    "[Daemon]\nSaveIntervalSec=250s\n");
	put(root, "usr/local/lib/memtrackd.conf.d/20-b.conf", "[Bogus]\n");
	put(root, "run/memtrackd.conf.d/10-a.conf",
	    "[Rule]\nName=a\nMatch=y\nRaise=2M\nSeverity=critical\n"
	    "[Rule]\nName=bad\nMatch=*\nRaise=1M\n");
	put(root, "usr/lib/memtrackd.conf.d/10-a.conf", "[Bogus]\n");
	put(root, "usr/lib/memtrackd.conf.d/05-z.conf",
	    "[Daemon]\nSaveIntervalSec=200\nDmaBufScanIntervalSec=5\n");
	put(root, "usr/lib/memtrackd.conf.d/30-masked.conf", "[Bogus]\n");
	link_to(root, "etc/memtrackd.conf.d/30-masked.conf", "/dev/null");
	link_to(root, "run/memtrackd.conf.d/31-masked-alone.conf", "/dev/null");
	/* /etc wins over a mask further down. */
	put(root, "etc/memtrackd.conf.d/40-etc.conf", "");
	link_to(root, "usr/lib/memtrackd.conf.d/40-etc.conf", "/dev/null");
	put(root, "run/memtrackd.conf.d/README", "[Bogus]\n");
	put(root, "run/memtrackd.conf.d/.hidden.conf", "[Bogus]\n");
	put(root, "run/memtrackd.conf.d/.conf", "[Bogus]\n");
	put(root, "run/memtrackd.conf.d/x.conf.bak", "[Bogus]\n");
	put(root, "run/memtrackd.conf.d/dir.conf", NULL);
	put(root, "usr/local/lib/memtrackd.conf.d/00-first.conf", "# empty\n");

	files_str(root, got, sizeof(got));
	check(t, !strcmp(got, "6: /etc/memtrackd.conf"
			 " /usr/local/lib/memtrackd.conf.d/00-first.conf"
			 " /usr/lib/memtrackd.conf.d/05-z.conf"
			 " /run/memtrackd.conf.d/10-a.conf"
			 " /etc/memtrackd.conf.d/20-b.conf"
			 " /etc/memtrackd.conf.d/40-etc.conf"),
	      "drop-in order, shadowing and masking (%s)", got);
	snprintf(path, sizeof(path), "%s///", root);
	ret = mtd_config_files(path, &files);
	snprintf(path, sizeof(path), "%s/etc/memtrackd.conf", root);
	check(t, ret == 6 && !strcmp(files[0], path),
	      "trailing slashes of the root are dropped (%s)",
	      ret > 0 ? files[0] : "");
	mtd_config_files_free(files);

	ret = mtd_config_load(&c, root, err, sizeof(err));
	check(t, ret == 0, "tree loads (%d %s)", ret, err);
	check(t, c.save_interval_usec == 250 * SEC &&
	      c.props_changed_max_per_sec == 7 &&
	      c.dmabuf_scan_interval_usec == 5 * SEC,
	      "later files win for [Daemon] keys");
	check(t, c.n_rules == 3, "three rules after replacement");
	snprintf(path, sizeof(path), "%s/run/memtrackd.conf.d/10-a.conf", root);
	if (c.n_rules == 3) {
		check(t, !strcmp(c.rules[0].name, "a") &&
		      !strcmp(c.rules[0].match, "y") &&
		      c.rules[0].raise == 2097152 && !c.rules[0].has_clear &&
		      c.rules[0].clear == 0 &&
		      c.rules[0].severity == MTD_SEVERITY_CRITICAL &&
		      !strcmp(c.rules[0].file, path) && c.rules[0].line == 1,
		      "a later rule with the same Name replaces all of it");
		check(t, !strcmp(c.rules[1].name, "keep") &&
		      c.rules[1].raise == 500 && c.rules[1].line == 9,
		      "other rules stay");
		check(t, !strcmp(c.rules[2].name, "bad") && !c.rules[2].has_clear,
		      "a rule with Clear >= Raise can be fixed by a later file");
	}

	/* An error leaves the config as it was and names the file. */
	put(root, "usr/lib/memtrackd.conf.d/50-err.conf",
	    "[Daemon]\n\n[Rule]\nName=q\nMatch=*\nRaise=12Q\n");
	ret = mtd_config_load(&c, root, err, sizeof(err));
	snprintf(path, sizeof(path),
		 "%s/usr/lib/memtrackd.conf.d/50-err.conf:6: Raise=: \"12Q\" is not a size",
		 root);
	check(t, ret == -EINVAL && !strcmp(err, path),
	      "error names the drop-in and line (%s)", err);
	check(t, c.n_rules == 3 && c.save_interval_usec == 250 * SEC &&
	      c.dmabuf_scan_interval_usec == 5 * SEC,
	      "failed load keeps the last good config");

	put(root, "usr/lib/memtrackd.conf.d/50-err.conf",
	    "[Rule]\nName=q\nMatch=*\nRaise=1M\nClear=1M\n");
	ret = mtd_config_load(&c, root, err, sizeof(err));
	snprintf(path, sizeof(path),
		 "%s/usr/lib/memtrackd.conf.d/50-err.conf:1: rule \"q\": Clear= is not below Raise=",
		 root);
	check(t, ret == -EINVAL && !strcmp(err, path),
	      "Clear >= Raise names the [Rule] header (%s)", err);

	/* A relative link to null in /etc masks the broken file too. */
	link_to(root, "etc/memtrackd.conf.d/50-err.conf", "../../../../dev/null");
	ret = mtd_config_load(&c, root, err, sizeof(err));
	check(t, ret == 0 && c.n_rules == 3, "masked again (%d %s)", ret, err);

	/* A dangling drop-in is listed and fails loudly. */
	link_to(root, "run/memtrackd.conf.d/60-dangling.conf", "/nonexistent/x");
	ret = mtd_config_load(&c, root, err, sizeof(err));
	snprintf(path, sizeof(path),
		 "%s/run/memtrackd.conf.d/60-dangling.conf: cannot read: No such file or directory",
		 root);
	check(t, ret == -ENOENT && !strcmp(err, path),
	      "dangling drop-in (%d %s)", ret, err);
	snprintf(path, sizeof(path), "%s/run/memtrackd.conf.d/60-dangling.conf",
		 root);
	unlink(path);

	/* Larger than any config should be. */
	snprintf(path, sizeof(path), "%s/run/memtrackd.conf.d/70-huge.conf", root);
	ret = open(path, O_WRONLY | O_CREAT, 0644);
	if (ret < 0 || ftruncate(ret, 5 << 20) || close(ret))
		perror(path);
	ret = mtd_config_load(&c, root, err, sizeof(err));
	check(t, ret == -EFBIG && !strncmp(err, path, strlen(path)) &&
	      !strcmp(err + strlen(path), ": cannot read: File too large"),
	      "huge drop-in (%d %s)", ret, err);
	unlink(path);

	/* A conf.d that cannot be listed is an error, not an empty list. */
	snprintf(path, sizeof(path), "%s/run/memtrackd.conf.d", root);
	if (rename(path, strcat(strcpy(got, path), ".away")))
		perror(path);
	link_to(root, "run/memtrackd.conf.d", "memtrackd.conf.d");
	ret = mtd_config_load(&c, root, err, sizeof(err));
	check(t, ret == -ELOOP && !strncmp(err, path, strlen(path)) &&
	      !strcmp(err + strlen(path), ": cannot list drop-ins: Too many levels of symbolic links"),
	      "unlistable conf.d (%d %s)", ret, err);
	check(t, mtd_config_files(root, &files) == -ELOOP,
	      "mtd_config_files returns the errno");
	unlink(path);
	if (rename(got, path))
		perror(got);

	/* A directory where the main file should be. */
	snprintf(path, sizeof(path), "%s/etc/memtrackd.conf", root);
	unlink(path);
	put(root, "etc/memtrackd.conf", NULL);
	ret = mtd_config_load(&c, root, err, sizeof(err));
	snprintf(path, sizeof(path),
		 "%s/etc/memtrackd.conf: cannot read: Is a directory", root);
	check(t, ret == -EISDIR && !strcmp(err, path),
	      "main file is a directory (%d %s)", ret, err);
	snprintf(path, sizeof(path), "%s/etc/memtrackd.conf", root);
	rmdir(path);

	/* Without the main file, the drop-ins alone. */
	ret = mtd_config_load(&c, root, err, sizeof(err));
	check(t, ret == 0 && c.n_rules == 2 && !strcmp(c.rules[0].name, "a") &&
	      !strcmp(c.rules[1].name, "bad") &&
	      c.props_changed_max_per_sec == 4 &&
	      c.save_interval_usec == 250 * SEC,
	      "missing main file is fine, success replaces everything (%s)", err);
	mtd_config_free(&c);
	rm_tree(root);

	/* A conf.d that is a file is not a directory of drop-ins. */
	root = mkdtemp(strcpy(tmpl, "/tmp/test-config.XXXXXX"));
	put(root, "run/memtrackd.conf.d", "");
	put(root, "usr/lib/memtrackd.conf.d/1.conf", "");
	files_str(root, got, sizeof(got));
	check(t, !strcmp(got, "1: /usr/lib/memtrackd.conf.d/1.conf"),
	      "conf.d that is a file is skipped (%s)", got);
	rm_tree(root);
}

int main(void)
{
	struct tap t = { 0, 0 };

	test_timespan(&t);
	test_bytes(&t);
	test_defaults_and_keys(&t);
	test_errors(&t);
	test_files(&t);
	printf("1..%d\n", t.n);
	return t.failed ? 1 : 0;
}
