/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_PKT_H
#define CKQ_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define PKT_IPV4_HDR_LEN 20
#define PKT_IPV6_HDR_LEN 40
#define PKT_UDP_HDR_LEN 8
#define PKT_MAX_LEN (65535 + PKT_IPV6_HDR_LEN)

/* payload points into the buffer given to pkt_parse_udp(). */
struct pkt_udp {
	struct ckq_addr src, dst;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Parses a whole IPv4 or IPv6 packet carrying UDP, as netfilter queues it.
 * Bytes beyond the IP length fields are ignored. IPv4 fragments and IPv6
 * extension headers (fragment header included) are refused with
 * CKQ_ERR_FORMAT. The UDP checksum is not checked. Returns 0,
 * CKQ_ERR_TRUNCATED or CKQ_ERR_FORMAT.
 */
int pkt_parse_udp(const uint8_t *pkt, size_t len, struct pkt_udp *out);

/*
 * Writes an IPv4 (TTL 64, DF, id 0) or IPv6 (hop limit 64) packet with a
 * UDP header and checksum. src and dst must be of the same family. Returns
 * the packet's length or CKQ_ERR_RANGE.
 */
int pkt_build_udp(uint8_t *out, size_t out_size,
		  const struct ckq_addr *src, uint16_t sport,
		  const struct ckq_addr *dst, uint16_t dport,
		  const uint8_t *payload, size_t len);

/*
 * A raw socket that sends packets made by pkt_build_udp() as they are.
 * family is CKQ_AF_INET or CKQ_AF_INET6. Returns the fd, CKQ_ERR_RANGE or
 * CKQ_ERR_IO (errno set).
 */
int pkt_raw_open(uint8_t family);

/*
 * Sends without blocking to the destination written in the packet. Returns
 * 0, CKQ_ERR_FORMAT when pkt is not an IP packet, or CKQ_ERR_IO (errno set;
 * EAGAIN when the socket buffer is full).
 */
int pkt_raw_send(int fd, const uint8_t *pkt, size_t len);

#endif
