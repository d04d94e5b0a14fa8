#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A client behind NAT (client --veth-- nat router --veth-- the server's
# network, masqueraded; the server has no route to the client's network).
# A plain knock names the client's own address and is refused
# (address_mismatch); ckq open --nat is refused for a user without --nat
# (nat_not_allowed) and granted, for the NAT router's outside address, to
# a user with it; ckq open --source-ip with that address works for a user
# without --nat. Through the NAT the client then reaches tcp/22; another
# host on the server's network does not. Prints TAP. Needs root; bails out
# (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_net.sh
. "$(dirname "$0")/lib_net.sh"

require
netns_setup_nat
server_init
enrol alice			# no --nat
enrol_with natty --nat
enrol bob			# no --nat, knocks with --source-ip
service_start
start_ckqd

# --- the topology ---
check "the server has no route to the client's network" \
	sh -c "! ip netns exec $NS_SV ip route get $CL_IP >/dev/null 2>&1"
check "the client reaches the server's network through the NAT router" \
	in_cl python3 "$TCP_TOOL" reach "$OT_IP" 9
check "the client cannot connect to tcp/22 before a knock" cannot_connect "$NS_CL"
check "the other host cannot either" cannot_connect "$NS_OT"

# --- a plain knock from behind NAT ---
log_mark
capture_start att "$NS_CL" udp
refused_knock "$NS_CL" srv alice "$(otp_next alice)"
capture_stop att
is "$RUN_RC" 1 "a plain knock from behind NAT: ckq open exits 1"
[ "$RUN_RC" = 1 ] || run_diag
assert_log "knock refused reason=address_mismatch user=alice src=$NAT_OUT_IP$"
check "no grant for the NAT's outside address" not_in_set "$NAT_OUT_IP"
check "no grant for the client's own address" not_in_set "$CL_IP"
check "the server sent nothing back" server_silent att "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"

# --- --nat for a user without --nat ---
log_mark
capture_start att "$NS_CL" udp
refused_knock "$NS_CL" srv alice "$(otp_next alice)" --nat
capture_stop att
is "$RUN_RC" 1 "ckq open --nat for a user added without --nat exits 1"
[ "$RUN_RC" = 1 ] || run_diag
assert_log "knock refused reason=nat_not_allowed user=alice src=$NAT_OUT_IP$"
check "no grant for the NAT's outside address" not_in_set "$NAT_OUT_IP"
check "the server sent nothing back" server_silent att "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"

# --- --nat for a user with --nat ---
log_mark
knock_from "$NS_CL" srv open natty --nat
is "$RUN_RC" 0 "ckq open --nat for a user added with --nat exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'granted tcp/22 to $NAT_OUT_IP until HH:MM:SS' (the address the server saw)" \
	granted_line "$RUN_OUT" "$NAT_OUT_IP"
assert_log "knock granted user=natty src=$NAT_OUT_IP port=tcp/22 duration=300"
entry=$(ipset_entry "$NAT_OUT_IP" || true)
check "ipset holds the NAT's outside address with comment \"natty\" ($entry)" \
	grep -Eq "^$NAT_OUT_IP timeout (29[0-9]|300) comment \"natty\"$" <<<"$entry"
check "and nothing for the client's own address" not_in_set "$CL_IP"
check "the client connects through the NAT" can_connect "$NS_CL"
line=$(service_line "$NS_CL" || true)
is "$line" "SSH-2.0-ckq-test-service" "the client gets the service's banner"
check "the other host on the server's network cannot connect" cannot_connect "$NS_OT"
check "no grant for the other host" not_in_set "$OT_IP"
log_mark
knock_from "$NS_CL" srv close natty --nat
is "$RUN_RC" 0 "ckq close --nat exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'closed tcp/22 for $NAT_OUT_IP'" grep -Fqx "closed tcp/22 for $NAT_OUT_IP" "$RUN_OUT"
assert_log "knock closed user=natty src=$NAT_OUT_IP port=tcp/22"
check "the grant is gone" not_in_set "$NAT_OUT_IP"
check "the client cannot connect" cannot_connect "$NS_CL"

# --- --source-ip names the outside address, for a user without --nat ---
log_mark
knock_from "$NS_CL" srv open bob --source-ip "$NAT_OUT_IP"
is "$RUN_RC" 0 "ckq open --source-ip $NAT_OUT_IP exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'granted tcp/22 to $NAT_OUT_IP until HH:MM:SS'" granted_line "$RUN_OUT" "$NAT_OUT_IP"
assert_log "knock granted user=bob src=$NAT_OUT_IP port=tcp/22 duration=300"
check "ipset holds the NAT's outside address with comment \"bob\"" \
	grep -q 'comment "bob"' <<<"$(ipset_entry "$NAT_OUT_IP" || true)"
check "the client connects through the NAT" can_connect "$NS_CL"
check "the other host on the server's network cannot connect" cannot_connect "$NS_OT"
log_mark
capture_start att "$NS_CL" udp
refused_knock "$NS_CL" srv bob "$(otp_next bob)" --source-ip "$OT_IP"
capture_stop att
is "$RUN_RC" 1 "ckq open --source-ip of another address from behind NAT exits 1"
assert_log "knock refused reason=address_mismatch user=bob src=$NAT_OUT_IP$"
check "no grant for that address" not_in_set "$OT_IP"
check "the server sent nothing back" server_silent att "$CL_IP"
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob
check "ckq-admin close bob closes the grant of $NAT_OUT_IP" \
	grep -Fqx "closed tcp/22 for $NAT_OUT_IP (bob)" "$RUN_OUT"
check "the client cannot connect" cannot_connect "$NS_CL"

check "ckqd is still running" kill -0 "$CKQD_PID"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
