#!/bin/bash
# Unit test (TAP) of tests/vm/splat-scan: every kind of kernel splat is
# caught, harmless look-alikes and clean boot logs (also of a debug kernel)
# are not, and the scanner fails closed (exit 2) when it cannot scan.
set -euo pipefail
export LC_ALL=C # as in the scanner, so the per-pattern checks agree with it
scan=$(cd "$(dirname "$0")/../vm" && pwd)/splat-scan
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

tap() { # tap DESCRIPTION [PROBLEM]: one TAP line, "not ok" if PROBLEM is set
	n=$((n + 1))
	local desc=${1//#/\\#} # a bare '#' would start a TAP directive
	if [ -z "${2:-}" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc: $2"
		fails=$((fails + 1))
	fi
}

run_scan() { # run_scan [ARG...] <<< log: sets $status, $out and $err
	# Files, not $(...): with stdin closed, the $(...) pipe would become it.
	status=0
	"$scan" "$@" >"$tmp/stdout" 2>"$tmp/stderr" || status=$?
	out=$(<"$tmp/stdout") err=$(<"$tmp/stderr")
}

expect() { # expect 0|1|2 DESCRIPTION <<< log
	local want=$1 desc=$2
	run_scan
	tap "$desc" "$([ "$status" -eq "$want" ] ||
		echo "exit $status, expected $want; printed: $out; stderr: $err")"
}

# row PATTERN SPLAT NEAR-MISS
# PATTERN is an entry of the scanner's PATTERNS, exactly as --patterns prints
# it. SPLAT is a console line the scanner must report, and PATTERN itself
# must match it (so that the row fails when PATTERN breaks, even if another
# pattern happens to catch the line too). NEAR-MISS shares words with
# PATTERN but is harmless: the scanner must not report it.
covered=
row() {
	local pat=$1 splat=$2 miss=$3 problem=
	covered+=$pat$'\n'
	run_scan <<<"[    1.000000] booting
[   12.345678] $splat
[   12.400000] more"
	if [ "$status" -ne 1 ] || [ "$out" != "$splat" ]; then
		problem="exit $status, printed: $out; stderr: $err"
	elif ! grep -qaE -- "$pat" <<<"$splat"; then
		problem="reported, but not by this pattern"
	fi
	tap "reports: $splat  [$pat]" "$problem"
	run_scan <<<"[   12.345678] $miss"
	tap "ignores: $miss  [$pat]" "$([ "$status" -eq 0 ] ||
		echo "exit $status, printed: $out; stderr: $err")"
}

# WARN(), BUG(), oopses and other die()s, panics, lockups
row 'WARNING: CPU' \
	'WARNING: CPU: 0 PID: 162 at drivers/foo.c:8 foo_init+0x2c/0xff0 [foo]' \
	'WARNING: The mand mount option has been deprecated and'
row '-+\[ cut here \]-+' \
	'------------[ cut here ]------------' \
	'------------[ memtrack-vm: job output ]------------'
row '\<BUG:' \
	'BUG: kernel NULL pointer dereference, address: 0000000000000008' \
	'memtrack-vm: DEBUG: job environment follows'
row '\<BUG:' \
	'BUG: unable to handle page fault for address: ffffc90000a3b000' \
	'debugfs: DEBUGGER_BUGS_OK'
row '\<BUG:' \
	'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [insmod:99]' \
	'watchdog: Disabling watchdog on nohz_full cores by default'
row '\<BUG:' \
	'BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283' \
	'memtrack-vm: running job tests/sleeping-function-context/cmd'
row '\<BUG:' \
	'BUG: KCSAN: data-race in memtrack_node_put / memtrack_node_get' \
	'memtrack-vm: kernel built with KCSAN, KMSAN'
row '^BUG ' \
	'BUG kmalloc-64 (Tainted: G           O E     ): Poison overwritten' \
	'memtrack-vm: BUG kmalloc-64 is what this job provokes'
