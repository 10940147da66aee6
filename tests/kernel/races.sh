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

# A leaf claimed by a named free before its creation finished queued its
# del event before its add event.  Listen during a short alloc-free run: no
# add may come after the del of the same id.  (Events lost in the flood
# only shorten the stream; they cannot reorder it.)
MT=${MEMTRACK_BUILD:-build/meson}/tests/nl/mtnl-test
T=$(mktemp -d /tmp/races.XXXXXX)
echo $((16 << 20)) >/proc/sys/net/core/rmem_max
"$MT" monitor --ready "$T/ready" --drain-ms 1500 2>"$T/err" | awk '
	$1 == "ev" {
		split($3, t, "="); split($4, i, "=")
		if (t[2] == "del") { del[i[2]] = 1; dels++ }
		else if (t[2] == "add") { adds++; if (i[2] in del) { bad++; if (bad <= 5) print "# add after del: " $0 } }
	}
	END { print "order adds=" adds + 0 " dels=" dels + 0 " add_after_del=" bad + 0 }' >"$T/order" &
mon=$!
for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.1; done
scenario alloc-free 3
pkill -TERM -f "$MT monitor" 2>/dev/null
wait "$mon"
sed -n 's/^# /# /p' "$T/order"
order=$(grep '^order ' "$T/order")
dels=$(sed -n 's/.* dels=\([0-9]*\).*/\1/p' <<<"$order")
[ -n "$order" ] && [ "${dels:-0}" -ge 1000 ] && [[ $order == *" add_after_del=0" ]]
check $? "events of alloc-free in order: ${order:-no monitor output} $(head -c 200 "$T/err")"

rmmod memtrack_races
check $? "rmmod memtrack_races"
rmmod memtrack
check $? "rmmod memtrack"

echo "1..$n"
[ "$failed" -eq 0 ]
