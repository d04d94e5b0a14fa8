#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# grants = nft on a server that filters with nftables alone: no ipset set
# exists. A knock opens tcp/22 through a set of table inet ckq; ckq-admin
# list, status, stats and check read it; ckq-admin close and ckq close shut
# it; check finds a missing set and a set no rule looks up. Then the
# coexistence with a distribution's own table inet filter (policy drop, ssh
# from one LAN network only, http for everyone): loading and deleting
# table inet ckq leaves that table exactly as it was and tcp/80 as open as
# before, and from the WAN tcp/22 needs a knock. Prints TAP. Needs root;
# bails out (fails) when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

export CKQ_GRANTS=nft
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require
netns_setup
server_init
echo "stats_file = $TMP/run/stats.prom" >>"$ETC/ckqd.conf"
enrol alice
enrol bob
service_start
start_ckqd

admin() {
	run in_sv "$CKQ_ADMIN" -c "$ETC" "$@"
}

# --- nftables alone ---
check "no ipset set exists in the server's namespace" \
	sh -c "! ip netns exec $NS_SV ipset list -n 2>/dev/null | grep -q ."
check "table inet ckq holds ckq-tcp-22 and ckq6-tcp-22" \
	sh -c "ip netns exec $NS_SV nft list sets inet | grep -c 'set ckq6\?-tcp-22 ' | grep -qx 2"
check "the client cannot connect before a knock" cannot_connect "$NS_CL"

knock open alice
is "$RUN_RC" 0 "ckq open exits 0"
[ "$RUN_RC" = 0 ] || run_diag
entry=$(ipset_entry "$CL_IP" || true)
check "nft lists the client's address with comment \"alice\" ($entry)" \
	grep -Eq "^$CL_IP timeout (29[0-9]|300) comment \"alice\"$" <<<"$entry"
check "the client can connect" can_connect "$NS_CL"
check "the other host still cannot" cannot_connect "$NS_OT"

admin list
check "ckq-admin list shows alice open for $CL_IP" \
	grep -Eq "^alice .* open tcp/22 for $CL_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}" "$RUN_OUT"
admin status
check "ckq-admin status shows the grant" grep -q "$CL_IP" "$RUN_OUT"
[ "$RUN_RC" = 0 ] || run_diag
admin stats
check "ckq-admin stats counts 1 active grant, read from the nft sets" \
	grep -Eqx 'active grants +1' "$RUN_OUT"
check "... 1 in ckq-tcp-22" grep -Eq '^  ckq-tcp-22 +1 +tcp/22$' "$RUN_OUT"
check "... 0 in ckq6-tcp-22" grep -Eq '^  ckq6-tcp-22 +0 +tcp/22 \(IPv6\)$' "$RUN_OUT"
grep -Eqx 'active grants +1' "$RUN_OUT" || run_diag
admin check
check "ckq-admin check finds no error with grants = nft" \
	sh -c "! grep -Eq '^error:' '$RUN_OUT'"
grep -Eq '^error:' "$RUN_OUT" && run_diag

admin close alice
is "$RUN_RC" 0 "ckq-admin close alice exits 0"
check "it says what it closed" grep -Fqx "closed tcp/22 for $CL_IP (alice)" "$RUN_OUT"
check "the element is gone from the nft set" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"

knock open bob
is "$RUN_RC" 0 "bob knocks"
knock close bob
is "$RUN_RC" 0 "ckq close exits 0"
check "bob's element is gone" not_in_set "$CL_IP"
check "and the client cannot connect" cannot_connect "$NS_CL"

# --- ckq-admin check on the sets of table inet ckq ---
client_new carol
user_add carol tcp/2222 >"$TMP/add-user.out" 2>&1 || bail "ckq-admin add-user carol failed"
admin check
is "$RUN_RC" 1 "check exits 1 for a user's port without a set"
check "... and names the set of table inet ckq" \
	grep -Eq '^error: tcp/2222 \(carol\): no set ckq-tcp-2222 in table inet ckq' "$RUN_OUT"
in_sv nft add set inet ckq ckq-tcp-2222 '{ type ipv4_addr; flags timeout; }'
in_sv nft add set inet ckq ckq6-tcp-2222 '{ type ipv6_addr; flags timeout; }'
admin check
is "$RUN_RC" 1 "check exits 1 for a set no rule looks up"
check "... and says the port is not closed" \
	grep -Eq '^error: tcp/2222 \(carol\): no rule of table inet ckq looks up set ckq-tcp-2222' "$RUN_OUT"
in_sv nft add rule inet ckq input tcp dport 2222 ct state new ip saddr != @ckq-tcp-2222 drop
in_sv nft add rule inet ckq input tcp dport 2222 ct state new ip6 saddr != @ckq6-tcp-2222 drop
admin check
check "check passes the set errors once rules look them up" \
	sh -c "! grep -q 'tcp/2222' '$RUN_OUT'"
grep -q 'tcp/2222' "$RUN_OUT" && run_diag

stop_ckqd
admin check
check "with ckqd stopped, check fails closed" test "$RUN_RC" = 1

