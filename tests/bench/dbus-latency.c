// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dbus-latency: the D-Bus side of tests/bench/daemon-bench.sh.
 *
 *   dbus-latency listen SECONDS PREFIX
 *	On the system bus, follow memtrackd's PropertiesChanged signals on
 *	/org/memtrack/MemTrack1/node/... for SECONDS.  The nodes whose path
 *	starts with PREFIX (looked up once with GetTree) are written by the
 *	exerciser's "churn" with CLOCK_REALTIME microseconds modulo 10^10, so
 *	now - Bytes is the age of the value when the signal arrived: the
 *	change-to-signal latency (kernel coalescing, netlink, memtrackd,
 *	dbus-daemon and this process included).  Prints:
 *	  listen seconds S signals N signals_per_s R churn_signals C samples K
 *	    out_of_range O other_signals X
 *	  latency_ms count K p50 A p90 B p99 C max D
 *	  window FROM-TOs samples K p50_ms A p99_ms B max_ms D   (every 10 s)
 *
 *   dbus-latency calibrate-cpu ITERATIONS
 *	A fixed CPU-bound workload (integer mixing and scattered accesses in
 *	a 16 KiB table); prints "calibrate cpu iterations N user_s U sys_s S".
 *
 *   dbus-latency calibrate-bus SIGNALS ADDRESS
 *	Emit SIGNALS PropertiesChanged signals on ADDRESS (a private
 *	dbus-daemon) the way memtrackd does: sd_bus_emit_properties_changed()
 *	of Bytes, SelfBytes, Count, PeakBytes and AlertLevel on a fallback
 *	vtable, round-robin over 10,000 node paths.  Prints
 *	"calibrate bus signals N user_s U sys_s S wall_s W" (this process).
 *
 *   dbus-latency calibrate-netlink DUMPS
 *	Dump the generic netlink controller's families through libnl DUMPS
 *	times (netlink receive and libnl parsing, as libmemtrackctl does);
 *	prints "calibrate netlink dumps N families F user_s U sys_s S".
 *
 * The calibrations run on the host and in the guest; their ratio is the
 * slowdown of the emulated CPU (TCG) for that kind of work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <systemd/sd-bus.h>

#define MTD_NAME "org.memtrack.MemTrack1"
#define MTD_PATH "/org/memtrack/MemTrack1"
#define MTD_NODE_PREFIX MTD_PATH "/node"
#define WHEEL_US 10000000000ULL
#define MAX_AGE_US 3600000000ULL
#define WINDOW_US 10000000ULL

static uint64_t now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct cpu_mark {
	double user, sys;
};

static struct cpu_mark cpu_mark(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (struct cpu_mark){ ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
				  ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6 };
}

/* "user_s U sys_s S" since @t0 */
static void print_cpu_since(struct cpu_mark t0)
{
	struct cpu_mark t = cpu_mark();

	printf("user_s %.3f sys_s %.3f", t.user - t0.user, t.sys - t0.sys);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "dbus-latency: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* ---- listen ------------------------------------------------------------- */

struct sample {
	uint32_t t_ms;		/* since the start of listening */
	uint32_t lat_us;
};

struct listener {
	char **paths;		/* sorted object paths of the churn nodes */
	size_t n_paths;
	struct sample *s;
	size_t n, cap;
	uint64_t start_mono;
	uint64_t signals, churn_signals, out_of_range, other;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The object paths of the nodes whose path starts with prefix (not equal). */
static void load_paths(sd_bus *bus, struct listener *l, const char *prefix)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	size_t plen = strlen(prefix), cap = 0;
	const char *obj, *path;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, MTD_NAME, MTD_PATH,
					   MTD_NAME ".Manager", "GetTree");
	if (r < 0)
		die("GetTree message", r);
	r = sd_bus_call(bus, m, 120 * 1000000ULL, &error, &reply);
	if (r < 0) {
		fprintf(stderr, "dbus-latency: GetTree: %s\n", error.message);
		exit(1);
	}
	r = sd_bus_message_enter_container(reply, 'a', "(ottsttttuy)");
	if (r < 0)
		die("GetTree reply", r);
	while ((r = sd_bus_message_enter_container(reply, 'r', "ottsttttuy")) > 0) {
		r = sd_bus_message_read(reply, "ottsttttuy", &obj, NULL, NULL,
					&path, NULL, NULL, NULL, NULL, NULL, NULL);
		if (r < 0)
			die("GetTree entry", r);
		if (!strncmp(path, prefix, plen) && path[plen]) {
			if (l->n_paths == cap) {
				cap = cap ? 2 * cap : 1024;
				l->paths = realloc(l->paths, cap * sizeof(char *));
				if (!l->paths)
					die("realloc", ENOMEM);
			}
			l->paths[l->n_paths] = strdup(obj);
			if (!l->paths[l->n_paths++])
				die("strdup", ENOMEM);
		}
		sd_bus_message_exit_container(reply);
	}
	if (r < 0)
		die("GetTree entries", r);
	qsort(l->paths, l->n_paths, sizeof(char *), cmp_str);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
}

