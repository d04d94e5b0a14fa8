#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckq beside a firewall it does not own: a server namespace with a ruleset
# like a real server's (policy ACCEPT; Docker's DOCKER-USER, DOCKER and
# isolation chains with a published port and its DNAT; fail2ban's f2b-sshd
# chain holding a ban; an ACCEPT for tcp/80 with a service on it), IPv4 and
# IPv6. contrib/ckq-firewall loads rules/ckq-chain.rules and
# ckq6-chain.rules ("layout = chain"): iptables-save then differs from
# before by ckq's own lines only (the diff is printed), tcp/80 answers
# without a knock, tcp/22 is closed until a knock opens it for the knocking
# client only, loading again changes nothing, and unloading (ckq-firewall
# unload, or the *-chain-unload.rules files) gives back the saved ruleset
# exactly. Prints TAP. Needs root; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_net.sh
. "$(dirname "$0")/lib_net.sh"

FIREWALL=$srcdir/contrib/ckq-firewall
require_net ip6tables-save iptables-save diff
[ -x "$FIREWALL" ] || bail "$FIREWALL missing"

netns_tmp
netns_add "$NS_SW" "$NS_SV" "$NS_CL" "$NS_OT"
netns_bridge sv:"$NS_SV":"$SV_IP" cl:"$NS_CL":"$CL_IP" ot:"$NS_OT":"$OT_IP"
ns_add6 "$NS_SV" "$SV6_IP"
ns_add6 "$NS_CL" "$CL6_IP"
ns_add6 "$NS_OT" "$OT6_IP"

# What a VPS with Docker (one container publishing tcp/8080) and fail2ban
# (one ban) has; docker0 need not exist for rules that name it.
in_sv iptables-restore <<'RULES' || bail "the server's own IPv4 ruleset does not load"
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:8080
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
:f2b-sshd - [0:0]
-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
-A f2b-sshd -s 10.217.0.99/32 -j REJECT --reject-with icmp-port-unreachable
-A f2b-sshd -j RETURN
COMMIT
RULES
in_sv ip6tables-restore <<'RULES' || bail "the server's own IPv6 ruleset does not load"
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
:f2b-sshd - [0:0]
-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A DOCKER-USER -j RETURN
-A f2b-sshd -s fdc6:5a0:217:1::99/128 -j REJECT --reject-with icmp6-port-unreachable
-A f2b-sshd -j RETURN
COMMIT
RULES
wait_until 10 in_cl python3 "$TCP_TOOL" reach "$OT_IP" 9 || bail "the bridge does not forward"
wait_until 10 in_cl python3 "$TCP_TOOL" reach "$OT6_IP" 9 || bail "IPv6 does not pass the bridge"

# saved 4|6: the server's ruleset without the comments and counters that
# change from one iptables-save to the next.
saved() {
	local save=iptables-save
	[ "$1" = 6 ] && save=ip6tables-save
	in_sv "$save" | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]$//'
}

