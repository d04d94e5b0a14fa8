# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the netns tests for the nftables path (grants = nft).
#
# nft_load_ckq NS [FILE]: loads rules/ckq.nft (or FILE) into namespace NS
# with nft -f. A kernel built without CONFIG_NFT_QUEUE (nft's "queue"
# statement) cannot load its knock rule; then, and only then, the knock is
# queued by iptables-nft's NFQUEUE target (nft_compat) in table ip/ip6
# mangle's INPUT (priority -150: before ckq's table and any filter) instead, and nft_queue_note says so, for the TAP line to show it.
# Everything else (the table, its sets and the drops) is rules/ckq.nft
# unchanged.
nft_queue_note=
nft_load_ckq() {
	local ns=$1 file=${2:-$srcdir/rules/ckq.nft} err
	err=$(ip netns exec "$ns" nft -f "$file" 2>&1) && return 0
	case $err in
	*"No such file or directory"*"queue num"* | *"Operation not supported"*"queue num"*) ;;
	*)
		printf '%s\n' "$err" >&2
		return 1
		;;
	esac
	# Only the one queue line goes.
	local port
	port=$(sed -n 's/^[[:space:]]*udp dport \([0-9]*\) queue num 0$/\1/p' "$file")
	[ -n "$port" ] || return 1
	sed '/^[[:space:]]*udp dport [0-9]* queue num 0$/d' "$file" |
		ip netns exec "$ns" nft -f - || return 1
	ip netns exec "$ns" iptables -t mangle -I INPUT -p udp --dport "$port" -j NFQUEUE --queue-num 0 &&
		ip netns exec "$ns" ip6tables -t mangle -I INPUT -p udp --dport "$port" -j NFQUEUE --queue-num 0 ||
		return 1
	nft_queue_note=" (this kernel has no nft queue: the knock is queued by iptables-nft's NFQUEUE)"
	return 0
}
