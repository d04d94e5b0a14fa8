/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "proto.h"
#include "util.h"

/*
 * Direction labels: each enters the AEAD's associated data and the
 * signatures, so no message can be reflected or taken for another type.
 */
static const char L_REQ[] = "ckq suite1 request c2s";
static const char L_CHAL[] = "ckq suite1 challenge s2c";
static const char L_RESP[] = "ckq suite1 response c2s";
static const char L_RES[] = "ckq suite1 result s2c";
static const char L_COOKIE[] = "ckq suite1 cookie s2c";

#define LABEL(l) ((struct span){ (l), sizeof(l) - 1 })
#define SPAN(p, n) ((struct span){ (p), (n) })

/* Nonces of the session key: each message type uses its own, once. */
enum { N_REQ = 1, N_CHAL = 2, N_RESP = 3, N_RES = 4, N_COOKIE = 5 };

#define BODY1_FIXED (1 + 1 + 1 + 16 + 1 + 2 + 4 + 8 + 4 + CKQ_NONCE_LEN + 2)
#define BODY2_LEN (2 * CKQ_NONCE_LEN)
#define BODY4_LEN (1 + 1 + 16 + 1 + 2 + 8)

bool user_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > CKQ_USER_MAX || s[0] == '.' || s[0] == '-')
		return false;
	return name_chars_ok(s, len);
}

static void put_hdr(struct wbuf *w, uint8_t type)
{
	wbuf_put(w, CKQ_MAGIC, 3);
	wbuf_u8(w, CKQ_VERSION);
	wbuf_u8(w, CKQ_SUITE_1);
	wbuf_u8(w, type);
	wbuf_u16(w, 0);
}

static int get_hdr(struct cur *c, uint8_t want_type)
{
	const uint8_t *magic = cur_take(c, 3);
	uint8_t version = cur_u8(c), suite = cur_u8(c), type = cur_u8(c);
	uint16_t reserved = cur_u16(c);

	if (c->err)
		return CKQ_ERR_TRUNCATED;
	if (memcmp(magic, CKQ_MAGIC, 3))
		return CKQ_ERR_MAGIC;
	if (version != CKQ_VERSION)
		return CKQ_ERR_VERSION;
	if (suite != CKQ_SUITE_1)
		return CKQ_ERR_SUITE;
	if (reserved != 0)
		return CKQ_ERR_FORMAT;
	if (want_type && type != want_type)
		return CKQ_ERR_TYPE;
	return type;
}

static void put_addr(struct wbuf *w, const struct ckq_addr *a)
{
	wbuf_u8(w, a->family);
	wbuf_put(w, a->a, 16);
}

/* any: a request may leave the address to the server (family 0, all zero). */
static int get_addr(struct cur *c, struct ckq_addr *a, bool any)
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

static int finish_mac1(const struct ckq_key *server, struct wbuf *w)
{
	uint8_t *mac;
	size_t covered = w->len;

	mac = wbuf_reserve(w, CKQ_MAC1_LEN);
	if (!mac)
		return CKQ_ERR_RANGE;
	return mac1_compute(server->mac1_key, w->p, covered, mac);
}

int proto_digest(const uint8_t *msg, size_t len, uint8_t out[CKQ_HASH_LEN])
{
	struct span p = SPAN(msg, len);

	return sha256_parts(&p, 1, out);
}

