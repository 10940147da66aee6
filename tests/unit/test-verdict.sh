#!/bin/bash
# Unit test of tests/vm/verdict: the host-side pass/fail decision of a VM run,
# fed constructed result channels and console logs.
set -euo pipefail
verdict=$(cd "$(dirname "$0")/../vm" && pwd)/verdict
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
CLEAN_CONSOLE=$'[    1.0] booting\r\n[    2.0] reboot: Power down\r\n'

# case WANT_EXIT WANT_REGEX QEMU_STATUS RESULT CONSOLE DESCRIPTION
case_() {
	local want=$1 re=$2 qrc=$3 result=$4 console=$5 desc=$6 got=0 out
	n=$((n + 1))
	rm -f "$tmp"/*
	printf '%s' "$result" >"$tmp/result.log"
	printf '%s' "$console" >"$tmp/console.log"
	out=$("$verdict" "$tmp" "$qrc" 300) || got=$?
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
case_ 1 'taint gained bits 512' 0 $'MEMTRACK-RESULT: exit=0 tainted=12800 tainted_start=0\n' "$CLEAN_CONSOLE" "W taint fails"
case_ 1 'taint gained bits 128' 0 $'MEMTRACK-RESULT: exit=0 tainted=128 tainted_start=0\n' "$CLEAN_CONSOLE" "D (oops) taint fails"
case_ 0 '' 0 $'MEMTRACK-RESULT: exit=0 tainted=512 tainted_start=512\n' "$CLEAN_CONSOLE" "taint present before the test is not new"
case_ 1 'taint value' 0 $'MEMTRACK-RESULT: exit=0\n' "$CLEAN_CONSOLE" "status line without taint fails"
case_ 1 'WARNING: CPU' 0 "$ok_line" $'[ 5.0] ------------[ cut here ]------------\n[ 5.1] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n' "WARN in console fails"
case_ 1 'Kernel panic' 0 '' $'[ 5.0] Kernel panic - not syncing: Fatal exception\n' "panic fails"
case_ 1 'exited with status 2' 0 $'MEMTRACK-RESULT: exit=0 tainted=0 tainted_start=0\nMEMTRACK-RESULT: exit=2 tainted=0 tainted_start=0\n' "$CLEAN_CONSOLE" "last status line wins"

echo "1..$n"
[ "$fails" -eq 0 ]
