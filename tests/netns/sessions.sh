#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sessions: 'ckq open --keep' renews a grant before it runs out, each time
# with a new code from --otp-command, until SIGINT (then the grant runs out
# on its own) or, with --close-on-exit, closes it; and a real OpenSSH
# server behind the drop-in ruleset, reached with 'ckq proxy' as ssh's
# ProxyCommand, by the server's stored name. Prints TAP. Needs root and
# Debian's openssh-server and openssh-client; bails out (fails) when it
# cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

SSHD=/usr/sbin/sshd
OFFICE=office	# the name bob stores the server under: what ssh passes as %h
KEEP_DURATION=24

require ssh ssh-keygen setsid
[ -x "$SSHD" ] || bail "$SSHD not found (apt-get install openssh-server)"
netns_setup

# sshd refuses to start without its privilege separation directory, which
# Debian creates only from its service unit.
made_run_sshd=
# shellcheck disable=SC2317 # called by the EXIT trap
sessions_cleanup() {
	cleanup
	[ -z "$made_run_sshd" ] || rmdir /run/sshd 2>/dev/null || true
}
trap sessions_cleanup EXIT
if [ ! -d /run/sshd ]; then
	mkdir -m 0755 /run/sshd || bail "cannot create /run/sshd"
	made_run_sshd=1
fi

server_init
enrol alice
enrol bob
enrol erin
"$CKQ" add-server "$OFFICE" "$SV_IP" --key "$ETC/server.pub" --user bob -d "$TMP/client/bob" \
	>"$TMP/add-server.out" 2>&1 ||
	{ cat "$TMP/add-server.out"; bail "ckq add-server $OFFICE failed"; }

# An --otp-command for the tests: lib.sh's otp_next, so each call prints a
# code of a step not used yet that the server still takes. One line per
# call in $TMP/otp/NAME.calls.
cat >"$TMP/otp-command" <<EOF
#!/bin/bash
set -eu
. "$netns_dir/lib.sh"
TMP=$TMP
echo call >>"\$TMP/otp/\$1.calls"
otp_next "\$1"
EOF
chmod 755 "$TMP/otp-command"

# --- sshd on port 22 of the server, behind the ruleset -------------------------

ssh-keygen -q -t ed25519 -N '' -C ckq-test-host -f "$TMP/ssh_host_key" || bail "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C ckq-test-user -f "$TMP/id_test" || bail "ssh-keygen failed"
cp "$TMP/id_test.pub" "$TMP/authorized_keys"
cat >"$TMP/sshd_config" <<EOF
Port $SERVICE_PORT
ListenAddress $SV_IP
HostKey $TMP/ssh_host_key
PermitRootLogin prohibit-password
AuthorizedKeysFile $TMP/authorized_keys
StrictModes no
PidFile $TMP/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
in_sv "$SSHD" -t -f "$TMP/sshd_config" >"$TMP/sshd-t.out" 2>&1 ||
	{ cat "$TMP/sshd-t.out"; bail "sshd does not accept its configuration"; }
bg_start ip netns exec "$NS_SV" "$SSHD" -D -e -f "$TMP/sshd_config" 2>"$TMP/sshd.log"
wait_until 10 service_listening || { cat "$TMP/sshd.log"; bail "sshd did not start"; }
start_ckqd

ssh_opts=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -o ConnectTimeout=3
	-i "$TMP/id_test")

# proxy_cmd ARGS...: a ProxyCommand that knocks as bob with ARGS.
proxy_cmd() {
	echo "ProxyCommand=$CKQ proxy %h %p -d $TMP/client/bob $*"
}

# line_count FILE: its number of lines, 0 when it does not exist.
line_count() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# entry_timeout ADDR: the seconds left to ADDR's grant (empty when absent).
entry_timeout() {
	ipset_entry "$1" | sed -nE 's/.* timeout ([0-9]+).*/\1/p'
}

now_ms() {
	date +%s%3N
}

# sleep_until MS: sleeps until the wall clock reaches MS (bounded by 60 s).
sleep_until() {
	local left=$(($1 - $(now_ms)))
	[ "$left" -le 0 ] || [ "$left" -gt 60000 ] || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
}

# --- ckq open --keep: the renewals run while the ssh tests do ------------------