int proto_request_build(const struct ckq_key *server, const struct ckq_key *client,
			const struct ckq_request *req, struct ckq_session *s,
			uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t body[BODY1_FIXED + CKQ_USER_MAX + CKQ_RSA_MAX_BYTES];
	struct wbuf w = wbuf_init(out, cap), b = wbuf_init(body, sizeof(body));
	size_t user_len = strnlen(req->user, sizeof(req->user)), ek_len = 0, sig_len = 0;
	size_t prefix, ct_at;
	uint8_t *ek, *ct;
	int ret;

	static const uint8_t zero[16];

	if (!user_name_valid(req->user, user_len) ||
	    (!addr_len(&req->addr) &&
	     (req->addr.family != CKQ_AF_ANY || memcmp(req->addr.a, zero, 16))) ||
	    (req->addr.family == CKQ_AF_INET && memcmp(req->addr.a + 4, zero, 12)) ||
	    (req->request != CKQ_REQ_OPEN && req->request != CKQ_REQ_CLOSE) ||
	    (req->proto != CKQ_PROTO_TCP && req->proto != CKQ_PROTO_UDP) ||
	    req->port == 0 || req->otp > 99999999)
		return CKQ_ERR_RANGE;

	memcpy(s->nc, req->nc, CKQ_NONCE_LEN);
	ret = ckq_random(s->k, sizeof(s->k));
	if (ret < 0)
		return ret;

	put_hdr(&w, CKQ_MSG_REQUEST);
	wbuf_u16(&w, (uint16_t)server->size);
	ek = wbuf_reserve(&w, server->size);
	if (!ek)
		return CKQ_ERR_RANGE;
	ret = rsa_oaep_encrypt(server, s->k, sizeof(s->k), ek, server->size, &ek_len);
	if (ret < 0)
		goto out;
	prefix = w.len;

	wbuf_u8(&b, (uint8_t)user_len);
	wbuf_put(&b, req->user, user_len);
	wbuf_u8(&b, req->request);
	put_addr(&b, &req->addr);
	wbuf_u8(&b, req->proto);
	wbuf_u16(&b, req->port);
	wbuf_u32(&b, req->duration);
	wbuf_u64(&b, req->timestamp);
	wbuf_u32(&b, req->otp);
	wbuf_put(&b, req->nc, CKQ_NONCE_LEN);
	{
		struct span parts[] = {
			LABEL(L_REQ), SPAN(server->fp, CKQ_FP_LEN),
			SPAN(client->fp, CKQ_FP_LEN), SPAN(out, prefix),
			SPAN(body, b.len),
		};
		uint8_t *sig;

		wbuf_u16(&b, (uint16_t)client->size);
		sig = wbuf_reserve(&b, client->size);
		if (!sig) {
			ret = CKQ_ERR_RANGE;
			goto out;
		}
		ret = rsa_pss_sign(client, parts, 5, sig, client->size, &sig_len);
		if (ret < 0)
			goto out;
	}

	wbuf_u16(&w, (uint16_t)(b.len + CKQ_TAG_LEN));
	ct_at = w.len;
	ct = wbuf_reserve(&w, b.len + CKQ_TAG_LEN);
	if (!ct || b.err) {
		ret = CKQ_ERR_RANGE;
		goto out;
	}
	{
		struct span aad[] = {
			LABEL(L_REQ), SPAN(server->fp, CKQ_FP_LEN), SPAN(out, ct_at),
		};

		ret = aead_seal(s->k, N_REQ, aad, 3, body, b.len, ct);
		if (ret < 0)
			goto out;
	}
	ret = finish_mac1(server, &w);
	if (ret < 0)
		goto out;
	if (w.err || w.len > CKQ_MSG_MAX) {
		ret = CKQ_ERR_RANGE;
		goto out;
	}
	ret = proto_digest(out, w.len, s->h1);
	if (ret < 0)
		goto out;
	*out_len = w.len;
out:
	if (ret < 0)
		wipe(s->k, sizeof(s->k));
	wipe(body, sizeof(body));
	return ret;
}

/*
 * The length fields of a message 1 or 3, checked as proto_request_open and
 * open_frame check them and with their codes, so that junk which does not
 * follow the layout costs no HMAC. A message 3's minimum is the part of
 * its body that proto_response_open reads before the signature.
 */
static int precheck_layout(const struct ckq_key *server, int type, const uint8_t *msg,
			   size_t len, size_t *core_len)
{
	struct cur c = cur_init(msg, len - CKQ_MAC1_LEN);
	uint16_t ek_len, ct_len;
	size_t ct_min;

	cur_take(&c, CKQ_HDR_LEN);
	if (type == CKQ_MSG_REQUEST) {
		ek_len = cur_u16(&c);
		cur_take(&c, ek_len);
		if (c.err)
			return CKQ_ERR_TRUNCATED;
		if (ek_len != server->size)
			return CKQ_ERR_FORMAT;
		ct_min = CKQ_TAG_LEN + BODY1_FIXED + 1;
	} else {
		cur_take(&c, CKQ_SID_LEN);
		ct_min = CKQ_TAG_LEN + CKQ_NONCE_LEN + 2;
	}
	ct_len = cur_u16(&c);
	cur_take(&c, ct_len);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	*core_len = len;
	/* A message 1's mac2 follows its mac1: the layout says which it has. */
	if (type == CKQ_MSG_REQUEST && cur_left(&c) == CKQ_MAC2_LEN)
		*core_len = len - CKQ_MAC2_LEN;
	else if (cur_left(&c) != 0)
		return CKQ_ERR_FORMAT;
	if (ct_len < ct_min)
		return CKQ_ERR_FORMAT;
	return 0;
}

