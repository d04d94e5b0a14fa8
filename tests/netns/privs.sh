#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckqd's least privilege, checked on the running daemon: once its queue, raw
# sockets and ipset session are open it runs as its user (nobody here) with
# only CAP_NET_ADMIN and CAP_NET_RAW (bounding set too), no_new_privs and a
# seccomp filter; under that sandbox it still reloads users on SIGHUP,
# grants a knock, refuses a stranger's, survives junk and exits cleanly.
# With user = root it keeps uid 0 but no other capability. A missing user
# stops it before it opens anything. contrib/ckqd.service passes
# 'systemd-analyze security' at its recorded exposure. Prints TAP. Needs
# root; bails out (fails) when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR (default: the source tree), CKQ_SRCDIR.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${CKQ_SRCDIR:-$here/../..}" && pwd)
builddir=${CKQ_BUILDDIR:-$here/../..}
CKQD=$builddir/ckqd
CKQ=$builddir/ckq
CKQ_ADMIN=$builddir/ckq-admin
UNIT=$srcdir/contrib/ckqd.service
# contrib/ckqd.service's exposure, 2.5 on systemd-analyze's 0-10 scale;
# --threshold takes the 0-100 one.
EXPOSURE_MAX=25

NS_SV=ckq-privs-$$
NS_CL=ckq-privs-cl-$$
NET=10.217.1
SV_IP=$NET.1
CL_IP=$NET.2
# Exactly CAP_NET_ADMIN (12) and CAP_NET_RAW (13).
CAPS=0000000000003000

TMP=
PID=
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

is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:      $1" "expected: $2"
	fi
}

# check "description" cmd...: passes when cmd exits 0.
check() {
	local desc=$1 rc=0
	shift
	"$@" >"$TMP/check.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $* (exit $rc)"
		tail -n 10 "$TMP/check.out" | sed 's/^/#   /'
	fi
}

cleanup() {
	local pid ns i
	set +e
	trap - EXIT
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	# Only what this script started lives in its own namespaces.
	for ns in "$NS_SV" "$NS_CL"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		for i in $(seq 1 20); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
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

alive() {
	kill -0 "$PID" 2>/dev/null
}

# log_has REGEX: a line of ckqd's log after line $MARK matches.
log_has() {
	tail -n +"$((MARK + 1))" "$LOG" | grep -Eq -- "$1"
}

mark() {
	MARK=$(wc -l <"$LOG")
}

assert_log() {
	if wait_until 5 log_has "$1"; then
		ok "ckqd logs /$1/"
	else
		not_ok "ckqd logs /$1/"
		tail -n +"$((MARK + 1))" "$LOG" | tail -n 10 | sed 's/^/#   /'
	fi
}

# status FIELD: that line of /proc/PID/status, tabs as spaces.
status() {
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$PID/status" | tr '\t' ' ' | sed 's/ *$//'
}

set_conf() {
	printf 'pid_file = %s\nuser = %s\n' "$PID_FILE" "$1" >"$ETC/ckqd.conf"
}

# start_ckqd: ckqd -f in the server's namespace; bails unless it gets ready.
start_ckqd() {
	mark
	ip netns exec "$NS_SV" "$CKQD" -f -c "$ETC" 2>>"$LOG" &
	PID=$!
	if ! wait_until 10 log_has 'ready: '; then
		tail -n 20 "$LOG" | sed 's/^/#   /'
		bail "ckqd did not become ready within 10 s"
	fi
	alive || bail "ckqd died after it said ready"
}

# stop_ckqd: SIGTERM, at most 5 s; RC is its exit status (159 = SIGSYS).
stop_ckqd() {
	local i
	kill -TERM "$PID" 2>/dev/null || true
	for i in $(seq 1 50); do
		alive || break
		sleep 0.1
	done
	kill -KILL "$PID" 2>/dev/null || true
	RC=0
	wait "$PID" 2>/dev/null || RC=$?
	PID=
}

# totp NAME: the current code of NAME's secret, as an authenticator computes it.
totp() {
	python3 -c '
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000))
' "$(sed -n 's/^totp_secret = //p' "$ETC/users/$1.conf")"
}

