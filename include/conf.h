/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CKQ_CONF_H
#define CKQ_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "crypto.h"
#include "grant.h"
#include "proto.h"
#include "crypto25519.h"
#include "sshkey.h"

#define CKQ_CONF_DIR "/etc/ckq"
#define CKQ_MAX_PORTS 64
#define CKQ_MAX_ALLOW 16
#define CKQ_TOTP_MAX 64
#define CKQ_ERRBUF 512

struct ckqd_conf {
	uint16_t knock_port;
	uint16_t queue;
	uint16_t queues;		/* queue .. queue + queues - 1, a thread each */
	uint32_t queue_maxlen;
	uint32_t freshness;		/* seconds either side of our clock */
	uint32_t default_grant;
	uint32_t max_grant;
	uint32_t challenge_timeout;
	uint32_t max_pending;
	uint32_t replay_capacity;
	int log_level;
	char pid_file[256];
	char user[64];			/* ckqd drops to it after opening its sockets */
	char state_dir[256];		/* the replay cache and TOTP steps, across restarts */
	char stats_file[256];		/* counters for ckq-admin stats and node_exporter */
	uint32_t source_burst;		/* requests needing RSA work, per source */
	uint32_t source_rate;		/* ... refilled per second */
	uint32_t source_table;		/* sources tracked at once */
	bool seccomp;			/* the system call filter; off only to debug */
	enum grant_backend grants;	/* ipsets or the sets of table inet ckq */
};

struct port_spec {
	uint8_t proto;
	uint16_t port;
};

/*
 * Sized to what each user has: ckqd keeps ten thousand of these on a big
 * site. ports and allow are malloc'd (user_set_ports/user_set_allow), and
 * user_clear() frees them.
 */
struct ckq_user {
	char name[CKQ_USER_MAX + 1];
	struct ckq_key *key;		/* user_load(); NULL in a userdb */
	struct ckq_pub *pub;		/* userdb_load(): the key, packed */
	struct ckq_sshkey *ssh;		/* a suite 2 user's Ed25519 key; key and pub NULL */
	struct port_spec *ports;
	size_t nports;
	uint8_t totp[CKQ_TOTP_MAX];
	size_t totp_len;
	bool revoked;
	uint32_t max_grant;		/* 0: the server's */
	bool nat;			/* may ask for the address the server sees */
	struct cidr *allow;		/* sources allowed; none: any */
	size_t nallow;
	uint64_t expires;		/* Unix time the account ends; 0: never */
	uint64_t totp_last_step;	/* runtime: kept by ckqd across reloads */
	char *load_error;		/* userdb_load_failsafe(): why the files would not load */
};

struct userdb {
	struct ckq_user *users;		/* sorted by name */
	size_t n;
	size_t broken;			/* users with a load_error */
};

void conf_defaults(struct ckqd_conf *c);
/* err receives "FILE line N: what" on failure. */
int conf_parse(const char *text, size_t len, const char *fname,
	       struct ckqd_conf *c, char *err, size_t err_len);
int conf_load(const char *dir, struct ckqd_conf *c, char *err, size_t err_len);
/*
 * For a reload: puts back from running every setting that changes only on
 * restart (the sockets, grant handle, files and sandbox were made with
 * them), and names those that differed in kept, comma-separated. Returns
 * how many differed.
 */
size_t conf_keep_restart_only(struct ckqd_conf *c, const struct ckqd_conf *running,
			      char *kept, size_t kept_len);
/*
 * The uid and gid of ckqd's user ("root" is 0 and 0, whatever the user
 * database says): what ckqd drops to and ckq-admin gives users/ to. When
 * there is no such user, CKQ_ERR_NOUSER and err says how to create one;
 * CKQ_ERR_IO when the lookup itself failed.
 */
int conf_user_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t err_len);
/*
 * Where ckqd says how its reloads went, beside its pid file, so that
 * ckq-admin can wait for one that read its change: "pid", "started" and
 * "done" (reload generations), "error" when the last one failed, and a
 * "broken = NAME: why" line for each user it refuses because their files
 * would not load.
 */
