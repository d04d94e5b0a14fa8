/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RSA keys: made, read and written (PEM, the packed form), fingerprinted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "buf.h"
#include "crypto.h"
#include "crypto_impl.h"
#include "err.h"

static const char mac1_label[] = "ckq suite1 mac1";

/* fp and mac1_key both hash the SubjectPublicKeyInfo DER. */
static int key_hashes(struct ckq_key *k, const uint8_t *der, size_t der_len)
{
	struct span parts[2];

	parts[0] = (struct span){ der, der_len };
	if (sha256_parts(parts, 1, k->fp) < 0)
		return CKQ_ERR_CRYPTO;
	/* As WireGuard's mac1: anyone may send, but only with this public key. */
	parts[0] = (struct span){ mac1_label, sizeof(mac1_label) - 1 };
	parts[1] = (struct span){ der, der_len };
	if (sha256_parts(parts, 2, k->mac1_key) < 0)
		return CKQ_ERR_CRYPTO;
	return 0;
}

/* der: the key's SubjectPublicKeyInfo when the caller has it, else NULL. */
static int key_finish(EVP_PKEY *pkey, bool has_private, const uint8_t *der, size_t der_len,
		      struct ckq_key **out)
{
	struct ckq_key *k;
	unsigned char *own = NULL;
	int bits, ret;

	if (!EVP_PKEY_is_a(pkey, "RSA"))
		return CKQ_ERR_KEY;
	bits = EVP_PKEY_get_bits(pkey);
	if (bits < CKQ_RSA_MIN_BITS || bits > CKQ_RSA_MAX_BITS)
		return CKQ_ERR_KEY;
	if (!der) {
		int n = i2d_PUBKEY(pkey, &own);

		if (n <= 0)
			return CKQ_ERR_CRYPTO;
		der = own;
		der_len = (size_t)n;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		OPENSSL_free(own);
		return CKQ_ERR_NOMEM;
	}
	k->pkey = pkey;
	k->has_private = has_private;
	k->size = (size_t)EVP_PKEY_get_size(pkey);
	ret = key_hashes(k, der, der_len);
	OPENSSL_free(own);
	if (ret < 0) {
		free(k);
		return ret;
	}
	*out = k;
	return 0;
}

int key_generate(unsigned int bits, struct ckq_key **out)
{
	EVP_PKEY *pkey;
	int ret;

	if (bits < CKQ_RSA_MIN_BITS || bits > CKQ_RSA_MAX_BITS)
		return CKQ_ERR_RANGE;
	pkey = EVP_RSA_gen(bits);
	if (!pkey)
		return CKQ_ERR_CRYPTO;
	ret = key_finish(pkey, true, NULL, 0, out);
	if (ret < 0)
		EVP_PKEY_free(pkey);
	return ret;
}

/*
 * A strict reader for the one public-key form ckq writes, an RSA
 * SubjectPublicKeyInfo in PEM: ckqd reads every user's key at each reload,
 * and OpenSSL's generic decoder spends about 350 us (and a few hundred
 * kB of code) on each. Anything it does not recognise goes to OpenSSL.
 */
static const uint8_t rsa_alg_der[] = {
	0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
};
static const char pem_begin[] = "-----BEGIN PUBLIC KEY-----";
static const char pem_end[] = "-----END PUBLIC KEY-----";

/* DER only: definite, minimal lengths, at most 64 KiB. */
static const uint8_t *der_get(struct cur *c, uint8_t tag, size_t *len)
{
	uint8_t t = cur_u8(c), l = cur_u8(c);
	size_t n;

	if (c->err || t != tag)
		return NULL;
	if (l < 0x80) {
		n = l;
	} else if (l == 0x81) {
		n = cur_u8(c);
		if (n < 0x80)
			return NULL;
	} else if (l == 0x82) {
		n = cur_u16(c);
		if (n < 0x100)
			return NULL;
	} else {
		return NULL;
	}
	*len = n;
	return cur_take(c, n);
}

