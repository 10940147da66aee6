#!/bin/bash
# Unit test of tests/vm/run's and tests/run-all's command line handling (no
# VM is booted).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fails=0 n=0
expect_status() { # WANT DESCRIPTION CMD...
	local want=$1 desc=$2 got=0
	shift 2
	n=$((n + 1))
	"$@" >/dev/null 2>&1 || got=$?
	if [ "$got" -eq "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc: exit $got, expected $want"
		fails=$((fails + 1))
	fi
}
expect_status 0 "vm/run --help" "$top/tests/vm/run" --help
expect_status 2 "vm/run without a command" "$top/tests/vm/run"
expect_status 2 "vm/run bad --mode" "$top/tests/vm/run" --mode bogus -- true
expect_status 2 "vm/run bad --timeout" "$top/tests/vm/run" --timeout 0 -- true
expect_status 2 "vm/run unknown kernel" "$top/tests/vm/run" --kernel 1.0 -- true
expect_status 2 "vm/run unknown option" "$top/tests/vm/run" --frobnicate -- true
expect_status 2 "vm/run --sanitize needs system mode" "$top/tests/vm/run" --sanitize -- true
expect_status 2 "splat-scan unknown argument" "$top/tests/vm/splat-scan" --frobnicate
expect_status 2 "verdict without arguments" "$top/tests/vm/verdict"
expect_status 0 "run-all --help" "$top/tests/run-all" --help
expect_status 2 "run-all unknown suite" "$top/tests/run-all" --suite nope
expect_status 0 "splat-scan --help" "$top/tests/vm/splat-scan" --help

# run-all --list honours the "# vm:" header of a test script.
n=$((n + 1))
list=$("$top/tests/run-all" --list --suite kernel --kernel 6.12 2>/dev/null || true)
hdr=
for f in "$top"/tests/kernel/*.sh; do
	[ -x "$f" ] || continue
	o=$(sed -n '1,20{s/^# *vm: *//p}' "$f" | sed -n 1p)
	if [ -n "$o" ]; then hdr="$(basename "$f" .sh) $o"; break; fi
done
if [ -z "$hdr" ]; then
	echo "ok $n - run-all --list vm options # SKIP no tests/kernel script with a vm: header"
elif grep -qF "kernel: ${hdr%% *} [6.12] vm: ${hdr#* }" <<<"$list"; then
	echo "ok $n - run-all --list shows the vm: header of ${hdr%% *}"
else
	echo "not ok $n - run-all --list does not show '$hdr': $list"
	fails=$((fails + 1))
fi

echo "1..$n"
[ "$fails" -eq 0 ]
