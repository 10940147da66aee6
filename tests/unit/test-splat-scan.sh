#!/bin/bash
# Unit test of tests/vm/splat-scan: every kind of kernel splat is caught,
# clean boot logs are not.
set -euo pipefail
scan=$(cd "$(dirname "$0")/../vm" && pwd)/splat-scan
fails=0 n=0

expect() { # expect 0|1 DESCRIPTION <<< log
	local want=$1 desc=$2 got=0 out
	n=$((n + 1))
	out=$("$scan") || got=$?
	if [ "$got" -eq "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $got, expected $want; printed: $out)"
		fails=$((fails + 1))
	fi
}

while IFS= read -r line; do
	[ -n "$line" ] || continue
	expect 1 "detects: $line" <<<"[    1.000000] booting
[   12.345678] $line
[   12.400000] more"
done <<'SPLATS'
WARNING: CPU: 0 PID: 162 at drivers/foo.c:8 foo_init+0x2c/0xff0 [foo]
------------[ cut here ]------------
BUG: kernel NULL pointer dereference, address: 0000000000000008
BUG: unable to handle page fault for address: ffffc90000a3b000
BUG kmalloc-64 (Tainted: G           O E     ): Poison overwritten
BUG kmalloc-128 (Not tainted): Object already free
kernel BUG at mm/slub.c:435!
Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI
Oops: 0002 [#1] PREEMPT SMP NOPTI
general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI
KFENCE: use-after-free read in memtrack_node_put+0x12/0x40 [memtrack]
KFENCE: out-of-bounds write in foo+0x1/0x2
Kernel panic - not syncing: Fatal exception
list_add corruption. prev->next should be next (ffff888003a1c0a8), but was 0000000000000000. (prev=ffff888003a1c0a8).
list_del corruption, ffff888004b2c010->next is LIST_POISON1 (dead000000000100)
Slab corruption (Tainted: G O): kmalloc-64 start=ffff888003a1c000, len=64
Redzone overwritten
Poison overwritten
rcu: INFO: rcu_preempt self-detected stall on CPU
rcu: INFO: rcu_sched detected stalls on CPUs/tasks:
INFO: task insmod:123 blocked for more than 120 seconds.
watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [insmod:99]
Call Trace:
UBSAN: array-index-out-of-bounds in drivers/foo.c:12:3
refcount_t: underflow; use-after-free.
SPLATS


expect 0 "empty log" </dev/null
expect 0 "clean 6.12 boot" <<'EOF2'
[    0.000000] ** This system shows unhashed kernel memory addresses   **
[    0.044000] tsc: Unable to calibrate against PIT
[    1.092995] acpi PNP0A03:00: fail to add MMCONFIG information, can't access extended configuration space under this bridge
[    3.864479] amd_pstate: the _CPC object is not present in SBIOS or ACPI disabled
[    6.975154] memtrack-vm: running job /work/main/build/vm/logs/x/cmd on 6.12.95+deb12-amd64 (fast mode)
[    7.100000] memtrack: loading out-of-tree module taints kernel.
[    7.100001] memtrack: module verification failed: signature and/or required key missing - tainting kernel
[    7.200000] kfence: initialized - using 2097152 bytes for 255 objects at 0x(____ptrval____)-0x(____ptrval____)
[    8.463916] memtrack-vm: job finished, exit=0 tainted=12288
[    8.741270] reboot: Power down
EOF2
expect 0 "carriage returns and no timestamps" <<<$'plain line\r\nanother\r'
expect 1 "splat behind a carriage return" <<<$'ok\r\n[    2.000000] WARNING: CPU: 1 PID: 1 at x.c:1 f+0x0/0x1\r'
expect 1 "slub BUG at line start without timestamp" <<<'BUG kmalloc-64 (Not tainted): Redzone overwritten'

# Negative cases that must stay clean: words that merely contain a pattern.
expect 0 "BUGS in a word is not a splat" <<<'[    1.0] debugfs: DEBUGGER_BUGS_OK'

echo "1..$n"
[ "$fails" -eq 0 ]
