/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for the suite 2 user key formats (src/lib/sshkey.c):
 * OpenSSH key lines, PEM Ed25519 keys, key blobs, the agent's signature
 * blobs and base64, as `ckq-admin add-user --key` and the client read
 * them. A key that is accepted must write back to the same blob, and its
 * fingerprint must be that blob's SHA-256. Seeds: corpus/sshkey/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto.h"
#include "err.h"
#include "fuzz.h"
#include "sshkey.h"

static void check_key(const struct ckq_sshkey *k)
{
	uint8_t blob[CKQ_SSHKEY_BLOB_MAX], fp[CKQ_FP_LEN];
	struct ckq_sshkey again;
	struct span s;
	size_t n = 0;

	CHECK(k->type == CKQ_SSHKEY_ED25519 || k->type == CKQ_SSHKEY_SK_ED25519);
	CHECK((k->type == CKQ_SSHKEY_SK_ED25519) == (k->app_len > 0));
	CHECK(strlen(k->app) == k->app_len);
	CHECK(sshkey_blob(k, blob, sizeof(blob), &n) == 0);
	s.p = blob;
	s.n = n;
	CHECK(sha256_parts(&s, 1, fp) == 0 && !memcmp(fp, k->fp, CKQ_FP_LEN));
	CHECK(sshkey_from_blob(blob, n, &again) == 0);
	CHECK(!memcmp(&again, k, sizeof(again)));
	/* And as the line ssh-keygen would write for it. */
	{
		char line[1024];

		CHECK(sshkey_to_line(k, "fuzz", line, sizeof(line)) == 0);
		CHECK(sshkey_from_line(line, strlen(line), &again, NULL) == 0);
		CHECK(!memcmp(&again, k, sizeof(again)));
	}
}

static void check_sig(const struct ckq_sshkey *k, const uint8_t *data, size_t size)
{
	uint8_t field[CKQ_SIG2_MAX];
	size_t n = 0;
	int r = sshkey_sig_from_ssh(k, data, size, field, &n);

	CHECK(r == 0 || r == CKQ_ERR_TRUNCATED || r == CKQ_ERR_FORMAT || r == CKQ_ERR_KEY);
	if (r == 0) {
		CHECK(n == sshkey_sig_len(k));
		/* Anything that is not a signature by the key fails to verify. */
		CHECK(sshkey_verify(k, data, size, field, n) == CKQ_ERR_SIGNATURE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ckq_sshkey plain = { .type = CKQ_SSHKEY_ED25519, .pub = { 9 } };
	static const struct ckq_sshkey sk = {
		.type = CKQ_SSHKEY_SK_ED25519, .pub = { 9 }, .app_len = 4, .app = "ssh:",
	};
	uint8_t out[CKQ_SSHKEY_LINE_MAX];
	struct ckq_sshkey k;
	struct span comment;
	size_t n = 0;
	int r;

	if (size > CKQ_SSHKEY_LINE_MAX + 16)
		return 0;
	r = sshkey_load((const char *)data, size, &k);
	CHECK(r <= 0);
	if (r == 0)
		check_key(&k);
	r = sshkey_from_line((const char *)data, size, &k, &comment);
	CHECK(r <= 0);
	if (r == 0) {
		check_key(&k);
		CHECK(comment.p >= (const void *)data &&
		      (const uint8_t *)comment.p + comment.n <= data + size);
	}
	r = sshkey_from_pem((const char *)data, size, &k);
	CHECK(r <= 0);
	if (r == 0)
		check_key(&k);
	r = sshkey_from_blob(data, size, &k);
	CHECK(r <= 0);
	if (r == 0)
		check_key(&k);
	check_sig(&plain, data, size);
	check_sig(&sk, data, size);

	r = b64_decode((const char *)data, size, out, sizeof(out), &n);
	CHECK(r == 0 || r == CKQ_ERR_FORMAT || r == CKQ_ERR_RANGE);
	if (r == 0)
		CHECK(size % 4 == 0 && n <= size / 4 * 3 && n + 2 >= size / 4 * 3);
	ERR_clear_error();
	return 0;
}
