// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit test of memtrackctl's pure printing code (cli/print.c): units,
 * percentages, number parsing, JSON string escaping and the one print path
 * for text and JSON.  Output: TAP.  Meant to run under ASan and UBSan.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

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

int main(void)
{
	test_units();
	test_parse();
	test_escape();
	test_printer();
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
