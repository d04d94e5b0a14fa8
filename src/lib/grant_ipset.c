/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libipset/linux_ip_set.h>
#include <libipset/linux_ip_set_hash.h>
#include <libipset/session.h>
#include <libipset/errcode.h>

#include "buf.h"
#include "err.h"
#include "grant_impl.h"

/* Every ipset-capable kernel accepts 6; 7 only adds set indexes we never use. */
#define GRANT_PROTOCOL IPSET_PROTOCOL_MIN
#define GRANT_REQBUF 512

struct gi {
	struct grant base;
	struct ipset_session *texts;	/* only to word errors as ipset(8) does */
	struct grant_nl nl;
};

/*
 * Our sets are all hash:ip, but libipset only words type-specific codes
 * after it ran a command itself, which we never let it do.
 */
static const struct {
	int code;
	const char *text;
} hash_texts[] = {
	{ IPSET_ERR_HASH_FULL, "Hash is full, cannot add more elements" },
	{ IPSET_ERR_HASH_ELEM,
	  "Null-valued element, cannot be stored in a hash type of set" },
};

static int kernel_fail(struct gi *g, enum ipset_cmd cmd, int code)
{
	const char *t;
	size_t i, n;

	for (i = 0; i < sizeof(hash_texts) / sizeof(hash_texts[0]); i++) {
		if (hash_texts[i].code == code) {
			grant_msg(&g->base, "%s", hash_texts[i].text);
			return CKQ_ERR_IPSET;
		}
	}
	ipset_session_report_reset(g->texts);
	ipset_errcode(g->texts, cmd, code);
	t = ipset_session_report_msg(g->texts);
	n = strcspn(t, "\n");
	grant_msg(&g->base, "%.*s", (int)n, t);
	return code == ENOENT ? CKQ_ERR_NOENT : CKQ_ERR_IPSET;
}

static struct nlmsghdr *req_start(struct gi *g, void *buf, uint8_t cmd,
				  uint16_t flags, uint8_t nfproto)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = NFNL_SUBSYS_IPSET << 8 | cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++g->nl.seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = nfproto;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	if (!mnl_attr_put_u8_check(nlh, GRANT_REQBUF, IPSET_ATTR_PROTOCOL,
				   GRANT_PROTOCOL))
		return NULL;
	return nlh;
}

/* A reply of talk() to cmd: 0 (the message cleared), or the failure worded. */
static int answer(struct gi *g, enum ipset_cmd cmd, int r)
{
	if (r > 0)
		return kernel_fail(g, cmd, r);
	if (!r)
		g->base.msg[0] = '\0';
	return r;
}

/* One request, whose data replies are messages of type cmd. */
static int talk(struct gi *g, struct nlmsghdr *req, uint8_t cmd,
		grant_nl_cb cb, void *arg)
{
	return grant_nl_talk(&g->base, &g->nl, req, req->nlmsg_len, req->nlmsg_seq,
			     req->nlmsg_seq, NFNL_SUBSYS_IPSET << 8 | cmd, cb, arg);
}

static void gi_close(struct grant *gg)
{
	struct gi *g = (struct gi *)gg;

	if (!g)
		return;
	grant_nl_close(&g->nl);
	if (g->texts)
		ipset_session_fini(g->texts);
	free(g);
}

static struct grant *gi_open(void)
{
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct gi *g;
	int r, saved;

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	if (grant_nl_open(&g->nl) < 0)
		goto fail;
	g->texts = ipset_session_init(NULL, NULL);
	if (!g->texts) {
		errno = ENOMEM;
		goto fail;
	}
	/* Fail at daemon start, not at the first grant, without CAP_NET_ADMIN. */
	nlh = req_start(g, buf, IPSET_CMD_PROTOCOL, NLM_F_ACK, NFPROTO_UNSPEC);
	r = nlh ? talk(g, nlh, IPSET_CMD_PROTOCOL, NULL, NULL) : CKQ_ERR_INTERNAL;
	if (r) {
		errno = r > 0 && r < IPSET_ERR_PRIVATE ? r : EPROTO;
		goto fail;
	}
	return &g->base;
fail:
	saved = errno;
	gi_close(&g->base);
	errno = saved;
	return NULL;
}

/*
 * The request of an add, del or test of addr in set (an add's with its
 * timeout and comment), answered as talk() answers.
 */
