/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "crypto.h"
#include "err.h"
#include "proto.h"
#include "tap.h"

/* Server A and B, clients alice and bob; generated once. */
static struct ckq_key *srv, *srv_b, *alice, *bob;

/* Everything one knock leaves behind, both sides. */
struct run {
	struct ckq_session cs0;		/* client, before message 2 */
	struct ckq_session cs;		/* client, after message 2 */
	struct ckq_session ss;		/* server */
	struct ckq_msg1 m;
	uint8_t m1[CKQ_MSG_MAX], m2[CKQ_MSG_MAX], m3[CKQ_MSG_MAX], m4[CKQ_MSG_MAX];
	size_t l1, l2, l3, l4;
};

/* is_int() that also says whether it held, so a sequence can stop early. */
__attribute__((format(printf, 3, 4)))
static int rc_is(int got, int want, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!ok(got == want, "%s", what))
		printf("#   got %d (%s), expected %d\n", got, ckq_strerror(got), want);
	return got == want;
}

static void flip(uint8_t *p, size_t bit)
{
	p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void remac(const struct ckq_key *server, uint8_t *msg, size_t len)
{
	if (mac1_compute(server->mac1_key, msg, len - CKQ_MAC1_LEN, msg + len - CKQ_MAC1_LEN) < 0)
		bail_out("mac1_compute");
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct ckq_request make_req(const char *user, const char *addr, uint8_t request,
				   uint8_t proto, uint16_t port)
{
	struct ckq_request r;
	size_t i;

	memset(&r, 0, sizeof(r));
	snprintf(r.user, sizeof(r.user), "%s", user);
	if (addr_parse(addr, &r.addr) < 0)
		bail_out("addr_parse");
	r.request = request;
	r.proto = proto;
	r.port = port;
	r.duration = 300;
	r.timestamp = 1700000000;
	r.otp = 123456;
	for (i = 0; i < CKQ_NONCE_LEN; i++)
		r.nc[i] = (uint8_t)(0xc0 + i);
	return r;
}

static bool req_equal(const struct ckq_request *a, const struct ckq_request *b)
{
	return !strcmp(a->user, b->user) && a->request == b->request &&
	       a->addr.family == b->addr.family && !memcmp(a->addr.a, b->addr.a, 16) &&
	       a->proto == b->proto && a->port == b->port && a->duration == b->duration &&
	       a->timestamp == b->timestamp && a->otp == b->otp &&
	       !memcmp(a->nc, b->nc, CKQ_NONCE_LEN);
}

static bool res_equal(const struct ckq_result *a, const struct ckq_result *b)
{
	return a->status == b->status && a->addr.family == b->addr.family &&
	       !memcmp(a->addr.a, b->addr.a, 16) && a->proto == b->proto &&
	       a->port == b->port && a->expires == b->expires;
}

/* The four messages, with a check at every step; returns whether all held. */
static bool exchange(const struct ckq_key *server, const struct ckq_key *client,
		     const struct ckq_request *req, const struct ckq_result *res,
		     struct run *r, const char *tag)
{
	struct ckq_result got;
	uint8_t sid[CKQ_SID_LEN];
	int rc, all = 1;

	memset(r, 0, sizeof(*r));
	rc = proto_request_build(server, client, req, &r->cs0, r->m1, sizeof(r->m1), &r->l1);
	all &= rc_is(rc, 0, "%s: request_build", tag);
	all &= ok(r->l1 <= CKQ_MSG_MAX, "%s: message 1 fits (%zu bytes)", tag, r->l1);
	all &= rc_is(proto_precheck(server, r->m1, r->l1), CKQ_MSG_REQUEST, "%s: precheck 1", tag);
	rc = proto_request_open(server, r->m1, r->l1, &r->m);
	all &= rc_is(rc, 0, "%s: request_open", tag);
	all &= rc_is(proto_request_verify(server, client, &r->m), 0, "%s: request_verify", tag);
	all &= ok(req_equal(&r->m.req, req), "%s: every request field round-trips", tag);
	all &= ok(!memcmp(r->m.s.k, r->cs0.k, CKQ_SKEY_LEN) &&
		  !memcmp(r->m.s.h1, r->cs0.h1, CKQ_HASH_LEN) &&
		  !memcmp(r->m.s.nc, req->nc, CKQ_NONCE_LEN), "%s: both ends share K, h1, nc", tag);

	r->ss = r->m.s;
	if (ckq_random(r->ss.sid, CKQ_SID_LEN) < 0 || ckq_random(r->ss.ns, CKQ_NONCE_LEN) < 0)
		bail_out("ckq_random");
	rc = proto_challenge_build(server, &r->ss, r->m2, sizeof(r->m2), &r->l2);
	all &= rc_is(rc, 0, "%s: challenge_build", tag);
	r->cs = r->cs0;
	all &= rc_is(proto_challenge_open(server, &r->cs, r->m2, r->l2), 0,
			 "%s: challenge_open", tag);
	all &= ok(!memcmp(r->cs.sid, r->ss.sid, CKQ_SID_LEN) &&
		  !memcmp(r->cs.ns, r->ss.ns, CKQ_NONCE_LEN), "%s: client learns sid and ns", tag);

	rc = proto_response_build(server, client, &r->cs, r->m3, sizeof(r->m3), &r->l3);
	all &= rc_is(rc, 0, "%s: response_build", tag);
	all &= rc_is(proto_precheck(server, r->m3, r->l3), CKQ_MSG_RESPONSE, "%s: precheck 3", tag);
	memset(sid, 0, sizeof(sid));
	all &= rc_is(proto_response_sid(r->m3, r->l3, sid), 0, "%s: response_sid", tag);
	all &= ok(!memcmp(sid, r->ss.sid, CKQ_SID_LEN), "%s: response carries the sid", tag);
	all &= rc_is(proto_response_open(server, client, &r->ss, r->m3, r->l3), 0,
			 "%s: response_open", tag);

	rc = proto_result_build(server, &r->ss, res, r->m4, sizeof(r->m4), &r->l4);
	all &= rc_is(rc, 0, "%s: result_build", tag);
	memset(&got, 0xee, sizeof(got));
	all &= rc_is(proto_result_open(server, &r->cs, r->m4, r->l4, &got), 0,
			 "%s: result_open", tag);
	all &= ok(res_equal(&got, res), "%s: every result field round-trips", tag);
	all &= ok(r->l2 <= CKQ_MSG_MAX && r->l3 <= CKQ_MSG_MAX && r->l4 <= CKQ_MSG_MAX,
		  "%s: messages 2..4 fit (%zu, %zu, %zu)", tag, r->l2, r->l3, r->l4);
	return all;
}

static struct run ra;		/* the reference knock: alice, IPv4, open */

static void test_roundtrips(void)
{
	static const char user32[] = "Abc.def_ghi-jkl.mno_pqr-stu.vw09";
	struct ckq_request req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	struct ckq_result res = { .status = CKQ_RES_GRANTED, .addr = req.addr,
				  .proto = CKQ_PROTO_TCP, .port = 22, .expires = 1700000300 };
	static struct run r6;

	if (!exchange(srv, alice, &req, &res, &ra, "IPv4 open tcp/22"))
		bail_out("the reference exchange fails");
	/* The layout, pinned: header, lengths, 2048-bit blobs, tag, mac1. */
	is_int(ra.l1, 8 + 2 + 256 + 2 + (56 + 5 + 256) + 16 + 16, "message 1 length");
	is_int(ra.l2, 8 + 8 + 2 + 32 + 16, "message 2 length");
	is_int(ra.l3, 8 + 8 + 2 + (16 + 2 + 256) + 16 + 16, "message 3 length");
	is_int(ra.l4, 8 + 8 + 2 + 29 + 16, "message 4 length");
	ok(!memcmp(ra.m1, "CKQ\x01\x01\x01\x00\x00", 8), "message 1 header bytes");
	ok(ra.m1[8] == 0x01 && ra.m1[9] == 0x00, "message 1: encrypted key length 256, big-endian");
	ok(!memcmp(ra.m2, "CKQ\x01\x01\x02\x00\x00", 8) && !memcmp(ra.m2 + 8, ra.ss.sid, 8),
	   "message 2 header and sid");
	ok(!memcmp(ra.m3, "CKQ\x01\x01\x03\x00\x00", 8), "message 3 header");
	ok(!memcmp(ra.m4, "CKQ\x01\x01\x04\x00\x00", 8), "message 4 header");

	is_int(strlen(user32), CKQ_USER_MAX, "a user name at the length limit");
	req = make_req(user32, "2001:db8::1:2", CKQ_REQ_CLOSE, CKQ_PROTO_UDP, 65535);
	req.duration = 0;
	req.timestamp = UINT64_MAX - 1;
	req.otp = 99999999;
	res = (struct ckq_result){ .status = CKQ_RES_CLOSED, .addr = req.addr,
				   .proto = CKQ_PROTO_UDP, .port = 65535, .expires = 0 };
	exchange(srv, bob, &req, &res, &r6, "IPv6 close udp/65535, 32-char user");
	res.status = CKQ_RES_GRANTED;
	res.expires = UINT64_MAX;
	exchange(srv, bob, &req, &res, &r6, "IPv6, granted, far expiry");
}

static void test_large_keys(void)
{
	static const char user32[] = "abcdefghijklmnopqrstuvwxyz012345";
	struct ckq_key *s4 = NULL, *c4 = NULL;
	struct ckq_request req = make_req(user32, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
					  CKQ_REQ_OPEN, CKQ_PROTO_TCP, 443);
	struct ckq_result res = { .status = CKQ_RES_GRANTED, .addr = req.addr,
				  .proto = CKQ_PROTO_TCP, .port = 443, .expires = 1 };
	static struct run r;

	if (key_generate(4096, &s4) < 0 || key_generate(4096, &c4) < 0)
		bail_out("key_generate(4096)");
	exchange(s4, c4, &req, &res, &r, "4096-bit keys");
	ok(r.l1 <= 1156, "4096-bit message 1 is at most 1156 bytes");
	is_int(r.l1, 8 + 2 + 512 + 2 + (56 + 32 + 512) + 16 + 16, "4096-bit message 1: exact length");
	is_int(r.l3, 8 + 8 + 2 + (16 + 2 + 512) + 16 + 16, "4096-bit message 3: exact length");
	/* Mixed sizes: the size fields, not an assumption, carry the lengths. */
	exchange(s4, alice, &req, &res, &r, "4096-bit server, 2048-bit client");
	exchange(srv, c4, &req, &res, &r, "2048-bit server, 4096-bit client");
	is_int(proto_precheck(s4, ra.m1, ra.l1), CKQ_ERR_FORMAT,
	       "a message 1 for a 2048-bit server at a 4096-bit one: ek_len refused");
	key_free(s4);
	key_free(c4);
}

static void test_truncations(void)
{
	struct ckq_msg1 m;
	size_t n;
	int pre = 0, open = 0;

	for (n = 0; n < ra.l1; n++) {
		if (proto_precheck(srv, ra.m1, n) >= 0)
			pre++;
		if (proto_request_open(srv, ra.m1, n, &m) >= 0)
			open++;
	}
	is_int(pre, 0, "every truncation of message 1 fails precheck");
	is_int(open, 0, "every truncation of message 1 fails request_open");

	pre = open = 0;
	for (n = 0; n < ra.l3; n++) {
		if (proto_precheck(srv, ra.m3, n) >= 0)
			pre++;
		if (proto_response_open(srv, alice, &ra.ss, ra.m3, n) >= 0)
			open++;
	}
	is_int(pre, 0, "every truncation of message 3 fails precheck");
	is_int(open, 0, "every truncation of message 3 fails response_open");

	/* The receivers of 2 and 4 have no mac1 to lean on. */
	pre = open = 0;
	for (n = 0; n < ra.l2; n++) {
		struct ckq_session t = ra.cs0;

		if (proto_challenge_open(srv, &t, ra.m2, n) >= 0)
			pre++;
	}
	for (n = 0; n < ra.l4; n++) {
		struct ckq_result res;

		if (proto_result_open(srv, &ra.cs, ra.m4, n, &res) >= 0)
			open++;
	}
	is_int(pre, 0, "every truncation of message 2 fails challenge_open");
	is_int(open, 0, "every truncation of message 4 fails result_open");

	is_int(proto_response_sid(ra.m3, CKQ_HDR_LEN + CKQ_SID_LEN - 1, (uint8_t[8]){ 0 }),
	       CKQ_ERR_TRUNCATED, "response_sid on 15 bytes");
	is_int(proto_response_sid(ra.m3, CKQ_HDR_LEN + CKQ_SID_LEN, (uint8_t[8]){ 0 }), 0,
	       "response_sid needs only header and sid");
}

static void test_extensions(void)
{
	static uint8_t buf[CKQ_MSG_MAX + 1];
	struct ckq_session t = ra.cs0;
	struct ckq_msg1 m;
	struct ckq_result res;

	/* One byte more, re-mac'd: the inner length fields must still refuse. */
	memcpy(buf, ra.m1, ra.l1);
	buf[ra.l1] = 0;
	remac(srv, buf, ra.l1 + 1);
	is_int(proto_precheck(srv, buf, ra.l1 + 1), CKQ_ERR_FORMAT,
	       "message 1 + 1 byte, re-mac'd: precheck refuses the layout");
	is_int(proto_request_open(srv, buf, ra.l1 + 1, &m), CKQ_ERR_FORMAT,
	       "message 1 + 1 byte: request_open refuses");
	memcpy(buf, ra.m3, ra.l3);
	buf[ra.l3] = 0;
	remac(srv, buf, ra.l3 + 1);
	is_int(proto_precheck(srv, buf, ra.l3 + 1), CKQ_ERR_FORMAT,
	       "message 3 + 1 byte, re-mac'd: precheck refuses the layout");
	is_int(proto_response_open(srv, alice, &ra.ss, buf, ra.l3 + 1), CKQ_ERR_FORMAT,
	       "message 3 + 1 byte: response_open refuses");
	memcpy(buf, ra.m2, ra.l2);
	is_int(proto_challenge_open(srv, &t, buf, ra.l2 + 1), CKQ_ERR_FORMAT,
	       "message 2 + 1 byte refused");
	memcpy(buf, ra.m4, ra.l4);
	is_int(proto_result_open(srv, &ra.cs, buf, ra.l4 + 1, &res), CKQ_ERR_FORMAT,
	       "message 4 + 1 byte refused");
	memset(buf, 0, sizeof(buf));
	memcpy(buf, ra.m1, ra.l1);
	is_int(proto_precheck(srv, buf, CKQ_MSG_MAX + 1), CKQ_ERR_FORMAT,
	       "precheck refuses more than CKQ_MSG_MAX bytes");
	is_int(proto_request_open(srv, buf, CKQ_MSG_MAX + 1, &m), CKQ_ERR_FORMAT,
	       "request_open refuses more than CKQ_MSG_MAX bytes");
}

static void test_flips_msg1(void)
{
	static uint8_t buf[CKQ_MSG_MAX];
	const size_t ct_at = CKQ_HDR_LEN + 2 + srv->size, end = ra.l1 - CKQ_MAC1_LEN;
	struct ckq_msg1 m;
	size_t bit, i;
	int pre = 0, open = 0, mac = 0, lens = 0;

	memcpy(buf, ra.m1, ra.l1);
	for (bit = 0; bit < ra.l1 * 8; bit++) {
		size_t at = bit / 8;
		int rc, want = CKQ_ERR_MAC;

		flip(buf, bit);
		/* A length field flipped: too long runs off the end, else a mismatch. */
		if (at == CKQ_HDR_LEN || at == CKQ_HDR_LEN + 1)
			want = CKQ_HDR_LEN + 2 + (size_t)get_u16(buf + CKQ_HDR_LEN) > end ?
			       CKQ_ERR_TRUNCATED : CKQ_ERR_FORMAT;
		else if (at == ct_at || at == ct_at + 1)
			want = get_u16(buf + ct_at) > get_u16(ra.m1 + ct_at) ?
			       CKQ_ERR_TRUNCATED : CKQ_ERR_FORMAT;
		rc = proto_precheck(srv, buf, ra.l1);
		if (rc >= 0)
			pre++;
		if (bit >= CKQ_HDR_LEN * 8 && rc != want)
			mac++;
		if (want != CKQ_ERR_MAC && rc == want)
			lens++;
		flip(buf, bit);
	}
	is_int(pre, 0, "every single-bit flip of message 1 fails precheck (%zu bits)", ra.l1 * 8);
	is_int(mac, 0, "past the header, each with the layout's code or CKQ_ERR_MAC");
	is_int(lens, 32, "the 32 bits of ek_len and ct_len are refused by the layout");

	/* Past mac1: an attacker who knows the server's public key. */
	for (i = 0; i < ra.l1 - CKQ_MAC1_LEN; i++) {
		memcpy(buf, ra.m1, ra.l1);
		buf[i] ^= (uint8_t)(1u << (i % 8));
		remac(srv, buf, ra.l1);
		if (proto_request_open(srv, buf, ra.l1, &m) == 0 &&
		    proto_request_verify(srv, alice, &m) == 0)
			open++;
	}
	is_int(open, 0, "every byte of message 1 flipped and re-mac'd: open or verify refuses");
}

static void test_flips_others(void)
{
	static uint8_t buf[CKQ_MSG_MAX];
	struct ckq_result res;
	size_t bit;
	int bad;

	bad = 0;
	memcpy(buf, ra.m2, ra.l2);
	for (bit = 0; bit < ra.l2 * 8; bit++) {
		struct ckq_session t = ra.cs0;

		flip(buf, bit);
		if (proto_challenge_open(srv, &t, buf, ra.l2) >= 0)
			bad++;
		flip(buf, bit);
	}
	is_int(bad, 0, "every single-bit flip of message 2 fails challenge_open");

	bad = 0;
	for (bit = 0; bit < ra.l3 * 8; bit++) {
		memcpy(buf, ra.m3, ra.l3);
		flip(buf, bit);
		if (bit < (ra.l3 - CKQ_MAC1_LEN) * 8) {
			remac(srv, buf, ra.l3);
			if (proto_response_open(srv, alice, &ra.ss, buf, ra.l3) >= 0)
				bad++;
		} else if (proto_precheck(srv, buf, ra.l3) != CKQ_ERR_MAC) {
			bad++;
		}
	}
	is_int(bad, 0, "every single-bit flip of message 3 (re-mac'd) is refused");

	bad = 0;
	memcpy(buf, ra.m4, ra.l4);
	for (bit = 0; bit < ra.l4 * 8; bit++) {
		flip(buf, bit);
		if (proto_result_open(srv, &ra.cs, buf, ra.l4, &res) >= 0)
			bad++;
		flip(buf, bit);
	}
	is_int(bad, 0, "every single-bit flip of message 4 fails result_open");
}

/* A datagram that fails authentication must not touch the client's session. */
static void test_challenge_forgery_keeps_session(void)
{
	struct ckq_session t = ra.cs, before = ra.cs;
	uint8_t buf[CKQ_MSG_MAX];

	memcpy(buf, ra.m2, ra.l2);
	buf[CKQ_HDR_LEN] ^= 0xff;
	ok(proto_challenge_open(srv, &t, buf, ra.l2) < 0, "forged challenge with another sid refused");
	ok(!memcmp(&t, &before, sizeof(t)), "and the client's session is unchanged");
}

static void test_wrong_parties(void)
{
	static uint8_t buf[CKQ_MSG_MAX];
	struct ckq_msg1 m;

	is_int(proto_precheck(srv_b, ra.m1, ra.l1), CKQ_ERR_MAC, "message 1 for server A at B: CKQ_ERR_MAC");
	is_int(proto_precheck(srv_b, ra.m3, ra.l3), CKQ_ERR_MAC, "message 3 for server A at B: CKQ_ERR_MAC");
	memcpy(buf, ra.m1, ra.l1);
	remac(srv_b, buf, ra.l1);
	is_int(proto_precheck(srv_b, buf, ra.l1), CKQ_MSG_REQUEST, "re-mac'd for B: precheck passes");
	is_int(proto_request_open(srv_b, buf, ra.l1, &m), CKQ_ERR_DECRYPT,
	       "re-mac'd for B: request_open fails to decrypt");
	memcpy(buf, ra.m3, ra.l3);
	remac(srv_b, buf, ra.l3);
	is_int(proto_response_open(srv_b, alice, &ra.ss, buf, ra.l3), CKQ_ERR_DECRYPT,
	       "message 3 re-mac'd for B, with A's session: fails to decrypt");
	is_int(proto_result_open(srv_b, &ra.cs, ra.m4, ra.l4, &(struct ckq_result){ 0 }),
	       CKQ_ERR_DECRYPT, "message 4 from A opened as B's fails");

	is_int(proto_request_verify(srv, bob, &ra.m), CKQ_ERR_SIGNATURE,
	       "message 1 verified with another client's key fails");
	is_int(proto_response_open(srv, bob, &ra.ss, ra.m3, ra.l3), CKQ_ERR_SIGNATURE,
	       "message 3 verified with another client's key fails");
	is_int(proto_request_verify(srv, alice, &ra.m), 0, "and with the right key still passes");
}

static void test_wrong_direction(void)
{
	static uint8_t buf[CKQ_MSG_MAX];
	struct ckq_session t = ra.cs0;
	struct ckq_result res;
	struct ckq_msg1 m;

	is_int(proto_result_open(srv, &ra.cs, ra.m2, ra.l2, &res), CKQ_ERR_TYPE,
	       "a challenge fed to result_open: CKQ_ERR_TYPE");
	is_int(proto_challenge_open(srv, &t, ra.m4, ra.l4), CKQ_ERR_TYPE,
	       "a result fed to challenge_open: CKQ_ERR_TYPE");
	is_int(proto_response_open(srv, alice, &ra.ss, ra.m2, ra.l2), CKQ_ERR_TYPE,
	       "a challenge fed to response_open: CKQ_ERR_TYPE");
	is_int(proto_result_open(srv, &ra.cs, ra.m3, ra.l3, &res), CKQ_ERR_TYPE,
	       "a response fed to result_open: CKQ_ERR_TYPE");
	is_int(proto_precheck(srv, ra.m2, ra.l2), CKQ_ERR_TYPE, "precheck refuses a challenge");
	is_int(proto_precheck(srv, ra.m4, ra.l4), CKQ_ERR_TYPE, "precheck refuses a result");
	is_int(proto_request_open(srv, ra.m3, ra.l3, &m), CKQ_ERR_TYPE,
	       "a response fed to request_open: CKQ_ERR_TYPE");

	/* The type byte rewritten: the AEAD's associated data must notice. */
	memcpy(buf, ra.m2, ra.l2);
	buf[5] = CKQ_MSG_RESULT;
	is_int(proto_result_open(srv, &ra.cs, buf, ra.l2, &res), CKQ_ERR_DECRYPT,
	       "a challenge retyped as a result is refused");
	memcpy(buf, ra.m4, ra.l4);
	buf[5] = CKQ_MSG_CHALLENGE;
	t = ra.cs0;
	is_int(proto_challenge_open(srv, &t, buf, ra.l4), CKQ_ERR_DECRYPT,
	       "a result retyped as a challenge is refused");
	/*
	 * Retyped, with the length fields rewritten to the other layout: a
	 * response is too short to hold a request's body, and a request laid
	 * out as a response passes the pre-check but not the AEAD.
	 */
	memcpy(buf, ra.m3, ra.l3);
	buf[5] = CKQ_MSG_REQUEST;
	put_u16(buf + CKQ_HDR_LEN, (uint16_t)srv->size);
	put_u16(buf + CKQ_HDR_LEN + 2 + srv->size,
		(uint16_t)(ra.l3 - CKQ_MAC1_LEN - (CKQ_HDR_LEN + 4 + srv->size)));
	remac(srv, buf, ra.l3);
	is_int(proto_precheck(srv, buf, ra.l3), CKQ_ERR_FORMAT,
	       "a response retyped and laid out as a request, re-mac'd: precheck refuses");
	is_int(proto_request_open(srv, buf, ra.l3, &m), CKQ_ERR_FORMAT,
	       "and so does request_open");
	memcpy(buf, ra.m1, ra.l1);
	buf[5] = CKQ_MSG_RESPONSE;
	put_u16(buf + CKQ_HDR_LEN + CKQ_SID_LEN,
		(uint16_t)(ra.l1 - CKQ_MAC1_LEN - (CKQ_HDR_LEN + CKQ_SID_LEN + 2)));
	remac(srv, buf, ra.l1);
	is_int(proto_precheck(srv, buf, ra.l1), CKQ_MSG_RESPONSE,
	       "a request retyped and laid out as a response, re-mac'd: precheck passes");
	ok(proto_response_open(srv, alice, &ra.ss, buf, ra.l1) < 0, "is refused by response_open");
	memcpy(buf, ra.m3, ra.l3);
	buf[5] = CKQ_MSG_RESULT;
	is_int(proto_result_open(srv, &ra.cs, buf, ra.l3 - CKQ_MAC1_LEN, &res), CKQ_ERR_DECRYPT,
	       "a response retyped as a result, mac1 cut, is refused");
}

static void test_other_session(void)
{
	struct ckq_request req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	struct ckq_result res = { .status = CKQ_RES_GRANTED, .addr = req.addr,
				  .proto = CKQ_PROTO_TCP, .port = 22, .expires = 1700000300 };
	static struct run rb;
	struct ckq_session t, s;
	uint8_t buf[CKQ_MSG_MAX];
	size_t len;

	/* Same request, same nc: only K and h1 tell the sessions apart. */
	exchange(srv, alice, &req, &res, &rb, "second knock");
	ok(memcmp(rb.cs0.k, ra.cs0.k, CKQ_SKEY_LEN) != 0, "a fresh K per knock");
	t = ra.cs0;
	is_int(proto_challenge_open(srv, &t, rb.m2, rb.l2), CKQ_ERR_DECRYPT,
	       "a challenge from another session is refused");
	is_int(proto_result_open(srv, &ra.cs, rb.m4, rb.l4, &res), CKQ_ERR_NOENT,
	       "a result from another session (other sid) is refused");
	s = rb.ss;
	memcpy(s.sid, ra.ss.sid, CKQ_SID_LEN);
	if (proto_result_build(srv, &s, &res, buf, sizeof(buf), &len) < 0)
		bail_out("result_build");
	is_int(proto_result_open(srv, &ra.cs, buf, len, &res), CKQ_ERR_DECRYPT,
	       "a result from another session under the same sid is refused");
	is_int(proto_response_open(srv, alice, &ra.ss, rb.m3, rb.l3), CKQ_ERR_NOENT,
	       "a response from another session is refused");

	/* Same K, but h1 of another message 1: the signature binds message 1. */
	s = ra.ss;
	memcpy(s.h1, rb.ss.h1, CKQ_HASH_LEN);
	is_int(proto_response_open(srv, alice, &s, ra.m3, ra.l3), CKQ_ERR_DECRYPT,
	       "a response bound to another message 1 is refused");
}

static void test_nonces(void)
{
	struct ckq_session c = ra.cs, s = ra.ss;
	uint8_t buf[CKQ_MSG_MAX];
	size_t len;

	c.ns[3] ^= 0x10;
	if (proto_response_build(srv, alice, &c, buf, sizeof(buf), &len) < 0)
		bail_out("response_build");
	is_int(proto_precheck(srv, buf, len), CKQ_MSG_RESPONSE, "response with a wrong ns: precheck");
	is_int(proto_response_open(srv, alice, &ra.ss, buf, len), CKQ_ERR_NONCE,
	       "response with a wrong ns: CKQ_ERR_NONCE");

	s.nc[0] ^= 0x01;
	if (proto_challenge_build(srv, &s, buf, sizeof(buf), &len) < 0)
		bail_out("challenge_build");
	c = ra.cs0;
	is_int(proto_challenge_open(srv, &c, buf, len), CKQ_ERR_NONCE,
	       "challenge echoing a wrong nc: CKQ_ERR_NONCE");
}

static void test_build_refusals(void)
{
	static const struct { const char *name, *why; } bad_users[] = {
		{ "", "an empty user name" },
		{ ".alice", "a user name with a leading dot" },
		{ "-alice", "a user name with a leading dash" },
		{ "al ice", "a user name with a space" },
		{ "al/ice", "a user name with a slash" },
		{ "al:ice", "a user name with a colon" },
		{ "alice\n", "a user name with a newline" },
		{ "\xc3\xa9t\xc3\xa9", "a UTF-8 user name" },
	};
	struct ckq_request req;
	struct ckq_session s;
	uint8_t buf[CKQ_MSG_MAX];
	size_t len, i;

#define REFUSED(what) is_int(proto_request_build(srv, alice, &req, &s, buf, sizeof(buf), &len), \
			     CKQ_ERR_RANGE, "request_build refuses %s", (what))
	for (i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); i++) {
		req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
		memcpy(req.user, bad_users[i].name, strlen(bad_users[i].name) + 1);
		REFUSED(bad_users[i].why);
	}
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	memset(req.user, 'a', sizeof(req.user));
	REFUSED("a 33-character user name without a NUL");
	req = make_req("alice", "10.0.0.2", 0, CKQ_PROTO_TCP, 22);
	REFUSED("request type 0");
	req = make_req("alice", "10.0.0.2", 3, CKQ_PROTO_TCP, 22);
	REFUSED("request type 3");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, 0, 22);
	REFUSED("protocol 0");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, 1, 22);
	REFUSED("protocol 1 (ICMP)");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, 132, 22);
	REFUSED("protocol 132 (SCTP)");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 0);
	REFUSED("port 0");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_UDP, 0);
	REFUSED("udp port 0");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	req.addr.family = 0;
	REFUSED("address family 0");
	req.addr.family = 5;
	REFUSED("address family 5");
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	req.otp = 100000000;
	REFUSED("a 9-digit code");
