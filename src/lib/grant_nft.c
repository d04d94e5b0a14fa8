/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "buf.h"
#include "err.h"
#include "grant_impl.h"

/*
 * Grants as elements of the sets of "table inet ckq" (rules/ckq.nft).
 * Requests are built with libnftnl; replies are read with libmnl through
 * the bounds-checked cursor, as nftrules.c reads them. The words of every
 * failure follow ipset(8)'s, so logs and ckq-admin read the same whichever
 * backend runs.
 */

#define GN_TB 32	/* more than any NFTA_*_MAX we read */
/* nft(8)'s names for the key types of "type ipv4_addr" and "type ipv6_addr". */
#define GN_TYPE_IPADDR 7
#define GN_TYPE_IP6ADDR 8

struct gn {
	struct grant base;
	struct grant_nl nl;
};

typedef grant_nl_cb gn_cb;

static int no_set(struct gn *g)
{
	grant_msg(&g->base, "The set with the given name does not exist");
	return CKQ_ERR_NOENT;
}

/* A kernel errno in the words ipset(8) uses for the same failure. */
static int kernel_fail(struct gn *g, int code)
{
	switch (code) {
	case ENOENT:
		return no_set(g);
	case ENFILE:
		grant_msg(&g->base, "Set is full, cannot add more elements");
		return CKQ_ERR_IPSET;
	case EPERM:
		grant_msg(&g->base, "Operation not permitted (CAP_NET_ADMIN)");
		return CKQ_ERR_IPSET;
	case EINVAL:
		grant_msg(&g->base, "Syntax error: the set does not hold this address family, or has no timeout flag");
		return CKQ_ERR_IPSET;
	}
	grant_msg(&g->base, "Kernel error received: %s", strerror(code));
	return CKQ_ERR_IPSET;
}

/* A reply of talk(): 0 (the message cleared), or the failure worded. */
static int answer(struct gn *g, int r)
{
	if (r > 0)
		return kernel_fail(g, r);
	if (!r)
		g->base.msg[0] = '\0';
	return r;
}

static int talk(struct gn *g, const void *req, size_t len, uint32_t first,
		uint32_t last, gn_cb cb, void *arg)
{
	return grant_nl_talk(&g->base, &g->nl, req, len, first, last, 0, cb, arg);
}

/* One element of set in table inet ckq, with what add needs. NULL: no memory. */
static struct nftnl_set *elem_set(const char *set, const struct ckq_addr *addr,
				  uint32_t timeout_s, const char *comment)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nftnl_udata_buf *ud = NULL;

	if (!s || !e || nftnl_set_set_str(s, NFTNL_SET_TABLE, GRANT_NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0 ||
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, addr->a, addr_len(addr)) < 0)
		goto fail;
	if (timeout_s)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT,
				       (uint64_t)timeout_s * 1000);
	/* As nft(8) stores "comment": a NUL-terminated string in user data. */
	if (comment) {
		ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT,
						 comment) ||
		    nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
				       nftnl_udata_buf_data(ud),
				       nftnl_udata_buf_len(ud)) < 0)
			goto fail;
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(s, e);
	return s;
fail:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (e)
		nftnl_set_elem_free(e);
	if (s)
		nftnl_set_free(s);
	return NULL;
}

/* Appends one request for s to buf at *off; false when it does not fit. */
static bool put_msg(uint8_t *buf, size_t size, size_t *off, uint16_t type,
		    uint16_t flags, uint32_t seq, struct nftnl_set *s)
{
	struct nlmsghdr *nlh;

	/* libnftnl writes without bounds: keep a page for one small message. */
	if (size - *off < GRANT_NFT_MSG_MAX)
		return false;
	nlh = nftnl_nlmsg_build_hdr((char *)buf + *off, type, NFPROTO_INET,
				    flags, seq);
	if (type == NFT_MSG_NEWSETELEM || type == NFT_MSG_DELSETELEM ||
	    type == NFT_MSG_GETSETELEM)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	else
		nftnl_set_nlmsg_build_payload(nlh, s);
	/* Bounded by grant.c's checks of the name and comment; never trust more. */
	if (nlh->nlmsg_len > GRANT_NFT_MSG_MAX)
		return false;
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
	return true;
}

