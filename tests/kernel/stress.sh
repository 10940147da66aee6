#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# In-VM test: concurrent stress.  4 exerciser workers add, sub, set, alloc,
# free, create and destroy in their own subtrees of root "stress" for 30 s
# while this script reads every debugfs view in a loop and callbacks fire
# (delay 0 on the root, 5 ms on two workers, re-registered on the fly).
# Every worker's ledger must match memtrack, the root total must equal the
# sum of the ledgers, and everything must tear down cleanly.  The harness
# flags any kernel splat.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
dfs=/sys/kernel/debug
ctl=$dfs/memtrack-exerciser/control
st=$dfs/memtrack-exerciser/status
seconds=${STRESS_SECONDS:-30}
workers=4
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
cmd() { echo "$*" >"$ctl"; }
field() {
	local name=${*: -1}
	awk -v pre="${*:1:$#-1} " -v name="$name" \
		'index($0 " ", pre) == 1 { for (i = 1; i < NF; i++) if ($i == name) { print $(i + 1); exit } }' "$st"
}

insmod "$ko/memtrack.ko"
check $? "insmod memtrack.ko"
insmod "$ko/tests/memtrack_exerciser.ko"
check $? "insmod memtrack_exerciser.ko"

# a quiet tree next to the stress one: must be unaffected
cmd create quiet && cmd add quiet 4242
cmd stress start $workers "$seconds"
check $? "stress start $workers workers for $seconds s"
cmd notify stress 0 && cmd notify stress/w0 5 && cmd notify stress/w1 5
check $? "callbacks on the stress root (delay 0) and two workers (delay 5 ms)"
! cmd destroy stress 2>/dev/null
check $? "the running stress tree refuses destroy (-EBUSY)"

reads=0
loops=0
flips=0
root_calls=0 # callbacks of the root's earlier registrations
end=$((SECONDS + seconds + 60))
# shell builtins only in the loop: forks are slow next to busy workers
# (the whole file in one read: line-wise reads seek, and a seq_file
# regenerates its text on a seek, so lines could tear)
running() {
	local s
	read -r -d '' s <"$st"
	[[ $s == *$'\n'"stress running 1 "* || $s == "stress running 1 "* ]]
}
while running && [ "$SECONDS" -lt "$end" ]; do
	for f in $dfs/memtrack/* $dfs/v4l2-memtrack/* "$st"; do
		[ -f "$f" ] && { read -r -d '' _ <"$f" || :; } && reads=$((reads + 1))
	done
	# re-register the root's callback with the other delay now and then
	loops=$((loops + 1))
	if [ $((loops % 3)) -eq 0 ]; then
		delay=$(( $(field notify stress delay) == 0 ? 5 : 0 ))
		root_calls=$((root_calls + $(field notify stress calls)))
		cmd unnotify stress && cmd notify stress $delay && flips=$((flips + 1))
	fi
done
echo "# $reads debugfs reads, $flips callback re-registrations"
[ "$(field stress running)" = 0 ]
check $? "workers finished on their own"
cmd stress stop
check $? "stress stop"
grep '^stress' "$st" | sed 's/^/# /'
grep '^notify' "$st" | sed 's/^/# /'

[ "$(field stress ledger_ok)" = 1 ]
check $? "ledger_ok: every worker's ledger matched memtrack at every check"
bad=$(awk '$1 == "stress-worker" && ($10 != 0 || $12 != 0 || $6 != $8)' "$st")
[ -z "$bad" ]
check $? "per worker: ledger == actual, no mismatches, no errors"
sum=$(awk '$1 == "stress-worker" { s += $6 } END { print s + 0 }' "$st")
root=$(field node stress total)
[ "$sum" = "$root" ] && [ "$(field stress actual)" = "$root" ]
check $? "root total $root == sum of the worker ledgers $sum"
ops=$(field stress ops)
[ "$ops" -gt 1000 ]
check $? "workers did work ($ops ops)"
root_calls=$((root_calls + $(field notify stress calls)))
[ "$(field notify stress/w0 calls)" -gt 0 ] && [ "$(field notify stress/w1 calls)" -gt 0 ] &&
	[ "$root_calls" -gt 0 ]
check $? "callbacks fired on the root ($root_calls) and the workers"
bad=0
for p in stress stress/w0 stress/w1; do
	# a registration that saw no change yet has no last value
	if [ "$(field notify $p calls)" != 0 ] && [ "$(field notify $p last)" != "$(field node $p total)" ]; then
		echo "# $p: last callback $(field notify $p last), total $(field node $p total)"
		bad=1
	fi
done
check $bad "the last callback of each node carried its final total"
view=$(head -n1 $dfs/memtrack/stress)
[ "$view" = "Total memory usage: $root bytes" ]
check $? "debugfs view total agrees ($view)"
[ "$(field node quiet total)" = 4242 ] && [ "$(field node quiet peak)" = 4242 ]
check $? "an unrelated root was not disturbed"

cmd destroy stress
check $? "destroy the stress tree"
[ ! -e $dfs/memtrack/stress ]
check $? "its debugfs view is gone"
rmmod memtrack_exerciser
check $? "rmmod memtrack_exerciser"
rmmod memtrack
check $? "rmmod memtrack"

echo "1..$n"
[ "$failed" -eq 0 ]
