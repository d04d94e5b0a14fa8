/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Suite 2's message 1 (doc/protocol.md 11.3): built by the client in two
 * steps, opened and verified by the server; every truncation and every
 * single-bit flip refused, a mauled E_C refused, and messages of each
 * suite refused under the other suite's keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "proto.h"
#include "proto2.h"
#include "sshkey.h"
#include "suite2.h"
#include "tap.h"

/* Test keys only: RFC 7748 6.1's Bob as the server, RFC 8032 test 1 and 2 seeds as users. */
static const char SERVER_PRIV[] = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char USER_SEED[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char OTHER_SEED[] = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

static struct ckq_x25519 *server_key;
static struct s2_server srv, cli;	/* the server's view and the client's */
static uint8_t user_seed[32], other_seed[32];
static struct ckq_sshkey user, user_sk, other;

static void unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		bail_out("bad hex");
	for (i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			bail_out("bad hex");
		out[i] = (uint8_t)v;
	}
}

static size_t put_str(uint8_t *p, const void *s, size_t n)
{
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, s, n);
	return 4 + n;
}

static void make_user(const uint8_t seed[32], const char *app, struct ckq_sshkey *k)
{
	uint8_t pub[32], blob[400];
	size_t len = 0;

	if (ed25519_public(seed, pub))
		bail_out("ed25519_public");
	if (app) {
		len += put_str(blob + len, "sk-ssh-ed25519@openssh.com", 26);
		len += put_str(blob + len, pub, 32);
		len += put_str(blob + len, app, strlen(app));
	} else {
		len += put_str(blob + len, "ssh-ed25519", 11);
		len += put_str(blob + len, pub, 32);
	}
	if (sshkey_from_blob(blob, len, k))
		bail_out("sshkey_from_blob");
}

static void setup(void)
{
	uint8_t priv[32];

	unhex(SERVER_PRIV, priv, 32);
	unhex(USER_SEED, user_seed, 32);
	unhex(OTHER_SEED, other_seed, 32);
	if (x25519_from_raw(priv, &server_key) ||
	    s2_server_init(server_key->pub, server_key, &srv) ||
	    s2_server_init(server_key->pub, NULL, &cli))
		bail_out("server key");
	make_user(user_seed, NULL, &user);
	make_user(user_seed, "ssh:", &user_sk);
	make_user(other_seed, NULL, &other);
}

static struct ckq_request sample(const char *name)
{
	struct ckq_request r;
	int i;

	memset(&r, 0, sizeof(r));
	snprintf(r.user, sizeof(r.user), "%s", name);
	r.request = CKQ_REQ_OPEN;
	r.addr.family = CKQ_AF_INET;
	r.addr.a[0] = 10;
	r.addr.a[3] = 2;
	r.proto = CKQ_PROTO_TCP;
	r.port = 22;
	r.duration = 300;
	r.timestamp = 1700000000;
	r.otp = 123456;
	for (i = 0; i < CKQ_NONCE_LEN; i++)
		r.nc[i] = (uint8_t)i;
	return r;
}

/* The signature as an agent gives it: pure Ed25519, or the FIDO form with these flags. */
static void sign(const uint8_t seed[32], const struct ckq_sshkey *k, uint8_t flags,
		 const uint8_t *tbs, size_t len, uint8_t *sig, size_t *sig_len)
{
	if (k->type == CKQ_SSHKEY_ED25519) {
		if (ed25519_sign(seed, tbs, len, sig))
			bail_out("sign");
		*sig_len = 64;
		return;
	}
	{
		uint8_t data[69];
		struct span app = { k->app, k->app_len }, m = { tbs, len };

		if (sha256_parts(&app, 1, data) || sha256_parts(&m, 1, data + 37))
			bail_out("sha256");
		data[32] = flags;
		memcpy(data + 33, "\0\0\0\x2a", 4);
		if (ed25519_sign(seed, data, sizeof(data), sig))
			bail_out("sign");
		memcpy(sig + 64, data + 32, 5);
		*sig_len = 69;
	}
}

