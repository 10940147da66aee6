#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# Guest script (a benchmark, not a pass/fail test): `memtrackctl dump` of a
# 100,000-node tree, as text and as JSON, against reading the debugfs file
# of the same tree, all to /dev/null.  Prints, best of 3 wall times:
#   bench NAME wall_ms W peak_rss_kib R
# Run it with
#   tests/vm/run --kernel 6.12 --smp 2 --mem 1024 -- tests/bench/cli-bench.sh
set -u

ko=${MEMTRACK_KO_DIR:?}
cli=${MEMTRACK_BUILD:-build/meson}/cli/memtrackctl
ctl=/sys/kernel/debug/memtrack-exerciser/control
insmod "$ko/memtrack.ko" && insmod "$ko/tests/memtrack_exerciser.ko" || exit 1
echo "create bench" >"$ctl" && echo "bulk bench 100000 8" >"$ctl" || exit 1
echo "# kernel $(uname -r), $(nproc) CPU(s), tree of $(($(wc -l </sys/kernel/debug/memtrack/bench) - 1)) nodes"

# measure NAME COMMAND...: best wall time of 3 runs, and that run's peak RSS
measure() {
	local name=$1
	shift
	/usr/bin/python3 - "$name" "$@" <<'PY'
import resource, subprocess, sys, time, os
name, cmd = sys.argv[1], sys.argv[2:]
best = None
for _ in range(3):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open("/dev/null", os.O_WRONLY)
        os.dup2(fd, 1)
        os.execvp(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    wall = (time.monotonic() - t0) * 1000
    if status != 0:
        sys.exit(f"{name}: {cmd} failed with status {status}")
    if best is None or wall < best[0]:
        best = (wall, ru.ru_maxrss)
print(f"bench {name} wall_ms {best[0]:.0f} peak_rss_kib {best[1]}")
PY
}

measure debugfs_cat_100k cat /sys/kernel/debug/memtrack/bench
measure memtrackctl_dump_text_100k "$cli" dump bench
measure memtrackctl_dump_json_100k "$cli" dump -j bench
measure memtrackctl_dump_bytes_100k "$cli" dump -b bench

echo "destroy bench" >"$ctl"
rmmod memtrack_exerciser memtrack
