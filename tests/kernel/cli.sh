#!/bin/bash
# vm: --timeout 600
# In-VM test of memtrackctl: exit codes and messages (module missing,
# unprivileged, unknown node, usage), `dump -j` against the totals driven
# through memtrack_exerciser.ko, the text view against debugfs, path
# resolution, --depth/--sort, reset-peak, `monitor` (text and JSON, and a
# forced resync), a 100,000-node dump, and the bash completion.  Output: TAP.
#
# The binary: ${MEMTRACK_BUILD:-build/meson}/cli/memtrackctl (its build has
# an rpath to libmemtrackctl; LD_LIBRARY_PATH is set as well).
set -u

ko=${MEMTRACK_KO_DIR:?}
build=${MEMTRACK_BUILD:-build/meson}
bin=$build/cli/memtrackctl
export LD_LIBRARY_PATH=$build/libmemtrackctl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
py=/usr/bin/python3
dfs=/sys/kernel/debug
ctl=$dfs/memtrack-exerciser/control
st=$dfs/memtrack-exerciser/status
tmp=$(mktemp -d)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
cmd() { echo "$*" >"$ctl"; }
# field PATH NAME: from the exerciser's "node PATH id ID total T ..." line
field() {
	awk -v p="$1" -v name="$2" '$1 == "node" && $2 == p {
		for (i = 3; i < NF; i++) if ($i == name) { print $(i + 1); exit } }' "$st"
}
# alive PID: the process runs (a zombie does not count)
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}
# wait_for PID FILE REGEX: until a line of FILE matches (grep -E), for at
# most 60 s, and only while process PID (writing FILE) lives
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -Eq "$3" "$2" 2>/dev/null && return 0
		alive "$1" || { echo "# process $1 died"; return 1; }
		sleep 0.1
	done
	echo "# timed out waiting for /$3/ in $2"
	return 1
}
# monitor_ready PID FILE...: poke the root "other" until the monitor PID
# shows it in every FILE
monitor_ready() {
	local pid=$1 f i=0
	shift
	for f in "$@"; do
		until grep -q '"other"\|\] other ' "$f" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt 600 ] || ! alive "$pid"; then
				echo "# monitor $pid never became ready"
				return 1
			fi
			cmd set other $((1000 + i))
			sleep 0.1
		done
	done
}
# expect_err WANT_RC WANT_STDERR DESCRIPTION CMD...: exact stderr, empty stdout
expect_err() {
	local want_rc=$1 want=$2 what=$3 rc out err
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
	[ "$rc" = "$want_rc" ] && [ "$err" = "$want" ] && [ -z "$out" ]
	check $? "$what"
	[ "$rc" = "$want_rc" ] || echo "# exit $rc, expected $want_rc"
	[ "$err" = "$want" ] || { echo "# stderr: '$err'"; echo "# wanted: '$want'"; }
	[ -z "$out" ] || echo "# stdout: '$out'"
}

MSG_NOMOD="memtrackctl: memtrack kernel module not loaded (try: modprobe memtrack)"
MSG_PERM="memtrackctl: permission denied: memtrackctl needs CAP_NET_ADMIN (run as root)"

echo "# kernel $(uname -r), binary $bin"
[ -x "$bin" ]
check $? "memtrackctl is built ($bin)"

# ---- without the module ------------------------------------------------------
lsmod | grep -q '^memtrack ' && rmmod memtrack_exerciser memtrack 2>/dev/null
expect_err 2 "$MSG_NOMOD" "no module: dump exits 2 with the documented message" "$bin" dump
expect_err 2 "$MSG_NOMOD" "no module: dump -j exits 2 too" "$bin" dump -j
expect_err 2 "$MSG_NOMOD" "no module: monitor exits 2" "$bin" monitor
expect_err 2 "$MSG_NOMOD" "no module: reset-peak exits 2" "$bin" reset-peak x
expect_err 2 "$MSG_NOMOD" "no module: as nobody, still exit 2" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" dump
"$bin" __complete-paths >"$tmp/out" 2>&1
[ $? -ne 0 ] && [ ! -s "$tmp/out" ]
check $? "no module: __complete-paths fails silently"

