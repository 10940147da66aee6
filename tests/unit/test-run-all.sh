#!/bin/bash
# Unit test of tests/run-all's accounting: every way a test can fail to run
# is a failure in the summary line, and every skip is counted and named.
# run-all runs unchanged in a scratch tree whose tests/vm/run is a stand-in
# (runs the script on the host; no VM), with a meson project of its own for
# the unit suite and a fake /boot (MEMTRACK_BOOT_DIR).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd -P)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

mkdir -p "$tmp/boot" "$tmp/repo/tests/vm" "$tmp/repo/tests/kernel" "$tmp/empty/tests/vm"
touch "$tmp/boot/vmlinuz-6.12.1-test"
cp "$top/tests/run-all" "$tmp/repo/tests/run-all"
cp "$top/tests/run-all" "$tmp/empty/tests/run-all"

# tests/vm/run stand-in: runs the script and reports as the real one does.
cat >"$tmp/repo/tests/vm/run" <<'EOF'
#!/bin/bash
while [ "$1" != -- ]; do shift; done
shift
cd "$(dirname "$0")/../.."
rc=0
bash "$1" || rc=$?
case "$rc" in
0) grep -q 'NO REPORT' "$1" || echo "PASS: $1" ;;
77) echo "SKIP: $1 (guest command exited 77)" ;;
*) echo "FAIL: $1" ;;
esac
exit "$rc"
EOF
chmod +x "$tmp/repo/tests/vm/run"
cp "$tmp/repo/tests/vm/run" "$tmp/empty/tests/vm/run"

