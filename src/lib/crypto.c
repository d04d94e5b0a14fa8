/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "buf.h"
#include "crypto.h"
#include "crypto_impl.h"
#include "err.h"

/* Static, not shared: a process reads its own counts through crypto_stats_now(). */
static struct crypto_stats crypto_stats;

struct crypto_stats crypto_stats_now(void)
{
	struct crypto_stats s = {
		.priv_ops = __atomic_load_n(&crypto_stats.priv_ops, __ATOMIC_RELAXED),
		.pub_ops = __atomic_load_n(&crypto_stats.pub_ops, __ATOMIC_RELAXED),
	};

	return s;
}

void crypto_stats_count(bool private_op)
{
	__atomic_add_fetch(private_op ? &crypto_stats.priv_ops : &crypto_stats.pub_ops, 1,
			   __ATOMIC_RELAXED);
}

void wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

bool ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int ckq_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	/* The OS CSPRNG directly: nothing in-process to fork or to seed. */
	while (len > 0) {
		ssize_t r = getrandom(p, len, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return CKQ_ERR_RANDOM;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int sha256_parts(const struct span *parts, size_t nparts, uint8_t out[CKQ_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ret = CKQ_ERR_CRYPTO;
	size_t i;

	if (!ctx)
		return CKQ_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < nparts; i++)
		if (EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, NULL) == 1)
		ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/*
 * The pre-check runs on every datagram, an attacker's included: the HMAC
 * is fetched and keyed once per thread and key, then each datagram costs
 * the hash itself.
 */
static _Thread_local EVP_MAC_CTX *keyed;
/* ckqd verifies twice a knock: one context per thread, reset each time. */
static _Thread_local EVP_MD_CTX *verify_md;
static _Thread_local uint8_t keyed_with[CKQ_HASH_LEN];

void crypto_thread_done(void)
{
	EVP_MD_CTX_free(verify_md);
	verify_md = NULL;
	EVP_MAC_CTX_free(keyed);
	keyed = NULL;
	wipe(keyed_with, sizeof(keyed_with));
}

int mac1_compute(const uint8_t key[CKQ_HASH_LEN], const uint8_t *msg, size_t len,
		 uint8_t out[CKQ_MAC1_LEN])
{
	uint8_t full[CKQ_HASH_LEN];
	EVP_MAC_CTX *ctx;
	size_t n = 0;
	int ret = CKQ_ERR_CRYPTO;

	if (!keyed || CRYPTO_memcmp(keyed_with, key, CKQ_HASH_LEN)) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
			OSSL_PARAM_construct_end(),
		};
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

		EVP_MAC_CTX_free(keyed);
		keyed = mac ? EVP_MAC_CTX_new(mac) : NULL;
		EVP_MAC_free(mac);
		if (!keyed || !EVP_MAC_init(keyed, key, CKQ_HASH_LEN, params)) {
			EVP_MAC_CTX_free(keyed);
			keyed = NULL;
			return CKQ_ERR_CRYPTO;
		}
		memcpy(keyed_with, key, CKQ_HASH_LEN);
	}
	/* HMAC restarts with the key it holds when given none. */
	ctx = keyed;
	if (EVP_MAC_init(ctx, NULL, 0, NULL) && EVP_MAC_update(ctx, msg, len) &&
	    EVP_MAC_final(ctx, full, &n, sizeof(full)) && n == sizeof(full)) {
		memcpy(out, full, CKQ_MAC1_LEN);
		ret = 0;
	}
	return ret;
}

static EVP_PKEY_CTX *oaep_ctx(const struct ckq_key *k, bool enc)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);

	if (!ctx)
		return NULL;
	if ((enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int rsa_oaep_encrypt(const struct ckq_key *pub, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_cap, size_t *out_len)
{
	EVP_PKEY_CTX *ctx;
	size_t n = out_cap;
	int ret = CKQ_ERR_CRYPTO;

	if (out_cap < pub->size)
		return CKQ_ERR_RANGE;
	ctx = oaep_ctx(pub, true);
	if (!ctx)
		return CKQ_ERR_CRYPTO;
	__atomic_add_fetch(&crypto_stats.pub_ops, 1, __ATOMIC_RELAXED);
	if (EVP_PKEY_encrypt(ctx, out, &n, in, in_len) == 1) {
		*out_len = n;
		ret = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int rsa_oaep_decrypt(const struct ckq_key *priv, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_cap, size_t *out_len)
{
	uint8_t tmp[CKQ_RSA_MAX_BYTES];
	EVP_PKEY_CTX *ctx;
	size_t n = sizeof(tmp);
	int ret = CKQ_ERR_DECRYPT;

	if (!priv->has_private)
		return CKQ_ERR_KEY;
	if (in_len != priv->size)
		return CKQ_ERR_FORMAT;
	ctx = oaep_ctx(priv, false);
	if (!ctx)
		return CKQ_ERR_CRYPTO;
	__atomic_add_fetch(&crypto_stats.priv_ops, 1, __ATOMIC_RELAXED);
	if (EVP_PKEY_decrypt(ctx, tmp, &n, in, in_len) == 1) {
		if (n <= out_cap) {
			memcpy(out, tmp, n);
			*out_len = n;
			ret = 0;
		} else {
			ret = CKQ_ERR_RANGE;
		}
	}
	wipe(tmp, sizeof(tmp));
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* PSS with SHA-256 and a salt as long as the digest, set in one call. */
static void pss_params(OSSL_PARAM params[4])
{
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
						     (char *)OSSL_PKEY_RSA_PAD_MODE_PSS, 0);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
						     (char *)OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST, 0);
	params[2] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST,
						     (char *)"SHA256", 0);
	params[3] = OSSL_PARAM_construct_end();
}

int rsa_pss_sign(const struct ckq_key *priv, const struct span *parts, size_t nparts,
		 uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	OSSL_PARAM params[4];
	EVP_MD_CTX *md;
	size_t i, n = sig_cap;
	int ret = CKQ_ERR_CRYPTO;

	if (!priv->has_private)
		return CKQ_ERR_KEY;
	if (sig_cap < priv->size)
		return CKQ_ERR_RANGE;
	md = EVP_MD_CTX_new();
	if (!md)
		return CKQ_ERR_NOMEM;
	pss_params(params);
	if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, priv->pkey, params) != 1)
		goto out;
	for (i = 0; i < nparts; i++)
		if (EVP_DigestSignUpdate(md, parts[i].p, parts[i].n) != 1)
			goto out;
	__atomic_add_fetch(&crypto_stats.priv_ops, 1, __ATOMIC_RELAXED);
	if (EVP_DigestSignFinal(md, sig, &n) == 1) {
		*sig_len = n;
		ret = 0;
	}
out:
	EVP_MD_CTX_free(md);
	return ret;
}

