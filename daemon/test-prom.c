// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host unit test of the Prometheus textfile writer (prom.c): exact text,
 * label escaping, UTF-8 repair, duplicate series, errors, and the atomic
 * file replacement.  Every text produced is also run through a small
 * checker of the exposition grammar.  Output: TAP.  Meant to run under
 * ASan and UBSan.
 */
#define _GNU_SOURCE /* open_memstream, mkdtemp */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prom.h"

static int n_tests, n_failed;

static void check(int cond, const char *what)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_tests, what);
}

/* Print @s as a "# " comment block, one line of @s per line. */
static void diag_text(const char *label, const char *s)
{
	printf("#   %s:\n#     ", label);
	for (; *s; s++) {
		putchar(*s);
		if (*s == '\n' && s[1])
			fputs("#     ", stdout);
	}
	if (s[-1] != '\n')
		putchar('\n');
}

static void check_str(const char *got, const char *want, const char *what)
{
	n_tests++;
	if (got && !strcmp(got, want)) {
		printf("ok %d - %s\n", n_tests, what);
		return;
	}
	n_failed++;
	printf("not ok %d - %s\n", n_tests, what);
	diag_text("got", got ? got : "(null)");
	diag_text("want", want);
}

static void check_int(long got, long want, const char *what)
{
	n_tests++;
	if (got == want) {
		printf("ok %d - %s\n", n_tests, what);
		return;
	}
	n_failed++;
	printf("not ok %d - %s\n#   got %ld, want %ld\n", n_tests, what, got,
	       want);
}

/* ---- a checker of the text exposition format ---------------------------- */

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* A metric (@colon true) or label name at *@p; advances *@p. */
static bool parse_name(const char **p, bool colon, char *out, size_t outlen)
{
	const char *s = *p;
	size_t n = 0;

	if (!is_name_start(*s) || (!colon && *s == ':'))
		return false;
	while (is_name_char(*s)) {
		if (!colon && *s == ':')
			return false;
		if (n + 1 < outlen)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	*p = s;
	return true;
}

/* Length of the well-formed UTF-8 sequence at @s, 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (s[0] == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xf0 && s[1] < 0x90)
			return 0;
		if (s[0] == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* A quoted label value at *@p: escapes \\ \" \n only, valid UTF-8. */
static bool parse_label_value(const char **p)
{
	const char *s = *p;

	if (*s++ != '"')
		return false;
	while (*s != '"') {
		size_t len;

		if (*s == '\0' || *s == '\n')
			return false;
		if (*s == '\\') {
			if (s[1] != '\\' && s[1] != '"' && s[1] != 'n')
				return false;
			s += 2;
			continue;
		}
		len = utf8_len((const unsigned char *)s);
		if (!len)
			return false;
		s += len;
	}
	*p = s + 1;
	return true;
}

/*
 * Check @text line by line: "# HELP name text", "# TYPE name gauge" before
 * any sample of that name, and samples 'name{label="v",...} value' with a
 * non-negative integer value, each family's samples together.  Returns
 * the number of samples, or -(line number) of the first bad line.
 */
static int check_grammar(const char *text)
{
	char typed[8][64] = { { 0 } };
	bool done[8] = { false };
	char current[64] = "";
	int n_typed = 0, samples = 0, line = 0;
	const char *p = text;

	while (*p) {
		char name[64], lname[64];
		const char *eol = strchr(p, '\n');
		bool is_typed = false;
		int i;

		line++;
		if (!eol)
			return -line; /* last line must end in a newline */
		if (!strncmp(p, "# HELP ", 7)) {
			p += 7;
			if (!parse_name(&p, true, name, sizeof(name)) ||
			    *p != ' ')
				return -line;
			for (; p < eol; p++)
				if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
					return -line;
			p = eol + 1;
			continue;
		}
		if (!strncmp(p, "# TYPE ", 7)) {
			p += 7;
			if (!parse_name(&p, true, name, sizeof(name)) ||
			    strncmp(p, " gauge\n", 7) || n_typed == 8)
				return -line;
			for (i = 0; i < n_typed; i++)
				if (!strcmp(typed[i], name))
					return -line; /* TYPE given twice */
			strcpy(typed[n_typed++], name);
			p = eol + 1;
			continue;
		}
		if (*p == '#')
			return -line; /* no other comments written */

		if (!parse_name(&p, true, name, sizeof(name)))
			return -line;
		for (i = 0; i < n_typed; i++)
			if (!strcmp(typed[i], name))
				is_typed = true;
		if (!is_typed)
			return -line;
		if (strcmp(current, name)) {
			/* A family must not come back after another one. */
			for (i = 0; i < n_typed; i++)
				if (!strcmp(typed[i], name) && done[i])
					return -line;
			for (i = 0; i < n_typed; i++)
				if (!strcmp(typed[i], current))
					done[i] = true;
			strcpy(current, name);
		}
		if (*p == '{') {
			p++;
			for (;;) {
				if (!parse_name(&p, false, lname,
						sizeof(lname)) ||
				    *p++ != '=' || !parse_label_value(&p))
					return -line;
				if (*p == '}')
					break;
				if (*p++ != ',')
					return -line;
			}
			p++;
		}
		if (*p++ != ' ' || *p < '0' || *p > '9')
			return -line;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p != '\n')
			return -line;
		p++;
		samples++;
	}
	return samples;
}