static size_t build(const struct ckq_request *req, const uint8_t seed[32],
		    const struct ckq_sshkey *k, uint8_t flags, struct s2_session *s,
		    uint8_t *out, size_t cap)
{
	struct s2_request_state st;
	const uint8_t *tbs;
	size_t tbs_len, len = 0, sig_len;
	uint8_t sig[CKQ_SIG2_MAX];

	if (s2_request_begin(&cli, k, req, &st, &tbs, &tbs_len))
		bail_out("s2_request_begin");
	sign(seed, k, flags, tbs, tbs_len, sig, &sig_len);
	if (s2_request_end(&st, sig, sig_len, s, out, cap, &len))
		bail_out("s2_request_end");
	return len;
}

/* What an attacker holding S can do: recompute mac1 after changing bytes. */
static void remac(uint8_t *msg, size_t core, const uint8_t key[32])
{
	if (mac1_compute(key, msg, core - CKQ_MAC1_LEN, msg + core - CKQ_MAC1_LEN))
		bail_out("mac1");
}

static bool same_request(const struct ckq_request *a, const struct ckq_request *b)
{
	return !strcmp(a->user, b->user) && a->request == b->request &&
	       a->addr.family == b->addr.family && !memcmp(a->addr.a, b->addr.a, 16) &&
	       a->proto == b->proto && a->port == b->port && a->duration == b->duration &&
	       a->timestamp == b->timestamp && a->otp == b->otp && !memcmp(a->nc, b->nc, 16);
}

static void test_roundtrip(void)
{
	struct ckq_request req = sample("alice"), r32 = sample("abcdefghijklmnopqrstuvwxyz012345");
	uint8_t msg[CKQ_MSG_MAX], cookie[CKQ_COOKIE_LEN] = { 1, 2, 3 };
	struct s2_session cs;
	struct s2_msg1 m;
	size_t len, core = 0, len2;

	len = build(&req, user_seed, &user, 0, &cs, msg, sizeof(msg));
	is_int(len, 193 + 5, "message 1, ssh-ed25519, user of 5 bytes: 193 + n = %zu bytes", len);
	is_int(s2_request_precheck(&srv, msg, len), CKQ_MSG_REQUEST, "the pre-check passes");
	ok(s2_request_core_len(msg, len, &core) == 0 && core == len, "it has no mac2");
	is_int(s2_request_open(&srv, msg, len, &m), 0, "the server opens it");
	ok(same_request(&m.req, &req), "and reads the request that was sent");
	is_int(s2_request_verify(&srv, &user, &m), 0, "the user's signature verifies");
	ok(!memcmp(m.s.h1, cs.h1, 32) && !memcmp(m.s.k_s2c, cs.k_s2c, 32) &&
	   !memcmp(m.s.k_c2s, cs.k_c2s, 32) && !memcmp(m.s.nc, cs.nc, 16),
	   "both ends hold the same H1, session keys and N_C");
	is_int(s2_request_verify(&srv, &other, &m), CKQ_ERR_SIGNATURE,
	       "another user's key does not verify it");
	is_int(s2_request_verify(&srv, &user_sk, &m), CKQ_ERR_SIGNATURE,
	       "nor the same key registered as a security key");

	/* A cookie round: mac2 after mac1, the core unchanged. */
	if (proto_mac2(cookie, msg, len, msg + len))
		bail_out("mac2");
	len2 = len + CKQ_MAC2_LEN;
	ok(s2_request_core_len(msg, len2, &core) == 0 && core == len &&
	   s2_request_precheck(&srv, msg, len2) == CKQ_MSG_REQUEST,
	   "with a mac2 the core is the same and passes");
	ok(s2_request_open(&srv, msg, len2, &m) < 0, "open takes the core only");
	ok(s2_request_core_len(msg, len2 - 1, &core) < 0 && s2_request_core_len(msg, len + 1, &core) < 0,
	   "a partial mac2 is refused");

	len = build(&req, user_seed, &user_sk, CKQ_SK_FLAG_UP, &cs, msg, sizeof(msg));
	is_int(len, 198 + 5, "message 1, sk-ssh-ed25519, user of 5 bytes: 198 + n = %zu bytes", len);
	ok(s2_request_open(&srv, msg, len, &m) == 0 && s2_request_verify(&srv, &user_sk, &m) == 0,
	   "a security key's signature verifies");
	is_int(s2_request_verify(&srv, &user, &m), CKQ_ERR_SIGNATURE,
	       "not under the same key registered as a plain one");
	len = build(&req, user_seed, &user_sk, CKQ_SK_FLAG_UV, &cs, msg, sizeof(msg));
	ok(s2_request_open(&srv, msg, len, &m) == 0 &&
	   s2_request_verify(&srv, &user_sk, &m) == CKQ_ERR_SIGNATURE,
	   "a security key's signature without user presence is refused");

	len = build(&r32, user_seed, &user_sk, CKQ_SK_FLAG_UP, &cs, msg, sizeof(msg));
	is_int(len, 230, "the largest message 1 (sk, user of 32 bytes): %zu bytes", len);
	ok(len + CKQ_MAC2_LEN + 48 <= 400, "with a mac2 and IPv6 and UDP headers: %zu <= 400 bytes",
	   len + CKQ_MAC2_LEN + 48);
	ok(s2_request_open(&srv, msg, len, &m) == 0 && same_request(&m.req, &r32) &&
	   s2_request_verify(&srv, &user_sk, &m) == 0, "and it opens and verifies");

	{
		struct s2_request_state st;
		const uint8_t *tbs;
		size_t tl;
		struct ckq_request bad = req;

		bad.port = 0;
		is_int(s2_request_begin(&cli, &user, &bad, &st, &tbs, &tl), CKQ_ERR_RANGE,
		       "a request for port 0 is not built");
		bad = req;
		snprintf(bad.user, sizeof(bad.user), ".x");
		is_int(s2_request_begin(&cli, &user, &bad, &st, &tbs, &tl), CKQ_ERR_RANGE,
		       "nor one with an invalid user name");
		if (s2_request_begin(&cli, &user, &req, &st, &tbs, &tl))
			bail_out("begin");
		is_int(s2_request_end(&st, msg, 69, &cs, msg, sizeof(msg), &len), CKQ_ERR_RANGE,
		       "a signature of the wrong size for the key is not sealed");
	}
}

