/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_KEYFILE_H
#define CKQ_KEYFILE_H

#include "crypto.h"

/*
 * A key pair on disk, as ckq keygen and ckq-admin init make it: the private
 * part in key_path (mode 0600), the public part in pub_path (0644), each
 * written atomically, the PEM text wiped after use. Returns 0, CKQ_ERR_IO
 * with errno set when a file cannot be written, or key_to_pem's error;
 * *failed is then the path being made.
 */
int key_pair_write(const struct ckq_key *key, const char *key_path, const char *pub_path,
		   const char **failed);
/*
 * The same for a pair already encoded (an Ed25519 key: its PKCS#8 PEM and
 * its OpenSSH line); the caller wipes key_text.
 */
int key_text_pair_write(const char *key_text, size_t key_len, const char *pub_text,
			size_t pub_len, const char *key_path, const char *pub_path,
			const char **failed);

#endif