/* ---- helpers ------------------------------------------------------------ */

/* mtd_prom_format() into a string; *@r gets its return value. */
static char *format(const struct mtd_prom_node *nodes, size_t n_nodes,
		    const struct mtd_prom_alert *alerts, size_t n_alerts,
		    int *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		perror("open_memstream");
		exit(2);
	}
	*r = mtd_prom_format(f, nodes, n_nodes, alerts, n_alerts);
	fclose(f);
	return buf;
}

static char *read_file(const char *path)
{
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *in = fopen(path, "re");
	FILE *out;

	if (!in)
		return NULL;
	out = open_memstream(&buf, &len);
	if (!out) {
		perror("open_memstream");
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(in);
	fclose(out);
	return buf;
}

/* Number of directory entries other than . and .., names in @names. */
static int list_dir(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	names[0] = '\0';
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (strlen(names) + strlen(de->d_name) + 2 < len) {
			strcat(names, de->d_name);
			strcat(names, " ");
		}
	}
	closedir(d);
	return n;
}

static const char HDR_BYTES[] =
	"# HELP memtrack_node_bytes Bytes tracked under the memtrack node, its descendants included.\n"
	"# TYPE memtrack_node_bytes gauge\n";
static const char HDR_PEAK[] =
	"# HELP memtrack_node_peak_bytes Highest memtrack_node_bytes since the node appeared or its peak was reset.\n"
	"# TYPE memtrack_node_peak_bytes gauge\n";
static const char HDR_ALERT[] =
	"# HELP memtrack_alert_active Raised memtrackd alerts, 1 per node path and rule.\n"
	"# TYPE memtrack_alert_active gauge\n";

static char *join(const char *a, const char *b, const char *c, const char *d,
		  const char *e, const char *f)
{
	char *s;

	if (asprintf(&s, "%s%s%s%s%s%s", a, b, c, d, e, f) < 0)
		exit(2);
	return s;
}

/* ---- the tests ---------------------------------------------------------- */

static const struct mtd_prom_node tricky_nodes[] = {
	{ "vpu0", 1048576, 2097152 },
	{ "vpu0/stream \"3\"", 4096, 8192 },
	{ "C:\\dir\\", 0, 18446744073709551615u },
	{ "line1\nline2", 1, 2 },
	{ "#17/\\\"\n", 5, 6 },
};

static const struct mtd_prom_alert tricky_alerts[] = {
	{ "vpu0", "vpu-frames", "warning" },
	{ "vpu0/stream \"3\"", "rule\\with\nall\"three", "critical" },
};

