#!/bin/bash
# vm: --timeout 600
# In-VM test: drive memtrack from user space through memtrack_exerciser.ko
# and check the product's debugfs view (/sys/kernel/debug/memtrack/<root>)
# node by node, peaks included, against a model of the tree kept in this
# script.  Also: callbacks, two roots with one name, destroy, 100,000 nodes,
# the codec simulation, and unload safety.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
dfs=/sys/kernel/debug
ctl=$dfs/memtrack-exerciser/control
st=$dfs/memtrack-exerciser/status
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
cmd() { echo "$*" >"$ctl"; } # status: the write's
status() { cat "$st"; }
# field KEY... NAME: the value after NAME in the status line starting with KEY...
field() {
	local name=${*: -1}
	status | awk -v pre="${*:1:$#-1} " -v name="$name" \
		'index($0 " ", pre) == 1 { for (i = 1; i < NF; i++) if ($i == name) { print $(i + 1); exit } }'
}

# ---- the model -------------------------------------------------------------
# shellcheck source=tests/lib/model.sh
. "$(dirname "$0")/../lib/model.sh"
seq=0
opfail=0

m_view() { # ROOT: the expected debugfs text, tgid/pid as T/P
	echo "Total memory usage: $(m_total "$1") bytes"
	m_line "$1" ""
}
m_line() {
	local k=$1 c mark=
	[ "${LEAF[$k]}" = 1 ] && mark=" [leaf]"
	echo "$2${NAME[$k]}$mark (tgid=T, pid=P) usage: $(m_total "$k") (count=${COUNT[$k]}, self=${SELF[$k]}, peak=${PEAK[$k]})"
	for c in "${ORDER[@]}"; do
		[ "${PARENT[$c]}" = "$k" ] && m_line "$c" "$2  "
	done
}

