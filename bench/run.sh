#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The benchmark suite: ckq against this machine's limits and against
# fwknop, side by side, in network namespaces made here. One command:
#
#   bash bench/run.sh [--quick] [--only LIST] [--profile]
#
# Prints each figure as "name value unit", and "name_ratio value x" against
# its baseline measured in the same run, and writes them all to
# bench/results.json. --quick runs everything for a second or two, to check
# that the suite works (its figures mean little). See bench/README.md.
#
# Environment: CKQ_BUILDDIR (default build/ in the source tree; built when
# it holds no ckqd), CKQ_BENCH_CACHE (client keys, default
# /var/cache/ckq-bench), CKQ_BENCH_RESULTS (default bench/results.json).
set -u

bench_dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
top=$(cd "$bench_dir/.." && pwd)
# The namespace tests' helpers: background processes (bg_*), cleanup,
# wait_until, in_sv and in_cl, /proc (proc_*). What is defined below with
# the same name (the namespaces, ckqd's start and stop) is the benchmark's
# own and replaces theirs.
# shellcheck source=tests/netns/lib.sh
. "$top/tests/netns/lib.sh"
builddir=${CKQ_BUILDDIR:-$top/build}
case "$builddir" in /*) ;; *) builddir=$PWD/$builddir ;; esac
cache=${CKQ_BENCH_CACHE:-/var/cache/ckq-bench}
results=${CKQ_BENCH_RESULTS:-$bench_dir/results.json}

quick=0
only=
profile=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--only) only=${2:-}; shift ;;
	--profile) profile=1 ;;
	-h|--help)
		sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
		echo "LIST: comma-separated of speed,junk,legit,knock,latency,open,fwknop,scale,memory"
		exit 0 ;;
	*) echo "bench/run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done

# Every bound of the suite, full and quick.
if [ "$quick" = 1 ]; then
	FLOOD_S=1 JUNK_REPS=1 SPEED_S=0.5 HS_USERS=300 HS_S=3 LAT_N=50 OPEN_N=3 SPA_N=10
	SYN_S=1 GRANT_N=100 IPT_N=3 LEGIT_N=5 SCALE="0 10000"
else
	FLOOD_S=5 JUNK_REPS=3 SPEED_S=2 HS_USERS=6000 HS_S=10 LAT_N=1000 OPEN_N=30 SPA_N=100
	SYN_S=3 GRANT_N=1000 IPT_N=10 LEGIT_N=20 SCALE="0 10000 100000"
fi
NCPU=$(nproc)
SV_CPU='' LOAD_CPUS='' ALL_PIN=()
if [ "$NCPU" -gt 1 ] && [ "${CKQ_BENCH_PIN:-1}" = 1 ] && command -v taskset >/dev/null 2>&1; then
	SV_CPU=$((NCPU - 1))
	LOAD_CPUS=0-$((NCPU - 2))
	ALL_PIN=(taskset -c "0-$((NCPU - 1))")
	# This script and all it starts, samplers included, stay off the
	# server's CPU; SV_PIN moves the server's daemons onto it.
	taskset -p -c "$LOAD_CPUS" $$ >/dev/null || { echo "bench/run.sh: taskset failed" >&2; exit 1; }
fi
# Junk flooders: one per CPU but the one left for the queue reader.
FLOODERS=${CKQ_BENCH_FLOODERS:-$((NCPU > 1 ? NCPU - 1 : 1))}
USERS=10000		# enrolled; the knocks below use disjoint ranges of them
U_HS=0 U_LAT=6000 U_LEGIT=7000 U_OPEN=7100 U_HS_ALL=7200
U_S2=$USERS		# suite 2 users, enrolled for benchmarks 2 and 3 with suite 2
HS_RATE='' HS_CPU_RATE=''
KEY_POOL=4		# client key pairs, shared by the users round robin

# Addresses that exist only in the namespaces made here. The client and
# the flooder route a whole range to lo, so any address in it is theirs.
SV_IP=10.218.0.1 CL_IP=10.218.0.2 SV_IP2=10.218.1.1 FL_IP=10.218.1.2
CL_RANGE=10.218.128.0/17 FL_RANGE=10.218.64.0/18
SRC_HS=10.218.128.1 SRC_LAT=10.218.160.1 SRC_LEGIT=10.218.170.1 SRC_OPEN=10.218.180
SRC_SPA=10.218.190.1 SRC_HS_ALL=10.218.200.1 SRC_FLOOD=10.218.64.1 SRC_SYN=10.218.96.1
SRC_HS2=10.218.212.1 SRC_LAT2=10.218.240.1
GRANT_BASE=10.219.0.0 COST_BASE=10.230.0.1
NS_SV=ckqb-sv-$$ NS_CL=ckqb-cl-$$ NS_FL=ckqb-fl-$$
KNOCK_PORT=8888 SPA_PORT=62201

TMP='' bg_pids='' ns_made='' figs=() notes=()

die() {
	echo "bench/run.sh: $*" >&2
	exit 1
}

selected() {
	[ -z "$only" ] || case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac
}

# --- figures --------------------------------------------------------------

# fig NAME VALUE UNIT: prints it and keeps it for results.json.
fig() {
	local v
	v=$(awk -v v="$2" 'BEGIN { if (v == v + 0) printf "%.10g", v; else print "" }')
	if [ -z "$v" ]; then
		note "$1: no value measured"
		return
	fi
	printf '%s %s %s\n' "$1" "$v" "$3"
	figs+=("$1	$v	$3")
}

# ratio NAME NUM DEN: NAME_ratio = NUM / DEN, when both were measured.
ratio() {
	local r
	r=$(awk -v a="${2:-}" -v b="${3:-}" \
		'BEGIN { if (a == a + 0 && b == b + 0 && a != "" && b != "" && b > 0) printf "%.3f", a / b }')
	[ -n "$r" ] && fig "${1}_ratio" "$r" x
	return 0
}

note() {
	echo "# $*"
	notes+=("$*")
}

json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//	/ }
	printf '"%s"' "$s"
}

write_results() {
	local i n name v unit sep=
	{
		printf '{\n  "suite": "ckq bench/run.sh",\n  "mode": "%s",\n' \
			"$([ "$quick" = 1 ] && echo quick || echo full)"
		printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf '  "machine": {"nproc": %s, "cpu": %s, "kernel": %s, "openssl": %s,\n' \
			"$NCPU" "$(json_str "$CPU_MODEL")" "$(json_str "$(uname -r)")" \
			"$(json_str "$(openssl version 2>/dev/null || echo unknown)")"
		printf '    "loadavg_start": %s, "loadavg_end": %s},\n' "$(json_str "$LOAD_START")" \
			"$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")"
		printf '  "figures": {'
		for i in "${figs[@]}"; do
			IFS='	' read -r name v unit <<<"$i"
			printf '%s\n    %s: {"value": %s, "unit": %s}' "$sep" "$(json_str "$name")" "$v" \
				"$(json_str "$unit")"
			sep=,
		done
		printf '\n  },\n  "notes": ['
		sep=
		n=0
		for i in "${notes[@]}"; do
			printf '%s\n    %s' "$sep" "$(json_str "$i")"
			sep=,
			n=$((n + 1))
		done
		printf '\n  ]\n}\n'
	} >"$results.tmp" && mv "$results.tmp" "$results"
}

# --- processes and namespaces --------------------------------------------

# The server's daemons on the last CPU, the load generators on the others,
# so that the server has one core to itself: the figures are per core.
# Arrays, not functions: bg_start must get the daemon's own pid (ip netns
# exec and taskset both exec).
SV_PIN=(ip netns exec "$NS_SV" ${SV_CPU:+taskset -c "$SV_CPU"})
CL_PIN=(ip netns exec "$NS_CL" ${LOAD_CPUS:+taskset -c "$LOAD_CPUS"})
FL_PIN=(ip netns exec "$NS_FL" ${LOAD_CPUS:+taskset -c "$LOAD_CPUS"})
in_fl() { ip netns exec "$NS_FL" "$@"; }

# The server with a veth to the client and one to the flooder.
netns_setup() {
	local ns
	for ns in "$NS_SV" "$NS_CL" "$NS_FL"; do
		ip netns add "$ns" || die "cannot create network namespace $ns"
		ns_made="$ns_made $ns"
		ip -n "$ns" link set lo up
	done
	ip link add eth0 netns "$NS_SV" type veth peer name eth0 netns "$NS_CL" &&
		ip link add eth1 netns "$NS_SV" type veth peer name eth0 netns "$NS_FL" ||
		die "cannot create veth pairs"
	ip -n "$NS_SV" addr add "$SV_IP/24" dev eth0
	ip -n "$NS_SV" addr add "$SV_IP2/24" dev eth1
	ip -n "$NS_CL" addr add "$CL_IP/24" dev eth0
	ip -n "$NS_FL" addr add "$FL_IP/24" dev eth0
	ip -n "$NS_SV" link set eth0 up
	ip -n "$NS_SV" link set eth1 up
	ip -n "$NS_CL" link set eth0 up
	ip -n "$NS_FL" link set eth0 up
	ip -n "$NS_CL" route add local "$CL_RANGE" dev lo table local
	ip -n "$NS_FL" route add local "$FL_RANGE" dev lo table local
	ip -n "$NS_SV" route add "$CL_RANGE" via "$CL_IP"
	ip -n "$NS_SV" route add "$FL_RANGE" via "$FL_IP"
	ip -n "$NS_CL" route add default via "$SV_IP"
	ip -n "$NS_FL" route add default via "$SV_IP2"
}

# The drop-in ruleset of rules/, as a real server loads it.
ckq_rules() {
	in_sv iptables -F && in_sv iptables -X
	in_sv ipset destroy 2>/dev/null
	in_sv ipset restore -exist <"$top/rules/ckq.ipset" || die "rules/ckq.ipset does not load"
	sed "${1:-}" "$top/rules/ckq.rules" | in_sv iptables-restore || die "rules/ckq.rules does not load"
}

# --- ckqd -----------------------------------------------------------------

CKQD_PID=

ckqd_ready() {
	kill -0 "$CKQD_PID" && grep -q 'ready: ' "$TMP/ckqd.log"
}

start_ckqd() {
	: >"$TMP/ckqd.log"
	bg_start "${SV_PIN[@]}" "$CKQD" -f -c "$TMP/etc" 2>>"$TMP/ckqd.log"
	CKQD_PID=$BG_PID
	wait_until 60 ckqd_ready || { tail -n 5 "$TMP/ckqd.log" >&2; die "ckqd did not start"; }
}

stop_ckqd() {
	[ -n "$CKQD_PID" ] || return 0
	bg_stop "$CKQD_PID" 10
	CKQD_PID=
}

# ckqd_ops: "PRIV PUB", ckqd's RSA operation counters from its stats file,
# once ckqd has rewritten it after this call (it does every 5 s), so that
# they count everything done before.
ckqd_ops() {
	local f=$TMP/run/ckqd.prom
	touch "$TMP/ops.mark" || return 1
	wait_until 12 test "$f" -nt "$TMP/ops.mark" || return 1
	awk '$1 == "ckq_private_key_ops_total" { p = $2 } $1 == "ckq_public_key_ops_total" { u = $2 }
		END { if (p != "" && u != "") print p, u }' "$f"
}

# queue_taken [FIRST [COUNT]]: packets the kernel handed to the readers of
# these queues and that were not lost on the way (id_sequence minus
# user_dropped), summed.
queue_taken() {
	in_sv awk -v f="${1:-0}" -v n="${2:-1}" \
		'$1 >= f && $1 < f + n { s += $8 - $7 } END { print s + 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

# queue_dropped [FIRST [COUNT]]: "FULL LOST", packets the kernel dropped
# because the queue was full (queue_dropped) and because the reader's
# socket was (user_dropped), summed.
queue_dropped() {
	in_sv awk -v f="${1:-0}" -v n="${2:-1}" \
		'$1 >= f && $1 < f + n { q += $6; u += $7 } END { print q + 0, u + 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

# rss_sampler PID FILE STOPFILE: VmRSS every 0.1 s, at most 120 s.
rss_sampler() {
	local i
	for i in $(seq 1 1200); do
		[ -e "$3" ] && break
		proc_rss_kb "$1" 2>/dev/null >>"$2" || break
		sleep 0.1
	done
}

# flood_run SECONDS [flood options]: the junk flood from the flooder's
# namespace, FLOODERS processes of 64 source addresses each, in the
# foreground; FLOOD_RATE (all of them), FLOOD_SECS.
flood_run() {
	local s=$1 k pids=
	shift
	for k in $(seq 0 $((FLOODERS - 1))); do
		"${FL_PIN[@]}" "$B/flood" -m junk -d "$SV_IP2" -p "$KNOCK_PORT" \
			-s "10.218.$((64 + k)).1" -n 64 -t "$s" "$@" >"$TMP/flood.$k.out" 2>&1 &
		pids="$pids $!"
	done
	for k in $pids; do
		wait "$k" || { cat "$TMP"/flood.*.out >&2; return 1; }
	done
	FLOOD_RATE=$(cat "$TMP"/flood.*.out | awk '$1 == "rate" { r += $2 } END { printf "%.0f", r }')
	FLOOD_SECS=$(cat "$TMP"/flood.*.out | awk '$1 == "seconds" && $2 > s { s = $2 } END { print s }')
}

# per_cpu_second COUNT TICKS: COUNT per second of CPU time.
per_cpu_second() {
	awk -v n="$1" -v t="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (t > 0) printf "%.0f", n / (t / hz) }'
}

kv() {
	awk -v k="$1" '$1 == k { print $2 }' "$2"
}

# --- setup ----------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, iptables, ipset)"
for t in ip iptables iptables-restore ipset cc pkg-config nm od dd awk sed openssl; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (run.sh installs the build and test tools)"
done
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
# Other work on the machine skews every figure: say how busy it was.
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: "${CPU_MODEL:=unknown}"

if [ ! -x "$builddir/ckqd" ] || [ ! -f "$builddir/libckq.a" ]; then
	echo "# building ckq in $builddir"
	(cd "$top" && { [ -x configure ] || ./autogen.sh >/dev/null 2>&1; }) || die "autogen.sh failed"
	mkdir -p "$builddir" &&
		(cd "$builddir" && "$top/configure" -q && make -s -j"$NCPU") >/dev/null ||
		die "cannot build ckq in $builddir"
fi
CKQD=$builddir/ckqd CKQ=$builddir/ckq CKQ_ADMIN=$builddir/ckq-admin
B=$builddir/bench
mkdir -p "$B" || die "cannot create $B"
libs=$(pkg-config --libs libnetfilter_queue libnfnetlink libmnl libipset libnftnl libcrypto) ||
	die "pkg-config cannot find the libraries ckq builds with"
# CKQ_BENCH_CFLAGS adds flags (e.g. -fsanitize=address,undefined, with a
# libckq.a built the same way); a change of flags rebuilds everything.
cflags="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror ${CKQ_BENCH_CFLAGS:-}"
[ "$(cat "$B/.cflags" 2>/dev/null)" = "$cflags" ] || rm -f "$B/.cflags"
for p in mkusers knockgen flood nfq_drop rsa_speed s2_speed grant_cost probe; do
	if [ ! -e "$B/.cflags" ] || [ ! -x "$B/$p" ] || [ "$bench_dir/$p.c" -nt "$B/$p" ] ||
	   [ "$bench_dir/bench.h" -nt "$B/$p" ] || [ "$builddir/libckq.a" -nt "$B/$p" ]; then
		# shellcheck disable=SC2086
		cc $cflags -I"$top/include" -I"$bench_dir" "$bench_dir/$p.c" -o "$B/$p" \
			"$builddir/libckq.a" $libs -lpthread || die "cannot compile bench/$p.c"
	fi
done
# libcrypto alone: the floor of any program doing ckqd's cryptography.
if [ ! -e "$B/.cflags" ] || [ ! -x "$B/rss_floor" ] || [ "$bench_dir/rss_floor.c" -nt "$B/rss_floor" ] ||
   [ "$bench_dir/bench.h" -nt "$B/rss_floor" ] || [ "$builddir/libckq.a" -nt "$B/rss_floor" ]; then
	# shellcheck disable=SC2086
	cc $cflags -I"$top/include" -I"$bench_dir" "$bench_dir/rss_floor.c" -o "$B/rss_floor" \
		"$builddir/libckq.a" $(pkg-config --libs libcrypto) || die "cannot compile bench/rss_floor.c"
fi
echo "$cflags" >"$B/.cflags"

# fwknop is the baseline of the latency and memory figures; without it
# those ratios are missing and the output says why.
have_fwknop=0
if selected fwknop || selected memory || selected open; then
	if ! command -v fwknopd >/dev/null 2>&1 || ! command -v fwknop >/dev/null 2>&1 ||
	   ! command -v hyperfine >/dev/null 2>&1; then
		echo "# installing fwknop-server fwknop-client hyperfine (Debian)"
		mkdir -p "$cache"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			fwknop-server fwknop-client hyperfine >"$cache/apt.log" 2>&1 ||
			echo "# apt-get install failed: $(tail -n 1 "$cache/apt.log")"
	fi
	command -v fwknopd >/dev/null 2>&1 && command -v fwknop >/dev/null 2>&1 && have_fwknop=1
fi

trap cleanup EXIT
trap 'exit 1' HUP INT TERM
TMP=$(mktemp -d /tmp/ckq-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
modprobe -q nfnetlink_queue 2>/dev/null
modprobe -q ip_set 2>/dev/null
netns_setup

mkdir -p "$cache/keys" && "$B/mkusers" keys "$cache/keys" "$KEY_POOL" || die "cannot make client keys"
"$CKQ_ADMIN" -c "$TMP/etc" init --bits 2048 >"$TMP/init.out" 2>&1 ||
	{ cat "$TMP/init.out"; die "ckq-admin init failed"; }
{
	echo "pid_file = $TMP/run/ckqd.pid"
	echo "state_dir = $TMP/state"
	echo "user = nobody"
	grep -q '^#* *stats_file' "$TMP/etc/ckqd.conf" && echo "stats_file = $TMP/run/ckqd.prom"
	[ "$profile" = 1 ] && echo "seccomp = no"
} >>"$TMP/etc/ckqd.conf"
"$B/mkusers" users "$TMP/etc" "$cache/keys" 0 "$USERS" "$KEY_POOL" || die "cannot make the users"
ckq_rules
echo "# $NCPU CPUs ($CPU_MODEL), kernel $(uname -r), $(openssl version)"
echo "# load average before: $LOAD_START${SV_CPU:+; server pinned to CPU $SV_CPU, load generators to $LOAD_CPUS}"
echo "# mode: $([ "$quick" = 1 ] && echo quick || echo full); users: $USERS; results: $results"

# --- the machine's own limits ----------------------------------------------

# suite2_speed: suite 2's server crypto (s2_speed) beside suite 1's, in
# the same run, each ratio suite 2 over suite 1 (higher is better for suite
# 2): the primitives a knock needs (the floor: one X25519 and one Ed25519
# verification against one RSA-2048 decryption and two verifications, timed
# by s2_speed in interleaved slices), ckqd's whole share of a knock without
# I/O (against rsa_speed -c, run just before), and the messages' sizes as
# built.
suite2_speed() {
	local s1=$TMP/speed.out s2=$TMP/speed2.out floor1 i b1 b2 l1 l2
	"${ALL_PIN[@]}" "$B/s2_speed" -k "$TMP/etc/server.key" -s "$SPEED_S" >"$s2" ||
		die "s2_speed failed"
	fig x25519_rate "$(kv x25519_1 "$s2")" ops/s
	fig ed25519_verify_rate "$(kv ed25519_verify_1 "$s2")" ops/s
	# Both floors from s2_speed's interleaved slices: the same moment.
	fig rsa2048_priv_rate_interleaved "$(kv rsa_priv_1 "$s2")" ops/s
	fig rsa2048_verify_rate_interleaved "$(kv rsa_verify_1 "$s2")" ops/s
	floor1=$(kv crypto_floor1_1 "$s2")
	fig crypto_floor1_rate "$floor1" knocks/s
	fig crypto_floor2_rate "$(kv crypto_floor2_1 "$s2")" knocks/s
	ratio crypto_floor2_rate "$(kv crypto_floor2_1 "$s2")" "$floor1"
	KNOCK_CRYPTO2=$(kv knock_crypto2_1 "$s2")
	fig handshake_crypto2_rate "$KNOCK_CRYPTO2" knocks/s
	ratio handshake_crypto2_rate "$KNOCK_CRYPTO2" "$KNOCK_CRYPTO"
	b1=0 b2=0
	for i in 1 2 3 4; do
		l1=$(kv "msg${i}_len" "$s1") l2=$(kv "msg${i}_len" "$s2")
		fig "suite1_msg${i}_bytes" "$l1" bytes
		fig "suite2_msg${i}_bytes" "$l2" bytes
		b1=$((b1 + ${l1:-0})) b2=$((b2 + ${l2:-0}))
	done
	fig suite1_knock_bytes "$b1" bytes
	fig suite2_knock_bytes "$b2" bytes
	ratio suite2_knock_bytes "$b1" "$b2"
	fig suite2_msg1_max_bytes "$(kv msg1_max "$s2")" bytes
}

RSA_PRIV='' RSA_PRIV_ALL='' KNOCK_CRYPTO='' KNOCK_CRYPTO2=''
if selected speed || selected knock; then
	"${ALL_PIN[@]}" "$B/rsa_speed" -k "$TMP/etc/server.key" -c "$cache/keys/k0.key" \
		-s "$SPEED_S" -j "$NCPU" \
		>"$TMP/speed.out" ||
		die "rsa_speed failed"
	RSA_PRIV=$(kv rsa_priv_1 "$TMP/speed.out")
	fig rsa2048_priv_rate "$RSA_PRIV" ops/s
	RSA_PRIV_ALL=$(kv rsa_priv_all "$TMP/speed.out")
	fig rsa2048_priv_rate_allcores "$RSA_PRIV_ALL" ops/s
	fig rsa2048_verify_rate "$(kv rsa_verify_1 "$TMP/speed.out")" ops/s
	# ckqd's share of a knock's cryptography, in one process with no I/O:
	# the ceiling of the handshake figures.
	KNOCK_CRYPTO=$(kv knock_crypto_1 "$TMP/speed.out")
	fig handshake_crypto_rate "$KNOCK_CRYPTO" knocks/s
	ratio handshake_crypto_rate "$KNOCK_CRYPTO" "$RSA_PRIV"
	fig mac1_rate "$(kv mac1_1 "$TMP/speed.out")" ops/s
	suite2_speed
fi

start_ckqd
CKQD_RSS_IDLE=$(proc_rss_kb "$CKQD_PID" 2>/dev/null)
selected memory && fig ckqd_rss_idle_10k_users "$CKQD_RSS_IDLE" kB
if selected memory; then
	if "$B/rss_floor" -k "$TMP/etc/server.key" >"$TMP/floor.out" 2>&1; then
		fig openssl_mapped_rss "$(kv rss_start_kb "$TMP/floor.out")" kB
		fig openssl_floor_rss "$(kv rss_floor_kb "$TMP/floor.out")" kB
	else
		note "rss_floor failed: $(tail -n 1 "$TMP/floor.out")"
	fi
fi
wait_until 12 grep -q '^ckq_private_key_ops_total ' "$TMP/run/ckqd.prom" ||
	note "no ckq_private_key_ops_total in ckqd's stats file: no operation counts"

# --- 1. junk rejection -------------------------------------------------------

perf_start() {
	PERF_PID=
	[ "$profile" = 1 ] && command -v perf >/dev/null 2>&1 || return 0
	bg_start perf record -g -q -o "$TMP/perf.$1.data" -p "$CKQD_PID" 2>/dev/null
	PERF_PID=$BG_PID
	sleep 0.3
}

perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null
	bg_wait "$PERF_PID" 10
	{
		echo "# ckqd during the $1 benchmark: by object, then by symbol"
		perf report -i "$TMP/perf.$1.data" --stdio -g none --sort dso --percent-limit 0.5 2>/dev/null
		perf report -i "$TMP/perf.$1.data" --stdio -g none --sort dso,sym --percent-limit 0.4 2>/dev/null
	} | grep -v '^$' >"$B/profile-$1.txt"
	note "profile of ckqd ($1): $B/profile-$1.txt"
}

# col_median FILE K: the median of column K.
col_median() {
	awk -v k="$2" '{ print $k }' "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# junk_measure PID QUEUES: the junk flood JUNK_REPS times against the
# reader PID of queues 0..QUEUES-1; the median of each figure in J_RATE
# (packets a second taken from the queue), J_CAP (a second of the reader's
# CPU time), J_CPU (%), J_FULL and J_LOST (dropped by the kernel, queue or
# socket full), J_SENT (the flooder's rate).
junk_measure() {
	local pid=$1 nq=$2 r q0 q1 d0 d1 t0 t1 f0 l0 f1 l1
	: >"$TMP/junk.samples"
	for r in $(seq 1 "$JUNK_REPS"); do
		q0=$(queue_taken 0 "$nq")
		d0=$(queue_dropped 0 "$nq")
		t0=$(proc_cpu_ticks "$pid" 2>/dev/null)
		flood_run "$FLOOD_S" || return 1
		sleep 0.2
		q1=$(queue_taken 0 "$nq")
		d1=$(queue_dropped 0 "$nq")
		t1=$(proc_cpu_ticks "$pid" 2>/dev/null)
		read -r f0 l0 <<<"$d0"
		read -r f1 l1 <<<"$d1"
		echo "$(awk -v n=$((q1 - q0)) -v s="$FLOOD_SECS" 'BEGIN { printf "%.0f", n / s }')" \
			"$(per_cpu_second $((q1 - q0)) $((t1 - t0)))" \
			"$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$FLOOD_SECS" \
				'BEGIN { printf "%.1f", 100 * t / hz / s }')" \
			$((f1 - f0)) $((l1 - l0)) "$FLOOD_RATE" >>"$TMP/junk.samples"
	done
	J_RATE=$(col_median "$TMP/junk.samples" 1)
	J_CAP=$(col_median "$TMP/junk.samples" 2)
	J_CPU=$(col_median "$TMP/junk.samples" 3)
	J_FULL=$(col_median "$TMP/junk.samples" 4)
	J_LOST=$(col_median "$TMP/junk.samples" 5)
	J_SENT=$(col_median "$TMP/junk.samples" 6)
}

# junk_figs PREFIX: the figures of the last junk_measure.
junk_figs() {
	fig "${1}_rate" "$J_RATE" pkt/s
	fig "${1}_per_cpu_second" "$J_CAP" pkt/s
	fig "${1}_cpu" "$J_CPU" %
	fig "${1}_queue_full_drops" "$J_FULL" pkt
	fig "${1}_socket_drops" "$J_LOST" pkt
}

JUNK_CKQD='' JUNK_CKQD_CAP=''
if selected junk || selected memory; then
	ops0=$(ckqd_ops)
	rm -f "$TMP/rss.stop"
	: >"$TMP/rss.flood"
	bg_start rss_sampler "$CKQD_PID" "$TMP/rss.flood" "$TMP/rss.stop"
	sampler=$BG_PID
	perf_start junk
	junk_measure "$CKQD_PID" 1 || die "the flooder failed"
	perf_stop junk
	touch "$TMP/rss.stop"
	bg_wait "$sampler" 2
	ops1=$(ckqd_ops)
	JUNK_CKQD=$J_RATE JUNK_CKQD_CAP=$J_CAP
	if selected junk; then
		fig junk_flood_sent_rate "$J_SENT" pkt/s
		junk_figs junk_ckqd
		[ "${J_CPU%.*}" -ge 90 ] 2>/dev/null ||
			note "ckqd was busy ${J_CPU}% of the flood: its rate is the flooder's or the scheduler's limit, junk_ckqd_per_cpu_second its capacity"
		if [ -n "$ops0" ] && [ -n "$ops1" ]; then
			read -r p0 u0 <<<"$ops0"
			read -r p1 u1 <<<"$ops1"
			fig junk_priv_ops $((p1 - p0)) ops
			fig junk_pub_ops $((u1 - u0)) ops
		fi
	fi
	selected memory && fig ckqd_rss_flood "$(sort -n "$TMP/rss.flood" | tail -n 1)" kB
fi

# --- 6. legitimate knocks under the flood -------------------------------------

# knockgen NAME FIRST_USER COUNT FIRST_SOURCE WINDOW SECONDS [options]: from
# the client's namespace; its output in $TMP/NAME.out.
knockgen() {
	local name=$1
	shift
	"${CL_PIN[@]}" "$B/knockgen" -s "$SV_IP" -p "$KNOCK_PORT" -k "$TMP/etc/server.pub" \
		-K "$cache/keys" -P "$KEY_POOL" -f "$1" -n "$2" -S "$3" -w "$4" -t "$5" \
		"${@:6}" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
		{ cat "$TMP/$name.err" >&2; return 1; }
}

if selected legit; then
	# As fast as the flooder can send, until the knocks are done.
	bg_start "${FL_PIN[@]}" "$B/flood" -m junk -d "$SV_IP2" -p "$KNOCK_PORT" \
		-s "$SRC_FLOOD" -n 64 -t 120 >"$TMP/legit.flood" 2>&1
	flooder=$BG_PID
	sleep 0.5
	knockgen legit "$U_LEGIT" "$LEGIT_N" "$SRC_LEGIT" 1 60 -T 1000 -a 5 ||
		note "the knocks under flood did not run"
	kill -0 "$flooder" 2>/dev/null || note "the flooder ended before the knocks did"
	bg_stop "$flooder" 5
	fig flood_legit_flood_rate "$(kv rate "$TMP/legit.flood")" pkt/s
	fig flood_legit_success "$(awk -v g="$(kv granted "$TMP/legit.out")" -v n="$LEGIT_N" \
		'BEGIN { printf "%.1f", 100 * g / n }')" %
	fig flood_legit_latency_p50_us "$(kv lat_p50_us "$TMP/legit.out")" us
	fig flood_legit_latency_max_us "$(kv lat_max_us "$TMP/legit.out")" us
	fig flood_legit_retransmits "$(kv retransmits "$TMP/legit.out")" count
fi

# --- 2. handshakes ------------------------------------------------------------

if selected knock; then
	ops0=$(ckqd_ops)
	t0=$(proc_cpu_ticks "$CKQD_PID" 2>/dev/null)
	perf_start knock
	knockgen hs "$U_HS" "$HS_USERS" "$SRC_HS" 64 "$HS_S" -T 1000 -a 3 || die "knockgen failed"
	perf_stop knock
	t1=$(proc_cpu_ticks "$CKQD_PID" 2>/dev/null)
	ops1=$(ckqd_ops)
	granted=$(kv granted "$TMP/hs.out")
	rate=$(kv rate "$TMP/hs.out")
	HS_RATE=$rate
	fig handshake_rate "$rate" knocks/s
	ratio handshake_rate "$rate" "$RSA_PRIV"
	cpu_rate=$(awk -v g="$granted" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (t > 0) printf "%.1f", g / (t / hz) }')
	HS_CPU_RATE=$cpu_rate
	fig handshake_per_cpu_second "$cpu_rate" knocks/s
	ratio handshake_per_cpu_second "$cpu_rate" "$RSA_PRIV"
	ratio handshake_per_cpu_second_vs_crypto "$cpu_rate" "$KNOCK_CRYPTO"
	fig handshake_granted "$granted" knocks
	fig handshake_failed "$(kv failed "$TMP/hs.out")" knocks
	if [ -n "$ops0" ] && [ -n "$ops1" ] && [ "${granted:-0}" -gt 0 ]; then
		read -r p0 u0 <<<"$ops0"
		read -r p1 u1 <<<"$ops1"
		fig priv_ops_per_knock "$(awk -v d=$((p1 - p0)) -v g="$granted" 'BEGIN { printf "%.3f", d / g }')" ops
		fig pub_ops_per_knock "$(awk -v d=$((u1 - u0)) -v g="$granted" 'BEGIN { printf "%.3f", d / g }')" ops
	fi
fi

# --- 3. knock-to-grant latency ---------------------------------------------------

LAT_P50='' LAT_P99=''
if selected latency || selected fwknop; then
	knockgen lat "$U_LAT" "$LAT_N" "$SRC_LAT" 1 60 -T 1000 -a 3 || die "knockgen failed"
	LAT_P50=$(kv lat_p50_us "$TMP/lat.out")
	LAT_P99=$(kv lat_p99_us "$TMP/lat.out")
	fig knock_latency_p50_us "$LAT_P50" us
	fig knock_latency_p99_us "$LAT_P99" us
	fig knock_latency_granted "$(kv granted "$TMP/lat.out")" knocks
	selected legit && ratio flood_legit_latency_p50_us "$LAT_P50" \
		"$(kv lat_p50_us "$TMP/legit.out")"
fi

# --- 2 and 3 with suite 2: handshakes and latency -------------------------------

# suite2_knocks: benchmarks 2 and 3 again with suite 2 knocks (knockgen -2:
# Ed25519 users of their own, enrolled now and read by a ckqd started
# again, so the memory figures above count the 10,000 suite 1 users
# alone), against the suite 1 figures of this run: knocks a second and a
# second of ckqd's CPU, X25519 and Ed25519 operations per knock (ckqd's
# private and public key operation counters), and the knock-to-grant
# latency.
suite2_knocks() {
	local ops0 ops1 t0 t1 granted rate cpu_rate p0 u0 p1 u1 p50
	[ -e "$TMP/etc/server-x25519.key" ] || { note "no server-x25519.key: no suite 2 knocks"; return 0; }
	"$B/mkusers" keys2 "$cache/keys" "$KEY_POOL" &&
		"$B/mkusers" users2 "$TMP/etc" "$cache/keys" "$U_S2" $((HS_USERS + LAT_N)) "$KEY_POOL" ||
		die "cannot make the suite 2 users"
	# A fresh ckqd and fresh sets, as suite 1's knocks had: the thousands
	# of grants suite 1's knocks left, in the set and in ckqd's table of
	# grant holders, would make the two runs unlike.
	stop_ckqd
	ckq_rules
	start_ckqd
	if selected knock; then
		ops0=$(ckqd_ops)
		t0=$(proc_cpu_ticks "$CKQD_PID" 2>/dev/null)
		perf_start knock2
		knockgen hs2 "$U_S2" "$HS_USERS" "$SRC_HS2" 64 "$HS_S" -T 1000 -a 3 -2 ||
			die "knockgen -2 failed"
		perf_stop knock2
		t1=$(proc_cpu_ticks "$CKQD_PID" 2>/dev/null)
		ops1=$(ckqd_ops)
		granted=$(kv granted "$TMP/hs2.out")
		rate=$(kv rate "$TMP/hs2.out")
		fig handshake2_rate "$rate" knocks/s
		ratio handshake2_rate "$rate" "$HS_RATE"
		cpu_rate=$(awk -v g="$granted" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { if (t > 0) printf "%.1f", g / (t / hz) }')
		fig handshake2_per_cpu_second "$cpu_rate" knocks/s
		ratio handshake2_per_cpu_second "$cpu_rate" "$HS_CPU_RATE"
		ratio handshake2_per_cpu_second_vs_crypto "$cpu_rate" "$KNOCK_CRYPTO2"
		fig handshake2_granted "$granted" knocks
		fig handshake2_failed "$(kv failed "$TMP/hs2.out")" knocks
		if [ -n "$ops0" ] && [ -n "$ops1" ] && [ "${granted:-0}" -gt 0 ]; then
			read -r p0 u0 <<<"$ops0"
			read -r p1 u1 <<<"$ops1"
			fig x25519_ops_per_knock2 "$(awk -v d=$((p1 - p0)) -v g="$granted" 'BEGIN { printf "%.3f", d / g }')" ops
			fig ed25519_ops_per_knock2 "$(awk -v d=$((u1 - u0)) -v g="$granted" 'BEGIN { printf "%.3f", d / g }')" ops
		fi
	fi
	if selected latency; then
		knockgen lat2 $((U_S2 + HS_USERS)) "$LAT_N" "$SRC_LAT2" 1 60 -T 1000 -a 3 -2 ||
			die "knockgen -2 failed"
		p50=$(kv lat_p50_us "$TMP/lat2.out")
		fig knock2_latency_p50_us "$p50" us
		fig knock2_latency_p99_us "$(kv lat_p99_us "$TMP/lat2.out")" us
		fig knock2_latency_granted "$(kv granted "$TMP/lat2.out")" knocks
		ratio knock2_latency_p50_us "$LAT_P50" "$p50"
	fi
}

if selected knock || selected latency; then
	suite2_knocks
fi

# json_ms KEY FILE: hyperfine's KEY (seconds) in milliseconds.
json_ms() {
	awk -v k="\"$1\": " 'index($0, k) { s = substr($0, index($0, k) + length(k)); sub(/[,}].*/, "", s);
		printf "%.3f", s * 1000; exit }' "$2"
}

