// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The example of libmemtrackctl's documentation, as a program: built
 * against the installed library with pkg-config by
 * tests/kernel/libmemtrackctl-install.sh.  Prints every root and its total.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <memtrackctl.h>

int main(void)
{
	struct mtc_handle *h;
	struct mtc_tree *tree;
	const struct mtc_node *n;
	int err;

	err = mtc_open(&h);
	if (err == -ENOENT) {
		fprintf(stderr, "memtrack kernel module not loaded\n");
		mtc_close(h);
		return 2;
	}
	if (err < 0 || (err = mtc_dump(h, 0, -1, &tree)) < 0) {
		fprintf(stderr, "%s\n", h ? mtc_strerror(h) : strerror(-err));
		mtc_close(h);
		return 1;
	}
	for (n = mtc_tree_roots(tree); n; n = n->next_sibling)
		printf("%s %llu\n", n->name, (unsigned long long)n->bytes);
	mtc_tree_free(tree);
	mtc_close(h);
	return 0;
}