keep_start=$(now_ms)
bg_start ip netns exec "$NS_CL" "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/alice" \
	--duration "$KEEP_DURATION" --keep --otp-command "$TMP/otp-command alice" \
	>"$TMP/keep.out" 2>"$TMP/keep.err"
keep_pid=$BG_PID
if wait_until 10 grep -Eq "^granted tcp/22 to $CL_IP until" "$TMP/keep.out"; then
	ok "ckq open --keep grants tcp/22 with its first code"
else
	not_ok "ckq open --keep grants tcp/22 with its first code"
	diag "stdout: $(cat "$TMP/keep.out")" "stderr: $(cat "$TMP/keep.err")"
fi
t=$(entry_timeout "$CL_IP" || true)
check "the grant lasts at most $KEEP_DURATION s (timeout ${t:-none})" \
	test -n "$t" -a "${t:-99}" -le "$KEEP_DURATION"
is "$(line_count "$TMP/otp/alice.calls")" 1 "--otp-command was run once for the first knock"

# --- ssh through ckq proxy -----------------------------------------------------

check "bob's machine cannot connect to tcp/22 before a knock" cannot_connect "$NS_OT"
run in_ot timeout 15 ssh "${ssh_opts[@]}" "root@$SV_IP" echo hello-without-knock
is "$RUN_RC" 255 "plain ssh to the server's address fails"
check "it timed out within ConnectTimeout=3 (the port looks filtered)" \
	grep -qi "timed out" "$RUN_ERR"

wrong=$(otp_wrong bob)
run in_ot "$CKQ" proxy "$OFFICE" 22 -d "$TMP/client/bob" --otp "$wrong" --attempts 2 \
	--timeout 500 </dev/null
is "$RUN_RC" 1 "ckq proxy with a wrong code exits 1"
check "it says why on stderr" grep -q "^ckq: no answer from $SV_IP udp/$KNOCK_PORT" "$RUN_ERR"
check "and prints nothing on stdout" test ! -s "$RUN_OUT"
run in_ot timeout 20 ssh "${ssh_opts[@]}" \
	-o "$(proxy_cmd --otp "$wrong" --attempts 2 --timeout 500)" "root@$OFFICE" echo hello
is "$RUN_RC" 255 "ssh through ckq proxy with a wrong code fails"
check "ssh shows ckq's message" grep -q "^ckq: no answer from $SV_IP" "$RUN_ERR"
check "no grant for bob's machine" not_in_set "$OT_IP"

run in_ot setsid -w "$CKQ" proxy "$OFFICE" 22 -d "$TMP/client/bob" <<<"$(otp_wrong bob)"
is "$RUN_RC" 2 "ckq proxy without --otp and without a terminal exits 2"
check "it never reads the code from stdin (the connection's)" \
	grep -q "no terminal to ask the one-time code on" "$RUN_ERR"

# The relay alone: sshd's banner on stdout, the status line on stderr; at
# the end of stdin the connection is half-closed and sshd ends it.
code=$(otp_next bob)
run in_ot timeout 15 bash -c 'sleep 1 | "$@"' _ "$CKQ" proxy "$OFFICE" 22 -d "$TMP/client/bob" \
	--otp "$code" --duration 4
is "$RUN_RC" 0 "ckq proxy exits 0 when the server closes the connection"
[ "$RUN_RC" = 0 ] || run_diag
check "stdout carries the server's bytes only (the SSH banner)" \
	grep -Eq '^SSH-2\.0-OpenSSH' <(head -n 1 "$RUN_OUT")
check "the status line is on stderr" \
	grep -Eq "^granted tcp/22 to $OT_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}$" "$RUN_ERR"

code=$(otp_next bob)
log_mark
run in_ot timeout 20 ssh "${ssh_opts[@]}" -o "$(proxy_cmd --otp "$code" --duration 4)" \
	"root@$OFFICE" echo hello-through-ckq
is "$RUN_RC" 0 "ssh root@$OFFICE through 'ckq proxy %h %p' exits 0"
[ "$RUN_RC" = 0 ] || run_diag
is "$(cat "$RUN_OUT")" hello-through-ckq "the remote command's output comes back"
assert_log "knock granted user=bob src=$OT_IP port=tcp/22 duration=4"

