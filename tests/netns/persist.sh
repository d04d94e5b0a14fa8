#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What ckqd remembers across a restart, end to end in network namespaces:
# a message 1 captured from a successful knock and replayed from the same
# address just after a restart, within its freshness window, gets no answer
# and no grant (the replay cache is saved in state_dir and loaded again); a
# TOTP code used just before a restart is refused just after it (each
# user's last step is saved too); a garbage state file does not stop ckqd
# from starting, with a warning, and the captured message still opens
# nothing (its code is used); a TOTP step beyond now + 1 in totp.state is
# ignored with a warning. The state files belong to ckqd's user and are
# private. Prints TAP. Needs root; bails out (fails) when it cannot
# run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR, CKQD_WRAPPER (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require stat
netns_setup
server_init
# Two codes at most each, so that none has to wait for the next TOTP step.
for u in alice bob carol dave; do
	enrol "$u"
done
start_ckqd
STATE=$TMP/state
FRESHNESS=30	# ckqd's default, which server_init leaves alone

# restart: SIGTERM, then start again; the log mark is set before the start.
restart() {
	stop_ckqd
	is "$CKQD_RC" 0 "$1: ckqd exits 0 on SIGTERM"
	log_mark
	start_ckqd
}

# replay NAME HEX: HEX sent from the client's address to the knock port,
# captured in the client's namespace.
replay() {
	capture_start "$1" "$NS_CL" udp
	in_cl python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --hex "$2" --wait 700 >"$TMP/$1.send"
	capture_stop "$1"
}

# owned_private FILE MODE: FILE belongs to nobody, with MODE.
owned_private() {
	[ "$(stat -c '%U %a' "$1")" = "nobody $2" ]
}

# --- a knock, captured, just before the restart ---
capture_start k1 "$NS_CL" udp port "$KNOCK_PORT"
t0=$(date +%s)
knock open alice
capture_stop k1
is "$RUN_RC" 0 "alice knocks, captured by tcpdump in the client's namespace"
[ "$RUN_RC" = 0 ] || run_diag
msg1=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/k1.pcap" --src "$CL_IP" --type 1 | head -n 1 |
	cut -d' ' -f5)
check "the capture holds her message 1" test -n "$msg1"
run in_sv "$CKQ_ADMIN" -c "$ETC" close alice
check "ckq-admin close alice closes the grant" not_in_set "$CL_IP"
# Another user, so that the replay below cannot be what uses the code.
knock open bob
is "$RUN_RC" 0 "bob knocks"
[ "$RUN_RC" = 0 ] || run_diag
used=$LAST_OTP
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob
check "ckq-admin close bob closes the grant" not_in_set "$CL_IP"

restart "right after the knocks"
check "the state directory belongs to nobody, mode 700 ($(stat -c '%U %a' "$STATE"))" \
	owned_private "$STATE" 700
for f in replay.state totp.state; do
	check "$f belongs to nobody, mode 600 ($(stat -c '%U %a' "$STATE/$f" 2>&1))" \
		owned_private "$STATE/$f" 600
done
assert_log "loaded [1-9][0-9]* replay-cache entries from $STATE/replay.state"
assert_log "loaded the last TOTP step of 2 users from $STATE/totp.state"

# --- the captured message 1, replayed after the restart ---
log_mark
replay r1 "$msg1"
check "message 1 replayed from the client after the restart: no answer" \
	grep -qx 'replies 0' "$TMP/r1.send"
check "... the server sent nothing (tcpdump)" server_silent r1 "$CL_IP"
assert_log "knock refused reason=replay user=- src=$CL_IP$"
check "... and no grant" not_in_set "$CL_IP"
elapsed=$(($(date +%s) - t0))
check "the replay came within message 1's freshness window (${elapsed}s < ${FRESHNESS}s)" \
	test "$elapsed" -lt "$FRESHNESS"

# --- the code used before the restart, in a fresh request ---
log_mark
capture_start o1 "$NS_CL" udp
run in_cl "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/bob" --otp "$used" --attempts 2 --timeout 500
capture_stop o1
is "$RUN_RC" 1 "bob's code from before the restart, in a new request: ckq open exits 1"
[ "$RUN_RC" = 1 ] || run_diag
assert_log "knock refused reason=bad_otp user=bob src=$CL_IP$"
check "... the server sent nothing" server_silent o1 "$CL_IP"
check "... and no grant" not_in_set "$CL_IP"
knock open bob
is "$RUN_RC" 0 "bob's next code works (so it was the used code that was refused)"
[ "$RUN_RC" = 0 ] || run_diag
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob
check "ckq-admin close bob closes it" not_in_set "$CL_IP"

# --- a garbage replay cache ---
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
head -c 600 /dev/urandom >"$STATE/replay.state"
log_mark
start_ckqd
check "with garbage in replay.state, ckqd starts anyway" kill -0 "$CKQD_PID"
assert_log "warning: $STATE/replay.state: .*: starting with an empty replay cache"
log_mark
replay r2 "$msg1"
check "the captured message 1 replayed again: no answer" grep -qx 'replies 0' "$TMP/r2.send"
check "... the server sent nothing" server_silent r2 "$CL_IP"
elapsed=$(($(date +%s) - t0))
if [ "$elapsed" -lt "$FRESHNESS" ]; then
	# The replay cache is gone, but the request's code is used.
	assert_log "knock refused reason=bad_otp user=alice src=$CL_IP$"
else
	assert_log "knock refused reason=stale_timestamp user=alice src=$CL_IP$"
fi
check "... and no grant" not_in_set "$CL_IP"
log_mark
knock open carol
is "$RUN_RC" 0 "carol knocks after that start"
[ "$RUN_RC" = 0 ] || run_diag
knock close carol
is "$RUN_RC" 0 "and closes"
[ "$RUN_RC" = 0 ] || run_diag
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
check "it wrote a valid replay cache again (magic CKQRPL1)" \
	sh -c "head -c 7 '$STATE/replay.state' | grep -qx CKQRPL1"
check "replay.state belongs to nobody, mode 600 ($(stat -c '%U %a' "$STATE/replay.state"))" \
	owned_private "$STATE/replay.state" 600

# --- a garbage TOTP state ---
printf 'alice = banana\n\001\002\003\n' >"$STATE/totp.state"
log_mark
start_ckqd
check "with garbage in totp.state, ckqd starts anyway" kill -0 "$CKQD_PID"
assert_log "warning: $STATE/totp.state line 1: malformed"
assert_log "loaded [1-9][0-9]* replay-cache entries from $STATE/replay.state"
knock open dave
is "$RUN_RC" 0 "dave knocks after that start"
[ "$RUN_RC" = 0 ] || run_diag
check "totp.state is rewritten after the accepted request" \
	wait_until 3 grep -Eqx 'dave = [0-9]+' "$STATE/totp.state"
check "totp.state belongs to nobody, mode 600 ($(stat -c '%U %a' "$STATE/totp.state"))" \
	owned_private "$STATE/totp.state" 600
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"

# --- a TOTP step in the future: kept, it would refuse dave's codes for years ---
far=$(($(date +%s) / 30 + 10000000))
printf 'dave = %s\n' "$far" >"$STATE/totp.state"
chown nobody: "$STATE/totp.state"
log_mark
start_ckqd
assert_log "warning: $STATE/totp.state line 1: dave's last TOTP step $far is beyond now \+ 1 \([0-9]+\): ignored"
knock open dave
is "$RUN_RC" 0 "dave knocks with today's code all the same"
[ "$RUN_RC" = 0 ] || run_diag
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
