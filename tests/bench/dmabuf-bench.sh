#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm: --smp 2 --mem 2048 --timeout 1800
# dma-buf scanner benchmark (not a pass/fail test of the target): a scan of
# BENCH_PROCS processes (default 500) holding BENCH_BUFS dma-bufs each
# (default 20; tests/bench/dmabuf-mass.c, memtrack_dmabuf_exporter.ko) with
# libmemtrackctl's mtc_dmabuf_scan() (tests/bench/dmabuf-scan.c), against
# the floor: a reader that only lists /proc and each process's fdinfo/ and
# opens, reads and closes every fdinfo file (tests/bench/dmabuf-floor.c).
# Two phases, each with a fresh set of holders: "plain" (the buffers and
# stdio only) and "mixed" (BENCH_EXTRA more fds per process, default 20:
# pipe ends and regular files).  Each phase runs, in one process
# (dmabuf-scan -f), one untimed warm-up pair then BENCH_PAIRS (default 12)
# timed pairs of a floor pass and a scan, in alternating order, so that the
# two figures of a pair are taken seconds apart on a noisy host.  Printed
# per phase:
#   bench PHASE floor|scan wall_us_median M wall_us_min B cpu_us_median C
#         minflt_median F user_pct_median U
#   ratio PHASE scan/floor pairs N wall_median_of_pairs R wall_min_over_min R2
#         cpu_median_of_pairs R3 (pairs: each pair's wall ratio)
# Then tests/bench/dmabuf-cost.c prices each kind of procfs read, all
# kinds taken process by process so that they share the noise:
#   PHASE cost KIND ops=N us_per_op=T total_ms=M
#   PHASE model floor_ms=F pid_maps_comm_ms=E direct_ms=D (Rx) link_ms=L (Rx)
# (the procfs side of the scan against the floor; see that file).
# The last scan of each phase is checked against what the holders
# allocated (buffers, fds and bytes of every holder, system-wide totals):
# "check" lines.  If build/meson/cli/memtrackctl has a working
# "buffers -j", it is timed end to end (process wall, output to /dev/null,
# best of 3) next to dmabuf-floor and dmabuf-scan run the same way (one
# pass each, no warm-up):
#   process PHASE NAME wall_us_best W peak_rss_kib R
# (BENCH_CLI=0 skips this).
# BENCH_STRACE=1 adds an strace -c of one floor pass and one scan per phase,
# BENCH_PERF=N a perf profile (cpu-clock, kernel and user) of N floor passes
# and N scans per phase, both after the timings (they slow the passes
# down: use separate runs for the figures).  BENCH_SOURCE=heap takes the
# buffers from /dev/dma_heap/system (6.12 only).  BENCH_VARIANT=PROGRAM
# (a dmabuf-scan built with changed scanner sources, see
# tests/bench/dmabuf-variant.sh) is timed too, in chunks of 3 pairs taken
# in turn with the library's, and reported as "variant".
#
# Run it on the host (builds build/bench/dmabuf-*, waits up to
# BENCH_WAIT_IDLE seconds, default 0, for other QEMU processes to end, and
# reports how many ran meanwhile):
#   tests/bench/dmabuf-bench.sh [--kernel 6.12|6.1] [other tests/vm/run options]
# or directly in a VM (builds the helpers in the guest if they are stale):
#   tests/vm/run --kernel 6.12 --smp 2 --mem 2048 --timeout 1800 -- tests/bench/dmabuf-bench.sh
# The test VMs boot with slub_debug=FZPU, which makes every allocation, so
# every open() of a procfs file, several times dearer; for figures closer
# to a production kernel add MEMTRACK_VM_APPEND="slub_debug=-".
# Exit status 1 only when a scan's figures are wrong or a step fails; the
# 1.5x target is reported, not enforced.
set -u

if [ -n "${MEMTRACK_KO_DIR:-}" ]; then
	repo=$(pwd -P)
else
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
fi
here=$repo/tests/bench
bench=$repo/build/bench
lib=$repo/build/meson/libmemtrackctl
cli=$repo/build/meson/cli/memtrackctl
procs=${BENCH_PROCS:-500}
bufs=${BENCH_BUFS:-20}
extra=${BENCH_EXTRA:-20}
pairs=${BENCH_PAIRS:-12}
source=${BENCH_SOURCE:-exporter}
variant=${BENCH_VARIANT:-}
CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes"

