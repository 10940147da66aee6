#!/bin/bash
# In-VM test: the V4L2 compatibility API.
# Loads memtrack.ko and memtrack_v4l2_compat_test.ko (a driver-style module
# using only <media/v4l2-memtrack.h>; its init runs KTAP checks and fails on
# any failure), checks the debug-level tree print of a destroyed root that
# still held memory, and loads the compiled-out build check module (which
# does not need memtrack.ko).  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"

insmod "$ko/memtrack.ko"
check $? "insmod memtrack.ko"
# The debug-level tree print is pr_debug(): enable it with dynamic debug.
if echo 'module memtrack +p' >/sys/kernel/debug/dynamic_debug/control; then rc=0; else rc=1; fi
check $rc "enable memtrack's debug prints (dynamic debug)"

insmod "$ko/tests/memtrack_v4l2_compat_test.ko"
rc=$?
ktap memtrack_v4l2_compat_test | sed 's/^/# /'
check $rc "memtrack_v4l2_compat_test init (all KTAP checks passed)"

out=$(ktap memtrack_v4l2_compat_test)
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out")
oks=$(grep -c '^ok ' <<<"$out")
[ -n "$plan" ] && [ "$plan" -gt 0 ] && [ "$oks" -eq "$plan" ]
check $? "KTAP: $oks of ${plan:-?} ok"

# destroy_with_memory destroyed a root whose node "mtt_compat_leftover" still
# held 12345 + 678 bytes: the tree is printed at KERN_DEBUG (level 7).
dbg=$(dmesg --notime --level=debug | grep 'mtt_compat_leftover')
[ -n "$dbg" ]
check $? "destroy of a root holding memory printed the tree at debug level"
grep -q '13023' <<<"$dbg"
check $? "the debug print shows the node's total (13023)"
dmesg --notime --level=debug | grep 'mtt_compat_leftover' | sed 's/^/# /'
dmesg --notime --level=debug | grep -q 'mtt_compat_printed.*usage: 4242 '
check $? "v4l2_memtrack_print_debug printed the subtree at debug level"
[ "$(dmesg --notime | grep -c 'mtt_compat_printed ')" -eq 1 ]
check $? "destroy of a root holding nothing printed nothing"

# The module keeps "mtt_compat_view" until it is unloaded: check the exact
# debugfs view (tgid/pid normalised), in depth-first creation order.
view=/sys/kernel/debug/v4l2-memtrack/mtt_compat_view
expected='Total memory usage: 1079 bytes
mtt_compat_view (tgid=T, pid=P) usage: 1079 (count=0, self=0, peak=1079)
  stream0 (tgid=T, pid=P) usage: 79 (count=1, self=10, peak=79)
    (unnamed) (tgid=T, pid=P) usage: 69 (count=1, self=5, peak=69)
      buf [leaf] (tgid=T, pid=P) usage: 64 (count=1, self=64, peak=64)
  firmware [leaf] (tgid=T, pid=P) usage: 1000 (count=1, self=1000, peak=1000)'
actual=$(sed -E 's/\(tgid=[0-9]+, pid=[0-9]+\)/(tgid=T, pid=P)/' "$view" 2>&1)
[ "$actual" = "$expected" ]
check $? "debugfs view v4l2-memtrack/mtt_compat_view matches"
[ "$actual" = "$expected" ] || diff <(echo "$expected") <(echo "$actual") | sed 's/^/# /'
pid=$(grep -oE 'tgid=[0-9]+, pid=[0-9]+' "$view" 2>/dev/null | sort -u)
[ "$(wc -l <<<"$pid")" -eq 1 ] && [ "${pid%%,*}" != "tgid=0" ]
check $? "every node records the creating task's tgid/pid ($pid)"
cmp -s "$view" /sys/kernel/debug/memtrack/mtt_compat_view
check $? "the same view appears under memtrack/"

left=
for f in /sys/kernel/debug/memtrack/* /sys/kernel/debug/v4l2-memtrack/*; do
	[ -e "$f" ] && [ "${f##*/}" != mtt_compat_view ] && left="$left ${f#/sys/kernel/debug/}"
done
[ -z "$left" ]
check $? "no other debugfs file left behind${left:+: $left}"

if grep -q '^memtrack_v4l2_compat_test ' /proc/modules; then
	rmmod memtrack_v4l2_compat_test
	check $? "rmmod memtrack_v4l2_compat_test"
fi
[ ! -e "$view" ]
check $? "the view is gone after unloading the test module"
rmmod memtrack
check $? "rmmod memtrack"

# The compiled-out stubs: the module was built with CONFIG_MEMTRACK off.
[ -f "$ko/tests/memtrack_compiled_out.ko" ]
check $? "memtrack_compiled_out.ko was built"
! modinfo -F depends "$ko/tests/memtrack_compiled_out.ko" | grep -qw memtrack
check $? "memtrack_compiled_out.ko does not depend on memtrack"
insmod "$ko/tests/memtrack_compiled_out.ko" && rmmod memtrack_compiled_out
check $? "compiled-out stubs return NULL/0 (module loads without memtrack)"

echo "1..$n"
[ "$failed" -eq 0 ]
