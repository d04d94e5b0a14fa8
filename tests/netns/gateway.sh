#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckqd on a router (the paper's Raspberry Pi): a client and another host on
# the WAN side, the router (interfaces wan and lan, ckqd, DNAT of its
# tcp/2222 to the LAN host's tcp/22), and a LAN host with the service, over
# IPv4 and over IPv6 routed to the LAN host's own address. Both forms of
# rules/gateway/, loaded by contrib/ckq-firewall as they are shipped: the
# full tables ("layout = gateway") and, on a router that already forwards
# the port, the coexisting chains ("layout = gateway-chain"). Each time:
# closed; ckq open for the port the client connects to; the client reaches
# the LAN service through the router and the other host still cannot; ckq
# close; closed. Prints TAP. Needs root; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_net.sh
. "$(dirname "$0")/lib_net.sh"

FIREWALL=$srcdir/contrib/ckq-firewall
require_net
[ -x "$FIREWALL" ] || bail "$FIREWALL missing"

# The addresses rules/gateway/ names, inside namespaces made here only.
NS_LAN=ckq-lan-$$
LAN_IP=192.168.1.10
RT_LAN_IP=192.168.1.1
LAN6_IP=2001:db8:1::10
RT_LAN6_IP=2001:db8:1::1
FWD_PORT=2222

netns_tmp
netns_add "$NS_SW" "$NS_SV" "$NS_CL" "$NS_OT" "$NS_LAN"
netns_bridge cl:"$NS_CL":"$CL_IP" ot:"$NS_OT":"$OT_IP"
# The router (the server namespace): wan on the bridge, lan to the LAN host.
ip -n "$NS_SW" link add wan netns "$NS_SV" type veth peer name p-rt || bail "cannot link the router"
ip -n "$NS_SW" link set p-rt master br0 up
ip link add lan netns "$NS_SV" type veth peer name eth0 netns "$NS_LAN" || bail "cannot link the LAN"
ip -n "$NS_SV" addr add "$SV_IP/24" dev wan
ip -n "$NS_SV" addr add "$RT_LAN_IP/24" dev lan
ip -n "$NS_LAN" addr add "$LAN_IP/24" dev eth0
for l in "$NS_SV wan" "$NS_SV lan" "$NS_LAN eth0"; do
	read -r ns dev <<<"$l"
	ip -n "$ns" link set "$dev" up
done
in_sv sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null ||
	bail "cannot enable forwarding on the router"
for l in "$NS_SV wan $SV6_IP" "$NS_SV lan $RT_LAN6_IP" "$NS_LAN eth0 $LAN6_IP" \
	"$NS_CL eth0 $CL6_IP" "$NS_OT eth0 $OT6_IP"; do
	read -r ns dev addr <<<"$l"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 "net.ipv6.conf.$dev.accept_dad=0" >/dev/null
	ip -n "$ns" addr add "$addr/64" dev "$dev" nodad || bail "cannot add $addr in $ns"
done
ip -n "$NS_LAN" route add default via "$RT_LAN_IP"
ip -n "$NS_LAN" -6 route add default via "$RT_LAN6_IP"
for ns in "$NS_CL" "$NS_OT"; do
	ip -n "$ns" -6 route add 2001:db8:1::/64 via "$SV6_IP" || bail "no IPv6 route in $ns"
done
in_lan() { ip netns exec "$NS_LAN" "$@"; }

