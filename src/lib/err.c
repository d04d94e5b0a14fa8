/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "err.h"

static const char *const messages[] = {
	[0] = "success",
	[1] = "internal error",
	[2] = "out of memory",
	[3] = "message truncated",
	[4] = "malformed input",
	[5] = "not a ckq message",
	[6] = "unsupported protocol version",
	[7] = "unsupported cipher suite",
	[8] = "unexpected message type",
	[9] = "pre-check MAC mismatch (sender lacks this server's public key)",
	[10] = "decryption failed",
	[11] = "signature verification failed",
	[12] = "unusable key",
	[13] = "cryptographic library failure",
	[14] = "random number generator failure",
	[15] = "replayed message",
	[16] = "timestamp outside the freshness window",
	[17] = "wrong or already used one-time code",
	[18] = "unknown user",
	[19] = "user revoked",
	[20] = "port not allowed for this user",
	[21] = "address in payload differs from packet source",
	[22] = "table full",
	[23] = "no such entry",
	[24] = "I/O error",
	[25] = "unsafe file permissions",
	[26] = "configuration error",
	[27] = "value out of range",
	[28] = "ipset operation failed",
	[29] = "nonce mismatch",
	[30] = "source address not allowed for this user",
	[31] = "account expired",
};

const char *ckq_strerror(int err)
{
	unsigned int i = err < 0 ? (unsigned int)-err : (unsigned int)err;

	if (i < sizeof(messages) / sizeof(messages[0]) && messages[i])
		return messages[i];
	return "unknown error";
}
