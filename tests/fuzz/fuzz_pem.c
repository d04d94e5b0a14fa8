/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for key_from_pem(), as the server's key, the server's
 * public key and the users' public keys are read. A key it accepts must be
 * an RSA key of the allowed sizes and must survive key_to_pem() with the
 * same fingerprint. Nothing may ask for a passphrase: the daemon reads
 * keys unattended, so a prompt aborts. Seeds: corpus/pem/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ui.h>

#include "crypto.h"
#include "err.h"
#include "fuzz.h"

/* Real key files are a few KiB; beyond this OpenSSL only spends time. */
#define FUZZ_PEM_MAX (16 * 1024)

static int ui_open(UI *ui)
{
	(void)ui;
	fprintf(stderr, "key_from_pem() asked for a passphrase on the terminal\n");
	abort();
}

/* OpenSSL's prompts for a passphrase go through the default UI method. */
static void fuzz_setup(void)
{
	UI_METHOD *m = UI_create_method("fuzz_pem: no prompts");

	if (!m || UI_method_set_opener(m, ui_open) < 0)
		abort();
	UI_set_default_method(m);
}

static void check_again(const struct ckq_key *k, bool private_part)
{
	struct ckq_key *again = NULL;
	char *pem = NULL;
	size_t len = 0;

	CHECK(key_to_pem(k, private_part, &pem, &len) == 0);
	CHECK(pem && len && len == strlen(pem));
	CHECK(key_from_pem(pem, len, private_part, &again) == 0);
	CHECK(again->has_private == private_part && again->size == k->size);
	CHECK(!memcmp(again->fp, k->fp, CKQ_FP_LEN));
	CHECK(!memcmp(again->mac1_key, k->mac1_key, CKQ_HASH_LEN));
	key_free(again);
	wipe(pem, len);
	free(pem);
}

static void check_pem(const uint8_t *data, size_t size, bool want_private)
{
	struct ckq_key *k = NULL;
	unsigned int bits;
	int r;

	r = key_from_pem(data, size, want_private, &k);
	CHECK(r == 0 || r == CKQ_ERR_KEY || r == CKQ_ERR_CRYPTO || r == CKQ_ERR_NOMEM);
	if (r < 0) {
		CHECK(k == NULL);
		return;
	}
	CHECK(k && k->pkey && k->has_private == want_private);
	bits = key_bits(k);
	CHECK(bits >= CKQ_RSA_MIN_BITS && bits <= CKQ_RSA_MAX_BITS);
	CHECK(k->size == (bits + 7) / 8 && k->size <= CKQ_RSA_MAX_BYTES);
	check_again(k, false);
	if (want_private)
		check_again(k, true);
	key_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		fuzz_setup();
		ready = true;
	}
	if (size > FUZZ_PEM_MAX)
		return 0;
	check_pem(data, size, true);
	check_pem(data, size, false);
	/* OpenSSL's queue of errors would otherwise fill with every refusal. */
	ERR_clear_error();
	return 0;
}
