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
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nf_conntrack_common.h>
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

/* --- the layouts: rules parsed whole, then judged together ------------------ */

static void e_xt(struct rb *b, const char *name, uint32_t rev, const void *info, size_t n)
{
	ex_start(b, "match");
	mnl_attr_put_strz(b->nlh, NFTA_MATCH_NAME, name);
	put32(b, NFTA_MATCH_REV, rev);
	mnl_attr_put(b->nlh, NFTA_MATCH_INFO, n, info);
	ex_end(b);
}

static void e_tcp_dport(struct rb *b, uint16_t port)
{
	static const uint8_t tcp = IPPROTO_TCP;
	uint8_t p[2] = { (uint8_t)(port >> 8), (uint8_t)port };

	e_meta_l4proto(b, NFT_REG_1);
	e_cmp(b, NFT_REG_1, NFT_CMP_EQ, &tcp, 1);
	e_payload(b, NFT_REG_1, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(b, NFT_REG_1, NFT_CMP_EQ, p, 2);
}

/* -m conntrack [!] --ctstate STATES [--ctorigdstport PORT], as iptables-nft 1.8.9 */
static void e_ctstate(struct rb *b, uint16_t states, bool inv, uint16_t origdport)
{
	struct xt_conntrack_mtinfo3 m;

	memset(&m, 0, sizeof(m));
	m.match_flags = XT_CONNTRACK_STATE;
	m.state_mask = states;
	if (inv)
		m.invert_flags = XT_CONNTRACK_STATE;
	if (origdport) {
		m.match_flags |= XT_CONNTRACK_ORIGDST_PORT;
		m.origdst_port = m.origdst_port_high = origdport;
	}
	e_xt(b, "conntrack", 3, &m, sizeof(m));
}

static void e_set(struct rb *b, uint16_t idx, bool inv)
{
	struct xt_set_info_match_v4 m;

	memset(&m, 0, sizeof(m));
	m.match_set.index = idx;
	m.match_set.dim = 1;
	m.match_set.flags = IPSET_DIM_ONE_SRC | (inv ? IPSET_INV_MATCH : 0);
	e_xt(b, "set", 4, &m, sizeof(m));
}

static void e_jump(struct rb *b, const char *chain)
{
	struct nlattr *d, *v;

	ex_start(b, "immediate");
	put32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	d = mnl_attr_nest_start(b->nlh, NFTA_IMMEDIATE_DATA);
	v = mnl_attr_nest_start(b->nlh, NFTA_DATA_VERDICT);
	put32(b, NFTA_VERDICT_CODE, (uint32_t)NFT_JUMP);
	mnl_attr_put_strz(b->nlh, NFTA_VERDICT_CHAIN, chain);
	mnl_attr_nest_end(b->nlh, v);
	mnl_attr_nest_end(b->nlh, d);
	ex_end(b);
}

#define EST (XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) | XT_CONNTRACK_STATE_BIT(IP_CT_RELATED))
#define NEW XT_CONNTRACK_STATE_BIT(IP_CT_NEW)

static void test_parse_rule(void)
{
	uint8_t buf[4096];
	struct nftrules_rule r;
	struct nftrules_chain c;
	struct rb b;
	size_t n;

	/* rules/ckq-chain.rules' gate */
	rb_start(&b, buf, NFPROTO_IPV4);
	e_tcp_dport(&b, 22);
	e_ctstate(&b, EST, true, 0);
	e_set(&b, 5, true);
	e_counter(&b);
	e_verdict(&b, NF_DROP);
	n = rb_end(&b);
	is_int(nftrules_parse_rule(buf, n, &r), 0, "the coexisting gate parses");
	ok(r.proto == IPPROTO_TCP && r.has_dport && r.dport_lo == 22 && r.dport_hi == 22 &&
	   !r.dport_inv, "... tcp/22");
	ok(!r.established, "... ! --ctstate RELATED,ESTABLISHED lets new connections match");
	ok(r.set == 5 && r.set_inv, "... ! --match-set, ipset index 5");
	ok(r.verdict == NFTRULES_DROP && !r.narrow, "... drop, nothing else tested");
	ok(!strcmp(r.table, "ckq") && !strcmp(r.chain, "input") && r.handle == 42,
	   "... table, chain, handle");

	/* -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT */
	rb_start(&b, buf, NFPROTO_IPV4);
	e_ctstate(&b, EST, false, 0);
	e_verdict(&b, NF_ACCEPT);
	n = rb_end(&b);
	is_int(nftrules_parse_rule(buf, n, &r), 0, "RELATED,ESTABLISHED accept parses");
	ok(r.established && r.verdict == NFTRULES_ACCEPT && r.set == -1 && !r.has_dport,
	   "... only known connections, no set, no port");

	/* rules/gateway/ckq.rules' FORWARD rule */
	rb_start(&b, buf, NFPROTO_IPV4);
	e_payload(&b, NFT_REG_1, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
	e_cmp(&b, NFT_REG_1, NFT_CMP_EQ, (uint8_t[4]){ 192, 168, 1, 10 }, 4);
	e_tcp_dport(&b, 22);
	e_ctstate(&b, NEW, false, 2222);
	e_set(&b, 7, false);
	e_verdict(&b, NF_ACCEPT);
	n = rb_end(&b);
	is_int(nftrules_parse_rule(buf, n, &r), 0, "the gateway's FORWARD rule parses");
	ok(r.has_origdport && r.origdport == 2222 && r.dport_lo == 22,
	   "... --ctorigdstport 2222 beside --dport 22");
	ok(r.narrow && !r.established && r.set == 7 && !r.set_inv && r.verdict == NFTRULES_ACCEPT,
	   "... the address makes it narrow; new connections from ipset 7 accepted");

	/* -A INPUT -j ckq-INPUT */
	rb_start(&b, buf, NFPROTO_IPV6);
	e_counter(&b);
	e_jump(&b, "ckq-INPUT");
	n = rb_end(&b);
	is_int(nftrules_parse_rule(buf, n, &r), 0, "a jump parses");
	ok(r.verdict == NFTRULES_JUMP && !strcmp(r.target, "ckq-INPUT") && r.family == NFPROTO_IPV6,
	   "... to ckq-INPUT, IPv6");

	/* -p tcp -m multiport --dports 22,80:90 -j ACCEPT */
	{
		struct xt_multiport_v1 m;

		memset(&m, 0, sizeof(m));
		m.flags = XT_MULTIPORT_DESTINATION;
		m.count = 3;
		m.ports[0] = 22;
		m.ports[1] = 80;
		m.pflags[1] = 1;
		m.ports[2] = 90;
		rb_start(&b, buf, NFPROTO_IPV4);
		e_xt(&b, "multiport", 1, &m, sizeof(m));
		e_verdict(&b, NF_ACCEPT);
		n = rb_end(&b);
		is_int(nftrules_parse_rule(buf, n, &r), 0, "multiport parses");
		ok(r.nmports == 2 && r.mport_lo[0] == 22 && r.mport_hi[0] == 22 &&
		   r.mport_lo[1] == 80 && r.mport_hi[1] == 90 && !r.narrow,
		   "... 22, and the range 80:90");
	}

	/* A rule message cut in the middle of its expressions. */
	rb_start(&b, buf, NFPROTO_IPV4);
	e_tcp_dport(&b, 22);
	n = rb_end(&b);
	is_int(nftrules_parse_rule(buf, n - 6, &r), CKQ_ERR_FORMAT, "a truncated rule is refused");
	is_int(nftrules_parse_chain(buf, n, &c), CKQ_ERR_FORMAT, "a rule is not a chain");

	{
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct nfgenmsg *nfg;
		struct nlattr *hook;

		nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = NFPROTO_IPV4;
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "filter");
		mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "INPUT");
		hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
		mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(NF_INET_LOCAL_IN));
		mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(0));
		mnl_attr_nest_end(nlh, hook);
		mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(NF_DROP));
		is_int(nftrules_parse_chain(buf, nlh->nlmsg_len, &c), 0, "a base chain parses");
		ok(c.base && c.hook == NF_INET_LOCAL_IN && c.policy_drop && !strcmp(c.name, "INPUT"),
		   "... INPUT, input hook, policy drop");
	}

