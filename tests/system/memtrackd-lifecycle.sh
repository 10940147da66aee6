#!/bin/bash
# vm: --timeout 900 --mem 1536
# System mode: memtrackd's life around the kernel module and itself.  The
# module is unloaded (the daemon waits, through the genl controller's
# notifications, and keeps the history) and loaded again (it reattaches and
# continues the same series); an event flood overruns its socket and forces
# a re-dump, after which its mirror equals a kernel dump exactly; after
# kill -9 systemd restarts it with the history it had saved; and a truncated
# state file is reported and ignored.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
tmp=$(mktemp -d)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/daemon.sh
. "$(dirname "$0")/../lib/daemon.sh"

# switches PID: the context switches of all PID's threads so far (each
# wakeup from epoll_wait is one); empty if PID is gone
switches() {
	awk '/^(non)?voluntary_ctxt_switches:/ { s += $2; n++ } END { if (n) print s }' \
		"/proc/$1"/task/*/status 2>/dev/null
}
# ticks PID: its user + system CPU time so far, in clock ticks
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# journal_cursor: the cursor of the journal's last entry
journal_cursor() { journalctl -q -n1 -o json | jq -r '.__CURSOR // empty'; }
# logged_since CURSOR REGEX: memtrackd logged a message matching REGEX
# (grep -E) after CURSOR (an empty CURSOR fails)
logged_since() {
	[ -n "$1" ] && journalctl --no-pager -q -o cat -u memtrackd.service --after-cursor="$1" |
		grep -Eq "$2"
}
# kill9: kill -9 the daemon, announced (mtd_expect_restart) to the harness,
# which compares systemd's restarts with the announced ones; until systemd
# has restarted it
kill9() {
	local pid
	pid=$(systemctl show -p MainPID --value memtrackd.service)
	[ "$pid" -gt 0 ] || return 1
	mtd_expect_restart
	kill -9 "$pid"
	until_true 30 eval '[ "$(systemctl show -p MainPID --value memtrackd.service)" != "$pid" ]' &&
		until_true 30 service_active
}

mkdir -p /etc/memtrackd.conf.d
# A small event buffer, so that a modest burst overruns it.  The default
# SaveIntervalSec= (300 s) until the kill -9 below: a 1 s save timer would
# wake the daemon every second while it waits for the module, as a poll does.
printf '[Daemon]\nEventBufferBytes=256K\n' >/etc/memtrackd.conf.d/50-test.conf
systemctl restart memtrackd.service && wait_service && state_is attached
check $? "memtrackd is active and attached"

insmod "$ko/tests/memtrack_exerciser.ko"
cmd create cam && cmd create cam/frames && cmd set cam/frames 1048576
until_true 20 bytes_is cam/frames 1048576
check $? "cam/frames mirrored at 1 MiB"

# Unload: the daemon notices without polling and keeps the history.
rmmod memtrack_exerciser && modprobe -r memtrack
check $? "unload the exerciser and memtrack"
until_true 20 state_is waiting
check $? "State becomes waiting"
[ "$(prop NodeCount)" = 0 ] && ! mgr GetNode s cam/frames >/dev/null 2>&1
check $? "no live nodes are left"
mgr GetHistory stu cam/frames 0 1 | jqe '.data[0] | (map(.[2]) | max) == 1048576' >/dev/null
check $? "the history of cam/frames is kept while the module is gone"
memtrackctl status | grep -qi waiting
check $? "memtrackctl status shows the daemon waiting"
# No polling: count wakeups, not CPU time (a poll costs far less than a
# 10 ms tick, whatever the emulation's speed).  Each wakeup of the daemon is
# a context switch (it blocks in epoll_wait again), so a 1 Hz poll or timer
# gives >= 5 in 6 s.  Idle in its event loop, nothing wakes it but the
# watchdog ping, which sd-event sends 15-22.5 s after the last one
# (WatchdogSec=30s): 0 or 1 in 6 s.  CPU time too, for a busy loop.
pid=$(systemctl show -p MainPID --value memtrackd.service)
sleep 2
c0=$(switches "$pid") t0=$(ticks "$pid")
sleep 6
c1=$(switches "$pid") t1=$(ticks "$pid")
[ -n "$c0" ] && [ -n "$c1" ] && [ -n "$t0" ] && [ -n "$t1" ] &&
	[ $((c1 - c0)) -le 2 ] && [ $((t1 - t0)) -le 2 ] &&
	[ "$(systemctl show -p MainPID --value memtrackd.service)" = "$pid" ] && state_is waiting
check $? "while waiting it does not poll: $((${c1:-0} - ${c0:-0})) wakeups and $((${t1:-0} - ${t0:-0})) CPU ticks in 6 s (pid $pid)"

modprobe memtrack && insmod "$ko/tests/memtrack_exerciser.ko"
until_true 20 state_is attached
check $? "after modprobe the daemon reattaches"
[ "$(prop Attachments)" = 2 ]
check $? "Attachments is 2"
cmd create cam && cmd create cam/frames && cmd set cam/frames 3145728
until_true 20 bytes_is cam/frames 3145728
check $? "the new cam/frames is mirrored (new kernel id)"
mgr GetHistory stu cam/frames 0 1 | jqe '.data[0] | (map(.[2]) | max) == 3145728 and
	(map(select(.[4] == 1048576)) | length) > 0 and .[-1][4] == 3145728' >/dev/null
check $? "one series holds the value before the unload and the new one"

# An event flood overruns the daemon's socket while it is stalled (stopped
# for 5 s, well inside its 30 s watchdog): it must notice and re-dump.
resyncs=$(prop Resyncs)
pid=$(systemctl show -p MainPID --value memtrackd.service)
kill -STOP "$pid"
cmd create flood && cmd bulk flood 3000 16
sleep 5
kill -CONT "$pid"
until_true 120 eval '[ "$(prop Resyncs)" -gt "$resyncs" ]'
check $? "3,000 node creations while it stalled (256 KiB socket buffer) force a resync ($(prop Resyncs) > $resyncs)"
cmd create flood2 && cmd bulk flood2 2000 8 && cmd destroy flood && cmd set cam/frames 777
until_true 120 mirror_matches
rc=$?
check $rc "once changes stop, the mirror equals a kernel dump (id, path, bytes, self, count, peak)"
[ $rc -eq 0 ] || mirror_diff
[ "$(prop NodeCount)" = "$(memtrackctl dump -j | jq '[.. | objects | select(has("id"))] | length')" ]
check $? "NodeCount equals the kernel's node count ($(prop NodeCount))"

# kill -9: systemd restarts the daemon, which restores the saved history
# (saved every second from here on).
printf '[Daemon]\nSaveIntervalSec=1\nEventBufferBytes=256K\n' >/etc/memtrackd.conf.d/50-test.conf
mgr Reload >/dev/null
check $? "Reload with SaveIntervalSec=1"
sleep 3
restarts=$(systemctl show -p NRestarts --value memtrackd.service)
# The journal from here on: the restart's entries only.
cursor=$(journal_cursor)
kill9
[ "$(systemctl show -p NRestarts --value memtrackd.service)" = $((restarts + 1)) ]
check $? "after kill -9 systemd restarted memtrackd (NRestarts $restarts -> $((restarts + 1)))"
until_true 60 bytes_is cam/frames 777
check $? "the restarted daemon attached and mirrors the forest again"
mgr GetHistory stu cam/frames 0 1 | jqe '.data[0] | (map(.[2]) | max) == 3145728 and
	(map(select(.[4] == 1048576)) | length) > 0' >/dev/null
check $? "its history was restored from the state file (both module lifetimes)"
until_true 10 logged_since "$cursor" '^restored history of [1-9][0-9]* paths$'
check $? "the journal says the history was restored (an entry after the kill -9)"

# A corrupt state file is reported and ignored, never fatal.
systemctl stop memtrackd.service
f=/var/lib/memtrackd/history
cursor=$(journal_cursor)
[ -s "$f" ] && head -c 100 "$f" >"$tmp/cut" && cat "$tmp/cut" >"$f" &&
	systemctl start memtrackd.service && wait_service && until_true 30 state_is attached
check $? "memtrackd starts with a truncated state file"
until_true 10 logged_since "$cursor" "^ignoring saved history $f: "
check $? "the journal reports the truncated state file"

echo "1..$n"
[ "$failed" -eq 0 ]
