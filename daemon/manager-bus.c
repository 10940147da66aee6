// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd's D-Bus surface (org.memtrack.MemTrack1.xml): the manager
 * object, one object per node through a fallback vtable and an
 * enumerator, the ObjectManager, alert signals, and PropertiesChanged
 * coalesced per node.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manager.h"

#define ERR_NO_SUCH_NODE MTD_BUS_NAME ".Error.NoSuchNode"
#define ERR_NOT_ATTACHED MTD_BUS_NAME ".Error.NotAttached"
#define ERR_INVALID MTD_BUS_NAME ".Error.InvalidArgument"
#define ERR_CONFIG MTD_BUS_NAME ".Error.ConfigInvalid"
#define NODE_TUPLE "(ottsttttuy)"

static int append_node(sd_bus_message *reply, const struct mtd_node *n)
{
	return sd_bus_message_append(reply, NODE_TUPLE, n->obj, n->k.id,
				     n->k.parent_id, n->path, n->k.bytes,
				     n->k.self_bytes, n->k.count,
				     n->k.peak_bytes, n->k.creator_tgid,
				     n->alert_level);
}

struct tree_ctx {
	sd_bus_message *reply;
	int err;
};

static void append_tree_node(struct mtd_node *n, void *priv)
{
	struct tree_ctx *ctx = priv;

	int err;

	if (ctx->err)
		return;
	err = append_node(ctx->reply, n);
	if (err < 0)
		ctx->err = err;
}

static int method_get_tree(sd_bus_message *msg, void *userdata,
			   sd_bus_error *error)
{
	struct mtd_manager *m = userdata;
	sd_bus_message *reply = NULL;
	struct tree_ctx ctx = { 0 };
	int err;

	err = sd_bus_message_new_method_return(msg, &reply);
	if (err >= 0)
		err = sd_bus_message_open_container(reply, 'a', NODE_TUPLE);
	if (err < 0)
		goto out;
	ctx.reply = reply;
	mtd_manager_foreach(m, append_tree_node, &ctx);
	err = ctx.err;
	if (err >= 0)
		err = sd_bus_message_close_container(reply);
	if (err >= 0)
		err = sd_bus_send(NULL, reply, NULL);
out:
	sd_bus_message_unref(reply);
	return err;
}

static int lookup(struct mtd_manager *m, sd_bus_message *msg,
		  sd_bus_error *error, struct mtd_node **out)
{
	const char *path;
	int err;

	err = sd_bus_message_read(msg, "s", &path);
	if (err < 0)
		return err;
	*out = mtd_manager_find_path(m, path);
	if (*out)
		return 0;
	if (!m->attached && !mtd_dmabuf_path(path))
		return sd_bus_error_setf(error, ERR_NOT_ATTACHED,
					 "the memtrack kernel module is not loaded");
	return sd_bus_error_setf(error, ERR_NO_SUCH_NODE, "no node '%s'", path);
}

static int method_get_node(sd_bus_message *msg, void *userdata,
			   sd_bus_error *error)
{
	sd_bus_message *reply = NULL;
	struct mtd_node *n;
	int err;

	err = lookup(userdata, msg, error, &n);
	if (err < 0)
		return err;
	err = sd_bus_message_new_method_return(msg, &reply);
	if (err >= 0)
		err = append_node(reply, n);
	if (err >= 0)
		err = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	return err;
}

static int method_get_history(sd_bus_message *msg, void *userdata,
			      sd_bus_error *error)
{
	struct mtd_manager *m = userdata;
	uint64_t since, now = mtd_now(CLOCK_REALTIME);
	sd_bus_message *reply = NULL;
	struct mtd_sample *samples = NULL;
	const struct mtd_series *s;
	uint32_t resolution;
	const char *path;
	size_t i, n = 0;
	int err;

	err = sd_bus_message_read(msg, "stu", &path, &since, &resolution);
	if (err < 0)
		return err;
	if (since > now)
		return sd_bus_error_setf(error, ERR_INVALID,
					 "since is in the future");
	s = mtd_history_series(m->history, path, false);
	if (!s)
		return sd_bus_error_setf(error, ERR_NO_SUCH_NODE,
					 "no history for '%s'", path);
	err = mtd_history_query(m->history, s, now, since, resolution,
				&samples, &n);

	if (err >= 0)
		err = sd_bus_message_new_method_return(msg, &reply);
	if (err >= 0)
		err = sd_bus_message_open_container(reply, 'a', "(ttttt)");
	for (i = 0; err >= 0 && i < n; i++)
		err = sd_bus_message_append(reply, "(ttttt)",
					    samples[i].time_usec, samples[i].min,
					    samples[i].max, samples[i].avg,
					    samples[i].last);
	if (err >= 0)
		err = sd_bus_message_close_container(reply);
	if (err >= 0)
		err = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	free(samples);
	return err;
}