#undef REFUSED
	req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	is_int(proto_request_build(srv, alice, &req, &s, buf, 600, &len), CKQ_ERR_RANGE,
	       "request_build into too small a buffer");

	ok(user_name_valid("a", 1) && user_name_valid("A.b_c-9", 7), "valid user names");
	ok(user_name_valid("abcdefghijklmnopqrstuvwxyz012345", 32), "32 characters valid");
	ok(!user_name_valid("abcdefghijklmnopqrstuvwxyz0123456", 33), "33 characters invalid");
	ok(!user_name_valid("alice", 0), "length 0 invalid");
	ok(!user_name_valid("al\0ce", 5), "an embedded NUL invalid");
}

static void test_headers(void)
{
	static const struct { size_t at; uint8_t v; int want; const char *what; } cases[] = {
		{ 0, 'X', CKQ_ERR_MAGIC, "magic byte 0" },
		{ 2, 'q', CKQ_ERR_MAGIC, "magic byte 2" },
		{ 3, 2, CKQ_ERR_VERSION, "version 2" },
		{ 3, 0, CKQ_ERR_VERSION, "version 0" },
		{ 4, 2, CKQ_ERR_SUITE, "suite 2" },
		{ 4, 0, CKQ_ERR_SUITE, "suite 0" },
		{ 6, 1, CKQ_ERR_FORMAT, "reserved high byte" },
		{ 7, 0x80, CKQ_ERR_FORMAT, "reserved low byte" },
		{ 5, 0, CKQ_ERR_TYPE, "type 0" },
		{ 5, 5, CKQ_ERR_TYPE, "type 5" },
	};
	uint8_t buf[CKQ_MSG_MAX];
	struct ckq_session t;
	struct ckq_result res;
	struct ckq_msg1 m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, ra.m1, ra.l1);
		buf[cases[i].at] = cases[i].v;
		remac(srv, buf, ra.l1);
		is_int(proto_precheck(srv, buf, ra.l1), cases[i].want, "message 1, %s: precheck",
		       cases[i].what);
		is_int(proto_request_open(srv, buf, ra.l1, &m), cases[i].want,
		       "message 1, %s: request_open", cases[i].what);
		memcpy(buf, ra.m3, ra.l3);
		buf[cases[i].at] = cases[i].v;
		is_int(proto_response_sid(buf, ra.l3, (uint8_t[8]){ 0 }), cases[i].want,
		       "message 3, %s: response_sid", cases[i].what);
		is_int(proto_response_open(srv, alice, &ra.ss, buf, ra.l3), cases[i].want,
		       "message 3, %s: response_open", cases[i].what);
		memcpy(buf, ra.m2, ra.l2);
		buf[cases[i].at] = cases[i].v;
		t = ra.cs0;
		is_int(proto_challenge_open(srv, &t, buf, ra.l2), cases[i].want,
		       "message 2, %s: challenge_open", cases[i].what);
		memcpy(buf, ra.m4, ra.l4);
		buf[cases[i].at] = cases[i].v;
		is_int(proto_result_open(srv, &ra.cs, buf, ra.l4, &res), cases[i].want,
		       "message 4, %s: result_open", cases[i].what);
	}
}

