/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "pkt.h"

#define IPV4_DF 0x4000
#define IPV4_MF_OFFSET 0x3fff
#define PKT_TTL 64

static int parse_udp(struct cur *c, struct pkt_udp *p)
{
	size_t left = cur_left(c);
	uint16_t ulen;

	p->sport = cur_u16(c);
	p->dport = cur_u16(c);
	ulen = cur_u16(c);
	cur_u16(c);
	if (c->err)
		return CKQ_ERR_TRUNCATED;
	/* A shorter length than the datagram is trimmed, as the kernel does. */
	if (ulen < PKT_UDP_HDR_LEN || ulen > left)
		return CKQ_ERR_FORMAT;
	p->payload_len = ulen - PKT_UDP_HDR_LEN;
	p->payload = cur_take(c, p->payload_len);
	return p->payload ? 0 : CKQ_ERR_INTERNAL;
}

static int parse_ipv4(const uint8_t *pkt, size_t len, struct pkt_udp *p)
{
	struct cur c = cur_init(pkt, len), d;
	size_t ihl = (size_t)(cur_u8(&c) & 0x0f) * 4;
	uint16_t total, frag;
	uint8_t proto;

	cur_u8(&c);
	total = cur_u16(&c);
	cur_u16(&c);
	frag = cur_u16(&c);
	cur_u8(&c);
	proto = cur_u8(&c);
	/* The header checksum was verified by the kernel before netfilter. */
	cur_u16(&c);
	p->src.family = p->dst.family = CKQ_AF_INET;
	cur_copy(&c, p->src.a, 4);
	cur_copy(&c, p->dst.a, 4);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (ihl < PKT_IPV4_HDR_LEN || total < ihl)
		return CKQ_ERR_FORMAT;
	if (total > len)
		return CKQ_ERR_TRUNCATED;
	if (proto != CKQ_PROTO_UDP || (frag & IPV4_MF_OFFSET))
		return CKQ_ERR_FORMAT;
	d = cur_init(pkt, total);
	cur_take(&d, ihl);
	return parse_udp(&d, p);
}

static int parse_ipv6(const uint8_t *pkt, size_t len, struct pkt_udp *p)
{
	struct cur c = cur_init(pkt, len), d;
	size_t plen;
	uint8_t next;

	cur_u32(&c);
	plen = cur_u16(&c);
	next = cur_u8(&c);
	cur_u8(&c);
	p->src.family = p->dst.family = CKQ_AF_INET6;
	cur_copy(&c, p->src.a, 16);
	cur_copy(&c, p->dst.a, 16);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (PKT_IPV6_HDR_LEN + plen > len)
		return CKQ_ERR_TRUNCATED;
	/* Extension headers are not walked yet, so they are refused. */
	if (next != CKQ_PROTO_UDP)
		return CKQ_ERR_FORMAT;
	d = cur_init(pkt, PKT_IPV6_HDR_LEN + plen);
	cur_take(&d, PKT_IPV6_HDR_LEN);
	return parse_udp(&d, p);
}

int pkt_parse_udp(const uint8_t *pkt, size_t len, struct pkt_udp *out)
{
	struct cur c = cur_init(pkt, len);
	struct pkt_udp p;
	uint8_t version = cur_u8(&c) >> 4;
	int ret;

	memset(&p, 0, sizeof(p));
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (version == 4)
		ret = parse_ipv4(pkt, len, &p);
	else if (version == 6)
		ret = parse_ipv6(pkt, len, &p);
	else
		ret = CKQ_ERR_FORMAT;
	if (ret == 0)
		*out = p;
	return ret;
}

