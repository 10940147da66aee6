#!/bin/bash
# vm: --timeout 300
# System mode: systemd is PID 1 and memtrack is installed in the VM's
# /lib/modules, as on a real device.  modprobe loads it, the generic netlink
# controller lists the family, and modprobe -r removes both again.
set -u

n=0
fails=0
tap() {
	local ok=$1
	shift
	n=$((n + 1))
	if [ "$ok" = 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		fails=$((fails + 1))
	fi
}

pid1=$(readlink /proc/1/exe)
[[ $pid1 == */systemd ]]
tap $? "systemd is PID 1 ($pid1)"

systemctl is-active --quiet dbus.service
tap $? "dbus.service is active"

modprobe memtrack
tap $? "modprobe memtrack"

[ -f "/lib/modules/$KVER/extra/memtrack.ko" ] && [ -d /sys/module/memtrack ]
tap $? "memtrack.ko loaded from /lib/modules/$KVER/extra"

genl-ctrl-list 2>/dev/null | grep -qw memtrack
tap $? "genl-ctrl-list shows the memtrack family"

[ -d /sys/kernel/debug/memtrack ] && [ -d /sys/kernel/debug/v4l2-memtrack ]
tap $? "debugfs directories memtrack and v4l2-memtrack exist"

modprobe -r memtrack
tap $? "modprobe -r memtrack"

! genl-ctrl-list 2>/dev/null | grep -qw memtrack && [ ! -d /sys/module/memtrack ]
tap $? "family and module are gone after unload"

echo "1..$n"
[ "$fails" -eq 0 ]
