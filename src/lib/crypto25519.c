/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "crypto25519.h"
#include "crypto_impl.h"
#include "err.h"

int x25519_from_raw(const uint8_t priv[CKQ_X25519_LEN], struct ckq_x25519 **out)
{
	struct ckq_x25519 *k = calloc(1, sizeof(*k));
	EVP_PKEY *pkey;
	size_t n = CKQ_X25519_LEN;

	if (!k)
		return CKQ_ERR_NOMEM;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, CKQ_X25519_LEN);
	if (!pkey || EVP_PKEY_get_raw_public_key(pkey, k->pub, &n) != 1 ||
	    n != CKQ_X25519_LEN) {
		EVP_PKEY_free(pkey);
		free(k);
		return CKQ_ERR_KEY;
	}
	k->pkey = pkey;
	*out = k;
	return 0;
}

int x25519_generate(struct ckq_x25519 **out)
{
	uint8_t priv[CKQ_X25519_LEN];
	int ret = ckq_random(priv, sizeof(priv));

	if (ret == 0)
		ret = x25519_from_raw(priv, out);
	wipe(priv, sizeof(priv));
	return ret;
}

int x25519_raw_private(const struct ckq_x25519 *k, uint8_t priv[CKQ_X25519_LEN])
{
	size_t n = CKQ_X25519_LEN;

	if (EVP_PKEY_get_raw_private_key(k->pkey, priv, &n) != 1 || n != CKQ_X25519_LEN) {
		wipe(priv, CKQ_X25519_LEN);
		return CKQ_ERR_CRYPTO;
	}
	return 0;
}

void x25519_free(struct ckq_x25519 *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int x25519_derive(const struct ckq_x25519 *k, const uint8_t peer[CKQ_X25519_LEN],
		  uint8_t shared[CKQ_X25519_LEN])
{
	static const uint8_t zero[CKQ_X25519_LEN];
	EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, CKQ_X25519_LEN);
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = CKQ_X25519_LEN;
	int ret = CKQ_ERR_KEY;

	if (!pub)
		return CKQ_ERR_KEY;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx) {
		ret = CKQ_ERR_NOMEM;
		goto out;
	}
	/*
	 * OpenSSL refuses an all-zero result itself (derive fails); the
	 * compare below keeps that promise whatever the provider does.
	 */
	crypto_stats_count(true);
	if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, pub) != 1 ||
	    EVP_PKEY_derive(ctx, shared, &n) != 1 || n != CKQ_X25519_LEN ||
	    CRYPTO_memcmp(shared, zero, CKQ_X25519_LEN) == 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		wipe(shared, CKQ_X25519_LEN);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	return ret;
}

int ed25519_public(const uint8_t seed[CKQ_ED25519_LEN], uint8_t pub[CKQ_ED25519_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
						      CKQ_ED25519_LEN);
	size_t n = CKQ_ED25519_LEN;
	int ret = CKQ_ERR_KEY;

	if (pkey && EVP_PKEY_get_raw_public_key(pkey, pub, &n) == 1 && n == CKQ_ED25519_LEN)
		ret = 0;
	EVP_PKEY_free(pkey);
	return ret;
}

int ed25519_generate(uint8_t seed[CKQ_ED25519_LEN], uint8_t pub[CKQ_ED25519_LEN])
{
	int ret = ckq_random(seed, CKQ_ED25519_LEN);

	if (ret == 0)
		ret = ed25519_public(seed, pub);
	if (ret < 0)
		wipe(seed, CKQ_ED25519_LEN);
	return ret;
}

int ed25519_sign(const uint8_t seed[CKQ_ED25519_LEN], const uint8_t *msg, size_t len,
		 uint8_t sig[CKQ_ED25519_SIG_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
						      CKQ_ED25519_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = CKQ_ED25519_SIG_LEN;
	int ret = CKQ_ERR_CRYPTO;

	if (!pkey) {
		ret = CKQ_ERR_KEY;
		goto out;
	}
	if (!md) {
		ret = CKQ_ERR_NOMEM;
		goto out;
	}
	/* Pure Ed25519 hashes the message itself: no digest, one shot. */
	crypto_stats_count(true);
	if (EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, pkey, NULL) == 1 &&
	    EVP_DigestSign(md, sig, &n, msg, len) == 1 && n == CKQ_ED25519_SIG_LEN)
		ret = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return ret;
}

