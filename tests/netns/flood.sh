#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckqd under a flood of its knock port from the other host, in network
# namespaces, bounded in count and time. First junk: random bytes,
# plausible headers with a wrong mac1, oversized and truncated datagrams.
# Then keyed requests that pass the one-hash pre-check (a captured message 1
# with its ciphertext changed and mac1 recomputed) and fail only after the
# private-key work. During each flood a legitimate client's knock succeeds;
# ckqd's memory stays within a bound (its tables are allocated at start);
# keyed requests get cookie replies instead of RSA work once ckqd is under
# load (the flooder never answers them: doc/protocol.md 3.8); after
# each flood a knock works at once (the queue never stalls). Prints TAP,
# with the figures measured as comments. Needs root; bails out (fails)
# when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR, CKQD_WRAPPER (see lib.sh);
# FLOOD_SECONDS (default 8, at most 10), FLOOD_COUNT (default 2000000),
# KEYED_RATE (keyed datagrams a second, default 2000), RSS_SLACK_KB
# (default 8192, see below).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

FLOOD_SECONDS=${FLOOD_SECONDS:-8}
FLOOD_COUNT=${FLOOD_COUNT:-2000000}
KEYED_RATE=${KEYED_RATE:-2000}
# The limits the bounds below follow from, written out rather than left to
# the defaults they equal.
SOURCE_BURST=5
SOURCE_RATE=1
# All of ckqd's tables are allocated at start: at this configuration the
# replay cache (2 x 65536 slots of 48 bytes, 6 MiB), the pending table
# (1024 entries of about 400 bytes) and the source table (4096 buckets of
# 40 bytes) are under 7 MiB together, and a flood fills none of them; even
# if every page of them became resident the growth would stay under 8 MiB.
# A leak per datagram would not: the test prints the smallest that shows.
RSS_SLACK_KB=${RSS_SLACK_KB:-8192}

if [ "$FLOOD_SECONDS" -lt 3 ] || [ "$FLOOD_SECONDS" -gt 10 ]; then
	bail "FLOOD_SECONDS must be 3 to 10"
fi
# The bounds are about ckqd's own memory and CPU time.
[ -z "$CKQD_WRAPPER" ] || bail "flood.sh measures ckqd itself: unset CKQD_WRAPPER"
require openssl getconf awk
netns_setup
server_init
cat >>"$ETC/ckqd.conf" <<EOF
stats_file = $TMP/run/stats.prom
max_pending = 1024
replay_capacity = 65536
queue_maxlen = 1024
source_table = 4096
source_burst = $SOURCE_BURST
source_rate = $SOURCE_RATE
EOF
enrol alice	# a knock to capture
enrol bob	# knocks during and after the junk flood
enrol carol	# and the keyed flood (two codes each: none to wait for)
openssl pkey -pubin -in "$ETC/server.pub" -outform DER -out "$TMP/server.der" 2>"$TMP/der.err" ||
	{ cat "$TMP/der.err"; bail "openssl cannot convert server.pub to DER"; }
CLK_TCK=$(getconf CLK_TCK)
# ckqd under AddressSanitizer keeps freed memory in quarantine (256 MiB by
# default): a small one keeps the memory bound about ckqd, not ASan.
if ldd "$CKQD" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
	diag "ckqd is built with ASan: quarantine_size_mb=1"
fi
start_ckqd

# rss_sample PID FILE: VmRSS of PID every 0.2 s into FILE, until
# $TMP/sampler.stop exists (at most 30 s).
rss_sample() {
	local _
	for _ in $(seq 1 150); do
		[ ! -e "$TMP/sampler.stop" ] || break
		proc_rss_kb "$1" >>"$2" 2>/dev/null || break
		sleep 0.2
	done
}

