/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "err.h"
#include "tap.h"

/* Generated once: RSA key generation dominates the run time. */
static struct ckq_key *key_a, *key_b, *pub_a;

static const uint8_t data[] = "the quick brown fox jumps over the lazy dog";

/* Both PEM forms of an EVP_PKEY made here, outside the code under test. */
static char *pem_of(EVP_PKEY *pkey, bool private_part, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p, *s = NULL;
	long n;
	int r;

	if (!bio)
		bail_out("BIO_new");
	r = private_part ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) :
			   PEM_write_bio_PUBKEY(bio, pkey);
	n = BIO_get_mem_data(bio, &p);
	if (r != 1 || n <= 0 || !(s = malloc((size_t)n)))
		bail_out("PEM encoding");
	memcpy(s, p, (size_t)n);
	*len = (size_t)n;
	BIO_free(bio);
	return s;
}

static int load(const char *pem, size_t len, bool want_private)
{
	struct ckq_key *k = NULL;
	int rc = key_from_pem(pem, len, want_private, &k);

	if (rc == 0 && !k)
		rc = CKQ_ERR_INTERNAL;
	key_free(k);
	return rc;
}

/* An RSA public key with an arbitrary odd modulus of exactly `bits` bits. */
static EVP_PKEY *rsa_pub_of_bits(int bits)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *n = BN_new(), *e = BN_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bld || !ctx || !n || !e || !BN_set_bit(n, bits - 1) || !BN_set_bit(n, 0) ||
	    !BN_set_bit(n, bits / 2) || !BN_set_word(e, 65537) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		bail_out("building an RSA public key");
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *dh_2048(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"ffdhe2048", 0),
		OSSL_PARAM_END,
	};
	EVP_PKEY *pkey = NULL;

	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_params(ctx, params) != 1 ||
	    EVP_PKEY_generate(ctx, &pkey) != 1)
		bail_out("DH key generation");
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static void test_key_pem_roundtrip(void)
{
	struct ckq_key *k = NULL;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	ok(key_a->has_private && key_a->size == 256, "generated key: private, 256 bytes");
	is_int(key_bits(key_a), 2048, "generated key: 2048 bits");

	rc = key_to_pem(key_a, true, &pem, &len);
	is_int(rc, 0, "private key to PEM");
	ok(rc == 0 && len == strlen(pem) && !strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28),
	   "private PEM is PKCS#8 and NUL-terminated");
	rc = key_from_pem(pem, len, true, &k);
	is_int(rc, 0, "private PEM reloads");
	ok(rc == 0 && k->has_private && k->size == 256 && key_bits(k) == 2048,
	   "reloaded private key: same size");
	ok(rc == 0 && !memcmp(k->fp, key_a->fp, CKQ_FP_LEN), "reloaded private key: same fingerprint");
	ok(rc == 0 && !memcmp(k->mac1_key, key_a->mac1_key, CKQ_HASH_LEN),
	   "reloaded private key: same mac1 key");
	is_int(load(pem, len, false), CKQ_ERR_KEY, "private PEM refused where a public key is wanted");
	key_free(k);
	k = NULL;
	wipe(pem, len);
	free(pem);

	rc = key_to_pem(key_a, false, &pem, &len);
	is_int(rc, 0, "public key to PEM");
	ok(rc == 0 && !strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27), "public PEM is SPKI");
	rc = key_from_pem(pem, len, false, &pub_a);
	is_int(rc, 0, "public PEM reloads");
	ok(rc == 0 && !pub_a->has_private && pub_a->size == 256, "reloaded public key: no private part");
	ok(rc == 0 && !memcmp(pub_a->fp, key_a->fp, CKQ_FP_LEN), "reloaded public key: same fingerprint");
	ok(rc == 0 && !memcmp(pub_a->mac1_key, key_a->mac1_key, CKQ_HASH_LEN),
	   "reloaded public key: same mac1 key");
	is_int(load(pem, len, true), CKQ_ERR_KEY, "public PEM refused where a private key is wanted");
	free(pem);
	if (rc != 0)
		bail_out("no public key to go on with");

	pem = NULL;
	is_int(key_to_pem(pub_a, true, &pem, &len), CKQ_ERR_CRYPTO,
	       "no private PEM from a public key");
	ok(pem == NULL, "and nothing returned");
	ok(memcmp(key_a->fp, key_b->fp, CKQ_FP_LEN) != 0, "two keys, two fingerprints");
}

