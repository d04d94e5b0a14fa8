/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "tap.h"
#include "totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

static void test_base32_vectors(void)
{
	/* RFC 4648 section 10. */
	static const struct { const char *plain, *padded, *bare; } v[] = {
		{ "", "", "" },
		{ "f", "MY======", "MY" },
		{ "fo", "MZXQ====", "MZXQ" },
		{ "foo", "MZXW6===", "MZXW6" },
		{ "foob", "MZXW6YQ=", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI======", "MZXW6YTBOI" },
	};
	char text[32];
	uint8_t bin[16];
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].plain);
		rc = base32_encode((const uint8_t *)v[i].plain, n, text, sizeof(text));
		is_int(rc, strlen(v[i].bare), "encode \"%s\" length", v[i].plain);
		ok(rc >= 0 && !strcmp(text, v[i].bare), "encode \"%s\" = %s", v[i].plain, v[i].bare);

		memset(bin, 0xaa, sizeof(bin));
		rc = base32_decode(v[i].padded, strlen(v[i].padded), bin, sizeof(bin));
		is_int(rc, n, "decode %s length", v[i].padded);
		ok(rc >= 0 && !memcmp(bin, v[i].plain, n), "decode %s", v[i].padded);

		memset(bin, 0xaa, sizeof(bin));
		rc = base32_decode(v[i].bare, strlen(v[i].bare), bin, sizeof(bin));
		is_int(rc, n, "decode unpadded %s length", v[i].bare);
		ok(rc >= 0 && !memcmp(bin, v[i].plain, n), "decode unpadded %s", v[i].bare);
	}
}

static void test_base32_lenient(void)
{
	uint8_t bin[16];
	int rc;

	rc = base32_decode("mzxw6ytboi", 10, bin, sizeof(bin));
	ok(rc == 6 && !memcmp(bin, "foobar", 6), "decode accepts lowercase");
	rc = base32_decode("MzXw 6yTb oI", 12, bin, sizeof(bin));
	ok(rc == 6 && !memcmp(bin, "foobar", 6), "decode ignores spaces, mixed case");
	rc = base32_decode("MZXW6=== ", 9, bin, sizeof(bin));
	ok(rc == 3 && !memcmp(bin, "foo", 3), "decode allows a space after padding");
	/* in_len, not a NUL, ends the input. */
	rc = base32_decode("MZXW6YTBOIxxxx", 10, bin, sizeof(bin));
	ok(rc == 6 && !memcmp(bin, "foobar", 6), "decode stops at in_len");
}

static void test_base32_reject(void)
{
	static const struct { const char *s; size_t len; const char *why; } bad[] = {
		{ "MZXW6YT!", 8, "punctuation" },
		{ "MZXW6YT1", 8, "digit 1" },
		{ "MZXW6YT0", 8, "digit 0" },
		{ "MZXW6YT8", 8, "digit 8" },
		{ "MZXW6YT\tB", 9, "tab" },
		{ "MZXW6YT\n", 8, "newline" },
		{ "MZX\0W6YTB", 9, "embedded NUL" },
		{ "MZXW6YT\xc3\x89", 9, "non-ASCII" },
		{ "M", 1, "1 character" },
		{ "MZX", 3, "3 characters" },
		{ "MZXW6Y", 6, "6 characters" },
		{ "MZXW6YTBO", 9, "9 characters" },
		{ "MZXW6==", 7, "padding too short" },
		{ "MZXW6====", 9, "padding too long" },
		{ "MZXW6YTB========", 16, "padding after a full block" },
		{ "========", 8, "padding only" },
		{ "MZ=XW6", 6, "data after padding" },
		{ "MY==\x3d=a==", 8, "letter inside padding" },
		{ "MZ", 2, "nonzero trailing bits" },
		{ "MZXW7", 5, "nonzero trailing bits, 5 characters" },
	};
	uint8_t bin[16];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(base32_decode(bad[i].s, bad[i].len, bin, sizeof(bin)), CKQ_ERR_FORMAT,
		       "decode refuses %s", bad[i].why);

	is_int(base32_decode("MZXW6YTBOI", 10, bin, 5), CKQ_ERR_RANGE, "decode: output too small");
	is_int(base32_decode("MZXW6YTBOI", 10, bin, 6), 6, "decode: output exactly large enough");
	is_int(base32_encode((const uint8_t *)"foobar", 6, (char *)bin, 10), CKQ_ERR_RANGE,
	       "encode: no room for the NUL");
	is_int(base32_encode((const uint8_t *)"foobar", 6, (char *)bin, 11), 10,
	       "encode: exactly large enough");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* splitmix64: reproducible, so a failure can be replayed. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void test_base32_roundtrip(void)
{
	uint8_t in[64], back[64];
	char text[BASE32_LEN(64) + 1];
	size_t len, i;
	int good = 1, rc;

	for (len = 0; len <= sizeof(in); len++) {
		for (i = 0; i < len; i++)
			in[i] = (uint8_t)rng();
		rc = base32_encode(in, len, text, sizeof(text));
		if (rc != (int)BASE32_LEN(len))
			good = 0;
		rc = base32_decode(text, strlen(text), back, sizeof(back));
		if (rc != (int)len || memcmp(in, back, len))
			good = 0;
	}
	ok(good, "random bytes of length 0..64 survive encode and decode");
}

static void test_hotp_vectors(void)
{
	/* RFC 4226 Appendix D. */
	static const uint32_t want[10] = {
		755224, 287082, 359152, 969429, 338314,
		254676, 287922, 162583, 399871, 520489,
	};
	uint32_t code;
	uint64_t c;
	int rc;

	for (c = 0; c < 10; c++) {
		code = 0;
		rc = hotp(rfc_key, RFC_KEY_LEN, c, 6, &code);
		ok(rc == 0 && code == want[c], "HOTP counter %d = %06u", (int)c, want[c]);
	}
	is_int(hotp(rfc_key, RFC_KEY_LEN, 0, 5, &code), CKQ_ERR_RANGE, "HOTP refuses 5 digits");
	is_int(hotp(rfc_key, RFC_KEY_LEN, 0, 9, &code), CKQ_ERR_RANGE, "HOTP refuses 9 digits");
	is_int(hotp(rfc_key, TOTP_MIN_KEY_LEN - 1, 0, 6, &code), CKQ_ERR_KEY,
	       "HOTP refuses a key under 128 bits");
}

static void test_totp_vectors(void)
{
	/* RFC 6238 Appendix B, SHA-1 column. */
	static const struct { uint64_t t; uint32_t code; } v[] = {
		{ 59, 94287082 },
		{ 1111111109, 7081804 },
		{ 1111111111, 14050471 },
		{ 1234567890, 89005924 },
		{ 2000000000, 69279037 },
		{ 20000000000ull, 65353130 },
	};
	uint32_t code;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		code = 0;
		rc = totp_code(rfc_key, RFC_KEY_LEN, v[i].t, 8, &code);
		ok(rc == 0 && code == v[i].code, "TOTP at %llu = %08u",
		   (unsigned long long)v[i].t, v[i].code);
	}
	/* Cross-checked by hand: oathtool --totp -b GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ */
	rc = totp_code(rfc_key, RFC_KEY_LEN, 1111111111, 6, &code);
	ok(rc == 0 && code == 50471, "TOTP with 6 digits keeps the low digits");
}

