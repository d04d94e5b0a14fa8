/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_AGENT_H
#define CKQ_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "sshkey.h"

/*
 * The client side of the ssh-agent protocol (draft-miller-ssh-agent), as
 * doc/protocol.md 11.8 uses it: list the identities, ask for one
 * signature. The private key never leaves the agent.
 */
#define CKQ_AGENT_MSG_MAX (256 * 1024)	/* a longer answer is refused */

enum {
	CKQ_AGENT_FAILURE = 5,
	CKQ_AGENTC_REQUEST_IDENTITIES = 11,
	CKQ_AGENT_IDENTITIES_ANSWER = 12,
	CKQ_AGENTC_SIGN_REQUEST = 13,
	CKQ_AGENT_SIGN_RESPONSE = 14,
};

/* A connected socket (close it), or CKQ_ERR_IO / CKQ_ERR_NOENT. */
int agent_connect(const char *path, int *fd);
/* 0 when the agent holds k, CKQ_ERR_NOENT when not. timeout_ms bounds the wait. */
int agent_has_key(int fd, const struct ckq_sshkey *k, int timeout_ms);
/*
 * k's signature over data, in message 1's form (sshkey_sig_from_ssh).
 * CKQ_ERR_SIGNATURE when the agent refuses (the user said no, or did not
 * touch a security key in time).
 */
int agent_sign(int fd, const struct ckq_sshkey *k, const uint8_t *data, size_t len,
	       int timeout_ms, uint8_t sig[CKQ_SIG2_MAX], size_t *sig_len);

/* The parsers of the answers (the body after the length), for the tests. */
int agent_parse_identities(const uint8_t *msg, size_t len, const struct ckq_sshkey *k);
int agent_parse_sign(const uint8_t *msg, size_t len, const struct ckq_sshkey *k,
		     uint8_t sig[CKQ_SIG2_MAX], size_t *sig_len);

#endif
