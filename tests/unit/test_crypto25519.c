/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Suite 2's building blocks against the published known answers: RFC 7748
 * (X25519), RFC 8032 (Ed25519), RFC 5869 (HKDF-SHA-256) and RFC 8439
 * (ChaCha20-Poly1305), all through the EVP path that ckq uses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "tap.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2, i;

	if (strlen(s) % 2 || n > cap)
		bail_out("bad hex in a test vector");
	for (i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			bail_out("bad hex in a test vector");
		out[i] = (uint8_t)v;
	}
	return n;
}

static bool eq_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[512];
	size_t n = unhex(want, w, sizeof(w));

	return n == len && memcmp(got, w, n) == 0;
}

static int x25519_raw(const uint8_t k[32], const uint8_t u[32], uint8_t out[32])
{
	struct ckq_x25519 *key;
	int ret = x25519_from_raw(k, &key);

	if (ret < 0)
		return ret;
	ret = x25519_derive(key, u, out);
	x25519_free(key);
	return ret;
}

static void test_x25519(void)
{
	static const char *const v52[][3] = {	/* RFC 7748 section 5.2 */
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	/* Points of small order: the shared secret would be all zero. */
	static const char *const low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	uint8_t k[32], u[32], out[32], a[32], b[32], apub[32], bpub[32], s1[32], s2[32];
	struct ckq_x25519 *ka, *kb, *g1, *g2;
	size_t i;
	int r;

	for (i = 0; i < sizeof(v52) / sizeof(v52[0]); i++) {
		unhex(v52[i][0], k, 32);
		unhex(v52[i][1], u, 32);
		r = x25519_raw(k, u, out);
		ok(r == 0 && eq_hex(out, 32, v52[i][2]), "RFC 7748 5.2 vector %zu", i + 1);
	}

	/* RFC 7748 5.2, iterated: k, u = X25519(k, u), k, from k = u = 9. */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (i = 1, r = 0; i <= 1000 && r == 0; i++) {
		r = x25519_raw(k, u, out);
		memcpy(u, k, 32);
		memcpy(k, out, 32);
		if (i == 1)
			ok(r == 0 && eq_hex(k, 32, "422c8e7a6227d7bca1350b3e2bb7279f"
					    "7897b87bb6854b783c60e80311ae3079"),
			   "RFC 7748 5.2 after 1 iteration");
	}
	ok(r == 0 && eq_hex(k, 32, "684cf59ba83309552800ef566f2f4d3c"
			    "1c3887c49360e3875f2eb94d99532c51"),
	   "RFC 7748 5.2 after 1,000 iterations");

	/* RFC 7748 6.1: both public keys and both sides of the exchange. */
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	if (x25519_from_raw(a, &ka) || x25519_from_raw(b, &kb))
		bail_out("x25519_from_raw");
	ok(eq_hex(ka->pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
	   "RFC 7748 6.1 Alice's public key");
	ok(eq_hex(kb->pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
	   "RFC 7748 6.1 Bob's public key");
	memcpy(apub, ka->pub, 32);
	memcpy(bpub, kb->pub, 32);
	ok(x25519_derive(ka, bpub, s1) == 0 &&
	   eq_hex(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
	   "RFC 7748 6.1 shared secret, Alice's side");
	ok(x25519_derive(kb, apub, s2) == 0 && memcmp(s1, s2, 32) == 0,
	   "RFC 7748 6.1 shared secret, Bob's side");
	ok(x25519_raw_private(ka, out) == 0 && memcmp(out, a, 32) == 0,
	   "the private key reads back");

	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		unhex(low[i], u, 32);
		memset(out, 0xa5, 32);
		r = x25519_derive(ka, u, out);
		is_int(r, CKQ_ERR_KEY, "a peer key of small order is refused (%zu)", i);
		memset(k, 0, 32);
		ok(memcmp(out, k, 32) == 0, "and nothing of the result is left (%zu)", i);
	}
	x25519_free(ka);
	x25519_free(kb);

	if (x25519_generate(&g1) || x25519_generate(&g2))
		bail_out("x25519_generate");
	ok(memcmp(g1->pub, g2->pub, 32) != 0, "two generated keys differ");
	ok(x25519_derive(g1, g2->pub, s1) == 0 && x25519_derive(g2, g1->pub, s2) == 0 &&
	   memcmp(s1, s2, 32) == 0, "generated keys agree");
	x25519_free(g1);
	x25519_free(g2);
}

static void test_ed25519(void)
{
	static const char *const v[][4] = {	/* RFC 8032 7.1: seed, public, message, signature */
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
		  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
		  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
		{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
		  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
		  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	};
	uint8_t seed[32], pub[32], msg[8], sig[64], bad[64], want[64];
	size_t i, mlen, bit;
	int flips_refused;

	for (i = 0; i < 3; i++) {
		unhex(v[i][0], seed, 32);
		mlen = unhex(v[i][2], msg, sizeof(msg));
		unhex(v[i][3], want, 64);
		ok(ed25519_public(seed, pub) == 0 && eq_hex(pub, 32, v[i][1]),
		   "RFC 8032 test %zu: public key", i + 1);
		ok(ed25519_sign(seed, msg, mlen, sig) == 0 && memcmp(sig, want, 64) == 0,
		   "RFC 8032 test %zu: signature", i + 1);
		is_int(ed25519_verify(pub, msg, mlen, want), 0, "RFC 8032 test %zu: verifies", i + 1);

		flips_refused = 0;
		for (bit = 0; bit < 64 * 8; bit++) {
			memcpy(bad, want, 64);
			bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips_refused += ed25519_verify(pub, msg, mlen, bad) == CKQ_ERR_SIGNATURE;
		}
		is_int(flips_refused, 64 * 8, "RFC 8032 test %zu: every single-bit flip of "
		       "the signature is refused", i + 1);
	}
	/* Test 2's signature over test 3's message, and with test 3's key. */
	unhex(v[1][3], want, 64);
	unhex(v[1][1], pub, 32);
	is_int(ed25519_verify(pub, (const uint8_t *)"\xaf\x82", 2, want), CKQ_ERR_SIGNATURE,
	       "a signature over another message is refused");
	unhex(v[2][1], pub, 32);
	is_int(ed25519_verify(pub, (const uint8_t *)"\x72", 1, want), CKQ_ERR_SIGNATURE,
	       "a signature with another key is refused");

	/* S + L (the group order) is the same signature made malleable: refused. */
	{
		static const uint8_t l[32] = {
			0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
			0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		};
		unsigned int carry = 0;

		unhex(v[0][3], want, 64);
		unhex(v[0][1], pub, 32);
		memcpy(bad, want, 64);
		for (i = 0; i < 32; i++) {
			carry += bad[32 + i] + l[i];
			bad[32 + i] = (uint8_t)carry;
			carry >>= 8;
		}
		is_int(ed25519_verify(pub, NULL, 0, bad), CKQ_ERR_SIGNATURE,
		       "a non-canonical S (S + L) is refused");
	}

	ok(ed25519_generate(seed, pub) == 0 && ed25519_sign(seed, msg, 2, sig) == 0 &&
	   ed25519_verify(pub, msg, 2, sig) == 0, "a generated key signs and verifies");
}

static void test_hkdf(void)
{
	uint8_t ikm[22], salt[13], info[10], prk[32], okm[42];
	struct span in = { info, sizeof(info) };
	struct span parts[] = { { info, 3 }, { info + 3, 0 }, { info + 3, 7 } };

	/* RFC 5869 A.1 */
	memset(ikm, 0x0b, sizeof(ikm));
	unhex("000102030405060708090a0b0c", salt, sizeof(salt));
	unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	ok(hkdf_extract(salt, sizeof(salt), ikm, sizeof(ikm), prk) == 0 &&
	   eq_hex(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"),
	   "RFC 5869 A.1 PRK");
	ok(hkdf_expand(prk, &in, 1, okm, sizeof(okm)) == 0 &&
	   eq_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865"), "RFC 5869 A.1 OKM");
	memset(okm, 0, sizeof(okm));
	ok(hkdf_expand(prk, parts, 3, okm, sizeof(okm)) == 0 &&
	   eq_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865"), "RFC 5869 A.1 OKM, info given in parts");

	/* RFC 5869 A.3: no salt, no info. */
	ok(hkdf_extract(NULL, 0, ikm, sizeof(ikm), prk) == 0 &&
	   eq_hex(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"),
	   "RFC 5869 A.3 PRK");
	ok(hkdf_expand(prk, NULL, 0, okm, sizeof(okm)) == 0 &&
	   eq_hex(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		  "9d201395faa4b61a96c8"), "RFC 5869 A.3 OKM");

	is_int(hkdf_expand(prk, NULL, 0, okm, 0), CKQ_ERR_RANGE, "an empty output is refused");
	{
		static uint8_t big[CKQ_HKDF_MAX + 1];

		is_int(hkdf_expand(prk, NULL, 0, big, sizeof(big)), CKQ_ERR_RANGE,
		       "more than 255 blocks is refused");
		is_int(hkdf_expand(prk, NULL, 0, big, CKQ_HKDF_MAX), 0,
		       "exactly 255 blocks is allowed");
	}
}

static void test_aead(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				 "only one tip for the future, sunscreen would be it.";
	const size_t n = sizeof(pt) - 1;
	uint8_t key[32], iv[12], aad[12], ct[sizeof(pt) - 1 + 16], out[sizeof(pt) - 1 + 16];
	struct span a = { aad, sizeof(aad) };
	struct span a2[] = { { aad, 5 }, { aad + 5, 7 } };
	size_t bit, cut;
	int refused;

	/* RFC 8439 2.8.2 */
	unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", key, 32);
	unhex("070000004041424344454647", iv, 12);
	unhex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	ok(aead2_seal_iv(key, iv, &a, 1, (const uint8_t *)pt, n, ct) == 0 &&
	   eq_hex(ct, n, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		  "3ff4def08e4b7a9de576d26586cec64b6116") &&
	   eq_hex(ct + n, 16, "1ae10b594f09e26a7e902ecbd0600691"),
	   "RFC 8439 2.8.2 ciphertext and tag");
	ok(aead2_open_iv(key, iv, a2, 2, ct, sizeof(ct), out) == 0 && memcmp(out, pt, n) == 0,
	   "RFC 8439 2.8.2 opens (associated data in parts)");

	refused = 0;
	for (bit = 0; bit < sizeof(ct) * 8; bit++) {
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(out, 0x5a, n);
		if (aead2_open_iv(key, iv, &a, 1, ct, sizeof(ct), out) == CKQ_ERR_DECRYPT &&
		    out[0] == 0 && out[n - 1] == 0)
			refused++;
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	is_int(refused, sizeof(ct) * 8, "every single-bit flip is refused, and the output wiped");
	refused = 0;
	for (cut = 0; cut < sizeof(ct); cut++)
		refused += aead2_open_iv(key, iv, &a, 1, ct, cut, out) < 0;
	is_int(refused, sizeof(ct), "every truncation is refused");
	aad[11] ^= 1;
	is_int(aead2_open_iv(key, iv, &a, 1, ct, sizeof(ct), out), CKQ_ERR_DECRYPT,
	       "other associated data is refused");
	aad[11] ^= 1;

	/* The protocol's nonces: 4 zero bytes and a big-endian counter. */
	unhex("000000000000000000000007", iv, 12);
	ok(aead2_seal(key, 7, &a, 1, (const uint8_t *)pt, n, ct) == 0 &&
	   aead2_seal_iv(key, iv, &a, 1, (const uint8_t *)pt, n, out) == 0 &&
	   memcmp(ct, out, sizeof(ct)) == 0, "counter 7 is the IV 0...07");
	ok(aead2_open(key, 7, &a, 1, ct, sizeof(ct), out) == 0 && memcmp(out, pt, n) == 0,
	   "and opens under counter 7");
	is_int(aead2_open(key, 8, &a, 1, ct, sizeof(ct), out), CKQ_ERR_DECRYPT,
	       "and not under counter 8");
	ok(aead2_seal(key, 1, NULL, 0, NULL, 0, out) == 0 &&
	   aead2_open(key, 1, NULL, 0, out, 16, ct) == 0, "an empty message seals to a tag");
}

static char *slurp(const char *name, size_t *len)
{
	const char *src = getenv("CKQ_SRCDIR");
	char path[4096];
	char *buf = malloc(8192);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", name);
	f = fopen(path, "r");
	if (!f || !buf)
		bail_out(path);
	*len = fread(buf, 1, 8191, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Key files made by the openssl command (tests/data/keys25519/README). */
static void test_pem(void)
{
	static const char x_pub[] = "ac0eb682e3ecb43a45274164737395c7b2314bf56ed2722bf477afdf67d07d57";
	static const char ed_pub[] = "7542d1927591460fe5604ed8d0c933aad34bdc96510855d5534770d7bea18f71";
	size_t n, m, out_len = 0;
	char *pem = slurp("keys25519/server_x25519.key", &n), *pub, *out = NULL, buf[8192];
	struct ckq_x25519 *k = NULL, *k2 = NULL;
	uint8_t raw[32], seed[32], pk[32];

	ok(x25519_from_pem(pem, n, &k) == 0 && eq_hex(k->pub, 32, x_pub),
	   "an X25519 private key from openssl genpkey, and its public key");
	ok(x25519_to_pem(k, true, &out, &out_len) == 0 && out_len == n && !memcmp(out, pem, n),
	   "written back, it is the same PEM");
	ok(x25519_from_pem(out, out_len, &k2) == 0 && !memcmp(k2->pub, k->pub, 32),
	   "and reads back");
	wipe(out, out_len);
	free(out);
	pub = slurp("keys25519/server_x25519.pub", &m);
	ok(x25519_pub_from_pem(pub, m, raw) == 0 && eq_hex(raw, 32, x_pub),
	   "the public key file from openssl pkey -pubout");
	ok(x25519_to_pem(k, false, &out, &out_len) == 0 && out_len == m && !memcmp(out, pub, m),
	   "the public key written is openssl's");
	free(out);
	is_int(x25519_from_pem(pub, m, &k2 /* unchanged on failure */), CKQ_ERR_KEY,
	       "a public key is no private key");
	snprintf(buf, sizeof(buf), "%s%s", pem, pem);
	is_int(x25519_from_pem(buf, strlen(buf), &k2), CKQ_ERR_KEY, "two keys in one file are refused");
	snprintf(buf, sizeof(buf), "junk\n%s", pem);
	is_int(x25519_from_pem(buf, strlen(buf), &k2), CKQ_ERR_KEY, "bytes before the key are refused");
	is_int(x25519_from_pem(pem, n - 10, &k2), CKQ_ERR_KEY, "a truncated key is refused");
	x25519_free(k);
	x25519_free(k2);
	free(pub);
	free(pem);

	pem = slurp("keys25519/user_ed25519.key", &n);
	ok(ed25519_seed_from_pem(pem, n, seed) == 0 && ed25519_public(seed, pk) == 0 &&
	   eq_hex(pk, 32, ed_pub), "an Ed25519 private key from openssl genpkey, and its public key");
	ok(ed25519_seed_to_pem(seed, &out, &out_len) == 0 && out_len == n && !memcmp(out, pem, n),
	   "written back, it is the same PEM");
	wipe(out, out_len);
	free(out);
	is_int(x25519_from_pem(pem, n, &k2), CKQ_ERR_KEY, "an Ed25519 key is no X25519 key");
	free(pem);
	pem = slurp("keys25519/server_x25519.key", &n);
	is_int(ed25519_seed_from_pem(pem, n, seed), CKQ_ERR_KEY, "nor the reverse");
	free(pem);
	pem = slurp("keys25519/user_ed25519_encrypted.key", &n);
	is_int(ed25519_seed_from_pem(pem, n, seed), CKQ_ERR_KEY,
	       "an encrypted key is refused, without asking for a passphrase");
	free(pem);
	pem = slurp("alice.key", &n);
	is_int(ed25519_seed_from_pem(pem, n, seed), CKQ_ERR_KEY, "an RSA key is refused");
	free(pem);
}

/* What ckqd's stats file and the benchmarks count. */
static void test_counts(void)
{
	uint8_t seed[32], pub[32], sig[64], shared[32];
	struct ckq_x25519 *a, *b;
	struct crypto_stats s0;

	if (x25519_generate(&a) || x25519_generate(&b) || ed25519_generate(seed, pub))
		bail_out("keys");
	s0 = crypto_stats_now();
	if (x25519_derive(a, b->pub, shared))
		bail_out("derive");
	is_int(crypto_stats_now().priv_ops - s0.priv_ops, 1, "X25519 counts one private op");
	is_int(crypto_stats_now().pub_ops - s0.pub_ops, 0, "and no public op");
	s0 = crypto_stats_now();
	if (ed25519_sign(seed, pub, 32, sig) || ed25519_verify(pub, pub, 32, sig))
		bail_out("sign");
	is_int(crypto_stats_now().priv_ops - s0.priv_ops, 1, "an Ed25519 signature counts one private op");
	is_int(crypto_stats_now().pub_ops - s0.pub_ops, 1, "a verification one public op");
	x25519_free(a);
	x25519_free(b);
}

int main(void)
{
	test_x25519();
	test_ed25519();
	test_hkdf();
	test_aead();
	test_counts();
	test_pem();
	return done_testing();
}