struct alerts_ctx {
	sd_bus_message *reply;
	uint64_t mono, real;
	int err;
};

static void append_alerts(struct mtd_node *n, void *priv)
{
	struct alerts_ctx *ctx = priv;
	const struct mtd_node_alert *a;

	int err;

	for (a = n->alerts; !ctx->err && a < n->alerts + n->n_alerts; a++) {
		if (!mtd_alert_active(a))
			continue;
		err = sd_bus_message_append(ctx->reply, "(ssyttt)",
			n->path, a->rule->name, (uint8_t)a->rule->severity,
			n->k.bytes, a->th.raise,
			ctx->real - (ctx->mono - a->st.raised_usec));
		if (err < 0)
			ctx->err = err;
	}
}

static int method_list_alerts(sd_bus_message *msg, void *userdata,
			      sd_bus_error *error)
{
	struct alerts_ctx ctx = {
		.mono = mtd_now(CLOCK_MONOTONIC),
		.real = mtd_now(CLOCK_REALTIME),
	};
	int err;

	err = sd_bus_message_new_method_return(msg, &ctx.reply);
	if (err >= 0)
		err = sd_bus_message_open_container(ctx.reply, 'a', "(ssyttt)");
	if (err >= 0) {
		mtd_manager_foreach(userdata, append_alerts, &ctx);
		err = ctx.err;
	}
	if (err >= 0)
		err = sd_bus_message_close_container(ctx.reply);
	if (err >= 0)
		err = sd_bus_send(NULL, ctx.reply, NULL);
	sd_bus_message_unref(ctx.reply);
	return err;
}

static int check_privilege(sd_bus_message *msg, int cap, sd_bus_error *error)
{
	int r = sd_bus_query_sender_privilege(msg, cap);

	if (r < 0)
		return r;
	if (!r)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
					"this needs root or CAP_NET_ADMIN");
	return 0;
}

