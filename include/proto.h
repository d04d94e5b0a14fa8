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
};

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

/* SHA-256 of a whole datagram: the replay cache's key. */
int proto_digest(const uint8_t *msg, size_t len, uint8_t out[CKQ_HASH_LEN]);

#endif
