#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Spoofed message 1s (a valid mac1, random contents: all it takes is
# server.pub) from forged addresses, in network namespaces, bounded in
# count and time:
#  1. 15,000 a second for 8 s from 65,536 forged sources. ckqd is under
#     load: it answers them with cookies, which go nowhere, and spends
#     almost no private-key work on them; a legitimate knock during the
#     flood gets a cookie, proves its address with the mac2 and succeeds
#     within ckq's default retries.
#  2. 2 a second forged with the client's own address: they must not use
#     up that address's per-source budget, so the client's knock during
#     them succeeds.
# Prints TAP, with the figures as comments (the knock's time to success,
# ckqd's CPU seconds, the private-key operations spent on forged sources:
# each is one "undecryptable" refusal). Needs root; bails out (fails) when
# it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh); SPOOF_RATE (default
# 15000), SPOOF_SECONDS (default 8, at most 10).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

SPOOF_RATE=${SPOOF_RATE:-15000}
SPOOF_SECONDS=${SPOOF_SECONDS:-8}
SPOOF_NET=10.218.0.0	# 65,536 addresses nobody has
SPOOF_TOOL=$builddir/tests/netns/spoof_tool
# Private-key work on forged sources that still passes: ckqd decrypts up
# to LOAD_PER_SEC (32) of them before it counts as under load, and again
# whenever the load drops; far below one for each (SPOOF_RATE x seconds).
PRIV_BOUND=500
[ -x "$SPOOF_TOOL" ] || bail "$SPOOF_TOOL is not built (make check builds it)"
if [ "$SPOOF_SECONDS" -lt 3 ] || [ "$SPOOF_SECONDS" -gt 10 ]; then
	bail "SPOOF_SECONDS must be 3 to 10"
fi
[ -z "$CKQD_WRAPPER" ] || bail "cookie.sh measures ckqd itself: unset CKQD_WRAPPER"
require oathtool getconf awk
netns_setup
server_init
echo "stats_file = $TMP/run/stats.prom" >>"$ETC/ckqd.conf"
enrol carol
enrol dave
# Answers to forged sources leave towards the other host, which drops them.
in_sv ip route add "$SPOOF_NET/16" via "$OT_IP"
CLK_TCK=$(getconf CLK_TCK)

stat_of() {
	sed -n "s/^$1 //p" "$TMP/run/stats.prom"
}

# --- 1. a spoofed flood ---
start_ckqd
ticks0=$(proc_cpu_ticks "$CKQD_PID")
bg_start ip netns exec "$NS_OT" "$SPOOF_TOOL" -d "$SV_IP" -p "$KNOCK_PORT" -k "$ETC/server.pub" \
	-s "${SPOOF_NET%.0}.0" -n 65536 -r "$SPOOF_RATE" -t "$SPOOF_SECONDS" >"$TMP/spoof.out" 2>&1
SPOOF_PID=$BG_PID
sleep 1
t0=$(date +%s.%N)
knock open carol
t1=$(date +%s.%N)
knock_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
is "$RUN_RC" 0 "during the spoofed flood, carol's knock succeeds within ckq's default retries (${knock_s}s)"
[ "$RUN_RC" = 0 ] || run_diag
check "... she has her grant" in_set "$CL_IP"
check "... and the flood was still running" kill -0 "$SPOOF_PID"
bg_wait "$SPOOF_PID" $((SPOOF_SECONDS + 10))
is "$BG_RC" 0 "the spoofed flood ran to its end"
ticks1=$(proc_cpu_ticks "$CKQD_PID")
sent=$(sed -n 's/^sent //p' "$TMP/spoof.out")
secs=$(sed -n 's/^seconds //p' "$TMP/spoof.out")
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"
priv=$(stat_of 'ckq_refused_total{reason="undecryptable"}')
cookies=$(stat_of ckq_cookies_total)
junk=$(stat_of ckq_junk_total)
cpu_s=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
diag "spoofed flood: ${sent:-?} message 1s in ${secs:-?}s from 65,536 forged sources" \
	"legitimate knock: ${knock_s}s to success" \
	"ckqd: ${cpu_s}s of CPU during the flood; ${cookies:-?} cookie replies; ${priv:-?} private-key operations on forged sources (undecryptable); ${junk:-?} junk"
check "private-key operations on forged sources stay under $PRIV_BOUND (${priv:-?})" \
	test "${priv:-999999}" -le "$PRIV_BOUND"
check "ckqd sent cookies instead (${cookies:-?})" test "${cookies:-0}" -gt "$PRIV_BOUND"

# --- 2. the victim's own address, forged at 2 datagrams a second ---
: >"$TMP/run/stats.prom"
start_ckqd
log_mark
bg_start ip netns exec "$NS_OT" "$SPOOF_TOOL" -d "$SV_IP" -p "$KNOCK_PORT" -k "$ETC/server.pub" \
	-s "$CL_IP" -n 1 -r 2 -t 14 >"$TMP/victim.out" 2>&1
VICTIM_PID=$BG_PID
sleep 6	# past the per-source burst: the old ckqd had nothing left for dave
knock open dave
is "$RUN_RC" 0 "during 2 forged datagrams a second from dave's address, dave's knock succeeds"
[ "$RUN_RC" = 0 ] || run_diag
check "... he has his grant" in_set "$CL_IP"
check "... and the forging still runs" kill -0 "$VICTIM_PID"
check "no knock from dave's address was refused rate_limited" \
	bash -c "! tail -n +$((LOG_MARK + 1)) '$LOG' | grep -q 'reason=rate_limited'"
bg_wait "$VICTIM_PID" 20
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"
diag "victim: $(stat_of 'ckq_refused_total{reason="undecryptable"}') forged datagrams decrypted (not under load), $(stat_of 'ckq_refused_total{reason="rate_limited"}') refused rate_limited"
done_testing
