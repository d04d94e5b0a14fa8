/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_PROTO2_H
#define CKQ_PROTO2_H

#include <stddef.h>
#include <stdint.h>

#include "crypto25519.h"
#include "proto.h"
#include "sshkey.h"
#include "suite2.h"

/*
 * Suite 2's messages (doc/protocol.md 11.3 and 11.4): message 1 in
 * proto2.c, messages 2 to 5 in proto2_session.c.
 */
#define CKQ_S2_MSG1_MIN (193 + 1)
#define CKQ_S2_MSG1_MAX (198 + CKQ_USER_MAX + CKQ_MAC2_LEN)
#define CKQ_S2_SIGKIND_ED25519 1
#define CKQ_S2_SIGKIND_SK 2

/* What both ends know of the server: S, fp(S), mac1key₂, and on the server s_S. */
struct s2_server {
	uint8_t pub[CKQ_X25519_LEN];
	uint8_t fp[CKQ_FP_LEN];		/* SHA-256 of S's DER SubjectPublicKeyInfo */
	uint8_t mac1_key[CKQ_HASH_LEN];
	struct ckq_x25519 *priv;	/* the server only; not owned */
};

int s2_server_init(const uint8_t pub[CKQ_X25519_LEN], struct ckq_x25519 *priv,
		   struct s2_server *out);

/* What both ends keep of one knock after message 1. */
struct s2_session {
	uint8_t k_s2c[CKQ_AEAD2_KEY_LEN];
	uint8_t k_c2s[CKQ_AEAD2_KEY_LEN];
	uint8_t h1[CKQ_HASH_LEN];
	uint8_t sid[CKQ_SID_LEN];
	uint8_t nc[CKQ_NONCE_LEN];
	uint8_t ns[CKQ_NONCE_LEN];
};

/*
 * The client builds message 1 in two steps, because the signature may come
 * from ssh-agent (and a touch): s2_request_begin gives the bytes to sign
 * (M₁), s2_request_end takes the signature and seals. s2_request_abort
 * wipes a state that will not be ended.
 */
struct s2_request_state {
	struct ckq_x25519 *eph;
	uint8_t prk[CKQ_HASH_LEN];
	uint8_t k1[CKQ_AEAD2_KEY_LEN];
	struct s2_server srv;
	uint8_t sig_kind;
	uint8_t nc[CKQ_NONCE_LEN];
	uint8_t prefix[CKQ_HDR_LEN + CKQ_X25519_LEN + 2];	/* header, E_C, ct_len */
	uint8_t body[128 + CKQ_USER_MAX];
	size_t body_len;					/* up to sig_kind */
	uint8_t tbs[256 + CKQ_USER_MAX];			/* M₁ */
	size_t tbs_len;
};

int s2_request_begin(const struct s2_server *srv, const struct ckq_sshkey *user,
		     const struct ckq_request *req, struct s2_request_state *st,
		     const uint8_t **tbs, size_t *tbs_len);
int s2_request_end(struct s2_request_state *st, const uint8_t *sig, size_t sig_len,
		   struct s2_session *s, uint8_t *out, size_t cap, size_t *out_len);
void s2_request_abort(struct s2_request_state *st);

/*
 * Server. s2_request_core_len: the length checks of 11.5 and where a mac2
 * starts; s2_request_precheck adds the mac1 check (one HMAC, no X25519).
 */
int s2_request_core_len(const uint8_t *msg, size_t len, size_t *core_len);
int s2_request_precheck(const struct s2_server *srv, const uint8_t *msg, size_t len);

/* A message 1 opened (one X25519), its signature not checked yet. */
struct s2_msg1 {
	struct ckq_request req;
	struct s2_session s;
	uint8_t sig_kind;
	uint8_t prefix[CKQ_HDR_LEN + CKQ_X25519_LEN + 2];	/* header, E_C, ct_len */
	uint8_t body[128 + CKQ_USER_MAX];
	size_t body_signed;		/* body bytes up to and including sig_kind */
	uint8_t sig[CKQ_SIG2_MAX];
	size_t sig_len;
};

/* msg is the core of a message 1 (without its mac2). */
int s2_request_open(const struct s2_server *srv, const uint8_t *msg, size_t len,
		    struct s2_msg1 *m);
/* The user's signature (the one public-key verification of the knock). */
int s2_request_verify(const struct s2_server *srv, const struct ckq_sshkey *user,
		      const struct s2_msg1 *m);

/*
 * Messages 2 to 4 (11.4): fixed sizes, sealed under the session keys.
 * The server fills s->sid and s->ns before building message 2; the
 * client learns them from it.
 */
#define CKQ_S2_MSG2_LEN (CKQ_HDR_LEN + CKQ_SID_LEN + 2 * CKQ_NONCE_LEN + CKQ_TAG_LEN)
#define CKQ_S2_MSG3_LEN (CKQ_HDR_LEN + CKQ_SID_LEN + CKQ_NONCE_LEN + CKQ_TAG_LEN + CKQ_MAC1_LEN)
#define CKQ_S2_MSG4_LEN (CKQ_HDR_LEN + CKQ_SID_LEN + 29 + CKQ_TAG_LEN)

int s2_challenge_build(const struct s2_server *srv, const struct s2_session *s,
		       uint8_t *out, size_t cap, size_t *out_len);
int s2_challenge_open(const struct s2_server *srv, struct s2_session *s,
		      const uint8_t *msg, size_t len);
int s2_response_build(const struct s2_server *srv, const struct s2_session *s,
		      uint8_t *out, size_t cap, size_t *out_len);
/* Server: the size, header and mac1 of a message 3 (one HMAC), and its sid. */
int s2_response_precheck(const struct s2_server *srv, const uint8_t *msg, size_t len,
			 uint8_t sid[CKQ_SID_LEN]);
/* 0 when sealed under this session's K_c2s and carrying its N_S. */
int s2_response_open(const struct s2_server *srv, const struct s2_session *s,
		     const uint8_t *msg, size_t len);
int s2_result_build(const struct s2_server *srv, const struct s2_session *s,
		    const struct ckq_result *res, uint8_t *out, size_t cap, size_t *out_len);
int s2_result_open(const struct s2_server *srv, const struct s2_session *s,
		   const uint8_t *msg, size_t len, struct ckq_result *res);

/* The cookie reply (11.4, 3.8) to the message 1 whose core is m1_core. */
int s2_cookie_build(const struct s2_server *srv, const uint8_t *m1_core, size_t core_len,
		    const uint8_t cookie[CKQ_COOKIE_LEN], uint8_t *out, size_t cap,
		    size_t *out_len);
int s2_cookie_open(const struct s2_server *srv, const uint8_t *m1_core, size_t core_len,
		   const uint8_t *msg, size_t len, uint8_t cookie[CKQ_COOKIE_LEN]);

#endif
