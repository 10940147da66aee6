#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# Guest script (not a pass/fail test): loads memtrack_bench.ko, which runs
# the kernel micro-benchmarks at load, and prints its result lines
# "bench NAME ns_per_op VALUE" for BENCHMARKS.md.  Run it with
#   tests/vm/run --kernel 6.12 --smp 2 --mem 1024 -- tests/bench/kernel-bench.sh
# Extra module parameters may be given in BENCH_ARGS (e.g. "only=add_sub").
set -u

ko=${MEMTRACK_KO_DIR:?}
insmod "$ko/memtrack.ko" || exit 1
echo "# kernel $(uname -r), $(nproc) CPU(s)"
# shellcheck disable=SC2086
insmod "$ko/tests/memtrack_bench.ko" ${BENCH_ARGS:-} || exit 1
dmesg --notime | grep '^bench ' | grep -v ' ops [0-9]*$'
rmmod memtrack_bench && rmmod memtrack
