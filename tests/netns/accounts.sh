#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Account settings of ckq-admin add-user, end to end: --allow-from lets a
# user knock only from the listed networks (source_not_allowed otherwise,
# without using up the code), --expires ends an account after that UTC day
# (expired), and add-user --replace changes them in a running ckqd through
# SIGHUP, with a new TOTP secret. A refused knock gets no answer and opens
# nothing. Prints TAP. Needs root; bails out (fails) when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_net.sh
. "$(dirname "$0")/lib_net.sh"

require
netns_setup

# "Today" must stay today until the last knock that relies on it: not in the
# last 20 s before midnight UTC.
left=$((86400 - $(date -u +%s) % 86400))
if [ "$left" -lt 20 ]; then
	diag "waiting ${left}s for midnight UTC"
	sleep $((left + 1))
fi
today=$(date -u +%F)
yesterday=$(date -u -d yesterday +%F)

server_init
enrol_with host32 --allow-from "$CL_IP/32"
enrol_with net24 --allow-from "$NET.0/24"
enrol_with elsewhere --allow-from 192.0.2.0/24,198.51.100.0/24
enrol_with listed --allow-from "192.0.2.0/24,$CL_IP/32"
enrol_with old --expires "$yesterday"
enrol_with current --expires "$today"
enrol_with frank --allow-from 192.0.2.0/24
client_new gus
service_start
start_ckqd

# refused_from NS NAME CODE REASON SRC: a knock by NAME from NS that the
# server refuses for REASON, seen from SRC: exit 1, the log line, no grant,
# no answer on the wire.
refused_from() {
	local ns=$1 name=$2 code=$3 reason=$4 src=$5
	log_mark
	capture_start att "$ns" udp
	refused_knock "$ns" srv "$name" "$code"
	capture_stop att
	is "$RUN_RC" 1 "$name from $src: ckq open exits 1"
	[ "$RUN_RC" = 1 ] || run_diag
	assert_log "knock refused reason=$reason user=$name src=$src$"
	check "$name from $src: no grant" not_in_set "$src"
	check "$name from $src: the server sent nothing back" server_silent att "$src"
}

# granted_to NAME: the last knock by NAME from the client was granted.
granted_to() {
	is "$RUN_RC" 0 "$1: ckq open exits 0"
	[ "$RUN_RC" = 0 ] || run_diag
	check "$1: it prints the grant for $CL_IP" granted_line "$RUN_OUT" "$CL_IP"
	check "$1: ipset holds the client's address for $1" \
		grep -q "comment \"$1\"" <<<"$(ipset_entry "$CL_IP" || true)"
	check "$1: the client can connect" can_connect "$NS_CL"
}

# closed_by_admin NAME: ckq-admin close NAME, and the port is shut again.
closed_by_admin() {
	run in_sv "$CKQ_ADMIN" -c "$ETC" close "$1"
	check "ckq-admin close $1 shuts the port" cannot_connect "$NS_CL"
}

# --- what ckq-admin wrote ---
check "host32's record says allow_from = $CL_IP/32" \
	grep -Fqx "allow_from = $CL_IP/32" "$ETC/users/host32.conf"
check "current's record says expires = $today" \
	grep -Fqx "expires = $today" "$ETC/users/current.conf"
run in_sv "$CKQ_ADMIN" -c "$ETC" add-user gus --key "$TMP/client/gus/keys/gus.pub" \
	--ports tcp/22 --no-qr --allow-from 10.0.0.0/33
is "$RUN_RC" 2 "add-user --allow-from 10.0.0.0/33 is bad input (exit 2)"
run in_sv "$CKQ_ADMIN" -c "$ETC" add-user gus --key "$TMP/client/gus/keys/gus.pub" \
	--ports tcp/22 --no-qr --expires 2027-13-01
is "$RUN_RC" 2 "add-user --expires 2027-13-01 is bad input (exit 2)"
check "neither created gus" test ! -e "$ETC/users/gus.conf"
check "the client cannot connect before any knock" cannot_connect "$NS_CL"

# --- --allow-from ---
# From the other host first: refused before the code is checked, so the
# same code still works from the allowed address.
code=$(otp_next host32)
refused_from "$NS_OT" host32 "$code" source_not_allowed "$OT_IP"
run in_cl "$CKQ" open srv 22 -d "$TMP/client/host32" --otp "$code"
granted_to host32
check "host32's grant is not for the other host" not_in_set "$OT_IP"
check "the other host cannot connect" cannot_connect "$NS_OT"
closed_by_admin host32

knock open net24
granted_to net24
closed_by_admin net24

knock open listed
granted_to listed
closed_by_admin listed

refused_from "$NS_CL" elsewhere "$(otp_next elsewhere)" source_not_allowed "$CL_IP"
check "elsewhere: the client cannot connect" cannot_connect "$NS_CL"

# --- --expires ---
refused_from "$NS_CL" old "$(otp_next old)" expired "$CL_IP"
check "old: the client cannot connect" cannot_connect "$NS_CL"
knock open current
granted_to current
closed_by_admin current

# --- add-user --replace changes a running ckqd's view ---
refused_from "$NS_CL" frank "$(totp frank)" source_not_allowed "$CL_IP"
log_mark
run reload_user frank --allow-from "$NET.0/24"
is "$RUN_RC" 0 "add-user --replace frank --allow-from $NET.0/24, and ckqd reloads"
check "ckq-admin says ckqd reloaded" grep -Fqx "ckqd reloaded its users" "$TMP/add-user.out"
knock open frank
granted_to frank
closed_by_admin frank

run reload_user frank --expires "$yesterday"
is "$RUN_RC" 0 "add-user --replace frank --expires $yesterday, and ckqd reloads"
check "frank's record lost allow_from" sh -c "! grep -q '^allow_from' '$ETC/users/frank.conf'"
refused_from "$NS_CL" frank "$(totp frank)" expired "$CL_IP"

cp "$TMP/otp/frank.secret" "$TMP/otp/frank-old.secret"
run reload_user frank
is "$RUN_RC" 0 "add-user --replace frank without options, and ckqd reloads"
check "frank's record has no expiry any more" sh -c "! grep -q '^expires' '$ETC/users/frank.conf'"
check "frank has a new TOTP secret" \
	sh -c "! cmp -s '$TMP/otp/frank.secret' '$TMP/otp/frank-old.secret'"
refused_from "$NS_CL" frank "$(oathtool --totp -b "$(cat "$TMP/otp/frank-old.secret")")" \
	bad_otp "$CL_IP"
knock open frank
granted_to frank
closed_by_admin frank

check "ckqd is still running" kill -0 "$CKQD_PID"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