static bool put_batch(uint8_t *buf, size_t size, size_t *off, bool begin,
		      uint32_t seq)
{
	struct nlmsghdr *nlh;

	if (size - *off < GRANT_NFT_MSG_MAX)
		return false;
	nlh = begin ? nftnl_batch_begin((char *)buf + *off, seq) :
		      nftnl_batch_end((char *)buf + *off, seq);
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
	return true;
}

/*
 * nf_tables keeps an element's first timeout and comment when it is added
 * again, so a refresh is add (if absent), delete, add, in one transaction:
 * the kernel commits all three or none, and the address is never out of
 * the set in between.
 */
ssize_t grant_nft_build_add(uint8_t *buf, size_t size, uint32_t seq,
			    const char *set, const struct ckq_addr *addr,
			    uint32_t timeout_s, const char *comment)
{
	struct nftnl_set *s = elem_set(set, addr, timeout_s, comment);
	struct nftnl_set *k = elem_set(set, addr, 0, NULL);
	size_t off = 0;
	bool ok;

	ok = s && k && put_batch(buf, size, &off, true, seq) &&
	     put_msg(buf, size, &off, NFT_MSG_NEWSETELEM,
		     NLM_F_CREATE | NLM_F_ACK, seq + 1, s) &&
	     put_msg(buf, size, &off, NFT_MSG_DELSETELEM, NLM_F_ACK, seq + 2, k) &&
	     put_msg(buf, size, &off, NFT_MSG_NEWSETELEM,
		     NLM_F_CREATE | NLM_F_ACK, seq + 3, s) &&
	     put_batch(buf, size, &off, false, seq + 4);
	if (s)
		nftnl_set_free(s);
	if (k)
		nftnl_set_free(k);
	return ok ? (ssize_t)off : CKQ_ERR_INTERNAL;
}

ssize_t grant_nft_build_del(uint8_t *buf, size_t size, uint32_t seq,
			    const char *set, const struct ckq_addr *addr)
{
	struct nftnl_set *k = elem_set(set, addr, 0, NULL);
	size_t off = 0;
	bool ok;

	ok = k && put_batch(buf, size, &off, true, seq) &&
	     put_msg(buf, size, &off, NFT_MSG_DELSETELEM, NLM_F_ACK, seq + 1, k) &&
	     put_batch(buf, size, &off, false, seq + 2);
	if (k)
		nftnl_set_free(k);
	return ok ? (ssize_t)off : CKQ_ERR_INTERNAL;
}

/* The sequence numbers a request of n messages takes from g. */
static uint32_t take_seq(struct gn *g, uint32_t n)
{
	uint32_t first = g->nl.seq + 1;

	/* Wrapping would make "first..last" an empty range. */
	if (first + n < first)
		first = 1;
	g->nl.seq = first + n - 1;
	return first;
}

