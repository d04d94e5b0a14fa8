/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The whole nf_tables ruleset, read for the layouts of rules/ (ckq-admin check). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libmnl/libmnl.h>

#include "nftrules.h"
#include "nftrules_impl.h"

/* What an expression loaded into a register; RK_NONE (0) for nothing known. */
enum { RK_NONE, RK_PROTO, RK_DPORT, RK_CTDPORT, RK_OTHER };

struct parse_state {
	uint8_t reg[NFT_REG32_COUNT];
	struct nftrules_rule *r;
};

static void pr_cmp(struct parse_state *ps, const struct nlattr **tb)
{
	struct nftrules_rule *r = ps->r;
	uint8_t kind = reg_get(ps->reg, tb[NFTA_CMP_SREG]), v[16];
	size_t n = get_data(tb[NFTA_CMP_DATA], v, sizeof(v));
	uint32_t op;
	bool eq;

	if (!get_be32(tb[NFTA_CMP_OP], &op) || (op != NFT_CMP_EQ && op != NFT_CMP_NEQ) || !n) {
		r->narrow = true;
		return;
	}
	eq = op == NFT_CMP_EQ;
	if (kind == RK_PROTO && n == 1 && eq) {
		r->proto = v[0];
	} else if (kind == RK_DPORT && n == 2) {
		r->has_dport = true;
		r->dport_inv = !eq;
		r->dport_lo = r->dport_hi = (uint16_t)(v[0] << 8 | v[1]);
	} else if (kind == RK_CTDPORT && n == 2 && eq) {
		r->has_origdport = true;
		r->origdport = (uint16_t)(v[0] << 8 | v[1]);
	} else {
		r->narrow = true;
	}
}

static void pr_range(struct parse_state *ps, const struct nlattr **tb)
{
	struct nftrules_rule *r = ps->r;
	uint8_t from[2], to[2];
	uint32_t op;

	if (reg_get(ps->reg, tb[NFTA_RANGE_SREG]) != RK_DPORT || !get_be32(tb[NFTA_RANGE_OP], &op) ||
	    get_data(tb[NFTA_RANGE_FROM_DATA], from, sizeof(from)) != 2 ||
	    get_data(tb[NFTA_RANGE_TO_DATA], to, sizeof(to)) != 2) {
		r->narrow = true;
		return;
	}
	r->has_dport = true;
	r->dport_inv = op != NFT_RANGE_EQ;
	r->dport_lo = (uint16_t)(from[0] << 8 | from[1]);
	r->dport_hi = (uint16_t)(to[0] << 8 | to[1]);
}

/* iptables' conntrack match, revisions 2 and 3 (struct xt_conntrack_mtinfo2/3). */
static void pr_conntrack(struct nftrules_rule *r, struct cur *c)
{
	const uint16_t known = XT_CONNTRACK_STATE | XT_CONNTRACK_ORIGDST_PORT |
			       XT_CONNTRACK_STATE_ALIAS;
	const uint16_t fresh = XT_CONNTRACK_STATE_BIT(IP_CT_NEW) | XT_CONNTRACK_STATE_INVALID |
			       XT_CONNTRACK_STATE_UNTRACKED;
	struct xt_conntrack_mtinfo2 m;

	if (!cur_copy(c, &m, sizeof(m))) {
		r->narrow = true;
		return;
	}
	if (m.match_flags & ~known)
		r->narrow = true;
	if (m.match_flags & XT_CONNTRACK_STATE) {
		bool inv = m.invert_flags & XT_CONNTRACK_STATE;

		/* Whether a packet that opens a connection can match. */
		if (!!(m.state_mask & fresh) == inv)
			r->established = true;
	}
	if (m.match_flags & XT_CONNTRACK_ORIGDST_PORT) {
		if (m.invert_flags & XT_CONNTRACK_ORIGDST_PORT) {
			r->narrow = true;
		} else {
			/* In the host's order, as xt matches keep their ports. */
			r->has_origdport = true;
			r->origdport = m.origdst_port;
		}
	}
}

