#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# shellcheck disable=SC2119 # load takes optional module parameters
# Guest script (not a pass/fail test): netlink benchmarks, printed as
# "bench NAME VALUE UNIT" lines.
#   - dumping a 100,000-node tree over netlink (mtc_dump) vs reading its
#     debugfs view, in nodes/s (best of 3);
#   - event rate seen by one listener under a change storm (exerciser
#     stress, 2 workers, BENCH_SECONDS s) with event_interval_ms=0 and with
#     the default 50 ms, next to the storm's own rate of operations.
# Run it with
#   tests/vm/run --kernel 6.12 --smp 2 --mem 1024 -- tests/bench/netlink-bench.sh
set -u
cd "${MEMTRACK_REPO:-.}" || exit 1
. tests/nl/lib.sh
need_client
secs=${BENCH_SECONDS:-5}
nodes=100000

load || exit 1
echo "# kernel $(uname -r), $(nproc) CPU(s)"
echo $((16 << 20)) >/proc/sys/net/core/rmem_max

cmd create bb && cmd bulk bb $nodes 8 || exit 1
"$MT" bench-dump --id "$(id_of bb)" --iterations 3 | grep '^bench ' | sed 's/^bench netlink_/bench netlink_dump_100k_/; s/dump_100k_dump_/dump_100k_/'
best=
for i in 1 2 3; do
	t0=$(date +%s%N)
	lines=$(wc -l <"$dfs/memtrack/bb")
	t=$(($(date +%s%N) - t0))
	[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
done
echo "bench debugfs_read_100k_ms $((best / 1000000)) ms"
echo "bench debugfs_read_100k_rate $(((lines - 1) * 1000000000 / best)) nodes/s"
cmd destroy bb

param=/sys/module/memtrack/parameters/event_interval_ms
for interval in 0 50; do
	echo "$interval" >"$param"
	start_monitor "storm$interval" --quiet --drain-ms 1000 --rcvbuf $((16 << 20)) || exit 1
	cmd stress start 2 "$secs" || exit 1
	sleep $((secs + 1))
	stop_monitor
	s=$(grep '^monitor ' "$T/storm$interval")
	echo "# interval $interval ms: $s"
	ops=$(field stress running ops)
	echo "bench storm_ops_interval${interval}ms $((ops / secs)) ops/s"
	ms=$(kv active_ms "$s")
	echo "bench events_interval${interval}ms $(($(kv events "$s") * 1000 / (ms > 0 ? ms : 1))) events/s"
	echo "bench events_total_interval${interval}ms $(kv events "$s") events"
	echo "bench events_lost_interval${interval}ms $(kv resyncs "$s") resyncs"
	cmd stress stop && cmd destroy stress
done
unload
