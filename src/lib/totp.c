/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "err.h"
#include "totp.h"

#define SHA1_LEN 20

/*
 * The alphabet is mapped with arithmetic instead of a table, as in
 * wireguard-tools' encoding.c, so that the secret's characters do not pick
 * cache lines. Relies on >> of a negative int being arithmetic, as gcc does.
 */
static char b32_char(unsigned int v)
{
	int x = (int)v;

	return (char)('A' + x + (((25 - x) >> 8) & ('2' - 'A' - 26)));
}

/* 0..31, or negative when c is not in the alphabet. */
static int b32_value(int c)
{
	int r = -1;

	r += ((('A' - 1 - c) & (c - ('Z' + 1))) >> 8) & (c - 'A' + 1);
	r += ((('a' - 1 - c) & (c - ('z' + 1))) >> 8) & (c - 'a' + 1);
	r += ((('2' - 1 - c) & (c - ('7' + 1))) >> 8) & (c - '2' + 27);
	return r;
}

static void b32_encode_raw(const uint8_t *in, size_t len, char *out)
{
	unsigned int acc = 0, bits = 0;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_char((acc >> bits) & 31);
		}
		acc &= (1u << bits) - 1;
	}
	if (bits)
		out[o] = b32_char((acc << (5 - bits)) & 31);
}

int base32_encode(const uint8_t *in, size_t len, char *out, size_t out_size)
{
	size_t n;

	if (len > (SIZE_MAX - 4) / 8 || BASE32_LEN(len) >= (size_t)INT_MAX)
		return CKQ_ERR_RANGE;
	n = BASE32_LEN(len);
	if (n >= out_size)
		return CKQ_ERR_RANGE;
	b32_encode_raw(in, len, out);
	out[n] = '\0';
	return (int)n;
}

int base32_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size)
{
	size_t i, n = 0, pad = 0, o = 0, len;
	unsigned int acc = 0, bits = 0;
	int bad = 0, v;

	for (i = 0; i < in_len; i++) {
		if (in[i] == ' ')
			continue;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad)
			return CKQ_ERR_FORMAT;
		bad |= b32_value((unsigned char)in[i]);
		n++;
	}
	/* 1, 3 or 6 trailing characters cannot end a whole byte. */
	if (bad < 0 || n % 8 == 1 || n % 8 == 3 || n % 8 == 6 ||
	    (pad && (n % 8 == 0 || n % 8 + pad != 8)))
		return CKQ_ERR_FORMAT;
	len = n / 8 * 5 + n % 8 * 5 / 8;
	if (len > out_size || len > (size_t)INT_MAX)
		return CKQ_ERR_RANGE;

	for (i = 0; i < in_len; i++) {
		if (in[i] == ' ' || in[i] == '=')
			continue;
		v = b32_value((unsigned char)in[i]);
		acc = acc << 5 | (unsigned int)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Nonzero leftover bits would let two texts name one secret. */
	if (acc) {
		OPENSSL_cleanse(out, o);
		return CKQ_ERR_FORMAT;
	}
	return (int)o;
}

static int hotp_check(const uint8_t *key, size_t key_len, unsigned int digits)
{
	if (digits < 6 || digits > 8)
		return CKQ_ERR_RANGE;
	if (!key || key_len < TOTP_MIN_KEY_LEN)
		return CKQ_ERR_KEY;
	return 0;
}

