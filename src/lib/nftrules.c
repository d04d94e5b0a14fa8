/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <libmnl/libmnl.h>

#include "nftrules.h"
#include "nftrules_impl.h"

/* What an expression loaded into a register, for the cmp that reads it. */
enum reg_kind { REG_NONE, REG_L4PROTO, REG_IPPROTO, REG_DPORT, REG_OTHER };

struct rule_state {
	uint8_t reg[NFT_REG32_COUNT];	/* enum reg_kind */
	bool dport;		/* a test that the destination port is ours */
	bool mismatch;		/* a test that ours fails, or a verdict first */
	bool queue;
};

static void expr_meta(struct rule_state *st, const struct nlattr **tb)
{
	uint32_t key;

	if (!tb[NFTA_META_DREG])
		return;		/* sets a meta key: tests nothing */
	reg_set(st->reg, tb[NFTA_META_DREG],
		get_be32(tb[NFTA_META_KEY], &key) && key == NFT_META_L4PROTO ? REG_L4PROTO :
										   REG_OTHER);
}

static void expr_payload(struct rule_state *st, const struct nlattr **tb)
{
	uint32_t base, off, len;
	enum reg_kind kind = REG_OTHER;

	if (!tb[NFTA_PAYLOAD_DREG])
		return;		/* a payload write */
	if (get_be32(tb[NFTA_PAYLOAD_BASE], &base) && get_be32(tb[NFTA_PAYLOAD_OFFSET], &off) &&
	    get_be32(tb[NFTA_PAYLOAD_LEN], &len)) {
		if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 2 && len == 2)
			kind = REG_DPORT;
		else if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 9 && len == 1)
			kind = REG_IPPROTO;
	}
	reg_set(st->reg, tb[NFTA_PAYLOAD_DREG], kind);
}

static void expr_cmp(struct rule_state *st, const struct nlattr **tb, uint16_t port)
{
	enum reg_kind kind = reg_get(st->reg, tb[NFTA_CMP_SREG]);
	uint8_t v[16];
	size_t n = get_data(tb[NFTA_CMP_DATA], v, sizeof(v));
	uint32_t op;
	bool equal;

	if (kind != REG_L4PROTO && kind != REG_IPPROTO && kind != REG_DPORT)
		return;		/* another condition: it narrows the rule, no more */
	if (!get_be32(tb[NFTA_CMP_OP], &op) || (op != NFT_CMP_EQ && op != NFT_CMP_NEQ) || !n) {
		st->mismatch = true;	/* <, >: not a form we judge */
		return;
	}
	if (kind == REG_DPORT)
		equal = n == 2 && (uint16_t)(v[0] << 8 | v[1]) == port;
	else
		equal = n == 1 && v[0] == IPPROTO_UDP;
	if (equal != (op == NFT_CMP_EQ))
		st->mismatch = true;
	else if (kind == REG_DPORT && equal)
		st->dport = true;
}

static void expr_range(struct rule_state *st, const struct nlattr **tb, uint16_t port)
{
	uint8_t from[2], to[2];
	uint32_t op;
	bool in;

	if (reg_get(st->reg, tb[NFTA_RANGE_SREG]) != REG_DPORT)
		return;
	if (!get_be32(tb[NFTA_RANGE_OP], &op) ||
	    get_data(tb[NFTA_RANGE_FROM_DATA], from, sizeof(from)) != 2 ||
	    get_data(tb[NFTA_RANGE_TO_DATA], to, sizeof(to)) != 2) {
		st->mismatch = true;
		return;
	}
	in = (uint16_t)(from[0] << 8 | from[1]) <= port && port <= (uint16_t)(to[0] << 8 | to[1]);
	if (in != (op == NFT_RANGE_EQ))
		st->mismatch = true;
	else if (in)
		st->dport = true;
}

/* iptables' "-m udp": struct xt_udp, in the host's byte order. */
static void expr_xt_match(struct rule_state *st, const struct nlattr **tb, uint16_t port)
{
	char name[32];
	struct xt_udp u;
	struct cur c = attr_cur(tb[NFTA_MATCH_INFO]);
	bool in;

	if (!get_str(tb[NFTA_MATCH_NAME], name, sizeof(name)) || strcmp(name, "udp"))
		return;
	if (!cur_copy(&c, &u, sizeof(u))) {
		st->mismatch = true;
		return;
	}
	in = u.dpts[0] <= port && port <= u.dpts[1];
	if (in == !!(u.invflags & XT_UDP_INV_DSTPT))
		st->mismatch = true;
	else if (in)
		st->dport = true;
}