static int adt(struct gi *g, uint8_t cmd, uint16_t flags, const char *set,
	       const struct ckq_addr *addr, uint32_t timeout_s,
	       const char *comment)
{
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	bool v4 = addr->family == CKQ_AF_INET;
	struct nlattr *data = NULL, *ip = NULL;
	struct nlmsghdr *nlh;

	nlh = req_start(g, buf, cmd, flags, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (nlh && mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
					   IPSET_ATTR_SETNAME, set))
		data = mnl_attr_nest_start_check(nlh, GRANT_REQBUF,
						 IPSET_ATTR_DATA);
	if (data)
		ip = mnl_attr_nest_start_check(nlh, GRANT_REQBUF, IPSET_ATTR_IP);
	if (!ip || !mnl_attr_put_check(nlh, GRANT_REQBUF,
				       (v4 ? IPSET_ATTR_IPADDR_IPV4 :
					     IPSET_ATTR_IPADDR_IPV6) |
				       NLA_F_NET_BYTEORDER,
				       addr_len(addr), addr->a))
		goto too_long;
	mnl_attr_nest_end(nlh, ip);
	if ((timeout_s && !mnl_attr_put_u32_check(nlh, GRANT_REQBUF,
						  IPSET_ATTR_TIMEOUT |
						  NLA_F_NET_BYTEORDER,
						  htonl(timeout_s))) ||
	    (comment && !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
						 IPSET_ATTR_COMMENT, comment)))
		goto too_long;
	mnl_attr_nest_end(nlh, data);
	return talk(g, nlh, cmd, NULL, NULL);
too_long:
	grant_msg(&g->base, "request does not fit");
	return CKQ_ERR_INTERNAL;
}

static int gi_add(struct grant *gg, const char *set, const struct ckq_addr *addr,
		  uint32_t timeout_s, const char *comment)
{
	struct gi *g = (struct gi *)gg;
	/* Without NLM_F_EXCL the kernel updates an existing entry (-exist). */
	int r = adt(g, IPSET_CMD_ADD, NLM_F_ACK, set, addr, timeout_s, comment);

	return answer(g, IPSET_CMD_ADD, r);
}

static int gi_del(struct grant *gg, const char *set, const struct ckq_addr *addr)
{
	struct gi *g = (struct gi *)gg;
	/* NLM_F_EXCL makes the kernel report an absent entry. */
	int r = adt(g, IPSET_CMD_DEL, NLM_F_ACK | NLM_F_EXCL, set, addr, 0, NULL);

	if (r == IPSET_ERR_EXIST) {
		kernel_fail(g, IPSET_CMD_DEL, r);
		return CKQ_ERR_NOENT;
	}
	return answer(g, IPSET_CMD_DEL, r);
}

static int gi_test(struct grant *gg, const char *set, const struct ckq_addr *addr)
{
	struct gi *g = (struct gi *)gg;
	int r = adt(g, IPSET_CMD_TEST, NLM_F_ACK, set, addr, 0, NULL);

	if (r < 0)
		return r;
	g->base.msg[0] = '\0';
	if (r == 0)
		return 1;
	if (r == IPSET_ERR_EXIST)
		return 0;
	return kernel_fail(g, IPSET_CMD_TEST, r);
}

/*
 * Keeps a validated attribute in tb; the callers below pick the types they
 * know and skip the rest, so attributes newer than this code do no harm.
 */
static int attr_keep(const struct nlattr *a, void *data,
		     enum mnl_attr_data_type kind, size_t len)
{
	const struct nlattr **tb = data;

	if (kind == MNL_TYPE_NUL_STRING) {
		if (mnl_attr_validate(a, kind) < 0 ||
		    mnl_attr_get_payload_len(a) > len)
			return MNL_CB_ERROR;
	} else if ((len ? mnl_attr_validate2(a, kind, len) :
			  mnl_attr_validate(a, kind)) < 0) {
		return MNL_CB_ERROR;
	}
	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int cmd_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_SETNAME:
		return attr_keep(a, data, MNL_TYPE_NUL_STRING, IPSET_MAXNAMELEN);
	case IPSET_ATTR_ADT:
		return attr_keep(a, data, MNL_TYPE_NESTED, 0);
	}
	return MNL_CB_OK;
}

static int adt_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_IP:
		return attr_keep(a, data, MNL_TYPE_NESTED, 0);
	case IPSET_ATTR_TIMEOUT:
		return attr_keep(a, data, MNL_TYPE_U32, 0);
	case IPSET_ATTR_COMMENT:
		return attr_keep(a, data, MNL_TYPE_NUL_STRING,
				 IPSET_MAX_COMMENT_SIZE + 1);
	}
	return MNL_CB_OK;
}

