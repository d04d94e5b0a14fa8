#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckqd's least privilege, checked on the running daemon: once its queue, raw
# sockets and ipset session are open it runs as its user (nobody here) with
# only CAP_NET_ADMIN (bounding set too), no_new_privs and a seccomp
# filter; under that sandbox it still reloads users on SIGHUP, grants a
# knock (answering on the raw socket it opened before, without
# CAP_NET_RAW), refuses a stranger's, survives junk, reports the knocks
# the kernel dropped with its queue full, and exits cleanly.
# With user = root it keeps uid 0 but no other capability. A missing user
# stops it before it opens anything. contrib/ckqd.service passes
# 'systemd-analyze security' at its recorded exposure. Prints TAP. Needs
# root; bails out (fails) when it cannot run, never skips.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh); CKQD_WRAPPER is ignored.
set -eu

# The checks read ckqd's own /proc status: no wrapper before it.
CKQD_WRAPPER=
CKQD_STOP_TIMEOUT=${CKQD_STOP_TIMEOUT:-5}
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

UNIT=$srcdir/contrib/ckqd.service
# contrib/ckqd.service's exposure, 2.5 on systemd-analyze's 0-10 scale;
# --threshold takes the 0-100 one.
EXPOSURE_MAX=25
# The names of the checks carry the client's address, from 10.217.1.0/24.
NET=10.217.1
SV_IP=$NET.1
CL_IP=$NET.2
OT_IP=$NET.3
# Exactly CAP_NET_ADMIN (12): CAP_NET_RAW (13) is needed only to open the raw sockets.
CAPS=0000000000001000

alive() {
	kill -0 "$CKQD_PID" 2>/dev/null
}

# status FIELD: that line of ckqd's /proc/PID/status, tabs as spaces.
status() {
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$CKQD_PID/status" | tr '\t' ' ' | sed 's/ *$//'
}

set_conf() {
	printf 'pid_file = %s\nuser = %s\nqueue_maxlen = 16\n' "$PID_FILE" "$1" >"$ETC/ckqd.conf"
}

# --- can we run at all ------------------------------------------------------

require setpriv stat systemd-analyze
[ -r "$UNIT" ] || bail "$UNIT missing"
NOBODY_UID=$(id -u nobody 2>/dev/null) || bail "there is no user nobody"
NOBODY_GID=$(id -g nobody)

netns_setup
# ckqd rereads ETC as nobody, and removes its pid file from RUN_DIR.
RUN_DIR=$TMP/run
PID_FILE=$RUN_DIR/ckqd.pid
mkdir -m 755 "$ETC" "$RUN_DIR"
chown nobody: "$RUN_DIR"

# init keeps a ckqd.conf that is there, and gives users/ to its user.
set_conf nobody
"$CKQ_ADMIN" -c "$ETC" init --bits 2048 >"$TMP/init.out" 2>&1 ||
	{ sed 's/^/#   /' "$TMP/init.out"; bail "ckq-admin init failed"; }
is "$(stat -c %u:%g:%a "$ETC/users")" "0:$NOBODY_GID:750" \
	"ckq-admin init makes users/ root's, listable by the daemon's group only"
# A compromised ckqd, as its user, cannot enrol a user of its own.
check_fails "nobody cannot create a file in users/" \
	setpriv --reuid "$NOBODY_UID" --regid "$NOBODY_GID" --clear-groups \
	sh -c "echo 'ports = tcp/22' >'$ETC/users/evil.conf'"

rc=0
"$CKQD" -t -c "$ETC" >"$TMP/t.out" 2>&1 || rc=$?
is "$rc" 0 "ckqd -t accepts user = nobody"
check "ckqd -t reports the user it will run as" \
	grep -Fqx "ckqd runs as user nobody (uid $NOBODY_UID, gid $NOBODY_GID) with only CAP_NET_ADMIN" \
	"$TMP/t.out"

# --- the running daemon's credentials -----------------------------------------

start_ckqd
is "$(status Uid)" "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" "real, effective, saved and fs uid are nobody's"
is "$(status Gid)" "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" "all four gids are nobody's group"
is "$(status Groups)" "" "no supplementary groups"
is "$(status CapEff)" "$CAPS" "effective capabilities: exactly CAP_NET_ADMIN"
is "$(status CapPrm)" "$CAPS" "permitted capabilities: the same"
is "$(status CapBnd)" "$CAPS" "bounding set: the same"
is "$(status CapInh)" 0000000000000000 "no inheritable capabilities"
is "$(status CapAmb)" 0000000000000000 "no ambient capabilities"
is "$(status NoNewPrivs)" 1 "no_new_privs is set"
is "$(status Seccomp)" 2 "a seccomp filter is loaded"
is "$(cat "$PID_FILE" 2>/dev/null)" "$CKQD_PID" "the pid file, written before the drop, names it"

# --- what it must still do inside the sandbox -------------------------------------

client_new alice
client_new mallory
log_mark
rc=0
user_add alice >"$TMP/add.out" 2>&1 || rc=$?
is "$rc" 0 "ckq-admin add-user alice while ckqd runs"
check "ckq-admin signalled ckqd" grep -Fqx "ckqd reloaded its users" "$TMP/add.out"
is "$(stat -c %u:%g "$ETC/users/alice.conf"):$(stat -c %u:%g "$ETC/users/alice.pub")" \
	"0:$NOBODY_GID:0:$NOBODY_GID" "add-user makes alice.conf and alice.pub root's, in nobody's group"