static void test_damage(void)
{
	struct ckq_request req = sample("alice");
	uint8_t msg[CKQ_MSG_MAX], bad[CKQ_MSG_MAX];
	struct s2_session cs;
	struct s2_msg1 m;
	size_t len, cut, bit;
	int refused, refused_open;

	len = build(&req, user_seed, &user, 0, &cs, msg, sizeof(msg));
	refused = refused_open = 0;
	for (cut = 0; cut < len; cut++) {
		refused += s2_request_precheck(&srv, msg, cut) < 0;
		refused_open += s2_request_open(&srv, msg, cut, &m) < 0;
	}
	is_int(refused, len, "every truncation fails the pre-check");
	is_int(refused_open, len, "every truncation fails to open");

	refused = refused_open = 0;
	for (bit = 0; bit < len * 8; bit++) {
		memcpy(bad, msg, len);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		refused += s2_request_precheck(&srv, bad, len) < 0;
		/* With mac1 made again, as a holder of S could. */
		if (bit / 8 < len - CKQ_MAC1_LEN) {
			remac(bad, len, srv.mac1_key);
			refused_open += s2_request_open(&srv, bad, len, &m) < 0 ||
					s2_request_verify(&srv, &user, &m) < 0;
		}
	}
	is_int(refused, len * 8, "every single-bit flip fails the pre-check");
	is_int(refused_open, (len - CKQ_MAC1_LEN) * 8,
	       "every single-bit flip with mac1 made again fails to open or verify");

	/* E_C with its top bit set gives the same X25519 secret, not the same keys. */
	memcpy(bad, msg, len);
	bad[CKQ_HDR_LEN + 31] ^= 0x80;
	remac(bad, len, srv.mac1_key);
	is_int(s2_request_open(&srv, bad, len, &m), CKQ_ERR_DECRYPT,
	       "E_C with its top bit flipped does not open");
	memcpy(bad, msg, len);
	memset(bad + CKQ_HDR_LEN, 0, 32);
	remac(bad, len, srv.mac1_key);
	is_int(s2_request_open(&srv, bad, len, &m), CKQ_ERR_KEY, "an E_C of small order is refused");
	memcpy(bad, msg, len);
	memcpy(bad + CKQ_HDR_LEN, server_key->pub, 32);	/* a valid key, not the one sealed to */
	remac(bad, len, srv.mac1_key);
	is_int(s2_request_open(&srv, bad, len, &m), CKQ_ERR_DECRYPT, "another E_C does not open");

	/* Another server: its mac1 and its keys differ. */
	{
		struct ckq_x25519 *k2;
		struct s2_server srv2;

		if (x25519_generate(&k2) || s2_server_init(k2->pub, k2, &srv2))
			bail_out("server 2");
		is_int(s2_request_precheck(&srv2, msg, len), CKQ_ERR_MAC,
		       "another server's pre-check refuses it");
		memcpy(bad, msg, len);
		remac(bad, len, srv2.mac1_key);
		is_int(s2_request_open(&srv2, bad, len, &m), CKQ_ERR_DECRYPT,
		       "and cannot open it with mac1 made again");
		x25519_free(k2);
	}
}

