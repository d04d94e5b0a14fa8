/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "err.h"

/* Indexed by name, so a code added to err.h cannot shift the others' text. */
static const char *const messages[] = {
	[-CKQ_OK] = "success",
	[-CKQ_ERR_INTERNAL] = "internal error",
	[-CKQ_ERR_NOMEM] = "out of memory",
	[-CKQ_ERR_TRUNCATED] = "message truncated",
	[-CKQ_ERR_FORMAT] = "malformed input",
	[-CKQ_ERR_MAGIC] = "not a ckq message",
	[-CKQ_ERR_VERSION] = "unsupported protocol version",
	[-CKQ_ERR_SUITE] = "unsupported cipher suite",
	[-CKQ_ERR_TYPE] = "unexpected message type",
	[-CKQ_ERR_MAC] = "pre-check MAC mismatch (sender lacks this server's public key)",
	[-CKQ_ERR_DECRYPT] = "decryption failed",
	[-CKQ_ERR_SIGNATURE] = "signature verification failed",
	[-CKQ_ERR_KEY] = "unusable key",
	[-CKQ_ERR_CRYPTO] = "cryptographic library failure",
	[-CKQ_ERR_RANDOM] = "random number generator failure",
	[-CKQ_ERR_REPLAY] = "replayed message",
	[-CKQ_ERR_STALE] = "timestamp outside the freshness window",
	[-CKQ_ERR_OTP] = "wrong or already used one-time code",
	[-CKQ_ERR_NOUSER] = "unknown user",
	[-CKQ_ERR_FULL] = "table full",
	[-CKQ_ERR_NOENT] = "no such entry",
	[-CKQ_ERR_IO] = "I/O error",
	[-CKQ_ERR_PERM] = "unsafe file permissions",
	[-CKQ_ERR_CONFIG] = "configuration error",
	[-CKQ_ERR_RANGE] = "value out of range",
	[-CKQ_ERR_IPSET] = "ipset operation failed",
	[-CKQ_ERR_NONCE] = "nonce mismatch",
};

const char *ckq_strerror(int err)
{
	unsigned int i = err < 0 ? (unsigned int)-err : (unsigned int)err;

	if (i < sizeof(messages) / sizeof(messages[0]) && messages[i])
		return messages[i];
	return "unknown error";
}