static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int pkt_build_udp(uint8_t *out, size_t out_size,
		  const struct ckq_addr *src, uint16_t sport,
		  const struct ckq_addr *dst, uint16_t dport,
		  const uint8_t *payload, size_t len)
{
	struct wbuf w = wbuf_init(out, out_size);
	size_t alen = addr_len(src), ulen, l4;
	uint64_t sum;
	uint16_t check;

	if (!alen || src->family != dst->family ||
	    len > 65535 - PKT_UDP_HDR_LEN)
		return CKQ_ERR_RANGE;
	ulen = PKT_UDP_HDR_LEN + len;
	l4 = alen == 4 ? PKT_IPV4_HDR_LEN : PKT_IPV6_HDR_LEN;
	if ((alen == 4 && l4 + ulen > 65535) || l4 + ulen > out_size)
		return CKQ_ERR_RANGE;

	if (alen == 4) {
		wbuf_u8(&w, 0x45);
		wbuf_u8(&w, 0);
		wbuf_u16(&w, (uint16_t)(l4 + ulen));
		/* A zero id is fine for atomic datagrams (RFC 6864). */
		wbuf_u16(&w, 0);
		wbuf_u16(&w, IPV4_DF);
		wbuf_u8(&w, PKT_TTL);
		wbuf_u8(&w, CKQ_PROTO_UDP);
		wbuf_u16(&w, 0);
		wbuf_put(&w, src->a, 4);
		wbuf_put(&w, dst->a, 4);
		if (w.err)
			return CKQ_ERR_RANGE;
		wbuf_patch_u16(&w, 10, csum_fold(csum_add(0, out, l4)));
	} else {
		wbuf_u32(&w, 0x60000000);
		wbuf_u16(&w, (uint16_t)ulen);
		wbuf_u8(&w, CKQ_PROTO_UDP);
		wbuf_u8(&w, PKT_TTL);
		wbuf_put(&w, src->a, 16);
		wbuf_put(&w, dst->a, 16);
	}
	sum = csum_add(0, src->a, alen);
	sum = csum_add(sum, dst->a, alen);
	sum += CKQ_PROTO_UDP + ulen;

	wbuf_u16(&w, sport);
	wbuf_u16(&w, dport);
	wbuf_u16(&w, (uint16_t)ulen);
	wbuf_u16(&w, 0);
	wbuf_put(&w, payload, len);
	if (w.err)
		return CKQ_ERR_RANGE;
	check = csum_fold(csum_add(sum, out + l4, ulen));
	/* Zero means "no checksum" in UDP, and IPv6 forbids that. */
	wbuf_patch_u16(&w, l4 + 6, check ? check : 0xffff);
	return (int)w.len;
}

int pkt_raw_open(uint8_t family)
{
	int one = 1, fd;

	if (family != CKQ_AF_INET && family != CKQ_AF_INET6)
		return CKQ_ERR_RANGE;
	fd = socket(family == CKQ_AF_INET ? AF_INET : AF_INET6,
		    SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return CKQ_ERR_IO;
	/*
	 * IPPROTO_RAW already means "the header is ours" for both families;
	 * kernels since 4.5 also take the explicit IPv6 option, older ones
	 * refuse it with ENOPROTOOPT.
	 */
	if (family == CKQ_AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT) {
		int saved = errno;

		close(fd);
		errno = saved;
		return CKQ_ERR_IO;
	}
	/*
	 * The socket only sends, but the kernel would still queue every
	 * incoming packet of protocol 255 to it: a filter that takes nothing
	 * keeps its receive queue empty.
	 */
	{
		struct sock_filter none = BPF_STMT(BPF_RET | BPF_K, 0);
		struct sock_fprog prog = { .len = 1, .filter = &none };

		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return CKQ_ERR_IO;
		}
	}
	return fd;
}

int pkt_raw_send(int fd, const uint8_t *pkt, size_t len)
{
	struct cur c = cur_init(pkt, len);
	uint8_t version = cur_u8(&c) >> 4;
	struct sockaddr_storage ss;
	struct ckq_addr dst;
	socklen_t salen;
	ssize_t n = -1;
	int tries;

	memset(&dst, 0, sizeof(dst));
	if (version == 4) {
		cur_take(&c, 15);
		cur_copy(&c, dst.a, 4);
		dst.family = CKQ_AF_INET;
	} else if (version == 6) {
		cur_take(&c, 23);
		cur_copy(&c, dst.a, 16);
		dst.family = CKQ_AF_INET6;
	} else {
		return CKQ_ERR_FORMAT;
	}
	if (c.err)
		return CKQ_ERR_FORMAT;
	salen = addr_to_sockaddr(&dst, 0, &ss);

	for (tries = 0; tries < 3; tries++) {
		n = sendto(fd, pkt, len, MSG_DONTWAIT, (const struct sockaddr *)&ss, salen);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0)
		return CKQ_ERR_IO;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return CKQ_ERR_IO;
	}
	return 0;
}