static int hotp_raw(const uint8_t *key, size_t key_len, uint64_t counter, uint32_t *bin)
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;
	unsigned int off;
	int i;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, key_len, msg, sizeof(msg),
		       mac, sizeof(mac), &mac_len) || mac_len != SHA1_LEN) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return CKQ_ERR_CRYPTO;
	}
	off = mac[SHA1_LEN - 1] & 0x0f;
	*bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	       (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

static uint32_t pow10_u32(unsigned int digits)
{
	uint32_t p = 1;

	while (digits--)
		p *= 10;
	return p;
}

int hotp(const uint8_t *key, size_t key_len, uint64_t counter, unsigned int digits,
	 uint32_t *code)
{
	uint32_t bin;
	int rc;

	if ((rc = hotp_check(key, key_len, digits)) < 0)
		return rc;
	if ((rc = hotp_raw(key, key_len, counter, &bin)) < 0)
		return rc;
	*code = bin % pow10_u32(digits);
	return 0;
}

int totp_code(const uint8_t *key, size_t key_len, uint64_t unix_time,
	      unsigned int digits, uint32_t *code)
{
	return hotp(key, key_len, unix_time / TOTP_STEP, digits, code);
}

int totp_verify(const uint8_t *key, size_t key_len, uint64_t unix_time, uint32_t code,
		uint64_t last_used_step, uint64_t *matched_step)
{
	uint64_t t = unix_time / TOTP_STEP, step, usable, hit, best = 0, found = 0;
	uint8_t want[4], got[4];
	uint32_t c;
	int i, rc;

	if ((rc = hotp_check(key, key_len, TOTP_DIGITS)) < 0)
		return rc;
	want[0] = (uint8_t)(code >> 24);
	want[1] = (uint8_t)(code >> 16);
	want[2] = (uint8_t)(code >> 8);
	want[3] = (uint8_t)code;
	/*
	 * All three codes are computed and compared whatever matched, and the
	 * latest matching step wins: remembering an earlier one would let the
	 * same code pass again for the later step.
	 */
	for (i = 0; i < 3; i++) {
		step = t + (uint64_t)i - 1;	/* wraps for T = 0, then unusable */
		usable = (uint64_t)(t + (uint64_t)i >= 1) & (uint64_t)(step > last_used_step);
		if ((rc = hotp(key, key_len, step, TOTP_DIGITS, &c)) < 0)
			return rc;
		got[0] = (uint8_t)(c >> 24);
		got[1] = (uint8_t)(c >> 16);
		got[2] = (uint8_t)(c >> 8);
		got[3] = (uint8_t)c;
		hit = (uint64_t)0 - ((uint64_t)(CRYPTO_memcmp(want, got, 4) == 0) & usable);
		best = (best & ~hit) | (step & hit);
		found |= hit;
	}
	OPENSSL_cleanse(got, sizeof(got));
	if (!found)
		return CKQ_ERR_OTP;
	if (matched_step)
		*matched_step = best;
	return 0;
}

static void uri_put_escaped(struct wbuf *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' || c == '-') {
			wbuf_u8(w, c);
		} else {
			wbuf_u8(w, '%');
			wbuf_u8(w, (uint8_t)hex[c >> 4]);
			wbuf_u8(w, (uint8_t)hex[c & 15]);
		}
	}
}

static void uri_put_str(struct wbuf *w, const char *s)
{
	wbuf_put(w, s, strlen(s));
}

int totp_format_uri(char *out, size_t out_size, const char *issuer, const char *account,
		    const uint8_t *key, size_t key_len)
{
	struct wbuf w = wbuf_init(out, out_size);
	uint8_t *secret;

	if (!issuer || !account || !*issuer || !*account)
		return CKQ_ERR_RANGE;
	if (!key || !key_len)
		return CKQ_ERR_KEY;
	if (key_len > (SIZE_MAX - 4) / 8)
		return CKQ_ERR_RANGE;
	uri_put_str(&w, "otpauth://totp/");
	uri_put_escaped(&w, issuer);
	wbuf_u8(&w, ':');
	uri_put_escaped(&w, account);
	uri_put_str(&w, "?secret=");
	if ((secret = wbuf_reserve(&w, BASE32_LEN(key_len))))
		b32_encode_raw(key, key_len, (char *)secret);
	uri_put_str(&w, "&issuer=");
	uri_put_escaped(&w, issuer);
	uri_put_str(&w, "&algorithm=SHA1&digits=6&period=30");
	wbuf_u8(&w, '\0');
	if (w.err || w.len - 1 > (size_t)INT_MAX) {
		OPENSSL_cleanse(out, w.len);
		return CKQ_ERR_RANGE;
	}
	return (int)(w.len - 1);
}
