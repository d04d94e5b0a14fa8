/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "suite2.h"

static const char L_MAC1[] = "ckq suite2 mac1";
static const char L_PROTO[] = CKQ_S2_PROTOCOL;
static const char L_K1[] = "ckq suite2 request key";
static const char L_SESSION[] = "ckq suite2 session keys";

#define LABEL(l) ((struct span){ (l), sizeof(l) - 1 })
#define SPAN(p, n) ((struct span){ (p), (n) })

int s2_mac1_key(const uint8_t server_pub[CKQ_X25519_LEN], uint8_t out[CKQ_HASH_LEN])
{
	struct span parts[] = { LABEL(L_MAC1), SPAN(server_pub, CKQ_X25519_LEN) };

	return sha256_parts(parts, 2, out);
}

int s2_request_keys(const struct ckq_x25519 *own, const uint8_t peer[CKQ_X25519_LEN],
		    const uint8_t server_pub[CKQ_X25519_LEN],
		    const uint8_t client_eph[CKQ_X25519_LEN],
		    uint8_t prk[CKQ_HASH_LEN], uint8_t k1[CKQ_AEAD2_KEY_LEN])
{
	/*
	 * The protocol, S and E_C go into the salt: X25519 gives the same
	 * secret for E_C and E_C with its top bit set or a point of small
	 * order added, so only the bytes themselves tell such keys apart.
	 */
	struct span ctx_parts[] = {
		LABEL(L_PROTO), SPAN(server_pub, CKQ_X25519_LEN),
		SPAN(client_eph, CKQ_X25519_LEN),
	};
	struct span info = LABEL(L_K1);
	uint8_t dh[CKQ_X25519_LEN], ctx[CKQ_HASH_LEN];
	int ret;

	ret = x25519_derive(own, peer, dh);
	if (ret < 0)
		return ret;
	ret = sha256_parts(ctx_parts, 3, ctx);
	if (ret == 0)
		ret = hkdf_extract(ctx, sizeof(ctx), dh, sizeof(dh), prk);
	if (ret == 0)
		ret = hkdf_expand(prk, &info, 1, k1, CKQ_AEAD2_KEY_LEN);
	wipe(dh, sizeof(dh));
	if (ret < 0) {
		wipe(prk, CKQ_HASH_LEN);
		wipe(k1, CKQ_AEAD2_KEY_LEN);
	}
	return ret;
}

int s2_session_keys(const uint8_t prk[CKQ_HASH_LEN], const uint8_t h1[CKQ_HASH_LEN],
		    uint8_t k_s2c[CKQ_AEAD2_KEY_LEN], uint8_t k_c2s[CKQ_AEAD2_KEY_LEN])
{
	struct span info[] = { LABEL(L_SESSION), SPAN(h1, CKQ_HASH_LEN) };
	uint8_t okm[2 * CKQ_AEAD2_KEY_LEN];
	int ret = hkdf_expand(prk, info, 2, okm, sizeof(okm));

	if (ret == 0) {
		memcpy(k_s2c, okm, CKQ_AEAD2_KEY_LEN);
		memcpy(k_c2s, okm + CKQ_AEAD2_KEY_LEN, CKQ_AEAD2_KEY_LEN);
	}
	wipe(okm, sizeof(okm));
	return ret;
}
