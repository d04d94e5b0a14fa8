#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Suite 2 (doc/protocol.md 11) end to end in network namespaces, with a
# real ssh-agent in the client's namespace holding keys made by
# `ssh-keygen -t ed25519` and added with `ssh-add`: the admin registers a
# user from the .pub file and another from an authorized_keys line with
# options; each knocks through the agent, connects to tcp/22 and closes; a
# user whose key was made by `ckq keygen --type ed25519` knocks from the
# file, without an agent; suite 1 and suite 2 users knock the same ckqd;
# suite 2's refusals (wrong and reused code, revoked, port not allowed, a
# captured message 1 replayed, a suite 2 knock naming a user whose key is
# RSA, a key the agent does not hold) leave the port closed, the server
# silent and the reason in ckqd's log. Prints, as figures and not as
# assertions, the wall time of one `ckq open` of each suite.
#
# A security key (sk-ssh-ed25519@openssh.com) needs real hardware to sign:
# tests/unit/test_proto2 and test_sshkey cover FIDO signatures (the
# user-presence flag included) with vectors built from the documented
# format; here every key is a plain ssh-ed25519 one.
#
# Prints TAP. Needs root, ssh-keygen, ssh-agent and ssh-add; bails out
# (fails) when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require ssh-keygen ssh-agent ssh-add
netns_setup
server_init
echo "stats_file = $TMP/run/stats.prom" >>"$ETC/ckqd.conf"
check "ckq-admin init made the X25519 key, mode 0600" \
	test "$(stat -c %a "$ETC/server-x25519.key" 2>/dev/null)" = 600
check "server.pub holds two public keys (RSA, then X25519)" \
	test "$(grep -c 'BEGIN PUBLIC KEY' "$ETC/server.pub")" = 2

# --- the agent and the users' keys ---
SSH=$TMP/ssh
mkdir -m 700 "$SSH"
AGENT_SOCK=$TMP/agent.sock
bg_start ip netns exec "$NS_CL" ssh-agent -D -a "$AGENT_SOCK" >"$TMP/agent.out" 2>&1
wait_until 5 test -S "$AGENT_SOCK" || bail "ssh-agent did not start"
export SSH_AUTH_SOCK=$AGENT_SOCK
for k in sara tom wes rita-s2 vic; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@test" -f "$SSH/$k" || bail "ssh-keygen for $k failed"
done
for k in sara tom wes rita-s2; do
	in_cl ssh-add -q "$SSH/$k" 2>/dev/null || bail "ssh-add $k failed"
done
check "the agent holds four keys" test "$(in_cl ssh-add -l | wc -l)" = 4

# s2_client NAME PUBFILE [USER]: client directory $TMP/client/NAME for
# USER (default NAME), whose key is the ssh key PUBFILE.
s2_client() {
	local dir=$TMP/client/$1
	"$CKQ" add-server "$SRV_NAME" "$SV_IP" --key "$ETC/server.pub" --user "${3:-$1}" \
		--ssh-key "$2" -d "$dir" >"$TMP/add-server.out" 2>&1 ||
		{ cat "$TMP/add-server.out"; bail "ckq add-server --ssh-key for $1 failed"; }
}

# s2_user NAME KEYFILE [PORTS]: the admin registers NAME from KEYFILE.
s2_user() {
	in_sv "$CKQ_ADMIN" -c "$ETC" add-user "$1" --key "$2" --ports "${3:-tcp/22}" --no-qr \
		>"$TMP/add-user.$1" 2>&1 || { cat "$TMP/add-user.$1"; bail "ckq-admin add-user $1 failed"; }
	sed -n 's/^totp_secret = //p' "$ETC/users/$1.conf" >"$TMP/otp/$1.secret"
}

# sara: from her id_ed25519.pub.
s2_client sara "$SSH/sara.pub"
s2_user sara "$SSH/sara.pub"
fp=$(ssh-keygen -lf "$SSH/sara.pub" | awk '{ print $2 }')
check "add-user prints the key's type and its fingerprint as ssh-keygen -lf does ($fp)" \
	grep -q "ssh-ed25519.*$fp\|$fp.*ssh-ed25519" "$TMP/add-user.sara"
check "sara's client key file is her OpenSSH line" \
	cmp -s <(cut -d' ' -f1,2 "$TMP/client/sara/keys/sara.pub") <(cut -d' ' -f1,2 "$SSH/sara.pub")