# client NAME: a key pair in $TMP/cl/NAME with the server stored as "srv".
client() {
	"$CKQ" keygen "$1" -d "$TMP/cl/$1" >/dev/null 2>&1 || bail "ckq keygen $1 failed"
	"$CKQ" add-server srv "$SV_IP" --key "$ETC/server.pub" --user "$1" -d "$TMP/cl/$1" \
		>/dev/null 2>&1 || bail "ckq add-server for $1 failed"
}

knock() {
	local name=$1 code=$2
	KNOCK_RC=0
	ip netns exec "$NS_CL" "$CKQ" open srv 22 -d "$TMP/cl/$name" --otp "$code" \
		--attempts 2 --timeout 1000 >"$TMP/knock.out" 2>&1 || KNOCK_RC=$?
}

# --- can we run at all ------------------------------------------------------

[ "$(id -u)" = 0 ] || bail "must run as root (network namespaces, ipset, setuid)"
for tool in ip ipset iptables-restore python3 setpriv stat systemd-analyze; do
	command -v "$tool" >/dev/null 2>&1 ||
		bail "$tool not found (systemd-analyze: apt-get install systemd)"
done
for bin in "$CKQD" "$CKQ" "$CKQ_ADMIN"; do
	[ -x "$bin" ] || bail "$bin not built (set CKQ_BUILDDIR to the build tree)"
done
for f in "$srcdir/rules/ckq.ipset" "$srcdir/rules/ckq.rules" "$UNIT"; do
	[ -r "$f" ] || bail "$f missing"
done
NOBODY_UID=$(id -u nobody 2>/dev/null) || bail "there is no user nobody"
NOBODY_GID=$(id -g nobody)

trap cleanup EXIT
trap 'exit 1' HUP INT TERM
TMP=$(mktemp -d /tmp/ckq-privs.XXXXXX) || bail "mktemp failed"
# ckqd rereads ETC as nobody, and removes its pid file from RUN.
chmod 755 "$TMP"
ETC=$TMP/etc
RUN=$TMP/run
LOG=$TMP/ckqd.log
PID_FILE=$RUN/ckqd.pid
MARK=0
mkdir -m 755 "$ETC" "$RUN" "$TMP/cl"
chown nobody: "$RUN"
: >"$LOG"

ip netns add "$NS_SV" || bail "cannot create network namespace $NS_SV"
ip netns add "$NS_CL" || bail "cannot create network namespace $NS_CL"
ip -n "$NS_SV" link set lo up
ip -n "$NS_CL" link set lo up
ip -n "$NS_SV" link add eth0 type veth peer name eth0 netns "$NS_CL" ||
	bail "cannot create a veth pair"
ip -n "$NS_SV" addr add "$SV_IP/24" dev eth0
ip -n "$NS_CL" addr add "$CL_IP/24" dev eth0
ip -n "$NS_SV" link set eth0 up
ip -n "$NS_CL" link set eth0 up
ip netns exec "$NS_SV" ipset restore -exist <"$srcdir/rules/ckq.ipset" ||
	bail "rules/ckq.ipset does not load"
ip netns exec "$NS_SV" iptables-restore <"$srcdir/rules/ckq.rules" ||
	bail "rules/ckq.rules does not load"

# init keeps a ckqd.conf that is there, and gives users/ to its user.
set_conf nobody
"$CKQ_ADMIN" -c "$ETC" init --bits 2048 >"$TMP/init.out" 2>&1 ||
	{ sed 's/^/#   /' "$TMP/init.out"; bail "ckq-admin init failed"; }
is "$(stat -c %u:%g "$ETC/users")" "$NOBODY_UID:$NOBODY_GID" \
	"ckq-admin init gives users/ to the daemon's user"

