# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Sourced by the end-to-end tests (e2e.sh, refusals.sh, restart.sh) and by
# demo.sh: three hosts in network namespaces on one bridge, the drop-in
# ruleset and ckqd in the server's, TAP helpers, enrolment and TOTP helpers.
# Everything a script starts is registered and ended by cleanup at exit.
#
# Environment:
#   CKQ_BUILDDIR  where ckqd, ckq and ckq-admin are (default: the source tree)
#   CKQ_SRCDIR    the source tree, for rules/ (default: two levels above here)
#   CKQD_WRAPPER  a command put before ckqd, split on spaces, e.g.
#                 "valgrind --error-exitcode=99 --leak-check=full
#                 --errors-for-leak-kinds=definite --track-fds=no --vgdb=no -q":
#                 ckqd.conf then gets "seccomp = no" (the filter would kill
#                 the wrapper's own system calls), and ckqd gets 60 s to
#                 become ready and 30 s to exit (CKQD_READY_TIMEOUT,
#                 CKQD_STOP_TIMEOUT override both). Its exit status is
#                 ckqd's, so --error-exitcode makes a test fail.

netns_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "${CKQ_SRCDIR:-$netns_dir/../..}" && pwd)
builddir=$(cd "${CKQ_BUILDDIR:-$netns_dir/../..}" 2>/dev/null && pwd) ||
	builddir=${CKQ_BUILDDIR:-$netns_dir/../..}
CKQD=$builddir/ckqd
CKQ=$builddir/ckq
CKQ_ADMIN=$builddir/ckq-admin
UDP_TOOL=$netns_dir/udp_tool.py
TCP_TOOL=$netns_dir/tcp_tool.py

# One /24 that exists only inside the namespaces made here.
NET=10.217.0
SV_IP=$NET.1
CL_IP=$NET.2
OT_IP=$NET.3
NS_SV=ckq-sv-$$
NS_CL=ckq-cl-$$
NS_OT=ckq-ot-$$
NS_SW=ckq-sw-$$
KNOCK_PORT=8888
SERVICE_PORT=22
SET=ckq-tcp-22
# The grant backend under test: ipset (rules/ckq.ipset, ckq.rules) or nft
# (rules/ckq.nft beside a distribution-like table inet filter, no ipset).
. "$srcdir/tests/netns/lib_nft.sh"
GRANTS=${CKQ_GRANTS:-ipset}
case $GRANTS in
ipset | nft) ;;
*) echo "Bail out! CKQ_GRANTS must be ipset or nft"; exit 1 ;;
esac
SRV_NAME=srv	# the name the clients store the server under

CKQD_WRAPPER=${CKQD_WRAPPER:-}
if [ -n "$CKQD_WRAPPER" ]; then
	CKQD_READY_TIMEOUT=${CKQD_READY_TIMEOUT:-60}
	CKQD_STOP_TIMEOUT=${CKQD_STOP_TIMEOUT:-30}
else
	CKQD_READY_TIMEOUT=${CKQD_READY_TIMEOUT:-10}
	CKQD_STOP_TIMEOUT=${CKQD_STOP_TIMEOUT:-3}
fi

TMP=
ETC=
LOG=
CKQD_PID=
CKQD_RC=
bg_pids=
ns_made=
tap_n=0
tap_failed=0

bail() {
	echo "Bail out! $*"
	exit 1
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# check "description" cmd...: passes when cmd exits 0; shows its output if not.
check() {
	local desc=$1 rc=0
	shift
	"$@" >"$TMP/check.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $* (exit $rc)"
		tail -n 15 "$TMP/check.out" | sed 's/^/#   /'
	fi
	return 0
}

# check_fails "description" cmd...: passes when cmd exits non-zero.
check_fails() {
	local desc=$1 rc=0
	shift
	"$@" >"$TMP/check.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command succeeded but should not have: $*"
		tail -n 15 "$TMP/check.out" | sed 's/^/#   /'
	fi
	return 0
}

# is GOT EXPECTED "description"
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:      $1" "expected: $2"
	fi
}

done_testing() {
	echo "1..$tap_n"
	if [ "$tap_failed" != 0 ]; then
		diag "$tap_failed of $tap_n tests failed"
		if [ -n "$LOG" ] && [ -s "$LOG" ]; then
			diag "the end of ckqd's log:"
			tail -n 40 "$LOG" | sed 's/^/#   /'
		fi
		exit 1
	fi
	exit 0
}

