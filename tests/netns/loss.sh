#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Knocks over a link that loses packets both ways, in network namespaces:
# ten users each open and close tcp/22 from the client while 20% of what
# the client sends and 20% of what it receives is lost. Every knock
# succeeds through the client's retransmissions, none is granted twice
# (ckqd logs exactly one grant per open, the ipset holds one entry) and
# none leaves half a state (after each close the entry is gone); ckqd
# recognises every retransmission (nothing refused). The loss is netem on
# the client's and the server's eth0, or, on a kernel without netem, an
# nftables rule on the bridge port of the client (same effect, on the
# wire). Prints TAP, with the loss observed as comments. Needs root; bails
# out (fails) when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR, CKQD_WRAPPER (see lib.sh);
# CKQ_LOSS: netem, bridge or auto (default: netem if the kernel has it,
# else bridge); KNOCK_ATTEMPTS (default 12).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

LOSS_PCT=20
KNOCKS=10
CKQ_LOSS=${CKQ_LOSS:-auto}
# A message and its answer both get through with p = 0.8 x 0.8 = 0.64; a
# knock is two such exchanges, each tried KNOCK_ATTEMPTS times. With 12,
# one of the 2 x 2 x 10 exchanges of this test fails with p = 40 x 0.36^12,
# about 1 in 5000 (with 8: 1 in 90, with 10: 1 in 700).
KNOCK_ATTEMPTS=${KNOCK_ATTEMPTS:-12}

case $CKQ_LOSS in
auto | netem | bridge) ;;
*) bail "CKQ_LOSS must be netem, bridge or auto" ;;
esac
require tc
netns_setup
server_init
# Twenty requests from one address in a few seconds would run into the
# per-source limit (burst 5, 1 a second), which would cost attempts of its
# own: that is flood.sh's subject, not this one's.
echo "source_burst = 100" >>"$ETC/ckqd.conf"
users=
for i in $(seq 1 "$KNOCKS"); do
	enrol "u$i"
	users="$users u$i"
done
start_ckqd

# --- the lossy link ---
loss_netem() {
	modprobe sch_netem 2>/dev/null || true
	in_cl tc qdisc add dev eth0 root netem loss "$LOSS_PCT%" 2>"$TMP/netem.err" &&
		in_sv tc qdisc add dev eth0 root netem loss "$LOSS_PCT%" 2>>"$TMP/netem.err"
}

# Both directions on the client's bridge port, before and after the drop,
# so the counters give the loss observed.
loss_bridge() {
	command -v nft >/dev/null 2>&1 || { echo "nft not found" >"$TMP/nft.err"; return 1; }
	ip netns exec "$NS_SW" nft -f - 2>"$TMP/nft.err" <<-EOF
	table bridge ckqloss {
		chain lossy {
			type filter hook forward priority 0; policy accept;
			iifname "p-cl" counter
			iifname "p-cl" numgen random mod 100 < $LOSS_PCT counter drop
			oifname "p-cl" counter
			oifname "p-cl" numgen random mod 100 < $LOSS_PCT counter drop
		}
	}
	EOF
}

method=
if [ "$CKQ_LOSS" != bridge ] && loss_netem; then
	method=netem
elif [ "$CKQ_LOSS" = netem ]; then
	bail "cannot add a netem qdisc: $(cat "$TMP/netem.err")"
elif loss_bridge; then
	method=bridge
	[ "$CKQ_LOSS" = bridge ] || diag "no netem here ($(head -n 1 "$TMP/netem.err")): losing packets on the bridge instead"
else
	bail "cannot lose packets: netem: $(head -n 1 "$TMP/netem.err" 2>/dev/null); nft: $(head -n 1 "$TMP/nft.err")"
fi
ok "the link between client and server loses $LOSS_PCT% each way ($method)"

# loss_report: the packets lost and passed each way, as comments.
loss_report() {
	local dir ns out sent dropped
	if [ "$method" = netem ]; then
		for dir in "client to server:$NS_CL" "server to client:$NS_SV"; do
			ns=${dir#*:}
			out=$(ip netns exec "$ns" tc -s qdisc show dev eth0 | tr '\n' ' ')
			sent=$(sed -n 's/.* Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' <<<"$out")
			dropped=$(sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' <<<"$out")
			diag "${dir%%:*}: netem dropped ${dropped:-?} of $((${sent:-0} + ${dropped:-0})) packets"
		done
	else
		out=$(ip netns exec "$NS_SW" nft list chain bridge ckqloss lossy)
		# shellcheck disable=SC2046
		set -- $(sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' <<<"$out")
		diag "client to server: dropped ${2:-?} of ${1:-?} packets" \
			"server to client: dropped ${4:-?} of ${3:-?} packets"
	fi
}

members() {
	in_sv ipset list "$SET" | sed -n '/^Members:/,$p' | grep -c '^[0-9]' || true
}

# --- ten opens and closes ---
t0=$(date +%s)
for u in $users; do
	knock open "$u" --attempts "$KNOCK_ATTEMPTS"
	is "$RUN_RC" 0 "$u: ckq open exits 0 over the lossy link"
	[ "$RUN_RC" = 0 ] || run_diag
	check "$u: it prints 'granted'" grep -Eq "^granted tcp/22 to $CL_IP until" "$RUN_OUT"
	check "$u: ipset holds the client's address for $u" \
		grep -q "comment \"$u\"" <<<"$(ipset_entry "$CL_IP" || true)"
	is "$(members)" 1 "$u: and no other entry"
	knock close "$u" --attempts "$KNOCK_ATTEMPTS"
	is "$RUN_RC" 0 "$u: ckq close exits 0 over the lossy link"
	[ "$RUN_RC" = 0 ] || run_diag
	check "$u: the entry is gone" not_in_set "$CL_IP"
	is "$(members)" 0 "$u: the set is empty"
done
elapsed=$(($(date +%s) - t0))
sleep 0.5	# the last grant's log line
for u in $users; do
	n=$(log_count "knock granted user=$u src=$CL_IP port=tcp/22 ")
	c=$(log_count "knock closed user=$u src=$CL_IP port=tcp/22$")
	is "$n/$c" "1/1" "$u: ckqd logged exactly one grant and one close"
done
loss_report
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
ckqd_counters
is "${CNT_GRANTED:-}/${CNT_CLOSED:-}" "$KNOCKS/$KNOCKS" "its counters: $KNOCKS granted, $KNOCKS closed"
is "${CNT_REFUSED:-}" 0 "nothing refused: every retransmission was recognised"
diag "$((2 * KNOCKS)) knocks in ${elapsed}s; ckqd took ${CNT_PACKETS:-?} datagrams, $((${CNT_PACKETS:-0} - 4 * KNOCKS)) more than without loss"
done_testing