int proto_request_core_len(const struct ckq_key *server, const uint8_t *msg, size_t len,
			   size_t *core_len)
{
	struct cur c = cur_init(msg, len);
	int type;

	if (len < CKQ_HDR_LEN + CKQ_MAC1_LEN || len > CKQ_MSG_MAX)
		return CKQ_ERR_FORMAT;
	type = get_hdr(&c, CKQ_MSG_REQUEST);
	if (type < 0)
		return type;
	return precheck_layout(server, type, msg, len, core_len);
}

int proto_mac2(const uint8_t cookie[CKQ_COOKIE_LEN], const uint8_t *core, size_t core_len,
	       uint8_t out[CKQ_MAC2_LEN])
{
	/* HMAC pads a short key with zeros: this is HMAC under the cookie itself. */
	uint8_t key[CKQ_HASH_LEN] = { 0 };
	int ret;

	memcpy(key, cookie, CKQ_COOKIE_LEN);
	ret = mac1_compute(key, core, core_len, out);
	wipe(key, sizeof(key));
	return ret;
}

int proto_request_set_mac2(uint8_t *msg, size_t core_len, size_t cap,
			   const uint8_t cookie[CKQ_COOKIE_LEN], size_t *len)
{
	int ret;

	if (core_len + CKQ_MAC2_LEN > cap || core_len + CKQ_MAC2_LEN > CKQ_MSG_MAX)
		return CKQ_ERR_RANGE;
	ret = proto_mac2(cookie, msg, core_len, msg + core_len);
	if (ret < 0)
		return ret;
	*len = core_len + CKQ_MAC2_LEN;
	return 0;
}

/*
 * The cookie reply is sealed under a key only holders of PU_S can make,
 * fresh for each reply (SHA-256 of the server's cookie key and a random
 * nonce, so no AES-GCM key ever seals twice), with the request's mac1 as
 * associated data: only the sender of that very request can use it.
 */
static int cookie_key(const struct ckq_key *server, const uint8_t *nonce,
		      uint8_t key[CKQ_SKEY_LEN])
{
	struct span parts[] = {
		LABEL(L_COOKIE), SPAN(server->mac1_key, CKQ_HASH_LEN),
		SPAN(nonce, CKQ_COOKIE_NONCE_LEN),
	};

	return sha256_parts(parts, 3, key);
}

int proto_cookie_build(const struct ckq_key *server, const uint8_t *m1_core, size_t core_len,
		       const uint8_t cookie[CKQ_COOKIE_LEN], uint8_t *out, size_t cap,
		       size_t *out_len)
{
	struct wbuf w = wbuf_init(out, cap);
	uint8_t key[CKQ_SKEY_LEN], *nonce, *ct;
	int ret;

	if (core_len < CKQ_HDR_LEN + CKQ_MAC1_LEN)
		return CKQ_ERR_RANGE;
	put_hdr(&w, CKQ_MSG_COOKIE);
	nonce = wbuf_reserve(&w, CKQ_COOKIE_NONCE_LEN);
	ct = wbuf_reserve(&w, CKQ_COOKIE_LEN + CKQ_TAG_LEN);
	if (!nonce || !ct || w.err)
		return CKQ_ERR_RANGE;
	ret = ckq_random(nonce, CKQ_COOKIE_NONCE_LEN);
	if (ret < 0)
		return ret;
	ret = cookie_key(server, nonce, key);
	if (ret == 0) {
		struct span aad[] = {
			LABEL(L_COOKIE), SPAN(server->fp, CKQ_FP_LEN),
			SPAN(out, CKQ_HDR_LEN + CKQ_COOKIE_NONCE_LEN),
			SPAN(m1_core + core_len - CKQ_MAC1_LEN, CKQ_MAC1_LEN),
		};

		ret = aead_seal(key, N_COOKIE, aad, 4, cookie, CKQ_COOKIE_LEN, ct);
	}
	wipe(key, sizeof(key));
	if (ret < 0)
		return ret;
	*out_len = w.len;
	return 0;
}

