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
 * second), rsa_verify_1, mac1_1 (a second, 601 bytes each). With -c, also
 * knock_crypto_1: knocks a second that ckqd's share of the protocol allows
 * on one core, every call ckqd makes from the pre-check of message 1 to the
 * result, timed in this process with no I/O (the client's work untimed),
 * and msg1_len to msg4_len, the sizes of that knock's messages.
 *
 *   rsa_speed -k server.key [-c client.key] [-s SECONDS] [-j THREADS]
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "err.h"
#include "proto.h"

static struct ckq_key *key;
static uint8_t ct[CKQ_RSA_MAX_BYTES], sig[CKQ_RSA_MAX_BYTES];
static size_t ct_len, sig_len;
static double seconds = 1.0;
static size_t sizes[4];		/* the last knock's messages 1 to 4, in bytes */

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

/* One knock as ckqd does it, timed without the client's steps. */
static int knock_once(const struct ckq_key *client, const struct ckq_pub *pub, uint64_t *ns)
{
	uint8_t m1[CKQ_MSG_MAX], m2[CKQ_MSG_MAX], m3[CKQ_MSG_MAX], m4[CKQ_MSG_MAX];
	size_t l1, l2, l3, l4;
	struct ckq_request req = { .request = CKQ_REQ_OPEN, .proto = CKQ_PROTO_TCP, .port = 22 };
	struct ckq_result res = { .status = CKQ_RES_GRANTED, .proto = CKQ_PROTO_TCP, .port = 22 };
	struct ckq_session cs, ss;
	static struct ckq_msg1 m;
	struct ckq_key *ukey = NULL;
	uint8_t h[CKQ_HASH_LEN];
	uint64_t t0, t1;
	int ret = -1;

	snprintf(req.user, sizeof(req.user), "bench");
	req.addr.family = CKQ_AF_INET;
	req.timestamp = (uint64_t)time(NULL);
	res.addr = req.addr;
	if (proto_request_build(key, client, &req, &cs, m1, sizeof(m1), &l1) < 0)
		return -1;
	t0 = bench_ns();
	if (proto_precheck(key, m1, l1) != CKQ_MSG_REQUEST || proto_digest(m1, l1, h) < 0 ||
	    proto_request_open(key, m1, l1, &m) < 0 || key_unpack(pub, &ukey) < 0 ||
	    proto_request_verify(key, ukey, &m) < 0)
		goto out;
	ss = m.s;
	if (ckq_random(ss.sid, sizeof(ss.sid)) < 0 || ckq_random(ss.ns, sizeof(ss.ns)) < 0 ||
	    proto_challenge_build(key, &ss, m2, sizeof(m2), &l2) < 0)
		goto out;
	t1 = bench_ns();
	if (proto_challenge_open(key, &cs, m2, l2) < 0 ||
	    proto_response_build(key, client, &cs, m3, sizeof(m3), &l3) < 0)
		goto out;
	*ns += t1 - t0;
	t0 = bench_ns();
	if (proto_precheck(key, m3, l3) != CKQ_MSG_RESPONSE || proto_digest(m3, l3, h) < 0 ||
	    proto_response_open(key, ukey, &ss, m3, l3) < 0 ||
	    proto_result_build(key, &ss, &res, m4, sizeof(m4), &l4) < 0)
		goto out;
	*ns += bench_ns() - t0;
	sizes[0] = l1;
	sizes[1] = l2;
	sizes[2] = l3;
	sizes[3] = l4;
	ret = 0;
out:
	key_free(ukey);
	wipe(&m, sizeof(m));
	wipe(&cs, sizeof(cs));
	wipe(&ss, sizeof(ss));
	return ret;
}

int main(int argc, char *argv[])
{
	const char *path = NULL, *client_path = NULL;
	unsigned int threads = 1;
	uint8_t msg[601], mac[CKQ_MAC1_LEN], k[CKQ_SKEY_LEN];
	struct span part = { msg, sizeof(msg) };
	uint64_t start, end, n;
	int opt;

	while ((opt = getopt(argc, argv, "k:c:s:j:")) != -1) {
		switch (opt) {
		case 'k': path = optarg; break;
		case 'c': client_path = optarg; break;
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
	if (client_path) {
		struct ckq_key *client = bench_load_key(client_path, true);
		struct ckq_pub *pub = NULL;
		uint64_t ns = 0;

		if (!client || key_pack(client, &pub) < 0) {
			fprintf(stderr, "rsa_speed: cannot load the client key %s\n", client_path);
			return 1;
		}
		end = bench_ns() + (uint64_t)(seconds * 1e9);
		for (n = 0; bench_ns() < end; n++)
			if (knock_once(client, pub, &ns) < 0) {
				fprintf(stderr, "rsa_speed: a knock failed\n");
				return 1;
			}
		printf("knock_crypto_1 %.1f\n", ns ? (double)n / ((double)ns / 1e9) : 0.0);
		/* As built (user "bench", the keys given, no mac2): doc/protocol.md section 6. */
		printf("msg1_len %zu\nmsg2_len %zu\nmsg3_len %zu\nmsg4_len %zu\n",
		       sizes[0], sizes[1], sizes[2], sizes[3]);
		free(pub);
		key_free(client);
	}
	key_free(key);
	return 0;
usage:
	fprintf(stderr, "usage: rsa_speed -k server.key [-c client.key] [-s SECONDS] [-j THREADS]\n");
	return 2;
}
