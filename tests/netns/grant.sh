#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Loads rules/ckq.ipset, rules/ckq.rules and rules/ckq6.rules unchanged into
# a fresh network namespace, runs grant_check there against the kernel, and
# checks with ipset(8) what grant_check left behind. Prints TAP. Needs root;
# never skips: without root, netns or ipset it bails out and fails.
#
# Environment:
#   CKQ_BUILDDIR     build tree holding tests/netns/grant_check
#                    (default: two levels above this script)
#   CKQ_GRANT_CHECK  the grant_check binary to run, overriding the one in
#                    CKQ_BUILDDIR (e.g. a hand-built /tmp/grant_check)
#   CKQ_GRANTS       ipset (default) or nft: the backend under test; nft
#                    loads rules/ckq.nft instead, and no ipset exists
set -eu
grants=${CKQ_GRANTS:-ipset}
export CKQ_GRANTS=$grants

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${CKQ_BUILDDIR:-$srcdir}
check=${CKQ_GRANT_CHECK:-$builddir/tests/netns/grant_check}
ns=ckq-grant-$$
ns_made=
n=0
failed=0

bail() {
	echo "Bail out! $*"
	exit 1
}

tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

cleanup() {
	if [ -n "$ns_made" ]; then
		ip netns del "$ns" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

[ "$(id -u)" = 0 ] || bail "must run as root (network namespaces, ipset)"
for tool in ip ipset iptables-restore ip6tables-restore iptables ip6tables; do
	command -v "$tool" >/dev/null 2>&1 || bail "$tool not found"
done
[ -x "$check" ] || bail "$check not built"
for f in ckq.ipset ckq.rules ckq6.rules; do
	[ -r "$srcdir/rules/$f" ] || bail "$srcdir/rules/$f missing"
done

ip netns add "$ns" || bail "cannot create network namespace $ns"
ns_made=1
in_ns() {
	ip netns exec "$ns" "$@"
}
in_ns ip link set lo up || bail "cannot bring up lo in $ns"
if [ "$grants" = nft ]; then
	command -v nft >/dev/null 2>&1 || bail "nft not found"
	. "$srcdir/tests/netns/lib_nft.sh"
	rc=0
	nft_load_ckq "$ns" || rc=$?
	tap "$rc" "rules/ckq.nft loads with nft -f$nft_queue_note"
	[ "$rc" = 0 ] || bail "rules/ckq.nft does not load"
	rc=0
	in_ns nft list table inet ckq | grep -q 'tcp dport 22 ct state new ip saddr != @ckq-tcp-22 drop' || rc=$?
	tap "$rc" "nft: tcp/22 is closed to addresses outside ckq-tcp-22"
	rc=0
	in_ns nft list tables | grep -qv '^table inet ckq$' && rc=1
	[ -n "$nft_queue_note" ] && rc=0
	tap "$rc" "nft: no other table was made"
	# Decoys for grant_list_sets: a set of ours no rule uses, one named
	# otherwise, and a ckq-named set in another table.
	in_ns nft add set inet ckq ckq-tcp-2222 '{ type ipv4_addr; flags timeout; }' ||
		bail "cannot create decoy set"
	in_ns nft add set inet ckq ckqx-decoy '{ type ipv4_addr; }' || bail "cannot create decoy set"
	in_ns nft add table inet other || bail "cannot create decoy table"
	in_ns nft add set inet other ckq-tcp-22 '{ type ipv4_addr; }' || bail "cannot create decoy set"
	if in_ns ipset list -n 2>/dev/null | grep -q .; then
		bail "an ipset exists in $ns"
	fi
else
	in_ns ipset list -n >/dev/null || bail "ipset does not work in $ns"

	rc=0
	in_ns ipset restore -exist <"$srcdir/rules/ckq.ipset" || rc=$?
	tap "$rc" "rules/ckq.ipset loads with ipset restore -exist"
	[ "$rc" = 0 ] || bail "rules/ckq.ipset does not load"
	rc=0
	in_ns ipset restore -exist <"$srcdir/rules/ckq.ipset" || rc=$?
	tap "$rc" "rules/ckq.ipset loads a second time (-exist)"
	rc=0
	in_ns iptables-restore <"$srcdir/rules/ckq.rules" || rc=$?
	tap "$rc" "rules/ckq.rules loads with iptables-restore"
	rc=0
	in_ns ip6tables-restore <"$srcdir/rules/ckq6.rules" || rc=$?
	tap "$rc" "rules/ckq6.rules loads with ip6tables-restore"
	[ "$failed" = 0 ] || bail "the drop-in rules do not load"

	for cmd in iptables ip6tables; do
		rules=$(in_ns "$cmd" -S INPUT) || bail "$cmd -S fails in $ns"
		first=$(printf '%s\n' "$rules" | grep -m1 '^-A INPUT' || true)
		rc=0
		printf '%s\n' "$first" |
			grep -q -- '--dport 8888 -j NFQUEUE --queue-num 0$' || rc=$?
		tap "$rc" "$cmd: the first INPUT rule queues udp/8888 without bypass"
		rc=0
		printf '%s\n' "$rules" | grep -q '^-P INPUT DROP$' || rc=$?
		tap "$rc" "$cmd: INPUT policy is DROP"
		set_name=ckq-tcp-22
		[ "$cmd" = iptables ] || set_name=ckq6-tcp-22
		rc=0
		printf '%s\n' "$rules" |
			grep -q -- "--dport 22 .*--match-set $set_name src -j ACCEPT$" ||
			rc=$?
		tap "$rc" "$cmd: tcp/22 is opened by $set_name"
	done

	# Decoys for grant_list_sets: only ckq-* and ckq6-* may be reported.
	in_ns ipset create ckqx-decoy hash:ip || bail "cannot create decoy set"
	in_ns ipset create other-decoy hash:ip || bail "cannot create decoy set"
fi

# grant_check numbers its own TAP lines; renumber them into this stream.
rc=0
out=$(in_ns "$check" 2>&1) || rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*)
		n=$((n + 1))
		echo "ok $n ${line#ok [0-9]* }"
		;;
	"not ok "*)
		n=$((n + 1))
		failed=$((failed + 1))
		echo "not ok $n ${line#not ok [0-9]* }"
		;;
	"Bail out!"*)
		echo "$line"
		exit 1
		;;
	1..* | "")
		;;
	"#"*)
		echo "$line"
		;;
	*)
		echo "# $line"
		;;
	esac
