#!/bin/bash
# vm: --smp 2 --mem 1024 --timeout 600
# shellcheck disable=SC2119 # load takes optional module parameters
# In-VM test of how the memtrack netlink family refuses bad requests
# (tests/nl/mtnl-test): malformed and unknown attributes, missing and
# unknown ids, reserved header fields, unknown commands, each answered with
# the right errno and, where the kernel gives one, an extack message; a
# seeded random fuzz loop of 100,000 messages (MTNL_FUZZ_SEED,
# MTNL_FUZZ_COUNT override), after which the family still answers right;
# permissions (an unprivileged user gets EPERM for every operation and for
# the events group); a new network namespace has no such family.
# Output: TAP.
set -u
cd "${MEMTRACK_REPO:-.}" || exit 1
. tests/nl/lib.sh
need_client

load
check $? "insmod memtrack.ko and memtrack_exerciser.ko"
cmd create er && cmd create er/a && cmd add er/a 1000 && cmd alloc er/a buf 500 &&
	cmd create er/b && cmd bulk er/b 60 4 && cmd add er 7
check $? "a tree of 64 nodes"
root=$(id_of er) a=$(id_of er/a)

# ---- malformed requests ------------------------------------------------------------
"$MT" bad --id "$a" >"$T/bad"
note <"$T/bad"
# expect NAME ERRNAME EXTACK: EXTACK is msg (a message), miss (missing-attribute
# type 1 = id), none, or a regexp the message must match
expect() {
	local l msg
	l=$(grep -m1 "^bad name=$1 " "$T/bad")
	if [ -z "$l" ]; then
		check 1 "$1: no answer"
		return
	fi
	msg=$(sed -n 's/.* msg="\(.*\)"$/\1/p' <<<"$l")
	case $3 in
	msg) [ -n "$msg" ] ;;
	miss) [ "$(kv miss_type "$l")" = 1 ] ;;
	none) true ;;
	*) grep -qE -- "$3" <<<"$msg" ;;
	esac
	local ext=$?
	[ "$(kv errname "$l")" = "$2" ] && [ "$ext" = 0 ]
	check $? "$1: $2${3:+ with extack $3} (got $(kv errname "$l") '$msg' miss_type=$(kv miss_type "$l"))"
}
expect valid_get OK none
[ "$(kv msgs "$(grep '^bad name=valid_get ' "$T/bad")")" = 1 ]
check $? "valid_get: one reply"
expect get_missing_id EINVAL miss
expect reset_missing_id EINVAL miss
expect get_id_u32 EINVAL msg
expect get_id_u16 EINVAL msg
expect get_id_12_bytes EINVAL msg
expect get_id_empty EINVAL msg
expect get_id_0 ERANGE "out of range"
expect reset_id_0 ERANGE "out of range"
expect dump_id_0 ERANGE "out of range"
expect get_unknown_id ENOENT "no node with this id"
expect reset_unknown_id ENOENT "no node with this id"
if [ "$dump_start_extack" = 1 ]; then
	expect dump_unknown_id ENOENT "no node with this id"
else
	expect dump_unknown_id ENOENT none # this kernel drops a dump start's extack
fi
expect dump_id_u32 EINVAL msg
expect dump_max_depth_u64 EINVAL msg
expect get_do_max_depth EINVAL msg
expect reset_max_depth EINVAL msg
expect get_unknown_attr_200 EINVAL msg
expect dump_unknown_attr_max_plus_1 EINVAL msg
expect dump_reply_only_attr_parent_id EINVAL msg
expect get_name_attr EINVAL msg
expect get_oversize_unterminated_name EINVAL msg
expect dump_oversize_unterminated_comm EINVAL msg
expect get_attr_len_past_end EINVAL msg
expect get_attr_len_below_header EINVAL msg
expect get_id_nested_flag EINVAL msg
expect truncated_genl_header EINVAL none
expect get_reserved_set EINVAL "reserved"
expect dump_reserved_set EINVAL "reserved"
expect get_bad_nlmsg_flags EINVAL "flags"
expect unknown_cmd_99 EOPNOTSUPP none
expect cmd_0 EOPNOTSUPP none
expect notification_cmd_as_request EOPNOTSUPP none
expect reset_as_dump EOPNOTSUPP none
expect valid_get_after OK none
[ "$(field node er/a peak)" = 1500 ] && [ "$(field node er total)" = 1567 ]
check $? "the refused requests changed nothing (er/a peak 1500, er total 1567)"

