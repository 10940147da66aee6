#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds tests/dmabuf/mtdb-hold into $MEMTRACK_BUILD_DIR/dmabuf/ (default:
# build/dmabuf/ of the repo) unless it is up to date, and prints its path.
# Runs on the host or in a test VM (where build/ is on the guest's tmpfs
# overlay, so a binary built on the host is used as is when up to date).
set -eu
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
out=${MEMTRACK_BUILD_DIR:-$repo/build}/dmabuf
bin=$out/mtdb-hold
srcs=("$repo/tests/dmabuf/mtdb-hold.c" "$repo/kernel/tests/memtrack_dmabuf_exporter.h")
stale=0
[ -x "$bin" ] || stale=1
for s in "${srcs[@]}"; do
	[ "$s" -nt "$bin" ] && stale=1
done
if [ "$stale" = 1 ]; then
	mkdir -p "$out"
	gcc -std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-Wformat=2 -I"$repo/kernel/tests" -o "$bin.tmp" "${srcs[0]}" >&2
	mv -f "$bin.tmp" "$bin"
fi
echo "$bin"