# ckq open as a user runs it, each run a new user and source address.
if selected open; then
	mkdir -p "$TMP/client/keys"
	for i in $(seq 0 $((OPEN_N - 1))); do
		u=$(printf 'u%05d' $((U_OPEN + i)))
		install -m 600 "$cache/keys/k$(((U_OPEN + i) % KEY_POOL)).key" "$TMP/client/keys/$u.key"
	done
	# The next run's user and code, and its own source address (the
	# per-source rate limit would otherwise refuse the sixth).
	cat >"$TMP/open_next.sh" <<-EOF
	i=\$(cat "$TMP/open.i" 2>/dev/null || echo 0)
	echo \$((i + 1)) >"$TMP/open.i"
	u=\$(printf 'u%05d' \$(($U_OPEN + i)))
	ip route replace $SV_IP/32 dev eth0 src $SRC_OPEN.\$((i + 1))
	echo "U=\$u C=\$("$B/mkusers" code "\$u")" >"$TMP/open.env"
	EOF
	cat >"$TMP/open_cmd.sh" <<-EOF
	. "$TMP/open.env"
	exec "$CKQ" open $SV_IP 22 --server-key "$TMP/etc/server.pub" -d "$TMP/client" --user "\$U" --otp "\$C" --timeout 1000 --attempts 3
	EOF
	if command -v hyperfine >/dev/null 2>&1; then
		rm -f "$TMP/open.i"
		"${CL_PIN[@]}" hyperfine -N --runs "$OPEN_N" --prepare "sh $TMP/open_next.sh" \
			"sh $TMP/open_cmd.sh" --export-json "$TMP/open.json" >"$TMP/open.hf" 2>&1 ||
			{ tail -n 5 "$TMP/open.hf"; note "hyperfine: ckq open failed"; }
		in_cl ip route replace "$SV_IP/32" dev eth0 src "$CL_IP"
		if [ -s "$TMP/open.json" ]; then
			fig ckq_open_wall_median_ms "$(json_ms median "$TMP/open.json")" ms
			fig ckq_open_wall_max_ms "$(json_ms max "$TMP/open.json")" ms
		fi
	else
		note "hyperfine not found: ckq open timed with a loop"
		rm -f "$TMP/open.i"
		for i in $(seq 1 "$OPEN_N"); do
			in_cl sh "$TMP/open_next.sh"
			t0=$EPOCHREALTIME
			in_cl sh "$TMP/open_cmd.sh" >/dev/null 2>&1
			t1=$EPOCHREALTIME
			awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
		done | sort -n >"$TMP/open.ms"
		fig ckq_open_wall_median_ms "$(awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' "$TMP/open.ms")" ms
	fi