echo "rules = $srcdir/rules" >"$TMP/firewall"
fw() { in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" "$FIREWALL" "$@"; }
layout() {
	printf 'layout = %s\nrules = %s\n' "$1" "$srcdir/rules" >"$TMP/firewall"
}

server_init
for u in alice carol bob dave; do
	enrol "$u" "tcp/$FWD_PORT,tcp/22"
	server_add "$u" srv6 "$SV6_IP"
done
# The service runs on the LAN host, at its own addresses.
NS_SV=$NS_LAN SV_IP=$LAN_IP service_start
NS_SV=$NS_LAN SV6_IP=$LAN6_IP service6_start

# fwd NS: a connection from NS to the router's forwarded port;
# fwd_line NS: the first line the service sends through it.
fwd() { SERVICE_PORT=$FWD_PORT can_connect "$1" "$SV_IP"; }
nofwd() { ! fwd "$@"; }
fwd_line() { ip netns exec "$1" timeout 5 python3 "$TCP_TOOL" line "$SV_IP" "$FWD_PORT" --timeout 2; }
# routed NS: a connection from NS to the LAN host's IPv6 address, tcp/22.
routed() { can_connect "$1" "$LAN6_IP"; }
unrouted() { ! routed "$@"; }

# open_close FORM USER4 USER6: the scenario, with one user for each family
# (each knock takes a TOTP code; two users need not wait for new ones).
open_close() {
	local form=$1 u4=$2 u6=$3
	check "$form: the client cannot reach the forwarded tcp/$FWD_PORT before a knock" nofwd "$NS_CL"
	check "$form: nor the LAN host's [$LAN6_IP]:22" unrouted "$NS_CL"
	check "$form: nor can the other host" nofwd "$NS_OT"

	log_mark
	run in_cl "$CKQ" open srv "$FWD_PORT" -d "$TMP/client/$u4" --otp "$(otp_next "$u4")"
	is "$RUN_RC" 0 "$form: ckq open srv $FWD_PORT (the router's port) exits 0"
	[ "$RUN_RC" = 0 ] || run_diag
	assert_log "knock granted user=$u4 src=$CL_IP port=tcp/$FWD_PORT"
	check "$form: ckq-tcp-$FWD_PORT holds the client's address" in_set "$CL_IP" "ckq-tcp-$FWD_PORT"
	line=$(fwd_line "$NS_CL" || true)
	is "$line" "SSH-2.0-ckq-test-service" "$form: the client reaches the LAN host's service through the router"
	check "$form: the other host still cannot" nofwd "$NS_OT"
	run in_cl "$CKQ" close srv "$FWD_PORT" -d "$TMP/client/$u4" --otp "$(otp_next "$u4")"
	is "$RUN_RC" 0 "$form: ckq close exits 0"
	check "$form: the client cannot reach the forwarded port after ckq close" nofwd "$NS_CL"

	log_mark
	run in_cl "$CKQ" open srv6 22 -d "$TMP/client/$u6" --otp "$(otp_next "$u6")"
	is "$RUN_RC" 0 "$form: ckq open over IPv6 (to the router, for tcp/22) exits 0"
	[ "$RUN_RC" = 0 ] || run_diag
	check "$form: ckq6-tcp-22 holds the client's IPv6 address" in_set "$CL6_IP" ckq6-tcp-22
	check "$form: the client reaches [$LAN6_IP]:22, routed through the router" routed "$NS_CL"
	check "$form: the other host still cannot" unrouted "$NS_OT"
	check "$form: the IPv4 forward stays closed to the client" nofwd "$NS_CL"
	run in_cl "$CKQ" close srv6 22 -d "$TMP/client/$u6" --otp "$(otp_next "$u6")"
	is "$RUN_RC" 0 "$form: ckq close over IPv6 exits 0"
	check "$form: the client cannot reach [$LAN6_IP]:22 after ckq close" unrouted "$NS_CL"
}

# --- the full tables of rules/gateway/ ---
layout gateway
run fw load
is "$RUN_RC" 0 "ckq-firewall load (layout gateway) exits 0"
[ "$RUN_RC" = 0 ] || { run_diag; bail "rules/gateway/ do not load"; }
wait_until 10 in_cl python3 "$TCP_TOOL" reach "$OT_IP" 9 || bail "the bridge does not forward"
check "the LAN host reaches the client through the router" \
	in_lan python3 "$TCP_TOOL" reach "$CL_IP" 9
start_ckqd
run in_sv "$CKQ_ADMIN" -c "$ETC" check
is "$RUN_RC" 0 "ckq-admin check passes on the full tables"
[ "$RUN_RC" = 0 ] || run_diag
check "it recognises the gateway's full table (IPv4, tcp/$FWD_PORT)" \
	grep -q "^note: tcp/$FWD_PORT (IPv4): gateway, full table: filter FORWARD accepts new connections from ipset ckq-tcp-$FWD_PORT" "$RUN_OUT"
check "and (IPv6, tcp/22)" \
	grep -q "^note: tcp/22 (IPv6): gateway, full table: filter FORWARD accepts new connections from ipset ckq6-tcp-22" "$RUN_OUT"
open_close "full tables" alice carol

# --- a router with its own open port forward, and the coexisting chains ---
for ipt in iptables ip6tables; do
	in_sv "$ipt" -F
	in_sv "$ipt" -X
	for c in INPUT FORWARD OUTPUT; do in_sv "$ipt" -P "$c" ACCEPT; done
done
in_sv iptables -t nat -F
in_sv iptables -t nat -A PREROUTING -i wan -p tcp --dport "$FWD_PORT" \
	-j DNAT --to-destination "$LAN_IP:22"
in_sv iptables -t nat -A POSTROUTING -o wan -j MASQUERADE
check "without ckq's chains the router forwards tcp/$FWD_PORT to anyone" fwd "$NS_OT"
check "and routes to [$LAN6_IP]:22 for anyone" routed "$NS_OT"
layout gateway-chain
run fw load
is "$RUN_RC" 0 "ckq-firewall load (layout gateway-chain) exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "the jump to ckq-FORWARD is the first rule of FORWARD" \
	sh -c "ip netns exec $NS_SV iptables -S FORWARD | sed -n 2p | grep -qx -- '-A FORWARD -j ckq-FORWARD'"
run in_sv "$CKQ_ADMIN" -c "$ETC" check
is "$RUN_RC" 0 "ckq-admin check passes on the coexisting chains"
[ "$RUN_RC" = 0 ] || run_diag
check "it recognises the gateway's coexisting chain (IPv4)" \
	grep -q "^note: tcp/$FWD_PORT (IPv4): gateway, coexisting chain: filter FORWARD jumps to ckq-FORWARD" "$RUN_OUT"
check "and (IPv6)" \
	grep -q "^note: tcp/22 (IPv6): gateway, coexisting chain: filter FORWARD jumps to ckq-FORWARD" "$RUN_OUT"
in_sv iptables -P FORWARD ACCEPT
open_close "coexisting chains" bob dave
run fw unload
is "$RUN_RC" 0 "ckq-firewall unload exits 0"
check "after unload the router forwards to anyone again" fwd "$NS_OT"

check "ckqd is still running" kill -0 "$CKQD_PID"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
