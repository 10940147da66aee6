// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One print path for text and JSON; see print.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

void pr_init(struct printer *p, FILE *f, bool json, bool pretty,
	     bool exact_bytes)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->json = json;
	p->pretty = json && pretty;
	p->exact_bytes = exact_bytes;
	/* Single-threaded output: no stdio lock per call (dumps are big). */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
}

static bool wanted(const struct printer *p, enum pr_type t)
{
	return t == PR_ANY || (t == PR_JSON) == p->json;
}

static unsigned int *level_count(struct printer *p, unsigned int level)
{
	return &p->count[level < PR_MAX_LEVEL ? level : PR_MAX_LEVEL - 1];
}

static void indent(struct printer *p, unsigned int level)
{
	fputc('\n', p->f);
	fprintf(p->f, "%*s", (int)(2 * level), "");
}

/* Separator, indentation and key of the next JSON value. */
static void json_begin_value(struct printer *p, const char *key)
{
	unsigned int *count = level_count(p, p->level);

	if (p->level > 0) {
		if (*count)
			fputc(',', p->f);
		if (p->pretty)
			indent(p, p->level);
	}
	if (key && p->level > 0) {
		/* Keys are our own plain ASCII: no escaping needed. */
		fputc('"', p->f);
		fputs(key, p->f);
		fputs(p->pretty ? "\": " : "\":", p->f);
	}
	++*count;
}

static void json_open(struct printer *p, const char *key, char c)
{
	if (!p->json)
		return;
	json_begin_value(p, key);
	fputc(c, p->f);
	if (++p->level >= PR_MAX_LEVEL && !p->err)
		p->err = -E2BIG;
	*level_count(p, p->level) = 0;
}

static void json_close(struct printer *p, char c)
{
	if (!p->json)
		return;
	if (!p->level) {
		if (!p->err)
			p->err = -EINVAL;
		return;
	}
	if (p->pretty && *level_count(p, p->level))
		indent(p, p->level - 1);
	p->level--;
	fputc(c, p->f);
}

void pr_open_object(struct printer *p, const char *key)
{
	json_open(p, key, '{');
}

void pr_close_object(struct printer *p)
{
	json_close(p, '}');
}

void pr_open_array(struct printer *p, const char *key)
{
	json_open(p, key, '[');
}

void pr_close_array(struct printer *p)
{
	json_close(p, ']');
}

/*
 * The text formats are the callers' string literals (see print.h); here
 * they are parameters, which -Wformat-nonliteral cannot see through.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void pr_u64(struct printer *p, enum pr_type t, const char *key,
	    const char *fmt, uint64_t v)
{
	char digits[20];

	if (!wanted(p, t))
		return;
	if (p->json) {
		json_begin_value(p, key);
		fwrite(digits, 1, put_u64(digits, v) - digits, p->f);
	} else if (fmt) {
		fprintf(p->f, fmt, (unsigned long long)v);
		p->dirty = true;
	}
}

void pr_str(struct printer *p, enum pr_type t, const char *key,
	    const char *fmt, const char *s)
{
	if (!wanted(p, t))
		return;
	if (p->json) {
		json_begin_value(p, key);
		json_write_string(p->f, s);
	} else if (fmt) {
		fprintf(p->f, fmt, s);
		p->dirty = true;
	}
}

void pr_bytes(struct printer *p, enum pr_type t, const char *key,
	      const char *fmt, uint64_t v)
{
	char buf[FMT_BYTES_MAX];

	if (!wanted(p, t))
		return;
	if (p->json)
		pr_u64(p, t, key, NULL, v);
	else if (fmt) {
		fprintf(p->f, fmt, fmt_bytes(buf, sizeof(buf), v,
					     p->exact_bytes));
		p->dirty = true;
	}
}

void pr_bool(struct printer *p, enum pr_type t, const char *key,
	     const char *fmt, bool v)
{
	if (!wanted(p, t))
		return;
	if (p->json) {
		json_begin_value(p, key);
		fputs(v ? "true" : "false", p->f);
	} else if (fmt) {
		fprintf(p->f, fmt, v ? "yes" : "no");
		p->dirty = true;
	}
}

void pr_double(struct printer *p, enum pr_type t, const char *key,
	       const char *fmt, double v)
{
	if (!wanted(p, t))
		return;
	if (p->json) {
		json_begin_value(p, key);
		/* No setlocale() in memtrackctl: the decimal point is '.'. */
		if (isfinite(v))
			fprintf(p->f, "%.15g", v);
		else
			fputs("null", p->f);
	} else if (fmt) {
		fprintf(p->f, fmt, v);
		p->dirty = true;
	}
}

