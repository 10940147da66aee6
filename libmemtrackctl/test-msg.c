// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of node message parsing and tree building, fed with messages
 * built here: well-formed, truncated and malformed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/memtrack.h>

#include "internal.h"

#include "test-tap.h"

struct spec {
	uint64_t id, parent_id, bytes;
	uint32_t kind, depth;
	const char *name;
	uint8_t cmd;
	int event_seq; /* -1: absent */
	int skip_attr; /* attribute left out, 0: none */
};

static struct nl_msg *build(const struct spec *s)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		abort();
	genlmsg_put(msg, 0, 0, 0x20, 0, 0, s->cmd ?: MEMTRACK_CMD_NODE_GET, 1);
#define PUT64(a, v) \
	do { if (s->skip_attr != (a)) nla_put_u64(msg, a, v); } while (0)
#define PUT32(a, v) \
	do { if (s->skip_attr != (a)) nla_put_u32(msg, a, v); } while (0)
	PUT64(MEMTRACK_A_NODE_ID, s->id);
	if (s->parent_id)
		PUT64(MEMTRACK_A_NODE_PARENT_ID, s->parent_id);
	if (s->name)
		nla_put_string(msg, MEMTRACK_A_NODE_NAME, s->name);
	PUT32(MEMTRACK_A_NODE_KIND, s->kind);
	PUT32(MEMTRACK_A_NODE_DEPTH, s->depth);
	PUT64(MEMTRACK_A_NODE_BYTES, s->bytes);
	PUT64(MEMTRACK_A_NODE_SELF_BYTES, s->bytes / 2);
	PUT64(MEMTRACK_A_NODE_COUNT, 3);
	PUT64(MEMTRACK_A_NODE_PEAK_BYTES, s->bytes * 2);
	PUT32(MEMTRACK_A_NODE_CREATOR_TGID, 41);
	PUT32(MEMTRACK_A_NODE_CREATOR_PID, 42);
	nla_put_string(msg, MEMTRACK_A_NODE_CREATOR_COMM, "vpu-worker");
	if (s->event_seq >= 0)
		PUT32(MEMTRACK_A_NODE_EVENT_SEQ, s->event_seq);
#undef PUT64
#undef PUT32
	return msg;
}

static int parse(struct nl_msg *msg, struct mtc_node *node,
		 struct mtc_msg_info *info, char *err)
{
	return mtc_msg_parse_node(nlmsg_hdr(msg), node, info, err, 256);
}

static void test_valid(void)
{
	struct spec s = { .id = 7, .parent_id = 3, .bytes = 4096,
			  .kind = MTC_KIND_ALLOC, .depth = 2, .name = "dpb",
			  .cmd = MEMTRACK_CMD_NODE_CHANGE_NTF, .event_seq = 99 };
	struct nl_msg *msg = build(&s);
	struct mtc_msg_info info;
	struct mtc_node node;
	char err[256] = "";
	int ret = parse(msg, &node, &info, err);

	CHECK(ret == 0, "valid message parses (%s)", err);
	CHECK(node.id == 7 && node.parent_id == 3, "ids");
	CHECK(!strcmp(node.name, "dpb"), "name");
	CHECK(node.kind == MTC_KIND_ALLOC && node.depth == 2, "kind and depth");
	CHECK(node.bytes == 4096 && node.self_bytes == 2048 &&
		      node.count == 3 && node.peak_bytes == 8192,
	      "counters");
	CHECK(node.creator_tgid == 41 && node.creator_pid == 42 &&
		      !strcmp(node.creator_comm, "vpu-worker"),
	      "creator");
	CHECK(info.cmd == MEMTRACK_CMD_NODE_CHANGE_NTF &&
		      info.has_event_seq && info.event_seq == 99,
	      "command and event sequence");
	nlmsg_free(msg);
}

static void test_missing_attrs(void)
{
	static const int required[] = {
		MEMTRACK_A_NODE_ID,	    MEMTRACK_A_NODE_KIND,
		MEMTRACK_A_NODE_DEPTH,	    MEMTRACK_A_NODE_BYTES,
		MEMTRACK_A_NODE_SELF_BYTES, MEMTRACK_A_NODE_COUNT,
		MEMTRACK_A_NODE_PEAK_BYTES,
	};
	size_t i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		struct spec s = { .id = 1, .kind = MTC_KIND_ROOT, .name = "r",
				  .event_seq = -1, .skip_attr = required[i] };
		struct nl_msg *msg = build(&s);
		struct mtc_msg_info info;
		struct mtc_node node;
		char err[256] = "";

		CHECK(parse(msg, &node, &info, err) == -EBADMSG &&
			      strstr(err, "lacks"),
		      "missing attribute %d is refused: %s", required[i], err);
		nlmsg_free(msg);
	}
}