k=$tmp/repo/tests/kernel
printf 'echo "ok 1 - fine"\necho 1..1\n' >"$k/good.sh"
printf 'echo "ok 1 - one"\necho "ok 2 - two # SKIP no frobnicator here"\necho 1..2\n' >"$k/tapskip.sh"
printf 'echo "not ok 1 - broken"\nexit 1\n' >"$k/bad.sh"
printf 'echo "SKIP: needs udmabuf"\nexit 77\n' >"$k/skipwhy.sh"
printf 'exit 77\n' >"$k/skipsilent.sh"
printf '# NO REPORT: exits 0 and prints no verdict\nexit 0\n' >"$k/silent.sh"
printf 'echo "ok 1 - never runs"\n' >"$k/noexec.sh"
chmod +x "$k"/*.sh
chmod -x "$k/noexec.sh"

# A meson project for the unit suite: a pass, a TAP skip, a failure, a skip,
# and a test that kills meson itself, which leaves a short result file.
u=$tmp/repo
cat >"$u/meson.build" <<'EOF'
project('fake', 'c')
sh = find_program('sh')
test('upass', sh, args : ['-c', 'echo "ok 1 - a"; echo 1..1'], protocol : 'tap')
test('utapskip', sh, args : ['-c', 'echo "ok 1 - a"; echo "ok 2 - b # SKIP not today"; echo 1..2'], protocol : 'tap')
test('ufail', sh, args : ['-c', 'exit 1'])
test('uskip', sh, args : ['-c', 'echo SKIP: no device; exit 77'])
test('ukill', sh, args : ['-c', 'kill -9 $PPID'], is_parallel : false, priority : -10)
EOF

# expect DESCRIPTION WANT_STATUS SUMMARY_REGEX [MUST_GREP...] -- run-all args
# (environment: RUNALL_ENV, RUNALL_TREE)
expect() {
	local desc=$1 want=$2 sum=$3 got=0 out last why= g
	shift 3
	local greps=()
	while [ "$1" != -- ]; do greps+=("$1"); shift; done
	shift
	n=$((n + 1))
	out=$(env -u CI ${RUNALL_ENV:-} MEMTRACK_BUILD_DIR="$tmp/build-${RUNALL_TREE:-repo}" \
		MEMTRACK_BOOT_DIR="$tmp/boot" "$tmp/${RUNALL_TREE:-repo}/tests/run-all" "$@" 2>&1) || got=$?
	last=$(tail -n1 <<<"$out")
	[ "$got" -eq "$want" ] || why="exit $got, expected $want"
	[[ $last =~ ^[0-9]+\ passed,\ [0-9]+\ failed(,\ [0-9]+\ skipped)?$ ]] || why+=" last line '$last' is no summary"
	[[ $last =~ $sum ]] || why+=" summary '$last' !~ /$sum/"
	for g in "${greps[@]}"; do grep -qE -- "$g" <<<"$out" || why+=" output lacks /$g/"; done
	if [ -z "$why" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc:$why"
		sed 's/^/# /' <<<"$out"
		fails=$((fails + 1))
	fi
}

expect "a passing test passes" 0 '^1 passed, 0 failed$' -- --suite kernel --kernel 6.12 --test good
expect "a TAP skip inside a passing test is counted and named with its reason" 0 '^1 passed, 0 failed, 1 skipped$' \
	'skipped: kernel/tapskip\[6.12\] check 2 two: no frobnicator here' -- --suite kernel --kernel 6.12 --test tapskip
expect "a failing test fails" 1 '^0 passed, 1 failed$' 'failed: kernel/bad\[6.12\]' -- --suite kernel --kernel 6.12 --test bad
expect "a script without its run bit fails" 1 '^0 passed, 1 failed$' 'noexec.sh is not executable' -- \
	--suite kernel --kernel 6.12 --test noexec
expect "a VM run that exits 0 without a verdict fails" 1 '^0 passed, 1 failed$' 'without reporting PASS' -- \
	--suite kernel --kernel 6.12 --test silent
expect "exit 77 is a skip with the test's reason" 0 '^0 passed, 0 failed, 1 skipped$' \
	'skipped: kernel/skipwhy\[6.12\]: needs udmabuf' -- --suite kernel --kernel 6.12 --test skipwhy
expect "exit 77 without a reason is a skip locally" 0 '^0 passed, 0 failed, 1 skipped$' -- \
	--suite kernel --kernel 6.12 --test skipsilent
RUNALL_ENV=CI=true expect "exit 77 without a reason fails in CI" 1 '^0 passed, 1 failed$' 'without a reason' -- \
	--suite kernel --kernel 6.12 --test skipsilent
expect "a kernel that is not installed is a skip locally, with the reason" 0 '^0 passed, 0 failed, 1 skipped$' \
	'kernel/good\[6.1\]: kernel 6.1 is not installed' -- --suite kernel --kernel 6.1 --test good
RUNALL_ENV=CI=true expect "a kernel that is not installed fails in CI" 1 '^0 passed, 1 failed$' \
	'failed: kernel/good\[6.1\]: kernel 6.1 is not installed' -- --suite kernel --kernel 6.1 --test good
expect "a --test filter that matches nothing fails" 1 '^0 passed, 1 failed$' 'no test selected' -- \
	--suite kernel --kernel 6.12 --test nosuchtest
RUNALL_TREE=empty expect "no test at all without a filter fails" 1 '^0 passed, 1 failed$' 'no test selected' -- \
	--suite kernel --kernel 6.12

if command -v meson >/dev/null && command -v cc >/dev/null; then
	expect "unit: meson's pass and TAP skip are counted" 0 '^2 passed, 0 failed, 1 skipped$' \
		'skipped: unit/utapskip check 2 b: not today' -- --suite unit --test 'u[pt][a]*'
	expect "unit: a failing meson test fails" 1 '^0 passed, 1 failed$' 'failed: unit/ufail' -- --suite unit --test ufail
	expect "unit: a skipped meson test is a skip with its reason" 0 '^0 passed, 0 failed, 1 skipped$' \
		'skipped: unit/uskip: no device' -- --suite unit --test uskip
	expect "unit: meson killed in the middle, its result file short, fails" 1 '^[0-9]+ passed, [1-9][0-9]* failed' \
		'failed: unit/testlog' -- --suite unit --test 'u[pk]*'
	echo garbage >"$tmp/build-repo/meson-sanitize/build.ninja"
	expect "unit: a broken meson build directory fails" 1 '^0 passed, 1 failed$' 'failed: unit/' -- --suite unit
else
	echo "not ok $((n + 1)) - unit suite cases need meson and cc (tools/setup-deps installs them)"
	fails=$((fails + 1))
fi

echo "1..$n"
[ "$fails" -eq 0 ]
