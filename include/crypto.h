/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_CRYPTO_H
#define CKQ_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Suite 1: RSA (2048..4096 bits) with OAEP-SHA256 and PSS-SHA256, a fresh
 * AES-256-GCM session key per knock, HMAC-SHA256 for the pre-check. All of
 * it through OpenSSL 3's EVP interfaces.
 */
#define CKQ_FP_LEN 32		/* SHA-256 of the SubjectPublicKeyInfo DER */
#define CKQ_SKEY_LEN 32		/* AES-256-GCM session key */
#define CKQ_TAG_LEN 16
#define CKQ_MAC1_LEN 16
#define CKQ_HASH_LEN 32
#define CKQ_RSA_MIN_BITS 2048
#define CKQ_RSA_MAX_BITS 4096	/* larger keys would not fit one frame */
#define CKQ_RSA_MAX_BYTES (CKQ_RSA_MAX_BITS / 8)
#define CKQ_FP_STRLEN 52	/* "SHA256:" + 43 base64 chars + NUL, rounded */

struct ckq_key {
	void *pkey;		/* EVP_PKEY, kept opaque to spare includes */
	bool has_private;
	size_t size;		/* modulus bytes: the size of OAEP and PSS output */
	uint8_t fp[CKQ_FP_LEN];
	uint8_t mac1_key[CKQ_HASH_LEN];
};

struct span {
	const void *p;
	size_t n;
};

int ckq_random(void *buf, size_t len);

int key_generate(unsigned int bits, struct ckq_key **out);
/* PEM: PKCS#8 private keys or SubjectPublicKeyInfo public keys. */
int key_from_pem(const void *pem, size_t len, bool want_private, struct ckq_key **out);
/* Returns a malloc'd NUL-terminated PEM; the caller wipes and frees it. */
int key_to_pem(const struct ckq_key *k, bool private_part, char **out, size_t *out_len);
void key_free(struct ckq_key *k);
void key_fp_str(const uint8_t fp[CKQ_FP_LEN], char out[CKQ_FP_STRLEN]);
unsigned int key_bits(const struct ckq_key *k);

/*
 * A public key as ckqd keeps its users': n and e, a few hundred bytes
 * where OpenSSL's parsed key takes over a kilobyte, made usable by
 * key_unpack() when a knock needs it. Freed with free().
 */
struct ckq_pub {
	uint8_t fp[CKQ_FP_LEN];
	uint16_t n_len;
	uint8_t e_len;
	uint8_t ne[];		/* n then e, big-endian */
};

int key_pack(const struct ckq_key *k, struct ckq_pub **out);
/* The key verifies and encrypts only: it has no mac1_key. */
int key_unpack(const struct ckq_pub *p, struct ckq_key **out);
unsigned int pub_bits(const struct ckq_pub *p);

int rsa_oaep_encrypt(const struct ckq_key *pub, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_cap, size_t *out_len);
int rsa_oaep_decrypt(const struct ckq_key *priv, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_cap, size_t *out_len);
int rsa_pss_sign(const struct ckq_key *priv, const struct span *parts, size_t nparts,
		 uint8_t *sig, size_t sig_cap, size_t *sig_len);
int rsa_pss_verify(const struct ckq_key *pub, const struct span *parts, size_t nparts,
		   const uint8_t *sig, size_t sig_len);

/* out receives pt_len + CKQ_TAG_LEN bytes. */
int aead_seal(const uint8_t key[CKQ_SKEY_LEN], uint64_t nonce,
	      const struct span *aad, size_t naad,
	      const uint8_t *pt, size_t pt_len, uint8_t *out);
int aead_open(const uint8_t key[CKQ_SKEY_LEN], uint64_t nonce,
	      const struct span *aad, size_t naad,
	      const uint8_t *ct, size_t ct_len, uint8_t *pt);

int sha256_parts(const struct span *parts, size_t nparts, uint8_t out[CKQ_HASH_LEN]);
int mac1_compute(const uint8_t key[CKQ_HASH_LEN], const uint8_t *msg, size_t len,
		 uint8_t out[CKQ_MAC1_LEN]);
bool ct_equal(const void *a, const void *b, size_t n);
/* Frees what this thread keeps for the pre-check and verifications; call before it ends. */
void crypto_thread_done(void);
void wipe(void *p, size_t n);

/*
 * The private- and public-key operations this process has done so far;
 * ckqd puts them in its stats file, where the benchmarks read them.
 */
struct crypto_stats {
	uint64_t priv_ops;
	uint64_t pub_ops;
};
struct crypto_stats crypto_stats_now(void);
/* For the other suites' operations (X25519 and Ed25519 signing count as private). */
void crypto_stats_count(bool private_op);

#endif