rc=0
"$CKQD" -t -c "$ETC" >"$TMP/t.out" 2>&1 || rc=$?
is "$rc" 0 "ckqd -t accepts user = nobody"
check "ckqd -t reports the user it will run as" \
	grep -Fq "runs as user nobody (uid $NOBODY_UID, gid $NOBODY_GID) with only CAP_NET_ADMIN and CAP_NET_RAW" \
	"$TMP/t.out"

# --- the running daemon's credentials -----------------------------------------

start_ckqd
is "$(status Uid)" "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" "real, effective, saved and fs uid are nobody's"
is "$(status Gid)" "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" "all four gids are nobody's group"
is "$(status Groups)" "" "no supplementary groups"
is "$(status CapEff)" "$CAPS" "effective capabilities: exactly CAP_NET_ADMIN and CAP_NET_RAW"
is "$(status CapPrm)" "$CAPS" "permitted capabilities: the same"
is "$(status CapBnd)" "$CAPS" "bounding set: the same"
is "$(status CapInh)" 0000000000000000 "no inheritable capabilities"
is "$(status CapAmb)" 0000000000000000 "no ambient capabilities"
is "$(status NoNewPrivs)" 1 "no_new_privs is set"
is "$(status Seccomp)" 2 "a seccomp filter is loaded"
is "$(cat "$PID_FILE" 2>/dev/null)" "$PID" "the pid file, written before the drop, names it"

# --- what it must still do inside the sandbox -------------------------------------

client alice
client mallory
mark
rc=0
"$CKQ_ADMIN" -c "$ETC" add-user alice --key "$TMP/cl/alice/keys/alice.pub" --ports tcp/22 \
	--no-qr >"$TMP/add.out" 2>&1 || rc=$?
is "$rc" 0 "ckq-admin add-user alice while ckqd runs"
check "ckq-admin signalled ckqd" grep -Fqx "ckqd reloaded its users" "$TMP/add.out"
is "$(stat -c %u:%g "$ETC/users/alice.conf"):$(stat -c %u:%g "$ETC/users/alice.pub")" \
	"$NOBODY_UID:$NOBODY_GID:$NOBODY_UID:$NOBODY_GID" "add-user gives alice.conf and alice.pub to nobody"
is "$(stat -c %a "$ETC/users/alice.conf")" 600 "alice.conf stays 0600"
assert_log "reloaded 1 user from $ETC/users"
check "ckqd survives the reload" alive

mark
knock alice "$(totp alice)"
is "$KNOCK_RC" 0 "alice's knock is granted by the sandboxed ckqd"
[ "$KNOCK_RC" = 0 ] || sed 's/^/#   /' "$TMP/knock.out"
assert_log "knock granted user=alice src=$CL_IP port=tcp/22"
check "the grant is in the kernel's ipset" \
	sh -c "ip netns exec '$NS_SV' ipset list ckq-tcp-22 | grep -q '^$CL_IP '"

mark
knock mallory 123456
is "$KNOCK_RC" 1 "a stranger's knock is refused (exit 1)"
assert_log "knock refused"
check "ckqd survives the refused knock" alive

mark
ip netns exec "$NS_CL" bash -c \
	"head -c 300 /dev/urandom >/dev/udp/$SV_IP/8888; printf 'junk' >/dev/udp/$SV_IP/8888" ||
	not_ok "sending junk to udp/8888"
sleep 0.5
check "ckqd survives random bytes on the knock port" alive

# A users file that only root may read: the reload fails, says why, keeps the old users.
chown root:root "$ETC/users/alice.conf"
mark
kill -HUP "$PID" 2>/dev/null || true
assert_log "alice\.conf: owned by uid 0, not readable by uid $NOBODY_UID, which ckqd runs as: it must be owned by ckqd's user"
check "ckqd survives the failed reload" alive
chown nobody: "$ETC/users/alice.conf"
mark
kill -HUP "$PID" 2>/dev/null || true
assert_log "reloaded 1 user from "

mark
stop_ckqd
is "$RC" 0 "ckqd exits 0 on SIGTERM (not killed by its filter)"
assert_log "exiting: [0-9]+ packets, 1 granted, 0 closed, [1-9][0-9]* refused, [1-9][0-9]* junk"
check "it removed its pid file from its user's directory" test ! -e "$PID_FILE"

