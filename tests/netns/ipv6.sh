#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Knocks over IPv6, next to IPv4 in the same run: server, client and other
# host on one bridge with IPv4 and ULA IPv6 addresses, rules/ckq.ipset,
# ckq.rules and ckq6.rules loaded unmodified in the server's namespace, and
# one ckqd reading both families from queue 0. An IPv6 knock opens tcp/22
# for the client's IPv6 address only (set ckq6-tcp-22), ckq close shuts it,
# an IPv4 grant lives beside it untouched, a wrong code over IPv6 gets no
# answer, and --allow-from with an IPv6 network admits IPv6 knocks only.
# Prints TAP. Needs root; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_net.sh
. "$(dirname "$0")/lib_net.sh"

require_net
netns_setup
netns_setup6
server_init
for u in alice bob carol; do
	enrol "$u"
	server_add "$u" srv6 "$SV6_IP"
done
enrol_with dora --allow-from "$NET6::/64"
server_add dora srv6 "$SV6_IP"
service_start
service6_start
start_ckqd

# --- the IPv6 ruleset, and closed before a knock ---
if [ "$GRANTS" = ipset ]; then
	check "ckq6.rules: INPUT drops by default" \
		sh -c "ip netns exec $NS_SV ip6tables -S INPUT | grep -qx -- '-P INPUT DROP'"
	check "ckq6.rules: the first rule of INPUT hands udp/$KNOCK_PORT to queue 0" \
		sh -c "ip netns exec $NS_SV ip6tables -S INPUT | grep -m1 '^-A' | grep -q 'NFQUEUE --queue-num 0'"
else
	check "ckq.nft: tcp/22 over IPv6 is closed outside ckq6-tcp-22" \
		sh -c "ip netns exec $NS_SV nft list chain inet ckq input | grep -q 'ip6 saddr != @ckq6-tcp-22 drop'"
fi
check "the client cannot connect to [server]:22 before a knock" cannot_connect6 "$NS_CL"
check "the other host cannot either" cannot_connect6 "$NS_OT"
check "nor can the client over IPv4" cannot_connect "$NS_CL"
check "the IPv6 grant set is empty" not_in_set6 "$CL6_IP"

# --- ckq open to the server's IPv6 address ---
log_mark
capture_start ok6 "$NS_CL" ip6 and udp
knock_from "$NS_CL" srv6 open alice
capture_stop ok6
is "$RUN_RC" 0 "ckq open over IPv6 exits 0"
[ "$RUN_RC" = 0 ] || run_diag
n=$(pcap_count ok6 "ip6 and udp and src host $SV6_IP and src port $KNOCK_PORT and dst host $CL6_IP")
check "ckqd answered from [$SV6_IP]:$KNOCK_PORT over IPv6 ($n datagrams, want 2)" test "$n" = 2
check "it prints 'granted tcp/22 to $CL6_IP until HH:MM:SS'" granted_line "$RUN_OUT" "$CL6_IP"
assert_log "knock granted user=alice src=$CL6_IP port=tcp/22 duration=300"
entry=$(ipset6_entry "$CL6_IP" || true)
check "$SET6 holds the client's IPv6 address with comment \"alice\" ($entry)" \
	grep -Eq "^$CL6_IP timeout (29[0-9]|300) comment \"alice\"$" <<<"$entry"
check "the IPv4 set holds nothing for the client" not_in_set "$CL_IP"
check "the client can connect over IPv6" can_connect6 "$NS_CL"
line=$(service6_line "$NS_CL" || true)
is "$line" "SSH-2.0-ckq-test-service" "the client gets the service's banner over IPv6"
check "the other host still cannot connect over IPv6" cannot_connect6 "$NS_OT"
check "no grant for the other host's IPv6 address" not_in_set6 "$OT6_IP"
check "the client cannot connect over IPv4: the grant is for its IPv6 address" \
	cannot_connect "$NS_CL"
run in_sv "$CKQ_ADMIN" -c "$ETC" list
check "ckq-admin list shows alice open for $CL6_IP" \
	grep -Eq "^alice .* open tcp/22 for $CL6_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}" "$RUN_OUT"

