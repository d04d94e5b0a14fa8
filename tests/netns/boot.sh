#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# After a reboot: in a fresh server namespace (no sets, no rules), run what
# contrib/ckq-firewall.service runs at boot, its ExecStart= lines as they
# are written, with the installed paths mapped to this tree and
# /etc/ckq/firewall to a file here; then start ckqd: tcp/22 is closed, a
# knock opens it. Without a configuration the unit fails, saying why, and
# ckqd.service requires it. systemd-analyze verify accepts every unit of
# contrib/ (copies whose /usr/local paths point into the build, since the
# programs are not installed). Prints TAP. Needs root; bails out (fails)
# when it cannot run.
#
# Environment: CKQ_BUILDDIR, CKQ_SRCDIR (see lib.sh).
set -eu

# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/lib_net.sh
. "$(dirname "$0")/lib_net.sh"

UNIT=$srcdir/contrib/ckq-firewall.service
require_net systemd-analyze
[ -r "$UNIT" ] || bail "$UNIT missing"

netns_tmp
netns_add "$NS_SW" "$NS_SV" "$NS_CL"
netns_bridge sv:"$NS_SV":"$SV_IP" cl:"$NS_CL":"$CL_IP"
server_init
enrol alice
service_start

# inst PATH: where this tree has what the unit names under /usr/local.
inst() {
	case $1 in
	/usr/local/sbin/ckq-firewall) echo "$srcdir/contrib/ckq-firewall" ;;
	/usr/local/sbin/*) echo "$builddir/${1##*/}" ;;
	*) echo "$1" ;;
	esac
}

# --- the unit ---
grep -E '^ExecStart(Pre|Post)?=' "$UNIT" >"$TMP/exec" || true
n=$(wc -l <"$TMP/exec")
check "ckq-firewall.service has ExecStart= lines ($n)" test "$n" -gt 0
check "it is ordered before network-pre.target and wants it" \
	sh -c "grep -qx 'Before=network-pre.target.*' '$UNIT' && grep -q '^Wants=network-pre.target' '$UNIT'"
check "it has no DefaultDependencies (it runs before basic.target)" grep -qx 'DefaultDependencies=no' "$UNIT"
check "ckqd.service requires it" grep -qx 'Requires=ckq-firewall.service' "$srcdir/contrib/ckqd.service"
check "and is ordered after it" grep -Eqx 'After=(.* )?ckq-firewall.service( .*)?' "$srcdir/contrib/ckqd.service"

# boot: each ExecStart line, its program mapped to this tree, in the server
# namespace with CKQ_FIREWALL_CONF standing for /etc/ckq/firewall.
boot() {
	local line prog rc=0
	while IFS= read -r line; do
		line=${line#*=}
		line=${line#-}
		read -r -a argv <<<"$line"
		prog=$(inst "${argv[0]}")
		in_sv env CKQ_FIREWALL_CONF="$TMP/firewall" "$prog" "${argv[@]:1}" || rc=$?
	done <"$TMP/exec"
	return "$rc"
}

check "before boot the fresh namespace has no ckq set" \
	sh -c "! ip netns exec $NS_SV ipset list -n | grep -q ckq"

# --- without /etc/ckq/firewall ---
run boot
check "without a configuration the unit fails" test "$RUN_RC" != 0
check "saying what to write" grep -q "no $TMP/firewall: write one with the layout" "$RUN_ERR"
check "and loads nothing" sh -c "! ip netns exec $NS_SV ipset list -n | grep -q ckq"

# --- with one ---
printf 'layout = chain\nrules = %s\n' "$srcdir/rules" >"$TMP/firewall"
run boot
is "$RUN_RC" 0 "with 'layout = chain' what the unit runs exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "the grant set exists" in_sv ipset list -n ckq-tcp-22
check "INPUT jumps to ckq-INPUT first" \
	sh -c "ip netns exec $NS_SV iptables -S INPUT | sed -n 2p | grep -qx -- '-A INPUT -j ckq-INPUT'"
check "and for IPv6" \
	sh -c "ip netns exec $NS_SV ip6tables -S INPUT | sed -n 2p | grep -qx -- '-A INPUT -j ckq-INPUT'"
start_ckqd
check "the client cannot connect to tcp/22" cannot_connect "$NS_CL"
knock open alice
is "$RUN_RC" 0 "ckq open exits 0"
[ "$RUN_RC" = 0 ] || run_diag
check "after the knock the client connects" can_connect "$NS_CL"
stop_ckqd
is "$CKQD_RC" 0 "ckqd exits 0 on SIGTERM"
run boot
is "$RUN_RC" 0 "running the unit again (systemctl restart) exits 0"
is "$(in_sv iptables -S INPUT | grep -c ckq-INPUT)" 1 "and leaves one jump"

# --- systemd-analyze verify ---
mkdir -p "$TMP/units"
for u in "$srcdir"/contrib/*.service; do
	b=${u##*/}
	: >"$TMP/units/$b"
	while IFS= read -r line; do
		case $line in
		Exec*=/usr/local/sbin/*)
			key=${line%%=*}
			rest=${line#*=}
			prog=${rest%% *}
			args=${rest#"$prog"}
			line="$key=$(inst "$prog")$args"
			;;
		esac
		printf '%s\n' "$line" >>"$TMP/units/$b"
	done <"$u"
	check "$b names only programs this tree has, under /usr/local/sbin" \
		sh -c "! grep -E '^Exec[A-Za-z]*=' '$TMP/units/$b' | grep -q /usr/local"
done
run systemd-analyze verify "$TMP"/units/*.service
is "$RUN_RC" 0 "systemd-analyze verify accepts every unit of contrib/"
[ "$RUN_RC" = 0 ] || run_diag
check "and says nothing about them" sh -c "! grep -F '$TMP/units' '$RUN_ERR'"
done_testing