/*
 * The pre-check's layout check: the length fields must account for the
 * datagram exactly, and are checked before, not after, the HMAC.
 */
static void test_precheck_layout(void)
{
	static uint8_t buf[CKQ_MSG_MAX];
	const size_t ek_at = CKQ_HDR_LEN, ct_at = CKQ_HDR_LEN + 2 + srv->size;
	const size_t ct3_at = CKQ_HDR_LEN + CKQ_SID_LEN;
	const uint16_t ct1 = get_u16(ra.m1 + ct_at), ct3 = get_u16(ra.m3 + ct3_at);
	const size_t ct1_min = CKQ_TAG_LEN + 56 + 1, ct3_min = CKQ_TAG_LEN + CKQ_NONCE_LEN + 2;
	struct ckq_msg1 m;
	size_t n, len;
	int bad;

	is_int(proto_precheck(srv, ra.m1, ra.l1), CKQ_MSG_REQUEST, "layout: valid message 1 passes");
	is_int(proto_precheck(srv, ra.m3, ra.l3), CKQ_MSG_RESPONSE, "layout: valid message 3 passes");
	is_int(ct1, ra.l1 - CKQ_MAC1_LEN - ct_at - 2, "message 1's ct_len as laid out");
	is_int(ct3, ra.l3 - CKQ_MAC1_LEN - ct3_at - 2, "message 3's ct_len as laid out");

	/* Message 1, re-mac'd each time: only the layout can refuse it. */
#define M1_IS(what, want) do {							\
	remac(srv, buf, len);							\
	is_int(proto_precheck(srv, buf, len), (want), "message 1, %s: precheck", (what)); \
	is_int(proto_request_open(srv, buf, len, &m), (want),			\
	       "message 1, %s: request_open agrees", (what));			\
} while (0)
	len = ra.l1;
	memcpy(buf, ra.m1, len);
	put_u16(buf + ek_at, (uint16_t)(srv->size + 1));
	M1_IS("ek_len one too long", CKQ_ERR_FORMAT);
	memcpy(buf, ra.m1, len);
	put_u16(buf + ek_at, (uint16_t)(srv->size - 1));
	M1_IS("ek_len one too short", CKQ_ERR_FORMAT);
	memcpy(buf, ra.m1, len);
	put_u16(buf + ek_at, (uint16_t)(len - CKQ_MAC1_LEN - ek_at - 2 + 1));
	M1_IS("ek_len past the end", CKQ_ERR_TRUNCATED);
	memcpy(buf, ra.m1, len);
	put_u16(buf + ct_at, (uint16_t)(ct1 + 1));
	M1_IS("ct_len one too long", CKQ_ERR_TRUNCATED);
	memcpy(buf, ra.m1, len);
	put_u16(buf + ct_at, (uint16_t)(ct1 - 1));
	M1_IS("ct_len one too short", CKQ_ERR_FORMAT);
	len = ra.l1 - 1;
	memcpy(buf, ra.m1, len);
	M1_IS("one byte cut", CKQ_ERR_TRUNCATED);
	len = ra.l1 + 1;
	memcpy(buf, ra.m1, ra.l1);
	buf[ra.l1] = 0;
	M1_IS("one byte added", CKQ_ERR_FORMAT);
	len = ct_at + 2 + ct1_min - 1 + CKQ_MAC1_LEN;
	memcpy(buf, ra.m1, len);
	put_u16(buf + ct_at, (uint16_t)(ct1_min - 1));
	M1_IS("ct_len one under the shortest body", CKQ_ERR_FORMAT);
	len = ct_at + 2 + ct1_min + CKQ_MAC1_LEN;
	memcpy(buf, ra.m1, len);
	put_u16(buf + ct_at, (uint16_t)ct1_min);
	remac(srv, buf, len);
	is_int(proto_precheck(srv, buf, len), CKQ_MSG_REQUEST,
	       "message 1 with the shortest body request_open reads: precheck passes");
	len = ra.l1 - 1;
	memcpy(buf, ra.m1, len);
	put_u16(buf + ct_at, (uint16_t)(ct1 - 1));
	remac(srv, buf, len);
	is_int(proto_precheck(srv, buf, len), CKQ_MSG_REQUEST,
	       "message 1 one byte cut, ct_len to match: precheck passes");
	is_int(proto_request_open(srv, buf, len, &m), CKQ_ERR_DECRYPT, "and the AEAD refuses it");