int rsa_pss_verify(const struct ckq_key *pub, const struct span *parts, size_t nparts,
		   const uint8_t *sig, size_t sig_len)
{
	OSSL_PARAM params[4];
	EVP_MD_CTX *md;
	size_t i;

	if (sig_len != pub->size)
		return CKQ_ERR_SIGNATURE;
	if (!verify_md && !(verify_md = EVP_MD_CTX_new()))
		return CKQ_ERR_NOMEM;
	md = verify_md;
	pss_params(params);
	if (EVP_MD_CTX_reset(md) != 1 ||
	    EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pub->pkey, params) != 1)
		return CKQ_ERR_CRYPTO;
	for (i = 0; i < nparts; i++)
		if (EVP_DigestVerifyUpdate(md, parts[i].p, parts[i].n) != 1)
			return CKQ_ERR_CRYPTO;
	__atomic_add_fetch(&crypto_stats.pub_ops, 1, __ATOMIC_RELAXED);
	return EVP_DigestVerifyFinal(md, sig, sig_len) == 1 ? 0 : CKQ_ERR_SIGNATURE;
}

/* The protocol's nonce: 4 zero bytes and a 64-bit big-endian counter. */
void aead_counter_iv(uint64_t nonce, uint8_t iv[CKQ_AEAD_IV_LEN])
{
	int i;

	memset(iv, 0, CKQ_AEAD_IV_LEN);
	for (i = 0; i < 8; i++)
		iv[CKQ_AEAD_IV_LEN - 1 - i] = (uint8_t)(nonce >> (8 * i));
}

static int aead_run(const EVP_CIPHER *cipher, bool enc, const uint8_t *key,
		    const uint8_t iv[CKQ_AEAD_IV_LEN], const struct span *aad, size_t naad,
		    const uint8_t *in, size_t in_len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ret = enc ? CKQ_ERR_CRYPTO : CKQ_ERR_DECRYPT;
	size_t i;

	if (!ctx)
		return CKQ_ERR_NOMEM;
	if (in_len > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, enc) != 1)
		goto out;
	for (i = 0; i < naad; i++)
		if (aad[i].n > INT32_MAX ||
		    EVP_CipherUpdate(ctx, NULL, &n, aad[i].p, (int)aad[i].n) != 1)
			goto out;
	if (in_len && EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CKQ_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + in_len, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CKQ_TAG_LEN, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int aead_evp_seal(const EVP_CIPHER *cipher, const uint8_t *key,
		  const uint8_t iv[CKQ_AEAD_IV_LEN], const struct span *aad, size_t naad,
		  const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	return aead_run(cipher, true, key, iv, aad, naad, pt, pt_len, out, out + pt_len);
}

int aead_evp_open(const EVP_CIPHER *cipher, const uint8_t *key,
		  const uint8_t iv[CKQ_AEAD_IV_LEN], const struct span *aad, size_t naad,
		  const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	uint8_t tag[CKQ_TAG_LEN];
	int ret;

	if (ct_len < CKQ_TAG_LEN)
		return CKQ_ERR_TRUNCATED;
	memcpy(tag, ct + ct_len - CKQ_TAG_LEN, CKQ_TAG_LEN);
	ret = aead_run(cipher, false, key, iv, aad, naad, ct, ct_len - CKQ_TAG_LEN, pt, tag);
	if (ret < 0)
		wipe(pt, ct_len - CKQ_TAG_LEN);
	return ret;
}

int aead_seal(const uint8_t key[CKQ_SKEY_LEN], uint64_t nonce,
	      const struct span *aad, size_t naad,
	      const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	uint8_t iv[CKQ_AEAD_IV_LEN];

	aead_counter_iv(nonce, iv);
	return aead_evp_seal(EVP_aes_256_gcm(), key, iv, aad, naad, pt, pt_len, out);
}

int aead_open(const uint8_t key[CKQ_SKEY_LEN], uint64_t nonce,
	      const struct span *aad, size_t naad,
	      const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
	uint8_t iv[CKQ_AEAD_IV_LEN];

	aead_counter_iv(nonce, iv);
	return aead_evp_open(EVP_aes_256_gcm(), key, iv, aad, naad, ct, ct_len, pt);
}
