/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_ADDR_H
#define CKQ_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One type for IPv4 and IPv6 so every layer is ready for both families. */
struct ckq_addr {
	uint8_t family;		/* CKQ_AF_INET or CKQ_AF_INET6 */
	uint8_t a[16];		/* IPv4 in a[0..3], the rest zero */
};

#define CKQ_AF_ANY 0		/* in a request: the address the server sees (NAT) */
#define CKQ_AF_INET 4
#define CKQ_AF_INET6 6
#define CKQ_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */

#define CKQ_PROTO_TCP 6
#define CKQ_PROTO_UDP 17

/* Returns 0 or CKQ_ERR_FORMAT. Accepts dotted quad or IPv6 text. */
int addr_parse(const char *s, struct ckq_addr *out);
/* Writes text into out (at least CKQ_ADDR_STRLEN bytes); returns out. */
const char *addr_str(const struct ckq_addr *a, char *out, size_t out_size);
bool addr_equal(const struct ckq_addr *x, const struct ckq_addr *y);
size_t addr_len(const struct ckq_addr *a); /* 4 or 16, 0 if invalid */
/* Fills ss with a and port; returns its length, 0 when a has no family. */
socklen_t addr_to_sockaddr(const struct ckq_addr *a, uint16_t port,
			   struct sockaddr_storage *ss);
/* The inverse, for getsockname(): 0, or CKQ_ERR_FORMAT for another family. */
int addr_from_sockaddr(const struct sockaddr_storage *ss, struct ckq_addr *out);

struct cidr {
	struct ckq_addr net;
	uint8_t bits;
};

/* "10.0.0.0/8", "2001:db8::/32" or a bare address. Returns 0 or CKQ_ERR_FORMAT. */
int cidr_parse(const char *s, struct cidr *out);
bool cidr_match(const struct cidr *c, const struct ckq_addr *a);
const char *cidr_str(const struct cidr *c, char *out, size_t out_size);

/* "tcp/22", "udp/53" or a bare "22" (tcp). Returns 0 or CKQ_ERR_FORMAT. */
int portspec_parse(const char *s, uint8_t *proto, uint16_t *port);
const char *proto_name(uint8_t proto);

#endif
