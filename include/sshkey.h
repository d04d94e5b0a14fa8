/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_SSHKEY_H
#define CKQ_SSHKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "crypto25519.h"

/*
 * A suite 2 user's public key (doc/protocol.md 11.1), read from what users
 * already have: an OpenSSH public key line (ssh-ed25519 or
 * sk-ssh-ed25519@openssh.com, as in id_ed25519.pub or authorized_keys), or
 * a PEM Ed25519 SubjectPublicKeyInfo. Its fingerprint is OpenSSH's, so
 * the admin can compare it with `ssh-keygen -lf`.
 */
enum ckq_sshkey_type {
	CKQ_SSHKEY_ED25519 = 1,		/* ssh-ed25519 (and PEM Ed25519 keys) */
	CKQ_SSHKEY_SK_ED25519 = 2,	/* sk-ssh-ed25519@openssh.com: a FIDO key */
};

#define CKQ_SK_APP_MAX 255		/* a FIDO application (relying party) string */
#define CKQ_SSHKEY_LINE_MAX 8192	/* an authorized_keys line, options included */
/* string type, string key, string application */
#define CKQ_SSHKEY_BLOB_MAX (4 + 26 + 4 + CKQ_ED25519_LEN + 4 + CKQ_SK_APP_MAX)

struct ckq_sshkey {
	uint8_t type;			/* enum ckq_sshkey_type */
	uint8_t pub[CKQ_ED25519_LEN];
	uint8_t app_len;		/* sk keys only; 0 otherwise */
	char app[CKQ_SK_APP_MAX + 1];	/* NUL-terminated */
	uint8_t fp[CKQ_FP_LEN];		/* SHA-256 of the OpenSSH key blob */
};

/* The OpenSSH key type name of a key ("ssh-ed25519", ...). */
const char *sshkey_type_name(const struct ckq_sshkey *k);

/*
 * The OpenSSH wire form of a key (doc/protocol.md 11.1), which the
 * fingerprint hashes and the agent names keys by.
 */
int sshkey_blob(const struct ckq_sshkey *k, uint8_t *out, size_t cap, size_t *out_len);
int sshkey_from_blob(const uint8_t *blob, size_t len, struct ckq_sshkey *k);

/*
 * One authorized_keys-style line: [options] type base64 [comment]. The
 * blob's own type must be the line's. comment (may be NULL) receives the
 * comment's bytes inside line, without surrounding blanks.
 */
int sshkey_from_line(const char *line, size_t len, struct ckq_sshkey *k, struct span *comment);
/*
 * The key as an OpenSSH line, "type base64 comment\n" (no comment when
 * comment is NULL or empty), NUL-terminated in out: what ssh-keygen writes
 * in a .pub file. The comment must be printable, without line breaks.
 */
int sshkey_to_line(const struct ckq_sshkey *k, const char *comment, char *out, size_t cap);
/* A PEM "PUBLIC KEY" holding an Ed25519 key. */
int sshkey_from_pem(const char *pem, size_t len, struct ckq_sshkey *k);
/*
 * What `ckq-admin add-user --key FILE` reads: a PEM Ed25519 key, or one
 * OpenSSH key line (blank lines and # comments around it are allowed).
 */
int sshkey_load(const char *text, size_t len, struct ckq_sshkey *k);

/*
 * Signatures in the form message 1 carries them (doc/protocol.md 11.3):
 * ssh-ed25519: the Ed25519 signature (64 bytes); sk-ssh-ed25519: the
 * Ed25519 signature, the flags byte and the big-endian counter (69 bytes),
 * the authenticator having signed SHA-256(application) || flags ||
 * counter || SHA-256(message) (11.7).
 */
#define CKQ_SK_SIG_LEN (CKQ_ED25519_SIG_LEN + 1 + 4)
#define CKQ_SIG2_MAX CKQ_SK_SIG_LEN
#define CKQ_SK_FLAG_UP 0x01		/* user presence: the key was touched */
#define CKQ_SK_FLAG_UV 0x04		/* user verification: a PIN or biometric */

size_t sshkey_sig_len(const struct ckq_sshkey *k);
/*
 * 0, or CKQ_ERR_SIGNATURE: a wrong length, a signature that does not
 * verify, or an sk signature made without the user-presence flag.
 */
int sshkey_verify(const struct ckq_sshkey *k, const uint8_t *msg, size_t len,
		  const uint8_t *sig, size_t sig_len);
/*
 * The SSH signature blob an agent returns (string type, string signature,
 * and for sk keys byte flags, uint32 counter) in message 1's form; the
 * type must be the key's.
 */
int sshkey_sig_from_ssh(const struct ckq_sshkey *k, const uint8_t *blob, size_t len,
			uint8_t out[CKQ_SIG2_MAX], size_t *out_len);

/*
 * Strict base64 (RFC 4648 without line breaks): a multiple of 4
 * characters, padding only at the end, unused bits zero.
 */
int b64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
