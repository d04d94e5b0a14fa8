/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_TOTP_H
#define CKQ_TOTP_H

#include <stddef.h>
#include <stdint.h>

/* Google Authenticator's choices: 160-bit secret, SHA-1, 6 digits, 30 s. */
#define TOTP_SECRET_LEN 20
#define TOTP_MIN_KEY_LEN 16	/* RFC 4226 R6: at least 128 bits */
#define TOTP_STEP 30
#define TOTP_DIGITS 6

/* Base32 text needed for len bytes, without padding and without the NUL. */
#define BASE32_LEN(len) (((len) * 8 + 4) / 5)

/* RFC 4648 base32, no '=' padding; returns the characters written. */
int base32_encode(const uint8_t *in, size_t len, char *out, size_t out_size);
/*
 * Accepts either case, ignores spaces, takes '=' padding or none; refuses
 * any other character, impossible lengths and nonzero trailing bits.
 * Returns the bytes written. Constant time in the secret's value.
 */
int base32_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size);

/* RFC 4226 with HMAC-SHA1; digits 6..8. */
int hotp(const uint8_t *key, size_t key_len, uint64_t counter, unsigned int digits,
	 uint32_t *code);
/* RFC 6238: T0 = 0, step TOTP_STEP. */
int totp_code(const uint8_t *key, size_t key_len, uint64_t unix_time,
	      unsigned int digits, uint32_t *code);
/*
 * Accepts a TOTP_DIGITS code for step T-1, T or T+1 (T = unix_time /
 * TOTP_STEP), but only a step strictly after last_used_step (0: none used).
 * Returns 0 and the step to remember as used in *matched_step, the latest
 * one should the code match several, or CKQ_ERR_OTP.
 */
int totp_verify(const uint8_t *key, size_t key_len, uint64_t unix_time, uint32_t code,
		uint64_t last_used_step, uint64_t *matched_step);

/*
 * otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&
 * digits=6&period=30 with issuer and account percent-encoded. Returns the
 * length without the NUL. out holds the secret: the caller wipes it.
 */
int totp_format_uri(char *out, size_t out_size, const char *issuer, const char *account,
		    const uint8_t *key, size_t key_len);

#endif
