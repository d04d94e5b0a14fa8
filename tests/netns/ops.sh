#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What an admin looks at, end to end in network namespaces: the counters
# ckqd writes to its stats file (Prometheus text format, mode 0600) after a
# grant, a refusal and some junk; ckq-admin stats reading them with the
# grants open in the kernel; and ckq-admin check passing on the drop-in
# setup and failing, naming the problem, for a port without a set, a set no
# rule uses, a bypassing queue rule, a server.key others may read, a
# server.pub of another key, and ckqd not running; then, with ckqd on two
# queues, the queue rule's range against them: the same range passes, a
# single queue is a warning, a queue more or none shared is an error.
# Prints TAP. Needs root; bails out (fails) when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

JUNK=20

require stat
netns_setup
server_init
STATS=$TMP/run/stats.prom
echo "stats_file = $STATS" >>"$ETC/ckqd.conf"
enrol alice
enrol bob
start_ckqd

# admin CMD...: ckq-admin in the server's namespace; sets RUN_*.
admin() {
	run in_sv "$CKQ_ADMIN" -c "$ETC" "$@"
}

# check_fails_with "what" REGEX: ckq-admin check exits 1, and a line says so.
check_fails_with() {
	admin check
	is "$RUN_RC" 1 "check exits 1 with $1"
	check "... and says /$2/" grep -Eq -- "$2" "$RUN_OUT"
	if [ "$RUN_RC" != 1 ] || ! grep -Eq -- "$2" "$RUN_OUT"; then
		run_diag
	fi
}

check_passes() {
	admin check
	is "$RUN_RC" 0 "check passes $1"
	[ "$RUN_RC" = 0 ] || run_diag
}

# Each line of the text exposition format: HELP, TYPE, or a sample with an
# integer value (all that ckqd and ckq-admin write).
prom_valid() {
	local bad
	bad=$(grep -Evx -- '# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [0-9]+' "$1" || true)
	[ -z "$bad" ] || { echo "not valid: $bad"; return 1; }
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics <"$1"
	fi
}

stats_has() {
	grep -qx -- "$1" "$STATS"
}

# stats_fresh SECONDS: ckqd wrote the stats file at most SECONDS ago.
stats_fresh() {
	[ $(($(date +%s) - $(stat -c %Y "$STATS"))) -le "$1" ]
}

# --- the good setup ---
check "ckqd writes its stats file at start" test -s "$STATS"
check_passes "on the drop-in ruleset with ckqd running"
check "... saying all is well, with the rule in ip filter INPUT" \
	grep -Eq "^ckq-admin check: all is well: 2 users, 1 port; ckqd \(pid [0-9]+\) reads queue 0, where the rule in ip filter INPUT \(handle [0-9]+\) sends udp/$KNOCK_PORT$" "$RUN_OUT"
check_fails "... and no error or warning line" grep -Eq '^(error|warning):' "$RUN_OUT"
check "... only the note that IPv6 knocks are not queued (rules/ckq6.rules not loaded)" \
	grep -q "^note: no IPv6 rule sends udp/$KNOCK_PORT to queue 0" "$RUN_OUT"

# --- a grant, a refusal, junk ---
knock open alice
is "$RUN_RC" 0 "alice's knock is granted"
[ "$RUN_RC" = 0 ] || run_diag
run in_cl "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/bob" --otp "$(otp_wrong bob)" \
	--attempts 1 --timeout 500
is "$RUN_RC" 1 "bob's knock with a wrong code is refused"
run in_ot python3 "$UDP_TOOL" send "$SV_IP" "$KNOCK_PORT" --random 64 --count "$JUNK" --wait 100
is "$RUN_RC" 0 "the other host sends $JUNK datagrams of random bytes to the knock port"

check "within 12 s the stats file counts 1 knock granted" \
	wait_until 12 stats_has 'ckq_knocks_total{result="granted"} 1'
check "... 1 refused for bad_otp" stats_has 'ckq_refused_total{reason="bad_otp"} 1'
check "... none for any other reason" \
	test "$(grep -c '^ckq_refused_total{reason="[a-z_]*"} 0$' "$STATS")" -eq \
	"$(($(grep -c '^ckq_refused_total{' "$STATS") - 1))"
junk=$(sed -n 's/^ckq_junk_total \([0-9]*\)$/\1/p' "$STATS")
check "... at least $JUNK junk ($junk)" test "${junk:-0}" -ge "$JUNK"
check "... 2 users" stats_has 'ckq_users 2'
check "... no queue drops" stats_has 'ckq_queue_drops_total 0'
check "... a start time within the last 10 minutes" \
	awk -v now="$(date +%s)" '$1 == "ckq_start_time_seconds" { ok = ($2 <= now && $2 > now - 600) } END { exit !ok }' "$STATS"
check "the stats file is valid Prometheus text" prom_valid "$STATS"
is "$(stat -c %a "$STATS")" 600 "it has mode 0600"
is "$(stat -c %U "$STATS")" nobody "it belongs to ckqd's user"
check "no temporary file is left beside it" \
	test "$(find "$TMP/run" -name 'stats.prom?*' | wc -l)" = 0