# --- coexistence with a distribution's table inet filter ---
# The server's namespace anew: a LAN host (the client) and a WAN host (the
# other host, on another network), a distribution-like filter, then ckq.
in_sv nft flush ruleset
in_sv ip addr add 10.217.9.1/24 dev eth0
ip -n "$NS_OT" addr flush dev eth0
ip -n "$NS_OT" addr add 10.217.9.3/24 dev eth0
WAN_IP=10.217.9.3
in_sv nft -f - <<'NFT' || bail "the distribution filter does not load"
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif lo accept
		ip saddr 10.217.0.0/24 tcp dport 22 accept
		tcp dport 80 accept
	}
}
NFT
bg_start ip netns exec "$NS_SV" python3 "$TCP_TOOL" serve "$SV_IP" 80 --lifetime 120
bg_start ip netns exec "$NS_SV" python3 "$TCP_TOOL" serve 10.217.9.1 80 --lifetime 120
bg_start ip netns exec "$NS_SV" python3 "$TCP_TOOL" serve 10.217.9.1 22 --lifetime 120
wait_until 5 sh -c "ip netns exec $NS_SV ss -Hltn | grep -q '10.217.9.1:22 '" ||
	bail "the WAN services did not start"
reach() {	# NS ADDR PORT: a bounded TCP connect
	ip netns exec "$1" timeout 3 nc -4 -z -w 2 "$2" "$3"
}
check "before ckq: http from the LAN" reach "$NS_CL" "$SV_IP" 80
check "before ckq: http from the WAN" reach "$NS_OT" 10.217.9.1 80
check "before ckq: ssh from the LAN" reach "$NS_CL" "$SV_IP" 22
check_fails "before ckq: no ssh from the WAN" reach "$NS_OT" 10.217.9.1 22
in_sv nft list table inet filter >"$TMP/filter.before"
nft_load_ckq "$NS_SV" || bail "rules/ckq.nft does not load"
in_sv nft list table inet filter >"$TMP/filter.after"
check "loading table inet ckq leaves nft list table inet filter unchanged" \
	cmp -s "$TMP/filter.before" "$TMP/filter.after"
check "with ckq: http from the LAN as before" reach "$NS_CL" "$SV_IP" 80
check "with ckq: http from the WAN as before" reach "$NS_OT" 10.217.9.1 80
check_fails "with ckq: no ssh from the WAN without a knock" reach "$NS_OT" 10.217.9.1 22
check_fails "with ckq: no ssh from the LAN without a knock either" reach "$NS_CL" "$SV_IP" 22
in_sv nft add element inet ckq ckq-tcp-22 "{ $CL_IP timeout 60s }"
check "with ckq: ssh from the LAN once its address is granted" reach "$NS_CL" "$SV_IP" 22
in_sv nft add element inet ckq ckq-tcp-22 "{ $WAN_IP timeout 60s }"
check_fails "a grant cannot open what the distribution's filter drops (ssh from the WAN)" \
	reach "$NS_OT" 10.217.9.1 22
in_sv nft delete table inet ckq
in_sv nft list table inet filter >"$TMP/filter.deleted"
check "nft delete table inet ckq leaves table inet filter unchanged" \
	cmp -s "$TMP/filter.before" "$TMP/filter.deleted"
check "and ssh from the LAN works without a knock again" reach "$NS_CL" "$SV_IP" 22

# --- ckq-firewall with layout = nft (what ckq-firewall.service runs at boot) ---
FW=$srcdir/contrib/ckq-firewall
mkdir -p "$TMP/rules"
if [ -n "$nft_queue_note" ]; then
	# This kernel cannot queue from nftables: ckq-firewall must say so, and
	# the rest runs on ckq.nft without its queue line, as rules/README says.
	cp "$srcdir/rules/ckq.nft" "$TMP/rules/ckq.nft"
	printf 'layout = nft\nrules = %s\n' "$TMP/rules" >"$TMP/firewall"
	run in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" sh "$FW"
	is "$RUN_RC" 1 "ckq-firewall fails on a kernel without nft queue$nft_queue_note"
	check "... saying it needs nft_queue" grep -q 'it needs nft_queue, CONFIG_NFT_QUEUE' "$RUN_ERR"
	check "... and loads no table" sh -c "! ip netns exec $NS_SV nft list table inet ckq >/dev/null 2>&1"
	sed '/^[[:space:]]*udp dport [0-9]* queue num 0$/d' "$srcdir/rules/ckq.nft" >"$TMP/rules/ckq.nft"
else
	cp "$srcdir/rules/ckq.nft" "$TMP/rules/ckq.nft"
fi
printf '# at boot\nlayout = nft\nrules = %s\n' "$TMP/rules" >"$TMP/firewall"
run in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" sh "$FW"
is "$RUN_RC" 0 "ckq-firewall loads layout nft"
[ "$RUN_RC" = 0 ] || run_diag
check "... table inet ckq with its set" in_sv nft list set inet ckq ckq-tcp-22
check_fails "... which needs a knock for ssh from the LAN" reach "$NS_CL" "$SV_IP" 22
in_sv nft list table inet ckq >"$TMP/ckq.first"
in_sv nft add element inet ckq ckq-tcp-22 "{ $CL_IP timeout 60s }"
run in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" sh "$FW"
is "$RUN_RC" 0 "loading again exits 0"
check "... says it kept the table" grep -q 'already there: kept, with its grants' "$RUN_OUT"
check "... keeps the grant" reach "$NS_CL" "$SV_IP" 22
is "$(in_sv nft list table inet ckq | grep -c 'drop$')" \
	"$(grep -c 'drop$' "$TMP/ckq.first")" "... and adds no rule"
run in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" sh "$FW" files
check "ckq-firewall files names ckq.nft" grep -Fqx "$TMP/rules/ckq.nft" "$RUN_OUT"
run in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" sh "$FW" unload
is "$RUN_RC" 0 "ckq-firewall unload exits 0"
check "... table inet ckq is gone" sh -c "! ip netns exec $NS_SV nft list table inet ckq >/dev/null 2>&1"
in_sv nft list table inet filter >"$TMP/filter.fw"
check "... and table inet filter is as before" cmp -s "$TMP/filter.before" "$TMP/filter.fw"

done_testing