static void test_totp_verify(void)
{
	const uint64_t now = 1111111111, t = now / TOTP_STEP;
	uint32_t code[5];
	uint64_t m;
	int k, i;

	for (k = -2; k <= 2; k++)
		if (hotp(rfc_key, RFC_KEY_LEN, t + (uint64_t)k, 6, &code[k + 2]) < 0)
			bail_out("hotp failed");
	/* The test means nothing if a neighbour happens to share a code. */
	for (k = 0; k < 5; k++)
		for (i = k + 1; i < 5; i++)
			if (code[k] == code[i])
				bail_out("colliding codes in the window test");

	for (k = -1; k <= 1; k++) {
		m = 0;
		is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[k + 2], 0, &m), 0,
		       "verify accepts step T%+d", k);
		ok(m == t + (uint64_t)k, "verify reports step T%+d", k);
	}
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[0], 0, &m), CKQ_ERR_OTP,
	       "verify refuses step T-2");
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[4], 0, &m), CKQ_ERR_OTP,
	       "verify refuses step T+2");
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, (code[2] + 1) % 1000000, 0, &m),
	       CKQ_ERR_OTP, "verify refuses a wrong code");
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[2] + 1000000, 0, &m),
	       CKQ_ERR_OTP, "verify refuses a 7-digit code");

	/* Once a step is used, it and everything before it are refused. */
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[2], t, &m), CKQ_ERR_OTP,
	       "verify refuses the code of the step last used");
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[1], t, &m), CKQ_ERR_OTP,
	       "verify refuses a step before the one last used");
	m = 0;
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[3], t, &m), 0,
	       "verify accepts a step after the one last used");
	ok(m == t + 1, "... and reports it");
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now, code[3], t + 1, &m), CKQ_ERR_OTP,
	       "verify refuses that code a second time");
	m = 0;
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, now + TOTP_STEP, code[3], t, &m), 0,
	       "the T+1 code still passes a step later if unused");
	ok(m == t + 1, "... as step T+1");

	/* At T = 0 the step before must not wrap to 2^64 - 1. */
	if (hotp(rfc_key, RFC_KEY_LEN, UINT64_MAX, 6, &code[0]) < 0)
		bail_out("hotp failed");
	is_int(totp_verify(rfc_key, RFC_KEY_LEN, 5, code[0], 0, &m), CKQ_ERR_OTP,
	       "verify at T = 0 does not wrap to the last counter");
	is_int(totp_verify(rfc_key, 10, now, code[2], 0, &m), CKQ_ERR_KEY,
	       "verify refuses a short key");
}

static void test_uri(void)
{
	static const char want[] =
		"otpauth://totp/ckq%20test:alice%40example.org%3A%2F%C3%A9-._~"
		"?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ckq%20test"
		"&algorithm=SHA1&digits=6&period=30";
	const char *account = "alice@example.org:/\xc3\xa9-._~";
	char out[sizeof(want)];
	int rc;

	rc = totp_format_uri(out, sizeof(out), "ckq test", account, rfc_key, RFC_KEY_LEN);
	is_int(rc, sizeof(want) - 1, "URI length");
	ok(rc >= 0 && !strcmp(out, want), "URI text: %s", out);
	is_int(totp_format_uri(out, sizeof(out) - 1, "ckq test", account, rfc_key, RFC_KEY_LEN),
	       CKQ_ERR_RANGE, "URI: no room for the NUL");
	is_int(totp_format_uri(out, 20, "ckq test", account, rfc_key, RFC_KEY_LEN),
	       CKQ_ERR_RANGE, "URI: short buffer");
	is_int(totp_format_uri(out, sizeof(out), "", account, rfc_key, RFC_KEY_LEN),
	       CKQ_ERR_RANGE, "URI: empty issuer refused");
}

int main(void)
{
	test_base32_vectors();
	test_base32_lenient();
	test_base32_reject();
	test_base32_roundtrip();
	test_hotp_vectors();
	test_totp_vectors();
	test_totp_verify();
	test_uri();
	return done_testing();
}
