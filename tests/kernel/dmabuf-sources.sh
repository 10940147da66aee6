#!/bin/bash
# vm: --timeout 600
# In-VM test of the dma-buf sources that the per-process dma-buf scanner
# tests use: tests/dmabuf/mtdb-hold (built by tests/dmabuf/build.sh) with
# each source the kernel has -- udmabuf and the system dma-heap (6.12), and
# memtrack_dmabuf_exporter.ko (both kernels) -- for every scenario at once
# and for each alone.  Checks straight from the kernel, for every process
# mtdb-hold reports, that each buffer is exactly where it says: the dma-buf
# fds (/proc/PID/fdinfo: ino, size, count, exp_name, name; the fd's link
# "/dmabuf:NAME"), the dma-buf VMAs (/proc/PID/maps: inode column, length,
# "rw-s" ("r--p" for the exporter's private scenario), offset 0, path
# "/dmabuf:NAME"), debugfs bufinfo (size, count,
# exp_name, ino, name), that its per-process figures (fd/map/fd-only/
# map-only/total bytes, PSS) follow from what the kernel shows, and that
# every buffer is released once the holders exit.  For the exporter: the
# ioctl's error cases, buffers pin the module (rmmod refused while only
# mappings are left), and rmmod works once they are gone.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
dfs=/sys/kernel/debug
bufinfo=$dfs/dma_buf/bufinfo
exp_status=$dfs/memtrack-dmabuf-exporter/status
exp_mod=memtrack_dmabuf_exporter
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
T=$(mktemp -d /tmp/mtdb.XXXXXX)
# shellcheck source=tests/lib/dmabuf.sh
. "$(dirname "$0")/../lib/dmabuf.sh"

hold_build

# ---- holders (hold_start, hold_stop: tests/lib/dmabuf.sh) -------------------
pids_of() { sed -n 's/^proc pid=\([0-9]*\) .*/\1/p' "$T/$1.out"; }
inos_of() { sed -n 's/^buf .* ino=\([0-9]*\) .*/\1/p' "$T/$1.out"; }

