/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Suite 2's messages 2 to 4 and its cookie reply (doc/protocol.md 11.4):
 * fixed sizes, each sealed with ChaCha20-Poly1305 under a key of its
 * direction, the header and sid authenticated with H1 and fp(S).
 */
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "proto.h"
#include "proto2.h"
#include "proto_hdr.h"

static const char L_CHAL2[] = "ckq suite2 challenge s2c";
static const char L_RESP2[] = "ckq suite2 response c2s";
static const char L_RES2[] = "ckq suite2 result s2c";
static const char L_COOKIE2[] = "ckq suite2 cookie s2c";

#define HS_LEN (CKQ_HDR_LEN + CKQ_SID_LEN)

enum { N_CHAL = 2, N_RESP = 3, N_RES = 4, N_COOKIE = 5 };

static int check_hdr2(const uint8_t *msg, size_t len, uint8_t type, size_t want_len)
{
	struct cur c = cur_init(msg, len);
	int ret = hdr_get(&c, CKQ_SUITE_2, type);

	if (ret < 0)
		return ret;
	return len == want_len ? 0 : len < want_len ? CKQ_ERR_TRUNCATED : CKQ_ERR_FORMAT;
}

/* header, sid, ct = AEAD(key, nonce, label || fp(S) || H1 || header || sid, body) */
static int seal2(const struct s2_server *srv, const struct s2_session *s, uint8_t type,
		 struct span label, uint64_t nonce, const uint8_t key[CKQ_AEAD2_KEY_LEN],
		 const uint8_t *body, size_t body_len, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wbuf w = wbuf_init(out, cap);
	uint8_t *ct;
	int ret;

	hdr_put(&w, CKQ_SUITE_2, type);
	wbuf_put(&w, s->sid, CKQ_SID_LEN);
	ct = wbuf_reserve(&w, body_len + CKQ_TAG_LEN);
	if (!ct || w.err)
		return CKQ_ERR_RANGE;
	{
		struct span aad[] = {
			label, SPAN(srv->fp, CKQ_FP_LEN), SPAN(s->h1, CKQ_HASH_LEN),
			SPAN(out, HS_LEN),
		};

		ret = aead2_seal(key, nonce, aad, 4, body, body_len, ct);
	}
	if (ret < 0)
		return ret;
	*out_len = w.len;
	return 0;
}

static int open2(const struct s2_server *srv, const struct s2_session *s, struct span label,
		 uint64_t nonce, const uint8_t key[CKQ_AEAD2_KEY_LEN], const uint8_t *msg,
		 size_t body_len, uint8_t *body)
{
	struct span aad[] = {
		label, SPAN(srv->fp, CKQ_FP_LEN), SPAN(s->h1, CKQ_HASH_LEN), SPAN(msg, HS_LEN),
	};

	if (!ct_equal(msg + CKQ_HDR_LEN, s->sid, CKQ_SID_LEN))
		return CKQ_ERR_NOENT;
	return aead2_open(key, nonce, aad, 4, msg + HS_LEN, body_len + CKQ_TAG_LEN, body);
}

int s2_challenge_build(const struct s2_server *srv, const struct s2_session *s,
		       uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t body[2 * CKQ_NONCE_LEN];
	int ret;

	memcpy(body, s->nc, CKQ_NONCE_LEN);
	memcpy(body + CKQ_NONCE_LEN, s->ns, CKQ_NONCE_LEN);
	ret = seal2(srv, s, CKQ_MSG_CHALLENGE, LABEL(L_CHAL2), N_CHAL, s->k_s2c, body,
		    sizeof(body), out, cap, out_len);
	wipe(body, sizeof(body));
	return ret;
}

