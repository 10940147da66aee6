/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tables on the one print path (print.h): a text table is printed in two
 * passes over the same row function, the first only measuring the cells
 * (column widths), the second printing them; in JSON mode there is one
 * pass and each cell is a member of the row's object.  So a row is
 * written once for both modes and they cannot drift apart.  Text cells
 * are two spaces apart, right-aligned unless the column says left; a
 * left-aligned last column gets no trailing blanks.
 *
 * The row function opens and closes each row's JSON object (no-ops in
 * text), calls one cell_*() per column, in order, and tbl_end_row().
 */
#ifndef MEMTRACKCTL_TABLE_H
#define MEMTRACKCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "print.h"

#define TBL_COLS 12
#define TBL_CELL_MAX 256 /* longest text cell of cell_str() */
#define N_COLS(c) (sizeof(c) / sizeof((c)[0]))

struct tcol {
	const char *head;
	bool left; /* left-aligned (text), else right-aligned */
};

/**
 * struct tbl - one table being printed
 * @p: printer
 * @cols: the columns
 * @n_cols: their number
 * @col: next column of the current row
 * @measure: text, first pass: record widths, print nothing
 * @w: column widths, in terminal columns
 */
struct tbl {
	struct printer *p;
	const struct tcol *cols;
	unsigned int n_cols;
	unsigned int col;
	bool measure;
	size_t w[TBL_COLS];
};

/* Prints the rows of a table (called twice in text mode). */
typedef void rows_fn(struct tbl *t, const void *arg);

/* The table: header (text) and rows. */
void tbl_run(struct printer *p, const struct tcol *cols, unsigned int n,
	     rows_fn *rows, const void *arg);

/* Text: one cell, as is (the caller made it safe). */
void tbl_text(struct tbl *t, const char *s);
/* A number; JSON: member @key. */
void cell_u64(struct tbl *t, const char *key, uint64_t v);
/* Bytes, in units unless the printer wants exact bytes; JSON: exact. */
void cell_bytes(struct tbl *t, const char *key, uint64_t v);
/* JSON: @s as member @key (none if NULL); text: @s made safe, or @empty
 * if @s is "". */
void cell_str(struct tbl *t, const char *key, const char *s, const char *empty);
/* Text: an empty cell; JSON: nothing. */
void cell_blank(struct tbl *t);
/* End of a row. */
void tbl_end_row(struct tbl *t);

/* @s for a terminal, in @buf: control characters (a name may hold any)
 * as '?'.  Return: @buf. */
const char *text_safe(char *buf, size_t size, const char *s);

#endif /* MEMTRACKCTL_TABLE_H */
