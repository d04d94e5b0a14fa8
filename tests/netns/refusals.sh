#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every way a knock is refused, end to end in network namespaces: the port
# stays closed (no ipset entry for the address), ckq exits 1 (3 when the
# answers fail authentication), ckqd logs the reason, and the server sends
# nothing back (tcpdump in the client's namespace during each attempt).
# Also: a captured knock replayed from another host and from the client,
# a fake server answering the client, and junk on the knock port.
# Prints TAP. Needs root; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require
netns_setup
server_init
for u in bob carol dave erin frank grace; do
	enrol "$u"
done
client_new dave "$TMP/client/dave-other-key"	# dave's name, another key pair
client_new mallory				# never registered
echo JBSWY3DPEHPK3PXP >"$TMP/otp/mallory.secret"
client_new hank					# only talks to the fake server
in_sv "$CKQ_ADMIN" -c "$ETC" revoke carol >/dev/null
start_ckqd -v

# attempt NS DIR CODE [ckq open options]: one knock from NS with the client
# directory DIR, captured in NS; sets RUN_*.
attempt() {
	local ns=$1 dir=$2 code=$3
	shift 3
	log_mark
	capture_start att "$ns" udp
	run ip netns exec "$ns" "$CKQ" open srv 22 -d "$dir" --otp "$code" \
		--attempts 2 --timeout 500 "$@"
	capture_stop att
}

# refused WHAT REASON USER [EXIT]: the checks after a refused attempt
# from the client.
refused() {
	local what=$1 reason=$2 user=$3 want=${4:-1}
	is "$RUN_RC" "$want" "$what: ckq open exits $want"
	[ "$RUN_RC" = "$want" ] || run_diag
	check "$what: ckq says there was no answer" \
		grep -Fq "no answer from $SV_IP udp/$KNOCK_PORT after 2 attempts" "$RUN_ERR"
	assert_log "knock refused reason=$reason user=$user src=$CL_IP$"
	check "$what: no grant for the client" not_in_set "$CL_IP"
	check "$what: the server sent nothing to the client" server_silent att "$CL_IP"
}

# --- wrong OTP ---
attempt "$NS_CL" "$TMP/client/bob" "$(otp_wrong bob)"
refused "wrong OTP" bad_otp bob

# --- reused OTP ---
knock open bob
is "$RUN_RC" 0 "bob knocks with a good code"
[ "$RUN_RC" = 0 ] || run_diag
used=$LAST_OTP
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob
check "ckq-admin close bob closes that grant" not_in_set "$CL_IP"
attempt "$NS_CL" "$TMP/client/bob" "$used"
refused "the same code again" bad_otp bob

# --- unknown user ---
attempt "$NS_CL" "$TMP/client/mallory" "$(totp mallory)"
refused "unregistered user" unknown_user mallory

# --- revoked user ---
attempt "$NS_CL" "$TMP/client/carol" "$(otp_next carol)"
refused "revoked user" revoked carol

# --- a registered name with another key ---
attempt "$NS_CL" "$TMP/client/dave-other-key" "$(otp_next dave)"
refused "dave's name with another key pair" bad_signature dave

# --- payload address is not the packet's ---
attempt "$NS_CL" "$TMP/client/erin" "$(otp_next erin)" --source-ip "$OT_IP"
refused "--source-ip of the other host" address_mismatch erin
check "--source-ip of the other host: no grant for that address either" not_in_set "$OT_IP"

# --- a clock two minutes slow, with the right code ---
code=$(otp_next frank)
log_mark
capture_start att "$NS_CL" udp
# faketime preloads its library; an ASan build insists on being first.
run in_cl env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	faketime -f '-120s' "$CKQ" open srv 22 -d "$TMP/client/frank" --otp "$code" \
	--attempts 2 --timeout 500
capture_stop att
refused "timestamp 120 s old" stale_timestamp frank
check "timestamp 120 s old: ckq's message mentions the clock" grep -q 'clock' "$RUN_ERR"

# --- a knock captured and replayed ---
capture_start replay "$NS_CL" udp port "$KNOCK_PORT"
t0=$(date +%s)
knock open grace
capture_stop replay
is "$RUN_RC" 0 "grace knocks, captured by tcpdump in the client's namespace"
[ "$RUN_RC" = 0 ] || run_diag
msg1=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/replay.pcap" --src "$CL_IP" --type 1 | head -n 1 |
	cut -d' ' -f5)
msg2=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/replay.pcap" --src "$SV_IP" --type 2 | head -n 1 |
	cut -d' ' -f5)
msg3=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/replay.pcap" --src "$CL_IP" --type 3 | head -n 1 |
	cut -d' ' -f5)
check "the capture holds messages 1, 2 and 3" test -n "$msg1" -a -n "$msg2" -a -n "$msg3"
knock close grace
is "$RUN_RC" 0 "grace closes the grant"
check "the grant is gone" not_in_set "$CL_IP"

# While the server still remembers both sessions (challenge_timeout, 10 s).
replay_send() {	# NS HEX NAME: sends HEX to the knock port from NS, captured
	capture_start "$3" "$1" udp
	ip netns exec "$1" python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --hex "$2" --wait 700 \
		>"$TMP/$3.send"
	capture_stop "$3"
}
replay_send "$NS_OT" "$msg1" r1
check "message 1 replayed at once from the other host: no answer" \
	grep -qx 'replies 0' "$TMP/r1.send"
