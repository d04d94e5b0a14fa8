#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Reloads that never fail open, in network namespaces. One user's file
# becomes unreadable by ckqd's user (root's, 0600) after ckqd loaded it;
# then 'ckq-admin revoke bob': bob's knock must be refused, the unreadable
# user's too, and the others still work; ckqd's log names the file and
# why. With ckqd stopped (SIGSTOP), revoke must not claim success: it
# exits non-zero with the reason, and the grant is closed anyway. Then,
# with ckqd on two queues under a keyed flood that makes it do private-key
# work for every datagram, the time from SIGHUP to the reload being in
# force, printed as a figure (not asserted), and the revocation made
# during the flood holds. Prints TAP. Needs root; bails out (fails) when
# it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR, CKQD_WRAPPER (see lib.sh);
# FLOOD_SECONDS (default 8, at most 10), KEYED_RATE (keyed datagrams a
# second from each of two hosts, default 1500).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

FLOOD_SECONDS=${FLOOD_SECONDS:-8}
KEYED_RATE=${KEYED_RATE:-1500}
if [ "$FLOOD_SECONDS" -lt 4 ] || [ "$FLOOD_SECONDS" -gt 10 ]; then
	bail "FLOOD_SECONDS must be 4 to 10"
fi

require openssl awk stat
netns_setup
server_init
enrol alice
enrol bob
enrol carol
start_ckqd
STATE=$TMP/run/reload.state

admin() {
	run in_sv "$CKQ_ADMIN" -c "$ETC" "$@"
}

# --- a user file ckqd cannot read, then a revocation ---

knock open carol
is "$RUN_RC" 0 "carol's knock is granted while her file is readable"
[ "$RUN_RC" = 0 ] || run_diag
knock close carol
# As an admin's slip would leave it: root's, 0600, after ckqd loaded it.
chown root:root "$ETC/users/carol.conf"
chmod 600 "$ETC/users/carol.conf"
log_mark
admin revoke bob
is "$RUN_RC" 0 "ckq-admin revoke bob exits 0: ckqd confirmed the reload"
[ "$RUN_RC" = 0 ] || run_diag
check "... and says ckqd reloaded" grep -Fqx "ckqd reloaded its users" "$RUN_OUT"
assert_log "user carol is refused until their files load: .*carol\.conf: owned by uid 0, not readable by uid $(id -u nobody)"
log_mark
knock open bob --attempts 2 --timeout 1000
check "bob's knock is refused after his revocation (exit $RUN_RC)" test "$RUN_RC" != 0
assert_log "knock refused reason=revoked user=bob src=$CL_IP"
check "bob has no grant" not_in_set "$CL_IP"
log_mark
knock open carol --attempts 2 --timeout 1000
check "carol's knock is refused while her file is unreadable (exit $RUN_RC)" test "$RUN_RC" != 0
assert_log "knock refused reason=revoked user=carol src=$CL_IP"
knock open alice
is "$RUN_RC" 0 "alice, whose file is fine, still knocks"
[ "$RUN_RC" = 0 ] || run_diag
check "... and is in the set" in_set "$CL_IP"

# Readable again: carol is back on the next reload, her codes not reopened.
chown root:"$(id -g nobody)" "$ETC/users/carol.conf"
chmod 640 "$ETC/users/carol.conf"
log_mark
kill -HUP "$CKQD_PID"
assert_log "reloaded 3 users from $ETC/users, 0 refused as unreadable"
knock open carol
is "$RUN_RC" 0 "carol knocks again once her file is readable"
[ "$RUN_RC" = 0 ] || run_diag
knock close carol

# --- settings a reload must not take: ckqd keeps what it started with ---

cp "$ETC/ckqd.conf" "$TMP/ckqd.conf.saved"
other_grants=nft
[ "$GRANTS" = nft ] && other_grants=ipset
cat >>"$ETC/ckqd.conf" <<EOF
knock_port = $((KNOCK_PORT + 1))
queue_maxlen = 64
pid_file = $TMP/run/elsewhere.pid
grants = $other_grants
challenge_timeout = 20
EOF
log_mark
kill -HUP "$CKQD_PID"
assert_log "knock_port, queue_maxlen, pid_file, grants change only on restart: still as ckqd started"
assert_log "reloaded 3 users from $ETC/users"
knock open alice
is "$RUN_RC" 0 "alice still knocks on port $KNOCK_PORT after a reload that asked for $((KNOCK_PORT + 1))"
[ "$RUN_RC" = 0 ] || run_diag
check "... and is in the $GRANTS set ckqd started with" in_set "$CL_IP"
knock close alice
check "the pid file is still $TMP/run/ckqd.pid" test -f "$TMP/run/ckqd.pid"
check_fails "... and none written at the new name" test -e "$TMP/run/elsewhere.pid"
cp "$TMP/ckqd.conf.saved" "$ETC/ckqd.conf"
log_mark
kill -HUP "$CKQD_PID"
assert_log "reloaded 3 users from $ETC/users"
check_fails "... the file ckqd started with: no setting to keep back" log_since_mark_has "change only on restart"

# --- a ckqd that does not reload: no false success ---

