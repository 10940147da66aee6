#!/bin/bash
# vm: --timeout 900 --mem 1024
# System mode: memtrackd's dma-buf scan (DmaBufScanIntervalSec=).  Off by
# default; turned on by Reload it counts and logs the processes it may not
# read (the unit has CAP_NET_ADMIN only); with the shipped capabilities
# drop-in it publishes real dma-bufs held by tests/dmabuf/mtdb-hold
# (memtrack_dmabuf_exporter.ko, every scenario) as dmabuf/<comm>:<pid>/<tag>
# with exactly the PSS bytes mtdb-hold reports, as D-Bus objects with
# PropertiesChanged, history and a threshold rule on a tag (journal entries
# and signals), untouched by module unload, reload and a forced re-dump
# while the kernel part of GetTree still equals a kernel dump; the nodes
# go when the holder exits, the alert clears, and a changed interval
# applies on Reload and SIGHUP.  Output: TAP.
# shellcheck disable=SC2016 # jq programs, in single quotes
set -u

ko=${MEMTRACK_KO_DIR:?}
tmp=$(mktemp -d)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/daemon.sh
. "$(dirname "$0")/../lib/daemon.sh"
note() { sed 's/^/# /'; }
conf=/etc/memtrackd.conf.d/50-dmabuf.conf
dropin=/etc/systemd/system/memtrackd.service.d/dmabuf-scan.conf
example=/usr/share/doc/memtrack/examples/memtrackd-dmabuf-scan.conf
UNIT=65536

bin=$(tests/dmabuf/build.sh 2>"$tmp/build.err")
rc=$?
note <"$tmp/build.err"
check $rc "mtdb-hold built ($bin)"
insmod "$ko/tests/memtrack_dmabuf_exporter.ko"
check $? "insmod memtrack_dmabuf_exporter.ko"
if [ "$rc" != 0 ] || [ ! -c /dev/memtrack_dmabuf ]; then
	echo "Bail out! no dma-buf source"
	exit 1
fi

# ---- holders (as in tests/kernel/dmabuf-sources.sh) ------------------------
# hold_start RUN FD ARGS...: mtdb-hold ARGS with its stdin on a fifo that
# this shell keeps open on FD; waits for "ready".  Output in $tmp/RUN.out.
declare -A HOLD_PID=()
hold_start() {
	local run=$1 fd=$2 i
	shift 2
	mkfifo "$tmp/$run.in"
	"$bin" "$@" <"$tmp/$run.in" >"$tmp/$run.out" 2>"$tmp/$run.err" &
	HOLD_PID[$run]=$!
	eval "exec $fd>\"\$tmp/\$run.in\""
	for ((i = 0; i < 600; i++)); do
		grep -qx ready "$tmp/$run.out" && return 0
		kill -0 "${HOLD_PID[$run]}" 2>/dev/null || break
		sleep 0.1
	done
	note <"$tmp/$run.out"
	note <"$tmp/$run.err"
	return 1
}
# hold_stop RUN FD: close its stdin, wait for it (30 s at most); its status
hold_stop() {
	local rc i
	eval "exec $2>&-"
	for ((i = 0; i < 300; i++)); do
		kill -0 "${HOLD_PID[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${HOLD_PID[$1]}" 2>/dev/null; then
		echo "# $1 still running 30 s after its stdin was closed"
		kill "${HOLD_PID[$1]}"
	fi
	wait "${HOLD_PID[$1]}"
	rc=$?
	[ "$rc" = 0 ] && grep -qx 'done status=0' "$tmp/$1.out" && [ ! -s "$tmp/$1.err" ] && return 0
	echo "# exit status $rc"
	note <"$tmp/$1.err"
	return 1
}
main_pid() { sed -n 's/^proc pid=\([0-9]*\) role=main .*/\1/p' "$tmp/$1.out"; }
pids_of() { sed -n 's/^proc pid=\([0-9]*\) .*/\1/p' "$tmp/$1.out"; }