void conf_reload_file(const struct ckqd_conf *c, char *out, size_t out_len);

/* The values of the user files: lists of ports and networks, dates. */
int ports_parse(const char *s, struct port_spec *ports, size_t max, size_t *n);
int ports_format(const struct port_spec *ports, size_t n, char *out, size_t out_len);
int allow_parse(const char *s, struct cidr *allow, size_t max, size_t *n);
/* "2027-01-31": the account works through that day (UTC). */
int date_parse(const char *s, uint64_t *end);
void date_format(uint64_t end, char out[16]);

/*
 * serverkey.c: the server's keys. server.key is its RSA key (suite 1),
 * server-x25519.key its X25519 key (suite 2); server.pub, the file users
 * are given, holds both public keys as PEM blocks (either alone is valid:
 * a server from before suite 2 has only the RSA one).
 */
#define CKQ_SERVER_X25519_KEY "server-x25519.key"
struct server_pubkeys {
	struct ckq_key *rsa;		/* NULL when the file has none */
	bool has_x25519;
	uint8_t x25519[CKQ_X25519_LEN];
};
int server_pub_parse(const char *text, size_t len, struct server_pubkeys *out);
int server_pub_load(const char *path, struct server_pubkeys *out, char *err, size_t err_len);
void server_pubkeys_clear(struct server_pubkeys *k);
/* The RSA key: server.key's private key, or server.pub's RSA public key. */
int server_key_load(const char *dir, bool private_part, struct ckq_key **out,
		    char *err, size_t err_len);
/* DIR/server-x25519.key; CKQ_ERR_NOENT when the server has no suite 2 key. */
int server_x25519_load(const char *dir, struct ckq_x25519 **out, char *err, size_t err_len);

/* userdb.c: the users and their files. */
bool user_may(const struct ckq_user *u, uint8_t proto, uint16_t port);
bool user_source_ok(const struct ckq_user *u, const struct ckq_addr *src);
/*
 * A user's key decides their suite (doc/protocol.md 11.1): users/NAME.pub
 * holds an RSA public key in PEM (suite 1), or an Ed25519 key as one
 * OpenSSH line (ssh-ed25519 or sk-ssh-ed25519@openssh.com) or in PEM
 * (suite 2). user_suite gives 1 or 2, user_key_fp the key's fingerprint
 * (for suite 2 OpenSSH's, as ssh-keygen -lf shows it).
 */
uint8_t user_suite(const struct ckq_user *u);
const uint8_t *user_key_fp(const struct ckq_user *u);
/* "rsa-2048", "ssh-ed25519", "sk-ssh-ed25519@openssh.com": for list and the web page. */
void user_key_type(const struct ckq_user *u, char *out, size_t out_len);
/* A user file holds everything but the public key, which sits beside it. */
int user_parse(const char *text, size_t len, const char *fname,
	       struct ckq_user *u, char *err, size_t err_len);
int user_format(const struct ckq_user *u, char **out, size_t *out_len);
int user_load(const char *dir, const char *name, struct ckq_user *u,
	      char *err, size_t err_len);
void user_clear(struct ckq_user *u);
int user_set_ports(struct ckq_user *u, const struct port_spec *ports, size_t n);
int user_set_allow(struct ckq_user *u, const struct cidr *allow, size_t n);

/*
 * Loads every DIR/users/NAME.conf; a broken file fails the whole load
 * (ckq-admin's view).
 * Each user's key is kept packed (u->pub, key_unpack()), u->key is NULL.
 */
int userdb_load(const char *dir, struct userdb **out, char *err, size_t err_len);
/*
 * ckqd's load, which never keeps a user it cannot read: a user whose
 * NAME.conf or NAME.pub cannot be read or parsed stays in the database
 * revoked, with only the name and load_error (malloc'd: why, naming the
 * file); the others load. Fails only when users/ itself cannot be read or
 * memory runs out.
 */
int userdb_load_failsafe(const char *dir, struct userdb **out, char *err, size_t err_len);
struct ckq_user *userdb_find(const struct userdb *db, const char *name);
void userdb_free(struct userdb *db);

#endif