admin stats
is "$RUN_RC" 0 "ckq-admin stats exits 0 while ckqd runs"
[ "$RUN_RC" = 0 ] || run_diag
check "it shows ckqd running with its uptime" grep -Eq '^ckqd +running \(pid [0-9]+\), up [0-9]+' "$RUN_OUT"
check "it shows granted 1" grep -Eqx 'granted +1' "$RUN_OUT"
check "it shows refused 1" grep -Eqx 'refused +1' "$RUN_OUT"
check "it shows bad_otp 1 under it, and no other reason" \
	test "$(grep -E '^  [a-z_]+ +[0-9]+$' "$RUN_OUT")" = "  bad_otp              1"
check "it shows junk >= $JUNK" \
	awk -v min="$JUNK" '$1 == "junk" { ok = $2 >= min } END { exit !ok }' "$RUN_OUT"
check "it shows queue drops and pending" grep -Eq '^queue drops +0$' "$RUN_OUT"
check "it shows active grants 1, counted in the kernel" grep -Eqx 'active grants +1' "$RUN_OUT"
check "... 1 in ckq-tcp-22" grep -Eq '^  ckq-tcp-22 +1 +tcp/22$' "$RUN_OUT"
check "... 0 in ckq6-tcp-22" grep -Eq '^  ckq6-tcp-22 +0 +tcp/22 \(IPv6\)$' "$RUN_OUT"

admin stats --prometheus
is "$RUN_RC" 0 "ckq-admin stats --prometheus exits 0"
cp "$RUN_OUT" "$TMP/prom.out"
check "it prints the stats file as it is" \
	cmp -n "$(stat -c %s "$STATS")" "$TMP/prom.out" "$STATS"
check "... then ckq_active_grants{set=\"ckq-tcp-22\"} 1" \
	grep -qx 'ckq_active_grants{set="ckq-tcp-22"} 1' "$TMP/prom.out"
check "... and ckq_active_grants{set=\"ckq6-tcp-22\"} 0" \
	grep -qx 'ckq_active_grants{set="ckq6-tcp-22"} 0' "$TMP/prom.out"
check "... with its own HELP and TYPE" grep -qx '# TYPE ckq_active_grants gauge' "$TMP/prom.out"
check "all of it is valid Prometheus text" prom_valid "$TMP/prom.out"

# --- stale counters: ckqd stopped (SIGSTOP) so it cannot write ---
kill -STOP "$CKQD_PID"
touch -d '-45 seconds' "$STATS"
admin stats
kill -CONT "$CKQD_PID"
is "$RUN_RC" 1 "ckq-admin stats exits 1 when the counters are 45 s old"
check "... and says they are stale" grep -q "the counters are stale: ckqd (pid $CKQD_PID)" "$RUN_ERR"
check "ckqd writes the file again after it resumes" wait_until 8 stats_fresh 5

# --- ckq-admin check, one problem at a time ---
client_new carol
user_add carol tcp/2222 >"$TMP/add-user.out" 2>&1 || bail "ckq-admin add-user carol failed"
check_fails_with "a user's port without a set" \
	'^error: tcp/2222 \(carol\): no ipset ckq-tcp-2222'
check "... it counts 1 problem" grep -qx 'ckq-admin check: 1 problem' "$RUN_OUT"
in_sv ipset create ckq-tcp-2222 hash:ip family inet timeout 0 comment
check_fails_with "a set no firewall rule uses" \
	'^error: tcp/2222 \(carol\): no firewall rule uses ipset ckq-tcp-2222'
in_sv iptables -A INPUT -p tcp --dport 2222 -m conntrack --ctstate NEW \
	-m set --match-set ckq-tcp-2222 src -j ACCEPT
check_passes "once a rule uses the set"

in_sv iptables -I INPUT -p udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-num 0 --queue-bypass
check_fails_with "a queue rule with --queue-bypass" \
	"^warning: the rule in ip filter INPUT \(handle [0-9]+\) queues udp/$KNOCK_PORT with bypass \(--queue-bypass\)"
in_sv iptables -D INPUT -p udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-num 0 --queue-bypass
in_sv iptables -D INPUT -p udp -m udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-num 0
check_fails_with "no rule queueing the knock port" \
	"^error: no rule sends udp/$KNOCK_PORT to queue 0, so knocks never reach ckqd"
in_sv iptables -I INPUT -p udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-num 3
check_fails_with "a rule queueing to another queue" \
	"^error: the rule in ip filter INPUT \(handle [0-9]+\) sends udp/$KNOCK_PORT to queue 3, but ckqd reads queue 0"
in_sv iptables -R INPUT 1 -p udp -m udp --dport "$KNOCK_PORT" -j NFQUEUE --queue-num 0
check_passes "with the rule restored"

chmod 644 "$ETC/server.key"
check_fails_with "server.key mode 0644" \
	"^error: $ETC/server.key: permissions 0644 are too open for a secret"