# --- user = root: uid 0, but no capability beyond the two ---------------------

# The users files follow the user, as they would after a --replace of each.
set_conf root
chown -R root:root "$ETC/users"
rc=0
"$CKQD" -t -c "$ETC" >"$TMP/t.out" 2>&1 || rc=$?
is "$rc" 0 "ckqd -t accepts user = root"
check "and says it keeps uid 0 with only the two capabilities" \
	grep -Fq "runs as user root (uid 0, gid 0) with only CAP_NET_ADMIN and CAP_NET_RAW" "$TMP/t.out"
start_ckqd
is "$(status Uid)" "0 0 0 0" "user = root keeps uid 0"
is "$(status CapEff)" "$CAPS" "but only CAP_NET_ADMIN and CAP_NET_RAW are effective"
is "$(status CapPrm)" "$CAPS" "and permitted"
is "$(status CapBnd)" "$CAPS" "and left in the bounding set"
is "$(status NoNewPrivs) $(status Seccomp)" "1 2" "with no_new_privs and the seccomp filter"
stop_ckqd
is "$RC" 0 "ckqd as root exits 0 on SIGTERM"

# --- a user that does not exist -----------------------------------------------

set_conf "ckq-nouser-$$"
rc=0
"$CKQD" -t -c "$ETC" >"$TMP/t.out" 2>&1 || rc=$?
check "ckqd -t fails for a user that does not exist" test "$rc" != 0
check "and says how to create it" \
	grep -Fq "user 'ckq-nouser-$$' does not exist: create it with 'adduser --system --no-create-home ckq-nouser-$$', or set user = root" \
	"$TMP/t.out"
mark
rc=0
ip netns exec "$NS_SV" timeout 10 "$CKQD" -f -c "$ETC" 2>>"$LOG" || rc=$?
check "ckqd refuses to start without its user" test "$rc" != 0 -a "$rc" != 124
check "before it binds the queue" sh -c "! tail -n +$((MARK + 1)) '$LOG' | grep -q 'ready: '"

# --- the systemd unit ---------------------------------------------------------

rc=0
systemd-analyze security --offline=yes --threshold="$EXPOSURE_MAX" "$UNIT" \
	>"$TMP/analyze.out" 2>&1 || rc=$?
is "$rc" 0 "systemd-analyze security rates contrib/ckqd.service at most $EXPOSURE_MAX/100"
[ "$rc" = 0 ] || tail -n 5 "$TMP/analyze.out" | sed 's/^/#   /'

# No systemd to start it here: what the unit gives ckqd before its own drop,
# its bounding set and no_new_privs, is set up with setpriv instead.
bounding=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' |
	sed 's/cap_/+/g; s/ /,/g')
check "the unit names a capability bounding set" test -n "$bounding"
set_conf nobody
chown -R nobody: "$ETC/users"
mark
ip netns exec "$NS_SV" setpriv --bounding-set "-all,$bounding" --inh-caps=-all --no-new-privs \
	"$CKQD" -f -c "$ETC" 2>>"$LOG" &
PID=$!
if wait_until 10 log_has 'ready: '; then
	ok "ckqd starts within the unit's bounding set ($bounding) and no_new_privs"
	is "$(status Uid) $(status CapEff) $(status CapBnd)" \
		"$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID $CAPS $CAPS" "and drops to nobody with the two capabilities"
	stop_ckqd
	is "$RC" 0 "and exits 0 on SIGTERM"
else
	not_ok "ckqd starts within the unit's bounding set ($bounding) and no_new_privs"
	tail -n +"$((MARK + 1))" "$LOG" | tail -n 5 | sed 's/^/#   /'
	stop_ckqd
fi

echo "1..$tap_n"
if [ "$tap_failed" != 0 ]; then
	diag "$tap_failed of $tap_n tests failed" "the end of ckqd's log:"
	tail -n 30 "$LOG" | sed 's/^/#   /'
	exit 1
fi
exit 0