/* A request naming only table inet ckq and set (elements: none). */
static int simple_req(struct gn *g, uint16_t type, uint16_t flags, const char *set,
		      const struct ckq_addr *addr, gn_cb cb, void *arg)
{
	uint8_t buf[GRANT_NFT_MSG_MAX] __attribute__((aligned(4)));
	struct nftnl_set *s;
	uint32_t seq = take_seq(g, 1);
	size_t off = 0;
	bool ok;

	if (addr) {
		s = elem_set(set, addr, 0, NULL);
	} else {
		s = nftnl_set_alloc();
		if (s && ((set && nftnl_set_set_str(s, NFTNL_SET_NAME, set) < 0) ||
			  nftnl_set_set_str(s, NFTNL_SET_TABLE, GRANT_NFT_TABLE) < 0)) {
			nftnl_set_free(s);
			s = NULL;
		}
	}
	memset(buf, 0, sizeof(buf));
	ok = s && put_msg(buf, sizeof(buf), &off, type, flags, seq, s);
	if (s)
		nftnl_set_free(s);
	if (!ok) {
		grant_msg(&g->base, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	return talk(g, buf, off, seq, seq, cb, arg);
}

static void gn_close(struct grant *gg)
{
	struct gn *g = (struct gn *)gg;

	if (!g)
		return;
	grant_nl_close(&g->nl);
	free(g);
}

static struct grant *gn_open(void)
{
	uint8_t buf[256] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct gn *g;
	int r, saved;

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	if (grant_nl_open(&g->nl) < 0)
		goto fail;
	/* Fail at daemon start, not at the first grant, without CAP_NET_ADMIN. */
	nlh = nftnl_nlmsg_build_hdr((char *)buf, NFT_MSG_GETGEN, AF_UNSPEC,
				    NLM_F_ACK, take_seq(g, 1));
	r = talk(g, nlh, nlh->nlmsg_len, nlh->nlmsg_seq, nlh->nlmsg_seq, NULL, NULL);
	if (r) {
		errno = r > 0 ? r : EPROTO;
		goto fail;
	}
	return &g->base;
fail:
	saved = errno;
	gn_close(&g->base);
	errno = saved;
	return NULL;
}

/* Whether set exists: 1, 0, or a negative CKQ_ERR_*. */
static int set_exists(struct gn *g, const char *set)
{
	int r = simple_req(g, NFT_MSG_GETSET, NLM_F_ACK, set, NULL, NULL, NULL);

	if (r == ENOENT)
		return 0;
	if (r > 0)
		return kernel_fail(g, r);
	return r < 0 ? r : 1;
}

/*
 * One transaction on addr in set: an add that creates or refreshes it
 * (timeout_s > 0), else a delete. The last message's ack is the last word
 * (begin and end ask none); an error may come for any message, the
 * begin's included. talk()'s answer.
 */
static int batch(struct gn *g, const char *set, const struct ckq_addr *addr,
		 uint32_t timeout_s, const char *comment)
{
	uint8_t buf[6 * GRANT_NFT_MSG_MAX] __attribute__((aligned(4)));
	uint32_t n = timeout_s ? 5 : 3, seq = take_seq(g, n);
	ssize_t len;

	memset(buf, 0, sizeof(buf));
	len = timeout_s ? grant_nft_build_add(buf, sizeof(buf), seq, set, addr,
					      timeout_s, comment) :
			  grant_nft_build_del(buf, sizeof(buf), seq, set, addr);
	if (len < 0) {
		grant_msg(&g->base, "request does not fit");
		return CKQ_ERR_INTERNAL;
	}
	return talk(g, buf, (size_t)len, seq, seq + n - 2, NULL, NULL);
}

static int gn_add(struct grant *gg, const char *set, const struct ckq_addr *addr,
		  uint32_t timeout_s, const char *comment)
{
	struct gn *g = (struct gn *)gg;

	return answer(g, batch(g, set, addr, timeout_s, comment));
}

static int gn_del(struct grant *gg, const char *set, const struct ckq_addr *addr)
{
	struct gn *g = (struct gn *)gg;
	int r = batch(g, set, addr, 0, NULL);

	if (r == ENOENT) {
		r = set_exists(g, set);
		if (r < 0)
			return r;
		if (!r)
			return no_set(g);
		grant_msg(gg, "Element cannot be deleted from the set: it's not added");
		return CKQ_ERR_NOENT;
	}
	return answer(g, r);
}

static int gn_test(struct grant *gg, const char *set, const struct ckq_addr *addr)
{
	struct gn *g = (struct gn *)gg;
	int r;

	r = simple_req(g, NFT_MSG_GETSETELEM, NLM_F_ACK, set, addr, NULL, NULL);
	if (r == 0)
		return 1;
	/* EINVAL: a key of the other family, which ipset calls absent too. */
	if (r == ENOENT || r == EINVAL) {
		r = set_exists(g, set);
		if (r < 0)
			return r;
		return r ? 0 : no_set(g);
	}
	return answer(g, r);
}

static int keep_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < GN_TB)
		tb[type] = a;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *a, const struct nlattr **tb)
{
	memset(tb, 0, GN_TB * sizeof(*tb));
	if (!a || mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(a, keep_attr, tb) < MNL_CB_OK)
		return -1;
	return 0;
}

