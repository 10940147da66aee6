#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 900
# Guest script (a benchmark, not a pass/fail test): loads memtrack_bench.ko,
# which runs the kernel micro-benchmarks at load, BENCH_ROUNDS times (default
# 5), alternating the memtrack "events" parameter between on (the default:
# the netlink family registered, nobody listening) and off, so both are
# measured in the same boot.  It prints the median of each benchmark:
#   bench NAME ns_per_op MEDIAN          (events on)
#   bench NAME@events_off ns_per_op MEDIAN
# and the ratios the targets in BENCHMARKS.md are stated in.  Run it with
#   tests/vm/run --kernel 6.12 --smp 2 --mem 1024 -- tests/bench/kernel-bench.sh
# Extra module parameters may be given in BENCH_ARGS (e.g. "only=add_sub").
set -u

ko=${MEMTRACK_KO_DIR:?}
rounds=${BENCH_ROUNDS:-5}
raw=/tmp/bench.raw
: >"$raw"
insmod "$ko/memtrack.ko" || exit 1
echo "# kernel $(uname -r), $(nproc) CPU(s), $rounds rounds"
dmesg -C
for _ in $(seq "$rounds"); do
	for events in Y N; do
		echo "$events" >/sys/module/memtrack/parameters/events
		# shellcheck disable=SC2086
		insmod "$ko/tests/memtrack_bench.ko" target_ms=100 ${BENCH_ARGS:-} || exit 1
		rmmod memtrack_bench
		suffix=; [ "$events" = N ] && suffix=@events_off
		dmesg --notime -c | awk -v s="$suffix" '$1 == "bench" && $3 == "ns_per_op" { print $2 s, $4 }' >>"$raw"
	done
done
echo Y >/sys/module/memtrack/parameters/events
rmmod memtrack

sort -k1,1 -k2,2n "$raw" | awk '
	{ v[$1, ++n[$1]] = $2 }
	END {
		for (k in n) {
			m = v[k, int((n[k] + 1) / 2)]
			med[k] = m
			printf "bench %s ns_per_op %.2f\n", k, m
		}
		f = med["floor_atomic64_add"]
		if (f > 0) {
			split("1 4 8", ds, " ")
			for (i = 1; i <= 3; i++) {
				d = ds[i]; x = med["add_sub_depth" d]
				if (x > 0)
					printf "ratio add+sub_depth%d_vs_2d_atomic_floor %.2f\n", d, 2 * x / (2 * d * f)
			}
		}
		a = med["add_sub_depth4_tree10"]; b = med["add_sub_depth4_tree100000"]
		if (a > 0) printf "ratio depth4_tree100000_vs_tree10 %.2f\n", b / a
		a = med["alloc_free_live10"]; b = med["alloc_free_live10000"]
		if (a > 0) printf "ratio alloc_free_live10000_vs_live10 %.2f\n", b / a
		a = med["read_leaf"]; b = med["read_root_tree100000"]
		if (a > 0) printf "ratio read_root_tree100000_vs_leaf %.2f\n", b / a
		a = med["add_sub_depth4@events_off"]; b = med["add_sub_depth4"]
		if (a > 0) printf "ratio add_sub_depth4_events_on_vs_off %.3f\n", b / a
	}' | sort
