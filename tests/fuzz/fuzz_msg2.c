/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness for suite 2's parsers (src/lib/proto2.c,
 * proto2_session.c): message 1 as the server reads it, messages 2 to 4 and
 * the cookie reply under a fixed session. The seeds in corpus/msg2/ are
 * tests/data/s2msg1.bin (sealed to the server key below) and messages 2 to
 * 5 sealed under the session below, built once with this library.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto.h"
#include "crypto25519.h"
#include "err.h"
#include "fuzz.h"
#include "proto.h"
#include "proto2.h"
#include "sshkey.h"

/* Test-only keys, public in this repository (tests/unit/test_proto2.c). */
static const uint8_t server_priv[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80,
	0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27,
	0xff, 0x88, 0xe0, 0xeb,
};
static const uint8_t user_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
	0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
	0xf7, 0x07, 0x51, 0x1a,
};

static struct ckq_x25519 *key;
static struct s2_server srv;
static struct ckq_sshkey plain, sk;
/* The session of the seeds: every field i + its offset, all fixed. */
static struct s2_session session;
/* The message 1 core the cookie seeds answer: its last 16 bytes stand for mac1. */
static uint8_t m1_core[CKQ_S2_MSG1_MIN];

static void fuzz_setup(void)
{
	uint8_t *p = (uint8_t *)&session;
	size_t i;

	CHECK(x25519_from_raw(server_priv, &key) == 0);
	CHECK(s2_server_init(key->pub, key, &srv) == 0);
	/* The user's key as a blob: string type, string key (, string application). */
	{
		static const char t_ed[] = "\0\0\0\x0bssh-ed25519\0\0\0\x20";
		static const char t_sk[] = "\0\0\0\x1ask-ssh-ed25519@openssh.com\0\0\0\x20";
		uint8_t blob[128];

		memcpy(blob, t_ed, sizeof(t_ed) - 1);
		memcpy(blob + sizeof(t_ed) - 1, user_pub, 32);
		CHECK(sshkey_from_blob(blob, sizeof(t_ed) - 1 + 32, &plain) == 0);
		memcpy(blob, t_sk, sizeof(t_sk) - 1);
		memcpy(blob + sizeof(t_sk) - 1, user_pub, 32);
		memcpy(blob + sizeof(t_sk) - 1 + 32, "\0\0\0\x04ssh:", 8);
		CHECK(sshkey_from_blob(blob, sizeof(t_sk) - 1 + 40, &sk) == 0);
	}
	for (i = 0; i < sizeof(session); i++)
		p[i] = (uint8_t)i;
	for (i = 0; i < sizeof(m1_core); i++)
		m1_core[i] = (uint8_t)(0xa0 + i);
}

static void check_msg1(const uint8_t *data, size_t size)
{
	struct s2_msg1 m;
	size_t core = 0;
	int r;

	r = s2_request_precheck(&srv, data, size);
	CHECK(r == CKQ_MSG_REQUEST || r < 0);
	r = s2_request_core_len(data, size, &core);
	if (r < 0)
		return;
	CHECK(core == size || core + CKQ_MAC2_LEN == size);
	CHECK(core >= CKQ_S2_MSG1_MIN && core <= CKQ_S2_MSG1_MAX - CKQ_MAC2_LEN);
	r = s2_request_open(&srv, data, core, &m);
	if (r < 0)
		return;
	/* What opened is a well-formed request, whatever the signature. */
	CHECK(user_name_valid(m.req.user, strlen(m.req.user)));
	CHECK(m.req.port != 0 && m.req.otp <= 99999999);
	CHECK(m.req.request == CKQ_REQ_OPEN || m.req.request == CKQ_REQ_CLOSE);
	CHECK(m.sig_kind == CKQ_S2_SIGKIND_ED25519 || m.sig_kind == CKQ_S2_SIGKIND_SK);
	r = s2_request_verify(&srv, &plain, &m);
	CHECK(r == 0 || r == CKQ_ERR_SIGNATURE);
	r = s2_request_verify(&srv, &sk, &m);
	CHECK(r == 0 || r == CKQ_ERR_SIGNATURE);
	/* Only the golden seed's signature verifies, and only as the sk key's. */
	if (r == 0)
		CHECK(m.sig_kind == CKQ_S2_SIGKIND_SK && (m.sig[64] & CKQ_SK_FLAG_UP));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct s2_session s;
	struct ckq_result res;
	uint8_t sid[CKQ_SID_LEN], cookie[CKQ_COOKIE_LEN];
	int r;

	if (!ready) {
		fuzz_setup();
		ready = true;
	}
	if (size > CKQ_MSG_MAX)
		return 0;
	check_msg1(data, size);

	s = session;
	r = s2_challenge_open(&srv, &s, data, size);
	CHECK(r <= 0);
	if (r == 0)
		CHECK(!memcmp(s.nc, session.nc, CKQ_NONCE_LEN));
	else
		CHECK(!memcmp(&s, &session, sizeof(s)));

	r = s2_response_precheck(&srv, data, size, sid);
	CHECK(r == CKQ_MSG_RESPONSE || r < 0);
	r = s2_response_open(&srv, &session, data, size);
	CHECK(r <= 0);
	if (r == 0)
		CHECK(size == CKQ_S2_MSG3_LEN);

	r = s2_result_open(&srv, &session, data, size, &res);
	CHECK(r <= 0);
	if (r == 0)
		CHECK(res.status == CKQ_RES_GRANTED || res.status == CKQ_RES_CLOSED);

	r = s2_cookie_open(&srv, m1_core, sizeof(m1_core), data, size, cookie);
	CHECK(r <= 0);
	ERR_clear_error();
	return 0;
}
