#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds a variant of tests/bench/dmabuf-scan with the dma-buf scanner
# compiled in from a copy of libmemtrackctl's sources (dmabuf.c,
# dmabuf-report.c, internal.h, memtrackctl.h) with PATCHes applied
# (patch -p1, paths as in the repo), so that a proposed change to the
# scanner can be timed against the library in the same boot:
#   tests/bench/dmabuf-variant.sh [-o OUTPUT] [PATCH...]
#   BENCH_VARIANT=build/bench/dmabuf-scan-variant tests/bench/dmabuf-bench.sh
# With no PATCH it is the library's own code, linked statically: a control
# of the method.  OUTPUT defaults to build/bench/dmabuf-scan-variant; its
# path is printed.  Nothing in libmemtrackctl/ is changed.
set -eu
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
here=$repo/tests/bench
out=$repo/build/bench/dmabuf-scan-variant
if [ "${1:-}" = -o ]; then
	out=${2:?}
	shift 2
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/libmemtrackctl" "$(dirname "$out")"
for f in dmabuf.c dmabuf-report.c internal.h memtrackctl.h; do
	cp "$repo/libmemtrackctl/$f" "$src/libmemtrackctl/"
done
for p in "$@"; do
	patch -d "$src" -p1 --quiet --no-backup-if-mismatch <"$p"
done
# the library's flags (meson debugoptimized: -O2 -g, hidden visibility)
gcc -std=gnu11 -O2 -g -Wall -Wextra -fvisibility=hidden -DFLOOR_NO_MAIN \
	-I"$src/libmemtrackctl" -o "$out.tmp" "$here/dmabuf-scan.c" "$here/dmabuf-floor.c" \
	"$src/libmemtrackctl/dmabuf.c" "$src/libmemtrackctl/dmabuf-report.c"
mv -f "$out.tmp" "$out"
echo "$out"
