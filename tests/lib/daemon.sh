# shellcheck shell=bash
# Helpers for the system tests of memtrackd (systemd as PID 1, the real
# system bus, the real journal).  Source after tap.sh.

MTD_DEST=org.memtrack.MemTrack1
MTD_OBJ=/org/memtrack/MemTrack1
MTD_MGR=org.memtrack.MemTrack1.Manager
MTD_NODE=org.memtrack.MemTrack1.Node
MTD_MSG_RAISED=2745a3f4e2544d4eb52cae9c0d1fbe9e
MTD_MSG_CLEARED=b6f6818f4e07477ba0e08c533a0efb34
dfs=/sys/kernel/debug
ctl=$dfs/memtrack-exerciser/control
st=$dfs/memtrack-exerciser/status

cmd() { echo "$*" >"$ctl"; }

# mgr METHOD [SIGNATURE ARGS...]: call a manager method, JSON reply on stdout
mgr() { busctl --system --timeout=5 --json=short call "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" "$@"; }

# prop NAME: a manager property's value
prop() {
	busctl --system --timeout=5 --json=short get-property "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" "$1" |
		jq -r .data
}

# node_bytes PATH: the Bytes memtrackd reports for PATH (empty if unknown)
node_bytes() { mgr GetNode s "$1" 2>/dev/null | jq -r '.data[0][4]'; }

# until_true SECONDS COMMAND...: retry every 0.2 s for SECONDS of wall time.
# The caller expands COMMAND's words once: a condition on "$(...)" must be
# passed as eval '[ "$(...)" ... ]' to be evaluated on every try.
until_true() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
}

# On exit: what the daemon said and did, for the log of a failed run.
daemon_diagnostics() {
	[ "${failed:-0}" -eq 0 ] && return
	echo "# --- memtrackd journal (last 60 lines)"
	journalctl --no-pager -u memtrackd.service | tail -n 60 | sed 's/^/# /'
	echo "# --- memtrackd process"
	ps -o pid,stat,time,rss,wchan:20,cmd -C memtrackd | sed 's/^/# /'
}
trap daemon_diagnostics EXIT

bytes_is() { [ "$(node_bytes "$1")" = "$2" ]; }
state_is() { [ "$(prop State)" = "$1" ]; }
service_active() { [ "$(systemctl is-active memtrackd.service)" = active ]; }

# kernel_field PATH NAME: from the exerciser's status
kernel_field() {
	awk -v p="$1" -v name="$2" '$1 == "node" && $2 == p {
		for (i = 3; i < NF; i++) if ($i == name) { print $(i + 1); exit } }' "$st"
}

# journal_json MESSAGE_ID: the matching entries of memtrackd, JSON lines
journal_json() {
	journalctl --no-pager -o json _SYSTEMD_UNIT=memtrackd.service \
		"MESSAGE_ID=$1" 2>/dev/null
}

# mirror_matches: memtrackd's tree equals a fresh kernel dump (id, path,
# bytes, self, count, peak of every node).  The last two lists compared are
# kept for mirror_diff.
MTD_MIRROR_CMP=/tmp/memtrack-mirror-cmp
mirror_matches() {
	local a b
	a=$(mgr GetTree | jq -r '.data[0][] | "\(.[1]) \(.[3]) \(.[4]) \(.[5]) \(.[6]) \(.[7])"' | sort)
	b=$(memtrackctl dump -j | jq -r '.. | objects | select(has("id")) |
		"\(.id) \(.path) \(.bytes) \(.self_bytes) \(.count) \(.peak_bytes)"' | sort)
	printf '%s\n' "$a" >"$MTD_MIRROR_CMP.daemon"
	printf '%s\n' "$b" >"$MTD_MIRROR_CMP.kernel"
	[ -n "$b" ] && [ "$a" = "$b" ]
}

# mirror_diff: how the last mirror_matches differed, as TAP comments
# ("<" memtrackd's mirror, ">" the kernel's dump)
mirror_diff() {
	diff "$MTD_MIRROR_CMP.daemon" "$MTD_MIRROR_CMP.kernel" | grep '^[<>]' | head -n 20 | sed 's/^/# /'
}

wait_service() {
	until_true 60 service_active
}

# The dma-buf tree's node ids start here (2^52); kernel ids stay below.
MTD_DMABUF_ID_BASE=4503599627370496

# kernel_mirror_matches: as mirror_matches, for the kernel's nodes of
# GetTree only (the dma-buf tree, when scanning, is no kernel node)
kernel_mirror_matches() {
	local a b
	a=$(mgr GetTree | jq -r --argjson base "$MTD_DMABUF_ID_BASE" '.data[0][] | select(.[1] < $base) |
		"\(.[1]) \(.[3]) \(.[4]) \(.[5]) \(.[6]) \(.[7])"' | sort)
	b=$(memtrackctl dump -j | jq -r '.. | objects | select(has("id")) |
		"\(.id) \(.path) \(.bytes) \(.self_bytes) \(.count) \(.peak_bytes)"' | sort)
	[ -n "$b" ] && [ "$a" = "$b" ]
}

# dmabuf_nodes: the dma-buf tree of GetTree, one line per node:
# "path bytes self count creator id parent-id"
dmabuf_nodes() {
	mgr GetTree | jq -r --argjson base "$MTD_DMABUF_ID_BASE" '.data[0][] | select(.[1] >= $base) |
		"\(.[3]) \(.[4]) \(.[5]) \(.[6]) \(.[8]) \(.[1]) \(.[2])"'
}

# jqe ARGS...: jq -e on stdin that also fails on empty input (jq 1.6
# -e exits 0 when there is no input, e.g. after a failed busctl call)
jqe() {
	local in
	in=$(cat)
	[ -n "$in" ] && jq -e "$@" <<<"$in" >/dev/null
}

# The harness (tests/vm/memtrackd-check, run by guest-init after every system
# test) fails the test unless memtrackd failed (and systemd restarted it)
# exactly as often as this file says the test itself caused.  Call
# mtd_expect_restart just before killing the daemon on purpose in a way that
# makes systemd restart it.
MTD_EXPECTED_RESTARTS=/run/memtrack-test/memtrackd-expected-restarts
mtd_expect_restart() {
	local n
	mkdir -p "${MTD_EXPECTED_RESTARTS%/*}"
	n=$(cat "$MTD_EXPECTED_RESTARTS" 2>/dev/null || echo 0)
	echo $((n + 1)) >"$MTD_EXPECTED_RESTARTS"
}
