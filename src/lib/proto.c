/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "proto.h"
#include "proto_impl.h"
#include "util.h"

bool user_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > CKQ_USER_MAX || s[0] == '.' || s[0] == '-')
		return false;
	return name_chars_ok(s, len);
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