fi

stop_ckqd
line=$(grep -E 'exiting: [0-9]+ packets' "$TMP/ckqd.log" | tail -n 1)
[ -n "$line" ] && note "ckqd: ${line##*exiting: }"

# --- 1 (cont.). the ceiling: a drop-only queue reader ----------------------------

# nfq_ceiling QUEUES [nfq_drop options]: junk_measure against nfq_drop.
nfq_ceiling() {
	local nq=$1 pid
	shift
	bg_start "${SV_PIN[@]}" "$B/nfq_drop" -t 300 -n "$nq" "$@" >"$TMP/nfq_drop.out" 2>&1
	pid=$BG_PID
	wait_until 10 grep -q '^ready' "$TMP/nfq_drop.out" || { cat "$TMP/nfq_drop.out" >&2; return 1; }
	junk_measure "$pid" "$nq" || return 1
	bg_stop "$pid" 5
}

if selected junk; then
	nfq_ceiling 1 || die "nfq_drop failed"
	junk_figs junk_ceiling
	ratio junk_ckqd_rate "$JUNK_CKQD" "$J_RATE"
	ratio junk_ckqd_per_cpu_second "$JUNK_CKQD_CAP" "$J_CAP"
	nfq_ceiling 1 -B || die "nfq_drop -B failed"
	fig junk_ceiling_batch_verdict_rate "$J_RATE" pkt/s
	fig junk_ceiling_batch_verdict_per_cpu_second "$J_CAP" pkt/s
	if "$CKQD" -h 2>&1 | grep -q 'queues = N'; then
		# A queue and a worker per CPU, unpinned, as ckqd.conf(5) says;
		# the load generators share the CPUs with them.
		saved_pin=("${SV_PIN[@]}") cl_saved=("${CL_PIN[@]}")
		SV_PIN=(ip netns exec "$NS_SV" "${ALL_PIN[@]}") CL_PIN=(ip netns exec "$NS_CL" "${ALL_PIN[@]}")
		ckq_rules "s/--queue-num 0/--queue-balance 0:$((NCPU - 1))/"
		echo "queues = $NCPU" >>"$TMP/etc/ckqd.conf"
		start_ckqd
		junk_measure "$CKQD_PID" "$NCPU" || die "the flooder failed"
		junk_figs junk_ckqd_allcores
		all=$J_RATE all_cap=$J_CAP
		if selected knock; then
			t0=$(proc_cpu_ticks "$CKQD_PID" 2>/dev/null)
			n=$((HS_USERS < USERS - U_HS_ALL ? HS_USERS : USERS - U_HS_ALL))
			knockgen hsall "$U_HS_ALL" "$n" "$SRC_HS_ALL" 64 "$HS_S" -T 1000 -a 3 ||
				die "knockgen failed"
			t1=$(proc_cpu_ticks "$CKQD_PID" 2>/dev/null)
			rate=$(kv rate "$TMP/hsall.out")
			fig handshake_allcores_rate "$rate" knocks/s
			ratio handshake_allcores_rate "$rate" "$RSA_PRIV_ALL"
			cpu_rate=$(per_cpu_second "$(kv granted "$TMP/hsall.out")" $((t1 - t0)))
			fig handshake_allcores_per_cpu_second "$cpu_rate" knocks/s
			ratio handshake_allcores_per_cpu_second "$cpu_rate" "$RSA_PRIV"
		fi
		stop_ckqd
		sed -i '/^queues = /d' "$TMP/etc/ckqd.conf"
		nfq_ceiling "$NCPU" || die "nfq_drop -n failed"
		junk_figs junk_ceiling_allcores
		ratio junk_ckqd_allcores_rate "$all" "$J_RATE"
		ratio junk_ckqd_allcores_per_cpu_second "$all_cap" "$J_CAP"
		SV_PIN=("${saved_pin[@]}") CL_PIN=("${cl_saved[@]}")
		ckq_rules
	else
		note "ckqd has no queues setting: the all-cores junk variant is skipped"
	fi