#if __BYTE_ORDER == __LITTLE_ENDIAN
	{
		uint8_t raw[2048];

		n = unhex(ipt_set, raw, sizeof(raw));
		is_int(nftrules_parse_rule(raw, n, &r), 0, "the kernel's dump of ckq.rules' accept");
		ok(r.proto == IPPROTO_TCP && r.dport_lo == 22 && !r.established && r.set >= 0 &&
		   !r.set_inv && r.verdict == NFTRULES_ACCEPT, "... tcp/22, NEW, a set, accept");
	}
#else
	ok(1, "# SKIP iptables-nft vectors are little-endian");
	ok(1, "# SKIP iptables-nft vectors are little-endian");
#endif
}

/* A ruleset built by hand: chains, then rules in the order they run. */
struct lay {
	struct nftrules_chain c[8];
	struct nftrules_rule r[16];
	struct nftrules_ruleset rs;
};

static void lay_chain(struct lay *l, const char *name, uint32_t hook, bool base, bool drop)
{
	struct nftrules_chain *c = &l->c[l->rs.nchains++];

	memset(c, 0, sizeof(*c));
	c->family = NFPROTO_IPV4;
	snprintf(c->table, sizeof(c->table), "filter");
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->base = base;
	c->hook = hook;
	c->policy_drop = drop;
}

