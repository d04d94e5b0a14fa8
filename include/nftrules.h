/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_NFTRULES_H
#define CKQ_NFTRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Reads the nf_tables ruleset the kernel runs, which is what both nft(8)
 * and iptables-nft (Debian's iptables) load, to find the rules that send
 * the knock port to a netfilter queue. Talks nfnetlink directly, as
 * grant.c does; rules loaded by iptables-legacy are not visible here.
 */

#define NFTRULES_NAME_MAX 256	/* NFT_NAME_MAXLEN */

/* A rule that sends UDP datagrams to the port to a queue. */
struct nftrules_queue {
	uint8_t family;			/* NFPROTO_IPV4, NFPROTO_INET, NFPROTO_IPV6... */
	char table[NFTRULES_NAME_MAX];
	char chain[NFTRULES_NAME_MAX];
	uint64_t handle;
	uint16_t num, total;		/* queues num .. num + total - 1 */
	bool bypass;			/* accepts the packet while no one listens */
	bool iptables;			/* the NFQUEUE target of iptables-nft */
};

/*
 * Looks at one NFT_MSG_NEWRULE message (msg: the netlink header and what
 * follows, len bytes): 1 and *q filled when it sends UDP to port to a queue
 * with no other verdict in between; 0 when it does not (or in a form not
 * understood: a set lookup, a queue number from a register); CKQ_ERR_FORMAT
 * for a message that is not a rule or is malformed.
 *
 * Understood: "udp dport P", "th dport P", "meta l4proto udp",
 * "ip protocol udp", port ranges, iptables' "-m udp --dport" (the xt match),
 * and as the action the queue expression or iptables' NFQUEUE target
 * (revisions 0 to 3).
 */
int nftrules_match(const void *msg, size_t len, uint16_t port, struct nftrules_queue *q);

/*
 * Dumps every rule of every table (needs CAP_NET_ADMIN) and stores up to
 * max of those that nftrules_match() finds in out; *nrules gets how many
 * rules the ruleset has. Returns how many matched (may exceed max), or
 * CKQ_ERR_IO with errno set (EPERM: not allowed; EOPNOTSUPP or ENOENT: no
 * nf_tables in this kernel), or CKQ_ERR_FORMAT for a reply not understood.
 */
int nftrules_find_queue(uint16_t port, struct nftrules_queue *out, size_t max,
			size_t *nrules);

#endif