int ed25519_verify(const uint8_t pub[CKQ_ED25519_LEN], const uint8_t *msg, size_t len,
		   const uint8_t sig[CKQ_ED25519_SIG_LEN])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
						     CKQ_ED25519_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ret = CKQ_ERR_CRYPTO;

	if (!pkey) {
		ret = CKQ_ERR_KEY;
		goto out;
	}
	if (!md) {
		ret = CKQ_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, pkey, NULL) != 1)
		goto out;
	/* OpenSSL also refuses an S that is not below the group order. */
	crypto_stats_count(false);
	ret = EVP_DigestVerify(md, sig, CKQ_ED25519_SIG_LEN, msg, len) == 1 ?
	      0 : CKQ_ERR_SIGNATURE;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return ret;
}

static int hkdf_run(int mode, const uint8_t *key, size_t key_len,
		    const uint8_t *salt, size_t salt_len,
		    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	int ret = CKQ_ERR_CRYPTO;

	EVP_KDF_free(kdf);
	if (!ctx)
		return CKQ_ERR_CRYPTO;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 salt_len);
	if (info)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
							 info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		ret = 0;
	else
		wipe(out, out_len);
	EVP_KDF_CTX_free(ctx);
	return ret;
}

int hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		 uint8_t prk[CKQ_HASH_LEN])
{
	static const uint8_t zero_salt[CKQ_HASH_LEN];

	/* RFC 5869: no salt means HashLen zero bytes. */
	if (!salt || !salt_len) {
		salt = zero_salt;
		salt_len = sizeof(zero_salt);
	}
	return hkdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, salt, salt_len,
			NULL, 0, prk, CKQ_HASH_LEN);
}

/* Longer infos than this are not needed by the protocol: refused. */
#define INFO_MAX 256

int hkdf_expand(const uint8_t prk[CKQ_HASH_LEN], const struct span *info, size_t ninfo,
		uint8_t *out, size_t out_len)
{
	uint8_t buf[INFO_MAX];
	size_t i, n = 0;
	int ret;

	if (out_len == 0 || out_len > CKQ_HKDF_MAX)
		return CKQ_ERR_RANGE;
	for (i = 0; i < ninfo; i++) {
		if (info[i].n > sizeof(buf) - n)
			return CKQ_ERR_RANGE;
		if (info[i].n)
			memcpy(buf + n, info[i].p, info[i].n);
		n += info[i].n;
	}
	ret = hkdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, CKQ_HASH_LEN, NULL, 0,
		       buf, n, out, out_len);
	wipe(buf, n);
	return ret;
}

int aead2_seal_iv(const uint8_t key[CKQ_AEAD2_KEY_LEN], const uint8_t iv[CKQ_AEAD2_IV_LEN],
		  const struct span *aad, size_t naad,
		  const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	return aead_evp_seal(EVP_chacha20_poly1305(), key, iv, aad, naad, pt, pt_len, out);
}

int aead2_open_iv(const uint8_t key[CKQ_AEAD2_KEY_LEN], const uint8_t iv[CKQ_AEAD2_IV_LEN],
		  const struct span *aad, size_t naad,
		  const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	return aead_evp_open(EVP_chacha20_poly1305(), key, iv, aad, naad, ct, ct_len, pt);
}

int aead2_seal(const uint8_t key[CKQ_AEAD2_KEY_LEN], uint64_t nonce,
	       const struct span *aad, size_t naad,
	       const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	uint8_t iv[CKQ_AEAD2_IV_LEN];

	aead_counter_iv(nonce, iv);
	return aead2_seal_iv(key, iv, aad, naad, pt, pt_len, out);
}