# ---- fuzz -------------------------------------------------------------------------
maxid=$("$MT" dump | sed -n 's/^node id=\([0-9]*\) .*/\1/p' | sort -n | tail -n1)
seed=${MTNL_FUZZ_SEED:-$(date +%s%N)}
count=${MTNL_FUZZ_COUNT:-100000}
t0=$(date +%s)
"$MT" fuzz --count "$count" --seed "$seed" --max-id "$maxid" >"$T/fuzz"
rc=$?
note <"$T/fuzz"
grep -q "^fuzz done sent=$count " "$T/fuzz" && [ "$rc" = 0 ]
check $? "fuzz: $count random messages, seed $seed, ids up to $maxid ($(($(date +%s) - t0)) s)"
[ "$(sed -n 's/^fuzz done .* error_replies=\([0-9]*\) .*/\1/p' "$T/fuzz")" -gt $((count / 2)) ] &&
	grep -q '^fuzz errno=EINVAL ' "$T/fuzz" && grep -q '^fuzz errno=EOPNOTSUPP ' "$T/fuzz"
check $? "fuzz: answers came back (EINVAL, EOPNOTSUPP among them)"
"$MT" dump --check >"$T/chk"
"$MT" dump >"$T/dump"
# every exerciser node's total agrees with the dump after the fuzz
bad=0
grep '^node ' "$st" >"$T/status"
while read -r _ path _ id _ total _; do
	grep -q "^node id=$id .* bytes=$total " "$T/dump" || { echo "# $path ($id): total $total not in the dump"; bad=1; }
done <"$T/status"
c=$(cat "$T/chk")
[ "$bad" = 0 ] && [ "$(kv nodes "$c")" = 64 ] && [ "$(kv sum_bad "$c")" = 0 ] && [ "$(kv orphans "$c")" = 0 ]
check $? "after the fuzz: dump consistent, 64 nodes, every total as the exerciser says ($c)"
"$MT" get --id "$a" | grep -q "^node id=$a parent=$root kind=node depth=1 bytes=1500 self=1000 count=1 "
check $? "after the fuzz: node-get answers right"

# ---- permissions --------------------------------------------------------------------
peak=$(field node er/a peak)
cmd add er/a 100 && cmd sub er/a 100
"$MT" unpriv --uid 65534 --id "$a" >"$T/unpriv" 2>&1
note <"$T/unpriv"
op() { grep -m1 "^unpriv op=$1 " "$T/unpriv"; }
grep -q '^unpriv uid=65534 euid=65534 capeff_zero=1$' "$T/unpriv"
check $? "unprivileged: uid 65534, no effective capabilities"
[ "$(kv errname "$(op open)")" = OK ]
check $? "unprivileged: the family can be resolved"
for o in get dump reset-peak monitor raw-get; do
	[ "$(kv errname "$(op $o)")" = EPERM ]
	check $? "unprivileged: $o -> EPERM ($(op $o))"
done
[ "$(field node er/a peak)" = $((peak + 100)) ]
check $? "unprivileged peak-reset changed nothing"

# ---- network namespace ---------------------------------------------------------------
"$MT" netns --id "$a" >"$T/netns" 2>&1
note <"$T/netns"
for o in open monitor raw-get; do
	l=$(grep -m1 "^netns op=$o " "$T/netns")
	[ "$(kv errname "$l")" = ENOENT ]
	check $? "new network namespace: $o -> ENOENT"
done

# ---- unload ----------------------------------------------------------------------------
unload
check $? "unload"
finish
