// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsing of memtrack node messages.  Everything the kernel sends is
 * checked: types and lengths by the attribute policy, then presence of
 * the attributes every node message must carry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/memtrack.h>

#include "internal.h"

static struct nla_policy node_policy[MEMTRACK_A_NODE_MAX + 1] = {
	[MEMTRACK_A_NODE_ID] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_PARENT_ID] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_NAME] = { .type = NLA_STRING, .maxlen = MTC_NAME_MAX },
	[MEMTRACK_A_NODE_KIND] = { .type = NLA_U32 },
	[MEMTRACK_A_NODE_DEPTH] = { .type = NLA_U32 },
	[MEMTRACK_A_NODE_BYTES] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_SELF_BYTES] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_COUNT] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_PEAK_BYTES] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_CREATOR_TGID] = { .type = NLA_U32 },
	[MEMTRACK_A_NODE_CREATOR_PID] = { .type = NLA_U32 },
	[MEMTRACK_A_NODE_CREATOR_COMM] = { .type = NLA_STRING,
					   .maxlen = MTC_COMM_MAX },
	[MEMTRACK_A_NODE_CREATED_NS] = { .type = NLA_U64 },
	[MEMTRACK_A_NODE_EVENT_SEQ] = { .type = NLA_U32 },
	[MEMTRACK_A_NODE_MAX_DEPTH] = { .type = NLA_U32 },
};

static const int required_attrs[] = {
	MEMTRACK_A_NODE_ID,	    MEMTRACK_A_NODE_KIND,
	MEMTRACK_A_NODE_DEPTH,	    MEMTRACK_A_NODE_BYTES,
	MEMTRACK_A_NODE_SELF_BYTES, MEMTRACK_A_NODE_COUNT,
	MEMTRACK_A_NODE_PEAK_BYTES,
};

static const char *const attr_names[MEMTRACK_A_NODE_MAX + 1] = {
	[MEMTRACK_A_NODE_ID] = "id",
	[MEMTRACK_A_NODE_KIND] = "kind",
	[MEMTRACK_A_NODE_DEPTH] = "depth",
	[MEMTRACK_A_NODE_BYTES] = "bytes",
	[MEMTRACK_A_NODE_SELF_BYTES] = "self-bytes",
	[MEMTRACK_A_NODE_COUNT] = "count",
	[MEMTRACK_A_NODE_PEAK_BYTES] = "peak-bytes",
};

static void copy_string(char *dst, size_t size, const struct nlattr *attr)
{
	if (!attr) {
		dst[0] = '\0';
		return;
	}
	snprintf(dst, size, "%.*s", nla_len(attr), (const char *)nla_data(attr));
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

/**
 * mtc_msg_parse_node() - parse one node message
 * @nlh: the message, whose length has been checked against what arrived
 * @node: filled in (tree links cleared)
 * @info: command and event sequence number
 * @err: message buffer for errors
 * @errlen: its size
 *
 * Return: 0, or -EBADMSG with @err explaining.
 */
int mtc_msg_parse_node(struct nlmsghdr *nlh, struct mtc_node *node,
		       struct mtc_msg_info *info, char *err, size_t errlen)
{
	struct nlattr *tb[MEMTRACK_A_NODE_MAX + 1];
	struct genlmsghdr *ghdr;
	size_t i;
	int ret;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
		snprintf(err, errlen, "node message truncated (%u bytes)",
			 nlh->nlmsg_len);
		return -EBADMSG;
	}
	ghdr = nlmsg_data(nlh);
	ret = genlmsg_parse(nlh, 0, tb, MEMTRACK_A_NODE_MAX, node_policy);
	if (ret < 0) {
		snprintf(err, errlen, "malformed node message: %s",
			 nl_geterror(ret));
		return -EBADMSG;
	}
	for (i = 0; i < sizeof(required_attrs) / sizeof(required_attrs[0]); i++) {
		if (!tb[required_attrs[i]]) {
			snprintf(err, errlen,
				 "node message lacks the %s attribute",
				 attr_names[required_attrs[i]]);
			return -EBADMSG;
		}
	}

	memset(node, 0, sizeof(*node));
	node->id = get_u64(tb, MEMTRACK_A_NODE_ID);
	if (!node->id) {
		snprintf(err, errlen, "node message with id 0");
		return -EBADMSG;
	}
	node->parent_id = get_u64(tb, MEMTRACK_A_NODE_PARENT_ID);
	copy_string(node->name, sizeof(node->name), tb[MEMTRACK_A_NODE_NAME]);
	node->kind = get_u32(tb, MEMTRACK_A_NODE_KIND);
	node->depth = get_u32(tb, MEMTRACK_A_NODE_DEPTH);
	node->bytes = get_u64(tb, MEMTRACK_A_NODE_BYTES);
	node->self_bytes = get_u64(tb, MEMTRACK_A_NODE_SELF_BYTES);
	node->count = get_u64(tb, MEMTRACK_A_NODE_COUNT);
	node->peak_bytes = get_u64(tb, MEMTRACK_A_NODE_PEAK_BYTES);
	node->creator_tgid = get_u32(tb, MEMTRACK_A_NODE_CREATOR_TGID);
	node->creator_pid = get_u32(tb, MEMTRACK_A_NODE_CREATOR_PID);
	copy_string(node->creator_comm, sizeof(node->creator_comm),
		    tb[MEMTRACK_A_NODE_CREATOR_COMM]);
	node->created_ns = get_u64(tb, MEMTRACK_A_NODE_CREATED_NS);

	if (node->kind < MTC_KIND_ROOT || node->kind > MTC_KIND_ALLOC) {
		snprintf(err, errlen, "node %llu has unknown kind %u",
			 (unsigned long long)node->id, node->kind);
		return -EBADMSG;
	}
	if ((node->kind == MTC_KIND_ROOT) != !node->parent_id) {
		snprintf(err, errlen,
			 "node %llu: a root must have no parent, others one",
			 (unsigned long long)node->id);
		return -EBADMSG;
	}

	info->cmd = ghdr->cmd;
	info->has_event_seq = tb[MEMTRACK_A_NODE_EVENT_SEQ] != NULL;
	info->event_seq = get_u32(tb, MEMTRACK_A_NODE_EVENT_SEQ);
	return 0;
}