static void pr_match(struct nftrules_rule *r, const struct nlattr **tb)
{
	char name[32];
	uint32_t rev = 0;
	struct cur c = attr_cur(tb[NFTA_MATCH_INFO]);

	if (!get_str(tb[NFTA_MATCH_NAME], name, sizeof(name))) {
		r->narrow = true;
		return;
	}
	get_be32(tb[NFTA_MATCH_REV], &rev);
	if (!strcmp(name, "udp") || !strcmp(name, "tcp")) {
		struct xt_udp u;	/* struct xt_tcp begins alike */

		if (!cur_copy(&c, &u, sizeof(u))) {
			r->narrow = true;
			return;
		}
		r->has_dport = u.dpts[0] != 0 || u.dpts[1] != 0xffff;
		r->dport_lo = u.dpts[0];
		r->dport_hi = u.dpts[1];
		r->dport_inv = u.invflags & XT_UDP_INV_DSTPT;
		r->proto = name[0] == 'u' ? IPPROTO_UDP : IPPROTO_TCP;
	} else if (!strcmp(name, "multiport") && rev == 1) {
		struct xt_multiport_v1 m;
		unsigned int i;

		if (!cur_copy(&c, &m, sizeof(m)) || m.count > XT_MULTI_PORTS ||
		    m.flags == XT_MULTIPORT_SOURCE) {
			r->narrow = true;
			return;
		}
		for (i = 0; i < m.count; i++) {
			r->mport_lo[r->nmports] = r->mport_hi[r->nmports] = m.ports[i];
			if (m.pflags[i] && i + 1 < m.count)
				r->mport_hi[r->nmports] = m.ports[++i];
			r->nmports++;
		}
		r->mports_inv = m.invert;
		if (m.flags == XT_MULTIPORT_EITHER)
			r->narrow = true;
	} else if (!strcmp(name, "conntrack") && (rev == 2 || rev == 3)) {
		pr_conntrack(r, &c);
	} else if (!strcmp(name, "set") && rev >= 1) {
		struct xt_set_info s;

		if (!cur_copy(&c, &s, sizeof(s))) {
			r->narrow = true;
			return;
		}
		r->set = s.index;
		r->set_inv = s.flags & IPSET_INV_MATCH;
	} else if (strcmp(name, "comment")) {
		r->narrow = true;
	}
}

static void pr_target(struct nftrules_rule *r, const struct nlattr **tb)
{
	char name[32];

	if (!get_str(tb[NFTA_TARGET_NAME], name, sizeof(name)))
		r->verdict = NFTRULES_OTHER;
	else if (!strcmp(name, "NFQUEUE"))
		r->verdict = NFTRULES_QUEUE;
	else if (!strcmp(name, "REJECT"))
		r->verdict = NFTRULES_DROP;
	else if (strcmp(name, "LOG") && strcmp(name, "NFLOG") && strcmp(name, "MARK") &&
		 strcmp(name, "CONNMARK"))
		r->verdict = NFTRULES_OTHER;	/* DNAT and the like decide */
}

static void pr_immediate(struct parse_state *ps, const struct nlattr **tb)
{
	const struct nlattr *dtb[TB_SIZE], *vtb[TB_SIZE];
	struct nftrules_rule *r = ps->r;
	uint32_t reg, code;

	if (!get_be32(tb[NFTA_IMMEDIATE_DREG], &reg) || reg != NFT_REG_VERDICT) {
		reg_set(ps->reg, tb[NFTA_IMMEDIATE_DREG], RK_OTHER);
		return;
	}
	if (nested(tb[NFTA_IMMEDIATE_DATA], dtb) < 0 || nested(dtb[NFTA_DATA_VERDICT], vtb) < 0 ||
	    !get_be32(vtb[NFTA_VERDICT_CODE], &code)) {
		r->verdict = NFTRULES_OTHER;
		return;
	}
	switch ((int32_t)code) {
	case NF_ACCEPT: r->verdict = NFTRULES_ACCEPT; break;
	case NF_DROP: r->verdict = NFTRULES_DROP; break;
	case NFT_RETURN: r->verdict = NFTRULES_RETURN; break;
	case NFT_JUMP:
	case NFT_GOTO:
		r->verdict = (int32_t)code == NFT_JUMP ? NFTRULES_JUMP : NFTRULES_GOTO;
		if (!get_str(vtb[NFTA_VERDICT_CHAIN], r->target, sizeof(r->target)))
			r->verdict = NFTRULES_OTHER;
		break;
	case NFT_CONTINUE: break;
	default: r->verdict = NFTRULES_OTHER; break;
	}
}