# op VERB ARGS...: run a command in the exerciser and apply it to the model.
# op_fail expects the command to fail (sub's clamp: -ERANGE, still applied).
# model VERB ARGS... applies it to the model only.
op() { _op 0 "$@"; }
op_fail() { _op 1 "$@"; }
_op() {
	local want_fail=$1
	shift
	if cmd "$@" 2>/dev/null; then
		[ "$want_fail" = 0 ] || { echo "# '$*' succeeded, expected failure"; opfail=1; }
	else
		[ "$want_fail" = 1 ] || { echo "# '$*' failed"; opfail=1; }
	fi
	model "$@"
}
model() {
	local k name
	case $1 in
	create)
		name=${3:-${2##*/}}
		[ "$name" = - ] && name="(unnamed)"
		[[ $2 == */* ]] && m_create "$2" "${2%/*}" "$name" || m_create "$2" "" "$name" ;;
	add) SELF[$2]=$((SELF[$2] + $3)); COUNT[$2]=$((COUNT[$2] + 1)) ;;
	sub)
		SELF[$2]=$((SELF[$2] > $3 ? SELF[$2] - $3 : 0))
		[ "${COUNT[$2]}" -gt 0 ] && COUNT[$2]=$((COUNT[$2] - 1)) ;;
	set) SELF[$2]=$3; COUNT[$2]=$(($3 > 0 ? 1 : 0)) ;;
	alloc)
		seq=$((seq + 1))
		k="$2/#$seq"
		m_create "$k" "$2" "$3"
		LEAF[$k]=1
		SELF[$k]=$4
		COUNT[$k]=1 ;;
	free)
		for k in "${ORDER[@]}"; do
			if [ "${PARENT[$k]}" = "$2" ] && [ "${LEAF[$k]}" = 1 ] &&
				[ "${NAME[$k]}" = "$3" ] && [ "${SELF[$k]}" = "$4" ]; then
				m_remove "$k"
				break
			fi
		done ;;
	destroy) m_remove "$2" ;;
	reset-peak)
		for k in "${ORDER[@]}"; do
			[ "$k" = "$2" ] && PEAK[$k]=$(m_total "$k")
		done ;;
	esac
	[ "$1" = reset-peak ] || m_peaks
	return 0
}

compare_view() { # ROOT FILE DESCRIPTION
	local expected actual
	expected=$(m_view "$1")
	actual=$(sed -E 's/\(tgid=[0-9]+, pid=[0-9]+\)/(tgid=T, pid=P)/' "$dfs/memtrack/$2" 2>&1)
	[ "$expected" = "$actual" ]
	check $? "$3"
	[ "$expected" = "$actual" ] || diff <(echo "$expected") <(echo "$actual") | sed 's/^/# /'
}

# ---- load --------------------------------------------------------------------
insmod "$ko/memtrack.ko"
check $? "insmod memtrack.ko"
insmod "$ko/tests/memtrack_exerciser.ko"
check $? "insmod memtrack_exerciser.ko"
! rmmod memtrack 2>/dev/null
check $? "rmmod memtrack fails while the exerciser uses it"

# ---- a tree with known contents ---------------------------------------------
op create ex
op create ex/a
op create ex/a/b
op create ex/c
op create ex/a/u -
op add ex 100
op add ex/a 1000
op add ex/a 500
op add ex/a/b 7000
op alloc ex/a/b buf 4096
op alloc ex/a/b buf 4096
op alloc ex/a/b buf 8192
op alloc ex/c fw 65536
op set ex/c 300
op sub ex/a 200
op add ex/a/u 50
check $opfail "building the tree: every command succeeded"
compare_view ex ex "view after building: totals, counts, self, peaks"
[ "$(m_total ex)" -eq 90670 ]
check $? "the model agrees with a hand computation (90670)"

opfail=0
op free ex/a/b buf 4096
op_fail free ex/a/b buf 12345
op_fail free ex/a/b nosuch 8192
op_fail sub ex/a/u 80
op add ex/a/b 10
op set ex/a 0
check $opfail "free, failed frees (-ENOENT), clamped sub (-ERANGE), set"
compare_view ex ex "view after frees, clamp and set: peaks kept"

opfail=0
op reset-peak ex/a
op alloc ex/a/u big 100000
op free ex/a/u big 100000
op reset-peak ex
check $opfail "reset-peak and a transient allocation"
compare_view ex ex "view after peak resets"

# status agrees with the view
[ "$(field node ex total)" = "$(m_total ex)" ] && [ "$(field node ex/a peak)" = "${PEAK[ex/a]}" ] &&
	[ "$(field node ex/a/b count)" = "${COUNT[ex/a/b]}" ]
check $? "status node lines agree with the model"

# ---- callbacks ----------------------------------------------------------------
cmd notify ex 0 && cmd notify ex/a 2000 && cmd notify ex/a/b -1
check $? "notify with delays 0, 2000 and -1"
! cmd notify ex 0 2>/dev/null
check $? "a second notify on a node is refused (-EBUSY)"
# the changes first, back to back (the model is slow under TCG), then the model
changes=("add ex/a/b 1" "add ex/a/b 2" "add ex/a/b 3" "add ex/a/b 4" "add ex/a/b 5"
	"alloc ex/a/b cb 77" "free ex/a/b cb 77" "set ex/c 1")
opfail=0
for c in "${changes[@]}"; do cmd $c || opfail=1; done
check $opfail "eight changes below ex"
for c in "${changes[@]}"; do model $c; done
[ "$(field notify ex calls)" = 8 ] && [ "$(field notify ex last)" = "$(m_total ex)" ]
check $? "immediate callback: 8 calls, last total $(m_total ex) (got $(field notify ex calls)/$(field notify ex last))"
sleep 3
[ "$(field notify ex/a calls)" = 1 ] && [ "$(field notify ex/a last)" = "$(m_total ex/a)" ]
check $? "delayed callback: 7 changes coalesced into 1 call with the final total $(m_total ex/a) (got $(field notify ex/a calls)/$(field notify ex/a last))"
[ "$(field notify ex/a/b calls)" = 0 ]
check $? "disabled callback (delay -1): no call"
cmd unnotify ex && op add ex 1 && [ "$(field notify ex calls)" = "" ]
check $? "unnotify"
compare_view ex ex "view after the callback phase"

# ---- two roots with one name, destroy ---------------------------------------------
opfail=0
op create dup1 dup
op create dup2 dup
op add dup1 11
op add dup2 22
check $opfail "two roots named 'dup'"
id2=$(field node dup2 id)
[ -f $dfs/memtrack/dup ] && [ -f "$dfs/memtrack/dup.$id2" ]
check $? "debugfs files memtrack/dup and memtrack/dup.$id2"
compare_view dup1 dup "view of the first 'dup'"
compare_view dup2 "dup.$id2" "view of the second 'dup'"
op destroy dup2
[ ! -e "$dfs/memtrack/dup.$id2" ] && [ -f $dfs/memtrack/dup ]
check $? "destroying the second removes only its file"

opfail=0
op destroy ex/c
op destroy ex/a/b
check $opfail "destroy subtrees holding bytes"
compare_view ex ex "view after destroys: ancestors adjusted, peaks kept"

# ---- errors --------------------------------------------------------------------
! cmd add nosuch 1 2>/dev/null && ! cmd create nosuch/x 2>/dev/null &&
	! cmd create ex/a 2>/dev/null && ! cmd bogus 2>/dev/null &&
	! cmd add ex/a notanumber 2>/dev/null && ! cmd add ex/a 2>/dev/null
check $? "bad commands are refused"

# ---- depth limit through bulk, and 100,000 nodes ------------------------------------
cmd create chain && cmd bulk chain 40 1
check $? "bulk 40 nodes with fanout 1 (depth-limited chain)"
deepest=$(awk 'NR > 1 { match($0, /^ */); if (RLENGTH > m) m = RLENGTH } END { print m / 2 }' $dfs/memtrack/chain)
[ "$(field node chain total)" = 40 ] && [ "$(wc -l <$dfs/memtrack/chain)" = 42 ] && [ "$deepest" = 15 ]
check $? "chain: total 40, 41 nodes, deepest at depth 15 (got depth $deepest)"

t0=$(date +%s)
cmd create bulk && cmd bulk bulk 100000 8
check $? "bulk 100000 nodes with fanout 8 ($(($(date +%s) - t0)) s)"
t0=$(date +%s)
lines=$(wc -l <$dfs/memtrack/bulk)
first=$(head -n1 $dfs/memtrack/bulk)
[ "$lines" = 100002 ] && [ "$first" = "Total memory usage: 100000 bytes" ]
check $? "bulk view: $lines lines (100002), '$first' ($(($(date +%s) - t0)) s)"
[ "$(field node bulk peak)" = 100000 ]
check $? "bulk root peak 100000"
cmd destroy bulk
check $? "destroy 100001 nodes"

# ---- codec simulation ------------------------------------------------------------
cmd codec start 2 4 20
check $? "codec start 2 devices, 4 streams, 20 ms"
sleep 3
! cmd destroy vpu0 2>/dev/null && ! cmd add vpu0 1 2>/dev/null
check $? "codec roots refuse changes while it runs (-EBUSY)"
cmd notify vpu0 100
check $? "notify on a codec root"
sleep 1
grep -q '^  firmware \[leaf\] .* usage: 1048576 ' $dfs/memtrack/vpu0
check $? "vpu0 view shows the 1 MiB firmware leaf"
status | grep '^codec' | sed 's/^/# /'
[ "$(field codec ledger_ok)" = 1 ] && [ "$(field codec ticks)" -gt 10 ] &&
	[ "$(field codec-device vpu0 opened)" -gt 0 ] && [ "$(field notify vpu0 calls)" -gt 0 ]
check $? "codec running: ledger ok, streams opened, callbacks fired"
cmd codec stop
check $? "codec stop"
[ "$(field codec ledger_ok)" = 1 ] && [ "$(field codec running)" = 0 ] && [ ! -e $dfs/memtrack/vpu0 ]
check $? "codec stopped: ledger ok, device roots destroyed"

# ---- unload -----------------------------------------------------------------------
! rmmod memtrack 2>/dev/null
check $? "rmmod memtrack still fails while the exerciser is loaded"
rmmod memtrack_exerciser
check $? "rmmod memtrack_exerciser with trees still held"
left=$(ls $dfs/memtrack 2>&1)
[ -z "$left" ]
check $? "the exerciser destroyed its trees on unload${left:+: $left}"
rmmod memtrack
check $? "rmmod memtrack"

echo "1..$n"
[ "$failed" -eq 0 ]