int proto_cookie_open(const struct ckq_key *server, const uint8_t *m1_core, size_t core_len,
		      const uint8_t *msg, size_t len, uint8_t cookie[CKQ_COOKIE_LEN])
{
	struct cur c = cur_init(msg, len);
	uint8_t key[CKQ_SKEY_LEN];
	const uint8_t *nonce, *ct;
	int ret;

	if (core_len < CKQ_HDR_LEN + CKQ_MAC1_LEN)
		return CKQ_ERR_RANGE;
	ret = get_hdr(&c, CKQ_MSG_COOKIE);
	if (ret < 0)
		return ret;
	nonce = cur_take(&c, CKQ_COOKIE_NONCE_LEN);
	ct = cur_take(&c, CKQ_COOKIE_LEN + CKQ_TAG_LEN);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (cur_left(&c) != 0)
		return CKQ_ERR_FORMAT;
	ret = cookie_key(server, nonce, key);
	if (ret == 0) {
		struct span aad[] = {
			LABEL(L_COOKIE), SPAN(server->fp, CKQ_FP_LEN),
			SPAN(msg, CKQ_HDR_LEN + CKQ_COOKIE_NONCE_LEN),
			SPAN(m1_core + core_len - CKQ_MAC1_LEN, CKQ_MAC1_LEN),
		};

		ret = aead_open(key, N_COOKIE, aad, 4, ct, CKQ_COOKIE_LEN + CKQ_TAG_LEN, cookie);
	}
	wipe(key, sizeof(key));
	return ret;
}

int proto_precheck(const struct ckq_key *server, const uint8_t *msg, size_t len)
{
	struct cur c = cur_init(msg, len);
	uint8_t mac[CKQ_MAC1_LEN];
	size_t core = 0;
	int type, ret;

	if (len < CKQ_HDR_LEN + CKQ_MAC1_LEN || len > CKQ_MSG_MAX)
		return CKQ_ERR_FORMAT;
	type = get_hdr(&c, 0);
	if (type < 0)
		return type;
	if (type != CKQ_MSG_REQUEST && type != CKQ_MSG_RESPONSE)
		return CKQ_ERR_TYPE;
	ret = precheck_layout(server, type, msg, len, &core);
	if (ret < 0)
		return ret;
	/* mac1 covers the core: the bytes before it, never the mac2. */
	ret = mac1_compute(server->mac1_key, msg, core - CKQ_MAC1_LEN, mac);
	if (ret < 0)
		return ret;
	if (!ct_equal(mac, msg + core - CKQ_MAC1_LEN, CKQ_MAC1_LEN))
		return CKQ_ERR_MAC;
	return type;
}

int proto_request_open(const struct ckq_key *server, const uint8_t *msg, size_t len,
		       struct ckq_msg1 *m)
{
	struct cur c = cur_init(msg, len - CKQ_MAC1_LEN), b;
	const uint8_t *ek, *ct;
	size_t k_len = 0, ct_at;
	uint16_t ek_len, ct_len, sig_len;
	uint8_t user_len;
	int ret;

	memset(m, 0, sizeof(*m));
	if (len < CKQ_HDR_LEN + CKQ_MAC1_LEN || len > CKQ_MSG_MAX)
		return CKQ_ERR_FORMAT;
	ret = get_hdr(&c, CKQ_MSG_REQUEST);
	if (ret < 0)
		return ret;
	ek_len = cur_u16(&c);
	ek = cur_take(&c, ek_len);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (ek_len != server->size)
		return CKQ_ERR_FORMAT;
	m->raw = msg;
	m->raw_prefix = c.off;
	ct_len = cur_u16(&c);
	ct_at = c.off;
	ct = cur_take(&c, ct_len);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (cur_left(&c) != 0 || ct_len < CKQ_TAG_LEN + BODY1_FIXED + 1)
		return CKQ_ERR_FORMAT;

	/* The only private-key operation of the whole knock. */
	ret = rsa_oaep_decrypt(server, ek, ek_len, m->s.k, sizeof(m->s.k), &k_len);
	if (ret < 0)
		return ret;
	if (k_len != CKQ_SKEY_LEN) {
		ret = CKQ_ERR_DECRYPT;
		goto fail;
	}
	{
		struct span aad[] = {
			LABEL(L_REQ), SPAN(server->fp, CKQ_FP_LEN), SPAN(msg, ct_at),
		};

		ret = aead_open(m->s.k, N_REQ, aad, 3, ct, ct_len, m->body);
		if (ret < 0)
			goto fail;
	}