#undef M1_IS

	/* Message 3: ct_len must cover all but the header, sid, itself and mac1. */
#define M3_IS(what, want) do {							\
	remac(srv, buf, len);							\
	is_int(proto_precheck(srv, buf, len), (want), "message 3, %s: precheck", (what)); \
} while (0)
	len = ra.l3;
	memcpy(buf, ra.m3, len);
	put_u16(buf + ct3_at, (uint16_t)(ct3 + 1));
	M3_IS("ct_len one too long", CKQ_ERR_TRUNCATED);
	is_int(proto_response_open(srv, alice, &ra.ss, buf, len), CKQ_ERR_TRUNCATED,
	       "message 3, ct_len one too long: response_open agrees");
	memcpy(buf, ra.m3, len);
	put_u16(buf + ct3_at, (uint16_t)(ct3 - 1));
	M3_IS("ct_len one too short", CKQ_ERR_FORMAT);
	is_int(proto_response_open(srv, alice, &ra.ss, buf, len), CKQ_ERR_FORMAT,
	       "message 3, ct_len one too short: response_open agrees");
	memcpy(buf, ra.m3, len);
	put_u16(buf + ct3_at, 0xffff);
	M3_IS("ct_len 65535", CKQ_ERR_TRUNCATED);
	len = ra.l3 - 1;
	memcpy(buf, ra.m3, len);
	M3_IS("one byte cut", CKQ_ERR_TRUNCATED);
	is_int(proto_response_open(srv, alice, &ra.ss, buf, len), CKQ_ERR_TRUNCATED,
	       "message 3, one byte cut: response_open agrees");
	len = ct3_at + CKQ_MAC1_LEN;
	memcpy(buf, ra.m3, len);
	M3_IS("no ct_len at all", CKQ_ERR_TRUNCATED);
	/* Under the minimum only the AEAD would tell response_open, hence no agreement. */
	len = ct3_at + 2 + ct3_min - 1 + CKQ_MAC1_LEN;
	memcpy(buf, ra.m3, len);
	put_u16(buf + ct3_at, (uint16_t)(ct3_min - 1));
	M3_IS("ct_len one under tag, N_S and sig_len", CKQ_ERR_FORMAT);
	len = ct3_at + 2 + CKQ_TAG_LEN + CKQ_MAC1_LEN;
	memcpy(buf, ra.m3, len);
	put_u16(buf + ct3_at, CKQ_TAG_LEN);
	M3_IS("an empty body", CKQ_ERR_FORMAT);
	len = ct3_at + 2 + ct3_min + CKQ_MAC1_LEN;
	memcpy(buf, ra.m3, len);
	put_u16(buf + ct3_at, (uint16_t)ct3_min);
	M3_IS("the shortest body response_open reads", CKQ_MSG_RESPONSE);
