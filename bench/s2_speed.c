/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Suite 2's counterpart of rsa_speed (doc/protocol.md 11.5): what this
 * machine's CPU does with ckq's suite 2 code, on one core, with keys made
 * in this process.
 *
 *   s2_speed [-k server.key] [-s SECONDS]
 *
 * Prints "key value" lines, operations a second: x25519_1 (the server's
 * one X25519 a knock), ed25519_verify_1 (its one verification),
 * crypto_floor2_1 (the two together: knocks a second if nothing else cost
 * anything); with -k, an RSA-2048 private key, also rsa_priv_1,
 * rsa_verify_1 and crypto_floor1_1 (suite 1's floor: one decryption and
 * two verifications), timed in slices interleaved with suite 2's so that
 * the two floors share the machine's moment; then knock_crypto2_1: knocks a second that ckqd's share of
 * suite 2 allows, every library call from the pre-check of message 1 to
 * the result (rsa_speed's knock_crypto_1 for suite 1), the client's work
 * untimed; then msg1_len to msg4_len, the sizes of that knock's messages,
 * and msg1_max, the largest message 1 (a 32-byte name, an sk key, mac2).
 * bench/run.sh runs it beside rsa_speed, so both come from one run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "crypto25519.h"
#include "err.h"
#include "proto.h"
#include "proto2.h"
#include "sshkey.h"

static double seconds = 1.0;
static struct ckq_x25519 *server_key;
static struct s2_server srv, cli;
static uint8_t seed[32];
static struct ckq_sshkey user;
static size_t sizes[4];		/* the last knock's messages 1 to 4, in bytes */

static double rate(uint64_t n, uint64_t ns)
{
	return ns ? (double)n / ((double)ns / 1e9) : 0.0;
}

static int knock_once(uint64_t *ns)
{
	uint8_t m1[CKQ_MSG_MAX], m2[CKQ_MSG_MAX], m3[CKQ_MSG_MAX], m4[CKQ_MSG_MAX];
	uint8_t sig[CKQ_SIG2_MAX], sid[CKQ_SID_LEN];
	size_t l1 = 0, l2 = 0, l3 = 0, l4 = 0, tbs_len = 0;
	struct ckq_request req = { .request = CKQ_REQ_OPEN, .proto = CKQ_PROTO_TCP, .port = 22 };
	struct ckq_result res = { .status = CKQ_RES_GRANTED, .proto = CKQ_PROTO_TCP, .port = 22 };
	struct s2_request_state st;
	struct s2_session cs, ss;
	static struct s2_msg1 m;
	const uint8_t *tbs;
	uint64_t t0, t1;
	int ret = -1;

	snprintf(req.user, sizeof(req.user), "bench");
	req.addr.family = CKQ_AF_INET;
	req.timestamp = (uint64_t)time(NULL);
	res.addr = req.addr;
	if (s2_request_begin(&cli, &user, &req, &st, &tbs, &tbs_len) < 0)
		return -1;
	if (ed25519_sign(seed, tbs, tbs_len, sig) < 0 ||
	    s2_request_end(&st, sig, CKQ_ED25519_SIG_LEN, &cs, m1, sizeof(m1), &l1) < 0)
		return -1;
	t0 = bench_ns();
	if (s2_request_precheck(&srv, m1, l1) != CKQ_MSG_REQUEST ||
	    s2_request_open(&srv, m1, l1, &m) < 0 || s2_request_verify(&srv, &user, &m) < 0)
		goto out;
	ss = m.s;
	if (ckq_random(ss.sid, sizeof(ss.sid)) < 0 || ckq_random(ss.ns, sizeof(ss.ns)) < 0 ||
	    s2_challenge_build(&srv, &ss, m2, sizeof(m2), &l2) < 0)
		goto out;
	t1 = bench_ns();
	if (s2_challenge_open(&cli, &cs, m2, l2) < 0 ||
	    s2_response_build(&cli, &cs, m3, sizeof(m3), &l3) < 0)
		goto out;
	*ns += t1 - t0;
	t0 = bench_ns();
	if (s2_response_precheck(&srv, m3, l3, sid) != CKQ_MSG_RESPONSE ||
	    s2_response_open(&srv, &ss, m3, l3) < 0 ||
	    s2_result_build(&srv, &ss, &res, m4, sizeof(m4), &l4) < 0)
		goto out;
	*ns += bench_ns() - t0;
	sizes[0] = l1;
	sizes[1] = l2;
	sizes[2] = l3;
	sizes[3] = l4;
	ret = 0;
out:
	wipe(&m, sizeof(m));
	wipe(&cs, sizeof(cs));
	wipe(&ss, sizeof(ss));
	return ret;
}

/*
 * The primitives of each suite's floor, timed in ROUNDS interleaved slices
 * so that a change of the machine's load during the run weighs on both
 * suites alike (other work on the machine shows in each figure, not in
 * their ratio). Without an RSA key, suite 2's alone.
 */
#define ROUNDS 10
enum { OP_X25519, OP_ED_VERIFY, OP_RSA_PRIV, OP_RSA_VERIFY, OPS };

struct prims {
	struct ckq_x25519 *peer;
	uint8_t pub[32], shared[32], sig[64], msg[200];
	struct ckq_key *rsa;		/* NULL: suite 2 only */
	uint8_t ct[CKQ_RSA_MAX_BYTES], rsig[CKQ_RSA_MAX_BYTES], pt[CKQ_RSA_MAX_BYTES];
	size_t ct_len, rsig_len;
	struct span part;
};

static int prim_once(struct prims *p, int op)
{
	size_t pt_len;

	switch (op) {
	case OP_X25519:
		return x25519_derive(server_key, p->peer->pub, p->shared);
	case OP_ED_VERIFY:
		return ed25519_verify(p->pub, p->msg, sizeof(p->msg), p->sig);
	case OP_RSA_PRIV:
		return rsa_oaep_decrypt(p->rsa, p->ct, p->ct_len, p->pt, sizeof(p->pt), &pt_len);
	default:
		return rsa_pss_verify(p->rsa, &p->part, 1, p->rsig, p->rsig_len);
	}
}

static int prims_time(struct prims *p, double rate_out[OPS])
{
	uint64_t n[OPS] = { 0 }, ns[OPS] = { 0 }, slice, t0, end;
	int r, op, nops = p->rsa ? OPS : OP_RSA_PRIV;

	slice = (uint64_t)(seconds * 1e9 / ROUNDS / nops);
	for (r = 0; r < ROUNDS; r++)
		for (op = 0; op < nops; op++) {
			t0 = bench_ns();
			end = t0 + slice;
			do {
				if (prim_once(p, op) < 0)
					return -1;
				n[op]++;
			} while (bench_ns() < end);
			ns[op] += bench_ns() - t0;
		}
	for (op = 0; op < OPS; op++)
		rate_out[op] = op < nops ? rate(n[op], ns[op]) : 0.0;
	return 0;
}

int main(int argc, char *argv[])
{
	static struct prims p;
	uint8_t blob[64], k[CKQ_SKEY_LEN];
	const char *rsa_path = NULL;
	uint64_t end, n, ns = 0;
	double r[OPS], x, v;
	int opt;

	while ((opt = getopt(argc, argv, "k:s:")) != -1) {
		if (opt == 's')
			seconds = strtod(optarg, NULL);
		else if (opt == 'k')
			rsa_path = optarg;
		else
			goto usage;
	}
	if (!(seconds > 0 && seconds <= 60))
		goto usage;
	if (x25519_generate(&server_key) < 0 || x25519_generate(&p.peer) < 0 ||
	    s2_server_init(server_key->pub, server_key, &srv) < 0 ||
	    s2_server_init(server_key->pub, NULL, &cli) < 0 || ed25519_generate(seed, p.pub) < 0) {
		fprintf(stderr, "s2_speed: cannot set up\n");
		return 1;
	}
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, p.pub, 32);
	if (sshkey_from_blob(blob, 51, &user) < 0 ||
	    ed25519_sign(seed, p.msg, sizeof(p.msg), p.sig) < 0)
		return 1;
	if (rsa_path) {
		p.rsa = bench_load_key(rsa_path, true);
		p.part.p = p.msg;
		p.part.n = sizeof(p.msg);
		if (!p.rsa || ckq_random(k, sizeof(k)) < 0 ||
		    rsa_oaep_encrypt(p.rsa, k, sizeof(k), p.ct, sizeof(p.ct), &p.ct_len) < 0 ||
		    rsa_pss_sign(p.rsa, &p.part, 1, p.rsig, sizeof(p.rsig), &p.rsig_len) < 0) {
			fprintf(stderr, "s2_speed: cannot use the RSA key %s\n", rsa_path);
			return 1;
		}
	}
	if (prims_time(&p, r) < 0) {
		fprintf(stderr, "s2_speed: an operation failed\n");
		return 1;
	}
	x = r[OP_X25519];
	v = r[OP_ED_VERIFY];
	printf("x25519_1 %.1f\n", x);
	printf("ed25519_verify_1 %.1f\n", v);
	printf("crypto_floor2_1 %.1f\n", x > 0 && v > 0 ? 1.0 / (1.0 / x + 1.0 / v) : 0.0);
	if (p.rsa) {
		printf("rsa_priv_1 %.1f\nrsa_verify_1 %.1f\n", r[OP_RSA_PRIV], r[OP_RSA_VERIFY]);
		printf("crypto_floor1_1 %.1f\n", r[OP_RSA_PRIV] > 0 && r[OP_RSA_VERIFY] > 0 ?
		       1.0 / (1.0 / r[OP_RSA_PRIV] + 2.0 / r[OP_RSA_VERIFY]) : 0.0);
	}

	end = bench_ns() + (uint64_t)(seconds * 1e9);
	for (n = 0; bench_ns() < end; n++)
		if (knock_once(&ns) < 0) {
			fprintf(stderr, "s2_speed: a knock failed\n");
			return 1;
		}
	printf("knock_crypto2_1 %.1f\n", rate(n, ns));
	/* As built (user "bench", an ssh-ed25519 key, no mac2): doc/protocol.md 11.6. */
	printf("msg1_len %zu\nmsg2_len %zu\nmsg3_len %zu\nmsg4_len %zu\nmsg1_max %d\n",
	       sizes[0], sizes[1], sizes[2], sizes[3], CKQ_S2_MSG1_MAX);
	x25519_free(p.peer);
	x25519_free(server_key);
	key_free(p.rsa);
	return 0;
usage:
	fprintf(stderr, "usage: s2_speed [-k server.key] [-s SECONDS]\n");
	return 2;
}