static uint8_t *slurp(const char *name, size_t *len)
{
	const char *src = getenv("CKQ_SRCDIR");
	char path[4096];
	uint8_t *buf = malloc(8192);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", name);
	f = fopen(path, "rb");
	if (!f || !buf)
		bail_out(path);
	*len = fread(buf, 1, 8192, f);
	fclose(f);
	return buf;
}

static void test_suites(void)
{
	struct ckq_request req = sample("alice");
	uint8_t msg[CKQ_MSG_MAX], bad[CKQ_MSG_MAX];
	struct ckq_key *s1;
	struct ckq_msg1 m1;
	struct s2_msg1 m;
	struct s2_session cs;
	size_t n, len, core = 0;
	uint8_t *pem, *old;
	int r;

	pem = slurp("server.pub", &n);
	if (key_from_pem(pem, n, false, &s1))
		bail_out("server.pub");
	free(pem);

	/* Suite 2 against suite 1. */
	len = build(&req, user_seed, &user, 0, &cs, msg, sizeof(msg));
	is_int(proto_precheck(s1, msg, len), CKQ_ERR_SUITE,
	       "a suite 2 message 1 fails suite 1's pre-check (suite byte)");
	memcpy(bad, msg, len);
	bad[4] = CKQ_SUITE_1;
	remac(bad, len, s1->mac1_key);
	r = proto_precheck(s1, bad, len);
	ok(r < 0, "relabelled suite 1 with mac1 made again, it fails suite 1's layout (%d)", r);
	ok(proto_request_core_len(s1, bad, len, &core) < 0 &&
	   proto_request_open(s1, bad, len, &m1) < 0, "and suite 1 does not open it");

	/* Suite 1 against suite 2: tests/data/msg1.bin. */
	old = slurp("msg1.bin", &n);
	is_int(s2_request_precheck(&srv, old, n), CKQ_ERR_FORMAT,
	       "a suite 1 message 1 fails suite 2's pre-check (its size)");
	memcpy(bad, old, n);
	bad[4] = CKQ_SUITE_2;
	remac(bad, n, srv.mac1_key);
	ok(s2_request_precheck(&srv, bad, n) < 0 && s2_request_open(&srv, bad, n, &m) < 0,
	   "relabelled suite 2 with mac1 made again, it is refused");
	/* Cut to a suite 2 size and relabelled: its first 32 bytes of ek as E_C. */
	memcpy(bad, old, len);
	bad[4] = CKQ_SUITE_2;
	memcpy(bad + CKQ_HDR_LEN + 32, msg + CKQ_HDR_LEN + 32, 2);	/* a suite 2 ct_len */
	remac(bad, len, srv.mac1_key);
	is_int(s2_request_precheck(&srv, bad, len), CKQ_MSG_REQUEST,
	       "suite 1 bytes reshaped as suite 2, mac1 made again, pass the pre-check");
	is_int(s2_request_open(&srv, bad, len, &m), CKQ_ERR_DECRYPT, "but do not open");
	free(old);
	key_free(s1);
}

