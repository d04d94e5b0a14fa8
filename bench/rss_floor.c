/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory floor under ckqd's figure: what any program doing ckqd's
 * cryptography with OpenSSL 3 keeps resident. It loads the server key as
 * ckqd does, makes one RSA-OAEP decryption and one PSS verification, and
 * prints VmRSS (kB) at start, when libc and libcrypto are only mapped, and
 * after. Linked with libcrypto alone, none of ckqd's other libraries.
 *
 *   rss_floor -k server.key
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "err.h"

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char *argv[])
{
	uint8_t k[CKQ_SKEY_LEN] = { 1 }, ct[CKQ_RSA_MAX_BYTES], pt[CKQ_RSA_MAX_BYTES];
	uint8_t sig[CKQ_RSA_MAX_BYTES] = { 0 }, msg[64] = { 2 };
	struct span part = { msg, sizeof(msg) };
	size_t ct_len, pt_len;
	long start = rss_kb();
	struct ckq_key *key;

	if (argc != 3 || strcmp(argv[1], "-k")) {
		fprintf(stderr, "usage: rss_floor -k server.key\n");
		return 2;
	}
	key = bench_load_key(argv[2], true);
	if (!key || rsa_oaep_encrypt(key, k, sizeof(k), ct, sizeof(ct), &ct_len) < 0 ||
	    rsa_oaep_decrypt(key, ct, ct_len, pt, sizeof(pt), &pt_len) < 0 ||
	    /* ckqd signs nothing: a verification that fails runs the same code. */
	    rsa_pss_verify(key, &part, 1, sig, key->size) != CKQ_ERR_SIGNATURE) {
		fprintf(stderr, "rss_floor: cannot load %s or use it\n", argv[2]);
		return 1;
	}
	printf("rss_start_kb %ld\nrss_floor_kb %ld\n", start, rss_kb());
	key_free(key);
	return 0;
}
