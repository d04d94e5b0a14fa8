/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nft backend's requests, read back message by message: the batch
 * framing, the message types and flags the kernel acts on (an add that
 * refreshes is add, delete, add in one transaction), and each element
 * decoded by libnftnl as nft(8) would decode it. And the comment reader on
 * user data that nft(8), or anyone with CAP_NET_ADMIN, may have written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "addr.h"
#include "err.h"
#include "grant_impl.h"
#include "tap.h"

#define MSG(t) ((uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | (t)))

struct seen {
	size_t n;
	const struct nlmsghdr *m[8];
};

static void split(const uint8_t *buf, size_t len, struct seen *s)
{
	const struct nlmsghdr *m = (const struct nlmsghdr *)buf;
	int left = (int)len;

	memset(s, 0, sizeof(*s));
	for (; mnl_nlmsg_ok(m, left) && s->n < 8; m = mnl_nlmsg_next(m, &left))
		s->m[s->n++] = m;
	ok(left == 0, "the messages fill the buffer exactly (%d left)", left);
}

/* One element of message m, decoded by libnftnl; its fields into the out args. */
static int elem_of(const struct nlmsghdr *m, char *set, size_t set_len,
		   uint8_t key[16], uint32_t *key_len, uint64_t *timeout_ms,
		   char *comment, size_t comment_len)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	const void *p;
	uint32_t n = 0;
	int ret = -1;

	if (!s || nftnl_set_elems_nlmsg_parse(m, s) < 0)
		goto out;
	snprintf(set, set_len, "%s/%s", nftnl_set_get_str(s, NFTNL_SET_TABLE),
		 nftnl_set_get_str(s, NFTNL_SET_NAME));
	it = nftnl_set_elems_iter_create(s);
	e = it ? nftnl_set_elems_iter_next(it) : NULL;
	if (e) {
		p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &n);
		*key_len = n;
		if (p && n <= 16)
			memcpy(key, p, n);
		*timeout_ms = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT) ?
			      nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT) : 0;
		comment[0] = '\0';
		p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &n);
		if (p)
			grant_nft_comment(p, n, comment, comment_len);
		ret = nftnl_set_elems_iter_next(it) ? -2 : 0;	/* one element only */
	}
	if (it)
		nftnl_set_elems_iter_destroy(it);
out:
	if (s)
		nftnl_set_free(s);
	return ret;
}