check "... and no grant for the other host" not_in_set "$OT_IP"
replay_send "$NS_CL" "$msg1" r2
check "message 1 replayed at once from the client: no answer" grep -qx 'replies 0' "$TMP/r2.send"
replay_send "$NS_CL" "$msg3" r3
diag "message 3 replayed at once from the client got $(head -n 1 "$TMP/r3.send" | cut -d' ' -f2) answer(s) (the stored result is repeated, nothing is done)"
check "message 3 replayed at once from the client opens nothing" not_in_set "$CL_IP"
check "... and nothing for the other host" not_in_set "$OT_IP"

# Once the sessions are forgotten, the replay cache (until the timestamp's
# freshness runs out, 30 s) still knows message 1.
wait_s=$((t0 + 13 - $(date +%s)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
log_mark
replay_send "$NS_OT" "$msg1" r4
check "message 1 replayed later from the other host: no answer" grep -qx 'replies 0' "$TMP/r4.send"
check "... and the server sent nothing to the other host" server_silent r4 "$OT_IP"
assert_log "knock refused reason=replay user=- src=$OT_IP$"
check "... and no grant for the other host" not_in_set "$OT_IP"
log_mark
replay_send "$NS_CL" "$msg1" r5
check "message 1 replayed later from the client: no answer" grep -qx 'replies 0' "$TMP/r5.send"
check "... and the server sent nothing to the client" server_silent r5 "$CL_IP"
assert_log "knock refused reason=replay user=- src=$CL_IP$"
log_mark
replay_send "$NS_CL" "$msg3" r6
check "message 3 replayed later from the client: no answer" grep -qx 'replies 0' "$TMP/r6.send"
check "... and the server sent nothing" server_silent r6 "$CL_IP"
assert_log "knock refused reason=unknown_session user=- src=$CL_IP$"
check "no grant for the client after the replays" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"
elapsed=$(($(date +%s) - t0))
check "the replays ran within message 1's freshness window (${elapsed}s < 30s)" \
	test "$elapsed" -lt 30

# --- junk on the knock port ---
log_mark
lines_before=$(wc -l <"$LOG")
capture_start junk "$NS_OT" udp
in_ot python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --random 1 --count 50 --wait 10 >"$TMP/j1"
in_ot python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --random 120 --count 200 --wait 10 >"$TMP/j2"
in_ot python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --random 1300 --count 50 --wait 1500 >"$TMP/j3"
capture_stop junk
no_replies() {
	for f in "$@"; do
		grep -qx 'replies 0' "$f" || return 1
	done
}
check "300 junk datagrams get no reply" no_replies "$TMP/j1" "$TMP/j2" "$TMP/j3"
check "the server sent nothing to the junk's sender" server_silent junk "$OT_IP"
check "ckqd -v logs junk, rate-limited" log_since_mark_has 'junk dropped'
lines=$(($(wc -l <"$LOG") - lines_before))
check "no log flood: $lines lines for 300 junk datagrams (at most 20)" test "$lines" -le 20
check "ckqd is still running" kill -0 "$CKQD_PID"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
junk=$(sed -n 's/.*exiting: .* \([0-9]*\) junk$/\1/p' "$LOG" | tail -n 1)
check "its junk counter counts them all (${junk:-none} >= 300)" test "${junk:-0}" -ge 300

# --- a fake server ---
# ckqd is stopped. The NFQUEUE rule would hand udp/8888 to a queue that no
# one reads (dropped: fail closed), so an ACCEPT placed before it lets the
# impostor's socket get the knocks; it is removed afterwards.
knock_accept_on || bail "cannot let the knock port past the queue"
fake() {	# NAME: responder options
	local name=$1
	shift
	bg_start ip netns exec "$NS_SV" python3 "$UDP_TOOL" responder "$SV_IP" "$KNOCK_PORT" \
		--lifetime 30 "$@" >"$TMP/$name.out" 2>&1
	FAKE_PID=$BG_PID
	wait_until 5 grep -q listening "$TMP/$name.out" || bail "the fake server did not start"
}
fake fake1 --hex "$msg2"
run in_cl "$CKQ" open srv 22 -d "$TMP/client/hank" --otp 123456 --attempts 2 --timeout 500
bg_stop "$FAKE_PID"
is "$RUN_RC" 3 "answered with a challenge of an earlier session: ckq open exits 3"
[ "$RUN_RC" = 3 ] || run_diag
check "it says the answers failed authentication" grep -q 'failed authentication' "$RUN_ERR"
check "the fake server did get the knocks" grep -q "^got .* from $CL_IP:" "$TMP/fake1.out"
fake fake2 --random 300
run in_cl "$CKQ" open srv 22 -d "$TMP/client/hank" --otp 123456 --attempts 2 --timeout 500
bg_stop "$FAKE_PID"
is "$RUN_RC" 3 "answered with random bytes: ckq open exits 3"
[ "$RUN_RC" = 3 ] || run_diag
check "it says the answers failed authentication" grep -q 'failed authentication' "$RUN_ERR"
knock_accept_off
check "the ruleset is back to rules/ (the knock port queued first)" knock_queued_first
check "no grant was left for anyone" grant_set_empty
done_testing
