#!/bin/bash
# In-VM test: the memtrack core API self-test module.
# Loads memtrack.ko and memtrack_selftest.ko (whose init runs every core API
# check and fails on any failure), shows its KTAP, checks that no tree is
# left behind, and unloads both.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"

insmod "$ko/memtrack.ko"
check $? "insmod memtrack.ko"

insmod "$ko/tests/memtrack_selftest.ko"
rc=$?
ktap memtrack_selftest | sed 's/^/# /'
check $rc "memtrack_selftest init (all KTAP checks passed)"

out=$(ktap memtrack_selftest)
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out")
oks=$(grep -c '^ok ' <<<"$out")
[ -n "$plan" ] && [ "$plan" -gt 0 ] && [ "$oks" -eq "$plan" ]
check $? "KTAP: $oks of ${plan:-?} ok"
! grep -q '^not ok' <<<"$out"
check $? "KTAP: no 'not ok'"

left=
for f in /sys/kernel/debug/memtrack/* /sys/kernel/debug/v4l2-memtrack/*; do
	[ -e "$f" ] && left="$left ${f#/sys/kernel/debug/}"
done
[ -z "$left" ]
check $? "no debugfs tree left behind by the self-test${left:+: $left}"

if grep -q '^memtrack_selftest ' /proc/modules; then
	rmmod memtrack_selftest
	check $? "rmmod memtrack_selftest"
fi
rmmod memtrack
check $? "rmmod memtrack"
! grep -q '^memtrack ' /proc/modules && [ ! -e /sys/kernel/debug/memtrack ]
check $? "memtrack unloaded, debugfs directory removed"

echo "1..$n"
[ "$failed" -eq 0 ]