/*
 * tests/data/s2msg1.bin: a message 1 built once by this test (CKQ_WRITE_GOLDEN=1)
 * with the keys above, the sample request and an sk signature with flags 0x01
 * and counter 42. The ephemeral key makes every build differ; this one pins
 * the format: it must keep opening to the same fields and verifying.
 */
static void test_golden(void)
{
	struct ckq_request req = sample("alice");
	struct s2_session cs;
	struct s2_msg1 m;
	uint8_t msg[CKQ_MSG_MAX], *g;
	size_t len, n;

	if (getenv("CKQ_WRITE_GOLDEN")) {
		FILE *f = fopen("s2msg1.bin", "wb");

		len = build(&req, user_seed, &user_sk, CKQ_SK_FLAG_UP, &cs, msg, sizeof(msg));
		if (!f || fwrite(msg, 1, len, f) != len || fclose(f))
			bail_out("writing s2msg1.bin");
	}
	g = slurp("s2msg1.bin", &n);
	is_int(n, 203, "the golden message 1 is 203 bytes");
	is_int(s2_request_precheck(&srv, g, n), CKQ_MSG_REQUEST, "it passes the pre-check");
	ok(s2_request_open(&srv, g, n, &m) == 0 && same_request(&m.req, &req),
	   "it opens to the sample request");
	is_int(s2_request_verify(&srv, &user_sk, &m), 0, "its security-key signature verifies");
	ok(m.sig_kind == CKQ_S2_SIGKIND_SK && m.sig[64] == CKQ_SK_FLAG_UP &&
	   !memcmp(m.sig + 65, "\0\0\0\x2a", 4), "with flags 0x01 and counter 42");
	free(g);
}

/*
 * Every truncation, a byte more and every single-bit flip in the first
 * flip_len bytes must fail check().
 */
typedef int (*check_fn)(const uint8_t *msg, size_t len);

static void damage(const char *what, const uint8_t *msg, size_t len, size_t flip_len,
		   check_fn check)
{
	uint8_t d[CKQ_MSG_MAX];
	size_t cut, bit;
	int refused = 0, flips = 0;

	for (cut = 0; cut < len; cut++)
		refused += check(msg, cut) < 0;
	memcpy(d, msg, len);
	d[len] = 0;
	refused += check(d, len + 1) < 0;
	is_int(refused, len + 1, "%s: every truncation and a byte more are refused", what);
	for (bit = 0; bit < flip_len * 8; bit++) {
		memcpy(d, msg, len);
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		flips += check(d, len) < 0;
	}
	is_int(flips, flip_len * 8, "%s: every single-bit flip (of %zu bytes) is refused", what,
	       flip_len);
}

/* The sessions the checks below open against. */
static struct s2_session d_client, d_server;
static uint8_t d_m1[CKQ_MSG_MAX];
static size_t d_m1_len;

static int chk_m2(const uint8_t *msg, size_t len)
{
	struct s2_session t = d_client;

	return s2_challenge_open(&cli, &t, msg, len);
}

static int chk_m3_pre(const uint8_t *msg, size_t len)
{
	uint8_t sid[CKQ_SID_LEN];

	return s2_response_precheck(&srv, msg, len, sid);
}

static int chk_m3_remac(const uint8_t *msg, size_t len)
{
	uint8_t x[CKQ_MSG_MAX];

	memcpy(x, msg, len);
	if (len == CKQ_S2_MSG3_LEN)
		remac(x, len, srv.mac1_key);
	return s2_response_open(&srv, &d_server, x, len);
}

static int chk_m4(const uint8_t *msg, size_t len)
{
	struct ckq_result r;

	return s2_result_open(&cli, &d_client, msg, len, &r);
}

static int chk_cookie(const uint8_t *msg, size_t len)
{
	uint8_t cookie[CKQ_COOKIE_LEN];

	return s2_cookie_open(&cli, d_m1, d_m1_len, msg, len, cookie);
}

