#!/bin/bash
# vm: --timeout 900 --mem 1536
# System mode: memtrackd's life around the kernel module and itself.  The
# module is unloaded (the daemon waits, through the genl controller's
# notifications, and keeps the history) and loaded again (it reattaches and
# continues the same series); an event flood overruns its socket and forces
# a re-dump, after which its mirror equals a kernel dump exactly; and after
# kill -9 systemd restarts it with the history it had saved.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
tmp=$(mktemp -d)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/daemon.sh
. "$(dirname "$0")/../lib/daemon.sh"

mkdir -p /etc/memtrackd.conf.d
# A small event buffer, so that a modest burst overruns it.
printf '[Daemon]\nSaveIntervalSec=1\nEventBufferBytes=256K\n' >/etc/memtrackd.conf.d/50-test.conf
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
pid=$(systemctl show -p MainPID --value memtrackd.service)
sleep 2
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep 3
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
[ $((t1 - t0)) -le 2 ]
check $? "while waiting it uses no CPU (no polling): $((t1 - t0)) ticks in 3 s"

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
check $? "once changes stop, the mirror equals a kernel dump (id, path, bytes, self, count, peak)"
[ "$(prop NodeCount)" = "$(memtrackctl dump -j | jq '[.. | objects | select(has("id"))] | length')" ]
check $? "NodeCount equals the kernel's node count ($(prop NodeCount))"

# kill -9: systemd restarts the daemon, which restores the saved history.
sleep 2
pid=$(systemctl show -p MainPID --value memtrackd.service)
restarts=$(systemctl show -p NRestarts --value memtrackd.service)
kill -9 "$pid"
until_true 30 eval '[ "$(systemctl show -p MainPID --value memtrackd.service)" != "$pid" ]'
until_true 30 service_active
[ "$(systemctl show -p NRestarts --value memtrackd.service)" = $((restarts + 1)) ]
check $? "after kill -9 systemd restarted memtrackd (NRestarts $restarts -> $((restarts + 1)))"
until_true 60 bytes_is cam/frames 777
check $? "the restarted daemon attached and mirrors the forest again"
mgr GetHistory stu cam/frames 0 1 | jqe '.data[0] | (map(.[2]) | max) == 3145728 and
	(map(select(.[4] == 1048576)) | length) > 0' >/dev/null
check $? "its history was restored from the state file (both module lifetimes)"
journalctl --no-pager -u memtrackd.service | grep -q 'restored history of'
check $? "the journal says the history was restored"

# A corrupt state file is reported and ignored, never fatal.
systemctl stop memtrackd.service
f=/var/lib/memtrackd/history
[ -s "$f" ] && head -c 100 "$f" >"$tmp/cut" && cat "$tmp/cut" >"$f"
systemctl start memtrackd.service && wait_service
check $? "memtrackd starts with a truncated state file"
journalctl --no-pager -u memtrackd.service | grep -q 'ignoring saved history'
check $? "the journal reports the truncated state file"

echo "1..$n"
[ "$failed" -eq 0 ]
