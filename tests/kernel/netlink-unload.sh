#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# In-VM test of unloading memtrack under netlink use (tests/nl/mtnl-test):
# rmmod while a monitor is subscribed (the listener survives, the family
# disappears); rmmod while a dump of a 100,000-node tree is paused midway
# (refused while the dump holds the module, works once it is finished);
# rmmod with events still queued (event_interval_ms=10000), checking that
# unreclaimable slab memory comes back (no leaked nodes).  The harness
# flags any kernel splat.  Output: TAP.
set -u
cd "${MEMTRACK_REPO:-.}" || exit 1
. tests/nl/lib.sh
need_client

sunreclaim() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
settle() { sleep 1; echo 3 >/proc/sys/vm/drop_caches; sleep 1; }

# ---- unload with a subscribed monitor ---------------------------------------------
load
check $? "insmod memtrack.ko and memtrack_exerciser.ko"
cmd create un && cmd create un/a && cmd add un/a 10 && cmd create un/b
start_monitor mon1 --quiet
check $? "monitor subscribed"
cmd add un/b 5
sleep 0.3
rmmod memtrack_exerciser
check $? "rmmod memtrack_exerciser (destroys its trees) with the monitor subscribed"
sleep 0.5 # let the del events go out
rmmod memtrack
check $? "rmmod memtrack with the monitor subscribed"
sleep 0.5
kill -0 "$MONPID" 2>/dev/null
check $? "the monitor is still running after the family went away"
out=$("$MT" open)
[ "${out#error op=open err=-2 errname=ENOENT}" != "$out" ]
check $? "the family is gone: mtc_open -> ENOENT"
stop_monitor
rc=$?
s=$(grep '^monitor ' "$T/mon1")
echo "# $s"
grep '^error' "$T/mon1" | note
[ "$rc" = 0 ] && [ -n "$s" ]
check $? "the monitor exits cleanly afterwards (status $rc)"
[ "$(kv del "$s")" = 3 ] && [ "$(kv resyncs "$s")" = 0 ]
check $? "it saw the 3 del events of the exerciser's teardown before the unload"

# ---- unload while a dump is paused midway ------------------------------------------
load
check $? "load again"
t0=$(date +%s)
cmd create big && cmd bulk big 100000 8
check $? "bulk 100000 nodes ($(($(date +%s) - t0)) s)"
big=$(id_of big)
rm -f "$T/go"
"$MT" dump-hold --id "$big" --ready "$T/ready" --go "$T/go" >"$T/hold" 2>&1 &
hold=$!
wait_file "$T/ready"
check $? "a dump of big started and paused after its first part ($(head -n1 "$T/hold"))"
! rmmod memtrack 2>/dev/null
check $? "rmmod memtrack refused while the exerciser holds it"
rmmod memtrack_exerciser
check $? "rmmod memtrack_exerciser: big destroyed under the paused dump"
rmmod memtrack 2>"$T/rmmod.err"
rc=$?
note <"$T/rmmod.err"
[ "$rc" != 0 ] && grep -q '^memtrack ' /proc/modules
check $? "rmmod memtrack refused while the paused dump holds the module"
touch "$T/go"
wait "$hold"
rc=$?
out=$(tail -n1 "$T/hold")
echo "# $out"
[ "$rc" = 0 ] && [ "$(kv "done" "$out")" = 1 ] && [ "$(kv err "$out")" = 0 ] &&
	[ "$(kv msgs "$out")" -lt 100001 ]
check $? "the dump resumes after big is gone and ends cleanly, stopped short ($(kv msgs "$out") messages)"
[ "$(kv intr "$out")" = 1 ]
check $? "and is flagged NLM_F_DUMP_INTR"
rmmod memtrack
check $? "rmmod memtrack once the dump is finished"

# ---- unload with events still queued -----------------------------------------------
settle
before=$(sunreclaim)
load event_interval_ms=10000
check $? "insmod memtrack event_interval_ms=10000"
start_monitor mon2 --quiet --rcvbuf $((4 << 20))
check $? "monitor subscribed"
cmd create pend && cmd bulk pend 50000 4 && cmd add pend 1
check $? "50000 nodes created with the monitor listening: change events due in 10 s"
rmmod memtrack_exerciser && rmmod memtrack
check $? "rmmod both at once, with add/change/del events still queued"
kill -0 "$MONPID" 2>/dev/null
check $? "the monitor survived"
stop_monitor
check $? "the monitor exits cleanly ($(grep '^monitor ' "$T/mon2"))"
settle
after=$(sunreclaim)
echo "# SUnreclaim before load ${before} kB, after unload ${after} kB"
[ $((after - before)) -lt 4096 ]
check $? "no leak: unreclaimable slab grew by $((after - before)) kB (< 4 MiB; 50000 leaked nodes would be ~15 MiB)"

# Same without a listener, and with one that closes before the unload.
load event_interval_ms=10000 && cmd create p2 && cmd bulk p2 20000 4
check $? "load again, 20000 nodes"
start_monitor mon3 --quiet
cmd add p2 5 && cmd destroy p2
stop_monitor
check $? "a listener leaves while its events are queued"
unload
check $? "unload"
settle
after=$(sunreclaim)
[ $((after - before)) -lt 4096 ]
check $? "no leak after the second cycle ($((after - before)) kB)"
finish