static void expr_queue(struct rule_state *st, const struct nlattr **tb,
		       struct nftrules_queue *q)
{
	uint16_t flags = 0;

	/* A queue number computed from the packet cannot be judged here. */
	if (tb[NFTA_QUEUE_SREG_QNUM] || !get_be16(tb[NFTA_QUEUE_NUM], &q->num)) {
		st->mismatch = true;
		return;
	}
	if (!get_be16(tb[NFTA_QUEUE_TOTAL], &q->total) || !q->total)
		q->total = 1;
	if (tb[NFTA_QUEUE_FLAGS])
		get_be16(tb[NFTA_QUEUE_FLAGS], &flags);
	q->bypass = flags & NFT_QUEUE_FLAG_BYPASS;
	q->iptables = false;
	st->queue = true;
}

/* iptables' "-j NFQUEUE": struct xt_NFQ_info, v1, v2 or v3, host order. */
static void expr_xt_target(struct rule_state *st, const struct nlattr **tb,
			   struct nftrules_queue *q)
{
	char name[32];
	uint32_t rev = 0;
	uint16_t f[3] = { 0, 1, 0 };
	struct cur c = attr_cur(tb[NFTA_TARGET_INFO]);
	size_t i, n;

	if (!get_str(tb[NFTA_TARGET_NAME], name, sizeof(name)))
		return;
	if (strcmp(name, "NFQUEUE")) {
		st->mismatch = true;	/* another target decides first */
		return;
	}
	get_be32(tb[NFTA_TARGET_REV], &rev);
	n = rev == 0 ? 1 : rev == 1 ? 2 : 3;
	for (i = 0; i < n; i++)
		if (!cur_copy(&c, &f[i], sizeof(f[i]))) {
			st->mismatch = true;
			return;
		}
	q->num = f[0];
	q->total = f[1] ? f[1] : 1;
	/* v2 has a bypass field, v3 the same bit among its flags. */
	q->bypass = rev >= 2 && (f[2] & NFQ_FLAG_BYPASS);
	q->iptables = true;
	st->queue = true;
}

static void expr_immediate(struct rule_state *st, const struct nlattr **tb)
{
	uint32_t r;

	/* A verdict (accept, drop, jump...) before the queue ends the rule there. */
	if (get_be32(tb[NFTA_IMMEDIATE_DREG], &r) && r == NFT_REG_VERDICT && !st->queue)
		st->mismatch = true;
	else
		reg_set(st->reg, tb[NFTA_IMMEDIATE_DREG], REG_OTHER);
}

static int expr(struct rule_state *st, const struct nlattr *elem, uint16_t port,
		struct nftrules_queue *q)
{
	const struct nlattr *etb[TB_SIZE], *tb[TB_SIZE];
	char name[32];

	if (nested(elem, etb) < 0 || !get_str(etb[NFTA_EXPR_NAME], name, sizeof(name)))
		return CKQ_ERR_FORMAT;
	if (!etb[NFTA_EXPR_DATA]) {
		memset(tb, 0, sizeof(tb));
	} else if (nested(etb[NFTA_EXPR_DATA], tb) < 0) {
		return CKQ_ERR_FORMAT;
	}
	if (!strcmp(name, "meta"))
		expr_meta(st, tb);
	else if (!strcmp(name, "payload"))
		expr_payload(st, tb);
	else if (!strcmp(name, "cmp"))
		expr_cmp(st, tb, port);
	else if (!strcmp(name, "range"))
		expr_range(st, tb, port);
	else if (!strcmp(name, "match"))
		expr_xt_match(st, tb, port);
	else if (!strcmp(name, "queue"))
		expr_queue(st, tb, q);
	else if (!strcmp(name, "target"))
		expr_xt_target(st, tb, q);
	else if (!strcmp(name, "immediate"))
		expr_immediate(st, tb);
	else if (!strcmp(name, "counter") || !strcmp(name, "log") || !strcmp(name, "limit"))
		return 0;
	/* What these load is none of the values we judge. */
	else if (!strcmp(name, "lookup"))
		reg_set(st->reg, tb[NFTA_LOOKUP_DREG], REG_OTHER);
	else if (!strcmp(name, "bitwise"))
		reg_set(st->reg, tb[NFTA_BITWISE_DREG], REG_OTHER);
	else if (!strcmp(name, "ct"))
		reg_set(st->reg, tb[NFTA_CT_DREG], REG_OTHER);
	return 0;
}

