/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemtrackctl internals.  msg.c and tree.c are pure (no sockets), so
 * they can be unit-tested and fuzzed with constructed messages.
 */
#ifndef MTC_INTERNAL_H
#define MTC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memtrackctl.h"

#define MTC_EXPORT __attribute__((visibility("default")))
#define MTC_ERRMSG_MAX 256

struct nlmsghdr;

/* Fields of a parsed node message beyond struct mtc_node. */
struct mtc_msg_info {
	uint8_t cmd;
	bool has_event_seq;
	uint32_t event_seq;
};

int mtc_msg_parse_node(struct nlmsghdr *nlh, struct mtc_node *node,
		       struct mtc_msg_info *info, char *err, size_t errlen);

struct mtc_tree *mtc_tree_new(void);
int mtc_tree_add(struct mtc_tree *tree, const struct mtc_node *node);

#endif /* MTC_INTERNAL_H */
