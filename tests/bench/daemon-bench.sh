#!/bin/bash
# vm: --mode system --smp 2 --mem 2048 --timeout 900
# memtrackd benchmark (not a pass/fail test of the targets): BENCH_NODES
# nodes (default 10,000) changed BENCH_RATE times a second in all (default
# 10,000, round-robin, so each node once a second) for BENCH_SECONDS
# (default 60), by the exerciser's "churn" kernel thread; BENCH_RATES="R1 R2"
# runs one phase per rate in the same boot.  Measures
# memtrackd's CPU (utime+stime from /proc) and RSS, dbus-daemon's CPU, the
# change-to-PropertiesChanged latency (tests/bench/dbus-latency.c), and
# whether memtrackd's mirror equals a kernel dump once the churn is over.
#
# Run it on the host:
#   tests/bench/daemon-bench.sh [--kernel 6.12|6.1] [other tests/vm/run options]
# which builds build/bench/dbus-latency, times the calibration workloads on
# the host (build/bench/calibrate.host) and boots a system-mode VM
# (--smp 2 --mem 2048 by default) running this script, which times the same
# workloads in the guest: their ratio is the TCG slowdown, used to give the
# CPU figure normalized to the host CPU next to the raw guest figure.
# Directly in a VM (no host calibration unless a host run left one):
#   tests/vm/run --kernel 6.12 --mode system --smp 2 --mem 2048 --timeout 900 \
#       -- tests/bench/daemon-bench.sh
# BENCH_EVENT_BUFFER=BYTES restarts memtrackd with EventBufferBytes=BYTES
# first (a small one forces overruns and re-dumps: is the end still exact?).
# BENCH_PERF=SECONDS adds a perf profile of memtrackd (it costs CPU: use a
# separate run for the figures).
# Exit status 1 only when the final mirror is not exact or memtrackd was
# restarted; missed targets are reported, not failed.
set -u

# The repo: the guest runs this in the repo root; on the host, where this
# file lives.  (The host side runs a snapshot of this script in the VM.)
if [ -n "${MEMTRACK_KO_DIR:-}" ]; then
	repo=$(pwd -P)
else
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
fi
here=$repo/tests/bench
bench=$repo/build/bench
bin=$bench/dbus-latency
calib_host=$bench/calibrate.host
cpu_iter=${BENCH_CPU_ITER:-200000000}
bus_signals=${BENCH_BUS_SIGNALS:-50000}
nl_dumps=${BENCH_NL_DUMPS:-5000}
nodes=${BENCH_NODES:-10000}
rate=${BENCH_RATE:-10000}
secs=${BENCH_SECONDS:-60}

build_client() { # build_client OUTPUT
	# shellcheck disable=SC2046 # pkg-config prints several words
	gcc -O2 -Wall -Wextra -Wno-unused-parameter -o "$1" "$here/dbus-latency.c" \
		$(pkg-config --cflags --libs libsystemd libnl-genl-3.0)
}

# private_bus: start a dbus-daemon with the session config; sets bus_addr, bus_pid
private_bus() {
	local out
	out=$(dbus-daemon --session --fork --nosyslog --print-address=1 --print-pid=1) || return 1
	bus_addr=$(sed -n 1p <<<"$out")
	bus_pid=$(sed -n 2p <<<"$out")
}

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
ticks_us() { awk '{ print $14, $15 }' "/proc/$1/stat" 2>/dev/null || echo 0 0; }

