#!/bin/bash
# Unit test of the top Makefile: `make demo` and `make check` build in a make
# started after tools/setup-deps, because the list of test kernels is read
# when make starts, and on a fresh machine setup-deps installs them only
# then (the first run once built for the running kernel and failed).
# `make -n` prints the recipes in order and runs only the sub-make, also -n.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd -P)
fails=0 n=0

for target in demo check; do
	n=$((n + 1))
	out=$(make -n -C "$top" "$target" 2>&1) || { echo "not ok $n - make -n $target failed: $out"; fails=$((fails + 1)); continue; }
	setup=$(grep -nxF "$top/tools/setup-deps" <<<"$out" | head -n1 | cut -d: -f1 || true)
	submake=$(grep -nE "^make(\[[0-9]+\])? -C $top all$" <<<"$out" | head -n1 | cut -d: -f1 || true)
	modules=$(grep -nE 'for k in .*; do' <<<"$out" | head -n1 | cut -d: -f1 || true)
	if [ -n "$setup" ] && [ -n "$submake" ] && [ -n "$modules" ] && [ "$setup" -lt "$submake" ] && [ "$submake" -lt "$modules" ]; then
		echo "ok $n - make $target: setup-deps (line $setup), then a new make builds all (line $submake, modules at $modules)"
	else
		echo "not ok $n - make $target: setup-deps at '${setup:-}', sub-make at '${submake:-}', modules at '${modules:-}'"
		head -n 20 <<<"$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
done

echo "1..$n"
[ "$fails" -eq 0 ]