# ---- usage, help ------------------------------------------------------------
ok=0
for s in dump monitor reset-peak status history alerts buffers help; do
	"$bin" "$s" --help >"$tmp/out" 2>&1 && grep -q "^Usage: memtrackctl" "$tmp/out" &&
		grep -q "^Exit status:" "$tmp/out" || { ok=1; echo "# $s --help"; }
done
"$bin" --help | grep -q "^  dump " && "$bin" help dump | grep -q "^Usage: memtrackctl dump" || ok=1
"$bin" --version | grep -Eq '^memtrackctl [0-9]' || ok=1
check $ok "--help on every subcommand, help SUBCOMMAND, --version"
# buffers reads procfs, not the module: a bad procfs root is named.
"$bin" buffers --proc-root "$tmp/no-such-proc" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc != 0 ] && grep -q "^memtrackctl: .*$tmp/no-such-proc.*No such file or directory" "$tmp/err"
check $? "'buffers --proc-root' of a missing directory: clear error (rc $rc: $(<"$tmp/err"))"
# No system bus in a fast-mode VM: the daemon's commands say so.
for s in status "history vpu0" alerts; do
	# shellcheck disable=SC2086
	"$bin" $s >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 7 ] && grep -q "^memtrackctl: memtrackd is not running (start it with: systemctl start memtrackd)" "$tmp/err"
	check $? "'$s' without memtrackd: exit 7, clear message (rc $rc: $(<"$tmp/err"))"
done
expect_err 1 "memtrackctl: unknown subcommand 'frob'
Try 'memtrackctl --help' for more information." "unknown subcommand: exit 1" "$bin" frob
expect_err 1 "memtrackctl: invalid sort key 'big' (size, name or peak)
Try 'memtrackctl dump --help' for more information." "bad --sort: exit 1" "$bin" dump --sort big
"$bin" >/dev/null 2>&1
[ $? = 1 ]
check $? "no subcommand: usage, exit 1"

# ---- load, build a tree -----------------------------------------------------------
insmod "$ko/memtrack.ko" && insmod "$ko/tests/memtrack_exerciser.ko"
check $? "insmod memtrack.ko and memtrack_exerciser.ko"

"$bin" dump -j >"$tmp/empty.json"
rc=$?
[ $rc = 0 ] && [ "$(<"$tmp/empty.json")" = '{"nodes":[]}' ]
check $? "empty forest: {\"nodes\":[]} (rc $rc: $(<"$tmp/empty.json"))"

opfail=0
for c in "create cli" "add cli 100" "create cli/vpu0" "add cli/vpu0 1536" \
	"alloc cli/vpu0 dpb 4096" "alloc cli/vpu0 dpb 4096" "create cli/vpu0/s1" \
	"set cli/vpu0/s1 1048576" "create cli/fw" "alloc cli/fw fw 65536" \
	"create cli/anon -" "add cli/anon 10" "add cli/anon 20" \
	"add cli/vpu0/s1 1000" "sub cli/vpu0/s1 1000" "create other" "add other 7"; do
	cmd $c || { opfail=1; echo "# '$c' failed"; }
done
check $opfail "exerciser: build the tree"
anon=$(field cli/anon id)
cli_id=$(field cli id)

# ---- dump -j against the driven totals ---------------------------------------
"$bin" dump -j >"$tmp/all.json"
check $? "dump -j succeeds"
"$py" - "$tmp/all.json" "$st" "$anon" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
anon = int(sys.argv[3])
ok = True
def fail(msg):
    global ok
    ok = False
    print("# " + msg)
