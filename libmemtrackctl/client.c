// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmemtrackctl: requests and event subscription over libnl-genl.
 *
 * Requests use the handle's socket with sequence checking; the monitor has
 * a socket of its own without it, as multicast events carry no request
 * sequence.  Kernel errors are taken from the NLMSG_ERROR message itself,
 * with the extack message when there is one, rather than from libnl's
 * translated error codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/memtrack.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Dumps interrupted by topology changes are retried this many times. */
#define DUMP_RETRIES 8
#define MONITOR_RCVBUF (256 * 1024)
/* Reads per dispatch call, so that an event storm cannot starve the caller. */
#define DISPATCH_BATCHES 256

struct mtc_handle {
	struct nl_sock *sock;
	int family;
	char errmsg[MTC_ERRMSG_MAX];
};

struct mtc_monitor {
	struct nl_sock *sock;
	struct nl_cb *cb;
	const struct mtc_event_ops *ops;
	void *priv;
	bool have_seq;
	uint32_t last_seq;
	int handled;
	int error;
	char errmsg[MTC_ERRMSG_MAX];
};

/* State of one request while its replies are read. */
struct request {
	struct mtc_handle *h;
	int (*on_node)(struct request *req, const struct mtc_node *node);
	bool done;
	bool interrupted;
	int error;
	struct mtc_tree *tree;
	struct mtc_node *node;
};

static int set_error(char *buf, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, MTC_ERRMSG_MAX, fmt, ap);
	va_end(ap);
	return err;
}

/* libnl's own errors, for the calls that do not carry a kernel errno. */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
	case NLE_NOACCESS:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	default:
		return -EIO;
	}
}

static void enable_ext_ack(struct nl_sock *sock)
{
	int one = 1;

	setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
}

static const char *extack_message(const struct nlmsgerr *e)
{
	const struct nlmsghdr *nlh =
		(const void *)((const char *)e - NLMSG_HDRLEN);
	const struct nlattr *attr;
	size_t off = sizeof(*e), len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return NULL;
	len = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	attr = (const void *)((const char *)e + off);
	while (len >= sizeof(*attr) && attr->nla_len >= sizeof(*attr) &&
	       attr->nla_len <= len) {
		const char *data = (const char *)attr + NLA_HDRLEN;
		size_t dlen = attr->nla_len - NLA_HDRLEN;
		size_t step = NLA_ALIGN((size_t)attr->nla_len);

		if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    dlen && memchr(data, '\0', dlen))
			return data;
		if (step >= len)
			break;
		len -= step;
		attr = (const void *)((const char *)attr + step);
	}
	return NULL;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;
	const char *msg = extack_message(e);

	(void)nla;
	req->error = e->error < 0 ? e->error : -EIO;
	req->done = true;
	if (req->error == -EPERM)
		set_error(req->h->errmsg, req->error,
			  "permission denied (CAP_NET_ADMIN is required)");
	else
		set_error(req->h->errmsg, req->error, "%s%s%s",
			  strerror(-req->error), msg ? ": " : "", msg ?: "");
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

static int on_dump_intr(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->interrupted = true;
	return NL_OK;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct mtc_msg_info info;
	struct mtc_node node;
	int err;

	if (req->error)
		return NL_SKIP;
	err = mtc_msg_parse_node(nlmsg_hdr(msg), &node, &info, req->h->errmsg,
				 sizeof(req->h->errmsg));
	if (!err)
		err = req->on_node(req, &node);
	if (err)
		req->error = err;
	return NL_OK;
}

static int send_request(struct request *req, uint8_t cmd, int flags,
			uint64_t id, int max_depth)
{
	struct mtc_handle *h = req->h;
	struct nl_cb *cb, *sock_cb;
	struct nl_msg *msg;
	int err;

	msg = nlmsg_alloc();
	sock_cb = nl_socket_get_cb(h->sock);	/* takes a reference */
	cb = nl_cb_clone(sock_cb);
	nl_cb_put(sock_cb);
	if (!msg || !cb) {
		err = set_error(h->errmsg, -ENOMEM, "out of memory");
		goto out;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0,
			 flags | NLM_F_ACK, cmd, MEMTRACK_FAMILY_VERSION) ||
	    (id && nla_put_u64(msg, MEMTRACK_A_NODE_ID, id) < 0) ||
	    (max_depth >= 0 &&
	     nla_put_u32(msg, MEMTRACK_A_NODE_MAX_DEPTH, max_depth) < 0)) {
		err = set_error(h->errmsg, -ENOMEM, "cannot build the request");
		goto out;
	}

	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_finish, req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_dump_intr, req);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, req);

	err = nl_send_auto(h->sock, msg);
	if (err < 0) {
		err = set_error(h->errmsg, nlerr_to_errno(err),
				"cannot send to the memtrack family: %s",
				nl_geterror(err));
		goto out;
	}
	err = 0;
	while (!req->done) {
		int ret = nl_recvmsgs(h->sock, cb);

		if (ret < 0 && !req->error) {
			err = set_error(h->errmsg, nlerr_to_errno(ret),
					"receiving from the memtrack family: %s",
					nl_geterror(ret));
			break;
		}
		if (ret < 0)
			break;
	}
	if (!err)
		err = req->error;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

