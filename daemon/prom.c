// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Prometheus textfile-collector output; see prom.h.
 */
#define _GNU_SOURCE /* asprintf, mkostemp */

#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * Length of the well-formed UTF-8 sequence at @s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when there is none.
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}

	for (i = 1; i < len; i++) {
		/* Stops at the terminating NUL too. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}

	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * @s as a label value, without the quotes: '\\', '"' and newline escaped,
 * every byte of an invalid UTF-8 sequence replaced by U+FFFD.  NULL on
 * -ENOMEM.
 */
static char *label_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t n;

	/* At most 3 output bytes per input byte (U+FFFD). */
	n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(n * 3 + 1);
	if (!out)
		return NULL;

	o = out;
	while (*p) {
		size_t len = utf8_seq_len(p);

		if (len == 0) {
			memcpy(o, UTF8_REPLACEMENT, 3);
			o += 3;
			p++;
		} else if (*p == '\\' || *p == '"') {
			*o++ = '\\';
			*o++ = (char)*p++;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
			p++;
		} else {
			memcpy(o, p, len);
			o += len;
			p += len;
		}
	}
	*o = '\0';
	return out;
}

/* A series' label values, escaped, and whether an earlier entry has them. */
struct series {
	size_t index;
	char *label[3];
	bool dup;
};

static int series_cmp(const void *a, const void *b)
{
	const struct series *x = *(const struct series *const *)a;
	const struct series *y = *(const struct series *const *)b;
	int r, i;

	/* Dedup keys: the path, and for alerts the rule (not severity). */
	for (i = 0; i < 2; i++) {
		if (!x->label[i] || !y->label[i])
			break;
		r = strcmp(x->label[i], y->label[i]);
		if (r)
			return r;
	}
	return x->index < y->index ? -1 : x->index > y->index;
}

static bool series_same_key(const struct series *x, const struct series *y)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!x->label[i] || !y->label[i])
			break;
		if (strcmp(x->label[i], y->label[i]))
			return false;
	}
	return true;
}

static void series_free(struct series *s, size_t n)
{
	size_t i;
	int j;

	if (!s)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < 3; j++)
			free(s[i].label[j]);
	free(s);
}

/* Mark every entry whose key an entry with a lower index has. */
static int series_mark_dups(struct series *s, size_t n)
{
	struct series **sorted;
	size_t i;

	if (n < 2)
		return 0;
	sorted = calloc(n, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		sorted[i] = &s[i];
	qsort(sorted, n, sizeof(*sorted), series_cmp);
	for (i = 1; i < n; i++)
		if (series_same_key(sorted[i - 1], sorted[i]))
			sorted[i]->dup = true;
	free(sorted);
	return 0;
}

static int write_err(void)
{
	return errno > 0 ? -errno : -EIO;
}

static int put_header(FILE *f, const char *name, const char *help)
{
	errno = 0;
	if (fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name) < 0)
		return write_err();
	return 0;
}

