/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "pkt.h"
#include "tap.h"

/*
 * 192.0.2.1:8888 -> 198.51.100.7:40000, "hello ckq". Both checksums were
 * checked by tcpdump -vv ("udp sum ok", no "bad cksum") from a pcap file,
 * not by this code.
 */
static const uint8_t kat_v4[] = {
	0x45, 0x00, 0x00, 0x25, 0x00, 0x00, 0x40, 0x00,
	0x40, 0x11, 0x4e, 0x8c, 0xc0, 0x00, 0x02, 0x01,
	0xc6, 0x33, 0x64, 0x07, 0x22, 0xb8, 0x9c, 0x40,
	0x00, 0x11, 0x3c, 0x39, 0x68, 0x65, 0x6c, 0x6c,
	0x6f, 0x20, 0x63, 0x6b, 0x71,
};

/* [2001:db8::1]:8888 -> [2001:db8:0:1::7]:40000, "hello ckq", same check. */
static const uint8_t kat_v6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
	0x22, 0xb8, 0x9c, 0x40, 0x00, 0x11, 0xcc, 0xfa,
	0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x63, 0x6b,
	0x71,
};

static uint8_t buf[PKT_MAX_LEN + 64];
static uint8_t big[65535];

/* A second, deliberately plain one's complement sum (RFC 1071). */
static unsigned int ocsum(unsigned long sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (unsigned long)p[i] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned int)sum;
}

static unsigned int udp_verify(const uint8_t *pkt, size_t len)
{
	int v6 = pkt[0] >> 4 == 6;
	size_t ihl = v6 ? 40 : (size_t)(pkt[0] & 15) * 4;
	size_t alen = v6 ? 16 : 4;
	const uint8_t *addrs = pkt + (v6 ? 8 : 12);
	size_t ulen = (size_t)pkt[ihl + 4] << 8 | pkt[ihl + 5];
	unsigned long sum = ocsum(0, addrs, 2 * alen);

	if (ihl + ulen > len)
		return 0;
	sum += 17 + ulen;
	return ocsum(sum, pkt + ihl, ulen);
}

static void mkaddr(struct ckq_addr *a, uint8_t family, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == CKQ_AF_INET) {
		a->a[0] = 10;
		a->a[1] = 201;
		a->a[3] = last;
	} else {
		a->a[0] = 0xfd;
		a->a[1] = 0x00;
		a->a[2] = 0xc4;
		a->a[15] = last;
	}
}

static void test_kat(void)
{
	static const uint8_t msg[] = "hello ckq";
	struct ckq_addr s, d;
	struct pkt_udp p;
	int n;

	addr_parse("192.0.2.1", &s);
	addr_parse("198.51.100.7", &d);
	n = pkt_build_udp(buf, sizeof(buf), &s, 8888, &d, 40000, msg, 9);
	is_int(n, sizeof(kat_v4), "v4 build length");
	ok(n == sizeof(kat_v4) && !memcmp(buf, kat_v4, sizeof(kat_v4)),
	   "v4 build matches the reference bytes");

	addr_parse("2001:db8::1", &s);
	addr_parse("2001:db8:0:1::7", &d);
	n = pkt_build_udp(buf, sizeof(buf), &s, 8888, &d, 40000, msg, 9);
	is_int(n, sizeof(kat_v6), "v6 build length");
	ok(n == sizeof(kat_v6) && !memcmp(buf, kat_v6, sizeof(kat_v6)),
	   "v6 build matches the reference bytes");

	is_int(pkt_parse_udp(kat_v4, sizeof(kat_v4), &p), 0, "v4 reference parses");
	addr_parse("192.0.2.1", &s);
	addr_parse("198.51.100.7", &d);
	ok(addr_equal(&p.src, &s) && addr_equal(&p.dst, &d), "v4 addresses");
	ok(p.sport == 8888 && p.dport == 40000, "v4 ports");
	ok(p.payload == kat_v4 + 28 && p.payload_len == 9, "v4 payload");

	is_int(pkt_parse_udp(kat_v6, sizeof(kat_v6), &p), 0, "v6 reference parses");
	addr_parse("2001:db8::1", &s);
	addr_parse("2001:db8:0:1::7", &d);
	ok(addr_equal(&p.src, &s) && addr_equal(&p.dst, &d), "v6 addresses");
	ok(p.sport == 8888 && p.dport == 40000, "v6 ports");
	ok(p.payload == kat_v6 + 48 && p.payload_len == 9, "v6 payload");

	is_int(udp_verify(kat_v4, sizeof(kat_v4)), 0xffff,
	       "test's own checksum accepts the v4 reference");
	is_int(ocsum(0, kat_v4, 20), 0xffff,
	       "test's own checksum accepts the v4 reference header");
	is_int(udp_verify(kat_v6, sizeof(kat_v6)), 0xffff,
	       "test's own checksum accepts the v6 reference");
}

