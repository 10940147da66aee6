# SPDX-License-Identifier: GPL-2.0
# What the in-VM dma-buf tests share (sourced after tap.sh once $T, the
# test's temporary directory, exists; bash): tests/dmabuf/mtdb-hold's
# scenarios and the holds each must produce, building, starting and
# stopping mtdb-hold, and running the scenarios on each source the kernel
# has.  Under emulation every exec costs about half a second: the helpers
# here are shell builtins.
# shellcheck shell=bash

# note: stdin as TAP comments
note() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		printf '# %s\n' "$l"
	done
}
mkfifo "$T/nap"
exec 8<>"$T/nap" # nothing is ever written: read -t on it is a sleep
nap() { read -r -t "$1" -u 8 || :; }
# has_line FILE LINE: FILE has the line LINE
has_line() {
	local l
	while IFS= read -r l; do
		[ "$l" = "$2" ] && return 0
	done <"$1"
	return 1
}

# ---- the scenarios -------------------------------------------------------------
# Per scenario, one line per holder: "BUF ROLE FDS VMAS VMA_UNITS" (from
# mtdb-hold's header; VMA_UNITS: mapped length in --unit units); each
# buffer's size in units; each source's exp_name.  (Read by the scripts
# that source this.)  "all" is SCENARIOS; scenarios_of SOURCE adds those
# only the test exporter can set up (a MAP_PRIVATE mapping).
# shellcheck disable=SC2034
SCENARIOS=(fd map fork scm name)
# shellcheck disable=SC2034
declare -A UNITS=([fd]=1 [map1]=2 [map2]=3 [fork]=4 [scm]=5 [name]=6 [private]=7)
scenarios_of() { # scenarios_of SOURCE: its scenarios, one word each
	echo "${SCENARIOS[@]}"
	[ "$1" = exporter ] && echo private
	return 0
}
# shellcheck disable=SC2034
declare -A EXPNAME=([udmabuf]=udmabuf [heap]=system [exporter]=memtrack_dmabuf)
holds_of() { # holds_of SCENARIO...: the expected holds, one per line
	local s
	for s in "$@"; do
		[ "$s" = all ] && { holds_of "${SCENARIOS[@]}"; continue; }
		case $s in
		fd) echo "fd main 2 0 0" ;;
		map) echo "map1 main 0 1 2"; echo "map2 main 0 2 6" ;;
		fork) echo "fork main 1 0 0"; echo "fork fork-child 1 0 0" ;;
		scm) echo "scm receiver 1 0 0" ;;
		name) echo "name main 1 1 6" ;;
		private) echo "private main 0 1 7" ;;
		esac
	done
}
# shellcheck disable=SC2034
UNIT=65536 NAME=mtdb-named

# ---- mtdb-hold -----------------------------------------------------------------
# hold_build: build mtdb-hold (tests/dmabuf/build.sh), its path in
# HOLD_BIN; a check, and bail out if that fails
hold_build() {
	local rc
	HOLD_BIN=$(tests/dmabuf/build.sh 2>"$T/build.err")
	rc=$?
	note <"$T/build.err"
	check $rc "mtdb-hold built ($HOLD_BIN)"
	[ "$rc" = 0 ] || { echo "Bail out! cannot build tests/dmabuf/mtdb-hold"; exit 1; }
}
# hold_start RUN ARGS...: mtdb-hold ARGS with its stdin on a fifo kept open
# by this shell (fd 9), until "ready".  Output in $T/RUN.out.
hold_start() {
	local run=$1 i
	shift
	mkfifo "$T/$run.in"
	: >"$T/$run.out"
	"$HOLD_BIN" "$@" <"$T/$run.in" >"$T/$run.out" 2>"$T/$run.err" &
	HOLD_PID=$!
	exec 9>"$T/$run.in"
	for ((i = 0; i < 600; i++)); do
		has_line "$T/$run.out" ready && return 0
		kill -0 "$HOLD_PID" 2>/dev/null || break
		nap 0.1
	done
	has_line "$T/$run.out" ready && return 0
	note <"$T/$run.out"
	note <"$T/$run.err"
	return 1
}
# hold_stop RUN: close its stdin, wait for it; its status
hold_stop() {
	local rc
	exec 9>&-
	wait "$HOLD_PID"
	rc=$?
	[ "$rc" = 0 ] && has_line "$T/$1.out" 'done status=0' && [ ! -s "$T/$1.err" ] && return 0
	echo "# mtdb-hold exit status $rc"
	note <"$T/$1.err"
	return 1
}

# ---- 6.12: udmabuf and the system heap -------------------------------------------
# host_sources: `runs SOURCE` for udmabuf and the system dma-heap; where
# the kernel has neither (Debian's 6.1) a skip
host_sources() {
	local src dev
	for src in udmabuf heap; do
		case $src in
		udmabuf) dev=/dev/udmabuf ;;
		heap) dev=/dev/dma_heap/system ;;
		esac
		[ "$src" = udmabuf ] && [ ! -e "$dev" ] && modprobe udmabuf 2>/dev/null
		if [ ! -e "$dev" ]; then
			case $KVER in
			6.1.*) skip "$src source" "no $dev on $KVER (Debian's 6.1 has neither udmabuf nor dma-heaps)" ;;
			*) check 1 "$src source: $dev exists on $KVER" ;;
			esac
			continue
		fi
		runs "$src"
	done
}