# calibrate: the fixed workloads, best of 3 each, as "calib NAME VALUE" lines
calibrate() {
	local out _ t0 t1
	out=$(mktemp)
	{
	for _ in 1 2 3; do
		"$bin" calibrate-cpu "$cpu_iter" | awk '{ print "calib cpu user_s", $6, "sys_s", $8, "units", $4 }'
	done
	for _ in 1 2 3; do
		private_bus || return 1
		t0=$(ticks_us "$bus_pid")
		"$bin" calibrate-bus "$bus_signals" "$bus_addr" | awk '{ print "calib bus_emit user_s", $6, "sys_s", $8, "units", $4 }'
		t1=$(ticks_us "$bus_pid")
		kill "$bus_pid"
		awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v n="$bus_signals" 'BEGIN {
			split(a, x, " "); split(b, y, " ")
			printf "calib dbus_daemon user_s %.2f sys_s %.2f units %d\n", (y[1] - x[1]) / hz, (y[2] - x[2]) / hz, n }'
	done
	for _ in 1 2 3; do
		"$bin" calibrate-netlink "$nl_dumps" | awk '{ print "calib netlink user_s", $8, "sys_s", $10, "units", $6 }'
	done
	} >"$out"
	# best of 3: the least user + sys
	awk '{ k = $2; t = $4 + $6; if (!(k in best) || t < best[k]) { best[k] = t; line[k] = $0 } }
		END { for (k in line) print line[k] }' "$out" | sort
	rm -f "$out"
}

# ---- host side: build, calibrate, boot the VM ------------------------------
if [ -z "${MEMTRACK_KO_DIR:-}" ]; then
	mkdir -p "$bench"
	build_client "$bin" || exit 1
	# Other VMs on this host steal its cores from ours (and from the host
	# calibration): wait for them to end, and watch for any during the run.
	waited=0
	while [ "$(pgrep -c qemu-system)" -gt 0 ] && [ $waited -lt "${BENCH_WAIT_IDLE:-900}" ]; do
		[ $waited = 0 ] && echo "# waiting for $(pgrep -c qemu-system) other QEMU process(es) to end (up to ${BENCH_WAIT_IDLE:-900} s)"
		sleep 5
		waited=$((waited + 5))
	done
	echo "# host: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), kernel $(uname -r)"
	echo "# host calibration (best of 3): $cpu_iter CPU iterations, $bus_signals signals through a private dbus-daemon, $nl_dumps genl family dumps"
	{
		echo "# $(date -u +%FT%TZ) $(uname -n) $(nproc) CPU(s)"
		calibrate
	} >"$calib_host.new" && mv "$calib_host.new" "$calib_host" || exit 1
	sed 's/^/# host /' "$calib_host"
	echo "# source: $(git -C "$repo" log -1 --format='%h %s' 2>/dev/null | cut -c1-90)"
	echo "# uncommitted in daemon/ libmemtrackctl/ kernel/: $(git -C "$repo" status --short daemon libmemtrackctl kernel 2>/dev/null | tr '\n' ' ')"
	env="BENCH_NODES=$nodes BENCH_RATES='${BENCH_RATES:-$rate}' BENCH_SECONDS=$secs BENCH_CPU_ITER=$cpu_iter BENCH_BUS_SIGNALS=$bus_signals BENCH_NL_DUMPS=$nl_dumps${BENCH_PERF:+ BENCH_PERF=$BENCH_PERF}${BENCH_EVENT_BUFFER:+ BENCH_EVENT_BUFFER=$BENCH_EVENT_BUFFER}"
	# the VM reads the script over 9p while it runs: give it a copy that
	# later edits of this file cannot change under its feet
	snap=$(mktemp "$bench/daemon-bench.XXXXXX.sh")
	cp "$here/daemon-bench.sh" "$snap"
	load=$(mktemp)
	(while sleep 2; do echo "$(pgrep -c qemu-system) $(cut -d' ' -f1 /proc/loadavg)"; done >"$load") &
	sampler=$!
	"$repo/tests/vm/run" --mode system --smp 2 --mem 2048 --timeout 900 --name daemon-bench "$@" \
		-- "$env bash ${snap#"$repo"/}"
	rc=$?
	kill "$sampler"
	awk '{ n++; if ($1 > 1) busy++; if ($1 - 1 > max) max = $1 - 1; if ($2 > l) l = $2 }
		END { printf "# host contention: other QEMU processes in %d of %d samples (at most %d at once); max load average %s\n",
			busy, n, max, l }' "$load"
	rm -f "$snap" "$load"
	exit $rc
fi