static void round_trip(uint8_t family, size_t len)
{
	struct ckq_addr s, d;
	struct pkt_udp p;
	size_t i, hdr = family == CKQ_AF_INET ? 28 : 48;
	int n, good;

	for (i = 0; i < len; i++)
		big[i] = (uint8_t)(i * 7 + len);
	mkaddr(&s, family, 2);
	mkaddr(&d, family, 1);
	n = pkt_build_udp(buf, sizeof(buf), &s, 51234, &d, 8888, big, len);
	is_int(n, hdr + len, "v%d len %zu: build length", family, len);
	if (n < 0)
		return;
	if (family == CKQ_AF_INET)
		ok(ocsum(0, buf, 20) == 0xffff && buf[8] == 64 &&
		   buf[6] == 0x40 && buf[7] == 0,
		   "v4 len %zu: header checksum, TTL 64, DF", len);
	else
		ok(buf[7] == 64 && buf[6] == 17 &&
		   ((size_t)buf[4] << 8 | buf[5]) == len + 8,
		   "v6 len %zu: hop limit 64, next header, payload length",
		   len);
	is_int(udp_verify(buf, (size_t)n), 0xffff,
	       "v%d len %zu: UDP checksum", family, len);
	ok(buf[hdr - 2] || buf[hdr - 1], "v%d len %zu: checksum not zero",
	   family, len);
	is_int(pkt_parse_udp(buf, (size_t)n, &p), 0,
	       "v%d len %zu: parses", family, len);
	good = addr_equal(&p.src, &s) && addr_equal(&p.dst, &d) &&
	       p.sport == 51234 && p.dport == 8888 && p.payload_len == len &&
	       p.payload == buf + hdr && !memcmp(p.payload, big, len);
	ok(good, "v%d len %zu: fields survive the round trip", family, len);
}

static void test_zero_checksum(void)
{
	struct ckq_addr s, d;
	uint8_t pl[2] = { 0, 0 };
	int n;

	mkaddr(&s, CKQ_AF_INET6, 2);
	mkaddr(&d, CKQ_AF_INET6, 1);
	n = pkt_build_udp(buf, sizeof(buf), &s, 1, &d, 2, pl, 2);
	is_int(n, 50, "zero-payload v6 packet");
	/* Adding the checksum itself as data makes the sum 0xffff. */
	pl[0] = buf[46];
	pl[1] = buf[47];
	n = pkt_build_udp(buf, sizeof(buf), &s, 1, &d, 2, pl, 2);
	ok(n == 50 && buf[46] == 0xff && buf[47] == 0xff,
	   "a computed checksum of 0 is sent as 0xffff");
	is_int(udp_verify(buf, 50), 0xffff, "and still verifies");
}

static void test_truncations(void)
{
	struct pkt_udp p;
	size_t i;
	int bad4 = 0, bad6 = 0, r;

	for (i = 0; i < sizeof(kat_v4); i++) {
		r = pkt_parse_udp(kat_v4, i, &p);
		if (r != CKQ_ERR_TRUNCATED && r != CKQ_ERR_FORMAT)
			bad4++;
	}
	for (i = 0; i < sizeof(kat_v6); i++) {
		r = pkt_parse_udp(kat_v6, i, &p);
		if (r != CKQ_ERR_TRUNCATED && r != CKQ_ERR_FORMAT)
			bad6++;
	}
	is_int(bad4, 0, "every truncation of the v4 packet is refused");
	is_int(bad6, 0, "every truncation of the v6 packet is refused");
	is_int(pkt_parse_udp(kat_v4, 0, &p), CKQ_ERR_TRUNCATED, "empty input");
	is_int(pkt_parse_udp(kat_v4, 19, &p), CKQ_ERR_TRUNCATED,
	       "short v4 header");
	is_int(pkt_parse_udp(kat_v4, sizeof(kat_v4) - 1, &p),
	       CKQ_ERR_TRUNCATED, "v4 one byte short");
	is_int(pkt_parse_udp(kat_v6, sizeof(kat_v6) - 1, &p),
	       CKQ_ERR_TRUNCATED, "v6 one byte short");
}