static struct nftrules_rule *lay_rule(struct lay *l, const char *chain, enum nftrules_verdict v)
{
	struct nftrules_rule *r = &l->r[l->rs.nrules];

	memset(r, 0, sizeof(*r));
	r->family = NFPROTO_IPV4;
	r->handle = ++l->rs.nrules;
	snprintf(r->table, sizeof(r->table), "filter");
	snprintf(r->chain, sizeof(r->chain), "%s", chain);
	r->set = -1;
	r->verdict = v;
	return r;
}

static void lay_init(struct lay *l)
{
	memset(l, 0, sizeof(*l));
	l->rs.chains = l->c;
	l->rs.rules = l->r;
}

static struct nftrules_rule *port_rule(struct lay *l, const char *chain, uint16_t port,
				       enum nftrules_verdict v)
{
	struct nftrules_rule *r = lay_rule(l, chain, v);

	r->proto = IPPROTO_TCP;
	r->has_dport = true;
	r->dport_lo = r->dport_hi = port;
	return r;
}

/* A server with policy accept, ckq's chain jumped to from INPUT. */
static void coexisting(struct lay *l, bool accept_first, bool with_jump)
{
	struct nftrules_rule *r;

	lay_init(l);
	lay_chain(l, "INPUT", NF_INET_LOCAL_IN, true, false);
	lay_chain(l, "ckq-INPUT", 0, false, false);
	lay_chain(l, "f2b-sshd", 0, false, false);
	r = lay_rule(l, "INPUT", NFTRULES_JUMP);
	snprintf(r->target, sizeof(r->target), "f2b-sshd");
	lay_rule(l, "INPUT", NFTRULES_ACCEPT)->established = true;
	lay_rule(l, "INPUT", NFTRULES_ACCEPT)->narrow = true;	/* -i lo */
	if (accept_first)
		port_rule(l, "INPUT", 22, NFTRULES_ACCEPT);
	if (with_jump) {
		r = lay_rule(l, "INPUT", NFTRULES_JUMP);
		snprintf(r->target, sizeof(r->target), "ckq-INPUT");
	}
	port_rule(l, "INPUT", 80, NFTRULES_ACCEPT);
	lay_rule(l, "ckq-INPUT", NFTRULES_QUEUE);
	r = port_rule(l, "ckq-INPUT", 22, NFTRULES_DROP);
	r->set = 3;
	r->set_inv = true;
	lay_rule(l, "f2b-sshd", NFTRULES_DROP)->narrow = true;
	lay_rule(l, "f2b-sshd", NFTRULES_RETURN);
}

