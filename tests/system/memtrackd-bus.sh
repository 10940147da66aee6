#!/bin/bash
# vm: --timeout 600
# System mode: memtrackd under systemd, on the real system bus and the real
# journal.  The service reports READY; busctl sees the manager, the node
# objects, their properties and PropertiesChanged; a threshold rule raises
# and clears an alert (journal entries with their MESSAGE_ID and fields,
# and the D-Bus signals); a bad config is refused with file:line and the
# old one stays; unprivileged callers may read but not ResetPeak or Reload;
# GetHistory shows what happened; and the Prometheus export is read by the
# real node exporter.  Output: TAP.
set -u

ko=${MEMTRACK_KO_DIR:?}
tmp=$(mktemp -d)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source=tests/lib/daemon.sh
. "$(dirname "$0")/../lib/daemon.sh"
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# alert_listed PATH RULE: ListAlerts has an alert of RULE on PATH
alert_listed() {
	mgr ListAlerts | jqe --arg p "$1" --arg r "$2" '.data[0] | any(.[0] == $p and .[1] == $r)'
}
# reloads: how many times the daemon logged "configuration reloaded"
reloads() { journalctl --no-pager -q -u memtrackd.service -o cat | grep -c '^configuration reloaded'; }

wait_service
check $? "memtrackd.service is active (Type=notify: READY=1 was sent)"

systemctl show -p StatusText --value memtrackd.service | grep -q '^Tracking [0-9]* nodes'
check $? "STATUS= says it is tracking nodes: $(systemctl show -p StatusText --value memtrackd.service)"

[ "$(systemctl show -p User --value memtrackd.service)" = memtrack ] &&
	[ "$(ps -o user= -p "$(systemctl show -p MainPID --value memtrackd.service)")" = memtrack ]
check $? "it runs as user memtrack"

[ "$(prop State)" = attached ] && [ "$(prop Attachments)" = 1 ]
check $? "State is attached (the module was loaded at boot by modules-load.d)"

insmod "$ko/tests/memtrack_exerciser.ko"
check $? "insmod memtrack_exerciser.ko"

gdbus monitor --system --dest "$MTD_DEST" >"$tmp/signals" 2>&1 &
monitor=$!
# The history check below wants a sample at 0: add only once the daemon
# has seen the node empty (its add event carries the values at sending).
cmd create dev0 && cmd create dev0/s1 && until_true 20 bytes_is dev0/s1 0 && cmd add dev0/s1 4096
until_true 20 bytes_is dev0/s1 4096
check $? "GetNode(dev0/s1) reports the 4096 bytes added in the kernel"

id=$(kernel_field dev0/s1 id)
obj=$MTD_OBJ/node/$id
busctl --system --timeout=5 tree "$MTD_DEST" 2>/dev/null | grep -q "$obj\$"
check $? "busctl tree lists the node object $obj (enumerator)"

busctl --system --timeout=5 --json=short call "$MTD_DEST" "$MTD_OBJ" org.freedesktop.DBus.ObjectManager \
	GetManagedObjects >"$tmp/objects" &&
	jqe --arg o "$obj" '.data[0][$o]["org.memtrack.MemTrack1.Node"].Path.data == "dev0/s1"' \
		<"$tmp/objects" >/dev/null
check $? "GetManagedObjects has the node with its Path"

p() { busctl --system --timeout=5 --json=short get-property "$MTD_DEST" "$obj" "$MTD_NODE" "$1" | jq -r .data; }
[ "$(p Id)" = "$id" ] && [ "$(p Name)" = s1 ] && [ "$(p Bytes)" = 4096 ] &&
	[ "$(p SelfBytes)" = 4096 ] && [ "$(p PeakBytes)" = 4096 ] && [ "$(p AlertLevel)" = 0 ] &&
	[ "$(p Parent)" = "$MTD_OBJ/node/$(kernel_field dev0 id)" ]
check $? "node properties Id, Name, Bytes, SelfBytes, PeakBytes, AlertLevel, Parent"

cmd add dev0/s1 1000
until_true 20 grep -q "$obj: org.freedesktop.DBus.Properties.PropertiesChanged.*'Bytes': <uint64 5096>" "$tmp/signals"
check $? "PropertiesChanged carries the new Bytes (5096)"