fi

# --- 3 (cont.). fwknop --------------------------------------------------------------

FW_RSS=
if [ "$have_fwknop" = 1 ] && { selected fwknop || selected memory; }; then
	fw=$TMP/fwknop
	mkdir -p "$fw/run"
	keys=$(fwknop --key-gen --no-rc-file --no-save-args 2>/dev/null)
	fk=$(sed -n 's/^KEY_BASE64: *//p' <<<"$keys")
	fh=$(sed -n 's/^HMAC_KEY_BASE64: *//p' <<<"$keys")
	cat >"$fw/fwknopd.conf" <<-EOF
	PCAP_INTF                   eth0;
	ENABLE_UDP_SERVER           Y;
	UDPSERV_PORT                $SPA_PORT;
	FIREWALL_EXE                $(command -v iptables);
	FWKNOP_RUN_DIR              $fw/run;
	LOCALE                      C;
	EOF
	cat >"$fw/access.conf" <<-EOF
	SOURCE              ANY
	KEY_BASE64          $fk
	HMAC_KEY_BASE64     $fh
	OPEN_PORTS          tcp/22
	FW_ACCESS_TIMEOUT   60
	EOF
	chmod 600 "$fw/fwknopd.conf" "$fw/access.conf"
	# fwknopd's own chain, jumped to from the top of INPUT, in front of
	# the same policy; its UDP server needs its port let in.
	in_sv iptables -F && in_sv iptables -X
	in_sv iptables -P INPUT DROP
	in_sv iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	in_sv iptables -A INPUT -p udp --dport "$SPA_PORT" -j ACCEPT
	: >"$fw/fwknopd.log"
	bg_start "${SV_PIN[@]}" fwknopd -f -U -c "$fw/fwknopd.conf" -a "$fw/access.conf" \
		-p "$fw/run/fwknopd.pid" -d "$fw/run/digest.cache" >>"$fw/fwknopd.log" 2>&1
	fwpid=$BG_PID
	if ! wait_until 20 grep -q 'Kicking off UDP server' "$fw/fwknopd.log"; then
		note "fwknopd did not start: $(tail -n 1 "$fw/fwknopd.log")"
	else
		sleep 0.5
		FW_RSS=$(proc_rss_kb "$fwpid" 2>/dev/null)
		selected memory && fig fwknopd_rss_idle "$FW_RSS" kB
		selected memory && ratio ckqd_rss_idle_10k_users "$FW_RSS" "$CKQD_RSS_IDLE"
		if selected fwknop; then
			: >"$fw/spa.txt"
			t0=$EPOCHREALTIME
			for i in $(seq 0 $((SPA_N - 1))); do
				a=$(awk -v b="$SRC_SPA" -v i="$i" 'BEGIN { split(b, o, "."); n = o[4] + i;
					printf "%d.%d.%d.%d", o[1], o[2], o[3] + int(n / 256), n % 256 }')
				fwknop --no-rc-file --no-save-args -A tcp/22 -a "$a" -D "$SV_IP" \
					--use-hmac --key-base64-rijndael "$fk" --key-base64-hmac "$fh" -T -v \
					2>/dev/null | sed -n 's/^ *Final SPA Data: //p' | head -n 1 >>"$fw/spa.txt"
			done
			t1=$EPOCHREALTIME
			fig fwknop_client_build_ms "$(awk -v a="$t0" -v b="$t1" -v n="$SPA_N" \
				'BEGIN { printf "%.2f", (b - a) * 1000 / n }')" ms
			bg_start "${SV_PIN[@]}" "$B/probe" listen -a "$SV_IP" -p 22 -t 120 >/dev/null
			lpid=$BG_PID
			sleep 0.3
			"${CL_PIN[@]}" "$B/probe" spa -d "$SV_IP" -u "$SPA_PORT" -p 22 -f "$fw/spa.txt" \
				-S "$SRC_SPA" -n "$SPA_N" -i 200 -T 3000 >"$TMP/spa.out" 2>&1 ||
				cat "$TMP/spa.out" >&2
			bg_stop "$lpid" 2
			opened=$(kv opened "$TMP/spa.out")
			fig fwknop_opened "${opened:-0}" count
			if [ "${opened:-0}" -gt 0 ]; then
				fp50=$(kv lat_p50_us "$TMP/spa.out")
				fp99=$(kv lat_p99_us "$TMP/spa.out")
				fig fwknop_latency_p50_us "$fp50" us
				fig fwknop_latency_p99_us "$fp99" us
				ratio knock_latency_p50_us "$fp50" "$LAT_P50"
				ratio knock_latency_p99_us "$fp99" "$LAT_P99"
			else
				note "fwknop opened nothing: $(tail -n 2 "$fw/fwknopd.log" | tr '\n' ' ')"
			fi
		fi
	fi
	bg_stop "$fwpid" 5
	if selected memory && [ -n "$FW_RSS" ]; then
		# As many users for fwknopd: a stanza each, since its keys are per stanza.
		awk -v n="$USERS" 'BEGIN {
			c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; srand(1)
			for (i = 0; i < n; i++) {
				k = ""; h = ""
				for (j = 0; j < 43; j++) k = k substr(c, int(rand() * 64) + 1, 1)
				for (j = 0; j < 86; j++) h = h substr(c, int(rand() * 64) + 1, 1)
				printf "SOURCE 10.%d.%d.%d/32\nKEY_BASE64 %s=\nHMAC_KEY_BASE64 %s==\n", \
					int(i / 65536), int(i / 256) % 256, i % 256, k, h
				printf "OPEN_PORTS tcp/22\nFW_ACCESS_TIMEOUT 60\n\n"
			} }' >"$fw/access-many.conf"
		chmod 600 "$fw/access-many.conf"
		: >"$fw/fwknopd-many.log"
		bg_start "${SV_PIN[@]}" fwknopd -f -U -c "$fw/fwknopd.conf" -a "$fw/access-many.conf" \
			-p "$fw/run/fwknopd.pid" -d "$fw/run/digest.cache" >>"$fw/fwknopd-many.log" 2>&1
		fwpid=$BG_PID
		if wait_until 60 grep -q 'Kicking off UDP server' "$fw/fwknopd-many.log"; then
			sleep 0.5
			FW_RSS_MANY=$(proc_rss_kb "$fwpid" 2>/dev/null)
			fig fwknopd_rss_idle_10k_stanzas "$FW_RSS_MANY" kB
			ratio ckqd_rss_idle_10k_users_vs_stanzas "$FW_RSS_MANY" "$CKQD_RSS_IDLE"
		else
			note "fwknopd with $USERS stanzas did not start: $(tail -n 1 "$fw/fwknopd-many.log")"
		fi
		bg_stop "$fwpid" 5
	fi
	ckq_rules
