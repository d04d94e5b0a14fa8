/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Suite 2's key schedule (doc/protocol.md 11.2). The expected keys were
 * computed once, outside ckq, with Python's cryptography and hashlib from
 * the RFC 7748 6.1 keys (Alice's as the client's ephemeral key, Bob's as
 * the server's static key) and H1 = 00 01 .. 1f.
 */
#include <string.h>

#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "suite2.h"
#include "tap.h"

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

static bool eq_hex(const uint8_t *got, const char *want)
{
	uint8_t w[32];

	unhex(want, w, 32);
	return memcmp(got, w, 32) == 0;
}

int main(void)
{
	uint8_t e[32], s[32], h1[32], prk_c[32], k1_c[32], prk_s[32], k1_s[32];
	uint8_t s2c_c[32], c2s_c[32], s2c_s[32], c2s_s[32], mac1[32], e2[32], x[32], y[32];
	struct ckq_x25519 *eph, *srv;
	size_t i;

	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", e, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", s, 32);
	for (i = 0; i < 32; i++)
		h1[i] = (uint8_t)i;
	if (x25519_from_raw(e, &eph) || x25519_from_raw(s, &srv))
		bail_out("keys");

	ok(s2_mac1_key(srv->pub, mac1) == 0 &&
	   eq_hex(mac1, "6487ae25b3a9e7e22fd7eccd7975fe65790922213504c8c2e3ecab1eb12c4d14"),
	   "mac1key");
	ok(s2_request_keys(eph, srv->pub, srv->pub, eph->pub, prk_c, k1_c) == 0 &&
	   eq_hex(prk_c, "fcfde7ec8ec7f7d4f0b3c0268f91393c2a8f4d3b6a55b035a7d2b05084807c4f") &&
	   eq_hex(k1_c, "f22c4e1ed17ec0ffaca39698b30bd1cbab9e7caceab5335efb14ed0db1620e89"),
	   "the client's PRK and K1");
	ok(s2_request_keys(srv, eph->pub, srv->pub, eph->pub, prk_s, k1_s) == 0 &&
	   memcmp(prk_c, prk_s, 32) == 0 && memcmp(k1_c, k1_s, 32) == 0,
	   "the server derives the same");
	ok(s2_session_keys(prk_c, h1, s2c_c, c2s_c) == 0 &&
	   eq_hex(s2c_c, "1ad9df91993c1c2cb54315c4a8e1581ad30a053156747b86df94a1fed84bb899") &&
	   eq_hex(c2s_c, "74c7088eea101d865505a5d47e92d700857799e26cb808c0d3080a74e94242e6"),
	   "K_s2c and K_c2s");
	ok(s2_session_keys(prk_s, h1, s2c_s, c2s_s) == 0 && memcmp(s2c_c, s2c_s, 32) == 0 &&
	   memcmp(c2s_c, c2s_s, 32) == 0 && memcmp(s2c_c, c2s_c, 32) != 0,
	   "the server's session keys are the same, one per direction");
	h1[31] ^= 1;
	ok(s2_session_keys(prk_s, h1, s2c_s, c2s_s) == 0 && memcmp(s2c_c, s2c_s, 32) != 0 &&
	   memcmp(c2s_c, c2s_s, 32) != 0, "another H1 gives other session keys");

	/*
	 * E_C with its top bit set: RFC 7748 ignores that bit, so the X25519
	 * secret is the same; binding E_C's bytes makes the keys differ.
	 */
	memcpy(e2, eph->pub, 32);
	e2[31] |= 0x80;
	ok(x25519_derive(srv, eph->pub, x) == 0 && x25519_derive(srv, e2, y) == 0 &&
	   memcmp(x, y, 32) == 0, "E_C with its top bit set gives the same X25519 secret");
	ok(s2_request_keys(srv, e2, srv->pub, e2, prk_s, k1_s) == 0 &&
	   memcmp(prk_c, prk_s, 32) != 0 && memcmp(k1_c, k1_s, 32) != 0,
	   "but other keys");
	ok(s2_request_keys(srv, eph->pub, eph->pub, eph->pub, prk_s, k1_s) == 0 &&
	   memcmp(k1_c, k1_s, 32) != 0, "another server key in the schedule gives other keys");

	memset(e2, 0, 32);
	is_int(s2_request_keys(srv, e2, srv->pub, e2, prk_s, k1_s), CKQ_ERR_KEY,
	       "an E_C of small order is refused");
	x25519_free(eph);
	x25519_free(srv);
	return done_testing();
}