/* A positive INTEGER, minimal, without its sign byte. */
static bool der_uint(struct cur *c, struct span *v)
{
	const uint8_t *p;
	size_t l = 0;

	p = der_get(c, 0x02, &l);
	if (!p || l == 0 || p[0] & 0x80)
		return false;
	if (p[0] == 0) {
		if (l == 1 || !(p[1] & 0x80))
			return false;
		p++;
		l--;
	}
	*v = (struct span){ p, l };
	return true;
}

static bool spki_rsa(const uint8_t *der, size_t len, struct span *n, struct span *e)
{
	struct cur c = cur_init(der, len), in;
	const uint8_t *p, *alg;
	size_t l = 0;

	p = der_get(&c, 0x30, &l);
	if (!p || cur_left(&c))
		return false;
	in = cur_init(p, l);
	alg = cur_take(&in, sizeof(rsa_alg_der));
	if (!alg || memcmp(alg, rsa_alg_der, sizeof(rsa_alg_der)))
		return false;
	p = der_get(&in, 0x03, &l);
	if (!p || cur_left(&in) || l < 1 || p[0] != 0)
		return false;
	c = cur_init(p + 1, l - 1);
	p = der_get(&c, 0x30, &l);
	if (!p || cur_left(&c))
		return false;
	in = cur_init(p, l);
	return der_uint(&in, n) && der_uint(&in, e) && !cur_left(&in);
}

static bool is_b64(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=';
}

static bool is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Returns the DER length in der (CKQ_RSA_MAX_BYTES * 2 bytes), or 0. */
static size_t pem_pubkey_der(const uint8_t *pem, size_t len, uint8_t *der, size_t der_cap)
{
	char b64[CKQ_RSA_MAX_BYTES * 3];
	size_t i = sizeof(pem_begin) - 1, n = 0, pad = 0;
	int out;

	if (len < i || memcmp(pem, pem_begin, i))
		return 0;
	for (; i < len && pem[i] != '-'; i++) {
		if (is_space(pem[i]))
			continue;
		if (!is_b64(pem[i]) || n == sizeof(b64) || (pad && pem[i] != '='))
			return 0;
		pad += pem[i] == '=';
		b64[n++] = (char)pem[i];
	}
	if (len - i < sizeof(pem_end) - 1 || memcmp(pem + i, pem_end, sizeof(pem_end) - 1))
		return 0;
	for (i += sizeof(pem_end) - 1; i < len; i++)
		if (!is_space(pem[i]))
			return 0;
	if (n == 0 || n % 4 || pad > 2 || n / 4 * 3 > der_cap)
		return 0;
	out = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	if (out < 0 || (size_t)out < pad)
		return 0;
	return (size_t)out - pad;
}