# ---- what the kernel shows -------------------------------------------------
# records PID...: one line per dma-buf fd (an fd whose fdinfo has exp_name)
#   fd PID FD INO SIZE COUNT EXP_NAME NAME|- LINK
# and per dma-buf VMA (maps path "/dmabuf:...")
#   vma PID INO LENGTH PERMS OFFSET PATH
records() {
	local pid f fd range perms off dev ino path s e
	for pid in "$@"; do
		for f in /proc/"$pid"/fdinfo/*; do
			fd=${f##*/}
			awk -v pid="$pid" -v fd="$fd" -v link="$(readlink "/proc/$pid/fd/$fd")" '
				{ k = $1; sub(/:$/, "", k); v[k] = $2 }
				END {
					if (!("exp_name" in v))
						exit
					print "fd", pid, fd, v["ino"], v["size"], v["count"], v["exp_name"],
						("name" in v) ? v["name"] : "-", link
				}' "$f"
		done
		while read -r range perms off dev ino path; do
			[[ $path == /dmabuf:* ]] || continue
			s=$((16#${range%-*}))
			e=$((16#${range#*-}))
			echo "vma $pid $ino $((e - s)) $perms $off $path"
		done <"/proc/$pid/maps"
	done
}
# bufinfo_lines: "buf INO SIZE COUNT EXP_NAME NAME" per debugfs bufinfo object
bufinfo_lines() {
	awk 'NF >= 6 && $1 ~ /^[0-9]+$/ && $6 ~ /^[0-9]+$/ {
		print "buf", $6 + 0, $1 + 0, $4 + 0, $5, (NF >= 7 ? $7 : "-")
	}' "$bufinfo"
}

# kernel_view RUN: from the records and bufinfo, using only mtdb-hold's
# pid->role and ino->id maps, the "hold" and "expect" lines mtdb-hold should
# have printed, then "problem ..." lines for whatever does not fit.
kernel_view() {
	local run=$1
	# shellcheck disable=SC2046 # one pid per word
	records $(pids_of "$run") >"$T/$run.records"
	bufinfo_lines >"$T/$run.bufinfo"
	awk -v expname="$2" '
		FILENAME == ARGV[1] && $1 == "proc" { split($2, a, "="); split($3, b, "="); role[a[2]] = b[2]; pids[++np] = a[2] }
		FILENAME == ARGV[1] && $1 == "buf" {
			for (i = 2; i <= NF; i++) { split($i, a, "="); f[a[1]] = a[2] }
			id[f["ino"]] = f["id"]; claimed_name[f["ino"]] = f["name"]
		}
		FILENAME == ARGV[2] && $1 == "buf" { ksize[$2] = $3; kcount[$2] = $4; kexp[$2] = $5; kname[$2] = ($6 == "<none>" ? "-" : $6) }
		FILENAME == ARGV[3] && $1 == "fd" {
			pid = $2; ino = $4; k = pid " " ino
			fds[k]++; held[k] = 1; refs[ino]++
			if (!(ino in id)) print "problem fd", $3, "of", pid, "is dma-buf ino", ino, "which mtdb-hold did not report"
			if ($5 != ksize[ino]) print "problem fd", $3, "of", pid, "size", $5, "bufinfo", ksize[ino]
			if ($7 != expname) print "problem fd", $3, "of", pid, "exp_name", $7, "want", expname
			if ($7 != kexp[ino]) print "problem fd", $3, "of", pid, "exp_name", $7, "bufinfo", kexp[ino]
			if ($8 != kname[ino] || $8 != claimed_name[ino]) print "problem fd", $3, "of", pid, "name", $8, "bufinfo", kname[ino], "mtdb-hold", claimed_name[ino]
			link = ($8 == "-") ? "/dmabuf:" : "/dmabuf:" $8
			if ($9 != link) print "problem fd", $3, "of", pid, "links to", $9, "want", link
			fdcount[pid " " $3] = $6; fdino[pid " " $3] = ino
		}
		FILENAME == ARGV[3] && $1 == "vma" {
			pid = $2; ino = $3; k = pid " " ino
			vmas[k]++; vbytes[k] += $4; held[k] = 1; refs[ino]++
			if (!(ino in id)) print "problem vma of", pid, "is dma-buf ino", ino, "which mtdb-hold did not report"
			if ($4 != ksize[ino]) print "problem vma of", pid, "ino", ino, "length", $4, "size", ksize[ino]
			perms = (id[ino] == "private") ? "r--p" : "rw-s"
			if ($5 != perms || $6 != "00000000") print "problem vma of", pid, "ino", ino, "perms", $5, "want", perms, "offset", $6
			path = (kname[ino] == "-") ? "/dmabuf:" : "/dmabuf:" kname[ino]
			if ($7 != path) print "problem vma of", pid, "ino", ino, "path", $7, "want", path
		}
		END {
			for (k in held) { split(k, a, " "); nprocs[a[2]]++ }
			for (k in fdcount) if (fdcount[k] != refs[fdino[k]]) print "problem fdinfo count", fdcount[k], "of fd", k, "want", refs[fdino[k]]
			for (ino in id) {
				if (!(ino in ksize)) { print "problem ino", ino, "not in bufinfo"; continue }
				if (kcount[ino] != refs[ino]) print "problem bufinfo count", kcount[ino], "of ino", ino, "want", refs[ino], "(fds + vmas)"
				if (kexp[ino] != expname) print "problem bufinfo exp_name", kexp[ino], "of ino", ino
			}
			for (ino in ksize) if (!(ino in id)) print "problem bufinfo lists ino", ino, "which mtdb-hold did not report"
			for (i = 1; i <= np; i++) {
				pid = pids[i]; n = fdb = mapb = vb = fdo = mapo = tot = pss = 0
				for (ino in id) {
					k = pid " " ino
					if (!(k in held)) continue
					nf = fds[k] + 0; nv = vmas[k] + 0; s = ksize[ino]
					printf "hold pid=%s role=%s buf=%s ino=%s fds=%d vmas=%d vma_bytes=%d\n", pid, role[pid], id[ino], ino, nf, nv, vbytes[k]
					n++; tot += s; pss += int(s / nprocs[ino]); vb += vbytes[k]
					if (nf) fdb += s
					if (nv) mapb += s
					if (nf && !nv) fdo += s
					if (nv && !nf) mapo += s
				}
				printf "expect pid=%s role=%s bufs=%d fd_bytes=%d map_bytes=%d vma_bytes=%d fd_only_bytes=%d map_only_bytes=%d total_bytes=%d pss=%d\n", pid, role[pid], n, fdb, mapb, vb, fdo, mapo, tot, pss
			}
		}' "$T/$run.out" "$T/$run.bufinfo" "$T/$run.records"
}

# verify RUN SOURCE SCENARIO...: all the checks of a live run
verify() {
	local run=$1 src=$2 what
	shift 2
	what=$run
	kernel_view "$run" "${EXPNAME[$src]}" >"$T/$run.view"

	# the buffers mtdb-hold reports: its own model, sizes, exp_name, name
	holds_of "$@" | awk '{ print $1 }' | sort -u >"$T/$run.want-ids"
	awk '$1 == "buf"' "$T/$run.out" | sed 's/.* id=\([^ ]*\) .*/\1/' | sort >"$T/$run.ids"
	local bad=0 id
	diff "$T/$run.want-ids" "$T/$run.ids" | note
	[ "${PIPESTATUS[0]}" = 0 ] || bad=1
	while read -r id; do
		grep -qE "^buf id=$id scenario=[a-z]+ ino=[0-9]+ size=$((UNITS[$id] * UNIT)) exp_name=${EXPNAME[$src]} name=$([ "$id" = name ] && echo "$NAME" || echo -) " "$T/$run.out" ||
			{ echo "# buffer $id misreported: $(grep "^buf id=$id " "$T/$run.out")"; bad=1; }
	done <"$T/$run.want-ids"
	check $bad "$what: mtdb-hold reports the buffers of '$*' with their sizes, exp_name ${EXPNAME[$src]} and names"

	# its holds are the scenarios'
	holds_of "$@" | awk -v unit="$UNIT" '{ printf "%s %s fds=%d vmas=%d vma_bytes=%d\n", $2, $1, $3, $4, $5 * unit }' | sort >"$T/$run.model"
	awk '$1 == "hold" { split($3, r, "="); split($4, b, "="); print r[2], b[2], $6, $7, $8 }' "$T/$run.out" | sort >"$T/$run.holds"
	diff "$T/$run.model" "$T/$run.holds" | note
	check "${PIPESTATUS[0]}" "$what: its holds are the scenarios' (role buf fds vmas vma_bytes)"

	# the kernel agrees, exactly
	grep '^problem' "$T/$run.view" | note
	! grep -q '^problem' "$T/$run.view"
	check $? "$what: fdinfo, fd links, maps and bufinfo agree with each other and with mtdb-hold"
	# (no process substitution: the fast VM has no /dev/fd)
	local k
	for k in hold expect; do
		grep "^$k" "$T/$run.out" | sort >"$T/$run.$k-said"
		grep "^$k" "$T/$run.view" | sort >"$T/$run.$k-proc"
	done
	[ -s "$T/$run.hold-said" ] && diff "$T/$run.hold-said" "$T/$run.hold-proc" | note
	check "${PIPESTATUS[0]}" "$what: every dma-buf fd and VMA of its processes is where it says (hold lines from /proc)"
	[ -s "$T/$run.expect-said" ] && diff "$T/$run.expect-said" "$T/$run.expect-proc" | note
	check "${PIPESTATUS[0]}" "$what: its per-process figures follow from /proc (fd/map/vma/fd-only/map-only/total bytes, PSS)"
}

# gone RUN: every buffer of RUN has left bufinfo (waits up to 10 s: the last
# fput of a VMA's file at exit can be deferred to a workqueue)
gone() {
	local i ino left
	for ((i = 0; i < 100; i++)); do
		left=
		for ino in $(inos_of "$1"); do
			bufinfo_lines | awk -v ino="$ino" '$2 == ino { f = 1 } END { exit !f }' && left="$left $ino"
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "# still in bufinfo:$left"
	return 1
}

# one_run RUN SOURCE SCENARIO...: start, verify, stop, check the release
one_run() {
	local run=$1 src=$2 pids p alive
	shift 2
	if ! hold_start "$run" --source "$src" --unit "$UNIT" --name "$NAME" "$@"; then
		check 1 "$run: mtdb-hold --source $src $* is ready"
		return 1
	fi
	check 0 "$run: mtdb-hold --source $src $* is ready ($(grep -c '^proc' "$T/$run.out") processes, $(grep -c '^buf' "$T/$run.out") buffers)"
	verify "$run" "$src" "$@"
	[ -n "${RUN_HOOK:-}" ] && "$RUN_HOOK" "$run"
	pids=$(pids_of "$run")
	hold_stop "$run"
	check $? "$run: mtdb-hold and its helpers exit cleanly when its stdin closes"
	alive=
	for p in $pids; do
		[ -d "/proc/$p" ] && alive="$alive $p"
	done
	[ -z "$alive" ]
	check $? "$run: no process of the run is left${alive:+ (alive:$alive)}"
	gone "$run"
	check $? "$run: every buffer is released"
}

# runs SOURCE: every scenario at once, then each alone
runs() {
	local s
	# shellcheck disable=SC2046 # one scenario per word
	one_run "$1.all" "$1" $(scenarios_of "$1")
	for s in $(scenarios_of "$1"); do
		one_run "$1.$s" "$1" "$s"
	done
}

# the exporter's extra checks while a run holds buffers
exporter_hook() {
	local run=$1 nbufs bytes
	nbufs=$(grep -c '^buf' "$T/$run.out")
	bytes=$(awk '$1 == "buf" { for (i = 2; i <= NF; i++) if ($i ~ /^size=/) s += substr($i, 6) } END { print s + 0 }' "$T/$run.out")
	[ "$(cat "$exp_status")" = "buffers $nbufs bytes $bytes" ]
	check $? "$run: its status shows the $nbufs buffers ($(cat "$exp_status"))"
	[ "$(cat "/sys/module/$exp_mod/refcnt")" = "$nbufs" ]
	check $? "$run: each buffer holds a module reference (refcnt $(cat "/sys/module/$exp_mod/refcnt"))"
	! rmmod "$exp_mod" 2>"$T/rmmod.err" && [ -e /dev/memtrack_dmabuf ]
	check $? "$run: rmmod is refused while they exist ($(cat "$T/rmmod.err"))"
}

# ---- 6.12: udmabuf and the system heap -------------------------------------
host_sources

# ---- both kernels: the test exporter ---------------------------------------
insmod "$ko/tests/$exp_mod.ko"
check $? "insmod $exp_mod.ko"
[ -c /dev/memtrack_dmabuf ] && [ "$(cat "$exp_status")" = "buffers 0 bytes 0" ]
check $? "/dev/memtrack_dmabuf exists, no buffers yet"

RUN_HOOK=exporter_hook runs exporter

# mappings alone pin the module
if hold_start maponly --source exporter --unit "$UNIT" map; then
	! grep -q '^hold .* fds=[1-9]' "$T/maponly.out" && [ "$(cat "/sys/module/$exp_mod/refcnt")" = 2 ] &&
		! rmmod "$exp_mod" 2>/dev/null
	check $? "exporter: two buffers held by mappings only (fds closed) still pin the module"
	hold_stop maponly
	check $? "exporter: ... and the holder exits cleanly"
	gone maponly
	check $? "exporter: ... and the buffers are released"
else
	check 1 "exporter: mtdb-hold map is ready"
fi

"$HOLD_BIN" --source exporter --check-errors >"$T/errors.out" 2>&1
rc=$?
note <"$T/errors.out"
[ "$rc" = 0 ] && [ "$(grep -c '^errcheck case=.* ok=1$' "$T/errors.out")" = 16 ] &&
	grep -qx 'errcheck fds_leaked=0' "$T/errors.out"
check $? "exporter: MTDB_IOC_ALLOC refuses bad sizes, flags and pointers (no fd left behind), a 64 MiB buffer works, oversized mmaps and private ones (writable, or without MTDB_ALLOC_PRIVATE_MAP) are refused"
for ((i = 0; i < 100; i++)); do
	[ "$(cat "$exp_status")" = "buffers 0 bytes 0" ] && break
	sleep 0.1
done
[ "$(cat "$exp_status")" = "buffers 0 bytes 0" ] && [ "$(cat "/sys/module/$exp_mod/refcnt")" = 0 ]
check $? "exporter: every buffer released, module unpinned ($(cat "$exp_status"), refcnt $(cat "/sys/module/$exp_mod/refcnt"))"

rmmod "$exp_mod"
check $? "rmmod $exp_mod once no buffer is left"
[ ! -e /dev/memtrack_dmabuf ] && [ ! -d "/sys/module/$exp_mod" ]
check $? "/dev/memtrack_dmabuf and the module are gone"

echo "1..$n"
[ "$failed" -eq 0 ]