# Coalescing: at most 4 signals per second (the default) for 50 changes.
# The changes come back to back (no sleep(1) between them: on a loaded
# machine each fork took half a second, and 50 changes spread over 28 s
# cannot coalesce).
before=$(grep -c "$obj: org.freedesktop.DBus.Properties.PropertiesChanged" "$tmp/signals")
start=$SECONDS
for i in $(seq 1 50); do cmd add dev0/s1 1; done
until_true 20 grep -q "'Bytes': <uint64 5146>" "$tmp/signals"
last=$?
secs=$((SECONDS - start + 1))
after=$(grep -c "$obj: org.freedesktop.DBus.Properties.PropertiesChanged" "$tmp/signals")
[ $last -eq 0 ] && [ $((after - before)) -ge 1 ] && [ $((after - before)) -le $((4 * secs + 1)) ] &&
	[ $((after - before)) -lt 50 ]
check $? "50 changes in ${secs}s gave $((after - before)) PropertiesChanged (<= 4/s), the last with the final Bytes"

# A threshold rule, loaded through Reload.
mkdir -p /etc/memtrackd.conf.d
cat >/etc/memtrackd.conf.d/50-test.conf <<CONF
[Daemon]
SaveIntervalSec=2

[Rule]
Name=s1-big
Match=dev0/s1
Raise=1M
Clear=512K
CONF
mgr Reload >/dev/null
check $? "Reload (as root) accepts the rule"

cmd set dev0/s1 2097152
until_true 20 eval '[ -n "$(journal_json $MTD_MSG_RAISED)" ]'
journal_json $MTD_MSG_RAISED | tail -n1 >"$tmp/raised.json"
jqe '.MEMTRACK_NODE == "dev0/s1" and .MEMTRACK_BYTES == "2097152" and
	.MEMTRACK_THRESHOLD == "1048576" and .MEMTRACK_RULE == "s1-big" and .PRIORITY == "4"' \
	<"$tmp/raised.json" >/dev/null
check $? "journal: raise entry with MESSAGE_ID, PRIORITY=4 and the MEMTRACK_* fields"
until_true 10 grep -q "AlertRaised ('dev0/s1', 's1-big', byte 0x64, uint64 2097152, uint64 1048576)" "$tmp/signals"
check $? "the AlertRaised signal arrives"

[ "$(p AlertLevel)" = 100 ] &&
	mgr ListAlerts | jqe '.data[0] | length == 1 and .[0][0] == "dev0/s1" and .[0][1] == "s1-big" and
		.[0][2] == 100 and .[0][3] == 2097152 and .[0][4] == 1048576' >/dev/null
check $? "AlertLevel is 100 and ListAlerts lists the alert"

# Text that only the catalog (systemd/memtrackd.catalog, compiled by
# journalctl --update-catalog) has, never the entry's MESSAGE ("dev0/s1:
# 2097152 bytes reached the raise level ..."): -x adds the catalog's Subject
# and body to the entry, with the entry's own fields filled in; and the
# compiled catalog lists the raise id.
journalctl --no-pager -x "MESSAGE_ID=$MTD_MSG_RAISED" >"$tmp/explained" 2>&1
grep -q 'Subject: Memory alert raised for dev0/s1$' "$tmp/explained" &&
	grep -q 'at or above the raise threshold of 1048576 bytes of rule$' "$tmp/explained" &&
	journalctl --no-pager --list-catalog "$MTD_MSG_RAISED" 2>&1 | grep -q "^$MTD_MSG_RAISED .*Memory alert raised for"
rc=$?
check $rc "the catalog explains the entry (journalctl -x: its Subject and text, the entry's fields filled in)"
[ $rc -eq 0 ] || tail -n 20 "$tmp/explained" | sed 's/^/# /'

# Hysteresis: only once the daemon has seen 600000 (below Raise, above
# Clear) does "still raised" mean anything.
cmd set dev0/s1 600000
until_true 20 bytes_is dev0/s1 600000 && [ "$(p AlertLevel)" = 100 ] && alert_listed dev0/s1 s1-big &&
	[ -z "$(journal_json $MTD_MSG_CLEARED)" ]
