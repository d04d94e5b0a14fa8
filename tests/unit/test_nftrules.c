/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <libmnl/libmnl.h>

#include "err.h"
#include "nftrules.h"
#include "tap.h"

/*
 * Rules as Linux 6.x dumps them after iptables-nft 1.8.9 (Debian 12)
 * loaded rules/ckq.rules and one more rule. The xt target's data is in the
 * host's byte order, so these three hold on little-endian machines only.
 */
/* -A INPUT -p udp -m udp --dport 8888 -j NFQUEUE --queue-num 0 (handle 4) */
static const char ipt_queue[] =
	"4c010000060a020801000000c2390000020000030b00010066696c74657200000a000200494e5055540000000c00"
	"030000000000000000041401040024000100090001006d65746100000000140002000800020000000010080001000000"
	"00012c00010008000100636d700020000200080001000000000108000200000000000c00030005000100110000003400"
	"01000c0001007061796c6f61640024000200080001000000000108000200000000020800030000000002080004000000"
	"00022c00010008000100636d700020000200080001000000000108000200000000000c0003000600010022b800002c00"
	"01000c000100636f756e746572001c0002000c00010000000000000000000c0002000000000000000000340001000b00"
	"01007461726765740000240002000c0001004e4651554555450008000200000000030c0003000000010000000000";
/* -A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW
 *   -m set --match-set ckq-tcp-22 src -j ACCEPT (handle 11) */
static const char ipt_set[] =
	"84020000060a020801000000c2390000020000030b00010066696c74657200000a000200494e5055540000000c00"
	"0300000000000000000b0c000600000000000000000a4002040024000100090001006d65746100000000140002000800"
	"02000000001008000100000000012c00010008000100636d700020000200080001000000000108000200000000000c00"
	"03000500010006000000340001000c0001007061796c6f61640024000200080001000000000108000200000000020800"
	"03000000000208000400000000022c00010008000100636d700020000200080001000000000108000200000000000c00"
	"03000600010000160000d80001000a0001006d61746368000000c80002000e000100636f6e6e747261636b0000000800"
	"020000000003ac0003000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000001000000080000000000000000000000000000000000580001000a0001006d6174636800"
	"000048000200080001007365740008000200000000043400030000000102000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000002c0001000c000100636f756e746572001c0002000c00"
	"010000000000000000000c0002000000000000000000300001000e000100696d6d6564696174650000001c0002000800"
	"010000000000100002000c0002000800010000000001";
/* -A INPUT -p udp -m udp --dport 8880:8890 -j NFQUEUE --queue-balance 3:4
 *   --queue-bypass (handle 12) */
static const char ipt_range_bypass[] =
	"68010000060a020801000000c2390000020000030b00010066696c74657200000a000200494e5055540000000c00"
	"0300000000000000000c0c000600000000000000000b2401040024000100090001006d65746100000000140002000800"
	"02000000001008000100000000012c00010008000100636d700020000200080001000000000108000200000000000c00"
	"03000500010011000000340001000c0001007061796c6f61640024000200080001000000000108000200000000020800"
	"03000000000208000400000000023c0001000a00010072616e67650000002c0002000800010000000001080002000000"
	"00000c0003000600010022b000000c0004000600010022ba00002c0001000c000100636f756e746572001c0002000c00"
	"010000000000000000000c0002000000000000000000340001000b0001007461726765740000240002000c0001004e46"
	"51554555450008000200000000030c0003000300020001000000";

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < max) {
		unsigned int b;

		if (sscanf(hex, "%2x", &b) != 1)
			bail_out("bad hex in a test vector");
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return n;
}

/* A rule message built the way the kernel writes one, for nft(8)'s forms. */
struct rb {
	struct nlmsghdr *nlh;
	struct nlattr *list, *elem, *data;
};

