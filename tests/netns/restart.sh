#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckqd stopping, starting and reloading, end to end in network namespaces:
# while ckqd is stopped the knock port is silent and nothing opens (the
# NFQUEUE rule has no bypass), a grant made before still works (the kernel
# enforces it) and after the restart; SIGTERM exits 0 and removes the pid
# file; a SIGHUP that finds a broken user file loads the others, refuses
# that user and logs the file and line. Prints TAP. Needs root; bails out (fails) when it
# cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require
netns_setup
server_init
enrol alice	# knocks from the client
enrol bob	# knocks from the other host
service_start
start_ckqd

check "ckqd wrote its pid file" grep -qx "$CKQD_PID" "$TMP/run/ckqd.pid"
knock open alice
is "$RUN_RC" 0 "alice knocks before the restart"
[ "$RUN_RC" = 0 ] || run_diag
check "the client can connect" can_connect "$NS_CL"

# --- stopped ---
pid=$CKQD_PID
log_mark
stop_ckqd
is "$CKQD_RC" 0 "SIGTERM: ckqd exits 0"
check "its process is gone" test ! -d "/proc/$pid"
check "it removed its pid file" test ! -e "$TMP/run/ckqd.pid"
assert_log "exiting: [0-9]+ packets, 1 granted, 0 closed, 0 refused, 0 junk"
run in_sv "$CKQ_ADMIN" -c "$ETC" status
check "ckq-admin status says ckqd is not running" grep -q '^ckqd: *not running' "$RUN_OUT"

capture_start down "$NS_OT" udp
code=$(otp_next bob)
run in_ot "$CKQ" open srv 22 -d "$TMP/client/bob" --otp "$code" --attempts 2 --timeout 500
capture_stop down
is "$RUN_RC" 1 "ckqd stopped: a knock from the other host exits 1"
[ "$RUN_RC" = 1 ] || run_diag
check "with the 'no answer' message" \
	grep -Fq "no answer from $SV_IP udp/$KNOCK_PORT after 2 attempts" "$RUN_ERR"
check "the knock port stayed silent" server_silent down "$OT_IP"
check "no grant for the other host" not_in_set "$OT_IP"
check "the other host cannot connect" cannot_connect "$NS_OT"
check "alice's grant is still in the kernel" in_set "$CL_IP"
check "and the client can still connect while ckqd is stopped" can_connect "$NS_CL"
line=$(service_line "$NS_CL" || true)
is "$line" "SSH-2.0-ckq-test-service" "and gets the service's banner"

# --- started again ---
start_ckqd
check "ckqd wrote a new pid file" grep -qx "$CKQD_PID" "$TMP/run/ckqd.pid"
run in_sv "$CKQ_ADMIN" -c "$ETC" status
check "ckq-admin status says it runs" grep -q "^ckqd: *running (pid $CKQD_PID)" "$RUN_OUT"
check "alice's grant survived the restart" in_set "$CL_IP"
check "the client can still connect" can_connect "$NS_CL"
log_mark
code=$(otp_next bob)
run in_ot "$CKQ" open srv 22 -d "$TMP/client/bob" --otp "$code"
is "$RUN_RC" 0 "the other host's knock works again"
[ "$RUN_RC" = 0 ] || run_diag
assert_log "knock granted user=bob src=$OT_IP port=tcp/22"
check "the other host can connect" can_connect "$NS_OT"

# --- SIGHUP with a broken user file ---
cp "$ETC/users/alice.pub" "$ETC/users/zed.pub"
(umask 077 && printf '# added by hand\nports = tcp/22\nports = tcp/banana\n' >"$ETC/users/zed.conf")
# As ckq-admin would have it: owned by the user ckqd runs as.
chown nobody: "$ETC/users/zed.conf" "$ETC/users/zed.pub"
log_mark
kill -HUP "$CKQD_PID"
assert_log "user zed is refused until their files load: .*zed\.conf line 3"
# The others load: one broken file neither stops the reload nor keeps stale users.
assert_log "reloaded 3 users from $ETC/users, 1 refused as unreadable"
check "ckqd still runs" kill -0 "$CKQD_PID"
knock close alice
is "$RUN_RC" 0 "alice, loaded before, still knocks (ckq close)"
[ "$RUN_RC" = 0 ] || run_diag
check "her grant is closed" not_in_set "$CL_IP"
code=$(otp_next bob)
run in_ot "$CKQ" close srv 22 -d "$TMP/client/bob" --otp "$code"
is "$RUN_RC" 0 "bob too (ckq close from the other host)"
[ "$RUN_RC" = 0 ] || run_diag
check "his grant is closed" not_in_set "$OT_IP"
rm -f "$ETC/users/zed.conf" "$ETC/users/zed.pub"
log_mark
kill -HUP "$CKQD_PID"
assert_log "reloaded 2 users from "

stop_ckqd
is "$CKQD_RC" 0 "SIGTERM again: exit 0"
check "pid file removed again" test ! -e "$TMP/run/ckqd.pid"
done_testing
