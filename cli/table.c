// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text tables that are JSON too; see table.h.
 */
#include "table.h"

const char *text_safe(char *buf, size_t size, const char *s)
{
	unsigned char c;
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++) {
		c = s[i];
		buf[i] = c < 0x20 || c == 0x7f ? '?' : c;
	}
	buf[i] = '\0';
	return buf;
}

void tbl_text(struct tbl *t, const char *s)
{
	unsigned int i = t->col++;
	size_t w = utf8_width(s), pad;

	if (i >= t->n_cols)
		return;
	if (t->measure) {
		if (w > t->w[i])
			t->w[i] = w;
		return;
	}
	pad = t->w[i] > w ? t->w[i] - w : 0;
	if (t->cols[i].left && i + 1 == t->n_cols)
		pad = 0; /* no trailing blanks */
	if (t->cols[i].left)
		pr_text(t->p, "%s%s%*s", i ? "  " : "", s, (int)pad, "");
	else
		pr_text(t->p, "%s%*s%s", i ? "  " : "", (int)pad, "", s);
}

void cell_u64(struct tbl *t, const char *key, uint64_t v)
{
	char b[24];

	if (t->p->json) {
		pr_u64(t->p, PR_JSON, key, NULL, v);
		return;
	}
	*put_u64(b, v) = '\0';
	tbl_text(t, b);
}

void cell_bytes(struct tbl *t, const char *key, uint64_t v)
{
	char b[FMT_BYTES_MAX];

	if (t->p->json)
		pr_u64(t->p, PR_JSON, key, NULL, v);
	else
		tbl_text(t, fmt_bytes(b, sizeof(b), v, t->p->exact_bytes));
}

void cell_str(struct tbl *t, const char *key, const char *s, const char *empty)
{
	char b[TBL_CELL_MAX];

	if (t->p->json) {
		if (key)
			pr_str(t->p, PR_JSON, key, NULL, s);
		return;
	}
	tbl_text(t, *s ? text_safe(b, sizeof(b), s) : empty);
}

void cell_blank(struct tbl *t)
{
	if (!t->p->json)
		tbl_text(t, "");
}

void tbl_end_row(struct tbl *t)
{
	if (!t->measure)
		pr_nl(t->p);
	t->col = 0;
}

void tbl_run(struct printer *p, const struct tcol *cols, unsigned int n,
	     rows_fn *rows, const void *arg)
{
	struct tbl t = { .p = p, .cols = cols, .n_cols = n };
	unsigned int i;

	if (!p->json) {
		t.measure = true;
		for (i = 0; i < n; i++)
			tbl_text(&t, cols[i].head);
		tbl_end_row(&t);
		rows(&t, arg);
		t.measure = false;
		for (i = 0; i < n; i++)
			tbl_text(&t, cols[i].head);
		tbl_end_row(&t);
	}
	rows(&t, arg);
}