# An established session outlives its grant.
wait_until 8 not_in_set "$OT_IP" || true
code=$(otp_next bob)
bg_start ip netns exec "$NS_OT" timeout 25 ssh "${ssh_opts[@]}" \
	-o "$(proxy_cmd --otp "$code" --duration 3)" "root@$OFFICE" 'sleep 8; echo still-here' \
	>"$TMP/long.out" 2>"$TMP/long.err"
long_pid=$BG_PID
check "the long session's knock granted bob's machine" wait_until 5 in_set "$OT_IP"
check "its 3 s grant runs out while the session goes on" wait_until 8 not_in_set "$OT_IP"
check "a new connection is filtered again" cannot_connect "$NS_OT"
bg_wait "$long_pid" 15
is "$BG_RC" 0 "the ssh session ends normally"
is "$(cat "$TMP/long.out")" still-here "and prints still-here after its grant is gone"
[ "$BG_RC" = 0 ] || diag "stderr: $(cat "$TMP/long.err")"

# --- back to alice's --keep, past its first grant's end ---------------------

sleep_until $((keep_start + (KEEP_DURATION + 3) * 1000))
t=$(entry_timeout "$CL_IP" || true)
check "$((KEEP_DURATION + 3)) s after the first grant the client is still in the set (timeout ${t:-none})" \
	in_set "$CL_IP"
check "and can connect" can_connect "$NS_CL"
kill -INT "$keep_pid"
bg_wait "$keep_pid" 10
is "$BG_RC" 0 "SIGINT ends ckq open --keep with 0"
[ "$BG_RC" = 0 ] || diag "stderr: $(cat "$TMP/keep.err")"
# Normally one renewal (after 2/3 of the time); more if this host is slow.
renewals=$(grep -Ec "^renewed tcp/22 to $CL_IP until [0-9]{2}:[0-9]{2}:[0-9]{2}$" "$TMP/keep.out" || true)
check "alice's grant was renewed after 2/3 of $KEEP_DURATION s ($renewals renewals)" \
	test "$renewals" -ge 1
is "$(line_count "$TMP/otp/alice.calls")" "$((renewals + 1))" "each with a new code from --otp-command"
is "$(grep -c "knock granted user=alice src=$CL_IP port=tcp/22 duration=$KEEP_DURATION" "$LOG")" \
	"$((renewals + 1))" "ckqd granted alice as many times"
until_renewed=$(sed -nE "s/^renewed tcp\/22 to $CL_IP until //p" "$TMP/keep.out" | tail -n 1)
check "it says the port stays open until the renewal's end ($until_renewed)" \
	grep -qx "tcp/22 stays open for $CL_IP until $until_renewed" "$TMP/keep.out"
check "nothing went wrong on stderr" test ! -s "$TMP/keep.err"
check "the grant is still there after ckq exits" in_set "$CL_IP"

# --- --keep --close-on-exit: renew once, then close on SIGINT -------------------

log_mark
bg_start ip netns exec "$NS_OT" "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/erin" \
	--duration 6 --keep --close-on-exit --otp-command "$TMP/otp-command erin" \
	>"$TMP/keep2.out" 2>"$TMP/keep2.err"
keep2_pid=$BG_PID
check "erin's --keep grants" wait_until 10 grep -Eq "^granted tcp/22 to $OT_IP until" "$TMP/keep2.out"
check "and renews after 2/3 of 6 s" wait_until 10 grep -Eq "^renewed tcp/22 to $OT_IP until" \
	"$TMP/keep2.out"
kill -INT "$keep2_pid"
bg_wait "$keep2_pid" 15
is "$BG_RC" 0 "SIGINT ends ckq open --keep --close-on-exit with 0"
[ "$BG_RC" = 0 ] || diag "stdout: $(cat "$TMP/keep2.out")" "stderr: $(cat "$TMP/keep2.err")"
check "it says it closed the port" grep -qx "closed tcp/22 for $OT_IP" "$TMP/keep2.out"
check "the grant is gone at once" not_in_set "$OT_IP"
assert_log "knock closed user=erin src=$OT_IP port=tcp/22"
is "$(line_count "$TMP/otp/erin.calls")" 3 "--otp-command ran for the grant, the renewal and the close"

check "alice's grant runs out on its own" wait_until 20 not_in_set "$CL_IP"
check "then the client cannot connect" cannot_connect "$NS_CL"

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