/* The nfgenmsg and top-level attributes of a reply, and its family. */
static int parse_msg(const struct nlmsghdr *nlh, const struct nlattr **tb,
		     uint8_t *family)
{
	struct cur c = cur_init(mnl_nlmsg_get_payload(nlh),
				mnl_nlmsg_get_payload_len(nlh));
	struct nfgenmsg nfg;

	memset(tb, 0, GN_TB * sizeof(*tb));
	if (!cur_copy(&c, &nfg, sizeof(nfg)) ||
	    mnl_attr_parse(nlh, sizeof(nfg), keep_attr, tb) < MNL_CB_OK)
		return -1;
	*family = nfg.nfgen_family;
	return 0;
}

static bool str_is(const struct nlattr *a, const char *want)
{
	size_t n = strlen(want) + 1;

	return a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
	       mnl_attr_get_payload_len(a) == n &&
	       !memcmp(mnl_attr_get_payload(a), want, n);
}

static bool get_be32(const struct nlattr *a, uint32_t *v)
{
	struct cur c = cur_init(a ? mnl_attr_get_payload(a) : NULL,
				a ? mnl_attr_get_payload_len(a) : 0);

	if (!a || cur_left(&c) != 4)
		return false;
	*v = cur_u32(&c);
	return true;
}

static bool get_be64(const struct nlattr *a, uint64_t *v)
{
	struct cur c = cur_init(a ? mnl_attr_get_payload(a) : NULL,
				a ? mnl_attr_get_payload_len(a) : 0);
	uint64_t hi, lo;

	if (!a || cur_left(&c) != 8)
		return false;
	hi = cur_u32(&c);
	lo = cur_u32(&c);
	*v = hi << 32 | lo;
	return true;
}

/*
 * The comment out of an element's user data (type-length-value records of
 * a byte each, as libnftnl lays them), made safe to print; "" if none.
 */
void grant_nft_comment(const void *udata, size_t len, char *out, size_t out_size)
{
	struct cur c = cur_init(udata, len);

	out[0] = '\0';
	while (cur_left(&c) >= 2) {
		uint8_t type = cur_u8(&c), n = cur_u8(&c);

		if (cur_left(&c) < n)
			return;
		if (type != NFTNL_UDATA_SET_ELEM_COMMENT) {
			cur_take(&c, n);
			continue;
		}
		grant_printable(out, out_size, cur_take(&c, n), n);
		return;
	}
}

struct list_ctx {
	struct gn *g;
	const char *set;
	grant_list_cb cb;
	void *arg;
	int user_ret;
};

static int list_elem(void *arg, const struct nlattr *elem)
{
	struct list_ctx *x = arg;
	const struct nlattr *etb[GN_TB], *ktb[GN_TB];
	char comment[NFTNL_UDATA_COMMENT_MAXLEN + 1];
	struct ckq_addr addr = { 0 };
	uint32_t left = 0;
	uint64_t ms;
	struct cur c;
	size_t n;

	if (parse_nested(elem, etb) < 0 ||
	    parse_nested(etb[NFTA_SET_ELEM_KEY], ktb) < 0 ||
	    !ktb[NFTA_DATA_VALUE])
		return grant_bad_reply(&x->g->base);
	c = cur_init(mnl_attr_get_payload(ktb[NFTA_DATA_VALUE]),
		     mnl_attr_get_payload_len(ktb[NFTA_DATA_VALUE]));
	n = cur_left(&c);
	addr.family = n == 4 ? CKQ_AF_INET : n == 16 ? CKQ_AF_INET6 : 0;
	if (!addr.family || !cur_copy(&c, addr.a, n))
		return grant_bad_reply(&x->g->base);
	/* As ipset reports it: whole seconds left, at least 1 while present. */
	if (etb[NFTA_SET_ELEM_EXPIRATION]) {
		if (!get_be64(etb[NFTA_SET_ELEM_EXPIRATION], &ms))
			return grant_bad_reply(&x->g->base);
		left = ms / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ms / 1000);
		if (!left)
			left = 1;
	}
	comment[0] = '\0';
	if (etb[NFTA_SET_ELEM_USERDATA])
		grant_nft_comment(mnl_attr_get_payload(etb[NFTA_SET_ELEM_USERDATA]),
				  mnl_attr_get_payload_len(etb[NFTA_SET_ELEM_USERDATA]),
				  comment, GRANT_COMMENT_MAX + 1);
	/* Its non-zero return stops the walk; talk() still drains the dump. */
	x->user_ret = x->cb ? x->cb(&addr, left, comment, x->arg) : 0;
	return x->user_ret ? 1 : 0;
}