# tom: from a line of an authorized_keys file, options and all.
printf 'no-pty,from="10.0.0.0/8" %s\n' "$(cat "$SSH/tom.pub")" >"$TMP/authorized_keys"
s2_client tom "$SSH/tom.pub"
s2_user tom "$TMP/authorized_keys"
check "tom's users/tom.pub is his key's OpenSSH line, without the options" \
	grep -q "^$(cut -d' ' -f1,2 "$SSH/tom.pub")" "$ETC/users/tom.pub"
# uma: a key of ckq keygen --type ed25519, in a file, no agent.
"$CKQ" keygen uma --type ed25519 -d "$TMP/client/uma" >"$TMP/keygen.uma" 2>&1 ||
	{ cat "$TMP/keygen.uma"; bail "ckq keygen uma --type ed25519 failed"; }
"$CKQ" add-server "$SRV_NAME" "$SV_IP" --key "$ETC/server.pub" --user uma -d "$TMP/client/uma" \
	>"$TMP/add-server.out" 2>&1 || { cat "$TMP/add-server.out"; bail "ckq add-server for uma failed"; }
check "ckq keygen --type ed25519 writes an ssh-ed25519 line" \
	grep -q '^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5' "$TMP/client/uma/keys/uma.pub"
check "and a private key file of mode 0600" \
	test "$(stat -c %a "$TMP/client/uma/keys/uma.key" 2>/dev/null)" = 600
s2_user uma "$TMP/client/uma/keys/uma.pub"
# wes: to be revoked. rita: a suite 1 (RSA) user, who also tries suite 2.
s2_client wes "$SSH/wes.pub"
s2_user wes "$SSH/wes.pub"
enrol rita
s2_client rita-s2 "$SSH/rita-s2.pub" rita
# vic: registered, but the agent does not hold his key.
s2_client vic "$SSH/vic.pub"
s2_user vic "$SSH/vic.pub"
in_sv "$CKQ_ADMIN" -c "$ETC" revoke wes >/dev/null
run in_sv "$CKQ_ADMIN" -c "$ETC" list
check "ckq-admin list shows the key types" \
	grep -q 'ssh-ed25519' "$RUN_OUT"

service_start
start_ckqd -v
assert_log "ready: .* suite 2 on"

# s2_knock CMD NAME [ckq options]: as knock (lib.sh), with the time of the
# run in KNOCK_MS.
s2_knock() {
	local t0
	t0=$(date +%s%N)
	knock "$@"
	KNOCK_MS=$((($(date +%s%N) - t0) / 1000000))
}

check "the client cannot connect before a knock" cannot_connect "$NS_CL"

# --- sara: knock through the agent, connect, close ---
log_mark
s2_knock open sara
is "$RUN_RC" 0 "sara's ckq open (ssh-agent) exits 0"
[ "$RUN_RC" = 0 ] || run_diag
s2_ms=$KNOCK_MS
check "it prints 'granted tcp/22 to $CL_IP until HH:MM:SS'" \
	grep -Eqx "granted tcp/22 to $CL_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}" "$RUN_OUT"
assert_log "knock granted user=sara src=$CL_IP port=tcp/22 duration=300"
check "ipset holds the address with comment \"sara\"" \
	grep -q 'comment "sara"' <<<"$(ipset_entry "$CL_IP" || true)"
check "the client can connect" can_connect "$NS_CL"
is "$(service_line "$NS_CL" || true)" "SSH-2.0-ckq-test-service" "and gets the service's banner"
check "the other host still cannot connect" cannot_connect "$NS_OT"
log_mark
knock close sara
is "$RUN_RC" 0 "sara's ckq close exits 0"
[ "$RUN_RC" = 0 ] || run_diag
assert_log "knock closed user=sara src=$CL_IP port=tcp/22"
check "the grant is gone" not_in_set "$CL_IP"
check "the client cannot connect" cannot_connect "$NS_CL"

# --- tom, registered from an authorized_keys line ---
log_mark
knock open tom
is "$RUN_RC" 0 "tom's ckq open (ssh-agent, authorized_keys line) exits 0"
[ "$RUN_RC" = 0 ] || run_diag
assert_log "knock granted user=tom src=$CL_IP port=tcp/22"
check "the client can connect" can_connect "$NS_CL"
knock close tom
check "tom closes" not_in_set "$CL_IP"

# --- uma, a file key, no agent ---
log_mark
code=$(otp_next uma)
run in_cl env -u SSH_AUTH_SOCK "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/uma" --otp "$code"
is "$RUN_RC" 0 "uma's ckq open (key file, no SSH_AUTH_SOCK) exits 0"
[ "$RUN_RC" = 0 ] || run_diag
assert_log "knock granted user=uma src=$CL_IP port=tcp/22"
check "the client can connect" can_connect "$NS_CL"
run in_sv "$CKQ_ADMIN" -c "$ETC" close uma
check "ckq-admin close uma closes it" not_in_set "$CL_IP"