# flood_start NAME [udp_tool flood options]: the flood from the other host
# in the background (FLOOD_PID), and the RSS sampler (SAMPLER_PID).
flood_start() {
	local name=$1
	shift
	rm -f "$TMP/sampler.stop"
	: >"$TMP/$name.rss"
	bg_start rss_sample "$CKQD_PID" "$TMP/$name.rss"
	SAMPLER_PID=$BG_PID
	bg_start ip netns exec "$NS_OT" python3 "$UDP_TOOL" flood "$SV_IP" "$KNOCK_PORT" \
		--seconds "$FLOOD_SECONDS" --count "$FLOOD_COUNT" "$@" >"$TMP/$name.flood" 2>&1
	FLOOD_PID=$BG_PID
}

# flood_knock USER: USER's knock from the client one second into the flood;
# it must succeed while the flood still runs.
flood_knock() {
	local t0 t1
	sleep 1
	t0=$(date +%s.%N)
	knock open "$1"
	t1=$(date +%s.%N)
	KNOCK_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	is "$RUN_RC" 0 "during the flood, $1's knock from the client exits 0 (in ${KNOCK_S}s)"
	[ "$RUN_RC" = 0 ] || run_diag
	check "... its grant is in ipset" in_set "$CL_IP"
	check "... and the flood was still running when it ended" kill -0 "$FLOOD_PID"
}

# flood_end NAME: waits for the flood and stops the sampler; FLOOD_SENT,
# RSS_DURING (the largest sample).
flood_end() {
	local name=$1
	bg_wait "$FLOOD_PID" $((FLOOD_SECONDS + 10))
	is "$BG_RC" 0 "the $name flood ran to its end"
	[ "$BG_RC" = 0 ] || diag "$(cat "$TMP/$name.flood")"
	touch "$TMP/sampler.stop"
	bg_wait "$SAMPLER_PID" 3
	FLOOD_SENT=$(sed -n 's/^sent //p' "$TMP/$name.flood")
	FLOOD_SECS=$(sed -n 's/^seconds //p' "$TMP/$name.flood")
	RSS_DURING=$(sort -n "$TMP/$name.rss" | tail -n 1)
	diag "$name flood: $(grep -v '^sent\|^seconds' "$TMP/$name.flood" | tr '\n' ' ')"
}

# rss_checks NAME: the memory bound, and the figures.
rss_checks() {
	local name=$1 leak
	check "ckqd's RSS during the $name flood stays under before + $RSS_SLACK_KB kB (${RSS_DURING:-?} <= $((RSS_BEFORE + RSS_SLACK_KB)))" \
		test "${RSS_DURING:-999999999}" -le $((RSS_BEFORE + RSS_SLACK_KB))
	check "... and after it (${RSS_AFTER:-?} kB)" \
		test "${RSS_AFTER:-999999999}" -le $((RSS_BEFORE + RSS_SLACK_KB))
	leak=$((RSS_SLACK_KB * 1024 / (${CNT_PACKETS:-0} + 1)))
	diag "rss before=$RSS_BEFORE during=$RSS_DURING after=$RSS_AFTER kB; packets sent=$FLOOD_SENT in ${FLOOD_SECS}s, reached ckqd=$CNT_PACKETS, junk counted=$CNT_JUNK, refused=$CNT_REFUSED" \
		"a leak of more than $leak bytes per datagram taken would have broken the bound"
}

# queue_stats NAME: the kernel's own counters of ckqd's queue, while it
# runs (see nfnetlink_queue in /proc/net/netfilter of the server's namespace).
queue_stats() {
	local name=$1 line
	line=$(in_sv cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null | awk '$1 == 0' || true)
	if [ -n "$line" ]; then
		# shellcheck disable=SC2086
		set -- $line
		diag "$name flood: the kernel's queue 0: queue_dropped=$6 user_dropped=$7 (packets it could not hand to ckqd)"
		QUEUE_DROPPED=$6
	else
		diag "$name flood: no /proc/net/netfilter/nfnetlink_queue to read"
		QUEUE_DROPPED=
	fi
}