static int method_reset_peak(sd_bus_message *msg, void *userdata,
			     sd_bus_error *error)
{
	struct mtd_manager *m = userdata;
	struct mtd_node *n;
	struct mtc_node k;
	int err;

	err = check_privilege(msg, CAP_NET_ADMIN, error);
	if (err < 0)
		return err;
	err = lookup(m, msg, error, &n);
	if (err < 0)
		return err;
	if (mtd_node_is_dmabuf(n)) {
		mtd_dmabuf_reset_peak(m, n);
		return sd_bus_reply_method_return(msg, NULL);
	}
	err = mtc_reset_peak(m->handle, n->k.id);
	if (err == -ENOENT)
		return sd_bus_error_setf(error, ERR_NO_SUCH_NODE,
					 "no node '%s'", n->path);
	if (err < 0)
		return sd_bus_error_set_errnof(error, -err, "%s",
					       mtc_strerror(m->handle));
	/* Reply with the new peak in place; the change event may lag. */
	if (!mtc_get(m->handle, n->k.id, &k)) {
		n->k.peak_bytes = k.peak_bytes;
		mtd_bus_node_changed(m, n);
	}
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_reload(sd_bus_message *msg, void *userdata,
			 sd_bus_error *error)
{
	char err_text[512] = "";
	int err;

	err = check_privilege(msg, CAP_SYS_ADMIN, error);
	if (err < 0)
		return err;
	err = mtd_manager_reload(userdata, err_text, sizeof(err_text));
	if (err == -EINVAL)
		return sd_bus_error_setf(error, ERR_CONFIG, "%s", err_text);
	if (err < 0)
		return err;
	return sd_bus_reply_method_return(msg, NULL);
}

static uint64_t resident_bytes(void)
{
	unsigned long long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int get_dmabuf_prop(struct mtd_manager *m, const char *property,
			   sd_bus_message *reply)
{
	const struct mtd_dmabuf *d = &m->dmabuf;

	if (!strcmp(property, "DmabufScanIntervalUSec"))
		return sd_bus_message_append(reply, "t", d->interval_usec);
	if (!strcmp(property, "DmabufScans"))
		return sd_bus_message_append(reply, "t", d->scans);
	if (!strcmp(property, "DmabufLastScanUSec"))
		return sd_bus_message_append(reply, "t", d->scan_usec);
	if (!strcmp(property, "DmabufNodeCount"))
		return sd_bus_message_append(reply, "u", d->n_nodes);
	if (!strcmp(property, "DmabufProcesses"))
		return sd_bus_message_append(reply, "u", d->totals.n_procs);
	if (!strcmp(property, "DmabufUnreadable"))
		return sd_bus_message_append(reply, "u",
					     d->totals.n_unreadable);
	if (!strcmp(property, "DmabufBuffers"))
		return sd_bus_message_append(reply, "u", d->totals.n_buffers);
	if (!strcmp(property, "DmabufBytes"))
		return sd_bus_message_append(reply, "t", d->totals.bytes);
	return -ENOENT;
}

static int get_manager_prop(sd_bus *bus, const char *path,
			    const char *interface, const char *property,
			    sd_bus_message *reply, void *userdata,
			    sd_bus_error *error)
{
	struct mtd_manager *m = userdata;

	if (!strcmp(property, "State"))
		return sd_bus_message_append(reply, "s", m->attached ?
					     "attached" : "waiting");
	if (!strcmp(property, "Version"))
		return sd_bus_message_append(reply, "s", MEMTRACKD_VERSION);
	if (!strcmp(property, "NodeCount"))
		return sd_bus_message_append(reply, "u", m->n_nodes);
	if (!strcmp(property, "Events"))
		return sd_bus_message_append(reply, "t", m->events);
	if (!strcmp(property, "EventRate"))
		return sd_bus_message_append(reply, "d",
					     mtd_manager_event_rate(m));
	if (!strcmp(property, "Resyncs"))
		return sd_bus_message_append(reply, "t", m->resyncs);
	if (!strcmp(property, "Attachments"))
		return sd_bus_message_append(reply, "t", m->attachments);
	if (!strcmp(property, "HistorySeries"))
		return sd_bus_message_append(reply, "u",
			(uint32_t)mtd_history_n_series(m->history));
	if (!strcmp(property, "HistoryBytes"))
		return sd_bus_message_append(reply, "t",
			(uint64_t)mtd_history_memory(m->history));
	if (!strcmp(property, "ResidentBytes"))
		return sd_bus_message_append(reply, "t", resident_bytes());
	return get_dmabuf_prop(m, property, reply);
}

/* sd-bus refuses other users by default; the bus policy gates writes. */
#define READABLE SD_BUS_VTABLE_UNPRIVILEGED

#define MANAGER_PROP(name, sig, flags) \
	SD_BUS_PROPERTY(name, sig, get_manager_prop, 0, flags)

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("GetTree", "", , "a" NODE_TUPLE,
				 SD_BUS_PARAM(nodes), method_get_tree, READABLE),
	SD_BUS_METHOD_WITH_NAMES("GetNode", "s", SD_BUS_PARAM(path),
				 NODE_TUPLE, SD_BUS_PARAM(node),
				 method_get_node, READABLE),
	SD_BUS_METHOD_WITH_NAMES("GetHistory", "stu",
				 SD_BUS_PARAM(path) SD_BUS_PARAM(since)
				 SD_BUS_PARAM(resolution),
				 "a(ttttt)", SD_BUS_PARAM(samples),
				 method_get_history, READABLE),
	SD_BUS_METHOD_WITH_NAMES("ListAlerts", "", , "a(ssyttt)",
				 SD_BUS_PARAM(alerts), method_list_alerts, READABLE),
	SD_BUS_METHOD_WITH_NAMES("ResetPeak", "s", SD_BUS_PARAM(path), "", ,
				 method_reset_peak, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Reload", "", "", method_reload,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("AlertRaised", "ssytt",
				 SD_BUS_PARAM(path) SD_BUS_PARAM(rule)
				 SD_BUS_PARAM(level) SD_BUS_PARAM(value)
				 SD_BUS_PARAM(threshold), 0),
	SD_BUS_SIGNAL_WITH_NAMES("AlertCleared", "ssytt",
				 SD_BUS_PARAM(path) SD_BUS_PARAM(rule)
				 SD_BUS_PARAM(level) SD_BUS_PARAM(value)
				 SD_BUS_PARAM(threshold), 0),
	MANAGER_PROP("State", "s", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	MANAGER_PROP("Version", "s", SD_BUS_VTABLE_PROPERTY_CONST),
	MANAGER_PROP("NodeCount", "u", 0),
	MANAGER_PROP("Events", "t", 0),
	MANAGER_PROP("EventRate", "d", 0),
	MANAGER_PROP("Resyncs", "t", 0),
	MANAGER_PROP("Attachments", "t", 0),
	MANAGER_PROP("HistorySeries", "u", 0),
	MANAGER_PROP("HistoryBytes", "t", 0),
	MANAGER_PROP("ResidentBytes", "t", 0),
	MANAGER_PROP("DmabufScanIntervalUSec", "t", 0),
	MANAGER_PROP("DmabufScans", "t", 0),
	MANAGER_PROP("DmabufLastScanUSec", "t", 0),
	MANAGER_PROP("DmabufNodeCount", "u", 0),
	MANAGER_PROP("DmabufProcesses", "u", 0),
	MANAGER_PROP("DmabufUnreadable", "u", SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	MANAGER_PROP("DmabufBuffers", "u", 0),
	MANAGER_PROP("DmabufBytes", "t", 0),
	SD_BUS_VTABLE_END
};

static int get_node_name(sd_bus *bus, const char *path, const char *interface,
			 const char *property, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s",
				     ((struct mtd_node *)userdata)->k.name);
}

static int get_node_parent(sd_bus *bus, const char *path,
			   const char *interface, const char *property,
			   sd_bus_message *reply, void *userdata,
			   sd_bus_error *error)
{
	struct mtd_node *n = userdata;

	return sd_bus_message_append(reply, "o", n->parent ? n->parent->obj : "/");
}

#define NODE_FIELD(name, sig, field, flags) \
	SD_BUS_PROPERTY(name, sig, NULL, offsetof(struct mtd_node, field), flags)
#define CHANGES SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define FIXED SD_BUS_VTABLE_PROPERTY_CONST

static const sd_bus_vtable node_vtable[] = {
	SD_BUS_VTABLE_START(0),
	NODE_FIELD("Id", "t", k.id, FIXED),
	SD_BUS_PROPERTY("Name", "s", get_node_name, 0, FIXED),
	NODE_FIELD("Path", "s", path, FIXED),
	SD_BUS_PROPERTY("Parent", "o", get_node_parent, 0, FIXED),
	NODE_FIELD("Bytes", "t", k.bytes, CHANGES),
	NODE_FIELD("SelfBytes", "t", k.self_bytes, CHANGES),
	NODE_FIELD("Count", "t", k.count, CHANGES),
	NODE_FIELD("PeakBytes", "t", k.peak_bytes, CHANGES),
	NODE_FIELD("CreatorPid", "u", k.creator_tgid, FIXED),
	NODE_FIELD("AlertLevel", "y", alert_level, CHANGES),
	SD_BUS_VTABLE_END
};

static struct mtd_node *node_of_object(struct mtd_manager *m, const char *path)
{
	const char *id = path + strlen(MTD_BUS_NODE_PREFIX);
	unsigned long long v;
	char *end;

	if (strncmp(path, MTD_BUS_NODE_PREFIX "/", strlen(MTD_BUS_NODE_PREFIX) + 1))
		return NULL;
	id++;
	if (!*id || *id == '0')
		return NULL;
	errno = 0;
	v = strtoull(id, &end, 10);
	if (errno || *end)
		return NULL;
	return mtd_manager_find_id(m, v);
}

static int node_find(sd_bus *bus, const char *path, const char *interface,
		     void *userdata, void **found, sd_bus_error *error)
{
	struct mtd_node *n = node_of_object(userdata, path);

	if (!n)
		return 0;
	*found = n;
	return 1;
}

struct enum_ctx {
	char **paths;
	size_t n;
	int err;
};

static void enum_node(struct mtd_node *n, void *priv)
{
	struct enum_ctx *ctx = priv;

	if (ctx->err)
		return;
	ctx->paths[ctx->n] = strdup(n->obj);
	if (!ctx->paths[ctx->n])
		ctx->err = -ENOMEM;
	else
		ctx->n++;
}

static int node_enumerator(sd_bus *bus, const char *path, void *userdata,
			   char ***nodes, sd_bus_error *error)
{
	struct mtd_manager *m = userdata;
	struct enum_ctx ctx = { 0 };

	ctx.paths = calloc(m->n_nodes + m->dmabuf.n_nodes + 1, sizeof(char *));
	if (!ctx.paths)
		return -ENOMEM;
	mtd_manager_foreach(m, enum_node, &ctx);
	if (ctx.err) {
		while (ctx.n)
			free(ctx.paths[--ctx.n]);
		free(ctx.paths);
		return ctx.err;
	}
	*nodes = ctx.paths;
	return 0;
}

void mtd_bus_node_added(struct mtd_manager *m, struct mtd_node *n)
{
	if (m->bus)
		sd_bus_emit_interfaces_added(m->bus, n->obj, MTD_BUS_NODE_IFACE,
					     NULL);
}

/*
 * Signals in the connection's write queue beyond which node changes wait
 * in the dirty list: when the bus or a subscriber is slower than the
 * kernel, the cost is more coalescing, not an ever longer queue (memory)
 * and ever older values (latency).
 */
#define MTD_BUS_MAX_QUEUED 128
#define MTD_BUS_RETRY_USEC (10 * 1000)

static bool bus_backlogged(struct mtd_manager *m)
{
	uint64_t queued;

	return sd_bus_get_n_queued_write(m->bus, &queued) >= 0 &&
	       queued >= MTD_BUS_MAX_QUEUED;
}

static void dirty_push(struct mtd_manager *m, struct mtd_node *n)
{
	n->props_dirty = true;
	n->next_dirty = NULL;
	n->prev_dirty = m->dirty_tail;
	if (m->dirty_tail)
		m->dirty_tail->next_dirty = n;
	else
		m->dirty = n;
	m->dirty_tail = n;
}

static void dirty_unlink(struct mtd_manager *m, struct mtd_node *n)
{
	if (n->prev_dirty)
		n->prev_dirty->next_dirty = n->next_dirty;
	else
		m->dirty = n->next_dirty;
	if (n->next_dirty)
		n->next_dirty->prev_dirty = n->prev_dirty;
	else
		m->dirty_tail = n->prev_dirty;
	n->next_dirty = NULL;
	n->prev_dirty = NULL;
	n->props_dirty = false;
}

/* Makes the flush timer fire at @when at the latest. */
static void arm_props_timer(struct mtd_manager *m, uint64_t when)
{
	uint64_t armed;

	if (sd_event_source_get_enabled(m->props_timer, NULL) > 0 &&
	    sd_event_source_get_time(m->props_timer, &armed) >= 0 &&
	    armed <= when)
		return;
	sd_event_source_set_time(m->props_timer, when);
	sd_event_source_set_enabled(m->props_timer, SD_EVENT_ONESHOT);
}

void mtd_bus_node_removed(struct mtd_manager *m, struct mtd_node *n)
{
	/* Never flush a node after it is gone. */
	if (n->props_dirty)
		dirty_unlink(m, n);
	if (m->bus)
		sd_bus_emit_interfaces_removed(m->bus, n->obj,
					       MTD_BUS_NODE_IFACE, NULL);
}

static void emit_changed(struct mtd_manager *m, struct mtd_node *n,
			 uint64_t now)
{
	n->props_emitted_usec = now;
	sd_bus_emit_properties_changed(m->bus, n->obj, MTD_BUS_NODE_IFACE,
				       "Bytes", "SelfBytes", "Count",
				       "PeakBytes", "AlertLevel", NULL);
}

static uint64_t emit_interval(const struct mtd_manager *m)
{
	return 1000000 / m->config.props_changed_max_per_sec;
}

/*
 * At most PropertiesChangedMaxPerSec signals per node: a change within
 * the interval after the last signal, or while the bus is backlogged,
 * waits for the flush timer, which sends the latest values once.
 */
void mtd_bus_node_changed(struct mtd_manager *m, struct mtd_node *n)
{
	uint64_t now = mtd_now(CLOCK_MONOTONIC), when;
	bool backlogged;

	if (!m->bus || n->props_dirty)
		return;
	when = n->props_emitted_usec + emit_interval(m);
	backlogged = bus_backlogged(m);
	if (when <= now && !backlogged) {
		emit_changed(m, n, now);
		return;
	}
	dirty_push(m, n);
	if (backlogged && when < now + MTD_BUS_RETRY_USEC)
		when = now + MTD_BUS_RETRY_USEC;
	arm_props_timer(m, when);
}

void mtd_bus_flush_changed(struct mtd_manager *m)
{
	uint64_t now = mtd_now(CLOCK_MONOTONIC), next = UINT64_MAX, when;
	struct mtd_node *n, *after;

	for (n = m->dirty; n; n = after) {
		after = n->next_dirty;
		when = n->props_emitted_usec + emit_interval(m);
		if (when > now) {
			if (when < next)
				next = when;
			continue;
		}
		if (bus_backlogged(m)) {
			next = now + MTD_BUS_RETRY_USEC;
			break;
		}
		dirty_unlink(m, n);
		emit_changed(m, n, now);
	}
	if (next != UINT64_MAX)
		arm_props_timer(m, next);
}

static int on_props_timer(sd_event_source *s, uint64_t usec, void *priv)
{
	mtd_bus_flush_changed(priv);
	return 0;
}

void mtd_bus_alert(struct mtd_manager *m, struct mtd_node *n,
		   const struct mtd_node_alert *a, bool raised)
{
	if (!m->bus)
		return;
	sd_bus_emit_signal(m->bus, MTD_BUS_PATH, MTD_BUS_MANAGER_IFACE,
			   raised ? "AlertRaised" : "AlertCleared", "ssytt",
			   n->path, a->rule->name, (uint8_t)a->rule->severity,
			   a->value, raised ? a->th.raise : a->th.clear);
}

void mtd_bus_manager_changed(struct mtd_manager *m, const char *prop)
{
	if (m->bus)
		sd_bus_emit_properties_changed(m->bus, MTD_BUS_PATH,
					       MTD_BUS_MANAGER_IFACE, prop,
					       NULL);
}

int mtd_bus_setup(struct mtd_manager *m)
{
	sd_bus *bus = NULL;
	int err;

	err = sd_event_add_time(m->event, &m->props_timer, CLOCK_MONOTONIC,
				UINT64_MAX, 0, on_props_timer, m);
	if (err >= 0)
		err = sd_event_source_set_enabled(m->props_timer, SD_EVENT_OFF);
	if (err >= 0)
		err = sd_bus_open_system(&bus);
	if (err >= 0)
		err = sd_bus_add_object_vtable(bus, NULL, MTD_BUS_PATH,
					       MTD_BUS_MANAGER_IFACE,
					       manager_vtable, m);
	if (err >= 0)
		err = sd_bus_add_fallback_vtable(bus, NULL, MTD_BUS_NODE_PREFIX,
						 MTD_BUS_NODE_IFACE, node_vtable,
						 node_find, m);
	if (err >= 0)
		err = sd_bus_add_node_enumerator(bus, NULL, MTD_BUS_NODE_PREFIX,
						 node_enumerator, m);
	if (err >= 0)
		err = sd_bus_add_object_manager(bus, NULL, MTD_BUS_PATH);
	if (err >= 0)
		err = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (err >= 0)
		err = sd_bus_request_name(bus, MTD_BUS_NAME, 0);
	if (err < 0) {
		fprintf(stderr, "memtrackd: cannot serve %s on the system bus: %s\n",
			MTD_BUS_NAME, strerror(-err));
		sd_bus_unref(bus);
		return err;
	}
	m->bus = bus;
	return 0;
}