# ---- guest side --------------------------------------------------------------
MTD_DEST=org.memtrack.MemTrack1
MTD_OBJ=/org/memtrack/MemTrack1
MTD_MGR=org.memtrack.MemTrack1.Manager
ctl=/sys/kernel/debug/memtrack-exerciser/control
st=/sys/kernel/debug/memtrack-exerciser/status
tmp=$(mktemp -d)
hz=$(getconf CLK_TCK)
bad=0

cmd() { echo "$*" >"$ctl"; }
prop() {
	busctl --system --timeout=30 --json=short get-property "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" "$1" 2>/dev/null |
		jq -r .data
}
churn_field() { awk -v k="$1" '$1 == "churn" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$st"; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
until_true() { # until_true SECONDS COMMAND...: retry every 0.5 s (UNTIL_SLEEP)
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep "${UNTIL_SLEEP:-0.5}"
	done
}
# system-wide busy and total jiffies from /proc/stat
sys_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# pct TICKS SECONDS [CPUS]: CPU percent of one core
pct() { awk -v t="$1" -v s="$2" -v hz="$hz" 'BEGIN { printf "%.1f", (s > 0 ? 100 * t / hz / s : 0) }'; }
mono() { awk '{ print $1 }' /proc/uptime; }
sub_f() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

# mirror_exact: memtrackd's GetTree equals a kernel dump (id, path, bytes,
# self, count, peak of every node), as tests/lib/daemon.sh's mirror_matches,
# with longer timeouts; the differing lines are left in $tmp/mirror.diff
mirror_exact() {
	busctl --system --timeout=120 --json=short call "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" GetTree |
		jq -r '.data[0][] | "\(.[1]) \(.[3]) \(.[4]) \(.[5]) \(.[6]) \(.[7])"' | sort >"$tmp/mirror"
	memtrackctl dump -j | jq -r '.. | objects | select(has("id")) |
		"\(.id) \(.path) \(.bytes) \(.self_bytes) \(.count) \(.peak_bytes)"' | sort >"$tmp/kernel"
	diff "$tmp/mirror" "$tmp/kernel" >"$tmp/mirror.diff"
	[ -s "$tmp/kernel" ] && ! [ -s "$tmp/mirror.diff" ]
}

echo "# guest: kernel $(uname -r), $(nproc) vCPU(s), $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
echo "# workload: $nodes nodes, $rate sets/s, $secs s"

if [ ! -x "$bin" ]; then
	bin=$tmp/dbus-latency
	build_client "$bin" || exit 1
fi

until_true 60 eval '[ "$(systemctl is-active memtrackd.service)" = active ]' || { echo "memtrackd is not active"; exit 1; }
until_true 30 eval '[ "$(prop State)" = attached ]' || { echo "memtrackd is not attached"; exit 1; }
if [ -n "${BENCH_EVENT_BUFFER:-}" ]; then
	# a small event socket buffer: overruns, and re-dumps, under the churn
	mkdir -p /etc/memtrackd.conf.d
	printf '[Daemon]\nEventBufferBytes=%s\n' "$BENCH_EVENT_BUFFER" >/etc/memtrackd.conf.d/90-bench.conf
	systemctl restart memtrackd.service || exit 1
	until_true 60 eval '[ "$(systemctl is-active memtrackd.service)" = active ]' || { echo "memtrackd is not active"; exit 1; }
	until_true 30 eval '[ "$(prop State)" = attached ]' || { echo "memtrackd is not attached"; exit 1; }
	echo "# memtrackd restarted with EventBufferBytes=$BENCH_EVENT_BUFFER"
fi
mpid=$(systemctl show -p MainPID --value memtrackd.service)
dpid=$(systemctl show -p MainPID --value dbus.service)
echo "# memtrackd pid $mpid ($(memtrackd --version 2>/dev/null | head -n1), sha256 $(sha256sum /proc/"$mpid"/exe | cut -c1-12)), dbus-daemon pid $dpid"
systemctl show -p NRestarts --value memtrackd.service >"$tmp/nrestarts0"

# -- calibration in the guest, on an idle system
calibrate >"$tmp/calib.guest" || exit 1
sed 's/^/# guest /' "$tmp/calib.guest"
# factor NAME [user|sys]: guest / host CPU time per unit of work of a
# calibration workload (user + sys, or one of them), empty when unknown
factor() {
	awk -v k="$1" -v f="${2:-}" 'FNR == 1 { file++ }
		$1 == "calib" && $2 == k && $8 > 0 {
			v = f == "user" ? $4 : f == "sys" ? $6 : $4 + $6
			if (file == 1) g = v / $8; else h = v / $8
		}
		END { if (h > 0 && g > 0 && (f != "sys" || h * 1e6 > 0.05)) printf "%.1f", g / h }' "$tmp/calib.guest" "$calib_host"
}
if [ -f "$calib_host" ]; then
	sed 's/^/# host /' "$calib_host"
	f_cpu=$(factor cpu)
	f_bus=$(factor bus_emit) fu_bus=$(factor bus_emit user) fs_bus=$(factor bus_emit sys)
	f_nl=$(factor netlink) fu_nl=$(factor netlink user) fs_nl=$(factor netlink sys)
	f_dbd=$(factor dbus_daemon)
	echo "# TCG slowdown (guest / host CPU time per unit of work), total (user, sys):"
	echo "#   cpu loop ${f_cpu}x; sd-bus emit ${f_bus}x (${fu_bus}x, ${fs_bus}x);" \
		"libnl genl dump ${f_nl}x (${fu_nl}x, ${fs_nl}x); dbus-daemon routing ${f_dbd}x"
else
	f_cpu='' f_bus='' f_dbd=''
	echo "# no host calibration ($calib_host): run tests/bench/daemon-bench.sh on the host for the TCG factor"
fi

# norm UT ST SECONDS FU FS: % of one host core, user ticks / FU + sys ticks / FS
norm() {
	awk -v u="$1" -v s="$2" -v d="$3" -v fu="$4" -v fs="$5" -v hz="$hz" \
		'BEGIN { if (fu > 0 && fs > 0 && d > 0) printf "%.2f", 100 * (u / fu + s / fs) / hz / d; else printf "?" }'
}

# -- the tree
insmod "$MEMTRACK_KO_DIR/tests/memtrack_exerciser.ko" || exit 1
t0=$(mono)
cmd churn create "$nodes" || exit 1
UNTIL_SLEEP=3 until_true 300 mirror_exact
echo "bench mirror_after_create_s $(sub_f "$(mono)" "$t0") exact $(mirror_exact && echo yes || echo no)"
echo "bench rss_before_kib $(status_kib "$mpid" VmRSS) hwm_before_kib $(status_kib "$mpid" VmHWM)"

# -- phases: one per rate
# phase RATE: churn at RATE for $secs s, then drain until the mirror is exact
phase() {
	local rate=$1 lpid ev0 ev1 ev2 rs0 rs2 m0 m1 m2 d0 d1 s0 s1 w0 w1 w2 k0 k1 kpid
	local pm pd ps pw next w m d s dt t_ev ev sets elapsed_ms errors rss rss1 exact dur raw rawd
	local restarts newpid r="result[$rate]" mu0 ms0 mu1 ms1

	echo "# ==== phase: $nodes nodes, $rate sets/s, $secs s"
	"$bin" listen $((secs + 20)) churn/ >"$tmp/listen" 2>"$tmp/listen.err" &
	lpid=$!
	until_true 120 grep -q '^ready' "$tmp/listen" || { echo "listener not ready"; cat "$tmp/listen.err"; return 1; }
	ev0=$(prop Events)
	rs0=$(prop Resyncs)
	read -r mu0 ms0 < <(ticks_us "$mpid")
	m0=$(ticks "$mpid") d0=$(ticks "$dpid") s0=$(sys_busy) w0=$(mono)
	cmd churn start "$rate" "$secs" || return 1
	kpid=$(pgrep -x memtrack-churn | head -n1)
	k0=$(ticks "$kpid")
	if [ -n "${BENCH_PERF:-}" ]; then
		# a flat profile of memtrackd, BENCH_PERF seconds from 5 s in
		(sleep 5 && perf record -q -e cpu-clock -F 200 -p "$mpid" -o "$tmp/perf.data" -- sleep "$BENCH_PERF") \
			>"$tmp/perf.log" 2>&1 &
	fi
	echo "# timeline: t_s kernel_sets memtrackd_cpu% memtrackd_rss_kib dbus-daemon_cpu% system_busy%(of $(nproc)00) memtrackd_events (get-property ms)"
	pm=$m0 pd=$d0 ps=$s0 pw=$w0 next=$(awk -v w="$w0" 'BEGIN { print w + 10 }')
	while [ "$(churn_field running)" = 1 ]; do
		sleep 0.5
		w=$(mono)
		awk -v w="$w" -v n="$next" 'BEGIN { exit !(w >= n) }' || continue
		m=$(ticks "$mpid") d=$(ticks "$dpid") s=$(sys_busy) sets=$(churn_field sets) rss=$(status_kib "$mpid" VmRSS)
		dt=$(sub_f "$w" "$pw")
		t_ev=$(mono)
		# under overload this call itself is slow: its time is printed
		ev=$(busctl --system --timeout=5 --json=short get-property "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" Events 2>/dev/null |
			jq -r .data)
		echo "timeline $(sub_f "$w" "$w0") $sets $(pct $((m - pm)) "$dt") $rss" \
			"$(pct $((d - pd)) "$dt") $(pct $((s - ps)) "$dt") ${ev:-timeout} ($(awk -v a="$(mono)" -v b="$t_ev" 'BEGIN { printf "%.0f", 1000 * (a - b) }'))"
		pm=$m pd=$d ps=$s pw=$w next=$(awk -v w="$w" 'BEGIN { print w + 10 }')
	done
	m1=$(ticks "$mpid") d1=$(ticks "$dpid") s1=$(sys_busy) w1=$(mono) k1=$(ticks "$kpid")
	read -r mu1 ms1 < <(ticks_us "$mpid")
	rss1=$(status_kib "$mpid" VmRSS)
	ev1=$(prop Events)
	sets=$(churn_field sets) elapsed_ms=$(churn_field elapsed_ms) errors=$(churn_field errors)
	cmd churn stop

	# drain: until the mirror is exact (or 300 s)
	# a GetTree of every node costs memtrackd CPU too: not too often
	UNTIL_SLEEP=3 until_true 300 mirror_exact
	exact=$?
	w2=$(mono) m2=$(ticks "$mpid")
	ev2=$(prop Events)
	rs2=$(prop Resyncs)
	wait "$lpid"
	grep -v '^dbus-latency: [0-9]* nodes under' "$tmp/listen.err" >&2

	dur=$(sub_f "$w1" "$w0")
	if [ -n "${BENCH_PERF:-}" ]; then
		wait
		sed 's/^/# perf: /' "$tmp/perf.log"
		echo "# perf profile of memtrackd (cpu-clock, ${BENCH_PERF} s):"
		perf report -q -i "$tmp/perf.data" --stdio --no-children --sort dso,sym 2>&1 | grep -v '^$' |
			head -n 45 | sed 's/^/# /'
		perf report -q -i "$tmp/perf.data" --stdio --no-children --sort dso 2>&1 | grep -v '^$' |
			head -n 12 | sed 's/^/# by dso: /'
	fi
	echo "# listener (dbus-latency):"
	sed 's/^/# /' "$tmp/listen"
	echo "# ---- result ----"
	echo "$r kernel $(uname -r) vcpus $(nproc) nodes $nodes rate_asked $rate seconds $secs"
	echo "$r kernel_sets $sets in $elapsed_ms ms: $(awk -v s="$sets" -v ms="$elapsed_ms" 'BEGIN { printf "%.0f", ms ? s * 1000 / ms : 0 }') sets/s (errors $errors)"
	echo "$r memtrackd_events $((ev1 - ev0)) during the run (${dur} s): $(awk -v e=$((ev1 - ev0)) -v d="$dur" 'BEGIN { printf "%.0f", e / d }') events/s; $((ev2 - ev0)) including the drain"
	raw=$(pct $((m1 - m0)) "$dur")
	echo "$r memtrackd_cpu_pct_raw $raw (guest CPU time / wall time over the ${dur} s run, % of one vCPU)"
	echo "$r memtrackd_cpu_pct_raw_incl_drain $(pct $((m2 - m0)) "$(sub_f "$w2" "$w0")") (until the mirror was exact, $(sub_f "$w2" "$w0") s)"
	echo "$r memtrackd_cpu_split_raw user $(pct $((mu1 - mu0)) "$dur") sys $(pct $((ms1 - ms0)) "$dur")"
	if [ -n "$f_bus" ]; then
		echo "$r memtrackd_cpu_pct_normalized" \
			"by_sdbus_emit $(norm $((mu1 - mu0)) $((ms1 - ms0)) "$dur" "$fu_bus" "$fs_bus")" \
			"by_libnl_dump $(norm $((mu1 - mu0)) $((ms1 - ms0)) "$dur" "$fu_nl" "$fs_nl")" \
			"by_cpu_loop $(norm $((mu1 - mu0)) $((ms1 - ms0)) "$dur" "$f_cpu" "$f_cpu")" \
			"(derived: guest user/sys CPU time divided by the user/sys TCG factor of each calibration workload)"
	fi
	echo "$r memtrackd_cpu_ms_per_1000_events_raw $(awk -v t=$((m2 - m0)) -v hz="$hz" -v e=$((ev2 - ev0)) 'BEGIN { printf "%.0f", e ? 1e6 * t / hz / e : 0 }') (run + drain)"
	echo "$r memtrackd_rss_kib end $rss1 after_drain $(status_kib "$mpid" VmRSS) hwm $(status_kib "$mpid" VmHWM) (ResidentBytes $(prop ResidentBytes), HistoryBytes $(prop HistoryBytes), HistorySeries $(prop HistorySeries))"
	rawd=$(pct $((d1 - d0)) "$dur")
	echo "$r dbus_daemon_cpu_pct_raw $rawd${f_dbd:+ normalized $(awk -v r="$rawd" -v f="$f_dbd" 'BEGIN { printf "%.2f", r / f }') (dbus-daemon factor ${f_dbd}x)}"
	echo "$r churn_kthread_cpu_pct_raw $(pct $((k1 - k0)) "$dur")"
	echo "$r system_busy_pct_raw $(pct $((s1 - s0)) "$dur") (all $(nproc) vCPUs: at most $(nproc)00)"
	grep '^latency_ms' "$tmp/listen" | sed "s/^/$r signal_/"
	grep '^listen' "$tmp/listen" | sed "s/^listen/$r listener/"
	echo "$r resyncs $((rs2 - rs0))"
	echo "$r mirror_exact_after_drain $([ $exact = 0 ] && echo yes || echo no) (drain $(sub_f "$w2" "$w1") s)"
	restarts=$(systemctl show -p NRestarts --value memtrackd.service)
	newpid=$(systemctl show -p MainPID --value memtrackd.service)
	echo "$r memtrackd_restarts $((restarts - $(cat "$tmp/nrestarts0"))) pid $mpid -> $newpid"
	if [ "$exact" != 0 ]; then
		bad=1
		echo "# mirror differs from the kernel (first lines of diff mirror kernel):"
		head -n 20 "$tmp/mirror.diff" | sed 's/^/# /'
	fi
	[ "$newpid" = "$mpid" ] || { bad=1; return 1; }
}

for rate in ${BENCH_RATES:-$rate}; do
	phase "$rate" || { bad=1; break; }
done
echo "# memtrackd journal:"
journalctl --no-pager -b -u memtrackd.service | tail -n 20 | sed 's/^/# /'

cmd destroy churn
rmmod memtrack_exerciser
exit $bad