static void test_escaping(void)
{
	char *want, *got;
	int r;

	want = join(
		HDR_BYTES,
		"memtrack_node_bytes{path=\"vpu0\"} 1048576\n"
		"memtrack_node_bytes{path=\"vpu0/stream \\\"3\\\"\"} 4096\n"
		"memtrack_node_bytes{path=\"C:\\\\dir\\\\\"} 0\n"
		"memtrack_node_bytes{path=\"line1\\nline2\"} 1\n"
		"memtrack_node_bytes{path=\"#17/\\\\\\\"\\n\"} 5\n",
		HDR_PEAK,
		"memtrack_node_peak_bytes{path=\"vpu0\"} 2097152\n"
		"memtrack_node_peak_bytes{path=\"vpu0/stream \\\"3\\\"\"} 8192\n"
		"memtrack_node_peak_bytes{path=\"C:\\\\dir\\\\\"} 18446744073709551615\n"
		"memtrack_node_peak_bytes{path=\"line1\\nline2\"} 2\n"
		"memtrack_node_peak_bytes{path=\"#17/\\\\\\\"\\n\"} 6\n",
		HDR_ALERT,
		"memtrack_alert_active{path=\"vpu0\",rule=\"vpu-frames\",severity=\"warning\"} 1\n"
		"memtrack_alert_active{path=\"vpu0/stream \\\"3\\\"\",rule=\"rule\\\\with\\nall\\\"three\",severity=\"critical\"} 1\n");
	got = format(tricky_nodes, 5, tricky_alerts, 2, &r);
	check_int(r, 0, "format: quotes, backslashes, newlines: returns 0");
	check_str(got, want,
		  "format: quotes, backslashes, newlines: exact text");
	check_int(check_grammar(got), 12,
		  "format: escaped text parses, 12 samples");
	free(got);
	free(want);
}

static void test_empty(void)
{
	char *want, *got;
	int r;

	want = join(HDR_BYTES, HDR_PEAK, HDR_ALERT, "", "", "");
	got = format(NULL, 0, NULL, 0, &r);
	check_int(r, 0, "format: no nodes, no alerts: returns 0");
	check_str(got, want, "format: no nodes, no alerts: only HELP and TYPE");
	check_int(check_grammar(got), 0, "format: empty text parses");
	free(got);
	free(want);

	{
		const struct mtd_prom_node one = { "a", 1, 2 };

		want = join(HDR_BYTES, "memtrack_node_bytes{path=\"a\"} 1\n",
			    HDR_PEAK,
			    "memtrack_node_peak_bytes{path=\"a\"} 2\n",
			    HDR_ALERT, "");
		got = format(&one, 1, NULL, 0, &r);
		check_str(got, want, "format: one node, no alerts");
		free(got);
		free(want);
	}
}

static void test_utf8(void)
{
	static const struct mtd_prom_node nodes[] = {
		/* valid: 2-, 3- and 4-byte sequences stay */
		{ "gr\xc3\xbc\xc3\x9f/\xe2\x82\xac/\xf0\x9f\x98\x80", 1, 1 },
		/* lone continuation, bad lead, truncated at the end */
		{ "a\x80z\xffz\xe2\x82", 2, 2 },
		/* overlong '/', overlong 3-byte, surrogate, above U+10FFFF */
		{ "\xc0\xaf|\xe0\x80\xaf|\xed\xa0\x80|\xf4\x90\x80\x80", 3, 3 },
	};
	const char *r1 = "\xef\xbf\xbd";
	char want_line[512];
	char *got;
	int r;

	got = format(nodes, 3, NULL, 0, &r);
	check_int(r, 0, "utf-8: returns 0");
	check(got && strstr(got,
			    "memtrack_node_bytes{path=\"gr\xc3\xbc\xc3\x9f/\xe2\x82\xac/\xf0\x9f\x98\x80\"} 1\n"),
	      "utf-8: valid multi-byte sequences kept");
	snprintf(want_line, sizeof(want_line),
		 "memtrack_node_bytes{path=\"a%sz%sz%s%s\"} 2\n", r1, r1, r1,
		 r1);
	check(got && strstr(got, want_line) != NULL,
	      "utf-8: each byte of a bad sequence becomes U+FFFD");
	snprintf(
		want_line, sizeof(want_line),
		"memtrack_node_bytes{path=\"%s%s|%s%s%s|%s%s%s|%s%s%s%s\"} 3\n",
		r1, r1, r1, r1, r1, r1, r1, r1, r1, r1, r1, r1);
	check(got && strstr(got, want_line) != NULL,
	      "utf-8: overlong, surrogate and > U+10FFFF replaced");
	check_int(got ? check_grammar(got) : -1000, 6,
		  "utf-8: repaired text parses");
	free(got);
}

