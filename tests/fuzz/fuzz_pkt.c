/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for pkt_parse_udp(), the first parser a queued packet
 * meets. A parsed packet is rebuilt with pkt_build_udp() and parsed again:
 * the fields must survive and the checksums of the rebuilt one must verify.
 * Seeds: corpus/pkt/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pkt.h"
#include "fuzz.h"

static uint8_t rebuilt[PKT_MAX_LEN];

/* RFC 1071, written apart from pkt.c's so that one cannot excuse the other. */
static unsigned int ocsum(unsigned long sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (unsigned long)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned int)sum;
}

static void check_same(const struct pkt_udp *a, const struct pkt_udp *b)
{
	CHECK(a->src.family == b->src.family && a->dst.family == b->dst.family);
	CHECK(!memcmp(a->src.a, b->src.a, sizeof(a->src.a)));
	CHECK(!memcmp(a->dst.a, b->dst.a, sizeof(a->dst.a)));
	CHECK(a->sport == b->sport && a->dport == b->dport);
	CHECK(a->payload_len == b->payload_len);
	CHECK(!a->payload_len || !memcmp(a->payload, b->payload, a->payload_len));
}

static void check_rebuilt(const struct pkt_udp *p)
{
	size_t alen = p->src.family == CKQ_AF_INET ? 4 : 16;
	size_t hdr = alen == 4 ? PKT_IPV4_HDR_LEN : PKT_IPV6_HDR_LEN;
	size_t ulen = PKT_UDP_HDR_LEN + p->payload_len;
	struct pkt_udp q;
	unsigned long pseudo;
	int n;

	n = pkt_build_udp(rebuilt, sizeof(rebuilt), &p->src, p->sport, &p->dst, p->dport,
			  p->payload, p->payload_len);
	CHECK(n >= 0 && (size_t)n == hdr + ulen);
	if (alen == 4)
		CHECK(ocsum(0, rebuilt, hdr) == 0xffff);
	pseudo = ocsum(0, rebuilt + (alen == 4 ? 12 : 8), 2 * alen) + CKQ_PROTO_UDP + ulen;
	CHECK(ocsum(pseudo, rebuilt + hdr, ulen) == 0xffff);
	/* 0 would mean "no checksum", which IPv6 forbids. */
	CHECK(rebuilt[hdr + 6] || rebuilt[hdr + 7]);

	memset(&q, 0, sizeof(q));
	CHECK(pkt_parse_udp(rebuilt, (size_t)n, &q) == 0);
	CHECK(q.payload == rebuilt + hdr + PKT_UDP_HDR_LEN);
	check_same(p, &q);
	/* The length fields, not the buffer, say where the packet ends. */
	CHECK(pkt_parse_udp(rebuilt, (size_t)n - 1, &q) == CKQ_ERR_TRUNCATED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_udp p;
	uintptr_t base = (uintptr_t)data, at;
	size_t hdr;
	int r;

	memset(&p, 0xa5, sizeof(p));
	r = pkt_parse_udp(data, size, &p);
	CHECK(r == 0 || r == CKQ_ERR_TRUNCATED || r == CKQ_ERR_FORMAT);
	if (r < 0)
		return 0;

	CHECK(size >= 1);
	CHECK(p.src.family == p.dst.family);
	if (p.src.family == CKQ_AF_INET) {
		static const uint8_t zero[12];

		CHECK(data[0] >> 4 == 4);
		CHECK(!memcmp(p.src.a + 4, zero, sizeof(zero)));
		CHECK(!memcmp(p.dst.a + 4, zero, sizeof(zero)));
		hdr = (size_t)(data[0] & 0x0f) * 4;
		CHECK(hdr >= PKT_IPV4_HDR_LEN);
	} else {
		CHECK(p.src.family == CKQ_AF_INET6 && data[0] >> 4 == 6);
		hdr = PKT_IPV6_HDR_LEN;
	}

	/* The payload lies inside the input, right after the UDP header. */
	CHECK(p.payload != NULL);
	at = (uintptr_t)p.payload;
	CHECK(at >= base && at - base <= size && p.payload_len <= size - (at - base));
	CHECK(at - base == hdr + PKT_UDP_HDR_LEN);
	CHECK(p.sport == (data[hdr] << 8 | data[hdr + 1]));
	CHECK(p.dport == (data[hdr + 2] << 8 | data[hdr + 3]));

	check_rebuilt(&p);
	return 0;
}