static void check_add(void)
{
	uint8_t buf[6 * GRANT_NFT_MSG_MAX] __attribute__((aligned(4)));
	struct ckq_addr a;
	struct seen s;
	char set[64], comment[64];
	uint8_t key[16];
	uint32_t key_len = 0, i;
	uint64_t ms = 0;
	ssize_t len;

	if (addr_parse("192.0.2.10", &a))
		bail_out("address does not parse");
	len = grant_nft_build_add(buf, sizeof(buf), 100, "ckq-tcp-22", &a, 300, "alice");
	ok(len > 0, "an add is built (%zd bytes)", len);
	if (len <= 0)
		return;
	split(buf, (size_t)len, &s);
	is_int(s.n, 5, "five messages: begin, add, delete, add, end");
	if (s.n != 5)
		return;
	is_int(s.m[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN, "a batch begins");
	is_int(s.m[1]->nlmsg_type, MSG(NFT_MSG_NEWSETELEM), "then an add");
	is_int(s.m[2]->nlmsg_type, MSG(NFT_MSG_DELSETELEM), "then a delete");
	is_int(s.m[3]->nlmsg_type, MSG(NFT_MSG_NEWSETELEM), "then the add again");
	is_int(s.m[4]->nlmsg_type, NFNL_MSG_BATCH_END, "and the batch ends");
	for (i = 0; i < 5; i++)
		is_int(s.m[i]->nlmsg_seq, 100 + i, "message %u numbered %u", i, 100 + i);
	ok(!(s.m[0]->nlmsg_flags & NLM_F_ACK) && !(s.m[4]->nlmsg_flags & NLM_F_ACK),
	   "begin and end ask no ack (the kernel would not send one)");
	for (i = 1; i < 4; i++)
		ok(s.m[i]->nlmsg_flags & NLM_F_ACK, "message %u asks an ack", i);
	ok((s.m[1]->nlmsg_flags & NLM_F_CREATE) && !(s.m[1]->nlmsg_flags & NLM_F_EXCL),
	   "the first add creates, and an existing element is no error");
	ok(!(s.m[3]->nlmsg_flags & NLM_F_EXCL), "nor for the second");
	is_int(((const struct nfgenmsg *)mnl_nlmsg_get_payload(s.m[1]))->nfgen_family,
	       NFPROTO_INET, "family inet");
	is_int(elem_of(s.m[1], set, sizeof(set), key, &key_len, &ms, comment, sizeof(comment)),
	       0, "libnftnl reads one element from the add");
	ok(!strcmp(set, "ckq/ckq-tcp-22"), "in table ckq, set ckq-tcp-22: %s", set);
	ok(key_len == 4 && !memcmp(key, a.a, 4), "keyed by the 4 address bytes");
	ok(ms == 300000, "timeout 300 s as 300000 ms: %llu", (unsigned long long)ms);
	ok(!strcmp(comment, "alice"), "comment alice in user data: %s", comment);
	is_int(elem_of(s.m[2], set, sizeof(set), key, &key_len, &ms, comment, sizeof(comment)),
	       0, "libnftnl reads one element from the delete");
	ok(key_len == 4 && ms == 0 && comment[0] == '\0',
	   "the delete names the key alone");
	is_int(elem_of(s.m[3], set, sizeof(set), key, &key_len, &ms, comment, sizeof(comment)),
	       0, "and from the second add");
	ok(ms == 300000 && !strcmp(comment, "alice"), "with the same timeout and comment");

	if (addr_parse("2001:db8::5", &a))
		bail_out("address does not parse");
	len = grant_nft_build_add(buf, sizeof(buf), 1, "ckq6-tcp-22", &a, 60, NULL);
	split(buf, len > 0 ? (size_t)len : 0, &s);
	ok(s.n == 5 && elem_of(s.m[1], set, sizeof(set), key, &key_len, &ms, comment,
			       sizeof(comment)) == 0,
	   "an IPv6 add without comment reads back");
	ok(key_len == 16 && !memcmp(key, a.a, 16) && ms == 60000 && comment[0] == '\0',
	   "16 key bytes, 60000 ms, no user data");

	is_int(grant_nft_build_add(buf, GRANT_NFT_MSG_MAX + 100, 1, "ckq-tcp-22", &a, 60, "x"),
	       CKQ_ERR_INTERNAL, "a buffer without a free slot for each message is refused");
}

static void check_del(void)
{
	uint8_t buf[4 * GRANT_NFT_MSG_MAX] __attribute__((aligned(4)));
	struct ckq_addr a;
	struct seen s;
	char set[64], comment[64];
	uint8_t key[16];
	uint32_t key_len = 0;
	uint64_t ms = 0;
	ssize_t len;

	if (addr_parse("192.0.2.11", &a))
		bail_out("address does not parse");
	len = grant_nft_build_del(buf, sizeof(buf), 7, "ckq-udp-53", &a);
	split(buf, len > 0 ? (size_t)len : 0, &s);
	is_int(s.n, 3, "a delete is begin, delete, end");
	if (s.n != 3)
		return;
	is_int(s.m[1]->nlmsg_type, MSG(NFT_MSG_DELSETELEM), "a delete element message");
	is_int(s.m[1]->nlmsg_seq, 8, "numbered after the begin");
	ok(s.m[1]->nlmsg_flags & NLM_F_ACK, "asking an ack");
	is_int(elem_of(s.m[1], set, sizeof(set), key, &key_len, &ms, comment, sizeof(comment)),
	       0, "libnftnl reads its element");
	ok(!strcmp(set, "ckq/ckq-udp-53") && key_len == 4 && !memcmp(key, a.a, 4),
	   "of set ckq-udp-53 in table ckq: %s", set);
	is_int(grant_nft_build_del(buf, GRANT_NFT_MSG_MAX + 10, 7, "ckq-udp-53", &a),
	       CKQ_ERR_INTERNAL, "a buffer short of room is refused");
}

static void check_comment(void)
{
	char out[GRANT_COMMENT_MAX + 1];
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);
	/* A flags record before the comment, as nft may store for intervals. */
	static const uint8_t other_first[] = { 1, 4, 1, 0, 0, 0, 0, 4, 'b', 'o', 'b', 0 };
	static const uint8_t truncated[] = { 0, 40, 'e', 'v', 'e' };
	static const uint8_t control[] = { 0, 5, 'a', '\n', 0x1b, 0xff, 0 };
	static const uint8_t no_nul[] = { 0, 3, 'x', 'y', 'z' };
	char longc[80];

	if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, "carol.x_y-z"))
		bail_out("nftnl_udata");
	grant_nft_comment(nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud), out, sizeof(out));
	ok(!strcmp(out, "carol.x_y-z"), "a comment as nft(8) stores it: %s", out);
	nftnl_udata_buf_free(ud);
	grant_nft_comment(other_first, sizeof(other_first), out, sizeof(out));
	ok(!strcmp(out, "bob"), "found after a record of another type: %s", out);
	grant_nft_comment(truncated, sizeof(truncated), out, sizeof(out));
	ok(out[0] == '\0', "a record longer than the data is ignored");
	grant_nft_comment(control, sizeof(control), out, sizeof(out));
	ok(!strcmp(out, "a???"), "control and high bytes shown as '?': %s", out);
	grant_nft_comment(no_nul, sizeof(no_nul), out, sizeof(out));
	ok(!strcmp(out, "xyz"), "a comment without its NUL ends with its record: %s", out);
	grant_nft_comment(NULL, 0, out, sizeof(out));
	ok(out[0] == '\0', "no user data: no comment");
	/* nft(8) allows 128 characters; we show what fits. */
	memset(longc, 'q', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	ud = nftnl_udata_buf_alloc(256);
	if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, longc))
		bail_out("nftnl_udata");
	grant_nft_comment(nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud), out, sizeof(out));
	is_int(strlen(out), GRANT_COMMENT_MAX, "a long comment is cut to fit");
	nftnl_udata_buf_free(ud);
}

