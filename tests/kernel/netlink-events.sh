#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# shellcheck disable=SC2119 # load takes optional module parameters
# In-VM test of memtrack netlink events (tests/nl/mtnl-test monitor over
# libmemtrackctl's mtc_monitor_*): add, change and remove events for nodes
# this script creates, changes and destroys; after a burst of 10,000 changes
# and after a stress run, the last event of every node carries its final
# value (checked against a fresh dump); sequence numbers without gaps when
# nothing is lost; with a tiny receive buffer and a listener that does not
# read during a flood, the loss is reported (resync) and a re-dump restores
# the exact state.  Output: TAP.
set -u
cd "${MEMTRACK_REPO:-.}" || exit 1
. tests/nl/lib.sh
need_client

# last_vs_dump MONITOR_OUT DUMP_OUT: every "last" event agrees with the dump:
# a node whose last event is "del" is absent, any other has the dump's
# bytes, self, count and peak.  Prints mismatches; status 0 if none.
last_vs_dump() {
	awk 'function parse(   i, kv) { delete v; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		FNR == NR { if ($1 == "node") { parse(); d[v["id"]] = v["bytes"] " " v["self"] " " v["count"] " " v["peak"] } next }
		$1 == "last" {
			parse(); checked++
			got = v["bytes"] " " v["self"] " " v["count"] " " v["peak"]
			if (v["type"] == "del") { if (v["id"] in d) { bad++; print "# id " v["id"] ": last event del, but in the dump" } }
			else if (!(v["id"] in d)) { bad++; print "# id " v["id"] ": last event " v["type"] ", not in the dump" }
			else if (d[v["id"]] != got) { bad++; print "# id " v["id"] " (" v["name"] "): last " v["type"] " bytes/self/count/peak " got ", dump " d[v["id"]] }
		}
		END { print "# last events checked: " checked + 0 ", mismatches: " bad + 0; exit bad > 0 || checked == 0 }' "$2" "$1"
}
summary() { grep '^monitor ' "$T/$1"; }
# seq_ok NAME: no loss, no gap, every sequence number seen once
seq_ok() {
	local s
	s=$(summary "$1")
	[ "$(kv resyncs "$s")" = 0 ] && [ "$(kv gaps "$s")" = 0 ] &&
		[ "$(kv events "$s")" -gt 0 ] &&
		[ "$(kv events "$s")" = $(($(kv last_seq "$s") - $(kv first_seq "$s") + 1)) ]
}
ev_line() { # ev_line NAME TYPE ID: first event line of that type for that id
	grep -E -m1 "^ev seq=[0-9]+ type=$2 id=$3 " "$T/$1"
}

load
check $? "insmod memtrack.ko and memtrack_exerciser.ko"
echo $((16 << 20)) >/proc/sys/net/core/rmem_max

# ---- add, change, remove ----------------------------------------------------------
start_monitor ev1 --drain-ms 1500 --last
check $? "monitor subscribed to the events group"
cmd create ev && cmd create ev/a && cmd create ev/b && cmd add ev/a 100 &&
	cmd alloc ev/a x 50 && cmd add ev/b 7 && cmd sub ev/a 10
check $? "create ev, ev/a, ev/b; add, alloc, sub"
ev=$(id_of ev) a=$(id_of ev/a) b=$(id_of ev/b)
sleep 0.5
cmd destroy ev/b
check $? "destroy ev/b"
stop_monitor
check $? "monitor exits cleanly ($(summary ev1))"

ev_line ev1 add "$ev" | grep -q " parent=0 kind=root depth=0 .* name=ev\$" &&
	ev_line ev1 add "$a" | grep -q " parent=$ev kind=node depth=1 .* name=a\$" &&
	ev_line ev1 add "$b" | grep -q " parent=$ev kind=node depth=1 .* name=b\$"
check $? "add events for ev, ev/a, ev/b with parent, kind, depth and name"
grep -qE "^ev seq=[0-9]+ type=add id=[0-9]+ parent=$a kind=alloc depth=2 bytes=50 self=50 count=1 peak=50 .* name=x\$" "$T/ev1"
check $? "add event for the allocation leaf x (50 bytes)"
s_add=$(ev_line ev1 add "$b" | sed 's/^ev seq=\([0-9]*\).*/\1/')
s_del=$(ev_line ev1 del "$b" | sed 's/^ev seq=\([0-9]*\).*/\1/')
[ -n "$s_del" ] && [ "$s_del" -gt "$s_add" ] && ev_line ev1 del "$b" | grep -q " bytes=7 "
check $? "del event for ev/b after its add (seq $s_add < ${s_del:-none}), with its last bytes"
s_ev=$(ev_line ev1 add "$ev" | sed 's/^ev seq=\([0-9]*\).*/\1/')
s_a=$(ev_line ev1 add "$a" | sed 's/^ev seq=\([0-9]*\).*/\1/')
[ "$s_ev" -lt "$s_a" ] && [ "$s_a" -lt "$s_add" ]
check $? "parents announced before children, in creation order ($s_ev < $s_a < $s_add)"
ev_line ev1 change "$a" | grep -q " bytes=" && ev_line ev1 change "$ev" | grep -q " bytes="
check $? "change events for ev/a and ev"
"$MT" dump >"$T/dump1"
last_vs_dump "$T/ev1" "$T/dump1"
check $? "the last event of every node carries its current values"
grep -qE "^last type=change id=$ev .* bytes=140 self=0 count=0 peak=157 " "$T/ev1"
check $? "ev's last event: total 140, peak 157 (destroy of ev/b announced on ev)"
seq_ok ev1
check $? "sequence numbers without gap, no resync ($(summary ev1))"