echo "layout = chain" >"$TMP/firewall"
echo "rules = $srcdir/rules" >>"$TMP/firewall"
fw() { in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" "$FIREWALL" "$@"; }

server_init
enrol alice
server_add alice srv6 "$SV6_IP"
enrol bob
server_add bob srv6 "$SV6_IP"
service_start
service6_start
SERVICE_PORT=80 service_start
SERVICE_PORT=80 service6_start
start_ckqd

port80() { SERVICE_PORT=80 can_connect "$@"; }
port80_6() { SERVICE_PORT=80 can_connect "$1" "$SV6_IP"; }

# --- before ckq ---
check "before ckq the client reaches tcp/22" can_connect "$NS_CL"
check "and over IPv6" can_connect6 "$NS_CL"
saved 4 >"$TMP/before.v4"
saved 6 >"$TMP/before.v6"

# --- load ---
run fw load
is "$RUN_RC" 0 "ckq-firewall load (layout chain) exits 0"
[ "$RUN_RC" = 0 ] || run_diag
saved 4 >"$TMP/after.v4"
saved 6 >"$TMP/after.v6"
for v in 4 6; do
	diff -U0 "$TMP/before.v$v" "$TMP/after.v$v" | sed -e '1,2d' -e '/^@@/d' >"$TMP/diff.v$v" || true
	diag "iptables-save (IPv$v) after loading, against before:"
	sed 's/^/    /' "$TMP/diff.v$v" | while IFS= read -r l; do diag "$l"; done
	check "IPv$v: the diff adds lines and removes none" \
		sh -c "test -s '$TMP/diff.v$v' && ! grep -q '^-' '$TMP/diff.v$v'"
	check "IPv$v: every added line is ckq's own (names ckq-)" \
		sh -c "! grep -v 'ckq-' '$TMP/diff.v$v'"
done
check "ckq6-chain: the added lines are those of IPv4 with the IPv6 set" \
	sh -c "sed 's/ckq-tcp-22/ckq6-tcp-22/' '$TMP/diff.v4' | diff - '$TMP/diff.v6'"
check "the jump to ckq-INPUT is the first rule of INPUT" \
	sh -c "ip netns exec $NS_SV iptables -S INPUT | sed -n 2p | grep -qx -- '-A INPUT -j ckq-INPUT'"
check "the policies are unchanged (INPUT ACCEPT, FORWARD DROP)" \
	sh -c "ip netns exec $NS_SV iptables -S | grep -c -e '^-P INPUT ACCEPT' -e '^-P FORWARD DROP' | grep -qx 2"

# --- what it does ---
check "tcp/80 answers the client without a knock" port80 "$NS_CL"
check "and the other host" port80 "$NS_OT"
check "and over IPv6" port80_6 "$NS_CL"
check "the client cannot connect to tcp/22 before a knock" cannot_connect "$NS_CL"
check "nor over IPv6" cannot_connect6 "$NS_CL"
check "nor can the other host" cannot_connect "$NS_OT"

log_mark
knock_from "$NS_CL" srv open alice
is "$RUN_RC" 0 "ckq open exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "the client connects to tcp/22 after its knock" can_connect "$NS_CL"
line=$(service_line "$NS_CL" || true)
is "$line" "SSH-2.0-ckq-test-service" "the client gets the service's banner"
check "the other host still cannot" cannot_connect "$NS_OT"
check "nor the client over IPv6 (its grant is for its IPv4 address)" cannot_connect6 "$NS_CL"
knock_from "$NS_CL" srv6 open bob
is "$RUN_RC" 0 "ckq open over IPv6 exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "the client connects to [server]:22 after its IPv6 knock" can_connect6 "$NS_CL"
check "the other host still cannot over IPv6" cannot_connect6 "$NS_OT"

# --- ckq-admin check reads the layout, and what breaks it ---
run in_sv "$CKQ_ADMIN" -c "$ETC" check
check "ckq-admin check: all is well (exit 0)" test "$RUN_RC" = 0
[ "$RUN_RC" = 0 ] || run_diag
check "it recognises the coexisting chain (IPv4)" \
	grep -q '^note: tcp/22 (IPv4): host, coexisting chain: filter INPUT jumps to ckq-INPUT' "$RUN_OUT"
check "and (IPv6)" \
	grep -q '^note: tcp/22 (IPv6): host, coexisting chain: filter INPUT jumps to ckq-INPUT' "$RUN_OUT"
in_sv iptables -I INPUT 1 -p tcp --dport 22 -j ACCEPT
run in_sv "$CKQ_ADMIN" -c "$ETC" check
check "an ACCEPT of tcp/22 above the jump: ckq-admin check fails" test "$RUN_RC" = 1
check "saying that it lets everyone in without a knock" \
	grep -q '^error: tcp/22 (IPv4): the rule in ip filter INPUT (handle [0-9]*) accepts tcp/22 before the jump to ckq.s chain: all get in without a knock' "$RUN_OUT"
[ "$RUN_RC" = 1 ] || run_diag
in_sv iptables -D INPUT -p tcp --dport 22 -j ACCEPT
in_sv iptables -D INPUT -j ckq-INPUT
run in_sv "$CKQ_ADMIN" -c "$ETC" check
check "without the jump: ckq-admin check fails" test "$RUN_RC" = 1
check "saying that no rule jumps to ckq-INPUT, for the grants" \
	grep -q '^error: tcp/22 (IPv4): the rule in ip filter ckq-INPUT (handle [0-9]*) drops new connections from outside ipset ckq-tcp-22, but no rule jumps to ckq-INPUT' "$RUN_OUT"
check "and for the knocks" \
	grep -q '^error: the rule in ip filter ckq-INPUT (handle [0-9]*) sends udp/8888 to ckqd, but no rule jumps to ckq-INPUT' "$RUN_OUT"
[ "$RUN_RC" = 1 ] || run_diag
in_sv iptables -I INPUT 1 -j ckq-INPUT
in_sv iptables -D ckq-INPUT -p udp -m udp --dport 8888 -j NFQUEUE --queue-num 0
in_sv ip6tables -D ckq-INPUT -p udp -m udp --dport 8888 -j NFQUEUE --queue-num 0
run in_sv "$CKQ_ADMIN" -c "$ETC" check
check "without the NFQUEUE rule: ckq-admin check says the knock port is not queued" \
	grep -q '^error: no rule sends udp/8888 to queue 0' "$RUN_OUT"

# --- loading again ---
run fw load
is "$RUN_RC" 0 "ckq-firewall load again exits 0"
check "IPv4: loading twice leaves the same ruleset (one jump)" \
	sh -c "ip netns exec $NS_SV iptables-save | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]\$//' | diff '$TMP/after.v4' -"
check "IPv6: loading twice leaves the same ruleset (one jump)" \
	sh -c "ip netns exec $NS_SV ip6tables-save | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]\$//' | diff '$TMP/after.v6' -"
check "the grants survived the reload" can_connect "$NS_CL"

knock_from "$NS_CL" srv close alice
is "$RUN_RC" 0 "ckq close exits 0"
check "the client cannot connect to tcp/22 after ckq close" cannot_connect "$NS_CL"
check "tcp/80 still answers" port80 "$NS_CL"

# --- unload ---
run fw unload
is "$RUN_RC" 0 "ckq-firewall unload exits 0"
[ "$RUN_RC" = 0 ] || run_diag
saved 4 >"$TMP/unloaded.v4"
saved 6 >"$TMP/unloaded.v6"
check "IPv4: after unload iptables-save equals the original" diff "$TMP/before.v4" "$TMP/unloaded.v4"
check "IPv6: after unload ip6tables-save equals the original" diff "$TMP/before.v6" "$TMP/unloaded.v6"
check "tcp/22 is the server's own business again: the client connects" can_connect "$NS_CL"

# --- the files by hand: iptables-restore --noflush, and the unload files ---
in_sv iptables-restore --noflush <"$srcdir/rules/ckq-chain.rules" || true
in_sv ip6tables-restore --noflush <"$srcdir/rules/ckq6-chain.rules" || true
check "iptables-restore --noflush < ckq-chain.rules gives what ckq-firewall gave" \
	sh -c "ip netns exec $NS_SV iptables-save | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]\$//' | diff '$TMP/after.v4' -"
check "ip6tables-restore --noflush < ckq6-chain.rules likewise" \
	sh -c "ip netns exec $NS_SV ip6tables-save | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]\$//' | diff '$TMP/after.v6' -"
check "ckq-chain-unload.rules loads" in_sv iptables-restore --noflush "$srcdir/rules/ckq-chain-unload.rules"
check "ckq6-chain-unload.rules loads" in_sv ip6tables-restore --noflush "$srcdir/rules/ckq6-chain-unload.rules"
check "IPv4: after ckq-chain-unload.rules iptables-save equals the original" \
	sh -c "ip netns exec $NS_SV iptables-save | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]\$//' | diff '$TMP/before.v4' -"
check "IPv6: likewise" \
	sh -c "ip netns exec $NS_SV ip6tables-save | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]\$//' | diff '$TMP/before.v6' -"
check_fails "ckq-chain-unload.rules with nothing loaded fails" \
	in_sv iptables-restore --noflush "$srcdir/rules/ckq-chain-unload.rules"

check "ckqd is still running" kill -0 "$CKQD_PID"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