	b = cur_init(m->body, ct_len - CKQ_TAG_LEN);
	user_len = cur_u8(&b);
	cur_copy(&b, m->req.user, user_len <= CKQ_USER_MAX ? user_len : 0);
	if (user_len > CKQ_USER_MAX || !user_name_valid(m->req.user, user_len)) {
		ret = CKQ_ERR_FORMAT;
		goto fail;
	}
	m->req.request = cur_u8(&b);
	ret = get_addr(&b, &m->req.addr, true);
	if (ret < 0)
		goto fail;
	m->req.proto = cur_u8(&b);
	m->req.port = cur_u16(&b);
	m->req.duration = cur_u32(&b);
	m->req.timestamp = cur_u64(&b);
	m->req.otp = cur_u32(&b);
	cur_copy(&b, m->req.nc, CKQ_NONCE_LEN);
	m->body_signed = b.off;
	sig_len = cur_u16(&b);
	m->sig_off = b.off;
	m->sig_len = sig_len;
	cur_take(&b, sig_len);
	if (b.err) {
		ret = CKQ_ERR_TRUNCATED;
		goto fail;
	}
	if (cur_left(&b) != 0 ||
	    (m->req.request != CKQ_REQ_OPEN && m->req.request != CKQ_REQ_CLOSE) ||
	    (m->req.proto != CKQ_PROTO_TCP && m->req.proto != CKQ_PROTO_UDP) ||
	    m->req.port == 0 || m->req.otp > 99999999) {
		ret = CKQ_ERR_FORMAT;
		goto fail;
	}
	memcpy(m->s.nc, m->req.nc, CKQ_NONCE_LEN);
	ret = proto_digest(msg, len, m->s.h1);
	if (ret < 0)
		goto fail;
	return 0;
fail:
	wipe(m, sizeof(*m));
	return ret;
}

int proto_request_verify(const struct ckq_key *server, const struct ckq_key *client,
			 const struct ckq_msg1 *m)
{
	struct span parts[] = {
		LABEL(L_REQ), SPAN(server->fp, CKQ_FP_LEN),
		SPAN(client->fp, CKQ_FP_LEN), SPAN(m->raw, m->raw_prefix),
		SPAN(m->body, m->body_signed),
	};

	return rsa_pss_verify(client, parts, 5, m->body + m->sig_off, m->sig_len);
}

/* Messages 2..4 share one frame: header, session id, sealed body. */
static int seal_frame(const struct ckq_key *server, const struct ckq_session *s,
		      uint8_t type, const struct span *label, uint64_t nonce,
		      const uint8_t *body, size_t body_len, bool with_mac1,
		      uint8_t *out, size_t cap, size_t *out_len)
{
	struct wbuf w = wbuf_init(out, cap);
	uint8_t *ct;
	size_t ct_at;
	int ret;

	put_hdr(&w, type);
	wbuf_put(&w, s->sid, CKQ_SID_LEN);
	wbuf_u16(&w, (uint16_t)(body_len + CKQ_TAG_LEN));
	ct_at = w.len;
	ct = wbuf_reserve(&w, body_len + CKQ_TAG_LEN);
	if (!ct)
		return CKQ_ERR_RANGE;
	{
		struct span aad[] = {
			*label, SPAN(server->fp, CKQ_FP_LEN),
			SPAN(s->h1, CKQ_HASH_LEN), SPAN(out, ct_at),
		};

		ret = aead_seal(s->k, nonce, aad, 4, body, body_len, ct);
		if (ret < 0)
			return ret;
	}
	if (with_mac1) {
		ret = finish_mac1(server, &w);
		if (ret < 0)
			return ret;
	}
	if (w.err || w.len > CKQ_MSG_MAX)
		return CKQ_ERR_RANGE;
	*out_len = w.len;
	return 0;
}

