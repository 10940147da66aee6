#!/bin/bash
# vm: --timeout 900
# In-VM test of `memtrackctl buffers` (libmemtrackctl's procfs dma-buf
# scanner) on real dma-bufs: tests/dmabuf/mtdb-hold sets up known
# arrangements with each source the kernel has -- udmabuf and the system
# dma-heap (6.12), memtrack_dmabuf_exporter.ko (both kernels) -- in the
# scenarios fd (two fds), map (mapped, fd closed), fork (shared by parent
# and child), scm (passed with SCM_RIGHTS, sender's fd closed), name
# (DMA_BUF_SET_NAME) and, with the exporter, private (a read-only
# MAP_PRIVATE mapping, fd closed), all at once and each alone.  Every view (default,
# --pid, --by tag|exporter|buffer, JSON and text, human units and -b) is
# compared, figure by figure, with what this script expects from the
# scenarios alone: sizes are multiples of --unit, holders, fds and VMAs
# come from a table below, PSS is size / holders rounded down, system
# totals count each buffer once.  Only pids and inodes come from
# mtdb-hold (its "proc" and "buf" lines).  Also: nothing is held before
# and after the runs (checked against debugfs bufinfo too), the CLI run as
# nobody lists the root-owned holders as unreadable instead of dropping
# them, and --pid's errors and exit codes.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
build=${MEMTRACK_BUILD:-build/meson}
ctl=$build/cli/memtrackctl
export LD_LIBRARY_PATH=$build/libmemtrackctl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
bufinfo=/sys/kernel/debug/dma_buf/bufinfo
exp_mod=memtrack_dmabuf_exporter
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
T=$(mktemp -d /tmp/mtscan.XXXXXX)
chmod 755 "$T" # nobody writes nothing here, but reads the model files
# Under emulation every exec costs about half a second: the helpers are
# shell builtins (these in tests/lib/dmabuf.sh too), and each run compares
# all its outputs in one jq.
# shellcheck source=tests/lib/dmabuf.sh
. "$(dirname "$0")/../lib/dmabuf.sh"

# ---- the model ---------------------------------------------------------------
# The scenarios' holds are holds_of's (tests/lib/dmabuf.sh); each role's comm:
declare -A COMM=([main]=mtdb-hold [fork-child]=mtdb-child [receiver]=mtdb-receiver)

# The views, derived in jq from the model {exp, name, procs: [{pid, comm}],
# holds: [{pid, comm, role, buf, inode, size, fds, vmas, mapped}]}, by the
# rules of
# memtrackctl(1): a process holds a buffer by fd or mapping; a buffer no
# fd of which is left is known from its mappings only (size estimated,
# exporter unknown); PSS = size / holders, rounded down.
cat >"$T/views.jq" <<'JQ'
def bufs:
  .exp as $exp | .name as $name
  | .holds | group_by(.inode) | map(
      (all(.[]; .fds == 0)) as $est
      | {inode: .[0].inode, size: .[0].size, size_estimated: $est,
         exporter: (if $est then "" else $exp end),
         name: (if .[0].buf == "name" then $name else "" end),
         fds: (map(.fds) | add), vmas: (map(.vmas) | add), n: length});
def holds:
  (bufs | map({key: (.inode | tostring), value: .}) | from_entries) as $b
  | .holds | map(. + {b: $b[.inode | tostring]}
                 | . + {pss: ((.b.size / .b.n) | floor)});
