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

/*
 * The layouts of rules/: what the filter rules of one family do with the
 * ipset of a protected port, read from the same dump. Enough of each rule
 * is kept to follow jumps and to see which rules decide about a new
 * connection to the port; anything else a rule tests makes it "narrow".
 */
enum nftrules_verdict {
	NFTRULES_NONE, NFTRULES_ACCEPT, NFTRULES_DROP, NFTRULES_JUMP, NFTRULES_GOTO,
	NFTRULES_RETURN, NFTRULES_QUEUE, NFTRULES_OTHER
};

struct nftrules_chain {
	uint8_t family;
	char table[NFTRULES_NAME_MAX], name[NFTRULES_NAME_MAX];
	bool base;			/* hooked into the stack */
	uint32_t hook;			/* NF_INET_LOCAL_IN, NF_INET_FORWARD... */
	bool policy_drop;
};

struct nftrules_rule {
	uint8_t family;
	char table[NFTRULES_NAME_MAX], chain[NFTRULES_NAME_MAX];
	uint64_t handle;
	uint8_t proto;			/* 0: any */
	bool has_dport, dport_inv;	/* a destination port test: lo..hi */
	uint16_t dport_lo, dport_hi;
	uint8_t nmports;		/* xt multiport destination ports */
	bool mports_inv;
	uint16_t mport_lo[15], mport_hi[15];
	bool has_origdport;		/* conntrack's original one (before DNAT) */
	uint16_t origdport;
	bool established;		/* only packets of known connections */
	bool narrow;			/* other tests: addresses, interfaces... */
	int set;			/* the ipset index it matches, -1: none */
	bool set_inv;
	enum nftrules_verdict verdict;
	char target[NFTRULES_NAME_MAX];	/* of a jump or goto */
};

struct nftrules_ruleset {
	struct nftrules_chain *chains;
	struct nftrules_rule *rules;	/* in the order the chains run them */
	size_t nchains, nrules;
};

/* A NFT_MSG_NEWCHAIN or NFT_MSG_NEWRULE message: 0, or CKQ_ERR_FORMAT. */
int nftrules_parse_chain(const void *msg, size_t len, struct nftrules_chain *c);
int nftrules_parse_rule(const void *msg, size_t len, struct nftrules_rule *r);

/* Every chain and rule (needs CAP_NET_ADMIN); errors as nftrules_find_queue. */
int nftrules_dump(struct nftrules_ruleset *rs);
void nftrules_free(struct nftrules_ruleset *rs);

/* The name of the ipset with kernel index idx: 0, CKQ_ERR_NOENT, CKQ_ERR_IO. */
int nftrules_ipset_name(int idx, char *name, size_t len);

enum nftrules_form {
	NFTRULES_OPENS,		/* accepts the set's members (full table) */
	NFTRULES_GATES		/* drops all but them, then goes on (coexisting) */
};

/* How one rule that names a port's set fits into its family's ruleset. */
struct nftrules_use {
	const struct nftrules_rule *rule;
	enum nftrules_form form;
	const struct nftrules_chain *base;	/* where packets enter; NULL: no jump leads here */
	const struct nftrules_rule *jump;	/* the jump from base, when not in base itself */
	const struct nftrules_rule *first;	/* a rule of base that accepts the port before */
	uint16_t port;				/* the port the rule tests (0: none) */
};

/*
 * The rules of family that match the ipset index set, at most max of them
 * into out; returns how many there are. proto/port: the protected port,
 * for the rules that accept it before ckq's rule is reached.
 */
size_t nftrules_uses(const struct nftrules_ruleset *rs, uint8_t family, int set, uint8_t proto,
		     uint16_t port, struct nftrules_use *out, size_t max);

/*
 * The base chain from which a rule in table/chain is reached, directly or
 * through one jump or goto (*jump, else NULL); NULL when none is.
 */
const struct nftrules_chain *nftrules_reached(const struct nftrules_ruleset *rs, uint8_t family,
					      const char *table, const char *chain,
					      const struct nftrules_rule **jump);

#endif
