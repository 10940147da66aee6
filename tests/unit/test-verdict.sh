#!/bin/bash
# Unit test of tests/vm/verdict: the host-side pass/fail decision of a VM run,
# fed constructed result channels and console logs.
set -euo pipefail
verdict=$(cd "$(dirname "$0")/../vm" && pwd)/verdict
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
CLEAN_CONSOLE=$'[    1.0] booting\r\n[    2.0] reboot: Power down\r\n'

# case WANT_EXIT WANT_REGEX QEMU_STATUS RESULT CONSOLE DESCRIPTION [MODE [BOOT_FAILURE_CONSOLE]]
case_() {
	local want=$1 re=$2 qrc=$3 result=$4 console=$5 desc=$6 mode=${7:-fast} got=0 out
	n=$((n + 1))
	rm -rf "${tmp:?}"/*
	printf '%s' "$result" >"$tmp/result.log"
	printf '%s' "$console" >"$tmp/console.log"
	[ $# -lt 8 ] || printf '%s' "$8" >"$tmp/console.boot-failure.log"
	out=$("$verdict" "$tmp" "$qrc" 300 "$mode") || got=$?
	if [ "$got" -eq "$want" ] && { [ -z "$re" ] || grep -qE -- "$re" <<<"$out"; }; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc: exit $got (want $want), output: $out"
		fails=$((fails + 1))
	fi
}

ok_line=$'ok 1 - x\nMEMTRACK-RESULT: exit=0 tainted=12288 tainted_start=0\n'
case_ 0 '' 0 "$ok_line" "$CLEAN_CONSOLE" "clean run with O+E taint passes"
case_ 0 '' 0 $'MEMTRACK-RESULT: exit=0 tainted=0 tainted_start=0\r\n' "$CLEAN_CONSOLE" "CRLF status line passes"
case_ 1 'exited with status 1' 0 $'MEMTRACK-RESULT: exit=1 tainted=0 tainted_start=0\n' "$CLEAN_CONSOLE" "non-zero exit fails"
case_ 1 'exited with status 77' 0 $'MEMTRACK-RESULT: exit=77 tainted=0 tainted_start=0\n' "$CLEAN_CONSOLE" "exit 77 is reported (run decides it is a skip)"
case_ 1 'no status line' 0 $'ok 1 - half\n' "$CLEAN_CONSOLE" "missing status line fails"
case_ 1 'no status line' 0 '' '' "empty channels fail"
case_ 1 'timeout' 124 "$ok_line" "$CLEAN_CONSOLE" "timeout fails even with a status line"
case_ 1 'qemu exited with status 1' 1 "$ok_line" "$CLEAN_CONSOLE" "qemu error fails"
case_ 1 'taint has bits 512' 0 $'MEMTRACK-RESULT: exit=0 tainted=12800 tainted_start=0\n' "$CLEAN_CONSOLE" "W taint fails"
case_ 1 'taint has bits 128' 0 $'MEMTRACK-RESULT: exit=0 tainted=128 tainted_start=0\n' "$CLEAN_CONSOLE" "D (oops) taint fails"
case_ 1 'taint has bits 512' 0 $'MEMTRACK-RESULT: exit=0 tainted=512 tainted_start=512\n' "$CLEAN_CONSOLE" "taint gained while booting fails too"
case_ 0 '' 0 $'MEMTRACK-RESULT: exit=0 tainted=12288 tainted_start=12288\n' "$CLEAN_CONSOLE" "O+E taint from a module loaded at boot passes"
case_ 1 'taint value' 0 $'MEMTRACK-RESULT: exit=0\n' "$CLEAN_CONSOLE" "status line without taint fails"
case_ 1 'WARNING: CPU' 0 "$ok_line" $'[ 5.0] ------------[ cut here ]------------\n[ 5.1] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n' "WARN in console fails"
case_ 1 'Kernel panic' 0 '' $'[ 5.0] Kernel panic - not syncing: Fatal exception\n' "panic fails"
case_ 1 'exited with status 2' 0 $'MEMTRACK-RESULT: exit=0 tainted=0 tainted_start=0\nMEMTRACK-RESULT: exit=2 tainted=0 tainted_start=0\n' "$CLEAN_CONSOLE" "last status line wins"

# System mode: memtrackd's health, as tests/vm/memtrackd-check reported it.
daemon_ok=$'MEMTRACK-DAEMON: memtrackd: clean\nMEMTRACK-RESULT: exit=0 tainted=12288 tainted_start=12288 memtrackd=ok\n'
daemon_bad=$'MEMTRACK-DAEMON: memtrackd: memtrackd failed 1 time(s) and systemd restarted it; the test caused 0\nMEMTRACK-RESULT: exit=0 tainted=12288 tainted_start=12288 memtrackd=fail\n'
case_ 0 '' 0 "$daemon_ok" "$CLEAN_CONSOLE" "system mode with memtrackd=ok passes" system
case_ 1 'memtrackd failed 1 time' 0 "$daemon_bad" "$CLEAN_CONSOLE" "memtrackd=fail fails and says why" system
case_ 1 'memtrackd check' 0 "$ok_line" "$CLEAN_CONSOLE" "system mode without the memtrackd check fails" system
case_ 0 '' 0 "$ok_line" "$CLEAN_CONSOLE" "fast mode needs no memtrackd check"

# Every console log is scanned; a retried boot only for TCG's int3 fault.
int3_boot=$'[ 0.9] int3: 0000 [#1] PREEMPT SMP NOPTI\n[ 0.9] RIP: 0010:text_poke_bp_batch+0x1/0x2\n[ 0.9] Call Trace:\n[ 1.0] Kernel panic - not syncing: Fatal exception in interrupt\n'
warn_boot=$'[ 0.8] WARNING: CPU: 0 PID: 1 at init/main.c:1 f+0x0/0x1\n[ 0.9] int3: 0000 [#1] PREEMPT SMP NOPTI\n'
case_ 0 '' 0 "$ok_line" "$CLEAN_CONSOLE" "a boot retried for the int3 emulator fault passes" fast "$int3_boot"
case_ 1 'failed boot' 0 "$ok_line" "$CLEAN_CONSOLE" "a retried boot with another splat first fails" fast "$warn_boot"
case_ 1 'failed boot' 0 "$ok_line" "$CLEAN_CONSOLE" "a retried boot that oopsed otherwise fails" fast $'[ 1.0] BUG: kernel NULL pointer dereference, address: 0\n'

# A scanner that cannot read its input fails the run (fail closed).
n=$((n + 1))
rm -rf "${tmp:?}"/*
printf '%s' "$ok_line" >"$tmp/result.log"
mkdir "$tmp/console.log"
got=0
out=$("$verdict" "$tmp" 0 300 fast) || got=$?
if [ "$got" -eq 1 ] && grep -q 'splat-scan could not scan' <<<"$out"; then
	echo "ok $n - a splat-scan error fails the verdict"
else
	echo "not ok $n - a splat-scan error fails the verdict: exit $got, output: $out"
	fails=$((fails + 1))
fi

# --emulator-fault: what tests/vm/run retries, and nothing else.
fault() { # WANT DESCRIPTION CONSOLE
	local got=0
	n=$((n + 1))
	printf '%s' "$3" >"$tmp/fault.log"
	"$verdict" --emulator-fault "$tmp/fault.log" >/dev/null 2>&1 || got=$?
	if [ "$got" -eq "$1" ]; then
		echo "ok $n - emulator fault: $2"
	else
		echo "not ok $n - emulator fault: $2: exit $got, expected $1"
		fails=$((fails + 1))
	fi
}
fault 0 "int3 oops at boot is the fault" "$int3_boot"
fault 1 "a WARN before the int3 is not" "$warn_boot"
fault 1 "a clean log is not" "$CLEAN_CONSOLE"
fault 1 "a general protection fault is not" $'[ 1.0] general protection fault, probably for non-canonical address 0x1: 0000 [#1] SMP\n'
fault 1 "a hang (no splat) is not" $'[ 1.0] Run /init as init process\n'

echo "1..$n"
[ "$fails" -eq 0 ]
