/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What nftrules.c (the rules that queue the knock port) and
 * nftrules_ruleset.c (the whole ruleset, for the layouts of rules/) share:
 * bounds-checked readers of nf_tables attributes and the netlink dump.
 */
#ifndef CKQ_NFTRULES_IMPL_H
#define CKQ_NFTRULES_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>

#include "buf.h"
#include "err.h"
#include "nftrules.h"

/* Attribute tables: every nf_tables attribute set we read has fewer types. */
#define TB_SIZE 16
/* The kernel fills a dump datagram up to 32 KiB. */
#define DUMP_BUF 32768
#define DUMP_RECV_MAX 100000
#define DUMP_TRIES 3
#define RCV_TIMEOUT_S 5
#define DUMP_AGAIN 1	/* the ruleset changed while it was dumped */

static inline int keep_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < TB_SIZE)
		tb[type] = a;
	return MNL_CB_OK;
}

static inline int nested(const struct nlattr *a, const struct nlattr **tb)
{
	memset(tb, 0, TB_SIZE * sizeof(*tb));
	if (!a || mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(a, keep_attr, tb) < MNL_CB_OK)
		return CKQ_ERR_FORMAT;
	return 0;
}

static inline struct cur attr_cur(const struct nlattr *a)
{
	return cur_init(a ? mnl_attr_get_payload(a) : NULL, a ? mnl_attr_get_payload_len(a) : 0);
}

static inline bool get_be32(const struct nlattr *a, uint32_t *v)
{
	struct cur c = attr_cur(a);

	if (!a || cur_left(&c) != 4)
		return false;
	*v = cur_u32(&c);
	return true;
}

static inline bool get_be16(const struct nlattr *a, uint16_t *v)
{
	struct cur c = attr_cur(a);

	if (!a || cur_left(&c) != 2)
		return false;
	*v = cur_u16(&c);
	return true;
}

static inline bool get_str(const struct nlattr *a, char *out, size_t out_len)
{
	size_t n;

	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return false;
	n = mnl_attr_get_payload_len(a);
	if (n > out_len)
		return false;
	memcpy(out, mnl_attr_get_payload(a), n);
	out[n - 1] = '\0';
	return true;
}

/* The value of an NFTA_DATA_VALUE nest: its length, 0 when there is none. */
static inline size_t get_data(const struct nlattr *a, uint8_t *out, size_t max)
{
	const struct nlattr *tb[TB_SIZE];
	struct cur c;
	size_t n;

	if (nested(a, tb) < 0 || !tb[NFTA_DATA_VALUE])
		return 0;
	c = attr_cur(tb[NFTA_DATA_VALUE]);
	n = cur_left(&c);
	if (!n || n > max || !cur_copy(&c, out, n))
		return 0;
	return n;
}

/* NFT_REG_1..4 are the 16-byte registers, each four of the 32-bit ones. */
static inline int reg_index(uint32_t r)
{
	if (r >= NFT_REG_1 && r <= NFT_REG_4)
		return (int)(r - NFT_REG_1) * 4;
	if (r >= NFT_REG32_00 && r <= NFT_REG32_15)
		return (int)(r - NFT_REG32_00);
	return -1;
}

/* What an expression loaded into register dreg (reg: NFT_REG32_COUNT kinds). */
static inline void reg_set(uint8_t *reg, const struct nlattr *dreg, uint8_t kind)
{
	uint32_t r;
	int i;

	if (get_be32(dreg, &r) && (i = reg_index(r)) >= 0)
		reg[i] = kind;
}

/* The kind of what is in register sreg; 0 for one out of range. */
static inline uint8_t reg_get(const uint8_t *reg, const struct nlattr *sreg)
{
	uint32_t r;
	int i;

	if (!get_be32(sreg, &r) || (i = reg_index(r)) < 0)
		return 0;
	return reg[i];
}

/*
 * The attributes of an nf_tables message of type (NFT_MSG_NEWRULE, ...) in
 * tb, the family of its header in *family; CKQ_ERR_FORMAT for anything else.
 */
static inline int msg_head(const void *msg, size_t len, uint16_t type, const struct nlattr **tb,
			   uint8_t *family)
{
	const struct nlmsghdr *nlh = msg;
	const struct nfgenmsg *nfg;
	int left = len > INT32_MAX ? INT32_MAX : (int)len;

	memset(tb, 0, TB_SIZE * sizeof(*tb));
	if (len < sizeof(*nlh) || !mnl_nlmsg_ok(nlh, left) ||
	    nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | type) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
		return CKQ_ERR_FORMAT;
	nfg = mnl_nlmsg_get_payload(nlh);
	*family = nfg->nfgen_family;
	if (mnl_attr_parse(nlh, sizeof(*nfg), keep_attr, tb) < MNL_CB_OK)
		return CKQ_ERR_FORMAT;
	return 0;
}

/*
 * A rule's table and chain (NFTRULES_NAME_MAX bytes each) and handle, from
 * the attributes of its message; CKQ_ERR_FORMAT for a rule without them or
 * whose expressions are not a list.
 */
static inline int rule_ids(const struct nlattr **tb, char *table, char *chain, uint64_t *handle)
{
	struct cur c;

	if (!get_str(tb[NFTA_RULE_TABLE], table, NFTRULES_NAME_MAX) ||
	    !get_str(tb[NFTA_RULE_CHAIN], chain, NFTRULES_NAME_MAX))
		return CKQ_ERR_FORMAT;
	c = attr_cur(tb[NFTA_RULE_HANDLE]);
	if (cur_left(&c) == 8)
		*handle = cur_u64(&c);
	if (tb[NFTA_RULE_EXPRESSIONS] &&
	    mnl_attr_validate(tb[NFTA_RULE_EXPRESSIONS], MNL_TYPE_NESTED) < 0)
		return CKQ_ERR_FORMAT;
	return 0;
}

/*
 * A netfilter netlink socket that gives up on a silent kernel after
 * RCV_TIMEOUT_S; NULL with errno set.
 */
struct mnl_socket *nftrules_nl_open(void);
/* Closes it, errno as it was. */
void nftrules_nl_close(struct mnl_socket *nl);

/*
 * Asks for a dump of nf_tables objects (get: NFT_MSG_GETRULE, ...) and
 * hands every message of the answer to cb. Returns 0, DUMP_AGAIN when the
 * ruleset changed during the dump, *cb_err when cb set it, or CKQ_ERR_IO
 * with errno set.
 */
int nftrules_nl_dump(struct mnl_socket *nl, uint32_t seq, uint16_t get, mnl_cb_t cb, void *arg,
		     const int *cb_err);

/*
 * Calls once(nl, try, arg) on a socket of nftrules_nl_open() until it
 * returns other than DUMP_AGAIN, DUMP_TRIES times at most (then CKQ_ERR_IO
 * with errno EAGAIN), and returns what it returned last.
 */
int nftrules_nl_dumps(int (*once)(struct mnl_socket *nl, uint32_t try, void *arg), void *arg);

#endif
