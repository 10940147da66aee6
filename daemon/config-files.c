// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which files make up the memtrackd configuration, and reading them.
 * The drop-in rules follow systemd's: a name in an earlier directory
 * hides the same name in later ones, a link to /dev/null masks it, and
 * the survivors are read in name order after the main file, so that a
 * vendor file in /usr/lib can be overridden or turned off from /etc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "config.h"
#include "config-internal.h"

#define FILE_MAX_BYTES (4 << 20)

static const char *const dropin_dirs[] = {
	"/etc", "/run", "/usr/local/lib", "/usr/lib",
};

struct dropin {
	char *name;
	char *path;	/* NULL: masked */
};

static int dropin_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name,
		      ((const struct dropin *)b)->name);
}

static bool is_dev_null(int dfd, const char *name)
{
	char target[16];
	struct stat st;
	ssize_t n = readlinkat(dfd, name, target, sizeof(target));

	if (n == 9 && !memcmp(target, "/dev/null", 9))
		return true;
	/* Also a relative link, or a chain of links, that ends at null. */
	return n >= 0 && !fstatat(dfd, name, &st, 0) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(1, 3);
}

/* Add the *.conf of one directory unless an earlier one had the name. */
static int scan_dir(const char *dir, struct dropin **list, size_t *n)
{
	struct dropin *l;
	struct dirent *de;
	struct stat st;
	size_t i, len;
	DIR *dp = opendir(dir);
	int r = 0;

	if (!dp)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while (!r && (de = readdir(dp))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".conf"))
			continue;
		for (i = 0; i < *n && strcmp((*list)[i].name, de->d_name); i++)
			;
		if (i < *n || (!fstatat(dirfd(dp), de->d_name, &st, 0) &&
			       S_ISDIR(st.st_mode)))
			continue;
		l = realloc(*list, (*n + 1) * sizeof(*l));
		if (!l || !(l[*n].name = strdup(de->d_name))) {
			*list = l ? l : *list;
			r = -ENOMEM;
			break;
		}
		*list = l;
		/* A masked name stays listed so that later directories skip it. */
		l[(*n)++].path = NULL;
		if (!is_dev_null(dirfd(dp), de->d_name) &&
		    asprintf(&l[*n - 1].path, "%s/%s", dir, de->d_name) < 0) {
			l[*n - 1].path = NULL;
			r = -ENOMEM;
		}
	}
	closedir(dp);
	return r;
}

static int list_files(const char *root, char ***out, char *err,
		      size_t errlen)
{
	struct dropin *list = NULL;
	size_t n = 0, i, rlen, nout = 0;
	char **files = NULL, *dir = NULL, *main_file = NULL;
	struct stat st;
	int r = -ENOMEM;

	if (!root)
		root = "";
	/* "/" and "/tmp/x/" must not give "//etc" or "/tmp/x//etc". */
	for (rlen = strlen(root); rlen && root[rlen - 1] == '/'; rlen--)
		;
	if (asprintf(&main_file, "%.*s/etc/memtrackd.conf", (int)rlen, root) < 0) {
		main_file = NULL;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(dropin_dirs); i++) {
		if (asprintf(&dir, "%.*s%s/memtrackd.conf.d", (int)rlen, root,
			     dropin_dirs[i]) < 0)
			goto out;
		r = scan_dir(dir, &list, &n);
		if (r) {
			errf(err, errlen, "%s: cannot list drop-ins: %s", dir,
			     strerror(-r));
			free(dir);
			goto out;
		}
		free(dir);
		r = -ENOMEM;
	}
	if (n)
		qsort(list, n, sizeof(*list), dropin_cmp);
	files = calloc(n + 2, sizeof(*files));
	if (!files)
		goto out;
	/* Anything but "not there" is for the reader to report. */
	if (!stat(main_file, &st) || (errno != ENOENT && errno != ENOTDIR)) {
		files[nout++] = main_file;
		main_file = NULL;
	}
	for (i = 0; i < n; i++)
		if (list[i].path) {
			files[nout++] = list[i].path;
			list[i].path = NULL;
		}
	*out = files;
	files = NULL;
	r = (int)nout;
out:
	if (r == -ENOMEM)
		errf(err, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].path);
	}
	free(list);
	free(main_file);
	free(files);
	return r;
}

int mtd_config_files(const char *root, char ***out)
{
	return list_files(root, out, NULL, 0);
}

void mtd_config_files_free(char **files)
{
	char **f;

	for (f = files; f && *f; f++)
		free(*f);
	free(files);
}

static int read_file(const char *path, char **text, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t k = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r = 0;

	if (fd < 0)
		return -errno;
	/* A directory fails in read() with EISDIR, which is the message. */
	while (!r && k) {
		if (n == cap) {
			cap += 16384;
			nb = cap > FILE_MAX_BYTES + 16384 ? NULL :
				realloc(buf, cap);
			if (!nb) {
				r = cap > FILE_MAX_BYTES + 16384 ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0)
			r = errno == EINTR ? 0 : -errno;
		else
			n += (size_t)k;
	}
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	*text = buf;
	*len = n;
	return 0;
}

int mtd_config_load(struct mtd_config *cfg, const char *root, char *err,
		    size_t errlen)
{
	struct mtd_config fresh;
	char **files = NULL, *text = NULL;
	size_t len = 0;
	int r, i;

	r = list_files(root, &files, err, errlen);
	if (r < 0)
		return r;
	mtd_config_init(&fresh);
	for (i = 0, r = 0; files[i] && !r; i++) {
		r = read_file(files[i], &text, &len);
		if (r) {
			errf(err, errlen, "%s: cannot read: %s", files[i],
			     strerror(-r));
			break;
		}
		r = mtd_config_parse_text(&fresh, files[i], text, len, err,
					  errlen);
		free(text);
	}
	if (!r)
		r = mtd_config_validate(&fresh, err, errlen);
	mtd_config_files_free(files);
	if (r) {
		mtd_config_free(&fresh);
		return r;
	}
	mtd_config_free(cfg);
	*cfg = fresh;
	if (err && errlen)
		err[0] = '\0';
	return 0;
}