int nftrules_match(const void *msg, size_t len, uint16_t port, struct nftrules_queue *q)
{
	const struct nlattr *tb[TB_SIZE], *elem;
	struct rule_state st;
	uint8_t family;

	if (msg_head(msg, len, NFT_MSG_NEWRULE, tb, &family) < 0)
		return CKQ_ERR_FORMAT;
	memset(q, 0, sizeof(*q));
	q->family = family;
	if (rule_ids(tb, q->table, q->chain, &q->handle) < 0)
		return CKQ_ERR_FORMAT;
	if (!tb[NFTA_RULE_EXPRESSIONS])
		return 0;
	memset(&st, 0, sizeof(st));
	mnl_attr_for_each_nested(elem, tb[NFTA_RULE_EXPRESSIONS]) {
		if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM)
			continue;
		if (expr(&st, elem, port, q) < 0)
			return CKQ_ERR_FORMAT;
		if (st.queue || st.mismatch)
			break;
	}
	return st.queue && st.dport && !st.mismatch ? 1 : 0;
}

struct dump_ctx {
	uint16_t port;
	struct nftrules_queue *out;
	size_t max, found, rules;
	int err;
};

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *x = arg;
	int r;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE))
		return MNL_CB_OK;
	x->rules++;
	r = nftrules_match(nlh, nlh->nlmsg_len, x->port,
			   x->found < x->max ? &x->out[x->found] : &(struct nftrules_queue){ 0 });
	if (r < 0) {
		x->err = r;
		return MNL_CB_ERROR;
	}
	x->found += (size_t)r;
	return MNL_CB_OK;
}

struct mnl_socket *nftrules_nl_open(void)
{
	struct timeval tv = { .tv_sec = RCV_TIMEOUT_S };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		nftrules_nl_close(nl);
		return NULL;
	}
	return nl;
}

void nftrules_nl_close(struct mnl_socket *nl)
{
	int saved = errno;

	mnl_socket_close(nl);
	errno = saved;
}

int nftrules_nl_dump(struct mnl_socket *nl, uint32_t seq, uint16_t get, mnl_cb_t cb, void *arg,
		     const int *cb_err)
{
	_Alignas(struct nlmsghdr) uint8_t buf[DUMP_BUF];
	unsigned int portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	long n;
	int r = MNL_CB_OK;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | get;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return CKQ_ERR_IO;
	for (n = 0; n < DUMP_RECV_MAX; n++) {
		ssize_t len = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return CKQ_ERR_IO;
		r = mnl_cb_run(buf, (size_t)len, seq, portid, cb, arg);
		if (r <= MNL_CB_STOP)
			break;
	}
	if (*cb_err)
		return *cb_err;
	/* libmnl says EINTR when the ruleset changed during the dump. */
	if (r == MNL_CB_ERROR)
		return errno == EINTR ? DUMP_AGAIN : CKQ_ERR_IO;
	if (n == DUMP_RECV_MAX) {
		errno = EMSGSIZE;
		return CKQ_ERR_IO;
	}
	return 0;
}

/* One try of nftrules_find_queue: the rules, each through nftrules_match. */
static int find_once(struct mnl_socket *nl, uint32_t try, void *arg)
{
	struct dump_ctx *x = arg;

	x->found = x->rules = 0;
	x->err = 0;
	return nftrules_nl_dump(nl, try + 1, NFT_MSG_GETRULE, dump_cb, x, &x->err);
}

int nftrules_nl_dumps(int (*once)(struct mnl_socket *nl, uint32_t try, void *arg), void *arg)
{
	struct mnl_socket *nl = nftrules_nl_open();
	int r = CKQ_ERR_IO;
	uint32_t tries;

	if (!nl)
		return CKQ_ERR_IO;
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		r = once(nl, tries, arg);
		if (r != DUMP_AGAIN)
			break;
	}
	if (r == DUMP_AGAIN) {
		errno = EAGAIN;
		r = CKQ_ERR_IO;
	}
	nftrules_nl_close(nl);
	return r;
}

int nftrules_find_queue(uint16_t port, struct nftrules_queue *out, size_t max,
			size_t *nrules)
{
	struct dump_ctx x = { .port = port, .out = out, .max = max };
	int r;

	*nrules = 0;
	r = nftrules_nl_dumps(find_once, &x);
	if (r < 0)
		return r;
	*nrules = x.rules;
	return (int)x.found;
}