nodes = {}
def walk(n, parent):
    assert set(n) == {"id", "parent_id", "path", "name", "kind", "depth", "bytes",
                      "self_bytes", "count", "peak_bytes", "creator", "created_ns",
                      "children"}, sorted(n)
    assert set(n["creator"]) == {"tgid", "pid", "comm"}
    nodes.setdefault(n["path"], []).append(n)
    if parent is None:
        if n["parent_id"] != 0 or n["depth"] != 0 or n["kind"] != "root":
            fail("bad root " + n["path"])
    else:
        if n["parent_id"] != parent["id"] or n["depth"] != parent["depth"] + 1:
            fail("bad links " + n["path"])
        comp = n["name"] if n["name"] else "#%d" % n["id"]
        if n["path"] != parent["path"] + "/" + comp:
            fail("bad path " + n["path"])
    if n["bytes"] != n["self_bytes"] + sum(c["bytes"] for c in n["children"]):
        fail("total != self + children at " + n["path"])
    for c in n["children"]:
        walk(c, n)
for r in doc["nodes"]:
    walk(r, None)
# Hand-computed from the commands the test drove.
want = {  # path: kind, bytes, self, count, peak
    "cli": ("root", 1123970, 100, 1, 1124970),
    "cli/vpu0": ("node", 1058304, 1536, 1, 1059304),
    "cli/vpu0/s1": ("node", 1048576, 1048576, 1, 1049576),
    "cli/fw": ("node", 65536, 0, 0, 65536),
    "cli/fw/fw": ("alloc", 65536, 65536, 1, 65536),
    "cli/#%d" % anon: ("node", 30, 30, 2, 30),
    "other": ("root", 7, 7, 1, 7),
}
for path, w in want.items():
    got = nodes.get(path)
    if not got or len(got) != 1:
        fail("missing %s" % path)
        continue
    g = got[0]
    if (g["kind"], g["bytes"], g["self_bytes"], g["count"], g["peak_bytes"]) != w:
        fail("%s: got %s want %s" % (path, (g["kind"], g["bytes"], g["self_bytes"],
                                            g["count"], g["peak_bytes"]), w))
dpb = nodes.get("cli/vpu0/dpb", [])
if len(dpb) != 2 or any((d["kind"], d["bytes"], d["count"]) != ("alloc", 4096, 1) for d in dpb):
    fail("two dpb leaves of 4096 expected")
if [c["path"] for c in nodes["cli/vpu0"][0]["children"]] != ["cli/vpu0/dpb", "cli/vpu0/dpb", "cli/vpu0/s1"]:
    fail("children not in creation order")
# And against the exerciser's own status (memtrack_read() and friends).
for line in open(sys.argv[2]):
    f = line.split()
    if f[0] != "node":
        continue
    kv = dict(zip(f[2::2], f[3::2]))
    match = [n for ns in nodes.values() for n in ns if n["id"] == int(kv["id"])]
    if len(match) != 1:
        fail("status node %s not in the dump" % f[1])
        continue
    m = match[0]
    if (m["bytes"], m["self_bytes"], m["count"], m["peak_bytes"]) != \
       (int(kv["total"]), int(kv["self"]), int(kv["count"]), int(kv["peak"])):
        fail("%s differs from the exerciser status" % f[1])
    if m["creator"]["tgid"] <= 0 or not m["creator"]["comm"]:
        fail("%s: no creator" % f[1])
sys.exit(0 if ok else 1)
EOF
check $? "dump -j (parsed by python3 json) equals the totals driven through the exerciser"

