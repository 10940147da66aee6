/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrackctl: talking to memtrackd over D-Bus (sd-bus), for the
 * subcommands that need the daemon.  The API is in
 * daemon/org.memtrack.MemTrack1.xml.
 */
#ifndef MEMTRACKCTL_BUS_H
#define MEMTRACKCTL_BUS_H

#include <systemd/sd-bus.h>

#define MTD_BUS_NAME "org.memtrack.MemTrack1"
#define MTD_BUS_PATH "/org/memtrack/MemTrack1"
#define MTD_BUS_MANAGER "org.memtrack.MemTrack1.Manager"

/* A bus to use instead of the system bus (a D-Bus address), for tests. */
#define CLI_BUS_ADDRESS_ENV "MEMTRACKCTL_BUS_ADDRESS"

/* AlertLevel values (daemon/config.h). */
#define MTD_LEVEL_WARNING 100
#define MTD_LEVEL_CRITICAL 255

/**
 * cli_bus_open() - connect to the system bus, or to $MEMTRACKCTL_BUS_ADDRESS
 * @bus: the connection; sd_bus_flush_close_unref() it
 *
 * Prints what went wrong.
 *
 * Return: an exit code (enum cli_exit); EXIT_NO_DAEMON when there is no
 * bus to connect to.
 */
int cli_bus_open(sd_bus **bus);

/**
 * cli_bus_call() - call a method of memtrackd's manager object
 * @bus: connection
 * @iface: interface (MTD_BUS_MANAGER, or org.freedesktop.DBus.Properties)
 * @member: method
 * @node: the node path the call is about, for the "no node" message, or NULL
 * @reply: the reply; sd_bus_message_unref() it
 * @types: signature of the arguments (sd_bus_message_append()), or NULL
 *
 * Prints what went wrong, mapping memtrackd's errors to exit codes: not
 * running EXIT_NO_DAEMON, NoSuchNode EXIT_NO_NODE, AccessDenied EXIT_PERM,
 * NotAttached EXIT_NO_MODULE, anything else EXIT_FAILURE_OTHER.
 *
 * Return: an exit code (enum cli_exit).
 */
int cli_bus_call(sd_bus *bus, const char *iface, const char *member,
		 const char *node, sd_bus_message **reply, const char *types, ...);

/* Report a reply that does not parse (@err from sd_bus_message_read() and
 * friends); return EXIT_FAILURE_OTHER. */
int cli_bus_bad_reply(const char *member, int err);

/* CLOCK_REALTIME in microseconds, the daemon's time base. */
uint64_t cli_now_usec(void);

#endif /* MEMTRACKCTL_BUS_H */