def holder: {pid, comm, fds, vmas, mapped_bytes: .mapped, pss_bytes: .pss};
def sums:
  {buffers: length, bytes: (map(.size) | add // 0),
   fd_only_bytes: (map(select(.fds > 0 and .vmas == 0) | .size) | add // 0),
   mapped_bytes: (map(.mapped) | add // 0), pss_bytes: (map(.pss) | add // 0)};
def psummary($pid):
  (.procs[] | select(.pid == $pid) | .comm) as $comm
  | (holds | map(select(.pid == $pid))) as $h
  | {pid: $pid, comm: $comm, complete: true,
     fds: ($h | map(.fds) | add // 0), vmas: ($h | map(.vmas) | add // 0)}
    + ($h | sums);
def totals:
  bufs as $bs
  | {buffers: ($bs | length), bytes: ($bs | map(.size) | add // 0),
     mapped_bytes: ($bs | map(select(.vmas > 0) | .size) | add // 0),
     fd_only_bytes: ($bs | map(select(.vmas == 0) | .size) | add // 0),
     processes: (.holds | map(.pid) | unique | length),
     unreadable: 0, malformed: 0};
def wrap(v): v + {totals: totals, unreadable: []};
def processes: . as $m | .holds | map(.pid) | unique | map(. as $p | $m | psummary($p));
def held($pid):
  holds as $hs | $hs | map(select(.pid == $pid)) | sort_by(.inode)
  | map(. as $h | {inode, size: .b.size, size_estimated: .b.size_estimated,
                   exporter: .b.exporter, name: .b.name, fds, vmas,
                   mapped_bytes: .mapped, pss_bytes: .pss,
                   other_holders: ($hs | map(select(.inode == $h.inode and .pid != $pid))
                                       | sort_by(.pid) | map(holder))});
def pgroups($pid; $field; $out):
  holds | map(select(.pid == $pid)) | group_by(.b[$field])
  | map({($out): .[0].b[$field]} + sums);
def view_pid($pid):
  wrap({process: (psummary($pid)
                  + {held: held($pid),
                     by_exporter: pgroups($pid; "exporter"; "exporter"),
                     by_tag: pgroups($pid; "name"; "tag")})});
def buffers_of($pids):
  holds as $hs | bufs | sort_by(.inode)
  | map(. as $b | select(any($hs[]; .inode == $b.inode and (.pid | IN($pids[]))))
        | {inode, size, size_estimated, exporter, name, fds, vmas,
           holders: ($hs | map(select(.inode == $b.inode)) | sort_by(.pid) | map(holder))});
def sgroups($field; $out):
  holds as $hs | bufs | group_by(.[$field])
  | map(. as $g | {($out): .[0][$field], buffers: length,
                   processes: ([$hs[] | select(.inode as $i | any($g[]; .inode == $i)) | .pid]
                               | unique | length),
                   fds: (map(.fds) | add), vmas: (map(.vmas) | add),
                   bytes: (map(.size) | add),
                   mapped_bytes: (map(select(.vmas > 0) | .size) | add // 0),
                   fd_only_bytes: (map(select(.vmas == 0) | .size) | add // 0)});
def view($what; $pid):
  if $what == "processes" then wrap({processes: processes})
  elif $what == "pid" then view_pid($pid)
  elif $what == "pid-tag" then view_pid($pid) | del(.process.held, .process.by_exporter)
  elif $what == "pid-exporter" then view_pid($pid) | del(.process.held, .process.by_tag)
  elif $what == "pid-buffer" then wrap({buffers: buffers_of([$pid])})
  elif $what == "buffers" then wrap({buffers: buffers_of([.holds[].pid])})
  elif $what == "tags" then wrap({tags: sgroups("name"; "tag")})
  elif $what == "exporters" then wrap({exporters: sgroups("exporter"; "exporter")})
  else error("unknown view \($what)") end;
# Text forms: units as memtrackctl prints them (only the exact cases
# this script produces: whole KiB below 1 MiB, tenths of MiB above).
def human:
  if . < 1024 then "\(.) B"
  elif . < 1048576 and . % 1024 == 0 then "\(. / 1024).0 KiB"
  elif (. * 10) % 1048576 == 0 then "\(. * 10 / 1048576 / 10 | floor).\(. * 10 / 1048576 % 10) MiB"
  else "(no exact form for \(.))" end;
def plural($n; $one; $many): "\($n) \(if $n == 1 then $one else $many end)";
# Where $want and $got differ: "path: want X, got Y" for every leaf (and
# empty container) of either.
def differences($want; $got):
  def leaves: [paths(type != "object" and type != "array")]
              + [paths((type == "object" or type == "array") and length == 0)];
  ($want | leaves) + ($got | leaves) | unique
  | map(. as $p
        | [($want | try getpath($p) catch "(no such path)"),
           ($got | try getpath($p) catch "(no such path)")] as [$w, $g]
        | select($w != $g)
        | "\($p | map(tostring) | join(".")): want \($w | tojson), got \($g | tojson)");
JQ

# ---- holders -------------------------------------------------------------------
# load_report RUN: mtdb-hold's "proc" and "buf" lines into PIDS (in report
# order), PID_OF[role], ROLE_OF[pid], COMM_OF[pid], INO_OF[buf] and INOS
load_report() {
	local w kv
	PIDS=() INOS=()
	unset PID_OF ROLE_OF COMM_OF INO_OF
	declare -gA PID_OF=() ROLE_OF=() COMM_OF=() INO_OF=()
	while read -r -a w; do
		declare -A f=()
		for kv in "${w[@]:1}"; do
			f[${kv%%=*}]=${kv#*=}
		done
		case ${w[0]} in
		proc)
			PIDS+=("${f[pid]:-}")
			PID_OF[${f[role]:-?}]=${f[pid]:-}
			ROLE_OF[${f[pid]:-?}]=${f[role]:-}
			COMM_OF[${f[pid]:-?}]=${f[comm]:-}
			;;
		buf)
			INO_OF[${f[id]:-?}]=${f[ino]:-}
			INOS+=("${f[ino]:-}")
			;;
		esac
		unset f
	done <"$T/$1.out"
}
# bufinfo_inos: the inodes in debugfs bufinfo (the kernel's own list of
# buffers), into BUFINFO_INOS
bufinfo_inos() {
	local w
	BUFINFO_INOS=()
	while read -r -a w; do
		[[ ${#w[@]} -ge 6 && ${w[0]} =~ ^[0-9]+$ && ${w[5]} =~ ^[0-9]+$ ]] &&
			BUFINFO_INOS+=("$((10#${w[5]}))")
	done <"$bufinfo"
}

# model RUN SOURCE SCENARIO...: $T/RUN.model.json; fails if mtdb-hold did
# not report a pid or inode the scenarios need, or a comm other than ours
model() {
	local run=$1 src=$2 buf role fds vmas vu pid ino sep='' ok=0
	shift 2
	{
		printf '{"exp":"%s","name":"%s","procs":[' "${EXPNAME[$src]}" "$NAME"
		for pid in "${PIDS[@]}"; do
			role=${ROLE_OF[$pid]}
			if [ "${COMM_OF[$pid]}" != "${COMM[$role]}" ]; then
				echo "# $role $pid: comm ${COMM_OF[$pid]}, want ${COMM[$role]}" >&2
				ok=1
			fi
			printf '%s{"pid":%d,"comm":"%s"}' "$sep" "$pid" "${COMM[$role]}"
			sep=,
		done
		printf '],"holds":['
		sep=
		while read -r buf role fds vmas vu; do
			pid=${PID_OF[$role]:-} ino=${INO_OF[$buf]:-}
			if [ -z "$pid" ] || [ -z "$ino" ]; then
				echo "# mtdb-hold reported no pid for $role or no inode for $buf" >&2
				ok=1
				continue
			fi
			printf '%s{"pid":%s,"comm":"%s","role":"%s","buf":"%s","inode":%s,"size":%d,"fds":%d,"vmas":%d,"mapped":%d}' \
				"$sep" "$pid" "${COMM[$role]}" "$role" "$buf" "$ino" \
				$((UNITS[$buf] * UNIT)) "$fds" "$vmas" $((vu * UNIT))
			sep=,
			N_HOLDS=$((N_HOLDS + 1)) N_VMAS=$((N_VMAS + vmas))
		done <"$T/$run.holds_of"
		printf ']}\n'
	} >"$T/$run.model.json" 2>"$T/$run.model.err"
	note <"$T/$run.model.err"
	[ "$ok" = 0 ] && [ ! -s "$T/$run.model.err" ]
}

# ---- checks --------------------------------------------------------------------
# cli OUT ARGS...: memtrackctl buffers ARGS >OUT; nonzero if it failed or
# wrote to stderr
cli() {
	local out=$1 rc
	shift
	"$ctl" buffers "$@" >"$out" 2>"$out.err"
	rc=$?
	[ "$rc" = 0 ] && [ ! -s "$out.err" ] && return 0
	echo "# memtrackctl buffers $*: exit $rc"
	note <"$out.err"
	return 1
}
# jqe ARGS... <FILE: jq -e ARGS on FILE, failing on empty (or blank) input
# too: jq 1.6's -e exits 0 when there is no input at all
jqe() {
	local in=
	IFS= read -r -d '' in || :
	[[ $in == *[![:space:]]* ]] || { echo "# jq -e: no input"; return 1; }
	jq -e "$@" <<<"$in" >/dev/null
}
# lines FILE: its number of lines
lines() {
	local n=0 l
	while IFS= read -r l || [ -n "$l" ]; do
		n=$((n + 1))
	done <"$1"
	echo $n
}
# get RUN NAME VIEW PID DESCRIPTION ARGS...: `buffers -j ARGS` into
# $T/RUN.got.NAME, to be compared by compare() with the model's VIEW (for
# process PID)
get() {
	local run=$1 name=$2 view=$3 pid=$4 desc=$5 f
	shift 5
	f=$T/$run.got.$name
	# One line of JSON, or compare() would misalign the outputs.
	if ! cli "$f" -j "$@" || [ "$(lines "$f")" != 1 ]; then
		echo "# not one line of output"
		note <"$f"
		echo '{"memtrackctl":"failed or printed other than one line"}' >"$f"
	fi
	printf '%s %s %s\n' "$name" "$view" "$pid" >>"$T/$run.views"
	GOT+=("$f")
	DESCS+=("$desc")
}
# compare RUN: one check per get(): the output is the view exactly, but
# for the scan's process and vanished counts, which depend on the VM (they
# must make sense); differences as notes
compare() {
	local run=$1 name count diffs i=0 rc
	jq -n -r -R -L "$T" --slurpfile m "$T/$run.model.json" --rawfile views "$T/$run.views" \
		--argjson n "${#PIDS[@]}" 'include "views";
		$m[0] as $model | [inputs | fromjson? // {"invalid JSON": .}] as $got
		| [$views | split("\n")[] | select(. != "") | split(" ")] as $vs
		| range(0; $vs | length) as $i | $vs[$i] as [$name, $view, $pid]
		| $got[$i] as $g
		| ((if ($g.totals.scanned | type) == "number" and $g.totals.scanned >= $n and
		       ($g.totals.vanished | type) == "number" then []
		    else ["totals: scanned >= \($n) and vanished wanted: \($g.totals | tojson)"] end)
		   + differences($model | view($view; $pid | tonumber);
				 $g | del(.totals.scanned, .totals.vanished))) as $d
		| "\($name)\t\($d | length)\t\($d[:12] | join("\u0001"))"' \
		"${GOT[@]}" >"$T/$run.compare" 2>"$T/$run.compare.err"
	rc=$?
	note <"$T/$run.compare.err"
	while IFS=$'\t' read -r name count diffs; do
		[ "$count" = 0 ] || printf '%s\n' "${diffs//$'\001'/$'\n'}" | note
		check "$count" "$run: ${DESCS[i]}"
		i=$((i + 1))
	done <"$T/$run.compare"
	[ "$rc" = 0 ] && [ "$i" = "${#GOT[@]}" ]
	check $? "$run: all ${#GOT[@]} outputs compared (jq status $rc, $i compared)"
	GOT=() DESCS=()
	rm -f "$T/$run.views"
}
# squeeze IN OUT [STOP]: IN with runs of blanks as one space and no
# leading blank, up to the first line matching the pattern STOP
# (included), or the first empty line if STOP is "" (excluded)
squeeze() {
	local w
	[ $# -gt 2 ] || set -- "$1" "$2" "*"
	while IFS=' ' read -r -a w || [ ${#w[@]} -gt 0 ]; do
		[ -z "$3" ] && [ ${#w[@]} = 0 ] && break
		printf '%s\n' "${w[*]}"
		# shellcheck disable=SC2053 # a pattern
		[ -n "$3" ] && [ "$3" != "*" ] && [[ ${w[*]} == $3 ]] && break
		w=()
	done <"$1" >"$2"
}
# same WANT GOT: the files are equal; a diff in notes if not
same() {
	local a b
	mapfile -t a <"$1"
	mapfile -t b <"$2"
	[ "${a[*]@Q}" = "${b[*]@Q}" ] && [ ${#a[@]} = ${#b[@]} ] && return 0
	diff -u "$1" "$2" | note
	return 1
}

# text_checks RUN: the default text table (-b) with its total line and its
# alignment, --pid of main in human units, --by buffer (-b)
text_checks() {
	local run=$1 main=${PID_OF[main]} out=$T/$1.text rc f='' l w
	# The expected texts, split at "@@@ NAME" lines into $out.NAME.want.
	jq -r -L "$T" --argjson pid "$main" 'include "views";
		def dflt($s): if . == "" then $s else . end;
		"@@@ table", "PID COMM BUFFERS FDS VMAS TOTAL FD-ONLY MAPPED PSS",
		(processes[] | "\(.pid) \(.comm) \(.buffers) \(.fds) \(.vmas) \(.bytes) \(.fd_only_bytes) \(.mapped_bytes) \(.pss_bytes)"),
		"",
		(totals | "total: \(plural(.buffers; "buffer"; "buffers")), \(.bytes): \(.mapped_bytes) mapped, \(.fd_only_bytes) fd-only (each buffer counted once); held by \(plural(.processes; "process"; "processes"))"),
		"@@@ pid",
		(view_pid($pid).process |
		 "process \(.pid) (\(.comm)): \(plural(.buffers; "buffer"; "buffers")), \(plural(.fds; "fd"; "fds")), \(plural(.vmas; "vma"; "vmas")); total \(.bytes | human), fd-only \(.fd_only_bytes | human), mapped \(.mapped_bytes | human), PSS \(.pss_bytes | human)",
		 "",
		 "INODE SIZE EXPORTER NAME FDS VMAS MAPPED PSS OTHER HOLDERS",
		 (.held[] | "\(.inode) \(if .size_estimated then ">=" else "" end)\(.size | human) \(.exporter | dflt("?")) \(.name | dflt("-")) \(.fds) \(.vmas) \(.mapped_bytes | human) \(.pss_bytes | human) \([.other_holders[] | "\(.comm):\(.pid)"] | join(", ") | dflt("-"))"),
		 "",
		 "EXPORTER BUFFERS TOTAL FD-ONLY MAPPED PSS",
		 (.by_exporter[] | "\(.exporter | dflt("?")) \(.buffers) \(.bytes | human) \(.fd_only_bytes | human) \(.mapped_bytes | human) \(.pss_bytes | human)"),
		 "",
		 "TAG BUFFERS TOTAL FD-ONLY MAPPED PSS",
		 (.by_tag[] | "\(.tag | dflt("-")) \(.buffers) \(.bytes | human) \(.fd_only_bytes | human) \(.mapped_bytes | human) \(.pss_bytes | human)")),
		"@@@ buf", "INODE SIZE EXPORTER NAME PROCS PID COMM FDS VMAS MAPPED PSS",
		(view("buffers"; 0).buffers[] | . as $b |
		 (.holders[0] | "\($b.inode) \(if $b.size_estimated then ">=" else "" end)\($b.size) \($b.exporter | dflt("?")) \($b.name | dflt("-")) \($b.holders | length) \(.pid) \(.comm) \(.fds) \(.vmas) \(.mapped_bytes) \(.pss_bytes)"),
		 (.holders[1:][] | "\(.pid) \(.comm) \(.fds) \(.vmas) \(.mapped_bytes) \(.pss_bytes)"))' \
		"$T/$run.model.json" >"$out.wants"
	while IFS= read -r l; do
		if [[ $l == "@@@ "* ]]; then
			f=$out.${l#@@@ }.want
			: >"$f"
		else
			printf '%s\n' "$l" >>"$f"
		fi
	done <"$out.wants"

	rc=0
	cli "$out" -b || rc=1
	squeeze "$out" "$out.table.got" "total: *"
	same "$out.table.want" "$out.table.got" || rc=1
	# Right-aligned last column: every line of the table is as wide.
	w=
	while IFS= read -r l && [ -n "$l" ]; do
		[ -z "$w" ] && w=${#l}
		[ "${#l}" = "$w" ] || { echo "# not aligned: '$l'"; rc=1; }
	done <"$out"
	f=1
	while IFS= read -r l; do
		[[ $l =~ ^scanned\ [0-9]+\ processes:\ [0-9]+\ vanished\ during\ the\ scan,\ 0\ unreadable$ ]] && f=0
		[[ $l == note:* ]] && { echo "# a note as root: $l"; rc=1; }
	done <"$out"
	[ "$f" = 0 ] || { echo "# no 'scanned ... 0 unreadable' line"; rc=1; }
	check $rc "$run: text table (-b): every row, the total line, aligned"

	rc=0
	cli "$out.pid" --pid "$main" || rc=1
	squeeze "$out.pid" "$out.pid.got"
	same "$out.pid.want" "$out.pid.got" || rc=1
	check $rc "$run: text of --pid $main (main), human units: summary, buffers with other holders, by exporter, by tag"

	rc=0
	cli "$out.b" -b --by buffer || rc=1
	squeeze "$out.b" "$out.buf.got" ""
	same "$out.buf.want" "$out.buf.got" || rc=1
	check $rc "$run: text of --by buffer (-b): a row per buffer, one per further holder"
}

# nobody_checks RUN: as an unprivileged user, the root-owned holders are
# listed as unreadable (fd: EACCES) with their comm, not dropped
nobody_checks() {
	local run=$1 out=$T/$1.nobody rc=0 main=${PID_OF[main]} want p l found
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" buffers "$@"; }
	if ! as_nobody -j >"$out.json" 2>"$out.err" || [ -s "$out.err" ]; then
		note <"$out.err"
		rc=1
	fi
	# jq prints no difference for no input at all
	[ -s "$out.json" ] || { echo "# as nobody: no JSON output"; rc=1; }
	jq -r -L "$T" --slurpfile m "$T/$run.model.json" 'include "views";
		[$m[0].procs[].pid] as $ours
		| differences([$m[0].procs[] | {pid, comm, what: "fd", error: "EACCES", message: "Permission denied"}] | sort_by(.pid);
			      [.unreadable[] | select(.pid | IN($ours[]))] | sort_by(.pid))
		  + (if .totals.buffers == 0 and .processes == [] and .totals.unreadable == (.unreadable | length)
		     then [] else ["as nobody: \({processes, totals} | tojson)"] end) | .[]' \
		"$out.json" >"$out.diff" 2>&1 || rc=1
	note <"$out.diff"
	[ -s "$out.diff" ] && rc=1
	check $rc "$run: as nobody, each holder is listed unreadable (fd, EACCES, its comm) and nothing is counted"

	rc=0
	as_nobody >"$out.txt" 2>"$out.err" || rc=1
	[ -s "$out.err" ] && { note <"$out.err"; rc=1; }
	has_line "$out.txt" 'Run as root (or with CAP_SYS_PTRACE) for the full picture.' &&
		has_line "$out.txt" 'no process that could be read holds a dma-buf' || rc=1
	found=1
	while IFS= read -r l; do
		[[ $l =~ ^note:\ [0-9]+\ processes\ could\ not\ be\ read\ \(or\ only\ in\ part\),\ so\ dma-bufs\ they\ hold\ may\ be\ missing\ above\.$ ]] && found=0
	done <"$out.txt"
	[ "$found" = 0 ] || rc=1
	squeeze "$out.txt" "$out.table"
	for p in "${PIDS[@]}"; do
		want="$p ${COMM[${ROLE_OF[$p]}]} fd Permission denied"
		has_line "$out.table" "$want" || { echo "# no '$want' in the note"; rc=1; }
	done
	[ "$rc" = 0 ] || note <"$out.txt"
	check $rc "$run: as nobody, text: the note lists the holders, says to run as root, and that nothing readable holds a dma-buf"

	as_nobody --pid "$main" >"$out.pid" 2>"$out.pid.err"
	rc=$?
	want="memtrackctl: cannot read process $main (mtdb-hold): fd: Permission denied; run as root (or with CAP_SYS_PTRACE)"
	[ "$rc" = 3 ] && [ ! -s "$out.pid" ] && [ "$(lines "$out.pid.err")" = 1 ] && has_line "$out.pid.err" "$want"
	check $? "$run: as nobody, --pid $main: exit 3 (got $rc), '$want'"
}

# How the mappings were read, from strace (bookworm's does not name the
# ioctl): on 6.11+ by PROCMAP_QUERY, at least one call returning each
# holder's VMA and none refused; on 6.1 one ENOTTY, then maps as text.
method_check() {
	local run=$1 out=$T/$1.strace ok=0 enotty=0 other=0 l rc=0
	strace -qq -e trace=ioctl -o "$out" "$ctl" buffers -j >/dev/null 2>"$out.err" || rc=1
	while IFS= read -r l; do
		[[ $l == *'(PROCMAP_QUERY'* || $l == *'0x66, 0x11, 0x68)'* ]] || continue
		case $l in
		*') = 0') ok=$((ok + 1)) ;;
		*'ENOTTY'*) enotty=$((enotty + 1)) ;;
		*'ENOENT'* | *'ESRCH'*) ;;
		*) other=$((other + 1)) && echo "# $l" ;;
		esac
	done <"$out"
	case $KVER in
	6.1.*) [ $ok = 0 ] && [ $enotty = 1 ] && [ $other = 0 ] || rc=1 ;;
	*) [ $ok -ge "$N_VMAS" ] && [ $enotty = 0 ] && [ $other = 0 ] || rc=1 ;;
	esac
	note <"$out.err"
	check $rc "$run: mappings read by $([[ $KVER == 6.1.* ]] && echo 'maps text after one ENOTTY' || echo PROCMAP_QUERY): $ok answered (holders have $N_VMAS VMAs), $enotty ENOTTY, $other other errors"
}

# one_run RUN SOURCE FULL SCENARIO...: start, check every view, stop, check
# the release.  FULL=1: every view, text and nobody too; else the default
# and --by buffer views and --pid of each holder
one_run() {
	local run=$1 src=$2 full=$3 p v rc ino left i j
	shift 3
	GOT=() DESCS=()
	if ! hold_start "$run" --source "$src" --unit "$UNIT" --name "$NAME" "$@" ||
		! load_report "$run"; then
		check 1 "$run: mtdb-hold --source $src $* is ready"
		return
	fi
	holds_of "$@" >"$T/$run.holds_of"
	N_HOLDS=0 N_VMAS=0
	model "$run" "$src" "$@"
	check $? "$run: mtdb-hold --source $src $* is ready: model of $N_HOLDS holds by ${#PIDS[@]} processes"
	get "$run" procs processes 0 "-j: every process's figures and the totals as the model says"
	get "$run" bufs buffers 0 "--by buffer -j: every buffer with every holder as the model says" --by buffer
	for p in "${PIDS[@]}"; do
		get "$run" "pid$p" pid "$p" "--pid $p -j (${ROLE_OF[$p]}): its buffers with their other holders, its groups" --pid "$p"
	done
	if [ "$full" = 1 ]; then
		get "$run" tags tags 0 "--by tag -j: each buffer once per tag" --by tag
		get "$run" exps exporters 0 "--by exporter -j: each buffer once per exporter" --by exporter
		p=${PID_OF[main]}
		for v in tag exporter buffer; do
			get "$run" "pid-$v" "pid-$v" "$p" "--pid $p --by $v -j" --pid "$p" --by "$v"
		done
	fi
	compare "$run"
	if [ "$full" = 1 ]; then
		text_checks "$run"
		nobody_checks "$run"
		method_check "$run"
	fi
	hold_stop "$run"
	check $? "$run: mtdb-hold and its helpers exit cleanly"
	# The last fput of a VMA's file can be deferred: wait for bufinfo.
	for ((i = 0; i < 100; i++)); do
		left=
		bufinfo_inos
		for ino in "${INOS[@]}"; do
			for j in "${BUFINFO_INOS[@]}"; do
				[ "$j" = "$ino" ] && left="$left $ino"
			done
		done
		[ -z "$left" ] && break
		nap 0.1
	done
	# No jq here: the compact output of an empty scan, member by member.
	cli "$T/$run.after" -j && IFS= read -r l <"$T/$run.after" &&
		[[ $l == '{"processes":[],"totals":{"buffers":0,"bytes":0,"mapped_bytes":0,"fd_only_bytes":0,"processes":0,'* &&
		   $l == *',"unreadable":0,"malformed":0},"unreadable":[]}' ]] && [ -z "$left" ]
	rc=$?
	[ $rc = 0 ] || { echo "# left in bufinfo:${left:- none}"; note <"$T/$run.after"; }
	check $rc "$run: once it exits, bufinfo and memtrackctl buffers show nothing held"
}

runs() {
	local s
	one_run "$1.all" "$1" 1 all
	for s in "${SCENARIOS[@]}"; do
		one_run "$1.$s" "$1" 0 "$s"
	done
	# Every view of its own: added to "all", main's totals would have no
	# exact form in human units.
	[ "$1" != exporter ] || one_run "$1.private" "$1" 1 private
}

# ---- before any buffer -------------------------------------------------------------
hold_build
[ -x "$ctl" ]
check $? "memtrackctl built ($ctl)"

bufinfo_inos
cli "$T/base" -j && jqe '.processes == [] and .totals.buffers == 0 and .unreadable == [] and
	.totals.malformed == 0' <"$T/base" && [ ${#BUFINFO_INOS[@]} = 0 ]
check $? "before the runs: no dma-buf in bufinfo, none held, every process readable as root"

# --pid of processes holding nothing, or gone; bad arguments
read -r self_comm </proc/$$/comm
cli "$T/self" -j --pid $$ &&
	jqe --argjson p $$ --arg comm "$self_comm" '.process == {pid: $p, comm: $comm, complete: true,
		buffers: 0, fds: 0, vmas: 0, bytes: 0, fd_only_bytes: 0, mapped_bytes: 0, pss_bytes: 0,
		held: [], by_exporter: [], by_tag: []}' <"$T/self" &&
	cli "$T/self.txt" --pid $$ && IFS= read -r l <"$T/self.txt" && [ "$l" = "process $$ ($self_comm) holds no dma-buf" ]
check $? "--pid of this shell, which holds nothing: exit 0, zeros and empty lists, 'process $$ ($self_comm) holds no dma-buf'"
: &
gone=$!
wait $gone
"$ctl" buffers --pid $gone >"$T/gone" 2>"$T/gone.err"
rc=$?
[ $rc = 4 ] && [ ! -s "$T/gone" ] && [ "$(lines "$T/gone.err")" = 1 ] && has_line "$T/gone.err" "memtrackctl: no process $gone"
check $? "--pid of an exited process: exit 4 (got $rc), 'memtrackctl: no process $gone'"
"$ctl" buffers --by size >"$T/bad" 2>"$T/bad.err"
rc=$?
IFS= read -r l <"$T/bad.err"
[ $rc = 1 ] && [ "$l" = "memtrackctl: invalid --by 'size' (process, tag, exporter or buffer)" ]
check $? "--by size: exit 1 (got $rc), clear message"
"$ctl" buffers --proc-root /nonexistent >"$T/bad" 2>"$T/bad.err"
rc=$?
[ $rc = 5 ] && [ "$(lines "$T/bad.err")" = 1 ] &&
	has_line "$T/bad.err" "memtrackctl: cannot read /nonexistent: No such file or directory"
check $? "--proc-root /nonexistent: exit 5 (got $rc), the path and the error"

# A thread's id stands for its process (procfs answers for thread ids too).
/usr/bin/python3 - "$ctl" "$T/thread" <<'PY'
import subprocess, sys, threading, os
def run():
    tid = threading.get_native_id()
    r = subprocess.run([sys.argv[1], "buffers", "--pid", str(tid)], capture_output=True, text=True)
    with open(sys.argv[2], "w") as f:
        f.write("%d %d %d %s\n" % (os.getpid(), tid, r.returncode, open("/proc/self/comm").read().strip()))
    open(sys.argv[2] + ".out", "w").write(r.stdout)
    open(sys.argv[2] + ".err", "w").write(r.stderr)
t = threading.Thread(target=run)
t.start()
t.join()
PY
read -r tpid ttid trc tcomm <"$T/thread"
[ "$trc" = 0 ] && [ "$ttid" != "$tpid" ] && [ "$(lines "$T/thread.err")" = 1 ] &&
	has_line "$T/thread.err" "memtrackctl: $ttid is a thread of process $tpid: showing the process" &&
	IFS= read -r l <"$T/thread.out" && [ "$l" = "process $tpid ($tcomm) holds no dma-buf" ]
check $? "--pid of a thread ($ttid): exit 0 (got $trc), said on stderr, its process $tpid shown"

# ---- 6.12: udmabuf and the system heap -------------------------------------------
host_sources

# ---- both kernels: the test exporter ---------------------------------------------
insmod "$ko/tests/$exp_mod.ko"
check $? "insmod $exp_mod.ko"
runs exporter
rmmod "$exp_mod"
check $? "rmmod $exp_mod: no buffer left"

echo "1..$n"
[ "$failed" -eq 0 ]
