/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_SUITE2_H
#define CKQ_SUITE2_H

#include <stdint.h>

#include "crypto.h"
#include "crypto25519.h"
#include "proto.h"		/* CKQ_SUITE_2 */

/*
 * Suite 2's key schedule (doc/protocol.md 11.2). The message layouts
 * that use it are not written yet.
 */
#define CKQ_S2_PROTOCOL "ckq v1 suite2 X25519 HKDF-SHA256 ChaCha20Poly1305 Ed25519"

/* mac1key₂ = SHA-256("ckq suite2 mac1" || S). */
int s2_mac1_key(const uint8_t server_pub[CKQ_X25519_LEN], uint8_t out[CKQ_HASH_LEN]);

/*
 * From the X25519 secret: PRK (kept for the session keys) and K1, the key
 * of message 1. The client passes its ephemeral key and S, the server its
 * static key and E_C; both get the same keys. A peer key of small order is
 * refused (CKQ_ERR_KEY).
 */
int s2_request_keys(const struct ckq_x25519 *own, const uint8_t peer[CKQ_X25519_LEN],
		    const uint8_t server_pub[CKQ_X25519_LEN],
		    const uint8_t client_eph[CKQ_X25519_LEN],
		    uint8_t prk[CKQ_HASH_LEN], uint8_t k1[CKQ_AEAD2_KEY_LEN]);
/* K_s2c || K_c2s from PRK and H1, the digest of message 1's core. */
int s2_session_keys(const uint8_t prk[CKQ_HASH_LEN], const uint8_t h1[CKQ_HASH_LEN],
		    uint8_t k_s2c[CKQ_AEAD2_KEY_LEN], uint8_t k_c2s[CKQ_AEAD2_KEY_LEN]);

#endif
