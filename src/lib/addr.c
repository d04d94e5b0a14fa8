/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
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