kill -STOP "$CKQD_PID"
t0=$(date +%s)
admin revoke alice
t1=$(date +%s)
check "with ckqd stopped, ckq-admin revoke alice exits non-zero (exit $RUN_RC)" test "$RUN_RC" != 0
check "... says the change is not confirmed" grep -q "not confirmed in force: ckqd (pid $CKQD_PID) did not confirm a reload within" "$RUN_ERR"
check_fails "... and does not say ckqd reloaded" grep -q "ckqd reloaded" "$RUN_OUT"
check "... within its bound ($((t1 - t0)) s)" test $((t1 - t0)) -le 15
check "... having closed alice's grant all the same" not_in_set "$CL_IP"
kill -CONT "$CKQD_PID"
log_mark
wait_until 5 log_since_mark_has "reloaded 3 users" || true
knock open alice --attempts 2 --timeout 1000
check "once ckqd runs again, alice's knock is refused (exit $RUN_RC)" test "$RUN_RC" != 0
assert_log "knock refused reason=revoked user=alice src=$CL_IP"

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"

# --- SIGHUP to effect under a keyed flood on two queues ---

enrol dave
enrol erin
openssl pkey -pubin -in "$ETC/server.pub" -outform DER -out "$TMP/server.der" 2>"$TMP/der.err" ||
	{ cat "$TMP/der.err"; bail "openssl cannot convert server.pub to DER"; }
capture_start seed "$NS_CL" udp port "$KNOCK_PORT"
start_ckqd
knock open dave
capture_stop seed
is "$RUN_RC" 0 "dave knocks once, captured"
[ "$RUN_RC" = 0 ] || run_diag
msg1=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/seed.pcap" --src "$CL_IP" --type 1 | head -n 1 |
	cut -d' ' -f5)
[ -n "$msg1" ] || bail "no message 1 captured"
stop_ckqd
# Every keyed datagram gets its private-key work: no per-source limit to hide behind.
cat >>"$ETC/ckqd.conf" <<EOF
queues = 2
source_burst = 1000
source_rate = 1000
EOF
in_sv iptables -R INPUT 1 -p udp -m udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-balance 0:1
ip -n "$NS_OT" addr add "$NET.4/24" dev eth0
start_ckqd

# The queue is picked by a hash of the addresses: two senders, so that
# both workers are busy.
flood_from() {
	bg_start ip netns exec "$NS_OT" python3 "$UDP_TOOL" flood "$SV_IP" "$KNOCK_PORT" \
		--mode keyed --hex "$msg1" --server-der "$TMP/server.der" --rate "$KEYED_RATE" \
		--seconds "$FLOOD_SECONDS" --count $((KEYED_RATE * FLOOD_SECONDS)) --src "$1" \
		>"$TMP/flood.$1" 2>&1
}
flood_from "$OT_IP"
F1=$BG_PID
flood_from "$NET.4"
F2=$BG_PID
sleep 1.5

# done_gen: the done generation of reload.state.
done_gen() {
	sed -n 's/^done = //p' "$STATE" 2>/dev/null || echo 0
}

figures=
for _ in 1 2 3 4 5; do
	before=$(done_gen)
	t0=$(date +%s%N)
	kill -HUP "$CKQD_PID"
	for _ in $(seq 1 500); do
		[ "$(done_gen)" -gt "$before" ] && break
		sleep 0.005
	done
	t1=$(date +%s%N)
	if [ "$(done_gen)" -gt "$before" ]; then
		figures="$figures $(((t1 - t0) / 1000000))"
	else
		figures="$figures timeout"
	fi
	sleep 0.2
done
# ckqd's own count, from the signal to the swap, and how long the workers waited.
own=$(grep -Eo 'in force [0-9]+ ms after the signal' "$LOG" | tail -n 5 | grep -Eo '[0-9]+' |
	tr '\n' ' ')
held=$(grep -Eo "lock: [0-9]+ us to get, held [0-9]+ us" "$LOG" | tail -n 5 |
	sed -E 's/lock: ([0-9]+) us to get, held ([0-9]+) us/\1+\2/' | tr '\n' ' ')
t0=$(date +%s%N)
admin revoke erin
t1=$(date +%s%N)
is "$RUN_RC" 0 "during the flood, ckq-admin revoke erin exits 0 (confirmed in $(((t1 - t0) / 1000000)) ms)"
[ "$RUN_RC" = 0 ] || run_diag
check "the flood was still running" kill -0 "$F1"
diag "SIGHUP to the reload in force (reload.state), ms, during a keyed flood on 2 queues:$figures" \
	"ckqd's own count from the signal to the swap, ms: $own" \
	"the write lock, us to get + us held (the workers wait only for these): $held" \
	"ckq-admin revoke, from start to confirmation: $(((t1 - t0) / 1000000)) ms"
check "every reload during the flood was confirmed" sh -c "! echo '$figures' | grep -q timeout"
bg_wait "$F1" $((FLOOD_SECONDS + 10))
bg_wait "$F2" 10
diag "flood from $OT_IP: $(tr '\n' ' ' <"$TMP/flood.$OT_IP")" \
	"flood from $NET.4: $(tr '\n' ' ' <"$TMP/flood.$NET.4")"
check "the flood's datagrams were keyed" grep -qx 'mac1 self-check ok' "$TMP/flood.$OT_IP"
log_mark
knock open erin --attempts 2 --timeout 1000
check "after the flood, erin's knock is refused (exit $RUN_RC)" test "$RUN_RC" != 0
assert_log "knock refused reason=revoked user=erin src=$CL_IP"
knock open dave
is "$RUN_RC" 0 "and dave's is granted"
[ "$RUN_RC" = 0 ] || run_diag
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
