#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two users behind one address (alice and bob, both in the client's
# namespace) knock for the same port. An open never shortens the other's
# grant, and a close ends only the closer's: the kernel's entry stays, with
# the other's time and name, while the other still holds it. Both ways
# round, then a close by the last holder removes it, and a revocation ends
# only the revoked user's grant. Prints TAP. Needs root; bails out (fails)
# when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR, CKQD_WRAPPER (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"

require oathtool
netns_setup
server_init
echo "max_grant = 2h" >>"$ETC/ckqd.conf"
enrol alice
enrol bob
start_ckqd

# entry_timeout: the seconds left of the client's entry (empty if none).
entry_timeout() {
	ipset_entry "$CL_IP" | sed -nE 's/.* timeout ([0-9]+).*/\1/p'
}

entry_comment() {
	ipset_entry "$CL_IP" | sed -nE 's/.* comment "([^"]*)".*/\1/p'
}

# long_short LONG SHORT: LONG opens for an hour, SHORT for 5 s then closes;
# LONG's grant survives both.
long_short() {
	local long=$1 short=$2 t
	knock open "$long" --duration 1h
	is "$RUN_RC" 0 "$long opens for an hour"
	[ "$RUN_RC" = 0 ] || run_diag
	knock open "$short" --duration 5s
	is "$RUN_RC" 0 "$short, from the same address, opens for 5 s"
	[ "$RUN_RC" = 0 ] || run_diag
	t=$(entry_timeout)
	check "... the entry keeps $long's hour (timeout ${t:-none})" test "${t:-0}" -gt 3000
	is "$(entry_comment)" "$long" "... and $long's name"
	knock close "$short"
	is "$RUN_RC" 0 "$short closes"
	[ "$RUN_RC" = 0 ] || run_diag
	t=$(entry_timeout)
	check "... $long's grant survives $short's close (timeout ${t:-none})" test "${t:-0}" -gt 3000
	is "$(entry_comment)" "$long" "... still in $long's name"
	knock close "$long"
	is "$RUN_RC" 0 "$long closes"
	check "... and with nobody else holding it, the entry is gone" not_in_set "$CL_IP"
}

long_short alice bob
long_short bob alice

# A longer open by the other takes over, and its close gives the time back.
knock open alice --duration 10m
is "$RUN_RC" 0 "alice opens for 10 minutes"
knock open bob --duration 1h
is "$RUN_RC" 0 "bob opens for an hour"
t=$(entry_timeout)
check "... the entry now runs for bob's hour (timeout ${t:-none})" test "${t:-0}" -gt 3000
is "$(entry_comment)" bob "... in bob's name"
knock close bob
is "$RUN_RC" 0 "bob closes"
t=$(entry_timeout)
check "... the entry goes back to alice's 10 minutes (timeout ${t:-none})" \
	test "${t:-0}" -gt 500 -a "${t:-9999}" -le 600
is "$(entry_comment)" alice "... in alice's name"

# A revocation ends only the revoked user's grant.
knock open bob --duration 1h
is "$RUN_RC" 0 "bob opens for an hour again"
log_mark
in_sv "$CKQ_ADMIN" -c "$ETC" revoke bob >/dev/null 2>&1 || true
assert_log "reloaded 2 users"
t=$(entry_timeout)
check "after bob is revoked, alice's grant holds the entry (timeout ${t:-none})" \
	test "${t:-0}" -gt 400 -a "${t:-9999}" -le 600
is "$(entry_comment)" alice "... in alice's name"

stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0"
done_testing
