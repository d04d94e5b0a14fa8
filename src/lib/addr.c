/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "err.h"

int addr_parse(const char *s, struct ckq_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = CKQ_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = CKQ_AF_INET6;
		return 0;
	}
	return CKQ_ERR_FORMAT;
}

const char *addr_str(const struct ckq_addr *a, char *out, size_t out_size)
{
	int af = a->family == CKQ_AF_INET ? AF_INET :
		 a->family == CKQ_AF_INET6 ? AF_INET6 : -1;

	if (af < 0 || !inet_ntop(af, a->a, out, (socklen_t)out_size))
		snprintf(out, out_size, "?");
	return out;
}

size_t addr_len(const struct ckq_addr *a)
{
	return a->family == CKQ_AF_INET ? 4 : a->family == CKQ_AF_INET6 ? 16 : 0;
}

bool addr_equal(const struct ckq_addr *x, const struct ckq_addr *y)
{
	return x->family == y->family && addr_len(x) &&
	       !memcmp(x->a, y->a, addr_len(x));
}

socklen_t addr_to_sockaddr(const struct ckq_addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == CKQ_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->a, 4);
		return sizeof(*sin);
	}
	if (a->family == CKQ_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->a, 16);
		return sizeof(*sin6);
	}
	return 0;
}

int addr_from_sockaddr(const struct sockaddr_storage *ss, struct ckq_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		out->family = CKQ_AF_INET;
		memcpy(out->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		out->family = CKQ_AF_INET6;
		memcpy(out->a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		return 0;
	}
	return CKQ_ERR_FORMAT;
}

const char *proto_name(uint8_t proto)
{
	return proto == CKQ_PROTO_TCP ? "tcp" : proto == CKQ_PROTO_UDP ? "udp" : "?";
}

int portspec_parse(const char *s, uint8_t *proto, uint16_t *port)
{
	unsigned long v = 0;
	const char *p = s;

	*proto = CKQ_PROTO_TCP;
	if (!strncmp(s, "tcp/", 4)) {
		p = s + 4;
	} else if (!strncmp(s, "udp/", 4)) {
		*proto = CKQ_PROTO_UDP;
		p = s + 4;
	}
	if (!*p || strlen(p) > 5)
		return CKQ_ERR_FORMAT;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return CKQ_ERR_FORMAT;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return CKQ_ERR_FORMAT;
	*port = (uint16_t)v;
	return 0;
}

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[CKQ_ADDR_STRLEN + 4];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s), max, i;
	unsigned long bits = 0;

	if (n >= CKQ_ADDR_STRLEN)
		return CKQ_ERR_FORMAT;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (addr_parse(buf, &out->net) < 0)
		return CKQ_ERR_FORMAT;
	max = addr_len(&out->net) * 8;
	if (!slash) {
		out->bits = (uint8_t)max;
		return 0;
	}
	if (!slash[1] || strlen(slash + 1) > 3)
		return CKQ_ERR_FORMAT;
	for (i = 1; slash[i]; i++) {
		if (slash[i] < '0' || slash[i] > '9')
			return CKQ_ERR_FORMAT;
		bits = bits * 10 + (unsigned long)(slash[i] - '0');
	}
	if (bits > max)
		return CKQ_ERR_FORMAT;
	out->bits = (uint8_t)bits;
	/* Host bits set ("10.1.2.3/8") are a typo worth refusing, not guessing. */
	for (i = bits; i < max; i++)
		if (out->net.a[i / 8] & (0x80 >> (i % 8)))
			return CKQ_ERR_FORMAT;
	return 0;
}

bool cidr_match(const struct cidr *c, const struct ckq_addr *a)
{
	size_t i;

	if (a->family != c->net.family)
		return false;
	for (i = 0; i < c->bits; i++)
		if ((a->a[i / 8] ^ c->net.a[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

const char *cidr_str(const struct cidr *c, char *out, size_t out_size)
{
	char a[CKQ_ADDR_STRLEN];

	snprintf(out, out_size, "%s/%u", addr_str(&c->net, a, sizeof(a)), c->bits);
	return out;
}