static EVP_PKEY *rsa_from_ne(const struct span *n, const struct span *e)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *bn_n = BN_bin2bn(n->p, (int)n->n, NULL), *bn_e = BN_bin2bn(e->p, (int)e->n, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (b && bn_n && bn_e && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
	    (params = OSSL_PARAM_BLD_to_param(b)) &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* 1: read, 0: not the form we know (let OpenSSL try), < 0: refused. */
static int pubkey_fast(const void *pem, size_t len, struct ckq_key **out)
{
	uint8_t der[CKQ_RSA_MAX_BYTES * 2];
	struct span n, e;
	size_t der_len = pem_pubkey_der(pem, len, der, sizeof(der));
	EVP_PKEY *pkey;
	int ret;

	if (!der_len || !spki_rsa(der, der_len, &n, &e))
		return 0;
	if (n.n < CKQ_RSA_MIN_BITS / 8 || n.n > CKQ_RSA_MAX_BYTES)
		return CKQ_ERR_KEY;
	pkey = rsa_from_ne(&n, &e);
	if (!pkey)
		return CKQ_ERR_KEY;
	ret = key_finish(pkey, false, der, der_len, out);
	if (ret < 0) {
		EVP_PKEY_free(pkey);
		return ret;
	}
	return 1;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

int key_from_pem(const void *pem, size_t len, bool want_private, struct ckq_key **out)
{
	BIO *bio;
	EVP_PKEY *pkey;
	int ret;

	if (len == 0 || len > 64 * 1024)
		return CKQ_ERR_KEY;
	if (!want_private) {
		ret = pubkey_fast(pem, len, out);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return CKQ_ERR_NOMEM;
	/* ckqd starts unattended: a key that asks for a passphrase is refused. */
	if (want_private)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey)
		return CKQ_ERR_KEY;
	ret = key_finish(pkey, want_private, NULL, 0, out);
	if (ret < 0)
		EVP_PKEY_free(pkey);
	return ret;
}

int pkey_to_pem(EVP_PKEY *pkey, bool private_part, char **out, size_t *out_len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	BUF_MEM *mem = NULL;
	char *s;
	int ok;

	if (!bio)
		return CKQ_ERR_NOMEM;
	ok = private_part ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) :
			    PEM_write_bio_PUBKEY(bio, pkey);
	if (!ok || BIO_get_mem_ptr(bio, &mem) != 1 || !mem) {
		BIO_free(bio);
		return CKQ_ERR_CRYPTO;
	}
	s = malloc(mem->length + 1);
	if (!s) {
		BIO_free(bio);
		return CKQ_ERR_NOMEM;
	}
	memcpy(s, mem->data, mem->length);
	s[mem->length] = '\0';
	*out_len = mem->length;
	*out = s;
	BIO_free(bio);
	return 0;
}

int key_to_pem(const struct ckq_key *k, bool private_part, char **out, size_t *out_len)
{
	if (private_part && !k->has_private)
		return CKQ_ERR_CRYPTO;
	return pkey_to_pem(k->pkey, private_part, out, out_len);
}

void key_free(struct ckq_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	wipe(k, sizeof(*k));
	free(k);
}

int key_pack(const struct ckq_key *k, struct ckq_pub **out)
{
	BIGNUM *n = NULL, *e = NULL;
	struct ckq_pub *p = NULL;
	int n_len, e_len, ret = CKQ_ERR_CRYPTO;

	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		goto out;
	n_len = BN_num_bytes(n);
	e_len = BN_num_bytes(e);
	if (n_len < 1 || n_len > CKQ_RSA_MAX_BYTES || e_len < 1 || e_len > UINT8_MAX) {
		ret = CKQ_ERR_KEY;
		goto out;
	}
	p = malloc(sizeof(*p) + (size_t)n_len + (size_t)e_len);
	if (!p) {
		ret = CKQ_ERR_NOMEM;
		goto out;
	}
	memcpy(p->fp, k->fp, CKQ_FP_LEN);
	p->n_len = (uint16_t)n_len;
	p->e_len = (uint8_t)e_len;
	BN_bn2bin(n, p->ne);
	BN_bn2bin(e, p->ne + n_len);
	*out = p;
	ret = 0;
out:
	BN_free(n);
	BN_free(e);
	return ret;
}

int key_unpack(const struct ckq_pub *p, struct ckq_key **out)
{
	struct span n = { p->ne, p->n_len }, e = { p->ne + p->n_len, p->e_len };
	EVP_PKEY *pkey = rsa_from_ne(&n, &e);
	struct ckq_key *k;

	if (!pkey)
		return CKQ_ERR_KEY;
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return CKQ_ERR_NOMEM;
	}
	k->pkey = pkey;
	k->size = (size_t)EVP_PKEY_get_size(pkey);
	memcpy(k->fp, p->fp, CKQ_FP_LEN);
	*out = k;
	return 0;
}

unsigned int pub_bits(const struct ckq_pub *p)
{
	unsigned int bits = (unsigned int)(p->n_len - 1) * 8;
	uint8_t top = p->ne[0];

	while (top) {
		bits++;
		top >>= 1;
	}
	return bits;
}

unsigned int key_bits(const struct ckq_key *k)
{
	return (unsigned int)EVP_PKEY_get_bits(k->pkey);
}

void key_fp_str(const uint8_t fp[CKQ_FP_LEN], char out[CKQ_FP_STRLEN])
{
	unsigned char b64[48];
	int n = EVP_EncodeBlock(b64, fp, CKQ_FP_LEN);

	/* OpenSSH's form: SHA256: and unpadded base64. */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	memcpy(out, "SHA256:", 7);
	memcpy(out + 7, b64, (size_t)n);
	out[7 + n] = '\0';
}