row '^BUG ' \
	'BUG kmalloc-128 (Not tainted): Object already free' \
	'BUG_ON() checks: enabled'
row 'kernel BUG at' \
	'kernel BUG at mm/slub.c:435!' \
	'memtrack-vm: kernel BUGs are fatal in this job'
row 'Oops' \
	'Oops: 0002 [#1] PREEMPT SMP NOPTI' \
	'Kernel command line: console=ttyS0 oops=panic panic_on_warn=1'
row 'Oops' \
	'Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI' \
	'memtrack-vm: job oops-free, exit=0'
row 'general protection fault' \
	'general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP NOPTI' \
	'memtrack-vm: running job tests/general-protection/cmd'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'invalid opcode: 0000 [#1] PREEMPT SMP NOPTI' \
	'memtrack-vm: this job expects an invalid opcode: 0000 in its log'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'divide error: 0000 [#1] PREEMPT SMP NOPTI' \
	'pci 0000:00:01.1: [8086:7010] type 00 class 0x010180 conventional PCI endpoint'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'stack segment: 0000 [#1] PREEMPT SMP NOPTI' \
	'x86/fpu: Supporting XSAVE feature 0x002: '"'"'SSE registers'"'"
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'double fault: 0000 [#2] PREEMPT SMP NOPTI' \
	'x86/fpu: xstate_offset[2]:  576, xstate_sizes[2]:  256'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'int3: 0000 [#1] SMP' \
	'int3 selftest: passed'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'alignment check: 0000 [#1] SMP' \
	'x86/split lock detection: #AC: crashing the kernel on kernel split_locks and warning on user-space split_locks'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'segment not present: 0000 [#1] SMP' \
	'virtio_blk virtio1: [vda] 4194304 512-byte logical blocks (2.15 GB/2.00 GiB)'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'invalid TSS: 0000 [#1] SMP' \
	'smp: Brought up 1 node, 2 CPUs'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'coprocessor segment overrun: 0000 [#1] SMP' \
	'ACPI: \_SB_.LNKA: Enabled at IRQ 11'
row ': [0-9a-f]+ \[#[0-9]+\]' \
	'Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP' \
	'serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A'
row 'Unable to handle kernel' \
	'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008' \
	'tsc: Unable to calibrate against PIT'
row 'Kernel panic' \
	'Kernel panic - not syncing: Fatal exception' \
	'Kernel command line: console=ttyS0 panic=-1'
row 'hard LOCKUP' \
	'Watchdog detected hard LOCKUP on cpu 1' \
	'NMI watchdog: Perf NMI watchdog permanently disabled'
row 'hard LOCKUP' \
	'NMI watchdog: Watchdog detected hard LOCKUP on cpu 0' \
	"systemd[1]: Using hardware watchdog 'i6300ESB', version 0, device /dev/watchdog0"
row 'hard LOCKUP' \
	'watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 1' \
	'NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.'

# sanitizers, slub and list debugging
row 'KFENCE:' \
	'KFENCE: use-after-free read in memtrack_node_put+0x12/0x40 [memtrack]' \
	'kfence: initialized - using 2097152 bytes for 255 objects at 0x(____ptrval____)-0x(____ptrval____)'
row 'KFENCE:' \
	'KFENCE: out-of-bounds write in foo+0x1/0x2' \
	'memtrack-vm: KFENCE sample interval 100ms'
row 'KASAN:' \
	'KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]' \
	'kasan: KernelAddressSanitizer initialized (generic)'
row 'KASAN:' \
	'BUG: KASAN: slab-use-after-free in memtrack_node_put+0x2c/0x90 [memtrack]' \
	'KernelAddressSanitizer initialized (hw-tags, mode=sync, vmalloc=on, stacktrace=on)'
row 'UBSAN:' \
	'UBSAN: array-index-out-of-bounds in drivers/foo.c:12:3' \
	'memtrack-vm: kernel built with UBSAN, KASAN and KFENCE'