/* The fingerprint and mac1 key, recomputed from the DER here. */
static void test_key_derivations(void)
{
	static const char label[] = "ckq suite1 mac1";
	unsigned char *der = NULL;
	int der_len = i2d_PUBKEY(key_a->pkey, &der);
	uint8_t fp[CKQ_HASH_LEN], mk[CKQ_HASH_LEN];
	unsigned int n = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (der_len <= 0 || !md)
		bail_out("i2d_PUBKEY");
	EVP_Digest(der, (size_t)der_len, fp, &n, EVP_sha256(), NULL);
	ok(n == 32 && !memcmp(fp, key_a->fp, CKQ_FP_LEN), "fingerprint is SHA-256 of the SPKI DER");
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, label, sizeof(label) - 1);
	EVP_DigestUpdate(md, der, (size_t)der_len);
	EVP_DigestFinal_ex(md, mk, &n);
	ok(!memcmp(mk, key_a->mac1_key, CKQ_HASH_LEN),
	   "mac1 key is SHA-256(\"ckq suite1 mac1\" || SPKI DER)");
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
}

/*
 * Users' public keys are read by ckq's own strict SPKI reader and kept
 * packed; both must give exactly what OpenSSL's decoder gives.
 */
static void test_pub_fast_and_packed(void)
{
	struct ckq_key *fast = NULL, *slow = NULL, *un = NULL;
	struct ckq_pub *pk = NULL;
	uint8_t msg[48] = { 7 }, sig[CKQ_RSA_MAX_BYTES];
	struct span part = { msg, sizeof(msg) };
	char *pem = NULL, *bad;
	size_t len = 0, sig_len = 0, i;
	BIO *bio;
	EVP_PKEY *ref;
	int rc;

	if (key_to_pem(key_a, false, &pem, &len) < 0 ||
	    rsa_pss_sign(key_a, &part, 1, sig, sizeof(sig), &sig_len) < 0)
		bail_out("cannot set up the packed-key tests");
	is_int(key_from_pem(pem, len, false, &fast), 0, "SPKI PEM read by the fast reader");
	bio = BIO_new_mem_buf(pem, (int)len);
	ref = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ok(fast && ref && EVP_PKEY_eq(fast->pkey, ref) == 1, "same key as OpenSSL's decoder reads");
	EVP_PKEY_free(ref);
	ok(fast && !memcmp(fast->fp, key_a->fp, CKQ_FP_LEN) &&
	   !memcmp(fast->mac1_key, key_a->mac1_key, CKQ_HASH_LEN) && fast->size == 256,
	   "same fingerprint, mac1 key and size");
	is_int(fast ? rsa_pss_verify(fast, &part, 1, sig, sig_len) : -1, 0, "and it verifies");

	/* Text around the PEM, or CRLF lines, go to OpenSSL, which reads them. */
	bad = malloc(len + 32);
	if (!bad)
		bail_out("malloc");
	memcpy(bad, "a comment line\n", 15);
	memcpy(bad + 15, pem, len);
	rc = key_from_pem(bad, len + 15, false, &slow);
	ok(rc == 0 && !memcmp(slow->fp, key_a->fp, CKQ_FP_LEN), "leading text: OpenSSL reads it");
	key_free(slow);
	slow = NULL;
	/* A flipped byte inside the DER: refused or another key, never a crash. */
	for (i = 40; i < len - 40; i += 7) {
		memcpy(bad, pem, len);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		rc = key_from_pem(bad, len, false, &slow);
		if (rc == 0 && !memcmp(slow->fp, key_a->fp, CKQ_FP_LEN))
			break;
		key_free(slow);
		slow = NULL;
	}
	ok(slow == NULL, "no altered PEM reads back as the same key");
	key_free(slow);
	/* A non-minimal length in the outer SEQUENCE is not DER. */
	{
		static const uint8_t lax[] = { 0x30, 0x82, 0x00, 0x05, 0, 0, 0, 0, 0 };
		char b64[96] = "-----BEGIN PUBLIC KEY-----\n";
		size_t n = strlen(b64);

		n += (size_t)EVP_EncodeBlock((unsigned char *)b64 + n, lax, sizeof(lax));
		memcpy(b64 + n, "\n-----END PUBLIC KEY-----\n", 26);
		is_int(key_from_pem(b64, n + 26, false, &slow), CKQ_ERR_KEY, "lax DER refused");
	}
	free(bad);

	is_int(key_pack(key_a, &pk), 0, "key packed");
	ok(pk && pk->n_len == 256 && pk->e_len == 3 && pub_bits(pk) == 2048 &&
	   !memcmp(pk->fp, key_a->fp, CKQ_FP_LEN), "packed: n, e, 2048 bits, fingerprint");
	is_int(pk ? key_unpack(pk, &un) : -1, 0, "and unpacked");
	ok(un && fast && EVP_PKEY_eq(un->pkey, fast->pkey) == 1 && !un->has_private &&
	   un->size == 256, "unpacked: the same public key");
	is_int(un ? rsa_pss_verify(un, &part, 1, sig, sig_len) : -1, 0, "unpacked key verifies");
	sig[5] ^= 1;
	is_int(un ? rsa_pss_verify(un, &part, 1, sig, sig_len) : 0, CKQ_ERR_SIGNATURE,
	       "and refuses a changed signature");
	key_free(un);
	key_free(fast);
	free(pk);
	free(pem);
}

