#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the Debian packages from a copy of the source tree and checks them:
#   bash tests/pkg.sh
# The copy holds what git tracks plus untracked files not ignored, so the
# packaging is tested as it would be committed. 'dpkg-buildpackage -us -uc -b'
# runs there (at most CKQ_PKG_TIMEOUT seconds, default 1200); then both .deb
# files are listed, their control data read, each is extracted into its own
# empty tree and its programs run from there against the system's libraries,
# the maintainer scripts run against stand-ins for adduser and systemd, and
# lintian reads them. TAP on stdout; exits 1 on any failure. CKQ_PKG_KEEP=1
# keeps the work directory.
set -u
cd "$(dirname "$(readlink -f "$0")")/.."
top=$PWD

n=0
failures=0
ok() {
	local cond=$1; shift
	n=$((n + 1))
	if [ "$cond" = 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		failures=$((failures + 1))
	fi
}
check() {
	local name=$1; shift
	"$@"
	ok $? "$name"
}
bail() {
	echo "Bail out! $*"
	exit 1
}
diag() {
	sed 's/^/# /'
}

for tool in dpkg-buildpackage dpkg-deb dpkg-parsechangelog dh dh_autoreconf git timeout; do
	command -v "$tool" >/dev/null ||
		bail "$tool not found: apt-get install debhelper dpkg-dev git coreutils"
done
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || bail "$top is not a git checkout"

work=$(mktemp -d /tmp/ckq-pkg.XXXXXX) || bail "mktemp failed"
if [ "${CKQ_PKG_KEEP:-0}" = 1 ]; then
	echo "# work directory: $work"
else
	trap 'rm -rf "$work"' EXIT
fi
src=$work/ckq

mkdir "$src"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar -cf - --null -T - | tar -xf - -C "$src" ||
	bail "copying the source tree failed"
[ -x "$src/debian/rules" ] || bail "no executable debian/rules in the copy"

full=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${full%-*}
arch=$(dpkg --print-architecture)
server_deb=$work/ckq-server_${full}_$arch.deb
client_deb=$work/ckq-client_${full}_$arch.deb

echo "# dpkg-buildpackage -us -uc -b in $src"
start=$(date +%s)
(cd "$src" && timeout "${CKQ_PKG_TIMEOUT:-1200}" dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1
rc=$?
echo "# build took $(($(date +%s) - start)) s, exit $rc"
[ $rc = 0 ] || tail -40 "$work/build.log" | diag
ok $rc "dpkg-buildpackage -us -uc -b succeeds"
check "ckq-server_${full}_$arch.deb was built" test -f "$server_deb"
check "ckq-client_${full}_$arch.deb was built" test -f "$client_deb"
[ -f "$server_deb" ] && [ -f "$client_deb" ] || {
	echo "1..$n"
	exit 1
}

# Contents: paths as dpkg -c prints them, without the leading "./".
dpkg -c "$server_deb" | awk '{ print $6 }' | sed 's|^\./||; s|/$||' >"$work/server.list"
dpkg -c "$client_deb" | awk '{ print $6 }' | sed 's|^\./||; s|/$||' >"$work/client.list"
has() { grep -qx -- "$2" "$work/$1.list"; }
lacks() { ! grep -q -- "$2" "$work/$1.list"; }

for p in usr/sbin/ckqd usr/sbin/ckq-admin \
	usr/share/ckq/rules/ckq.ipset usr/share/ckq/rules/ckq.rules \
	usr/share/ckq/rules/ckq6.rules usr/share/ckq/rules/ckq.nft usr/share/ckq/rules/README \
	usr/share/doc/ckq-server/copyright usr/share/doc/ckq-server/README.md; do
	check "ckq-server holds /$p" has server "$p"
done
unit=$(grep -E '^(usr/)?lib/systemd/system/ckqd\.service$' "$work/server.list")
check "ckq-server holds the systemd unit ckqd.service" test -n "$unit"
check "ckq-server holds nothing in /etc (ckq-admin init makes /etc/ckq)" lacks server '^etc'
check "ckq-server does not hold the client" lacks server '^usr/bin/ckq$'
for p in usr/bin/ckq usr/share/doc/ckq-client/copyright usr/share/doc/ckq-client/README.md; do
	check "ckq-client holds /$p" has client "$p"
done
check "ckq-client holds neither ckqd nor ckq-admin nor the rules" lacks client 'ckqd\|ckq-admin\|share/ckq/'
check "no package holds /usr/local" lacks server usr/local
check "no package holds /usr/local (client)" lacks client usr/local

# Man pages and completions: each one 'make install' made is in exactly one
# package, the client's (named ckq) in ckq-client, the others in ckq-server.
extras=$( (cd "$src/debian/tmp" 2>/dev/null &&
	find usr/share/man usr/share/bash-completion -type f 2>/dev/null) | sort)
if [ -z "$extras" ]; then
	echo "# make install made no man page and no bash completion"
fi
for f in $extras; do
	case ${f##*/} in
	ckq | ckq.*) want=client other=server ;;
	*) want=server other=client ;;
	esac
	gz=$f
	case $f in usr/share/man/*) gz=$f.gz ;; esac
	check "ckq-$want holds /$gz" has $want "$gz"
	check "ckq-$other does not hold /$gz" lacks $other "^$gz\$"
done

# A man page or completion in the source but not installed fails here, not
# in a user's 'man ckqd'.
for m in "$src"/doc/*.[1-9] "$src"/contrib/bash-completion/*; do
	[ -e "$m" ] || continue
	b=${m##*/}
	case $b in
	ckq | ckq.*) want=client ;;
	*) want=server ;;
	esac
	case $m in
	*/doc/*) check "ckq-$want holds the man page doc/$b" has $want "usr/share/man/man${b##*.}/$b.gz" ;;
	*) check "ckq-$want holds the completion contrib/bash-completion/$b" \
		has $want "usr/share/bash-completion/completions/$b" ;;
	esac
done

# Control data.
field() { dpkg-deb -f "$1" "$2"; }
dpkg-deb -I "$server_deb" | diag
dpkg-deb -I "$client_deb" | sed -n '/^ Package:/,/^ Description/p' | diag
check "server package is named ckq-server" test "$(field "$server_deb" Package)" = ckq-server
check "client package is named ckq-client" test "$(field "$client_deb" Package)" = ckq-client
check "both are version $full" test "$(field "$server_deb" Version) $(field "$client_deb" Version)" = "$full $full"
sdep=$(field "$server_deb" Depends)
cdep=$(field "$client_deb" Depends)
depends_on() { printf '%s\n' "$1" | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep -qx -- "$2"; }
for d in ipset iptables adduser libssl3 libnetfilter-queue1 libmnl0 libnftnl11 libqrencode4 libseccomp2 libcap2 libc6; do
	check "ckq-server depends on $d" depends_on "$sdep" $d
done
for d in libssl3 libc6; do
	check "ckq-client depends on $d" depends_on "$cdep" $d
done
check "ckq-client does not depend on ipset or iptables" \
	eval '! depends_on "$cdep" ipset && ! depends_on "$cdep" iptables'

# Each package alone in an empty tree; the programs run from there with the
# system's libraries only.
sroot=$work/root-server
croot=$work/root-client
mkdir "$sroot" "$croot"
check "dpkg -x ckq-server" dpkg -x "$server_deb" "$sroot"
check "dpkg -x ckq-client" dpkg -x "$client_deb" "$croot"
run() { env -u LD_LIBRARY_PATH -u LD_PRELOAD "$@" 2>&1; }
out=$(run "$croot/usr/bin/ckq" --version)
ok $? "ckq --version exits 0"
check "ckq --version prints 'ckq $upstream' (got '$out')" test "$out" = "ckq $upstream"
out=$(run "$sroot/usr/sbin/ckq-admin" --version)
ok $? "ckq-admin --version exits 0"
check "ckq-admin --version prints 'ckq-admin $upstream' (got '$out')" test "$out" = "ckq-admin $upstream"
out=$(run "$sroot/usr/sbin/ckqd" -V)
ok $? "ckqd -V exits 0"
check "ckqd -V prints 'ckqd $upstream' (got '$out')" test "$out" = "ckqd $upstream"
for b in "$croot/usr/bin/ckq" "$sroot/usr/sbin/ckq-admin" "$sroot/usr/sbin/ckqd"; do
	check "${b##*/} finds all its libraries" eval "! env -u LD_LIBRARY_PATH ldd '$b' | grep -q 'not found'"
	check "${b##*/} is stripped and has no RUNPATH" \
		eval "! readelf -d '$b' | grep -q 'RPATH\|RUNPATH' && ! readelf -S '$b' | grep -q '\.debug_info'"
