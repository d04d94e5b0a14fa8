/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Suite 2's message 1 (doc/protocol.md 11.3): E_C in the clear, the
 * request and the user's signature sealed under K1.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "proto.h"
#include "proto2.h"
#include "proto_hdr.h"
#include "sshkey.h"
#include "suite2.h"

static const char L_REQ2[] = "ckq suite2 request c2s";

/* The request fields, as suite 1's body₁ has them, before sig_kind. */
#define BODY_FIXED (1 + 1 + 17 + 1 + 2 + 4 + 8 + 4 + CKQ_NONCE_LEN)
#define PREFIX_LEN (CKQ_HDR_LEN + CKQ_X25519_LEN + 2)
/* A message 1 without mac2: prefix, body, sig_kind and signature, tag, mac1. */
#define MSG1_LEN(n, sig) (PREFIX_LEN + BODY_FIXED + (n) + 1 + (sig) + CKQ_TAG_LEN + CKQ_MAC1_LEN)
#define N_REQ 1

/* DER is canonical: an X25519 SubjectPublicKeyInfo is this, then the key. */
static const uint8_t spki_x25519[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
};

int s2_server_init(const uint8_t pub[CKQ_X25519_LEN], struct ckq_x25519 *priv,
		   struct s2_server *out)
{
	struct span parts[] = { SPAN(spki_x25519, sizeof(spki_x25519)), SPAN(pub, CKQ_X25519_LEN) };
	int ret;

	memset(out, 0, sizeof(*out));
	if (priv && memcmp(priv->pub, pub, CKQ_X25519_LEN))
		return CKQ_ERR_KEY;
	memcpy(out->pub, pub, CKQ_X25519_LEN);
	out->priv = priv;
	ret = sha256_parts(parts, 2, out->fp);
	if (ret == 0)
		ret = s2_mac1_key(pub, out->mac1_key);
	return ret;
}

static uint8_t sig_kind_of(const struct ckq_sshkey *k)
{
	return k->type == CKQ_SSHKEY_SK_ED25519 ? CKQ_S2_SIGKIND_SK : CKQ_S2_SIGKIND_ED25519;
}

static size_t sig_len_of(uint8_t kind)
{
	return kind == CKQ_S2_SIGKIND_SK ? CKQ_SK_SIG_LEN :
	       kind == CKQ_S2_SIGKIND_ED25519 ? CKQ_ED25519_SIG_LEN : 0;
}

static bool request_ok(const struct ckq_request *req, size_t user_len)
{
	static const uint8_t zero[16];

	return user_name_valid(req->user, user_len) &&
	       (addr_len(&req->addr) ||
		(req->addr.family == CKQ_AF_ANY && !memcmp(req->addr.a, zero, 16))) &&
	       !(req->addr.family == CKQ_AF_INET && memcmp(req->addr.a + 4, zero, 12)) &&
	       (req->request == CKQ_REQ_OPEN || req->request == CKQ_REQ_CLOSE) &&
	       (req->proto == CKQ_PROTO_TCP || req->proto == CKQ_PROTO_UDP) &&
	       req->port != 0 && req->otp <= 99999999;
}

void s2_request_abort(struct s2_request_state *st)
{
	x25519_free(st->eph);
	wipe(st, sizeof(*st));
}

int s2_request_begin(const struct s2_server *srv, const struct ckq_sshkey *user,
		     const struct ckq_request *req, struct s2_request_state *st,
		     const uint8_t **tbs, size_t *tbs_len)
{
	size_t user_len = strnlen(req->user, sizeof(req->user));
	struct wbuf p, b, t;
	int ret;

	memset(st, 0, sizeof(*st));
	if (!request_ok(req, user_len))
		return CKQ_ERR_RANGE;
	st->srv = *srv;
	st->srv.priv = NULL;
	st->sig_kind = sig_kind_of(user);
	memcpy(st->nc, req->nc, CKQ_NONCE_LEN);
	ret = x25519_generate(&st->eph);
	if (ret < 0)
		goto fail;
	ret = s2_request_keys(st->eph, srv->pub, srv->pub, st->eph->pub, st->prk, st->k1);
	if (ret < 0)
		goto fail;

	b = wbuf_init(st->body, sizeof(st->body));
	wbuf_u8(&b, (uint8_t)user_len);
	wbuf_put(&b, req->user, user_len);
	wbuf_u8(&b, req->request);
	wbuf_u8(&b, req->addr.family);
	wbuf_put(&b, req->addr.a, 16);
	wbuf_u8(&b, req->proto);
	wbuf_u16(&b, req->port);
	wbuf_u32(&b, req->duration);
	wbuf_u64(&b, req->timestamp);
	wbuf_u32(&b, req->otp);
	wbuf_put(&b, req->nc, CKQ_NONCE_LEN);
	wbuf_u8(&b, st->sig_kind);
	st->body_len = b.len;

	p = wbuf_init(st->prefix, sizeof(st->prefix));
	hdr_put(&p, CKQ_SUITE_2, CKQ_MSG_REQUEST);
	wbuf_put(&p, st->eph->pub, CKQ_X25519_LEN);
	wbuf_u16(&p, (uint16_t)(b.len + sig_len_of(st->sig_kind) + CKQ_TAG_LEN));

	t = wbuf_init(st->tbs, sizeof(st->tbs));
	wbuf_put(&t, L_REQ2, sizeof(L_REQ2) - 1);
	wbuf_put(&t, srv->fp, CKQ_FP_LEN);
	wbuf_put(&t, user->fp, CKQ_FP_LEN);
	wbuf_put(&t, st->prefix, p.len);
	wbuf_put(&t, st->body, b.len);
	if (b.err || p.err || t.err) {
		ret = CKQ_ERR_RANGE;
		goto fail;
	}
	st->tbs_len = t.len;
	*tbs = st->tbs;
	*tbs_len = t.len;
	return 0;
fail:
	s2_request_abort(st);
	return ret;
}

