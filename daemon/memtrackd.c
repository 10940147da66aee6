// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memtrackd: mirrors the memtrack kernel forest, keeps its history,
 * serves it on the system bus and writes threshold alerts to the journal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "manager.h"

#define DEFAULT_STATE_DIR "/var/lib/memtrackd"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: memtrackd [OPTIONS]\n"
		"Mirror the memtrack kernel module's forest of memory nodes, keep its\n"
		"history, publish it as org.memtrack.MemTrack1 on the system bus and log\n"
		"threshold alerts to the journal.  Normally started by memtrackd.service.\n"
		"\n"
		"  -c, --config-root DIR  read DIR/etc/memtrackd.conf and DIR/{etc,run,\n"
		"                         usr/local/lib,usr/lib}/memtrackd.conf.d/ (default /)\n"
		"  -s, --state-dir DIR    keep the history file in DIR (default\n"
		"                         $STATE_DIRECTORY, else " DEFAULT_STATE_DIR ")\n"
		"      --no-state         neither restore nor save history\n"
		"  -t, --check-config     parse the configuration, report, and exit\n"
		"  -h, --help             show this help\n"
		"      --version          show the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration (the last good one stays on\n"
		"error); SIGTERM and SIGINT save the history and exit.\n");
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *priv)
{
	char err[512];

	sd_notify(0, "RELOADING=1");
	if (mtd_manager_reload(priv, err, sizeof(err)) < 0)
		sd_journal_print(LOG_ERR,
				 "reload failed, keeping the previous configuration: %s",
				 err);
	sd_notify(0, "READY=1");
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si,
		      void *priv)
{
	struct mtd_manager *m = priv;

	sd_notify(0, "STOPPING=1");
	return sd_event_exit(m->event, 0);
}

static int check_config(const char *root)
{
	struct mtd_config cfg;
	char err[512];
	int ret;

	mtd_config_init(&cfg);
	ret = mtd_config_load(&cfg, root, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, "memtrackd: %s\n", err);
	else
		printf("configuration OK: %zu rules\n", cfg.n_rules);
	mtd_config_free(&cfg);
	return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 256, OPT_NO_STATE };
	static const struct option options[] = {
		{ "config-root", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "no-state", no_argument, NULL, OPT_NO_STATE },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{}
	};
	const char *config_root = NULL, *state_dir = getenv("STATE_DIRECTORY");
	bool no_state = false, check = false;
	struct mtd_manager *m;
	sigset_t mask;
	int c, err;

	while ((c = getopt_long(argc, argv, "c:s:th", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_root = optarg;
			break;
		case 's':
			state_dir = optarg;
			break;
		case OPT_NO_STATE:
			no_state = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case OPT_VERSION:
			puts("memtrackd " MEMTRACKD_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memtrackd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (check)
		return check_config(config_root);
	/* StateDirectory= may list several; the first is ours. */
	if (state_dir && strchr(state_dir, ':'))
		state_dir = strndupa(state_dir, strcspn(state_dir, ":"));
	if (!state_dir)
		state_dir = DEFAULT_STATE_DIR;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	err = mtd_manager_new(&m, config_root, no_state ? NULL : state_dir);
	if (err < 0) {
		if (err != -EINVAL)
			fprintf(stderr, "memtrackd: cannot start: %s\n",
				strerror(-err));
		return EXIT_FAILURE;
	}
	err = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
	if (err >= 0)
		err = sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m);
	if (err >= 0)
		err = sd_event_add_signal(m->event, NULL, SIGINT, on_sigterm, m);
	if (err >= 0)
		err = sd_event_set_watchdog(m->event, true);
	if (err >= 0)
		err = mtd_manager_start(m);
	if (err < 0) {
		fprintf(stderr, "memtrackd: cannot start: %s\n", strerror(-err));
		mtd_manager_free(m);
		return EXIT_FAILURE;
	}
	sd_notify(0, "READY=1");
	err = sd_event_loop(m->event);
	mtd_manager_save(m);
	mtd_manager_free(m);
	return err < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