# run cmd...: RUN_RC, and the output in $RUN_OUT (stdout) and $RUN_ERR (stderr).
run() {
	RUN_OUT=$TMP/run.stdout
	RUN_ERR=$TMP/run.stderr
	RUN_RC=0
	"$@" >"$RUN_OUT" 2>"$RUN_ERR" || RUN_RC=$?
	return 0
}

# Shows what the last run printed, for a failing check.
run_diag() {
	diag "exit $RUN_RC" "stdout: $(cat "$RUN_OUT")" "stderr: $(head -c 2000 "$RUN_ERR")"
}

in_sv() { ip netns exec "$NS_SV" "$@"; }
in_cl() { ip netns exec "$NS_CL" "$@"; }
in_ot() { ip netns exec "$NS_OT" "$@"; }

require() {
	local tool
	[ "$(id -u)" = 0 ] || bail "must run as root (network namespaces, iptables, ipset)"
	local fw="iptables iptables-restore ipset"
	[ "$GRANTS" = ipset ] || fw="nft iptables"
	for tool in ip $fw oathtool tcpdump faketime python3 nc timeout "$@"; do
		command -v "$tool" >/dev/null 2>&1 || bail "$tool not found"
	done
	for tool in "$CKQD" "$CKQ" "$CKQ_ADMIN"; do
		[ -x "$tool" ] || bail "$tool not built (set CKQ_BUILDDIR to the build tree)"
	done
	if [ -n "$CKQD_WRAPPER" ]; then
		tool=${CKQD_WRAPPER%% *}
		command -v "$tool" >/dev/null 2>&1 || bail "CKQD_WRAPPER: $tool not found"
	fi
	for tool in "$srcdir/rules/ckq.rules" "$srcdir/rules/ckq.ipset" "$srcdir/rules/ckq.nft" \
		"$UDP_TOOL" "$TCP_TOOL"; do
		[ -r "$tool" ] || bail "$tool missing"
	done
}

# bg_start cmd...: runs cmd in the background and registers it for cleanup;
# BG_PID is its pid (ip netns exec execs, so that is the command itself).
bg_start() {
	"$@" &
	BG_PID=$!
	bg_pids="$bg_pids $BG_PID"
}