# expected_nodes RUN: from mtdb-hold's own report, the nodes its processes
# must have, "path bytes self count creator", sorted: a process node has
# its PSS, each tag the shares (size / procs, rounded down) of its buffers
# there, with the tag the buffer's name, else "untagged:<exp_name>" when
# some process has an fd of it, else "untagged" (only mapped).
expected_nodes() {
	awk '
		function parse(   i, a) { delete f; for (i = 2; i <= NF; i++) { split($i, a, "="); f[a[1]] = a[2] } }
		$1 == "proc" { parse(); comm[f["pid"]] = f["comm"] }
		$1 == "buf" { parse(); size[f["id"]] = f["size"]; name[f["id"]] = f["name"]
			procs[f["id"]] = f["procs"]; expname[f["id"]] = f["exp_name"] }
		$1 == "hold" { parse(); nh++; hp[nh] = f["pid"]; hb[nh] = f["buf"]; if (f["fds"] > 0) hasfd[f["buf"]] = 1 }
		$1 == "expect" { parse(); pss[f["pid"]] = f["pss"] }
		END {
			for (k = 1; k <= nh; k++) {
				b = hb[k]; p = hp[k]
				tag = name[b] != "-" ? name[b] : ((b in hasfd) ? "untagged:" expname[b] : "untagged")
				key = p SUBSEP tag; bytes[key] += int(size[b] / procs[b]); cnt[key]++
			}
			for (p in pss) printf "dmabuf/%s:%s %d 0 0 %s\n", comm[p], p, pss[p], p
			for (key in bytes) {
				split(key, a, SUBSEP)
				printf "dmabuf/%s:%s/%s %d %d %d %s\n", comm[a[1]], a[1], a[2], bytes[key], bytes[key], cnt[key], a[1]
			}
		}' "$tmp/$1.out" | sort
}
# actual_nodes RUN: the published nodes under RUN's processes, same form
actual_nodes() {
	local re
	re=$(pids_of "$1" | paste -sd'|')
	dmabuf_nodes | awk -v re="^dmabuf/[^/]*:($re)(/|\$)" '$1 ~ re { print $1, $2, $3, $4, $5 }' | sort
}
no_nodes() { [ -z "$(actual_nodes "$1")" ]; }
nodes_match() { [ -s "$tmp/$1.want" ] && [ "$(actual_nodes "$1")" = "$(cat "$tmp/$1.want")" ]; }
# tree_sums: in the whole dma-buf tree every parent's Bytes is the sum of
# its children's, and the root is there
tree_sums() {
	dmabuf_nodes | awk '
		{ bytes[$6] = $2; parent[$6] = $7; if ($1 == "dmabuf") root = $6 }
		END {
			if (!root) exit 1
			for (id in parent) if (parent[id] != 0) { sum[parent[id]] += bytes[id]; kids[parent[id]] = 1 }
			for (id in kids) if (sum[id] != bytes[id]) { print "sum", id, sum[id], bytes[id]; exit 1 }
		}'
}
root_id() { dmabuf_nodes | awk '$1 == "dmabuf" { print $6 }'; }
dmabuf_ids() { dmabuf_nodes | awk '{ print $1, $6 }' | sort; }
obj_of() { mgr GetNode s "$1" | jq -r '.data[0][0]'; }
scans_above() { [ "$(prop DmabufScans)" -gt "$1" ]; }
resyncs_above() { [ "$(prop Resyncs)" -gt "$1" ]; }
# journal_has MESSAGE_ID [NODE]: an entry of that id (for that node)
journal_has() {
	[ -n "$(journal_json "$1" | jq -r --arg p "${2:-}" 'select($p == "" or .MEMTRACK_NODE == $p) | .MESSAGE')" ]
}
prop_is() { [ "$(prop "$1")" = "$2" ]; }
# clears_of NODE: clear entries of NODE in the journal
clears_of() { journal_json "$MTD_MSG_CLEARED" | jq -r --arg p "$1" 'select(.MEMTRACK_NODE == $p) | .MESSAGE' | wc -l; }
clears_above() { [ "$(clears_of "$1")" -gt "$2" ]; }
sigs_above() { [ "$(grep -cF "$1" "$tmp/signals")" -gt "$2" ]; }
np() { busctl --system --timeout=5 --json=short get-property "$MTD_DEST" "$1" "$MTD_NODE" "$2" | jq -r .data; }

wait_service
check $? "memtrackd.service is active"
# Before any holder: it must not keep a holder's stdin fifo open.
gdbus monitor --system --dest "$MTD_DEST" >"$tmp/signals" 2>&1 &
monitor=$!
[ "$(prop DmabufScanIntervalUSec)" = 0 ] && [ "$(prop DmabufNodeCount)" = 0 ] &&
	[ "$(prop DmabufScans)" = 0 ] && ! mgr GetNode s dmabuf >/dev/null 2>&1
