/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_CRYPTO25519_H
#define CKQ_CRYPTO25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/*
 * Suite 2's building blocks (doc/protocol.md section 11): X25519, Ed25519,
 * HKDF-SHA-256 and ChaCha20-Poly1305, all through OpenSSL 3's EVP
 * interfaces. Keys travel as raw 32-byte strings, as on the wire; secrets
 * are wiped by the functions that copy them.
 */
#define CKQ_X25519_LEN 32
#define CKQ_ED25519_LEN 32	/* a public key, or a private key's seed */
#define CKQ_ED25519_SIG_LEN 64
#define CKQ_AEAD2_KEY_LEN 32
#define CKQ_AEAD2_IV_LEN 12
#define CKQ_HKDF_MAX (255 * CKQ_HASH_LEN)	/* RFC 5869's limit on L */

/*
 * An X25519 private key kept parsed: making an EVP_PKEY from raw bytes
 * computes the public key, a second scalar multiplication that the server
 * must not pay on every knock.
 */
struct ckq_x25519 {
	void *pkey;		/* EVP_PKEY */
	uint8_t pub[CKQ_X25519_LEN];
};

/* From the OS CSPRNG (RFC 7748's clamping makes any 32 bytes a key). */
int x25519_generate(struct ckq_x25519 **out);
int x25519_from_raw(const uint8_t priv[CKQ_X25519_LEN], struct ckq_x25519 **out);
/* The private key's bytes, to store: the caller wipes them. */
int x25519_raw_private(const struct ckq_x25519 *k, uint8_t priv[CKQ_X25519_LEN]);
void x25519_free(struct ckq_x25519 *k);
/*
 * The shared secret with peer's public key. CKQ_ERR_KEY when it is all
 * zero (a peer key of small order, RFC 7748 section 6.1): such a secret
 * is known to anyone.
 */
int x25519_derive(const struct ckq_x25519 *k, const uint8_t peer[CKQ_X25519_LEN],
		  uint8_t shared[CKQ_X25519_LEN]);

/*
 * Key files in PEM: PKCS#8 for private keys, SubjectPublicKeyInfo for
 * public keys, as `openssl genpkey -algorithm x25519|ed25519` writes them.
 * Another key type, an encrypted PEM or bytes around the PEM are refused
 * (CKQ_ERR_KEY). The PEM written is malloc'd and NUL-terminated; the caller
 * wipes and frees it.
 */
int x25519_from_pem(const char *pem, size_t len, struct ckq_x25519 **out);
int x25519_pub_from_pem(const char *pem, size_t len, uint8_t pub[CKQ_X25519_LEN]);
int x25519_to_pem(const struct ckq_x25519 *k, bool private_part, char **out, size_t *out_len);
int ed25519_seed_from_pem(const char *pem, size_t len, uint8_t seed[CKQ_ED25519_LEN]);
int ed25519_seed_to_pem(const uint8_t seed[CKQ_ED25519_LEN], char **out, size_t *out_len);

/* seed is the 32-byte private key of RFC 8032. */
int ed25519_generate(uint8_t seed[CKQ_ED25519_LEN], uint8_t pub[CKQ_ED25519_LEN]);
int ed25519_public(const uint8_t seed[CKQ_ED25519_LEN], uint8_t pub[CKQ_ED25519_LEN]);
int ed25519_sign(const uint8_t seed[CKQ_ED25519_LEN], const uint8_t *msg, size_t len,
		 uint8_t sig[CKQ_ED25519_SIG_LEN]);
/* 0, or CKQ_ERR_SIGNATURE for a signature that does not verify. */
int ed25519_verify(const uint8_t pub[CKQ_ED25519_LEN], const uint8_t *msg, size_t len,
		   const uint8_t sig[CKQ_ED25519_SIG_LEN]);

/* RFC 5869 with SHA-256; the info of hkdf_expand is the parts concatenated. */
int hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		 uint8_t prk[CKQ_HASH_LEN]);
int hkdf_expand(const uint8_t prk[CKQ_HASH_LEN], const struct span *info, size_t ninfo,
		uint8_t *out, size_t out_len);

/*
 * ChaCha20-Poly1305 (RFC 8439). The _iv forms take the whole 96-bit nonce;
 * the others take the protocol's: 4 zero bytes and a 64-bit big-endian
 * counter. Seal writes pt_len + CKQ_TAG_LEN bytes; open writes
 * ct_len - CKQ_TAG_LEN, and wipes them when the tag is wrong.
 */
int aead2_seal_iv(const uint8_t key[CKQ_AEAD2_KEY_LEN], const uint8_t iv[CKQ_AEAD2_IV_LEN],
		  const struct span *aad, size_t naad,
		  const uint8_t *pt, size_t pt_len, uint8_t *out);
int aead2_open_iv(const uint8_t key[CKQ_AEAD2_KEY_LEN], const uint8_t iv[CKQ_AEAD2_IV_LEN],
		  const struct span *aad, size_t naad,
		  const uint8_t *ct, size_t ct_len, uint8_t *pt);
int aead2_seal(const uint8_t key[CKQ_AEAD2_KEY_LEN], uint64_t nonce,
	       const struct span *aad, size_t naad,
	       const uint8_t *pt, size_t pt_len, uint8_t *out);
int aead2_open(const uint8_t key[CKQ_AEAD2_KEY_LEN], uint64_t nonce,
	       const struct span *aad, size_t naad,
	       const uint8_t *ct, size_t ct_len, uint8_t *pt);

#endif