static int ipaddr_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_IPADDR_IPV4:
		return attr_keep(a, data, MNL_TYPE_BINARY, 4);
	case IPSET_ATTR_IPADDR_IPV6:
		return attr_keep(a, data, MNL_TYPE_BINARY, 16);
	}
	return MNL_CB_OK;
}

/* Parses the fixed nfgenmsg and the command-level attributes of one reply. */
static int parse_cmd(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg) ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), cmd_attr_cb,
			   tb) < MNL_CB_OK || !tb[IPSET_ATTR_SETNAME])
		return -1;
	return 0;
}

struct list_ctx {
	struct gi *g;
	const char *set;
	grant_list_cb cb;
	void *arg;
	int user_ret;
};

static int list_elem(void *arg, const struct nlattr *elem)
{
	struct list_ctx *x = arg;
	const struct nlattr *etb[IPSET_ATTR_ADT_MAX + 1] = { NULL };
	const struct nlattr *itb[IPSET_ATTR_IPADDR_MAX + 1] = { NULL };
	char comment[IPSET_MAX_COMMENT_SIZE + 1];
	struct ckq_addr addr = { 0 };
	const struct nlattr *ip;
	uint32_t timeout = 0;
	struct cur c;

	if (mnl_attr_validate(elem, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(elem, adt_attr_cb, etb) < MNL_CB_OK ||
	    !etb[IPSET_ATTR_IP] ||
	    mnl_attr_parse_nested(etb[IPSET_ATTR_IP], ipaddr_attr_cb,
				  itb) < MNL_CB_OK)
		return grant_bad_reply(&x->g->base);
	ip = itb[IPSET_ATTR_IPADDR_IPV4];
	addr.family = CKQ_AF_INET;
	if (!ip) {
		ip = itb[IPSET_ATTR_IPADDR_IPV6];
		addr.family = CKQ_AF_INET6;
	}
	if (!ip)
		return grant_bad_reply(&x->g->base);
	c = cur_init(mnl_attr_get_payload(ip), mnl_attr_get_payload_len(ip));
	if (!cur_copy(&c, addr.a, addr_len(&addr)))
		return grant_bad_reply(&x->g->base);
	if (etb[IPSET_ATTR_TIMEOUT]) {
		c = cur_init(mnl_attr_get_payload(etb[IPSET_ATTR_TIMEOUT]),
			     mnl_attr_get_payload_len(etb[IPSET_ATTR_TIMEOUT]));
		timeout = cur_u32(&c);
	}
	/* The kernel's comment, made safe to print on a terminal or in a log. */
	if (etb[IPSET_ATTR_COMMENT])
		grant_printable(comment, sizeof(comment),
				mnl_attr_get_payload(etb[IPSET_ATTR_COMMENT]),
				mnl_attr_get_payload_len(etb[IPSET_ATTR_COMMENT]));
	else
		comment[0] = '\0';
	/* Its non-zero return stops the walk; talk() still drains the dump. */
	x->user_ret = x->cb ? x->cb(&addr, timeout, comment, x->arg) : 0;
	return x->user_ret ? 1 : 0;
}

static int list_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	struct list_ctx *x = arg;

	if (parse_cmd(nlh, tb) < 0)
		return grant_bad_reply(&x->g->base);
	if (strcmp(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), x->set) ||
	    !tb[IPSET_ATTR_ADT])
		return 0;
	return grant_nl_each(tb[IPSET_ATTR_ADT], IPSET_ATTR_DATA, list_elem, x);
}

static int gi_list(struct grant *gg, const char *set, grant_list_cb cb, void *arg)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct list_ctx x = { .g = g, .set = set, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int r;

	nlh = req_start(g, buf, IPSET_CMD_LIST, NLM_F_DUMP, NFPROTO_UNSPEC);
	if (!nlh || !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
					     IPSET_ATTR_SETNAME, set)) {
		grant_msg(&g->base, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	r = talk(g, nlh, IPSET_CMD_LIST, list_msg, &x);
	r = answer(g, IPSET_CMD_LIST, r);
	return r ? r : x.user_ret;
}

struct sets_ctx {
	struct gi *g;
	grant_set_cb cb;
	void *arg;
	int user_ret;
};

static int sets_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	struct sets_ctx *x = arg;
	const char *name;

	if (parse_cmd(nlh, tb) < 0)
		return grant_bad_reply(&x->g->base);
	name = mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]);
	x->user_ret = x->cb(name, x->arg);
	return x->user_ret ? 1 : 0;
}