check $? "the scan is off by default: no scans, no dmabuf node"

# Kernel nodes to compare with a dump later.
insmod "$ko/tests/memtrack_exerciser.ko" && cmd create cam && cmd create cam/frames &&
	cmd set cam/frames 1048576 && until_true 20 bytes_is cam/frames 1048576
check $? "kernel node cam/frames mirrored"

hold_start run1 7 --source exporter --unit $UNIT all
check $? "mtdb-hold holds every scenario ($(pids_of run1 | wc -l) processes)"
expected_nodes run1 >"$tmp/run1.want"
note <"$tmp/run1.want"

# ---- without the capabilities: counted, logged, not silently dropped -------
mkdir -p /etc/memtrackd.conf.d
cat >"$conf" <<CONF
[Daemon]
DmaBufScanIntervalSec=1
SaveIntervalSec=2
EventBufferBytes=256K

[Rule]
Name=named-dmabuf
Match=dmabuf/*/mtdb-named
Raise=256K
Clear=128K
CONF
mgr Reload >/dev/null
check $? "Reload turns the scan on (DmaBufScanIntervalSec=1)"
until_true 20 scans_above 1 && [ "$(prop DmabufScanIntervalUSec)" = 1000000 ] && mgr GetNode s dmabuf >/dev/null
check $? "it scans ($(prop DmabufScans) scans, last $(prop DmabufLastScanUSec) us) and publishes the dmabuf root"
unr=$(prop DmabufUnreadable)
[ "$unr" -gt 0 ] && ! mgr GetNode s "dmabuf/mtdb-hold:$(main_pid run1)" >/dev/null 2>&1
check $? "as user memtrack with CAP_NET_ADMIN only, root's processes are unreadable: DmabufUnreadable=$unr, the holder is not in the tree"
until_true 10 journal_has 954e76619f0947efa2d4f9e04e7dffe9
journal_json 954e76619f0947efa2d4f9e04e7dffe9 | tail -n1 >"$tmp/unr.json"
jqe '(.MEMTRACK_DMABUF_UNREADABLE | tonumber) > 0 and (.MEMTRACK_DMABUF_PIDS | tonumber) > 0 and
	.PRIORITY == "4" and (.MESSAGE | test("CAP_SYS_PTRACE"))' <"$tmp/unr.json"
check $? "the journal says so: $(jq -r .MESSAGE "$tmp/unr.json" | head -c 160)"

# ---- with the shipped capabilities drop-in ---------------------------------
[ -f "$example" ] && install -D -m 0644 "$example" "$dropin" &&
	systemctl daemon-reload && systemctl restart memtrackd.service && wait_service
check $? "memtrackd restarts with the shipped drop-in $example"
systemctl show -p CapabilityBoundingSet --value memtrackd.service | grep -q cap_sys_ptrace &&
	systemctl show -p AmbientCapabilities --value memtrackd.service | grep -q cap_dac_read_search &&
	[ "$(ps -o user= -p "$(systemctl show -p MainPID --value memtrackd.service)")" = memtrack ]
check $? "it runs as memtrack with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH added"
until_true 30 nodes_match run1
rc=$?
check $rc "the holder's nodes have exactly mtdb-hold's PSS, SelfBytes, Count and pid"
[ $rc = 0 ] || { echo "# got:"; actual_nodes run1 | note; dmabuf_nodes | note; }
[ "$(prop DmabufUnreadable)" = 0 ]
check $? "with the capabilities no process is unreadable"
tree_sums
check $? "every parent's Bytes is the sum of its children's (root: $(node_bytes dmabuf))"
[ "$(dmabuf_nodes | awk -v b="$MTD_DMABUF_ID_BASE" '$6 < b' | wc -l)" = 0 ] &&
	[ "$(prop DmabufNodeCount)" = "$(dmabuf_nodes | wc -l)" ]
check $? "dma-buf node ids start at 2^52, DmabufNodeCount = $(prop DmabufNodeCount)"
echo "# scan: $(prop DmabufLastScanUSec) us, $(prop DmabufProcesses) holding processes, $(prop DmabufBuffers) buffers, $(prop DmabufBytes) bytes; $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) pids"

main=$(main_pid run1)
ppath=dmabuf/mtdb-hold:$main
pss=$(sed -n "s/^expect pid=$main .* pss=\([0-9]*\)$/\1/p" "$tmp/run1.out")
pobj=$(obj_of "$ppath")
[ "$(np "$pobj" Path)" = "$ppath" ] && [ "$(np "$pobj" Name)" = "mtdb-hold:$main" ] &&
	[ "$(np "$pobj" Bytes)" = "$pss" ] && [ "$(np "$pobj" PeakBytes)" = "$pss" ] &&
	[ "$(np "$pobj" CreatorPid)" = "$main" ] && [ "$(np "$pobj" SelfBytes)" = 0 ] &&
	[ "$(np "$pobj" Parent)" = "$(obj_of dmabuf)" ]
check $? "$pobj: Path, Name, Bytes ($pss), PeakBytes, CreatorPid, SelfBytes, Parent"
busctl --system --timeout=5 tree "$MTD_DEST" 2>/dev/null | grep -q "$pobj\$"
check $? "busctl tree lists it (enumerator)"

# ---- the threshold rule on a tag -------------------------------------------
tag=$ppath/mtdb-named
named=$((6 * UNIT))
until_true 20 journal_has "$MTD_MSG_RAISED" "$tag"
journal_json "$MTD_MSG_RAISED" | jq -c --arg p "$tag" 'select(.MEMTRACK_NODE == $p)' | tail -n1 >"$tmp/raised.json"
jqe --arg b "$named" '.MEMTRACK_BYTES == $b and .MEMTRACK_THRESHOLD == "262144" and
	.MEMTRACK_RULE == "named-dmabuf" and .PRIORITY == "4"' <"$tmp/raised.json"
check $? "rule dmabuf/*/mtdb-named: raise entry for $tag at $named bytes with the MEMTRACK_* fields"
[ "$(np "$(obj_of "$tag")" AlertLevel)" = 100 ] &&
	mgr ListAlerts | jqe --arg p "$tag" '.data[0] | map(select(.[0] == $p and .[1] == "named-dmabuf")) | length == 1'