static int pr_expr(struct parse_state *ps, const struct nlattr *elem)
{
	const struct nlattr *etb[TB_SIZE], *tb[TB_SIZE];
	struct nftrules_rule *r = ps->r;
	char name[32];
	uint32_t v;

	if (nested(elem, etb) < 0 || !get_str(etb[NFTA_EXPR_NAME], name, sizeof(name)))
		return CKQ_ERR_FORMAT;
	if (!etb[NFTA_EXPR_DATA])
		memset(tb, 0, sizeof(tb));
	else if (nested(etb[NFTA_EXPR_DATA], tb) < 0)
		return CKQ_ERR_FORMAT;
	if (!strcmp(name, "meta")) {
		if (tb[NFTA_META_DREG])
			reg_set(ps->reg, tb[NFTA_META_DREG], get_be32(tb[NFTA_META_KEY], &v) &&
				v == NFT_META_L4PROTO ? RK_PROTO : RK_OTHER);
	} else if (!strcmp(name, "payload")) {
		uint32_t base, off, len;
		uint8_t kind = RK_OTHER;

		if (!tb[NFTA_PAYLOAD_DREG])
			return 0;
		if (get_be32(tb[NFTA_PAYLOAD_BASE], &base) && get_be32(tb[NFTA_PAYLOAD_OFFSET], &off) &&
		    get_be32(tb[NFTA_PAYLOAD_LEN], &len)) {
			if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 2 && len == 2)
				kind = RK_DPORT;
			else if (base == NFT_PAYLOAD_NETWORK_HEADER && off == 9 && len == 1 &&
				 r->family == NFPROTO_IPV4)
				kind = RK_PROTO;
		}
		reg_set(ps->reg, tb[NFTA_PAYLOAD_DREG], kind);
	} else if (!strcmp(name, "ct")) {
		uint8_t dir = 0;

		if (tb[NFTA_CT_DIRECTION] && mnl_attr_get_payload_len(tb[NFTA_CT_DIRECTION]) == 1)
			dir = mnl_attr_get_u8(tb[NFTA_CT_DIRECTION]);
		reg_set(ps->reg, tb[NFTA_CT_DREG], get_be32(tb[NFTA_CT_KEY], &v) &&
			v == NFT_CT_PROTO_DST && dir == IP_CT_DIR_ORIGINAL ? RK_CTDPORT : RK_OTHER);
	} else if (!strcmp(name, "cmp")) {
		pr_cmp(ps, tb);
	} else if (!strcmp(name, "range")) {
		pr_range(ps, tb);
	} else if (!strcmp(name, "match")) {
		pr_match(r, tb);
	} else if (!strcmp(name, "target")) {
		pr_target(r, tb);
	} else if (!strcmp(name, "immediate")) {
		pr_immediate(ps, tb);
	} else if (!strcmp(name, "queue")) {
		r->verdict = NFTRULES_QUEUE;
	} else if (!strcmp(name, "reject")) {
		r->verdict = NFTRULES_DROP;
	} else if (!strcmp(name, "counter") || !strcmp(name, "log") || !strcmp(name, "limit")) {
		return 0;
	} else if (!strcmp(name, "bitwise")) {
		reg_set(ps->reg, tb[NFTA_BITWISE_DREG], RK_OTHER);
	} else {
		/* lookup (an nft set), nat, masq...: tests or does what is not judged here. */
		if (!strcmp(name, "lookup"))
			reg_set(ps->reg, tb[NFTA_LOOKUP_DREG], RK_OTHER);
		r->narrow = true;
		if (strcmp(name, "lookup"))
			r->verdict = r->verdict == NFTRULES_NONE ? NFTRULES_OTHER : r->verdict;
	}
	return 0;
}

int nftrules_parse_chain(const void *msg, size_t len, struct nftrules_chain *c)
{
	const struct nlattr *tb[TB_SIZE], *htb[TB_SIZE];
	uint32_t policy;

	memset(c, 0, sizeof(*c));
	if (msg_head(msg, len, NFT_MSG_NEWCHAIN, tb, &c->family) < 0 ||
	    !get_str(tb[NFTA_CHAIN_TABLE], c->table, sizeof(c->table)) ||
	    !get_str(tb[NFTA_CHAIN_NAME], c->name, sizeof(c->name)))
		return CKQ_ERR_FORMAT;
	if (tb[NFTA_CHAIN_HOOK]) {
		if (nested(tb[NFTA_CHAIN_HOOK], htb) < 0 || !get_be32(htb[NFTA_HOOK_HOOKNUM], &c->hook))
			return CKQ_ERR_FORMAT;
		c->base = true;
		c->policy_drop = get_be32(tb[NFTA_CHAIN_POLICY], &policy) && policy == NF_DROP;
	}
	return 0;
}

