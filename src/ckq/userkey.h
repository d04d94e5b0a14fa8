/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's key on the client: its suite, the key file or ssh-agent. */
#ifndef CKQ_USERKEY_H
#define CKQ_USERKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sshkey.h"

struct knock;

/* The ssh-ed25519 key of a raw Ed25519 public key. */
int sshkey_from_ed25519(const uint8_t pub[CKQ_ED25519_LEN], struct ckq_sshkey *k);

/*
 * What DIR/keys/USER.pub holds. 0 with *is_ssh when it is an OpenSSH key
 * line (or a PEM Ed25519 key): then k is filled; 0 without it for an RSA
 * PEM key; CKQ_ERR_NOENT when there is no such file; CKQ_ERR_KEY for
 * anything else. why says what was wrong.
 */
int user_pub_read(const char *dir, const char *user, struct ckq_sshkey *k, bool *is_ssh,
		  char *why, size_t why_len);

/*
 * knock.c: loads the user's key, which decides k->suite: RSA for suite 1;
 * for suite 2 the Ed25519 key file, or k->agent. Says what is wrong;
 * returns an exit code.
 */
int user_key_load(struct knock *k, bool force_agent);
/*
 * Whether ssh-agent holds the key, so that nothing is sent when the knock
 * could not be signed. An exit code, said on stderr.
 */
int user_agent_check(struct knock *k);

/* M₁'s signature, in message 1's form; an exit code, said on stderr. */
int user_key_sign(struct knock *k, const uint8_t *tbs, size_t len,
		  uint8_t sig[CKQ_SIG2_MAX], size_t *sig_len);

#endif