#undef M3_IS

	/*
	 * Refused before the HMAC: with a wrong layout and a wrong mac1 the
	 * answer is the layout's, with a right layout and a wrong mac1 it is
	 * CKQ_ERR_MAC.
	 */
	memcpy(buf, ra.m1, ra.l1);
	buf[ra.l1 - 1] ^= 1;
	is_int(proto_precheck(srv, buf, ra.l1), CKQ_ERR_MAC, "message 1, right layout, wrong mac1: CKQ_ERR_MAC");
	put_u16(buf + ek_at, (uint16_t)(srv->size + 1));
	is_int(proto_precheck(srv, buf, ra.l1), CKQ_ERR_FORMAT,
	       "message 1, wrong ek_len and wrong mac1: CKQ_ERR_FORMAT, not CKQ_ERR_MAC");
	memcpy(buf, ra.m1, ra.l1);
	put_u16(buf + ct_at, (uint16_t)(ct1 - 1));
	is_int(proto_precheck(srv_b, buf, ra.l1), CKQ_ERR_FORMAT,
	       "message 1, wrong ct_len, at the wrong server: CKQ_ERR_FORMAT");
	memcpy(buf, ra.m3, ra.l3);
	buf[ra.l3 - 1] ^= 1;
	is_int(proto_precheck(srv, buf, ra.l3), CKQ_ERR_MAC, "message 3, right layout, wrong mac1: CKQ_ERR_MAC");
	put_u16(buf + ct3_at, (uint16_t)(ct3 + 1));
	is_int(proto_precheck(srv, buf, ra.l3), CKQ_ERR_TRUNCATED,
	       "message 3, wrong ct_len and wrong mac1: CKQ_ERR_TRUNCATED, not CKQ_ERR_MAC");
	memset(buf, 0, sizeof(buf));
	memcpy(buf, ra.m1, CKQ_HDR_LEN);
	is_int(proto_precheck(srv, buf, 600), CKQ_ERR_FORMAT,
	       "a valid header and 592 zero bytes: CKQ_ERR_FORMAT");

	/* Every truncation of either message, re-mac'd: the layout says TRUNCATED. */
	bad = 0;
	for (n = CKQ_HDR_LEN + CKQ_MAC1_LEN; n < ra.l1; n++) {
		memcpy(buf, ra.m1, n);
		remac(srv, buf, n);
		if (proto_precheck(srv, buf, n) != CKQ_ERR_TRUNCATED ||
		    proto_request_open(srv, buf, n, &m) != CKQ_ERR_TRUNCATED)
			bad++;
	}
	is_int(bad, 0, "every re-mac'd truncation of message 1: TRUNCATED, as request_open says");
	bad = 0;
	for (n = CKQ_HDR_LEN + CKQ_MAC1_LEN; n < ra.l3; n++) {
		memcpy(buf, ra.m3, n);
		remac(srv, buf, n);
		if (proto_precheck(srv, buf, n) != CKQ_ERR_TRUNCATED ||
		    proto_response_open(srv, alice, &ra.ss, buf, n) != CKQ_ERR_TRUNCATED)
			bad++;
	}
	is_int(bad, 0, "every re-mac'd truncation of message 3: TRUNCATED, as response_open says");
}