static void test_session(void)
{
	struct ckq_request req = sample("alice"), other_req = sample("alice");
	uint8_t m1[CKQ_MSG_MAX], m2[CKQ_MSG_MAX], m3[CKQ_MSG_MAX], m4[CKQ_MSG_MAX];
	uint8_t x[CKQ_MSG_MAX], sid[CKQ_SID_LEN];
	struct s2_session cs, cs_other, cs2, ss;
	struct ckq_result res = { 0 }, got;
	struct s2_msg1 m;
	size_t l1, l2 = 0, l3 = 0, l4 = 0, lo;

	l1 = build(&req, user_seed, &user, 0, &cs, m1, sizeof(m1));
	if (s2_request_open(&srv, m1, l1, &m) || s2_request_verify(&srv, &user, &m))
		bail_out("message 1");
	ss = m.s;
	if (ckq_random(ss.sid, sizeof(ss.sid)) || ckq_random(ss.ns, sizeof(ss.ns)))
		bail_out("random");

	is_int(s2_challenge_build(&srv, &ss, m2, sizeof(m2), &l2), 0, "message 2 is built");
	is_int(l2, 64, "message 2 is %d bytes", 64);
	cs2 = cs;
	ok(s2_challenge_open(&cli, &cs2, m2, l2) == 0 && !memcmp(cs2.sid, ss.sid, 8) &&
	   !memcmp(cs2.ns, ss.ns, 16), "the client opens it and learns sid and N_S");
	d_client = cs;
	damage("message 2", m2, l2, l2, chk_m2);

	is_int(s2_response_build(&cli, &cs2, m3, sizeof(m3), &l3), 0, "message 3 is built");
	is_int(l3, 64, "message 3 is %d bytes", 64);
	ok(s2_response_precheck(&srv, m3, l3, sid) == CKQ_MSG_RESPONSE && !memcmp(sid, ss.sid, 8),
	   "its pre-check passes and gives the sid");
	is_int(s2_response_open(&srv, &ss, m3, l3), 0, "the server opens it: N_S is back");
	d_server = ss;
	damage("message 3, pre-check", m3, l3, l3, chk_m3_pre);
	/* With mac1 made again after the flip, flips in mac1 itself are undone. */
	damage("message 3, mac1 made again", m3, l3, l3 - CKQ_MAC1_LEN, chk_m3_remac);

	res.status = CKQ_RES_GRANTED;
	res.addr = req.addr;
	res.proto = CKQ_PROTO_TCP;
	res.port = 22;
	res.expires = 1700000300;
	is_int(s2_result_build(&srv, &ss, &res, m4, sizeof(m4), &l4), 0, "message 4 is built");
	is_int(l4, 61, "message 4 is %d bytes", 61);
	ok(s2_result_open(&cli, &cs2, m4, l4, &got) == 0 && got.status == res.status &&
	   !memcmp(&got.addr, &res.addr, sizeof(res.addr)) && got.proto == res.proto &&
	   got.port == res.port && got.expires == res.expires, "the client reads the result");
	d_client = cs2;
	damage("message 4", m4, l4, l4, chk_m4);

	/* Reflection and type confusion: each key, nonce and label is its message's. */
	memcpy(x, m2, l2);
	x[5] = CKQ_MSG_RESULT;
	ok(s2_result_open(&cli, &cs2, x, l2, &got) < 0, "message 2 relabelled as a result is refused");
	memcpy(x, m3, l3 - CKQ_MAC1_LEN);
	x[5] = CKQ_MSG_CHALLENGE;
	ok(s2_challenge_open(&cli, &cs2, x, l3 - CKQ_MAC1_LEN) < 0,
	   "message 3 sent back as a challenge is refused");

	/* Another knock's messages. */
	other_req.nc[0] ^= 1;
	build(&other_req, user_seed, &user, 0, &cs_other, x, sizeof(x));
	cs_other.ns[0] = 0;
	ok(s2_challenge_open(&cli, &cs_other, m2, l2) < 0, "another knock's client refuses message 2");
	memcpy(cs_other.sid, ss.sid, 8);
	memcpy(cs_other.ns, ss.ns, 16);
	ok(s2_response_build(&cli, &cs_other, x, sizeof(x), &lo) == 0 &&
	   s2_response_open(&srv, &ss, x, lo) < 0, "another knock's message 3 is refused");
	cs2.nc[0] ^= 1;
	cs2.sid[0] ^= 1;
	is_int(s2_challenge_open(&cli, &cs2, m2, l2), CKQ_ERR_NONCE,
	       "a challenge that does not carry the client's N_C is refused");
	ss.ns[0] ^= 1;
	is_int(s2_response_open(&srv, &ss, m3, l3), CKQ_ERR_NONCE,
	       "a response that does not carry the server's N_S is refused");

	/* Suite 1's parsers on suite 2's message 3, relabelled and with mac1 made again. */
	{
		struct ckq_key *s1;
		uint8_t *pem;
		size_t n;

		pem = slurp("server.pub", &n);
		if (key_from_pem(pem, n, false, &s1))
			bail_out("server.pub");
		free(pem);
		is_int(proto_precheck(s1, m3, l3), CKQ_ERR_SUITE, "suite 1 refuses a suite 2 message 3");
		memcpy(x, m3, l3);
		x[4] = CKQ_SUITE_1;
		remac(x, l3, s1->mac1_key);
		ok(proto_precheck(s1, x, l3) < 0, "and relabelled, with mac1 made again");
		key_free(s1);
	}
}