static void test_fp_str(void)
{
	uint8_t fp[CKQ_FP_LEN], back[48];
	char s[CKQ_FP_STRLEN], padded[48];
	size_t i;
	int good = 1;

	for (i = 0; i < CKQ_FP_LEN; i++)
		fp[i] = (uint8_t)i;
	memset(s, 'x', sizeof(s));
	key_fp_str(fp, s);
	/* base64 of 00..1f, computed with python's base64 module, '=' dropped. */
	ok(!strcmp(s, "SHA256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),
	   "fingerprint string of 00..1f");

	memset(s, 'x', sizeof(s));
	key_fp_str(key_a->fp, s);
	is_int(strlen(s), 7 + 43, "fingerprint string: SHA256: + 43 characters");
	ok(!strncmp(s, "SHA256:", 7), "fingerprint string prefix");
	for (i = 7; i < 50; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			good = 0;
	ok(good, "fingerprint string: base64 alphabet, no padding");
	memcpy(padded, s + 7, 43);
	padded[43] = '=';
	padded[44] = '\0';
	ok(EVP_DecodeBlock(back, (const unsigned char *)padded, 44) == 33 &&
	   !memcmp(back, key_a->fp, CKQ_FP_LEN), "fingerprint string decodes to the fingerprint");
}

static void test_key_refusals(void)
{
	static const char garbage[] =
		"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n";
	struct ckq_key *k = NULL;
	EVP_PKEY *pk;
	char *pem, *big;
	size_t len;
	BIO *bio;
	int i;
	static const struct { int bits, want; } sizes[] = {
		{ 1024, CKQ_ERR_KEY }, { 2047, CKQ_ERR_KEY }, { 2048, 0 },
		{ 4096, 0 }, { 4097, CKQ_ERR_KEY }, { 8192, CKQ_ERR_KEY },
	};

	is_int(key_generate(1024, &k), CKQ_ERR_RANGE, "key_generate(1024) refused");
	is_int(key_generate(4097, &k), CKQ_ERR_RANGE, "key_generate(4097) refused");
	ok(k == NULL, "no key returned");

	pk = EVP_RSA_gen(1024);
	if (!pk)
		bail_out("EVP_RSA_gen(1024)");
	pem = pem_of(pk, true, &len);
	is_int(load(pem, len, true), CKQ_ERR_KEY, "1024-bit private key refused");
	free(pem);
	pem = pem_of(pk, false, &len);
	is_int(load(pem, len, false), CKQ_ERR_KEY, "1024-bit public key refused");
	free(pem);
	EVP_PKEY_free(pk);

	/* The bounds, exactly: moduli built from parameters, no key generation. */
	for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++) {
		pk = rsa_pub_of_bits(sizes[i].bits);
		pem = pem_of(pk, false, &len);
		is_int(load(pem, len, false), sizes[i].want, "%d-bit public key %s",
		       sizes[i].bits, sizes[i].want ? "refused" : "accepted");
		free(pem);
		EVP_PKEY_free(pk);
	}

	pk = EVP_EC_gen("P-256");
	if (!pk)
		bail_out("EVP_EC_gen");
	pem = pem_of(pk, true, &len);
	is_int(load(pem, len, true), CKQ_ERR_KEY, "EC P-256 private key refused");
	free(pem);
	pem = pem_of(pk, false, &len);
	is_int(load(pem, len, false), CKQ_ERR_KEY, "EC P-256 public key refused");
	free(pem);
	EVP_PKEY_free(pk);

	/* Not RSA, yet 2048 bits: the type check, not the size, must refuse it. */
	pk = dh_2048();
	is_int(EVP_PKEY_get_bits(pk), 2048, "a 2048-bit DH key made");
	pem = pem_of(pk, true, &len);
	is_int(load(pem, len, true), CKQ_ERR_KEY, "2048-bit DH private key refused");
	free(pem);
	pem = pem_of(pk, false, &len);
	is_int(load(pem, len, false), CKQ_ERR_KEY, "2048-bit DH public key refused");
	free(pem);
	EVP_PKEY_free(pk);

	is_int(load(garbage, sizeof(garbage) - 1, true), CKQ_ERR_KEY, "garbage PEM refused");
	is_int(load(garbage, sizeof(garbage) - 1, false), CKQ_ERR_KEY, "garbage public PEM refused");
	is_int(load("hello", 5, true), CKQ_ERR_KEY, "not PEM at all refused");
	is_int(load("", 0, true), CKQ_ERR_KEY, "empty input refused");

	pem = pem_of(key_a->pkey, true, &len);
	is_int(load(pem, len / 2, true), CKQ_ERR_KEY, "truncated PEM refused");
	big = calloc(1, 65 * 1024);
	if (!big)
		bail_out("calloc");
	memcpy(big, pem, len);
	is_int(load(big, 65 * 1024, true), CKQ_ERR_KEY, "input over 64 KiB refused");
	free(big);
	free(pem);

	bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PKCS8PrivateKey(bio, key_a->pkey, EVP_aes_256_cbc(),
						  "secret", 6, NULL, NULL) != 1)
		bail_out("encrypted PEM");
	len = (size_t)BIO_get_mem_data(bio, &pem);
	ok(!strncmp(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37), "encrypted PEM made");
	is_int(load(pem, len, true), CKQ_ERR_KEY, "passphrase-protected PEM refused");
	BIO_free(bio);
}