MTC_EXPORT int mtc_open(struct mtc_handle **out)
{
	struct mtc_handle *h;
	int err;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	*out = h;

	h->sock = nl_socket_alloc();
	if (!h->sock)
		return set_error(h->errmsg, -ENOMEM, "out of memory");
	err = genl_connect(h->sock);
	if (err < 0)
		return set_error(h->errmsg, nlerr_to_errno(err),
				 "cannot open a generic netlink socket: %s",
				 nl_geterror(err));
	enable_ext_ack(h->sock);

	h->family = genl_ctrl_resolve(h->sock, MEMTRACK_FAMILY_NAME);
	if (h->family < 0) {
		if (h->family == -NLE_OBJ_NOTFOUND)
			return set_error(h->errmsg, -ENOENT,
					 "memtrack kernel module not loaded (try: modprobe memtrack)");
		return set_error(h->errmsg, nlerr_to_errno(h->family),
				 "cannot look up the memtrack family: %s",
				 nl_geterror(h->family));
	}
	return 0;
}

MTC_EXPORT void mtc_close(struct mtc_handle *h)
{
	if (!h)
		return;
	nl_socket_free(h->sock);
	free(h);
}

MTC_EXPORT const char *mtc_strerror(const struct mtc_handle *h)
{
	return h ? h->errmsg : "no handle";
}

static int add_to_tree(struct request *req, const struct mtc_node *node)
{
	int err = mtc_tree_add(req->tree, node);

	if (err == -EEXIST)
		return set_error(req->h->errmsg, -EBADMSG,
				 "node %llu reported twice in one dump",
				 (unsigned long long)node->id);
	if (err)
		return set_error(req->h->errmsg, err, "out of memory");
	return 0;
}

MTC_EXPORT int mtc_dump(struct mtc_handle *h, uint64_t top_id, int max_depth,
			struct mtc_tree **out)
{
	struct request req;
	int attempt, err;

	*out = NULL;
	for (attempt = 0; attempt < DUMP_RETRIES; attempt++) {
		memset(&req, 0, sizeof(req));
		req.h = h;
		req.on_node = add_to_tree;
		req.tree = mtc_tree_new();
		if (!req.tree)
			return set_error(h->errmsg, -ENOMEM, "out of memory");

		err = send_request(&req, MEMTRACK_CMD_NODE_GET, NLM_F_DUMP,
				   top_id, max_depth);
		if (!err && !req.interrupted) {
			*out = req.tree;
			return 0;
		}
		mtc_tree_free(req.tree);
		if (err)
			return err;
		/* Let a burst of creations or destructions pass. */
		usleep(1000U << attempt);
	}
	return set_error(h->errmsg, -EAGAIN,
			 "the tree kept changing shape; %d dumps were interrupted",
			 DUMP_RETRIES);
}

static int copy_node(struct request *req, const struct mtc_node *node)
{
	*req->node = *node;
	return 0;
}

MTC_EXPORT int mtc_get(struct mtc_handle *h, uint64_t id, struct mtc_node *out)
{
	struct request req = { .h = h, .on_node = copy_node, .node = out };

	if (!id)
		return set_error(h->errmsg, -EINVAL, "node id 0 is invalid");
	return send_request(&req, MEMTRACK_CMD_NODE_GET, 0, id, -1);
}

MTC_EXPORT int mtc_reset_peak(struct mtc_handle *h, uint64_t id)
{
	struct request req = { .h = h, .on_node = copy_node };

	if (!id)
		return set_error(h->errmsg, -EINVAL, "node id 0 is invalid");
	return send_request(&req, MEMTRACK_CMD_PEAK_RESET, 0, id, -1);
}

static void monitor_resync(struct mtc_monitor *m)
{
	m->have_seq = false;
	if (m->ops->resync)
		m->ops->resync(m->priv);
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct mtc_monitor *m = arg;
	struct mtc_msg_info info;
	struct mtc_node node;

	if (mtc_msg_parse_node(nlmsg_hdr(msg), &node, &info, m->errmsg,
			       sizeof(m->errmsg)) < 0 ||
	    !info.has_event_seq) {
		/* A message we cannot read is an event we lost. */
		monitor_resync(m);
		return NL_SKIP;
	}
	if (m->have_seq && info.event_seq != m->last_seq + 1)
		monitor_resync(m);
	m->have_seq = true;
	m->last_seq = info.event_seq;
	m->handled++;

	switch (info.cmd) {
	case MEMTRACK_CMD_NODE_ADD_NTF:
		if (m->ops->node_added)
			m->ops->node_added(&node, m->priv);
		break;
	case MEMTRACK_CMD_NODE_DEL_NTF:
		if (m->ops->node_removed)
			m->ops->node_removed(&node, m->priv);
		break;
	case MEMTRACK_CMD_NODE_CHANGE_NTF:
		if (m->ops->node_changed)
			m->ops->node_changed(&node, m->priv);
		break;
	}
	return NL_OK;
}