/* Both backends name their sets alike: the names, and their one parser. */
static void check_set_names(void)
{
	static const struct {
		uint8_t family, proto;
		uint16_t port;
	} round[] = {
		{ CKQ_AF_INET, CKQ_PROTO_TCP, 22 }, { CKQ_AF_INET6, CKQ_PROTO_UDP, 53 },
		{ CKQ_AF_INET, CKQ_PROTO_UDP, 1 }, { CKQ_AF_INET6, CKQ_PROTO_TCP, 65535 },
	};
	static const char *const bad[] = {
		"ckq-tcp-0", "ckq-tcp-022", "ckq-tcp-65536", "ckq-tcp-", "ckq-tcp-22x",
		"ckq-sctp-22", "ckq-web", "ckq6-tcp--1", "ckq7-tcp-22", "ipset-tcp-22",
		"ckq-tcp-123456", "",
	};
	char name[GRANT_SETNAME_LEN];
	uint8_t family, proto;
	uint16_t port;
	size_t i;

	for (i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		grant_set_name(name, round[i].family, round[i].proto, round[i].port);
		family = proto = 0;
		port = 0;
		ok(grant_set_parse(name, &family, &proto, &port) == 0 &&
		   family == round[i].family && proto == round[i].proto &&
		   port == round[i].port, "%s parses back to what named it", name);
		ok(grant_set_family(name) == round[i].family, "%s: its family by prefix", name);
	}
	grant_set_name(name, CKQ_AF_INET, CKQ_PROTO_TCP, 22);
	ok(!strcmp(name, "ckq-tcp-22"), "IPv4 tcp/22 is ckq-tcp-22: %s", name);
	grant_set_name(name, CKQ_AF_INET6, CKQ_PROTO_UDP, 53);
	ok(!strcmp(name, "ckq6-udp-53"), "IPv6 udp/53 is ckq6-udp-53: %s", name);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(grant_set_parse(bad[i], &family, &proto, &port) == CKQ_ERR_FORMAT,
		   "'%s' is no name grant_set_name makes", bad[i]);
	ok(grant_set_family("ckq-web") == CKQ_AF_INET && grant_set_family("ckq6-x") == CKQ_AF_INET6,
	   "a hand-made set with ckq's prefix is still listed");
	ok(!grant_set_family("ckq7-tcp-22") && !grant_set_family("ckq"), "others are not");
}

int main(void)
{
	check_add();
	check_del();
	check_comment();
	check_set_names();
	return done_testing();
}
