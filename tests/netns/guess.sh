#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A thief with alice's private key but not her authenticator guesses TOTP
# codes online: 300 message 1s signed with her real key, each with a wrong
# code, from 150 addresses of another host (so the per-source limit does
# not stop them). ckqd checks only a few codes, then locks alice's key:
# her real code right after the burst is refused too (otp_locked), it logs
# once, loudly, that the key is probably stolen, and bob is not affected.
# `ckq-admin unlock alice` lets her in again. Prints TAP, with how many
# wrong codes ckqd checked. Needs root; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR, CKQD_WRAPPER (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

GUESSES=300
SOURCES=150
GUESS_NET=10.217.64
GUESS_TOOL=$builddir/tests/netns/guess_tool
[ -x "$GUESS_TOOL" ] || bail "$GUESS_TOOL is not built (make check builds it)"
require oathtool
netns_setup
server_init
echo "stats_file = $TMP/run/stats.prom" >>"$ETC/ckqd.conf"
enrol alice
enrol bob
# The thief's addresses: any in GUESS_NET.0/24 is the other host's own.
in_ot ip route add local "$GUESS_NET.0/24" dev lo table local
in_sv ip route add "$GUESS_NET.0/24" via "$OT_IP"
chmod 600 "$TMP/otp/alice.secret"
start_ckqd

knock open alice
is "$RUN_RC" 0 "alice's knock works before the attack"
[ "$RUN_RC" = 0 ] || run_diag
run in_sv "$CKQ_ADMIN" -c "$ETC" close alice

log_mark
run in_ot "$GUESS_TOOL" -s "$SV_IP" -p "$KNOCK_PORT" -k "$ETC/server.pub" \
	-c "$TMP/client/alice/keys/alice.key" -u alice -t "$TMP/otp/alice.secret" \
	-n "$GUESSES" -S "$GUESS_NET.1" -N "$SOURCES" -r 100
is "$RUN_RC" 0 "the thief sent $GUESSES signed requests with wrong codes from $SOURCES addresses"
[ "$RUN_RC" = 0 ] || run_diag
is "$(sed -n 's/^sent //p' "$RUN_OUT")" "$GUESSES" "... all of them"
is "$(sed -n 's/^answered //p' "$RUN_OUT")" 0 "... and none was answered"
diag "ckqd answered $(sed -n "s/^cookies //p" "$RUN_OUT") of them with a cookie first (under load), and the thief answered those"
assert_log "knock refused reason=bad_otp user=alice src=$GUESS_NET\\."
assert_log "knock refused reason=otp_locked user=alice src=$GUESS_NET\\."
assert_log "ALERT user alice: [0-9]+ wrong TOTP codes signed with the user's key .*probably stolen"
is "$(log_count "ALERT user alice: ")" 1 "the alert is logged once"

knock open alice --attempts 2 --timeout 500
is "$RUN_RC" 1 "right after the burst, alice's right code is refused too"
check "... no grant for her" not_in_set "$CL_IP"
assert_log "knock refused reason=otp_locked user=alice src=$CL_IP$"

knock open bob
is "$RUN_RC" 0 "bob's knock is not affected"
[ "$RUN_RC" = 0 ] || run_diag
run in_sv "$CKQ_ADMIN" -c "$ETC" close bob

run in_sv "$CKQ_ADMIN" -c "$ETC" unlock alice
is "$RUN_RC" 0 "ckq-admin unlock alice"
[ "$RUN_RC" = 0 ] || run_diag
log_mark
knock open alice
is "$RUN_RC" 0 "after the unlock, alice's next knock works"
[ "$RUN_RC" = 0 ] || run_diag
check "... and she has her grant" in_set "$CL_IP"
assert_log "user alice: wrong-code lock cleared by ckq-admin unlock"
check "ckqd took the unlock request away" test ! -e "$TMP/state/unlock.alice"

run in_sv "$CKQ_ADMIN" -c "$ETC" unlock nosuchuser
is "$RUN_RC" 1 "ckq-admin unlock of an unknown user fails"

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"
bad=$(sed -n 's/^ckq_refused_total{reason="bad_otp"} //p' "$TMP/run/stats.prom")
locked=$(sed -n 's/^ckq_refused_total{reason="otp_locked"} //p' "$TMP/run/stats.prom")
diag "of $GUESSES wrong codes, ckqd checked ${bad:-?} (bad_otp) and refused ${locked:-?} unchecked (otp_locked, alice's right code included)"
check "ckqd checked at most 3 of the $GUESSES wrong codes (${bad:-?})" test "${bad:-999}" -le 3
check "the stats count the refusals while locked (${locked:-?})" test "${locked:-0}" -ge $((GUESSES - 3))
done_testing