int mtd_prom_format(FILE *f, const struct mtd_prom_node *nodes, size_t n_nodes,
		    const struct mtd_prom_alert *alerts, size_t n_alerts)
{
	struct series *ns = NULL, *as = NULL;
	size_t i;
	int r;

	if (!f || (n_nodes && !nodes) || (n_alerts && !alerts))
		return -EINVAL;
	for (i = 0; i < n_nodes; i++)
		if (!nodes[i].path)
			return -EINVAL;
	for (i = 0; i < n_alerts; i++)
		if (!alerts[i].path || !alerts[i].rule || !alerts[i].severity)
			return -EINVAL;

	r = -ENOMEM;
	if (n_nodes) {
		ns = calloc(n_nodes, sizeof(*ns));
		if (!ns)
			goto out;
	}
	for (i = 0; i < n_nodes; i++) {
		ns[i].index = i;
		ns[i].label[0] = label_escape(nodes[i].path);
		if (!ns[i].label[0])
			goto out;
	}
	if (n_alerts) {
		as = calloc(n_alerts, sizeof(*as));
		if (!as)
			goto out;
	}
	for (i = 0; i < n_alerts; i++) {
		as[i].index = i;
		as[i].label[0] = label_escape(alerts[i].path);
		as[i].label[1] = label_escape(alerts[i].rule);
		as[i].label[2] = label_escape(alerts[i].severity);
		if (!as[i].label[0] || !as[i].label[1] || !as[i].label[2])
			goto out;
	}
	r = series_mark_dups(ns, n_nodes);
	if (r < 0)
		goto out;
	r = series_mark_dups(as, n_alerts);
	if (r < 0)
		goto out;

	r = put_header(
		f, "memtrack_node_bytes",
		"Bytes tracked under the memtrack node, its descendants included.");
	if (r < 0)
		goto out;
	for (i = 0; i < n_nodes; i++) {
		if (ns[i].dup)
			continue;
		errno = 0;
		if (fprintf(f, "memtrack_node_bytes{path=\"%s\"} %" PRIu64 "\n",
			    ns[i].label[0], nodes[i].bytes) < 0) {
			r = write_err();
			goto out;
		}
	}

	r = put_header(
		f, "memtrack_node_peak_bytes",
		"Highest memtrack_node_bytes since the node appeared or its peak was reset.");
	if (r < 0)
		goto out;
	for (i = 0; i < n_nodes; i++) {
		if (ns[i].dup)
			continue;
		errno = 0;
		if (fprintf(f,
			    "memtrack_node_peak_bytes{path=\"%s\"} %" PRIu64
			    "\n",
			    ns[i].label[0], nodes[i].peak_bytes) < 0) {
			r = write_err();
			goto out;
		}
	}

	r = put_header(f, "memtrack_alert_active",
		       "Raised memtrackd alerts, 1 per node path and rule.");
	if (r < 0)
		goto out;
	for (i = 0; i < n_alerts; i++) {
		if (as[i].dup)
			continue;
		errno = 0;
		if (fprintf(f,
			    "memtrack_alert_active{path=\"%s\",rule=\"%s\",severity=\"%s\"} 1\n",
			    as[i].label[0], as[i].label[1],
			    as[i].label[2]) < 0) {
			r = write_err();
			goto out;
		}
	}
	r = 0;
out:
	series_free(ns, n_nodes);
	series_free(as, n_alerts);
	return r;
}

/* Best effort: make the rename durable. */
static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int mtd_prom_write(const char *file, const struct mtd_prom_node *nodes,
		   size_t n_nodes, const struct mtd_prom_alert *alerts,
		   size_t n_alerts)
{
	const char *slash, *base;
	char *tmp = NULL, *dir = NULL;
	size_t dirlen;
	FILE *f = NULL;
	int fd = -1, r;

	if (!file || !*file)
		return -EINVAL;
	slash = strrchr(file, '/');
	base = slash ? slash + 1 : file;
	if (!*base)
		return -EISDIR;
	dirlen = slash ? (size_t)(slash - file) : 0;

	/* "<dir>/.<base>.XXXXXX"; dir "" means "/" when file is "/x". */
	if (asprintf(&tmp, "%.*s%s.%s.XXXXXX", (int)dirlen, file,
		     slash ? "/" : "", base) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	if (slash)
		dir = strndup(file, dirlen ? dirlen : 1);
	else
		dir = strdup(".");
	if (!dir) {
		free(tmp);
		return -ENOMEM;
	}

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		free(dir);
		return r;
	}
	if (fchmod(fd, 0644) < 0) {
		r = -errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		goto fail;
	}
	fd = -1; /* owned by f now */

	r = mtd_prom_format(f, nodes, n_nodes, alerts, n_alerts);
	if (r < 0)
		goto fail;
	errno = 0;
	if (fflush(f) != 0) {
		r = write_err();
		goto fail;
	}
	if (fsync(fileno(f)) < 0) {
		r = -errno;
		goto fail;
	}
	errno = 0;
	r = fclose(f);
	f = NULL;
	if (r != 0) {
		r = write_err();
		goto fail;
	}
	if (rename(tmp, file) < 0) {
		r = -errno;
		goto fail;
	}
	fsync_dir(dir);
	free(tmp);
	free(dir);
	return 0;

fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(dir);
	return r;
}