chmod 600 "$ETC/server.key"

cp "$ETC/server.pub" "$TMP/server.pub.good"
"$CKQ_ADMIN" -c "$TMP/other" init --bits 2048 >/dev/null 2>&1 || bail "a second ckq-admin init failed"
cp "$TMP/other/server.pub" "$ETC/server.pub"
check_fails_with "server.pub of another key" \
	"^error: $ETC/server.pub \(SHA256:[^)]+\) is not the public half of server.key"
cp "$TMP/server.pub.good" "$ETC/server.pub"

chmod 600 "$ETC/ckqd.conf"
check_fails_with "a ckqd.conf that ckqd's user cannot reread" \
	"^error: $ETC/ckqd.conf \(owner uid 0, mode 0600\) is not readable by ckqd's user nobody"
chmod 644 "$ETC/ckqd.conf"
check_passes "with every file put back"

# --- ckqd stopped ---
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
check "its last counters are in the stats file" stats_has 'ckq_knocks_total{result="granted"} 1'
check_fails_with "ckqd not running" \
	"^error: ckqd is not running: nothing reads queue 0, so every knock is dropped unanswered"
check "... as its only problem" grep -qx 'ckq-admin check: 1 problem' "$RUN_OUT"
admin stats
is "$RUN_RC" 1 "ckq-admin stats exits 1 when ckqd is not running"
check "... and says so" grep -q "ckqd is not running: these counters are from its last run" "$RUN_ERR"
check "... still showing them" grep -Eqx 'granted +1' "$RUN_OUT"

# --- two queues: the rule's range against queue and queues ---
# ckqd on queues 4 and 5; the rule is still rules/ckq.rules' --queue-num 0.
printf 'queue = 4\nqueues = 2\n' >>"$ETC/ckqd.conf"
start_ckqd

queue_rule() {
	in_sv iptables -R INPUT 1 -p udp -m udp --dport "$KNOCK_PORT" -j NFQUEUE "$@"
}

RULE="the rule in ip filter INPUT \(handle [0-9]+\) sends udp/$KNOCK_PORT to"
OURS="but ckqd reads queues 4 to 5 \(queue and queues in ckqd.conf\)"

check_fails_with "--queue-num 0 for queues 4 to 5" \
	"^error: $RULE queue 0, $OURS: every knock is dropped by the kernel, as nothing reads it \(make the rule --queue-balance 4:5, or queue = 0 and queues = 1 in ckqd.conf\)$"
check "... as its only problem" grep -qx 'ckq-admin check: 1 problem' "$RUN_OUT"

queue_rule --queue-balance 4:5
check_passes "with --queue-balance 4:5 for queues 4 to 5"
check "... saying ckqd reads queues 4 to 5, where the rule sends the knock port" \
	grep -Eq "^ckq-admin check: all is well: 3 users, 2 ports; ckqd \(pid [0-9]+\) reads queues 4 to 5, where the rule in ip filter INPUT \(handle [0-9]+\) sends udp/$KNOCK_PORT$" "$RUN_OUT"
check_fails "... and no error or warning line" grep -Eq '^(error|warning):' "$RUN_OUT"

queue_rule --queue-balance 4:6
check_fails_with "--queue-balance 4:6, a queue more than ckqd reads" \
	"^error: $RULE queues 4 to 6, $OURS: the knocks the kernel puts on queue 6 \(it picks the queue by the client's address, or by CPU with fanout\) are dropped by the kernel, as nothing reads it \(make the rule --queue-balance 4:5, or queues = 3 in ckqd.conf\)$"
check "... as its only problem" grep -qx 'ckq-admin check: 1 problem' "$RUN_OUT"

queue_rule --queue-num 4
check_fails_with "--queue-num 4, one of ckqd's two queues" \
	"^warning: $RULE queue 4 only, $OURS: one worker takes every knock while the worker of the other queue sits idle \(make the rule --queue-balance 4:5, or queues = 1 in ckqd.conf\)$"
check "... as its only problem" grep -qx 'ckq-admin check: 1 problem' "$RUN_OUT"

queue_rule --queue-balance 3:6 --queue-bypass
check_fails_with "--queue-balance 3:6 --queue-bypass, a queue more on each side" \
	"^error: $RULE queues 3 to 6, $OURS: the knocks the kernel puts on queue 3 and queue 6 \(.*\) are let through unread \(bypass\), never answered by ckqd \(make the rule --queue-balance 4:5, or queue = 3 and queues = 4 in ckqd.conf\)$"
check "... besides the bypass warning" \
	grep -Eq "^warning: the rule in ip filter INPUT \(handle [0-9]+\) queues udp/$KNOCK_PORT with bypass" "$RUN_OUT"
check "... 2 problems in all" grep -qx 'ckq-admin check: 2 problems' "$RUN_OUT"

queue_rule --queue-balance 4:5
check_passes "with --queue-balance 4:5 again"
stop_ckqd
is "$CKQD_RC" 0 "ckqd on two queues exits 0 on SIGTERM"

done_testing