static int list_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[GN_TB];
	struct list_ctx *x = arg;
	uint8_t family;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM))
		return 0;
	if (parse_msg(nlh, tb, &family) < 0)
		return grant_bad_reply(&x->g->base);
	if (family != NFPROTO_INET || !str_is(tb[NFTA_SET_ELEM_LIST_TABLE], GRANT_NFT_TABLE) ||
	    !str_is(tb[NFTA_SET_ELEM_LIST_SET], x->set) ||
	    !tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		return 0;
	if (mnl_attr_validate(tb[NFTA_SET_ELEM_LIST_ELEMENTS], MNL_TYPE_NESTED) < 0)
		return grant_bad_reply(&x->g->base);
	return grant_nl_each(tb[NFTA_SET_ELEM_LIST_ELEMENTS], NFTA_LIST_ELEM, list_elem, x);
}

static int gn_list(struct grant *gg, const char *set, grant_list_cb cb, void *arg)
{
	struct gn *g = (struct gn *)gg;
	struct list_ctx x = { .g = g, .set = set, .cb = cb, .arg = arg };
	int r;

	r = answer(g, simple_req(g, NFT_MSG_GETSETELEM, NLM_F_DUMP, set, NULL, list_msg, &x));
	return r ? r : x.user_ret;
}

struct sets_ctx {
	struct gn *g;
	const char *only;	/* set_info: the one set wanted */
	grant_set_cb cb;
	void *arg;
	int user_ret;
	bool found;
	uint8_t family;
};

static int sets_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[GN_TB];
	struct sets_ctx *x = arg;
	char name[GRANT_SETNAME_LEN];
	uint32_t type = 0, klen = 0;
	uint8_t family;
	size_t n;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET))
		return 0;
	if (parse_msg(nlh, tb, &family) < 0 || !tb[NFTA_SET_NAME] ||
	    mnl_attr_validate(tb[NFTA_SET_NAME], MNL_TYPE_NUL_STRING) < 0)
		return grant_bad_reply(&x->g->base);
	if (family != NFPROTO_INET || !str_is(tb[NFTA_SET_TABLE], GRANT_NFT_TABLE))
		return 0;
	n = mnl_attr_get_payload_len(tb[NFTA_SET_NAME]);
	if (!n || n > sizeof(name))
		return 0;	/* longer than any name of ours */
	memcpy(name, mnl_attr_get_payload(tb[NFTA_SET_NAME]), n);
	name[n - 1] = '\0';
	if (x->only) {
		if (strcmp(name, x->only))
			return 0;
		get_be32(tb[NFTA_SET_KEY_TYPE], &type);
		get_be32(tb[NFTA_SET_KEY_LEN], &klen);
		x->family = type == GN_TYPE_IPADDR && klen == 4 ? CKQ_AF_INET :
			    type == GN_TYPE_IP6ADDR && klen == 16 ? CKQ_AF_INET6 : 0;
		x->found = true;
		return 1;
	}
	x->user_ret = x->cb(name, x->arg);
	return x->user_ret ? 1 : 0;
}

