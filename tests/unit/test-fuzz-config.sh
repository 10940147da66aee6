#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz the memtrackd config parser (daemon/fuzz-config.c) with libFuzzer,
# ASan and UBSan: a bounded number of runs that start from the seed corpus
# in daemon/fuzz-corpus.  TAP output; exit 77 only without clang.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${MESON_BUILD_ROOT:-/tmp}
bin=$out/fuzz-config
runs=${FUZZ_CONFIG_RUNS:-200000}

if ! command -v clang >/dev/null; then
	echo "1..0 # SKIP clang not found"
	exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 fails=0

result() {	# result OK DESCRIPTION [LOG]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
		[ -n "${3:-}" ] && tail -n 40 "$3" | sed 's/^/# /'
	fi
}

# Recoverable UBSan reports would scroll past; make them crashes.
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/daemon" -o "$bin" "$top/daemon/fuzz-config.c" \
	"$top/daemon/config.c" "$top/daemon/history.c" >"$work/cc.log" 2>&1
rc=$?
result $rc "compile fuzz-config with libFuzzer, ASan and UBSan" "$work/cc.log"
if [ $rc -ne 0 ]; then
	echo "1..$n"
	exit 1
fi

# The tokens of the format, so that mutations reach deep into it.
cat >"$work/dict" <<'DICT'
"[Daemon]"
"[Rule]"
"HistoryLevels="
"HistoryMemoryMax="
"SaveIntervalSec="
"PropertiesChangedMaxPerSec="
"PrometheusFile="
"PrometheusIntervalSec="
"DmaBufScanIntervalSec="
"Name="
"Match="
"Raise="
"Clear="
"PercentOf="
"MemTotal"
"parent"
"RaiseAfterSec="
"ClearAfterSec="
"RepeatIntervalSec="
"Severity="
"warning"
"critical"
"usec"
"msec"
"min"
"KiB"
"%"
":"
"\x0a"
"18446744073709551615"
DICT

mkdir "$work/corpus"
cp "$top"/daemon/fuzz-corpus/* "$work/corpus/"
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
start=$(date +%s)
(cd "$work" && "$bin" -runs="$runs" -max_len=4096 -timeout=10 \
	-max_total_time=300 -dict="$work/dict" \
	-artifact_prefix="$work/" "$work/corpus") >"$work/fuzz.log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
execs=$(grep -E '^#[0-9]+\s+DONE' "$work/fuzz.log" | tail -n 1 |
	sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p')
echo "# $runs runs in ${secs}s, ${execs:-?} exec/s"
crashes=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' \
	-o -name 'timeout-*' -o -name 'oom-*' \))
for c in $crashes; do
	cp "$c" "$out/" &&
		echo "# reproduce with: $bin $out/$(basename "$c")"
done
[ $rc -eq 0 ] && [ -z "$crashes" ] && grep -q "Done $runs runs" "$work/fuzz.log"
result $? "fuzz the config parser for $runs runs without a finding" "$work/fuzz.log"

echo "1..$n"
[ $fails -eq 0 ]