# bg_stop PID [SECONDS]: ends one registered process: TERM, then KILL after
# SECONDS (default 3). Sets BG_RC.
bg_stop() {
	local pid=$1 i
	BG_RC=
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 $((${2:-3} * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	BG_RC=0
	wait "$pid" 2>/dev/null || BG_RC=$?
	local rest='' p
	for p in $bg_pids; do
		[ "$p" = "$pid" ] || rest="$rest $p"
	done
	bg_pids=$rest
}

# Waits, at most $2 seconds, for a registered process to end on its own.
bg_wait() {
	local pid=$1 t=$(($2 * 10)) i
	for i in $(seq 1 "$t"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	bg_stop "$pid"
}

cleanup() {
	local pid ns i
	set +e
	trap - EXIT
	for pid in $bg_pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $bg_pids; do
		for i in $(seq 1 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in $ns_made; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}

# netns_tmp: the temporary tree and the log, removed by cleanup at exit.
netns_tmp() {
	trap cleanup EXIT
	trap 'exit 1' HUP INT TERM
	TMP=$(mktemp -d /tmp/ckq-netns.XXXXXX) || bail "mktemp failed"
	chmod 755 "$TMP"
	ETC=$TMP/etc
	LOG=$TMP/ckqd.log
	mkdir -p "$TMP/otp" "$TMP/client"
	: >"$LOG"
}

# netns_add NS...: namespaces with lo up, deleted by cleanup.
netns_add() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" || bail "cannot create network namespace $ns"
		ns_made="$ns_made $ns"
		ip -n "$ns" link set lo up || bail "cannot bring up lo in $ns"
	done
}

# netns_bridge HOST:NS:ADDR...: the bridge br0 in the switch namespace, and
# eth0 of each NS on it (as p-HOST) with ADDR/24.
netns_bridge() {
	local host ns ip
	ip -n "$NS_SW" link add br0 type bridge || bail "cannot create a bridge"
	ip -n "$NS_SW" link set br0 up
	for host in "$@"; do
		ns=${host#*:}
		ip=${ns#*:}
		ns=${ns%%:*}
		host=${host%%:*}
		ip link add eth0 netns "$ns" type veth peer name "p-$host" netns "$NS_SW" ||
			bail "cannot create the veth pair of $ns"
		ip -n "$NS_SW" link set "p-$host" master br0 up
		ip -n "$ns" addr add "$ip/24" dev eth0
		ip -n "$ns" link set eth0 up
	done
}

# The ruleset and ipsets of rules/, unmodified, in the server's namespace;
# with grants = nft, a distribution's own filter (what ckq.rules does for
# the ipset layout: drop what is not asked for, accept tcp/22) and
# rules/ckq.nft guarding tcp/22 beside it.
netns_rules() {
	if [ "$GRANTS" = nft ]; then
		in_sv nft -f "$srcdir/tests/netns/distro-filter.nft" || bail "the distribution filter does not load"
		nft_load_ckq "$NS_SV" || bail "rules/ckq.nft does not load"
		[ -z "$nft_queue_note" ] || diag "${nft_queue_note# }"
		return
	fi
	in_sv ipset restore -exist <"$srcdir/rules/ckq.ipset" || bail "rules/ckq.ipset does not load"
	in_sv iptables-restore <"$srcdir/rules/ckq.rules" || bail "rules/ckq.rules does not load"
}

# knock_accept_on / knock_accept_off: a rule letting the knock port reach a
# socket instead of ckqd's queue, and its removal. With grants = nft the
# distribution's filter must accept it too (it never sees knocks else).
knock_accept_on() {
	if [ "$GRANTS" = nft ]; then
		in_sv nft insert rule inet filter input udp dport "$KNOCK_PORT" accept comment '"knock-accept"' ||
			return 1
	fi
	if [ "$GRANTS" = nft ] && [ -z "$nft_queue_note" ]; then
		in_sv nft insert rule inet ckq input udp dport "$KNOCK_PORT" accept comment '"knock-accept"'
	elif [ "$GRANTS" = nft ]; then
		in_sv iptables -t mangle -I INPUT 1 -p udp --dport "$KNOCK_PORT" -j ACCEPT
	else
		in_sv iptables -I INPUT 1 -p udp --dport "$KNOCK_PORT" -j ACCEPT
	fi
}
knock_accept_off() {
	local h
	if [ "$GRANTS" = nft ]; then
		h=$(in_sv nft -a list chain inet filter input | sed -n 's/.*"knock-accept" # handle \([0-9]*\)$/\1/p')
		[ -n "$h" ] && in_sv nft delete rule inet filter input handle "$h"
	fi
	if [ "$GRANTS" = nft ] && [ -z "$nft_queue_note" ]; then
		h=$(in_sv nft -a list chain inet ckq input | sed -n 's/.*"knock-accept" # handle \([0-9]*\)$/\1/p')
		[ -n "$h" ] && in_sv nft delete rule inet ckq input handle "$h"
	elif [ "$GRANTS" = nft ]; then
		in_sv iptables -t mangle -D INPUT -p udp --dport "$KNOCK_PORT" -j ACCEPT
	else
		in_sv iptables -D INPUT -p udp --dport "$KNOCK_PORT" -j ACCEPT
	fi
}
# knock_queued_first: the first rule that sees the knock port queues it.
knock_queued_first() {
	if [ "$GRANTS" = nft ] && [ -z "$nft_queue_note" ]; then
		in_sv nft list chain inet ckq input | grep -m1 'dport' | grep -q "udp dport $KNOCK_PORT queue"
	elif [ "$GRANTS" = nft ]; then
		in_sv iptables -t mangle -S INPUT | grep -m1 '^-A' | grep -q NFQUEUE
	else
		in_sv iptables -S INPUT | grep -m1 '^-A' | grep -q NFQUEUE
	fi
}

# The server, client and other hosts, each with eth0 on a bridge in the
# switch namespace, and the drop-in ruleset in the server's.
netns_setup() {
	netns_tmp
	netns_add "$NS_SW" "$NS_SV" "$NS_CL" "$NS_OT"
	netns_bridge sv:"$NS_SV":"$SV_IP" cl:"$NS_CL":"$CL_IP" ot:"$NS_OT":"$OT_IP"
	netns_rules
	# The server drops what it is not asked for, so the bridge is tested
	# between the client and the other host, which answers with a reset.
	wait_until 10 in_cl python3 "$TCP_TOOL" reach "$OT_IP" 9 ||
		bail "the bridge does not forward"
}

# wait_until SECONDS cmd...: polls cmd every 0.1 s until it succeeds.
wait_until() {
	local t=$(($1 * 10)) i
	shift
	for i in $(seq 1 "$t"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# --- ckqd -------------------------------------------------------------------

server_init() {
	"$CKQ_ADMIN" -c "$ETC" init --bits 2048 >"$TMP/init.out" 2>&1 ||
		{ cat "$TMP/init.out"; bail "ckq-admin init failed"; }
	# ckqd drops to an unprivileged user; nobody exists everywhere. Its pid
	# and state directories do not exist yet: ckqd creates them as its own.
	cat >>"$ETC/ckqd.conf" <<-EOF
	pid_file = $TMP/run/ckqd.pid
	state_dir = $TMP/state
	user = nobody
	EOF
	if [ -n "$CKQD_WRAPPER" ]; then
		echo "seccomp = no" >>"$ETC/ckqd.conf"
	fi
	echo "grants = $GRANTS" >>"$ETC/ckqd.conf"
}

# start_ckqd [ckqd options]: ckqd -f in the server namespace (after
# $CKQD_WRAPPER, if set), its log in $LOG; returns once the log says ready
# (at most $CKQD_READY_TIMEOUT s).
start_ckqd() {
	local before
	local -a wrapper=()
	before=$(grep -c 'ready: ' "$LOG" || true)
	[ -z "$CKQD_WRAPPER" ] || read -r -a wrapper <<<"$CKQD_WRAPPER"
	bg_start ip netns exec "$NS_SV" "${wrapper[@]}" "$CKQD" -f -c "$ETC" "$@" 2>>"$LOG"
	CKQD_PID=$BG_PID
	if ! wait_until "$CKQD_READY_TIMEOUT" ckqd_ready "$before"; then
		tail -n 20 "$LOG"
		bail "ckqd did not become ready within $CKQD_READY_TIMEOUT s"
	fi
}

ckqd_ready() {
	kill -0 "$CKQD_PID" && [ "$(grep -c 'ready: ' "$LOG")" -gt "$1" ]
}

# stop_ckqd: SIGTERM; CKQD_RC is its exit status (the wrapper's, if any).
stop_ckqd() {
	[ -n "$CKQD_PID" ] || return 0
	bg_stop "$CKQD_PID" "$CKQD_STOP_TIMEOUT"
	CKQD_RC=$BG_RC
	CKQD_PID=
}

# ckqd_counters: the counters of ckqd's last "exiting:" line, in
# CNT_PACKETS, CNT_GRANTED, CNT_CLOSED, CNT_REFUSED and CNT_JUNK (empty
# when there is no such line).
ckqd_counters() {
	local line
	line=$(grep -E 'exiting: [0-9]+ packets' "$LOG" | tail -n 1 |
		sed -E 's/.*exiting: ([0-9]+) packets, ([0-9]+) granted, ([0-9]+) closed, ([0-9]+) refused, ([0-9]+) junk.*/\1 \2 \3 \4 \5/')
	# shellcheck disable=SC2034
	read -r CNT_PACKETS CNT_GRANTED CNT_CLOSED CNT_REFUSED CNT_JUNK <<<"$line" || true
}

# proc_rss_kb PID: the resident set of PID in kB (VmRSS).
proc_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

# proc_cpu_ticks PID: the CPU time PID used so far, user and system, in
# clock ticks (getconf CLK_TCK a second).
proc_cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $((${12} + ${13}))
}

log_count() {
	grep -Ec -- "$1" "$LOG" || true
}

log_mark() {
	LOG_MARK=$(wc -l <"$LOG")
}

# assert_log REGEX: a line of ckqd's log since the last log_mark matches
# (waiting up to 3 s for it to be written).
log_since_mark_has() {
	tail -n +"$((${LOG_MARK:-0} + 1))" "$LOG" | grep -Eq -- "$1"
}

assert_log() {
	if wait_until 3 log_since_mark_has "$1"; then
		ok "ckqd logs /$1/"
	else
		not_ok "ckqd logs /$1/"
		diag "log since the mark:"
		tail -n +"$((${LOG_MARK:-0} + 1))" "$LOG" | tail -n 10 | sed 's/^/#   /'
	fi
}

# --- users and clients ------------------------------------------------------

# client_new NAME [DIR]: a key pair NAME in DIR (default $TMP/client/NAME)
# and the server stored there as "srv" for user NAME.
client_new() {
	local name=$1 dir=${2:-$TMP/client/$1}
	"$CKQ" keygen "$name" -d "$dir" >"$TMP/keygen.out" 2>&1 ||
		{ cat "$TMP/keygen.out"; bail "ckq keygen $name failed"; }
	"$CKQ" add-server "$SRV_NAME" "$SV_IP" --key "$ETC/server.pub" --user "$name" -d "$dir" \
		>"$TMP/add-server.out" 2>&1 ||
		{ cat "$TMP/add-server.out"; bail "ckq add-server for $name failed"; }
}

# user_add NAME [PORTS]: registers the key of client_new NAME with the
# server, and keeps the TOTP secret as the user's authenticator would.
user_add() {
	local rc=0
	in_sv "$CKQ_ADMIN" -c "$ETC" add-user "$1" --key "$TMP/client/$1/keys/$1.pub" \
		--ports "${2:-tcp/22}" --no-qr || rc=$?
	sed -n 's/^totp_secret = //p' "$ETC/users/$1.conf" >"$TMP/otp/$1.secret" 2>/dev/null || true
	return "$rc"
}

enrol() {
	client_new "$1"
	user_add "$1" "${2:-tcp/22}" >"$TMP/add-user.out" 2>&1 ||
		{ cat "$TMP/add-user.out"; bail "ckq-admin add-user $1 failed"; }
}

totp_secret() {
	[ -s "$TMP/otp/$1.secret" ] || { echo "no TOTP secret for $1" >&2; return 1; }
	cat "$TMP/otp/$1.secret"
}

# totp NAME [OFFSET]: the code of NAME's authenticator OFFSET seconds from now.
totp() {
	oathtool --totp -b "$(totp_secret "$1")" --now "@$(($(date +%s) + ${2:-0}))"
}

# otp_next NAME: a code the server will still take, given that a code
# is single-use and the server takes steps T-1..T+1. It remembers the last
# step it handed out per user and waits (at most 35 s) when none is left.
otp_next() {
	local name=$1 f=$TMP/otp/$1.last now step last cand _
	for _ in $(seq 1 70); do
		now=$(date +%s)
		step=$((now / 30))
		last=$(cat "$f" 2>/dev/null || echo 0)
		for cand in $((step - 1)) "$step" $((step + 1)); do
			[ "$cand" -gt "$last" ] || continue
			# Step T-1 goes stale at the next boundary: not near it.
			[ "$cand" -lt "$step" ] && [ $((now % 30)) -ge 25 ] && continue
			echo "$cand" >"$f"
			oathtool --totp -b "$(totp_secret "$name")" --now "@$((cand * 30))"
			return
		done
		sleep 0.5
	done
	echo "otp_next: no code left for $name" >&2
	return 1
}

# otp_wrong NAME: six digits that are none of the codes the server takes now.
otp_wrong() {
	local a b c n=0 code
	a=$(totp "$1" -30)
	b=$(totp "$1")
	c=$(totp "$1" 30)
	for code in 000000 111111 222222 333333; do
		[ "$code" != "$a" ] && [ "$code" != "$b" ] && [ "$code" != "$c" ] && break
	done
	echo "$code"
}

# knock open|close NAME [ckq options]: from the client namespace, with the
# next code of NAME; sets RUN_* (see run).
knock() {
	local cmd=$1 name=$2 code
	shift 2
	code=$(otp_next "$name") || { RUN_RC=99; return 0; }
	LAST_OTP=$code
	run in_cl "$CKQ" "$cmd" "$SRV_NAME" 22 -d "$TMP/client/$name" --otp "$code" "$@"
}

# --- the protected service and the kernel's view ------------------------------

# A TCP service on port 22 of the server: a banner line, then an echo.
service_start() {
	bg_start ip netns exec "$NS_SV" python3 "$TCP_TOOL" serve "$SV_IP" "$SERVICE_PORT" \
		--lifetime 600
	wait_until 10 service_listening || bail "the TCP service on port 22 did not start"
}

service_listening() {
	in_sv ss -Hltn "sport = :$SERVICE_PORT" | grep -q LISTEN
}

# can_connect NS [ADDR]: a bounded TCP connect from NS to port 22 of the
# server at ADDR (default SV_IP; IPv6 when it has a colon).
can_connect() {
	local addr=${2:-$SV_IP} fam=-4
	case $addr in *:*) fam=-6 ;; esac
	ip netns exec "$1" timeout 3 nc "$fam" -z -w 2 "$addr" "$SERVICE_PORT"
}

cannot_connect() {
	! can_connect "$@"
}

# service_line NS [ADDR]: the first line the service at ADDR (default SV_IP)
# sends to a connection from NS.
service_line() {
	ip netns exec "$1" timeout 5 python3 "$TCP_TOOL" line "${2:-$SV_IP}" "$SERVICE_PORT" --timeout 2
}

# ipset_entry ADDR [SET]: ADDR's line in SET (default the grant set $SET),
# exit 1 when absent. With grants = nft, read from nft(8) and written as
# ipset(8) writes it: "ADDR timeout SECONDS_LEFT comment "USER"".
ipset_entry() {
	if [ "$GRANTS" = nft ]; then
		in_sv nft -j list set inet ckq "${2:-$SET}" | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        e = e.get("elem", e) if isinstance(e, dict) else {"val": e}
        line = "%s timeout %d" % (e["val"], e.get("expires", 0))
        if "comment" in e:
            line += " comment \"%s\"" % e["comment"]
        print(line)
' | grep -E "^$1( |$)"
		return
	fi
	in_sv ipset list "${2:-$SET}" | grep -E "^$1( |$)"
}

# grant_set_empty [SET]: SET (default $SET) holds no address.
grant_set_empty() {
	ipset_entry '[0-9a-f.:]+' "$@" >/dev/null && return 1
	return 0
}

in_set() {
	ipset_entry "$@" >/dev/null
}

not_in_set() {
	! ipset_entry "$@" >/dev/null
}

# --- packet captures ----------------------------------------------------------

# capture_start NAME NS [filter...]: tcpdump -U -w $TMP/NAME.pcap on eth0 of
# NS; returns once it listens (at most 5 s).
capture_start() {
	local name=$1 ns=$2
	shift 2
	: >"$TMP/$name.tcpdump"
	bg_start ip netns exec "$ns" tcpdump -i eth0 -n -U --immediate-mode -s 0 -w "$TMP/$name.pcap" "$@" \
		2>"$TMP/$name.tcpdump"
	eval "CAPTURE_PID_$name=$BG_PID"
	wait_until 5 grep -q 'listening on' "$TMP/$name.tcpdump" ||
		bail "tcpdump did not start in $ns"
}

capture_stop() {
	local pid
	eval "pid=\${CAPTURE_PID_$1:-}"
	[ -n "$pid" ] || return 0
	sleep 0.3	# what is on the wire now still gets written
	bg_stop "$pid"
}

# udp_from_server NAME DST: the datagrams from the server's knock port to
# DST in capture NAME, one "SRC SPORT DST DPORT HEX" line each.
udp_from_server() {
	python3 "$UDP_TOOL" pcap-payloads "$TMP/$1.pcap" --src "$SV_IP" --sport "$KNOCK_PORT" --dst "$2"
}

# server_silent NAME PEER: capture NAME holds PEER's datagrams to the knock
# port (so the capture worked) and none from the knock port back to PEER.
server_silent() {
	local sent n
	sent=$(python3 "$UDP_TOOL" pcap-payloads "$TMP/$1.pcap" --src "$2" --dst "$SV_IP" \
		--dport "$KNOCK_PORT" | wc -l)
	n=$(udp_from_server "$1" "$2" | wc -l)
	echo "captured $sent datagrams from $2 to udp/$KNOCK_PORT, $n back"
	[ "$sent" -gt 0 ] && [ "$n" = 0 ]
}