done <<EOF
$out
EOF
tap "$rc" "grant_check ran to the end and passed (exit $rc)"

# An independent look, through nft(8), at what the C code left behind.
if [ "$grants" = nft ]; then
	rc=0
	entry=$(in_ns nft list set inet ckq ckq-tcp-22 | tr ',{}' '\n\n\n' | grep '192\.0\.2\.77 ') || rc=$?
	entry=$(printf '%s\n' "$entry" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
	tap "$rc" "nft lists 192.0.2.77 left by grant_check"
	rc=0
	printf '%s\n' "$entry" |
		grep -Eq '^192\.0\.2\.77 timeout 10m expires [0-9ms]+ comment "leftover"$' || rc=$?
	tap "$rc" "with its timeout and comment: $entry"
	rc=0
	members=$(in_ns nft list set inet ckq ckq-tcp-22 | grep -o ' expires ' | wc -l) || rc=$?
	[ "$members" = 1 ] || rc=1
	tap "$rc" "no other entry left in ckq-tcp-22 (found $members)"
	rc=0
	members=$(in_ns nft list set inet ckq ckq6-tcp-22 | grep -o ' expires ' | wc -l) || rc=$?
	[ "$members" = 0 ] || rc=1
	tap "$rc" "no entry left in ckq6-tcp-22 (found $members)"
	echo "1..$n"
	[ "$failed" = 0 ]
	exit
fi
# An independent look, through ipset(8), at what the C code left behind.
rc=0
entry=$(in_ns ipset list ckq-tcp-22 | grep '^192\.0\.2\.77 ') || rc=$?
tap "$rc" "ipset lists 192.0.2.77 left by grant_check"
rc=0
printf '%s\n' "$entry" |
	grep -Eq '^192\.0\.2\.77 timeout [0-9]+ comment "leftover"$' || rc=$?
tap "$rc" "with its comment: $entry"
t=$(printf '%s\n' "$entry" | sed -n 's/.* timeout \([0-9]*\) .*/\1/p')
rc=1
[ -n "$t" ] && [ "$t" -le 600 ] && [ "$t" -ge 540 ] && rc=0
tap "$rc" "and its timeout (${t:-none}, want 540..600)"
rc=0
members=$(in_ns ipset list ckq-tcp-22 | sed -n '/^Members:/,$p' |
	grep -c '^[0-9]') || rc=$?
[ "$members" = 1 ] || rc=1
tap "$rc" "no other entry left in ckq-tcp-22 (found $members)"
rc=0
members=$(in_ns ipset list ckq6-tcp-22 | sed -n '/^Members:/,$p' |
	grep -c '^[0-9a-f:]' || true)
[ "$members" = 0 ] || rc=1
tap "$rc" "no entry left in ckq6-tcp-22 (found $members)"

echo "1..$n"
[ "$failed" = 0 ]
