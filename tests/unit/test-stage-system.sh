#!/bin/bash
# Unit test of tests/vm/stage-system: every VM gets its own staged sysroot,
# and restaging for another VM of the same kernel never changes it.
# The guest copies its sysroot over 9p with tar while it boots; when all
# VMs of a kernel shared build/vm/KVER/sysroot, a parallel VM's staging
# replaced that tree under the tar ("file changed as we read it") and the
# boot failed before the test began (CI: system/memtrackd-dmabuf[6.1]).
# Here the reader is tar on the host, racing four restagings.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd -P)
stage=$top/tests/vm/stage-system
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fails=$((fails + 1)); }
check() { # DESCRIPTION CMD...
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bad use: a clear error, and nothing removed.
rc=0
"$stage" 2>"$tmp/err" || rc=$?
check "no arguments: exit 2 with a usage line" \
	test "$rc" -eq 2 -a -n "$(grep -F 'usage:' "$tmp/err")"
mkdir "$tmp/precious"
echo keep >"$tmp/precious/file"
rc=0
"$stage" "$(uname -r)" "$tmp/precious" 2>"$tmp/err" || rc=$?
check "a DEST it did not make is refused and kept (exit $rc)" \
	test "$rc" -ne 0 -a "$(cat "$tmp/precious/file")" = keep
rc=0
"$stage" 0.0-none "$tmp/none" 2>"$tmp/err" || rc=$?
check "an unknown kernel is refused (exit $rc: $(head -c 200 "$tmp/err"))" \
	test "$rc" -ne 0 -a ! -e "$tmp/none"

# A kernel with modules and a built memtrack.ko, as the system suite uses.
kver=
for d in "$top"/build/kernel/*/memtrack.ko; do
	k=$(basename "$(dirname "$d")")
	[ -f "/lib/modules/$k/modules.order" ] && [ -f "/boot/vmlinuz-$k" ] && { kver=$k; break; }
done
if [ -z "$kver" ]; then
	echo "1..$((n + 1))"
	echo "ok $((n + 1)) - staging races # SKIP no test kernel with a built memtrack.ko (run make first)"
	[ "$fails" -eq 0 ]
	exit
fi

snapshot() { (cd "$1" && find . -printf '%p %y %s %i %T@\n' | sort); }

if ! "$stage" "$kver" "$tmp/a" >"$tmp/a.log" 2>&1; then
	not_ok "stage-system $kver: $(tail -n 5 "$tmp/a.log")"
	echo "1..$n"
	exit 1
fi
check "$kver: the sysroot has memtrack.ko, depmod's index and memtrackd" test \
	-f "$tmp/a/lib/modules/$kver/extra/memtrack.ko" -a \
	-f "$tmp/a/lib/modules/$kver/modules.dep.bin" -a \
	-x "$tmp/a/usr/sbin/memtrackd"
grep -q 'extra/memtrack.ko' "$tmp/a/lib/modules/$kver/modules.dep" &&
	ok "modules.dep lists memtrack.ko" || not_ok "modules.dep does not list memtrack.ko"
before=$(snapshot "$tmp/a")

# Another VM of the same kernel stages its own sysroot, four times, while
# this one's is read.  Also restaged: A itself must come out complete.
(
	for i in 1 2 3 4; do
		"$stage" "$kver" "$tmp/b" || exit 1
	done
) >"$tmp/b.log" 2>&1 &
writer=$!
reads=0 bad=0
while kill -0 "$writer" 2>/dev/null; do
	reads=$((reads + 1))
	tar -C "$tmp/a" -cf /dev/null . 2>"$tmp/tar.err" || { bad=$((bad + 1)); cp "$tmp/tar.err" "$tmp/tar.bad"; }
done
wrc=0
wait "$writer" || wrc=$?
check "four stagings of another sysroot succeed (exit $wrc)" test "$wrc" -eq 0
check "$reads tar reads of this VM's sysroot during them: $bad failed$([ "$bad" -eq 0 ] || echo ": $(head -n 2 "$tmp/tar.bad" | tr '\n' ' ')")" \
	test "$reads" -gt 0 -a "$bad" -eq 0
check "this VM's sysroot is unchanged (names, sizes, inodes, mtimes)" \
	test "$before" = "$(snapshot "$tmp/a")"
check "the other sysroot is complete" test -f "$tmp/b/lib/modules/$kver/modules.dep.bin" -a -x "$tmp/b/usr/sbin/memtrackd"

"$stage" "$kver" "$tmp/a" >"$tmp/a.log" 2>&1 && [ -x "$tmp/a/usr/sbin/memtrackd" ] &&
	ok "restaging an existing sysroot replaces it" || not_ok "restaging $tmp/a failed: $(tail -n 3 "$tmp/a.log")"

echo "1..$n"
[ "$fails" -eq 0 ]