static void test_layouts(void)
{
	struct lay l;
	struct nftrules_use u[4];
	const struct nftrules_rule *jump;
	struct nftrules_rule *r;
	size_t n;

	coexisting(&l, false, true);
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 3, IPPROTO_TCP, 22, u, 4);
	is_int(n, 1, "coexisting chain: one rule uses the set");
	ok(u[0].form == NFTRULES_GATES && u[0].base == &l.c[0] && u[0].port == 22,
	   "... a gate, entered from INPUT, for tcp/22");
	ok(u[0].jump && u[0].jump->handle == 4 && !u[0].first,
	   "... through the jump (handle 4); the ESTABLISHED and lo accepts above do not count");
	is_int(nftrules_uses(&l.rs, NFPROTO_IPV6, 3, IPPROTO_TCP, 22, u, 4), 0,
	       "... and it is no IPv6 rule");
	is_int(nftrules_uses(&l.rs, NFPROTO_IPV4, 4, IPPROTO_TCP, 22, u, 4), 0,
	       "... nor one of another set");

	coexisting(&l, true, true);
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 3, IPPROTO_TCP, 22, u, 4);
	ok(n == 1 && u[0].first && u[0].first->handle == 4 && u[0].first->dport_lo == 22,
	   "an ACCEPT of tcp/22 above the jump is found");
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 3, IPPROTO_TCP, 80, u, 4);
	ok(n == 1 && !u[0].first, "... and is nothing to tcp/80's");

	coexisting(&l, false, true);
	r = &l.r[2];	/* the -i lo accept becomes a multiport 22,443 one */
	r->narrow = false;
	r->nmports = 2;
	r->mport_lo[0] = r->mport_hi[0] = 443;
	r->mport_lo[1] = r->mport_hi[1] = 22;
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 3, IPPROTO_TCP, 22, u, 4);
	ok(n == 1 && u[0].first == r, "a multiport ACCEPT of 443,22 above the jump is found");
	r->mports_inv = true;
	nftrules_uses(&l.rs, NFPROTO_IPV4, 3, IPPROTO_TCP, 22, u, 4);
	ok(!u[0].first, "... and not once it says ! --dports");

	coexisting(&l, false, false);
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 3, IPPROTO_TCP, 22, u, 4);
	ok(n == 1 && !u[0].base && !u[0].jump, "without the jump: the gate is reached from nowhere");
	ok(!nftrules_reached(&l.rs, NFPROTO_IPV4, "filter", "ckq-INPUT", &jump) && !jump,
	   "... so is the knock's queue rule in it");
	ok(nftrules_reached(&l.rs, NFPROTO_IPV4, "filter", "f2b-sshd", &jump) == &l.c[0] &&
	   jump == &l.r[0], "fail2ban's chain is reached from INPUT by the first rule");

	/* The full table: policy drop, the set's members accepted. */
	lay_init(&l);
	lay_chain(&l, "INPUT", NF_INET_LOCAL_IN, true, true);
	lay_rule(&l, "INPUT", NFTRULES_QUEUE);
	lay_rule(&l, "INPUT", NFTRULES_ACCEPT)->narrow = true;
	lay_rule(&l, "INPUT", NFTRULES_ACCEPT)->established = true;
	r = port_rule(&l, "INPUT", 22, NFTRULES_ACCEPT);
	r->set = 1;
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 1, IPPROTO_TCP, 22, u, 4);
	ok(n == 1 && u[0].form == NFTRULES_OPENS && u[0].base == &l.c[0] && !u[0].jump &&
	   !u[0].first && u[0].base->policy_drop, "full table: INPUT itself accepts the set's members");
	r->dport_lo = r->dport_hi = 2022;
	nftrules_uses(&l.rs, NFPROTO_IPV4, 1, IPPROTO_TCP, 22, u, 4);
	is_int(u[0].port, 2022, "... a rule for another port than the set's is seen as such");

	/* The gateway: FORWARD jumps to ckq-FORWARD, which tests the port before DNAT. */
	lay_init(&l);
	lay_chain(&l, "FORWARD", NF_INET_FORWARD, true, false);
	lay_chain(&l, "ckq-FORWARD", 0, false, false);
	lay_chain(&l, "DOCKER-USER", 0, false, false);
	r = lay_rule(&l, "FORWARD", NFTRULES_JUMP);
	snprintf(r->target, sizeof(r->target), "DOCKER-USER");
	r = lay_rule(&l, "DOCKER-USER", NFTRULES_JUMP);	/* two levels down */
	snprintf(r->target, sizeof(r->target), "ckq-FORWARD");
	r = port_rule(&l, "ckq-FORWARD", 22, NFTRULES_DROP);
	r->has_origdport = true;
	r->origdport = 2222;
	r->narrow = true;
	r->set = 2;
	r->set_inv = true;
	n = nftrules_uses(&l.rs, NFPROTO_IPV4, 2, IPPROTO_TCP, 2222, u, 4);
	ok(n == 1 && u[0].base && u[0].base->hook == NF_INET_FORWARD && u[0].port == 2222,
	   "gateway: the gate is entered from FORWARD, for the original port 2222");
	ok(u[0].jump == &l.r[0], "... through DOCKER-USER: the jump that leaves FORWARD is named");

	/* Chains that jump to each other and to nothing hooked: no loop forever. */
	lay_init(&l);
	lay_chain(&l, "a", 0, false, false);
	lay_chain(&l, "b", 0, false, false);
	snprintf(lay_rule(&l, "a", NFTRULES_JUMP)->target, NFTRULES_NAME_MAX, "b");
	snprintf(lay_rule(&l, "b", NFTRULES_JUMP)->target, NFTRULES_NAME_MAX, "a");
	ok(!nftrules_reached(&l.rs, NFPROTO_IPV4, "filter", "a", &jump),
	   "a loop of jumps is reached from nowhere, and ends");
}

int main(void)
{
	test_iptables_nft();
	test_nft();
	test_parse_rule();
	test_layouts();
	return done_testing();
}