#define STATS_IS(what, dp, du) do {						\
	is_int(crypto_stats_now().priv_ops - s0.priv_ops, (dp), "%s: %d private op(s)", (what), (dp)); \
	is_int(crypto_stats_now().pub_ops - s0.pub_ops, (du), "%s: %d public op(s)", (what), (du)); \
	s0 = crypto_stats_now();							\
} while (0)

static void test_costs(void)
{
	struct ckq_request req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	struct ckq_result res = { .status = CKQ_RES_GRANTED, .addr = req.addr,
				  .proto = CKQ_PROTO_TCP, .port = 22, .expires = 1 };
	struct crypto_stats s0 = crypto_stats_now();
	struct ckq_session c, s;
	uint8_t buf[CKQ_MSG_MAX], m1[CKQ_MSG_MAX];
	struct ckq_msg1 m;
	size_t len, l1;

	ok(proto_request_build(srv, alice, &req, &c, m1, sizeof(m1), &l1) == 0, "build for costs");
	STATS_IS("request_build", 1, 1);
	ok(proto_precheck(srv, m1, l1) == CKQ_MSG_REQUEST, "precheck for costs");
	STATS_IS("precheck of message 1", 0, 0);
	proto_precheck(srv_b, m1, l1);
	STATS_IS("precheck with the wrong key", 0, 0);
	ok(proto_request_open(srv, m1, l1, &m) == 0, "request_open for costs");
	STATS_IS("request_open", 1, 0);
	ok(proto_request_verify(srv, alice, &m) == 0, "request_verify for costs");
	STATS_IS("request_verify", 0, 1);

	/* What precheck would refuse costs request_open nothing either. */
	memcpy(buf, m1, l1);
	buf[0] ^= 1;
	proto_request_open(srv, buf, l1, &m);
	STATS_IS("request_open, bad magic", 0, 0);
	proto_request_open(srv, m1, l1 - 1, &m);
	STATS_IS("request_open, truncated", 0, 0);
	memcpy(buf, m1, l1);
	buf[9] ^= 1;
	proto_request_open(srv, buf, l1, &m);
	STATS_IS("request_open, wrong key length", 0, 0);
	memcpy(buf, m1, l1);
	buf[100] ^= 1;
	ok(proto_request_open(srv, buf, l1, &m) == CKQ_ERR_DECRYPT, "request_open, bad key blob");
	STATS_IS("request_open, bad key blob", 1, 0);
	proto_request_open(srv, ra.m3, ra.l3, &m);
	STATS_IS("request_open of a response", 0, 0);

	s = ra.ss;
	proto_challenge_build(srv, &s, buf, sizeof(buf), &len);
	STATS_IS("challenge_build", 0, 0);
	c = ra.cs0;
	proto_challenge_open(srv, &c, ra.m2, ra.l2);
	STATS_IS("challenge_open", 0, 0);
	proto_response_build(srv, alice, &ra.cs, buf, sizeof(buf), &len);
	STATS_IS("response_build", 1, 0);
	proto_precheck(srv, ra.m3, ra.l3);
	proto_response_sid(ra.m3, ra.l3, (uint8_t[8]){ 0 });
	STATS_IS("precheck and response_sid of message 3", 0, 0);
	ok(proto_response_open(srv, alice, &ra.ss, ra.m3, ra.l3) == 0, "response_open for costs");
	STATS_IS("response_open", 0, 1);
	proto_result_build(srv, &ra.ss, &res, buf, sizeof(buf), &len);
	proto_result_open(srv, &ra.cs, buf, len, &res);
	STATS_IS("result_build and result_open", 0, 0);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *p;
	long n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		printf("# cannot open %s\n", path);
		bail_out("test data missing (set CKQ_SRCDIR)");
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > 65536 || fseek(f, 0, SEEK_SET))
		bail_out("test data unreadable");
	p = malloc((size_t)n + 1);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		bail_out("test data unreadable");
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static struct ckq_key *load_key(const char *dir, const char *name, bool priv)
{
	struct ckq_key *k = NULL;
	size_t len;
	char *pem = slurp(dir, name, &len);

	if (key_from_pem(pem, len, priv, &k) < 0)
		bail_out("test key refused");
	free(pem);
	return k;
}