static int on_changed(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	uint64_t now = now_us(CLOCK_REALTIME), bytes = 0, lat;
	struct listener *l = userdata;
	const char *path = sd_bus_message_get_path(m), *name;
	bool have = false;
	int r;

	l->signals++;
	if (!path || !bsearch(&path, l->paths, l->n_paths, sizeof(char *), cmp_str)) {
		l->other++;
		return 0;
	}
	l->churn_signals++;
	if (sd_bus_message_skip(m, "s") < 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return 0;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if (sd_bus_message_read(m, "s", &name) < 0)
			return 0;
		if (!strcmp(name, "Bytes")) {
			if (sd_bus_message_read(m, "v", "t", &bytes) < 0)
				return 0;
			have = true;
		} else if (sd_bus_message_skip(m, "v") < 0) {
			return 0;
		}
		sd_bus_message_exit_container(m);
	}
	if (!have)
		return 0;
	lat = (now % WHEEL_US + WHEEL_US - bytes % WHEEL_US) % WHEEL_US;
	if (lat >= MAX_AGE_US) {
		l->out_of_range++;
		return 0;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 65536;
		l->s = realloc(l->s, l->cap * sizeof(*l->s));
		if (!l->s)
			die("realloc", ENOMEM);
	}
	l->s[l->n].t_ms = (now_us(CLOCK_MONOTONIC) - l->start_mono) / 1000;
	l->s[l->n++].lat_us = lat;
	return 0;
}

static double pct_ms(const uint32_t *v, size_t n, unsigned int p)
{
	size_t rank;

	if (!n)
		return 0;
	/* nearest rank */
	rank = (n * p + 99) / 100;
	return v[rank ? rank - 1 : 0] / 1000.0;
}

static void report_window(const struct listener *l, uint64_t from_ms,
			  uint64_t to_ms, const char *label)
{
	uint32_t *v = malloc((l->n ? l->n : 1) * sizeof(uint32_t));
	size_t i, n = 0;

	if (!v)
		die("malloc", ENOMEM);
	for (i = 0; i < l->n; i++)
		if (l->s[i].t_ms >= from_ms && l->s[i].t_ms < to_ms)
			v[n++] = l->s[i].lat_us;
	qsort(v, n, sizeof(*v), cmp_u32);
	if (label)
		printf("latency_ms count %zu p50 %.1f p90 %.1f p99 %.1f max %.1f\n",
		       n, pct_ms(v, n, 50), pct_ms(v, n, 90), pct_ms(v, n, 99),
		       n ? v[n - 1] / 1000.0 : 0);
	else
		printf("window %" PRIu64 "-%" PRIu64 "s samples %zu p50_ms %.1f p99_ms %.1f max_ms %.1f\n",
		       from_ms / 1000, to_ms / 1000, n, pct_ms(v, n, 50),
		       pct_ms(v, n, 99), n ? v[n - 1] / 1000.0 : 0);
	free(v);
}

static int listen_main(double seconds, const char *prefix)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct listener l = { 0 };
	const char *owner;
	sd_bus_message *reply = NULL;
	char rule[512];
	uint64_t end, t, dur_ms, from;
	sd_bus *bus;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		die("system bus", r);
	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "GetNameOwner", &error,
			       &reply, "s", MTD_NAME);
	if (r < 0 || sd_bus_message_read(reply, "s", &owner) < 0) {
		fprintf(stderr, "dbus-latency: %s has no owner: %s\n", MTD_NAME,
			error.message ? error.message : "?");
		return 1;
	}
	load_paths(bus, &l, prefix);
	fprintf(stderr, "dbus-latency: %zu nodes under '%s', memtrackd is %s\n",
		l.n_paths, prefix, owner);
	snprintf(rule, sizeof(rule),
		 "type='signal',sender='%s',interface='org.freedesktop.DBus.Properties',"
		 "member='PropertiesChanged',path_namespace='" MTD_NODE_PREFIX "'",
		 owner);
	sd_bus_message_unref(reply);
	r = sd_bus_add_match(bus, NULL, rule, on_changed, &l);
	if (r < 0)
		die("AddMatch", r);
	printf("ready\n");
	fflush(stdout);

	l.start_mono = now_us(CLOCK_MONOTONIC);
	end = l.start_mono + (uint64_t)(seconds * 1e6);
	while ((t = now_us(CLOCK_MONOTONIC)) < end) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			die("sd_bus_process", r);
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, end - t);
		if (r < 0 && r != -EINTR)
			die("sd_bus_wait", r);
	}
	dur_ms = (now_us(CLOCK_MONOTONIC) - l.start_mono) / 1000;
	printf("listen seconds %.1f signals %" PRIu64 " signals_per_s %.0f churn_signals %" PRIu64
	       " samples %zu out_of_range %" PRIu64 " other_signals %" PRIu64 " cpu_s %.2f\n",
	       dur_ms / 1000.0, l.signals, l.signals * 1000.0 / (dur_ms ? dur_ms : 1),
	       l.churn_signals, l.n, l.out_of_range, l.other, cpu_seconds());
	report_window(&l, 0, UINT64_MAX, "all");
	for (from = 0; from < dur_ms; from += WINDOW_US / 1000)
		report_window(&l, from, from + WINDOW_US / 1000, NULL);
	sd_bus_flush_close_unref(bus);
	return 0;
}