int nftrules_parse_rule(const void *msg, size_t len, struct nftrules_rule *r)
{
	const struct nlattr *tb[TB_SIZE], *elem;
	struct parse_state ps;

	memset(r, 0, sizeof(*r));
	r->set = -1;
	if (msg_head(msg, len, NFT_MSG_NEWRULE, tb, &r->family) < 0 ||
	    rule_ids(tb, r->table, r->chain, &r->handle) < 0)
		return CKQ_ERR_FORMAT;
	if (!tb[NFTA_RULE_EXPRESSIONS])
		return 0;
	memset(&ps, 0, sizeof(ps));
	ps.r = r;
	mnl_attr_for_each_nested(elem, tb[NFTA_RULE_EXPRESSIONS]) {
		if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM)
			continue;
		if (pr_expr(&ps, elem) < 0)
			return CKQ_ERR_FORMAT;
	}
	return 0;
}

struct rs_ctx {
	struct nftrules_ruleset *rs;
	size_t cap;
	uint16_t type;
	int err;
};

static int rs_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_ctx *x = arg;
	struct nftrules_ruleset *rs = x->rs;
	size_t *n = x->type == NFT_MSG_NEWCHAIN ? &rs->nchains : &rs->nrules;
	size_t size = x->type == NFT_MSG_NEWCHAIN ? sizeof(*rs->chains) : sizeof(*rs->rules);
	void **arr = x->type == NFT_MSG_NEWCHAIN ? (void **)&rs->chains : (void **)&rs->rules;
	int r;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | x->type))
		return MNL_CB_OK;
	if (*n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		void *p = cap > SIZE_MAX / size ? NULL : realloc(*arr, cap * size);

		if (!p) {
			x->err = CKQ_ERR_NOMEM;
			return MNL_CB_ERROR;
		}
		*arr = p;
		x->cap = cap;
	}
	r = x->type == NFT_MSG_NEWCHAIN ?
		    nftrules_parse_chain(nlh, nlh->nlmsg_len, &rs->chains[*n]) :
		    nftrules_parse_rule(nlh, nlh->nlmsg_len, &rs->rules[*n]);
	if (r < 0) {
		x->err = r;
		return MNL_CB_ERROR;
	}
	(*n)++;
	return MNL_CB_OK;
}

void nftrules_free(struct nftrules_ruleset *rs)
{
	free(rs->chains);
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}

/* One try of nftrules_dump: chains, then rules; a change in between makes both be read again. */
static int dump_once(struct mnl_socket *nl, uint32_t try, void *arg)
{
	struct nftrules_ruleset *rs = arg;
	struct rs_ctx c = { .rs = rs, .type = NFT_MSG_NEWCHAIN };
	struct rs_ctx ru = { .rs = rs, .type = NFT_MSG_NEWRULE };
	int r;

	nftrules_free(rs);
	r = nftrules_nl_dump(nl, try * 2 + 1, NFT_MSG_GETCHAIN, rs_cb, &c, &c.err);
	if (r == 0)
		r = nftrules_nl_dump(nl, try * 2 + 2, NFT_MSG_GETRULE, rs_cb, &ru, &ru.err);
	return r;
}

int nftrules_dump(struct nftrules_ruleset *rs)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	r = nftrules_nl_dumps(dump_once, rs);
	if (r < 0)
		nftrules_free(rs);
	return r;
}

struct byindex {
	char *name;
	size_t len;
	bool found;
};

static int byindex_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	struct byindex *b = arg;
	const struct nlattr *a;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_IPSET << 8 | IPSET_CMD_GET_BYINDEX))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t t = mnl_attr_get_type(a);

		if (t <= IPSET_ATTR_CMD_MAX)
			tb[t] = a;
	}
	if (get_str(tb[IPSET_ATTR_SETNAME], b->name, b->len))
		b->found = true;
	return MNL_CB_OK;
}

int nftrules_ipset_name(int idx, char *name, size_t len)
{
	_Alignas(struct nlmsghdr) uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
	struct byindex b = { .name = name, .len = len };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int r = CKQ_ERR_IO;
	ssize_t n;

	if (idx < 0 || idx > UINT16_MAX || !len)
		return CKQ_ERR_NOENT;
	name[0] = '\0';
	nl = nftrules_nl_open();
	if (!nl)
		return CKQ_ERR_IO;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_IPSET << 8 | IPSET_CMD_GET_BYINDEX;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_IPV4;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	mnl_attr_put_u16(nlh, IPSET_ATTR_INDEX | NLA_F_NET_BYTEORDER, htons((uint16_t)idx));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	/* The answer, then the acknowledgement (or an error in its place). */
	for (int i = 0; i < 4; i++) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		r = mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl), byindex_cb, &b);
		if (r <= MNL_CB_STOP)
			break;
	}
	r = b.found ? 0 : r == MNL_CB_ERROR && errno != EPERM ? CKQ_ERR_NOENT : CKQ_ERR_IO;