is "$(stat -c %a "$ETC/users/alice.conf")" 640 "alice.conf is 0640: only root writes it"
check_fails "nobody cannot change alice.conf" \
	setpriv --reuid "$NOBODY_UID" --regid "$NOBODY_GID" --clear-groups \
	sh -c "echo 'revoked = no' >>'$ETC/users/alice.conf'"
assert_log "reloaded 1 user from $ETC/users"
check "ckqd survives the reload" alive

log_mark
knock open alice --attempts 2 --timeout 1000
is "$RUN_RC" 0 "alice's knock is granted by the sandboxed ckqd, answering without CAP_NET_RAW"
[ "$RUN_RC" = 0 ] || run_diag
assert_log "knock granted user=alice src=$CL_IP port=tcp/22"
check "the grant is in the kernel's ipset" in_set "$CL_IP"

log_mark
run in_cl "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/mallory" --otp 123456 --attempts 2 --timeout 1000
is "$RUN_RC" 1 "a stranger's knock is refused (exit 1)"
assert_log "knock refused"
check "ckqd survives the refused knock" alive

log_mark
in_cl bash -c \
	"head -c 300 /dev/urandom >/dev/udp/$SV_IP/8888; printf 'junk' >/dev/udp/$SV_IP/8888" ||
	not_ok "sending junk to udp/8888"
sleep 0.5
check "ckqd survives random bytes on the knock port" alive

# The kernel's count of knocks dropped with the queue full is root's to
# read; the sandboxed ckqd still reports it. Stopped, it takes nothing: its
# queue of queue_maxlen (16) fills and the kernel drops the rest.
log_mark
kill -STOP "$CKQD_PID"
in_cl bash -c "for i in \$(seq 1 60); do printf 'junk' >/dev/udp/$SV_IP/8888; done" ||
	not_ok "sending 60 datagrams to udp/8888"
sleep 0.3
kill -CONT "$CKQD_PID"
assert_log "the kernel dropped [1-9][0-9]* knock packets that ckqd could not take in time"
check "ckqd survives" alive

# A users file that only root may read: the reload refuses that user and says why.
chown root:root "$ETC/users/alice.conf"
log_mark
kill -HUP "$CKQD_PID" 2>/dev/null || true
assert_log "alice\.conf: owned by uid 0, not readable by uid $NOBODY_UID, which ckqd runs as: it must be root's and readable by ckqd's group"
check "ckqd survives the failed reload" alive
chown "root:$NOBODY_GID" "$ETC/users/alice.conf"
log_mark
kill -HUP "$CKQD_PID" 2>/dev/null || true
assert_log "reloaded 1 user from "

log_mark
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM (not killed by its filter)"
assert_log "exiting: [0-9]+ packets, 1 granted, 0 closed, [1-9][0-9]* refused, [1-9][0-9]* junk"
check "it removed its pid file from its user's directory" test ! -e "$PID_FILE"

# --- user = root: uid 0, but no capability beyond CAP_NET_ADMIN -------------

# The users files follow the user, as they would after a --replace of each.
set_conf root
chown -R root:root "$ETC/users"
rc=0
"$CKQD" -t -c "$ETC" >"$TMP/t.out" 2>&1 || rc=$?
is "$rc" 0 "ckqd -t accepts user = root"
check "and says it keeps uid 0 with only CAP_NET_ADMIN" \
	grep -Fqx "ckqd runs as user root (uid 0, gid 0) with only CAP_NET_ADMIN" "$TMP/t.out"
start_ckqd
is "$(status Uid)" "0 0 0 0" "user = root keeps uid 0"
is "$(status CapEff)" "$CAPS" "but only CAP_NET_ADMIN is effective"
is "$(status CapPrm)" "$CAPS" "and permitted"
is "$(status CapBnd)" "$CAPS" "and left in the bounding set"
is "$(status NoNewPrivs) $(status Seccomp)" "1 2" "with no_new_privs and the seccomp filter"
stop_ckqd
is "$CKQD_RC" 0 "ckqd as root exits 0 on SIGTERM"

# --- a user that does not exist -----------------------------------------------

set_conf "ckq-nouser-$$"
rc=0
"$CKQD" -t -c "$ETC" >"$TMP/t.out" 2>&1 || rc=$?
check "ckqd -t fails for a user that does not exist" test "$rc" != 0
check "and says how to create it" \
	grep -Fq "user 'ckq-nouser-$$' does not exist: create it with 'adduser --system --no-create-home ckq-nouser-$$', or set user = root" \
	"$TMP/t.out"
log_mark
rc=0
in_sv timeout 10 "$CKQD" -f -c "$ETC" 2>>"$LOG" || rc=$?
check "ckqd refuses to start without its user" test "$rc" != 0 -a "$rc" != 124
check_fails "before it binds the queue" log_since_mark_has 'ready: '

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
log_mark
bg_start ip netns exec "$NS_SV" setpriv --bounding-set "-all,$bounding" --inh-caps=-all \
	--no-new-privs "$CKQD" -f -c "$ETC" 2>>"$LOG"
CKQD_PID=$BG_PID
if wait_until "$CKQD_READY_TIMEOUT" log_since_mark_has 'ready: '; then
	ok "ckqd starts within the unit's bounding set ($bounding) and no_new_privs"
	is "$(status Uid) $(status CapEff) $(status CapBnd)" \
		"$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID $CAPS $CAPS" "and drops to nobody with the two capabilities"
	stop_ckqd
	is "$CKQD_RC" 0 "and exits 0 on SIGTERM"
else
	not_ok "ckqd starts within the unit's bounding set ($bounding) and no_new_privs"
	tail -n +"$((LOG_MARK + 1))" "$LOG" | tail -n 5 | sed 's/^/#   /'
	stop_ckqd
fi

done_testing
