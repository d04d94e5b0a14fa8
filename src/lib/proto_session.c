/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages 2 to 4 (challenge, response, result): sealed with the session key. */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "proto.h"
#include "proto_impl.h"

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