int s2_request_end(struct s2_request_state *st, const uint8_t *sig, size_t sig_len,
		   struct s2_session *s, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t body[sizeof(st->body) + CKQ_SIG2_MAX];
	struct wbuf w = wbuf_init(out, cap);
	size_t body_len = st->body_len + sig_len;
	uint8_t *ct, *mac;
	struct span whole;
	int ret;

	if (!st->eph || sig_len != sig_len_of(st->sig_kind)) {
		ret = CKQ_ERR_RANGE;
		goto out;
	}
	memcpy(body, st->body, st->body_len);
	memcpy(body + st->body_len, sig, sig_len);
	wbuf_put(&w, st->prefix, PREFIX_LEN);
	ct = wbuf_reserve(&w, body_len + CKQ_TAG_LEN);
	if (!ct) {
		ret = CKQ_ERR_RANGE;
		goto out;
	}
	{
		struct span aad[] = {
			LABEL(L_REQ2), SPAN(st->srv.fp, CKQ_FP_LEN), SPAN(out, PREFIX_LEN),
		};

		ret = aead2_seal(st->k1, N_REQ, aad, 3, body, body_len, ct);
		if (ret < 0)
			goto out;
	}
	mac = wbuf_reserve(&w, CKQ_MAC1_LEN);
	if (!mac || w.err) {
		ret = CKQ_ERR_RANGE;
		goto out;
	}
	ret = mac1_compute(st->srv.mac1_key, out, w.len - CKQ_MAC1_LEN, mac);
	if (ret < 0)
		goto out;
	whole = SPAN(out, w.len);
	memset(s, 0, sizeof(*s));
	ret = sha256_parts(&whole, 1, s->h1);
	if (ret == 0)
		ret = s2_session_keys(st->prk, s->h1, s->k_s2c, s->k_c2s);
	if (ret < 0) {
		wipe(s, sizeof(*s));
		goto out;
	}
	memcpy(s->nc, st->nc, CKQ_NONCE_LEN);
	*out_len = w.len;
out:
	wipe(body, sizeof(body));
	s2_request_abort(st);
	return ret;
}

int s2_request_core_len(const uint8_t *msg, size_t len, size_t *core_len)
{
	struct cur c = cur_init(msg, len);
	uint16_t ct_len;
	size_t core;
	int ret;

	if (len < CKQ_S2_MSG1_MIN || len > CKQ_S2_MSG1_MAX)
		return CKQ_ERR_FORMAT;
	ret = hdr_get(&c, CKQ_SUITE_2, CKQ_MSG_REQUEST);
	if (ret < 0)
		return ret;
	cur_take(&c, CKQ_X25519_LEN);
	ct_len = cur_u16(&c);
	if (c.err)
		return CKQ_ERR_TRUNCATED;
	core = PREFIX_LEN + (size_t)ct_len + CKQ_MAC1_LEN;
	/* The shortest and longest body with the tag (doc/protocol.md 11.5). */
	if (ct_len < BODY_FIXED + 1 + 1 + CKQ_ED25519_SIG_LEN + CKQ_TAG_LEN ||
	    ct_len > BODY_FIXED + CKQ_USER_MAX + 1 + CKQ_SK_SIG_LEN + CKQ_TAG_LEN)
		return CKQ_ERR_FORMAT;
	if (len != core && len != core + CKQ_MAC2_LEN)
		return CKQ_ERR_FORMAT;
	*core_len = core;
	return 0;
}

int s2_request_precheck(const struct s2_server *srv, const uint8_t *msg, size_t len)
{
	uint8_t mac[CKQ_MAC1_LEN];
	size_t core = 0;
	int ret = s2_request_core_len(msg, len, &core);

	if (ret < 0)
		return ret;
	ret = mac1_compute(srv->mac1_key, msg, core - CKQ_MAC1_LEN, mac);
	if (ret < 0)
		return ret;
	if (!ct_equal(mac, msg + core - CKQ_MAC1_LEN, CKQ_MAC1_LEN))
		return CKQ_ERR_MAC;
	return CKQ_MSG_REQUEST;
}