check $? "AlertLevel 100 and ListAlerts lists it"

# ---- history, signals ------------------------------------------------------
root0=$(node_bytes dmabuf)
robj=$(obj_of dmabuf)
hold_start run2 8 --source exporter --unit $UNIT fd
check $? "a second holder (scenario fd: one buffer, two fds)"
expected_nodes run2 >"$tmp/run2.want"
until_true 20 nodes_match run2
check $? "its node appears with its bytes ($(awk 'NR == 1 { print $2 }' "$tmp/run2.want"))"
root1=$((root0 + UNIT))
until_true 20 grep -q "$robj: org.freedesktop.DBus.Properties.PropertiesChanged.*'Bytes': <uint64 $root1>" "$tmp/signals"
check $? "PropertiesChanged on the root carries Bytes $root0 + $UNIT"
r2obj=$(obj_of "dmabuf/mtdb-hold:$(main_pid run2)")
grep -q "InterfacesAdded.*$r2obj" "$tmp/signals"
check $? "InterfacesAdded for its process node $r2obj"
hold_stop run2 8
check $? "the second holder exits"
until_true 20 bytes_is dmabuf "$root0" && ! mgr GetNode s "dmabuf/mtdb-hold:$(main_pid run2)" >/dev/null 2>&1
check $? "its node is gone and the root is back to $root0"
until_true 10 grep -q "InterfacesRemoved.*$r2obj" "$tmp/signals"
check $? "InterfacesRemoved for $r2obj"

mgr GetHistory stu "$ppath" "$(( ($(date +%s) - 600) * 1000000 ))" 1 >"$tmp/hist"
jqe --argjson v "$pss" '.data[0] | length > 0 and (map(.[2]) | max) == $v and .[-1][4] == $v' <"$tmp/hist"
check $? "GetHistory($ppath): max and last are $pss"
mgr GetHistory stu dmabuf 0 0 | jqe '.data[0] | length > 0'
check $? "GetHistory(dmabuf) works"

# ---- independent of the kernel mirror ----------------------------------------
ids=$(dmabuf_ids)
until_true 20 kernel_mirror_matches
check $? "the kernel part of GetTree equals a kernel dump while scanning"
rmmod memtrack_exerciser && modprobe -r memtrack && until_true 20 state_is waiting
check $? "memtrack unloaded: State waiting"
sleep 2
[ "$(dmabuf_ids)" = "$ids" ] && mgr GetNode s "$ppath" >/dev/null && nodes_match run1
check $? "the dma-buf nodes stay, same ids and bytes, while the module is gone"
modprobe memtrack && insmod "$ko/tests/memtrack_exerciser.ko" && until_true 20 state_is attached &&
	cmd create cam && cmd create cam/frames && cmd set cam/frames 2097152 &&
	until_true 20 bytes_is cam/frames 2097152
