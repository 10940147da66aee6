#!/bin/bash
# vm: --timeout 600
# `make demo` as a test: runs its guest script (tests/vm/demo-guest) in this
# system-mode VM and checks every section it shows against what the demo set
# up (a 40 MiB raise / 30 MiB clear rule on vpu*/stream*, two simulated
# decoders) and against the daemon and kernel it ran on.  Output: TAP.
set -u

# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/daemon.sh
. "$(dirname "$0")/../lib/daemon.sh"

out=$(mktemp)
bash tests/vm/demo-guest >"$out" 2>&1
rc=$?
check $rc "the demo's guest script exits 0 (exit $rc)"

# section TITLE-PREFIX: the lines under "=== TITLE-PREFIX...", up to the next "=== "
section() { awk -v t="=== $1" 'index($0, t) == 1 { on = 1; next } /^=== / { on = 0 } on' "$out"; }

titles=("a threshold rule" "workload:" "memtrackctl dump" "memtrackctl history vpu0" "memtrackctl alerts"
	"journalctl: memtrackd's alert entries" "one raise entry with its fields" "the D-Bus subscriber received"
	"memtrackctl status")
missing=()
for t in "${titles[@]}"; do grep -q "^=== $t" "$out" || missing+=("$t"); done
[ ${#missing[@]} -eq 0 ]
check $? "every section is shown${missing[*]:+; missing: ${missing[*]}}"

dump=$(section "memtrackctl dump")
head -n1 <<<"$dump" | grep -qE '^NODE +TOTAL +SELF +COUNT +PEAK +%PARENT +CREATOR$' &&
	grep -qE '^vpu0 ' <<<"$dump" && grep -qE '^vpu1 ' <<<"$dump" &&
	[ "$(grep -cE '^├─ firmware +1\.0 MiB +1\.0 MiB +1 ' <<<"$dump")" = 2 ] &&
	grep -qE '^[├└]─ stream[0-2] ' <<<"$dump" && grep -qE '^│? +[├└]─ (frame|bitstream) ' <<<"$dump"
check $? "dump: both decoders as trees, a 1 MiB firmware each, streams with frames and bitstreams"

chart=$(section "memtrackctl history vpu0")
head -n1 <<<"$chart" | grep -qE '^vpu0: last 1m, 1s resolution, [0-9]+ buckets' &&
	[ "$(grep -c '[▁▂▃▄▅▆▇█]' <<<"$chart")" -ge 4 ] &&
	tail -n1 <<<"$chart" | grep -qE '^min .* max [0-9.]+ [KMG]iB +avg .* last '
check $? "history: a chart of vpu0 with bars and its min/max/avg line"

alerts=$(section "memtrackctl alerts")
head -n1 <<<"$alerts" | grep -qE '^NODE +RULE +LEVEL +VALUE +THRESHOLD +SINCE$' &&
	grep -qE '^vpu[01]/stream[0-2] +stream-too-big +warning +[0-9.]+ MiB +40\.0 MiB ' <<<"$alerts"
check $? "alerts: a raised stream-too-big alert at warning level with its 40 MiB threshold"

section "journalctl: memtrackd's alert entries" |
	grep -qE 'memtrackd\[[0-9]+\]: vpu[01]/stream[0-2]: [0-9]+ bytes reached the raise level 41943040 of rule stream-too-big$'
check $? "journal: memtrackd's raise entries name node, bytes, level and rule"

section "one raise entry with its fields" | jqe --arg id "$MTD_MSG_RAISED" '
	.MESSAGE_ID == $id and .PRIORITY == "4" and .MEMTRACK_RULE == "stream-too-big" and
	(.MEMTRACK_NODE | test("^vpu[01]/stream[0-2]$")) and .MEMTRACK_THRESHOLD == "41943040" and
	(.MEMTRACK_BYTES | tonumber) >= 41943040'
check $? "journal -o json: the raise entry's MESSAGE_ID, PRIORITY=4 and MEMTRACK_* fields"

section "the D-Bus subscriber received" |
	grep -qE "AlertRaised \('vpu[01]/stream[0-2]', 'stream-too-big', byte 0x64, uint64 [0-9]+, uint64 41943040\)"
check $? "D-Bus: the subscriber received AlertRaised with node, rule, level and threshold"

status=$(section "memtrackctl status")
nodes=$(sed -n 's/^Nodes: *//p' <<<"$status")
grep -qE '^State: +attached$' <<<"$status" && [ "${nodes:-0}" -gt 10 ] &&
	grep -qE '^History series: +[1-9]' <<<"$status"
check $? "status: attached, $nodes nodes mirrored, history kept"

if [ "$failed" -ne 0 ]; then
	echo "# --- the demo's output"
	sed 's/^/# /' "$out"
fi
rm -f "$out"
echo "1..$n"
[ "$failed" -eq 0 ]