int s2_challenge_open(const struct s2_server *srv, struct s2_session *s,
		      const uint8_t *msg, size_t len)
{
	uint8_t body[2 * CKQ_NONCE_LEN];
	struct s2_session t;
	int ret = check_hdr2(msg, len, CKQ_MSG_CHALLENGE, CKQ_S2_MSG2_LEN);

	if (ret < 0)
		return ret;
	/* The client learns sid from this message, and keeps it once it opens. */
	t = *s;
	memcpy(t.sid, msg + CKQ_HDR_LEN, CKQ_SID_LEN);
	ret = open2(srv, &t, LABEL(L_CHAL2), N_CHAL, t.k_s2c, msg, sizeof(body), body);
	if (ret == 0 && !ct_equal(body, s->nc, CKQ_NONCE_LEN))
		ret = CKQ_ERR_NONCE;
	if (ret == 0) {
		memcpy(s->sid, t.sid, CKQ_SID_LEN);
		memcpy(s->ns, body + CKQ_NONCE_LEN, CKQ_NONCE_LEN);
	}
	wipe(&t, sizeof(t));
	wipe(body, sizeof(body));
	return ret;
}

int s2_response_build(const struct s2_server *srv, const struct s2_session *s,
		      uint8_t *out, size_t cap, size_t *out_len)
{
	size_t n = 0;
	int ret;

	if (cap < CKQ_S2_MSG3_LEN)
		return CKQ_ERR_RANGE;
	ret = seal2(srv, s, CKQ_MSG_RESPONSE, LABEL(L_RESP2), N_RESP, s->k_c2s, s->ns,
		    CKQ_NONCE_LEN, out, cap - CKQ_MAC1_LEN, &n);
	if (ret < 0)
		return ret;
	ret = mac1_compute(srv->mac1_key, out, n, out + n);
	if (ret < 0)
		return ret;
	*out_len = n + CKQ_MAC1_LEN;
	return 0;
}

int s2_response_precheck(const struct s2_server *srv, const uint8_t *msg, size_t len,
			 uint8_t sid[CKQ_SID_LEN])
{
	uint8_t mac[CKQ_MAC1_LEN];
	int ret = check_hdr2(msg, len, CKQ_MSG_RESPONSE, CKQ_S2_MSG3_LEN);

	if (ret < 0)
		return ret;
	ret = mac1_compute(srv->mac1_key, msg, len - CKQ_MAC1_LEN, mac);
	if (ret < 0)
		return ret;
	if (!ct_equal(mac, msg + len - CKQ_MAC1_LEN, CKQ_MAC1_LEN))
		return CKQ_ERR_MAC;
	memcpy(sid, msg + CKQ_HDR_LEN, CKQ_SID_LEN);
	return CKQ_MSG_RESPONSE;
}

int s2_response_open(const struct s2_server *srv, const struct s2_session *s,
		     const uint8_t *msg, size_t len)
{
	uint8_t ns[CKQ_NONCE_LEN];
	int ret = check_hdr2(msg, len, CKQ_MSG_RESPONSE, CKQ_S2_MSG3_LEN);

	if (ret < 0)
		return ret;
	ret = open2(srv, s, LABEL(L_RESP2), N_RESP, s->k_c2s, msg, sizeof(ns), ns);
	if (ret == 0 && !ct_equal(ns, s->ns, CKQ_NONCE_LEN))
		ret = CKQ_ERR_NONCE;
	wipe(ns, sizeof(ns));
	return ret;
}

int s2_result_build(const struct s2_server *srv, const struct s2_session *s,
		    const struct ckq_result *res, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t body[29];
	struct wbuf b = wbuf_init(body, sizeof(body));

	wbuf_u8(&b, res->status);
	wbuf_u8(&b, res->addr.family);
	wbuf_put(&b, res->addr.a, 16);
	wbuf_u8(&b, res->proto);
	wbuf_u16(&b, res->port);
	wbuf_u64(&b, res->expires);
	if (b.err || b.len != sizeof(body))
		return CKQ_ERR_INTERNAL;
	return seal2(srv, s, CKQ_MSG_RESULT, LABEL(L_RES2), N_RES, s->k_s2c, body, b.len,
		     out, cap, out_len);
}