static void test_malformed(void)
{
	struct spec s = { .id = 1, .kind = MTC_KIND_ROOT, .name = "r",
			  .event_seq = -1 };
	struct mtc_msg_info info;
	struct mtc_node node;
	struct nl_msg *msg;
	char err[256];
	uint32_t small = 5;

	/* An id of the wrong size. */
	s.skip_attr = MEMTRACK_A_NODE_ID;
	msg = build(&s);
	nla_put(msg, MEMTRACK_A_NODE_ID, sizeof(small), &small);
	err[0] = '\0';
	CHECK(parse(msg, &node, &info, err) == -EBADMSG, "u32 id refused: %s",
	      err);
	nlmsg_free(msg);

	/* An unterminated name. */
	s.skip_attr = 0;
	s.name = NULL;
	msg = build(&s);
	nla_put(msg, MEMTRACK_A_NODE_NAME, 3, "abc");
	CHECK(parse(msg, &node, &info, err) == -EBADMSG,
	      "unterminated name refused");
	nlmsg_free(msg);

	/* A name longer than the kernel allows. */
	{
		char longname[200];

		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		msg = build(&s);
		nla_put_string(msg, MEMTRACK_A_NODE_NAME, longname);
		CHECK(parse(msg, &node, &info, err) == -EBADMSG,
		      "oversize name refused");
		nlmsg_free(msg);
	}

	/* Truncated: shorter than the generic netlink header. */
	msg = build(&s);
	nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK(parse(msg, &node, &info, err) == -EBADMSG && strstr(err, "truncated"),
	      "truncated header refused: %s", err);
	nlmsg_free(msg);

	/* Truncated in the middle of the attributes. */
	msg = build(&s);
	nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 14;
	CHECK(parse(msg, &node, &info, err) == -EBADMSG,
	      "truncated attributes refused: %s", err);
	nlmsg_free(msg);

	/* Semantic checks. */
	s.kind = 9;
	msg = build(&s);
	CHECK(parse(msg, &node, &info, err) == -EBADMSG && strstr(err, "kind"),
	      "unknown kind refused: %s", err);
	nlmsg_free(msg);

	s.kind = MTC_KIND_NODE;
	msg = build(&s);
	CHECK(parse(msg, &node, &info, err) == -EBADMSG,
	      "non-root without parent refused: %s", err);
	nlmsg_free(msg);

	s.kind = MTC_KIND_ROOT;
	s.id = 0;
	msg = build(&s);
	CHECK(parse(msg, &node, &info, err) == -EBADMSG, "id 0 refused");
	nlmsg_free(msg);
}

static struct mtc_node mk(uint64_t id, uint64_t parent, const char *name)
{
	struct mtc_node n;

	memset(&n, 0, sizeof(n));
	n.id = id;
	n.parent_id = parent;
	snprintf(n.name, sizeof(n.name), "%s", name);
	n.kind = parent ? MTC_KIND_NODE : MTC_KIND_ROOT;
	return n;
}

static void test_tree(void)
{
	struct mtc_tree *tree = mtc_tree_new();
	const struct mtc_node *n;
	struct mtc_node x;
	char path[128];
	uint64_t i;

	x = mk(1, 0, "vpu0");
	CHECK(mtc_tree_add(tree, &x) == 0, "add root");
	x = mk(2, 1, "stream0");
	mtc_tree_add(tree, &x);
	x = mk(3, 1, "stream1");
	mtc_tree_add(tree, &x);
	x = mk(4, 3, "dpb");
	mtc_tree_add(tree, &x);
	x = mk(5, 3, "");
	mtc_tree_add(tree, &x);
	x = mk(6, 0, "vpu1");
	mtc_tree_add(tree, &x);
	x = mk(4, 3, "dup");
	CHECK(mtc_tree_add(tree, &x) == -EEXIST, "duplicate id refused");

	CHECK(mtc_tree_size(tree) == 6, "size");
	n = mtc_tree_find_path(tree, "vpu0/stream1/dpb");
	CHECK(n && n->id == 4, "find by path");
	CHECK(mtc_tree_find_path(tree, "vpu0/stream1/#5") ==
		      mtc_tree_find_id(tree, 5),
	      "find by #id component");
	CHECK(!mtc_tree_find_path(tree, "vpu0/stream9"), "missing path");
	CHECK(!mtc_tree_find_path(tree, "vpu0/#5"), "#id only matches children");
	CHECK(mtc_node_path(mtc_tree_find_id(tree, 5), path, sizeof(path)) > 0 &&
		      !strcmp(path, "vpu0/stream1/#5"),
	      "path of unnamed node: %s", path);
	CHECK(mtc_node_path(mtc_tree_find_id(tree, 4), path, 8) == -ENAMETOOLONG,
	      "path buffer too small");
	n = mtc_tree_find_id(tree, 1);
	CHECK(n->n_children == 2 && n->first_child->id == 2 &&
		      n->first_child->next_sibling->id == 3,
	      "children in order");
	CHECK(mtc_tree_roots(tree)->id == 1 &&
		      mtc_tree_roots(tree)->next_sibling->id == 6,
	      "roots in order");

	/* Many siblings: linking must not scan them. */
	for (i = 100; i < 100100; i++) {
		x = mk(i, 6, "frame");
		if (mtc_tree_add(tree, &x))
			break;
	}
	CHECK(i == 100100 && mtc_tree_find_id(tree, 6)->n_children == 100000 &&
		      mtc_tree_find_id(tree, 6)->last_child->id == 100099,
	      "100000 siblings");

	/* A subtree dump's top has no parent in the tree. */
	mtc_tree_free(tree);
	tree = mtc_tree_new();
	x = mk(3, 1, "stream1");
	mtc_tree_add(tree, &x);
	CHECK(mtc_tree_roots(tree) && mtc_tree_roots(tree)->id == 3 &&
		      !mtc_tree_roots(tree)->parent,
	      "subtree top becomes top-level");
	mtc_tree_free(tree);
}

int main(void)
{
	test_valid();
	test_missing_attrs();
	test_malformed();
	test_tree();
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