/* ---- calibration -------------------------------------------------------- */

static int calibrate_cpu(uint64_t iterations)
{
	/* 16 KiB: in L1, and no TLB or huge-page luck in the guest */
	const size_t words = (16 << 10) / sizeof(uint64_t);
	uint64_t *table = calloc(words, sizeof(uint64_t)), x = 88172645463325252ULL, sum = 0, i;
	struct cpu_mark t0 = cpu_mark();

	if (!table)
		die("calloc", ENOMEM);
	for (i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		table[x % words] += x;
		sum += table[(x >> 20) % words];
	}
	printf("calibrate cpu iterations %" PRIu64 " ", iterations);
	print_cpu_since(t0);
	printf(" check %" PRIu64 "\n", sum & 0xff);
	free(table);
	return 0;
}

static int prop_u64(sd_bus *bus, const char *path, const char *interface,
		    const char *property, sd_bus_message *reply, void *userdata,
		    sd_bus_error *error)
{
	return sd_bus_message_append(reply, "t", (uint64_t)strlen(path) * 4096);
}

static int prop_u8(sd_bus *bus, const char *path, const char *interface,
		   const char *property, sd_bus_message *reply, void *userdata,
		   sd_bus_error *error)
{
	return sd_bus_message_append(reply, "y", 0);
}

static const sd_bus_vtable calib_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Bytes", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SelfBytes", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Count", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PeakBytes", "t", prop_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("AlertLevel", "y", prop_u8, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END
};

static int calibrate_bus(uint64_t signals, const char *address)
{
	struct cpu_mark t0;
	uint64_t i, w0;
	char path[128];
	sd_bus *bus;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0)
		die(address, r);
	r = sd_bus_add_fallback_vtable(bus, NULL, MTD_NODE_PREFIX, MTD_NAME ".Node",
				       calib_vtable, NULL, NULL);
	if (r < 0)
		die("vtable", r);
	w0 = now_us(CLOCK_MONOTONIC);
	t0 = cpu_mark();
	for (i = 0; i < signals; i++) {
		snprintf(path, sizeof(path), MTD_NODE_PREFIX "/%" PRIu64, 1000 + i % 10000);
		r = sd_bus_emit_properties_changed(bus, path, MTD_NAME ".Node", "Bytes",
						   "SelfBytes", "Count", "PeakBytes",
						   "AlertLevel", NULL);
		if (r < 0)
			die("emit", r);
		if (!(i % 256)) {
			r = sd_bus_flush(bus);
			if (r < 0)
				die("flush", r);
		}
	}
	r = sd_bus_flush(bus);
	if (r < 0)
		die("flush", r);
	printf("calibrate bus signals %" PRIu64 " ", signals);
	print_cpu_since(t0);
	printf(" wall_s %.3f\n", (now_us(CLOCK_MONOTONIC) - w0) / 1e6);
	sd_bus_flush_close_unref(bus);
	return 0;
}

/*
 * Generic netlink through libnl, as libmemtrackctl does it: dump the genl
 * controller's families (CTRL_CMD_GETFAMILY) and parse them into a cache,
 * DUMPS times.
 */
static int calibrate_netlink(uint64_t dumps)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache;
	uint64_t i, families = 0;
	struct cpu_mark t0;
	int r;

	if (!sk)
		die("nl_socket_alloc", ENOMEM);
	r = genl_connect(sk);
	if (r < 0)
		die("genl_connect", EIO);
	t0 = cpu_mark();
	for (i = 0; i < dumps; i++) {
		r = genl_ctrl_alloc_cache(sk, &cache);
		if (r < 0)
			die("genl_ctrl_alloc_cache", EIO);
		families += nl_cache_nitems(cache);
		nl_cache_free(cache);
	}
	printf("calibrate netlink dumps %" PRIu64 " families %" PRIu64 " ", dumps, families);
	print_cpu_since(t0);
	printf("\n");
	nl_socket_free(sk);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "listen"))
		return listen_main(atof(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "calibrate-cpu"))
		return calibrate_cpu(strtoull(argv[2], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "calibrate-bus"))
		return calibrate_bus(strtoull(argv[2], NULL, 0), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "calibrate-netlink"))
		return calibrate_netlink(strtoull(argv[2], NULL, 0));
	fprintf(stderr, "usage: %s listen SECONDS PREFIX | calibrate-cpu ITERATIONS |\n"
			"       calibrate-bus SIGNALS ADDRESS | calibrate-netlink DUMPS\n",
		argv[0]);
	return 2;
}
