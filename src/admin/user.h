/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_ADMIN_USER_H
#define CKQ_ADMIN_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"
#include "crypto.h"

/*
 * The user changes of ckq-admin, shared by the command line and the web
 * page so that both write the same files the same way and reload ckqd.
 */

struct add_user_req {
	const char *name;
	const char *ports;		/* "tcp/22,udp/53"; a bare 22 is tcp/22 */
	const char *pem;		/* the public key as given (PEM or an OpenSSH line), NUL-terminated */
	size_t pem_len;
	const char *key_label;		/* the file name, for messages; NULL: "the key" */
	const char *issuer;		/* the authenticator's label; NULL: "ckq" */
	uint32_t max_grant;		/* 0: the server's */
	bool nat;
	bool replace;
	const struct cidr *allow;
	size_t nallow;
	uint64_t expires;		/* 0: never */
};

struct add_user_result {
	char fp[CKQ_FP_STRLEN];
	char type[32];			/* user_key_type(): "rsa-2048", "ssh-ed25519", ... */
	char uri[512];			/* the TOTP secret: shown once, then wiped */
	unsigned int bits;		/* an RSA key's; 0 for Ed25519 */
	bool no_x25519;			/* an Ed25519 key, and no server-x25519.key yet */
	/* Ports whose IPv4 set does not exist yet: their grants would fail. */
	struct port_spec missing[CKQ_MAX_PORTS];
	size_t nmissing;
	int reloaded;			/* reload_confirm(): 1, 0 (not running), < 0 */
	char reload_err[CKQ_ERRBUF];	/* why, when reloaded < 0: not in force */
	bool exists;			/* refused: the user exists and replace is off */
};

/*
 * Registers a user: checks the request, writes users/NAME.pub then
 * users/NAME.conf atomically for ckqd's user, and has ckqd reload. A bad
 * request returns CKQ_ERR_FORMAT (name, ports), CKQ_ERR_KEY (the key) or
 * CKQ_ERR_RANGE (too many ports); anything else failed on our side. err
 * says what, without a program name. Success means the files are written:
 * only res->reloaded > 0 (or 0, no ckqd) means ckqd takes the user now. res->uri must be wiped by the caller
 * (add_user_result_wipe) whatever the outcome.
 */
int admin_add_user(const struct add_user_req *req, struct add_user_result *res,
		   char *err, size_t err_len);
void add_user_result_wipe(struct add_user_result *res);

/*
 * Why text is not a key ckq takes ("an RSA key of 1024 bits: ...", "a
 * private key: ...", "an OpenSSH ssh-rsa key: ..."), in why; 0 when it is
 * one: an RSA public key in PEM, or an Ed25519 key as sshkey_load reads it
 * (PEM, or one OpenSSH line, authorized_keys options allowed).
 */
int admin_key_check(const char *pem, size_t len, char *why, size_t why_len);

struct retire_result {
	int closed;			/* grants closed now */
	int reloaded;			/* as above */
	char reload_err[CKQ_ERRBUF];
};

/*
 * Removes (remove_it) or revokes NAME, then closes their grants and has
 * ckqd reload. Unless quiet, prints what it did as the command line does.
 * CKQ_ERR_NOUSER when there is no such user; CKQ_ERR_IPSET when the file
 * changed but the grants could not all be closed (ckqd closes them when it
 * reloads). The change is in force only when res->reloaded >= 0.
 */
int admin_retire_user(const char *name, bool remove_it, bool quiet, struct retire_result *res,
		      char *err, size_t err_len);

#endif
