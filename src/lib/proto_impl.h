/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What proto.c (message 1 and the cookie reply) and proto_session.c
 * (messages 2 to 4, sealed with the session key) share: the labels, the
 * sizes, the header and address codecs.
 */
#ifndef CKQ_PROTO_IMPL_H
#define CKQ_PROTO_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "proto_hdr.h"

/*
 * Direction labels: each enters the AEAD's associated data and the
 * signatures, so no message can be reflected or taken for another type.
 */
static const char L_REQ[] = "ckq suite1 request c2s";
static const char L_CHAL[] = "ckq suite1 challenge s2c";
static const char L_RESP[] = "ckq suite1 response c2s";
static const char L_RES[] = "ckq suite1 result s2c";
static const char L_COOKIE[] = "ckq suite1 cookie s2c";

/* Nonces of the session key: each message type uses its own, once. */
enum { N_REQ = 1, N_CHAL = 2, N_RESP = 3, N_RES = 4, N_COOKIE = 5 };

#define BODY1_FIXED (1 + 1 + 1 + 16 + 1 + 2 + 4 + 8 + 4 + CKQ_NONCE_LEN + 2)
#define BODY2_LEN (2 * CKQ_NONCE_LEN)
#define BODY4_LEN (1 + 1 + 16 + 1 + 2 + 8)

static inline void put_hdr(struct wbuf *w, uint8_t type)
{
	hdr_put(w, CKQ_SUITE_1, type);
}

static inline int get_hdr(struct cur *c, uint8_t want_type)
{
	return hdr_get(c, CKQ_SUITE_1, want_type);
}

static inline void put_addr(struct wbuf *w, const struct ckq_addr *a)
{
	wbuf_u8(w, a->family);
	wbuf_put(w, a->a, 16);
}

/* any: a request may leave the address to the server (family 0, all zero). */
static inline int get_addr(struct cur *c, struct ckq_addr *a, bool any)
{
	static const uint8_t zero[16];

	a->family = cur_u8(c);
	cur_copy(c, a->a, 16);
	if (c->err)
		return CKQ_ERR_TRUNCATED;
	if (a->family == CKQ_AF_INET) {
		if (memcmp(a->a + 4, zero, 12))
			return CKQ_ERR_FORMAT;
	} else if (a->family == CKQ_AF_ANY) {
		if (!any || memcmp(a->a, zero, 16))
			return CKQ_ERR_FORMAT;
	} else if (a->family != CKQ_AF_INET6) {
		return CKQ_ERR_FORMAT;
	}
	return 0;
}

static inline int finish_mac1(const struct ckq_key *server, struct wbuf *w)
{
	uint8_t *mac;
	size_t covered = w->len;

	mac = wbuf_reserve(w, CKQ_MAC1_LEN);
	if (!mac)
		return CKQ_ERR_RANGE;
	return mac1_compute(server->mac1_key, w->p, covered, mac);
}

#endif
