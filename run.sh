#!/bin/bash
# One entry point for a fresh Debian 12 machine, run as root:
#   bash run.sh demo   install, build, and knock a port open in network namespaces
#   bash run.sh test   install, build with -Werror, and run the whole test suite
# CI (.ci/run) calls 'bash run.sh test'.
set -u
cd "$(dirname "$(readlink -f "$0")")"
top=$PWD

die() { echo "run.sh: $*" >&2; exit 1; }

install_deps() {
	[ "$(id -u)" = 0 ] || die "run me as root: the build needs apt-get, the tests need network namespaces"
	export DEBIAN_FRONTEND=noninteractive
	# Build: compiler, autotools, the libraries. Tests: the firewall tools
	# (nftables too: loss.sh drops packets with nft where the kernel has no
	# sch_netem, and nftables is Debian's default firewall), mandoc for
	# the man pages' lint, oathtool as an independent TOTP, faketime for clock skew, tcpdump,
	# netcat and python3 for the namespace hosts, clang for libFuzzer,
	# systemd for 'systemd-analyze security' on contrib/ckqd.service,
	# valgrind for the daemon's path.
	apt-get update -qq || die "apt-get update failed"
	# Packages such as fail2ban and openssh-server are wanted for their
	# programs, not as services of this machine: keep them from starting.
	local policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		policy=/usr/sbin/policy-rc.d
	fi
	apt-get install -y -qq --no-install-recommends \
		build-essential autoconf automake libtool pkg-config debhelper dpkg-dev lintian \
		libnetfilter-queue-dev libnfnetlink-dev libmnl-dev libssl-dev \
		libipset-dev libnftnl-dev libqrencode-dev libseccomp-dev libcap-dev libmicrohttpd-dev \
		iproute2 iptables ipset nftables mandoc kmod oathtool faketime tcpdump fail2ban groff-base \
		netcat-openbsd python3 clang libclang-rt-14-dev systemd valgrind openssh-server openssh-client \
		chromium fwknop-server fwknop-client hyperfine >/dev/null
	local rc=$?
	[ -z "$policy" ] || rm -f "$policy"
	[ "$rc" = 0 ] || die "apt-get install failed"
	# The browser test drives Chromium with playwright-core (Node.js >= 20).
	# A machine may already have Node from elsewhere, whose nodejs package
	# conflicts with Debian's npm: install them only when missing.
	command -v npm >/dev/null ||
		apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null ||
		die "apt-get install nodejs npm failed"
	# iptables-nft is Debian's default; the kernel modules load on demand.
	modprobe -q nfnetlink_queue 2>/dev/null || true
	modprobe -q ip_set 2>/dev/null || true
}

build() {
	local dir=$1; shift
	[ -x configure ] || ./autogen.sh >/dev/null 2>&1 || die "autogen.sh failed"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$(nproc)") ||
		die "build in $dir failed"
}

case "${1:-}" in
demo)
	install_deps
	build build --enable-werror
	CKQ_BUILDDIR=$top/build exec bash "$top/demo.sh"
	;;
test)
	install_deps
	exec bash "$top/tests/run-suite.sh"
	;;
*)
	echo "usage: bash run.sh demo|test" >&2
	exit 2
	;;
esac