int s2_result_open(const struct s2_server *srv, const struct s2_session *s,
		   const uint8_t *msg, size_t len, struct ckq_result *res)
{
	static const uint8_t zero[16];
	uint8_t body[29];
	struct cur c;
	int ret = check_hdr2(msg, len, CKQ_MSG_RESULT, CKQ_S2_MSG4_LEN);

	if (ret < 0)
		return ret;
	ret = open2(srv, s, LABEL(L_RES2), N_RES, s->k_s2c, msg, sizeof(body), body);
	if (ret < 0)
		return ret;
	c = cur_init(body, sizeof(body));
	res->status = cur_u8(&c);
	res->addr.family = cur_u8(&c);
	cur_copy(&c, res->addr.a, 16);
	res->proto = cur_u8(&c);
	res->port = cur_u16(&c);
	res->expires = cur_u64(&c);
	if (c.err || cur_left(&c) || !addr_len(&res->addr) ||
	    (res->addr.family == CKQ_AF_INET && memcmp(res->addr.a + 4, zero, 12)) ||
	    (res->status != CKQ_RES_GRANTED && res->status != CKQ_RES_CLOSED))
		return CKQ_ERR_FORMAT;
	return 0;
}

/* A fresh key for every reply, from the server's mac1 key and a random nonce (3.8). */
static int cookie_key2(const struct s2_server *srv, const uint8_t *nonce,
		       uint8_t key[CKQ_AEAD2_KEY_LEN])
{
	struct span parts[] = {
		LABEL(L_COOKIE2), SPAN(srv->mac1_key, CKQ_HASH_LEN),
		SPAN(nonce, CKQ_COOKIE_NONCE_LEN),
	};

	return sha256_parts(parts, 3, key);
}

int s2_cookie_build(const struct s2_server *srv, const uint8_t *m1_core, size_t core_len,
		    const uint8_t cookie[CKQ_COOKIE_LEN], uint8_t *out, size_t cap,
		    size_t *out_len)
{
	struct wbuf w = wbuf_init(out, cap);
	uint8_t key[CKQ_AEAD2_KEY_LEN], *nonce, *ct;
	int ret;

	if (core_len < CKQ_HDR_LEN + CKQ_MAC1_LEN)
		return CKQ_ERR_RANGE;
	hdr_put(&w, CKQ_SUITE_2, CKQ_MSG_COOKIE);
	nonce = wbuf_reserve(&w, CKQ_COOKIE_NONCE_LEN);
	ct = wbuf_reserve(&w, CKQ_COOKIE_LEN + CKQ_TAG_LEN);
	if (!nonce || !ct || w.err)
		return CKQ_ERR_RANGE;
	ret = ckq_random(nonce, CKQ_COOKIE_NONCE_LEN);
	if (ret == 0)
		ret = cookie_key2(srv, nonce, key);
	if (ret == 0) {
		struct span aad[] = {
			LABEL(L_COOKIE2), SPAN(srv->fp, CKQ_FP_LEN),
			SPAN(out, CKQ_HDR_LEN + CKQ_COOKIE_NONCE_LEN),
			SPAN(m1_core + core_len - CKQ_MAC1_LEN, CKQ_MAC1_LEN),
		};

		ret = aead2_seal(key, N_COOKIE, aad, 4, cookie, CKQ_COOKIE_LEN, ct);
	}
	wipe(key, sizeof(key));
	if (ret < 0)
		return ret;
	*out_len = w.len;
	return 0;
}

int s2_cookie_open(const struct s2_server *srv, const uint8_t *m1_core, size_t core_len,
		   const uint8_t *msg, size_t len, uint8_t cookie[CKQ_COOKIE_LEN])
{
	uint8_t key[CKQ_AEAD2_KEY_LEN];
	int ret;

	if (core_len < CKQ_HDR_LEN + CKQ_MAC1_LEN)
		return CKQ_ERR_RANGE;
	ret = check_hdr2(msg, len, CKQ_MSG_COOKIE, CKQ_COOKIE_MSG_LEN);
	if (ret < 0)
		return ret;
	ret = cookie_key2(srv, msg + CKQ_HDR_LEN, key);
	if (ret == 0) {
		struct span aad[] = {
			LABEL(L_COOKIE2), SPAN(srv->fp, CKQ_FP_LEN),
			SPAN(msg, CKQ_HDR_LEN + CKQ_COOKIE_NONCE_LEN),
			SPAN(m1_core + core_len - CKQ_MAC1_LEN, CKQ_MAC1_LEN),
		};

		ret = aead2_open(key, N_COOKIE, aad, 4, msg + CKQ_HDR_LEN + CKQ_COOKIE_NONCE_LEN,
				 CKQ_COOKIE_LEN + CKQ_TAG_LEN, cookie);
	}
	wipe(key, sizeof(key));
	return ret;
}
