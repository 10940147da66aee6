#!/bin/bash
# vm: --timeout 300
# In-VM test: install the userspace build (into the VM's overlay, /usr/local),
# then build the documentation's example against the installed library with
# `pkg-config --cflags --libs libmemtrackctl`, and run it against the module.
set -u
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

ko=${MEMTRACK_KO_DIR:?}
build=${MEMTRACK_BUILD:-build/meson}
ctl=/sys/kernel/debug/memtrack-exerciser/control
tmp=$(mktemp -d)

meson install -C "$build" --no-rebuild --quiet --destdir / >"$tmp/install.log" 2>&1
check $? "meson install into /usr/local"
ldconfig

flags=$(pkg-config --cflags --libs libmemtrackctl 2>"$tmp/pc.err")
check $? "pkg-config knows libmemtrackctl: $flags"

# shellcheck disable=SC2086
cc -Wall -Wextra -Werror -o "$tmp/example" tests/pkgconfig/example.c $flags
check $? "the example compiles and links against the installed library"

readelf -d "$tmp/example" | grep -q 'NEEDED.*libmemtrackctl.so.1'
check $? "it links to the soname libmemtrackctl.so.1"

"$tmp/example" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "not loaded" "$tmp/out"
check $? "without the module it reports it missing (exit 2)"

insmod "$ko/memtrack.ko" && insmod "$ko/tests/memtrack_exerciser.ko"
echo "create pcroot" >"$ctl" && echo "add pcroot 4096" >"$ctl" &&
	echo "create pcroot/s" >"$ctl" && echo "alloc pcroot/s buf 1000" >"$ctl"
"$tmp/example" >"$tmp/out" 2>&1
grep -qx "pcroot 5096" "$tmp/out"
check $? "with the module it prints the root and its total: $(tr '\n' ' ' <"$tmp/out")"

echo "destroy pcroot" >"$ctl"
rmmod memtrack_exerciser && rmmod memtrack
check $? "unload"

echo "1..$n"
[ "$failed" -eq 0 ]