# --- IPv4 beside it ---
log_mark
knock_from "$NS_CL" srv open bob
is "$RUN_RC" 0 "ckq open over IPv4 exits 0 while the IPv6 grant is open"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'granted tcp/22 to $CL_IP until HH:MM:SS'" granted_line "$RUN_OUT" "$CL_IP"
assert_log "knock granted user=bob src=$CL_IP port=tcp/22 duration=300"
check "ckq-tcp-22 holds the client's IPv4 address" \
	grep -q 'comment "bob"' <<<"$(ipset_entry "$CL_IP" || true)"
check "ckq6-tcp-22 still holds alice's grant" \
	grep -q 'comment "alice"' <<<"$(ipset6_entry "$CL6_IP" || true)"
check "the client can connect over IPv4" can_connect "$NS_CL"
check "and over IPv6" can_connect6 "$NS_CL"
check "the other host cannot connect over IPv4" cannot_connect "$NS_OT"
check "nor over IPv6" cannot_connect6 "$NS_OT"

# --- ckq close over IPv6 leaves the IPv4 grant alone ---
log_mark
knock_from "$NS_CL" srv6 close alice
is "$RUN_RC" 0 "ckq close over IPv6 exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'closed tcp/22 for $CL6_IP'" grep -Fqx "closed tcp/22 for $CL6_IP" "$RUN_OUT"
assert_log "knock closed user=alice src=$CL6_IP port=tcp/22"
check "the IPv6 grant is gone" not_in_set6 "$CL6_IP"
check "the client cannot connect over IPv6" cannot_connect6 "$NS_CL"
check "the IPv4 grant is still there" in_set "$CL_IP"
check "the client still connects over IPv4" can_connect "$NS_CL"
knock_from "$NS_CL" srv close bob
is "$RUN_RC" 0 "ckq close over IPv4 exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "the IPv4 grant is gone" not_in_set "$CL_IP"
check "the client cannot connect over IPv4" cannot_connect "$NS_CL"

# --- a wrong code over IPv6 ---
log_mark
capture_start att "$NS_CL" ip6 and udp
refused_knock "$NS_CL" srv6 carol "$(otp_wrong carol)"
capture_stop att
is "$RUN_RC" 1 "a wrong code over IPv6: ckq open exits 1"
[ "$RUN_RC" = 1 ] || run_diag
check "ckq says there was no answer from [$SV6_IP]" \
	grep -Fq "no answer from $SV6_IP udp/$KNOCK_PORT after 2 attempts" "$RUN_ERR"
assert_log "knock refused reason=bad_otp user=carol src=$CL6_IP$"
check "no IPv6 grant for the client" not_in_set6 "$CL6_IP"
check "the server sent nothing back over IPv6 (tcpdump ip6 and udp)" server6_silent att "$CL6_IP"
check "the client cannot connect over IPv6" cannot_connect6 "$NS_CL"

# --- --allow-from an IPv6 network ---
log_mark
knock_from "$NS_CL" srv6 open dora
is "$RUN_RC" 0 "a user allowed from $NET6::/64 knocks over IPv6: exit 0"
[ "$RUN_RC" = 0 ] || run_diag
check "granted for $CL6_IP" in_set6 "$CL6_IP"
log_mark
capture_start att "$NS_CL" udp
refused_knock "$NS_CL" srv dora "$(otp_next dora)"
capture_stop att
is "$RUN_RC" 1 "the same user over IPv4 is refused (exit 1)"
assert_log "knock refused reason=source_not_allowed user=dora src=$CL_IP$"
check "no IPv4 grant" not_in_set "$CL_IP"
check "the server sent nothing back over IPv4" server_silent att "$CL_IP"
run in_sv "$CKQ_ADMIN" -c "$ETC" close "$CL6_IP"
is "$RUN_RC" 0 "ckq-admin close $CL6_IP exits 0"
check "it says what it closed" grep -Fqx "closed tcp/22 for $CL6_IP (dora)" "$RUN_OUT"
check "the IPv6 grant is gone" not_in_set6 "$CL6_IP"

check "ckqd is still running" kill -0 "$CKQD_PID"
check "ckqd sent every reply (no 'cannot send reply')" \
	sh -c "! grep -q 'cannot send reply' '$LOG'"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
ckqd_counters
is "${CNT_GRANTED:-none} ${CNT_CLOSED:-none}" "3 2" "ckqd counted 3 grants and 2 closes"
done_testing