static int open_frame(const struct ckq_key *server, const struct ckq_session *s,
		      uint8_t type, const struct span *label, uint64_t nonce,
		      const uint8_t *msg, size_t len, bool with_mac1,
		      uint8_t *body, size_t *body_len)
{
	struct cur c;
	const uint8_t *sid, *ct;
	size_t ct_at;
	uint16_t ct_len;
	int ret;

	if (len > CKQ_MSG_MAX || (with_mac1 && len < CKQ_MAC1_LEN))
		return CKQ_ERR_FORMAT;
	c = cur_init(msg, with_mac1 ? len - CKQ_MAC1_LEN : len);
	ret = get_hdr(&c, type);
	if (ret < 0)
		return ret;
	sid = cur_take(&c, CKQ_SID_LEN);
	ct_len = cur_u16(&c);
	ct_at = c.off;
	ct = cur_take(&c, ct_len);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	if (cur_left(&c) != 0 || ct_len < CKQ_TAG_LEN)
		return CKQ_ERR_FORMAT;
	if (!ct_equal(sid, s->sid, CKQ_SID_LEN))
		return CKQ_ERR_NOENT;
	{
		struct span aad[] = {
			*label, SPAN(server->fp, CKQ_FP_LEN),
			SPAN(s->h1, CKQ_HASH_LEN), SPAN(msg, ct_at),
		};

		ret = aead_open(s->k, nonce, aad, 4, ct, ct_len, body);
		if (ret < 0)
			return ret;
	}
	*body_len = ct_len - CKQ_TAG_LEN;
	return 0;
}

int proto_challenge_build(const struct ckq_key *server, const struct ckq_session *s,
			  uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t body[BODY2_LEN];
	struct span l = LABEL(L_CHAL);

	memcpy(body, s->nc, CKQ_NONCE_LEN);
	memcpy(body + CKQ_NONCE_LEN, s->ns, CKQ_NONCE_LEN);
	return seal_frame(server, s, CKQ_MSG_CHALLENGE, &l, N_CHAL, body, sizeof(body),
			  false, out, cap, out_len);
}

int proto_challenge_open(const struct ckq_key *server, struct ckq_session *s,
			 const uint8_t *msg, size_t len)
{
	uint8_t body[CKQ_MSG_MAX];
	struct span l = LABEL(L_CHAL);
	struct ckq_session t = *s;
	size_t body_len = 0;
	struct cur c;
	int ret;

	/*
	 * The client learns the session id from this very message; it is
	 * kept only once the message proves to be the server's.
	 */
	c = cur_init(msg, len);
	cur_take(&c, CKQ_HDR_LEN);
	if (!cur_copy(&c, t.sid, CKQ_SID_LEN))
		return CKQ_ERR_TRUNCATED;
	ret = open_frame(server, &t, CKQ_MSG_CHALLENGE, &l, N_CHAL, msg, len, false,
			 body, &body_len);
	if (ret < 0)
		goto out;
	ret = CKQ_ERR_FORMAT;
	if (body_len != BODY2_LEN)
		goto out;
	ret = CKQ_ERR_NONCE;
	if (!ct_equal(body, s->nc, CKQ_NONCE_LEN))
		goto out;
	memcpy(s->sid, t.sid, CKQ_SID_LEN);
	memcpy(s->ns, body + CKQ_NONCE_LEN, CKQ_NONCE_LEN);
	ret = 0;
out:
	wipe(&t, sizeof(t));
	wipe(body, sizeof(body));
	return ret;
}

static void response_signed(const struct ckq_key *server, const struct ckq_key *client,
			    const struct ckq_session *s, const uint8_t *hdr_sid,
			    struct span parts[6])
{
	parts[0] = LABEL(L_RESP);
	parts[1] = SPAN(server->fp, CKQ_FP_LEN);
	parts[2] = SPAN(client->fp, CKQ_FP_LEN);
	parts[3] = SPAN(s->h1, CKQ_HASH_LEN);
	parts[4] = SPAN(hdr_sid, CKQ_HDR_LEN + CKQ_SID_LEN);
	parts[5] = SPAN(s->ns, CKQ_NONCE_LEN);
}