static void test_malformed(void)
{
	uint8_t m[sizeof(kat_v6) + 8];
	struct pkt_udp p;

#define V4(stmt) do { memcpy(m, kat_v4, sizeof(kat_v4)); stmt; } while (0)
#define V6(stmt) do { memcpy(m, kat_v6, sizeof(kat_v6)); stmt; } while (0)

	V4(m[6] |= 0x20);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "first fragment (MF) refused");
	V4(m[7] = 1);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "later fragment (offset) refused");
	V4(m[6] = 0x00);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), 0,
	       "DF clear is fine");
	V4(m[0] = 0x44);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "IHL 4 refused");
	V4(m[0] = 0x40);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "IHL 0 refused");
	V4(m[0] = 0x4f);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "IHL beyond the total length refused");
	V4(m[3] = 19);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "total length below the header refused");
	V4(m[3] = 0x26);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_TRUNCATED,
	       "total length beyond the input refused");
	V4(m[9] = 6);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "TCP refused");
	V4(m[0] = 0x55);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "IP version 5 refused");
	V4(m[25] = 7);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "UDP length 7 refused");
	V4(m[25] = 0);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "UDP length 0 refused");
	V4(m[25] = 0x12);
	is_int(pkt_parse_udp(m, sizeof(kat_v4), &p), CKQ_ERR_FORMAT,
	       "UDP length beyond the datagram refused");
	V4(m[25] = 0x10);
	ok(pkt_parse_udp(m, sizeof(kat_v4), &p) == 0 && p.payload_len == 8,
	   "UDP length shorter than the datagram trims the payload");
	V4(m[25] = 8);
	ok(pkt_parse_udp(m, sizeof(kat_v4), &p) == 0 && p.payload_len == 0,
	   "UDP length 8: empty payload");

	V4((void)0);
	m[sizeof(kat_v4)] = 0xee;
	m[sizeof(kat_v4) + 1] = 0xee;
	ok(pkt_parse_udp(m, sizeof(kat_v4) + 2, &p) == 0 &&
	   p.payload_len == 9 && !memcmp(p.payload, "hello ckq", 9),
	   "bytes beyond the v4 total length are ignored");
	V6((void)0);
	m[sizeof(kat_v6)] = 0xee;
	ok(pkt_parse_udp(m, sizeof(kat_v6) + 1, &p) == 0 && p.payload_len == 9,
	   "bytes beyond the v6 payload length are ignored");

	V6(m[6] = 6);
	is_int(pkt_parse_udp(m, sizeof(kat_v6), &p), CKQ_ERR_FORMAT,
	       "v6 TCP refused");
	V6(m[6] = 0);
	is_int(pkt_parse_udp(m, sizeof(kat_v6), &p), CKQ_ERR_FORMAT,
	       "v6 hop-by-hop extension header refused");
	V6(m[6] = 44);
	is_int(pkt_parse_udp(m, sizeof(kat_v6), &p), CKQ_ERR_FORMAT,
	       "v6 fragment header refused");
	V6(m[5] = 0x12);
	is_int(pkt_parse_udp(m, sizeof(kat_v6), &p), CKQ_ERR_TRUNCATED,
	       "v6 payload length beyond the input refused");
	V6(m[45] = 0x12);
	is_int(pkt_parse_udp(m, sizeof(kat_v6), &p), CKQ_ERR_FORMAT,
	       "v6 UDP length beyond the datagram refused");
	V6((m[4] = 0, m[5] = 4));
	is_int(pkt_parse_udp(m, sizeof(kat_v6), &p), CKQ_ERR_TRUNCATED,
	       "v6 datagram too short for a UDP header refused");
#undef V4
#undef V6
}

static void test_ipv4_options(void)
{
	uint8_t m[sizeof(kat_v4) + 4];
	struct pkt_udp p;

	/* Same packet with one 4-byte option (NOPs) inserted: IHL 6. */
	memcpy(m, kat_v4, 20);
	m[0] = 0x46;
	m[3] = 0x29;
	memset(m + 20, 1, 4);
	memcpy(m + 24, kat_v4 + 20, sizeof(kat_v4) - 20);
	ok(pkt_parse_udp(m, sizeof(m), &p) == 0 && p.sport == 8888 &&
	   p.payload == m + 32 && p.payload_len == 9,
	   "IPv4 options are skipped");
	m[0] = 0x47;
	ok(pkt_parse_udp(m, sizeof(m), &p) != 0,
	   "IHL 7 over the same bytes misreads the UDP header and is refused");
}

