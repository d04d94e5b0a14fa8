/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_CRYPTO_IMPL_H
#define CKQ_CRYPTO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto.h"

/*
 * What both suites' code shares inside libckq (crypto.c and crypto_key.c
 * for suite 1, crypto25519.c for suite 2).
 */

/* A key as PEM (PKCS#8 or SubjectPublicKeyInfo), malloc'd; the caller wipes it. */
int pkey_to_pem(EVP_PKEY *pkey, bool private_part, char **out, size_t *out_len);

/*
 * The protocol's AEADs, AES-256-GCM (suite 1) and ChaCha20-Poly1305
 * (suite 2), take the same EVP calls: a 96-bit nonce, a 16-byte tag after
 * the ciphertext. Open wipes what it wrote when the tag is wrong.
 */
#define CKQ_AEAD_IV_LEN 12
void aead_counter_iv(uint64_t nonce, uint8_t iv[CKQ_AEAD_IV_LEN]);
int aead_evp_seal(const EVP_CIPHER *cipher, const uint8_t *key,
		  const uint8_t iv[CKQ_AEAD_IV_LEN], const struct span *aad, size_t naad,
		  const uint8_t *pt, size_t pt_len, uint8_t *out);
int aead_evp_open(const EVP_CIPHER *cipher, const uint8_t *key,
		  const uint8_t iv[CKQ_AEAD_IV_LEN], const struct span *aad, size_t naad,
		  const uint8_t *ct, size_t ct_len, uint8_t *pt);

#endif
