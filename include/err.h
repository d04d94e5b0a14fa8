/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_ERR_H
#define CKQ_ERR_H

/*
 * Library code returns 0 (or a non-negative count) on success and one of
 * these negative codes on failure; only the programs' main() turn them into
 * messages and exit codes.
 *
 * Constructors, in the library and in ckqd alike, follow one of two
 * conventions, by what can make them fail:
 * - only the system (memory, a socket): a pointer, or NULL with errno set,
 *   like malloc() and socket(): replay_new, srclimit_new, grant_open,
 *   nfqueue_open;
 * - anything else (a file, bytes to parse, the crypto library): 0 or a
 *   CKQ_ERR_* code, the object through an out pointer, so that the caller
 *   can tell a malformed input from a missing one: conf_load, userdb_load,
 *   server_key_load, key_from_pem, key_generate.
 *
 * Refusals of a knock (revoked, expired, wrong port, address or source)
 * are not errors: they are enum ckq_refusal in stats.h.
 * The values are fixed: a removed code leaves a hole rather than
 * renumbering the others.
 */
enum {
	CKQ_OK = 0,
	CKQ_ERR_INTERNAL = -1,      /* a bug or an impossible state */
	CKQ_ERR_NOMEM = -2,
	CKQ_ERR_TRUNCATED = -3,     /* input shorter than its layout says */
	CKQ_ERR_FORMAT = -4,        /* bytes that do not follow the layout */
	CKQ_ERR_MAGIC = -5,         /* not a ckq message at all */
	CKQ_ERR_VERSION = -6,
	CKQ_ERR_SUITE = -7,
	CKQ_ERR_TYPE = -8,
	CKQ_ERR_MAC = -9,           /* pre-check MAC (mac1) wrong */
	CKQ_ERR_DECRYPT = -10,      /* RSA-OAEP or AEAD refused the input */
	CKQ_ERR_SIGNATURE = -11,
	CKQ_ERR_KEY = -12,          /* unusable key: wrong type, too small, bad PEM */
	CKQ_ERR_CRYPTO = -13,       /* OpenSSL failed for another reason */
	CKQ_ERR_RANDOM = -14,       /* the OS CSPRNG failed */
	CKQ_ERR_REPLAY = -15,
	CKQ_ERR_STALE = -16,        /* timestamp outside the freshness window */
	CKQ_ERR_OTP = -17,          /* wrong or already used TOTP code */
	CKQ_ERR_NOUSER = -18,
	CKQ_ERR_FULL = -22,         /* a bounded table is full */
	CKQ_ERR_NOENT = -23,        /* no such entry, file or set */
	CKQ_ERR_IO = -24,           /* see errno */
	CKQ_ERR_PERM = -25,         /* file permissions too open, or a symlink */
	CKQ_ERR_CONFIG = -26,
	CKQ_ERR_RANGE = -27,        /* a value outside its allowed range */
	CKQ_ERR_IPSET = -28,
	CKQ_ERR_NONCE = -29         /* nonce mismatch */
};

const char *ckq_strerror(int err);

#endif
