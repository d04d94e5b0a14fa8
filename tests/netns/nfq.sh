#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The queue layer end to end, in two network namespaces joined by a veth
# pair: an NFQUEUE rule on udp/8888 in the server namespace, nfq_check
# judging what it queues, a client sending "pass", "drop" and "echo"
# datagrams. A decoy listener on 8888 shows which packets were accepted,
# and that nothing gets through while no one listens on the queue.
# Needs root; fails (never skips) when it cannot run.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
check=${CKQ_NFQ_CHECK:-${CKQ_BUILDDIR:-$here/../..}/tests/netns/nfq_check}
srv=ckq-nfq-$$-srv
cli=ckq-nfq-$$-cli
srv_ip=10.201.0.1
cli_ip=10.201.0.2
port=8888
queue=0
count=50
tmp=
pids=
n=0
failed=0

bail() { echo "Bail out! $*"; exit 1; }
s() { ip netns exec "$srv" "$@"; }
c() { ip netns exec "$cli" "$@"; }

tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		tap 0 "$3"
	else
		tap 1 "$3"
		printf '#   got:      %s\n' "$(printf %s "$1" | tr '\n' ' ')"
		printf '#   expected: %s\n' "$(printf %s "$2" | tr '\n' ' ')"
	fi
}

cleanup() {
	set +e
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}

# Re-number another TAP producer's lines into ours.
tap_from() {
	local line

	while IFS= read -r line; do
		case $line in
		"ok "*) tap 0 "$1: ${line#ok * - }" ;;
		"not ok "*) tap 1 "$1: ${line#not ok * - }" ;;
		1..*) ;;
		*) echo "# $line" ;;
		esac
	done <"$2"
}

queue_counter() {
	s iptables -w -L INPUT -v -x -n | awk '$3 == "NFQUEUE" { print $1; exit }'
}

# client OUTFILE SECONDS PAYLOAD...: one connected UDP socket sends each
# payload as a datagram and keeps what comes back for SECONDS.
client() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	c bash -c '
		addr=$1 port=$2 out=$3 secs=$4
		shift 4
		exec 3<>"/dev/udp/$addr/$port" || exit 1
		timeout "$secs" cat <&3 >"$out" &
		for p in "$@"; do
			printf "%s\n" "$p" >&3 || echo "# send failed: $p"
			sleep 0.01
		done
		wait
		exit 0
	' client "$srv_ip" "$port" "$@"
}

# wait_for TENTHS COMMAND...: poll a condition, bounded in time.
wait_for() {
	local i=0 tenths=$1

	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -le "$tenths" ] || return 1
		sleep 0.1
	done
}

decoy_listening() {
	s ss -Hlun "sport = :$port" | grep -q .
}

# The decoy is what a knock would reach if the rule let it through. A new
# one per client: nc connects to the first peer it hears from.
start_decoy() {
	# Not through s(): a backgrounded function is a subshell, and $! must
	# be the process itself so that kill reaches it.
	ip netns exec "$srv" timeout 30 nc -d -u -l "$srv_ip" "$port" \
		>"$1" 2>/dev/null &
	decoy_pid=$!
	pids="$pids $decoy_pid"
	wait_for 30 decoy_listening || bail "decoy listener did not start"
}

stop_decoy() {
	sleep 0.2
	kill "$decoy_pid" 2>/dev/null || true
	wait "$decoy_pid" 2>/dev/null || true
}

# start_check OUT ARGS...: nfq_check in the background, once it has bound.
start_check() {
	local out=$1

	shift
	ip netns exec "$srv" "$check" "$@" >"$out" 2>"$out.err" &
	check_pid=$!
	pids="$pids $check_pid"
	if ! wait_for 50 grep -qs "queue $queue bound" "$out"; then
		cat "$out" "$out.err" | sed 's/^/# /'
		bail "nfq_check did not bind queue $queue"
	fi
}

[ "$(id -u)" = 0 ] || bail "must run as root (network namespaces, iptables)"
for tool in ip iptables nc ss timeout awk setpriv; do
	command -v "$tool" >/dev/null || bail "$tool not found"
done
[ -x "$check" ] || bail "$check not found (build it, or set CKQ_NFQ_CHECK)"

