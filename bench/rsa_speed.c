/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What this machine's CPU does with ckq's own crypto code, the baselines of
 * the knock benchmarks: RSA-2048 private operations (rsa_oaep_decrypt, what
 * ckqd does once per knock) on one core and on THREADS cores at once,
 * RSA-PSS verifications, and the pre-check HMAC over a message 1.
 *
 *   rsa_speed -k server.key [-s SECONDS] [-j THREADS]
 *
 * Prints "key value" lines: rsa_priv_1 and rsa_priv_all (operations a
 * second), rsa_verify_1, mac1_1 (a second, 601 bytes each).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "err.h"

static struct ckq_key *key;
static uint8_t ct[CKQ_RSA_MAX_BYTES], sig[CKQ_RSA_MAX_BYTES];
static size_t ct_len, sig_len;
static double seconds = 1.0;

struct job {
	pthread_t t;
	uint64_t ops;
	int err;
};

static void *decrypt_loop(void *arg)
{
	struct job *j = arg;
	uint64_t end = bench_ns() + (uint64_t)(seconds * 1e9);
	uint8_t pt[CKQ_RSA_MAX_BYTES];
	size_t pt_len;

	while (bench_ns() < end) {
		if (rsa_oaep_decrypt(key, ct, ct_len, pt, sizeof(pt), &pt_len) < 0) {
			j->err = 1;
			break;
		}
		j->ops++;
	}
	return NULL;
}

static double run_decrypt(unsigned int threads)
{
	struct job *jobs = calloc(threads, sizeof(*jobs));
	uint64_t start = bench_ns(), ops = 0;
	unsigned int i;

	if (!jobs)
		return -1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&jobs[i].t, NULL, decrypt_loop, &jobs[i]) != 0)
			return -1;
	for (i = 0; i < threads; i++) {
		pthread_join(jobs[i].t, NULL);
		if (jobs[i].err)
			return -1;
		ops += jobs[i].ops;
	}
	free(jobs);
	return (double)ops / ((double)(bench_ns() - start) / 1e9);
}

int main(int argc, char *argv[])
{
	const char *path = NULL;
	unsigned int threads = 1;
	uint8_t msg[601], mac[CKQ_MAC1_LEN], k[CKQ_SKEY_LEN];
	struct span part = { msg, sizeof(msg) };
	uint64_t start, end, n;
	int opt;

	while ((opt = getopt(argc, argv, "k:s:j:")) != -1) {
		switch (opt) {
		case 'k': path = optarg; break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'j': threads = (unsigned int)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!path || !(seconds > 0 && seconds <= 60) || !threads || threads > 256)
		goto usage;
	key = bench_load_key(path, true);
	if (!key) {
		fprintf(stderr, "rsa_speed: cannot load the private key %s\n", path);
		return 1;
	}
	if (ckq_random(k, sizeof(k)) < 0 || ckq_random(msg, sizeof(msg)) < 0 ||
	    rsa_oaep_encrypt(key, k, sizeof(k), ct, sizeof(ct), &ct_len) < 0 ||
	    rsa_pss_sign(key, &part, 1, sig, sizeof(sig), &sig_len) < 0) {
		fprintf(stderr, "rsa_speed: cannot set up\n");
		return 1;
	}
	printf("rsa_priv_1 %.1f\n", run_decrypt(1));
	printf("rsa_priv_all %.1f\n", run_decrypt(threads));

	start = bench_ns();
	end = start + (uint64_t)(seconds * 1e9 / 2);
	for (n = 0; bench_ns() < end; n++)
		if (rsa_pss_verify(key, &part, 1, sig, sig_len) < 0)
			return 1;
	printf("rsa_verify_1 %.1f\n", (double)n / ((double)(bench_ns() - start) / 1e9));

	start = bench_ns();
	end = start + (uint64_t)(seconds * 1e9 / 2);
	for (n = 0; bench_ns() < end; n++)
		if (mac1_compute(key->mac1_key, msg, sizeof(msg), mac) < 0)
			return 1;
	printf("mac1_1 %.1f\n", (double)n / ((double)(bench_ns() - start) / 1e9));
	key_free(key);
	return 0;
usage:
	fprintf(stderr, "usage: rsa_speed -k server.key [-s SECONDS] [-j THREADS]\n");
	return 2;
}
