#!/bin/bash
# vm: --timeout 300
# System mode: systemd is PID 1 and memtrack is installed in the VM's
# /lib/modules, as on a real device.  modprobe loads it, the generic netlink
# controller lists the family, and modprobe -r removes both again.
set -u

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

# families: genl-ctrl-list's family names, one a line; fails (saying why)
# unless it exits 0 and lists nlctrl, the controller, which is always
# registered, so that an absent family means something
families() {
	local out rc
	out=$(genl-ctrl-list 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || ! awk '$2 == "nlctrl" { f = 1 } END { exit !f }' <<<"$out"; then
		echo "# genl-ctrl-list: exit $rc (want 0, and nlctrl listed): $(head -c 200 <<<"$out")" >&2
		return 1
	fi
	awk '{ print $2 }' <<<"$out"
}

pid1=$(readlink /proc/1/exe)
[[ $pid1 == */systemd ]]
check $? "systemd is PID 1 ($pid1)"

systemctl is-active --quiet dbus.service
check $? "dbus.service is active"

modprobe memtrack
check $? "modprobe memtrack"

[ -f "/lib/modules/$KVER/extra/memtrack.ko" ] && [ -d /sys/module/memtrack ]
check $? "memtrack.ko loaded from /lib/modules/$KVER/extra"

fams=$(families) && grep -qx memtrack <<<"$fams"
check $? "genl-ctrl-list shows the memtrack family"

[ -d /sys/kernel/debug/memtrack ] && [ -d /sys/kernel/debug/v4l2-memtrack ]
check $? "debugfs directories memtrack and v4l2-memtrack exist"

modprobe -r memtrack
check $? "modprobe -r memtrack"

fams=$(families) && ! grep -qx memtrack <<<"$fams" && [ ! -d /sys/module/memtrack ]
check $? "family and module are gone after unload (genl-ctrl-list lists $(grep -c . <<<"$fams") other families)"

echo "1..$n"
[ "$failed" -eq 0 ]