static void rb_start(struct rb *b, void *buf, uint8_t family)
{
	struct nfgenmsg *nfg;

	b->nlh = mnl_nlmsg_put_header(buf);
	b->nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE;
	nfg = mnl_nlmsg_put_extra_header(b->nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	mnl_attr_put_strz(b->nlh, NFTA_RULE_TABLE, "ckq");
	mnl_attr_put_strz(b->nlh, NFTA_RULE_CHAIN, "input");
	mnl_attr_put_u64(b->nlh, NFTA_RULE_HANDLE, htobe64(42));
	b->list = mnl_attr_nest_start(b->nlh, NFTA_RULE_EXPRESSIONS);
}

static void ex_start(struct rb *b, const char *name)
{
	b->elem = mnl_attr_nest_start(b->nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(b->nlh, NFTA_EXPR_NAME, name);
	b->data = mnl_attr_nest_start(b->nlh, NFTA_EXPR_DATA);
}

static void ex_end(struct rb *b)
{
	mnl_attr_nest_end(b->nlh, b->data);
	mnl_attr_nest_end(b->nlh, b->elem);
}

static void put32(struct rb *b, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(b->nlh, type, htonl(v));
}

static void put_value(struct rb *b, uint16_t type, const void *v, size_t n)
{
	struct nlattr *nest = mnl_attr_nest_start(b->nlh, type);

	mnl_attr_put(b->nlh, NFTA_DATA_VALUE, n, v);
	mnl_attr_nest_end(b->nlh, nest);
}

static void e_meta_l4proto(struct rb *b, uint32_t dreg)
{
	ex_start(b, "meta");
	put32(b, NFTA_META_KEY, NFT_META_L4PROTO);
	put32(b, NFTA_META_DREG, dreg);
	ex_end(b);
}

static void e_payload(struct rb *b, uint32_t dreg, uint32_t base, uint32_t off, uint32_t len)
{
	ex_start(b, "payload");
	put32(b, NFTA_PAYLOAD_DREG, dreg);
	put32(b, NFTA_PAYLOAD_BASE, base);
	put32(b, NFTA_PAYLOAD_OFFSET, off);
	put32(b, NFTA_PAYLOAD_LEN, len);
	ex_end(b);
}

static void e_cmp(struct rb *b, uint32_t sreg, uint32_t op, const void *v, size_t n)
{
	ex_start(b, "cmp");
	put32(b, NFTA_CMP_SREG, sreg);
	put32(b, NFTA_CMP_OP, op);
	put_value(b, NFTA_CMP_DATA, v, n);
	ex_end(b);
}

/* "udp dport P" as nft(8) puts it: meta l4proto, then the port. */
static void e_udp_dport(struct rb *b, uint32_t op, uint16_t port)
{
	static const uint8_t udp = IPPROTO_UDP;
	uint16_t be = htons(port);

	e_meta_l4proto(b, NFT_REG_1);
	e_cmp(b, NFT_REG_1, NFT_CMP_EQ, &udp, 1);
	e_payload(b, NFT_REG_1, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(b, NFT_REG_1, op, &be, 2);
}

static void e_queue(struct rb *b, uint16_t num, uint16_t total, uint16_t flags)
{
	ex_start(b, "queue");
	mnl_attr_put_u16(b->nlh, NFTA_QUEUE_NUM, htons(num));
	mnl_attr_put_u16(b->nlh, NFTA_QUEUE_TOTAL, htons(total));
	mnl_attr_put_u16(b->nlh, NFTA_QUEUE_FLAGS, htons(flags));
	ex_end(b);
}

static void e_verdict(struct rb *b, int32_t verdict)
{
	struct nlattr *d, *v;

	ex_start(b, "immediate");
	put32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	d = mnl_attr_nest_start(b->nlh, NFTA_IMMEDIATE_DATA);
	v = mnl_attr_nest_start(b->nlh, NFTA_DATA_VERDICT);
	put32(b, NFTA_VERDICT_CODE, (uint32_t)verdict);
	mnl_attr_nest_end(b->nlh, v);
	mnl_attr_nest_end(b->nlh, d);
	ex_end(b);
}

static void e_counter(struct rb *b)
{
	ex_start(b, "counter");
	mnl_attr_put_u64(b->nlh, NFTA_COUNTER_PACKETS, 0);
	ex_end(b);
}

static size_t rb_end(struct rb *b)
{
	mnl_attr_nest_end(b->nlh, b->list);
	return b->nlh->nlmsg_len;
}

static int match(const void *msg, size_t len, uint16_t port, struct nftrules_queue *q)
{
	memset(q, 0xa5, sizeof(*q));
	return nftrules_match(msg, len, port, q);
}

static void test_iptables_nft(void)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint8_t msg[1024];
	struct nftrules_queue q;
	size_t n;

	n = unhex(ipt_queue, msg, sizeof(msg));
	is_int(match(msg, n, 8888, &q), 1, "rules/ckq.rules: the NFQUEUE rule queues udp/8888");
	is_int(q.family, NFPROTO_IPV4, "... in family ip");
	ok(!strcmp(q.table, "filter") && !strcmp(q.chain, "INPUT"), "... table filter, chain INPUT");
	is_int(q.handle, 4, "... handle 4");
	is_int(q.num, 0, "... to queue 0");
	is_int(q.total, 1, "... one queue");
	is_int(q.bypass, 0, "... without bypass");
	is_int(q.iptables, 1, "... with iptables' NFQUEUE target");
	is_int(match(msg, n, 8889, &q), 0, "it does not queue udp/8889");
	is_int(match(msg, n, 34850, &q), 0, "nor the byte-swapped port (0x22b8)");
	is_int(match(msg, n - 4, 8888, &q), CKQ_ERR_FORMAT, "cut short: malformed");
	msg[4] = NFT_MSG_NEWTABLE;
	is_int(match(msg, n, 8888, &q), CKQ_ERR_FORMAT, "another message type: refused");
	msg[4] = NFT_MSG_NEWRULE;
	/* The length of the handle attribute, made to run past the message. */
	msg[0x2c] = 0xff;
	is_int(match(msg, n, 8888, &q), CKQ_ERR_FORMAT, "an attribute longer than the message");

	n = unhex(ipt_set, msg, sizeof(msg));
	is_int(match(msg, n, 8888, &q), 0, "the tcp/22 set rule does not queue udp/8888");
	is_int(match(msg, n, 22, &q), 0, "nor udp/22 (it tests tcp and accepts)");

	n = unhex(ipt_range_bypass, msg, sizeof(msg));
	is_int(match(msg, n, 8885, &q), 1, "--dport 8880:8890 queues udp/8885");
	is_int(q.num, 3, "... to queue 3");
	is_int(q.total, 2, "... of 2 (3:4)");
	is_int(q.bypass, 1, "... with --queue-bypass seen");
	is_int(match(msg, n, 8880, &q), 1, "the range includes its start");
	is_int(match(msg, n, 8890, &q), 1, "and its end");
	is_int(match(msg, n, 8891, &q), 0, "not beyond");
#else
	ok(1, "# SKIP iptables-nft vectors are little-endian");
#endif
}

static void test_nft(void)
{
	uint8_t buf[2048];
	struct nftrules_queue q;
	struct rb b;
	size_t n;
	uint16_t be;
	uint8_t udp = IPPROTO_UDP;
	struct xt_udp xu;

	rb_start(&b, buf, NFPROTO_INET);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	e_counter(&b);
	e_queue(&b, 9, 1, NFT_QUEUE_FLAG_BYPASS);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 1, "nft: udp dport 8888 queue num 9 bypass");
	ok(q.family == NFPROTO_INET && q.num == 9 && q.total == 1 && q.bypass && !q.iptables &&
	   q.handle == 42 && !strcmp(q.table, "ckq") && !strcmp(q.chain, "input"),
	   "... inet ckq input, queue 9, bypass, handle 42");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	e_queue(&b, 11, 2, NFT_QUEUE_FLAG_CPU_FANOUT);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 1, "nft: queue num 11-12 fanout");
	ok(q.num == 11 && q.total == 2 && !q.bypass, "... 11, 2 queues, no bypass");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_NEQ, 8888);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "nft: udp dport != 8888 does not queue 8888");
	is_int(match(buf, n, 9999, &q), 0, "... nor 9999: it tests no port equal to it");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	e_verdict(&b, NF_ACCEPT);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "nft: udp dport 8888 accept");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	e_verdict(&b, NF_ACCEPT);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "a verdict before the queue: never queued");

	/* th dport 8888: no protocol test, and registers of 32 bits. */
	rb_start(&b, buf, NFPROTO_IPV4);
	e_payload(&b, NFT_REG32_02, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	be = htons(8888);
	e_cmp(&b, NFT_REG32_02, NFT_CMP_EQ, &be, 2);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 1, "nft: th dport 8888 queue, in a 32-bit register");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_payload(&b, NFT_REG32_02, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(&b, NFT_REG32_03, NFT_CMP_EQ, &be, 2);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "a compare on another register tests no port");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_payload(&b, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, 9, 1);
	e_cmp(&b, NFT_REG32_00, NFT_CMP_EQ, &udp, 1);
	e_payload(&b, NFT_REG_1, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(&b, NFT_REG_1, NFT_CMP_EQ, &be, 2);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 1, "nft: ip protocol udp udp dport 8888 (REG_1 is REG32_00)");

	rb_start(&b, buf, NFPROTO_IPV4);
	udp = IPPROTO_TCP;
	e_meta_l4proto(&b, NFT_REG_1);
	e_cmp(&b, NFT_REG_1, NFT_CMP_EQ, &udp, 1);
	e_payload(&b, NFT_REG_1, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(&b, NFT_REG_1, NFT_CMP_EQ, &be, 2);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "nft: tcp dport 8888 queue is not ours");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	ex_start(&b, "queue");
	put32(&b, NFTA_QUEUE_SREG_QNUM, NFT_REG_2);
	ex_end(&b);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "a queue number from a register is not judged");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_queue(&b, 0, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "a queue rule with no port test is not counted");

	/* -m udp as an xt match, as older iptables-nft loads it. */
	memset(&xu, 0, sizeof(xu));
	xu.spts[1] = 0xffff;
	xu.dpts[0] = xu.dpts[1] = 8888;
	rb_start(&b, buf, NFPROTO_IPV4);
	ex_start(&b, "match");
	mnl_attr_put_strz(b.nlh, NFTA_MATCH_NAME, "udp");
	put32(&b, NFTA_MATCH_REV, 0);
	mnl_attr_put(b.nlh, NFTA_MATCH_INFO, sizeof(xu), &xu);
	ex_end(&b);
	e_queue(&b, 5, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 1, "xt match udp --dport 8888");
	is_int(q.num, 5, "... queue 5");
	xu.invflags = XT_UDP_INV_DSTPT;
	rb_start(&b, buf, NFPROTO_IPV4);
	ex_start(&b, "match");
	mnl_attr_put_strz(b.nlh, NFTA_MATCH_NAME, "udp");
	mnl_attr_put(b.nlh, NFTA_MATCH_INFO, sizeof(xu), &xu);
	ex_end(&b);
	e_queue(&b, 5, 1, 0);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "xt match udp ! --dport 8888");

	rb_start(&b, buf, NFPROTO_IPV4);
	ex_start(&b, "target");
	mnl_attr_put_strz(b.nlh, NFTA_TARGET_NAME, "NFQUEUE");
	put32(&b, NFTA_TARGET_REV, 2);
	mnl_attr_put(b.nlh, NFTA_TARGET_INFO, 6, (uint16_t[3]){ 7, 1, 1 });
	ex_end(&b);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "NFQUEUE without a port test");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	ex_start(&b, "target");
	mnl_attr_put_strz(b.nlh, NFTA_TARGET_NAME, "NFQUEUE");
	put32(&b, NFTA_TARGET_REV, 2);
	mnl_attr_put(b.nlh, NFTA_TARGET_INFO, 6, (uint16_t[3]){ 7, 1, 1 });
	ex_end(&b);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 1, "NFQUEUE revision 2");
	ok(q.num == 7 && q.bypass && q.iptables, "... queue 7, its bypass field read");

	rb_start(&b, buf, NFPROTO_IPV4);
	e_udp_dport(&b, NFT_CMP_EQ, 8888);
	ex_start(&b, "target");
	mnl_attr_put_strz(b.nlh, NFTA_TARGET_NAME, "NFQUEUE");
	put32(&b, NFTA_TARGET_REV, 3);
	mnl_attr_put(b.nlh, NFTA_TARGET_INFO, 4, (uint16_t[2]){ 7, 1 });
	ex_end(&b);
	n = rb_end(&b);
	is_int(match(buf, n, 8888, &q), 0, "NFQUEUE revision 3 with its data cut short");
}

int main(void)
{
	test_iptables_nft();
	test_nft();
	return done_testing();
}