# ---- a burst of 10,000 changes -----------------------------------------------------
cmd create ev/c && cmd create ev/c/d
start_monitor ev2 --drain-ms 1500 --last --quiet
check $? "monitor for the burst"
t0=$(date +%s%N)
for ((i = 0; i < 2500; i++)); do
	echo "add ev/a 3" >"$ctl"
	echo "sub ev/a 1" >"$ctl"
	echo "add ev/c/d $((i % 7 + 1))" >"$ctl"
	echo "set ev/c $i" >"$ctl"
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(field node ev/a self)" = $((90 + 2500 * 2)) ]
check $? "10,000 changes through the exerciser ($ms ms); ev/a self $(field node ev/a self)"
stop_monitor
check $? "monitor exits cleanly ($(summary ev2))"
"$MT" dump >"$T/dump2"
last_vs_dump "$T/ev2" "$T/dump2"
check $? "after the burst, the last event of each node carries its final value"
grep -qE "^last type=change id=$(id_of ev/c) .* bytes=$((2499 + $(field node ev/c/d total))) " "$T/ev2"
check $? "ev/c's last event has its final total"
seq_ok ev2
check $? "sequence numbers without gap, no resync ($(summary ev2))"
[ "$(kv change "$(summary ev2)")" -lt 5000 ]
check $? "changes are coalesced: $(kv change "$(summary ev2)") change events for 10,000 changes on 4 nodes and their ancestors"

# ---- changes that leave the bytes alone --------------------------------------------
cmd create ev/k && cmd add ev/k 100 && cmd add ev/k 0 && cmd create ev/z && cmd add ev/z 0
start_monitor ev3 --drain-ms 1500 --last --quiet
sleep 0.3
cmd set ev/k 100
cmd sub ev/z 5 2>/dev/null # clamped: -ERANGE, count 1 -> 0
stop_monitor
"$MT" dump >"$T/dump3"
echo "# ev/k count $(field node ev/k count), ev/z count $(field node ev/z count)"
last_vs_dump "$T/ev3" "$T/dump3" >"$T/ev3.check" && grep -q "^last .*id=$(id_of ev/k) " "$T/ev3" &&
	grep -q "^last .*id=$(id_of ev/z) " "$T/ev3"
check $? "a count change with unchanged bytes (set to the same value, clamped sub) is announced"
note <"$T/ev3.check"

# ---- a stress run, followed by a mirror ------------------------------------------------
start_monitor ev4 --drain-ms 1500 --mirror --last --quiet --rcvbuf $((8 << 20))
check $? "monitor with a mirror of the forest (8 MiB receive buffer)"
cmd stress start 2 3
check $? "stress start 2 workers for 3 s"
sleep 4
echo "# $(grep '^stress running' "$st")"
[ "$(field stress running running)" = 0 ] && [ "$(field stress running ledger_ok)" = 1 ]
check $? "stress finished, ledger ok"
stop_monitor
check $? "monitor exits cleanly ($(summary ev4))"
m=$(grep '^mirror ' "$T/ev4")
echo "# $m"
grep '^# mirror-bad' "$T/ev4" | head -n 6
[ "$(kv mismatches "$m")" = 0 ] && [ "$(kv nodes "$m")" = "$(kv dump_nodes "$m")" ]
check $? "mirror built from events (and re-dumps on loss) equals a fresh dump"
"$MT" dump >"$T/dump4"
if [ "$(kv resyncs "$(summary ev4)")" = 0 ]; then
	last_vs_dump "$T/ev4" "$T/dump4"
	check $? "nothing lost: the last event of every stress node carries its final value"
	seq_ok ev4
	check $? "sequence numbers without gap under stress ($(summary ev4))"
else
	skip "last event of every stress node" "events were lost ($(summary ev4))"
	skip "sequence numbers without gap under stress" "events were lost"
fi
cmd stress stop && cmd destroy stress

# ---- loss: tiny receive buffer, not reading during a flood ------------------------------
start_monitor ev5 --drain-ms 1500 --mirror --quiet --rcvbuf 1 --pause-ms 4000
check $? "monitor with the smallest receive buffer, pausing 4 s"
t0=$(date +%s%N)
cmd create gap && cmd bulk gap 2000 8 && cmd add gap 5
check $? "flood: 2001 nodes created while the monitor sleeps ($((($(date +%s%N) - t0) / 1000000)) ms)"
sleep 5
stop_monitor
check $? "monitor exits cleanly ($(summary ev5))"
s=$(summary ev5)
[ "$(kv resyncs "$s")" -ge 1 ]
check $? "the loss is reported: $(kv resyncs "$s") resync(s)"
m=$(grep '^mirror ' "$T/ev5")
echo "# $m"
[ "$(kv mismatches "$m")" = 0 ] && [ "$(kv nodes "$m")" = "$(kv dump_nodes "$m")" ] &&
	[ "$(kv redumps "$m")" -ge 2 ]
check $? "after the re-dump the mirror equals a fresh dump"
out=$("$MT" dump --id "$(id_of gap)" --quiet)
[ "$out" = "dump nodes=2001" ] && "$MT" get --id "$(id_of gap)" | grep -q " bytes=2005 "
check $? "and the state is the expected one: gap has 2001 nodes, total 2005 ($out)"

# ---- unload -------------------------------------------------------------------------------
unload
check $? "unload"
finish
