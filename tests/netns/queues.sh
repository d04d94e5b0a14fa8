#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckqd with two queue workers (queues = 2, the rule --queue-balance 0:1)
# while everything that touches shared state happens at once: knocks of
# four users in parallel from one address (shared grants), a spoofed flood
# from 4,096 sources (load, cookies), wrong codes signed with a user's key
# (the wrong-code budget), a reload (SIGHUP) and the counters written every
# 5 s. Every knock must succeed and ckqd exit 0. Run under ThreadSanitizer
# (a build with --enable-tsan, as tests/run-suite.sh does) a data race makes
# ckqd report it and exit non-zero. Prints TAP. Needs root; bails out
# (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

SPOOF_TOOL=$builddir/tests/netns/spoof_tool
GUESS_TOOL=$builddir/tests/netns/guess_tool
[ -x "$SPOOF_TOOL" ] && [ -x "$GUESS_TOOL" ] || bail "spoof_tool and guess_tool are not built (make check builds them)"
require oathtool
netns_setup
server_init
cat >>"$ETC/ckqd.conf" <<EOF
queues = 2
stats_file = $TMP/run/stats.prom
EOF
if ldd "$CKQD" 2>/dev/null | grep -q libtsan; then
	# TSan's runtime makes system calls the filter does not allow.
	echo "seccomp = no" >>"$ETC/ckqd.conf"
	export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}exitcode=66:halt_on_error=0"
	diag "ckqd is built with ThreadSanitizer: a race fails its exit status"
fi
in_sv iptables -R INPUT 1 -p udp -m udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-balance 0:1 ||
	bail "cannot spread the knock port over queues 0 and 1"
for u in u1 u2 u3 u4 mallory; do
	enrol "$u"
done
chmod 600 "$TMP/otp/mallory.secret"
in_sv ip route add 10.218.0.0/16 via "$OT_IP"
in_ot ip route add local 10.217.64.0/24 dev lo table local
in_sv ip route add 10.217.64.0/24 via "$OT_IP"
start_ckqd
check "ckqd reads queues 0 and 1" grep -q 'ready: knock port udp/8888 on queues 0-1' "$LOG"

bg_start ip netns exec "$NS_OT" "$SPOOF_TOOL" -d "$SV_IP" -p "$KNOCK_PORT" -k "$ETC/server.pub" \
	-s 10.218.0.0 -n 4096 -r 3000 -t 8 >"$TMP/spoof.out" 2>&1
SPOOF_PID=$BG_PID
bg_start ip netns exec "$NS_OT" "$GUESS_TOOL" -s "$SV_IP" -p "$KNOCK_PORT" -k "$ETC/server.pub" \
	-c "$TMP/client/mallory/keys/mallory.key" -u mallory -t "$TMP/otp/mallory.secret" \
	-n 40 -S 10.217.64.1 -N 40 -r 20 >"$TMP/guess.out" 2>&1
GUESS_PID=$BG_PID
sleep 1
pids=
for u in u1 u2 u3 u4; do
	code=$(otp_next "$u")
	( in_cl "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/$u" --otp "$code" --duration 10m \
		>"$TMP/$u.out" 2>&1; echo $? >"$TMP/$u.rc" ) &
	pids="$pids $!"
done
kill -HUP "$CKQD_PID"
# shellcheck disable=SC2086
wait $pids
for u in u1 u2 u3 u4; do
	is "$(cat "$TMP/$u.rc")" 0 "$u's knock, in parallel with the others, succeeds"
done
check "the shared grant is in ipset" in_set "$CL_IP"
bg_wait "$SPOOF_PID" 20
is "$BG_RC" 0 "the spoofed flood ran to its end"
bg_wait "$GUESS_PID" 20
is "$BG_RC" 0 "the wrong codes were sent"
sleep 5.5	# a round of the counters, written by the main thread
for u in u1 u2 u3 u4; do
	code=$(otp_next "$u")
	run in_cl "$CKQ" close "$SRV_NAME" 22 -d "$TMP/client/$u" --otp "$code"
	is "$RUN_RC" 0 "$u closes"
done
check "once all four closed, the entry is gone" not_in_set "$CL_IP"
check "mallory's key was locked" grep -q 'ALERT user mallory:' "$LOG"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"
if grep -q 'ThreadSanitizer' "$LOG"; then
	not_ok "ThreadSanitizer reported nothing"
	grep -A30 'WARNING: ThreadSanitizer' "$LOG" | head -80 | sed 's/^/#   /'
else
	ok "ThreadSanitizer reported nothing (or ckqd is not built with it)"
fi
diag "counters: $(grep -E '^ckq_(cookies|packets)_total|reason="(undecryptable|bad_otp|otp_locked)"' "$TMP/run/stats.prom" | tr '\n' ' ')"
done_testing