static int gn_list_sets(struct grant *gg, grant_set_cb cb, void *arg)
{
	struct gn *g = (struct gn *)gg;
	struct sets_ctx x = { .g = g, .cb = cb, .arg = arg };
	int r;

	r = simple_req(g, NFT_MSG_GETSET, NLM_F_DUMP, NULL, NULL, sets_msg, &x);
	/* No table inet ckq: no sets, as ipset lists none when there are none. */
	if (r == ENOENT)
		r = 0;
	r = answer(g, r);
	return r ? r : x.user_ret;
}

struct refs_ctx {
	struct gn *g;
	const char *set;
	uint32_t refs;
};

/* Counts the lookup and dynset expressions of a rule naming x->set. */
static int refs_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[GN_TB], *etb[GN_TB], *dtb[GN_TB];
	struct refs_ctx *x = arg;
	const struct nlattr *e;
	uint8_t family;

	if (nlh->nlmsg_type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE))
		return 0;
	if (parse_msg(nlh, tb, &family) < 0)
		return grant_bad_reply(&x->g->base);
	if (family != NFPROTO_INET || !str_is(tb[NFTA_RULE_TABLE], GRANT_NFT_TABLE) ||
	    !tb[NFTA_RULE_EXPRESSIONS])
		return 0;
	if (mnl_attr_validate(tb[NFTA_RULE_EXPRESSIONS], MNL_TYPE_NESTED) < 0)
		return grant_bad_reply(&x->g->base);
	mnl_attr_for_each_nested(e, tb[NFTA_RULE_EXPRESSIONS]) {
		if (parse_nested(e, etb) < 0)
			return grant_bad_reply(&x->g->base);
		if (str_is(etb[NFTA_EXPR_NAME], "lookup")) {
			if (parse_nested(etb[NFTA_EXPR_DATA], dtb) < 0)
				return grant_bad_reply(&x->g->base);
			x->refs += str_is(dtb[NFTA_LOOKUP_SET], x->set);
		} else if (str_is(etb[NFTA_EXPR_NAME], "dynset")) {
			if (parse_nested(etb[NFTA_EXPR_DATA], dtb) < 0)
				return grant_bad_reply(&x->g->base);
			x->refs += str_is(dtb[NFTA_DYNSET_SET_NAME], x->set);
		}
	}
	return 0;
}

static int rules_req(struct gn *g, struct refs_ctx *x)
{
	uint8_t buf[GRANT_NFT_MSG_MAX] __attribute__((aligned(4))) = { 0 };
	uint32_t seq = take_seq(g, 1);
	struct nlmsghdr *nlh;

	/* The kernel dumps only this table's rules when it is named. */
	nlh = nftnl_nlmsg_build_hdr((char *)buf, NFT_MSG_GETRULE, NFPROTO_INET,
				    NLM_F_DUMP, seq);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, GRANT_NFT_TABLE);
	return talk(g, buf, nlh->nlmsg_len, seq, seq, refs_msg, x);
}

static int gn_set_info(struct grant *gg, const char *set, uint32_t *refs,
		       uint8_t *family)
{
	struct gn *g = (struct gn *)gg;
	struct sets_ctx x = { .g = g, .only = set };
	struct refs_ctx rx = { .g = g, .set = set };
	int r;

	r = answer(g, simple_req(g, NFT_MSG_GETSET, NLM_F_ACK, set, NULL, sets_msg, &x));
	if (r)
		return r;
	if (!x.found)
		return grant_bad_reply(&g->base);
	r = answer(g, rules_req(g, &rx));
	if (r)
		return r;
	*refs = rx.refs;
	*family = x.family;
	return 0;
}

const struct grant_ops grant_nft_ops = {
	.open = gn_open,
	.close = gn_close,
	.add = gn_add,
	.del = gn_del,
	.test = gn_test,
	.list = gn_list,
	.list_sets = gn_list_sets,
	.set_info = gn_set_info,
};