done

svc=$sroot/$unit
exec_start=$(sed -n 's/^ExecStart=//p' "$svc" 2>/dev/null)
check "ckqd.service runs /usr/sbin/ckqd (ExecStart=$exec_start)" test "${exec_start%% *}" = /usr/sbin/ckqd
check "ckqd.service's ExecStart is in the package" test -x "$sroot${exec_start%% *}"
check "ckqd.service names nothing in /usr/local" eval "! grep -q /usr/local '$svc'"
check "ckqd.service keeps the hardening of contrib/ckqd.service" \
	eval "diff <(grep -v '^#\|^ExecStart=\|^Documentation=' '$top/contrib/ckqd.service') \
		<(grep -v '^#\|^ExecStart=\|^Documentation=' '$svc') >/dev/null"
fwsvc=$sroot/${unit%/*}/ckq-firewall.service
check "ckq-server holds ckq-firewall.service beside ckqd.service" test -f "$fwsvc"
exec_start=$(sed -n 's/^ExecStart=//p' "$fwsvc" 2>/dev/null)
check "ckq-firewall.service runs /usr/sbin/ckq-firewall load (ExecStart=$exec_start)" \
	test "$exec_start" = "/usr/sbin/ckq-firewall load"
check "ckq-firewall.service names nothing in /usr/local" eval "! grep -q /usr/local '$fwsvc'"
check "ckq-firewall finds the package's rules (files, layout chain)" \
	eval "printf 'layout = chain\\n' >'$work/firewall' && \
		CKQ_FIREWALL_CONF='$work/firewall' sh '$sroot/usr/sbin/ckq-firewall' files | \
		grep -qx '$sroot/usr/sbin/../share/ckq/rules/ckq-chain.rules\|$sroot/usr/share/ckq/rules/ckq-chain.rules'"

# The maintainer scripts against stand-ins that log their arguments: getent
# knows the ckqd user once adduser made it; deb-systemd-helper answers as on
# a first installation (no state: was-enabled is true); DPKG_ROOT keeps every
# path they touch inside $work.
ctrl=$work/control
mkdir "$ctrl"
dpkg-deb -e "$server_deb" "$ctrl"
stubs=$work/stubs
mkdir "$stubs"
log=$work/calls.log
for s in adduser deluser delgroup deb-systemd-helper deb-systemd-invoke systemctl getent; do
	cat >"$stubs/$s" <<EOF
#!/bin/sh
echo "$s \$*" >>"$log"
case "$s \$1 \$2" in
"adduser "*) touch "$work/user-exists" ;;
"deluser "*) rm -f "$work/user-exists" ;;
"getent passwd ckqd" | "getent group ckqd") [ -e "$work/user-exists" ] ;;
"getent "*) exit 2 ;;
"deb-systemd-helper debian-installed"*) exit 1 ;;
esac
EOF
	chmod +x "$stubs/$s"
done
droot=$work/dpkgroot
mkdir -p "$droot/etc/ckq/users" "$droot/var/lib/ckq"
maint() {
	: >"$log"
	env PATH="$stubs:/usr/sbin:/usr/bin:/sbin:/bin" DPKG_ROOT="$droot" sh -e "$ctrl/$1" "${@:2}" >/dev/null 2>&1
}
logged() { grep -q -- "$1" "$log"; }

maint postinst configure
ok $? "postinst configure (fresh install) exits 0"
check "postinst creates the system user ckqd with no home" \
	logged '^adduser .*--system --group --no-create-home --home /nonexistent .*ckqd$'
check "postinst neither enables nor starts ckqd.service" \
	eval "! logged '^deb-systemd-helper enable\|^deb-systemd-invoke\|^systemctl .*\(enable\|start\)'"
# Where systemd runs, the start would go through deb-systemd-invoke: this
# machine may have none, so read the script too.
check "postinst has no start of ckqd.service, only a try-restart on upgrade" \
	eval "! grep -q '_dh_action=start\|deb-systemd-invoke start\|deb-systemd-invoke restart' '$ctrl/postinst' &&
		grep -q 'deb-systemd-invoke try-restart .ckqd.service' '$ctrl/postinst'"
check "postinst makes nothing in /etc/ckq" test -z "$(find "$droot/etc/ckq" -type f)"
maint postinst configure "$full"
ok $? "postinst configure (upgrade) exits 0"
check "postinst leaves an existing ckqd user alone" eval "! logged '^adduser'"
maint postrm remove
ok $? "postrm remove exits 0"
check "postrm remove keeps the ckqd user" eval "! logged '^deluser\|^delgroup'"
check "postrm remove keeps /etc/ckq" test -d "$droot/etc/ckq/users"
maint postrm purge
ok $? "postrm purge exits 0"
check "postrm purge removes the ckqd user" logged '^deluser .*--system ckqd$'
check "postrm purge removes /etc/ckq and /var/lib/ckq" \
	eval "[ ! -e '$droot/etc/ckq' ] && [ ! -e '$droot/var/lib/ckq' ]"
# prerm touches no file: it runs without DPKG_ROOT, so that it acts as on a
# host (its stop is for systemd hosts only).
prerm() {
	: >"$log"
	env PATH="$stubs:/usr/sbin:/usr/bin:/sbin:/bin" sh -e "$ctrl/prerm" "$@" >/dev/null 2>&1
}
prerm upgrade "$full"
ok $? "prerm upgrade exits 0"
check "prerm upgrade does not stop ckqd (postinst try-restarts it)" eval "! logged '^deb-systemd-invoke stop'"
prerm remove
ok $? "prerm remove exits 0"
if [ -d /run/systemd/system ]; then
	check "prerm remove stops ckqd.service" logged '^deb-systemd-invoke stop ckqd.service$'
else
	check "prerm remove calls nothing where systemd is not running" test ! -s "$log"
fi
check "ckq-client has no maintainer scripts" \
	eval "! dpkg-deb -I '$client_deb' | grep -q 'postinst\|postrm\|preinst\|prerm'"

if command -v lintian >/dev/null; then
	lintian --fail-on error -I "$work"/ckq_"${full}"_"$arch".changes >"$work/lintian.out" 2>&1
	rc=$?
	grep -v 'running with root privileges' "$work/lintian.out" | diag
	ok $rc "lintian finds no error"
else
	n=$((n + 1))
	echo "ok $n - lintian finds no error # SKIP lintian is not installed (apt-get install lintian)"
fi

echo "1..$n"
[ $failures = 0 ] || {
	echo "# $failures of $n failed; the build log: $work/build.log" \
		"$([ "${CKQ_PKG_KEEP:-0}" = 1 ] || echo '(rerun with CKQ_PKG_KEEP=1 to keep it)')"
	exit 1
}
exit 0