check $? "memtrack loaded again: reattached, cam/frames mirrored"
[ "$(dmabuf_ids)" = "$ids" ] && nodes_match run1
check $? "the dma-buf nodes are untouched by the reattach dump"
resyncs=$(prop Resyncs)
pid=$(systemctl show -p MainPID --value memtrackd.service)
kill -STOP "$pid"
cmd create flood && cmd bulk flood 3000 16
sleep 5
kill -CONT "$pid"
until_true 120 resyncs_above "$resyncs"
check $? "an event flood while stalled forces a re-dump (Resyncs $resyncs -> $(prop Resyncs))"
cmd destroy flood
until_true 120 kernel_mirror_matches
check $? "after it the kernel part of GetTree equals a kernel dump"
[ "$(dmabuf_ids)" = "$ids" ] && nodes_match run1
check $? "and the dma-buf nodes are untouched, same ids"

# ---- the holder exits ------------------------------------------------------
clear_sig="AlertCleared ('$tag', 'named-dmabuf', byte 0x64, uint64 0, uint64 131072)"
clears0=$(clears_of "$tag")
sigs0=$(grep -cF "$clear_sig" "$tmp/signals")
hold_stop run1 7
check $? "mtdb-hold exits cleanly"
# Right after the 3,000-node flood above, the sanitized daemon on TCG may
# still be sending its InterfacesRemoved signals: up to 60 s.
run1_gone() {
	local objs
	no_nodes run1 && ! mgr GetNode s "$ppath" >/dev/null 2>&1 &&
		objs=$(busctl --system --timeout=5 tree "$MTD_DEST") && ! grep -q "$pobj\$" <<<"$objs"
}
until_true 60 run1_gone
check $? "its nodes and objects are gone"
until_true 20 clears_above "$tag" "$clears0"
journal_json "$MTD_MSG_CLEARED" | jq -c --arg p "$tag" 'select(.MEMTRACK_NODE == $p)' | tail -n1 |
	jqe '.MEMTRACK_BYTES == "0" and .MEMTRACK_RULE == "named-dmabuf" and .PRIORITY == "5"'
check $? "journal: the alert on $tag clears at 0 bytes (a new entry: $clears0 before)"
until_true 10 sigs_above "$clear_sig" "$sigs0"
check $? "the AlertCleared signal arrives"
[ "$(mgr ListAlerts | jq '.data[0] | length')" = 0 ]
check $? "no alert listed"
mgr GetHistory stu "$ppath" 0 1 | jqe --argjson v "$pss" '.data[0] | (map(.[2]) | max) == $v and .[-1][4] == 0'
check $? "the history of $ppath is kept and ends at 0"

# ---- a changed interval ------------------------------------------------------
sed -i 's/^DmaBufScanIntervalSec=.*/DmaBufScanIntervalSec=3/' "$conf"
systemctl reload memtrackd.service
until_true 10 prop_is DmabufScanIntervalUSec 3000000
check $? "systemctl reload (SIGHUP) with DmaBufScanIntervalSec=3 applies it"
s0=$(prop DmabufScans)
sleep 7
s1=$(prop DmabufScans)
[ $((s1 - s0)) -ge 1 ] && [ $((s1 - s0)) -le 3 ]
check $? "it scans at the new interval: $((s1 - s0)) scans in 7 s"
sed -i 's/^DmaBufScanIntervalSec=.*/DmaBufScanIntervalSec=0/' "$conf"
mgr Reload >/dev/null && prop_is DmabufScanIntervalUSec 0 && prop_is DmabufNodeCount 0 &&
	! mgr GetNode s dmabuf >/dev/null 2>&1
check $? "Reload with DmaBufScanIntervalSec=0: the dma-buf tree is gone"
s0=$(prop DmabufScans)
sleep 4
prop_is DmabufScans "$s0"
check $? "no more scans ($s0)"
mgr GetHistory stu dmabuf 0 0 | jqe '.data[0] | length > 0'
check $? "the history of the root is kept"

kill "$monitor" 2>/dev/null
echo "1..$n"
[ "$failed" -eq 0 ]