# build_helpers DIR: dmabuf-mass, -floor, -scan and -cost into DIR if stale
build_helpers() {
	local out=$1 b s stale
	mkdir -p "$out" || return 1
	for b in dmabuf-mass dmabuf-floor dmabuf-scan dmabuf-cost; do
		stale=0
		[ -x "$out/$b" ] || stale=1
		for s in "$here/$b.c" "$here/dmabuf-floor.c" "$here/dmabuf-floor.h" \
			"$repo/kernel/tests/memtrack_dmabuf_exporter.h" "$repo/libmemtrackctl/memtrackctl.h"; do
			[ "$s" -nt "$out/$b" ] && stale=1
		done
		[ $stale = 1 ] || continue
		case $b in
		dmabuf-mass) set -- -I"$repo/kernel/tests" ;;
		dmabuf-floor | dmabuf-cost) set -- ;;
		dmabuf-scan) set -- "$here/dmabuf-floor.c" -DFLOOR_NO_MAIN -I"$repo/libmemtrackctl" \
			-L"$lib" -lmemtrackctl -Wl,-rpath,"$lib" ;;
		esac
		# shellcheck disable=SC2086 # CFLAGS is several words
		gcc $CFLAGS -o "$out/$b.tmp" "$here/$b.c" "$@" && mv -f "$out/$b.tmp" "$out/$b" || return 1
	done
}

# ---- host side: build, boot the VM -------------------------------------------
if [ -z "${MEMTRACK_KO_DIR:-}" ]; then
	build_helpers "$bench" || exit 1
	waited=0
	while [ "$(pgrep -c qemu-system)" -gt 0 ] && [ $waited -lt "${BENCH_WAIT_IDLE:-0}" ]; do
		[ $waited = 0 ] && echo "# waiting for $(pgrep -c qemu-system) other QEMU process(es) to end (up to ${BENCH_WAIT_IDLE} s)"
		sleep 5
		waited=$((waited + 5))
	done
	echo "# host: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), kernel $(uname -r)"
	echo "# source: $(git -C "$repo" log -1 --format='%h %s' 2>/dev/null | cut -c1-90)"
	echo "# libmemtrackctl/dmabuf.c $(md5sum <"$repo/libmemtrackctl/dmabuf.c" | cut -c1-12), libmemtrackctl.so $(md5sum <"$lib/libmemtrackctl.so" | cut -c1-12)"
	echo "# other QEMU processes at start: $(pgrep -c qemu-system)"
	env="BENCH_PROCS=$procs BENCH_BUFS=$bufs BENCH_EXTRA=$extra BENCH_PAIRS=$pairs BENCH_SOURCE=$source${BENCH_STRACE:+ BENCH_STRACE=$BENCH_STRACE}${BENCH_PERF:+ BENCH_PERF=$BENCH_PERF}${BENCH_CLI:+ BENCH_CLI=$BENCH_CLI}${BENCH_VARIANT:+ BENCH_VARIANT=$BENCH_VARIANT}"
	# the VM reads the script over 9p while it runs: give it a snapshot
	snap=$(mktemp "$bench/dmabuf-bench.XXXXXX.sh")
	cp "$here/dmabuf-bench.sh" "$snap"
	load=$(mktemp)
	(while sleep 2; do echo "$(pgrep -c qemu-system) $(cut -d' ' -f1 /proc/loadavg)"; done >"$load") &
	sampler=$!
	"$repo/tests/vm/run" --smp 2 --mem 2048 --timeout 1800 --name dmabuf-bench "$@" \
		-- "$env bash ${snap#"$repo"/}"
	rc=$?
	kill "$sampler"
	awk '{ n++; if ($1 > 1) busy++; if ($1 - 1 > max) max = $1 - 1; if ($2 > l) l = $2 }
		END { printf "# host contention: other QEMU processes in %d of %d samples (at most %d at once); max load average %s\n",
			busy, n, max, l }' "$load"
	rm -f "$snap" "$load"
	exit $rc
fi

# ---- guest side ----------------------------------------------------------------
tmp=$(mktemp -d)
bin=$bench
if ! build_helpers "$bin" 2>"$tmp/build.log"; then
	cat "$tmp/build.log" >&2
	exit 1
fi
mass_pid=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ -n "$mass_pid" ] && kill "$mass_pid" 2>/dev/null && wait "$mass_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$source" = exporter ]; then
	insmod "$MEMTRACK_KO_DIR/tests/memtrack_dmabuf_exporter.ko" || exit 1
fi
slub=$(cat /sys/kernel/slab/filp/store_user /sys/kernel/slab/filp/red_zone /sys/kernel/slab/filp/poison 2>/dev/null | tr -d '\n')
echo "# kernel $(uname -r), $(nproc) CPU(s), $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB, slub debug $([ "$slub" = 000 ] && echo off || echo "on (filp U,Z,P: $slub)"); $procs processes x $bufs dma-bufs ($source), 1 warm-up + $pairs timed pairs of a floor pass and a scan"
status=0