/*
 * tests/data/msg1.bin was built once with the keys beside it (see the
 * README there): if this fails, the wire format changed.
 */
static void test_golden(void)
{
	static const uint8_t mac1_key[CKQ_HASH_LEN] = {
		0x14, 0xaf, 0x57, 0x98, 0x97, 0x2d, 0xef, 0x54, 0xcc, 0x8b, 0x4a, 0xb0,
		0xd0, 0x06, 0x7a, 0x34, 0xfd, 0x69, 0x8f, 0x30, 0x11, 0x29, 0x7a, 0x4a,
		0xb3, 0x3e, 0xc6, 0x06, 0x5f, 0xb9, 0xe9, 0x4a,
	};
	const char *src = getenv("CKQ_SRCDIR");
	char dir[4096], fp[CKQ_FP_STRLEN];
	struct ckq_key *skey, *spub, *akey, *apub;
	struct ckq_request want = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	struct ckq_msg1 m;
	uint8_t *msg, h[CKQ_HASH_LEN];
	size_t len, i;

	if (src && *src)
		snprintf(dir, sizeof(dir), "%s/tests/data", src);
	else
#ifdef CKQ_TEST_DATA
		snprintf(dir, sizeof(dir), "%s", CKQ_TEST_DATA);
#else
		snprintf(dir, sizeof(dir), "tests/data");
#endif
	skey = load_key(dir, "server.key", true);
	spub = load_key(dir, "server.pub", false);
	akey = load_key(dir, "alice.key", true);
	apub = load_key(dir, "alice.pub", false);
	msg = (uint8_t *)slurp(dir, "msg1.bin", &len);

	/* Computed with: openssl pkey -pubin -in server.pub -outform DER | sha256sum */
	key_fp_str(spub->fp, fp);
	ok(!strcmp(fp, "SHA256:PEtf4vKLxX061mzG1tmNCMdqPHOwVqdCxh9Q14JvDpE"),
	   "golden server key fingerprint");
	ok(!memcmp(skey->fp, spub->fp, CKQ_FP_LEN) && !memcmp(akey->fp, apub->fp, CKQ_FP_LEN),
	   "golden key pairs match");
	ok(!memcmp(spub->mac1_key, mac1_key, CKQ_HASH_LEN), "golden server mac1 key");

	for (i = 0; i < CKQ_NONCE_LEN; i++)
		want.nc[i] = (uint8_t)i;
	is_int(len, 617, "golden message 1: 617 bytes");
	is_int(proto_precheck(spub, msg, len), CKQ_MSG_REQUEST, "golden message 1: precheck");
	is_int(proto_request_open(skey, msg, len, &m), 0, "golden message 1: request_open");
	is_int(proto_request_verify(skey, apub, &m), 0, "golden message 1: request_verify");
	ok(req_equal(&m.req, &want), "golden message 1: every field as written");
	ok(!strcmp(m.req.user, "alice") && m.req.port == 22 && m.req.duration == 300 &&
	   m.req.timestamp == 1700000000 && m.req.otp == 123456 &&
	   m.req.addr.family == CKQ_AF_INET && !memcmp(m.req.addr.a, "\x0a\x00\x00\x02", 4),
	   "golden: alice, open tcp/22 for 10.0.0.2, 300 s, t=1700000000, otp 123456");
	proto_digest(msg, len, h);
	ok(!memcmp(m.s.h1, h, CKQ_HASH_LEN), "golden: h1 is the digest of the datagram");
	is_int(proto_request_verify(skey, bob, &m), CKQ_ERR_SIGNATURE,
	       "golden message 1 with another client key: refused");
	is_int(proto_request_open(srv, msg, len, &m), CKQ_ERR_DECRYPT,
	       "golden message 1 at another server: refused");
	msg[len - 1] ^= 1;
	is_int(proto_precheck(spub, msg, len), CKQ_ERR_MAC, "golden message 1, mac1 flipped: refused");
	msg[len - 1] ^= 1;
	msg[300] ^= 1;
	remac(spub, msg, len);
	is_int(proto_request_open(skey, msg, len, &m), CKQ_ERR_DECRYPT,
	       "golden message 1, ciphertext flipped and re-mac'd: refused");

	free(msg);
	key_free(skey);
	key_free(spub);
	key_free(akey);
	key_free(apub);
}

/* NAT mode: family 0 asks the server to grant the address it sees. */
static void test_any_address(void)
{
	struct ckq_request req = make_req("alice", "10.0.0.2", CKQ_REQ_OPEN, CKQ_PROTO_TCP, 22);
	struct ckq_session s;
	struct ckq_msg1 m;
	uint8_t buf[CKQ_MSG_MAX];
	size_t len = 0;

	memset(&req.addr, 0, sizeof(req.addr));
	is_int(proto_request_build(srv, alice, &req, &s, buf, sizeof(buf), &len), 0,
	       "a request may leave the address to the server");
	is_int(proto_request_open(srv, buf, len, &m), 0, "and the server opens it");
	ok(m.req.addr.family == CKQ_AF_ANY, "family 0 arrives as such");
	is_int(proto_request_verify(srv, alice, &m), 0, "signed like any other");
	req.addr.a[3] = 1;
	is_int(proto_request_build(srv, alice, &req, &s, buf, sizeof(buf), &len), CKQ_ERR_RANGE,
	       "family 0 with address bytes is refused");
	{
		struct ckq_result res = { .status = CKQ_RES_GRANTED, .proto = CKQ_PROTO_TCP,
					  .port = 22 };

		memset(s.sid, 1, sizeof(s.sid));
		is_int(proto_result_build(srv, &s, &res, buf, sizeof(buf), &len), 0,
		       "a result with no address builds");
		is_int(proto_result_open(srv, &s, buf, len, &res), CKQ_ERR_FORMAT,
		       "but a result must name the address it granted");
	}
}