row 'list_add corruption' \
	'list_add corruption. prev->next should be next (ffff888003a1c0a8), but was 0000000000000000. (prev=ffff888003a1c0a8).' \
	'    ok 3 list_test_list_add'
row 'list_del corruption' \
	'list_del corruption, ffff888004b2c010->next is LIST_POISON1 (dead000000000100)' \
	'    ok 9 list_test_list_del_init'
row '[Ss]lab corruption' \
	'Slab corruption (Tainted: G O): kmalloc-64 start=ffff888003a1c000, len=64' \
	'memtrack-vm: checking for slab leaks and corruption'
row 'Poison overwritten' \
	'Poison overwritten' \
	'Kernel command line: console=ttyS0 page_poison=on slub_debug=FZPU'
row 'Redzone' \
	'Redzone overwritten' \
	'memtrack-vm: slub_debug redzones enabled'
row 'Object already free' \
	'Object already free' \
	"memtrack: node object already freed by its tree"
row 'Freepointer corrupt' \
	'Freepointer corrupt' \
	'memtrack-vm: Freepointer checks enabled'
row 'Padding overwritten' \
	'Padding overwritten. 0xffff888003a1cfe0-0xffff888003a1cfff @offset=4064' \
	'memtrack-vm: Padding checked, nothing overwritten'
row 'refcount_t: ' \
	'refcount_t: underflow; use-after-free.' \
	'memtrack: refcount_t saturation checks enabled'

# lockdep and RCU debugging
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: possible circular locking dependency detected' \
	'Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: possible recursive locking detected' \
	'... MAX_LOCKDEP_SUBCLASSES:  8'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: inconsistent lock state' \
	' memory used by lock dependency info: 6365 kB'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: bad unlock balance detected!' \
	'WARNING: The mand mount option has been deprecated and'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: possible irq lock inversion dependency detected' \
	'                     A-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: lock held when returning to user space!' \
	'memtrack-vm: WARNING: lock file /run/memtrackd.lock exists'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected' \
	'WARNING: block device vda is read-only'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: memtrackd/212 still has locks held!' \
	'WARNING: clocksource tsc unstable'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: held lock freed!' \
	'Good, all 261 testcases passed! |'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: bad contention detected!' \
	'memtrack-vm: no lock contention detected'
row '^WARNING: .*(\<(un)?lock|chain_key|contention)' \
	'WARNING: chain_key collision' \
	'... CHAINHASH_SIZE:          32768'
row 'suspicious RCU usage' \
	'WARNING: suspicious RCU usage' \
	'rcu: 	RCU lockdep checking is enabled.'
row 'suspicious RCU usage' \
	'[ INFO: suspicious RCU usage. ]' \
	'Running RCU self tests'

# kmemleak
row 'kmemleak: [0-9]+ new suspected memory leaks' \
	'kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)' \
	'kmemleak: Kernel memory leak detector initialized (mem pool available: 15704)'
row 'kmemleak: [0-9]+ new suspected memory leaks' \
	'kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)' \
	'kmemleak: Automatic memory scanning thread started'
row 'unreferenced object 0x' \
	'kmemleak: unreferenced object 0xffff888003a1c000 (size 64):' \
	'memtrack-vm: 0 unreferenced objects at exit'

# stalls and hung tasks
row 'rcu: INFO:' \
	'rcu: INFO: rcu_preempt self-detected stall on CPU' \
	'rcu: Hierarchical RCU implementation.'
row 'self-detected stall' \
	'rcu: 	1-....: (21002 ticks this GP) idle=a3c/1/0x4000000000000000 softirq=1230/1230 fqs=5231 self-detected stall' \
	'rcu: 	RCU CPU stall warnings timeout set to 21 (rcu_cpu_stall_timeout).'
row 'detected stalls' \
	'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:' \
	'memtrack-vm: no stalls detected'
