#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# shellcheck disable=SC2119 # load takes optional module parameters
# In-VM test of the memtrack netlink dumps (tests/nl/mtnl-test over
# libmemtrackctl): a tree built through memtrack_exerciser.ko with known
# contents, modelled in this script, is dumped and compared node by node
# (bytes, self, count, peak, depth, kind, parent) with the model and with
# the debugfs view; subtree dumps with max-depth; node-get; peak-reset;
# NLM_F_DUMP_INTR under a racing stress run; a consistent tree after it;
# a 100,000-node dump.  Output: TAP.
set -u
cd "${MEMTRACK_REPO:-.}" || exit 1
. tests/nl/lib.sh
need_client

# ---- the model (keys are exerciser paths; leaves PARENT/#SEQ) ---------------
# shellcheck source=tests/lib/model.sh
. "$(dirname "$0")/../lib/model.sh"
seq=0
opfail=0
m_depth() { local s=${1//[^\/]/}; echo ${#s}; }
# m_expect KEY [MAXDEPTH]: canonical lines of the subtree of KEY, down to
# absolute depth MAXDEPTH, as "dump_canon" prints a dump.
m_expect() {
	local k=$1 max=${2:-99} d c kind id pid
	d=$(m_depth "$k")
	[ "$d" -le "$max" ] || return 0
	if [ "${LEAF[$k]}" = 1 ]; then
		kind=alloc id=-
	else
		kind=node id=$(id_of "$k")
		[ -z "${PARENT[$k]}" ] && kind=root
	fi
	pid=0
	[ -n "${PARENT[$k]}" ] && pid=$(id_of "${PARENT[$k]}")
	echo "$d $kind ${NAME[$k]} id=$id parent=$pid bytes=$(m_total "$k") self=${SELF[$k]} count=${COUNT[$k]} peak=${PEAK[$k]}"
	for c in "${ORDER[@]}"; do
		[ "${PARENT[$c]}" = "$k" ] && m_expect "$c" "$max"
	done
}
# dump_canon: "mtnl-test dump" node lines in the canonical form
dump_canon() {
	awk '$1 == "node" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
		name = v["name"] == "" ? "(unnamed)" : v["name"]
		id = v["kind"] == "alloc" ? "-" : v["id"]
		print v["depth"], v["kind"], name, "id=" id, "parent=" v["parent"], "bytes=" v["bytes"], "self=" v["self"], "count=" v["count"], "peak=" v["peak"]
	}'
}

op() {
	local k
	cmd "$@" 2>/dev/null || { echo "# '$*' failed"; opfail=1; }
	case $1 in
	create)
		local name=${3:-${2##*/}}
		[ "$name" = - ] && name="(unnamed)"
		if [[ $2 == */* ]]; then m_create "$2" "${2%/*}" "$name"; else m_create "$2" "" "$name"; fi ;;
	add) SELF[$2]=$((SELF[$2] + $3)); COUNT[$2]=$((COUNT[$2] + 1)) ;;
	sub)
		SELF[$2]=$((SELF[$2] > $3 ? SELF[$2] - $3 : 0))
		[ "${COUNT[$2]}" -gt 0 ] && COUNT[$2]=$((COUNT[$2] - 1)) ;;
	set) SELF[$2]=$3; COUNT[$2]=$(($3 > 0 ? 1 : 0)) ;;
	alloc)
		seq=$((seq + 1)); k="$2/#$seq"
		m_create "$k" "$2" "$3"
		LEAF[$k]=1 SELF[$k]=$4 COUNT[$k]=1 ;;
	free)
		for k in "${ORDER[@]}"; do
			if [ "${PARENT[$k]}" = "$2" ] && [ "${LEAF[$k]}" = 1 ] &&
				[ "${NAME[$k]}" = "$3" ] && [ "${SELF[$k]}" = "$4" ]; then
				m_remove "$k"
				break
			fi
		done ;;
	destroy) m_remove "$2" ;;
	esac
	m_peaks
}

# compare EXPECTED_FILE ACTUAL_FILE DESCRIPTION
# (diff, not cmp: cmp trusts st_size, which is 0 for debugfs files)
compare() {
	diff "$1" "$2" >"$T/diff"
	check $? "$3"
	head -n 20 "$T/diff" | note
}

# ---- load, build a tree with known contents ----------------------------------
load
check $? "insmod memtrack.ko and memtrack_exerciser.ko"

op create nd
op create nd/a
op create nd/a/b
op create nd/c
op create nd/a/u -
op add nd 100
op add nd/a 1000
op add nd/a 500
op add nd/a/b 7000
op alloc nd/a/b buf 4096
op alloc nd/a/b buf 4096
op alloc nd/a/b buf 8192
op alloc nd/c fw 65536
op set nd/c 300
op sub nd/a 200
op add nd/a/u 50
op free nd/a/b buf 4096
op alloc nd/a/u big 100000
op free nd/a/u big 100000
op create other
op add other 5
check $opfail "build a tree of 11 nodes with adds, allocs, frees, subs and sets"
[ "$(m_total nd)" = 86574 ] && [ "${PEAK[nd]}" = 186574 ]
check $? "model agrees with a hand computation (total 86574, peak 186574; got $(m_total nd), ${PEAK[nd]})"

root=$(id_of nd)
a=$(id_of nd/a)
b=$(id_of nd/a/b)

# ---- dump equals truth ----------------------------------------------------------
m_expect nd >"$T/exp"
"$MT" dump --id "$root" >"$T/dump.raw"
dump_canon <"$T/dump.raw" >"$T/act"
compare "$T/exp" "$T/act" "subtree dump of nd equals the model node by node ($(wc -l <"$T/exp") nodes)"

"$MT" dump >"$T/full.raw"
{ m_expect nd; m_expect other; } >"$T/exp"
dump_canon <"$T/full.raw" >"$T/act"
compare "$T/exp" "$T/act" "full dump equals the model (roots in creation order)"
grep -q "^dump nodes=$(wc -l <"$T/exp")\$" "$T/full.raw"
check $? "full dump reports $(wc -l <"$T/exp") nodes"

# parent links as dumped: every parent id is the preceding node one level up
awk '$1 == "node" { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	at[v["depth"]] = v["id"]
	if (v["depth"] > 0 && v["parent"] != at[v["depth"] - 1]) bad++
	if (v["depth"] == 0 && (v["parent"] != 0 || v["kind"] != "root")) bad++ }
	END { exit bad > 0 }' "$T/full.raw"
check $? "dump order: parents before children, parent ids match"

# creator fields: created by this shell (the exerciser runs commands in the writer)
comm=$(cat /proc/$$/comm)
line "$T/dump.raw" "id=$a " | grep -q " tgid=$$ pid=$$ comm=$comm "
check $? "creator tgid/pid/comm are those of the writing shell ($$, $comm)"

# ---- agreement with the debugfs view -------------------------------------------
"$MT" dump --text --id "$root" >"$T/text"
compare "$dfs/memtrack/nd" "$T/text" "dump rendered as text equals debugfs memtrack/nd byte for byte"
"$MT" dump --text --id "$(id_of other)" >"$T/text"
compare "$dfs/memtrack/other" "$T/text" "same for memtrack/other"

# ---- subtree with max-depth -------------------------------------------------------
m_expect nd/a 1 >"$T/exp"
"$MT" dump --id "$a" --depth 0 | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "dump of nd/a with max-depth 0: the node alone"
m_expect nd/a 2 >"$T/exp"
"$MT" dump --id "$a" --depth 1 | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "dump of nd/a with max-depth 1: it and its children ($(wc -l <"$T/exp") nodes)"
m_expect nd 1 >"$T/exp"
"$MT" dump --id "$root" --depth 1 | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "dump of nd with max-depth 1"
m_expect nd/a/b >"$T/exp"
"$MT" dump --id "$b" --depth 5 | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "dump of nd/a/b with max-depth 5 (deeper than the tree)"
{ m_expect nd 0; m_expect other 0; } >"$T/exp"
"$MT" dump --depth 0 | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "full dump with max-depth 0: the roots only"
out=$("$MT" dump --id 999999999)
if [ "$dump_start_extack" = 1 ]; then
	grep -q '^error op=dump err=-2 errname=ENOENT msg=".*no node with this id' <<<"$out"
	check $? "dump of an unknown id: ENOENT with extack ($out)"
else
	grep -q '^error op=dump err=-2 errname=ENOENT ' <<<"$out"
	check $? "dump of an unknown id: ENOENT (this kernel drops a dump start's extack) ($out)"
fi

# ---- node-get, peak-reset ----------------------------------------------------------------
m_expect nd/a 1 | head -n1 >"$T/exp"
"$MT" get --id "$a" | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "node-get of nd/a equals the model"
"$MT" get --id "$a" | grep -q " created=[1-9][0-9]\{18\} " # ns since 2001
check $? "node-get carries a plausible created-ns"
out=$("$MT" get --id 999999999)
grep -q '^error op=get err=-2 errname=ENOENT msg=".*no node with this id' <<<"$out"
check $? "node-get of an unknown id: ENOENT with extack ($out)"

before=$(field node nd/a peak)
out=$("$MT" reset-peak --id "$a")
PEAK[nd/a]=$(m_total nd/a)
after=$(field node nd/a peak)
[ "$out" = "reset-peak ok id=$a" ] && [ "$after" = "${PEAK[nd/a]}" ] && [ "$before" != "$after" ]
check $? "peak-reset of nd/a: peak $before -> $after (current total ${PEAK[nd/a]})"
m_expect nd >"$T/exp"
"$MT" dump --id "$root" | dump_canon >"$T/act"
compare "$T/exp" "$T/act" "dump after peak-reset: only nd/a's peak changed"
out=$("$MT" reset-peak --id 999999999)
grep -q '^error op=reset-peak err=-2 errname=ENOENT msg=".*no node with this id' <<<"$out"
check $? "peak-reset of an unknown id: ENOENT with extack ($out)"
op add nd/a 1
op sub nd/a 1
"$MT" get --id "$a" | grep -q " peak=$((PEAK[nd/a])) "
check $? "peak grows again after the reset (${PEAK[nd/a]})"

# ---- NLM_F_DUMP_INTR while the forest changes shape ---------------------------
cmd create filler && cmd bulk filler 3000 8
check $? "bulk 3000 nodes so that a dump takes many parts"
out=$("$MT" rawdump --count 3)
echo "# quiescent: $out"
[ "$(kv intr "$out")" = 0 ] && [ "$(kv "done" "$out")" = 3 ]
check $? "quiescent raw dumps are not flagged DUMP_INTR"
cmd stress start 2 20
check $? "stress start 2 workers (create/destroy/alloc/free racing)"
out=$("$MT" rawdump --count 40 --delay-us 2000)
echo "# racing: $out"
[ "$(kv intr "$out")" -ge 1 ] && [ "$(kv errors "$out")" = 0 ]
check $? "raw dumps racing the stress run: NLM_F_DUMP_INTR seen ($(kv intr "$out") of 40)"
# mtc_dump retries interrupted dumps a few times; under constant churn it
# may give up with EAGAIN.  What it returns must be consistent.
out=$("$MT" dump --check)
echo "# during stress: $out"
if [ "${out#error op=dump err=-11 errname=EAGAIN}" != "$out" ]; then
	skip "mtc_dump during the race: every parent present, depths and kinds right" \
		"every retry was interrupted (EAGAIN)"
else
	[ "$(kv orphans "$out")" = 0 ] && [ "$(kv link_bad "$out")" = 0 ] &&
		[ "$(kv depth_bad "$out")" = 0 ] && [ "$(kv kind_bad "$out")" = 0 ]
	check $? "mtc_dump during the race: every parent present, depths and kinds right"
fi
cmd stress stop
check $? "stress stop"
out=$("$MT" dump --check)
echo "# quiescent: $out"
[ "$(kv orphans "$out")" = 0 ] && [ "$(kv link_bad "$out")" = 0 ] &&
	[ "$(kv depth_bad "$out")" = 0 ] && [ "$(kv kind_bad "$out")" = 0 ] &&
	[ "$(kv sum_bad "$out")" = 0 ] && [ "$(kv peak_bad "$out")" = 0 ]
check $? "mtc_dump after the race: consistent, totals = self + children everywhere"
stress_total=$(field node stress total)
"$MT" get --id "$(id_of stress)" | grep -q " bytes=$stress_total "
check $? "stress root total over netlink = exerciser's ($stress_total), ledger_ok=$(field stress running ledger_ok)"
cmd destroy stress && cmd destroy filler
check $? "destroy the stress and filler trees"

# ---- 100,000 nodes ------------------------------------------------------------------
t0=$(date +%s)
cmd create big && cmd bulk big 100000 8
check $? "bulk 100000 nodes ($(($(date +%s) - t0)) s)"
t0=$(date +%s%N)
out=$("$MT" dump --id "$(id_of big)" --quiet)
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$out" = "dump nodes=100001" ]
check $? "dump of big: exactly 100001 nodes ($out, $ms ms)"
out=$("$MT" dump --check)
echo "# $out"
[ "$(kv nodes "$out")" = $((100001 + ${#ORDER[@]})) ] && [ "$(kv sum_bad "$out")" = 0 ] &&
	[ "$(kv orphans "$out")" = 0 ] && [ "$(kv depth_bad "$out")" = 0 ]
check $? "full dump: $((100001 + ${#ORDER[@]})) nodes, consistent"
"$MT" get --id "$(id_of big)" | grep -q " bytes=100000 .* peak=100000 "
check $? "big: total and peak 100000"
cmd destroy big
check $? "destroy big"

# ---- unload ---------------------------------------------------------------------------
unload
check $? "unload"
out=$("$MT" open)
[ "${out#error op=open err=-2 errname=ENOENT}" != "$out" ]
check $? "family gone after unload: mtc_open -> ENOENT"
finish
