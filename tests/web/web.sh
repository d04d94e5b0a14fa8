#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ckq-admin web end to end, in a real browser: the namespaces of
# tests/netns/lib.sh with ckqd in the server's, ckq-admin web there too on
# 127.0.0.1, and headless Chromium driven by Playwright (web.test.js) also
# run inside the server's namespace, whose loopback is not the host's: one
# namespace holds the browser, the page, ckqd, the ipsets and the
# configuration directory, as on a server reached through an SSH tunnel.
# The client namespace knocks with the secret the page showed. Prints TAP.
# Needs root, chromium, node and npm; bails out (fails) when it cannot run,
# never skips. playwright-core comes from package-lock.json through 'npm ci'
# (the npm cache first).
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see tests/netns/lib.sh);
# CKQ_SCREENSHOTS=1 writes doc/screenshots/{users,register,qr,activity}.png
# into CKQ_SRCDIR.
#
# web.sh hook CMD...: what web.test.js calls back to act from the client
# namespace (knock, in_set, not_in_set, cannot_connect), with the names of
# the running test passed in CKQ_WEB_* variables.
set -eu

web_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/netns/lib.sh
. "$web_dir/../netns/lib.sh"

WEB_PORT=18080

if [ "${1:-}" = hook ]; then
	TMP=$CKQ_WEB_TMP
	ETC=$CKQ_WEB_ETC
	NS_SV=$CKQ_WEB_NS_SV
	NS_CL=$CKQ_WEB_NS_CL
	case ${2:-} in
	knock)
		shift 2
		knock "$@"
		cat "$RUN_OUT" "$RUN_ERR"
		exit "$RUN_RC"
		;;
	in_set) in_set "$3" ;;
	not_in_set) not_in_set "$3" ;;
	cannot_connect) cannot_connect "$NS_CL" ;;
	*) echo "web.sh hook: unknown command '${2:-}'" >&2; exit 2 ;;
	esac
	exit
fi

require
for tool in chromium node npm ssh-keygen; do
	command -v "$tool" >/dev/null 2>&1 ||
		bail "$tool not found (Debian: apt-get install chromium nodejs npm openssh-client)"
done
[ -x /usr/bin/chromium ] || bail "/usr/bin/chromium not found (Debian: apt-get install chromium)"
for f in web.test.js package.json package-lock.json; do
	[ -r "$web_dir/$f" ] || bail "$web_dir/$f missing"
done

netns_setup
server_init
echo "stats_file = $TMP/run/stats.prom" >>"$ETC/ckqd.conf"
client_new carol
client_new dave
service_start
start_ckqd

# ckqd's stderr, lines stamped as a journal export would be: what --log reads.
JOURNAL=$TMP/journal.log
: >"$JOURNAL"
bg_start python3 -c '
import sys, time
src, dst = sys.argv[1], sys.argv[2]
end = time.time() + 900
buf = b""
with open(src, "rb") as f, open(dst, "ab", buffering=0) as out:
    while time.time() < end:
        chunk = f.read()
        if not chunk:
            time.sleep(0.05)
            continue
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for l in lines:
            out.write(time.strftime("%Y-%m-%dT%H:%M:%S%z").encode() + b" sv " + l + b"\n")
' "$LOG" "$JOURNAL"

# --- the address it listens on -------------------------------------------------
run in_sv "$CKQ_ADMIN" -c "$ETC" web --listen "$SV_IP:$WEB_PORT"
is "$RUN_RC" 2 "ckq-admin web refuses a non-loopback address (exit 2)"
check "and says why" grep -q "is not a loopback address" "$RUN_ERR"
bg_start ip netns exec "$NS_SV" "$CKQ_ADMIN" -c "$ETC" web --listen "$SV_IP:$WEB_PORT" \
	--i-know-its-exposed >"$TMP/exposed.out" 2>&1
check "--i-know-its-exposed lets it listen there, with a warning" \
	wait_until 5 grep -q "warning: serving plain HTTP on $SV_IP" "$TMP/exposed.out"
check "it listens on $SV_IP:$WEB_PORT" \
	wait_until 5 bash -c "ip netns exec '$NS_SV' ss -Hltn 'sport = :$WEB_PORT' | grep -q '$SV_IP:$WEB_PORT'"