int aead2_open(const uint8_t key[CKQ_AEAD2_KEY_LEN], uint64_t nonce,
	       const struct span *aad, size_t naad,
	       const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	uint8_t iv[CKQ_AEAD2_IV_LEN];

	aead_counter_iv(nonce, iv);
	return aead2_open_iv(key, iv, aad, naad, ct, ct_len, pt);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

/* One PEM block and blank space around it: a key file, nothing else. */
static bool pem_alone(const char *pem, size_t len, const char *label)
{
	char begin[64], end[64];
	size_t i = 0, bl, el;

	bl = (size_t)snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	el = (size_t)snprintf(end, sizeof(end), "-----END %s-----", label);
	while (i < len && (pem[i] == ' ' || pem[i] == '\t' || pem[i] == '\n' || pem[i] == '\r'))
		i++;
	if (len - i < bl || memcmp(pem + i, begin, bl))
		return false;
	while (len > i && (pem[len - 1] == ' ' || pem[len - 1] == '\t' || pem[len - 1] == '\n' ||
			   pem[len - 1] == '\r'))
		len--;
	return len - i >= bl + el && !memcmp(pem + len - el, end, el) &&
	       !memchr(pem + i, '\0', len - i) &&
	       !memmem(pem + i + 1, len - i - 1, "-----BEGIN", 10);
}

static EVP_PKEY *pem_read(const char *pem, size_t len, bool private_part, int type)
{
	EVP_PKEY *pkey;
	BIO *bio;

	if (len == 0 || len > 16 * 1024 ||
	    !pem_alone(pem, len, private_part ? "PRIVATE KEY" : "PUBLIC KEY"))
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return NULL;
	/* Key files are read unattended: a key that asks for a passphrase is refused. */
	pkey = private_part ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) :
			      PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pkey && EVP_PKEY_get_id(pkey) != type) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

int x25519_from_pem(const char *pem, size_t len, struct ckq_x25519 **out)
{
	EVP_PKEY *pkey = pem_read(pem, len, true, EVP_PKEY_X25519);
	struct ckq_x25519 *k;
	size_t n = CKQ_X25519_LEN;

	if (!pkey)
		return CKQ_ERR_KEY;
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return CKQ_ERR_NOMEM;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &n) != 1 || n != CKQ_X25519_LEN) {
		EVP_PKEY_free(pkey);
		free(k);
		return CKQ_ERR_KEY;
	}
	k->pkey = pkey;
	*out = k;
	return 0;
}

int x25519_pub_from_pem(const char *pem, size_t len, uint8_t pub[CKQ_X25519_LEN])
{
	EVP_PKEY *pkey = pem_read(pem, len, false, EVP_PKEY_X25519);
	size_t n = CKQ_X25519_LEN;
	int ret = CKQ_ERR_KEY;

	if (pkey && EVP_PKEY_get_raw_public_key(pkey, pub, &n) == 1 && n == CKQ_X25519_LEN)
		ret = 0;
	EVP_PKEY_free(pkey);
	return ret;
}

int x25519_to_pem(const struct ckq_x25519 *k, bool private_part, char **out, size_t *out_len)
{
	return pkey_to_pem(k->pkey, private_part, out, out_len);
}

int ed25519_seed_from_pem(const char *pem, size_t len, uint8_t seed[CKQ_ED25519_LEN])
{
	EVP_PKEY *pkey = pem_read(pem, len, true, EVP_PKEY_ED25519);
	size_t n = CKQ_ED25519_LEN;
	int ret = CKQ_ERR_KEY;

	if (pkey && EVP_PKEY_get_raw_private_key(pkey, seed, &n) == 1 && n == CKQ_ED25519_LEN)
		ret = 0;
	else
		wipe(seed, CKQ_ED25519_LEN);
	EVP_PKEY_free(pkey);
	return ret;
}

int ed25519_seed_to_pem(const uint8_t seed[CKQ_ED25519_LEN], char **out, size_t *out_len)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
						      CKQ_ED25519_LEN);
	int ret;

	if (!pkey)
		return CKQ_ERR_KEY;
	ret = pkey_to_pem(pkey, true, out, out_len);
	EVP_PKEY_free(pkey);
	return ret;
}
