/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_PROTO_H
#define CKQ_PROTO_H

#include <stdint.h>
#include <stddef.h>

#include "addr.h"
#include "crypto.h"

/* The layouts below are specified, with their reasons, in doc/protocol.md. */
#define CKQ_MAGIC "CKQ"
#define CKQ_VERSION 1
#define CKQ_SUITE_1 1
#define CKQ_SUITE_2 2	/* doc/protocol.md 11 */
#define CKQ_HDR_LEN 8
#define CKQ_SID_LEN 8
#define CKQ_NONCE_LEN 16
#define CKQ_USER_MAX 32
/* Fits one 1500-byte frame under an IPv6 and a UDP header. */
#define CKQ_MSG_MAX 1400

enum ckq_msg_type {
	CKQ_MSG_REQUEST = 1,	/* C->S: message 1 */
	CKQ_MSG_CHALLENGE = 2,	/* S->C: message 2 */
	CKQ_MSG_RESPONSE = 3,	/* C->S: message 3 */
	CKQ_MSG_RESULT = 4,	/* S->C: message 4 */
	CKQ_MSG_COOKIE = 5,	/* S->C: a cookie instead of message 2, under load */
};

#define CKQ_COOKIE_LEN 16
#define CKQ_MAC2_LEN 16
#define CKQ_COOKIE_NONCE_LEN 16
/* header, nonce, sealed cookie */
#define CKQ_COOKIE_MSG_LEN (CKQ_HDR_LEN + CKQ_COOKIE_NONCE_LEN + CKQ_COOKIE_LEN + CKQ_TAG_LEN)

enum { CKQ_REQ_OPEN = 1, CKQ_REQ_CLOSE = 2 };
enum { CKQ_RES_GRANTED = 1, CKQ_RES_CLOSED = 2 };

struct ckq_request {
	char user[CKQ_USER_MAX + 1];
	uint8_t request;
	struct ckq_addr addr;
	uint8_t proto;
	uint16_t port;
	uint32_t duration;	/* seconds; 0 asks for the server's default */
	uint64_t timestamp;	/* client's clock, Unix seconds */
	uint32_t otp;
	uint8_t nc[CKQ_NONCE_LEN];
};

struct ckq_result {
	uint8_t status;
	struct ckq_addr addr;
	uint8_t proto;
	uint16_t port;
	uint64_t expires;	/* Unix seconds; 0 when closed */
};

/* What both ends remember of one knock between messages. */
struct ckq_session {
	uint8_t k[CKQ_SKEY_LEN];
	uint8_t h1[CKQ_HASH_LEN];	/* SHA-256 of the whole message 1 */
	uint8_t sid[CKQ_SID_LEN];
	uint8_t nc[CKQ_NONCE_LEN];
	uint8_t ns[CKQ_NONCE_LEN];
};

/* A decrypted message 1 whose signature is not checked yet. */
struct ckq_msg1 {
	struct ckq_request req;
	struct ckq_session s;
	const uint8_t *raw;		/* the datagram, valid during the callback */
	size_t raw_prefix;		/* header + encrypted key, signed as is */
	uint8_t body[CKQ_MSG_MAX];
	size_t body_signed;		/* body bytes before the signature */
	size_t sig_off, sig_len;
};

bool user_name_valid(const char *s, size_t len);

/* Client side. */
int proto_request_build(const struct ckq_key *server, const struct ckq_key *client,
			const struct ckq_request *req, struct ckq_session *s,
			uint8_t *out, size_t cap, size_t *out_len);
int proto_challenge_open(const struct ckq_key *server, struct ckq_session *s,
			 const uint8_t *msg, size_t len);
int proto_response_build(const struct ckq_key *server, const struct ckq_key *client,
			 const struct ckq_session *s, uint8_t *out, size_t cap,
			 size_t *out_len);
int proto_result_open(const struct ckq_key *server, const struct ckq_session *s,
		      const uint8_t *msg, size_t len, struct ckq_result *res);

/*
 * Server side. proto_precheck costs one HMAC and no public-key work; it
 * returns the message type (REQUEST or RESPONSE) or a negative code.
 */
int proto_precheck(const struct ckq_key *server, const uint8_t *msg, size_t len);
int proto_request_open(const struct ckq_key *server, const uint8_t *msg, size_t len,
		       struct ckq_msg1 *m);
int proto_request_verify(const struct ckq_key *server, const struct ckq_key *client,
			 const struct ckq_msg1 *m);
int proto_challenge_build(const struct ckq_key *server, const struct ckq_session *s,
			  uint8_t *out, size_t cap, size_t *out_len);
int proto_response_sid(const uint8_t *msg, size_t len, uint8_t sid[CKQ_SID_LEN]);
int proto_response_open(const struct ckq_key *server, const struct ckq_key *client,
			const struct ckq_session *s, const uint8_t *msg, size_t len);
int proto_result_build(const struct ckq_key *server, const struct ckq_session *s,
		       const struct ckq_result *res, uint8_t *out, size_t cap,
		       size_t *out_len);

/*
 * Cookies (doc/protocol.md 3.8). A message 1 may end with a mac2 after its
 * mac1: proto_request_core_len gives its length without it (*core_len ==
 * len when there is none), or a negative code when the layout allows
 * neither. Everything but the mac2 check reads the core only.
 */
int proto_request_core_len(const struct ckq_key *server, const uint8_t *msg, size_t len,
			   size_t *core_len);
/* mac2 = HMAC-SHA-256(cookie, core)[0..16]. */
int proto_mac2(const uint8_t cookie[CKQ_COOKIE_LEN], const uint8_t *core, size_t core_len,
	       uint8_t out[CKQ_MAC2_LEN]);
/* Server: the cookie reply to the message 1 whose core is msg[0..core_len]. */
int proto_cookie_build(const struct ckq_key *server, const uint8_t *m1_core, size_t core_len,
		       const uint8_t cookie[CKQ_COOKIE_LEN], uint8_t *out, size_t cap,
		       size_t *out_len);
/* Client: the cookie in a reply to its message 1 (core m1_core). */
int proto_cookie_open(const struct ckq_key *server, const uint8_t *m1_core, size_t core_len,
		      const uint8_t *msg, size_t len, uint8_t cookie[CKQ_COOKIE_LEN]);
/* Client: appends (or replaces) the mac2 of message 1; *len grows to core + 16. */
int proto_request_set_mac2(uint8_t *msg, size_t core_len, size_t cap,
			   const uint8_t cookie[CKQ_COOKIE_LEN], size_t *len);

/* SHA-256 of a whole datagram: the replay cache's key. */
int proto_digest(const uint8_t *msg, size_t len, uint8_t out[CKQ_HASH_LEN]);

#endif