static void test_build_errors(void)
{
	struct ckq_addr s4, d4, s6, d6, none;
	size_t i;
	int bad = 0;

	mkaddr(&s4, CKQ_AF_INET, 2);
	mkaddr(&d4, CKQ_AF_INET, 1);
	mkaddr(&s6, CKQ_AF_INET6, 2);
	mkaddr(&d6, CKQ_AF_INET6, 1);
	memset(&none, 0, sizeof(none));

	for (i = 0; i < 37; i++)
		if (pkt_build_udp(buf, i, &s4, 1, &d4, 2,
				  (const uint8_t *)"hello ckq", 9) != CKQ_ERR_RANGE)
			bad++;
	is_int(bad, 0, "every too-small output buffer refused");
	is_int(pkt_build_udp(buf, 37, &s4, 1, &d4, 2,
			     (const uint8_t *)"hello ckq", 9), 37,
	       "exactly large enough buffer accepted");
	is_int(pkt_build_udp(buf, sizeof(buf), &s4, 1, &d6, 2, NULL, 0),
	       CKQ_ERR_RANGE, "mixed families refused");
	is_int(pkt_build_udp(buf, sizeof(buf), &none, 1, &none, 2, NULL, 0),
	       CKQ_ERR_RANGE, "unset family refused");
	is_int(pkt_build_udp(buf, sizeof(buf), &s4, 1, &d4, 2, big,
			     65535 - 28), 65535, "largest v4 packet");
	is_int(udp_verify(buf, 65535), 0xffff, "largest v4 packet checksum");
	is_int(pkt_build_udp(buf, sizeof(buf), &s4, 1, &d4, 2, big,
			     65535 - 27), CKQ_ERR_RANGE,
	       "v4 packet over 65535 refused");
	is_int(pkt_build_udp(buf, sizeof(buf), &s6, 1, &d6, 2, big,
			     65535 - 8), 65535 + 40, "largest v6 packet");
	is_int(udp_verify(buf, 65535 + 40), 0xffff,
	       "largest v6 packet checksum");
	is_int(pkt_build_udp(buf, sizeof(buf), &s6, 1, &d6, 2, big,
			     65535 - 7), CKQ_ERR_RANGE,
	       "v6 payload length over 65535 refused");
}

static void test_raw_args(void)
{
	static const uint8_t junk[] = { 0x50, 0, 0, 0 };

	is_int(pkt_raw_open(0), CKQ_ERR_RANGE, "raw socket: unknown family");
	is_int(pkt_raw_open(2), CKQ_ERR_RANGE,
	       "raw socket: AF_INET is not a CKQ_AF_*");
	is_int(pkt_raw_send(-1, junk, sizeof(junk)), CKQ_ERR_FORMAT,
	       "raw send: not an IP packet");
	is_int(pkt_raw_send(-1, kat_v4, 10), CKQ_ERR_FORMAT,
	       "raw send: too short for a destination");
	is_int(pkt_raw_send(-1, kat_v6, 39), CKQ_ERR_FORMAT,
	       "raw send: v6 too short for a destination");
	errno = 0;
	ok(pkt_raw_send(-1, kat_v4, sizeof(kat_v4)) == CKQ_ERR_IO &&
	   errno == EBADF, "raw send: socket errors reported as I/O");
}

/* addr_to_sockaddr is what pkt_raw_send, ckq and the web page connect or listen with. */
static void test_sockaddr(void)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	struct ckq_addr a, back;
	struct in6_addr want6;
	socklen_t sl;

	addr_parse("198.51.100.7", &a);
	sl = addr_to_sockaddr(&a, 8888, &ss);
	ok(sl == sizeof(*sin) && sin->sin_family == AF_INET && ntohs(sin->sin_port) == 8888 &&
	   ntohl(sin->sin_addr.s_addr) == 0xc6336407, "sockaddr: IPv4 address and port");
	ok(addr_from_sockaddr(&ss, &back) == 0 && addr_equal(&a, &back), "sockaddr: IPv4 back");
	addr_parse("2001:db8:0:1::7", &a);
	inet_pton(AF_INET6, "2001:db8:0:1::7", &want6);
	sl = addr_to_sockaddr(&a, 40000, &ss);
	ok(sl == sizeof(*sin6) && sin6->sin6_family == AF_INET6 &&
	   ntohs(sin6->sin6_port) == 40000 && !memcmp(&sin6->sin6_addr, &want6, 16) &&
	   sin6->sin6_flowinfo == 0 && sin6->sin6_scope_id == 0, "sockaddr: IPv6 address and port");
	ok(addr_from_sockaddr(&ss, &back) == 0 && addr_equal(&a, &back), "sockaddr: IPv6 back");
	memset(&a, 0, sizeof(a));
	is_int((int)addr_to_sockaddr(&a, 1, &ss), 0, "sockaddr: no family, no address");
	ss.ss_family = AF_UNIX;
	is_int(addr_from_sockaddr(&ss, &back), CKQ_ERR_FORMAT, "sockaddr: another family refused");
}

int main(void)
{
	static const size_t lens[] = { 0, 1, 2, 9, 255, 1472, 4001 };
	size_t i;

	test_kat();
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		round_trip(CKQ_AF_INET, lens[i]);
		round_trip(CKQ_AF_INET6, lens[i]);
	}
	test_zero_checksum();
	test_truncations();
	test_malformed();
	test_ipv4_options();
	test_build_errors();
	test_raw_args();
	test_sockaddr();
	return done_testing();
}
