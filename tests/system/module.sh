#!/bin/bash
# vm: --timeout 300
# System mode: systemd is PID 1 and memtrack is installed in the VM's
# /lib/modules, as on a real device.  modprobe loads it, the generic netlink
# controller lists the family, and modprobe -r removes both again.
set -u

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

pid1=$(readlink /proc/1/exe)
[[ $pid1 == */systemd ]]
check $? "systemd is PID 1 ($pid1)"

systemctl is-active --quiet dbus.service
check $? "dbus.service is active"

modprobe memtrack
check $? "modprobe memtrack"

[ -f "/lib/modules/$KVER/extra/memtrack.ko" ] && [ -d /sys/module/memtrack ]
check $? "memtrack.ko loaded from /lib/modules/$KVER/extra"

genl-ctrl-list 2>/dev/null | grep -qw memtrack
check $? "genl-ctrl-list shows the memtrack family"

[ -d /sys/kernel/debug/memtrack ] && [ -d /sys/kernel/debug/v4l2-memtrack ]
check $? "debugfs directories memtrack and v4l2-memtrack exist"

modprobe -r memtrack
check $? "modprobe -r memtrack"

! genl-ctrl-list 2>/dev/null | grep -qw memtrack && [ ! -d /sys/module/memtrack ]
check $? "family and module are gone after unload"

echo "1..$n"
[ "$failed" -eq 0 ]