out:
	nftrules_nl_close(nl);
	return r;
}

/* --- the layouts ------------------------------------------------------------ */

static bool fam_ok(uint8_t have, uint8_t want)
{
	return have == want || have == NFPROTO_INET;
}

static const struct nftrules_chain *find_chain(const struct nftrules_ruleset *rs, uint8_t family,
					       const char *table, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nchains; i++)
		if (rs->chains[i].family == family && !strcmp(rs->chains[i].table, table) &&
		    !strcmp(rs->chains[i].name, name))
			return &rs->chains[i];
	return NULL;
}

static const struct nftrules_chain *reached(const struct nftrules_ruleset *rs, uint8_t family,
					    const char *table, const char *chain,
					    const struct nftrules_rule **jump, int depth)
{
	const struct nftrules_chain *c = find_chain(rs, family, table, chain), *b;
	const struct nftrules_rule *j;
	size_t i;

	*jump = NULL;
	if (c && c->base)
		return c;
	if (depth > 4)	/* a loop, or deeper than any layout of rules/ */
		return NULL;
	for (i = 0; i < rs->nrules; i++) {
		const struct nftrules_rule *r = &rs->rules[i];

		if (r->family != family || strcmp(r->table, table) ||
		    (r->verdict != NFTRULES_JUMP && r->verdict != NFTRULES_GOTO) ||
		    strcmp(r->target, chain))
			continue;
		b = reached(rs, family, table, r->chain, &j, depth + 1);
		if (b) {
			*jump = j ? j : r;	/* the jump that leaves the base chain */
			return b;
		}
	}
	return NULL;
}

const struct nftrules_chain *nftrules_reached(const struct nftrules_ruleset *rs, uint8_t family,
					      const char *table, const char *chain,
					      const struct nftrules_rule **jump)
{
	return reached(rs, family, table, chain, jump, 0);
}

static bool port_in(const struct nftrules_rule *r, uint16_t port)
{
	uint8_t i;
	bool in = false;

	if (r->has_dport)
		return (r->dport_lo <= port && port <= r->dport_hi) != r->dport_inv;
	for (i = 0; i < r->nmports && !in; i++)
		in = r->mport_lo[i] <= port && port <= r->mport_hi[i];
	return r->nmports && in != r->mports_inv;
}

/* A rule that lets a new connection to proto/port in, past what comes after. */
static bool accepts(const struct nftrules_rule *r, uint8_t proto, uint16_t port)
{
	return r->verdict == NFTRULES_ACCEPT && !r->established && r->set < 0 &&
	       (!r->proto || r->proto == proto) && port_in(r, port);
}

size_t nftrules_uses(const struct nftrules_ruleset *rs, uint8_t family, int set, uint8_t proto,
		     uint16_t port, struct nftrules_use *out, size_t max)
{
	size_t i, k, n = 0;

	for (i = 0; i < rs->nrules; i++) {
		const struct nftrules_rule *r = &rs->rules[i], *stop;
		struct nftrules_use u = { .rule = r };

		if (!fam_ok(r->family, family) || r->set != set)
			continue;
		if (!r->set_inv && r->verdict == NFTRULES_ACCEPT)
			u.form = NFTRULES_OPENS;
		else if (r->set_inv && r->verdict == NFTRULES_DROP)
			u.form = NFTRULES_GATES;
		else
			continue;
		if (r->has_origdport)
			u.port = r->origdport;
		else if (r->has_dport && !r->dport_inv && r->dport_lo == r->dport_hi)
			u.port = r->dport_lo;
		u.base = nftrules_reached(rs, r->family, r->table, r->chain, &u.jump);
		stop = u.jump ? u.jump : r;
		for (k = 0; u.base && &rs->rules[k] != stop && k < rs->nrules; k++) {
			const struct nftrules_rule *x = &rs->rules[k];

			if (x->family == u.base->family && !strcmp(x->table, u.base->table) &&
			    !strcmp(x->chain, u.base->name) && accepts(x, proto, port)) {
				u.first = x;
				break;
			}
		}
		if (n < max)
			out[n] = u;
		n++;
	}
	return n;
}