elif selected fwknop || selected memory; then
	note "fwknop is not installed and could not be: no fwknop figures"
fi

# --- 4. grant scaling ----------------------------------------------------------

# addrs N: N addresses from GRANT_BASE, one a line.
addrs() {
	awk -v n="$1" -v b="$GRANT_BASE" 'BEGIN { split(b, o, "."); base = o[1] * 16777216 + o[2] * 65536 + o[3] * 256 + o[4];
		for (i = 0; i < n; i++) { a = base + i;
			printf "%d.%d.%d.%d\n", int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256 } }'
}

# syn_rate NAME: SYNs a second that reached the last rule of INPUT (the
# counting rule added below) during a flood from addresses granted nothing.
syn_rate() {
	local n
	in_sv iptables -Z INPUT
	"${FL_PIN[@]}" "$B/flood" -m syn -d "$SV_IP2" -p 22 -s "$SRC_SYN" -n 256 -t "$SYN_S" >"$TMP/syn.out" 2>&1 ||
		{ cat "$TMP/syn.out" >&2; return 1; }
	n=$(in_sv iptables -nvxL INPUT | awk '$3 == "DROP" && /dpt:22/ { n = $1 } END { print n + 0 }')
	awk -v n="$n" -v s="$(kv seconds "$TMP/syn.out")" 'BEGIN { printf "%.0f", n / s }'
}