# --- suite 1 and suite 2 on the same ckqd ---
log_mark
s2_knock open rita
is "$RUN_RC" 0 "rita (RSA, suite 1) knocks the same ckqd"
[ "$RUN_RC" = 0 ] || run_diag
s1_ms=$KNOCK_MS
assert_log "knock granted user=rita src=$CL_IP port=tcp/22"
s2_knock open sara
is "$RUN_RC" 0 "and sara (suite 2) right after"
[ "$RUN_RC" = 0 ] || run_diag
s2b_ms=$KNOCK_MS
assert_log "knock granted user=sara src=$CL_IP port=tcp/22"
check "the entry holds one of their grants" \
	grep -Eq 'comment "(rita|sara)"' <<<"$(ipset_entry "$CL_IP" || true)"
knock close rita
knock close sara
check "both closed: no grant left" not_in_set "$CL_IP"
diag "knock-to-grant wall time of one ckq open (process start to exit, a figure, not judged):" \
	"  suite 2 through ssh-agent: ${s2_ms} ms, again after suite 1: ${s2b_ms} ms" \
	"  suite 1 (RSA key file): ${s1_ms} ms"

# --- refusals ---
# attempt DIR CODE [ckq open options]: one knock from the client with the
# client directory DIR, captured in its namespace; sets RUN_*.
attempt() {
	local dir=$1 code=$2
	shift 2
	log_mark
	capture_start att "$NS_CL" udp
	run in_cl "$CKQ" open "$SRV_NAME" "${PORT:-22}" -d "$dir" --otp "$code" \
		--attempts 2 --timeout 500 "$@"
	capture_stop att
}

# refused WHAT REASON USER: the checks after a refused attempt.
refused() {
	is "$RUN_RC" 1 "$1: ckq open exits 1"
	[ "$RUN_RC" = 1 ] || run_diag
	check "$1: ckq says there was no answer" \
		grep -Fq "no answer from $SV_IP udp/$KNOCK_PORT after 2 attempts" "$RUN_ERR"
	assert_log "knock refused reason=$2 user=$3 src=$CL_IP$"
	check "$1: no grant for the client" not_in_set "$CL_IP"
	check "$1: the server sent nothing to the client" server_silent att "$CL_IP"
}

attempt "$TMP/client/sara" "$(otp_wrong sara)"
refused "suite 2, wrong code" bad_otp sara

knock open sara
is "$RUN_RC" 0 "sara knocks with a good code"
used=$LAST_OTP
in_sv "$CKQ_ADMIN" -c "$ETC" close sara >/dev/null
attempt "$TMP/client/sara" "$used"
refused "suite 2, the same code again" bad_otp sara

attempt "$TMP/client/wes" "$(otp_next wes)"
refused "suite 2, revoked user" revoked wes

PORT=23 attempt "$TMP/client/tom" "$(otp_next tom)"
refused "suite 2, a port the user may not open" port_not_allowed tom

# A suite 2 knock naming rita, whose registered key is RSA: refused before
# any signature check, so it costs the server its X25519 and nothing more.
# The counters are read from the stats file each time it is written anew.
stats_fresh() {	# waits (at most 8 s) for a write after $1, then prints priv pub
	local f=$TMP/run/stats.prom
	wait_until 8 test "$(stat -c %Y "$f" 2>/dev/null || echo 0)" -gt "$1" || return 1
	awk '$1 == "ckq_private_key_ops_total" { p = $2 } $1 == "ckq_public_key_ops_total" { u = $2 }
		END { print p, u }' "$f"
}
before=$(stats_fresh "$(date +%s)") || before=
attempt "$TMP/client/rita-s2" "$(otp_next rita)"
refused "a suite 2 knock for a user whose key is RSA" bad_signature rita
after=$(stats_fresh "$(date +%s)") || after=
read -r p0 u0 <<<"${before:-x x}"
read -r p1 u1 <<<"${after:-y y}"
check "... cost one private-key operation (the X25519) and no signature check (ops ${before:-?} -> ${after:-?})" \
	test -n "$before" -a -n "$after" -a "$((p1 - p0))" = 1 -a "$((u1 - u0))" = 0