int proto_response_build(const struct ckq_key *server, const struct ckq_key *client,
			 const struct ckq_session *s, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	uint8_t body[CKQ_NONCE_LEN + 2 + CKQ_RSA_MAX_BYTES], hs[CKQ_HDR_LEN + CKQ_SID_LEN];
	struct wbuf w = wbuf_init(hs, sizeof(hs));
	struct span l = LABEL(L_RESP), parts[6];
	size_t sig_len = 0;
	int ret;

	put_hdr(&w, CKQ_MSG_RESPONSE);
	wbuf_put(&w, s->sid, CKQ_SID_LEN);
	response_signed(server, client, s, hs, parts);
	memcpy(body, s->ns, CKQ_NONCE_LEN);
	body[CKQ_NONCE_LEN] = (uint8_t)(client->size >> 8);
	body[CKQ_NONCE_LEN + 1] = (uint8_t)client->size;
	ret = rsa_pss_sign(client, parts, 6, body + CKQ_NONCE_LEN + 2, CKQ_RSA_MAX_BYTES,
			   &sig_len);
	if (ret < 0)
		return ret;
	return seal_frame(server, s, CKQ_MSG_RESPONSE, &l, N_RESP, body,
			  CKQ_NONCE_LEN + 2 + sig_len, true, out, cap, out_len);
}

int proto_response_sid(const uint8_t *msg, size_t len, uint8_t sid[CKQ_SID_LEN])
{
	struct cur c = cur_init(msg, len);
	int ret = get_hdr(&c, CKQ_MSG_RESPONSE);

	if (ret < 0)
		return ret;
	return cur_copy(&c, sid, CKQ_SID_LEN) ? 0 : CKQ_ERR_TRUNCATED;
}

int proto_response_open(const struct ckq_key *server, const struct ckq_key *client,
			const struct ckq_session *s, const uint8_t *msg, size_t len)
{
	uint8_t body[CKQ_MSG_MAX];
	struct span l = LABEL(L_RESP), parts[6];
	size_t body_len = 0;
	struct cur c;
	const uint8_t *ns, *sig;
	uint16_t sig_len;
	int ret;

	ret = open_frame(server, s, CKQ_MSG_RESPONSE, &l, N_RESP, msg, len, true,
			 body, &body_len);
	if (ret < 0)
		return ret;
	c = cur_init(body, body_len);
	ns = cur_take(&c, CKQ_NONCE_LEN);
	sig_len = cur_u16(&c);
	sig = cur_take(&c, sig_len);
	if (c.err || cur_left(&c) != 0) {
		ret = CKQ_ERR_FORMAT;
		goto out;
	}
	if (!ct_equal(ns, s->ns, CKQ_NONCE_LEN)) {
		ret = CKQ_ERR_NONCE;
		goto out;
	}
	response_signed(server, client, s, msg, parts);
	ret = rsa_pss_verify(client, parts, 6, sig, sig_len);
out:
	wipe(body, sizeof(body));
	return ret;
}

int proto_result_build(const struct ckq_key *server, const struct ckq_session *s,
		       const struct ckq_result *res, uint8_t *out, size_t cap,
		       size_t *out_len)
{
	uint8_t body[BODY4_LEN];
	struct wbuf b = wbuf_init(body, sizeof(body));
	struct span l = LABEL(L_RES);

	wbuf_u8(&b, res->status);
	put_addr(&b, &res->addr);
	wbuf_u8(&b, res->proto);
	wbuf_u16(&b, res->port);
	wbuf_u64(&b, res->expires);
	if (b.err)
		return CKQ_ERR_INTERNAL;
	return seal_frame(server, s, CKQ_MSG_RESULT, &l, N_RES, body, b.len, false,
			  out, cap, out_len);
}

int proto_result_open(const struct ckq_key *server, const struct ckq_session *s,
		      const uint8_t *msg, size_t len, struct ckq_result *res)
{
	uint8_t body[CKQ_MSG_MAX];
	struct span l = LABEL(L_RES);
	size_t body_len = 0;
	struct cur c;
	int ret;

	ret = open_frame(server, s, CKQ_MSG_RESULT, &l, N_RES, msg, len, false,
			 body, &body_len);
	if (ret < 0)
		return ret;
	c = cur_init(body, body_len);
	res->status = cur_u8(&c);
	ret = get_addr(&c, &res->addr, false);
	res->proto = cur_u8(&c);
	res->port = cur_u16(&c);
	res->expires = cur_u64(&c);
	if (ret < 0 || c.err || cur_left(&c) != 0 ||
	    (res->status != CKQ_RES_GRANTED && res->status != CKQ_RES_CLOSED))
		return CKQ_ERR_FORMAT;
	return 0;
}