row 'blocked for more than' \
	'INFO: task insmod:123 blocked for more than 120 seconds.' \
	'memtrack-vm: job blocked for 2s waiting for the console'
row 'Call Trace:' \
	'Call Trace:' \
	'ftrace: allocating 45270 entries in 177 pages'

# memtrack's own leak report
row "memtrack: tree '.*' was never destroyed" \
	"memtrack: tree 'vpu0' was never destroyed; freeing it" \
	"memtrack: tree 'x' destroyed"

# crashed user programs
row '\[[0-9]+\]: segfault at [0-9a-f]+ ip ' \
	'memtrackd[212]: segfault at 0 ip 000055d0c0a1b2c3 sp 00007ffd12345678 error 4 in memtrackd[55d0c0a00000+20000]' \
	'test-segfault-handler: ok'
row '\[[0-9]+\]: segfault at [0-9a-f]+ ip ' \
	'a.out[99]: segfault at 7f2a00000000 ip 00007f2a1b2c3d4e sp 00007ffd12345678 error 6 in libc.so.6[7f2a1b200000+155000] likely on CPU 1 (core 1, socket 0)' \
	'memtrackd[212]: segfault handler installed'
row 'traps: .*\[[0-9]+\] .*ip:[0-9a-f]+ sp:[0-9a-f]+ error:' \
	'traps: memtrackd[212] trap invalid opcode ip:55d0c0a1b2c3 sp:7ffd12345678 error:0 in memtrackd[55d0c0a00000+20000]' \
	'x86/split lock detection: #AC: memtrackd/212 took a split_lock trap at address: 0x55d0c0a1b2c3'
row 'traps: .*\[[0-9]+\] .*ip:[0-9a-f]+ sp:[0-9a-f]+ error:' \
	'traps: memtrackd[212] general protection fault ip:55d0c0a1b2c3 sp:7ffd12345678 error:0 in memtrackd[55d0c0a00000+20000]' \
	'traps: memtrackd[212] trap int3 handled by the debugger'
row 'traps: .*\[[0-9]+\] .*ip:[0-9a-f]+ sp:[0-9a-f]+ error:' \
	'traps: a.out[99] trap divide error ip:401136 sp:7ffc5a3e1f30 error:0 in a.out[401000+1000]' \
	'traps: memtrack-vm: show_unhandled_signals=1'
row 'traps: .*\[[0-9]+\] .*ip:[0-9a-f]+ sp:[0-9a-f]+ error:' \
	'traps: x[1] trap int3 ip:401137 sp:7ffc5a3e1f30 error:0 in x[401000+1000]' \
	'umip: memtrackd[212] ip:55d0c0a1b2c3 sp:7ffd12345678: For now, expensive software emulation returns the result.'

# Every pattern has a row, and every row's pattern is a pattern.
run_scan --patterns
patterns=$out
tap "splat-scan --patterns lists patterns" "$([ "$status" -eq 0 ] &&
	[ "$(wc -l <<<"$patterns")" -ge 30 ] || echo "exit $status, printed: $out")"
missing=
while IFS= read -r pat; do
	grep -qxF -- "$pat" <<<"$covered" || missing+=" '$pat'"
done <<<"$patterns"
tap "every pattern has a row" "${missing:+no row for$missing}"
stale=
while IFS= read -r pat; do
	[ -z "$pat" ] || grep -qxF -- "$pat" <<<"$patterns" || stale+=" '$pat'"
done < <(sort -u <<<"$covered")
tap "every row is for a pattern" "${stale:+not a pattern:$stale}"