# A knock captured and replayed, while the server remembers the session
# and after (the replay cache, until freshness runs out).
capture_start replay "$NS_CL" udp port "$KNOCK_PORT"
t0=$(date +%s)
knock open tom
capture_stop replay
is "$RUN_RC" 0 "tom knocks, captured by tcpdump"
[ "$RUN_RC" = 0 ] || run_diag
msg1=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/replay.pcap" --src "$CL_IP" --type 1 | head -n 1 |
	cut -d' ' -f5)
check "the capture holds a suite 2 message 1" test "${msg1:8:2}" = 02
knock close tom
check "tom closes" not_in_set "$CL_IP"
replay_send() {	# NS HEX NAME
	capture_start "$3" "$1" udp
	ip netns exec "$1" python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --hex "$2" --wait 700 \
		>"$TMP/$3.send"
	capture_stop "$3"
}
replay_send "$NS_OT" "$msg1" r1
check "message 1 replayed at once from the other host: no answer" grep -qx 'replies 0' "$TMP/r1.send"
check "... and no grant for it" not_in_set "$OT_IP"
wait_s=$((t0 + 13 - $(date +%s)))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
log_mark
replay_send "$NS_OT" "$msg1" r2
check "message 1 replayed later from the other host: no answer" grep -qx 'replies 0' "$TMP/r2.send"
check "... the server sent nothing" server_silent r2 "$OT_IP"
assert_log "knock refused reason=replay user=- src=$OT_IP$"
log_mark
replay_send "$NS_CL" "$msg1" r3
check "message 1 replayed later from the client: no answer" grep -qx 'replies 0' "$TMP/r3.send"
assert_log "knock refused reason=replay user=- src=$CL_IP$"
check "no grant after the replays" not_in_set "$CL_IP"

# A key the agent does not hold: the client says so and sends nothing.
log_mark
capture_start att "$NS_CL" udp
run in_cl "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/vic" --otp "$(otp_next vic)" \
	--attempts 2 --timeout 500
capture_stop att
check "vic's ckq open fails: his key is not in the agent (exit $RUN_RC)" test "$RUN_RC" != 0
check "... and it says to add it (ssh-add)" grep -q 'ssh-add' "$RUN_ERR"
[ "$RUN_RC" != 0 ] && grep -q 'ssh-add' "$RUN_ERR" || run_diag
check "... having sent nothing to the knock port" \
	test "$(python3 "$UDP_TOOL" pcap-payloads "$TMP/att.pcap" --src "$CL_IP" --dst "$SV_IP" \
		--dport "$KNOCK_PORT" | wc -l)" = 0

# --- ckqd without server-x25519.key: suite 2 is junk, suite 1 works ---
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
mv "$ETC/server-x25519.key" "$TMP/server-x25519.key"
run in_sv "$CKQ_ADMIN" -c "$ETC" check
check "ckq-admin check notes that suite 2 is off" grep -q '^note: .*suite 2 off' "$RUN_OUT"
start_ckqd
assert_log "ready: .* suite 2 off"
attempt "$TMP/client/sara" "$(otp_next sara)"
is "$RUN_RC" 1 "without the X25519 key, sara's knock gets no answer"
check "... no grant" not_in_set "$CL_IP"
check "... the server sent nothing" server_silent att "$CL_IP"
knock open rita
is "$RUN_RC" 0 "rita (suite 1) still knocks"
stop_ckqd
ckqd_counters
check "the suite 2 datagrams were counted as junk (${CNT_JUNK:-none})" test "${CNT_JUNK:-0}" -ge 2

# --- an old server gains suite 2 without --force ---
rm -f "$ETC/server-x25519.key"
grep -m1 -B100 'END PUBLIC KEY' "$ETC/server.pub" >"$TMP/rsa-only.pub"
cp "$TMP/rsa-only.pub" "$ETC/server.pub"
run in_sv "$CKQ_ADMIN" -c "$ETC" init
is "$RUN_RC" 0 "ckq-admin init on a server without the X25519 key exits 0"
check "it made server-x25519.key" test -s "$ETC/server-x25519.key"
check "server.pub starts with the same RSA key" \
	cmp -s "$TMP/rsa-only.pub" <(head -n "$(wc -l <"$TMP/rsa-only.pub")" "$ETC/server.pub")
check "and holds the X25519 key after it" test "$(grep -c 'BEGIN PUBLIC KEY' "$ETC/server.pub")" = 2
check "it says suite 1 users keep working" grep -q 'Suite 1 .* unchanged' "$RUN_OUT"
run in_sv "$CKQ_ADMIN" -c "$ETC" init
is "$RUN_RC" 1 "a second init without --force refuses"
start_ckqd
knock open rita
is "$RUN_RC" 0 "rita's (suite 1) old server.pub still works"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"
done_testing