"$bin" dump -p >"$tmp/pretty.json" && "$py" -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a == b else 1)' "$tmp/pretty.json" "$tmp/all.json" && grep -q '^  "nodes": \[$' "$tmp/pretty.json"
check $? "dump -p: the same JSON, indented"

# ---- text view against debugfs ------------------------------------------------
"$bin" dump -b cli >"$tmp/cli.txt"
check $? "dump -b cli succeeds"
"$py" - "$tmp/cli.txt" "$dfs/memtrack/cli" <<'EOF'
import re, sys
txt = open(sys.argv[1], encoding="utf-8").read().splitlines()
dfs = open(sys.argv[2]).read().splitlines()
ok = True
hdr = txt[0].split()
if hdr != ["NODE", "TOTAL", "SELF", "COUNT", "PEAK", "%PARENT", "CREATOR"]:
    print("# header: %r" % txt[0]); ok = False
cli = []
for line in txt[1:]:
    depth = 0
    while line[:3] in ("\u2502  ", "   ", "\u251c\u2500 ", "\u2514\u2500 "):
        depth += 1
        line = line[3:]
    name, total, self_, count, peak, pct, creator = line.split()
    if name.startswith("#"):
        name = "(unnamed)"
    comm, _, ids = creator.rpartition(":")
    tgid, _, pid = ids.partition("/")
    cli.append((depth, name, int(tgid), int(pid or tgid), int(total), int(count),
                int(self_), int(peak)))
m = re.match(r"Total memory usage: (\d+) bytes$", dfs[0])
if not m or int(m.group(1)) != cli[0][4]:
    print("# debugfs total %r vs %d" % (dfs[0], cli[0][4])); ok = False
deb = []
for line in dfs[1:]:
    m = re.match(r"^( *)(.*?)(?: \[leaf\])? \(tgid=(\d+), pid=(\d+)\) usage: (\d+) "
                 r"\(count=(\d+), self=(\d+), peak=(\d+)\)$", line)
    if not m:
        print("# unparsed debugfs line %r" % line); ok = False; continue
    deb.append((len(m.group(1)) // 2, m.group(2)) + tuple(int(x) for x in m.groups()[2:]))
if cli != deb:
    ok = False
    for a, b in zip(cli, deb):
        print("# cli %r\n# dfs %r" % (a, b))
print("# %d nodes compared" % len(cli))
sys.exit(0 if ok and len(cli) == 8 else 1)
EOF
check $? "text view (-b) agrees with debugfs: tree shape, names, totals, counts, self, peaks, tgid/pid"

"$bin" dump cli >"$tmp/human.txt"
grep -Eq '^cli +1\.1 MiB +100 B +1 +1\.1 MiB +- +[^ ]+:[0-9]+' "$tmp/human.txt" &&
	grep -Eq '^├─ vpu0 +1\.0 MiB +1\.5 KiB +1 +1\.0 MiB +94\.2% ' "$tmp/human.txt" &&
	grep -Eq '^│  └─ s1 +1\.0 MiB +1\.0 MiB +1 +1\.0 MiB +99\.1% ' "$tmp/human.txt" &&
	grep -Eq '^└─ #[0-9]+ +30 B +30 B +2 +30 B +0\.0% ' "$tmp/human.txt"
check $? "text view: box drawing, human units, % of parent, creator"
grep -q . "$tmp/human.txt" && [ "$(tail -c1 "$tmp/human.txt" | od -An -c | tr -d ' ')" = '\n' ] &&
	! grep -q '^$' "$tmp/human.txt"
check $? "text view: no empty lines"
sed 's/^/# /' "$tmp/human.txt"

# ---- PATH|ID, --depth, --sort --------------------------------------------------
jq_py() { "$py" -c "import json,sys; d=json.load(sys.stdin); $1"; }
"$bin" dump -j "cli/#$anon" | jq_py 'n=d["nodes"]; assert len(n)==1 and n[0]["path"]=="cli/#'$anon'" and n[0]["bytes"]==30 and n[0]["parent_id"]=='$cli_id'' &&
	"$bin" dump -j "$anon" | jq_py 'assert d["nodes"][0]["path"]=="cli/#'$anon'"'
check $? "dump 'cli/#ID' and dump ID: the same node, full path"
"$bin" dump -j cli/vpu0 | jq_py '
n=d["nodes"]; assert len(n)==1 and n[0]["path"]=="cli/vpu0" and n[0]["depth"]==1
assert [c["path"] for c in n[0]["children"]]==["cli/vpu0/dpb","cli/vpu0/dpb","cli/vpu0/s1"]'
check $? "dump PATH: subtree with full paths"
"$bin" dump -j --depth 0 | jq_py 'assert sorted(r["name"] for r in d["nodes"])==["cli","other"] and all(r["children"]==[] for r in d["nodes"])' &&
	"$bin" dump -j -d 1 cli | jq_py 'c=d["nodes"][0]["children"]; assert len(c)==3 and all(x["children"]==[] for x in c)'
check $? "--depth 0 (roots only) and --depth 1"
"$bin" dump -j --sort size cli/vpu0 | jq_py 'assert [c["name"] for c in d["nodes"][0]["children"]]==["s1","dpb","dpb"]' &&
	"$bin" dump -j --sort name cli | jq_py 'assert [c["name"] for c in d["nodes"][0]["children"]]==["fw","vpu0",""]'
check $? "--sort size and name (unnamed last)"
# The text view's rows after the header and cli/vpu0's own: its children
# dpb, dpb (4 KiB peaks) and s1 (1 MiB), created in that order; the columns
# end with PEAK %PARENT CREATOR.
"$bin" dump --sort peak -b cli/vpu0 >"$tmp/peak.txt" 2>"$tmp/peak.err"
rc=$?
peaks=$(awk 'NR > 2 { print $(NF - 2) }' "$tmp/peak.txt")
names=$(awk 'NR > 2 { printf "%s ", $2 }' "$tmp/peak.txt")
[ $rc = 0 ] && [ ! -s "$tmp/peak.err" ] && [ "$names" = "s1 dpb dpb " ] &&
	! grep -qvx '[0-9][0-9]*' <<<"$peaks" && sort -c -nr <<<"$peaks"
check $? "--sort peak -b: exit $rc, children $names, peaks descending: ${peaks//$'\n'/ }"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/peak.err"

expect_err 4 "memtrackctl: no node 'nosuch'" "unknown path: exit 4" "$bin" dump nosuch
expect_err 4 "memtrackctl: no node 'cli/vpu0/nosuch'" "unknown deeper path: exit 4" "$bin" dump cli/vpu0/nosuch
expect_err 4 "memtrackctl: no node '999999999'" "unknown id: exit 4" "$bin" dump 999999999
expect_err 4 "memtrackctl: no node 'cli/#999999'" "unknown #ID component: exit 4" "$bin" reset-peak 'cli/#999999'

# ---- reset-peak ---------------------------------------------------------------
"$bin" reset-peak cli/vpu0/s1 >"$tmp/out" && [ ! -s "$tmp/out" ] && "$bin" reset-peak "$cli_id" &&
	[ "$(field cli/vpu0/s1 peak)" = 1048576 ] && [ "$(field cli peak)" = 1123970 ] &&
	[ "$(field cli/vpu0 peak)" = 1059304 ]
check $? "reset-peak PATH and ID: peaks restart at the totals, others kept"

# ---- unprivileged --------------------------------------------------------------
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect_err 3 "$MSG_PERM" "as nobody: dump exits 3 with the documented message" asnobody "$bin" dump
expect_err 3 "$MSG_PERM" "as nobody: dump PATH exits 3" asnobody "$bin" dump -j cli
expect_err 3 "$MSG_PERM" "as nobody: dump ID exits 3" asnobody "$bin" dump "$cli_id"
expect_err 3 "$MSG_PERM" "as nobody: reset-peak exits 3" asnobody "$bin" reset-peak cli
expect_err 3 "$MSG_PERM" "as nobody: monitor exits 3" asnobody timeout 10 "$bin" monitor

# ---- monitor --------------------------------------------------------------------
"$bin" monitor >"$tmp/mon.txt" 2>"$tmp/mon.err" &
mon=$!
"$bin" monitor -j >"$tmp/mon.json" 2>"$tmp/monj.err" &
monj=$!
monitor_ready $mon "$tmp/mon.txt"
monitor_ready $monj "$tmp/mon.json"
opfail=0
for c in "create cli/mon" "add cli/mon 4096" "alloc cli/mon buf 512" "free cli/mon buf 512" \
	"destroy cli/mon"; do
	cmd $c || opfail=1
	sleep 0.3
done
cmd set cli/vpu0/s1 2097152 || opfail=1
wait_for $mon "$tmp/mon.txt" '^\[change\] cli/vpu0/s1 .* total 2\.0 MiB'
wait_for $monj "$tmp/mon.json" '"path":"cli/vpu0/s1".*"bytes":2097152'
kill -TERM $mon $monj
wait $mon
rc1=$?
wait $monj
rc2=$?
[ $opfail = 0 ] && [ $rc1 = 0 ] && [ $rc2 = 0 ] && [ ! -s "$tmp/mon.err" ] && [ ! -s "$tmp/monj.err" ]
check $? "monitor and monitor -j run and exit 0 on SIGTERM (rc $rc1 $rc2)"
sed 's/^/# /' "$tmp/mon.txt" "$tmp/mon.err"
mid='[0-9]+'
grep -Eq "^\[add\] cli/mon id $mid kind node total 0 B creator [^ ]+:$mid" "$tmp/mon.txt"
check $? "monitor: [add] line for cli/mon"
grep -Eq "^\[change\] cli/mon id $mid total 4\.0 KiB self 4\.0 KiB count 1 peak 4\.0 KiB$" "$tmp/mon.txt" &&
	grep -Eq "^\[change\] cli id $cli_id total " "$tmp/mon.txt" &&
	grep -Eq "^\[change\] cli/vpu0/s1 id $mid total 2\.0 MiB self 2\.0 MiB count 1 peak 2\.0 MiB$" "$tmp/mon.txt"
check $? "monitor: [change] lines for cli/mon, its ancestor cli, and cli/vpu0/s1"
grep -Eq "^\[add\] cli/mon/buf id $mid kind alloc total 512 B" "$tmp/mon.txt" &&
	grep -Eq "^\[del\] cli/mon/buf id $mid kind alloc$" "$tmp/mon.txt" &&
	grep -Eq "^\[del\] cli/mon id $mid kind node$" "$tmp/mon.txt"
check $? "monitor: [add]/[del] of an allocation, [del] of cli/mon"
! grep -q resync "$tmp/mon.txt"
check $? "monitor: no resync without loss"
"$py" - "$tmp/mon.json" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e["path"] != "other"]  # readiness pokes
mon = [e for e in ev if e["path"] == "cli/mon"]
kinds = [e["event"] for e in mon]
assert kinds[0] == "add" and kinds[-1] == "del" and "change" in kinds, kinds
assert any(e["event"] == "change" and e["bytes"] == 4096 and e["self_bytes"] == 4096 for e in mon)
buf = [e for e in ev if e["path"] == "cli/mon/buf"]
assert [e["event"] for e in buf][0] == "add" and buf[0]["kind"] == "alloc" and buf[0]["bytes"] == 512
assert ev.index(buf[-1]) < ev.index(mon[-1]) and buf[-1]["event"] == "del", "children removed first"
seqs = [e["seq"] for e in ev]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
for e in ev:
    assert {"event", "seq", "path", "id", "parent_id", "name", "kind", "depth", "bytes",
            "self_bytes", "count", "peak_bytes", "creator", "created_ns"} <= set(e), e
print("# %d JSON events" % len(ev))
EOF
check $? "monitor -j: one JSON object per line; add, change, del in order; seq increasing"

# Lost events: a tiny receive buffer, the monitor stopped while 3000 nodes come.
"$bin" monitor --rcvbuf 4096 >"$tmp/res.txt" 2>"$tmp/res.err" &
mon=$!
monitor_ready $mon "$tmp/res.txt"
kill -STOP $mon
cmd create burst && cmd bulk burst 3000 8
kill -CONT $mon
wait_for $mon "$tmp/res.txt" '^\[resync\]'
# Events may still be lost while the monitor catches up: poke until one
# about the new root comes through, with its path known.
cmd create after
for ((i = 1; i <= 600; i++)); do
	grep -Eq '^\[change\] after id [0-9]+ total' "$tmp/res.txt" && break
	alive $mon || break
	cmd set after $i
	sleep 0.1
done
kill -TERM $mon
wait $mon
rc=$?
grep -c . "$tmp/res.txt" | sed 's/^/# lines: /'
sed 's/^/# /' "$tmp/res.err"
grep -v '^\[add\] burst/' "$tmp/res.txt" | head -5 | sed 's/^/# /'
[ $rc = 0 ] && grep -qx '\[resync\] events lost, re-dumped' "$tmp/res.txt" &&
	grep -Eq '^\[change\] after id [0-9]+ total [0-9]+ B' "$tmp/res.txt"
check $? "monitor: lost events show [resync] and the stream goes on with right paths"
cmd destroy burst

# ---- 100,000 nodes ------------------------------------------------------------------
cmd create big && cmd bulk big 100000 16
check $? "exerciser: bulk big 100000 16"
t0=$(date +%s.%N)
"$bin" dump -j big >"$tmp/big.json"
rc=$?
t1=$(date +%s.%N)
echo "# dump -j of 100,001 nodes: $(echo "$t1 - $t0" | bc) s, $(stat -c %s "$tmp/big.json") bytes"
[ $rc = 0 ] && "$py" - "$tmp/big.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
count = 0
stack = list(d["nodes"])
while stack:
    n = stack.pop()
    count += 1
    assert n["bytes"] == n["self_bytes"] + sum(c["bytes"] for c in n["children"])
    stack.extend(n["children"])
assert len(d["nodes"]) == 1 and d["nodes"][0]["bytes"] == 100000, d["nodes"][0]["bytes"]
assert count == 100001, count
EOF
check $? "dump -j of 100,001 nodes: all there, totals consistent, big = 100000 bytes"
t0=$(date +%s.%N)
lines=$("$bin" dump -b big | wc -l)
t1=$(date +%s.%N)
echo "# text dump of 100,001 nodes: $(echo "$t1 - $t0" | bc) s"
t0=$(date +%s.%N)
dlines=$(wc -l <"$dfs/memtrack/big")
t1=$(date +%s.%N)
echo "# debugfs read of the same tree: $(echo "$t1 - $t0" | bc) s"
[ "$lines" = 100002 ] && [ "$dlines" = 100002 ]
check $? "text dump of 100,001 nodes: header + 100001 lines, as many as debugfs ($lines/$dlines)"
"$bin" dump -j >/dev/null
check $? "dump of the whole forest with 100k nodes"

# ---- bash completion ---------------------------------------------------------------
complete_words() { # WORDS...: the completions of the last word
	PATH=$(dirname "$bin"):$PATH bash -c '
		source cli/memtrackctl.bash-completion
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_memtrackctl
		printf "%s\n" "${COMPREPLY[@]}"' _ "$@" 2>/dev/null | sort | tr '\n' ' '
}
c1=$(complete_words memtrackctl re)
c2=$(complete_words memtrackctl dump cli/v)
c3=$(complete_words memtrackctl dump cli/vpu0/)
c4=$(complete_words memtrackctl dump --so)
c5=$(complete_words memtrackctl dump --sort "")
c6=$(complete_words memtrackctl reset-peak ot)
echo "# completions: [$c1] [$c2] [$c3] [$c4] [$c5] [$c6]"
[ "$c1" = "reset-peak " ] && [ "$c2" = "cli/vpu0/ " ] &&
	[ "$c3" = "cli/vpu0/dpb cli/vpu0/s1 " ] && [ "$c4" = "--sort " ] &&
	[ "$c5" = "name peak size " ] && [ "$c6" = "other " ]
check $? "bash completion: subcommands, options, sort keys, live node paths"

# ---- unload ---------------------------------------------------------------------------
rmmod memtrack_exerciser && rmmod memtrack
check $? "rmmod"
expect_err 2 "$MSG_NOMOD" "after rmmod: dump exits 2 again" "$bin" dump

rm -rf "$tmp"
echo "1..$n"
[ $failed -eq 0 ]