#pragma GCC diagnostic pop

void pr_col_u64(struct printer *p, const char *key, int width, uint64_t v)
{
	if (p->json) {
		pr_u64(p, PR_JSON, key, NULL, v);
	} else {
		fprintf(p->f, "  %*llu", width, (unsigned long long)v);
		p->dirty = true;
	}
}

void pr_col_bytes(struct printer *p, const char *key, int width, uint64_t v)
{
	char buf[FMT_BYTES_MAX];

	if (p->json) {
		pr_u64(p, PR_JSON, key, NULL, v);
	} else {
		fprintf(p->f, "  %*s", width,
			fmt_bytes(buf, sizeof(buf), v, p->exact_bytes));
		p->dirty = true;
	}
}

void pr_null(struct printer *p, enum pr_type t, const char *key,
	     const char *fmt)
{
	if (!wanted(p, t))
		return;
	if (p->json) {
		json_begin_value(p, key);
		fputs("null", p->f);
	} else if (fmt) {
		fputs(fmt, p->f);
		p->dirty = true;
	}
}

void pr_text(struct printer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
	p->dirty = true;
}

void pr_nl(struct printer *p)
{
	if (!p->json) {
		if (p->dirty)
			fputc('\n', p->f);
		p->dirty = false;
	} else if (!p->level && p->count[0]) {
		fputc('\n', p->f);
		p->count[0] = 0;
	}
}

int pr_finish(struct printer *p)
{
	if (p->json && p->level && !p->err)
		p->err = -EINVAL;
	if (fflush(p->f) || ferror(p->f)) {
		if (!p->err)
			p->err = -(errno ?: EIO);
	}
	return p->err;
}

/* Length of the valid UTF-8 sequence at @s, or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Bytes that go into a JSON string as they are (the rest of ASCII). */
static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run;
	size_t len;

	fputc('"', f);
	while (*s) {
		/* The common case: a run of plain ASCII in one write. */
		for (run = s; json_plain(*s); s++)
			;
		if (s != run)
			fwrite(run, 1, s - run, f);
		if (!*s)
			break;
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			len = utf8_seq_len(s);
			if (!len) {
				/* Not UTF-8: U+FFFD REPLACEMENT CHARACTER. */
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, len, f);
			s += len;
			continue;
		}
		s++;
	}
	fputc('"', f);
}

/* ---- units -------------------------------------------------------------- */

char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

const char *fmt_bytes(char *buf, size_t size, uint64_t v, bool exact)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	const size_t n_units = sizeof(units) / sizeof(units[0]);
	unsigned __int128 div = 1024, tenths = 0;
	char tmp[FMT_BYTES_MAX], *p = tmp;
	size_t i;

	/* By hand rather than snprintf(): dumps call this per node. */
	if (exact || v < 1024) {
		p = put_u64(p, v);
		if (!exact)
			p = memcpy(p, " B", 2) + 2;
	} else {
		for (i = 0; i < n_units; i++, div *= 1024) {
			tenths = ((unsigned __int128)v * 10 + div / 2) / div;
			/* 1023.96 KiB rounds to 1024.0: say 1.0 MiB instead. */
			if (tenths < 10240 || i == n_units - 1)
				break;
		}
		p = put_u64(p, tenths / 10);
		*p++ = '.';
		*p++ = '0' + tenths % 10;
		*p++ = ' ';
		p = memcpy(p, units[i], 3) + 3;
	}
	*p = '\0';
	if ((size_t)(p - tmp) < size)
		memcpy(buf, tmp, p - tmp + 1);
	else if (size)
		buf[0] = '\0';
	return buf;
}

const char *fmt_percent(char *buf, size_t size, uint64_t part, uint64_t whole)
{
	char tmp[FMT_BYTES_MAX], *p = tmp;
	unsigned __int128 tenths;

	if (!whole) {
		*p++ = '-';
	} else {
		tenths = ((unsigned __int128)part * 1000 + whole / 2) / whole;
		p = put_u64(p, tenths / 10);
		*p++ = '.';
		*p++ = '0' + tenths % 10;
		*p++ = '%';
	}
	*p = '\0';
	if ((size_t)(p - tmp) < size)
		memcpy(buf, tmp, p - tmp + 1);
	else if (size)
		buf[0] = '\0';
	return buf;
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

size_t utf8_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}
