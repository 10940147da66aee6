#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host test of memtrackd's dma-buf tree, with the daemon of this build (the
# unit suite builds it with ASan+UBSan) on a private dbus-daemon standing in
# for the system bus, scanning a procfs-like tree that the test builds
# (MEMTRACKD_PROC_ROOT): nodes and their values, PSS of a shared buffer,
# names, a rule raising and clearing, ResetPeak, exits, the bound on the
# history of gone processes (also across a restart, from the saved
# history), Reload turning the scan off, and a clean exit.  The real
# procfs and real dma-bufs are tests/system/memtrackd-dmabuf.sh's.
# Usage: test-dmabuf-daemon.sh PATH-TO-MEMTRACKD.  Output: TAP.
set -u

daemon=${1:?usage: $0 PATH-TO-MEMTRACKD}
n=0
failed=0
check() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
for c in dbus-daemon busctl jq; do
	command -v "$c" >/dev/null || skip_all "no $c"
done

tmp=$(mktemp -d)
P=$tmp/proc
bus_pid='' mtd_pid=
cleanup() {
	[ -n "$mtd_pid" ] && kill "$mtd_pid" 2>/dev/null
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$P" "$tmp/gone" "$tmp/stage" "$tmp/state" "$tmp/root/etc/memtrackd.conf.d"

dbus-daemon --session --address="unix:path=$tmp/bus" --nofork --nopidfile >"$tmp/bus.log" 2>&1 &
bus_pid=$!
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus
B=(busctl --address="unix:path=$tmp/bus" --timeout=20 --json=short)
mgr() { "${B[@]}" call org.memtrack.MemTrack1 /org/memtrack/MemTrack1 org.memtrack.MemTrack1.Manager "$@"; }
prop() {
	"${B[@]}" get-property org.memtrack.MemTrack1 /org/memtrack/MemTrack1 org.memtrack.MemTrack1.Manager "$1" \
		2>/dev/null | jq -r .data
}
# jq -e on stdin that fails on empty input too (jq 1.6 -e does not)
jqe() {
	local in
	in=$(cat)
	[ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null
}
# node PATH: "bytes self count peak creator" of PATH, or nothing
node() { mgr GetNode s "$1" 2>/dev/null | jq -r '.data[0] | "\(.[4]) \(.[5]) \(.[6]) \(.[7]) \(.[8])"'; }
node_is() { [ "$(node "$1")" = "$2" ]; }
prop_is() { [ "$(prop "$1")" = "$2" ]; }
scans_from() { [ "$(prop DmabufScans)" -ge "$1" ]; }
gone_node() { mgr GetNode s "$1" 2>&1 | grep -q "no node"; }
alerts_are() {
	local out
	out=$(mgr ListAlerts) && [ "$(jq -r '.data[0][] | "\(.[0]) \(.[1])"' <<<"$out")" = "$1" ]
}
until_true() { # SECONDS COMMAND...
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.1
	done
}

# A process is built aside and renamed into the tree, so that a scan never
# sees half of it; "exit" renames it away.
# mkproc PID COMM, then dbuf PID FD INO SIZE EXP [NAME]..., then show PID
mkproc() {
	mkdir -p "$tmp/stage/$1/fd" "$tmp/stage/$1/fdinfo"
	printf '%s\n' "$2" >"$tmp/stage/$1/comm"
	: >"$tmp/stage/$1/maps"
}
dbuf() {
	local d=$tmp/stage/$1
	ln -s "/dmabuf:${6:-}" "$d/fd/$2"
	{
		printf 'pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t%s\nsize:\t%s\ncount:\t1\nexp_name:\t%s\n' "$3" "$4" "$5"
		[ -n "${6:-}" ] && printf 'name:\t%s\n' "$6"
	} >"$d/fdinfo/$2"
}
show() { mv "$tmp/stage/$1" "$P/$1"; }
quit() { mv "$P/$1" "$tmp/gone/$1"; }

start_daemon() {
	MEMTRACKD_PROC_ROOT=$P "$daemon" -c "$tmp/root" -s "$tmp/state" >>"$tmp/daemon.log" 2>&1 &
	mtd_pid=$!
	until_true 30 prop_set State
}
prop_set() { [ -n "$(prop "$1")" ]; }
stop_daemon() {
	local rc
	kill "$mtd_pid"
	wait "$mtd_pid"
	rc=$?
	mtd_pid=
	return $rc
}

until_true 10 test -S "$tmp/bus" || skip_all "dbus-daemon did not start: $(head -c 200 "$tmp/bus.log")"
cat >"$tmp/root/etc/memtrackd.conf.d/50-test.conf" <<CONF
[Daemon]
DmaBufScanIntervalSec=1

[Rule]
Name=camera
Match=dmabuf/*/camera
Raise=3000
CONF
start_daemon
if ! prop_set State; then
	grep -q 'genl controller' "$tmp/daemon.log" && skip_all "no generic netlink here: $(head -c 200 "$tmp/daemon.log")"
	echo "Bail out! memtrackd did not start: $(head -c 300 "$tmp/daemon.log")"
	exit 1
fi
check 0 "memtrackd started on the private bus (State $(prop State))"

until_true 20 node_is dmabuf "0 0 0 0 0"
check $? "the scan publishes the root alone: dmabuf 0 bytes"

mkproc 10 cam
dbuf 10 3 100 4096 system camera
dbuf 10 4 200 8192 system
show 10
until_true 20 node_is dmabuf/cam:10 "12288 0 0 12288 10"
check $? "dmabuf/cam:10: 12288 bytes (PSS), self 0, count 0, peak, creator 10"
node_is dmabuf/cam:10/camera "4096 4096 1 4096 10" &&
	node_is dmabuf/cam:10/untagged:system "8192 8192 1 8192 10" && node_is dmabuf "12288 0 0 12288 0"
check $? "its tags camera (4096) and untagged:system (8192); the root 12288"
until_true 10 alerts_are "dmabuf/cam:10/camera camera"
check $? "rule dmabuf/*/camera (Raise=3000) raised on dmabuf/cam:10/camera"

mkproc 20 'gpu/x#1'
dbuf 20 5 100 4096 system camera
show 20
until_true 20 node_is dmabuf/gpu_x_1:20/camera "2048 2048 1 2048 20"
check $? "a second holder of the camera buffer (comm gpu/x#1 written gpu_x_1): 2048 each"
node_is dmabuf/cam:10 "10240 0 0 12288 10" && node_is dmabuf/cam:10/camera "2048 2048 1 4096 10" &&
	node_is dmabuf "12288 0 0 12288 0"
check $? "cam:10 falls to 10240 (peak 12288 kept), the root stays 12288"
until_true 10 alerts_are ""
check $? "the camera alert cleared at 2048"
mgr ResetPeak s dmabuf/cam:10 >/dev/null && node_is dmabuf/cam:10 "10240 0 0 10240 10"
check $? "ResetPeak of dmabuf/cam:10: peak 10240"

quit 10
quit 20
until_true 20 gone_node dmabuf/cam:10
check $? "the holders exit: their nodes go"
node_is dmabuf "0 0 0 12288 0" && prop_is DmabufNodeCount 1
check $? "the root is 0, DmabufNodeCount 1"
mgr GetHistory stu dmabuf/cam:10 0 1 | jqe '.data[0] | (map(.[2]) | max) == 12288 and .[-1][4] == 0'
check $? "GetHistory(dmabuf/cam:10): kept, max 12288, ends at 0"

# 300 processes, one buffer each, then all gone: 256 keep their history.
for ((i = 0; i < 300; i++)); do
	mkproc $((1000 + i)) p
	dbuf $((1000 + i)) 3 $((5000 + i)) 4096 heap
	show $((1000 + i))
done
until_true 60 prop_is DmabufNodeCount 601
check $? "300 more holders: 601 dma-buf nodes"
node_is dmabuf "1228800 0 0 1228800 0"
check $? "the root is 300 x 4096"
# Processes gone in one scan went at the same time, in no order; p:1299
# goes a full scan after the others, so it is the newest.
for ((i = 0; i < 299; i++)); do quit $((1000 + i)); done
scans=$(prop DmabufScans)
until_true 20 scans_from $((scans + 2))
quit 1299
until_true 60 prop_is DmabufNodeCount 1
check $? "all gone: the root alone"
until_true 10 prop_is HistorySeries 513
check $? "history kept for the last 256 gone processes and their tags: 513 series ($(prop HistorySeries))"
gone_node dmabuf/cam:10 && mgr GetHistory stu dmabuf/cam:10 0 1 2>&1 | grep -q "no history" &&
	mgr GetHistory stu dmabuf/p:1299 0 1 | jqe '.data[0] | length > 0' 
check $? "the oldest (cam:10) is forgotten, the newest (p:1299) kept"

stop_daemon
check $? "SIGTERM: memtrackd exits 0 (no leak or error under the sanitizers)"
start_daemon
until_true 20 scans_from 2
check $? "restarted with the saved history ($(prop HistorySeries) series)"
prop_is HistorySeries 513
check $? "restored gone processes count towards the bound: still 513"
mkproc 2000 late
dbuf 2000 3 9000 4096 heap
show 2000
until_true 20 node_is dmabuf/late:2000 "4096 0 0 4096 2000"
quit 2000
until_true 20 gone_node dmabuf/late:2000
until_true 10 prop_is HistorySeries 513
check $? "one more gone process: the oldest restored one makes room (513)"

sed -i 's/^DmaBufScanIntervalSec=.*/DmaBufScanIntervalSec=0/' "$tmp/root/etc/memtrackd.conf.d/50-test.conf"
mgr Reload >/dev/null && prop_is DmabufScanIntervalUSec 0 && prop_is DmabufNodeCount 0 && gone_node dmabuf
check $? "Reload with DmaBufScanIntervalSec=0: no dma-buf node left"
stop_daemon
check $? "memtrackd exits 0 again"
if [ "$failed" -ne 0 ]; then
	echo "# --- memtrackd output"
	sed 's/^/# /' "$tmp/daemon.log" | tail -n 40
fi
echo "1..$n"
[ "$failed" -eq 0 ]