# kernel_drops LINE: ckqd's reports since line LINE of its log of knock
# packets the kernel dropped, next to the kernel's own count, as comments:
# dropping is failing closed, not an error.
kernel_drops() {
	local reports
	reports=$(tail -n +"$(($1 + 1))" "$LOG" | grep -E 'the kernel dropped [0-9]+ knock packets' || true)
	if [ -z "$reports" ]; then
		diag "ckqd reported no knock packets dropped by the kernel (the kernel counted ${QUEUE_DROPPED:-?} at the queue)"
	else
		diag "$reports" "(the kernel counted ${QUEUE_DROPPED:-?} at the queue)"
	fi
}

# --- a real message 1, to truncate and to forge keyed requests from ---
capture_start seed "$NS_CL" udp port "$KNOCK_PORT"
knock open alice
capture_stop seed
is "$RUN_RC" 0 "alice knocks once, captured in the client's namespace"
[ "$RUN_RC" = 0 ] || run_diag
msg1=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/seed.pcap" --src "$CL_IP" --type 1 | head -n 1 |
	cut -d' ' -f5)
check "the capture holds her message 1" test -n "$msg1"
[ -n "$msg1" ] || bail "no message 1 captured"
run in_sv "$CKQ_ADMIN" -c "$ETC" close alice
check "ckq-admin close alice closes that grant" not_in_set "$CL_IP"

# --- junk ---
phase_line=$(wc -l <"$LOG")
RSS_BEFORE=$(proc_rss_kb "$CKQD_PID")
log_mark
flood_start junk --mode junk --hex "$msg1"
flood_knock bob
flood_end junk
sleep 1.5	# a housekeeping round, and its report of kernel drops
RSS_AFTER=$(proc_rss_kb "$CKQD_PID")
knock close bob
is "$RUN_RC" 0 "after the junk flood, bob's ckq close succeeds with the default retries"
[ "$RUN_RC" = 0 ] || run_diag
check "... and his grant is gone" not_in_set "$CL_IP"
check "the other host got no grant" not_in_set "$OT_IP"
check "ckqd still runs" kill -0 "$CKQD_PID"
queue_stats junk
junk_ticks=$(proc_cpu_ticks "$CKQD_PID")
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM after the junk flood"
ckqd_counters
check "its exit line has counters" test -n "${CNT_JUNK:-}"
is "$CNT_REFUSED" 0 "no junk datagram got past the pre-check (0 refused)"
is "$CNT_GRANTED/$CNT_CLOSED" "2/1" "2 knocks granted (alice, bob) and 1 closed (bob)"
check "ckqd took junk datagrams ($CNT_JUNK of $FLOOD_SENT sent)" \
	test "$CNT_JUNK" -gt 0 -a "$CNT_JUNK" -le "$FLOOD_SENT"
# The legitimate datagrams: 3 knocks, 2 messages each, 5 tries at most.
check "every other datagram it took was a legitimate one ($((CNT_PACKETS - CNT_JUNK)) <= 30)" \
	test $((CNT_PACKETS - CNT_JUNK)) -le 30
rss_checks junk
kernel_drops "$phase_line"
# What a datagram that fails the pre-check costs, for the keyed flood's bound.
junk_us=$(awk -v t="$junk_ticks" -v hz="$CLK_TCK" -v n="$CNT_PACKETS" \
	'BEGIN { printf "%.1f", t / hz * 1e6 / (n ? n : 1) }')
diag "ckqd used $junk_ticks ticks of CPU in all, $junk_us us a datagram"

# --- keyed requests that fail after the private-key work ---
# What one RSA private operation costs here; an unbounded flood of keyed
# requests would cost one each.
rsa_ops=$(openssl speed -mr -seconds 1 rsa2048 2>/dev/null | sed -n 's/^+F2:[0-9]*:2048:\([0-9.]*\):.*/\1/p')
check "openssl speed measured RSA-2048 private operations (${rsa_ops:-none} a second)" \
	awk -v r="${rsa_ops:-0}" 'BEGIN { exit !(r > 0) }'
