# SPDX-License-Identifier: GPL-2.0
# Shared helpers of tests/kernel/netlink-*.sh (sourced; bash, in the VM).
# The test client is $MEMTRACK_BUILD/tests/nl/mtnl-test (MEMTRACK_BUILD
# defaults to build/meson, relative to the repo root).
# shellcheck shell=bash

ko=${MEMTRACK_KO_DIR:?}
dfs=/sys/kernel/debug
ctl=$dfs/memtrack-exerciser/control
st=$dfs/memtrack-exerciser/status
MT=${MEMTRACK_BUILD:-build/meson}/tests/nl/mtnl-test
T=$(mktemp -d /tmp/mtnl.XXXXXX)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
note() { sed 's/^/# /'; }
cmd() { echo "$*" >"$ctl"; }
# field KEY... NAME: the value after NAME in the status line starting with KEY...
field() {
	local name=${*: -1}
	awk -v pre="${*:1:$#-1} " -v name="$name" \
		'index($0 " ", pre) == 1 { for (i = 1; i < NF; i++) if ($i == name) { print $(i + 1); exit } }' "$st"
}
id_of() { field node "$1" id; }
# kv KEY LINE: value of KEY=VALUE in LINE
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p; s/^$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n1; }
# line FILE PATTERN: first line of FILE matching the extended regexp
line() { grep -E -m1 -- "$2" "$1"; }

need_client() {
	if [ ! -x "$MT" ]; then
		echo "Bail out! test client $MT not built (set MEMTRACK_BUILD or build with meson)"
		exit 1
	fi
}

load() { # load [MEMTRACK_PARAMS...]: memtrack and the exerciser
	insmod "$ko/memtrack.ko" "$@" && insmod "$ko/tests/memtrack_exerciser.ko"
}
unload() {
	rmmod memtrack_exerciser 2>/dev/null
	rmmod memtrack 2>/dev/null
	! grep -q '^memtrack ' /proc/modules
}

wait_file() { # wait_file PATH [TENTHS]: wait until PATH exists
	local i=0
	while [ ! -e "$1" ] && [ "$i" -lt "${2:-300}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# start_monitor NAME ARGS...: run "mtnl-test monitor ARGS" in the background,
# output in $T/NAME, pid in MONPID; waits until it is subscribed.
start_monitor() {
	local name=$1
	shift
	rm -f "$T/$name.ready"
	"$MT" monitor --ready "$T/$name.ready" "$@" >"$T/$name" 2>&1 &
	MONPID=$!
	wait_file "$T/$name.ready" 300
}
# stop_monitor: SIGTERM, wait; returns the monitor's exit status
stop_monitor() {
	kill -TERM "$MONPID" 2>/dev/null
	wait "$MONPID"
}

# Before 6.2 (no split ops), genetlink drops the extack set by a dump's
# start callback: the error of a dump request (e.g. an unknown id) comes
# without its message there.
case $(uname -r) in
[1-5].* | 6.[01].*) dump_start_extack=0 ;;
*) dump_start_extack=1 ;;
esac

cleanup_tmp() { rm -rf "$T"; }
trap cleanup_tmp EXIT
