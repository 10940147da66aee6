# SPDX-License-Identifier: GPL-2.0
# Reading the KTAP that memtrack's test modules print at load (sourced; bash).
# shellcheck shell=bash

ktap() { # SUITE: the KTAP block starting at the last "KTAP version 1"
	dmesg --notime | awk '/KTAP version 1/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' |
		sed -n "1,/^# $1:/p" | grep -E '^(KTAP version|[0-9]+\.\.[0-9]+$|(not )?ok |[[:space:]]*# )'
}