# syn_rate_nft: the same with grants = nft: SYNs a second that table inet
# ckq's drop rule for tcp/22 counted.
syn_rate_nft() {
	local n0 n1
	# nft 1.0 cannot reset a rule's counter: read it before and after.
	n0=$(nft_dropped) || return 1
	"${FL_PIN[@]}" "$B/flood" -m syn -d "$SV_IP2" -p 22 -s "$SRC_SYN" -n 256 -t "$SYN_S" >"$TMP/syn.out" 2>&1 ||
		{ cat "$TMP/syn.out" >&2; return 1; }
	n1=$(nft_dropped) || return 1
	awk -v n="$((n1 - n0))" -v s="$(kv seconds "$TMP/syn.out")" 'BEGIN { printf "%.0f", n / s }'
}

nft_dropped() {
	in_sv nft list chain inet ckq input |
		sed -n 's/.*ip saddr != @ckq-tcp-22 counter packets \([0-9]*\) .*/\1/p' | grep -m1 .
}

if selected scale; then
	count_rule='/^COMMIT/i -A INPUT -p tcp -m tcp --dport 22 -j DROP'
	for n in $SCALE; do
		# ckq: N addresses in the set of port 22 (maxelem raised past the
		# default 65536 of rules/ckq.ipset to hold them).
		in_sv iptables -F && in_sv iptables -X
		in_sv ipset destroy 2>/dev/null
		in_sv ipset create ckq-tcp-22 hash:ip family inet timeout 0 comment maxelem 262144
		in_sv ipset create ckq6-tcp-22 hash:ip family inet6 timeout 0 comment
		addrs "$n" | awk '{ printf "add ckq-tcp-22 %s timeout 3600 comment \"bench\"\n", $1 }' |
			in_sv ipset restore -exist || die "ipset restore of $n grants failed"
		sed "$count_rule" "$top/rules/ckq.rules" | in_sv iptables-restore || die "rules/ckq.rules"
		r_ckq=$(syn_rate ckq) || die "SYN flood failed"
		fig "syn_rate_ckq_$n" "$r_ckq" pkt/s
		in_sv "$B/grant_cost" -s ckq-tcp-22 -a "$COST_BASE" -n "$GRANT_N" >"$TMP/cost.out" 2>&1 ||
			{ cat "$TMP/cost.out"; die "grant_cost failed"; }
		g_add=$(kv add_us "$TMP/cost.out")
		g_del=$(kv del_us "$TMP/cost.out")
		fig "grant_add_us_$n" "$g_add" us
		fig "grant_del_us_$n" "$g_del" us

		# grants = nft: the same N addresses in the set of table inet ckq
		# (rules/ckq.nft; its drop rule counts what it drops). The knock
		# rule goes: nothing knocks here, and not every kernel has nft's
		# queue statement.
		in_sv iptables -F && in_sv iptables -X && in_sv iptables -P INPUT ACCEPT
		in_sv nft delete table inet ckq 2>/dev/null
		sed -e '/queue num 0$/d' -e 's/ip saddr != @ckq-tcp-22 drop/ip saddr != @ckq-tcp-22 counter drop/' \
			"$top/rules/ckq.nft" | in_sv nft -f - || die "rules/ckq.nft does not load"
		addrs "$n" | awk 'NR % 5000 == 1 { if (NR > 1) print " }"; printf "add element inet ckq ckq-tcp-22 {" ; sep = " " }
			{ printf "%s%s timeout 3600s comment \"bench\"", sep, $1; sep = ", " }
			END { if (NR) print " }" }' | in_sv nft -f - || die "nft add element of $n grants failed"
		r_nft=$(syn_rate_nft) || die "SYN flood failed"
		fig "syn_rate_nft_$n" "$r_nft" pkt/s
		in_sv "$B/grant_cost" -b nft -s ckq-tcp-22 -a "$COST_BASE" -n "$GRANT_N" >"$TMP/cost.out" 2>&1 ||
			{ cat "$TMP/cost.out"; die "grant_cost -b nft failed"; }
		fig "grant_add_us_nft_$n" "$(kv add_us "$TMP/cost.out")" us
		fig "grant_del_us_nft_$n" "$(kv del_us "$TMP/cost.out")" us
		ratio "syn_rate_nft_$n" "$r_nft" "$r_ckq"
		in_sv nft delete table inet ckq

		# fwknop's way: one rule per grant in a chain jumped to from INPUT.
		in_sv iptables -F && in_sv iptables -X
		{
			echo '*filter'
			echo ':INPUT DROP [0:0]'
			echo ':FORWARD DROP [0:0]'
			echo ':OUTPUT ACCEPT [0:0]'
			echo ':FWKNOP_INPUT - [0:0]'
			echo '-A INPUT -j FWKNOP_INPUT'
			addrs "$n" | awk '{ printf "-A FWKNOP_INPUT -s %s/32 -p tcp -m tcp --dport 22 -j ACCEPT\n", $1 }'
			sed -n '/^-A INPUT/p' "$top/rules/ckq.rules" | grep -v -- '--match-set'
			echo '-A INPUT -p tcp -m tcp --dport 22 -j DROP'
			echo 'COMMIT'
		} >"$TMP/ipt.rules"
		t0=$EPOCHREALTIME
		in_sv iptables-restore <"$TMP/ipt.rules" || die "iptables-restore of $n rules failed"
		t1=$EPOCHREALTIME
		[ "$n" = 0 ] || fig "ipt_restore_ms_$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')" ms
		r_ipt=$(syn_rate ipt) || die "SYN flood failed"
		fig "syn_rate_ipt_$n" "$r_ipt" pkt/s
		ratio "syn_rate_ckq_$n" "$r_ckq" "$r_ipt"
		# What fwknopd does per grant: run iptables to append the rule; to
		# expire it, list the chain with line numbers (it does so every few
		# seconds while it holds rules) and delete by number.
		ta=0 td=0 tl=0
		for i in $(seq 1 "$IPT_N"); do
			t0=$EPOCHREALTIME
			in_sv iptables -A FWKNOP_INPUT -s "10.231.0.$i" -p tcp --dport 22 -j ACCEPT
			t1=$EPOCHREALTIME
			in_sv iptables -L FWKNOP_INPUT --line-numbers -n >/dev/null
			t2=$EPOCHREALTIME
			in_sv iptables -D FWKNOP_INPUT $((n + 1))
			t3=$EPOCHREALTIME
			read -r ta tl td < <(awk -v a="$ta" -v l="$tl" -v d="$td" -v t0="$t0" -v t1="$t1" \
				-v t2="$t2" -v t3="$t3" 'BEGIN { printf "%.6f %.6f %.6f\n", a + t1 - t0, l + t2 - t1, d + t3 - t2 }')
		done
		i_add=$(awk -v s="$ta" -v n="$IPT_N" 'BEGIN { printf "%.1f", s * 1e6 / n }')
		i_del=$(awk -v s="$td" -v n="$IPT_N" 'BEGIN { printf "%.1f", s * 1e6 / n }')
		fig "ipt_add_us_$n" "$i_add" us
		fig "ipt_del_us_$n" "$i_del" us
		fig "ipt_list_ms_$n" "$(awk -v s="$tl" -v n="$IPT_N" 'BEGIN { printf "%.2f", s * 1e3 / n }')" ms
		ratio "grant_add_us_$n" "$i_add" "$g_add"
		ratio "grant_del_us_$n" "$i_del" "$g_del"
	done
	in_sv iptables -F && in_sv iptables -X
fi

write_results
echo "# results written to $results"