bg_stop "$BG_PID"
is "$BG_RC" 0 "it stops on SIGTERM with status 0"

# --- the page, and the browser beside it -----------------------------------------
WEB_OUT=$TMP/web.out
bg_start ip netns exec "$NS_SV" "$CKQ_ADMIN" -c "$ETC" web --listen "127.0.0.1:$WEB_PORT" \
	--log "$JOURNAL" >"$WEB_OUT" 2>&1
WEB_PID=$BG_PID
wait_until 10 grep -q '^Log in at ' "$WEB_OUT" || { cat "$WEB_OUT"; bail "ckq-admin web did not start"; }
login=$(sed -n 's/^Log in at //p' "$WEB_OUT" | head -n 1)
check "it prints a one-time login URL with a 256-bit token" \
	grep -Eqx "http://127\.0\.0\.1:$WEB_PORT/login\?token=[0-9a-f]{64}" <<<"$login"

mkdir -p "$TMP/node"
cp "$web_dir/web.test.js" "$web_dir/package.json" "$web_dir/package-lock.json" "$TMP/node/"
(cd "$TMP/node" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) \
	>"$TMP/npm.out" 2>&1 || { cat "$TMP/npm.out"; bail "npm ci failed in tests/web"; }

shots=
if [ "${CKQ_SCREENSHOTS:-}" = 1 ]; then
	shots=$srcdir/doc/screenshots
fi
export CKQ_WEB_BASE="http://127.0.0.1:$WEB_PORT" CKQ_WEB_URL="$login" CKQ_WEB_TMP="$TMP" \
	CKQ_WEB_ETC="$ETC" CKQ_WEB_SH="$web_dir/web.sh" CKQ_WEB_CLIENT_IP="$CL_IP" \
	CKQ_WEB_OUT="$WEB_OUT" CKQ_WEB_PID="$WEB_PID" CKQ_WEB_LOG="$LOG" \
	CKQ_WEB_JOURNAL="$JOURNAL" CKQ_WEB_STATS="$TMP/run/stats.prom" CKQ_WEB_SHOTS="$shots" \
	CKQ_WEB_NS_SV="$NS_SV" CKQ_WEB_NS_CL="$NS_CL" CKQ_BUILDDIR="$builddir" CKQ_SRCDIR="$srcdir"
node_rc=
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	"node exit "*) node_rc=${line#node exit } ;;
	"#"*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done < <(ip netns exec "$NS_SV" timeout 300 node "$TMP/node/web.test.js" 2>&1; echo "node exit $?")
is "$node_rc" 0 "the browser test ran to its end and passed"

# --- what the page did, seen from the command line and the files --------------------
run in_sv "$CKQ_ADMIN" -c "$ETC" list
check "ckq-admin list shows carol revoked, as the page left her" grep -Eq "^carol .* revoked$" "$RUN_OUT"
check "and dave, registered by upload" grep -Eq "^dave .* closed$" "$RUN_OUT"
erin_fp=$(ssh-keygen -lf "$TMP/ssh-web/erin.pub" 2>/dev/null | awk '{ print $2 }' | sed 's/[+.]/\\&/g')
check "and erin, with her key type and fingerprint" \
	grep -Eq "^erin +tcp/22 +ssh-ed25519 +${erin_fp:-none} +closed$" "$RUN_OUT"
secret=$(totp_secret carol 2>/dev/null || true)
[ -n "$secret" ] || secret=no-secret
check_fails "ckq-admin web's output never holds the TOTP secret" grep -q "$secret" "$WEB_OUT"
check "it logged the changes it made" \
	grep -q "^web: registered carol" "$WEB_OUT"
check "the users files are root's, in ckqd's user's group, as add-user leaves them" \
	test "$(stat -c %U:%G:%a "$ETC/users/carol.conf")" = "root:$(id -gn nobody):640"
bg_stop "$WEB_PID"
is "$BG_RC" 0 "ckq-admin web stops on SIGTERM with status 0"
check "saying so" grep -q "^ckq-admin web: stopped" "$WEB_OUT"

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
done_testing