phase_line=$(wc -l <"$LOG")
start_ckqd
RSS_BEFORE=$(proc_rss_kb "$CKQD_PID")
ticks0=$(proc_cpu_ticks "$CKQD_PID")
log_mark
capture_start legit "$NS_CL" udp dst port "$KNOCK_PORT"
flood_start keyed --mode keyed --hex "$msg1" --server-der "$TMP/server.der" --rate "$KEYED_RATE"
flood_knock carol
flood_end keyed
ticks1=$(proc_cpu_ticks "$CKQD_PID")
sleep 1.5
RSS_AFTER=$(proc_rss_kb "$CKQD_PID")
check "the flood's mac1 verified on the captured message" grep -qx 'mac1 self-check ok' "$TMP/keyed.flood"
assert_log "knock refused reason=undecryptable user=- src=$OT_IP$"
check "the other host got no grant" not_in_set "$OT_IP"
knock close carol
is "$RUN_RC" 0 "after the keyed flood, carol's ckq close succeeds with the default retries"
[ "$RUN_RC" = 0 ] || run_diag
check "... and her grant is gone" not_in_set "$CL_IP"
capture_stop legit
legit=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/legit.pcap" --src "$CL_IP" --dport "$KNOCK_PORT" | wc -l)
queue_stats keyed
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM after the keyed flood"
ckqd_counters
check "its exit line has counters" test -n "${CNT_JUNK:-}"
is "$CNT_JUNK" 0 "every keyed datagram passed the pre-check (0 junk)"
is "$CNT_GRANTED/$CNT_CLOSED" "1/1" "1 knock granted and 1 closed (carol's)"
keyed_in=$((CNT_PACKETS - legit))
cookies=$(sed -n 's/^ckq_cookies_total //p' "$TMP/run/stats.prom")
check "ckqd answered keyed datagrams with cookies once under load (${cookies:-none})" \
	test "${cookies:-0}" -gt 0
check "every keyed datagram ckqd took was refused or got a cookie ($CNT_REFUSED refused, ${cookies:-?} cookies, $CNT_PACKETS taken, $legit of them carol's)" \
	test $((CNT_REFUSED + ${cookies:-0})) -ge "$keyed_in" -a $((CNT_REFUSED + ${cookies:-0})) -le "$CNT_PACKETS"
check "ckqd took most of the keyed datagrams sent ($keyed_in of $FLOOD_SENT)" \
	test $((keyed_in * 10)) -ge $((FLOOD_SENT * 9))
# Before it is under load ckqd decrypts up to 32 a second (LOAD_PER_SEC in
# src/ckqd/ckqd.h), then it sends cookies; the flooder never proves its
# address, so at most the first second's and carol's own are decrypted.
allowed=$((32 * 2 + 1))
cpu_s=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
# The CPU it took, for the figures only: the machine is shared, so the
# check is on the count of private-key operations itself, which ckqd's
# stats file gives as it exits (carol's close adds one).
bound_ops=$((allowed + 1))
priv_ops=$(sed -n 's/^ckq_private_key_ops_total //p' "$TMP/run/stats.prom")
unbounded_s=$(awk -v r="$rsa_ops" -v n="$keyed_in" 'BEGIN { printf "%.2f", n / r }')
diag "keyed flood: $FLOOD_SENT sent in ${FLOOD_SECS}s, $keyed_in taken; at most $bound_ops private operations allowed" \
	"ckqd did ${priv_ops:-?} and used ${cpu_s}s of CPU; decrypting every keyed request would have cost ${unbounded_s}s"
check "the count can tell: the flood brought over twice the allowed operations' worth ($keyed_in > 2 x $bound_ops)" \
	test "$keyed_in" -gt $((2 * bound_ops))
check "ckqd did at most $bound_ops private-key operations during the keyed flood (${priv_ops:-none})" \
	test -n "$priv_ops" -a "${priv_ops:-0}" -le "$bound_ops"
rss_checks keyed
kernel_drops "$phase_line"
done_testing