check $? "between Clear and Raise (hysteresis) the alert stays raised: at 600000 bytes AlertLevel 100, listed, no clear entry"

cmd set dev0/s1 262144
until_true 20 eval '[ -n "$(journal_json $MTD_MSG_CLEARED)" ]'
journal_json $MTD_MSG_CLEARED | tail -n1 | jqe '.MEMTRACK_NODE == "dev0/s1" and
	.MEMTRACK_BYTES == "262144" and .MEMTRACK_THRESHOLD == "524288" and .PRIORITY == "5"' >/dev/null
check $? "journal: clear entry with PRIORITY=5 and the clear threshold"
until_true 10 grep -q "AlertCleared ('dev0/s1', 's1-big', byte 0x64, uint64 262144, uint64 524288)" "$tmp/signals"
check $? "the AlertCleared signal arrives"
# The history check below wants a 1 s slot that ends at 262144.
sleep 1.1
[ "$(mgr ListAlerts | jq '.data[0] | length')" = 0 ] && [ "$(p AlertLevel)" = 0 ]
check $? "no alert listed and AlertLevel back to 0"

# A bad drop-in: refused with file:line, the last good config stays.
printf '[Rule]\nName=bad\nMatch=*\nRaise=1M\nClear=2M\n' >/etc/memtrackd.conf.d/60-bad.conf
mgr Reload >"$tmp/reload.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q '/etc/memtrackd.conf.d/60-bad.conf:[0-9]' "$tmp/reload.out"
check $? "Reload with Clear >= Raise fails naming file:line: $(head -c 200 "$tmp/reload.out")"
cmd set dev0/s1 3000000
until_true 20 eval '[ "$(journal_json $MTD_MSG_RAISED | wc -l)" -ge 2 ]'
check $? "the previous rule is still in force after the failed reload"
rm /etc/memtrackd.conf.d/60-bad.conf

# systemctl reload (ExecReload= sends SIGHUP): a rule added just before
# must be in force after it (dev0/s1, at 3000000, is above its Raise), and
# the daemon logs one more "configuration reloaded" than before.
before=$(reloads)
printf '[Rule]\nName=s1-sighup\nMatch=dev0/s1\nRaise=2M\nClear=1M\n' >/etc/memtrackd.conf.d/55-sighup.conf
! alert_listed dev0/s1 s1-sighup && systemctl reload memtrackd.service &&
	until_true 20 alert_listed dev0/s1 s1-sighup && until_true 10 eval '[ "$(reloads)" -gt "$before" ]'
check $? "systemctl reload (SIGHUP) reloads: the new rule s1-sighup is in force, 'configuration reloaded' $before -> $(reloads)"
rm /etc/memtrackd.conf.d/55-sighup.conf
mgr Reload >/dev/null

printf '[Daemon]\nSaveIntervalSec=soon\n' >"$tmp/bad.conf"
mkdir -p "$tmp/root/etc" && cp "$tmp/bad.conf" "$tmp/root/etc/memtrackd.conf"
out=$(memtrackd --check-config --config-root "$tmp/root" 2>&1)
[ $? -ne 0 ] && [[ $out == *"$tmp/root/etc/memtrackd.conf:2"* ]]
check $? "memtrackd --check-config reports a bad value with file:line: $out"

# Permissions: reading is for everyone, mutating for root.
nobody busctl --system --timeout=5 call "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" GetTree >/dev/null &&
	nobody busctl --system --timeout=5 call "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" GetHistory stu dev0/s1 0 0 >/dev/null
check $? "an unprivileged user may call GetTree and GetHistory"
nobody busctl --system --timeout=5 call "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" ResetPeak s dev0/s1 >"$tmp/rp" 2>&1
[ $? -ne 0 ] && grep -qi 'denied' "$tmp/rp"
check $? "an unprivileged user cannot ResetPeak: $(head -c 150 "$tmp/rp")"
nobody busctl --system --timeout=5 call "$MTD_DEST" "$MTD_OBJ" "$MTD_MGR" Reload >"$tmp/rl" 2>&1
[ $? -ne 0 ] && grep -qi 'denied' "$tmp/rl"
check $? "an unprivileged user cannot Reload: $(head -c 150 "$tmp/rl")"
nobody memtrackctl alerts >/dev/null
check $? "an unprivileged user may run memtrackctl alerts"