static int gi_list_sets(struct grant *gg, grant_set_cb cb, void *arg)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct sets_ctx x = { .g = g, .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int r;

	nlh = req_start(g, buf, IPSET_CMD_LIST, NLM_F_DUMP, NFPROTO_UNSPEC);
	if (!nlh || !mnl_attr_put_u32_check(nlh, GRANT_REQBUF,
					    IPSET_ATTR_FLAGS |
					    NLA_F_NET_BYTEORDER,
					    htonl(IPSET_FLAG_LIST_SETNAME))) {
		grant_msg(&g->base, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	r = talk(g, nlh, IPSET_CMD_LIST, sets_msg, &x);
	r = answer(g, IPSET_CMD_LIST, r);
	return r ? r : x.user_ret;
}

struct info_ctx {
	struct gi *g;
	const char *set;
	uint32_t refs;
	uint8_t family;
	bool found;
};

static int header_attr_cb(const struct nlattr *a, void *data)
{
	switch (mnl_attr_get_type(a)) {
	case IPSET_ATTR_SETNAME:
		return attr_keep(a, data, MNL_TYPE_NUL_STRING, IPSET_MAXNAMELEN);
	case IPSET_ATTR_FAMILY:
		return attr_keep(a, data, MNL_TYPE_U8, 0);
	case IPSET_ATTR_DATA:
		return attr_keep(a, data, MNL_TYPE_NESTED, 0);
	}
	return MNL_CB_OK;
}

static int create_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IPSET_ATTR_REFERENCES)
		return attr_keep(a, data, MNL_TYPE_U32, 0);
	return MNL_CB_OK;
}

/* The first message of a set's listing carries its header in DATA. */
static int info_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { NULL };
	const struct nlattr *dtb[IPSET_ATTR_CREATE_MAX + 1] = { NULL };
	struct info_ctx *x = arg;
	struct cur c;
	uint8_t fam;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg) ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), header_attr_cb,
			   tb) < MNL_CB_OK || !tb[IPSET_ATTR_SETNAME])
		return grant_bad_reply(&x->g->base);
	if (strcmp(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), x->set) ||
	    !tb[IPSET_ATTR_DATA] || x->found)
		return 0;
	if (mnl_attr_parse_nested(tb[IPSET_ATTR_DATA], create_attr_cb,
				  dtb) < MNL_CB_OK || !dtb[IPSET_ATTR_REFERENCES])
		return grant_bad_reply(&x->g->base);
	c = cur_init(mnl_attr_get_payload(dtb[IPSET_ATTR_REFERENCES]),
		     mnl_attr_get_payload_len(dtb[IPSET_ATTR_REFERENCES]));
	x->refs = cur_u32(&c);
	fam = tb[IPSET_ATTR_FAMILY] ? mnl_attr_get_u8(tb[IPSET_ATTR_FAMILY]) : 0;
	x->family = fam == NFPROTO_IPV4 ? CKQ_AF_INET :
		    fam == NFPROTO_IPV6 ? CKQ_AF_INET6 : 0;
	x->found = true;
	return 0;
}

static int gi_set_info(struct grant *gg, const char *set, uint32_t *refs,
		       uint8_t *family)
{
	struct gi *g = (struct gi *)gg;
	uint8_t buf[GRANT_REQBUF] __attribute__((aligned(4))) = { 0 };
	struct info_ctx x = { .g = g, .set = set };
	struct nlmsghdr *nlh;
	int r;

	/* A listing without members: the header alone, whatever the set holds. */
	nlh = req_start(g, buf, IPSET_CMD_LIST, NLM_F_DUMP, NFPROTO_UNSPEC);
	if (!nlh || !mnl_attr_put_strz_check(nlh, GRANT_REQBUF,
					     IPSET_ATTR_SETNAME, set) ||
	    !mnl_attr_put_u32_check(nlh, GRANT_REQBUF,
				    IPSET_ATTR_FLAGS | NLA_F_NET_BYTEORDER,
				    htonl(IPSET_FLAG_LIST_HEADER))) {
		grant_msg(&g->base, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	r = answer(g, IPSET_CMD_LIST, talk(g, nlh, IPSET_CMD_LIST, info_msg, &x));
	if (r)
		return r;
	if (!x.found)
		return grant_bad_reply(&g->base);
	*refs = x.refs;
	*family = x.family;
	return 0;
}

const struct grant_ops grant_ipset_ops = {
	.open = gi_open,
	.close = gi_close,
	.add = gi_add,
	.del = gi_del,
	.test = gi_test,
	.list = gi_list,
	.list_sets = gi_list_sets,
	.set_info = gi_set_info,
};
