/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One print path for text and JSON, in the style of iproute2's json_print:
 * every value is printed by one call that writes either its text form
 * (with a printf format) or a JSON member (with a key), depending on the
 * printer's mode and on the call's type (PR_ANY, PR_TEXT or PR_JSON).
 */
#ifndef MEMTRACKCTL_PRINT_H
#define MEMTRACKCTL_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deepest JSON nesting a printer supports. */
#define PR_MAX_LEVEL 128

enum pr_type {
	PR_ANY,		/* text with the format, JSON with the key */
	PR_TEXT,	/* text mode only */
	PR_JSON,	/* JSON mode only */
};

/**
 * struct printer - output state; no global state, one per output stream
 * @f: output stream
 * @json: JSON mode, else text
 * @pretty: indent JSON
 * @exact_bytes: pr_bytes() prints exact byte counts in text mode
 * @level: current JSON nesting level
 * @count: values written so far at each level (for commas)
 * @err: first error (negative errno), sticky
 * @dirty: text mode: the current line has text
 */
struct printer {
	FILE *f;
	bool json;
	bool pretty;
	bool exact_bytes;
	unsigned int level;
	unsigned int count[PR_MAX_LEVEL];
	int err;
	bool dirty;
};

/*
 * Set up @p to print to @f.  @f must only be used from one thread: its
 * stdio locking is turned off.  JSON keys must be plain ASCII identifiers
 * (they are not escaped); string values are escaped.
 */
void pr_init(struct printer *p, FILE *f, bool json, bool pretty,
	     bool exact_bytes);

/* JSON containers; @key is NULL inside an array or at the top level. */
void pr_open_object(struct printer *p, const char *key);
void pr_close_object(struct printer *p);
void pr_open_array(struct printer *p, const char *key);
void pr_close_array(struct printer *p);

/*
 * A value: in text mode printed with @fmt (skipped if NULL), in JSON mode
 * as the member @key (or an array element if @key is NULL).  @fmt must be
 * a string literal taking exactly one argument: %llu for pr_u64(), %s for
 * pr_str() and pr_bytes() (it is not checked by the compiler).
 */
void pr_u64(struct printer *p, enum pr_type t, const char *key,
	    const char *fmt, uint64_t v);
void pr_str(struct printer *p, enum pr_type t, const char *key,
	    const char *fmt, const char *s);
/* Text: @fmt gets the value in units as a string (see fmt_bytes()). */
void pr_bytes(struct printer *p, enum pr_type t, const char *key,
	      const char *fmt, uint64_t v);

/* A boolean: JSON true or false; text: @fmt gets "yes" or "no". */
void pr_bool(struct printer *p, enum pr_type t, const char *key,
	     const char *fmt, bool v);

/*
 * A floating-point value: text with @fmt (one double argument, e.g.
 * "%.1f"), JSON as a number with up to 15 significant digits, or null when
 * it is not finite.
 */
void pr_double(struct printer *p, enum pr_type t, const char *key,
	       const char *fmt, double v);

/*
 * A column of a text table: two spaces, then the value right-aligned in
 * @width (bytes in units, see fmt_bytes()).  JSON: the member @key.
 */
void pr_col_u64(struct printer *p, const char *key, int width, uint64_t v);
void pr_col_bytes(struct printer *p, const char *key, int width, uint64_t v);
/* JSON: null; text: @fmt printed as is. */
void pr_null(struct printer *p, enum pr_type t, const char *key,
	     const char *fmt);

/* Text mode only: free text. */
void pr_text(struct printer *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * End of a line: in text mode a newline if the line has text (so the last
 * pr_nl() of a document adds no empty line); in JSON mode a newline only
 * after a complete top-level value (so a stream of objects is one per line).
 */
void pr_nl(struct printer *p);

/* Flush; return the first error (negative errno) or 0. */
int pr_finish(struct printer *p);

/* Write @s as a JSON string literal, quotes included; invalid UTF-8 and
 * control characters are escaped so the result is always valid JSON. */
void json_write_string(FILE *f, const char *s);

/* ---- units -------------------------------------------------------------- */

/* Room for any fmt_bytes() or fmt_percent() result. */
#define FMT_BYTES_MAX 32

/**
 * fmt_bytes() - a byte count for people
 * @buf: output, at least FMT_BYTES_MAX bytes
 * @size: its size
 * @v: bytes
 * @exact: print the exact number
 *
 * Below 1024: "512 B".  Else 1024-based units with one decimal, rounded to
 * nearest: "1.5 KiB", "16.0 MiB", "2.0 GiB", up to EiB.
 *
 * Return: @buf.
 */
const char *fmt_bytes(char *buf, size_t size, uint64_t v, bool exact);

/**
 * fmt_percent() - @part as a percentage of @whole, one decimal ("66.7%"),
 * or "-" when @whole is 0.
 *
 * Return: @buf.
 */
const char *fmt_percent(char *buf, size_t size, uint64_t part, uint64_t whole);

/**
 * parse_u64() - a whole decimal number, nothing else
 *
 * Return: 0, or -EINVAL (not a number) or -ERANGE.
 */
int parse_u64(const char *s, uint64_t *out);

/**
 * put_u64() - the decimal digits of @v at @p, without a NUL
 * @p: room for 20 characters
 *
 * Return: the end of the digits.
 */
char *put_u64(char *p, uint64_t v);

/* Display width of a UTF-8 string in terminal columns (one per code point). */
size_t utf8_width(const char *s);

#endif /* MEMTRACKCTL_PRINT_H */