trap cleanup EXIT
trap 'echo "Bail out! line $LINENO: a setup step failed"' ERR
tmp=$(mktemp -d)
ip netns add "$srv" || bail "cannot create network namespace $srv"
ip netns add "$cli" || bail "cannot create network namespace $cli"
ip -n "$srv" link add ckqs type veth peer name ckqc netns "$cli" ||
	bail "cannot create a veth pair"
s ip link set lo up
c ip link set lo up
s ip addr add "$srv_ip/24" dev ckqs
c ip addr add "$cli_ip/24" dev ckqc
s ip link set ckqs up
c ip link set ckqc up
s iptables -w -A INPUT -p udp --dport "$port" -j NFQUEUE --queue-num "$queue" ||
	bail "cannot add the NFQUEUE rule"

echo "# no one on the queue: knocks are dropped, not passed"
start_decoy "$tmp/decoy0"
before=$(queue_counter)
client "$tmp/reply0" 2 "echo 0" "pass 0"
after=$(queue_counter)
stop_decoy
is "$after" "$((before + 2))" "the NFQUEUE rule counted both packets"
is "$(cat "$tmp/reply0")" "" "no reply without a queue listener"
is "$(cat "$tmp/decoy0")" "" "nothing reached the socket on $port"

echo "# without CAP_NET_ADMIN the bind is refused"
s setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
	"$check" --expect-eperm "$queue" >"$tmp/eperm" 2>"$tmp/eperm.err" &&
	st=0 || st=$?
tap_from eperm "$tmp/eperm"
is "$st" 0 "unprivileged nfq_check exited cleanly"
sed 's/^/# stderr: /' "$tmp/eperm.err"

echo "# nfq_check on queue $queue: $count packets"
start_decoy "$tmp/decoy"
start_check "$tmp/check" "$queue" "$count" "$cli_ip" 10

payloads=() want_reply=() want_pass=()
for i in $(seq 1 "$count"); do
	case $((i % 3)) in
	0) payloads+=("pass $i"); want_pass+=("pass $i") ;;
	1) payloads+=("echo $i"); want_reply+=("reply $i") ;;
	2) payloads+=("drop $i") ;;
	esac
done
before=$(queue_counter)
client "$tmp/reply" 4 "${payloads[@]}"
wait "$check_pid" && st=0 || st=$?
after=$(queue_counter)
stop_decoy

tap_from nfq_check "$tmp/check"
is "$st" 0 "nfq_check exited cleanly"
echo "# nfq_check stderr (a bind error is the deliberate second bind):"
sed 's/^/# stderr: /' "$tmp/check.err"
is "$after" "$((before + count))" "the NFQUEUE rule counted $count packets"
is "$(sort "$tmp/reply")" "$(printf '%s\n' "${want_reply[@]}" | sort)" \
	"the client got exactly the echo replies, from $srv_ip:$port"
is "$(sort "$tmp/decoy")" "$(printf '%s\n' "${want_pass[@]}" | sort)" \
	"the socket on $port got exactly the accepted packets"

echo "# a full queue drops (fail closed): length 4, 10 packets, no reads for 3 s"
start_decoy "$tmp/decoy2"
start_check "$tmp/full" "$queue" 4 "$cli_ip" 10 4 3000
before=$(queue_counter)
client "$tmp/reply2" 1 "pass 1" "pass 2" "pass 3" "pass 4" "pass 5" \
	"pass 6" "pass 7" "pass 8" "pass 9" "pass 10"
wait "$check_pid" && st=0 || st=$?
after=$(queue_counter)
stop_decoy
tap_from full-queue "$tmp/full"
is "$st" 0 "nfq_check exited cleanly"
echo "# nfq_check stderr (a bind error is the deliberate second bind):"
sed 's/^/# stderr: /' "$tmp/full.err"
is "$after" "$((before + 10))" "the NFQUEUE rule counted 10 packets"
is "$(wc -l <"$tmp/decoy2")" 4 \
	"only the 4 queued packets reached the socket on $port"
is "$(sed -n 's/^# queue_dropped //p' "$tmp/full")" 6 \
	"the kernel counted 6 drops on the full queue"

echo "1..$n"
[ "$failed" = 0 ] || exit 1