static void test_oaep(void)
{
	uint8_t in[CKQ_SKEY_LEN], ct[CKQ_RSA_MAX_BYTES], ct2[CKQ_RSA_MAX_BYTES];
	uint8_t pt[CKQ_RSA_MAX_BYTES];
	size_t ct_len = 0, ct2_len = 0, pt_len = 0, i;
	int rc, bad = 0;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0xa0 + i);
	rc = rsa_oaep_encrypt(pub_a, in, sizeof(in), ct, sizeof(ct), &ct_len);
	ok(rc == 0 && ct_len == 256, "OAEP encrypt with the public key: 256 bytes");
	rc = rsa_oaep_encrypt(pub_a, in, sizeof(in), ct2, sizeof(ct2), &ct2_len);
	ok(rc == 0 && memcmp(ct, ct2, 256) != 0, "OAEP is randomised");
	rc = rsa_oaep_decrypt(key_a, ct, ct_len, pt, sizeof(pt), &pt_len);
	ok(rc == 0 && pt_len == sizeof(in) && !memcmp(pt, in, sizeof(in)), "OAEP round trip");
	is_int(rsa_oaep_decrypt(key_b, ct, ct_len, pt, sizeof(pt), &pt_len), CKQ_ERR_DECRYPT,
	       "OAEP decrypt with the wrong key fails");
	is_int(rsa_oaep_decrypt(pub_a, ct, ct_len, pt, sizeof(pt), &pt_len), CKQ_ERR_KEY,
	       "OAEP decrypt with a public key is refused");
	is_int(rsa_oaep_decrypt(key_a, ct, ct_len - 1, pt, sizeof(pt), &pt_len), CKQ_ERR_FORMAT,
	       "OAEP ciphertext of the wrong length refused");
	is_int(rsa_oaep_decrypt(key_a, ct, ct_len, pt, 16, &pt_len), CKQ_ERR_RANGE,
	       "OAEP decrypt into too small a buffer refused");
	is_int(rsa_oaep_encrypt(pub_a, in, sizeof(in), ct2, 255, &ct2_len), CKQ_ERR_RANGE,
	       "OAEP encrypt into too small a buffer refused");

	/* A sample of bit flips: each costs a private-key operation. */
	for (i = 0; i < ct_len * 8; i += 61) {
		ct[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (rsa_oaep_decrypt(key_a, ct, ct_len, pt, sizeof(pt), &pt_len) != CKQ_ERR_DECRYPT)
			bad++;
		ct[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	is_int(bad, 0, "OAEP ciphertext with a bit flipped fails (every 61st bit)");
}

static void test_pss(void)
{
	struct span parts[3] = {
		{ data, 10 }, { data + 10, 0 }, { data + 10, sizeof(data) - 10 },
	}, whole = { data, sizeof(data) };
	uint8_t sig[CKQ_RSA_MAX_BYTES], sig2[CKQ_RSA_MAX_BYTES], copy[sizeof(data)];
	size_t sig_len = 0, sig2_len = 0, i;
	int rc, bad;

	rc = rsa_pss_sign(key_a, parts, 3, sig, sizeof(sig), &sig_len);
	ok(rc == 0 && sig_len == 256, "PSS sign: 256 bytes");
	is_int(rsa_pss_verify(pub_a, parts, 3, sig, sig_len), 0, "PSS verify with the public key");
	is_int(rsa_pss_verify(key_a, &whole, 1, sig, sig_len), 0,
	       "the signature covers the concatenation of the parts");
	rc = rsa_pss_sign(key_a, &whole, 1, sig2, sizeof(sig2), &sig2_len);
	ok(rc == 0 && memcmp(sig, sig2, 256) != 0, "PSS is randomised");
	is_int(rsa_pss_verify(key_b, parts, 3, sig, sig_len), CKQ_ERR_SIGNATURE,
	       "PSS verify with the wrong key fails");
	is_int(rsa_pss_verify(pub_a, parts, 3, sig, sig_len - 1), CKQ_ERR_SIGNATURE,
	       "PSS signature of the wrong length fails");
	is_int(rsa_pss_verify(pub_a, parts, 2, sig, sig_len), CKQ_ERR_SIGNATURE,
	       "PSS verify over a missing part fails");
	is_int(rsa_pss_sign(pub_a, parts, 3, sig2, sizeof(sig2), &sig2_len), CKQ_ERR_KEY,
	       "PSS sign with a public key is refused");
	is_int(rsa_pss_sign(key_a, parts, 3, sig2, 255, &sig2_len), CKQ_ERR_RANGE,
	       "PSS sign into too small a buffer refused");

	bad = 0;
	for (i = 0; i < sig_len * 8; i++) {
		sig[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (rsa_pss_verify(pub_a, parts, 3, sig, sig_len) != CKQ_ERR_SIGNATURE)
			bad++;
		sig[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	is_int(bad, 0, "PSS: every single-bit flip of the signature fails");

	bad = 0;
	memcpy(copy, data, sizeof(data));
	whole.p = copy;
	for (i = 0; i < sizeof(copy) * 8; i++) {
		copy[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (rsa_pss_verify(pub_a, &whole, 1, sig, sig_len) != CKQ_ERR_SIGNATURE)
			bad++;
		copy[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	is_int(bad, 0, "PSS: every single-bit flip of the data fails");
	is_int(rsa_pss_verify(pub_a, &whole, 1, sig, sig_len), 0, "PSS: unflipped data verifies");
}

static void test_aead(void)
{
	/* Computed with python cryptography's AESGCM, IV = 0^32 || be64(nonce). */
	static const uint8_t kat_ct[] = {
		0x67, 0x3a, 0x14, 0x2e, 0xbc, 0x84, 0x68, 0xfa, 0x23, 0xf4, 0x93, 0x80,
		0x69, 0x09, 0x19, 0x91, 0x14, 0x8a, 0x2b, 0xa7, 0xa5, 0x31, 0xfa, 0x87,
		0x69, 0x08, 0x06, 0xc3, 0x14, 0xcf, 0x42, 0xe4, 0x72, 0xae, 0x19, 0xcf,
		0x09,
	};
	/* McGrew & Viega, GCM test case 14. */
	static const uint8_t tc14[] = {
		0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e, 0x07, 0x4e, 0xc5, 0xd3,
		0xba, 0xf3, 0x9d, 0x18, 0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
		0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19,
	};
	static const char pt_kat[] = "ckq aead known answer";
	uint8_t key[CKQ_SKEY_LEN], zero[CKQ_SKEY_LEN] = { 0 }, aadbuf[] = "label|aad";
	struct span aad[3] = { { aadbuf, 5 }, { aadbuf + 5, 1 }, { aadbuf + 6, 3 } };
	struct span aad2[2] = { { aadbuf, 2 }, { aadbuf + 2, 7 } };
	uint8_t ct[64], pt[64];
	const size_t n = sizeof(pt_kat) - 1, ct_len = sizeof(pt_kat) - 1 + CKQ_TAG_LEN;
	uint64_t nonce = 0x0102030405060708ULL;
	size_t i;
	int bad, leak;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;

	is_int(aead_seal(zero, 0, NULL, 0, zero, 16, ct), 0, "seal GCM test case 14");
	ok(!memcmp(ct, tc14, sizeof(tc14)), "GCM test case 14 ciphertext and tag");

	is_int(aead_seal(key, nonce, aad, 3, (const uint8_t *)pt_kat, n, ct), 0,
	       "seal with AAD in three spans");
	ok(!memcmp(ct, kat_ct, sizeof(kat_ct)), "known answer: ciphertext and tag");
	memset(pt, 0xaa, sizeof(pt));
	is_int(aead_open(key, nonce, aad2, 2, ct, ct_len, pt), 0, "open with the AAD split otherwise");
	ok(!memcmp(pt, pt_kat, n), "AEAD round trip");

	bad = leak = 0;
	for (i = 0; i < ct_len * 8; i++) {
		ct[i / 8] ^= (uint8_t)(1 << (i % 8));
		memset(pt, 0xaa, sizeof(pt));
		if (aead_open(key, nonce, aad, 3, ct, ct_len, pt) != CKQ_ERR_DECRYPT)
			bad++;
		if (memcmp(pt, zero, n))
			leak++;
		ct[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	is_int(bad, 0, "every single-bit flip of ciphertext or tag fails");
	is_int(leak, 0, "and the plaintext buffer is wiped each time");

	bad = 0;
	for (i = 0; i < 9 * 8; i++) {
		aadbuf[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (aead_open(key, nonce, aad, 3, ct, ct_len, pt) != CKQ_ERR_DECRYPT)
			bad++;
		aadbuf[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	is_int(bad, 0, "every single-bit flip of the AAD fails");

	is_int(aead_open(key, nonce + 1, aad, 3, ct, ct_len, pt), CKQ_ERR_DECRYPT, "wrong nonce fails");
	is_int(aead_open(key, nonce ^ (1ULL << 63), aad, 3, ct, ct_len, pt), CKQ_ERR_DECRYPT,
	       "nonce differing in its top bit fails");
	is_int(aead_open(key, nonce, aad, 2, ct, ct_len, pt), CKQ_ERR_DECRYPT,
	       "a missing AAD span fails");
	is_int(aead_open(zero, nonce, aad, 3, ct, ct_len, pt), CKQ_ERR_DECRYPT, "wrong key fails");
	is_int(aead_open(key, nonce, aad, 3, ct, ct_len - 1, pt), CKQ_ERR_DECRYPT,
	       "ciphertext one byte short fails");
	is_int(aead_open(key, nonce, aad, 3, ct, CKQ_TAG_LEN - 1, pt), CKQ_ERR_TRUNCATED,
	       "ciphertext shorter than a tag refused");
	is_int(aead_open(key, nonce, aad, 3, ct, ct_len, pt), 0, "the original still opens");

	is_int(aead_seal(key, 9, NULL, 0, NULL, 0, ct), 0, "seal an empty plaintext");
	is_int(aead_open(key, 9, NULL, 0, ct, CKQ_TAG_LEN, pt), 0, "open a bare tag");
	is_int(aead_open(key, 8, NULL, 0, ct, CKQ_TAG_LEN, pt), CKQ_ERR_DECRYPT,
	       "a bare tag under another nonce fails");
}

static void test_hashes(void)
{
	/* FIPS 180-2 appendix B.1, and the empty message. */
	static const uint8_t abc[] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
		0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t empty[] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
		0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	/* RFC 4231 test case 2; HMAC pads "Jefe" with zeros to the same key. */
	static const uint8_t rfc4231_2[CKQ_MAC1_LEN] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
		0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
	};
	/* openssl dgst -sha256 -mac HMAC -macopt hexkey:000102..1f */
	static const uint8_t own[CKQ_MAC1_LEN] = {
		0x33, 0xd1, 0x9a, 0x0c, 0x48, 0x44, 0xd3, 0xf3,
		0x25, 0x10, 0xc2, 0x0d, 0x57, 0xff, 0x7a, 0xbd,
	};
	static const char jefe_msg[] = "what do ya want for nothing?";
	static const char own_msg[] = "ckq mac1 known answer";
	struct span parts[4] = { { "a", 1 }, { "", 0 }, { "b", 1 }, { "c", 1 } };
	uint8_t out[CKQ_HASH_LEN], key[CKQ_HASH_LEN] = { 'J', 'e', 'f', 'e' };
	size_t i;

	is_int(sha256_parts(parts, 4, out), 0, "sha256_parts");
	ok(!memcmp(out, abc, sizeof(abc)), "SHA-256(\"abc\") split over four parts");
	is_int(sha256_parts(NULL, 0, out), 0, "sha256_parts of nothing");
	ok(!memcmp(out, empty, sizeof(empty)), "SHA-256 of the empty message");

	memset(out, 0xaa, sizeof(out));
	is_int(mac1_compute(key, (const uint8_t *)jefe_msg, sizeof(jefe_msg) - 1, out), 0,
	       "mac1_compute");
	ok(!memcmp(out, rfc4231_2, CKQ_MAC1_LEN), "mac1: RFC 4231 test case 2, first 16 bytes");
	ok(out[CKQ_MAC1_LEN] == 0xaa && out[CKQ_HASH_LEN - 1] == 0xaa,
	   "mac1 writes 16 bytes only");

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	is_int(mac1_compute(key, (const uint8_t *)own_msg, sizeof(own_msg) - 1, out), 0,
	       "mac1_compute, 32-byte key");
	ok(!memcmp(out, own, CKQ_MAC1_LEN), "mac1 with a full 32-byte key");
	key[31] ^= 1;
	mac1_compute(key, (const uint8_t *)own_msg, sizeof(own_msg) - 1, out);
	ok(memcmp(out, own, CKQ_MAC1_LEN) != 0, "mac1 depends on the last key byte");
}

static void test_misc(void)
{
	uint8_t a[32], b[32], zero[32] = { 0 };

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	ok(ct_equal(a, b, sizeof(a)), "ct_equal on equal buffers");
	b[0] ^= 0x80;
	ok(!ct_equal(a, b, sizeof(a)), "ct_equal sees the first byte");
	b[0] ^= 0x80;
	b[31] ^= 0x01;
	ok(!ct_equal(a, b, sizeof(a)), "ct_equal sees the last byte");
	ok(ct_equal(a, b, 31), "ct_equal compares n bytes only");
	ok(ct_equal(a, b, 0), "ct_equal of nothing is true");

	wipe(a, sizeof(a));
	ok(!memcmp(a, zero, sizeof(a)), "wipe zeroes");
	wipe(NULL, 0);

	is_int(ckq_random(a, sizeof(a)), 0, "ckq_random");
	is_int(ckq_random(b, sizeof(b)), 0, "ckq_random again");
	ok(memcmp(a, b, sizeof(a)) != 0 && memcmp(a, zero, sizeof(a)) != 0,
	   "two random draws differ and are not zero");
}

#define STATS_IS(what, dp, du) do {						\
	is_int(crypto_stats_now().priv_ops - s0.priv_ops, (dp), "%s: %d private op(s)", (what), (dp)); \
	is_int(crypto_stats_now().pub_ops - s0.pub_ops, (du), "%s: %d public op(s)", (what), (du)); \
	s0 = crypto_stats_now();							\
} while (0)

static void test_stats(void)
{
	struct span part = { data, sizeof(data) };
	uint8_t in[CKQ_SKEY_LEN] = { 1 }, ct[CKQ_RSA_MAX_BYTES], pt[CKQ_RSA_MAX_BYTES];
	uint8_t sig[CKQ_RSA_MAX_BYTES], aead[64], h[CKQ_HASH_LEN];
	size_t ct_len = 0, pt_len = 0, sig_len = 0;
	struct crypto_stats s0 = crypto_stats_now();

	rsa_oaep_encrypt(pub_a, in, sizeof(in), ct, sizeof(ct), &ct_len);
	STATS_IS("encrypt", 0, 1);
	ok(rsa_oaep_decrypt(key_a, ct, ct_len, pt, sizeof(pt), &pt_len) == 0, "decrypt for stats");
	STATS_IS("decrypt", 1, 0);
	ok(rsa_pss_sign(key_a, &part, 1, sig, sizeof(sig), &sig_len) == 0, "sign for stats");
	STATS_IS("sign", 1, 0);
	ok(rsa_pss_verify(pub_a, &part, 1, sig, sig_len) == 0, "verify for stats");
	STATS_IS("verify", 0, 1);
	aead_seal(in, 1, &part, 1, data, 16, aead);
	aead_open(in, 1, &part, 1, aead, 32, pt);
	sha256_parts(&part, 1, h);
	mac1_compute(in, data, sizeof(data), h);
	STATS_IS("AEAD, hash and mac1", 0, 0);
}

int main(void)
{
	if (key_generate(2048, &key_a) < 0 || key_generate(2048, &key_b) < 0)
		bail_out("key_generate(2048)");
	test_key_pem_roundtrip();
	test_key_derivations();
	test_pub_fast_and_packed();
	test_fp_str();
	test_key_refusals();
	test_oaep();
	test_pss();
	test_aead();
	test_hashes();
	test_misc();
	test_stats();
	key_free(key_a);
	key_free(key_b);
	key_free(pub_a);
	return done_testing();
}