static void test_dups(void)
{
	static const struct mtd_prom_node nodes[] = {
		{ "a", 1, 10 },
		{ "b", 2, 20 },
		{ "a", 3, 30 },
		/* "c\xff" and "c\xfe" both become "c\uFFFD" */
		{ "c\xff", 4, 40 },
		{ "c\xfe", 5, 50 },
		{ "b", 6, 60 },
	};
	static const struct mtd_prom_alert alerts[] = {
		{ "a", "r1", "warning" },
		{ "a", "r2", "warning" },
		{ "a", "r1", "critical" },
		{ "b", "r1", "critical" },
	};
	char *want, *got;
	int r;

	want = join(
		HDR_BYTES,
		"memtrack_node_bytes{path=\"a\"} 1\n"
		"memtrack_node_bytes{path=\"b\"} 2\n"
		"memtrack_node_bytes{path=\"c\xef\xbf\xbd\"} 4\n",
		HDR_PEAK,
		"memtrack_node_peak_bytes{path=\"a\"} 10\n"
		"memtrack_node_peak_bytes{path=\"b\"} 20\n"
		"memtrack_node_peak_bytes{path=\"c\xef\xbf\xbd\"} 40\n",
		HDR_ALERT,
		"memtrack_alert_active{path=\"a\",rule=\"r1\",severity=\"warning\"} 1\n"
		"memtrack_alert_active{path=\"a\",rule=\"r2\",severity=\"warning\"} 1\n"
		"memtrack_alert_active{path=\"b\",rule=\"r1\",severity=\"critical\"} 1\n");
	got = format(nodes, 6, alerts, 4, &r);
	check_int(r, 0, "duplicates: returns 0");
	check_str(got, want,
		  "duplicates: first entry of a path / (path, rule) kept");
	free(got);
	free(want);
}

static void test_errors(void)
{
	const struct mtd_prom_node bad_node[] = { { "a", 1, 1 },
						  { NULL, 1, 1 } };
	const struct mtd_prom_alert bad_alert[] = { { "a", "r", NULL } };
	const struct mtd_prom_node ok_node = { "a", 1, 1 };
	char *got;
	FILE *full;
	int r;

	got = format(bad_node, 2, NULL, 0, &r);
	check_int(r, -EINVAL, "errors: NULL path is -EINVAL");
	check_str(got, "", "errors: nothing written for -EINVAL");
	free(got);
	got = format(&ok_node, 1, bad_alert, 1, &r);
	check_int(r, -EINVAL, "errors: NULL severity is -EINVAL");
	free(got);
	got = format(NULL, 1, NULL, 0, &r);
	check_int(r, -EINVAL, "errors: NULL array with a count is -EINVAL");
	free(got);

	full = fopen("/dev/full", "we");
	if (!full) {
		check(1, "errors: # SKIP no /dev/full");
		return;
	}
	setvbuf(full, NULL, _IONBF, 0);
	r = mtd_prom_format(full, &ok_node, 1, NULL, 0);
	check_int(r, -ENOSPC, "errors: failed write returns -ENOSPC");
	fclose(full);
}