static void test_cookie(void)
{
	struct ckq_request req = sample("alice");
	uint8_t m1[CKQ_MSG_MAX], m1b[CKQ_MSG_MAX], c[CKQ_MSG_MAX], x[CKQ_MSG_MAX];
	uint8_t cookie[CKQ_COOKIE_LEN] = { 7, 7, 7 }, got[CKQ_COOKIE_LEN];
	struct s2_session cs;
	struct ckq_key *s1;
	size_t l1, lo, lc = 0, n;
	uint8_t *pem;

	l1 = build(&req, user_seed, &user, 0, &cs, m1, sizeof(m1));
	lo = build(&req, user_seed, &user, 0, &cs, m1b, sizeof(m1b));
	is_int(s2_cookie_build(&srv, m1, l1, cookie, c, sizeof(c), &lc), 0, "a cookie reply is built");
	is_int(lc, 56, "the cookie reply is %d bytes, smaller than any message 1 (%d)", 56,
	       CKQ_S2_MSG1_MIN);
	ok(s2_cookie_open(&cli, m1, l1, c, lc, got) == 0 && !memcmp(got, cookie, sizeof(got)),
	   "the client reads the cookie");
	is_int(s2_cookie_open(&cli, m1b, lo, c, lc, got), CKQ_ERR_DECRYPT,
	       "not for another message 1");
	memcpy(d_m1, m1, l1);
	d_m1_len = l1;
	damage("cookie reply", c, lc, lc, chk_cookie);

	pem = slurp("server.pub", &n);
	if (key_from_pem(pem, n, false, &s1))
		bail_out("server.pub");
	free(pem);
	is_int(proto_cookie_open(s1, m1, l1, c, lc, got), CKQ_ERR_SUITE,
	       "suite 1 refuses a suite 2 cookie reply");
	memcpy(x, c, lc);
	x[4] = CKQ_SUITE_1;
	is_int(proto_cookie_open(s1, m1, l1, x, lc, got), CKQ_ERR_DECRYPT, "and relabelled too");
	if (proto_cookie_build(s1, m1, l1, cookie, x, sizeof(x), &n))
		bail_out("suite 1 cookie");
	is_int(s2_cookie_open(&cli, m1, l1, x, n, got), CKQ_ERR_SUITE,
	       "suite 2 refuses a suite 1 cookie reply");
	x[4] = CKQ_SUITE_2;
	is_int(s2_cookie_open(&cli, m1, l1, x, n, got), CKQ_ERR_DECRYPT, "and relabelled too");
	key_free(s1);
}

int main(void)
{
	setup();
	test_roundtrip();
	test_damage();
	test_suites();
	test_golden();
	test_session();
	test_cookie();
	x25519_free(server_key);
	return done_testing();
}