# Whole logs.
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
# What a kernel with KASAN, lockdep (and its selftests), kmemleak, UBSAN,
# KFENCE, DEBUG_OBJECTS, DEBUG_WX... prints at boot, plus the harmless noise
# a slow debug VM makes.
expect 0 "clean debug kernel boot" <<'EOF2'
[    0.000000] Linux version 6.12.0-memtrack-debug (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC
[    0.000000] Kernel command line: console=ttyS0 panic=-1 oops=panic kasan.fault=report kmemleak=on slub_debug=FZPU page_poison=on debug_objects
[    0.000000] kfence: initialized - using 2097152 bytes for 255 objects at 0x(____ptrval____)-0x(____ptrval____)
[    0.000000] kasan: KernelAddressSanitizer initialized (generic)
[    0.000000] stackdepot: allocating hash table via alloc_large_system_hash
[    0.000000] stackdepot hash table entries: 1048576 (order: 11, 8388608 bytes, linear)
[    0.000000] mem auto-init: stack:all(zero), heap alloc:on, heap free:on
[    0.000000] mem auto-init: clearing system memory may take some time...
[    0.000000] SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=2, Nodes=1
[    0.000000] ODEBUG: selftest passed
[    0.000000] ODEBUG: 1142 of 1142 active objects replaced
[    0.000000] rcu: Preemptible hierarchical RCU implementation.
[    0.000000] rcu: 	RCU lockdep checking is enabled.
[    0.000000] rcu: 	RCU restricting CPUs from NR_CPUS=8192 to nr_cpu_ids=2.
[    0.000000] rcu: 	RCU callback double-/use-after-free debug is enabled.
[    0.000000] rcu: 	RCU debug extended QS entry/exit.
[    0.000000] rcu: RCU calculated value of scheduler-enlistment delay is 25 jiffies.
[    0.000000] Running RCU self tests
[    0.000000] Running RCU synchronous self tests
[    0.000000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
[    0.000000] ... MAX_LOCKDEP_SUBCLASSES:  8
[    0.000000] ... MAX_LOCK_DEPTH:          48
[    0.000000] ... MAX_LOCKDEP_KEYS:        8192
[    0.000000] ... CLASSHASH_SIZE:          4096
[    0.000000] ... MAX_LOCKDEP_ENTRIES:     32768
[    0.000000] ... MAX_LOCKDEP_CHAINS:      65536
[    0.000000] ... CHAINHASH_SIZE:          32768
[    0.000000]  memory used by lock dependency info: 6365 kB
[    0.000000]  memory used for stack traces: 4224 kB
[    0.000000]  per task-struct memory footprint: 1920 bytes
[    0.000000] ------------------------
[    0.000000] | Locking API testsuite:
[    0.000000] ----------------------------------------------------------------------------
[    0.000000]                                  | spin |wlock |rlock |mutex | wsem | rsem |rtmutex
[    0.000000]   --------------------------------------------------------------------------
[    0.000000]                      A-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |
[    0.000000]                  A-B-B-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |
[    0.000000]                     double unlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |
[    0.000000]                   initialize held:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |
[    0.000000]   recursive read-lock:             |  ok  |             |  ok  |
[    0.000000]       hard-irqs-on + irq-safe-A/12:  ok  |  ok  |  ok  |
[    0.000000]   --------------------------------------------------------------------------
[    0.000000] Good, all 261 testcases passed! |
[    0.000000] ---------------------------------
[    0.120000] Running RCU-tasks wait API self tests
[    0.300000] NMI watchdog: Perf NMI watchdog permanently disabled
[    0.400000] smp: Brought up 1 node, 2 CPUs
[    0.500000] debug_vm_pgtable: [debug_vm_pgtable         ]: Validating architecture page table helpers
[    1.800000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15704)
[    1.800001] kmemleak: Automatic memory scanning thread started
[    2.000000] Freeing unused kernel image (initmem) memory: 4096K
[    2.100000] Write protecting the kernel read-only data: 32768k
[    2.200000] x86/mm: Checked W+X mappings: passed, no W+X pages found.
[    2.200001] rodata_test: all tests were successful
[    2.300000] KTAP version 1
[    2.300001]     # Subtest: list-kernel-test
[    2.300002]     ok 3 list_test_list_add
[    2.300003]     ok 9 list_test_list_del_init
[    2.300004] # list-kernel-test: pass:40 fail:0 skip:0 total:40
[    2.300005] ok 1 list-kernel-test
[    3.000000] systemd[1]: Using hardware watchdog 'i6300ESB', version 0, device /dev/watchdog0
[    3.000001] systemd[1]: Watchdog running with a timeout of 10min.
[    5.000000] clocksource: timekeeping watchdog on CPU1: Marking clocksource 'tsc' as unstable because the skew is too large:
[    5.100000] hrtimer: interrupt took 3954211 ns
[    5.200000] sched: RT throttling activated
[    5.300000] workqueue: drm_fb_helper_damage_work hogged CPU for >10000us 4 times, consider switching to WQ_UNBOUND
[    6.975154] memtrack-vm: running job /work/main/build/vm/logs/x/cmd on 6.12.0-memtrack-debug (fast mode)
[    7.100000] memtrack: loading out-of-tree module taints kernel.
[    8.463916] memtrack-vm: job finished, exit=0 tainted=12288
[    8.741270] reboot: Power down
EOF2
expect 0 "carriage returns and no timestamps" <<<$'plain line\r\nanother\r'
expect 1 "splat behind a carriage return" <<<$'ok\r\n[    2.000000] WARNING: CPU: 1 PID: 1 at x.c:1 f+0x0/0x1\r'
expect 1 "slub BUG at line start without timestamp" <<<'BUG kmalloc-64 (Not tainted): Redzone overwritten'
expect 1 "anchored pattern behind a CONFIG_PRINTK_CALLER tag" \
	<<<'[    2.000000][    T1] WARNING: possible recursive locking detected'
expect 0 "BUGS in a word is not a splat" <<<'[    1.0] debugfs: DEBUGGER_BUGS_OK'

# Exactly the offending lines are printed, without timestamps or CRs.
run_scan <<<$'[    1.000000] booting\r
[   12.345678] ======================================================\r
[   12.345679] WARNING: possible circular locking dependency detected\r
[   12.345680] 6.12.0-memtrack-debug #1 Tainted: G           O\r
[   12.345681] ------------------------------------------------------\r
[   13.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\r
[   13.100000] reboot: Power down\r'
tap "prints the offending lines, stripped" "$([ "$status" -eq 1 ] &&
	[ "$out" = $'WARNING: possible circular locking dependency detected\nkmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)' ] ||
	echo "exit $status, printed: $out")"

# Fail closed: when the log cannot be scanned, exit 2 and say why.
fail_closed() { # fail_closed DESCRIPTION: checks the last run_scan
	tap "$1" "$([ "$status" -eq 2 ] && [[ $err == *"splat-scan: "* ]] ||
		echo "exit $status, expected 2; printed: $out; stderr: $err")"
}
run_scan </
fail_closed "stdin is a directory: exit 2"
run_scan <&-
fail_closed "stdin is closed: exit 2"
status=0
"$scan" >/dev/full 2>"$tmp/stderr" <<<'Oops: 0002 [#1] SMP' || status=$?
out=/dev/full err=$(<"$tmp/stderr")
fail_closed "found lines cannot be printed: exit 2"
run_scan --no-such-option </dev/null
fail_closed "unknown argument: exit 2"
# A copy of the scanner with an invalid regexp first in PATTERNS.
sed "s/^PATTERNS=(\$/&\n\t'(unbalanced'/" "$scan" >"$tmp/splat-scan"
chmod +x "$tmp/splat-scan"
grep -q unbalanced "$tmp/splat-scan" || { echo "Bail out! no bad pattern"; exit 1; }
scan=$tmp/splat-scan
run_scan <<<'[    1.000000] clean line'
fail_closed "bad pattern, clean log: exit 2"
run_scan <<<'[    1.000000] Oops: 0002 [#1] SMP'
fail_closed "bad pattern, splat in log: exit 2"

echo "1..$n"
[ "$fails" -eq 0 ]