# start_holders EXTRA: dmabuf-mass in the background until "ready"
start_holders() {
	local t0 i
	t0=$(date +%s.%N)
	"$bin/dmabuf-mass" -p "$procs" -b "$bufs" -x "$1" -s "$source" >"$tmp/mass.out" &
	mass_pid=$!
	for ((i = 0; i < 6000; i++)); do
		grep -q '^ready' "$tmp/mass.out" && break
		kill -0 "$mass_pid" 2>/dev/null || { echo "dmabuf-mass failed" >&2; mass_pid=; return 1; }
		sleep 0.1
	done
	grep -q '^ready' "$tmp/mass.out" || return 1
	echo "# holders: $(grep '^expect' "$tmp/mass.out"); set up in $(echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }') s; $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) pids in /proc"
}

stop_holders() {
	kill "$mass_pid" && wait "$mass_pid"
	mass_pid=
}

# measure NAME COMMAND...: best process wall time of 3 runs (output to /dev/null)
measure() {
	local name=$1
	shift
	/usr/bin/python3 - "$name" "$@" <<'PY'
import os, subprocess, sys, time
name, cmd = sys.argv[1], sys.argv[2:]
best = None
for _ in range(3):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open("/dev/null", os.O_WRONLY)
        os.dup2(fd, 1)
        os.execvp(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    wall = (time.monotonic() - t0) * 1e6
    if status != 0:
        sys.exit(f"{name}: {cmd} failed with status {status}")
    if best is None or wall < best[0]:
        best = (wall, ru.ru_maxrss)
print(f"process PHASE {name} wall_us_best {best[0]:.0f} peak_rss_kib {best[1]}")
PY
}

# summarize PHASE LABEL FILE: the bench and ratio lines of "pair" lines
summarize() {
	awk -v phase="$1" -v label="$2" '
		function median(a, n,   i, j, t) {
			for (i = 2; i <= n; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		function val(s) { sub(/^[a-z_]*=/, "", s); return s + 0 }
		$1 == "pair" {
			n++
			fw[n] = val($4); fc[n] = val($5); sw[n] = val($6); sc[n] = val($7)
			ff[n] = val($8); sf[n] = val($9)
			fu[n] = fc[n] ? 100 * val($10) / fc[n] : 0; su[n] = sc[n] ? 100 * val($11) / sc[n] : 0
			rw[n] = sw[n] / fw[n]; rc[n] = sc[n] / fc[n]
			rr = rr sprintf(" %.2f", rw[n])
			if (n == 1 || fw[n] < fmin) fmin = fw[n]
			if (n == 1 || sw[n] < smin) smin = sw[n]
		}
		END {
			if (!n) exit 1
			printf "bench %s floor wall_us_median %d wall_us_min %d cpu_us_median %d minflt_median %d user_pct_median %.0f\n", phase, median(fw, n), fmin, median(fc, n), median(ff, n), median(fu, n)
			printf "bench %s %s wall_us_median %d wall_us_min %d cpu_us_median %d minflt_median %d user_pct_median %.0f\n", phase, label, median(sw, n), smin, median(sc, n), median(sf, n), median(su, n)
			printf "ratio %s %s/floor pairs %d wall_median_of_pairs %.2f wall_min_over_min %.2f cpu_median_of_pairs %.2f (pairs:%s)\n",
				phase, label, n, median(rw, n), smin / fmin, median(rc, n), rr
		}' "$3"
}

# phase NAME EXTRA
phase() {
	local name=$1 c w chunk=3 cli_rc=0
	start_holders "$2" || return 1
	if [ -z "$variant" ]; then
		"$bin/dmabuf-scan" -f -w 1 -n "$pairs" -e "$tmp/mass.out" >"$tmp/out"
	else
		# chunks of $chunk pairs, the library's and the variant's in turn
		: >"$tmp/out"
		: >"$tmp/out.variant"
		for ((c = 0; c * chunk < pairs; c++)); do
			w=0
			[ $c = 0 ] && w=1
			"$bin/dmabuf-scan" -f -w $w -n $chunk -e "$tmp/mass.out" >>"$tmp/out"
			"$variant" -f -w $w -n $chunk -e "$tmp/mass.out" >>"$tmp/out.variant"
		done
		if ! grep -q '^check ok=1' "$tmp/out.variant" || grep -q '^check ok=0' "$tmp/out.variant"; then
			grep -m1 '^check ok=0' "$tmp/out.variant" | sed "s/^/# $name variant: /"
			status=1
		fi
	fi
	grep -m2 -E '^(floor|scan) totals' "$tmp/out" | sed "s/^/# $name last pass: /"
	grep -m1 '^check' "$tmp/out" | sed "s/^/# $name last scan: /"
	if ! grep -q '^check ok=1' "$tmp/out" || grep -q '^check ok=0' "$tmp/out"; then
		grep -m1 '^check ok=0' "$tmp/out" | sed "s/^/# $name failed: /"
		status=1
	fi
	summarize "$name" scan "$tmp/out" || return 1
	if [ -n "$variant" ]; then
		summarize "$name" variant "$tmp/out.variant" | grep -v ' floor '
	fi
	"$bin/dmabuf-cost" -n 3 | sed "s/^/$name /"
	if [ "${BENCH_CLI:-1}" = 0 ]; then
		:
	elif [ -x "$cli" ] && { "$cli" buffers -j >"$tmp/cli.json" 2>"$tmp/cli.err"; cli_rc=$?; [ $cli_rc = 0 ]; }; then
		echo "# $name memtrackctl buffers -j: $(wc -c <"$tmp/cli.json") bytes of JSON"
		{
			measure floor_process "$bin/dmabuf-floor" -w 0 -n 1
			measure scan_process "$bin/dmabuf-scan" -w 0 -n 1
			measure memtrackctl_buffers_json "$cli" buffers -j
		} | sed "s/ PHASE / $name /"
	else
		if [ -x "$cli" ]; then
			echo "# $name memtrackctl buffers -j: exit status $cli_rc, stderr: $(head -c 200 "$tmp/cli.err" | tr '\n' ' ')"
		else
			echo "# $name memtrackctl buffers -j: not available (no $cli)"
		fi
	fi
	if [ -n "${BENCH_STRACE:-}" ]; then
		for p in floor scan; do
			echo "# $name strace -c of one $p pass:"
			strace -c -o "$tmp/strace" "$bin/dmabuf-$p" -w 0 -n 1 >/dev/null
			sed "s/^/# $name $p /" "$tmp/strace"
		done
	fi
	if [ -n "${BENCH_PERF:-}" ]; then
		# cpu-clock counts nanoseconds: print the profiles in ms per pass
		for p in floor scan; do
			perf record -q -e cpu-clock -F 2000 -g -o "$tmp/perf.data" -- \
				"$bin/dmabuf-$p" -w 0 -n "$BENCH_PERF" >/dev/null 2>"$tmp/perf.err" ||
				{ cat "$tmp/perf.err"; continue; }
			perf report -i "$tmp/perf.data" --stdio --sort dso 2>/dev/null |
				awk -v n="$BENCH_PERF" -v pre="# $name $p dso" '
				/^# Event count/ { total = $NF / 1e6 / n }
				/^ *[0-9.]+%/ { printf "%s %8.1f ms %6.2f%% %s\n", pre, $1 / 100 * total, $1, $NF }'
			for how in self incl; do
				if [ $how = self ]; then set -- --no-children; else set -- --children; fi
				perf report -i "$tmp/perf.data" --stdio "$@" --sort sym -g none 2>/dev/null |
					awk -v n="$BENCH_PERF" -v how=$how -v pre="# $name $p $how" '
					/^# Event count/ { total = $NF / 1e6 / n
						printf "%s: %.0f ms of samples per pass (%d passes)\n", pre, total, n }
					/^ *[0-9.]+%/ {
						pct = $1 + 0; k++
						keep = how == "self" ? k <= 30 || ($(NF - 1) == "[.]" && pct >= 0.1) : (k <= 35 || $NF ~ /^(__x64_sys_[a-z0-9_]+|show_map|proc_pid_readlink|seq_show|dma_buf_show_fdinfo|proc_readfd_common|tid_fd_revalidate|comm_show|proc_pid_lookup|d_path|set_track_prepare|mtc_dmabuf_[a-z_]+|scan_[a-z_]+|read_fdinfo|list_pids|floor_pass|read_fdinfos|getname_flags.*|alloc_empty_file|single_open|seq_open|__fput|kmem_cache_alloc_noprof|kmem_cache_free|kfree|__kmalloc_[a-z_]+)$/)
						if (keep)
							printf "%s %8.1f ms %6.2f%% %s %s\n", pre, pct / 100 * total, pct, $(NF - 1), $NF
					}'
			done
		done
	fi
	stop_holders
}

phase plain 0 || { echo "phase plain failed" >&2; exit 1; }
phase mixed "$extra" || { echo "phase mixed failed" >&2; exit 1; }
[ "$source" = exporter ] && rmmod memtrack_dmabuf_exporter
exit $status