/*
 * Cookies (doc/protocol.md 3.8): a message 1 with a mac2 keeps its core, its
 * digest and everything the server reads; the cookie reply opens only for
 * the request it answers, and no byte of it can change.
 */
static void test_cookies(void)
{
	static const uint8_t cookie[CKQ_COOKIE_LEN] = {
		0xc0, 0x0c, 0x1e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	};
	uint8_t m1[CKQ_MSG_MAX], other[CKQ_MSG_MAX], c5[CKQ_MSG_MAX], got[CKQ_COOKIE_LEN];
	uint8_t mac2[CKQ_MAC2_LEN], h_core[CKQ_HASH_LEN], h_plain[CKQ_HASH_LEN];
	size_t core = 0, len = 0, l5 = 0, i, bad;
	struct ckq_msg1 m;

	memcpy(m1, ra.m1, ra.l1);
	rc_is(proto_request_core_len(srv, m1, ra.l1, &core), 0, "a message 1 without mac2 has a core");
	is_int(core, ra.l1, "... which is all of it");
	rc_is(proto_request_set_mac2(m1, ra.l1, sizeof(m1), cookie, &len), 0, "a mac2 is added");
	is_int(len, ra.l1 + CKQ_MAC2_LEN, "... 16 bytes after mac1");
	ok(!memcmp(m1, ra.m1, ra.l1), "... changing nothing before it");
	rc_is(proto_precheck(srv, m1, len), CKQ_MSG_REQUEST, "the pre-check takes it");
	rc_is(proto_request_core_len(srv, m1, len, &core), 0, "its core is found");
	is_int(core, ra.l1, "... and is the message without the mac2");
	rc_is(proto_mac2(cookie, m1, core, mac2), 0, "mac2 computed");
	ok(!memcmp(mac2, m1 + core, CKQ_MAC2_LEN), "the mac2 is HMAC(cookie, core)");
	proto_digest(m1, core, h_core);
	proto_digest(ra.m1, ra.l1, h_plain);
	ok(!memcmp(h_core, h_plain, CKQ_HASH_LEN), "H1 of the core is the H1 without mac2");
	rc_is(proto_request_open(srv, m1, core, &m), 0, "the server opens the core");
	wipe(&m, sizeof(m));
	/* Lengths that fit neither layout. */
	for (i = 1, bad = 0; i < CKQ_MAC2_LEN + 8; i++)
		if (i != CKQ_MAC2_LEN)
			bad += proto_precheck(srv, m1, ra.l1 + i) >= 0 ||
			       proto_request_core_len(srv, m1, ra.l1 + i, &core) == 0;
	is_int(bad, 0, "a message 1 with 1..23 extra bytes but 16 is refused");
	flip(m1, (ra.l1 - 1) * 8);
	rc_is(proto_precheck(srv, m1, len), CKQ_ERR_MAC, "mac1 still covers the core only, and is checked");
	flip(m1, (ra.l1 - 1) * 8);
	flip(m1, (len - 1) * 8);
	rc_is(proto_precheck(srv, m1, len), CKQ_MSG_REQUEST, "a wrong mac2 passes the pre-check");
	ok(memcmp(mac2, m1 + ra.l1, CKQ_MAC2_LEN), "... but no longer matches HMAC(cookie, core)");
	flip(m1, (len - 1) * 8);
	rc_is(proto_request_set_mac2(m1, ra.l1, ra.l1 + 8, cookie, &len), CKQ_ERR_RANGE,
	      "no room for a mac2: refused");

	rc_is(proto_cookie_build(srv, ra.m1, ra.l1, cookie, c5, sizeof(c5), &l5), 0,
	      "a cookie reply builds");
	is_int(l5, CKQ_COOKIE_MSG_LEN, "it is 56 bytes");
	is_int(CKQ_COOKIE_MSG_LEN, 8 + 16 + 16 + 16, "header, nonce, cookie, tag");
	ok(l5 < ra.l1, "smaller than the message 1 it answers");
	is_int(c5[5], CKQ_MSG_COOKIE, "type 5");
	rc_is(proto_cookie_open(srv, ra.m1, ra.l1, c5, l5, got), 0, "the client opens it");
	ok(!memcmp(got, cookie, sizeof(got)), "... and reads the cookie");
	rc_is(proto_cookie_open(srv, m1, ra.l1, c5, l5, got), 0,
	      "the core of the message with a mac2 opens it too");
	for (i = 0, bad = 0; i < l5 * 8; i++) {
		flip(c5, i);
		bad += proto_cookie_open(srv, ra.m1, ra.l1, c5, l5, got) == 0;
		flip(c5, i);
	}
	is_int(bad, 0, "every one of %zu bit flips of the cookie reply is refused", l5 * 8);
	for (i = 0, bad = 0; i < l5; i++)
		bad += proto_cookie_open(srv, ra.m1, ra.l1, c5, i, got) == 0;
	is_int(bad, 0, "every truncation of it is refused");
	bad = proto_cookie_open(srv, ra.m1, ra.l1, c5, l5 + 1, got) == 0;
	is_int(bad, 0, "a byte appended is refused");
	memcpy(other, ra.m1, ra.l1);
	flip(other, (ra.l1 - 1) * 8);
	ok(proto_cookie_open(srv, other, ra.l1, c5, l5, got) < 0,
	   "a reply for another message 1 (another mac1) does not open");
	ok(proto_cookie_open(srv_b, ra.m1, ra.l1, c5, l5, got) < 0,
	   "nor with another server's key");
	ok(proto_challenge_open(srv, &ra.cs0, c5, l5) < 0, "nor is it taken for a challenge");
	rc_is(proto_precheck(srv, c5, l5), CKQ_ERR_TYPE, "and the server refuses it as a request");
	{
		uint8_t c5b[CKQ_MSG_MAX];
		size_t l5b = 0;

		rc_is(proto_cookie_build(srv, ra.m1, ra.l1, cookie, c5b, sizeof(c5b), &l5b), 0,
		      "a second reply for the same cookie");
		ok(memcmp(c5, c5b, l5), "... differs: a fresh nonce and key each");
		rc_is(proto_cookie_build(srv, ra.m1, ra.l1, cookie, c5b, l5 - 1, &l5b), CKQ_ERR_RANGE,
		      "no room: refused");
	}
}

int main(void)
{
	if (key_generate(2048, &srv) < 0 || key_generate(2048, &srv_b) < 0 ||
	    key_generate(2048, &alice) < 0 || key_generate(2048, &bob) < 0)
		bail_out("key_generate(2048)");
	test_roundtrips();
	test_large_keys();
	test_truncations();
	test_extensions();
	test_flips_msg1();
	test_flips_others();
	test_wrong_parties();
	test_wrong_direction();
	test_other_session();
	test_nonces();
	test_build_refusals();
	test_headers();
	test_precheck_layout();
	test_costs();
	test_golden();
	test_challenge_forgery_keeps_session();
	test_any_address();
	test_cookies();
	key_free(srv);
	key_free(srv_b);
	key_free(alice);
	key_free(bob);
	return done_testing();
}
