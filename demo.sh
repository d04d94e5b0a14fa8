#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckq in one screen: a server and alice's laptop in network namespaces of
# this machine, the server's tcp/22 closed by rules/ckq.rules until alice
# knocks with ckq open and the code of her authenticator. Run as root from
# the top of a built tree:
#
#   sudo bash demo.sh
#
# It builds nothing: ckqd, ckq and ckq-admin come from CKQ_BUILDDIR (default
# the current directory). Everything it makes (namespaces, processes, files)
# goes away when it exits; it exits non-zero when a step does not behave.
set -eu

CKQ_BUILDDIR=${CKQ_BUILDDIR:-.}
export CKQ_BUILDDIR
# shellcheck source=tests/netns/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/tests/netns/lib.sh"
SRV_NAME=office

if [ -t 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
else
	bold='' plain=''
fi

say() {
	printf '\n%s%s%s\n' "$bold" "$*" "$plain"
}

show() {	# PROMPT cmd...: prints the command line as typed, then runs it
	local prompt=$1
	shift
	printf '  %s$ %s\n' "$prompt" "$*"
}

indent() {
	sed 's/^/    /'
}

fail() {
	printf '\nDEMO FAILED: %s\n' "$*"
	exit 1
}

require
netns_setup
printf 'ckq demo: a server (%s), alice'\''s laptop (%s) and another host (%s)\n' \
	"$SV_IP" "$CL_IP" "$OT_IP"
printf 'in network namespaces %s, %s and %s, on one bridge.\n' "$NS_SV" "$NS_CL" "$NS_OT"

say "1. The server loads rules/ckq.ipset and rules/ckq.rules unchanged:"
echo "   INPUT drops everything, knocks on udp/$KNOCK_PORT go to ckqd's queue,"
echo "   and tcp/22 accepts new connections only from addresses in ipset $SET."
in_sv iptables -S INPUT | grep -E -- '-P INPUT|NFQUEUE|match-set' | indent

say "2. The admin creates the server's key pair."
show admin ckq-admin init --bits 2048
server_init
sed -n 's/^ *fingerprint: /    server key /p' "$TMP/init.out"

say "3. Alice creates her key pair and stores the server; the admin registers her."
show alice ckq keygen alice
show alice ckq add-server "$SRV_NAME" "$SV_IP" --key server.pub --user alice
client_new alice
show admin ckq-admin add-user alice --key alice.pub --ports tcp/22
user_add alice >"$TMP/add-user.out" 2>&1 || { cat "$TMP/add-user.out"; fail "add-user failed"; }
grep -E '^registered|^otpauth' "$TMP/add-user.out" | indent
echo "    (alice scans that into her authenticator app; here oathtool plays the app)"

say "4. ckqd starts on the server, and a TCP service listens on port 22."
service_start
start_ckqd
echo "    ckqd pid $CKQD_PID; $(grep 'ready:' "$LOG" | tail -n 1 | sed 's/^ckqd: [a-z]*: //')"

say "5. Alice tries to connect to $SV_IP port 22 before knocking."
show alice nc -z -w 2 "$SV_IP" 22
if can_connect "$NS_CL"; then
	fail "alice could connect before knocking"
fi
echo "    no answer: the port is closed (the SYN is dropped)"

say "6. Alice knocks with the code her authenticator shows."
code=$(otp_next alice)
show alice ckq open "$SRV_NAME" 22 --otp "$code"
run in_cl "$CKQ" open "$SRV_NAME" 22 -d "$TMP/client/alice" --otp "$code"
cat "$RUN_OUT" "$RUN_ERR" | indent
[ "$RUN_RC" = 0 ] || fail "ckq open exited $RUN_RC"
grep -Eqx "granted tcp/22 to $CL_IP until [0-9:]{8}" "$RUN_OUT" || fail "no 'granted' line"
echo "    the server's view:"
in_sv ipset list "$SET" | sed -n '/^Members:/,$p' | indent

say "7. Alice connects to $SV_IP port 22; the service greets her."
line=$(service_line "$NS_CL") || fail "alice cannot connect after her knock"
echo "    $line"
if can_connect "$NS_OT"; then
	fail "the other host could connect: the grant is not just for alice's address"
fi
echo "    (the other host, $OT_IP, still cannot connect: the grant is for $CL_IP only)"

say "8. Alice closes the port when she is done."
code=$(otp_next alice)
show alice ckq close "$SRV_NAME" 22 --otp "$code"
run in_cl "$CKQ" close "$SRV_NAME" 22 -d "$TMP/client/alice" --otp "$code"
cat "$RUN_OUT" "$RUN_ERR" | indent
[ "$RUN_RC" = 0 ] || fail "ckq close exited $RUN_RC"

say "9. Alice tries to connect again."
show alice nc -z -w 2 "$SV_IP" 22
if can_connect "$NS_CL"; then
	fail "alice could still connect after ckq close"
fi
echo "    no answer: closed again"

stop_ckqd
say "ckqd's log:"
indent <"$LOG"
[ "$CKQD_RC" = 0 ] || fail "ckqd exited $CKQD_RC"
say "Every step behaved. Cleaning up the namespaces."