static void test_write(void)
{
	char dir[] = "/tmp/test-prom.XXXXXX";
	char file[128], sub[128], names[512], *text, *want;
	struct stat st, st2;
	mode_t old_umask;
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(file, sizeof(file), "%s/memtrack.prom", dir);

	old_umask = umask(077);
	r = mtd_prom_write(file, tricky_nodes, 5, tricky_alerts, 2);
	umask(old_umask);
	check_int(r, 0, "write: returns 0");
	check_int(list_dir(dir, names, sizeof(names)), 1,
		  "write: only the target file in the directory");
	check_str(names, "memtrack.prom ",
		  "write: the file has the given name");
	check(stat(file, &st) == 0 && (st.st_mode & 07777) == 0644 &&
		      S_ISREG(st.st_mode),
	      "write: regular file, mode 0644 under umask 077");
	text = read_file(file);
	want = format(tricky_nodes, 5, tricky_alerts, 2, &r);
	check_str(text, want, "write: content is mtd_prom_format()'s");
	check_int(text ? check_grammar(text) : -1000, 12,
		  "write: file parses, 12 samples");
	free(text);
	free(want);

	/* Replace: new inode renamed over the old one. */
	r = mtd_prom_write(file, NULL, 0, NULL, 0);
	check_int(r, 0, "write: replacing returns 0");
	check(stat(file, &st2) == 0 && st2.st_ino != st.st_ino,
	      "write: replaced by rename (new inode)");
	text = read_file(file);
	want = format(NULL, 0, NULL, 0, &r);
	check_str(text, want, "write: replaced content");
	check_int(list_dir(dir, names, sizeof(names)), 1,
		  "write: no temp file after replacing");
	free(text);

	/* A failed format leaves the old file and no temp file. */
	{
		const struct mtd_prom_node bad = { NULL, 1, 1 };

		r = mtd_prom_write(file, &bad, 1, NULL, 0);
		check_int(r, -EINVAL, "write: bad input is -EINVAL");
		text = read_file(file);
		check_str(text, want, "write: old file kept after a failure");
		check_int(list_dir(dir, names, sizeof(names)), 1,
			  "write: temp file removed after a failed format");
		free(text);
	}
	free(want);

	/* A failed rename (target is a non-empty directory). */
	snprintf(sub, sizeof(sub), "%s/dir.prom", dir);
	mkdir(sub, 0755);
	snprintf(file, sizeof(file), "%s/dir.prom/x", dir);
	close(creat(file, 0644));
	r = mtd_prom_write(sub, tricky_nodes, 5, NULL, 0);
	check(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST,
	      "write: rename over a directory fails");
	check_int(list_dir(dir, names, sizeof(names)), 2,
		  "write: temp file removed after a failed rename");

	/* Missing directory. */
	snprintf(file, sizeof(file), "%s/missing/memtrack.prom", dir);
	check_int(mtd_prom_write(file, NULL, 0, NULL, 0), -ENOENT,
		  "write: missing directory is -ENOENT");
	check_int(mtd_prom_write("", NULL, 0, NULL, 0), -EINVAL,
		  "write: empty file name is -EINVAL");
	snprintf(file, sizeof(file), "%s/", dir);
	check_int(mtd_prom_write(file, NULL, 0, NULL, 0), -EISDIR,
		  "write: name ending in '/' is -EISDIR");

	/* A bare file name goes to the current directory. */
	{
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) && chdir(dir) == 0) {
			r = mtd_prom_write("bare.prom", NULL, 0, NULL, 0);
			check(r == 0 && access("bare.prom", F_OK) == 0,
			      "write: bare file name, current directory");
			check_int(list_dir(".", names, sizeof(names)), 3,
				  "write: no temp file for a bare name");
			unlink("bare.prom");
			if (chdir(cwd) < 0)
				perror("chdir");
		} else {
			check(0, "write: chdir to the test directory");
		}
	}

	snprintf(file, sizeof(file), "%s/dir.prom/x", dir);
	unlink(file);
	rmdir(sub);
	snprintf(file, sizeof(file), "%s/memtrack.prom", dir);
	unlink(file);
	check(rmdir(dir) == 0, "write: test directory left empty");
}

static void test_checker(void)
{
	/* The checker itself must reject what the collector rejects. */
	check(check_grammar("# TYPE m gauge\nm{a=\"x\"} 1\n") == 1,
	      "checker: accepts a good line");
	check(check_grammar("# TYPE m gauge\nm{a=\"x\"} 1") < 0,
	      "checker: rejects a missing final newline");
	check(check_grammar("# TYPE m gauge\nm{a=\"x\ny\"} 1\n") < 0,
	      "checker: rejects a raw newline in a value");
	check(check_grammar("# TYPE m gauge\nm{a=\"x\\ty\"} 1\n") < 0,
	      "checker: rejects an unknown escape");
	check(check_grammar("# TYPE m gauge\nm{a=\"x\"y\"} 1\n") < 0,
	      "checker: rejects a raw quote");
	check(check_grammar("# TYPE m gauge\nm{a=\"\xff\"} 1\n") < 0,
	      "checker: rejects invalid UTF-8");
	check(check_grammar("m 1\n") < 0, "checker: rejects an untyped sample");
	check(check_grammar("# TYPE m gauge\n# TYPE n gauge\nm 1\nn 1\nm 2\n") <
		      0,
	      "checker: rejects a family split in two");
}

int main(void)
{
	test_checker();
	test_escaping();
	test_empty();
	test_utf8();
	test_dups();
	test_errors();
	test_write();

	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
