// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackctl: the connection to memtrackd, and its errors as exit codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "cli.h"
#include "series.h"

#define MSG_NO_DAEMON "memtrackd is not running (start it with: systemctl start memtrackd)"
#define MSG_NOT_ATTACHED "memtrack kernel module not loaded; memtrackd waits for it (try: modprobe memtrack)"

#define ERR_NO_SUCH_NODE "org.memtrack.MemTrack1.Error.NoSuchNode"
#define ERR_NOT_ATTACHED "org.memtrack.MemTrack1.Error.NotAttached"

/*
 * Errors of the bus socket itself that mean nobody is there: no socket,
 * nobody listening (also what sd-bus says of an address it cannot parse),
 * or a connection that failed after an asynchronous connect().
 */
static bool nobody_there(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED || err == -ENOTCONN;
}

static int no_daemon(void)
{
	const char *address = getenv(CLI_BUS_ADDRESS_ENV);

	cli_err(MSG_NO_DAEMON);
	if (address && *address)
		cli_err("(no bus at " CLI_BUS_ADDRESS_ENV "=%s)", address);
	return EXIT_NO_DAEMON;
}

int cli_bus_open(sd_bus **ret)
{
	const char *address = getenv(CLI_BUS_ADDRESS_ENV);
	sd_bus *bus = NULL;
	int err;

	*ret = NULL;
	if (address && *address) {
		err = sd_bus_new(&bus);
		if (err >= 0)
			err = sd_bus_set_address(bus, address);
		/* A message bus (dbus-daemon, dbus-broker): say Hello. */
		if (err >= 0)
			err = sd_bus_set_bus_client(bus, 1);
		if (err >= 0)
			err = sd_bus_start(bus);
	} else {
		address = NULL;
		err = sd_bus_open_system(&bus);
	}
	if (err >= 0) {
		*ret = bus;
		return EXIT_OK;
	}
	sd_bus_unref(bus);

	if (nobody_there(err))
		return no_daemon();
	if (address)
		cli_err("cannot connect to the bus at '%s' (" CLI_BUS_ADDRESS_ENV "): %s",
			address, strerror(-err));
	else
		cli_err("cannot connect to the system bus: %s", strerror(-err));
	return err == -EACCES || err == -EPERM ? EXIT_PERM : EXIT_FAILURE_OTHER;
}

static bool name_starts(const sd_bus_error *e, const char *prefix)
{
	return sd_bus_error_is_set(e) && e->name &&
	       !strncmp(e->name, prefix, strlen(prefix));
}

static int call_fail(const char *member, int err, const sd_bus_error *e,
		     const char *node)
{
	const char *msg = e->message && *e->message ? e->message :
			  e->name ? e->name : strerror(-err);

	if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
	    sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
		cli_err(MSG_NO_DAEMON);
		return EXIT_NO_DAEMON;
	}
	/*
	 * Bus activation (org.memtrack.MemTrack1.service: systemd starts
	 * memtrackd.service on the first call) tried and failed.
	 */
	if (name_starts(e, "org.freedesktop.DBus.Error.Spawn.") ||
	    name_starts(e, "org.freedesktop.systemd1.")) {
		cli_err("memtrackd is not running and could not be started: %s", msg);
		return EXIT_NO_DAEMON;
	}
	if (sd_bus_error_has_name(e, ERR_NO_SUCH_NODE)) {
		if (node)
			cli_err("no node '%s'", node);
		else
			cli_err("%s", msg);
		return EXIT_NO_NODE;
	}
	if (sd_bus_error_has_name(e, ERR_NOT_ATTACHED)) {
		cli_err(MSG_NOT_ATTACHED);
		return EXIT_NO_MODULE;
	}
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
	    err == -EACCES || err == -EPERM) {
		cli_err("permission denied: %s", msg);
		return EXIT_PERM;
	}
	/* Local errors (sd-bus names them after the errno): no bus after all. */
	if (nobody_there(err))
		return no_daemon();
	cli_err("%s failed: %s", member, msg);
	return EXIT_FAILURE_OTHER;
}

int cli_bus_call(sd_bus *bus, const char *iface, const char *member,
		 const char *node, sd_bus_message **reply, const char *types, ...)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	va_list ap;
	int err, ret = EXIT_OK;

	*reply = NULL;
	va_start(ap, types);
	err = sd_bus_call_methodv(bus, MTD_BUS_NAME, MTD_BUS_PATH, iface, member,
				  &e, reply, types, ap);
	va_end(ap);
	if (err < 0) {
		ret = call_fail(member, err, &e, node);
		*reply = sd_bus_message_unref(*reply);
	}
	sd_bus_error_free(&e);
	return ret;
}

int cli_bus_bad_reply(const char *member, int err)
{
	cli_err("unexpected reply to %s from memtrackd: %s", member,
		strerror(-err));
	return EXIT_FAILURE_OTHER;
}

uint64_t cli_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}