static int accept_any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

MTC_EXPORT int mtc_monitor_open(struct mtc_monitor **out,
				const struct mtc_event_ops *ops, void *priv)
{
	static const struct mtc_event_ops no_ops;
	struct mtc_monitor *m;
	int family, grp, err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ops = ops ?: &no_ops;
	m->priv = priv;

	m->sock = nl_socket_alloc();
	m->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!m->sock || !m->cb) {
		err = -ENOMEM;
		goto err_free;
	}
	err = genl_connect(m->sock);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto err_free;
	}
	family = genl_ctrl_resolve(m->sock, MEMTRACK_FAMILY_NAME);
	grp = family < 0 ? family :
			   genl_ctrl_resolve_grp(m->sock, MEMTRACK_FAMILY_NAME,
						 MEMTRACK_MCGRP_EVENTS);
	if (grp < 0) {
		err = nlerr_to_errno(grp);
		goto err_free;
	}
	err = nl_socket_add_membership(m->sock, grp);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto err_free;
	}
	err = nl_socket_set_buffer_size(m->sock, MONITOR_RCVBUF, 0);
	if (!err)
		err = nl_socket_set_nonblocking(m->sock);
	if (err < 0) {
		err = nlerr_to_errno(err);
		goto err_free;
	}
	nl_cb_set(m->cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, m);
	/* Events carry no request sequence; gaps are found by event-seq. */
	nl_cb_set(m->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, accept_any_seq, NULL);
	*out = m;
	return 0;

err_free:
	mtc_monitor_close(m);
	return err;
}

MTC_EXPORT void mtc_monitor_close(struct mtc_monitor *m)
{
	if (!m)
		return;
	nl_cb_put(m->cb);
	nl_socket_free(m->sock);
	free(m);
}

MTC_EXPORT int mtc_monitor_fd(const struct mtc_monitor *m)
{
	return nl_socket_get_fd(m->sock);
}

MTC_EXPORT int mtc_monitor_set_rcvbuf(struct mtc_monitor *m, int bytes)
{
	int fd = nl_socket_get_fd(m->sock), err;

	if (bytes <= 0)
		return -EINVAL;
	/* Past net.core.rmem_max for a caller with CAP_NET_ADMIN. */
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		return 0;
	err = nl_socket_set_buffer_size(m->sock, bytes, 0);
	return err < 0 ? nlerr_to_errno(err) : 0;
}

MTC_EXPORT int mtc_monitor_dispatch(struct mtc_monitor *m)
{
	int ret, batches;

	m->handled = 0;
	for (batches = 0; batches < DISPATCH_BATCHES; batches++) {
		ret = nl_recvmsgs(m->sock, m->cb);
		if (ret == -NLE_AGAIN)
			return m->handled;
		if (ret == -NLE_NOMEM) {
			/* ENOBUFS: the kernel dropped events for us. */
			monitor_resync(m);
			continue;
		}
		if (ret < 0)
			return set_error(m->errmsg, nlerr_to_errno(ret),
					 "receiving memtrack events: %s",
					 nl_geterror(ret));
	}
	/* More may wait: the fd stays readable for the caller's loop. */
	return m->handled;
}

MTC_EXPORT int mtc_monitor_discard(struct mtc_monitor *m)
{
	int fd = nl_socket_get_fd(m->sock), dropped = 0;
	ssize_t len;

	for (;;) {
		/* A zero-length read drops one datagram, whatever its size. */
		len = recv(fd, NULL, 0, MSG_DONTWAIT | MSG_TRUNC);
		if (len >= 0) {
			dropped++;
			continue;
		}
		if (errno == EINTR || errno == ENOBUFS)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		return set_error(m->errmsg, -errno,
				 "discarding memtrack events: %s",
				 strerror(errno));
	}
	/* The next event follows a gap the caller knows of. */
	m->have_seq = false;
	return dropped;
}

MTC_EXPORT uint32_t mtc_monitor_last_seq(const struct mtc_monitor *m)
{
	return m->last_seq;
}

MTC_EXPORT const char *mtc_monitor_strerror(const struct mtc_monitor *m)
{
	return m ? m->errmsg : "no monitor";
}