int s2_request_open(const struct s2_server *srv, const uint8_t *msg, size_t len,
		    struct s2_msg1 *m)
{
	uint8_t prk[CKQ_HASH_LEN], k1[CKQ_AEAD2_KEY_LEN];
	struct cur c, b;
	const uint8_t *e, *ct;
	size_t core = 0, body_len;
	uint16_t ct_len;
	uint8_t user_len;
	struct span whole;
	int ret;

	memset(m, 0, sizeof(*m));
	if (!srv->priv)
		return CKQ_ERR_KEY;
	ret = s2_request_core_len(msg, len, &core);
	if (ret < 0)
		return ret;
	if (core != len)
		return CKQ_ERR_FORMAT;	/* the caller passes the core */
	c = cur_init(msg, len - CKQ_MAC1_LEN);
	cur_take(&c, CKQ_HDR_LEN);
	e = cur_take(&c, CKQ_X25519_LEN);
	ct_len = cur_u16(&c);
	ct = cur_take(&c, ct_len);
	if (c.err || cur_left(&c))
		return CKQ_ERR_FORMAT;
	memcpy(m->prefix, msg, PREFIX_LEN);

	/* The only X25519 operation of the whole knock. */
	ret = s2_request_keys(srv->priv, e, srv->pub, e, prk, k1);
	if (ret < 0)
		return ret;
	body_len = ct_len - CKQ_TAG_LEN;
	{
		struct span aad[] = {
			LABEL(L_REQ2), SPAN(srv->fp, CKQ_FP_LEN), SPAN(msg, PREFIX_LEN),
		};
		uint8_t body[sizeof(m->body) + CKQ_SIG2_MAX];

		if (body_len > sizeof(body)) {
			ret = CKQ_ERR_FORMAT;
			goto fail;
		}
		ret = aead2_open(k1, N_REQ, aad, 3, ct, ct_len, body);
		if (ret == 0) {
			b = cur_init(body, body_len);
			user_len = cur_u8(&b);
			cur_copy(&b, m->req.user, user_len <= CKQ_USER_MAX ? user_len : 0);
			if (user_len > CKQ_USER_MAX || !user_name_valid(m->req.user, user_len))
				ret = CKQ_ERR_FORMAT;
			m->req.request = cur_u8(&b);
			m->req.addr.family = cur_u8(&b);
			cur_copy(&b, m->req.addr.a, 16);
			m->req.proto = cur_u8(&b);
			m->req.port = cur_u16(&b);
			m->req.duration = cur_u32(&b);
			m->req.timestamp = cur_u64(&b);
			m->req.otp = cur_u32(&b);
			cur_copy(&b, m->req.nc, CKQ_NONCE_LEN);
			m->sig_kind = cur_u8(&b);
			m->body_signed = b.off;
			m->sig_len = sig_len_of(m->sig_kind);
			cur_copy(&b, m->sig, m->sig_len);
			if (ret == 0 && (b.err || cur_left(&b) || !m->sig_len ||
					 !request_ok(&m->req, user_len)))
				ret = b.err ? CKQ_ERR_TRUNCATED : CKQ_ERR_FORMAT;
			if (ret == 0)
				memcpy(m->body, body, m->body_signed);
		}
		wipe(body, sizeof(body));
		if (ret < 0)
			goto fail;
	}
	memcpy(m->s.nc, m->req.nc, CKQ_NONCE_LEN);
	whole = SPAN(msg, len);
	ret = sha256_parts(&whole, 1, m->s.h1);
	if (ret == 0)
		ret = s2_session_keys(prk, m->s.h1, m->s.k_s2c, m->s.k_c2s);
fail:
	wipe(prk, sizeof(prk));
	wipe(k1, sizeof(k1));
	if (ret < 0)
		wipe(m, sizeof(*m));
	return ret;
}

int s2_request_verify(const struct s2_server *srv, const struct ckq_sshkey *user,
		      const struct s2_msg1 *m)
{
	uint8_t tbs[sizeof(L_REQ2) - 1 + 2 * CKQ_FP_LEN + PREFIX_LEN + sizeof(m->body)];
	struct wbuf t = wbuf_init(tbs, sizeof(tbs));

	/* A key of the other kind is refused before any verification. */
	if (m->sig_kind != sig_kind_of(user))
		return CKQ_ERR_SIGNATURE;
	wbuf_put(&t, L_REQ2, sizeof(L_REQ2) - 1);
	wbuf_put(&t, srv->fp, CKQ_FP_LEN);
	wbuf_put(&t, user->fp, CKQ_FP_LEN);
	wbuf_put(&t, m->prefix, PREFIX_LEN);
	wbuf_put(&t, m->body, m->body_signed);
	if (t.err)
		return CKQ_ERR_INTERNAL;
	return sshkey_verify(user, tbs, t.len, m->sig, m->sig_len);
}