cmd set dev0/s1 100000
until_true 20 bytes_is dev0/s1 100000
peak=$(kernel_field dev0/s1 peak)
mgr ResetPeak s dev0/s1 >/dev/null && [ "$(kernel_field dev0/s1 peak)" = "$(kernel_field dev0/s1 total)" ] &&
	[ "$peak" != "$(kernel_field dev0/s1 peak)" ]
check $? "root may ResetPeak: the kernel's peak went from $peak to the total"
cmd set dev0/s1 3000000
until_true 20 bytes_is dev0/s1 3000000

mgr GetNode s no/such >"$tmp/nn" 2>&1
[ $? -ne 0 ] && grep -q "no node 'no/such'" "$tmp/nn"
check $? "GetNode of an unknown path: NoSuchNode"

# History: the node was created empty, went up to 3000000 and is there now.
mgr GetHistory stu dev0/s1 "$(( ($(date +%s) - 300) * 1000000 ))" 1 >"$tmp/hist"
jqe '.data[0] | (map(.[2]) | max) == 3000000 and .[-1][4] == 3000000 and
	(map(.[1]) | min) == 0 and (map(select(.[4] == 262144)) | length) > 0' <"$tmp/hist" >/dev/null
rc=$?
check $rc "GetHistory (1 s): min 0, max 3000000, a slot ending at 262144, last 3000000"
[ $rc -eq 0 ] || jq -c '.data[0][]' <"$tmp/hist" | tail -n 20 | sed 's/^/# /'
memtrackctl history dev0/s1 --since 5m -j | jqe '.samples | length > 0' >/dev/null &&
	memtrackctl history dev0/s1 --since 5m | grep -q 'max'
check $? "memtrackctl history shows the node (text and JSON)"
memtrackctl status | grep -qi 'attached'
check $? "memtrackctl status shows the daemon attached"

# Prometheus: the documented drop-in, the real node exporter.
install -d -o memtrack -g memtrack /var/lib/prometheus/node-exporter
mkdir -p /etc/systemd/system/memtrackd.service.d
printf '[Service]\nReadWritePaths=/var/lib/prometheus/node-exporter\n' \
	>/etc/systemd/system/memtrackd.service.d/prometheus.conf
printf '[Daemon]\nPrometheusFile=/var/lib/prometheus/node-exporter/memtrack.prom\nPrometheusIntervalSec=1\n' \
	>/etc/memtrackd.conf.d/70-prom.conf
systemctl daemon-reload && systemctl restart memtrackd.service && wait_service
check $? "memtrackd restarts with the Prometheus drop-in"
prometheus-node-exporter --web.listen-address=127.0.0.1:19100 --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory=/var/lib/prometheus/node-exporter \
	>"$tmp/exporter.log" 2>&1 &
exporter=$!
until_true 30 test -s /var/lib/prometheus/node-exporter/memtrack.prom
until_true 30 curl -sf http://127.0.0.1:19100/metrics -o "$tmp/metrics"
total=$(kernel_field dev0/s1 total)
# The exporter prints values as floats (3e+06): compare numerically.
metric() { awk -v m="$1" '$1 == m { print $2 + 0 }' "$tmp/metrics"; }
[ "$(metric 'memtrack_node_bytes{path="dev0/s1"}')" = "$(awk -v v="$total" 'BEGIN { print v + 0 }')" ] &&
	[ -n "$(metric 'memtrack_node_peak_bytes{path="dev0/s1"}')" ] &&
	[ "$(metric 'memtrack_alert_active{path="dev0/s1",rule="s1-big",severity="warning"}')" = 1 ] &&
	[ "$(metric node_textfile_scrape_error)" = 0 ]
check $? "node exporter serves memtrack_node_bytes, _peak_bytes and memtrack_alert_active"
[ "$failed" -eq 0 ] || { grep memtrack "$tmp/metrics" | head -5; head -5 /var/lib/prometheus/node-exporter/memtrack.prom; } | sed 's/^/# /'
kill $exporter $monitor 2>/dev/null

echo "1..$n"
[ "$failed" -eq 0 ]
