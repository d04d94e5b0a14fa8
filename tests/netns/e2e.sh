#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole story in three network namespaces (server, client, other host on
# one bridge): the drop-in ruleset keeps tcp/22 closed, a knock opens it for
# the client's address only, ckq close and ckq-admin close shut it, a short
# grant is expired by the kernel, an established connection outlives its
# grant, and ckq-admin add-user/del-user/revoke take effect in a running
# ckqd through SIGHUP. Prints TAP. Needs root; bails out (fails) when it
# cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require
netns_setup
server_init
enrol alice
enrol bob
enrol erin
client_new dave		# registered later, while ckqd runs
service_start
start_ckqd

# --- closed before a knock ---
check "the client cannot connect to tcp/22 before a knock" cannot_connect "$NS_CL"
check "the other host cannot connect either" cannot_connect "$NS_OT"
check "the grant set is empty" not_in_set "$CL_IP"

# --- ckq open ---
log_mark
knock open alice
is "$RUN_RC" 0 "ckq open exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'granted tcp/22 to $CL_IP until HH:MM:SS'" \
	grep -Eqx "granted tcp/22 to $CL_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}" "$RUN_OUT"
assert_log "knock granted user=alice src=$CL_IP port=tcp/22 duration=300"
entry=$(ipset_entry "$CL_IP" || true)
check "ipset holds the client's address with comment \"alice\" ($entry)" \
	grep -Eq "^$CL_IP timeout (29[0-9]|300) comment \"alice\"$" <<<"$entry"
check "the client can connect" can_connect "$NS_CL"
line=$(service_line "$NS_CL" || true)
is "$line" "SSH-2.0-ckq-test-service" "the client gets the service's banner"
check "the other host still cannot connect" cannot_connect "$NS_OT"
check "no grant for the other host's address" not_in_set "$OT_IP"

run in_sv "$CKQ_ADMIN" -c "$ETC" list
check "ckq-admin list shows alice open for $CL_IP" \
	grep -Eq "^alice .* open tcp/22 for $CL_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}" "$RUN_OUT"

# --- an established connection outlives the grant ---
rm -f "$TMP/go"
bg_start ip netns exec "$NS_CL" python3 "$TCP_TOOL" hold "$SV_IP" 22 "$TMP/go" --timeout 20 \
	>"$TMP/hold.out" 2>&1
hold_pid=$BG_PID
check "a long-lived connection exchanges a line while granted" \
	wait_until 5 grep -qx "before ok" "$TMP/hold.out"

# --- ckq close ---
log_mark
knock close alice
is "$RUN_RC" 0 "ckq close exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "it prints 'closed tcp/22 for $CL_IP'" grep -Eqx "closed tcp/22 for $CL_IP" "$RUN_OUT"
assert_log "knock closed user=alice src=$CL_IP port=tcp/22"
check "the grant is gone from ipset" not_in_set "$CL_IP"
check "a new connection from the client is refused" cannot_connect "$NS_CL"
touch "$TMP/go"
bg_wait "$hold_pid" 10
is "$BG_RC" 0 "the established connection still works after the grant is gone"
check "it exchanged its second line" grep -qx "after ok" "$TMP/hold.out"
check "the client still cannot open a new connection" cannot_connect "$NS_CL"

# --- a short grant expires in the kernel ---
log_mark
knock open bob --duration 3
is "$RUN_RC" 0 "ckq open --duration 3 exits 0"
[ "$RUN_RC" = 0 ] || run_diag
assert_log "knock granted user=bob src=$CL_IP port=tcp/22 duration=3"
check "ipset holds the address with a timeout of at most 3 s" \
	grep -Eq "^$CL_IP timeout [0-3] comment \"bob\"$" <<<"$(ipset_entry "$CL_IP" || true)"
check "the client can connect during the 3 s" can_connect "$NS_CL"
sleep 5
check "after 5 s the kernel has expired the entry" not_in_set "$CL_IP"
check "and the client cannot connect" cannot_connect "$NS_CL"

# --- ckq-admin close ---
knock open bob
is "$RUN_RC" 0 "bob knocks again"
[ "$RUN_RC" = 0 ] || run_diag
check "bob's grant is in ipset" in_set "$CL_IP"
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob
is "$RUN_RC" 0 "ckq-admin close bob exits 0"
check "it says what it closed" grep -Fqx "closed tcp/22 for $CL_IP (bob)" "$RUN_OUT"
check "the grant is gone from ipset" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob
check "a second close finds nothing open" grep -Fqx "nothing was open for bob" "$RUN_OUT"

# --- SIGHUP: add-user takes effect without a restart ---
log_mark
run user_add dave
is "$RUN_RC" 0 "ckq-admin add-user dave while ckqd runs"
check "it says ckqd reloaded" grep -Fqx "ckqd reloaded its users" "$RUN_OUT"
assert_log "reloaded 4 users from "
knock open dave
is "$RUN_RC" 0 "dave can knock at once, without a restart"
[ "$RUN_RC" = 0 ] || run_diag
check "dave's grant is in ipset" grep -q 'comment "dave"' <<<"$(ipset_entry "$CL_IP" || true)"
check "the client can connect" can_connect "$NS_CL"

# --- SIGHUP: del-user closes the grants and refuses the next knock ---
log_mark
run in_sv "$CKQ_ADMIN" -c "$ETC" del-user dave
is "$RUN_RC" 0 "ckq-admin del-user dave exits 0"
check "it says dave's grant was closed" grep -Fqx "closed tcp/22 for $CL_IP (dave)" "$RUN_OUT"
check "the grant is gone at once" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"
assert_log "reloaded 3 users from "
log_mark
knock open dave --attempts 2 --timeout 500
is "$RUN_RC" 1 "dave's next knock is refused (exit 1)"
assert_log "knock refused reason=unknown_user user=dave src=$CL_IP"
check "no grant after the refused knock" not_in_set "$CL_IP"

# --- SIGHUP: revoke ---
knock open erin
is "$RUN_RC" 0 "erin knocks"
[ "$RUN_RC" = 0 ] || run_diag
check "erin's grant is in ipset" grep -q 'comment "erin"' <<<"$(ipset_entry "$CL_IP" || true)"
log_mark
run in_sv "$CKQ_ADMIN" -c "$ETC" revoke erin
is "$RUN_RC" 0 "ckq-admin revoke erin exits 0"
check "it says erin's grant was closed" grep -Fqx "closed tcp/22 for $CL_IP (erin)" "$RUN_OUT"
check "the grant is gone at once" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"
assert_log "reloaded 3 users from "
run in_sv "$CKQ_ADMIN" -c "$ETC" list
check "ckq-admin list shows erin revoked" grep -Eq "^erin .* revoked$" "$RUN_OUT"
log_mark
knock open erin --attempts 2 --timeout 500
is "$RUN_RC" 1 "erin's next knock is refused (exit 1)"
assert_log "knock refused reason=revoked user=erin src=$CL_IP"
check "no grant after the refused knock" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"

# --- alice is unaffected by all that ---
knock open alice
is "$RUN_RC" 0 "alice can still knock"
check "and connect" can_connect "$NS_CL"

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
