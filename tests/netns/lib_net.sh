# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced after lib.sh by ipv6.sh, nat.sh and accounts.sh: IPv6 addresses
# on lib.sh's hosts, a topology with a NAT router between the client and the
# server, users registered with account options, knocks to any stored server
# from any namespace, and an IPv6 TCP service.
#
# lib.sh assigns NET, SV_IP, OT_IP, srcdir and friends, and reads RUN_RC
# and LAST_OTP; shellcheck only sees this file on its own.
# shellcheck disable=SC2034,SC2153,SC2154

# One ULA /64 that exists only inside the namespaces made here.
NET6=fdc6:5a0:217:1
SV6_IP=$NET6::1
CL6_IP=$NET6::2
OT6_IP=$NET6::3
SET6=ckq6-tcp-22

# The NAT topology (netns_setup_nat): the client alone on its side, the NAT
# router's outside address on the server's network.
NS_NAT=ckq-nat-$$
CL_NET=10.217.1
NAT_IN_IP=$CL_NET.1
NAT_OUT_IP=$NET.254

require_net() {
	require $([ "$GRANTS" = nft ] || echo ip6tables-restore) "$@"
	[ -r "$srcdir/rules/ckq6.rules" ] || bail "$srcdir/rules/ckq6.rules missing"
}

# ns_add6 NS ADDR: ADDR/64 on eth0 of NS, usable at once (no duplicate
# address detection).
ns_add6() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0 \
		net.ipv6.conf.eth0.disable_ipv6=0 >/dev/null ||
		bail "cannot set the IPv6 sysctls of $1"
	ip -n "$1" addr add "$2/64" dev eth0 nodad || bail "cannot add $2 in $1"
}

# netns_setup6: after netns_setup, IPv6 on the same bridge and
# rules/ckq6.rules loaded unmodified in the server's namespace.
netns_setup6() {
	ns_add6 "$NS_SV" "$SV6_IP"
	ns_add6 "$NS_CL" "$CL6_IP"
	ns_add6 "$NS_OT" "$OT6_IP"
	if [ "$GRANTS" = ipset ]; then
		in_sv ip6tables-restore <"$srcdir/rules/ckq6.rules" || bail "rules/ckq6.rules does not load"
	fi
	wait_until 10 in_cl python3 "$TCP_TOOL" reach "$OT6_IP" 9 ||
		bail "IPv6 does not pass the bridge"
}

# netns_setup_nat: client --veth-- nat --veth-- bridge (server, other host).
# The NAT router masquerades what it forwards to the server's side; the
# server has no route to the client's network. CL_IP becomes the client's
# address on its own side.
netns_setup_nat() {
	netns_tmp
	CL_IP=$CL_NET.2
	netns_add "$NS_SW" "$NS_SV" "$NS_OT" "$NS_NAT" "$NS_CL"
	netns_bridge sv:"$NS_SV":"$SV_IP" ot:"$NS_OT":"$OT_IP" nat:"$NS_NAT":"$NAT_OUT_IP"
	ip link add eth0 netns "$NS_CL" type veth peer name in0 netns "$NS_NAT" ||
		bail "cannot create the client's link to the NAT router"
	ip -n "$NS_NAT" addr add "$NAT_IN_IP/24" dev in0
	ip -n "$NS_NAT" link set in0 up
	ip -n "$NS_CL" addr add "$CL_IP/24" dev eth0
	ip -n "$NS_CL" link set eth0 up
	ip -n "$NS_CL" route add default via "$NAT_IN_IP" || bail "no default route for the client"
	ip netns exec "$NS_NAT" sysctl -qw net.ipv4.ip_forward=1 >/dev/null ||
		bail "cannot enable forwarding in $NS_NAT"
	ip netns exec "$NS_NAT" iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE ||
		bail "cannot set up masquerading in $NS_NAT"
	netns_rules
	wait_until 10 in_cl python3 "$TCP_TOOL" reach "$OT_IP" 9 ||
		bail "the NAT router does not forward"
}

in_nat() { ip netns exec "$NS_NAT" "$@"; }

# server_add CLIENT NAME ADDR: CLIENT's directory also stores the server as
# NAME at ADDR (the same key and user).
server_add() {
	"$CKQ" add-server "$2" "$3" --key "$ETC/server.pub" --user "$1" -d "$TMP/client/$1" \
		>"$TMP/add-server.out" 2>&1 ||
		{ cat "$TMP/add-server.out"; bail "ckq add-server $2 $3 for $1 failed"; }
}

