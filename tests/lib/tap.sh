# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the in-VM test scripts (sourced; bash).
# shellcheck shell=bash

n=0
failed=0

check() { # check STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

skip() { # skip DESCRIPTION REASON
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
