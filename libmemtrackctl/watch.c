// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmemtrackctl: learn when the memtrack family appears and disappears,
 * from the generic netlink controller's "notify" multicast group, so that
 * a daemon can wait for the module without polling.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/memtrack.h>

#include "internal.h"

struct mtc_family_watch {
	struct nl_sock *sock;
	struct nl_cb *cb;
	void (*changed)(bool present, void *priv);
	void *priv;
	bool present;
};

static int errno_of(int nlerr)
{
	switch (nlerr) {
	case -NLE_NOMEM:
		return -ENOMEM;
	case -NLE_PERM:
		return -EPERM;
	case -NLE_OBJ_NOTFOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static void set_present(struct mtc_family_watch *w, bool present)
{
	if (w->present == present)
		return;
	w->present = present;
	if (w->changed)
		w->changed(present, w->priv);
}

/* Ask the controller directly, on a socket of its own. */
static int family_present(bool *present)
{
	struct nl_sock *sock = nl_socket_alloc();
	int ret;

	if (!sock)
		return -ENOMEM;
	ret = genl_connect(sock);
	if (ret >= 0)
		ret = genl_ctrl_resolve(sock, MEMTRACK_FAMILY_NAME);
	nl_socket_free(sock);
	if (ret >= 0 || ret == -NLE_OBJ_NOTFOUND) {
		*present = ret >= 0;
		return 0;
	}
	return errno_of(ret);
}

static int on_ctrl_msg(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_NUL_STRING },
	};
	struct mtc_family_watch *w = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]),
		   MEMTRACK_FAMILY_NAME))
		return NL_SKIP;
	if (gnlh->cmd == CTRL_CMD_NEWFAMILY)
		set_present(w, true);
	else if (gnlh->cmd == CTRL_CMD_DELFAMILY)
		set_present(w, false);
	return NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

MTC_EXPORT int mtc_family_watch_open(struct mtc_family_watch **out,
				     void (*changed)(bool present, void *priv),
				     void *priv)
{
	struct mtc_family_watch *w;
	int grp, err;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->sock = nl_socket_alloc();
	w->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!w->sock || !w->cb) {
		err = -ENOMEM;
		goto err_close;
	}
	err = genl_connect(w->sock);
	if (err >= 0)
		err = grp = genl_ctrl_resolve_grp(w->sock, "nlctrl",
						  "notify");
	if (err >= 0)
		err = nl_socket_add_membership(w->sock, grp);
	if (err >= 0)
		err = nl_socket_set_nonblocking(w->sock);
	if (err < 0) {
		err = errno_of(err);
		goto err_close;
	}
	nl_cb_set(w->cb, NL_CB_VALID, NL_CB_CUSTOM, on_ctrl_msg, w);
	nl_cb_set(w->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);

	/* Subscribed first, asked second: no appearance can fall between. */
	err = family_present(&w->present);
	if (err < 0)
		goto err_close;
	w->changed = changed;
	w->priv = priv;
	*out = w;
	return 0;

err_close:
	mtc_family_watch_close(w);
	return err;
}

MTC_EXPORT void mtc_family_watch_close(struct mtc_family_watch *w)
{
	if (!w)
		return;
	nl_cb_put(w->cb);
	nl_socket_free(w->sock);
	free(w);
}

MTC_EXPORT int mtc_family_watch_fd(const struct mtc_family_watch *w)
{
	return nl_socket_get_fd(w->sock);
}

MTC_EXPORT bool mtc_family_watch_present(const struct mtc_family_watch *w)
{
	return w->present;
}

MTC_EXPORT int mtc_family_watch_dispatch(struct mtc_family_watch *w)
{
	bool present;
	int ret;

	for (;;) {
		ret = nl_recvmsgs(w->sock, w->cb);
		if (ret == -NLE_AGAIN)
			return 0;
		if (ret == -NLE_NOMEM) {
			/* Overrun: notifications were lost, so ask. */
			ret = family_present(&present);
			if (ret < 0)
				return ret;
			set_present(w, present);
			continue;
		}
		if (ret < 0)
			return errno_of(ret);
	}
}