# user_set NAME [ckq-admin add-user options]: registers (or, with
# --replace, re-registers) the key of client_new NAME for tcp/22 with the
# given options, and keeps the TOTP secret it was given. ckq-admin signals
# a running ckqd, which rereads the users. Its output is in $TMP/add-user.out.
user_set() {
	local name=$1 rc=0
	shift
	in_sv "$CKQ_ADMIN" -c "$ETC" add-user "$name" --key "$TMP/client/$name/keys/$name.pub" \
		--ports tcp/22 --no-qr "$@" >"$TMP/add-user.out" 2>&1 || rc=$?
	sed -n 's/^totp_secret = //p' "$ETC/users/$name.conf" >"$TMP/otp/$name.secret" \
		2>/dev/null || true
	return "$rc"
}

# enrol_with NAME [options]: client_new and user_set; bails out on failure.
enrol_with() {
	client_new "$1"
	user_set "$@" || { cat "$TMP/add-user.out"; bail "ckq-admin add-user $* failed"; }
}

# reload_user NAME [options]: user_set --replace while ckqd runs, then waits
# (at most 3 s) for ckqd to log the reload.
reload_user() {
	local before
	before=$(log_count 'reloaded [0-9]+ users from ')
	user_set "$@" --replace || return 1
	wait_until 3 reloaded_since "$before"
}

reloaded_since() {
	[ "$(log_count 'reloaded [0-9]+ users from ')" -gt "$1" ]
}

# knock_from NS SERVER open|close NAME [ckq options]: a knock from NS to the
# stored SERVER with the next code of NAME; sets RUN_* and LAST_OTP.
knock_from() {
	local ns=$1 srv=$2 cmd=$3 name=$4 code
	shift 4
	code=$(otp_next "$name") || { RUN_RC=99; return 0; }
	LAST_OTP=$code
	run ip netns exec "$ns" "$CKQ" "$cmd" "$srv" 22 -d "$TMP/client/$name" --otp "$code" "$@"
}

# refused_knock NS SERVER NAME CODE [ckq open options]: one quick open that
# the server is expected to refuse; sets RUN_*.
refused_knock() {
	local ns=$1 srv=$2 name=$3 code=$4
	shift 4
	run ip netns exec "$ns" "$CKQ" open "$srv" 22 -d "$TMP/client/$name" --otp "$code" \
		--attempts 2 --timeout 500 "$@"
}

# granted_line OUT ADDR: ckq's output is exactly the grant line for ADDR.
granted_line() {
	grep -Eqx "granted tcp/22 to $2 until [0-9]{2}:[0-9]{2}:[0-9]{2}" "$1"
}

# --- IPv6 -------------------------------------------------------------------

# A TCP service on [ADDR]:22 of the server, the same banner and echo as
# tcp_tool.py's (which listens on IPv4 only).
service6_start() {
	bg_start ip netns exec "$NS_SV" python3 -c '
import socket, sys, threading, time
BANNER = b"SSH-2.0-ckq-test-service\r\n"
def one(c):
    try:
        c.settimeout(5)
        c.sendall(BANNER)
        f = c.makefile("rb")
        for _ in range(100):
            line = f.readline(4096)
            if not line:
                break
            c.sendall(b"echo: " + line)
    except OSError:
        pass
    finally:
        c.close()
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
s.settimeout(1)
deadline = time.monotonic() + float(sys.argv[3])
for _ in range(100000):
    if time.monotonic() > deadline:
        break
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    threading.Thread(target=one, args=(c,), daemon=True).start()
' "$SV6_IP" "$SERVICE_PORT" 600
	wait_until 10 service6_listening || bail "the IPv6 TCP service on port 22 did not start"
}

service6_listening() {
	in_sv ss -Hltn6 "sport = :$SERVICE_PORT" | grep -q LISTEN
}

# lib.sh's checks of the service and the grant set, for the server's IPv6
# address and set.
can_connect6() { can_connect "$1" "$SV6_IP"; }
cannot_connect6() { cannot_connect "$1" "$SV6_IP"; }
service6_line() { service_line "$1" "$SV6_IP"; }
ipset6_entry() { ipset_entry "$1" "$SET6"; }
in_set6() { in_set "$1" "$SET6"; }
not_in_set6() { not_in_set "$1" "$SET6"; }

# pcap_count NAME FILTER: how many packets of capture NAME match FILTER.
pcap_count() {
	tcpdump -r "$TMP/$1.pcap" -n "$2" 2>/dev/null | wc -l
}

# server6_silent NAME PEER: capture NAME holds PEER's IPv6 datagrams to the
# knock port and none from the server's knock port back to PEER.
server6_silent() {
	local sent n
	sent=$(pcap_count "$1" "ip6 and udp and src host $2 and dst host $SV6_IP and dst port $KNOCK_PORT")
	n=$(pcap_count "$1" "ip6 and udp and src host $SV6_IP and src port $KNOCK_PORT and dst host $2")
	echo "captured $sent IPv6 datagrams from $2 to udp/$KNOCK_PORT, $n back"
	[ "$sent" -gt 0 ] && [ "$n" = 0 ]
}
