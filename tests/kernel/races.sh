#!/bin/bash
# In-VM test: reproductions of races in the memtrack core
# (kernel/tests/memtrack_races.c), one scenario per defect.  Each runs for a
# few seconds on shared nodes and names; a splat (list corruption, KASAN,
# lockdep), a deadlock or a wrong total fails it.  Output: TAP.
# vm: --smp 2 --timeout 400
set -u

ko=${MEMTRACK_KO_DIR:?}
seconds=${MEMTRACK_RACE_SECONDS:-5}
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

insmod "$ko/memtrack.ko"
check $? "insmod memtrack.ko"
insmod "$ko/tests/memtrack_races.ko"
check $? "insmod memtrack_races.ko"
run=/sys/kernel/debug/memtrack-races/run

scenario() { # scenario NAME SECONDS: run it, check its report
	local err rc report
	err=$( (echo "$1 $2" >"$run") 2>&1)
	rc=$?
	report=$(grep "^$1 " "$run" | tail -n1)
	[ "$rc" -eq 0 ] && [[ $report == "$1 ok"* ]]
	check $? "$1 ($2 s): ${report:-no report}${err:+; $err}"
}

scenario alloc-free "$seconds"
scenario cb-unregister-other "$seconds"
scenario create-under-destroy "$seconds"
scenario pool-burst "$seconds"
scenario set-sub "$seconds"
scenario destroy-update "$seconds"

MT=${MEMTRACK_BUILD:-build/meson}/tests/nl/mtnl-test
T=$(mktemp -d /tmp/races.XXXXXX)
echo $((16 << 20)) >/proc/sys/net/core/rmem_max

# watch NAME: listen to the events in the background; unwatch NAME stops
# and checks that no event of a node came after its del event.  (Events
# lost in a flood only shorten the stream; they cannot reorder it.)
watch() {
	"$MT" monitor --ready "$T/ready.$1" --drain-ms 1500 2>"$T/err.$1" | awk '
		$1 == "ev" {
			split($3, t, "="); split($4, i, "=")
			if (t[2] == "del") { del[i[2]] = 1; dels++ }
			else if (i[2] in del) { bad++; if (bad <= 5) print "# " t[2] " after del: " $0 }
		}
		END { print "order dels=" dels + 0 " after_del=" bad + 0 }' >"$T/order.$1" &
	mon=$!
	for _ in $(seq 100); do [ -e "$T/ready.$1" ] && break; sleep 0.1; done
}
unwatch() { # unwatch NAME MIN_DELS
	local order dels
	pkill -TERM -f "$MT monitor" 2>/dev/null
	wait "$mon"
	grep '^# ' "$T/order.$1"
	order=$(grep '^order ' "$T/order.$1")
	dels=$(sed -n 's/.* dels=\([0-9]*\).*/\1/p' <<<"$order")
	[ -n "$order" ] && [ "${dels:-0}" -ge "$2" ] && [[ $order == *" after_del=0" ]]
	check $? "events during $1: none after the node's del: ${order:-no monitor output} $(head -c 200 "$T/err.$1")"
}

# A leaf claimed by a named free before its creation finished queued its
# del event before its add event.
watch alloc-free
scenario alloc-free 3
unwatch alloc-free 1000

# A netlink peak-reset of a node being destroyed took a reference on it
# after its count reached 0 and queued its change event a second time
# (refcount_t: addition on 0, then the event work looped for ever).  Run
# with no backlog of events, so that the del goes out during the reset.
interval=/sys/module/memtrack/parameters/event_interval_ms
old_interval=$(cat "$interval")
echo 20 >"$interval"
watch peak-reset-destroy
scenario peak-reset-destroy "$seconds"
unwatch peak-reset-destroy 5
echo "$old_interval" >"$interval"

# A dump that resumed at a node being destroyed ended early, unflagged.
# While dump-churn runs, every raw dump must be flagged NLM_F_DUMP_INTR or
# hold all 3301 stable nodes of races-dump.
(echo "dump-churn $seconds" >"$run") &
churn=$!
for _ in $(seq 100); do [ -e /sys/kernel/debug/memtrack/races-dump ] && break; sleep 0.1; done
sleep 1
out=$("$MT" rawdump --count 40 --rcvbuf 65536 --min-msgs 3301)
wait "$churn"
churn_rc=$?
report=$(grep "^dump-churn " "$run" | tail -n1)
echo "# $out"
short=$(sed -n 's/.* short=\([0-9]*\).*/\1/p' <<<"$out")
[ "$churn_rc" -eq 0 ] && [[ $report == "dump-churn ok"* ]] && [ "${short:-1}" -eq 0 ] &&
	[ "$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$out")" = 0 ]
check $? "dumps racing dump-churn: none ends early unflagged (${out:-no output}; $report)"

rmmod memtrack_races
check $? "rmmod memtrack_races"
rmmod memtrack
check $? "rmmod memtrack"

echo "1..$n"
[ "$failed" -eq 0 ]
